"""KLDivLoss against PyTorch: values and autograd gradients stored by tests/data/make_kldiv_reference.py.

PyTorch is not needed here. ``F.kl_div(log_q, p, reduction='none')`` summed over the
non-batch axes is lossbook's ``KLDivLoss(from_logits=True)``; PyTorch's ``xlogy`` and
Gluon's ``log(p + 1e-12)`` differ by at most 1e-12 / p relative, and the stored labels
are either exactly 0 or at least 0.01, hence rtol=1e-9.
"""
from pathlib import Path

import numpy as np
import pytest

import lossbook as lb

DATA = Path(__file__).parent / "data" / "kldiv_reference.npz"
REFERENCE = np.load(DATA)
CASES = [entry.split(":") for entry in REFERENCE["cases"].tolist()]


def test_the_reference_file_holds_every_case():
    assert [name for name, _ in CASES] == ["logprob", "logprob_zeros", "logits", "logits_3d",
                                           "logits_large", "logits_weighted"]
    assert str(REFERENCE["torch_version"]).startswith("2.13.0")


@pytest.mark.parametrize("name,from_logits", CASES, ids=[name for name, _ in CASES])
def test_kldiv_matches_pytorch(name, from_logits):
    get = lambda key: REFERENCE[f"{name}_{key}"] if f"{name}_{key}" in REFERENCE else None
    pred, label = get("pred"), get("label")
    loss = lb.KLDivLoss(from_logits=bool(int(from_logits)))
    value, grad = loss.value_and_grad(pred, label, sample_weight=get("sample_weight"),
                                      out_grad=get("out_grad"))
    assert value.shape == (pred.shape[0],) and grad.shape == pred.shape
    np.testing.assert_allclose(value, get("value"), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grad, get("grad"), rtol=1e-9, atol=1e-12)
