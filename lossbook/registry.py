"""One record per loss: what the tests, the widgets and the book's tables know about it.

A family module defines a loss class and, right below it, calls :func:`register` with
a :class:`Record`. The generic tests (gradients, dtypes, shapes, properties), the plot
helpers and the explorer widget read these records, so registering a loss is all it takes
to have it checked, plotted and explorable. (The tests make their sample inputs in
``tests/samplers.py``, one sampler per registered loss.)

>>> from lossbook import registry
>>> record = registry.get("HuberLoss")
>>> record.family, [p.name for p in record.params]
('regression', ['rho'])
>>> record.has_hess_diag
True
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

__all__ = ["Param", "Record", "register", "get", "records", "names", "elementwise_plot_inputs"]


@dataclass(frozen=True)
class Param:
    """A constructor hyperparameter and the range a slider or a test may use.

    ``low``/``high`` bound a float parameter; ``choices`` lists the values of a discrete
    one (a bool or a string option).
    """
    name: str
    default: object
    low: Optional[float] = None
    high: Optional[float] = None
    choices: Optional[tuple] = None
    doc: str = ""


@dataclass(frozen=True)
class Record:
    """What the generic machinery knows about one loss.

    Attributes
    ----------
    cls : the loss class.
    family : ``"regression"``, ``"classification"``, ``"information"``, ``"sequence"``, ``"embedding"``.
    params : hyperparameters with the ranges a slider or a test may use (:class:`Param`).
    configs : constructor keywords to test, one dict each (the defaults are always tested).
    batch_axes : batch axes the loss supports, for the generic tests.
    plot_domain : ``(low, high)`` of the plotted prediction.
    plot_labels : label values worth plotting against.
    plot_inputs : ``plot_inputs(x, label, config) -> (args, kwargs, pick)``: inputs whose
        samples trace the loss along the 1-D grid ``x`` for one ``label``; ``pick(grad)``
        returns the derivative with respect to ``x`` itself, the quantity on the plot's
        axis (the chain rule applied where the loss's input is a function of ``x``).
    x_label : what the plotted axis is (``"pred"``, ``"logit of the true class"``, ...).
    summary : one line for the book's table.
    nonnegative : the loss is >= 0 for every valid input (False: it can be negative).
    zero_at_target : the loss is 0 where the prediction equals the label.
    batch_coupled : each sample's value depends on the other samples of the batch (they
        are its negatives), so NaN in one sample reaches every sample.
    has_hess_diag : (read from the class) the loss has ``hess_diag``, the diagonal of its
        Hessian: its ``value_and_derivative`` takes ``order=2``.
    """
    cls: type
    family: str
    params: tuple = ()
    configs: tuple = ()
    batch_axes: tuple = (0, 1)
    plot_domain: tuple = (-3.0, 3.0)
    plot_labels: tuple = (0.0,)
    plot_inputs: Optional[Callable] = None
    x_label: str = "pred"
    summary: str = ""
    nonnegative: bool = True
    zero_at_target: bool = False
    batch_coupled: bool = False

    @property
    def name(self):
        return self.cls.__name__

    @property
    def has_hess_diag(self):
        return self.cls.has_hess_diag

    @property
    def defaults(self):
        """Constructor keywords with every registered parameter at its default."""
        return {p.name: p.default for p in self.params}

    def make(self, **config):
        """A loss instance with the defaults updated by ``config``."""
        return self.cls(**{**self.defaults, **config})

    def all_configs(self):
        """The default configuration followed by every listed variant."""
        seen, out = [], []
        for config in ({},) + tuple(self.configs):
            full = {**self.defaults, **config}
            if full not in seen:
                seen.append(full)
                out.append(full)
        return out


_REGISTRY = {}


def register(record):
    """Add ``record`` to the registry (once per loss class) and return it."""
    if record.name in _REGISTRY:
        raise ValueError(f"{record.name} is registered twice")
    _REGISTRY[record.name] = record
    return record


def get(name):
    """The record of the loss called ``name`` (a class name such as ``"L2Loss"``)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no loss called {name!r}; registered: {', '.join(names())}") from None


def records(family=None):
    """Every record, in registration order, optionally of one family."""
    return [r for r in _REGISTRY.values() if family is None or r.family == family]


def names(family=None):
    """Every registered name, in registration order, optionally of one family."""
    return [r.name for r in records(family)]


def elementwise_plot_inputs(x, label, config):
    """Plot helper for losses of (pred, label) applied element by element."""
    pred = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    return (pred, np.full_like(pred, label)), {}, lambda grad: grad[:, 0]
