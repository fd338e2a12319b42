"""Every registered loss: analytic gradients against central differences, in float64.

Generic over the registry: a loss is covered the moment it is registered. Each case
checks every differentiable input, with and without sample_weight and out_grad, for
every registered configuration and every supported batch axis.
"""
import zlib

import numpy as np
import pytest

import lossbook  # noqa: F401  (registers every loss)
from lossbook import registry
from lossbook.gradcheck import check_grad


def _cases():
    for record in registry.records():
        for i, config in enumerate(record.all_configs()):
            for batch_axis in record.batch_axes:
                for weighting in ("plain", "weighted"):
                    yield pytest.param(record, config, batch_axis, weighting,
                                       id=f"{record.name}-c{i}-b{batch_axis}-{weighting}")


@pytest.mark.parametrize("record,config,batch_axis,weighting", list(_cases()))
def test_gradient_matches_central_differences(record, config, batch_axis, weighting):
    rng = np.random.default_rng(zlib.crc32(f"{record.name}-{batch_axis}-{weighting}".encode()))
    loss = record.make(**config, **({"batch_axis": batch_axis} if batch_axis else {}))
    args, kwargs = record.sample(rng, config, batch_axis, np.float64)
    args = list(args)
    grad_names = loss._grad_args
    positions = [loss._signature.index(name) for name in grad_names]

    call = dict(kwargs)
    out_grad = None
    if weighting == "weighted":
        per_element = loss.elementwise(*args, **kwargs)
        call["sample_weight"] = rng.uniform(0.5, 2.0, size=per_element.shape)
        batch = loss(*args, **kwargs).shape[0]
        out_grad = rng.normal(size=batch)

    head = np.ones(loss(*args, **call).shape[0]) if out_grad is None else out_grad

    def objective(*diff_inputs):
        full = list(args)
        for pos, value in zip(positions, diff_inputs):
            full[pos] = value
        return float(np.sum(head * loss(*full, **call)))

    value, grads = loss.value_and_grad(*args, out_grad=out_grad, **call)
    if len(grad_names) == 1:
        grads = (grads,)
    assert len(grads) == len(grad_names)
    for g, pos in zip(grads, positions):
        assert g.shape == np.shape(args[pos]) and g.dtype == np.float64
    np.testing.assert_allclose(value, loss(*args, **call), rtol=1e-12, atol=0)
    check_grad(objective, [args[p] for p in positions], grads, names=list(grad_names),
               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("record", registry.records(), ids=lambda r: r.name)
def test_weight_scales_value_and_gradient(record):
    """weight multiplies the value and the gradient; grad() equals value_and_grad()[1]."""
    rng = np.random.default_rng(7)
    args, kwargs = record.sample(rng, record.defaults, 0, np.float64)
    plain, scaled = record.make(weight=1.0), record.make(weight=2.5)
    v1, g1 = plain.value_and_grad(*args, **kwargs)
    v2, g2 = scaled.value_and_grad(*args, **kwargs)
    g3 = scaled.grad(*args, **kwargs)
    as_tuple = lambda g: g if isinstance(g, tuple) else (g,)
    np.testing.assert_allclose(v2, 2.5 * v1, rtol=1e-12)
    for a, b, c in zip(as_tuple(g1), as_tuple(g2), as_tuple(g3)):
        np.testing.assert_allclose(b, 2.5 * a, rtol=1e-12)
        np.testing.assert_array_equal(b, c)
