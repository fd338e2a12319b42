"""Generic API checks over the whole registry: dtypes, shapes, NaN, and one test per kind of bad input."""
import inspect

import numpy as np
import pytest

import lossbook as lb
from lossbook import registry

CASES = [pytest.param(r, c, id=f"{r.name}-c{i}")
         for r in registry.records() for i, c in enumerate(r.all_configs())]
RECORDS = [pytest.param(r, id=r.name) for r in registry.records()]


def _as_tuple(g):
    return g if isinstance(g, tuple) else (g,)


def _grad_positions(loss):
    return [loss._signature.index(name) for name in loss._grad_args]


@pytest.mark.parametrize("record,config", CASES)
def test_float32_in_float32_out_and_shapes(record, config):
    rng = np.random.default_rng(3)
    args, kwargs = record.sample(rng, config, 0, np.float32)
    loss = record.make(**config)
    out, grads = loss.value_and_grad(*args, **kwargs)
    batch = np.shape(args[0])[0] if loss.batch_axis == 0 else None
    assert out.dtype == np.float32 and out.ndim == 1
    if batch is not None and record.family != "sequence":
        assert out.shape == (batch,)
    for pos, g in zip(_grad_positions(loss), _as_tuple(grads)):
        assert g.dtype == np.float32 and g.shape == np.shape(args[pos])
        assert np.all(np.isfinite(g))
    assert np.all(np.isfinite(out))
    # float64 gives the same numbers to float32 precision
    args64, kwargs64 = record.sample(np.random.default_rng(3), config, 0, np.float64)
    np.testing.assert_allclose(out, loss(*args64, **kwargs64), rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("record", RECORDS)
def test_nan_in_gives_nan_out(record):
    args, kwargs = record.sample(np.random.default_rng(4), record.defaults, 0, np.float64)
    loss = record.make()
    pos = _grad_positions(loss)[0]
    poisoned = list(args)
    value = np.array(args[pos], dtype=np.float64, copy=True)
    value[0] = np.nan                     # every element of the first sample
    poisoned[pos] = value
    out = loss(*poisoned, **kwargs)
    assert np.isnan(out[0]), f"{record.name}: NaN in {loss._grad_args[0]} was swallowed"
    assert np.all(np.isfinite(out[1:]))


def test_integer_pred_is_promoted_to_float64():
    out, g = lb.L1Loss().value_and_grad(np.array([[1, 2]]), np.array([[0, 0]]))
    assert out.dtype == np.float64 and g.dtype == np.float64


# ----------------------------------------------------------------------- bad input
def _message_names(excinfo, *words):
    text = str(excinfo.value)
    for word in words:
        assert word in text, f"message {text!r} does not mention {word!r}"


@pytest.mark.parametrize("record", RECORDS)
def test_sizes_that_differ_are_an_error(record):
    args, kwargs = record.sample(np.random.default_rng(5), record.defaults, 0, np.float64)
    shapes = [np.shape(a) for a in args]
    same = [i for i in range(1, len(args)) if shapes[i] == shapes[0]]
    # the first input with pred's shape, or else the label (e.g. sparse class indices)
    pos = same[0] if same else 1
    loss = record.make()
    bad = list(args)
    bad[pos] = np.concatenate([np.ravel(args[pos]), np.ravel(args[pos])[:1]])
    with pytest.raises(ValueError) as excinfo:
        loss(*bad, **kwargs)
    _message_names(excinfo, record.name, loss._signature[pos], str(np.shape(bad[pos])))
    if same:
        _message_names(excinfo, str(shapes[0]))


@pytest.mark.parametrize("record", RECORDS)
def test_sample_weight_that_does_not_broadcast(record):
    args, kwargs = record.sample(np.random.default_rng(6), record.defaults, 0, np.float64)
    loss = record.make()
    with pytest.raises(ValueError) as excinfo:
        loss(*args, sample_weight=np.ones((7, 11)), **kwargs)
    _message_names(excinfo, record.name, "sample_weight", "(7, 11)")


@pytest.mark.parametrize("record", RECORDS)
@pytest.mark.parametrize("junk", ["abc", None, [["a", "b"]]], ids=["string", "None", "strings"])
def test_strings_or_none_instead_of_arrays(record, junk):
    args, kwargs = record.sample(np.random.default_rng(7), record.defaults, 0, np.float64)
    loss = record.make()
    pos = _grad_positions(loss)[0]
    bad = list(args)
    bad[pos] = junk
    with pytest.raises(TypeError) as excinfo:
        loss(*bad, **kwargs)
    _message_names(excinfo, record.name, loss._signature[pos])


@pytest.mark.parametrize("record", RECORDS)
def test_batch_axis_out_of_range(record):
    if "batch_axis" not in inspect.signature(record.cls).parameters:
        pytest.skip(f"{record.name} derives its batch axis from its layout")
    args, kwargs = record.sample(np.random.default_rng(8), record.defaults, 0, np.float64)
    with pytest.raises(ValueError) as excinfo:
        record.make(batch_axis=7)(*args, **kwargs)
    _message_names(excinfo, record.name, "batch_axis=7", str(np.shape(args[0])))


@pytest.mark.parametrize("cls", [lb.SoftmaxCrossEntropyLoss, lb.NLLLoss, lb.MulticlassHingeLoss])
def test_class_index_out_of_range(cls):
    pred = np.log(np.full((2, 3), 1 / 3))
    for label in ([0, 3], [-1, 0]):
        with pytest.raises(ValueError) as excinfo:
            cls()(pred, np.array(label))
        _message_names(excinfo, cls.__name__, "label", "out of range", "(2,)", "3 classes")
    with pytest.raises(ValueError) as excinfo:
        cls()(pred, np.array([0.5, 1.0]))
    _message_names(excinfo, cls.__name__, "label", "integer-valued")


def test_axis_out_of_range():
    with pytest.raises(ValueError) as excinfo:
        lb.SoftmaxCrossEntropyLoss(axis=2)(np.zeros((2, 3)), np.array([0, 1]))
    _message_names(excinfo, "SoftmaxCrossEntropyLoss", "axis=2", "(2, 3)")
    with pytest.raises(ValueError) as excinfo:
        lb.SoftmaxCrossEntropyLoss(axis=0)(np.zeros((2, 3)), np.array([0, 1, 2]))
    _message_names(excinfo, "axis=0", "batch_axis=0")


def test_unknown_label_format():
    with pytest.raises(ValueError) as excinfo:
        lb.LogisticLoss(label_format="plusminus")
    _message_names(excinfo, "LogisticLoss", "label_format", "plusminus")


@pytest.mark.parametrize("loss,pred,label,arg", [
    (lb.HingeLoss(), [[0.5]], [[0.0]], "label"),
    (lb.SquaredHingeLoss(), [[0.5]], [[2.0]], "label"),
    (lb.SigmoidBCELoss(), [[0.5]], [[1.5]], "label"),
    (lb.SigmoidBCELoss(from_sigmoid=True), [[1.5]], [[1.0]], "pred"),
    (lb.LogisticLoss(), [[0.5]], [[-2.0]], "label"),
    (lb.LogisticLoss(label_format="binary"), [[0.5]], [[-1.0]], "label"),
    (lb.PoissonNLLLoss(), [[0.5]], [[-1.0]], "target"),
    (lb.PoissonNLLLoss(from_logits=False), [[-0.5]], [[1.0]], "pred"),
    (lb.SoftmaxCrossEntropyLoss(sparse_label=False), [[0.5, 0.5]], [[1.5, -0.5]], "label"),
], ids=lambda v: type(v).__name__ if isinstance(v, lb.Loss) else None)
def test_label_outside_the_domain(loss, pred, label, arg):
    with pytest.raises(ValueError) as excinfo:
        loss(np.array(pred), np.array(label))
    _message_names(excinfo, type(loss).__name__, arg, "(1, ")


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="HuberLoss: rho"):
        lb.HuberLoss(rho=0)
    with pytest.raises(TypeError, match="L1Loss: weight"):
        lb.L1Loss(weight="2")
    with pytest.raises(TypeError, match="L1Loss: batch_axis"):
        lb.L1Loss(batch_axis=0.5)
    with pytest.raises(ValueError, match="SigmoidFocalLoss: gamma"):
        lb.SigmoidFocalLoss(gamma=-1)
    with pytest.raises(ValueError, match="MulticlassHingeLoss: formulation"):
        lb.MulticlassHingeLoss(formulation="ovr")


def test_out_grad_of_the_wrong_shape():
    with pytest.raises(ValueError) as excinfo:
        lb.L2Loss().grad(np.zeros((3, 2)), np.zeros((3, 2)), out_grad=np.ones(2))
    _message_names(excinfo, "L2Loss", "out_grad", "(2,)", "(3,)")


def test_call_arguments_are_checked():
    with pytest.raises(TypeError, match="L2Loss: unexpected argument 'lable'"):
        lb.L2Loss()(np.zeros(2), lable=np.zeros(2))
    with pytest.raises(TypeError, match="L2Loss: missing required argument 'label'"):
        lb.L2Loss()(np.zeros(2))
