"""The :class:`Surface` every test surface is (re-exported by :mod:`companion.surfaces`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validate import positive_number

__all__ = ["Bounds", "Surface"]

Bounds = tuple[tuple[float, float], ...]


class Surface:
    r"""A loss :math:`J(\theta)` with its exact gradient, its minima and a window to draw it in.

    Parameters
    ----------
    name : str
        Short name, e.g. ``"rosenbrock"``.
    formula : str
        :math:`J(\theta)` in LaTeX, for titles and readouts.
    value : callable
        Vectorised :math:`J`: maps an array of shape ``(..., dim)`` to shape ``(...)``.
    gradient : callable
        Vectorised :math:`\nabla J`: maps shape ``(..., dim)`` to ``(..., dim)``.
    minima : array_like, shape (k, dim)
        Every local minimum, the global one(s) first.
    bounds : sequence of (low, high), one per coordinate
        The window figures show.
    start : array_like, shape (dim,)
        A start point that shows the surface's character.
    lr : float
        A learning rate that works from ``start`` (a good default for the explorer).
    saddles : array_like, shape (m, dim), optional
        Saddle points (stationary points that are not minima), if any.

    Attributes
    ----------
    dim : int
        The number of coordinates of :math:`\theta`.
    min_value : float
        :math:`J` at the global minimum.
    """

    def __init__(
        self,
        name: str,
        formula: str,
        value: Callable[[np.ndarray], np.ndarray],
        gradient: Callable[[np.ndarray], np.ndarray],
        minima: np.ndarray,
        bounds: Bounds,
        start: np.ndarray,
        lr: float,
        saddles: np.ndarray | None = None,
    ) -> None:
        self.name, self.formula = name, formula
        self._value, self._gradient = value, gradient
        self.minima = np.atleast_2d(np.asarray(minima, dtype=np.float64))
        self.dim = self.minima.shape[1]
        self.saddles = (
            np.empty((0, self.dim)) if saddles is None else np.atleast_2d(saddles).astype(float)
        )
        self.bounds: Bounds = tuple((float(lo), float(hi)) for lo, hi in bounds)
        self.start = np.asarray(start, dtype=np.float64).reshape(self.dim)
        self.lr = positive_number(lr, "lr")
        self.min_value = float(np.min(self._value(self.minima)))

    def _points(self, theta: object) -> np.ndarray:
        points = np.asarray(theta, dtype=np.float64)
        if points.ndim == 0 or points.shape[-1] != self.dim:
            raise ValueError(
                f"theta must have shape ({self.dim},) or (..., {self.dim}) for the {self.name} "
                f"surface; got shape {points.shape}"
            )
        return points

    def f(self, theta: np.ndarray) -> float | np.ndarray:
        """:math:`J(\\theta)`: a float for one point, an array for many (last axis: coordinates)."""
        value = self._value(self._points(theta))
        return float(value) if np.ndim(value) == 0 else value

    def grad(self, theta: np.ndarray) -> np.ndarray:
        """:math:`\\nabla J(\\theta)`, shaped like ``theta``."""
        return self._gradient(self._points(theta))

    __call__ = f

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``X, Y, Z``: the surface on an ``n`` by ``n`` grid over its bounds (2-D only)."""
        if self.dim != 2:
            raise ValueError(f"grid needs a 2-D surface; {self.name} has dim {self.dim}")
        (x_lo, x_hi), (y_lo, y_hi) = self.bounds
        X, Y = np.meshgrid(np.linspace(x_lo, x_hi, n), np.linspace(y_lo, y_hi, n))
        with np.errstate(over="ignore"):
            Z = self._value(np.stack([X, Y], axis=-1))
        return X, Y, Z

    def nearest(self, theta: np.ndarray) -> tuple[str, np.ndarray, float]:
        """The known stationary point closest to ``theta``: ``(kind, point, distance)``.

        ``kind`` is ``"minimum"`` or ``"saddle"``.
        """
        theta = self._points(theta).reshape(self.dim)
        candidates = [("minimum", m) for m in self.minima] + [("saddle", s) for s in self.saddles]
        distances = [float(np.linalg.norm(theta - point)) for _, point in candidates]
        i = int(np.argmin(distances))
        return candidates[i][0], candidates[i][1], distances[i]

    def __repr__(self) -> str:
        return f"<Surface {self.name}: dim {self.dim}, {len(self.minima)} minima>"
