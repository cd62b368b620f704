"""Exercise 1 — gradients, numerically: the items, their cases and their known mistakes.

Every test function a case passes to the learner is a named, module-level function, so a
grader in another process can name it rather than send code.
"""

from __future__ import annotations

import numpy as np

from ..gradients import numerical_gradient as _central
from .core import Case, Item, Mistake


def _safe_float(answer):
    """A mistake's answer, or NaN where the mistaken computation does not run."""

    def wrapped(*args):
        try:
            with np.errstate(all="ignore"):
                return float(answer(*args))
        except (ValueError, TypeError, OverflowError):
            return float("nan")

    return wrapped


# --- test functions handed to the learner's code ----------------------------------------------


def sum_exp(x: np.ndarray) -> float:
    """f(x) = Σ exp(x_i): every partial derivative is exp(x_i), curvature included."""
    return float(np.sum(np.exp(x)))


def bowl(x: np.ndarray) -> float:
    """f(x) = Σ w_i x_i² + Σ sin(x_i), with fixed weights w = 1, 2, 3, ..."""
    weights = np.arange(1, x.size + 1, dtype=np.float64).reshape(x.shape)
    return float(np.sum(weights * x**2) + np.sum(np.sin(x)))


def coupled_cubic(x: np.ndarray) -> float:
    """f(x) = x₀³ + 2 x₀ x₁ − x₁²: the partials depend on both coordinates."""
    return float(x[0] ** 3 + 2 * x[0] * x[1] - x[1] ** 2)


# --- 1.1 numerical_gradient(f, x, h) ----------------------------------------------------------


def _gradient_cases() -> list[Case]:
    return [
        Case("f = sum_exp, x of shape (3,), h = 1e-2", (sum_exp, np.array([0.5, -1.0, 1.5]), 1e-2)),
        Case(
            "f = bowl, x of shape (2, 3), h = 1e-2",
            (bowl, np.array([[0.3, -0.2, 1.0], [-1.2, 0.8, 0.1]]), 1e-2),
        ),
        Case(
            "f = coupled_cubic, x of shape (2,), h = 1e-2",
            (coupled_cubic, np.array([1.5, -0.5]), 1e-2),
        ),
    ]


def _reference_gradient(f, x, h):
    return _central(f, x, h)


def _forward(f, x, h):
    return _central(f, x, h, method="forward")


def _backward(f, x, h):
    point = x.copy()
    return -_central(lambda v: f(2 * point - v), point, h, method="forward")


def _all_at_once(f, x, h):
    slope = (f(x + h) - f(x - h)) / (2 * h)
    return np.full_like(x, slope)


ITEM_1_1 = Item(
    id="1.1",
    function="numerical_gradient",
    references=("companion.gradients.numerical_gradient",),
    points=4,
    arg_names=("f", "x", "h"),
    cases=_gradient_cases,
    reference=_reference_gradient,
    mistakes=(
        Mistake(
            "looks like a forward difference (f(x + h e_i) - f(x)) / h; use the central "
            "difference (f(x + h e_i) - f(x - h e_i)) / (2h): its error is O(h^2), not O(h)",
            _forward,
        ),
        Mistake(
            "looks like a backward difference (f(x) - f(x - h e_i)) / h; use the central "
            "difference (f(x + h e_i) - f(x - h e_i)) / (2h)",
            _backward,
        ),
        Mistake(
            "has the wrong sign: compute f(x + h e_i) - f(x - h e_i), not the other way round",
            lambda f, x, h: -_reference_gradient(f, x, h),
        ),
        Mistake(
            "is twice too large: the two points are 2h apart, so divide by 2h, not h",
            lambda f, x, h: 2 * _reference_gradient(f, x, h),
        ),
        Mistake(
            "is half the right size: divide the difference by 2h once (not by 4h)",
            lambda f, x, h: 0.5 * _reference_gradient(f, x, h),
        ),
        Mistake(
            "gives every coordinate the same slope: you moved all coordinates at once; "
            "perturb one coordinate x[i] at a time",
            _all_at_once,
        ),
    ),
    hints={
        "shape": "Return an array shaped like x, e.g. start from np.zeros_like(x).",
        "mutated": "put each coordinate back after perturbing it (x[i] = old), or work on a copy",
    },
)


# --- 1.2 relative_error(a, b) -----------------------------------------------------------------


def _relative_error_cases() -> list[Case]:
    return [
        Case(
            "a = [1, 2, 3], b = [1.1, 2, 3]", (np.array([1.0, 2.0, 3.0]), np.array([1.1, 2.0, 3.0]))
        ),
        Case("a = b = zeros(4)", (np.zeros(4), np.zeros(4))),
        Case(
            "a, b of size 1e6 and shape (2, 2)",
            (np.array([[1e6, 2e6], [3e6, 4e6]]), np.array([[1.001e6, 2e6], [3e6, 4.5e6]])),
        ),
        Case(
            "a = [-2, 0.5], b = [0.5, 0.5] (opposite signs)",
            (np.array([-2.0, 0.5]), np.array([0.5, 0.5])),
        ),
    ]


_TINY = np.finfo(np.float64).tiny


def _reference_relative_error(a, b):
    return np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), _TINY))


ITEM_1_2 = Item(
    id="1.2",
    function="relative_error",
    references=("companion.gradients.relative_error",),
    points=2,
    arg_names=("a", "b"),
    cases=_relative_error_cases,
    reference=_reference_relative_error,
    mistakes=(
        Mistake(
            "looks like the absolute error max|a - b|: divide by |a| + |b| so the answer "
            "doesn't depend on the scale of the gradients",
            lambda a, b: np.max(np.abs(a - b)),
        ),
        Mistake(
            "averages over the elements: the relative error of two gradients is the worst "
            "(largest) element, so one wrong entry can't hide among many right ones",
            lambda a, b: np.mean(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), _TINY)),
        ),
        Mistake(
            "divides by |b| only: use |a| + |b|, which treats a and b alike and keeps the "
            "error between 0 and 1",
            lambda a, b: np.max(np.abs(a - b) / np.maximum(np.abs(b), _TINY)),
        ),
        Mistake(
            "divides by |a| only: use |a| + |b|, which treats a and b alike and keeps the "
            "error between 0 and 1",
            lambda a, b: np.max(np.abs(a - b) / np.maximum(np.abs(a), _TINY)),
        ),
        Mistake(
            "divides by |a + b| instead of |a| + |b|: when the entries have opposite signs "
            "that denominator cancels",
            lambda a, b: np.max(np.abs(a - b) / np.maximum(np.abs(a + b), _TINY)),
        ),
    ),
    hints={
        "shape": "Return one number: the maximum over all elements.",
        "nonfinite": "When a and b are both 0 you divide 0 by 0: guard the denominator "
        "with np.maximum(|a| + |b|, tiny).",
    },
)


# --- 1.3 convergence_order(hs, errors) --------------------------------------------------------


def _order_cases() -> list[Case]:
    hs = np.logspace(-4, -1, 8)
    noise = np.exp(np.random.default_rng(1).normal(0.0, 0.3, hs.size))
    return [
        Case("errors = 3 h^2 (an exact power law)", (hs.copy(), 3 * hs**2)),
        Case("errors = 0.5 h with measurement noise", (hs.copy(), 0.5 * hs * noise)),
        Case(
            "steps in decreasing order, errors = 0.1 h^1.5",
            (hs[::-1].copy(), 0.1 * hs[::-1] ** 1.5),
        ),
    ]


def _reference_order(hs, errors):
    return np.polyfit(np.log(hs), np.log(errors), 1)[0]


ITEM_1_3 = Item(
    id="1.3",
    function="convergence_order",
    points=2,
    arg_names=("hs", "errors"),
    cases=_order_cases,
    reference=_reference_order,
    mistakes=(
        Mistake(
            "fits a line to h and the error themselves: a power law error = C h^p is a "
            "straight line of slope p only on log-log axes, so fit log(error) against log(h)",
            lambda hs, errors: np.polyfit(hs, errors, 1)[0],
        ),
        Mistake(
            "regresses log(h) on log(error): swap the arguments, "
            "np.polyfit(np.log(hs), np.log(errors), 1)",
            lambda hs, errors: np.polyfit(np.log(errors), np.log(hs), 1)[0],
        ),
        Mistake(
            "uses only the first and last points: fit all the points by least squares "
            "(np.polyfit), so one noisy measurement can't decide the answer",
            lambda hs, errors: (
                (np.log(errors[-1]) - np.log(errors[0])) / (np.log(hs[-1]) - np.log(hs[0]))
            ),
        ),
        Mistake(
            "has the wrong sign: the error shrinks as h shrinks, so the order p is positive",
            lambda hs, errors: -_reference_order(hs, errors),
        ),
    ),
    hints={"shape": "Return one number: the slope p."},
)


# --- 1.4 directional_derivative(f, x, v, h) ---------------------------------------------------


def _directional_cases() -> list[Case]:
    return [
        Case(
            "f = sum_exp, x = [0.5, -1, 1.5], v = [1, 2, 2], h = 1e-3",
            (sum_exp, np.array([0.5, -1.0, 1.5]), np.array([1.0, 2.0, 2.0]), 1e-3),
        ),
        Case(
            "f = bowl, x and v of shape (2, 2), h = 1e-3",
            (bowl, np.array([[0.3, -0.2], [1.0, 0.4]]), np.array([[3.0, 0.0], [-4.0, 0.0]]), 1e-3),
        ),
        Case(
            "f = coupled_cubic, unit v = [0.6, -0.8], h = 1e-3",
            (coupled_cubic, np.array([1.5, -0.5]), np.array([0.6, -0.8]), 1e-3),
        ),
    ]


def _along(f, x, v, h, scale, sign=1.0):
    u = v / np.linalg.norm(v) * scale
    return sign * (f(x + h * u) - f(x - h * u)) / (2 * h)


ITEM_1_4 = Item(
    id="1.4",
    function="directional_derivative",
    points=2,
    arg_names=("f", "x", "v", "h"),
    cases=_directional_cases,
    reference=lambda f, x, v, h: _along(f, x, v, h, 1.0),
    mistakes=(
        Mistake(
            "is |v| times too large: a directional derivative is along a unit vector, so "
            "normalise first, u = v / np.linalg.norm(v)",
            lambda f, x, v, h: _along(f, x, v, h, np.linalg.norm(v)),
        ),
        Mistake(
            "looks like a forward difference (f(x + h u) - f(x)) / h; use the central "
            "difference (f(x + h u) - f(x - h u)) / (2h)",
            lambda f, x, v, h: (f(x + h * v / np.linalg.norm(v)) - f(x)) / h,
        ),
        Mistake(
            "has the wrong sign: compute f(x + h u) - f(x - h u), not the other way round",
            lambda f, x, v, h: _along(f, x, v, h, 1.0, sign=-1.0),
        ),
    ),
    rtol=1e-5,  # the gradient-dot-u route is also right, and differs by O(h^2)
    hints={
        "shape": "Return one number: the slope of f along v, not a vector.",
        "mutated": "build the new points as x + h * u and x - h * u instead of changing x",
    },
)

# --- 1.5 best_h(x, dtype) ----------------------------------------------------------------------

#: The steps 1.5 tries, from 1e-12 to 0.1 (the notebook states the same grid).
H_GRID = np.logspace(-12, -1, 45)


def _slope_errors(x, dtype, forward=False, use_dtype=True):
    kind = np.dtype(dtype).type if use_dtype else np.float64
    point = kind(x)
    errors = []
    for h in H_GRID:
        step = kind(h)
        if forward:
            slope = (np.exp(point + step) - np.exp(point)) / step
        else:
            slope = (np.exp(point + step) - np.exp(point - step)) / (2 * step)
        errors.append(abs(float(slope) - np.exp(x)))
    return np.array(errors)


def _best_h(x, dtype, **switches):
    return float(H_GRID[int(np.argmin(_slope_errors(x, dtype, **switches)))])


def _best_h_cases() -> list[Case]:
    return [
        Case("x = 0.5 in float64", (0.5, "float64")),
        Case("x = 2 in float32", (2.0, "float32")),
        Case("x = -1 in float32", (-1.0, "float32")),
        Case("x = 1.5 in float64", (1.5, "float64")),
    ]


ITEM_1_5 = Item(
    id="1.5",
    kind="experiment",
    function="best_h",
    points=2,
    arg_names=("x", "dtype"),
    cases=_best_h_cases,
    reference=_best_h,
    mistakes=(
        Mistake(
            "finds the best h of a forward difference: use the central difference, whose "
            "truncation error is O(h²), so its best h is larger",
            _safe_float(lambda x, dtype: _best_h(x, dtype, forward=True)),
        ),
        Mistake(
            "computes in float64 whatever the dtype: cast x and h to the dtype first "
            "(np.float32(x)), so the round-off is float32's",
            _safe_float(lambda x, dtype: _best_h(x, dtype, use_dtype=False)),
        ),
        Mistake(
            "returns the smallest error, not the h that gives it",
            _safe_float(lambda x, dtype: float(np.min(_slope_errors(x, dtype)))),
        ),
    ),
    # the argmin of a measured curve may land on a neighbouring grid point (a factor 1.78)
    rtol=0.8,
    atol=0.0,
    hints={"shape": "Return one number: the best h from H_GRID."},
)


ITEMS = (ITEM_1_1, ITEM_1_2, ITEM_1_3, ITEM_1_4, ITEM_1_5)
