"""Draw the computational graph of a :class:`~companion.autodiff.Value` with matplotlib only.

No Graphviz: the layout is computed here. Values are boxes showing ``label = data`` and, once
:meth:`~companion.autodiff.Value.backward` has run, ``grad`` underneath; every operation is a
circle between its inputs and its output. Columns follow the order of computation, so the
forward pass reads left to right and the backward pass right to left.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyBboxPatch

from .autodiff import Value
from .plots import PALETTE

__all__ = ["GraphLayout", "draw_graph", "layout_graph"]

#: Sizes in data units: column spacing, row spacing, value box, operation circle. Columns sit
#: close (an arrow's length apart) so that a wide graph still gets legible text.
COLUMN, ROW = 1.05, 1.0
BOX_WIDTH, BOX_HEIGHT, RADIUS = 1.0, 0.66, 0.24
INPUT_FILL, BOX_FILL, EDGE = "#DCEBF5", "white", "#333333"
GRAD_COLOR = PALETTE[3]  # vermillion: the backward pass


@dataclass(frozen=True)
class GraphLayout:
    """Where every node of a graph goes.

    Attributes
    ----------
    values : list of Value
        Every value in the graph, inputs first (a topological order).
    positions : dict
        ``id(value) -> (x, y)`` for value boxes, and ``("op", id(value)) -> (x, y)`` for the
        circle of the operation that produced a value.
    edges : list of tuple
        ``(source key, target key)`` pairs, keys as in ``positions``.
    """

    values: list[Value]
    positions: dict
    edges: list[tuple]


def layout_graph(root: Value) -> GraphLayout:
    """Place the nodes of ``root``'s graph in columns, inputs on the left.

    A value computed by an operation sits two columns right of its furthest input, with the
    operation's circle in between. Within a column, each node goes near the mean height of its
    inputs, then nodes are pushed apart to at least one row.

    Parameters
    ----------
    root : Value

    Returns
    -------
    GraphLayout

    Examples
    --------
    >>> from companion.autodiff import Value
    >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
    >>> layout = layout_graph(a * b)
    >>> len(layout.values), len(layout.edges)   # a, b, a*b; a->op, b->op, op->a*b
    (3, 3)
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value; got {type(root).__name__}")
    values = root._topological_order()
    column: dict = {}
    desired: dict = {}
    edges: list[tuple] = []
    leaves = 0
    for v in values:
        if not v._prev:
            column[id(v)], desired[id(v)] = 0, float(leaves)
            leaves += 1
            continue
        op = ("op", id(v))
        column[op] = 1 + max(column[id(c)] for c in v._prev)
        column[id(v)] = column[op] + 1
        desired[op] = desired[id(v)] = float(np.mean([desired[id(c)] for c in v._prev]))
        edges.extend((id(c), op) for c in v._prev)
        edges.append((op, id(v)))

    positions: dict = {}
    for col in sorted(set(column.values())):
        keys = sorted((k for k in column if column[k] == col), key=lambda k: desired[k])
        ys = [desired[k] for k in keys]
        for i in range(1, len(ys)):  # push apart, keeping the order
            ys[i] = max(ys[i], ys[i - 1] + 1.0)
        shift = np.mean([desired[k] for k in keys]) - np.mean(ys)  # keep the column centred
        for k, y in zip(keys, ys, strict=True):
            positions[k] = (col * COLUMN, -(y + shift) * ROW)  # first input on top
    return GraphLayout(values=values, positions=positions, edges=edges)


def draw_graph(
    root: Value,
    ax: Axes | None = None,
    show_grad: bool = True,
    title: str | None = None,
) -> Axes:
    """Draw ``root``'s computational graph.

    Parameters
    ----------
    root : Value
        The output; its graph is everything it was computed from.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure sized to the graph by default.
    show_grad : bool, default True
        Also write each value's ``grad`` (call ``root.backward()`` first).
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from companion.autodiff import Value
    >>> x = Value(2.0, label="x")
    >>> y = (x * x).tanh()
    >>> y.backward()
    >>> ax = draw_graph(y)
    >>> [t.get_text() for t in ax.texts if t.get_text().startswith("grad")]
    ['grad 0.00536', 'grad 0.00134', 'grad 1']
    """
    layout = layout_graph(root)
    xs = [p[0] for p in layout.positions.values()]
    ys = [p[1] for p in layout.positions.values()]
    xlim = (min(xs) - BOX_WIDTH / 2 - 0.1, max(xs) + BOX_WIDTH / 2 + 0.1)
    ylim = (min(ys) - BOX_HEIGHT / 2 - 0.1, max(ys) + BOX_HEIGHT / 2 + 0.1)
    if ax is None:  # about 0.85 inch per unit: room for the text in every box
        _, ax = plt.subplots(figsize=(0.85 * np.ptp(xlim) + 0.2, 0.85 * np.ptp(ylim) + 0.4))
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    size = _font_size(ax)

    by_id = {id(v): v for v in layout.values}
    for key, (x, y) in layout.positions.items():
        if isinstance(key, tuple):  # an operation
            ax.add_patch(Circle((x, y), RADIUS, facecolor=BOX_FILL, edgecolor=EDGE, lw=1.2))
            op = by_id[key[1]]._op
            # "tanh" and "relu" fit the circle at full size; only longer names shrink
            ax.text(
                x, y, op, ha="center", va="center", fontsize=size if len(op) <= 4 else 0.8 * size
            )
            continue
        value = by_id[key]
        ax.add_patch(
            FancyBboxPatch(
                (x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2),
                BOX_WIDTH,
                BOX_HEIGHT,
                boxstyle="round,pad=0,rounding_size=0.08",
                facecolor=BOX_FILL if value._prev else INPUT_FILL,
                edgecolor=EDGE,
                lw=1.2,
            )
        )
        name = f"{value.label} = {value.data:.3g}" if value.label else f"{value.data:.3g}"
        if show_grad:
            ax.text(x, y + 0.13, name, ha="center", va="center", fontsize=size)
            ax.text(
                x,
                y - 0.15,
                f"grad {value.grad:.3g}",
                ha="center",
                va="center",
                fontsize=size,
                color=GRAD_COLOR,
            )
        else:
            ax.text(x, y, name, ha="center", va="center", fontsize=size)

    for source, target in layout.edges:
        start, end = _edge_points(layout.positions[source], layout.positions[target], source)
        ax.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops={
                "arrowstyle": "-|>",
                "color": EDGE,
                "lw": 1.0,
                "shrinkA": 0,
                "shrinkB": 0,
                "mutation_scale": 10,
            },
        )
    if title:
        ax.set_title(title)
    return ax


def _font_size(ax: Axes) -> float:
    """A font size (points) that fits the boxes at the scale the axes will be drawn.

    Estimated from the axes' share of the figure (its grid cell, before any layout engine
    moves it), since the boxes are sized in data units and the text in points.
    """
    fig_width, fig_height = ax.figure.get_size_inches()
    spec = ax.get_subplotspec()
    if spec is not None:
        rows, cols = spec.get_geometry()[:2]
        width = fig_width * len(spec.colspan) / cols - 0.2
        height = fig_height * len(spec.rowspan) / rows - 0.4  # a title
    else:
        box = ax.get_position()
        width, height = box.width * fig_width, box.height * fig_height
    # equal aspect: the tighter direction decides the scale
    inches_per_unit = min(width / np.ptp(ax.get_xlim()), height / np.ptp(ax.get_ylim()))
    return float(np.clip(0.16 * 72 * inches_per_unit, 5.0, 11.0))


def _edge_points(a: tuple, b: tuple, source: object) -> tuple[tuple, tuple]:
    """Where an arrow from node ``a`` to node ``b`` leaves and arrives (on the shapes' edges)."""
    direction = np.subtract(b, a) / max(np.hypot(*np.subtract(b, a)), 1e-12)
    if isinstance(source, tuple):  # circle -> right-hand value box
        return tuple(np.add(a, RADIUS * direction)), (b[0] - BOX_WIDTH / 2, b[1])
    return (a[0] + BOX_WIDTH / 2, a[1]), tuple(np.subtract(b, RADIUS * direction))
