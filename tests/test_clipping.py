"""companion.clipping: the clipped norm, the direction, the in-place contract, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.clipping import clip_grad_norm, clip_grad_value, total_norm

SEEDS = st.integers(0, 2**32 - 1)


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 20), min_size=1, max_size=5),
    scale=st.floats(1e-4, 1e4),
    max_norm=st.floats(1e-3, 1e3),
    norm_type=st.sampled_from([1.0, 2.0, 3.5, math.inf]),
    seed=SEEDS,
)
def test_clipped_norm_is_at_most_max_norm_and_the_direction_is_kept(
    sizes, scale, max_norm, norm_type, seed
):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(0.0, scale, n) for n in sizes]
    before = [g.copy() for g in grads]
    norm = clip_grad_norm(grads, max_norm, norm_type)
    assert norm == pytest.approx(np.linalg.norm(np.concatenate(before), ord=norm_type), rel=1e-12)
    after = total_norm(grads, norm_type)
    assert after <= max_norm * (1 + 1e-12)
    if norm <= max_norm:  # nothing to clip: unchanged
        assert all(np.array_equal(a, b) for a, b in zip(grads, before, strict=True))
    else:  # one factor for every array: the direction is kept
        factor = after / norm
        for a, b in zip(grads, before, strict=True):
            np.testing.assert_allclose(a, factor * b, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(clip=st.floats(1e-3, 10), seed=SEEDS)
def test_clip_grad_value_clamps_every_entry_and_keeps_the_small_ones(clip, seed):
    grads = [np.random.default_rng(seed).normal(0.0, 3.0, (4, 5))]
    before = grads[0].copy()
    clip_grad_value(grads, clip)
    assert np.abs(grads[0]).max() <= clip
    small = np.abs(before) <= clip
    np.testing.assert_array_equal(grads[0][small], before[small])


def test_clipping_works_in_place_on_the_arrays_given():
    g = np.array([30.0, 40.0])
    grads = [g]
    clip_grad_norm(grads, 5.0)
    assert grads[0] is g
    np.testing.assert_allclose(g, [3.0, 4.0], rtol=1e-6)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: clip_grad_norm(np.ones(3), 1.0), TypeError, "list of gradient arrays"),
        (lambda: clip_grad_norm([np.ones(3)], 0.0), ValueError, "max_norm"),
        (lambda: clip_grad_norm([np.ones(3)], 1.0, norm_type=0.5), ValueError, "norm_type"),
        (lambda: clip_grad_norm([[1.0, 2.0]], 1.0), TypeError, r"grads\[0\]"),
        (lambda: clip_grad_value([np.ones(3)], -1.0), ValueError, "clip_value"),
    ],
)
def test_bad_arguments_name_themselves(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_fit_clips_the_gradient_norm_before_every_step():
    from companion.data import digits
    from companion.layers import mlp
    from companion.optim import SGD
    from companion.training import fit

    split = digits(seed=0)
    deep = [64] + [64] * 11 + [10]

    def run(**clip):
        model = mlp(deep, seed=0)
        opt = SGD(model.params, lr=0.1, momentum=0.9)
        return fit(model, split.X_train, split.y_train, optimizer=opt, epochs=3,
                   batch_size=64, seed=0, progress=False, **clip)  # fmt: skip

    assert run().status == "diverged"  # chapter 9's exploding network
    clipped = run(max_grad_norm=1.0)
    assert clipped.status == "completed"
    assert clipped.step_grad_norm.max() > 1.0  # recorded before clipping

    # each plain-SGD step moves the parameters by lr * (clipped norm) <= lr * max_norm
    model = mlp([64, 16, 10], seed=0)
    before = np.concatenate([p.ravel() for p in model.params])
    fit(model, split.X_train, split.y_train, lr=0.5, epochs=1, batch_size=len(split.X_train),
        max_grad_norm=1e-3, progress=False)  # fmt: skip
    moved = np.linalg.norm(np.concatenate([p.ravel() for p in model.params]) - before)
    assert moved == pytest.approx(0.5 * 1e-3, rel=1e-3)
    with pytest.raises(ValueError, match="max_grad_norm"):
        fit(model, split.X_train, split.y_train, lr=0.1, max_grad_norm=0.0)
