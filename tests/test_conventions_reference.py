"""lossbook against PyTorch's own conventions, as the appendix on conventions states them.

The numbers come from tests/data/make_conventions_reference.py (PyTorch 2.13, CPU, float64);
this test does not need torch. Each test is one row of the appendix's table: lossbook's
value, the relation the appendix claims, and PyTorch's number.
"""
import json
import pathlib

import numpy as np
import pytest

import lossbook as lb

DATA = pathlib.Path(__file__).parent / "data"
ref = np.load(DATA / "conventions_reference.npz")


def test_pytorch_huber_is_delta_times_lossbook_huber():
    d = ref["huber/d"]
    ours = lb.HuberLoss(rho=2.0).elementwise(d[:, None], np.zeros((d.size, 1)))[:, 0]
    np.testing.assert_allclose(ref["huber/out"], 2.0 * ours, rtol=1e-12)


def test_certain_wrong_probability_costs_log_eps_here_and_100_in_pytorch():
    ours = lb.SigmoidBCELoss(from_sigmoid=True)(np.array([[0.0]]), np.array([[1.0]]))[0]
    assert ours == pytest.approx(-np.log(1e-12), rel=1e-12)
    assert float(ref["bce_certain_wrong"]) == 100.0


def test_weighted_cross_entropy_mean_divides_by_the_labels_total_weight():
    case = np.load(DATA / "reference.npz")
    logits = case["softmax_ce_smooth_weighted/pred"]
    index = case["softmax_ce_smooth_weighted/label"]
    config = {c["name"]: c for c in json.loads((DATA / "reference.json").read_text())["cases"]}[
        "softmax_ce_smooth_weighted"]["config"]
    weights = np.array(config["class_weight"])
    per_sample = lb.SoftmaxCrossEntropyLoss(**config)(logits, index)
    assert float(ref["ce_mean"]) == pytest.approx(per_sample.sum() / weights[index].sum(), rel=1e-12)
    assert float(ref["ce_mean"]) != pytest.approx(per_sample.mean(), rel=1e-3)


def test_kl_batchmean_is_the_mean_of_lossbooks_sums_and_mean_divides_by_classes_too():
    p, log_q = ref["kl/p"], ref["kl/log_q"]
    ours = lb.KLDivLoss()(log_q, p)
    assert float(ref["kl/batchmean"]) == pytest.approx(ours.mean(), rel=1e-9)
    assert float(ref["kl/mean"]) == pytest.approx(ours.mean() / p.shape[1], rel=1e-9)


def test_poisson_full_has_no_stirling_term_at_target_0_or_1():
    target = ref["poisson/target"]
    ours = lb.PoissonNLLLoss(compute_full=True).elementwise(np.zeros((1, 3)), target[None])[0]
    np.testing.assert_allclose(ours, ref["poisson/out"], rtol=1e-12)
    assert np.all(np.isfinite(ours))


def test_gradients_at_kinks():
    assert lb.L1Loss().grad([[2.0]], [[2.0]])[0, 0] == ref["kink/l1"][0] == 0
    assert lb.HingeLoss().grad([[1.0]], [[1.0]])[0, 0] == ref["kink/hinge_relu"][0] == 0
    np.testing.assert_array_equal(
        lb.MulticlassHingeLoss().grad(np.array([[1.0, 0.0]]), np.array([0])), ref["kink/multi_margin"])
    assert lb.SigmoidBCELoss().grad([[0.0]], [[1.0]])[0, 0] == ref["kink/bce_logits"][0] == -0.5
    # a documented difference: PyTorch's clamp_min passes the gradient on the margin, lossbook takes 0
    d_x1 = lb.MarginRankingLoss(margin=1.0).grad([[1.0]], [[0.0]], [[1.0]])[0]
    assert d_x1[0, 0] == 0 and ref["kink/margin_ranking"][0] == -1.0
