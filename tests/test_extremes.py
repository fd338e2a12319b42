"""float32 extremes: logits of +-1e4, probabilities of exactly 0 and 1, huge and tiny targets.

Every output and gradient must be finite wherever the mathematical value is finite, and
float32 in must give float32 out.
"""
import numpy as np
import pytest

import lossbook as lb

F32 = np.float32
LOGITS = np.array([[-1e4, -100.0, -1e-30, 0.0, 1e-30, 100.0, 1e4]], dtype=F32)


def _finite32(loss, *args, **kwargs):
    out, grads = loss.value_and_grad(*args, **kwargs)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert out.dtype == F32 and all(g.dtype == F32 for g in grads)
    assert np.all(np.isfinite(out)), out
    for g in grads:
        assert np.all(np.isfinite(g)), g
    return out, grads


BINARY = [(lb.SigmoidBCELoss(), (0.0, 1.0)), (lb.SigmoidFocalLoss(), (0.0, 1.0)),
          (lb.SigmoidFocalLoss(gamma=0.5), (0.0, 1.0)),
          (lb.LogisticLoss(label_format="binary"), (0.0, 1.0)),
          (lb.LogisticLoss(), (-1.0, 1.0)), (lb.HingeLoss(), (-1.0, 1.0)),
          (lb.SquaredHingeLoss(), (-1.0, 1.0))]


@pytest.mark.parametrize("loss,label", [pytest.param(loss, label, id=f"{loss!r}-{label}")
                                        for loss, labels in BINARY for label in labels])
def test_binary_losses_at_huge_logits(loss, label):
    _finite32(loss, LOGITS, np.full_like(LOGITS, label))
    if isinstance(loss, lb.SigmoidBCELoss):
        # BCE at logit -1e4 with label 1 is softplus(1e4) = 1e4: it must not saturate to inf
        per = loss.elementwise(LOGITS, np.full_like(LOGITS, label))
        assert per[0, 0 if label == 1 else -1] == F32(1e4)


def test_bce_with_pos_weight_at_huge_logits():
    _finite32(lb.SigmoidBCELoss(), LOGITS, np.ones_like(LOGITS), pos_weight=F32(3.0))


def test_bce_from_sigmoid_at_probabilities_0_and_1():
    pred = np.array([[0.0, 1.0, 0.0, 1.0]], dtype=F32)
    label = np.array([[0.0, 1.0, 1.0, 0.0]], dtype=F32)
    out, (g,) = _finite32(lb.SigmoidBCELoss(from_sigmoid=True), pred, label)
    per = lb.SigmoidBCELoss(from_sigmoid=True).elementwise(pred, label)
    # right answers cost ~0; confident wrong answers cost -log(1e-12) = 27.63 (Gluon's eps)
    np.testing.assert_allclose(per, [[0, 0, 27.631021, 27.631021]], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.1}, {"sparse_label": False},
                                    {"class_weight": [1.0, 2.0, 3.0]}])
def test_softmax_ce_at_huge_logits(kwargs):
    pred = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [0.0, 0.0, 1e4]], dtype=F32)
    label = np.array([1, 0, 2])
    if not kwargs.get("sparse_label", True):
        label = np.eye(3, dtype=F32)[label]
    out, _ = _finite32(lb.SoftmaxCrossEntropyLoss(**kwargs), pred, label)
    if not kwargs:
        # row 0: the label's score is 2e4 below the best: loss 2e4; row 1: uniform: log 3
        np.testing.assert_allclose(out, [2e4, np.log(3), 0.0], rtol=1e-6, atol=1e-6)


def test_nll_with_probabilities_of_zero():
    # log p = -inf for impossible classes is legitimate input; the picked class is finite
    with np.errstate(divide="ignore"):
        log_p = np.log(np.array([[1.0, 0.0], [0.5, 0.5]], dtype=F32))
    out, (g,) = _finite32(lb.NLLLoss(), log_p, np.array([0, 1]))
    np.testing.assert_allclose(out, [0.0, np.log(2)], rtol=1e-6)


@pytest.mark.parametrize("loss", [lb.L1Loss(), lb.L2Loss(), lb.HuberLoss(), lb.HuberLoss(rho=1e-3)],
                         ids=repr)
def test_regression_losses_at_large_errors(loss):
    pred = np.array([[1e4, -1e4, 1e-30, 0.0]], dtype=F32)
    _finite32(loss, pred, np.array([[-1e4, 1e4, 0.0, 0.0]], dtype=F32))


def test_poisson_at_huge_and_tiny_targets():
    target = np.array([[0.0, 1.0, 1e-30, 1e30]], dtype=F32)
    _finite32(lb.PoissonNLLLoss(compute_full=True), np.array([[-80.0, 0.0, 5.0, 60.0]], dtype=F32),
              target)
    # rates of exactly 0 are fine thanks to epsilon
    _finite32(lb.PoissonNLLLoss(from_logits=False, compute_full=True),
              np.array([[0.0, 0.0, 1e-30, 1e30]], dtype=F32), target)


def test_multiclass_hinge_at_huge_scores():
    pred = np.array([[1e4, -1e4, 0.0]], dtype=F32)
    for formulation in ("weston_watkins", "crammer_singer"):
        _finite32(lb.MulticlassHingeLoss(formulation=formulation), pred, np.array([1]))
