r"""The book's widgets: a figure that follows its controls, in a notebook and on the website.

Every widget here is a :class:`FigureWidget`: ipywidgets controls, a matplotlib figure
redrawn from their values, and an Output widget showing that figure as SVG. In a
notebook the figure is computed live. On the built website there is no kernel, so the
figure shown for each combination of the controls is recorded when the chapter is executed
by ``make notebooks`` (see :mod:`lossbook.book.recording`) and replayed by the page.

* :func:`explore`: a loss and its gradient, with a drop-down of losses, a control for each
  hyperparameter (from the loss's registry record) and the label;
* :func:`compare_distributions`: two bell-shaped distributions and the KL divergence both
  ways (the entropy chapter);
* :func:`interactive_figure`: any drawing function with sliders, for a chapter's own widget.

All of them can be driven from Python, which is how the tests check them::

    ex = explore("HuberLoss")
    ex.controls["rho"].value = 2.0
    ex.lines["loss"].get_ydata()      # the curve now drawn for rho = 2

ipywidgets and matplotlib are imported here only, never by ``import lossbook``.
"""
import numbers

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .. import information, registry
from . import plot, recording

__all__ = ["FigureWidget", "Explorer", "explore", "plottable", "DivergenceExplorer",
           "compare_distributions", "discrete_gaussian", "InteractiveFigure",
           "interactive_figure"]


class FigureWidget:
    """Controls and a matplotlib figure that follows them, shown in an Output widget.

    A subclass creates ``self.figure``, its controls and ``self.widget`` (the box that is
    displayed, holding ``self.output``), calls :meth:`observe` on each control, and
    implements :meth:`draw` (draw the figure for the controls' current values) and
    :meth:`summary` (a phrase saying what the figure shows).

    What the reader sees must be a function of the visible controls' values alone: that
    is what lets :func:`lossbook.book.recording.record` replay the widget on the website.
    """

    figure = None
    widget = None

    def __init__(self, caption):
        self.output = widgets.Output()
        # the figure's caption, under it: on the website it says the figure is live
        self.caption = widgets.HTML(
            value=f'<p class="lossbook-widget-caption"><b>Live figure.</b> {caption}</p>')
        self._busy = False

    def observe(self, *controls):
        for control in controls:
            control.observe(self.update, names="value")

    @property
    def controls(self):
        """The visible controls by description: ``{"rho": FloatSlider, ...}``."""
        return {control.description: control for control in recording.controls_in(self.widget)}

    def draw(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def summary(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self):
        """The figure's text alternative: the summary, then every visible control's value."""
        values = ", ".join(f"{name} = {_readout(control)}"
                           for name, control in self.controls.items())
        return f"{self.summary()}; {values}" if values else self.summary()

    def update(self, change=None):
        """Redraw the figure from the controls and show it."""
        if self._busy:
            return
        self.draw()
        self.output.outputs = (recording.figure_output(self.figure, self.describe()),)

    def _ipython_display_(self):
        from IPython.display import HTML, display

        display(self.widget)
        if recording.recording():
            display(HTML(recording.payload_html(recording.record(self.widget))))


def _readout(control):
    """A control's value as the reader sees it next to the control."""
    if isinstance(control, widgets.Dropdown):
        return control.label
    if isinstance(control, widgets.Checkbox):
        return "on" if control.value else "off"
    if isinstance(control, widgets.FloatSlider):
        return format(control.value, control.readout_format)
    return str(control.value)


def _slider(description, value, low, high, step, integer=False):
    kind = widgets.IntSlider if integer else widgets.FloatSlider
    # as many decimals as the step has, so every position reads exactly (0.25, not 0.2)
    decimals = next(d for d in range(7) if abs(round(step, d) - step) < 1e-12)
    extra = {} if integer else {"readout_format": f".{decimals}f"}
    return kind(value=value, min=low, max=high, step=step, description=description,
                continuous_update=False, **extra)


# ------------------------------------------------------------------ the explorer
def plottable(family=None):
    """Names of the registered losses that can be drawn (their record has ``plot_inputs``)."""
    return [record.name for record in registry.records(family) if record.plot_inputs is not None]


def _curves(name, label, config, num):
    x, value, slope = plot.loss_curve(name, label, config=config, num=num)
    return np.concatenate([value, slope])


def _moves_the_curve(record, param):
    """Whether changing ``param`` changes the drawn curves for some plot label.

    A control that cannot change the figure would be dead, so the explorer leaves it out
    (GaussianNLLLoss's ``eps``, say, only floors a variance that the plot fixes at 1).
    """
    if param.choices is not None:
        values = list(param.choices)
    elif param.low is not None and param.high is not None:
        values = [param.low, param.default, param.high]
    else:
        return False
    for label in record.plot_labels:
        curves = [_curves(record.name, label, {**record.defaults, param.name: v}, 41)
                  for v in values]
        if any(not np.array_equal(curves[0], c, equal_nan=True) for c in curves[1:]):
            return True
    return False


class _Panel:
    """The label drop-down and hyperparameter controls of one loss in the explorer."""

    def __init__(self, record, config):
        params = [p for p in record.params if _moves_the_curve(record, p)]
        sliders = sum(p.choices is None for p in params)
        self.controls = {}
        for param in params:
            value = config.get(param.name, param.default)
            if param.choices is not None:
                control = widgets.Dropdown(options=[(str(c), c) for c in param.choices],
                                           value=value, description=param.name)
            else:
                step = recording.slider_step(param.low, param.high, sliders, include=value)
                integer = isinstance(param.default, numbers.Integral)
                control = _slider(param.name, value, param.low, param.high, step, integer)
                control.value = control.min + round((value - control.min) / step) * step
            self.controls[param.name] = control
        # a hyperparameter given but without a control (it cannot move the curve) still applies
        self.fixed = {p.name: config[p.name] for p in record.params
                      if p.name in config and p not in params}
        self.label = widgets.Dropdown(options=[(f"{v:g}", v) for v in record.plot_labels],
                                      description="label")


class Explorer(FigureWidget):
    """A loss and its gradient against the prediction, set by drop-downs and sliders.

    Attributes
    ----------
    controls : dict of the visible widgets by name: ``"loss"``, ``"label"`` (when the loss
        has more than one plot label) and one per hyperparameter that changes the curve.
        Each loss keeps its own controls, so switching back finds them as they were.
    figure, ax : the matplotlib Figure and Axes drawn on.
    lines : dict of the drawn ``Line2D``: ``"loss"`` and, when shown, ``"gradient"``.
    widget : the ipywidgets box that is displayed.
    """

    def __init__(self, loss="HuberLoss", losses=None, label=None, gradient=True, num=201,
                 caption=None, **config):
        super().__init__(caption or "The loss (solid) and its gradient (dashed) for the "
                         "loss, label and hyperparameters chosen above.")
        names = _loss_names(losses)
        if loss not in names:
            raise ValueError(f"explore: {loss!r} cannot be plotted here; choose one of "
                             f"{', '.join(names)}")
        record = registry.get(loss)
        unknown = set(config) - {p.name for p in record.params}
        if unknown:
            raise ValueError(f"explore: {loss} has no parameter(s) {sorted(unknown)}; "
                             f"it has {[p.name for p in record.params]}")
        self.num = num
        self.gradient = bool(gradient)
        self.figure = Figure(figsize=(6.4, 3.8))
        self.figure.subplots_adjust(left=0.11, right=0.97, bottom=0.14, top=0.9)
        self.ax = self.figure.add_subplot()
        self.lines = {}
        self._loss = widgets.Dropdown(options=names, value=loss, description="loss")
        self._panels = {}
        self._top = widgets.HBox()
        self._params = widgets.HBox()
        self.widget = widgets.VBox([self._top, self._params, self.output, self.caption])
        panel = self._panel(loss, config)
        if label is not None:
            if label not in [value for _, value in panel.label.options]:
                raise ValueError(f"explore: label {label!r} is not among {loss}'s plot labels "
                                 f"{list(record.plot_labels)}")
            panel.label.value = label
        self._loss.observe(self._show_panel, names="value")
        self._show_panel()

    @property
    def record(self):
        """The registry record of the loss shown."""
        return registry.get(self._loss.value)

    @property
    def config(self):
        """Constructor keywords of the loss shown, read from its controls."""
        panel = self._panels[self._loss.value]
        return {**panel.fixed, **{name: control.value for name, control in panel.controls.items()}}

    def _panel(self, name, config=None):
        if name not in self._panels:
            panel = _Panel(registry.get(name), config or {})
            self.observe(panel.label, *panel.controls.values())
            self._panels[name] = panel
        return self._panels[name]

    def _show_panel(self, change=None):
        panel = self._panel(self._loss.value)
        label = [panel.label] if len(panel.label.options) > 1 else []
        self._top.children = tuple([self._loss] + label)
        self._params.children = tuple(panel.controls.values())
        self.update()

    def draw(self):
        panel = self._panels[self._loss.value]
        self.ax.clear()
        plot.plot_loss(self._loss.value, panel.label.value, config=self.config, num=self.num,
                       gradient=self.gradient, ax=self.ax)
        self.lines = {line.get_label(): line for line in self.ax.get_lines()
                      if line.get_label() in ("loss", "gradient")}

    def summary(self):
        record = self.record
        drawn = "the loss (solid) and its gradient (dashed)" if self.gradient else "the loss"
        return f"{self.ax.get_title()}: {drawn} against the {record.x_label}"


def _loss_names(losses):
    if losses is None:
        return plottable()
    if isinstance(losses, str):
        names = plottable(losses)
        if not names:
            raise ValueError(f"explore: no plottable loss in the family {losses!r}")
        return names
    names = list(losses)
    missing = [n for n in names if n not in plottable()]
    if missing:
        raise ValueError(f"explore: {missing} cannot be plotted; choose from {', '.join(plottable())}")
    return names


def explore(loss="HuberLoss", losses=None, label=None, gradient=True, num=201, caption=None,
            **config):
    """An :class:`Explorer` of ``loss`` (a registered name).

    ``losses`` limits the drop-down to a family (``"regression"``) or a list of names
    (every plottable loss by default); ``label`` and ``config`` (hyperparameters) set the
    starting values; ``gradient=False`` draws the loss alone; ``caption`` replaces the
    default caption. Displaying the explorer (the last expression of a cell) shows the
    controls and the figure.
    """
    return Explorer(loss, losses=losses, label=label, gradient=gradient, num=num,
                    caption=caption, **config)


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


class DivergenceExplorer(FigureWidget):
    r"""A fixed distribution ``p`` and a distribution ``q`` set by sliders; KL both ways and JS.

    Each distribution is a :func:`discrete_gaussian`, set by a mean and a width; ``p`` is
    given when the explorer is made, ``q`` follows the sliders ``q_mean`` and ``q_width``.
    The upper panel shows ``p`` and ``q`` as bars; the lower one the terms
    :math:`p_k \log(p_k / q_k)` and :math:`q_k \log(q_k / p_k)`, whose sums are
    :math:`D_{\mathrm{KL}}(p \,\|\, q)` and :math:`D_{\mathrm{KL}}(q \,\|\, p)`.

    Attributes
    ----------
    controls : dict of the sliders ``"q_mean"`` and ``"q_width"``.
    p, q : the two distributions drawn, arrays of shape ``(outcomes,)``.
    values : dict with ``"KL(p||q)"``, ``"KL(q||p)"`` and ``"JS"``, in nats.
    terms : dict with the per-outcome terms ``"KL(p||q)"`` and ``"KL(q||p)"``.
    figure, axes : the matplotlib Figure and its two Axes.
    widget : the ipywidgets box that is displayed.
    """

    def __init__(self, p_mean=3.0, p_width=1.5, q_mean=6.0, q_width=1.0, outcomes=12,
                 caption=None):
        super().__init__(caption or "Top: p (fixed) and q (set by the sliders). Bottom: the "
                         "terms whose sums are KL(p||q) and KL(q||p).")
        self.outcomes = int(outcomes)
        self.p_mean, self.p_width = float(p_mean), float(p_width)
        top = float(self.outcomes - 1)
        step = recording.slider_step(0.0, top, sliders=2)
        self._sliders = [_slider("q_mean", q_mean, 0.0, top, step),
                         _slider("q_width", q_width, 0.5, 4.0, 0.5)]
        self.figure = Figure(figsize=(6.4, 6.4), layout="constrained")
        self.widget = widgets.VBox([widgets.HBox(self._sliders), self.output, self.caption])
        self.observe(*self._sliders)
        self.update()

    def draw(self):
        q_mean, q_width = (slider.value for slider in self._sliders)
        self.p = discrete_gaussian(self.p_mean, self.p_width, self.outcomes)
        self.q = discrete_gaussian(q_mean, q_width, self.outcomes)
        self.values = {
            "KL(p||q)": float(information.kl_divergence(self.p, self.q)),
            "KL(q||p)": float(information.kl_divergence(self.q, self.p)),
            "JS": float(information.js_divergence(self.p, self.q)),
        }
        self.terms = {"KL(p||q)": information.kl_terms(self.p, self.q),
                      "KL(q||p)": information.kl_terms(self.q, self.p)}
        # fresh axes every time: under constrained layout, reused axes would make the figure
        # depend on the order of earlier draws, and the page replays any order
        self.figure.clear()
        self.axes = upper, lower = self.figure.subplots(2, 1)
        k = np.arange(self.outcomes)
        upper.bar(k - 0.2, self.p, width=0.4, color="C0", label="p")
        upper.bar(k + 0.2, self.q, width=0.4, color="C1", label="q")
        upper.set(title="the two distributions", xlabel="outcome", ylabel="probability")
        upper.legend(loc="upper right")
        for i, name in enumerate(["KL(p||q)", "KL(q||p)"]):
            lower.plot(k, self.terms[name], color=f"C{i + 2}", marker="o", markersize=3,
                       label=f"terms of {name}: sum {self.values[name]:.3f}")
        lower.axhline(0.0, color="0.5", linewidth=0.8)
        lower.set(title=f"KL both ways (JS = {self.values['JS']:.3f} nats)", xlabel="outcome",
                  ylabel="term (nats)")
        # below the panel: the terms can be large anywhere along the outcomes
        lower.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=1)

    def summary(self):
        return (f"bars of p (mean {self.p_mean:g}, width {self.p_width:g}) and q, and the "
                f"terms of KL(p||q) = {self.values['KL(p||q)']:.3f} and KL(q||p) = "
                f"{self.values['KL(q||p)']:.3f} nats")


def compare_distributions(p_mean=3.0, p_width=1.5, q_mean=6.0, q_width=1.0, outcomes=12,
                          caption=None):
    """A :class:`DivergenceExplorer` with these starting values; display it to use it."""
    return DivergenceExplorer(p_mean, p_width, q_mean, q_width, outcomes, caption=caption)


# ------------------------------------------------------------- a chapter's own
class InteractiveFigure(FigureWidget):
    """A figure drawn by ``draw(figure, **values)`` from the named controls; see :func:`interactive_figure`."""

    def __init__(self, draw, controls, figsize=(6.4, 3.8), summary=None, caption=None):
        super().__init__(caption or "The figure follows the controls above.")
        self._draw, self._summary = draw, summary
        self._named = dict(controls)
        self.figure = Figure(figsize=figsize, layout="constrained")
        self.result = None
        self.widget = widgets.VBox([widgets.HBox(list(self._named.values())), self.output,
                                    self.caption])
        self.observe(*self._named.values())
        self.update()

    @property
    def values(self):
        return {name: control.value for name, control in self._named.items()}

    def draw(self):
        self.figure.clear()
        self.result = self._draw(self.figure, **self.values)

    def summary(self):
        if self._summary is not None:
            return self._summary(**self.values)
        return " / ".join(ax.get_title() for ax in self.figure.axes if ax.get_title())


def interactive_figure(draw, figsize=(6.4, 3.8), summary=None, caption=None, **controls):
    """A figure that follows ipywidgets controls, in a notebook and on the website.

    ``draw(figure, **values)`` draws on a cleared matplotlib Figure for the controls'
    values (``controls`` maps each keyword of ``draw`` to a slider, drop-down or checkbox)
    and may return anything, kept as ``.result``. ``summary(**values)`` gives the figure's
    text alternative (the axes' titles by default); ``caption`` is shown under the figure
    (say what to look for as the controls move). Keep a slider within 31 positions
    (``min + k * step``), fewer when several combine: the website shows a recorded figure
    for every combination.
    """
    return InteractiveFigure(draw, controls, figsize=figsize, summary=summary, caption=caption)
