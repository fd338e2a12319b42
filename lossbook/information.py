r"""Information measures on discrete distributions, and KL divergences as losses.

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
gradient the model needs. :class:`DistillationLoss` is the KL divergence between a
teacher's and a student's softened softmaxes (knowledge distillation), and
:class:`GaussianKLLoss` the KL divergence of a diagonal Gaussian from the standard normal
(the VAE's regulariser), each with its gradient.

References: T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed.,
Wiley, 2006. J. Lin, "Divergence measures based on the Shannon entropy",
*IEEE Trans. Information Theory* 37(1), 1991. D. M. Endres and J. E. Schindelin, "A new
metric for probability distributions", *IEEE Trans. Information Theory* 49(7), 2003.
"""
import math

import numpy as np

from . import checks
from ._math import log_softmax, softmax
from .base import Hyperparameter, Loss, boolean, integer, real
from .checks import SAMPLE_WEIGHT, Interval, Like, Pred, shape_str
from .registry import Param, Record, register

__all__ = [
    "entropy", "cross_entropy", "kl_divergence", "js_divergence", "mutual_information",
    "kl_terms", "KLDivLoss", "DistillationLoss", "GaussianKLLoss",
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
    lossbook does not assume that it does. With ``log_target=True`` the label holds
    :math:`\log P` (a teacher's log-softmax, say), :math:`y_i` above is :math:`e^{\mathrm{label}_i}`
    and :math:`\ell_i = y_i (\mathrm{label}_i - \log Q_i)`, as PyTorch's ``log_target``.

    Parameters
    ----------
    from_logits : bool, default True
        Whether ``pred`` already holds log-probabilities. ``False``: ``pred`` holds
        unnormalised scores and a log-softmax along ``axis`` is applied.
    axis : int, default -1
        The axis of the classes for the log-softmax; used only when ``from_logits=False``.
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).
    log_target : bool, default False
        Whether ``label`` holds log-probabilities (PyTorch's ``log_target``; not in Gluon).
        A label of :math:`-\infty` (probability 0) then adds 0, where PyTorch gives NaN.

    Inputs
    ------
    pred : any shape with a batch axis (with ``from_logits=False``, ``axis`` must be
        another axis).
    label : the target probabilities, :math:`\ge 0` (log-probabilities, :math:`\le 0`, with
        ``log_target``), with ``pred``'s number of elements (reshaped to its shape).
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

    inputs = (Pred("pred"), Like("label", domain="label_domain"), SAMPLE_WEIGHT)
    sample_reduction = "sum"
    from_logits = Hyperparameter(boolean, "pred holds log-probabilities (True) or logits.")
    axis = Hyperparameter(integer(), "The class axis of the log-softmax (from_logits=False).")
    log_target = Hyperparameter(boolean, "label holds log-probabilities (True) or probabilities.")

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, log_target=False):
        super().__init__(weight, batch_axis)
        self.from_logits = from_logits
        self.axis = axis
        self.log_target = log_target

    @property
    def label_domain(self):
        if self.log_target:
            return Interval(high=0, what="log-probabilities, since log_target=True")
        return Interval(0, what="the target probabilities")

    def prepare(self, **call):
        inputs = super().prepare(**call)
        if not self.from_logits:
            checks.class_axis(self, inputs["pred"])
        return inputs

    def value_and_vjp(self, pred, label):
        log_q = pred if self.from_logits else log_softmax(pred, axis=self.axis)
        if self.log_target:
            log_p, label = label, np.exp(label)
            # a label of -inf (probability 0) adds nothing: 0 log 0 = 0, not 0 * -inf
            with np.errstate(invalid="ignore"):
                loss = np.where(np.isneginf(log_p), 0, label * (log_p - log_q))
        else:
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
    if config.get("log_target"):
        target = np.log(target)
    if not config.get("from_logits", True):
        return (logits, target), {}, lambda grad: grad[:, 0]
    prob0 = softmax(logits, axis=1)[:, 0]
    return ((log_softmax(logits, axis=1), target), {},
            lambda grad: grad[:, 0] * (1 - prob0) - grad[:, 1] * prob0)


register(Record(
    KLDivLoss, "information",
    params=(Param("from_logits", True, choices=(True, False),
                  doc="pred holds log-probabilities (True) or logits (False)"),),
    configs=({"from_logits": False}, {"log_target": True},
             {"from_logits": False, "log_target": True}),
    plot_domain=(-6.0, 6.0), plot_labels=(0.2, 0.5, 0.9),
    plot_inputs=_kldiv_plot_inputs, x_label="logit of class 0",
    summary="KL divergence from a target distribution"))


class DistillationLoss(Loss):
    r"""Knowledge distillation: the KL divergence of a student's softened softmax from a teacher's, times :math:`T^2`.

    With the temperature :math:`T`, the teacher's logits :math:`t` (``label``) and the
    student's :math:`s` (``pred``), softened as :math:`p = \operatorname{softmax}(t / T)`
    and :math:`q = \operatorname{softmax}(s / T)` along ``axis``:

    .. math::

        \ell = T^2 \sum_c p_c \,(\log p_c - \log q_c), \qquad
        \frac{\partial \ell}{\partial s_c} = T\,(q_c - p_c).

    The :math:`T^2` (Hinton et al. 2015, sec. 2) keeps the gradient's size comparable
    across temperatures: the softened gradient :math:`(q - p) / T` shrinks like
    :math:`1/T^2` at high temperature (:math:`q_c - p_c \approx (s_c - t_c) / (C T)` for
    logits of zero mean), and :math:`T^2` undoes that, so that the soft term and a hard-label
    cross-entropy can be mixed with one weight whatever :math:`T` is.

    It is :class:`KLDivLoss` on softened inputs, times :math:`T^2` (with its
    ``weight``): ``KLDivLoss(from_logits=False, axis=axis, weight=T**2)(pred / T,
    softmax(label / T))``, whose gradient with respect to ``pred / T`` must then be divided
    by :math:`T`; this class does both steps, so neither can be forgotten.

    Parameters
    ----------
    temperature : float > 0, default 2
        :math:`T`. 1 gives the plain KL divergence of the two softmaxes; higher values
        soften both distributions and bring out the teacher's small probabilities.
    axis : int, default -1
        The class axis.
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Inputs
    ------
    pred : the student's logits, e.g. ``(batch, C)`` or ``(batch, T, C)``.
    label : the teacher's logits, ``pred``'s number of elements (reshaped to its shape);
        it receives no gradient.
    sample_weight : broadcastable to ``pred``'s shape with the class axis of size 1, e.g.
        ``(batch, 1)``, or ``(batch,)``.

    Returns
    -------
    Shape ``(batch,)``: the mean over the positions of a sample (the class axis is summed).

    Notes
    -----
    With ``reduction='mean'`` and inputs of shape ``(batch, C)`` it is the number of
    PyTorch's usual recipe::

        F.kl_div(F.log_softmax(s / T, dim=1), F.log_softmax(t / T, dim=1),
                 log_target=True, reduction="batchmean") * T ** 2

    References
    ----------
    G. Hinton, O. Vinyals, J. Dean, "Distilling the Knowledge in a Neural Network", 2015.

    >>> loss = DistillationLoss(temperature=2.0)
    >>> student, teacher = np.array([[0.0, 0.0]]), np.array([[2.0, 0.0]])
    >>> p = np.exp(1.0) / (np.exp(1.0) + 1)           # the teacher's softened probability
    >>> bool(np.isclose(loss(student, teacher)[0],
    ...                 4 * (p * np.log(2 * p) + (1 - p) * np.log(2 * (1 - p)))))
    True
    >>> np.round(loss.grad(student, teacher), 6)      # T (q - p)
    array([[-0.462117,  0.462117]])
    """

    inputs = (Pred("pred"), Like("label"), SAMPLE_WEIGHT)
    blocked = True
    temperature = Hyperparameter(real(checks.POSITIVE), "Softens both softmaxes.")
    axis = Hyperparameter(integer(), "The class axis.")

    def __init__(self, temperature=2.0, axis=-1, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.temperature = temperature
        self.axis = axis

    def prepare(self, **call):
        inputs = super().prepare(**call)
        checks.class_axis(self, inputs["pred"])
        return inputs

    def value_shape(self, inputs):
        shape = list(inputs["pred"].shape)
        shape[self.axis % len(shape)] = 1
        return tuple(shape)

    def value_and_derivative(self, pred, label):
        axis, temperature = self.axis % pred.ndim, self.temperature
        log_q = log_softmax(pred / temperature, axis=axis)
        log_p = log_softmax(label / temperature, axis=axis)
        p = np.exp(log_p)
        loss = temperature ** 2 * np.sum(p * (log_p - log_q), axis=axis, keepdims=True)
        return loss, temperature * (np.exp(log_q) - p)


def _distillation_plot_inputs(x, label, config):
    """Two classes: the student's logits (x, 0), the teacher's (label, 0)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    student = np.stack([x, np.zeros_like(x)], axis=1)
    teacher = np.tile([label, 0.0], (x.size, 1))
    # d loss / dx: the derivative with respect to the student's logit of class 0
    return (student, teacher), {}, lambda grad: grad[:, 0]


register(Record(
    DistillationLoss, "information",
    params=(Param("temperature", 2.0, 0.5, 8.0, doc="softens student and teacher"),),
    configs=({"temperature": 1.0}, {"temperature": 6.0}),
    plot_domain=(-6.0, 6.0), plot_labels=(2.0, -1.0),
    plot_inputs=_distillation_plot_inputs,
    x_label="student's logit of class 0 (class 1 scores 0; teacher's at the label value)",
    summary="a student's softened softmax against a teacher's, times T^2"))


class GaussianKLLoss(Loss):
    r"""The VAE's KL term: :math:`D_{\mathrm{KL}}\bigl(\mathcal N(\mu, e^{v}) \,\|\, \mathcal N(0, 1)\bigr)` per sample.

    For a diagonal Gaussian with means :math:`\mu` (``mu``) and log-variances :math:`v`
    (``logvar``), summed over every non-batch axis (the latent dimensions):

    .. math::

        \ell = \tfrac12 \sum_k \bigl(\mu_k^2 + e^{v_k} - v_k - 1\bigr), \qquad
        \frac{\partial \ell}{\partial \mu_k} = \mu_k, \qquad
        \frac{\partial \ell}{\partial v_k} = \tfrac12 \bigl(e^{v_k} - 1\bigr).

    It is 0 exactly at :math:`\mu = 0, v = 0` (the prior itself); the mean is pulled to 0
    linearly and the log-variance to 0 with a pull that grows like :math:`e^{v}` above
    and saturates at :math:`-\tfrac12` below (Kingma & Welling 2014, appendix B).

    Parameters
    ----------
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`); ``weight`` is the :math:`\beta` of a
        :math:`\beta`-VAE.

    Inputs
    ------
    mu : any shape with a batch axis.
    logvar : ``mu``'s number of elements (reshaped to its shape).
    sample_weight : broadcastable to ``mu``'s shape, or ``(batch,)``.

    Returns
    -------
    Shape ``(batch,)``, the **sum** over the latent axes (the KL divergence of the sample's
    Gaussian). ``reduction='mean'`` is its mean over the batch; ``'sum'`` the sum over
    everything, the term of the usual VAE code. ``grad`` returns ``(d_mu, d_logvar)``.

    Notes
    -----
    :math:`e^{v} - v - 1` is computed as ``expm1(v) - v``, accurate for :math:`v` near 0.
    PyTorch has no such loss; ``torch.distributions.kl_divergence(Normal(mu, exp(v / 2)),
    Normal(0, 1))`` summed over the latent axes gives the same numbers. A log-variance whose
    exponential overflows gives :math:`+\infty` (the divergence is that large).

    References
    ----------
    D. P. Kingma, M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014, appendix B.

    >>> GaussianKLLoss()(np.array([[1.0, 0.0]]), np.array([[0.0, np.log(2.0)]])).round(6)
    array([0.653426])
    """

    inputs = (Pred("mu"), Like("logvar", grad=True), SAMPLE_WEIGHT)
    sample_reduction = "sum"
    blocked = True

    def mean_denominator(self, inputs, shape):
        """The number of samples: ``'mean'`` is the mean over the batch of the per-sample
        divergence (the latent axes are one distribution, not separate elements)."""
        return shape[self.batch_axis % len(shape)]

    def value_and_derivative(self, mu, logvar):
        grow = np.expm1(logvar)                            # e^v - 1, accurate near v = 0
        loss = 0.5 * (np.square(mu) + (grow - logvar))
        return loss, (mu, 0.5 * grow)


def _gaussian_kl_plot_inputs(x, label, config):
    """logvar along ``x``, mu fixed at ``label``."""
    logvar = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    return (np.full_like(logvar, label), logvar), {}, lambda grad: grad[1][:, 0]


register(Record(
    GaussianKLLoss, "information",
    plot_domain=(-4.0, 2.5), plot_labels=(0.0, 1.0),
    plot_inputs=_gaussian_kl_plot_inputs, x_label="logvar (mu at the label value)",
    summary="the VAE's KL term: a diagonal Gaussian against N(0, 1)"))
