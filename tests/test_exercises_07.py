"""Exercise 7's checks against wrong implementations written the way learners write them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _adversaries import unwatched

from companion.exercises import ITEMS, check
from companion.schedules import cosine, linear_warmup, sequential


def off_by_one_warmup(step, lr, warmup_steps, total_steps, min_lr):
    if step < warmup_steps:
        return lr * (step + 1) / warmup_steps
    p = min((step - warmup_steps) / (total_steps - warmup_steps), 1.0)
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * p))


def unshifted_cosine(step, lr, warmup_steps, total_steps, min_lr):
    if step < warmup_steps:
        return lr * step / warmup_steps
    p = min(step / total_steps, 1.0)
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * p))


def no_clamp(step, lr, warmup_steps, total_steps, min_lr):
    if step < warmup_steps:
        return lr * step / warmup_steps
    p = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * p))


def numpy_cosine_no_half(step, lr, warmup_steps, total_steps, min_lr):
    if step < warmup_steps:
        return lr * step / warmup_steps
    p = np.clip((step - warmup_steps) / (total_steps - warmup_steps), 0, 1)
    return float(min_lr + (lr - min_lr) * (1 + np.cos(np.pi * p)))


def degrees(step, lr, warmup_steps, total_steps, min_lr):
    if step < warmup_steps:
        return lr * step / warmup_steps
    p = min((step - warmup_steps) / (total_steps - warmup_steps), 1.0)
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(p))


def divides_by_warmup_always(step, lr, warmup_steps, total_steps, min_lr):
    ramp = min(step / warmup_steps, 1.0)  # ZeroDivisionError without a warmup
    p = min(max(step - warmup_steps, 0) / (total_steps - warmup_steps), 1.0)
    return ramp * (min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * p)))


def as_array(step, lr, warmup_steps, total_steps, min_lr):
    return np.array(
        [off_by_one_warmup(s, lr, warmup_steps, total_steps, min_lr) for s in (0, step)]
    )


WRONG = {
    "7.1": [
        ("(step + 1) / warmup", off_by_one_warmup, "warms up from lr / warmup_steps"),
        ("cosine from step 0", unshifted_cosine, "starts the cosine at step 0"),
        ("no clamp", no_clamp, "does not stop at total_steps"),
        ("no 1/2", numpy_cosine_no_half, "is missing the ½"),
        ("cos(p)", degrees, "uses cos(p)"),
        ("ZeroDivisionError", divides_by_warmup_always, "raised ZeroDivisionError"),
        ("an array", as_array, "Return one number"),
    ],
}


@pytest.mark.parametrize(
    ("item_id", "implementation", "expected"),
    [(item_id, impl, expected) for item_id, rows in WRONG.items() for _, impl, expected in rows],
    ids=[f"{item_id}-{name}" for item_id, rows in WRONG.items() for name, _, _ in rows],
)
def test_realistic_wrong_implementation_gets_a_specific_diagnosis(
    item_id, implementation, expected
):
    feedback = check(item_id, implementation)
    assert not feedback.passed
    assert expected in feedback.message, feedback.message


def companion_schedule(step, lr, warmup_steps, total_steps, min_lr):
    decay = cosine(lr, total_steps - warmup_steps, min_lr=min_lr)
    if warmup_steps == 0:
        return decay(step)
    return sequential([linear_warmup(lr, warmup_steps), decay], [warmup_steps])(step)


def test_the_companions_schedules_composed_pass_the_check():
    with unwatched("7.1"):  # the companion's own code agrees with the check
        assert check("7.1", companion_schedule).passed


def test_the_cases_cover_warmup_decay_and_after():
    phases = set()
    for case in ITEMS["7.1"].cases():
        step, _, warmup, total, _ = case.args
        phases.add("warmup" if step < warmup else "decay" if step < total else "after")
    assert phases == {"warmup", "decay", "after"}
