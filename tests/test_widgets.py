"""lossbook.book.plot and lossbook.book.widgets: curves follow the formulas; the explorer follows its controls.

Expected curves are written from the per-element formulas here, not read from the library.
"""
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

import lossbook  # noqa: F401  (registers every loss)
from lossbook import registry
from lossbook.book import plot
from lossbook.book.widgets import explore, plottable


def huber(residual, rho):
    size = np.abs(residual)
    return np.where(size > rho, size - rho / 2, residual ** 2 / (2 * rho))


def huber_slope(residual, rho):
    return np.where(np.abs(residual) > rho, np.sign(residual), residual / rho)


def test_import_lossbook_needs_numpy_only():
    code = ("import sys, lossbook; bad = [m for m in ('matplotlib', 'ipywidgets', 'IPython') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_loss_curve_l2_and_huber():
    x, value, slope = plot.loss_curve("L2Loss", label=1.0, domain=(-2.0, 2.0), num=9)
    np.testing.assert_allclose(x, np.linspace(-2.0, 2.0, 9))
    np.testing.assert_allclose(value, 0.5 * (x - 1.0) ** 2)
    np.testing.assert_allclose(slope, x - 1.0)
    x, value, slope = plot.loss_curve("HuberLoss", label=0.5, config={"rho": 2.0}, num=31)
    np.testing.assert_allclose(value, huber(x - 0.5, 2.0))
    np.testing.assert_allclose(slope, huber_slope(x - 0.5, 2.0))


def test_loss_curve_of_an_instance_uses_its_parameters():
    x, value, _ = plot.loss_curve(lossbook.HuberLoss(rho=0.25), label=0.0, num=21)
    np.testing.assert_allclose(value, huber(x, 0.25))


def test_invalid_part_of_the_domain_is_nan_not_an_error():
    # A Poisson rate must be >= 0: the negative half of the grid is left out of the plot.
    x, value, slope = plot.loss_curve("PoissonNLLLoss", label=3.0,
                                      config={"from_logits": False}, domain=(-1.0, 3.0), num=9)
    assert np.all(np.isnan(value[x < 0])) and np.all(np.isnan(slope[x < 0]))
    rate = x[x > 0]
    np.testing.assert_allclose(value[x > 0], rate - 3.0 * np.log(rate + 1e-8))
    np.testing.assert_allclose(slope[x > 0], 1 - 3.0 / (rate + 1e-8))


def test_plot_loss_draws_the_loss_and_its_gradient():
    fig = matplotlib.figure.Figure()
    ax = plot.plot_loss("L1Loss", label=0.5, domain=(-1.0, 2.0), num=7, ax=fig.add_subplot())
    lines = {line.get_label(): line for line in ax.get_lines()}
    x = np.linspace(-1.0, 2.0, 7)
    np.testing.assert_allclose(lines["loss"].get_ydata(), np.abs(x - 0.5))
    np.testing.assert_allclose(lines["gradient"].get_ydata(), np.sign(x - 0.5))
    assert ax.get_title() == "L1Loss(), label = 0.5"
    assert ax.get_xlabel() == "pred" and ax.get_legend() is not None


def test_compare_losses_one_line_each():
    fig = matplotlib.figure.Figure()
    ax = plot.compare_losses(["L1Loss", "L2Loss", ("HuberLoss", {"rho": 0.5})], label=0.0,
                             num=11, ax=fig.add_subplot(), gradient=True)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:6] == ["L1Loss()", "L1Loss(): gradient", "L2Loss()", "L2Loss(): gradient",
                          "HuberLoss(rho=0.5)", "HuberLoss(rho=0.5): gradient"]
    x = np.linspace(-3.0, 3.0, 11)
    np.testing.assert_allclose(ax.get_lines()[4].get_ydata(), huber(x, 0.5))


@pytest.mark.parametrize("name", plottable())
def test_every_plottable_loss_draws_for_every_plot_label(name):
    record = registry.get(name)
    fig = matplotlib.figure.Figure()
    for label in record.plot_labels:
        ax = plot.plot_loss(name, label=label, num=51, ax=fig.add_subplot())
        value = ax.get_lines()[0].get_ydata()
        assert np.isfinite(value).sum() > 25, f"{name}: most of the curve is missing"


def test_use_book_style_fixes_the_svg_ids():
    with matplotlib.rc_context():
        plot.use_book_style()
        assert matplotlib.rcParams["svg.hashsalt"] == "lossbook"


def test_explorer_follows_its_controls():
    ex = explore("HuberLoss", num=41)
    x = np.linspace(-3.0, 3.0, 41)
    np.testing.assert_allclose(ex.lines["loss"].get_ydata(), huber(x, 1.0))
    # HuberLoss has one plot label, so no label drop-down: it could not change anything
    assert set(ex.controls) == {"loss", "rho"}
    slider = ex.controls["rho"]
    assert (slider.min, slider.max, slider.step) == (0.1, 3.0, 0.1)  # the registry's range

    slider.value = 2.0
    np.testing.assert_allclose(ex.lines["loss"].get_ydata(), huber(x, 2.0))
    np.testing.assert_allclose(ex.lines["gradient"].get_ydata(), huber_slope(x, 2.0))
    assert "rho=2" in ex.ax.get_title()
    # what the Output widget shows is this figure, described by the controls' readouts
    shown = ex.output.outputs[0]["data"]
    assert "<svg" in shown["image/svg+xml"] and "rho = 2.0" in shown["text/plain"]
    assert "HuberLoss(rho=2)" in shown["image/svg+xml"]            # the title, as text

    assert set(explore("L1Loss", gradient=False, num=11).lines) == {"loss"}


def test_explorer_switches_loss_and_label():
    ex = explore("HuberLoss", num=41)
    ex.controls["loss"].value = "PoissonNLLLoss"
    assert set(ex.controls) == {"loss", "label", "from_logits", "compute_full"}
    assert list(ex.controls["label"].options) == [("0", 0.0), ("1", 1.0), ("3", 3.0)]
    ex.controls["label"].value = 3.0
    x = np.linspace(-2.0, 3.0, 41)
    np.testing.assert_allclose(ex.lines["loss"].get_ydata(), np.exp(x) - 3.0 * x)
    np.testing.assert_allclose(ex.lines["gradient"].get_ydata(), np.exp(x) - 3.0)

    ex.controls["from_logits"].value = False  # pred is now a rate: x < 0 is not drawn
    value = ex.lines["loss"].get_ydata()
    assert np.all(np.isnan(value[x < 0]))
    np.testing.assert_allclose(value[x > 0], x[x > 0] - 3.0 * np.log(x[x > 0] + 1e-8))

    ex.controls["loss"].value = "L2Loss"
    assert set(ex.controls) == {"loss"}
    np.testing.assert_allclose(ex.lines["loss"].get_ydata(), 0.5 * np.linspace(-3, 3, 41) ** 2)
    # each loss keeps its own controls: back to Poisson, as it was left
    ex.controls["loss"].value = "PoissonNLLLoss"
    assert ex.controls["label"].value == 3.0 and ex.controls["from_logits"].value is False
    assert "label = 3" in ex.ax.get_title()


def test_explorer_offers_no_control_that_cannot_change_the_curve():
    # GaussianNLLLoss's eps floors a variance the plot fixes at 1: no slider for it
    ex = explore("GaussianNLLLoss", num=21)
    assert set(ex.controls) == {"loss", "full"}
    ex.controls["full"].value = True
    np.testing.assert_allclose(ex.lines["loss"].get_ydata(),
                               0.5 * np.linspace(-3, 3, 21) ** 2 + 0.5 * np.log(2 * np.pi))


def test_explorer_family_and_list_of_losses():
    ex = explore("HingeLoss", losses="classification")
    assert "HuberLoss" not in ex.controls["loss"].options
    assert list(ex.controls["loss"].options) == plottable("classification")
    ex = explore("L1Loss", losses=["L1Loss", "L2Loss"])
    assert list(ex.controls["loss"].options) == ["L1Loss", "L2Loss"]
    with pytest.raises(ValueError, match="cannot be plotted here"):
        explore("HuberLoss", losses="classification")
    with pytest.raises(ValueError, match="no plottable loss"):
        explore("HuberLoss", losses="no-such-family")


def test_explorer_starting_values_and_bad_names():
    ex = explore("HuberLoss", label=0.0, rho=0.5, num=21)
    np.testing.assert_allclose(ex.lines["loss"].get_ydata(),
                               huber(np.linspace(-3.0, 3.0, 21), 0.5))
    with pytest.raises(ValueError, match="cannot be plotted"):
        explore("NoSuchLoss")
    with pytest.raises(ValueError, match="no parameter"):
        explore("L1Loss", rho=1.0)
    with pytest.raises(ValueError, match="plot labels"):
        explore("HuberLoss", label=0.5)


def bell(mean, width, outcomes):
    weights = np.exp(-0.5 * ((np.arange(outcomes) - mean) / width) ** 2)
    return weights / weights.sum()


def test_divergence_explorer_follows_its_sliders():
    from lossbook.book.widgets import compare_distributions

    dx = compare_distributions(p_mean=4.0, p_width=1.5, q_mean=6.0, q_width=1.0, outcomes=12)
    assert set(dx.controls) == {"q_mean", "q_width"}
    dx.controls["q_width"].value = 2.5
    dx.controls["q_mean"].value = 7.0
    p, q = bell(4.0, 1.5, 12), bell(7.0, 2.5, 12)
    np.testing.assert_allclose(dx.p, p)
    np.testing.assert_allclose(dx.q, q)
    m = (p + q) / 2
    expected = {"KL(p||q)": np.sum(p * np.log(p / q)), "KL(q||p)": np.sum(q * np.log(q / p)),
                "JS": (np.sum(p * np.log(p / m)) + np.sum(q * np.log(q / m))) / 2}
    for name, value in expected.items():
        assert dx.values[name] == pytest.approx(value, rel=1e-12), name
    # what is drawn: the bars are p and q, the right panel's lines the terms of each KL
    upper, lower = dx.axes
    np.testing.assert_allclose([bar.get_height() for bar in upper.containers[0]], p)
    np.testing.assert_allclose([bar.get_height() for bar in upper.containers[1]], q)
    terms = [line.get_ydata() for line in lower.get_lines()[:2]]
    np.testing.assert_allclose(terms[0], p * np.log(p / q))
    np.testing.assert_allclose(terms[1], q * np.log(q / p))
    assert f"{expected['JS']:.3f}" in lower.get_title()


def test_divergence_explorer_equal_distributions_give_zero():
    from lossbook.book.widgets import compare_distributions

    dx = compare_distributions(p_mean=5.0, p_width=2.0, q_mean=5.0, q_width=2.0)
    assert dx.values == {"KL(p||q)": 0.0, "KL(q||p)": 0.0, "JS": 0.0}
    dx.controls["q_mean"].value = 7.0           # move q away: both directions become positive
    assert dx.values["KL(p||q)"] > 0 and dx.values["KL(q||p)"] > 0
