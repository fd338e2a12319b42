r"""Recorded widget states: how the book's widgets keep working on the website, with no kernel.

A widget on a built page has no Python behind it. Before the book is built, ``make
notebooks`` executes every chapter with ``LOSSBOOK_RECORD_WIDGETS=1``; each book widget
then walks its own controls through a grid of values (every option of a drop-down, the
positions of a slider, both states of a checkbox) and records what the widget shows at
each combination: the figure, the readouts, and which controls are visible. The states
are stored, compressed, in an extra output of the widget's cell, and a small script on
the page (``book/site/live-widgets.js``) answers each change of a control with
the recorded state for the controls' new values.

The rules that make this exact:

* a state is keyed by the values of the controls visible in it, so what a widget shows
  must be a function of those values alone (a control that rebuilds the others, such as
  the explorer's loss picker, is fine: the controls it shows then are part of the key);
* a slider's positions are its own ``min + k * step``: :func:`record` sets each slider's
  ``step`` to its page grid first, so the page's slider can only stop where a state exists,
  and its readout shows the value the figure was drawn for;
* the number of states is bounded (:data:`MAX_STATES` per widget); :func:`slider_step`
  picks the grid for a slider so that widgets stay within it.

Grid budget per widget: a single slider up to 31 positions, two sliders up to 12 each,
three or more up to 6 each (:func:`slider_step`), times the options of its drop-downs.

The payload written into the page (JSON, gzip, base64) is::

    {"version": 1, "root": model id of the widget's outer box,
     "controls": [{"id": model id, "kind": "slider" | "dropdown" | "checkbox",
                   "min": ..., "step": ..., "n": ...}, ...],
     "attrs": [[model id, attribute], ...],      # the attributes that change between states
     "values": [...],                            # their distinct values (JSON)
     "lines": [...],                             # distinct lines of the SVG figures
     "states": {key: [value index per attribute, -1 where the model is not shown]}}

A key lists ``control index:position`` for the visible controls, e.g. ``"0:2,3:17"``.
Long multi-line strings (the figures' SVG) are stored as ``{"$lines": [indices]}`` into
``lines``, which holds each distinct line once: the glyphs, axes and ticks that every
figure of a widget shares are stored once.
"""
import base64
import gzip
import itertools
import json
import math
import os
import re

import ipywidgets as widgets

__all__ = ["ENV", "MAX_STATES", "recording", "slider_step", "record", "payload_html",
           "decode_payload", "figure_output", "controls_in", "widgets_in"]

# `make notebooks` sets it; nbval and interactive sessions run without recording.
ENV = "LOSSBOOK_RECORD_WIDGETS"
MAX_STATES = 1200
MIME = "application/vnd.lossbook.widget-states"

_SLIDERS = (widgets.FloatSlider, widgets.IntSlider)
_CONTROLS = _SLIDERS + (widgets.Dropdown, widgets.Checkbox)


def recording():
    """True when widgets should record their states (``LOSSBOOK_RECORD_WIDGETS=1``)."""
    return os.environ.get(ENV, "") not in ("", "0")


def slider_step(low, high, sliders=1, include=None):
    """A round step for a slider on ``[low, high]`` within the grid budget.

    The budget is 31 positions for a widget's only slider, 12 for each of two, 6 for
    each of three or more. The step is the smallest of 1, 2, 2.5, 5 times a power of ten
    that keeps the positions within it and, when ``include`` is given (a starting value,
    a default), puts that value on the grid if any step within the budget can.

    >>> slider_step(0.1, 3.0), slider_step(0.0, 5.0, sliders=2), slider_step(-4.0, 4.0)
    (0.1, 0.5, 0.5)
    >>> slider_step(0.0, 1.0, sliders=2), slider_step(0.0, 1.0, sliders=2, include=0.25)
    (0.1, 0.25)
    """
    positions = 31 if sliders <= 1 else 12 if sliders == 2 else 6
    span = float(high) - float(low)
    if span <= 0:
        raise ValueError(f"slider_step: empty range [{low}, {high}]")
    exponent = math.floor(math.log10(span / (positions - 1)))
    steps = [float(f"{mantissa * 10.0 ** power:.12g}")
             for power in range(exponent, exponent + 3) for mantissa in (1, 2, 2.5, 5)]
    fitting = [step for step in steps if span / step <= positions - 1 + 1e-9]
    if include is not None:
        on_grid = [step for step in fitting
                   if abs((include - low) / step - round((include - low) / step)) < 1e-9]
        if on_grid:
            return on_grid[0]
    return fitting[0]


def widgets_in(root):
    """Every widget in the tree under ``root`` (boxes' children, depth first), root first."""
    found, stack = [], [root]
    while stack:
        widget = stack.pop(0)
        if widget in found:
            continue
        found.append(widget)
        stack[:0] = list(getattr(widget, "children", ()))
    return found


def controls_in(root):
    """The controls a reader can change in the tree under ``root``, in display order.

    A drop-down with one option and a disabled control cannot be changed, so they are
    not controls.
    """
    out = []
    for widget in widgets_in(root):
        if not isinstance(widget, _CONTROLS) or widget.disabled:
            continue
        if isinstance(widget, widgets.Dropdown) and len(widget.options) < 2:
            continue
        if widget.layout.display == "none":
            continue
        out.append(widget)
    return out


def _grid(control):
    """The positions of a control: values to set, in order."""
    if isinstance(control, widgets.Checkbox):
        return [False, True]
    if isinstance(control, widgets.Dropdown):
        return list(range(len(control.options)))
    count = int(round((control.max - control.min) / control.step)) + 1
    return [_slider_value(control, k) for k in range(count)]


def _slider_value(control, k):
    value = control.min + k * control.step
    if isinstance(control, widgets.IntSlider):
        return int(value)
    return min(float(f"{value:.12g}"), control.max)


def _position(control):
    """Where a control stands on its grid (the key's entry)."""
    if isinstance(control, widgets.Checkbox):
        return int(bool(control.value))
    if isinstance(control, widgets.Dropdown):
        return control.index
    return int(round((control.value - control.min) / control.step))


def _set_position(control, position):
    if isinstance(control, widgets.Dropdown):
        control.index = position
    else:
        control.value = _grid(control)[position]


def _describe(control):
    if isinstance(control, _SLIDERS):
        return {"kind": "slider", "min": control.min, "step": control.step,
                "n": len(_grid(control))}
    return {"kind": "checkbox" if isinstance(control, widgets.Checkbox) else "dropdown"}


def record(root, snap_sliders=None, max_states=MAX_STATES):
    """Walk every combination of the controls under ``root``; return the payload (a dict).

    ``snap_sliders`` maps a slider to its page step (set before recording; the slider's
    value is moved to the nearest position). Controls are enumerated in display order,
    re-read after every change, so a control that shows other controls (a loss picker)
    is recorded with the controls of each of its choices. Every control is put back to
    its starting value at the end, so the widget shows what it showed before.

    Raises ValueError if the widget has more than ``max_states`` states, or if setting
    one control changed another one already set (then the figure would not be a
    function of the visible controls, and the page could not reproduce it).
    """
    for slider, step in (snap_sliders or {}).items():
        value = slider.value
        slider.step = step
        slider.value = _grid(slider)[min(max(int(round((value - slider.min) / step)), 0),
                                         len(_grid(slider)) - 1)]
    start = [(control, _position(control)) for control in controls_in(root)]
    ids, kinds, snapshots = {}, [], {}

    def control_index(control):
        if control.model_id not in ids:
            ids[control.model_id] = len(kinds)
            kinds.append({"id": control.model_id, **_describe(control)})
        return ids[control.model_id]

    def visit(fixed):
        visible = controls_in(root)
        for control, position in fixed:
            if _position(control) != position:
                raise ValueError(f"record: setting a control changed {control.description!r}; "
                                 f"a widget's figure must follow its visible controls only")
        todo = [c for c in visible if c not in [f for f, _ in fixed]]
        if not todo:
            key = ",".join(f"{control_index(c)}:{_position(c)}" for c in visible)
            snapshots[key] = {w.model_id: w.get_state() for w in widgets_in(root)}
            if len(snapshots) > max_states:
                raise ValueError(f"record: more than {max_states} states; use fewer slider "
                                 f"positions (lossbook.book.recording.slider_step)")
            return
        control = todo[0]
        start_position = _position(control)
        for position in range(len(_grid(control))):
            _set_position(control, position)
            visit(fixed + [(control, position)])
        _set_position(control, start_position)

    visit([])
    for control, position in start:
        _set_position(control, position)
    return _pack(root, kinds, snapshots)


def _pack(root, kinds, snapshots):
    """The payload: attributes that differ between states, their values deduplicated."""
    seen = {}
    for state in snapshots.values():
        for model_id, attributes in state.items():
            for name, value in attributes.items():
                seen.setdefault((model_id, name), set()).add(_canonical(value))
    attrs = sorted(key for key, values in seen.items() if len(values) > 1)
    values, value_index, lines, line_index = [], {}, [], {}
    states = {}
    for key, state in snapshots.items():
        row = []
        for model_id, name in attrs:
            if model_id not in state:
                row.append(-1)
                continue
            text = _canonical(state[model_id][name])
            if text not in value_index:
                value_index[text] = len(values)
                values.append(_split_lines(json.loads(text), lines, line_index))
            row.append(value_index[text])
        states[key] = row
    return {"version": 1, "root": root.model_id, "controls": kinds,
            "attrs": [list(a) for a in attrs], "values": values, "lines": lines,
            "states": states}


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# A figure's SVG is split before each element, so a path's data stays in one piece.
_ELEMENT_BREAK = re.compile(r"\n(?=\s*<)")


def _split_lines(value, lines, line_index):
    if isinstance(value, dict):
        return {k: _split_lines(v, lines, line_index) for k, v in value.items()}
    if isinstance(value, list):
        return [_split_lines(v, lines, line_index) for v in value]
    if isinstance(value, str) and len(value) > 200 and "\n" in value:
        indices = []
        for line in _ELEMENT_BREAK.split(value):
            if line not in line_index:
                line_index[line] = len(lines)
                lines.append(line)
            indices.append(line_index[line])
        return {"$lines": indices}
    return value


def _join_lines(value, lines):
    if isinstance(value, dict):
        if set(value) == {"$lines"}:
            return "\n".join(lines[i] for i in value["$lines"])
        return {k: _join_lines(v, lines) for k, v in value.items()}
    if isinstance(value, list):
        return [_join_lines(v, lines) for v in value]
    return value


def payload_html(payload):
    """The payload as the HTML output the page script reads: gzip, then base64."""
    data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    packed = base64.b64encode(gzip.compress(data, compresslevel=9, mtime=0)).decode()
    return (f'<script type="{MIME}" data-root="{payload["root"]}" '
            f'data-states="{len(payload["states"])}">{packed}</script>')


def decode_payload(html):
    """The payload back from :func:`payload_html`'s text, with the figures rejoined.

    Returns ``(payload, states)`` where ``states`` maps each key to ``{(model id,
    attribute): value}``, the page script's view of it (used by the tests).
    """
    packed = re.search(r">([A-Za-z0-9+/=]+)</script>", html).group(1)
    payload = json.loads(gzip.decompress(base64.b64decode(packed)))
    values = [_join_lines(v, payload["lines"]) for v in payload["values"]]
    states = {key: {tuple(attr): values[i] for attr, i in zip(payload["attrs"], row) if i >= 0}
              for key, row in payload["states"].items()}
    return payload, states


# ------------------------------------------------------------------- figures
_NUMBER = re.compile(r"(-?\d+\.\d{2})\d+")
_COORDINATES = re.compile(r'( d="[^"]*"| (?:x|y|width|height)="[^"]*"|translate\([^)]*\))')


def _compact(svg):
    """Round coordinates to 0.01 pt (glyph scales and colours are left alone)."""
    return _COORDINATES.sub(lambda m: _NUMBER.sub(r"\1", m.group(0)), svg)


def figure_output(figure, description):
    """An Output widget entry showing ``figure`` as SVG, with ``description`` as its text.

    The figure is saved at its own size (give it a layout engine, such as
    ``Figure(layout="constrained")``, rather than trimming it afterwards: a trimmed figure
    is drawn twice). The SVG is reproducible (fixed ids, no date) and its coordinates are
    rounded to 0.01 pt; ``description`` is also the SVG's <title>, so a reader's screen reader and
    the tests can tell what the figure was drawn for.
    """
    import io

    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "lossbook"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Title": description})
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/svg+xml": _compact(buffer.getvalue()), "text/plain": description}}
