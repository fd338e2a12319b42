r"""An ipywidgets explorer of loss and gradient curves, drawn through :mod:`lossbook.book.plot`.

:func:`explore` shows a drop-down of every registered loss that can be plotted, a
control for each of the loss's hyperparameters (a slider over the range its registry
record gives, or a drop-down of its choices), the label, and whether to show the
gradient. The figure follows every change.

The explorer can be driven from Python, which is how the tests check it::

    ex = explore("HuberLoss")
    ex.controls["rho"].value = 2.0
    ex.lines["loss"].get_ydata()      # the curve now drawn for rho = 2

:func:`compare_distributions` (the entropy chapter's widget) sets two distributions with
sliders and shows the KL divergence both ways; it is driven the same way::

    dx = compare_distributions()
    dx.controls["q_width"].value = 0.5
    dx.values["KL(p||q)"], dx.values["KL(q||p)"]

ipywidgets and matplotlib are imported here only, never by ``import lossbook``.
"""
import numbers

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .. import information, registry
from . import plot

__all__ = ["Explorer", "explore", "plottable", "DivergenceExplorer",
           "compare_distributions", "discrete_gaussian"]


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
        _show_figure(self.output, self.figure)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _show_figure(output, figure):
    """Draw ``figure`` into the ``output`` widget, when running inside IPython."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover
        return
    if get_ipython() is None:
        return
    with output:
        output.clear_output(wait=True)
        display(figure)


def explore(loss="HuberLoss", label=None, gradient=True, num=401, **config):
    """An explorer of ``loss`` (a registered name): controls for the loss, its
    hyperparameters (``config`` sets their starting values), the label and the gradient.

    Returns an :class:`Explorer`; displaying it (the last expression of a cell) shows
    the controls and the figure.
    """
    return Explorer(loss, label=label, gradient=gradient, num=num, **config)


# ------------------------------------------------------------- two distributions
def discrete_gaussian(mean, width, outcomes):
    r"""A bell-shaped distribution on the outcomes ``0 .. outcomes - 1``.

    :math:`p_k \propto \exp\big(-(k - \mathrm{mean})^2 / (2\,\mathrm{width}^2)\big)`,
    normalised to sum to 1. Computed from the log-weights minus their maximum, so every
    entry is positive (it may underflow to 0 only for a very narrow, far-away bell).
    """
    k = np.arange(outcomes, dtype=np.float64)
    log_weights = -0.5 * ((k - mean) / width) ** 2
    weights = np.exp(log_weights - log_weights.max())
    return weights / weights.sum()


class DivergenceExplorer:
    r"""Two distributions on a few outcomes, set by sliders; KL both ways and JS.

    Each distribution is a :func:`discrete_gaussian`, set by a mean and a width. The
    upper panel shows ``p`` and ``q`` as bars; the lower one the terms
    :math:`p_k \log(p_k / q_k)` and :math:`q_k \log(q_k / p_k)`, whose sums are
    :math:`D_{\mathrm{KL}}(p \,\|\, q)` and :math:`D_{\mathrm{KL}}(q \,\|\, p)`.

    Attributes
    ----------
    controls : dict of the sliders ``"p_mean"``, ``"p_width"``, ``"q_mean"``, ``"q_width"``.
    p, q : the two distributions drawn, arrays of shape ``(outcomes,)``.
    values : dict with ``"KL(p||q)"``, ``"KL(q||p)"`` and ``"JS"``, in nats.
    terms : dict with the per-outcome terms ``"KL(p||q)"`` and ``"KL(q||p)"``.
    figure, axes : the matplotlib Figure and its two Axes.
    widget : the ipywidgets box that is displayed.

    :meth:`update` recomputes and redraws from the sliders; every slider change calls it.
    """

    def __init__(self, p_mean=3.0, p_width=1.5, q_mean=6.0, q_width=1.0, outcomes=12):
        self.outcomes = int(outcomes)
        top = float(self.outcomes - 1)

        def slider(name, value, low, high):
            return widgets.FloatSlider(value=value, min=low, max=high, step=0.1,
                                       readout_format=".1f", description=name,
                                       continuous_update=False)
        self.controls = {
            "p_mean": slider("p_mean", p_mean, 0.0, top),
            "p_width": slider("p_width", p_width, 0.3, 4.0),
            "q_mean": slider("q_mean", q_mean, 0.0, top),
            "q_width": slider("q_width", q_width, 0.3, 4.0),
        }
        self.figure = Figure(figsize=(6.4, 6.4))
        self.axes = self.figure.subplots(2, 1)
        self.output = widgets.Output()
        self.widget = widgets.VBox([
            widgets.HBox([self.controls["p_mean"], self.controls["p_width"]]),
            widgets.HBox([self.controls["q_mean"], self.controls["q_width"]]),
            self.output,
        ])
        for control in self.controls.values():
            control.observe(self.update, names="value")
        self.update()

    def update(self, change=None):
        """Recompute ``p``, ``q``, the divergences and the terms from the sliders; redraw."""
        value = {name: control.value for name, control in self.controls.items()}
        self.p = discrete_gaussian(value["p_mean"], value["p_width"], self.outcomes)
        self.q = discrete_gaussian(value["q_mean"], value["q_width"], self.outcomes)
        self.values = {
            "KL(p||q)": float(information.kl_divergence(self.p, self.q)),
            "KL(q||p)": float(information.kl_divergence(self.q, self.p)),
            "JS": float(information.js_divergence(self.p, self.q)),
        }
        self.terms = {"KL(p||q)": information.kl_terms(self.p, self.q),
                      "KL(q||p)": information.kl_terms(self.q, self.p)}
        self._draw()
        _show_figure(self.output, self.figure)

    def _draw(self):
        upper, lower = self.axes
        k = np.arange(self.outcomes)
        upper.clear()
        upper.bar(k - 0.2, self.p, width=0.4, color="C0", label="p")
        upper.bar(k + 0.2, self.q, width=0.4, color="C1", label="q")
        upper.set(title="the two distributions", xlabel="outcome", ylabel="probability")
        upper.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        lower.clear()
        for i, name in enumerate(["KL(p||q)", "KL(q||p)"]):
            lower.plot(k, self.terms[name], color=f"C{i + 2}", marker="o", markersize=3,
                       label=f"terms of {name}: sum {self.values[name]:.3f}")
        lower.axhline(0.0, color="0.5", linewidth=0.8)
        lower.set(title=f"KL both ways (JS = {self.values['JS']:.3f} nats)", xlabel="outcome",
                  ylabel="term (nats)")
        lower.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        self.figure.tight_layout()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def compare_distributions(p_mean=3.0, p_width=1.5, q_mean=6.0, q_width=1.0, outcomes=12):
    """A :class:`DivergenceExplorer` with these starting values; display it to use it."""
    return DivergenceExplorer(p_mean, p_width, q_mean, q_width, outcomes)
