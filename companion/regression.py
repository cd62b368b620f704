r"""Linear and logistic regression as losses for gradient descent (Chapter 2).

Gradient descent is not only for neural networks: the same loop fits a straight line
through data. This module gives the two classic losses with their gradients, a small
synthetic housing data set whose features live on very different scales, and the two
feature transformations that fix those scales: standardization and PCA whitening.

With :math:`X` the :math:`n \times d` design matrix (one row per example) and
:math:`\theta` the :math:`d` weights:

- least squares, :math:`J(\theta) = \frac{1}{2n}\|X\theta - y\|^2`, whose Hessian is the
  constant :math:`H = X^\top X / n`: the loss *is* a quadratic bowl;
- logistic regression, :math:`J(\theta) = \frac1n \sum_i \big[\log(1 + e^{z_i}) - y_i z_i\big]`
  with :math:`z = X\theta` and labels :math:`y_i \in \{0, 1\}`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ._validate import as_float_array, as_rng, positive_int
from .data import _mean_and_std_without_overflow

__all__ = [
    "HousingData",
    "add_intercept",
    "least_squares",
    "logistic",
    "logistic_newton",
    "make_housing",
    "sigmoid",
    "standardize",
    "whiten",
]


class HousingData(NamedTuple):
    """A synthetic housing data set (see :func:`make_housing`).

    ``weights`` are the true coefficients the prices were generated with: the intercept,
    then one per feature (in k€ per unit of the feature).
    """

    X: np.ndarray
    y: np.ndarray
    features: tuple[str, ...]
    target: str
    weights: np.ndarray


#: The true price model of :func:`make_housing`: intercept, then k€ per m², per room, per
#: year of age and per km of distance; and the standard deviation of the noise.
HOUSING_WEIGHTS = (40.0, 2.4, 9.0, -0.9, -5.0)
HOUSING_NOISE = 25.0


def make_housing(n: int = 200, seed: int | np.random.Generator | None = 0) -> HousingData:
    r"""House prices from four features on very different scales — generated, not downloaded.

    Features (columns of ``X``): living area in m² (about 110 ± 35), number of rooms (1–9,
    strongly correlated with the area), age in years (0–80) and distance to the city centre
    in km (skewed, mostly under 20). The price in thousands of euros is

    .. math::

        y = 40 + 2.4\,\text{area} + 9\,\text{rooms} - 0.9\,\text{age} - 5\,\text{distance}
            + \varepsilon, \qquad \varepsilon \sim \mathcal N(0, 25^2).

    The scales make the least-squares bowl extremely elongated unless the features are
    standardized; the area–rooms correlation leaves some elongation even then.

    Parameters
    ----------
    n : int, default 200
        Number of houses.
    seed : int or numpy.random.Generator, optional
        Makes the data reproducible (0 by default).

    Returns
    -------
    HousingData
        ``X`` of shape ``(n, 4)``, ``y`` of shape ``(n,)``, the feature names with units, the
        target's name and the true ``weights`` (intercept first).

    Examples
    --------
    >>> data = make_housing(n=5)
    >>> data.X.shape, data.features[0]
    ((5, 4), 'area (m²)')
    """
    if int(n) < 2:
        raise ValueError(f"n must be at least 2; got {n!r}")
    rng = as_rng(seed)
    n = int(n)
    area = np.clip(rng.normal(110.0, 35.0, n), 30.0, 300.0)
    rooms = np.clip(np.round(area / 28.0 + rng.normal(0.0, 0.7, n)), 1.0, 9.0)
    age = rng.uniform(0.0, 80.0, n)
    distance = rng.gamma(2.0, 4.0, n)
    X = np.column_stack([area, rooms, age, distance])
    weights = np.array(HOUSING_WEIGHTS)
    y = weights[0] + X @ weights[1:] + rng.normal(0.0, HOUSING_NOISE, n)
    features = ("area (m²)", "rooms", "age (years)", "distance (km)")
    return HousingData(X=X, y=y, features=features, target="price (k€)", weights=weights)


def add_intercept(X: np.ndarray) -> np.ndarray:
    """``X`` with a first column of ones, so that ``theta[0]`` is the intercept.

    Examples
    --------
    >>> add_intercept(np.array([[2.0], [3.0]]))
    array([[1., 2.],
           [1., 3.]])
    """
    X = _design(X)
    return np.column_stack([np.ones(len(X)), X])


def standardize(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Rescale every feature (column) to mean 0 and standard deviation 1.

    .. math:: z_{ij} = \frac{x_{ij} - m_j}{s_j},

    with :math:`m_j` and :math:`s_j` the mean and the (population, ``ddof=0``) standard
    deviation of column :math:`j`. Keep ``mean`` and ``std``: new data must be transformed
    with the *training* statistics.

    Returns
    -------
    Z, mean, std : numpy.ndarray
        The standardized features and the statistics used.

    Raises
    ------
    ValueError
        If a column is constant (its standard deviation is 0).

    Examples
    --------
    >>> Z, mean, std = standardize(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> Z
    array([[-1., -1.],
           [ 1.,  1.]])
    """
    X = _design(X)
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = X.mean(axis=0), X.std(axis=0)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std))):
        mean, std = _mean_and_std_without_overflow(X)
    if np.any(std == 0):
        raise ValueError(f"X has constant columns {np.flatnonzero(std == 0).tolist()}")
    with np.errstate(over="ignore", invalid="ignore"):
        standardized = (X - mean) / std
    if not np.all(np.isfinite(standardized)):  # X - mean overflowed: scale X first
        c = np.max(np.abs(X), axis=0)
        standardized = (X / c - mean / c) / (std / c)
    return standardized, mean, std


def whiten(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""PCA whitening: centre, rotate onto the principal axes, scale each axis to variance 1.

    With :math:`C = \frac1n (X - m)^\top (X - m) = V \Lambda V^\top` the covariance,
    :math:`W = (X - m)\, V \Lambda^{-1/2}` has covariance exactly :math:`I`: the features are
    decorrelated as well as rescaled.

    Returns
    -------
    W, mean, transform : numpy.ndarray
        The whitened features, the column means and the :math:`d \times d` matrix
        :math:`V\Lambda^{-1/2}` (so ``W = (X - mean) @ transform``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> W, _, _ = whiten(rng.normal(size=(100, 3)) @ [[1, 2, 0], [0, 1, 0], [0, 0, 9]])
    >>> np.allclose(W.T @ W / 100, np.eye(3))
    True
    """
    X = _design(X)
    mean = X.mean(axis=0)
    centred = X - mean
    variances, axes = np.linalg.eigh(centred.T @ centred / len(X))
    if variances[0] <= 1e-12 * variances[-1]:
        raise ValueError("the features are (nearly) linearly dependent: cannot whiten")
    transform = axes / np.sqrt(variances)
    return centred @ transform, mean, transform


def least_squares(
    X: np.ndarray, y: np.ndarray
) -> tuple[Callable[[np.ndarray], float], Callable[[np.ndarray], np.ndarray]]:
    r"""The mean-squared-error loss of a linear model and its gradient, functions of :math:`\theta`.

    .. math::

        J(\theta) = \frac{1}{2n} \|X\theta - y\|^2, \qquad
        \nabla J(\theta) = \frac1n X^\top (X\theta - y).

    Parameters
    ----------
    X : array_like, shape (n, d)
        The design matrix (add a column of ones for an intercept: :func:`add_intercept`).
    y : array_like, shape (n,)
        The targets.

    Returns
    -------
    loss, grad : callable
        ``loss(theta)`` is a float, ``grad(theta)`` an array of shape ``(d,)``.

    Examples
    --------
    >>> J, dJ = least_squares(np.array([[1.0], [2.0]]), np.array([2.0, 4.0]))
    >>> J(np.array([2.0])), dJ(np.array([0.0]))
    (0.0, array([-5.]))
    """
    X, y = _design(X), _targets(y, X)
    n = len(X)

    def loss(theta: np.ndarray) -> float:
        residual = X @ theta - y
        return float(residual @ residual) / (2 * n)

    def grad(theta: np.ndarray) -> np.ndarray:
        return X.T @ (X @ theta - y) / n

    return loss, grad


def sigmoid(z: np.ndarray) -> np.ndarray:
    r"""The logistic function :math:`\sigma(z) = 1/(1 + e^{-z})`, without overflow.

    Examples
    --------
    >>> sigmoid(np.array([-800.0, 0.0, 800.0]))
    array([0. , 0.5, 1. ])
    """
    z = as_float_array(z, "z", allow_int=True).astype(np.float64, copy=False)
    return np.exp(-np.logaddexp(0.0, -z))


def logistic(
    X: np.ndarray, y: np.ndarray
) -> tuple[Callable[[np.ndarray], float], Callable[[np.ndarray], np.ndarray]]:
    r"""The logistic-regression loss (mean cross-entropy) and its gradient.

    With :math:`z = X\theta` and :math:`p = \sigma(z)` the predicted probabilities,

    .. math::

        J(\theta) = \frac1n \sum_i \big[\log(1 + e^{z_i}) - y_i z_i\big], \qquad
        \nabla J(\theta) = \frac1n X^\top (p - y).

    :math:`J` is convex, so a point where :math:`\nabla J = 0` is the global minimum.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like of {0, 1}, shape (n,)

    Returns
    -------
    loss, grad : callable

    Examples
    --------
    >>> J, dJ = logistic(np.array([[1.0], [-1.0]]), np.array([1.0, 0.0]))
    >>> round(J(np.zeros(1)), 6), dJ(np.zeros(1))
    (0.693147, array([-0.5]))
    """
    X, y = _design(X), _targets(y, X)
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must contain only the labels 0 and 1")
    n = len(X)

    def loss(theta: np.ndarray) -> float:
        z = X @ theta
        return float(np.mean(np.logaddexp(0.0, z) - y * z))

    def grad(theta: np.ndarray) -> np.ndarray:
        return X.T @ (sigmoid(X @ theta) - y) / n

    return loss, grad


def logistic_newton(X: np.ndarray, y: np.ndarray, steps: int = 30) -> np.ndarray:
    r"""A reference answer for logistic regression: Newton's method from :math:`\theta = 0`.

    Each step solves :math:`H\,\delta = \nabla J` with the Hessian
    :math:`H = \frac1n X^\top \mathrm{diag}(p(1-p))\, X` and sets
    :math:`\theta \leftarrow \theta - \delta`. On a small, non-separable problem it reaches
    machine precision in a handful of steps (Chapter 8 explains why it is not used for
    networks). Used here only to check gradient descent's answer.

    Examples
    --------
    >>> X = add_intercept(np.array([[-2.0], [-1.0], [0.5], [1.0], [2.0]]))
    >>> theta = logistic_newton(X, np.array([0.0, 1.0, 0.0, 1.0, 1.0]))
    >>> bool(np.abs(logistic(X, np.array([0.0, 1.0, 0.0, 1.0, 1.0]))[1](theta)).max() < 1e-12)
    True
    """
    X, y = _design(X), _targets(y, X)
    _, grad = logistic(X, y)
    theta = np.zeros(X.shape[1])
    for _ in range(positive_int(steps, "steps")):
        p = sigmoid(X @ theta)
        hessian = X.T @ (X * (p * (1 - p))[:, None]) / len(X)
        theta = theta - np.linalg.solve(hessian, grad(theta))
    return theta


def _design(X: object) -> np.ndarray:
    X = as_float_array(X, "X", allow_int=True)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a 2-D array (examples x features); got shape {X.shape}")
    return X.astype(np.float64)


def _targets(y: object, X: np.ndarray) -> np.ndarray:
    y = as_float_array(y, "y", allow_int=True).astype(np.float64)
    if y.shape != (len(X),):
        raise ValueError(f"y must have shape ({len(X)},) to match X; got {y.shape}")
    return y
