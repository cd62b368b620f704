"""Exercise 4, item 4.4 — the early-stopping rule: its reference, cases and known mistakes.

Part of :mod:`companion.exercises.ex04`, which lists it in its ``ITEMS``; kept apart because
it is self-contained (it shares nothing with the mini-batch items 4.1–4.3 and 4.5).
"""

from __future__ import annotations

import numpy as np

from .core import Case, Item, Mistake


def _stopping(
    val_losses,
    patience,
    min_delta,
    *,
    compare_to="best",
    reset=True,
    late=0,
    delta=True,
    ties=False,
):
    """(best_epoch, stop_epoch), epochs counted from 1, with switches for the known mistakes."""
    best, best_epoch, waited, previous = np.inf, 0, 0, np.inf
    for epoch, loss in enumerate(val_losses, start=1):
        reference = best if compare_to == "best" else previous
        threshold = reference - (min_delta if delta else 0.0)
        improved = loss <= threshold if ties else loss < threshold
        previous = loss
        if improved:
            if loss < best:
                best, best_epoch = loss, epoch
            if reset:
                waited = 0
        else:
            waited += 1
            if waited >= patience + late:
                return best_epoch, epoch
    return best_epoch, len(val_losses)


def _reference_stopping(val_losses, patience, min_delta):
    return np.array(_stopping(val_losses, patience, min_delta))


def _stopping_cases() -> list[Case]:
    return [
        Case(
            "val_losses = [1.0, 0.8, 0.5, 0.6, 0.55, 0.7, 0.9, 0.3], patience = 3",
            (np.array([1.0, 0.8, 0.5, 0.6, 0.55, 0.7, 0.9, 0.3]), 3, 0.0),
        ),
        Case(
            "val_losses = [0.9, 0.7, 0.75, 0.6, 0.65, 0.62, 0.61, 0.64], patience = 2",
            (np.array([0.9, 0.7, 0.75, 0.6, 0.65, 0.62, 0.61, 0.64]), 2, 0.0),
        ),
        Case(
            "val_losses = [1.0, 0.85, 0.75, 0.7, 0.9, 0.4], patience = 2, min_delta = 0.2",
            (np.array([1.0, 0.85, 0.75, 0.7, 0.9, 0.4]), 2, 0.2),
        ),
        Case(
            "val_losses = [0.5, 0.5, 0.5, 0.4], patience = 2 (a tie is no improvement)",
            (np.array([0.5, 0.5, 0.5, 0.4]), 2, 0.0),
        ),
        Case(
            "val_losses = [0.8, 0.6, 0.5, 0.45], patience = 2 (it never stops)",
            (np.array([0.8, 0.6, 0.5, 0.45]), 2, 0.0),
        ),
        Case(
            "val_losses = [1.0, 0.95, 0.9, 0.85, 0.8, 0.75], patience = 2, min_delta = 0.1",
            (np.array([1.0, 0.95, 0.9, 0.85, 0.8, 0.75]), 2, 0.1),
        ),
        Case(
            "val_losses = [0.5, 0.6, 0.5, 0.6, 0.7], patience = 2 (a tie is no improvement)",
            (np.array([0.5, 0.6, 0.5, 0.6, 0.7]), 2, 0.0),
        ),
        Case(
            "val_losses = [0.5, 0.6, 0.4, 0.7, 0.45, 0.8, 0.9, 0.3], patience = 3",
            (np.array([0.5, 0.6, 0.4, 0.7, 0.45, 0.8, 0.9, 0.3]), 3, 0.0),
        ),
    ]


ITEM_4_4 = Item(
    id="4.4",
    function="early_stopping",
    points=3,
    arg_names=("val_losses", "patience", "min_delta"),
    cases=_stopping_cases,
    reference=_reference_stopping,
    mistakes=(
        Mistake(
            "you return the epoch you stopped at as the best one: the weights to restore are "
            "those of the epoch with the lowest validation loss, `patience` epochs earlier",
            lambda v, p, d: np.array([_stopping(v, p, d)[1]] * 2),
        ),
        Mistake(
            "your best epoch looks into the future: it is the minimum over *all* the losses, "
            "including epochs after training would have stopped. Track the best loss as you "
            "go, and stop at the first epoch where patience runs out",
            lambda v, p, d: np.array([int(np.argmin(v)) + 1, _stopping(v, p, d)[1]]),
        ),
        Mistake(
            "you stop one epoch late: stop at the epoch where `patience` epochs in a row have "
            "passed without an improvement (waited == patience), not one after",
            lambda v, p, d: np.array(_stopping(v, p, d, late=1)),
        ),
        Mistake(
            "you stop one epoch early: an epoch without improvement adds 1 to the count, and you "
            "stop once the count reaches patience",
            lambda v, p, d: np.array(_stopping(v, p, d, late=-1)),
        ),
        Mistake(
            "your counter is never reset: after an improvement, the count of epochs without one "
            "starts again from 0",
            lambda v, p, d: np.array(_stopping(v, p, d, reset=False)),
        ),
        Mistake(
            "you compare each loss with the previous epoch's, not with the best so far: a "
            "validation loss that creeps back down towards its best is still no improvement",
            lambda v, p, d: np.array(_stopping(v, p, d, compare_to="previous")),
        ),
        Mistake(
            "you ignored min_delta: a loss counts as an improvement only if it is below the "
            "best by more than min_delta, loss < best - min_delta",
            lambda v, p, d: np.array(_stopping(v, p, d, delta=False)),
        ),
        Mistake(
            "a tie counts as an improvement in your code: use a strict inequality, "
            "loss < best - min_delta",
            lambda v, p, d: np.array(_stopping(v, p, d, ties=True)),
        ),
        Mistake(
            "your epochs count from 0: count them from 1 (val_losses[0] is the loss after "
            "epoch 1), e.g. with enumerate(val_losses, start=1)",
            lambda v, p, d: np.array(_stopping(v, p, d)) - 1,
        ),
    ),
    hints={
        "shape": "Return two numbers: (best_epoch, stop_epoch).",
        "mutated": "don't change val_losses (no sorting in place).",
    },
)
