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


def test_the_check_sees_the_notebooks(tmp_path):
    # a notebook with an unused import must fail, or the test above proves nothing about them
    notebook = tmp_path / "bad.ipynb"
    notebook.write_text(
        '{"cells": [{"cell_type": "code", "execution_count": null, "id": "a", "metadata": {},'
        ' "outputs": [], "source": ["import os\\n"]}], "metadata": {}, "nbformat": 4,'
        ' "nbformat_minor": 5}\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "F401", str(notebook)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "F401" in result.stdout
