"""The lesson view: chapters show the experiment and the teaching code, not the machinery.

- A visible code cell of a chapter holds no ``glue(...)`` call and no ``assert`` statement
  (they run in cells tagged ``remove-cell``/``remove-input``, so the build still checks them).
- The set-up cell is hidden in the built page.
- ``show_source`` lists code without docstrings (or a marked section, or a line range) and
  links the full source and the API entry; in the built book those links resolve.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from companion.autodiff import Value
from companion.book import SETUP_CELL, Listing, show_source
from companion.gradients import relative_error

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("0*.ipynb"))
HIDDEN = {"remove-cell", "remove-input"}


def machinery(source: str) -> list[str]:
    """The glue calls and assert statements in a cell's code, as source lines."""
    tree = ast.parse(TransformerManager().transform_cell(source))
    found = []
    for node in ast.walk(tree):
        is_glue = isinstance(node, ast.Call) and getattr(node.func, "id", None) == "glue"
        if is_glue or isinstance(node, ast.Assert):
            found.append(ast.get_source_segment(TransformerManager().transform_cell(source), node))
    return found


def visible_machinery(notebook: nbformat.NotebookNode) -> dict[str, list[str]]:
    return {
        cell.id: found
        for cell in notebook.cells
        if cell.cell_type == "code"
        and not HIDDEN & set(cell.metadata.get("tags", []))
        and (found := machinery(cell.source))
    }


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_visible_cells_hold_no_glue_or_assert(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    assert visible_machinery(notebook) == {}


def test_the_check_sees_glue_and_assert_in_a_visible_cell_only() -> None:
    shown = nbformat.v4.new_code_cell('x = 2\nglue("x", x)\nfor v in [x]:\n    assert v > 1')
    hidden = nbformat.v4.new_code_cell('glue("y", 3)', metadata={"tags": ["remove-cell"]})
    notebook = nbformat.v4.new_notebook(cells=[shown, hidden])
    assert visible_machinery(notebook) == {shown.id: ['glue("x", x)', "assert v > 1"]}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_setup_cell_is_hidden_in_the_built_page(path: Path) -> None:
    first = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert first.source == SETUP_CELL
    assert "remove-cell" in first.metadata.get("tags", [])


# --- show_source -------------------------------------------------------------------------


def marked(x):
    """A function with a marked section."""
    y = x + 1
    # --8<-- [start:core]
    z = 2 * y
    # --8<-- [end:core]
    return z


def test_listing_drops_the_docstrings_by_default() -> None:
    listing = show_source(Value)  # a class: its own and its methods' docstrings go
    assert isinstance(listing, Listing)
    assert '"""' not in listing.code and "def backward" in listing.code
    full = show_source(Value, docstring=True).code
    assert '"""' in full and len(full.splitlines()) > len(listing.code.splitlines())


def test_listing_shows_a_marked_section_or_a_line_range() -> None:
    assert show_source(marked, section="core").code == "z = 2 * y"
    assert "--8<--" not in show_source(marked).code
    assert show_source(marked, lines=(1, 3)).code == "def marked(x):\n    y = x + 1"
    assert (
        show_source(marked, lines=(2, 2), docstring=True).code
        == '"""A function with a marked section."""'
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"section": "nope"}, "section 'nope'"),
        ({"lines": (5, 99)}, "lines must be"),
        ({"lines": (1, 2), "section": "core"}, "not both"),
    ],
)
def test_listing_rejects_a_bad_selection(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        show_source(marked, **kwargs)


def test_listing_rejects_what_has_no_source() -> None:
    with pytest.raises(TypeError, match="obj must be"):
        show_source(len)


def test_listing_links_the_source_page_and_the_api_entry() -> None:
    listing = show_source(relative_error)
    assert listing.source_url == "../_modules/companion/gradients.html#relative_error"
    assert listing.api_url == "../book/appendix/api.html#companion.gradients.relative_error"
    markdown = listing._repr_markdown_()
    assert markdown.startswith("```python\ndef relative_error(")
    assert f"[Full source]({listing.source_url})" in markdown
    assert f"[API reference]({listing.api_url})" in markdown


@pytest.mark.parametrize("method", [Value._topological_order, Value.__mul__, Value.tanh])
def test_a_method_the_api_does_not_document_links_its_class(method) -> None:
    # private, or public without a docstring: autodoc's :members: leaves them out
    listing = show_source(method)
    assert listing.source_url.endswith("autodiff.html#Value")
    assert listing.api_url.endswith("#companion.autodiff.Value")


def test_a_re_exported_function_links_the_module_that_documents_it() -> None:
    from companion.optim import momentum_rate
    from companion.training import minibatch_sgd

    assert show_source(momentum_rate).api_url.endswith("#companion.optim.momentum_rate")
    assert show_source(minibatch_sgd).source_url.endswith(
        f"{minibatch_sgd.__module__.replace('.', '/')}.html#minibatch_sgd"
    )
    assert show_source(minibatch_sgd).api_url.endswith("#companion.training.minibatch_sgd")


# --- in the built book -------------------------------------------------------------------

HTML = ROOT / "_build" / "html"
LINK = re.compile(r'<a class="reference external" href="(\.\./[^"#]+)(?:#([^"]*))?">')


@pytest.mark.skipif(not (HTML / "book").is_dir(), reason="the book is not built")
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_listing_links_resolve_in_the_built_book(path: Path) -> None:
    page = (HTML / "book" / f"{path.stem}.html").read_text()
    links = [(f, a) for f, a in LINK.findall(page) if "_modules/" in f or "appendix/api" in f]
    listings = page.count("Full source</a>")
    assert len([f for f, _ in links if "_modules/" in f]) == listings
    for file, anchor in links:
        target = (HTML / "book" / file).resolve()
        assert target.is_file(), file
        if anchor:
            assert f'id="{anchor}"' in target.read_text(), f"{file}#{anchor}"
