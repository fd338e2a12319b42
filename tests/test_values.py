"""Loss values from hand computation (the arithmetic is in the comments), and the seeds' examples."""
import math

import numpy as np
import pytest

import lossbook as lb


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


def test_softmax_ce_seed_example():
    # row [1, 10], class 0: log(e^1 + e^10) - 1 = 9 + log(1 + e^-9) = 9.0001234
    # row [8, 2], class 1: log(e^8 + e^2) - 2 = 6 + log(1 + e^-6) = 6.0024757
    expected = [9 + math.log1p(math.exp(-9)), 6 + math.log1p(math.exp(-6))]
    out = lb.SoftmaxCrossEntropyLoss()(np.array([[1.0, 10.0], [8.0, 2.0]]), np.array([0, 1]))
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_allclose(out, [9.000123, 6.0024757], rtol=1e-6)
    # float labels that are integer-valued work, as Gluon code passes nd.array([0, 1])
    out_f = lb.SoftmaxCELoss()(np.array([[1.0, 10.0], [8.0, 2.0]]), np.array([0.0, 1.0]))
    np.testing.assert_array_equal(out, out_f)


def test_softmax_ce_gradient_is_p_minus_onehot():
    # scores [0, ln 3]: p = [1/4, 3/4]; class 1: gradient [1/4, 3/4 - 1] = [0.25, -0.25]
    g = lb.SoftmaxCrossEntropyLoss().grad(np.array([[0.0, math.log(3)]]), np.array([1]))
    np.testing.assert_allclose(g, [[0.25, -0.25]], rtol=1e-12)


def test_softmax_ce_dense_label_smoothing_and_class_weight():
    pred = np.array([[0.0, math.log(3)]])   # log p = [log 1/4, log 3/4]
    lp = [math.log(0.25), math.log(0.75)]
    # dense label [0.2, 0.8]: -(0.2 log 1/4 + 0.8 log 3/4)
    dense = lb.SoftmaxCrossEntropyLoss(sparse_label=False)(pred, np.array([[0.2, 0.8]]))
    np.testing.assert_allclose(dense, [-(0.2 * lp[0] + 0.8 * lp[1])], rtol=1e-12)
    # label smoothing 0.1 on class 1 with 2 classes: target [0.05, 0.95]
    smooth = lb.SoftmaxCrossEntropyLoss(label_smoothing=0.1)(pred, np.array([1]))
    np.testing.assert_allclose(smooth, [-(0.05 * lp[0] + 0.95 * lp[1])], rtol=1e-12)
    # class weights [2, 3], class 1: 3 * -log 3/4
    weighted = lb.SoftmaxCrossEntropyLoss(class_weight=[2.0, 3.0])(pred, np.array([1]))
    np.testing.assert_allclose(weighted, [-3 * lp[1]], rtol=1e-12)
    # ignore_index: the ignored position contributes 0 to the mean over positions
    pred3 = np.stack([pred[0], pred[0]])[None]          # (1, 2 positions, 2 classes)
    out = lb.SoftmaxCrossEntropyLoss(ignore_index=-100)(pred3, np.array([[1, -100]]))
    np.testing.assert_allclose(out, [-lp[1] / 2], rtol=1e-12)
    g = lb.SoftmaxCrossEntropyLoss(ignore_index=-100).grad(pred3, np.array([[1, -100]]))
    np.testing.assert_array_equal(g[0, 1], [0.0, 0.0])


def test_huber_pieces():
    # rho = 2: error 1 is quadratic: 1^2 / (2 * 2) = 0.25; error 3 is linear: 3 - 2/2 = 2
    out, g = lb.HuberLoss(rho=2).value_and_grad(np.array([[1.0, -3.0]]), np.zeros((1, 2)))
    np.testing.assert_allclose(out, [(0.25 + 2.0) / 2])
    # slopes: 1 / 2 (error / rho), then sign(-3) = -1; each divided by 2 elements
    np.testing.assert_allclose(g, [[0.25, -0.5]])


def test_bce_logits_and_probabilities():
    # logit 0, label 1: log 2; logit 2, label 0: softplus(2) = 2 + log(1 + e^-2)
    expected = (math.log(2) + 2 + math.log1p(math.exp(-2))) / 2
    out = lb.SigmoidBCELoss()(np.array([[0.0, 2.0]]), np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(out, [expected], rtol=1e-12)
    # pos_weight 3 triples the positive term only: (3 log 2 + softplus(2)) / 2
    out_w = lb.SigmoidBCELoss()(np.array([[0.0, 2.0]]), np.array([[1.0, 0.0]]),
                                pos_weight=np.array([[3.0, 3.0]]))
    np.testing.assert_allclose(out_w, [(3 * math.log(2) + 2 + math.log1p(math.exp(-2))) / 2])
    # from_sigmoid: p = 0.8, label 1: -log(0.8 + 1e-12)
    prob = lb.SigmoidBCELoss(from_sigmoid=True)(np.array([[0.8]]), np.array([[1.0]]))
    np.testing.assert_allclose(prob, [-math.log(0.8 + 1e-12)], rtol=1e-12)
    # the true derivative at logit 0: sigma(0) - z = 0.5 - 1
    np.testing.assert_allclose(lb.SigmoidBCELoss().grad([[0.0]], [[1.0]]), [[-0.5]])
    np.testing.assert_allclose(lb.LogisticLoss().grad([[0.0]], [[1.0]]), [[-0.5]])


def test_logistic_signed_equals_binary():
    # log(1 + e^{-y x}) with y = -1, x = 1: log(1 + e)
    np.testing.assert_allclose(lb.LogisticLoss()([[1.0]], [[-1.0]]), [math.log1p(math.e)])
    np.testing.assert_allclose(lb.LogisticLoss(label_format="binary")([[1.0]], [[0.0]]),
                               [math.log1p(math.e)])


def test_hinge_and_squared_hinge():
    pred, label = np.array([[0.5, 2.0, 3.0]]), np.array([[1.0, -1.0, 1.0]])
    # slacks 1 - 0.5 = 0.5, 1 + 2 = 3, 1 - 3 = -2 -> hinge 0.5, 3, 0
    np.testing.assert_allclose(lb.HingeLoss()(pred, label), [3.5 / 3])
    np.testing.assert_allclose(lb.SquaredHingeLoss()(pred, label), [(0.25 + 9) / 3])
    # gradients: -y where active, / 3 for the mean; squared: -2 y slack / 3
    np.testing.assert_allclose(lb.HingeLoss().grad(pred, label), [[-1 / 3, 1 / 3, 0.0]])
    np.testing.assert_allclose(lb.SquaredHingeLoss().grad(pred, label), [[-1 / 3, 2.0, 0.0]])


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


def test_focal_reduces_to_bce_and_downweights_easy_examples():
    x, z = np.array([[3.0, -0.5]]), np.array([[1.0, 1.0]])
    bce = lb.SigmoidBCELoss().elementwise(x, z)
    # gamma = 0, alpha = None: plain BCE
    np.testing.assert_allclose(lb.SigmoidFocalLoss(alpha=None, gamma=0).elementwise(x, z), bce)
    # gamma = 2, alpha = 0.25: 0.25 * (1 - sigma(x))^2 * BCE
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(lb.SigmoidFocalLoss().elementwise(x, z),
                               0.25 * (1 - p) ** 2 * bce, rtol=1e-12)


def test_multiclass_hinge_formulations():
    pred, label = np.array([[2.0, 1.5, 1.8]]), np.array([0])
    # rivals: 1 + 1.5 - 2 = 0.5 and 1 + 1.8 - 2 = 0.8 -> WW 1.3, CS 0.8
    np.testing.assert_allclose(lb.MulticlassHingeLoss()(pred, label), [1.3])
    np.testing.assert_allclose(lb.MulticlassHingeLoss(formulation="crammer_singer")(pred, label),
                               [0.8])
    np.testing.assert_allclose(lb.MulticlassHingeLoss().grad(pred, label), [[-2.0, 1.0, 1.0]])
    np.testing.assert_allclose(
        lb.MulticlassHingeLoss(formulation="crammer_singer").grad(pred, label), [[-1.0, 0.0, 1.0]])


def test_nll_pitfall_numbers_and_warning():
    # PyTorch's well-known example: NLL of log_softmax(scores) is 1.6554; feeding the raw
    # scores gives -mean(picked scores) = -(0.7051 + 0.3464 + 0.2461) / 3 = -0.4325
    scores = np.array([[0.5153, 0.7051, 0.4947, 0.3446, 0.5288],
                       [0.3464, 0.2458, 0.8569, 0.4821, 0.3244],
                       [0.4474, 0.6615, 0.0062, 0.6603, 0.2461]])
    label = np.array([1, 0, 4])
    log_p = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    np.testing.assert_allclose(lb.NLLLoss()(log_p, label).mean(), 1.6554, atol=5e-5)
    loss = lb.NLLLoss()
    with pytest.warns(lb.NotLogProbabilitiesWarning, match="log_softmax"):
        wrong = loss(scores, label)
    np.testing.assert_allclose(wrong.mean(), -(0.7051 + 0.3464 + 0.2461) / 3)
    np.testing.assert_allclose(wrong.mean(), -0.4325, atol=5e-5)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss(scores, label)            # warns once per loss object, not on every call


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
