"""lossbook against PyTorch 2.13: values and gradients stored by tests/data/make_reference.py.

The data hold PyTorch's outputs mapped to Gluon's per-sample semantics and autograd
gradients of sum(out_grad * out); this test needs numpy only.
"""
import json
from pathlib import Path

import numpy as np
import pytest

import lossbook as lb

DATA = Path(__file__).parent / "data"
META = json.loads((DATA / "reference.json").read_text())
ARRAYS = np.load(DATA / "reference.npz")


@pytest.mark.parametrize("case", META["cases"], ids=lambda c: c["name"])
def test_matches_pytorch(case):
    name = case["name"]
    loss = getattr(lb, case["loss"])(**case["config"])
    call = {key: ARRAYS[f"{name}/{value}"] for key, value in case["call"].items()}
    args = [ARRAYS[f"{name}/{key}"] for key in case["inputs"] if key not in case["call"]]
    out, grads = loss.value_and_grad(*args, out_grad=ARRAYS[f"{name}/out_grad"], **call)
    np.testing.assert_allclose(out, ARRAYS[f"{name}/out"], rtol=1e-9, atol=1e-11)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) == len(case["grad_inputs"])
    for g, key in zip(grads, case["grad_inputs"]):
        np.testing.assert_allclose(g, ARRAYS[f"{name}/grad_{key}"], rtol=1e-9, atol=1e-11,
                                   err_msg=f"{name}: gradient for {key}")


def test_every_gluon_loss_has_reference_data():
    covered = {case["loss"] for case in META["cases"]}
    gluon = {"L1Loss", "L2Loss", "HuberLoss", "SigmoidBinaryCrossEntropyLoss",
             "SoftmaxCrossEntropyLoss", "HingeLoss", "SquaredHingeLoss", "LogisticLoss",
             "PoissonNLLLoss"}
    assert gluon <= covered, sorted(gluon - covered)
