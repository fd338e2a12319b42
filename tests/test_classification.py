"""Binary classification losses: values by hand, float32 extremes, infinite logits."""
import math

import numpy as np
import pytest

import lossbook as lb

from helpers import finite32, message_names

F32 = np.float32


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


def test_focal_reduces_to_bce_and_downweights_easy_examples():
    x, z = np.array([[3.0, -0.5]]), np.array([[1.0, 1.0]])
    bce = lb.SigmoidBCELoss().elementwise(x, z)
    # gamma = 0, alpha = None: plain BCE
    np.testing.assert_allclose(lb.SigmoidFocalLoss(alpha=None, gamma=0).elementwise(x, z), bce)
    # gamma = 2, alpha = 0.25: 0.25 * (1 - sigma(x))^2 * BCE
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(lb.SigmoidFocalLoss().elementwise(x, z),
                               0.25 * (1 - p) ** 2 * bce, rtol=1e-12)


LOGITS = np.array([[-1e4, -100.0, -1e-30, 0.0, 1e-30, 100.0, 1e4]], dtype=F32)


BINARY = [(lb.SigmoidBCELoss(), (0.0, 1.0)), (lb.SigmoidFocalLoss(), (0.0, 1.0)),
          (lb.SigmoidFocalLoss(gamma=0.5), (0.0, 1.0)),
          (lb.LogisticLoss(label_format="binary"), (0.0, 1.0)),
          (lb.LogisticLoss(), (-1.0, 1.0)), (lb.HingeLoss(), (-1.0, 1.0)),
          (lb.SquaredHingeLoss(), (-1.0, 1.0))]


@pytest.mark.parametrize("loss,label", [pytest.param(loss, label, id=f"{loss!r}-{label}")
                                        for loss, labels in BINARY for label in labels])
def test_binary_losses_at_huge_logits(loss, label):
    finite32(loss, LOGITS, np.full_like(LOGITS, label))
    if isinstance(loss, lb.SigmoidBCELoss):
        # BCE at logit -1e4 with label 1 is softplus(1e4) = 1e4: it must not saturate to inf
        per = loss.elementwise(LOGITS, np.full_like(LOGITS, label))
        assert per[0, 0 if label == 1 else -1] == F32(1e4)


def test_bce_with_pos_weight_at_huge_logits():
    finite32(lb.SigmoidBCELoss(), LOGITS, np.ones_like(LOGITS), pos_weight=F32(3.0))


def test_bce_from_sigmoid_at_probabilities_0_and_1():
    pred = np.array([[0.0, 1.0, 0.0, 1.0]], dtype=F32)
    label = np.array([[0.0, 1.0, 1.0, 0.0]], dtype=F32)
    out, (g,) = finite32(lb.SigmoidBCELoss(from_sigmoid=True), pred, label)
    per = lb.SigmoidBCELoss(from_sigmoid=True).elementwise(pred, label)
    # right answers cost ~0; confident wrong answers cost -log(1e-12) = 27.63 (Gluon's eps)
    np.testing.assert_allclose(per, [[0, 0, 27.631021, 27.631021]], atol=1e-5, rtol=1e-5)


def test_unknown_label_format():
    with pytest.raises(ValueError) as excinfo:
        lb.LogisticLoss(label_format="plusminus")
    message_names(excinfo, "LogisticLoss", "label_format", "plusminus")


@pytest.mark.parametrize("loss,pred,label,arg", [
    (lb.HingeLoss(), [[0.5]], [[0.0]], "label"),
    (lb.SquaredHingeLoss(), [[0.5]], [[2.0]], "label"),
    (lb.SigmoidBCELoss(), [[0.5]], [[1.5]], "label"),
    (lb.SigmoidBCELoss(from_sigmoid=True), [[1.5]], [[1.0]], "pred"),
    (lb.LogisticLoss(), [[0.5]], [[-2.0]], "label"),
    (lb.LogisticLoss(label_format="binary"), [[0.5]], [[-1.0]], "label"),
    (lb.PoissonNLLLoss(), [[0.5]], [[-1.0]], "target"),
    (lb.PoissonNLLLoss(from_logits=False), [[-0.5]], [[1.0]], "pred"),
    (lb.SoftmaxCrossEntropyLoss(sparse_label=False), [[0.5, 0.5]], [[1.5, -0.5]], "label"),
], ids=lambda v: type(v).__name__ if isinstance(v, lb.Loss) else None)
def test_label_outside_the_domain(loss, pred, label, arg):
    with pytest.raises(ValueError) as excinfo:
        loss(np.array(pred), np.array(label))
    message_names(excinfo, type(loss).__name__, arg, "(1, ")


@pytest.mark.parametrize("loss,labels", [
    (lb.SigmoidBCELoss(), (1.0, 0.0)), (lb.LogisticLoss(), (1.0, -1.0)),
    (lb.LogisticLoss(label_format="binary"), (1.0, 0.0)), (lb.SigmoidFocalLoss(), (1.0, 0.0)),
    (lb.SigmoidFocalLoss(alpha=None, gamma=0.5), (1.0, 0.0))], ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_infinite_logits_give_the_limits(loss, labels, dtype):
    """On the right side of an infinite logit the loss is 0 and its slope 0; on the wrong
    side the loss is +inf (inf - inf once gave NaN)."""
    positive, negative = labels
    pred = np.array([[np.inf, -np.inf, np.inf, -np.inf]], dtype)
    label = np.array([[positive, negative, negative, positive]], dtype)
    per = loss.elementwise(pred, label)
    np.testing.assert_array_equal(per, [[0.0, 0.0, np.inf, np.inf]])
    grad = loss.grad(pred[:, :2], label[:, :2])
    np.testing.assert_array_equal(grad, [[0.0, 0.0]])
    assert not np.any(np.isnan(loss.grad(pred, label)))


def test_bce_with_pos_weight_at_infinite_logits():
    pred = np.array([[np.inf, -np.inf, np.inf, -np.inf]])
    label = np.array([[1.0, 0.0, 0.0, 1.0]])
    per = lb.SigmoidBCELoss().elementwise(pred, label, pos_weight=np.full((1, 4), 3.0))
    np.testing.assert_array_equal(per, [[0.0, 0.0, np.inf, np.inf]])
    grad = lb.SigmoidBCELoss().grad(pred, label, pos_weight=3.0)
    np.testing.assert_array_equal(grad, [[0.0, 0.0, 0.25, -0.75]])   # (1 - z) - (1 + 2z) sigma(-x), / 4
