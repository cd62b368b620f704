r"""Convergence rates over a grid of hyperparameters: the map of momentum's rate.

For heavy-ball momentum (or Nesterov's method) on a quadratic with Hessian eigenvalues
:math:`\lambda_i`, the error shrinks by the factor :math:`\rho(\eta, \beta)` per step
(:func:`companion.optim.momentum_rate`). :func:`rate_map` evaluates it over a whole grid of
learning rates and momenta — the map Chapter 5 draws — and :func:`steps_to_shrink` turns a rate
into the number of steps it needs to shrink the error a millionfold.
"""

from __future__ import annotations

import math

import numpy as np

from .optim import momentum_rate

__all__ = ["REDUCTION", "rate_map", "steps_to_shrink"]

#: The error reduction :func:`steps_to_shrink` counts the steps to.
REDUCTION = 1e-6


def rate_map(
    eigenvalues: np.ndarray,
    lrs: np.ndarray,
    momenta: np.ndarray,
    nesterov: bool = False,
) -> np.ndarray:
    r""":math:`\rho(\eta, \beta)` on a grid: rows follow ``momenta``, columns ``lrs``.

    Examples
    --------
    >>> rho = rate_map([1.0, 0.1], np.array([0.5, 1.0, 2.5]), np.array([0.0, 0.5]))
    >>> rho.shape, bool(rho[0, 2] > 1), bool(rho[1, 2] < 1)   # momentum widens stability
    ((2, 3), True, True)
    """
    lr_grid, momentum_grid = np.meshgrid(np.asarray(lrs), np.asarray(momenta))
    return momentum_rate(eigenvalues, lr_grid, momentum_grid, nesterov=nesterov)


def steps_to_shrink(rate: np.ndarray, reduction: float = REDUCTION) -> np.ndarray:
    r"""The steps :math:`\log(\text{reduction}) / \log\rho` that shrink the error by
    ``reduction`` (a millionfold by default); ``inf`` where :math:`\rho \ge 1`.

    Examples
    --------
    >>> float(steps_to_shrink(np.array(0.1)))     # ten times smaller per step: six steps
    6.0
    >>> float(steps_to_shrink(np.array(1.0)))
    inf
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rate < 1, math.log(reduction) / np.log(rate), np.inf)
