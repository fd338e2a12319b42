r"""The base class every loss derives from: validation, weighting, reduction and ``out_grad``.

A loss subclass does one thing: given validated inputs, it returns the per-element
loss and a ``backward`` function that maps the gradient with respect to that
per-element loss onto its differentiable inputs. Everything else is here, once:

1. bind the call arguments (Gluon's positional order is kept, so
   ``loss(pred, label, sample_weight)`` works as in ``mxnet.gluon.loss``);
2. per-element loss :math:`\ell` (the subclass);
3. times ``sample_weight`` (broadcast to the shape of :math:`\ell`, never beyond it);
4. times ``weight``;
5. mean (or, for :class:`~lossbook.KLDivLoss`, sum) over every axis except the batch axis.

The gradient runs the same steps backwards: the head gradient ``out_grad`` (one
number per sample, ones by default) is spread over the reduced axes, scaled by
``weight`` and ``sample_weight``, and handed to the subclass's ``backward``.

Large inputs of the elementwise losses, binary cross-entropy and 2-D softmax
cross-entropy take a blocked path (:meth:`Loss._fused`, :meth:`Loss._run_fused`): the same
steps, in the same order, run on blocks of whole samples while they are in cache, with
scratch arrays reused from block to block; only the per-sample values and the gradient
are ever stored whole.
"""
import inspect
import numbers
import os

import numpy as np

__all__ = ["Loss", "ElementwiseLoss", "blockwise", "elementwise_backward", "Workspace",
           "NO_WORK", "set_num_threads", "get_num_threads"]

# Large inputs are processed in blocks of about this many elements, so that a kernel's
# temporaries stay in the CPU cache instead of streaming through main memory.
BLOCK = 1 << 16


class Workspace:
    """Scratch arrays for a kernel that runs block by block, allocated once per call.

    ``work[i]`` is the i-th scratch array with the current block's shape (``None`` from
    :data:`NO_WORK`, so that ``np.exp(x, out=work[0])`` allocates when there is no
    workspace). A kernel may return scratch arrays; they are overwritten by the next block.
    """

    def __init__(self, rows, count, dtype):
        self._rows, self._count, self._dtype = rows, count, dtype
        self._arrays = []
        self.block_rows = rows
        # the block's rows of the gradient being returned, or None: a kernel may compute its
        # derivative there (and return that array) to save the copy into the gradient
        self.out = None

    def __getitem__(self, i):
        while len(self._arrays) <= i:
            self._arrays.append(np.empty((self._rows, self._count), dtype=self._dtype))
        return self._arrays[i][:self.block_rows]


class _NoWork:
    out = None

    def __getitem__(self, i):
        return None


NO_WORK = _NoWork()

# Threads for the blocked path: numpy releases the GIL inside its loops, so blocks of
# different rows can run at the same time. Every row is computed by the same operations
# whichever thread runs it, so the results do not depend on the number of threads.
_pool = None                    # (number of workers, ThreadPoolExecutor), made on first use


def _threads_from_env():
    value = os.environ.get("LOSSBOOK_NUM_THREADS", "1")
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"LOSSBOOK_NUM_THREADS must be a positive int, got {value!r}")
    return n


_num_threads = _threads_from_env()


def set_num_threads(n):
    """Use ``n`` threads for the blocked path of large inputs; returns the previous number.

    The default is 1, or the environment variable ``LOSSBOOK_NUM_THREADS``. Only inputs
    of several blocks (about 65 000 elements each) are split, into one contiguous range of
    whole blocks per thread. The results are bit-for-bit the same for every ``n``: each
    block runs the same operations on the same rows whichever thread runs it.

    >>> import lossbook as lb
    >>> old = lb.set_num_threads(2)
    >>> lb.set_num_threads(old)
    2
    """
    global _num_threads, _pool
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    old, _num_threads = _num_threads, int(n)
    if _pool is not None and _pool[0] != _num_threads - 1:
        _pool[1].shutdown(wait=True)
        _pool = None
    return old


def get_num_threads():
    """The number of threads of the blocked path (see :func:`set_num_threads`)."""
    return _num_threads


def _split_rows(run_rows, batch, rows):
    """Call ``run_rows(first, last)`` on contiguous ranges of whole blocks, one per thread."""
    global _pool
    blocks = -(-batch // rows) if batch else 0
    threads = min(_num_threads, blocks)
    if threads <= 1:
        run_rows(0, batch)
        return
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor
        _pool = (_num_threads - 1, ThreadPoolExecutor(max_workers=_num_threads - 1,
                                                      thread_name_prefix="lossbook"))
    # whole blocks per thread, so every block has the rows it has with one thread
    edges = [min(batch, rows * (blocks * k // threads)) for k in range(threads + 1)]
    futures = [_pool[1].submit(run_rows, edges[k], edges[k + 1]) for k in range(1, threads)]
    try:
        run_rows(edges[0], edges[1])
    finally:
        for future in futures:                  # wait for all, then raise the first error
            future.exception()
    for future in futures:
        future.result()


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def shape_str(array):
    """Shape of an array as text, for error messages."""
    return str(tuple(np.shape(array)))


class Loss:
    r"""Base class for losses, with the semantics of ``mxnet.gluon.loss.Loss``.

    Parameters
    ----------
    weight : float or None
        Global scalar weight for the loss; ``None`` means 1.
    batch_axis : int, default 0
        The axis of ``pred`` that indexes the samples of the mini-batch.

    Subclasses set

    * ``_signature``: the call arguments in Gluon's order, for example
      ``("pred", "label", "sample_weight")``;
    * ``_defaults``: default values of the optional call arguments (``sample_weight``
      always defaults to ``None``);
    * ``_grad_args``: the names of the inputs that receive gradients, in order;
    * ``_reduction``: ``"mean"`` (default) or ``"sum"`` over the non-batch axes;

    and implement ``_forward(**bound) -> (loss_el, backward)``.
    """

    _signature = ("pred", "label", "sample_weight")
    _defaults = {}
    _grad_args = ("pred",)
    _reduction = "mean"

    def __init__(self, weight=None, batch_axis=0):
        name = type(self).__name__
        if weight is not None and not _is_number(weight):
            raise TypeError(f"{name}: weight must be a real number or None, got {weight!r}")
        if isinstance(batch_axis, bool) or not isinstance(batch_axis, numbers.Integral):
            raise TypeError(f"{name}: batch_axis must be an int, got {batch_axis!r}")
        self._weight = None if weight is None else float(weight)
        self._batch_axis = int(batch_axis)

    # ------------------------------------------------------------------ public API
    @property
    def weight(self):
        """The global scalar weight (``None`` means 1)."""
        return self._weight

    @property
    def batch_axis(self):
        """The axis of the inputs that indexes samples."""
        return self._batch_axis

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self):
        """Constructor parameters, for ``repr``; subclasses add their hyperparameters."""
        return {"weight": self._weight, "batch_axis": self._batch_axis}

    def __call__(self, *args, **kwargs):
        """Per-sample loss values, shape ``(batch,)``."""
        return self._run(args, kwargs, need_grad=False)[0]

    def grad(self, *args, out_grad=None, **kwargs):
        r"""Gradient of ``sum(out_grad * loss(...))`` with respect to the differentiable inputs.

        One array of the input's shape and dtype, or a tuple in argument order for a
        loss with several differentiable inputs.
        """
        return self._run(args, kwargs, need_grad=True, out_grad=out_grad)[1]

    def value_and_grad(self, *args, out_grad=None, **kwargs):
        """``(loss(...), grad(...))`` computed together, sharing every intermediate."""
        return self._run(args, kwargs, need_grad=True, out_grad=out_grad)

    def elementwise(self, *args, **kwargs):
        """The per-element loss before ``sample_weight``, ``weight`` and the mean."""
        bound = self._bind(args, kwargs)
        bound.pop("sample_weight", None)
        return self._forward(**bound)[0]

    # ------------------------------------------------------------ for subclasses
    def _forward(self, **bound):  # pragma: no cover - abstract
        raise NotImplementedError

    def _loss_batch_axis(self, loss_el):
        """Axis of the per-element loss that indexes samples (the input's batch axis)."""
        return self._batch_axis % max(loss_el.ndim, 1)

    def _error(self, message, exc=ValueError):
        return exc(f"{type(self).__name__}: {message}")

    def _float_input(self, value, arg):
        """A float array from ``value``: float32/float64 kept, integers and bools to float64."""
        array = self._numeric(value, arg)
        if array.dtype.kind in "biu":
            array = array.astype(np.float64)
        elif array.dtype == np.float16:
            array = array.astype(np.float32)
        elif array.dtype.kind != "f":
            raise self._error(f"{arg} must be real numbers, got dtype {array.dtype}", TypeError)
        return array

    def _numeric(self, value, arg):
        if value is None:
            raise self._error(f"{arg} is required, got None", TypeError)
        if isinstance(value, (str, bytes)):
            raise self._error(f"{arg} must be an array of numbers, got the string {value!r}", TypeError)
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as exc:
            raise self._error(f"{arg} could not be read as an array: {exc}", TypeError) from None
        if array.dtype.kind not in "biuf":
            raise self._error(f"{arg} must be an array of numbers, got dtype {array.dtype}", TypeError)
        return array

    def _pred_input(self, value, arg="pred"):
        """The main float input: at least one axis, and the batch axis must exist."""
        array = self._float_input(value, arg)
        if array.ndim == 0:
            raise self._error(f"{arg} needs a batch axis, got a scalar (shape ())")
        self._check_axis(self._batch_axis, array, arg, "batch_axis")
        return array

    def _check_axis(self, axis, array, arg, axis_name):
        if not -array.ndim <= axis < array.ndim:
            raise self._error(
                f"{axis_name}={axis} is out of range for {arg} of shape {shape_str(array)} "
                f"({array.ndim} axes)")
        return axis % array.ndim

    def _like(self, value, pred, arg, pred_name="pred"):
        """``value`` as a float array of ``pred``'s shape and dtype.

        Gluon reshapes the label to pred's shape when the sizes agree; so does lossbook.
        Sizes that differ are an error, never a broadcast.
        """
        array = self._float_input(value, arg)
        if array.shape != pred.shape:
            if array.size != pred.size:
                raise self._error(
                    f"{arg} of shape {shape_str(array)} has {array.size} elements but "
                    f"{pred_name} of shape {shape_str(pred)} has {pred.size}; they must have "
                    f"the same number of elements")
            array = array.reshape(pred.shape)
        return array.astype(pred.dtype, copy=False)

    def _class_index(self, value, num_classes, shape, arg="label"):
        """Integer class indices of the given shape; float labels must be integer-valued."""
        array = self._numeric(value, arg)
        if array.shape != tuple(shape):
            if array.size != int(np.prod(shape)):
                raise self._error(
                    f"{arg} of shape {shape_str(array)} does not match the expected shape "
                    f"{tuple(shape)} (pred's shape without the class axis)")
            array = array.reshape(shape)
        if array.dtype.kind == "f":
            if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
                raise self._error(f"{arg} holds class indices, so it must be integer-valued; "
                                  f"got non-integer values in an array of shape {shape_str(array)}")
        elif array.dtype.kind == "b":
            raise self._error(f"{arg} holds class indices, got booleans", TypeError)
        index = array.astype(np.intp)
        if index.size and (index.min() < 0 or index.max() >= num_classes):
            bad = index[(index < 0) | (index >= num_classes)]
            raise self._error(
                f"{arg} has class index {int(bad.flat[0])} out of range [0, {num_classes}) "
                f"(label shape {shape_str(array)}, {num_classes} classes)")
        return index

    def _check_range(self, array, arg, low=None, high=None, what=""):
        """Raise unless low <= array <= high (NaN passes through: NaN in, NaN out)."""
        # fmin/fmax skip NaN: one fast pass each finds whether anything is out of range
        if array.size == 0 or (
                (low is None or not np.fmin.reduce(array, axis=None) < low)
                and (high is None or not np.fmax.reduce(array, axis=None) > high)):
            return
        bad = np.zeros(array.shape, dtype=bool)
        if low is not None:
            bad |= array < low
        if high is not None:
            bad |= array > high
        if np.any(bad):
            value = array[bad].flat[0].item()
            raise self._error(f"{arg} must lie in [{low}, {high}]{what}; got {value!r} in an "
                              f"array of shape {shape_str(array)}")

    # -------------------------------------------------------------- the pipeline
    def _bind(self, args, kwargs):
        name = type(self).__name__
        signature = self._signature
        if len(args) > len(signature):
            raise TypeError(f"{name} takes at most {len(signature)} arguments "
                            f"({', '.join(signature)}), got {len(args)}")
        bound = dict(zip(signature, args))
        for key, value in kwargs.items():
            if key not in signature:
                raise TypeError(f"{name}: unexpected argument {key!r}; "
                                f"the arguments are {', '.join(signature)}")
            if key in bound:
                raise TypeError(f"{name}: got two values for argument {key!r}")
            bound[key] = value
        for key in signature:
            if key not in bound:
                if key == "sample_weight":
                    bound[key] = None
                elif key in self._defaults:
                    bound[key] = self._defaults[key]
                else:
                    raise TypeError(f"{name}: missing required argument {key!r}")
        return bound

    def _run(self, args, kwargs, need_grad, out_grad=None):
        bound = self._bind(args, kwargs)
        sample_weight = bound.pop("sample_weight", None)
        fused = self._fused(**bound)
        if fused is not None:
            return self._run_fused(*fused, sample_weight, need_grad, out_grad)
        loss_el, backward = self._forward(**bound)
        axis = self._loss_batch_axis(loss_el)
        shape = loss_el.shape
        batch = shape[axis] if loss_el.ndim else 1
        others = tuple(i for i in range(loss_el.ndim) if i != axis)
        count = int(np.prod([shape[i] for i in others])) if others else 1
        scale = 1.0 if self._weight is None else self._weight
        if self._reduction == "mean" and count:
            scale /= count

        weights = self._sample_weight(sample_weight, loss_el.shape, loss_el.dtype, axis)
        weighted = loss_el if weights is None else loss_el * weights
        if others:
            out = np.add.reduce(weighted, axis=others)
            out *= scale
        else:
            out = weighted * scale
        if not need_grad:
            return out, None

        head = self._out_grad(out_grad, batch, loss_el.dtype)
        if head is None:
            g_el = scale if weights is None else weights * scale
        else:
            head_shape = [1] * loss_el.ndim
            head_shape[axis] = batch
            g_el = head.reshape(head_shape) * scale
            if weights is not None:
                g_el = g_el * weights
        grads = backward(g_el)
        if len(self._grad_args) == 1:
            return out, grads[0]
        return out, tuple(grads)

    def _fused(self, **bound):
        """The blocked fast path's inputs, or None (the default) for the generic path.

        A loss with one differentiable input ``arrays[0]`` whose batch axis is axis 0 and
        whose per-element loss either has that input's shape (the derivative taken element
        by element) or one value per sample, shape ``loss_shape == (batch, 1)`` (the
        derivative of the sample's value with respect to the sample's inputs) may return
        ``(kernel, arrays, loss_shape)``: its validated inputs (``None`` passes through;
        every other array has the batch on axis 0) and ``kernel(*blocks, work=...) ->
        (loss, dloss)`` as in :meth:`ElementwiseLoss._kernel` (``work`` is a
        :class:`Workspace`); ``loss_shape`` None means ``arrays[0].shape``.
        :meth:`_run_fused` then gives the same results as ``_forward`` followed by the
        generic path.
        """
        return None

    def _fusable_ndim(self, pred):
        """pred's number of axes when its batch axis is axis 0 (the blocked path's layout), else None."""
        try:
            ndim = np.ndim(pred)
        except (TypeError, ValueError):
            return None                              # _forward reports it
        if ndim == 0 or self._batch_axis % ndim:
            return None
        return ndim

    def _run_fused(self, kernel, arrays, loss_shape, sample_weight, need_grad, out_grad):
        """:meth:`_run` for a ``_fused`` loss: the kernel, weighting, mean and chain rule per block.

        Blocks of whole samples (about ``BLOCK`` elements) go through every step while they
        are in cache: the kernel, ``sample_weight``, the sum over the sample and the scaled
        derivative, written straight into the gradient. Neither the per-element loss nor the
        unscaled derivative is ever stored for the whole batch. The operations and their
        order per element are those of the generic path, so the results are the same.
        """
        first = arrays[0]
        shape, dtype = first.shape, first.dtype
        loss_shape = shape if loss_shape is None else tuple(loss_shape)
        batch = shape[0]
        size = int(np.prod(shape[1:]))                         # input elements per sample
        count = int(np.prod(loss_shape[1:]))                   # loss elements per sample
        scale = 1.0 if self._weight is None else self._weight
        if self._reduction == "mean" and count:
            scale /= count
        weights = self._sample_weight(sample_weight, loss_shape, dtype, 0)
        head = self._out_grad(out_grad, batch, dtype) if need_grad else None
        if weights is not None:
            weights = np.broadcast_to(weights, loss_shape)
        flat = [None if a is None else a.reshape(batch, int(np.prod(a.shape[1:])))
                for a in arrays]
        out = np.empty(batch, dtype=dtype)
        grad = np.empty((batch, size), dtype=dtype) if need_grad else None
        rows = min(max(1, BLOCK // max(size, 1)), max(batch, 1))

        def run_rows(first_row, last_row):
            # the blocks of rows [first_row, last_row), with scratch arrays of their own
            work = Workspace(rows, size, dtype)
            for start in range(first_row, last_row, rows):
                stop = min(start + rows, last_row)
                work.block_rows = stop - start
                work.out = grad[start:stop] if need_grad else None
                loss, dloss = kernel(*(None if a is None else a[start:stop] for a in flat),
                                     work=work)
                loss = loss.astype(dtype, copy=False)
                w = None if weights is None else weights[start:stop].reshape(stop - start, count)
                if w is not None:
                    loss = loss * w
                np.add.reduce(loss, axis=1, out=out[start:stop])
                if need_grad:
                    if head is None:
                        g_el = scale if w is None else w * scale
                    else:
                        g_el = head[start:stop, None] * scale
                        if w is not None:
                            g_el = g_el * w
                    if dloss is not work.out:
                        np.multiply(dloss.astype(dtype, copy=False), g_el, out=grad[start:stop])
                    elif not (isinstance(g_el, float) and g_el == 1.0):
                        dloss *= g_el                  # already in place: scale it there

        _split_rows(run_rows, batch, rows)
        out *= scale
        return out, None if grad is None else grad.reshape(shape)

    def _sample_weight(self, sample_weight, target, dtype, axis):
        """sample_weight as ``dtype``, broadcastable to the loss shape ``target`` (batch on ``axis``)."""
        if sample_weight is None:
            return None
        weights = self._numeric(sample_weight, "sample_weight")
        target = tuple(target)
        ndim = len(target)
        # Gluon documents sample_weight of shape (batch, 1) for losses that return one value
        # per sample; trailing singleton axes beyond the loss's own are dropped for those.
        if weights.ndim > len(target) and all(n == 1 for n in weights.shape[len(target):]):
            weights = weights.reshape(weights.shape[:len(target)])
        try:
            fits = np.broadcast_shapes(weights.shape, target) == target
        except ValueError:
            fits = False
        if not fits:
            hint = ""
            if ndim > 1:
                per_sample = [1] * ndim
                per_sample[axis] = target[axis]
                hint = f"; for one weight per sample use shape {tuple(per_sample)}"
            raise self._error(
                f"sample_weight of shape {shape_str(weights)} does not broadcast to the "
                f"per-element loss of shape {target}{hint}")
        return weights.astype(dtype, copy=False)

    def _out_grad(self, out_grad, batch, dtype):
        if out_grad is None:
            return None
        head = self._numeric(out_grad, "out_grad")
        if head.ndim == 0:
            head = np.full(batch, head, dtype=dtype)
        if head.shape != (batch,):
            raise self._error(f"out_grad of shape {shape_str(head)} must have the output's "
                              f"shape ({batch},), one value per sample")
        return head.astype(dtype, copy=False)


def elementwise_backward(derivative):
    """A ``backward`` for losses whose per-element loss depends on pred element by element.

    ``derivative`` is the array :math:`\\partial \\ell / \\partial\\,\\mathrm{pred}`, or a
    function of no arguments that computes it (so a value-only call never pays for it).
    The array must be a temporary the loss owns: it is scaled in place.
    """
    def backward(g_el):
        d = derivative() if callable(derivative) else derivative
        d *= g_el
        return (d,)
    return backward


def blockwise(kernel, arrays, axis=0, block=None):
    """Apply ``kernel`` to blocks of ``arrays`` along ``axis`` and assemble the outputs.

    Every array (``None`` passes through) has the same length along ``axis``; ``kernel``
    returns a tuple of arrays with that axis too. Blocks hold about ``BLOCK`` elements, so
    the kernel's temporaries stay in cache; small inputs go through in one call.
    """
    block = BLOCK if block is None else block
    first = arrays[0]
    total = first.shape[axis]
    per_row = first.size // total if total else 1
    rows = max(1, block // max(per_row, 1))
    if rows >= total:
        return kernel(*arrays)
    outs = None
    lead = (slice(None),) * axis
    for start in range(0, total, rows):
        index = lead + (slice(start, start + rows),)
        parts = kernel(*(None if a is None else a[index] for a in arrays))
        if outs is None:
            outs = []
            for part in parts:
                shape = list(part.shape)
                shape[axis] = total
                outs.append(np.empty(shape, dtype=part.dtype))
        for out, part in zip(outs, parts):
            out[index] = part
    return tuple(outs)


class ElementwiseLoss(Loss):
    r"""A loss of ``(pred, label)`` applied element by element.

    Subclasses write ``_kernel(pred, label, work=NO_WORK) -> (loss, dloss_dpred)`` on arrays
    of one shape (value and derivative side by side, sharing intermediates; a kernel may put
    its temporaries in the scratch arrays ``work[i]`` with ``out=``) and, where the label has a
    domain, ``_check_label(label)``. This class validates and hands the kernel to the base
    class's blocked path (batch axis 0) or runs it block by block and hands the derivative
    to the base class's chain rule (any other batch axis, and :meth:`elementwise`).
    """

    _label_name = "label"
    # Run the kernel block by block (pays off for kernels of many operations; a kernel of
    # one or two cheap operations is faster on whole arrays).
    _blocked = True

    def _check_label(self, label):
        """Raise a ValueError for labels outside the loss's domain (default: any real)."""

    def _prepare(self, pred, label):
        pred = self._pred_input(pred)
        label = self._like(label, pred, self._label_name)
        self._check_label(label)
        return pred, label

    def _fused(self, pred, label):
        if self._fusable_ndim(pred) is None:
            return None
        kernel = self._kernel
        if "work" not in inspect.signature(kernel).parameters:
            # a kernel written as _kernel(pred, label) allocates its own temporaries
            def kernel(pred, label, work, _kernel=self._kernel):
                return _kernel(pred, label)
        return kernel, self._prepare(pred, label), None

    def _forward(self, pred, label):
        pred, label = self._prepare(pred, label)
        shape = pred.shape
        if self._blocked:
            loss, derivative = blockwise(self._kernel, [pred.reshape(-1), label.reshape(-1)])
        else:
            loss, derivative = self._kernel(pred.reshape(-1), label.reshape(-1))
        return (loss.reshape(shape).astype(pred.dtype, copy=False),
                elementwise_backward(derivative.reshape(shape).astype(pred.dtype, copy=False)))

    def _kernel(self, pred, label, work=NO_WORK):  # pragma: no cover - abstract
        raise NotImplementedError
