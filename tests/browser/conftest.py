"""Fixtures for the browser tests: the built book served on 127.0.0.1, one headless Chromium.

* ``server``: ``_build/html`` served by ``http.server`` on a free port of 127.0.0.1, in a thread.
* ``browser``: Debian's Chromium (``/usr/bin/chromium``, or ``$CHROMIUM``) driven by Playwright,
  launched once per session. Never ``playwright install``: it would download a browser build.
  Playwright gives each launch a fresh, empty ``--user-data-dir`` of its own (it refuses the flag
  in ``args``) and deletes it afterwards; every visit also gets its own browser context.
* ``visit(path, viewport)``: opens a fresh context and page, blocks and records every request
  that would leave 127.0.0.1, records console errors, uncaught exceptions and HTTP errors, waits
  until MathJax and the widgets have rendered, and returns an :class:`Visit`.
* ``observe(path, viewport)``: one such visit per page and viewport for the whole session, with
  everything the per-page tests check read from the page in one go and a full-page screenshot
  saved to ``_build/screenshots/``. The tests of one page share its visit (read-only data), so
  the suite loads each page twice (desktop, phone) instead of once per check.

If Chromium or Playwright is missing the tests fail (never skip) with what to install;
``.ci/run`` installs both on a fresh machine.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _browser_site import HTML, SCREENSHOTS, slug

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: Flags that work headless as root on this machine without network access (see
#: ../shared/ENVIRONMENT.md); without the background-networking ones Chromium keeps trying to
#: reach Google's services.
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
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 800}}
#: How long a page may take to load, typeset its math and render its widgets.
READY_TIMEOUT_MS = 20_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: loads the built book in headless Chromium (run `make book` first)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


# --------------------------------------------------------------------------------------------
# The site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the build; remembers every request's status instead of logging it."""

    log: list[tuple[str, int]]

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        pass


@dataclass
class Server:
    origin: str  # http://127.0.0.1:PORT
    log: list[tuple[str, int]]

    def url(self, path: str) -> str:
        return f"{self.origin}/{path.lstrip('/')}"


@pytest.fixture(scope="session")
def site() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.fail(f"No built book in {HTML}: run `make book` first.", pytrace=False)
    return HTML


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[Server]:
    log: list[tuple[str, int]] = []
    handler = type("Handler", (_QuietHandler,), {"log": log})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(site))
    )
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", log)
    finally:
        httpd.shutdown()
        httpd.server_close()


# --------------------------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Install Debian's package "
            "(`apt-get install chromium`; `.ci/run` does it) or set CHROMIUM=/path/to/chromium. "
            "Do not run `playwright install`.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "Playwright for Python is missing: `make venv` installs requirements.txt.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """``_build/screenshots/``, emptied once per session so no stale page is left behind."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@dataclass
class Visit:
    """One page opened in a fresh browser context, and what happened while it loaded."""

    path: str
    viewport: str
    page: Any = field(repr=False)  # playwright Page (open until the visit is closed)
    context: Any = field(repr=False)
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    ready_error: str | None = None
    seconds: float = 0.0

    def problems(self) -> list[str]:
        """Everything that makes the load unclean, one line each."""
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"request leaving 127.0.0.1: {u}" for u in self.external_requests]
            + [f"HTTP error: {e}" for e in self.http_errors]
            + ([f"not ready: {self.ready_error}"] if self.ready_error else [])
        )

    def close(self) -> None:
        self.context.close()


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
    err = await until('MathJax to load', () => window.MathJax && MathJax.startup &&
                                                 MathJax.startup.promise);
    if (err) return err;
    await MathJax.startup.promise;
  }
  const views = [...document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]')];
  err = await until('the saved widgets to render', () => views.every((s) => {
    const area = s.previousElementSibling;
    return area && area.classList.contains('widget-subarea') && area.childElementCount > 0;
  }));
  if (err) return err;
  err = await until('images to load', () => [...document.images].every((i) => i.complete));
  if (err) return err;
  await document.fonts.ready;
  if (hasMath) await MathJax.startup.promise;  // widget labels queued for typesetting
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  await sleep(100);  // let late console errors (from render callbacks) arrive
  return null;
}"""


@pytest.fixture(scope="session")
def visit(browser: Any, server: Server) -> Callable[..., Visit]:
    """``visit(path, viewport="desktop", wait_ready=True)``: open ``path`` (relative to the site
    root, may carry a query) in a fresh context and, unless told not to, wait until its math and
    widgets are there; the caller closes the returned :class:`Visit`."""
    local = re.escape(server.origin + "/")

    def open_page(path: str, viewport: str = "desktop", wait_ready: bool = True) -> Visit:
        context = browser.new_context(viewport=VIEWPORTS[viewport], service_workers="block")
        page = context.new_page()
        result = Visit(path, viewport, page, context)

        def block(route: Any) -> None:
            result.external_requests.append(route.request.url)
            route.abort("blockedbyclient")

        # Only URLs that do not start with the server's origin are intercepted (and aborted).
        context.route(re.compile(rf"^(?!{local}|data:|blob:|about:)"), block)
        page.on("websocket", lambda ws: result.external_requests.append(ws.url))

        def on_console(message: Any) -> None:
            if message.type == "error":
                where = message.location.get("url", "") if message.location else ""
                result.console_errors.append(f"{message.text} ({where})" if where else message.text)
            elif message.type == "warning":
                result.console_warnings.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: result.console_errors.append(f"uncaught {error}"))
        page.on(
            "response",
            lambda response: (
                result.http_errors.append(f"{response.status} {response.url}")
                if response.status >= 400
                else None
            ),
        )
        page.on(
            "requestfailed",
            lambda request: (
                None
                if request.url in result.external_requests
                else result.http_errors.append(f"{request.failure} {request.url}")
            ),
        )

        start = time.monotonic()
        try:
            response = page.goto(server.url(path), wait_until="load", timeout=READY_TIMEOUT_MS)
            if response is None or response.status != 200:
                result.ready_error = f"{path} answered {response.status if response else 'nothing'}"
            elif wait_ready:
                result.ready_error = page.evaluate(READY_JS, READY_TIMEOUT_MS)
        except Exception as error:  # a timeout or a crash: report it like any other problem
            result.ready_error = f"{type(error).__name__}: {error}"
        result.seconds = time.monotonic() - start
        return result

    return open_page


# --------------------------------------------------------------------------------------------
# One observation per page and viewport

OBSERVE_JS = (Path(__file__).parent / "observe.js").read_text(encoding="utf-8")


@dataclass
class Observation:
    """What the tests of one page check, read from one visit (see observe.js)."""

    path: str
    viewport: str
    problems: list[str]
    warnings: list[str] = field(repr=False)
    raw: dict[str, Any] = field(repr=False)
    screenshot: Path | None
    seconds: float

    @property
    def data(self) -> dict[str, Any]:
        if not self.raw:
            pytest.fail(
                f"{self.path} ({self.viewport}) could not be read: {self.problems}", pytrace=False
            )
        return self.raw


@pytest.fixture(scope="session")
def observe(visit: Callable[..., Visit], screenshots: Path) -> Callable[[str, str], Observation]:
    cache: dict[tuple[str, str], Observation] = {}

    def get(path: str, viewport: str = "desktop") -> Observation:
        key = (path, viewport)
        if key not in cache:
            if not (HTML / path).is_file():
                pytest.fail(f"{path} is not in the built book: run `make book`.", pytrace=False)
            opened = visit(path, viewport)
            try:
                # Read the page even if it never got ready: the other checks still say what
                # is wrong with it (the load test reports why it was not ready).
                try:
                    data = opened.page.evaluate(OBSERVE_JS)
                except Exception as error:
                    data = {}
                    opened.ready_error = opened.ready_error or f"unreadable: {error}"
                shot = screenshots / f"{slug(path)}.{viewport}.png"
                shot.parent.mkdir(parents=True, exist_ok=True)
                try:
                    opened.page.screenshot(path=str(shot), full_page=True, animations="disabled")
                except Exception:  # a page that failed to load may not be screenshot-able
                    shot = None
            finally:
                opened.close()
            cache[key] = Observation(
                path,
                viewport,
                opened.problems(),
                opened.console_warnings,
                data,
                shot,
                opened.seconds,
            )
        return cache[key]

    return get
