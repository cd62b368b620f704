r"""Studying the optimizers: run any of them on a loss, and momentum's rate in closed form.

- :func:`~companion.optim.minimize` runs an optimizer on a loss with a known gradient: the
  loop of :func:`companion.descent.gradient_descent`, with its stopping rules and its
  divergence report.
- :func:`~companion.optim.momentum_rate` gives the factor by which momentum shrinks the error
  per step on a quadratic, and :func:`~companion.optim.optimal_momentum` Polyak's best
  setting (Chapter 5); ``rate_map`` evaluates the rate over a
  grid of learning rates and momenta (the map Chapter 5 draws), and
  ``steps_to_shrink`` turns a rate into the steps that shrink
  the error a millionfold.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from .._validate import as_float_array, flag, nonnegative_number, positive_number
from ..descent import DescentResult, descend
from ..schedules import set_lr
from .base import Optimizer

__all__ = [
    "REDUCTION",
    "minimize",
    "momentum_rate",
    "optimal_momentum",
    "rate_map",
    "steps_to_shrink",
]

#: The error reduction :func:`~companion.optim.steps_to_shrink` counts the steps to.
REDUCTION = 1e-6


# --- running an optimizer on a loss ------------------------------------------------------------


def minimize(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    optimizer: Callable[[list[np.ndarray]], Optimizer],
    steps: int,
    tol: float = 1e-6,
    blowup: float = 1e6,
    schedule: Callable[[int], float] | None = None,
) -> DescentResult:
    r"""Minimise :math:`J` from ``x0`` with any optimizer; stop and report as gradient descent does.

    The loop of :func:`companion.descent.gradient_descent` — the same stopping rules, the same
    divergence report, the same result — with the update done by an optimizer of this module.

    Parameters
    ----------
    f, grad : callable
        :math:`J` and :math:`\nabla J`, functions of an array shaped like ``x0``.
    x0 : array_like of float
        The start. Never modified.
    optimizer : callable
        Makes the optimizer from the list of parameters, e.g.
        ``lambda params: SGD(params, lr=0.1, momentum=0.9)`` or
        ``functools.partial(Adam, lr=0.1)``.
    steps : int
        The step budget.
    tol : float, default 1e-6
        Stop when :math:`\|\nabla J\| \le` ``tol``.
    blowup : float, default 1e6
        The loss may rise to :math:`J(\theta_0) + \text{blowup}\,(1 + |J(\theta_0)|)` before the
        run counts as diverged.
    schedule : callable, optional
        A learning-rate schedule: before step :math:`k = 0, 1, \dots` every group's ``lr`` is
        set to ``schedule(k)`` (see :mod:`companion.schedules`).

    Returns
    -------
    companion.descent.DescentResult
        Its ``lr`` is the first group's learning rate at the start.

    Examples
    --------
    >>> from companion.optim import SGD
    >>> J = lambda t: float(np.sum(t**2))
    >>> dJ = lambda t: 2 * t
    >>> run = minimize(J, dJ, [1.0, -2.0], lambda p: SGD(p, lr=0.25), steps=100)
    >>> run.status, run.steps                 # as gradient_descent(J, dJ, ..., lr=0.25) does
    ('converged', 23)
    """
    theta = as_float_array(x0, "x0", allow_int=True).copy()  # the array the optimizer owns
    if not callable(optimizer):
        raise TypeError(
            "optimizer must be a function of the parameter list, e.g. partial(SGD, lr=0.1); "
            f"got {optimizer!r}"
        )
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule must be a function of the step number; got {schedule!r}")
    opt = optimizer([theta])
    if not isinstance(opt, Optimizer):
        raise TypeError(f"optimizer must make an Optimizer from [theta]; got {opt!r}")
    lr0 = opt.param_groups[0]["lr"]
    if schedule is not None:
        lr0 = nonnegative_number(schedule(0), "schedule(0)")
    step_numbers = itertools.count()

    def update(_: np.ndarray, g: np.ndarray) -> np.ndarray:
        k = next(step_numbers)
        if schedule is not None:
            set_lr(opt, schedule(k))
        opt.step([g])  # the update, in place
        return theta.copy()

    return descend(f, grad, theta, update, steps, tol=tol, blowup=blowup, lr=lr0)


# --- momentum on a quadratic, in closed form --------------------------------------------------


def momentum_rate(
    eigenvalues: np.ndarray,
    lr: float | np.ndarray,
    momentum: float | np.ndarray,
    nesterov: bool = False,
) -> float | np.ndarray:
    r"""The factor :math:`\rho(\eta, \beta)` by which SGD with momentum shrinks the error per
    step on a quadratic whose Hessian has these eigenvalues.

    Along an eigenvector with eigenvalue :math:`\lambda`, the error :math:`e` and the momentum
    buffer :math:`b` of :class:`~companion.optim.SGD` evolve by a 2-by-2 linear map; its
    eigenvalues :math:`z` solve

    .. math::

        z^2 - (1 + \beta - \eta\lambda)\, z + \beta = 0
            \qquad \text{(heavy ball)}, \\
        z^2 - (1 + \beta)(1 - \eta\lambda)\, z + \beta (1 - \eta\lambda) = 0
            \qquad \text{(Nesterov)},

    and the error shrinks like :math:`|z|^k` for the larger root. :math:`\rho` is the largest
    :math:`|z|` over all eigenvalues: below 1 the method converges (at that rate), above 1 it
    diverges. When the roots are complex, :math:`|z| = \sqrt\beta` (heavy ball): the error
    spirals, *under-damped*; at a double root the mode is *critically damped*. With
    :math:`\beta = 0` both reduce to gradient descent's :math:`\max_i |1 - \eta\lambda_i|`.

    Parameters
    ----------
    eigenvalues : array_like of float, shape (n,)
        The Hessian's eigenvalues :math:`\lambda_i > 0`.
    lr, momentum : float or array_like
        :math:`\eta \ge 0` and :math:`\beta \in [0, 1)`; arrays broadcast against each other
        (a whole map at once).
    nesterov : bool, default False

    Returns
    -------
    float or numpy.ndarray
        :math:`\rho`, with the broadcast shape of ``lr`` and ``momentum``.

    Raises
    ------
    TypeError
        If an argument is not numbers (``nesterov``: not a bool).
    ValueError
        If an eigenvalue is not positive, ``lr`` or ``momentum`` is out of range or not finite,
        or :math:`\eta\lambda` is so large that the rate overflows float64.

    Examples
    --------
    >>> round(momentum_rate([1.0, 0.01], lr=1.0, momentum=0.0), 6)      # 1 - lr * 0.01
    0.99
    >>> lr, beta, rate = optimal_momentum(mu=0.01, L=1.0)
    >>> round(momentum_rate([1.0, 0.01], lr, beta), 6), round(rate, 6)   # (10 - 1)/(10 + 1)
    (0.818182, 0.818182)
    """
    lam = as_float_array(eigenvalues, "eigenvalues", allow_int=True).reshape(-1)
    if lam.size == 0 or np.any(lam <= 0):
        raise ValueError(
            f"eigenvalues must be positive (a positive definite Hessian); got {lam.tolist()[:8]}"
        )
    lr_arr, beta = _rates(lr, momentum)
    nesterov = flag(nesterov, "nesterov")
    if lr_arr.max(initial=0.0) * lam.max() > 1e150:
        raise ValueError(
            f"lr * eigenvalues reaches {lr_arr.max() * lam.max():.3g}: too large for the rate "
            "to be computed in float64 (any such step diverges)"
        )
    shrink = 1.0 - lr_arr * lam
    if nesterov:
        trace, det = (1.0 + beta) * shrink, beta * shrink
    else:
        trace, det = 1.0 + beta - lr_arr * lam, beta + 0.0 * lam
    root = np.sqrt((trace**2 - 4.0 * det).astype(np.complex128))
    radius = np.maximum(np.abs(trace + root), np.abs(trace - root)) / 2.0
    rate = radius.max(axis=-1)
    return float(rate) if rate.ndim == 0 else rate


def _rates(lr: object, momentum: object) -> tuple[np.ndarray, np.ndarray]:
    """``lr`` (at least 0) and ``momentum`` (in [0, 1)) as float64 arrays with a trailing axis
    for the eigenvalues, or a named error."""
    lr_arr = as_float_array(lr, "lr", allow_int=True).astype(np.float64)
    beta = as_float_array(momentum, "momentum", allow_int=True).astype(np.float64)
    if np.any(lr_arr < 0):
        raise ValueError(f"lr must be at least 0; got a minimum of {float(lr_arr.min())}")
    if np.any((beta < 0) | (beta >= 1)):
        raise ValueError(
            "momentum must be in [0, 1); got values from "
            f"{float(beta.min())} to {float(beta.max())}"
        )
    return lr_arr[..., None], beta[..., None]


def optimal_momentum(mu: float, L: float) -> tuple[float, float, float]:
    r"""Polyak's best heavy-ball setting for a quadratic with curvatures in :math:`[\mu, L]`.

    .. math::

        \eta^* = \frac{4}{(\sqrt L + \sqrt\mu)^2}, \qquad
        \beta^* = \left(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\right)^2, \qquad
        \rho^* = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1},

    with :math:`\kappa = L/\mu`: the rate of gradient descent at its best,
    :math:`(\kappa - 1)/(\kappa + 1)`, with :math:`\kappa` replaced by :math:`\sqrt\kappa`.

    Returns
    -------
    lr, momentum, rate : float

    Examples
    --------
    >>> optimal_momentum(mu=1.0, L=100.0)
    (0.0330578..., 0.6694214..., 0.8181818...)
    """
    mu, L = positive_number(mu, "mu"), positive_number(L, "L")
    if mu > L:
        raise ValueError(f"mu must be at most L; got mu = {mu!r}, L = {L!r}")
    root = math.sqrt(L) / math.sqrt(mu)  # sqrt(kappa), without overflowing L / mu
    rate = (root - 1.0) / (root + 1.0)
    return 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, rate**2, rate


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
