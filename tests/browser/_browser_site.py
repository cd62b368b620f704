"""What the browser tests need to know about the book, derived from the book itself.

Pure Python, no browser: which pages exist (from ``_toc.yml`` and the built site, never a hand
list), which of them are chapters, how an ipywidgets slider shows its value (a port of the
d3-format subset ipywidgets uses for ``readout_format``) and what each saved widget should show,
read from the widget state myst-nb embeds in the page.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from html.parser import HTMLParser
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
#: The built book (``make book``); BOOK_HTML=/path/to/html tests another copy of it.
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
SCREENSHOTS = ROOT / "_build" / "screenshots"

#: Source suffixes a table-of-contents entry may have (Jupyter Book 1 with myst-nb).
SOURCE_SUFFIXES = (".ipynb", ".md", ".rst")


# --------------------------------------------------------------------------------------------
# Pages


@dataclass(frozen=True)
class TocPage:
    """One document of the table of contents."""

    docname: str  # e.g. "book/01_gradients"
    part: str  # caption of its part ("" for the landing page)

    @property
    def html(self) -> str:
        return f"{self.docname}.html"

    @property
    def source(self) -> Path | None:
        for suffix in SOURCE_SUFFIXES:
            if (path := ROOT / f"{self.docname}{suffix}").is_file():
                return path
        return None

    @property
    def is_notebook(self) -> bool:
        """An .ipynb, or a MyST Markdown notebook (a jupytext header with a kernelspec)."""
        source = self.source
        if source is None:
            return False
        if source.suffix == ".ipynb":
            return True
        if source.suffix == ".md":
            head = source.read_text(encoding="utf-8")[:2000]
            return head.startswith("---") and "kernelspec:" in head.split("\n---", 1)[0]
        return False


def toc_pages(toc_file: Path = ROOT / "_toc.yml") -> list[TocPage]:
    """Every document of a jb-book ``_toc.yml``, in reading order (root, parts, sections)."""
    toc = yaml.safe_load(toc_file.read_text(encoding="utf-8"))
    pages = [TocPage(_docname(toc["root"]), "")]

    def walk(entries: list[dict], part: str) -> None:
        for entry in entries or []:
            if "file" in entry:
                pages.append(TocPage(_docname(entry["file"]), part))
            if "glob" in entry:
                for path in sorted(ROOT.glob(entry["glob"])):
                    if path.suffix in SOURCE_SUFFIXES:
                        pages.append(
                            TocPage(path.relative_to(ROOT).with_suffix("").as_posix(), part)
                        )
            walk(entry.get("sections", []), part)

    for part in toc.get("parts", []):
        walk(part.get("chapters", []), part.get("caption", ""))
    walk(toc.get("chapters", []), "")
    return pages


def _docname(entry: str) -> str:
    """``book/01_gradients.ipynb`` or ``book/01_gradients`` -> ``book/01_gradients``."""
    for suffix in SOURCE_SUFFIXES:
        entry = entry.removesuffix(suffix)
    return entry


def chapter_pages(pages: list[TocPage]) -> list[TocPage]:
    """Pages a learner runs: notebooks, and every page of a part captioned "Chapters"."""
    return [p for p in pages if p.is_notebook or "chapter" in p.part.lower()]


_REDIRECT = re.compile(
    r"""<meta\s+http-equiv=["']?refresh["']?\s+content=["']\d+;\s*url=([^"']+)""", re.IGNORECASE
)


def redirect_target(html_file: Path) -> str | None:
    """The URL a meta-refresh page (Jupyter Book's ``index.html``) sends the reader to."""
    head = html_file.read_text(encoding="utf-8", errors="replace")[:2000]
    match = _REDIRECT.search(head)
    return match.group(1) if match else None


def built_pages(site: Path = HTML) -> list[str]:
    """Every HTML page of the built site except redirects and the theme's ``_static`` files."""
    if not site.is_dir():
        return []
    return sorted(
        rel
        for path in site.rglob("*.html")
        if (rel := path.relative_to(site).as_posix()).split("/")[0] not in {"_static", "_sources"}
        and redirect_target(path) is None
    )


#: Where ``sphinx.ext.viewcode`` writes the highlighted source of every companion module.
SOURCE_DIR = "_modules/"


def all_pages(site: Path = HTML) -> list[str]:
    """The pages the suite visits: the table of contents, then any other page the build made
    (search, index of terms, ...). Computed at collection time, so a new chapter in _toc.yml is
    tested without touching the tests.

    Of viewcode's highlighted sources (``_modules/``, one template for ~50 pages) only the
    index and the largest module page are visited in every mode; :func:`source_pages` lists
    the others, whose links the link test still follows (visiting each of them in every mode
    tripled the suite's time)."""
    pages = [p.html for p in toc_pages()]
    others = [p for p in built_pages(site) if p not in pages]
    sources = [p for p in others if p.startswith(SOURCE_DIR)]
    sample = {f"{SOURCE_DIR}index.html"}
    if sources:
        sample.add(max(sources, key=lambda p: (site / p).stat().st_size))
    return pages + [p for p in others if not p.startswith(SOURCE_DIR) or p in sample]


def source_pages(site: Path = HTML) -> list[str]:
    """viewcode's source pages that :func:`all_pages` leaves out."""
    visited = set(all_pages(site))
    return [p for p in built_pages(site) if p.startswith(SOURCE_DIR) and p not in visited]


def redirect_pages(site: Path = HTML) -> list[str]:
    if not site.is_dir():
        return ["index.html"]
    return sorted(
        path.relative_to(site).as_posix()
        for path in site.glob("*.html")
        if redirect_target(path) is not None
    )


def widget_pages(site: Path = HTML) -> list[str]:
    """Pages of :func:`all_pages` whose built HTML displays saved widgets."""
    return [
        page
        for page in all_pages(site)
        if (site / page).is_file()
        and "application/vnd.jupyter.widget-view+json" in (site / page).read_text(encoding="utf-8")
    ]


def slug(page: str) -> str:
    """``book/01_gradients.html`` -> ``book/01_gradients`` (screenshot file names)."""
    return page.removesuffix(".html")


# --------------------------------------------------------------------------------------------
# Widgets: what each saved widget must show


_D3_SPEC = re.compile(r"^(?P<comma>,)?(?:\.(?P<precision>\d+))?(?P<trim>~)?(?P<type>[efgd%])?$")


def _round(value: Decimal, exponent: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def js_to_fixed(x: float, digits: int) -> str:
    """JavaScript's ``Number.prototype.toFixed`` (ties away from zero on the exact binary value)."""
    return format(_round(Decimal(x), -digits), f".{digits}f")


def js_to_exponential(x: float, digits: int) -> str:
    """JavaScript's ``toExponential``: ``5.0e-1``, ``1.82e+0``."""
    if x == 0:
        return f"{js_to_fixed(0.0, digits)}e+0"
    rounded = Context(prec=digits + 1, rounding=ROUND_HALF_UP).plus(Decimal(x))
    mantissa, exponent = format(rounded, f".{digits}e").split("e")
    return f"{mantissa}e{int(exponent):+d}"


def js_to_precision(x: float, digits: int) -> str:
    """JavaScript's ``toPrecision``: exponential below 1e-6 and from 10**digits on."""
    if x == 0:
        return js_to_fixed(0.0, max(digits - 1, 0))
    exponent = Context(prec=digits, rounding=ROUND_HALF_UP).plus(Decimal(x)).adjusted()
    if exponent < -6 or exponent >= digits:
        return js_to_exponential(x, digits - 1)
    return js_to_fixed(x, digits - 1 - exponent)


def d3_format(spec: str, value: float) -> str | None:
    """``d3.format(spec)(value)`` for the specs ipywidgets sliders use (``.2f``, ``.1e``, ``.3g``,
    ``d``, ``.0%``, with optional ``,`` and ``~``); None for a spec this port does not cover.
    The minus sign is an ASCII hyphen (d3 prints U+2212; compare after normalising)."""
    match = _D3_SPEC.match(spec or "")
    if not match:
        return None
    kind = match["type"] or "g"
    precision = int(match["precision"]) if match["precision"] is not None else 6
    if kind == "d":
        text = str(int(Decimal(value).to_integral_value(rounding=ROUND_HALF_UP)))
    elif kind == "f":
        text = js_to_fixed(value, precision)
    elif kind == "e":
        text = js_to_exponential(value, precision)
    elif kind == "g":
        text = js_to_precision(value, max(precision, 1))
    else:  # "%"
        text = js_to_fixed(value * 100, precision) + "%"
    if match["trim"]:
        text = re.sub(r"\.?0+(?=e|%|$)", "", text) if "." in text else text
    if match["comma"]:
        sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
        integer, _, rest = digits.partition(".")
        integer = f"{int(integer):,}" if integer.isdigit() else integer
        text = sign + integer + (f".{rest}" if rest else "")
    return text


def normalise_text(text: str) -> str:
    """Compare texts without caring about whitespace or which minus sign d3 chose."""
    return re.sub(r"\s+", "", text.replace("\u2212", "-"))


def html_to_text(html: str) -> str:
    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


@dataclass(frozen=True)
class Expected:
    """One control a saved widget view must show, in the DOM order of its kind."""

    kind: str  # matches the "kind" the browser reports (see OBSERVE_JS in conftest.py)
    model: str  # model name, for messages
    description: str
    shows: object  # what it shows: readout text, selected label, text, flag or output summary


BOX_MODELS = {
    "HBoxModel",
    "VBoxModel",
    "BoxModel",
    "GridBoxModel",
    "AccordionModel",
    "TabModel",
    "StackModel",
}
SELECTION_KINDS = {
    "ToggleButtonsModel": "toggle-buttons",
    "DropdownModel": "dropdown",
    "RadioButtonsModel": "radio",
    "SelectModel": "select",
}
TEXT_INPUT_MODELS = {
    "TextModel",
    "IntTextModel",
    "FloatTextModel",
    "BoundedIntTextModel",
    "BoundedFloatTextModel",
    "TextareaModel",
    "PasswordModel",
}


def expected_controls(states: list[dict], root_id: str) -> list[Expected]:
    """Walk one saved view's model tree (depth first, like the DOM) and list what it must show.

    Models this does not know (a custom widget, a Play button, ...) are not listed: the view
    must still render, but only the standard controls are compared with their saved values.
    """
    models: dict[str, dict] = {}
    for state in states:
        models.update(state.get("state", {}))
    found: list[Expected] = []

    def ref(value: object) -> str | None:
        if isinstance(value, str) and value.startswith("IPY_MODEL_"):
            return value.removeprefix("IPY_MODEL_")
        return None

    def walk(model_id: str) -> None:
        entry = models.get(model_id)
        if entry is None:
            found.append(Expected("missing", model_id, "", None))
            return
        name, state = entry["model_name"], entry["state"]
        description = state.get("description") or ""
        if name == "StackModel":  # a stack draws only its selected child
            children, index = state.get("children", []), state.get("selected_index")
            if index is not None and 0 <= index < len(children):
                if (child_id := ref(children[index])) is not None:
                    walk(child_id)
        elif name in BOX_MODELS:
            for child in state.get("children", []):
                if (child_id := ref(child)) is not None:
                    walk(child_id)
        elif name == "SelectionSliderModel":  # its readout is the chosen option's label
            labels, index = state.get("_options_labels", []), state.get("index")
            shows = labels[index] if index is not None and 0 <= index < len(labels) else None
            found.append(Expected("slider", name, description, shows))
        elif name.endswith("SliderModel"):
            value = state.get("value")
            fmt = state.get("readout_format", ".2f")
            if isinstance(value, list):  # range slider: "low – high"
                shows = [d3_format(fmt, v) for v in value]
            else:
                shows = d3_format(fmt, value)
            if state.get("readout", True):
                found.append(
                    Expected(
                        "slider",
                        name,
                        description,
                        shows if shows is not None else ("number", value, fmt),
                    )
                )
        elif name in SELECTION_KINDS:
            labels, index = state.get("_options_labels", []), state.get("index")
            if isinstance(index, list):
                shows = [labels[i] for i in index]
            else:
                shows = labels[index] if index is not None and 0 <= index < len(labels) else None
            found.append(Expected(SELECTION_KINDS[name], name, description, shows))
        elif name in {"HTMLModel", "HTMLMathModel"}:
            found.append(Expected("html", name, description, html_to_text(state.get("value", ""))))
        elif name == "LabelModel":
            found.append(Expected("label", name, description, state.get("value", "")))
        elif name == "CheckboxModel":
            found.append(Expected("checkbox", name, description, bool(state.get("value"))))
        elif name in TEXT_INPUT_MODELS:
            found.append(Expected("text", name, description, state.get("value")))
        elif name == "ButtonModel":
            found.append(Expected("button", name, description, description))
        elif name == "OutputModel":
            outputs = state.get("outputs", [])
            images = sum(
                1 for out in outputs if any(k.startswith("image/") for k in (out.get("data") or {}))
            )
            streams = "".join(
                out.get("text", "")
                if isinstance(out.get("text"), str)
                else "".join(out.get("text", []))
                for out in outputs
                if out.get("output_type") == "stream"
            )
            found.append(
                Expected("output", name, description, {"images": images, "stream": streams})
            )

    walk(root_id)
    return found


def check_control(expected: Expected, shown: dict) -> str | None:
    """Compare one saved control with what the browser shows; a message if they differ."""
    what = f"{expected.model} {expected.description!r}".strip()
    label = shown.get("label")
    if expected.description and "$" not in expected.description and label is not None:
        if normalise_text(label) != normalise_text(expected.description):
            return f"{what}: label shows {label!r}"
    want, got = expected.shows, shown.get("shows")
    if expected.kind == "slider":
        if isinstance(want, tuple):  # a readout format the port does not cover: compare numbers
            _, value, fmt = want
            try:
                number = float((got or "").replace("\u2212", "-"))
            except ValueError:
                return f"{what}: readout {got!r} is not a number (format {fmt!r})"
            return (
                None
                if abs(number - value) <= 1e-3 * max(1.0, abs(value))
                else (f"{what}: readout {got!r}, saved value {value!r}")
            )
        if isinstance(want, list):
            ok = all(normalise_text(w) in normalise_text(got or "") for w in want)
        else:
            ok = normalise_text(got or "") == normalise_text(want)
        return None if ok else f"{what}: readout shows {got!r}, saved default is {want!r}"
    if expected.kind == "output":
        if got is None:
            return f"{what}: no output area rendered"
        if got["images"] != want["images"]:
            return f"{what}: shows {got['images']} image(s), saved state has {want['images']}"
        if got["broken_images"]:
            return f"{what}: {got['broken_images']} image(s) did not load"
        if normalise_text(want["stream"]) not in normalise_text(got["text"]):
            return f"{what}: printed text {want['stream'][:80]!r} is not shown"
        return None
    if expected.kind == "text" and isinstance(want, (int, float)) and not isinstance(want, bool):
        try:
            return None if float(got) == float(want) else f"{what}: shows {got!r}, saved {want!r}"
        except (TypeError, ValueError):
            return f"{what}: shows {got!r}, saved {want!r}"
    if (
        expected.kind in {"html", "label", "button", "text", "toggle-buttons", "dropdown", "radio"}
        and isinstance(want, str)
        and isinstance(got, str)
    ):
        ok = normalise_text(got) == normalise_text(want)
    elif isinstance(want, list) and isinstance(got, list):
        ok = [normalise_text(w) for w in want] == [normalise_text(g) for g in got]
    else:
        ok = got == want
    return None if ok else f"{what}: shows {got!r}, saved default is {want!r}"


def widget_states(texts: list[str]) -> list[dict]:
    return [json.loads(text) for text in texts]
