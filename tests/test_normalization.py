"""companion.normalization: gradient checks, the standardization property, train/eval, fit."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.layers import Linear, ReLU, Sequential, check_layer
from companion.normalization import BatchNorm1d, LayerNorm
from companion.optim import SGD
from companion.training import fit

SEEDS = st.integers(0, 2**32 - 1)


def randomized(layer, rng):
    layer.weight[...] = rng.normal(size=layer.weight.shape)
    layer.bias[...] = rng.normal(size=layer.bias.shape)
    return layer


@pytest.mark.parametrize("make", [lambda: BatchNorm1d(4), lambda: LayerNorm(4)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_passes_the_gradient_check(make, seed):
    rng = np.random.default_rng(seed)
    layer = randomized(make(), rng)
    results = check_layer(layer, rng.normal(2.0, 3.0, size=(6, 4)), seed=seed)
    assert {name: r.verdict for name, r in results.items()} == {
        "x": "correct",
        "weight": "correct",
        "bias": "correct",
    }


def test_batchnorm_backward_in_eval_mode_passes_the_gradient_check():
    rng = np.random.default_rng(3)
    layer = randomized(BatchNorm1d(3), rng)
    layer.forward(rng.normal(1.0, 2.0, size=(10, 3)))  # move the running statistics
    layer.eval()
    results = check_layer(layer, rng.normal(size=(5, 3)), seed=0)
    assert all(r.verdict == "correct" for r in results.values())


@settings(max_examples=40, deadline=None)
@given(
    batch=st.integers(2, 40),
    features=st.integers(1, 10),
    loc=st.floats(-100, 100),
    scale=st.floats(0.1, 100),
    seed=SEEDS,
)
def test_batchnorm_in_training_gives_each_feature_mean_0_and_variance_1(
    batch, features, loc, scale, seed
):
    x = np.random.default_rng(seed).normal(loc, scale, size=(batch, features))
    y = BatchNorm1d(features, eps=1e-12).forward(x)
    spread = x.var(axis=0)
    assert np.allclose(y.mean(axis=0), 0.0, atol=1e-8)
    ok = spread > 1e-6 * (1 + np.abs(x).max()) ** 2  # a feature that is (nearly) constant is 0
    assert np.allclose(y.var(axis=0)[ok], 1.0, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(batch=st.integers(1, 10), features=st.integers(2, 10), seed=SEEDS)
def test_layernorm_gives_each_example_mean_0_and_variance_1(batch, features, seed):
    x = np.random.default_rng(seed).normal(5.0, 3.0, size=(batch, features))
    y = LayerNorm(features, eps=1e-12).forward(x)
    assert np.allclose(y.mean(axis=1), 0.0, atol=1e-8)
    assert np.allclose(y.var(axis=1), 1.0, atol=1e-6)


def test_eval_uses_the_running_statistics_and_does_not_update_them():
    rng = np.random.default_rng(0)
    bn = BatchNorm1d(2, momentum=1.0)  # the running stats become the last batch's
    x = rng.normal([3.0, -1.0], [2.0, 0.5], size=(50, 2))
    bn.forward(x)
    np.testing.assert_allclose(bn.running_mean, x.mean(axis=0))
    np.testing.assert_allclose(bn.running_var, x.var(axis=0, ddof=1))
    saved = bn.running_mean.copy(), bn.running_var.copy(), bn.num_batches_tracked
    bn.eval()
    one = bn.forward(x[:1])  # one example: fine in eval, and independent of its batch
    np.testing.assert_allclose(one, bn.forward(x)[:1])
    np.testing.assert_array_equal(bn.running_mean, saved[0])
    assert bn.num_batches_tracked == saved[2]


def test_train_and_eval_reach_every_layer_of_a_sequential():
    model = Sequential(Linear(3, 4, seed=0), BatchNorm1d(4), ReLU(), Linear(4, 2, seed=1))
    assert model.eval() is model and not any(layer.training for layer in model.layers)
    model.train()
    assert all(layer.training for layer in model.layers)
    assert model.param_names == ("0.W", "0.b", "1.weight", "1.bias", "3.W", "3.b")


@pytest.mark.parametrize("norm", [BatchNorm1d, LayerNorm])
def test_a_network_with_normalization_trains_with_fit(norm):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = Sequential(Linear(4, 16, seed=0), norm(16), ReLU(), Linear(16, 2, seed=1))
    history = fit(model, X, y, optimizer=functools.partial(SGD, lr=0.1), epochs=10, seed=0)
    assert history.status == "completed"
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]


def test_float32_stays_float32():
    for layer in (BatchNorm1d(3, dtype=np.float32), LayerNorm(3, dtype=np.float32)):
        y = layer.forward(np.ones((4, 3), dtype=np.float32) * np.arange(3, dtype=np.float32))
        assert y.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32
        assert all(g.dtype == np.float32 for g in layer.grads)


@pytest.mark.parametrize(
    ("make", "x", "message"),
    [
        (lambda: BatchNorm1d(3), np.zeros((4, 2)), r"shape \(B, 3\)"),
        (lambda: BatchNorm1d(3), np.zeros(3), r"shape \(B, 3\)"),
        (lambda: LayerNorm(3), np.zeros((4, 2)), "got \\(4, 2\\)"),
        (lambda: BatchNorm1d(3), np.full((4, 3), np.nan), "finite"),
    ],
)
def test_bad_input_is_refused_with_its_shape(make, x, message):
    with pytest.raises(ValueError, match=message):
        make().forward(x)


@pytest.mark.parametrize(
    "make",
    [
        lambda: BatchNorm1d(0),
        lambda: BatchNorm1d(3, eps=0.0),
        lambda: BatchNorm1d(3, momentum=1.5),
        lambda: LayerNorm(()),
        lambda: LayerNorm(3, eps=-1.0),
    ],
)
def test_bad_hyperparameters_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_a_residual_block_passes_the_gradient_check_and_adds_its_input():
    from companion.normalization import Residual

    block = Residual(LayerNorm(4), Linear(4, 4, seed=0), ReLU(), Linear(4, 4, seed=1))
    x = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_allclose(block.forward(x) - x, block.inner.forward(x))
    results = check_layer(block, x, seed=0)
    assert all(r.verdict == "correct" for r in results.values()), results
    assert block.eval() is block and not block.inner.layers[0].training


def test_fit_evaluates_in_eval_mode_and_leaves_the_model_training():
    """BatchNorm's running statistics see only training batches; the validation data neither
    move them nor are standardized by their own statistics."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(120, 4)), rng.integers(0, 2, 120)
    X_val, y_val = rng.normal(5.0, 3.0, size=(40, 4)), rng.integers(0, 2, 40)  # shifted
    model = Sequential(Linear(4, 8, seed=0), BatchNorm1d(8), ReLU(), Linear(8, 2, seed=1))
    history = fit(model, X, y, lr=0.05, epochs=2, batch_size=40, validation=(X_val, y_val), seed=0)
    bn = model.layers[1]
    assert model.training and bn.training
    assert bn.num_batches_tracked == 2 * 3  # three training batches per epoch, nothing else
    model.eval()
    from companion.losses import softmax_cross_entropy

    val_loss, _ = softmax_cross_entropy(model.forward(X_val), y_val)
    assert history.val_loss[-1] == pytest.approx(val_loss)
