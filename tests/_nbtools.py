"""Load the functions a notebook defines, for tests of exercise notebooks (trusted code only)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]


def notebook_namespace(notebook: nbformat.NotebookNode | Path) -> dict:
    """Execute a notebook's code cells, except `check(...)` calls, and return the namespace.

    IPython syntax (the set-up cell's ``%pip``) is translated first; its guarded branch does
    not run where companion is installed.
    """
    if isinstance(notebook, Path):
        notebook = nbformat.read(notebook, as_version=4)
    transform = TransformerManager().transform_cell
    namespace: dict = {"__name__": "__notebook__"}
    for cell in notebook.cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith("check("):
            continue
        exec(compile(transform(cell.source), "<cell>", "exec"), namespace)  # noqa: S102
    return namespace
