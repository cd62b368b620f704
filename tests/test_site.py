"""Tests on the built website in ``_build/html`` (run ``make book`` first).

They prove that the pages a reader opens exist, that no page loads a script or stylesheet
from another site (so math and widgets work offline and nothing leaks to a CDN), that the
assets served from the build instead are really there, and that chapter pages offer their
launch and download links. Only the standard library parses the HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"

LANDING = "book/intro.html"
#: Every chapter notebook in the table of contents (the "Chapters" part of _toc.yml).
CHAPTERS = sorted(
    f"book/{path.stem}.html"
    for path in (ROOT / "book").glob("*.ipynb")
    if f"file: book/{path.stem}" in (ROOT / "_toc.yml").read_text()
)
APPENDIX = sorted(
    f"book/appendix/{path.stem}.html"
    for path in (ROOT / "book" / "appendix").glob("*.md")
    if f"file: book/appendix/{path.stem}" in (ROOT / "_toc.yml").read_text()
)

#: The files the pages load instead of CDN copies (see _config.yml and scripts/vendor_assets.py).
VENDORED = {
    "MathJax": "_static/mathjax/tex-mml-chtml.js",
    "require.js": "_static/requirejs/require.js",
    "ipywidgets HTML manager": "_static/html-manager/embed-amd.js",
    "the HTML manager's font path": "_static/html-manager/assets-path.js",
    "the MathJax 2 shim for the HTML manager": "_static/html-manager/mathjax-compat.js",
}

REPOSITORY = "gd-course/gradient-descent-course"

# An absolute (http:, https:) or protocol-relative (//host) URL: it leaves the site.
EXTERNAL_URL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
# Inside inline code: a quoted external URL that is loaded, not merely mentioned.
_QUOTED_EXTERNAL = r"""["'`]\s*(?:https?:)?//"""
LOADS_EXTERNAL = re.compile(
    "|".join(
        [
            rf"\b(?:src|href)\s*[=:]\s*{_QUOTED_EXTERNAL}",  # el.src = "//…", {src: "https://…"}
            rf"\b(?:import|importScripts|fetch|require|requirejs|loadScript)\s*\(\s*\[?\s*"
            rf"{_QUOTED_EXTERNAL}",  # import("https://…"), require(["https://…"])
            r"""@import\s+(?:url\(\s*)?["']?\s*(?:https?:)?//""",  # CSS @import
            r"""\burl\(\s*["']?\s*(?:https?:)?//""",  # CSS url(https://…)
            r"""<script[^>]+src\s*=\s*["']?\s*(?:https?:)?//""",  # document.write('<script src=…')
            r"""\b[A-Z_]*(?:JS|CSS|SCRIPT|CDN)[A-Z_]*URL\s*=\s*["'`]\s*(?:https?:)?//""",
        ]
    ),
    re.IGNORECASE,
)
# Script types that hold data, not code (widget state, JSON configuration).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
DATA_SCRIPT_PREFIXES = ("application/vnd.jupyter.",)
LOADING_RELS = {"stylesheet", "preload", "modulepreload"}


@dataclass
class PageAudit:
    """What one HTML page loads: external loads found, and every local script/style URL."""

    external: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)


class _ResourceParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.audit = PageAudit()
        self._inline: str | None = None  # "script" or "style" while inside one
        self._inline_text: list[str] = []

    def _url(self, what: str, url: str | None) -> None:
        if url is None or not url.strip():
            return
        if EXTERNAL_URL.match(url):
            self.audit.external.append(f"{what} {url}")
        else:
            self.audit.local.append(url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        for name, value in attrs:
            if name == "data-jupyter-widgets-cdn" and value and EXTERNAL_URL.match(value):
                self.audit.external.append(f"<{tag} data-jupyter-widgets-cdn> {value}")
        if tag == "script":
            self._url("<script src>", attr.get("src"))
            script_type = (attr.get("type") or "").lower()
            is_data = script_type in DATA_SCRIPT_TYPES or script_type.startswith(
                DATA_SCRIPT_PREFIXES
            )
            if attr.get("src") is None and not is_data:
                self._inline, self._inline_text = "script", []
        elif tag == "link":
            rels = set((attr.get("rel") or "").lower().split())
            if rels & LOADING_RELS:
                self._url(f"<link rel={'/'.join(sorted(rels))} href>", attr.get("href"))
        elif tag == "style":
            self._inline, self._inline_text = "style", []

    def handle_data(self, data: str) -> None:
        if self._inline is not None:
            self._inline_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._inline:
            code = "".join(self._inline_text)
            for match in LOADS_EXTERNAL.finditer(code):
                self.audit.external.append(f"inline <{tag}> loads: {match.group(0).strip()}…")
            self._inline, self._inline_text = None, []


def audit_html(html: str) -> PageAudit:
    """Return the external loads and local script/style URLs of one HTML document."""
    parser = _ResourceParser()
    parser.feed(html)
    parser.close()
    return parser.audit


def external_loads(html: str) -> list[str]:
    """Every way ``html`` would load a script or stylesheet from another site."""
    return audit_html(html).external


# --------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def site() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.fail(f"No built site in {HTML}: run `make book` first.", pytrace=False)
    return HTML


@pytest.fixture(scope="module")
def pages(site: Path) -> dict[str, str]:
    """Every page of the built site, by path relative to the site root.

    ``_static/`` holds the themes' Jinja template fragments (``*-macros.html``), not pages.
    """
    return {
        p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(site.rglob("*.html"))
        if p.relative_to(site).parts[0] != "_static"
    }


def _links(html: str) -> list[str]:
    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.hrefs: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            href = dict(attrs).get("href")
            if tag == "a" and href:
                self.hrefs.append(href)

    parser = Links()
    parser.feed(html)
    return parser.hrefs


# --------------------------------------------------------------------------------------------
# The pages exist


@pytest.mark.parametrize("page", ["index.html", LANDING, *CHAPTERS, *APPENDIX])
def test_page_is_built(site: Path, page: str) -> None:
    assert (site / page).is_file(), f"{page} is missing from the built site"


def test_references_page_lists_the_cited_papers(pages: dict[str, str]) -> None:
    references = pages["book/appendix/references.html"]
    for author in ["Polyak", "Nesterov", "Duchi", "Kingma", "Loshchilov"]:
        assert author in references, f"{author} is missing from the bibliography"


# --------------------------------------------------------------------------------------------
# Nothing loads from a CDN


def test_no_page_loads_an_external_script_or_stylesheet(pages: dict[str, str]) -> None:
    offenders = {name: found for name, html in pages.items() if (found := external_loads(html))}
    assert not offenders, f"pages load scripts or styles from other sites: {offenders}"


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>',
        '<script defer src="//cdnjs.cloudflare.com/ajax/libs/require.js/2.3.4/require.min.js">'
        "</script>",
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">',
        '<link rel="preload" as="script" href="http://example.org/x.js">',
        '<script src="_static/embed-amd.js" data-jupyter-widgets-cdn="https://unpkg.com/">'
        "</script>",
        '<script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"</script>',
        "<script>var s = document.createElement('script'); s.src = '//cdn.example.com/a.js';"
        "</script>",
        '<script>require(["https://cdn.example.com/widget.js"], function () {})</script>',
        "<style>@import url('https://fonts.googleapis.com/css?family=Roboto');</style>",
    ],
)
def test_the_check_catches_a_cdn_load(snippet: str) -> None:
    page = f"<!DOCTYPE html><html><head>{snippet}</head><body><p>Hi</p></body></html>"
    assert external_loads(page), f"the CDN check missed: {snippet}"


def test_the_check_allows_local_assets_and_plain_links() -> None:
    page = """<html><head>
      <script defer src="../_static/mathjax/tex-mml-chtml.js?v=1"></script>
      <link rel="stylesheet" href="../_static/styles/theme.css">
      <link rel="canonical" href="https://example.org/book/">
      <script type="application/vnd.jupyter.widget-state+json">{"url": "https://x.org/"}</script>
      <script>window.MathJax = {"options": {"processHtmlClass": "math"}}</script>
    </head><body><a href="https://colab.research.google.com/github/a/b">Colab</a></body></html>"""
    audit = audit_html(page)
    assert audit.external == []
    assert "../_static/mathjax/tex-mml-chtml.js?v=1" in audit.local


# --------------------------------------------------------------------------------------------
# What the pages load instead is in the build


@pytest.mark.parametrize("name", sorted(VENDORED))
def test_vendored_asset_is_in_the_build(site: Path, pages: dict[str, str], name: str) -> None:
    asset = VENDORED[name]
    assert (site / asset).is_file(), f"{name} ({asset}) is missing: run `make book`"
    chapter = CHAPTERS[0]  # relative URLs resolve to paths from the site root
    loaded = {urljoin(chapter, urlsplit(u).path) for u in audit_html(pages[chapter]).local}
    assert asset in loaded, f"{chapter} does not load {name} from {asset}"


def test_every_local_script_and_stylesheet_exists(site: Path, pages: dict[str, str]) -> None:
    missing = set()
    for name, html in pages.items():
        for url in audit_html(html).local:
            path = unquote(urlsplit(urljoin(name, url)).path)
            if not (site / path).is_file():
                missing.add(f"{name}: {url}")
    assert not missing, f"pages load files that are not in the build: {sorted(missing)}"


def test_mathjax_fonts_are_in_the_build(site: Path) -> None:
    fonts = site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert list(fonts.glob("*.woff")), f"MathJax's fonts are missing from {fonts}"


# --------------------------------------------------------------------------------------------
# Chapter pages can be launched and downloaded


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_colab_binder_and_download_links(
    site: Path, pages: dict[str, str], chapter: str
) -> None:
    notebook = chapter.removesuffix(".html") + ".ipynb"
    links = _links(pages[chapter])
    colab = f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/{notebook}"
    assert colab in links, f"{chapter} has no Colab link to {colab}"
    binder = [u for u in links if u.startswith(f"https://mybinder.org/v2/gh/{REPOSITORY}/main")]
    assert binder and notebook in binder[0], f"{chapter} has no Binder link to {notebook}"
    downloads = [u for u in links if u.endswith(".ipynb") and not EXTERNAL_URL.match(u)]
    assert downloads, f"{chapter} has no download link for its notebook"
    target = unquote(urlsplit(urljoin(chapter, downloads[0])).path)
    assert (site / target).is_file(), f"the download link of {chapter} points to a missing file"
