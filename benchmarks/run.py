"""All the course's benchmarks in one run: one table of figures measured together.

Run from the repository root::

    .venv/bin/python benchmarks/run.py                 # about a minute
    .venv/bin/python benchmarks/run.py --quick         # fewer repeats: a rough table, ~20 s
    .venv/bin/python benchmarks/run.py --book --markdown book/appendix/benchmarks.md

The last form also builds the book (cold, then from its cache) and runs the test suite in a
private copy of the repository — several minutes — and writes the appendix page.

A shared machine is noisy, so every comparison is a *ratio of times measured side by side*:
the contenders of a row run in interleaved rounds (A, B, C, A, B, C, ...) of short blocks of
calls. Another process taking the CPU makes a block slower, never faster, so the table gives
each contender's fastest block — the least disturbed — and the ratios of those. Before
measuring, the process pins itself to one CPU (``--cpu``) and NumPy's BLAS and PyTorch to one
thread each.

The sections:

1. **Training step** — forward, softmax cross-entropy, backward and one Adam step of the
   digits MLP 64-128-10 and of an MNIST-size MLP 784-256-128-10, batch 1 to 1024, float32 and
   float64: the companion against PyTorch eager with its default Adam and with
   ``Adam(fused=True)``. Both start from the same weights and data (the first losses are
   checked to agree).
2. **Matmul ceiling** — the step's useful GFLOP/s at batch 1024 as a fraction of NumPy's own
   1024 × 1024 matrix product, measured in the same rounds.
3. **Adam on 10⁶ parameters** — the companion's in-place step against the textbook NumPy
   expression (which allocates a temporary per operation) and PyTorch.
4. **Gradient check** of the digits MLP: every coordinate, and k random ones.
5. **Widgets** — the callback time of every explorer when a control moves
   (:mod:`widget_descent` for Chapter 2's).
6. **Grader** — sandbox start-up and submissions graded per second per core
   (:mod:`grade_throughput`).
7. **Book** (``--book``) — a cold build, a rebuild from the execution cache, and the test
   suite's wall time, in a private copy of the repository.

Each row has its target, where the course sets one, and whether it is met.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import inspect
import itertools
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the sibling scripts: grade_throughput, widget_descent

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from companion.layers import Linear, ReLU, Sequential, mlp  # noqa: E402
from companion.losses import softmax_cross_entropy  # noqa: E402
from companion.optim import Adam  # noqa: E402

#: The two networks of the training-step benchmark: the digits MLP and an MNIST-size one.
NETWORKS = {"digits": [64, 128, 10], "MNIST-size": [784, 256, 128, 10]}
BATCHES = (1, 32, 128, 1024)
DTYPES = (np.float32, np.float64)
LR = 1e-3


# --- the table --------------------------------------------------------------------------------


@dataclass
class Section:
    """One table of the report: a title, a sentence on what was measured, rows, notes."""

    title: str
    about: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: list[tuple[str, bool]] = field(default_factory=list)  # (what, met)

    def add(
        self, *cells: object, target: str = "", met: bool | None = None, what: str = ""
    ) -> None:
        """A row; with a target, ``what`` names it in the summary (default: first cells)."""
        verdict = "" if met is None else ("met" if met else "MISSED")
        self.rows.append([_cell(c) for c in cells] + [target, verdict])
        if met is not None:
            what = what or " ".join(_cell(c) for c in cells[:3])
            self.targets.append((f"{what}: {target}", met))


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value == 0 or 0.01 <= abs(value) < 1e5:
            return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
        return f"{value:.2e}"
    return " ".join(str(value).split())  # one line, whatever a message held


def render_text(sections: Sequence[Section], header: list[str]) -> str:
    lines = [*header, ""]
    for s in sections:
        cols = [*s.columns, "target", "met"]
        widths = [
            max(len(c), *(len(r[i]) for r in s.rows)) if s.rows else len(c)
            for i, c in enumerate(cols)
        ]
        lines += [f"== {s.title} ==", s.about]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in s.rows]
        lines += [f"  note: {n}" for n in s.notes]
        lines.append("")
    return "\n".join(lines)


def render_markdown(sections: Sequence[Section], header: list[str]) -> str:
    out = [
        "# Benchmarks",
        "",
        "How fast the companion package trains, checks and draws, next to PyTorch and to",
        "NumPy's own speed limit; how long the book takes to build and test; how fast the",
        "grader and the widgets answer. Every number on this page was measured in one run of",
        "",
        "```bash",
        ".venv/bin/python benchmarks/run.py --book --markdown book/appendix/benchmarks.md",
        "```",
        "",
        "which also wrote this page. A shared machine is noisy, so comparisons are ratios of",
        "times measured side by side: the contenders run in interleaved rounds of short",
        "blocks of calls, and since another process can make a block slower but never",
        "faster, each time is the contender's fastest block. Speed-ups are *their time / the",
        "companion's time*: above 1, the companion is faster. One thread, pinned to one CPU.",
        "",
        *[f"- {h}" for h in header],
        "",
    ]
    targets = [(what, met) for s in sections for what, met in s.targets]
    if targets:
        met = sum(m for _, m in targets)
        out += [f"Targets met: {met} of {len(targets)}.", ""]
        missed = [what for what, m in targets if not m]
        if missed:
            out += ["Missed:", "", *[f"- {what}" for what in missed], ""]
    for s in sections:
        cols = [*s.columns, "target", "met"]
        out += [f"## {s.title}", "", s.about, ""]
        out.append("| " + " | ".join(cols) + " |")
        out.append("|" + "|".join(" --- " for _ in cols) + "|")
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in s.rows]
        out.append("")
        out += [f"- {n}" for n in s.notes]
        if s.notes:
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# --- timing -----------------------------------------------------------------------------------


def _calls_per_block(fn: Callable[[], object], block: float) -> int:
    """How many calls of ``fn`` fill ``block`` seconds (at least one), after a warm-up."""
    fn()
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= 4 * block or calls >= 10_000:
            return max(1, round(calls * block / elapsed))


def interleaved(
    contenders: dict[str, Callable[[], object]], rounds: int, block: float
) -> dict[str, np.ndarray]:
    """Seconds per call of each contender, one value per round; rounds interleave them.

    Each round times a short block of calls of every contender in turn. Another process
    that takes the CPU makes some blocks slow, never one fast: the fastest round of each
    contender is the least disturbed measurement (see :func:`best`).
    """
    calls = {name: _calls_per_block(fn, block) for name, fn in contenders.items()}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            n = calls[name]
            start = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - start) / n)
    return {name: np.array(t) for name, t in times.items()}


def best(times: np.ndarray) -> float:
    """The fastest round's seconds per call: the least disturbed by other processes."""
    return float(np.min(times))


def ratio(times: dict[str, np.ndarray], numerator: str, denominator: str) -> float:
    """best(numerator) / best(denominator): how many times slower the numerator is."""
    return best(times[numerator]) / best(times[denominator])


# --- 1 and 2: the training step -----------------------------------------------------------------


def companion_step(sizes: Sequence[int], batch: int, dtype: type, seed: int = 0):
    """One training step of the companion — forward, loss, backward, Adam — as a function.

    The model keeps all its parameters in one flat array (``model.flat_params``, with the
    per-layer arrays as views), so Adam updates them in one go; the first layer skips the
    gradient with respect to the data, which nothing needs (as PyTorch skips it for an input
    that does not require a gradient). Returns ``(step, model, X, y)``; ``step()`` returns the
    loss.
    """
    rng = np.random.default_rng(seed)
    model = mlp(sizes, seed=seed, dtype=dtype)
    X = rng.standard_normal((batch, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], batch)
    if getattr(model, "flat_params", None) is not None:
        opt, grads = Adam([model.flat_params], lr=LR), [model.flat_grads]
    else:  # a companion without flat parameters: one array per layer
        opt, grads = Adam(model.params, lr=LR), model.grads
    options = (
        {"input_grad": False}
        if "input_grad" in inspect.signature(model.backward).parameters
        else {}
    )

    def step() -> float:
        loss, dlogits = softmax_cross_entropy(model.forward(X), y)
        model.backward(dlogits, **options)
        opt.step(grads)
        return loss

    return step, model, X, y


def bare_step(model, X: np.ndarray, y: np.ndarray):
    """The same step as bare NumPy: the floor under any NumPy implementation of it.

    The companion's algorithm, weights and data — flat parameters, in-place bias and ReLU,
    log-sum-exp loss, Adam with the bias corrections folded into two numbers — with nothing
    else: no checks of any input, no layer objects, no caches kept for a user. If even this
    step misses a target, no NumPy step of this algorithm meets it on this machine; the
    difference from the companion is what its checks and its readable layers cost. Works on
    a copy of the parameters. Returns ``(step, params)``: ``step()`` returns the loss, and
    ``params`` is the flat array it updates.
    """
    layers = copy.deepcopy(model.layers)
    if (
        len(layers) % 2 == 0
        or not all(type(layer) is Linear for layer in layers[0::2])
        or not all(type(layer) is ReLU for layer in layers[1::2])
    ):
        raise TypeError("bare_step needs an mlp of Linear and ReLU layers")
    # A Sequential of the copies flattens them afresh: each layer's W, b and gradients
    # become views of twin.flat_params and twin.flat_grads, as in the companion's model.
    twin = Sequential(*layers)
    params, grads, linears = twin.flat_params, twin.flat_grads, layers[0::2]
    Ws, bs = [layer.W for layer in linears], [layer.b for layer in linears]
    dWs, dbs = [layer.grads[0] for layer in linears], [layer.grads[1] for layer in linears]
    m, v, work, t = np.zeros_like(params), np.zeros_like(params), np.empty_like(params), 0
    B, rows, last = X.shape[0], np.arange(X.shape[0]), len(Ws) - 1

    def step() -> float:
        nonlocal t
        inputs, masks, h = [X], [], X
        for i, (W, b) in enumerate(zip(Ws, bs, strict=True)):
            h = h @ W
            h += b
            if i < last:  # ReLU, in place
                masks.append(h > 0)
                h *= masks[-1]
                inputs.append(h)
        h -= h.max(axis=1, keepdims=True)
        picked = h[rows, y]
        p = np.exp(h, out=h)
        total = p.sum(axis=1, keepdims=True)
        loss = float((np.log(total).ravel() - picked).sum() / B)
        p /= total
        p[rows, y] -= 1
        g = np.divide(p, B, out=p)
        for i in range(last, -1, -1):
            np.dot(inputs[i].T, g, out=dWs[i])
            g.sum(axis=0, out=dbs[i])
            if i:
                g = g @ Ws[i].T
                g *= masks[i - 1]
        t += 1
        bare_adam(params, grads, m, v, work, t)
        return loss

    return step, params


def bare_adam(params, grads, m, v, work, t: int, lr=LR, betas=(0.9, 0.999), eps=1e-8) -> None:
    """Step ``t`` of the companion's Adam as bare NumPy: its 12 in-place passes over the
    arrays, without its check of the gradient or its per-parameter state."""
    beta1, beta2 = betas
    m *= beta1
    m += np.multiply(grads, 1 - beta1, out=work)
    v *= beta2
    v += np.multiply(np.multiply(grads, 1 - beta2, out=work), grads, out=work)
    bias1, bias2 = 1 - beta1**t, 1 - beta2**t
    denom = np.sqrt(v, out=work)
    denom += eps * math.sqrt(bias2)
    update = np.divide(m, denom, out=denom)
    params -= np.multiply(update, lr * math.sqrt(bias2) / bias1, out=update)


def torch_step(model, X: np.ndarray, y: np.ndarray, fused: bool):
    """The same step in PyTorch eager, from the companion model's weights and data."""
    import torch

    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    layers = []
    for layer in model.layers:
        if isinstance(layer, Linear):
            linear = torch.nn.Linear(layer.in_features, layer.out_features, dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(layer.W.T.copy()))
                linear.bias.copy_(torch.from_numpy(layer.b.copy()))
            layers.append(linear)
        elif isinstance(layer, ReLU):
            layers.append(torch.nn.ReLU())
        else:
            raise TypeError(f"no PyTorch twin for {layer!r}")
    net = torch.nn.Sequential(*layers)
    inputs, targets = torch.from_numpy(X.copy()), torch.from_numpy(y.astype(np.int64))
    opt = torch.optim.Adam(net.parameters(), lr=LR, fused=True if fused else None)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(net(inputs), targets)
        loss.backward()
        opt.step()
        return loss

    return step


def step_flops(sizes: Sequence[int], batch: int) -> int:
    """Floating-point operations of the step's matrix products (the rest is negligible).

    Forward ``x W``: 2 B·in·out per layer; backward ``xᵀ ḡ`` as many, and ``ḡ Wᵀ`` as many
    except in the first layer, whose input is the data.
    """
    macs = [a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    return 2 * batch * (3 * sum(macs) - macs[0])


def matmul_1024(dtype: type):
    """NumPy's own 1024 × 1024 product into a preallocated array: the machine's ceiling."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1024, 1024)).astype(dtype)
    out = np.empty_like(a)
    return lambda: np.matmul(a, a, out=out)


def training_step_sections(
    networks: dict[str, list[int]] = NETWORKS,
    batches: Sequence[int] = BATCHES,
    dtypes: Sequence[type] = DTYPES,
    rounds: int = 30,
    block: float = 0.005,
    with_torch: bool = True,
) -> tuple[Section, Section]:
    steps = Section(
        "Training step: companion vs PyTorch eager",
        "One step — forward, softmax cross-entropy, backward, Adam (lr 1e-3) — of the MLPs "
        + " and ".join(f"{name} {_sizes(sizes)}" for name, sizes in networks.items())
        + ", on random data of batch size B, one thread. Speed-up = PyTorch's time / the "
        "companion's; *fused* is PyTorch with Adam(fused=True); *bare* is the same step "
        "written as bare NumPy, with no checks and no layer objects (benchmarks/run.py:"
        "bare_step), and *bare speed-up* PyTorch's time / its time: the most any NumPy "
        "step of this algorithm reaches here.",
        [
            "network",
            "dtype",
            "B",
            "companion µs",
            "torch µs",
            "fused µs",
            "bare µs",
            "speed-up",
            "vs fused",
            "bare speed-up",
        ],
    )
    ceiling = Section(
        f"Matmul ceiling: the step's GFLOP/s at batch {max(batches)}",
        "The step's matrix products (forward, and the backward's weight and input "
        "gradients, none for the data) per second, as a fraction of NumPy's own 1024 × 1024 "
        "matrix product (*matmul*) measured in the same rounds.",
        [
            "network",
            "dtype",
            "GFLOP",
            "companion GFLOP/s",
            "torch GFLOP/s",
            "matmul GFLOP/s",
            "fraction",
        ],
    )
    for name, sizes in networks.items():
        for dtype in dtypes:
            for batch in batches:
                step, model, X, y = companion_step(sizes, batch, dtype)
                bare, _ = bare_step(model, X, y)
                assert math.isclose(bare(), step(), rel_tol=1e-3), "bare and companion differ"
                contenders: dict[str, Callable[[], object]] = {"bare": bare}
                if with_torch:
                    plain = torch_step(model, X, y, fused=False)
                    fused = torch_step(model, X, y, fused=True)
                    first = float(plain().detach())
                    assert math.isclose(first, step(), rel_tol=1e-3), "torch and companion differ"
                    contenders |= {"torch": plain, "fused": fused}
                contenders["companion"] = step
                big = batch == max(batches)
                if big:
                    contenders["matmul"] = matmul_1024(dtype)
                t = interleaved(contenders, rounds, block)
                us = {k: 1e6 * best(v) for k, v in t.items()}
                dt = np.dtype(dtype).name
                if with_torch:
                    speedup, floor = ratio(t, "torch", "companion"), ratio(t, "torch", "bare")
                    goal, met = _step_target(name, batch, speedup)
                    steps.add(
                        name,
                        dt,
                        batch,
                        us["companion"],
                        us["torch"],
                        us["fused"],
                        us["bare"],
                        speedup,
                        ratio(t, "fused", "companion"),
                        floor,
                        target=goal,
                        met=met,
                        what=f"{name} {_sizes(sizes)} step, {dt}, batch {batch}, speed-up "
                        f"{speedup:.2f} (bare NumPy {floor:.2f})",
                    )
                else:
                    steps.add(name, dt, batch, us["companion"], "", "", us["bare"], "", "", "")
                if big:
                    flops = step_flops(sizes, batch)
                    rate = {k: flops / 1e9 / best(v) for k, v in t.items()}
                    rate["matmul"] = 2 * 1024**3 / 1e9 / best(t["matmul"])
                    fraction = rate["companion"] / rate["matmul"]
                    goal = "≥ 0.8" if name.startswith("MNIST") else ""
                    ceiling.add(
                        name,
                        dt,
                        flops / 1e9,
                        rate["companion"],
                        rate.get("torch", ""),
                        rate["matmul"],
                        fraction,
                        target=goal,
                        met=(fraction >= 0.8) if goal else None,
                        what=f"{name} {_sizes(sizes)} step at batch {batch}, {dt}, fraction",
                    )
    steps.notes.append(
        "The companion's model holds its parameters in one flat array (per-layer views), "
        "so Adam steps one array; PyTorch's default Adam on CPU loops over the tensors, "
        "fused=True updates them all in one kernel. Neither computes a gradient for the data "
        "(the companion's backward(..., input_grad=False))."
    )
    steps.notes.append(
        "Targets: for the digits network at B ≤ 128 a speed-up of at least 3; for the "
        "MNIST-size one at B ≥ 32 at most 0.9 × PyTorch's time (a speed-up of at least "
        "1/0.9 ≈ 1.11). Both compare with PyTorch's default Adam, torch.optim.Adam(params, "
        "lr); the speed-up against fused=True is shown beside it."
    )
    steps.notes.append(
        "Where the bare speed-up is under a target too, the target is out of reach for NumPy "
        "on this machine: the step's matrix products, its element-wise passes and the Python "
        "calls that launch them already cost more. Between bare and companion lie the "
        "checks of the data, the labels and the gradient (which the course's standards ask "
        "for) and the layer objects a chapter can show."
    )
    ceiling.notes.append(
        "The target is for the MNIST-size network; the digits network's products are too "
        "small (a 128 × 10 layer) to run at the BLAS's speed, so it is shown for comparison."
    )
    return steps, ceiling


def _step_target(name: str, batch: int, speedup: float) -> tuple[str, bool | None]:
    if name.startswith("digits") and batch <= 128:
        return "≥ 3", speedup >= 3
    if name.startswith("MNIST") and batch >= 32:
        return "≥ 1/0.9", 1 / speedup <= 0.9  # the companion's time ≤ 0.9 × PyTorch's
    return "", None


def _sizes(sizes: Sequence[int]) -> str:
    return "-".join(map(str, sizes))


# --- 3: Adam on a million parameters ------------------------------------------------------------


def naive_adam(param, grad, state, lr=LR, betas=(0.9, 0.999), eps=1e-8) -> None:
    """Adam as the textbook writes it, one NumPy expression per line: every operation makes
    a new parameter-sized array."""
    beta1, beta2 = betas
    state["t"] += 1
    state["m"] = beta1 * state["m"] + (1 - beta1) * grad
    state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
    m_hat = state["m"] / (1 - beta1 ** state["t"])
    v_hat = state["v"] / (1 - beta2 ** state["t"])
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)


def adam_section(
    n: int = 10**6,
    dtypes: Sequence[type] = DTYPES,
    rounds: int = 30,
    block: float = 0.005,
    with_torch: bool = True,
) -> Section:
    """Each dtype is measured in a fresh process: how long the naive expression's temporary
    arrays take depends on the state of the memory allocator, which the process's history
    (the other sections) would otherwise set."""
    import multiprocessing

    section = Section(
        f"Adam step on {n:,} parameters",
        "One step of Adam on one array: the companion (in place, into scratch buffers "
        "reused every step) against the textbook NumPy expression (a new array for every "
        "operation; benchmarks/run.py:naive_adam) and PyTorch. Speed-up = their time / the "
        "companion's. Each dtype runs in a fresh process.",
        [
            "dtype",
            "companion ms",
            "naive ms",
            "torch ms",
            "fused ms",
            "vs naive",
            "vs torch",
            "vs fused",
            "bare ms",
            "naive / bare",
        ],
    )
    floors = []
    context = multiprocessing.get_context("spawn")
    for dtype in dtypes:
        name = np.dtype(dtype).name
        with context.Pool(1) as pool:
            t = pool.apply(_adam_times, (name, n, rounds, block, with_torch))
        ms = {k: 1e3 * best(v) for k, v in t.items()}
        speedup = ratio(t, "naive", "companion")
        bare = ratio(t, "naive", "bare")
        section.add(
            name,
            ms["companion"],
            ms["naive"],
            ms.get("torch", ""),
            ms.get("fused", ""),
            speedup,
            ratio(t, "torch", "companion") if with_torch else "",
            ratio(t, "fused", "companion") if with_torch else "",
            ms["bare"],
            bare,
            target="≥ 4 vs naive",
            met=speedup >= 4,
            what=f"Adam on {n:,} {name} parameters, speed-up {speedup:.2f} (bare NumPy {bare:.2f})",
        )
        floors.append(
            f"{name}: np.sqrt {ms['sqrt']:.2f} ms, np.divide {ms['divide']:.2f} ms, "
            f"np.multiply {ms['multiply']:.2f} ms"
        )
    section.notes.append(
        "What one pass over the array costs (a single ufunc, with out=), measured in the same "
        "rounds; Adam makes 12 such passes plus two reductions (the check that the gradient "
        "is finite), the naive expression 13 plus its allocations: " + "; ".join(floors) + "."
    )
    section.notes.append(
        "*bare* is the companion's 12 passes with nothing else: no check of the gradient, "
        "no state to look up (benchmarks/run.py:bare_adam). *naive / bare* is about what "
        "any in-place NumPy Adam gains over the naive expression: each needs its passes "
        "over memory, and differs only in allocating. Beyond that only a fused kernel "
        "goes, one pass doing all the arithmetic per element (PyTorch's fused=True)."
    )
    return section


def _adam_times(
    dtype_name: str, n: int, rounds: int, block: float, with_torch: bool
) -> dict[str, np.ndarray]:
    """The rounds of :func:`adam_section` for one dtype (run in a child process)."""
    pin(None)
    dtype = np.dtype(dtype_name).type
    rng = np.random.default_rng(0)
    param, grad = rng.standard_normal((2, n)).astype(dtype)
    ours, theirs = param.copy(), param.copy()
    opt = Adam([ours], lr=LR)
    state = {"t": 0, "m": np.zeros_like(param), "v": np.zeros_like(param)}
    positive, out = np.abs(grad) + 1, np.empty_like(param)
    bare = [param.copy(), grad, np.zeros_like(param), np.zeros_like(param), out]
    steps = itertools.count(1)
    contenders: dict[str, Callable[[], object]] = {
        "companion": lambda: opt.step([grad]),
        "naive": lambda: naive_adam(theirs, grad, state),
        "bare": lambda: bare_adam(*bare, next(steps)),
        "sqrt": lambda: np.sqrt(positive, out=out),
        "divide": lambda: np.divide(grad, positive, out=out),
        "multiply": lambda: np.multiply(grad, positive, out=out),
    }
    if with_torch:
        import torch

        for key, fused in (("torch", None), ("fused", True)):
            p = torch.from_numpy(param.copy()).requires_grad_()
            p.grad = torch.from_numpy(grad.copy())
            contenders[key] = torch.optim.Adam([p], lr=LR, fused=fused).step
    return interleaved(contenders, rounds, block)


# --- 4: gradient check ----------------------------------------------------------------------------


def gradient_check_section(
    sizes: Sequence[int] = (64, 128, 10), batch: int = 64, k: int = 100
) -> Section:
    from companion.data import digits
    from companion.gradients import gradient_check, relative_error

    data = digits(seed=0)
    X, y = data.X_train[:batch], data.y_train[:batch]
    model = mlp(list(sizes), seed=0)
    theta = np.concatenate([p.ravel() for p in model.params])

    def load(v: np.ndarray) -> None:
        start = 0
        for p in model.params:
            p[...] = v[start : start + p.size].reshape(p.shape)
            start += p.size

    def f(v: np.ndarray) -> float:
        load(v)
        return softmax_cross_entropy(model.forward(X), y)[0]

    def grad_f(v: np.ndarray) -> np.ndarray:
        load(v)
        _, dlogits = softmax_cross_entropy(model.forward(X), y)
        model.backward(dlogits)
        return np.concatenate([g.ravel() for g in model.grads])

    backprop = best(interleaved({"g": lambda: grad_f(theta)}, 10, 0.005)["g"])
    section = Section(
        f"Gradient check of the digits MLP {'-'.join(map(str, sizes))}",
        f"companion.gradients.gradient_check (central differences, h = 1e-5, float64) on "
        f"the loss of {batch} digits, against one backpropagation "
        f"({1e6 * backprop:.0f} µs).",
        [
            "coordinates",
            "seconds",
            "µs per coordinate",
            "× one backprop",
            "max rel. error",
            "verdict",
        ],
    )
    results = []
    for label, num in (("all", None), (f"{k} random", k)):
        start = time.perf_counter()
        result = gradient_check(f, grad_f, theta, num_checks=num, seed=0)
        seconds = time.perf_counter() - start
        results.append(result)
        section.add(
            f"{label} ({result.checked:,})",
            seconds,
            1e6 * seconds / result.checked,
            seconds / backprop,
            result.max_relative_error,
            result.verdict,
        )
    section.notes.append(
        f"{theta.size:,} parameters; each coordinate costs two forward passes, so checking "
        f"{k} random coordinates is {theta.size // k}× cheaper than checking all of them."
    )
    for result in results:
        if result.verdict != "correct":
            pairs = list(zip(result.analytic, result.numerical, strict=True))
            a, n = max(pairs, key=lambda pair: relative_error(*pair))
            roundoff = np.finfo(np.float64).eps * abs(f(theta)) / 1e-5
            why = (
                "within the round-off of any central difference here, so not a backprop "
                "error: a relative error judges tiny entries harshly (Chapter 1)"
                if abs(a - n) <= roundoff
                else "more than the round-off of a central difference here: look at it"
            )
            section.notes.append(
                f"Checking {result.checked:,} coordinates says {result.verdict} because of "
                f"the worst one, at {result.worst_index}: a gradient of {a:.3g} whose "
                f"central difference is off by {abs(a - n):.2g}, against ε|J|/h = "
                f"{roundoff:.1g}; {why}."
            )
    return section


# --- 5: widgets ---------------------------------------------------------------------------------


def _explorers() -> dict[str, Callable[[], object]]:
    """Every explorer class of the companion's widget modules, by name (found, not listed)."""
    import importlib
    import pkgutil

    import companion

    found = {}
    for info in pkgutil.iter_modules(companion.__path__):
        if not info.name.startswith("widgets"):
            continue
        module = importlib.import_module(f"companion.{info.name}")
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj) and (name.endswith("Explorer") or name.endswith("Race")):
                found[name] = obj
    return found


def _random_moves(explorer, n: int, rng: np.random.Generator) -> list[tuple[object, object]]:
    """``n`` random settings of each control of ``explorer``, in random order."""
    import ipywidgets as widgets

    moves = []
    for control in vars(explorer).values():
        if isinstance(control, widgets.FloatLogSlider):
            values = [control.base ** rng.uniform(control.min, control.max) for _ in range(n)]
        elif isinstance(control, widgets.FloatSlider):
            values = [float(rng.uniform(control.min, control.max)) for _ in range(n)]
        elif isinstance(control, widgets.IntSlider):
            values = [int(rng.integers(control.min, control.max + 1)) for _ in range(n)]
        elif isinstance(control, widgets.Checkbox):
            values = [bool(rng.integers(2)) for _ in range(n)]
        elif isinstance(
            control, widgets.SelectionSlider | widgets.Dropdown | widgets.ToggleButtons
        ):
            options = [o[1] if isinstance(o, tuple) else o for o in control.options]
            values = [options[rng.integers(len(options))] for _ in range(n)]
        else:
            continue
        moves += [(control, v) for v in values]
    return [moves[i] for i in rng.permutation(len(moves))]


def widget_section(moves: int = 20, in_kernel: bool = True, seed: int = 0) -> Section:
    import matplotlib

    matplotlib.use("Agg")
    import widget_descent

    section = Section(
        "Widgets: callback time",
        "Setting a control's value fires the callback a browser would fire: recompute, "
        "update the artists, repaint, encode the PNG. Every control of every explorer is "
        f"set to {moves} random values; Chapter 2's explorer is measured by "
        "benchmarks/widget_descent.py (start point and learning rate, per surface).",
        ["explorer", "moves", "median ms", "p90 ms", "max ms"],
    )
    rng = np.random.default_rng(seed)
    for name, cls in _explorers().items():
        if cls.__name__ == "DescentExplorer":
            continue
        explorer = cls()
        times = []
        for control, value in _random_moves(explorer, moves, rng):
            start = time.perf_counter()
            control.value = value
            times.append(1e3 * (time.perf_counter() - start))
        section.add(
            name, len(times), float(np.median(times)), float(np.percentile(times, 90)), max(times)
        )
    runs = {"in this process": widget_descent.measure(max(1, moves // 2))}
    if in_kernel:
        runs["in a Jupyter kernel"] = widget_descent.measure_in_kernel(max(1, moves // 2))
    for where, timings in runs.items():
        medians = [t[0] for t in timings.values()]
        median = float(np.median(medians))
        section.add(
            f"DescentExplorer, {where}",
            f"{3 * max(1, moves // 2)} × {len(timings)} surfaces",
            median,
            max(t[1] for t in timings.values()),
            "",
            target="median ≤ 50 ms",
            met=median <= 50,
            what=f"Chapter 2 explorer callback, {where}",
        )
    section.notes.append(
        "Outside a kernel the PNG goes nowhere; in a kernel it goes to the Output widget, as "
        "it does for a reader (the browser's own work is not counted). The target, a median "
        "of at most 50 ms, is the one benchmarks/widget_descent.py sets for Chapter 2's "
        "explorer; the course sets none for the others. Their moves include switching a "
        "surface or a precision, which repaints the whole figure."
    )
    return section


# --- 6: grader ------------------------------------------------------------------------------


def grader_section(n: int = 24, starts: int = 10) -> Section:
    import grade_throughput

    startup = grade_throughput.startup_seconds(starts)
    section = Section(
        "Grader throughput",
        "The batch grader on copies of three sample exercise-1 notebooks (right, partly "
        "right, untouched), with one worker: benchmarks/grade_throughput.py.",
        ["measure", "value", "unit"],
    )
    section.add("sandbox start-up (median)", 1e3 * statistics.median(startup), "ms")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "batch"
        folder.mkdir()
        grade_throughput.make_batch(folder, n)
        result = grade_throughput.throughput(folder, jobs=1)
    section.add("median time per submission", 1e3 * result["median_submission_s"], "ms")
    rate = result["per_second_per_core"]
    section.add(
        f"throughput ({result['submissions']} submissions, -j 1)",
        rate,
        "submissions/s/core",
        target="≥ 1 submission/s/core",
        met=rate >= 1,
        what="grader throughput",
    )
    return section


# --- 7: the book ------------------------------------------------------------------------------


#: What a copy of the repository leaves out when it is not a git checkout.
_NOT_COPIED = {".git", ".venv", "_build", "node_modules", "__pycache__", ".pytest_cache"}


def _copy_repository(dest: Path, root: Path = ROOT) -> None:
    """The working tree's files into ``dest``: those git tracks or would track (untracked but
    not ignored), or, outside a git checkout, all but build outputs and environments.
    ``node_modules`` (read only by the assets step) is linked, not copied."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
    )
    if listed.returncode == 0:
        names = [n for n in listed.stdout.decode().split("\0") if n]
    else:
        names = [
            str(path.relative_to(root))
            for path in root.rglob("*")
            if not _NOT_COPIED.intersection(path.relative_to(root).parts)
            and not path.name.endswith(".egg-info")
            and not any(part.endswith(".egg-info") for part in path.relative_to(root).parts)
        ]
    for name in names:
        source = root / name
        if source.is_file() and not source.is_symlink():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    (dest / "node_modules").symlink_to((root / "node_modules").resolve())


def _timed(
    command: list[str], cwd: Path, env: dict[str, str], cpus: set[int], log: Path
) -> tuple[float, int, str]:
    """Run ``command``; return its wall-clock seconds, exit code and output (also in ``log``)."""
    start = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),
    )
    seconds = time.perf_counter() - start
    log.write_text(done.stdout)
    return seconds, done.returncode, done.stdout


def _errors(output: str, limit: int = 3) -> str:
    """The first lines of a log that report an error, on one line."""
    lines = [
        line.strip()
        for line in output.splitlines()
        if any(word in line for word in ("Error", "error:", "FAILED", "failed", "Traceback"))
        and "WARNING | Kernel is running over TCP" not in line
    ]
    return " / ".join(line[:200] for line in lines[:limit]) or output.strip()[-200:]


def book_section(cpus: set[int], keep: bool = False, tests: bool = True) -> Section:
    section = Section(
        "Book and tests",
        "In a private copy of the working tree (never in the repository itself), with every "
        f"CPU ({len(cpus)}) and the machine's load as it was: the assets step and "
        "`jupyter-book build . -W -n --keep-going` from nothing, the same build again "
        "(notebooks from the execution cache), then the whole test suite "
        "(`pytest --nbval-lax --doctest-modules companion tests book exercises`).",
        ["step", "seconds", "result", "load before"],
    )
    bin_dir = Path(sys.executable).parent
    tmp = Path(tempfile.mkdtemp(prefix="bench_book_"))
    logs = Path(tempfile.mkdtemp(prefix="bench_book_logs_"))
    env = {**os.environ, "PYTHONPATH": str(tmp), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "CI"):
        env.pop(name, None)
    build = [str(bin_dir / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"]
    pytest = [sys.executable, "-m", "pytest", "--nbval-lax", "--doctest-modules"]
    pytest += ["companion", "tests", "book", "exercises", "-p", "no:cacheprovider", "-q"]
    try:
        _copy_repository(tmp)
        load = os.getloadavg()[0]
        assets = [sys.executable, "scripts/vendor_assets.py"]
        seconds, code, output = _timed(assets, tmp, env, cpus, logs / "assets.log")
        if code != 0:
            raise RuntimeError(f"scripts/vendor_assets.py failed: {_errors(output)}")
        cold, code, output = _timed(build, tmp, env, cpus, logs / "cold_build.log")
        total = seconds + cold
        section.add(
            "cold build",
            total,
            "built" if code == 0 else "FAILED (see the notes)",
            f"{load:.2f}",
            target="≤ 180 s",
            met=total <= 180 and code == 0,
            what="cold book build",
        )
        if code != 0:
            section.notes.append(f"The cold build failed: {_errors(output)}")
        load = os.getloadavg()[0]
        cached, code, output = _timed(build, tmp, env, cpus, logs / "cached_build.log")
        section.add(
            "rebuild from the cache",
            cached,
            "built" if code == 0 else "FAILED (see the notes)",
            f"{load:.2f}",
        )
        if code != 0:
            section.notes.append(f"The rebuild failed: {_errors(output)}")
        if tests:
            load = os.getloadavg()[0]
            seconds, code, output = _timed(pytest, tmp, env, cpus, logs / "tests.log")
            summary = (output.strip().splitlines() or ["?"])[-1].strip("= ").split(" in ")[0]
            section.add("test suite", seconds, summary, f"{load:.2f}")
            failed = [
                line.split(" - ")[0].removeprefix("FAILED ").removeprefix("ERROR ")
                for line in output.splitlines()
                if line.startswith(("FAILED ", "ERROR "))
            ]
            if failed:
                section.notes.append(
                    "Failed in this copy of the working tree: "
                    + ", ".join(f"`{name}`" for name in failed[:12])
                    + (f" and {len(failed) - 12} more" if len(failed) > 12 else "")
                )
    finally:
        if keep:
            section.notes.append(f"The copy is kept in {tmp}.")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"book: the logs are in {logs}", file=sys.stderr)
    return section


# --- the machine and the run ----------------------------------------------------------------------


def machine() -> list[str]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = [
        f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture', '?')}, "
        f"{i.get('num_threads')} thread)"
        for i in threadpool_info()
        if i.get("user_api") == "blas" and "numpy" in str(i.get("filepath"))
    ]
    lines = [
        f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {cpu}, {os.cpu_count()} CPUs; {platform.system()} {platform.release()}",
        f"Python {platform.python_version()}, NumPy {np.__version__} with "
        f"{', '.join(blas) or 'unknown BLAS'}",
    ]
    try:
        import torch

        lines.append(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread")
    except ImportError:
        lines.append("PyTorch not installed: its columns are empty")
    return lines


def pin(cpu: int | None) -> Callable[[], None]:
    """Pin this process to one CPU (unless ``cpu`` is None or negative), and NumPy's BLAS
    and PyTorch to one thread each. Returns a function that undoes it all."""
    allowed = os.sched_getaffinity(0)
    if cpu is not None and cpu >= 0:
        os.sched_setaffinity(0, {cpu})
    limits = threadpool_limits(limits=1)
    try:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
    except ImportError:
        torch = threads = None

    def undo() -> None:
        os.sched_setaffinity(0, allowed)
        limits.restore_original_limits()
        if torch is not None:
            torch.set_num_threads(threads)

    return undo


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a rough table")
    parser.add_argument(
        "--book",
        action="store_true",
        help="also build the book and run the tests in a private copy (minutes)",
    )
    parser.add_argument("--markdown", type=Path, help="also write the report as Markdown here")
    parser.add_argument(
        "--cpu", type=int, default=0, help="the CPU to pin to (default 0; -1: do not pin)"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        choices=["step", "adam", "gradcheck", "widgets", "grader", "book"],
        help="run only these sections",
    )
    args = parser.parse_args(argv)
    cpus = os.sched_getaffinity(0)  # for the book: every CPU this process may use
    undo = pin(args.cpu)
    try:
        return _run(args, cpus)
    finally:
        undo()


def _run(args: argparse.Namespace, cpus: set[int]) -> int:
    try:
        import torch  # noqa: F401

        with_torch = True
    except ImportError:
        with_torch = False
    rounds, block = (10, 0.003) if args.quick else (30, 0.005)
    wanted = set(args.only or ["step", "adam", "gradcheck", "widgets", "grader"])
    if args.book:
        wanted.add("book")
    load_start = os.getloadavg()
    started = time.perf_counter()
    sections: list[Section] = []

    def run(key: str, make: Callable[[], Section | tuple[Section, ...]]) -> None:
        if key not in wanted:
            return
        print(f"measuring: {key} ...", file=sys.stderr, flush=True)
        made = make()
        sections.extend(made if isinstance(made, tuple) else (made,))

    run("step", lambda: training_step_sections(rounds=rounds, block=block, with_torch=with_torch))
    run("adam", lambda: adam_section(rounds=rounds, block=block, with_torch=with_torch))
    run("gradcheck", gradient_check_section)
    run("widgets", lambda: widget_section(moves=6 if args.quick else 20, in_kernel=not args.quick))
    run("grader", lambda: grader_section(n=6 if args.quick else 24, starts=3 if args.quick else 10))
    run("book", lambda: book_section(cpus))
    load_end = os.getloadavg()
    header = [
        *machine(),
        f"pinned to CPU {args.cpu} (the book's build and tests use all CPUs)"
        if args.cpu >= 0
        else "not pinned to a CPU",
        f"load average (1, 5, 15 min) at start {', '.join(f'{x:.2f}' for x in load_start)}; "
        f"at end {', '.join(f'{x:.2f}' for x in load_end)}; the run took "
        f"{time.perf_counter() - started:.0f} s" + (" (--quick)" if args.quick else ""),
    ]
    print(render_text(sections, header))
    missed = [what for s in sections for what, met in s.targets if not met]
    met = sum(met for s in sections for _, met in s.targets)
    print(f"targets: {met} met, {len(missed)} missed")
    for what in missed:
        print(f"  missed: {what}")
    if args.markdown:
        args.markdown.write_text(render_markdown(sections, header))
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
