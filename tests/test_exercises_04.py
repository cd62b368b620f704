"""Exercise 4's checks against wrong implementations written the way learners write them, and
the items' reference answers against the companion code the chapter uses.

(tests/test_exercises.py already proves, for every item, that the source solutions pass, the
generated stubs fail and every known mistake's message is reachable.)
"""

from __future__ import annotations

import numpy as np
import pytest

from companion.data import batch_indices, linear_regression
from companion.exercises import ITEMS, check
from companion.layers import mlp
from companion.losses import softmax_cross_entropy
from companion.training import fit, minibatch_sgd

# --- 4.1 epoch_orders ------------------------------------------------------------------------


def orders_choice(n, epochs, seed):
    rng = np.random.default_rng(seed)
    return np.array([rng.choice(n, size=n) for _ in range(epochs)])


def orders_reseeded(n, epochs, seed):
    orders = []
    for _ in range(epochs):
        rng = np.random.default_rng(seed)  # inside the loop
        orders.append(rng.permutation(n))
    return np.array(orders)


def orders_legacy(n, epochs, seed):  # the mistake on purpose: NumPy's legacy global generator
    np.random.seed(seed)  # noqa: NPY002
    return np.array([np.random.permutation(n) for _ in range(epochs)])  # noqa: NPY002


def orders_seed_42(n, epochs, seed):
    rng = np.random.default_rng(42)
    return np.array([rng.permutation(n) for _ in range(epochs)])


def orders_unseeded(n, epochs, seed):
    rng = np.random.default_rng()
    return np.array([rng.permutation(n) for _ in range(epochs)])


def orders_shuffle_in_place(n, epochs, seed):
    rng = np.random.default_rng(seed)
    orders = []
    for _ in range(epochs):
        order = np.arange(n)
        rng.shuffle(order)
        orders.append(order)
    return orders  # a list of arrays is fine


# --- 4.2 batch_bounds ------------------------------------------------------------------------


def bounds_drop_last(n, batch_size):
    return np.array([(s, s + batch_size) for s in range(0, n - batch_size + 1, batch_size)])


def bounds_past_n(n, batch_size):
    return np.array([(s, s + batch_size) for s in range(0, n, batch_size)])


def bounds_inclusive(n, batch_size):
    return np.array([(s, min(s + batch_size, n) - 1) for s in range(0, n, batch_size)])


def bounds_extra_batch(n, batch_size):
    return np.array([(s, min(s + batch_size, n)) for s in range(0, n + 1, batch_size)])


def bounds_loop(n, batch_size):
    bounds, start = [], 0
    while start < n:
        bounds.append([start, min(start + batch_size, n)])
        start += batch_size
    return bounds


# --- 4.3 sgd_epoch ---------------------------------------------------------------------------


def make_epoch(divide="len", shuffle=True, in_place=False, whole_data=False, drop_last=False):
    def sgd_epoch(theta, X, y, lr, batch_size, seed):
        n = len(X)
        order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
        if not in_place:
            theta = theta.copy()
        stop = (n // batch_size) * batch_size if drop_last else n
        for start in range(0, stop, batch_size):
            idx = order[start : start + batch_size]
            Xb, yb = (X, y) if whole_data else (X[idx], y[idx])
            residual = Xb @ theta - yb
            grad = Xb.T @ residual
            if divide == "len":
                grad = grad / len(Xb)
            elif divide == "batch_size":
                grad = grad / batch_size
            theta -= lr * grad
        return theta

    return sgd_epoch


def sgd_epoch_with_helpers(theta, X, y, lr, batch_size, seed):
    """A correct version built on the companion iterator with the same seed."""
    for idx in batch_indices(len(X), batch_size, seed=seed):
        theta = theta - lr * X[idx].T @ (X[idx] @ theta - y[idx]) / len(idx)
    return theta


# --- 4.4 early_stopping ----------------------------------------------------------------------


def make_stopping(
    restore_last=False,
    lookahead=False,
    late=False,
    reset=True,
    previous=False,
    delta=True,
    ties=False,
    zero_based=False,
):
    def early_stopping(val_losses, patience, min_delta):
        best, best_epoch, waited, last = float("inf"), 0, 0, float("inf")
        stop = len(val_losses)
        for epoch in range(1, len(val_losses) + 1):
            loss = val_losses[epoch - 1]
            target = (last if previous else best) - (min_delta if delta else 0)
            last = loss
            if loss <= target if ties else loss < target:
                if loss < best:
                    best, best_epoch = loss, epoch
                if reset:
                    waited = 0
            else:
                waited += 1
                if (waited > patience) if late else (waited == patience):
                    stop = epoch
                    break
        if restore_last:
            best_epoch = stop
        if lookahead:
            best_epoch = int(np.argmin(val_losses)) + 1
        if zero_based:
            return best_epoch - 1, stop - 1
        return best_epoch, stop

    return early_stopping


WRONG = {
    "4.1": [
        ("rng.choice with replacement", orders_choice, "examples repeated within an epoch"),
        ("generator made in the loop", orders_reseeded, "the same order"),
        ("legacy np.random.seed", orders_legacy, "legacy global generator"),
        ("a hard-coded seed", orders_seed_42, "shuffling ignores the seed"),
        ("unseeded generator", orders_unseeded, "wrong value"),
        ("no shuffle", lambda n, e, s: np.tile(np.arange(n), (e, 1)), "did not shuffle"),
        (
            "one flat array",
            lambda n, e, s: np.concatenate(orders_shuffle_in_place(n, e, s)),
            "shape (epochs, n)",
        ),
        ("forgets to return", lambda n, e, s: None, "forget the `return`"),
    ],
    "4.2": [
        ("drops the partial batch", bounds_drop_last, "Don't drop the last"),
        ("last batch past n", bounds_past_n, "ends past the last example"),
        ("inclusive stops", bounds_inclusive, "stops are inclusive"),
        ("an extra empty batch", bounds_extra_batch, "Don't add an empty batch"),
    ],
    "4.3": [
        ("sum", make_epoch(divide="none"), "summed the batch's gradients"),
        ("divides by batch_size", make_epoch(divide="batch_size"), "averaged over batch_size"),
        ("no shuffle", make_epoch(shuffle=False), "did not shuffle"),
        ("whole data each step", make_epoch(whole_data=True), "whole data set"),
        ("drops the partial batch", make_epoch(drop_last=True), "dropped the last, partial"),
        ("updates theta in place", make_epoch(in_place=True), "changed its argument `theta`"),
    ],
    "4.4": [
        ("restores the last epoch", make_stopping(restore_last=True), "the epoch you stopped at"),
        ("argmin over all losses", make_stopping(lookahead=True), "looks into the future"),
        ("waited > patience", make_stopping(late=True), "one epoch late"),
        ("never resets", make_stopping(reset=False), "never reset"),
        ("compares with the previous epoch", make_stopping(previous=True), "previous epoch"),
        ("ignores min_delta", make_stopping(delta=False), "ignored min_delta"),
        ("<= instead of <", make_stopping(ties=True), "a tie counts"),
        ("epochs from 0", make_stopping(zero_based=True), "count from 0"),
        ("returns one number", lambda v, p, d: 3, "Return two numbers"),
    ],
}


@pytest.mark.parametrize(
    ("item_id", "implementation", "expected"),
    [(item_id, impl, expected) for item_id, cases in WRONG.items() for _, impl, expected in cases],
    ids=[f"{item_id}-{name}" for item_id, cases in WRONG.items() for name, _, _ in cases],
)
def test_realistic_wrong_implementation_gets_a_specific_diagnosis(
    item_id, implementation, expected
):
    feedback = check(item_id, implementation)
    assert not feedback.passed
    assert expected in feedback.message, feedback.message


def test_a_hard_coded_seed_of_zero_is_named():
    def fixed(n, epochs, seed):
        rng = np.random.default_rng(0)
        return np.array([rng.permutation(n) for _ in range(epochs)])

    assert "shuffling ignores the seed" in check("4.1", fixed).message


@pytest.mark.parametrize(
    ("item_id", "implementation"),
    [
        ("4.1", orders_shuffle_in_place),
        ("4.2", bounds_loop),
        ("4.3", make_epoch()),
        ("4.3", sgd_epoch_with_helpers),
        ("4.4", make_stopping()),
    ],
)
def test_correct_alternative_implementations_pass(item_id, implementation):
    feedback = check(item_id, implementation)
    assert feedback.passed, feedback


# --- the references are the chapter's own code ---------------------------------------------


def test_epoch_orders_are_what_the_companion_iterator_visits():
    for case in ITEMS["4.1"].cases():
        n, epochs, seed = case.args
        rng = np.random.default_rng(seed)
        visited = [np.concatenate(list(batch_indices(n, 3, seed=rng))) for _ in range(epochs)]
        np.testing.assert_array_equal(ITEMS["4.1"].reference(*case.args), visited)


def test_batch_bounds_are_the_companion_iterators_batches():
    for case in ITEMS["4.2"].cases():
        n, batch_size = case.args
        batches = list(batch_indices(n, batch_size, shuffle=False))
        expected = [[b[0], b[-1] + 1] for b in batches]
        np.testing.assert_array_equal(ITEMS["4.2"].reference(*case.args), expected)


def test_one_sgd_epoch_is_the_first_epoch_of_minibatch_sgd():
    for case in ITEMS["4.3"].cases():
        theta, X, y, lr, batch_size, seed = case.args
        data = linear_regression(n=10, seed=0)  # only for its gradient formula
        run = minibatch_sgd(data.gradient, theta, X, y, lr, batch_size, epochs=1, seed=seed)
        np.testing.assert_allclose(ITEMS["4.3"].reference(*case.args), run.path[-1])


def test_early_stopping_reference_agrees_with_fit():
    from companion.data import blobs

    X, y = blobs(20, centers=3, seed=0)
    for case in ITEMS["4.4"].cases():
        curve, patience, min_delta = case.args
        model = mlp([2, 4, 3], seed=0)

        def loss(outputs, targets, calls=[], curve=curve):  # noqa: B006 (a counter per case)
            if len(outputs) == 7:
                calls.append(None)
                return float(curve[len(calls) - 1]), np.zeros_like(outputs)
            return softmax_cross_entropy(outputs, targets)

        history = fit(
            model,
            X,
            y,
            loss=loss,
            lr=0.1,
            epochs=len(curve),
            batch_size=16,
            validation=(X[:7], y[:7]),
            patience=patience,
            min_delta=min_delta,
            progress=False,
        )
        best, stop = ITEMS["4.4"].reference(*case.args)
        assert (history.best_epoch, history.epochs) == (best, stop), case.label


def test_exercise_4_has_five_items_worth_eleven_points():
    items = [item for item in ITEMS.values() if item.id.startswith("4.")]
    assert [item.id for item in items] == ["4.1", "4.2", "4.3", "4.4", "4.5"]
    assert sum(item.points for item in items) == 11


def test_the_notebook_s_broken_batcher_is_named_and_loses_the_labels():
    from _nbtools import ROOT, notebook_namespace

    namespace = notebook_namespace(ROOT / "exercises" / "04_minibatch_sgd.ipynb")
    feedback = check("4.5", namespace["shuffled_from_the_forum"])
    assert feedback.score == 0 and "two different permutations" in feedback.message
    assert 0.4 < namespace["agree"] < 0.6  # chance: the labels no longer belong to their rows
