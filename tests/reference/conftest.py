"""The reference suite: companion checked against PyTorch, its test-only dependency.

PyTorch is imported plainly, not with ``pytest.importorskip``: under ``make test`` (which
installs requirements-test.txt) a missing torch must fail the run, never skip these tests
silently. Nothing outside tests/ and benchmarks/ may import it (test_torch_is_test_only.py).

PyTorch runs on one thread, so that its results do not depend on the machine's core count.
The default dtype is left alone: every tensor here is made from a NumPy array and keeps its
dtype, and every layer is built with an explicit dtype.
"""

from __future__ import annotations

try:
    import torch
except ImportError as missing:  # pragma: no cover - the message is the point
    raise ImportError(
        "tests/reference compares companion with PyTorch, a test-only dependency: install it "
        "with `.venv/bin/pip install -r requirements-test.txt` (`make test` does)"
    ) from missing

from _torch_reference import WORST

torch.set_num_threads(1)


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the largest error each kind of comparison produced, next to its tolerance."""
    if not WORST:
        return
    terminalreporter.section("companion vs PyTorch: largest error seen (tolerance)")
    width = max(map(len, WORST))
    for kind in sorted(WORST):
        err, tol = WORST[kind]
        terminalreporter.write_line(f"{kind:<{width}}  {err:9.2e}  ({tol:g})")
