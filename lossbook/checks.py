r"""Every check of a loss's arguments, in one place.

* **Domains as data**: :class:`Interval` and :class:`Values` say which numbers a
  hyperparameter, a label or a prediction may take; each loss declares its own next to its
  class (``label_domain = checks.SIGNS``).
* **Scalars**: :func:`scalar` checks every hyperparameter and call option that is one
  number (numpy scalars accepted, bools refused, finite, in its domain); :func:`flag` the
  booleans, :func:`choice` the string options.
* **Arrays**: :func:`float_array`, :func:`integer_array`, :func:`batched` (the main input
  of a loss), :func:`like` (an input of the main input's size), :func:`per_sample`,
  :func:`class_index`, :func:`broadcastable`, :func:`sample_weight`, :func:`out_grad` and
  :func:`scalar_out_grad`.
* **Inputs of a loss**, declared in its call signature: :class:`Pred`, :class:`Like`,
  :class:`SampleLabel`, :class:`ClassLabel`, :class:`Broadcast`, :class:`Option` and
  :data:`SAMPLE_WEIGHT`.

Every error names the loss (``who``), the argument, the shapes involved and, where there
is one, the fix. NaN is not an error anywhere except in integer data and in labels that
name a category: NaN in, NaN out.

>>> scalar("HuberLoss", "rho", 0, POSITIVE)
Traceback (most recent call last):
    ...
ValueError: HuberLoss: rho must lie in (0, inf), got 0
"""
import math
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Interval", "Values", "REALS", "POSITIVE", "NONNEGATIVE", "UNIT", "WEIGHTS", "SIGNS",
    "BINARY",
    "shape_str", "scalar", "flag", "choice", "numeric_array", "float_array", "integer_array",
    "axis_index", "batched", "like", "per_sample", "class_index", "broadcastable",
    "sample_weight", "out_grad", "scalar_out_grad", "Input", "Pred", "Like", "SampleLabel",
    "ClassLabel", "Broadcast", "Option", "SAMPLE_WEIGHT",
]


def shape_str(array):
    """The shape of an array as text, for messages: ``(2, 3)``."""
    return str(tuple(np.shape(array)))


def _number(value):
    """A number as a message shows it: 1e+20, not -9223372036854775808."""
    return repr(value.item() if isinstance(value, np.generic) else value)


# ------------------------------------------------------------------------- domains
@dataclass(frozen=True)
class Interval:
    """The real numbers between ``low`` and ``high``; an end is excluded when ``*_open``.

    ``what`` says what the numbers are, for messages (``"a probability"``).

    >>> str(Interval(0, 1)), str(Interval(0, low_open=True)), 0.5 in Interval(0, 1)
    ('[0, 1]', '(0, inf)', True)
    """
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    what: str = ""
    nan: bool = True

    def __str__(self):
        left = "(" if self.low_open or self.low == -math.inf else "["
        right = ")" if self.high_open or self.high == math.inf else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def __contains__(self, value):
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return bool(above and below)

    def outside(self, array):
        """A boolean mask of the entries outside the interval (NaN is never outside)."""
        low = array <= self.low if self.low_open else array < self.low
        return low | (array >= self.high if self.high_open else array > self.high)

    def check_array(self, who, arg, array):
        """Raise a ValueError naming ``arg`` unless every entry lies inside (NaN passes,
        unless ``nan`` is False)."""
        if not self.nan and array.dtype.kind == "f" and np.isnan(array).any():
            raise ValueError(f"{who}: {arg} must not hold NaN; got one in an array of shape "
                             f"{shape_str(array)}")
        # fmin/fmax skip NaN: one fast pass each finds whether anything is out of range
        if array.size == 0 or (np.fmin.reduce(array, axis=None) in self
                               and np.fmax.reduce(array, axis=None) in self):
            return
        bad = self.outside(array)
        if np.any(bad):
            what = f" ({self.what})" if self.what else ""
            raise ValueError(f"{who}: {arg} must lie in {self}{what}; got "
                             f"{_number(array[bad].flat[0])} in an array of shape {shape_str(array)}")


@dataclass(frozen=True)
class Values:
    """A finite set of allowed numbers, e.g. the labels -1 and 1 (NaN passes if ``nan``).

    >>> str(Values((-1, 1)))
    '-1 or 1'
    """
    values: tuple
    nan: bool = True
    what: str = ""

    def __str__(self):
        return " or ".join(f"{v:g}" for v in self.values)

    def __contains__(self, value):
        return any(value == v for v in self.values)

    def outside(self, array):
        ok = np.isnan(array) if self.nan and array.dtype.kind == "f" else np.zeros(array.shape, bool)
        for value in self.values:
            ok |= array == value
        return ~ok

    def check_array(self, who, arg, array):
        bad = self.outside(array)
        if np.any(bad):
            what = f" ({self.what})" if self.what else ""
            raise ValueError(f"{who}: {arg} must be {self}{what}; got "
                             f"{_number(array[bad].flat[0])} in an array of shape {shape_str(array)}")


REALS = Interval()
POSITIVE = Interval(0, low_open=True)
NONNEGATIVE = Interval(0)
UNIT = Interval(0, 1)
WEIGHTS = Interval(0, high_open=True, what="finite weights", nan=False)
SIGNS = Values((-1, 1))
BINARY = Values((0, 1))


# ------------------------------------------------------------------------- scalars
def scalar(who, name, value, domain=REALS, *, integer=False, none=False):
    """A hyperparameter or call option that is one number, checked and as a Python number.

    Accepts Python and numpy numbers (``np.int64(2)``); refuses bools, strings, arrays,
    NaN and infinities, and numbers outside ``domain``. Returns an ``int`` when
    ``integer``, else a ``float`` (so a float32 input stays float32); ``None`` passes when
    ``none``.

    >>> scalar("QuantileLoss", "quantile", np.float32(0.25), Interval(0, 1, True, True))
    0.25
    >>> scalar("HingeLoss", "margin", True)
    Traceback (most recent call last):
        ...
    TypeError: HingeLoss: margin must be a real number, got True
    """
    if value is None and none:
        return None
    kind = "an int" if integer else "a real number"
    wanted = numbers.Integral if integer else numbers.Real
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, wanted):
        or_none = " or None" if none else ""
        raise TypeError(f"{who}: {name} must be {kind}{or_none}, got {value!r}")
    number = int(value) if integer else float(value)
    if not math.isfinite(number):
        raise ValueError(f"{who}: {name} must be finite, got {value!r}")
    if number not in domain:
        what = f" ({domain.what})" if getattr(domain, "what", "") else ""
        raise ValueError(f"{who}: {name} must lie in {domain}{what}, got {value!r}")
    return number


def flag(who, name, value):
    """A boolean option: ``True`` or ``False`` (numpy's too), never a truthy string or number."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: {name} must be True or False, got {value!r}")
    return bool(value)


def choice(who, name, value, options):
    """One of the strings ``options``."""
    if not isinstance(value, str) or value not in options:
        listed = " or ".join(repr(o) for o in options)
        raise ValueError(f"{who}: {name} must be {listed}, got {value!r}")
    return value


# -------------------------------------------------------------------------- arrays
def numeric_array(who, arg, value):
    """``value`` as an array of numbers (bool, int or float), or a TypeError naming ``arg``."""
    if value is None:
        raise TypeError(f"{who}: {arg} is required, got None")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{who}: {arg} must be an array of real numbers, got the string {value!r}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{who}: {arg} could not be read as an array: {exc}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{who}: {arg} must be an array of real numbers, got dtype {array.dtype}")
    return array


def float_array(who, arg, value):
    """A float array: float32 and float64 kept, float16 to float32, integers and bools to float64."""
    array = numeric_array(who, arg, value)
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    if array.dtype == np.float16:
        return array.astype(np.float32)
    if array.dtype.kind != "f":     # pragma: no cover - numeric_array admits only b, i, u, f
        raise TypeError(f"{who}: {arg} must be real numbers, got dtype {array.dtype}")
    return array


def integer_array(who, arg, value):
    """An integer array (``intp``); floats must be integer-valued, bools are refused."""
    array = numeric_array(who, arg, value)
    if array.dtype.kind == "b":
        raise TypeError(f"{who}: {arg} must hold integers, got booleans")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError(f"{who}: {arg} must be integer-valued; got non-integer values in "
                             f"an array of shape {shape_str(array)}")
        if array.size and np.max(np.abs(array)) > np.iinfo(np.intp).max:
            raise ValueError(f"{who}: {arg} holds {_number(array.flat[np.argmax(np.abs(array))])}, "
                             f"too large for an index (array of shape {shape_str(array)})")
    return array.astype(np.intp)


def axis_index(who, name, axis, array, arg):
    """``axis`` as an index into ``array``'s axes, or a ValueError naming both shapes."""
    if not -array.ndim <= axis < array.ndim:
        raise ValueError(f"{who}: {name}={axis} is out of range for {arg} of shape "
                         f"{shape_str(array)} ({array.ndim} axes)")
    return axis % array.ndim


def batched(who, arg, value, batch_axis, domain=None):
    """The main float input of a loss: at least one axis, and its batch axis must exist."""
    array = float_array(who, arg, value)
    if array.ndim == 0:
        raise ValueError(f"{who}: {arg} needs a batch axis, got a scalar (shape ())")
    axis_index(who, "batch_axis", batch_axis, array, arg)
    if domain is not None:
        domain.check_array(who, arg, array)
    return array


def like(who, arg, value, ref, ref_name, domain=None):
    """``value`` as a float array of ``ref``'s shape and dtype (Gluon's ``reshape_like``).

    Sizes that differ are an error, never a broadcast.
    """
    array = float_array(who, arg, value)
    if array.shape != ref.shape:
        if array.size != ref.size:
            raise ValueError(
                f"{who}: {arg} of shape {shape_str(array)} has {array.size} elements but "
                f"{ref_name} of shape {shape_str(ref)} has {ref.size}; they must have the same "
                f"number of elements")
        array = array.reshape(ref.shape)
    if domain is not None:
        domain.check_array(who, arg, array)
    return array.astype(ref.dtype, copy=False)


def per_sample(who, arg, value, batch, domain=None):
    """One number per sample, shape ``(batch,)`` (any shape of ``batch`` elements is flattened)."""
    array = numeric_array(who, arg, value)
    if array.size != batch:
        raise ValueError(f"{who}: {arg} of shape {shape_str(array)} must hold one value per "
                         f"sample: {batch} values (the batch size), got {array.size}")
    array = array.reshape(batch)
    if domain is not None:
        domain.check_array(who, arg, array)
    return array


def class_index(who, arg, value, num_classes, shape, ignore_index=None):
    """Integer class indices of ``shape`` in ``[0, num_classes)``; entries equal to
    ``ignore_index`` are exempt from the range. Float labels must be integer-valued."""
    array = numeric_array(who, arg, value)
    if array.shape != tuple(shape):
        if array.size != int(np.prod(shape)):
            raise ValueError(f"{who}: {arg} of shape {shape_str(array)} does not match the "
                             f"expected shape {tuple(shape)} (pred's shape without the class axis)")
        array = array.reshape(shape)
    if array.dtype.kind == "b":
        raise TypeError(f"{who}: {arg} holds class indices, got booleans")
    if array.dtype.kind == "f" and (not np.all(np.isfinite(array))
                                    or np.any(array != np.round(array))):
        raise ValueError(f"{who}: {arg} holds class indices, so it must be integer-valued; "
                         f"got non-integer values in an array of shape {shape_str(array)}")
    # the range is checked before any conversion, so 1e20 is reported as 1e20
    bad = (array < 0) | (array >= num_classes)
    if ignore_index is not None:
        bad &= array != ignore_index
    if np.any(bad):
        raise ValueError(
            f"{who}: {arg} has class index {_number(array[bad].flat[0])} out of range "
            f"[0, {num_classes}) (label shape {shape_str(array)}, {num_classes} classes)")
    return array.astype(np.intp)


def broadcastable(who, arg, value, shape, dtype, domain=None):
    """A float array that broadcasts to ``shape`` without growing it (e.g. ``pos_weight``)."""
    array = float_array(who, arg, value)
    try:
        fits = np.broadcast_shapes(array.shape, tuple(shape)) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{who}: {arg} of shape {shape_str(array)} does not broadcast to pred "
                         f"of shape {tuple(shape)}")
    if domain is not None:
        domain.check_array(who, arg, array)
    return array.astype(dtype, copy=False)


def sample_weight(who, value, shape, axis, dtype):
    """``sample_weight`` as ``dtype``, broadcastable to the per-element loss ``shape``.

    A 1-D weight whose length is the batch size weights the samples (it is laid along the
    batch ``axis``), whatever the other axes are; so does a ``(batch, 1, ...)`` weight.
    Otherwise numpy's broadcasting applies, and it must not grow the loss. Gluon broadcasts
    a 1-D weight numpy-style, along the last axis: a deliberate difference.
    """
    if value is None:
        return None
    weights = numeric_array(who, "sample_weight", value)
    given = weights.shape
    shape = tuple(shape)
    batch = shape[axis]
    if weights.ndim >= 1 and weights.shape[0] == batch and all(n == 1 for n in given[1:]) \
            and len(shape) > 1:
        along = [1] * len(shape)
        along[axis] = batch
        weights = weights.reshape(along)
    elif weights.ndim > len(shape) and all(n == 1 for n in given[len(shape):]):
        # Gluon documents (batch, 1) weights for losses of one value per sample
        weights = weights.reshape(given[:len(shape)])
    try:
        fits = np.broadcast_shapes(weights.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        hint = ""
        if len(shape) > 1:
            hint = f"; for one weight per sample use shape ({batch},)"
        raise ValueError(f"{who}: sample_weight of shape {given} does not broadcast to the "
                         f"per-element loss of shape {shape}{hint}")
    return weights.astype(dtype, copy=False)


def out_grad(who, value, batch, dtype):
    """The head gradient: one number per sample, shape ``(batch,)`` (a scalar is spread)."""
    if value is None:
        return None
    head = numeric_array(who, "out_grad", value)
    if head.ndim == 0:
        head = np.full(batch, head, dtype=dtype)
    if head.shape != (batch,):
        raise ValueError(f"{who}: out_grad of shape {shape_str(head)} must have the output's "
                         f"shape ({batch},), one value per sample")
    return head.astype(dtype, copy=False)


def scalar_out_grad(who, value):
    """The head gradient of a reduced loss (``reduction='mean'`` or ``'sum'``): one number,
    default 1."""
    if value is None:
        return 1.0
    head = numeric_array(who, "out_grad", value)
    if head.size != 1 or head.ndim > 1:
        raise ValueError(f"{who}: out_grad of shape {shape_str(head)} must be one number, since "
                         f"the loss is reduced to one number (reduction='mean' or 'sum')")
    return float(head.reshape(()))


# -------------------------------------------------------- the inputs of a loss's call
class Input:
    """One argument of a loss's call, in the order of its signature.

    ``check(loss, value, checked)`` returns the validated value; ``checked`` holds the
    inputs before it (the first one is the loss's main input). ``grad`` marks an input that
    receives a gradient; ``batched`` one whose batch axis the engine may cut into blocks.
    A ``domain`` is a :class:`Interval` or :class:`Values`, or the name of an attribute of
    the loss that holds one (for a domain that depends on a hyperparameter), or None.
    """

    grad = False
    batched = True
    default = None
    required = True

    def __init__(self, name, domain=None, grad=None, default=None, required=None):
        self.name = name
        self.domain = domain
        if grad is not None:
            self.grad = grad
        if required is not None:
            self.required = required
        if default is not None or required is False:
            self.default = default

    def domain_of(self, loss):
        return getattr(loss, self.domain) if isinstance(self.domain, str) else self.domain

    def check(self, loss, value, checked):  # pragma: no cover - abstract
        raise NotImplementedError


class Pred(Input):
    """The main input (``pred``, ``input1``): float, with a batch axis; it gets a gradient."""

    grad = True

    def check(self, loss, value, checked):
        return batched(type(loss).__name__, self.name, value, loss.batch_axis,
                       self.domain_of(loss))


class Like(Input):
    """An input of the main input's size, reshaped to its shape and dtype."""

    def check(self, loss, value, checked):
        ref_name, ref = next(iter(checked.items()))
        return like(type(loss).__name__, self.name, value, ref, ref_name, self.domain_of(loss))


class SampleLabel(Input):
    """One label per sample, flattened to ``(batch,)``."""

    def check(self, loss, value, checked):
        ref = next(iter(checked.values()))
        batch = ref.shape[loss.batch_axis % ref.ndim]
        return per_sample(type(loss).__name__, self.name, value, batch, self.domain_of(loss))


class ClassLabel(Input):
    """Class indices of the main input's shape without the class axis ``loss.axis``, or,
    when the loss has ``sparse_label`` False, probabilities of the main input's shape."""

    def check(self, loss, value, checked):
        who = type(loss).__name__
        ref_name, pred = next(iter(checked.items()))
        if not getattr(loss, "sparse_label", True):
            return like(who, self.name, value, pred, ref_name,
                        Interval(0, 1, what="probabilities, since sparse_label=False"))
        axis = class_axis(loss, pred)
        shape = pred.shape[:axis] + pred.shape[axis + 1:]
        return class_index(who, self.name, value, pred.shape[axis], shape,
                           getattr(loss, "ignore_index", None))


def class_axis(loss, pred):
    """The class axis ``loss.axis`` of ``pred``, which must differ from the batch axis."""
    who = type(loss).__name__
    axis = axis_index(who, "axis", loss.axis, pred, "pred")
    if axis == loss.batch_axis % pred.ndim:
        raise ValueError(f"{who}: axis={loss.axis} and batch_axis={loss.batch_axis} name the "
                         f"same axis of pred of shape {shape_str(pred)}; give pred a class "
                         f"axis, e.g. shape (batch, classes)")
    return axis


class Broadcast(Input):
    """An optional array that broadcasts to the main input's shape (``pos_weight``)."""

    required = False

    def check(self, loss, value, checked):
        if value is None:
            return None
        pred = next(iter(checked.values()))
        array = broadcastable(type(loss).__name__, self.name, value, pred.shape, pred.dtype,
                              self.domain_of(loss))
        return np.broadcast_to(array, pred.shape)      # a view: the engine may cut its rows


class Option(Input):
    """A call option that is one number, with a default (``epsilon``)."""

    batched = False
    required = False

    def __init__(self, name, default, domain=REALS):
        super().__init__(name, domain)
        self.default = default

    def check(self, loss, value, checked):
        return scalar(type(loss).__name__, self.name, value, self.domain_of(loss))


class _SampleWeight(Input):
    """``sample_weight``: checked by the base class against the per-element loss."""

    batched = False
    required = False


SAMPLE_WEIGHT = _SampleWeight("sample_weight")
