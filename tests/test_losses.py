"""companion.losses: gradient checks over random shapes, stability at ±1000, label checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.gradients import gradient_check
from companion.losses import log_softmax, mse, softmax, softmax_cross_entropy

TOLERANCE = 1e-6
seeds = st.integers(0, 2**32 - 1)


@settings(deadline=None)
@given(n=st.integers(1, 8), classes=st.integers(2, 6), seed=seeds)
def test_softmax_cross_entropy_gradient_matches_numerical_one(n, classes, seed):
    rng = np.random.default_rng(seed)
    logits, labels = rng.uniform(-2, 2, (n, classes)), rng.integers(0, classes, n)
    result = gradient_check(
        lambda z: softmax_cross_entropy(z, labels)[0],
        lambda z: softmax_cross_entropy(z, labels)[1],
        logits,
    )
    assert result.max_relative_error <= TOLERANCE, str(result)


@settings(deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple), seed=seeds)
def test_mse_gradient_matches_numerical_one(shape, seed):
    rng = np.random.default_rng(seed)
    pred = rng.uniform(-2, 2, shape)
    target = pred + rng.choice([-1, 1], shape) * rng.uniform(0.1, 1, shape)  # no zero residual
    result = gradient_check(lambda p: mse(p, target)[0], lambda p: mse(p, target)[1], pred)
    assert result.max_relative_error <= TOLERANCE, str(result)


def test_softmax_cross_entropy_is_the_mean_negative_log_probability():
    logits = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    labels = np.array([1, 0])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss, dlogits = softmax_cross_entropy(logits, labels)
    assert loss == pytest.approx(-np.mean(np.log(p[[0, 1], labels])), rel=1e-12)
    one_hot = np.eye(3)[labels]
    np.testing.assert_allclose(dlogits, (p - one_hot) / 2, rtol=1e-12)


def test_the_gradient_rows_sum_to_zero_and_carry_one_over_n():
    rng = np.random.default_rng(0)
    logits, labels = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    loss, dlogits = softmax_cross_entropy(logits, labels)
    np.testing.assert_allclose(dlogits.sum(axis=1), 0.0, atol=1e-15)
    # the mean over the batch: the same batch twice has the same loss, half the gradient rows
    loss2, dlogits2 = softmax_cross_entropy(np.vstack([logits, logits]), np.tile(labels, 2))
    assert loss2 == pytest.approx(loss)
    np.testing.assert_allclose(dlogits2[:5], dlogits / 2)


@pytest.mark.parametrize("big", [1000.0, -1000.0])
def test_softmax_cross_entropy_is_stable_at_plus_minus_1000(big):
    logits = np.array([[big, 0.0, -big], [big, big, big], [-big, big, 0.0]])
    labels = np.array([0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no divide-by-zero, no invalid value
        loss, dlogits = softmax_cross_entropy(logits, labels)
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits))
    shifted = softmax_cross_entropy(logits - big, labels)  # softmax ignores a shift per row
    assert loss == pytest.approx(shifted[0])
    np.testing.assert_allclose(dlogits, shifted[1], atol=1e-15)


def test_exact_values_at_extreme_logits():
    logits = np.array([[1000.0, -1000.0]])
    loss, dlogits = softmax_cross_entropy(logits, np.array([0]))
    assert loss == 0.0 and np.all(dlogits == 0.0)
    loss, dlogits = softmax_cross_entropy(logits, np.array([1]))
    assert loss == pytest.approx(2000.0)
    np.testing.assert_allclose(dlogits, [[1.0, -1.0]])


def test_softmax_and_log_softmax_are_distributions():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((4, 6)) * 300
    p = softmax(logits)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert np.all(p >= 0)
    np.testing.assert_allclose(np.exp(log_softmax(logits)), p)


def test_float32_keeps_its_dtype():
    logits = np.array([[1000.0, 0.0], [0.5, -0.5]], dtype=np.float32)
    loss, dlogits = softmax_cross_entropy(logits, np.array([1, 0]))
    assert dlogits.dtype == np.float32 and isinstance(loss, float)
    _, dpred = mse(np.ones(3, dtype=np.float32), np.zeros(3))
    assert dpred.dtype == np.float32


def test_mse_is_the_mean_over_all_elements():
    pred, target = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 2.0], [3.0, 2.0]])
    loss, dpred = mse(pred, target)
    assert loss == pytest.approx((1 + 0 + 0 + 4) / 4)
    np.testing.assert_allclose(dpred, [[0.5, 0.0], [0.0, 1.0]])


def test_labels_can_be_any_integer_dtype():
    logits = np.zeros((3, 4))
    for dtype in (np.int8, np.int32, np.int64, np.uint8):
        loss, _ = softmax_cross_entropy(logits, np.array([0, 3, 1], dtype=dtype))
        assert loss == pytest.approx(np.log(4))
    assert softmax_cross_entropy(logits, [0, 3, 1])[0] == pytest.approx(np.log(4))


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logits", "labels", "error", "match"),
    [
        (np.zeros((2, 3)), np.array([0.0, 1.0]), TypeError, "labels must be integer.*float64"),
        (np.zeros((2, 3)), np.array([True, False]), TypeError, "labels must be integer.*bool"),
        (np.zeros((2, 3)), np.array([0, 3]), ValueError, r"0 \.\. 2.*3 classes.*\[3\]"),
        (np.zeros((2, 3)), np.array([-1, 0]), ValueError, r"0 \.\. 2.*\[-1\]"),
        (np.zeros((2, 3)), np.array([[0], [1]]), ValueError, r"shape \(B,\) = \(2,\).*\(2, 1\)"),
        (np.zeros((2, 3)), np.array([0, 1, 2]), ValueError, r"\(2,\).*got \(3,\)"),
        (np.zeros(3), np.array([0]), ValueError, r"logits must have shape \(B, C\).*\(3,\)"),
        (np.array([[0.0, np.nan]]), np.array([0]), ValueError, "logits must contain only finite"),
        (np.array([[0.0, np.inf]]), np.array([0]), ValueError, "logits must contain only finite"),
        (np.zeros((2, 3), dtype=int), np.array([0, 1]), TypeError, "logits must have a floating"),
    ],
)
def test_bad_logits_and_labels_get_a_clear_error(logits, labels, error, match):
    with pytest.raises(error, match=match):
        softmax_cross_entropy(logits, labels)


def test_mse_names_both_shapes_on_a_mismatch():
    with pytest.raises(ValueError, match=r"pred \(3, 1\) and target \(3,\)"):
        mse(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="pred must contain only finite"):
        mse(np.array([np.nan]), np.zeros(1))
    with pytest.raises(ValueError, match="empty"):
        mse(np.zeros(0), np.zeros(0))
