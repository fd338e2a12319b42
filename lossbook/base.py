r"""The base class of every loss: its call, weighting, reduction and ``out_grad``, written once.

A loss is a small class (see :class:`Loss` and the book's page "Writing a loss"):

* its **hyperparameters**, declared with :class:`Hyperparameter` and set in ``__init__``
  (Gluon's constructor arguments and order), then read-only: ``HuberLoss(rho=2).rho``;
* its **inputs**, the call signature in Gluon's order, declared as data
  (``inputs = (Pred("pred"), Like("label"), SAMPLE_WEIGHT)``, from
  :mod:`lossbook.checks`), with the domain of each;
* **one method** giving the per-element value and its derivative side by side in plain
  numpy: ``value_and_derivative(self, pred, label) -> (loss, dloss_dpred)``.

This class does everything else, in the order of ``mxnet.gluon.loss``: it binds and checks
the call arguments, multiplies the per-element loss by ``sample_weight`` (broadcast, never
beyond the loss's shape) and ``weight``, and takes the mean (or, for
:class:`~lossbook.KLDivLoss`, the sum) over every axis except the batch axis. The gradient
runs the same steps backwards from the head gradient ``out_grad``. The arithmetic is in
:mod:`lossbook.engine`, which also cuts large batches into blocks and threads.

Every loss also takes the keyword ``reduction`` (PyTorch's), added to its constructor here:
``'none'`` (the default) returns the per-sample values above; ``'sum'`` and ``'mean'``
return one number, from the sum over every element of the weighted per-element loss
(see :meth:`Loss.mean_denominator`), and ``grad`` then differentiates that number.
"""
import functools
import inspect
import math

import numpy as np

from . import checks, engine
from .checks import SAMPLE_WEIGHT, Interval, Like, Pred

__all__ = ["Loss", "ElementwiseLoss", "Hyperparameter"]

_P = inspect.Parameter


class Hyperparameter:
    """A constructor argument of a loss: checked when ``__init__`` sets it, read-only after.

    ``check`` is a domain of :mod:`lossbook.checks` for a number (``checks.POSITIVE``),
    or a function ``check(who, name, value) -> value`` for anything else::

        rho = Hyperparameter(checks.POSITIVE, "Where the quadratic piece meets the linear one.")

    ``loss.rho`` reads it; ``loss.rho = 2`` on a built loss raises ``AttributeError``.
    """

    def __init__(self, check, doc=""):
        if isinstance(check, (checks.Interval, checks.Values)):
            check = real(check)
        self.check = check
        self.__doc__ = doc

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, loss, owner=None):
        if loss is None:
            return self
        return loss.__dict__[self.name]

    def __set__(self, loss, value):
        if self.name in loss.__dict__:
            raise AttributeError(f"{type(loss).__name__}.{self.name} is read-only; build a new "
                                 f"loss with {self.name}={value!r} instead")
        loss.__dict__[self.name] = self.check(type(loss).__name__, self.name, value)


def real(domain=checks.REALS, none=False):
    """A :class:`Hyperparameter` check for one real number in ``domain``."""
    return lambda who, name, value: checks.scalar(who, name, value, domain, none=none)


def integer(domain=checks.REALS, none=False):
    """A :class:`Hyperparameter` check for one int in ``domain``."""
    return lambda who, name, value: checks.scalar(who, name, value, domain, integer=True,
                                                  none=none)


def boolean(who, name, value):
    """A :class:`Hyperparameter` check for a flag."""
    return checks.flag(who, name, value)


def one_of(*options):
    """A :class:`Hyperparameter` check for one of the strings ``options``."""
    return lambda who, name, value: checks.choice(who, name, value, options)


class Loss:
    r"""Base class for losses, with the semantics of ``mxnet.gluon.loss.Loss``.

    Parameters
    ----------
    weight : float or None
        Global scalar weight for the loss; ``None`` means 1. (The same for every loss.)
    batch_axis : int, default 0
        The axis of the inputs that indexes the samples of the mini-batch; every other
        axis belongs to the sample. (The same for every loss.)
    reduction : ``'none'``, ``'mean'`` or ``'sum'``, keyword only, default ``'none'``
        PyTorch's batch reduction, on every loss. ``'none'``: one value per sample, as
        Gluon. ``'sum'``: the sum over every element of the weighted per-element loss
        (PyTorch's ``'sum'``; for a loss that averages a sample's elements this is not the
        sum of the per-sample values). ``'mean'``: that sum divided by
        :meth:`mean_denominator`, which makes it PyTorch's ``'mean'`` for the same loss and
        options (the element mean; the class-weighted token mean of cross-entropy with
        ``class_weight`` and ``ignore_index``; CTC's mean over samples of the loss per
        label symbol). ``sample_weight`` multiplies the elements but never enters the
        denominator (Keras's convention; PyTorch has no ``sample_weight``). The result is
        one number of the main input's dtype, ``grad`` differentiates it, and ``out_grad``
        is then one number (default 1).

    Notes
    -----
    A subclass declares

    * ``inputs``: its call arguments in Gluon's order, as :mod:`lossbook.checks` inputs
      (``SAMPLE_WEIGHT`` marks where ``sample_weight`` goes); the signatures of
      ``__call__``, ``grad``, ``value_and_grad`` and ``elementwise`` follow from it;
    * its hyperparameters as :class:`Hyperparameter` attributes;
    * ``value_and_derivative(**inputs) -> (value, derivative)``: the per-element loss and
      the derivative of each element with respect to each differentiable input (one array,
      or a tuple in argument order), on checked arrays. A loss whose elements depend on
      other elements' inputs (a softmax inside the loss, say) writes
      ``value_and_vjp(**inputs) -> (value, vjp)`` instead, where ``vjp(g)`` maps the head
      gradient per element to the gradients;
    * optionally the curvature: ``value_and_derivative(**inputs, order=2) -> (value,
      derivative, second)``, ``second`` being the second derivative of each element with
      respect to the same element of its input (the Hessian's diagonal, 0 where the loss
      is linear and at kinks), written beside the derivative. A loss whose
      ``value_and_derivative`` takes ``order`` has :meth:`hess_diag` and
      :meth:`value_grad_hess_diag` (``has_hess_diag`` is True);

    and may set ``sample_reduction = "sum"`` (default ``"mean"``: how the elements of one
    sample become its value; a ``reduction`` over the batch, PyTorch's, is another
    matter), ``blocked = True`` (large batches may be cut into blocks of rows),
    ``in_place = True`` (its
    ``value_and_derivative`` takes ``out=``, the rows of the gradient of its one
    differentiable input, and writes the derivative there: a pass saved where ``make bench``
    shows it matters), override :meth:`value_shape` when its
    per-element loss is not of the main input's shape, and :meth:`prepare` when its
    inputs need checks that depend on one another.
    """

    inputs = (Pred("pred"), Like("label"), SAMPLE_WEIGHT)
    sample_reduction = "mean"
    blocked = False
    in_place = False

    weight = Hyperparameter(real(none=True), "Global scalar weight (None means 1).")
    batch_axis = Hyperparameter(integer(), "The axis that indexes samples.")
    reduction = Hyperparameter(one_of("none", "mean", "sum"),
                               "Over the batch: 'none' (per sample), 'mean' or 'sum'.")

    def __init__(self, weight=None, batch_axis=0):
        self.weight = weight
        self.batch_axis = batch_axis

    # -------------------------------------------------------- the class's signature
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _build_signature(cls)

    @property
    def hyperparameters(self):
        """The constructor arguments, as ``{name: value}`` in the constructor's order."""
        return {name: getattr(self, name) for name in type(self)._constructor}

    def __repr__(self):
        # (reduction is shown only when set, so a default loss reads as in Gluon)
        params = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items()
                           if not (k == "reduction" and v == "none"))
        return f"{type(self).__name__}({params})"

    @property
    def sample_axis(self):
        """The axis of the differentiable inputs that indexes samples (``batch_axis``)."""
        return self.batch_axis

    # ------------------------------------------------------------ the public calls
    # (each subclass gets copies of these with its own signature: see _build_signature)
    def __call__(self, *args, **kwargs):
        """Per-sample loss values, shape ``(batch,)``, the dtype of the main input (one
        number with ``reduction='mean'`` or ``'sum'``)."""
        return self._evaluate(args, kwargs, need_grad=False)[0]

    def grad(self, *args, out_grad=None, **kwargs):
        r"""Gradient of ``sum(out_grad * loss(...))`` with respect to the differentiable inputs.

        One array of the input's shape and dtype, or a tuple in argument order for a
        loss with several differentiable inputs. ``out_grad`` (one number per sample, or
        one number when ``reduction`` is ``'mean'`` or ``'sum'``) defaults to ones.
        """
        return self._evaluate(args, kwargs, need_grad=True, out_grad=out_grad)[1]

    def value_and_grad(self, *args, out_grad=None, **kwargs):
        """``(loss(...), grad(...))`` computed together, sharing every intermediate."""
        return self._evaluate(args, kwargs, need_grad=True, out_grad=out_grad)

    def hess_diag(self, *args, out_grad=None, **kwargs):
        r"""Diagonal of the Hessian of ``sum(out_grad * loss(...))`` with respect to the
        differentiable inputs, for a loss with ``has_hess_diag``.

        One array of the input's shape and dtype, or a tuple in argument order, like
        :meth:`grad`. Weighting and the reduction are linear, so the per-element second
        derivative is scaled exactly as the derivative is. 0 where the loss is linear in
        the input and at kinks (the derivative's convention there).
        """
        return self._evaluate(args, kwargs, need_grad=True, out_grad=out_grad, order=2)[2]

    def value_grad_hess_diag(self, *args, out_grad=None, **kwargs):
        """``(loss(...), grad(...), hess_diag(...))`` computed together."""
        return self._evaluate(args, kwargs, need_grad=True, out_grad=out_grad, order=2)

    def elementwise(self, *args, **kwargs):
        """The per-element loss, before ``sample_weight``, ``weight`` and the reduction."""
        call = self._bind(args, kwargs)
        call.pop("sample_weight", None)
        inputs = self.prepare(**call)
        value = self._formula(**inputs)[0]
        return np.asarray(value).astype(next(iter(inputs.values())).dtype, copy=False)

    # ---------------------------------------------------------- for subclasses
    def prepare(self, **call):
        """The checked inputs, ``{name: value}``, from the call's arguments (without
        ``sample_weight``), each checked by its declaration in ``inputs``."""
        checked = {}
        for spec in type(self)._specs:
            checked[spec.name] = spec.check(self, call[spec.name], checked)
        return checked

    def value_shape(self, inputs):
        """The shape of the per-element loss, with the samples on :attr:`sample_axis`.

        By default that of the main input (an elementwise loss); a loss that reduces an
        axis itself keeps it with size 1.
        """
        return next(iter(inputs.values())).shape

    def mean_denominator(self, inputs, shape):
        """What ``reduction='mean'`` divides the sum over every element by.

        ``inputs`` are the checked inputs, ``shape`` the per-element loss's. By default the
        number of elements, ``prod(shape)``: the mean over every element, which for a loss
        that averages over a sample's elements is also the mean of the per-sample values.
        A loss whose PyTorch mean is another one overrides this; it may return one number
        per sample, shape ``(batch,)``, each sample's sum then divided by its own
        (:class:`~lossbook.CTCLoss`).
        """
        return math.prod(shape)

    # ------------------------------------------------------------- the pipeline
    def _bind(self, args, kwargs):
        cls = type(self)
        names = cls._call_names
        who = cls.__name__
        if len(args) > len(names):
            raise TypeError(f"{who} takes at most {len(names)} arguments "
                            f"({', '.join(names)}), got {len(args)}")
        call = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in cls._call_defaults:
                raise TypeError(f"{who}: unexpected argument {key!r}; "
                                f"the arguments are {', '.join(names)}")
            if key in call:
                raise TypeError(f"{who}: got two values for argument {key!r}")
            call[key] = value
        for key, default in cls._call_defaults.items():
            if key not in call:
                if default is _P.empty:
                    raise TypeError(f"{who}: missing required argument {key!r}")
                call[key] = default
        return call

    def _evaluate(self, args, kwargs, need_grad, out_grad=None, order=1):
        cls = type(self)
        who = cls.__name__
        if order == 2 and not cls.has_hess_diag:
            raise NotImplementedError(f"{who} has no hess_diag: no second derivative is "
                                      f"written for it (a loss has one when its "
                                      f"value_and_derivative takes order=2)")
        call = self._bind(args, kwargs)
        sample_weight = call.pop("sample_weight", None)
        inputs = self.prepare(**call)
        main = next(iter(inputs.values()))
        dtype = main.dtype
        shape = tuple(self.value_shape(inputs))
        axis = self.sample_axis % len(shape)
        batch = shape[axis]
        count = math.prod(shape[:axis] + shape[axis + 1:])
        scale = 1.0 if self.weight is None else self.weight
        if self.sample_reduction == "mean" and count:
            scale /= count
        weights = checks.sample_weight(who, sample_weight, shape, axis, dtype)
        if self.reduction == "none":
            head = checks.out_grad(who, out_grad, batch, dtype) if need_grad else None
        else:       # the reduced value is sum_i share_i * out_i
            share = self._batch_share(inputs, shape, axis, count, dtype)
            if need_grad:       # (nothing counted: NaN value, zero gradient, as in PyTorch)
                head = np.where(np.isnan(share), 0, share) * checks.scalar_out_grad(who, out_grad)
            else:
                head = None
        batched, constants = {}, {}
        for spec in cls._specs:
            value = inputs[spec.name]
            (batched if spec.batched and value is not None else constants)[spec.name] = value
        for name in inputs.keys() - batched.keys() - constants.keys():
            constants[name] = inputs[name]          # extra inputs a prepare() added
        # (order 2: the engine scales the second derivatives as further derivatives)
        grad_shapes = [np.shape(inputs[name]) for name in cls.grad_inputs] * order
        out, grads = engine.evaluate(
            self._formula if order == 1 else self._formula_order_2, batched, constants, shape,
            axis, weights, head, scale, grad_shapes, dtype, need_grad, blocked=self.blocked,
            vjp=cls._vjp, in_place=self.in_place and order == 1)
        if self.reduction != "none":
            out = np.dot(out, share)[()]
        if not need_grad:
            return out, None
        parts = [grads[k:k + len(cls.grad_inputs)] for k in range(0, len(grads),
                                                                  len(cls.grad_inputs))]
        return (out,) + tuple(part[0] if len(part) == 1 else tuple(part) for part in parts)

    def _batch_share(self, inputs, shape, axis, count, dtype):
        """How much each per-sample value counts in the reduced value, shape (batch,).

        A per-sample value is its sample's sum over elements divided by ``count`` (a mean
        over the sample) or not divided (a sum); 'sum' adds the samples' sums, 'mean'
        divides them by :meth:`mean_denominator`. A denominator of 0 (every position
        ignored) gives NaN, as PyTorch's 0 / 0 does.
        """
        total = float(count) if self.sample_reduction == "mean" else 1.0
        share = np.full(shape[axis], total)
        if self.reduction == "mean":
            denominator = np.asarray(self.mean_denominator(inputs, shape), dtype=np.float64)
            share = np.where(denominator == 0, np.nan, share / np.where(denominator == 0, 1,
                                                                         denominator))
        return share.astype(dtype)

    def _formula(self, **inputs):
        if type(self)._vjp:
            return self.value_and_vjp(**inputs)
        return self.value_and_derivative(**inputs)

    def _formula_order_2(self, **inputs):
        value, first, second = self.value_and_derivative(**inputs, order=2)
        if len(type(self).grad_inputs) == 1:
            return value, (first, second)
        return value, tuple(first) + tuple(second)


def _build_signature(cls):
    """Give ``cls`` the call, grad, value_and_grad and elementwise of its ``inputs``."""
    if "__init__" in vars(cls):
        cls.__init__ = _with_reduction(cls.__init__)
    specs = tuple(cls.inputs)
    params = [_P(s.name, _P.POSITIONAL_OR_KEYWORD,
                 default=_P.empty if s.required else s.default) for s in specs]
    cls._call_names = tuple(s.name for s in specs)
    cls._call_defaults = {p.name: p.default for p in params}
    cls._specs = tuple(s for s in specs if s is not SAMPLE_WEIGHT)
    cls.grad_inputs = tuple(s.name for s in cls._specs if s.grad)
    cls._vjp = hasattr(cls, "value_and_vjp")
    formula = getattr(cls, "value_and_derivative", None)
    cls.has_hess_diag = (not cls._vjp and formula is not None
                         and "order" in inspect.signature(formula).parameters)
    cls._constructor = tuple(p for p in inspect.signature(cls.__init__).parameters
                             if p not in ("self", "args", "kwargs"))
    me = _P("self", _P.POSITIONAL_OR_KEYWORD)
    head = _P("out_grad", _P.KEYWORD_ONLY, default=None)
    no_weight = [p for p in params if p.name != "sample_weight"]
    for name, extra in (("__call__", []), ("grad", [head]), ("value_and_grad", [head]),
                        ("hess_diag", [head]), ("value_grad_hess_diag", [head]),
                        ("elementwise", None)):
        if name not in vars(cls):                  # (a class's own definition wins)
            signature = inspect.Signature([me] + (no_weight if extra is None else params + extra))
            setattr(cls, name, _with_signature(_PUBLIC[name], signature))


def _with_reduction(init):
    """A loss's ``__init__`` that also takes the keyword ``reduction`` (written once, here).

    The reduction is set before the loss's own ``__init__`` runs; a subclass's
    ``__init__`` that calls its parent's leaves the value its own caller gave.
    """
    if getattr(init, "_takes_reduction", False):
        return init

    @functools.wraps(init)
    def __init__(self, *args, reduction="none", **kwargs):
        if "reduction" not in self.__dict__:
            self.reduction = reduction
        init(self, *args, **kwargs)

    signature = inspect.signature(init)
    keyword = _P("reduction", _P.KEYWORD_ONLY, default="none")
    params = list(signature.parameters.values())
    at = len(params) - (params[-1].kind == _P.VAR_KEYWORD if params else 0)
    __init__.__signature__ = signature.replace(parameters=params[:at] + [keyword] + params[at:])
    __init__._takes_reduction = True
    return __init__


def _with_signature(function, signature):
    """``function`` under its own name and doc, showing ``signature`` to inspect and help()."""
    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = function.__name__
    method.__doc__ = function.__doc__
    method.__signature__ = signature
    return method


_PUBLIC = {name: vars(Loss)[name] for name in ("__call__", "grad", "value_and_grad", "hess_diag",
                                               "value_grad_hess_diag", "elementwise")}
_build_signature(Loss)


class ElementwiseLoss(Loss):
    r"""A loss of ``(pred, label)`` element by element: ``value_and_derivative(pred, label)``
    gets two arrays of one shape and returns the loss and its derivative with respect to
    ``pred``, both of that shape. ``label_domain`` (a :mod:`lossbook.checks` domain, or
    None for any real) is checked on every call. Large batches run in blocks of rows.

    Inputs
    ------
    pred : any shape with a batch axis; integers are promoted to float64.
    label : ``pred``'s number of elements, reshaped to its shape (Gluon's ``reshape_like``;
        sizes that differ are an error, never a broadcast).
    sample_weight : broadcastable to ``pred``'s shape without growing it, e.g.
        ``(batch, 1)``; a 1-D weight of the batch's length weighs the samples.

    Returns
    -------
    The mean over every axis but the batch axis: shape ``(batch,)``, ``pred``'s dtype.
    """

    inputs = (Pred("pred"), Like("label", domain="label_domain"), SAMPLE_WEIGHT)
    label_domain = None
    blocked = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.__doc__ = _with_common_inputs(cls.__doc__)


_COMMON_INPUTS = """    Inputs
    ------
    pred, label, sample_weight
        As for every elementwise loss (:class:`~lossbook.ElementwiseLoss`); the result has
        shape ``(batch,)`` and ``pred``'s dtype.

"""


def _with_common_inputs(doc):
    """An elementwise loss's docstring with the shared Inputs section after its Parameters
    (written once, here), unless it has one of its own."""
    if not doc or "\n    Inputs\n" in doc:
        return doc
    ends = [doc.find(mark) for mark in ("    Notes\n", "    References\n", "    >>> ")]
    ends = [i for i in ends if i > doc.find("    Parameters\n")]
    at = min(ends) if ends else len(doc)
    return doc[:at] + _COMMON_INPUTS + doc[at:]
