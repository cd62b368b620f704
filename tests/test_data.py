"""companion.data: mini-batches visit every example once per epoch, seeded data sets are
reproducible, splits are disjoint, standardization uses the training set only."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.data import (
    batch_indices,
    blobs,
    digits,
    linear_regression,
    minibatches,
    num_batches,
    standardize,
    train_val_test_split,
    two_moons,
)

seeds = st.integers(0, 2**32 - 1)


# --- mini-batches ----------------------------------------------------------------------------


@settings(deadline=None, max_examples=200)
@given(n=st.integers(1, 300), batch_size=st.integers(1, 320), seed=seeds, shuffle=st.booleans())
def test_every_example_is_visited_exactly_once_per_epoch_for_any_n_and_b(
    n, batch_size, seed, shuffle
):
    batches = list(batch_indices(n, batch_size, shuffle=shuffle, seed=seed))
    visited = np.concatenate(batches)
    assert np.array_equal(np.sort(visited), np.arange(n))  # each once: no repeats, none skipped
    assert len(batches) == num_batches(n, batch_size) == -(-n // batch_size)
    sizes = [len(b) for b in batches]
    assert all(size == batch_size for size in sizes[:-1])  # all full but possibly the last
    assert sizes[-1] == (n % batch_size or min(batch_size, n))


@settings(deadline=None, max_examples=100)
@given(n=st.integers(1, 200), batch_size=st.integers(1, 64), seed=seeds)
def test_minibatches_keep_each_example_with_its_target(n, batch_size, seed):
    X = np.arange(n, dtype=float)[:, None] * np.array([[1.0, -1.0]])
    y = np.arange(n)
    seen = []
    for xb, yb in minibatches(X, y, batch_size, seed=seed):
        np.testing.assert_array_equal(xb[:, 0], yb)  # row i of X still goes with y[i]
        seen.extend(yb.tolist())
    assert sorted(seen) == list(range(n))


def test_the_last_partial_batch_is_yielded_not_dropped():
    sizes = [len(xb) for xb, _ in minibatches(np.zeros((10, 1)), np.zeros(10), 4, seed=0)]
    assert sizes == [4, 4, 2]
    assert [len(b) for b in batch_indices(12, 4, seed=0)] == [4, 4, 4]  # no empty batch
    assert [len(b) for b in batch_indices(3, 100, seed=0)] == [3]  # B > n: one full batch


def test_without_shuffling_the_stored_order_is_kept():
    order = np.concatenate(list(batch_indices(7, 3, shuffle=False)))
    np.testing.assert_array_equal(order, np.arange(7))


def test_the_same_seed_gives_the_same_order_and_another_seed_another():
    first = np.concatenate(list(batch_indices(50, 8, seed=3)))
    again = np.concatenate(list(batch_indices(50, 8, seed=3)))
    other = np.concatenate(list(batch_indices(50, 8, seed=4)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_one_generator_gives_a_new_order_every_epoch_reproducibly():
    def three_epochs(seed):
        rng = np.random.default_rng(seed)
        return [np.concatenate(list(batch_indices(30, 7, seed=rng))) for _ in range(3)]

    a, b = three_epochs(0), three_epochs(0)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], a[1]) and not np.array_equal(a[1], a[2])


def test_batches_are_copies_so_changing_them_leaves_the_data_alone():
    X, y = np.arange(6.0).reshape(3, 2), np.arange(3)
    for xb, yb in minibatches(X, y, 2, shuffle=False):
        xb[...] = -1.0
        yb[...] = -1
    np.testing.assert_array_equal(X, np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(y, np.arange(3))


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((np.zeros((3, 1)), np.zeros(4), 2), ValueError, "3 rows and y with 4"),
        ((np.zeros((0, 1)), np.zeros(0), 2), ValueError, "empty"),
        ((np.zeros((3, 1)), np.zeros(3), 0), ValueError, "batch_size must be a positive"),
        ((np.zeros((3, 1)), np.zeros(3), 2.5), TypeError, "batch_size must be a positive"),
    ],
)
def test_bad_arguments_are_named(args, error, match):
    with pytest.raises(error, match=match):
        list(minibatches(*args))


# --- the synthetic sets ----------------------------------------------------------------------


def test_linear_regression_knows_its_optimum():
    data = linear_regression(n=300, theta_true=(1.0, -2.0, 0.5), correlation=0.3, seed=1)
    assert data.X.shape == (300, 3)
    np.testing.assert_allclose(data.gradient(data.theta_star, data.X, data.y), 0, atol=1e-12)
    assert data.loss(data.theta_star) == pytest.approx(data.min_loss)
    # the surface is the same loss, in closed form, anywhere
    theta = np.array([0.3, 0.1, -0.7])
    residual = data.X @ theta - data.y
    assert data.loss(theta) == pytest.approx(residual @ residual / 600)
    np.testing.assert_allclose(data.surface.grad(theta), data.gradient(theta, data.X, data.y))
    # per-example gradients average to the full gradient
    np.testing.assert_allclose(
        data.per_example_gradients(theta).mean(axis=0), data.gradient(theta, data.X, data.y)
    )
    np.testing.assert_allclose(data.theta_star, data.theta_true, atol=0.15)


def test_linear_regression_correlation_elongates_the_bowl():
    round_bowl = linear_regression(n=5000, correlation=0.0, seed=0).surface
    long_bowl = linear_regression(n=5000, correlation=0.8, seed=0).surface
    assert round_bowl.condition_number < 1.2
    assert long_bowl.condition_number == pytest.approx((1 + 0.8) / (1 - 0.8), rel=0.1)


@pytest.mark.parametrize(
    "make",
    [lambda s: two_moons(50, seed=s), lambda s: blobs(20, 3, seed=s)],
    ids=["moons", "blobs"],
)
def test_synthetic_sets_are_reproducible_from_the_seed(make):
    (X1, y1), (X2, y2), (X3, _) = make(5), make(5), make(6)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert y1.dtype == np.int64


def test_two_moons_and_blobs_have_the_promised_shapes():
    X, y = two_moons(101, noise=0.0, seed=0)
    assert X.shape == (101, 2) and np.bincount(y).tolist() == [51, 50]
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)  # clean outer moon: the unit circle
    X, y = blobs(10, centers=4, std=0.0)
    assert X.shape == (40, 2) and np.allclose(np.hypot(*X.T), 3.0)


# --- splits, standardization, digits ---------------------------------------------------------


def test_split_is_a_disjoint_cover_of_the_examples():
    X, y = np.arange(200.0).reshape(100, 2), np.arange(100)
    X_tr, y_tr, X_va, y_va, X_te, y_te = train_val_test_split(X, y, 0.15, 0.25, seed=2)
    assert (len(y_tr), len(y_va), len(y_te)) == (60, 15, 25)
    everything = np.concatenate([y_tr, y_va, y_te])
    assert sorted(everything.tolist()) == list(range(100))
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay with their labels
    again = train_val_test_split(X, y, 0.15, 0.25, seed=2)
    np.testing.assert_array_equal(again[1], y_tr)


@pytest.mark.parametrize(("val", "test"), [(0.5, 0.5), (-0.1, 0.2), (0.2, 1.0)])
def test_split_refuses_fractions_that_leave_nothing_to_train_on(val, test):
    with pytest.raises(ValueError, match="fraction"):
        train_val_test_split(np.zeros((10, 1)), np.zeros(10), val, test)


def test_standardize_uses_only_the_training_statistics():
    rng = np.random.default_rng(0)
    train, test = rng.normal(5, 3, (200, 3)), rng.normal(0, 1, (50, 3))
    train[:, 2] = 7.0  # a constant feature: centred, not divided by 0
    z_train, z_test, mean, scale = standardize(train, test)
    np.testing.assert_allclose(z_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z_train[:, :2].std(axis=0), 1)
    np.testing.assert_allclose(z_train[:, 2], 0)
    np.testing.assert_allclose(z_test, (test - mean) / scale)
    assert scale[2] == 1.0
    with pytest.raises(ValueError, match="3 columns"):
        standardize(train, np.zeros((2, 2)))


def test_digits_are_split_standardized_and_reproducible():
    data = digits(seed=0)
    sizes = (len(data.X_train), len(data.X_val), len(data.X_test))
    assert sum(sizes) == 1797 and data.X_train.shape[1] == 64
    assert sizes == (len(data.y_train), len(data.y_val), len(data.y_test))
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-12)
    assert set(np.unique(data.y_train)) == set(range(10))
    again = digits(seed=0)
    np.testing.assert_array_equal(again.X_test, data.X_test)
    other = digits(seed=1)
    assert not np.array_equal(other.y_test, data.y_test)
    assert digits(dtype=np.float32).X_train.dtype == np.float32
