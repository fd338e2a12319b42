"""Information measures and KLDivLoss: hand-computed values, zero probabilities, bad input.

Every expected number here is worked out by hand from the definitions (the arithmetic is
in the comments) or is a closed form written with ``math.log``; none is produced by the
code under test. The reference values from PyTorch are in test_kldiv_reference.py.
"""
import math
import warnings

import numpy as np
import pytest

import lossbook as lb

LOG2 = math.log(2)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    """A log(0) or 0 * inf that leaks a RuntimeWarning is a defect here."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _dirichlet(rng, shape, classes):
    return rng.dirichlet(np.ones(classes), size=shape)


# ------------------------------------------------------------------ entropy
def test_entropy_fair_coin_is_log2_nats_and_one_bit():
    assert lb.entropy([0.5, 0.5]) == pytest.approx(LOG2, rel=1e-15)
    assert lb.entropy([0.5, 0.5], base=2) == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("n", [1, 3, 6, 1000])
def test_entropy_uniform_is_log_n(n):
    assert lb.entropy(np.full(n, 1.0 / n)) == pytest.approx(math.log(n), rel=1e-12, abs=1e-15)


def test_entropy_biased_coin_by_hand():
    # H = -(0.9 ln 0.9 + 0.1 ln 0.1) = 0.9 * 0.1053605 + 0.1 * 2.3025851
    #   = 0.0948245 + 0.2302585 = 0.3250830 nats;  / ln 2 = 0.4689956 bits
    assert lb.entropy([0.9, 0.1]) == pytest.approx(0.3250830, abs=1e-7)
    assert lb.entropy([0.1, 0.9], base=2) == pytest.approx(0.4689956, abs=1e-7)


def test_entropy_is_vectorised_along_axis():
    table = np.array([[0.5, 1.0], [0.5, 0.0]])      # columns: fair coin, certain outcome
    np.testing.assert_allclose(lb.entropy(table, axis=0), [LOG2, 0.0], rtol=1e-15)
    batch = np.array([[[0.5, 0.5], [1.0, 0.0]], [[0.25, 0.75], [0.9, 0.1]]])
    out = lb.entropy(batch, base=2)
    assert out.shape == (2, 2)
    # 0.25 log2 4 + 0.75 log2 (4/3) = 0.5 + 0.75 * 0.4150375 = 0.8112781
    np.testing.assert_allclose(out, [[1.0, 0.0], [0.8112781, 0.4689956]], atol=1e-7)


def test_entropy_certain_outcome_is_zero_not_nan_and_not_negative_zero():
    value = lb.entropy([0.0, 1.0, 0.0])
    assert value == 0.0 and not np.signbit(value)


def test_base_e_equals_nats_and_base_10():
    assert lb.entropy([0.5, 0.5], base=math.e) == pytest.approx(LOG2, rel=1e-15)
    # uniform over 10 outcomes: log10(10) = 1
    assert lb.entropy(np.full(10, 0.1), base=10) == pytest.approx(1.0, rel=1e-12)


def test_float32_stays_float32():
    p = np.array([[0.25, 0.75]], dtype=np.float32)
    q = np.array([[0.5, 0.5]], dtype=np.float32)
    for value in (lb.entropy(p), lb.entropy(p, base=2), lb.cross_entropy(p, q),
                  lb.kl_divergence(p, q, base=2), lb.js_divergence(p, q)):
        assert value.dtype == np.float32 and value.shape == (1,)
    assert lb.mutual_information(np.full((2, 2), 0.25, dtype=np.float32)).dtype == np.float32
    assert lb.entropy([1, 0]).dtype == np.float64          # integers are promoted


# -------------------------------------------------------- KL and cross-entropy
P = [0.5, 0.5]
Q = [0.25, 0.75]
# KL(P || Q) = 0.5 ln(0.5/0.25) + 0.5 ln(0.5/0.75) = 0.5 ln 2 + 0.5 ln(2/3) = 0.5 ln(4/3)
KL_PQ = 0.5 * math.log(4 / 3)                      # 0.1438410
# KL(Q || P) = 0.25 ln(0.25/0.5) + 0.75 ln(0.75/0.5) = -0.25 ln 2 + 0.75 ln 1.5 = 0.75 ln 3 - ln 2
KL_QP = 0.75 * math.log(3) - math.log(2)           # 0.1308120


def test_kl_of_two_point_distributions_by_hand():
    assert lb.kl_divergence(P, Q) == pytest.approx(KL_PQ, rel=1e-14)
    assert lb.kl_divergence(P, Q) == pytest.approx(0.1438410, abs=1e-7)
    assert lb.kl_divergence(Q, P) == pytest.approx(KL_QP, rel=1e-14)
    assert lb.kl_divergence(Q, P) == pytest.approx(0.1308120, abs=1e-7)
    assert lb.kl_divergence(P, Q, base=2) == pytest.approx(0.5 * math.log2(4 / 3), rel=1e-14)


def test_kl_is_not_symmetric():
    assert abs(lb.kl_divergence(P, Q) - lb.kl_divergence(Q, P)) > 0.01


def test_kl_is_zero_exactly_when_p_equals_q_and_positive_otherwise():
    rng = np.random.default_rng(0)
    p = _dirichlet(rng, (50,), 5)
    q = _dirichlet(rng, (50,), 5)
    assert np.all(lb.kl_divergence(p, p) == 0)
    assert np.all(lb.kl_divergence(p, q) > 0)
    assert np.all(lb.kl_divergence(q, p) > 0)


def test_cross_entropy_by_hand():
    # H(P, Q) = -0.5 ln 0.25 - 0.5 ln 0.75 = 0.5 ln 4 + 0.5 ln(4/3) = 0.6931472 + 0.1438410
    assert lb.cross_entropy(P, Q) == pytest.approx(0.8369882, abs=1e-7)
    # one-hot p: -log q_y, the per-sample softmax cross-entropy
    assert lb.cross_entropy([0.0, 1.0, 0.0], [0.2, 0.5, 0.3]) == pytest.approx(math.log(2), rel=1e-15)


def test_cross_entropy_is_entropy_plus_kl():
    rng = np.random.default_rng(1)
    p = _dirichlet(rng, (20,), 4)
    q = _dirichlet(rng, (20,), 4)
    p[:5, 0] = 0.0                                      # some zero probabilities in p
    p[:5] /= p[:5].sum(axis=1, keepdims=True)
    for base in (None, 2):
        np.testing.assert_allclose(lb.cross_entropy(p, q, base=base),
                                   lb.entropy(p, base=base) + lb.kl_divergence(p, q, base=base),
                                   rtol=1e-12)


def test_cross_entropy_of_p_with_itself_is_entropy():
    assert lb.cross_entropy([0.9, 0.1], [0.9, 0.1]) == pytest.approx(0.3250830, abs=1e-7)


# -------------------------------------------------------------- Jensen-Shannon
def test_js_by_hand_with_a_zero_probability():
    # p = (1, 0), q = (1/2, 1/2), m = (3/4, 1/4)
    # KL(p || m) = ln(4/3);  KL(q || m) = 0.5 ln(2/3) + 0.5 ln 2 = 0.5 ln(4/3)
    # JS = 0.5 ln(4/3) + 0.25 ln(4/3) = 0.75 ln(4/3) = 0.2157616
    assert lb.js_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(0.75 * math.log(4 / 3), rel=1e-14)
    assert lb.js_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(0.2157616, abs=1e-7)


def test_js_of_disjoint_supports_is_log2_one_bit():
    assert lb.js_divergence([1.0, 0.0, 0.0], [0.0, 0.5, 0.5]) == pytest.approx(LOG2, rel=1e-15)
    assert lb.js_divergence([0.0, 1.0], [1.0, 0.0], base=2) == pytest.approx(1.0, rel=1e-15)


def test_js_is_symmetric_bounded_and_zero_for_equal_inputs():
    rng = np.random.default_rng(2)
    p = _dirichlet(rng, (100,), 3)
    q = _dirichlet(rng, (100,), 3)
    forward, backward = lb.js_divergence(p, q), lb.js_divergence(q, p)
    np.testing.assert_allclose(forward, backward, rtol=1e-13)
    assert np.all(forward > 0) and np.all(forward <= LOG2)
    assert np.all(lb.js_divergence(p, q, base=2) <= 1.0)
    assert np.all(lb.js_divergence(p, p) == 0)


# ----------------------------------------------------------- mutual information
def test_mutual_information_of_an_independent_table_is_zero():
    joint = np.outer([0.2, 0.8], [0.1, 0.3, 0.6])
    assert lb.mutual_information(joint) == pytest.approx(0.0, abs=1e-15)
    assert lb.mutual_information(np.full((2, 2), 0.25)) == 0.0


def test_mutual_information_of_a_perfectly_correlated_table_is_log2():
    assert lb.mutual_information([[0.5, 0.0], [0.0, 0.5]]) == pytest.approx(LOG2, rel=1e-15)
    assert lb.mutual_information([[0.0, 0.5], [0.5, 0.0]], base=2) == pytest.approx(1.0, rel=1e-15)


def test_mutual_information_by_hand():
    # joint [[0.4, 0.1], [0.1, 0.4]], both marginals (0.5, 0.5), p(x)p(y) = 0.25:
    # I = 2 * 0.4 ln(0.4/0.25) + 2 * 0.1 ln(0.1/0.25) = 0.8 ln 1.6 + 0.2 ln 0.4
    #   = 0.8 * 0.4700036 - 0.2 * 0.9162907 = 0.3760029 - 0.1832581 = 0.1927448
    assert lb.mutual_information([[0.4, 0.1], [0.1, 0.4]]) == pytest.approx(0.1927448, abs=1e-7)


def test_mutual_information_is_hx_plus_hy_minus_hxy():
    rng = np.random.default_rng(3)
    joint = rng.dirichlet(np.ones(12)).reshape(3, 4)
    joint[0, 1] = 0.0
    joint /= joint.sum()
    expected = (lb.entropy(joint.sum(axis=1)) + lb.entropy(joint.sum(axis=0))
                - lb.entropy(joint.reshape(-1)))
    assert lb.mutual_information(joint) == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------- zero probabilities
def test_zero_probabilities_give_finite_values_where_the_math_is_finite():
    assert lb.entropy([1.0, 0.0]) == 0.0
    # p_i = 0 contributes nothing whatever q_i is, q_i = 0 included
    assert lb.kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(LOG2, rel=1e-15)
    assert lb.kl_divergence([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert lb.cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert lb.cross_entropy([1.0, 0.0], [0.5, 0.5]) == pytest.approx(LOG2, rel=1e-15)
    assert np.isfinite(lb.js_divergence([1.0, 0.0], [0.0, 1.0]))
    assert lb.mutual_information([[1.0, 0.0], [0.0, 0.0]]) == 0.0


def test_zero_probabilities_give_inf_where_the_math_is_infinite():
    # p puts mass where q has none: p log(p/0) = +inf
    kl = lb.kl_divergence([0.5, 0.5], [1.0, 0.0])
    ce = lb.cross_entropy([0.5, 0.5], [1.0, 0.0])
    assert kl == np.inf and ce == np.inf
    batch = lb.kl_divergence([[0.5, 0.5], [0.5, 0.5]], [[1.0, 0.0], [0.25, 0.75]])
    assert batch[0] == np.inf and batch[1] == pytest.approx(KL_PQ, rel=1e-14)


def test_nan_in_gives_nan_out():
    assert np.isnan(lb.entropy([np.nan, 0.5]))
    assert np.isnan(lb.kl_divergence([0.5, 0.5], [np.nan, 0.5]))
    assert np.isnan(lb.kl_divergence([0.0, 1.0], [np.nan, 0.5]))   # NaN under a zero p too
    assert np.isnan(lb.cross_entropy([0.0, 1.0], [np.nan, 0.5]))
    assert np.isnan(lb.js_divergence([np.nan, 0.5], [0.5, 0.5]))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("func,args,arg", [
    (lb.entropy, ([0.5, -0.1, 0.6],), "p"),
    (lb.cross_entropy, ([0.5, 0.5], [1.2, -0.2]), "q"),
    (lb.kl_divergence, ([-0.5, 1.5], [0.5, 0.5]), "p"),
    (lb.js_divergence, ([0.5, 0.5], [-1.0, 2.0]), "q"),
    (lb.mutual_information, ([[0.5, -0.5], [0.5, 0.5]],), "joint"),
])
def test_negative_probabilities_are_rejected(func, args, arg):
    with pytest.raises(ValueError, match=rf"^{func.__name__}: {arg} must be non-negative.*shape"):
        func(*args)


@pytest.mark.parametrize("func,args,arg", [
    (lb.entropy, ([3.0, 1.0],), "p"),                              # counts, not probabilities
    (lb.cross_entropy, ([0.5, 0.5], [0.5, 0.6]), "q"),
    (lb.kl_divergence, ([[0.5, 0.5], [0.2, 0.2]], [[0.5, 0.5], [0.5, 0.5]]), "p"),
    (lb.js_divergence, ([0.5, 0.5], [0.3, 0.3]), "q"),
    (lb.mutual_information, ([[1.0, 1.0], [1.0, 1.0]],), "joint"),
])
def test_unnormalised_inputs_are_rejected_not_normalised(func, args, arg):
    with pytest.raises(ValueError, match=rf"^{func.__name__}: {arg} must sum to 1.*shape"):
        func(*args)


def test_sum_is_checked_along_the_given_axis():
    table = np.array([[0.5, 1.0], [0.5, 0.0]])       # columns sum to 1, rows do not
    lb.entropy(table, axis=0)
    with pytest.raises(ValueError, match=r"entropy: p must sum to 1 along axis -1 .*shape \(2, 2\)"):
        lb.entropy(table)


@pytest.mark.parametrize("func", [lb.cross_entropy, lb.kl_divergence, lb.js_divergence])
def test_shapes_must_match_exactly(func):
    with pytest.raises(ValueError, match=rf"{func.__name__}: p of shape \(2,\) and q of shape "
                                         r"\(3,\) must have the same shape"):
        func([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match=rf"{func.__name__}: p of shape \(1, 2\) and q of shape \(2,\)"):
        func([[0.5, 0.5]], [0.5, 0.5])                  # no silent broadcasting


def test_bad_axis_base_scalar_and_table_shape():
    with pytest.raises(ValueError, match=r"entropy: axis=1 is out of range for p of shape \(2,\)"):
        lb.entropy([0.5, 0.5], axis=1)
    with pytest.raises(ValueError, match=r"entropy: p must have at least one axis"):
        lb.entropy(1.0)
    for base in (1, 0, -2):
        with pytest.raises(ValueError, match=r"kl_divergence: base must (lie in \(0, inf\)|be a positive number other than 1)"):
            lb.kl_divergence(P, Q, base=base)
    with pytest.raises(ValueError, match=r"kl_divergence: base must be finite"):
        lb.kl_divergence(P, Q, base=float("nan"))
    with pytest.raises(TypeError, match=r"kl_divergence: base must be a real number, got '2'"):
        lb.kl_divergence(P, Q, base="2")
    with pytest.raises(ValueError, match=r"mutual_information: joint must be a 2-D table.*\(4,\)"):
        lb.mutual_information([0.25, 0.25, 0.25, 0.25])


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match=r"entropy: p must be an array of probabilities"):
        lb.entropy("0.5 0.5")
    with pytest.raises(TypeError, match=r"kl_divergence: q must be an array of real numbers"):
        lb.kl_divergence([0.5, 0.5], [0.5 + 0j, 0.5])
    with pytest.raises(TypeError, match=r"js_divergence: axis must be an int"):
        lb.js_divergence(P, Q, axis=0.0)


# ------------------------------------------------------------------ KLDivLoss
def test_kldiv_from_log_probabilities_by_hand():
    loss = lb.KLDivLoss()                                     # from_logits=True
    log_q = np.log([[0.25, 0.75], [0.5, 0.5]])
    label = np.array([[0.5, 0.5], [0.5, 0.5]])
    value, grad = loss.value_and_grad(log_q, label)
    # sample 0: KL(P || Q) = 0.5 ln(4/3); sample 1: P == Q, 0 up to the 1e-12 of log(label + 1e-12)
    np.testing.assert_allclose(value, [KL_PQ, 0.0], rtol=1e-10, atol=1e-11)
    np.testing.assert_array_equal(grad, -label)               # d/dpred = -label


def test_kldiv_from_logits_by_hand():
    loss = lb.KLDivLoss(from_logits=False)
    logits = np.array([[0.0, math.log(3.0)]])                 # softmax = (1/4, 3/4)
    value, grad = loss.value_and_grad(logits, [[0.5, 0.5]])
    np.testing.assert_allclose(value, [KL_PQ], rtol=1e-10)
    np.testing.assert_allclose(grad, [[0.25 - 0.5, 0.75 - 0.5]], rtol=1e-12)   # Q - P


def test_kldiv_gradient_does_not_assume_label_rows_sum_to_one():
    loss = lb.KLDivLoss(from_logits=False)
    logits = np.array([[0.0, math.log(3.0)]])                 # softmax = (1/4, 3/4)
    value, grad = loss.value_and_grad(logits, [[1.0, 1.0]])
    # value = 1 (ln 1 - ln 1/4) + 1 (ln 1 - ln 3/4) = ln 4 + ln(4/3) = ln(16/3)
    np.testing.assert_allclose(value, [math.log(16 / 3)], rtol=1e-10)
    # grad = -label + softmax * sum(label) = (-1 + 2/4, -1 + 6/4)
    np.testing.assert_allclose(grad, [[-0.5, 0.5]], rtol=1e-12)


def test_kldiv_with_one_hot_label_is_minus_log_softmax_at_the_label():
    loss = lb.KLDivLoss(from_logits=False)
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    label = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    value, grad = loss.value_and_grad(logits, label)
    # sample 0: -log softmax_2 = log(e + e^2 + e^3) - 3 = log(1 + e^-1 + e^-2) = 0.4076060
    # sample 1: uniform over 3 classes, -log(1/3) = log 3
    # (plus 1 * log(1 + 1e-12) = 1e-12 from the label's own term)
    np.testing.assert_allclose(value, [math.log(1 + math.exp(-1) + math.exp(-2)), math.log(3)],
                               rtol=1e-10)
    assert value[0] == pytest.approx(0.4076060, abs=1e-7)
    # the softmax cross-entropy gradient softmax - onehot
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(grad, [e / e.sum() - [0, 0, 1], [1 / 3 - 1, 1 / 3, 1 / 3]],
                               rtol=1e-12)


def test_kldiv_sums_over_every_non_batch_axis():
    # two rows per sample, each row the pair (P, Q) above: the sample's KL is 2 * 0.5 ln(4/3)
    log_q = np.log(np.tile([0.25, 0.75], (3, 2, 1)))
    label = np.full((3, 2, 2), 0.5)
    np.testing.assert_allclose(lb.KLDivLoss()(log_q, label), np.full(3, 2 * KL_PQ), rtol=1e-10)
    # batch_axis=1: the same numbers read with the sample axis second
    np.testing.assert_allclose(lb.KLDivLoss(batch_axis=1)(log_q, label), np.full(2, 3 * KL_PQ),
                               rtol=1e-10)


def test_kldiv_softmax_axis_and_sample_weight():
    # classes on axis 0 of each sample: pred of shape (batch, classes, 1) and axis=1
    logits = np.array([[[0.0], [math.log(3.0)]]])
    label = np.array([[[0.5], [0.5]]])
    loss = lb.KLDivLoss(from_logits=False, axis=1)
    np.testing.assert_allclose(loss(logits, label), [KL_PQ], rtol=1e-10)
    np.testing.assert_allclose(loss(logits, label, np.array([[[3.0]]])), [3 * KL_PQ], rtol=1e-10)
    weighted = lb.KLDivLoss(from_logits=False, axis=1, weight=0.5)
    np.testing.assert_allclose(weighted.grad(logits, label), [[[-0.125], [0.125]]], rtol=1e-12)


def test_kldiv_zero_label_contributes_nothing():
    loss = lb.KLDivLoss()
    log_q = np.log([[0.25, 0.25, 0.5]])
    # label (0, 0.5, 0.5): the first entry adds 0 * (log 1e-12 - log 1/4) = 0
    # KL = 0.5 ln(0.5/0.25) + 0.5 ln(0.5/0.5) = 0.5 ln 2
    np.testing.assert_allclose(loss(log_q, [[0.0, 0.5, 0.5]]), [0.5 * LOG2], rtol=1e-10)
    np.testing.assert_allclose(loss.elementwise(log_q, [[0.0, 0.5, 0.5]])[0, 0], 0.0, atol=0)


def test_kldiv_float32_in_float32_out_and_finite_at_extreme_logits():
    loss = lb.KLDivLoss(from_logits=False)
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=np.float32)
    label = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]], dtype=np.float32)
    value, grad = loss.value_and_grad(logits, label)
    assert value.dtype == np.float32 and grad.dtype == np.float32
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    # sample 0: -log softmax_1 = 2e4 (e^-1e4 and e^-2e4 vanish); the grad is softmax - label
    assert value[0] == pytest.approx(2e4, rel=1e-6)
    np.testing.assert_allclose(grad[0], [1.0, -1.0, 0.0], atol=1e-6)
    # sample 1: log softmax = (-2e4 - ln 2, -ln 2, -ln 2), so the value is
    # 0.2 (ln 0.2 + 2e4 + ln 2) + 0.3 (ln 0.3 + ln 2) + 0.5 (ln 0.5 + ln 2)
    # = 0.2 (2e4 + ln 0.4) + 0.3 ln 0.6 = 4000 - 0.1832581 - 0.1532477 = 3999.6634942
    assert value[1] == pytest.approx(3999.6634942, rel=1e-6)
    np.testing.assert_allclose(grad[1], [-0.2, 0.5 - 0.3, 0.5 - 0.5], atol=1e-6)
    # from_logits=True keeps float32 as well
    out = lb.KLDivLoss()(np.log(label[1:] + np.float32(0.1)), label[1:])
    assert out.dtype == np.float32


def test_kldiv_negative_label_is_an_error():
    with pytest.raises(ValueError, match=r"^KLDivLoss: label must lie in \[0, inf\) \(the target probabilities\).*-0\.1.*\(1, 3\)"):
        lb.KLDivLoss()(np.log([[0.2, 0.3, 0.5]]), [[0.6, 0.5, -0.1]])


def test_kldiv_size_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"^KLDivLoss: label of shape \(2, 2\) has 4 elements but "
                                         r"pred of shape \(2, 3\) has 6"):
        lb.KLDivLoss()(np.zeros((2, 3)), np.full((2, 2), 0.5))


def test_kldiv_softmax_axis_must_not_be_the_batch_axis():
    with pytest.raises(ValueError, match=r"^KLDivLoss: axis=-1 and batch_axis=0 name the same "
                                         r"axis of pred of shape \(4,\); give pred a class axis"):
        lb.KLDivLoss(from_logits=False)(np.zeros(4), np.full(4, 0.25))
    with pytest.raises(ValueError, match=r"^KLDivLoss: axis=2 is out of range for pred of shape \(2, 2\)"):
        lb.KLDivLoss(from_logits=False, axis=2)(np.zeros((2, 2)), np.full((2, 2), 0.5))
    with pytest.raises(TypeError, match=r"KLDivLoss: axis must be an int"):
        lb.KLDivLoss(axis=None)


def test_kldiv_matches_the_kl_divergence_function():
    rng = np.random.default_rng(4)
    p = _dirichlet(rng, (6,), 5)
    q = _dirichlet(rng, (6,), 5)
    np.testing.assert_allclose(lb.KLDivLoss()(np.log(q), p), lb.kl_divergence(p, q),
                               rtol=1e-9, atol=1e-11)


def test_kldiv_registry_plot_inputs_trace_the_same_curve_in_both_configs():
    record = lb.registry.get("KLDivLoss")
    assert record.family == "information"
    x = np.linspace(-6, 6, 25)
    q = 0.2
    curves = []
    for config in record.all_configs():
        args, kwargs, pick = record.plot_inputs(x, q, config)
        loss = record.make(**config)
        value, grad = loss.value_and_grad(*args, **kwargs)
        curves.append((value, pick(grad)))
        # d/dx of KL((q, 1-q) || (sigmoid x, sigmoid -x)) = sigmoid(x) - q
        np.testing.assert_allclose(pick(grad), 1 / (1 + np.exp(-x)) - q, atol=1e-12)
    np.testing.assert_allclose(curves[0][0], curves[1][0], rtol=1e-9, atol=1e-12)


def test_float16_distributions_get_a_float16_tolerance():
    """A float16 distribution's float16 sum is off by float16 rounding, here 0.99976."""
    p = np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float16)
    assert abs(float(np.sum(p, dtype=np.float64)) - 1) > 1e-4    # beyond float32's tolerance
    h = lb.entropy(p)
    assert h.dtype == np.float32
    expected = -np.sum(p.astype(np.float64) * np.log(p.astype(np.float64)))
    np.testing.assert_allclose(h, expected, rtol=1e-6)
    assert lb.kl_divergence(p, p) == 0
    with pytest.raises(ValueError, match=r"entropy: p must sum to 1 along axis -1 \(within 0.01\)"):
        lb.entropy(np.array([0.5, 0.4], dtype=np.float16))
    with pytest.raises(ValueError, match=r"within 0.0001"):
        lb.entropy(np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float16).astype(np.float32) * 0.9997)


def test_kldiv_from_logits_ties_at_huge_magnitude_stay_exact():
    """log_softmax subtracts the maximum first: [1e30, 1e30] gives log(1/2) twice."""
    value = lb.KLDivLoss(from_logits=False)(np.array([[1e30, 1e30]]), np.array([[0.9, 0.1]]))
    exact = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)          # 0.368
    np.testing.assert_allclose(value, [exact], rtol=1e-10)    # (Gluon's + 1e-12 in the log)


def test_kldiv_docstring_says_mxnet_1_9_1_sums():
    """MXNet 1.9.1's KLDivLoss ends in F.sum(..., exclude=True); only its docstring says
    'averaged'. lossbook sums too (test_kldiv_sums_over_every_non_batch_axis)."""
    doc = " ".join(lb.KLDivLoss.__doc__.split())
    assert "F.sum(loss, axis=self._batch_axis, exclude=True)" in doc
    assert "lossbook and Gluon agree" in doc
