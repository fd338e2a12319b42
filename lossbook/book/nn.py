r"""A Dense layer with an explicit backward pass, and plain gradient descent: enough to follow
a loss's gradient into a model's parameters and to train a small model, in numpy.

The layer computes, for a batch :math:`X` of shape ``(batch, in_units)``,

.. math::

    Y = X W^\top + b, \qquad
    \frac{\partial L}{\partial W} = G^\top X, \quad
    \frac{\partial L}{\partial b} = \textstyle\sum_i G_{i\cdot}, \quad
    \frac{\partial L}{\partial X} = G W,

where :math:`G = \partial L / \partial Y` is the gradient arriving from above (for a
loss, ``loss.grad(Y, label)``). ``W`` has shape ``(units, in_units)``, as in
``mxnet.gluon.nn.Dense``.

>>> layer = Dense(1, in_units=2, weight=[[1.0, -1.0]], bias=[0.5])
>>> layer.forward(np.array([[3.0, 1.0]]))
array([[2.5]])
>>> layer.backward(np.array([[2.0]]))            # returns dL/dX
array([[ 2., -2.]])
>>> layer.grads["weight"], layer.grads["bias"]
(array([[6., 2.]]), array([2.]))
"""
import numpy as np

__all__ = ["Dense", "GradientDescent"]


class Dense:
    r"""A fully connected layer :math:`Y = X W^\top + b`.

    Parameters
    ----------
    units : int
        Output size.
    in_units : int
        Input size.
    use_bias : bool, default True
    weight, bias : array-like, optional
        Initial values, shapes ``(units, in_units)`` and ``(units,)``. Without them the
        weight is drawn from :math:`\mathcal U(-a, a)`, :math:`a = 1/\sqrt{\text{in\_units}}`,
        with ``rng``, and the bias is zero.
    rng : numpy Generator, optional
        For the initial weight; ``np.random.default_rng(0)`` by default, so a notebook
        re-executed draws the same weights.

    ``params`` and ``grads`` are dicts of arrays keyed ``"weight"`` and ``"bias"``;
    :meth:`backward` fills ``grads``.
    """

    def __init__(self, units, in_units, use_bias=True, weight=None, bias=None, rng=None):
        if weight is None:
            # seeded by default: a chapter re-executed must draw the same weights
            rng = np.random.default_rng(0) if rng is None else rng
            bound = 1.0 / np.sqrt(in_units)
            weight = rng.uniform(-bound, bound, size=(units, in_units))
        weight = np.array(weight, dtype=np.float64)
        if weight.shape != (units, in_units):
            raise ValueError(f"Dense: weight must have shape {(units, in_units)}, got {weight.shape}")
        self.params = {"weight": weight}
        if use_bias:
            bias = np.zeros(units) if bias is None else np.array(bias, dtype=np.float64)
            if bias.shape != (units,):
                raise ValueError(f"Dense: bias must have shape {(units,)}, got {bias.shape}")
            self.params["bias"] = bias
        elif bias is not None:
            raise ValueError("Dense: bias given but use_bias=False")
        self.grads = {}
        self._input = None

    @property
    def weight(self):
        return self.params["weight"]

    @property
    def bias(self):
        return self.params.get("bias")

    def forward(self, x):
        """``x @ weight.T + bias`` for ``x`` of shape ``(batch, in_units)``; keeps ``x`` for backward."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.weight.shape[1]:
            raise ValueError(f"Dense: input must have shape (batch, {self.weight.shape[1]}), "
                             f"got {x.shape}")
        self._input = x
        out = x @ self.weight.T
        if "bias" in self.params:
            out = out + self.bias
        return out

    __call__ = forward

    def backward(self, out_grad):
        r"""Store the parameter gradients in ``grads`` and return the gradient for the input.

        ``out_grad`` is :math:`\partial L/\partial Y`, shape ``(batch, units)``.
        """
        if self._input is None:
            raise RuntimeError("Dense: call forward before backward")
        out_grad = np.asarray(out_grad, dtype=np.float64)
        expected = (self._input.shape[0], self.weight.shape[0])
        if out_grad.shape != expected:
            raise ValueError(f"Dense: out_grad must have shape {expected}, got {out_grad.shape}")
        self.grads = {"weight": out_grad.T @ self._input}
        if "bias" in self.params:
            self.grads["bias"] = out_grad.sum(axis=0)
        return out_grad @ self.weight


class GradientDescent:
    r"""Plain gradient descent: :math:`\theta \leftarrow \theta - \eta\, g / n`.

    Nothing here is stochastic: the step follows whatever gradient the layers hold. The book
    computes it on the whole training set at every step (full-batch gradient descent); feed
    it the gradient of random mini-batches and the same class does stochastic gradient
    descent.

    Parameters
    ----------
    layers : sequence of layers with ``params`` and ``grads`` dicts.
    learning_rate : float

    :meth:`step` takes ``batch_size`` :math:`n` as Gluon's ``Trainer.step`` does: a loss
    returns one value per sample and its gradient is that of their *sum*, so dividing
    by :math:`n` makes the step follow the batch *mean*.

    >>> layer = Dense(1, in_units=1, weight=[[1.0]], bias=[0.0])
    >>> layer.grads = {"weight": np.array([[4.0]]), "bias": np.array([2.0])}
    >>> GradientDescent([layer], learning_rate=0.5).step(batch_size=2)
    >>> layer.weight, layer.bias
    (array([[0.]]), array([-0.5]))
    """

    def __init__(self, layers, learning_rate):
        if not learning_rate > 0:
            raise ValueError(f"GradientDescent: learning_rate must be positive, got {learning_rate!r}")
        self.layers = list(layers)
        self.learning_rate = float(learning_rate)

    def step(self, batch_size=1):
        scale = self.learning_rate / batch_size
        for layer in self.layers:
            for name, value in layer.params.items():
                if name not in layer.grads:
                    raise RuntimeError(f"GradientDescent: no gradient for {name!r}; call backward first")
                value -= scale * layer.grads[name]
