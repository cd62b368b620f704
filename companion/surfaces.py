r"""Test surfaces for optimizers: loss functions with exact gradients and known minima.

Every optimizer in the book is first watched on small surfaces whose answers are known:

- :func:`quadratic_bowl` — an elongated, rotated bowl with a chosen condition number
  :math:`\kappa = L/\mu`; the one surface on which gradient descent is solved exactly.
  :class:`Quadratic` is the general :math:`n`-dimensional version (least squares *is* one).
- :func:`rosenbrock` — a curved, narrow valley; :func:`himmelblau` — four minima;
  :func:`beale` — steep walls and a flat floor; :func:`saddle` — a saddle point between
  two minima; :func:`plateau` — a well surrounded by a flat plateau.
- :func:`parabola` and :func:`double_well` — one-dimensional, for pictures of single steps.

A surface is evaluated on one point ``theta`` of shape ``(dim,)`` or on many at once: any
array whose **last** axis has length ``dim`` (a path, a grid), so contour plots and loss
curves are computed without Python loops.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validate import as_float_array, positive_number

__all__ = [
    "Quadratic",
    "Surface",
    "beale",
    "double_well",
    "gallery",
    "himmelblau",
    "parabola",
    "plateau",
    "quadratic_bowl",
    "rosenbrock",
    "saddle",
]

Bounds = tuple[tuple[float, float], ...]


class Surface:
    r"""A loss :math:`J(\theta)` with its exact gradient, its minima and a window to draw it in.

    Parameters
    ----------
    name : str
        Short name, e.g. ``"rosenbrock"``.
    formula : str
        :math:`J(\theta)` in LaTeX, for titles and readouts.
    value : callable
        Vectorised :math:`J`: maps an array of shape ``(..., dim)`` to shape ``(...)``.
    gradient : callable
        Vectorised :math:`\nabla J`: maps shape ``(..., dim)`` to ``(..., dim)``.
    minima : array_like, shape (k, dim)
        Every local minimum, the global one(s) first.
    bounds : sequence of (low, high), one per coordinate
        The window figures show.
    start : array_like, shape (dim,)
        A start point that shows the surface's character.
    lr : float
        A learning rate that works from ``start`` (a good default for the explorer).
    saddles : array_like, shape (m, dim), optional
        Saddle points (stationary points that are not minima), if any.

    Attributes
    ----------
    dim : int
        The number of coordinates of :math:`\theta`.
    min_value : float
        :math:`J` at the global minimum.
    """

    def __init__(
        self,
        name: str,
        formula: str,
        value: Callable[[np.ndarray], np.ndarray],
        gradient: Callable[[np.ndarray], np.ndarray],
        minima: np.ndarray,
        bounds: Bounds,
        start: np.ndarray,
        lr: float,
        saddles: np.ndarray | None = None,
    ) -> None:
        self.name, self.formula = name, formula
        self._value, self._gradient = value, gradient
        self.minima = np.atleast_2d(np.asarray(minima, dtype=np.float64))
        self.dim = self.minima.shape[1]
        self.saddles = (
            np.empty((0, self.dim)) if saddles is None else np.atleast_2d(saddles).astype(float)
        )
        self.bounds: Bounds = tuple((float(lo), float(hi)) for lo, hi in bounds)
        self.start = np.asarray(start, dtype=np.float64).reshape(self.dim)
        self.lr = positive_number(lr, "lr")
        self.min_value = float(np.min(self._value(self.minima)))

    def _points(self, theta: object) -> np.ndarray:
        points = np.asarray(theta, dtype=np.float64)
        if points.ndim == 0 or points.shape[-1] != self.dim:
            raise ValueError(
                f"theta must have shape ({self.dim},) or (..., {self.dim}) for the {self.name} "
                f"surface; got shape {points.shape}"
            )
        return points

    def f(self, theta: np.ndarray) -> float | np.ndarray:
        """:math:`J(\\theta)`: a float for one point, an array for many (last axis: coordinates)."""
        value = self._value(self._points(theta))
        return float(value) if np.ndim(value) == 0 else value

    def grad(self, theta: np.ndarray) -> np.ndarray:
        """:math:`\\nabla J(\\theta)`, shaped like ``theta``."""
        return self._gradient(self._points(theta))

    __call__ = f

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``X, Y, Z``: the surface on an ``n`` by ``n`` grid over its bounds (2-D only)."""
        if self.dim != 2:
            raise ValueError(f"grid needs a 2-D surface; {self.name} has dim {self.dim}")
        (x_lo, x_hi), (y_lo, y_hi) = self.bounds
        X, Y = np.meshgrid(np.linspace(x_lo, x_hi, n), np.linspace(y_lo, y_hi, n))
        with np.errstate(over="ignore"):
            Z = self._value(np.stack([X, Y], axis=-1))
        return X, Y, Z

    def nearest(self, theta: np.ndarray) -> tuple[str, np.ndarray, float]:
        """The known stationary point closest to ``theta``: ``(kind, point, distance)``.

        ``kind`` is ``"minimum"`` or ``"saddle"``.
        """
        theta = self._points(theta).reshape(self.dim)
        candidates = [("minimum", m) for m in self.minima] + [("saddle", s) for s in self.saddles]
        distances = [float(np.linalg.norm(theta - point)) for _, point in candidates]
        i = int(np.argmin(distances))
        return candidates[i][0], candidates[i][1], distances[i]

    def __repr__(self) -> str:
        return f"<Surface {self.name}: dim {self.dim}, {len(self.minima)} minima>"


# --- quadratics: the surface gradient descent is solved on exactly ----------------------------


class Quadratic(Surface):
    r"""The quadratic bowl :math:`J(\theta) = \tfrac12 (\theta-\theta^*)^\top A (\theta-\theta^*)`.

    plus a constant :math:`J^*`, the value at the minimum. Its Hessian is the symmetric
    positive definite matrix :math:`A` everywhere. Along each eigenvector of :math:`A`
    (eigenvalue :math:`\lambda_i`) one gradient step multiplies the error
    :math:`\theta - \theta^*` by :math:`1 - \eta\lambda_i`, so everything about gradient
    descent on it is known in closed form:

    - it is stable iff :math:`\eta < 2/L`, with :math:`L = \lambda_{\max}`;
    - the error shrinks by :math:`\rho(\eta) = \max_i |1 - \eta\lambda_i|` per step;
    - the best fixed rate is :math:`\eta^* = 2/(\mu + L)`, with :math:`\mu = \lambda_{\min}`,
      where :math:`\rho = (\kappa - 1)/(\kappa + 1)` and :math:`\kappa = L/\mu`.

    Parameters
    ----------
    hessian : array_like, shape (n, n)
        :math:`A`, symmetric positive definite.
    center : array_like, shape (n,), optional
        The minimum :math:`\theta^*`; the origin by default.
    offset : float, default 0.0
        :math:`J^*`, the value at the minimum.
    name : str, default "quadratic"
    bounds : sequence of (low, high), optional
        The plotting window; by default 3 units around ``center``.
    start : array_like, optional
        The default start point; by default ``center + 2`` in every coordinate.

    Raises
    ------
    ValueError
        If ``hessian`` is not square, not symmetric or not positive definite.

    Examples
    --------
    >>> bowl = Quadratic([[2.0, 0.0], [0.0, 0.5]])
    >>> bowl.L, bowl.mu, bowl.condition_number
    (2.0, 0.5, 4.0)
    >>> bowl.best_lr, round(bowl.rate(bowl.best_lr), 12)   # 2/(mu + L), (kappa - 1)/(kappa + 1)
    (0.8, 0.6)
    """

    def __init__(
        self,
        hessian: np.ndarray,
        center: np.ndarray | None = None,
        offset: float = 0.0,
        name: str = "quadratic",
        bounds: Bounds | None = None,
        start: np.ndarray | None = None,
    ) -> None:
        A = as_float_array(hessian, "hessian", allow_int=True).astype(np.float64)
        if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
            raise ValueError(f"hessian must be a square matrix; got shape {A.shape}")
        if not np.allclose(A, A.T, rtol=1e-12, atol=1e-12 * np.abs(A).max()):
            raise ValueError("hessian must be symmetric")
        eigenvalues, eigenvectors = np.linalg.eigh(A)
        if eigenvalues[0] <= 0:
            raise ValueError(
                f"hessian must be positive definite; smallest eigenvalue {eigenvalues[0]:.3g}"
            )
        n = A.shape[0]
        c = np.zeros(n) if center is None else as_float_array(center, "center", allow_int=True)
        if c.shape != (n,):
            raise ValueError(f"center must have shape ({n},); got {c.shape}")
        c = c.astype(np.float64)
        self.hessian, self.center, self.offset = A, c, float(offset)
        #: Eigenvalues of the Hessian, ascending, and the matching eigenvectors (columns).
        self.eigenvalues, self.eigenvectors = eigenvalues, eigenvectors
        bounds = bounds or tuple((ci - 3.0, ci + 3.0) for ci in c)
        start = c + 2.0 if start is None else start
        super().__init__(
            name=name,
            formula=r"\tfrac12 (\theta-\theta^*)^\top A\,(\theta-\theta^*)",
            value=self._quadratic_value,
            gradient=self._quadratic_gradient,
            minima=c[None, :],
            bounds=bounds,
            start=start,
            lr=2.0 / (eigenvalues[0] + eigenvalues[-1]),
        )

    def _quadratic_value(self, theta: np.ndarray) -> np.ndarray:
        e = theta - self.center
        return 0.5 * np.sum((e @ self.hessian) * e, axis=-1) + self.offset

    def _quadratic_gradient(self, theta: np.ndarray) -> np.ndarray:
        return (theta - self.center) @ self.hessian  # A is symmetric: e A = (A e)^T

    @property
    def L(self) -> float:
        """The largest eigenvalue of the Hessian: the steepest curvature."""
        return float(self.eigenvalues[-1])

    @property
    def mu(self) -> float:
        """The smallest eigenvalue of the Hessian: the flattest curvature."""
        return float(self.eigenvalues[0])

    @property
    def condition_number(self) -> float:
        r""":math:`\kappa = L / \mu \ge 1`."""
        return self.L / self.mu

    @property
    def stable_lr(self) -> float:
        r"""The stability bound :math:`2/L`: gradient descent converges iff :math:`\eta < 2/L`."""
        return 2.0 / self.L

    @property
    def best_lr(self) -> float:
        r"""The best fixed learning rate :math:`\eta^* = 2/(\mu + L)`."""
        return 2.0 / (self.mu + self.L)

    def rate(self, lr: float) -> float:
        r"""The factor :math:`\rho(\eta) = \max_i |1 - \eta\lambda_i|` of the error per step.

        Below 1 the iteration converges, :math:`\|\theta_k - \theta^*\| \le \rho^k
        \|\theta_0 - \theta^*\|`; above 1 it diverges.
        """
        lr = positive_number(lr, "lr")
        return float(np.max(np.abs(1.0 - lr * self.eigenvalues)))

    def loss_gap(self, theta0: np.ndarray, lr: float, steps: int) -> np.ndarray:
        r""":math:`J(\theta_k) - J^*` for :math:`k = 0, \dots,` ``steps``, in closed form.

        With :math:`c_i` the coordinates of :math:`\theta_0 - \theta^*` along the eigenvectors,

        .. math::

            J(\theta_k) - J^* = \tfrac12 \sum_i \lambda_i\, c_i^2\, (1 - \eta\lambda_i)^{2k}.

        This is what gradient descent *will* measure, without running it: a million steps cost
        one vectorised power per eigenvalue.

        Examples
        --------
        >>> bowl = Quadratic([[1.0]])
        >>> bowl.loss_gap([2.0], lr=0.5, steps=3)      # the error halves each step
        array([2.     , 0.5    , 0.125  , 0.03125])
        """
        theta0 = as_float_array(theta0, "theta0", allow_int=True).reshape(-1)
        lr = positive_number(lr, "lr")
        c = self.eigenvectors.T @ (theta0 - self.center)
        k = np.arange(int(steps) + 1)
        gap = np.zeros(k.size)
        for lam, ci in zip(self.eigenvalues, c, strict=True):
            gap += 0.5 * lam * ci**2 * (1.0 - lr * lam) ** (2 * k)
        return gap


def quadratic_bowl(
    condition_number: float = 10.0,
    degrees: float = 30.0,
    L: float = 1.0,
    center: tuple[float, float] = (0.0, 0.0),
) -> Quadratic:
    r"""A 2-D bowl with curvatures :math:`L` and :math:`\mu = L/\kappa`, rotated by ``degrees``.

    The Hessian is :math:`A = R\,\mathrm{diag}(L, \mu)\,R^\top` with :math:`R` the rotation by
    ``degrees``; the long (flat) axis of the ellipses points along :math:`R e_2`. The default
    start lies far out along the flat axis and a little off it, where gradient descent zig-zags.

    Parameters
    ----------
    condition_number : float, default 10
        :math:`\kappa \ge 1`.
    degrees : float, default 30
        The rotation angle of the principal axes, in degrees.
    L : float, default 1
        The largest curvature.
    center : (float, float), default (0, 0)
        The minimum.

    Examples
    --------
    >>> bowl = quadratic_bowl(condition_number=25.0, L=2.0)
    >>> round(bowl.condition_number, 9), round(bowl.stable_lr, 9)
    (25.0, 1.0)
    """
    kappa = positive_number(condition_number, "condition_number")
    if kappa < 1:
        raise ValueError(f"condition_number must be at least 1; got {kappa!r}")
    L = positive_number(L, "L")
    angle = np.deg2rad(float(degrees))
    R = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    A = R @ np.diag([L, L / kappa]) @ R.T
    A = 0.5 * (A + A.T)  # exactly symmetric despite rounding
    c = np.asarray(center, dtype=np.float64)
    bowl = Quadratic(
        A,
        center=c,
        name="quadratic bowl",
        bounds=((c[0] - 2.0, c[0] + 2.0), (c[1] - 2.0, c[1] + 2.0)),
        start=c + R @ np.array([0.35, 1.75]),
    )
    bowl.formula = rf"\tfrac12\,\theta^\top A\,\theta,\ \kappa = {kappa:g}"
    return bowl


def parabola(L: float = 1.0, center: float = 0.0) -> Quadratic:
    r"""The 1-D parabola :math:`J(\theta) = \tfrac{L}{2}(\theta - \theta^*)^2`, curvature :math:`L`.

    One gradient step multiplies :math:`\theta - \theta^*` by :math:`1 - \eta L`.

    Examples
    --------
    >>> p = parabola(L=4.0)
    >>> p.f([1.0]), p.grad([1.0]), p.stable_lr
    (2.0, array([4.]), 0.5)
    """
    L = positive_number(L, "L")
    c = float(center)
    p = Quadratic([[L]], center=[c], name="parabola", bounds=((c - 2.0, c + 2.0),), start=[c + 1.5])
    p.formula = rf"\tfrac{{{L:g}}}{{2}}\,\theta^2"
    return p


# --- non-convex surfaces ----------------------------------------------------------------------


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


def gallery() -> dict[str, Surface]:
    """The book's 2-D surfaces with their default settings, by name (what the explorer offers).

    Examples
    --------
    >>> sorted(gallery())
    ['beale', 'himmelblau', 'plateau', 'quadratic bowl', 'rosenbrock', 'saddle']
    """
    surfaces = [quadratic_bowl(), rosenbrock(), himmelblau(), beale(), saddle(), plateau()]
    return {s.name: s for s in surfaces}
