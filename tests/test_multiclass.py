"""Multiclass losses: softmax cross-entropy, NLL and the multiclass hinge, by hand and at extremes."""
import math
import warnings

import numpy as np
import pytest

import lossbook as lb

from helpers import finite32, message_names

F32 = np.float32


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


@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.1}, {"sparse_label": False},
                                    {"class_weight": [1.0, 2.0, 3.0]}])
def test_softmax_ce_at_huge_logits(kwargs):
    pred = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [0.0, 0.0, 1e4]], dtype=F32)
    label = np.array([1, 0, 2])
    if not kwargs.get("sparse_label", True):
        label = np.eye(3, dtype=F32)[label]
    out, _ = finite32(lb.SoftmaxCrossEntropyLoss(**kwargs), pred, label)
    if not kwargs:
        # row 0: the label's score is 2e4 below the best: loss 2e4; row 1: uniform: log 3
        np.testing.assert_allclose(out, [2e4, np.log(3), 0.0], rtol=1e-6, atol=1e-6)


def test_nll_with_probabilities_of_zero():
    # log p = -inf for impossible classes is legitimate input; the picked class is finite
    with np.errstate(divide="ignore"):
        log_p = np.log(np.array([[1.0, 0.0], [0.5, 0.5]], dtype=F32))
    out, (g,) = finite32(lb.NLLLoss(), log_p, np.array([0, 1]))
    np.testing.assert_allclose(out, [0.0, np.log(2)], rtol=1e-6)


def test_multiclass_hinge_at_huge_scores():
    pred = np.array([[1e4, -1e4, 0.0]], dtype=F32)
    for formulation in ("weston_watkins", "crammer_singer"):
        finite32(lb.MulticlassHingeLoss(formulation=formulation), pred, np.array([1]))


@pytest.mark.parametrize("cls", [lb.SoftmaxCrossEntropyLoss, lb.NLLLoss, lb.MulticlassHingeLoss])
def test_class_index_out_of_range(cls):
    pred = np.log(np.full((2, 3), 1 / 3))
    for label in ([0, 3], [-1, 0]):
        with pytest.raises(ValueError) as excinfo:
            cls()(pred, np.array(label))
        message_names(excinfo, cls.__name__, "label", "out of range", "(2,)", "3 classes")
    with pytest.raises(ValueError) as excinfo:
        cls()(pred, np.array([0.5, 1.0]))
    message_names(excinfo, cls.__name__, "label", "integer-valued")


def test_axis_out_of_range():
    with pytest.raises(ValueError) as excinfo:
        lb.SoftmaxCrossEntropyLoss(axis=2)(np.zeros((2, 3)), np.array([0, 1]))
    message_names(excinfo, "SoftmaxCrossEntropyLoss", "axis=2", "(2, 3)")
    with pytest.raises(ValueError) as excinfo:
        lb.SoftmaxCrossEntropyLoss(axis=0)(np.zeros((2, 3)), np.array([0, 1, 2]))
    message_names(excinfo, "axis=0", "batch_axis=0")


def padded_batch():
    # two sequences of three positions, four classes; uniform log-probabilities (-log 4)
    # except the padding at position 2, which holds zeros (exp sums to 4, not 1)
    log_probs = np.log(np.full((2, 3, 4), 0.25))
    log_probs[:, 2] = 0.0
    label = np.array([[1, 2, -100], [0, 1, -100]])
    return log_probs, label


def test_ignored_padding_does_not_warn():
    log_probs, label = padded_batch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = lb.NLLLoss(ignore_index=-100)(log_probs, label)
    # per position -log(1/4) = log 4 on the two real positions, 0 on the padding; mean of 3
    np.testing.assert_allclose(out, [2 * np.log(4) / 3] * 2)


def test_a_bad_row_that_is_read_still_warns():
    log_probs, label = padded_batch()
    label[1, 2] = 3                                    # the zero row is now a real position
    with pytest.warns(lb.NotLogProbabilitiesWarning, match="log_softmax"):
        lb.NLLLoss(ignore_index=-100)(log_probs, label)
    with pytest.warns(lb.NotLogProbabilitiesWarning):  # without ignore_index: every row is read
        lb.NLLLoss()(log_probs, np.where(label < 0, 0, label))


# ------------------------------------------------------------------------------ Brier
def test_brier_by_hand_for_each_link():
    # identity: (0.9 - 1)^2 = 0.01, (0.2 - 0)^2 = 0.04, (0.5 - 0.3)^2 = 0.04: mean 0.03
    out = lb.BrierLoss(link="identity")(np.array([[0.9, 0.2, 0.5]]), np.array([[1.0, 0.0, 0.3]]))
    np.testing.assert_allclose(out, [0.03], rtol=1e-12)
    # sigmoid: logit ln 3 gives p = 3/4; label 1: 1/16, gradient 2 (p - z) p (1 - p) = -3/32
    value, grad = lb.BrierLoss().value_and_grad(np.array([[math.log(3)]]), np.array([[1.0]]))
    np.testing.assert_allclose(value, [1 / 16], rtol=1e-12)
    np.testing.assert_allclose(grad, [[-3 / 32]], rtol=1e-12)
    # softmax, scores [0, ln 3]: p = (1/4, 3/4); class 0: (3/4)^2 + (3/4)^2 = 9/8;
    # r = (-3/4, 3/4), r_bar = -3/16 + 9/16 = 3/8; gradient 2 p (r - r_bar) = (-9/16, 9/16)
    value, grad = lb.BrierLoss(link="softmax").value_and_grad(np.array([[0.0, math.log(3)]]),
                                                              np.array([0]))
    np.testing.assert_allclose(value, [9 / 8], rtol=1e-12)
    np.testing.assert_allclose(grad, [[-9 / 16, 9 / 16]], rtol=1e-12)
    # two classes: the softmax form is twice the binary one on the logit difference
    dense = lb.BrierLoss(link="softmax", sparse_label=False)(np.array([[1.3, 0.0]]),
                                                             np.array([[0.2, 0.8]]))
    np.testing.assert_allclose(dense, 2 * lb.BrierLoss()(np.array([[1.3]]), np.array([[0.2]])),
                               rtol=1e-12)


def test_brier_sequence_layout_and_sample_weight():
    scores = np.random.default_rng(0).normal(size=(2, 3, 4))      # (batch, positions, C)
    label = np.array([[0, 1, 3], [2, 2, 0]])
    loss = lb.BrierLoss(link="softmax")
    per_position = np.sum((np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
                           - np.eye(4)[label]) ** 2, axis=-1)          # one-hot: test only
    np.testing.assert_allclose(loss(scores, label), per_position.mean(axis=1), rtol=1e-12)
    weights = np.array([[1.0, 2.0, 0.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(loss(scores, label, weights[..., None]),
                               (per_position * weights).mean(axis=1), rtol=1e-12)


def test_brier_float32_extremes():
    out, (grad,) = finite32(lb.BrierLoss(), np.array([[-1e4, 0.0, 1e4]], F32),
                            np.array([[1.0, 1.0, 1.0]], F32))
    np.testing.assert_allclose(out, [(1 + 0.25 + 0) / 3], rtol=1e-6)
    assert grad[0, 0] == 0                 # a confident mistake: no gradient through p (1 - p)
    finite32(lb.BrierLoss(link="softmax"), np.array([[1e4, -1e4, 0.0]], F32), np.array([1]))


def test_brier_bad_input_names_the_loss_and_argument():
    with pytest.raises(ValueError) as excinfo:
        lb.BrierLoss(link="softmx")
    message_names(excinfo, "BrierLoss", "link", "'softmax'")
    with pytest.raises(ValueError) as excinfo:
        lb.BrierLoss(link="identity")(np.array([[1.2]]), np.array([[1.0]]))
    message_names(excinfo, "BrierLoss", "pred", "[0, 1]", "link='identity'")
    with pytest.raises(ValueError) as excinfo:
        lb.BrierLoss()(np.array([[0.2]]), np.array([[2.0]]))
    message_names(excinfo, "BrierLoss", "label", "[0, 1]")
    with pytest.raises(ValueError) as excinfo:
        lb.BrierLoss(link="softmax")(np.zeros((2, 3)), np.array([0, 3]))
    message_names(excinfo, "BrierLoss", "label", "3", "[0, 3)")
    with pytest.raises(ValueError) as excinfo:
        lb.BrierLoss(link="softmax", axis=0)(np.zeros((2, 3)), np.array([0, 1, 1]))
    message_names(excinfo, "BrierLoss", "axis=0", "batch_axis=0")
