"""companion.tuning: the learning-rate range test (its ramp, smoothing, stopping rule and
suggestion, and that it is fit's loop), search spaces, grid and random search, and the toy
objective on which random search beats a grid."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.data import blobs
from companion.layers import mlp
from companion.losses import softmax_cross_entropy
from companion.optim import SGD
from companion.training import fit
from companion.tuning import (
    Range,
    grid_search,
    log_uniform,
    lr_range_test,
    one_important,
    random_search,
    uniform,
)


@pytest.fixture(scope="module")
def classes():
    return blobs(60, centers=3, std=1.5, seed=0)  # 180 points, 3 overlapping classes


# --- the learning-rate range test ------------------------------------------------------------


def test_the_rate_grows_exponentially_from_min_lr_to_max_lr(classes):
    X, y = classes
    test = lr_range_test(mlp([2, 8, 3], seed=0), X, y, min_lr=1e-4, max_lr=1e-2, steps=50, seed=0)
    assert test.status == "completed" and len(test.lrs) == 50  # no blow-up at these rates
    assert test.lrs[0] == pytest.approx(1e-4) and test.lrs[-1] == pytest.approx(1e-2)
    np.testing.assert_allclose(test.lrs[1:] / test.lrs[:-1], 100 ** (1 / 49))


def test_the_range_test_is_fits_loop_with_an_exponential_schedule(classes):
    X, y = classes  # 180 examples, batches of 30: 6 steps per epoch
    ramp = functools.partial(lambda t: 1e-3 * 1000 ** (np.asarray(t) / 35))
    test = lr_range_test(
        mlp([2, 8, 3], seed=0),
        X,
        y,
        optimizer=functools.partial(SGD, momentum=0.9),
        min_lr=1e-3,
        max_lr=1.0,
        steps=36,
        batch_size=30,
        smoothing=0.0,
        diverge=1e9,
        seed=5,
    )
    history = fit(
        mlp([2, 8, 3], seed=0),
        X,
        y,
        optimizer=functools.partial(SGD, lr=1.0, momentum=0.9),
        schedule=ramp,
        epochs=6,
        batch_size=30,
        seed=5,
        progress=False,
    )
    np.testing.assert_allclose(test.lrs, history.step_lr, rtol=1e-12)
    np.testing.assert_allclose(test.losses, history.step_loss, rtol=1e-10)
    np.testing.assert_array_equal(test.smoothed, test.losses)  # smoothing 0: the raw losses


def test_the_smoothed_loss_is_the_bias_corrected_moving_average(classes):
    X, y = classes
    test = lr_range_test(mlp([2, 8, 3], seed=0), X, y, smoothing=0.9, steps=40, seed=0)
    average, expected = 0.0, []
    for k, loss in enumerate(test.losses):
        average = 0.9 * average + 0.1 * loss
        expected.append(average / (1 - 0.9 ** (k + 1)))
    np.testing.assert_allclose(test.smoothed, expected, rtol=1e-12)
    assert test.smoothed[0] == test.losses[0]  # the correction makes the start unbiased


def test_it_stops_when_the_smoothed_loss_blows_up_and_restores_the_weights(classes):
    X, y = classes
    model = mlp([2, 16, 3], seed=0)
    before = [p.copy() for p in model.params]
    test = lr_range_test(model, X, y, min_lr=1e-4, max_lr=1e3, steps=300, seed=0)
    assert test.diverged and len(test.lrs) < 300 and "4x its minimum" in test.message
    assert test.smoothed[-1] > 4 * test.smoothed[:-1].min()  # the step that stopped it
    assert np.all(test.smoothed[:-1] <= 4 * np.minimum.accumulate(test.smoothed[:-1]))
    for p, b in zip(model.params, before, strict=True):
        np.testing.assert_array_equal(p, b)
    assert np.all(np.isfinite(test.losses))


def test_the_suggestion_is_a_tenth_of_the_rate_at_the_lowest_smoothed_loss(classes):
    X, y = classes
    test = lr_range_test(mlp([2, 16, 3], seed=0), X, y, min_lr=1e-4, max_lr=1e3, steps=300)
    assert test.min_loss_lr == test.lrs[np.argmin(test.smoothed)]
    assert test.suggestion == pytest.approx(test.min_loss_lr / 10)
    # and the suggested rate trains: far lower loss than a hundredth of it, no divergence
    runs = {
        lr: fit(mlp([2, 16, 3], seed=0), X, y, lr=lr, epochs=5, seed=0, progress=False)
        for lr in (test.suggestion, test.suggestion / 100)
    }
    good, slow = runs[test.suggestion], runs[test.suggestion / 100]
    assert not good.diverged and good.train_loss[-1] < 0.5 * slow.train_loss[-1]


def test_a_non_finite_loss_stops_the_test_without_recording_it(classes):
    # The loss turns NaN at its 11th call. (Driving a real network to overflow is not a
    # deterministic test: on one CPU the smoothed loss passed 1e300x its minimum first.)
    X, y = classes
    calls = []

    def loss_that_breaks(outputs, targets):
        calls.append(1)
        value, grad = softmax_cross_entropy(outputs, targets)
        return (math.nan if len(calls) > 10 else value), grad

    test = lr_range_test(
        mlp([2, 8, 3], seed=0), X, y, loss=loss_that_breaks, steps=100, diverge=1e300, seed=0
    )
    assert test.diverged and "finite" in test.message
    assert len(test.losses) == 10  # the broken step is not recorded
    assert np.all(np.isfinite(test.losses)) and np.all(np.isfinite(test.smoothed))


def test_non_finite_outputs_stop_the_test_before_the_loss_is_computed(classes):
    X, y = classes
    model = mlp([2, 8, 3], seed=0)
    forward = model.forward
    calls = []

    def forward_that_overflows(X_batch):
        calls.append(1)
        out = forward(X_batch)
        return out * np.inf if len(calls) > 5 else out

    model.forward = forward_that_overflows
    test = lr_range_test(model, X, y, steps=100, diverge=1e300, seed=0)
    assert test.diverged and "finite" in test.message and len(test.losses) == 5


def test_the_range_test_is_reproducible_from_the_seed(classes):
    X, y = classes
    a, b, c = (lr_range_test(mlp([2, 8, 3], seed=0), X, y, steps=60, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.losses, b.losses)
    assert not np.array_equal(a.losses, c.losses)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"min_lr": 1.0, "max_lr": 0.1}, ValueError, "below max_lr"),
        ({"min_lr": 0.0}, ValueError, "min_lr"),
        ({"max_lr": float("inf")}, ValueError, "max_lr"),
        ({"steps": 1}, ValueError, "at least 2"),
        ({"smoothing": 1.0}, ValueError, "smoothing"),
        ({"diverge": 1.0}, ValueError, "above 1"),
        ({"l2": -1.0}, ValueError, "l2"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"optimizer": lambda params: object()}, TypeError, "param_groups"),
    ],
)
def test_the_range_test_explains_bad_arguments(classes, kwargs, error, match):
    X, y = classes
    with pytest.raises(error, match=match):
        lr_range_test(mlp([2, 4, 3], seed=0), X, y, **kwargs)


def test_the_range_test_refuses_data_of_different_lengths(classes):
    X, y = classes
    with pytest.raises(ValueError, match="same"):
        lr_range_test(mlp([2, 4, 3], seed=0), X, y[:-1])


# --- search spaces --------------------------------------------------------------------------


def test_grid_points_sit_at_the_centres_of_equal_slices():
    np.testing.assert_allclose(uniform(0.0, 1.0).grid(3), [1 / 6, 1 / 2, 5 / 6])
    np.testing.assert_allclose(np.log10(log_uniform(1e-6, 1.0).grid(3)), [-5, -3, -1])
    assert uniform(2.0, 4.0).grid(1).tolist() == [3.0]


@given(
    low=st.floats(-1e3, 1e3),
    width=st.floats(1e-3, 1e3),
    log=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_draws_stay_inside_the_range(low, width, log, seed):
    if log:
        low = abs(low) + 1e-6
    r = Range(low, low + width, log=log)
    draws = r.sample(np.random.default_rng(seed), 50)
    assert draws.shape == (50,) and np.all((draws >= r.low) & (draws <= r.high))
    assert isinstance(r.sample(np.random.default_rng(seed)), float)
    grid = r.grid(4)
    assert np.all((grid > r.low) & (grid < r.high)) and np.all(np.diff(grid) > 0)


def test_log_uniform_draws_are_uniform_in_the_exponent():
    draws = log_uniform(1e-4, 1.0).sample(np.random.default_rng(0), 40_000)
    counts, _ = np.histogram(np.log10(draws), bins=4, range=(-4, 0))
    np.testing.assert_allclose(counts / draws.size, 0.25, atol=0.01)  # each decade a quarter


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((1.0, 1.0), ValueError, "below high"),
        ((0.0, 1.0, True), ValueError, "log scale"),
        ((0.0, float("nan")), ValueError, "finite"),
        (("a", 1.0), TypeError, "number"),
    ],
)
def test_a_range_explains_bad_bounds(args, error, match):
    with pytest.raises(error, match=match):
        Range(*args)


# --- grid and random search --------------------------------------------------------------------


def quadratic(params):
    return (np.log10(params["lr"]) + 2) ** 2 + 0.01 * params["momentum"]


SPACE = {"lr": log_uniform(1e-4, 1.0), "momentum": uniform(0.0, 0.9)}


def test_a_grid_tries_every_combination_once():
    result = grid_search(quadratic, SPACE, points={"lr": 4, "momentum": 2})
    assert len(result.trials) == 8
    pairs = {(t["lr"], t["momentum"]) for t in result.trials}
    assert len(pairs) == 8
    assert set(result.values("lr")) == set(SPACE["lr"].grid(4))
    assert set(result.values("momentum")) == set(SPACE["momentum"].grid(2))
    assert result.names == ("lr", "momentum")


def test_search_results_rank_by_the_objective_in_either_direction():
    lowest = grid_search(quadratic, SPACE, points=5)
    assert lowest.best_score == np.min(lowest.scores)
    assert lowest.best == lowest.trials[int(np.argmin(lowest.scores))]
    highest = grid_search(quadratic, SPACE, points=5, maximize=True)
    assert highest.best_score == np.max(highest.scores)
    np.testing.assert_array_equal(highest.best_so_far, np.maximum.accumulate(highest.scores))
    np.testing.assert_array_equal(lowest.best_so_far, np.minimum.accumulate(lowest.scores))


def test_a_diverged_trial_is_recorded_as_nan_and_never_wins():
    def objective(params):
        return np.inf if params["lr"] > 0.1 else -params["lr"]

    result = grid_search(objective, SPACE, points=3)
    assert np.isnan(result.scores).sum() == 3  # the three trials at the largest rate
    assert np.isfinite(result.best_score) and result.best["lr"] < 0.1
    maximized = random_search(
        lambda p: np.nan if p["lr"] > 1e-3 else 1.0, SPACE, 20, seed=0, maximize=True
    )
    finite = ~np.isnan(maximized.scores)
    first = int(np.argmax(finite))
    assert finite.any() and first > 0  # the case under test: diverged trials come first
    assert maximized.best_score == 1.0
    # NaN until a trial succeeds, then the best so far: a NaN never propagates past it
    expected = np.where(np.arange(len(finite)) < first, np.nan, 1.0)
    np.testing.assert_array_equal(maximized.best_so_far, expected)


def test_random_search_draws_a_new_value_of_every_hyperparameter_each_trial():
    result = random_search(quadratic, SPACE, trials=9, seed=0)
    assert len(set(result.values("lr"))) == 9 and len(set(result.values("momentum"))) == 9
    again = random_search(quadratic, SPACE, trials=9, seed=0)
    other = random_search(quadratic, SPACE, trials=9, seed=1)
    assert result.trials == again.trials and result.trials != other.trials
    grid = grid_search(quadratic, SPACE, points=3)
    assert len(set(grid.values("lr"))) == 3  # the same budget tries three rates


def test_the_table_lists_the_trials_best_first():
    result = grid_search(quadratic, SPACE, points=3)
    lines = result.table().splitlines()
    assert lines[0].split() == ["rank", "lr", "momentum", "score"]
    assert len(lines) == 1 + 9
    scores = [float(line.split()[-1]) for line in lines[1:]]
    assert scores == sorted(scores)
    assert len(result.table(top=2).splitlines()) == 3


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: grid_search(quadratic, {}, points=3), TypeError, "non-empty"),
        (lambda: grid_search(quadratic, {"lr": (0.1, 1.0)}, points=3), TypeError, "Range"),
        (lambda: grid_search(quadratic, SPACE, points={"lr": 3}), ValueError, "every"),
        (lambda: grid_search(quadratic, SPACE, points=0), ValueError, "points"),
        (lambda: random_search(quadratic, SPACE, trials=0), ValueError, "trials"),
        (lambda: random_search("f", SPACE, trials=3), TypeError, "objective"),
    ],
)
def test_searches_explain_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- one important hyperparameter ---------------------------------------------------------------


def test_only_the_important_hyperparameter_matters_much():
    x = np.linspace(0, 1, 201)
    assert x[np.argmax(one_important(x, 0.5))] == pytest.approx(0.37)
    along_y = one_important(0.37, np.linspace(0, 1, 101))
    along_x = one_important(np.linspace(0, 1, 101), 0.5)
    assert np.ptp(along_y) <= 0.025 + 1e-12 and np.ptp(along_x) > 0.9
    assert one_important(x[:, None], x[None, :]).shape == (201, 201)


def test_random_search_beats_a_grid_of_the_same_budget_on_average():
    """Bergstra & Bengio's argument: over many problems whose peak lies anywhere, nine random
    trials find a better score than a 3 x 3 grid (which tries only three values of the
    important hyperparameter)."""
    space = {"important": uniform(0.0, 1.0), "unimportant": uniform(0.0, 1.0)}
    rng = np.random.default_rng(0)
    grid_best, random_best = [], []
    for peak in rng.random(300):

        def objective(p, peak=peak):
            return one_important(p["important"], p["unimportant"], peak=peak)

        grid_best.append(grid_search(objective, space, 3, maximize=True).best_score)
        random_best.append(random_search(objective, space, 9, seed=rng, maximize=True).best_score)
    assert np.mean(random_best) > np.mean(grid_best) + 0.1
