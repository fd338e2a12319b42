"""CTCLoss and the sequence helpers.

Expected values come from outside the recursions: the brute-force sum over every
alignment (itertools over all C^T paths), PyTorch's ctc_loss (stored data, made by
tests/data/make_ctc_reference.py), closed forms (empty label, alignment counts) and
central differences.
"""
import itertools
import math

import numpy as np
import pytest

import lossbook as lb
from lossbook import sequence as sequence_module
from lossbook.book import ctc as sequence
from lossbook.gradcheck import check_grad, numerical_grad



def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def brute_force(pred, label, blank):
    """Probability and class posteriors of one sample, summing over all C^T paths directly."""
    T, C = pred.shape
    probs = softmax(pred)
    total, occupancy = 0.0, np.zeros((T, C))
    for path in itertools.product(range(C), repeat=T):
        merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        if [c for c in merged if c != blank] != list(label):
            continue
        weight = np.prod(probs[np.arange(T), path])
        total += weight
        occupancy[np.arange(T), path] += weight
    return total, occupancy


def random_case(rng):
    T = int(rng.integers(1, 6))
    C = int(rng.integers(2, 5))
    blank = int(rng.choice([0, C - 1]))
    symbols = [c for c in range(C) if c != blank]
    L = int(rng.integers(0, min(T, 3) + 1))
    label = list(rng.choice(symbols, size=L))
    if L >= 2 and rng.random() < 0.5:
        label[1] = label[0]                            # force a repeat
    pred = rng.normal(scale=1.5, size=(T, C))
    return pred, label, blank


# ------------------------------------------------------------------- brute force agrees
@pytest.mark.parametrize("seed", range(60))
def test_loss_and_gradient_match_brute_force_enumeration(seed):
    rng = np.random.default_rng(seed)
    pred, label, blank = random_case(rng)
    loss = lb.CTCLoss(blank="first" if blank == 0 else "last")
    total, occupancy = brute_force(pred, label, blank)
    value, grad = loss.value_and_grad(pred[None], np.array([label + [-1]]))
    assert value.shape == (1,)
    if total == 0:                                     # no alignment: infeasible
        assert value[0] == np.inf
        np.testing.assert_array_equal(grad, 0)
    else:
        np.testing.assert_allclose(value[0], -np.log(total), rtol=1e-12)
        np.testing.assert_allclose(grad[0], softmax(pred) - occupancy / total, atol=1e-12)
    helper = sequence.brute_force_probability(pred, label, blank=blank)
    np.testing.assert_allclose(helper, total, rtol=1e-12)


def test_batch_with_variable_lengths_equals_samples_cut_to_length():
    rng = np.random.default_rng(1)
    N, T, C, L = 4, 7, 4, 3
    pred = rng.normal(size=(N, T, C))
    label = np.array([[0, 0, 1], [2, -1, -1], [-1, -1, -1], [1, 2, -1]])
    pred_lengths = np.array([7, 3, 5, 4])
    loss = lb.CTCLoss()
    value, grad = loss.value_and_grad(pred, label, pred_lengths)
    for n in range(N):
        used = pred[n, :pred_lengths[n]]
        symbols = [c for c in label[n] if c >= 0]
        total, occupancy = brute_force(used, symbols, blank=C - 1)
        np.testing.assert_allclose(value[n], -np.log(total), rtol=1e-12)
        np.testing.assert_allclose(grad[n, :pred_lengths[n]], softmax(used) - occupancy / total,
                                   atol=1e-12)
        np.testing.assert_array_equal(grad[n, pred_lengths[n]:], 0)


def test_frames_and_labels_past_the_lengths_do_not_matter():
    rng = np.random.default_rng(2)
    pred = rng.normal(size=(3, 6, 5))
    label = rng.integers(0, 4, size=(3, 4))
    lengths = dict(pred_lengths=[6, 4, 5], label_lengths=[2, 1, 0])
    value, grad = lb.CTCLoss().value_and_grad(pred, label, **lengths)
    changed_pred, changed_label = pred.copy(), label.copy()
    changed_pred[1, 4:] = 50.0
    changed_label[0, 2:] = 3
    changed_label[1, 1:] = -7                          # ignored: past label_lengths
    value2, grad2 = lb.CTCLoss().value_and_grad(changed_pred, changed_label, **lengths)
    np.testing.assert_array_equal(value, value2)
    np.testing.assert_array_equal(grad, grad2)


def test_padding_with_minus_one_equals_explicit_label_lengths():
    rng = np.random.default_rng(3)
    pred = rng.normal(size=(3, 6, 4))
    padded = np.array([[1, 0, -1, 2], [-1, 0, 0, 0], [2, 2, 1, 0]])  # after the first -1: ignored
    explicit = np.where(padded < 0, 0, padded)
    a = lb.CTCLoss().value_and_grad(pred, padded)
    b = lb.CTCLoss().value_and_grad(pred, explicit, None, [2, 0, 4])
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


# --------------------------------------------------------------------------- closed forms
def test_empty_label_is_minus_the_sum_of_blank_log_probabilities():
    rng = np.random.default_rng(4)
    pred = rng.normal(size=(2, 5, 3))
    value, grad = lb.CTCLoss().value_and_grad(pred, np.full((2, 2), -1))
    p = softmax(pred)
    np.testing.assert_allclose(value, -np.log(p[:, :, 2]).sum(axis=1), rtol=1e-12)
    onehot_blank = np.zeros(3)
    onehot_blank[2] = 1
    np.testing.assert_allclose(grad, p - onehot_blank, atol=1e-14)


@pytest.mark.parametrize("T,label", [(1, [0]), (3, [0]), (4, [0, 1]), (6, [2, 0, 1]), (5, [0, 1, 0])])
def test_number_of_alignments_is_binomial(T, label):
    # Without equal neighbours, the label's L symbols and T - L blank-or-repeat frames
    # give C(T + L, T - L) alignments (choose the run boundaries).
    L = len(label)
    paths = sequence.enumerate_alignments(label, T, 4)
    assert len(paths) == math.comb(T + L, T - L)
    assert all(sequence.collapse(p, 3) == label for p in paths)


def test_uniform_scores_give_count_over_classes_to_the_T():
    T, C, label = 5, 4, [1, 1, 2]
    count = len(sequence.enumerate_alignments(label, T, C))
    value = lb.CTCLoss()(np.zeros((1, T, C)), [label])
    np.testing.assert_allclose(value, [-np.log(count / C ** T)], rtol=1e-12)


# ------------------------------------------------------------------- MXNet's example
def test_mxnet_documented_example():
    # MXNet's ctc_loss docs: vocabulary [a, b, c], sequences 'ba', 'cbb', 'abac';
    # with blank_label='last', a=0, b=1, c=2, blank=3 (alphabet_size 4), padded with -1.
    label = np.array([[1, 0, -1, -1], [2, 1, 1, -1], [0, 1, 0, 2]])
    rng = np.random.default_rng(5)
    pred = rng.normal(size=(3, 6, 4))
    value = lb.CTCLoss()(pred, label)
    assert value.shape == (3,)
    for n, word in enumerate(["ba", "cbb", "abac"]):
        symbols = ["abc".index(ch) for ch in word]
        total, _ = brute_force(pred[n], symbols, blank=3)
        np.testing.assert_allclose(value[n], -np.log(total), rtol=1e-12)
    # Gluon's NDArrays hold float32 labels: integer-valued floats are accepted.
    np.testing.assert_array_equal(lb.CTCLoss()(pred, label.astype(np.float32)), value)
    # The same with Gluon's TNC layout and label lengths instead of padding.
    value_tnc = lb.CTCLoss(layout="TNC")(pred.transpose(1, 0, 2), np.maximum(label, 0),
                                         label_lengths=[2, 3, 4])
    np.testing.assert_allclose(value_tnc, value, rtol=1e-14)


# --------------------------------------------------------------------- layouts and blank
def test_layouts_agree():
    rng = np.random.default_rng(6)
    pred = rng.normal(size=(3, 5, 4))
    label = np.array([[0, 1], [2, -1], [1, 1]])
    kw = dict(pred_lengths=[5, 3, 4])
    v, g = lb.CTCLoss().value_and_grad(pred, label, **kw)
    for layout, label_layout in [("TNC", "NT"), ("NTC", "TN"), ("TNC", "TN")]:
        loss = lb.CTCLoss(layout=layout, label_layout=label_layout)
        assert loss.batch_axis == label_layout.find("N")
        p = pred.transpose(1, 0, 2) if layout == "TNC" else pred
        lab = label.T if label_layout == "TN" else label
        v2, g2 = loss.value_and_grad(p, lab, **kw)
        np.testing.assert_allclose(v2, v, rtol=1e-14)
        np.testing.assert_allclose(g2, g.transpose(1, 0, 2) if layout == "TNC" else g, atol=1e-15)


@pytest.mark.parametrize("blank", ["first", 0, 2, -1])
def test_blank_position_is_a_relabelling(blank):
    rng = np.random.default_rng(7)
    C = 4
    pred = rng.normal(size=(2, 5, C))
    label = np.array([[0, 1, 1], [2, -1, -1]])       # classes 0..2, blank last
    index = {"first": 0, 0: 0, 2: 2, -1: 3}[blank]
    order = [c for c in range(C - 1)]
    order.insert(index, C - 1)                        # new class k holds old class order[k]
    new_of_old = np.argsort(order)
    moved_label = np.where(label >= 0, new_of_old[np.maximum(label, 0)], -1)
    v, g = lb.CTCLoss().value_and_grad(pred, label)
    v2, g2 = lb.CTCLoss(blank=blank).value_and_grad(pred[:, :, order], moved_label)
    np.testing.assert_allclose(v2, v, rtol=1e-13)
    np.testing.assert_allclose(g2, g[:, :, order], atol=1e-14)


# ------------------------------------------------------------------- infeasible samples
def test_infeasible_sample_gives_inf_and_zero_gradient_without_touching_others():
    rng = np.random.default_rng(8)
    pred = rng.normal(size=(3, 4, 3))
    label = np.array([[0, 0, -1], [0, 1, 1], [1, -1, -1]])   # needs 3 (of 3), 4 (of 3), 1 (of 4)
    pred_lengths = np.array([3, 3, 4])
    with np.errstate(all="raise"):
        v, g = lb.CTCLoss().value_and_grad(pred, label, pred_lengths)
    assert np.isfinite(v[[0, 2]]).all() and v[1] == np.inf
    assert np.isfinite(g).all()
    np.testing.assert_array_equal(g[1], 0)
    alone, g_alone = lb.CTCLoss().value_and_grad(pred[[0, 2]], label[[0, 2]], pred_lengths[[0, 2]])
    np.testing.assert_array_equal(v[[0, 2]], alone)
    np.testing.assert_array_equal(g[[0, 2]], g_alone)
    zeroed, g_zeroed = lb.CTCLoss(zero_infinity=True).value_and_grad(pred, label, pred_lengths)
    np.testing.assert_array_equal(zeroed, [v[0], 0, v[2]])
    np.testing.assert_array_equal(g_zeroed, g)


def test_degenerate_shapes():
    v = lb.CTCLoss()(np.zeros((2, 3, 3)), [[-1], [0]], pred_lengths=[0, 0])
    np.testing.assert_array_equal(v, [0, np.inf])
    v, g = lb.CTCLoss().value_and_grad(np.zeros((2, 0, 3)), [[-1], [0]])   # no frames at all
    np.testing.assert_array_equal(v, [0, np.inf])
    assert g.shape == (2, 0, 3)
    v, g = lb.CTCLoss().value_and_grad(np.zeros((2, 3, 4)), np.zeros((2, 0)))  # no label positions
    np.testing.assert_allclose(v, [3 * np.log(4)] * 2, rtol=1e-14)
    v, g = lb.CTCLoss().value_and_grad(np.ones((1, 3, 1)), [[-1]])         # only the blank
    np.testing.assert_array_equal(v, [0])
    np.testing.assert_array_equal(g, 0)
    v, g = lb.CTCLoss().value_and_grad(np.zeros((0, 3, 4)), np.zeros((0, 2)))  # empty batch
    assert v.shape == (0,) and g.shape == (0, 3, 4)


# --------------------------------------------------------------------------- numerics
def test_float32_long_sequence_is_finite_and_close_to_float64():
    rng = np.random.default_rng(9)
    N, T, C, L = 2, 1000, 20, 150
    pred = rng.normal(scale=3.0, size=(N, T, C))
    label = rng.integers(0, C - 1, size=(N, L))
    v64, g64 = lb.CTCLoss().value_and_grad(pred, label, [1000, 700])
    v32, g32 = lb.CTCLoss().value_and_grad(pred.astype(np.float32), label, [1000, 700])
    assert v32.dtype == g32.dtype == np.float32
    assert np.isfinite(v32).all() and np.isfinite(g32).all()
    assert v64.min() > 1000                           # a long, hard label: large losses
    np.testing.assert_allclose(v32, v64, rtol=1e-5)
    # Rounding of alpha + beta (about -3000 each) leaves ~2e-3 in the posteriors; torch's
    # float32 ctc_loss on these inputs is off by the same (2.0e-3, measured when writing this).
    np.testing.assert_allclose(g32, g64, atol=5e-3)
    assert np.abs(g32 - g64).mean() < 1e-4             # 2.8e-5 measured; |grad| averages 0.07
    np.testing.assert_allclose(g64.sum(axis=2), 0, atol=1e-9)   # softmax minus a distribution


def test_extreme_float32_activations_stay_finite():
    rng = np.random.default_rng(10)
    pred = (rng.choice([-1e4, 0.0, 1e4], size=(2, 6, 4))).astype(np.float32)
    v, g = lb.CTCLoss().value_and_grad(pred, [[0, 1], [2, 2]])
    assert np.isfinite(v).all() and np.isfinite(g).all()


def test_nan_in_gives_nan_out_for_that_sample_only():
    pred = np.random.default_rng(14).normal(size=(3, 4, 3))
    pred[1, 1, 0] = np.nan
    clean = np.delete(pred, 1, axis=0)
    label = [[0, 1], [0, -1], [1, 1]]
    v, g = lb.CTCLoss().value_and_grad(pred, label)
    v_clean, g_clean = lb.CTCLoss().value_and_grad(clean, [label[0], label[2]])
    assert np.isnan(v[1])
    np.testing.assert_array_equal(v[[0, 2]], v_clean)     # the NaN does not leak to neighbours
    np.testing.assert_array_equal(g[[0, 2]], g_clean)


def test_gradient_against_central_differences_with_weights_in_float64():
    rng = np.random.default_rng(11)
    pred = rng.normal(size=(5, 3, 4))                 # TNC
    label = np.array([[1, 1, 0], [2, 0, -1], [-1, 0, 0]]).T   # TN; -1 pads
    loss = lb.CTCLoss(layout="TNC", label_layout="TN", weight=0.7)
    kw = dict(pred_lengths=[5, 4, 3], sample_weight=[0.5, 2.0, 1.5])
    head = np.array([1.0, -0.5, 2.0])
    grad = loss.grad(pred, label, out_grad=head, **kw)
    check_grad(lambda p: float(np.sum(head * loss(p, label, **kw))), [pred], [grad],
               rtol=1e-6, atol=1e-9)


# -------------------------------------------------------------------------- helpers
def test_alignment_posteriors_rows_sum_to_one_and_match_brute_force():
    rng = np.random.default_rng(12)
    pred, label, C = rng.normal(size=(5, 4)), [0, 2, 2], 4
    gamma = sequence.alignment_posteriors(pred, label)
    ext = sequence.extended_label(label, blank=3)
    assert gamma.shape == (5, 7)
    np.testing.assert_allclose(gamma.sum(axis=1), 1, rtol=1e-12)
    total, occupancy = brute_force(pred, label, blank=3)
    by_class = np.stack([gamma[:, ext == c].sum(axis=1) for c in range(C)], axis=1)
    np.testing.assert_allclose(by_class, occupancy / total, atol=1e-12)
    assert gamma[0, 2:].sum() == 0 and gamma[-1, :-2].sum() == 0   # start and end states
    np.testing.assert_array_equal(sequence.alignment_posteriors(pred, [0, 0, 0, 1]), 0)  # needs 6


def test_best_path_decode_collapses_repeats_and_drops_blanks():
    a, b, blank = 0, 1, 2
    path = [a, a, blank, a, b, b, blank, blank]
    scores = np.full((len(path), 3), -5.0)
    scores[np.arange(len(path)), path] = 1.0
    assert sequence.best_path_decode(scores) == [a, a, b]
    batch = np.stack([scores, scores[::-1]])
    assert sequence.best_path_decode(batch, pred_lengths=[3, 8]) == [[a], [b, a, a]]
    assert sequence.best_path_decode(batch.transpose(1, 0, 2), layout="TNC") == [[a, a, b], [b, a, a]]
    assert sequence.best_path_decode(scores[:, [2, 0, 1]], blank="first") == [1, 1, 2]


def test_enumerate_alignments_refuses_huge_inputs():
    with pytest.raises(ValueError, match="too many"):
        sequence.enumerate_alignments([0], 30, 5)


@pytest.mark.parametrize("label,exc", [([2], ValueError), ([0, 3], ValueError), ([-1], ValueError),
                                       ([0.5], ValueError), ([True], TypeError)])
def test_enumerate_alignments_refuses_labels_no_path_can_spell(label, exc):
    # Used to return [] (an index out of range or the blank simply never matched), which
    # reads as "no alignment of these frames" rather than as a wrong label.
    with pytest.raises(exc, match="enumerate_alignments"):
        sequence.enumerate_alignments(label, 2, 3)          # classes 0, 1 and the blank 2
    assert sequence.enumerate_alignments([], 2, 3) == [(2, 2)]


def test_numerical_gradient_of_the_brute_force_probability_matches_the_loss():
    # d(-log p)/dx from central differences on the enumeration, independent of alpha/beta.
    rng = np.random.default_rng(13)
    pred, label = rng.normal(size=(4, 3)), [1, 0]
    numeric = numerical_grad(lambda p: -np.log(sequence.brute_force_probability(p, label)), pred)
    np.testing.assert_allclose(lb.CTCLoss().grad(pred[None], [label])[0], numeric, atol=1e-8)


# ------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,exc,match", [
    ({"layout": "NCT"}, ValueError, "layout"),
    ({"label_layout": "NTC"}, ValueError, "label_layout"),
    ({"blank": "middle"}, ValueError, "blank"),
    ({"blank": 1.5}, TypeError, "blank"),
])
def test_bad_constructor_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        lb.CTCLoss(**kwargs)


@pytest.mark.parametrize("call,exc,match", [
    (dict(label=[[0, 4]]), ValueError, r"class index 4 .*out of range"),
    (dict(label=[[0, 3]]), ValueError, r"class index 3 .*the blank"),
    (dict(label=[[0, -2]]), ValueError, r"class index -2"),
    (dict(label=[[0.5, 1]]), ValueError, "integer-valued"),
    (dict(label=[[True, False]]), TypeError, "label"),
    (dict(label=[0, 1]), ValueError, "2 axes"),
    (dict(label=[[0], [1]]), ValueError, "2 samples"),
    (dict(pred_lengths=[6]), ValueError, r"pred_lengths must lie in \[0, 5\]"),
    (dict(pred_lengths=[-1]), ValueError, "pred_lengths"),
    (dict(pred_lengths=[2.5]), ValueError, "integer-valued"),
    (dict(pred_lengths=[5, 5]), ValueError, r"shape \(1,\)"),
    (dict(label_lengths=[3]), ValueError, r"label_lengths must lie in \[0, 2\]"),
    (dict(label_lengths=[-1]), ValueError, "label_lengths"),
    (dict(pred=np.zeros((5, 4))), ValueError, "3 axes"),
    (dict(pred=np.full((1, 5, 4), "a")), TypeError, "pred"),
])
def test_bad_call_arguments(call, exc, match):
    args = {"pred": np.zeros((1, 5, 4)), "label": [[0, 1]], **call}
    with pytest.raises(exc, match=match) as info:
        lb.CTCLoss()(**args)
    assert "CTCLoss" in str(info.value)


def test_repr_and_registry():
    assert repr(lb.CTCLoss(layout="TNC")) == ("CTCLoss(layout='TNC', label_layout='NT', "
                                              "weight=None, blank='last', zero_infinity=False)")
    assert lb.registry.get("CTCLoss").family == "sequence"


# --------------------------------------------------- inputs the lattice once mishandled
@pytest.mark.parametrize("padding", [np.nan, np.inf, -np.inf, 1e30])
def test_frames_past_pred_lengths_never_touch_anything(padding):
    """Two or more padding frames of NaN or infinities once put NaN into valid frames."""
    rng = np.random.default_rng(12)
    pred = rng.normal(size=(2, 5, 3))
    label = np.array([[0, -1], [1, 0]])
    lengths = np.array([2, 5])
    clean_value, clean_grad = lb.CTCLoss().value_and_grad(pred, label, lengths)
    dirty = pred.copy()
    dirty[0, 2:] = padding
    with np.errstate(all="raise"):
        value, grad = lb.CTCLoss().value_and_grad(dirty, label, lengths)
    np.testing.assert_array_equal(value, clean_value)
    np.testing.assert_array_equal(grad, clean_grad)
    np.testing.assert_array_equal(grad[0, 2:], 0.0)
    # issue 12's reproducer: -inf in frames 2 and 3 of a 4-frame input used for 2 frames
    p = np.zeros((1, 4, 3))
    p[0, 2:] = -np.inf
    value, grad = lb.CTCLoss().value_and_grad(p, [[0]], pred_lengths=[2])
    np.testing.assert_allclose(value, [-np.log(3 / 9)])
    assert np.all(np.isfinite(grad))


def test_a_label_made_impossible_by_minus_inf_logits_is_infinite_or_zeroed():
    """Class 0 never has probability: the label [0] is impossible (PyTorch: 0 and a zero
    gradient with zero_infinity)."""
    p = np.zeros((1, 3, 3))
    p[0, :, 0] = -np.inf
    value, grad = lb.CTCLoss(zero_infinity=True).value_and_grad(p, [[0]])
    np.testing.assert_array_equal(value, [0.0])
    np.testing.assert_array_equal(grad, 0.0)
    value, grad = lb.CTCLoss().value_and_grad(p, [[0]])
    np.testing.assert_array_equal(value, [np.inf])
    np.testing.assert_array_equal(grad, 0.0)


def test_a_minus_inf_logit_on_the_lattice_has_a_zero_gradient():
    """A state whose emission is -inf is never visited: its occupancy is 0, not NaN."""
    p = np.zeros((1, 2, 3))
    p[0, 0, 2] = -np.inf                              # the blank at frame 0 (blank = last)
    value, grad = lb.CTCLoss().value_and_grad(p, [[0]])
    # alignments of 'a' in 2 frames without a blank at frame 0: aa, a-; each (1/2)(1/3)
    np.testing.assert_allclose(value, [-np.log(2 * (1 / 2) * (1 / 3))])
    assert np.all(np.isfinite(grad))
    assert grad[0, 0, 2] == 0.0
    numeric = numerical_grad(lambda q: float(lb.CTCLoss()(np.where(np.isinf(p), -np.inf, q), [[0]])[0]),
                             np.where(np.isinf(p), 0.0, p))
    np.testing.assert_allclose(grad[np.isfinite(p)], numeric[np.isfinite(p)], atol=1e-8)


def test_ties_at_huge_logits_stay_exact():
    """log_softmax of [1e8] * 3 in float32 once rounded to 0 for every class: loss -2.30."""
    value = lb.CTCLoss()(np.full((1, 4, 3), 1e8, np.float32), [[0]])
    # uniform over 3 classes: C(T + L, T - L) = C(5, 3) = 10 alignments of 'a' in 4 frames
    assert value.dtype == np.float32
    np.testing.assert_allclose(value, [np.log(3 ** 4 / 10)], rtol=1e-6)     # 2.0919


def test_the_lattice_is_as_wide_as_the_longest_label_used(monkeypatch):
    """A label array 20 000 wide holding labels of at most 5 symbols: a lattice of 11 states."""
    widths = []
    original = sequence_module.forward_backward

    def recording(log_probs, labels, *args, **kwargs):
        widths.append(labels.shape[1])
        return original(log_probs, labels, *args, **kwargs)

    monkeypatch.setattr(sequence_module, "forward_backward", recording)
    rng = np.random.default_rng(3)
    pred = rng.normal(size=(2, 12, 4))
    wide = np.full((2, 20000), -1)
    wide[0, :5] = [0, 1, 1, 2, 0]
    wide[1, :2] = [2, 2]
    value, grad = lb.CTCLoss().value_and_grad(pred, wide)
    assert widths == [5]
    narrow_value, narrow_grad = lb.CTCLoss().value_and_grad(pred, wide[:, :5])
    np.testing.assert_array_equal(value, narrow_value)
    np.testing.assert_array_equal(grad, narrow_grad)
