r"""Regression losses: a real-valued prediction against a real-valued label.

Each loss is written as its per-element value :math:`\ell(p, y)` next to its derivative
:math:`\partial\ell/\partial p`, in ``value_and_derivative``; the base class
(:class:`~lossbook.Loss`) applies ``sample_weight``, ``weight`` and the mean over the
non-batch axes. Shapes, for every loss here: ``pred`` of any shape with a batch axis;
``label`` with the same number of elements (reshaped to ``pred``'s shape, as Gluon's
``reshape_like``); ``sample_weight`` broadcastable to ``pred``'s shape, e.g.
``(batch, 1)``, or ``(batch,)``; the result has shape ``(batch,)`` and ``pred``'s dtype.
"""
import math

import numpy as np

from . import checks
from .base import ElementwiseLoss, Hyperparameter, Loss, boolean, real
from .checks import SAMPLE_WEIGHT, Interval, Like, Option, Pred
from .registry import Param, Record, elementwise_plot_inputs, register

__all__ = ["L2Loss", "L1Loss", "HuberLoss", "PoissonNLLLoss", "LogCoshLoss", "QuantileLoss",
           "GaussianNLLLoss"]


class L2Loss(ElementwiseLoss):
    r"""Half the squared error, averaged over the non-batch axes.

    .. math::

        \ell(p, y) = \tfrac{1}{2}(p - y)^2, \qquad \frac{\partial \ell}{\partial p} = p - y,
        \qquad \frac{\partial^2 \ell}{\partial p^2} = 1

    Parameters
    ----------
    weight : float, default 1.0
    batch_axis : int, default 0
        As for every loss (:class:`~lossbook.Loss`).

    Notes
    -----
    The factor :math:`\tfrac12` is part of the loss, as in Gluon (where it hides in the
    weight: ``weight / 2``), so ``L2Loss`` is half the mean squared error of PyTorch's
    ``MSELoss`` and its gradient is the plain residual.

    >>> L2Loss()(np.ones(2), np.full(2, 2.0))
    array([0.5, 0.5])
    >>> L2Loss()(np.ones(2), np.full(2, 2.0), np.array([1.0, 2.0]))
    array([0.5, 1. ])
    """

    def __init__(self, weight=1.0, batch_axis=0):
        super().__init__(weight, batch_axis)

    def value_and_derivative(self, pred, label, order=1):
        diff = pred - label
        value = np.square(diff) * 0.5
        if order == 1:
            return value, diff
        return value, diff, np.ones_like(diff)


register(Record(
    L2Loss, "regression", zero_at_target=True,
    plot_inputs=elementwise_plot_inputs, summary="half squared error: the mean"))


class L1Loss(ElementwiseLoss):
    r"""Absolute error, averaged over the non-batch axes.

    .. math::

        \ell(p, y) = |p - y|, \qquad \frac{\partial \ell}{\partial p} = \operatorname{sign}(p - y),
        \qquad \frac{\partial^2 \ell}{\partial p^2} = 0

    with the subgradient :math:`\operatorname{sign}(0) = 0` at the kink, and curvature 0
    there too.

    Parameters
    ----------
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Notes
    -----
    Gluon's docstring writes a sum; its code takes the mean over the non-batch axes, and
    so does lossbook.

    >>> L1Loss()(np.array([[1.0, 2.5, 4.0, 0.5]]), np.array([[2.0, 2.5, 2.0, 1.0]]))
    array([0.875])
    """

    def __init__(self, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)

    def value_and_derivative(self, pred, label, order=1):
        diff = pred - label
        if order == 1:
            return np.abs(diff), np.sign(diff)
        return np.abs(diff), np.sign(diff), np.zeros_like(diff)


register(Record(
    L1Loss, "regression", zero_at_target=True,
    plot_inputs=elementwise_plot_inputs, summary="absolute error: the median"))


class HuberLoss(ElementwiseLoss):
    r"""Quadratic near zero, linear beyond ``rho``: Gluon's smoothed L1.

    With :math:`d = p - y` and :math:`c = \operatorname{clip}(d, -\rho, \rho)`,

    .. math::

        \ell(p, y) = \frac{c}{\rho}\Bigl(d - \frac{c}{2}\Bigr)
            = \begin{cases} \dfrac{d^2}{2\rho} & |d| \le \rho \\[4pt]
                            |d| - \dfrac{\rho}{2} & |d| > \rho \end{cases},
        \qquad
        \frac{\partial \ell}{\partial p} = \frac{c}{\rho}, \qquad
        \frac{\partial^2 \ell}{\partial p^2} = \frac{[\,|d| < \rho\,]}{\rho}.

    The loss and its slope are continuous at :math:`|d| = \rho`, and the slope never
    exceeds 1. The curvature jumps there from :math:`1/\rho` to 0 (0 at the kink itself).

    Parameters
    ----------
    rho : float > 0, default 1
        Where the quadratic piece meets the linear one.
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Notes
    -----
    This is Gluon's scaling: the quadratic piece is divided by :math:`\rho`, so the loss
    equals PyTorch's ``SmoothL1Loss(beta=rho)``; PyTorch's ``HuberLoss(delta)`` is
    :math:`\rho` times it (Huber 1964). The slope :math:`c / \rho` is computed first, so a
    ``rho`` as small as ``1e-40`` in float32 gives slopes of :math:`\pm 1`, not infinities.

    References
    ----------
    P. J. Huber, "Robust Estimation of a Location Parameter", Ann. Math. Statist. 35(1), 1964.

    >>> HuberLoss(rho=1.0)(np.array([[0.5, 3.0]]), np.zeros((1, 2)))
    array([1.3125])
    """

    rho = Hyperparameter(real(checks.POSITIVE), "Where the quadratic piece meets the linear one.")

    def __init__(self, rho=1, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.rho = rho

    def value_and_derivative(self, pred, label, order=1):
        diff = pred - label
        clipped = np.clip(diff, -self.rho, self.rho)
        slope = clipped if self.rho == 1 else clipped / self.rho      # (c / 1 is c)
        value = slope * (diff - clipped * 0.5)
        if order == 1:
            return value, slope
        return value, slope, (np.abs(diff) < self.rho) / pred.dtype.type(self.rho)


register(Record(
    HuberLoss, "regression", zero_at_target=True,
    params=(Param("rho", 1.0, 0.1, 3.0, doc="threshold between quadratic and linear"),),
    configs=({"rho": 0.5}, {"rho": 2.0}),
    plot_inputs=elementwise_plot_inputs,
    summary="quadratic then linear: a winsorized mean"))


class PoissonNLLLoss(Loss):
    r"""Negative log-likelihood of a count ``target`` under a Poisson distribution.

    With ``from_logits=True`` (the default) ``pred`` is the log-rate :math:`x`; with
    ``from_logits=False`` it is the rate :math:`\lambda \ge 0` itself:

    .. math::

        \ell = e^{x} - t\,x, \qquad \frac{\partial \ell}{\partial x} = e^{x} - t, \qquad
        \frac{\partial^2 \ell}{\partial x^2} = e^{x};

    .. math::

        \ell = \lambda - t \log(\lambda + \epsilon), \qquad
        \frac{\partial \ell}{\partial \lambda} = 1 - \frac{t}{\lambda + \epsilon}, \qquad
        \frac{\partial^2 \ell}{\partial \lambda^2} = \frac{t}{(\lambda + \epsilon)^2}.

    Both drop :math:`\log t!`, which does not depend on the prediction. With
    ``compute_full=True`` Stirling's approximation of it,
    :math:`t\log t - t + \tfrac12\log(2\pi t)`, is added where :math:`t > 1` (it adds
    nothing to the gradient).

    Parameters
    ----------
    weight
        As for every loss (:class:`~lossbook.Loss`).
    from_logits : bool, default True
    batch_axis
        As for every loss.
    compute_full : bool, default False

    Inputs
    ------
    pred, target : ``target`` holds counts, :math:`\ge 0`; shapes as for every regression loss.
    sample_weight : broadcastable to ``pred``'s shape, or ``(batch,)``.
    epsilon : float >= 0, default ``1e-08`` (a call argument, as in Gluon).

    Notes
    -----
    Departures from MXNet 1.9.1, deliberate: the result is one value per sample, shape
    ``(batch,)`` (MXNet returns the mean over everything, one scalar), and the Stirling
    term is computed only where :math:`t > 1`, so a target of 0 gives no NaN (MXNet
    multiplies :math:`0 \log 0` by zero and gets NaN).

    >>> PoissonNLLLoss()(np.zeros((1, 2)), np.array([[1.0, 2.0]]))
    array([1.])
    """

    inputs = (Pred("pred", domain="pred_domain"),
              Like("target", domain=Interval(0, what="a Poisson count")), SAMPLE_WEIGHT,
              Option("epsilon", 1e-08, checks.NONNEGATIVE))
    blocked = True
    from_logits = Hyperparameter(boolean, "pred holds log-rates (True) or rates (False).")
    compute_full = Hyperparameter(boolean, "Add Stirling's approximation of log t!.")

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False):
        super().__init__(weight, batch_axis)
        self.from_logits = from_logits
        self.compute_full = compute_full

    @property
    def pred_domain(self):
        return None if self.from_logits else Interval(
            0, what="a Poisson rate, since from_logits=False")

    def value_and_derivative(self, pred, target, epsilon, order=1):
        if self.from_logits:
            rate = np.exp(pred)
            loss, derivative = rate - target * pred, rate - target
            curvature = rate if order == 2 else None
        else:
            shifted = pred + epsilon
            ratio = target / shifted
            loss, derivative = pred - target * np.log(shifted), 1 - ratio
            curvature = ratio / shifted if order == 2 else None
        if self.compute_full:
            # Stirling's log t! only where t > 1; elsewhere 0 (no 0 * log 0).
            big = target > 1
            safe = np.where(big, target, 1)
            stirling = safe * np.log(safe) - safe + 0.5 * np.log(2 * math.pi * safe)
            loss = loss + np.where(big, stirling, 0).astype(pred.dtype, copy=False)
        if order == 1:
            return loss, derivative
        return loss, derivative, curvature


def _poisson_plot_inputs(x, label, config):
    pred = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    return (pred, np.full_like(pred, label)), {}, lambda grad: grad[:, 0]


register(Record(
    PoissonNLLLoss, "regression", nonnegative=False,
    params=(Param("from_logits", True, choices=(True, False)),
            Param("compute_full", False, choices=(False, True))),
    configs=({"from_logits": False}, {"compute_full": True}),
    plot_domain=(-2.0, 3.0), plot_labels=(0.0, 1.0, 3.0),
    plot_inputs=_poisson_plot_inputs, x_label="log-rate (from_logits=True)",
    summary="counts: Poisson negative log-likelihood"))


class LogCoshLoss(ElementwiseLoss):
    r"""Logarithm of the hyperbolic cosine of the error: L2 near zero, L1 far away.

    .. math::

        \ell(p, y) = \log\cosh(p - y), \qquad \frac{\partial \ell}{\partial p} = \tanh(p - y),
        \qquad \frac{\partial^2 \ell}{\partial p^2} = \operatorname{sech}^2(p - y)

    For a small error :math:`d = p - y` it is :math:`d^2/2 - d^4/12 + \dots` (like
    :class:`L2Loss`); for a large one :math:`|d| - \log 2` (like :class:`L1Loss` shifted), and
    the slope :math:`\tanh d` never leaves :math:`(-1, 1)`.

    Parameters
    ----------
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Notes
    -----
    Computed without overflow as :math:`|d| + \mathrm{softplus}(-2|d|) - \log 2` (the
    exponent is never positive). Where :math:`|d| < 1` that form cancels (it subtracts two
    numbers near :math:`\log 2`), so there lossbook uses the exact
    :math:`\log\cosh d = \operatorname{log1p}(2\sinh^2(d/2))`, accurate to the last digits
    even for :math:`d = 10^{-8}`. The curvature is
    :math:`\operatorname{sech}^2 d = 4e^{-2|d|} / (1 + e^{-2|d|})^2`, with the same
    exponential. Gluon has no log-cosh loss; this one follows its API.

    >>> np.round(LogCoshLoss()(np.array([[1.0]]), np.zeros((1, 1))), 6)  # log(cosh 1) = log 1.5430806
    array([0.433781])
    """

    def __init__(self, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)

    def value_and_derivative(self, pred, label, order=1):
        diff = pred - label
        size = np.abs(diff)
        decay = np.exp(-2 * size)                        # in (0, 1]: never overflows
        far = size + np.log1p(decay) - math.log(2)
        half_sinh = np.sinh(0.5 * np.minimum(size, 1))   # clipped: no overflow on the unused branch
        near = np.log1p(2 * np.square(half_sinh))
        value = np.where(size < 1, near, far)
        if order == 1:
            return value, np.tanh(diff)
        return value, np.tanh(diff), 4 * decay / np.square(1 + decay)


register(Record(
    LogCoshLoss, "regression", zero_at_target=True,
    plot_inputs=elementwise_plot_inputs, summary="log cosh: quadratic near 0, linear far away"))


class QuantileLoss(ElementwiseLoss):
    r"""The pinball loss, whose minimiser is the ``quantile``-th quantile of the label.

    With the residual :math:`r = y - p` (label minus prediction) and quantile :math:`q`,

    .. math::

        \ell(p, y) = \max(q\,r,\ (q - 1)\,r), \qquad
        \frac{\partial \ell}{\partial p} = \begin{cases} -q & y > p \\ 1 - q & y < p \\
                                                       0 & y = p \end{cases}

    Under-prediction costs :math:`q` per unit, over-prediction :math:`1 - q`. The loss is
    piecewise linear: its curvature is 0 everywhere (the kink included).
    ``QuantileLoss(0.5)`` is half of :class:`L1Loss`; its minimiser is the median. The
    subgradient at :math:`y = p` is 0.

    Parameters
    ----------
    quantile : float in (0, 1), default 0.5
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    References
    ----------
    R. Koenker, G. Bassett, "Regression Quantiles", Econometrica 46(1), 1978.

    >>> QuantileLoss(quantile=0.9)(np.array([[0.0, 0.0]]), np.array([[1.0, -1.0]]))
    array([0.5])
    """

    quantile = Hyperparameter(real(Interval(0, 1, low_open=True, high_open=True)),
                              "Which quantile of the label the loss targets.")

    def __init__(self, quantile=0.5, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.quantile = quantile

    def value_and_derivative(self, pred, label, order=1):
        q = self.quantile
        residual = label - pred
        loss = np.maximum(q * residual, (q - 1) * residual)
        derivative = np.where(residual > 0, -q, np.where(residual < 0, 1 - q, 0))
        derivative = derivative.astype(pred.dtype, copy=False)
        if order == 1:
            return loss, derivative
        return loss, derivative, np.zeros_like(pred)


register(Record(
    QuantileLoss, "regression", zero_at_target=True,
    params=(Param("quantile", 0.5, 0.05, 0.95, doc="which quantile the loss targets"),),
    configs=({"quantile": 0.1}, {"quantile": 0.9}),
    plot_inputs=elementwise_plot_inputs, summary="pinball: a quantile of the label"))


class GaussianNLLLoss(Loss):
    r"""Negative log-likelihood of ``label`` under a normal with mean ``pred`` and variance ``var``.

    With :math:`v = \max(\mathrm{var}, \epsilon)`,

    .. math::

        \ell(p, y, \mathrm{var}) = \frac12\Bigl(\log v + \frac{(y - p)^2}{v}\Bigr)
            \;\bigl(+ \tfrac12 \log 2\pi \text{ when } \texttt{full}\bigr),

    .. math::

        \frac{\partial \ell}{\partial p} = \frac{p - y}{v}, \qquad
        \frac{\partial \ell}{\partial \mathrm{var}} = \begin{cases}
            \dfrac12\Bigl(\dfrac1v - \dfrac{(y - p)^2}{v^2}\Bigr) & \mathrm{var} \ge \epsilon \\
            0 & \mathrm{var} < \epsilon \end{cases}

    .. math::

        \frac{\partial^2 \ell}{\partial p^2} = \frac1v, \qquad
        \frac{\partial^2 \ell}{\partial \mathrm{var}^2} = \begin{cases}
            \dfrac{1}{v^2}\Bigl(\dfrac{(y - p)^2}{v} - \dfrac12\Bigr) & \mathrm{var} \ge \epsilon \\
            0 & \mathrm{var} < \epsilon \end{cases}

    With ``var = 1`` it is :class:`L2Loss` (no constant when ``full=False``): the
    variance learns how far off the mean is (Nix & Weigend 1994).

    Parameters
    ----------
    full : bool, default False
        Add the constant :math:`\tfrac12\log 2\pi`.
    eps : float > 0, default 1e-6
        Floor on the variance.
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Inputs
    ------
    pred, label, var : ``label`` and ``var`` with ``pred``'s number of elements, reshaped
        to its shape (PyTorch also broadcasts a ``var`` with one value per sample, lossbook
        does not); ``var`` >= 0. The order is PyTorch's ``(input, target, var)``.
    sample_weight : broadcastable to ``pred``'s shape, or ``(batch,)``.

    Returns
    -------
    Shape ``(batch,)``; ``grad`` returns ``(d_pred, d_var)``, ``hess_diag`` the two
    diagonals in the same order.

    Notes
    -----
    PyTorch's ``GaussianNLLLoss`` clamps ``var`` inside ``no_grad``, so its autograd gives
    the formula above even where ``var < eps``; lossbook returns the derivative of the
    clamped function, 0. PyTorch's default reduction is the mean over everything; here it is
    the per-sample mean over the non-batch axes, as for every loss.

    References
    ----------
    D. A. Nix, A. S. Weigend, "Estimating the mean and variance of the target probability
    distribution", ICNN 1994.

    >>> GaussianNLLLoss()(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]))
    array([0.25])
    """

    inputs = (Pred("pred"), Like("label"), Like("var", Interval(0, what="a variance"), grad=True),
              SAMPLE_WEIGHT)
    blocked = True
    full = Hyperparameter(boolean, "Add the constant log(2 pi) / 2.")
    eps = Hyperparameter(real(checks.POSITIVE), "Floor on the variance.")

    def __init__(self, full=False, eps=1e-6, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.full = full
        self.eps = eps

    def value_and_derivative(self, pred, label, var, order=1):
        var_used = np.maximum(var, self.eps)
        diff = pred - label
        scaled = diff / var_used
        loss = 0.5 * (np.log(var_used) + scaled * diff)
        if self.full:
            loss += 0.5 * math.log(2 * math.pi)
        d_var = 0.5 * (1 - scaled * diff) / var_used
        floored = var < self.eps
        d_var[floored] = 0                        # the floor is flat
        if order == 1:
            return loss, (scaled, d_var)
        dd_var = (scaled * diff - 0.5) / np.square(var_used)
        dd_var[floored] = 0
        return loss, (scaled, d_var), (1 / var_used, dd_var)


def _gaussian_plot_inputs(x, label, config):
    """pred along ``x`` against one label, with the variance fixed at 1."""
    pred = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    return ((pred, np.full_like(pred, label), np.ones_like(pred)), {},
            lambda grad: grad[0][:, 0])


register(Record(
    GaussianNLLLoss, "regression", nonnegative=False,
    params=(Param("full", False, choices=(False, True)),
            Param("eps", 1e-6, 1e-8, 1e-2, doc="floor on the variance")),
    configs=({"full": True},),
    plot_inputs=_gaussian_plot_inputs, x_label="pred (variance fixed at 1)",
    summary="Gaussian negative log-likelihood with a predicted variance"))
