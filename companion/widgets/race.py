r"""The Chapter 6 explorer: an optimizer race on a 2-D surface, at one learning rate.

Pick a surface, tick the optimizers to race and set the learning rate :math:`\eta` they all
use. Each runs from the surface's start (:func:`companion.optim.minimize`); the left panel
shows the paths on the contour plot, the right panel the loss gap :math:`J - J^*` against the
step, and the readout ranks them. The same :math:`\eta` means different things to different
methods — for SGD it multiplies the gradient, for Adam it is (roughly) the length of a step
in each coordinate — and the race shows it.

It follows the book's rules for explorers (see :mod:`companion.widgets.base`): contours are
computed once per surface, the figure once; a change reruns only the runs it affects (a
ticked box runs one optimizer) and updates the artists' data; a divergent run is reported and
drawn up to its last finite point, never as NaN.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection

from ..descent import DescentResult
from ..optim import SGD, Adadelta, Adagrad, Adam, Optimizer, RMSprop, minimize
from ..plots import _STYLE, COLORS
from ..surfaces import Surface, beale, himmelblau, quadratic_bowl, rosenbrock, saddle
from .base import SurfaceExplorer, log_limits, lr_slider, row, snap_to_step
from .frames import Axis, Layer

__all__ = ["RACERS", "OptimizerRace", "optimizer_race", "race_surfaces"]

#: The optimizers that can race, by key: (label, a maker of the optimizer from params and lr).
#: The key is also the optimizer's colour in :data:`companion.plots.COLORS`.
RACERS: dict[str, tuple[str, Callable[..., Optimizer]]] = {
    "sgd": ("SGD", partial(SGD)),
    "momentum": ("momentum (β = 0.9)", partial(SGD, momentum=0.9)),
    "nesterov": ("Nesterov (β = 0.9)", partial(SGD, momentum=0.9, nesterov=True)),
    "adagrad": ("AdaGrad", partial(Adagrad)),
    "rmsprop": ("RMSProp", partial(RMSprop)),
    "adadelta": ("Adadelta", partial(Adadelta)),
    "adam": ("Adam", partial(Adam)),
}

#: The learning-rate slider's range, as powers of ten.
LR_EXPONENTS = (-4.0, 0.0)
#: Learning rates offered online, as multiples of the surface's own.
LR_FACTORS = (0.1, 0.3, 1.0, 3.0, 10.0)


def race_surfaces() -> dict[str, Surface]:
    r"""The surfaces of the race, by name, each with a learning rate that suits a race on it.

    The two bowls have the same curvatures (:math:`\kappa = 50`); one has its axes along the
    coordinates, the other is rotated by 30°. Per-coordinate step sizes fix the first, not
    the second.

    Examples
    --------
    >>> sorted(race_surfaces())[:3]
    ['axis-aligned bowl', 'beale', 'himmelblau']
    """
    aligned = quadratic_bowl(condition_number=50.0, degrees=0.0)
    aligned.name, aligned.lr = "axis-aligned bowl", 0.1
    rotated = quadratic_bowl(condition_number=50.0, degrees=30.0)
    rotated.name, rotated.lr = "rotated bowl", 0.1
    for bowl in (aligned, rotated):
        bowl.bounds = ((-2.0, 2.0), (-2.0, 2.0))
    surfaces = [rotated, aligned, rosenbrock(), beale(), himmelblau(), saddle()]
    rates = {"rosenbrock": 1e-3, "beale": 3e-3, "himmelblau": 1e-2, "saddle": 3e-2}
    for surface in surfaces:
        surface.lr = rates.get(surface.name, surface.lr)
    return {s.name: s for s in surfaces}


class OptimizerRace(SurfaceExplorer):
    r"""Race optimizers on a 2-D surface at one learning rate.

    Parameters
    ----------
    surfaces : dict of str to Surface, optional
        The surfaces to choose from; :func:`race_surfaces` by default. Each one's ``lr`` is
        the learning rate set when it is chosen.
    surface : str, default "rotated bowl"
    optimizers : sequence of str, default ("sgd", "momentum", "adam")
        The racers ticked at the start (keys of :data:`RACERS`).
    lr : float, optional
        :math:`\eta`; the surface's ``lr`` by default.
    steps : int, default 300

    Attributes
    ----------
    surface : ipywidgets.Dropdown
    checkboxes : dict of str to ipywidgets.Checkbox
        One per racer.
    lr : ipywidgets.FloatLogSlider
    steps : ipywidgets.IntSlider
    readout : ipywidgets.HTML
        A table: each racer's outcome, the winner, and who diverged.
    output : ipywidgets.Output
    widget : ipywidgets.VBox
    figure : matplotlib.figure.Figure
    path_lines, end_markers, loss_lines, diverged_markers : dict of str to Line2D
        Each racer's artists (empty when it is not ticked).
    results : dict of str to DescentResult
        The runs shown now, for the ticked racers.

    Examples
    --------
    >>> race = OptimizerRace(optimizers=("sgd", "adam"))
    >>> sorted(race.results)
    ['adam', 'sgd']
    >>> race.lr.value = 1.0                          # too much for momentum on this bowl?
    >>> race.checkboxes["momentum"].value = True
    >>> race.results["momentum"].status
    'converged'
    """

    ALT = (
        "Left: contours of the chosen surface with one path per selected optimizer, each "
        "in its own colour. Right: each optimizer's loss at every step on a log scale."
    )
    OFFLINE = {
        "steps": "Online the step budget stays at {value}; in a running notebook η and the "
        "budget are free."
    }

    def __init__(
        self,
        surfaces: dict[str, Surface] | None = None,
        surface: str = "rotated bowl",
        optimizers: Sequence[str] = ("sgd", "momentum", "adam"),
        lr: float | None = None,
        steps: int = 300,
    ) -> None:
        self._take_surfaces(race_surfaces() if surfaces is None else surfaces, surface, 160)
        unknown = set(optimizers) - set(RACERS)
        if unknown:
            raise ValueError(f"unknown optimizers {sorted(unknown)}; choose from {list(RACERS)}")
        lr = self.surfaces[surface].lr if lr is None else float(lr)
        if not 10 ** LR_EXPONENTS[0] <= lr <= 10 ** LR_EXPONENTS[1]:
            raise ValueError(f"lr must lie between 1e-4 and 1; got {lr!r}")
        if not 10 <= int(steps) <= 3000:
            raise ValueError(f"steps must be between 10 and 3000; got {steps!r}")

        # 1. Runs are cached by setting (each surface's contours are computed above).
        self._runs: dict[tuple, DescentResult] = {}
        self.results: dict[str, DescentResult] = {}

        # 2. Controls, readout, output.
        self.checkboxes = {
            key: widgets.Checkbox(
                value=key in optimizers,
                description=label,
                indent=False,
                layout=widgets.Layout(width="auto", margin="0 1em 0 0"),
            )
            for key, (label, _) in RACERS.items()
        }
        self.lr = lr_slider(lr, LR_EXPONENTS)
        self.steps = widgets.IntSlider(
            value=int(steps), min=10, max=3000, step=10, description="steps"
        )
        self._panel(row(self.surface, self.steps), row(*self.checkboxes.values()), self.lr)

        # 3. The one figure.
        with mpl.rc_context(_STYLE):
            self._new_figure((10.5, 4.3), left=0.07, right=0.985, bottom=0.13, top=0.91, wspace=0.3)
            self._build_axes()
            self._show_surface(surface)
        snap_to_step(self.lr)  # the page shows values on the slider's step grid
        self.surface.observe(self._on_surface, names="value")
        moving = (*self.path_lines.values(), *self.end_markers.values())
        moving += (*self.loss_lines.values(), *self.diverged_markers.values(), self._path_title)
        self._go_live(moving, (self.lr, self.steps, *self.checkboxes.values()))

    # -- the figure ----------------------------------------------------------------------

    def _build_axes(self) -> None:
        self.ax_path, self.ax_loss = self.figure.subplots(1, 2, width_ratios=(1.0, 1.15))
        ax = self.ax_path
        self.contour_lines = LineCollection([], cmap="viridis", linewidths=0.8, alpha=0.7)
        ax.add_collection(self.contour_lines)
        self.path_lines, self.end_markers, self.loss_lines, self.diverged_markers = {}, {}, {}, {}
        for key in RACERS:
            shade = COLORS[key]
            (self.path_lines[key],) = ax.plot([], [], "-", color=shade, lw=1.6, zorder=3)
            (self.end_markers[key],) = ax.plot(
                [], [], "o", color=shade, markersize=6, markeredgecolor="white", zorder=4
            )
            (self.loss_lines[key],) = self.ax_loss.plot([], [], color=shade, lw=1.6)
            (self.diverged_markers[key],) = self.ax_loss.plot(
                [], [], "x", color=shade, markersize=10, mew=2.5
            )
        (self.start_marker,) = ax.plot(
            [], [], "o", markersize=9, markerfacecolor="white", markeredgecolor="black", zorder=4
        )
        (self.minima_marker,) = ax.plot(
            [], [], "*", color=COLORS["exact"], markersize=12, linestyle="none", zorder=5
        )
        ax.set(xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
        ax.set_aspect("equal", adjustable="box")
        ax.grid(False)
        self._path_title = ax.set_title("")
        ax = self.ax_loss
        ax.set(yscale="log", xlabel=r"step $k$", ylabel=r"$J(\theta_k) - J^*$", ylim=(1e-12, 10))
        ax.set_autoscale_on(False)
        ax.set_title("the loss gap (×: a run diverged)")

    def _surface_shown(self, surface: Surface) -> None:
        self.start_marker.set_data([surface.start[0]], [surface.start[1]])
        # the loss axis is fixed per surface (so ticking a racer never moves it): twelve
        # decades below the start's gap (convergence) and four above it (divergence)
        start_gap = max(float(surface.f(surface.start)) - surface.min_value, 1e-12)
        self.ax_loss.set_ylim(*log_limits(1e-12 * start_gap, 1e4 * start_gap))

    # -- the pure part -------------------------------------------------------------------

    @property
    def racing(self) -> list[str]:
        """The keys of the ticked racers, in the order of :data:`RACERS`."""
        return [key for key, box in self.checkboxes.items() if box.value]

    def run(self, key: str) -> DescentResult:
        """One racer's run for the current surface, learning rate and budget (cached)."""
        surface = self.surfaces[self.surface.value]
        lr, steps = float(self.lr.value), int(self.steps.value)
        cache_key = (surface.name, key, lr, steps)
        if cache_key not in self._runs:
            if len(self._runs) > 256:
                self._runs.clear()
            make = partial(RACERS[key][1], lr=lr)
            self._runs[cache_key] = minimize(
                surface.f, surface.grad, surface.start, make, steps, tol=1e-6
            )
        return self._runs[cache_key]

    def update(self) -> None:
        """Run the ticked racers (reusing runs already made) and update artists and readout."""
        surface = self.surfaces[self.surface.value]
        self.results = {key: self.run(key) for key in self.racing}
        floor, ceiling = self.ax_loss.get_ylim()
        for key in RACERS:
            result = self.results.get(key)
            if result is None:
                for artist in (
                    self.path_lines[key],
                    self.end_markers[key],
                    self.loss_lines[key],
                    self.diverged_markers[key],
                ):
                    artist.set_data([], [])
                continue
            path = result.path
            self.path_lines[key].set_data(path[:, 0], path[:, 1])
            self.end_markers[key].set_data(path[-1:, 0], path[-1:, 1])
            gap = result.losses - surface.min_value
            # the floor: J reached J* to machine precision; the ceiling: a divergent run is
            # drawn up to the top of the axis, so the others' curves keep their room
            shown = np.clip(gap, floor, ceiling)
            steps = np.arange(shown.size)
            self.loss_lines[key].set_data(steps, shown)
            marker = (steps[-1:], shown[-1:]) if result.diverged else ([], [])
            self.diverged_markers[key].set_data(*marker)
        if self.ax_loss.get_xlim() != (0, int(self.steps.value)):
            self.ax_loss.set_xlim(0, int(self.steps.value))
            self._background = None
        self._path_title.set_text(f"{surface.name}, η = {float(self.lr.value):.2e}")
        self.readout.value = self._readout_html(surface)

    def _readout_html(self, surface: Surface) -> str:
        if not self.results:
            return "<p>Tick at least one optimizer to race.</p>"
        text = "".join(self._racer_line(key) for key in self.results)
        finished = {k: r.steps for k, r in self.results.items() if r.converged}
        if finished:
            winner = min(finished, key=finished.get)
            text += (
                "<p style='margin:0.3em 0 0'>"
                + html.escape(
                    f"Fastest to converge: {RACERS[winner][0]}, in {finished[winner]} steps."
                )
                + "</p>"
            )
        return text

    def _racer_line(self, key: str) -> str:
        """One racer's line of the readout: its outcome and final loss gap (HTML)."""
        result, surface = self.run(key), self.surfaces[self.surface.value]
        label, shade = RACERS[key][0], COLORS[key]
        if result.diverged:
            outcome = (
                f"<b style='color:#D55E00'>diverged at step {result.steps}</b> (this η is too "
                "large for the surface's steepest curvature; the path stops at its last "
                "finite point)"
            )
        else:
            outcome = html.escape(
                (
                    f"converged in {result.steps} steps"
                    if result.converged
                    else f"not there after {result.steps} steps"
                )
                + f", final J − J* = {result.losses[-1] - surface.min_value:.2e}"
            )
        line = (
            f"<div><span style='color:{shade}'>■</span> <b>{html.escape(label)}</b>: "
            f"{outcome}</div>"
        )
        if key == "adadelta":
            line += (
                "<div style='font-size:90%'>Adadelta's η only multiplies a step that sets its "
                "own size, starting near √ε; PyTorch's default is η = 1.</div>"
            )
        return line

    # -- online --------------------------------------------------------------------------

    def online_axes(self) -> list[Axis]:
        """Online: every surface, and five learning rates around each surface's own."""

        def lrs(settings: dict[str, Any]) -> list[float]:
            lr = self.surfaces[settings["surface"]].lr
            values = [float(f"{lr * factor:.3g}") for factor in LR_FACTORS]
            return [v for v in values if 10 ** LR_EXPONENTS[0] <= v <= 10 ** LR_EXPONENTS[1]]

        return [
            Axis("surface", "surface", list(self.surfaces), kind="dropdown"),
            Axis("lr", "η", lrs, label=lambda v: f"{v:g}", depends_on="surface"),
        ]

    def online_layers(self) -> list[Layer]:
        """Each racer is a layer of its own, switched on and off by its own toggle."""

        def layer(key: str) -> Layer:
            def switch(on: bool) -> None:
                self.checkboxes[key].value = on

            def artists() -> tuple:
                return (
                    self.path_lines[key],
                    self.end_markers[key],
                    self.loss_lines[key],
                    self.diverged_markers[key],
                )

            return Layer(
                key,
                RACERS[key][0],
                self.checkboxes[key].value,
                switch,
                artists,
                lambda: self._racer_line(key),
            )

        return [layer(key) for key in RACERS]

    def frame_readout(self) -> str:
        return ""

    def describe(self) -> str:
        names = ", ".join(RACERS[k][0] for k in self.results) or "no optimizer"
        return (
            f"{self.ALT} Now: {self.surface.value}, η = {float(self.lr.value):.3g}, racing {names}."
        )


def optimizer_race(**kwargs: Any) -> OptimizerRace:
    """Build the Chapter 6 widget (leave it as a cell's last expression to display it).

    Parameters
    ----------
    **kwargs
        Passed to :class:`OptimizerRace` (``surface``, ``optimizers``, ``lr``, ``steps``).
    """
    return OptimizerRace(**kwargs)
