r"""The CTC chapter's tools: what :class:`lossbook.CTCLoss` sums, shown term by term.

:func:`collapse` is Graves' map :math:`\mathcal{B}` from an alignment to a label;
:func:`extended_label` lists the lattice's states; :func:`alignment_posteriors` gives the
lattice occupancy, for drawing; :func:`best_path_decode` is greedy decoding; and
:func:`enumerate_alignments` / :func:`brute_force_probability` sum over every alignment
one by one, for tiny inputs, to check the recursions. The loss itself, and its lattice
(:func:`lossbook.sequence.forward_backward`), are in :mod:`lossbook.sequence`.
"""
import itertools

import numpy as np

from .. import checks
from .._math import log_softmax
from ..sequence import LAYOUTS, forward_backward, resolve_blank

__all__ = ["collapse", "extended_label", "alignment_posteriors", "best_path_decode",
           "enumerate_alignments", "brute_force_probability"]


def collapse(path, blank):
    r"""Collapse an alignment: merge runs of the same class, then drop the blanks (Graves' :math:`\mathcal{B}`).

    >>> collapse([3, 1, 1, 3, 1, 0, 0], blank=3)
    [1, 1, 0]
    """
    out, previous = [], None
    for symbol in (int(s) for s in path):
        if symbol != previous and symbol != blank:
            out.append(symbol)
        previous = symbol
    return out


def extended_label(label, blank):
    r"""The CTC lattice's states: ``label`` with a blank before, between and after its symbols.

    A label of length :math:`L` gives :math:`2L + 1` states; blanks sit at the even positions.

    >>> extended_label([1, 1, 0], blank=3).tolist()
    [3, 1, 3, 1, 3, 0, 3]
    """
    label = np.asarray(label, dtype=np.intp).reshape(-1)
    out = np.full(2 * label.size + 1, blank, dtype=np.intp)
    out[1::2] = label
    return out


def _single(pred, label, blank, who):
    pred = np.asarray(pred)
    if pred.dtype.kind not in "biuf" or pred.dtype.kind == "b":
        raise TypeError(f"{who}: pred must be real numbers, got dtype {pred.dtype}")
    if pred.ndim != 2:
        raise ValueError(f"{who}: pred must have shape (T, C) for one sample, "
                         f"got {checks.shape_str(pred)}")
    pred = pred.astype(np.float64) if pred.dtype.kind != "f" else pred
    T, C = pred.shape
    blank = resolve_blank(blank, C, who)
    label = checks.integer_array(who, "label", label).reshape(-1)
    bad = (label < 0) | (label >= C) | (label == blank)
    if np.any(bad):
        raise ValueError(f"{who}: label holds {int(label[bad][0])}, out of range [0, {C}) "
                         f"or the blank {blank}")
    return pred, label, blank


def alignment_posteriors(pred, label, blank="last"):
    r"""Posterior occupancy of every node of one sample's CTC lattice.

    .. math::

        \gamma_t(s) = \frac{\alpha_t(s)\,\beta_t(s)}{p_t(y'_s)\; p(y \mid x)}

    is the probability that a random alignment of the label (drawn with its probability
    under the model) is in state :math:`s` of the extended label at frame :math:`t`. Each
    row sums to 1; the chapter draws it as the lattice.

    Parameters
    ----------
    pred : ``(T, C)`` activations of one sample (softmax applied inside).
    label : ``(L,)`` class indices.
    blank : ``'last'``, ``'first'`` or an int.

    Returns: ``(T, 2L + 1)`` array; rows for the states of :func:`extended_label`. An
    infeasible label gives all zeros.

    >>> gamma = alignment_posteriors(np.zeros((2, 3)), [0])
    >>> gamma.round(3)      # states: blank, a, blank; alignments aa, a-, -a equally likely
    array([[0.333, 0.667, 0.   ],
           [0.   , 0.667, 0.333]])
    """
    pred, label, blank = _single(pred, label, blank, "alignment_posteriors")
    T = pred.shape[0]
    log_probs = log_softmax(pred)[:, None, :]
    labels = label[None, :]
    emit, log_alpha, log_beta, log_likelihood, _ = forward_backward(
        log_probs, labels, np.array([T]), np.array([label.size]), blank)
    if not np.isfinite(log_likelihood[0]):
        return np.zeros((T, 2 * label.size + 1), dtype=pred.dtype)
    return np.exp(log_alpha[:, 0] + log_beta[:, 0] - emit[:, 0] - log_likelihood[0])


def best_path_decode(pred, blank="last", pred_lengths=None, layout="NTC"):
    r"""Greedy (best-path) decoding: the most likely class per frame, collapsed.

    The most likely alignment's collapse is not always the most likely label (several
    alignments may add up for another label), but it is the usual quick decoder.

    Parameters
    ----------
    pred : ``(T, C)`` for one sample, or a batch in ``layout`` (``'NTC'`` or ``'TNC'``).
    blank : ``'last'``, ``'first'`` or an int.
    pred_lengths : ``(batch,)`` frames to use per sample (batch input only).

    Returns: a list of class indices, or one such list per sample.

    >>> best_path_decode(np.log([[.1, .8, .1], [.1, .8, .1], [.2, .1, .7], [.6, .3, .1]]))
    [1, 0]
    """
    pred = np.asarray(pred)
    if pred.ndim == 2:
        blank = resolve_blank(blank, pred.shape[1], "best_path_decode")
        return collapse(np.argmax(pred, axis=1), blank)
    if pred.ndim != 3:
        raise ValueError(f"best_path_decode: pred must have shape (T, C) or 3 axes, "
                         f"got {checks.shape_str(pred)}")
    if layout not in LAYOUTS:
        raise ValueError(f"best_path_decode: layout must be one of {LAYOUTS}, got {layout!r}")
    if layout == "TNC":
        pred = pred.transpose(1, 0, 2)
    N, T, C = pred.shape
    blank = resolve_blank(blank, C, "best_path_decode")
    if pred_lengths is None:
        pred_lengths = np.full(N, T)
    pred_lengths = checks.integer_array("best_path_decode", "pred_lengths", pred_lengths)
    if pred_lengths.shape != (N,) or np.any((pred_lengths < 0) | (pred_lengths > T)):
        raise ValueError(f"best_path_decode: pred_lengths must be {N} ints in [0, {T}], "
                         f"got {pred_lengths!r}")
    best = np.argmax(pred, axis=2)
    return [collapse(best[n, :pred_lengths[n]], blank) for n in range(N)]


def enumerate_alignments(label, num_frames, num_classes, blank="last"):
    r"""Every alignment of ``num_frames`` frames that collapses to ``label``, by brute force.

    Tries all :math:`C^T` paths, so only for tiny inputs (at most a million paths). The
    chapter uses it to show that the lattice sums exactly these terms.

    >>> [list(p) for p in enumerate_alignments([0], 2, 3)]     # blank = 2
    [[0, 0], [0, 2], [2, 0]]
    """
    blank = resolve_blank(blank, num_classes, "enumerate_alignments")
    # A label that no path can spell (the blank, an index out of range, 1.5) is a mistake,
    # not "no alignment": refuse it instead of returning an empty list.
    label = checks.integer_array("enumerate_alignments", "label", label).reshape(-1)
    bad = (label < 0) | (label >= num_classes) | (label == blank)
    if np.any(bad):
        raise ValueError(f"enumerate_alignments: label holds {int(label[bad][0])}, out of range "
                         f"[0, {num_classes}) or the blank {blank}")
    label = [int(c) for c in label]
    if num_classes ** num_frames > 10 ** 6:
        raise ValueError(f"enumerate_alignments: {num_classes}^{num_frames} paths is too many "
                         f"to enumerate; keep it at most 10^6")
    return [path for path in itertools.product(range(num_classes), repeat=num_frames)
            if collapse(path, blank) == label]


def brute_force_probability(pred, label, blank="last"):
    r""":math:`p(y \mid x)` as the plain sum over :func:`enumerate_alignments` of :math:`\prod_t p_t(\pi_t)`.

    Independent of the recursions, so ``-log`` of it checks :class:`CTCLoss` on tiny inputs.

    >>> float(brute_force_probability(np.zeros((2, 3)), [0]))   # 3 of 9 equally likely paths
    0.3333333333333333
    """
    pred, label, blank = _single(pred, label, blank, "brute_force_probability")
    T, C = pred.shape
    probs = np.exp(log_softmax(pred.astype(np.float64)))
    total = 0.0
    for path in enumerate_alignments(label, T, C, blank):
        total += float(np.prod(probs[np.arange(T), path]))
    return total
