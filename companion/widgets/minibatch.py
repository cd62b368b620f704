r"""The Chapter 4 explorer: batch size and learning rate on a 2-D regression loss.

Mini-batch SGD (:func:`companion.training.minibatch_sgd`) fits the two weights of a linear
regression (:func:`companion.data.linear_regression`). Its loss is a quadratic bowl, drawn as
contours; the explorer draws SGD's path on it and, on the right, the loss gap
:math:`J(\theta) - J^*` against epochs — with full-batch gradient descent, the same
:math:`\eta` and the same number of epochs, for reference. Small batches take many cheap,
noisy steps per epoch; the noise keeps the path jittering around :math:`\theta^*` at a level
that grows with :math:`\eta` and shrinks with :math:`B`.

Like every explorer in the book (see :mod:`companion.widgets.base`): what does not depend on the
controls (the data, the contour lines) is computed once; the figure is created once and a
change of a control only updates its artists' data. The static part (contours, axes, ticks)
is rendered once and kept as a bitmap, and a change repaints only the moving artists on top of
it (*blitting*), until an axis range changes. A divergent setting is reported in the readout,
never drawn as NaN.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection

from .._validate import positive_number
from ..data import RegressionData, linear_regression, num_batches
from ..plots import _STYLE, COLORS
from ..training import SGDRun, minibatch_sgd
from .base import SLIDER_LAYOUT, Explorer, contour_segments, lr_slider, readout_table, row
from .frames import Axis

__all__ = ["MinibatchExplorer", "minibatch_explorer"]

#: The learning-rate slider's range, as powers of ten.
LR_EXPONENTS = (-3.0, 0.5)

#: The learning rates and epoch counts offered online.
ONLINE_LRS = (0.01, 0.03, 0.1, 0.3, 1.0, 2.0)
ONLINE_EPOCHS = (1, 5, 20)

#: The smallest loss gap drawn on the log axis (a run that reaches J* to machine precision).
FLOOR = 1e-12


class MinibatchExplorer(Explorer):
    r"""Mini-batch SGD on a 2-D least-squares loss: the noisy path and the loss curve.

    Parameters
    ----------
    data : RegressionData, optional
        The problem; by default ``linear_regression(n=256, seed=0)``.
    batch_size : int, default 16
        One of the slider's values: the powers of 2 up to ``n``, and ``n`` itself.
    lr : float, default 0.1
        :math:`\eta`, between :math:`10^{-3}` and :math:`10^{0.5}`.
    epochs : int, default 5
        Between 1 and 20.
    seed : int, default 0
        The shuffling seed (0 to 20).

    Attributes
    ----------
    batch_size : ipywidgets.SelectionSlider
    lr : ipywidgets.FloatLogSlider
    epochs, seed : ipywidgets.IntSlider
    readout : ipywidgets.HTML
        Steps per epoch, steps taken, the final loss gap and the predicted gradient noise; a
        warning on divergence.
    output : ipywidgets.Output
    widget : ipywidgets.VBox
        Everything together (what a notebook displays).
    figure : matplotlib.figure.Figure
        The one figure.
    contour_lines : matplotlib.collections.LineCollection
    sgd_path, gd_path, start_marker, end_marker, optimum_marker : matplotlib.lines.Line2D
        Artists of the left panel.
    sgd_loss, gd_loss, diverged_marker : matplotlib.lines.Line2D
        Artists of the right panel (:math:`J - J^*` on a log scale, against epochs).
    run, gd_run : companion.training.SGDRun
        The mini-batch run and the full-batch run shown now.
    png : bytes
        The figure as last rendered.

    Examples
    --------
    >>> explorer = MinibatchExplorer(batch_size=16, lr=0.1, epochs=2)
    >>> explorer.run.steps                           # 256 examples / 16 = 16 steps per epoch
    32
    >>> explorer.batch_size.value = 256              # full batch: one step per epoch
    >>> explorer.run.steps
    2
    >>> explorer.batch_size.value, explorer.lr.value = 16, 3.0      # far beyond 2/L
    >>> explorer.run.status, "Diverged" in explorer.readout.value
    ('diverged', True)
    """

    ALT = (
        "Left: contours of a two-weight least-squares loss with the mini-batch SGD path "
        "and the full-batch descent path from the same start towards the optimum, marked by "
        "a star. Right: the loss gap to the optimum against epochs, on a log scale, for "
        "both runs."
    )
    OFFLINE = {
        "seed": "Online the shuffling seed stays at {value}; in a running notebook every "
        "slider is free."
    }

    def __init__(
        self,
        data: RegressionData | None = None,
        batch_size: int = 16,
        lr: float = 0.1,
        epochs: int = 5,
        seed: int = 0,
    ) -> None:
        self.data = linear_regression(n=256, seed=0) if data is None else data
        if self.data.X.shape[1] != 2:
            raise ValueError(f"the explorer needs 2 features; got {self.data.X.shape[1]}")
        n = len(self.data.X)
        sizes = sorted({2**k for k in range(n.bit_length()) if 2**k < n} | {n})
        if batch_size not in sizes:
            raise ValueError(f"batch_size must be one of {sizes}; got {batch_size!r}")
        lr = positive_number(lr, "lr")
        if not 10 ** LR_EXPONENTS[0] <= lr <= 10 ** LR_EXPONENTS[1]:
            raise ValueError(f"lr must lie between 1e-3 and {10 ** LR_EXPONENTS[1]:.3g}; got {lr}")
        if not 1 <= int(epochs) <= 20:
            raise ValueError(f"epochs must be between 1 and 20; got {epochs!r}")
        if not 0 <= int(seed) <= 20:
            raise ValueError(f"seed must be between 0 and 20; got {seed!r}")
        surface = self.data.surface
        # The per-example gradient noise at the optimum, for the readout's sigma^2 / B.
        g_star = self.data.per_example_gradients(self.data.theta_star)
        self._sigma2 = float(np.mean(np.sum((g_star - g_star.mean(axis=0)) ** 2, axis=1)))

        # 1. Controls, readout, output.
        self.batch_size = widgets.SelectionSlider(
            options=sizes,
            value=batch_size,
            description="batch size B",
            continuous_update=True,
            style={"description_width": "initial"},
            layout=SLIDER_LAYOUT,
        )
        self.lr = lr_slider(lr, LR_EXPONENTS, readout_format=".3f")
        self.epochs = widgets.IntSlider(value=int(epochs), min=1, max=20, description="epochs")
        self.seed = widgets.IntSlider(value=int(seed), min=0, max=20, description="seed")
        self._panel(self.batch_size, self.lr, row(self.epochs, self.seed))

        # 2. The one figure, with the contour lines computed once.
        segments, level_index, n_levels = contour_segments(surface, 160)
        with mpl.rc_context(_STYLE):
            self._new_figure(
                (10.0, 4.2), left=0.07, right=0.985, bottom=0.12, top=0.91, wspace=0.25
            )
            self._build_axes(segments, level_index, n_levels)
        moving = (self.sgd_path, self.gd_path, self.start_marker, self.end_marker)
        moving += (self._path_title, self.sgd_loss, self.gd_loss, self.diverged_marker)
        moving += (self._loss_title,)
        self._go_live(moving, (self.batch_size, self.lr, self.epochs, self.seed))

    # -- the figure ------------------------------------------------------------------------

    def _build_axes(self, segments: list, level_index: np.ndarray, n_levels: int) -> None:
        surface = self.data.surface
        self.ax_path, self.ax_loss = self.figure.subplots(1, 2, width_ratios=(1.0, 1.2))
        ax = self.ax_path
        self.contour_lines = LineCollection(segments, cmap="viridis", linewidths=0.8, alpha=0.8)
        self.contour_lines.set_array(level_index)
        self.contour_lines.set_clim(0, max(n_levels - 1, 1))
        ax.add_collection(self.contour_lines)
        (self.gd_path,) = ax.plot(
            [], [], "--o", color=COLORS["gd"], lw=1.2, markersize=3, alpha=0.7, label="full batch"
        )
        (self.sgd_path,) = ax.plot(
            [], [], "-", color=COLORS["minibatch"], lw=0.8, alpha=0.9, label="mini-batch"
        )
        (self.start_marker,) = ax.plot(
            [], [], "o", markersize=8, markerfacecolor="white", markeredgecolor=COLORS["gd"]
        )
        (self.end_marker,) = ax.plot([], [], "o", color=COLORS["minibatch"], markersize=6, zorder=4)
        (self.optimum_marker,) = ax.plot(
            *surface.center, "*", color=COLORS["exact"], markersize=13, zorder=5
        )
        (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
        ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
        ax.set_aspect("equal", adjustable="box")
        ax.grid(False)
        ax.legend(loc="upper right", fontsize=9)
        self._path_title = ax.set_title("")

        ax = self.ax_loss
        (self.gd_loss,) = ax.plot([], [], "--o", color=COLORS["gd"], lw=1.2, markersize=3)
        (self.sgd_loss,) = ax.plot([], [], "-", color=COLORS["minibatch"], lw=1.0)
        (self.diverged_marker,) = ax.plot(
            [], [], "x", color=COLORS["adam"], markersize=10, mew=2, zorder=4
        )
        start_gap = float(surface.f(surface.start)) - surface.min_value
        ax.set(
            yscale="log",
            ylim=(1e-6, 10 ** np.ceil(np.log10(start_gap) + 1)),
            xlabel="epoch",
            ylabel=r"$J(\theta) - J^*$",
        )
        ax.set_autoscale_on(False)
        self._loss_title = ax.set_title("")

    # -- online --------------------------------------------------------------------------

    def online_axes(self) -> list[Axis]:
        """Online: every batch size, six learning rates, three epoch counts."""
        return [
            Axis("batch_size", "batch size B", list(self.batch_size.options)),
            Axis("lr", "η", list(ONLINE_LRS), label=lambda v: f"{v:g}"),
            Axis("epochs", "epochs", list(ONLINE_EPOCHS), kind="buttons"),
        ]

    def describe(self) -> str:
        run = self.run
        return (
            f"{self.ALT} Now: B = {run.batch_size}, η = {run.lr:g}, "
            f"{int(self.epochs.value)} epochs: {run.status} after {run.steps} steps."
        )

    # -- the pure part ---------------------------------------------------------------------

    def runs(self) -> tuple[SGDRun, SGDRun]:
        """Mini-batch SGD and full-batch descent with the controls' current values."""
        data = self.data
        lr, epochs = float(self.lr.value), int(self.epochs.value)
        start = data.surface.start
        run = minibatch_sgd(
            data.gradient,
            start,
            data.X,
            data.y,
            lr,
            int(self.batch_size.value),
            epochs,
            seed=int(self.seed.value),
        )
        gd = minibatch_sgd(data.gradient, start, data.X, data.y, lr, len(data.X), epochs)
        return run, gd

    def update(self) -> None:
        """Rerun both methods and update the artists' data and the readout."""
        self.run, self.gd_run = run, gd = self.runs()
        surface = self.data.surface
        self.sgd_path.set_data(run.path[:, 0], run.path[:, 1])
        self.gd_path.set_data(gd.path[:, 0], gd.path[:, 1])
        self.start_marker.set_data(run.path[:1, 0], run.path[:1, 1])
        self.end_marker.set_data(run.path[-1:, 0], run.path[-1:, 1])
        gap = np.maximum(surface.f(run.path) - surface.min_value, FLOOR)
        gd_gap = np.maximum(surface.f(gd.path) - surface.min_value, FLOOR)
        epochs = int(self.epochs.value)
        self.sgd_loss.set_data(run.epochs, gap)
        self.gd_loss.set_data(gd.epochs, gd_gap)
        if run.diverged:
            self.diverged_marker.set_data(run.epochs[-1:], gap[-1:])
        else:
            self.diverged_marker.set_data([], [])
        top = max(float(gap.max()), float(gd_gap.max()))
        limits = (1e-6, 10 ** np.ceil(np.log10(top) + 1))  # whole decades above the curves
        if self.ax_loss.get_ylim() != limits:  # a new range: the background must be redrawn
            self.ax_loss.set_ylim(*limits)
            self._background = None
        if self.ax_loss.get_xlim() != (0, epochs):
            self.ax_loss.set_xlim(0, epochs)
            self._background = None
        B = int(self.batch_size.value)
        self._path_title.set_text(f"B = {B}, η = {run.lr:.3g}, {epochs} epochs")
        self._loss_title.set_text(
            f"diverged at step {run.steps + 1}" if run.diverged else f"{run.steps} steps"
        )
        self.readout.value = self._readout_html(run, gd, gap[-1], gd_gap[-1])

    def _readout_html(self, run: SGDRun, gd: SGDRun, gap: float, gd_gap: float) -> str:
        B, n = run.batch_size, len(self.data.X)
        partial = n % B
        per_epoch = f"{num_batches(n, B)}" + (
            f" (the last has {partial} examples)" if partial else ""
        )
        noise = self._sigma2 / B * (n - B) / max(n - 1, 1)
        rows = [
            ("steps per epoch", per_epoch),
            ("steps taken", f"{run.steps}"),
            ("final J − J*, mini-batch", "—" if run.diverged else f"{gap:.3g}"),
            ("final J − J*, full batch", "—" if gd.diverged else f"{gd_gap:.3g}"),
            ("gradient noise at θ*, E‖ĝ − ∇J‖²", f"{noise:.3g} = σ²/B · (n − B)/(n − 1)"),
        ]
        text = readout_table(rows)
        L = self.data.surface.L
        if run.diverged or gd.diverged:
            text += (
                "<p style='color:#D55E00'><b>Diverged:</b> "
                + html.escape(
                    f"{(run if run.diverged else gd).message}. Full-batch descent on this bowl "
                    f"is stable only for η < 2/L = {2 / L:.3g}; a mini-batch's own bowl can be "
                    "steeper, so small batches can blow up even a little below that."
                )
                + "</p>"
            )
        return text


def minibatch_explorer(**kwargs: Any) -> MinibatchExplorer:
    """Build the Chapter 4 widget (leave it as a cell's last expression to display it).

    Parameters
    ----------
    **kwargs
        Passed to :class:`MinibatchExplorer` (``batch_size``, ``lr``, ``epochs``, ``seed``).
    """
    return MinibatchExplorer(**kwargs)
