"""hess_diag by hand: values worked out on paper, the kink convention, float32 extremes.

The generic check against central differences of the gradient is in test_registry.py
(every loss with ``has_hess_diag``, every configuration); the values PyTorch's autograd
gives are in test_references.py. Here each expected number comes from the formula, worked
out by hand in the comment beside it.
"""
import math

import numpy as np
import pytest

import lossbook as lb

from helpers import message_names


def _hess(loss, *args, **kwargs):
    return loss.hess_diag(*args, **kwargs)


def test_l2_is_one_per_element_scaled_like_the_gradient():
    pred, label = np.zeros((2, 3)), np.ones((2, 3))
    np.testing.assert_array_equal(_hess(lb.L2Loss(), pred, label), np.full((2, 3), 1 / 3))
    weights, head = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]]), np.array([2.0, -1.0])
    # d^2/dp^2 of sum_i head_i * mean_j w_ij (p_ij - y_ij)^2 / 2 = head_i w_ij / 3
    np.testing.assert_allclose(
        lb.L2Loss(weight=4.0).hess_diag(pred, label, weights, out_grad=head),
        4.0 * head[:, None] * weights / 3, rtol=1e-15)


def test_l1_quantile_hinge_and_the_multiclass_hinge_are_flat():
    pred, label = np.array([[-1.0, 0.0, 2.0]]), np.array([[0.0, 0.0, 0.0]])
    for loss in (lb.L1Loss(), lb.QuantileLoss(0.3)):
        np.testing.assert_array_equal(_hess(loss, pred, label), np.zeros((1, 3)))
    np.testing.assert_array_equal(_hess(lb.HingeLoss(), pred, np.array([[1.0, -1.0, 1.0]])),
                                  np.zeros((1, 3)))
    np.testing.assert_array_equal(
        _hess(lb.MulticlassHingeLoss(), np.array([[0.5, 0.4, -1.0]]), np.array([0])),
        np.zeros((1, 3)))
    np.testing.assert_array_equal(
        _hess(lb.NLLLoss(), np.log(np.array([[0.2, 0.8]])), np.array([1])), np.zeros((1, 2)))


def test_huber_is_one_over_rho_inside_and_zero_outside_and_at_the_kink():
    # residuals 0.5 (inside), 3 (outside), -2 (on the kink |d| = rho = 2), 0
    got = _hess(lb.HuberLoss(rho=2.0), np.array([[0.5, 3.0, -2.0, 0.0]]), np.zeros((1, 4)))
    np.testing.assert_array_equal(got, np.array([[0.5, 0.0, 0.0, 0.5]]) / 4)


def test_log_cosh_is_sech_squared():
    got = _hess(lb.LogCoshLoss(), np.array([[0.0, 1.0, -40.0]]), np.zeros((1, 3)))
    # sech(0)^2 = 1; sech(1)^2 = 1 / cosh(1)^2; sech(40)^2 = 4 e^-80 / (1 + e^-80)^2
    expected = np.array([[1.0, 1 / math.cosh(1.0) ** 2, 4 * math.exp(-80.0)]]) / 3
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert got[0, 2] > 0                             # no underflow to 0 from 1 - tanh^2


def test_logistic_curvature_is_p_times_one_minus_p_whatever_the_label():
    x = np.array([[0.0, math.log(3.0), -math.log(3.0)]])     # p = 1/2, 3/4, 1/4
    for label in (np.array([[1.0, 1.0, -1.0]]), np.array([[-1.0, -1.0, 1.0]])):
        np.testing.assert_allclose(_hess(lb.LogisticLoss(), x, label),
                                   np.array([[0.25, 0.1875, 0.1875]]) / 3, rtol=1e-14)
    np.testing.assert_allclose(_hess(lb.SigmoidBCELoss(), x, np.array([[0.0, 1.0, 0.3]])),
                               np.array([[0.25, 0.1875, 0.1875]]) / 3, rtol=1e-14)


def test_bce_pos_weight_and_probabilities():
    # logits: (1 + (w - 1) z) p (1 - p); w = 3, z = 1, x = 0: 3 / 4; z = 0: 1 / 4
    got = lb.SigmoidBCELoss().hess_diag(np.zeros((1, 2)), np.array([[1.0, 0.0]]),
                                        pos_weight=np.array([[3.0, 3.0]]))
    np.testing.assert_allclose(got, np.array([[0.75, 0.25]]) / 2, rtol=1e-14)
    # probabilities: w z / p^2 + (1 - z) / (1 - p)^2 at p = 1/2, z = 1: 4; p = 1/4, z = 0: 16/9
    got = lb.SigmoidBCELoss(from_sigmoid=True).hess_diag(np.array([[0.5, 0.25]]),
                                                          np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(got, np.array([[4.0, 16 / 9]]) / 2, rtol=1e-10)


def test_poisson_is_the_rate_or_t_over_rate_squared():
    got = _hess(lb.PoissonNLLLoss(), np.array([[math.log(2.0)]]), np.array([[5.0]]))
    np.testing.assert_allclose(got, [[2.0]], rtol=1e-15)                 # e^x
    got = _hess(lb.PoissonNLLLoss(from_logits=False), np.array([[2.0]]), np.array([[3.0]]),
                epsilon=0.0)
    np.testing.assert_allclose(got, [[0.75]], rtol=1e-15)                # t / rate^2


def test_gaussian_nll_pred_and_variance():
    # pred 0, label 1, var 2: 1 / v = 1/2; (r^2 / v - 1/2) / v^2 = (1/2 - 1/2) / 4 = 0
    # var 1: 1 and (1 - 1/2) / 1 = 1/2; var below eps: 1 / eps and 0 (the floor is flat)
    pred, label = np.zeros((1, 3)), np.ones((1, 3))
    var = np.array([[2.0, 1.0, 1e-9]])
    d_pred, d_var = _hess(lb.GaussianNLLLoss(eps=1e-6), pred, label, var)
    np.testing.assert_allclose(d_pred, np.array([[0.5, 1.0, 1e6]]) / 3, rtol=1e-12)
    np.testing.assert_allclose(d_var, np.array([[0.0, 0.5, 0.0]]) / 3, atol=1e-16)


def test_squared_hinge_is_two_on_the_active_side_and_zero_at_the_margin():
    # y x = 0.5 (active), 2 (beyond the margin), 1 (on it), 2 (label -1, beyond)
    got = _hess(lb.SquaredHingeLoss(), np.array([[0.5, 2.0, 1.0, -2.0]]),
                np.array([[1.0, 1.0, 1.0, -1.0]]))
    np.testing.assert_array_equal(got, np.array([[2.0, 0.0, 0.0, 0.0]]) / 4)


def test_focal_by_hand_at_zero():
    # gamma = 2, no alpha, z = 1: f = u^2 g with u = sigma(-x), g = softplus(-x). At x = 0:
    # u = 1/2, u' = -1/4, u'' = 0, g = log 2, g' = -1/2, g'' = 1/4, so
    # f'' = (2 u'^2 + 2 u u'') g + 2 (2 u u') g' + u^2 g'' = log(2)/8 + 1/4 + 1/16.
    got = _hess(lb.SigmoidFocalLoss(alpha=None, gamma=2.0), np.zeros((1, 1)), np.ones((1, 1)))
    np.testing.assert_allclose(got, [[0.3125 + math.log(2.0) / 8]], rtol=1e-14)
    # gamma = 0 and alpha = 1/2 is half the cross-entropy: half of p (1 - p)
    x = np.array([[-3.0, 0.2, 5.0]])
    np.testing.assert_allclose(_hess(lb.SigmoidFocalLoss(alpha=0.5, gamma=0.0), x, np.ones((1, 3))),
                               0.5 * _hess(lb.SigmoidBCELoss(), x, np.ones((1, 3))), rtol=1e-14)


def test_softmax_cross_entropy_with_smoothing_weights_and_ignored_positions():
    scores = np.zeros((3, 4))                                  # p = 1/4: p (1 - p) = 3/16
    label = np.array([2, 0, 1])
    np.testing.assert_allclose(_hess(lb.SoftmaxCELoss(), scores, label), np.full((3, 4), 3 / 16))
    # weights w and smoothing 0.2: sum_c t_c = 0.8 w_y + 0.05 sum(w); sum(w) = 5
    w = [1.0, 2.0, 0.5, 1.5]
    loss = lb.SoftmaxCELoss(label_smoothing=0.2, class_weight=w, ignore_index=1)
    total = np.array([0.8 * 0.5 + 0.25, 0.8 * 1.0 + 0.25, 0.0])     # the third is ignored
    np.testing.assert_allclose(loss.hess_diag(scores, label),
                               np.repeat(total[:, None] * 3 / 16, 4, axis=1),
                               rtol=1e-14)
    # dense labels: sum_c t_c = 1 whatever the distribution
    dense = np.array([[0.1, 0.2, 0.3, 0.4]] * 3)
    np.testing.assert_allclose(_hess(lb.SoftmaxCELoss(sparse_label=False), scores, dense),
                               np.full((3, 4), 3 / 16), rtol=1e-14)
    # log-probabilities in: the loss is linear in them
    np.testing.assert_array_equal(
        _hess(lb.SoftmaxCELoss(from_logits=True), np.log(np.full((1, 4), 0.25)), [3]),
        np.zeros((1, 4)))


def test_brier_by_hand():
    # identity: 2; sigmoid at x = 0, z = 1: 2 s (s + (p - z)(1 - 2p)) = 2/4 (1/4 + 0) = 1/8
    np.testing.assert_array_equal(_hess(lb.BrierLoss(link="identity"), [[0.3]], [[1.0]]),
                                  [[2.0]])
    np.testing.assert_allclose(_hess(lb.BrierLoss(), [[0.0]], [[1.0]]), [[0.125]], rtol=1e-15)
    # softmax of four equal scores, label 2: p = 1/4, r = (1/4, 1/4, -3/4, 1/4), r_bar = 0,
    # sum p^2 = 1/4: 2 p ((1 - 2p) r + p (1 - 2p + 1/4)) = (1/2)(r/2 + 3/16)
    value, grad, hess = lb.BrierLoss(link="softmax").value_grad_hess_diag(np.zeros((1, 4)), [2])
    np.testing.assert_allclose(value, [0.75], rtol=1e-15)
    np.testing.assert_allclose(grad, [[0.125, 0.125, -0.375, 0.125]], rtol=1e-15)
    np.testing.assert_allclose(hess, [[0.15625, 0.15625, -0.09375, 0.15625]], rtol=1e-15)


@pytest.mark.parametrize("loss", [lb.SigmoidBCELoss(), lb.LogisticLoss(label_format="binary"),
                                  lb.SigmoidFocalLoss(), lb.SigmoidFocalLoss(gamma=0.5),
                                  lb.BrierLoss(), lb.PoissonNLLLoss(from_logits=False)],
                         ids=lambda loss: repr(loss))
def test_float32_extremes_give_finite_curvature(loss):
    if isinstance(loss, lb.PoissonNLLLoss):
        pred, label = np.array([[1e-30, 1e4, 1.0]], np.float32), np.array([[0.0, 3.0, 1e4]],
                                                                           np.float32)
    else:
        pred = np.array([[-1e4, -60.0, 0.0, 60.0, 1e4]], np.float32)
        label = np.array([[1.0, 0.0, 1.0, 1.0, 0.0]], np.float32)
    hess = loss.hess_diag(pred, label)
    assert hess.dtype == np.float32 and np.all(np.isfinite(hess)), hess


def test_softmax_curvature_in_float32_at_large_scores():
    scores = np.array([[1e4, -1e4, 0.0], [3.0, 3.0, 3.0]], np.float32)
    for loss in (lb.SoftmaxCELoss(), lb.BrierLoss(link="softmax")):
        hess = loss.hess_diag(scores, np.array([1, 0]))
        assert hess.dtype == np.float32 and np.all(np.isfinite(hess))
    np.testing.assert_allclose(lb.SoftmaxCELoss().hess_diag(scores, np.array([1, 0]))[1],
                               np.full(3, 2 / 9), rtol=1e-6)


def test_nan_in_gives_nan_curvature():
    hess = lb.SigmoidBCELoss().hess_diag(np.array([[np.nan, 0.0]]), np.array([[1.0, 1.0]]))
    assert np.isnan(hess[0, 0]) and hess[0, 1] == 0.125


def test_a_loss_without_curvature_says_so_with_its_name():
    with pytest.raises(NotImplementedError) as excinfo:
        lb.TripletLoss().hess_diag(np.zeros((2, 3)), np.ones((2, 3)), np.ones((2, 3)))
    message_names(excinfo, "TripletLoss", "hess_diag", "order=2")


def test_bad_input_to_hess_diag_is_checked_like_grad():
    with pytest.raises(ValueError) as excinfo:
        lb.HuberLoss().hess_diag(np.zeros((3, 2)), np.zeros((3, 2)), out_grad=np.ones(2))
    message_names(excinfo, "HuberLoss", "out_grad", "(2,)")
    with pytest.raises(ValueError) as excinfo:
        lb.L2Loss().value_grad_hess_diag(np.zeros((3, 2)), np.zeros(7))
    message_names(excinfo, "L2Loss", "label", "(7,)", "(3, 2)")
