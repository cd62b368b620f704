"""Benchmark (not a test): how long the Chapter 2 explorer's callback takes for 200 steps.

Run from the repository root::

    .venv/bin/python benchmarks/widget_descent.py

For every 2-D surface of the explorer it moves the start-point and learning-rate sliders to
many random values with a 200-step budget. Setting a slider's value fires the same callback
a slider in a browser fires — rerun gradient descent, update the artists and the readout,
repaint the figure and encode the PNG sent to the page — so the time of the assignment is
the callback's time. It prints the median and the 90th percentile per surface (the slower
moves are those that change the loss axis's range and so repaint the static background).
The target is a median of at most 50 ms.

It measures twice: in this process, where there is no page to send the picture to, and inside
a Jupyter kernel (started with jupyter_client), where the callback also hands the PNG to the
Output widget, as it does for a reader — only the browser's own work is left out.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from companion.widgets import DescentExplorer  # noqa: E402


def _moves(explorer: DescentExplorer, n: int, rng: np.random.Generator) -> list:
    """``3 n`` slider settings: start points across the window and rates around the default."""
    moves = []
    for _ in range(n):
        for slider in (explorer.start_x, explorer.start_y):
            moves.append((slider, float(rng.uniform(slider.min, slider.max))))
        moves.append((explorer.lr, float(explorer.lr.value * rng.uniform(0.3, 1.5))))
    return moves


def measure(n: int = 30, seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """Per surface: median and 90th-percentile callback time, and the median of update() alone
    (gradient descent and the artists' data, without painting), all in milliseconds."""
    rng = np.random.default_rng(seed)
    explorer = DescentExplorer(steps=200)
    timings = {}
    for name in explorer.surfaces:
        explorer.surface.value = name
        callback, update = [], []
        for slider, value in _moves(explorer, n, rng):
            begin = time.perf_counter()
            slider.value = value  # fires the callback, exactly as the browser does
            callback.append(time.perf_counter() - begin)
            begin = time.perf_counter()
            explorer.update()
            update.append(time.perf_counter() - begin)
        timings[name] = (
            1e3 * float(np.median(callback)),
            1e3 * float(np.percentile(callback, 90)),
            1e3 * float(np.median(update)),
        )
    return timings


def measure_in_kernel(n: int = 30) -> dict[str, tuple[float, float, float]]:
    """:func:`measure`, run inside a fresh Jupyter kernel."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    lines: list[str] = []

    def collect(message: dict) -> None:
        if message["msg_type"] == "stream":
            lines.append(message["content"]["text"])

    try:
        here = str(Path(__file__).resolve().parent)
        code = (
            f"import sys, json; sys.path.insert(0, {here!r}); import widget_descent; "
            f"print('RESULT' + json.dumps(widget_descent.measure({n})))"
        )
        client.execute_interactive(code, timeout=600, output_hook=collect)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    text = "".join(lines)
    return {k: tuple(v) for k, v in json.loads(text.split("RESULT", 1)[1]).items()}


def report(title: str, timings: dict[str, tuple[float, float, float]]) -> None:
    print(title)
    print(f"  {'surface':15s} {'median':>7s} {'p90':>7s} {'update()':>9s}")
    for name, (median, p90, update) in timings.items():
        print(f"  {name:15s} {median:7.1f} {p90:7.1f} {update:9.1f}")
    overall = float(np.median([t[0] for t in timings.values()]))
    print(f"  median over surfaces: {overall:.1f} ms")


if __name__ == "__main__":
    print("Chapter 2 explorer, 200 steps: callback time in ms (target: median <= 50)")
    report("in this process (no page to update):", measure())
    report("in a Jupyter kernel (the PNG goes to the Output widget):", measure_in_kernel())
