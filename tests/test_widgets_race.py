"""companion.widgets.race: the optimizer race, driven the way a reader drives it."""

from __future__ import annotations

import base64
from functools import partial

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.optim import Adam, minimize  # noqa: E402
from companion.plots import COLORS  # noqa: E402
from companion.surfaces import double_well  # noqa: E402
from companion.widgets import RACERS, OptimizerRace, optimizer_race, race_surfaces  # noqa: E402


@pytest.fixture
def race() -> OptimizerRace:
    return optimizer_race()


def assert_nothing_shown_is_nan(race: OptimizerRace) -> None:
    for key in RACERS:
        for artist in (race.path_lines[key], race.loss_lines[key], race.end_markers[key]):
            assert np.all(np.isfinite(np.asarray(artist.get_xydata(), dtype=float)))
    assert "nan" not in race.readout.value.lower()


def test_default_race_is_sgd_momentum_and_adam_on_the_rotated_bowl(race):
    assert race.surface.value == "rotated bowl"
    assert race.racing == ["sgd", "momentum", "adam"]
    surface = race.surfaces["rotated bowl"]
    expected = minimize(surface.f, surface.grad, surface.start, partial(Adam, lr=0.1), 300)
    np.testing.assert_allclose(race.path_lines["adam"].get_xydata(), expected.path)
    assert race.path_lines["rmsprop"].get_xydata().shape == (0, 2)  # not ticked: not drawn
    for key in RACERS:
        assert race.path_lines[key].get_color() == COLORS[key]
    text = race.readout.value
    assert "Adam" in text and "Fastest to converge: Adam" in text
    assert_nothing_shown_is_nan(race)


def test_ticking_a_box_runs_only_that_optimizer(race):
    runs = dict(race._runs)
    race.checkboxes["rmsprop"].value = True
    assert set(race._runs) - set(runs) == {("rotated bowl", "rmsprop", 0.1, 300)}
    assert race.path_lines["rmsprop"].get_xydata().shape[0] > 1
    assert "RMSProp" in race.readout.value
    race.checkboxes["rmsprop"].value = False
    assert race.path_lines["rmsprop"].get_xydata().shape == (0, 2)
    assert "RMSProp" not in race.readout.value


def test_one_learning_rate_for_all_and_divergence_is_reported_not_nan(race):
    race.surface.value = "rosenbrock"
    assert race.lr.value == pytest.approx(1e-3)  # the surface's own race rate
    race.lr.value = 0.01
    assert race.results["sgd"].diverged and race.results["momentum"].diverged
    assert not race.results["adam"].diverged
    text = race.readout.value
    assert "diverged at step" in text and "too large" in text and "SGD" in text
    assert race.diverged_markers["sgd"].get_xydata().shape == (1, 2)
    assert race.diverged_markers["adam"].get_xydata().shape == (0, 2)
    # a diverged curve is drawn up to a ceiling, so the others keep their room
    low, high = race.ax_loss.get_ylim()
    assert high <= 1e8
    assert_nothing_shown_is_nan(race)
    race.lr.value = 1e-4
    assert "Diverged" not in race.readout.value


def test_per_coordinate_steps_win_on_the_axis_aligned_bowl_not_on_the_rotated_one(race):
    for key in ("rmsprop", "adam"):
        race.checkboxes[key].value = True
    rotated = race.results["rmsprop"].steps
    race.surface.value = "axis-aligned bowl"
    aligned = race.results["rmsprop"].steps
    assert race.results["rmsprop"].converged and aligned < rotated / 5
    assert "Fastest to converge: RMSProp" in race.readout.value


def test_changing_the_surface_swaps_contours_window_and_rate(race):
    segments = [s.copy() for s in race.contour_lines.get_segments()]
    race.surface.value = "himmelblau"
    assert race.lr.value == pytest.approx(race.surfaces["himmelblau"].lr)
    assert race.ax_path.get_xlim() == (-5.0, 5.0)
    assert race.minima_marker.get_xydata().shape == (4, 2)
    new = race.contour_lines.get_segments()
    assert len(new) != len(segments) or not all(
        np.array_equal(a, b) for a, b in zip(new, segments, strict=True)
    )
    start = race.surfaces["himmelblau"].start
    np.testing.assert_allclose(race.path_lines["sgd"].get_xydata()[0], start)


def test_an_empty_race_says_so(race):
    for box in race.checkboxes.values():
        box.value = False
    assert race.results == {} and "Tick at least one" in race.readout.value
    assert race.render()[:4] == b"\x89PNG"


def test_every_surface_and_racer_at_extreme_rates_renders_without_nan(race):
    for box in race.checkboxes.values():
        box.value = True
    race.steps.value = 100
    for name in race.surfaces:
        race.surface.value = name
        for lr in (1e-4, 1.0):
            race.lr.value = lr
            assert_nothing_shown_is_nan(race)
        assert race.render()[:4] == b"\x89PNG"
    shown = race.output.outputs[0]["data"]["image/png"]
    assert base64.b64decode(shown)[:4] == b"\x89PNG"


def test_callbacks_reuse_the_one_figure_and_its_artists(race):
    figure = race.figure
    lines = dict(race.path_lines)
    counts = [(len(ax.lines), len(ax.collections)) for ax in figure.axes]
    before = plt.get_fignums()
    race.render()
    background = race._background
    race.checkboxes["nesterov"].value = True
    assert race._background is background  # ticking a box keeps the static part
    for name in ("beale", "saddle"):
        race.surface.value = name
        race.lr.value = 0.02
        race.steps.value = 200
    assert plt.get_fignums() == before and race.figure is figure
    assert race.path_lines == lines
    assert [(len(ax.lines), len(ax.collections)) for ax in figure.axes] == counts


def test_the_rendered_picture_changes_with_the_race(race):
    first = race.render()
    race.checkboxes["adagrad"].value = True
    assert race.render() != first


def test_the_widget_holds_every_control(race):
    def descendants(box):
        for child in getattr(box, "children", ()):
            yield child
            yield from descendants(child)

    shown = list(descendants(race.widget))
    controls = (race.surface, race.lr, race.steps, race.readout, race.output)
    for control in (*controls, *race.checkboxes.values()):
        assert any(control is w for w in shown)


def test_race_surfaces_have_rates_and_share_the_bowls_curvatures():
    surfaces = race_surfaces()
    aligned, rotated = surfaces["axis-aligned bowl"], surfaces["rotated bowl"]
    np.testing.assert_allclose(aligned.eigenvalues, rotated.eigenvalues)
    assert np.count_nonzero(aligned.hessian - np.diag(np.diag(aligned.hessian))) == 0
    assert all(1e-4 <= s.lr <= 1 for s in surfaces.values())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"surface": "everest"}, "surface must be one of"),
        ({"optimizers": ("sgd", "lion")}, "unknown optimizers"),
        ({"lr": 5.0}, "lr must lie between"),
        ({"steps": 5}, "steps must be between"),
        ({"surfaces": {"line": double_well()}, "surface": "line"}, "2-D"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OptimizerRace(**kwargs)
