"""Benchmark (not a test): the variance of the mini-batch gradient against the batch size.

Run from the repository root::

    .venv/bin/python benchmarks/gradient_noise.py

The target (Chapter 4): the measured variance follows 1/B within 20%. On the chapter's
problem — ``companion.data.linear_regression(n=1000, seed=0)``, at the chapter's start point
θ₀ — it draws 4,000 mini-batches of each size B = 1, 2, 4, ..., 128 the way training draws
them (full batches of shuffled epochs, ``companion.training.gradient_noise``) and compares
E‖ĝ_B − ∇J‖² with σ²/B, where σ² is the variance of the single examples' gradients. It
prints the ratio measured / (σ²/B), and measured / (σ²/B · (n − B)/(n − 1)) — the exact value
for sampling without replacement from n examples — and the slope of the log-log fit.
Then the same for the chapter's digits MLP at initialization (500 batches of each size).
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"  # one core: set before NumPy loads its BLAS
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402

from companion.data import digits, linear_regression  # noqa: E402
from companion.layers import mlp  # noqa: E402
from companion.training import GradientNoise, gradient_noise, model_gradient  # noqa: E402

BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64, 128]


def report(title: str, noise: GradientNoise) -> float:
    print(title)
    print(f"  σ² (per-example variance) = {noise.per_example_variance:.4g}, n = {noise.n}")
    print(f"  {'B':>4s} {'measured':>10s} {'σ²/B':>10s} {'ratio':>6s} {'exact ratio':>11s}")
    ratios = noise.variance / noise.inverse_b
    for B, v, inv, r, e in zip(
        noise.batch_sizes,
        noise.variance,
        noise.inverse_b,
        ratios,
        noise.variance / noise.predicted,
        strict=True,
    ):
        print(f"  {B:4d} {v:10.4g} {inv:10.4g} {r:6.3f} {e:11.3f}")
    worst = float(np.max(np.abs(ratios - 1)))
    print(f"  log-log slope {noise.slope:.3f} (1/B: -1); largest deviation from σ²/B: {worst:.1%}")
    return worst


def main() -> None:
    data = linear_regression(n=1000, seed=0)
    theta = data.surface.start

    def regression_gradient(idx: np.ndarray) -> np.ndarray:
        return data.gradient(theta, data.X[idx], data.y[idx])

    noise = gradient_noise(regression_gradient, 1000, BATCH_SIZES, draws=4000, seed=0)
    worst = report("least squares, n = 1000, at θ₀ (the chapter's problem):", noise)
    verdict = "met" if worst <= 0.2 else "MISSED"
    print(f"target (variance follows 1/B within 20%): {verdict}")

    split = digits(seed=0)
    model = mlp([64, 256, 128, 10], seed=0)

    def mlp_gradient(idx: np.ndarray) -> np.ndarray:
        return model_gradient(model, split.X_train[idx], split.y_train[idx])

    noise = gradient_noise(mlp_gradient, len(split.X_train), BATCH_SIZES, draws=500, seed=0)
    size = sum(p.size for p in model.params)
    report(f"digits MLP [64, 256, 128, 10] at initialization ({size:,} parameters):", noise)


if __name__ == "__main__":
    main()
