r"""Central differences, to check any analytic gradient.

The central difference :math:`(f(x + h e_i) - f(x - h e_i)) / 2h` has error
:math:`O(h^2)` for smooth :math:`f`; with :math:`h = 10^{-6}` in float64 the rounding
error is about :math:`10^{-10}`. Check in float64 and away from kinks.
"""
import numpy as np

__all__ = ["numerical_grad", "numerical_diagonal", "check_grad"]


def numerical_grad(f, x, eps=1e-6):
    r"""Gradient of the scalar function ``f`` at the array ``x`` by central differences.

    ``f`` takes an array of ``x``'s shape and returns a number; ``x`` is not modified.

    >>> g = numerical_grad(lambda v: float(np.sum(v ** 3)), np.array([1.0, 2.0]))
    >>> np.allclose(g, [3.0, 12.0])
    True
    """
    x = np.array(x, dtype=np.float64, copy=True, order="C")  # reshape(-1) must be a view
    grad = np.empty_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + eps
        up = float(f(x))
        flat[i] = keep - eps
        down = float(f(x))
        flat[i] = keep
        out[i] = (up - down) / (2 * eps)
    return grad


def numerical_diagonal(f, x, eps=1e-6):
    r"""The diagonal of the Jacobian of ``f`` at ``x`` by central differences:
    :math:`(f(x + h e_i)_i - f(x - h e_i)_i) / 2h` for every element :math:`i`.

    ``f`` maps an array of ``x``'s shape to an array of the same shape (a gradient, say:
    then the result is the diagonal of the Hessian); ``x`` is not modified.

    >>> d = numerical_diagonal(lambda v: 3 * v ** 2, np.array([1.0, 2.0]))   # (v^3)'' = 6v
    >>> np.allclose(d, [6.0, 12.0])
    True
    """
    x = np.array(x, dtype=np.float64, copy=True, order="C")
    diagonal = np.empty_like(x)
    flat, out = x.reshape(-1), diagonal.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + eps
        up = np.asarray(f(x), dtype=np.float64).reshape(-1)[i]
        flat[i] = keep - eps
        down = np.asarray(f(x), dtype=np.float64).reshape(-1)[i]
        flat[i] = keep
        out[i] = (up - down) / (2 * eps)
    return diagonal


def check_grad(f, inputs, analytic, eps=1e-6, rtol=1e-5, atol=1e-8, names=None):
    """Compare analytic gradients of the scalar ``f(*inputs)`` with central differences.

    Parameters
    ----------
    f : callable taking the arrays of ``inputs`` and returning a number.
    inputs : sequence of float64 arrays.
    analytic : sequence of arrays, the claimed gradients, one per input.
    names : optional names of the inputs, for the message.

    Returns the largest absolute difference; raises ``AssertionError`` naming the
    input and the worst element when any difference exceeds ``atol + rtol * |numeric|``.

    >>> x = np.array([0.5, -1.0])
    >>> check_grad(lambda v: float(np.sum(np.sin(v))), [x], [np.cos(x)]) < 1e-8
    True
    """
    inputs = [np.asarray(a, dtype=np.float64) for a in inputs]
    names = names or [f"input {i}" for i in range(len(inputs))]
    worst = 0.0
    for i, (x, claimed) in enumerate(zip(inputs, analytic)):
        def partial(v, i=i):
            args = list(inputs)
            args[i] = v
            return f(*args)
        numeric = numerical_grad(partial, x, eps)
        claimed = np.asarray(claimed, dtype=np.float64)
        if claimed.shape != numeric.shape:
            raise AssertionError(f"{names[i]}: analytic gradient has shape {claimed.shape}, "
                                 f"the input has shape {numeric.shape}")
        err = np.abs(claimed - numeric)
        bound = atol + rtol * np.abs(numeric)
        if np.any(~(err <= bound)):
            j = np.unravel_index(np.argmax(err - bound), err.shape)
            raise AssertionError(f"{names[i]}: analytic {claimed[j]!r} vs numeric {numeric[j]!r} "
                                 f"at index {j} (max abs error {np.nanmax(err):.3g})")
        worst = max(worst, float(np.max(err)) if err.size else 0.0)
    return worst
