"""The Chapter 3 explorer: depth × activation × initialization → per-layer gradient norms.

A freshly initialized multilayer perceptron takes one batch of the spirals data; one backward
pass gives the gradient of the loss with respect to every weight matrix. How the size of that
gradient changes from the last layer back to the first shows whether a deep network can learn:
with sigmoid it shrinks by a constant factor per layer (*vanishing gradients*), with zero
initialization it is exactly zero below the last layer.

Like every explorer in the book (see :mod:`companion.widgets`), it precomputes everything when it
is built — :func:`companion.gradient_flow.gradient_norm_table`, 19 depths × 3 activations × 3
initializations, about a second — so that moving a control only looks numbers up.
"""

from __future__ import annotations

import html
from typing import Any, NamedTuple

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..gradient_flow import ZERO, gradient_norm_table
from ..layers import ACTIVATIONS, INITS
from ..plots import _STYLE, color
from .base import SLIDER_LAYOUT, Explorer, readout_table, toggle_buttons
from .frames import Axis

__all__ = ["GradientNormExplorer", "GradientNormState", "gradient_norm_explorer"]

#: The depths offered online (every depth in a kernel).
ONLINE_DEPTHS = (2, 3, 4, 5, 6, 8, 10, 12, 15, 20)


class GradientNormState(NamedTuple):
    """What the explorer shows for one setting of its controls.

    Attributes
    ----------
    depth : int
    activation : str
    init : str
    norms : numpy.ndarray
        The per-layer gradient norms, first layer first.
    zero_layers : tuple of int
        The layers (1-based) whose gradient is zero (below :data:`ZERO`, i.e. round-off).
    ratio : float or None
        First layer's norm / last layer's norm; ``None`` when either is zero.
    message : str or None
        What to notice (zero gradients, vanishing or exploding), in words.
    """

    depth: int
    activation: str
    init: str
    norms: np.ndarray
    zero_layers: tuple[int, ...]
    ratio: float | None
    message: str | None


class GradientNormExplorer(Explorer):
    r"""Choose depth, activation and initialization; see each layer's gradient norm at once.

    The figure plots :math:`\lVert \partial J / \partial W_l \rVert` against the layer
    :math:`l` on a log scale, for the chosen activation (bold) and, faintly, for the other two
    activations with the same depth and initialization. The readout gives the first and last
    layers' norms and their ratio, or says why there is no ratio (a gradient that is exactly 0).

    Parameters
    ----------
    depth : int, default 10
        The number of linear layers, in :data:`DEPTHS`.
    activation : {"sigmoid", "tanh", "relu"}, default "sigmoid"
    init : {"zeros", "xavier", "he"}, default "xavier"
    norms : dict, optional
        A :func:`gradient_norm_table` covering every depth, activation and initialization, to
        reuse instead of computing it again.
    **kwargs
        ``width``, ``n``, ``seed``: passed to :func:`gradient_norm_table`.

    Attributes
    ----------
    depth : ipywidgets.IntSlider
    activation, init : ipywidgets.ToggleButtons
    readout : ipywidgets.HTML
    output : ipywidgets.Output
    widget : ipywidgets.VBox
        What the notebook displays.
    figure : matplotlib.figure.Figure
        The one figure, created once.
    norm_line : matplotlib.lines.Line2D
        The chosen setting's norms.
    other_lines : dict of str to matplotlib.lines.Line2D
        The other activations' norms, by name.
    norms : dict
        The precomputed table.
    state : GradientNormState
    png : bytes
        The figure as last rendered.

    Examples
    --------
    >>> explorer = GradientNormExplorer(norms=gradient_norm_table(depths=[2, 3], seed=0),
    ...                                 depth=3)
    >>> explorer.state.depth, len(explorer.norm_line.get_xdata())
    (3, 3)
    >>> explorer.activation.value = "relu"   # a control change updates the same artists
    >>> explorer.state.activation
    'relu'
    """

    ALT = (
        "The norm of the gradient of every layer, from the first layer to the last, on a log "
        "scale, for the chosen depth, activation and initialization."
    )

    def __init__(
        self,
        depth: int = 10,
        activation: str = "sigmoid",
        init: str = "xavier",
        norms: dict[tuple[int, str, str], np.ndarray] | None = None,
        **kwargs: Any,
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}")
        if init not in INITS:
            raise ValueError(f"init must be one of {list(INITS)}; got {init!r}")
        # 1. Precompute every combination once: callbacks only look them up.
        self.norms = gradient_norm_table(**kwargs) if norms is None else dict(norms)
        depths = sorted({d for d, _, _ in self.norms})
        missing = [
            (d, a, i)
            for d in depths
            for a in ACTIVATIONS
            for i in INITS
            if (d, a, i) not in self.norms
        ]
        if missing:
            raise ValueError(f"norms lacks some combinations, e.g. {missing[0]}")
        if depth not in depths:
            raise ValueError(f"depth must be one of {depths[0]}..{depths[-1]}; got {depth!r}")
        self.depths = depths

        # 2. Controls, readout, output area.
        self.depth = widgets.IntSlider(
            value=depth,
            min=depths[0],
            max=depths[-1],
            step=1,
            description="depth",
            continuous_update=True,
            layout=SLIDER_LAYOUT,
        )
        self.activation = toggle_buttons(ORDER, activation, "activation")
        self.init = toggle_buttons(INITS, init, "init")
        self._panel(self.depth, self.activation, self.init)

        # 3. The one figure (not through pyplot: nothing leaks into the notebook).
        with mpl.rc_context(_STYLE):
            self._new_figure((7.5, 3.8))
            self._build_axes()
        moving = (self.norm_line, *self.other_lines.values(), self._title, self._note)
        self._go_live(moving, (self.depth, self.activation, self.init))

    # -- the pure part ---------------------------------------------------------------------

    def evaluate(self, depth: int, activation: str, init: str) -> GradientNormState:
        """Look up the norms for one setting and say what they mean."""
        norms = self.norms[depth, activation, init]
        zero = tuple(int(i) + 1 for i in np.flatnonzero(norms < ZERO))
        ratio = None if norms[0] < ZERO or norms[-1] < ZERO else float(norms[0] / norms[-1])
        message = None
        if init == "zeros":
            message = (
                "Zero initialization: every hidden unit computes the same value and receives the "
                "same gradient, so the units can never become different (the symmetry problem)."
            )
            if zero:
                message += f" Here the gradient is exactly zero in {_layers(zero, depth)}."
        elif zero:
            message = f"The gradient is exactly zero in {_layers(zero, depth)}."
        elif ratio is not None and ratio < 1e-3:
            message = (
                f"Vanishing gradients: the first layer's gradient is {ratio:.1e} times the last "
                "layer's, so one learning rate cannot suit both; the first layers barely move."
            )
        elif ratio is not None and ratio > 1e3:
            message = (
                f"Exploding gradients: the first layer's gradient is {ratio:.1e} times the "
                "last layer's."
            )
        return GradientNormState(depth, activation, init, norms, zero, ratio, message)

    # -- the figure ------------------------------------------------------------------------

    def _build_axes(self) -> None:
        ax = self.ax = self.figure.subplots()
        shown = np.concatenate([v[v >= ZERO] for v in self.norms.values()])
        low, high = (shown.min(), shown.max()) if shown.size else (1e-3, 1.0)
        ax.set(
            yscale="log",
            xlim=(0.5, self.depths[-1] + 0.5),
            ylim=(low / 3, high * 3),
            xlabel="layer $l$ (1 = first, next to the input)",
            ylabel=r"$\Vert \partial J / \partial W_l \Vert$",
        )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_autoscale_on(False)
        self.other_lines = {
            name: ax.plot([], [], "-", color=color(name), lw=1.2, alpha=0.35, label=name)[0]
            for name in ORDER
        }
        (self.norm_line,) = ax.plot([], [], "o-", lw=2.2, markersize=5)
        self._title = ax.set_title("")
        self._note = ax.text(
            0.5,
            0.5,
            "",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=11,
            color=color("zeros"),
        )
        handles = [Line2D([], [], color=color(name), lw=2.2) for name in ORDER]
        ax.legend(
            handles,
            ORDER,
            title="bold: your choice\nfaint: the others",
            loc="lower right",
            fontsize=9,
            title_fontsize=9,
        )

    def update(self) -> None:
        """Read the controls, look the numbers up, update the artists and the readout."""
        state = self.evaluate(int(self.depth.value), self.activation.value, self.init.value)
        self.state = state
        layers = np.arange(1, state.depth + 1)
        self.norm_line.set_data(layers, _plottable(state.norms))
        self.norm_line.set_color(color(state.activation))
        for name, line in self.other_lines.items():
            line.set_data(layers, _plottable(self.norms[state.depth, name, state.init]))
            line.set_visible(name != state.activation)
        self._title.set_text(
            f"{state.activation}, {state.init} initialization, {state.depth} layers"
        )
        everything_zero = len(state.zero_layers) == state.depth
        self._note.set_text(
            "every gradient is exactly 0:\nnothing to plot" if everything_zero else ""
        )
        self.readout.value = self._readout(state)

    def _readout(self, state: GradientNormState) -> str:
        def norm(value: float) -> str:
            return "0 (exactly)" if value < ZERO else f"{value:.2e}"

        rows = [
            ("first layer ‖∂J/∂W₁‖", norm(state.norms[0])),
            (f"last layer ‖∂J/∂W_{state.depth}‖", norm(state.norms[-1])),
            ("ratio first / last", "—" if state.ratio is None else f"{state.ratio:.2e}"),
        ]
        text = readout_table(rows)
        if state.message is not None:
            text += f"<p style='color:{color('numerical')}'>{html.escape(state.message)}</p>"
        return text

    def describe(self) -> str:
        state = self.state
        return f"{self.ALT} Now: {state.activation}, {state.init}, {state.depth} layers."

    def online_axes(self) -> list[Axis]:
        """Online: ten depths from 2 to 20, every activation and initialization."""
        depths = [d for d in ONLINE_DEPTHS if d in self.depths] or self.depths
        return [
            Axis("depth", "depth", depths),
            Axis("activation", "activation", list(ORDER), kind="buttons"),
            Axis("init", "init", list(INITS), kind="buttons"),
        ]


#: The order the activations appear in the controls and the legend.
ORDER: tuple[str, ...] = ("sigmoid", "tanh", "relu")


def _plottable(norms: np.ndarray) -> np.ndarray:
    """Norms for a log axis: zeros (and round-off) become gaps."""
    return np.where(norms >= ZERO, norms, np.nan)


def _layers(layers: tuple[int, ...], depth: int) -> str:
    """'every layer', 'layers 1-19' or 'layers 1, 3' for a message."""
    if len(layers) == depth:
        return "every layer"
    if len(layers) == 1:
        return f"layer {layers[0]}"
    if layers == tuple(range(layers[0], layers[-1] + 1)):
        return f"layers {layers[0]}–{layers[-1]}"
    return "layers " + ", ".join(map(str, layers))


def gradient_norm_explorer(**kwargs: Any) -> GradientNormExplorer:
    """Build the Chapter 3 widget; leave it as a cell's last expression to display it.

    Parameters
    ----------
    **kwargs
        Passed to :class:`GradientNormExplorer`.
    """
    return GradientNormExplorer(**kwargs)
