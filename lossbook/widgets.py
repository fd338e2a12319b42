r"""An ipywidgets explorer of loss and gradient curves, drawn through :mod:`lossbook.plot`.

:func:`explore` shows a drop-down of every registered loss that can be plotted, a
control for each of the loss's hyperparameters (a slider over the range its registry
record gives, or a drop-down of its choices), the label, and whether to show the
gradient. The figure follows every change.

The explorer can be driven from Python, which is how the tests check it::

    ex = explore("HuberLoss")
    ex.controls["rho"].value = 2.0
    ex.lines["loss"].get_ydata()      # the curve now drawn for rho = 2

ipywidgets and matplotlib are imported here only, never by ``import lossbook``.
"""
import numbers

import ipywidgets as widgets
from matplotlib.figure import Figure

from . import plot, registry

__all__ = ["Explorer", "explore", "plottable"]


def plottable():
    """Names of the registered losses that can be drawn (their record has ``plot_inputs``)."""
    return [record.name for record in registry.records() if record.plot_inputs is not None]


def _param_control(param):
    """A widget for one registry parameter, or None when it has no range or choices."""
    description = param.name
    if param.choices is not None:
        return widgets.Dropdown(options=[(str(c), c) for c in param.choices],
                                value=param.default, description=description)
    if param.low is None or param.high is None:
        return None
    integral = isinstance(param.default, numbers.Integral) and not isinstance(param.default, bool)
    if integral:
        return widgets.IntSlider(value=param.default, min=int(param.low), max=int(param.high),
                                 description=description, continuous_update=False)
    return widgets.FloatSlider(value=param.default, min=param.low, max=param.high,
                               step=(param.high - param.low) / 100, readout_format=".2f",
                               description=description, continuous_update=False)


class Explorer:
    """The controls, the figure and the lines of one explorer; see :func:`explore`.

    Attributes
    ----------
    controls : dict of widgets: ``"loss"``, ``"label"``, ``"gradient"`` and one per
        hyperparameter of the current loss (rebuilt when the loss changes).
    figure, ax : the matplotlib Figure and Axes drawn on.
    lines : dict of the drawn ``Line2D``: ``"loss"`` and, when shown, ``"gradient"``.
    widget : the ipywidgets box that is displayed.
    """

    def __init__(self, loss="HuberLoss", label=None, gradient=True, num=401, **config):
        names = plottable()
        if loss not in names:
            raise ValueError(f"explore: {loss!r} cannot be plotted; choose one of {', '.join(names)}")
        self.num = num
        self.figure = Figure(figsize=(6.4, 3.8))
        self.ax = self.figure.add_subplot()
        self.lines = {}
        self.output = widgets.Output()
        self._busy = False
        self._loss = widgets.Dropdown(options=names, value=loss, description="loss")
        self._label = widgets.Dropdown(description="label")
        self._gradient = widgets.Checkbox(value=gradient, description="show gradient")
        self._params = {}
        self._param_box = widgets.HBox()
        self.widget = widgets.VBox([
            widgets.HBox([self._loss, self._label, self._gradient]),
            self._param_box,
            self.output,
        ])
        self._loss.observe(self._loss_changed, names="value")
        self._label.observe(self._redraw, names="value")
        self._gradient.observe(self._redraw, names="value")
        self._setup_loss(label, config)
        self._redraw()

    # ------------------------------------------------------------------ state
    @property
    def record(self):
        """The registry record of the loss shown."""
        return registry.get(self._loss.value)

    @property
    def controls(self):
        return {"loss": self._loss, "label": self._label, "gradient": self._gradient,
                **self._params}

    @property
    def config(self):
        """Constructor keywords of the loss shown, read from the controls."""
        return {name: control.value for name, control in self._params.items()}

    def _setup_loss(self, label=None, config=None):
        record = self.record
        config = dict(config or {})
        unknown = set(config) - {p.name for p in record.params}
        if unknown:
            raise ValueError(f"explore: {record.name} has no parameter(s) {sorted(unknown)}; "
                             f"it has {[p.name for p in record.params]}")
        self._busy = True
        try:
            for control in self._params.values():
                control.unobserve(self._redraw, names="value")
            self._params = {}
            for param in record.params:
                control = _param_control(param)
                if control is None:
                    continue
                if param.name in config:
                    control.value = config[param.name]
                control.observe(self._redraw, names="value")
                self._params[param.name] = control
            self._param_box.children = tuple(self._params.values())
            labels = list(record.plot_labels)
            if label is not None and label not in labels:
                labels.append(label)
            self._label.options = [(f"{value:g}", value) for value in labels]
            self._label.value = labels[0] if label is None else label
        finally:
            self._busy = False

    def _loss_changed(self, change):
        self._setup_loss()
        self._redraw()

    # ---------------------------------------------------------------- drawing
    def _redraw(self, change=None):
        if self._busy:
            return
        self.ax.clear()
        plot.plot_loss(self._loss.value, self._label.value, config=self.config, num=self.num,
                       gradient=self._gradient.value, ax=self.ax)
        self.lines = {line.get_label(): line for line in self.ax.get_lines()
                      if line.get_label() in ("loss", "gradient")}
        self._show()

    def _show(self):
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # pragma: no cover
            return
        if get_ipython() is None:
            return
        with self.output:
            self.output.clear_output(wait=True)
            display(self.figure)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def explore(loss="HuberLoss", label=None, gradient=True, num=401, **config):
    """An explorer of ``loss`` (a registered name): controls for the loss, its
    hyperparameters (``config`` sets their starting values), the label and the gradient.

    Returns an :class:`Explorer`; displaying it (the last expression of a cell) shows
    the controls and the figure.
    """
    return Explorer(loss, label=label, gradient=gradient, num=num, **config)
