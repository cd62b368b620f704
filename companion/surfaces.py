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

import numpy as np

from ._nonconvex import (  # noqa: F401 (HIMMELBLAU_MINIMA: re-exported)
    HIMMELBLAU_MINIMA,
    beale,
    double_well,
    himmelblau,
    plateau,
    rosenbrock,
    saddle,
)
from ._surface import Bounds, Surface
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


def gallery() -> dict[str, Surface]:
    """The book's 2-D surfaces with their default settings, by name (what the explorer offers).

    Examples
    --------
    >>> sorted(gallery())
    ['beale', 'himmelblau', 'plateau', 'quadratic bowl', 'rosenbrock', 'saddle']
    """
    surfaces = [quadratic_bowl(), rosenbrock(), himmelblau(), beale(), saddle(), plateau()]
    return {s.name: s for s in surfaces}
