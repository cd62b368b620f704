"""Exercise 4 — mini-batches, SGD and early stopping: the items, their cases, their mistakes.

The learner builds the mini-batch iterator in two pieces — the shuffled order of every epoch
(4.1) and the cuts that split an epoch into batches, the last one partial (4.2) — then one
epoch of mini-batch SGD on least squares (4.3), and the early-stopping rule (4.4).

Randomness is pinned down so that answers can be compared exactly: an epoch's order is
``rng.permutation(n)`` drawn from one ``rng = np.random.default_rng(seed)``. Known mistakes
that are deterministic (sampling with replacement, re-seeding every epoch, a hard-coded seed,
NumPy's legacy global generator, no shuffling at all) are recognised and named.

Every case passes only data; every known mistake is a module-level function or a lambda of
the case's arguments that never raises (a mistake whose shapes do not fit a case returns NaN
there, which matches nothing).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._ex04_stopping import ITEM_4_4  # 4.4 early stopping
from .core import Case, Item, Mistake

_rng = np.random.default_rng


def _safe(answer: Callable) -> Callable:
    """A mistake's answer, or NaN where the mistaken code would not even run on a case."""

    def wrapped(*args):
        try:
            with np.errstate(all="ignore"):
                return answer(*args)
        except (ValueError, IndexError, TypeError):
            return np.nan

    return wrapped


# --- 4.1 the order of every epoch ----------------------------------------------------------------


def _orders(n, epochs, draw):
    """Stack one order per epoch; ``draw(e)`` gives epoch e's order."""
    return np.array([draw(e) for e in range(epochs)], dtype=np.int64).reshape(epochs, n)


def _reference_orders(n, epochs, seed):
    rng = _rng(seed)
    return _orders(n, epochs, lambda e: rng.permutation(n))


def _with_replacement(n, epochs, seed):
    rng = _rng(seed)
    return _orders(n, epochs, lambda e: rng.integers(0, n, n))


def _reseeded_every_epoch(n, epochs, seed):
    return _orders(n, epochs, lambda e: _rng(seed).permutation(n))


def _fixed_seed(fixed):
    def answer(n, epochs, seed):
        return _reference_orders(n, epochs, fixed)

    return answer


def _legacy_global(n, epochs, seed):
    state = np.random.RandomState(seed)  # what np.random.seed(seed) sets up
    return _orders(n, epochs, lambda e: state.permutation(n))


def _choice_without_replacement(n, epochs, seed):
    rng = _rng(seed)
    return _orders(n, epochs, lambda e: rng.choice(n, n, replace=False))


def _orders_cases() -> list[Case]:
    return [
        Case("n = 8, epochs = 3, seed = 3", (8, 3, 3)),
        Case("n = 5, epochs = 4, seed = 11", (5, 4, 11)),
        Case("n = 12, epochs = 2, seed = 2024", (12, 2, 2024)),
        Case("n = 1, epochs = 2, seed = 7 (one example)", (1, 2, 7)),
    ]


ITEM_4_1 = Item(
    id="4.1",
    function="epoch_orders",
    references=("companion.data.minibatches", "companion.data.batch_indices"),
    points=2,
    arg_names=("n", "epochs", "seed"),
    cases=_orders_cases,
    reference=_reference_orders,
    mistakes=(
        Mistake(
            "examples repeated within an epoch (and others never visited): you drew indices "
            "with replacement (rng.integers or rng.choice). An epoch visits every example "
            "exactly once: take a permutation, rng.permutation(n)",
            _with_replacement,
        ),
        Mistake(
            "every epoch visits the examples in the same order: you created the generator "
            "inside the loop, so each epoch starts the same random stream again. Create "
            "rng = np.random.default_rng(seed) once, before the loop, and draw every epoch's "
            "permutation from it",
            _reseeded_every_epoch,
        ),
        Mistake(
            "shuffling ignores the seed: you always shuffle with the same fixed seed. Use the "
            "seed argument: rng = np.random.default_rng(seed)",
            _fixed_seed(0),
        ),
        Mistake(
            "shuffling ignores the seed: you always shuffle with the same fixed seed (42). "
            "Use the seed argument: rng = np.random.default_rng(seed)",
            _fixed_seed(42),
        ),
        Mistake(
            "you used NumPy's legacy global generator (np.random.seed / np.random.permutation):"
            " it is shared by all the code in the process, so anything else that draws from it "
            "changes your order. Use a Generator: rng = np.random.default_rng(seed), then "
            "rng.permutation(n)",
            _legacy_global,
        ),
        Mistake(
            "you did not shuffle: every epoch visits the examples in their stored order "
            "0, 1, 2, .... Draw a permutation for every epoch, rng.permutation(n)",
            lambda n, epochs, seed: _orders(n, epochs, lambda e: np.arange(n)),
        ),
        Mistake(
            "your orders are valid permutations, drawn with rng.choice(n, n, replace=False) — "
            "which draws a different one than rng.permutation(n) from the same generator. "
            "Use rng.permutation(n) so that the check can reproduce your order",
            _choice_without_replacement,
        ),
    ),
    hints={
        "shape": "Return one row per epoch and one column per example: an array of shape "
        "(epochs, n), e.g. np.array([rng.permutation(n) for _ in range(epochs)]).",
    },
)


# --- 4.2 the batches' bounds -------------------------------------------------------------------


def _reference_bounds(n, batch_size):
    starts = np.arange(0, n, batch_size)
    return np.column_stack([starts, np.minimum(starts + batch_size, n)])


def _bounds_cases() -> list[Case]:
    return [
        Case("n = 10, batch_size = 4 (the last batch is partial)", (10, 4)),
        Case("n = 12, batch_size = 4 (B divides n)", (12, 4)),
        Case("n = 7, batch_size = 3", (7, 3)),
        Case("n = 5, batch_size = 8 (B larger than n: one batch)", (5, 8)),
        Case("n = 3, batch_size = 1 (single examples)", (3, 1)),
    ]


ITEM_4_2 = Item(
    id="4.2",
    function="batch_bounds",
    references=("companion.data.batch_indices",),
    points=1,
    arg_names=("n", "batch_size"),
    cases=_bounds_cases,
    reference=_reference_bounds,
    mistakes=(
        Mistake(
            "your last batch ends past the last example: with n = 10 and batch_size = 4 the "
            "last batch is [8, 10), not [8, 12). Slicing would quietly stop at n, but the "
            "batch's size, stop - start, would be wrong — and a mean over the batch divides "
            "by it. Use stop = min(start + batch_size, n)",
            _safe(lambda n, b: np.column_stack([np.arange(0, n, b), np.arange(0, n, b) + b])),
        ),
        Mistake(
            "your stops are inclusive (start + batch_size - 1): like Python's slices, a batch "
            "[start, stop) includes start and excludes stop, so stop = start + batch_size "
            "(at most n)",
            _safe(
                lambda n, b: np.column_stack(
                    [np.arange(0, n, b), np.minimum(np.arange(0, n, b) + b, n) - 1]
                )
            ),
        ),
    ),
    hints={
        "shape": "Return one row [start, stop) per batch: ceil(n / batch_size) rows, the last "
        "one partial if batch_size does not divide n. Too few rows? Don't drop the last, "
        "partial batch: an epoch must visit every example. Too many? Don't add an empty batch "
        "when batch_size divides n: range(0, n, batch_size) gives exactly the starts.",
    },
)


# --- 4.3 one epoch of mini-batch SGD on least squares -------------------------------------------


def _batches(n, batch_size, order):
    return [order[s : s + batch_size] for s in range(0, n, batch_size)]


def _epoch(
    theta,
    X,
    y,
    lr,
    batch_size,
    seed,
    *,
    order=None,
    mean="size",
    drop_last=False,
    full=False,
    stale=False,
    sign=1.0,
):
    """One epoch of SGD with switches for the known mistakes."""
    n = len(X)
    order = _rng(seed).permutation(n) if order is None else order
    batches = _batches(n, batch_size, order)
    if drop_last and n % batch_size:
        batches = batches[:-1]
    theta = np.array(theta, dtype=np.float64)
    start = theta.copy()
    for idx in batches:
        Xb, yb = (X, y) if full else (X[idx], y[idx])
        at = start if stale else theta
        divisor = {"size": len(Xb), "batch_size": batch_size, "n": n, "sum": 1}[mean]
        grad = Xb.T @ (Xb @ at - yb) / divisor
        theta = theta - sign * lr * grad
    return theta


def _reference_epoch(theta, X, y, lr, batch_size, seed):
    return _epoch(theta, X, y, lr, batch_size, seed)


def _epoch_cases() -> list[Case]:
    def problem(n, d, seed):
        r = _rng(seed)
        X = r.standard_normal((n, d))
        y = X @ r.uniform(-2, 2, d) + 0.3 * r.standard_normal(n)
        return r.standard_normal(d), X, y

    cases = []
    for label, n, d, batch_size, seed, lr in (
        ("n = 10, batch_size = 4 (a partial last batch), seed = 3", 10, 2, 4, 3, 0.1),
        ("n = 12, 3 features, batch_size = 4, seed = 5", 12, 3, 4, 5, 0.1),
        ("n = 7, batch_size = 1 (single examples), seed = 11", 7, 2, 1, 11, 0.05),
        ("n = 11, batch_size = 3 (a partial last batch), seed = 8", 11, 2, 3, 8, 0.2),
    ):
        theta, X, y = problem(n, d, seed)
        cases.append(Case(label, (theta, X, y, lr, batch_size, seed)))
    return cases


ITEM_4_3 = Item(
    id="4.3",
    function="sgd_epoch",
    references=("companion.training.minibatch_sgd",),
    points=3,
    arg_names=("theta", "X", "y", "lr", "batch_size", "seed"),
    cases=_epoch_cases,
    reference=_reference_epoch,
    mistakes=(
        Mistake(
            "you summed the batch's gradients instead of averaging them: divide by the "
            "batch's size, so that the step does not grow with B",
            lambda t, X, y, lr, b, s: _epoch(t, X, y, lr, b, s, mean="sum"),
        ),
        Mistake(
            "the last, partial batch is averaged over batch_size instead of over the examples "
            "it really has: divide by len(X_batch)",
            lambda t, X, y, lr, b, s: _epoch(t, X, y, lr, b, s, mean="batch_size"),
        ),
        Mistake(
            "you divided the batch's gradient by n, the size of the whole data set: divide by "
            "the batch's own size, len(X_batch)",
            lambda t, X, y, lr, b, s: _epoch(t, X, y, lr, b, s, mean="n"),
        ),
        Mistake(
            "you dropped the last, partial batch: its examples are never used in the epoch. "
            "Take a step on it too (its gradient is a mean, so it has the same scale)",
            lambda t, X, y, lr, b, s: _epoch(t, X, y, lr, b, s, drop_last=True),
        ),
        Mistake(
            "you did not shuffle: visit the examples in the order rng.permutation(n) with "
            "rng = np.random.default_rng(seed) (your epoch_orders(n, 1, seed)[0])",
            lambda t, X, y, lr, b, s: _epoch(t, X, y, lr, b, s, order=np.arange(len(X))),
        ),
        Mistake(
            "shuffling ignores the seed: you shuffle with a fixed seed. Use "
            "np.random.default_rng(seed)",
            lambda t, X, y, lr, b, s: _epoch(t, X, y, lr, b, s, order=_rng(0).permutation(len(X))),
        ),
        Mistake(
            "every step uses the gradient of the whole data set: that is full-batch gradient "
            "descent, repeated. Compute each step's gradient on its batch only, X[idx] and y[idx]",
            lambda t, X, y, lr, b, s: _epoch(t, X, y, lr, b, s, full=True),
        ),
        Mistake(
            "every batch's gradient is computed at the θ the epoch started from: compute it at "
            "the current θ, after the previous steps — that is what makes SGD take many steps "
            "per epoch",
            lambda t, X, y, lr, b, s: _epoch(t, X, y, lr, b, s, stale=True),
        ),
        Mistake(
            "you took one step for the whole epoch, with the full gradient: take one step per "
            "mini-batch",
            lambda t, X, y, lr, b, s: _epoch(t, X, y, lr, len(X), s),
        ),
        Mistake(
            "moves uphill: you stepped along +ĝ. The update is θ ← θ − η ĝ",
            lambda t, X, y, lr, b, s: _epoch(t, X, y, lr, b, s, sign=-1.0),
        ),
    ),
    hints={
        "shape": "Return θ after the epoch, shaped like theta.",
        "mutated": "don't update theta in place (theta -= ...): the caller's array would change. "
        "Start from theta = theta.copy(), or write theta = theta - lr * grad",
        "nonfinite": "the loss blew up: check the sign of the step and that you divide the "
        "batch's gradient by its size.",
    },
)


# --- 4.5 shuffled_pairs(X, y, seed) ------------------------------------------------------------


def _pairs(X, y, seed, *, two_orders=False, shuffle_y=True):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    label_order = rng.permutation(len(X)) if two_orders else order
    labels = y[label_order] if shuffle_y else y
    return np.column_stack([X[order], labels])


def _pairs_cases() -> list[Case]:
    r = _rng(45)
    x = r.standard_normal((5, 1))
    return [
        Case("X of shape (6, 2), y = 0..5, seed 0", (r.standard_normal((6, 2)), np.arange(6.0), 0)),
        Case(
            "X of shape (10, 3), labels 0/1, seed 7",
            (r.standard_normal((10, 3)), r.integers(0, 2, 10).astype(float), 7),
        ),
        Case(
            "X of shape (5, 1), y = 10 x, seed 3",
            (x, 10 * x[:, 0], 3),
        ),
    ]


ITEM_4_5 = Item(
    id="4.5",
    kind="debug",
    function="shuffled_pairs",
    references=("companion.data.minibatches", "companion.data.batch_indices"),
    points=2,
    arg_names=("X", "y", "seed"),
    cases=_pairs_cases,
    reference=_pairs,
    mistakes=(
        Mistake(
            "shuffles X and y with two different permutations, like the broken batcher: every "
            "example gets another example's label. Draw one order and index both with it",
            _safe(lambda X, y, seed: _pairs(X, y, seed, two_orders=True)),
        ),
        Mistake(
            "shuffles X but not y: index both with the same order, X[order] and y[order]",
            _safe(lambda X, y, seed: _pairs(X, y, seed, shuffle_y=False)),
        ),
        Mistake(
            "does not shuffle at all: draw order = np.random.default_rng(seed).permutation(n)",
            _safe(lambda X, y, seed: np.column_stack([X, y])),
        ),
    ),
    hints={
        "shape": "Return np.column_stack([X_shuffled, y_shuffled]): one row per example, its "
        "features then its label.",
        "mutated": "index with the order (X[order]) instead of shuffling X in place",
    },
)


ITEMS = (ITEM_4_1, ITEM_4_2, ITEM_4_3, ITEM_4_4, ITEM_4_5)
