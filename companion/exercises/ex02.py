"""Exercise 2 — gradient descent: the items, their cases and their known mistakes.

Every function a case passes to the learner is a named, module-level function, so a grader in
another process can name it rather than send code.
"""

from __future__ import annotations

import numpy as np

from .core import Case, Item, Mistake

# --- gradients handed to the learner's loop ---------------------------------------------------


def bowl_gradient(theta: np.ndarray) -> np.ndarray:
    """∇J for J(θ) = ½(θ₀² + 10 θ₁²): an elongated bowl with L = 10, μ = 1."""
    return theta * np.array([1.0, 10.0])


def round_gradient(theta: np.ndarray) -> np.ndarray:
    """∇J for J(θ) = ½‖θ‖² (θ of any shape): the gradient is θ itself."""
    return theta.copy()


def rosenbrock_gradient(theta: np.ndarray) -> np.ndarray:
    """∇J for Rosenbrock's J(x, y) = (1 − x)² + 100 (y − x²)²."""
    x, y = theta
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


# --- 2.1 gradient_descent(grad, theta0, lr, max_steps, tol) ----------------------------------


def _descent_cases() -> list[Case]:
    return [
        Case(
            "the bowl ½(θ₀² + 10θ₁²) from [1, 1], lr = 0.05, max_steps = 1000, tol = 1e-6",
            (bowl_gradient, np.array([1.0, 1.0]), 0.05, 1000, 1e-6),
        ),
        Case(
            "the same bowl, max_steps = 5, tol = 1e-12 (the step budget stops it)",
            (bowl_gradient, np.array([1.0, 1.0]), 0.05, 5, 1e-12),
        ),
        Case(
            "½‖θ‖² from [1, 1, 1], lr = 0.1, max_steps = 100, tol = 0.5 (a small gradient stops)",
            (round_gradient, np.array([1.0, 1.0, 1.0]), 0.1, 100, 0.5),
        ),
        Case(
            "½‖θ‖² from [0.01, -0.02, 0.01], tol = 0.1: the start already has ‖∇J‖ <= tol",
            (round_gradient, np.array([0.01, -0.02, 0.01]), 0.1, 100, 0.1),
        ),
        Case(
            "Rosenbrock from [-1.2, 1], lr = 1e-3, max_steps = 2000, tol = 1e-3",
            (rosenbrock_gradient, np.array([-1.2, 1.0]), 1e-3, 2000, 1e-3),
        ),
    ]


def _descend(
    grad,
    theta0,
    lr,
    max_steps,
    tol,
    *,
    sign=-1.0,
    use_lr=True,
    measure=np.linalg.norm,
    stop=True,
    inverted=False,
    check_first=True,
):
    """The reference loop, with switches that reproduce each known mistake."""
    theta = theta0.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(max_steps):
            g = grad(theta)
            small = measure(g) <= tol
            if stop and (check_first or step > 0) and (small != inverted):
                break
            theta = theta + sign * (lr if use_lr else 1.0) * g
    return theta


def _reference_descent(grad, theta0, lr, max_steps, tol):
    return _descend(grad, theta0, lr, max_steps, tol)


ITEM_2_1 = Item(
    id="2.1",
    function="gradient_descent",
    references=("companion.descent.gradient_descent",),
    points=4,
    arg_names=("grad", "theta0", "lr", "max_steps", "tol"),
    cases=_descent_cases,
    reference=_reference_descent,
    mistakes=(
        Mistake(
            "moves uphill: you stepped along +∇J; the update is θ ← θ − lr · ∇J(θ)",
            lambda grad, theta0, lr, n, tol: _descend(grad, theta0, lr, n, tol, sign=1.0),
        ),
        Mistake(
            "ignores the learning rate: the step is lr · ∇J(θ), not ∇J(θ)",
            lambda grad, theta0, lr, n, tol: _descend(grad, theta0, lr, n, tol, use_lr=False),
        ),
        Mistake(
            "never stops on a small gradient: before each step, stop when "
            "np.linalg.norm(∇J(θ)) <= tol and return θ",
            lambda grad, theta0, lr, n, tol: _descend(grad, theta0, lr, n, tol, stop=False),
        ),
        Mistake(
            "stops at once: stop when the gradient is small (norm <= tol) and keep going "
            "while it is large — your test is the wrong way round",
            lambda grad, theta0, lr, n, tol: _descend(grad, theta0, lr, n, tol, inverted=True),
        ),
        Mistake(
            "takes a step before looking at the gradient: when the start already has "
            "‖∇J(θ₀)‖ <= tol, return θ₀ unchanged — check before every update, the first too",
            lambda grad, theta0, lr, n, tol: _descend(grad, theta0, lr, n, tol, check_first=False),
        ),
        Mistake(
            "compares the squared norm ‖∇J‖² with tol: compare the norm itself, "
            "np.linalg.norm(g) <= tol",
            lambda grad, theta0, lr, n, tol: _descend(
                grad, theta0, lr, n, tol, measure=lambda g: np.sum(g**2)
            ),
        ),
        Mistake(
            "stops on the largest entry max|g_i|: the stopping rule uses the Euclidean norm "
            "of the whole gradient, np.linalg.norm(g)",
            lambda grad, theta0, lr, n, tol: _descend(
                grad, theta0, lr, n, tol, measure=lambda g: np.max(np.abs(g))
            ),
        ),
        Mistake(
            "compares the sum of the gradient's entries with tol: entries of opposite sign "
            "cancel; use the norm, np.linalg.norm(g)",
            lambda grad, theta0, lr, n, tol: _descend(grad, theta0, lr, n, tol, measure=np.sum),
        ),
        Mistake(
            "makes one update too many: take at most max_steps steps (for step in "
            "range(max_steps))",
            lambda grad, theta0, lr, n, tol: _descend(grad, theta0, lr, n + 1, tol),
        ),
        Mistake(
            "makes one update too few: take up to max_steps steps, not max_steps - 1",
            lambda grad, theta0, lr, n, tol: _descend(grad, theta0, lr, max(n - 1, 0), tol),
        ),
    ),
    hints={
        "shape": "Return the final θ, an array shaped like theta0 (not the path or a count).",
        "nonfinite": "Your iterates overflowed: check the sign of the update, θ − lr · ∇J(θ), "
        "and that the step is multiplied by lr.",
        "mutated": "θ -= lr * g changes the caller's theta0 in place; write θ = θ - lr * g, "
        "or start from θ = theta0.copy()",
    },
)


# --- 2.2 largest_stable_lr(A) ------------------------------------------------------------------


def _stable_lr_cases() -> list[Case]:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3)) * np.array([1.0, 3.0, 0.5]) + np.array([0.0, 1.0, 2.0])
    return [
        Case("A = diag(4, 1)", (np.diag([4.0, 1.0]),)),
        Case("A = [[2, 1.5], [1.5, 2]] (a rotated bowl)", (np.array([[2.0, 1.5], [1.5, 2.0]]),)),
        Case("A = Xᵀ X / n for a data set with 3 features", (X.T @ X / len(X),)),
        Case("A = [[5]] (a parabola)", (np.array([[5.0]]),)),
    ]


def _eigenvalues(A):
    return np.linalg.eigvalsh(A)


ITEM_2_2 = Item(
    id="2.2",
    function="largest_stable_lr",
    points=2,
    arg_names=("A",),
    cases=_stable_lr_cases,
    reference=lambda A: 2.0 / _eigenvalues(A)[-1],
    mistakes=(
        Mistake(
            "uses the smallest eigenvalue μ: the steepest direction limits the step, so the "
            "bound is 2/L with L the largest eigenvalue (np.linalg.eigvalsh sorts ascending: "
            "take the last one)",
            lambda A: 2.0 / _eigenvalues(A)[0],
        ),
        Mistake(
            "is half the bound: 1/L is a safe rate, but gradient descent on "
            "J = ½ θᵀAθ converges for every η < 2/L",
            lambda A: 1.0 / _eigenvalues(A)[-1],
        ),
        Mistake(
            "is the best fixed rate 2/(μ + L), not the largest stable one, 2/L",
            lambda A: 2.0 / (_eigenvalues(A)[0] + _eigenvalues(A)[-1]),
        ),
        Mistake(
            "uses the largest diagonal entry: the curvatures are the eigenvalues of A, which "
            "differ from its diagonal when the bowl is rotated (off-diagonal entries)",
            lambda A: 2.0 / np.max(np.diag(A)),
        ),
        Mistake(
            "np.linalg.norm(A) is the Frobenius norm, not the largest eigenvalue: use "
            "np.linalg.eigvalsh(A).max() (or np.linalg.norm(A, 2))",
            lambda A: 2.0 / np.linalg.norm(A),
        ),
    ),
    hints={"shape": "Return one number: the bound 2/L."},
)


# --- 2.3 standardize(X) ------------------------------------------------------------------------


def _standardize_cases() -> list[Case]:
    houses = np.array(
        [
            [120.0, 4.0, 35.0],
            [65.0, 2.0, 80.0],
            [210.0, 7.0, 5.0],
            [95.0, 3.0, 52.0],
            [150.0, 5.0, 12.0],
            [80.0, 3.0, 60.0],
        ]
    )
    return [
        Case("6 houses: area (m²), rooms, age (years)", (houses,)),
        Case(
            "5 rows of 2 features with negative values",
            (np.array([[-3.0, 0.2], [1.0, -0.4], [4.0, 0.1], [-2.0, 0.5], [0.5, -0.1]]),),
        ),
        Case(
            "4 rows of 4 features (as many rows as columns)",
            (
                np.array(
                    [
                        [1.0, 10.0, 0.0, 5.0],
                        [2.0, 30.0, 1.0, 5.5],
                        [4.0, 20.0, 0.0, 4.0],
                        [3.0, 60.0, 1.0, 6.5],
                    ]
                ),
            ),
        ),
    ]


def _reference_standardize(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


ITEM_2_3 = Item(
    id="2.3",
    function="standardize",
    references=("companion.regression.standardize", "companion.data.standardize"),
    points=2,
    arg_names=("X",),
    cases=_standardize_cases,
    reference=_reference_standardize,
    mistakes=(
        Mistake(
            "only subtracts the mean: also divide each column by its standard deviation",
            lambda X: X - X.mean(axis=0),
        ),
        Mistake(
            "only divides by the standard deviation: also subtract each column's mean",
            lambda X: X / X.std(axis=0),
        ),
        Mistake(
            "computes the statistics per row (axis=1): each feature is a column, so use "
            "X.mean(axis=0) and X.std(axis=0)",
            lambda X: (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True),
        ),
        Mistake(
            "uses one mean and one standard deviation for the whole matrix: every feature "
            "(column) needs its own, axis=0",
            lambda X: (X - X.mean()) / X.std(),
        ),
        Mistake(
            "divides by the sample standard deviation (ddof=1): use np.std's default ddof=0, "
            "as scikit-learn's StandardScaler does",
            lambda X: (X - X.mean(axis=0)) / X.std(axis=0, ddof=1),
        ),
        Mistake(
            "divides by the variance: divide by the standard deviation, its square root",
            lambda X: (X - X.mean(axis=0)) / X.var(axis=0),
        ),
        Mistake(
            "is min-max scaling to [0, 1]: standardizing subtracts the mean and divides by "
            "the standard deviation",
            lambda X: (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0)),
        ),
    ),
    hints={
        "shape": "Return only the standardized array, shaped like X.",
        "mutated": "X -= X.mean(axis=0) changes the caller's data; compute a new array",
    },
)


# --- 2.4 standardization_speedup(X) ------------------------------------------------------------


def _speedup_cases() -> list[Case]:
    rng = np.random.default_rng(4)
    area = rng.normal(110.0, 35.0, 60)
    rooms = np.round(area / 28.0 + rng.normal(0.0, 0.7, 60))
    age = rng.uniform(0.0, 80.0, 60)
    correlated = rng.normal(size=(50, 1)) @ np.array([[1.0, 0.9]]) + 0.3 * rng.normal(size=(50, 2))
    return [
        Case("60 houses: area (m²), rooms, age (years)", (np.column_stack([area, rooms, age]),)),
        Case(
            "50 rows of 2 correlated features, scaled by 1 and 1000",
            (correlated * np.array([1.0, 1000.0]),),
        ),
        Case(
            "30 rows of 3 features with means 5, -20, 0.1",
            (rng.normal(size=(30, 3)) * np.array([2.0, 8.0, 0.05]) + np.array([5.0, -20.0, 0.1]),),
        ),
    ]


def _kappa(M):
    eigenvalues = np.linalg.eigvalsh(M.T @ M / len(M))
    return eigenvalues[-1] / eigenvalues[0]


def _with_ones(X):
    return np.column_stack([np.ones(len(X)), X])


def _reference_speedup(X):
    return _kappa(_with_ones(X)) / _kappa(_with_ones(_reference_standardize(X)))


ITEM_2_4 = Item(
    id="2.4",
    function="standardization_speedup",
    points=2,
    arg_names=("X",),
    cases=_speedup_cases,
    reference=_reference_speedup,
    mistakes=(
        Mistake(
            "is the square root of the right answer: np.linalg.cond(X) is the condition "
            "number of X itself; the Hessian is H = XᵀX/n, whose κ is its square",
            lambda X: (
                np.linalg.cond(_with_ones(X))
                / np.linalg.cond(_with_ones(_reference_standardize(X)))
            ),
        ),
        Mistake(
            "leaves out the column of ones: the model has an intercept, and the raw "
            "features' large means are exactly what makes the bowl elongated",
            lambda X: _kappa(X) / _kappa(_reference_standardize(X)),
        ),
        Mistake(
            "is upside down: the speed-up is κ(raw) / κ(standardized), a number above 1",
            lambda X: 1.0 / _reference_speedup(X),
        ),
        Mistake(
            "uses the diagonal of H (each feature's mean square) instead of its eigenvalues: "
            "κ = λ_max / λ_min, from np.linalg.eigvalsh(H)",
            lambda X: (
                _diagonal_ratio(_with_ones(X))
                / _diagonal_ratio(_with_ones(_reference_standardize(X)))
            ),
        ),
    ),
    rtol=1e-6,
    hints={"shape": "Return one number: κ(raw) / κ(standardized)."},
)


def _diagonal_ratio(M):
    diagonal = np.diag(M.T @ M / len(M))
    return diagonal.max() / diagonal.min()


# --- 2.5 steps_needed(kappa, reduction) -------------------------------------------------------


def _whole(answer):
    """A mistake's answer, or NaN where the mistaken formula does not run."""

    def wrapped(*args):
        try:
            with np.errstate(all="ignore"):
                return float(answer(*args))
        except (ValueError, OverflowError, ZeroDivisionError):
            return float("nan")

    return wrapped


def _steps_needed(kappa, reduction, rate=lambda k: (k - 1) / (k + 1), rounding=np.ceil):
    """At its best fixed rate 2/(μ + L), gradient descent shrinks the error by (κ−1)/(κ+1) per
    step (in the worst direction): the first k with ρᵏ ≤ reduction."""
    return int(rounding(np.log(reduction) / np.log(rate(kappa)) - 1e-9))


def _steps_cases() -> list[Case]:
    return [
        Case("κ = 10, shrink the error 1e6-fold", (10.0, 1e-6)),
        Case("κ = 100, shrink it 1000-fold", (100.0, 1e-3)),
        Case("κ = 2, shrink it 1e9-fold", (2.0, 1e-9)),
        Case("κ = 1000, shrink it 100-fold", (1000.0, 1e-2)),
    ]


ITEM_2_5 = Item(
    id="2.5",
    kind="predict",
    function="steps_needed",
    points=2,
    arg_names=("kappa", "reduction"),
    cases=_steps_cases,
    reference=_steps_needed,
    mistakes=(
        Mistake(
            "uses the rate of η = 1/L, 1 − 1/κ: at the best fixed rate 2/(μ + L) the error "
            "shrinks by (κ − 1)/(κ + 1) per step",
            _whole(
                lambda kappa, reduction: _steps_needed(kappa, reduction, rate=lambda k: 1 - 1 / k)
            ),
        ),
        Mistake(
            "rounds down: after that many steps the error is still a little too large; take "
            "the ceiling of log(reduction) / log(ρ)",
            _whole(lambda kappa, reduction: _steps_needed(kappa, reduction, rounding=np.floor)),
        ),
        Mistake(
            "uses κ steps per e-fold as a rule of thumb: count exactly, ρᵏ ≤ reduction with "
            "ρ = (κ − 1)/(κ + 1)",
            _whole(lambda kappa, reduction: int(np.ceil(kappa * np.log(1 / reduction)))),
        ),
    ),
    rtol=0.0,
    atol=0.0,
    hints={"shape": "Return one whole number of steps."},
)


ITEMS = (ITEM_2_1, ITEM_2_2, ITEM_2_3, ITEM_2_4, ITEM_2_5)
