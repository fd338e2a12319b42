"""Properties of every registered loss, with inputs drawn by hypothesis.

Every loss, both dtypes, random shapes and random hyperparameters within the registry's
ranges (``Param.low``/``high``/``choices``); the inputs come from ``tests/samplers.py``
(valid, away from kinks) with a seed hypothesis draws. The number of examples is fixed
by the hypothesis profile (``tests/conftest.py``): ``make test`` runs the small
deterministic ``lossbook`` profile; ``HYPOTHESIS_PROFILE=deep`` runs a long random one.
"""
import inspect
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lossbook as lb
from lossbook import engine, registry
from lossbook.gradcheck import check_grad

from samplers import sample

# Each property runs for every registered loss (the profile's examples per loss), so a
# new loss is covered the moment it is registered.
EVERY_LOSS = pytest.mark.parametrize("name", registry.names())


@st.composite
def cases(draw, name, dtypes=(np.float32, np.float64), batch_axes=None):
    """(record, config, batch_axis, dtype, args, kwargs): random inputs for loss ``name``."""
    record = registry.get(name)
    config = {}
    for param in record.params:
        if param.choices is not None:
            config[param.name] = draw(st.sampled_from(param.choices))
        elif param.low is not None:
            config[param.name] = draw(st.floats(param.low, param.high))
    batch_axis = draw(st.sampled_from(record.batch_axes if batch_axes is None else
                                      [a for a in record.batch_axes if a in batch_axes]))
    dtype = draw(st.sampled_from(dtypes))
    batch, width = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    args, kwargs = sample(record, np.random.default_rng(seed), config, batch_axis, dtype,
                          batch=batch, width=width)
    return record, config, batch_axis, dtype, list(args), kwargs


def _make(record, config, batch_axis, **more):
    keyword = {"batch_axis": batch_axis} if batch_axis else {}
    return record.make(**config, **keyword, **more)


def _grads(g):
    return g if isinstance(g, tuple) else (g,)


def _positions(loss):
    names = list(inspect.signature(loss).parameters)
    return [names.index(name) for name in loss.grad_inputs]


@EVERY_LOSS
@given(st.data())
def test_finite_inputs_give_finite_outputs_of_the_input_dtype(name, data):
    case = data.draw(cases(name))
    record, config, batch_axis, dtype, args, kwargs = case
    loss = _make(record, config, batch_axis)
    out, grads = loss.value_and_grad(*args, **kwargs)
    assert out.dtype == dtype and np.all(np.isfinite(out))
    for g, pos in zip(_grads(grads), _positions(loss)):
        assert g.dtype == dtype and g.shape == np.shape(args[pos]) and np.all(np.isfinite(g))


@EVERY_LOSS
@given(st.data())
def test_the_loss_is_nonnegative_and_zero_at_the_target(name, data):
    case = data.draw(cases(name, dtypes=(np.float64,)))
    record, config, batch_axis, dtype, args, kwargs = case
    loss = _make(record, config, batch_axis)
    if record.nonnegative:
        assert np.all(loss(*args, **kwargs) >= 0)
    if record.zero_at_target:
        label = args[1]
        np.testing.assert_array_equal(loss(label, label, **kwargs), 0.0)


@EVERY_LOSS
@given(st.data(), st.booleans())
def test_the_gradient_matches_central_differences(name, data, weighted):
    case = data.draw(cases(name, dtypes=(np.float64,)))
    record, config, batch_axis, dtype, args, kwargs = case
    loss = _make(record, config, batch_axis)
    positions = _positions(loss)
    call = dict(kwargs)
    rng = np.random.default_rng(len(args[0]))
    batch = loss(*args, **kwargs).shape[0]
    head = rng.normal(size=batch) if weighted else None
    if weighted:
        call["sample_weight"] = rng.uniform(0.5, 2.0, size=batch)

    def objective(*inputs):
        full = list(args)
        for pos, value in zip(positions, inputs):
            full[pos] = value
        out = loss(*full, **call)
        return float(np.sum(out if head is None else head * out))

    grads = _grads(loss.grad(*args, out_grad=head, **call))
    check_grad(objective, [args[p] for p in positions], grads, names=list(loss.grad_inputs),
               rtol=1e-5, atol=1e-7)


@EVERY_LOSS
@given(st.data())
def test_inputs_are_never_modified(name, data):
    case = data.draw(cases(name))
    record, config, batch_axis, dtype, args, kwargs = case
    loss = _make(record, config, batch_axis)
    batch = loss(*args, **kwargs).shape[0]
    weights, head = np.linspace(0.5, 1.5, batch), np.linspace(-1.0, 1.0, batch)
    before = [np.array(a, copy=True) for a in args] + [weights.copy(), head.copy()]
    before_kwargs = {k: np.array(v, copy=True) for k, v in kwargs.items()}
    loss.value_and_grad(*args, sample_weight=weights, out_grad=head, **kwargs)
    loss.elementwise(*args, **kwargs)
    for a, b in zip(args + [weights, head], before):
        np.testing.assert_array_equal(a, b)
    for key, value in kwargs.items():
        np.testing.assert_array_equal(value, before_kwargs[key])


@contextmanager
def _blocks_of(elements, threads):
    old_block, old_threads = engine.BLOCK, lb.set_num_threads(threads)
    engine.BLOCK = elements
    try:
        yield
    finally:
        engine.BLOCK = old_block
        lb.set_num_threads(old_threads)


@EVERY_LOSS
@given(st.data(), st.integers(1, 16))
def test_results_are_bit_identical_for_one_two_and_three_threads(name, data, block):
    case = data.draw(cases(name, batch_axes=(0,)))
    record, config, batch_axis, dtype, args, kwargs = case
    loss = _make(record, config, batch_axis)
    with _blocks_of(block, 1):
        expected = loss.value_and_grad(*args, **kwargs)
    for threads in (2, 3):
        with _blocks_of(block, threads):
            out, grads = loss.value_and_grad(*args, **kwargs)
        np.testing.assert_array_equal(out, expected[0])
        for g, e in zip(_grads(grads), _grads(expected[1])):
            np.testing.assert_array_equal(g, e)


@EVERY_LOSS
@given(st.data(), st.floats(0.25, 4.0))
def test_weight_and_sample_weight_scale_value_and_gradient_linearly(name, data, factor):
    case = data.draw(cases(name, dtypes=(np.float64,)))
    record, config, batch_axis, dtype, args, kwargs = case
    plain = _make(record, config, batch_axis)
    out, grads = plain.value_and_grad(*args, **kwargs)
    scaled = _make(record, config, batch_axis, weight=factor)
    batch = out.shape[0]
    weights = np.full(batch, factor)
    for other_out, other_grads in (scaled.value_and_grad(*args, **kwargs),
                                   plain.value_and_grad(*args, sample_weight=weights, **kwargs)):
        np.testing.assert_allclose(other_out, factor * out, rtol=1e-12, atol=1e-300)
        for g, e in zip(_grads(other_grads), _grads(grads)):
            # (absolute slack for entries that are differences of O(1) terms, as in the
            # batch-coupled losses, where the order of rounding moves with the factor)
            np.testing.assert_allclose(g, factor * e, rtol=1e-12,
                                       atol=1e-12 * factor * max(1.0, np.max(np.abs(e))))
