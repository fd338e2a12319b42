r"""The engine: weighting, reduction and the chain rule around a loss's formula, in blocks.

A loss gives the engine its formula, ``formula(**inputs) -> (value, derivative)`` on whole
samples. The engine does the rest, in this order for every element:

1. the per-element ``value`` times ``sample_weight``, summed over the sample's axes (the
   base class folds ``weight`` and the mean's ``1 / count`` into one ``scale``), times
   ``scale``;
2. the gradient: the head gradient of each sample times ``scale`` times
   ``sample_weight``, times the ``derivative`` of each differentiable input (or handed to
   the loss's vector-Jacobian product, for losses whose elements are coupled).

When the batch is on axis 0 and the loss allows it (``Loss.blocked``), a large batch is
cut into blocks of whole samples, about :data:`BLOCK` elements each, that go through
every step while they are in the CPU's cache; with :func:`set_num_threads` the blocks are
shared among threads. Every block runs the same operations on its rows as one block of
the whole batch would, so the results are bit for bit the same whatever the block size
and the number of threads; a small batch is one block.

Threads see the caller's floating-point settings (``np.errstate``) exactly as the
calling thread does, and :func:`set_num_threads` may be called at any time, also while
another thread computes.
"""
import contextvars
import numbers
import os
import threading

import numpy as np

__all__ = ["BLOCK", "evaluate", "set_num_threads", "get_num_threads"]

# Large inputs are processed in blocks of about this many elements, so that the formula's
# temporaries stay in the CPU cache instead of streaming through main memory. (make bench,
# 2 threads: 2**18 gave the lowest ratio to PyTorch for every blocked loss, 2**16 to
# 2**19 tried; at 2**16 the per-call cost of numpy's many small operations dominated, most
# for losses whose samples are large, DiceLoss's 256 x 256 masks one per block.)
BLOCK = 1 << 18


# --------------------------------------------------------------------------- threads
def _threads_from_env():
    value = os.environ.get("LOSSBOOK_NUM_THREADS", "1")
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"LOSSBOOK_NUM_THREADS must be a positive int, got {value!r}")
    return n


_lock = threading.Lock()            # guards the two below
_num_threads = _threads_from_env()
_pool = None                        # a ThreadPoolExecutor of _num_threads - 1 workers, made on first use


def set_num_threads(n):
    """Use ``n`` threads for large batches; returns the previous number.

    The default is 1, or the environment variable ``LOSSBOOK_NUM_THREADS``. Only inputs of
    several blocks (about 65 000 elements each) are split, into one contiguous range of
    whole blocks per thread. The results are bit for bit the same for every ``n``. A call
    that is computing keeps the threads it started with; the next call uses ``n``.

    >>> import lossbook as lb
    >>> old = lb.set_num_threads(2)
    >>> lb.set_num_threads(old)
    2
    """
    global _num_threads, _pool
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    with _lock:
        old, _num_threads = _num_threads, int(n)
        retired, _pool = _pool, None
    if retired is not None:
        retired.shutdown(wait=False)    # its queued work still runs; its idle workers leave
    return old


def get_num_threads():
    """The number of threads for large batches (see :func:`set_num_threads`)."""
    return _num_threads


def _share_rows(run_rows, batch, rows):
    """Call ``run_rows(first, last)`` on contiguous ranges of whole blocks, one per thread."""
    global _pool
    blocks = -(-batch // rows) if batch else 0
    with _lock:
        threads = min(_num_threads, blocks)
        if threads > 1:
            if _pool is None:
                from concurrent.futures import ThreadPoolExecutor
                _pool = ThreadPoolExecutor(max_workers=_num_threads - 1,
                                           thread_name_prefix="lossbook")
            # whole blocks per thread, so every block has the rows it has with one thread
            edges = [min(batch, rows * (blocks * k // threads)) for k in range(threads + 1)]
            # each worker runs in a copy of the caller's context: np.errstate included
            futures = [_pool.submit(contextvars.copy_context().run, run_rows,
                                    edges[k], edges[k + 1]) for k in range(1, threads)]
    if threads <= 1:
        run_rows(0, batch)
        return
    try:
        run_rows(edges[0], edges[1])
    finally:
        for future in futures:                  # wait for all, then raise the first error
            future.exception()
    for future in futures:
        future.result()


# ---------------------------------------------------------------------------- engine
def evaluate(formula, batched, constants, shape, axis, weights, head, scale, grad_shapes,
             dtype, need_grad, blocked=False, vjp=False, in_place=False):
    r"""Per-sample values and gradients of a loss, given its formula.

    Parameters
    ----------
    formula : ``formula(**batched, **constants) -> (value, derivative)``: ``value`` holds
        the per-element loss (any shape of ``prod(shape)`` elements for the rows given;
        it is reshaped to ``shape``), ``derivative`` one array per differentiable input (a
        tuple when there are several), or, with ``vjp``, a function of the head gradient
        per element that returns the gradients.
    batched : dict of the arrays whose ``axis`` indexes samples (cut into blocks).
    constants : dict of everything else the formula takes.
    shape : the per-element loss's shape, with the samples on ``axis``.
    weights : None or an array broadcastable to ``shape`` (``sample_weight``, checked).
    head : None (ones) or the head gradient, shape ``(batch,)``.
    scale : ``weight``, divided by the number of elements per sample for a mean.
    grad_shapes : the shapes of the gradients, one per differentiable input.
    dtype : the dtype of the results.
    blocked : whether a large batch may be cut into blocks (only when ``axis`` is 0).
    in_place : the formula takes ``out=``, the rows of the one gradient, and writes its
        derivative there (saves a pass over the gradient; only when ``axis`` is 0).

    Returns
    -------
    out : ``(batch,)``; grads : list of arrays of ``grad_shapes``, or None.
    """
    batch = shape[axis]
    count = int(np.prod(shape)) // batch if batch else int(np.prod(shape[:axis] + shape[axis + 1:]))
    out = np.empty(batch, dtype=dtype)
    grads = [np.empty(s, dtype=dtype) for s in grad_shapes] if need_grad else None
    if weights is not None:
        weights = np.broadcast_to(weights, shape)
    if axis != 0:
        _finish_any_axis(formula(**batched, **constants), shape, axis, weights, head, scale,
                         out, grads, dtype, vjp)
        out *= scale
        return out, grads
    width = max([count] + [int(np.prod(np.shape(a)[1:])) for a in batched.values()])
    rows = min(max(1, BLOCK // max(width, 1)), max(batch, 1)) if blocked else max(batch, 1)
    tail = tuple(shape[1:])

    into = in_place and grads is not None

    def run_rows(first, last):
        for start in range(first, last, rows):
            stop = min(start + rows, last)
            block = {name: array[start:stop] for name, array in batched.items()}
            if into:
                value, derivative = formula(**block, **constants, out=grads[0][start:stop])
            else:
                value, derivative = formula(**block, **constants)
            w = None if weights is None else weights[start:stop].reshape(stop - start, count)
            _finish_rows(value, None if into else derivative, w, head, scale, out, grads,
                         start, stop, count, tail, dtype, vjp)

    _share_rows(run_rows, batch, rows)
    out *= scale
    return out, grads


def _finish_rows(value, derivative, w, head, scale, out, grads, start, stop, count, tail,
                 dtype, vjp):
    """Weighting, the sum over each sample and the chain rule for the rows [start, stop)."""
    n = stop - start
    value = np.asarray(value).astype(dtype, copy=False).reshape(n, count)
    if w is not None:
        value = value * w
    np.add.reduce(value, axis=1, out=out[start:stop])
    if grads is None:
        return
    if head is None:
        g_el = scale if w is None else w * scale
    else:
        g_el = head[start:stop, None] * scale
        if w is not None:
            g_el = g_el * w
    if not np.isscalar(g_el):        # (n, count) or (n, 1): laid over the sample's axes
        g_el = g_el.reshape((n,) + (tail if g_el.shape[1] == count else (1,) * len(tail)))
    if derivative is None:                      # written in place: scale it there
        if not (np.isscalar(g_el) and g_el == 1.0):
            grads[0][start:stop] *= g_el
        return
    if vjp:
        derivative = derivative(g_el)
        for grad, part in zip(grads, derivative):
            grad[start:stop] = part
        return
    if len(grads) == 1:
        derivative = (derivative,)
    for grad, part in zip(grads, derivative):
        np.multiply(part, g_el, out=grad[start:stop])


def _finish_any_axis(result, shape, axis, weights, head, scale, out, grads, dtype, vjp):
    """:func:`_finish_rows` for one block of the whole batch, with the samples on ``axis``."""
    value, derivative = result
    value = np.asarray(value).astype(dtype, copy=False).reshape(shape)
    others = tuple(i for i in range(len(shape)) if i != axis)
    weighted = value if weights is None else value * weights
    np.add.reduce(weighted, axis=others, out=out)
    if grads is None:
        return
    if head is None:
        g_el = scale if weights is None else weights * scale
    else:
        along = [1] * len(shape)
        along[axis] = shape[axis]
        g_el = head.reshape(along) * scale
        if weights is not None:
            g_el = g_el * weights
    parts = derivative(g_el) if vjp else (
        (derivative,) if len(grads) == 1 else derivative)
    for grad, part in zip(grads, parts):
        if vjp:
            grad[...] = part
        else:
            np.multiply(part, g_el, out=grad)
