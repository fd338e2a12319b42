"""Generic suites over the registry: a loss is covered the moment it is registered.

Gradients against central differences (with and without sample_weight and out_grad, every
registered configuration, every supported batch axis), the Hessian's diagonal against
central differences of the gradient (the same cases, for every loss that has
``hess_diag``), the scaling by weight, dtypes and
shapes, NaN, one test per kind of bad input, the public signature and hyperparameters, and
the plot adapters' derivatives.
"""
import inspect
import zlib

import numpy as np
import pytest

import lossbook as lb
from lossbook import registry
from lossbook.gradcheck import check_grad, numerical_diagonal, numerical_grad

from samplers import SAMPLERS, sample

CASES = [pytest.param(r, c, id=f"{r.name}-c{i}")
         for r in registry.records() for i, c in enumerate(r.all_configs())]
RECORDS = [pytest.param(r, id=r.name) for r in registry.records()]


def _as_tuple(g):
    return g if isinstance(g, tuple) else (g,)


def _call_names(loss):
    return list(inspect.signature(loss).parameters)


def _grad_positions(loss):
    return [_call_names(loss).index(name) for name in loss.grad_inputs]


def test_every_registered_loss_has_a_sampler():
    assert set(registry.names()) <= set(SAMPLERS), sorted(set(registry.names()) - set(SAMPLERS))


# ------------------------------------------------------------------------------ gradients
def _gradient_cases():
    for record in registry.records():
        for i, config in enumerate(record.all_configs()):
            for batch_axis in record.batch_axes:
                for weighting in ("plain", "weighted"):
                    yield pytest.param(record, config, batch_axis, weighting,
                                       id=f"{record.name}-c{i}-b{batch_axis}-{weighting}")


@pytest.mark.parametrize("record,config,batch_axis,weighting", list(_gradient_cases()))
def test_gradient_matches_central_differences(record, config, batch_axis, weighting):
    rng = np.random.default_rng(zlib.crc32(f"{record.name}-{batch_axis}-{weighting}".encode()))
    loss = record.make(**config, **({"batch_axis": batch_axis} if batch_axis else {}))
    args, kwargs = sample(record, rng, config, batch_axis, np.float64)
    args = list(args)
    positions = _grad_positions(loss)
    call = dict(kwargs)
    out_grad = None
    if weighting == "weighted":
        per_element = loss.elementwise(*args, **kwargs)
        call["sample_weight"] = rng.uniform(0.5, 2.0, size=per_element.shape)
        out_grad = rng.normal(size=loss(*args, **kwargs).shape[0])
    head = np.ones(loss(*args, **call).shape[0]) if out_grad is None else out_grad

    def objective(*diff_inputs):
        full = list(args)
        for pos, value in zip(positions, diff_inputs):
            full[pos] = value
        return float(np.sum(head * loss(*full, **call)))

    value, grads = loss.value_and_grad(*args, out_grad=out_grad, **call)
    grads = _as_tuple(grads)
    assert len(grads) == len(loss.grad_inputs)
    for g, pos in zip(grads, positions):
        assert g.shape == np.shape(args[pos]) and g.dtype == np.float64
    np.testing.assert_array_equal(value, loss(*args, **call))
    check_grad(objective, [args[p] for p in positions], grads, names=list(loss.grad_inputs),
               rtol=1e-5, atol=1e-7)


def _hess_cases():
    for case in _gradient_cases():
        if case.values[0].has_hess_diag:
            yield case


@pytest.mark.parametrize("record,config,batch_axis,weighting", list(_hess_cases()))
def test_hess_diag_matches_central_differences_of_grad(record, config, batch_axis, weighting):
    """d(grad_i)/d(pred_i) by central differences, for each differentiable input, with the
    same sample_weight and out_grad as the gradient test."""
    rng = np.random.default_rng(zlib.crc32(f"{record.name}-{batch_axis}-{weighting}-h".encode()))
    loss = record.make(**config, **({"batch_axis": batch_axis} if batch_axis else {}))
    args, kwargs = sample(record, rng, config, batch_axis, np.float64)
    positions = _grad_positions(loss)
    call = dict(kwargs)
    out_grad = None
    if weighting == "weighted":
        call["sample_weight"] = rng.uniform(0.5, 2.0, size=loss.elementwise(*args, **kwargs).shape)
        out_grad = rng.normal(size=loss(*args, **kwargs).shape[0])

    value, grads, hess = loss.value_grad_hess_diag(*args, out_grad=out_grad, **call)
    np.testing.assert_array_equal(value, loss(*args, **call))
    alone = loss.grad(*args, out_grad=out_grad, **call)
    for g, g_alone in zip(_as_tuple(grads), _as_tuple(alone)):
        np.testing.assert_allclose(g, g_alone, rtol=1e-14, atol=1e-15)
    hess = _as_tuple(hess)
    assert len(hess) == len(positions)
    for k, (h, pos) in enumerate(zip(hess, positions)):
        assert h.shape == np.shape(args[pos]) and h.dtype == np.float64

        def grad_k(v, k=k, pos=pos):
            full = list(args)
            full[pos] = v
            return _as_tuple(loss.grad(*full, out_grad=out_grad, **call))[k]
        numeric = numerical_diagonal(grad_k, args[pos], eps=1e-5)
        np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-7,
                                   err_msg=f"{record.name} {config}: "
                                           f"hess_diag of {loss.grad_inputs[k]}")
    again = loss.hess_diag(*args, out_grad=out_grad, **call)
    for h, h_again in zip(hess, _as_tuple(again)):
        np.testing.assert_array_equal(h, h_again)


def test_the_registry_records_which_losses_have_hess_diag():
    """Every elementwise loss and the softmax cross-entropy have it; those without it say so."""
    have = {r.name for r in registry.records() if r.has_hess_diag}
    elementwise = {r.name for r in registry.records() if issubclass(r.cls, lb.ElementwiseLoss)}
    assert elementwise <= have
    assert {"SigmoidBinaryCrossEntropyLoss", "PoissonNLLLoss", "GaussianNLLLoss",
            "SoftmaxCrossEntropyLoss", "NLLLoss", "MulticlassHingeLoss", "BrierLoss"} <= have
    for record in registry.records():
        assert record.has_hess_diag == record.cls.has_hess_diag
        if not record.has_hess_diag:
            args, kwargs = sample(record, np.random.default_rng(1), {}, 0, np.float64)
            with pytest.raises(NotImplementedError, match=f"{record.name} has no hess_diag"):
                record.make().hess_diag(*args, **kwargs)


@pytest.mark.parametrize("record", RECORDS)
def test_weight_scales_value_and_gradient(record):
    """weight multiplies the value and the gradient; grad() equals value_and_grad()[1]."""
    args, kwargs = sample(record, np.random.default_rng(7), {}, 0, np.float64)
    plain, scaled = record.make(weight=1.0), record.make(weight=2.5)
    v1, g1 = plain.value_and_grad(*args, **kwargs)
    v2, g2 = scaled.value_and_grad(*args, **kwargs)
    g3 = scaled.grad(*args, **kwargs)
    np.testing.assert_allclose(v2, 2.5 * v1, rtol=1e-12)
    for a, b, c in zip(_as_tuple(g1), _as_tuple(g2), _as_tuple(g3)):
        np.testing.assert_allclose(b, 2.5 * a, rtol=1e-12)
        np.testing.assert_array_equal(b, c)


# ---------------------------------------------------------------------- dtypes and shapes
@pytest.mark.parametrize("record,config", CASES)
def test_float32_in_float32_out_and_shapes(record, config):
    args, kwargs = sample(record, np.random.default_rng(3), config, 0, np.float32)
    loss = record.make(**config)
    out, grads = loss.value_and_grad(*args, **kwargs)
    assert out.dtype == np.float32 and out.shape == (4,)
    for pos, g in zip(_grad_positions(loss), _as_tuple(grads)):
        assert g.dtype == np.float32 and g.shape == np.shape(args[pos])
        assert np.all(np.isfinite(g))
    assert np.all(np.isfinite(out))
    if record.has_hess_diag:
        for pos, h in zip(_grad_positions(loss), _as_tuple(loss.hess_diag(*args, **kwargs))):
            assert h.dtype == np.float32 and h.shape == np.shape(args[pos])
            assert np.all(np.isfinite(h))
    # float64 gives the same numbers to float32 precision
    args64, kwargs64 = sample(record, np.random.default_rng(3), config, 0, np.float64)
    np.testing.assert_allclose(out, loss(*args64, **kwargs64), rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("record", RECORDS)
def test_nan_in_gives_nan_out(record):
    args, kwargs = sample(record, np.random.default_rng(4), {}, 0, np.float64)
    loss = record.make()
    pos = _grad_positions(loss)[0]
    poisoned = list(args)
    value = np.array(args[pos], dtype=np.float64, copy=True)
    value[0] = np.nan                     # every element of the first sample
    poisoned[pos] = value
    out = loss(*poisoned, **kwargs)
    assert np.isnan(out[0]), f"{record.name}: NaN in {loss.grad_inputs[0]} was swallowed"
    if record.batch_coupled:            # the poisoned sample is every other one's negative
        assert np.all(np.isnan(out))
    else:
        assert np.all(np.isfinite(out[1:]))


def test_integer_pred_is_promoted_to_float64():
    out, g = lb.L1Loss().value_and_grad(np.array([[1, 2]]), np.array([[0, 0]]))
    assert out.dtype == np.float64 and g.dtype == np.float64


# ----------------------------------------------------------------------------- bad input
def _message_names(excinfo, *words):
    text = str(excinfo.value)
    for word in words:
        assert word in text, f"message {text!r} does not mention {word!r}"


@pytest.mark.parametrize("record", RECORDS)
def test_sizes_that_differ_are_an_error(record):
    args, kwargs = sample(record, np.random.default_rng(5), {}, 0, np.float64)
    shapes = [np.shape(a) for a in args]
    same = [i for i in range(1, len(args)) if shapes[i] == shapes[0]]
    # the first input with pred's shape, or else the label (e.g. sparse class indices)
    pos = same[0] if same else 1
    loss = record.make()
    bad = list(args)
    bad[pos] = np.concatenate([np.ravel(args[pos]), np.ravel(args[pos])[:1]])
    with pytest.raises(ValueError) as excinfo:
        loss(*bad, **kwargs)
    _message_names(excinfo, record.name, _call_names(loss)[pos], str(np.shape(bad[pos])))
    if same:
        _message_names(excinfo, str(shapes[0]))


@pytest.mark.parametrize("record", RECORDS)
def test_sample_weight_that_does_not_broadcast(record):
    args, kwargs = sample(record, np.random.default_rng(6), {}, 0, np.float64)
    loss = record.make()
    with pytest.raises(ValueError) as excinfo:
        loss(*args, sample_weight=np.ones((7, 11)), **kwargs)
    _message_names(excinfo, record.name, "sample_weight", "(7, 11)")


@pytest.mark.parametrize("record", RECORDS)
@pytest.mark.parametrize("junk", ["abc", None, [["a", "b"]]], ids=["string", "None", "strings"])
def test_strings_or_none_instead_of_arrays(record, junk):
    args, kwargs = sample(record, np.random.default_rng(7), {}, 0, np.float64)
    loss = record.make()
    pos = _grad_positions(loss)[0]
    bad = list(args)
    bad[pos] = junk
    with pytest.raises(TypeError) as excinfo:
        loss(*bad, **kwargs)
    _message_names(excinfo, record.name, _call_names(loss)[pos])


@pytest.mark.parametrize("record", RECORDS)
def test_batch_axis_out_of_range(record):
    if "batch_axis" not in inspect.signature(record.cls).parameters:
        pytest.skip(f"{record.name} derives its batch axis from its layout")
    args, kwargs = sample(record, np.random.default_rng(8), {}, 0, np.float64)
    with pytest.raises(ValueError) as excinfo:
        record.make(batch_axis=7)(*args, **kwargs)
    _message_names(excinfo, record.name, "batch_axis=7", str(np.shape(args[0])))


def test_out_grad_of_the_wrong_shape():
    with pytest.raises(ValueError) as excinfo:
        lb.L2Loss().grad(np.zeros((3, 2)), np.zeros((3, 2)), out_grad=np.ones(2))
    _message_names(excinfo, "L2Loss", "out_grad", "(2,)", "(3,)")


def test_call_arguments_are_checked():
    with pytest.raises(TypeError, match="L2Loss: unexpected argument 'lable'"):
        lb.L2Loss()(np.zeros(2), lable=np.zeros(2))
    with pytest.raises(TypeError, match="L2Loss: missing required argument 'label'"):
        lb.L2Loss()(np.zeros(2))
    with pytest.raises(TypeError, match="L2Loss takes at most 3 arguments"):
        lb.L2Loss()(np.zeros(2), np.zeros(2), None, None)
    with pytest.raises(TypeError, match="L2Loss: got two values for argument 'label'"):
        lb.L2Loss()(np.zeros(2), np.zeros(2), label=np.zeros(2))


# --------------------------------------------------------- signatures, hyperparameters
GLUON_SIGNATURES = {
    "SigmoidBinaryCrossEntropyLoss": "(pred, label, sample_weight=None, pos_weight=None)",
    "PoissonNLLLoss": "(pred, target, sample_weight=None, epsilon=1e-08)",
    "GaussianNLLLoss": "(pred, label, var, sample_weight=None)",
    "CTCLoss": "(pred, label, pred_lengths=None, label_lengths=None, sample_weight=None)",
    "TripletLoss": "(pred, positive, negative, sample_weight=None)",
    "TripletMarginLoss": "(pred, positive, negative, sample_weight=None)",
    "InfoNCELoss": "(input1, input2, sample_weight=None)",
    "NTXentLoss": "(input1, input2, sample_weight=None)",
    "GaussianKLLoss": "(mu, logvar, sample_weight=None)",
    "CosineEmbeddingLoss": "(input1, input2, label, sample_weight=None)",
    "MarginRankingLoss": "(input1, input2, label, sample_weight=None)",
    "ContrastiveLoss": "(input1, input2, label, sample_weight=None)",
}


@pytest.mark.parametrize("record", RECORDS)
def test_the_signature_is_gluons_and_visible(record):
    loss = record.make()
    expected = GLUON_SIGNATURES.get(record.name, "(pred, label, sample_weight=None)")
    assert str(inspect.signature(loss)) == expected
    assert str(inspect.signature(loss.value_and_grad)) == expected[:-1] + ", *, out_grad=None)"
    assert str(inspect.signature(loss.grad)) == expected[:-1] + ", *, out_grad=None)"
    for name in ("hess_diag", "value_grad_hess_diag"):
        assert str(inspect.signature(getattr(loss, name))) == expected[:-1] + ", *, out_grad=None)"
    assert "sample_weight" not in str(inspect.signature(loss.elementwise))


@pytest.mark.parametrize("record", RECORDS)
def test_hyperparameters_are_public_read_only_and_make_the_repr(record):
    loss = record.make()
    init = [p for p in inspect.signature(record.cls).parameters]
    assert list(loss.hyperparameters) == init and init[-1] == "reduction"
    # the repr is Gluon's: reduction is shown only when it is not 'none'
    assert repr(loss) == f"{record.name}(" + ", ".join(
        f"{name}={getattr(loss, name)!r}" for name in init[:-1]) + ")"
    assert repr(record.make(reduction="sum")) == repr(loss)[:-1] + ", reduction='sum')"
    for param in record.params:
        assert getattr(loss, param.name) == param.default
    name = init[0]
    with pytest.raises(AttributeError, match=f"{record.name}.{name} is read-only"):
        setattr(loss, name, getattr(loss, name))


def test_huber_rho_reads_back():
    assert lb.HuberLoss(rho=2).rho == 2.0 and lb.HuberLoss(rho=np.int64(2)).rho == 2.0


# ------------------------------------------------------------------------ the plot adapters
def _plot_cases():
    for record in registry.records():
        if record.plot_inputs is None:
            continue
        for i, config in enumerate(record.all_configs()):
            for label in record.plot_labels:
                yield pytest.param(record, config, label, id=f"{record.name}-c{i}-{label:g}")


@pytest.mark.parametrize("record,config,label", list(_plot_cases()))
def test_plot_derivative_is_with_respect_to_the_x_axis(record, config, label):
    """Every plotted slope is d(value)/dx of the drawn curve, by central differences.

    (NLLLoss's curve once showed the derivative with respect to the log-probability, -1,
    against the raw score on its x axis.)
    """
    low, high = record.plot_domain
    x = np.linspace(low, high, 23)[1:-1] + 0.0137              # off the kinks at round values
    loss = record.make(**config)
    for xi in x:
        args, kwargs, pick = record.plot_inputs(np.array([xi]), label, config)
        try:
            _, grad = loss.value_and_grad(*args, **kwargs)
        except ValueError:                                      # outside the loss's domain
            continue

        def curve(v):
            a, k, _ = record.plot_inputs(np.asarray(v).reshape(1), label, config)
            return float(loss(*a, **k)[0])
        numeric = numerical_grad(curve, np.array([xi]), eps=1e-6)[0]
        np.testing.assert_allclose(pick(grad)[0], numeric, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{record.name} {config} at x = {xi}")


def test_the_registry_calls_huber_a_winsorized_mean():
    """Huber's minimiser clips the far residuals (winsorizes); it does not drop them (trims)."""
    summary = registry.get("HuberLoss").summary
    assert "winsorized" in summary and "trimmed" not in summary
