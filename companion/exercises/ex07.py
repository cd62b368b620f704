"""Exercise 7 — learning-rate schedules: the items, their cases and their known mistakes.

- 7.1 ``warmup_cosine(step, lr, warmup_steps, total_steps, min_lr)``: the learning rate at
  step ``step`` (0, 1, 2, ...) of a linear warmup from 0 to ``lr`` over ``warmup_steps``
  steps, followed by half a cosine from ``lr`` down to ``min_lr`` at ``total_steps``, and
  ``min_lr`` after that. It is :func:`companion.schedules.sequential` of
  :func:`~companion.schedules.linear_warmup` and :func:`~companion.schedules.cosine`.

Each case is one call (one step number); together they cover the warmup, its end, the decay
and what comes after it. Every known mistake is a module-level function that never raises.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .core import Case, Item, Mistake


def _safe(answer: Callable) -> Callable:
    """A mistake's answer, or NaN where the mistaken formula does not even run."""

    def wrapped(*args):
        try:
            return float(answer(*args))
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return math.nan

    return wrapped


# --- 7.1 warmup_cosine(step, lr, warmup_steps, total_steps, min_lr) ---------------------------


def _schedule_cases() -> list[Case]:
    run = (0.1, 10, 100, 0.0)  # lr, warmup_steps, total_steps, min_lr
    floor = (0.1, 10, 100, 0.01)
    return [
        Case("step 0 of a 10-step warmup (lr = 0.1, total_steps = 100)", (0, *run)),
        Case("step 4, inside the warmup", (4, *run)),
        Case("step 10, the end of the warmup", (10, *run)),
        Case("step 55, half-way through the decay", (55, *run)),
        Case("step 30 with min_lr = 0.01", (30, *floor)),
        Case("step 99, the last step before total_steps", (99, *run)),
        Case("step 100 = total_steps, with min_lr = 0.01", (100, *floor)),
        Case("step 250, long after total_steps, with min_lr = 0.01", (250, *floor)),
        Case("no warmup (warmup_steps = 0), step 0", (0, 0.3, 0, 50, 0.0)),
        Case("no warmup (warmup_steps = 0), step 20 of 50", (20, 0.3, 0, 50, 0.0)),
    ]


def _warmup_cosine(
    step,
    lr,
    warmup_steps,
    total_steps,
    min_lr,
    *,
    ramp=lambda step, w: step / w,
    progress=lambda step, w, total: (step - w) / (total - w),
    shape=lambda p: 0.5 * (1 + math.cos(math.pi * p)),
    floor=True,
    clamp=True,
):
    """The reference schedule, with switches that reproduce each known mistake."""
    if step < warmup_steps:
        return lr * ramp(step, warmup_steps)
    p = progress(step, warmup_steps, total_steps)
    if clamp:
        p = min(p, 1.0)
    low = min_lr if floor else 0.0
    return low + (lr - low) * shape(p)


ITEM_7_1 = Item(
    id="7.1",
    function="warmup_cosine",
    references=(
        "companion.schedules.cosine",
        "companion.schedules.linear_warmup",
        "companion.schedules.sequential",
    ),
    points=3,
    arg_names=("step", "lr", "warmup_steps", "total_steps", "min_lr"),
    cases=_schedule_cases,
    reference=_warmup_cosine,
    mistakes=(
        Mistake(
            "warms up from lr / warmup_steps at step 0: the ramp is lr · step / warmup_steps, "
            "0 at step 0 and lr at step warmup_steps",
            _safe(lambda *a: _warmup_cosine(*a, ramp=lambda step, w: (step + 1) / w)),
        ),
        Mistake(
            "starts the cosine at step 0 instead of at the end of the warmup: its progress is "
            "(step − warmup_steps) / (total_steps − warmup_steps)",
            _safe(lambda *a: _warmup_cosine(*a, progress=lambda step, w, total: step / total)),
        ),
        Mistake(
            "divides by total_steps: the cosine lasts total_steps − warmup_steps steps, so its "
            "progress is (step − warmup_steps) / (total_steps − warmup_steps)",
            _safe(
                lambda *a: _warmup_cosine(*a, progress=lambda step, w, total: (step - w) / total)
            ),
        ),
        Mistake(
            "does not stop at total_steps: after it the rate stays at min_lr (the cosine "
            "would rise again)",
            _safe(lambda *a: _warmup_cosine(*a, clamp=False)),
        ),
        Mistake(
            "ignores min_lr: the cosine goes from lr down to min_lr, "
            "min_lr + ½ (lr − min_lr)(1 + cos(π p))",
            _safe(lambda *a: _warmup_cosine(*a, floor=False)),
        ),
        Mistake(
            "adds min_lr on top: the decay spans lr − min_lr, min_lr + ½ (lr − min_lr)(1 + "
            "cos(π p)), so that it starts at lr",
            _safe(
                lambda step, lr, w, total, low: (
                    low + _warmup_cosine(step, lr, w, total, low, floor=False)
                    if step >= w
                    else _warmup_cosine(step, lr, w, total, low)
                )
            ),
        ),
        Mistake(
            "is missing the ½: the decay is ½ (1 + cos(π p)), which goes from 1 to 0",
            _safe(lambda *a: _warmup_cosine(*a, shape=lambda p: 1 + math.cos(math.pi * p))),
        ),
        Mistake(
            "uses cos(p): the angle is π p, from 0 to π, so that the rate ends at min_lr",
            _safe(lambda *a: _warmup_cosine(*a, shape=lambda p: 0.5 * (1 + math.cos(p)))),
        ),
        Mistake(
            "decays in a straight line: the decay is half a cosine, ½ (1 + cos(π p))",
            _safe(lambda *a: _warmup_cosine(*a, shape=lambda p: 1 - p)),
        ),
    ),
    hints={
        "shape": "Return one number: the learning rate at this step.",
        "nonfinite": "With warmup_steps = 0 there is no warmup: don't divide by warmup_steps "
        "then (step < warmup_steps is never true).",
    },
)


# --- 7.2 step_at_rate(rate, lr, warmup_steps, total_steps, min_lr) -----------------------------


def _step_at_rate(rate, lr, warmup_steps, total_steps, min_lr, *, offset=True, rounding=math.ceil):
    """The first step of the decay at which the rate is at most ``rate``: invert
    min_lr + ½(lr − min_lr)(1 + cos πp) ≤ rate for p = (t − W)/(T − W)."""
    p = math.acos(2 * (rate - min_lr) / (lr - min_lr) - 1) / math.pi
    span = total_steps - warmup_steps
    return (warmup_steps if offset else 0) + rounding(p * span - 1e-9)


def _step_cases() -> list[Case]:
    return [
        Case("rate 0.05 of lr = 0.1, warmup 10, total 100, min_lr 0", (0.05, 0.1, 10, 100, 0.0)),
        Case(
            "rate 0.01, lr = 0.1, warmup 50, total 1050, min_lr 0.001", (0.01, 0.1, 50, 1050, 1e-3)
        ),
        Case("rate 0.25, lr = 0.3, no warmup, total 400, min_lr 0.05", (0.25, 0.3, 0, 400, 0.05)),
        Case(
            "rate 2e-4, lr = 1e-3, warmup 100, total 2100, min_lr 0", (2e-4, 1e-3, 100, 2100, 0.0)
        ),
    ]


ITEM_7_2 = Item(
    id="7.2",
    kind="derive",
    function="step_at_rate",
    points=2,
    arg_names=("rate", "lr", "warmup_steps", "total_steps", "min_lr"),
    cases=_step_cases,
    reference=_step_at_rate,
    mistakes=(
        Mistake(
            "forgets the warmup: the decay's progress p counts from the end of the warmup, so "
            "the step is warmup_steps + p (total_steps − warmup_steps)",
            _safe(lambda *a: _step_at_rate(*a, offset=False)),
        ),
        Mistake(
            "rounds down: at that step the rate is still above `rate`; the first step at or "
            "below it is the ceiling",
            _safe(lambda *a: _step_at_rate(*a, rounding=math.floor)),
        ),
        Mistake(
            "ignores min_lr: the cosine runs from lr down to min_lr, so solve "
            "min_lr + ½ (lr − min_lr)(1 + cos πp) = rate",
            _safe(lambda rate, lr, w, total, low: _step_at_rate(rate, lr, w, total, 0.0)),
        ),
        Mistake(
            "inverts a straight line: the decay is half a cosine, so p = arccos(2 (rate − "
            "min_lr)/(lr − min_lr) − 1) / π",
            _safe(
                lambda rate, lr, w, total, low: (
                    w + math.ceil((1 - (rate - low) / (lr - low)) * (total - w) - 1e-9)
                )
            ),
        ),
    ),
    rtol=0.0,
    atol=0.0,
    hints={"shape": "Return one whole number: the step."},
)


# --- 7.3 search_gap(k, seed) ------------------------------------------------------------------


def score(params: dict) -> float:
    """The objective of 7.3: :func:`companion.tuning.one_important` of the two parameters."""
    from ..tuning import one_important

    return one_important(params["important"], params["unimportant"])


def search_space() -> dict:
    """The search space of 7.3: both parameters uniform on [0, 1], important first."""
    from ..tuning import uniform

    return {"important": uniform(0.0, 1.0), "unimportant": uniform(0.0, 1.0)}


def _best(result) -> float:
    return float(np.nanmax(result.scores))


def _search_gap(k, seed, *, random_trials=None, sign=1.0):
    from ..tuning import grid_search, random_search

    grid = grid_search(score, search_space(), k, maximize=True)
    trials = k * k if random_trials is None else random_trials(k)
    random = random_search(score, search_space(), trials, seed=seed, maximize=True)
    return sign * (_best(random) - _best(grid))


def _gap_cases() -> list[Case]:
    return [
        Case("k = 3, seed 0", (3, 0)),
        Case("k = 4, seed 1", (4, 1)),
        Case("k = 5, seed 7", (5, 7)),
    ]


ITEM_7_3 = Item(
    id="7.3",
    kind="experiment",
    function="search_gap",
    points=2,
    arg_names=("k", "seed"),
    cases=_gap_cases,
    reference=_search_gap,
    mistakes=(
        Mistake(
            "is upside down: return random search's best score minus the grid's",
            _safe(lambda k, seed: _search_gap(k, seed, sign=-1.0)),
        ),
        Mistake(
            "gives random search only k trials: the same budget as the grid is k² trials",
            _safe(lambda k, seed: _search_gap(k, seed, random_trials=lambda k: k)),
        ),
        Mistake(
            "gives random search 2k trials: the grid's budget is k · k = k² trials, one per "
            "point of the k-by-k grid",
            _safe(lambda k, seed: _search_gap(k, seed, random_trials=lambda k: 2 * k)),
        ),
    ),
    hints={"shape": "Return one number: the difference of the two best scores."},
)


ITEMS = (ITEM_7_1, ITEM_7_2, ITEM_7_3)
