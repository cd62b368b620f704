r"""Small synthetic datasets generated on the spot: no download, exactly reproducible.

Interleaved spirals are the classic test for a small network: no straight line separates the
classes, so a linear model fails and a multilayer perceptron has to bend its boundary.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validate import finite_nonnegative_number

__all__ = ["spirals"]


def spirals(
    n: int = 100,
    classes: int = 3,
    noise: float = 0.2,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Points on ``classes`` interleaved spiral arms in the plane, one arm per class.

    Arm :math:`k` has points at radius :math:`r \in [0, 1]` and angle
    :math:`\phi = 4r + 2\pi k / K + \text{noise}\cdot\varepsilon`, with
    :math:`\varepsilon \sim \mathcal{N}(0, 1)`: the point is :math:`(r \sin\phi, r \cos\phi)`.

    Parameters
    ----------
    n : int, default 100
        Points per class.
    classes : int, default 3
        The number of arms (and classes), at least 2.
    noise : float, default 0.2
        Standard deviation of the angle's noise, in radians (0 for clean arms).
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    x : numpy.ndarray
        Shape ``(n * classes, 2)``, float64, grouped by class.
    labels : numpy.ndarray
        Shape ``(n * classes,)``, int64: the class of each point.

    Raises
    ------
    TypeError, ValueError
        If ``n`` or ``classes`` is not a positive integer (``classes`` at least 2) or
        ``noise`` is negative.

    Examples
    --------
    >>> x, labels = spirals(50, classes=3, seed=0)
    >>> x.shape, labels.shape, sorted(set(labels.tolist()))
    ((150, 2), (150,), [0, 1, 2])
    """
    for value, name, least in ((n, "n", 1), (classes, "classes", 2)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer; got {type(value).__name__} {value!r}")
        if value < least:
            raise ValueError(f"{name} must be at least {least}; got {value!r}")
    noise = finite_nonnegative_number(noise, "noise")
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.0, 1.0, n), classes)
    labels = np.repeat(np.arange(classes), n)
    angle = 4 * radius + 2 * np.pi * labels / classes + noise * rng.standard_normal(n * classes)
    x = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    return x, labels.astype(np.int64)
