"""Every notebook of the course follows the same rules: clean, set up, offline, portable."""

from __future__ import annotations

import re

import nbformat
import pytest
import yaml
from _nbtools import ROOT

import companion
from companion.book import REPOSITORY, SETUP_CELL

CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb")) + sorted(
    (ROOT / "exercises" / "source").glob("*.ipynb")
)
NOTEBOOKS = CHAPTERS + EXERCISES
ids = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]

# What a notebook must never do when it runs: fetch things from the network.
NETWORK = re.compile(
    r"urlretrieve|urlopen|requests\.(get|post)|wget|curl |fetch_openml|fetch_mldata|http\.client"
)


def test_there_are_chapters_and_exercises():
    assert CHAPTERS and EXERCISES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_first_code_cell_is_the_guarded_setup_cell(path):
    notebook = nbformat.read(path, as_version=4)
    first = next(c for c in notebook.cells if c.cell_type == "code")
    assert first.source == SETUP_CELL
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_makes_no_network_calls(path):
    notebook = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    code = code.replace(SETUP_CELL, "")  # its install runs only where companion is missing
    assert not NETWORK.search(code)


def test_setup_cell_installs_this_version_from_this_repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == REPOSITORY
    assert f"git+{REPOSITORY}@v{companion.__version__}" in SETUP_CELL
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{companion.__version__}"' in pyproject
    assert 'name = "gd-course-companion"' in pyproject and '"gd-course-companion @' in SETUP_CELL


def test_setup_cell_does_nothing_where_companion_is_installed():
    calls = []

    class FakeIPython:
        def run_line_magic(self, *args):
            calls.append(args)

    from IPython.core.inputtransformer2 import TransformerManager

    code = TransformerManager().transform_cell(SETUP_CELL)
    exec(code, {"get_ipython": FakeIPython})  # noqa: S102
    assert calls == []
    # and where it is missing, it would install exactly the pinned package
    exec(code.replace('"companion"', '"no_such_module_xyz"'), {"get_ipython": FakeIPython})  # noqa: S102
    assert len(calls) == 1 and calls[0][0] == "pip"
    assert f"@v{companion.__version__}" in calls[0][1]


# A link from a notebook into the published book or into the repository's files.
BOOK_LINK = re.compile(r"gradient-descent-course/book/([\w/]+)\.html")
REPO_FILE_LINK = re.compile(r"gradient-descent-course/blob/main/([\w/.-]+\.ipynb)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_links_to_the_book_and_the_repository_resolve(path):
    """A renamed chapter or exercise must not leave a notebook linking to a missing page."""
    text = path.read_text(encoding="utf-8")
    toc = (ROOT / "_toc.yml").read_text()
    for page in BOOK_LINK.findall(text):
        assert f"file: book/{page}\n" in toc, f"links to book/{page}.html, which is not built"
    for file in REPO_FILE_LINK.findall(text):
        assert (ROOT / file).is_file(), f"links to {file}, which does not exist"


def test_the_link_checker_sees_links():
    chapter_links = [link for path in CHAPTERS for link in REPO_FILE_LINK.findall(path.read_text())]
    exercise_links = [link for path in EXERCISES for link in BOOK_LINK.findall(path.read_text())]
    assert chapter_links and exercise_links
