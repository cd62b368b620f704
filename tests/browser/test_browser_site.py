"""The book as a whole in the browser: links and anchors, search, launch and download buttons.

Like test_browser_pages.py, every list of pages here is derived from ``_toc.yml`` and the build.
"""

from __future__ import annotations

import json
import posixpath
import re
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from _browser_site import (
    HTML,
    ROOT,
    all_pages,
    chapter_pages,
    d3_format,
    redirect_pages,
    redirect_target,
    source_pages,
    toc_pages,
)

PAGES = all_pages()
#: Every page a link may point into: viewcode's source pages too.
LINKED_PAGES = PAGES + source_pages()
TOC = toc_pages()
CHAPTERS = chapter_pages(TOC)
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))

#: Terms a reader of chapter 1 would search for; each must occur in chapter 1's text (checked
#: first, so a rewrite of the chapter fails here with a clear message instead of a puzzling one).
CHAPTER_ONE_TERMS = ["central difference", "round-off"]


def test_every_page_of_the_table_of_contents_is_built() -> None:
    missing = [p.html for p in TOC if not (HTML / p.html).is_file()]
    assert not missing, f"pages in _toc.yml missing from the build (run `make book`): {missing}"
    assert CHAPTERS, "no chapter found in _toc.yml"


@pytest.mark.parametrize("page", redirect_pages())
def test_the_site_root_leads_to_the_landing_page(visit, page: str) -> None:
    opened = visit(page, wait_ready=False)
    landing = f"/{TOC[0].html}"
    try:
        # A meta refresh: the browser moves on after the redirect page itself has loaded.
        opened.page.wait_for_url(lambda url: urlsplit(url).path == landing, timeout=10_000)
        opened.page.wait_for_load_state("load")
        assert not opened.problems(), "\n".join(opened.problems())
    except Exception as error:
        if "Timeout" not in type(error).__name__:
            raise
        pytest.fail(f"{page} stays at {opened.page.url} instead of leading to {landing}")
    finally:
        opened.close()


# --------------------------------------------------------------------------------------------
# Links and anchors


_fetched: dict[str, tuple[int, bytes]] = {}


def fetch(url: str) -> tuple[int, bytes]:
    """GET a URL of the local server once per session: (status, body)."""
    if url not in _fetched:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (local)
                _fetched[url] = (response.status, response.read())
        except urllib.error.HTTPError as error:
            _fetched[url] = (error.code, b"")
    return _fetched[url]


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_and_anchors_resolve(observe, server, page: str) -> None:
    """Every same-site link of the page answers 200, and its #anchor exists in the target's DOM
    (the target page as the browser built it, from the same session's visit)."""
    problems = []
    for link in observe(page, "desktop").data["links"]:
        if not link.startswith(server.origin + "/"):
            continue  # another site (launch buttons, repository, references): not requested
        parts = urlsplit(link)
        target = unquote(parts.path).lstrip("/") or "index.html"
        status, _ = fetch(link.split("#", 1)[0])
        if status != 200:
            problems.append(f"{link} answers {status}")
            continue
        anchor = unquote(parts.fragment)
        if not anchor:
            continue
        if target not in LINKED_PAGES:
            problems.append(f"{link}: an anchor into {target}, which is not a page of the book")
        elif anchor not in observe(target, "desktop").data["ids"]:
            problems.append(f"{link}: no element with id {anchor!r} in {target}")
    assert not problems, f"{page}:\n  " + "\n  ".join(sorted(set(problems)))


# --------------------------------------------------------------------------------------------
# Search


@pytest.mark.parametrize("term", CHAPTER_ONE_TERMS)
def test_search_finds_chapter_one(visit, observe, term: str) -> None:
    chapter = CHAPTERS[0].html
    text = observe(chapter, "desktop").data["text"].lower()
    assert term.lower() in text, f"{term!r} no longer occurs in {chapter}: pick another term"

    opened = visit(f"search.html?q={urllib.request.quote(term)}")
    try:
        page = opened.page
        page.wait_for_function(
            "() => document.querySelector('#search-results .search-summary')"
            " && !document.querySelector('#search-results .search-summary')"
            ".textContent.includes('Preparing')",
            timeout=15_000,
        )
        hits = page.eval_on_selector_all(
            "#search-results ul.search li a", "links => links.map(a => a.href)"
        )
        summary = page.inner_text("#search-results .search-summary")
        assert not opened.problems(), "\n".join(opened.problems())
    finally:
        opened.close()
    found = [urlsplit(h).path.lstrip("/") for h in hits]
    assert chapter in found, f"searching {term!r} does not list {chapter} ({summary!r}): {found}"


# --------------------------------------------------------------------------------------------
# Launch and download buttons of chapter pages


REPOSITORY = CONFIG["repository"]["url"].removeprefix("https://github.com/").strip("/")
BRANCH = CONFIG["repository"].get("branch", "main")


def _open_menu(page, label: str) -> list[dict]:
    """Click the header button with this aria-label; return its menu's visible items."""
    button = page.locator(f'button[aria-label="{label}"]')
    assert button.count() == 1, f"no {label!r} button in the page header"
    button.click()
    menu = button.locator("xpath=following-sibling::ul[1]")
    menu.wait_for(state="visible", timeout=5_000)
    return menu.locator("a").evaluate_all(
        "links => links.map(a => ({text: a.textContent.trim(), href: a.href,"
        " visible: a.checkVisibility()}))"
    )


@pytest.mark.parametrize("chapter", [c.html for c in CHAPTERS])
def test_chapter_has_launch_buttons_and_notebook_download(visit, server, chapter: str) -> None:
    notebook = chapter.removesuffix(".html") + ".ipynb"
    opened = visit(chapter, wait_ready=False)  # the header buttons need no math or widgets
    try:
        launch = _open_menu(opened.page, "Launch interactive content")
        opened.page.keyboard.press("Escape")
        download = _open_menu(opened.page, "Download this page")
    finally:
        opened.close()

    colab = f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{notebook}"
    binder = f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}"
    shown = [item for item in launch if item["visible"]]
    assert any(i["href"] == colab for i in shown), (
        f"{chapter}: no Colab button for {colab}: {launch}"
    )
    assert any(i["href"].startswith(binder) and notebook in i["href"] for i in shown), (
        f"{chapter}: no Binder button opening {notebook}: {launch}"
    )

    notebooks = [i["href"] for i in download if i["visible"] and i["href"].endswith(".ipynb")]
    assert notebooks, f"{chapter}: the download menu offers no .ipynb: {download}"
    assert notebooks[0].startswith(server.origin + "/"), f"{chapter}: download leaves the site"
    status, body = fetch(notebooks[0])
    assert status == 200, f"{chapter}: downloading {notebooks[0]} answers {status}"
    nb = json.loads(body)
    assert nb.get("nbformat") == 4 and nb.get("cells"), f"{notebooks[0]} is not a notebook"


# --------------------------------------------------------------------------------------------
# The checks themselves


@pytest.mark.parametrize(
    ("spec", "value", "js"),
    [  # what d3-format (as ipywidgets uses it) prints, checked against JavaScript by hand
        (".1e", 0.5, "5.0e-1"),
        (".2e", 1.8181818181818181, "1.82e+0"),
        (".2f", -0.5718911086754463, "-0.57"),
        (".2f", 0.125, "0.13"),  # toFixed rounds ties away from zero; Python's format would not
        ("d", 200, "200"),
        (".3g", 0.0001234, "0.000123"),
        (".3g", 1234567.0, "1.23e+6"),
        (".0%", 0.256, "26%"),
        (",.1f", 12345.67, "12,345.7"),
    ],
)
def test_readout_format_port_matches_javascript(spec: str, value: float, js: str) -> None:
    assert d3_format(spec, value) == js


def test_redirect_detection() -> None:
    index = HTML / "index.html"
    if index.is_file():
        assert redirect_target(index) == TOC[0].html


@pytest.mark.parametrize("page", source_pages())
def test_source_page_links_and_anchors_resolve(page: str) -> None:
    """viewcode's source pages the browser does not visit (one template, ~50 pages): every
    same-site link names a built file, and its #anchor is an id in that file's HTML (the
    [docs] links into the API page; sphinx writes those ids into the HTML, no script adds
    them)."""
    html = (HTML / page).read_text(encoding="utf-8")
    problems = []
    for href in sorted(set(re.findall(r'href="([^"]+)"', html))):
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue  # another site
        target = page
        if parts.path:
            target = posixpath.normpath(
                posixpath.join(posixpath.dirname(page), unquote(parts.path))
            )
        path = HTML / target
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            problems.append(f"{href}: no file {target}")
            continue
        anchor = unquote(parts.fragment)
        if anchor and path.suffix == ".html":
            if f'id="{anchor}"' not in path.read_text(encoding="utf-8"):
                problems.append(f"{href}: no element with id {anchor!r} in {target}")
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)
