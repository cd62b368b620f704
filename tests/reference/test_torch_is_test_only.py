"""PyTorch is a test-only dependency: never needed to read the book or run the notebooks.

Nothing in companion imports it (read from the source, and checked by importing every module
in a fresh interpreter), no notebook imports or installs it, the requirements of the course
and of the package leave it out, and the pin the tests install is the version this suite
compares against.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted((ROOT / "companion").rglob("*.py"))
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb")) + sorted((ROOT / "exercises").rglob("*.ipynb"))
TORCH_PIN = "2.13.0"


def is_torch(name: str | None) -> bool:
    return name is not None and (name == "torch" or name.startswith("torch."))


def torch_imports(source: str) -> list[str]:
    """Every import of torch in Python source: statements, and ``__import__``/``import_module``
    calls with the name written out."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if is_torch(alias.name)]
        elif isinstance(node, ast.ImportFrom) and is_torch(node.module):
            found.append(node.module)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            arg = node.args[0]
            if name in ("__import__", "import_module") and isinstance(arg, ast.Constant):
                found += [arg.value] if is_torch(str(arg.value)) else []
    return found


def test_the_check_finds_imports_of_torch():
    source = "import torch.nn as nn\nfrom torch import optim\nimportlib.import_module('torch')"
    assert torch_imports(source) == ["torch.nn", "torch", "torch"]
    assert torch_imports("import torchlike\nx = 'torch'") == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_companion_module_imports_torch(path):
    assert torch_imports(path.read_text(encoding="utf-8")) == []


def test_importing_every_companion_module_leaves_torch_unimported():
    names = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in MODULES
        if p.name != "__main__.py"  # a command-line entry point: it would run
    ]
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_notebook_imports_or_installs_torch(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert not re.search(r"(pip|conda)\s+install[^\n]*\btorch", cell.source), cell.source
        python = "\n".join(  # IPython's magics and shell lines are not Python: pass them
            re.sub(r"^(\s*)[%!].*", r"\1pass", line) for line in cell.source.splitlines()
        )
        assert torch_imports(python) == [], cell.source[:80]


def requirement_names(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        re.split(r"[=<>!~\[; ]", line.strip(), maxsplit=1)[0].lower()
        for line in lines
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_the_course_requirements_leave_torch_out():
    names = requirement_names(ROOT / "requirements.txt")
    assert names and not [n for n in names if n.startswith("torch")]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    listed = re.search(r"^dependencies = \[(.*?)\]", pyproject, re.MULTILINE | re.DOTALL)
    dependencies = re.findall(r'"([A-Za-z0-9_.-]+)', listed.group(1))
    assert dependencies and not [d for d in dependencies if d.lower().startswith("torch")]


def test_the_test_requirements_pin_the_torch_this_suite_runs():
    lines = (ROOT / "requirements-test.txt").read_text(encoding="utf-8").splitlines()
    assert f"torch=={TORCH_PIN}" in [line.strip() for line in lines]
    assert torch.__version__.split("+")[0] == TORCH_PIN, torch.__version__
