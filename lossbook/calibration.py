r"""Calibration: do predicted probabilities match the frequencies they predict?

A classifier is *calibrated* when, among the cases to which it gives probability
:math:`q`, a fraction :math:`q` are positive (Dawid 1982). The functions here measure
that from held-out predictions and labels, and repair the commonest failure,
overconfidence, by temperature scaling:

* :func:`reliability_curve`: the mean prediction against the observed frequency in bins
  of the prediction (a reliability diagram), with equal-width (``"uniform"``) or
  equal-mass (``"quantile"``) bins;
* :func:`expected_calibration_error` and :func:`maximum_calibration_error`: the weighted
  mean and the largest gap between the two, over the bins;
* :func:`brier_decomposition`: the Brier score split into reliability, resolution and
  uncertainty (Murphy 1973), with the two within-bin terms that make the split exact;
* :func:`temperature_scale`: the temperature :math:`T` that minimises the negative
  log-likelihood of ``logits / T`` (Guo et al. 2017), by Newton's method or by gradient
  steps, with :class:`~lossbook.SigmoidBCELoss` and :class:`~lossbook.SoftmaxCELoss` and
  their analytic derivatives.

Forecasts come in two forms. A 1-D ``prob`` is the probability of the positive class, and
``label`` holds 0 or 1. A 2-D ``prob`` of shape ``(n, classes)`` holds one distribution
per row, and ``label`` the class indices: the curves and errors are then those of the
*top label*, the largest probability of each row (its *confidence*) against whether that
class is the label (Guo et al. 2017); ties go to the first largest class.

Bins are those of scikit-learn's ``calibration_curve``: ``bins + 1`` edges, equally
spaced on :math:`[0, 1]` or at the quantiles of the predictions (``np.percentile``,
linear interpolation), and a prediction on an inner edge belongs to the bin below it, so
bin :math:`k` is :math:`(e_k, e_{k+1}]` (the first one includes 0). Empty bins are left
out. Computations are in float64; arrays are returned in the dtype of ``prob`` (float32
stays float32), numbers as Python floats. Inputs are checked, never repaired: errors name
the function and the argument.

References: A. P. Dawid, "The well-calibrated Bayesian", JASA 77(379), 1982.
A. H. Murphy, "A new vector partition of the probability score", J. Applied Meteorology
12(4), 1973. D. B. Stephenson, C. A. S. Coelho, I. T. Jolliffe, "Two extra components in
the Brier score decomposition", Weather and Forecasting 23(4), 2008. M. P. Naeini,
G. F. Cooper, M. Hauskrecht, "Obtaining well calibrated probabilities using Bayesian
binning", AAAI 2015. C. Guo, G. Pleiss, Y. Sun, K. Q. Weinberger, "On calibration of
modern neural networks", ICML 2017.
"""
import math
from typing import NamedTuple

import numpy as np

from . import checks
from .checks import Interval, shape_str
from .classification import SigmoidBinaryCrossEntropyLoss
from .multiclass import SoftmaxCrossEntropyLoss

__all__ = ["Reliability", "BrierDecomposition", "reliability_curve",
           "expected_calibration_error", "maximum_calibration_error", "brier_decomposition",
           "temperature_scale"]

_PROBABILITY = Interval(0, 1, what="a probability", nan=False)
_BINARY = checks.Values((0, 1), nan=False, what="a binary label")


class Reliability(NamedTuple):
    """A reliability curve: one entry per non-empty bin, and every bin's edges.

    predicted : the mean prediction (or confidence) in each non-empty bin.
    observed : the fraction of positives (or of correct top labels) in it.
    count : how many predictions fell in it (int).
    edges : the ``bins + 1`` edges, empty bins included.
    """
    predicted: np.ndarray
    observed: np.ndarray
    count: np.ndarray
    edges: np.ndarray


class BrierDecomposition(NamedTuple):
    r"""The Brier score of binary forecasts and its parts, over the bins of the forecasts.

    ``brier == reliability - resolution + uncertainty + within_bin_variance
    - 2 * within_bin_covariance``, exactly (to rounding).
    """
    brier: float
    reliability: float
    resolution: float
    uncertainty: float
    within_bin_variance: float
    within_bin_covariance: float


# ------------------------------------------------------------------------- checks
def _binary_labels(who, label, scores, name):
    """The 0/1 labels as float64, one per entry of the 1-D array ``scores`` (called ``name``)."""
    label = checks.numeric_array(who, "label", label)
    n = scores.shape[0]
    if label.shape != (n,):
        raise ValueError(f"{who}: label of shape {shape_str(label)} must hold one 0 or 1 per "
                         f"entry of {name}, shape ({n},) for {name} of shape {shape_str(scores)}")
    _BINARY.check_array(who, "label", label)
    return label.astype(np.float64)


def _forecasts(who, prob, label):
    """``(confidence, outcome, dtype)`` as float64 arrays of shape ``(n,)``: the probability
    and the 0/1 label (1-D ``prob``), or the top label's probability and whether it is right
    (2-D ``prob``, label class indices)."""
    if prob is None or isinstance(prob, (str, bytes)):
        raise TypeError(f"{who}: prob must be an array of probabilities, got {prob!r}")
    prob = checks.float_array(who, "prob", prob)
    dtype = prob.dtype
    if prob.ndim not in (1, 2) or prob.shape[0] == 0:
        raise ValueError(f"{who}: prob must have shape (n,) (the positive class's probability) "
                         f"or (n, classes) (one distribution per row) with n >= 1, got shape "
                         f"{shape_str(prob)}")
    _PROBABILITY.check_array(who, "prob", prob)
    n = prob.shape[0]
    if prob.ndim == 1:
        return prob.astype(np.float64), _binary_labels(who, label, prob, "prob"), dtype
    classes = prob.shape[1]
    if classes < 2:
        raise ValueError(f"{who}: prob of shape {shape_str(prob)} has one class column; pass "
                         f"the positive class's probability as a 1-D array")
    tol = 1e-4 if dtype == np.float32 else 1e-6
    total = np.sum(prob, axis=1, dtype=np.float64)
    if np.any(np.abs(total - 1) > tol):
        worst = float(total[np.argmax(np.abs(total - 1))])
        raise ValueError(f"{who}: each row of prob must sum to 1 (within {tol:g}); got a sum of "
                         f"{worst!r} in an array of shape {shape_str(prob)}")
    index = checks.class_index(who, "label", label, classes, (n,))
    top = np.argmax(prob, axis=1)
    confidence = prob[np.arange(n), top].astype(np.float64)
    return confidence, (top == index).astype(np.float64), dtype


def _binning(who, confidence, bins, strategy):
    """``(edges, bin_of_each)``: scikit-learn's edges and assignment (see the module)."""
    bins = checks.scalar(who, "bins", bins, Interval(1, what="a number of bins"), integer=True)
    strategy = checks.choice(who, "strategy", strategy, ("uniform", "quantile"))
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, bins + 1)
    else:
        # (the percentiles exactly as scikit-learn asks for them: an edge that lands on a
        # prediction decides its bin, so even the last bit of the percentile matters)
        edges = np.percentile(confidence, np.linspace(0.0, 1.0, bins + 1) * 100)
    return edges, np.searchsorted(edges[1:-1], confidence)


def _per_bin(who, prob, label, bins, strategy):
    confidence, outcome, dtype = _forecasts(who, prob, label)
    edges, which = _binning(who, confidence, bins, strategy)
    count = np.bincount(which, minlength=len(edges) - 1)
    sums = np.bincount(which, weights=confidence, minlength=len(edges) - 1)
    hits = np.bincount(which, weights=outcome, minlength=len(edges) - 1)
    return confidence, outcome, dtype, edges, which, count, sums, hits


# ------------------------------------------------------------------------ measures
def reliability_curve(prob, label, bins=10, strategy="uniform"):
    r"""The mean prediction and the observed frequency in each bin of the predictions.

    For the predictions :math:`q_i` and outcomes :math:`o_i \in \{0, 1\}` in bin
    :math:`B_k`, the point of the curve is
    :math:`\bigl(\tfrac{1}{|B_k|}\sum_{i \in B_k} q_i,\ \tfrac{1}{|B_k|}\sum_{i \in B_k} o_i\bigr)`;
    a calibrated forecaster's points lie on the diagonal, up to sampling noise.

    Parameters
    ----------
    prob : ``(n,)`` probabilities of the positive class, or ``(n, classes)`` distributions
        (the top label is used; see the module).
    label : ``(n,)``: 0 or 1, or class indices.
    bins : int >= 1, default 10
    strategy : ``"uniform"`` (equal width on [0, 1]) or ``"quantile"`` (equal mass)

    Returns
    -------
    :class:`Reliability` ``(predicted, observed, count, edges)``; the first three have one
    entry per non-empty bin. ``predicted`` and ``observed`` are scikit-learn's
    ``calibration_curve`` outputs ``prob_pred`` and ``prob_true``.

    >>> curve = reliability_curve([0.1, 0.2, 0.8, 0.9], [0, 1, 1, 1], bins=2)
    >>> curve.predicted, curve.observed, curve.count
    (array([0.15, 0.85]), array([0.5, 1. ]), array([2, 2]))
    """
    _, _, dtype, edges, _, count, sums, hits = _per_bin("reliability_curve", prob, label, bins,
                                                        strategy)
    full = count > 0
    predicted, observed = sums[full] / count[full], hits[full] / count[full]
    return Reliability(predicted.astype(dtype), observed.astype(dtype), count[full],
                       edges.astype(dtype))


def _gaps(who, prob, label, bins, strategy):
    _, _, _, _, _, count, sums, hits = _per_bin(who, prob, label, bins, strategy)
    full = count > 0
    return np.abs(hits[full] - sums[full]) / count[full], count[full]


def expected_calibration_error(prob, label, bins=10, strategy="uniform"):
    r"""The expected calibration error: the mean gap between the reliability curve and the
    diagonal, each bin weighted by its share of the predictions.

    .. math::

        \mathrm{ECE} = \sum_k \frac{|B_k|}{n}\,\bigl|\,\bar o_k - \bar q_k\,\bigr|

    Parameters and bins as :func:`reliability_curve`.

    Returns
    -------
    float in [0, 1].

    Notes
    -----
    The number depends on the bins, and it is biased upwards: even a calibrated forecaster
    has a positive ECE on a finite sample, since every bin's frequency is noisy and the
    gap is an absolute value (about :math:`\sqrt{2 \bar q (1 - \bar q) / (\pi |B_k|)}` per
    bin). Compare ECEs only at equal bins and similar sample sizes (Naeini et al. 2015;
    Guo et al. 2017).

    >>> round(expected_calibration_error([0.1, 0.2, 0.8, 0.9], [0, 1, 1, 1], bins=2), 12)
    0.25
    """
    gaps, count = _gaps("expected_calibration_error", prob, label, bins, strategy)
    return float(np.sum(gaps * count) / np.sum(count))


def maximum_calibration_error(prob, label, bins=10, strategy="uniform"):
    r"""The largest gap between the reliability curve and the diagonal over the non-empty
    bins: :math:`\max_k |\bar o_k - \bar q_k|`. A bin of one prediction counts as much as a
    full one, so it is noisier still than :func:`expected_calibration_error`.

    >>> round(maximum_calibration_error([0.1, 0.2, 0.8, 0.9], [0, 1, 1, 1], bins=2), 12)
    0.35
    """
    gaps, _ = _gaps("maximum_calibration_error", prob, label, bins, strategy)
    return float(np.max(gaps))


def brier_decomposition(prob, label, bins=10, strategy="uniform"):
    r"""The Brier score of binary forecasts, split into reliability, resolution and uncertainty.

    With :math:`n_k` forecasts in bin :math:`k`, their mean :math:`\bar q_k`, the
    frequency of positives there :math:`\bar o_k` and overall :math:`\bar o`:

    .. math::

        \underbrace{\frac1n \sum_i (q_i - o_i)^2}_{\text{Brier}}
        = \underbrace{\frac1n \sum_k n_k (\bar q_k - \bar o_k)^2}_{\text{reliability}}
        - \underbrace{\frac1n \sum_k n_k (\bar o_k - \bar o)^2}_{\text{resolution}}
        + \underbrace{\bar o (1 - \bar o)}_{\text{uncertainty}}
        + \mathrm{WBV} - 2\,\mathrm{WBC},

    where :math:`\mathrm{WBV} = \frac1n \sum_i (q_i - \bar q_{k(i)})^2` and
    :math:`\mathrm{WBC} = \frac1n \sum_i (q_i - \bar q_{k(i)})(o_i - \bar o_{k(i)})` are the
    variance of the forecasts within their bins and its covariance with the outcomes
    (Stephenson et al. 2008). Both vanish when the forecasts take one value per bin, which
    leaves Murphy's (1973) three terms. Reliability is the calibration error (smaller is
    better), resolution how far the bins' frequencies spread from the base rate (larger is
    better), uncertainty the Brier score of always forecasting the base rate.

    Parameters
    ----------
    prob : ``(n,)`` probabilities of the positive class.
    label : ``(n,)``, 0 or 1.
    bins, strategy
        As for :func:`reliability_curve`.

    Returns
    -------
    :class:`BrierDecomposition` of Python floats.

    >>> parts = brier_decomposition([0.2, 0.2, 0.7, 0.7], [0, 1, 1, 1], bins=2)
    >>> [round(v, 4) for v in parts]
    [0.215, 0.09, 0.0625, 0.1875, 0.0, 0.0]
    """
    who = "brier_decomposition"
    if not isinstance(prob, (str, bytes)) and np.ndim(prob) == 2:
        raise ValueError(f"{who}: prob must be 1-D, the positive class's probability; got shape "
                         f"{shape_str(prob)}")
    confidence, outcome, _, _, which, count, sums, hits = _per_bin(who, prob, label, bins,
                                                                   strategy)
    n = confidence.size
    full = count > 0
    mean_q = np.where(full, sums / np.maximum(count, 1), 0.0)
    mean_o = np.where(full, hits / np.maximum(count, 1), 0.0)
    base = float(np.mean(outcome))
    spread_q, spread_o = confidence - mean_q[which], outcome - mean_o[which]
    return BrierDecomposition(
        brier=float(np.mean(np.square(confidence - outcome))),
        reliability=float(np.sum(count * np.square(mean_q - mean_o)) / n),
        resolution=float(np.sum(count[full] * np.square(mean_o[full] - base)) / n),
        uncertainty=base * (1 - base),
        within_bin_variance=float(np.mean(np.square(spread_q))),
        within_bin_covariance=float(np.mean(spread_q * spread_o)))


# ------------------------------------------------------------ temperature scaling
class _ScaledNLL:
    r"""The negative log-likelihood of ``beta * logits`` as a function of :math:`\beta = 1/T`
    and its first two derivatives, from lossbook's gradient and curvature.

    Binary (1-D logits :math:`x_i`): :math:`f'(\beta) = \sum_i g_i x_i` and
    :math:`f''(\beta) = \sum_i h_i x_i^2`, with :math:`g, h` the gradient and the Hessian's
    diagonal of the cross-entropy at :math:`\beta x`. Multiclass (rows :math:`x_i`):
    :math:`f'(\beta) = \sum_{ij} g_{ij} x_{ij}` and, since the Hessian of a row is
    :math:`\operatorname{diag} p - p p^\top`, :math:`f''(\beta) = \sum_i \operatorname{Var}_{p_i}(x_i)`,
    with :math:`p_i` read off the gradient (:math:`g = p - \text{one-hot}`).
    """

    def __init__(self, logits, label):
        self.logits, self.label = logits, label
        self.binary = logits.ndim == 1
        self.loss = SigmoidBinaryCrossEntropyLoss() if self.binary else SoftmaxCrossEntropyLoss()
        self.rows = np.arange(logits.shape[0])

    def value(self, beta):
        return float(np.sum(self.loss(beta * self.logits, self.label)))

    def slope_at_infinity(self):
        """The limit of f'(beta) as beta grows: >= 0, and 0 exactly when the logits
        separate the labels (every label's logit is its row's largest, or has its sign),
        so that the NLL falls for ever."""
        x = self.logits
        if self.binary:
            return float(np.sum(x * ((x > 0) - self.label)))
        return float(np.sum(np.max(x, axis=1) - x[self.rows, self.label]))

    def derivatives(self, beta):
        """``(f'(beta), f''(beta))``."""
        x = self.logits
        if self.binary:
            _, grad, curvature = self.loss.value_grad_hess_diag(beta * x, self.label)
            return float(np.sum(grad * x)), float(np.sum(curvature * x * x))
        grad = self.loss.grad(beta * x, self.label)
        prob = grad.copy()
        prob[self.rows, self.label] += 1                    # g = p - one-hot, by index
        mean = np.sum(prob * x, axis=1)
        return float(np.sum(grad * x)), float(np.sum(np.sum(prob * x * x, axis=1) - mean ** 2))


def _temperature_inputs(who, logits, label):
    if logits is None or isinstance(logits, (str, bytes)):
        raise TypeError(f"{who}: logits must be an array of real numbers, got {logits!r}")
    logits = checks.float_array(who, "logits", logits)
    if logits.ndim not in (1, 2) or logits.shape[0] == 0:
        raise ValueError(f"{who}: logits must have shape (n,) (binary) or (n, classes), with "
                         f"n >= 1; got shape {shape_str(logits)}")
    if not np.all(np.isfinite(logits)):
        raise ValueError(f"{who}: logits must be finite; got a non-finite value in an array of "
                         f"shape {shape_str(logits)}")
    n = logits.shape[0]
    if logits.ndim == 1:
        label = _binary_labels(who, label, logits, "logits")
    else:
        label = checks.class_index(who, "label", label, logits.shape[1], (n,))
    return logits.astype(np.float64), label


def temperature_scale(logits, label, method="newton", max_steps=None, tol=1e-10):
    r"""The temperature :math:`T > 0` that minimises the negative log-likelihood of
    ``logits / T`` on held-out data (Guo et al. 2017).

    .. math::

        T^\star = \arg\min_{T > 0}\ \sum_i \ell\bigl(x_i / T,\ y_i\bigr)

    with :math:`\ell` the binary cross-entropy (1-D logits) or the softmax cross-entropy
    (2-D). The search runs over :math:`\beta = 1/T`, in which the objective is convex (a
    log-sum-exp of :math:`\beta x` minus a linear term), using the analytic gradient and
    curvature of :class:`~lossbook.SigmoidBCELoss` / :class:`~lossbook.SoftmaxCELoss`.
    Dividing every logit by one positive number keeps their order, so the predicted
    classes, and the accuracy, do not change; only the confidence does.

    Parameters
    ----------
    logits : ``(n,)`` logits of the positive class, or ``(n, classes)`` scores; finite.
    label : ``(n,)``: 0 or 1 (binary), or class indices.
    method : ``"newton"`` (default) or ``"gradient"``
        Newton steps on :math:`\beta`, kept inside a bracket of the minimum (a step that
        would leave it bisects instead); or gradient descent on the mean negative
        log-likelihood with a backtracking (Armijo) line search.
    max_steps : int >= 1 or None
        None: 100 for Newton, 10000 for gradient steps.
    tol : float > 0, default 1e-10
        Stop when the derivative of the mean negative log-likelihood with respect to
        :math:`\beta` is at most ``tol`` in size.

    Returns
    -------
    float
        :math:`T^\star`: above 1 for an overconfident model, below 1 for an
        underconfident one.

    Raises
    ------
    ValueError
        When no finite positive temperature is best: the logits separate the labels
        perfectly (:math:`T \to 0`), or rank them no better than a constant
        (:math:`T \to \infty`).
    RuntimeError
        When ``max_steps`` is reached first.

    Examples
    --------
    At the logit 2 one label in two is positive, at -2 none; the best single temperature
    gives :math:`\sigma(2/T) = 3/4`, :math:`T = 2 / \ln 3`:

    >>> T = temperature_scale([2.0, -2.0, 2.0, -2.0], [1, 0, 0, 0])
    >>> round(T, 9), round(2 / math.log(3), 9)
    (1.820478453, 1.820478453)
    """
    who = "temperature_scale"
    logits, label = _temperature_inputs(who, logits, label)
    method = checks.choice(who, "method", method, ("newton", "gradient"))
    if max_steps is None:
        max_steps = 100 if method == "newton" else 10000
    max_steps = checks.scalar(who, "max_steps", max_steps, Interval(1), integer=True)
    tol = checks.scalar(who, "tol", tol, checks.POSITIVE)
    nll = _ScaledNLL(logits, label)
    n = logits.shape[0]
    slope_at_zero, _ = nll.derivatives(0.0)
    if slope_at_zero >= 0:
        raise ValueError(f"{who}: the logits rank the labels no better than a constant; the "
                         f"negative log-likelihood keeps falling as T grows, so no finite "
                         f"temperature is best")
    if nll.slope_at_infinity() <= 0:
        raise _separable(who)
    if method == "newton":
        beta = _newton(nll, n, max_steps, tol, who)
    else:
        beta = _gradient_steps(nll, n, max_steps, tol, who)
    return 1.0 / beta


def _separable(who):
    return ValueError(f"{who}: the logits separate the labels; the negative log-likelihood "
                      f"keeps falling as T goes to 0, so no positive temperature is best")


def _newton(nll, n, max_steps, tol, who):
    """Safeguarded Newton on beta: the bracket [low, high] always holds the minimum."""
    low, high = 0.0, 1.0
    while nll.derivatives(high)[0] < 0:                # f' increases: find where it turns
        low, high = high, 2 * high
        if high > 2.0 ** 60:
            raise _separable(who)
    beta = 1.0
    for _ in range(max_steps):
        slope, curvature = nll.derivatives(beta)
        if abs(slope) / n <= tol:
            return beta
        if slope < 0:
            low = beta
        else:
            high = beta
        step = beta - slope / curvature if curvature > 0 else -1.0
        beta = step if low < step < high else 0.5 * (low + high)
        if high - low <= 1e-15 * high:                  # the bracket is one number wide
            return beta
    raise RuntimeError(f"{who}: Newton's method did not converge in max_steps={max_steps} steps")


def _gradient_steps(nll, n, max_steps, tol, who):
    """Gradient descent on the mean NLL in beta. The step length backtracks until the
    slope shrinks (f' increases, so a step short of the minimum, or not too far past it,
    does that); a comparison of the slopes, unlike one of the values, still works where
    the NLL changes by less than its rounding near the minimum."""
    beta, rate = 1.0, 1.0
    slope = nll.derivatives(beta)[0] / n
    for _ in range(max_steps):
        if abs(slope) <= tol:
            return beta
        rate *= 2.0                                     # try a longer step first
        while True:
            trial = beta - rate * slope
            if trial > 0:
                trial_slope = nll.derivatives(trial)[0] / n
                if abs(trial_slope) < abs(slope):
                    break
            rate *= 0.5
            if rate * abs(slope) < 1e-16 * beta:        # no representable step helps
                return beta
        beta, slope = trial, trial_slope
    raise RuntimeError(f"{who}: gradient steps did not converge in max_steps={max_steps} steps "
                       f"(tol={tol!r}); raise max_steps or use method='newton'")
