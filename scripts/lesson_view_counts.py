"""Count, per chapter, the machinery a reader sees and the code the chapter lists.

    PYTHONPATH=$PWD python scripts/lesson_view_counts.py [book/0*.ipynb ...]

Columns: visible `glue(...)` calls and lines of visible `assert` statements (code cells not
tagged ``remove-cell`` or ``remove-input``), and the lines of code that the chapter's
``show_source(...)`` calls list (each call evaluated with the chapter's own imports).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]
HIDDEN = {"remove-cell", "remove-input"}


def _tree(source: str) -> ast.Module:
    return ast.parse(TransformerManager().transform_cell(source))


def counts(path: Path) -> tuple[int, int, int]:
    """Return (visible glue calls, visible assert lines, listed lines) for one notebook."""
    notebook = nbformat.read(path, as_version=4)
    glues = asserts = 0
    imports: list[ast.stmt] = []
    calls: list[ast.expr] = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tree = _tree(cell.source)
        visible = not HIDDEN & set(cell.metadata.get("tags", []))
        imports += [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "show_source":
                calls.append(node)
            if not visible:
                continue
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "glue":
                glues += 1
            elif isinstance(node, ast.Assert):
                asserts += node.end_lineno - node.lineno + 1
    namespace: dict = {}
    exec(compile(ast.Module(imports, []), str(path), "exec"), namespace)  # noqa: S102
    listed = 0
    for call in calls:
        shown = eval(compile(ast.Expression(call), str(path), "eval"), namespace)  # noqa: S307
        text = getattr(shown, "code", None) or shown.data
        listed += len(text.rstrip("\n").splitlines())
    return glues, asserts, listed


def main(paths: list[str]) -> None:
    files = [Path(p) for p in paths] or sorted((ROOT / "book").glob("0*.ipynb"))
    total = [0, 0, 0]
    print(f"{'chapter':32} {'glue':>5} {'assert':>6} {'listed':>6}")
    for path in files:
        row = counts(path)
        total = [a + b for a, b in zip(total, row, strict=True)]
        print(f"{path.name:32} {row[0]:5} {row[1]:6} {row[2]:6}")
    print(f"{'total':32} {total[0]:5} {total[1]:6} {total[2]:6}")


if __name__ == "__main__":
    main(sys.argv[1:])
