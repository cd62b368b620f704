"""Chapter 1 (book/01_gradients.ipynb): the rules a chapter notebook must follow.

nbval runs the notebook's cells (and their ``assert`` cells check the numbers); these tests
check what nbval cannot see: the committed file's shape, figure captions and alt text, links,
citations, and that every number the prose quotes is actually glued by a code cell.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from companion.book import SETUP_CELL

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "book" / "01_gradients.ipynb"
EXERCISE_URL = (
    "https://github.com/gd-course/gradient-descent-course/blob/main/exercises/01_gradients.ipynb"
)
COLAB_URL = (
    "https://colab.research.google.com/github/gd-course/gradient-descent-course/blob/main/"
    "exercises/01_gradients.ipynb"
)
GLUE_ROLE = re.compile(r"\{glue:text\}`([^`:]+)(?::[^`]*)?`")


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    return nbformat.read(CHAPTER, as_version=4)


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def markdown(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_first_code_cell_is_the_verbatim_hidden_setup_cell(notebook):
    first = code_cells(notebook)[0]
    assert first.source == SETUP_CELL
    assert first.metadata.get("tags") == ["remove-cell"]


def test_second_code_cell_imports_companion_and_applies_the_style(notebook):
    second = code_cells(notebook)[1].source
    assert "import numpy as np" in second
    assert "use_style()" in second


def test_notebook_is_committed_without_outputs(notebook):
    for cell in code_cells(notebook):
        assert cell.outputs == [], cell.source[:60]
        assert cell.execution_count is None, cell.source[:60]
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_no_paired_markdown_file_sits_next_to_the_notebook():
    assert not CHAPTER.with_suffix(".md").exists()


def test_every_figure_cell_has_a_caption_a_name_and_alt_text(notebook):
    figure_cells = [c for c in code_cells(notebook) if "plt.show()" in c.source]
    assert len(figure_cells) >= 6
    names = []
    for cell in figure_cells:
        options = cell.metadata.get("mystnb", {})
        figure, image = options.get("figure", {}), options.get("image", {})
        assert len(figure.get("caption", "")) > 40, cell.source[:60]
        assert figure.get("name", "").startswith("fig-"), cell.source[:60]
        assert len(image.get("alt", "")) > 40, cell.source[:60]
        assert cell.source.count("plt.show()") == 1  # one output, so one figure per cell
        assert "glue(" not in cell.source and "print(" not in cell.source
        names.append(figure["name"])
    assert len(names) == len(set(names))


def test_the_widget_is_displayed(notebook):
    assert any("secant_explorer()" in c.source for c in code_cells(notebook))


def test_links_to_the_exercise_notebook_and_colab(notebook):
    text = markdown(notebook)
    assert EXERCISE_URL in text
    assert COLAB_URL in text


def test_citations_exist_in_the_bibliography(notebook):
    keys = set(re.findall(r"\{cite\}`([^`]+)`", markdown(notebook)))
    assert {"nocedal2006", "griewank2008", "goldberg1991"} <= keys
    bibliography = ROOT / "book" / "references.bib"
    if not bibliography.exists():
        pytest.skip("book/references.bib not written yet")
    bib = bibliography.read_text()
    for key in keys:
        assert re.search(r"@\w+\{" + re.escape(key) + ",", bib), key


def test_the_real_companion_code_is_shown_not_copied(notebook):
    sources = "\n".join(c.source for c in code_cells(notebook))
    for name in ("numerical_gradient", "relative_error", "gradient_check", "derivative_errors"):
        assert f"show_source({name})" in sources
    assert "def numerical_gradient" not in sources


def run_in_process(notebook) -> list[str]:
    """Run the code cells in an in-process IPython shell; return the names passed to glue.

    No kernel is started (nbclient's widget-cell stall, jupyter/nbclient#312, cannot
    happen here), figures go to the non-interactive Agg backend and are closed after each
    cell, and ``companion.book.glue`` is replaced by a recorder before the notebook
    imports it.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from IPython.core.interactiveshell import InteractiveShell

    import companion.book

    glued: list[str] = []
    original_glue = companion.book.glue
    companion.book.glue = lambda name, value, display=False: glued.append(name)
    shell = InteractiveShell.instance()
    try:
        for cell in code_cells(notebook):
            result = shell.run_cell(cell.source, silent=True)
            plt.close("all")
            if not result.success:
                raise AssertionError(f"cell failed: {cell.source[:80]!r}") from (
                    result.error_before_exec or result.error_in_exec
                )
    finally:
        companion.book.glue = original_glue
        InteractiveShell.clear_instance()
    return glued


@pytest.mark.filterwarnings("ignore:FigureCanvasAgg is non-interactive:UserWarning")
def test_every_number_the_prose_quotes_is_glued_by_a_code_cell(notebook):
    """Every {glue:text} name in the prose is glued exactly once, and nothing is glued unused."""
    glued = run_in_process(notebook)
    duplicates = sorted({name for name in glued if glued.count(name) > 1})
    assert not duplicates, f"glued more than once: {duplicates}"
    used = set(GLUE_ROLE.findall(markdown(notebook)))
    assert used, "the prose quotes no computed numbers"
    assert used <= set(glued), f"quoted but never glued: {sorted(used - set(glued))}"
    assert set(glued) <= used, f"glued but never quoted: {sorted(set(glued) - used)}"
