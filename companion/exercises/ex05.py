"""Exercise 5 — momentum: the items, their cases and their known mistakes.

The learner writes one step of each method as a pure function that returns the new
parameters *and* the new state (a pair of arrays shaped like ``theta``), leaving its inputs
alone — the companion's optimizers update in place, but a function that returns its results
can be checked one step at a time:

- 5.1 ``momentum_step(theta, grad, buf, lr, momentum)``: the heavy ball in PyTorch's form;
- 5.2 ``nesterov_step(theta, velocity, grad_fn, lr, momentum)``: Nesterov's method in its
  look-ahead form, with the gradient evaluated at ``theta + momentum * velocity``.

Every case passes only data and named module-level gradient functions; every known mistake is
a module-level function that never raises (NaN where it does not fit, which matches nothing).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .core import Case, Item, Mistake

_rng = np.random.default_rng  # every case draws from its own seeded generator


def _safe(answer: Callable) -> Callable:
    """A mistake's answer, or NaN where the mistaken formula does not even run."""

    def wrapped(*args):
        try:
            with np.errstate(all="ignore"):
                return np.asarray(answer(*args), dtype=np.float64)
        except (ValueError, IndexError, TypeError):
            return np.nan

    return wrapped


# --- gradients handed to the learner's Nesterov step -------------------------------------------


def bowl_gradient(theta: np.ndarray) -> np.ndarray:
    """∇J for the elongated bowl J(θ) = ½(θ₀² + 25 θ₁²)."""
    return theta * np.array([1.0, 25.0])


def rosenbrock_gradient(theta: np.ndarray) -> np.ndarray:
    """∇J for Rosenbrock's J(x, y) = (1 − x)² + 100 (y − x²)²."""
    x, y = theta
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


#: The Hessian of the quadratic J(Θ) = ½ Σⱼ Θ[:, j]ᵀ A Θ[:, j] for a 2-by-3 parameter matrix.
MATRIX_HESSIAN = np.array([[3.0, 1.0], [1.0, 2.0]])


def matrix_gradient(theta: np.ndarray) -> np.ndarray:
    """∇J for a parameter matrix Θ of shape (2, 3): A Θ, with A = MATRIX_HESSIAN."""
    return MATRIX_HESSIAN @ theta


# --- 5.1 momentum_step(theta, grad, buf, lr, momentum) ----------------------------------------


def _momentum_cases() -> list[Case]:
    r = _rng(51)
    return [
        Case(
            "the first step: buf = 0, lr = 0.1, momentum = 0.9",
            (np.array([1.0, -2.0, 0.5]), np.array([0.4, -1.0, 2.0]), np.zeros(3), 0.1, 0.9),
        ),
        Case(
            "a later step: buf = [1, 2, -1], grad = [0.5, -0.5, 0.2], lr = 0.05, momentum = 0.9",
            (
                np.array([0.3, 0.1, -0.7]),
                np.array([0.5, -0.5, 0.2]),
                np.array([1.0, 2.0, -1.0]),
                0.05,
                0.9,
            ),
        ),
        Case(
            "a weight matrix of shape (2, 3), momentum = 0.5, lr = 0.2",
            (
                r.standard_normal((2, 3)),
                r.standard_normal((2, 3)),
                r.standard_normal((2, 3)),
                0.2,
                0.5,
            ),
        ),
        Case(
            "momentum = 0 (plain gradient descent), lr = 0.5",
            (np.array([2.0, -1.0]), np.array([1.0, 3.0]), np.array([5.0, 5.0]), 0.5, 0.0),
        ),
        Case(
            "a gradient against the buffer (a valley wall): lr = 0.1, momentum = 0.8",
            (np.array([0.0, 1.0]), np.array([-3.0, 0.1]), np.array([2.5, 0.3]), 0.1, 0.8),
        ),
    ]


def _heavy_ball(theta, grad, buf, lr, momentum):
    new_buf = momentum * buf + grad
    return theta - lr * new_buf, new_buf


ITEM_5_1 = Item(
    id="5.1",
    function="momentum_step",
    references=("companion.optim.SGD",),
    points=3,
    arg_names=("theta", "grad", "buf", "lr", "momentum"),
    cases=_momentum_cases,
    reference=_heavy_ball,
    mistakes=(
        Mistake(
            "steps with the old buffer: first update the buffer, b ← βb + g, then step with "
            "the new one, θ ← θ − η b",
            _safe(lambda t, g, b, lr, m: (t - lr * b, m * b + g)),
        ),
        Mistake(
            "averages instead of summing: b ← βb + (1 − β)g is an exponentially weighted "
            "average (PyTorch's dampening = β); the heavy ball's buffer is b ← βb + g",
            _safe(
                lambda t, g, b, lr, m: (
                    t - lr * (m * b + (1 - m) * g),
                    m * b + (1 - m) * g,
                )
            ),
        ),
        Mistake(
            "steps uphill: the update is θ ← θ − η b, with a minus sign",
            _safe(lambda t, g, b, lr, m: (t + lr * (m * b + g), m * b + g)),
        ),
        Mistake(
            "puts the learning rate into the buffer (b ← βb + ηg, θ ← θ − b): in PyTorch's "
            "form the buffer sums gradients, b ← βb + g, and the step is θ − η b",
            _safe(lambda t, g, b, lr, m: (t - (m * b + lr * g), m * b + lr * g)),
        ),
        Mistake(
            "uses the velocity form with this buffer (b ← βb − ηg, θ ← θ + b): here the "
            "buffer holds a sum of gradients, b ← βb + g, and the step is θ ← θ − η b",
            _safe(lambda t, g, b, lr, m: (t + (m * b - lr * g), m * b - lr * g)),
        ),
        Mistake(
            "multiplies the gradient by β instead of the buffer: b ← βb + g",
            _safe(lambda t, g, b, lr, m: (t - lr * (b + m * g), b + m * g)),
        ),
        Mistake(
            "steps along the gradient alone: the momentum is in the step, θ ← θ − η b with "
            "the updated buffer b",
            _safe(lambda t, g, b, lr, m: (t - lr * g, m * b + g)),
        ),
        Mistake(
            "returns the old buffer: return the updated b together with θ — the next step needs it",
            _safe(lambda t, g, b, lr, m: (t - lr * (m * b + g), b)),
        ),
    ),
    hints={
        "shape": "Return two arrays shaped like theta: the new theta and the new buffer, "
        "`return theta, buf`.",
        "mutated": "buf *= momentum changes the caller's array; compute new arrays, "
        "e.g. buf = momentum * buf + grad",
        "nonfinite": "Check the update θ ← θ − η b and that the buffer is βb + g.",
    },
)


# --- 5.2 nesterov_step(theta, velocity, grad_fn, lr, momentum) --------------------------------


def _nesterov_cases() -> list[Case]:
    r = _rng(52)
    return [
        Case(
            "the bowl ½(θ₀² + 25θ₁²), the first step (velocity 0), lr = 0.03, momentum = 0.9",
            (np.array([1.0, 1.0]), np.zeros(2), bowl_gradient, 0.03, 0.9),
        ),
        Case(
            "the bowl, velocity [-0.1, 0.05], lr = 0.03, momentum = 0.9",
            (np.array([0.6, -0.2]), np.array([-0.1, 0.05]), bowl_gradient, 0.03, 0.9),
        ),
        Case(
            "Rosenbrock at [-1, 1.5], velocity [0.02, -0.01], lr = 1e-3, momentum = 0.8",
            (np.array([-1.0, 1.5]), np.array([0.02, -0.01]), rosenbrock_gradient, 1e-3, 0.8),
        ),
        Case(
            "a parameter matrix (2, 3) with ∇J = AΘ, lr = 0.1, momentum = 0.7",
            (
                r.standard_normal((2, 3)),
                0.1 * r.standard_normal((2, 3)),
                matrix_gradient,
                0.1,
                0.7,
            ),
        ),
        Case(
            "momentum = 0 (plain gradient descent) on the bowl, lr = 0.03",
            (np.array([1.0, -1.0]), np.array([0.3, 0.3]), bowl_gradient, 0.03, 0.0),
        ),
    ]


def _nesterov(theta, velocity, grad_fn, lr, momentum, *, ahead=None, sign=-1.0, use_lr=True):
    """The reference step, with switches that reproduce the known mistakes."""
    point = theta + momentum * velocity if ahead is None else ahead(theta, velocity, momentum)
    new_velocity = momentum * velocity + sign * (lr if use_lr else 1.0) * grad_fn(point)
    return theta + new_velocity, new_velocity


ITEM_5_2 = Item(
    id="5.2",
    function="nesterov_step",
    references=("companion.optim.SGD",),
    points=3,
    arg_names=("theta", "velocity", "grad_fn", "lr", "momentum"),
    cases=_nesterov_cases,
    reference=_nesterov,
    mistakes=(
        Mistake(
            "evaluates the gradient at θ: that is the heavy ball; Nesterov's method looks "
            "ahead, to grad_fn(θ + β v)",
            _safe(lambda t, v, f, lr, m: _nesterov(t, v, f, lr, m, ahead=lambda t, v, m: t)),
        ),
        Mistake(
            "looks ahead by the whole velocity: the look-ahead point is θ + β v, where the "
            "momentum alone would carry θ",
            _safe(lambda t, v, f, lr, m: _nesterov(t, v, f, lr, m, ahead=lambda t, v, m: t + v)),
        ),
        Mistake(
            "looks ahead in the wrong direction: the momentum carries θ to θ + β v, not θ − β v",
            _safe(
                lambda t, v, f, lr, m: _nesterov(t, v, f, lr, m, ahead=lambda t, v, m: t - m * v)
            ),
        ),
        Mistake(
            "climbs: the velocity gets −η ∇J, v ← β v − η ∇J(θ + β v)",
            _safe(lambda t, v, f, lr, m: _nesterov(t, v, f, lr, m, sign=1.0)),
        ),
        Mistake(
            "forgets the learning rate: v ← β v − η ∇J(θ + β v)",
            _safe(lambda t, v, f, lr, m: _nesterov(t, v, f, lr, m, use_lr=False)),
        ),
        Mistake(
            "moves θ by the old velocity: first compute the new v, then θ ← θ + v with it",
            _safe(lambda t, v, f, lr, m: (t + v, _nesterov(t, v, f, lr, m)[1])),
        ),
        Mistake(
            "returns the look-ahead point θ + β v as the new θ (what PyTorch stores): here "
            "return the position itself, θ + v",
            _safe(
                lambda t, v, f, lr, m: (
                    _nesterov(t, v, f, lr, m)[0] + m * _nesterov(t, v, f, lr, m)[1],
                    _nesterov(t, v, f, lr, m)[1],
                )
            ),
        ),
        Mistake(
            "returns the old velocity: return the new v together with θ — the next step needs it",
            _safe(lambda t, v, f, lr, m: (_nesterov(t, v, f, lr, m)[0], v)),
        ),
    ),
    hints={
        "shape": "Return two arrays shaped like theta: the new theta and the new velocity, "
        "`return theta, velocity`.",
        "mutated": "theta += ... changes the caller's array; compute new arrays instead",
        "nonfinite": "Your step blew up: check the sign, v ← β v − η ∇J(θ + β v), and that "
        "the gradient is multiplied by lr.",
    },
)


# --- 5.3 heavy_ball_max_lr(momentum, L) -------------------------------------------------------


def _heavy_ball_max_lr(momentum, L):
    """Both roots of z² − (1 + β − ηL) z + β inside the unit circle iff 0 < ηL < 2(1 + β)."""
    return 2 * (1 + momentum) / L


def _max_lr_cases() -> list[Case]:
    return [
        Case("momentum = 0.9, L = 25", (0.9, 25.0)),
        Case("momentum = 0.5, L = 4", (0.5, 4.0)),
        Case("momentum = 0.99, L = 100", (0.99, 100.0)),
        Case("momentum = 0.3, L = 0.8", (0.3, 0.8)),
    ]


ITEM_5_3 = Item(
    id="5.3",
    kind="derive",
    function="heavy_ball_max_lr",
    references=("companion.optim.momentum_rate", "companion.optim.optimal_momentum"),
    points=2,
    arg_names=("momentum", "L"),
    cases=_max_lr_cases,
    reference=_heavy_ball_max_lr,
    mistakes=(
        Mistake(
            "is gradient descent's bound 2/L: momentum changes it. Along the stiffest "
            "direction the error and the buffer follow z² − (1 + β − ηL) z + β = 0; at z = −1 "
            "(the first root to leave the unit circle) that gives ηL = 2(1 + β)",
            _safe(lambda momentum, L: 2 / L),
        ),
        Mistake(
            "uses the 'effective learning rate' η/(1 − β): that describes a slow, steady "
            "drift, not stability. Put z = −1 into z² − (1 + β − ηL) z + β = 0",
            _safe(lambda momentum, L: 2 * (1 - momentum) / L),
        ),
        Mistake(
            "is half the bound: with z = −1, 1 + (1 + β − ηL) + β = 0 gives ηL = 2(1 + β)",
            _safe(lambda momentum, L: (1 + momentum) / L),
        ),
    ),
    hints={"shape": "Return one number: the largest stable learning rate."},
)


ITEMS = (ITEM_5_1, ITEM_5_2, ITEM_5_3)
