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

import contextvars
from collections.abc import Callable, Sequence

import numpy as np

from ._validate import FLOAT_DTYPES, as_float_array, is_finite_float_array, positive_int
from .gradients import GradientCheckResult, gradient_check, numerical_gradient

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

# Inside a network the arrays between layers are the network's own: a layer's input is the
# previous layer's output, its grad_out the next layer's gradient. Their dtypes are right by
# construction, and they stop being finite only when training diverges (a hidden layer
# overflows), which fit and lr_range_test detect from the outputs and report as divergence, not
# as a user's bad input. So while a Sequential runs its layers, they skip the finiteness test
# on these arrays (the Sequential has tested its own input and grad_out); that also saves a
# pass over every activation, every step.
_NETWORK_ARRAYS = contextvars.ContextVar("network_arrays", default=False)


class _network_arrays:
    """``with _network_arrays():`` the layers called inside take arrays the network computed."""

    def __enter__(self) -> None:
        self._token = _NETWORK_ARRAYS.set(True)

    def __exit__(self, *exc_info: object) -> None:
        _NETWORK_ARRAYS.reset(self._token)


def _usable(array: object) -> bool:
    """Whether a layer can take ``array`` as it is: a finite float32/float64 ndarray, or inside
    a network (see ``_NETWORK_ARRAYS``) any float32/float64 ndarray."""
    if _NETWORK_ARRAYS.get():
        return type(array) is np.ndarray and array.dtype in FLOAT_DTYPES
    return is_finite_float_array(array)


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
    #: Training mode (the start) or evaluation mode; only normalization layers behave
    #: differently (see :mod:`companion.normalization`).
    training: bool = True

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self._out_shape: tuple[int, ...] | None = None  # the last forward's output shape ...
        self._dtype: np.dtype | None = None  # ... and dtype, to check grad_out against

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def train(self, mode: bool = True) -> Layer:
        """Switch to training mode (or, with ``mode=False``, evaluation), this layer and every
        layer inside it, as PyTorch's ``module.train()`` does; returns the layer."""
        self.training = bool(mode)
        for layer in getattr(self, "layers", ()):
            layer.train(mode)
        return self

    def eval(self) -> Layer:
        """Switch to evaluation mode: ``train(False)``."""
        return self.train(False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _check_input(self, x: object) -> np.ndarray:
        if _usable(x):  # the usual case, without building an error message
            return x
        return as_float_array(x, f"{self!r}: the input x")

    def _check_grad(self, grad_out: object) -> np.ndarray:
        """``grad_out`` as an array of the forward's dtype, shaped like the forward's output."""
        if self._out_shape is None:
            raise RuntimeError(f"{self!r}: backward called before forward (nothing is cached)")
        if not _usable(grad_out):
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
        self.flat_params, self.flat_grads = self._flatten()
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]
        self.param_names = tuple(
            f"{i}.{name}"
            for i, layer in enumerate(self.layers)
            for name in getattr(layer, "param_names", ())
        )

    def _flatten(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Copy the layers' parameters and gradients into two flat arrays and give each layer
        views of its parts instead; ``(None, None)`` if the layers cannot share them."""
        owners = [layer for layer in self.layers if layer.params]
        params = [p for layer in owners for p in layer.params]
        if (
            not params
            or not all(type(layer) is Linear for layer in owners)
            or len({id(layer) for layer in owners}) != len(owners)
            or len({p.dtype for p in params}) != 1
        ):
            return None, None
        flat_params = np.concatenate([p.ravel() for p in params])
        flat_grads = np.concatenate([g.ravel() for layer in owners for g in layer.grads])
        start = 0
        for layer in owners:
            for i, p in enumerate(layer.params):
                part = slice(start, start + p.size)
                layer.params[i] = flat_params[part].reshape(p.shape)
                layer.grads[i] = flat_grads[part].reshape(p.shape)
                start += p.size
        return flat_params, flat_grads

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
        if not _usable(x):
            x = as_float_array(x, "Sequential.forward: the input x")
        with _network_arrays():
            for layer in self.layers:
                x = layer.forward(x)
        return x

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Run the layers' backward passes in reverse; return the gradient for the input.

        With ``input_grad=False`` a first :class:`Linear` layer skips the gradient with
        respect to the model's input — the data, which nothing updates — and ``None`` is
        returned; the parameters' gradients are the same.
        """
        if not _usable(grad_out):
            grad_out = as_float_array(grad_out, "Sequential.backward: grad_out")
        with _network_arrays():
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


def check_layer(
    layer: Layer,
    x: np.ndarray,
    seed: int | np.random.Generator | None = None,
    h: float = 1e-5,
) -> dict[str, GradientCheckResult]:
    r"""Gradient-check a layer's ``backward`` (Chapter 1's
    :func:`~companion.gradients.gradient_check`).

    The scalar checked is :math:`f = \sum_{ij} \text{forward}(x)_{ij}\, R_{ij}` for a fixed
    random array :math:`R` (entries of size 0.5 to 1.5, either sign): its gradient with
    respect to the output is exactly :math:`R`, so ``backward(R)`` must return
    :math:`\partial f / \partial x` and leave :math:`\partial f / \partial \theta` in
    ``grads``. Each parameter is perturbed in place and restored afterwards.

    Parameters
    ----------
    layer : Layer
    x : array_like of float
        The input to check at.
    seed : int or numpy.random.Generator, optional
        For :math:`R`.
    h : float, default 1e-5
        The finite-difference step.

    Returns
    -------
    dict of str to GradientCheckResult
        ``"x"`` and one entry per parameter name (``"W"``, ``"b"``, ``"0.W"``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> results = check_layer(Linear(3, 2, seed=0), np.ones((4, 3)), seed=1)
    >>> {name: r.verdict for name, r in results.items()}
    {'x': 'correct', 'W': 'correct', 'b': 'correct'}
    """
    x = as_float_array(x, "x")
    rng = np.random.default_rng(seed)
    shape = layer.forward(x).shape
    # |R| between 0.5 and 1.5: no entry of the gradient is tiny by accident, where the
    # finite difference's round-off would swamp it.
    upstream = (rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 1.5, shape)).astype(x.dtype)

    def f_of_x(v):
        return float(np.sum(layer.forward(v) * upstream))

    def grad_of_x(v):
        layer.forward(v)
        return layer.backward(upstream)

    results = {"x": gradient_check(f_of_x, grad_of_x, x, h=h)}
    for name, param, grad in zip(layer.param_names, layer.params, layer.grads, strict=True):
        saved = param.copy()

        def f_of_param(v, param=param):
            param[...] = v
            return float(np.sum(layer.forward(x) * upstream))

        def grad_of_param(v, param=param, grad=grad):
            param[...] = v
            layer.forward(x)
            layer.backward(upstream)
            return grad.copy()

        try:
            results[name] = gradient_check(f_of_param, grad_of_param, saved, h=h)
        finally:
            param[...] = saved
    return results


def numerical_param_grads(
    f: Callable[[], float], params: Sequence[np.ndarray], h: float = 1e-5
) -> list[np.ndarray]:
    """Chapter 1's central-difference gradient of ``f()`` with respect to every parameter array.

    Each array is perturbed in place, one entry at a time, and restored: this costs two calls
    of ``f`` — two forward passes — *per parameter*, the cost backpropagation avoids.

    Parameters
    ----------
    f : callable
        Takes no arguments and returns the loss computed with the current ``params``.
    params : sequence of numpy.ndarray
        The arrays ``f`` reads, e.g. ``model.params``. Left unchanged.
    h : float, default 1e-5

    Returns
    -------
    list of numpy.ndarray
        One gradient per array, in the order of ``params`` (like ``model.grads``).

    Examples
    --------
    >>> import numpy as np
    >>> from companion.losses import mse
    >>> layer = Linear(2, 1, seed=0)
    >>> x, target = np.array([[1.0, 2.0]]), np.array([[0.5]])
    >>> numerical = numerical_param_grads(lambda: mse(layer.forward(x), target)[0], layer.params)
    >>> _, dpred = mse(layer.forward(x), target)
    >>> _ = layer.backward(dpred)
    >>> all(np.allclose(n, g) for n, g in zip(numerical, layer.grads))
    True
    """
    grads = []
    for param in params:
        saved = param.copy()

        def f_of_param(v, param=param):
            param[...] = v
            return f()

        try:
            grads.append(numerical_gradient(f_of_param, saved, h=h))
        finally:
            param[...] = saved
    return grads


# -- argument checks -------------------------------------------------------------------------


def _check_init(init: object) -> str:
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}; got {init!r}")
    return init  # type: ignore[return-value]


def _check_dtype(dtype: object) -> type:
    if dtype not in DTYPES:
        raise TypeError(f"dtype must be numpy.float64 or numpy.float32; got {dtype!r}")
    return np.dtype(dtype).type
