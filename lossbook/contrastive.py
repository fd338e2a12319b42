r"""Contrastive losses over a batch: InfoNCE (CPC, CLIP) and NT-Xent (SimCLR).

Every other loss scores a sample on its own. Here the other samples of the batch are the
negatives: sample :math:`i` is a pair of embeddings, and the loss asks that its two halves
be more alike than either is to the other samples' halves. The loss is a softmax
cross-entropy over the batch, whose class for row :math:`i` is its partner, so the batch
size is the number of classes: one positive and :math:`N - 1` negatives.

Both losses compare directions only. Each embedding is divided by its length (every axis
but the batch axis is the vector), so the scores are cosine similarities divided by a
temperature :math:`\tau`. A zero vector is divided by :math:`10^{-12}` instead of 0, as
PyTorch's ``F.normalize`` does: it scores 0 against everything, and its gradient is that of
the clamped division (finite, and large).

The samples are coupled, so a batch is never cut into blocks, and the gradient is a
vector-Jacobian product (``value_and_vjp``): with :math:`G` the gradient with respect to
the score matrix :math:`S = U V^\top / \tau`, the gradients of the unit vectors are
:math:`G V / \tau` and :math:`G^\top U / \tau`, then carried through the normalisation,
:math:`\partial a = (\partial u - u\,(u \cdot \partial u)) / \lVert a \rVert`.

References
----------
A. van den Oord, Y. Li, O. Vinyals, "Representation Learning with Contrastive Predictive
Coding", 2018 (InfoNCE). T. Chen, S. Kornblith, M. Norouzi, G. Hinton, "A Simple Framework
for Contrastive Learning of Visual Representations", ICML 2020 (SimCLR, NT-Xent).
A. Radford et al., "Learning Transferable Visual Models From Natural Language
Supervision", ICML 2021 (CLIP, the symmetric form).
"""
import numpy as np

from . import checks
from .base import Hyperparameter, Loss, boolean, real
from .checks import SAMPLE_WEIGHT, Like, Pred
from .embedding import _per_sample_shape
from .registry import Param, Record, register

__all__ = ["InfoNCELoss", "NTXentLoss"]

# F.normalize's floor on a vector's length
_NORM_EPS = 1e-12


def _rows(loss, array):
    """The samples of ``array`` as the rows of a (batch, vector) matrix, and a function
    that lays a matrix of that shape back out like ``array``."""
    axis = loss.batch_axis % array.ndim
    moved = np.moveaxis(array, axis, 0)
    rows = moved.reshape(moved.shape[0], -1)
    return rows, lambda matrix: np.moveaxis(matrix.reshape(moved.shape), 0, axis)


def _unit_rows(x):
    r"""Each row divided by :math:`\max(\lVert x \rVert, 10^{-12})`, and the divisor.

    A row whose squared length overflows is measured as :math:`m \lVert x / m \rVert` with
    :math:`m` its largest entry, so any finite row has a finite length.
    """
    with np.errstate(over="ignore"):
        length = np.sqrt(np.einsum("ij,ij->i", x, x))[:, None]
    if np.isinf(length).any():
        top = np.max(np.abs(x), axis=1, keepdims=True)
        top = np.where(top > 0, top, 1)
        scaled = top * np.sqrt(np.sum(np.square(x / top), axis=1, keepdims=True))
        length = np.where(np.isinf(length), scaled, length)
    divisor = np.maximum(length, np.asarray(_NORM_EPS, dtype=x.dtype))
    return x / divisor, divisor


def _through_unit(d_unit, unit, divisor):
    r"""The gradient with respect to ``x`` from the one with respect to ``x / divisor``:
    :math:`(\partial u - u (u \cdot \partial u)) / \lVert x\rVert`, and
    :math:`\partial u / 10^{-12}` where the floor holds the divisor (then ``u = x / eps``
    and ``unit`` is that, so the projection is skipped)."""
    clamped = divisor <= _NORM_EPS
    along = np.einsum("ij,ij->i", unit, d_unit)[:, None]
    return (d_unit - np.where(clamped, 0, along) * unit) / divisor


def _sample_heads(loss, g_el, main):
    """The head gradient of each sample, shape ``(batch,)``, in ``main``'s dtype, from the
    engine's ``g_el`` (a number, or an array laid over the per-sample shape)."""
    shape = _per_sample_shape(loss, {"main": main})
    return np.broadcast_to(g_el, shape).reshape(-1).astype(main.dtype, copy=False)


def _shift(temperature, dtype):
    r"""Whether :math:`\exp(S - 1/\tau)` is safe for every score :math:`|S| \le 1/\tau`:
    the smallest, :math:`e^{-2/\tau}`, must stay far from underflow (with 20 nats of room
    for the sums). Else each row (and column) is shifted by its own maximum.

    With the shared shift the picked (positive) exponential cannot underflow, so the loss
    :math:`-\log(e_i / \sum_j e_j)` is computed as :math:`\log(1 + \text{others} / e_i)`,
    the negatives summed on their own: never below 0, as the loss is not, and precise to
    the last digits when it is small."""
    return 2.0 / temperature < -np.log(np.finfo(dtype).tiny) - 20


class InfoNCELoss(Loss):
    r"""InfoNCE over a batch of pairs: each ``input1[i]`` must pick ``input2[i]`` among all of ``input2``.

    With :math:`u_i, v_j` the rows of ``input1`` and ``input2`` divided by their lengths and
    the scores :math:`S_{ij} = u_i \cdot v_j / \tau`, the per-sample loss is the softmax
    cross-entropy of row :math:`i` with class :math:`i`,

    .. math::

        \ell^{\to}_i = -\log \frac{e^{S_{ii}}}{\sum_j e^{S_{ij}}}, \qquad
        \ell^{\leftarrow}_i = -\log \frac{e^{S_{ii}}}{\sum_j e^{S_{ji}}}, \qquad
        \ell_i = \tfrac12 (\ell^{\to}_i + \ell^{\leftarrow}_i) \ \text{(symmetric)},
        \quad \ell_i = \ell^{\to}_i \ \text{(otherwise)}.

    With :math:`P` the softmax of each row of :math:`S`, :math:`Q` that of each column and
    head gradients :math:`g_i` (halved when symmetric),

    .. math::

        \frac{\partial \sum_i g_i \ell^{\to}_i}{\partial S_{ij}} = g_i (P_{ij} - [i = j]),
        \qquad
        \frac{\partial \sum_i g_i \ell^{\leftarrow}_i}{\partial S_{ij}} = g_j (Q_{ij} - [i = j]),

    and :math:`\partial U = G V / \tau`, :math:`\partial V = G^\top U / \tau`, carried through
    the normalisation (see :mod:`lossbook.contrastive`).

    Parameters
    ----------
    temperature : float > 0, default 0.07
        :math:`\tau`: the scores lie in :math:`[-1/\tau, 1/\tau]`. A low temperature
        sharpens the softmax, so the hardest negatives take most of the gradient.
        (CLIP learns it, as ``logit_scale`` :math:`= \log(1/\tau)` starting from
        :math:`\log(1/0.07)` in openai/CLIP's ``clip/model.py``; here it is fixed.)
    symmetric : bool, default True
        Average the two directions, as CLIP does; ``False`` keeps
        :math:`\ell^{\to}` alone, as CPC's InfoNCE.
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`); every axis but the batch axis belongs
        to the embedding vector.

    Inputs
    ------
    input1 : ``(batch, D)``, or any shape with a batch axis.
    input2 : the same number of elements (reshaped to ``input1``'s shape).
    sample_weight : ``(batch,)`` or ``(batch, 1)``; it weighs the term of each pair, not
        its role as a negative for the others.

    Returns
    -------
    shape ``(batch,)``, the dtype of ``input1``. ``grad`` returns ``(d_input1, d_input2)``.

    Notes
    -----
    The mean of the per-sample values (``reduction='mean'``) is CLIP's loss,
    ``(CE(S, arange) + CE(S.T, arange)) / 2`` in its pseudocode. The softmax is shifted by
    the largest possible score :math:`1/\tau` (no maximum is searched), which is exact as
    long as :math:`e^{-2/\tau}` is far from underflow; for lower temperatures every row and
    column is shifted by its own maximum. A batch of one pair has loss 0.

    References
    ----------
    A. van den Oord, Y. Li, O. Vinyals, "Representation Learning with Contrastive Predictive
    Coding", 2018, eq. 4. A. Radford et al., "Learning Transferable Visual Models From
    Natural Language Supervision", ICML 2021, Figure 3.

    >>> loss = InfoNCELoss(temperature=1.0, symmetric=False)
    >>> pairs = np.eye(2)                  # two orthogonal directions, each its own pair
    >>> np.round(loss(pairs, pairs), 6)    # -log(e / (e + 1))
    array([0.313262, 0.313262])
    """

    inputs = (Pred("input1"), Like("input2", grad=True), SAMPLE_WEIGHT)
    temperature = Hyperparameter(real(checks.POSITIVE), "Divides the cosine similarities.")
    symmetric = Hyperparameter(boolean, "Average input1 -> input2 and input2 -> input1 (CLIP).")

    def __init__(self, temperature=0.07, symmetric=True, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.temperature = temperature
        self.symmetric = symmetric

    value_shape = _per_sample_shape

    def value_and_vjp(self, input1, input2):
        (a, unshape), (b, _) = _rows(self, input1), _rows(self, input2)
        u, u_div = _unit_rows(a)
        v, v_div = _unit_rows(b)
        inv_t = 1.0 / self.temperature
        scores = u @ v.T
        scores *= inv_t
        positive = np.diagonal(scores).copy()
        if _shift(self.temperature, scores.dtype):
            exp = np.exp(scores - inv_t, out=scores)        # one exponential for rows and columns
            rows = cols = exp
            picked = np.diagonal(exp).copy()
            np.fill_diagonal(exp, 0)                        # the negatives' sums first
            row_others, col_others = exp.sum(axis=1), exp.sum(axis=0)
            np.fill_diagonal(exp, picked)
            row_sum, col_sum = row_others + picked, col_others + picked
            forward = np.log1p(row_others / picked)         # input1 -> input2, see _shift
            backward = np.log1p(col_others / picked)        # input2 -> input1
        else:
            row_top = scores.max(axis=1, keepdims=True)
            col_top = scores.max(axis=0, keepdims=True)
            rows, cols = np.exp(scores - row_top), np.exp(scores - col_top)
            row_sum, col_sum = rows.sum(axis=1), cols.sum(axis=0)
            forward = np.log(row_sum) + row_top[:, 0] - positive
            backward = np.log(col_sum) + col_top[0] - positive
        loss = 0.5 * (forward + backward) if self.symmetric else forward

        def vjp(g_el):
            g = _sample_heads(self, g_el, input1) * (0.5 if self.symmetric else 1.0)
            # G = g_i P_ij (+ g_j Q_ij) - diag(g (+ g)), written into the exponentials' array
            if self.symmetric and rows is cols:
                grad_scores = (g / row_sum)[:, None] + (g / col_sum)[None, :]
                grad_scores *= rows
            elif self.symmetric:
                grad_scores = rows * (g / row_sum)[:, None] + cols * (g / col_sum)[None, :]
            else:
                grad_scores = rows * (g / row_sum)[:, None]
            np.fill_diagonal(grad_scores, np.diagonal(grad_scores)
                             - (2 * g if self.symmetric else g))
            d_u = grad_scores @ v
            d_v = grad_scores.T @ u
            d_u *= inv_t
            d_v *= inv_t
            return (unshape(_through_unit(d_u, u, u_div)),
                    unshape(_through_unit(d_v, v, v_div)))
        return loss, vjp


register(Record(
    InfoNCELoss, "embedding",
    params=(Param("temperature", 0.07, 0.02, 1.0, doc="divides the cosine similarities"),
            Param("symmetric", True, choices=(True, False),
                  doc="average both directions (CLIP)")),
    configs=({"symmetric": False}, {"temperature": 0.5}, {"temperature": 0.01}),
    plot_inputs=None, x_label="embeddings", batch_coupled=True,
    summary="softmax cross-entropy over the batch: find your pair among all (CPC, CLIP)"))


class NTXentLoss(Loss):
    r"""NT-Xent (SimCLR): each of the :math:`2N` views must find its other view among the other :math:`2N - 1`.

    With :math:`z_1, \dots, z_{2N}` the rows of ``input1`` followed by those of ``input2``,
    divided by their lengths, the partner :math:`k'` of view :math:`k` the other view of the
    same item (:math:`k \pm N`), and :math:`S_{kj} = z_k \cdot z_j / \tau`,

    .. math::

        \ell_k = -\log \frac{e^{S_{kk'}}}{\sum_{j \ne k} e^{S_{kj}}}, \qquad
        \ell_i = \tfrac12 (\ell_i + \ell_{i + N}) \ \text{for item } i,

    (every view scored against the other :math:`2N - 1`, itself excluded). With :math:`P` the
    softmax of each row over :math:`j \ne k` (:math:`P_{kk} = 0`) and :math:`h_k` the head
    gradient of view :math:`k` (half that of its item),

    .. math::

        \frac{\partial \sum_k h_k \ell_k}{\partial S_{kj}} = h_k (P_{kj} - [j = k']),
        \qquad \partial Z = (G + G^\top) Z / \tau,

    since :math:`S` is :math:`Z Z^\top / \tau`, then through the normalisation.

    Parameters
    ----------
    temperature : float > 0, default 0.5
        :math:`\tau`. (SimCLR's own code, google-research/simclr at tag 1.0, defaults to
        0.1 in ``run.py``.)
    weight, batch_axis
        As for every loss (:class:`~lossbook.Loss`).

    Inputs
    ------
    input1, input2 : two views of the same items, ``(batch, D)``, same number of elements.
    sample_weight : ``(batch,)`` or ``(batch, 1)``.

    Returns
    -------
    shape ``(batch,)``, the dtype of ``input1``; the mean over the batch
    (``reduction='mean'``) is SimCLR's loss :math:`\frac{1}{2N}\sum_k \ell_k`.
    ``grad`` returns ``(d_input1, d_input2)``.

    Notes
    -----
    What it adds to :class:`InfoNCELoss`: the negatives of a view include the other views of
    its *own* side (:math:`2N - 2` negatives instead of :math:`N - 1`), and the two
    directions are one formula. A batch of one item has loss 0 (the partner is the only
    other view). SimCLR's code (``objective.py`` at tag 1.0) returns
    ``loss_a + loss_b``, the sum of the two sides' means: twice the paper's
    :math:`\frac{1}{2N}\sum_k \ell_k`, which is lossbook's ``reduction='mean'``.

    References
    ----------
    T. Chen, S. Kornblith, M. Norouzi, G. Hinton, "A Simple Framework for Contrastive
    Learning of Visual Representations", ICML 2020, eq. 1 and Algorithm 1.

    >>> loss = NTXentLoss(temperature=1.0)
    >>> views = np.eye(2)                  # two items, both views equal
    >>> np.round(loss(views, views), 6)    # -log(e / (e + 1 + 1))
    array([0.551445, 0.551445])
    """

    inputs = (Pred("input1"), Like("input2", grad=True), SAMPLE_WEIGHT)
    temperature = Hyperparameter(real(checks.POSITIVE), "Divides the cosine similarities.")

    def __init__(self, temperature=0.5, weight=None, batch_axis=0):
        super().__init__(weight, batch_axis)
        self.temperature = temperature

    value_shape = _per_sample_shape

    def value_and_vjp(self, input1, input2):
        (a, unshape), (b, _) = _rows(self, input1), _rows(self, input2)
        n = a.shape[0]
        z, divisor = _unit_rows(np.concatenate([a, b]))
        inv_t = 1.0 / self.temperature
        scores = z @ z.T
        scores *= inv_t
        partner = np.concatenate([np.arange(n, 2 * n), np.arange(n)])
        views = np.arange(2 * n)
        positive = scores[views, partner]
        if _shift(self.temperature, scores.dtype):
            top = np.asarray(inv_t, dtype=scores.dtype)
        else:
            np.fill_diagonal(scores, -np.inf)
            top = scores.max(axis=1, keepdims=True)
        exp = np.exp(scores - top, out=scores)
        np.fill_diagonal(exp, 0)                            # a view is not its own negative
        if np.ndim(top) == 0:                               # the shared shift: see _shift
            picked = exp[views, partner]
            exp[views, partner] = 0
            others = exp.sum(axis=1)
            exp[views, partner] = picked
            total = others + picked
            per_view = np.log1p(others / picked)
        else:
            total = exp.sum(axis=1)
            per_view = np.log(total) + np.reshape(top, -1) - positive
        loss = 0.5 * (per_view[:n] + per_view[n:])

        def vjp(g_el):
            g = _sample_heads(self, g_el, input1)
            h = np.concatenate([g, g]) * 0.5
            grad_scores = exp * (h / total)[:, None]
            grad_scores[views, partner] -= h
            grad_scores += grad_scores.T
            d_z = grad_scores @ z
            d_z *= inv_t
            d_z = _through_unit(d_z, z, divisor)
            return unshape(d_z[:n]), unshape(d_z[n:])
        return loss, vjp


register(Record(
    NTXentLoss, "embedding",
    params=(Param("temperature", 0.5, 0.05, 1.0, doc="divides the cosine similarities"),),
    configs=({"temperature": 0.1}, {"temperature": 0.01}),
    plot_inputs=None, x_label="embeddings", batch_coupled=True,
    summary="SimCLR: each view finds its other view among the 2N - 1 others"))
