"""companion.schedules against torch.optim.lr_scheduler, where PyTorch has the schedule.

A companion schedule is a function of the step number; a PyTorch scheduler changes the
optimizer's ``lr`` after every ``optimizer.step()``. The curves are compared over 300 steps:
``schedule(t)`` against the ``lr`` PyTorch's optimizer uses for step ``t``.

===========================  =====================================================
companion                    torch.optim.lr_scheduler
===========================  =====================================================
``step_decay``               ``StepLR(step_size, gamma)``
``exponential``              ``ExponentialLR(gamma)``
``cosine``                   ``CosineAnnealingLR(T_max=steps, eta_min=min_lr)``, up to ``T_max``
``linear_warmup``            ``LinearLR(start_lr / lr, 1.0, warmup_steps)``, start_lr > 0
``sequential``               ``SequentialLR(schedulers, milestones=boundaries)``
``inverse_time``             ``LambdaLR(lambda t: 1 / (1 + decay t))`` (no named one)
``constant``                 ``LambdaLR(lambda t: 1)``
===========================  =====================================================

Each rate agrees to 1e-10 relative to itself (PyTorch computes most of its curves by
multiplying the previous rate by a factor; companion from the formula), except the cosine's,
which is compared relative to ``lr``: near its end it is a difference of nearly equal numbers.
Where they differ on purpose — after the cosine's end, and a warmup from 0 — it is pinned.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _torch_reference import F64, assert_close_each
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler

from companion import schedules

STEPS = 300
RATES = st.floats(1e-4, 1.0)
FACTORS = st.floats(0.05, 1.0)
LENGTHS = st.integers(1, 120)
# A rate decayed below this nears float64's underflow (1e-308), where it keeps ever fewer
# digits: it is compared relative to this instead of to itself.
UNDERFLOW = 1e-250


def torch_curve(lr: float, make_scheduler, steps: int = STEPS) -> np.ndarray:
    """The learning rate of each of ``steps`` steps, under a PyTorch scheduler."""
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()  # no gradient: changes nothing, but comes before the scheduler's step
        scheduler.step()
    return np.array(rates)


def curve(schedule, steps: int = STEPS) -> np.ndarray:
    return np.asarray(schedule(np.arange(steps)), dtype=np.float64)


@settings(max_examples=25, deadline=None)
@given(lr=RATES, step_size=LENGTHS, gamma=FACTORS)
def test_step_decay_is_step_lr(lr, step_size, gamma):
    ours = curve(schedules.step_decay(lr, step_size, gamma))
    theirs = torch_curve(lr, lambda opt: lr_scheduler.StepLR(opt, step_size, gamma))
    assert_close_each(ours, theirs, F64, "schedules", scale=UNDERFLOW)


@settings(max_examples=25, deadline=None)
@given(lr=RATES, gamma=st.floats(0.5, 1.0))
def test_exponential_is_exponential_lr(lr, gamma):
    ours = curve(schedules.exponential(lr, gamma))
    theirs = torch_curve(lr, lambda opt: lr_scheduler.ExponentialLR(opt, gamma))
    assert_close_each(ours, theirs, F64, "schedules", scale=UNDERFLOW)


@settings(max_examples=25, deadline=None)
@given(lr=RATES, steps=st.integers(1, STEPS - 1), floor=st.floats(0.0, 1.0))
def test_cosine_is_cosine_annealing_lr_until_its_end(lr, steps, floor):
    min_lr = floor * lr
    ours = curve(schedules.cosine(lr, steps, min_lr), steps + 1)
    theirs = torch_curve(
        lr, lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=min_lr), steps + 1
    )
    assert_close_each(ours, theirs, F64, "schedules: cosine", scale=lr)


@settings(max_examples=25, deadline=None)
@given(lr=RATES, warmup=LENGTHS, start=st.floats(0.01, 1.0))
def test_linear_warmup_is_linear_lr(lr, warmup, start):
    ours = curve(schedules.linear_warmup(lr, warmup, start_lr=start * lr))
    theirs = torch_curve(
        lr,
        lambda opt: lr_scheduler.LinearLR(
            opt, start_factor=start, end_factor=1.0, total_iters=warmup
        ),
    )
    assert_close_each(ours, theirs, F64, "schedules", scale=UNDERFLOW)


@settings(max_examples=25, deadline=None)
@given(lr=RATES, warmup=LENGTHS, decay=st.integers(1, STEPS), start=st.floats(0.01, 1.0))
def test_warmup_then_cosine_is_sequential_lr(lr, warmup, decay, start):
    ours = curve(
        schedules.sequential(
            [schedules.linear_warmup(lr, warmup, start * lr), schedules.cosine(lr, decay)],
            [warmup],
        )
    )

    def make(opt):
        pieces = [
            lr_scheduler.LinearLR(opt, start_factor=start, total_iters=warmup),
            lr_scheduler.CosineAnnealingLR(opt, T_max=decay),
        ]
        return lr_scheduler.SequentialLR(opt, pieces, milestones=[warmup])

    steps = min(STEPS, warmup + decay + 1)  # after the cosine's end they part (pinned below)
    assert_close_each(ours[:steps], torch_curve(lr, make, steps), F64, "schedules: cosine", lr)


@settings(max_examples=25, deadline=None)
@given(lr=RATES, first=LENGTHS, step_size=LENGTHS, gamma=FACTORS, rate=st.floats(0.9, 1.0))
def test_step_decay_then_exponential_is_sequential_lr(lr, first, step_size, gamma, rate):
    ours = curve(
        schedules.sequential(
            [schedules.step_decay(lr, step_size, gamma), schedules.exponential(lr, rate)], [first]
        )
    )

    def make(opt):
        pieces = [lr_scheduler.StepLR(opt, step_size, gamma), lr_scheduler.ExponentialLR(opt, rate)]
        return lr_scheduler.SequentialLR(opt, pieces, milestones=[first])

    assert_close_each(ours, torch_curve(lr, make), F64, "schedules", scale=UNDERFLOW)


@settings(max_examples=25, deadline=None)
@given(lr=RATES, decay=st.floats(0.0, 1.0))
def test_inverse_time_and_constant_are_lambda_lrs(lr, decay):
    ours = curve(schedules.inverse_time(lr, decay))
    theirs = torch_curve(lr, lambda opt: lr_scheduler.LambdaLR(opt, lambda t: 1 / (1 + decay * t)))
    assert_close_each(ours, theirs, F64, "schedules", scale=UNDERFLOW)
    theirs = torch_curve(lr, lambda opt: lr_scheduler.LambdaLR(opt, lambda t: 1.0))
    assert_close_each(curve(schedules.constant(lr)), theirs, F64, "schedules", scale=UNDERFLOW)


def test_pinned_difference_cosine_holds_min_lr_after_its_end_where_torch_rises_again():
    """cosine's docstring: CosineAnnealingLR would rise again after T; this one stays."""
    lr, steps, min_lr = 0.1, 50, 0.001
    ours = curve(schedules.cosine(lr, steps, min_lr), 3 * steps)
    theirs = torch_curve(
        lr, lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=min_lr), 3 * steps
    )
    assert np.all(ours[steps:] == min_lr)
    assert theirs[2 * steps] == pytest.approx(lr)  # back at the top after 2T
    assert np.all(theirs[steps + 1 : 2 * steps + 1] > min_lr)
    doc = " ".join(schedules.cosine.__doc__.split())
    assert "which after :math:`T` would rise again" in doc


def test_pinned_difference_linear_warmup_may_start_at_zero_where_linear_lr_may_not():
    """linear_warmup's docstring: LinearLR refuses a start_factor of 0."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="greater than 0"):
        lr_scheduler.LinearLR(optimizer, start_factor=0.0, total_iters=10)
    assert schedules.linear_warmup(0.1, 10)(0) == 0.0
    assert math.isclose(schedules.linear_warmup(0.1, 10)(5), 0.05)
    doc = " ".join(schedules.linear_warmup.__doc__.split())
    assert "``LinearLR`` refuses a ``start_factor`` of 0" in doc
