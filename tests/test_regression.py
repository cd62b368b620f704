"""companion.regression: the losses gradient descent fits in Chapter 2, checked two ways —
their gradients against Chapter 1's gradient check, and the fitted weights against answers
found without gradient descent (least squares in closed form; Newton's method)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.descent import gradient_descent
from companion.gradients import gradient_check
from companion.regression import (
    add_intercept,
    least_squares,
    logistic,
    logistic_newton,
    make_housing,
    sigmoid,
    standardize,
    whiten,
)
from companion.surfaces import Quadratic


@pytest.fixture(scope="module")
def housing():
    return make_housing(n=200, seed=0)


def small_problem(seed: int, n: int = 30, d: int = 3):
    rng = np.random.default_rng(seed)
    X = add_intercept(rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d))
    theta = rng.normal(size=d + 1)
    y = X @ theta + rng.normal(scale=0.5, size=n)
    labels = (rng.uniform(size=n) < sigmoid(X @ theta)).astype(float)
    return X, y, labels


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_both_gradients_pass_the_gradient_check(seed):
    X, y, labels = small_problem(seed)
    theta = np.random.default_rng(seed + 1).normal(size=X.shape[1])
    for loss, grad in (least_squares(X, y), logistic(X, labels)):
        assert gradient_check(loss, grad, theta).passed


def test_least_squares_is_the_quadratic_with_hessian_xtx_over_n(housing):
    X = add_intercept(standardize(housing.X)[0])
    J, _ = least_squares(X, housing.y)
    theta_star = np.linalg.lstsq(X, housing.y, rcond=None)[0]
    q = Quadratic(X.T @ X / len(X), center=theta_star, offset=J(theta_star))
    for theta in np.random.default_rng(0).normal(0, 50, size=(10, 5)):
        assert J(theta) == pytest.approx(q.f(theta), rel=1e-10)


def test_gradient_descent_reaches_the_closed_form_least_squares_answer(housing):
    X = add_intercept(standardize(housing.X)[0])
    J, grad = least_squares(X, housing.y)
    H = X.T @ X / len(X)
    eigenvalues = np.linalg.eigvalsh(H)
    lr = 2 / (eigenvalues[0] + eigenvalues[-1])
    run = gradient_descent(J, grad, np.zeros(5), lr=lr, steps=10_000, tol=1e-10)
    assert run.converged
    np.testing.assert_allclose(run.x, np.linalg.lstsq(X, housing.y, rcond=None)[0], atol=1e-8)


def test_gradient_descent_reaches_newtons_logistic_answer(housing):
    X = add_intercept(standardize(housing.X)[0])
    labels = (housing.y > np.median(housing.y)).astype(float)
    J, grad = logistic(X, labels)
    theta_newton = logistic_newton(X, labels)
    assert np.abs(grad(theta_newton)).max() < 1e-12  # Newton's answer is the minimum
    lr = 4 / np.linalg.eigvalsh(X.T @ X / len(X)).max()  # 1/L, L bounded by sigma' <= 1/4
    run = gradient_descent(J, grad, np.zeros(5), lr=lr, steps=50_000, tol=1e-10)
    assert run.converged
    np.testing.assert_allclose(run.x, theta_newton, atol=1e-7)
    assert np.mean((X @ run.x > 0) == labels) > 0.85


def test_housing_data_is_reproducible_and_on_very_different_scales():
    a, b = make_housing(seed=3), make_housing(seed=3)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, make_housing(seed=4).X)
    scales = a.X.std(axis=0)
    assert scales.max() / scales.min() > 10
    assert len(a.features) == a.X.shape[1] and len(a.weights) == a.X.shape[1] + 1
    assert np.corrcoef(a.X[:, 0], a.X[:, 1])[0, 1] > 0.7  # area and rooms move together


def test_the_fit_recovers_the_generating_weights_roughly():
    data = make_housing(n=5000, seed=1)
    theta = np.linalg.lstsq(add_intercept(data.X), data.y, rcond=None)[0]
    np.testing.assert_allclose(theta[1:], data.weights[1:], rtol=0.1, atol=0.2)


def test_standardize_gives_mean_zero_and_unit_variance_and_returns_its_statistics(housing):
    Z, mean, std = standardize(housing.X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0)
    np.testing.assert_allclose(Z * std + mean, housing.X)
    with pytest.raises(ValueError, match="constant columns"):
        standardize(np.ones((4, 2)))


def test_whitening_decorrelates_and_makes_the_bowl_round(housing):
    W, mean, transform = whiten(housing.X)
    np.testing.assert_allclose(W.T @ W / len(W), np.eye(4), atol=1e-10)
    np.testing.assert_allclose((housing.X - mean) @ transform, W)
    H = add_intercept(W).T @ add_intercept(W) / len(W)
    assert np.linalg.cond(H) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="linearly dependent"):
        whiten(np.column_stack([housing.X[:, 0], 2 * housing.X[:, 0]]))


def test_sigmoid_is_stable_and_symmetric():
    z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        p = sigmoid(z)
    np.testing.assert_allclose(p + sigmoid(-z), 1.0)
    assert p[2] == 0.5 and p[0] == 0.0 and p[-1] == 1.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: least_squares(np.ones(3), np.ones(3)), "X must be a 2-D array"),
        (lambda: least_squares(np.ones((3, 2)), np.ones(4)), r"y must have shape \(3,\)"),
        (lambda: logistic(np.ones((3, 2)), np.array([0.0, 1.0, 2.0])), "labels 0 and 1"),
        (lambda: make_housing(n=1), "n must be at least 2"),
    ],
)
def test_bad_inputs_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
