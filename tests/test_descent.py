"""companion.descent: the gradient-descent loop, its stopping rules and its divergence report.

The property tests use the one surface on which gradient descent is solved exactly — a
quadratic with a random symmetric positive definite Hessian — and check the theory: below
2/L it converges at the rate max|1 - eta lambda|; above it, it diverges, and the loop says so
without raising and without a single NaN in what it returns.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from companion.descent import STATUSES, DescentResult, gradient_descent, linear_rate  # noqa: E402
from companion.plots import contour_levels, plot_contour_path, plot_losses  # noqa: E402
from companion.surfaces import Quadratic, quadratic_bowl, rosenbrock, saddle  # noqa: E402


@st.composite
def problems(draw):
    """A quadratic with a random SPD Hessian (n = 1..5, kappa <= 30) and a start whose
    component along every eigenvector is between 0.5 and 1 in size."""
    n = draw(st.integers(1, 5))
    top = draw(st.floats(0.5, 10.0))
    kappa = draw(st.floats(1.0, 30.0))
    inner = draw(st.lists(st.floats(0.0, 1.0), min_size=max(n - 2, 0), max_size=max(n - 2, 0)))
    eigenvalues = np.array(
        [top, top / kappa, *(top / kappa + f * (top - top / kappa) for f in inner)]
    )
    eigenvalues = eigenvalues[:n]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = Q @ np.diag(eigenvalues) @ Q.T
    q = Quadratic(0.5 * (A + A.T))  # minimum at the origin: no round-off floor on the error
    signs = rng.choice([-1.0, 1.0], size=n)
    start = q.eigenvectors @ (signs * rng.uniform(0.5, 1.0, size=n))
    return q, start


def assert_all_finite(result: DescentResult) -> None:
    for name in ("path", "losses", "grad_norms", "x"):
        assert np.all(np.isfinite(getattr(result, name))), name


# --- the theory, as properties ----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(problem=problems(), fraction=st.floats(0.05, 0.95))
def test_below_two_over_L_descent_converges(problem, fraction):
    q, start = problem
    lr = fraction * q.stable_lr
    result = gradient_descent(q.f, q.grad, start, lr=lr, steps=20_000, tol=1e-9)
    assert result.status == "converged"
    assert np.linalg.norm(result.x) <= 1e-9 / q.mu * 1.0001  # |grad| <= tol => |error| <= tol/mu
    assert np.all(np.diff(result.losses) <= 1e-15 * result.losses[0])  # the loss never rises
    assert_all_finite(result)


@settings(max_examples=60, deadline=None)
@given(problem=problems(), fraction=st.floats(0.05, 0.95))
def test_measured_linear_rate_matches_max_abs_one_minus_eta_lambda(problem, fraction):
    q, start = problem
    lr = fraction * q.stable_lr
    rho = q.rate(lr)
    assume(rho > 0.02)
    steps = int(min(300, np.floor(-150 / np.log10(rho))))  # stop before the error underflows
    result = gradient_descent(q.f, q.grad, start, lr=lr, steps=steps, tol=0.0)
    errors = np.linalg.norm(result.path, axis=1)
    # never faster than the slowest mode allows, and no more than a few % slower at the end
    assert np.all(errors[1:] <= rho * errors[:-1] * (1 + 1e-9))
    measured = errors[-1] / errors[-2]
    assert measured == pytest.approx(rho, rel=0.03)
    # the loss decays like rho^(2k): linear_rate of the loss is rho squared
    assert np.sqrt(linear_rate(result.losses, tail=0.2)) == pytest.approx(rho, rel=0.03)


@settings(max_examples=60, deadline=None)
@given(problem=problems(), factor=st.floats(1.1, 3.0))
def test_above_two_over_L_descent_is_reported_diverged_without_raising_or_nan(problem, factor):
    q, start = problem
    with np.errstate(all="raise"):  # not even a floating-point warning escapes the loop
        result = gradient_descent(q.f, q.grad, start, lr=factor * q.stable_lr, steps=10_000)
    assert result.status == "diverged"
    assert result.steps < 10_000
    assert result.losses[-1] > result.losses[0]
    assert_all_finite(result)


@pytest.mark.parametrize("lr", [1e10, 1e200, 1e307])
def test_an_overflowing_run_stops_at_its_last_finite_point(lr):
    r = rosenbrock()
    result = gradient_descent(r.f, r.grad, r.start, lr=lr, steps=100)
    assert result.status == "diverged"
    assert_all_finite(result)
    assert len(result.path) == len(result.losses) == len(result.grad_norms) >= 1
    assert "non-finite" in result.message or "rose" in result.message


def test_a_loss_that_returns_nan_is_a_divergence_not_an_exception():
    def f(theta):
        return float(np.sum(theta**2)) if abs(theta[0]) < 3 else float("nan")

    result = gradient_descent(f, lambda t: 2 * t, np.array([1.0]), lr=1.5, steps=50)
    assert result.status == "diverged" and "non-finite" in result.message
    assert_all_finite(result)


# --- the loop's bookkeeping and stopping rules ------------------------------------------------


def test_result_records_every_step_from_the_start():
    bowl = quadratic_bowl()
    x0 = bowl.start.copy()
    result = gradient_descent(bowl.f, bowl.grad, x0, lr=0.5, steps=7, tol=0.0)
    assert np.array_equal(x0, bowl.start)  # the caller's start is not modified
    assert result.path.shape == (8, 2) and result.losses.shape == result.grad_norms.shape == (8,)
    np.testing.assert_array_equal(result.path[0], x0)
    np.testing.assert_array_equal(result.x, result.path[-1])
    for k in range(7):  # each recorded point is one update from the one before
        expected = result.path[k] - 0.5 * bowl.grad(result.path[k])
        np.testing.assert_allclose(result.path[k + 1], expected, rtol=1e-15)
    np.testing.assert_allclose(result.losses, bowl.f(result.path))
    np.testing.assert_allclose(result.grad_norms, np.linalg.norm(bowl.grad(result.path), axis=1))
    assert result.status == "max_steps" and result.steps == 7 and result.lr == 0.5
    assert result.status in STATUSES and "7 steps" in str(result)


def test_stops_as_soon_as_the_gradient_norm_is_at_most_tol():
    bowl = quadratic_bowl()
    tol = 1e-3
    result = gradient_descent(bowl.f, bowl.grad, bowl.start, lr=1.0, steps=10_000, tol=tol)
    assert result.converged and result.grad_norms[-1] <= tol
    assert np.all(result.grad_norms[:-1] > tol)  # and not one step later
    assert "tol" in result.message


def test_a_start_that_is_already_stationary_takes_no_step():
    s = saddle()
    result = gradient_descent(s.f, s.grad, np.zeros(2), lr=0.1, steps=100)
    assert result.converged and result.steps == 0


def test_loss_tol_stops_when_the_loss_stalls():
    r = rosenbrock()
    result = gradient_descent(r.f, r.grad, r.start, lr=1e-3, steps=100_000, tol=0.0, loss_tol=1e-4)
    assert result.converged and "loss_tol" in result.message
    assert abs(result.losses[-2] - result.losses[-1]) <= 1e-4
    assert np.all(np.abs(np.diff(result.losses[:-1])) > 1e-4)


def test_zero_steps_only_evaluates_the_start():
    bowl = quadratic_bowl()
    result = gradient_descent(bowl.f, bowl.grad, bowl.start, lr=0.1, steps=0)
    assert result.steps == 0 and result.status == "max_steps"


def test_parameters_of_any_shape():
    target = np.arange(6.0).reshape(2, 3)
    result = gradient_descent(
        lambda W: float(np.sum((W - target) ** 2)),
        lambda W: 2 * (W - target),
        np.zeros((2, 3)),
        0.25,
        100,
    )
    assert result.converged and result.path.shape[1:] == (2, 3)
    np.testing.assert_allclose(result.x, target, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"f": 3.0}, TypeError, "f must be callable"),
        ({"grad": None}, TypeError, "grad must be callable"),
        ({"x0": np.array([1, 2])}, TypeError, "x0 must have a floating-point dtype"),
        ({"x0": np.array([np.nan, 0.0])}, ValueError, "x0 must contain only finite"),
        ({"lr": 0.0}, ValueError, "lr must be a positive"),
        ({"lr": -1.0}, ValueError, "lr must be a positive"),
        ({"steps": -1}, ValueError, "steps must be a non-negative integer"),
        ({"steps": 2.5}, ValueError, "steps must be a non-negative integer"),
        ({"steps": True}, ValueError, "steps must be a non-negative integer"),
        ({"tol": -1e-3}, ValueError, "tol must be a non-negative"),
        ({"loss_tol": -1.0}, ValueError, "loss_tol must be a non-negative"),
        ({"blowup": 0.0}, ValueError, "blowup must be a positive"),
        ({"grad": lambda t: np.zeros(3)}, ValueError, r"grad must return an array shaped like x0"),
        ({"f": lambda t: float("inf")}, ValueError, "not finite at x0"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    bowl = quadratic_bowl()
    arguments = {"f": bowl.f, "grad": bowl.grad, "x0": bowl.start, "lr": 0.1, "steps": 10}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        gradient_descent(**arguments)


# --- linear_rate ------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(rho=st.floats(0.05, 1.5), scale=st.floats(1e-3, 1e3), n=st.integers(4, 200))
def test_linear_rate_recovers_a_geometric_factor(rho, scale, n):
    assert linear_rate(scale * rho ** np.arange(n)) == pytest.approx(rho, rel=1e-9)


def test_linear_rate_skips_zeros_and_non_finite_values_and_needs_two_points():
    values = np.array([1.0, 0.5, 0.25, 0.125, 0.0, np.nan])
    assert linear_rate(values, tail=1.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="at least two"):
        linear_rate([1.0, 0.0, np.inf])
    with pytest.raises(ValueError, match="tail"):
        linear_rate([1.0, 0.5], tail=0.0)


# --- the figures: contour plots with paths and log-scale loss curves --------------------------


def test_contour_plot_draws_each_path_and_the_minima():
    bowl = quadratic_bowl()
    runs = [gradient_descent(bowl.f, bowl.grad, bowl.start, lr=lr, steps=50) for lr in (0.5, 1.8)]
    fig, ax = plt.subplots()
    lines = plot_contour_path(ax, bowl, runs, labels=["slow", "fast"], colors=["gd", "C1"])
    assert len(lines) == 2
    np.testing.assert_array_equal(lines[0].get_xydata(), runs[0].path)
    assert lines[0].get_color() == "#000000" and lines[1].get_label() == "fast"
    assert ax.get_xlim() == bowl.bounds[0] and ax.get_ylim() == bowl.bounds[1]
    plt.close(fig)


def test_loss_plot_is_log_scale_leaves_out_non_positive_values_and_marks_divergence():
    bowl = quadratic_bowl()
    good = gradient_descent(bowl.f, bowl.grad, bowl.start, lr=1.0, steps=100)
    bad = gradient_descent(bowl.f, bowl.grad, bowl.start, lr=2.5, steps=200)
    fig, ax = plt.subplots()
    lines = plot_losses(ax, [good, bad, np.array([1.0, 0.1, 0.0])])
    assert ax.get_yscale() == "log" and len(lines) == 3
    assert np.isnan(lines[2].get_ydata()[-1])  # J - J* = 0 is a gap, not -inf
    assert len(ax.lines) == 4  # the three curves and the divergence cross
    plt.close(fig)


def test_contour_levels_are_increasing_and_above_the_minimum():
    r = rosenbrock()
    _, _, Z = r.grid(80)
    levels = contour_levels(r, Z)
    assert np.all(np.diff(levels) > 0) and levels[0] > r.min_value
