"""Helpers the chapters use: show the real code, quote computed numbers, set up a notebook.

- :func:`show_source` displays a companion function's source, so the reader sees the code
  that runs rather than a copy that can drift.
- :func:`glue` hands a computed number to the book's prose (MyST-NB's ``glue``) and still
  works where MyST-NB is not installed (e.g. Colab): there it simply does nothing.
- :data:`SETUP_CELL` is the one guarded set-up cell every notebook starts with.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from . import __version__

__all__ = ["REPOSITORY", "SETUP_CELL", "glue", "show_source"]

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


def show_source(obj: Any):
    """Display the source code of a function or class, syntax-highlighted.

    Returns an ``IPython.display.Code`` object (rendered in notebooks and in the book).
    """
    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")


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
