"""companion.second_order: Newton's method and conjugate gradient on quadratics.

- Newton's step is the solution of H Δ = -g; on any quadratic one step lands on the minimum,
  and on a smooth convex function the error is squared at every step.
- Conjugate gradient builds A-conjugate directions, solves an n-dimensional quadratic in at
  most n steps (as many as the Hessian has distinct eigenvalues), and needs only H v products:
  the finite-difference product gives the same answer.
- On the chapter's ill-conditioned quadratic: CG < momentum < gradient descent in steps.
- A Hessian that is not positive definite is refused, with a message that says so.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.descent import DescentResult
from companion.optim import SGD, minimize, optimal_momentum
from companion.second_order import (
    conjugate_gradient,
    hessian_vector_product,
    newton,
    newton_step,
    random_quadratic,
)
from companion.surfaces import Quadratic

quadratics = st.builds(
    random_quadratic,
    n=st.integers(2, 12),
    condition_number=st.floats(1.0, 100.0),
    seed=st.integers(0, 2**32 - 1),
)


def exact_hvp(bowl):
    return lambda theta, v: bowl.hessian @ v


# --- Newton -----------------------------------------------------------------------------------


@given(st.integers(1, 8), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_newton_step_solves_the_linear_system(n, seed):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n))
    H = M @ M.T + n * np.eye(n)  # symmetric positive definite
    g = rng.normal(size=n)
    step = newton_step(g, H)
    np.testing.assert_allclose(H @ step, -g, atol=1e-9)
    np.testing.assert_allclose(step, np.linalg.solve(H, -g), rtol=1e-9, atol=1e-12)


@given(quadratics)
@settings(max_examples=40, deadline=None)
def test_newton_solves_any_quadratic_in_one_step(bowl):
    run = newton(bowl.f, bowl.grad, lambda theta: bowl.hessian, bowl.start, tol=1e-8)
    assert isinstance(run, DescentResult)
    assert run.steps == 1 and run.converged, run.message
    np.testing.assert_allclose(run.x, bowl.center, atol=1e-8)
    assert np.isnan(run.lr)


def test_newton_converges_quadratically_on_a_smooth_convex_function():
    # J(x) = exp(x) - 2x, minimum at ln 2, J'' = exp(x) > 0
    def f(x):
        return float(np.exp(x[0]) - 2 * x[0])

    def grad(x):
        return np.array([np.exp(x[0]) - 2.0])

    def hessian(x):
        return np.array([[np.exp(x[0])]])

    run = newton(f, grad, hessian, [1.5], steps=20, tol=1e-14)
    errors = np.abs(run.path[:, 0] - np.log(2.0))
    errors = errors[errors > 1e-12]
    assert run.converged and len(errors) >= 4
    ratios = errors[1:] / errors[:-1] ** 2  # e_{k+1} / e_k^2 tends to J'''/(2 J'') = 1/2
    assert np.all(ratios < 1.0) and abs(ratios[-1] - 0.5) < 0.05


@pytest.mark.parametrize(
    ("g", "H", "message"),
    [
        ([1.0, 1.0], [[1.0, 0.0], [0.0, -1.0]], "positive definite"),  # a saddle
        ([1.0, 1.0], [[1.0, 2.0], [0.0, 1.0]], "symmetric"),
        ([1.0, 1.0], [[1.0]], "shape"),
        ([[1.0]], [[1.0]], "shape"),
    ],
)
def test_newton_step_refuses_what_has_no_minimum_or_does_not_fit(g, H, message):
    with pytest.raises(ValueError, match=message):
        newton_step(g, H)


def test_newton_reports_a_saddle_on_the_way():
    with pytest.raises(ValueError, match="positive definite"):
        newton(
            lambda t: float(t[0] ** 2 - t[1] ** 2),
            lambda t: np.array([2 * t[0], -2 * t[1]]),
            lambda t: np.diag([2.0, -2.0]),
            [1.0, 1.0],
        )


# --- Hessian-vector products --------------------------------------------------------------------


@given(quadratics, st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_the_finite_difference_product_is_exact_on_a_quadratic(bowl, seed):
    rng = np.random.default_rng(seed)
    theta, v = rng.normal(size=bowl.center.size), rng.normal(size=bowl.center.size)
    np.testing.assert_allclose(
        hessian_vector_product(bowl.grad, theta, v), bowl.hessian @ v, rtol=1e-6, atol=1e-8
    )


def test_the_finite_difference_product_matches_the_hessian_of_a_quartic():
    # J = sum(x^4) / 4: H = diag(3 x^2)
    theta, v = np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, -1.0])
    hv = hessian_vector_product(lambda t: t**3, theta, v)
    np.testing.assert_allclose(hv, 3 * theta**2 * v, rtol=1e-8)
    assert np.array_equal(hessian_vector_product(lambda t: t**3, theta, np.zeros(3)), np.zeros(3))
    with pytest.raises(ValueError, match="shape of theta"):
        hessian_vector_product(lambda t: t**3, theta, np.ones(2))
    with pytest.raises(TypeError, match="grad must be a function"):
        hessian_vector_product("grad", theta, v)


# --- conjugate gradient ---------------------------------------------------------------------------


@given(quadratics)
@settings(max_examples=40, deadline=None)
def test_cg_solves_an_n_dimensional_quadratic_in_n_steps_up_to_rounding(bowl):
    n = bowl.center.size
    run = conjugate_gradient(bowl.f, bowl.grad, exact_hvp(bowl), bowl.start, tol=0.0)
    assert run.steps <= n  # the default budget (fewer if the gradient is exactly 0 earlier)
    # exact arithmetic would give 0; rounding leaves a small fraction of the first gradient
    assert run.grad_norms[-1] <= 1e-4 * run.grad_norms[0], run.grad_norms
    np.testing.assert_allclose(run.x, bowl.center, atol=1e-3)
    assert np.all(np.diff(run.losses) <= 1e-12)  # every line minimum lowers the loss
    more = conjugate_gradient(bowl.f, bowl.grad, exact_hvp(bowl), bowl.start, 2 * n, tol=1e-8)
    assert more.converged, more.message


@given(quadratics)
@settings(max_examples=30, deadline=None)
def test_cg_directions_are_conjugate_and_gradients_orthogonal(bowl):
    run = conjugate_gradient(bowl.f, bowl.grad, exact_hvp(bowl), bowl.start, tol=1e-9)
    # while the gradient is still large, before rounding error dominates it
    m = int(np.sum(run.grad_norms > 1e-3 * run.grad_norms[0]))
    steps = np.diff(run.path, axis=0)[:m]  # alpha_k d_k
    gram = steps @ bowl.hessian @ steps.T
    scale = np.sqrt(np.outer(np.diag(gram), np.diag(gram)))
    off = ~np.eye(len(steps), dtype=bool)
    assert np.all(np.abs(gram[off]) <= 1e-4 * scale[off])
    grads = bowl.grad(run.path[:m])
    inner = grads @ grads.T
    norms = np.sqrt(np.outer(np.diag(inner), np.diag(inner)))
    off = ~np.eye(len(grads), dtype=bool)
    assert np.all(np.abs(inner[off]) <= 1e-4 * norms[off])


def test_cg_needs_as_many_steps_as_distinct_eigenvalues():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(30, 30)))
    eigenvalues = np.repeat([1.0, 10.0, 100.0], 10)  # n = 30, three distinct eigenvalues
    bowl = Quadratic((Q * eigenvalues) @ Q.T, center=rng.normal(size=30))
    run = conjugate_gradient(bowl.f, bowl.grad, exact_hvp(bowl), np.zeros(30), tol=1e-8)
    assert run.converged and run.steps == 3


def test_cg_is_matrix_free_with_finite_difference_products():
    bowl = random_quadratic(n=20, condition_number=50.0, seed=3)
    exact = conjugate_gradient(bowl.f, bowl.grad, exact_hvp(bowl), bowl.start, 40, tol=1e-8)
    free = conjugate_gradient(
        bowl.f,
        bowl.grad,
        functools.partial(hessian_vector_product, bowl.grad),
        bowl.start,
        40,
        tol=1e-8,
    )
    assert free.converged and abs(free.steps - exact.steps) <= 3
    np.testing.assert_allclose(free.x, exact.x, atol=1e-7)


def test_the_chapters_race_cg_beats_momentum_beats_gradient_descent():
    bowl = random_quadratic(n=100, condition_number=1000.0, seed=0)
    gd = minimize(
        bowl.f, bowl.grad, bowl.start, functools.partial(SGD, lr=bowl.best_lr), 20_000, tol=1e-8
    )
    lr, beta, _ = optimal_momentum(bowl.mu, bowl.L)
    heavy = minimize(
        bowl.f, bowl.grad, bowl.start, functools.partial(SGD, lr=lr, momentum=beta), 20_000, 1e-8
    )
    cg = conjugate_gradient(bowl.f, bowl.grad, exact_hvp(bowl), bowl.start, 1000, tol=1e-8)
    assert gd.converged and heavy.converged and cg.converged
    assert cg.steps < heavy.steps < gd.steps / 10
    assert cg.steps <= 2 * 100  # n steps in exact arithmetic; rounding costs a few more


def test_cg_stops_at_the_budget_and_refuses_negative_curvature():
    bowl = random_quadratic(n=10, condition_number=100.0, seed=1)
    run = conjugate_gradient(bowl.f, bowl.grad, exact_hvp(bowl), bowl.start, steps=3)
    assert run.status == "max_steps" and run.steps == 3 and len(run.path) == 4
    untouched = conjugate_gradient(bowl.f, bowl.grad, exact_hvp(bowl), bowl.start, steps=0)
    assert untouched.steps == 0 and np.array_equal(untouched.x, bowl.start)
    with pytest.raises(ValueError, match="positive definite Hessian"):
        conjugate_gradient(
            lambda t: float(t[0] ** 2 - t[1] ** 2),
            lambda t: np.array([2 * t[0], -2 * t[1]]),
            lambda t, v: np.array([2 * v[0], -2 * v[1]]),
            [0.1, 1.0],
        )
    with pytest.raises(TypeError, match="hvp must be a function"):
        conjugate_gradient(bowl.f, bowl.grad, bowl.hessian, bowl.start)
    with pytest.raises(ValueError, match="steps must be"):
        conjugate_gradient(bowl.f, bowl.grad, exact_hvp(bowl), bowl.start, steps=-1)
    with pytest.raises(ValueError, match="shaped like x0"):
        conjugate_gradient(bowl.f, lambda t: np.ones(3), exact_hvp(bowl), bowl.start)


# --- the test problem ---------------------------------------------------------------------------


@given(st.integers(2, 30), st.floats(1.0, 1e4), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_random_quadratic_has_the_asked_condition_number_and_log_spaced_curvatures(n, kappa, seed):
    bowl = random_quadratic(n, kappa, seed)
    assert bowl.hessian.shape == (n, n) and np.array_equal(bowl.start, np.zeros(n))
    np.testing.assert_allclose(bowl.eigenvalues, np.geomspace(1 / kappa, 1.0, n), rtol=1e-8)
    assert bowl.condition_number == pytest.approx(kappa, rel=1e-8)
    again = random_quadratic(n, kappa, seed)
    np.testing.assert_array_equal(bowl.hessian, again.hessian)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 1}, "n must be an integer of at least 2"),
        ({"n": 2.5}, "n must be an integer of at least 2"),
        ({"condition_number": 0.5}, "at least 1"),
        ({"condition_number": -1.0}, "positive"),
    ],
)
def test_random_quadratic_checks_its_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        random_quadratic(**kwargs)
