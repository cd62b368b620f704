"""How the gradient flows back through a deep network: its norm at every layer.

One forward and one backward pass of a freshly initialized multilayer perceptron on a batch of
the spirals data give the gradient of the loss with respect to every weight matrix. How its
size changes from the last layer back to the first shows whether a deep network can learn:
with sigmoid it shrinks by a constant factor per layer (*vanishing gradients*); with zero
initialization it is exactly zero below the last layer. Chapter 3 tabulates it for every
depth, activation and initialization (and its explorer looks the table up).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .layers import ACTIVATIONS, INITS, Linear, mlp
from .losses import softmax_cross_entropy
from .toy_data import spirals

__all__ = ["DEPTHS", "ZERO", "gradient_norm_table", "layer_gradient_norms"]

#: The depths (numbers of linear layers) the explorer offers.
DEPTHS: tuple[int, ...] = tuple(range(2, 21))

#: Norms below this are round-off, not gradient: the explorer reports them as zero.
ZERO = 1e-14


def layer_gradient_norms(
    depth: int,
    activation: str,
    init: str,
    width: int = 32,
    n: int = 50,
    seed: int = 0,
) -> np.ndarray:
    r"""The norm of the loss's gradient with respect to each weight matrix, at initialization.

    Builds ``mlp([2, width, ..., width, 3])`` with ``depth`` linear layers, feeds it a batch of
    standardized spirals (``3 n`` points, 3 classes), and runs one forward and one backward
    pass of the softmax cross-entropy. Returns the Frobenius norms
    :math:`\lVert \partial J / \partial W_l \rVert` for :math:`l = 1, \dots, \text{depth}`
    (first layer first).

    Parameters
    ----------
    depth : int
        The number of linear layers, at least 2.
    activation : {"relu", "sigmoid", "tanh"}
    init : {"zeros", "xavier", "he"}
    width : int, default 32
        Units per hidden layer.
    n : int, default 50
        Spiral points per class.
    seed : int, default 0
        Seeds both the data and the weights.

    Returns
    -------
    numpy.ndarray
        Shape ``(depth,)``.

    Examples
    --------
    >>> norms = layer_gradient_norms(10, "sigmoid", "xavier")
    >>> bool(norms[0] < 1e-3 * norms[-1])   # the first layer's gradient has all but vanished
    True
    """
    if int(depth) < 2:
        raise ValueError(f"depth must be at least 2; got {depth!r}")
    x, labels = spirals(n, classes=3, seed=seed)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    model = mlp([2] + [width] * (depth - 1) + [3], activation=activation, init=init, seed=seed)
    _, dlogits = softmax_cross_entropy(model.forward(x), labels)
    model.backward(dlogits)
    return np.array([np.linalg.norm(layer.grads[0]) for layer in _linears(model)])


def _linears(model) -> list[Linear]:
    return [layer for layer in model.layers if isinstance(layer, Linear)]


def gradient_norm_table(
    depths: Iterable[int] = DEPTHS,
    activations: Iterable[str] = tuple(ACTIVATIONS),
    inits: Iterable[str] = INITS,
    **kwargs: Any,
) -> dict[tuple[int, str, str], np.ndarray]:
    """:func:`layer_gradient_norms` for every combination, keyed ``(depth, activation, init)``.

    ``kwargs`` (``width``, ``n``, ``seed``) are passed on.

    Examples
    --------
    >>> table = gradient_norm_table(depths=[2, 3], activations=["relu"], inits=["he"])
    >>> sorted(table), table[3, "relu", "he"].shape
    ([(2, 'relu', 'he'), (3, 'relu', 'he')], (3,))
    """
    return {
        (d, a, i): layer_gradient_norms(d, a, i, **kwargs)
        for d in depths
        for a in activations
        for i in inits
    }
