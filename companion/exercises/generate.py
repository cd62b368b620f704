"""Generate learner notebooks from the instructor's sources.

Run from the course repository::

    python -m companion.exercises.generate           # exercises/source/*.ipynb -> exercises/
    python -m companion.exercises.generate --check   # exit 1 if a learner notebook is stale

In a source notebook, solutions sit between nbgrader's markers::

    def numerical_gradient(f, x, h=1e-5):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

and the learner's version gets nbgrader's stub in their place, at the same indentation::

        # YOUR CODE HERE
        raise NotImplementedError()

Lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` are removed, and in
markdown cells a solution becomes "YOUR ANSWER HERE", as nbgrader does, so the same sources
also work with ``nbgrader generate_assignment``. Outputs and execution counts are cleared.
The result is deterministic: the same source always gives byte-identical output.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

__all__ = ["learner_notebook", "learner_source", "main", "render"]

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = ("YOUR ANSWER HERE",)


class MarkerError(ValueError):
    """A BEGIN marker without its END (or the reverse) in a source cell."""


def _replace_regions(lines: list[str], begin: str, end: str, stub: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped == begin:
            if inside:
                raise MarkerError(f"line {number}: {begin!r} inside another region")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in stub)
        elif stripped == end:
            if not inside:
                raise MarkerError(f"line {number}: {end!r} without {begin!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{begin!r} is never closed by {end!r}")
    return out


def learner_source(source: str, cell_type: str = "code") -> str:
    """The learner's version of one cell's source text."""
    lines = source.split("\n")
    lines = _replace_regions(lines, BEGIN_HIDDEN, END_HIDDEN, ())
    stub = CODE_STUB if cell_type == "code" else MARKDOWN_STUB
    return "\n".join(_replace_regions(lines, BEGIN_SOLUTION, END_SOLUTION, stub))


def learner_notebook(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The learner's version of a whole source notebook (the source is not modified)."""
    notebook = copy.deepcopy(source)
    for index, cell in enumerate(notebook.cells):
        try:
            cell.source = learner_source(cell.source, cell.cell_type)
        except MarkerError as error:
            raise MarkerError(f"cell {index}: {error}") from None
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def render(notebook: nbformat.NotebookNode) -> str:
    """The notebook as the exact text written to disk."""
    return nbformat.writes(notebook) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m companion.exercises.generate",
        description="Generate learner notebooks (stubs) from the instructor's sources.",
    )
    parser.add_argument("--source", type=Path, default=Path("exercises/source"))
    parser.add_argument("--dest", type=Path, default=Path("exercises"))
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if any output is stale"
    )
    args = parser.parse_args(argv)

    sources = sorted(args.source.glob("*.ipynb"))
    if not sources:
        parser.error(f"no source notebooks in {args.source}")
    stale = []
    for path in sources:
        text = render(learner_notebook(nbformat.read(path, as_version=4)))
        target = args.dest / path.name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(target)
        if not args.check:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    if args.check and stale:
        print("stale learner notebooks (run python -m companion.exercises.generate):")
        for target in stale:
            print(f"  {target}")
        return 1
    if not stale:
        print(f"{len(sources)} learner notebook(s) up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
