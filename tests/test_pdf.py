"""The book as one PDF (``make pdf``, scripts/build_pdf.py), checked from its text and images.

The PDF printed from the built site must hold its pages in table-of-contents order (each
page's title in its text and as a bookmark), the figures as images, and no raw TeX (MathJax
typeset the math before Chromium printed it).

Printing the whole book takes minutes on a busy machine, so ``make test`` does not: unless
``make pdf`` has already printed this very site (``_build/pdf/book.pdf`` newer than every page,
then that PDF is checked whole), the fixture prints a subset that covers each kind of page —
the landing page, a chapter with math, figures and an explorer, chapter 3's graphs, and an
appendix page — with the same script. ``BOOK_PDF_TEST=full`` prints the whole book instead.
Needs the built book (``make book``) and Debian's Chromium, like tests/browser.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
PDF = ROOT / "_build" / "pdf" / "book.pdf"
#: What the test prints when there is no up-to-date full PDF (see the module docstring).
SUBSET = ["book/intro", "book/01_gradients", "book/03_backpropagation", "book/appendix/notation"]
sys.path.insert(0, str(ROOT / "scripts"))
import build_pdf  # noqa: E402

# What Sphinx writes around math for MathJax to typeset: \( \) inline, \[ \] or $$ displayed,
# \begin{align} ...; printed only if MathJax had not run. (Code listings may quote TeX
# macros in docstrings, so macros alone are not a sign.)
RAW_TEX = re.compile(r"\$\$|\\[()[\]]|\\begin\{")


def _title(docname: str) -> str:
    """The page's <h1> text as the site shows it (section number included)."""
    html = (HTML / f"{docname}.html").read_text(encoding="utf-8")
    h1 = re.findall(r"<h1>(.*?)</h1>", html, flags=re.S)[-1]  # the article's, not the print one
    text = re.sub(r"<a class=\"headerlink\".*?</a>", "", h1)
    text = re.sub(r"<[^>]+>", "", text)
    return " ".join(text.replace("&#8217;", "’").split())


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """``(pdf, docnames it holds)``: the full PDF if ``make pdf`` printed this site, else a
    fresh print of :data:`SUBSET` (in a subprocess: the browser tests' Playwright may be
    running in this one)."""
    if not (HTML / "index.html").is_file():
        pytest.fail(f"No built book in {HTML}: run `make book` first.", pytrace=False)
    everything = build_pdf.toc_docnames()
    newest_page = max(p.stat().st_mtime for p in HTML.rglob("*.html"))
    if PDF.is_file() and PDF.stat().st_mtime > newest_page:
        return PDF, everything
    docnames = everything if os.environ.get("BOOK_PDF_TEST") == "full" else SUBSET
    assert set(docnames) <= set(everything), f"{SUBSET} names pages not in _toc.yml"
    out = tmp_path_factory.mktemp("pdf") / "book.pdf"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_pdf.py"), "--out", str(out), "--pages"]
        + docnames,
        check=True,
        cwd=ROOT,
    )
    return out, docnames


@pytest.fixture(scope="module")
def reader(printed: tuple[Path, list[str]]):
    return pypdf.PdfReader(printed[0])


@pytest.fixture(scope="module")
def page_texts(reader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


def test_every_page_of_the_book_is_in_the_pdf_in_order(printed, page_texts) -> None:
    docnames = printed[1]
    found, start = [], 0
    for docname in docnames:
        title = _squash(_title(docname))
        where = next(
            (i for i in range(start, len(page_texts)) if title in _squash(page_texts[i])), None
        )
        assert where is not None, (
            f"{docname}: its title {_title(docname)!r} is not in the PDF after page {start + 1}"
        )
        found.append(where)
        start = where
    assert found == sorted(found)


def test_every_page_has_a_bookmark(printed, reader) -> None:
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    titles = [_title(d) for d in printed[1]]
    assert [_squash(t) for t in top] == [_squash(t) for t in titles], top


def test_no_raw_tex_in_the_pdf(page_texts) -> None:
    found = [
        f"page {number}: …{text[max(0, m.start() - 40) : m.end() + 40]!r}…"
        for number, text in enumerate(page_texts, start=1)
        if (m := RAW_TEX.search(text))
    ]
    assert not found, "raw TeX in the PDF:\n  " + "\n  ".join(found[:10])


def test_figures_are_in_the_pdf(printed, reader) -> None:
    """At least as many images in the PDF as the site's pages show figures (PNG outputs and
    figure directives); widget frames count too (one shown per explorer)."""
    expected = 0
    for docname in printed[1]:
        html = (HTML / f"{docname}.html").read_text(encoding="utf-8")
        expected += len(re.findall(r"<img\b", html))
    images = sum(len(page.images) for page in reader.pages)
    assert expected > 0
    assert images >= expected, f"the PDF has {images} images; the pages show {expected}"
