"""The machinery of :func:`companion.gradients.gradient_check` a reader need not study: calling
``f`` safely, argument checks, and the second look at a coordinate that failed (a smaller
step, and the one-sided differences that reveal a kink).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from ._validate import positive_number

TINY = float(np.finfo(np.float64).tiny)


def check_function(f: object, name: str = "f") -> Callable:
    if not callable(f):
        raise TypeError(f"{name} must be callable (a function of an array); got {type(f).__name__}")
    return f


def evaluate(f: Callable, x: np.ndarray) -> float:
    """Call ``f(x)`` and insist on a finite real scalar, saying what came back otherwise."""
    value = f(x)
    if isinstance(value, np.ndarray) and value.shape != ():
        raise ValueError(f"f must return a scalar; got an array of shape {value.shape}")
    if not isinstance(value, (numbers.Real, np.ndarray, np.floating, np.integer)) or isinstance(
        value, bool
    ):
        raise TypeError(f"f must return a real scalar; got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"f returned {value} (not finite) at a point near x")
    return value


def differences(f: Callable, point: np.ndarray, i: tuple, h: float, f_at_x: float) -> _Slopes:
    """The left, central and right differences at coordinate ``i`` with step ``h`` (the steps
    the dtype can hold, which in float32 differ from ``h`` in the last digits)."""
    old = point[i]
    try:
        point[i] = old + h
        up, f_plus = float(point[i]) - float(old), evaluate(f, point)
        point[i] = old - h
        down, f_minus = float(old) - float(point[i]), evaluate(f, point)
    finally:
        point[i] = old
    return _Slopes(
        (f_at_x - f_minus) / down, (f_plus - f_minus) / (up + down), (f_plus - f_at_x) / up
    )


class _Slopes(NamedTuple):
    left: float
    central: float
    right: float

    def kink(self, analytic: float, floor: float, noise: float) -> float:
        """How far the one-sided slopes disagree, if ``analytic`` lies between them and they
        disagree by more than their round-off ``noise`` (else 0)."""
        low, high = sorted((self.left, self.right))
        size = abs(self.left) + abs(self.right)
        if high - low <= noise or not low - 1e-3 * size <= analytic <= high + 1e-3 * size:
            return 0.0
        return (high - low) / max(size, floor)


def judge(
    f: Callable,
    point: np.ndarray,
    indices: Sequence[tuple],
    steps: Sequence[float],
    best_steps: Sequence[float],
    analytic: np.ndarray,
    numerical: np.ndarray,
    correct_below: float,
    wrong_above: float,
) -> tuple[np.ndarray, list[int]]:
    """Each coordinate's relative error, and the coordinates at a kink within the step.

    The error's denominator is at least what a central difference at its best step cannot
    resolve — :math:`\varepsilon^{2/3}` of the gradient's scale, and the round-off
    :math:`\varepsilon |f| / h` — divided by ``correct_below``, so that a discrepancy of that
    size is still "correct". A coordinate that fails gets :func:`second_look`."""
    eps = float(np.finfo(point.dtype).eps)
    sizes = np.abs(analytic) + np.abs(numerical)
    base = eps ** (2 / 3) * float(sizes.max(initial=0.0))
    errors = np.abs(analytic - numerical) / np.maximum(sizes, max(base, TINY) / correct_below)
    failing = np.flatnonzero(errors >= correct_below)
    at_kink: list[int] = []
    if failing.size:
        f_at_x = evaluate(f, point)
        for k in failing:
            floor = max(base, eps * abs(f_at_x) / best_steps[k], TINY) / correct_below
            errors[k] = abs(analytic[k] - numerical[k]) / max(sizes[k], floor)
            if errors[k] < correct_below:
                continue
            finer, kink = second_look(
                f, point, indices[k], steps[k], f_at_x, analytic[k], floor, wrong_above
            )
            if kink:
                at_kink.append(int(k))
            else:
                errors[k] = min(errors[k], finer)
    return errors, at_kink


def verdict(
    errors: np.ndarray, at_kink: list[int], correct_below: float, wrong_above: float
) -> tuple[str, int]:
    """The verdict, and the worst coordinate: the worst one not at a kink if it fails."""
    judged = errors.copy()
    judged[at_kink] = -1.0
    failing = judged.max(initial=0.0) >= correct_below
    worst = int(np.argmax(judged if failing else errors)) if errors.size else 0
    if failing:
        return ("suspicious" if judged[worst] <= wrong_above else "wrong"), worst
    return ("kink" if at_kink else "correct"), worst


def second_look(
    f: Callable,
    point: np.ndarray,
    i: tuple,
    h: float,
    f_at_x: float,
    analytic: float,
    floor: float,
    wrong_above: float,
) -> tuple[float, bool]:
    """A coordinate that failed at step ``h``: its error at ``h / 8``, and whether a kink lies
    within the step — the one-sided slopes disagree by more than a wrong gradient would, the
    analytic value is one of them, and (at ``h``) the central difference moved with the finer
    step as a kink makes it move, by about half the disagreement, not as curvature does."""
    coarse = differences(f, point, i, h, f_at_x)
    fine = differences(f, point, i, h / 8, f_at_x)
    error = abs(analytic - fine.central) / max(abs(analytic) + abs(fine.central), floor)
    roundoff = 4 * float(np.finfo(point.dtype).eps) * abs(f_at_x)  # times 1/step: the noise
    kink_in_fine = fine.kink(analytic, floor, 8 * roundoff / h) > 2 * wrong_above
    kink_in_coarse = (
        coarse.kink(analytic, floor, roundoff / h) > 2 * wrong_above
        and abs(coarse.central - fine.central) > abs(coarse.right - coarse.left) / 4
    )
    return error, kink_in_fine or kink_in_coarse


def check_thresholds(thresholds: object, default: tuple[float, float]) -> tuple[float, float]:
    if thresholds is None:
        return default
    if not isinstance(thresholds, (tuple, list)) or len(thresholds) != 2:
        raise TypeError(
            f"thresholds must be a pair (correct_below, wrong_above); got {thresholds!r}"
        )
    correct_below = positive_number(thresholds[0], "thresholds[0] (correct_below)")
    wrong_above = positive_number(thresholds[1], "thresholds[1] (wrong_above)")
    if wrong_above < correct_below:
        raise ValueError(
            f"thresholds must have correct_below <= wrong_above; got {tuple(thresholds)!r}"
        )
    return correct_below, wrong_above


def check_gradient(value: object, x: np.ndarray) -> np.ndarray:
    """``grad_f``'s answer as an array shaped like ``x`` with finite values, or a named error."""
    try:
        gradient = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"grad_f must return an array of numbers shaped like x; got {type(value).__name__}"
        ) from error
    if gradient.shape != x.shape:
        raise ValueError(
            f"grad_f must return an array shaped like x {x.shape}; got {gradient.shape}"
        )
    if not np.all(np.isfinite(gradient)):
        raise ValueError("grad_f returned non-finite values")
    return gradient


def coordinates(
    x: np.ndarray, num_checks: object, seed: int | np.random.Generator | None
) -> list[tuple[int, ...]]:
    """Every index of ``x``, or ``num_checks`` of them drawn at random, in order."""
    if num_checks is None:
        flat_indices = np.arange(x.size)
    else:
        if isinstance(num_checks, bool) or not isinstance(num_checks, numbers.Integral):
            raise TypeError(f"num_checks must be an int; got {type(num_checks).__name__}")
        if not 1 <= num_checks <= x.size:
            raise ValueError(f"num_checks must be between 1 and x.size={x.size}; got {num_checks}")
        rng = np.random.default_rng(seed)
        flat_indices = np.sort(rng.choice(x.size, size=int(num_checks), replace=False))
    return [tuple(int(j) for j in np.unravel_index(k, x.shape)) for k in flat_indices]
