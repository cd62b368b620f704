r"""Stochastic gradient descent on one parameter vector, and how noisy its gradient is.

The part of Chapter 4 that needs no model: :func:`minibatch_sgd` records the whole noisy path
of :math:`\theta` (for pictures and timing) and :func:`gradient_noise` measures the variance of
the mini-batch gradient against :math:`B`. Both are re-exported by :mod:`companion.training`,
where readers import them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._validate import as_float_array, positive_int, positive_number
from .data import batch_indices, minibatches, num_batches

__all__ = ["GradientNoise", "SGDRun", "gradient_noise", "minibatch_sgd"]

# --- SGD on one parameter vector ---------------------------------------------------------------


@dataclass(frozen=True)
class SGDRun:
    r"""What :func:`minibatch_sgd` did.

    Attributes
    ----------
    path : numpy.ndarray, shape (steps + 1, d)
        :math:`\theta` before the first step and after every step. Always finite.
    seconds : numpy.ndarray, shape (steps + 1,)
        Wall-clock time spent in the loop up to each point of ``path`` (0 at the start).
    steps_per_epoch : int
        :math:`\lceil n/B \rceil`.
    status : {"completed", "diverged"}
    message : str
    lr : float
    batch_size : int
    """

    path: np.ndarray
    seconds: np.ndarray
    steps_per_epoch: int
    status: str
    message: str
    lr: float
    batch_size: int

    @property
    def steps(self) -> int:
        return len(self.path) - 1

    @property
    def epochs(self) -> np.ndarray:
        """The epoch count at every point of ``path`` (fractional inside an epoch)."""
        return np.arange(len(self.path)) / self.steps_per_epoch

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"


def minibatch_sgd(
    grad: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    theta0: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    lr: float,
    batch_size: int,
    epochs: int,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    blowup: float = 1e6,
) -> SGDRun:
    r"""Mini-batch stochastic gradient descent on one parameter vector, recording the path.

    Every epoch shuffles the examples and cuts them into :math:`\lceil n/B \rceil` batches
    (:func:`companion.data.minibatches`); every batch gives one step

    .. math::

        \theta \leftarrow \theta - \eta\, \hat g(\theta; \mathcal B).

    ``batch_size=1`` is single-example (online) SGD; ``batch_size=n`` is full-batch gradient
    descent. The run stops early, without raising, if :math:`\theta` stops being finite or
    moves more than ``blowup`` times :math:`1 + \lVert\theta_0\rVert` from its start.

    Parameters
    ----------
    grad : callable
        ``grad(theta, X_batch, y_batch)``: the mean gradient over a batch, shaped like
        ``theta``.
    theta0 : array_like of float, shape (d,)
        The start. Never modified.
    X, y : array_like
        The examples, one row each.
    lr : float
        :math:`\eta > 0`.
    batch_size : int
        :math:`B`.
    epochs : int
        Passes over the data.
    shuffle : bool, default True
    seed : int or numpy.random.Generator, optional
        One generator gives every epoch a new order, reproducibly.
    blowup : float, default 1e6

    Returns
    -------
    SGDRun

    Examples
    --------
    >>> from companion.data import linear_regression
    >>> data = linear_regression(n=200, seed=0)
    >>> run = minibatch_sgd(data.gradient, [0.0, 0.0], data.X, data.y, lr=0.3,
    ...                     batch_size=20, epochs=5, seed=0)
    >>> run.steps, run.steps_per_epoch
    (50, 10)
    >>> bool(data.loss(run.path[-1]) - data.min_loss < 1e-2)
    True
    """
    theta = as_float_array(theta0, "theta0", allow_int=True).astype(np.float64).copy()
    X, y = np.asarray(X), np.asarray(y)
    lr = positive_number(lr, "lr")
    epochs = positive_int(epochs, "epochs")
    blowup = positive_number(blowup, "blowup")
    steps_per_epoch = num_batches(len(X), batch_size)  # also checks batch_size
    rng = np.random.default_rng(seed)
    limit = blowup * (1.0 + float(np.linalg.norm(theta)))

    path, seconds = [theta.copy()], [0.0]
    status, message = "completed", f"{epochs} epochs of {steps_per_epoch} steps"
    elapsed, start = 0.0, time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            for X_batch, y_batch in minibatches(X, y, batch_size, shuffle, seed=rng):
                theta = theta - lr * grad(theta, X_batch, y_batch)  # the step
                elapsed = time.perf_counter() - start
                if not (np.all(np.isfinite(theta)) and np.linalg.norm(theta - path[0]) < limit):
                    status = "diverged"
                    message = f"θ blew up at step {len(path)} (epoch {epoch + 1}); η = {lr:g}"
                    break
                path.append(theta)
                seconds.append(elapsed)
            if status == "diverged":
                break
    return SGDRun(
        path=np.array(path),
        seconds=np.array(seconds),
        steps_per_epoch=steps_per_epoch,
        status=status,
        message=message,
        lr=lr,
        batch_size=int(batch_size),
    )


# --- gradient noise ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GradientNoise:
    r"""The variance of the mini-batch gradient, measured for several batch sizes.

    Attributes
    ----------
    batch_sizes : numpy.ndarray of int
    variance : numpy.ndarray
        Measured :math:`\mathbb E\,\lVert \hat g_B - \nabla J \rVert^2` for each batch size.
    per_example_variance : float
        :math:`\sigma^2 = \frac1n \sum_i \lVert \nabla J_i - \nabla J \rVert^2`.
    n : int
        The number of examples.
    draws : int
        Batches drawn per batch size.
    """

    batch_sizes: np.ndarray
    variance: np.ndarray
    per_example_variance: float
    n: int
    draws: int

    @property
    def predicted(self) -> np.ndarray:
        r"""The exact expectation for batches drawn without replacement, as an epoch draws them:
        :math:`\frac{\sigma^2}{B} \cdot \frac{n - B}{n - 1}` (the second factor is close to 1
        when :math:`B \ll n`)."""
        B = self.batch_sizes
        return self.per_example_variance / B * (self.n - B) / (self.n - 1)

    @property
    def inverse_b(self) -> np.ndarray:
        r"""The plain :math:`1/B` law, :math:`\sigma^2 / B`."""
        return self.per_example_variance / self.batch_sizes

    @property
    def slope(self) -> float:
        """The least-squares slope of log(variance) against log(B): -1 for a 1/B law."""
        return float(np.polyfit(np.log(self.batch_sizes), np.log(self.variance), 1)[0])


def gradient_noise(
    batch_gradient: Callable[[np.ndarray], np.ndarray],
    n: int,
    batch_sizes: Sequence[int],
    draws: int = 1000,
    seed: int | np.random.Generator | None = None,
) -> GradientNoise:
    r"""Measure how noisy the mini-batch gradient is, for each batch size.

    With the full gradient :math:`\nabla J = \frac1n \sum_i \nabla J_i` and the mean
    :math:`\hat g_B` over a batch of :math:`B` examples, this estimates

    .. math::

        \mathbb E\,\lVert \hat g_B - \nabla J \rVert^2
        = \frac{\sigma^2}{B}\cdot\frac{n - B}{n - 1},
        \qquad \sigma^2 = \frac1n \sum_{i=1}^{n} \lVert \nabla J_i - \nabla J \rVert^2,

    by drawing ``draws`` batches of each size as training draws them (full batches of
    shuffled epochs, :func:`companion.data.batch_indices`). It also computes :math:`\sigma^2`
    from every example's own gradient (``n`` calls of ``batch_gradient``).

    Parameters
    ----------
    batch_gradient : callable
        ``batch_gradient(indices)``: the mean gradient over those examples, at a fixed point
        :math:`\theta` (any shape; it is flattened).
    n : int
        The number of examples.
    batch_sizes : sequence of int
        Each between 1 and ``n - 1``.
    draws : int, default 1000
        Batches per batch size.
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    GradientNoise

    Examples
    --------
    >>> from companion.data import linear_regression
    >>> data = linear_regression(n=400, seed=0)
    >>> theta = np.zeros(2)
    >>> noise = gradient_noise(lambda i: data.gradient(theta, data.X[i], data.y[i]),
    ...                        data.X.shape[0], [1, 4, 16], draws=2000, seed=0)
    >>> np.round(noise.variance / noise.predicted, 1)      # measured / predicted
    array([1., 1., 1.])
    """
    n = positive_int(n, "n")
    sizes = np.array([positive_int(b, "batch_sizes[i]") for b in batch_sizes], dtype=np.int64)
    if sizes.size == 0 or sizes.max() >= n:
        raise ValueError(f"batch_sizes must be between 1 and n - 1 = {n - 1}; got {sizes.tolist()}")
    draws = positive_int(draws, "draws")
    rng = np.random.default_rng(seed)

    def flat(indices: np.ndarray) -> np.ndarray:
        return np.asarray(batch_gradient(indices), dtype=np.float64).ravel()

    full = flat(np.arange(n))
    per_example = np.array([flat(np.array([i])) for i in range(n)])
    sigma2 = float(np.mean(np.sum((per_example - full) ** 2, axis=1)))
    variance = []
    for B in sizes:
        squared = []
        while len(squared) < draws:
            for idx in batch_indices(n, int(B), seed=rng):
                if len(idx) == B and len(squared) < draws:  # full batches only
                    squared.append(float(np.sum((flat(idx) - full) ** 2)))
        variance.append(np.mean(squared))
    return GradientNoise(sizes, np.array(variance), sigma2, n, draws)
