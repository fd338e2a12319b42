r"""Overlap losses for masks: Dice (Milletari et al. 2016) and Tversky (Salehi et al. 2017).

A segmentation model scores every pixel (or voxel) of an image; binary cross-entropy
then averages one term per pixel, so on a small object the background's many easy pixels
outvote the object's few. An overlap loss scores the whole mask of a sample at once: it
compares the soft intersection :math:`\sum_k p_k y_k` of the predicted probabilities
:math:`p` and the label mask :math:`y` with their sizes, so a missed object costs nearly
the whole loss however few pixels it covers.

Each sample is one mask: every axis but the batch axis (pixels, and the classes of a
multi-label mask, summed together). ``pred`` holds logits and :math:`p = \sigma(\mathrm{pred})`
unless ``from_sigmoid=True``; the gradient is taken through the sigmoid, with
:math:`\sigma' = p(1 - p)`.

References
----------
F. Milletari, N. Navab, S.-A. Ahmadi, "V-Net: Fully Convolutional Neural Networks for
Volumetric Medical Image Segmentation", 3DV 2016. S. S. M. Salehi, D. Erdogmus,
A. Gholipour, "Tversky loss function for image segmentation using 3D fully convolutional
deep networks", MLMI 2017.
"""
import numpy as np

from . import checks
from .base import Hyperparameter, Loss, boolean, real
from .checks import SAMPLE_WEIGHT, Interval, Like, Pred
from .embedding import _per_sample_shape
from .registry import Param, Record, register

__all__ = ["DiceLoss", "TverskyLoss"]

_SMOOTH = Hyperparameter(real(checks.NONNEGATIVE),
                         "Added to numerator and denominator: an empty mask scores 1.")
_FROM_SIGMOID = Hyperparameter(boolean, "pred holds probabilities (True) or logits (False).")


class _Overlap(Loss):
    """What Dice and Tversky share: the inputs, one value per sample, and the sigmoid."""

    inputs = (Pred("pred", domain="pred_domain"), Like("label", checks.UNIT), SAMPLE_WEIGHT)
    blocked = True
    in_place = True                     # (make bench: the derivative written into the gradient)

    @property
    def pred_domain(self):
        return Interval(0, 1, what="a probability, since from_sigmoid=True") \
            if self.from_sigmoid else None

    value_shape = _per_sample_shape          # one value per sample (its whole mask)

    def _sums(self, pred, label):
        """``(sum p y, sum p, sum y, slope)``: each sample's soft overlap and sizes, and
        the derivative of :math:`p` with respect to ``pred`` (1 for probabilities in)."""
        batch_axis = self.batch_axis % pred.ndim
        axes = tuple(i for i in range(pred.ndim) if i != batch_axis)
        size_y = np.sum(label, axis=axes, keepdims=True)
        if self.from_sigmoid:
            return (np.sum(pred * label, axis=axes, keepdims=True),
                    np.sum(pred, axis=axes, keepdims=True), size_y, 1.0)
        # p = sigma(x) = (1 + t) / 2 with t = tanh(x / 2), no exponential of a large
        # number; so sum p y = (sum y + sum t y) / 2 and sum p = (n + sum t) / 2, and
        # sigma'(x) = p (1 - p) = (1 - t^2) / 4
        t = np.tanh(pred * 0.5)
        overlap = (size_y + np.sum(t * label, axis=axes, keepdims=True)) / 2
        size_p = (t.size // t.shape[batch_axis] + np.sum(t, axis=axes, keepdims=True)) / 2
        slope = np.square(t, out=t)                 # (written over t, no longer needed)
        slope -= 1
        slope *= -0.25
        return overlap, size_p, size_y, slope


class DiceLoss(_Overlap):
    r"""One minus the soft Dice coefficient of each sample's mask (Milletari et al. 2016).

    With :math:`p = \sigma(\mathrm{pred})` (or ``pred`` itself when ``from_sigmoid``), the
    label mask :math:`y \in [0, 1]`, sums over every non-batch axis and the smoothing
    :math:`s`:

    .. math::

        \ell = 1 - \frac{2 \sum_k p_k y_k + s}{\sum_k p_k + \sum_k y_k + s}, \qquad
        \frac{\partial \ell}{\partial p_k} = \frac{2 \sum p y + s}{(\sum p + \sum y + s)^2}
            - \frac{2 y_k}{\sum p + \sum y + s},

    times :math:`p_k (1 - p_k)` for logits. The first term pushes every pixel down by the
    same amount, the second pulls the object's pixels up, by :math:`2 / (\sum p + \sum y + s)`:
    the smaller the object, the larger the pull on each of its pixels.

    Parameters
    ----------
    smooth : float >= 0, default 1
        :math:`s`. It keeps an empty label and an empty prediction finite (loss 0 rather
        than 0 / 0) and softens the loss on tiny masks. (Milletari's V-Net has no
        smoothing and squares :math:`p` and :math:`y` in the denominator; this is the
        common linear form, also Keras 3.15.1's ``dice``, with :math:`s = 0` and its
        epsilon in the denominator.)
    from_sigmoid : bool, default False
        Whether ``pred`` holds probabilities in :math:`[0, 1]` rather than logits.
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Inputs
    ------
    pred : logits (or probabilities), any shape with a batch axis, e.g.
        ``(batch, H, W)`` or ``(batch, classes, H, W)``.
    label : masks in :math:`[0, 1]`, ``pred``'s number of elements.
    sample_weight : ``(batch,)`` or ``(batch, 1)``: one weight per sample.

    Returns
    -------
    Shape ``(batch,)``, in :math:`[0, 1]`, the dtype of ``pred``.

    Notes
    -----
    The sigmoid is computed as :math:`(1 + \tanh(x / 2)) / 2`, finite for every logit.
    For a multi-label mask the classes are summed together, so a large class dominates;
    for one Dice score per class, give each class its own sample (move the class axis
    into the batch) and average.

    References
    ----------
    F. Milletari, N. Navab, S.-A. Ahmadi, "V-Net: Fully Convolutional Neural Networks for
    Volumetric Medical Image Segmentation", 3DV 2016, eq. 1.

    >>> mask = np.array([[1.0, 1.0, 0.0, 0.0]])
    >>> DiceLoss(smooth=0.0, from_sigmoid=True)(np.array([[1.0, 0.0, 0.0, 0.0]]), mask)
    array([0.33333333])
    """

    smooth = _SMOOTH
    from_sigmoid = _FROM_SIGMOID

    def __init__(self, smooth=1.0, from_sigmoid=False, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.smooth = smooth
        self.from_sigmoid = from_sigmoid

    def value_and_derivative(self, pred, label, out=None):
        overlap, size_p, size_y, slope = self._sums(pred, label)
        numerator = 2 * overlap + self.smooth
        denominator = size_p + size_y + self.smooth
        pull = 2 / denominator
        derivative = np.multiply(label, -pull, out=out)
        derivative += numerator / np.square(denominator)
        derivative *= slope
        return 1 - numerator / denominator, derivative


class TverskyLoss(_Overlap):
    r"""One minus the Tversky index: Dice with false positives and false negatives weighed apart.

    With :math:`p`, :math:`y` as in :class:`DiceLoss`, the soft true positives
    :math:`TP = \sum p y`, false positives :math:`FP = \sum p (1 - y)` and false negatives
    :math:`FN = \sum (1 - p) y` of each sample,

    .. math::

        \ell = 1 - \frac{TP + s}{TP + \alpha\,FP + \beta\,FN + s},

    .. math::

        \frac{\partial \ell}{\partial p_k} = \frac{(TP + s)\bigl((1 - \alpha - \beta) y_k
            + \alpha\bigr)}{D^2} - \frac{y_k}{D}, \qquad D = TP + \alpha FP + \beta FN + s,

    times :math:`p_k (1 - p_k)` for logits. A larger :math:`\beta` makes a missed object
    pixel cost more than a false alarm: it trades precision for recall (Salehi et al.
    used :math:`\alpha = 0.3, \beta = 0.7`).

    Parameters
    ----------
    alpha : float >= 0, default 0.5
        Weight of the false positives.
    beta : float >= 0, default 0.5
        Weight of the false negatives.
    smooth : float >= 0, default 1
    from_sigmoid : bool, default False
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Inputs
    ------
    As :class:`DiceLoss`.

    Returns
    -------
    Shape ``(batch,)``, the dtype of ``pred``.

    Notes
    -----
    With :math:`\alpha = \beta = \tfrac12` the index is
    :math:`(2 TP + 2s) / (\sum p + \sum y + 2s)`: :class:`DiceLoss` with twice the
    smoothing. Salehi et al. put :math:`\alpha` on the false positives and :math:`\beta` on
    the false negatives, as here. Keras 3.15.1's ``tversky``
    (``keras/src/losses/losses.py``) multiplies ``alpha`` by
    ``sum((1 - y_pred) * y_true)``, the false negatives, although its docstring says that
    ``alpha`` controls the false positives; so Keras's ``alpha`` is lossbook's ``beta``.

    References
    ----------
    S. S. M. Salehi, D. Erdogmus, A. Gholipour, "Tversky loss function for image
    segmentation using 3D fully convolutional deep networks", MLMI 2017, eq. 3.

    >>> mask = np.array([[1.0, 1.0, 0.0, 0.0]])
    >>> half = np.array([[1.0, 0.0, 1.0, 0.0]])      # TP = FP = FN = 1
    >>> TverskyLoss(alpha=0.3, beta=0.7, smooth=0.0, from_sigmoid=True)(half, mask)
    array([0.5])
    """

    alpha = Hyperparameter(real(checks.NONNEGATIVE), "Weight of the false positives.")
    beta = Hyperparameter(real(checks.NONNEGATIVE), "Weight of the false negatives.")
    smooth = _SMOOTH
    from_sigmoid = _FROM_SIGMOID

    def __init__(self, alpha=0.5, beta=0.5, smooth=1.0, from_sigmoid=False, weight=None,
                 batch_axis=0):
        super().__init__(weight, batch_axis)
        self.alpha = alpha
        self.beta = beta
        self.smooth = smooth
        self.from_sigmoid = from_sigmoid

    def value_and_derivative(self, pred, label, out=None):
        alpha, beta = self.alpha, self.beta
        tp, size_p, size_y, slope = self._sums(pred, label)
        numerator = tp + self.smooth
        # TP + alpha (sum p - TP) + beta (sum y - TP) + s
        denominator = (1 - alpha - beta) * tp + alpha * size_p + beta * size_y + self.smooth
        ratio = numerator / np.square(denominator)
        derivative = np.multiply(label, (1 - alpha - beta) * ratio - 1 / denominator, out=out)
        derivative += alpha * ratio
        derivative *= slope
        return 1 - numerator / denominator, derivative


def _overlap_plot_inputs(x, label, config):
    """One-pixel masks: ``pred`` along ``x`` against a label pixel of ``label``."""
    pred = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    return (pred, np.full_like(pred, label)), {}, lambda grad: grad[:, 0]


def _tversky_plot_inputs(x, label, config):
    """Two-pixel masks (1, 0): the object pixel's logit along ``x``, the background
    pixel's fixed at ``label``, so that a false negative (the object pixel's miss) and a
    false positive (the background pixel's probability) are both present."""
    pred = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    pred = np.concatenate([pred, np.full_like(pred, label)], axis=1)
    mask = np.tile([1.0, 0.0], (pred.shape[0], 1))
    return (pred, mask), {}, lambda grad: grad[:, 0]


register(Record(
    DiceLoss, "classification",
    params=(Param("smooth", 1.0, 0.0, 3.0, doc="added to numerator and denominator"),),
    configs=({"smooth": 0.0}, {"from_sigmoid": True}),
    plot_domain=(-6.0, 6.0), plot_labels=(1.0, 0.0), plot_inputs=_overlap_plot_inputs,
    x_label="logit of a one-pixel mask",
    summary="segmentation: one minus the soft Dice overlap of each mask"))

register(Record(
    TverskyLoss, "classification",
    params=(Param("alpha", 0.5, 0.0, 1.0, doc="weight of the false positives"),
            Param("beta", 0.5, 0.0, 1.0, doc="weight of the false negatives")),
    configs=({"alpha": 0.3, "beta": 0.7}, {"alpha": 0.9, "beta": 0.1, "smooth": 0.0},
             {"from_sigmoid": True}),
    plot_domain=(-6.0, 6.0), plot_labels=(0.0,), plot_inputs=_tversky_plot_inputs,
    x_label="logit of the object pixel of a mask (1, 0); the other pixel's at the label",
    summary="segmentation: Dice with false positives and negatives weighed apart"))
