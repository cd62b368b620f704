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
import io
import math
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["blit_png", "fit_log_limits", "show_png", "snap_to_step"]


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


def blit_png(
    canvas: FigureCanvasAgg, moving: Sequence[Artist], background: Any
) -> tuple[bytes, Any]:
    """Render a figure to PNG by redrawing only its moving artists (blitting).

    The static part (axes, contours, labels) is drawn once and kept as ``background``;
    each call restores it and draws just ``moving``, which must be marked animated. Pass
    ``background=None`` after anything static changed (limits, a new surface).

    Returns
    -------
    (bytes, background)
        The PNG, and the background to pass to the next call.
    """
    if background is None:
        canvas.draw()  # animated artists are skipped: this draws everything else
        background = canvas.copy_from_bbox(canvas.figure.bbox)
    canvas.restore_region(background)
    for artist in moving:
        canvas.figure.draw_artist(artist)
    pixels = np.asarray(canvas.buffer_rgba())[..., :3]
    buffer = io.BytesIO()
    PIL.Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue(), background


def lr_slider(
    value: float, exponents: Sequence[float], step: float = 0.01, readout_format: str = ".2e"
) -> widgets.FloatLogSlider:
    """The learning-rate slider every explorer uses: η on a log scale.

    ``exponents`` are the base-10 logarithms of the smallest and largest η; ``step`` is in
    decades too (0.01: a hundred positions per factor of ten).
    """
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=exponents[0],
        max=exponents[1],
        step=step,
        description="η",
        readout_format=readout_format,
        continuous_update=True,
        layout=widgets.Layout(width="420px"),
    )


def snap_to_step(slider: widgets.FloatSlider | widgets.FloatLogSlider) -> None:
    """Move a slider's value onto its step grid, as the browser will.

    A page moves a saved value that lies between steps to the nearest step, so the readout
    would disagree with the figure the kernel drew. Call this before observing the slider.
    """
    if isinstance(slider, widgets.FloatLogSlider):
        exponent = math.log(slider.value, slider.base)
        steps = round((exponent - slider.min) / slider.step)
        slider.value = slider.base ** (slider.min + steps * slider.step)
    else:
        steps = round((slider.value - slider.min) / slider.step)
        slider.value = slider.min + steps * slider.step


def fit_log_limits(ax: Any, low: float, high: float, steps: int) -> bool:
    """Fit a log-scale loss axis to whole decades around ``[low, high]`` and ``steps``.

    The limits change only when the curves leave them or fill much less of them, so most
    updates keep the cached static background of :func:`blit_png`.

    Returns
    -------
    bool
        Whether the limits changed (then the background must be redrawn).
    """
    (y_lo, y_hi), (_, x_hi) = ax.get_ylim(), ax.get_xlim()
    changed = False
    fits = y_lo <= low and high <= y_hi
    shown = np.log10(high / low) + 1.0
    if not fits or np.log10(y_hi / y_lo) > 3 * shown + 2:
        ax.set_ylim(10.0 ** (np.floor(np.log10(low)) - 1), 10.0 ** (np.ceil(np.log10(high)) + 1))
        changed = True
    if x_hi != steps:
        ax.set_xlim(0, steps)
        changed = True
    return changed


class BlitExplorer:
    """What every blitting explorer shares: render, redisplay, react, display itself.

    A subclass sets :attr:`ALT` (the figure's alt text), builds ``self.widget`` (the whole
    control panel) and ``self.output``, creates its figure with :meth:`_new_figure`, defines
    ``update()``, which recomputes and moves the artists, and ends its constructor with
    :meth:`_go_live`. Set ``self._busy`` while changing several controls at once so
    that only one update runs at the end.
    """

    ALT = ""
    _busy = False

    def _new_figure(self, figsize: tuple[float, float], **margins: float) -> None:
        """Create the one figure (``self.figure``) and the canvas that renders it to PNG."""
        self.figure = Figure(figsize=figsize)
        self.figure.subplots_adjust(**margins)
        self._canvas = FigureCanvasAgg(self.figure)

    def _go_live(self, moving: Sequence[Artist], controls: Sequence[widgets.Widget]) -> None:
        """Mark the artists that move (blitted over a cached background), draw the first
        state, then redraw whenever one of ``controls`` changes."""
        self._moving = tuple(moving)
        for artist in self._moving:  # drawn by blitting, not as part of the background
            artist.set_animated(True)
        self._background = None
        self._busy = False
        self.update()
        for control in controls:
            control.observe(self._on_change, names="value")
        self._redraw()

    def render(self) -> bytes:
        """The figure as PNG bytes: the cached background plus the moving artists."""
        png, self._background = blit_png(self._canvas, self._moving, self._background)
        return png

    def _redraw(self) -> None:
        """Render the figure and show it, with its alt text, in the output area."""
        self.png = self.render()
        show_png(self.output, self.png, self.ALT)

    def _on_change(self, change: dict[str, Any]) -> None:
        if self._busy:
            return
        self.update()
        self._redraw()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
