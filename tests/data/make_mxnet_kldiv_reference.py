"""Regenerate mxnet_kldiv_reference.npz: what MXNet 1.9.1's gluon.loss.KLDivLoss returns.

MXNet 1.9.1 is not in requirements.txt: it needs numpy < 1.24, so it runs in a venv of its
own. From the repository root:

    python3 -m venv /tmp/mxnet-venv
    /tmp/mxnet-venv/bin/pip install mxnet==1.9.1 "numpy<1.24"
    /tmp/mxnet-venv/bin/python tests/data/make_mxnet_kldiv_reference.py

Why: MXNet 1.9.1's API reference says a loss's non-batch axes are "averaged out", but its
``KLDivLoss.hybrid_forward`` ends with ``F.sum(loss, axis=self._batch_axis, exclude=True)``
(the change from ``F.mean`` came with apache/mxnet PR #19356, first released in 1.9.0).
These numbers are MXNet's own, so the book and the tests can compare lossbook with what
MXNet computes rather than with a restatement of either.

Every case ``<name>`` stores ``<name>/pred``, ``<name>/label``, ``<name>/value`` (the
per-sample output) and ``<name>/grad`` (autograd's d value.sum() / d pred), all float64;
``cases`` lists "name:from_logits" with from_logits 0 or 1; ``mxnet_version`` says which
MXNet produced them. The cases:

- ``conventions``: from_logits=True on ``kl/log_q`` and ``kl/p`` of conventions_reference.npz,
  the inputs of PyTorch's numbers in the appendix, so the three libraries share inputs;
- ``log_softmax_4x6``: from_logits=True on MXNet's own log_softmax of (4, 6) scores;
- ``logits_4x6``: from_logits=False on the same scores (MXNet applies the log_softmax);
- ``logits_2x3x5``: from_logits=False on (2, 3, 5) scores: two non-batch axes.
"""
from pathlib import Path

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd

HERE = Path(__file__).parent
OUT = HERE / "mxnet_kldiv_reference.npz"
rng = np.random.default_rng(20261201)


def labels(shape):
    """Probability rows along the last axis, every entry at least 0.01."""
    return 0.95 * rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]) + 0.05 / shape[-1]


def run(pred, label, from_logits):
    x = nd.array(pred, dtype="float64")
    x.attach_grad()
    with autograd.record():
        value = gluon.loss.KLDivLoss(from_logits=from_logits)(x, nd.array(label, dtype="float64"))
    value.backward()
    return value.asnumpy(), x.grad.asnumpy()


def main():
    conventions = np.load(HERE / "conventions_reference.npz")
    scores = rng.normal(size=(4, 6))
    cases = {
        "conventions": (conventions["kl/log_q"], conventions["kl/p"], True),
        "log_softmax_4x6": (nd.log_softmax(nd.array(scores, dtype="float64"), axis=-1).asnumpy(),
                            labels((4, 6)), True),
        "logits_4x6": (scores, labels((4, 6)), False),
        "logits_2x3x5": (rng.normal(size=(2, 3, 5)), labels((2, 3, 5)), False),
    }
    arrays = {"mxnet_version": np.array(mx.__version__),
              "cases": np.array([f"{name}:{int(flag)}" for name, (_, _, flag) in cases.items()])}
    for name, (pred, label, from_logits) in cases.items():
        value, grad = run(pred, label, from_logits)
        arrays.update({f"{name}/pred": pred, f"{name}/label": label,
                       f"{name}/value": value, f"{name}/grad": grad})
    np.savez(OUT, **arrays)
    print(f"wrote {OUT} (MXNet {mx.__version__})")


if __name__ == "__main__":
    main()
