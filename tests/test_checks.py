"""Every constructor argument and call option goes through one checker (lossbook.checks).

Generic over the registry: for each constructor parameter, by the kind of its default
(a number, a flag, a string option), the wrong kinds of value are refused with a message
naming the loss and the parameter, and numpy scalars are accepted. Then the call options,
sample_weight, and the messages that once printed the wrong thing.
"""
import inspect
import math

import numpy as np
import pytest

import lossbook as lb
from lossbook import checks, registry

from helpers import message_names


def _parameters():
    for record in registry.records():
        for name, param in inspect.signature(record.cls).parameters.items():
            yield pytest.param(record, name, param.default, id=f"{record.name}-{name}")


NUMBER_NOT = [True, "1", np.array([1.0]), [1.0], float("nan"), float("inf"), -float("inf")]
FLAG_NOT = ["False", 0, 1, None, np.array(True)]


@pytest.mark.parametrize("record,name,default", list(_parameters()))
def test_every_constructor_argument_is_checked(record, name, default):
    ok = dict(record.defaults)
    if name == "blank":
        bad_values = ["middle", 1.5, True, None]
    elif isinstance(default, (bool, np.bool_)):
        bad_values = FLAG_NOT
    elif isinstance(default, str):
        bad_values = ["no such option", 1, None]
    elif name == "class_weight":
        bad_values = [[1.0, float("nan")], [1.0, -1.0], [[1.0]], "a", [1.0, float("inf")]]
    elif name in ("weight", "alpha", "ignore_index") or isinstance(default, (int, float)):
        bad_values = NUMBER_NOT if name != "ignore_index" else NUMBER_NOT + [2.7]
    else:
        pytest.fail(f"{record.name}.{name}: no rule for a default of {default!r}")
    for value in bad_values:
        with pytest.raises((TypeError, ValueError)) as excinfo:
            record.cls(**{**ok, name: value})
        message_names(excinfo, f"{record.name}: {name}")


@pytest.mark.parametrize("record,name,default", list(_parameters()))
def test_numpy_scalars_are_accepted_as_python_numbers(record, name, default):
    if isinstance(default, (bool, str)) or default is None:
        numpy_value = np.bool_(default) if isinstance(default, bool) else None
        if numpy_value is None:
            return
    else:
        numpy_value = np.int64(default) if isinstance(default, int) else np.float64(default)
    loss = record.cls(**{name: numpy_value})
    value = getattr(loss, name)
    assert value == default and type(value) in (bool, int, float)


@pytest.mark.parametrize("make,words", [
    (lambda: lb.HuberLoss(rho=np.int64(2)), None),
    (lambda: lb.GaussianNLLLoss(eps=np.int64(1)), None),
    (lambda: lb.GaussianNLLLoss(eps=float("inf")), "GaussianNLLLoss: eps must be finite"),
    (lambda: lb.SigmoidFocalLoss(gamma=float("inf")), "SigmoidFocalLoss: gamma must be finite"),
    (lambda: lb.SigmoidFocalLoss(gamma="2"), "SigmoidFocalLoss: gamma must be a real number"),
    (lambda: lb.SigmoidFocalLoss(alpha=np.array([0.5])), "SigmoidFocalLoss: alpha must be a real"),
    (lambda: lb.SoftmaxCELoss(from_logits="False"), "SoftmaxCrossEntropyLoss: from_logits must be True or False"),
    (lambda: lb.SoftmaxCELoss(ignore_index=2.7), "SoftmaxCrossEntropyLoss: ignore_index must be an int"),
    (lambda: lb.SoftmaxCELoss(label_smoothing="a"), "SoftmaxCrossEntropyLoss: label_smoothing must be a real"),
    (lambda: lb.SoftmaxCELoss(class_weight=[1.0, float("nan")]), "SoftmaxCrossEntropyLoss: class_weight must not hold NaN"),
    (lambda: lb.SoftmaxCELoss(class_weight=[1.0, -2.0]), "SoftmaxCrossEntropyLoss: class_weight must lie in [0, inf)"),
    (lambda: lb.HingeLoss(margin=float("nan")), "HingeLoss: margin must be finite"),
    (lambda: lb.HingeLoss(margin="1"), "HingeLoss: margin must be a real number"),
    (lambda: lb.HingeLoss(margin=True), "HingeLoss: margin must be a real number"),
    (lambda: lb.L1Loss(weight=float("nan")), "L1Loss: weight must be finite"),
    (lambda: lb.L1Loss(weight=float("inf")), "L1Loss: weight must be finite"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_the_probe_cases(make, words):
    """The hyperparameters that issue 12's probe found unchecked or wrongly refused."""
    if words is None:
        make()
        return
    with pytest.raises((TypeError, ValueError), match=words.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[")):
        make()


def test_hyperparameters_are_read_only():
    loss = lb.HuberLoss(rho=2)
    with pytest.raises(AttributeError, match="HuberLoss.rho is read-only"):
        loss.rho = 3
    assert loss.rho == 2.0
    assert lb.SoftmaxCELoss(class_weight=[1.0, 2.0]).class_weight.flags.writeable is False


# --------------------------------------------------------------------------- call options
@pytest.mark.parametrize("epsilon,error", [(-1, ValueError), ("a", TypeError),
                                           (float("nan"), ValueError), (float("inf"), ValueError),
                                           (np.ones(2), TypeError)])
def test_poisson_epsilon_is_checked(epsilon, error):
    with pytest.raises(error) as excinfo:
        lb.PoissonNLLLoss(from_logits=False)([[1.0]], [[1.0]], epsilon=epsilon)
    message_names(excinfo, "PoissonNLLLoss: epsilon")
    np.testing.assert_allclose(lb.PoissonNLLLoss(from_logits=False)([[1.0]], [[1.0]],
                                                                     epsilon=np.float32(0.5)),
                               [1 - math.log(1.5)])


@pytest.mark.parametrize("pos_weight,words", [([[float("nan")]], "must not hold NaN"),
                                              ([[-1.0]], "must lie in [0, inf)"),
                                              ([[float("inf")]], "must lie in [0, inf)"),
                                              ("a", "must be an array of real numbers")])
def test_pos_weight_is_checked(pos_weight, words):
    with pytest.raises((TypeError, ValueError)) as excinfo:
        lb.SigmoidBCELoss()([[0.5]], [[1.0]], pos_weight=pos_weight)
    message_names(excinfo, "SigmoidBinaryCrossEntropyLoss: pos_weight", words)


# -------------------------------------------------------------------------- sample_weight
def test_a_batch_long_sample_weight_weighs_samples_whatever_the_other_axes():
    """Gluon broadcasts (3,) against (3, 3) along the columns: a silent wrong answer."""
    pred, label = np.arange(9.0).reshape(3, 3), np.zeros((3, 3))
    per_sample = 0.5 * np.mean(pred ** 2, axis=1)                 # [5/6, 25/3, 73/3]
    out = lb.L2Loss()(pred, label, np.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(out, [per_sample[0], 0.0, 0.0])
    # the same with 4 columns, where numpy would not broadcast at all
    pred4 = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(lb.L2Loss()(pred4, np.zeros((3, 4)), [2.0, 1.0, 0.0]),
                               [2, 1, 0] * (0.5 * np.mean(pred4 ** 2, axis=1)))
    # and along batch_axis=1: five samples in the columns
    pred5 = np.arange(15.0).reshape(3, 5)
    np.testing.assert_allclose(lb.L1Loss(batch_axis=1)(pred5, np.zeros((3, 5)), np.arange(5.0)),
                               np.arange(5.0) * np.mean(pred5, axis=0))
    # gradients follow: d/dpred of sum(w_i * mean_j 0.5 d^2) = w_i d / 3
    g = lb.L2Loss().grad(pred, label, np.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(g, [pred[0] / 3, np.zeros(3), np.zeros(3)])


def test_sample_weight_messages_show_the_shape_given():
    with pytest.raises(ValueError) as excinfo:
        lb.L2Loss()(np.zeros((2, 3)), np.zeros((2, 3)), np.ones((2, 3, 1, 2)))
    message_names(excinfo, "L2Loss: sample_weight of shape (2, 3, 1, 2)", "(2, 3)")
    with pytest.raises(ValueError) as excinfo:
        lb.L2Loss()(np.zeros((2, 3)), np.zeros((2, 3)), np.ones((2, 5, 1)))
    message_names(excinfo, "sample_weight of shape (2, 5, 1)")


# ------------------------------------------------------------------------------- messages
def test_a_huge_class_index_is_reported_as_itself():
    with pytest.raises(ValueError) as excinfo:
        lb.SoftmaxCELoss()(np.zeros((2, 3)), np.array([0.0, 1e20]))
    message_names(excinfo, "class index 1e+20 out of range [0, 3)")


def test_ranges_print_infinity_not_none():
    with pytest.raises(ValueError) as excinfo:
        lb.PoissonNLLLoss()([[0.0]], [[-1.0]])
    message_names(excinfo, "target must lie in [0, inf) (a Poisson count)")
    assert "None" not in str(excinfo.value)


@pytest.mark.parametrize("domain,text", [(checks.UNIT, "[0, 1]"), (checks.POSITIVE, "(0, inf)"),
                                         (checks.REALS, "(-inf, inf)"),
                                         (checks.Interval(0, 1, True, True), "(0, 1)"),
                                         (checks.SIGNS, "-1 or 1")])
def test_domains_print_as_mathematics(domain, text):
    assert str(domain) == text
