"""Regression losses: values from hand computation (the arithmetic is in the comments),
float32 extremes, and the inputs the library once mishandled."""
import math

import numpy as np
import pytest

import lossbook as lb
from lossbook import registry

from samplers import sample

from helpers import finite32, message_names

F32 = np.float32


def test_l2_seed_example():
    # Gluon tutorial: L2Loss of ones against twos is 0.5 * (1 - 2)^2 = 0.5 per sample
    np.testing.assert_allclose(lb.L2Loss()(np.ones(2), np.full(2, 2.0)), [0.5, 0.5])
    # ... and with sample_weight [1, 2]: [0.5 * 1, 0.5 * 2]
    np.testing.assert_allclose(lb.L2Loss()(np.ones(2), np.full(2, 2.0), np.array([1, 2])),
                               [0.5, 1.0])


def test_l1_and_mse_seed_example():
    pred = np.array([[1.0, 2.5, 4.0, 0.5]])
    label = np.array([[2.0, 2.5, 2.0, 1.0]])
    # |errors| = 1, 0, 2, 0.5 -> mean 3.5 / 4 = 0.875
    np.testing.assert_allclose(lb.L1Loss()(pred, label), [0.875])
    # squared errors = 1, 0, 4, 0.25 -> mean 5.25 / 4 = 1.3125, twice the mean L2Loss
    np.testing.assert_allclose(2 * lb.L2Loss()(pred, label), [1.3125])


def test_huber_pieces():
    # rho = 2: error 1 is quadratic: 1^2 / (2 * 2) = 0.25; error 3 is linear: 3 - 2/2 = 2
    out, g = lb.HuberLoss(rho=2).value_and_grad(np.array([[1.0, -3.0]]), np.zeros((1, 2)))
    np.testing.assert_allclose(out, [(0.25 + 2.0) / 2])
    # slopes: 1 / 2 (error / rho), then sign(-3) = -1; each divided by 2 elements
    np.testing.assert_allclose(g, [[0.25, -0.5]])


def test_poisson_nll():
    # log-rate 0 (rate 1), target 2: e^0 - 2 * 0 = 1; Stirling for t = 2:
    # 2 log 2 - 2 + 0.5 log(4 pi)
    stirling = 2 * math.log(2) - 2 + 0.5 * math.log(4 * math.pi)
    np.testing.assert_allclose(lb.PoissonNLLLoss()([[0.0]], [[2.0]]), [1.0])
    np.testing.assert_allclose(lb.PoissonNLLLoss(compute_full=True)([[0.0]], [[2.0]]),
                               [1.0 + stirling], rtol=1e-12)
    # target 0 and 1 get no Stirling term and no NaN
    np.testing.assert_allclose(lb.PoissonNLLLoss(compute_full=True)([[0.0, 0.0]], [[0.0, 1.0]]),
                               [(1.0 + 1.0) / 2])
    # rate form: rate 2, target 4: 2 - 4 log(2 + 1e-8); derivative 1 - 4 / (2 + 1e-8)
    out, g = lb.PoissonNLLLoss(from_logits=False).value_and_grad([[2.0]], [[4.0]])
    np.testing.assert_allclose(out, [2 - 4 * math.log(2 + 1e-8)], rtol=1e-12)
    np.testing.assert_allclose(g, [[1 - 4 / (2 + 1e-8)]], rtol=1e-12)


def test_sample_weight_then_weight_then_mean():
    pred, label = np.array([[1.0, 3.0], [0.0, 0.0]]), np.zeros((2, 2))
    # per element 0.5 d^2 = [[0.5, 4.5], [0, 0]]; sample_weight [[2], [1]]; weight 3
    out = lb.L2Loss(weight=3.0)(pred, label, sample_weight=np.array([[2.0], [1.0]]))
    np.testing.assert_allclose(out, [3 * 2 * (0.5 + 4.5) / 2, 0.0])


def test_batch_axis_1():
    pred = np.array([[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]])
    out = lb.L1Loss(batch_axis=1)(pred, np.zeros_like(pred))
    np.testing.assert_allclose(out, [2.0, 3.0, 4.0])      # column means of |pred|


def test_out_grad_is_the_chain_rule():
    pred, label = np.array([[1.0, 3.0], [2.0, 0.0]]), np.zeros((2, 2))
    # d sum(v * out) / d pred = v_i * (pred - label) / 2 for L2Loss's mean over 2 elements
    g = lb.L2Loss().grad(pred, label, out_grad=np.array([10.0, -1.0]))
    np.testing.assert_allclose(g, [[5.0, 15.0], [-1.0, 0.0]])


EXTRA = ["LogCoshLoss", "QuantileLoss", "GaussianNLLLoss"]


def test_logcosh_matches_the_definition_by_the_standard_library():
    d = np.array([-5.0, -1.0, -0.3, 0.0, 0.7, 2.0, 10.0])
    expected = [math.log(math.cosh(v)) for v in d]          # fine for |d| < 700
    value, grad = lb.LogCoshLoss().value_and_grad(d.reshape(-1, 1), np.zeros((d.size, 1)))
    np.testing.assert_allclose(value, expected, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(grad[:, 0], [math.tanh(v) for v in d], rtol=1e-15)
    # tanh(0.5) = (e - 1) / (e + 1) = 1.718281828 / 3.718281828 = 0.4621171573
    np.testing.assert_allclose(lb.LogCoshLoss().grad([[0.5]], [[0.0]]), [[0.4621171573]], rtol=1e-9)


def test_logcosh_is_half_square_for_small_errors():
    # log cosh d = d^2/2 - d^4/12 + d^6/45 - ...; at d = 1e-3 the d^6 term is 4e-14 relative.
    d = np.array([[1e-3], [-1e-3], [1e-8]])
    series = d[:, 0] ** 2 / 2 - d[:, 0] ** 4 / 12
    np.testing.assert_allclose(lb.LogCoshLoss()(d, np.zeros_like(d)), series, rtol=1e-12)
    # ... and equal to L2Loss to first order
    np.testing.assert_allclose(lb.LogCoshLoss()(d, 0 * d), lb.L2Loss()(d, 0 * d), rtol=1e-6)


def test_logcosh_is_shifted_l1_for_large_errors():
    # log cosh d = |d| - log 2 + log(1 + e^{-2|d|}); at |d| = 30 the last term is 9e-27.
    d = np.array([[30.0], [-30.0], [1e300]])
    np.testing.assert_allclose(lb.LogCoshLoss()(d, np.zeros_like(d)),
                               np.abs(d[:, 0]) - math.log(2), rtol=1e-15)
    np.testing.assert_array_equal(lb.LogCoshLoss().grad(d, np.zeros_like(d)), [[1.0], [-1.0], [1.0]])


def test_quantile_values_and_gradient_by_hand():
    loss = lb.QuantileLoss(quantile=0.9)
    pred = np.array([[0.0, 0.0, 2.0]])
    label = np.array([[1.0, -1.0, 2.0]])
    # r = label - pred = (1, -1, 0): max(0.9, -0.1) = 0.9; max(-0.9, 0.1) = 0.1; 0. Mean 1/3.
    value, grad = loss.value_and_grad(pred, label)
    np.testing.assert_allclose(value, [1.0 / 3], rtol=1e-15)
    # d/dp: -q = -0.9 (label above), 1 - q = 0.1 (label below), 0 at equality; each / 3
    np.testing.assert_allclose(grad, [[-0.3, 0.1 / 3, 0.0]], rtol=1e-15)


def test_quantile_half_is_half_l1():
    rng = np.random.default_rng(1)
    pred, label = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    half, g_half = lb.QuantileLoss(0.5).value_and_grad(pred, label)
    l1, g_l1 = lb.L1Loss().value_and_grad(pred, label)
    np.testing.assert_allclose(half, l1 / 2, rtol=1e-15)
    np.testing.assert_allclose(g_half, g_l1 / 2, rtol=1e-15)


@pytest.mark.parametrize("quantile", [0, 1, -0.1, 1.5, True, "0.5"])
def test_quantile_out_of_range(quantile):
    with pytest.raises((ValueError, TypeError), match="QuantileLoss: quantile must "):
        lb.QuantileLoss(quantile=quantile)


def test_gaussian_nll_values_and_gradients_by_hand():
    loss = lb.GaussianNLLLoss()
    pred = np.array([[0.0, 0.0]])
    label = np.array([[2.0, 2.0]])
    var = np.array([[4.0, 1.0]])
    # element 0: 0.5 (log 4 + 4 / 4) = 0.5 (1.3862943611 + 1) = 1.1931471806
    # element 1: 0.5 (log 1 + 4 / 1) = 2; mean = 1.5965735903
    value, (d_pred, d_var) = loss.value_and_grad(pred, label, var)
    np.testing.assert_allclose(value, [1.5965735903], rtol=1e-10)
    # d/dp = (p - y) / v = (-0.5, -2), halved by the mean -> (-0.25, -1)
    np.testing.assert_allclose(d_pred, [[-0.25, -1.0]], rtol=1e-15)
    # d/dvar = (1/v - r^2/v^2) / 2 = (1/4 - 4/16)/2 = 0 (var = r^2 is the optimum) and
    #          (1 - 4)/2 = -1.5; halved by the mean -> (0, -0.75)
    np.testing.assert_allclose(d_var, [[0.0, -0.75]], atol=1e-16)


def test_gaussian_nll_with_unit_variance_is_l2_plus_a_constant():
    rng = np.random.default_rng(2)
    pred, label = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    ones = np.ones((5, 3))
    np.testing.assert_allclose(lb.GaussianNLLLoss()(pred, label, ones), lb.L2Loss()(pred, label),
                               rtol=1e-15)
    full = lb.GaussianNLLLoss(full=True)(pred, label, ones)
    np.testing.assert_allclose(full, lb.L2Loss()(pred, label) + 0.5 * math.log(2 * math.pi),
                               rtol=1e-15)
    np.testing.assert_allclose(lb.GaussianNLLLoss().grad(pred, label, ones)[0],
                               lb.L2Loss().grad(pred, label), rtol=1e-15)


def test_gaussian_nll_clamps_small_variance_with_zero_gradient():
    loss = lb.GaussianNLLLoss(eps=1e-6)
    # var = 0 -> v = 1e-6: 0.5 (log 1e-6 + 1e-6 / 1e-6) = 0.5 (-13.815510558 + 1) = -6.407755279
    value, (d_pred, d_var) = loss.value_and_grad([[0.0]], [[1e-3]], [[0.0]])
    np.testing.assert_allclose(value, [-6.407755279], rtol=1e-9)
    np.testing.assert_allclose(d_pred, [[-1e3]], rtol=1e-12)     # (0 - 1e-3) / 1e-6
    np.testing.assert_array_equal(d_var, [[0.0]])


def test_gaussian_nll_bad_input():
    pred = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"GaussianNLLLoss: var must lie in \[0, inf\) \(a variance\)"):
        lb.GaussianNLLLoss()(pred, pred, [[1.0, -1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match=r"GaussianNLLLoss: var of shape \(2,\).*pred of shape \(2, 2\)"):
        lb.GaussianNLLLoss()(pred, pred, np.ones(2))
    with pytest.raises(TypeError, match="GaussianNLLLoss: missing required argument 'var'"):
        lb.GaussianNLLLoss()(pred, pred)
    with pytest.raises(ValueError, match=r"GaussianNLLLoss: eps must lie in \(0, inf\)"):
        lb.GaussianNLLLoss(eps=0)


@pytest.mark.parametrize("name", EXTRA)
def test_float32_extremes_stay_finite_and_float32(name):
    record = registry.get(name)
    pred = np.array([[-1e4, 1e4, 0.0], [1e4, -1e4, 1.0]], dtype=np.float32)
    label = np.array([[1e4, -1e4, 0.0], [1e4, 0.0, -1.0]], dtype=np.float32)
    args = (pred, label)
    if name == "GaussianNLLLoss":
        args += (np.array([[1e-8, 1.0, 0.0], [1e4, 2.0, 1e-3]], dtype=np.float32),)
    value, grads = record.make().value_and_grad(*args)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert value.dtype == np.float32 and np.all(np.isfinite(value))
    for g in grads:
        assert g.dtype == np.float32 and g.shape == pred.shape and np.all(np.isfinite(g))


def test_float32_logcosh_extremes_by_hand():
    # |d| = 2e4: 2e4 - log 2 = 19999.307 in float32
    value = lb.LogCoshLoss()(np.array([[1e4]], dtype=np.float32), np.array([[-1e4]], dtype=np.float32))
    assert value.dtype == np.float32
    np.testing.assert_allclose(value, [2e4 - math.log(2)], rtol=1e-7)


def test_gaussian_nll_plot_trace_is_l2_at_unit_variance():
    record = registry.get("GaussianNLLLoss")
    x = np.linspace(-3, 3, 13)
    args, kwargs, pick = record.plot_inputs(x, 0.5, record.defaults)
    value, grads = record.make().value_and_grad(*args, **kwargs)
    # var = 1: 0.5 (x - 0.5)^2 and slope x - 0.5
    np.testing.assert_allclose(value, 0.5 * (x - 0.5) ** 2, rtol=1e-15)
    np.testing.assert_allclose(pick(grads), x - 0.5, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("loss", [lb.L1Loss(), lb.L2Loss(), lb.HuberLoss(), lb.HuberLoss(rho=1e-3)],
                         ids=repr)
def test_regression_losses_at_large_errors(loss):
    pred = np.array([[1e4, -1e4, 1e-30, 0.0]], dtype=F32)
    finite32(loss, pred, np.array([[-1e4, 1e4, 0.0, 0.0]], dtype=F32))


def test_poisson_at_huge_and_tiny_targets():
    target = np.array([[0.0, 1.0, 1e-30, 1e30]], dtype=F32)
    finite32(lb.PoissonNLLLoss(compute_full=True), np.array([[-80.0, 0.0, 5.0, 60.0]], dtype=F32),
              target)
    # rates of exactly 0 are fine thanks to epsilon
    finite32(lb.PoissonNLLLoss(from_logits=False, compute_full=True),
              np.array([[0.0, 0.0, 1e-30, 1e30]], dtype=F32), target)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="HuberLoss: rho"):
        lb.HuberLoss(rho=0)
    with pytest.raises(TypeError, match="L1Loss: weight"):
        lb.L1Loss(weight="2")
    with pytest.raises(TypeError, match="L1Loss: batch_axis"):
        lb.L1Loss(batch_axis=0.5)
    with pytest.raises(ValueError, match="SigmoidFocalLoss: gamma"):
        lb.SigmoidFocalLoss(gamma=-1)
    with pytest.raises(ValueError, match="MulticlassHingeLoss: formulation"):
        lb.MulticlassHingeLoss(formulation="ovr")


def test_huber_with_a_tiny_rho_in_float32_has_unit_slopes_not_infinities():
    """rho = 1e-40 is a float32 subnormal; 1 / rho overflows float32, so divide, never invert."""
    pred = np.array([[1.0, -2.0, 0.0]], np.float32)
    value, grad = lb.HuberLoss(rho=1e-40).value_and_grad(pred, np.zeros_like(pred))
    assert value.dtype == np.float32 and np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    # |d| - rho / 2 = |d| for d = 1, -2; 0 at d = 0; slopes sign(d) / 3 (the mean over 3)
    np.testing.assert_allclose(value, [(1.0 + 2.0 + 0.0) / 3], rtol=1e-6)
    np.testing.assert_allclose(grad, [[1 / 3, -1 / 3, 0.0]], rtol=1e-6)
