"""Exercise 2's checks against wrong implementations written the way learners write them.

The generic tests in test_exercises.py already prove that the source solutions pass, the
generated stubs fail and every known mistake gets its own message. Here each wrong function
is realistic code, not a mistake's own answer function, and must get a specific diagnosis.
"""

from __future__ import annotations

import numpy as np
import pytest

from companion.exercises import ITEMS, check

# --- 2.1 the loop ------------------------------------------------------------------------------


def climbs(grad, theta0, lr, max_steps, tol):
    theta = theta0.copy()
    for _ in range(max_steps):
        g = grad(theta)
        if np.linalg.norm(g) <= tol:
            break
        theta = theta + lr * g
    return theta


def never_stops(grad, theta0, lr, max_steps, tol):
    theta = theta0.copy()
    for _ in range(max_steps):
        theta = theta - lr * grad(theta)
    return theta


def in_place(grad, theta0, lr, max_steps, tol):
    theta = theta0
    for _ in range(max_steps):
        g = grad(theta)
        if np.linalg.norm(g) <= tol:
            break
        theta -= lr * g
    return theta


def while_off_by_one(grad, theta0, lr, max_steps, tol):
    theta, step = theta0.copy(), 0
    while step <= max_steps:
        g = grad(theta)
        if np.linalg.norm(g) <= tol:
            break
        theta = theta - lr * g
        step += 1
    return theta


def squared_norm(grad, theta0, lr, max_steps, tol):
    theta = theta0.copy()
    for _ in range(max_steps):
        g = grad(theta)
        if g @ g < tol:
            break
        theta = theta - lr * g
    return theta


def every_entry_small(grad, theta0, lr, max_steps, tol):
    theta = theta0.copy()
    for _ in range(max_steps):
        g = grad(theta)
        if np.all(np.abs(g) < tol):
            break
        theta = theta - lr * g
    return theta


def no_learning_rate(grad, theta0, lr, max_steps, tol):
    theta = theta0.copy()
    for _ in range(max_steps):
        g = grad(theta)
        if np.linalg.norm(g) <= tol:
            break
        theta = theta - g
    return theta


def returns_the_path(grad, theta0, lr, max_steps, tol):
    path = [theta0.copy()]
    for _ in range(max_steps):
        g = grad(path[-1])
        if np.linalg.norm(g) <= tol:
            break
        path.append(path[-1] - lr * g)
    return np.array(path)


def step_then_check(grad, theta0, lr, max_steps, tol):
    theta = theta0.copy()
    for _ in range(max_steps):
        theta = theta - lr * grad(theta)
        if np.linalg.norm(grad(theta)) <= tol:
            break
    return theta


# --- correct alternatives ----------------------------------------------------------------------


def while_loop(grad, theta0, lr, max_steps, tol):
    theta, g, steps = theta0.copy(), grad(theta0), 0
    while np.linalg.norm(g) > tol and steps < max_steps:
        theta = theta - lr * g
        g = grad(theta)
        steps += 1
    return theta


WRONG = {
    "2.1": [
        ("stepped along +grad", climbs, "you stepped along +∇J"),
        ("no stopping rule", never_stops, "never stops on a small gradient"),
        ("-= on theta0", in_place, "changes the caller's theta0 in place"),
        ("while step <= max_steps", while_off_by_one, "one update too many"),
        ("g @ g < tol", squared_norm, "squared norm"),
        ("all |g_i| < tol", every_entry_small, "largest entry"),
        ("theta - g", no_learning_rate, "ignores the learning rate"),
        ("returns the path", returns_the_path, "Return the final θ"),
        ("step, then check", step_then_check, "takes a step before looking at the gradient"),
        ("forgets to return", lambda grad, theta0, lr, n, tol: None, "forget the `return`"),
    ],
    "2.2": [
        ("smallest eigenvalue", lambda A: 2 / np.linalg.eigvalsh(A)[0], "smallest eigenvalue"),
        ("np.linalg.norm", lambda A: 2 / np.linalg.norm(A), "Frobenius"),
        ("largest entry", lambda A: 2 / A.max(), "diagonal"),
        ("one over L", lambda A: 1 / np.max(np.linalg.eigvals(A)), "half the bound"),
        ("every eigenvalue", lambda A: 2 / np.linalg.eigvalsh(A), "Return one number"),
    ],
    "2.3": [
        (
            "-= on X",
            lambda X: np.divide(np.subtract(X, X.mean(axis=0), out=X), X.std(axis=0)),
            "changes the caller's data",
        ),
        ("whole matrix", lambda X: (X - X.mean()) / X.std(), "one mean and one standard deviation"),
        ("sample std", lambda X: (X - X.mean(axis=0)) / X.std(axis=0, ddof=1), "ddof=1"),
        ("rows", lambda X: ((X.T - X.T.mean(axis=0)) / X.T.std(axis=0)).T, "per row"),
        (
            "returns the statistics too",
            lambda X: (X - X.mean(0), X.mean(0), X.std(0)),
            "not numbers",
        ),
    ],
    "2.4": [
        (
            "np.linalg.cond of the design",
            lambda X: (
                np.linalg.cond(np.column_stack([np.ones(len(X)), X]))
                / np.linalg.cond(np.column_stack([np.ones(len(X)), (X - X.mean(0)) / X.std(0)]))
            ),
            "square root",
        ),
        (
            "no intercept",
            lambda X: (
                np.linalg.cond(X.T @ X)
                / np.linalg.cond(((X - X.mean(0)) / X.std(0)).T @ ((X - X.mean(0)) / X.std(0)))
            ),
            "column of ones",
        ),
    ],
}


@pytest.mark.parametrize(
    ("item_id", "implementation", "expected"),
    [(item_id, impl, expected) for item_id, rows in WRONG.items() for _, impl, expected in rows],
    ids=[f"{item_id}-{name}" for item_id, rows in WRONG.items() for name, _, _ in rows],
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong loops overflow
def test_realistic_wrong_implementation_gets_a_specific_diagnosis(
    item_id, implementation, expected
):
    feedback = check(item_id, implementation)
    assert not feedback.passed
    assert expected in feedback.message, feedback.message


def _kappa_by_cond(features):
    design = np.column_stack([np.ones(len(features)), features])
    return np.linalg.cond(design.T @ design)  # no 1/n: kappa doesn't change


@pytest.mark.parametrize(
    ("item_id", "implementation"),
    [
        ("2.1", while_loop),
        ("2.2", lambda A: 2 / np.linalg.norm(A, 2)),
        ("2.2", lambda A: 2 / max(np.linalg.eigvals(A).real)),
        (
            "2.3",
            lambda X: (X - np.mean(X, axis=0)) / np.sqrt(np.mean((X - X.mean(0)) ** 2, axis=0)),
        ),
        ("2.4", lambda X: _kappa_by_cond(X) / _kappa_by_cond((X - X.mean(0)) / X.std(0))),
    ],
)
def test_correct_alternative_implementations_pass(item_id, implementation):
    assert check(item_id, implementation).passed


def test_the_loop_cases_separate_every_stopping_rule():
    """Each case is stopped by something different, so no stopping bug hides behind another."""
    cases = ITEMS["2.1"].cases()
    stops = []
    for case in cases:
        grad, theta0, lr, max_steps, tol = case.args
        theta, steps = theta0.copy(), 0
        while steps < max_steps and np.linalg.norm(grad(theta)) > tol:
            theta, steps = theta - lr * grad(theta), steps + 1
        stops.append("gradient" if steps < max_steps else "budget")
        assert steps > 0 or np.linalg.norm(grad(theta0)) <= tol
    assert {"gradient", "budget"} <= set(stops)
    assert any(np.linalg.norm(case.args[0](case.args[1])) <= case.args[4] for case in cases)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # ascent overflows on Rosenbrock
def test_partial_credit_on_the_loop():
    feedback = check("2.1", climbs)
    # the only case ascent gets right is the one that must not move at all: an answer any
    # non-computing function gives too, so it earns nothing, and the mistake is still named
    assert feedback.score == 0
    assert "no points" in feedback.message and "moves uphill" in feedback.message


# --- 2.5 predicting the number of steps ---------------------------------------------------------


@pytest.mark.parametrize("case", ITEMS["2.5"].cases(), ids=lambda c: c.label)
def test_the_prediction_is_what_running_gradient_descent_shows(case):
    kappa, reduction = case.args
    predicted = ITEMS["2.5"].reference(kappa, reduction)
    error, k = 1.0, 0  # the flat direction at the best rate: e <- (1 - lr * mu) e
    lr = 2 / (1 + kappa)
    while abs(error) > reduction:
        error *= 1 - lr
        k += 1
    assert k == predicted


@pytest.mark.parametrize(
    ("implementation", "expected"),
    [
        (lambda kappa, r: int(np.ceil(np.log(r) / np.log(1 - 1 / kappa))), "1 − 1/κ"),
        (lambda kappa, r: int(np.log(r) / np.log((kappa - 1) / (kappa + 1))), "rounds down"),
    ],
)
def test_realistic_wrong_predictions_are_named(implementation, expected):
    feedback = check("2.5", implementation)
    assert not feedback.passed and expected in feedback.message
