"""companion.widgets.momentum: the (η, β) explorer, driven the way a reader drives it.

Each test sets a slider's value — which fires the same callback a slider in the browser
fires — and checks what the artists and the readout show afterwards.
"""

from __future__ import annotations

import base64

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.optim import SGD, minimize, momentum_rate, optimal_momentum  # noqa: E402
from companion.optim.analysis import rate_map  # noqa: E402
from companion.widgets import MomentumExplorer, momentum_explorer  # noqa: E402


@pytest.fixture(scope="module")
def explorer() -> MomentumExplorer:
    return momentum_explorer()


@pytest.fixture(autouse=True)
def _reset(explorer):
    yield
    explorer.nesterov.value = False
    lr, beta, _ = optimal_momentum(explorer.bowl.mu, explorer.bowl.L)
    explorer.lr.value, explorer.momentum.value = lr, beta


def drawn_path(explorer: MomentumExplorer) -> np.ndarray:
    return np.asarray(explorer.path_line.get_xydata())


def assert_nothing_shown_is_nan(explorer: MomentumExplorer) -> None:
    for artist in (explorer.path_line, explorer.end_marker, explorer.map_marker):
        assert np.all(np.isfinite(np.asarray(artist.get_xydata(), dtype=float)))
    assert "nan" not in explorer.readout.value.lower()


def test_default_is_polyaks_best_setting_on_a_bowl_with_kappa_50(explorer):
    bowl = explorer.bowl
    assert bowl.condition_number == pytest.approx(50.0)
    lr, beta, rate = optimal_momentum(bowl.mu, bowl.L)
    # the sliders sit on their step grid (what a page shows): within half a log-step of η*
    assert explorer.lr.value == pytest.approx(lr, rel=1e-3)
    assert explorer.momentum.value == pytest.approx(beta, abs=3e-3)
    assert explorer.result.converged
    assert explorer.rate == pytest.approx(rate, abs=0.01)
    np.testing.assert_allclose(explorer.best_marker.get_xydata()[0], [lr, beta])
    for words in ("rate ρ(η, β)", "predicted steps", "slowest direction", "converged"):
        assert words in explorer.readout.value
    assert_nothing_shown_is_nan(explorer)


def test_moving_the_sliders_reruns_momentum_and_moves_the_marker(explorer):
    explorer.lr.value, explorer.momentum.value = 0.5, 0.8
    expected = minimize(
        explorer.bowl.f,
        explorer.bowl.grad,
        explorer.bowl.start,
        lambda p: SGD(p, lr=explorer.lr.value, momentum=0.8),
        explorer.steps,
        tol=1e-8,
    )
    np.testing.assert_allclose(drawn_path(explorer), expected.path)
    np.testing.assert_allclose(explorer.map_marker.get_xydata()[0], [explorer.lr.value, 0.8])
    assert explorer.rate == pytest.approx(
        momentum_rate(explorer.bowl.eigenvalues, explorer.lr.value, 0.8)
    )
    assert "β = 0.800" in explorer._path_title.get_text()


def test_the_damping_of_the_slowest_direction_is_named(explorer):
    mu = explorer.bowl.mu
    explorer.lr.value = 1.0
    critical = (1 - np.sqrt(explorer.lr.value * mu)) ** 2  # a double root for the mu mode
    explorer.momentum.value = 0.2
    assert "over-damped" in explorer.readout.value
    explorer.momentum.value = 0.95
    assert "under-damped" in explorer.readout.value
    explorer.momentum.value = round(critical / 0.005) * 0.005
    assert "critically damped" in explorer.readout.value


def test_too_much_momentum_is_slow_and_too_large_a_rate_diverges_without_nan(explorer):
    explorer.lr.value, explorer.momentum.value = 1.0, 0.99
    assert explorer.rate == pytest.approx(np.sqrt(0.99), abs=1e-9)  # every mode spirals
    assert not explorer.result.converged
    explorer.lr.value, explorer.momentum.value = 3.9, 0.9  # beyond 2(1 + β)/L = 3.8
    assert explorer.result.status == "diverged" and explorer.rate > 1
    text = explorer.readout.value
    assert "Diverged" in text and "stable only for η &lt; 3.800" in text
    assert "diverged" in explorer._path_title.get_text()
    assert_nothing_shown_is_nan(explorer)
    explorer.lr.value = 1.0
    assert "Diverged" not in explorer.readout.value


def test_nesterov_swaps_the_map_and_its_stability_limit(explorer):
    heavy = np.asarray(explorer.map_mesh.get_array()).copy()
    boundary = explorer.boundary_line.get_xydata().copy()
    explorer.nesterov.value = True
    assert not np.array_equal(np.asarray(explorer.map_mesh.get_array()), heavy)
    assert not np.array_equal(explorer.boundary_line.get_xydata(), boundary)
    assert "Nesterov" in explorer._map_title.get_text()
    explorer.lr.value, explorer.momentum.value = 1.5, 0.9
    limit = 2 * 1.9 / 2.8  # the Nesterov bound 2(1 + β) / ((1 + 2β) L)
    assert explorer.result.diverged and f"η &lt; {limit:.3f}" in explorer.readout.value
    explorer.momentum.value = 0.0
    assert "plain gradient descent" in explorer.readout.value
    assert not explorer.result.diverged or explorer.lr.value > 2


def test_the_map_is_the_closed_form_rate_and_the_boundary_is_rho_one(explorer):
    rho = explorer.maps[False]
    assert rho.shape == (explorer.map_momenta.size, explorer.map_lrs.size)
    i, j = 37, 101
    assert rho[i, j] == pytest.approx(
        momentum_rate(explorer.bowl.eigenvalues, explorer.map_lrs[j], explorer.map_momenta[i])
    )
    # the boundary rho = 1 is, for heavy ball, eta = 2 (1 + beta) / L (within a grid cell)
    xs, ys = explorer.boundary_line.get_data()
    cell = explorer.map_lrs[1] / explorer.map_lrs[0]
    np.testing.assert_allclose(xs, 2 * (1 + np.asarray(ys)) / explorer.bowl.L, rtol=cell - 1)
    assert rate_map([1.0], np.array([1.0]), np.array([0.0])).shape == (1, 1)


def test_callbacks_reuse_the_one_figure_and_the_background_until_the_map_changes(explorer):
    figure, path_line, mesh = explorer.figure, explorer.path_line, explorer.map_mesh
    counts = [(len(ax.lines), len(ax.collections)) for ax in figure.axes]
    before = plt.get_fignums()
    explorer.render()
    background = explorer._background
    explorer.lr.value, explorer.momentum.value = 0.7, 0.6
    assert explorer._background is background
    explorer.nesterov.value = True  # the map is static: a new background
    assert explorer._background is not background
    assert plt.get_fignums() == before
    assert explorer.figure is figure and explorer.path_line is path_line
    assert explorer.map_mesh is mesh
    assert [(len(ax.lines), len(ax.collections)) for ax in figure.axes] == counts


def test_the_output_shows_the_rendered_figure_and_it_changes(explorer):
    first = explorer.render()
    explorer.momentum.value = 0.3
    second = explorer.render()
    assert first != second and second[:8] == b"\x89PNG\r\n\x1a\n"
    shown = explorer.output.outputs[0]["data"]["image/png"]
    assert base64.b64decode(shown)[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_corner_of_the_sliders_renders_without_nan(explorer):
    for lr in (10**explorer.lr.min, 1.0, 10**explorer.lr.max):
        for beta in (0.0, 0.5, explorer.momentum.max):
            for nesterov in (False, True):
                explorer.lr.value, explorer.momentum.value = 10 ** np.log10(lr), beta
                explorer.nesterov.value = nesterov
                assert_nothing_shown_is_nan(explorer)
    assert explorer.render()[:4] == b"\x89PNG"


def test_the_widget_holds_every_control(explorer):
    def descendants(box):
        for child in getattr(box, "children", ()):
            yield child
            yield from descendants(child)

    shown = list(descendants(explorer.widget))
    for control in (explorer.lr, explorer.momentum, explorer.nesterov, explorer.readout):
        assert any(control is w for w in shown)
    bundle = explorer._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 100.0}, "lr must lie between"),
        ({"momentum": 1.0}, "momentum must lie between"),
        ({"steps": 0}, "steps must be between"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MomentumExplorer(**kwargs)
