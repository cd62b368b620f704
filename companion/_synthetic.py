r"""Seeded synthetic data sets: a regression problem with a known optimum, and small
classification sets in the plane. Re-exported by :mod:`companion.data`, where readers import
them.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, finite_nonnegative_number, positive_int
from .surfaces import Quadratic

__all__ = ["RegressionData", "blobs", "linear_regression", "two_moons"]

Seed = int | np.random.Generator | None


# --- a regression problem with a known optimum ------------------------------------------------


class RegressionData(NamedTuple):
    r"""A least-squares problem with its exact answer (see :func:`linear_regression`).

    Attributes
    ----------
    X : numpy.ndarray, shape (n, d)
        The inputs (no intercept column).
    y : numpy.ndarray, shape (n,)
        The targets.
    theta_true : numpy.ndarray, shape (d,)
        The weights the targets were generated with.
    theta_star : numpy.ndarray, shape (d,)
        The minimizer of the loss on *this* sample, :math:`\theta^*` (the least-squares
        solution; it differs from ``theta_true`` because of the noise).
    min_loss : float
        :math:`J^* = J(\theta^*)`.
    surface : companion.surfaces.Quadratic
        The loss as a surface: :math:`J(\theta) = \tfrac12(\theta - \theta^*)^\top H
        (\theta - \theta^*) + J^*` with :math:`H = X^\top X / n`, for contour plots and
        :math:`J(\theta) - J^*` along whole paths at once.
    """

    X: np.ndarray
    y: np.ndarray
    theta_true: np.ndarray
    theta_star: np.ndarray
    min_loss: float
    surface: Quadratic

    def loss(self, theta: np.ndarray) -> float | np.ndarray:
        r""":math:`J(\theta) = \frac{1}{2n}\lVert X\theta - y\rVert^2`; vectorised over leading
        axes of ``theta`` (a whole path at once)."""
        return self.surface.f(theta)

    def gradient(self, theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        r"""The gradient of the loss on the examples ``(X, y)`` — a mini-batch or all of them:
        :math:`\frac{1}{|\mathcal B|} X_{\mathcal B}^\top (X_{\mathcal B}\theta - y_{\mathcal B})`.
        """
        return X.T @ (X @ theta - y) / len(X)

    def per_example_gradients(self, theta: np.ndarray) -> np.ndarray:
        r"""Every example's own gradient :math:`g_i = x_i (x_i^\top \theta - y_i)`, one row each:
        shape ``(n, d)``. Their mean is the full gradient."""
        return self.X * (self.X @ theta - self.y)[:, None]


def linear_regression(
    n: int = 1000,
    theta_true: tuple[float, ...] = (2.0, -1.0),
    noise: float = 0.5,
    correlation: float = 0.6,
    seed: Seed = 0,
) -> RegressionData:
    r"""A linear regression problem whose least-squares optimum is known exactly.

    The inputs are Gaussian with unit variances and correlation ``correlation`` between every
    pair of features (which elongates the loss's bowl); the targets are
    :math:`y_i = x_i^\top \theta_{\text{true}} + \varepsilon_i` with
    :math:`\varepsilon_i \sim \mathcal N(0, \text{noise}^2)`. The loss is the mean squared
    error of Chapter 2,

    .. math::

        J(\theta) = \frac{1}{2n}\lVert X\theta - y\rVert^2, \qquad
        \theta^* = (X^\top X)^{-1} X^\top y,

    and :math:`\theta^*` is computed by least squares, so any optimizer's distance to it is
    exact.

    Parameters
    ----------
    n : int, default 1000
        Number of examples (at least the number of features).
    theta_true : sequence of float, default (2.0, -1.0)
        The true weights; their number is the number of features :math:`d`.
    noise : float, default 0.5
        Standard deviation of the targets' noise (0 for none).
    correlation : float, default 0.6
        Correlation between features, in :math:`(-1/(d-1), 1)`.
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    RegressionData

    Examples
    --------
    >>> data = linear_regression(n=500, seed=0)
    >>> data.X.shape, np.round(data.theta_star, 1)
    ((500, 2), array([ 2., -1.]))
    >>> bool(np.allclose(data.gradient(data.theta_star, data.X, data.y), 0))
    True
    """
    theta = as_float_array(theta_true, "theta_true", allow_int=True).reshape(-1)
    d = theta.size
    n = positive_int(n, "n")
    if n < d:
        raise ValueError(f"n must be at least the number of features {d}; got {n}")
    noise = finite_nonnegative_number(noise, "noise")
    if not isinstance(correlation, numbers.Real) or not (-1.0 / max(d - 1, 1) < correlation < 1.0):
        raise ValueError(
            f"correlation must lie in (-1/(d-1), 1) = ({-1 / max(d - 1, 1):.3g}, 1); "
            f"got {correlation!r}"
        )
    rng = np.random.default_rng(seed)
    covariance = np.full((d, d), float(correlation)) + (1.0 - correlation) * np.eye(d)
    X = rng.standard_normal((n, d)) @ np.linalg.cholesky(covariance).T
    y = X @ theta + noise * rng.standard_normal(n)
    theta_star = np.linalg.lstsq(X, y, rcond=None)[0]
    residual = X @ theta_star - y
    min_loss = float(residual @ residual) / (2 * n)
    span = np.abs(theta).max() + 2.0
    surface = Quadratic(
        X.T @ X / n,
        center=theta_star,
        offset=min_loss,
        name="least squares",
        bounds=tuple((c - span, c + span) for c in theta_star),
        start=theta_star - np.sign(theta_star + 1e-12) * 0.8 * span,
    )
    return RegressionData(X, y, theta, theta_star, min_loss, surface)


# --- classification sets in the plane ---------------------------------------------------------


def two_moons(
    n: int = 200, noise: float = 0.15, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaving half circles, one per class (like scikit-learn's ``make_moons``).

    Class 0 lies on :math:`(\cos t, \sin t)` and class 1 on :math:`(1 - \cos t,\ \tfrac12 -
    \sin t)` for :math:`t \in [0, \pi]`, with Gaussian noise of standard deviation ``noise``
    added to every coordinate. No straight line separates them.

    Parameters
    ----------
    n : int, default 200
        Total number of points (class 0 gets the extra one if ``n`` is odd).
    noise : float, default 0.15
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    X : numpy.ndarray, shape (n, 2)
    y : numpy.ndarray of int64, shape (n,)
        The class, 0 or 1.

    Examples
    --------
    >>> X, y = two_moons(7, seed=0)
    >>> X.shape, y.tolist()
    ((7, 2), [0, 0, 0, 0, 1, 1, 1])
    """
    n = positive_int(n, "n")
    noise = finite_nonnegative_number(noise, "noise")
    rng = np.random.default_rng(seed)
    n0 = n - n // 2
    t0, t1 = np.linspace(0.0, np.pi, n0), np.linspace(0.0, np.pi, n // 2)
    X = np.concatenate(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)]),
        ]
    )
    X += noise * rng.standard_normal(X.shape)
    y = np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n // 2, dtype=np.int64)])
    return X, y


def blobs(
    n: int = 100,
    centers: np.ndarray | int = 3,
    std: float = 1.0,
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Gaussian clouds of points, one per class.

    Class :math:`k` is :math:`\mathcal N(c_k, \text{std}^2 I)` around its center :math:`c_k`.

    Parameters
    ----------
    n : int, default 100
        Points per class.
    centers : int or array_like of shape (k, d), default 3
        The centers; an integer :math:`k` places :math:`k` centers evenly on a circle of
        radius 3 in the plane.
    std : float, default 1.0
        Standard deviation of each cloud.
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    X : numpy.ndarray, shape (n k, d)
        Grouped by class.
    y : numpy.ndarray of int64, shape (n k,)

    Examples
    --------
    >>> X, y = blobs(4, centers=[[0.0, 0.0], [5.0, 5.0]], std=0.1, seed=0)
    >>> X.shape, y.tolist(), np.round(X[y == 1].mean(axis=0))
    ((8, 2), [0, 0, 0, 0, 1, 1, 1, 1], array([5., 5.]))
    """
    n = positive_int(n, "n")
    std = finite_nonnegative_number(std, "std")
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = positive_int(centers, "centers")
        angle = 2 * np.pi * np.arange(k) / k
        centers = 3.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    centers = as_float_array(centers, "centers", allow_int=True)
    if centers.ndim != 2 or len(centers) == 0:
        raise ValueError(f"centers must have shape (k, d); got {centers.shape}")
    rng = np.random.default_rng(seed)
    X = np.repeat(centers, n, axis=0) + std * rng.standard_normal(
        (n * len(centers), centers.shape[1])
    )
    y = np.repeat(np.arange(len(centers), dtype=np.int64), n)
    return X, y
