"""lossbook.book.nn: the Dense layer's forward and backward, and gradient descent."""
import numpy as np
import pytest

import lossbook as lb
from lossbook.gradcheck import check_grad
from lossbook.book.nn import Dense, GradientDescent


def test_dense_forward_by_hand():
    layer = Dense(2, in_units=2, weight=[[1.0, 0.0], [0.5, -1.0]], bias=[1.0, 2.0])
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    # row 1: (1 + 0 + 1, 0.5 - 2 + 2); row 2: (3 + 0 + 1, 1.5 - 4 + 2)
    np.testing.assert_allclose(layer(x), [[2.0, 0.5], [4.0, -0.5]])


def test_dense_backward_by_hand():
    layer = Dense(1, in_units=2, weight=[[2.0, -1.0]], bias=[0.0])
    layer.forward(np.array([[1.0, 3.0], [2.0, 5.0]]))
    grad_x = layer.backward(np.array([[1.0], [-2.0]]))
    # dL/dW = sum_i g_i x_i = (1 - 4, 3 - 10); dL/db = 1 - 2; dL/dX = g W
    np.testing.assert_allclose(layer.grads["weight"], [[-3.0, -7.0]])
    np.testing.assert_allclose(layer.grads["bias"], [-1.0])
    np.testing.assert_allclose(grad_x, [[2.0, -1.0], [-4.0, 2.0]])


def test_dense_backward_matches_central_differences():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3))
    head = rng.normal(size=(5, 4))
    layer = Dense(4, in_units=3, rng=rng)
    weight, bias = layer.weight.copy(), layer.bias.copy()

    def objective(w, b, inputs):
        return float(np.sum(head * Dense(4, 3, weight=w, bias=b)(inputs)))

    layer.forward(x)
    grad_x = layer.backward(head)
    check_grad(objective, [weight, bias, x], [layer.grads["weight"], layer.grads["bias"], grad_x],
               names=["weight", "bias", "x"])


def test_chain_rule_from_a_loss_into_the_weight():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 3))
    label = rng.normal(size=(6, 1))
    loss = lb.HuberLoss(rho=0.5)
    layer = Dense(1, in_units=3, rng=rng)
    out = layer(x)
    layer.backward(loss.grad(out, label))

    def total(w, b):
        return float(np.sum(loss(Dense(1, 3, weight=w, bias=b)(x), label)))

    check_grad(total, [layer.weight.copy(), layer.bias.copy()],
               [layer.grads["weight"], layer.grads["bias"]], names=["weight", "bias"])


def test_gradient_descent_step_by_hand():
    layer = Dense(2, in_units=1, weight=[[1.0], [2.0]], bias=[0.0, 1.0])
    layer.grads = {"weight": np.array([[1.0], [-1.0]]), "bias": np.array([2.0, 4.0])}
    GradientDescent([layer], learning_rate=0.1).step(batch_size=2)
    np.testing.assert_allclose(layer.weight, [[0.95], [2.05]])
    np.testing.assert_allclose(layer.bias, [-0.1, 0.8])


def test_gradient_descent_fits_a_noise_free_line():
    x = np.linspace(-1.0, 1.0, 20).reshape(-1, 1)
    y = 3.0 * x - 0.5
    layer = Dense(1, in_units=1, weight=[[0.0]], bias=[0.0])
    trainer = GradientDescent([layer], learning_rate=0.5)
    loss = lb.L2Loss()
    for _ in range(300):
        layer.backward(loss.grad(layer(x), y))
        trainer.step(batch_size=len(x))
    np.testing.assert_allclose(layer.weight, [[3.0]], atol=1e-6)
    np.testing.assert_allclose(layer.bias, [-0.5], atol=1e-6)


@pytest.mark.parametrize("make, message", [
    (lambda: Dense(2, 3, weight=np.zeros((3, 2))), r"weight must have shape \(2, 3\)"),
    (lambda: Dense(2, 3, bias=np.zeros(3)), r"bias must have shape \(2,\)"),
    (lambda: Dense(2, 3, rng=np.random.default_rng(0))(np.zeros((4, 2))), r"\(batch, 3\)"),
    (lambda: GradientDescent([], learning_rate=0.0), "learning_rate must be positive"),
])
def test_bad_input_is_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="forward before backward"):
        Dense(1, 1, weight=[[1.0]]).backward(np.ones((1, 1)))
