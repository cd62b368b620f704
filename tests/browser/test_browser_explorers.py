"""The explorers of the online book, driven in headless Chromium with no kernel behind them.

Every chapter's explorer is shown online as frames rendered at build time, in nested stacks
that its controls switch in the browser (companion.widgets.frames). For every explorer on every
page, these tests move each enabled control and check that the picture and the readout change,
and that what is shown is exactly the frame the build computed for the controls' new setting:
the saved widget state says which stack each control switches, so following the controls'
shown values down the stacks gives the frame that must be on screen. The page must stay clean
(no console error, no HTTP error, nothing fetched off 127.0.0.1) and no part of an explorer
may stick out of the text column, on a desktop and on a phone.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from _browser_site import HTML, html_to_text, normalise_text, widget_pages

_STATE = re.compile(
    r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S
)
_SRC = re.compile(r'src="([^"]+)"')
_REF = "IPY_MODEL_"


def explorer_pages() -> list[str]:
    return [p for p in widget_pages() if "explorer-online" in (HTML / p).read_text("utf-8")]


PAGES = explorer_pages()

# What the page shows of each online explorer: its visible controls (model id, shown label),
# the images of the visible frame, the visible readout, and anything past the text column.
READ_JS = """() => {
  const column = document.querySelector('article.bd-article') || document.querySelector('main');
  const right = column.getBoundingClientRect().right;
  const visible = (e) => e.offsetParent !== null;
  return [...document.querySelectorAll('.explorer-online')].map((panel) => {
    const controls = [...panel.querySelectorAll('.explorer-control')].filter(visible).map((c) => {
      const id = [...c.classList].find((k) => k.startsWith('explorer-model-')).slice(15);
      const select = c.querySelector('select');
      const active = c.querySelector('.mod-active');
      const readout = c.querySelector('.widget-readout');
      let label = null;
      if (select) label = select.options[select.selectedIndex].text;
      else if (c.classList.contains('widget-toggle-buttons')) label = active && active.textContent;
      else if (readout) label = readout.textContent;
      const kind = select ? 'dropdown' : c.classList.contains('widget-toggle-buttons') ?
        'buttons' : 'slider';
      // a dropdown shows spaces as no-break spaces
      return {id, label: label && label.replace(/\u00a0/g, ' ').trim(), kind};
    });
    const images = [...panel.querySelectorAll('.explorer-picture img')].filter(visible)
      .map((i) => i.getAttribute('src'));
    const alts = [...panel.querySelectorAll('.explorer-picture img')].filter(visible)
      .map((i) => i.alt);
    const readout = [...panel.querySelectorAll('.explorer-readout')].filter(visible)
      .map((r) => r.innerText).join(' ');
    const past = [...panel.querySelectorAll('*')].filter(visible)
      .filter((e) => e.getBoundingClientRect().right > right + 1)
      .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ends at ` +
                  `${Math.round(e.getBoundingClientRect().right)} px`);
    return {controls, images, alts, readout, past: past.slice(0, 5), column: right};
  });
}"""


class SavedExplorers:
    """The widget state a page saved, read the way the page's widget manager reads it."""

    def __init__(self, page: str) -> None:
        match = _STATE.search((HTML / page).read_text("utf-8"))
        assert match, f"{page} saves no widget state"
        self.models = {k: v["state"] for k, v in json.loads(match.group(1))["state"].items()}
        self.names = {k: v["model_name"] for k, v in json.loads(match.group(1))["state"].items()}
        # which control switches which stack (jslink: source control -> target stack)
        self.switch = {}
        for model_id, name in self.names.items():
            if name == "LinkModel":
                state = self.models[model_id]
                self.switch[_id(state["target"][0])] = _id(state["source"][0])

    def panel_of(self, control_id: str) -> str:
        for model_id, state in self.models.items():
            if "explorer-online" in state.get("_dom_classes", ()):
                if control_id in self.descendants(model_id):
                    return model_id
        raise AssertionError(f"no saved explorer holds control {control_id}")

    def descendants(self, model_id: str) -> set[str]:
        found, todo = set(), [model_id]
        while todo:
            current = todo.pop()
            found.add(current)
            todo += [_id(c) for c in self.models[current].get("children", ())]
        return found

    def resolve(self, model_id: str, labels: dict[str, str]) -> str:
        """Follow stacks down by the label their control shows."""
        while self.names[model_id] == "StackModel":
            control = self.switch[model_id]
            options = self.models[control]["_options_labels"]
            assert control in labels, f"stack {model_id} is switched by a control not on screen"
            index = options.index(labels[control])
            model_id = _id(self.models[model_id]["children"][index])
        return model_id

    def expected(self, panel: str, labels: dict[str, str]) -> tuple[list[str], str]:
        """The images and the readout text of the frame the controls select."""
        tree = _id(self.models[panel]["children"][-1])
        frame = self.models[self.resolve(tree, labels)]["children"]
        readout, picture = (_id(c) for c in frame)
        images = []
        for child in self.models[picture]["children"]:
            shown = self.models[self.resolve(_id(child), labels)]
            images += _SRC.findall(shown.get("value", ""))
        text = " ".join(
            html_to_text(self.models[self.resolve(_id(c), labels)].get("value", ""))
            for c in self.models[readout]["children"]
        )
        return images, text


def _id(ref: str) -> str:
    return ref[len(_REF) :] if ref.startswith(_REF) else ref


def _check_frame(saved: SavedExplorers, shown: dict[str, Any], where: str) -> None:
    labels = {c["id"]: c["label"] for c in shown["controls"]}
    panel = saved.panel_of(shown["controls"][0]["id"])
    images, text = saved.expected(panel, labels)
    assert shown["images"] == images, f"{where}: the picture is not the frame of {labels}"
    assert normalise_text(shown["readout"]) == normalise_text(text), (
        f"{where}: the readout is not the frame's: {shown['readout'][:200]!r}"
    )
    assert all(alt.strip() for alt in shown["alts"]), f"{where}: an image has no alt text"


def _move(page: Any, control: dict[str, Any], options: list[str]) -> str:
    """Change one control as a reader would; returns the label it should show then."""
    element = page.locator(f".explorer-model-{control['id']}")
    index = options.index(control["label"])
    target = index + 1 if index + 1 < len(options) else index - 1
    if control["kind"] == "buttons":
        element.locator("button").nth(target).click()
    elif control["kind"] == "dropdown":
        element.locator("select").select_option(index=target)
    else:
        handle = element.locator(".noUi-handle")
        handle.focus()
        handle.press("ArrowRight" if target > index else "ArrowLeft")
    return options[target]


def _settle(page: Any, number: int, control: str, label: str, images: list[str]) -> dict:
    """What the explorer shows once the moved control shows ``label`` and the picture has
    changed (or after two seconds)."""
    for _ in range(40):
        shown = page.evaluate(READ_JS)[number]
        labels = {c["id"]: c["label"] for c in shown["controls"]}
        if labels.get(control) == label and shown["images"] != images:
            break
        page.wait_for_timeout(50)
    return shown


@pytest.mark.parametrize("page", PAGES)
def test_every_control_of_every_explorer_switches_to_its_frame(visit, page: str) -> None:
    saved = SavedExplorers(page)
    opened = visit(page, "desktop")
    try:
        assert not opened.problems(), f"{page}: " + "; ".join(opened.problems())
        panels = opened.page.evaluate(READ_JS)
        assert panels, f"{page}: no online explorer on the page"
        for number in range(len(panels)):
            # by position: moving a surface swaps in the controls that depend on it
            for position in range(len(panels[number]["controls"])):
                before = opened.page.evaluate(READ_JS)[number]
                control = before["controls"][position]
                where = f"{page}, explorer {number + 1}, control {control['id']}"
                _check_frame(saved, before, where)
                options = saved.models[control["id"]]["_options_labels"]
                label = _move(opened.page, control, options)
                after = _settle(opened.page, number, control["id"], label, before["images"])
                now = {c["id"]: c["label"] for c in after["controls"]}
                assert now.get(control["id"]) == label, f"{where}: the control did not move"
                assert after["images"] != before["images"], f"{where}: the picture did not change"
                assert after["readout"] != before["readout"], f"{where}: the readout did not change"
                _check_frame(saved, after, where)
        assert not opened.problems(), f"{page}: " + "; ".join(opened.problems())
    finally:
        opened.close()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_no_explorer_sticks_out_of_the_text_column(visit, page: str, viewport: str) -> None:
    opened = visit(page, viewport)
    try:
        for number, panel in enumerate(opened.page.evaluate(READ_JS), start=1):
            assert not panel["past"], (
                f"{page} ({viewport}), explorer {number}: past the column at "
                f"{panel['column']:.0f} px: {panel['past']}"
            )
    finally:
        opened.close()
