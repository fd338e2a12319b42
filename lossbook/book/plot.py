r"""Loss and gradient curves on matplotlib Axes, for the book's chapters and widgets.

Every function reads the loss's :class:`~lossbook.registry.Record`: its plotting domain,
the labels worth plotting against and ``plot_inputs``, which turns a 1-D grid into
inputs whose samples trace the loss along that grid. So any registered loss with
``plot_inputs`` can be drawn, whatever its family.

matplotlib is imported here, not by ``import lossbook``: the library needs numpy only.

>>> from lossbook.book import plot
>>> x, value, slope = plot.loss_curve("L1Loss", label=0.0, domain=(-1.0, 1.0), num=5)
>>> x, value, slope
(array([-1. , -0.5,  0. ,  0.5,  1. ]), array([1. , 0.5, 0. , 0.5, 1. ]), array([-1., -1.,  0.,  1.,  1.]))
"""
import numpy as np

from .. import registry
from ..base import Loss

__all__ = ["use_book_style", "resolve", "describe", "loss_curve", "plot_loss", "compare_losses"]

BOOK_STYLE = {
    "figure.figsize": (6.4, 3.8),
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # Text no smaller than the page's small print (14.4 CSS px) when a figure 6.4 in wide
    # is shown at its natural size in the book's column: 12.5 pt is 16.7 px, above the
    # captions' 16 px too.
    "font.size": 12.5,
    "axes.titlesize": "medium",
    "legend.fontsize": "medium",
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    # Reproducible SVG: fixed ids (the salt), glyphs as paths, no creation date (below).
    "svg.hashsalt": "lossbook",
    "svg.fonttype": "path",
}


def use_book_style():
    """Set the book's plot style once, at the top of a chapter.

    * matplotlib rcParams of :data:`BOOK_STYLE` (grid, sizes, a fixed SVG hash salt);
    * in a Jupyter kernel: inline figures as SVG without a ``Date`` entry, so a re-run
      produces byte-identical outputs and strict ``nbval`` can compare them;
    """
    import matplotlib

    matplotlib.rcParams.update(BOOK_STYLE)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the book's requirements
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return
    shell.run_line_magic("matplotlib", "inline")
    from matplotlib_inline.config import InlineBackend

    inline = InlineBackend.instance()
    inline.print_figure_kwargs = {"bbox_inches": "tight", "metadata": {"Date": None}}
    inline.figure_formats = {"svg"}
    matplotlib.rcParams.update(BOOK_STYLE)  # %matplotlib inline resets a few rcParams


def resolve(loss, config=None):
    """``(record, instance, config)`` for a loss given by name, record or instance.

    ``config`` (constructor keywords) applies to a name or a record; an instance
    carries its own, read back from its registered parameters.
    """
    if isinstance(loss, Loss):
        if config:
            raise ValueError("resolve: config applies to a loss name or record, not an instance")
        record = registry.get(type(loss).__name__)
        params = loss.hyperparameters
        config = {p.name: params[p.name] for p in record.params if p.name in params}
        return record, loss, config
    record = loss if isinstance(loss, registry.Record) else registry.get(loss)
    config = {**record.defaults, **(config or {})}
    return record, record.make(**config), config


def describe(loss, config=None):
    """A short legend entry: the class name and the non-default hyperparameters."""
    record, _, config = resolve(loss, config)
    changed = {k: v for k, v in config.items() if record.defaults.get(k) != v}
    inner = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                      for k, v in changed.items())
    return f"{record.name}({inner})"


def loss_curve(loss, label=None, *, config=None, domain=None, num=401):
    """The loss and its derivative along a 1-D grid, for one label.

    Parameters
    ----------
    loss : str, Record or Loss
        A registered loss (``"HuberLoss"``), its record, or an instance.
    label : float, optional
        The label the prediction is compared with; the record's first plot label by default.
    config : dict, optional
        Constructor keywords (with a name or a record).
    domain : (low, high), optional
        The plotted range; the record's ``plot_domain`` by default.
    num : int
        Grid points.

    Returns
    -------
    x, value, slope : arrays of shape ``(num,)``. ``value[i]`` is the per-sample loss at
    ``x[i]`` and ``slope[i]`` its derivative with respect to ``x[i]``. Points where the
    loss rejects its input (a Poisson rate below 0, say) are NaN, so they are not drawn.
    """
    record, instance, config = resolve(loss, config)
    if record.plot_inputs is None:
        raise ValueError(f"{record.name} has no plot_inputs in its registry record, so it "
                         f"cannot be drawn as a curve")
    label = record.plot_labels[0] if label is None else label
    low, high = record.plot_domain if domain is None else domain
    x = np.linspace(low, high, num)
    try:
        value, slope = _evaluate(record, instance, x, label, config)
    except ValueError:
        # Part of the domain is invalid for this configuration: evaluate point by point.
        value, slope = np.full(num, np.nan), np.full(num, np.nan)
        for i in range(num):
            try:
                value[i], slope[i] = (v[0] for v in
                                      _evaluate(record, instance, x[i:i + 1], label, config))
            except ValueError:
                pass
    bad = ~(np.isfinite(value) & np.isfinite(slope))
    value[bad] = np.nan
    slope[bad] = np.nan
    return x, value, slope


def _evaluate(record, instance, x, label, config):
    args, kwargs, pick = record.plot_inputs(x, label, config)
    value, grad = instance.value_and_grad(*args, **kwargs)
    return (np.asarray(value, dtype=np.float64).copy(),
            np.asarray(pick(grad), dtype=np.float64).copy())


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.figure().add_subplot()


def plot_loss(loss, label=None, *, config=None, domain=None, num=401, gradient=True,
              ax=None, title=None):
    """Draw one loss (solid) and its derivative (dashed) against the prediction.

    Takes the arguments of :func:`loss_curve`, plus ``gradient`` (draw the derivative),
    ``ax`` (draw there; a new figure otherwise) and ``title``. Returns the Axes; its
    lines carry the labels ``"loss"`` and ``"gradient"``.
    """
    record, instance, config = resolve(loss, config)
    label = record.plot_labels[0] if label is None else label
    x, value, slope = loss_curve(instance, label, domain=domain, num=num)
    ax = _axes(ax)
    ax.plot(x, value, color="C0", label="loss")
    if gradient:
        ax.plot(x, slope, color="C1", linestyle="--", label="gradient")
    ax.axhline(0.0, color="0.5", linewidth=0.8)
    ax.set_xlabel(record.x_label)
    ax.set_ylabel("loss and gradient" if gradient else "loss")
    ax.set_title(title or f"{describe(instance)}, label = {label:g}")
    ax.legend(loc="best")
    return ax


def compare_losses(losses, label=None, *, domain=None, num=401, gradient=False, ax=None,
                   title=None):
    """Several losses on one Axes, against the same label.

    ``losses`` holds names, instances, or ``(name, config)`` pairs. With
    ``gradient=True`` each loss's derivative is drawn dashed in the loss's colour.
    The domain is the first loss's unless given. Returns the Axes.
    """
    ax = _axes(ax)
    entries = [resolve(*(item if isinstance(item, tuple) else (item,))) for item in losses]
    if not entries:
        raise ValueError("compare_losses: give at least one loss")
    first = entries[0][0]
    label = first.plot_labels[0] if label is None else label
    domain = first.plot_domain if domain is None else domain
    for i, (record, instance, config) in enumerate(entries):
        x, value, slope = loss_curve(instance, label, domain=domain, num=num)
        name = describe(instance)
        ax.plot(x, value, color=f"C{i}", label=name)
        if gradient:
            ax.plot(x, slope, color=f"C{i}", linestyle="--", label=f"{name}: gradient")
    ax.axhline(0.0, color="0.5", linewidth=0.8)
    ax.set_xlabel(first.x_label)
    ax.set_ylabel("loss and gradient" if gradient else "loss")
    ax.set_title(title or f"losses against label = {label:g}")
    ax.legend(loc="best")
    return ax
