"""Exercise 8 — putting it together: the items, their cases and their known mistakes.

- 8.1 *implement* ``conjugate_gradient(A, b, x0, steps)``: the iterate after ``steps`` steps
  of the conjugate gradient method on :math:`J(x) = \\tfrac12 x^\\top A x - b^\\top x`.
- 8.2 *predict* ``cg_steps(A)``: how many steps conjugate gradient needs, in exact arithmetic,
  to reach the minimum of a quadratic with Hessian ``A`` — without running it (the number of
  distinct eigenvalues, which the chapter's "at most n" bounds).
- 8.3 *debug* ``mixed_precision_training(weights, grads, lr)``: a float16 training loop whose
  small updates vanish, fixed with a float32 master copy; returns the float16 weights.
- 8.4 *experiment* ``momentum_speedup(n, kappa, seed)``: how many times fewer steps the heavy
  ball at Polyak's setting needs than gradient descent at its best rate, on the chapter's
  random quadratic — measured by running both with the companion package.

The reference answers here are this module's own code (8.1, 8.3) or the same computation a
learner runs (8.4, with the companion's loops). Every known mistake is a module-level
function that never raises (NaN where it does not fit, which matches nothing).
"""

from __future__ import annotations

import functools
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
        except (ValueError, IndexError, TypeError, ZeroDivisionError, np.linalg.LinAlgError):
            return np.nan

    return wrapped


def _spd(eigenvalues, seed: int) -> np.ndarray:
    """A symmetric positive definite matrix with these eigenvalues and random axes."""
    n = len(eigenvalues)
    q, _ = np.linalg.qr(_rng(seed).standard_normal((n, n)))
    A = (q * np.asarray(eigenvalues, dtype=np.float64)) @ q.T
    return 0.5 * (A + A.T)


# --- 8.1 conjugate_gradient(A, b, x0, steps) ----------------------------------------------------


def _cg(A, b, x0, steps, *, beta_rule="fletcher-reeves", curvature=True, direction=-1.0):
    """The reference CG, with switches that reproduce each known mistake."""
    x = np.array(x0, dtype=np.float64)
    g = A @ x - b
    d = direction * g
    for _ in range(steps):
        if not np.any(g):  # already at the minimum
            break
        denominator = d @ A @ d if curvature else d @ d
        alpha = -(g @ d) / denominator
        x = x + alpha * d
        g_new = A @ x - b
        if beta_rule == "fletcher-reeves":
            beta = (g_new @ g_new) / (g @ g)
        elif beta_rule == "inverted":
            beta = (g @ g) / (g_new @ g_new)
        else:  # "none": steepest descent with exact line search
            beta = 0.0
        d = direction * g_new + beta * d
        g = g_new
    return x


def _cg_cases() -> list[Case]:
    r = _rng(81)
    A5 = _spd([0.5, 1.0, 2.0, 4.0, 9.0], seed=1)
    A8 = _spd(np.geomspace(1.0, 50.0, 8), seed=2)
    return [
        Case("A of size 5, x0 = 0, one step", (A5, r.standard_normal(5), np.zeros(5), 1)),
        Case("A of size 5, x0 = 0, two steps", (A5, r.standard_normal(5), np.zeros(5), 2)),
        Case(
            "A of size 8 (κ = 50), a random x0, three steps",
            (A8, r.standard_normal(8), r.standard_normal(8), 3),
        ),
        Case(
            "A of size 8 (κ = 50), a random x0, six steps",
            (A8, r.standard_normal(8), r.standard_normal(8), 6),
        ),
        Case(
            "A of size 5, five steps (= n: the exact minimum)",
            (A5, r.standard_normal(5), r.standard_normal(5), 5),
        ),
    ]


ITEM_8_1 = Item(
    id="8.1",
    function="conjugate_gradient",
    references=(
        "companion.second_order.conjugate_gradient",
        "companion.second_order.newton",
        "companion.second_order.newton_step",
    ),
    points=3,
    arg_names=("A", "b", "x0", "steps"),
    cases=_cg_cases,
    reference=_cg,
    mistakes=(
        Mistake(
            "never mixes in the previous direction (β = 0): that is steepest descent with an "
            "exact line search, which zig-zags; the next direction is d ← −g + β d with "
            "β = gₖ₊₁ᵀgₖ₊₁ / gₖᵀgₖ",
            _safe(lambda A, b, x0, steps: _cg(A, b, x0, steps, beta_rule="none")),
        ),
        Mistake(
            "has β upside down: β = gₖ₊₁ᵀgₖ₊₁ / gₖᵀgₖ, the new gradient's squared norm over "
            "the old one's",
            _safe(lambda A, b, x0, steps: _cg(A, b, x0, steps, beta_rule="inverted")),
        ),
        Mistake(
            "leaves A out of the step length: the exact minimum along d is at "
            "α = −gᵀd / (dᵀ A d), not −gᵀd / (dᵀd)",
            _safe(lambda A, b, x0, steps: _cg(A, b, x0, steps, curvature=False)),
        ),
        Mistake(
            "jumps to the exact minimum A⁻¹b: conjugate gradient reaches it only after n steps "
            "(in exact arithmetic); return the iterate after `steps` steps",
            _safe(lambda A, b, x0, steps: np.linalg.solve(A, b)),
        ),
        Mistake(
            "takes one step too many: the loop runs `steps` times (x after one step is x0 + "
            "α d with d = −g)",
            _safe(lambda A, b, x0, steps: _cg(A, b, x0, steps + 1)),
        ),
        Mistake(
            "takes one step too few: the loop runs `steps` times",
            _safe(lambda A, b, x0, steps: _cg(A, b, x0, steps - 1)),
        ),
    ),
    rtol=1e-6,
    atol=1e-9,
    hints={
        "shape": "Return the iterate x, an array shaped like x0.",
        "mutated": "x = x0.copy() before the loop, or x = x + alpha * d (not x += ...)",
        "nonfinite": "If the gradient is exactly 0 you are at the minimum: stop there, before "
        "dividing by gᵀg = 0.",
    },
)


# --- 8.2 cg_steps(A) -----------------------------------------------------------------------


def _cg_steps_cases() -> list[Case]:
    return [
        Case("A of size 6 with eigenvalues 1, 1, 1, 4, 4, 9", (_spd([1, 1, 1, 4, 4, 9], 3),)),
        Case("A of size 5 with five different eigenvalues", (_spd([1, 2, 3, 5, 8], 4),)),
        Case("A of size 8 with eigenvalues 2 (×4) and 50 (×4)", (_spd([2] * 4 + [50] * 4, 5),)),
        Case("the diagonal A = diag(3, 3, 7, 7)", (np.diag([3.0, 3.0, 7.0, 7.0]),)),
        Case(
            "A of size 10 with eigenvalues 1, 10, 100 (and repeats)",
            (_spd([1, 1, 10, 10, 10, 100, 100, 100, 100, 1], 6),),
        ),
    ]


def _distinct(A, tol=1e-8):
    values = np.sort(np.linalg.eigvalsh(A))
    gaps = np.diff(values) > tol * values[-1]
    return 1 + int(np.sum(gaps))


ITEM_8_2 = Item(
    id="8.2",
    kind="predict",
    function="cg_steps",
    references=("companion.second_order.conjugate_gradient",),
    points=2,
    arg_names=("A",),
    cases=_cg_steps_cases,
    reference=_distinct,
    mistakes=(
        Mistake(
            "counts the eigenvalues with np.unique, which sees 4.000000000000001 and 4.0 as two "
            "numbers: count the gaps between sorted eigenvalues that are larger than a "
            "tolerance (such as 1e-8 times the largest)",
            _safe(lambda A: len(np.unique(np.linalg.eigvalsh(A)))),
        ),
        Mistake(
            "gives n, the dimension: that is the bound for any A. In exact arithmetic CG "
            "needs only as many steps as A has distinct eigenvalues (each step removes one "
            "eigenvalue from the error's polynomial)",
            _safe(lambda A: A.shape[0]),
        ),
    ),
    rtol=0.0,
    atol=0.0,
    hints={"shape": "Return one whole number: the count of steps."},
)


# --- 8.3 mixed_precision_training(weights, grads, lr) -------------------------------------


def _master(weights, grads, lr):
    master = np.asarray(weights, dtype=np.float32).copy()
    for g in grads:
        master = master - np.float32(lr) * g.astype(np.float32)
    return master


def _mixed(weights, grads, lr):
    return _master(weights, grads, lr).astype(np.float16)


def _all_half(weights, grads, lr):
    w = np.asarray(weights).astype(np.float16)
    for g in grads:
        w = w - np.float16(lr) * g.astype(np.float16)
    return w


def _mixed_cases() -> list[Case]:
    cases = []
    for label, seed, n, steps, lr, scale in [
        ("8 weights near 1, 300 steps of lr = 0.01, gradients near 0.01", 31, 8, 300, 0.01, 1.0),
        ("12 weights near 4, 500 steps of lr = 0.001, gradients near 0.05", 32, 12, 500, 1e-3, 4.0),
        ("6 weights near 0.25, 100 steps of lr = 0.1, gradients near 0.01", 33, 6, 100, 0.1, 0.25),
    ]:
        r = _rng(seed)
        weights = (scale * r.uniform(0.8, 1.2, n)).astype(np.float32)
        grads = (0.01 * (1 + r.uniform(-0.5, 0.5, (steps, n)))).astype(np.float16)
        if seed == 32:
            grads = (5 * grads).astype(np.float16)
        cases.append(Case(label, (weights, grads, lr)))
    return cases


ITEM_8_3 = Item(
    id="8.3",
    kind="debug",
    function="mixed_precision_training",
    points=2,
    arg_names=("weights", "grads", "lr"),
    cases=_mixed_cases,
    reference=_mixed,
    mistakes=(
        Mistake(
            "still adds the updates in float16: an update smaller than half the spacing of "
            "float16 numbers near a weight (about 5e-4 near 1) is rounded away, step after "
            "step. Keep a float32 master copy, add each update there, and round to float16 "
            "only for the forward pass",
            _safe(_all_half),
        ),
        Mistake(
            "returns the float32 master weights: the forward pass uses them rounded to "
            "float16, master.astype(np.float16)",
            _safe(_master),
        ),
        Mistake(
            "moves uphill: each update is w ← w − lr · g",
            _safe(lambda weights, grads, lr: _mixed(weights, -grads, lr)),
        ),
    ),
    rtol=1e-9,
    atol=0.0,
    hints={
        "shape": "Return the weights as the forward pass uses them: one float16 array shaped "
        "like weights.",
        "mutated": "work on a copy: master = weights.astype(np.float32) makes one",
    },
)


# --- 8.4 momentum_speedup(n, kappa, seed) ---------------------------------------------------

#: The stopping rule and budget of the race (the learner uses the same, from the notebook).
TOL, BUDGET = 1e-6, 100_000


def _steps(n, kappa, seed, *, gd_lr="best", ratio=True):
    gd, heavy = _race(int(n), float(kappa), int(seed), gd_lr)
    return gd / heavy if ratio else (gd, heavy)


@functools.lru_cache(maxsize=64)
def _race(n: int, kappa: float, seed: int, gd_lr: str) -> tuple[int, int]:
    """Steps of gradient descent and of the heavy ball (cached: the judge asks repeatedly)."""
    from ..descent import gradient_descent
    from ..optim import SGD, minimize, optimal_momentum
    from ..second_order import random_quadratic

    bowl = random_quadratic(n=n, condition_number=kappa, seed=seed)
    lr = bowl.best_lr if gd_lr == "best" else 1.0 / bowl.L
    gd = gradient_descent(bowl.f, bowl.grad, bowl.start, lr=lr, steps=BUDGET, tol=TOL)
    heavy_lr, beta, _ = optimal_momentum(bowl.mu, bowl.L)
    heavy = minimize(
        bowl.f,
        bowl.grad,
        bowl.start,
        lambda params: SGD(params, lr=heavy_lr, momentum=beta),
        steps=BUDGET,
        tol=TOL,
    )
    return gd.steps, heavy.steps


def _speedup_cases() -> list[Case]:
    return [
        Case("n = 10, κ = 25, seed 0", (10, 25.0, 0)),
        Case("n = 20, κ = 100, seed 1", (20, 100.0, 1)),
        Case("n = 10, κ = 400, seed 2", (10, 400.0, 2)),
    ]


ITEM_8_4 = Item(
    id="8.4",
    kind="experiment",
    function="momentum_speedup",
    points=2,
    arg_names=("n", "kappa", "seed"),
    cases=_speedup_cases,
    reference=_steps,
    mistakes=(
        Mistake(
            "is the theory's √κ, not a measurement: run both methods and divide their step "
            "counts (the point is to see how close the theory is)",
            _safe(lambda n, kappa, seed: np.sqrt(kappa)),
        ),
        Mistake(
            "is upside down: divide gradient descent's steps by the heavy ball's, so that the "
            "speed-up is larger than 1",
            _safe(lambda n, kappa, seed: 1.0 / _steps(n, kappa, seed)),
        ),
        Mistake(
            "runs gradient descent at η = 1/L: its best fixed rate is 2/(μ + L) "
            "(bowl.best_lr), the fair comparison with Polyak's best momentum",
            _safe(lambda n, kappa, seed: _steps(n, kappa, seed, gd_lr="1/L")),
        ),
    ),
    rtol=1e-9,
    atol=0.0,
    hints={"shape": "Return one number: gradient descent's steps over the heavy ball's."},
)


ITEMS = (ITEM_8_1, ITEM_8_2, ITEM_8_3, ITEM_8_4)
