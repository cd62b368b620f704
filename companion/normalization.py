r"""Normalization layers: BatchNorm and LayerNorm, with hand-written backward passes (Chapter 9).

Both standardize activations — subtract a mean, divide by a standard deviation — and then let
the network choose the scale and shift it wants, with a learned ``weight`` :math:`\gamma` and
``bias`` :math:`\beta`:

.. math::

    \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \qquad y = \gamma \hat x + \beta .

They differ in *what* the mean and variance are taken over:

- :class:`BatchNorm1d` (Ioffe & Szegedy, 2015): each feature over the examples of the batch.
  An example's output then depends on the other examples in its batch, so at evaluation time
  the layer uses running averages collected during training instead (``eval()``).
- :class:`LayerNorm` (Ba et al., 2016): each example over its own features. It needs no batch
  and behaves the same in training and evaluation.

They have the interface of :mod:`companion.layers` (``forward``, ``backward``, ``params`` =
``[weight, bias]``, ``grads`` in the same order) and PyTorch's names, defaults and ``train()``
/ ``eval()`` switch, so they go into a :class:`~companion.layers.Sequential` and through
:func:`~companion.training.fit` like any other layer.

>>> import numpy as np
>>> bn = BatchNorm1d(3)
>>> x = np.random.default_rng(0).normal(5.0, 2.0, size=(64, 3))
>>> y = bn.forward(x)                           # training mode: the batch's own statistics
>>> bool(np.allclose(y.mean(axis=0), 0) and np.allclose(y.var(axis=0), 1, atol=1e-3))
True
>>> bool(np.allclose(bn.running_mean, 0.1 * x.mean(axis=0)))  # 10% of the way from 0
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validate import positive_int, positive_number
from .layers import Layer, Sequential, _check_dtype

__all__ = ["BatchNorm1d", "LayerNorm", "Residual", "batchnorm_backward", "batchnorm_forward"]


# --- the readable rule: forward and backward of the standardization -----------------------


def batchnorm_forward(x, weight, bias, eps, axis=0):
    r"""Standardize ``x`` over ``axis``, then scale and shift: :math:`y = \gamma\hat x + \beta`.

    Returns ``y`` and the cache the backward pass needs: :math:`\hat x` and
    :math:`1/\sqrt{\sigma^2 + \varepsilon}`. ``axis`` 0 is BatchNorm (over the batch); the
    last axes are LayerNorm (over the features).
    """
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)  # the biased variance: divide by n
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return weight * x_hat + bias, (x_hat, inv_std)


def batchnorm_backward(grad_out, weight, cache, axis=0):
    r"""The gradients of :func:`batchnorm_forward`: ``(grad_x, grad_weight, grad_bias)``.

    With :math:`\bar y = \partial J/\partial y`, :math:`\bar{\hat x} = \gamma\bar y` and
    :math:`n` the number of entries averaged over, the mean and the variance depend on every
    input, which gives the two extra terms:

    .. math::

        \frac{\partial J}{\partial x} = \frac{1}{\sqrt{\sigma^2+\varepsilon}}\Big(
            \bar{\hat x} - \operatorname{mean}(\bar{\hat x})
            - \hat x \operatorname{mean}(\bar{\hat x}\,\hat x)\Big).

    ``grad_weight`` and ``grad_bias`` are :math:`\bar y\hat x` and :math:`\bar y` summed over
    every axis that the weight is shared across.
    """
    x_hat, inv_std = cache
    g = grad_out * weight  # ∂J/∂x̂
    mean_g = g.mean(axis=axis, keepdims=True)
    mean_gx = (g * x_hat).mean(axis=axis, keepdims=True)
    grad_x = inv_std * (g - mean_g - x_hat * mean_gx)
    shared = tuple(range(grad_out.ndim - weight.ndim))  # the axes the weight is broadcast over
    return grad_x, (grad_out * x_hat).sum(axis=shared), grad_out.sum(axis=shared)


# --- the layers ---------------------------------------------------------------------------


class _Norm(Layer):
    """What both layers share: ``weight`` = 1 and ``bias`` = 0 at the start, and the checks."""

    param_names = ("weight", "bias")

    def __init__(self, shape: tuple[int, ...], eps: float, dtype: type) -> None:
        super().__init__()
        dtype = _check_dtype(dtype)
        self.eps = positive_number(eps, "eps")
        self.params = [np.ones(shape, dtype=dtype), np.zeros(shape, dtype=dtype)]
        self.grads = [np.zeros(shape, dtype=dtype), np.zeros(shape, dtype=dtype)]

    @property
    def weight(self) -> np.ndarray:
        return self.params[0]

    @property
    def bias(self) -> np.ndarray:
        return self.params[1]

    def _store_grads(self, grad_weight: np.ndarray, grad_bias: np.ndarray) -> None:
        self.grads[0][...] = grad_weight  # overwrite in place: an optimizer holds these arrays
        self.grads[1][...] = grad_bias


class BatchNorm1d(_Norm):
    r"""Batch normalization (Ioffe & Szegedy, 2015) of a batch of shape ``(B, num_features)``.

    In training mode (the start, or after ``train()``) each feature is standardized with the
    mean :math:`\mu` and the biased variance :math:`\sigma^2` of the batch, and the running
    statistics move towards them,

    .. math::

        \mu_{\text{run}} \leftarrow (1 - m)\,\mu_{\text{run}} + m\,\mu, \qquad
        \sigma^2_{\text{run}} \leftarrow (1 - m)\,\sigma^2_{\text{run}}
            + m\,\tfrac{B}{B - 1}\sigma^2

    (the unbiased variance, as PyTorch keeps it). After ``eval()`` the running statistics
    are used instead, so that each example's output no longer depends on its batch.

    Parameters
    ----------
    num_features : int
    eps : float, default 1e-5
        :math:`\varepsilon`, added to the variance.
    momentum : float, default 0.1
        :math:`m`, how far the running statistics move per training batch.
    dtype : numpy.float64 or numpy.float32, default numpy.float64

    Attributes
    ----------
    params, grads : list of numpy.ndarray
        ``[weight, bias]`` (:math:`\gamma`, starting at 1, and :math:`\beta`, at 0) and their
        gradients.
    running_mean, running_var : numpy.ndarray
        Start at 0 and 1.
    num_batches_tracked : int
    training : bool

    Raises
    ------
    ValueError
        In training mode, for a batch of one example (its variance is 0), as PyTorch does.

    Examples
    --------
    >>> bn = BatchNorm1d(2).eval()      # a fresh layer in eval mode: running stats 0 and 1
    >>> bn.forward(np.array([[3.0, -1.0]])).round(4)
    array([[ 3., -1.]])
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        *,
        dtype: type = np.float64,
    ) -> None:
        self.num_features = positive_int(num_features, "num_features")
        super().__init__((self.num_features,), eps, dtype)
        self.momentum = float(momentum)
        if not 0 <= self.momentum <= 1:
            raise ValueError(f"momentum must be in [0, 1]; got {momentum!r}")
        self.running_mean = np.zeros(self.num_features, dtype=self.params[0].dtype)
        self.running_var = np.ones(self.num_features, dtype=self.params[0].dtype)
        self.num_batches_tracked = 0

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features}, eps={self.eps:g}, momentum={self.momentum:g})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r}: the input x must have shape (B, {self.num_features}); got {x.shape}"
            )
        x = x.astype(self.weight.dtype, copy=False)
        self._out_shape, self._dtype = x.shape, x.dtype
        if self.training:
            if len(x) < 2:
                raise ValueError(
                    f"{self!r}: training needs more than 1 example per batch (got {len(x)}); "
                    "the variance of one example is 0"
                )
            y, self._cache = batchnorm_forward(x, self.weight, self.bias, self.eps)
            m, n = self.momentum, len(x)
            self.running_mean *= 1 - m
            self.running_mean += m * x.mean(axis=0)
            self.running_var *= 1 - m
            self.running_var += m * x.var(axis=0) * (n / (n - 1))
            self.num_batches_tracked += 1
            return y
        # eval: a fixed affine map, with the statistics gathered in training
        inv_std = 1.0 / np.sqrt(self.running_var + self.eps)
        x_hat = (x - self.running_mean) * inv_std
        self._cache = (x_hat, inv_std)
        return self.weight * x_hat + self.bias

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out = self._check_grad(grad_out)
        x_hat, inv_std = self._cache
        if inv_std.ndim == 2:  # the batch's statistics (training): they depend on x too
            grad_x, grad_w, grad_b = batchnorm_backward(grad_out, self.weight, self._cache)
        else:  # fixed statistics (eval): y is affine in x
            grad_x = grad_out * self.weight * inv_std
            grad_w, grad_b = (grad_out * x_hat).sum(axis=0), grad_out.sum(axis=0)
        self._store_grads(grad_w, grad_b)
        return grad_x


class LayerNorm(_Norm):
    r"""Layer normalization (Ba et al., 2016): each example standardized over its own features.

    For an input of shape ``(..., *normalized_shape)``, the mean and the biased variance are
    taken over the last ``len(normalized_shape)`` axes, separately for every example; then
    :math:`y = \gamma\hat x + \beta` with ``weight`` and ``bias`` of shape
    ``normalized_shape``. No running statistics: training and evaluation compute the same.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The shape of the trailing axes normalized over (for an MLP: the number of features).
    eps : float, default 1e-5
    dtype : numpy.float64 or numpy.float32, default numpy.float64

    Examples
    --------
    >>> ln = LayerNorm(4)
    >>> ln.forward(np.array([[1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0]])).round(3)
    array([[-1.342, -0.447,  0.447,  1.342],
           [-1.342, -0.447,  0.447,  1.342]])
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        *,
        dtype: type = np.float64,
    ) -> None:
        if isinstance(normalized_shape, int | np.integer):
            normalized_shape = (normalized_shape,)
        shape = tuple(positive_int(s, "normalized_shape") for s in normalized_shape)
        if not shape:
            raise ValueError("normalized_shape must name at least one axis; got ()")
        self.normalized_shape = shape
        super().__init__(shape, eps, dtype)
        self._axes = tuple(range(-len(shape), 0))

    def __repr__(self) -> str:
        return f"LayerNorm({self.normalized_shape}, eps={self.eps:g})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        if x.shape[x.ndim - len(self.normalized_shape) :] != self.normalized_shape or (
            x.ndim <= len(self.normalized_shape)
        ):
            raise ValueError(
                f"{self!r}: the input x must have shape (B, ..., *{self.normalized_shape}); "
                f"got {x.shape}"
            )
        x = x.astype(self.weight.dtype, copy=False)
        self._out_shape, self._dtype = x.shape, x.dtype
        y, self._cache = batchnorm_forward(x, self.weight, self.bias, self.eps, axis=self._axes)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out = self._check_grad(grad_out)
        grad_x, grad_w, grad_b = batchnorm_backward(
            grad_out, self.weight, self._cache, axis=self._axes
        )
        self._store_grads(grad_w, grad_b)
        return grad_x


class Residual(Layer):
    r"""A residual block: :math:`y = x + f(x)`, with :math:`f` the given layers in sequence.

    The identity path carries the gradient past :math:`f` unchanged,
    :math:`\partial J/\partial x = \bar y + f'(x)^\top \bar y`. Where a normalization layer
    sits relative to the sum matters: *post-LN*, ``Residual(...), LayerNorm(d)``, normalizes
    after every sum (the original Transformer); *pre-LN*, ``Residual(LayerNorm(d), ...)``,
    normalizes only inside :math:`f` (Xiong et al., 2020 show why post-LN needs warmup).

    Examples
    --------
    >>> from companion.layers import Linear, ReLU
    >>> block = Residual(Linear(4, 4, seed=0), ReLU(), Linear(4, 4, seed=1))
    >>> x = np.ones((2, 4))
    >>> block.forward(x).shape, block.param_names
    ((2, 4), ('0.W', '0.b', '2.W', '2.b'))
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        self.inner = Sequential(*layers)
        self.layers = [self.inner]  # so that train() and eval() reach the layers inside
        self.params, self.grads = self.inner.params, self.inner.grads
        self.param_names = self.inner.param_names

    def __repr__(self) -> str:
        return "Residual(" + ", ".join(map(repr, self.inner.layers)) + ")"

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        y = x + self.inner.forward(x)
        self._out_shape, self._dtype = y.shape, y.dtype
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out = self._check_grad(grad_out)
        return grad_out + self.inner.backward(grad_out)
