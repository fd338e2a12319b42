"""Small helpers shared by the test files."""
import numpy as np


def message_names(excinfo, *words):
    """Assert that the raised error's message mentions every word."""
    text = str(excinfo.value)
    for word in words:
        assert word in text, f"message {text!r} does not mention {word!r}"


def finite32(loss, *args, **kwargs):
    """value_and_grad in float32: float32 out, and every number finite."""
    out, grads = loss.value_and_grad(*args, **kwargs)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    assert np.all(np.isfinite(out)), out
    for g in grads:
        assert np.all(np.isfinite(g)), g
    return out, grads
