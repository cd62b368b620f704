"""companion.schedules: each formula, their composition, and their use with any optimizer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.optim import SGD, Adam
from companion.schedules import (
    constant,
    cosine,
    exponential,
    inverse_time,
    linear_warmup,
    sequential,
    set_lr,
    step_decay,
)

STEPS = np.arange(0, 250)


def test_each_schedule_is_its_formula_at_every_step():
    cases = [
        (constant(0.3), lambda t: 0.3),
        (step_decay(0.3, step_size=30, gamma=0.5), lambda t: 0.3 * 0.5 ** (t // 30)),
        (exponential(0.3, gamma=0.99), lambda t: 0.3 * 0.99**t),
        (inverse_time(0.3, decay=0.05), lambda t: 0.3 / (1 + 0.05 * t)),
        (
            cosine(0.3, steps=200, min_lr=0.01),
            lambda t: 0.01 + 0.145 * (1 + math.cos(math.pi * min(t, 200) / 200)),
        ),
        (
            linear_warmup(0.3, warmup_steps=40, start_lr=0.03),
            lambda t: 0.03 + 0.27 * min(t / 40, 1),
        ),
    ]
    for schedule, formula in cases:
        curve = schedule(STEPS)
        assert curve.shape == STEPS.shape
        for t in (0, 1, 29, 30, 39, 40, 199, 200, 249):
            value = schedule(t)
            assert isinstance(value, float)
            assert value == pytest.approx(formula(t), rel=1e-12)
            assert curve[t] == pytest.approx(value, rel=1e-12)


def test_the_cosine_stays_at_its_floor_after_its_last_step():
    schedule = cosine(1.0, steps=10, min_lr=0.1)
    assert schedule(10) == schedule(11) == schedule(10_000) == pytest.approx(0.1)
    assert schedule(5) == pytest.approx(0.55)  # half-way: the average of the two ends


def test_sequential_shifts_each_schedule_to_start_at_its_boundary():
    warm_then_decay = sequential([linear_warmup(1.0, 10), cosine(1.0, 90, min_lr=0.0)], [10])
    curve = warm_then_decay(np.arange(120))
    np.testing.assert_allclose(curve[:10], np.arange(10) / 10)
    np.testing.assert_allclose(curve[10:100], cosine(1.0, 90)(np.arange(90)))
    np.testing.assert_allclose(curve[100:], 0.0, atol=1e-15)
    assert np.all(np.abs(np.diff(curve)) <= 0.1 + 1e-12)  # continuous: no jump at the boundary
    three = sequential([constant(1.0), constant(2.0), constant(3.0)], [5, 7])
    assert [three(t) for t in (0, 4, 5, 6, 7, 100)] == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]


@given(
    lr=st.floats(1e-5, 10.0),
    t=st.integers(0, 10_000),
    gamma=st.floats(0.0, 1.0),
    steps=st.integers(1, 5000),
)
def test_decays_never_rise_above_their_start_or_below_zero(lr, t, gamma, steps):
    for schedule in (
        step_decay(lr, 7, gamma),
        exponential(lr, gamma),
        inverse_time(lr, gamma),
        cosine(lr, steps),
    ):
        assert 0.0 <= schedule(t) <= schedule(0) == pytest.approx(lr)
        assert schedule(t + 1) <= schedule(t) + 1e-15  # and never rise


def test_a_schedule_drives_any_optimizer():
    schedule = sequential([linear_warmup(0.1, 5), exponential(0.1, 0.9)], [5])
    for cls in (SGD, Adam):
        theta = np.array([1.0])
        opt = cls([theta], lr=123.0)
        seen = []
        for t in range(20):
            set_lr(opt, schedule(t))
            seen.append(opt.param_groups[0]["lr"])
            opt.step([theta.copy()])
        np.testing.assert_allclose(seen, schedule(np.arange(20)))
    groups = SGD([{"params": [np.zeros(1)]}, {"params": [np.zeros(1)], "lr": 1.0}], lr=0.5)
    set_lr(groups, np.float64(0.25))
    assert [g["lr"] for g in groups.param_groups] == [0.25, 0.25]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: cosine(0.1, steps=0), ValueError, "steps must be an integer of at least 1"),
        (lambda: cosine(0.1, steps=10, min_lr=0.2), ValueError, "min_lr must be at most lr"),
        (lambda: step_decay(0.1, step_size=2.5), ValueError, "step_size must be an integer"),
        (lambda: step_decay(0.1, 10, gamma=2.0), ValueError, "gamma must be at most 1"),
        (lambda: exponential(-0.1, 0.9), ValueError, "lr must be at least 0"),
        (lambda: exponential(0.1, 1.5), ValueError, "gamma must be at most 1"),
        (lambda: inverse_time(float("inf"), 0.1), ValueError, "lr must be a finite number"),
        (lambda: linear_warmup(0.1, 0), ValueError, "warmup_steps must be an integer"),
        (lambda: sequential([constant(1.0)], [5]), ValueError, "1 schedules need 0 boundaries"),
        (
            lambda: sequential([constant(1.0)] * 3, [5, 5]),
            ValueError,
            "boundaries must increase strictly",
        ),
        (lambda: sequential([1.0, 2.0], [5]), TypeError, "functions of the step"),
        (lambda: set_lr(SGD([np.zeros(1)]), -1.0), ValueError, "lr must be at least 0"),
    ],
)
def test_bad_arguments_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    ("t", "error"),
    [(-1, ValueError), (2.5, ValueError), (True, TypeError), ("3", TypeError)],
)
def test_bad_step_numbers_are_refused(t, error):
    with pytest.raises(error, match="step number t"):
        cosine(0.1, 10)(t)


def test_whole_float_steps_are_accepted():
    assert cosine(1.0, 10)(5.0) == cosine(1.0, 10)(5)
