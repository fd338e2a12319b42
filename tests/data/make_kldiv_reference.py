"""Regenerate kldiv_reference.npz: KLDivLoss reference values and gradients from PyTorch.

Run from the repository root with PyTorch installed (CPU build):

    .venv/bin/pip install torch==2.13.0
    .venv/bin/python tests/data/make_kldiv_reference.py

The mapping to lossbook: ``torch.nn.functional.kl_div(log_q, p, reduction='none')`` is the
per-element ``p * (log p - log_q)``; summed over every non-batch axis it is
``lossbook.KLDivLoss(from_logits=True)(log_q, p)``. For ``from_logits=False`` the script
feeds ``F.log_softmax(logits, dim=-1)``. Gradients come from torch.autograd, with the
head gradient ``out_grad`` (ones unless stored) on the per-sample values.

PyTorch computes ``p log p`` with ``xlogy`` (exact 0 for p = 0); Gluon and lossbook use
``p log(p + 1e-12)``. The two agree exactly at p = 0 and differ by at most 1e-12 / p
relative elsewhere; labels here are at least 0.01 where they are not exactly 0, so
the test compares with rtol=1e-9. Everything is float64.

Each case ``<name>`` stores ``<name>/pred``, ``<name>/label``, ``<name>/value``,
``<name>/grad``, ``<name>/from_logits`` and, when used, ``<name>/sample_weight`` and
``<name>/out_grad`` (tests/data/store.py; read by tests/reference.py).
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from store import save

OUT = Path(__file__).with_name("kldiv_reference.npz")


def _labels(rng, shape, zeros=False):
    """Probability rows along the last axis, every entry >= 0.01 unless set to exactly 0."""
    classes = shape[-1]
    rows = 0.95 * rng.dirichlet(np.ones(classes), size=shape[:-1]) + 0.05 / classes
    if zeros:
        rows[..., 0] = 0.0                   # one impossible class per row
        rows /= rows.sum(axis=-1, keepdims=True)
    return rows


def _case(pred, label, from_logits, sample_weight=None, out_grad=None):
    x = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    p = torch.tensor(label, dtype=torch.float64)
    log_q = x if from_logits else F.log_softmax(x, dim=-1)
    per_element = F.kl_div(log_q, p, reduction="none")
    if sample_weight is not None:
        per_element = per_element * torch.tensor(sample_weight, dtype=torch.float64)
    value = per_element.sum(dim=tuple(range(1, per_element.dim())))
    head = torch.ones_like(value) if out_grad is None else torch.tensor(out_grad, dtype=torch.float64)
    value.backward(head)
    out = {"pred": pred, "label": label, "value": value.detach().numpy(), "grad": x.grad.numpy()}
    if sample_weight is not None:
        out["sample_weight"] = sample_weight
    if out_grad is not None:
        out["out_grad"] = out_grad
    return out


def main():
    rng = np.random.default_rng(20261122)
    cases = {}
    # log-probabilities in (from_logits=True), 2-D and with zero labels
    logp = torch.log_softmax(torch.tensor(rng.normal(scale=2.0, size=(5, 6))), dim=-1).numpy()
    cases["logprob"] = (True, _case(logp, _labels(rng, (5, 6)), True))
    logp = torch.log_softmax(torch.tensor(rng.normal(scale=2.0, size=(4, 3))), dim=-1).numpy()
    cases["logprob_zeros"] = (True, _case(logp, _labels(rng, (4, 3), zeros=True), True))
    # logits in (from_logits=False), 2-D, 3-D (sum over two non-batch axes), large logits
    cases["logits"] = (False, _case(rng.normal(scale=2.0, size=(5, 6)), _labels(rng, (5, 6)), False))
    cases["logits_3d"] = (False, _case(rng.normal(size=(3, 2, 4)), _labels(rng, (3, 2, 4)), False))
    cases["logits_large"] = (False, _case(rng.normal(scale=50.0, size=(4, 5)),
                                          _labels(rng, (4, 5), zeros=True), False))
    # per-element sample_weight and a head gradient
    cases["logits_weighted"] = (False, _case(
        rng.normal(size=(4, 5)), _labels(rng, (4, 5)), False,
        sample_weight=rng.uniform(0.5, 2.0, size=(4, 5)), out_grad=rng.normal(size=4)))
    store = {name: {"from_logits": flag, **data} for name, (flag, data) in cases.items()}
    save(OUT, {name: {key: np.asarray(value, dtype=np.float64) if key != "from_logits"
                      else np.asarray(value) for key, value in fields.items()}
               for name, fields in store.items()}, torch.__version__, compressed=False)
    print(f"wrote {OUT} ({len(cases)} cases, torch {torch.__version__})")


if __name__ == "__main__":
    main()
