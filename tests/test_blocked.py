"""The blocked fast path (Loss._run_fused) gives the results of the generic path.

The inputs are large enough to be cut into several blocks, with a short last block, so
that slicing of inputs, sample_weight, out_grad and the gradient across blocks is tested.
"""
import numpy as np
import pytest

import lossbook as lb
from lossbook import _base

LOSSES = [lb.L1Loss(), lb.L2Loss(weight=0.5), lb.HuberLoss(rho=0.7), lb.SigmoidBCELoss(),
          lb.LogisticLoss(label_format="binary"), lb.HingeLoss(), lb.SquaredHingeLoss(),
          lb.SigmoidFocalLoss()]


def _inputs(loss, shape, dtype, rng):
    pred = rng.normal(scale=3.0, size=shape).astype(dtype)
    if isinstance(loss, (lb.HingeLoss, lb.SquaredHingeLoss)):
        label = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0).astype(dtype)
    elif isinstance(loss, (lb.SigmoidBCELoss, lb.LogisticLoss, lb.SigmoidFocalLoss)):
        label = (rng.uniform(size=shape) < 0.5).astype(dtype)
    else:
        label = rng.normal(size=shape).astype(dtype)
    return pred, label


def _generic(loss, *args, **kwargs):
    """value_and_grad with the fast path switched off for this call."""
    loss._fused = lambda **bound: None
    try:
        return loss.value_and_grad(*args, **kwargs)
    finally:
        del loss._fused


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
@pytest.mark.parametrize("shape", [(1001, 97), (67, 31, 37)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_path_matches_generic_path(loss, shape, dtype, monkeypatch):
    monkeypatch.setattr(_base, "BLOCK", 4096)             # several blocks, a short last one
    rng = np.random.default_rng(7)
    pred, label = _inputs(loss, shape, dtype, rng)
    per_sample = (shape[0],) + (1,) * (len(shape) - 1)
    weights = [None, rng.uniform(size=per_sample), rng.uniform(size=shape[1:]),
               rng.uniform(size=shape)]
    heads = [None, rng.normal(size=shape[0]), 2.5]
    for sample_weight in weights:
        for out_grad in heads:
            out, grad = loss.value_and_grad(pred, label, sample_weight, out_grad=out_grad)
            ref_out, ref_grad = _generic(loss, pred, label, sample_weight, out_grad=out_grad)
            assert out.dtype == ref_out.dtype == dtype and grad.dtype == dtype
            assert out.shape == ref_out.shape and grad.shape == ref_grad.shape == shape
            tol = 1e-6 if dtype == np.float32 else 1e-13
            np.testing.assert_allclose(out, ref_out, rtol=tol, atol=tol)
            np.testing.assert_allclose(grad, ref_grad, rtol=tol, atol=tol)
            np.testing.assert_allclose(loss(pred, label, sample_weight), out, rtol=tol, atol=tol)


def test_fused_path_is_not_used_for_another_batch_axis():
    loss = lb.L2Loss(batch_axis=1)
    rng = np.random.default_rng(0)
    pred, label = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    out, grad = loss.value_and_grad(pred, label)
    np.testing.assert_allclose(out, 0.5 * np.mean((pred - label) ** 2, axis=0))
    np.testing.assert_allclose(grad, (pred - label) / 3)


def test_fused_path_empty_batch():
    out, grad = lb.L1Loss().value_and_grad(np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32))
    assert out.shape == (0,) and grad.shape == (0, 4) and grad.dtype == np.float32


SOFTMAX = [lb.SoftmaxCELoss(), lb.SoftmaxCELoss(weight=2.0, label_smoothing=0.1),
           lb.SoftmaxCELoss(class_weight=np.linspace(0.5, 2.0, 13)),
           lb.SoftmaxCELoss(ignore_index=3), lb.SoftmaxCELoss(sparse_label=False),
           lb.SoftmaxCELoss(from_logits=True), lb.NLLLoss(), lb.MulticlassHingeLoss()]


@pytest.mark.parametrize("loss", SOFTMAX, ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_softmax_matches_generic_path(loss, dtype, monkeypatch):
    monkeypatch.setattr(_base, "BLOCK", 1000)              # 76 rows a block, 14 blocks
    rng = np.random.default_rng(3)
    pred = rng.normal(scale=3.0, size=(1001, 13)).astype(dtype)
    if isinstance(loss, lb.NLLLoss):
        pred = pred - np.log(np.sum(np.exp(pred), axis=1, keepdims=True))
    label = rng.integers(0, 13, size=1001)
    if not loss._sparse_label:
        label = rng.dirichlet(np.ones(13), size=1001).astype(dtype)
    for sample_weight in [None, rng.uniform(size=(1001, 1))]:
        for out_grad in [None, rng.normal(size=1001)]:
            out, grad = loss.value_and_grad(pred, label, sample_weight, out_grad=out_grad)
            ref_out, ref_grad = _generic(loss, pred, label, sample_weight, out_grad=out_grad)
            assert out.dtype == dtype and grad.dtype == dtype and grad.shape == pred.shape
            tol = 1e-6 if dtype == np.float32 else 1e-13
            np.testing.assert_allclose(out, ref_out, rtol=tol, atol=tol)
            np.testing.assert_allclose(grad, ref_grad, rtol=tol, atol=tol)
            # and both against the per-sample definition
            if loss._sparse_label and type(loss) is lb.SoftmaxCELoss and not loss._from_logits:
                log_p = pred - np.log(np.sum(np.exp(pred.astype(np.float64)), axis=1,
                                             keepdims=True))
                w = loss._class_weight
                eps = loss._smoothing
                target = np.eye(13)[label] * (1 - eps) + eps / 13
                if w is not None:
                    target = target * w
                per = -np.sum(target * log_p, axis=1)
                if loss._ignore_index is not None:
                    per[label == loss._ignore_index] = 0
                sw = 1.0 if sample_weight is None else sample_weight[:, 0]
                expected = per * sw * (1.0 if loss.weight is None else loss.weight)
                np.testing.assert_allclose(out, expected, rtol=2e-5 if dtype == np.float32
                                           else 1e-10, atol=1e-6)


class _Cube(_base.ElementwiseLoss):
    """A kernel in the older form, without scratch arrays: the blocked path still takes it."""

    def _kernel(self, pred, label):
        diff = pred - label
        return diff ** 3 / 3, diff ** 2


def test_fused_path_takes_a_kernel_without_scratch_arrays(monkeypatch):
    monkeypatch.setattr(_base, "BLOCK", 64)
    rng = np.random.default_rng(1)
    pred, label = rng.normal(size=(50, 7)), rng.normal(size=(50, 7))
    out, grad = _Cube().value_and_grad(pred, label)
    np.testing.assert_allclose(out, np.mean((pred - label) ** 3 / 3, axis=1), rtol=1e-12)
    np.testing.assert_allclose(grad, (pred - label) ** 2 / 7, rtol=1e-12)


# ------------------------------------------------------------------------------- threads

@pytest.fixture
def threads():
    """Restore lossbook's number of threads after the test."""
    old = lb.get_num_threads()
    yield
    lb.set_num_threads(old)


@pytest.mark.parametrize("loss", LOSSES[:4] + SOFTMAX[:5], ids=repr)
def test_threads_give_bit_identical_results(loss, threads, monkeypatch):
    monkeypatch.setattr(_base, "BLOCK", 1000)              # many blocks, a short last one
    rng = np.random.default_rng(11)
    if loss in SOFTMAX:
        pred = rng.normal(scale=3.0, size=(1001, 13)).astype(np.float32)
        label = (rng.dirichlet(np.ones(13), size=1001).astype(np.float32)
                 if not loss._sparse_label else rng.integers(0, 13, size=1001))
    else:
        pred, label = _inputs(loss, (1001, 17), np.float32, rng)
    calls = [((), {}), ((rng.uniform(size=(1001, 1)),), {"out_grad": rng.normal(size=1001)})]
    lb.set_num_threads(1)
    expected = [loss.value_and_grad(pred, label, *args, **kwargs) for args, kwargs in calls]
    for n in (2, 3, 7):
        lb.set_num_threads(n)
        for (args, kwargs), (out_1, grad_1) in zip(calls, expected):
            out_n, grad_n = loss.value_and_grad(pred, label, *args, **kwargs)
            assert np.array_equal(out_n, out_1) and np.array_equal(grad_n, grad_1), n


def test_threads_split_the_rows_among_them(threads, monkeypatch):
    monkeypatch.setattr(_base, "BLOCK", 100)               # 10 rows of 10 per block
    seen = []
    original = _base.Workspace.__init__

    def record(self, *args):
        import threading
        seen.append(threading.current_thread().name)
        original(self, *args)

    monkeypatch.setattr(_base.Workspace, "__init__", record)
    lb.set_num_threads(3)
    lb.L1Loss().value_and_grad(np.zeros((95, 10)), np.ones((95, 10)))
    assert len(seen) == 3 and "MainThread" in seen        # three ranges, one on the caller's thread
    seen.clear()
    lb.L1Loss().value_and_grad(np.zeros((5, 10)), np.ones((5, 10)))
    assert len(seen) == 1                                  # one block: no threads


def test_an_error_in_a_worker_thread_reaches_the_caller(threads, monkeypatch):
    monkeypatch.setattr(_base, "BLOCK", 100)
    lb.set_num_threads(2)

    class Failing(_base.ElementwiseLoss):
        def _kernel(self, pred, label):
            if pred.shape[0] and pred[0, 0] > 50:           # only in the second half
                raise RuntimeError("kernel failed")
            return pred - label, np.ones_like(pred)

    rows = np.repeat(np.arange(100.0)[:, None], 10, axis=1)
    with pytest.raises(RuntimeError, match="kernel failed"):
        Failing().value_and_grad(rows, rows)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_bad_values(bad, threads):
    with pytest.raises(ValueError, match="set_num_threads"):
        lb.set_num_threads(bad)


@pytest.mark.parametrize("value, expected", [("3", 3), ("1", 1), ("0", None), ("two", None)])
def test_the_environment_sets_the_default_number_of_threads(value, expected, monkeypatch):
    monkeypatch.setenv("LOSSBOOK_NUM_THREADS", value)
    if expected is None:
        with pytest.raises(ValueError, match="LOSSBOOK_NUM_THREADS"):
            _base._threads_from_env()
    else:
        assert _base._threads_from_env() == expected
