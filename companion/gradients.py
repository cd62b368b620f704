"""Numerical gradients: finite differences and gradient checking (Chapter 1).

A derivative is a limit; a computer can only take a small step ``h`` and measure a slope.
This module does exactly that, one coordinate at a time, and uses the result to check
analytic gradients — the test every hand-written backward pass in this course must pass.

The loop over coordinates in :func:`numerical_gradient` is deliberate: it *is* the lesson
(a numerical gradient costs two function evaluations per parameter).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._checking import TINY as _TINY
from ._checking import check_function as _check_function
from ._checking import check_gradient as _check_gradient
from ._checking import check_thresholds as _check_thresholds
from ._checking import coordinates as _coordinates
from ._checking import evaluate as _evaluate
from ._checking import judge as _judge
from ._checking import verdict as _verdict
from ._validate import as_float_array, finite_real, float_dtype, positive_number

__all__ = [
    "THRESHOLDS",
    "VERDICTS",
    "GradientCheckResult",
    "default_step",
    "derivative_errors",
    "gradient_check",
    "numerical_gradient",
    "relative_error",
]

METHODS = ("central", "forward")

#: Relative-error thresholds ``(correct_below, wrong_above)`` for :func:`gradient_check`, per
#: floating-point type. Between the two a gradient is "suspicious": often a kink (ReLU at 0),
#: sometimes a real bug. Float32 carries ~7 significant digits, so its bar is lower.
THRESHOLDS: dict[type, tuple[float, float]] = {
    np.float64: (1e-7, 1e-4),
    np.float32: (2e-3, 4e-3),
}


def _check_method(method: object) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be 'central' or 'forward'; got {method!r}")
    return method  # type: ignore[return-value]


def numerical_gradient(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    h: float = 1e-5,
    method: str = "central",
) -> np.ndarray:
    r"""Estimate the gradient of a scalar function by finite differences.

    For every coordinate :math:`i`, with :math:`e_i` the unit vector along it,

    .. math::

        \text{central:}\quad \frac{\partial f}{\partial x_i}
            \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}
        \qquad
        \text{forward:}\quad \frac{\partial f}{\partial x_i}
            \approx \frac{f(x + h e_i) - f(x)}{h}.

    The central difference is accurate to :math:`O(h^2)`, the forward one only to
    :math:`O(h)`. Either way the cost is one or two calls of ``f`` *per coordinate*.

    Parameters
    ----------
    f : callable
        Maps an array shaped like ``x`` to a finite real scalar.
    x : array_like of float
        The point, of any shape; float32 or float64. Never modified.
    h : float, default 1e-5
        The step, a positive finite number.
    method : {"central", "forward"}, default "central"

    Returns
    -------
    numpy.ndarray
        The estimated gradient, with the shape and dtype of ``x``.

    Raises
    ------
    TypeError
        If ``f`` is not callable, returns a non-real value, or ``x`` is not floating point.
    ValueError
        If ``x`` is not finite, ``h`` is not a positive finite number, ``method`` is unknown, or
        ``f`` returns a non-scalar or a non-finite value.

    Examples
    --------
    >>> import numpy as np
    >>> g = numerical_gradient(lambda v: float(np.sum(v**2)), np.array([1.0, -2.0]))
    >>> np.round(g, 6)
    array([ 2., -4.])
    """
    f = _check_function(f)
    x = as_float_array(x, "x")
    h = positive_number(h, "h")
    method = _check_method(method)

    point = x.copy()  # we perturb a private copy: the caller's x is never touched
    grad = np.empty_like(point)
    f_at_x = _evaluate(f, point) if method == "forward" else None
    for i in np.ndindex(point.shape):  # one coordinate at a time: this loop is the lesson
        grad[i] = _partial(f, point, i, h, method, f_at_x)
    return grad


def _partial(
    f: Callable, point: np.ndarray, i: tuple, h: float, method: str, f_at_x: float | None
) -> float:
    """One finite-difference partial derivative; ``point[i]`` is restored even if ``f`` raises."""
    old = point[i]
    try:
        point[i] = old + h
        f_plus = _evaluate(f, point)
        if method == "forward":
            return (f_plus - f_at_x) / h
        point[i] = old - h
        f_minus = _evaluate(f, point)
        return (f_plus - f_minus) / (2 * h)
    finally:
        point[i] = old


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    r"""The largest element-wise relative error between two arrays.

    .. math::

        \max_i \frac{|a_i - b_i|}{\max(|a_i| + |b_i|,\ \text{tiny})}

    It is symmetric in ``a`` and ``b``, scale-free, lies in :math:`[0, 1]`, and is 0 where
    both entries are 0 (``tiny`` is the smallest positive float64, so 0/0 never happens).

    Parameters
    ----------
    a, b : array_like of float
        Same shape, finite values.

    Returns
    -------
    float
        0.0 for two empty arrays.

    Raises
    ------
    ValueError
        If the shapes differ or a value is not finite.

    Examples
    --------
    >>> relative_error([1.0, 0.0], [1.1, 0.0])
    0.047619047619047...
    """
    a = as_float_array(a, "a", allow_int=True)
    b = as_float_array(b, "b", allow_int=True)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        denominator = np.maximum(np.abs(a64) + np.abs(b64), np.finfo(np.float64).tiny)
        error = float(np.max(np.abs(a64 - b64) / denominator))
    if not np.isfinite(error):  # a - b overflowed: the same ratio, with both halved
        a64, b64 = a64 / 2, b64 / 2
        error = float(np.max(np.abs(a64 - b64) / np.maximum(np.abs(a64) + np.abs(b64), _TINY)))
    return error


def default_step(dtype: type | np.dtype) -> float:
    r"""The default finite-difference step of :func:`gradient_check` for a floating-point type.

    Chapter 1's analysis: the central difference errs by about
    :math:`\frac{h^2}{6}|f^{(3)}| + \frac{\varepsilon |f|}{h}` (truncation plus round-off),
    which is smallest near :math:`h \approx \varepsilon^{1/3}`. The step is float64's
    :math:`10^{-5}` (close to its :math:`\varepsilon^{1/3} \approx 6 \times 10^{-6}`) scaled by
    :math:`(\varepsilon / \varepsilon_{64})^{1/3}`: about :math:`8 \times 10^{-3}` for float32,
    where the chapter measures the best step near :math:`6 \times 10^{-3}`.
    :func:`gradient_check` multiplies it by :math:`\max(1, |x_i|)` for each coordinate, so a
    large coordinate still moves by a step its digits can hold.

    Examples
    --------
    >>> default_step(np.float64), round(default_step(np.float32), 4)
    (1e-05, 0.0081)
    """
    try:
        eps = float(np.finfo(dtype).eps)
    except (TypeError, ValueError) as error:
        raise TypeError(f"dtype must be a floating-point type; got {dtype!r}") from error
    return 1e-5 * (eps / float(np.finfo(np.float64).eps)) ** (1 / 3)


#: The verdicts of :func:`gradient_check`, from best to worst.
VERDICTS = ("correct", "kink", "suspicious", "wrong")


@dataclass(frozen=True)
class GradientCheckResult:
    """What :func:`gradient_check` found.

    Attributes
    ----------
    max_relative_error : float
        The worst relative error over the checked coordinates (over those not at a kink, if
        one of them is not correct).
    worst_index : tuple of int
        Where (an index into ``x``) that worst error occurs.
    verdict : {"correct", "kink", "suspicious", "wrong"}
        Read off :data:`THRESHOLDS` for ``x``'s dtype. ``"kink"``: every coordinate that is
        not correct sits at a kink — the two one-sided differences disagree and the analytic
        value lies between them — so the check cannot judge it (see ``kinks``).
    passed : bool
        ``verdict == "correct"``.
    checked : int
        How many coordinates were checked.
    analytic, numerical : numpy.ndarray
        The two gradients at the checked coordinates (flat, in checking order).
    kinks : tuple of tuple of int
        The indices into ``x`` where a kink lies within the step.
    """

    max_relative_error: float
    worst_index: tuple[int, ...]
    verdict: str
    passed: bool
    checked: int
    analytic: np.ndarray
    numerical: np.ndarray
    kinks: tuple[tuple[int, ...], ...] = ()

    def __str__(self) -> str:
        text = (
            f"gradient check {self.verdict}: max relative error {self.max_relative_error:.2e} "
            f"at index {self.worst_index} ({self.checked} coordinates checked)"
        )
        if self.kinks:
            shown = ", ".join(map(str, self.kinks[:5])) + (", ..." if len(self.kinks) > 5 else "")
            text += f"; a kink within the step at {shown}"
        return text


def gradient_check(
    f: Callable[[np.ndarray], float],
    grad_f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    h: float | None = None,
    num_checks: int | None = None,
    seed: int | np.random.Generator | None = None,
    thresholds: tuple[float, float] | None = None,
) -> GradientCheckResult:
    r"""Compare an analytic gradient with the central-difference estimate.

    Each checked coordinate gets a relative error
    :math:`|a_i - n_i| / \max(|a_i| + |n_i|,\ s)` between the analytic value :math:`a_i` and
    the numerical one :math:`n_i`. The floor :math:`s = \varepsilon^{2/3} / c \cdot \max_j
    (|a_j| + |n_j|)`, with :math:`c` the "correct" threshold, is what a central difference at
    its best step can resolve (Chapter 1: about :math:`\varepsilon^{2/3}` of the gradient's
    scale): a partial derivative that is tiny next to the others, or exactly 0, is judged in
    absolute terms, not by a ratio of two round-off errors.

    Where a coordinate is not correct, the check also takes the two one-sided differences
    :math:`(f(x) - f(x - he_i))/h` and :math:`(f(x + he_i) - f(x))/h`. If they disagree by more
    than the "wrong" threshold and the analytic value lies between them, a kink (ReLU at 0,
    :math:`|x|` at 0) sits within the step: the analytic value is a one-sided slope there, and
    the coordinate counts as a kink, not as wrong.

    Parameters
    ----------
    f : callable
        The scalar function.
    grad_f : callable
        Its claimed gradient: maps ``x`` to an array shaped like ``x``.
    x : array_like of float
        Where to check. Never modified.
    h : float, optional
        The finite-difference step. By default :func:`default_step` of ``x``'s dtype times
        :math:`\max(1, |x_i|)`; a number given here is used as it is for every coordinate.
    num_checks : int, optional
        Check only this many coordinates, drawn without replacement — the practical way to
        check a gradient with millions of entries (each coordinate costs two calls of ``f``).
        By default every coordinate is checked.
    seed : int or numpy.random.Generator, optional
        Chooses the random coordinates; required for reproducibility when ``num_checks`` is set.
    thresholds : (float, float), optional
        ``(correct_below, wrong_above)``; defaults to :data:`THRESHOLDS` for ``x``'s dtype.

    Returns
    -------
    GradientCheckResult

    Notes
    -----
    The round-off error of a central difference is about :math:`\varepsilon |f| / h`. When
    ``f`` sums many terms, :math:`|f|` is large and the check can report "suspicious" for a
    correct gradient: check on a smaller problem, or a loss averaged over fewer examples.

    Examples
    --------
    >>> import numpy as np
    >>> result = gradient_check(lambda v: float(np.sum(v**3)), lambda v: 3 * v**2,
    ...                         np.array([0.5, -1.0, 2.0]))
    >>> result.verdict, result.passed
    ('correct', True)
    >>> relu = gradient_check(lambda v: float(np.sum(np.maximum(v, 0))),
    ...                       lambda v: (v > 0).astype(float), np.array([0.0, 1.0]))
    >>> relu.verdict, relu.kinks
    ('kink', ((0,),))
    """
    f = _check_function(f)
    grad_f = _check_function(grad_f, "grad_f")
    x = as_float_array(x, "x")
    correct_below, wrong_above = _check_thresholds(thresholds, THRESHOLDS[x.dtype.type])
    analytic_full = _check_gradient(grad_f(x.copy()), x)
    indices = _coordinates(x, num_checks, seed)
    best = [default_step(x.dtype) * max(1.0, abs(float(x[i]))) for i in indices]
    steps = best if h is None else [positive_number(h, "h")] * len(indices)

    point = x.copy()
    pairs = zip(indices, steps, strict=True)
    numerical = np.array([_partial(f, point, i, step, "central", None) for i, step in pairs])
    analytic = np.array([analytic_full[i] for i in indices], dtype=np.float64)
    # Each coordinate's error; one that fails gets a second look (a finer step; a kink?).
    errors, at_kink = _judge(
        f, point, indices, steps, best, analytic, numerical, correct_below, wrong_above
    )
    verdict, worst = _verdict(errors, at_kink, correct_below, wrong_above)
    return GradientCheckResult(
        max_relative_error=float(errors[worst]) if errors.size else 0.0,
        worst_index=indices[worst] if indices else (),
        verdict=verdict,
        passed=verdict == "correct",
        checked=len(indices),
        analytic=analytic,
        numerical=numerical,
        kinks=tuple(indices[k] for k in at_kink),
    )


def derivative_errors(
    f: Callable[[np.ndarray], np.ndarray],
    dfdx: Callable[[np.ndarray], np.ndarray],
    x0: float,
    hs: np.ndarray,
    method: str = "central",
    dtype: type = np.float64,
) -> np.ndarray:
    """Absolute error of a 1-D finite-difference derivative, for many steps at once.

    Everything — ``x0``, the steps and ``f``'s arithmetic — is done in ``dtype``, so the
    result shows both the truncation error (large ``h``) and the round-off error (small ``h``)
    of that precision. The exact derivative is computed in float64.

    Parameters
    ----------
    f : callable
        An element-wise function that keeps its input's dtype, such as ``np.sin``.
    dfdx : callable
        Its exact derivative.
    x0 : float
        Where to differentiate.
    hs : array_like of float
        Positive steps.
    method : {"central", "forward"}
    dtype : numpy float type, default numpy.float64

    Returns
    -------
    numpy.ndarray
        ``|estimate - exact|`` for every step, as float64: ``inf`` or ``nan`` where ``f``
        overflows in ``dtype`` (e.g. ``np.exp`` at 89 in float32) — that precision cannot
        give an estimate there.

    Examples
    --------
    >>> import numpy as np
    >>> err = derivative_errors(np.sin, np.cos, 1.0, [1e-1, 1e-2])
    >>> bool(err[1] < err[0] / 50)   # central difference: error falls like h**2
    True
    """
    f, dfdx = _check_function(f), _check_function(dfdx, "dfdx")
    method = _check_method(method)
    x0 = finite_real(x0, "x0")
    hs = as_float_array(hs, "hs", allow_int=True)
    if np.any(hs <= 0):
        raise ValueError(f"hs must all be positive; got {hs[hs <= 0][:3].tolist()}")
    dtype = float_dtype(dtype)
    x = np.asarray(x0, dtype=dtype)
    steps = hs.astype(dtype)
    with np.errstate(all="ignore"):
        if method == "central":
            estimate = (f(x + steps) - f(x - steps)) / (2 * steps)
        else:
            estimate = (f(x + steps) - f(x)) / steps
        exact = dfdx(np.float64(x0))
        errors = np.abs(np.asarray(estimate, dtype=np.float64) - exact)
    if errors.shape != hs.shape:
        raise ValueError(
            "f and dfdx must be element-wise functions such as np.sin (one value per step); "
            f"got {errors.size} errors for {hs.size} steps"
        )
    return errors
