"""lossbook against PyTorch 2.13: values and gradients stored in tests/data, read by one loader.

Every file there was written by a script beside it (tests/data/make_*_reference.py, run with
torch installed) through tests/data/store.py, with keys ``<case>/<field>``; tests/reference.py
reads them. These tests need numpy only. The expected numbers are PyTorch's, mapped to
Gluon's per-sample semantics where the two differ (the scripts say how).
"""
import ast
import math

import numpy as np
import pytest

import lossbook as lb

from reference import load

LOSSES = load("reference")
KLDIV = load("kldiv_reference")
EMBEDDING = load("embedding_reference")
CTC = load("ctc_reference")
CONVENTIONS = load("conventions_reference")
TODAY = load("today_reference")
HESSIANS = load("hessian_reference")
ref = {f"{case}/{field}" if field else case: value
       for case, fields in CONVENTIONS.cases.items() for field, value in fields.items()}


def _as_tuple(g):
    return g if isinstance(g, tuple) else (g,)


def test_every_file_was_made_by_torch_2_13():
    for data in (KLDIV, EMBEDDING, CTC, CONVENTIONS, HESSIANS):
        assert data.torch_version.startswith("2.13"), data.torch_version
    assert "torch 2.13" in LOSSES.torch_version
    assert TODAY.torch_version.startswith("2.13")


# ------------------------------------------------------------------- the Gluon losses
@pytest.mark.parametrize("case", sorted(LOSSES.meta), ids=str)
def test_losses_match_pytorch(case):
    meta, data = LOSSES.meta[case], LOSSES.cases[case]
    loss = getattr(lb, meta["loss"])(**meta["config"])
    call = {key: data[value] for key, value in meta["call"].items()}
    args = [data[key] for key in meta["inputs"] if key not in meta["call"]]
    out, grads = loss.value_and_grad(*args, out_grad=data["out_grad"], **call)
    np.testing.assert_allclose(out, data["out"], rtol=1e-9, atol=1e-11)
    grads = _as_tuple(grads)
    assert len(grads) == len(meta["grad_inputs"])
    for g, key in zip(grads, meta["grad_inputs"]):
        np.testing.assert_allclose(g, data[f"grad_{key}"], rtol=1e-9, atol=1e-11,
                                   err_msg=f"{case}: gradient for {key}")


def test_every_gluon_loss_has_reference_data():
    covered = {meta["loss"] for meta in LOSSES.meta.values()}
    gluon = {"L1Loss", "L2Loss", "HuberLoss", "SigmoidBinaryCrossEntropyLoss",
             "SoftmaxCrossEntropyLoss", "HingeLoss", "SquaredHingeLoss", "LogisticLoss",
             "PoissonNLLLoss"}
    assert gluon <= covered, sorted(gluon - covered)


# ------------------------------------------- issue 15's losses, and the batch reductions
@pytest.mark.parametrize("case", sorted(TODAY.meta), ids=str)
def test_todays_losses_and_reductions_match_pytorch(case):
    """tests/data/make_today_reference.py: PyTorch's modules (or the published formula in
    torch operations, where PyTorch has none), per sample or reduced as PyTorch reduces."""
    meta, data = TODAY.meta[case], TODAY.cases[case]
    loss = getattr(lb, meta["loss"])(**meta["config"])
    call = {key: data[value] for key, value in meta["call"].items()}
    args = [data[key] for key in meta["inputs"] if key not in meta["call"]]
    out, grads = loss.value_and_grad(*args, out_grad=data["out_grad"], **call)
    assert np.shape(out) == np.shape(data["out"])
    np.testing.assert_allclose(out, data["out"], rtol=1e-10, atol=1e-13)
    grads = _as_tuple(grads)
    assert len(grads) == len(meta["grad_inputs"])
    for g, key in zip(grads, meta["grad_inputs"]):
        expected = data[f"grad_{key}"]
        np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-12 * np.max(np.abs(expected)),
                                   err_msg=f"{case}: gradient for {key}")


def test_todays_reference_covers_every_new_loss_and_option():
    losses = {meta["loss"] for meta in TODAY.meta.values()}
    assert {"InfoNCELoss", "NTXentLoss", "TripletMarginLoss", "DistillationLoss",
            "GaussianKLLoss", "DiceLoss", "TverskyLoss"} <= losses
    configs = [meta["config"] for meta in TODAY.meta.values()]
    assert any(c.get("log_target") for c in configs)
    assert any(c.get("label_smoothing") and c.get("sparse_label", True) is True
               and "class_weight" not in c for c in configs)                  # BCE's
    reduced = {meta["loss"] for meta in TODAY.meta.values() if "reduction" in meta["config"]}
    assert {"SoftmaxCrossEntropyLoss", "NLLLoss", "CTCLoss", "KLDivLoss"} <= reduced


def test_the_references_hit_both_sides_and_the_edges():
    """Not all on one branch: some triplets and overlaps at zero loss, a swap taken, a
    zero vector in InfoNCE, an empty mask, an ignored token."""
    assert np.any(TODAY.cases["triplet_margin"]["out"] == 0)
    assert np.any(TODAY.cases["triplet_margin"]["out"] > 0)
    swap = TODAY.cases["triplet_margin_swap"]
    dist = lambda x, y: np.linalg.norm(x - y + 1e-6, axis=1)
    taken = dist(swap["positive"], swap["negative"]) < dist(swap["pred"], swap["negative"])
    assert taken.any() and (~taken).any()
    zero = TODAY.cases["infonce_zero_vectors"]
    assert not zero["input1"][1].any() and not zero["input2"][4].any()
    assert np.abs(zero["grad_input1"][1]).max() > 1e6          # F.normalize's floor: 1 / 1e-12
    assert not TODAY.cases["dice"]["label"][0].any()
    assert (TODAY.cases["ce_tokens_mean"]["label"] == -100).sum() == 6


def test_cross_entropys_mean_is_neither_the_mean_per_sample_nor_per_position():
    """The weighted token mean differs from the mean of Gluon's per-sample values."""
    data = TODAY.cases["ce_tokens_weighted_mean"]
    config = TODAY.meta["ce_tokens_weighted_mean"]["config"]
    per_sample = lb.SoftmaxCELoss(**{**config, "reduction": "none"})(data["pred"], data["label"])
    assert abs(float(data["out"]) - per_sample.mean()) > 0.05


# ------------------------------------------------------- the Hessian's diagonal (autograd)
@pytest.mark.parametrize("case", sorted(HESSIANS.meta), ids=str)
def test_hess_diag_matches_pytorch_autograd(case):
    """The diagonal of torch.autograd.functional.hessian of sum(out_grad * per-sample loss),
    with per-element (or per-sample) weights; values and gradients along."""
    meta, data = HESSIANS.meta[case], HESSIANS.cases[case]
    loss = getattr(lb, meta["loss"])(**meta["config"])
    call = {key: data[value] for key, value in meta["call"].items()}
    args = [data[key] for key in meta["inputs"] if key not in meta["call"]]
    out, grads, hess = loss.value_grad_hess_diag(*args, data["sample_weight"],
                                                 out_grad=data["out_grad"], **call)
    np.testing.assert_allclose(out, data["out"], rtol=1e-9, atol=1e-12)
    for g, h, key in zip(_as_tuple(grads), _as_tuple(hess), meta["grad_inputs"]):
        np.testing.assert_allclose(g, data[f"grad_{key}"], rtol=1e-9, atol=1e-12,
                                   err_msg=f"{case}: gradient for {key}")
        np.testing.assert_allclose(h, data[f"hess_{key}"], rtol=1e-9, atol=1e-12,
                                   err_msg=f"{case}: hess_diag for {key}")


def test_every_loss_with_hess_diag_has_an_autograd_reference():
    from lossbook import registry
    covered = {meta["loss"] for meta in HESSIANS.meta.values()}
    assert {r.name for r in registry.records() if r.has_hess_diag} <= covered
    kinks = [case for case in HESSIANS.meta if case.startswith("kink")]
    assert len(kinks) == 4
    for case in kinks:                       # autograd's curvature on a kink is 0, as ours
        data = HESSIANS.cases[case]
        assert np.all(data["hess_pred"][..., data["kink_at"]] == 0)
    # and the cases are not flat everywhere: Huber's inside point and the active hinges
    assert HESSIANS.cases["kink_huber"]["hess_pred"][0, 0] != 0
    assert np.all(HESSIANS.cases["kink_squared_hinge"]["hess_pred"][0, 2:] != 0)


# ------------------------------------------------------------------------------ KLDivLoss
def test_kldiv_reference_holds_every_case():
    assert list(KLDIV.cases) == ["logprob", "logprob_zeros", "logits", "logits_3d",
                                 "logits_large", "logits_weighted"]


@pytest.mark.parametrize("case", list(KLDIV.cases))
def test_kldiv_matches_pytorch(case):
    """F.kl_div(log_q, p, reduction='none') summed over the non-batch axes; PyTorch's xlogy
    and Gluon's log(p + 1e-12) differ by at most 1e-12 / p relative (labels are 0 or >= 0.01)."""
    data = KLDIV.cases[case]
    loss = lb.KLDivLoss(from_logits=bool(data["from_logits"]))
    value, grad = loss.value_and_grad(data["pred"], data["label"],
                                      sample_weight=data.get("sample_weight"),
                                      out_grad=data.get("out_grad"))
    assert value.shape == (data["pred"].shape[0],) and grad.shape == data["pred"].shape
    np.testing.assert_allclose(value, data["value"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grad, data["grad"], rtol=1e-9, atol=1e-12)


# ----------------------------------------------------------- embedding, Gaussian, Huber
# case -> (loss class, lossbook call arguments in order, per_element)
EMBEDDING_CASES = {
    "triplet_m1": (lb.TripletLoss, ("pred", "positive", "negative"), False),
    "triplet_m0": (lb.TripletLoss, ("pred", "positive", "negative"), False),
    "cosine_m0": (lb.CosineEmbeddingLoss, ("input1", "input2", "label"), False),
    "cosine_m03": (lb.CosineEmbeddingLoss, ("input1", "input2", "label"), False),
    "ranking": (lb.MarginRankingLoss, ("input1", "input2", "label"), True),
    "contrastive": (lb.ContrastiveLoss, ("input1", "input2", "label"), False),
    "gaussian": (lb.GaussianNLLLoss, ("pred", "label", "var"), True),
    "gaussian_full": (lb.GaussianNLLLoss, ("pred", "label", "var"), True),
    "huber_rho1": (lb.HuberLoss, ("pred", "label"), True),
    "huber_rho05": (lb.HuberLoss, ("pred", "label"), True),
    "huber_rho2": (lb.HuberLoss, ("pred", "label"), True),
}


def test_embedding_reference_covers_every_case():
    assert set(EMBEDDING.cases) == set(EMBEDDING_CASES)


@pytest.mark.parametrize("case", sorted(EMBEDDING_CASES))
def test_embedding_losses_match_pytorch(case):
    cls, arg_names, per_element = EMBEDDING_CASES[case]
    data = EMBEDDING.cases[case]
    loss = cls(**ast.literal_eval(str(data["config"])))
    args = [data[name] for name in arg_names]
    value, grads = loss.value_and_grad(*args)
    torch_value = data["value"]
    if per_element:
        # torch's reduction='none' is per element; lossbook's elementwise() is the same thing,
        # and its output is the mean over the non-batch axes.
        np.testing.assert_allclose(loss.elementwise(*args), torch_value, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(value, torch_value.mean(axis=1), rtol=1e-12, atol=1e-14)
    else:
        np.testing.assert_allclose(value, torch_value, rtol=1e-12, atol=1e-14)
    grads = _as_tuple(grads)
    assert len(grads) == len(loss.grad_inputs)
    # atol 1e-11: torch's cosine puts its eps (1e-12) on the squared norms, and the cosine
    # gradient y/den - cos x/|x|^2 cancels, so single entries differ by ~1e-12 in absolute terms.
    for name, grad in zip(loss.grad_inputs, grads):
        np.testing.assert_allclose(grad, data[f"grad_{name}"], rtol=1e-11, atol=1e-11,
                                   err_msg=f"{case}: gradient for {name}")


def test_pytorch_huber_is_rho_times_gluon_huber():
    for case, rho in (("huber_rho1", 1.0), ("huber_rho05", 0.5), ("huber_rho2", 2.0)):
        data = EMBEDDING.cases[case]
        np.testing.assert_allclose(rho * lb.HuberLoss(rho=rho).elementwise(data["pred"], data["label"]),
                                   data["torch_huber"], rtol=1e-12, atol=1e-14)


def test_reference_cases_exercise_both_sides_of_each_hinge():
    """The stored inputs are not all on one branch (a reference that never hits 0 proves little)."""
    for case in ("triplet_m1", "triplet_m0", "cosine_m0", "cosine_m03", "ranking", "contrastive"):
        value = EMBEDDING.cases[case]["value"]
        assert np.any(value == 0) and np.any(value > 0), case


# ------------------------------------------------------------------------------------ CTC
@pytest.mark.parametrize("case", ["handmade", "random"])
def test_ctc_matches_pytorch(case):
    data = CTC.cases[case]
    args = [data[k] for k in ("pred", "label", "pred_lengths", "label_lengths")]
    value, grad = lb.CTCLoss().value_and_grad(*args)
    expected = data["loss"]
    np.testing.assert_array_equal(np.isinf(value), np.isinf(expected))
    np.testing.assert_allclose(value, expected, rtol=1e-10)
    np.testing.assert_allclose(grad, data["grad"], rtol=1e-8, atol=1e-12)
    # float32 in, float32 out, close to the float64 reference
    value32, grad32 = lb.CTCLoss().value_and_grad(args[0].astype(np.float32), *args[1:])
    assert value32.dtype == grad32.dtype == np.float32
    np.testing.assert_allclose(value32, expected, rtol=1e-5)
    np.testing.assert_allclose(grad32, data["grad"], atol=1e-4)


def test_ctc_reference_has_the_promised_cases():
    data = CTC.cases["handmade"]
    assert np.isinf(data["loss"]).sum() == 1 and (data["label_lengths"] == 0).any()


# ------------------------------------------------- PyTorch's conventions (the appendix)
def test_pytorch_huber_is_delta_times_lossbook_huber():
    d = ref["huber/d"]
    ours = lb.HuberLoss(rho=2.0).elementwise(d[:, None], np.zeros((d.size, 1)))[:, 0]
    np.testing.assert_allclose(ref["huber/out"], 2.0 * ours, rtol=1e-12)


def test_certain_wrong_probability_costs_log_eps_here_and_100_in_pytorch():
    ours = lb.SigmoidBCELoss(from_sigmoid=True)(np.array([[0.0]]), np.array([[1.0]]))[0]
    assert ours == pytest.approx(-np.log(1e-12), rel=1e-12)
    assert float(ref["bce/certain_wrong"]) == 100.0


def test_weighted_cross_entropy_mean_divides_by_the_labels_total_weight():
    logits = LOSSES.cases["softmax_ce_smooth_weighted"]["pred"]
    index = LOSSES.cases["softmax_ce_smooth_weighted"]["label"]
    config = LOSSES.meta["softmax_ce_smooth_weighted"]["config"]
    weights = np.array(config["class_weight"])
    per_sample = lb.SoftmaxCrossEntropyLoss(**config)(logits, index)
    assert float(ref["ce/mean"]) == pytest.approx(per_sample.sum() / weights[index].sum(), rel=1e-12)
    assert float(ref["ce/mean"]) != pytest.approx(per_sample.mean(), rel=1e-3)


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
