r"""Vectorised layers with hand-written backward passes, and an MLP built from them (Chapter 3).

Every layer has the same small interface:

- ``forward(x)`` computes the output and keeps what the backward pass will need (its *cache*);
- ``backward(grad_out)`` takes :math:`\partial J / \partial \text{output}` and returns
  :math:`\partial J / \partial x`, and writes :math:`\partial J / \partial \theta` for each
  parameter into ``grads``;
- ``params`` and ``grads`` are lists of arrays in the same order. They are the very arrays an
  optimizer updates in place (``p -= lr * g``): a layer never rebinds them, and ``backward``
  *overwrites* ``grads`` (``g[...] = ...``) instead of adding to them.

A batch of examples is an array of shape ``(B, features)``, one row per example. Arrays are
float64 by default; float32 works too (build the layers with ``dtype=np.float32``).

>>> import numpy as np
>>> model = mlp([2, 8, 3], activation="relu", seed=0)
>>> model
Sequential(
  (0): Linear(in_features=2, out_features=8, init='he')
  (1): ReLU()
  (2): Linear(in_features=8, out_features=3, init='he')
)
>>> logits = model.forward(np.ones((5, 2)))
>>> grad_x = model.backward(np.ones((5, 3)))
>>> logits.shape, grad_x.shape, [g.shape for g in model.grads]
((5, 3), (5, 2), [(2, 8), (8,), (8, 3), (3,)])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._layer_check import check_layer, numerical_param_grads
from ._network import flatten, network_arrays, usable
from ._validate import as_float_array, positive_int

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "Layer",
    "Linear",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "check_layer",
    "init_weights",
    "mlp",
    "numerical_param_grads",
]

#: The weight initializations :func:`init_weights` knows.
INITS = ("zeros", "xavier", "he")

DTYPES = (np.float64, np.float32)


def init_weights(
    fan_in: int,
    fan_out: int,
    init: str = "he",
    seed: int | np.random.Generator | None = None,
    dtype: type = np.float64,
) -> np.ndarray:
    r"""A ``(fan_in, fan_out)`` weight matrix, initialized by one of three rules.

    - ``"zeros"``: :math:`W = 0`. Every hidden unit then computes the same thing and gets the
      same gradient, so they stay identical forever (the *symmetry* problem).
    - ``"xavier"`` (Glorot and Bengio, 2010): :math:`W_{ij} \sim \mathcal{U}(-a, a)` with
      :math:`a = \sqrt{6 / (\text{fan\_in} + \text{fan\_out})}`, so
      :math:`\operatorname{Var} W_{ij} = 2 / (\text{fan\_in} + \text{fan\_out})`: the variance
      of activations and gradients is kept roughly constant through layers with a symmetric,
      roughly linear activation near 0 (tanh, sigmoid).
    - ``"he"`` (He et al., 2015): :math:`W_{ij} \sim \mathcal{N}(0,\ 2 / \text{fan\_in})`. ReLU
      zeroes half of its inputs on average, halving the variance; the factor 2 makes up for it.

    Parameters
    ----------
    fan_in, fan_out : int
        The number of inputs and outputs of the layer.
    init : {"zeros", "xavier", "he"}, default "he"
    seed : int or numpy.random.Generator, optional
    dtype : numpy.float64 or numpy.float32, default numpy.float64

    Returns
    -------
    numpy.ndarray
        Shape ``(fan_in, fan_out)``.

    Raises
    ------
    TypeError, ValueError
        If a size is not a positive integer, or ``init`` or ``dtype`` is unknown.

    Examples
    --------
    >>> W = init_weights(1000, 500, "he", seed=0)
    >>> round(float(W.var() * 1000), 1)   # Var W = 2 / fan_in
    2.0
    """
    fan_in = positive_int(fan_in, "fan_in")
    fan_out = positive_int(fan_out, "fan_out")
    init = _check_init(init)
    dtype = _check_dtype(dtype)
    rng = np.random.default_rng(seed)
    if init == "zeros":
        weights = np.zeros((fan_in, fan_out))
    elif init == "xavier":
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        weights = rng.uniform(-bound, bound, size=(fan_in, fan_out))
    else:
        weights = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    return weights.astype(dtype)


class Layer:
    """What every layer shares: empty ``params``/``grads``, input checks and the cache check.

    Subclasses implement ``forward(x)`` and ``backward(grad_out)``; calling a layer,
    ``layer(x)``, is the same as ``layer.forward(x)``.
    """

    param_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self._out_shape: tuple[int, ...] | None = None  # the last forward's output shape ...
        self._dtype: np.dtype | None = None  # ... and dtype, to check grad_out against

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _check_input(self, x: object) -> np.ndarray:
        if usable(x):  # the usual case, without building an error message
            return x
        return as_float_array(x, f"{self!r}: the input x")

    def _check_grad(self, grad_out: object) -> np.ndarray:
        """``grad_out`` as an array of the forward's dtype, shaped like the forward's output."""
        if self._out_shape is None:
            raise RuntimeError(f"{self!r}: backward called before forward (nothing is cached)")
        if not usable(grad_out):
            grad_out = as_float_array(grad_out, f"{self!r}.backward: grad_out")
        if grad_out.shape != self._out_shape:
            raise ValueError(
                f"{self!r}.backward: grad_out must have the shape of the forward output "
                f"{self._out_shape}; got {grad_out.shape}"
            )
        return grad_out.astype(self._dtype, copy=False)


class Linear(Layer):
    r"""A fully connected layer: :math:`y = x W + b`.

    With a batch :math:`x` of shape :math:`(B, \text{in})`, weights :math:`W` of shape
    :math:`(\text{in}, \text{out})` and bias :math:`b` of shape :math:`(\text{out},)` (added to
    every row), the output :math:`y` has shape :math:`(B, \text{out})`. Given
    :math:`\bar y = \partial J / \partial y`, of the shape of :math:`y`, the backward pass
    returns the only products whose shapes fit:

    .. math::

        \frac{\partial J}{\partial W} = x^\top \bar y \quad (\text{in}, \text{out}), \qquad
        \frac{\partial J}{\partial b} = \sum_{n=1}^{B} \bar y_n \quad (\text{out},), \qquad
        \frac{\partial J}{\partial x} = \bar y\, W^\top \quad (B, \text{in}).

    PyTorch's ``nn.Linear`` computes the same, but keeps the transpose, ``weight = W.T`` of
    shape :math:`(\text{out}, \text{in})`, and starts ``weight`` and ``bias`` uniform in
    :math:`\pm 1/\sqrt{\text{in}}`; here ``W`` follows ``init`` and ``b`` starts at 0.

    ``backward(grad_out, input_grad=False)`` writes the parameters' gradients but skips
    :math:`\partial J / \partial x` (and returns ``None``): the first layer of a network, whose
    input is the data, needs no more — and for a wide input that product is a third of the
    layer's backward pass.

    Parameters
    ----------
    in_features, out_features : int
    init : {"zeros", "xavier", "he"}, default "he"
        How :func:`init_weights` fills ``W``; ``b`` starts at 0.
    seed : int or numpy.random.Generator, optional
    dtype : numpy.float64 or numpy.float32, default numpy.float64
        The parameters' dtype; inputs must have the same one.

    Attributes
    ----------
    params : list of numpy.ndarray
        ``[W, b]``.
    grads : list of numpy.ndarray
        ``[dJ/dW, dJ/db]`` from the last ``backward``.
    W, b : numpy.ndarray
        The same arrays as ``params[0]`` and ``params[1]`` (read-only names).

    Raises
    ------
    ValueError
        From ``forward``, if ``x`` is not of shape ``(B, in_features)``; the message names the
        layer and both shapes.
    TypeError
        From ``forward``, if ``x``'s dtype is not the parameters' dtype.
    """

    param_names = ("W", "b")

    def __init__(
        self,
        in_features: int,
        out_features: int,
        init: str = "he",
        seed: int | np.random.Generator | None = None,
        dtype: type = np.float64,
    ) -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "in_features")
        self.out_features = positive_int(out_features, "out_features")
        self.init = _check_init(init)
        weights = init_weights(self.in_features, self.out_features, init, seed, dtype)
        bias = np.zeros(self.out_features, dtype=weights.dtype)
        self.params = [weights, bias]
        self.grads = [np.zeros_like(weights), np.zeros_like(bias)]
        self._x: np.ndarray | None = None

    @property
    def W(self) -> np.ndarray:
        return self.params[0]

    @property
    def b(self) -> np.ndarray:
        return self.params[1]

    def __repr__(self) -> str:
        return (
            f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
            f"init={self.init!r})"
        )

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"{self!r}: the input x must have shape (B, {self.in_features}), one row per "
                f"example; got {x.shape}"
            )
        if x.dtype != self.W.dtype:
            raise TypeError(
                f"{self!r} has {self.W.dtype} parameters but x is {x.dtype}: convert x with "
                f"x.astype(np.{self.W.dtype}), or build the layer with dtype=np.{x.dtype}"
            )
        self._x = x  # the cache: backward needs the input
        self._out_shape, self._dtype = (x.shape[0], self.out_features), x.dtype
        return x @ self.W + self.b

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        grad_out = self._check_grad(grad_out)
        # (in, B) times (B, out): the shape of W, written straight into grads[0] (out=).
        # np.dot is the product @ computes, but @ is three times slower for one example.
        np.dot(self._x.T, grad_out, out=self.grads[0])
        grad_out.sum(axis=0, out=self.grads[1])  # b was added to every row: sum the rows
        if not input_grad:  # x is the data: nothing needs its gradient
            return None
        return grad_out @ self.W.T  # (B, out) @ (out, in): the shape of x


class ReLU(Layer):
    r""":math:`\operatorname{relu}(x) = \max(x, 0)`, element-wise.

    The local gradient is 1 where :math:`x > 0` and 0 elsewhere (at the kink :math:`x = 0`
    we use 0, like PyTorch): a max *routes* the gradient to where the input won.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        self._mask = x > 0  # the cache: where the gradient may pass
        self._out_shape, self._dtype = x.shape, x.dtype
        return np.maximum(x, 0)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self._check_grad(grad_out) * self._mask


class Sigmoid(Layer):
    r""":math:`\sigma(x) = 1 / (1 + e^{-x})`, element-wise; :math:`\sigma' = \sigma (1 - \sigma)`.

    Computed from :math:`e = e^{-|x|} \le 1`, as :math:`1 / (1 + e)` for :math:`x \ge 0` and
    :math:`e / (1 + e)` for :math:`x < 0`: it never overflows, and keeps every digit even
    where :math:`\sigma(x)` is tiny (as PyTorch's does). The derivative is at most 1/4, which
    is why deep sigmoid networks shrink their gradients layer after layer.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        e = np.exp(-np.abs(x))  # at most 1: never overflows
        self._out = np.where(x >= 0, 1, e) / (1 + e)  # the cache: all that backward needs
        self._out_shape, self._dtype = x.shape, x.dtype
        return self._out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out = self._check_grad(grad_out)
        return grad_out * self._out * (1 - self._out)


class Tanh(Layer):
    r""":math:`\tanh(x)`, element-wise; :math:`\tanh' = 1 - \tanh^2`."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        self._out = np.tanh(x)  # the cache
        self._out_shape, self._dtype = x.shape, x.dtype
        return self._out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out = self._check_grad(grad_out)
        return grad_out * (1 - self._out**2)


#: The activation layers :func:`mlp` can put between its linear layers, by name.
ACTIVATIONS: dict[str, type[Layer]] = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


class Sequential(Layer):
    """Layers applied one after another; backward runs them in reverse.

    ``params`` and ``grads`` are the layers' lists joined in order (the same array objects,
    so updating ``model.params`` in place updates the layers). ``param_names`` says which is
    which: ``"0.W"``, ``"0.b"``, ``"2.W"``, ...

    When its parameterized layers are all :class:`Linear` layers of one dtype (an
    :func:`mlp`), the model also keeps every parameter in one flat array, ``flat_params``,
    and every gradient in ``flat_grads``: each layer's ``W`` and ``b`` become *views* of
    their part of it, so the two descriptions are the same numbers. An optimizer can then
    update the whole model as one array, ``Adam([model.flat_params])`` stepped with
    ``opt.step([model.flat_grads])``, which is faster for small layers than a step per
    array; or per array, ``Adam(model.params)``, as before. Build optimizers *after* the
    model: building it moves its layers' parameters into the flat array.

    Parameters
    ----------
    *layers : Layer

    Attributes
    ----------
    layers : list of Layer
    params, grads : list of numpy.ndarray
    flat_params, flat_grads : numpy.ndarray or None
        One-dimensional arrays of which ``params`` and ``grads`` are views, in order; None if
        the layers cannot share one (a parameterized layer that is not :class:`Linear`,
        mixed dtypes, or a layer used twice).

    Raises
    ------
    TypeError
        If an argument is not a layer.
    ValueError
        If two linear layers do not fit together (one's ``out_features`` is not the next one's
        ``in_features``).
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        features, previous = None, None
        for i, layer in enumerate(layers):
            if not all(hasattr(layer, a) for a in ("forward", "backward", "params", "grads")):
                raise TypeError(f"Sequential: argument {i} is not a layer; got {layer!r}")
            if isinstance(layer, Linear):
                if features is not None and layer.in_features != features:
                    raise ValueError(
                        f"Sequential: layer {i} {layer!r} expects {layer.in_features} input "
                        f"features, but layer {previous} gives it {features}"
                    )
                features, previous = layer.out_features, f"{i} {layer!r}"
        self.layers = list(layers)
        self.flat_params, self.flat_grads = flatten(self.layers, Linear)
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]
        self.param_names = tuple(
            f"{i}.{name}"
            for i, layer in enumerate(self.layers)
            for name in getattr(layer, "param_names", ())
        )

    def __repr__(self) -> str:
        lines = [f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run the layers in order. Only the network's input is tested for non-finite values:
        a hidden layer that overflows is training diverging, which the outputs show."""
        if not usable(x):
            x = as_float_array(x, "Sequential.forward: the input x")
        with network_arrays():
            for layer in self.layers:
                x = layer.forward(x)
        return x

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Run the layers' backward passes in reverse; return the gradient for the input.

        With ``input_grad=False`` a first :class:`Linear` layer skips the gradient with
        respect to the model's input — the data, which nothing updates — and ``None`` is
        returned; the parameters' gradients are the same.
        """
        if not usable(grad_out):
            grad_out = as_float_array(grad_out, "Sequential.backward: grad_out")
        with network_arrays():
            for i, layer in reversed(list(enumerate(self.layers))):
                if i == 0 and not input_grad and isinstance(layer, Linear):
                    return layer.backward(grad_out, input_grad=False)
                grad_out = layer.backward(grad_out)
        return grad_out if input_grad else None


def mlp(
    sizes: Sequence[int],
    activation: str = "relu",
    init: str = "he",
    seed: int | np.random.Generator | None = None,
    dtype: type = np.float64,
) -> Sequential:
    """A multilayer perceptron: linear layers with an activation between consecutive ones.

    ``mlp([2, 64, 64, 3])`` is ``Linear(2, 64), act, Linear(64, 64), act, Linear(64, 3)``: no
    activation after the last layer, whose outputs are the logits a loss takes.

    Parameters
    ----------
    sizes : sequence of int
        The number of features of the input, of each hidden layer and of the output (at least
        two numbers).
    activation : {"relu", "sigmoid", "tanh"}, default "relu"
    init : {"zeros", "xavier", "he"}, default "he"
    seed : int or numpy.random.Generator, optional
        Seeds every layer's weights (each layer gets its own stream from one generator).
    dtype : numpy.float64 or numpy.float32, default numpy.float64

    Returns
    -------
    Sequential

    Raises
    ------
    ValueError
        If ``sizes`` has fewer than two entries, or ``activation`` or ``init`` is unknown.

    Examples
    --------
    >>> model = mlp([2, 16, 16, 3], activation="tanh", init="xavier", seed=0)
    >>> len(model), model.param_names[:2]
    (5, ('0.W', '0.b'))
    """
    sizes = [positive_int(s, "sizes[i]") for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output size; got {sizes}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}")
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        if i > 0:
            layers.append(ACTIVATIONS[activation]())
        layers.append(Linear(fan_in, fan_out, init=init, seed=rng, dtype=dtype))
    return Sequential(*layers)


# -- argument checks -------------------------------------------------------------------------


def _check_init(init: object) -> str:
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}; got {init!r}")
    return init  # type: ignore[return-value]


def _check_dtype(dtype: object) -> type:
    if dtype not in DTYPES:
        raise TypeError(f"dtype must be numpy.float64 or numpy.float32; got {dtype!r}")
    return np.dtype(dtype).type
