"""The code learners read is ruff clean — the package, every notebook, the tests (STYLE.md).

ruff runs with the repository's own configuration (``pyproject.toml``), over everything it
would check from the root: chapters and exercise notebooks included, since a learner reads
their code as closely as the package's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("what", "args"),
    [("lint", ("check", "--output-format", "concise")), ("format", ("format", "--check"))],
)
def test_ruff_finds_nothing_to_change(what, args):
    result = _ruff(*args)
    assert result.returncode == 0, f"ruff {what}:\n{result.stdout}{result.stderr}"


def test_the_check_covers_every_notebook_and_module():
    # if a config excluded the notebooks, the test above would pass without reading them
    listed = _ruff("check", "--show-files").stdout
    shown = {Path(line.strip()).resolve() for line in listed.splitlines() if line.strip()}
    wanted = [
        *ROOT.glob("book/*.ipynb"),
        *ROOT.glob("exercises/**/*.ipynb"),
        *ROOT.glob("companion/**/*.py"),
        *ROOT.glob("benchmarks/*.py"),
        *ROOT.glob("tests/*.py"),
    ]
    assert len(wanted) > 60
    missing = sorted(str(p.relative_to(ROOT)) for p in wanted if p.resolve() not in shown)
    assert not missing, f"ruff does not check {missing}"
