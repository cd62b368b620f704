"""Machinery of :class:`companion.layers.Sequential` that the lesson never shows.

- **One flat array.** An :func:`~companion.layers.mlp`'s parameters (and gradients) can live in
  one flat array of which every layer's ``W`` and ``b`` are views, so an optimizer can update
  the whole model as one array (faster for small layers than a step per array).
- **The finiteness fast path.** Inside a network the arrays between layers are the network's
  own: a layer's input is the previous layer's output, its ``grad_out`` the next layer's
  gradient. Their dtypes are right by construction, and they stop being finite only when
  training diverges (a hidden layer overflows), which ``fit`` and ``lr_range_test`` detect from
  the outputs and report as divergence, not as a user's bad input. So while a ``Sequential``
  runs its layers, they skip the finiteness test on these arrays (the ``Sequential`` has tested
  its own input and ``grad_out``); that also saves a pass over every activation, every step.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._validate import FLOAT_DTYPES, is_finite_float_array

_NETWORK_ARRAYS = contextvars.ContextVar("network_arrays", default=False)


class network_arrays:
    """``with network_arrays():`` the layers called inside take arrays the network computed."""

    def __enter__(self) -> None:
        self._token = _NETWORK_ARRAYS.set(True)

    def __exit__(self, *exc_info: object) -> None:
        _NETWORK_ARRAYS.reset(self._token)


def usable(array: object) -> bool:
    """Whether a layer can take ``array`` as it is: a finite float32/float64 ndarray, or inside
    a network (see :class:`network_arrays`) any float32/float64 ndarray."""
    if _NETWORK_ARRAYS.get():
        return type(array) is np.ndarray and array.dtype in FLOAT_DTYPES
    return is_finite_float_array(array)


def flatten(layers: Sequence[Any], sharable: type) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Copy the layers' parameters and gradients into two flat arrays and give each layer
    views of its parts instead; ``(None, None)`` if the layers cannot share them (a
    parameterized layer that is not of type ``sharable``, mixed dtypes, a layer used twice)."""
    owners = [layer for layer in layers if layer.params]
    params = [p for layer in owners for p in layer.params]
    if (
        not params
        or not all(type(layer) is sharable for layer in owners)
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
