"""companion.toy_data: the spirals are reproducible, balanced, and not linearly separable."""

from __future__ import annotations

import numpy as np
import pytest

from companion.toy_data import spirals


def test_shapes_dtypes_and_balanced_classes():
    x, labels = spirals(40, classes=4, seed=0)
    assert x.shape == (160, 2) and x.dtype == np.float64
    assert labels.shape == (160,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [40] * 4
    assert np.all(np.hypot(x[:, 0], x[:, 1]) <= 1.0 + 1e-12)


def test_the_same_seed_gives_the_same_points():
    a, b = spirals(30, seed=3), spirals(30, seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], spirals(30, seed=4)[0])


def test_without_noise_the_arms_are_rotated_copies():
    x, labels = spirals(25, classes=3, noise=0.0)
    arm0, arm1 = x[labels == 0][1:], x[labels == 1][1:]  # (the first point is the centre)
    np.testing.assert_allclose(np.hypot(*arm0.T), np.hypot(*arm1.T))
    turn = np.arctan2(arm1[:, 0], arm1[:, 1]) - np.arctan2(arm0[:, 0], arm0[:, 1])
    np.testing.assert_allclose(np.mod(turn, 2 * np.pi), 2 * np.pi / 3)


def test_a_linear_classifier_cannot_separate_them():
    x, labels = spirals(100, seed=0)
    features = np.column_stack([x, np.ones(len(x))])
    weights, *_ = np.linalg.lstsq(features, np.eye(3)[labels], rcond=None)
    accuracy = np.mean((features @ weights).argmax(axis=1) == labels)
    assert accuracy < 0.7


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 0}, ValueError, "n must be at least 1"),
        ({"n": 2.5}, TypeError, "n must be an integer"),
        ({"classes": 1}, ValueError, "classes must be at least 2"),
        ({"noise": -0.1}, ValueError, "noise must be a non-negative"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        spirals(**kwargs)
