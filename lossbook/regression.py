r"""Regression losses: a real-valued prediction against a real-valued label.

Each loss is written as its per-element value :math:`\ell(p, y)` next to its
derivative :math:`\partial\ell/\partial p`; the base class applies ``sample_weight``,
``weight`` and the mean over the non-batch axes.
"""
import math

import numpy as np

from ._base import ElementwiseLoss, Loss, elementwise_backward
from .registry import Param, Record, away_from, elementwise_plot_inputs, register

__all__ = ["L2Loss", "L1Loss", "HuberLoss", "PoissonNLLLoss"]


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

    def _kernel(self, pred, label):
        diff = pred - label
        loss = np.square(diff)
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

    def _kernel(self, pred, label):
        diff = pred - label
        return np.abs(diff), np.sign(diff)


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

    def _kernel(self, pred, label):
        # With c = clip(d, -rho, rho): c (d - c/2) / rho is d^2 / (2 rho) inside the band and
        # |d| - rho/2 outside it, and c / rho is the slope; no branch is needed.
        diff = pred - label
        clipped = np.clip(diff, -self._rho, self._rho)
        inv_rho = 1 / self._rho
        loss = diff - 0.5 * clipped
        loss *= clipped
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
