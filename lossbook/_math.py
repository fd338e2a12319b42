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
    "binary_logistic",
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
    r""":math:`\log \mathrm{softmax}(x)_j = x_j - \log\sum_k e^{x_k}`, stable for any finite ``x``.

    >>> np.round(log_softmax(np.array([[1.0, 10.0]])), 6).tolist()
    [[-9.000123, -0.000123]]
    """
    x = np.asarray(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


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


def binary_logistic(logits, target, work=None):
    r"""Per-element binary cross-entropy on logits and its derivative, sharing one exponential.

    .. math::

        \ell(x, z) = \max(x, 0) - x z + \log(1 + e^{-|x|}), \qquad
        \frac{\partial \ell}{\partial x} = \sigma(x) - z

    which equals :math:`-z \log\sigma(x) - (1 - z)\log(1 - \sigma(x))` but never
    overflows. Both SigmoidBinaryCrossEntropyLoss and LogisticLoss use it.

    ``work``: optional scratch arrays of the inputs' shape (``work[i]``, see
    ``lossbook._base.Workspace``); the results are then scratch arrays too.

    Returns
    -------
    (loss, dloss) : arrays of the broadcast shape of ``logits`` and ``target``.

    >>> loss, d = binary_logistic(np.array([0.0]), np.array([1.0]))
    >>> float(loss[0]) == float(np.log(2)), float(d[0])
    (True, -0.5)
    """
    if work is None or work[0] is None:                 # no scratch space: allocate
        shape = np.broadcast_shapes(np.shape(logits), np.shape(target))
        dtype = np.result_type(logits, target)
        dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
        work = [np.empty(shape, dtype) for _ in range(4)]
    e = np.abs(logits, out=work[0])
    np.negative(e, out=e)
    np.exp(e, out=e)                     # exp(-|x|) in (0, 1]: cannot overflow
    loss = np.maximum(logits, 0, out=work[1])
    tmp = np.multiply(logits, target, out=work[2])
    loss -= tmp
    loss += np.log1p(e, out=tmp)
    # sigma(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0; max(e, x >= 0) picks the numerator
    # without a branch (np.where is slow on random masks) and without cancellation.
    prob = np.greater_equal(logits, 0, out=work[2])
    np.maximum(e, prob, out=prob)
    den = np.add(e, 1, out=work[3])
    prob /= den
    prob -= target
    return loss, prob
