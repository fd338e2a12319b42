r"""Embedding losses: compare vectors with each other rather than a prediction with a label.

Each sample is a vector: every axis except the batch axis. TripletLoss, TripletMarginLoss,
CosineEmbeddingLoss and ContrastiveLoss return one value per sample directly (there is nothing left to average);
MarginRankingLoss compares scores element by element and takes the mean over the non-batch
axes like the regression losses. Every input that is a float vector receives a gradient,
returned as a tuple in argument order.
"""
import numpy as np

from . import checks
from .base import Hyperparameter, Loss, boolean, real
from .checks import SAMPLE_WEIGHT, Like, Pred, SampleLabel
from .registry import Param, Record, register

__all__ = ["TripletLoss", "TripletMarginLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
           "ContrastiveLoss"]

# Gluon's floor on |x| |y| in the cosine similarity.
_COSINE_EPS = 1e-12


def _vector_axes(loss, array):
    """The axes of a sample's vector: every axis of ``array`` but the batch axis."""
    axis = loss.batch_axis % array.ndim
    return tuple(i for i in range(array.ndim) if i != axis)


def _per_sample_shape(loss, inputs):
    """One value per sample, laid along the batch axis of the main input."""
    main = next(iter(inputs.values()))
    shape = [1] * main.ndim
    axis = loss.batch_axis % main.ndim
    shape[axis] = main.shape[axis]
    return tuple(shape)


def _kept(value, array, loss):
    """A per-sample array (batch,) shaped to broadcast over ``array``'s samples."""
    shape = [1] * array.ndim
    axis = loss.batch_axis % array.ndim
    shape[axis] = array.shape[axis]
    return value.reshape(shape)


class TripletLoss(Loss):
    r"""Pull ``pred`` (the anchor) toward ``positive`` and push it from ``negative`` by a margin.

    With :math:`s` the difference of squared Euclidean distances over a sample's vector,

    .. math::

        s = \lVert a - p \rVert^2 - \lVert a - n \rVert^2, \qquad
        \ell(a, p, n) = \max(s + m, 0),

    .. math::

        \frac{\partial \ell}{\partial a} = 2(n - p)\,[s + m > 0], \quad
        \frac{\partial \ell}{\partial p} = 2(p - a)\,[s + m > 0], \quad
        \frac{\partial \ell}{\partial n} = -2(n - a)\,[s + m > 0],

    where :math:`a` is ``pred``, :math:`p` ``positive``, :math:`n` ``negative`` and
    :math:`m` the margin (Schroff, Kalenichenko & Philbin 2015). At the kink
    :math:`s + m = 0` the subgradient is 0 (``relu'(0) = 0``).

    Parameters
    ----------
    margin : float, default 1
        Required gap between the two squared distances.
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`); every axis but the batch axis belongs
        to the embedding vector.

    Inputs
    ------
    ``pred`` of any shape with a batch axis; ``positive`` and ``negative`` with the
    same number of elements (reshaped to ``pred``'s shape, as Gluon's ``_reshape_like``);
    ``sample_weight`` of shape ``(batch,)`` or ``(batch, 1)``.

    Returns
    -------
    shape ``(batch,)``, one value per sample (no further mean), the dtype of
    ``pred``. ``grad`` returns ``(d_pred, d_positive, d_negative)``, each of ``pred``'s shape.

    Notes
    -----
    The distances are *squared*, as in Gluon; PyTorch's ``TripletMarginLoss`` uses plain
    (non-squared) p-norm distances, so the two losses differ. In MXNet 1.9.1
    ``TripletLoss.hybrid_forward`` takes only ``(pred, positive, negative)``, so a
    ``sample_weight`` there is a TypeError (MXNet 2.x accepts one); lossbook
    accepts one like every other loss and applies it to the per-sample value.

    References
    ----------
    F. Schroff, D. Kalenichenko, J. Philbin, "FaceNet: A Unified Embedding for Face
    Recognition and Clustering", CVPR 2015.

    >>> TripletLoss(margin=1)(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]]))
    array([0.])
    >>> TripletLoss(margin=1)(np.array([[0.0, 0.0]]), np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]]))
    array([2.])
    """

    inputs = (Pred("pred"), Like("positive", grad=True), Like("negative", grad=True),
              SAMPLE_WEIGHT)
    blocked = True
    margin = Hyperparameter(real(), "Required gap between the two squared distances.")

    def __init__(self, margin=1, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.margin = margin

    value_shape = _per_sample_shape

    def value_and_derivative(self, pred, positive, negative):
        to_positive = positive - pred
        to_negative = negative - pred
        # |a - p|^2 - |a - n|^2 = (p - n) . (p + n - 2a): finite where both distances overflow
        s = np.sum((to_positive - to_negative) * (to_positive + to_negative),
                   axis=_vector_axes(self, pred), keepdims=True)
        active = (s + self.margin > 0).astype(pred.dtype)     # relu'(0) = 0
        d_positive = 2 * active * to_positive
        d_negative = -2 * active * to_negative
        loss = np.maximum(s + self.margin, 0).reshape(-1)
        return loss, (-(d_positive + d_negative), d_positive, d_negative)


def _triplet_plot_inputs(x, label, config):
    """1-D embeddings: the anchor at ``x``, the positive at 0, the negative at ``label``."""
    pred = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    return ((pred, np.zeros_like(pred), np.full_like(pred, label)), {},
            lambda grad: grad[0][:, 0])


register(Record(
    TripletLoss, "embedding",
    params=(Param("margin", 1.0, 0.0, 3.0, doc="gap between the squared distances"),),
    configs=({"margin": 0.0}, {"margin": 2.5}),
    plot_domain=(-2.0, 3.0), plot_labels=(1.0,), plot_inputs=_triplet_plot_inputs,
    x_label="anchor position (1-D; positive at 0, negative at the label value)",
    summary="anchor nearer the positive than the negative, by a margin"))


def _p_distance(diff, axes, p):
    r""":math:`\lVert x \rVert_p` over ``axes`` and its gradient :math:`\partial/\partial x`.

    Measured as :math:`m \lVert x / m \rVert_p` with :math:`m = \max |x|`, so that no
    power overflows; the gradient is :math:`\operatorname{sign}(x) (|x| / d)^{p - 1}`, and 0
    where :math:`d = 0` (PyTorch's ``norm`` backward does the same).
    """
    size = np.abs(diff)
    top = np.max(size, axis=axes, keepdims=True)
    safe_top = np.where(top == 0, 1, top)                  # (NaN stays NaN)
    if p == 2:
        dist = safe_top * np.sqrt(np.sum(np.square(size / safe_top), axis=axes, keepdims=True))
    elif p == 1:
        dist = np.sum(size, axis=axes, keepdims=True)
    else:
        dist = safe_top * np.sum((size / safe_top) ** p, axis=axes, keepdims=True) ** (1 / p)
    dist = np.where(top == 0, 0, dist).astype(diff.dtype, copy=False)
    safe = np.where(dist > 0, dist, 1)
    if p == 2:
        grad = diff / safe
    elif p == 1:
        grad = np.sign(diff)
    else:
        grad = np.sign(diff) * (size / safe) ** (p - 1)
    return dist, np.where(dist > 0, grad, 0).astype(diff.dtype, copy=False)


class TripletMarginLoss(Loss):
    r"""PyTorch's triplet loss: plain p-norm distances, ``eps`` inside the norm, and the swap.

    With :math:`d(x, y) = \lVert x - y + \epsilon \rVert_p` over a sample's vector (the
    :math:`\epsilon` added to every entry of the difference, as ``torch.pairwise_distance``
    does), :math:`a` ``pred`` (the anchor), :math:`p` ``positive``, :math:`n` ``negative``:

    .. math::

        \ell = \max\bigl(d(a, p) - d_- + m,\ 0\bigr), \qquad
        d_- = d(a, n), \ \text{or } \min\bigl(d(a, n), d(p, n)\bigr) \text{ with swap},

    .. math::

        \frac{\partial d(x, y)}{\partial x} = \operatorname{sign}(r)
            \Bigl(\frac{|r|}{d(x, y)}\Bigr)^{p-1}, \quad r = x - y + \epsilon,
        \qquad \frac{\partial d(x, y)}{\partial y} = -\frac{\partial d(x, y)}{\partial x},

    and the hinge passes :math:`\partial d(a, p) - \partial d_-` where it is positive.
    The swap (Balntas et al. 2016) measures the negative from whichever of the anchor and
    the positive is nearer to it; at a tie the gradient is split half and half between the
    two distances, as ``torch.minimum`` does.

    Parameters
    ----------
    margin : float > 0, default 1
        PyTorch refuses a margin of 0 or below; so does lossbook.
    p : float >= 1, default 2
        The norm's degree (1: Manhattan, 2: Euclidean).
    eps : float >= 0, default 1e-6
        Added to the difference, so that equal vectors have a distance of about
        :math:`\epsilon\, D^{1/p}` rather than exactly 0.
    swap : bool, default False
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`); every axis but the batch axis belongs
        to the embedding vector.

    Inputs
    ------
    As :class:`TripletLoss`: ``pred``, ``positive``, ``negative`` with the same number of
    elements; ``sample_weight`` of shape ``(batch,)`` or ``(batch, 1)``.

    Returns
    -------
    shape ``(batch,)``; ``grad`` returns ``(d_pred, d_positive, d_negative)``.

    Notes
    -----
    Against :class:`TripletLoss` (Gluon's): the distances are not squared, so the margin
    is in units of distance and the gradient of each distance is a unit vector (for
    :math:`p = 2`) whatever the distance. For inputs of two axes this is
    ``torch.nn.TripletMarginLoss(margin, p, eps, swap, reduction='none')``; for more axes
    PyTorch measures along the last axis only, lossbook along every non-batch axis. At the
    hinge's kink the subgradient is 0 (``relu'(0) = 0``); PyTorch's ``clamp_min`` passes
    the gradient there. :math:`p < 1` is refused (not a norm).

    References
    ----------
    V. Balntas, E. Riba, D. Ponsa, K. Mikolajczyk, "Learning local feature descriptors with
    triplets and shallow convolutional neural networks", BMVC 2016.
    ``torch.nn.functional.triplet_margin_loss`` (PyTorch 2.13).

    >>> loss = TripletMarginLoss(margin=1.0, eps=0.0)
    >>> loss(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]), np.array([[0.0, 2.0]]))
    array([4.])
    """

    inputs = (Pred("pred"), Like("positive", grad=True), Like("negative", grad=True),
              SAMPLE_WEIGHT)
    blocked = True
    margin = Hyperparameter(real(checks.POSITIVE), "Required gap between the two distances.")
    p = Hyperparameter(real(checks.Interval(1)), "The norm's degree.")
    eps = Hyperparameter(real(checks.NONNEGATIVE), "Added to each entry of the difference.")
    swap = Hyperparameter(boolean, "Measure the negative from the nearer of anchor and positive.")

    def __init__(self, margin=1.0, p=2, eps=1e-6, swap=False, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    value_shape = _per_sample_shape

    def value_and_derivative(self, pred, positive, negative):
        axes = _vector_axes(self, pred)
        d_pos, g_pos = _p_distance(pred - positive + self.eps, axes, self.p)     # d / d anchor
        d_neg, g_neg = _p_distance(pred - negative + self.eps, axes, self.p)
        if self.swap:
            d_swap, g_swap = _p_distance(positive - negative + self.eps, axes, self.p)
            # the share of d(a, n) in min(d(a, n), d(p, n)): 1, 0, or 1/2 at a tie
            share = np.where(d_neg < d_swap, 1.0, np.where(d_neg > d_swap, 0.0, 0.5))
            share = share.astype(pred.dtype, copy=False)
            d_neg = np.minimum(d_neg, d_swap)
        slack = d_pos - d_neg + self.margin
        active = (slack > 0).astype(pred.dtype)            # relu'(0) = 0
        loss = np.maximum(slack, 0).reshape(-1)
        if not self.swap:
            return loss, (active * (g_pos - g_neg), -active * g_pos, active * g_neg)
        away_a, away_p = share * g_neg, (1 - share) * g_swap
        return loss, (active * (g_pos - away_a), -active * (g_pos + away_p),
                      active * (away_a + away_p))


register(Record(
    TripletMarginLoss, "embedding",
    params=(Param("margin", 1.0, 0.1, 3.0, doc="gap between the two distances"),
            Param("p", 2.0, 1.0, 3.0, doc="the norm's degree"),
            Param("swap", False, choices=(False, True), doc="the distance swap")),
    configs=({"p": 1.0}, {"p": 3.0, "margin": 0.5}, {"swap": True}, {"eps": 0.0}),
    plot_domain=(-2.0, 3.0), plot_labels=(1.0,), plot_inputs=_triplet_plot_inputs,
    x_label="anchor position (1-D; positive at 0, negative at the label value)",
    summary="PyTorch's triplet loss: p-norm distances, not squared"))


class CosineEmbeddingLoss(Loss):
    r"""Cosine similarity pushed to 1 for similar pairs and below ``margin`` for dissimilar ones.

    With :math:`c = \langle x, y\rangle / \max(\lVert x\rVert \lVert y\rVert, 10^{-12})`
    over each sample's vector,

    .. math::

        \ell(x, y, t) = \begin{cases} 1 - c & t = 1 \\ \max(0, c - m) & t = -1 \end{cases},
        \qquad
        \frac{\partial \ell}{\partial x} = \begin{cases} -\partial c/\partial x & t = 1 \\
                       [c > m]\, \partial c/\partial x & t = -1 \end{cases}

    .. math::

        \frac{\partial c}{\partial x} = \frac{y}{\lVert x\rVert \lVert y\rVert}
            - c\,\frac{x}{\lVert x\rVert^2}
        \quad\text{if } \lVert x\rVert \lVert y\rVert > 10^{-12}, \qquad
        \frac{\partial c}{\partial x} = \frac{y}{10^{-12}} \quad\text{otherwise},

    and symmetrically for :math:`y`. The clamped branch is the derivative of the clamped
    formula (the denominator is then the constant :math:`10^{-12}`), so a zero vector gives
    a finite gradient and never divides by :math:`\lVert x\rVert^2 = 0`.

    Parameters
    ----------
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).
    margin : float, default 0
        Dissimilar pairs are penalised only while their cosine exceeds ``margin``.

    Inputs
    ------
    ``input1`` of any shape with a batch axis; ``input2`` with the same number of
    elements; ``label`` with one value per sample, each 1 (similar) or -1 (dissimilar);
    ``sample_weight`` of shape ``(batch,)`` or ``(batch, 1)``.

    Returns
    -------
    shape ``(batch,)``, the dtype of ``input1``. ``grad`` returns
    ``(d_input1, d_input2)``.

    Notes
    -----
    Departures from MXNet 1.9.1, deliberate: the vector of a sample is every non-batch axis
    (Gluon takes the cosine along the last axis and reshapes the result to ``(-1, 1)``; for
    2-D inputs with ``batch_axis=0`` the two agree); the result has shape ``(batch,)``
    (MXNet: ``(batch, 1)``); a label other than 1 or -1 is an error (MXNet silently gives
    0); float64 works (MXNet 1.9.1 builds its constants 0 and :math:`10^{-12}` as float32
    arrays, which its broadcast operators do not combine with float64 inputs).
    PyTorch's ``CosineEmbeddingLoss`` adds its epsilon to the squared norms instead of
    clamping the product, so the two agree only away from zero vectors. No rescaling is
    done: in float32, vectors with entries beyond about :math:`10^{19}` overflow
    :math:`\lVert x\rVert^2`.

    >>> CosineEmbeddingLoss()(np.array([[1.0, 0.0], [1.0, 1.0]]),
    ...                       np.array([[0.0, 2.0], [2.0, 2.0]]), np.array([1, -1]))
    array([1., 1.])
    """

    inputs = (Pred("input1"), Like("input2", grad=True),
              SampleLabel("label", checks.Values((1, -1), nan=False)), SAMPLE_WEIGHT)
    blocked = True
    margin = Hyperparameter(real(), "Cosine below which dissimilar pairs cost nothing.")

    def __init__(self, weight=None, batch_axis=0, margin=0):
        super().__init__(weight, batch_axis)
        self.margin = margin

    value_shape = _per_sample_shape

    def value_and_derivative(self, input1, input2, label):
        x, y = input1, input2
        others = _vector_axes(self, x)
        similar = _kept(label, x, self) == 1
        dot = np.sum(x * y, axis=others, keepdims=True)
        x_sq = np.sum(np.square(x), axis=others, keepdims=True)
        y_sq = np.sum(np.square(y), axis=others, keepdims=True)
        norms = np.sqrt(x_sq) * np.sqrt(y_sq)
        clamped = norms <= _COSINE_EPS               # NaN norms stay on the unclamped branch
        den = np.where(clamped, np.asarray(_COSINE_EPS, dtype=x.dtype), norms)
        cos = dot / den
        above = cos - self.margin
        loss = np.where(similar, 1 - cos, np.maximum(above, 0)).reshape(-1)
        # d loss / d cos: -1 for similar pairs, [cos > margin] for dissimilar ones; on the
        # clamped branch the norms are not used: no division by |x|^2 = 0
        d_cos = np.where(similar, -1, (above > 0).astype(x.dtype)).astype(x.dtype, copy=False)
        cos_kept = np.where(clamped, 0, cos)
        inv_x_sq = 1 / np.where(clamped, 1, x_sq)
        inv_y_sq = 1 / np.where(clamped, 1, y_sq)
        d_input1 = d_cos * (y / den - (cos_kept * inv_x_sq) * x)
        d_input2 = d_cos * (x / den - (cos_kept * inv_y_sq) * y)
        return loss, (d_input1, d_input2)


def _cosine_plot_inputs(x, label, config):
    """2-D unit vectors: input1 at angle ``x`` (radians) from input2 = (1, 0)."""
    theta = np.asarray(x, dtype=np.float64).reshape(-1)
    input1 = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    input2 = np.tile([1.0, 0.0], (theta.size, 1))
    labels = np.full(theta.size, label)
    # d loss / d theta = grad_input1 . d input1 / d theta = grad . (-sin, cos)
    pick = lambda grad: -grad[0][:, 0] * np.sin(theta) + grad[0][:, 1] * np.cos(theta)
    return (input1, input2, labels), {}, pick


register(Record(
    CosineEmbeddingLoss, "embedding",
    params=(Param("margin", 0.0, -1.0, 1.0, doc="cosine below which dissimilar pairs cost nothing"),),
    configs=({"margin": 0.5}, {"margin": -0.3}),
    plot_domain=(-np.pi, np.pi), plot_labels=(1.0, -1.0), plot_inputs=_cosine_plot_inputs,
    x_label="angle between input1 and input2 (radians)",
    summary="cosine similarity: 1 for similar pairs, below a margin for dissimilar ones"))


class MarginRankingLoss(Loss):
    r"""Ask ``input1`` to rank above ``input2`` (label 1) or below it (label -1) by a margin.

    .. math::

        \ell(x_1, x_2, t) = \max(0, -t (x_1 - x_2) + m), \qquad
        \frac{\partial \ell}{\partial x_1} = -t\,[\ell > 0], \quad
        \frac{\partial \ell}{\partial x_2} = t\,[\ell > 0]

    element by element, then the mean over the non-batch axes. This is PyTorch's
    ``MarginRankingLoss`` per element; Gluon has no such loss. At the kink
    :math:`-t(x_1 - x_2) + m = 0` the subgradient is 0.

    Parameters
    ----------
    margin : float, default 0
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Inputs
    ------
    ``input1`` of any shape with a batch axis; ``input2`` and ``label`` with the same
    number of elements (reshaped to ``input1``'s shape; never broadcast); every label 1 or -1;
    ``sample_weight`` broadcastable to ``input1``'s shape.

    Returns
    -------
    shape ``(batch,)``, the dtype of ``input1``. ``grad`` returns
    ``(d_input1, d_input2)``.

    >>> MarginRankingLoss(margin=0.5)(np.array([[2.0, 0.0]]), np.array([[1.0, 1.0]]),
    ...                               np.array([[1, 1]]))
    array([0.75])
    """

    inputs = (Pred("input1"), Like("input2", grad=True),
              Like("label", checks.Values((1, -1), nan=False)), SAMPLE_WEIGHT)
    blocked = True
    margin = Hyperparameter(real(), "Required gap between the two scores.")

    def __init__(self, margin=0, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.margin = margin

    def value_and_derivative(self, input1, input2, label):
        shifted = self.margin - label * (input1 - input2)
        d_input2 = np.where(shifted > 0, label, 0).astype(input1.dtype, copy=False)
        return np.maximum(shifted, 0), (-d_input2, d_input2)


def _ranking_plot_inputs(x, label, config):
    """input1 = ``x``, input2 = 0: the loss against the score difference."""
    input1 = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    return ((input1, np.zeros_like(input1), np.full_like(input1, label)), {},
            lambda grad: grad[0][:, 0])


register(Record(
    MarginRankingLoss, "embedding",
    params=(Param("margin", 0.0, 0.0, 2.0, doc="required gap between the two scores"),),
    configs=({"margin": 0.5},),
    plot_domain=(-3.0, 3.0), plot_labels=(1.0, -1.0), plot_inputs=_ranking_plot_inputs,
    x_label="score difference input1 - input2",
    summary="rank one score above another by a margin"))


class ContrastiveLoss(Loss):
    r"""Similar pairs pulled together, dissimilar pairs pushed at least ``margin`` apart.

    With :math:`d = \lVert x_1 - x_2 \rVert` the Euclidean distance over a sample's vector and
    label :math:`t = 1` for a similar pair, :math:`t = 0` for a dissimilar one,

    .. math::

        \ell(x_1, x_2, t) = \frac{t}{2}\, d^2 + \frac{1 - t}{2}\, \max(0, m - d)^2,

    .. math::

        \frac{\partial \ell}{\partial x_1} = \Bigl(t - (1 - t)\,\frac{\max(0, m - d)}{d}\Bigr)
            (x_1 - x_2), \qquad
        \frac{\partial \ell}{\partial x_2} = -\frac{\partial \ell}{\partial x_1}.

    The factors :math:`\tfrac12` follow Hadsell, Chopra & LeCun (2006), whose
    :math:`L_S = \tfrac12 D^2` and :math:`L_D = \tfrac12 \max(0, m - D)^2`; they make the
    similar-pair gradient the plain difference :math:`x_1 - x_2`. Note the label
    convention: there :math:`Y = 0` marks a *similar* pair; here (as in most code) 1 does.

    At :math:`d = 0` a dissimilar pair's gradient has no direction (every direction moves the
    points apart equally); lossbook returns 0 there, never NaN. The hinge's kink
    :math:`d = m` has subgradient 0.

    Parameters
    ----------
    margin : float >= 0, default 1
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Inputs
    ------
    ``input1`` of any shape with a batch axis; ``input2`` with the same number of
    elements; ``label`` with one value per sample, each 1 (similar) or 0 (dissimilar);
    ``sample_weight`` of shape ``(batch,)`` or ``(batch, 1)``.

    Returns
    -------
    shape ``(batch,)``, the dtype of ``input1``. ``grad`` returns
    ``(d_input1, d_input2)``.

    References
    ----------
    R. Hadsell, S. Chopra, Y. LeCun, "Dimensionality Reduction by Learning an Invariant
    Mapping", CVPR 2006.

    >>> ContrastiveLoss(margin=1)(np.array([[3.0, 4.0], [0.0, 0.5]]), np.zeros((2, 2)),
    ...                           np.array([1, 0]))
    array([12.5  ,  0.125])
    """

    inputs = (Pred("input1"), Like("input2", grad=True),
              SampleLabel("label", checks.Values((1, 0), nan=False)), SAMPLE_WEIGHT)
    blocked = True
    margin = Hyperparameter(real(checks.NONNEGATIVE),
                            "Distance beyond which dissimilar pairs cost nothing.")

    def __init__(self, margin=1, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.margin = margin

    value_shape = _per_sample_shape

    def value_and_derivative(self, input1, input2, label):
        similar = _kept(label, input1, self) == 1
        diff = input1 - input2
        others = _vector_axes(self, input1)
        with np.errstate(over="ignore"):       # d^2 may overflow where d itself does not
            dist_sq = np.sum(np.square(diff), axis=others, keepdims=True)
        dist = np.sqrt(dist_sq)
        if np.isinf(dist_sq).any():            # then d = m |diff / m|, m = max |diff|
            top = np.max(np.abs(diff), axis=others, keepdims=True)
            scaled = top * np.sqrt(np.sum(np.square(diff / top), axis=others, keepdims=True))
            dist = np.where(np.isinf(dist_sq), scaled, dist)
        hinge = np.maximum(self.margin - dist, 0)
        # each pair takes its own term: a far dissimilar pair gives 0, not 0 * inf
        loss = np.where(similar, 0.5 * dist_sq, 0.5 * np.square(hinge)).reshape(-1)
        # hinge / d, with 0 where d = 0 (the dissimilar term has no direction there)
        pull = np.zeros_like(dist)
        np.divide(hinge, dist, out=pull, where=dist > 0)
        coef = np.where(similar, 1, -pull).astype(input1.dtype, copy=False)
        d_input1 = coef * diff
        return loss, (d_input1, -d_input1)


def _contrastive_plot_inputs(x, label, config):
    """1-D embeddings input1 = ``x`` >= 0, input2 = 0: the loss against the distance."""
    input1 = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    labels = np.full(input1.shape[0], label)
    return (input1, np.zeros_like(input1), labels), {}, lambda grad: grad[0][:, 0]


register(Record(
    ContrastiveLoss, "embedding",
    params=(Param("margin", 1.0, 0.1, 3.0, doc="distance beyond which dissimilar pairs cost nothing"),),
    configs=({"margin": 0.5}, {"margin": 2.0}),
    plot_domain=(0.0, 3.0), plot_labels=(1.0, 0.0), plot_inputs=_contrastive_plot_inputs,
    x_label="distance between input1 and input2",
    summary="pull similar pairs together, push dissimilar ones beyond a margin"))
