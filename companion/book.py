"""Helpers the chapters use: show the real code, quote computed numbers, set up a notebook.

- :func:`show_source` displays a companion function's code (without its docstring, or just
  a marked part), so the reader sees the code that runs rather than a copy that can drift,
  with links to the full source and the API reference in the built book.
- :func:`glue` hands a computed number to the book's prose (MyST-NB's ``glue``) and still
  works where MyST-NB is not installed (e.g. Colab): there it simply does nothing.
- :data:`SETUP_CELL` is the one guarded set-up cell every notebook starts with.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import __version__

__all__ = ["REPOSITORY", "SETUP_CELL", "Listing", "glue", "show_source"]

#: Where the course lives; the set-up cell installs companion from here at the book's version.
REPOSITORY = "https://github.com/gd-course/gradient-descent-course"

#: The first code cell of every chapter and exercise notebook (tests check it is verbatim).
#: It does nothing inside a clone of the course; elsewhere (Colab, a downloaded notebook) it
#: installs the companion package pinned to this book's version.
SETUP_CELL = f"""\
# Set-up: installs the course's companion package if it is missing (e.g. on Colab).
import importlib.util
import sys

if importlib.util.find_spec("companion") is None:
    %pip install --quiet "gd-course-companion @ git+{REPOSITORY}@v{__version__}"
if "google.colab" in sys.modules:  # Colab needs this for ipywidgets 8 sliders
    from google.colab import output

    output.enable_custom_widget_manager()"""


#: Where a chapter page sits relative to the site's root: chapters are ``book/*.html``.
SITE_ROOT = "../"

_SECTION = re.compile(r"^\s*# --8<-- \[(start|end):([\w-]+)\]\s*$")


@dataclass(frozen=True)
class Listing:
    """A listing of companion code with links to its full source and its API entry.

    Notebooks render it as Markdown: a highlighted code block, then the two links (relative
    to a chapter page of the built book, where ``sphinx.ext.viewcode`` writes the sources).
    """

    code: str
    source_url: str
    api_url: str

    def _repr_markdown_(self) -> str:
        return (
            f"```python\n{self.code}\n```\n\n"
            f"[Full source]({self.source_url}) · [API reference]({self.api_url})"
        )

    def __repr__(self) -> str:
        return self.code


def show_source(
    obj: Any,
    *,
    section: str | None = None,
    lines: tuple[int, int] | None = None,
    docstring: bool = False,
) -> Listing:
    """Display the code of a companion function, method or class: the lesson, not the docs.

    Parameters
    ----------
    obj : function, method or class
        What to list.
    section : str, optional
        List only the lines between the comments ``# --8<-- [start:section]`` and
        ``# --8<-- [end:section]`` inside ``obj``'s source.
    lines : tuple of int, optional
        List only lines ``first`` to ``last`` (1-based, inclusive) of ``obj``'s source, counted
        from its first line (docstring included).
    docstring : bool, default False
        Keep the docstrings (by default they are dropped: the API reference shows them).

    Returns
    -------
    Listing
        Rendered as highlighted code followed by links to the full source and the API entry.

    Raises
    ------
    TypeError
        If ``obj`` has no Python source.
    ValueError
        If ``section`` is not marked in the source, ``lines`` is not a range inside it, or
        both are given.

    Examples
    --------
    >>> from companion.gradients import relative_error
    >>> listing = show_source(relative_error)
    >>> listing.code.startswith("def relative_error("), "Parameters" in listing.code
    (True, False)
    """
    try:
        source = textwrap.dedent(inspect.getsource(obj))
    except (TypeError, OSError) as error:
        raise TypeError(f"obj must be a function, method or class; got {obj!r}") from error
    if section is not None and lines is not None:
        raise ValueError("give section or lines, not both")
    text = source.splitlines()
    if lines is not None:
        first, last = lines
        if not 1 <= first <= last <= len(text):
            raise ValueError(f"lines must be a range within 1..{len(text)}; got {lines!r}")
        keep = set(range(first - 1, last))
    else:
        keep = set(range(len(text)))
    if not docstring:
        keep -= _docstring_lines(source)
    if section is not None:
        keep &= _section_lines(text, section)
    shown = [line for i, line in enumerate(text) if i in keep and not _SECTION.match(line)]
    return Listing(textwrap.dedent("\n".join(shown)).strip("\n"), *_links(obj))


def _docstring_lines(source: str) -> set[int]:
    """0-based indices of the lines holding docstrings in ``source``."""
    found: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                if isinstance(first.value.value, str):
                    found.update(range(first.lineno - 1, first.end_lineno))
    text = source.splitlines()
    # the blank line that separated a docstring from the code goes with it
    return found | {i + 1 for i in found if i + 1 < len(text) and not text[i + 1].strip()}


def _section_lines(text: list[str], section: str) -> set[int]:
    """0-based indices of the lines inside the marked ``section``."""
    marks = {
        kind: i
        for i, line in enumerate(text)
        if (match := _SECTION.match(line)) and match[2] == section
        for kind in [match[1]]
    }
    if set(marks) != {"start", "end"} or marks["start"] > marks["end"]:
        raise ValueError(f"section {section!r} is not marked in the source")
    return set(range(marks["start"] + 1, marks["end"]))


def _links(obj: Any) -> tuple[str, str]:
    """The built book's URLs of ``obj``'s highlighted module source and of its API entry.

    Both anchor at the innermost object around ``obj`` that the API reference documents (a
    public name with a docstring, like ``sphinx.ext.autodoc``'s ``:members:``); the source
    pages of ``sphinx.ext.viewcode`` hold anchors for exactly those objects.
    """
    obj = inspect.unwrap(obj)
    module = obj.__module__
    documented, current = [], sys.modules[module]
    for part in obj.__qualname__.split("."):
        current = getattr(current, part, None)
        if part.startswith("_") or current is None or inspect.getdoc(current) is None:
            break
        documented.append(part)
    name = ".".join(documented)
    source = f"{SITE_ROOT}_modules/{module.replace('.', '/')}.html"
    api = f"{SITE_ROOT}book/appendix/api.html#"
    if name:
        return f"{source}#{name}", f"{api}{_api_module(module, documented[0])}.{name}"
    return source, f"{api}module-{module}"


def _api_module(module: str, name: str) -> str:
    """The module under which the API reference documents ``module``'s object ``name``.

    A public module whose ``__all__`` lists the object documents it; of several, the shortest
    (``companion.optim`` re-exports ``companion.optim.analysis``); a private module's object
    is documented where it is re-exported.
    """
    obj = getattr(sys.modules[module], name)
    listing = [
        modname
        for modname, mod in list(sys.modules.items())
        if modname.split(".")[0] == module.split(".")[0]
        and not any(part.startswith("_") for part in modname.split("."))
        and name in getattr(mod, "__all__", ())
        and getattr(mod, name, None) is obj
    ]
    return min(listing, key=lambda m: (m.count("."), m), default=module)


def glue(name: str, value: Any, display: bool = False) -> None:
    """Make ``value`` quotable in the book's prose as ``{glue:text}`name```.

    NumPy scalars are converted to Python numbers first, so format specs such as ``:.2e``
    work in the prose. Outside a MyST-NB build (no ``myst_nb`` installed) this does nothing,
    so notebooks run anywhere.
    """
    if isinstance(value, np.generic):
        value = value.item()
    try:
        from myst_nb import glue as _glue
    except ImportError:
        return
    _glue(name, value, display=display)
