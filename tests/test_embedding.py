"""Embedding losses: hand-computed values and gradients, conventions, bad input, float32 extremes.

Every expected number below is worked out in the comment beside it, from the formula in the
docstring, not from the code under test.
"""
import numpy as np
import pytest

import lossbook as lb
from lossbook import registry

from samplers import sample

EMBEDDING = ["TripletLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "ContrastiveLoss"]


# ---------------------------------------------------------------------------- TripletLoss
def test_triplet_values_and_gradients_by_hand():
    loss = lb.TripletLoss(margin=1)
    pred = np.array([[0.0, 0.0], [0.0, 0.0]])
    positive = np.array([[1.0, 1.0], [1.0, 0.0]])
    negative = np.array([[1.0, 0.0], [0.0, 2.0]])
    # sample 0: |p - a|^2 = 2, |n - a|^2 = 1, s = 1, loss = relu(1 + 1) = 2 (active)
    # sample 1: |p - a|^2 = 1, |n - a|^2 = 4, s = -3, loss = relu(-3 + 1) = 0 (inactive)
    value, (d_pred, d_pos, d_neg) = loss.value_and_grad(pred, positive, negative)
    np.testing.assert_array_equal(value, [2.0, 0.0])
    # active sample: d_pred = 2 (n - p) = 2 (0, -1); d_pos = 2 (p - a) = (2, 2);
    # d_neg = -2 (n - a) = (-2, 0); the inactive sample gets zeros.
    np.testing.assert_array_equal(d_pred, [[0.0, -2.0], [0.0, 0.0]])
    np.testing.assert_array_equal(d_pos, [[2.0, 2.0], [0.0, 0.0]])
    np.testing.assert_array_equal(d_neg, [[-2.0, 0.0], [0.0, 0.0]])


def test_triplet_is_one_value_per_sample_with_sum_over_vector_axes():
    # One sample of shape (2, 2): s = sum((p - a)^2) - sum((n - a)^2) = 4 * 1 - 4 * 0.25 = 3;
    # margin 0.5 -> 3.5. A mean over the 4 entries would give 0.875 instead.
    pred = np.zeros((1, 2, 2))
    value = lb.TripletLoss(margin=0.5)(pred, np.ones((1, 2, 2)), np.full((1, 2, 2), 0.5))
    np.testing.assert_array_equal(value, [3.5])


def test_triplet_weights_and_head_gradient():
    loss = lb.TripletLoss(margin=1, weight=0.5)
    pred = np.array([[0.0], [0.0]])
    positive = np.array([[1.0], [2.0]])
    negative = np.array([[0.0], [0.0]])
    # s = (1, 4); loss_el = (2, 5); times sample_weight (2, 3) -> (4, 15); times 0.5 -> (2, 7.5)
    value = loss(pred, positive, negative, np.array([[2.0], [3.0]]))
    np.testing.assert_array_equal(value, [2.0, 7.5])
    # d_pos = 2 (p - a) * sample_weight * weight * out_grad = 2 * (1, 2) * (2, 3) * 0.5 * (1, -1)
    #       = (2, -6)
    d_pos = loss.grad(pred, positive, negative, np.array([2.0, 3.0]), out_grad=[1.0, -1.0])[1]
    np.testing.assert_array_equal(d_pos, [[2.0], [-6.0]])


def test_triplet_batch_axis_1_matches_batch_axis_0():
    rng = np.random.default_rng(0)
    a, p, n = (rng.normal(size=(5, 3)) for _ in range(3))
    v0, g0 = lb.TripletLoss().value_and_grad(a, p, n)
    v1, g1 = lb.TripletLoss(batch_axis=1).value_and_grad(a.T, p.T, n.T)
    np.testing.assert_allclose(v1, v0, rtol=1e-15)
    for x, y in zip(g0, g1):
        np.testing.assert_allclose(y, x.T, rtol=1e-15)


def test_triplet_kink_has_zero_subgradient():
    # |p - a|^2 = 1, |n - a|^2 = 2 exactly: s + margin = -1 + 1 = 0 -> loss 0, relu'(0) = 0
    value, grads = lb.TripletLoss().value_and_grad([[0.0, 0.0]], [[1.0, 0.0]], [[1.0, 1.0]])
    np.testing.assert_array_equal(value, [0.0])
    for g in grads:
        np.testing.assert_array_equal(g, 0.0)


def test_triplet_reshapes_like_gluon_and_rejects_other_sizes():
    pred = np.zeros((2, 2))
    # Same number of elements: reshaped to pred's shape (Gluon's _reshape_like).
    np.testing.assert_array_equal(lb.TripletLoss()(pred, np.ones(4), np.zeros(4)), [3.0, 3.0])
    with pytest.raises(ValueError, match=r"TripletLoss: positive of shape \(3,\).*pred of shape \(2, 2\)"):
        lb.TripletLoss()(pred, np.ones(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"TripletLoss: negative of shape \(2, 3\)"):
        lb.TripletLoss()(pred, np.ones(4), np.zeros((2, 3)))
    with pytest.raises(TypeError, match="TripletLoss: margin"):
        lb.TripletLoss(margin="1")


# --------------------------------------------------------------------- CosineEmbeddingLoss
def test_cosine_values_by_hand():
    x = np.array([[3.0, 4.0], [3.0, 4.0], [1.0, 0.0]])
    y = np.array([[4.0, 3.0], [4.0, 3.0], [-1.0, 0.0]])
    # cos = (12 + 12) / (5 * 5) = 0.96 for the first two pairs; -1 for the third.
    # label 1: 1 - 0.96 = 0.04; label -1, margin 0.5: max(0, 0.96 - 0.5) = 0.46;
    # label -1 with cos = -1 < 0.5: 0.
    value = lb.CosineEmbeddingLoss(margin=0.5)(x, y, np.array([1, -1, -1]))
    np.testing.assert_allclose(value, [0.04, 0.46, 0.0], rtol=1e-14, atol=1e-16)


def test_cosine_gradient_by_hand():
    # x = (1, 0), y = (0, 1): cos = 0, |x| |y| = 1.
    # dcos/dx = y / 1 - 0 * x = (0, 1);  dcos/dy = x = (1, 0).
    # label 1: loss = 1 - cos, so the gradients are the negatives.
    value, (gx, gy) = lb.CosineEmbeddingLoss().value_and_grad([[1.0, 0.0]], [[0.0, 1.0]], [1])
    np.testing.assert_array_equal(value, [1.0])
    np.testing.assert_array_equal(gx, [[0.0, -1.0]])
    np.testing.assert_array_equal(gy, [[-1.0, 0.0]])
    # x = (2, 0), y = (1, 1): |x| |y| = 2 sqrt 2, cos = 2 / (2 sqrt 2) = 1/sqrt 2.
    # dcos/dx = y / (2 sqrt 2) - cos * x / |x|^2 = (1, 1)/(2 sqrt 2) - (1/sqrt 2)(2, 0)/4
    #         = (1/(2 sqrt 2) - 1/(2 sqrt 2), 1/(2 sqrt 2)) = (0, 0.35355...)
    # label -1, margin 0: cos > 0 so the loss is cos and the gradient is dcos/dx.
    gx = lb.CosineEmbeddingLoss().grad([[2.0, 0.0]], [[1.0, 1.0]], [-1])[0]
    np.testing.assert_allclose(gx, [[0.0, 1 / (2 * np.sqrt(2))]], atol=1e-16)


def test_cosine_uses_every_non_batch_axis_as_the_vector():
    # flat x = (1, 0, 0, 1), y = (1, 0, 1, 0): <x, y> = 1, |x| = |y| = sqrt 2, cos = 1/2,
    # label 1 -> 0.5. (Gluon's axis=-1 would give two cosines, 1 and 0, per sample.)
    x = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    y = np.array([[[1.0, 0.0], [1.0, 0.0]]])
    np.testing.assert_allclose(lb.CosineEmbeddingLoss()(x, y, [1]), [0.5], rtol=1e-15)


def test_cosine_clamps_the_denominator_like_gluon():
    # |x| |y| = 1e-7 * 1e-7 = 1e-14 < 1e-12, so cos = 1e-14 / 1e-12 = 0.01 and 1 - cos = 0.99.
    value, (gx, gy) = lb.CosineEmbeddingLoss().value_and_grad([[1e-7, 0.0]], [[1e-7, 0.0]], [1])
    np.testing.assert_allclose(value, [0.99], rtol=1e-12)
    # clamped branch: dcos/dx = y / 1e-12 = (1e5, 0); label 1 negates it.
    np.testing.assert_allclose(gx, [[-1e5, 0.0]], rtol=1e-12)
    np.testing.assert_allclose(gy, [[-1e5, 0.0]], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cosine_zero_vectors_are_finite(dtype):
    x = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]], dtype=dtype)
    y = np.array([[1.0, 2.0], [0.0, 0.0], [1.0, 2.0]], dtype=dtype)
    # cos = 0 / 1e-12 = 0 in every row. label 1: 1 - 0 = 1; label -1, margin 0: max(0, 0) = 0.
    value, (gx, gy) = lb.CosineEmbeddingLoss().value_and_grad(x, y, [1, 1, -1])
    assert value.dtype == dtype and gx.dtype == dtype and gy.dtype == dtype
    np.testing.assert_array_equal(value, [1.0, 1.0, 0.0])
    # row 0 (clamped, label 1): dx = -y / 1e-12 = (-1e12, -2e12); dy = -x / 1e-12 = 0.
    # row 1: both zero -> 0. row 2: cos - margin = 0 is the kink -> 0.
    np.testing.assert_allclose(gx, [[-1e12, -2e12], [0, 0], [0, 0]], rtol=1e-6)
    np.testing.assert_array_equal(gy, 0.0)


def test_cosine_bad_labels_and_shapes():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"CosineEmbeddingLoss: label must be 1 or -1; got 0"):
        lb.CosineEmbeddingLoss()(x, x, [1, 0])
    with pytest.raises(ValueError, match=r"CosineEmbeddingLoss: label of shape \(3,\).*2 values"):
        lb.CosineEmbeddingLoss()(x, x, [1, -1, 1])
    with pytest.raises(ValueError, match=r"CosineEmbeddingLoss: input2 of shape \(2, 2\).*input1 "
                                         r"of shape \(2, 3\)"):
        lb.CosineEmbeddingLoss()(x, np.ones((2, 2)), [1, -1])
    # A (batch, 1) label, as Gluon reshapes to (-1, 1), is accepted.
    np.testing.assert_allclose(lb.CosineEmbeddingLoss()(x, x, [[1], [-1]]), [0.0, 1.0], atol=1e-15)


# ------------------------------------------------------------------------ MarginRankingLoss
def test_margin_ranking_values_and_gradients_by_hand():
    loss = lb.MarginRankingLoss(margin=0.5)
    x1 = np.array([[2.0, 0.0], [2.0, 0.0]])
    x2 = np.array([[1.0, 1.0], [1.0, 1.0]])
    label = np.array([[1, 1], [-1, -1]])
    # row 0: max(0, -(2 - 1) + 0.5) = 0; max(0, -(0 - 1) + 0.5) = 1.5; mean 0.75
    # row 1: max(0, (2 - 1) + 0.5) = 1.5; max(0, (0 - 1) + 0.5) = 0; mean 0.75
    value, (g1, g2) = loss.value_and_grad(x1, x2, label)
    np.testing.assert_array_equal(value, [0.75, 0.75])
    # active elements: d/dx1 = -label / 2 (the mean over 2), d/dx2 = +label / 2
    np.testing.assert_array_equal(g1, [[0.0, -0.5], [0.5, 0.0]])
    np.testing.assert_array_equal(g2, [[0.0, 0.5], [-0.5, 0.0]])


def test_margin_ranking_rejects_bad_labels():
    with pytest.raises(ValueError, match=r"MarginRankingLoss: label must be 1 or -1; got 0.0"):
        lb.MarginRankingLoss()([[1.0, 2.0]], [[0.0, 0.0]], [[1, 0]])
    with pytest.raises(ValueError, match=r"MarginRankingLoss: label of shape \(1,\).*input1 of "
                                         r"shape \(1, 2\)"):
        lb.MarginRankingLoss()([[1.0, 2.0]], [[0.0, 0.0]], [1])


# -------------------------------------------------------------------------- ContrastiveLoss
def test_contrastive_values_and_gradients_by_hand():
    loss = lb.ContrastiveLoss(margin=1)
    x1 = np.array([[3.0, 4.0], [0.0, 0.5], [0.0, 2.0]])
    x2 = np.zeros((3, 2))
    label = np.array([1, 0, 0])
    # row 0 similar: d = 5, loss = 25 / 2 = 12.5
    # row 1 dissimilar: d = 0.5, hinge = 1 - 0.5 = 0.5, loss = 0.25 / 2 = 0.125
    # row 2 dissimilar: d = 2 > margin, loss 0
    value, (g1, g2) = loss.value_and_grad(x1, x2, label)
    np.testing.assert_array_equal(value, [12.5, 0.125, 0.0])
    # row 0: (x1 - x2) = (3, 4); row 1: -(hinge / d) (x1 - x2) = -(0.5 / 0.5)(0, 0.5) = (0, -0.5)
    np.testing.assert_array_equal(g1, [[3.0, 4.0], [0.0, -0.5], [0.0, 0.0]])
    np.testing.assert_array_equal(g2, -g1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_contrastive_zero_distance_is_finite(dtype):
    x = np.zeros((2, 3), dtype=dtype)
    # d = 0: similar -> 0; dissimilar -> max(0, 2 - 0)^2 / 2 = 2; gradient 0 in both (documented).
    value, (g1, g2) = lb.ContrastiveLoss(margin=2).value_and_grad(x, x, [1, 0])
    assert value.dtype == dtype and g1.dtype == dtype
    np.testing.assert_array_equal(value, [0.0, 2.0])
    np.testing.assert_array_equal(g1, 0.0)
    np.testing.assert_array_equal(g2, 0.0)


def test_contrastive_bad_input():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"ContrastiveLoss: label must be 1 or 0; got -1"):
        lb.ContrastiveLoss()(x, x, [1, -1])
    with pytest.raises(ValueError, match=r"ContrastiveLoss: label of shape \(2, 2\).*2 values"):
        lb.ContrastiveLoss()(x, x, np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"ContrastiveLoss: margin must lie in \[0, inf\)"):
        lb.ContrastiveLoss(margin=-1)


# ------------------------------------------------------------------------ all four together
@pytest.mark.parametrize("name", EMBEDDING)
def test_float32_extremes_stay_finite_and_float32(name):
    record = registry.get(name)
    rng = np.random.default_rng(3)
    args, kwargs = sample(record, rng, {}, 0, np.float32)
    args = [a * np.float32(1e4) if a.dtype == np.float32 else a for a in args]
    value, grads = record.make().value_and_grad(*args, **kwargs)
    assert value.dtype == np.float32 and value.shape == (4,)
    assert np.all(np.isfinite(value))
    for g, a in zip(grads, args):
        assert g.dtype == np.float32 and g.shape == a.shape and np.all(np.isfinite(g))


@pytest.mark.parametrize("name", EMBEDDING)
def test_sample_weight_of_shape_batch_1_and_nan_passes_through(name):
    record = registry.get(name)
    args, kwargs = sample(record, np.random.default_rng(5), {}, 0, np.float64)
    loss = record.make()
    plain = loss(*args, **kwargs)
    weighted = loss(*args, np.arange(1.0, 5.0).reshape(4, 1), **kwargs)
    np.testing.assert_allclose(weighted, plain * np.arange(1.0, 5.0), rtol=1e-15)
    poisoned = [a.copy() for a in args]
    poisoned[0][0, 0] = np.nan
    assert np.isnan(loss(*poisoned, **kwargs)[0])


@pytest.mark.parametrize("name", EMBEDDING)
def test_plot_inputs_trace_the_loss(name):
    """plot_inputs gives one sample per grid point and pick() the derivative along the grid."""
    record = registry.get(name)
    low, high = record.plot_domain
    x = np.linspace(low, high, 41)[1:-1] + 1e-3
    loss = record.make()
    for label in record.plot_labels:
        args, kwargs, pick = record.plot_inputs(x, label, record.defaults)
        value, grads = loss.value_and_grad(*args, **kwargs)
        slope = pick(grads)
        assert value.shape == x.shape == slope.shape
        # central differences along the grid, away from kinks
        h = 1e-6
        up = loss(*record.plot_inputs(x + h, label, record.defaults)[0])
        down = loss(*record.plot_inputs(x - h, label, record.defaults)[0])
        numeric = (up - down) / (2 * h)
        smooth = np.abs(numeric - slope) < 1e-4
        assert smooth.mean() > 0.9, (name, label)


def test_cosine_gradient_in_the_clamped_region_matches_central_differences():
    # |x| |y| is about 7e-14 < 1e-12 here, so cos = <x, y> / 1e-12 and the gradient is y / 1e-12.
    # The generic registry check samples far from zero; this covers the other branch.
    from lossbook.gradcheck import check_grad
    x = np.array([[1e-7, 2e-7], [3e-7, 0.0]])
    y = np.array([[3e-7, -1e-7], [1e-7, 1e-7]])
    label = np.array([1, -1])
    loss = lb.CosineEmbeddingLoss(margin=-0.5)
    grads = loss.grad(x, y, label)
    check_grad(lambda a, b: float(np.sum(loss(a, b, label))), [x, y], grads,
               eps=1e-10, rtol=1e-6, atol=1e-3)
    # and by hand: row 0, label 1: -y / 1e-12 = (-3e5, 1e5); row 1, label -1, cos = 0.03 > -0.5:
    # +y / 1e-12 = (1e5, 1e5)
    np.testing.assert_allclose(grads[0], [[-3e5, 1e5], [1e5, 1e5]], rtol=1e-12)


# ------------------------------------------------------- overflow where the value is finite
def test_contrastive_far_dissimilar_pair_costs_zero_not_nan():
    """|x1 - x2|^2 = 1e40 overflows float32, but a dissimilar pair that far costs 0."""
    far = np.array([[1e20, 0.0]], np.float32)
    value, (g1, g2) = lb.ContrastiveLoss().value_and_grad(far, np.zeros_like(far), [0])
    assert value.dtype == np.float32
    np.testing.assert_array_equal(value, [0.0])
    np.testing.assert_array_equal(g1, 0.0)
    np.testing.assert_array_equal(g2, 0.0)


def test_triplet_with_equal_huge_positive_and_negative_is_the_margin():
    """(a - p)^2 - (a - n)^2 with p = n = 1e200: inf - inf in the naive form; here 0."""
    anchor = np.zeros((1, 2))
    other = np.full((1, 2), 1e200)
    value, grads = lb.TripletLoss(margin=0.5).value_and_grad(anchor, other, other)
    np.testing.assert_array_equal(value, [0.5])
    np.testing.assert_array_equal(grads[0], 0.0)     # 2 (n - p) = 0
    for g in grads:
        assert np.all(np.isfinite(g))
