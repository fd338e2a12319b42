"""lossbook.book.recording: the states the website replays are complete, exact and fresh.

* On small widgets built here: every combination of the controls is recorded once, each
  recorded figure is the figure the live widget shows for those values, the payload
  round-trips, and the budget and the rules are enforced.
* On the committed chapters: every widget cell carries a recording of the widget it
  displays, every visible control is in it with all its positions, and the state the
  page starts from is the one the chapter saved. So a chapter whose code changed but
  was not re-run with `make notebooks` fails here.
"""
import itertools
import json

import ipywidgets as widgets
import nbformat
import numpy as np
import pytest

from conftest import chapters
from lossbook.book import recording
from lossbook.book.widgets import explore, interactive_figure


def draw_line(figure, slope, shifted):
    ax = figure.subplots()
    x = np.linspace(-1, 1, 5)
    ax.plot(x, slope * x + (1.0 if shifted else 0.0))
    ax.set_title(f"slope {slope:g}")


def small_widget(**kwargs):
    slope = widgets.FloatSlider(value=0.5, min=0.0, max=2.0, step=0.5, description="slope")
    shifted = widgets.Checkbox(value=False, description="shifted")
    return interactive_figure(draw_line, slope=slope, shifted=shifted, **kwargs)


def shown_svg(widget):
    return widget.output.outputs[0]["data"]["image/svg+xml"]


def test_slider_step_budget():
    assert recording.slider_step(0.1, 3.0) == 0.1                  # 30 positions
    assert recording.slider_step(0.0, 1.0, sliders=2) == 0.1       # 11 positions
    assert recording.slider_step(0.0, 5.0, sliders=3) == 1.0       # 6 positions
    for low, high, sliders in [(0.05, 0.95, 1), (-1.0, 1.0, 1), (0.0, 11.0, 2), (0, 3, 4)]:
        step = recording.slider_step(low, high, sliders)
        positions = int(round((high - low) / step)) + 1
        assert positions <= {1: 31, 2: 12, 3: 6}.get(sliders, 6)
    with pytest.raises(ValueError):
        recording.slider_step(1.0, 1.0)


def test_every_combination_recorded_once_and_equal_to_the_live_figure():
    widget = small_widget()
    payload = recording.record(widget.widget)
    _, states = recording.decode_payload(recording.payload_html(payload))
    slope, shifted = widget._named["slope"], widget._named["shifted"]
    assert [c["kind"] for c in payload["controls"]] == ["slider", "checkbox"]
    assert payload["controls"][0] | {"id": None} == {"id": None, "kind": "slider", "min": 0.0,
                                                      "step": 0.5, "n": 5}
    keys = {f"0:{i},1:{j}" for i, j in itertools.product(range(5), range(2))}
    assert set(states) == keys
    # the widget is back where it started
    assert (slope.value, shifted.value) == (0.5, False)
    # each state is what the live widget shows for those values
    output = (widget.output.model_id, "outputs")
    for i, j in itertools.product(range(5), range(2)):
        slope.value, shifted.value = 0.5 * i, bool(j)
        assert states[f"0:{i},1:{j}"][output][0]["data"]["image/svg+xml"] == shown_svg(widget)
        assert states[f"0:{i},1:{j}"][(slope.model_id, "value")] == 0.5 * i
    # and the figures differ: the controls are not dead
    figures = {s[output][0]["data"]["image/svg+xml"] for s in states.values()}
    assert len(figures) == 10


def test_recorded_figures_are_reproducible():
    first, second = small_widget(), small_widget()
    assert shown_svg(first) == shown_svg(second)
    assert "slope 0.5" in shown_svg(first)            # the title, as an SVG comment
    assert "<title>slope 0.5; slope = 0.50, shifted = off</title>" in shown_svg(first)
    assert "<dc:date>" not in shown_svg(first)


def test_explorer_records_the_controls_of_each_loss():
    ex = explore("HuberLoss", losses=["L2Loss", "HuberLoss", "PoissonNLLLoss"], num=21)
    payload = recording.record(ex.widget)
    _, states = recording.decode_payload(recording.payload_html(payload))
    # L2: 1 state; Huber: 30 positions of rho; Poisson: 3 labels x 2 x 2 choices
    assert len(states) == 1 + 30 + 12
    loss_control = payload["controls"][0]
    assert loss_control["kind"] == "dropdown"
    ids = {c["id"]: i for i, c in enumerate(payload["controls"])}
    rho = ids[ex._panels["HuberLoss"].controls["rho"].model_id]
    assert f"0:1,{rho}:19" in states                       # Huber, rho = 0.1 + 19 * 0.1
    shown = states[f"0:1,{rho}:19"][(ex.output.model_id, "outputs")][0]["data"]
    assert "HuberLoss(rho=2)" in shown["image/svg+xml"]
    assert shown["text/plain"].endswith("loss = HuberLoss, rho = 2.0")
    # switching the loss changes the row of controls: recorded as box children
    params_box = ex._params.model_id
    poisson_keys = [k for k in states if k.startswith("0:2,")]
    children = states[poisson_keys[0]][(params_box, "children")]
    assert children == [f"IPY_MODEL_{c.model_id}"
                        for c in ex._panels["PoissonNLLLoss"].controls.values()]
    assert ex.controls["loss"].value == "HuberLoss"        # put back


def test_lines_shared_between_figures_are_stored_once():
    ex = explore("HuberLoss", losses=["HuberLoss"], num=21)
    payload, states = recording.decode_payload(recording.payload_html(recording.record(ex.widget)))
    figures = [state[(ex.output.model_id, "outputs")][0]["data"]["image/svg+xml"]
               for state in states.values()]
    assert len(set(figures)) == 30
    # the glyphs, axes and legend are common: the lines stored are a fraction of the figures
    assert sum(map(len, payload["lines"])) < 0.3 * sum(map(len, figures))


def test_budget_and_rules_are_enforced():
    widget = small_widget()
    with pytest.raises(ValueError, match="more than 4 states"):
        recording.record(widget.widget, max_states=4)

    # a control whose callback moves another one: the page could not replay that
    first = widgets.IntSlider(value=0, min=0, max=2, description="first")
    second = widgets.IntSlider(value=0, min=0, max=2, description="second")
    second.observe(lambda change: setattr(first, "value", 0), names="value")
    coupled = interactive_figure(lambda figure, first, second: figure.subplots(),
                                 first=first, second=second)
    with pytest.raises(ValueError, match="changed 'first'"):
        recording.record(coupled.widget)


def test_single_option_and_disabled_controls_are_not_controls():
    one = widgets.Dropdown(options=["only"], description="one")
    off = widgets.FloatSlider(description="off", disabled=True)
    live = widgets.Checkbox(description="live")
    box = widgets.VBox([widgets.HBox([one, off]), live])
    assert recording.controls_in(box) == [live]


# ------------------------------------------------------------- the chapters
def widget_cells(path):
    nb = nbformat.read(path, as_version=4)
    saved = nb.metadata.get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        views = [out["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
                 for out in cell.outputs
                 if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
        recordings = [out["data"]["text/html"] for out in cell.outputs
                      if recording.MIME in "".join(out.get("data", {}).get("text/html", ""))]
        if views:
            yield views, ["".join(r) for r in recordings], saved


def saved_controls(saved, model_id):
    """The controls visible in the saved state under ``model_id``, as the page shows them."""
    state = saved[model_id]["state"]
    name = saved[model_id]["model_name"]
    if name in ("FloatSliderModel", "IntSliderModel", "CheckboxModel"):
        return [model_id] if not state.get("disabled") else []
    if name == "DropdownModel":
        return [model_id] if len(state["_options_labels"]) > 1 else []
    found = []
    for child in state.get("children", []):
        found += saved_controls(saved, child.replace("IPY_MODEL_", ""))
    return found


@pytest.mark.parametrize("notebook", [pytest.param(p, id=p.stem) for p in chapters()
                                      if any(True for _ in widget_cells(p))])
def test_every_widget_cell_carries_a_fresh_recording(notebook):
    for views, recordings, saved in widget_cells(notebook):
        assert len(recordings) == len(views) == 1, \
            f"{notebook.name}: a widget cell without its recording (run `make notebooks`)"
        payload, states = recording.decode_payload(recordings[0])
        root = views[0]
        assert payload["root"] == root
        # every control visible on the page is recorded, with every position
        recorded = {c["id"]: c for c in payload["controls"]}
        visible = saved_controls(saved, root)
        assert visible and set(visible) <= set(recorded), "a visible control is not recorded"
        # the state the page starts in is recorded, and shows what the chapter saved
        index = {c["id"]: i for i, c in enumerate(payload["controls"])}
        start = []
        for model_id in visible:
            spec, state = recorded[model_id], saved[model_id]["state"]
            if spec["kind"] == "slider":
                position = round((state["value"] - spec["min"]) / spec["step"])
                assert abs(spec["min"] + position * spec["step"] - state["value"]) < 1e-9, \
                    "a saved slider value is off the recorded grid"
                assert state["step"] == pytest.approx(spec["step"])
            elif spec["kind"] == "dropdown":
                position = state["index"]
            else:
                position = int(state["value"])
            start.append(f"{index[model_id]}:{position}")
        key = ",".join(start)
        assert key in states, f"the starting state {key} is not recorded"
        for (model_id, name), value in states[key].items():
            assert saved[model_id]["state"][name] == value, \
                f"{notebook.name}: the recording disagrees with the saved widget ({name})"
