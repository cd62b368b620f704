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


# --- 7.2 inverting the schedule, 7.3 random search against a grid ------------------------------


def first_step_by_scanning(rate, lr, warmup_steps, total_steps, min_lr):
    step = warmup_steps
    while ITEMS["7.1"].reference(step, lr, warmup_steps, total_steps, min_lr) > rate:
        step += 1
    return step


def test_the_derived_step_is_the_first_the_schedule_reaches_the_rate():
    for case in ITEMS["7.2"].cases():
        assert ITEMS["7.2"].reference(*case.args) == first_step_by_scanning(*case.args)


@pytest.mark.parametrize(
    ("implementation", "expected"),
    [
        (
            lambda rate, lr, w, total, low: first_step_by_scanning(rate, lr, w, total, low) - w,
            "forgets the warmup",
        ),
        (
            lambda rate, lr, w, total, low: first_step_by_scanning(rate, lr, w, total, low) - 1,
            "rounds down",
        ),
    ],
)
def test_realistic_wrong_steps_are_named(implementation, expected):
    feedback = check("7.2", implementation)
    assert not feedback.passed and expected in feedback.message


def test_random_search_with_k_trials_is_named():
    from companion.exercises.ex07 import score, search_space
    from companion.tuning import grid_search, random_search

    def too_few(k, seed):
        grid = grid_search(score, search_space(), k, maximize=True)
        random = random_search(score, search_space(), k, seed=seed, maximize=True)
        return float(np.max(random.scores) - np.max(grid.scores))

    feedback = check("7.3", too_few)
    assert not feedback.passed and "only k trials" in feedback.message
