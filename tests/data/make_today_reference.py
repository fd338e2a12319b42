"""Regenerate tests/data/today_reference.npz + today_reference.json: issue 15's losses and
the batch reductions, evaluated with PyTorch.

Run with torch 2.13.0 (CPU build) in the venv, from the repository root:

    .venv/bin/pip install torch==2.13.0
    .venv/bin/python tests/data/make_today_reference.py

Each case evaluates PyTorch's own loss (its module or functional form where it has one;
where it has none, the published formula written with torch operations) in float64, maps it
to lossbook's per-sample values (or, for the cases with ``reduction``, PyTorch's own
``'mean'`` or ``'sum'``), and takes the gradient of ``sum(out_grad * out)`` (one number
``out_grad`` for a reduced case) with autograd. How each case maps is said beside it.
The JSON holds, per case, the lossbook class, its constructor keywords, the inputs in call
order, the inputs that receive a gradient and the call's keyword inputs; the npz the arrays
(``<case>/<field>``, tests/data/store.py). tests/test_references.py compares; it needs no
torch.
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from store import save

HERE = Path(__file__).parent
rng = np.random.default_rng(20261130)
cases, arrays = [], {}


def add(name, loss, config, inputs, grad_inputs, torch_fn, call=None):
    """``inputs``: name -> numpy array, in lossbook's call order (``call`` names the ones
    passed by keyword). ``torch_fn`` gets tensors of the same names and returns lossbook's
    output: per-sample values, or one number when ``config`` has a reduction."""
    tensors = {k: torch.tensor(v, dtype=torch.float64 if v.dtype.kind == "f" else torch.long,
                               requires_grad=k in grad_inputs) for k, v in inputs.items()}
    out = torch_fn(**tensors)
    out_grad = rng.normal(size=out.shape)
    (out * torch.tensor(out_grad)).sum().backward()
    cases.append({"name": name, "loss": loss, "config": config, "inputs": list(inputs),
                  "grad_inputs": list(grad_inputs), "call": call or {}})
    for key, value in inputs.items():
        arrays[f"{name}/{key}"] = value
    arrays[f"{name}/out"] = out.detach().numpy()
    arrays[f"{name}/out_grad"] = out_grad
    for key in grad_inputs:
        arrays[f"{name}/grad_{key}"] = tensors[key].grad.numpy()


def per_sample_mean(out):
    return out.reshape(out.shape[0], -1).mean(dim=1)


# ------------------------------------------------------------------------ InfoNCE (CLIP)
def clip_terms(input1, input2, temperature):
    """The two cross-entropies of CLIP's pseudocode, per row: F.normalize, then the
    cosine logits over temperature, the matching index as the class."""
    u, v = F.normalize(input1, dim=1), F.normalize(input2, dim=1)
    logits = u @ v.T / temperature
    target = torch.arange(len(u))
    return (F.cross_entropy(logits, target, reduction="none"),
            F.cross_entropy(logits.T, target, reduction="none"))


N, D = 6, 4
a, b = rng.normal(size=(N, D)), rng.normal(size=(N, D))
b = a + 0.8 * b
# at a temperature of 0.002 the scores span 1000 nats: lossbook then shifts each row and
# column by its own maximum; the embeddings crowd around one direction, so that the
# cosines differ by about 1e-3 and the softmax is not saturated
crowd = rng.normal(size=D) + 0.01 * rng.normal(size=(N, D))
crowd_b = crowd + 0.003 * rng.normal(size=(N, D))
for name, temperature, first, second in (("infonce", 0.07, a, b),
                                         ("infonce_cold", 0.002, crowd, crowd_b)):
    add(name, "InfoNCELoss", {"temperature": temperature}, {"input1": first, "input2": second},
        ["input1", "input2"],
        lambda input1, input2, t=temperature: sum(clip_terms(input1, input2, t)) / 2)
add("infonce_one_way", "InfoNCELoss", {"temperature": 0.5, "symmetric": False},
    {"input1": a, "input2": b}, ["input1", "input2"],
    lambda input1, input2: clip_terms(input1, input2, 0.5)[0])
zeros1, zeros2 = a.copy(), b.copy()
zeros1[1] = 0.0                              # a zero vector on each side: F.normalize's floor
zeros2[4] = 0.0
add("infonce_zero_vectors", "InfoNCELoss", {"temperature": 0.1},
    {"input1": zeros1, "input2": zeros2}, ["input1", "input2"],
    lambda input1, input2: sum(clip_terms(input1, input2, 0.1)) / 2)
add("infonce_mean", "InfoNCELoss", {"temperature": 0.07, "reduction": "mean"},
    {"input1": a, "input2": b}, ["input1", "input2"],
    # CLIP's loss: (cross_entropy(logits, labels) + cross_entropy(logits.T, labels)) / 2
    lambda input1, input2: sum(t.mean() for t in clip_terms(input1, input2, 0.07)) / 2)
three = rng.normal(size=(4, 2, 3))           # the vector of a sample: both non-batch axes
add("infonce_3d", "InfoNCELoss", {"temperature": 0.2},
    {"input1": three, "input2": three + rng.normal(size=three.shape)}, ["input1", "input2"],
    lambda input1, input2: sum(clip_terms(input1.reshape(4, -1), input2.reshape(4, -1),
                                          0.2)) / 2)


# --------------------------------------------------------------------- NT-Xent (SimCLR)
def ntxent_views(input1, input2, temperature):
    """SimCLR's loss per view: the 2N normalised views, each scored against the other
    2N - 1 (its own score masked to -inf), its class the other view of its item."""
    z = F.normalize(torch.cat([input1, input2]), dim=1)
    logits = z @ z.T / temperature
    logits = logits.masked_fill(torch.eye(len(z), dtype=torch.bool), float("-inf"))
    n = len(input1)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(logits, target, reduction="none")


for name, temperature, first, second in (("ntxent", 0.5, a, b),
                                         ("ntxent_cold", 0.002, crowd, crowd_b)):
    add(name, "NTXentLoss", {"temperature": temperature}, {"input1": first, "input2": second},
        ["input1", "input2"],
        lambda input1, input2, t=temperature: (lambda views: (views[:N] + views[N:]) / 2)(
            ntxent_views(input1, input2, t)))
add("ntxent_mean", "NTXentLoss", {"temperature": 0.1, "reduction": "mean"},
    {"input1": a, "input2": b}, ["input1", "input2"],
    lambda input1, input2: ntxent_views(input1, input2, 0.1).mean())      # 1/(2N) sum_k


# -------------------------------------------------------------------- TripletMarginLoss
def triplets(margin, p, eps, swap, count=8):
    """Triplets whose hinge is 0.1 away from its kink, some active and some not."""
    while True:
        x = rng.normal(size=(3, count, 5))
        anchor, positive, negative = x
        dist = lambda u, v: np.linalg.norm(u - v + eps, ord=p, axis=1)
        d_neg = dist(anchor, negative)
        if swap:
            d_neg = np.minimum(d_neg, dist(positive, negative))
        slack = dist(anchor, positive) - d_neg + margin
        if np.all(np.abs(slack) > 0.1) and (slack > 0).any() and (slack < 0).any():
            return anchor, positive, negative


for name, margin, p, eps, swap in (("triplet_margin", 1.0, 2, 1e-6, False),
                                   ("triplet_margin_p1", 0.5, 1, 1e-6, False),
                                   ("triplet_margin_p3", 0.7, 3, 1e-3, False),
                                   ("triplet_margin_swap", 2.0, 2, 1e-6, True)):
    anchor, positive, negative = triplets(margin, p, eps, swap)
    add(name, "TripletMarginLoss", {"margin": margin, "p": p, "eps": eps, "swap": swap},
        {"pred": anchor, "positive": positive, "negative": negative},
        ["pred", "positive", "negative"],
        lambda pred, positive, negative, m=margin, p=p, e=eps, s=swap: F.triplet_margin_loss(
            pred, positive, negative, margin=m, p=p, eps=e, swap=s, reduction="none"))
# the swap's tie: the positive equals the anchor, so d(a, n) = d(p, n) and torch.minimum
# splits the gradient; the anchor's distance to the positive is eps * sqrt(5)
anchor = rng.normal(size=(3, 5))
negative = anchor + rng.normal(size=(3, 5))
add("triplet_margin_tie", "TripletMarginLoss", {"margin": 5.0, "swap": True},
    {"pred": anchor, "positive": anchor.copy(), "negative": negative},
    ["pred", "positive", "negative"],
    lambda pred, positive, negative: F.triplet_margin_loss(
        pred, positive, negative, margin=5.0, swap=True, reduction="none"))
anchor, positive, negative = triplets(1.0, 2, 1e-6, False)
add("triplet_margin_mean", "TripletMarginLoss", {"reduction": "mean"},
    {"pred": anchor, "positive": positive, "negative": negative},
    ["pred", "positive", "negative"],
    lambda pred, positive, negative: F.triplet_margin_loss(pred, positive, negative))


# -------------------------------------------------------------- KL, distillation, VAE
logits = rng.normal(scale=2.0, size=(5, 4))
teacher = rng.normal(scale=2.0, size=(5, 4))
log_teacher = torch.log_softmax(torch.tensor(teacher), dim=1).numpy()
log_student = torch.log_softmax(torch.tensor(logits), dim=1).numpy()
add("kldiv_log_target", "KLDivLoss", {"log_target": True},
    {"pred": log_student, "label": log_teacher}, ["pred"],
    lambda pred, label: F.kl_div(pred, label, log_target=True, reduction="none").sum(dim=1))
add("kldiv_log_target_logits", "KLDivLoss", {"log_target": True, "from_logits": False},
    {"pred": logits, "label": log_teacher}, ["pred"],
    lambda pred, label: F.kl_div(F.log_softmax(pred, dim=1), label, log_target=True,
                                 reduction="none").sum(dim=1))
for name, reduction in (("kldiv_mean", "mean"), ("kldiv_sum", "sum")):
    add(name, "KLDivLoss", {"reduction": reduction},
        {"pred": log_student, "label": np.exp(log_teacher)}, ["pred"],
        # PyTorch's 'mean' divides by every element (it warns; 'batchmean' is the KL mean)
        lambda pred, label, r=reduction: F.kl_div(pred, label, reduction=r))


def distill(student, teacher, temperature, dim=-1):
    """Hinton et al.'s soft term as PyTorch code writes it: KL of the softened student from
    the softened teacher, times T^2, summed over the classes (one value per position)."""
    return F.kl_div(F.log_softmax(student / temperature, dim=dim),
                    F.log_softmax(teacher / temperature, dim=dim), log_target=True,
                    reduction="none").sum(dim=dim) * temperature ** 2


for name, temperature in (("distillation", 2.0), ("distillation_t5", 5.0)):
    add(name, "DistillationLoss", {"temperature": temperature},
        {"pred": logits, "label": teacher}, ["pred"],
        lambda pred, label, t=temperature: distill(pred, label, t))
tokens_student = rng.normal(size=(3, 4, 5))
tokens_teacher = rng.normal(scale=2.0, size=(3, 4, 5))
add("distillation_tokens", "DistillationLoss", {"temperature": 3.0},
    {"pred": tokens_student, "label": tokens_teacher}, ["pred"],
    lambda pred, label: distill(pred, label, 3.0).mean(dim=1))     # mean over the positions
add("distillation_batchmean", "DistillationLoss", {"temperature": 4.0, "reduction": "mean"},
    {"pred": logits, "label": teacher}, ["pred"],
    lambda pred, label: F.kl_div(F.log_softmax(pred / 4.0, dim=1),
                                 F.log_softmax(label / 4.0, dim=1), log_target=True,
                                 reduction="batchmean") * 4.0 ** 2)


def gaussian_kl(mu, logvar):
    """torch.distributions' closed form, KL(N(mu, sigma^2) || N(0, 1)), sigma = e^(v/2)."""
    return kl_divergence(Normal(mu, torch.exp(0.5 * logvar)),
                         Normal(torch.zeros_like(mu), torch.ones_like(mu)))


mu, logvar = rng.normal(size=(6, 3)), rng.normal(scale=1.5, size=(6, 3))
logvar[0, 0] = 1e-9                      # near 0: e^v - v - 1 is v^2 / 2 there
add("gaussian_kl", "GaussianKLLoss", {}, {"mu": mu, "logvar": logvar}, ["mu", "logvar"],
    lambda mu, logvar: gaussian_kl(mu, logvar).sum(dim=1))
add("gaussian_kl_mean", "GaussianKLLoss", {"reduction": "mean"}, {"mu": mu, "logvar": logvar},
    ["mu", "logvar"], lambda mu, logvar: gaussian_kl(mu, logvar).sum(dim=1).mean())


# ------------------------------------------------------------------ Dice and Tversky
def overlap(pred, label, smooth, alpha=None, beta=None, from_sigmoid=False):
    """The soft Dice (alpha None) or Tversky loss of each sample, with torch operations
    (PyTorch has neither): sums over every non-batch axis."""
    p = pred if from_sigmoid else torch.sigmoid(pred)
    axes = tuple(range(1, pred.dim()))
    tp = (p * label).sum(dim=axes)
    if alpha is None:
        return 1 - (2 * tp + smooth) / (p.sum(dim=axes) + label.sum(dim=axes) + smooth)
    fp = (p * (1 - label)).sum(dim=axes)
    fn = ((1 - p) * label).sum(dim=axes)
    return 1 - (tp + smooth) / (tp + alpha * fp + beta * fn + smooth)


masks = (rng.uniform(size=(4, 6, 6)) < 0.2).astype(np.float64)
masks[0] = 0.0                                            # an empty mask
masks[1, 2, 3] = 1.0
mask_logits = rng.normal(scale=2.0, size=(4, 6, 6)) + 3 * (masks - 0.5)
add("dice", "DiceLoss", {}, {"pred": mask_logits, "label": masks}, ["pred"],
    lambda pred, label: overlap(pred, label, 1.0))
probs = 1 / (1 + np.exp(-mask_logits))
add("dice_probabilities", "DiceLoss", {"smooth": 0.0, "from_sigmoid": True},
    {"pred": probs, "label": masks}, ["pred"],
    lambda pred, label: overlap(pred, label, 0.0, from_sigmoid=True))
multi = (rng.uniform(size=(3, 2, 5, 5)) < 0.3).astype(np.float64)     # (batch, classes, H, W)
add("dice_multilabel", "DiceLoss", {"smooth": 0.5},
    {"pred": rng.normal(size=multi.shape), "label": multi}, ["pred"],
    lambda pred, label: overlap(pred, label, 0.5))
add("tversky", "TverskyLoss", {"alpha": 0.3, "beta": 0.7},
    {"pred": mask_logits, "label": masks}, ["pred"],
    lambda pred, label: overlap(pred, label, 1.0, alpha=0.3, beta=0.7))
add("tversky_probabilities", "TverskyLoss",
    {"alpha": 0.8, "beta": 0.2, "smooth": 0.1, "from_sigmoid": True},
    {"pred": probs, "label": masks}, ["pred"],
    lambda pred, label: overlap(pred, label, 0.1, alpha=0.8, beta=0.2, from_sigmoid=True))


# ------------------------------------------------------- label smoothing (Keras's formula)
def smoothed(label, epsilon):
    # keras/src/losses/losses.py (3.15.1): y_true * (1 - label_smoothing) + 0.5 * label_smoothing
    return label * (1 - epsilon) + 0.5 * epsilon


bce_logits = rng.normal(scale=3.0, size=(5, 4))
hard = (rng.uniform(size=(5, 4)) < 0.5).astype(np.float64)
add("bce_label_smoothing", "SigmoidBinaryCrossEntropyLoss", {"label_smoothing": 0.1},
    {"pred": bce_logits, "label": hard}, ["pred"],
    lambda pred, label: per_sample_mean(F.binary_cross_entropy_with_logits(
        pred, smoothed(label, 0.1), reduction="none")))
pos_weight = rng.uniform(0.5, 3.0, size=(1, 4))
add("bce_label_smoothing_pos_weight", "SigmoidBinaryCrossEntropyLoss",
    {"label_smoothing": 0.3}, {"pred": bce_logits, "label": hard, "pos_weight": pos_weight},
    ["pred"], lambda pred, label, pos_weight: per_sample_mean(
        F.binary_cross_entropy_with_logits(pred, smoothed(label, 0.3),
                                           pos_weight=pos_weight[0], reduction="none")),
    call={"pos_weight": "pos_weight"})
add("bce_label_smoothing_probabilities", "SigmoidBinaryCrossEntropyLoss",
    {"label_smoothing": 0.2, "from_sigmoid": True},
    {"pred": rng.uniform(0.02, 0.98, size=(5, 4)), "label": hard}, ["pred"],
    lambda pred, label: per_sample_mean(F.binary_cross_entropy(
        pred, smoothed(label, 0.2), reduction="none")))


# ------------------------------------------------------ reductions of the other losses
x, y = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
for reduction in ("mean", "sum"):
    add(f"l1_{reduction}", "L1Loss", {"reduction": reduction}, {"pred": x, "label": y},
        ["pred"], lambda pred, label, r=reduction: F.l1_loss(pred, label, reduction=r))
    # L2Loss is half the squared error (Gluon's); PyTorch's MSELoss is not
    add(f"l2_{reduction}", "L2Loss", {"reduction": reduction}, {"pred": x, "label": y},
        ["pred"], lambda pred, label, r=reduction: F.mse_loss(pred, label, reduction=r) / 2)
add("huber_mean", "HuberLoss", {"rho": 0.5, "reduction": "mean"},
    {"pred": 2 * x, "label": y}, ["pred"],
    lambda pred, label: F.smooth_l1_loss(pred, label, beta=0.5))
add("bce_pos_weight_mean", "SigmoidBinaryCrossEntropyLoss", {"reduction": "mean"},
    {"pred": bce_logits, "label": hard, "pos_weight": pos_weight}, ["pred"],
    lambda pred, label, pos_weight: F.binary_cross_entropy_with_logits(
        pred, label, pos_weight=pos_weight[0]), call={"pos_weight": "pos_weight"})
counts = rng.poisson(3.0, size=(5, 4)).astype(np.float64)
add("poisson_mean", "PoissonNLLLoss", {"reduction": "mean"}, {"pred": x, "target": counts},
    ["pred"], lambda pred, target: F.poisson_nll_loss(pred, target, log_input=True))
add("gaussian_nll_mean", "GaussianNLLLoss", {"reduction": "mean"},
    {"pred": x, "label": y, "var": rng.uniform(0.2, 2.0, size=(5, 4))}, ["pred", "var"],
    lambda pred, label, var: F.gaussian_nll_loss(pred, label, var))
cos_label = np.array([1, -1, 1, -1, 1])
add("cosine_mean", "CosineEmbeddingLoss", {"reduction": "mean"},
    {"input1": x, "input2": y, "label": cos_label}, ["input1", "input2"],
    lambda input1, input2, label: F.cosine_embedding_loss(input1, input2, label))

# cross-entropy: class weights, ignore_index, label smoothing, dense labels, tokens
classes = 5
ce_logits = rng.normal(scale=2.0, size=(8, classes))
index = rng.integers(0, classes, size=8)
index[[2, 5]] = -100
class_weight = rng.uniform(0.5, 2.0, size=classes)
for reduction in ("mean", "sum"):
    add(f"ce_weighted_ignore_{reduction}", "SoftmaxCrossEntropyLoss",
        {"class_weight": class_weight.tolist(), "ignore_index": -100, "reduction": reduction},
        {"pred": ce_logits, "label": index}, ["pred"],
        lambda pred, label, r=reduction: F.cross_entropy(
            pred, label, weight=torch.tensor(class_weight), ignore_index=-100, reduction=r))
add("ce_smooth_weighted_ignore_mean", "SoftmaxCrossEntropyLoss",
    {"class_weight": class_weight.tolist(), "ignore_index": -100, "label_smoothing": 0.2,
     "reduction": "mean"}, {"pred": ce_logits, "label": index}, ["pred"],
    lambda pred, label: F.cross_entropy(pred, label, weight=torch.tensor(class_weight),
                                        ignore_index=-100, label_smoothing=0.2))
dense = rng.dirichlet(np.ones(classes), size=8)
add("ce_dense_weighted_mean", "SoftmaxCrossEntropyLoss",
    {"sparse_label": False, "class_weight": class_weight.tolist(), "reduction": "mean"},
    {"pred": ce_logits, "label": dense}, ["pred"],
    # probabilities as targets: 'mean' divides by the number of positions, not the weights
    lambda pred, label: F.cross_entropy(pred, label, weight=torch.tensor(class_weight)))
# a padded batch of token sequences (batch, time, classes); PyTorch wants (batch, classes, time)
tokens = rng.normal(size=(3, 6, classes))
token_labels = rng.integers(0, classes, size=(3, 6))
token_labels[0, 4:] = -100
token_labels[2, 2:] = -100
for reduction in ("mean", "sum"):
    add(f"ce_tokens_{reduction}", "SoftmaxCrossEntropyLoss",
        {"ignore_index": -100, "reduction": reduction},
        {"pred": tokens, "label": token_labels}, ["pred"],
        lambda pred, label, r=reduction: F.cross_entropy(
            pred.permute(0, 2, 1), label, ignore_index=-100, reduction=r))
add("ce_tokens_weighted_mean", "SoftmaxCrossEntropyLoss",
    {"ignore_index": -100, "class_weight": class_weight.tolist(), "reduction": "mean"},
    {"pred": tokens, "label": token_labels}, ["pred"],
    lambda pred, label: F.cross_entropy(pred.permute(0, 2, 1), label,
                                        weight=torch.tensor(class_weight), ignore_index=-100))
log_probs = torch.log_softmax(torch.tensor(ce_logits), dim=1).numpy()
add("nll_weighted_ignore_mean", "NLLLoss",
    {"class_weight": class_weight.tolist(), "ignore_index": -100, "reduction": "mean"},
    {"pred": log_probs, "label": index}, ["pred"],
    lambda pred, label: F.nll_loss(pred, label, weight=torch.tensor(class_weight),
                                   ignore_index=-100))

# CTC: PyTorch's 'mean' divides each sample's loss by its label length, then averages
frames, batch, ctc_classes = 7, 4, 5
activations = rng.normal(size=(batch, frames, ctc_classes))
ctc_labels = np.array([[1, 2, 2], [3, -1, -1], [4, 1, -1], [-1, -1, -1]])
label_lengths = np.array([3, 1, 2, 0])
for reduction in ("mean", "sum"):
    add(f"ctc_{reduction}", "CTCLoss", {"blank": "first", "reduction": reduction},
        {"pred": activations, "label": ctc_labels, "label_lengths": label_lengths}, ["pred"],
        lambda pred, label, label_lengths, r=reduction: F.ctc_loss(
            F.log_softmax(pred, dim=2).permute(1, 0, 2), label.clamp(min=0),
            torch.full((batch,), frames), label_lengths, blank=0, reduction=r),
        call={"label_lengths": "label_lengths"})


(HERE / "today_reference.json").write_text(json.dumps(
    {"generator": f"torch {torch.__version__}, tests/data/make_today_reference.py",
     "cases": cases}, indent=1) + "\n")
by_case = {}
for key, value in arrays.items():
    case, _, field = key.partition("/")
    by_case.setdefault(case, {})[field] = value
save(HERE / "today_reference.npz", by_case, torch.__version__)
print(f"wrote {len(cases)} cases with torch {torch.__version__}")
