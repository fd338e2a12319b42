r"""Regression losses: a real-valued prediction against a real-valued label.

Each loss is written as its per-element value :math:`\ell(p, y)` next to its
derivative :math:`\partial\ell/\partial p`; the base class applies ``sample_weight``,
``weight`` and the mean over the non-batch axes.
"""
import math

import numpy as np

from ._base import NO_WORK, ElementwiseLoss, Loss, elementwise_backward
from .registry import Param, Record, away_from, elementwise_plot_inputs, register

__all__ = ["L2Loss", "L1Loss", "HuberLoss", "PoissonNLLLoss", "LogCoshLoss", "QuantileLoss",
           "GaussianNLLLoss"]


def _regression_sample(kinks=()):
    """Inputs (pred, label) of shape (4, 3), pred kept ``gap`` away from label + kink."""
    def sample(rng, config, batch_axis, dtype):
        label = rng.normal(size=(4, 3))
        offsets = away_from(rng.normal(scale=1.5, size=(4, 3)),
                            [k(config) if callable(k) else k for k in kinks])
        return ((label + offsets).astype(dtype), label.astype(dtype)), {}
    return sample


class L2Loss(ElementwiseLoss):
    r"""Half the squared error, averaged over the non-batch axes.

    .. math::

        \ell(p, y) = \tfrac{1}{2}(p - y)^2, \qquad \frac{\partial \ell}{\partial p} = p - y

    The factor :math:`\tfrac12` is part of the loss, as in Gluon (where it hides in the
    weight: ``weight / 2``), so ``L2Loss`` is half the mean squared error of PyTorch's
    ``MSELoss`` and its gradient is the plain residual.

    Parameters
    ----------
    weight : float, default 1.0
        Global scalar weight.
    batch_axis : int, default 0
        The sample axis.

    Inputs: ``pred`` of any shape; ``label`` with the same number of elements (reshaped to
    ``pred``'s shape); ``sample_weight`` broadcastable to ``pred``'s shape, e.g. ``(batch, 1)``.

    Returns: shape ``(batch,)``, the dtype of ``pred``.

    >>> L2Loss()(np.ones(2), np.full(2, 2.0))
    array([0.5, 0.5])
    >>> L2Loss()(np.ones(2), np.full(2, 2.0), np.array([1.0, 2.0]))
    array([0.5, 1. ])
    """

    _blocked = False

    def __init__(self, weight=1.0, batch_axis=0):
        super().__init__(weight, batch_axis)

    def _kernel(self, pred, label, work=NO_WORK):
        diff = np.subtract(pred, label, out=work[0])
        loss = np.square(diff, out=work[1])
        loss *= 0.5
        return loss, diff


register(Record(
    L2Loss, "regression", _regression_sample(),
    plot_inputs=elementwise_plot_inputs, summary="half squared error: the mean"))


class L1Loss(ElementwiseLoss):
    r"""Absolute error, averaged over the non-batch axes.

    .. math::

        \ell(p, y) = |p - y|, \qquad \frac{\partial \ell}{\partial p} = \operatorname{sign}(p - y)

    with the subgradient :math:`\operatorname{sign}(0) = 0` at the kink.

    Inputs and outputs as :class:`L2Loss`. Gluon's docstring writes a sum; its code takes
    the mean over the non-batch axes, and so does lossbook.

    >>> L1Loss()(np.array([[1.0, 2.5, 4.0, 0.5]]), np.array([[2.0, 2.5, 2.0, 1.0]]))
    array([0.875])
    """

    _blocked = False

    def __init__(self, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)

    def _kernel(self, pred, label, work=NO_WORK):
        diff = np.subtract(pred, label, out=work[0])
        # not np.sign(diff, out=diff): numpy's in-place sign takes a slow branchy loop
        return np.abs(diff, out=work[1]), np.sign(diff, out=work[2])


register(Record(
    L1Loss, "regression", _regression_sample(kinks=(0.0,)),
    plot_inputs=elementwise_plot_inputs, summary="absolute error: the median"))


class HuberLoss(ElementwiseLoss):
    r"""Quadratic near zero, linear beyond ``rho``: Gluon's smoothed L1.

    .. math::

        \ell(p, y) = \begin{cases} \dfrac{(p - y)^2}{2\rho} & |p - y| \le \rho \\[4pt]
                                   |p - y| - \dfrac{\rho}{2} & |p - y| > \rho \end{cases}
        \qquad
        \frac{\partial \ell}{\partial p} = \begin{cases} (p - y)/\rho & |p - y| \le \rho \\
                                   \operatorname{sign}(p - y) & |p - y| > \rho \end{cases}

    This is Gluon's scaling: the quadratic piece is divided by :math:`\rho`, so the slope
    never exceeds 1 and the loss equals PyTorch's ``SmoothL1Loss(beta=rho)``; PyTorch's
    ``HuberLoss(delta)`` is :math:`\rho` times it (Huber 1964). The loss and its slope are
    continuous at :math:`|p - y| = \rho`.

    Parameters
    ----------
    rho : float > 0, default 1
        Where the quadratic piece meets the linear one.
    weight, batch_axis : as :class:`L2Loss` (``weight`` defaults to ``None``).

    >>> HuberLoss(rho=1.0)(np.array([[0.5, 3.0]]), np.zeros((1, 2)))
    array([1.3125])
    """

    def __init__(self, rho=1, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        if not (isinstance(rho, (int, float, np.floating)) and rho > 0):
            raise ValueError(f"HuberLoss: rho must be a positive number, got {rho!r}")
        self._rho = float(rho)

    def _params(self):
        return {"rho": self._rho, **super()._params()}

    def _kernel(self, pred, label, work=NO_WORK):
        # With c = clip(d, -rho, rho): c (d - c/2) / rho is d^2 / (2 rho) inside the band and
        # |d| - rho/2 outside it, and c / rho is the slope; no branch is needed.
        diff = np.subtract(pred, label, out=work[0])
        clipped = np.clip(diff, -self._rho, self._rho, out=work[1])
        inv_rho = 1 / self._rho
        loss = np.multiply(clipped, 0.5, out=work[2])
        np.subtract(diff, loss, out=loss)
        loss *= clipped
        if inv_rho != 1:                               # (x * 1.0 is x: skip two passes)
            loss *= inv_rho
            clipped *= inv_rho
        return loss, clipped


register(Record(
    HuberLoss, "regression",
    _regression_sample(kinks=(lambda c: c["rho"], lambda c: -c["rho"])),
    params=(Param("rho", 1.0, 0.1, 3.0, doc="threshold between quadratic and linear"),),
    configs=({"rho": 0.5}, {"rho": 2.0}),
    plot_inputs=elementwise_plot_inputs, summary="quadratic then linear: a trimmed mean"))


class PoissonNLLLoss(Loss):
    r"""Negative log-likelihood of a count ``target`` under a Poisson distribution.

    With ``from_logits=True`` (the default) ``pred`` is the log-rate :math:`x`:

    .. math::

        \ell = e^{x} - t\,x, \qquad \frac{\partial \ell}{\partial x} = e^{x} - t

    With ``from_logits=False`` ``pred`` is the rate :math:`\lambda \ge 0` itself:

    .. math::

        \ell = \lambda - t \log(\lambda + \epsilon), \qquad
        \frac{\partial \ell}{\partial \lambda} = 1 - \frac{t}{\lambda + \epsilon}

    Both drop :math:`\log t!`, which does not depend on the prediction. With
    ``compute_full=True`` Stirling's approximation of it,
    :math:`t\log t - t + \tfrac12\log(2\pi t)`, is added where :math:`t > 1` (it adds
    nothing to the gradient).

    Parameters
    ----------
    weight : float or None
    from_logits : bool, default True
    batch_axis : int, default 0
    compute_full : bool, default False

    Inputs: ``pred``; ``target`` (counts, :math:`\ge 0`) with the same number of elements;
    ``sample_weight``; ``epsilon`` (default ``1e-08``, a call argument as in Gluon).

    Departures from MXNet 1.9.1, deliberate: the result is one value per sample, shape
    ``(batch,)`` (MXNet returns the mean over everything, one scalar), and the Stirling
    term is computed only where :math:`t > 1`, so a target of 0 gives no NaN (MXNet
    multiplies :math:`0 \log 0` by zero and gets NaN).

    >>> PoissonNLLLoss()(np.zeros((1, 2)), np.array([[1.0, 2.0]]))
    array([1.])
    """

    _signature = ("pred", "target", "sample_weight", "epsilon")
    _defaults = {"epsilon": 1e-08}

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False):
        super().__init__(weight, batch_axis)
        self._from_logits = bool(from_logits)
        self._compute_full = bool(compute_full)

    def _params(self):
        return {"from_logits": self._from_logits, "compute_full": self._compute_full,
                **super()._params()}

    def _forward(self, pred, target, epsilon):
        pred = self._pred_input(pred)
        target = self._like(target, pred, "target")
        self._check_range(target, "target", low=0, what=" (a Poisson count)")
        if self._from_logits:
            rate = np.exp(pred)
            loss = rate - target * pred
            derivative = lambda: rate - target
        else:
            self._check_range(pred, "pred", low=0, what=" (a Poisson rate, since from_logits=False)")
            shifted = pred + epsilon
            loss = pred - target * np.log(shifted)
            derivative = lambda: 1 - target / shifted
        if self._compute_full:
            # Stirling's log t! only where t > 1; elsewhere 0 (no 0 * log 0).
            big = target > 1
            safe = np.where(big, target, 1)
            stirling = safe * np.log(safe) - safe + 0.5 * np.log(2 * math.pi * safe)
            loss = loss + np.where(big, stirling, 0).astype(pred.dtype, copy=False)
        return loss, elementwise_backward(derivative)


def _poisson_sample(rng, config, batch_axis, dtype):
    target = rng.poisson(3.0, size=(4, 3)).astype(np.float64)
    if config.get("from_logits", True):
        pred = rng.normal(scale=0.5, size=(4, 3)) + 1.0
    else:
        pred = rng.uniform(0.5, 5.0, size=(4, 3))
    return (pred.astype(dtype), target.astype(dtype)), {}


def _poisson_plot_inputs(x, label, config):
    pred = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    return (pred, np.full_like(pred, label)), {}, lambda grad: grad[:, 0]


register(Record(
    PoissonNLLLoss, "regression", _poisson_sample,
    params=(Param("from_logits", True, choices=(True, False)),
            Param("compute_full", False, choices=(False, True))),
    configs=({"from_logits": False}, {"compute_full": True}),
    plot_domain=(-2.0, 3.0), plot_labels=(0.0, 1.0, 3.0),
    plot_inputs=_poisson_plot_inputs, x_label="log-rate (from_logits=True)",
    summary="counts: Poisson negative log-likelihood"))


class LogCoshLoss(Loss):
    r"""Logarithm of the hyperbolic cosine of the error: L2 near zero, L1 far away.

    .. math::

        \ell(p, y) = \log\cosh(p - y), \qquad \frac{\partial \ell}{\partial p} = \tanh(p - y)

    For a small error :math:`d = p - y` it is :math:`d^2/2 - d^4/12 + \dots` (like
    :class:`L2Loss`); for a large one :math:`|d| - \log 2` (like :class:`L1Loss` shifted), and
    the slope :math:`\tanh d` never leaves :math:`(-1, 1)`.

    Computed without overflow as :math:`|d| + \mathrm{softplus}(-2|d|) - \log 2` (the
    exponent is never positive). Where :math:`|d| < 1` that form cancels (it subtracts two
    numbers near :math:`\log 2`), so there lossbook uses the exact
    :math:`\log\cosh d = \operatorname{log1p}(2\sinh^2(d/2))`, accurate to the last digits
    even for :math:`d = 10^{-8}`.

    Parameters
    ----------
    weight : float or None
    batch_axis : int, default 0

    Inputs and outputs as :class:`L2Loss`. Gluon has no log-cosh loss; this one follows its API.

    >>> np.round(LogCoshLoss()(np.array([[1.0]]), np.zeros((1, 1))), 6)  # log(cosh 1) = log 1.5430806
    array([0.433781])
    """

    def __init__(self, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)

    def _forward(self, pred, label):
        pred = self._pred_input(pred)
        diff = pred - self._like(label, pred, "label")
        size = np.abs(diff)
        far = size + np.log1p(np.exp(-2 * size)) - math.log(2)
        half_sinh = np.sinh(0.5 * np.minimum(size, 1))   # clipped: no overflow on the unused branch
        near = np.log1p(2 * np.square(half_sinh))
        loss = np.where(size < 1, near, far)
        return loss, elementwise_backward(lambda: np.tanh(diff))


register(Record(
    LogCoshLoss, "regression", _regression_sample(),
    plot_inputs=elementwise_plot_inputs, summary="log cosh: quadratic near 0, linear far away"))


class QuantileLoss(Loss):
    r"""The pinball loss, whose minimiser is the ``quantile``-th quantile of the label.

    With the residual :math:`r = y - p` (label minus prediction) and quantile :math:`q`,

    .. math::

        \ell(p, y) = \max(q\,r,\ (q - 1)\,r), \qquad
        \frac{\partial \ell}{\partial p} = \begin{cases} -q & y > p \\ 1 - q & y < p \\
                                                       0 & y = p \end{cases}

    Under-prediction costs :math:`q` per unit, over-prediction :math:`1 - q`
    (Koenker & Bassett 1978). ``QuantileLoss(0.5)`` is half of :class:`L1Loss`; its
    minimiser is the median. The subgradient at :math:`y = p` is 0.

    Parameters
    ----------
    quantile : float in (0, 1), default 0.5
    weight : float or None
    batch_axis : int, default 0

    Inputs and outputs as :class:`L2Loss`.

    References
    ----------
    R. Koenker, G. Bassett, "Regression Quantiles", Econometrica 46(1), 1978.

    >>> QuantileLoss(quantile=0.9)(np.array([[0.0, 0.0]]), np.array([[1.0, -1.0]]))
    array([0.5])
    """

    def __init__(self, quantile=0.5, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        if (isinstance(quantile, bool) or not isinstance(quantile, (int, float, np.floating))
                or not 0 < quantile < 1):
            raise ValueError(f"QuantileLoss: quantile must be a number in (0, 1), got {quantile!r}")
        self._quantile = float(quantile)

    def _params(self):
        return {"quantile": self._quantile, **super()._params()}

    def _forward(self, pred, label):
        pred = self._pred_input(pred)
        residual = self._like(label, pred, "label") - pred
        q = self._quantile
        loss = np.maximum(q * residual, (q - 1) * residual)
        # d/dp = -q where r > 0, 1 - q where r < 0, 0 at r = 0 (sign(0) = 0).
        return loss, elementwise_backward(
            lambda: np.where(residual > 0, -q, np.where(residual < 0, 1 - q, 0)).astype(
                pred.dtype, copy=False))


register(Record(
    QuantileLoss, "regression", _regression_sample(kinks=(0.0,)),
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

    With ``var = 1`` it is :class:`L2Loss` (no constant when ``full=False``): the
    variance learns how far off the mean is (Nix & Weigend 1994).

    Parameters
    ----------
    full : bool, default False
        Add the constant :math:`\tfrac12\log 2\pi`.
    eps : float > 0, default 1e-6
        Floor on the variance.
    weight : float or None
    batch_axis : int, default 0

    Inputs: ``pred`` of any shape; ``label`` and ``var`` with the same number of elements
    (reshaped to ``pred``'s shape; PyTorch also broadcasts a ``var`` with one value per
    sample, lossbook does not); ``var`` >= 0; ``sample_weight``. The call order is
    ``(pred, label, var, sample_weight)``, PyTorch's ``(input, target, var)`` order.

    Returns: shape ``(batch,)``, the dtype of ``pred``. ``grad`` returns ``(d_pred, d_var)``.

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

    _signature = ("pred", "label", "var", "sample_weight")
    _grad_args = ("pred", "var")

    def __init__(self, full=False, eps=1e-6, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) or not eps > 0:
            raise ValueError(f"GaussianNLLLoss: eps must be a positive number, got {eps!r}")
        self._full = bool(full)
        self._eps = float(eps)

    def _params(self):
        return {"full": self._full, "eps": self._eps, **super()._params()}

    def _forward(self, pred, label, var):
        pred = self._pred_input(pred)
        label = self._like(label, pred, "label")
        var = self._like(var, pred, "var")
        self._check_range(var, "var", low=0, what=" (a variance)")
        floored = var < self._eps
        var_used = np.maximum(var, self._eps)
        diff = pred - label
        scaled = diff / var_used
        loss = 0.5 * (np.log(var_used) + scaled * diff)
        if self._full:
            loss += 0.5 * math.log(2 * math.pi)

        def backward(g_el):
            d_var = 0.5 * (1 - scaled * diff) / var_used
            d_var[floored] = 0
            return scaled * g_el, d_var * g_el
        return loss, backward


def _gaussian_sample(rng, config, batch_axis, dtype):
    label = rng.normal(size=(4, 3))
    pred = label + rng.normal(size=(4, 3))
    var = rng.uniform(0.3, 3.0, size=(4, 3))
    return (pred.astype(dtype), label.astype(dtype), var.astype(dtype)), {}


def _gaussian_plot_inputs(x, label, config):
    """pred along ``x`` against one label, with the variance fixed at 1."""
    pred = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    return ((pred, np.full_like(pred, label), np.ones_like(pred)), {},
            lambda grad: grad[0][:, 0])


register(Record(
    GaussianNLLLoss, "regression", _gaussian_sample,
    params=(Param("full", False, choices=(False, True)),
            Param("eps", 1e-6, 1e-8, 1e-2, doc="floor on the variance")),
    configs=({"full": True},),
    plot_inputs=_gaussian_plot_inputs, x_label="pred (variance fixed at 1)",
    summary="Gaussian negative log-likelihood with a predicted variance"))
