"""Regenerate hessian_reference.npz + hessian_reference.json: the Hessian's diagonal of every
loss with hess_diag, by PyTorch's autograd.

Run with torch 2.13.0 (CPU build) in the venv:

    .venv/bin/pip install torch==2.13.0
    .venv/bin/python tests/data/make_hessian_reference.py

Each case writes the loss in torch (PyTorch's own loss function with ``reduction='none'``
where it has one, else the published formula in torch ops), maps it to Gluon's per-sample
semantics (the mean over the non-batch axes of ``sample_weight`` times the per-element
loss), and differentiates ``sum(out_grad * per_sample)`` twice with
``torch.autograd.functional.hessian`` on the whole input; the stored ``hess_<input>`` is the
diagonal of that full Hessian, reshaped to the input's shape. The value and the gradient
are stored too (the gradient of BrierLoss has no other reference). Everything is float64.
The "kink" cases put inputs exactly on a kink (a zero residual for L1, |d| = rho for Huber,
the margin for the hinges), where autograd's conventions (sign'(0) = relu'(0) = 0 and the
linear branch of smooth_l1 at |d| = beta) give the curvature 0, lossbook's convention.

Keys ``<case>/<field>`` (tests/data/store.py); hessian_reference.json lists each case's
loss, configuration and call, as reference.json does. tests/test_references.py reads them
with tests/reference.py and does not need torch.
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.autograd.functional import hessian, jacobian

from store import save

HERE = Path(__file__).parent
rng = np.random.default_rng(20261130)
cases, meta = {}, []


def per_sample(elements, weight):
    """The mean over the non-batch axes of ``weight * elements``; a weight with fewer axes
    (one per sample) is laid along the batch axis."""
    weight = weight.reshape(weight.shape + (1,) * (elements.dim() - weight.dim()))
    return (elements * weight).reshape(elements.shape[0], -1).mean(dim=1)


def add(name, loss, config, inputs, grad_inputs, torch_fn, call=None, weight_shape=None):
    """inputs: name -> numpy array, in lossbook's call order; torch_fn(**tensors) gives the
    per-element loss (any shape with the batch first)."""
    first = inputs[grad_inputs[0]]
    weight = rng.uniform(0.5, 2.0, size=weight_shape or first.shape)
    out_grad = rng.normal(size=first.shape[0])
    fixed = {k: torch.tensor(v) for k, v in inputs.items() if k not in grad_inputs}
    w, head = torch.tensor(weight), torch.tensor(out_grad)

    def objective(*diff):
        return torch.sum(head * per_sample(torch_fn(**fixed, **dict(zip(grad_inputs, diff))), w))

    diff = tuple(torch.tensor(inputs[k]) for k in grad_inputs)
    with torch.no_grad():
        value = per_sample(torch_fn(**fixed, **dict(zip(grad_inputs, diff))), w)
    grads = jacobian(objective, diff)
    blocks = hessian(objective, diff)
    data = dict(inputs, sample_weight=weight, out_grad=out_grad, out=value.numpy())
    for k, key in enumerate(grad_inputs):
        size = inputs[key].size
        data[f"grad_{key}"] = grads[k].numpy()
        data[f"hess_{key}"] = blocks[k][k].reshape(size, size).diagonal().reshape(
            inputs[key].shape).numpy()
    cases[name] = data
    meta.append({"name": name, "loss": loss, "config": config, "inputs": list(inputs),
                 "grad_inputs": list(grad_inputs), "call": call or {}})


def away(values, kinks, gap=0.1):
    values = values.copy()
    for kink in kinks:
        close = np.abs(values - kink) < gap
        values[close] = kink + gap * np.where(values[close] >= kink, 1.0, -1.0)
    return values


shape = (4, 3)
label = rng.normal(size=shape)
resid = away(rng.normal(scale=1.5, size=shape), (0.0, 0.5, -0.5, 2.0, -2.0))
pred = label + resid
add("l2", "L2Loss", {}, {"pred": pred, "label": label}, ["pred"],
    lambda pred, label: F.mse_loss(pred, label, reduction="none") / 2)
add("l1", "L1Loss", {}, {"pred": pred, "label": label}, ["pred"],
    lambda pred, label: F.l1_loss(pred, label, reduction="none"))
for rho in (0.5, 2.0):
    add(f"huber_{rho}", "HuberLoss", {"rho": rho}, {"pred": pred, "label": label}, ["pred"],
        lambda pred, label, rho=rho: F.smooth_l1_loss(pred, label, beta=rho, reduction="none"))
add("logcosh", "LogCoshLoss", {}, {"pred": pred, "label": label}, ["pred"],
    lambda pred, label: torch.log(torch.cosh(pred - label)))
add("quantile", "QuantileLoss", {"quantile": 0.3}, {"pred": pred, "label": label}, ["pred"],
    lambda pred, label: torch.maximum(0.3 * (label - pred), -0.7 * (label - pred)))

counts = rng.poisson(3.0, size=shape).astype(np.float64)
log_rate = rng.normal(scale=0.5, size=shape) + 1.0
add("poisson_log", "PoissonNLLLoss", {}, {"pred": log_rate, "target": counts}, ["pred"],
    lambda pred, target: F.poisson_nll_loss(pred, target, log_input=True, reduction="none"))
add("poisson_rate", "PoissonNLLLoss", {"from_logits": False},
    {"pred": np.exp(log_rate), "target": counts}, ["pred"],
    lambda pred, target: F.poisson_nll_loss(pred, target, log_input=False, eps=1e-8,
                                            reduction="none"))
var = rng.uniform(0.3, 3.0, size=shape)
add("gaussian", "GaussianNLLLoss", {}, {"pred": pred, "label": label, "var": var},
    ["pred", "var"],
    lambda pred, label, var: F.gaussian_nll_loss(pred, label, var, reduction="none"))

logits = rng.normal(scale=2.0, size=shape)
soft = rng.uniform(size=shape)
add("bce_logits", "SigmoidBinaryCrossEntropyLoss", {}, {"pred": logits, "label": soft},
    ["pred"], lambda pred, label: F.binary_cross_entropy_with_logits(pred, label,
                                                                      reduction="none"))
pos_weight = rng.uniform(0.5, 3.0, size=(1, 3))
add("bce_pos_weight", "SigmoidBinaryCrossEntropyLoss", {},
    {"pred": logits, "label": soft, "pos_weight": pos_weight}, ["pred"],
    lambda pred, label, pos_weight: F.binary_cross_entropy_with_logits(
        pred, label, pos_weight=pos_weight[0], reduction="none"),
    call={"pos_weight": "pos_weight"})
probs = rng.uniform(0.05, 0.95, size=shape)
add("bce_probs", "SigmoidBinaryCrossEntropyLoss", {"from_sigmoid": True},
    {"pred": probs, "label": soft}, ["pred"],
    lambda pred, label: F.binary_cross_entropy(pred, label, reduction="none"))
signs = rng.choice([-1.0, 1.0], size=shape)
add("logistic", "LogisticLoss", {}, {"pred": logits, "label": signs}, ["pred"],
    lambda pred, label: F.soft_margin_loss(pred, label, reduction="none"))
scores = signs * away(rng.normal(scale=2.0, size=shape), (1.0, 1.5))
add("hinge", "HingeLoss", {}, {"pred": scores, "label": signs}, ["pred"],
    lambda pred, label: torch.relu(1.0 - pred * label))
add("squared_hinge", "SquaredHingeLoss", {"margin": 1.5}, {"pred": scores, "label": signs},
    ["pred"], lambda pred, label: torch.relu(1.5 - pred * label) ** 2)


def focal(pred, label, alpha=0.25, gamma=2.0):
    # torchvision.ops.sigmoid_focal_loss, written out (as in make_reference.py)
    p = torch.sigmoid(pred)
    ce = F.binary_cross_entropy_with_logits(pred, label, reduction="none")
    p_t = p * label + (1 - p) * (1 - label)
    alpha_t = alpha * label + (1 - alpha) * (1 - label)
    return alpha_t * ce * (1 - p_t) ** gamma


add("focal", "SigmoidFocalLoss", {}, {"pred": logits, "label": soft}, ["pred"], focal)
add("focal_gamma_05", "SigmoidFocalLoss", {"gamma": 0.5},
    {"pred": logits, "label": np.round(soft)}, ["pred"],
    lambda pred, label: focal(pred, label, gamma=0.5))

batch, classes = 5, 4
ce_scores = rng.normal(scale=2.0, size=(batch, classes))
index = rng.integers(0, classes, size=batch)
class_weight = rng.uniform(0.5, 2.0, size=classes)
add("softmax_ce", "SoftmaxCrossEntropyLoss", {}, {"pred": ce_scores, "label": index}, ["pred"],
    lambda pred, label: F.cross_entropy(pred, label, reduction="none"), weight_shape=(batch,))
add("softmax_ce_smooth_weighted", "SoftmaxCrossEntropyLoss",
    {"label_smoothing": 0.2, "class_weight": class_weight.tolist()},
    {"pred": ce_scores, "label": index}, ["pred"],
    lambda pred, label: F.cross_entropy(pred, label, weight=torch.tensor(class_weight),
                                        label_smoothing=0.2, reduction="none"),
    weight_shape=(batch,))
ignored = index.copy()
ignored[2] = 3 if index[2] != 3 else 2
add("softmax_ce_ignore", "SoftmaxCrossEntropyLoss", {"ignore_index": int(ignored[2])},
    {"pred": ce_scores, "label": ignored}, ["pred"],
    lambda pred, label: F.cross_entropy(pred, label, ignore_index=int(ignored[2]),
                                        reduction="none"), weight_shape=(batch,))
dense = rng.dirichlet(np.ones(classes), size=batch)
add("softmax_ce_dense", "SoftmaxCrossEntropyLoss", {"sparse_label": False},
    {"pred": ce_scores, "label": dense}, ["pred"],
    lambda pred, label: F.cross_entropy(pred, label, reduction="none"), weight_shape=(batch,))
seq_scores = rng.normal(size=(3, 2, classes))                  # (batch, positions, classes)
seq_index = rng.integers(0, classes, size=(3, 2))
add("softmax_ce_sequence", "SoftmaxCrossEntropyLoss", {},
    {"pred": seq_scores, "label": seq_index}, ["pred"],
    lambda pred, label: F.cross_entropy(pred.permute(0, 2, 1), label, reduction="none"),
    weight_shape=(3,))
log_probs = torch.log_softmax(torch.tensor(ce_scores), dim=1).numpy()
add("nll_weighted", "NLLLoss", {"class_weight": class_weight.tolist()},
    {"pred": log_probs, "label": index}, ["pred"],
    lambda pred, label: F.nll_loss(pred, label, weight=torch.tensor(class_weight),
                                   reduction="none"), weight_shape=(batch,))
add("multiclass_hinge", "MulticlassHingeLoss", {},
    {"pred": ce_scores, "label": index}, ["pred"],
    # (PyTorch's multi_margin_loss has no second derivative: the Weston-Watkins sum in ops)
    lambda pred, label: torch.sum(torch.relu(1.0 + pred - pred.gather(1, label[:, None]))
                                  * (1 - F.one_hot(label, classes)), dim=1),
    weight_shape=(batch,))

add("brier_sigmoid", "BrierLoss", {}, {"pred": logits, "label": soft}, ["pred"],
    lambda pred, label: (torch.sigmoid(pred) - label) ** 2)
add("brier_identity", "BrierLoss", {"link": "identity"}, {"pred": probs, "label": soft},
    ["pred"], lambda pred, label: (pred - label) ** 2)
add("brier_softmax", "BrierLoss", {"link": "softmax"}, {"pred": ce_scores, "label": index},
    ["pred"], lambda pred, label: torch.sum(
        (torch.softmax(pred, dim=1) - F.one_hot(label, classes)) ** 2, dim=1),
    weight_shape=(batch,))
add("brier_softmax_dense", "BrierLoss", {"link": "softmax", "sparse_label": False},
    {"pred": ce_scores, "label": dense}, ["pred"],
    lambda pred, label: torch.sum((torch.softmax(pred, dim=1) - label) ** 2, dim=1),
    weight_shape=(batch,))

# inputs on the kinks (kink_at lists the positions, along the last axis, that are)
at = np.array([[0.0, 0.5, -0.5, 2.0]])
add("kink_l1", "L1Loss", {}, {"pred": at, "label": at.copy()}, ["pred"],
    lambda pred, label: F.l1_loss(pred, label, reduction="none"))
add("kink_huber", "HuberLoss", {"rho": 0.5}, {"pred": at, "label": np.zeros_like(at)}, ["pred"],
    lambda pred, label: F.smooth_l1_loss(pred, label, beta=0.5, reduction="none"))
margin_at = np.array([[1.0, -1.0, 1.0, -1.0]])
margin_sign = np.array([[1.0, -1.0, -1.0, 1.0]])
add("kink_hinge", "HingeLoss", {}, {"pred": margin_at, "label": margin_sign}, ["pred"],
    lambda pred, label: torch.relu(1.0 - pred * label))
add("kink_squared_hinge", "SquaredHingeLoss", {}, {"pred": margin_at, "label": margin_sign},
    ["pred"], lambda pred, label: torch.relu(1.0 - pred * label) ** 2)

for name, positions in (("kink_l1", [0, 1, 2, 3]), ("kink_huber", [1, 2]),
                        ("kink_hinge", [0, 1]), ("kink_squared_hinge", [0, 1])):
    cases[name]["kink_at"] = np.array(positions)
save(HERE / "hessian_reference.npz", cases, torch.__version__)
(HERE / "hessian_reference.json").write_text(json.dumps(
    {"generator": f"torch {torch.__version__}, tests/data/make_hessian_reference.py",
     "cases": meta}, indent=1) + "\n")
print(f"wrote hessian_reference.npz and .json ({len(cases)} cases, torch {torch.__version__})")
