"""The batch reduction (``reduction='none' | 'mean' | 'sum'``), generic over the registry.

Every registered loss takes the keyword. The expected values here come from another code
path, ``elementwise`` (the per-element loss, before any weighting or reduction): ``'sum'`` is
the sum of its elements times ``sample_weight`` and ``weight``; ``'mean'`` divides that by
the number of elements, for every loss that keeps the default denominator. The losses
with their own (cross-entropy and NLL with class weights and ``ignore_index``, CTC) are
checked against PyTorch in tests/test_references.py. The gradient of the reduced number is
checked against central differences, as for ``'none'``.
"""
import inspect
import zlib

import numpy as np
import pytest

import lossbook as lb
from lossbook import registry
from lossbook.base import Loss
from lossbook.gradcheck import check_grad, numerical_diagonal

from samplers import sample

CASES = [pytest.param(r, c, id=f"{r.name}-c{i}")
         for r in registry.records() for i, c in enumerate(r.all_configs())]


def _as_tuple(g):
    return g if isinstance(g, tuple) else (g,)


def _positions(loss):
    names = list(inspect.signature(loss).parameters)
    return [names.index(name) for name in loss.grad_inputs]


def _weighted_elements(record, config, args, kwargs, sample_weight, weight):
    """sample_weight * weight * the per-element loss, from ``elementwise``."""
    elements = record.make(**config).elementwise(*args, **kwargs)
    shape = elements.shape
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight)
        if sample_weight.ndim == 1 and len(shape) > 1:           # one weight per sample
            sample_weight = sample_weight.reshape((-1,) + (1,) * (len(shape) - 1))
        elements = elements * sample_weight
    return elements * weight


@pytest.mark.parametrize("record,config", CASES)
def test_sum_adds_every_element_and_mean_divides_by_their_number(record, config):
    rng = np.random.default_rng(zlib.crc32(record.name.encode()))
    args, kwargs = sample(record, rng, config, 0, np.float64)
    batch = record.make(**config)(*args, **kwargs).shape[0]
    sample_weight = rng.uniform(0.5, 2.0, size=batch)
    elements = _weighted_elements(record, config, args, kwargs, sample_weight, 1.5)
    total = record.make(**config, weight=1.5, reduction="sum")(
        *args, sample_weight=sample_weight, **kwargs)
    assert np.ndim(total) == 0 and total.dtype == np.float64
    np.testing.assert_allclose(total, elements.sum(), rtol=1e-12)
    mean_loss = record.make(**config, weight=1.5, reduction="mean")
    mean = mean_loss(*args, sample_weight=sample_weight, **kwargs)
    if type(mean_loss).mean_denominator is Loss.mean_denominator:
        np.testing.assert_allclose(mean, elements.sum() / elements.size, rtol=1e-12)
    # 'none' is unchanged: one value per sample
    assert record.make(**config, reduction="none")(*args, **kwargs).shape == (batch,)


@pytest.mark.parametrize("record,config", CASES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_the_gradient_is_that_of_the_reduced_number(record, config, reduction):
    rng = np.random.default_rng(zlib.crc32(f"{record.name}-{reduction}".encode()))
    args, kwargs = sample(record, rng, config, 0, np.float64)
    loss = record.make(**config, reduction=reduction)
    batch = record.make(**config)(*args, **kwargs).shape[0]
    call = {**kwargs, "sample_weight": rng.uniform(0.5, 2.0, size=batch)}
    head = rng.normal()
    positions = _positions(loss)

    def objective(*inputs):
        full = list(args)
        for pos, value in zip(positions, inputs):
            full[pos] = value
        return head * float(loss(*full, **call))

    value, grads = loss.value_and_grad(*args, out_grad=head, **call)
    assert value == loss(*args, **call)
    check_grad(objective, [args[p] for p in positions], _as_tuple(grads),
               names=list(loss.grad_inputs), rtol=1e-5, atol=1e-7)
    # without out_grad the head is 1
    for g, h in zip(_as_tuple(loss.grad(*args, **call)), _as_tuple(grads)):
        np.testing.assert_allclose(head * g, h, rtol=1e-10, atol=1e-14)   # (cancellation in G)


@pytest.mark.parametrize("record,config", [c for c in CASES if c.values[0].has_hess_diag])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_hess_diag_is_that_of_the_reduced_number(record, config, reduction):
    """The reduction is linear, so it scales the second derivatives as it scales the first:
    checked by central differences of the reduced number's gradient."""
    rng = np.random.default_rng(zlib.crc32(f"{record.name}-{reduction}-h".encode()))
    args, kwargs = sample(record, rng, config, 0, np.float64)
    loss = record.make(**config, reduction=reduction)
    batch = record.make(**config)(*args, **kwargs).shape[0]
    call = {**kwargs, "sample_weight": rng.uniform(0.5, 2.0, size=batch)}
    head = rng.normal()
    hess = _as_tuple(loss.hess_diag(*args, out_grad=head, **call))
    for k, pos in enumerate(_positions(loss)):
        def grad_k(v, k=k, pos=pos):
            full = list(args)
            full[pos] = v
            return _as_tuple(loss.grad(*full, out_grad=head, **call))[k]
        numeric = numerical_diagonal(grad_k, args[pos], eps=1e-5)
        np.testing.assert_allclose(hess[k], numeric, rtol=1e-5, atol=1e-7,
                                   err_msg=f"{record.name} {config}: hess_diag, {reduction}")


@pytest.mark.parametrize("record", [pytest.param(r, id=r.name) for r in registry.records()])
def test_float32_gives_one_float32_number(record):
    args, kwargs = sample(record, np.random.default_rng(3), {}, 0, np.float32)
    for reduction in ("mean", "sum"):
        loss = record.make(reduction=reduction)
        value, grads = loss.value_and_grad(*args, **kwargs)
        assert value.dtype == np.float32 and np.ndim(value) == 0 and np.isfinite(value)
        for g in _as_tuple(grads):
            assert g.dtype == np.float32


def test_out_grad_of_a_reduced_loss_is_one_number():
    loss = lb.L2Loss(reduction="mean")
    pred, label = np.ones((3, 2)), np.zeros((3, 2))
    np.testing.assert_allclose(loss.grad(pred, label, out_grad=np.array(2.0)), 2 * pred / 6)
    np.testing.assert_allclose(loss.grad(pred, label, out_grad=[2.0]), 2 * pred / 6)
    with pytest.raises(ValueError, match=r"L2Loss: out_grad of shape \(3,\) must be one number"):
        loss.grad(pred, label, out_grad=np.ones(3))


def test_reduction_is_keyword_only_and_checked():
    with pytest.raises(TypeError):
        lb.HuberLoss(1.0, None, 0, "mean")
    with pytest.raises(ValueError, match="HuberLoss: reduction must be 'none' or 'mean' or 'sum'"):
        lb.HuberLoss(reduction="batchmean")
    assert lb.HuberLoss(reduction="mean").reduction == "mean"
    with pytest.raises(AttributeError, match="read-only"):
        lb.HuberLoss().reduction = "sum"


def test_by_hand():
    """L1 on a (2, 2) batch: elements 1, 3 and 2, 6; per sample 2 and 4."""
    pred, label = np.array([[1.0, 3.0], [2.0, 6.0]]), np.zeros((2, 2))
    assert lb.L1Loss()(pred, label).tolist() == [2.0, 4.0]
    assert lb.L1Loss(reduction="sum")(pred, label) == 12.0         # not 2 + 4
    assert lb.L1Loss(reduction="mean")(pred, label) == 3.0
    np.testing.assert_array_equal(lb.L1Loss(reduction="mean").grad(pred, label),
                                  np.full((2, 2), 0.25))
    # per-sample weights multiply, and stay out of the denominator (Keras's convention)
    assert lb.L1Loss(reduction="mean")(pred, label, sample_weight=[1.0, 0.0]) == 1.0


def test_token_mean_of_a_padded_batch():
    """Two sequences of 3 and 1 tokens (padding -1): 'mean' averages over the 4 tokens,
    the mean of the per-sample values averages the two sequences' means."""
    logits = np.zeros((2, 3, 4))                       # uniform: each token costs log 4
    logits[0, :, 0] = [np.log(3.0), 0.0, 0.0]          # first token of sequence 0 costs log 2
    label = np.array([[0, 1, 2], [3, -1, -1]])
    per_token = np.array([np.log(2.0), np.log(4.0), np.log(4.0), np.log(4.0)])
    loss = lb.SoftmaxCELoss(ignore_index=-1, reduction="mean")
    np.testing.assert_allclose(loss(logits, label), per_token.mean(), rtol=1e-12)
    per_sample = lb.SoftmaxCELoss(ignore_index=-1)(logits, label)   # padding counts 0
    np.testing.assert_allclose(per_sample, [per_token[:3].sum() / 3, np.log(4.0) / 3])
    # a class weight makes it the weighted mean: sum w_y l / sum w_y
    weights = np.array([1.0, 2.0, 1.0, 4.0])
    weighted = lb.SoftmaxCELoss(ignore_index=-1, class_weight=weights, reduction="mean")
    w = np.array([1.0, 2.0, 1.0, 4.0])
    np.testing.assert_allclose(weighted(logits, label), np.sum(w * per_token) / w.sum())


def test_nothing_counted_gives_nan_and_a_zero_gradient():
    loss = lb.SoftmaxCELoss(ignore_index=-1, reduction="mean")
    value, grad = loss.value_and_grad(np.zeros((2, 3)), np.array([-1, -1]))
    assert np.isnan(value) and np.array_equal(grad, np.zeros((2, 3)))
