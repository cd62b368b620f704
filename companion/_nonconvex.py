r"""The book's non-convex test surfaces: Rosenbrock's valley, Himmelblau's four minima, Beale's
steep walls, a saddle, a plateau and a one-dimensional double well. Re-exported by
:mod:`companion.surfaces`, where readers import them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._surface import Surface

__all__ = [
    "HIMMELBLAU_MINIMA",
    "beale",
    "double_well",
    "himmelblau",
    "plateau",
    "rosenbrock",
    "saddle",
]


def _rosenbrock(a: float, b: float) -> tuple[Callable, Callable]:
    def value(t: np.ndarray) -> np.ndarray:
        x, y = t[..., 0], t[..., 1]
        return (a - x) ** 2 + b * (y - x**2) ** 2

    def gradient(t: np.ndarray) -> np.ndarray:
        x, y = t[..., 0], t[..., 1]
        return np.stack([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)], axis=-1)

    return value, gradient


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    r"""Rosenbrock's banana valley :math:`J = (a - x)^2 + b\,(y - x^2)^2`; minimum :math:`(a, a^2)`.

    The valley floor :math:`y = x^2` is curved and nearly flat along it, but the walls are
    steep (curvature about :math:`2b` across): a classic test of patience for gradient descent.

    Examples
    --------
    >>> r = rosenbrock()
    >>> r.f([1.0, 1.0]), float(np.linalg.norm(r.grad([1.0, 1.0])))
    (0.0, 0.0)
    """
    value, gradient = _rosenbrock(float(a), float(b))
    return Surface(
        name="rosenbrock",
        formula=rf"(1 - x)^2 + {b:g}\,(y - x^2)^2"
        if a == 1
        else rf"({a:g} - x)^2 + {b:g}(y-x^2)^2",
        value=value,
        gradient=gradient,
        minima=[[a, a**2]],
        bounds=((-2.0, 2.0), (-1.0, 3.0)),
        start=[-1.5, 2.0],
        lr=1e-3,
    )


def _himmelblau_value(t: np.ndarray) -> np.ndarray:
    x, y = t[..., 0], t[..., 1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _himmelblau_gradient(t: np.ndarray) -> np.ndarray:
    x, y = t[..., 0], t[..., 1]
    u, v = x**2 + y - 11, x + y**2 - 7
    return np.stack([4 * x * u + 2 * v, 2 * u + 4 * y * v], axis=-1)


#: Himmelblau's four minima (all with J = 0), refined to machine precision by Newton's method.
HIMMELBLAU_MINIMA = np.array(
    [
        [3.0, 2.0],
        [-2.805118086952745, 3.131312518250573],
        [-3.779310253377747, -3.283185991286170],
        [3.584428340330492, -1.848126526964404],
    ]
)


def himmelblau() -> Surface:
    r"""Himmelblau's function :math:`J = (x^2 + y - 11)^2 + (x + y^2 - 7)^2`: four minima, all 0.

    Which one gradient descent finds depends only on where it starts.

    Examples
    --------
    >>> h = himmelblau()
    >>> len(h.minima), h.f([3.0, 2.0])
    (4, 0.0)
    """
    return Surface(
        name="himmelblau",
        formula=r"(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        value=_himmelblau_value,
        gradient=_himmelblau_gradient,
        minima=HIMMELBLAU_MINIMA,
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
        start=[-0.5, 0.5],
        lr=0.01,
    )


_BEALE_C = (1.5, 2.25, 2.625)


def _beale_value(t: np.ndarray) -> np.ndarray:
    x, y = t[..., 0], t[..., 1]
    return sum((c - x + x * y ** (k + 1)) ** 2 for k, c in enumerate(_BEALE_C))


def _beale_gradient(t: np.ndarray) -> np.ndarray:
    x, y = t[..., 0], t[..., 1]
    dx = np.zeros_like(x)
    dy = np.zeros_like(y)
    for k, c in enumerate(_BEALE_C):
        n = k + 1
        residual = c - x + x * y**n
        dx = dx + 2 * residual * (y**n - 1)
        dy = dy + 2 * residual * n * x * y ** (n - 1)
    return np.stack([dx, dy], axis=-1)


def beale() -> Surface:
    r"""Beale's function :math:`J = \sum_{n=1}^{3} (c_n - x + x y^n)^2`.

    The constants are :math:`c = (1.5, 2.25, 2.625)`.

    One minimum, :math:`(3, 0.5)`, in a flat-bottomed valley between very steep walls.

    Examples
    --------
    >>> beale().f([3.0, 0.5])
    0.0
    """
    return Surface(
        name="beale",
        formula=r"\sum_{n=1}^{3} (c_n - x + x y^n)^2",
        value=_beale_value,
        gradient=_beale_gradient,
        minima=[[3.0, 0.5]],
        bounds=((-4.5, 4.5), (-4.5, 4.5)),
        start=[1.0, 1.4],
        lr=1e-2,
    )


def _saddle_value(t: np.ndarray) -> np.ndarray:
    x, y = t[..., 0], t[..., 1]
    return 0.5 * x**2 + 0.25 * y**4 - 0.5 * y**2


def _saddle_gradient(t: np.ndarray) -> np.ndarray:
    x, y = t[..., 0], t[..., 1]
    return np.stack([x, y**3 - y], axis=-1)


def saddle() -> Surface:
    r"""A saddle between two minima: :math:`J = \tfrac12 x^2 + \tfrac14 y^4 - \tfrac12 y^2`.

    The origin is a saddle point (curvature :math:`+1` along :math:`x`, :math:`-1` along
    :math:`y`); the minima are :math:`(0, \pm 1)` with :math:`J = -\tfrac14`. The line
    :math:`y = 0` is the saddle's *stable manifold*: gradient descent started on it never
    leaves it and converges to the saddle; started a hair off it, it lingers, then escapes.

    Examples
    --------
    >>> s = saddle()
    >>> s.f([0.0, 1.0]), s.grad([0.0, 0.0])
    (-0.25, array([0., 0.]))
    """
    return Surface(
        name="saddle",
        formula=r"\tfrac12 x^2 + \tfrac14 y^4 - \tfrac12 y^2",
        value=_saddle_value,
        gradient=_saddle_gradient,
        minima=[[0.0, 1.0], [0.0, -1.0]],
        saddles=[[0.0, 0.0]],
        bounds=((-2.0, 2.0), (-1.6, 1.6)),
        start=[1.8, 0.02],
        lr=0.1,
    )


def _plateau_value(t: np.ndarray) -> np.ndarray:
    return 1.0 - np.exp(-0.5 * np.sum(t**2, axis=-1))


def _plateau_gradient(t: np.ndarray) -> np.ndarray:
    return t * np.exp(-0.5 * np.sum(t**2, axis=-1))[..., None]


def plateau() -> Surface:
    r"""A well in a plateau: :math:`J = 1 - e^{-\|\theta\|^2/2}`, minimum 0 at the origin.

    Far from the origin :math:`J \approx 1` and the gradient
    :math:`\theta\, e^{-\|\theta\|^2/2}` is tiny: gradient descent crawls, and a stopping rule
    that trusts a small gradient stops on the plateau, nowhere near the minimum.

    Examples
    --------
    >>> p = plateau()
    >>> p.f([0.0, 0.0]), bool(np.linalg.norm(p.grad([4.0, 0.0])) < 2e-3)
    (0.0, True)
    """
    return Surface(
        name="plateau",
        formula=r"1 - e^{-\|\theta\|^2/2}",
        value=_plateau_value,
        gradient=_plateau_gradient,
        minima=[[0.0, 0.0]],
        bounds=((-4.5, 4.5), (-4.5, 4.5)),
        start=[3.0, 2.2],
        lr=1.0,
    )


#: The tilted double well's coefficients: J(θ) = θ⁴/4 − θ²/2 + θ/4.
_WELL = (0.25, 0.0, -0.5, 0.25, 0.0)


def double_well() -> Surface:
    r"""A tilted double well: :math:`J = \tfrac14\theta^4 - \tfrac12\theta^2 + \tfrac14\theta`.

    Two minima: the global one near :math:`-1.11` and a local one near :math:`0.84`, with a
    maximum between them. Gradient descent ends in whichever basin it starts in.

    Examples
    --------
    >>> w = double_well()
    >>> np.round(w.minima.ravel(), 4)
    array([-1.1072,  0.8376])
    """
    poly = np.poly1d(_WELL)
    slope, curvature = poly.deriv(), poly.deriv(2)
    roots = np.sort(np.real(slope.roots[np.abs(np.imag(slope.roots)) < 1e-12]))
    minima = [r for r in roots if curvature(r) > 0]
    minima.sort(key=poly)  # the global minimum first

    def value(t: np.ndarray) -> np.ndarray:
        return poly(t[..., 0])

    def gradient(t: np.ndarray) -> np.ndarray:
        return slope(t)

    return Surface(
        name="double well",
        formula=r"\tfrac14\theta^4 - \tfrac12\theta^2 + \tfrac14\theta",
        value=value,
        gradient=gradient,
        minima=np.array(minima)[:, None],
        saddles=np.array([r for r in roots if curvature(r) < 0])[:, None],
        bounds=((-1.8, 1.7),),
        start=[1.6],
        lr=0.1,
    )
