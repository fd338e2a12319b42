"""The engine: blocks and threads give the results of one block of the whole batch, bit for bit.

The inputs are large enough to be cut into several blocks, with a short last block, so
that slicing of inputs, sample_weight, out_grad and the gradient across blocks is tested.
"""
import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import lossbook as lb
from lossbook import engine

LOSSES = [lb.L1Loss(), lb.L2Loss(weight=0.5), lb.HuberLoss(rho=0.7), lb.SigmoidBCELoss(),
          lb.LogisticLoss(label_format="binary"), lb.HingeLoss(), lb.SquaredHingeLoss(),
          lb.SigmoidFocalLoss(), lb.LogCoshLoss(), lb.QuantileLoss(0.3)]


def _inputs(loss, shape, dtype, rng):
    pred = rng.normal(scale=3.0, size=shape).astype(dtype)
    if isinstance(loss, (lb.HingeLoss, lb.SquaredHingeLoss)):
        label = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0).astype(dtype)
    elif isinstance(loss, (lb.SigmoidBCELoss, lb.LogisticLoss, lb.SigmoidFocalLoss,
                           lb.BrierLoss)):
        label = (rng.uniform(size=shape) < 0.5).astype(dtype)
    else:
        label = rng.normal(size=shape).astype(dtype)
    return pred, label


@pytest.fixture
def one_block(monkeypatch):
    """A function that runs a call with the whole batch as one block."""
    def run(call, *args, **kwargs):
        with monkeypatch.context() as patch:
            patch.setattr(engine, "BLOCK", 1 << 40)
            return call(*args, **kwargs)
    return run


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
@pytest.mark.parametrize("shape", [(1001, 97), (67, 31, 37)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocks_are_bit_identical_to_one_block(loss, shape, dtype, monkeypatch, one_block):
    monkeypatch.setattr(engine, "BLOCK", 4096)             # several blocks, a short last one
    rng = np.random.default_rng(7)
    pred, label = _inputs(loss, shape, dtype, rng)
    per_sample = (shape[0],) + (1,) * (len(shape) - 1)
    weights = [None, rng.uniform(size=per_sample), rng.uniform(size=shape[0]),
               rng.uniform(size=shape[1:]), rng.uniform(size=shape)]
    heads = [None, rng.normal(size=shape[0]), 2.5]
    for sample_weight in weights:
        for out_grad in heads:
            out, grad = loss.value_and_grad(pred, label, sample_weight, out_grad=out_grad)
            ref_out, ref_grad = one_block(loss.value_and_grad, pred, label, sample_weight,
                                          out_grad=out_grad)
            assert out.dtype == dtype and grad.dtype == dtype and grad.shape == shape
            np.testing.assert_array_equal(out, ref_out)
            np.testing.assert_array_equal(grad, ref_grad)
            np.testing.assert_array_equal(loss(pred, label, sample_weight), out)


SOFTMAX = [lb.SoftmaxCELoss(), lb.SoftmaxCELoss(weight=2.0, label_smoothing=0.1),
           lb.SoftmaxCELoss(class_weight=np.linspace(0.5, 2.0, 13)),
           lb.SoftmaxCELoss(ignore_index=3), lb.SoftmaxCELoss(sparse_label=False),
           lb.SoftmaxCELoss(from_logits=True), lb.NLLLoss(), lb.MulticlassHingeLoss()]


def _softmax_inputs(loss, rng, dtype):
    pred = rng.normal(scale=3.0, size=(1001, 13)).astype(dtype)
    if isinstance(loss, lb.NLLLoss):
        pred = pred - np.log(np.sum(np.exp(pred), axis=1, keepdims=True))
    label = rng.integers(0, 13, size=1001)
    if not getattr(loss, "sparse_label", True):
        label = rng.dirichlet(np.ones(13), size=1001).astype(dtype)
    return pred, label


@pytest.mark.parametrize("loss", SOFTMAX, ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_blocks_are_bit_identical_and_match_the_definition(loss, dtype, monkeypatch,
                                                                   one_block):
    monkeypatch.setattr(engine, "BLOCK", 1000)              # 76 rows a block, 14 blocks
    rng = np.random.default_rng(3)
    pred, label = _softmax_inputs(loss, rng, dtype)
    for sample_weight in [None, rng.uniform(size=(1001, 1))]:
        for out_grad in [None, rng.normal(size=1001)]:
            out, grad = loss.value_and_grad(pred, label, sample_weight, out_grad=out_grad)
            ref_out, ref_grad = one_block(loss.value_and_grad, pred, label, sample_weight,
                                          out_grad=out_grad)
            assert out.dtype == dtype and grad.dtype == dtype and grad.shape == pred.shape
            np.testing.assert_array_equal(out, ref_out)
            np.testing.assert_array_equal(grad, ref_grad)
    if type(loss) is not lb.SoftmaxCELoss or not loss.sparse_label or loss.from_logits:
        return
    # against the per-sample definition, one-hot built by hand
    log_p = pred - np.log(np.sum(np.exp(pred.astype(np.float64)), axis=1, keepdims=True))
    eps = loss.label_smoothing
    target = np.eye(13)[label] * (1 - eps) + eps / 13
    if loss.class_weight is not None:
        target = target * loss.class_weight
    per = -np.sum(target * log_p, axis=1)
    if loss.ignore_index is not None:
        per[label == loss.ignore_index] = 0
    expected = per * (1.0 if loss.weight is None else loss.weight)
    np.testing.assert_allclose(loss(pred, label), expected,
                               rtol=2e-5 if dtype == np.float32 else 1e-10, atol=1e-6)


def test_another_batch_axis_is_one_block():
    loss = lb.L2Loss(batch_axis=1)
    rng = np.random.default_rng(0)
    pred, label = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    out, grad = loss.value_and_grad(pred, label)
    np.testing.assert_allclose(out, 0.5 * np.mean((pred - label) ** 2, axis=0))
    np.testing.assert_allclose(grad, (pred - label) / 3)


def test_empty_batch():
    out, grad = lb.L1Loss().value_and_grad(np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32))
    assert out.shape == (0,) and grad.shape == (0, 4) and grad.dtype == np.float32


class _Cube(lb.ElementwiseLoss):
    """A loss written with public names only: the engine runs it in blocks."""

    def value_and_derivative(self, pred, label):
        diff = pred - label
        return diff ** 3 / 3, diff ** 2


def test_a_new_elementwise_loss_runs_in_blocks(monkeypatch):
    monkeypatch.setattr(engine, "BLOCK", 64)
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
    monkeypatch.setattr(engine, "BLOCK", 1000)              # many blocks, a short last one
    rng = np.random.default_rng(11)
    if loss in SOFTMAX:
        pred, label = _softmax_inputs(loss, rng, np.float32)
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
    monkeypatch.setattr(engine, "BLOCK", 100)               # 10 rows of 10 per block
    seen = []

    class Recording(lb.ElementwiseLoss):
        def value_and_derivative(self, pred, label):
            seen.append(threading.current_thread().name)
            return pred - label, np.ones_like(pred)

    lb.set_num_threads(3)
    Recording().value_and_grad(np.zeros((95, 10)), np.ones((95, 10)))
    # ten blocks: the caller's range (the first) on this thread, the others on workers
    assert len(seen) == 10 and seen.count("MainThread") == 3 and len(set(seen)) >= 2
    seen.clear()
    Recording().value_and_grad(np.zeros((5, 10)), np.ones((5, 10)))
    assert seen == ["MainThread"]                           # one block: no threads


def test_an_error_in_a_worker_thread_reaches_the_caller(threads, monkeypatch):
    monkeypatch.setattr(engine, "BLOCK", 100)
    lb.set_num_threads(2)

    class Failing(lb.ElementwiseLoss):
        def value_and_derivative(self, pred, label):
            if pred.shape[0] and pred[0, 0] > 50:           # only in the second half
                raise RuntimeError("kernel failed")
            return pred - label, np.ones_like(pred)

    rows = np.repeat(np.arange(100.0)[:, None], 10, axis=1)
    with pytest.raises(RuntimeError, match="kernel failed"):
        Failing().value_and_grad(rows, rows)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_threads_honour_np_errstate_like_one_thread(n, threads, monkeypatch):
    """Every thread runs with the caller's floating-point settings: raise, ignore, warn."""
    monkeypatch.setattr(engine, "BLOCK", 1000)
    lb.set_num_threads(n)
    pred = np.full((400, 10), 10.0)
    pred[-1, -1] = 1e300                                    # in the last block: a worker's
    loss = lb.PoissonNLLLoss()                              # exp(1e300) overflows
    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError, match="overflow"):
            loss.value_and_grad(pred, np.ones_like(pred))
    with np.errstate(over="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        out, _ = loss.value_and_grad(pred, np.ones_like(pred))
    assert out[-1] == np.inf


def test_set_num_threads_is_safe_while_another_thread_computes(threads, monkeypatch):
    monkeypatch.setattr(engine, "BLOCK", 1000)
    rng = np.random.default_rng(2)
    pred, label = rng.normal(size=(2000, 50)), rng.normal(size=(2000, 50))
    expected = lb.HuberLoss().value_and_grad(pred, label)
    errors, results = [], []

    def work():
        try:
            for _ in range(30):
                results.append(lb.HuberLoss().value_and_grad(pred, label))
        except Exception as exc:                            # pragma: no cover - the bug
            errors.append(exc)

    lb.set_num_threads(2)
    worker = threading.Thread(target=work)
    worker.start()
    for k in range(200):
        lb.set_num_threads(1 + k % 4)
    worker.join()
    assert not errors, errors
    for out, grad in results:
        assert np.array_equal(out, expected[0]) and np.array_equal(grad, expected[1])


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_bad_values(bad, threads):
    with pytest.raises(ValueError, match="set_num_threads"):
        lb.set_num_threads(bad)


@pytest.mark.parametrize("value, expected", [("3", 3), ("1", 1), ("0", None), ("two", None)])
def test_the_environment_sets_the_default_number_of_threads(value, expected):
    code = "import lossbook; print(lossbook.get_num_threads())"
    env = {**os.environ, "LOSSBOOK_NUM_THREADS": value}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if expected is None:
        assert result.returncode != 0 and "LOSSBOOK_NUM_THREADS must be a positive int" in result.stderr
    else:
        assert result.returncode == 0 and result.stdout.strip() == str(expected)


# ------------------------------------------------------------------ the Hessian's diagonal
CURVED = LOSSES + SOFTMAX + [lb.BrierLoss(), lb.BrierLoss(link="softmax")]


@pytest.mark.parametrize("loss", CURVED, ids=repr)
def test_hess_diag_in_blocks_and_threads_is_bit_identical(loss, threads, monkeypatch,
                                                          one_block):
    """hess_diag runs through the same blocks and threads as grad; its gradient is grad's."""
    monkeypatch.setattr(engine, "BLOCK", 1000)              # many blocks, a short last one
    rng = np.random.default_rng(5)
    if loss in SOFTMAX or getattr(loss, "link", None) == "softmax":
        pred, label = _softmax_inputs(loss, rng, np.float32)
    else:
        pred, label = _inputs(loss, (1001, 17), np.float32, rng)
    sample_weight, out_grad = rng.uniform(size=(1001, 1)), rng.normal(size=1001)
    lb.set_num_threads(1)
    out, grad, hess = one_block(loss.value_grad_hess_diag, pred, label, sample_weight,
                                out_grad=out_grad)
    assert hess.dtype == np.float32 and hess.shape == pred.shape
    np.testing.assert_array_equal(grad, loss.grad(pred, label, sample_weight,
                                                  out_grad=out_grad))
    for n in (1, 3):
        lb.set_num_threads(n)
        out_n, grad_n, hess_n = loss.value_grad_hess_diag(pred, label, sample_weight,
                                                          out_grad=out_grad)
        for a, b in ((out, out_n), (grad, grad_n), (hess, hess_n)):
            np.testing.assert_array_equal(a, b)
