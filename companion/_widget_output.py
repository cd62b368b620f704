"""Showing a widget's figure: one PNG as the only output of an ipywidgets ``Output``.

Every explorer renders its one matplotlib figure to PNG and calls :func:`show_png`. It sets
the ``Output`` widget's state directly instead of ``with output: display(...)``. That matters
when a notebook is executed by nbclient (the book build, nbval): to capture ``with output:``
it sends comm messages on the kernel's shell channel while it also waits for the cell's reply
there, and that race sometimes stalls the cell until its timeout (jupyter/nbclient#312).
Setting the state works the same in a cell, in a slider callback and outside a kernel (where
tests can read the displayed image back).
"""

from __future__ import annotations

import base64

import ipywidgets as widgets

__all__ = ["show_png"]


def show_png(output: widgets.Output, png: bytes, text: str = "<figure>") -> None:
    """Replace everything in ``output`` with one PNG image (``text`` is its plain-text form)."""
    output.outputs = (
        {
            "output_type": "display_data",
            "data": {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": text},
            "metadata": {},
        },
    )
