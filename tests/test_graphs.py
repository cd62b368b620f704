"""companion.graphs: the layout reads left to right, nothing overlaps, every node is drawn."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle, FancyBboxPatch  # noqa: E402

from companion.autodiff import Value  # noqa: E402
from companion.graphs import BOX_HEIGHT, draw_graph, layout_graph  # noqa: E402


def neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.88, label="b")
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.label = "out"
    return out, (x1, x2, w1, w2, b)


def test_every_edge_points_right_and_inputs_are_in_the_first_column():
    out, inputs = neuron()
    layout = layout_graph(out)
    for source, target in layout.edges:
        assert layout.positions[source][0] < layout.positions[target][0]
    for v in inputs:
        assert layout.positions[id(v)][0] == 0.0
    assert max(p[0] for p in layout.positions.values()) == layout.positions[id(out)][0]


def test_inputs_keep_their_order_top_to_bottom():
    out, (x1, x2, w1, w2, b) = neuron()
    layout = layout_graph(out)
    heights = [layout.positions[id(v)][1] for v in (x1, w1, x2, w2, b)]
    assert heights == sorted(heights, reverse=True)


def test_no_two_nodes_of_a_column_overlap():
    out, _ = neuron()
    positions = list(layout_graph(out).positions.values())
    for i, (x, y) in enumerate(positions):
        for x2, y2 in positions[i + 1 :]:
            if x == x2:
                assert abs(y - y2) >= BOX_HEIGHT


def test_one_box_per_value_and_one_circle_per_operation():
    out, _ = neuron()
    ax = draw_graph(out)
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    values = layout_graph(out).values
    assert len(boxes) == len(values) == 10
    assert len(circles) == sum(1 for v in values if v._prev) == 5
    plt.close(ax.figure)


def test_a_value_used_twice_is_drawn_once_with_two_outgoing_edges():
    x = Value(3.0, label="x")
    y = x * x
    layout = layout_graph(y)
    assert len(layout.values) == 2
    assert sum(1 for source, _ in layout.edges if source == id(x)) == 2


def test_texts_show_labels_values_and_gradients_after_backward():
    out, _ = neuron()
    out.backward()
    ax = draw_graph(out, title="a neuron")
    texts = [t.get_text() for t in ax.texts]
    assert "x1 = 2" in texts and "w1 = -3" in texts
    assert "grad -1.5" in texts and "grad 1" in texts  # dout/dx1 = w1 (1 - tanh²)
    assert "tanh" in texts and ax.get_title() == "a neuron"
    plt.close(ax.figure)


def test_show_grad_false_draws_the_forward_pass_only():
    out, _ = neuron()
    fig, ax = plt.subplots()
    assert draw_graph(out, ax=ax, show_grad=False) is ax
    assert not any(t.get_text().startswith("grad") for t in ax.texts)
    plt.close(fig)


def test_a_long_chain_is_laid_out_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(3000):
        y = y + 1
    layout = layout_graph(y)
    assert len(layout.values) == 6001  # x, 3000 constants, 3000 sums


def test_draw_graph_needs_a_value():
    with pytest.raises(TypeError, match="root must be a Value"):
        layout_graph(3.0)
