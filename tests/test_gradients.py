"""companion.gradients: finite differences, relative error and gradient checking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from companion.gradients import (
    THRESHOLDS,
    default_step,
    derivative_errors,
    gradient_check,
    numerical_gradient,
    relative_error,
)

# --- smooth functions with known gradients, used by the property tests -----------------------


def _weights(shape: tuple[int, ...]) -> np.ndarray:
    return np.linspace(-1.5, 1.5, int(np.prod(shape))).reshape(shape)


SMOOTH_FUNCTIONS = {
    # name: (f, grad_f), both built for a given shape
    "weighted sin": lambda w: (
        lambda x: float(np.sum(w * np.sin(x))),
        lambda x: w * np.cos(x),
    ),
    "quadratic": lambda w: (
        lambda x: float(0.5 * np.sum(w * x**2)),
        lambda x: w * x,
    ),
    "log-sum-exp": lambda w: (
        lambda x: float(np.log(np.sum(np.exp(w * x)))),
        lambda x: w * np.exp(w * x) / np.sum(np.exp(w * x)),
    ),
    "cubic coupling": lambda w: (
        lambda x: float(np.sum(x) ** 3 / 10 + np.sum(w * x)),
        lambda x: np.full_like(x, 3 * np.sum(x) ** 2 / 10) + w,
    ),
}

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
points = shapes.flatmap(
    lambda shape: hnp.arrays(
        np.float64, shape, elements=st.floats(-2, 2, allow_nan=False, allow_infinity=False)
    )
)


@settings(max_examples=60, deadline=None)
@given(x=points, name=st.sampled_from(sorted(SMOOTH_FUNCTIONS)))
def test_central_difference_matches_analytic_gradient_to_1e_7(x, name):
    f, grad_f = SMOOTH_FUNCTIONS[name](_weights(x.shape))
    estimate = numerical_gradient(f, x)
    exact = grad_f(x)
    assert estimate.shape == x.shape
    # relative error with an absolute floor: near-zero partials carry round-off ~ eps/h
    assert np.max(np.abs(estimate - exact) / np.maximum(np.abs(exact), 1e-3)) <= 1e-7


@settings(max_examples=40, deadline=None)
@given(x=points, name=st.sampled_from(sorted(SMOOTH_FUNCTIONS)))
def test_numerical_gradient_never_changes_x(x, name):
    f, _ = SMOOTH_FUNCTIONS[name](_weights(x.shape))
    before = x.copy()
    numerical_gradient(f, x, method="central")
    numerical_gradient(f, x, method="forward")
    np.testing.assert_array_equal(x, before)


def test_forward_difference_is_measurably_worse_than_central():
    x = np.array([0.3, -1.1, 0.7, 2.0])
    f = lambda v: float(np.sum(np.exp(v)))  # noqa: E731
    exact = np.exp(x)
    h = 1e-4
    central = np.max(np.abs(numerical_gradient(f, x, h) - exact) / exact)
    forward = np.max(np.abs(numerical_gradient(f, x, h, method="forward") - exact) / exact)
    assert forward > 100 * central
    # and its error is the predicted truncation term h f''/2 = h/2 (relative), to 1%
    assert forward == pytest.approx(h / 2, rel=0.01)


def test_truncation_orders_are_one_and_two():
    hs = np.logspace(-4, -1, 7)
    for method, order in (("forward", 1), ("central", 2)):
        errors = derivative_errors(np.sin, np.cos, 1.0, hs, method=method)
        slope = np.polyfit(np.log(hs), np.log(errors), 1)[0]
        assert slope == pytest.approx(order, abs=0.1), method


def test_float32_has_larger_round_off_than_float64():
    hs = np.logspace(-12, -1, 45)
    best = {}
    for dtype in (np.float32, np.float64):
        errors = derivative_errors(np.sin, np.cos, 1.0, hs, dtype=dtype)
        best[dtype] = (hs[np.argmin(errors)], errors.min())
    assert best[np.float32][0] > 100 * best[np.float64][0]
    assert best[np.float32][1] > 1e3 * best[np.float64][1]


def test_float32_input_gives_float32_gradient():
    x = np.array([1.0, 2.0], dtype=np.float32)
    g = numerical_gradient(lambda v: float(np.sum(v**2)), x, h=1e-2)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, [2.0, 4.0], rtol=1e-3)


def test_x_is_restored_even_if_f_raises_midway():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f(v):
        calls.append(v.copy())
        if len(calls) == 4:
            raise RuntimeError("boom")
        return float(np.sum(v))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_each_coordinate_is_perturbed_alone_and_restored():
    x = np.zeros((2, 2))
    seen = []
    numerical_gradient(lambda v: seen.append(v.copy()) or 0.0, x, h=0.5)
    assert len(seen) == 2 * x.size  # central: two evaluations per coordinate
    for v in seen:
        assert np.count_nonzero(v) == 1 and np.abs(v).sum() == 0.5


def test_forward_difference_costs_n_plus_one_evaluations():
    calls = []
    numerical_gradient(lambda v: calls.append(1) or 0.0, np.zeros(5), method="forward")
    assert len(calls) == 6


# --- bad input gets a clear error ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"f": 3.0}, TypeError, "f must be callable"),
        ({"f": lambda v: v}, ValueError, r"f must return a scalar; got an array of shape \(2,\)"),
        ({"f": lambda v: "x"}, TypeError, "f must return a real scalar; got str"),
        ({"f": lambda v: float("nan")}, ValueError, "f returned nan"),
        ({"f": lambda v: np.inf}, ValueError, "f returned inf"),
        ({"x": np.array([1, 2])}, TypeError, "x must have a floating-point dtype.*int64"),
        ({"x": np.array([1.0, np.nan])}, ValueError, "x must contain only finite values"),
        ({"x": np.array([1 + 2j, 0j])}, TypeError, "x must be real"),
        ({"h": 0.0}, ValueError, "h must be a positive finite number; got 0.0"),
        ({"h": -1e-3}, ValueError, "h must be a positive finite number"),
        ({"h": "small"}, TypeError, "h must be a positive number; got str"),
        (
            {"method": "backward"},
            ValueError,
            "method must be 'central' or 'forward'; got 'backward'",
        ),
    ],
)
def test_bad_input_raises_a_clear_error(kwargs, error, message):
    args = {"f": lambda v: float(np.sum(v)), "x": np.array([1.0, 2.0])} | kwargs
    with pytest.raises(error, match=message):
        numerical_gradient(**args)


# --- relative_error ---------------------------------------------------------------------------


def test_relative_error_of_two_zeros_is_zero():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(0.0, 0.0) == 0.0


def test_relative_error_is_the_worst_element():
    a = np.array([1.0, 10.0, 0.0])
    b = np.array([1.0, 11.0, 0.0])
    assert relative_error(a, b) == pytest.approx(1 / 21)


# zero or well above float64's tiny, where the guard in the denominator starts to act
magnitudes = st.one_of(st.just(0.0), st.floats(1e-100, 1e6), st.floats(-1e6, -1e-100))


@settings(max_examples=50, deadline=None)
@given(
    a=hnp.arrays(np.float64, 5, elements=magnitudes),
    b=hnp.arrays(np.float64, 5, elements=magnitudes),
    scale=st.floats(1e-3, 1e3),
)
def test_relative_error_is_symmetric_bounded_and_scale_free(a, b, scale):
    e = relative_error(a, b)
    assert e == relative_error(b, a)
    assert 0.0 <= e <= 1.0
    assert relative_error(scale * a, scale * b) == pytest.approx(e, rel=1e-9, abs=1e-300)


def test_relative_error_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"same shape; got \(2,\) and \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))


def test_relative_error_rejects_nan():
    with pytest.raises(ValueError, match="b must contain only finite values"):
        relative_error(np.zeros(2), np.array([0.0, np.nan]))


# --- gradient_check ---------------------------------------------------------------------------


def _softplus_sum():
    f = lambda v: float(np.sum(np.log1p(np.exp(v))))  # noqa: E731
    grad = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    return f, grad


def test_gradient_check_passes_a_correct_gradient():
    f, grad = _softplus_sum()
    result = gradient_check(f, grad, np.linspace(-2, 2, 12).reshape(3, 4))
    assert result.passed and result.verdict == "correct"
    assert result.max_relative_error < THRESHOLDS[np.float64][0]
    assert result.checked == 12


def test_gradient_check_finds_a_wrong_gradient_and_where():
    f, grad = _softplus_sum()

    def buggy(v):
        g = grad(v)
        g[1, 2] *= 1.5  # one wrong entry
        return g

    result = gradient_check(f, buggy, np.linspace(-2, 2, 12).reshape(3, 4))
    assert not result.passed and result.verdict == "wrong"
    assert result.worst_index == (1, 2)


def test_gradient_check_calls_a_kink_a_kink_and_says_where():
    # ReLU at exactly 0: the central difference sees slope 1/2, the "analytic" rule says 0,
    # one side's slope; the one-sided differences (0 and 1) show the kink.
    f = lambda v: float(np.sum(np.maximum(v, 0)))  # noqa: E731
    grad = lambda v: (v > 0).astype(float)  # noqa: E731
    result = gradient_check(f, grad, np.array([-1.0, 0.0, 1.0]))
    assert result.verdict == "kink" and result.kinks == ((1,),) and not result.passed
    assert result.worst_index == (1,) and result.max_relative_error > 0.1
    assert "kink within the step at (1,)" in str(result)
    # just off the kink, closer than h: the same
    near = gradient_check(f, grad, np.array([-1.0, 3e-6, 1.0]))
    assert near.verdict == "kink" and near.kinks == ((1,),)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["relu", "abs"])
def test_every_kink_within_the_step_is_a_kink_not_wrong(dtype, name):
    f, grad = {
        "relu": (lambda v: float(np.sum(np.maximum(v, 0))), lambda v: (v > 0).astype(v.dtype)),
        "abs": (lambda v: float(np.sum(np.abs(v))), np.sign),
    }[name]
    rng = np.random.default_rng(0)
    for offset in np.linspace(-0.95, 0.95, 20) * default_step(dtype):  # 0 is not among them
        x = (rng.choice([-1, 1], 4) * rng.uniform(0.5, 2.0, 4)).astype(dtype)
        x[2] = offset
        result = gradient_check(f, grad, x)
        assert result.verdict == "kink" and result.kinks == ((2,),), (offset, result)


def test_a_wrong_gradient_beside_a_kink_is_still_wrong():
    f = lambda v: float(np.sum(np.maximum(v, 0)) + np.sum(np.sin(v)))  # noqa: E731

    def grad(v):
        g = (v > 0).astype(float) + np.cos(v)
        g[0] *= 1.01
        return g

    result = gradient_check(f, grad, np.array([0.7, 0.0, -1.2]))
    assert result.verdict == "wrong" and result.kinks == ((1,),) and result.worst_index == (0,)


def _smooth_float32_functions(n=10, seed=0):
    A = np.random.default_rng(seed).normal(size=(4, n)).astype(np.float32)

    def logsumexp(v):
        m = v.max()
        return float(m + np.log(np.sum(np.exp(v - m))))

    def softmax(v):
        e = np.exp(v - v.max())
        return e / e.sum()

    return [
        (lambda v: float(np.sum(np.sin(v))), np.cos),
        (lambda v: float(np.sum(v**3) / 3 + 0.5 * np.sum(v)), lambda v: v**2 + np.float32(0.5)),
        (logsumexp, softmax),
        (lambda v: float(np.sum(np.tanh(A @ v))), lambda v: A.T @ (1 - np.tanh(A @ v) ** 2)),
    ]


def test_correct_float32_gradients_are_correct_and_a_one_percent_error_is_wrong():
    # issue 17: with h = 1e-5 this was 0 of 80 correct; the default step now suits float32.
    rng = np.random.default_rng(1)
    for f, grad in _smooth_float32_functions():
        for _ in range(20):
            x = rng.normal(size=10).astype(np.float32)
            assert gradient_check(f, grad, x).verdict == "correct", x
            j = int(np.argmax(np.abs(grad(x))))

            def buggy(v, grad=grad, j=j):
                g = np.array(grad(v))
                g[j] *= 1.01
                return g

            result = gradient_check(f, buggy, x)
            assert result.verdict == "wrong" and result.worst_index == (j,)


def test_the_default_step_follows_chapter_1s_analysis():
    assert default_step(np.float64) == 1e-5
    eps32, eps64 = np.finfo(np.float32).eps, np.finfo(np.float64).eps
    assert default_step(np.float32) == pytest.approx(1e-5 * (eps32 / eps64) ** (1 / 3))
    assert 5e-3 < default_step(np.float32) < 1e-2  # Chapter 1 measures ~6e-3 for float32
    with pytest.raises(TypeError, match="dtype must be a floating-point type"):
        default_step(np.int64)


def test_a_zero_partial_derivative_is_judged_against_the_gradients_scale():
    # 0 against h**2: a ratio of two tiny numbers is 1, but h**2 is far below what a central
    # difference resolves next to a partial derivative of 3
    result = gradient_check(lambda v: float(np.sum(v**3)), lambda v: 3 * v**2, np.array([0.0, 1.0]))
    assert result.verdict == "correct"
    assert result.numerical[0] != 0


def test_gradient_check_on_random_coordinates_is_seeded_and_cheap():
    # f sums 10,000 small terms, so |f| stays small and round-off stays below 1e-7
    f = lambda v: float(0.5 * np.sum(v**2))  # noqa: E731
    grad = lambda v: v.copy()  # noqa: E731
    x = np.linspace(-0.01, 0.01, 10_000)
    calls = []

    def counted(v):
        calls.append(1)
        return f(v)

    first = gradient_check(counted, grad, x, num_checks=7, seed=0)
    assert first.checked == 7 and first.passed
    assert len(calls) == 14  # two evaluations per checked coordinate, not 20,000
    again = gradient_check(f, grad, x, num_checks=7, seed=0)
    np.testing.assert_array_equal(first.numerical, again.numerical)
    other = gradient_check(f, grad, x, num_checks=7, seed=1)
    assert not np.array_equal(first.numerical, other.numerical)


def test_gradient_check_float32_uses_looser_thresholds():
    f, grad = _softplus_sum()
    x = np.linspace(-2, 2, 6).astype(np.float32)
    result = gradient_check(f, grad, x, h=1e-2)
    assert result.passed, result
    assert result.max_relative_error > THRESHOLDS[np.float64][0]  # would fail float64's bar


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"grad_f": None}, TypeError, "grad_f must be callable"),
        ({"grad_f": lambda v: v[:1]}, ValueError, r"shaped like x \(3,\); got \(1,\)"),
        ({"grad_f": lambda v: v * np.nan}, ValueError, "grad_f returned non-finite"),
        ({"num_checks": 0}, ValueError, "num_checks must be between 1 and x.size=3; got 0"),
        ({"num_checks": 2.5}, TypeError, "num_checks must be an int"),
    ],
)
def test_gradient_check_bad_input(kwargs, error, message):
    f, grad = _softplus_sum()
    args = {"f": f, "grad_f": grad, "x": np.array([0.0, 1.0, 2.0])} | kwargs
    with pytest.raises(error, match=message):
        gradient_check(**args)


def test_gradient_check_result_reads_well():
    f, grad = _softplus_sum()
    text = str(gradient_check(f, grad, np.array([0.5])))
    assert text.startswith("gradient check correct: max relative error")
