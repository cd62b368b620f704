"""Chapter 9 (book/09_deep_training.ipynb): the rules of a chapter notebook, checked statically.

nbval runs the notebook (its remove-cell ``assert`` cells check every claim the prose makes);
these tests check what nbval cannot see, without running it again: the committed file's shape,
figure captions and alt text, citations, that the readable rules are shown rather than
copied, and that every name the prose quotes is glued by exactly one code cell.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from companion.book import SETUP_CELL

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "book" / "09_deep_training.ipynb"
GLUE_ROLE = re.compile(r"\{glue:text\}`([^`:]+)(?::[^`]*)?`")
GLUE_CALL = re.compile(r"""glue\(\s*f?["']([^"']+)["']""")


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    return nbformat.read(CHAPTER, as_version=4)


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def markdown(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_the_chapter_is_in_the_toc_and_on_the_landing_page():
    assert "book/09_deep_training" in (ROOT / "_toc.yml").read_text()
    assert "{doc}`09_deep_training`" in (ROOT / "book" / "intro.md").read_text()


def test_setup_cell_first_then_imports_and_style_and_no_outputs(notebook):
    cells = code_cells(notebook)
    assert cells[0].source == SETUP_CELL and cells[0].metadata.get("tags") == ["remove-cell"]
    assert "import numpy as np" in cells[1].source and "use_style()" in cells[1].source
    for cell in cells:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_every_figure_cell_has_a_caption_a_name_and_alt_text(notebook):
    figures = [c for c in code_cells(notebook) if "plt.show()" in c.source]
    assert len(figures) >= 6
    names = []
    for cell in figures:
        options = cell.metadata.get("mystnb", {})
        figure, image = options.get("figure", {}), options.get("image", {})
        assert len(figure.get("caption", "")) > 40, cell.source[:60]
        assert figure.get("name", "").startswith("fig-deep-"), cell.source[:60]
        assert len(image.get("alt", "")) > 40, cell.source[:60]
        assert cell.source.count("plt.show()") == 1
        assert "glue(" not in cell.source and "print(" not in cell.source
        names.append(figure["name"])
    assert len(names) == len(set(names))


def test_glue_and_asserts_live_in_removed_cells(notebook):
    for cell in code_cells(notebook):
        if re.search(r"^\s*(glue\(|assert )", cell.source, flags=re.MULTILINE):
            assert cell.metadata.get("tags") == ["remove-cell"], cell.source[:60]


def test_every_quoted_number_is_glued_by_a_code_cell(notebook):
    quoted = set(GLUE_ROLE.findall(markdown(notebook)))
    glued = set()
    for cell in code_cells(notebook):
        for name in GLUE_CALL.findall(cell.source):
            if "{" in name:  # an f-string, e.g. f"mem_{name}_mlp": match the quoted names
                pattern = re.compile("^" + re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(name)) + "$")
                glued |= {q for q in quoted if pattern.match(q)}
            else:
                glued.add(name)
    assert quoted, "the prose quotes no computed numbers"
    assert quoted <= glued, sorted(quoted - glued)


def test_citations_exist_in_the_bibliography(notebook):
    keys = set(re.findall(r"\{cite:p\}`([^`]+)`", markdown(notebook)))
    keys = {k.strip() for group in keys for k in group.split(",")}
    expected = {"pascanu2013", "ioffe2015", "ba2016", "reddi2018", "liu2020", "dozat2016"}
    expected |= {"shazeer2018", "chen2023", "jordan2024", "kingma2015"}
    assert expected <= keys
    bib = (ROOT / "book" / "references.bib").read_text()
    for key in keys:
        assert re.search(r"@\w+\{" + re.escape(key) + ",", bib), key


def test_the_readable_rules_are_shown_not_copied(notebook):
    sources = "\n".join(c.source for c in code_cells(notebook))
    for name in ("clip_grad_norm", "batchnorm_forward", "batchnorm_backward", "radam", "nadam",
                 "adafactor", "lion", "newton_schulz", "muon"):  # fmt: skip
        assert f"show_source({name})" in sources
        assert f"def {name}(" not in sources
