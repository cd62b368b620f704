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
