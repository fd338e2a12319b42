r"""Binary classification losses: a score (logit) or a probability against a 0/1 or -1/1 label.

Every loss here works element by element: ``pred`` of any shape with a batch axis,
``label`` with the same number of elements (reshaped to ``pred``'s shape),
``sample_weight`` broadcastable to ``pred``'s shape or ``(batch,)``; the result is the
mean over the non-batch axes, shape ``(batch,)``. The multiclass losses are in
:mod:`lossbook.multiclass`.
"""
import numpy as np

from . import checks
from ._math import binary_logistic, logistic_curvature
from .base import ElementwiseLoss, Hyperparameter, Loss, boolean, one_of, real
from .checks import SAMPLE_WEIGHT, Broadcast, Interval, Like, Pred
from .registry import Param, Record, elementwise_plot_inputs, register

__all__ = ["SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss", "LogisticLoss", "HingeLoss",
           "SquaredHingeLoss", "SigmoidFocalLoss"]


class SigmoidBinaryCrossEntropyLoss(Loss):
    r"""Binary cross-entropy, on logits (default) or on probabilities. Alias ``SigmoidBCELoss``.

    With ``from_sigmoid=False``, ``pred`` is a logit :math:`x` and, for a label
    :math:`z \in [0, 1]` and positive-class weight :math:`w` (``pos_weight``, default 1),

    .. math::

        \ell = -w z \log\sigma(x) - (1 - z)\log(1 - \sigma(x))
             = (1 - z)\,x + \bigl(1 + (w - 1) z\bigr)\,\mathrm{softplus}(-x),

        \frac{\partial \ell}{\partial x} = (1 - z) - \bigl(1 + (w - 1) z\bigr)\,\sigma(-x)
        \quad(= \sigma(x) - z \text{ when } w = 1),

        \frac{\partial^2 \ell}{\partial x^2} = \bigl(1 + (w - 1) z\bigr)\,\sigma(x)\,\sigma(-x).

    With ``from_sigmoid=True``, ``pred`` is a probability :math:`p \in [0, 1]` and, as in
    Gluon, :math:`\epsilon = 10^{-12}` keeps the logarithms finite:

    .. math::

        \ell = -w z\log(p + \epsilon) - (1 - z)\log(1 - p + \epsilon), \qquad
        \frac{\partial \ell}{\partial p} = -\frac{w z}{p + \epsilon} + \frac{1 - z}{1 - p + \epsilon},

        \frac{\partial^2 \ell}{\partial p^2} = \frac{w z}{(p + \epsilon)^2}
            + \frac{1 - z}{(1 - p + \epsilon)^2}

    Parameters
    ----------
    from_sigmoid : bool, default False
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).
    label_smoothing : float in [0, 1], default 0
        :math:`\varepsilon`: every label is pulled toward 1/2 first,
        :math:`z \leftarrow (1 - \varepsilon) z + \varepsilon / 2`, so a hard label asks for
        :math:`1 - \varepsilon / 2` rather than certainty (Keras's ``label_smoothing``;
        not in Gluon).

    Inputs
    ------
    pred, label : ``label`` in :math:`[0, 1]`.
    sample_weight : broadcastable to ``pred``'s shape, or ``(batch,)``.
    pos_weight : finite, >= 0, broadcastable to ``pred``'s shape, e.g. ``(1, classes)``.
        A weight above 1 trades precision for recall.

    Notes
    -----
    The softplus form never exponentiates a positive number, so logits of :math:`\pm 10^4`
    give finite values in float32; at infinite logits the loss is its limit (0 on the
    right side). At :math:`x = 0` the gradient is :math:`\sigma(0) - z = 0.5 - z`, the true
    derivative; MXNet's autograd of its ``relu(x) - xz + softplus(-|x|)`` form takes the
    kinks' zero subgradients there and is off by 0.5. Label smoothing is Keras 3.15.1's
    ``binary_crossentropy``: ``y_true * (1 - label_smoothing) + 0.5 * label_smoothing``
    (``keras/src/losses/losses.py``); it applies before ``pos_weight``. With smoothing, the
    loss at a hard label is never 0: its minimum over the logit is the entropy of the
    smoothed label, at :math:`x = \log((2 - \varepsilon) / \varepsilon)`.

    >>> loss = SigmoidBinaryCrossEntropyLoss()
    >>> np.round(loss(np.array([[0.0, 2.0]]), np.array([[1.0, 0.0]])), 6)
    array([1.410038])
    """

    inputs = (Pred("pred", domain="pred_domain"), Like("label", checks.UNIT), SAMPLE_WEIGHT,
              Broadcast("pos_weight", checks.WEIGHTS))
    blocked = True
    in_place = True                     # (make bench: the derivative written into the gradient)
    from_sigmoid = Hyperparameter(boolean, "pred holds probabilities (True) or logits (False).")
    label_smoothing = Hyperparameter(real(checks.UNIT), "Labels pulled toward 1/2 (Keras).")

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, label_smoothing=0.0):
        super().__init__(weight, batch_axis)
        self.from_sigmoid = from_sigmoid
        self.label_smoothing = label_smoothing

    @property
    def pred_domain(self):
        return Interval(0, 1, what="a probability, since from_sigmoid=True") \
            if self.from_sigmoid else None

    def value_and_derivative(self, pred, label, pos_weight=None, out=None, order=1):
        if self.label_smoothing:
            label = label * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        if self.from_sigmoid:
            eps = 1e-12
            pos, neg = pred + eps, 1 - pred + eps
            weighted = label if pos_weight is None else label * pos_weight
            loss = -(weighted * np.log(pos) + (1 - label) * np.log(neg))
            derivative = np.subtract((1 - label) / neg, weighted / pos, out=out)
            if order == 1:
                return loss, derivative
            return loss, derivative, weighted / np.square(pos) + (1 - label) / np.square(neg)
        if pos_weight is None:
            loss, derivative = binary_logistic(pred, label, out=out)
            if order == 1:
                return loss, derivative
            return loss, derivative, logistic_curvature(pred)
        log_weight = 1 + (pos_weight - 1) * label
        e = np.exp(-np.abs(pred))
        softplus_neg = np.maximum(-pred, 0) + np.log1p(e)          # softplus(-x), stable
        sigmoid_neg = np.maximum(e, pred <= 0) / (1 + e)            # sigma(-x)
        with np.errstate(invalid="ignore"):     # (inf - inf only at an infinite logit)
            loss = (1 - label) * pred + log_weight * softplus_neg
        if np.isinf(pred).any():                # the limits at infinite logits, not inf - inf
            wrong = np.where(pred > 0, 1 - label, log_weight * label)
            limit = np.where(wrong > 0, np.inf, np.where(wrong == 0, 0.0, np.nan))
            loss = np.where(np.isinf(pred), limit.astype(pred.dtype), loss)
        derivative = np.subtract(1 - label, log_weight * sigmoid_neg, out=out)
        if order == 1:
            return loss, derivative
        # sigma(x) sigma(-x) = e / (1 + e)^2
        return loss, derivative, log_weight * e / np.square(1 + e)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss

register(Record(
    SigmoidBinaryCrossEntropyLoss, "classification",
    params=(Param("from_sigmoid", False, choices=(False, True)),),
    configs=({"from_sigmoid": True}, {"label_smoothing": 0.1},
             {"from_sigmoid": True, "label_smoothing": 0.2}),
    plot_domain=(-6.0, 6.0), plot_labels=(1.0, 0.0), plot_inputs=elementwise_plot_inputs,
    x_label="logit", summary="binary cross-entropy on logits"))


class LogisticLoss(ElementwiseLoss):
    r"""The logistic loss :math:`\log(1 + e^{-y x})` for signed labels, or BCE for binary ones.

    With ``label_format='signed'`` the label :math:`y \in \{-1, 1\}` is mapped to
    :math:`z = (y + 1)/2`; with ``'binary'`` the label is :math:`z \in \{0, 1\}` already. Then

    .. math::

        \ell = \max(x, 0) - x z + \log(1 + e^{-|x|}) = \log(1 + e^{-y x}), \qquad
        \frac{\partial \ell}{\partial x} = \sigma(x) - z, \qquad
        \frac{\partial^2 \ell}{\partial x^2} = \sigma(x)\,(1 - \sigma(x))

    Parameters
    ----------
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).
    label_format : ``'signed'`` (default) or ``'binary'``

    Notes
    -----
    Labels are checked to lie in :math:`[-1, 1]` (signed) or :math:`[0, 1]` (binary); soft
    labels inside those ranges work as in Gluon. The gradient at :math:`x = 0` is the true
    :math:`0.5 - z` (MXNet's autograd gives :math:`-z`).

    >>> np.round(LogisticLoss()(np.array([[0.0, 1.0]]), np.array([[1.0, -1.0]])), 6)
    array([1.003204])
    """

    label_format = Hyperparameter(one_of("signed", "binary"), "Labels in {-1, 1} or {0, 1}.")

    def __init__(self, weight=None, batch_axis=0, label_format="signed"):
        super().__init__(weight, batch_axis)
        self.label_format = label_format

    @property
    def label_domain(self):
        low = -1 if self.label_format == "signed" else 0
        return Interval(low, 1, what=f"label_format={self.label_format!r}")

    def value_and_derivative(self, pred, label, order=1):
        if self.label_format == "signed":
            label = (label + 1) / 2
        if order == 1:
            return binary_logistic(pred, label)
        return (*binary_logistic(pred, label), logistic_curvature(pred))


register(Record(
    LogisticLoss, "classification",
    params=(Param("label_format", "signed", choices=("signed", "binary")),),
    configs=({"label_format": "binary"},),
    plot_domain=(-6.0, 6.0), plot_labels=(1.0, -1.0), plot_inputs=elementwise_plot_inputs,
    x_label="score", summary="log(1 + exp(-y x))"))

_MARGIN = Hyperparameter(real(), "The score y x beyond which the loss is 0.")


class HingeLoss(ElementwiseLoss):
    r"""The SVM hinge loss :math:`\max(0, m - y x)` for labels :math:`y \in \{-1, 1\}`.

    .. math::

        \ell = \max(0, m - y x), \qquad
        \frac{\partial \ell}{\partial x} = -y\,[m - y x > 0]

    with the subgradient 0 at the kink :math:`y x = m` (relu'(0) = 0). The loss is
    piecewise linear, so its curvature is 0 everywhere: a Newton step is undefined.

    Parameters
    ----------
    margin : float, default 1
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    >>> HingeLoss()(np.array([[0.5, 2.0]]), np.array([[1.0, -1.0]]))
    array([1.75])
    """

    label_domain = checks.SIGNS
    margin = _MARGIN

    def __init__(self, margin=1, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.margin = margin

    def value_and_derivative(self, pred, label, order=1):
        slack = self.margin - pred * label
        derivative = -label * (slack > 0)
        derivative += 0.0                      # -0.0 (inactive, label 1) reads as 0.0
        if order == 1:
            return np.maximum(slack, 0), derivative
        return np.maximum(slack, 0), derivative, np.zeros_like(pred)


register(Record(
    HingeLoss, "classification",
    params=(Param("margin", 1.0, 0.0, 3.0),), configs=({"margin": 0.5},),
    plot_labels=(1.0, -1.0), plot_inputs=elementwise_plot_inputs, x_label="score",
    summary="max(0, margin - y x)"))


class SquaredHingeLoss(ElementwiseLoss):
    r"""The squared hinge :math:`\max(0, m - y x)^2`, smooth at the margin.

    .. math::

        \ell = \max(0, m - y x)^2, \qquad
        \frac{\partial \ell}{\partial x} = -2 y \max(0, m - y x), \qquad
        \frac{\partial^2 \ell}{\partial x^2} = 2 y^2\, [m - y x > 0]

    (curvature 0 at the margin, as relu'(0) = 0).

    Parameters and inputs as :class:`HingeLoss`: ``margin`` (default 1), ``weight``,
    ``batch_axis``; ``pred``, ``label`` (-1 or 1), ``sample_weight``.

    >>> SquaredHingeLoss()(np.array([[0.5, 2.0]]), np.array([[1.0, -1.0]]))
    array([4.625])
    """

    label_domain = checks.SIGNS
    margin = _MARGIN

    def __init__(self, margin=1, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.margin = margin

    def value_and_derivative(self, pred, label, order=1):
        slack = np.maximum(self.margin - pred * label, 0)
        if order == 1:
            return np.square(slack), -2 * label * slack
        return np.square(slack), -2 * label * slack, 2 * np.square(label) * (slack > 0)


register(Record(
    SquaredHingeLoss, "classification",
    params=(Param("margin", 1.0, 0.0, 3.0),), configs=({"margin": 2.0},),
    plot_labels=(1.0, -1.0), plot_inputs=elementwise_plot_inputs, x_label="score",
    summary="max(0, margin - y x) squared"))


class SigmoidFocalLoss(ElementwiseLoss):
    r"""Focal loss on logits (Lin et al., 2017): cross-entropy scaled down on easy examples.

    With :math:`p = \sigma(x)`, :math:`p_t = p z + (1 - p)(1 - z)` (the probability given to
    the label), :math:`\alpha_t = \alpha z + (1 - \alpha)(1 - z)` and
    :math:`q = 1 - p_t = z\,\sigma(-x) + (1 - z)\,\sigma(x)`:

    .. math::

        \ell = \alpha_t\, q^{\gamma}\, \mathrm{CE}(x, z), \qquad
        \frac{\partial \ell}{\partial x} = \alpha_t \Bigl[ q^{\gamma} (p - z)
            + \gamma\, q^{\gamma - 1} (1 - 2z)\, p (1 - p)\, \mathrm{CE}(x, z) \Bigr]

    where :math:`\mathrm{CE}` is the stable binary cross-entropy of
    :class:`SigmoidBinaryCrossEntropyLoss`. :math:`\gamma = 0` and :math:`\alpha = 0.5` give
    half the BCE; ``alpha=None`` drops :math:`\alpha_t`. With :math:`s = p(1 - p)` and
    :math:`r = s / q` (at most 2, so no negative power of :math:`q` is formed),

    .. math::

        \frac{\partial^2 \ell}{\partial x^2} = \alpha_t\, q^{\gamma} \Bigl[ s + \gamma (1 - 2z)\,
            r \Bigl( (\gamma - 1)(1 - 2z)\, r\, \mathrm{CE} + (1 - 2p)\,\mathrm{CE}
            + 2 (p - z) \Bigr) \Bigr].

    Parameters
    ----------
    alpha : float in [0, 1] or None, default 0.25
    gamma : float >= 0, default 2
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Notes
    -----
    The formula for soft labels is torchvision's ``sigmoid_focal_loss``. The default
    ``alpha = 0.25`` weighs positives by 0.25 and negatives by 0.75: it down-weights the
    positive class.

    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollar, "Focal Loss for Dense Object
    Detection", ICCV 2017.

    >>> loss = SigmoidFocalLoss(alpha=None, gamma=0.0)
    >>> bool(np.allclose(loss([[0.3]], [[1.0]]), SigmoidBCELoss()([[0.3]], [[1.0]])))
    True
    """

    label_domain = checks.UNIT
    alpha = Hyperparameter(real(checks.UNIT, none=True), "Weight of the positive class, or None.")
    gamma = Hyperparameter(real(checks.NONNEGATIVE), "How fast easy examples are turned down.")

    def __init__(self, alpha=0.25, gamma=2.0, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.alpha = alpha
        self.gamma = gamma

    def value_and_derivative(self, pred, label, order=1):
        gamma = self.gamma
        ce, dce = binary_logistic(pred, label)                    # dce = p - z
        prob = dce + label
        e = np.exp(-np.abs(pred))
        sig_neg = np.maximum(e, pred <= 0) / (1 + e)              # sigma(-x), no cancellation
        miss = label * sig_neg + (1 - label) * prob               # q = 1 - p_t
        scale = 1.0 if self.alpha is None else self.alpha * label + (1 - self.alpha) * (1 - label)
        modulator = miss ** gamma
        # gamma q^(gamma - 1) CE; q is floored at the smallest normal number so that q = 0
        # (where CE = 0 too) gives 0 rather than 0 * inf; CE is capped at sqrt(max), which it
        # reaches only where p (1 - p) below is exactly 0, so that an infinite logit gives
        # 0 rather than inf * 0
        info = np.finfo(pred.dtype)
        slope = gamma * np.minimum(ce, np.sqrt(info.max)) * np.maximum(miss, info.tiny) ** (gamma - 1)
        spread = prob * sig_neg                                   # p (1 - p)
        derivative = scale * (modulator * dce + slope * (1 - 2 * label) * spread)
        if order == 1:
            return scale * modulator * ce, derivative
        spread = logistic_curvature(pred)                         # p (1 - p), tails kept
        ratio = spread / np.maximum(miss, info.tiny)              # r = s / q <= 2
        capped, sign = np.minimum(ce, np.sqrt(info.max)), 1 - 2 * label
        inner = gamma * sign * ratio * ((gamma - 1) * sign * ratio * capped
                                        + (1 - 2 * prob) * capped + 2 * dce)
        return scale * modulator * ce, derivative, scale * modulator * (spread + inner)


register(Record(
    SigmoidFocalLoss, "classification",
    params=(Param("alpha", 0.25, 0.0, 1.0), Param("gamma", 2.0, 0.0, 5.0)),
    configs=({"gamma": 0.5}, {"alpha": None, "gamma": 1.0}),
    plot_domain=(-6.0, 6.0), plot_labels=(1.0, 0.0), plot_inputs=elementwise_plot_inputs,
    x_label="logit", summary="cross-entropy down-weighted on easy examples"))
