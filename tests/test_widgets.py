"""companion.widgets.secant: the explorers, driven the way a reader drives them.

Each test sets a control's value (which fires the same callback a slider in the browser
does) and checks what the figure's artists and the readout show afterwards.
"""

from __future__ import annotations

import base64

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.gradients import derivative_errors  # noqa: E402
from companion.widgets import SecantExplorer, secant_explorer  # noqa: E402


@pytest.fixture
def explorer() -> SecantExplorer:
    return secant_explorer()


def secant_slope(explorer: SecantExplorer) -> float:
    """The slope of the line actually drawn, read back from the artist."""
    xs, ys = explorer.secant_line.get_data()
    return float((ys[1] - ys[0]) / (xs[1] - xs[0]))


def shown_error(explorer: SecantExplorer) -> float:
    return float(explorer.marker.get_ydata()[0])


def test_default_state_is_a_visible_secant_and_a_full_readout(explorer):
    assert explorer.h.value == pytest.approx(0.5)
    assert explorer.method.value == "central"
    assert explorer.precision.value == "float64"
    assert explorer.secant_line.get_visible()
    assert len(explorer.secant_line.get_xdata()) == 2
    for label in ("step h", "secant slope", "exact f′(x₀)", "absolute error"):
        assert label in explorer.readout.value
    assert "nan" not in explorer.readout.value.lower()


def test_moving_the_slider_redraws_the_secant_through_the_two_points(explorer):
    explorer.h.value = 0.25
    (x_left, x_right), (y_left, y_right) = explorer.points.get_data()
    assert (x_left, x_right) == pytest.approx((0.75, 1.25))
    assert (y_left, y_right) == pytest.approx((np.sin(0.75), np.sin(1.25)))
    assert secant_slope(explorer) == pytest.approx((np.sin(1.25) - np.sin(0.75)) / 0.5)
    assert f"{explorer.state.slope:.10f}" in explorer.readout.value


def test_secant_approaches_the_tangent_as_h_shrinks_in_the_truncation_regime(explorer):
    errors = []
    for h in (1e-1, 1e-2, 1e-3):
        explorer.h.value = h
        errors.append(abs(secant_slope(explorer) - np.cos(1.0)))
        assert shown_error(explorer) == pytest.approx(explorer.state.error)
        assert f"{explorer.state.error:.2e}" in explorer.readout.value
    # central difference: error ~ h^2, so 10x smaller h gives ~100x smaller error
    assert errors[1] < errors[0] / 50
    assert errors[2] < errors[1] / 50


def test_forward_and_central_differ_and_forward_error_falls_like_h(explorer):
    explorer.h.value = 1e-2
    central = explorer.state
    explorer.method.value = "forward"
    forward = explorer.state
    assert forward.points_x[0] == pytest.approx(1.0)  # forward uses x0 and x0 + h
    assert forward.slope != central.slope
    assert forward.error > 10 * central.error
    explorer.h.value = 1e-3
    assert explorer.state.error == pytest.approx(forward.error / 10, rel=0.05)
    assert explorer.secant_line.get_color() != "#0072B2"  # recoloured for forward


def test_error_curve_and_marker_follow_the_method_and_precision(explorer):
    explorer.precision.value = "float32"
    explorer.method.value = "forward"
    _, curve = explorer.error_line.get_data()
    expected = derivative_errors(np.sin, np.cos, 1.0, explorer.hs, "forward", np.float32)
    np.testing.assert_allclose(curve, np.where(expected > 0, expected, np.nan))
    assert "forward" in explorer._error_title.get_text()
    assert "float32" in explorer._error_title.get_text()


def test_float32_with_a_tiny_step_shows_a_message_not_nan(explorer):
    explorer.precision.value = "float32"
    explorer.h.value = 1e-10  # far below float32's spacing near 1 (1.2e-7)
    text = explorer.readout.value
    assert explorer.state.message is not None
    assert "rounds to x₀" in text
    assert "nan" not in text.lower()
    assert "Make h larger" in text


def test_float64_handles_the_same_tiny_step_without_a_message(explorer):
    explorer.h.value = 1e-10
    assert explorer.state.message is None
    assert explorer.state.error < 1e-4


def test_float32_round_off_makes_small_steps_worse_than_in_float64(explorer):
    explorer.h.value = 1e-5
    error64 = explorer.state.error
    explorer.precision.value = "float32"
    assert explorer.state.error > 100 * error64


def test_an_overflowing_slope_is_reported_and_the_secant_hidden():
    explorer = SecantExplorer(f=np.exp, dfdx=np.exp, x0=88.0, h=1.0, label="exp x")
    assert explorer.state.message is None  # float64 copes with exp(89)
    explorer.precision.value = "float32"  # exp(89) overflows float32 (max 3.4e38)
    assert not np.isfinite(explorer.state.slope)
    assert not explorer.secant_line.get_visible()
    assert "not a finite number" in explorer.readout.value
    assert "nan" not in explorer.readout.value.lower()


def test_callbacks_reuse_the_one_figure_and_create_no_new_ones(explorer):
    figure, artist = explorer.figure, explorer.secant_line
    n_lines = [len(ax.lines) for ax in figure.axes]
    before = plt.get_fignums()
    for h in np.logspace(-12, 0, 13):
        explorer.h.value = float(h)
    explorer.method.value = "forward"
    explorer.precision.value = "float32"
    assert plt.get_fignums() == before
    assert explorer.figure is figure
    assert explorer.secant_line is artist
    assert [len(ax.lines) for ax in figure.axes] == n_lines
    assert len(figure.axes) == 2


def test_update_is_pure_and_repeatable(explorer):
    explorer.h.value = 1e-4
    first = explorer.readout.value, explorer.secant_line.get_ydata().copy()
    explorer.update()
    assert explorer.readout.value == first[0]
    np.testing.assert_array_equal(explorer.secant_line.get_ydata(), first[1])


def test_construction_is_deterministic():
    a, b = secant_explorer(), secant_explorer()
    for key in a.errors:
        np.testing.assert_array_equal(a.errors[key], b.errors[key])
    assert a.readout.value == b.readout.value


def displayed_png(explorer: SecantExplorer) -> str:
    (output,) = explorer.output.outputs  # exactly one output: the figure
    assert output["output_type"] == "display_data"
    return output["data"]["image/png"]


def test_each_change_redisplays_the_figure_as_the_one_output(explorer):
    first = displayed_png(explorer)
    assert base64.b64decode(first).startswith(b"\x89PNG")
    explorer.h.value = 1e-3
    second = displayed_png(explorer)
    assert second != first  # the secant moved, so the picture changed
    explorer.precision.value = "float32"
    assert displayed_png(explorer) != second


def test_the_figure_is_displayed_in_the_output_and_the_widget_is_displayable(explorer):
    bundle = explorer._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert explorer.output in explorer.widget.children


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "backward"}, "method"),
        ({"precision": "float16"}, "precision"),
        ({"h": 10.0}, "h must lie in h_range"),
        ({"h": -1.0}, "h must be a positive"),
        ({"x0": float("nan")}, "x0"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SecantExplorer(**kwargs)
