"""lossbook.calibration: by hand, against scikit-learn and SciPy (stored data), and bad input.

The stored numbers (tests/data/calibration_reference.npz, written by
tests/data/make_calibration_reference.py) come from scikit-learn's ``calibration_curve``
and ``brier_score_loss`` and from SciPy's bounded scalar minimiser; these tests need numpy
only.
"""
import math

import numpy as np
import pytest

import lossbook as lb
from lossbook import calibration as cal

from helpers import message_names
from reference import load

REF = load("calibration_reference")
CURVES = sorted(case for case in REF.cases if "predicted" in REF.cases[case])


def test_the_reference_was_made_by_scikit_learn():
    assert REF.torch_version.startswith("scikit-learn 1.9"), REF.torch_version
    assert len(CURVES) == 9


# -------------------------------------------------------------------------------- by hand
def test_reliability_curve_by_hand_with_an_edge_in_the_lower_bin():
    # bins (0, 0.5] and (0.5, 1]: 0.5 is on the inner edge and goes down
    curve = cal.reliability_curve([0.1, 0.5, 0.6, 1.0], [0, 1, 1, 1], bins=2)
    np.testing.assert_allclose(curve.predicted, [0.3, 0.8])
    np.testing.assert_allclose(curve.observed, [0.5, 1.0])
    np.testing.assert_array_equal(curve.count, [2, 2])
    np.testing.assert_array_equal(curve.edges, [0.0, 0.5, 1.0])


def test_equal_mass_bins_by_hand():
    # percentiles 0, 50, 100 of (0.1, 0.2, 0.3, 0.9) are 0.1, 0.25, 0.9: two per bin
    curve = cal.reliability_curve([0.9, 0.1, 0.3, 0.2], [1, 0, 0, 1], bins=2, strategy="quantile")
    np.testing.assert_allclose(curve.edges, [0.1, 0.25, 0.9])
    np.testing.assert_allclose(curve.predicted, [0.15, 0.6])
    np.testing.assert_allclose(curve.observed, [0.5, 0.5])
    np.testing.assert_array_equal(curve.count, [2, 2])


def test_ece_and_mce_by_hand_and_empty_bins_left_out():
    # five bins of width 0.2; only (0.2, 0.4] and (0.8, 1] hold predictions:
    # 0.3, 0.3 with outcomes 0, 1 (gap 0.2); 0.9 x 3 with outcomes 1, 1, 1 (gap 0.1)
    prob, label = [0.3, 0.3, 0.9, 0.9, 0.9], [0, 1, 1, 1, 1]
    assert cal.expected_calibration_error(prob, label, bins=5) == pytest.approx(
        (2 * 0.2 + 3 * 0.1) / 5, rel=1e-12)
    assert cal.maximum_calibration_error(prob, label, bins=5) == pytest.approx(0.2, rel=1e-12)
    assert len(cal.reliability_curve(prob, label, bins=5).count) == 2


def test_top_label_of_distributions():
    # rows' largest entries 0.7 (class 0, label 0: right), 0.6 (class 2, label 1: wrong),
    # 0.5 and 0.5 tie (class 0 taken first, label 0: right)
    prob = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.5, 0.0]])
    curve = cal.reliability_curve(prob, [0, 1, 0], bins=1)
    np.testing.assert_allclose(curve.predicted, [0.6])
    np.testing.assert_allclose(curve.observed, [2 / 3])
    assert cal.expected_calibration_error(prob, [0, 1, 0], bins=1) == pytest.approx(2 / 3 - 0.6)


def test_brier_decomposition_by_hand():
    # bins (0, 0.5], (0.5, 1]: forecasts 0.2, 0.2 (outcomes 0, 1) and 0.7, 0.7 (1, 1)
    # Brier (0.04 + 0.64 + 0.09 + 0.09) / 4 = 0.215; base rate 3/4
    # reliability (2 * 0.3^2 + 2 * 0.3^2) / 4 = 0.09; resolution 2 * 0.25^2 * 2 / 4 = 0.0625
    parts = cal.brier_decomposition([0.2, 0.2, 0.7, 0.7], [0, 1, 1, 1], bins=2)
    np.testing.assert_allclose(parts, [0.215, 0.09, 0.0625, 0.1875, 0.0, 0.0], atol=1e-15)


def test_brier_decomposition_adds_up_with_the_within_bin_terms():
    rng = np.random.default_rng(5)
    prob = rng.uniform(size=500)
    label = (rng.uniform(size=500) < prob ** 2).astype(float)
    for strategy in ("uniform", "quantile"):
        parts = cal.brier_decomposition(prob, label, bins=7, strategy=strategy)
        assert parts.within_bin_variance > 0 and parts.within_bin_covariance != 0
        total = (parts.reliability - parts.resolution + parts.uncertainty
                 + parts.within_bin_variance - 2 * parts.within_bin_covariance)
        assert total == pytest.approx(parts.brier, rel=1e-12)
        assert parts.brier == pytest.approx(np.mean((prob - label) ** 2), rel=1e-14)


def test_a_calibrated_forecaster_has_small_but_positive_ece():
    """The ECE's upward bias: labels drawn from the stated probabilities themselves."""
    rng = np.random.default_rng(11)
    small, large = [], []
    for _ in range(20):
        prob = rng.uniform(size=200)
        small.append(cal.expected_calibration_error(prob, rng.uniform(size=200) < prob))
        prob = rng.uniform(size=20000)
        large.append(cal.expected_calibration_error(prob, rng.uniform(size=20000) < prob))
    assert 0.03 < np.mean(small) < 0.08 and np.mean(large) < 0.01 and min(small) > 0


# ---------------------------------------------------------------- against scikit-learn
@pytest.mark.parametrize("case", CURVES)
def test_reliability_curve_matches_scikit_learn(case):
    data = REF.cases[case]
    bins, strategy = int(data["bins"]), str(data["strategy"])
    curve = cal.reliability_curve(data["prob"], data["label"], bins=bins, strategy=strategy)
    np.testing.assert_allclose(curve.predicted, data["predicted"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(curve.observed, data["observed"], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(curve.count, data["count"])
    assert cal.expected_calibration_error(data["prob"], data["label"], bins, strategy) == \
        pytest.approx(float(data["ece"]), rel=1e-12, abs=1e-15)
    assert cal.maximum_calibration_error(data["prob"], data["label"], bins, strategy) == \
        pytest.approx(float(data["mce"]), rel=1e-12)
    assert cal.brier_decomposition(data["prob"], data["label"], bins, strategy).brier == \
        pytest.approx(float(data["brier"]), rel=1e-12)


def test_brier_loss_matches_scikit_learns_brier_score():
    data = REF.cases["over_uniform_10"]
    per_sample = lb.BrierLoss(link="identity")(data["prob"][:, None], data["label"])
    assert per_sample.mean() == pytest.approx(float(data["brier"]), rel=1e-12)
    # the logit of the same probabilities through the sigmoid link
    logits = np.log(data["prob"]) - np.log1p(-data["prob"])
    assert lb.BrierLoss()(logits[:, None], data["label"]).mean() == pytest.approx(
        float(data["brier"]), rel=1e-9)
    data = REF.cases["multiclass_brier"]
    per_sample = lb.BrierLoss(link="softmax")(data["scores"], data["label"])
    assert per_sample.mean() == pytest.approx(float(data["brier"]), rel=1e-12)
    data = REF.cases["two_class_brier"]                   # scikit-learn halves two classes
    per_sample = lb.BrierLoss(link="softmax")(data["scores"], data["label"])
    assert per_sample.mean() / 2 == pytest.approx(float(data["brier"]), rel=1e-12)


@pytest.mark.parametrize("case", ["temperature_binary", "temperature_multiclass"])
@pytest.mark.parametrize("method", ["newton", "gradient"])
def test_temperature_matches_scipys_minimiser(case, method):
    data = REF.cases[case]
    temperature = cal.temperature_scale(data["logits"], data["label"], method=method)
    assert temperature == pytest.approx(float(data["temperature"]), rel=1e-7)
    assert 2.0 < temperature < 4.0             # the logits were made three times too sharp


# ------------------------------------------------------------------ temperature, more
def test_temperature_by_hand_and_float32():
    # at the logit 2 one label of two is positive, at -2 none: sigma(2 / T) = 3/4
    logits, label = [2.0, -2.0, 2.0, -2.0], [1, 0, 0, 0]
    assert cal.temperature_scale(logits, label) == pytest.approx(2 / math.log(3), rel=1e-12)
    got32 = cal.temperature_scale(np.array(logits, np.float32), label, method="gradient")
    assert got32 == pytest.approx(2 / math.log(3), rel=1e-7)


def test_temperature_keeps_the_predicted_class():
    data = REF.cases["temperature_multiclass"]
    temperature = cal.temperature_scale(data["logits"], data["label"])
    np.testing.assert_array_equal(np.argmax(data["logits"] / temperature, axis=1),
                                  np.argmax(data["logits"], axis=1))


def test_too_few_steps_is_an_error_not_a_silent_answer():
    data = REF.cases["temperature_multiclass"]
    cal.temperature_scale(data["logits"], data["label"], max_steps=8)       # Newton: enough
    for method in ("newton", "gradient"):
        with pytest.raises(RuntimeError) as excinfo:
            cal.temperature_scale(data["logits"], data["label"], method=method, max_steps=2)
        message_names(excinfo, "temperature_scale", "max_steps=2")


def test_no_best_temperature_is_an_error():
    for logits, label in (([1.0, -1.0, 3.0], [1, 0, 1]),                   # separable
                          ([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0, 1, 1])):
        for method in ("newton", "gradient"):
            with pytest.raises(ValueError) as excinfo:
                cal.temperature_scale(logits, label, method=method)
            message_names(excinfo, "temperature_scale", "separate", "T goes to 0")
    with pytest.raises(ValueError) as excinfo:                       # wrong way round
        cal.temperature_scale([1.0, -1.0, 3.0, -2.0], [0, 1, 0, 1])
    message_names(excinfo, "temperature_scale", "no better than a constant")


# ----------------------------------------------------------------------- dtypes, input
def test_float32_in_float32_arrays_out():
    data = REF.cases["over_quantile_10"]
    curve32 = cal.reliability_curve(data["prob"].astype(np.float32), data["label"],
                                    bins=10, strategy="uniform")
    curve64 = cal.reliability_curve(data["prob"], data["label"], bins=10, strategy="uniform")
    assert curve32.predicted.dtype == curve32.observed.dtype == curve32.edges.dtype == np.float32
    assert curve64.predicted.dtype == np.float64
    np.testing.assert_allclose(curve32.predicted, curve64.predicted, rtol=1e-6)
    ece32 = cal.expected_calibration_error(data["prob"].astype(np.float32), data["label"])
    assert isinstance(ece32, float)
    assert ece32 == pytest.approx(cal.expected_calibration_error(data["prob"], data["label"]),
                                  abs=1e-6)


@pytest.mark.parametrize("function", [cal.reliability_curve, cal.expected_calibration_error,
                                      cal.maximum_calibration_error, cal.brier_decomposition],
                         ids=lambda f: f.__name__)
def test_bad_input_names_the_function_and_argument(function):
    name = function.__name__
    cases = [
        (([0.2, 1.5], [0, 1]), ValueError, ["prob", "[0, 1]", "1.5"]),
        (([0.2, np.nan], [0, 1]), ValueError, ["prob", "NaN"]),
        (([0.2, 0.4], [0, 2]), ValueError, ["label", "0 or 1", "2"]),
        (([0.2, 0.4], [0, 1, 1]), ValueError, ["label", "(3,)", "(2,)"]),
        (([], []), ValueError, ["prob", "n >= 1"]),
        (("abc", [0]), TypeError, ["prob"]),
    ]
    for args, kind, words in cases:
        with pytest.raises(kind) as excinfo:
            function(*args)
        message_names(excinfo, name, *words)
    with pytest.raises(ValueError) as excinfo:
        function([0.2, 0.4], [0, 1], bins=0)
    message_names(excinfo, name, "bins")
    with pytest.raises(ValueError) as excinfo:
        function([0.2, 0.4], [0, 1], strategy="equal")
    message_names(excinfo, name, "strategy", "'quantile'")


def test_bad_distributions_and_class_labels():
    with pytest.raises(ValueError) as excinfo:
        cal.reliability_curve(np.array([[0.5, 0.6], [0.5, 0.5]]), [0, 1])
    message_names(excinfo, "reliability_curve", "prob", "sum to 1", "(2, 2)")
    with pytest.raises(ValueError) as excinfo:
        cal.expected_calibration_error(np.array([[0.5, 0.5]]), [2])
    message_names(excinfo, "expected_calibration_error", "label", "2", "[0, 2)")
    with pytest.raises(ValueError) as excinfo:
        cal.brier_decomposition(np.array([[0.5, 0.5]]), [1])
    message_names(excinfo, "brier_decomposition", "prob", "1-D", "(1, 2)")


def test_bad_input_to_temperature_scale():
    with pytest.raises(ValueError) as excinfo:
        cal.temperature_scale([1.0, np.inf], [1, 0])
    message_names(excinfo, "temperature_scale", "logits", "finite")
    with pytest.raises(ValueError) as excinfo:
        cal.temperature_scale([1.0, -1.0], [1, 0, 1])
    message_names(excinfo, "temperature_scale", "label", "(3,)", "(2,)")
    with pytest.raises(ValueError) as excinfo:
        cal.temperature_scale(np.zeros((2, 3)), [0, 3])
    message_names(excinfo, "temperature_scale", "label", "3")
    with pytest.raises(ValueError) as excinfo:
        cal.temperature_scale([1.0, -1.0], [1, 0], method="lbfgs")
    message_names(excinfo, "temperature_scale", "method", "'gradient'")
    for name, value in (("max_steps", 0), ("tol", -1.0)):
        with pytest.raises(ValueError) as excinfo:
            cal.temperature_scale([1.0, -1.0], [1, 0], **{name: value})
        message_names(excinfo, "temperature_scale", name)
