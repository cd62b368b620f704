r"""Learning-rate schedules: plain functions of the step number (Chapters 6 and 7).

A schedule maps the step number :math:`t = 0, 1, 2, \dots` to a learning rate
:math:`\eta_t`. It knows nothing about optimizers, so it works with every one of
:mod:`companion.optim`: before each step, set the rate and step,

>>> import numpy as np
>>> from companion.optim import SGD
>>> theta = np.array([1.0])
>>> opt = SGD([theta], lr=0.1)
>>> schedule = cosine(lr=0.1, steps=100)
>>> for t in range(100):
...     set_lr(opt, schedule(t))
...     opt.step([theta.copy()])             # J = theta^2 / 2
>>> round(opt.param_groups[0]["lr"], 6)      # the rate of the last step, t = 99
2.5e-05

Every schedule also takes an array of step numbers and returns the whole curve, for a plot:
``cosine(0.1, 100)(np.arange(100))``. Schedules combine with :func:`sequential` (one after
another, e.g. a warmup then a cosine decay).

The names follow PyTorch's ``torch.optim.lr_scheduler`` where it has the same schedule
(``step_size`` and ``gamma`` of ``StepLR``, ``gamma`` of ``ExponentialLR``), but a schedule
here is a function of the step number, as in optax, not an object that mutates the optimizer.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Schedule",
    "constant",
    "cosine",
    "exponential",
    "inverse_time",
    "linear_warmup",
    "sequential",
    "set_lr",
    "step_decay",
]

#: A learning-rate schedule: step number (or an array of them) to learning rate.
Schedule = Callable[[Any], Any]


def _steps(t: object) -> np.ndarray:
    """``t`` as an array of non-negative whole step numbers, or an error that names it."""
    array = np.asarray(t)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"the step number t must be an integer (or an array of them); got {t!r}")
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.mod(array, 1) == 0):
        raise ValueError(f"the step number t must be a whole number; got {t!r}")
    if np.any(array < 0):
        raise ValueError(f"the step number t must be at least 0; got {t!r}")
    return array.astype(np.float64)


def _result(value: np.ndarray) -> float | np.ndarray:
    return float(value) if np.ndim(value) == 0 else value


def _rate(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be at least 0; got {value!r}")
    return float(value)


def _count(value: object, name: str, least: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise ValueError(f"{name} must be an integer of at least {least}; got {value!r}")
    return int(value)


def constant(lr: float) -> Schedule:
    r""":math:`\eta_t = \eta`: the same rate at every step.

    Examples
    --------
    >>> constant(0.1)(7)
    0.1
    """
    lr = _rate(lr, "lr")

    def schedule(t: object) -> float | np.ndarray:
        return _result(np.full(np.shape(_steps(t)), lr))

    return schedule


def step_decay(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    r""":math:`\eta_t = \eta\,\gamma^{\lfloor t / s \rfloor}`: multiply by :math:`\gamma` every
    :math:`s` steps (PyTorch's ``StepLR``).

    Parameters
    ----------
    lr : float
        :math:`\eta`, the starting rate.
    step_size : int
        :math:`s \ge 1`, the number of steps between drops.
    gamma : float, default 0.1
        :math:`\gamma \in [0, 1]`, the factor of each drop.

    Examples
    --------
    >>> step_decay(1.0, step_size=10, gamma=0.5)(np.array([0, 9, 10, 25]))
    array([1.  , 1.  , 0.5 , 0.25])
    """
    lr, step_size, gamma = _rate(lr, "lr"), _count(step_size, "step_size"), _rate(gamma, "gamma")
    if gamma > 1:
        raise ValueError(f"gamma must be at most 1 (a decay); got {gamma!r}")

    def schedule(t: object) -> float | np.ndarray:
        return _result(lr * gamma ** np.floor(_steps(t) / step_size))

    return schedule


def exponential(lr: float, gamma: float) -> Schedule:
    r""":math:`\eta_t = \eta\,\gamma^t`: multiply by :math:`\gamma` at every step (PyTorch's
    ``ExponentialLR``).

    Examples
    --------
    >>> exponential(1.0, gamma=0.5)(3)
    0.125
    """
    lr, gamma = _rate(lr, "lr"), _rate(gamma, "gamma")
    if gamma > 1:
        raise ValueError(f"gamma must be at most 1 (a decay); got {gamma!r}")

    def schedule(t: object) -> float | np.ndarray:
        return _result(lr * gamma ** _steps(t))

    return schedule


def inverse_time(lr: float, decay: float) -> Schedule:
    r""":math:`\eta_t = \eta / (1 + \delta t)`: the :math:`1/t` decay.

    Stochastic gradient descent with :math:`\sum_t \eta_t = \infty` and
    :math:`\sum_t \eta_t^2 < \infty` — which :math:`1/t` satisfies — converges despite the
    gradient noise (Robbins and Monro's conditions). AdaGrad's ``lr_decay`` is this schedule.

    Parameters
    ----------
    lr : float
        :math:`\eta`, the starting rate.
    decay : float
        :math:`\delta \ge 0`: the rate has halved at :math:`t = 1/\delta`.

    Examples
    --------
    >>> inverse_time(1.0, decay=0.1)(np.array([0, 10, 30]))
    array([1.  , 0.5 , 0.25])
    """
    lr, decay = _rate(lr, "lr"), _rate(decay, "decay")

    def schedule(t: object) -> float | np.ndarray:
        return _result(lr / (1.0 + decay * _steps(t)))

    return schedule


def cosine(lr: float, steps: int, min_lr: float = 0.0) -> Schedule:
    r"""Half a cosine from :math:`\eta` down to :math:`\eta_{\min}` over :math:`T` steps:

    .. math::

        \eta_t = \eta_{\min} + \tfrac12 (\eta - \eta_{\min})
            \bigl(1 + \cos(\pi t / T)\bigr) \quad (t \le T), \qquad
        \eta_t = \eta_{\min} \quad (t > T).

    It falls slowly at first, fastest half-way, and slowly again at the end (Loshchilov &
    Hutter's SGDR without restarts; PyTorch's ``CosineAnnealingLR`` with ``T_max = steps`` and
    ``eta_min = min_lr``, which after :math:`T` would rise again, where this one stays at
    :math:`\eta_{\min}`).

    Parameters
    ----------
    lr : float
        :math:`\eta`, the rate at :math:`t = 0`.
    steps : int
        :math:`T \ge 1`, the step at which the rate reaches ``min_lr``.
    min_lr : float, default 0
        :math:`\eta_{\min}`, at most ``lr``.

    Examples
    --------
    >>> cosine(1.0, steps=10)(np.array([0, 5, 10, 20]))
    array([1. , 0.5, 0. , 0. ])
    """
    lr, steps, min_lr = _rate(lr, "lr"), _count(steps, "steps"), _rate(min_lr, "min_lr")
    if min_lr > lr:
        raise ValueError(f"min_lr must be at most lr; got min_lr = {min_lr!r}, lr = {lr!r}")

    def schedule(t: object) -> float | np.ndarray:
        progress = np.minimum(_steps(t) / steps, 1.0)
        return _result(min_lr + 0.5 * (lr - min_lr) * (1.0 + np.cos(np.pi * progress)))

    return schedule


def linear_warmup(lr: float, warmup_steps: int, start_lr: float = 0.0) -> Schedule:
    r"""A straight ramp from :math:`\eta_0` at :math:`t = 0` up to :math:`\eta` at
    :math:`t = W`, then :math:`\eta`:

    .. math::

        \eta_t = \eta_0 + (\eta - \eta_0)\, \min(t / W, 1).

    Early in training the gradients are large and, for Adam, the second-moment estimate is
    still noisy: a warmup keeps the first steps small. Follow it with a decay using
    :func:`sequential`.

    This is PyTorch's ``LinearLR`` with ``start_factor = start_lr / lr``, ``end_factor = 1``
    and ``total_iters = warmup_steps``, except that ``LinearLR`` refuses a ``start_factor``
    of 0: it cannot start from 0, as this schedule does by default.

    Parameters
    ----------
    lr : float
        :math:`\eta`, the rate after the warmup.
    warmup_steps : int
        :math:`W \ge 1`.
    start_lr : float, default 0
        :math:`\eta_0`.

    Examples
    --------
    >>> linear_warmup(1.0, warmup_steps=4)(np.array([0, 1, 2, 4, 9]))
    array([0.  , 0.25, 0.5 , 1.  , 1.  ])
    """
    lr, start_lr = _rate(lr, "lr"), _rate(start_lr, "start_lr")
    warmup_steps = _count(warmup_steps, "warmup_steps")

    def schedule(t: object) -> float | np.ndarray:
        fraction = np.minimum(_steps(t) / warmup_steps, 1.0)
        return _result(start_lr + (lr - start_lr) * fraction)

    return schedule


def sequential(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    r"""Schedules one after another: the :math:`i`-th runs from boundary :math:`b_{i-1}` to
    :math:`b_i`, and counts its own steps from 0 there (as PyTorch's ``SequentialLR`` and
    optax's ``join_schedules`` do).

    Parameters
    ----------
    schedules : sequence of callables
        :math:`k \ge 1` schedules.
    boundaries : sequence of int
        :math:`k - 1` strictly increasing positive step numbers where the next schedule takes
        over.

    Examples
    --------
    A warmup over 10 steps, then a cosine decay over the next 90:

    >>> warm_then_decay = sequential([linear_warmup(1.0, 10), cosine(1.0, 90)], [10])
    >>> warm_then_decay(np.array([0, 5, 10, 55, 100]))
    array([0. , 0.5, 1. , 0.5, 0. ])
    """
    schedules = list(schedules)
    boundaries = [_count(b, "each boundary") for b in boundaries]
    if not schedules or not all(callable(s) for s in schedules):
        raise TypeError("schedules must be a non-empty sequence of functions of the step")
    if len(boundaries) != len(schedules) - 1:
        raise ValueError(
            f"{len(schedules)} schedules need {len(schedules) - 1} boundaries; "
            f"got {len(boundaries)}"
        )
    if any(b >= c for b, c in zip(boundaries, boundaries[1:], strict=False)):
        raise ValueError(f"boundaries must increase strictly; got {boundaries}")
    starts = np.array([0, *boundaries], dtype=np.float64)

    def schedule(t: object) -> float | np.ndarray:
        steps = _steps(t)
        which = np.searchsorted(starts, steps, side="right") - 1  # the schedule that runs at t
        out = np.empty(steps.shape)
        for i, piece in enumerate(schedules):
            mask = which == i
            if np.any(mask):
                out[mask] = piece((steps[mask] - starts[i]).astype(np.int64))
        return _result(out)

    return schedule


def set_lr(optimizer: Any, lr: float) -> None:
    """Set the learning rate of every parameter group of ``optimizer`` to ``lr``.

    The same as ``for group in optimizer.param_groups: group["lr"] = lr``, with a check that
    ``lr`` is a finite number of at least 0. Works for :mod:`companion.optim` and PyTorch
    optimizers alike.

    Examples
    --------
    >>> from companion.optim import Adam
    >>> opt = Adam([np.zeros(3)], lr=1e-3)
    >>> set_lr(opt, 3e-4)
    >>> opt.param_groups[0]["lr"]
    0.0003
    """
    lr = _rate(float(lr) if isinstance(lr, np.floating) else lr, "lr")
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, (list, tuple)) or not all(isinstance(g, dict) for g in groups):
        raise TypeError(
            f"optimizer must have param_groups (a list of dicts), as companion.optim and "
            f"torch.optim optimizers do; got {type(optimizer).__name__}"
        )
    for group in groups:
        group["lr"] = lr
