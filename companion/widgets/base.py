"""What every explorer shares: one figure, live redraws in a kernel, frames for the online book.

An explorer subclasses :class:`Explorer`. It builds its controls, a readout (``ipywidgets.HTML``)
and an ``Output``, creates its one figure with :meth:`Explorer._new_figure`, defines
``update()`` — read the controls, recompute, move the artists, write the readout — and ends its
constructor with :meth:`Explorer._go_live`. In a kernel every control change calls ``update()``
and repaints only the moving artists over a cached picture of the rest (*blitting*).

The online book has no kernel. There an explorer is shown as *frames* rendered at build time by
the same ``update()``: it declares the values each control offers online in
:meth:`Explorer.online_axes` (and independent overlays in :meth:`Explorer.online_layers`), and
:mod:`companion.widgets.frames` does the rest. See that module.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from collections.abc import Sequence
from typing import Any

import contourpy
import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..plots import contour_levels
from ..surfaces import Surface

__all__ = ["Explorer", "contour_segments", "lr_slider", "show_png", "snap_to_step"]

#: Dots per inch of every explorer figure: a 10-inch figure is 800 px wide, about the text
#: column of the book at 1280 px; the page scales it down on a phone.
DPI = 80


def show_png(output: widgets.Output, png: bytes, alt: str) -> None:
    """Replace everything in ``output`` with one PNG image described by ``alt``.

    The image goes out twice: as ``image/png`` for notebook front ends and as an HTML
    ``<img>`` carrying the alt text, which the book's pages and JupyterLab prefer (a bare
    ``image/png`` output is rendered without any alt text, invisible to screen readers).
    It sets the ``Output`` widget's state directly instead of ``with output: display(...)``:
    inside a notebook executed by nbclient (the book build, nbval) capturing output races on
    the kernel's shell channel and can stall the cell (jupyter/nbclient#312).
    """
    if not alt.strip():
        raise ValueError("alt must describe the figure for readers who cannot see it")
    encoded = base64.b64encode(png).decode("ascii")
    output.outputs = (
        {
            "output_type": "display_data",
            "data": {"text/html": img_tag(encoded, alt), "image/png": encoded, "text/plain": alt},
            "metadata": {},
        },
    )


def img_tag(encoded: str, alt: str, style: str = "max-width:100%;height:auto") -> str:
    """An ``<img>`` of a base64 PNG with its alt text, scaled to fit its container."""
    return f'<img alt="{html.escape(alt)}" style="{style}" src="data:image/png;base64,{encoded}"/>'


def png_bytes(pixels: np.ndarray) -> bytes:
    """Encode an RGB or RGBA pixel array as a PNG, small: an RGBA picture (an overlay of
    lines on a transparent ground) is reduced to a 256-colour palette first."""
    image = PIL.Image.fromarray(pixels)
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image = image.quantize(colors=256, method=PIL.Image.Quantize.FASTOCTREE)
        image.save(buffer, format="PNG", optimize=True)
    else:
        image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


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
        layout=SLIDER_LAYOUT,
    )


#: Sliders take the column's width up to 420 px, so they never stick out on a phone.
SLIDER_LAYOUT = widgets.Layout(width="420px", max_width="100%")
#: Rows of controls wrap instead of running past the column.
ROW_LAYOUT = widgets.Layout(flex_flow="row wrap", max_width="100%")


def row(*children: widgets.Widget) -> widgets.HBox:
    """Controls side by side that wrap onto a new line when the column is narrow."""
    return widgets.HBox(list(children), layout=ROW_LAYOUT)


def readout_table(rows: Sequence[tuple[str, str]]) -> str:
    """A readout's numbers as an HTML table: one row per (name, value), values as code."""
    cells = "".join(
        f"<tr><td style='padding-right:1em'>{name}</td><td><code>{html.escape(value)}</code>"
        "</td></tr>"
        for name, value in rows
    )
    return f"<table style='margin:0'>{cells}</table>"


def outcome(result: Any) -> str:
    """How a run (:class:`companion.descent.DescentResult`) ended, in a few words."""
    if result.diverged:
        return f"diverged at step {result.steps}"
    if result.converged:
        return f"converged in {result.steps} steps"
    return f"step budget ({result.steps}) used up"


def toggle_buttons(options: Sequence[str], value: str, description: str) -> widgets.ToggleButtons:
    """A choice among a few named options, as a row of buttons that wraps on a phone."""
    return widgets.ToggleButtons(
        options=list(options),
        value=value,
        description=description,
        style={"button_width": "80px"},
        layout=widgets.Layout(max_width="100%"),
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


def log_limits(low: float, high: float) -> tuple[float, float]:
    """Whole decades around ``[low, high]`` (one more on each side), for a log-scale axis."""
    return 10.0 ** (np.floor(np.log10(low)) - 1), 10.0 ** (np.ceil(np.log10(high)) + 1)


def contour_segments(surface: Surface, n: int) -> tuple[list[np.ndarray], np.ndarray, int]:
    """A surface's contour lines as segments for a LineCollection, with each one's level index."""
    X, Y, Z = surface.grid(n)
    levels = contour_levels(surface, Z)
    generator = contourpy.contour_generator(X, Y, np.where(np.isfinite(Z), Z, np.nan))
    segments, index = [], []
    for i, level in enumerate(levels):
        for line in generator.lines(level):
            segments.append(line)
            index.append(i)
    return segments, np.array(index, dtype=float), len(levels)


def live_kernel() -> bool:
    """Whether a reader runs this cell in a notebook front end (JupyterLab, Colab, VS Code).

    Front ends let code ask for input (``allow_stdin``); a notebook *executed* for the book or
    by nbval (nbclient) does not. ``COMPANION_EXPLORERS=live`` or ``=frames`` overrides it.
    """
    forced = os.environ.get("COMPANION_EXPLORERS", "").strip().lower()
    if forced in {"live", "frames"}:
        return forced == "live"
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return False
    parent = kernel.get_parent() if hasattr(kernel, "get_parent") else {}
    return bool(parent.get("content", {}).get("allow_stdin", False))


class Explorer:
    """The shared base of the book's explorers: render, redisplay, react, display itself.

    A subclass sets :attr:`ALT` (the figure's alt text), builds ``self.widget`` (the whole
    control panel) and ``self.output``, creates its figure with :meth:`_new_figure`, defines
    ``update()``, which recomputes and moves the artists, and ends its constructor with
    :meth:`_go_live`. Set ``self._busy`` while changing several controls at once so that only
    one update runs at the end; set ``self._background = None`` when anything static changes.

    Displayed as the last expression of a cell, an explorer is live in a notebook front end and
    shows its precomputed frames (:meth:`online`) when the notebook is executed to build the
    book.
    """

    ALT = ""
    _busy = False

    def _panel(self, *controls: widgets.Widget) -> None:
        """The control panel a notebook displays: the controls (rows of them), then the readout
        (``self.readout``, HTML) and the output area the figure is shown in (``self.output``)."""
        self.readout = widgets.HTML()
        self.output = widgets.Output()
        self.widget = widgets.VBox([*controls, self.readout, self.output])

    def _new_figure(self, figsize: tuple[float, float], **margins: float) -> None:
        """Create the one figure (``self.figure``) and the canvas that renders it to PNG.

        Without ``margins`` the layout is computed once (constrained layout) when the
        explorer goes live, then frozen so that updates never move the axes.
        """
        self.figure = Figure(figsize=figsize, dpi=DPI)
        if margins:
            self.figure.subplots_adjust(**margins)
        else:
            self.figure.set_layout_engine("constrained")
        self._canvas = FigureCanvasAgg(self.figure)

    def _go_live(self, moving: Sequence[Artist], controls: Sequence[widgets.Widget]) -> None:
        """Mark the artists that move (blitted over a cached background), draw the first
        state, then redraw whenever one of ``controls`` changes."""
        if self.figure.get_layout_engine() is not None:
            self._canvas.draw()  # lay the figure out once, then keep that layout
            self.figure.set_layout_engine("none")
        self._moving = tuple(moving)
        for artist in self._moving:  # drawn by blitting, not as part of the background
            artist.set_animated(True)
        self._controls = tuple(controls)
        self._background = None
        self._busy = False
        self.update()
        for control in self._controls:
            control.observe(self._on_change, names="value")
        self._redraw()

    def update(self) -> None:  # pragma: no cover - every explorer defines it
        raise NotImplementedError

    # -- rendering -----------------------------------------------------------------------

    def _static_key(self) -> tuple:
        """What the static picture depends on: every axis's limits, plus what an explorer
        swaps in (its surface, its map) — explorers that swap add that to this key."""
        return tuple((ax.get_xlim(), ax.get_ylim()) for ax in self.figure.axes)

    def _draw_background(self) -> None:
        """Draw everything but the moving artists, and keep that picture (a few of them: a
        control often moves back and forth between two axis ranges)."""
        if self._background is not None:
            return
        cache = self.__dict__.setdefault("_backgrounds", {})
        key = self._static_key()
        if key not in cache:
            if len(cache) >= 16:
                cache.pop(next(iter(cache)))
            self._canvas.draw()  # animated artists are skipped: this draws everything else
            region = self._canvas.copy_from_bbox(self.figure.bbox)
            cache[key] = (region, png_bytes(np.asarray(self._canvas.buffer_rgba())[..., :3]))
        self._background, self._background_png = cache[key]

    def render(self) -> bytes:
        """The figure as PNG bytes: the cached background plus the moving artists."""
        self._draw_background()
        self._canvas.restore_region(self._background)
        for artist in self._moving:
            self.figure.draw_artist(artist)
        pixels = np.asarray(self._canvas.buffer_rgba())[..., :3]
        buffer = io.BytesIO()
        PIL.Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()

    def render_layers(self, *groups: Sequence[Artist]) -> tuple[bytes, list[bytes]]:
        """The static background as a PNG, and each group of moving artists as a transparent
        PNG of the same size (what the online frames stack on top of each other)."""
        self._draw_background()
        renderer = self._canvas.get_renderer()
        overlays = []
        for group in groups:
            renderer.clear()  # transparent
            for artist in group:
                self.figure.draw_artist(artist)
            overlays.append(png_bytes(np.array(self._canvas.buffer_rgba())))
        self._canvas.restore_region(self._background)
        return self._background_png, overlays

    def frame_readout(self) -> str:
        """The readout of an online frame (HTML): what the kernel shows now."""
        return self.readout.value

    def describe(self) -> str:
        """Alt text for what is shown now; explorers add the setting to :attr:`ALT`."""
        return self.ALT

    def _redraw(self) -> None:
        """Render the figure and show it, with its alt text, in the output area."""
        self.png = self.render()
        show_png(self.output, self.png, self.describe())

    def _on_change(self, change: dict[str, Any]) -> None:
        if self._busy:
            return
        self.update()
        self._redraw()

    # -- online --------------------------------------------------------------------------

    def online_axes(self) -> list:
        """The controls the online book offers, each with the values it offers there
        (a list of :class:`companion.widgets.frames.Axis`). None by default."""
        return []

    def online_layers(self) -> list:
        """Independent overlays the online book toggles (the race's optimizers): a list of
        :class:`companion.widgets.frames.Layer`. None by default."""
        return []

    #: Controls that cannot be served online, by attribute name: a one-line note, in which
    #: ``{value}`` stands for the value the control keeps there.
    OFFLINE: dict[str, str] = {}

    def offline_notes(self) -> dict[str, str]:
        """The notes of :attr:`OFFLINE`, with each control's value filled in."""
        return {
            name: note.format(value=getattr(self, name).value)
            for name, note in self.OFFLINE.items()
        }

    def online(self) -> widgets.Widget:
        """This explorer as frames rendered now, switched in the browser without a kernel."""
        from .frames import build_online

        return build_online(self)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        shown = self.widget if live_kernel() or not self.online_axes() else self.online()
        return shown._repr_mimebundle_(**kwargs)


class SurfaceExplorer(Explorer):
    """An explorer over a choice of 2-D surfaces (chapters 2 and 6).

    Each surface's contour lines are computed once; the ``surface`` dropdown swaps them in,
    with the surface's minima and window, and resets the controls that depend on the surface
    (:meth:`_reset_for`: the learning rate, by default). A subclass draws ``contour_lines``
    (a LineCollection), ``minima_marker`` on ``ax_path``, and adds what else a surface changes
    in :meth:`_surface_shown`.
    """

    def _take_surfaces(self, surfaces: dict[str, Surface], surface: str, grid_size: int) -> None:
        """Check the surfaces, compute their contours and make the ``surface`` dropdown."""
        self.surfaces = dict(surfaces)
        if surface not in self.surfaces:
            raise ValueError(f"surface must be one of {sorted(self.surfaces)}; got {surface!r}")
        for name, s in self.surfaces.items():
            if s.dim != 2:
                raise ValueError(f"the explorer needs 2-D surfaces; {name!r} has dim {s.dim}")
        self._contours = {name: contour_segments(s, grid_size) for name, s in self.surfaces.items()}
        self.surface = widgets.Dropdown(
            options=list(self.surfaces), value=surface, description="surface"
        )

    def _show_surface(self, name: str) -> None:
        """Swap in a surface's precomputed contour lines, minima and window (no new artists)."""
        surface = self.surfaces[name]
        segments, level_index, n_levels = self._contours[name]
        self.contour_lines.set_segments(segments)
        self.contour_lines.set_array(level_index)
        self.contour_lines.set_clim(0, max(n_levels - 1, 1))
        self.minima_marker.set_data(surface.minima[:, 0], surface.minima[:, 1])
        (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
        self.ax_path.set_xlim(x_lo, x_hi)
        self.ax_path.set_ylim(y_lo, y_hi)
        self._surface_shown(surface)
        self._background = None  # the static part changed: render it again

    def _surface_shown(self, surface: Surface) -> None:
        """What else a new surface changes in the static picture (a subclass adds it)."""

    def _reset_for(self, surface: Surface) -> None:
        """Set the controls that follow the surface: its own learning rate."""
        self.lr.value = surface.lr

    def _on_surface(self, change: dict[str, Any]) -> None:
        """A new surface: its contours, window and controls; one update at the end."""
        applying, self._busy = self._busy, True  # not one update per control it resets
        try:
            self._reset_for(self.surfaces[change["new"]])
            self._show_surface(change["new"])
        finally:
            self._busy = applying
        if not applying:
            self.update()
            self._redraw()

    def _static_key(self) -> tuple:
        return (*super()._static_key(), self.surface.value)
