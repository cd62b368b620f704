"""companion.widgets.minibatch: the Chapter 4 explorer, driven the way a reader drives it.

Each test sets a control's value — which fires the same callback a slider in the browser
fires — and checks what the artists and the readout show afterwards.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.data import linear_regression  # noqa: E402
from companion.training import minibatch_sgd  # noqa: E402
from companion.widgets import MinibatchExplorer, minibatch_explorer  # noqa: E402


@pytest.fixture
def explorer() -> MinibatchExplorer:
    return minibatch_explorer()


def drawn(line) -> np.ndarray:
    return np.asarray(line.get_xydata(), dtype=float)


def assert_nothing_shown_is_nan(explorer: MinibatchExplorer) -> None:
    for line in (explorer.sgd_path, explorer.gd_path, explorer.sgd_loss, explorer.gd_loss):
        assert np.all(np.isfinite(drawn(line)))
    assert "nan" not in explorer.readout.value.lower()


def test_default_shows_the_minibatch_path_the_training_module_computes(explorer):
    data = explorer.data
    expected = minibatch_sgd(data.gradient, data.surface.start, data.X, data.y, 0.1, 16, 5, seed=0)
    np.testing.assert_allclose(drawn(explorer.sgd_path), expected.path)
    assert explorer.run.steps == 5 * 256 // 16
    assert len(drawn(explorer.gd_path)) == 6  # full batch: one step per epoch
    for words in ("steps per epoch", "steps taken", "final J − J*", "gradient noise"):
        assert words in explorer.readout.value
    assert explorer.png[:8] == b"\x89PNG\r\n\x1a\n"
    assert_nothing_shown_is_nan(explorer)


def test_the_loss_curve_is_plotted_against_epochs_on_a_log_scale(explorer):
    epochs, gap = explorer.sgd_loss.get_data()
    np.testing.assert_allclose(epochs[[0, 16, -1]], [0, 1, 5])
    surface = explorer.data.surface
    np.testing.assert_allclose(gap[:3], surface.f(explorer.run.path[:3]) - surface.min_value)
    assert explorer.ax_loss.get_yscale() == "log"
    low, high = explorer.ax_loss.get_ylim()
    assert low <= gap.min() and gap.max() <= high


def test_a_smaller_batch_takes_more_steps_per_epoch_and_a_noisier_path(explorer):
    explorer.lr.value = 0.3
    explorer.batch_size.value = 128
    calm = explorer.run
    explorer.batch_size.value = 2
    noisy = explorer.run
    assert noisy.steps == 64 * calm.steps
    assert "steps per epoch</td><td><code>128" in explorer.readout.value

    # around the optimum, the small batch keeps jittering: its last epoch's spread is larger
    def last_epoch_spread(run):
        return float(np.linalg.norm(run.path[-run.steps_per_epoch :].std(axis=0)))

    assert last_epoch_spread(noisy) > 3 * last_epoch_spread(calm)


def test_the_noise_readout_falls_like_one_over_b(explorer):
    def readout_noise():
        text = explorer.readout.value.split("gradient noise")[1]
        return float(text.split("<code>")[1].split(" ")[0])

    explorer.batch_size.value = 4
    at_4 = readout_noise()
    explorer.batch_size.value = 64
    at_64 = readout_noise()
    assert at_4 / at_64 == pytest.approx(16 * (256 - 4) / (256 - 64), rel=0.01)


def test_a_partial_last_batch_is_mentioned():
    data = linear_regression(n=100, seed=0)
    explorer = MinibatchExplorer(data=data, batch_size=32)
    assert "4 (the last has 4 examples)" in explorer.readout.value
    assert explorer.run.steps == 5 * 4


def test_changing_the_seed_reshuffles_and_epochs_lengthen_the_run(explorer):
    before = drawn(explorer.sgd_path).copy()
    explorer.seed.value = 7
    assert not np.array_equal(drawn(explorer.sgd_path), before)
    np.testing.assert_allclose(drawn(explorer.sgd_path)[0], before[0])  # same start
    explorer.epochs.value = 12
    assert explorer.run.steps == 12 * 16
    assert explorer.ax_loss.get_xlim() == (0, 12)


def test_a_divergent_learning_rate_is_flagged_not_drawn_as_nan(explorer):
    explorer.lr.value = 2.5
    assert explorer.run.diverged
    text = explorer.readout.value
    assert "Diverged" in text and "2/L" in text
    assert "diverged" in explorer._loss_title.get_text()
    assert drawn(explorer.diverged_marker).shape == (1, 2)
    assert_nothing_shown_is_nan(explorer)
    explorer.lr.value = 0.05  # and back: the warning goes away
    assert "Diverged" not in explorer.readout.value
    assert drawn(explorer.diverged_marker).shape == (0, 2)


def test_every_batch_size_and_extreme_rate_renders_without_nan(explorer):
    for B in explorer.batch_size.options:
        explorer.batch_size.value = B
        for lr in (10**explorer.lr.min, 0.5, 10**explorer.lr.max):
            explorer.lr.value = lr
            assert_nothing_shown_is_nan(explorer)
            assert explorer.png[:8] == b"\x89PNG\r\n\x1a\n"


def test_callbacks_reuse_the_one_figure_and_its_artists(explorer):
    figure, path, loss = explorer.figure, explorer.sgd_path, explorer.sgd_loss
    counts = [(len(ax.lines), len(ax.collections)) for ax in figure.axes]
    before = plt.get_fignums()
    for B, lr in ((1, 0.02), (64, 0.8), (256, 1.0), (8, 0.1)):
        explorer.batch_size.value = B
        explorer.lr.value = lr
    assert plt.get_fignums() == before
    assert explorer.figure is figure and explorer.sgd_path is path and explorer.sgd_loss is loss
    assert [(len(ax.lines), len(ax.collections)) for ax in figure.axes] == counts


def test_the_output_area_shows_the_rendered_figure(explorer):
    explorer.batch_size.value = 32
    (shown,) = explorer.output.outputs
    assert shown["output_type"] == "display_data" and "image/png" in shown["data"]
    assert 'alt="Left: contours' in shown["data"]["text/html"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 3}, "batch_size must be one of"),
        ({"lr": 10.0}, "lr must lie"),
        ({"epochs": 0}, "epochs"),
        ({"seed": 99}, "seed"),
        ({"data": linear_regression(n=50, theta_true=(1.0, 2.0, 3.0))}, "2 features"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MinibatchExplorer(**kwargs)
