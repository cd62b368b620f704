r"""The Chapter 5 explorer: slide the learning rate :math:`\eta` and the momentum :math:`\beta`.

On an ill-conditioned quadratic bowl, the left panel shows the path of SGD with momentum on
the contour plot; the right panel is the map of the convergence factor
:math:`\rho(\eta, \beta)` over the whole :math:`(\eta, \beta)` plane, computed in closed form
from the bowl's eigenvalues (:func:`companion.optim.momentum_rate`), with a marker where the
sliders are. The explorer follows the book's rules (see :mod:`companion.widgets.base`):

1. The map (for heavy ball and for Nesterov), its stability boundary and the contour lines
   are computed once, when it is built.
2. The figure is built once. A change reruns the optimizer and updates the artists' data;
   the static part is kept as a bitmap and only the moving artists are redrawn over it.
3. A divergent setting is reported in the readout and drawn up to its last finite point.
"""

from __future__ import annotations

import html
import math
from functools import partial
from typing import Any

import contourpy
import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm

from ..descent import DescentResult
from ..optim import SGD, minimize, momentum_rate, optimal_momentum
from ..optim.analysis import rate_map, steps_to_shrink
from ..plots import _STYLE, COLORS
from ..surfaces import Quadratic, quadratic_bowl
from .base import (
    SLIDER_LAYOUT,
    Explorer,
    contour_segments,
    lr_slider,
    outcome,
    readout_table,
    row,
    snap_to_step,
)
from .frames import Axis

__all__ = ["LR_RANGE", "MOMENTUM_RANGE", "MomentumExplorer", "momentum_explorer"]

#: The learning-rate slider's range, in units of 1/L.
LR_RANGE = (1e-2, 4.0)
#: The momentum slider's range.
MOMENTUM_RANGE = (0.0, 0.995)
#: The momenta and learning rates (in units of 1/L) offered online.
ONLINE_MOMENTA = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
ONLINE_LRS = (0.1, 0.3, 1.0, 2.0, 3.0, 3.9)


class MomentumExplorer(Explorer):
    r"""SGD with momentum on an ill-conditioned bowl, and its :math:`(\eta, \beta)` rate map.

    Parameters
    ----------
    condition_number : float, default 50
        :math:`\kappa` of the bowl (its largest curvature is :math:`L = 1`).
    lr : float, optional
        :math:`\eta`; by default Polyak's best, :math:`4/(\sqrt L + \sqrt\mu)^2`.
    momentum : float, optional
        :math:`\beta`; by default Polyak's best, :math:`((\sqrt\kappa - 1)/(\sqrt\kappa + 1))^2`.
    nesterov : bool, default False
    steps : int, default 300
        The step budget of each run.
    map_size : (int, int), default (220, 200)
        Grid points of the map along :math:`\eta` and :math:`\beta`.

    Attributes
    ----------
    lr : ipywidgets.FloatLogSlider
    momentum : ipywidgets.FloatSlider
    nesterov : ipywidgets.Checkbox
    readout : ipywidgets.HTML
        The predicted rate, the damping of the slowest mode, the run's outcome; a warning on
        divergence.
    output : ipywidgets.Output
    widget : ipywidgets.VBox
    figure : matplotlib.figure.Figure
    path_line, start_marker, end_marker : Line2D
        The path on the contour plot.
    map_mesh : QuadMesh
        The map: colour = steps to shrink the error a millionfold (grey where it diverges).
    boundary_line : Line2D
        The stability boundary :math:`\rho = 1`.
    map_marker, best_marker : Line2D
        The sliders' :math:`(\eta, \beta)` and the best point of the map.
    result : companion.descent.DescentResult
        The run shown now.
    rate : float
        :math:`\rho(\eta, \beta)` of the current setting.

    Examples
    --------
    >>> explorer = MomentumExplorer()
    >>> explorer.result.status
    'converged'
    >>> explorer.lr.value = 3.9                  # beyond 2(1 + beta)/L for this beta
    >>> explorer.result.status, "Diverged" in explorer.readout.value
    ('diverged', True)
    """

    ALT = (
        "Left: contours of an elongated quadratic bowl with the momentum path for the "
        "chosen learning rate and momentum. Right: the map of convergence rates over "
        "learning rate and momentum, with a marker at the chosen pair."
    )

    def __init__(
        self,
        condition_number: float = 50.0,
        lr: float | None = None,
        momentum: float | None = None,
        nesterov: bool = False,
        steps: int = 300,
        map_size: tuple[int, int] = (220, 200),
    ) -> None:
        self.bowl: Quadratic = quadratic_bowl(condition_number=condition_number, degrees=30.0)
        self.bowl.bounds = ((-2.0, 2.0), (-2.0, 2.0))
        best_lr, best_momentum, self.best_rate = optimal_momentum(self.bowl.mu, self.bowl.L)
        lr = best_lr if lr is None else float(lr)
        momentum = best_momentum if momentum is None else float(momentum)
        lo, hi = LR_RANGE[0] / self.bowl.L, LR_RANGE[1] / self.bowl.L
        if not lo <= lr <= hi:
            raise ValueError(f"lr must lie between {lo:g} and {hi:g}; got {lr!r}")
        if not MOMENTUM_RANGE[0] <= momentum <= MOMENTUM_RANGE[1]:
            raise ValueError(
                f"momentum must lie between 0 and {MOMENTUM_RANGE[1]}; got {momentum!r}"
            )
        if not 1 <= int(steps) <= 5000:
            raise ValueError(f"steps must be between 1 and 5000; got {steps!r}")
        self.steps = int(steps)

        # 1. Precompute the maps, their stability boundaries and best points, and the contours.
        n_lr, n_beta = map_size
        self.map_lrs = np.geomspace(lo, hi, n_lr)
        self.map_momenta = np.linspace(0.0, MOMENTUM_RANGE[1], n_beta)
        self.maps, self._boundaries, self.best = {}, {}, {}
        for variant in (False, True):
            rho = rate_map(self.bowl.eigenvalues, self.map_lrs, self.map_momenta, variant)
            self.maps[variant] = rho
            self._boundaries[variant] = _level_line(self.map_lrs, self.map_momenta, rho, 1.0)
            i, j = np.unravel_index(np.argmin(rho), rho.shape)
            self.best[variant] = (float(self.map_lrs[j]), float(self.map_momenta[i]))
        self.best[False] = (best_lr, best_momentum)  # heavy ball: Polyak's exact optimum
        self._contours = contour_segments(self.bowl, 160)

        # 2. Controls, readout, output.
        self.lr = lr_slider(  # a fine step: the rate near critical damping is sensitive to η
            lr, (math.log10(lo), math.log10(hi)), step=0.0005, readout_format=".3f"
        )
        self.momentum = widgets.FloatSlider(
            value=momentum,
            min=MOMENTUM_RANGE[0],
            max=MOMENTUM_RANGE[1],
            step=0.001,
            description="β",
            readout_format=".3f",
            continuous_update=True,
            layout=SLIDER_LAYOUT,
        )
        self.nesterov = widgets.Checkbox(value=bool(nesterov), description="Nesterov")
        self._panel(row(self.lr, self.nesterov), self.momentum)

        # 3. The one figure.
        with mpl.rc_context(_STYLE):
            self._new_figure((10.5, 4.3), left=0.06, right=0.97, bottom=0.13, top=0.9, wspace=0.25)
            self._build_axes()
        self._shown_variant: bool | None = None
        snap_to_step(self.lr)  # the page shows values on the sliders' step grid
        snap_to_step(self.momentum)
        self._first = (float(self.lr.value), float(self.momentum.value))
        moving = (self.path_line, self.start_marker, self.end_marker, self.map_marker)
        self._go_live((*moving, self._path_title), (self.lr, self.momentum, self.nesterov))

    # -- the figure ----------------------------------------------------------------------

    def _build_axes(self) -> None:
        self.ax_path, self.ax_map = self.figure.subplots(1, 2, width_ratios=(1.0, 1.25))
        ax = self.ax_path
        segments, level_index, n_levels = self._contours
        contours = LineCollection(segments, cmap="viridis", linewidths=0.8, alpha=0.8)
        contours.set_array(level_index)
        contours.set_clim(0, max(n_levels - 1, 1))
        ax.add_collection(contours)
        shade = COLORS["momentum"]
        (self.path_line,) = ax.plot([], [], "-o", color=shade, markersize=2, lw=1.2)
        (self.start_marker,) = ax.plot(
            [], [], "o", markersize=8, markerfacecolor="white", markeredgecolor=shade
        )
        (self.end_marker,) = ax.plot([], [], "o", color=COLORS["adam"], markersize=6, zorder=4)
        ax.plot(*self.bowl.center, "*", color=COLORS["exact"], markersize=12, zorder=5)
        (x_lo, x_hi), (y_lo, y_hi) = self.bowl.bounds
        ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
        ax.set_aspect("equal", adjustable="box")
        ax.grid(False)
        self._path_title = ax.set_title("")

        ax = self.ax_map
        steps = steps_to_shrink(self.maps[False])
        finite = steps[np.isfinite(steps)]
        self._norm = LogNorm(vmin=max(float(finite.min()), 1.0), vmax=float(finite.max()))
        cmap = mpl.colormaps["viridis_r"].with_extremes(over="#bbbbbb", bad="#bbbbbb")
        self.map_mesh = ax.pcolormesh(
            self.map_lrs,
            self.map_momenta,
            np.ma.masked_invalid(steps),
            cmap=cmap,
            norm=self._norm,
            shading="nearest",
            rasterized=True,
        )
        colorbar = self.figure.colorbar(self.map_mesh, ax=ax, pad=0.02)
        colorbar.set_label("steps to shrink the error 10⁶×")
        (self.boundary_line,) = ax.plot([], [], color="white", lw=1.5)
        (self.best_marker,) = ax.plot(
            [], [], "*", color="white", markeredgecolor="black", markersize=14, zorder=4
        )
        (self.map_marker,) = ax.plot(
            [],
            [],
            "o",
            markersize=9,
            markerfacecolor="none",
            markeredgecolor=COLORS["adam"],
            markeredgewidth=2.5,
            zorder=5,
        )
        ax.set(
            xscale="log",
            xlim=(self.map_lrs[0], self.map_lrs[-1]),
            ylim=(self.map_momenta[0], self.map_momenta[-1]),
            xlabel=r"learning rate $\eta$",
            ylabel=r"momentum $\beta$",
        )
        ax.grid(False)
        self._map_title = ax.set_title("")

    def _show_variant(self, nesterov: bool) -> None:
        """Swap in the heavy-ball or the Nesterov map (the static part changes)."""
        if self._shown_variant == nesterov:
            return
        steps = steps_to_shrink(self.maps[nesterov])
        self.map_mesh.set_array(np.ma.masked_invalid(steps).ravel())
        self.boundary_line.set_data(*self._boundaries[nesterov])
        self.best_marker.set_data([self.best[nesterov][0]], [self.best[nesterov][1]])
        name = "Nesterov" if nesterov else "heavy ball"
        self._map_title.set_text(f"{name}: the rate map (grey: diverges)")
        self._shown_variant = nesterov
        self._background = None

    def _static_key(self) -> tuple:
        return (*super()._static_key(), self._shown_variant)

    # -- online --------------------------------------------------------------------------

    def online_axes(self) -> list[Axis]:
        """Online: eight learning rates and seven momenta around Polyak's best, both methods."""
        L = self.bowl.L
        lrs = sorted({*(v / L for v in ONLINE_LRS), float(self._first[0])})
        momenta = sorted({*ONLINE_MOMENTA, float(self._first[1])})
        return [
            Axis("lr", "η", lrs, label=lambda v: f"{v:.3f}"),
            Axis("momentum", "β", momenta, label=lambda v: f"{v:.3f}"),
            Axis(
                "nesterov",
                "method",
                [False, True],
                label=lambda v: "Nesterov" if v else "heavy ball",
                kind="buttons",
            ),
        ]

    def describe(self) -> str:
        name = "Nesterov" if self.nesterov.value else "heavy ball"
        return (
            f"{self.ALT} Now: {name}, η = {float(self.lr.value):.3f}, "
            f"β = {float(self.momentum.value):.3f}: {outcome(self.result)}."
        )

    # -- the pure part -------------------------------------------------------------------

    def run(self) -> DescentResult:
        """SGD with the sliders' momentum from the bowl's start (plain descent when β = 0)."""
        lr, momentum = float(self.lr.value), float(self.momentum.value)
        nesterov = bool(self.nesterov.value) and momentum > 0
        make = partial(SGD, lr=lr, momentum=momentum, nesterov=nesterov)
        return minimize(self.bowl.f, self.bowl.grad, self.bowl.start, make, self.steps, tol=1e-8)

    def update(self) -> None:
        """Rerun for the current sliders; update the artists' data and the readout."""
        nesterov = bool(self.nesterov.value)
        self._show_variant(nesterov)
        lr, momentum = float(self.lr.value), float(self.momentum.value)
        self.rate = momentum_rate(self.bowl.eigenvalues, lr, momentum, nesterov=nesterov)
        result = self.result = self.run()
        path = result.path
        self.path_line.set_data(path[:, 0], path[:, 1])
        self.start_marker.set_data(path[:1, 0], path[:1, 1])
        self.end_marker.set_data(path[-1:, 0], path[-1:, 1])
        self.map_marker.set_data([lr], [momentum])
        self._path_title.set_text(
            f"κ = {self.bowl.condition_number:g}: η = {lr:.3f}, β = {momentum:.3f} — "
            + outcome(result)
        )
        self.readout.value = self._readout_html(lr, momentum, nesterov, result)

    def _readout_html(
        self, lr: float, momentum: float, nesterov: bool, result: DescentResult
    ) -> str:
        rate, L, mu = self.rate, self.bowl.L, self.bowl.mu
        gd_rate = (L - mu) / (L + mu)
        predicted = steps_to_shrink(np.array(rate))
        rows = [
            (
                "rate ρ(η, β)",
                f"{rate:.4f}  (best: {self.best_rate:.4f} heavy ball; gradient "
                f"descent at its best: {gd_rate:.4f})",
            ),
            (
                "predicted steps to shrink the error 10⁶×",
                f"{predicted:.0f}" if np.isfinite(predicted) else "never (ρ ≥ 1)",
            ),
            ("slowest direction", _damping(mu, lr, momentum, nesterov)),
            (
                "run",
                f"{result.status} after {result.steps} steps, "
                f"‖θ − θ*‖ = {np.linalg.norm(result.x - self.bowl.center):.2e}",
            ),
        ]
        text = readout_table(rows)
        if nesterov and momentum == 0:
            text += "<p>With β = 0, Nesterov's method is plain gradient descent.</p>"
        if result.diverged or rate >= 1:
            limit = (2 * (1 + momentum) / L) if not nesterov else _nesterov_limit(L, momentum)
            text += (
                "<p style='color:#D55E00'><b>Diverged:</b> "
                + html.escape(
                    f"ρ = {rate:.3f} ≥ 1, so the error grows every step. With β = {momentum:.3f} "
                    f"this bowl is stable only for η < {limit:.3f}; here η = {lr:.3f}."
                )
                + "</p>"
            )
        return text


def _damping(lam: float, lr: float, momentum: float, nesterov: bool) -> str:
    r"""How the mode with curvature ``lam`` behaves: the discriminant of its characteristic
    polynomial decides between spiralling (under-damped) and creeping (over-damped)."""
    shrink = 1 - lr * lam
    if nesterov:
        trace, det = (1 + momentum) * shrink, momentum * shrink
    else:
        trace, det = 1 + momentum - lr * lam, momentum
    discriminant = trace**2 - 4 * det
    scale = max(trace**2, 4 * abs(det), 1e-12)
    if abs(discriminant) <= 1e-3 * scale:
        return "critically damped (a double root)"
    if discriminant < 0:
        return "under-damped: it overshoots and spirals in (complex roots)"
    return "over-damped: it creeps in without overshooting (real roots)"


def _nesterov_limit(L: float, momentum: float) -> float:
    """The largest stable η of Nesterov's method for curvature L: the root z = -1 gives
    ηL = 2(1 + β)/(1 + 2β)."""
    return 2 * (1 + momentum) / ((1 + 2 * momentum) * L)


def _level_line(xs: np.ndarray, ys: np.ndarray, values: np.ndarray, level: float):
    """The (longest) line where ``values`` crosses ``level``, as x and y arrays."""
    lines = contourpy.contour_generator(xs, ys, values).lines(level)
    if not lines:
        return np.array([]), np.array([])
    line = max(lines, key=len)
    return line[:, 0], line[:, 1]


def momentum_explorer(**kwargs: Any) -> MomentumExplorer:
    """Build the Chapter 5 widget (leave it as a cell's last expression to display it).

    Parameters
    ----------
    **kwargs
        Passed to :class:`MomentumExplorer` (``condition_number``, ``lr``, ``momentum``, ...).
    """
    return MomentumExplorer(**kwargs)
