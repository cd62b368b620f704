"""companion.widgets.frames: every explorer's online frames, driven without a kernel.

Each explorer is built small, turned into its online panel (nested stacks of frames and the
controls linked to them), and a few frames are checked against a *live* explorer moved to the
same setting: the same readout, the same alt text, the same picture.
"""

from __future__ import annotations

import base64
import math
import re

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import pytest  # noqa: E402

import companion.widgets.minibatch as minibatch_module  # noqa: E402
import companion.widgets.momentum as momentum_module  # noqa: E402
from companion.gradient_flow import gradient_norm_table  # noqa: E402
from companion.surfaces import gallery  # noqa: E402
from companion.widgets import (  # noqa: E402
    DescentExplorer,
    GradientNormExplorer,
    MinibatchExplorer,
    MomentumExplorer,
    OptimizerRace,
    SecantExplorer,
    race_surfaces,
)
from companion.widgets.base import live_kernel  # noqa: E402
from companion.widgets.frames import _nearest, frame_settings  # noqa: E402

SMALL_TABLE = gradient_norm_table(depths=[2, 3, 4])


def small_surfaces(make, names):
    surfaces = make()
    return {name: surfaces[name] for name in names}


#: Small versions of the six explorers (fast to render), by chapter.
MAKERS = {
    "secant": lambda: SecantExplorer(h_range=(1e-3, 1.0), steps_per_decade=2),
    "descent": lambda: DescentExplorer(
        surfaces=small_surfaces(gallery, ["quadratic bowl", "saddle"]), steps=60
    ),
    "gradient norms": lambda: GradientNormExplorer(norms=SMALL_TABLE, depth=3),
    "minibatch": lambda: MinibatchExplorer(epochs=1),
    "momentum": lambda: MomentumExplorer(map_size=(30, 30), steps=80),
    "race": lambda: OptimizerRace(
        surfaces=small_surfaces(race_surfaces, ["rotated bowl"]), steps=60
    ),
}


@pytest.fixture(scope="module", autouse=True)
def fewer_online_values():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(minibatch_module, "ONLINE_LRS", (0.1, 3.0))
        patch.setattr(minibatch_module, "ONLINE_EPOCHS", (1, 2))
        patch.setattr(momentum_module, "ONLINE_LRS", (1.0, 3.9))
        patch.setattr(momentum_module, "ONLINE_MOMENTA", (0.0, 0.9))
        yield


_BUILT: dict = {}


def built(name: str):
    """A small explorer of each kind and its online panel, built once for all tests."""
    if name not in _BUILT:
        explorer = MAKERS[name]()
        _BUILT[name] = explorer, explorer.online()
    return _BUILT[name]


def leaf(panel: widgets.VBox, explorer, settings: dict) -> widgets.VBox:
    """The frame the online panel shows for ``settings`` (following the stacks down)."""
    node = panel.children[-1]
    chosen: dict = {}
    for axis in explorer.online_axes():
        values = axis.values_for(chosen)
        index = values.index(settings[axis.name])
        assert isinstance(node, widgets.Stack)
        node = node.children[index]
        chosen[axis.name] = settings[axis.name]
    return node


def picture(frame: widgets.VBox) -> list[widgets.Widget]:
    return list(frame.children[1].children)


def png_of(image: widgets.HTML) -> bytes:
    return base64.b64decode(re.search(r'base64,([^"]+)"', image.value).group(1))


def alt_of(image: widgets.HTML) -> str:
    import html

    return html.unescape(re.search(r'alt="([^"]*)"', image.value).group(1))


@pytest.mark.parametrize("name", list(MAKERS))
def test_online_panel_has_one_frame_per_setting_and_every_control_linked(name):
    explorer, panel = built(name)
    settings = frame_settings(explorer)
    assert panel.frames == len(settings) > 1
    linked = {id(link.target[0]) for link in panel.links}
    stacks = []

    def walk(node, depth):
        if depth == len(explorer.online_axes()):
            return
        assert isinstance(node, widgets.Stack)
        stacks.append(node)
        for child in node.children:
            walk(child, depth + 1)

    walk(panel.children[-1], 0)
    assert stacks and all(id(stack) in linked for stack in stacks), "a stack no control moves"


@pytest.mark.parametrize("name", list(MAKERS))
def test_frames_match_the_live_explorer_at_the_same_setting(name):
    explorer, panel = built(name)
    settings = frame_settings(explorer)
    live = MAKERS[name]()
    layers = [layer.name for layer in live.online_layers()]
    for chosen in (settings[0], settings[len(settings) // 2], settings[-1]):
        for axis in live.online_axes():  # move the live controls as a reader would
            axis.set(live, chosen[axis.name])
        for layer in live.online_layers():
            layer.set(True)
        frame = leaf(panel, explorer, chosen)
        readouts = frame.children[0].children
        assert readouts[0].value == live.frame_readout()
        images = picture(frame)
        assert alt_of(images[1]) == live.describe()
        background, overlays = live.render_layers(
            [
                a
                for a in live._moving
                if all(a not in layer.artists() for layer in live.online_layers())
            ],
            *(layer.artists() for layer in live.online_layers()),
        )
        assert png_of(images[0]) == background
        assert png_of(images[1]) == overlays[0]
        for i in range(len(layers)):  # each racer's layer and its line of the readout
            toggled = images[2 + i]
            assert png_of(toggled.children[1]) == overlays[1 + i]
            assert readouts[1 + i].children[1].value == live.online_layers()[i].readout()


def test_frames_differ_when_a_control_changes():
    explorer, panel = built("secant")
    settings = frame_settings(explorer)
    shown = {
        (
            png_of(picture(leaf(panel, explorer, s))[1]),
            leaf(panel, explorer, s).children[0].children[0].value,
        )
        for s in settings
    }
    assert len(shown) == len(settings)  # every setting shows its own picture and readout


def test_controls_that_cannot_go_online_are_shown_disabled_with_a_note():
    _, panel = built("descent")
    disabled = [w for w in panel.children[1].children if getattr(w, "disabled", False)]
    assert [w.description for w in disabled] == ["steps"]
    assert "step budget" in panel.children[2].value


def test_every_saved_stack_shows_the_frame_of_the_live_default():
    """The page draws the saved state before its links run: each stack must already show
    the frame the controls select."""
    for name in MAKERS:
        explorer, panel = built(name)
        live = MAKERS[name]()
        chosen: dict = {}
        for axis in explorer.online_axes():  # the online value nearest to the live one
            values = axis.values_for(chosen)
            chosen[axis.name] = values[_nearest(values, axis.live_value(live))]
        frame = leaf(panel, explorer, chosen)
        node = panel.children[-1]
        while isinstance(node, widgets.Stack):
            node = node.children[node.selected_index]
        assert node is frame, name


def test_the_online_default_is_the_live_default():
    explorer, panel = built("momentum")
    controls = panel.children[0].children
    lr, momentum = explorer.online_axes()[:2]
    assert math.isclose(lr.values_for({})[controls[0].index], explorer.lr.value)
    assert math.isclose(momentum.values_for({})[controls[1].index], explorer.momentum.value)


def test_outside_a_kernel_explorers_show_frames_unless_told(monkeypatch):
    monkeypatch.delenv("COMPANION_EXPLORERS", raising=False)
    assert not live_kernel()
    monkeypatch.setenv("COMPANION_EXPLORERS", "live")
    assert live_kernel()
