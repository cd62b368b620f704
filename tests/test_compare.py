"""companion.compare: fair optimizer comparisons over seeds, learning-rate sweeps, spread plots.

- Spread summarizes runs and leaves diverged (NaN) ones out.
- compare gives every optimizer the same initial weights and mini-batches for a seed, so two
  copies of one optimizer agree bit for bit, and other seeds differ.
- A diverging configuration is recorded, not raised: NaN-padded curves, NaN test scores, an
  infinite validation loss in a sweep, which then picks another learning rate.
- Bad arguments fail before any training, with messages that name them.
"""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.compare import (
    Comparison,
    Runs,
    Spread,
    compare,
    plot_spread,
    sweep_lr,
    time_steps,
)
from companion.data import blobs, train_val_test_split
from companion.layers import mlp
from companion.optim import SGD, Adam
from companion.training import fit

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def data():
    X, y = blobs(40, centers=3, std=0.9, seed=0)  # 120 points in the plane, 3 classes
    parts = train_val_test_split(X, y, 0.25, 0.25, seed=0)
    return SimpleNamespace(
        **dict(
            zip(("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"), parts, strict=True)
        )
    )


def make_model(seed):
    return mlp([2, 8, 3], seed=seed)


# --- Spread ------------------------------------------------------------------------------------


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20))
@settings(max_examples=50, deadline=None)
def test_spread_is_mean_std_min_max(values):
    s = Spread.of(values)
    assert s.count == len(values)
    assert s.mean == pytest.approx(np.mean(values), abs=1e-9)
    assert s.std == pytest.approx(np.std(values), abs=1e-6)
    assert s.low == min(values) and s.high == max(values)
    assert s.width == s.high - s.low >= 0


def test_spread_leaves_out_nan_and_is_all_nan_when_nothing_is_left():
    s = Spread.of([1.0, np.nan, 3.0])
    assert (s.mean, s.low, s.high, s.count) == (2.0, 1.0, 3.0, 2)
    empty = Spread.of([np.nan, np.nan])
    assert empty.count == 0 and np.isnan(empty.mean) and np.isnan(empty.width)
    assert "2 runs" in str(s)


# --- compare ------------------------------------------------------------------------------------


def test_compare_records_every_seed_with_consistent_shapes(data):
    result = compare(
        {"sgd": partial(SGD, lr=0.1), "adam": partial(Adam, lr=0.05)},
        make_model,
        data,
        seeds=(0, 1, 2),
        epochs=4,
        batch_size=16,
    )
    assert isinstance(result, Comparison) and list(result) == ["sgd", "adam"] and len(result) == 2
    runs = result["adam"]
    assert isinstance(runs, Runs) and runs.lr == 0.05 and runs.seeds == (0, 1, 2)
    for field in (
        "train_loss",
        "val_loss",
        "train_accuracy",
        "val_accuracy",
        "grad_norm",
        "seconds",
    ):
        assert runs.curve(field).shape == (3, 4)
    assert np.all(np.diff(runs.curve("seconds"), axis=1) > 0)  # cumulative training time
    assert runs.test_accuracy.shape == (3,) and np.all(runs.test_accuracy > 0.8)
    assert runs.final("test_accuracy").count == 3 and runs.diverged == 0
    assert runs.seconds_per_step.mean > 0
    # the final train loss is the last column of the curve, and matches the histories
    assert runs.final("train_loss").mean == pytest.approx(
        np.mean([h.train_loss[-1] for h in runs.histories])
    )
    text = result.table()
    assert "sgd" in text and "adam" in text and "diverged" not in text


def test_for_a_seed_every_optimizer_starts_alike_and_sees_the_same_batches(data):
    same = partial(SGD, lr=0.05, momentum=0.9)
    result = compare({"a": same, "b": same}, make_model, data, seeds=(3, 4), epochs=3)
    a, b = result["a"], result["b"]
    for field in ("train_loss", "val_loss", "grad_norm"):
        np.testing.assert_array_equal(a.curve(field), b.curve(field))
    np.testing.assert_array_equal(a.test_loss, b.test_loss)
    # ... and it is exactly fit with that seed, from make_model(seed)
    model = make_model(3)
    history = fit(
        model,
        data.X_train,
        data.y_train,
        optimizer=same,
        epochs=3,
        batch_size=32,
        validation=(data.X_val, data.y_val),
        seed=3,
        progress=False,
    )
    np.testing.assert_array_equal(a.histories[0].train_loss, history.train_loss)
    # other seeds differ
    assert not np.array_equal(a.curve("train_loss")[0], a.curve("train_loss")[1])


def test_a_diverging_optimizer_is_recorded_not_raised(data):
    result = compare(
        {"wild": partial(SGD, lr=1e6), "calm": partial(SGD, lr=0.1)},
        make_model,
        data,
        seeds=(0, 1),
        epochs=3,
    )
    wild, calm = result["wild"], result["calm"]
    assert wild.diverged == 2 and calm.diverged == 0
    assert np.all(np.isnan(wild.test_accuracy)) and np.all(np.isnan(wild.test_loss))
    assert wild.final("test_accuracy").count == 0
    assert "(2 diverged)" in result.table()
    curve = wild.curve("train_loss")
    assert curve.shape[0] == 2 and np.all(np.isnan(curve))  # padded, never a made-up value


def test_compare_forwards_fit_options(data):
    plain = compare({"sgd": partial(SGD, lr=0.1)}, make_model, data, seeds=(0,), epochs=2)
    decayed = compare({"sgd": partial(SGD, lr=0.1)}, make_model, data, seeds=(0,), epochs=2, l2=0.5)
    assert not np.array_equal(plain["sgd"].curve("train_loss"), decayed["sgd"].curve("train_loss"))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"optimizers": {}}, TypeError, "non-empty mapping"),
        ({"optimizers": [partial(SGD, lr=0.1)]}, TypeError, "non-empty mapping"),
        ({"optimizers": {"sgd": 0.1}}, TypeError, "map names"),
        ({"make_model": "mlp"}, TypeError, "make_model must be a function"),
        ({"data": SimpleNamespace(X_train=np.ones((2, 2)))}, TypeError, "lacks y_train"),
        ({"seeds": 3}, TypeError, "sequence of integers"),
        ({"seeds": ()}, ValueError, "one or more integers"),
        ({"seeds": (0, True)}, ValueError, "one or more integers"),
        ({"seeds": (1, 1)}, ValueError, "distinct"),
        ({"lr": 0.1}, TypeError, "'lr'"),
        ({"validation": None}, TypeError, "'validation'"),
    ],
)
def test_bad_arguments_fail_before_training(data, kwargs, error, message):
    arguments = {
        "optimizers": {"sgd": partial(SGD, lr=0.1)},
        "make_model": make_model,
        "data": data,
    }
    extra = {k: v for k, v in kwargs.items() if k not in arguments}
    arguments.update({k: v for k, v in kwargs.items() if k in arguments})
    with pytest.raises(error, match=message):
        compare(
            arguments["optimizers"], arguments["make_model"], arguments["data"], epochs=1, **extra
        )


def test_data_with_mismatched_rows_is_refused(data):
    bad = SimpleNamespace(**{**vars(data), "y_val": data.y_val[:-1]})
    with pytest.raises(ValueError, match="X_val and data.y_val"):
        compare({"sgd": partial(SGD, lr=0.1)}, make_model, bad, epochs=1)


def test_unknown_name_lists_the_known_ones(data):
    result = compare({"sgd": partial(SGD, lr=0.1)}, make_model, data, seeds=(0,), epochs=1)
    with pytest.raises(KeyError, match="the names are"):
        result["adam"]
    with pytest.raises(ValueError, match="field must be one of"):
        result["sgd"].curve("loss")


# --- sweep_lr -----------------------------------------------------------------------------------


def test_sweep_picks_the_lowest_final_validation_loss(data):
    sweep = sweep_lr(SGD, [1e-4, 0.03, 0.3], make_model, data, seeds=(0, 1), epochs=5)
    assert sweep.lrs.tolist() == [1e-4, 0.03, 0.3]
    expected = [np.mean(runs.curve("val_loss")[:, -1]) for runs in sweep.comparison.runs.values()]
    np.testing.assert_allclose(sweep.val_loss, expected)
    assert sweep.best_lr == sweep.lrs[np.argmin(expected)]
    assert sweep.best_lr != 1e-4  # far too small to learn in 5 epochs
    assert sweep.best_lr in sweep.near_best() and 1e-4 not in sweep.near_best()
    assert list(sweep.comparison) == ["0.0001", "0.03", "0.3"]


def test_sweep_keeps_other_hyperparameters_and_scores_divergence_as_infinite(data):
    sweep = sweep_lr(partial(SGD, momentum=0.9), [0.05, 1e5], make_model, data, epochs=2)
    assert np.isinf(sweep.val_loss[1]) and sweep.best_lr == 0.05
    assert sweep.comparison["0.05"].histories[0].status == "completed"


@pytest.mark.parametrize(
    ("lrs", "message"),
    [([], "one or more positive"), ([0.1, -1.0], "one or more positive"), ([0.1, 0.1], "repeat")],
)
def test_sweep_checks_its_learning_rates(data, lrs, message):
    with pytest.raises(ValueError, match=message):
        sweep_lr(SGD, lrs, make_model, data, epochs=1)
    with pytest.raises(TypeError, match="optimizer must build"):
        sweep_lr("SGD", [0.1], make_model, data, epochs=1)


# --- plot_spread ---------------------------------------------------------------------------------


def test_plot_spread_draws_the_mean_and_a_band_against_epochs_or_seconds(data):
    result = compare(
        {"sgd": partial(SGD, lr=0.1), "custom": partial(Adam, lr=0.01)},
        make_model,
        data,
        seeds=(0, 1),
        epochs=3,
    )
    fig, (ax1, ax2) = plt.subplots(1, 2)
    lines = plot_spread(ax1, result, "train_loss", labels={"sgd": "SGD"})
    assert [line.get_label() for line in lines] == ["SGD", "custom"]
    np.testing.assert_allclose(lines[0].get_ydata(), result["sgd"].curve("train_loss").mean(axis=0))
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    assert len(ax1.collections) == 2 and ax1.get_yscale() == "log"
    from companion.plots import COLORS

    assert matplotlib.colors.same_color(lines[0].get_color(), COLORS["sgd"])
    (line,) = plot_spread(ax2, result, "val_accuracy", x="seconds", names=["sgd"], log=False)
    np.testing.assert_allclose(line.get_xdata(), result["sgd"].curve("seconds").mean(axis=0))
    assert ax2.get_xlabel() == "training time (s)" and ax2.get_yscale() == "linear"
    with pytest.raises(ValueError, match="x must be"):
        plot_spread(ax2, result, x="steps")
    plt.close(fig)


def test_an_early_stopped_run_is_padded_and_summarized_by_its_last_epoch(data):
    # min_delta = 10: no epoch after the first counts as an improvement, so patience 1 stops
    # every run after its second epoch
    result = compare(
        {"sgd": partial(SGD, lr=0.1)},
        make_model,
        data,
        seeds=(0, 1),
        epochs=5,
        patience=1,
        min_delta=10.0,
    )
    runs = result["sgd"]
    assert all(h.status == "early_stopped" and h.epochs == 2 for h in runs.histories)
    curve = runs.curve("train_loss")
    assert curve.shape == (2, 5) and np.all(np.isnan(curve[:, 2:]))
    assert runs.final("train_loss").count == 2 and runs.diverged == 0
    assert runs.final("train_loss").mean == pytest.approx(
        np.mean([h.train_loss[-1] for h in runs.histories])
    )


# --- time_steps ----------------------------------------------------------------------------------


def test_time_steps_interleaves_the_optimizers_and_repeats(data):
    log = []

    class Recorder:
        def __init__(self, name, params):
            self.name, self.params = name, params

        def step(self, grads):
            log.append(self.name)

    times = time_steps(
        {"a": partial(Recorder, "a"), "b": partial(Recorder, "b")},
        make_model,
        data,
        steps=4,
        repeats=3,
    )
    assert log == (["a"] * 4 + ["b"] * 4) * 3  # in turn, within every repeat
    assert set(times) == {"a", "b"}
    for spread in times.values():
        assert spread.count == 3 and 0 < spread.low <= spread.mean <= spread.high < 1


def test_time_steps_measures_real_steps_and_checks_its_counts(data):
    seen = []  # the size of every batch a model was given

    def recording_model(seed):
        model = make_model(seed)
        forward = model.forward
        model.forward = lambda X: (seen.append(len(X)), forward(X))[1]
        return model

    times = time_steps(
        {"sgd": partial(SGD, lr=0.1)}, recording_model, data, steps=30, repeats=2, batch_size=32
    )
    assert times["sgd"].count == 2 and times["sgd"].low > 0
    # 30 steps over 60 examples in batches of 32: epoch after epoch of (32, 28), twice over
    n = len(data.X_train)
    assert n == 60 and seen == [32, n - 32] * 15 * 2
    for bad in ({"steps": 0}, {"repeats": 1.5}, {"batch_size": True}):
        with pytest.raises(ValueError, match="positive integer"):
            time_steps({"sgd": partial(SGD, lr=0.1)}, make_model, data, **bad)
    with pytest.raises(TypeError, match="lacks"):
        time_steps({"sgd": partial(SGD, lr=0.1)}, make_model, SimpleNamespace())
