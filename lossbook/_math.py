r"""Numerically stable primitives and their derivatives.

Every function here works in the dtype it is given (float32 stays float32) and
returns finite values for every finite input where the mathematical result is
finite. The tricks are the usual ones:

* :math:`\log(1 + e^{x}) = \max(x, 0) + \log(1 + e^{-|x|})` never exponentiates a
  positive number;
* :math:`\log \sum_j e^{x_j} = m + \log \sum_j e^{x_j - m}` with :math:`m = \max_j x_j`
  keeps every exponent at or below zero.
"""
import numpy as np

__all__ = [
    "sigmoid", "log_sigmoid", "softplus", "logsumexp", "log_softmax", "softmax",
    "binary_logistic", "logistic_curvature",
]


def sigmoid(x):
    r"""The logistic function :math:`\sigma(x) = 1 / (1 + e^{-x})`, evaluated without overflow.

    Its derivative is :math:`\sigma(x)(1 - \sigma(x))`.

    >>> float(sigmoid(0.0))
    0.5
    >>> sigmoid(np.array([-1e4, 1e4], dtype=np.float32))
    array([0., 1.], dtype=float32)
    """
    x = np.asarray(x)
    # exp(-|x|) lies in (0, 1]; the numerator is 1 for x >= 0 and exp(-|x|) for x < 0.
    e = np.exp(-np.abs(x))
    return np.maximum(e, x >= 0) / (1 + e)


def softplus(x):
    r""":math:`\log(1 + e^{x})` as :math:`\max(x, 0) + \log1p(e^{-|x|})`; derivative :math:`\sigma(x)`.

    >>> float(softplus(0.0)) == float(np.log(2))
    True
    >>> softplus(np.array([-1e4, 1e4], dtype=np.float32))
    array([    0., 10000.], dtype=float32)
    """
    x = np.asarray(x)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def log_sigmoid(x):
    r""":math:`\log \sigma(x) = -\mathrm{softplus}(-x)`; derivative :math:`1 - \sigma(x)`.

    >>> log_sigmoid(np.array([-1e4, 0.0, 1e4], dtype=np.float32)).tolist()
    [-10000.0, -0.6931471824645996, -0.0]
    """
    return -softplus(-np.asarray(x))


def logsumexp(x, axis=-1, keepdims=False):
    r""":math:`\log \sum_j e^{x_j}` along ``axis``, shifted by the maximum so no exponent is positive.

    Its gradient is :func:`softmax`. A row that is all :math:`-\infty` gives :math:`-\infty`.

    >>> float(logsumexp(np.array([1000.0, 1000.0])))  # 1000 + log 2
    1000.6931471805599
    """
    x = np.asarray(x)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(x, axis=-1):
    r""":math:`\log \mathrm{softmax}(x)_j = (x_j - m) - \log\sum_k e^{x_k - m}`, :math:`m = \max_k x_k`.

    The maximum is subtracted first, so ties stay exact at any magnitude: ``[1e8, 1e8]``
    in float32 gives ``log(1/2)`` twice (:math:`m + \log 2` would round back to ``1e8``).

    >>> np.round(log_softmax(np.array([[1.0, 10.0]])), 6).tolist()
    [[-9.000123, -0.000123]]
    >>> log_softmax(np.array([1e8, 1e8], dtype=np.float32))
    array([-0.6931472, -0.6931472], dtype=float32)
    """
    x = np.asarray(x)
    m = np.max(x, axis=axis, keepdims=True)
    shifted = x - np.where(np.isfinite(m), m, 0)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x, axis=-1):
    r""":math:`e^{x_j} / \sum_k e^{x_k}` along ``axis``, computed from the shifted exponentials.

    The Jacobian is :math:`\mathrm{diag}(p) - p p^\top`.

    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    x = np.asarray(x)
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def binary_logistic(logits, target, out=None):
    r"""Per-element binary cross-entropy on logits and its derivative, sharing one exponential.

    .. math::

        \ell(x, z) = \max(x, 0) - x z + \log(1 + e^{-|x|}), \qquad
        \frac{\partial \ell}{\partial x} = \sigma(x) - z

    which equals :math:`-z \log\sigma(x) - (1 - z)\log(1 - \sigma(x))` but never
    overflows. SigmoidBinaryCrossEntropyLoss, LogisticLoss and SigmoidFocalLoss use it.
    With ``out``, the derivative is written there (numpy's convention).
    At an infinite logit the loss is its limit: 0 when the label puts all its mass on the
    side the logit points to, :math:`+\infty` otherwise.

    Returns
    -------
    (loss, dloss) : arrays of the broadcast shape of ``logits`` and ``target``.

    >>> loss, d = binary_logistic(np.array([0.0, np.inf]), np.array([1.0, 1.0]))
    >>> float(loss[0]) == float(np.log(2)), loss[1], d.tolist()
    (True, np.float64(0.0), [-0.5, 0.0])
    """
    # (the in-place steps update this function's own temporaries: fewer allocations)
    size = np.abs(logits)
    infinite = size.size and np.isinf(np.fmax.reduce(size, axis=None))
    e = np.negative(size, out=size)
    np.exp(e, out=e)                        # exp(-|x|) in (0, 1]: cannot overflow
    # sigma(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0; max(e, x >= 0) picks the numerator
    # without a branch (np.where is slow on random masks) and without cancellation.
    prob = np.maximum(e, logits >= 0, out=out)
    prob /= 1 + e
    prob -= target                          # the derivative sigma(x) - z
    if infinite:
        return _at_infinite_logits(logits, target, e), prob
    loss = np.maximum(logits, 0)
    loss -= logits * target
    loss += np.log1p(e, out=e)
    return loss, prob


def logistic_curvature(logits):
    r""":math:`\sigma(x)\,\sigma(-x) = \sigma(x)(1 - \sigma(x))`, the second derivative of
    :func:`binary_logistic` (and of :func:`softplus`), as :math:`e / (1 + e)^2` with
    :math:`e = e^{-|x|}`.

    No :math:`1 - \sigma(x)` is formed, so the value keeps its relative precision in the
    tails (:math:`e^{-30}` at :math:`x = 30`, not 0), and nothing overflows.

    >>> logistic_curvature(np.array([0.0, 30.0, -1e4], dtype=np.float32)).tolist()
    [0.25, 9.357622912219837e-14, 0.0]
    """
    e = np.exp(-np.abs(logits))
    return e / np.square(1 + e)


def _at_infinite_logits(logits, target, e):
    r"""The loss where some logits are infinite, at its limits there (inf - inf is NaN).

    At :math:`x = \pm\infty` the loss is 0 when the label's mass on the other side,
    :math:`1 - z` for :math:`+\infty` and :math:`z` for :math:`-\infty`, is 0, and
    :math:`+\infty` when it is positive; NaN labels stay NaN.
    """
    with np.errstate(invalid="ignore"):
        loss = np.maximum(logits, 0) - logits * target + np.log1p(e)
        wrong = np.where(logits > 0, 1 - target, target)
    limit = np.where(wrong > 0, np.inf, np.where(wrong == 0, 0.0, np.nan))
    return np.where(np.isinf(logits), limit.astype(loss.dtype, copy=False), loss)
