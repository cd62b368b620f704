"""companion.losses against torch.nn.functional: the loss and its gradient, same reduction.

- ``softmax_cross_entropy`` is ``F.cross_entropy`` (the mean over the batch), and
  ``log_softmax``/``softmax`` are ``torch.log_softmax``/``torch.softmax`` over the classes;
- ``mse`` is ``F.mse_loss`` (the mean over *all* elements, not only over the batch);
- ``hinge_loss`` (labels ±1, one score per example) is twice ``F.multi_margin_loss`` on the
  two class scores ``(0, s)`` with the class ``(y + 1) / 2``: for two classes PyTorch's loss
  is ``max(0, 1 - y s) / 2``. At the kink, ``y s = 1``, both use the subgradient 0 (as does
  ``relu(1 - y s)``; ``clamp(1 - y s, min=0)`` would pass ``-y``).

Each loss's value and gradient agree with PyTorch's to 1e-10 in float64 and 1e-5 in float32.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from _torch_reference import TOLERANCE, assert_close, assert_same_dtype, tensor
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.losses import hinge_loss, log_softmax, mse, softmax, softmax_cross_entropy

DTYPES = [np.float64, np.float32]
SEEDS = st.integers(0, 2**32 - 1)
# Logits from nearly uniform to huge (where a naive softmax would overflow).
SCALES = st.sampled_from([1e-3, 1.0, 10.0, 1000.0])


def loss_and_grad(torch_loss, inputs: np.ndarray, *args):
    x = tensor(inputs, requires_grad=True)
    value = torch_loss(x, *args)
    value.backward()
    return value, x.grad


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=40, deadline=None)
@given(batch=st.integers(1, 20), classes=st.integers(1, 12), scale=SCALES, seed=SEEDS)
def test_softmax_cross_entropy_is_f_cross_entropy(batch, classes, scale, seed, dtype):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, scale, size=(batch, classes)).astype(dtype)
    labels = rng.integers(0, classes, size=batch)
    loss, grad = softmax_cross_entropy(logits, labels)
    loss_t, grad_t = loss_and_grad(F.cross_entropy, logits, torch.from_numpy(labels))
    tol, kind = TOLERANCE[np.dtype(dtype)], f"cross-entropy ({np.dtype(dtype)})"
    assert_same_dtype(grad, grad_t)
    # the loss to the size of its terms (the largest log-probability); the gradient to 1/B,
    # the size of each of its entries
    assert_close(loss, loss_t, tol, kind, scale=float(-log_softmax(logits).min()))
    assert_close(grad, grad_t, tol, kind, scale=1.0 / batch)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=30, deadline=None)
@given(batch=st.integers(1, 20), classes=st.integers(1, 12), scale=SCALES, seed=SEEDS)
def test_softmax_and_log_softmax_are_torchs_over_the_classes(batch, classes, scale, seed, dtype):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, scale, size=(batch, classes)).astype(dtype)
    tol, kind = TOLERANCE[np.dtype(dtype)], f"softmax ({np.dtype(dtype)})"
    expected = torch.log_softmax(tensor(logits), dim=1)
    assert_same_dtype(log_softmax(logits), expected)
    assert_close(log_softmax(logits), expected, tol, kind)
    assert_close(softmax(logits), torch.softmax(tensor(logits), dim=1), tol, kind)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 8), min_size=1, max_size=3).map(tuple),
    scale=SCALES,
    seed=SEEDS,
)
def test_mse_is_f_mse_loss_the_mean_over_all_elements(shape, scale, seed, dtype):
    rng = np.random.default_rng(seed)
    pred = rng.normal(0.0, scale, size=shape).astype(dtype)
    target = rng.normal(0.0, scale, size=shape).astype(dtype)
    loss, grad = mse(pred, target)
    loss_t, grad_t = loss_and_grad(F.mse_loss, pred, tensor(target))
    tol, kind = TOLERANCE[np.dtype(dtype)], f"mse ({np.dtype(dtype)})"
    assert_same_dtype(grad, grad_t)
    assert_close(loss, loss_t, tol, kind)
    assert_close(grad, grad_t, tol, kind)


def torch_hinge(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """companion's binary hinge loss, from PyTorch's multi-class margin loss."""
    flat = scores.reshape(-1)
    two_classes = torch.stack([torch.zeros_like(flat), flat], dim=1)  # the scores (0, s)
    return 2 * F.multi_margin_loss(two_classes, (labels + 1) // 2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("column", [False, True], ids=["shape (B,)", "shape (B, 1)"])
@settings(max_examples=30, deadline=None)
@given(batch=st.integers(1, 20), scale=st.sampled_from([0.1, 1.0, 5.0]), seed=SEEDS)
def test_hinge_loss_is_twice_f_multi_margin_loss_on_two_classes(batch, scale, seed, column, dtype):
    rng = np.random.default_rng(seed)
    labels = rng.choice([-1, 1], size=batch)
    scores = rng.normal(0.0, scale, size=batch)
    scores[rng.random(batch) < 0.2] = 1.0 * labels[0]  # some exactly at the kink, y s = 1
    scores = scores.astype(dtype).reshape((batch, 1) if column else (batch,))
    loss, grad = hinge_loss(scores, labels)
    loss_t, grad_t = loss_and_grad(torch_hinge, scores, torch.from_numpy(labels))
    tol, kind = TOLERANCE[np.dtype(dtype)], f"hinge ({np.dtype(dtype)})"
    assert_same_dtype(grad, grad_t)
    assert_close(loss, loss_t, tol, kind, scale=1.0)  # the loss to its margin, 1
    assert_close(grad, grad_t, tol, kind)


def test_hinge_subgradient_at_the_kink_is_zero_as_in_multi_margin_loss():
    scores, labels = np.array([1.0, -1.0, 0.5]), np.array([1, -1, 1])  # the first two: y s = 1
    _, grad = hinge_loss(scores, labels)
    _, grad_t = loss_and_grad(torch_hinge, scores, torch.from_numpy(labels))
    np.testing.assert_array_equal(grad, grad_t.numpy())
    np.testing.assert_array_equal(grad[:2], [0.0, 0.0])
