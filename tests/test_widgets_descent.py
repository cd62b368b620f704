"""companion.widgets.descent: the Chapter 2 explorer, driven the way a reader drives it.

Each test sets a control's value — which fires the same callback a slider in the browser
fires — and checks what the artists and the readout show afterwards.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.descent import gradient_descent  # noqa: E402
from companion.surfaces import double_well, gallery  # noqa: E402
from companion.widgets import DescentExplorer, descent_explorer  # noqa: E402


@pytest.fixture
def explorer() -> DescentExplorer:
    return descent_explorer()


def drawn_path(explorer: DescentExplorer) -> np.ndarray:
    return np.asarray(explorer.path_line.get_xydata())


def assert_nothing_shown_is_nan(explorer: DescentExplorer) -> None:
    for artist in (explorer.path_line, explorer.loss_line, explorer.end_marker):
        assert np.all(np.isfinite(np.asarray(artist.get_xydata(), dtype=float)))
    assert "nan" not in explorer.readout.value.lower()


def test_default_is_the_bowl_run_to_convergence_with_a_full_readout(explorer):
    assert explorer.surface.value == "quadratic bowl"
    surface = explorer.surfaces["quadratic bowl"]
    expected = gradient_descent(surface.f, surface.grad, surface.start, surface.lr, 200)
    np.testing.assert_allclose(drawn_path(explorer), expected.path)
    assert explorer.result.status == "converged"
    for word in ("converged", "final θ", "J(θ)", "‖∇J(θ)‖", "nearest minimum"):
        assert word in explorer.readout.value
    assert_nothing_shown_is_nan(explorer)


def test_moving_the_start_reruns_descent_from_there(explorer):
    before = drawn_path(explorer).copy()
    explorer.start_x.value = 1.5
    explorer.start_y.value = -1.0
    path = drawn_path(explorer)
    assert not np.array_equal(path, before)
    np.testing.assert_allclose(path[0], [1.5, -1.0])
    np.testing.assert_allclose(explorer.start_marker.get_xydata()[0], [1.5, -1.0])
    np.testing.assert_allclose(explorer.end_marker.get_xydata()[0], explorer.result.x)


def test_the_loss_curve_shows_the_gap_to_the_minimum_on_a_log_scale(explorer):
    explorer.surface.value = "saddle"  # J* = -1/4: the curve is J - J*
    steps, shown = explorer.loss_line.get_data()
    np.testing.assert_allclose(shown[:5], explorer.result.losses[:5] + 0.25)
    assert explorer.ax_loss.get_yscale() == "log"
    low, high = explorer.ax_loss.get_ylim()
    assert low <= shown.min() and shown.max() <= high  # the whole curve is in view


def test_a_smaller_learning_rate_takes_more_steps(explorer):
    fast = explorer.result.steps
    explorer.lr.value = 0.3
    assert explorer.result.lr == pytest.approx(0.3)
    assert explorer.result.steps > fast
    assert "η = 3.00e-01" in explorer._path_title.get_text()


def test_a_learning_rate_above_two_over_L_is_flagged_as_divergence_not_nan(explorer):
    explorer.lr.value = 2.5  # the bowl has L = 1
    assert explorer.result.status == "diverged"
    text = explorer.readout.value
    assert "Diverged" in text and "2/L = 2" in text and "η = 2.5" in text
    assert "diverged" in explorer._loss_title.get_text()
    assert explorer.diverged_marker.get_xydata().shape == (1, 2)
    assert_nothing_shown_is_nan(explorer)
    explorer.lr.value = 0.5  # and back: the warning goes away
    assert "Diverged" not in explorer.readout.value
    assert explorer.diverged_marker.get_xydata().shape == (0, 2)


def test_the_largest_learning_rate_overflows_and_is_still_reported_calmly(explorer):
    explorer.surface.value = "rosenbrock"
    explorer.lr.value = 10.0
    assert explorer.result.status == "diverged"
    assert_nothing_shown_is_nan(explorer)


def test_changing_the_surface_swaps_contours_window_start_and_rate(explorer):
    segments = [s.copy() for s in explorer.contour_lines.get_segments()]
    explorer.surface.value = "himmelblau"
    himmelblau = explorer.surfaces["himmelblau"]
    assert explorer.start_x.min == -5.0 and explorer.start_x.max == 5.0
    assert (explorer.start_x.value, explorer.start_y.value) == tuple(himmelblau.start)
    assert explorer.lr.value == pytest.approx(himmelblau.lr)
    assert explorer.ax_path.get_xlim() == (-5.0, 5.0)
    new = explorer.contour_lines.get_segments()
    assert len(new) != len(segments) or not all(
        np.array_equal(a, b) for a, b in zip(new, segments, strict=True)
    )
    assert explorer.minima_marker.get_xydata().shape == (4, 2)
    np.testing.assert_allclose(drawn_path(explorer)[0], himmelblau.start)


def test_starting_on_the_saddles_stable_manifold_warns_that_it_is_not_a_minimum(explorer):
    explorer.surface.value = "saddle"
    explorer.start_y.value = 0.0
    assert explorer.result.converged
    assert "saddle point" in explorer.readout.value
    explorer.start_y.value = 0.2
    assert "saddle point" not in explorer.readout.value
    assert "nearest minimum" in explorer.readout.value


def test_stopping_on_a_plateau_is_pointed_out():
    explorer = DescentExplorer(surface="plateau", start=(4.2, 0.0), tol=1e-3)
    assert explorer.result.converged and explorer.result.steps == 0
    assert "Small gradient, high loss" in explorer.readout.value


def test_every_surface_and_extreme_setting_renders_without_nan(explorer):
    for name in explorer.surfaces:
        explorer.surface.value = name
        for lr in (1e-5, explorer.lr.value, 10.0):
            explorer.lr.value = lr
            explorer.start_x.value = explorer.start_x.max
            assert_nothing_shown_is_nan(explorer)
            assert explorer.render()[:8] == b"\x89PNG\r\n\x1a\n"


def test_callbacks_reuse_the_one_figure_and_its_artists(explorer):
    figure, path_line, contours = explorer.figure, explorer.path_line, explorer.contour_lines
    counts = [(len(ax.lines), len(ax.collections)) for ax in figure.axes]
    before = plt.get_fignums()
    for name in ("rosenbrock", "beale", "quadratic bowl"):
        explorer.surface.value = name
        explorer.start_x.value = 0.5
        explorer.lr.value = 0.01
        explorer.steps.value = 300
    assert plt.get_fignums() == before
    assert explorer.figure is figure and explorer.path_line is path_line
    assert explorer.contour_lines is contours
    assert [(len(ax.lines), len(ax.collections)) for ax in figure.axes] == counts


def test_the_static_background_is_reused_until_an_axis_changes(explorer):
    explorer.render()
    background = explorer._background
    explorer.start_x.value = explorer.start_x.value + 0.01  # same loss range: same background
    assert explorer._background is background
    explorer.steps.value = 400  # the step axis changes: the background is redrawn
    explorer.render()
    assert explorer._background is not background


def test_the_rendered_picture_changes_with_the_path(explorer):
    first = explorer.render()
    explorer.start_x.value = -1.5
    assert explorer.render() != first


def test_update_is_pure_and_repeatable(explorer):
    explorer.start_y.value = -0.7
    readout, path = explorer.readout.value, drawn_path(explorer).copy()
    explorer.update()
    assert explorer.readout.value == readout
    np.testing.assert_array_equal(drawn_path(explorer), path)


def test_the_widget_is_displayable_and_holds_every_control(explorer):
    bundle = explorer._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data

    def descendants(box):
        for child in getattr(box, "children", ()):
            yield child
            yield from descendants(child)

    shown = list(descendants(explorer.widget))
    controls = (explorer.surface, explorer.start_x, explorer.start_y, explorer.lr, explorer.steps)
    for control in (*controls, explorer.readout, explorer.output):
        assert any(control is widget for widget in shown)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"surface": "everest"}, "surface must be one of"),
        ({"lr": 100.0}, "lr must lie between"),
        ({"lr": -1.0}, "lr must be a positive"),
        ({"steps": 0}, "steps must be between"),
        ({"surfaces": {"line": double_well()}, "surface": "line"}, "2-D"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DescentExplorer(**kwargs)


def test_a_custom_set_of_surfaces_can_be_offered():
    surfaces = {name: s for name, s in gallery().items() if name in ("saddle", "plateau")}
    explorer = DescentExplorer(surfaces=surfaces, surface="plateau")
    assert explorer.surface.options == ("saddle", "plateau")
