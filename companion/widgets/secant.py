"""The Chapter 1 explorer: slide the step h and watch the secant approach the tangent.

The error curves are precomputed for every step on the slider; a control change only moves
the secant, the points and the marker (see :mod:`companion.widgets` for the rules every
explorer follows).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, NamedTuple

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np

from .._validate import positive_number
from ..gradients import METHODS, derivative_errors
from ..plots import _STYLE, color
from .base import SLIDER_LAYOUT, Explorer, readout_table, row, toggle_buttons
from .frames import Axis

__all__ = ["PRECISIONS", "SecantExplorer", "SecantState", "secant_explorer"]

#: The floating-point types an explorer can compute in, by the name its toggle shows.
PRECISIONS: dict[str, type] = {"float64": np.float64, "float32": np.float32}


class SecantState(NamedTuple):
    """Everything the secant explorer shows for one setting of its controls.

    Attributes
    ----------
    h : float
        The step.
    method : {"central", "forward"}
    precision : {"float64", "float32"}
    points_x, points_y : numpy.ndarray
        The two points the secant passes through, as computed in ``precision``.
    slope : float
        The secant slope (the finite-difference estimate of the derivative).
    exact : float
        The exact derivative at ``x0`` (float64).
    error : float
        ``|slope - exact|``.
    message : str or None
        Why the slope is meaningless (the step rounds away, or the slope is not finite);
        ``None`` when the numbers can be trusted.
    """

    h: float
    method: str
    precision: str
    points_x: np.ndarray
    points_y: np.ndarray
    slope: float
    exact: float
    error: float
    message: str | None


class SecantExplorer(Explorer):
    """Slide the step ``h`` and watch the secant approach the tangent, with the error read out.

    The left panel shows ``f`` near ``x0``, its tangent at ``x0`` and the secant through the
    two points a finite difference uses: ``x0 - h`` and ``x0 + h`` (central) or ``x0`` and
    ``x0 + h`` (forward). The right panel shows the absolute error of the secant slope against
    ``h`` on log-log axes — precomputed for every step on the slider — with a marker at the
    current step: the error falls as ``h`` shrinks (truncation error), then rises again
    (round-off error), much earlier in float32 than in float64.

    Parameters
    ----------
    f : callable, default numpy.sin
        An element-wise function that keeps its input's dtype.
    dfdx : callable, default numpy.cos
        Its exact derivative.
    x0 : float, default 1.0
        Where to differentiate.
    h : float, default 0.5
        The initial step; must lie in ``h_range``.
    method : {"central", "forward"}, default "central"
    precision : {"float64", "float32"}, default "float64"
    h_range : (float, float), default (1e-14, 1.0)
        Smallest and largest step on the (logarithmic) slider.
    steps_per_decade : int, default 10
        Slider positions (and precomputed curve points) per factor of ten in ``h``.
    window : float, default 1.6
        The left panel shows ``x0 - window`` to ``x0 + window``.
    label : str, default "sin x"
        How the panels name ``f``.

    Attributes
    ----------
    h : ipywidgets.FloatLogSlider
        The step control.
    method, precision : ipywidgets.ToggleButtons
        The difference formula and the floating-point type.
    readout : ipywidgets.HTML
        The step, the secant slope, the exact derivative and the error — or a message.
    output : ipywidgets.Output
        Where the figure is displayed: its one output is the figure as a PNG image.
    widget : ipywidgets.VBox
        Controls, readout and figure together (what the notebook displays).
    figure : matplotlib.figure.Figure
        The one figure, created once.
    secant_line, points, tangent_line, curve_line : matplotlib.lines.Line2D
        Artists of the left panel.
    error_line, other_line, marker, best_marker : matplotlib.lines.Line2D
        The error curve of the current method and precision, the same method's curve in the
        other precision (faint), the current step on the curve, and the curve's minimum.
    hs : numpy.ndarray
        The steps of the slider (and of the precomputed curves).
    errors : dict
        ``errors[method, precision]`` is the precomputed error for every step in ``hs``.
    state : SecantState
        What is shown now.

    Examples
    --------
    >>> explorer = SecantExplorer(h=1e-3)
    >>> round(explorer.state.slope, 6)   # the central difference of sin at 1: cos(1)
    0.540302
    >>> explorer.h.value = 1e-2          # moving the slider updates the figure and readout
    >>> explorer.state.h
    0.01
    """

    ALT = (
        "Left: the function near x0 with its tangent (dashed) and the secant through the two "
        "points the current step h uses. Right: the error of the secant slope against h on "
        "log-log axes, with a dot at the current h."
    )

    def __init__(
        self,
        f: Callable[[np.ndarray], np.ndarray] = np.sin,
        dfdx: Callable[[np.ndarray], np.ndarray] = np.cos,
        x0: float = 1.0,
        h: float = 0.5,
        method: str = "central",
        precision: str = "float64",
        h_range: tuple[float, float] = (1e-14, 1.0),
        steps_per_decade: int = 10,
        window: float = 1.6,
        label: str = "sin x",
    ) -> None:
        if not callable(f) or not callable(dfdx):
            raise TypeError("f and dfdx must be callable (element-wise functions of an array)")
        if method not in METHODS:
            raise ValueError(f"method must be 'central' or 'forward'; got {method!r}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be 'float64' or 'float32'; got {precision!r}")
        if not np.isfinite(x0):
            raise ValueError(f"x0 must be a finite number; got {x0!r}")
        h_min = positive_number(h_range[0], "h_range[0]")
        h_max = positive_number(h_range[1], "h_range[1]")
        if not h_min < h_max:
            raise ValueError(f"h_range must be (smallest, largest); got {h_range!r}")
        h = positive_number(h, "h")
        if not h_min <= h <= h_max:
            raise ValueError(f"h must lie in h_range {h_range}; got {h!r}")
        if int(steps_per_decade) < 1:
            raise ValueError(f"steps_per_decade must be at least 1; got {steps_per_decade!r}")

        self.f, self.dfdx, self.x0 = f, dfdx, float(x0)
        self.exact = float(dfdx(np.float64(x0)))
        self.window, self.label = positive_number(window, "window"), label

        # 1. Precompute every error curve once: the callback only looks them up.
        lo, hi = np.log10(h_min), np.log10(h_max)
        self.hs = np.logspace(lo, hi, round((hi - lo) * steps_per_decade) + 1)
        with np.errstate(all="ignore"):  # overflow is reported by the readout, not warned
            self.errors = {
                (m, p): derivative_errors(f, dfdx, self.x0, self.hs, m, dtype=PRECISIONS[p])
                for m in METHODS
                for p in PRECISIONS
            }

        # 2. The controls, the readout and the output area.
        self.h = widgets.FloatLogSlider(
            value=h,
            base=10,
            min=lo,
            max=hi,
            step=1 / steps_per_decade,
            description="step h",
            readout_format=".1e",
            continuous_update=True,
            style={"description_width": "initial"},
            layout=SLIDER_LAYOUT,
        )
        self.method = toggle_buttons(METHODS, method, "method")
        self.precision = toggle_buttons(PRECISIONS, precision, "precision")
        self._panel(self.h, row(self.method, self.precision))

        # 3. The one figure, built once (not through pyplot: no figure manager, nothing leaks).
        with mpl.rc_context(_STYLE):
            self._new_figure((8.6, 3.4))
            self._build_axes()
        # Only the secant, its points and the marker move with h; the curves, legends and
        # titles change with the method or the precision, which redraws the static picture.
        moving = (self.secant_line, self.points, self.marker)
        self._go_live(moving, (self.h, self.method, self.precision))

    # -- the pure part: numbers for one setting ------------------------------------------

    def evaluate(self, h: float, method: str, precision: str) -> SecantState:
        """Compute what the explorer shows for step ``h``, ``method`` and ``precision``.

        Everything — ``x0``, the step and ``f``'s arithmetic — is done in ``precision``,
        exactly as :func:`companion.gradients.derivative_errors` does for the curves.

        Returns
        -------
        SecantState
        """
        dtype = PRECISIONS[precision]
        x, step = dtype(self.x0), dtype(h)
        if method == "central":
            points_x = np.array([x - step, x + step], dtype=dtype)
        else:
            points_x = np.array([x, x + step], dtype=dtype)
        run = 2 * step if method == "central" else step
        with np.errstate(all="ignore"):
            points_y = np.asarray(self.f(points_x), dtype=dtype)
            slope = float((points_y[1] - points_y[0]) / run)
        error = abs(slope - self.exact)

        message = None
        if x + step == x or x - step == x:
            spacing = float(np.spacing(x))
            message = (
                f"In {precision}, x₀ ± h rounds to x₀: the step h = {h:.1e} is less than half "
                f"the spacing of {precision} numbers near x₀ (the spacing is {spacing:.1e}). "
                "The points are not where the formula assumes, so this slope is meaningless. "
                "Make h larger."
            )
        elif not np.isfinite(slope):
            message = (
                f"The secant slope is not a finite number in {precision} (f overflowed or is "
                "undefined at a point), so there is no error to report. Try another step."
            )
        return SecantState(
            h=float(h),
            method=method,
            precision=precision,
            points_x=points_x.astype(np.float64),
            points_y=points_y.astype(np.float64),
            slope=slope,
            exact=self.exact,
            error=error,
            message=message,
        )

    def best_step(self, method: str, precision: str) -> tuple[float, float]:
        """The step with the smallest precomputed error, and that error."""
        errors = self.errors[method, precision]
        errors = np.where(np.isfinite(errors), errors, np.inf)
        i = int(np.argmin(errors))
        return float(self.hs[i]), float(errors[i])

    # -- the figure ----------------------------------------------------------------------

    def _build_axes(self) -> None:
        x0, w = self.x0, self.window
        self.ax_function, self.ax_error = self.figure.subplots(1, 2)

        ax = self.ax_function
        xs = np.linspace(x0 - w, x0 + w, 400)
        with np.errstate(all="ignore"):
            ys = np.asarray(self.f(xs), dtype=np.float64)
            y0 = float(self.f(np.float64(x0)))
        finite = ys[np.isfinite(ys)]
        (self.curve_line,) = ax.plot(xs, ys, color=color("exact"), label=f"f(x) = {self.label}")
        (self.tangent_line,) = ax.plot(
            xs,
            y0 + self.exact * (xs - x0),
            color=color("exact"),
            linestyle="--",
            linewidth=1.2,
            label="tangent at $x_0$",
        )
        (self.secant_line,) = ax.plot([], [], color=color("central"), label="secant")
        (self.points,) = ax.plot([], [], "o", color=color("central"), markersize=7, zorder=3)
        ax.plot([x0], [y0], "o", color=color("exact"), markersize=5, zorder=4)
        ax.annotate("$x_0$", (x0, y0), textcoords="offset points", xytext=(6, -14))
        pad = 0.15 * (finite.max() - finite.min()) if finite.size else 1.0
        ax.set(
            xlim=(xs[0], xs[-1]),
            ylim=(finite.min() - pad, finite.max() + pad) if finite.size else (-1, 1),
            xlabel="x",
            ylabel="f(x)",
            title="Secant and tangent",
        )
        ax.set_autoscale_on(False)
        # The legend is drawn once; update() recolours its secant handle with the method.
        self._legend = ax.legend(loc="lower right", fontsize=9)

        ax = self.ax_error
        positive = np.concatenate([_plottable(e) for e in self.errors.values()])
        positive = positive[np.isfinite(positive)]
        if positive.size == 0:
            positive = np.array([1e-16, 1.0])
        self._error_floor = float(positive.min()) / 3
        ax.set(
            xscale="log",
            yscale="log",
            xlim=(self.hs[0], self.hs[-1]),
            ylim=(self._error_floor, float(positive.max()) * 3),
            xlabel="step h",
            ylabel=r"$|\,\mathrm{slope} - f'(x_0)\,|$",
        )
        (self.other_line,) = ax.plot([], [], color=color("exact"), linewidth=1.2, alpha=0.3)
        (self.error_line,) = ax.plot([], [], color=color("central"), linewidth=1.6)
        (self.best_marker,) = ax.plot(
            [],
            [],
            "o",
            markerfacecolor="none",
            markersize=9,
            markeredgewidth=1.5,
            color=color("exact"),
        )
        (self.marker,) = ax.plot([], [], "o", color=color("central"), markersize=9, zorder=3)
        ax.set_autoscale_on(False)
        self._error_title = ax.set_title("")
        self._error_legend = ax.legend(
            [self.error_line, self.other_line, self.best_marker],
            ["this precision", "the other precision", "smallest error"],
            loc="lower left",
            fontsize=9,
        )

    def update(self) -> None:
        """Read the controls, recompute the state, and update the artists and the readout.

        Pure with respect to the figure: only the data of existing artists changes; nothing
        is created and nothing is displayed (see :meth:`_redraw`).
        """
        state = self.evaluate(float(self.h.value), self.method.value, self.precision.value)
        self.state = state
        method_color = color(state.method)

        if np.isfinite(state.slope):
            xs = np.array(self.ax_function.get_xlim())
            ys = state.points_y[0] + state.slope * (xs - state.points_x[0])
            self.secant_line.set_data(xs, ys)
            self.secant_line.set_visible(True)
        else:
            self.secant_line.set_visible(False)
        self.points.set_data(state.points_x, state.points_y)
        self.secant_line.set_color(method_color)
        self.points.set_color(method_color)
        self._legend.legend_handles[2].set_color(method_color)

        errors = self.errors[state.method, state.precision]
        self.error_line.set_data(self.hs, _plottable(errors))
        self.error_line.set_color(method_color)
        self.error_line.set_linestyle("-" if state.precision == "float64" else "--")
        other = "float32" if state.precision == "float64" else "float64"
        other_errors = self.errors[state.method, other]
        self.other_line.set_data(self.hs, _plottable(other_errors))
        self.other_line.set_linestyle("-" if other == "float64" else "--")
        handles = self._error_legend.legend_handles
        handles[0].set_color(method_color)
        handles[0].set_linestyle(self.error_line.get_linestyle())
        handles[1].set_linestyle(self.other_line.get_linestyle())
        self._error_legend.texts[0].set_text(state.precision)
        self._error_legend.texts[1].set_text(other)
        best_h, best_error = self.best_step(state.method, state.precision)
        self.best_marker.set_data([best_h], [max(best_error, self._error_floor)])
        shown_error = state.error if np.isfinite(state.error) else np.nan
        self.marker.set_data([state.h], [max(shown_error, self._error_floor)])
        self.marker.set_color(method_color)
        self._error_title.set_text(f"Error of the {state.method} difference, {state.precision}")
        if self._static_key() != getattr(self, "_shown_key", None):
            self._background = None  # the method or the precision changed the static picture
        self._shown_key = self._static_key()

        self.readout.value = self._readout_html(state, best_h, best_error)

    def _readout_html(self, state: SecantState, best_h: float, best_error: float) -> str:
        rows = [
            ("step h", f"{state.h:.3e}"),
            ("secant slope", f"{state.slope:.10f}" if np.isfinite(state.slope) else "—"),
            ("exact f′(x₀)", f"{state.exact:.10f}"),
            ("absolute error", f"{state.error:.2e}" if state.message is None else "—"),
            ("best h on this curve", f"{best_h:.1e} (error {best_error:.1e})"),
        ]
        text = readout_table(rows)
        if state.message is not None:
            text += (
                "<p style='color:#D55E00'><b>Warning:</b> " + html.escape(state.message) + "</p>"
            )
        return text

    def describe(self) -> str:
        state = self.state
        return (
            f"{self.ALT} Now: the {state.method} difference in {state.precision} with "
            f"h = {state.h:.1e}, slope {state.slope:.6g}."
        )

    def _static_key(self) -> tuple:
        return (*super()._static_key(), self.method.value, self.precision.value)

    # -- online --------------------------------------------------------------------------

    def online_axes(self) -> list[Axis]:
        """Online: one step per factor of ten, both formulas, both precisions."""
        decades = np.log10(self.hs)
        hs = [float(h) for h, d in zip(self.hs, decades, strict=True) if abs(d - round(d)) < 1e-9]
        return [
            Axis("h", "step h", hs, label=lambda h: f"{h:.0e}"),
            Axis("method", "method", list(METHODS), kind="buttons"),
            Axis("precision", "precision", list(PRECISIONS), kind="buttons"),
        ]


def _plottable(errors: np.ndarray) -> np.ndarray:
    """Errors for a log axis: zeros and non-finite values become gaps (NaN) in the line."""
    return np.where(np.isfinite(errors) & (errors > 0), errors, np.nan)


def secant_explorer(**kwargs: Any) -> SecantExplorer:
    """Build the Chapter 1 widget: the secant approaching the tangent as ``h`` shrinks.

    Leave the result as the last expression of a notebook cell to display it.

    Parameters
    ----------
    **kwargs
        Passed to :class:`SecantExplorer` (``f``, ``dfdx``, ``x0``, ``h``, ``method``,
        ``precision``, ...).

    Returns
    -------
    SecantExplorer
    """
    return SecantExplorer(**kwargs)
