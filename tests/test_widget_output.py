"""companion.widgets.base: an explorer shows its figure by setting an Output's state."""

from __future__ import annotations

import base64
import re

import ipywidgets as widgets
import pytest
from _nbtools import ROOT

from companion.widgets.base import show_png


def test_show_png_replaces_everything_in_the_output():
    output = widgets.Output()
    show_png(output, b"first", "one")
    show_png(output, b"\x89PNG second", "two")
    (only,) = output.outputs
    assert base64.b64decode(only["data"]["image/png"]) == b"\x89PNG second"
    assert only["data"]["text/plain"] == "two"


def test_no_companion_widget_captures_output_with_a_context_manager():
    """`with output:` inside a cell makes nbclient race on the shell channel and stall the
    book build until the cell timeout (jupyter/nbclient#312): use show_png instead."""
    capture = re.compile(r"with\s+self\.\w*output\w*\s*:|clear_output\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "companion").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if capture.search(line) and not line.lstrip().startswith(("#", "`", '"'))
    ]
    assert offenders == []


def test_shown_figure_carries_its_alt_text_in_html():
    output = widgets.Output()
    show_png(output, b"\x89PNG", 'Loss "curve" & path')
    data = output.outputs[0]["data"]
    assert data["text/html"].startswith('<img alt="Loss &quot;curve&quot; &amp; path" ')
    assert 'src="data:image/png;base64,' in data["text/html"]
    assert "max-width:100%" in data["text/html"]  # never wider than the text column
    assert data["text/plain"] == 'Loss "curve" & path'


def test_show_png_refuses_an_empty_alt_text():
    with pytest.raises(ValueError, match="alt must describe the figure"):
        show_png(widgets.Output(), b"\x89PNG", "  ")


def test_log_limits_are_whole_decades_one_beyond_the_values():
    from companion.widgets.base import log_limits

    assert log_limits(1e-3, 1.0) == (1e-4, 10.0)
    assert log_limits(2e-3, 0.5) == (1e-4, 10.0)
    low, high = log_limits(3e-7, 42.0)
    assert (low, high) == pytest.approx((1e-8, 1e3))
