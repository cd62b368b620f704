"""The book as one PDF (``make pdf``, scripts/build_pdf.py), checked from its text and images.

The PDF printed from the built site must hold its pages in table-of-contents order (each
page's title in its text and as a bookmark), the figures as images, and no raw TeX (MathJax
typeset the math before Chromium printed it).

Printing the whole book takes about two minutes and reading its 300 pages back another one or
more, so by default the test prints, with the same script, a subset that covers each kind of
page: the landing page, a chapter with math, figures and an explorer, chapter 3's graphs, and an
appendix page. ``BOOK_PDF_TEST=full`` checks the whole book: the PDF ``make pdf`` wrote, if it
is newer than every page of the site, else a fresh print of every page.
Needs the built book (``make book``) and Debian's Chromium, like tests/browser.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
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
RAW_TEX = [r"\$\$", r"\\\(", r"\\\)", r"\\\[", r"\\\]", r"\\begin\{"]


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
    """``(pdf, docnames it holds)``: :data:`SUBSET` printed afresh, or the whole book (see the
    module docstring). Printed in a subprocess: the browser tests' Playwright may be running
    in this one."""
    if not (HTML / "index.html").is_file():
        pytest.fail(f"No built book in {HTML}: run `make book` first.", pytrace=False)
    everything = build_pdf.toc_docnames()
    full = os.environ.get("BOOK_PDF_TEST") == "full"
    newest_page = max(p.stat().st_mtime for p in HTML.rglob("*.html"))
    if full and PDF.is_file() and PDF.stat().st_mtime > newest_page:
        return PDF, everything
    docnames = everything if full else SUBSET
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


@pytest.fixture(scope="module")
def page_ranges(printed, reader) -> dict[str, range]:
    """Which PDF pages hold each printed docname, from the top-level bookmarks."""
    starts = [
        reader.get_destination_page_number(item)
        for item in reader.outline
        if not isinstance(item, list)
    ]
    assert len(starts) == len(printed[1]), "one top-level bookmark per printed page"
    ends = starts[1:] + [len(reader.pages)]
    return {d: range(a, b) for d, a, b in zip(printed[1], starts, ends, strict=True)}


def _code_text(docname: str) -> str:
    """The text of the page's code blocks (listings may quote TeX in their docstrings)."""
    html = (HTML / f"{docname}.html").read_text(encoding="utf-8")
    blocks = re.findall(r"<pre\b.*?</pre>", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", "", "".join(blocks)))


def test_no_raw_tex_in_the_pdf(page_ranges, page_texts) -> None:
    """TeX delimiters left in the printed text mean MathJax had not typeset the page: each may
    occur only as often as the page's code listings quote it."""
    problems = []
    for docname, pages in page_ranges.items():
        text = "\n".join(page_texts[i] for i in pages)
        code = _code_text(docname)
        for pattern in RAW_TEX:
            printed_count = len(re.findall(pattern, text))
            quoted = len(re.findall(pattern, code))
            if printed_count > quoted:
                m = re.search(pattern, text)
                problems.append(
                    f"{docname}: {pattern!r} {printed_count}x (code quotes it {quoted}x), "
                    f"e.g. …{text[max(0, m.start() - 40) : m.end() + 40]!r}…"
                )
    assert not problems, "raw TeX in the PDF:\n  " + "\n  ".join(problems)


def test_figures_are_in_the_pdf(page_ranges, reader) -> None:
    """Each page's figures (the images Sphinx saved to _images/) are images in its part of the
    PDF; the explorers' frames come on top."""
    problems = []
    total = 0
    for docname, pages in page_ranges.items():
        html = (HTML / f"{docname}.html").read_text(encoding="utf-8")
        figures = len(re.findall(r"<img\b[^>]*\bsrc=\"[^\"]*_images/", html))
        images = sum(len(reader.pages[i].images) for i in pages)
        total += figures
        if images < figures:
            problems.append(f"{docname}: {images} images in the PDF, {figures} figures on the page")
    assert not problems, "\n".join(problems)
    if any(d.startswith("book/0") for d in page_ranges):
        assert total > 0, "no figure found in the printed chapters"
