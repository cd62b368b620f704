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
import html

import ipywidgets as widgets

__all__ = ["show_png"]


def show_png(output: widgets.Output, png: bytes, alt: str) -> None:
    """Replace everything in ``output`` with one PNG image described by ``alt``.

    The image goes out twice: as ``image/png`` for notebook front ends and as an HTML
    ``<img>`` carrying the alt text, which the book's pages and JupyterLab prefer (a bare
    ``image/png`` output is rendered without any alt text, invisible to screen readers).
    """
    if not alt.strip():
        raise ValueError("alt must describe the figure for readers who cannot see it")
    encoded = base64.b64encode(png).decode("ascii")
    tag = f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}"/>'
    output.outputs = (
        {
            "output_type": "display_data",
            "data": {"text/html": tag, "image/png": encoded, "text/plain": alt},
            "metadata": {},
        },
    )
