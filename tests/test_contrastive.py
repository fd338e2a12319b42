"""InfoNCELoss and NTXentLoss by hand: the edge cases the formulas settle without a second
framework (PyTorch's values are in tests/test_references.py)."""
import numpy as np
import pytest

import lossbook as lb


@pytest.mark.parametrize("temperature", [0.02, 0.07, 0.5, 1.0])
@pytest.mark.parametrize("make", [lambda t: lb.InfoNCELoss(temperature=t),
                                  lambda t: lb.InfoNCELoss(temperature=t, symmetric=False),
                                  lambda t: lb.NTXentLoss(temperature=t)],
                         ids=["infonce", "one-way", "ntxent"])
def test_a_batch_of_one_pair_costs_exactly_nothing(make, temperature):
    """One pair: the partner is the only candidate, its softmax share is 1, the loss
    -log 1 = 0 and the gradient 0, whatever the embeddings (found by the property test:
    the loss came out -2.8e-17)."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        a, b = rng.normal(size=(1, 3)), rng.normal(size=(1, 3))
        out, (grad_a, grad_b) = make(temperature).value_and_grad(a, b)
        assert out[0] == 0.0
        # (the gradient's terms, of size 1/temperature, cancel up to rounding)
        assert np.abs(grad_a).max() < 1e-14 / temperature
        assert np.abs(grad_b).max() < 1e-14 / temperature


def test_a_small_loss_keeps_its_relative_precision():
    """Two orthogonal pairs at temperature 0.05: S_ii = 20, S_ij = 0, so each one-way term
    is log(1 + e^-20) = 2.06e-9, to the last digits (log of a sum near 1 would keep 8)."""
    pairs = np.eye(2)
    expected = np.log1p(np.exp(-20.0))
    one_way = lb.InfoNCELoss(temperature=0.05, symmetric=False)(pairs, pairs)
    both = lb.InfoNCELoss(temperature=0.05)(pairs, pairs)
    np.testing.assert_allclose(one_way, expected, rtol=1e-14)
    np.testing.assert_allclose(both, expected, rtol=1e-14)
    # NT-Xent: each view's other view scores 20, the two views of the other pair 0
    ntxent = lb.NTXentLoss(temperature=0.05)(pairs, pairs)
    np.testing.assert_allclose(ntxent, np.log1p(2 * np.exp(-20.0)), rtol=1e-14)


@pytest.mark.parametrize("make", [lambda: lb.InfoNCELoss(temperature=0.07),
                                  lambda: lb.NTXentLoss(temperature=0.1)],
                         ids=["infonce", "ntxent"])
def test_the_loss_is_never_below_zero(make):
    rng = np.random.default_rng(6)
    for n in (1, 2, 3, 8):
        a = rng.normal(size=(n, 4))
        b = a + 1e-3 * rng.normal(size=(n, 4))           # nearly perfect pairs
        assert np.all(make()(a, b) >= 0)
