"""Print the built book (``_build/html``) to one PDF, offline, with the Chromium the tests use.

Jupyter Book 1's own ``pdfhtml`` builder downloads a browser at build time, which fails offline.
This script instead serves the built site on 127.0.0.1, opens every page of ``_toc.yml`` in
headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright; never
``playwright install``), waits until the page is what a reader sees (math typeset by MathJax,
saved widgets rendered in their default state, images loaded), prints it with the book's
print stylesheet (``theme/book.css``: no sidebars, buttons or launch icons; code wraps), and
joins the pages in table-of-contents order with pypdf. The PDF's bookmarks (outline) have one
entry per page, with that page's headings underneath.

Usage::

    python scripts/build_pdf.py                 # _build/html -> _build/pdf/book.pdf
    python scripts/build_pdf.py --pages book/intro book/05_momentum --out /tmp/part.pdf

``make pdf`` runs it after ``make book`` and also copies the PDF into the site
(``_build/html/book.pdf``), where the landing page and the download menu link it.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
OUT = ROOT / "_build" / "pdf" / "book.pdf"
#: Where the site links the PDF (relative to the site root): the landing page and the
#: download menu (theme/book.js) point here.
SITE_PDF = "book.pdf"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: Headless, as root, offline (see tests/browser/conftest.py and ENVIRONMENT.md).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SOURCE_SUFFIXES = (".ipynb", ".md", ".rst")
READY_TIMEOUT_MS = 60_000

#: Small print in every page's footer: the page's title and its page number within the page.
FOOTER = (
    '<div style="font-size:8px;width:100%;margin:0 12mm;color:#555;'
    'display:flex;justify-content:space-between;font-family:sans-serif">'
    '<span class="title"></span><span class="pageNumber"></span></div>'
)

# Runs in the page after `load`: wait for what a reader waits for (typeset math, rendered
# widgets, loaded images and fonts). Returns an error message, or null when all is there.
READY_JS = """async (timeoutMs) => {
  const deadline = Date.now() + timeoutMs;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = async (what, ok) => {
    while (!ok()) {
      if (Date.now() > deadline) return `timed out waiting for ${what}`;
      await sleep(50);
    }
    return null;
  };
  const hasMath = document.querySelector('.math') !== null;
  let err = null;
  if (hasMath) {
    err = await until('MathJax',
                      () => window.MathJax && MathJax.startup && MathJax.startup.promise);
    if (err) return err;
    await MathJax.startup.promise;
  }
  const views = [...document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]')];
  err = await until('the saved widgets', () => views.every((s) => {
    const area = s.previousElementSibling;
    return area && area.classList.contains('widget-subarea') && area.childElementCount > 0;
  }));
  if (err) return err;
  document.querySelectorAll('img[loading="lazy"]').forEach((i) => { i.loading = 'eager'; });
  err = await until('images', () => [...document.images].every((i) => i.complete));
  if (err) return err;
  await document.fonts.ready;
  if (hasMath) await MathJax.startup.promise;
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return null;
}"""


# The headings a reader of the printed page sees, in order, as the bookmarks should name them:
# section numbers kept, "#" links dropped, math as its text (MathJax's assistive MathML).
HEADINGS_JS = """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
  .filter((h) => h.checkVisibility())
  .map((h) => {
    const c = h.cloneNode(true);
    c.querySelectorAll('.headerlink').forEach((a) => a.remove());
    return c.textContent.replace(/\\s+/g, ' ').trim();
  })"""


def toc_docnames(toc_file: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document of a jb-book ``_toc.yml``, in reading order (root, parts, sections)."""
    toc = yaml.safe_load(toc_file.read_text(encoding="utf-8"))
    names = [_docname(toc["root"])]

    def walk(entries: list[dict] | None) -> None:
        for entry in entries or []:
            if "file" in entry:
                names.append(_docname(entry["file"]))
            if "glob" in entry:
                names.extend(
                    p.relative_to(ROOT).with_suffix("").as_posix()
                    for p in sorted(ROOT.glob(entry["glob"]))
                    if p.suffix in SOURCE_SUFFIXES
                )
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return names


def _docname(entry: str) -> str:
    for suffix in SOURCE_SUFFIXES:
        entry = entry.removesuffix(suffix)
    return entry


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on a free port of 127.0.0.1; yield its origin."""
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site))
    )
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def print_pages(
    site: Path, docnames: list[str], chromium: str = CHROMIUM
) -> list[tuple[list[str], bytes]]:
    """Print every page to PDF: ``(its headings, pdf bytes)`` in the given order."""
    from playwright.sync_api import sync_playwright

    missing = [d for d in docnames if not (site / f"{d}.html").is_file()]
    if missing:
        raise SystemExit(f"not in the built site {site} (run `make book` first): {missing}")
    if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
        raise SystemExit(
            f"no Chromium at {chromium}: `apt-get install chromium` or set CHROMIUM=/path "
            "(never `playwright install`)"
        )
    printed = []
    with serve(site) as origin, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            # Light mode (the theme follows the reader's system by default); a desktop-wide
            # window, so MathJax and the widgets lay out as on a laptop before printing.
            context = browser.new_context(
                viewport={"width": 1000, "height": 1400},
                color_scheme="light",
                service_workers="block",
            )
            local = re.escape(origin + "/")
            context.route(
                re.compile(rf"^(?!{local}|data:|blob:|about:)"),
                lambda route: route.abort("blockedbyclient"),
            )
            page = context.new_page()
            for docname in docnames:
                response = page.goto(f"{origin}/{docname}.html", wait_until="load")
                if response is None or response.status != 200:
                    raise SystemExit(f"{docname}.html did not load")
                error = page.evaluate(READY_JS, READY_TIMEOUT_MS)
                if error:
                    raise SystemExit(f"{docname}.html: {error}")
                page.emulate_media(media="print")
                headings = page.evaluate(HEADINGS_JS)
                pdf = page.pdf(
                    format="A4",
                    margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"},
                    print_background=True,
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=FOOTER,
                    outline=True,  # the page's headings become bookmarks
                    tagged=True,
                )
                printed.append((headings, pdf))
                print(f"  printed {docname}", file=sys.stderr)
        finally:
            browser.close()
    return printed


def join(printed: list[tuple[list[str], bytes]], out: Path, title: str) -> int:
    """Join the printed pages into ``out`` with bookmarks; return the number of PDF pages.

    Chromium's outline of each printed page (``outline=True``) gives every heading's place;
    its titles drop math and sometimes repeat a heading's text, so the bookmarks take their
    titles from the page's headings (``HEADINGS_JS``) when the two lists have the same length.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import Fit

    writer = PdfWriter()
    for headings, pdf in printed:
        reader = PdfReader(io.BytesIO(pdf))
        offset = len(writer.pages)
        writer.append(reader, import_outline=False)
        items = list(_flatten_outline(reader, reader.outline))
        if len(items) == len(headings):
            items = [
                (depth, page, top, name)
                for (depth, page, top, _), name in zip(items, headings, strict=True)
            ]
        elif not items and headings:  # no outline from Chromium: one bookmark for the page
            items = [(0, 0, None, headings[0])]
        parents: list = []
        for depth, page, top, name in items:
            del parents[depth:]
            parent = parents[-1] if parents else None
            fit = Fit.xyz(top=top) if top is not None else Fit.fit()
            parents.append(
                writer.add_outline_item(
                    title=name, page_number=offset + page, parent=parent, fit=fit
                )
            )
    writer.add_metadata({"/Title": title, "/Creator": "scripts/build_pdf.py (Chromium)"})
    writer.page_mode = "/UseOutlines"  # open with the bookmarks shown
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as handle:
        writer.write(handle)
    return len(writer.pages)


def _flatten_outline(reader, outline, depth: int = 0):
    """``(depth, page index, top, title)`` for every bookmark of ``reader``, in order."""
    for item in outline:
        if isinstance(item, list):
            yield from _flatten_outline(reader, item, depth + 1)
        else:
            top = item.get("/Top") if hasattr(item, "get") else None
            yield depth, reader.get_destination_page_number(item), top, item.title


def publish(site: Path, pdf: Path, pages: int, megabytes: float) -> None:
    """Put the PDF in the site and tell its pages so (theme/book-pdf.js, theme/book.js)."""
    (site / SITE_PDF).write_bytes(pdf.read_bytes())
    about = {"href": SITE_PDF, "pages": pages, "megabytes": round(megabytes, 1)}
    (site / "_static" / "book-pdf.js").write_text(
        "// Written by scripts/build_pdf.py --copy-to-site: the site has the book as one PDF.\n"
        f"window.BOOK_PDF = {json.dumps(about)};\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=SITE, help="the built book (_build/html)")
    parser.add_argument("--out", type=Path, default=OUT, help="the PDF to write")
    parser.add_argument(
        "--pages", nargs="+", help="docnames to print (default: every page of _toc.yml)"
    )
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument(
        "--copy-to-site",
        action="store_true",
        help=f"also copy the PDF into the site as {SITE_PDF} (what the site links)",
    )
    args = parser.parse_args(argv)

    start = time.monotonic()
    docnames = args.pages or toc_docnames()
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    printed = print_pages(args.site, docnames, args.chromium)
    pages = join(printed, args.out, config.get("title", "The book"))
    size = args.out.stat().st_size / 1e6
    if args.copy_to_site:
        publish(args.site, args.out, pages, size)
    print(
        f"{args.out}: {pages} pages, {size:.1f} MB, {len(docnames)} documents, "
        f"{time.monotonic() - start:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
