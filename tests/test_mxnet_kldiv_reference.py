"""KLDivLoss against MXNet 1.9.1 itself: values and autograd gradients stored by
tests/data/make_mxnet_kldiv_reference.py (MXNet is not needed here).

MXNet 1.9.1 sums the per-element terms over the non-batch axes (its API reference's
"averaged out" is stale), so its per-sample value is the KL divergence, as lossbook's is.
Both compute p * log(p + 1e-12), so they agree to rounding.
"""
from pathlib import Path

import numpy as np
import pytest

import lossbook as lb

REFERENCE = np.load(Path(__file__).parent / "data" / "mxnet_kldiv_reference.npz")
CASES = [entry.split(":") for entry in REFERENCE["cases"].tolist()]


def test_the_reference_file_holds_every_case():
    assert str(REFERENCE["mxnet_version"]) == "1.9.1"
    assert [name for name, _ in CASES] == ["conventions", "log_softmax_4x6", "logits_4x6",
                                           "logits_2x3x5"]


@pytest.mark.parametrize("name,from_logits", CASES, ids=[name for name, _ in CASES])
def test_kldiv_matches_mxnet_1_9_1(name, from_logits):
    pred, label = REFERENCE[f"{name}/pred"], REFERENCE[f"{name}/label"]
    mxnet_value, mxnet_grad = REFERENCE[f"{name}/value"], REFERENCE[f"{name}/grad"]
    value, grad = lb.KLDivLoss(from_logits=bool(int(from_logits))).value_and_grad(pred, label)
    np.testing.assert_allclose(value, mxnet_value, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad, mxnet_grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,from_logits", CASES, ids=[name for name, _ in CASES])
def test_mxnet_1_9_1_sums_over_the_non_batch_axes(name, from_logits):
    # The divergence computed here from its definition, per sample, with the same 1e-12:
    # MXNet's value is this sum, not the mean over the elements of a sample.
    pred, label = REFERENCE[f"{name}/pred"], REFERENCE[f"{name}/label"]
    log_q = pred if int(from_logits) else pred - np.log(np.exp(pred).sum(-1, keepdims=True))
    axes = tuple(range(1, pred.ndim))
    divergence = np.sum(label * (np.log(label + 1e-12) - log_q), axis=axes)
    elements = int(np.prod(pred.shape[1:]))
    assert elements > 1
    np.testing.assert_allclose(REFERENCE[f"{name}/value"], divergence, rtol=1e-12)
    assert not np.allclose(REFERENCE[f"{name}/value"], divergence / elements)
