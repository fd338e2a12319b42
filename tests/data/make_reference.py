"""Regenerate tests/data/reference.npz + reference.json: Gluon losses evaluated with PyTorch.

Run with torch 2.13.0 (CPU build) in the venv:

    .venv/bin/pip install torch==2.13.0
    .venv/bin/python tests/data/make_reference.py

Each case evaluates PyTorch's own loss module (or, where PyTorch has none, the published
formula written with torch ops) with ``reduction='none'``, maps the result to Gluon's
per-sample semantics (mean over the non-batch axes), and takes the gradient of
``sum(out_grad * out)`` with autograd, in float64. tests/test_references.py compares
lossbook with the stored numbers (keys ``<case>/<field>``, read by tests/reference.py); it
does not need torch.
"""
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from store import save

HERE = Path(__file__).parent
rng = np.random.default_rng(20261122)
cases, arrays = [], {}


def per_sample_mean(out):
    return out.reshape(out.shape[0], -1).mean(dim=1)


def add(name, loss, config, inputs, grad_inputs, torch_fn, call=None):
    """inputs: dict name -> numpy array (order = lossbook's call order)."""
    tensors = {k: torch.tensor(v, dtype=torch.float64 if v.dtype.kind == "f" else torch.long,
                               requires_grad=k in grad_inputs) for k, v in inputs.items()}
    out = torch_fn(**tensors)
    out_grad = rng.normal(size=out.shape[0])
    (out * torch.tensor(out_grad)).sum().backward()
    cases.append({"name": name, "loss": loss, "config": config, "inputs": list(inputs),
                  "grad_inputs": list(grad_inputs), "call": call or {}})
    for key, value in inputs.items():
        arrays[f"{name}/{key}"] = value
    arrays[f"{name}/out"] = out.detach().numpy()
    arrays[f"{name}/out_grad"] = out_grad
    for key in grad_inputs:
        arrays[f"{name}/grad_{key}"] = tensors[key].grad.numpy()


shape = (5, 4)
pred, label = rng.normal(size=shape), rng.normal(size=shape)
add("l1", "L1Loss", {}, {"pred": pred, "label": label}, ["pred"],
    lambda pred, label: per_sample_mean(F.l1_loss(pred, label, reduction="none")))
add("l2", "L2Loss", {}, {"pred": pred, "label": label}, ["pred"],
    lambda pred, label: per_sample_mean(F.mse_loss(pred, label, reduction="none")) / 2)
for rho in (0.5, 1.0, 2.0):
    # Gluon's HuberLoss(rho) is PyTorch's SmoothL1Loss(beta=rho)
    add(f"huber_{rho}", "HuberLoss", {"rho": rho}, {"pred": 2 * pred, "label": label}, ["pred"],
        lambda pred, label, rho=rho: per_sample_mean(
            F.smooth_l1_loss(pred, label, beta=rho, reduction="none")))

logits, soft = 3 * rng.normal(size=shape), rng.uniform(size=shape)
add("bce_logits", "SigmoidBinaryCrossEntropyLoss", {}, {"pred": logits, "label": soft}, ["pred"],
    lambda pred, label: per_sample_mean(
        F.binary_cross_entropy_with_logits(pred, label, reduction="none")))
pos_weight = rng.uniform(0.5, 3.0, size=(1, 4))
add("bce_pos_weight", "SigmoidBinaryCrossEntropyLoss", {},
    {"pred": logits, "label": soft, "pos_weight": pos_weight}, ["pred"],
    lambda pred, label, pos_weight: per_sample_mean(F.binary_cross_entropy_with_logits(
        pred, label, pos_weight=pos_weight[0], reduction="none")),
    call={"pos_weight": "pos_weight"})
probs = rng.uniform(0.02, 0.98, size=shape)
add("bce_probs", "SigmoidBinaryCrossEntropyLoss", {"from_sigmoid": True},
    {"pred": probs, "label": soft}, ["pred"],
    lambda pred, label: per_sample_mean(F.binary_cross_entropy(pred, label, reduction="none")))

signs = rng.choice([-1.0, 1.0], size=shape)
add("logistic", "LogisticLoss", {}, {"pred": logits, "label": signs}, ["pred"],
    lambda pred, label: per_sample_mean(F.soft_margin_loss(pred, label, reduction="none")))
add("logistic_binary", "LogisticLoss", {"label_format": "binary"},
    {"pred": logits, "label": (signs + 1) / 2}, ["pred"],
    lambda pred, label: per_sample_mean(
        F.binary_cross_entropy_with_logits(pred, label, reduction="none")))
scores = 1.5 * rng.normal(size=shape)
add("hinge", "HingeLoss", {"margin": 1.0}, {"pred": scores, "label": signs}, ["pred"],
    lambda pred, label: per_sample_mean(torch.relu(1.0 - pred * label)))
add("squared_hinge", "SquaredHingeLoss", {"margin": 1.5}, {"pred": scores, "label": signs},
    ["pred"], lambda pred, label: per_sample_mean(torch.relu(1.5 - pred * label) ** 2))

rates = rng.normal(size=shape)
counts = rng.poisson(3.0, size=shape).astype(np.float64)
for full in (False, True):
    add(f"poisson_log_{full}", "PoissonNLLLoss", {"compute_full": full},
        {"pred": rates, "target": counts}, ["pred"],
        lambda pred, target, full=full: per_sample_mean(
            F.poisson_nll_loss(pred, target, log_input=True, full=full, reduction="none")))
add("poisson_rate", "PoissonNLLLoss", {"from_logits": False},
    {"pred": np.exp(rates), "target": counts}, ["pred"],
    lambda pred, target: per_sample_mean(
        F.poisson_nll_loss(pred, target, log_input=False, eps=1e-8, reduction="none")))

batch, classes = 6, 5
ce_logits = 2 * rng.normal(size=(batch, classes))
index = rng.integers(0, classes, size=batch)
class_weight = rng.uniform(0.5, 2.0, size=classes)
add("softmax_ce", "SoftmaxCrossEntropyLoss", {}, {"pred": ce_logits, "label": index}, ["pred"],
    lambda pred, label: F.cross_entropy(pred, label, reduction="none"))
add("softmax_ce_smooth_weighted", "SoftmaxCrossEntropyLoss",
    {"label_smoothing": 0.2, "class_weight": class_weight.tolist()},
    {"pred": ce_logits, "label": index}, ["pred"],
    lambda pred, label: F.cross_entropy(pred, label, weight=torch.tensor(class_weight),
                                        label_smoothing=0.2, reduction="none"))
dense = rng.dirichlet(np.ones(classes), size=batch)
add("softmax_ce_dense", "SoftmaxCrossEntropyLoss", {"sparse_label": False},
    {"pred": ce_logits, "label": dense}, ["pred"],
    lambda pred, label: F.cross_entropy(pred, label, reduction="none"))
seq_logits = rng.normal(size=(3, 4, classes))          # (batch, time, classes), axis -1
seq_index = rng.integers(0, classes, size=(3, 4))
add("softmax_ce_sequence", "SoftmaxCrossEntropyLoss", {}, {"pred": seq_logits, "label": seq_index},
    ["pred"], lambda pred, label: per_sample_mean(
        F.cross_entropy(pred.permute(0, 2, 1), label, reduction="none")))
log_probs = ce_logits - np.log(np.sum(np.exp(ce_logits), axis=1, keepdims=True))
ignore = index.copy()
ignore[1] = -100
add("nll_weighted_ignore", "NLLLoss", {"class_weight": class_weight.tolist(), "ignore_index": -100},
    {"pred": log_probs, "label": ignore}, ["pred"],
    lambda pred, label: F.nll_loss(pred, label, weight=torch.tensor(class_weight),
                                   ignore_index=-100, reduction="none"))
mm_scores = rng.normal(size=(batch, classes))
add("multiclass_hinge", "MulticlassHingeLoss", {"margin": 1.0},
    {"pred": mm_scores, "label": index}, ["pred"],
    # PyTorch's MultiMarginLoss divides the Weston-Watkins sum by the number of classes
    lambda pred, label: classes * F.multi_margin_loss(pred, label, margin=1.0, reduction="none"))


def focal(pred, label, alpha=0.25, gamma=2.0):
    # torchvision.ops.sigmoid_focal_loss, written out (torchvision has no CPU wheel here)
    p = torch.sigmoid(pred)
    ce = F.binary_cross_entropy_with_logits(pred, label, reduction="none")
    p_t = p * label + (1 - p) * (1 - label)
    loss = ce * (1 - p_t) ** gamma
    alpha_t = alpha * label + (1 - alpha) * (1 - label)
    return per_sample_mean(alpha_t * loss)


add("focal", "SigmoidFocalLoss", {}, {"pred": logits, "label": soft}, ["pred"], focal)

(HERE / "reference.json").write_text(json.dumps(
    {"generator": f"torch {torch.__version__}, tests/data/make_reference.py", "cases": cases},
    indent=1) + "\n")
by_case = {}
for key, value in arrays.items():
    case, _, name = key.partition("/")
    by_case.setdefault(case, {})[name] = value
save(HERE / "reference.npz", by_case, torch.__version__)
print(f"wrote {len(cases)} cases with torch {torch.__version__}")
