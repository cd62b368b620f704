"""The book for every reader: dark mode, a phone, the favicon, legible graph labels.

Every page of the book (``_toc.yml`` plus what the build made) is opened in the theme's dark
mode on a desktop and on a 375 px phone, and the widget pages also in light mode:

* text in widgets, tables and cell outputs has WCAG AA contrast (4.5:1, 3:1 for large text),
  computed from the browser's computed styles (colours composited over the backgrounds behind
  them);
* every figure sits on a light ground and is not dimmed;
* on the phone nothing is wider than the screen: not the page, not a code block (code wraps),
  not a figure.

Screenshots of the dark-mode visits land in ``_build/screenshots/`` next to the others
(``*.dark.png``, ``*.dark-phone.png``).
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import pytest
import yaml
from _browser_site import (
    HTML,
    ROOT,
    all_pages,
    chapter_pages,
    slug,
    toc_pages,
    widget_pages,
)
from conftest import READY_JS, READY_TIMEOUT_MS, VIEWPORTS

PAGES = all_pages()
CHAPTER_PAGES = {p.html for p in chapter_pages(toc_pages())}
READER_JS = (Path(__file__).parent / "reader.js").read_text(encoding="utf-8")
#: WCAG 2 relative luminance of the lightest ground a figure may sit on (white is 1; the
#: theme's light grey #ced6dd is 0.66; its dark page #121212 is 0.006).
LIGHT_GROUND = 0.6
#: Chapter 3's computational graphs: their smallest label, in CSS pixels at 1280 px.
GRAPH_CHAPTER = "book/03_backpropagation"
MIN_LABEL_PX = 10.0


@pytest.fixture(scope="session")
def read(browser: Any, server: Any, screenshots: Path) -> Callable[[str, str, str], dict]:
    """``read(page, viewport, scheme)``: what reader.js finds on the page, once per session."""
    cache: dict[tuple[str, str, str], dict] = {}

    def get(page: str, viewport: str, scheme: str) -> dict:
        key = (page, viewport, scheme)
        if key in cache:
            return cache[key]
        context = browser.new_context(
            viewport=VIEWPORTS[viewport], color_scheme=scheme, service_workers="block"
        )
        local = re.escape(server.origin + "/")
        context.route(
            re.compile(rf"^(?!{local}|data:|blob:|about:)"), lambda r: r.abort("blockedbyclient")
        )
        try:
            tab = context.new_page()
            response = tab.goto(server.url(page), wait_until="load", timeout=READY_TIMEOUT_MS)
            assert response is not None and response.status == 200, f"{page} did not load"
            error = tab.evaluate(READY_JS, READY_TIMEOUT_MS)
            assert error is None, f"{page} ({viewport}, {scheme}): {error}"
            data = tab.evaluate(READER_JS)
            if scheme == "dark":
                # The whole page in dark mode: a chapter's figures and widgets (long pages such
                # as the API reference only their first screen: full-page shots of them are slow).
                suffix = "dark" if viewport == "desktop" else "dark-phone"
                shot = screenshots / f"{slug(page)}.{suffix}.png"
                shot.parent.mkdir(parents=True, exist_ok=True)
                tab.screenshot(
                    path=str(shot), full_page=page in CHAPTER_PAGES, animations="disabled"
                )
        finally:
            context.close()
        cache[key] = data
        return data

    return get


def _contrast_problems(data: dict) -> list[str]:
    return [
        f"{t['where']} {t['text']!r}: contrast {t['ratio']}:1, needs {t['needed']}:1"
        for t in data["text"]
        if t["ratio"] < t["needed"]
    ]


def _figure_problems(data: dict) -> list[str]:
    problems = []
    for figure in data["figures"]:
        if figure["ground"] < LIGHT_GROUND:
            problems.append(f"{figure['src']}: on a dark ground (luminance {figure['ground']})")
        if figure["filter"] not in ("none", ""):
            problems.append(f"{figure['src']}: dimmed by filter {figure['filter']}")
    return problems


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_dark_mode_keeps_text_and_figures_legible(read, page: str, viewport: str) -> None:
    data = read(page, viewport, "dark")
    assert data["theme"] == "dark", f"{page}: the theme did not switch to dark mode"
    problems = _contrast_problems(data) + _figure_problems(data)
    assert not problems, f"{page} (dark, {viewport}):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page", widget_pages())
def test_light_mode_widget_text_has_contrast(read, page: str) -> None:
    data = read(page, "desktop", "light")
    assert data["theme"] == "light"
    assert any(t["inWidget"] for t in data["text"]), f"{page}: no widget text found"
    problems = _contrast_problems(data) + _figure_problems(data)
    assert not problems, f"{page} (light):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_phone_shows_everything_within_the_screen(read, page: str) -> None:
    """At 375 px the page does not scroll sideways, code blocks wrap rather than scroll inside
    themselves, and figures scale down to the column."""
    layout = read(page, "phone", "dark")["layout"]
    problems = []
    if layout["scrollWidth"] > layout["innerWidth"] + 1:
        problems.append(f"the page is {layout['scrollWidth']}px wide on {layout['innerWidth']}px")
    problems += [f"code scrolls sideways: {c}" for c in layout["code"]]
    problems += [f"figure wider than the screen: {i}" for i in layout["wideImages"]]
    assert not problems, f"{page} (375 px):\n  " + "\n  ".join(problems)


def test_every_page_links_the_favicon_and_the_site_serves_it(server) -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    shipped = ROOT / config["html"]["favicon"]
    assert shipped.is_file(), f"the favicon {shipped} is not in the repository"
    icon = re.compile(r"""<link\s+rel="(?:shortcut )?icon"\s+href="([^"]+)\"""")
    for page in PAGES:
        html = (HTML / page).read_text(encoding="utf-8")
        match = icon.search(html)
        assert match, f"{page} links no favicon"
        url = urllib.parse.urljoin(server.url(page), match.group(1))
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (local)
            assert response.status == 200
            assert response.headers.get_content_type().startswith("image/"), url
            assert response.read() == shipped.read_bytes(), f"{url} is not {shipped.name}"


# --------------------------------------------------------------------------------------------
# Chapter 3's computational graphs: labels of at least 10 px on a 1280 px screen


def _chapter_graph_label_px() -> list[float]:
    """Run chapter 3's code up to its last graph drawing (Agg, no kernel) and return, for every
    figure it shows, its smallest text size in pixels of the saved PNG (the book's dpi)."""
    import matplotlib.pyplot as plt

    nb = json.loads((ROOT / f"{GRAPH_CHAPTER}.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    last = max(i for i, source in enumerate(cells) if "draw_graph(" in source)
    shown: list[float] = []
    namespace: dict[str, Any] = {"__name__": "__chapter__"}
    previous_backend = matplotlib.get_backend()
    plt.switch_backend("Agg")
    real_show = plt.show

    recording = [False]  # only the figures of the cells that call draw_graph count

    def show(*args: Any, **kwargs: Any) -> None:
        for number in plt.get_fignums() if recording[0] else []:
            figure = plt.figure(number)
            drawn = [t for ax in figure.axes for t in ax.texts if t.get_text().strip()]
            if drawn:
                dpi = matplotlib.rcParams["savefig.dpi"]
                dpi = figure.dpi if dpi == "figure" else dpi
                shown.append(min(t.get_fontsize() for t in drawn) * dpi / 72)
        plt.close("all")

    plt.show = show
    try:
        for source in cells[: last + 1]:
            if "%pip" in source or source.lstrip().startswith(("%", "!")):
                continue  # the set-up cell (installs companion elsewhere)
            recording[0] = "draw_graph(" in source
            exec(compile(source, GRAPH_CHAPTER, "exec"), namespace)  # noqa: S102
            show()
    finally:
        plt.show = real_show
        plt.close("all")
        plt.switch_backend(previous_backend)
    return shown


def test_chapter_three_graph_labels_are_legible_at_1280px(visit) -> None:
    sizes = _chapter_graph_label_px()
    assert sizes, f"{GRAPH_CHAPTER} draws no computational graph"
    opened = visit(f"{GRAPH_CHAPTER}.html", "desktop")
    try:
        # How much the page shrinks its figures at 1280 px (1 = shown at their own size).
        scales = opened.page.evaluate(
            "() => [...document.querySelectorAll('article div.cell')]"
            ".filter((c) => (c.querySelector('.cell_input') || {}).textContent"
            "?.includes('draw_graph('))"
            ".flatMap((c) => [...c.querySelectorAll('.cell_output img')])"
            ".filter((i) => i.naturalWidth > 0)"
            ".map((i) => i.getBoundingClientRect().width / i.naturalWidth)"
        )
    finally:
        opened.close()
    assert len(scales) == len(sizes), (
        f"{GRAPH_CHAPTER}: {len(sizes)} graph figures drawn, {len(scales)} shown by the page"
    )
    scale = min(1.0, min(scales))
    smallest = min(sizes) * scale
    assert smallest >= MIN_LABEL_PX, (
        f"the smallest graph label in {GRAPH_CHAPTER} is {smallest:.1f}px at 1280px "
        f"({min(sizes):.1f}px in the image, shown at {scale:.2f}x); want >= {MIN_LABEL_PX}px"
    )


# --------------------------------------------------------------------------------------------
# Numbering: figures (and numbered equations) count within their chapter


@pytest.mark.parametrize(
    ("number", "page"),
    list(enumerate([p for p in toc_pages() if "chapter" in p.part.lower()], start=1)),
)
def test_figures_and_equations_are_numbered_within_their_chapter(number: int, page) -> None:
    html = (HTML / page.html).read_text(encoding="utf-8")
    h1 = re.findall(r"<h1>\s*<span class=\"section-number\">([^<]*)</span>", html)
    assert h1 == [f"{number}. "], f"{page.html}: the chapter is not numbered {number}: {h1}"
    figures = re.findall(r"<span class=\"caption-number\">Fig\. ([\d.]+)\s*</span>", html)
    assert figures == [f"{number}.{k}" for k in range(1, len(figures) + 1)], (
        f"{page.html}: figure numbers {figures}"
    )
    equations = re.findall(r"<span class=\"eqno\">\(([\d.]+)\)", html)
    assert equations == [f"{number}.{k}" for k in range(1, len(equations) + 1)], (
        f"{page.html}: equation numbers {equations}"
    )
