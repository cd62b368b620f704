"""Widgets show their figure by setting an Output's state, never by capturing output."""

from __future__ import annotations

import base64
import re

import ipywidgets as widgets
from _nbtools import ROOT

from companion._widget_output import show_png


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
    assert data["text/html"].startswith('<img alt="Loss &quot;curve&quot; &amp; path" src="data:')
    assert data["text/plain"] == 'Loss "curve" & path'


def test_show_png_refuses_an_empty_alt_text():
    import pytest

    with pytest.raises(ValueError, match="alt must describe the figure"):
        show_png(widgets.Output(), b"\x89PNG", "  ")


def test_fit_log_limits_changes_the_axis_only_when_the_curve_needs_it():
    from matplotlib.figure import Figure

    from companion._widget_output import fit_log_limits

    ax = Figure().add_subplot()
    ax.set_yscale("log")
    assert fit_log_limits(ax, 1e-3, 1.0, 100)  # first fit: decades around the curve
    assert ax.get_ylim() == (1e-4, 10.0) and ax.get_xlim() == (0, 100)
    assert not fit_log_limits(ax, 2e-3, 0.5, 100)  # still fits: the background stays
    assert fit_log_limits(ax, 1e-6, 1.0, 100)  # the curve left the axis
    assert fit_log_limits(ax, 1e-6, 1.0, 200)  # a longer run
