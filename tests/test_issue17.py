"""Regression tests for the cases issue 17 listed in the teaching modules: each crashed, or
returned NaN or inf silently, or raised an error that did not say what was wrong.

(``momentum_rate``, ``load_state_dict`` and the optimizers' overflow live in
``companion.optim``; their cases are tested with it.)"""

from __future__ import annotations

import math

import numpy as np
import pytest

from companion.autodiff import Value
from companion.data import blobs, linear_regression, standardize, two_moons
from companion.descent import descend
from companion.gradients import derivative_errors, gradient_check, relative_error
from companion.layers import Linear, check_layer
from companion.losses import hinge_loss, mse
from companion.schedules import set_lr
from companion.toy_data import spirals

# --- crashes that are now named errors --------------------------------------------------------


def test_check_layer_of_none_names_the_layer():
    with pytest.raises(TypeError, match="layer must be a layer of companion.layers"):
        check_layer(None, np.ones((2, 3)))


def test_set_lr_on_none_names_the_optimizer():
    with pytest.raises(TypeError, match="optimizer must have param_groups"):
        set_lr(None, 0.1)


def test_descend_with_an_update_that_returns_a_float_names_the_update():
    with pytest.raises(TypeError, match="update must return the next point.*got float"):
        descend(lambda t: float(t @ t), lambda t: 2 * t, np.ones(2), lambda t, g: 1.0, steps=5)


def test_dividing_a_value_by_zero_says_so_without_talking_about_powers():
    with pytest.raises(ValueError, match="division by zero") as caught:
        Value(1.0) / Value(0.0)
    assert "**" not in str(caught.value) and "power" not in str(caught.value)
    with pytest.raises(ValueError, match="division by zero"):
        1.0 / Value(0.0)


def test_exp_of_a_large_value_is_an_overflow_error_not_an_overflowerror():
    with pytest.raises(ValueError, match=r"exp\(1000\) overflows"):
        Value(1000.0).exp()
    assert math.isfinite(Value(709.0).exp().data)  # the largest finite exp still works


def test_the_infinite_derivative_of_a_square_root_at_zero_is_named():
    # PyTorch gives inf here; a Value is finite by contract, so this is a named error
    y = Value(0.0) ** 0.5
    assert y.data == 0.0  # the forward value is fine
    with pytest.raises(ValueError, match="divides by zero"):
        y.backward()


def test_an_overflowing_gradient_is_reported_by_backward():
    x = Value(1e200)
    y = (x * 1e-200) ** 2 * 1e300  # finite forward; the gradient 2e100 * 1e300 overflows
    with pytest.raises(ValueError, match="gradient overflowed"):
        y.backward()


# --- silent non-finite results --------------------------------------------------------------


@pytest.mark.parametrize(("x0", "error"), [(None, TypeError), (math.nan, ValueError)])
def test_derivative_errors_checks_x0(x0, error):
    with pytest.raises(error, match="x0"):
        derivative_errors(np.sin, np.cos, x0, [1e-3])


def test_relative_error_of_opposite_huge_values_is_one_not_nan():
    assert relative_error([1e308], [-1e308]) == 1.0
    assert relative_error([1e308, 1.0], [1e308, 1.0]) == 0.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: linear_regression(20, noise=np.inf),
        lambda: two_moons(20, noise=np.inf),
        lambda: blobs(20, std=np.inf),
        lambda: spirals(20, noise=np.inf),
        lambda: linear_regression(20, noise=1e308),
    ],
)
def test_data_generators_refuse_infinite_or_overflowing_noise(make):
    with pytest.raises(ValueError, match="noise|std"):
        make()


def test_mse_is_finite_where_only_the_square_would_overflow():
    # 1.5e154 ** 2 = 2.25e308 overflows; the mean over 4 entries, 5.6e307, does not
    pred, target = np.array([1.5e154, 3.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0, 0.0])
    value, grad = mse(pred, target)
    assert math.isfinite(value) and value == pytest.approx(0.75e154**2, rel=1e-12)
    np.testing.assert_allclose(grad, [0.75e154, 1.0, 0.0, 0.0])


def test_mse_beyond_the_float_range_is_a_named_error():
    with pytest.raises(ValueError, match="mse: pred and target are too far apart"):
        mse(np.array([1e308]), np.array([-1e308]))


def test_hinge_loss_averages_huge_margins_without_overflow():
    value, grad = hinge_loss(np.array([-1e308, -1e308]), np.array([1, 1]))
    assert value == pytest.approx(1e308) and np.all(np.isfinite(grad))


def test_standardize_huge_finite_features():
    X = np.array([[1e308], [-1e308], [1e308]])
    z, mean, scale = standardize(X)
    assert np.all(np.isfinite(z)) and np.isfinite(mean).all() and np.isfinite(scale).all()
    np.testing.assert_allclose(z.ravel(), [1, -2, 1] / np.sqrt(2))


# --- gradient checks in float32 and at kinks ----------------------------------------------------


def test_check_layer_calls_a_correct_float32_layer_correct():
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    results = check_layer(Linear(5, 3, seed=0, dtype=np.float32), x, seed=0)
    assert {r.verdict for r in results.values()} == {"correct"}


def test_a_relu_kink_within_the_step_is_a_kink_not_wrong():
    relu = gradient_check(
        lambda v: float(np.sum(np.maximum(v, 0))),
        lambda v: (v > 0).astype(float),
        np.array([4e-6, 1.0, -2.0]),
    )
    assert relu.verdict == "kink" and relu.kinks == ((0,),)


# --- messages that name the argument -------------------------------------------------------------


def test_a_bad_dtype_names_the_dtype():
    with pytest.raises(TypeError, match="dtype must be"):
        Linear(2, 3, dtype="not a dtype")
    with pytest.raises(TypeError, match="dtype must be"):
        derivative_errors(np.sin, np.cos, 1.0, [1e-3], dtype=3.0)
