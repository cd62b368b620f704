"""Exercise 9's checks against implementations written the way learners write them."""

from __future__ import annotations

import functools
import re

import nbformat
import numpy as np
import pytest
from _adversaries import constants, echoes, unwatched
from _nbtools import ROOT, notebook_namespace

from companion.data import blobs
from companion.exercises import ITEMS, check, ex09
from companion.layers import mlp
from companion.normalization import BatchNorm1d, batchnorm_backward, batchnorm_forward
from companion.optim import SGD, Lion
from companion.optim.rules_modern import lion
from companion.training import fit

SOURCE = ROOT / "exercises" / "source" / "09_deep_training.ipynb"


@pytest.fixture(scope="module")
def solutions():
    return notebook_namespace(SOURCE)


def test_the_source_solutions_pass_and_the_stubs_fail(solutions):
    stubs = notebook_namespace(ROOT / "exercises" / "09_deep_training.ipynb")
    for item in ex09.ITEMS:
        assert check(item.id, solutions[item.function]).score == 1.0
        feedback = check(item.id, stubs[item.function])
        assert feedback.score == 0 and "not implemented yet" in feedback.message


@pytest.mark.parametrize("item", ex09.ITEMS, ids=lambda i: i.id)
def test_guesses_score_zero(item):
    for function in [*constants(item), *echoes(item)]:
        assert check(item.id, function).score == 0


def test_the_items_mix_kinds():
    assert len({item.kind for item in ex09.ITEMS}) == len(ex09.ITEMS) >= 3


# --- 9.1 Lion's update size ---------------------------------------------------------------------


def ignores_decay(theta, grad, lr, weight_decay):
    return np.full_like(theta, lr) * (grad != 0)


def always_adds(theta, grad, lr, weight_decay):
    return lr * (1 + weight_decay * np.abs(theta)) * (grad != 0) + lr * weight_decay * np.abs(
        theta
    ) * (grad == 0)


def sgd_like(theta, grad, lr, weight_decay):
    return np.abs(lr * grad + lr * weight_decay * theta)


def coupled(theta, grad, lr, weight_decay):
    return np.abs(lr * np.sign(grad + weight_decay * theta))


def flipped(theta, grad, lr, weight_decay):
    return np.abs(lr * (np.sign(grad) - weight_decay * theta))


def sign_zero_is_one(theta, grad, lr, weight_decay):
    return lr * np.abs(np.where(grad >= 0, 1.0, -1.0) + weight_decay * theta)


@pytest.mark.parametrize(
    ("implementation", "expected"),
    [
        (ignores_decay, "leaves out the weight decay"),
        (always_adds, "always adds the decay's size"),
        (sgd_like, "scales with the gradient"),
        (coupled, "puts the decay inside the sign"),
        (flipped, "decay's sign flipped"),
        (sign_zero_is_one, "treats sign(0) as +1"),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_realistic_wrong_lion_sizes_are_named(implementation, expected):
    feedback = check("9.1", implementation)
    assert not feedback.passed and expected in feedback.message, feedback


def test_the_derived_size_is_what_a_step_of_the_companion_s_lion_does():
    for case in ITEMS["9.1"].cases():
        theta, grad, lr, weight_decay = case.args
        params = [theta.copy()]
        Lion(params, lr=lr, weight_decay=weight_decay).step([grad])
        np.testing.assert_allclose(
            np.abs(params[0] - theta), ITEMS["9.1"].reference(*case.args), rtol=1e-9, atol=1e-15
        )
        # the cases contain a coordinate where decay and sign cancel partly, and one where
        # they add: the naive η(1 + λ|θ|) is wrong on every case
        assert not np.allclose(
            np.abs(params[0] - theta), lr * (1 + weight_decay * np.abs(theta)), rtol=1e-6
        )


def test_stepping_the_companion_s_lion_is_flagged():
    def by_running(theta, grad, lr, weight_decay):
        params = [theta.copy()]
        Lion(params, lr=lr, weight_decay=weight_decay).step([grad])
        return np.abs(params[0] - theta)

    rebound = lambda theta, grad, lr, weight_decay: np.abs(  # noqa: E731
        lion(theta, grad, {}, lr=lr, weight_decay=weight_decay)[0] - theta
    )
    for function in (by_running, rebound):
        feedback = check("9.1", function)
        assert feedback.score == 0 and "companion.optim" in feedback.flag, feedback
    with unwatched("9.1"):
        assert check("9.1", by_running).passed  # the same answer: only the re-binding is wrong


# --- 9.2 the BatchNorm backward pass ------------------------------------------------------------


def the_notebook_s_broken_version(grad_out, x, weight, eps):
    return notebook_namespace_broken()(grad_out, x, weight, eps)


@functools.cache
def notebook_namespace_broken():
    """The broken backward pass exactly as the notebook shows it (its cell alone)."""
    (cell,) = (
        c.source
        for c in nbformat.read(SOURCE, as_version=4).cells
        if "def batchnorm_backward_broken" in c.source
    )
    namespace = {"np": np}
    exec(cell, namespace)  # noqa: S102 -- our own notebook
    return namespace["batchnorm_backward_broken"]


def _standardize(x, eps, axis=0, ddof=0):
    mean = x.mean(axis=axis, keepdims=True)
    inv_std = 1 / np.sqrt(x.var(axis=axis, keepdims=True, ddof=ddof) + eps)
    return (x - mean) * inv_std, inv_std


def no_variance_term(grad_out, x, weight, eps):
    x_hat, inv_std = _standardize(x, eps)
    g = grad_out * weight
    return inv_std * (g - g.mean(axis=0))


def constants_mu_sigma(grad_out, x, weight, eps):
    return grad_out * weight / np.sqrt(x.var(axis=0) + eps)


def no_gamma(grad_out, x, weight, eps):
    x_hat, inv_std = _standardize(x, eps)
    return inv_std * (grad_out - grad_out.mean(0) - x_hat * (grad_out * x_hat).mean(0))


def unbiased(grad_out, x, weight, eps):
    x_hat, inv_std = _standardize(x, eps, ddof=1)
    g = grad_out * weight
    return inv_std * (g - g.mean(0) - x_hat * (g * x_hat).mean(0))


def layernorm_axis(grad_out, x, weight, eps):
    x_hat, inv_std = _standardize(x, eps, axis=1)
    g = grad_out * weight
    return inv_std * (g - g.mean(1, keepdims=True) - x_hat * (g * x_hat).mean(1, keepdims=True))


def no_eps(grad_out, x, weight, eps):
    x_hat, inv_std = _standardize(x, 0.0)
    g = grad_out * weight
    return inv_std * (g - g.mean(0) - x_hat * (g * x_hat).mean(0))


def in_place(grad_out, x, weight, eps):
    x -= x.mean(axis=0)
    inv_std = 1 / np.sqrt(x.var(axis=0) + eps)
    x *= inv_std
    g = grad_out * weight
    return inv_std * (g - g.mean(0) - x * (g * x).mean(0))


@pytest.mark.parametrize(
    ("implementation", "expected"),
    [
        (the_notebook_s_broken_version, "still forgets the mean's term"),
        (no_variance_term, "forgets the variance's term"),
        (constants_mu_sigma, "treats μ and σ as constants"),
        (no_gamma, "leaves out the weight γ"),
        (unbiased, "unbiased variance"),
        (layernorm_axis, "which is LayerNorm"),
        (no_eps, "leaves ε out"),
        (in_place, "changed its argument `x`"),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_realistic_wrong_batchnorm_backwards_are_named(implementation, expected):
    feedback = check("9.2", implementation)
    assert not feedback.passed and expected in feedback.message, feedback


def test_the_reference_is_the_companion_s_backward_and_a_finite_difference():
    for case in ITEMS["9.2"].cases():
        grad_out, x, weight, eps = case.args
        expected = ITEMS["9.2"].reference(*case.args)
        _, cache = batchnorm_forward(x, weight, np.zeros_like(weight), eps)
        np.testing.assert_allclose(batchnorm_backward(grad_out, weight, cache)[0], expected)
        layer = BatchNorm1d(x.shape[1], eps=eps)
        layer.weight[...] = weight
        layer.forward(x)
        np.testing.assert_allclose(layer.backward(grad_out), expected, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(expected.sum(axis=0), 0.0, atol=1e-9)


def test_calling_the_companion_s_batchnorm_is_flagged():
    def rebound(grad_out, x, weight, eps):
        _, cache = batchnorm_forward(x, weight, 0 * weight, eps)
        return batchnorm_backward(grad_out, weight, cache)[0]

    def by_layer(grad_out, x, weight, eps):
        layer = BatchNorm1d(x.shape[1], eps=eps)
        layer.weight[...] = weight
        layer.forward(x)
        return layer.backward(grad_out)

    for function in (rebound, by_layer):
        feedback = check("9.2", function)
        assert feedback.score == 0 and "companion.normalization" in feedback.flag, feedback


# --- 9.3 the clipping experiment ----------------------------------------------------------------


def _statuses(lr, seed, thresholds, clip=True):
    out = []
    for t in thresholds:
        X, y = blobs(ex09.N, centers=3, seed=seed)
        model = mlp([2] + [ex09.WIDTH] * ex09.DEPTH + [3], seed=seed)
        history = fit(
            model,
            X,
            y,
            optimizer=functools.partial(SGD, lr=lr, momentum=ex09.MOMENTUM),
            epochs=ex09.EPOCHS,
            batch_size=ex09.BATCH,
            seed=seed,
            max_grad_norm=float(t) if clip else None,
            progress=False,
        )
        out.append(history.status)
    return out


def largest_completing(lr, seed, thresholds):
    statuses = _statuses(lr, seed, thresholds)
    return max(t for t, s in zip(thresholds, statuses, strict=True) if s == "completed")


def first_diverging(lr, seed, thresholds):
    statuses = _statuses(lr, seed, thresholds)
    return min(t for t, s in zip(thresholds, statuses, strict=True) if s == "diverged")


@pytest.mark.parametrize(
    ("implementation", "expected"),
    [
        (largest_completing, "skipping over one that diverged"),
        (first_diverging, "returns the first threshold that diverges"),
        (lambda lr, seed, thresholds: thresholds[-1], "without looking at the runs"),
        (lambda lr, seed, thresholds: thresholds[0], "returns the smallest threshold"),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_realistic_wrong_experiments_are_named(implementation, expected):
    feedback = check("9.3", implementation)
    assert not feedback.passed and expected in feedback.message, feedback


def test_the_runs_without_clipping_diverge_and_the_pattern_is_not_monotone():
    cases = ITEMS["9.3"].cases()
    for case in cases:
        lr, seed, thresholds = case.args
        statuses = _statuses(lr, seed, thresholds)
        assert statuses[0] == "completed" and "diverged" in statuses  # something to find
        safe = ITEMS["9.3"].reference(*case.args)
        assert statuses[list(thresholds).index(safe) + 1] == "diverged"
    lr, seed, thresholds = cases[0].args
    statuses = _statuses(lr, seed, thresholds)
    first_bad = statuses.index("diverged")
    assert "completed" in statuses[first_bad:]  # a larger threshold survives by luck
    for case in cases[1:]:  # without clipping, these runs diverge
        assert _statuses(*case.args[:2], [None], clip=False) == ["diverged"]


def test_the_notebook_states_the_grader_s_set_up():
    notebook = nbformat.read(ROOT / "exercises" / "09_deep_training.ipynb", as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    line = re.search(r"^N, DEPTH, WIDTH, MOMENTUM, EPOCHS, BATCH = (.+)$", code, re.M)
    assert line and eval(line.group(1)) == (  # noqa: S307 -- our own notebook
        ex09.N,
        ex09.DEPTH,
        ex09.WIDTH,
        ex09.MOMENTUM,
        ex09.EPOCHS,
        ex09.BATCH,
    )
    assert re.search(r"^THRESHOLDS = 2\.0 \*\* np\.arange\(-1, 7\)", code, re.M)
    np.testing.assert_array_equal(ex09.THRESHOLDS, 2.0 ** np.arange(-1, 7))
