"""companion.training (and the hinge loss): mini-batch SGD on a vector, the gradient-noise
measurement, penalties checked against numerical gradients, and fit — its history, early
stopping that restores the best weights, divergence without exceptions, optimizers."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.data import blobs, linear_regression, minibatches
from companion.descent import gradient_descent
from companion.gradients import gradient_check
from companion.layers import Linear, mlp
from companion.losses import hinge_loss, mse, softmax_cross_entropy
from companion.optim import SGD, Adam
from companion.schedules import constant, cosine, sequential, set_lr, step_decay
from companion.training import (
    accuracy,
    evaluate,
    fit,
    gradient_noise,
    minibatch_sgd,
    model_gradient,
    regularization,
)

seeds = st.integers(0, 2**32 - 1)


@pytest.fixture(scope="module")
def classes():
    X, y = blobs(40, centers=3, std=0.8, seed=0)  # 120 points, 3 classes
    X_val, y_val = blobs(15, centers=3, std=0.8, seed=1)
    return X, y, X_val, y_val


def assert_all_finite(history):
    for name in (
        "step_loss",
        "step_grad_norm",
        "step_seconds",
        "step_lr",
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "grad_norm",
        "seconds",
    ):
        assert np.all(np.isfinite(getattr(history, name))), name


# --- minibatch_sgd ---------------------------------------------------------------------------


def test_full_batch_sgd_is_gradient_descent():
    data = linear_regression(n=100, seed=0)
    run = minibatch_sgd(data.gradient, [0.0, 0.0], data.X, data.y, lr=0.4, batch_size=100, epochs=7)
    gd = gradient_descent(
        data.loss, lambda t: data.gradient(t, data.X, data.y), np.zeros(2), 0.4, 7, tol=0
    )
    np.testing.assert_allclose(run.path, gd.path)
    assert run.steps_per_epoch == 1 and run.status == "completed"


def test_one_epoch_takes_one_step_per_batch_and_records_time():
    data = linear_regression(n=50, seed=0)
    run = minibatch_sgd(data.gradient, [0.0, 0.0], data.X, data.y, 0.1, 8, epochs=3, seed=0)
    assert run.steps_per_epoch == 7 and run.steps == 21  # 50 = 6 * 8 + 2
    assert run.seconds[0] == 0 and np.all(np.diff(run.seconds) >= 0)
    np.testing.assert_allclose(run.epochs[[0, 7, 21]], [0, 1, 3])


def test_single_example_sgd_visits_each_example_once_per_epoch():
    X = np.eye(5)
    y = np.arange(5.0)
    seen = []

    def grad(theta, xb, yb):
        seen.append(int(yb[0]))
        return np.zeros(5)

    minibatch_sgd(grad, np.zeros(5), X, y, 0.1, batch_size=1, epochs=2, seed=0)
    assert sorted(seen[:5]) == sorted(seen[5:]) == [0, 1, 2, 3, 4]
    assert seen[:5] != seen[5:]  # and a new order in the second epoch


def test_sgd_runs_are_reproducible_from_the_seed():
    data = linear_regression(n=64, seed=0)

    def run(seed):
        return minibatch_sgd(data.gradient, [0.0, 0.0], data.X, data.y, 0.2, 4, 2, seed=seed).path

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))


def test_too_large_a_learning_rate_is_reported_as_divergence_without_nan():
    data = linear_regression(n=64, seed=0)
    run = minibatch_sgd(data.gradient, [0.0, 0.0], data.X, data.y, 5.0, 8, epochs=50, seed=0)
    assert run.diverged and "blew up" in run.message
    assert np.all(np.isfinite(run.path)) and run.steps < 50 * 8


# --- gradient noise --------------------------------------------------------------------------


def test_gradient_noise_falls_like_one_over_b():
    data = linear_regression(n=1000, seed=0)
    theta = data.surface.start

    def batch_gradient(idx):
        return data.gradient(theta, data.X[idx], data.y[idx])

    noise = gradient_noise(batch_gradient, 1000, [1, 4, 16, 64], draws=1500, seed=0)
    sigma2 = np.mean(
        np.sum(
            (data.per_example_gradients(theta) - data.gradient(theta, data.X, data.y)) ** 2, axis=1
        )
    )
    assert noise.per_example_variance == pytest.approx(sigma2)
    np.testing.assert_allclose(noise.variance / noise.predicted, 1, atol=0.12)
    assert noise.slope == pytest.approx(-1, abs=0.05)
    np.testing.assert_allclose(noise.predicted, noise.inverse_b * (1000 - noise.batch_sizes) / 999)


def test_gradient_noise_checks_batch_sizes():
    with pytest.raises(ValueError, match="between 1 and n - 1"):
        gradient_noise(lambda idx: np.zeros(2), 10, [1, 10])


# --- penalties -------------------------------------------------------------------------------


@settings(deadline=None, max_examples=40)
@given(
    rows=st.integers(1, 5),
    cols=st.integers(1, 5),
    l2=st.floats(0, 2),
    l1=st.floats(0, 2),
    seed=seeds,
)
def test_penalty_gradients_match_the_numerical_gradient(rows, cols, l2, l1, seed):
    rng = np.random.default_rng(seed)
    # away from 0, where |w| has its kink
    W = rng.choice([-1.0, 1.0], (rows, cols)) * rng.uniform(0.1, 2.0, (rows, cols))
    b = rng.standard_normal(cols)

    def penalty(w):
        return regularization([w, b], l2=l2, l1=l1)[0]

    def penalty_grad(w):
        return regularization([w, b], l2=l2, l1=l1)[1][0]

    result = gradient_check(penalty, penalty_grad, W, h=1e-6)
    assert result.max_relative_error < 1e-7, str(result)
    assert np.all(regularization([W, b], l2=l2, l1=l1)[1][1] == 0)  # biases are not penalized


def test_l1_uses_the_zero_subgradient_at_zero():
    value, (grad,) = regularization([np.array([[0.0, 2.0, -3.0]])], l1=0.5)
    assert value == pytest.approx(2.5)
    np.testing.assert_array_equal(grad, [[0.0, 0.5, -0.5]])


def test_fit_adds_the_penalty_gradient_to_the_step(classes):
    X, y, _, _ = classes
    model, reference = mlp([2, 5, 3], seed=0), mlp([2, 5, 3], seed=0)
    fit(
        model,
        X,
        y,
        lr=0.3,
        epochs=1,
        batch_size=len(X),
        shuffle=False,
        l2=0.1,
        l1=0.05,
        progress=False,
    )
    # the same full-batch step by hand
    _, dlogits = softmax_cross_entropy(reference.forward(X), y)
    reference.backward(dlogits)
    _, penalty_grads = regularization(reference.params, l2=0.1, l1=0.05)
    for p, g, pg in zip(reference.params, reference.grads, penalty_grads, strict=True):
        p -= 0.3 * (g + pg)
    for p, q in zip(model.params, reference.params, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12)


def test_l1_makes_weights_sparse_and_l2_makes_them_small(classes):
    X, y, _, _ = classes

    def trained(**penalty):
        model = mlp([2, 32, 3], seed=0)
        fit(model, X, y, lr=0.1, epochs=60, batch_size=16, seed=0, progress=False, **penalty)
        return np.concatenate([model[0].W.ravel(), model[2].W.ravel()])

    plain, l2, l1 = trained(), trained(l2=0.05), trained(l1=0.01)
    assert np.linalg.norm(l2) < 0.8 * np.linalg.norm(plain)
    small = [np.mean(np.abs(w) < 1e-2) for w in (plain, l1)]
    assert small[1] > 0.3 > small[0]


# --- accuracy and evaluation -----------------------------------------------------------------


def test_accuracy_reads_classes_from_argmax_or_sign_and_skips_regression():
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])) == 0.5
    assert accuracy(np.array([[0.3], [-0.2], [0.0]]), np.array([1, 1, 1])) == pytest.approx(2 / 3)
    assert accuracy(np.array([[0.3], [0.1]]), np.array([[0.2], [0.1]])) is None
    assert accuracy(np.array([0.3, 0.1]), np.array([0, 2])) is None  # 0/2 are not ±1


def test_evaluate_and_model_gradient_agree_with_the_layers(classes):
    X, y, _, _ = classes
    model = mlp([2, 4, 3], seed=1)
    value, acc = evaluate(model, X, y)
    assert value == pytest.approx(softmax_cross_entropy(model.forward(X), y)[0])
    assert 0 <= acc <= 1
    flat = model_gradient(model, X, y)
    assert flat.size == sum(p.size for p in model.params)
    np.testing.assert_allclose(flat[: model.grads[0].size], model.grads[0].ravel())


# --- fit: the history ------------------------------------------------------------------------


def test_fit_records_every_step_and_every_epoch(classes):
    X, y, X_val, y_val = classes
    model = mlp([2, 16, 3], seed=0)
    history = fit(
        model,
        X,
        y,
        lr=0.1,
        epochs=4,
        batch_size=50,
        validation=(X_val, y_val),
        seed=0,
        progress=False,
    )
    assert history.status == "completed" and history.epochs == 4
    assert history.steps == 4 * 3  # 120 = 50 + 50 + 20
    np.testing.assert_array_equal(history.epoch_steps, [3, 6, 9, 12])
    for name in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "grad_norm"):
        assert getattr(history, name).shape == (4,)
    assert np.all(np.diff(history.step_seconds) >= 0)
    assert history.seconds[-1] == history.step_seconds[-1]
    # per-epoch numbers are measured on the whole sets with the final weights
    assert history.val_loss[-1] == pytest.approx(evaluate(model, X_val, y_val)[0])
    assert history.train_accuracy[-1] == evaluate(model, X, y)[1]
    assert history.best_epoch == int(np.argmin(history.val_loss)) + 1
    assert_all_finite(history)


def test_fit_learns_and_is_reproducible_from_the_seed(classes):
    X, y, X_val, y_val = classes

    def run(seed):
        model = mlp([2, 16, 3], seed=0)
        history = fit(model, X, y, lr=0.2, epochs=15, batch_size=16, seed=seed, progress=False)
        return model, history

    (m1, h1), (m2, h2), (m3, _) = run(3), run(3), run(4)
    np.testing.assert_array_equal(h1.step_loss, h2.step_loss)
    np.testing.assert_array_equal(m1.params[0], m2.params[0])
    assert h1.train_loss[-1] < 0.5 * h1.train_loss[0] and h1.train_accuracy[-1] > 0.9
    assert not np.array_equal(m1.params[0], m3.params[0])  # another order, another path


def test_fit_trains_a_regression_with_mse_and_reports_no_accuracy():
    data = linear_regression(n=200, seed=0)
    model = Linear(2, 1, init="zeros")
    history = fit(
        model,
        data.X,
        data.y[:, None],
        loss=mse,
        lr=0.1,
        epochs=20,
        batch_size=20,
        seed=0,
        progress=False,
    )
    assert history.train_accuracy.size == 0
    np.testing.assert_allclose(model.W.ravel(), data.theta_star, atol=0.05)
    # mse is the mean of squares, twice the chapter's J = (1/2n)||X theta - y||^2
    assert history.train_loss[-1] / 2 == pytest.approx(data.min_loss, rel=0.05)


# --- fit: early stopping ---------------------------------------------------------------------


def scripted_validation(curve, model, n_val):
    """A loss that behaves like cross-entropy, except on the validation set (recognised by its
    size), where it returns the next value of ``curve`` and snapshots the model's weights."""
    snapshots = []

    def loss(outputs, targets):
        if len(outputs) == n_val:
            snapshots.append([p.copy() for p in model.params])
            return curve[len(snapshots) - 1], np.zeros_like(outputs)
        return softmax_cross_entropy(outputs, targets)

    return loss, snapshots


def test_early_stopping_stops_after_patience_and_restores_the_best_weights(classes):
    X, y, _, _ = classes
    X_val, y_val = X[:7], y[:7]  # 7 rows: no training batch or set has that size
    curve = [1.0, 0.8, 0.5, 0.6, 0.55, 0.7, 0.9, 0.3, 0.2]  # best 0.5 at epoch 3
    model = mlp([2, 8, 3], seed=0)
    loss, snapshots = scripted_validation(curve, model, 7)
    history = fit(
        model,
        X,
        y,
        loss=loss,
        lr=0.1,
        epochs=9,
        batch_size=32,
        validation=(X_val, y_val),
        patience=3,
        seed=0,
        progress=False,
    )
    assert history.status == "early_stopped"
    assert history.epochs == 6 and history.best_epoch == 3 and history.best_val_loss == 0.5
    np.testing.assert_array_equal(history.val_loss, curve[:6])
    assert "restored the weights of epoch 3" in history.message
    for p, best, last in zip(model.params, snapshots[2], snapshots[5], strict=True):
        np.testing.assert_array_equal(p, best)  # the weights epoch 3 was validated with
        assert not np.array_equal(p, last)


def test_min_delta_decides_what_counts_as_an_improvement(classes):
    X, y, _, _ = classes
    curve = [1.0, 0.85, 0.75, 0.7, 0.9, 0.9]
    model = mlp([2, 8, 3], seed=0)
    loss, snapshots = scripted_validation(curve, model, 7)
    history = fit(
        model,
        X,
        y,
        loss=loss,
        lr=0.1,
        epochs=6,
        batch_size=32,
        validation=(X[:7], y[:7]),
        patience=2,
        min_delta=0.2,
        seed=0,
        progress=False,
    )
    # 0.85 is not 0.2 below 1.0; 0.75 is; 0.7 and 0.9 are not 0.2 below 0.75
    assert history.best_epoch == 3 and history.epochs == 5
    for p, best in zip(model.params, snapshots[2], strict=True):
        np.testing.assert_array_equal(p, best)


def test_the_best_weights_are_restored_even_when_every_epoch_ran(classes):
    X, y, _, _ = classes
    model = mlp([2, 8, 3], seed=0)
    loss, snapshots = scripted_validation([0.9, 0.4, 0.6, 0.7], model, 7)
    history = fit(
        model,
        X,
        y,
        loss=loss,
        lr=0.1,
        epochs=4,
        batch_size=32,
        validation=(X[:7], y[:7]),
        patience=5,
        seed=0,
        progress=False,
    )
    assert history.status == "completed" and history.best_epoch == 2
    for p, best in zip(model.params, snapshots[1], strict=True):
        np.testing.assert_array_equal(p, best)


def test_without_early_stopping_or_with_restore_off_the_final_weights_stay(classes):
    X, y, _, _ = classes
    for kwargs in ({}, {"patience": 2, "restore_best": False}):
        model = mlp([2, 8, 3], seed=0)
        loss, snapshots = scripted_validation([0.5, 0.9, 0.9, 0.9], model, 7)
        history = fit(
            model,
            X,
            y,
            loss=loss,
            lr=0.1,
            epochs=4,
            batch_size=32,
            validation=(X[:7], y[:7]),
            seed=0,
            progress=False,
            **kwargs,
        )
        assert history.best_epoch == 1
        last = snapshots[-1]
        for p, q in zip(model.params, last, strict=True):
            np.testing.assert_array_equal(p, q)


# --- fit: divergence -------------------------------------------------------------------------


@pytest.mark.parametrize("lr", [1e3, 1e8, 1e30])
def test_a_huge_learning_rate_diverges_calmly(classes, lr):
    X, y, X_val, y_val = classes
    model = mlp([2, 16, 3], seed=0)
    start = [p.copy() for p in model.params]
    history = fit(
        model,
        X,
        y,
        lr=lr,
        epochs=20,
        batch_size=16,
        validation=(X_val, y_val),
        seed=0,
        progress=False,
    )  # no exception
    assert history.status == "diverged" and history.diverged
    assert "blew up" in history.message and "smaller learning rate" in history.message
    assert_all_finite(history)
    assert history.epochs < 20
    for p in model.params:
        assert np.all(np.isfinite(p))
    if history.epochs == 0:  # it blew up in the first epoch: back to the initial weights
        for p, q in zip(model.params, start, strict=True):
            np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("seed", range(3))
def test_an_overflow_inside_the_network_is_reported_as_divergence(classes, seed):
    # A hidden layer's pre-activations overflow to -inf before the outputs stop being finite
    # (ReLU turns -inf into 0). That is the run diverging, not the user's bad input to a layer.
    X, y, _, _ = classes
    history = fit(
        mlp([2, 16, 16, 3], seed=seed), X * 1e3, y, lr=1e150, epochs=3, seed=seed, progress=False
    )
    assert history.diverged and "blew up" in history.message
    assert_all_finite(history)


def test_divergence_is_also_detected_when_the_loss_explodes_but_stays_finite():
    data = linear_regression(n=100, seed=0)
    model = Linear(2, 1, init="zeros")
    history = fit(
        model,
        data.X,
        data.y[:, None],
        loss=mse,
        lr=2.5,
        epochs=200,
        batch_size=100,
        blowup=1e3,
        progress=False,
    )
    assert history.diverged
    assert_all_finite(history)
    assert history.step_loss.max() <= history.step_loss[0] + 1e3 * (1 + history.step_loss[0])


# --- fit: optimizers and arguments -----------------------------------------------------------


def test_fit_takes_an_optimizer_instance_or_factory_with_the_same_result(classes):
    X, y, _, _ = classes
    results = []
    for make in ("lr", "factory", "instance"):
        model = mlp([2, 8, 3], seed=0)
        if make == "lr":
            fit(model, X, y, lr=0.1, epochs=3, seed=0, progress=False)
        elif make == "factory":
            fit(
                model,
                X,
                y,
                optimizer=functools.partial(SGD, lr=0.1),
                epochs=3,
                seed=0,
                progress=False,
            )
        else:
            fit(model, X, y, optimizer=SGD(model.params, lr=0.1), epochs=3, seed=0, progress=False)
        results.append(model.params)
    for a, b, c in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_fit_accepts_any_object_with_a_step_method(classes):
    X, y, _, _ = classes
    model = mlp([2, 8, 3], seed=0)

    class SignDescent:  # duck typing: nothing but step(grads)
        def __init__(self, params):
            self.params, self.calls = params, 0

        def step(self, grads):
            self.calls += 1
            for p, g in zip(self.params, grads, strict=True):
                p -= 0.01 * np.sign(g)

    opt = SignDescent(model.params)
    history = fit(model, X, y, optimizer=opt, epochs=2, batch_size=40, progress=False)
    assert opt.calls == history.steps == 6
    momentum = fit(
        mlp([2, 8, 3], seed=0),
        X,
        y,
        optimizer=lambda p: SGD(p, lr=0.05, momentum=0.9),
        epochs=5,
        progress=False,
        seed=0,
    )
    assert momentum.train_loss[-1] < momentum.train_loss[0]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, TypeError, "needs a learning rate"),
        (
            {"lr": 0.1, "optimizer": functools.partial(SGD, lr=0.1)},
            TypeError,
            "not both|not to fit",
        ),
        ({"optimizer": 42}, TypeError, "step"),
        ({"optimizer": SGD([np.zeros(2)], lr=0.1)}, ValueError, "other arrays"),
        ({"lr": 0.1, "patience": 3}, ValueError, "needs validation"),
        ({"lr": -1.0}, ValueError, "lr"),
        ({"lr": 0.1, "l2": -1.0}, ValueError, "l2"),
        ({"lr": 0.1, "epochs": 0}, ValueError, "epochs"),
        ({"lr": 0.1, "batch_size": 0}, ValueError, "batch_size"),
    ],
)
def test_fit_explains_inconsistent_arguments(classes, kwargs, error, match):
    X, y, _, _ = classes
    with pytest.raises(error, match=match):
        fit(mlp([2, 4, 3], seed=0), X, y, progress=False, **kwargs)


# --- fit: learning-rate schedules ----------------------------------------------------------


def test_a_schedule_sets_the_rate_of_every_step_counted_over_the_whole_run(classes):
    X, y, _, _ = classes
    schedule = cosine(0.2, steps=40, min_lr=0.01)
    history = fit(
        mlp([2, 8, 3], seed=0),
        X,
        y,
        lr=0.2,
        schedule=schedule,
        epochs=5,
        batch_size=16,
        seed=0,
        progress=False,
    )
    assert history.steps == 5 * 8  # 120 examples: 8 batches per epoch
    np.testing.assert_allclose(history.step_lr, schedule(np.arange(history.steps)), rtol=1e-15)


def test_fit_with_a_schedule_is_the_loop_that_sets_the_rate_before_each_step(classes):
    X, y, _, _ = classes
    schedule = sequential([constant(0.3), step_decay(0.1, step_size=5, gamma=0.5)], [7])
    model = mlp([2, 8, 3], seed=0)
    history = fit(
        model,
        X,
        y,
        optimizer=functools.partial(Adam, lr=1.0, betas=(0.8, 0.9)),
        schedule=schedule,
        epochs=3,
        batch_size=40,
        seed=1,
        progress=False,
    )
    # the same by hand: same batches, set_lr(schedule(k)) before step k
    by_hand = mlp([2, 8, 3], seed=0)
    opt = Adam(by_hand.params, lr=1.0, betas=(0.8, 0.9))
    rng, k = np.random.default_rng(1), 0
    for _ in range(3):
        for X_batch, y_batch in minibatches(X, y, 40, seed=rng):
            _, grad_out = softmax_cross_entropy(by_hand.forward(X_batch), y_batch)
            by_hand.backward(grad_out)
            set_lr(opt, schedule(k))
            opt.step(by_hand.grads)
            k += 1
    assert history.steps == k == 9
    for a, b in zip(model.params, by_hand.params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_a_constant_schedule_changes_nothing_and_a_zero_rate_freezes_the_weights(classes):
    X, y, _, _ = classes
    runs = {}
    for name, schedule in (("plain", None), ("constant", constant(0.1))):
        model = mlp([2, 8, 3], seed=0)
        runs[name] = (
            fit(model, X, y, lr=0.1, schedule=schedule, epochs=3, seed=0, progress=False),
            model,
        )
    np.testing.assert_array_equal(runs["plain"][0].step_loss, runs["constant"][0].step_loss)
    np.testing.assert_array_equal(runs["plain"][1].params[0], runs["constant"][1].params[0])
    np.testing.assert_array_equal(runs["plain"][0].step_lr, np.full(12, 0.1))
    # a rate of 0 after the first epoch (4 steps of 32): the weights stop moving
    frozen = fit(
        mlp([2, 8, 3], seed=0),
        X,
        y,
        lr=0.1,
        schedule=sequential([constant(0.1), constant(0.0)], [4]),
        epochs=3,
        seed=0,
        progress=False,
    )
    assert frozen.train_loss[0] == frozen.train_loss[1] == frozen.train_loss[2]
    assert frozen.train_loss[0] == runs["plain"][0].train_loss[0]


def test_a_schedule_needs_a_function_and_an_optimizer_with_param_groups(classes):
    X, y, _, _ = classes
    with pytest.raises(TypeError, match="function of the step"):
        fit(mlp([2, 4, 3], seed=0), X, y, lr=0.1, schedule=0.1, progress=False)

    class Bare:
        def step(self, grads): ...

    with pytest.raises(TypeError, match="param_groups"):
        fit(mlp([2, 4, 3], seed=0), X, y, optimizer=Bare(), schedule=constant(0.1), progress=False)
    history = fit(mlp([2, 4, 3], seed=0), X, y, optimizer=Bare(), epochs=1, progress=False)
    assert history.steps == 4 and history.step_lr.size == 0  # no rate to record
    with pytest.raises(ValueError, match="lr"):  # a schedule that returns a negative rate
        fit(mlp([2, 4, 3], seed=0), X, y, lr=0.1, schedule=lambda t: -1.0, progress=False)


def test_fit_refuses_data_of_different_lengths(classes):
    X, y, _, _ = classes
    with pytest.raises(ValueError, match="same, non-zero number of rows"):
        fit(mlp([2, 4, 3], seed=0), X, y[:-1], lr=0.1, progress=False)


def test_the_progress_bar_can_be_shown_or_silenced(classes, capsys):
    X, y, _, _ = classes
    fit(mlp([2, 4, 3], seed=0), X, y, lr=0.1, epochs=2, progress=False)
    assert capsys.readouterr().err == ""
    fit(mlp([2, 4, 3], seed=0), X, y, lr=0.1, epochs=2, progress=None)  # short: no bar
    assert capsys.readouterr().err == ""
    fit(mlp([2, 4, 3], seed=0), X, y, lr=0.1, epochs=2, progress=True)
    assert "2/2" in capsys.readouterr().err


# --- the hinge loss and a linear SVM ---------------------------------------------------------


@settings(deadline=None, max_examples=40)
@given(n=st.integers(1, 8), seed=seeds)
def test_hinge_subgradient_matches_the_numerical_gradient_away_from_the_kink(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.choice([-1, 1], n)
    margins = rng.choice([-1.0, 1.0], n) * rng.uniform(0.1, 2.0, n) + 1.0  # y s != 1
    scores = labels * margins
    result = gradient_check(
        lambda s: hinge_loss(s, labels)[0], lambda s: hinge_loss(s, labels)[1], scores, h=1e-6
    )
    assert result.max_relative_error < 1e-7, str(result)


def test_hinge_loss_shapes_and_errors():
    loss, grad = hinge_loss(np.array([[0.5], [2.0]]), np.array([1, -1]))
    assert loss == pytest.approx((0.5 + 3.0) / 2) and grad.shape == (2, 1)
    np.testing.assert_allclose(grad.ravel(), [-0.5, 0.5])
    _, at_kink = hinge_loss(np.array([1.0]), np.array([1]))
    assert at_kink[0] == 0.0  # the subgradient chosen at y s = 1
    with pytest.raises(ValueError, match="2 \\* labels - 1"):
        hinge_loss(np.array([0.1, 0.2]), np.array([0, 1]))
    with pytest.raises(ValueError, match="one score per example"):
        hinge_loss(np.zeros((2, 3)), np.array([1, -1]))


def test_sgd_on_the_hinge_loss_trains_a_linear_svm():
    X, y = blobs(50, centers=[[-2.0, -1.0], [2.0, 1.0]], std=0.7, seed=0)
    labels = 2 * y - 1
    model = Linear(2, 1, init="zeros")
    history = fit(
        model,
        X,
        labels,
        loss=hinge_loss,
        lr=0.05,
        epochs=30,
        batch_size=10,
        l2=0.01,
        seed=0,
        progress=False,
    )
    assert history.train_accuracy[-1] == 1.0
    margins = labels * model.forward(X).ravel()
    assert margins.min() > 0.3  # every point on its side, with room to spare
