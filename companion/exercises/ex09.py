"""Exercise 9 — training deep networks: the items, their cases and their known mistakes.

- 9.1 *derive* ``lion_update_size(theta, grad, lr, weight_decay)``: how far Lion's first step
  moves each coordinate, :math:`|\\Delta\\theta_i| = \\eta\\,|\\operatorname{sign}(g_i) +
  \\lambda\\theta_i|` — which is :math:`\\eta(1 + \\lambda|\\theta_i|)` only when the decay and
  the sign pull the same way.
- 9.2 *debug* ``batchnorm_input_grad(grad_out, x, weight, eps)``: a BatchNorm backward pass
  that forgets the term of the mean, fixed.
- 9.3 *experiment* ``safe_clip_threshold(lr, seed, thresholds)``: the largest gradient-norm
  clipping threshold up to which a deep ReLU network trained by
  :func:`companion.training.fit` (with ``max_grad_norm``) no longer diverges — measured, and
  graded against the same runs in the grader's process.

The reference answers are this module's own code (9.1, 9.2) or the same computation a learner
runs (9.3, with the companion's ``fit``). Every known mistake is a module-level function that
never raises (NaN where it does not fit, which matches nothing).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from .core import Case, Item, Mistake

_rng = np.random.default_rng  # every case draws from its own seeded generator


def _safe(answer: Callable) -> Callable:
    """A mistake's answer, or NaN where the mistaken formula does not even run."""

    def wrapped(*args):
        try:
            with np.errstate(all="ignore"):
                return np.asarray(answer(*args), dtype=np.float64)
        except (ValueError, IndexError, TypeError, ZeroDivisionError):
            return np.nan

    return wrapped


# --- 9.1 lion_update_size(theta, grad, lr, weight_decay) ----------------------------------------


def _lion_size(theta, grad, lr, weight_decay):
    """|Δθ| of Lion's first step (m = 0, so sign(c) = sign(g)): η |sign(g) + λθ|."""
    return lr * np.abs(np.sign(grad) + weight_decay * theta)


def _lion_cases() -> list[Case]:
    cases = []
    for label, seed, n, lr, wd, scale in [
        ("8 coordinates, lr = 1e-4, weight_decay = 0.1, θ of size ~5", 91, 8, 1e-4, 0.1, 5.0),
        ("10 coordinates, lr = 3e-3, weight_decay = 0.5, θ of size ~4", 92, 10, 3e-3, 0.5, 4.0),
        ("6 coordinates, lr = 0.01, weight_decay = 1.0, θ of size ~1", 93, 6, 0.01, 1.0, 1.0),
    ]:
        r = _rng(seed)
        theta = scale * r.standard_normal(n)
        grad = r.standard_normal(n)
        grad[0] = 0.0  # a coordinate with no gradient: sign(0) = 0, only the decay moves it
        theta[1] = -abs(theta[1]) - 3.0 / wd  # decay opposes the sign, and outweighs it
        grad[1] = abs(grad[1])
        theta[2] = abs(theta[2]) + 0.5 / wd  # both pull the same way
        grad[2] = abs(grad[2]) + 0.1
        cases.append(Case(label, (theta, grad, lr, wd)))
    return cases


ITEM_9_1 = Item(
    id="9.1",
    kind="derive",
    function="lion_update_size",
    references=("companion.optim.rules_modern.lion",),  # companion.optim.Lion steps with it
    points=2,
    arg_names=("theta", "grad", "lr", "weight_decay"),
    cases=_lion_cases,
    reference=_lion_size,
    mistakes=(
        Mistake(
            "leaves out the weight decay: every coordinate moves by η only when λ = 0; Lion's "
            "update is η (sign(c) + λθ), and the decay is part of the step",
            _safe(lambda theta, grad, lr, weight_decay: lr * np.abs(np.sign(grad))),
        ),
        Mistake(
            "always adds the decay's size, η (1 + λ|θ|): that holds only where sign(g) and θ "
            "have the same sign; where they differ the two terms partly cancel, "
            "η |sign(g) + λθ|",
            _safe(
                lambda theta, grad, lr, weight_decay: (
                    lr * (np.abs(np.sign(grad)) + weight_decay * np.abs(theta))
                )
            ),
        ),
        Mistake(
            "scales with the gradient, η |g + λθ|: that is SGD with weight decay. Lion keeps "
            "only the sign of the momentum, so the gradient's size does not matter",
            _safe(lambda theta, grad, lr, weight_decay: lr * np.abs(grad + weight_decay * theta)),
        ),
        Mistake(
            "puts the decay inside the sign, η |sign(g + λθ)|: Lion's decay is decoupled, "
            "added after the sign: η (sign(c) + λθ)",
            _safe(
                lambda theta, grad, lr, weight_decay: (
                    lr * np.abs(np.sign(grad + weight_decay * theta))
                )
            ),
        ),
        Mistake(
            "has the decay's sign flipped: the decay pulls θ toward 0, θ ← θ − η (sign(c) + "
            "λθ), so the size is η |sign(g) + λθ|",
            _safe(
                lambda theta, grad, lr, weight_decay: (
                    lr * np.abs(np.sign(grad) - weight_decay * theta)
                )
            ),
        ),
        Mistake(
            "treats sign(0) as +1 (or −1): a coordinate with zero gradient has sign(c) = 0 "
            "on the first step, so only the decay moves it, by η λ |θ|",
            _safe(
                lambda theta, grad, lr, weight_decay: (
                    lr * np.abs(np.where(grad >= 0, 1.0, -1.0) + weight_decay * theta)
                )
            ),
        ),
    ),
    rtol=1e-9,
    atol=0.0,
    hints={
        "shape": "Return one size per coordinate: an array shaped like theta.",
        "mutated": "compute the size without updating theta in place",
    },
)


# --- 9.2 batchnorm_input_grad(grad_out, x, weight, eps) -----------------------------------------


def _bn_grad(grad_out, x, weight, eps, *, axis=0, mean_term=True, var_term=True,
             use_weight=True, ddof=0):  # fmt: skip
    """The reference, with switches that reproduce each known mistake."""
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True, ddof=ddof)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    g = grad_out * weight if use_weight else grad_out
    out = g
    if mean_term:
        out = out - g.mean(axis=axis, keepdims=True)
    if var_term:
        out = out - x_hat * (g * x_hat).mean(axis=axis, keepdims=True)
    return inv_std * out


def _bn_cases() -> list[Case]:
    cases = []
    for label, seed, shape, loc, scale, eps in [
        ("a batch of 8 examples with 3 features, eps = 1e-5", 94, (8, 3), 2.0, 3.0, 1e-5),
        ("a batch of 16 with 5 features, eps = 0.5 (large)", 95, (16, 5), -1.0, 0.5, 0.5),
        ("a batch of 5 with 4 features, eps = 1e-3", 96, (5, 4), 10.0, 0.1, 1e-3),
    ]:
        r = _rng(seed)
        x = r.normal(loc, scale, size=shape) * r.uniform(0.5, 2.0, size=shape[1])
        grad_out = r.standard_normal(shape) + r.standard_normal(shape[1])  # columns off 0
        weight = r.uniform(0.5, 2.0, size=shape[1])
        cases.append(Case(label, (grad_out, x, weight, eps)))
    return cases


ITEM_9_2 = Item(
    id="9.2",
    kind="debug",
    function="batchnorm_input_grad",
    references=(
        "companion.normalization.batchnorm_backward",
        "companion.normalization.batchnorm_forward",
        "companion.normalization.BatchNorm1d",
        "companion.normalization.LayerNorm",
    ),
    points=3,
    arg_names=("grad_out", "x", "weight", "eps"),
    cases=_bn_cases,
    reference=_bn_grad,
    mistakes=(
        Mistake(
            "still forgets the mean's term: μ depends on every input of the batch, which "
            "adds −mean(ḡ) to ḡ (ḡ = γ · grad_out); with it, each column of the answer sums "
            "to 0",
            _safe(lambda g, x, w, eps: _bn_grad(g, x, w, eps, mean_term=False)),
        ),
        Mistake(
            "forgets the variance's term: σ² depends on every input too, which adds −x̂ · mean(ḡ x̂)",
            _safe(lambda g, x, w, eps: _bn_grad(g, x, w, eps, var_term=False)),
        ),
        Mistake(
            "treats μ and σ as constants (grad_x = γ · grad_out / √(σ² + ε)): in training "
            "mode they are computed from the batch, so both extra terms are needed",
            _safe(lambda g, x, w, eps: _bn_grad(g, x, w, eps, mean_term=False, var_term=False)),
        ),
        Mistake(
            "leaves out the weight γ: y = γ x̂ + β, so ∂J/∂x̂ = γ · grad_out",
            _safe(lambda g, x, w, eps: _bn_grad(g, x, w, eps, use_weight=False)),
        ),
        Mistake(
            "uses the unbiased variance (ddof=1): BatchNorm standardizes with the biased "
            "one, dividing by n (np.var's default)",
            _safe(lambda g, x, w, eps: _bn_grad(g, x, w, eps, ddof=1)),
        ),
        Mistake(
            "averages over the features (axis 1), which is LayerNorm: BatchNorm averages each "
            "feature over the examples of the batch, axis 0",
            _safe(lambda g, x, w, eps: _bn_grad(g, x, w, eps, axis=1)),
        ),
        Mistake(
            "leaves ε out: the forward pass divides by √(σ² + ε), and so does the backward",
            _safe(lambda g, x, w, eps: _bn_grad(g, x, w, 0.0)),
        ),
    ),
    rtol=1e-7,
    atol=1e-10,
    hints={
        "shape": "Return ∂J/∂x only: one array shaped like x.",
        "mutated": "build new arrays (x - mean, not x -= mean)",
    },
)


# --- 9.3 safe_clip_threshold(lr, seed, thresholds) --------------------------------------------

#: The run of 9.3 (the learner's notebook states the same numbers; a test compares them):
#: ``blobs(N, centers=3, seed=seed)``, ``mlp([2] + [WIDTH] * DEPTH + [3], seed=seed)``, momentum
#: SGD with ``momentum=MOMENTUM``, ``EPOCHS`` epochs in batches of ``BATCH``.
N, DEPTH, WIDTH, MOMENTUM, EPOCHS, BATCH = 30, 8, 16, 0.9, 4, 15


@functools.lru_cache(maxsize=256)
def _diverges(lr: float, seed: int, max_grad_norm: float | None) -> bool:
    """Whether the 9.3 run ends with status "diverged" (cached: the judge asks repeatedly)."""
    from ..data import blobs
    from ..layers import mlp
    from ..optim import SGD
    from ..training import fit

    X, y = blobs(N, centers=3, seed=seed)
    model = mlp([2] + [WIDTH] * DEPTH + [3], seed=seed)
    history = fit(
        model,
        X,
        y,
        optimizer=functools.partial(SGD, lr=lr, momentum=MOMENTUM),
        epochs=EPOCHS,
        batch_size=BATCH,
        seed=seed,
        max_grad_norm=max_grad_norm,
        progress=False,
    )
    return history.status == "diverged"


def _statuses(lr, seed, thresholds) -> list[bool]:
    return [_diverges(float(lr), int(seed), float(t)) for t in np.sort(thresholds)]


def _safe_threshold(lr, seed, thresholds):
    """The largest threshold up to which (from the smallest) no run diverges; NaN if even the
    smallest diverges."""
    ordered, diverged = (
        np.sort(np.asarray(thresholds, dtype=np.float64)),
        _statuses(lr, seed, thresholds),
    )
    safe = np.nan
    for t, bad in zip(ordered, diverged, strict=True):
        if bad:
            break
        safe = t
    return safe


def _largest_completing(lr, seed, thresholds):
    ordered, diverged = (
        np.sort(np.asarray(thresholds, dtype=np.float64)),
        _statuses(lr, seed, thresholds),
    )
    fine = [t for t, bad in zip(ordered, diverged, strict=True) if not bad]
    return max(fine) if fine else np.nan


def _first_diverging(lr, seed, thresholds):
    ordered, diverged = (
        np.sort(np.asarray(thresholds, dtype=np.float64)),
        _statuses(lr, seed, thresholds),
    )
    bad = [t for t, b in zip(ordered, diverged, strict=True) if b]
    return min(bad) if bad else np.nan


#: The thresholds every case scans: 0.5, 1, 2, ..., 64.
THRESHOLDS = 2.0 ** np.arange(-1, 7)


def _clip_cases() -> list[Case]:
    return [
        Case("lr = 1.0, seed 0", (1.0, 0, THRESHOLDS.copy())),
        Case("lr = 1.5, seed 3", (1.5, 3, THRESHOLDS.copy())),
        Case("lr = 0.7, seed 1", (0.7, 1, THRESHOLDS.copy())),
        Case("lr = 1.0, seed 1", (1.0, 1, THRESHOLDS.copy())),
    ]


ITEM_9_3 = Item(
    id="9.3",
    kind="experiment",
    function="safe_clip_threshold",
    points=2,
    arg_names=("lr", "seed", "thresholds"),
    cases=_clip_cases,
    reference=_safe_threshold,
    mistakes=(
        Mistake(
            "returns the largest threshold whose run completes, skipping over one that "
            "diverged: a run can survive a larger threshold by luck. The safe threshold is "
            "the largest t such that every threshold up to t trains",
            _safe(_largest_completing),
        ),
        Mistake(
            "returns the first threshold that diverges: the answer is the last one before "
            "it, the largest that still trains",
            _safe(_first_diverging),
        ),
        Mistake(
            "returns the largest threshold without looking at the runs: train with "
            "fit(..., max_grad_norm=t) for each t and read history.status",
            _safe(lambda lr, seed, thresholds: np.max(thresholds)),
        ),
        Mistake(
            "returns the smallest threshold: it is safe here, but the question is how far "
            "the threshold can go up before the run diverges",
            _safe(lambda lr, seed, thresholds: np.min(thresholds)),
        ),
    ),
    rtol=0.0,
    atol=0.0,
    hints={"shape": "Return one number: a threshold from `thresholds`."},
)


ITEMS = (ITEM_9_1, ITEM_9_2, ITEM_9_3)
