r"""Connectionist temporal classification (CTC): the loss and its lattice.

CTC (Graves et al., 2006) scores an unsegmented label sequence :math:`y` of length
:math:`L` against :math:`T` frames of class scores. An *alignment* :math:`\pi` picks one
class per frame from the :math:`C` classes, one of which is the *blank*; collapsing it
(merge runs of the same class, then drop blanks) must give :math:`y`. The probability of
:math:`y` is the sum over every such alignment,

.. math::

    p(y \mid x) = \sum_{\pi:\ \mathcal{B}(\pi) = y} \ \prod_{t=0}^{T-1} p_t(\pi_t),
    \qquad p_t = \mathrm{softmax}(x_t),

and the loss is :math:`-\log p(y \mid x)`. The sum has exponentially many terms, but it
factorises over the *lattice* of the extended label :math:`y'` (a blank before, between
and after the labels, :math:`S = 2L + 1` states), so two recursions over time compute it
in :math:`O(T S)` per sample (:func:`forward_backward`).

The chapter's tools that show what the loss does (alignment posteriors, best-path
decoding, brute-force enumeration) are in :mod:`lossbook.book.ctc`.

References
----------
A. Graves, S. Fernandez, F. Gomez, J. Schmidhuber. Connectionist Temporal Classification:
Labelling Unsegmented Sequence Data with Recurrent Neural Networks. ICML 2006.
A. Graves. Supervised Sequence Labelling with Recurrent Neural Networks, ch. 7. Springer, 2012.
``mxnet.gluon.loss.CTCLoss`` and the ``ctc_loss`` operator (MXNet 1.9.1);
``torch.nn.functional.ctc_loss`` (PyTorch).
"""
import numbers

import numpy as np

from . import checks
from ._math import log_softmax
from .base import Hyperparameter, Loss, boolean, one_of
from .checks import SAMPLE_WEIGHT, Input, Pred
from .registry import Param, Record, register

__all__ = ["CTCLoss", "forward_backward", "resolve_blank"]

LAYOUTS = ("NTC", "TNC")
LABEL_LAYOUTS = ("NT", "TN")


def resolve_blank(blank, num_classes, who):
    """The blank's class index from ``'last'``, ``'first'`` or an int (negative counts from the end)."""
    _check_blank(who, "blank", blank)
    if isinstance(blank, str):
        return num_classes - 1 if blank == "last" else 0
    index = int(blank) + (num_classes if blank < 0 else 0)
    if not 0 <= index < num_classes:
        raise ValueError(f"{who}: blank={blank} is out of range for {num_classes} classes")
    return index


def _check_blank(who, name, blank):
    if isinstance(blank, str):
        return checks.choice(who, name, blank, ("last", "first"))
    if isinstance(blank, (bool, np.bool_)) or not isinstance(blank, numbers.Integral):
        raise TypeError(f"{who}: {name} must be 'last', 'first' or an int, got {blank!r}")
    return int(blank)


# --------------------------------------------------------------------- the lattice, in log space
def forward_backward(log_probs, labels, pred_lengths, label_lengths, blank, need_beta=True):
    r"""Forward (alpha) and backward (beta) log-variables of a batch of CTC lattices.

    ``log_probs`` is ``(T, N, C)``; ``labels`` ``(N, L)`` (entries beyond each length are
    ignored); the lengths are ``(N,)`` and already validated (see :class:`CTCLoss`). The
    book's CTC tools (:mod:`lossbook.book.ctc`) draw the lattice from these variables.

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
    weight
        As for every loss (:class:`~lossbook.Loss`).
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
        Frames used per sample (None: all T). Frames beyond are never read (they may hold
        anything, NaN and infinities included) and get a zero gradient.
    label_lengths : ``(batch,)`` ints in ``[0, L]`` or None
        Label entries used per sample; entries beyond are ignored.
    sample_weight : ``(batch,)`` or ``(batch, 1)`` or None

    Returns
    -------
    Shape ``(batch,)``, the dtype of ``pred``; :meth:`grad` has ``pred``'s shape, layout and
    dtype.

    Notes
    -----
    Both recursions run in log space, vectorised over the batch and the lattice states,
    looping over time only; the three-way sum is
    :math:`m + \log\sum e^{a - m}` with :math:`m` the largest term, so nothing overflows
    or underflows and float32 works for long inputs (at T = 1000 its posteriors carry
    rounding of about 2e-3, as PyTorch's float32 ``ctc_loss`` does). An empty label is
    fine (all blanks). The per-sample loss is not divided by the label length (Gluon
    does not); ``reduction='mean'`` divides each sample's loss by its label length (at
    least 1) and takes the mean over the batch, as PyTorch's ``'mean'`` does.

    The backward recursion is alpha's recursion on the lattice reversed in time and
    states, so the batch and its reversal run stacked through one loop over time. A
    value-only call pays for both (about 1.5 times the forward alone); a call that also
    wants the gradient saves a second loop. Memory is :math:`O(T N L)`, with :math:`L` the
    longest label actually used (not the width of the padded label array).

    Departures from MXNet 1.9.1, deliberate: a sample whose label has probability 0 (it
    cannot fit in its frames, fewer than :math:`L` plus the number of equal neighbours in
    the label, or a class it needs has a logit of :math:`-\infty`) gets :math:`+\infty`
    (0 with ``zero_infinity``) and a zero gradient (MXNet returns 0 and an uninitialised
    gradient);
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

    inputs = (Pred("pred"), Input("label"), Input("pred_lengths", required=False),
              Input("label_lengths", required=False), SAMPLE_WEIGHT)
    layout = Hyperparameter(one_of(*LAYOUTS), "Axes of pred: batch N, time T, classes C.")
    label_layout = Hyperparameter(one_of(*LABEL_LAYOUTS), "Axes of label.")
    blank = Hyperparameter(_check_blank, "The blank's class: 'last', 'first' or an int.")
    zero_infinity = Hyperparameter(boolean, "Loss 0 instead of +inf for impossible labels.")

    def __init__(self, layout="NTC", label_layout="NT", weight=None, blank="last",
                 zero_infinity=False):
        self.layout = layout
        self.label_layout = label_layout
        super().__init__(weight, self.label_layout.find("N"))
        self.blank = blank
        self.zero_infinity = zero_infinity

    @property
    def sample_axis(self):
        """The axis of ``pred`` that indexes samples: ``layout.find('N')``."""
        return self.layout.find("N")

    def value_shape(self, inputs):
        shape = [1, 1, 1]
        shape[self.sample_axis] = inputs["pred"].shape[self.sample_axis]
        return tuple(shape)

    def mean_denominator(self, inputs, shape):
        """PyTorch's ``'mean'``: each sample's loss divided by its label length (at least
        1), then the mean over the batch."""
        lengths = inputs["label_lengths"]
        return lengths.size * np.maximum(lengths, 1)

    def prepare(self, pred, label, pred_lengths, label_lengths):
        """Checked ``pred``, labels ``(N, L)`` cut to the longest label used, and lengths."""
        who = "CTCLoss"
        pred = checks.float_array(who, "pred", pred)
        if pred.ndim != 3:
            raise ValueError(f"{who}: pred must have 3 axes (layout {self.layout}), "
                             f"got shape {checks.shape_str(pred)}")
        T, C = pred.shape[1 - self.sample_axis], pred.shape[2]
        N = pred.shape[self.sample_axis]
        if C == 0:
            raise ValueError(f"{who}: pred of shape {checks.shape_str(pred)} has no classes")
        blank = resolve_blank(self.blank, C, who)
        labels = checks.integer_array(who, "label", label)
        if labels.ndim != 2:
            raise ValueError(f"{who}: label must have 2 axes (label_layout "
                             f"{self.label_layout}), got shape {checks.shape_str(labels)}")
        labels = labels.T if self.label_layout == "TN" else labels
        if labels.shape[0] != N:
            raise ValueError(f"{who}: label of shape {checks.shape_str(label)} has "
                             f"{labels.shape[0]} samples but pred of shape "
                             f"{checks.shape_str(pred)} has {N} (layouts {self.layout} / "
                             f"{self.label_layout})")
        L = labels.shape[1]
        if label_lengths is None:
            padding = labels == -1
            label_lengths = (np.where(padding.any(axis=1), padding.argmax(axis=1), L) if L
                             else np.zeros(N, dtype=np.intp))
        else:
            label_lengths = _lengths(label_lengths, N, L, "label_lengths",
                                     f"label has {L} positions, shape {checks.shape_str(label)}")
        used = np.arange(L) < label_lengths[:, None]
        bad = used & ((labels < 0) | (labels >= C) | (labels == blank))
        if np.any(bad):
            n, j = np.argwhere(bad)[0]
            value = int(labels[n, j])
            what = "the blank" if value == blank else f"out of range [0, {C})"
            raise ValueError(f"{who}: label holds class index {value} at sample {n}, position "
                             f"{j}, which is {what} (label shape {checks.shape_str(label)}, {C} "
                             f"classes, blank = {blank}; pad with -1 or pass label_lengths)")
        if pred_lengths is None:
            pred_lengths = np.full(N, T, dtype=np.intp)
        else:
            pred_lengths = _lengths(pred_lengths, N, T, "pred_lengths",
                                    f"pred has {T} frames, shape {checks.shape_str(pred)}")
        # the lattice is as wide as the longest label used, not the padded array
        width = int(label_lengths.max()) if N else 0
        return {"pred": pred, "label": np.where(used, labels, blank)[:, :width],
                "pred_lengths": pred_lengths, "label_lengths": label_lengths}

    def value_and_derivative(self, pred, label, pred_lengths, label_lengths):
        activations = pred if self.layout == "TNC" else pred.transpose(1, 0, 2)
        T, N, C = activations.shape
        # frames past a sample's length are never read: zeros in their place (C order for
        # the lattice's gather, which reads frame by frame)
        inside = np.arange(T)[:, None] < pred_lengths
        activations = np.ascontiguousarray(np.where(inside[:, :, None], activations, 0),
                                           dtype=pred.dtype)
        log_probs = log_softmax(activations)
        blank = resolve_blank(self.blank, C, "CTCLoss")
        emit, log_alpha, log_beta, log_likelihood, ext = forward_backward(
            log_probs, label, pred_lengths, label_lengths, blank, need_beta=True)
        possible = ~np.isneginf(log_likelihood)     # NaN counts as possible: NaN in, NaN out
        loss = 0 - log_likelihood                   # 0 - x: no -0.0 for a certain label
        if self.zero_infinity:
            loss[~possible] = 0
        # Log-occupancy of each lattice node; an impossible sample uses 0 for log p (its
        # nodes are all -inf, its gradient zeroed below), a node with an emission of -inf
        # is never visited (-inf, not -inf - -inf).
        shift = np.where(possible, log_likelihood, 0).astype(log_probs.dtype)
        with np.errstate(invalid="ignore"):
            occupancy = log_alpha + log_beta - emit - shift[:, None]
        occupancy[np.isneginf(emit)] = -np.inf
        np.exp(occupancy, out=occupancy)
        grad = np.ascontiguousarray(np.exp(log_probs))        # (T, N, C), C order
        # Subtract the occupancy of every state from the class it emits; index, not one-hot.
        index = (np.arange(T)[:, None, None] * N + np.arange(N)[:, None]) * C + ext
        np.subtract.at(grad.reshape(-1), index.reshape(-1), occupancy.reshape(-1))
        grad *= (inside & possible)[:, :, None]
        if self.layout == "NTC":
            grad = grad.transpose(1, 0, 2)
        return loss, np.ascontiguousarray(grad)


def _lengths(value, batch, high, arg, other):
    lengths = checks.integer_array("CTCLoss", arg, value)
    if lengths.shape != (batch,):
        raise ValueError(f"CTCLoss: {arg} of shape {checks.shape_str(lengths)} must have shape "
                         f"({batch},), one length per sample")
    if lengths.size and (lengths.min() < 0 or lengths.max() > high):
        bad = lengths[(lengths < 0) | (lengths > high)][0]
        raise ValueError(f"CTCLoss: {arg} must lie in [0, {high}] ({other}); got {int(bad)}")
    return lengths


register(Record(
    CTCLoss, "sequence",
    params=(Param("layout", "NTC", choices=LAYOUTS, doc="axes of pred"),
            Param("label_layout", "NT", choices=LABEL_LAYOUTS, doc="axes of label"),
            Param("blank", "last", choices=("last", "first"), doc="the blank's class"),
            Param("zero_infinity", False, choices=(False, True),
                  doc="loss 0 instead of +inf for infeasible samples")),
    configs=({"layout": "TNC", "label_layout": "TN"}, {"layout": "TNC"},
             {"label_layout": "TN"}, {"blank": "first"}),
    batch_axes=(0,), plot_inputs=None, x_label="activations",
    summary="-log of the total probability of every alignment of the label"))
