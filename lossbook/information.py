r"""Information measures on discrete distributions, and the KL divergence as a loss.

The functions measure probability vectors that you already have: :func:`entropy`,
:func:`cross_entropy`, :func:`kl_divergence`, :func:`js_divergence` and
:func:`mutual_information`. They work along ``axis`` (default ``-1``), so a batch of
distributions is one call; the result has the input's shape without that axis.

Conventions, the ones of Cover & Thomas (2006, ch. 2):

* logarithms are natural, so results are in **nats**; ``base=2`` gives bits
  (:math:`1\ \text{nat} = \log_2 e \approx 1.443` bits);
* :math:`0 \log 0 = 0` and :math:`0 \log (0 / q) = 0`: an outcome of probability zero
  contributes nothing;
* :math:`p \log (p / 0) = +\infty` for :math:`p > 0`: a real infinity, never NaN, and
  without a floating-point warning.

Inputs are checked, never repaired: every probability must be :math:`\ge 0` and each
distribution must sum to 1 along ``axis`` within ``1e-6`` (``1e-4`` in float32, ``1e-2``
in float16, whose spacing near 1 is about ``1e-3``; float16 is computed in float32). A
vector of counts or weights is an error, not silently normalised (unlike
``scipy.stats.entropy``, which divides by the sum). NaN in gives NaN out.

:class:`KLDivLoss` is the training loss of ``mxnet.gluon.loss``: it compares a target
distribution (the label) with a model's log-probabilities, per sample, with the
gradient the model needs.

References: T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed.,
Wiley, 2006. J. Lin, "Divergence measures based on the Shannon entropy",
*IEEE Trans. Information Theory* 37(1), 1991. D. M. Endres and J. E. Schindelin, "A new
metric for probability distributions", *IEEE Trans. Information Theory* 49(7), 2003.
"""
import math

import numpy as np

from . import checks
from ._math import log_softmax, softmax
from .base import Hyperparameter, Loss, boolean, integer
from .checks import SAMPLE_WEIGHT, Interval, Like, Pred, shape_str
from .registry import Param, Record, register

__all__ = [
    "entropy", "cross_entropy", "kl_divergence", "js_divergence", "mutual_information",
    "kl_terms", "KLDivLoss",
]

_LOG2 = math.log(2.0)


# ---------------------------------------------------------------- input checks
def _sum_tolerance(dtype):
    """How far from 1 a distribution of ``dtype`` may sum (the dtype given, before any
    promotion): many roundings of float64 and float32, about ten of float16."""
    return {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4}.get(np.dtype(dtype), 1e-6)


def _probabilities(value, func, arg):
    """``(array, tolerance)``: probabilities (>= 0) as floats, float32 kept, float16 to
    float32 and integers to float64, with the sum tolerance of the dtype given."""
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{func}: {arg} must be an array of probabilities, got {value!r}")
    given = checks.numeric_array(func, arg, value).dtype
    array = checks.float_array(func, arg, value)
    if array.ndim == 0:
        raise ValueError(f"{func}: {arg} must have at least one axis (the outcomes), "
                         f"got a scalar (shape ())")
    if np.any(array < 0):
        raise ValueError(f"{func}: {arg} must be non-negative (probabilities); got "
                         f"{array[array < 0].flat[0]!r} in an array of shape {shape_str(array)}")
    return array, _sum_tolerance(given if given.kind == "f" else array.dtype)


def _check_axis(array, axis, func, arg):
    return checks.axis_index(func, "axis", checks.scalar(func, "axis", axis, integer=True),
                             array, arg)


def _check_normalised(array, axis, func, arg, where, tol):
    """Raise unless ``array`` sums to 1 along ``axis`` (``None``: over everything)."""
    total = np.sum(array, axis=axis, dtype=np.float64)
    bad = np.abs(total - 1) > tol        # NaN compares False: NaN in, NaN out
    if np.any(bad):
        worst = float(np.asarray(total)[bad].flat[0]) if np.ndim(total) else float(total)
        raise ValueError(
            f"{func}: {arg} must sum to 1 {where} (within {tol:g}); got a sum of {worst!r} "
            f"in an array of shape {shape_str(array)}. Divide by the sum first if it holds "
            f"counts or weights")


def _distribution(value, axis, func, arg):
    array, tol = _probabilities(value, func, arg)
    where = f"along axis {axis}"
    axis = _check_axis(array, axis, func, arg)
    _check_normalised(array, axis, func, arg, where, tol)
    return array, axis


def _pair(p, q, axis, func):
    """Two distributions of one shape and a common float dtype, checked along ``axis``."""
    p, p_tol = _probabilities(p, func, "p")
    q, q_tol = _probabilities(q, func, "q")
    if p.shape != q.shape:
        raise ValueError(f"{func}: p of shape {shape_str(p)} and q of shape {shape_str(q)} "
                         f"must have the same shape")
    dtype = np.result_type(p, q)
    p, q = p.astype(dtype, copy=False), q.astype(dtype, copy=False)
    where = f"along axis {axis}"
    axis = _check_axis(p, axis, func, "p")
    _check_normalised(p, axis, func, "p", where, p_tol)
    _check_normalised(q, axis, func, "q", where, q_tol)
    return p, q, axis


def _in_base(nats, base, func):
    """Convert a result in nats to ``base`` (``None``: keep nats), dtype preserved."""
    if base is None:
        return nats
    base = checks.scalar(func, "base", base, checks.POSITIVE)
    if base == 1:
        raise ValueError(f"{func}: base must be a positive number other than 1 "
                         f"(2 for bits, None for nats), got {base!r}")
    # A Python float keeps float32 results float32.
    return nats / math.log(base)


def _xlogy_terms(x, y):
    r"""Elementwise :math:`x \log y` with :math:`0 \log y = 0` for every ``y`` (0 included).

    Where ``x > 0`` and ``y == 0`` the term is :math:`-\infty`, without a warning. NaN in
    either input gives NaN.
    """
    keep = (x != 0) | np.isnan(y)              # x NaN is kept as well (NaN != 0)
    with np.errstate(divide="ignore"):
        log_y = np.log(np.where(keep, y, 1))   # log 1 = 0 where x == 0
    return x * log_y


def kl_terms(p, q):
    r"""The terms of the KL divergence, elementwise :math:`p \log(p / q)`, unchecked.

    0 where :math:`p = 0`, :math:`+\infty` where :math:`p > 0 = q`, without a warning; their
    sum along an axis is :func:`kl_divergence`. The book draws them term by term.

    >>> kl_terms(np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.75, 0.0])).round(4)
    array([ 0.3466, -0.2027,  0.    ])
    """
    keep = (p != 0) | np.isnan(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = np.log(np.where(keep, q, 1))
        log_p = np.log(np.where(keep, p, 1))   # -inf only where p = 0 and q is NaN
        return p * (log_p - log_q)


# ------------------------------------------------------------ information measures
def entropy(p, axis=-1, base=None):
    r"""Shannon entropy of the distribution ``p`` along ``axis``.

    .. math::

        H(p) = -\sum_i p_i \log p_i, \qquad 0 \log 0 = 0

    It lies in :math:`[0, \log N]` for :math:`N` outcomes: 0 for a certain outcome,
    :math:`\log N` for the uniform distribution (Cover & Thomas 2006, Thm. 2.6.4).

    Parameters
    ----------
    p : array_like, non-negative, summing to 1 along ``axis``
    axis : int, default -1
        The axis of the outcomes; every other axis is a batch of distributions.
    base : float or None
        Base of the logarithm: ``None`` for nats, ``2`` for bits.

    Returns
    -------
    ndarray of ``p``'s shape without ``axis`` (a numpy scalar for 1-D ``p``), in ``p``'s
    float dtype.

    Raises
    ------
    ValueError
        ``p`` has a negative entry or does not sum to 1; ``axis`` or ``base`` is invalid.

    >>> float(entropy([0.5, 0.5]))            # a fair coin: log 2 nats
    0.6931471805599453
    >>> float(entropy([0.5, 0.5], base=2))    # ... which is 1 bit
    1.0
    >>> entropy([[1.0, 0.0], [0.25, 0.75]], base=2).round(4)
    array([0.    , 0.8113])
    """
    func = "entropy"
    p, axis = _distribution(p, axis, func, "p")
    nats = 0 - np.sum(_xlogy_terms(p, p), axis=axis)   # 0 - 0 = +0, not -0
    return _in_base(nats, base, func)


def cross_entropy(p, q, axis=-1, base=None):
    r"""Cross-entropy of ``q`` relative to ``p``: the cost of coding ``p`` with a code built for ``q``.

    .. math::

        H(p, q) = -\sum_i p_i \log q_i = H(p) + D_{\mathrm{KL}}(p \,\|\, q)

    An outcome with :math:`p_i = 0` contributes nothing whatever :math:`q_i` is; an
    outcome with :math:`p_i > 0 = q_i` makes :math:`H(p, q) = +\infty`.

    Parameters
    ----------
    p, q : array_like of the same shape, each non-negative and summing to 1 along ``axis``
        ``p`` is the true distribution, ``q`` the model.
    axis : int, default -1
    base : float or None
        ``None`` for nats, ``2`` for bits.

    Returns
    -------
    ndarray of the inputs' shape without ``axis``.

    Notes
    -----
    With a one-hot ``p`` this is :math:`-\log q_y`, the per-sample value of a softmax
    cross-entropy loss; lossbook's losses take logits, this function takes probabilities.

    >>> float(cross_entropy([0.5, 0.5], [0.5, 0.5], base=2))
    1.0
    >>> float(cross_entropy([0.0, 1.0], [0.25, 0.75])) == -float(np.log(0.75))
    True
    >>> float(cross_entropy([0.5, 0.5], [1.0, 0.0]))
    inf
    """
    func = "cross_entropy"
    p, q, axis = _pair(p, q, axis, func)
    nats = 0 - np.sum(_xlogy_terms(p, q), axis=axis)
    return _in_base(nats, base, func)


def kl_divergence(p, q, axis=-1, base=None):
    r"""Kullback-Leibler divergence :math:`D_{\mathrm{KL}}(p \,\|\, q)` along ``axis``.

    .. math::

        D_{\mathrm{KL}}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i}
        = H(p, q) - H(p)

    It is :math:`\ge 0`, with equality if and only if :math:`p = q` (Gibbs' inequality,
    Cover & Thomas 2006, Thm. 2.6.3). It is not a distance: it is not symmetric and does
    not satisfy the triangle inequality. It is :math:`+\infty` when ``q`` gives
    probability 0 to an outcome that ``p`` does not; outcomes with :math:`p_i = 0` add
    nothing.

    Parameters
    ----------
    p, q : array_like of the same shape, each non-negative and summing to 1 along ``axis``
    axis : int, default -1
    base : float or None
        ``None`` for nats, ``2`` for bits.

    Returns
    -------
    ndarray of the inputs' shape without ``axis``, :math:`\ge 0`.

    Notes
    -----
    The terms are summed as written; for :math:`p \approx q` rounding can leave a sum of
    order :math:`-10^{-17}`, which is returned as 0 (the result is clipped below at 0,
    a bound that holds exactly). :class:`KLDivLoss` is the same quantity as a loss on
    log-probabilities or logits.

    >>> round(float(kl_divergence([0.5, 0.5], [0.25, 0.75])), 6)   # (1/2) log(4/3)
    0.143841
    >>> round(float(kl_divergence([0.25, 0.75], [0.5, 0.5])), 6)   # not symmetric
    0.130812
    >>> float(kl_divergence([0.5, 0.5], [1.0, 0.0]))
    inf
    """
    func = "kl_divergence"
    p, q, axis = _pair(p, q, axis, func)
    nats = np.maximum(np.sum(kl_terms(p, q), axis=axis), 0)
    return _in_base(nats, base, func)


def js_divergence(p, q, axis=-1, base=None):
    r"""Jensen-Shannon divergence: the mean KL divergence of ``p`` and ``q`` from their mixture.

    .. math::

        \mathrm{JS}(p, q) = \tfrac12 D_{\mathrm{KL}}(p \,\|\, m) + \tfrac12 D_{\mathrm{KL}}(q \,\|\, m),
        \qquad m = \tfrac12 (p + q)

    Unlike the KL divergence it is symmetric, always finite (:math:`m_i \ge p_i / 2`,
    so no term divides by zero where :math:`p_i > 0`) and bounded:
    :math:`0 \le \mathrm{JS} \le \log 2`, i.e. at most 1 bit, with the maximum exactly
    when ``p`` and ``q`` have disjoint supports (Lin 1991). Its square root is a metric
    (Endres & Schindelin 2003).

    Parameters
    ----------
    p, q : array_like of the same shape, each non-negative and summing to 1 along ``axis``
    axis : int, default -1
    base : float or None
        ``None`` for nats, ``2`` for bits.

    Returns
    -------
    ndarray of the inputs' shape without ``axis``, in :math:`[0, \log 2]` nats.

    Notes
    -----
    The result is clipped to :math:`[0, \log 2]`: inputs that sum to 1 only within the
    tolerance could otherwise overshoot the bound by that tolerance.

    >>> float(js_divergence([1.0, 0.0], [0.0, 1.0], base=2))   # disjoint: 1 bit
    1.0
    >>> round(float(js_divergence([1.0, 0.0], [0.5, 0.5])), 6)   # (3/4) log(4/3)
    0.215762
    """
    func = "js_divergence"
    p, q, axis = _pair(p, q, axis, func)
    mixture = 0.5 * (p + q)
    half = 0.5 * (np.sum(kl_terms(p, mixture), axis=axis)
                  + np.sum(kl_terms(q, mixture), axis=axis))
    nats = np.clip(half, 0, _LOG2)
    return _in_base(nats, base, func)


def mutual_information(joint, base=None):
    r"""Mutual information :math:`I(X; Y)` of a joint probability table ``joint[x, y]``.

    .. math::

        I(X; Y) = H(X) + H(Y) - H(X, Y)
                = \sum_{x, y} p(x, y) \log \frac{p(x, y)}{p(x)\, p(y)}
                = D_{\mathrm{KL}}\big(p(x, y) \,\|\, p(x) p(y)\big)

    with the marginals :math:`p(x) = \sum_y p(x, y)` and :math:`p(y) = \sum_x p(x, y)`.
    It is 0 exactly when :math:`X` and :math:`Y` are independent (the table is the outer
    product of its marginals) and at most :math:`\min(H(X), H(Y))`: a perfectly
    correlated pair of fair coins shares :math:`\log 2` nats, 1 bit (Cover & Thomas
    2006, sec. 2.4).

    Parameters
    ----------
    joint : array_like of shape ``(nx, ny)``, non-negative, summing to 1 over all entries
    base : float or None
        ``None`` for nats, ``2`` for bits.

    Returns
    -------
    A numpy scalar, :math:`\ge 0`.

    Notes
    -----
    It is computed in the second form, as a KL divergence, rather than as a difference
    of three entropies: the difference cancels catastrophically when the entropies are
    large and the information small. A cell with :math:`p(x, y) > 0` has both marginals
    positive, so every term is finite. Rounding can leave :math:`-10^{-17}` for an
    independent table; the result is clipped below at 0.

    >>> float(mutual_information([[0.5, 0.0], [0.0, 0.5]], base=2))   # one copied bit
    1.0
    >>> float(mutual_information([[0.25, 0.25], [0.25, 0.25]]))       # independent
    0.0
    """
    func = "mutual_information"
    joint, tol = _probabilities(joint, func, "joint")
    if joint.ndim != 2:
        raise ValueError(f"{func}: joint must be a 2-D table p(x, y), got shape "
                         f"{shape_str(joint)}")
    _check_normalised(joint, None, func, "joint", "over all entries", tol)
    p_x = np.sum(joint, axis=1, keepdims=True)
    p_y = np.sum(joint, axis=0, keepdims=True)
    keep = joint != 0                     # NaN is kept; where joint > 0 both marginals are > 0
    with np.errstate(divide="ignore"):
        log_ratio = (np.log(np.where(keep, joint, 1))
                     - np.log(np.where(keep, p_x, 1)) - np.log(np.where(keep, p_y, 1)))
    nats = np.maximum(np.sum(joint * log_ratio), 0)
    return _in_base(nats, base, func)


# ------------------------------------------------------------------- the loss
class KLDivLoss(Loss):
    r"""The Kullback-Leibler divergence of a model from a target distribution, as a loss.

    The label is the target distribution :math:`P`; the prediction gives the model's
    log-probabilities :math:`\log Q`, either directly (``from_logits=True``, the default:
    ``pred`` holds log-probabilities, e.g. the output of a log-softmax) or as logits
    (``from_logits=False``: :math:`\log Q = \operatorname{log\_softmax}(\mathrm{pred})`
    along ``axis``). Per element, with :math:`y_i` the label,

    .. math::

        \ell_i = y_i \,\big(\log(y_i + 10^{-12}) - \log Q_i\big),

    summed over every non-batch axis, which gives the divergence
    :math:`D_{\mathrm{KL}}(P \,\|\, Q) = \sum_i P_i \log (P_i / Q_i)` of each sample. The
    derivative with respect to ``pred`` is :math:`-y_i` with ``from_logits=True``; with
    ``from_logits=False`` each logit moves every :math:`\ell_j` of its row (the sum runs
    along ``axis``), so the loss gives a vector-Jacobian product:

    .. math::

        \frac{\partial \sum_j g_j \ell_j}{\partial\,\mathrm{pred}_i}
            = -g_i y_i + \operatorname{softmax}(\mathrm{pred})_i \sum_j g_j y_j

    For a label row that sums to 1 and :math:`g = 1` this is the familiar :math:`Q_i - P_i`;
    lossbook does not assume that it does.

    Parameters
    ----------
    from_logits : bool, default True
        Whether ``pred`` already holds log-probabilities. ``False``: ``pred`` holds
        unnormalised scores and a log-softmax along ``axis`` is applied.
    axis : int, default -1
        The axis of the classes for the log-softmax; used only when ``from_logits=False``.
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Inputs
    ------
    pred : any shape with a batch axis (with ``from_logits=False``, ``axis`` must be
        another axis).
    label : the target probabilities, :math:`\ge 0`, with ``pred``'s number of elements
        (reshaped to its shape).
    sample_weight : broadcastable to ``pred``'s shape, e.g. ``(batch, 1)``, or ``(batch,)``.

    Returns
    -------
    Shape ``(batch,)``, the dtype of ``pred``.

    Notes
    -----
    * Reduction: the **sum** over the non-batch axes, which is the KL divergence of the
      sample. MXNet 1.9.1 does the same: its ``KLDivLoss.hybrid_forward`` ends in
      ``F.sum(loss, axis=self._batch_axis, exclude=True)`` (the change from ``F.mean``
      came with apache/mxnet PR #19356, 2020); only its docstring still says the other
      dimensions are "averaged out", which is stale. So lossbook and Gluon agree.
    * PyTorch: ``F.kl_div(log_q, p, reduction='none')`` summed over the non-batch axes
      equals ``KLDivLoss()(log_q, p)`` (PyTorch uses ``xlogy`` where Gluon adds
      :math:`10^{-12}`); ``reduction='batchmean'`` is its batch mean, and its default
      ``'mean'`` divides that by the number of elements per sample as well.
    * Zero-probability labels contribute nothing: :math:`0 \cdot \log(0 + 10^{-12}) = 0`,
      the convention :math:`0 \log 0 = 0`. Elsewhere the :math:`10^{-12}` changes the value
      by at most :math:`10^{-12}` per element, and the gradient not at all. A log-probability
      of :math:`-\infty` under a zero label gives NaN (:math:`0 \cdot \infty`), as in Gluon
      and PyTorch; with ``from_logits=False`` every finite logit gives a finite value.
    * Stability: ``from_logits=False`` uses the shifted log-softmax, so logits of
      :math:`\pm 10^4` in float32 give finite values and gradients, and ties stay exact at
      any magnitude.
    * Checks: a negative label is an error; labels above 1 or rows that do not sum to 1
      are allowed (the gradient above holds for any non-negative label). With
      ``from_logits=False``, an ``axis`` equal to the batch axis is an error (the softmax
      would mix samples); Gluon computes it.
    * With ``from_logits=True`` nothing checks that ``exp(pred)`` sums to 1; if it does not,
      the value is not a KL divergence (it can be negative, and it decreases without bound
      as ``pred`` grows). For normalised :math:`Q` and label rows summing to 1, the minimum
      is 0, at :math:`Q = P`; minimising it in ``pred`` is minimising the cross-entropy
      :math:`H(P, Q)`, which differs by :math:`H(P)`.

    References
    ----------
    S. Kullback and R. A. Leibler, "On information and sufficiency", *Ann. Math. Statist.*
    22(1), 1951; Cover & Thomas 2006, sec. 2.3; ``mxnet.gluon.loss.KLDivLoss`` (1.9.1).

    >>> loss = KLDivLoss()
    >>> loss(np.log([[0.25, 0.75]]), [[0.5, 0.5]]).round(6)      # (1/2) log(4/3)
    array([0.143841])
    >>> KLDivLoss(from_logits=False).grad([[0.0, np.log(3.0)]], [[0.5, 0.5]]).round(12)
    array([[-0.25,  0.25]])
    """

    inputs = (Pred("pred"), Like("label", Interval(0, what="the target probabilities")),
              SAMPLE_WEIGHT)
    sample_reduction = "sum"
    from_logits = Hyperparameter(boolean, "pred holds log-probabilities (True) or logits.")
    axis = Hyperparameter(integer(), "The class axis of the log-softmax (from_logits=False).")

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.from_logits = from_logits
        self.axis = axis

    def prepare(self, **call):
        inputs = super().prepare(**call)
        if not self.from_logits:
            checks.class_axis(self, inputs["pred"])
        return inputs

    def value_and_vjp(self, pred, label):
        log_q = pred if self.from_logits else log_softmax(pred, axis=self.axis)
        # 0 * log(0 + 1e-12) = 0: zero-probability labels add nothing (0 log 0 = 0).
        loss = label * (np.log(label + 1e-12) - log_q)
        if self.from_logits:
            return loss, lambda g_el: (-label * g_el,)

        def vjp(g_el):
            weighted = label * g_el
            grad = softmax(pred, axis=self.axis)
            grad *= np.sum(weighted, axis=self.axis, keepdims=True)
            grad -= weighted
            return (grad,)
        return loss, vjp


def _kldiv_plot_inputs(x, label, config):
    """Two classes, logits (x, 0), target (q, 1 - q): the loss along the logit of class 0.

    With ``from_logits=True`` the same model is fed as log-probabilities
    (log sigmoid(x), log sigmoid(-x)), and the derivative along ``x`` is assembled by the
    chain rule, so both configurations draw the same curve, minimal at x = logit(q).
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    logits = np.stack([x, np.zeros_like(x)], axis=1)
    target = np.tile([label, 1.0 - label], (x.size, 1))
    if not config.get("from_logits", True):
        return (logits, target), {}, lambda grad: grad[:, 0]
    prob0 = softmax(logits, axis=1)[:, 0]
    return ((log_softmax(logits, axis=1), target), {},
            lambda grad: grad[:, 0] * (1 - prob0) - grad[:, 1] * prob0)


register(Record(
    KLDivLoss, "information",
    params=(Param("from_logits", True, choices=(True, False),
                  doc="pred holds log-probabilities (True) or logits (False)"),),
    configs=({"from_logits": False},),
    plot_domain=(-6.0, 6.0), plot_labels=(0.2, 0.5, 0.9),
    plot_inputs=_kldiv_plot_inputs, x_label="logit of class 0",
    summary="KL divergence from a target distribution"))
