"""Chapter 9 against PyTorch: normalization layers, gradient clipping and the newer optimizers.

The normalization layers get the same weight, bias and input as ``torch.nn.BatchNorm1d`` /
``torch.nn.LayerNorm``; output, dJ/dx, dJ/dweight, dJ/dbias and (BatchNorm) the running
statistics must agree — to 1e-10 in float64, 1e-5 in float32 — over several training batches
and then in eval mode. Clipping is compared with ``torch.nn.utils.clip_grad_norm_`` and
``clip_grad_value_`` for the 2-, 1- and inf-norms, with gradients that are clipped and some
that are not.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _torch_reference import TOLERANCE, assert_close, assert_same_dtype, tensor
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.clipping import clip_grad_norm, clip_grad_value
from companion.normalization import BatchNorm1d, LayerNorm

SEEDS = st.integers(0, 2**32 - 1)
DTYPES = [np.float64, np.float32]


def twin_of(layer, dtype):
    if isinstance(layer, BatchNorm1d):
        twin = torch.nn.BatchNorm1d(
            layer.num_features, eps=layer.eps, momentum=layer.momentum, dtype=dtype
        )
    else:
        twin = torch.nn.LayerNorm(layer.normalized_shape, eps=layer.eps, dtype=dtype)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.weight.copy()))
        twin.bias.copy_(torch.from_numpy(layer.bias.copy()))
    return twin


def compare_step(layer, twin, x, upstream, kind):
    tol = TOLERANCE[x.dtype]
    out = layer.forward(x)
    grad_x = layer.backward(upstream)
    x_t = tensor(x, requires_grad=True)
    for p in twin.parameters():
        p.grad = None
    out_t = twin(x_t)
    out_t.backward(tensor(upstream))
    assert_same_dtype(out, out_t)
    assert_same_dtype(grad_x, x_t.grad)
    # Each result relative to the size of the terms it is made of: x - mean cancels when the
    # spread is tiny next to |x| (one feature, a large mean), and the rounding of the mean is
    # then divided by sqrt(var + eps) in either library.
    inv_std = float(layer._cache[1].max())
    x_hat = max(1.0, float(np.abs(x).max()) * inv_std)  # |x - mean| / std, rounding included
    w, up = float(np.abs(layer.weight).max()), float(np.abs(upstream).max())
    assert_close(out, out_t, tol, kind, scale=x_hat * w + float(np.abs(layer.bias).max()))
    assert_close(grad_x, x_t.grad, tol, kind, scale=inv_std * up * w * x_hat**2)
    total = float(np.abs(upstream).sum())
    assert_close(layer.grads[0], twin.weight.grad, tol, kind, scale=total * x_hat)
    assert_close(layer.grads[1], twin.bias.grad, tol, kind, scale=total)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=20, deadline=None)
@given(
    batch=st.integers(2, 32),
    features=st.integers(1, 12),
    momentum=st.sampled_from([0.1, 0.5, 1.0, 0.0]),
    scale=st.sampled_from([1e-2, 1.0, 30.0]),
    seed=SEEDS,
)
def test_batchnorm1d_matches_torch_in_training_and_eval(
    batch, features, momentum, scale, dtype, seed
):
    rng = np.random.default_rng(seed)
    layer = BatchNorm1d(features, momentum=momentum, dtype=dtype)
    layer.weight[...] = rng.normal(size=features)
    layer.bias[...] = rng.normal(size=features)
    twin = twin_of(layer, torch.float64 if dtype == np.float64 else torch.float32)
    kind = f"BatchNorm1d ({np.dtype(dtype)})"
    tol = TOLERANCE[np.dtype(dtype)]
    for _ in range(3):  # three training batches: the running statistics move
        x = (rng.normal(rng.normal(size=features), scale, size=(batch, features))).astype(dtype)
        compare_step(layer, twin, x, rng.normal(size=x.shape).astype(dtype), kind)
        assert_close(
            layer.running_mean, twin.running_mean, tol, kind + " running stats", scale=scale
        )
        assert_close(layer.running_var, twin.running_var, tol, kind + " running stats")
        assert layer.num_batches_tracked == int(twin.num_batches_tracked)
    layer.eval()
    twin.eval()
    x = rng.normal(size=(batch, features)).astype(dtype)
    compare_step(layer, twin, x, rng.normal(size=x.shape).astype(dtype), kind + " eval")
    layer.train()
    assert layer.training


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=20, deadline=None)
@given(
    lead=st.lists(st.integers(1, 6), min_size=1, max_size=2),
    shape=st.lists(st.integers(1, 8), min_size=1, max_size=2),
    scale=st.sampled_from([1e-2, 1.0, 30.0]),
    seed=SEEDS,
)
def test_layernorm_matches_torch(lead, shape, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    layer = LayerNorm(tuple(shape), dtype=dtype)
    layer.weight[...] = rng.normal(size=shape)
    layer.bias[...] = rng.normal(size=shape)
    twin = twin_of(layer, torch.float64 if dtype == np.float64 else torch.float32)
    x = rng.normal(0.0, scale, size=(*lead, *shape)).astype(dtype)
    compare_step(
        layer, twin, x, rng.normal(size=x.shape).astype(dtype), f"LayerNorm ({np.dtype(dtype)})"
    )


def test_batchnorm_refuses_one_example_in_training_as_torch_does():
    with pytest.raises(ValueError, match="more than 1"):
        torch.nn.BatchNorm1d(3)(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="more than 1 example"):
        BatchNorm1d(3).forward(np.zeros((1, 3)))
    assert BatchNorm1d(3).eval().forward(np.zeros((1, 3))).shape == (1, 3)


def test_the_defaults_are_torchs():
    bn, bn_t = BatchNorm1d(4), torch.nn.BatchNorm1d(4)
    assert (bn.eps, bn.momentum, bn.training) == (bn_t.eps, bn_t.momentum, bn_t.training)
    ln, ln_t = LayerNorm(4), torch.nn.LayerNorm(4)
    assert (ln.eps, ln.normalized_shape, ln.training) == (ln_t.eps, ln_t.normalized_shape, True)
    for ours, theirs in ((bn, bn_t), (ln, ln_t)):
        np.testing.assert_array_equal(ours.weight, theirs.weight.detach().numpy())
        np.testing.assert_array_equal(ours.bias, theirs.bias.detach().numpy())


# --- clipping -----------------------------------------------------------------------------

NORMS = [2.0, 1.0, math.inf, 3.0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_type", NORMS)
@settings(max_examples=25, deadline=None)
@given(
    shapes=st.lists(st.lists(st.integers(1, 5), min_size=1, max_size=2), min_size=1, max_size=4),
    size=st.sampled_from([1e-3, 1.0, 1e3]),
    max_norm=st.sampled_from([0.01, 1.0, 100.0]),
    seed=SEEDS,
)
def test_clip_grad_norm_matches_torch(shapes, size, max_norm, norm_type, dtype, seed):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(0.0, size, s).astype(dtype) for s in shapes]
    params = [
        torch.zeros(
            s, dtype=torch.float64 if dtype == np.float64 else torch.float32, requires_grad=True
        )
        for s in shapes
    ]
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.from_numpy(g.copy())
    expected = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    norm = clip_grad_norm(grads, max_norm, norm_type=norm_type)
    tol = TOLERANCE[np.dtype(dtype)]
    kind = f"clip_grad_norm ({np.dtype(dtype)})"
    assert_close(norm, expected, tol, kind)
    for g, p in zip(grads, params, strict=True):
        assert g.dtype == dtype
        assert_close(g, p.grad, tol, kind, scale=max(q.grad.abs().max().item() for q in params))


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_grad_value_matches_torch(dtype):
    rng = np.random.default_rng(0)
    grads = [rng.normal(0.0, 3.0, s).astype(dtype) for s in [(4, 3), (7,)]]
    params = [
        torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype, requires_grad=True) for g in grads
    ]
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.from_numpy(g.copy())
    torch.nn.utils.clip_grad_value_(params, 1.5)
    clip_grad_value(grads, 1.5)
    for g, p in zip(grads, params, strict=True):
        np.testing.assert_array_equal(g, p.grad.numpy())
    assert max(float(np.abs(g).max()) for g in grads) == 1.5
