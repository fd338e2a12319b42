r"""Connectionist temporal classification (CTC): the loss and the tools of the CTC chapter.

CTC (Graves et al., 2006) scores an unsegmented label sequence :math:`y` of length
:math:`L` against :math:`T` frames of class scores. An *alignment* :math:`\pi` picks one
class per frame from the :math:`C` classes, one of which is the *blank*; collapsing it
(:func:`collapse`: merge runs of the same class, then drop blanks) must give :math:`y`.
The probability of :math:`y` is the sum over every such alignment,

.. math::

    p(y \mid x) = \sum_{\pi:\ \mathcal{B}(\pi) = y} \ \prod_{t=0}^{T-1} p_t(\pi_t),
    \qquad p_t = \mathrm{softmax}(x_t),

and the loss is :math:`-\log p(y \mid x)`. The sum has exponentially many terms, but it
factorises over the *lattice* of the extended label :math:`y'` (:func:`extended_label`:
a blank before, between and after the labels, :math:`S = 2L + 1` states), so two
recursions over time compute it in :math:`O(T S)` per sample.

Besides :class:`CTCLoss`, the module holds the helpers the chapter uses to show what the
loss does: :func:`alignment_posteriors` (the lattice occupancy, for drawing),
:func:`best_path_decode` (greedy decoding) and :func:`enumerate_alignments` /
:func:`brute_force_probability` (the sum above, term by term, for tiny inputs).

References
----------
A. Graves, S. Fernandez, F. Gomez, J. Schmidhuber. Connectionist Temporal Classification:
Labelling Unsegmented Sequence Data with Recurrent Neural Networks. ICML 2006.
A. Graves. Supervised Sequence Labelling with Recurrent Neural Networks, ch. 7. Springer, 2012.
``mxnet.gluon.loss.CTCLoss`` and the ``ctc_loss`` operator (MXNet 1.9.1);
``torch.nn.functional.ctc_loss`` (PyTorch).
"""
import itertools
import numbers

import numpy as np

from ._base import Loss, shape_str
from ._math import log_softmax
from .registry import Param, Record, register

__all__ = [
    "CTCLoss",
    "collapse",
    "extended_label",
    "alignment_posteriors",
    "best_path_decode",
    "enumerate_alignments",
    "brute_force_probability",
]

_LAYOUTS = ("NTC", "TNC")
_LABEL_LAYOUTS = ("NT", "TN")


# ---------------------------------------------------------------------------- small helpers
def _resolve_blank(blank, num_classes, who):
    """The blank's class index from ``'last'``, ``'first'`` or an int (negative counts from the end)."""
    if isinstance(blank, str):
        if blank == "last":
            return num_classes - 1
        if blank == "first":
            return 0
        raise ValueError(f"{who}: blank must be 'last', 'first' or a class index, got {blank!r}")
    if isinstance(blank, bool) or not isinstance(blank, numbers.Integral):
        raise TypeError(f"{who}: blank must be 'last', 'first' or an int, got {blank!r}")
    index = int(blank) + (num_classes if blank < 0 else 0)
    if not 0 <= index < num_classes:
        raise ValueError(f"{who}: blank={blank} is out of range for {num_classes} classes")
    return index


def _check_blank_option(blank, who):
    if isinstance(blank, str):
        if blank not in ("last", "first"):
            raise ValueError(f"{who}: blank must be 'last', 'first' or a class index, got {blank!r}")
    elif isinstance(blank, bool) or not isinstance(blank, numbers.Integral):
        raise TypeError(f"{who}: blank must be 'last', 'first' or an int, got {blank!r}")
    return blank


def _integer_array(value, arg, who):
    """An integer array from ``value``; floats must be integer-valued, booleans are refused."""
    if value is None:
        raise TypeError(f"{who}: {arg} is required, got None")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{who}: {arg} must be an array of integers, got the string {value!r}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{who}: {arg} could not be read as an array: {exc}") from None
    if array.dtype.kind == "b" or array.dtype.kind not in "iuf":
        raise TypeError(f"{who}: {arg} must hold integers, got dtype {array.dtype}")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError(f"{who}: {arg} must be integer-valued; got non-integer values in "
                             f"an array of shape {shape_str(array)}")
    return array.astype(np.intp)


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


# --------------------------------------------------------------------- the lattice, in log space
def _lattice(log_probs, labels, pred_lengths, label_lengths, blank, need_beta=True):
    r"""Forward (alpha) and backward (beta) log-variables of a batch of CTC lattices.

    ``log_probs`` is ``(T, N, C)``; ``labels`` ``(N, L)`` (entries beyond each length are
    ignored); the lengths are ``(N,)`` and already validated.

    Returns ``(emit, log_alpha, log_beta, log_likelihood, ext)``:

    * ``ext`` ``(N, S)``: the extended labels, ``S = 2 L + 1`` (padding states hold blanks);
    * ``emit[t, n, s] = log_probs[t, n, ext[n, s]]``;
    * ``log_alpha[t, n, s]``: log-probability of the prefixes of length ``t + 1`` ending in
      state ``s``, frame ``t`` included;
    * ``log_beta[t, n, s]``: log-probability of the suffixes from frame ``t`` on that start
      in state ``s`` and end in a final state at frame ``T_n - 1``, frame ``t`` included
      (so ``log_alpha + log_beta - emit`` is the log of the mass of complete alignments
      through ``(t, s)``); ``None`` unless ``need_beta``;
    * ``log_likelihood`` ``(N,)``: :math:`\log p(y \mid x)`, ``-inf`` for infeasible samples.

    Both recursions run in one loop over time: beta is alpha's recursion on the lattice
    reversed in time and in states, so the batch is stacked with its reversal (``2N`` rows)
    and every step is one set of array operations over all ``2N`` rows of states at once. States past a sample's
    ``S_n`` or frames past its ``T_n`` receive mass in alpha but never reach the read-out,
    and in beta they stay at ``-inf``.
    """
    T, N, _ = log_probs.shape
    L = labels.shape[1]
    S = 2 * L + 1
    dtype = log_probs.dtype
    neg_inf = dtype.type(-np.inf)
    # max() of three -inf would give -inf - -inf = NaN; this floor makes it -inf - floor = -inf.
    floor = np.finfo(dtype).min

    state_lengths = 2 * label_lengths + 1
    ext = np.full((N, S), blank, dtype=np.intp)
    in_label = np.arange(L) < label_lengths[:, None]
    ext[:, 1::2] = np.where(in_label, labels, blank)
    # The skip s-2 -> s is allowed into a label state whose label differs from the one two back.
    skip = np.zeros((N, S), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])

    emit = log_probs[:, np.arange(N)[:, None], ext]            # (T, N, S), one gather
    rows = 2 * N if need_beta else N
    # Every row (a sample, or a reversed sample) gets two -inf columns in front of its
    # states, and each time step is one flat vector of rows * (S + 2) numbers: the shifts
    # s-1 and s-2 are then plain offsets of that vector (the padding keeps rows apart), and
    # every operation in the loop runs over one contiguous array.
    width = S + 2
    emissions = np.full((T, rows, width), neg_inf, dtype=dtype)
    emissions[:, :N, 2:] = emit
    skip_bias = np.full((rows, width), neg_inf, dtype=dtype)
    skip_bias[:N, 2:] = np.where(skip, dtype.type(0), neg_inf)
    if need_beta:
        emissions[:, N:, 2:] = emit[::-1, :, ::-1]
        # Reversed state r = S-1-s. The reversed step r-2 -> r is the original s -> s+2,
        # allowed when skip[s+2] is, i.e. skip[S+1-r].
        skip_bias[N:, 4:] = skip_bias[:N, 2:][:, ::-1][:, :-2]
    emissions = emissions.reshape(T, rows * width)
    skip_bias = skip_bias.reshape(-1)[2:]

    lattice = np.full((T, rows, width), neg_inf, dtype=dtype)
    if T > 0:
        lattice[0, :N, 2] = emit[0, :, 0]
    if T > 0 and S > 1:
        lattice[0, :N, 3] = np.where(state_lengths > 1, emit[0, :, 1], neg_inf)

    starts = {}
    if need_beta:
        for n in np.flatnonzero(pred_lengths > 0):
            starts.setdefault(T - int(pred_lengths[n]), []).append(n)
        starts = {step: np.array(ns) for step, ns in starts.items()}

    def start_beta(step):
        # Reversed time: step i is frame T-1-i; a sample's beta starts at its last frame.
        ns = starts.get(step)
        if ns is None:
            return
        frame = T - 1 - step
        first = S - state_lengths[ns]                 # reversed index of the final blank
        lattice[step, N + ns, 2 + first] = emit[frame, ns, state_lengths[ns] - 1]
        two = ns[state_lengths[ns] > 1]
        lattice[step, N + two, 3 + S - state_lengths[two]] = emit[frame, two, state_lengths[two] - 2]

    if T > 0:
        start_beta(0)
    # A NaN would leak through the padding into the next row; only then reset the padding.
    reset_padding = bool(np.isnan(emit).any())
    flat = lattice.reshape(T, rows * width)
    size = max(rows * width - 2, 0)
    top = np.empty(size, dtype=dtype)
    total = np.empty(size, dtype=dtype)
    term = np.empty(size, dtype=dtype)
    two_back = np.empty(size, dtype=dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        for step in range(1, T):
            prev = flat[step - 1]
            stay, one_back = prev[2:], prev[1:-1]
            np.add(prev[:-2], skip_bias, out=two_back)
            # log(e^a + e^b + e^c) = m + log(e^(a-m) + e^(b-m) + e^(c-m)), m = max(a, b, c)
            np.maximum(stay, one_back, out=top)
            np.maximum(top, two_back, out=top)
            np.maximum(top, floor, out=top)
            np.subtract(stay, top, out=total)
            np.exp(total, out=total)
            np.subtract(one_back, top, out=term)
            np.exp(term, out=term)
            total += term
            np.subtract(two_back, top, out=term)
            np.exp(term, out=term)
            total += term
            new = flat[step, 2:]
            np.log(total, out=new)
            new += top
            new += emissions[step, 2:]                     # -inf on the padding keeps it -inf
            if reset_padding:
                lattice[step, :, :2] = neg_inf
            if need_beta:
                start_beta(step)

    log_alpha = lattice[:, :N, 2:]
    log_beta = lattice[::-1, N:, 2:][:, :, ::-1] if need_beta else None

    log_likelihood = np.full(N, neg_inf, dtype=dtype)
    ends = np.flatnonzero(pred_lengths > 0)
    last = pred_lengths[ends] - 1
    final = log_alpha[last, ends, state_lengths[ends] - 1]
    before = np.where(state_lengths[ends] > 1,
                      log_alpha[last, ends, np.maximum(state_lengths[ends] - 2, 0)], neg_inf)
    with np.errstate(invalid="ignore"):                   # NaN in, NaN out
        log_likelihood[ends] = np.logaddexp(final, before)
    # No frames: only the empty label is possible, with probability 1.
    log_likelihood[(pred_lengths == 0) & (label_lengths == 0)] = 0
    return emit, log_alpha, log_beta, log_likelihood, ext


def _min_frames(labels, label_lengths):
    """Frames a label needs: one per symbol plus a blank between equal neighbours."""
    L = labels.shape[1]
    if L == 0:
        return np.zeros(labels.shape[0], dtype=np.intp)
    inside = np.arange(1, L) < label_lengths[:, None]
    repeats = np.sum((labels[:, 1:] == labels[:, :-1]) & inside, axis=1)
    return label_lengths + repeats


# ------------------------------------------------------------------------------- the loss
class CTCLoss(Loss):
    r"""Connectionist temporal classification loss, as ``mxnet.gluon.loss.CTCLoss``.

    For one sample with activations :math:`x_t \in \mathbb{R}^C` (:math:`t < T`), class
    probabilities :math:`p_t = \mathrm{softmax}(x_t)` and a label :math:`y` of length
    :math:`L` with extended label :math:`y'` (blanks around and between, :math:`S = 2L+1`
    states), the forward variables are

    .. math::

        \alpha_0(0) = p_0(\varnothing),\quad \alpha_0(1) = p_0(y_1), \qquad
        \alpha_t(s) = p_t(y'_s)\,\bigl[\alpha_{t-1}(s) + \alpha_{t-1}(s-1)
                      + [\,y'_s \ne \varnothing,\ y'_s \ne y'_{s-2}\,]\ \alpha_{t-1}(s-2)\bigr],

    the backward variables :math:`\beta_t(s)` are the same recursion run from the end
    (both include frame :math:`t`), and the per-sample loss and its gradient are

    .. math::

        \ell = -\log\bigl(\alpha_{T-1}(S-1) + \alpha_{T-1}(S-2)\bigr), \qquad
        \frac{\partial \ell}{\partial x_{t,c}} = p_t(c) -
            \frac{1}{p(y \mid x)} \sum_{s:\ y'_s = c} \frac{\alpha_t(s)\,\beta_t(s)}{p_t(c)}.

    The subtracted sum is the posterior probability that frame :math:`t` emits class
    :math:`c` (Graves et al. 2006, eq. 16, composed with the softmax).

    Parameters
    ----------
    layout : ``'NTC'`` (default) or ``'TNC'``
        Axes of ``pred``: batch N, time T, classes C.
    label_layout : ``'NT'`` (default) or ``'TN'``
        Axes of ``label``. As in Gluon, ``batch_axis`` is ``label_layout.find('N')``.
    weight : float or None
        Global scalar weight.
    blank : ``'last'`` (default), ``'first'`` or an int
        The blank's class index. Gluon reserves the last class (``'last'``); PyTorch's
        ``ctc_loss`` uses class 0 (``'first'`` or ``0``).
    zero_infinity : bool, default False
        Give infeasible samples a loss of 0 instead of :math:`+\infty`, like PyTorch's
        ``zero_infinity``. Their gradient is zero either way.

    Inputs
    ------
    pred : ``(batch, T, C)`` for ``'NTC'``, ``(T, batch, C)`` for ``'TNC'``
        Unnormalised activations; the softmax over C is applied inside.
    label : ``(batch, L)`` for ``'NT'``, ``(L, batch)`` for ``'TN'``
        Integer class indices (floats must be integer-valued), never the blank. Without
        ``label_lengths``, a label ends at its first ``-1`` (padding), as in MXNet.
    pred_lengths : ``(batch,)`` ints in ``[0, T]`` or None
        Frames used per sample (None: all T). Frames beyond get a zero gradient.
    label_lengths : ``(batch,)`` ints in ``[0, L]`` or None
        Label entries used per sample; entries beyond are ignored.
    sample_weight : ``(batch,)`` or ``(batch, 1)`` or None

    Returns: shape ``(batch,)``, the dtype of ``pred``; :meth:`grad` has ``pred``'s shape,
    layout and dtype.

    Notes
    -----
    Both recursions run in log space, vectorised over the batch and the lattice states,
    looping over time only; the three-way sum is
    :math:`m + \log\sum e^{a - m}` with :math:`m` the largest term, so nothing overflows
    or underflows and float32 works for long inputs (at T = 1000 its posteriors carry
    rounding of about 2e-3, as PyTorch's float32 ``ctc_loss`` does). An empty label is
    fine (all blanks). The loss is not divided by the label length (PyTorch's
    ``reduction='mean'`` does that; Gluon does not).

    The backward recursion is alpha's recursion on the lattice reversed in time and
    states, so the batch and its reversal run stacked through one loop over time. A
    value-only call pays for both (about 1.5 times the forward alone); a call that also
    wants the gradient saves a second loop. Memory is :math:`O(T N L)`.

    Departures from MXNet 1.9.1, deliberate: a sample whose label cannot fit in its frames
    (fewer frames than :math:`L` plus the number of equal neighbours in the label) gets
    :math:`+\infty` and a zero gradient (MXNet returns 0 and an uninitialised gradient);
    a label index out of range, equal to the blank, or non-integer is an error, and so
    are lengths that are negative or longer than the tensor; labels are always padded with
    ``-1`` (MXNet's ``blank_label='first'`` pads with 0); float64 works.

    >>> import numpy as np
    >>> pred = np.zeros((1, 2, 3))            # uniform over {a, b, blank} at 2 frames
    >>> out = CTCLoss()(pred, [[0]])          # 'a': aa, a-, -a  -> 3 of 9 alignments
    >>> np.allclose(out, -np.log(3 / 9))
    True
    >>> grad = CTCLoss().grad(pred, [[0]])    # softmax 1/3 minus each class's posterior
    >>> np.allclose(grad[0], [[1/3 - 2/3, 1/3, 1/3 - 1/3]] * 2)
    True
    """

    _signature = ("pred", "label", "pred_lengths", "label_lengths", "sample_weight")
    _defaults = {"pred_lengths": None, "label_lengths": None}
    _grad_args = ("pred",)

    def __init__(self, layout="NTC", label_layout="NT", weight=None, blank="last",
                 zero_infinity=False):
        if layout not in _LAYOUTS:
            raise ValueError(f"CTCLoss: layout must be one of {_LAYOUTS}, got {layout!r}")
        if label_layout not in _LABEL_LAYOUTS:
            raise ValueError(f"CTCLoss: label_layout must be one of {_LABEL_LAYOUTS}, "
                             f"got {label_layout!r}")
        super().__init__(weight, label_layout.find("N"))
        self._layout = layout
        self._label_layout = label_layout
        self._blank = _check_blank_option(blank, "CTCLoss")
        self._zero_infinity = bool(zero_infinity)

    @property
    def layout(self):
        return self._layout

    @property
    def label_layout(self):
        return self._label_layout

    def _params(self):
        return {"layout": self._layout, "label_layout": self._label_layout,
                "weight": self._weight, "blank": self._blank,
                "zero_infinity": self._zero_infinity}

    def _loss_batch_axis(self, loss_el):
        return 0

    def _lengths(self, value, batch, high, arg, other):
        lengths = _integer_array(value, arg, "CTCLoss")
        if lengths.shape != (batch,):
            raise self._error(f"{arg} of shape {shape_str(lengths)} must have shape ({batch},), "
                              f"one length per sample")
        if lengths.size and (lengths.min() < 0 or lengths.max() > high):
            bad = lengths[(lengths < 0) | (lengths > high)][0]
            raise self._error(f"{arg} must lie in [0, {high}] ({other}); got {int(bad)}")
        return lengths

    def _inputs(self, pred, label, pred_lengths, label_lengths):
        """Validated ``(pred as (T, N, C), labels (N, L), pred_lengths, label_lengths, blank)``."""
        pred = self._float_input(pred, "pred")
        if pred.ndim != 3:
            raise self._error(f"pred must have 3 axes (layout {self._layout}), "
                              f"got shape {shape_str(pred)}")
        activations = pred if self._layout == "TNC" else pred.transpose(1, 0, 2)
        # (T, N, C) in C order: the gather of the lattice emissions reads it frame by frame.
        activations = np.ascontiguousarray(activations)
        T, N, C = activations.shape
        if C == 0:
            raise self._error(f"pred of shape {shape_str(pred)} has no classes")
        blank = _resolve_blank(self._blank, C, "CTCLoss")

        labels = _integer_array(label, "label", "CTCLoss")
        if labels.ndim != 2:
            raise self._error(f"label must have 2 axes (label_layout {self._label_layout}), "
                              f"got shape {shape_str(labels)}")
        if self._label_layout == "TN":
            labels = labels.T
        if labels.shape[0] != N:
            raise self._error(f"label of shape {shape_str(label)} has {labels.shape[0]} samples "
                              f"but pred of shape {shape_str(pred)} has {N} "
                              f"(layouts {self._layout} / {self._label_layout})")
        L = labels.shape[1]
        if label_lengths is None:
            padding = labels == -1
            label_lengths = (np.where(padding.any(axis=1), padding.argmax(axis=1), L) if L
                             else np.zeros(N, dtype=np.intp))
        else:
            label_lengths = self._lengths(label_lengths, N, L, "label_lengths",
                                          f"label has {L} positions, shape {shape_str(label)}")
        used = np.arange(L) < label_lengths[:, None]
        bad = used & ((labels < 0) | (labels >= C) | (labels == blank))
        if np.any(bad):
            n, j = np.argwhere(bad)[0]
            value = int(labels[n, j])
            what = ("the blank" if value == blank
                    else f"out of range [0, {C})")
            raise self._error(f"label holds class index {value} at sample {n}, position {j}, "
                              f"which is {what} (label shape {shape_str(label)}, {C} classes, "
                              f"blank = {blank}; pad with -1 or pass label_lengths)")
        if pred_lengths is None:
            pred_lengths = np.full(N, T, dtype=np.intp)
        else:
            pred_lengths = self._lengths(pred_lengths, N, T, "pred_lengths",
                                         f"pred has {T} frames, shape {shape_str(pred)}")
        return pred, activations, labels, pred_lengths, label_lengths, blank

    def _forward(self, pred, label, pred_lengths, label_lengths):
        pred, activations, labels, pred_lengths, label_lengths, blank = self._inputs(
            pred, label, pred_lengths, label_lengths)
        T, N, C = activations.shape
        log_probs = log_softmax(activations)
        emit, log_alpha, log_beta, log_likelihood, ext = _lattice(
            log_probs, labels, pred_lengths, label_lengths, blank, need_beta=True)
        feasible = _min_frames(labels, label_lengths) <= pred_lengths
        loss = 0 - log_likelihood                       # 0 - x: no -0.0 for a certain label
        loss[~feasible] = np.inf
        if self._zero_infinity:
            loss[~feasible] = 0

        def backward(g_el):
            # Log-occupancy of each lattice node; infeasible samples use 0 for log p, their
            # nodes are all -inf, and their gradient is zeroed below.
            shift = np.where(feasible, log_likelihood, 0).astype(log_probs.dtype)
            occupancy = log_alpha + log_beta
            occupancy -= emit
            occupancy -= shift[:, None]
            np.exp(occupancy, out=occupancy)
            grad = np.ascontiguousarray(np.exp(log_probs))        # (T, N, C), C order
            # Subtract the occupancy of every state from the class it emits; index, not one-hot.
            index = (np.arange(T)[:, None, None] * N + np.arange(N)[:, None]) * C + ext
            np.subtract.at(grad.reshape(-1), index.reshape(-1), occupancy.reshape(-1))
            keep = (np.arange(T)[:, None] < pred_lengths) & feasible
            scale = np.where(keep, np.broadcast_to(np.asarray(g_el, dtype=grad.dtype), (N,)), 0)
            grad *= scale[:, :, None].astype(grad.dtype, copy=False)
            if self._layout == "NTC":
                grad = grad.transpose(1, 0, 2)
            return (np.ascontiguousarray(grad),)

        return loss, backward


def _ctc_sample(rng, config, batch_axis, dtype):
    """Three samples, C = 5, T = 8 with 8/6/7 frames used, labels with repeats and one empty."""
    config = {"layout": "NTC", "label_layout": "NT", "blank": "last", **config}
    C, T, L = 5, 8, 3
    blank = _resolve_blank(config["blank"], C, "CTCLoss")
    symbols = [c for c in range(C) if c != blank]
    pred_lengths = np.array([8, 6, 7])
    label_lengths = np.array([3, 0, 2])
    labels = np.full((3, L), -1)
    labels[0] = [symbols[1], symbols[1], symbols[2]]        # a repeat: needs a blank between
    labels[2, :2] = rng.choice(symbols, size=2)
    pred = rng.normal(size=(3, T, C))
    if config["layout"] == "TNC":
        pred = pred.transpose(1, 0, 2)
    if config["label_layout"] == "TN":
        labels = labels.T
    return ((np.ascontiguousarray(pred).astype(dtype), np.ascontiguousarray(labels)),
            {"pred_lengths": pred_lengths, "label_lengths": label_lengths})


register(Record(
    CTCLoss, "sequence", _ctc_sample,
    params=(Param("layout", "NTC", choices=_LAYOUTS, doc="axes of pred"),
            Param("label_layout", "NT", choices=_LABEL_LAYOUTS, doc="axes of label"),
            Param("blank", "last", choices=("last", "first"), doc="the blank's class"),
            Param("zero_infinity", False, choices=(False, True),
                  doc="loss 0 instead of +inf for infeasible samples")),
    configs=({"layout": "TNC", "label_layout": "TN"}, {"layout": "TNC"},
             {"label_layout": "TN"}, {"blank": "first"}),
    batch_axes=(0,), plot_inputs=None, x_label="activations",
    summary="-log of the total probability of every alignment of the label"))


# ------------------------------------------------------------------- teaching helpers
def _single(pred, label, blank, who):
    pred = np.asarray(pred)
    if pred.dtype.kind not in "biuf" or pred.dtype.kind == "b":
        raise TypeError(f"{who}: pred must be real numbers, got dtype {pred.dtype}")
    if pred.ndim != 2:
        raise ValueError(f"{who}: pred must have shape (T, C) for one sample, "
                         f"got {shape_str(pred)}")
    pred = pred.astype(np.float64) if pred.dtype.kind != "f" else pred
    T, C = pred.shape
    blank = _resolve_blank(blank, C, who)
    label = _integer_array(label, "label", who).reshape(-1)
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
    emit, log_alpha, log_beta, log_likelihood, _ = _lattice(
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
        blank = _resolve_blank(blank, pred.shape[1], "best_path_decode")
        return collapse(np.argmax(pred, axis=1), blank)
    if pred.ndim != 3:
        raise ValueError(f"best_path_decode: pred must have shape (T, C) or 3 axes, "
                         f"got {shape_str(pred)}")
    if layout not in _LAYOUTS:
        raise ValueError(f"best_path_decode: layout must be one of {_LAYOUTS}, got {layout!r}")
    if layout == "TNC":
        pred = pred.transpose(1, 0, 2)
    N, T, C = pred.shape
    blank = _resolve_blank(blank, C, "best_path_decode")
    if pred_lengths is None:
        pred_lengths = np.full(N, T)
    pred_lengths = _integer_array(pred_lengths, "pred_lengths", "best_path_decode")
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
    blank = _resolve_blank(blank, num_classes, "enumerate_alignments")
    # A label that no path can spell (the blank, an index out of range, 1.5) is a mistake,
    # not "no alignment": refuse it instead of returning an empty list.
    label = _integer_array(label, "label", "enumerate_alignments").reshape(-1)
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
