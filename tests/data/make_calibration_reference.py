"""Regenerate calibration_reference.npz: calibration curves, Brier scores and temperatures
computed by scikit-learn and SciPy, for lossbook.calibration and BrierLoss.

Run from the repository root in the book's venv (scikit-learn is in requirements.txt):

    .venv/bin/python tests/data/make_calibration_reference.py

What comes from where (never from lossbook):

* ``calibration_curve(label, prob, n_bins, strategy)`` of scikit-learn gives the
  reliability curve (``prob_true``, ``prob_pred``) for both strategies;
* the number of predictions in each non-empty bin is counted here with a plain loop over
  the same edges (scikit-learn does not return it), and the expected and maximum
  calibration errors are formed from those counts and scikit-learn's curve;
* ``brier_score_loss`` gives the binary Brier score and the multiclass one (three or more
  classes, its sum over classes, ``scale_by_half=False``);
* the temperature minimising the negative log-likelihood is found by SciPy's bounded
  ``minimize_scalar`` on ``scipy.special.log_softmax`` / ``log_expit`` of the scaled logits.

Keys ``<case>/<field>`` (tests/data/store.py); the version entry names scikit-learn and
SciPy. tests/test_calibration.py reads the file with tests/reference.py; it needs neither.
"""
from pathlib import Path

import numpy as np
import scipy
import sklearn
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from store import save

OUT = Path(__file__).with_name("calibration_reference.npz")


def _edges(prob, bins, strategy):
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, bins + 1)
    return np.percentile(prob, np.linspace(0, 1, bins + 1) * 100)   # scikit-learn's own


def _counts(prob, edges):
    """Predictions per bin (e_k, e_{k+1}], the first bin closed at its left end: a loop."""
    counts = [0] * (len(edges) - 1)
    for p in prob:
        k = 0
        while k < len(edges) - 2 and p > edges[k + 1]:
            k += 1
        counts[k] += 1
    return np.array([c for c in counts if c > 0])


def _curve_case(prob, label, bins, strategy):
    observed, predicted = calibration_curve(label, prob, n_bins=bins, strategy=strategy)
    count = _counts(prob, _edges(prob, bins, strategy))
    gaps = np.abs(observed - predicted)
    return {"prob": prob, "label": label, "bins": np.array(bins), "strategy": np.array(strategy),
            "predicted": predicted, "observed": observed, "count": count,
            "ece": np.array(np.sum(count * gaps) / count.sum()), "mce": np.array(gaps.max()),
            "brier": np.array(brier_score_loss(label, prob))}


def _temperature(logits, label):
    if logits.ndim == 1:
        def nll(t):
            x = logits / t
            return -np.sum(label * log_expit(x) + (1 - label) * log_expit(-x))
    else:
        def nll(t):
            return -np.sum(log_softmax(logits / t, axis=1)[np.arange(len(label)), label])
    result = minimize_scalar(nll, bounds=(0.05, 50.0), method="bounded",
                             options={"xatol": 1e-12, "maxiter": 2000})
    assert result.success and 0.06 < result.x < 49, result
    return np.array(result.x)


def main():
    rng = np.random.default_rng(20261130)
    cases = {}
    # an overconfident binary forecaster: the true probability is sigmoid(z), the stated one
    # sigmoid(3 z); plus a forecaster with many ties (probabilities on a grid of 0.1)
    z = rng.normal(scale=1.2, size=400)
    label = (rng.uniform(size=z.size) < expit(z)).astype(np.float64)
    stated = expit(3 * z)
    for bins in (5, 10, 15):
        for strategy in ("uniform", "quantile"):
            cases[f"over_{strategy}_{bins}"] = _curve_case(stated, label, bins, strategy)
    grid = np.round(rng.uniform(size=300), 1)
    grid_label = (rng.uniform(size=grid.size) < grid).astype(np.float64)
    for strategy in ("uniform", "quantile"):
        cases[f"grid_{strategy}_10"] = _curve_case(grid, grid_label, 10, strategy)
    # predictions exactly on the inner edges of 4 equal-width bins
    edges = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 0.25, 0.5, 0.1, 0.6, 0.9])
    cases["on_edges_uniform_4"] = _curve_case(edges, np.array([0, 0, 1, 1, 1, 1, 0, 0, 1, 1.0]),
                                              4, "uniform")

    # multiclass Brier (sum over 4 classes) from scores through a softmax
    scores = rng.normal(scale=2.0, size=(50, 4))
    classes = rng.integers(0, 4, size=50)
    cases["multiclass_brier"] = {
        "scores": scores, "label": classes,
        "brier": np.array(brier_score_loss(classes, softmax(scores, axis=1), labels=np.arange(4),
                                           scale_by_half=False))}
    # two classes: scikit-learn halves its sum (scale_by_half='auto')
    two = rng.normal(size=(30, 2))
    two_label = rng.integers(0, 2, size=30)
    cases["two_class_brier"] = {
        "scores": two, "label": two_label,
        "brier": np.array(brier_score_loss(two_label, softmax(two, axis=1), labels=[0, 1]))}

    # temperatures: the overconfident binary logits, and 5-class logits three times too sharp
    cases["temperature_binary"] = {"logits": 3 * z, "label": label,
                                   "temperature": _temperature(3 * z, label)}
    truth = rng.normal(scale=1.5, size=(600, 5))
    drawn = np.array([rng.choice(5, p=p) for p in softmax(truth, axis=1)])
    cases["temperature_multiclass"] = {"logits": 3 * truth, "label": drawn,
                                       "temperature": _temperature(3 * truth, drawn)}
    save(OUT, cases, f"scikit-learn {sklearn.__version__}, scipy {scipy.__version__}")
    print(f"wrote {OUT} ({len(cases)} cases, scikit-learn {sklearn.__version__}, "
          f"scipy {scipy.__version__})")


if __name__ == "__main__":
    main()
