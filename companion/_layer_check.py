r"""Gradient checks of layers and of whole models, by Chapter 1's finite differences.
Re-exported by :mod:`companion.layers`, where readers import them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ._validate import as_float_array, as_rng
from .gradients import GradientCheckResult, gradient_check, numerical_gradient

__all__ = ["check_layer", "numerical_param_grads"]

Layer = Any  # a layer of companion.layers: forward, backward, params, grads, param_names


def check_layer(
    layer: Layer,
    x: np.ndarray,
    seed: int | np.random.Generator | None = None,
    h: float | None = None,
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
    h : float, optional
        The finite-difference step; by default :func:`~companion.gradients.gradient_check`'s,
        which suits ``x``'s dtype (:func:`~companion.gradients.default_step`).

    Returns
    -------
    dict of str to GradientCheckResult
        ``"x"`` and one entry per parameter name (``"W"``, ``"b"``, ``"0.W"``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from companion.layers import Linear
    >>> results = check_layer(Linear(3, 2, seed=0), np.ones((4, 3)), seed=1)
    >>> {name: r.verdict for name, r in results.items()}
    {'x': 'correct', 'W': 'correct', 'b': 'correct'}
    """
    missing = [a for a in ("forward", "backward", "params", "grads") if not hasattr(layer, a)]
    if missing:
        raise TypeError(
            f"layer must be a layer of companion.layers (forward, backward, params, grads); "
            f"got {type(layer).__name__}, which has no {', '.join(missing)}"
        )
    x = as_float_array(x, "x")
    rng = as_rng(seed)
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
    >>> from companion.layers import Linear
    >>> from companion.losses import mse
    >>> layer = Linear(2, 1, seed=0)
    >>> x, target = np.array([[1.0, 2.0]]), np.array([[0.5]])
    >>> numerical = numerical_param_grads(lambda: mse(layer.forward(x), target)[0], layer.params)
    >>> _, dpred = mse(layer.forward(x), target)
    >>> _ = layer.backward(dpred)
    >>> all(np.allclose(n, g) for n, g in zip(numerical, layer.grads))
    True
    """
    if not callable(f):
        raise TypeError(f"f must be a function of no arguments that returns the loss; got {f!r}")
    if (
        isinstance(params, np.ndarray)
        or not isinstance(params, Iterable)
        or not all(isinstance(p, np.ndarray) for p in params)
    ):
        raise TypeError(
            f"params must be a list of numpy arrays, such as model.params; got {params!r:.60}"
        )
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
