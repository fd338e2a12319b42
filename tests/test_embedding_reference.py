"""lossbook against PyTorch 2.13: values and autograd gradients stored in tests/data.

The data come from tests/data/make_embedding_reference.py (run it with torch installed to
regenerate); this test needs only numpy. All cases are float64 and away from kinks.
"""
import ast
import os

import numpy as np
import pytest

import lossbook as lb

DATA = os.path.join(os.path.dirname(__file__), "data", "embedding_reference.npz")

# case prefix -> (loss class, lossbook call arguments in order, differentiable inputs, per_element)
CASES = {
    "triplet_m1": (lb.TripletLoss, ("pred", "positive", "negative"), False),
    "triplet_m0": (lb.TripletLoss, ("pred", "positive", "negative"), False),
    "cosine_m0": (lb.CosineEmbeddingLoss, ("input1", "input2", "label"), False),
    "cosine_m03": (lb.CosineEmbeddingLoss, ("input1", "input2", "label"), False),
    "ranking": (lb.MarginRankingLoss, ("input1", "input2", "label"), True),
    "contrastive": (lb.ContrastiveLoss, ("input1", "input2", "label"), False),
    "gaussian": (lb.GaussianNLLLoss, ("pred", "label", "var"), True),
    "gaussian_full": (lb.GaussianNLLLoss, ("pred", "label", "var"), True),
    "huber_rho1": (lb.HuberLoss, ("pred", "label"), True),
    "huber_rho05": (lb.HuberLoss, ("pred", "label"), True),
    "huber_rho2": (lb.HuberLoss, ("pred", "label"), True),
}


@pytest.fixture(scope="module")
def reference():
    with np.load(DATA) as data:
        return {key: data[key] for key in data.files}


def test_reference_file_covers_every_case(reference):
    assert str(reference["torch_version"]).startswith("2.13")
    stored = {key.split("__")[0] for key in reference if "__" in key}
    assert stored == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_value_and_gradient_match_pytorch(reference, case):
    cls, arg_names, per_element = CASES[case]
    loss = cls(**ast.literal_eval(str(reference[f"{case}__config"])))
    args = [reference[f"{case}__{name}"] for name in arg_names]
    value, grads = loss.value_and_grad(*args)
    torch_value = reference[f"{case}__value"]
    if per_element:
        # torch's reduction='none' is per element; lossbook's elementwise() is the same thing,
        # and its output is the mean over the non-batch axes.
        np.testing.assert_allclose(loss.elementwise(*args), torch_value, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(value, torch_value.mean(axis=1), rtol=1e-12, atol=1e-14)
    else:
        np.testing.assert_allclose(value, torch_value, rtol=1e-12, atol=1e-14)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) == len(loss.grad_inputs)
    # atol 1e-11: torch's cosine puts its eps (1e-12) on the squared norms, and the cosine
    # gradient y/den - cos x/|x|^2 cancels, so single entries differ by ~1e-12 in absolute terms.
    for name, grad in zip(loss.grad_inputs, grads):
        np.testing.assert_allclose(grad, reference[f"{case}__grad_{name}"], rtol=1e-11, atol=1e-11,
                                   err_msg=f"{case}: gradient for {name}")


def test_pytorch_huber_is_rho_times_gluon_huber(reference):
    for case, rho in (("huber_rho1", 1.0), ("huber_rho05", 0.5), ("huber_rho2", 2.0)):
        pred, label = reference[f"{case}__pred"], reference[f"{case}__label"]
        np.testing.assert_allclose(rho * lb.HuberLoss(rho=rho).elementwise(pred, label),
                                   reference[f"{case}__torch_huber"], rtol=1e-12, atol=1e-14)


def test_reference_cases_exercise_both_sides_of_each_hinge(reference):
    """The stored inputs are not all on one branch (a reference that never hits 0 proves little)."""
    for case in ("triplet_m1", "triplet_m0", "cosine_m0", "cosine_m03", "ranking", "contrastive"):
        value = reference[f"{case}__value"]
        assert np.any(value == 0) and np.any(value > 0), case
