"""companion.widgets.gradient_norms: the gradient-norm explorer, driven as a reader drives it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import companion.gradient_flow as flow  # noqa: E402
import companion.widgets.gradient_norms as module  # noqa: E402
from companion.gradient_flow import DEPTHS, gradient_norm_table, layer_gradient_norms  # noqa: E402
from companion.layers import Linear, mlp  # noqa: E402
from companion.losses import softmax_cross_entropy  # noqa: E402
from companion.plots import color  # noqa: E402
from companion.toy_data import spirals  # noqa: E402
from companion.widgets import GradientNormExplorer, gradient_norm_explorer  # noqa: E402


@pytest.fixture(scope="module")
def table():
    return gradient_norm_table()


@pytest.fixture
def explorer(table):
    return gradient_norm_explorer(norms=table)


def shown(explorer):
    return explorer.norm_line.get_ydata()


def test_norms_are_the_weight_gradients_of_one_backward_pass():
    norms = layer_gradient_norms(4, "tanh", "he", width=8, n=10, seed=3)
    x, labels = spirals(10, seed=3)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    model = mlp([2, 8, 8, 8, 3], activation="tanh", init="he", seed=3)
    model.backward(softmax_cross_entropy(model.forward(x), labels)[1])
    expected = [
        np.linalg.norm(layer.grads[0]) for layer in model.layers if isinstance(layer, Linear)
    ]
    np.testing.assert_allclose(norms, expected)


def test_the_table_covers_every_depth_activation_and_init(table):
    assert len(table) == len(DEPTHS) * 3 * 3
    assert all(table[d, "relu", "he"].shape == (d,) for d in DEPTHS)


def test_default_is_a_vanishing_sigmoid_network_with_a_message(explorer):
    state = explorer.state
    assert (state.depth, state.activation, state.init) == (10, "sigmoid", "xavier")
    assert len(explorer.norm_line.get_xdata()) == 10
    assert state.ratio < 1e-3
    assert "Vanishing gradients" in explorer.readout.value
    assert explorer.norm_line.get_color() == color("sigmoid")


def test_moving_the_depth_slider_redraws_one_point_per_layer(explorer, table):
    explorer.depth.value = 17
    np.testing.assert_array_equal(explorer.norm_line.get_xdata(), np.arange(1, 18))
    np.testing.assert_allclose(shown(explorer), table[17, "sigmoid", "xavier"])
    assert "17 layers" in explorer._title.get_text()
    assert f"{explorer.state.ratio:.2e}" in explorer.readout.value


def test_sigmoid_gradients_vanish_faster_with_depth_than_relu_with_he(explorer):
    ratios = {}
    for activation, init in (("sigmoid", "xavier"), ("relu", "he")):
        explorer.activation.value, explorer.init.value = activation, init
        for depth in (2, 20):
            explorer.depth.value = depth
            ratios[activation, depth] = explorer.state.ratio
    assert ratios["sigmoid", 20] < 1e-9 * ratios["sigmoid", 2]
    assert 0.01 < ratios["relu", 20] / ratios["relu", 2] < 100
    assert explorer.state.message is None  # relu + he: nothing alarming to say


def test_switching_activation_recolours_and_shows_the_others_faintly(explorer):
    explorer.activation.value = "relu"
    assert explorer.norm_line.get_color() == color("relu")
    assert not explorer.other_lines["relu"].get_visible()
    assert explorer.other_lines["sigmoid"].get_visible()
    np.testing.assert_allclose(
        explorer.other_lines["sigmoid"].get_ydata(), explorer.norms[10, "sigmoid", "xavier"]
    )


def test_zero_init_shows_a_message_and_no_nan(explorer):
    explorer.init.value = "zeros"
    for activation in ("relu", "tanh", "sigmoid"):
        explorer.activation.value = activation
        text = explorer.readout.value
        assert "symmetry" in text and "nan" not in text.lower()
        assert "0 (exactly)" in text and explorer.state.ratio is None
        assert np.all(np.isnan(shown(explorer)))  # nothing to draw on a log axis ...
        assert "nothing to plot" in explorer._note.get_text()  # ... and the figure says so


def test_the_note_disappears_when_there_is_something_to_plot(explorer):
    explorer.init.value = "zeros"
    explorer.init.value = "he"
    assert explorer._note.get_text() == ""
    assert np.all(np.isfinite(shown(explorer)))


def test_callbacks_only_look_up_precomputed_numbers(explorer, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a callback recomputed the gradients")

    monkeypatch.setattr(flow, "layer_gradient_norms", fail)
    monkeypatch.setattr(module, "gradient_norm_table", fail)
    for depth in DEPTHS:
        explorer.depth.value = depth
    for activation in ("relu", "tanh", "sigmoid"):
        for init in ("zeros", "xavier", "he"):
            explorer.activation.value, explorer.init.value = activation, init


def test_callbacks_reuse_the_one_figure_and_its_artists(explorer):
    figure, line = explorer.figure, explorer.norm_line
    before = plt.get_fignums()
    n_lines = len(explorer.ax.lines)
    explorer.depth.value = 3
    explorer.activation.value = "tanh"
    explorer.init.value = "he"
    assert plt.get_fignums() == before
    assert explorer.figure is figure and explorer.norm_line is line
    assert len(explorer.ax.lines) == n_lines and len(figure.axes) == 1
    assert explorer.png.startswith(b"\x89PNG")


def test_the_y_axis_is_fixed_so_settings_can_be_compared(explorer):
    limits = explorer.ax.get_ylim()
    explorer.depth.value = 20
    explorer.activation.value = "relu"
    assert explorer.ax.get_ylim() == limits


def test_construction_without_a_table_computes_it(monkeypatch):
    small = gradient_norm_table(depths=[2, 3])
    monkeypatch.setattr(module, "gradient_norm_table", lambda **kwargs: small)
    explorer = GradientNormExplorer(depth=2)
    assert explorer.norms == small and explorer.depth.max == 3


def test_the_widget_is_displayable(explorer):
    bundle = explorer._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert explorer.output in explorer.widget.children


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"depth": 30}, "depth must be one of"),
        ({"activation": "gelu"}, "activation must be one of"),
        ({"init": "orthogonal"}, "init must be one of"),
    ],
)
def test_bad_arguments_are_named(table, kwargs, match):
    with pytest.raises(ValueError, match=match):
        GradientNormExplorer(norms=table, **kwargs)


def test_an_incomplete_table_is_refused(table):
    partial = {key: value for key, value in table.items() if key[1] != "tanh"}
    with pytest.raises(ValueError, match="lacks some combinations"):
        GradientNormExplorer(norms=partial)
