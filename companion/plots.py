"""The book's one figure style, its colour-blind-safe palette and each method's colour.

Every chapter calls :func:`use_style` once; every figure then looks the same, and a method
(an optimizer, a difference formula, a precision) keeps its colour across the whole book.
The palette is Okabe & Ito's, chosen to stay distinguishable with the common colour-vision
deficiencies.
"""

from __future__ import annotations

import matplotlib as mpl

__all__ = ["COLORS", "PALETTE", "color", "use_style"]

#: Okabe–Ito colour-blind-safe palette, in the order figures cycle through it.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: The fixed colour of every named method in the book. Add new names here, never in a chapter.
COLORS: dict[str, str] = {
    # Chapter 1: difference formulas and precisions
    "central": PALETTE[0],
    "forward": PALETTE[1],
    "exact": PALETTE[7],
    "float64": PALETTE[0],
    "float32": PALETTE[3],
    "ascent": PALETTE[3],  # the gradient direction (uphill)
    "descent": PALETTE[2],  # the negative gradient (downhill)
    # Chapter 3: activations, initializations, and backprop vs numerical gradients
    "relu": PALETTE[0],
    "tanh": PALETTE[2],
    "sigmoid": PALETTE[4],
    "zeros": PALETTE[7],
    "xavier": PALETTE[1],
    "he": PALETTE[0],
    "backprop": PALETTE[0],
    "numerical": PALETTE[3],
    # Chapters 2-8: optimizers (one colour each, used in every figure that shows them)
    "gd": PALETTE[7],
    "sgd": PALETTE[7],
    "momentum": PALETTE[0],
    "nesterov": PALETTE[5],
    "adagrad": PALETTE[2],
    "rmsprop": PALETTE[4],
    "adadelta": PALETTE[6],
    "adam": PALETTE[3],
    "adamw": PALETTE[1],
    # Chapter 4: batch sizes, training vs validation, regularizers
    "full_batch": PALETTE[7],
    "minibatch": PALETTE[0],
    "single_example": PALETTE[1],
    "train": PALETTE[0],
    "validation": PALETTE[3],
    "shuffled": PALETTE[0],
    "unshuffled": PALETTE[3],
    "l2": PALETTE[2],
    "l1": PALETTE[4],
    "early_stopping": PALETTE[5],
    # Chapter 7: learning-rate schedules and hyperparameter searches
    "constant": PALETTE[7],
    "step_decay": PALETTE[1],
    "exponential": PALETTE[4],
    "inverse_time": PALETTE[5],
    "cosine": PALETTE[0],
    "linear_warmup": PALETTE[2],
    "warmup_cosine": PALETTE[3],
    "grid": PALETTE[1],
    "random": PALETTE[0],
    # Chapter 8: second-order methods and half precision
    "newton": PALETTE[4],
    "conjugate_gradient": PALETTE[2],
    "float16": PALETTE[2],
    # Chapter 9: clipping, normalization and today's optimizers (dashed where a colour repeats)
    "no_clip": PALETTE[7],
    "clip_norm": PALETTE[0],
    "clip_value": PALETTE[1],
    "plain": PALETTE[7],
    "batchnorm": PALETTE[0],
    "layernorm": PALETTE[2],
    "amsgrad": PALETTE[2],
    "adam_warmup": PALETTE[0],
    "nadam": PALETTE[5],
    "radam": PALETTE[2],
    "adamax": PALETTE[4],
    "adafactor": PALETTE[1],
    "lion": PALETTE[0],
    "muon": PALETTE[7],
}

_STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    "lines.linewidth": 2.0,
    "legend.frameon": False,
    "image.cmap": "viridis",
}


def use_style() -> None:
    """Apply the book's figure style to matplotlib (idempotent)."""
    mpl.rcParams.update(_STYLE)


def color(name: str) -> str:
    """The book-wide colour of a named method, e.g. ``color("central")``.

    Raises
    ------
    KeyError
        If the name has no colour yet (add it to :data:`COLORS`).
    """
    try:
        return COLORS[name]
    except KeyError:
        raise KeyError(f"no colour for {name!r}; known names: {sorted(COLORS)}") from None


# --- Chapter 2: contour plots with paths, loss curves on a log scale -------------------------

from collections.abc import Sequence  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

__all__ += ["contour_levels", "plot_contour_path", "plot_losses"]


def _path_of(path: object) -> np.ndarray:
    """A path as an array of points: a DescentResult's ``path``, or the array itself."""
    return np.asarray(getattr(path, "path", path), dtype=np.float64)


def contour_levels(surface: Any, Z: np.ndarray, count: int = 18) -> np.ndarray:
    """Contour levels for ``Z`` spaced evenly in ``log(J - J*)``, so that deep valleys and flat
    plateaus both show: many rings near the minimum, few on a plateau."""
    gap = np.asarray(Z, dtype=np.float64) - surface.min_value
    gap = gap[np.isfinite(gap) & (gap > 0)]
    if gap.size == 0:
        return surface.min_value + np.linspace(0.0, 1.0, count)
    low, high = np.quantile(gap, 0.005), np.quantile(gap, 0.98)
    return surface.min_value + np.geomspace(max(low, high * 1e-6), high, count)


def plot_contour_path(
    ax: Any,
    surface: Any,
    paths: Any = (),
    labels: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
    levels: int = 18,
    grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    markersize: float = 3.0,
) -> list[Any]:
    """Draw a 2-D surface's contours, its minima (★) and saddles (×), and optimization paths.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    surface : companion.surfaces.Surface
        A 2-D surface; the axes show its ``bounds``.
    paths : array of shape (k, 2), a DescentResult, or a sequence of them
        Each path is drawn as a line through its points, with a hollow circle at its start.
    labels, colors : sequence of str, optional
        One per path. Colours are names of :data:`COLORS` or any matplotlib colour; by
        default the palette in order.
    levels : int, default 18
        How many contour levels (spaced evenly in the log of the loss gap).
    grid : (X, Y, Z), optional
        A precomputed ``surface.grid()``.
    markersize : float, default 3
        Size of the dots at every iterate (0 for none).

    Returns
    -------
    list of matplotlib.lines.Line2D
        The path lines, in order.
    """
    X, Y, Z = grid if grid is not None else surface.grid()
    ax.contour(
        X,
        Y,
        Z,
        levels=contour_levels(surface, Z, levels),
        cmap="viridis",
        linewidths=0.8,
        alpha=0.8,
    )
    if isinstance(paths, np.ndarray) or hasattr(paths, "path"):
        paths = [paths]
    lines = []
    for i, path in enumerate(paths):
        points = _path_of(path).reshape(-1, 2)
        shade = PALETTE[i % len(PALETTE)] if colors is None else colors[i]
        shade = COLORS.get(shade, shade)
        label = None if labels is None else labels[i]
        (line,) = ax.plot(
            points[:, 0],
            points[:, 1],
            "-",
            marker="o",
            markersize=markersize,
            linewidth=1.4,
            color=shade,
            label=label,
            zorder=3,
        )
        ax.plot(
            points[0, 0],
            points[0, 1],
            "o",
            markersize=8,
            markerfacecolor="white",
            markeredgecolor=shade,
            markeredgewidth=1.5,
            zorder=4,
        )
        lines.append(line)
    ax.plot(
        surface.minima[:, 0],
        surface.minima[:, 1],
        "*",
        color=COLORS["exact"],
        markersize=12,
        linestyle="none",
        zorder=5,
    )
    if len(surface.saddles):
        ax.plot(
            surface.saddles[:, 0],
            surface.saddles[:, 1],
            "x",
            color=COLORS["exact"],
            markersize=9,
            markeredgewidth=2,
            linestyle="none",
            zorder=5,
        )
    (x_lo, x_hi), (y_lo, y_hi) = surface.bounds
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi), xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
    ax.set_aspect("equal", adjustable="box")
    ax.grid(False)
    return lines


def plot_losses(
    ax: Any,
    losses: Any,
    labels: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
    minimum: float = 0.0,
    ylabel: str | None = None,
) -> list[Any]:
    r"""Loss curves on a log scale: :math:`J(\theta_k) - J^*` against the step :math:`k`.

    On a log scale a linear rate of convergence is a straight line and its slope is
    :math:`\log \rho`; a plateau is flat; a divergence climbs. Non-positive gaps (the loss
    reached :math:`J^*` to machine precision) are left out rather than drawn as :math:`-\infty`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    losses : array, a DescentResult, or a sequence of them
        Each is one curve (a DescentResult contributes its ``losses``).
    labels, colors : sequence of str, optional
        One per curve; colours as in :func:`plot_contour_path`.
    minimum : float, default 0
        :math:`J^*`, subtracted before plotting.
    ylabel : str, optional
        Defaults to :math:`J(\theta_k) - J^*` (or :math:`J(\theta_k)` if ``minimum`` is 0).

    Returns
    -------
    list of matplotlib.lines.Line2D
    """
    if isinstance(losses, np.ndarray) and losses.ndim == 1 or hasattr(losses, "losses"):
        losses = [losses]
    lines = []
    for i, curve in enumerate(losses):
        values = np.asarray(getattr(curve, "losses", curve), dtype=np.float64) - minimum
        values = np.where(np.isfinite(values) & (values > 0), values, np.nan)
        shade = PALETTE[i % len(PALETTE)] if colors is None else colors[i]
        shade = COLORS.get(shade, shade)
        label = None if labels is None else labels[i]
        (line,) = ax.plot(np.arange(values.size), values, color=shade, label=label)
        if getattr(curve, "status", None) == "diverged":
            ax.plot(values.size - 1, values[-1], "x", color=shade, markersize=9, markeredgewidth=2)
        lines.append(line)
    default = r"$J(\theta_k)$" if minimum == 0 else r"$J(\theta_k) - J^*$"
    ax.set(yscale="log", xlabel=r"step $k$", ylabel=ylabel or default)
    return lines
