"""Exercise 8's checks against implementations written the way learners write them."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest
from _nbtools import ROOT

from companion.exercises import ITEMS, check
from companion.exercises.ex08 import BUDGET, TOL
from companion.second_order import conjugate_gradient as companion_cg

# --- 8.1 conjugate gradient ---------------------------------------------------------------------


def steepest_descent(A, b, x0, steps):
    x = x0.copy()
    for _ in range(steps):
        g = A @ x - b
        x = x - (g @ g) / (g @ A @ g) * g
    return x


def no_curvature(A, b, x0, steps):
    x, g = x0.copy(), A @ x0 - b
    d = -g
    for _ in range(steps):
        alpha = -(g @ d) / (d @ d)
        x = x + alpha * d
        g_new = A @ x - b
        d = -g_new + (g_new @ g_new) / (g @ g) * d
        g = g_new
    return x


def beta_upside_down(A, b, x0, steps):
    x, g = x0.copy(), A @ x0 - b
    d = -g
    for _ in range(steps):
        x = x - (g @ d) / (d @ A @ d) * d
        g_new = A @ x - b
        d = -g_new + (g @ g) / (g_new @ g_new) * d
        g = g_new
    return x


def inclusive_loop(A, b, x0, steps):
    x, g = x0.copy(), A @ x0 - b
    d = -g
    for _ in range(steps + 1):
        x = x - (g @ d) / (d @ A @ d) * d
        g_new = A @ x - b
        d = -g_new + (g_new @ g_new) / (g @ g) * d
        g = g_new
    return x


def in_place(A, b, x0, steps):
    x, g = x0, A @ x0 - b
    d = -g
    for _ in range(steps):
        x -= (g @ d) / (d @ A @ d) * d
        g_new = A @ x - b
        d = -g_new + (g_new @ g_new) / (g @ g) * d
        g = g_new
    return x


@pytest.mark.parametrize(
    ("implementation", "expected"),
    [
        (steepest_descent, "steepest descent"),
        (no_curvature, "leaves A out"),
        (beta_upside_down, "β upside down"),
        (inclusive_loop, "one step too many"),
        (lambda A, b, x0, steps: np.linalg.solve(A, b), "jumps to the exact minimum"),
        (in_place, "changed its argument `x0`"),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_realistic_wrong_conjugate_gradients_are_named(implementation, expected):
    feedback = check("8.1", implementation)
    assert not feedback.passed and expected in feedback.message, feedback


def test_the_exact_minimum_case_is_partial_credit_only():
    feedback = check("8.1", lambda A, b, x0, steps: np.linalg.solve(A, b))
    assert 0 < feedback.score < 0.5  # it computes something, right only when steps = n


# --- 8.2 the predicted number of CG steps -------------------------------------------------------


@pytest.mark.parametrize("case", ITEMS["8.2"].cases(), ids=lambda c: c.label)
def test_the_prediction_is_what_running_cg_shows(case):
    (A,) = case.args
    predicted = int(ITEMS["8.2"].reference(A))
    b = np.arange(1.0, A.shape[0] + 1)
    run = companion_cg(
        lambda x: 0.5 * x @ A @ x - b @ x, lambda x: A @ x - b, lambda t, v: A @ v, np.zeros(len(b))
    )
    assert run.grad_norms[predicted] < 1e-8 * run.grad_norms[0]
    assert run.grad_norms[predicted - 1] > 1e-6 * run.grad_norms[0]


def test_a_prediction_of_n_is_named_as_the_bound():
    feedback = check("8.2", lambda A: len(A))
    assert "bound" in feedback.message and feedback.score < 1


def test_exact_unique_eigenvalues_are_named():
    feedback = check("8.2", lambda A: np.unique(np.linalg.eigvalsh(A)).size)
    assert "np.unique" in feedback.message


def test_running_the_companion_s_cg_to_count_is_not_a_prediction():
    def count_by_running(A):
        b = np.ones(len(A))
        run = companion_cg(
            lambda x: 0.5 * x @ A @ x - b @ x, lambda x: A @ x - b, lambda t, v: A @ v, b * 0
        )
        return run.steps

    feedback = check("8.2", count_by_running)
    assert feedback.score == 0 and "companion.second_order.conjugate_gradient" in feedback.flag


# --- 8.3 mixed precision ------------------------------------------------------------------------


def still_half(weights, grads, lr):
    w = weights.astype(np.float16)
    for g in grads:
        w -= np.float16(lr) * g
    return w


def returns_master(weights, grads, lr):
    master = weights.astype(np.float32)
    for g in grads:
        master = master - lr * g.astype(np.float32)
    return master


def climbs(weights, grads, lr):
    master = weights.astype(np.float32)
    for g in grads:
        master = master + lr * g.astype(np.float32)
    return master.astype(np.float16)


def float64_master(weights, grads, lr):
    master = weights.astype(np.float64)
    for g in grads:
        master = master - lr * g.astype(np.float64)
    return master.astype(np.float16)


@pytest.mark.parametrize(
    ("implementation", "expected"),
    [
        (still_half, "still adds the updates in float16"),
        (returns_master, "returns the float32 master weights"),
        (climbs, "moves uphill"),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_realistic_wrong_mixed_precision_loops_are_named(implementation, expected):
    feedback = check("8.3", implementation)
    assert not feedback.passed and expected in feedback.message, feedback


def test_a_float64_master_copy_is_also_right():
    assert check("8.3", float64_master).passed


def test_the_broken_loop_really_stands_still_on_the_first_case():
    weights, grads, lr = ITEMS["8.3"].cases()[0].args
    assert np.array_equal(still_half(weights, grads, lr), weights.astype(np.float16))
    assert not np.array_equal(
        ITEMS["8.3"].reference(weights, grads, lr), weights.astype(np.float16)
    )


# --- 8.4 the momentum experiment ----------------------------------------------------------------


def test_the_measured_speedup_grows_with_kappa_but_is_not_sqrt_kappa():
    item = ITEMS["8.4"]
    ratios = [item.reference(*case.args) for case in item.cases()]
    kappas = [case.args[1] for case in item.cases()]
    assert ratios == sorted(ratios) and all(r > 1 for r in ratios)
    assert not np.allclose(ratios, np.sqrt(kappas), rtol=1e-3)


def test_the_theory_and_the_wrong_rate_are_named():
    assert "theory's √κ" in check("8.4", lambda n, kappa, seed: kappa**0.5).message
    assert (
        "upside down"
        in check("8.4", lambda n, kappa, seed: 1 / ITEMS["8.4"].reference(n, kappa, seed)).message
    )


def test_the_notebook_states_the_same_tolerance_and_budget_as_the_grader():
    notebook = nbformat.read(ROOT / "exercises" / "08_putting_together.ipynb", as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    line = re.search(r"^TOL, BUDGET = (.+)$", code, re.M)
    assert line and eval(line.group(1)) == (TOL, BUDGET)  # noqa: S307 -- our own notebook
