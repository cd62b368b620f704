r"""Gradient clipping: cap the size of a step before the optimizer takes it (Chapter 9).

A deep network's gradient can now and then be huge — a *gradient explosion*: one step then
throws the parameters far from anywhere the loss was measured, and training diverges. Clipping
caps the gradient before the optimizer sees it (Pascanu et al., 2013).

- :func:`clip_grad_norm` rescales *all* gradients together, by one factor, when their total
  norm exceeds ``max_norm``: the direction of the step is kept, only its length is capped.
- :func:`clip_grad_value` clamps every entry to ``[-clip_value, clip_value]``: cheap, but it
  changes the direction (the large entries lose most).

Both work in place on the gradient arrays (``model.grads``), like PyTorch's
``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``, and are called between the
backward pass and ``opt.step(model.grads)``.

>>> import numpy as np
>>> grads = [np.array([3.0, 0.0]), np.array([4.0])]      # total 2-norm 5
>>> clip_grad_norm(grads, max_norm=1.0)                    # returns the norm before clipping
5.0
>>> [g.round(6) for g in grads]                            # now of norm 1, same direction
[array([0.6, 0. ]), array([0.8])]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._validate import positive_number

__all__ = ["clip_grad_norm", "clip_grad_value", "total_norm"]


def total_norm(grads: Sequence[np.ndarray], norm_type: float = 2.0) -> float:
    r"""The norm of all gradients together, as if they were one long vector:
    :math:`\big(\sum_i \lVert g_i\rVert_p^p\big)^{1/p}`, or the largest :math:`|g|` for
    :math:`p = \infty`."""
    grads = _check_grads(grads)
    p = _check_norm_type(norm_type)
    norms = [float(np.linalg.norm(g.ravel(), ord=p)) for g in grads]
    return float(np.linalg.norm(norms, ord=p)) if norms else 0.0


def clip_grad_norm(grads: Sequence[np.ndarray], max_norm: float, norm_type: float = 2.0) -> float:
    r"""Rescale the gradients in place so that their total norm is at most ``max_norm``.

    With :math:`N` the norm of all gradients together (:func:`total_norm`), every gradient
    is multiplied by

    .. math::

        c = \min\Big(1, \frac{\text{max\_norm}}{N + 10^{-6}}\Big),

    so the direction is kept and a step is never longer than the optimizer would take with a
    gradient of norm ``max_norm``. The :math:`10^{-6}` is PyTorch's (it keeps the division
    finite); it also makes a clipped norm a hair *below* ``max_norm``.

    Parameters
    ----------
    grads : list of numpy.ndarray
        Changed in place (e.g. ``model.grads``).
    max_norm : float
        Positive.
    norm_type : float, default 2.0
        :math:`p \ge 1`, or ``math.inf`` (the largest entry in absolute value).

    Returns
    -------
    float
        :math:`N`, the total norm *before* clipping (what to log to see explosions).

    Raises
    ------
    TypeError, ValueError
        If ``grads`` is not a list of float arrays, or ``max_norm`` or ``norm_type`` is out of
        range.

    Examples
    --------
    >>> g = [np.array([1.0, -2.0])]
    >>> clip_grad_norm(g, max_norm=1.0, norm_type=math.inf), g[0].round(6)
    (2.0, array([ 0.5, -1. ]))
    """
    max_norm = positive_number(max_norm, "max_norm")
    norm = total_norm(grads, norm_type)
    scale = min(1.0, max_norm / (norm + 1e-6))
    if scale < 1.0:  # at 1.0 PyTorch multiplies by 1: nothing changes
        for g in grads:
            g *= scale
    return norm


def clip_grad_value(grads: Sequence[np.ndarray], clip_value: float) -> None:
    r"""Clamp every gradient entry to :math:`[-c, c]` in place, :math:`c` = ``clip_value``.

    Examples
    --------
    >>> g = [np.array([0.5, -3.0, 10.0])]
    >>> clip_grad_value(g, 1.0)
    >>> g[0]
    array([ 0.5, -1. ,  1. ])
    """
    clip_value = positive_number(clip_value, "clip_value")
    for g in _check_grads(grads):
        np.clip(g, -clip_value, clip_value, out=g)


def _check_grads(grads: object) -> list[np.ndarray]:
    if isinstance(grads, np.ndarray) or not isinstance(grads, Sequence):
        raise TypeError(
            "grads must be a list of gradient arrays (e.g. model.grads); "
            f"got {type(grads).__name__}"
        )
    for i, g in enumerate(grads):
        if not isinstance(g, np.ndarray) or g.dtype not in (np.float32, np.float64):
            raise TypeError(f"grads[{i}] must be a float32 or float64 NumPy array; got {g!r}")
    return list(grads)


def _check_norm_type(norm_type: object) -> float:
    p = positive_number(norm_type, "norm_type") if norm_type != math.inf else math.inf
    if p < 1:
        raise ValueError(f"norm_type must be at least 1 (or math.inf); got {norm_type!r}")
    return p
