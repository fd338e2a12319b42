r"""Classification losses: scores (logits) or probabilities against class labels.

Binary losses (:class:`SigmoidBinaryCrossEntropyLoss`, :class:`LogisticLoss`,
:class:`HingeLoss`, :class:`SquaredHingeLoss`, :class:`SigmoidFocalLoss`) work element by
element. Multiclass losses (:class:`SoftmaxCrossEntropyLoss`, :class:`NLLLoss`,
:class:`MulticlassHingeLoss`) reduce the class axis first; their per-element loss keeps
that axis with size 1, so ``sample_weight`` of shape ``(batch, 1)`` weighs samples, as in
Gluon. Sparse labels are used as indices: no one-hot matrix is ever built.
"""
import warnings

import numpy as np

from ._base import NO_WORK, ElementwiseLoss, Loss, blockwise, elementwise_backward
from ._math import binary_logistic
from .registry import Param, Record, away_from, elementwise_plot_inputs, register

__all__ = [
    "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss", "LogisticLoss", "HingeLoss",
    "SquaredHingeLoss", "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "NLLLoss",
    "SigmoidFocalLoss", "MulticlassHingeLoss", "NotLogProbabilitiesWarning",
]


# --------------------------------------------------------------------------- binary
class SigmoidBinaryCrossEntropyLoss(Loss):
    r"""Binary cross-entropy, on logits (default) or on probabilities. Alias ``SigmoidBCELoss``.

    With ``from_sigmoid=False``, ``pred`` is a logit :math:`x` and, for a label
    :math:`z \in [0, 1]` and positive-class weight :math:`w` (``pos_weight``, default 1),

    .. math::

        \ell = -w z \log\sigma(x) - (1 - z)\log(1 - \sigma(x))
             = (1 - z)\,x + \bigl(1 + (w - 1) z\bigr)\,\mathrm{softplus}(-x),

        \frac{\partial \ell}{\partial x} = (1 - z) - \bigl(1 + (w - 1) z\bigr)\,\sigma(-x)
        \quad(= \sigma(x) - z \text{ when } w = 1).

    The softplus form never exponentiates a positive number, so logits of :math:`\pm 10^4`
    give finite values in float32.

    With ``from_sigmoid=True``, ``pred`` is a probability :math:`p \in [0, 1]` and, as in
    Gluon, :math:`\epsilon = 10^{-12}` keeps the logarithms finite:

    .. math::

        \ell = -w z\log(p + \epsilon) - (1 - z)\log(1 - p + \epsilon), \qquad
        \frac{\partial \ell}{\partial p} = -\frac{w z}{p + \epsilon} + \frac{1 - z}{1 - p + \epsilon}

    Parameters
    ----------
    from_sigmoid : bool, default False
    weight : float or None
    batch_axis : int, default 0

    Inputs: ``pred`` of any shape; ``label`` in :math:`[0, 1]`, same number of elements;
    ``sample_weight``; ``pos_weight`` broadcastable to ``pred``'s shape, e.g. ``(1, classes)``.
    A weight above 1 trades precision for recall.

    Returns: shape ``(batch,)``.

    Notes
    -----
    At :math:`x = 0` the gradient is :math:`\sigma(0) - z = 0.5 - z`, the true derivative;
    MXNet's autograd of its ``relu(x) - xz + softplus(-|x|)`` form takes the kinks' zero
    subgradients there and is off by 0.5.

    >>> loss = SigmoidBinaryCrossEntropyLoss()
    >>> np.round(loss(np.array([[0.0, 2.0]]), np.array([[1.0, 0.0]])), 6)
    array([1.410038])
    """

    _signature = ("pred", "label", "sample_weight", "pos_weight")
    _defaults = {"pos_weight": None}

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self._from_sigmoid = bool(from_sigmoid)

    def _params(self):
        return {"from_sigmoid": self._from_sigmoid, **super()._params()}

    def _fused(self, pred, label, pos_weight):
        # logits without pos_weight: the blocked path of the base class, binary_logistic per block
        if self._from_sigmoid or pos_weight is not None or self._fusable_ndim(pred) is None:
            return None
        pred = self._pred_input(pred)
        label = self._like(label, pred, "label")
        self._check_range(label, "label", 0, 1)
        return binary_logistic, (pred, label), None

    def _forward(self, pred, label, pos_weight):
        pred = self._pred_input(pred)
        label = self._like(label, pred, "label")
        self._check_range(label, "label", 0, 1)
        if pos_weight is not None:
            pos_weight = self._float_input(pos_weight, "pos_weight").astype(pred.dtype, copy=False)
            try:
                fits = np.broadcast_shapes(pos_weight.shape, pred.shape) == pred.shape
            except ValueError:
                fits = False
            if not fits:
                raise self._error(f"pos_weight of shape {pos_weight.shape} does not broadcast "
                                  f"to pred of shape {pred.shape}")
        if self._from_sigmoid:
            self._check_range(pred, "pred", 0, 1, " (a probability, since from_sigmoid=True)")
            eps = 1e-12
            pos, neg = pred + eps, 1 - pred + eps
            weighted = label if pos_weight is None else label * pos_weight
            loss = -(weighted * np.log(pos) + (1 - label) * np.log(neg))
            return loss, elementwise_backward(lambda: (1 - label) / neg - weighted / pos)
        if pos_weight is None:
            shape = pred.shape
            loss, derivative = blockwise(binary_logistic, [pred.reshape(-1), label.reshape(-1)])
            return loss.reshape(shape), elementwise_backward(derivative.reshape(shape))
        log_weight = 1 + (pos_weight - 1) * label
        e = np.exp(-np.abs(pred))
        softplus_neg = np.maximum(-pred, 0) + np.log1p(e)          # softplus(-x), stable
        loss = (1 - label) * pred + log_weight * softplus_neg

        def derivative():
            sigmoid_neg = np.maximum(e, pred <= 0) / (1 + e)              # sigma(-x)
            return (1 - label) - log_weight * sigmoid_neg
        return loss, elementwise_backward(derivative)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


def _binary_sample(label_values, kinks=(), soft=False):
    def sample(rng, config, batch_axis, dtype):
        shape = (4, 3)
        if config.get("from_sigmoid"):
            pred = rng.uniform(0.05, 0.95, size=shape)
        else:
            pred = away_from(rng.normal(scale=2.0, size=shape), kinks)
        if soft:
            label = rng.uniform(0, 1, size=shape)
        else:
            label = rng.choice(label_values, size=shape).astype(np.float64)
        if kinks and not config.get("from_sigmoid"):
            margin = config.get("margin", 1.0)
            # keep margin - pred * label away from zero: the hinge's kink
            pred = label * away_from(pred * label, (margin,), 0.1)
        return (pred.astype(dtype), label.astype(dtype)), {}
    return sample


register(Record(
    SigmoidBinaryCrossEntropyLoss, "classification", _binary_sample((0.0, 1.0), soft=True),
    params=(Param("from_sigmoid", False, choices=(False, True)),),
    configs=({"from_sigmoid": True},),
    plot_domain=(-6.0, 6.0), plot_labels=(1.0, 0.0), plot_inputs=elementwise_plot_inputs,
    x_label="logit", summary="binary cross-entropy on logits"))


class LogisticLoss(ElementwiseLoss):
    r"""The logistic loss :math:`\log(1 + e^{-y x})` for signed labels, or BCE for binary ones.

    With ``label_format='signed'`` the label :math:`y \in \{-1, 1\}` is mapped to
    :math:`z = (y + 1)/2`; with ``'binary'`` the label is :math:`z \in \{0, 1\}` already. Then

    .. math::

        \ell = \max(x, 0) - x z + \log(1 + e^{-|x|}) = \log(1 + e^{-y x}), \qquad
        \frac{\partial \ell}{\partial x} = \sigma(x) - z

    Parameters
    ----------
    weight : float or None
    batch_axis : int, default 0
    label_format : ``'signed'`` (default) or ``'binary'``

    Labels are checked to lie in :math:`[-1, 1]` (signed) or :math:`[0, 1]` (binary); soft
    labels inside those ranges work as in Gluon. The gradient at :math:`x = 0` is the true
    :math:`0.5 - z` (MXNet's autograd gives :math:`-z`).

    >>> np.round(LogisticLoss()(np.array([[0.0, 1.0]]), np.array([[1.0, -1.0]])), 6)
    array([1.003204])
    """

    def __init__(self, weight=None, batch_axis=0, label_format="signed"):
        super().__init__(weight, batch_axis)
        if label_format not in ("signed", "binary"):
            raise ValueError(f"LogisticLoss: label_format must be 'signed' or 'binary', "
                             f"got {label_format!r}")
        self._label_format = label_format

    def _params(self):
        return {"label_format": self._label_format, **super()._params()}

    def _check_label(self, label):
        low = -1 if self._label_format == "signed" else 0
        self._check_range(label, "label", low, 1, f" (label_format={self._label_format!r})")

    def _kernel(self, pred, label, work=NO_WORK):
        if self._label_format == "signed":
            label = (label + 1) / 2
        return binary_logistic(pred, label, work)


def _logistic_sample(rng, config, batch_axis, dtype):
    values = (-1.0, 1.0) if config.get("label_format", "signed") == "signed" else (0.0, 1.0)
    label = rng.choice(values, size=(4, 3))
    pred = rng.normal(scale=2.0, size=(4, 3))
    return (pred.astype(dtype), label.astype(dtype)), {}


register(Record(
    LogisticLoss, "classification", _logistic_sample,
    params=(Param("label_format", "signed", choices=("signed", "binary")),),
    configs=({"label_format": "binary"},),
    plot_domain=(-6.0, 6.0), plot_labels=(1.0, -1.0), plot_inputs=elementwise_plot_inputs,
    x_label="score", summary="log(1 + exp(-y x))"))


class _MarginLoss(ElementwiseLoss):
    """Binary losses of a score against a label of -1 or 1, with a margin."""

    def __init__(self, margin=1, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self._margin = float(margin)

    def _params(self):
        return {"margin": self._margin, **super()._params()}

    def _check_label(self, label):
        wrong = (label != 1) & (label != -1) & ~np.isnan(label)
        if np.any(wrong):
            raise self._error(f"label must be -1 or 1, got {label[wrong].flat[0]!r} in an array "
                              f"of shape {label.shape}")


class HingeLoss(_MarginLoss):
    r"""The SVM hinge loss :math:`\max(0, m - y x)` for labels :math:`y \in \{-1, 1\}`.

    .. math::

        \ell = \max(0, m - y x), \qquad
        \frac{\partial \ell}{\partial x} = -y\,[m - y x > 0]

    with the subgradient 0 at the kink :math:`y x = m` (relu'(0) = 0).

    Parameters
    ----------
    margin : float, default 1
    weight : float or None
    batch_axis : int, default 0

    >>> HingeLoss()(np.array([[0.5, 2.0]]), np.array([[1.0, -1.0]]))
    array([1.75])
    """

    def _kernel(self, pred, label, work=NO_WORK):
        slack = self._margin - pred * label
        derivative = -label * (slack > 0)
        derivative += 0.0                      # -0.0 (inactive, label 1) reads as 0.0
        return np.maximum(slack, 0), derivative


register(Record(
    HingeLoss, "classification", _binary_sample((-1.0, 1.0), kinks=(0.0,)),
    params=(Param("margin", 1.0, 0.0, 3.0),), configs=({"margin": 0.5},),
    plot_labels=(1.0, -1.0), plot_inputs=elementwise_plot_inputs, x_label="score",
    summary="max(0, margin - y x)"))


class SquaredHingeLoss(_MarginLoss):
    r"""The squared hinge :math:`\max(0, m - y x)^2`, smooth at the margin.

    .. math::

        \ell = \max(0, m - y x)^2, \qquad
        \frac{\partial \ell}{\partial x} = -2 y \max(0, m - y x)

    Parameters and inputs as :class:`HingeLoss`.

    >>> SquaredHingeLoss()(np.array([[0.5, 2.0]]), np.array([[1.0, -1.0]]))
    array([4.625])
    """

    def _kernel(self, pred, label, work=NO_WORK):
        slack = np.maximum(self._margin - pred * label, 0)
        return np.square(slack), -2 * label * slack


register(Record(
    SquaredHingeLoss, "classification", _binary_sample((-1.0, 1.0), kinks=(0.0,)),
    params=(Param("margin", 1.0, 0.0, 3.0),), configs=({"margin": 2.0},),
    plot_labels=(1.0, -1.0), plot_inputs=elementwise_plot_inputs, x_label="score",
    summary="max(0, margin - y x) squared"))


class SigmoidFocalLoss(ElementwiseLoss):
    r"""Focal loss on logits (Lin et al., 2017): cross-entropy scaled down on easy examples.

    With :math:`p = \sigma(x)`, :math:`p_t = p z + (1 - p)(1 - z)` (the probability given to
    the label), :math:`\alpha_t = \alpha z + (1 - \alpha)(1 - z)` and
    :math:`m = 1 - p_t = z\,\sigma(-x) + (1 - z)\,\sigma(x)`:

    .. math::

        \ell = \alpha_t\, m^{\gamma}\, \mathrm{CE}(x, z), \qquad
        \frac{\partial \ell}{\partial x} = \alpha_t \Bigl[ m^{\gamma} (p - z)
            + \gamma\, m^{\gamma - 1} (1 - 2z)\, p (1 - p)\, \mathrm{CE}(x, z) \Bigr]

    where :math:`\mathrm{CE}` is :func:`~lossbook._math.binary_logistic`'s stable binary
    cross-entropy. :math:`\gamma = 0` and :math:`\alpha = 0.5` give half the BCE. The formula
    for soft labels is torchvision's ``sigmoid_focal_loss``; ``alpha=None`` drops
    :math:`\alpha_t`.

    Parameters
    ----------
    alpha : float in [0, 1] or None, default 0.25
    gamma : float >= 0, default 2
    weight : float or None
    batch_axis : int, default 0

    References: T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollar, "Focal Loss for Dense
    Object Detection", ICCV 2017.

    >>> loss = SigmoidFocalLoss(alpha=None, gamma=0.0)
    >>> bool(np.allclose(loss([[0.3]], [[1.0]]), SigmoidBCELoss()([[0.3]], [[1.0]])))
    True
    """

    def __init__(self, alpha=0.25, gamma=2.0, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        if alpha is not None and not 0 <= alpha <= 1:
            raise ValueError(f"SigmoidFocalLoss: alpha must lie in [0, 1] or be None, got {alpha!r}")
        if not gamma >= 0:
            raise ValueError(f"SigmoidFocalLoss: gamma must be >= 0, got {gamma!r}")
        self._alpha = None if alpha is None else float(alpha)
        self._gamma = float(gamma)

    def _params(self):
        return {"alpha": self._alpha, "gamma": self._gamma, **super()._params()}

    def _check_label(self, label):
        self._check_range(label, "label", 0, 1)

    def _kernel(self, pred, label, work=NO_WORK):
        gamma = self._gamma
        ce, dce = binary_logistic(pred, label)                    # dce = p - z
        prob = dce + label
        e = np.exp(-np.abs(pred))
        sig_neg = np.maximum(e, pred <= 0) / (1 + e)              # sigma(-x), no cancellation
        miss = label * sig_neg + (1 - label) * prob               # m = 1 - p_t
        scale = 1.0 if self._alpha is None else self._alpha * label + (1 - self._alpha) * (1 - label)
        modulator = miss ** gamma
        # gamma m^(gamma - 1) CE; m is floored at the smallest normal number so that m = 0
        # (where CE = 0 too) gives 0 rather than 0 * inf
        slope = gamma * ce * np.maximum(miss, np.finfo(pred.dtype).tiny) ** (gamma - 1)
        spread = prob * sig_neg                                   # p (1 - p)
        derivative = scale * (modulator * dce + slope * (1 - 2 * label) * spread)
        return scale * modulator * ce, derivative


register(Record(
    SigmoidFocalLoss, "classification", _binary_sample((0.0, 1.0), soft=True),
    params=(Param("alpha", 0.25, 0.0, 1.0), Param("gamma", 2.0, 0.0, 5.0)),
    configs=({"gamma": 0.5}, {"alpha": None, "gamma": 1.0}),
    plot_domain=(-6.0, 6.0), plot_labels=(1.0, 0.0), plot_inputs=elementwise_plot_inputs,
    x_label="logit", summary="cross-entropy down-weighted on easy examples"))


# ------------------------------------------------------------------------ multiclass
class NotLogProbabilitiesWarning(UserWarning):
    """NLLLoss got rows whose exponentials do not sum to 1: probably raw scores."""


class SoftmaxCrossEntropyLoss(Loss):
    r"""Softmax cross-entropy over a class axis, fused for stability. Alias ``SoftmaxCELoss``.

    With ``from_logits=False`` (default) ``pred`` holds scores :math:`x` and
    :math:`\log p = x - \operatorname{logsumexp}(x)` is computed in one stable step. For a
    target distribution :math:`t` over the classes,

    .. math::

        \ell = -\sum_c t_c \log p_c, \qquad
        \frac{\partial \ell}{\partial x_j} = p_j \sum_c t_c - t_j
        \quad(= p_j - t_j \text{ when } \textstyle\sum_c t_c = 1).

    With ``sparse_label=True`` (default) the label is a class index :math:`y` and
    :math:`t` is one-hot (never built: the index picks the term). With
    ``from_logits=True``, ``pred`` already holds :math:`\log p` and the gradient is
    :math:`-t`.

    Beyond Gluon (defaults leave Gluon's behaviour unchanged):

    * ``label_smoothing`` :math:`\varepsilon`: the target becomes
      :math:`(1 - \varepsilon)\,t + \varepsilon / C` (Szegedy et al., 2016);
    * ``class_weight`` :math:`w` of shape ``(C,)``: the target becomes :math:`w_c t_c`, as
      in PyTorch's ``CrossEntropyLoss(weight=...)`` with ``reduction='none'`` (the per-sample
      values are not renormalised by the weights);
    * ``ignore_index``: samples whose sparse label equals it give loss 0 and gradient 0.

    Parameters
    ----------
    axis : int, default -1
        The class axis.
    sparse_label : bool, default True
    from_logits : bool, default False
    weight : float or None
    batch_axis : int, default 0
    label_smoothing : float in [0, 1), default 0
    class_weight : array of shape (C,) or None
    ignore_index : int or None

    Inputs: ``pred`` of shape e.g. ``(batch, C)`` or ``(batch, T, C)``; ``label`` of
    ``pred``'s shape without the class axis (sparse, integer-valued, in ``[0, C)``) or of
    ``pred``'s shape (dense probabilities); ``sample_weight`` broadcastable to ``pred``'s
    shape with the class axis of size 1, e.g. ``(batch, 1)``.

    Returns: shape ``(batch,)``: the mean over the non-batch axes of the per-position loss.

    Departure from MXNet: a class index out of range is an error (MXNet clips it).

    >>> loss = SoftmaxCrossEntropyLoss()
    >>> np.round(loss(np.array([[1.0, 10.0], [8.0, 2.0]]), np.array([0, 1])), 6)
    array([9.000123, 6.002476])
    """

    def __init__(self, axis=-1, sparse_label=True, from_logits=False, weight=None,
                 batch_axis=0, label_smoothing=0.0, class_weight=None, ignore_index=None):
        super().__init__(weight, batch_axis)
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise TypeError(f"{type(self).__name__}: axis must be an int, got {axis!r}")
        if not 0 <= label_smoothing < 1:
            raise ValueError(f"{type(self).__name__}: label_smoothing must lie in [0, 1), "
                             f"got {label_smoothing!r}")
        self._axis = int(axis)
        self._sparse_label = bool(sparse_label)
        self._from_logits = bool(from_logits)
        self._smoothing = float(label_smoothing)
        if class_weight is not None:
            class_weight = self._float_input(class_weight, "class_weight")
            if class_weight.ndim != 1:
                raise self._error(f"class_weight must be 1-D (one weight per class), got shape "
                                  f"{class_weight.shape}")
        self._class_weight = class_weight
        self._ignore_index = None if ignore_index is None else int(ignore_index)

    def _params(self):
        params = {"axis": self._axis, "sparse_label": self._sparse_label,
                  "from_logits": self._from_logits}
        if self._smoothing:
            params["label_smoothing"] = self._smoothing
        if self._class_weight is not None:
            params["class_weight"] = self._class_weight.tolist()
        if self._ignore_index is not None:
            params["ignore_index"] = self._ignore_index
        return {**params, **super()._params()}

    def _class_axis(self, pred):
        axis = self._check_axis(self._axis, pred, "pred", "axis")
        if axis == self._batch_axis % pred.ndim:
            raise self._error(f"axis={self._axis} and batch_axis={self._batch_axis} name the same "
                              f"axis of pred of shape {pred.shape}")
        return axis

    def _weights_for(self, num_classes, dtype, axis, ndim):
        """class_weight shaped to broadcast along the class axis, or None."""
        if self._class_weight is None:
            return None
        if self._class_weight.shape[0] != num_classes:
            raise self._error(f"class_weight has {self._class_weight.shape[0]} entries but pred "
                              f"has {num_classes} classes on axis {self._axis}")
        shape = [1] * ndim
        shape[axis] = num_classes
        return self._class_weight.astype(dtype, copy=False).reshape(shape)

    def _fused(self, pred, label):
        # 2-D scores (batch, classes) through the blocked path of the base class; NLLLoss and
        # MulticlassHingeLoss have forwards of their own and take the generic path
        if type(self)._forward is not SoftmaxCrossEntropyLoss._forward:
            return None
        if self._fusable_ndim(pred) != 2 or self._axis % 2 != 1:
            return None
        pred, label, keep, axis, class_w = self._inputs(pred, label)

        def kernel(pred, label, keep, work):
            return self._kernel(pred, label, keep, axis, class_w, work)
        return kernel, (pred, label, keep), (pred.shape[0], 1)

    def _forward(self, pred, label):
        pred, label, keep, axis, class_w = self._inputs(pred, label)

        def kernel(pred, label, keep):
            return self._kernel(pred, label, keep, axis, class_w)
        loss, grad = blockwise(kernel, [pred, label, keep], axis=self._batch_axis % pred.ndim)
        return loss, elementwise_backward(grad)

    def _inputs(self, pred, label):
        """Validated (pred, label, keep, class axis, class weights shaped for it)."""
        pred = self._pred_input(pred)
        axis = self._class_axis(pred)
        num_classes = pred.shape[axis]
        class_w = self._weights_for(num_classes, pred.dtype, axis, pred.ndim)
        keep = None
        if self._sparse_label:
            label_shape = pred.shape[:axis] + pred.shape[axis + 1:]
            raw = self._numeric(label, "label")
            if self._ignore_index is not None and raw.size == int(np.prod(label_shape)):
                # (a size mismatch is reported by _class_index below)
                raw = raw.reshape(label_shape)
                keep = np.expand_dims(raw != self._ignore_index, axis)
                raw = np.where(keep[(slice(None),) * axis + (0,)], raw, 0)
            label = np.expand_dims(self._class_index(raw, num_classes, label_shape), axis)
        else:
            label = self._like(label, pred, "label")
            self._check_range(label, "label", 0, 1, " (probabilities, since sparse_label=False)")
        return pred, label, keep, axis, class_w

    def _kernel(self, pred, label, keep, axis, class_w, work=NO_WORK):
        """Per-position loss (class axis kept, size 1) and its gradient for one block.

        With the target t (one-hot at the label, smoothed, weighted), the loss is
        -sum_c t_c log p_c and the gradient p * sum_c t_c - t; t is never built for
        sparse labels: the index picks its one large entry.
        """
        num_classes = pred.shape[axis]
        eps = self._smoothing
        if self._from_logits:
            log_p, prob = pred, None
        else:
            # (the ufuncs' own reduce: np.max and np.sum add a wrapper's cost per block)
            top = np.maximum.reduce(pred, axis=axis, keepdims=True)
            shifted = np.subtract(pred, top, out=work[0])
            # the softmax goes straight into the gradient's rows when the blocked path
            # offers them (work.out): the gradient is the softmax, corrected at the label
            prob = np.exp(shifted, out=work[1] if work.out is None else work.out)
            sum_exp = np.add.reduce(prob, axis=axis, keepdims=True)
            log_z = np.log(sum_exp)
            prob *= np.reciprocal(sum_exp)                     # softmax (a product is cheaper)
            log_p = None                                       # shifted - log_z, if needed

        def full_log_p():
            return log_p if log_p is not None else shifted - log_z

        if not self._sparse_label:
            target = label
            if eps:
                target = (1 - eps) * target + eps / num_classes
            if class_w is not None:
                target = target * class_w
            loss = -np.sum(target * full_log_p(), axis=axis, keepdims=True)
            if prob is None:
                return loss, -target
            return loss, prob * np.sum(target, axis=axis, keepdims=True) - target

        index = label
        hot = 1 - eps                                          # target mass at the label
        if class_w is not None:
            hot = hot * self._class_weight.astype(pred.dtype)[index]
        if pred.ndim == 2 and axis == 1:
            # (batch, classes): the label's column by plain indexing (take/put_along_axis
            # build the same index with more overhead per block)
            at = (np.arange(pred.shape[0]), index[:, 0])

            def take(a):
                return a[at][:, None]

            def put(a, values):
                a[at] = values[:, 0]
        else:
            def take(a):
                return np.take_along_axis(a, index, axis)

            def put(a, values):
                np.put_along_axis(a, index, values, axis)
        if log_p is not None:
            picked = take(log_p)
        else:
            picked = take(shifted) - log_z
        loss = -hot * picked
        smooth = None
        if eps:
            smooth = eps / num_classes if class_w is None else (eps / num_classes) * class_w
            loss -= np.sum(smooth * full_log_p(), axis=axis, keepdims=True)
        if prob is None:
            grad = np.zeros(pred.shape, dtype=pred.dtype)
        else:
            total = hot                                        # sum_c t_c
            if eps:
                total = total + (eps if class_w is None else
                                 eps / num_classes * float(np.sum(self._class_weight)))
            grad = prob if np.isscalar(total) and total == 1 else prob * total
        if smooth is not None:
            grad -= smooth
        put(grad, take(grad) - hot)
        if keep is not None:
            loss *= keep
            grad *= keep
        return loss.astype(pred.dtype, copy=False), grad.astype(pred.dtype, copy=False)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


def _softmax_sample(rng, config, batch_axis, dtype):
    shape = (4, 5) if batch_axis == 0 else (3, 4, 5)
    axis = config.get("axis", -1)
    num_classes = shape[axis]
    pred = rng.normal(scale=2.0, size=shape)
    if config.get("from_logits"):
        pred = pred - np.log(np.sum(np.exp(pred), axis=axis, keepdims=True))
    if config.get("sparse_label", True):
        label_shape = shape[:axis % len(shape)] + shape[axis % len(shape) + 1:]
        label = rng.integers(0, num_classes, size=label_shape)
        return (pred.astype(dtype), label), {}
    label = rng.dirichlet(np.ones(num_classes), size=int(np.prod(shape)) // num_classes)
    label = np.moveaxis(label.reshape(tuple(np.delete(shape, axis % len(shape))) + (num_classes,)),
                        -1, axis)
    return (pred.astype(dtype), label.astype(dtype)), {}


def _two_class_plot_inputs(x, label, config):
    """Two classes with scores [x, 0]: the loss as a function of class 0's score."""
    x = np.asarray(x, dtype=np.float64)
    pred = np.stack([x, np.zeros_like(x)], axis=-1)
    if config.get("from_logits"):
        pred = pred - np.logaddexp(pred[:, :1], pred[:, 1:])
    index = np.full(x.shape, int(label))
    if not config.get("sparse_label", True):
        index = np.stack([index == 0, index == 1], axis=-1).astype(np.float64)
    return (pred, index), {}, lambda grad: grad[:, 0]


register(Record(
    SoftmaxCrossEntropyLoss, "classification", _softmax_sample,
    params=(Param("sparse_label", True, choices=(True, False)),
            Param("from_logits", False, choices=(False, True)),
            Param("label_smoothing", 0.0, 0.0, 0.5)),
    configs=({"sparse_label": False}, {"from_logits": True}, {"label_smoothing": 0.1},
             {"class_weight": [1.0, 2.0, 0.5, 1.5, 3.0]},
             {"label_smoothing": 0.2, "class_weight": [1.0, 2.0, 0.5, 1.5, 3.0]},
             {"sparse_label": False, "label_smoothing": 0.1, "class_weight": [1.0, 2.0, 0.5, 1.5, 3.0]},
             {"ignore_index": 2}),
    plot_domain=(-6.0, 6.0), plot_labels=(0, 1), plot_inputs=_two_class_plot_inputs,
    x_label="score of class 0 (class 1 scores 0)", summary="softmax then negative log-likelihood"))


class NLLLoss(SoftmaxCrossEntropyLoss):
    r"""Negative log-likelihood of log-probabilities: ``pred`` must come from a log-softmax.

    .. math::

        \ell = -w_y \log p_y, \qquad \frac{\partial \ell}{\partial \log p_j} = -w_y [j = y]

    This is :class:`SoftmaxCrossEntropyLoss` with ``from_logits=True`` and sparse labels,
    with PyTorch's extras: ``class_weight`` (PyTorch's ``weight``; here ``weight`` stays
    Gluon's global scalar) and ``ignore_index``. Per-sample values are not renormalised by
    the class weights (PyTorch's ``reduction='mean'`` divides by the sum of the picked
    weights).

    Feeding raw scores instead of log-probabilities is a silent wrong answer in most
    libraries: the "loss" can even be negative. NLLLoss checks that
    :math:`\sum_j e^{\mathrm{pred}_j} = 1` along the class axis (to 1e-3) and emits one
    :class:`NotLogProbabilitiesWarning` per loss object when it is not. Positions whose
    label is ``ignore_index`` are not checked: their rows are never read.

    Parameters
    ----------
    axis : int, default -1
    weight : float or None
    batch_axis : int, default 0
    class_weight : array of shape (C,) or None
    ignore_index : int or None

    >>> import warnings
    >>> log_p = np.log(np.array([[0.25, 0.75]]))
    >>> NLLLoss()(log_p, np.array([1]))  # -log 0.75
    array([0.28768207])
    """

    def __init__(self, axis=-1, weight=None, batch_axis=0, class_weight=None, ignore_index=None):
        super().__init__(axis=axis, sparse_label=True, from_logits=True, weight=weight,
                         batch_axis=batch_axis, class_weight=class_weight,
                         ignore_index=ignore_index)
        self._warned = False

    def _params(self):
        params = super()._params()
        for key in ("sparse_label", "from_logits"):
            params.pop(key)
        return params

    def _forward(self, pred, label):
        pred_array = self._pred_input(pred)
        if not self._warned and pred_array.size:
            axis = self._class_axis(pred_array)
            with np.errstate(over="ignore"):
                m = np.max(pred_array, axis=axis, keepdims=True)
                total = np.log(np.sum(np.exp(pred_array - m), axis=axis)) + np.squeeze(m, axis)
            if self._ignore_index is not None:
                # ignored positions (padding) are never read: their rows need not sum to 1
                raw = np.asarray(label)
                if raw.size == total.size:
                    total = np.where(raw.reshape(total.shape) == self._ignore_index, 0.0, total)
            if np.any(np.abs(total) > 1e-3):
                self._warned = True
                worst = float(np.max(np.abs(total)))
                warnings.warn(
                    f"NLLLoss: pred should hold log-probabilities (log_softmax output), but "
                    f"exp(pred) sums to exp({worst:.4g}) != 1 along axis {self._axis} for some "
                    f"rows. Apply log_softmax first, or use SoftmaxCrossEntropyLoss on raw scores.",
                    NotLogProbabilitiesWarning, stacklevel=4)
        return super()._forward(pred_array, label)


def _nll_sample(rng, config, batch_axis, dtype):
    return _softmax_sample(rng, {**config, "from_logits": True}, batch_axis, dtype)


register(Record(
    NLLLoss, "classification", _nll_sample,
    configs=({"class_weight": [1.0, 2.0, 0.5, 1.5, 3.0]}, {"ignore_index": 0}),
    plot_domain=(-6.0, 6.0), plot_labels=(0, 1),
    plot_inputs=lambda x, label, config: _two_class_plot_inputs(x, label, {"from_logits": True}),
    x_label="score of class 0 before log_softmax", summary="negative log-likelihood of log-probabilities"))


class MulticlassHingeLoss(SoftmaxCrossEntropyLoss):
    r"""Multiclass hinge loss, Weston-Watkins (default) or Crammer-Singer.

    For scores :math:`x` and true class :math:`y`, with margin :math:`m`:

    .. math::

        \text{Weston-Watkins:}\quad \ell = \sum_{j \ne y} \max(0, m + x_j - x_y)

        \text{Crammer-Singer:}\quad \ell = \max\bigl(0, m + \max_{j \ne y} x_j - x_y\bigr)

    Gradients: every active term adds :math:`+1` to :math:`x_j` and :math:`-1` to :math:`x_y`
    (subgradient 0 at a kink; Crammer-Singer sends its gradient to the first largest rival).
    PyTorch's ``MultiMarginLoss`` is the Weston-Watkins sum divided by the number of
    classes; lossbook does not divide.

    Parameters
    ----------
    margin : float, default 1
    formulation : ``'weston_watkins'`` or ``'crammer_singer'``
    axis, weight, batch_axis : as :class:`SoftmaxCrossEntropyLoss`

    References: J. Weston, C. Watkins, "Support Vector Machines for Multi-Class Pattern
    Recognition", ESANN 1999; K. Crammer, Y. Singer, "On the Algorithmic Implementation of
    Multiclass Kernel-based Vector Machines", JMLR 2001.

    >>> MulticlassHingeLoss()(np.array([[2.0, 1.5, -1.0]]), np.array([0]))
    array([0.5])
    """

    def __init__(self, margin=1, formulation="weston_watkins", axis=-1, weight=None, batch_axis=0):
        super().__init__(axis=axis, weight=weight, batch_axis=batch_axis)
        if formulation not in ("weston_watkins", "crammer_singer"):
            raise ValueError(f"MulticlassHingeLoss: formulation must be 'weston_watkins' or "
                             f"'crammer_singer', got {formulation!r}")
        self._margin = float(margin)
        self._formulation = formulation

    def _params(self):
        return {"margin": self._margin, "formulation": self._formulation, "axis": self._axis,
                "weight": self._weight, "batch_axis": self._batch_axis}

    def _forward(self, pred, label):
        pred = self._pred_input(pred)
        axis = self._class_axis(pred)
        num_classes = pred.shape[axis]
        label_shape = pred.shape[:axis] + pred.shape[axis + 1:]
        index = np.expand_dims(self._class_index(label, num_classes, label_shape), axis)
        true_score = np.take_along_axis(pred, index, axis)
        slack = self._margin + pred - true_score
        np.put_along_axis(slack, index, -np.inf, axis)        # the true class is no rival
        if self._formulation == "weston_watkins":
            active = slack > 0
            loss = np.sum(np.maximum(slack, 0), axis=axis, keepdims=True)   # NaN stays NaN

            def backward(g_el):
                grad = np.where(active, g_el, 0).astype(pred.dtype)
                count = np.sum(active, axis=axis, keepdims=True)
                np.put_along_axis(grad, index, -count * np.broadcast_to(g_el, count.shape), axis)
                return (grad,)
            return loss.astype(pred.dtype, copy=False), backward
        rival = np.expand_dims(np.argmax(slack, axis=axis), axis)
        worst = np.take_along_axis(slack, rival, axis)
        active = worst > 0
        loss = np.maximum(worst, 0).astype(pred.dtype, copy=False)

        def backward(g_el):
            g = np.where(active, np.broadcast_to(g_el, active.shape), 0).astype(pred.dtype)
            grad = np.zeros(pred.shape, dtype=pred.dtype)
            np.put_along_axis(grad, rival, g, axis)
            np.put_along_axis(grad, index, -g, axis)
            return (grad,)
        return loss, backward


def _multiclass_hinge_sample(rng, config, batch_axis, dtype):
    (pred, label), _ = _softmax_sample(rng, {}, batch_axis, np.float64)
    # spread the scores on a grid so that no slack m + x_j - x_y sits near zero and no two
    # rivals tie: scores are distinct multiples of 0.37 with a random offset per row
    margin = config.get("margin", 1.0)
    ranks = np.argsort(np.argsort(pred, axis=-1), axis=-1)
    pred = ranks * 0.37 + rng.uniform(-0.05, 0.05, size=pred.shape[:-1] + (1,))
    assert margin in (0.5, 1.0), "the grid above keeps slacks away from 0 for these margins"
    return (pred.astype(dtype), label), {}


register(Record(
    MulticlassHingeLoss, "classification", _multiclass_hinge_sample,
    params=(Param("margin", 1.0, 0.0, 3.0),
            Param("formulation", "weston_watkins", choices=("weston_watkins", "crammer_singer"))),
    configs=({"formulation": "crammer_singer"}, {"margin": 0.5}),
    plot_domain=(-4.0, 4.0), plot_labels=(0, 1), plot_inputs=_two_class_plot_inputs,
    x_label="score of class 0 (class 1 scores 0)", summary="multiclass SVM hinge"))
