"""Regenerate conventions_reference.npz: PyTorch's numbers for the appendix on conventions.

Run from the repository root with PyTorch installed (CPU build):

    .venv/bin/pip install torch==2.13.0
    .venv/bin/python tests/data/make_conventions_reference.py

Where tests/data/reference.npz maps PyTorch to Gluon's per-sample semantics, this file keeps
PyTorch's own conventions, unmapped, so that the appendix (book/appendix_conventions.ipynb)
and tests/test_conventions_reference.py can show each difference against numbers PyTorch
produced. Every array is float64; the keys:

- ``huber/d``, ``huber/out``: ``F.huber_loss(d, 0, delta=2, reduction='none')``.
- ``bce_certain_wrong``: ``F.binary_cross_entropy(0, 1)``, PyTorch's clamp of log 0 at -100.
- ``ce_mean``: ``F.cross_entropy(..., weight, label_smoothing=0.2, reduction='mean')`` on the
  inputs of the ``softmax_ce_smooth_weighted`` case of reference.npz.
- ``kl/p``, ``kl/log_q``, ``kl/batchmean``, ``kl/mean``: ``F.kl_div(log_q, p)`` with
  ``reduction='batchmean'`` and with the default ``'mean'``.
- ``poisson/target``, ``poisson/out``: ``F.poisson_nll_loss(0, t, log_input=True, full=True,
  reduction='none')`` at t = 0, 1, 3.
- ``kink/<name>``: the autograd gradient at a kink (see ``KINKS`` below).
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from store import save

HERE = Path(__file__).parent
OUT = HERE / "conventions_reference.npz"
rng = np.random.default_rng(20261129)
arrays = {}


def t(value, requires_grad=False):
    return torch.tensor(value, dtype=torch.float64, requires_grad=requires_grad)


# PyTorch's HuberLoss(delta) is Huber's (1964) loss: delta times SmoothL1Loss(beta=delta)
d = np.linspace(-4.0, 4.0, 81)
arrays["huber/d"] = d
arrays["huber/out"] = F.huber_loss(t(d), t(np.zeros_like(d)), delta=2.0, reduction="none").numpy()

# BCELoss on a certain, wrong probability
arrays["bce/certain_wrong"] = np.array(
    F.binary_cross_entropy(t([0.0]), t([1.0]), reduction="none").item())

# CrossEntropyLoss(weight, label_smoothing) with the default reduction='mean'
reference = np.load(HERE / "reference.npz")
cases = {case["name"]: case for case in json.loads((HERE / "reference.json").read_text())["cases"]}
case = cases["softmax_ce_smooth_weighted"]
logits = reference["softmax_ce_smooth_weighted/pred"]
index = reference["softmax_ce_smooth_weighted/label"]
arrays["ce/mean"] = np.array(F.cross_entropy(
    t(logits), torch.tensor(index, dtype=torch.long), weight=t(case["config"]["class_weight"]),
    label_smoothing=case["config"]["label_smoothing"], reduction="mean").item())

# KLDivLoss: 'batchmean' (the true divergence, averaged over the batch) and the default 'mean'
p = rng.dirichlet(np.ones(4), size=3)
log_q = np.log(rng.dirichlet(np.ones(4), size=3))
arrays["kl/p"], arrays["kl/log_q"] = p, log_q
arrays["kl/batchmean"] = np.array(F.kl_div(t(log_q), t(p), reduction="batchmean").item())
arrays["kl/mean"] = np.array(F.kl_div(t(log_q), t(p), reduction="mean").item())

# PoissonNLLLoss(full=True) at targets 0, 1 and 3 (Stirling's term only where target > 1)
target = np.array([0.0, 1.0, 3.0])
arrays["poisson/target"] = target
arrays["poisson/out"] = F.poisson_nll_loss(
    t(np.zeros(3)), t(target), log_input=True, full=True, reduction="none").numpy()


def kink_grad(fn, *inputs):
    """d fn(*inputs).sum() / d inputs[0], by autograd."""
    tensors = [t(x, requires_grad=(i == 0)) for i, x in enumerate(inputs)]
    fn(*tensors).sum().backward()
    return tensors[0].grad.numpy()


KINKS = {
    # |p - y| at p == y: sign(0) = 0
    "l1": kink_grad(lambda p, y: F.l1_loss(p, y, reduction="none"), [2.0], [2.0]),
    # max(0, 1 - y x) written with relu, at y x == 1: relu'(0) = 0
    "hinge_relu": kink_grad(lambda x, y: F.relu(1 - y * x), [1.0], [1.0]),
    # MultiMarginLoss on the margin: 0
    "multi_margin": kink_grad(
        lambda s: F.multi_margin_loss(s, torch.tensor([0]), margin=1.0, reduction="none"),
        [[1.0, 0.0]]),
    # MarginRankingLoss on the margin: built on clamp_min, which passes the gradient at the kink
    "margin_ranking": kink_grad(
        lambda x1, x2, y: F.margin_ranking_loss(x1, x2, y, margin=1.0, reduction="none"),
        [1.0], [0.0], [1.0]),
    # BCEWithLogitsLoss at x = 0 with label 1: the true derivative sigma(0) - 1
    "bce_logits": kink_grad(
        lambda x, z: F.binary_cross_entropy_with_logits(x, z, reduction="none"), [0.0], [1.0]),
}
for name, grad in KINKS.items():
    arrays[f"kink/{name}"] = grad

by_case = {}
for key, value in arrays.items():
    case, _, name = key.partition("/")
    by_case.setdefault(case, {})[name] = value
save(OUT, by_case, torch.__version__, compressed=False)
print(f"wrote {OUT} ({len(arrays)} arrays, torch {torch.__version__})")
