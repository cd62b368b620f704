"""companion.layers against torch.nn: outputs and every gradient, random shapes and inputs.

Each companion layer gets the same parameters as its torch.nn twin (``nn.Linear`` stores the
transpose: ``weight = W.T``), the same input and the same upstream gradient dJ/dy; then the
output, dJ/dx and every parameter's gradient must agree — to 1e-10 in float64, to 1e-5 in
float32 — and have the same dtype. Inputs range from 1e-3 to 30 in size (where tanh and
sigmoid saturate), with exact zeros (ReLU's kink).

Each result is compared relative to the size of the terms it is made of (``term_sizes``):
what rounding allows for, in either library, when a sum cancels.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _torch_reference import (
    TOLERANCE,
    TWINS,
    assert_close,
    assert_close_each,
    assert_same_dtype,
    tensor,
    torch_twin,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from companion.layers import Linear, ReLU, Sequential, Sigmoid, Tanh, mlp

SEEDS = st.integers(0, 2**32 - 1)
# Inputs from tiny to saturating (a tanh of 30 is 1 to the last bit), with exact zeros.
SCALES = st.sampled_from([1e-3, 1.0, 3.0, 30.0])


def random_input(rng, shape, scale, dtype):
    x = rng.normal(0.0, scale, size=shape)
    x[rng.random(shape) < 0.1] = 0.0  # ReLU's kink, where both pass no gradient
    return x.astype(dtype)


def torch_grads(twin: nn.Module) -> list[torch.Tensor]:
    """The twin's parameter gradients in companion's order and layout ([dW, db, ...])."""
    grads = []
    for module in twin.modules():
        if isinstance(module, nn.Linear):
            grads += [module.weight.grad.T, module.bias.grad]
    return grads


# The largest derivative of each activation: how much it can scale a rounding error.
SLOPE = {ReLU: 1.0, Tanh: 1.0, Sigmoid: 0.25}


def term_sizes(layer, x, upstream) -> tuple[float, float, list[float]]:
    """The sizes of the terms that make up the output, the input gradient and each parameter
    gradient: the |A| |B| of every product A B along the way, with an activation's
    derivative replaced by the largest it can be.

    A result is computed to about one rounding error of these sizes, by either library: a
    sum that cancels (a float32 tanh that saturates, a unit whose gradient is nearly 0) can
    differ relative to itself by much more than the tolerance. Runs the forward pass.
    """
    layers = layer.layers if isinstance(layer, Sequential) else [layer]
    inputs, a, size = [], x, np.abs(x.astype(np.float64))
    for each in layers:  # forward: each layer's input, and a bound on the output's terms
        inputs.append(np.abs(a.astype(np.float64)))
        a = each.forward(a)
        if isinstance(each, Linear):
            size = size @ np.abs(each.W) + np.abs(each.b)
        else:  # rounding the output, plus the input's rounding passed on
            size = size * SLOPE[type(each)] + np.abs(a)
    grads, back = [], np.abs(upstream.astype(np.float64))
    for each, a in zip(reversed(layers), reversed(inputs), strict=True):  # backward
        if isinstance(each, Linear):
            grads = [float((a.T @ back).max()), float(back.sum(axis=0).max()), *grads]
            back = back @ np.abs(each.W.T)
        else:
            back = back * SLOPE[type(each)]
    return float(size.max()), float(back.max()), grads


def compare(layer, x, upstream, label):
    """Forward and backward through both; compare output, input gradient, parameter grads."""
    tol = TOLERANCE[x.dtype]
    kind = f"{label} ({x.dtype})"
    out_size, grad_x_size, grad_sizes = term_sizes(layer, x, upstream)
    out = layer.forward(x)
    grad_x = layer.backward(upstream)

    twin = torch_twin(layer)
    x_t = tensor(x, requires_grad=True)
    out_t = twin(x_t)
    out_t.backward(tensor(upstream))

    assert_same_dtype(out, out_t)
    assert_same_dtype(grad_x, x_t.grad)
    assert_close(out, out_t, tol, kind, scale=out_size)
    assert_close(grad_x, x_t.grad, tol, kind, scale=grad_x_size)
    expected = torch_grads(twin)
    assert len(layer.grads) == len(expected) == len(grad_sizes)
    for grad, grad_t, size in zip(layer.grads, expected, grad_sizes, strict=True):
        assert_same_dtype(grad, grad_t)
        assert_close(grad, grad_t, tol, kind, scale=size)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=30, deadline=None)
@given(
    batch=st.integers(1, 16),
    fan_in=st.integers(1, 24),
    fan_out=st.integers(1, 24),
    scale=SCALES,
    seed=SEEDS,
)
def test_linear_matches_nn_linear(batch, fan_in, fan_out, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    layer = Linear(fan_in, fan_out, seed=rng, dtype=dtype)
    layer.b[...] = rng.normal(size=fan_out)  # a bias that is not 0, so that it is compared
    x = random_input(rng, (batch, fan_in), scale, dtype)
    upstream = rng.normal(size=(batch, fan_out)).astype(dtype)
    compare(layer, x, upstream, "Linear")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", list(TWINS), ids=lambda kind: kind.__name__)
@settings(max_examples=20, deadline=None)
@given(
    shape=st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple),
    scale=SCALES,
    seed=SEEDS,
)
def test_activations_match_their_torch_nn_modules(kind, shape, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    x = random_input(rng, shape, scale, dtype)
    upstream = rng.normal(size=shape).astype(dtype)
    compare(kind(), x, upstream, kind.__name__)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@settings(max_examples=15, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 16), min_size=2, max_size=5),
    init=st.sampled_from(["he", "xavier"]),
    batch=st.integers(1, 12),
    scale=SCALES,
    seed=SEEDS,
)
def test_mlp_matches_nn_sequential(sizes, activation, init, batch, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    model = mlp(sizes, activation=activation, init=init, seed=rng, dtype=dtype)
    for b in model.params[1::2]:
        b[...] = rng.normal(0.0, 0.5, size=b.shape)
    x = random_input(rng, (batch, sizes[0]), scale, dtype)
    upstream = rng.normal(size=(batch, sizes[-1])).astype(dtype)
    compare(model, x, upstream, "mlp")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_input_and_the_gradients_keep_their_dtype_through_a_deep_mlp(dtype):
    model = mlp([5, 7, 7, 7, 3], activation="tanh", seed=0, dtype=dtype)
    rng = np.random.default_rng(1)
    compare(model, random_input(rng, (4, 5), 1.0, dtype), np.ones((4, 3), dtype), "mlp")


def test_pinned_difference_linear_stores_the_transpose_and_starts_its_bias_at_zero():
    """Linear's docstring: W is (in, out) and y = x W + b, where nn.Linear keeps weight =
    W.T of shape (out, in); b starts at 0, nn.Linear's bias at random (uniform, like its
    weight), and W follows ``init`` (He by default) instead of nn.Linear's uniform."""
    ours = Linear(3, 5, seed=0)
    torch.manual_seed(0)
    theirs = nn.Linear(3, 5, dtype=torch.float64)
    assert ours.W.shape == (3, 5) and tuple(theirs.weight.shape) == (5, 3)
    assert np.all(ours.b == 0) and torch.all(theirs.bias != 0)
    bound = 1 / np.sqrt(3)  # nn.Linear: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias
    assert torch.all(theirs.weight.abs() <= bound) and torch.all(theirs.bias.abs() <= bound)
    assert "keeps the transpose, ``weight = W.T``" in " ".join(Linear.__doc__.split())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_keeps_every_digit_in_its_tails_as_torch_does(dtype):
    """Where sigmoid(x) is tiny (x = -80: 1.8e-35), each value and each derivative agrees
    with PyTorch's relative to itself, not only to the largest one."""
    x = np.linspace(-80.0, 80.0, 161).astype(dtype)
    layer, x_t = Sigmoid(), tensor(x, requires_grad=True)
    out_t = torch.sigmoid(x_t)
    out_t.backward(torch.ones_like(x_t))
    out, grad = layer.forward(x), layer.backward(np.ones_like(x))
    kind = f"Sigmoid, each value ({np.dtype(dtype)})"
    assert_close_each(out, out_t, TOLERANCE[np.dtype(dtype)], kind)
    assert_close_each(grad, x_t.grad, TOLERANCE[np.dtype(dtype)], kind)
