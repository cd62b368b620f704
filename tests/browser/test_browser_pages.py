"""Every page of the built book, opened in headless Chromium the way a reader opens it.

The pages come from ``_toc.yml`` plus whatever else the build made (search, index), so a new
chapter is tested as soon as it is in the table of contents. Each page is loaded once on a
desktop viewport and once on a phone-sized one (see ``observe`` in conftest.py); the tests below
check what those visits recorded. Screenshots of both land in ``_build/screenshots/``.
"""

from __future__ import annotations

import pytest
from _browser_site import (
    all_pages,
    check_control,
    expected_controls,
    widget_pages,
    widget_states,
)

PAGES = all_pages()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_page_loads_cleanly(observe, page: str, viewport: str) -> None:
    """No console error, no uncaught exception, no HTTP error (404...), nothing fetched from
    anywhere but 127.0.0.1, and the math and widgets were there in time."""
    seen = observe(page, viewport)
    assert not seen.problems, f"{page} ({viewport}):\n  " + "\n  ".join(seen.problems)


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset(observe, page: str) -> None:
    data = observe(page, "desktop").data
    math = data["math"]
    assert not math["errors"], f"{page}: MathJax could not typeset: {math['errors']}"
    assert math["typeset"] == math["elements"], (
        f"{page}: {math['elements'] - math['typeset']} of {math['elements']} formulas were not "
        f"typeset by MathJax, e.g. {math['untypeset']}"
    )
    if math["elements"]:
        assert math["containers"] >= math["elements"], f"{page}: MathJax output is missing"
    assert not data["rawTex"], f"{page}: raw TeX in the text:\n  " + "\n  ".join(data["rawTex"])


@pytest.mark.parametrize("page", PAGES)
def test_images_load_and_have_alt_text(observe, page: str) -> None:
    """Every image has loaded; every image of the page itself has alt text (the figures that
    saved widgets draw are checked by the next test)."""
    images = observe(page, "desktop").data["images"]
    broken = [
        f"{i['src']}{' (in a widget)' if i['inWidget'] else ''}" for i in images if not i["loaded"]
    ]
    no_alt = [i["src"] for i in images if not i["inWidget"] and not (i["alt"] or "").strip()]
    problems = [f"did not load: {src}" for src in broken] + [
        f"no alt text: {src}" for src in no_alt
    ]
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


# The explorers show their figure as an HTML <img> with alt text (companion.widgets.base).
@pytest.mark.parametrize("page", widget_pages())
def test_widget_figures_have_alt_text(observe, page: str) -> None:
    images = observe(page, "desktop").data["images"]
    no_alt = [i["src"] for i in images if i["inWidget"] and not (i["alt"] or "").strip()]
    assert not no_alt, f"{page}: widget images without alt text: {no_alt}"


@pytest.mark.parametrize("page", PAGES)
def test_saved_widgets_render_their_default_values(observe, page: str) -> None:
    data = observe(page, "desktop").data
    states = widget_states(data["states"])
    if states and not data["views"]:
        pytest.fail(f"{page} saves widget state but displays no widget")
    problems = []
    for number, view in enumerate(data["views"], start=1):
        where = f"widget {number} ({view['model_id']})"
        if not view["rendered"]:
            problems.append(f"{where} did not render: the saved state script is all there is")
            continue
        expected = expected_controls(states, view["model_id"])
        if any(e.kind == "missing" for e in expected):
            problems.append(f"{where}: the saved state lacks models it refers to")
        for kind in sorted({e.kind for e in expected} - {"missing"}):
            want = [e for e in expected if e.kind == kind]
            shown = [c for c in view["controls"] if c["kind"] == kind]
            if len(shown) != len(want):
                problems.append(f"{where}: {len(want)} {kind} control(s) saved, {len(shown)} shown")
                continue
            problems += [
                f"{where}: {message}"
                for e, c in zip(want, shown, strict=True)
                if (message := check_control(e, c))
            ]
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


def _outline_problems(headings: list[dict]) -> list[str]:
    if not headings:
        return ["no visible heading"]
    problems = []
    h1 = [h["text"] for h in headings if h["level"] == 1]
    if len(h1) != 1:
        problems.append(f"{len(h1)} visible <h1> (want exactly one): {h1}")
    if headings[0]["level"] != 1:
        problems.append(f"the first heading is <h{headings[0]['level']}> {headings[0]['text']!r}")
    for before, after in zip(headings, headings[1:], strict=False):
        if after["level"] > before["level"] + 1:
            problems.append(
                f"<h{before['level']}> {before['text']!r} is followed by <h{after['level']}> "
                f"{after['text']!r}: a level is skipped"
            )
    problems += [f"empty <h{h['level']}>" for h in headings if not h["text"].strip("#¶ ")]
    return problems


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_headings_form_an_outline(observe, page: str, viewport: str) -> None:
    problems = _outline_problems(observe(page, viewport).data["headings"])
    assert not problems, f"{page} ({viewport}):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_phone_viewport_does_not_scroll_sideways(observe, page: str) -> None:
    layout = observe(page, "phone").data["layout"]
    assert layout["scrollWidth"] <= layout["innerWidth"] + 1, (
        f"{page} is {layout['scrollWidth']}px wide on a {layout['innerWidth']}px screen; "
        f"too wide: {layout['offenders']}"
    )


@pytest.mark.parametrize("page", PAGES)
def test_screenshots_are_saved(observe, page: str) -> None:
    for viewport in ("desktop", "phone"):
        shot = observe(page, viewport).screenshot
        assert shot is not None and shot.is_file() and shot.stat().st_size > 1000, (
            f"no {viewport} screenshot of {page}"
        )


# --------------------------------------------------------------------------------------------
# The checks themselves


def test_outline_check_catches_skipped_levels_and_extra_h1() -> None:
    good = [
        {"level": 1, "text": "A"},
        {"level": 2, "text": "B"},
        {"level": 3, "text": "C"},
        {"level": 2, "text": "D"},
    ]
    assert _outline_problems(good) == []
    assert _outline_problems([{"level": 1, "text": "A"}, {"level": 3, "text": "C"}])
    assert _outline_problems([{"level": 1, "text": "A"}, {"level": 1, "text": "B"}])
    assert _outline_problems([{"level": 2, "text": "B"}])
    assert _outline_problems([])
