"""Explorers without a kernel: frames rendered at build time, switched in the browser.

The online book has no Python behind it. So when a chapter is executed to build the book, an
explorer renders one *frame* for every combination of the values its controls offer online,
with its own ``update()`` — the code a kernel runs — and puts the frames in nested
``ipywidgets.Stack`` containers. Each online control is linked in the browser (``jslink``) to the
``selected_index`` of the stacks of its level, so moving it shows another frame at once. The
page's widget manager draws only the selected child of a stack.

A frame is small because it is layered: the static part of the figure (axes, contours, maps)
is one opaque image, shared by every frame that has the same; what moves is a transparent
image on top of it. Independent toggles (the race's optimizers) are one more transparent
layer each, switched on and off by their own control, so ``n`` toggles cost ``n`` layers, not
``2**n`` frames. The readout of a frame is the HTML the kernel would show.

An explorer declares its online controls with :meth:`~companion.widgets.base.Explorer.online_axes`
(a list of :class:`Axis`), its toggles with
:meth:`~companion.widgets.base.Explorer.online_layers` (a list of :class:`Layer`), and the
controls it cannot serve online with
:meth:`~companion.widgets.base.Explorer.offline_notes`: those are shown disabled, with a note.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
from matplotlib.artist import Artist

from .base import ROW_LAYOUT, SLIDER_LAYOUT

if TYPE_CHECKING:
    from .base import Explorer

__all__ = ["Axis", "Layer", "build_online", "frame_settings", "render_frame"]


@dataclass(frozen=True)
class Axis:
    """One control of an explorer online: the values it offers and how to set them.

    Parameters
    ----------
    name : str
        The live control's attribute (``explorer.<name>.value`` is set), or any name when
        ``apply`` and ``current`` are given.
    description : str
        The online control's label.
    values : sequence, or callable of the settings of the controls before it
        The values offered online. A callable makes the control depend on ``depends_on``
        (the chapter 2 learning rates differ per surface): each value of that control gets its
        own online control.
    label : callable, default str
        How a value is shown on the control.
    kind : {"slider", "buttons", "dropdown"}
    depends_on : str, optional
        The name of the earlier axis ``values`` depends on.
    apply : callable (explorer, value), optional
        Sets the live controls for a value; by default ``explorer.<name>.value = value``.
    current : callable (explorer) -> value, optional
        The live value, to pick the online default; by default ``explorer.<name>.value``.
    """

    name: str
    description: str
    values: Sequence[Any] | Callable[[dict[str, Any]], Sequence[Any]]
    label: Callable[[Any], str] = str
    kind: str = "slider"
    depends_on: str | None = None
    apply: Callable[[Explorer, Any], None] | None = None
    current: Callable[[Explorer], Any] | None = None

    def values_for(self, settings: dict[str, Any]) -> list[Any]:
        values = self.values(settings) if callable(self.values) else self.values
        return list(values)

    def set(self, explorer: Explorer, value: Any) -> None:
        if self.apply is not None:
            self.apply(explorer, value)
        else:
            getattr(explorer, self.name).value = value

    def live_value(self, explorer: Explorer) -> Any:
        return self.current(explorer) if self.current else getattr(explorer, self.name).value


@dataclass(frozen=True)
class Layer:
    """An overlay that is switched on and off by itself (one optimizer of the race).

    Parameters
    ----------
    name : str
        Its key.
    description : str
        The online toggle's label.
    on : bool
        Shown at first.
    set : callable (bool)
        Switches it on or off in the live explorer.
    artists : callable () -> sequence of Artist
        What it draws (moving artists of the explorer).
    readout : callable () -> str
        Its part of the readout (HTML), for the setting shown now.
    """

    name: str
    description: str
    on: bool
    set: Callable[[bool], None]
    artists: Callable[[], Sequence[Artist]]
    readout: Callable[[], str]


#: Every child of a frame's picture sits in the same grid cell: the layers overlap exactly.
_PICTURE = widgets.Layout(
    grid_template_columns="100%", grid_template_areas='"frame"', max_width="100%"
)
_CELL = widgets.Layout(grid_area="frame", max_width="100%")
_IMG_STYLE = "width:100%;height:auto;display:block"
#: What a layer switched off shows: nothing, taking no room.
_HIDDEN = widgets.Layout(display="none")


def _nearest(values: list[Any], value: Any) -> int:
    """The index of the value in ``values`` closest to ``value`` (on a log scale for
    positive numbers, Euclidean for points)."""
    if value in values:
        return values.index(value)
    try:
        v = np.asarray(values, dtype=float)
        x = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return 0
    if v.ndim == 1 and np.all(v > 0) and x > 0:
        return int(np.argmin(np.abs(np.log(v) - np.log(x))))
    distance = np.abs(v - x) if v.ndim == 1 else np.linalg.norm(v - x, axis=1)
    return int(np.argmin(distance))


def _apply(
    explorer: Explorer,
    axes: list[Axis],
    settings: dict[str, Any],
    layers: dict[str, bool] | None = None,
    all_layers: Sequence[Layer] = (),
) -> None:
    """Set the live controls to ``settings`` (in the axes' order) and the layers on or off
    (``layers`` by name), without redrawing."""
    explorer._busy = True
    try:
        for axis in axes:
            if axis.name in settings:
                axis.set(explorer, settings[axis.name])
        for layer in all_layers:
            if layers is not None and layer.name in layers:
                layer.set(layers[layer.name])
    finally:
        explorer._busy = False


def render_frame(explorer: Explorer, layers: list[Layer]) -> dict[str, Any]:
    """Update the explorer for the controls' values and render what a frame shows.

    Returns
    -------
    dict
        ``background`` and ``overlay`` (PNG bytes), ``layers`` (PNG bytes by layer name),
        ``readout`` and ``layer_readouts`` (HTML), ``alt`` (the frame's alt text).
    """
    explorer.update()
    in_layers = {id(a) for layer in layers for a in layer.artists()}
    base = [a for a in explorer._moving if id(a) not in in_layers]
    background, overlays = explorer.render_layers(base, *(layer.artists() for layer in layers))
    return {
        "background": background,
        "overlay": overlays[0],
        "layers": {layer.name: png for layer, png in zip(layers, overlays[1:], strict=True)},
        "readout": explorer.frame_readout(),
        "layer_readouts": {layer.name: layer.readout() for layer in layers},
        "alt": explorer.describe(),
    }


def frame_settings(explorer: Explorer) -> list[dict[str, Any]]:
    """Every combination of online values, in the order the frames are built."""
    axes = explorer.online_axes()
    combos: list[dict[str, Any]] = [{}]
    for axis in axes:
        combos = [{**c, axis.name: v} for c in combos for v in axis.values_for(c)]
    return combos


class _Builder:
    """Builds the nested stacks of frames and the online controls linked to them."""

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer
        self.axes = explorer.online_axes()
        self.layers = explorer.online_layers()
        self.names = [axis.name for axis in self.axes]
        # (level, prefix of indices) -> stack; and per axis, its controls by parent index
        self.stacks: list[tuple[int, tuple[int, ...], widgets.Stack]] = []
        self.defaults: dict[tuple[int, tuple[int, ...]], int] = {}
        self.options: dict[tuple[int, tuple[int, ...]], list[Any]] = {}
        self._images: dict[str, widgets.HTML] = {}
        self.links: list[widgets.Widget] = []
        self.frames = 0

    def image(self, png: bytes, alt: str) -> widgets.HTML:
        """An image widget; the same picture (a shared background) is one widget."""
        key = hashlib.sha1(png).hexdigest() + alt
        if key not in self._images:
            encoded = base64.b64encode(png).decode("ascii")
            self._images[key] = widgets.HTML(
                f'<img alt="{html.escape(alt)}" style="{_IMG_STYLE}" '
                f'src="data:image/png;base64,{encoded}"/>',
                layout=_CELL,
            )
        return self._images[key]

    def node(self, level: int, prefix: tuple[int, ...], settings: dict[str, Any]):
        if level == len(self.axes):
            return self.leaf(settings)
        axis = self.axes[level]
        values = axis.values_for(settings)
        # the default is what the live explorer shows for these settings when it starts from
        # its own first setting (not from the frame rendered last)
        _apply(self.explorer, self.axes, self.start)
        _apply(self.explorer, self.axes, settings)
        default = _nearest(values, axis.live_value(self.explorer))
        self.defaults[level, prefix] = default
        self.options[level, prefix] = values
        children = [
            self.node(level + 1, (*prefix, i), {**settings, axis.name: v})
            for i, v in enumerate(values)
        ]
        stack = widgets.Stack(children, selected_index=default)
        self.stacks.append((level, prefix, stack))
        return stack

    def leaf(self, settings: dict[str, Any]) -> widgets.Widget:
        explorer = self.explorer
        # every layer is drawn; the reader switches them
        _apply(
            explorer, self.axes, settings, {layer.name: True for layer in self.layers}, self.layers
        )
        frame = render_frame(explorer, self.layers)
        self.frames += 1
        picture = [
            self.image(frame["background"], explorer.ALT),
            self.image(frame["overlay"], frame["alt"]),
        ]
        readouts: list[widgets.Widget] = [widgets.HTML(frame["readout"])]
        for layer in self.layers:
            image = self.image(frame["layers"][layer.name], f"{layer.description}: shown")
            picture.append(self.toggled(layer, image, _CELL))
            line = widgets.HTML(frame["layer_readouts"][layer.name])
            readouts.append(self.toggled(layer, line, None))
        return widgets.VBox(
            [
                widgets.VBox(readouts).add_class("explorer-readout"),
                widgets.GridBox(picture, layout=_PICTURE).add_class("explorer-picture"),
            ]
        )

    def toggled(self, layer: Layer, child: widgets.Widget, layout) -> widgets.Stack:
        stack = widgets.Stack(
            [widgets.HTML(layout=_HIDDEN), child], selected_index=int(layer.on), layout=layout or {}
        )
        self.layer_stacks.setdefault(layer.name, []).append(stack)
        return stack

    def _link(self, source: tuple, target: tuple) -> None:
        self.links.append(widgets.jslink(source, target))

    def control(self, axis: Axis, values: list[Any], index: int) -> widgets.Widget:
        labels = [axis.label(v) for v in values]
        common = {"description": axis.description, "style": {"description_width": "initial"}}
        if axis.kind == "buttons":
            control = widgets.ToggleButtons(options=labels, index=index, **common)
        elif axis.kind == "dropdown":
            control = widgets.Dropdown(options=labels, index=index, **common)
        else:
            control = widgets.SelectionSlider(
                options=labels, index=index, continuous_update=True, layout=SLIDER_LAYOUT, **common
            )
        return _marked(control)

    def build(self) -> widgets.VBox:
        explorer = self.explorer
        self.layer_stacks: dict[str, list[widgets.Stack]] = {}
        start = self.start = {axis.name: axis.live_value(explorer) for axis in self.axes}
        tree = self.node(0, (), {})
        controls: list[widgets.Widget] = []
        for level, axis in enumerate(self.axes):
            if axis.depends_on is None:
                # one control for every stack of this level
                prefix = next(p for (lv, p) in self.defaults if lv == level)
                control = self.control(
                    axis, self.options[level, prefix], self.defaults[level, prefix]
                )
                for lv, _, stack in self.stacks:
                    if lv == level:
                        self._link((control, "index"), (stack, "selected_index"))
                controls.append(control)
                continue
            # one control per value of the axis it depends on, in a stack switched by that one
            parent = self.names.index(axis.depends_on)
            variants = {}
            for (lv, prefix), values in self.options.items():
                if lv == level:
                    key = prefix[parent]
                    if key not in variants:
                        variants[key] = self.control(axis, values, self.defaults[lv, prefix])
            for lv, prefix, stack in self.stacks:
                if lv == level:
                    self._link((variants[prefix[parent]], "index"), (stack, "selected_index"))
            if self.axes[parent].depends_on is not None:
                raise ValueError(f"{axis.name} may depend only on a control of its own")
            choice = widgets.Stack(
                [variants[i] for i in sorted(variants)],
                selected_index=controls[parent].index,
                layout=widgets.Layout(max_width="100%"),
            )
            self._link((controls[parent], "index"), (choice, "selected_index"))
            controls.append(choice)
        toggles = []
        for layer in self.layers:
            toggle = widgets.ToggleButtons(
                options=["off", "on"],
                index=int(layer.on),
                description=layer.description,
                style={"description_width": "initial", "button_width": "3.2em"},
                layout=widgets.Layout(margin="0 1.5em 0 0"),
            )
            _marked(toggle)
            for stack in self.layer_stacks[layer.name]:
                self._link((toggle, "index"), (stack, "selected_index"))
            toggles.append(toggle)
        notes = explorer.offline_notes()
        disabled = []
        for name in notes:
            live = getattr(explorer, name)
            copy = type(live)(**{k: getattr(live, k) for k in _COPIED if hasattr(live, k)})
            copy.disabled = True
            disabled.append(copy)
        parts: list[widgets.Widget] = [row(*controls)]
        if toggles:
            parts.append(row(*toggles))
        if disabled:
            parts.append(row(*disabled))
            parts.append(
                widgets.HTML(
                    "<p style='margin:0;font-size:90%'>"
                    + " ".join(html.escape(note) for note in notes.values())
                    + "</p>"
                )
            )
        parts.append(tree)
        # leave the live explorer as it was, and its (undisplayed) figure out of the page
        _apply(
            explorer, self.axes, start, {layer.name: layer.on for layer in self.layers}, self.layers
        )
        explorer.update()
        explorer.output.outputs = ()
        panel = widgets.VBox(parts, layout=widgets.Layout(max_width="100%"))
        return panel.add_class("explorer-online")


def _marked(control: widgets.Widget) -> widgets.Widget:
    """Mark an online control in the page (tests find it, and its model, by these classes)."""
    return control.add_class("explorer-control").add_class(f"explorer-model-{control.model_id}")


def row(*children: widgets.Widget) -> widgets.HBox:
    return widgets.HBox(list(children), layout=ROW_LAYOUT)


#: What a disabled copy of a live control keeps.
_COPIED = ("value", "min", "max", "step", "base", "description", "readout_format", "options")


def build_online(explorer: Explorer) -> widgets.VBox:
    """The explorer as nested stacks of prerendered frames with linked online controls.

    The returned panel's ``frames`` attribute counts the frames rendered; ``links`` holds the
    browser-side links from the controls to the stacks.
    """
    builder = _Builder(explorer)
    panel = builder.build()
    panel.frames, panel.links = builder.frames, builder.links
    return panel
