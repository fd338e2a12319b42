r"""Multiclass losses: scores, or log-probabilities, over a class axis against class labels.

:class:`BrierLoss`, the squared distance between a predicted distribution and the label's,
is here too; it also takes a binary label and one logit or probability per element.

:class:`SoftmaxCrossEntropyLoss`, :class:`NLLLoss` and :class:`MulticlassHingeLoss` reduce
the class axis first: their per-element loss keeps that axis with size 1, so
``sample_weight`` of shape ``(batch, 1)`` (or ``(batch,)``) weighs samples, as in Gluon,
and the result is the mean over the remaining non-batch axes (positions of a sequence, say).
Sparse labels are used as indices: no one-hot matrix is ever built. The two cross-entropy
losses share :func:`cross_entropy`; the class label checks are
:class:`lossbook.checks.ClassLabel`'s.
"""
import math
import warnings

import numpy as np

from . import checks
from ._math import logistic_curvature, sigmoid, softmax
from .base import Hyperparameter, Loss, boolean, integer, one_of, real
from .checks import SAMPLE_WEIGHT, ClassLabel, Input, Interval, Like, Pred
from .registry import Param, Record, elementwise_plot_inputs, register

__all__ = ["SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "NLLLoss", "NotLogProbabilitiesWarning",
           "MulticlassHingeLoss", "BrierLoss", "cross_entropy"]


class NotLogProbabilitiesWarning(UserWarning):
    """NLLLoss got rows whose exponentials do not sum to 1: probably raw scores."""


# ----------------------------------------------------------------------- shared pieces
class _AtLabel:
    """The entries of an array at the label along the class axis (kept, size 1).

    ``index`` holds the labels with the class axis kept at size 1. For (batch, classes),
    plain indexing with the rows' numbers, made once (take/put_along_axis build the same
    index with more overhead per block).
    """

    def __init__(self, index, axis):
        self.index, self.axis = index, axis
        self.rows = (np.arange(index.shape[0]), index[:, 0]) if index.ndim == 2 and axis == 1 \
            else None

    def take(self, array):
        if self.rows is not None:
            return array[self.rows][:, None]
        return np.take_along_axis(array, self.index, self.axis)

    def put(self, array, values):
        if self.rows is not None:
            array[self.rows] = values[:, 0]
        else:
            np.put_along_axis(array, self.index, values, self.axis)


def cross_entropy(pred, label, axis, from_logits=False, smoothing=0.0, class_weight=None,
                  ignore_index=None, out=None, order=1):
    r"""Per-position cross-entropy and its derivative, for a softmax over ``axis``.

    With :math:`\log p = x - \operatorname{logsumexp}(x)` (or ``pred`` itself when
    ``from_logits``) and the target :math:`t` (``label`` one-hot at a sparse index, or the
    dense label; then smoothed, :math:`(1 - \varepsilon) t + \varepsilon / C`, and weighted,
    :math:`w_c t_c`):

    .. math::

        \ell = -\sum_c t_c \log p_c, \qquad
        \frac{\partial \ell}{\partial x_j} = p_j \sum_c t_c - t_j
        \quad\Bigl(\frac{\partial \ell}{\partial \log p_j} = -t_j \text{ when from\_logits}\Bigr)

    With ``order=2`` it also returns the Hessian's diagonal,
    :math:`\partial^2 \ell / \partial x_j^2 = p_j (1 - p_j) \sum_c t_c` (the full Hessian is
    :math:`(\operatorname{diag} p - p p^\top) \sum_c t_c`), and 0 when from_logits, where the
    loss is linear in its input.

    The loss keeps ``axis`` with size 1; positions whose sparse label is ``ignore_index``
    give 0 and a zero derivative. For sparse labels :math:`t` is never built: the index
    picks its one large entry. With ``out`` (pred's shape), the derivative is written there.
    """
    num_classes = pred.shape[axis]
    if from_logits:
        softmax = _Softmax(None, pred, None, None, None)
    else:
        # (the ufuncs' own reduce: np.max and np.sum add a wrapper's cost per block)
        top = np.maximum.reduce(pred, axis=axis, keepdims=True)
        prob = np.exp(pred - top, out=out)                 # exp(x - max), then the softmax:
        total = np.add.reduce(prob, axis=axis, keepdims=True)
        prob *= np.reciprocal(total)                       # (a product is cheaper)
        softmax = _Softmax(prob, None, pred, top, np.log(total))
    weights = None
    if class_weight is not None:
        shape = [1] * pred.ndim
        shape[axis] = num_classes
        weights = class_weight.astype(pred.dtype).reshape(shape)
    if label.shape == pred.shape:                          # dense: a distribution per position
        result = _dense_cross_entropy(softmax, label, axis, smoothing, weights, out, order)
    else:
        result = _sparse_cross_entropy(softmax, pred, label, axis, smoothing, class_weight,
                                       weights, ignore_index, out, order)
    return result if order == 2 else result[:2]


class _Softmax:
    """The softmax ``prob`` (None for log-probabilities in) and ``log p``: given, or
    ``(x - max) - log_z``, computed only where a formula needs it (all of it, or at the
    label), so that no array of ``pred``'s shape is made for it otherwise."""

    def __init__(self, prob, log_p, pred, top, log_z):
        self.prob, self.log_p, self.pred, self.top, self.log_z = prob, log_p, pred, top, log_z

    def full_log_p(self):
        return self.log_p if self.log_p is not None else (self.pred - self.top) - self.log_z

    def log_p_at(self, at_label):
        if self.log_p is not None:
            return at_label.take(self.log_p)
        return (at_label.take(self.pred) - self.top) - self.log_z


def _dense_cross_entropy(softmax, label, axis, smoothing, weights, out, order):
    num_classes = label.shape[axis]
    target = label
    if smoothing:
        target = (1 - smoothing) * target + smoothing / num_classes
    if weights is not None:
        target = target * weights
    loss = -np.sum(target * softmax.full_log_p(), axis=axis, keepdims=True)
    if softmax.prob is None:
        grad = np.negative(target, out=out)
        return loss, grad, (np.zeros_like(grad) if order == 2 else None)
    total_t = np.sum(target, axis=axis, keepdims=True)
    curvature = _curvature(softmax.prob, total_t) if order == 2 else None
    grad = softmax.prob                                    # p sum_c t_c - t
    grad *= total_t
    grad -= target
    return loss, grad, curvature


def _curvature(prob, total_t):
    # the Hessian's diagonal in the scores, p (1 - p) sum_c t_c (before prob becomes the gradient)
    return prob * (1 - prob) * total_t


def _sparse_cross_entropy(softmax, pred, label, axis, smoothing, class_weight, weights,
                          ignore_index, out, order):
    num_classes = pred.shape[axis]
    kept = label.shape[:axis] + (1,) + label.shape[axis:]    # the class axis, size 1
    keep = None
    if ignore_index is not None:                          # ignored positions read class 0
        keep = label != ignore_index
        label = np.where(keep, label, 0)
        keep = keep.reshape(kept)
    at_label = _AtLabel(label.reshape(kept), axis)
    hot = 1 - smoothing                                    # the target's mass at the label
    if class_weight is not None:
        hot = hot * class_weight.astype(pred.dtype)[at_label.index]
    loss = -hot * softmax.log_p_at(at_label)
    smooth = None
    if smoothing:
        smooth = smoothing / num_classes if weights is None else (smoothing / num_classes) * weights
        loss -= np.sum(smooth * softmax.full_log_p(), axis=axis, keepdims=True)
    curvature = None
    if softmax.prob is None:
        grad = np.zeros(pred.shape, dtype=pred.dtype) if out is None else out
        grad[...] = 0
        if order == 2:
            curvature = np.zeros_like(grad)
    else:
        total_t = hot                                      # sum_c t_c
        if smoothing:
            total_t = total_t + (smoothing if class_weight is None else
                                 smoothing / num_classes * float(np.sum(class_weight)))
        if order == 2:
            curvature = _curvature(softmax.prob, total_t)
        grad = softmax.prob                                # p sum_c t_c - t
        if not (np.isscalar(total_t) and total_t == 1):
            grad *= total_t
    if smooth is not None:
        grad -= smooth
    at_label.put(grad, at_label.take(grad) - hot)
    if keep is not None:
        loss *= keep
        grad *= keep
        if curvature is not None:
            curvature *= keep
    return loss.astype(pred.dtype, copy=False), grad, curvature


def _class_weight(who, name, value):
    if value is None:
        return None
    weights = checks.float_array(who, name, value)
    if weights.ndim != 1:
        raise ValueError(f"{who}: {name} must be 1-D (one weight per class), got shape "
                         f"{checks.shape_str(weights)}")
    checks.WEIGHTS.check_array(who, name, weights)
    weights = weights.copy()
    weights.setflags(write=False)
    return weights


def _check_class_weight(loss, pred):
    """class_weight must have one entry per class of ``pred``."""
    if loss.class_weight is None:
        return
    axis = loss.axis % pred.ndim
    if loss.class_weight.shape[0] != pred.shape[axis]:
        raise ValueError(f"{type(loss).__name__}: class_weight has {loss.class_weight.shape[0]} "
                         f"entries but pred of shape {checks.shape_str(pred)} has "
                         f"{pred.shape[axis]} classes on axis {loss.axis}")


def _weighted_positions(loss, inputs, shape):
    """PyTorch's ``'mean'`` denominator for cross-entropy: the sum of the class weights
    at the counted positions' labels (their number without ``class_weight``); positions
    labelled ``ignore_index`` do not count. Dense labels: every position counts 1."""
    label = inputs["label"]
    if not getattr(loss, "sparse_label", True):
        return math.prod(shape)
    if loss.ignore_index is not None:
        label = label[label != loss.ignore_index]
    if loss.class_weight is None:
        return label.size
    return float(np.sum(loss.class_weight[label]))          # an index, never a one-hot


def _per_position_shape(loss, inputs):
    """pred's shape with the class axis kept at size 1."""
    pred = inputs["pred"]
    shape = list(pred.shape)
    shape[loss.axis % pred.ndim] = 1
    return tuple(shape)


_AXIS = Hyperparameter(integer(), "The class axis.")
_CLASS_WEIGHT = Hyperparameter(_class_weight, "One weight per class (PyTorch's weight), or None.")
_IGNORE_INDEX = Hyperparameter(integer(none=True), "A sparse label whose positions count 0.")


# ------------------------------------------------------------------------------ losses
class SoftmaxCrossEntropyLoss(Loss):
    r"""Softmax cross-entropy over a class axis, fused for stability. Alias ``SoftmaxCELoss``.

    With ``from_logits=False`` (default) ``pred`` holds scores :math:`x` and
    :math:`\log p = x - \operatorname{logsumexp}(x)` is computed in one stable step. For a
    target distribution :math:`t` over the classes,

    .. math::

        \ell = -\sum_c t_c \log p_c, \qquad
        \frac{\partial \ell}{\partial x_j} = p_j \sum_c t_c - t_j
        \quad(= p_j - t_j \text{ when } \textstyle\sum_c t_c = 1),
        \qquad
        \frac{\partial^2 \ell}{\partial x_j^2} = p_j (1 - p_j) \sum_c t_c.

    The last is the diagonal of the Hessian
    :math:`(\operatorname{diag} p - p p^\top) \sum_c t_c` (``hess_diag``).

    With ``sparse_label=True`` (default) the label is a class index :math:`y` and
    :math:`t` is one-hot (never built: the index picks the term). With
    ``from_logits=True``, ``pred`` already holds :math:`\log p`, the gradient is
    :math:`-t` and the curvature 0. The formula is :func:`cross_entropy`'s.

    Parameters
    ----------
    axis : int, default -1
        The class axis.
    sparse_label : bool, default True
    from_logits : bool, default False
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).
    label_smoothing : float in [0, 1), default 0
        :math:`\varepsilon`: the target becomes :math:`(1 - \varepsilon)\,t + \varepsilon / C`
        (Szegedy et al., 2016).
    class_weight : array of shape (C,), finite and >= 0, or None
        :math:`w`: the target becomes :math:`w_c t_c`, as in PyTorch's
        ``CrossEntropyLoss(weight=...)`` with ``reduction='none'``.
    ignore_index : int or None
        Positions whose sparse label equals it give loss 0 and gradient 0.

    Inputs
    ------
    pred : e.g. ``(batch, C)`` or ``(batch, T, C)``.
    label : ``pred``'s shape without the class axis (sparse: integer-valued, in ``[0, C)``)
        or ``pred``'s shape (dense probabilities).
    sample_weight : broadcastable to ``pred``'s shape with the class axis of size 1, e.g.
        ``(batch, 1)``, or ``(batch,)``.

    Returns
    -------
    Shape ``(batch,)``: the mean over the non-batch axes of the per-position loss.

    Notes
    -----
    The last three parameters go beyond Gluon; their defaults leave Gluon's behaviour
    unchanged. The per-sample values are not renormalised by the class weights;
    ``reduction='mean'`` divides the sum over every position by the sum of the class
    weights at the positions' labels, ignored positions left out (PyTorch's ``'mean'``), so
    a batch of padded token sequences gives the mean loss per token. A class index out of
    range is an error (MXNet clips it).

    References
    ----------
    C. Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR 2016.

    >>> loss = SoftmaxCrossEntropyLoss()
    >>> np.round(loss(np.array([[1.0, 10.0], [8.0, 2.0]]), np.array([0, 1])), 6)
    array([9.000123, 6.002476])
    """

    inputs = (Pred("pred"), ClassLabel("label"), SAMPLE_WEIGHT)
    blocked = True
    in_place = True                     # (make bench: the softmax written into the gradient)
    axis = _AXIS
    sparse_label = Hyperparameter(boolean, "Labels are class indices (True) or distributions.")
    from_logits = Hyperparameter(boolean, "pred holds log-probabilities (True) or scores.")
    label_smoothing = Hyperparameter(real(Interval(0, 1, high_open=True)), "Smoothing epsilon.")
    class_weight = _CLASS_WEIGHT
    ignore_index = _IGNORE_INDEX

    def __init__(self, axis=-1, sparse_label=True, from_logits=False, weight=None,
                 batch_axis=0, label_smoothing=0.0, class_weight=None, ignore_index=None):
        super().__init__(weight, batch_axis)
        self.axis = axis
        self.sparse_label = sparse_label
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.class_weight = class_weight
        self.ignore_index = ignore_index

    def prepare(self, **call):
        inputs = super().prepare(**call)
        _check_class_weight(self, inputs["pred"])
        return inputs

    value_shape = _per_position_shape
    mean_denominator = _weighted_positions

    def value_and_derivative(self, pred, label, out=None, order=1):
        return cross_entropy(pred, label, self.axis % pred.ndim, self.from_logits,
                             self.label_smoothing, self.class_weight, self.ignore_index, out,
                             order)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


def _two_class_plot_inputs(x, label, config):
    """Two classes with scores [x, 0]: the loss along class 0's score ``x``.

    With ``from_logits`` the loss is fed log_softmax([x, 0]) and the derivative with
    respect to ``x`` is assembled by the chain rule (d log p_j / dx = [j = 0] - p_0), so the
    curve's slope is that of the drawn curve, not of the log-probability.
    """
    x = np.asarray(x, dtype=np.float64)
    scores = np.stack([x, np.zeros_like(x)], axis=-1)
    index = np.full(x.shape, int(label))
    if not config.get("sparse_label", True):
        index = np.stack([index == 0, index == 1], axis=-1).astype(np.float64)
    if not config.get("from_logits"):
        return (scores, index), {}, lambda grad: grad[:, 0]
    log_p = scores - np.logaddexp(scores[:, :1], scores[:, 1:])
    prob0 = np.exp(log_p[:, 0])
    return (log_p, index), {}, lambda grad: grad[:, 0] - prob0 * (grad[:, 0] + grad[:, 1])


register(Record(
    SoftmaxCrossEntropyLoss, "classification",
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


class NLLLoss(Loss):
    r"""Negative log-likelihood of log-probabilities: ``pred`` must come from a log-softmax.

    .. math::

        \ell = -w_y \log p_y, \qquad \frac{\partial \ell}{\partial \log p_j} = -w_y [j = y],
        \qquad \frac{\partial^2 \ell}{\partial (\log p_j)^2} = 0

    This is :class:`SoftmaxCrossEntropyLoss` with ``from_logits=True`` and sparse labels
    (:func:`cross_entropy`), with PyTorch's extras ``class_weight`` (PyTorch's ``weight``;
    here ``weight`` stays Gluon's global scalar) and ``ignore_index``.

    Parameters
    ----------
    axis : int, default -1
        The class axis.
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).
    class_weight : array of shape (C,) or None
    ignore_index : int or None

    Inputs
    ------
    pred : log-probabilities, e.g. ``(batch, C)``.
    label : class indices, ``pred``'s shape without the class axis.
    sample_weight : e.g. ``(batch, 1)`` or ``(batch,)``.

    Notes
    -----
    Feeding raw scores instead of log-probabilities is a silent wrong answer in most
    libraries: the "loss" can even be negative. NLLLoss checks that
    :math:`\sum_j e^{\mathrm{pred}_j} = 1` along the class axis (to 1e-3) and emits one
    :class:`NotLogProbabilitiesWarning` per loss object when it is not. Positions whose
    label is ``ignore_index`` are not checked: their rows are never read. Per-sample values
    are not renormalised by the class weights; ``reduction='mean'`` divides by the sum of
    the picked weights of the positions not ignored, as PyTorch's ``'mean'`` does.

    >>> log_p = np.log(np.array([[0.25, 0.75]]))
    >>> NLLLoss()(log_p, np.array([1]))  # -log 0.75
    array([0.28768207])
    """

    inputs = (Pred("pred"), ClassLabel("label"), SAMPLE_WEIGHT)
    blocked = True
    in_place = True
    axis = _AXIS
    class_weight = _CLASS_WEIGHT
    ignore_index = _IGNORE_INDEX

    def __init__(self, axis=-1, weight=None, batch_axis=0, class_weight=None, ignore_index=None):
        super().__init__(weight, batch_axis)
        self.axis = axis
        self.class_weight = class_weight
        self.ignore_index = ignore_index
        self._warned = False

    def prepare(self, **call):
        inputs = super().prepare(**call)
        pred, label = inputs["pred"], inputs["label"]
        _check_class_weight(self, pred)
        if not self._warned and pred.size:
            self._warn_unless_log_probabilities(pred, label)
        return inputs

    def _warn_unless_log_probabilities(self, pred, label):
        axis = self.axis % pred.ndim
        with np.errstate(over="ignore"):
            top = np.max(pred, axis=axis, keepdims=True)
            total = np.log(np.sum(np.exp(pred - top), axis=axis)) + np.squeeze(top, axis)
        if self.ignore_index is not None:
            # ignored positions (padding) are never read: their rows need not sum to 1
            total = np.where(label == self.ignore_index, 0.0, total)
        if np.any(np.abs(total) > 1e-3):
            self._warned = True
            worst = float(np.max(np.abs(total)))
            warnings.warn(
                f"NLLLoss: pred should hold log-probabilities (log_softmax output), but "
                f"exp(pred) sums to exp({worst:.4g}) != 1 along axis {self.axis} for some "
                f"rows. Apply log_softmax first, or use SoftmaxCrossEntropyLoss on raw scores.",
                NotLogProbabilitiesWarning, stacklevel=6)

    value_shape = _per_position_shape
    mean_denominator = _weighted_positions

    def value_and_derivative(self, pred, label, out=None, order=1):
        return cross_entropy(pred, label, self.axis % pred.ndim, from_logits=True,
                             class_weight=self.class_weight, ignore_index=self.ignore_index,
                             out=out, order=order)


register(Record(
    NLLLoss, "classification",
    configs=({"class_weight": [1.0, 2.0, 0.5, 1.5, 3.0]}, {"ignore_index": 0}),
    plot_domain=(-6.0, 6.0), plot_labels=(0, 1),
    plot_inputs=lambda x, label, config: _two_class_plot_inputs(x, label, {"from_logits": True}),
    x_label="score of class 0 before log_softmax",
    summary="negative log-likelihood of log-probabilities"))


class MulticlassHingeLoss(Loss):
    r"""Multiclass hinge loss, Weston-Watkins (default) or Crammer-Singer.

    For scores :math:`x` and true class :math:`y`, with margin :math:`m`:

    .. math::

        \text{Weston-Watkins:}\quad \ell = \sum_{j \ne y} \max(0, m + x_j - x_y)

        \text{Crammer-Singer:}\quad \ell = \max\bigl(0, m + \max_{j \ne y} x_j - x_y\bigr)

    Gradients: every active term adds :math:`+1` to :math:`x_j` and :math:`-1` to :math:`x_y`
    (subgradient 0 at a kink; Crammer-Singer sends its gradient to the first largest rival).
    The loss is piecewise linear: its curvature (``hess_diag``) is 0.

    Parameters
    ----------
    margin : float, default 1
    formulation : ``'weston_watkins'`` or ``'crammer_singer'``
    axis : int, default -1
        The class axis.
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Inputs
    ------
    pred : scores, e.g. ``(batch, C)``; label : class indices; sample_weight : as
    :class:`SoftmaxCrossEntropyLoss`.

    Notes
    -----
    PyTorch's ``MultiMarginLoss`` is the Weston-Watkins sum divided by the number of
    classes; lossbook does not divide.

    References
    ----------
    J. Weston, C. Watkins, "Support Vector Machines for Multi-Class Pattern Recognition",
    ESANN 1999. K. Crammer, Y. Singer, "On the Algorithmic Implementation of Multiclass
    Kernel-based Vector Machines", JMLR 2001.

    >>> MulticlassHingeLoss()(np.array([[2.0, 1.5, -1.0]]), np.array([0]))
    array([0.5])
    """

    inputs = (Pred("pred"), ClassLabel("label"), SAMPLE_WEIGHT)
    margin = Hyperparameter(real(), "Required lead of the true class's score.")
    formulation = Hyperparameter(one_of("weston_watkins", "crammer_singer"),
                                 "Sum over rivals (Weston-Watkins) or the worst rival.")
    axis = _AXIS

    def __init__(self, margin=1, formulation="weston_watkins", axis=-1, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.margin = margin
        self.formulation = formulation
        self.axis = axis

    value_shape = _per_position_shape

    def value_and_derivative(self, pred, label, order=1):
        loss, derivative = self._hinge(pred, label)
        if order == 1:
            return loss, derivative
        return loss, derivative, np.zeros_like(derivative)

    def _hinge(self, pred, label):
        axis = self.axis % pred.ndim
        index = np.expand_dims(label, axis)
        slack = self.margin + pred - np.take_along_axis(pred, index, axis)
        np.put_along_axis(slack, index, -np.inf, axis)        # the true class is no rival
        if self.formulation == "weston_watkins":
            active = slack > 0
            loss = np.sum(np.maximum(slack, 0), axis=axis, keepdims=True)   # NaN stays NaN
            derivative = active.astype(pred.dtype)
            count = np.sum(active, axis=axis, keepdims=True)
            np.put_along_axis(derivative, index, -count.astype(pred.dtype), axis)
            return loss.astype(pred.dtype, copy=False), derivative
        rival = np.expand_dims(np.argmax(slack, axis=axis), axis)
        worst = np.take_along_axis(slack, rival, axis)
        active = (worst > 0).astype(pred.dtype)
        derivative = np.zeros(pred.shape, dtype=pred.dtype)
        np.put_along_axis(derivative, rival, active, axis)
        np.put_along_axis(derivative, index, -active, axis)
        return np.maximum(worst, 0).astype(pred.dtype, copy=False), derivative


register(Record(
    MulticlassHingeLoss, "classification",
    params=(Param("margin", 1.0, 0.0, 3.0),
            Param("formulation", "weston_watkins", choices=("weston_watkins", "crammer_singer"))),
    configs=({"formulation": "crammer_singer"}, {"margin": 0.5}),
    plot_domain=(-4.0, 4.0), plot_labels=(0, 1), plot_inputs=_two_class_plot_inputs,
    x_label="score of class 0 (class 1 scores 0)", summary="multiclass SVM hinge"))


class _BrierLabel(Input):
    """BrierLoss's label: class indices or distributions with ``link='softmax'`` (as for the
    cross-entropy), else a binary label in [0, 1] of ``pred``'s size."""

    def check(self, loss, value, checked):
        if loss.link == "softmax":
            return ClassLabel(self.name).check(loss, value, checked)
        return Like(self.name, Interval(0, 1, what="a binary label or its probability")).check(
            loss, value, checked)


class BrierLoss(Loss):
    r"""The Brier score: the squared distance between the predicted distribution and the label's.

    ``link`` says what ``pred`` holds. For a binary label :math:`z \in [0, 1]`, with
    ``link='sigmoid'`` (default) a logit :math:`x` and :math:`p = \sigma(x)`:

    .. math::

        \ell = (p - z)^2, \qquad
        \frac{\partial \ell}{\partial x} = 2 (p - z)\, s, \qquad
        \frac{\partial^2 \ell}{\partial x^2} = 2 s \bigl( s + (p - z)(1 - 2p) \bigr),
        \qquad s = p (1 - p);

    with ``link='identity'`` the probability :math:`p` itself:
    :math:`\ell = (p - z)^2`, :math:`\partial \ell / \partial p = 2 (p - z)`,
    :math:`\partial^2 \ell / \partial p^2 = 2`. With ``link='softmax'``, scores :math:`x` over
    ``axis``, :math:`p = \operatorname{softmax}(x)` and the target :math:`t` (one-hot at a
    class index, or a distribution when ``sparse_label=False``), with the residual
    :math:`r = p - t` and its mean under :math:`p`, :math:`\bar r = \sum_c p_c r_c`:

    .. math::

        \ell = \sum_c (p_c - t_c)^2, \qquad
        \frac{\partial \ell}{\partial x_j} = 2 p_j (r_j - \bar r), \qquad
        \frac{\partial^2 \ell}{\partial x_j^2} = 2 p_j \Bigl( (1 - 2 p_j)(r_j - \bar r)
            + p_j \bigl(1 - 2 p_j + \textstyle\sum_c p_c^2\bigr) \Bigr).

    Parameters
    ----------
    link : ``'sigmoid'`` (default), ``'identity'`` or ``'softmax'``
        What ``pred`` holds: a logit, a probability, or scores over ``axis``.
    axis : int, default -1
        The class axis (``link='softmax'`` only).
    sparse_label : bool, default True
        Class indices (True) or distributions (``link='softmax'`` only).
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Inputs
    ------
    pred : any shape with a batch axis (binary); e.g. ``(batch, C)`` (``'softmax'``).
    label : binary: ``pred``'s number of elements, in :math:`[0, 1]`. ``'softmax'``: as
        for :class:`SoftmaxCrossEntropyLoss`.
    sample_weight : broadcastable to the per-element loss (the class axis of size 1 for
        ``'softmax'``), or ``(batch,)``.

    Returns
    -------
    Shape ``(batch,)``: the mean over the non-batch axes (positions, for ``'softmax'``).

    Notes
    -----
    The Brier score is a strictly proper scoring rule: its expectation over the label is
    smallest when :math:`p` is the label's true distribution, so it rewards calibrated
    probabilities, as the log loss does, but it charges at most 1 (2 for ``'softmax'``) for a
    confident mistake where the log loss is unbounded. The binary form is the mean of
    scikit-learn's ``brier_score_loss`` (which halves its two-column sum for two classes);
    the softmax form is its multiclass sum over classes, so with two classes it is twice
    the binary one. The sigmoid link's gradient carries a factor :math:`p(1-p)`: a
    confident mistake gets almost no gradient, unlike the cross-entropy's :math:`p - z`.

    References
    ----------
    G. W. Brier, "Verification of forecasts expressed in terms of probability", Monthly
    Weather Review 78(1), 1950. T. Gneiting, A. E. Raftery, "Strictly Proper Scoring Rules,
    Prediction, and Estimation", JASA 102(477), 2007.

    >>> BrierLoss(link="identity")(np.array([[0.9, 0.2]]), np.array([[1.0, 0.0]]))
    array([0.025])
    >>> BrierLoss()(np.array([[0.0]]), np.array([[1.0]]))        # (1/2 - 1)^2
    array([0.25])
    >>> np.round(BrierLoss(link="softmax")(np.zeros((1, 4)), np.array([2])), 6)   # 3/16 + 9/16
    array([0.75])
    """

    inputs = (Pred("pred", domain="pred_domain"), _BrierLabel("label"), SAMPLE_WEIGHT)
    blocked = True
    link = Hyperparameter(one_of("sigmoid", "identity", "softmax"),
                          "pred holds a logit, a probability, or scores over axis.")
    axis = _AXIS
    sparse_label = Hyperparameter(boolean, "Labels are class indices (True) or distributions.")

    def __init__(self, link="sigmoid", axis=-1, sparse_label=True, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.link = link
        self.axis = axis
        self.sparse_label = sparse_label

    @property
    def pred_domain(self):
        return Interval(0, 1, what="a probability, since link='identity'") \
            if self.link == "identity" else None

    def value_shape(self, inputs):
        if self.link == "softmax":
            return _per_position_shape(self, inputs)
        return inputs["pred"].shape

    def value_and_derivative(self, pred, label, order=1):
        if self.link == "softmax":
            return self._softmax(pred, label, order)
        if self.link == "identity":
            diff = pred - label
            if order == 1:
                return np.square(diff), 2 * diff
            return np.square(diff), 2 * diff, np.full_like(pred, 2)
        prob = sigmoid(pred)
        spread = logistic_curvature(pred)                   # s = p (1 - p) = dp/dx
        diff = prob - label
        if order == 1:
            return np.square(diff), 2 * diff * spread
        return np.square(diff), 2 * diff * spread, 2 * spread * (spread + diff * (1 - 2 * prob))

    def _softmax(self, pred, label, order):
        axis = self.axis % pred.ndim
        prob = softmax(pred, axis)
        if label.shape == pred.shape:                       # a distribution per position
            resid = prob - label
        else:                                               # r = p - one-hot, by index
            resid = prob.copy()
            at_label = _AtLabel(label.reshape(label.shape[:axis] + (1,) + label.shape[axis:]),
                                axis)
            at_label.put(resid, at_label.take(resid) - 1)
        value = np.sum(np.square(resid), axis=axis, keepdims=True)
        centred = resid - np.sum(prob * resid, axis=axis, keepdims=True)     # r - r_bar
        if order == 1:
            return value, 2 * prob * centred
        power = np.sum(np.square(prob), axis=axis, keepdims=True)
        curvature = 2 * prob * ((1 - 2 * prob) * centred + prob * (1 - 2 * prob + power))
        return value, 2 * prob * centred, curvature


def _brier_plot_inputs(x, label, config):
    """The loss along a logit ``x`` for a binary label (1: the positive class): the logit
    itself (sigmoid), its probability (identity: the slope by the chain rule), or the
    scores ``[x, 0]`` of two classes (softmax: class 0 is the positive one)."""
    link = config.get("link", "sigmoid")
    if link == "sigmoid":
        return elementwise_plot_inputs(x, label, config)
    x = np.asarray(x, dtype=np.float64)
    if link == "identity":
        (pred, target), kwargs, _ = elementwise_plot_inputs(sigmoid(x), label, config)
        return (pred, target), kwargs, lambda grad: grad[:, 0] * logistic_curvature(x)
    scores = np.stack([x, np.zeros_like(x)], axis=-1)
    if config.get("sparse_label", True):
        target = np.full(x.shape, 0 if label == 1 else 1)
    else:
        target = np.stack([np.full_like(x, label), np.full_like(x, 1 - label)], axis=-1)
    return (scores, target), {}, lambda grad: grad[:, 0]


register(Record(
    BrierLoss, "classification",
    params=(Param("link", "sigmoid", choices=("sigmoid", "identity", "softmax")),),
    configs=({"link": "identity"}, {"link": "softmax"},
             {"link": "softmax", "sparse_label": False}),
    plot_domain=(-6.0, 6.0), plot_labels=(1.0, 0.0), plot_inputs=_brier_plot_inputs,
    x_label="logit", summary="squared error of the predicted probabilities: a proper score"))
