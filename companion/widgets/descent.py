"""The Chapter 2 explorer: pick a surface, a start point and a learning rate; watch descent.

It follows the rules of every explorer in the book (see :mod:`companion.widgets.base`):

1. Everything that does not depend on the controls is computed once, when it is built: each
   surface's grid, its contour levels and the contour lines themselves.
2. The figure is built once. A change of a control reruns gradient descent and only updates
   the data of existing artists (the path, the loss curve, the contour line collection).
   The static part — contours, axes, ticks — is rendered once and kept as a bitmap; a
   change repaints only the moving artists on top of it (matplotlib's *blitting*), until the
   surface or an axis range changes.
3. A divergent run is flagged in the readout and drawn up to its last finite point: the
   figure never shows a NaN and the callback never raises.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection

from .._validate import positive_number
from ..descent import DescentResult, gradient_descent
from ..plots import _STYLE, COLORS
from ..surfaces import Quadratic, Surface, gallery
from .base import SurfaceExplorer, lr_slider, outcome, readout_table, row
from .frames import Axis

__all__ = ["DescentExplorer", "descent_explorer"]

#: Start points offered online besides each surface's own: across basins, on and off the
#: saddle's line, far out on the plateau.
ONLINE_STARTS: dict[str, list[tuple[float, float]]] = {
    "quadratic bowl": [(1.5, 1.5), (-1.8, -0.5)],
    "rosenbrock": [(-1.0, -0.5), (1.5, 2.5)],
    "himmelblau": [(0.5, 0.5), (-0.5, -0.5), (0.5, -0.5)],
    "beale": [(-1.0, 1.5), (2.0, -1.0)],
    "saddle": [(1.8, 0.0), (1.8, 0.01)],
    "plateau": [(1.0, 0.8), (4.0, 4.0)],
}
#: Learning rates offered online, as multiples of the surface's own.
LR_FACTORS = (0.1, 0.5, 1.0, 1.2, 2.0)

#: The learning-rate slider's range, as powers of ten.
LR_EXPONENTS = (-5.0, 1.0)


class DescentExplorer(SurfaceExplorer):
    r"""Gradient descent on a 2-D surface: the path on the contour plot and the loss curve.

    Parameters
    ----------
    surfaces : dict of str to Surface, optional
        The surfaces to choose from (2-D); :func:`companion.surfaces.gallery` by default.
    surface : str, default "quadratic bowl"
        The surface shown first.
    start : (float, float), optional
        The start point; the surface's own ``start`` by default.
    lr : float, optional
        The learning rate :math:`\eta`; the surface's own ``lr`` by default.
    steps : int, default 200
        The step budget.
    tol : float, default 1e-6
        Stop when :math:`\|\nabla J\| \le` ``tol``.
    grid_size : int, default 160
        Grid points per axis for the contour lines.

    Attributes
    ----------
    surface : ipywidgets.Dropdown
    start_x, start_y : ipywidgets.FloatSlider
        The start point :math:`\theta_0`; their ranges follow the surface's window.
    lr : ipywidgets.FloatLogSlider
        The learning rate :math:`\eta`.
    steps : ipywidgets.IntSlider
        The step budget.
    readout : ipywidgets.HTML
        Why the run stopped, where it ended and how good that point is; a warning on divergence.
    output : ipywidgets.Output
    widget : ipywidgets.VBox
        Everything together (what a notebook displays).
    figure : matplotlib.figure.Figure
        The one figure: contours and path on the left, the loss curve on the right.
    contour_lines : matplotlib.collections.LineCollection
        The current surface's precomputed contour lines.
    path_line, start_marker, end_marker, minima_marker, saddle_marker : Line2D
        Artists of the left panel.
    loss_line, diverged_marker : Line2D
        Artists of the right panel (:math:`J(\theta_k) - J^*` on a log scale).
    result : companion.descent.DescentResult
        The run shown now.

    Examples
    --------
    >>> explorer = DescentExplorer(surface="quadratic bowl")
    >>> explorer.result.status
    'converged'
    >>> explorer.lr.value = 3.0                     # above 2/L = 2 for this bowl
    >>> explorer.result.status, "Diverged" in explorer.readout.value
    ('diverged', True)
    """

    ALT = (
        "Left: contours of the chosen surface with the gradient descent path from the start "
        "point. Right: the loss at every step on a log scale."
    )
    OFFLINE = {
        "steps": "Online the step budget stays at {value} and θ₀ and η take the values above; "
        "in a running notebook every slider is free."
    }

    def __init__(
        self,
        surfaces: dict[str, Surface] | None = None,
        surface: str = "quadratic bowl",
        start: tuple[float, float] | None = None,
        lr: float | None = None,
        steps: int = 200,
        tol: float = 1e-6,
        grid_size: int = 160,
    ) -> None:
        self._take_surfaces(gallery() if surfaces is None else surfaces, surface, grid_size)
        if not 1 <= int(steps) <= 5000:
            raise ValueError(f"steps must be between 1 and 5000; got {steps!r}")
        self.tol = float(tol)
        chosen = self.surfaces[surface]
        lr = chosen.lr if lr is None else positive_number(lr, "lr")
        if not 10 ** LR_EXPONENTS[0] <= lr <= 10 ** LR_EXPONENTS[1]:
            raise ValueError(f"lr must lie between 1e-5 and 10; got {lr!r}")

        # 1. Precompute, once per surface, the loss axis (the contours are computed above).
        self._loss_limits = {name: _loss_limits(s) for name, s in self.surfaces.items()}

        # 2. Controls, readout, output.
        (x_lo, x_hi), (y_lo, y_hi) = chosen.bounds
        x0, y0 = chosen.start if start is None else start
        slider = {"continuous_update": True, "readout_format": ".2f"}
        self.start_x = widgets.FloatSlider(
            value=x0, min=x_lo, max=x_hi, step=(x_hi - x_lo) / 400, description="θ₀ (x)", **slider
        )
        self.start_y = widgets.FloatSlider(
            value=y0, min=y_lo, max=y_hi, step=(y_hi - y_lo) / 400, description="θ₀ (y)", **slider
        )
        self.lr = lr_slider(lr, LR_EXPONENTS)
        self.steps = widgets.IntSlider(
            value=int(steps), min=10, max=5000, step=10, description="steps"
        )
        self._panel(row(self.surface, self.steps), row(self.start_x, self.start_y), self.lr)

        # 3. The one figure.
        with mpl.rc_context(_STYLE):
            self._new_figure((10.0, 4.2), left=0.08, right=0.985, bottom=0.12, top=0.91, wspace=0.3)
            self._build_axes()
            self._show_surface(surface)
        self.surface.observe(self._on_surface, names="value")
        moving = (self.path_line, self.start_marker, self.end_marker, self._path_title)
        moving += (self.loss_line, self.diverged_marker, self._loss_title)
        self._go_live(moving, (self.start_x, self.start_y, self.lr, self.steps))

    # -- the figure ----------------------------------------------------------------------

    def _build_axes(self) -> None:
        self.ax_path, self.ax_loss = self.figure.subplots(1, 2, width_ratios=(1.0, 1.15))
        ax = self.ax_path
        self.contour_lines = LineCollection([], cmap="viridis", linewidths=0.8, alpha=0.8)
        ax.add_collection(self.contour_lines)
        (self.path_line,) = ax.plot([], [], "-o", color=COLORS["gd"], markersize=2, lw=1.2)
        (self.start_marker,) = ax.plot(
            [], [], "o", markersize=8, markerfacecolor="white", markeredgecolor=COLORS["gd"]
        )
        (self.end_marker,) = ax.plot([], [], "o", color=COLORS["adam"], markersize=6, zorder=4)
        (self.minima_marker,) = ax.plot(
            [], [], "*", color=COLORS["exact"], markersize=12, linestyle="none", zorder=5
        )
        (self.saddle_marker,) = ax.plot(
            [], [], "x", color=COLORS["exact"], markersize=9, mew=2, linestyle="none", zorder=5
        )
        ax.set(xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
        ax.set_aspect("equal", adjustable="box")
        ax.grid(False)
        self._path_title = ax.set_title("")

        ax = self.ax_loss
        (self.loss_line,) = ax.plot([], [], color=COLORS["gd"])
        (self.diverged_marker,) = ax.plot(
            [], [], "x", color=COLORS["adam"], markersize=10, mew=2, zorder=4
        )
        ax.set(yscale="log", xlabel=r"step $k$", ylabel=r"$J(\theta_k) - J^*$")
        ax.set_autoscale_on(False)
        self._loss_title = ax.set_title("")

    def _surface_shown(self, surface: Surface) -> None:
        self.saddle_marker.set_data(surface.saddles[:, 0], surface.saddles[:, 1])
        self.ax_loss.set_ylim(*self._loss_limits[surface.name])

    # -- online --------------------------------------------------------------------------

    def online_axes(self) -> list[Axis]:
        """Online: each surface, a few start points on it, and learning rates around its own."""

        def starts(settings: dict[str, Any]) -> list[tuple[float, float]]:
            surface = self.surfaces[settings["surface"]]
            points = [tuple(map(float, surface.start))]
            points += [p for p in ONLINE_STARTS.get(surface.name, ()) if p not in points]
            return points

        def lrs(settings: dict[str, Any]) -> list[float]:
            lr = self.surfaces[settings["surface"]].lr
            return [float(f"{lr * factor:.3g}") for factor in LR_FACTORS]

        def set_start(explorer: DescentExplorer, point: tuple[float, float]) -> None:
            explorer.start_x.value, explorer.start_y.value = point

        return [
            Axis("surface", "surface", list(self.surfaces), kind="dropdown"),
            Axis(
                "start",
                "θ₀",
                starts,
                label=lambda p: f"({p[0]:.3g}, {p[1]:.3g})",
                kind="dropdown",
                depends_on="surface",
                apply=set_start,
                current=lambda e: (e.start_x.value, e.start_y.value),
            ),
            Axis("lr", "η", lrs, label=lambda v: f"{v:g}", depends_on="surface"),
        ]

    def describe(self) -> str:
        result = self.result
        return (
            f"{self.ALT} Now: {self.surface.value} from ({self.start_x.value:.3g}, "
            f"{self.start_y.value:.3g}) with η = {result.lr:.3g}: {result.status} after "
            f"{result.steps} steps."
        )

    # -- the pure part -------------------------------------------------------------------

    def run(self) -> DescentResult:
        """Run gradient descent with the controls' current values."""
        surface = self.surfaces[self.surface.value]
        start = np.array([self.start_x.value, self.start_y.value], dtype=np.float64)
        return gradient_descent(
            surface.f, surface.grad, start, float(self.lr.value), int(self.steps.value), self.tol
        )

    def update(self) -> None:
        """Rerun descent for the current controls and update the artists and the readout.

        Only the data of existing artists changes; nothing is created or displayed.
        """
        surface = self.surfaces[self.surface.value]
        result = self.result = self.run()
        path = result.path
        self.path_line.set_data(path[:, 0], path[:, 1])
        self.start_marker.set_data(path[:1, 0], path[:1, 1])
        self.end_marker.set_data(path[-1:, 0], path[-1:, 1])
        self._path_title.set_text(f"{surface.name}, η = {result.lr:.2e}")

        gap = result.losses - surface.min_value
        # the floor: J reached J* to machine precision; the ceiling: a divergent run
        floor, ceiling = self.ax_loss.get_ylim()
        shown = np.clip(gap, floor, ceiling)
        steps = np.arange(shown.size)
        self.loss_line.set_data(steps, shown)
        if result.diverged:
            self.diverged_marker.set_data(steps[-1:], shown[-1:])
        else:
            self.diverged_marker.set_data([], [])
        if self.ax_loss.get_xlim() != (0, int(self.steps.value)):
            self.ax_loss.set_xlim(0, int(self.steps.value))
            self._background = None
        self._loss_title.set_text(outcome(result))
        self.readout.value = self._readout_html(surface, result)

    def _readout_html(self, surface: Surface, result: DescentResult) -> str:
        theta = ", ".join(f"{v:.4g}" for v in result.x)
        kind, point, distance = surface.nearest(result.x)
        where = ", ".join(f"{v:.3g}" for v in point)
        rows = [
            ("status", f"{result.status} after {result.steps} steps"),
            ("final θ", f"({theta})"),
            ("J(θ)", f"{result.losses[-1]:.6g}  (J* = {surface.min_value:.6g})"),
            ("‖∇J(θ)‖", f"{result.grad_norms[-1]:.2e}"),
            (f"nearest {kind}", f"({where}), at distance {distance:.2e}"),
        ]
        text = readout_table(rows)
        if result.diverged:
            advice = "Make η smaller."
            if isinstance(surface, Quadratic):
                advice = (
                    f"This bowl is stable only for η < 2/L = {surface.stable_lr:.3g}; "
                    f"here η = {result.lr:.3g}."
                )
            text += (
                "<p style='color:#D55E00'><b>Diverged:</b> "
                + html.escape(f"{result.message}. {advice}")
                + "</p>"
            )
        elif result.converged and kind == "saddle" and distance < 1e-2:
            text += (
                "<p style='color:#D55E00'><b>Stopped at a saddle point:</b> the gradient "
                "vanishes here, but this is not a minimum. Move θ₀ off the line it came along.</p>"
            )
        elif result.converged and surface.f(result.x) - surface.min_value > 1e-3:
            text += (
                "<p style='color:#D55E00'><b>Small gradient, high loss:</b> the run stopped "
                "where the surface is flat, far from the global minimum.</p>"
            )
        return text

    def _reset_for(self, surface: Surface) -> None:
        """A new surface: its own start point (the sliders take its window) and rate."""
        for slider, (lo, hi), value in zip(
            (self.start_x, self.start_y), surface.bounds, surface.start, strict=True
        ):
            slider.min, slider.max = min(lo, slider.min), max(hi, slider.max)
            slider.value = float(value)
            slider.min, slider.max, slider.step = lo, hi, (hi - lo) / 400
        super()._reset_for(surface)


def _loss_limits(surface: Surface) -> tuple[float, float]:
    """The loss axis of a surface, fixed: from the largest gap J - J* in its window (and a
    decade more, for a divergent run's last point) down 18 decades (J* reached to machine
    precision). Fixed limits keep the static picture, so a control change repaints only the
    path and the curve."""
    _, _, Z = surface.grid(60)
    top = float(np.nanmax(np.where(np.isfinite(Z), Z, np.nan))) - surface.min_value
    ceiling = 10.0 ** np.ceil(np.log10(max(top, 1e-300)) + 1)
    return ceiling * 1e-18, ceiling


def descent_explorer(**kwargs: Any) -> DescentExplorer:
    """Build the Chapter 2 widget (leave it as a cell's last expression to display it).

    Parameters
    ----------
    **kwargs
        Passed to :class:`DescentExplorer` (``surface``, ``start``, ``lr``, ``steps``, ...).
    """
    return DescentExplorer(**kwargs)
