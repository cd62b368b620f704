"""companion.surfaces: exact gradients, known minima and the quadratic's closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.gradients import gradient_check, numerical_gradient
from companion.surfaces import (
    Quadratic,
    Surface,
    beale,
    double_well,
    gallery,
    himmelblau,
    parabola,
    plateau,
    quadratic_bowl,
    rosenbrock,
    saddle,
)

SURFACES = {
    "quadratic bowl": quadratic_bowl,
    "steep bowl": lambda: quadratic_bowl(condition_number=100.0, degrees=-50.0, L=4.0),
    "rosenbrock": rosenbrock,
    "himmelblau": himmelblau,
    "beale": beale,
    "saddle": saddle,
    "plateau": plateau,
    "parabola": lambda: parabola(L=3.0, center=0.5),
    "double well": double_well,
    "quadratic in 4-D": lambda: Quadratic(
        np.diag([1.0, 2.0, 5.0, 9.0]), center=np.array([1.0, -1.0, 0.5, 2.0]), offset=3.0
    ),
}


@pytest.fixture(params=sorted(SURFACES))
def surface(request) -> Surface:
    return SURFACES[request.param]()


def points_inside(surface: Surface, count: int, seed: int = 0) -> np.ndarray:
    """Seeded random points in the surface's window."""
    rng = np.random.default_rng(seed)
    low, high = np.array(surface.bounds).T
    return rng.uniform(low, high, size=(count, surface.dim))


def hessian(surface: Surface, theta: np.ndarray) -> np.ndarray:
    """Numerical Hessian: Chapter 1's numerical gradient of each analytic gradient component."""
    rows = [
        numerical_gradient(lambda t, i=i: surface.grad(t)[i], theta) for i in range(surface.dim)
    ]
    H = np.array(rows)
    return 0.5 * (H + H.T)


# --- gradients --------------------------------------------------------------------------------


def test_every_gradient_passes_chapter_1s_gradient_check(surface):
    checked = 0
    for theta in points_inside(surface, 25):
        # Chapter 1's caveat: where the gradient is tiny next to |J| (far out on the plateau,
        # |grad J| ~ 1e-8 with J ~ 1) a central difference measures only round-off.
        if np.linalg.norm(surface.grad(theta)) < 1e-4 * (1 + abs(surface.f(theta))):
            continue
        result = gradient_check(surface.f, surface.grad, theta)
        assert result.passed, (surface.name, theta, str(result))
        checked += 1
    assert checked >= 15


def test_gradient_check_catches_a_wrong_gradient(surface):
    wrong = lambda t: 1.1 * surface.grad(t)  # noqa: E731
    theta = surface.start + 0.1
    assert gradient_check(surface.f, wrong, theta).verdict == "wrong"


def test_evaluation_is_vectorised_over_leading_axes(surface):
    points = points_inside(surface, 12, seed=1).reshape(3, 4, surface.dim)
    values = surface.f(points)
    grads = surface.grad(points)
    assert values.shape == (3, 4) and grads.shape == (3, 4, surface.dim)
    for index in np.ndindex(3, 4):
        assert values[index] == pytest.approx(surface.f(points[index]), rel=1e-12)
        np.testing.assert_allclose(grads[index], surface.grad(points[index]), rtol=1e-12)
    assert isinstance(surface.f(points[0, 0]), float)


def test_a_point_of_the_wrong_dimension_is_refused_by_name(surface):
    with pytest.raises(ValueError, match=f"theta must have shape \\({surface.dim},\\)"):
        surface.f(np.zeros(surface.dim + 1))


# --- minima and saddles -----------------------------------------------------------------------


def test_the_gradient_vanishes_at_every_known_minimum_and_saddle(surface):
    for point in np.concatenate([surface.minima, surface.saddles]):
        assert np.linalg.norm(surface.grad(point)) < 1e-9, (surface.name, point)


def test_minima_curve_upwards_and_saddles_both_ways(surface):
    for point in surface.minima:
        assert np.linalg.eigvalsh(hessian(surface, point)).min() > 0, (surface.name, point)
    for point in surface.saddles:
        eigenvalues = np.linalg.eigvalsh(hessian(surface, point))
        if surface.dim == 1:
            assert eigenvalues[0] < 0  # a 1-D "saddle" is the maximum between two wells
        else:
            assert eigenvalues.min() < 0 < eigenvalues.max()


def test_no_point_of_the_window_is_lower_than_the_global_minimum(surface):
    low, high = np.array(surface.bounds).T
    axes = [np.linspace(lo, hi, 60 if surface.dim <= 2 else 9) for lo, hi in surface.bounds]
    grid = np.stack(np.meshgrid(*axes), axis=-1)
    assert surface.f(grid).min() >= surface.min_value - 1e-12
    assert surface.f(surface.minima[0]) == pytest.approx(surface.min_value, abs=1e-12)


def test_the_start_lies_in_the_window_and_is_not_already_stationary(surface):
    low, high = np.array(surface.bounds).T
    assert np.all((low <= surface.start) & (surface.start <= high))
    assert np.linalg.norm(surface.grad(surface.start)) > 1e-3


def test_himmelblau_has_four_minima_of_value_zero():
    h = himmelblau()
    assert len(h.minima) == 4
    np.testing.assert_allclose(h.f(h.minima), 0.0, atol=1e-20)


def test_saddle_minima_and_stable_manifold():
    s = saddle()
    np.testing.assert_allclose(s.f(s.minima), -0.25)
    # on the line y = 0 the gradient has no y-component: descent can't leave the line
    for x in (-1.5, 0.3, 1.8):
        assert s.grad(np.array([x, 0.0]))[1] == 0.0


def test_double_well_lists_the_global_minimum_first():
    w = double_well()
    assert w.f(w.minima[0]) < w.f(w.minima[1])
    assert len(w.saddles) == 1 and w.minima[0, 0] < w.saddles[0, 0] < w.minima[1, 0]


def test_nearest_names_the_closest_stationary_point():
    s = saddle()
    kind, point, distance = s.nearest(np.array([0.0, 0.01]))
    assert kind == "saddle" and distance == pytest.approx(0.01)
    kind, point, _ = s.nearest(np.array([0.1, -0.9]))
    assert kind == "minimum" and np.allclose(point, [0.0, -1.0])


def test_gallery_offers_the_two_dimensional_surfaces():
    surfaces = gallery()
    assert set(surfaces) == {
        "quadratic bowl",
        "rosenbrock",
        "himmelblau",
        "beale",
        "saddle",
        "plateau",
    }
    assert all(s.dim == 2 and s.name == name for name, s in surfaces.items())


def test_grid_covers_the_window():
    r = rosenbrock()
    X, Y, Z = r.grid(50)
    assert X.shape == Y.shape == Z.shape == (50, 50)
    assert (X.min(), X.max(), Y.min(), Y.max()) == (-2.0, 2.0, -1.0, 3.0)
    with pytest.raises(ValueError, match="2-D"):
        double_well().grid()


# --- the quadratic: L, mu, kappa, and gradient descent in closed form -------------------------


def test_quadratic_bowl_has_the_requested_curvatures_and_rotation():
    bowl = quadratic_bowl(condition_number=25.0, degrees=30.0, L=2.0)
    assert bowl.L == pytest.approx(2.0) and bowl.mu == pytest.approx(0.08)
    assert bowl.condition_number == pytest.approx(25.0)
    flat_axis = bowl.eigenvectors[:, 0]  # eigenvector of mu
    angle = np.deg2rad(30.0)
    assert abs(flat_axis @ np.array([-np.sin(angle), np.cos(angle)])) == pytest.approx(1.0)
    np.testing.assert_allclose(bowl.hessian, bowl.hessian.T)


def test_parabola_step_multiplies_the_error_by_one_minus_eta_L():
    p = parabola(L=4.0, center=1.0)
    theta = np.array([3.0])
    step = theta - 0.1 * p.grad(theta)
    assert (step - 1.0) == pytest.approx((1 - 0.1 * 4.0) * (theta - 1.0))
    assert p.stable_lr == 0.5 and p.rate(0.25) == 0.0


@st.composite
def spd_quadratics(draw):
    """A random symmetric positive definite Hessian (n = 1..5), its minimum and a start."""
    n = draw(st.integers(1, 5))
    eigenvalues = np.array(draw(st.lists(st.floats(0.1, 10.0), min_size=n, max_size=n)))
    rotation, _ = np.linalg.qr(
        np.random.default_rng(draw(st.integers(0, 2**32 - 1))).normal(size=(n, n))
    )
    A = rotation @ np.diag(eigenvalues) @ rotation.T
    center = np.array(draw(st.lists(st.floats(-3, 3), min_size=n, max_size=n)))
    return Quadratic(0.5 * (A + A.T), center=center, offset=draw(st.floats(-5, 5)))


@settings(max_examples=40, deadline=None)
@given(q=spd_quadratics())
def test_kappa_and_the_best_rate_follow_from_the_eigenvalues(q):
    eigenvalues = np.linalg.eigvalsh(q.hessian)
    assert q.L == pytest.approx(eigenvalues.max()) and q.mu == pytest.approx(eigenvalues.min())
    assert q.condition_number >= 1.0
    kappa = q.condition_number
    assert q.rate(q.best_lr) == pytest.approx((kappa - 1) / (kappa + 1), abs=1e-9)
    for factor in (0.5, 0.9, 1.1, 1.5):  # the best fixed rate beats its neighbours
        assert q.rate(q.best_lr) <= q.rate(factor * q.best_lr) + 1e-12
    assert q.rate(0.999 * q.stable_lr) < 1.0 < q.rate(1.001 * q.stable_lr)


@settings(max_examples=40, deadline=None)
@given(q=spd_quadratics(), fraction=st.floats(0.05, 0.99), seed=st.integers(0, 1000))
def test_closed_form_loss_matches_the_gradient_descent_iteration(q, fraction, seed):
    theta0 = q.center + np.random.default_rng(seed).normal(size=q.dim)
    lr = fraction * q.stable_lr
    gap = q.loss_gap(theta0, lr, 30)
    theta, measured = theta0.copy(), []
    for _ in range(31):
        measured.append(q.f(theta) - q.offset)
        theta = theta - lr * q.grad(theta)
    np.testing.assert_allclose(gap, measured, rtol=1e-7, atol=1e-12 * (1 + abs(gap[0])))


@pytest.mark.parametrize(
    ("hessian", "message"),
    [
        ([[1.0, 2.0]], "square"),
        ([[1.0, 0.5], [0.0, 1.0]], "symmetric"),
        ([[1.0, 0.0], [0.0, -2.0]], "positive definite"),
        ([[1.0, np.nan], [np.nan, 1.0]], "finite"),
    ],
)
def test_quadratic_refuses_a_bad_hessian_by_name(hessian, message):
    with pytest.raises(ValueError, match=message):
        Quadratic(hessian)


def test_quadratic_bowl_validates_its_arguments():
    with pytest.raises(ValueError, match="condition_number must be at least 1"):
        quadratic_bowl(condition_number=0.5)
    with pytest.raises(ValueError, match="L must be a positive"):
        quadratic_bowl(L=-1.0)
    with pytest.raises(ValueError, match=r"center must have shape \(2,\)"):
        Quadratic(np.eye(2), center=np.zeros(3))
    with pytest.raises(ValueError, match="lr must be a positive"):
        quadratic_bowl().rate(0.0)
