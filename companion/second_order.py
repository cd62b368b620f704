r"""Beyond first order: Newton's method and conjugate gradient, on quadratics (Chapter 8).

Gradient descent uses the slope; second-order methods also use the curvature, the Hessian
:math:`H = \nabla^2 J`. On a quadratic

.. math::

    J(\theta) = \tfrac12 (\theta - \theta^*)^\top A\, (\theta - \theta^*) + J^*,
    \qquad \nabla J(\theta) = A(\theta - \theta^*), \qquad H = A,

- :func:`newton` takes the step :math:`-H^{-1}\nabla J` (:func:`newton_step`) and lands on
  the minimum in **one step**, whatever the condition number — but it needs the whole
  :math:`n \times n` Hessian and a linear solve, :math:`O(n^2)` memory and :math:`O(n^3)`
  work;
- :func:`conjugate_gradient` never forms :math:`H`: it only multiplies it by vectors (a
  *Hessian-vector product*, as cheap as a couple of gradients, see
  :func:`hessian_vector_product`) and reaches the minimum of an :math:`n`-dimensional
  quadratic in at most :math:`n` steps, in exact arithmetic.

Both return a :class:`companion.descent.DescentResult`, like every first-order method of the
book, so their paths and losses plot side by side. :func:`random_quadratic` makes the
ill-conditioned test problem.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable

import numpy as np

from ._validate import as_float_array, as_rng, is_finite_float_array, positive_number
from .descent import DescentResult, descend
from .surfaces import Quadratic

__all__ = [
    "conjugate_gradient",
    "hessian_vector_product",
    "newton",
    "newton_step",
    "random_quadratic",
]


def newton_step(gradient: np.ndarray, hessian: np.ndarray) -> np.ndarray:
    r"""Newton's step :math:`\Delta = -H^{-1} g`: the minimizer of the local quadratic model.

    Around :math:`\theta`, Taylor's formula to second order gives the model

    .. math::

        J(\theta + \Delta) \approx J(\theta) + g^\top \Delta + \tfrac12 \Delta^\top H \Delta,

    whose gradient in :math:`\Delta` is :math:`g + H\Delta`; it vanishes at
    :math:`\Delta = -H^{-1} g`. The step is computed by solving :math:`H\Delta = -g` (a
    Cholesky factorization, :math:`\approx n^3/3` multiply-adds), never by inverting
    :math:`H`.

    Parameters
    ----------
    gradient : array_like of float, shape (n,)
        :math:`g = \nabla J(\theta)`.
    hessian : array_like of float, shape (n, n)
        :math:`H = \nabla^2 J(\theta)`, symmetric positive definite.

    Returns
    -------
    numpy.ndarray, shape (n,)
        :math:`\Delta`.

    Raises
    ------
    ValueError
        If the shapes do not fit, or :math:`H` is not symmetric positive definite (then the
        model has no minimum and :math:`-H^{-1}g` need not even point downhill).

    Examples
    --------
    >>> newton_step([2.0, -1.0], [[4.0, 0.0], [0.0, 0.5]])   # each coordinate: -g_i / h_i
    array([-0.5,  2. ])
    """
    g = as_float_array(gradient, "gradient", allow_int=True).astype(np.float64)
    H = as_float_array(hessian, "hessian", allow_int=True).astype(np.float64)
    if g.ndim != 1 or H.shape != (g.size, g.size):
        raise ValueError(
            f"gradient must have shape (n,) and hessian (n, n); got {g.shape} and {H.shape}"
        )
    if not np.allclose(H, H.T, rtol=1e-10, atol=1e-12 * max(1.0, float(np.abs(H).max()))):
        raise ValueError("hessian must be symmetric")
    try:
        factor = np.linalg.cholesky(H)  # H = C C^T
    except np.linalg.LinAlgError:
        raise ValueError(
            "hessian must be positive definite: otherwise the quadratic model has no minimum "
            "and Newton's step need not point downhill"
        ) from None
    return -np.linalg.solve(factor.T, np.linalg.solve(factor, g))  # solve C C^T Δ = -g


def newton(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    hessian: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    steps: int = 50,
    tol: float = 1e-8,
) -> DescentResult:
    r"""Newton's method: :math:`\theta \leftarrow \theta - H(\theta)^{-1} \nabla J(\theta)`.

    On a quadratic the local model *is* the function, so one step lands on the minimum. On
    other functions, near a minimum with a positive definite Hessian, the error is squared at
    every step (*quadratic convergence*; Nocedal & Wright, 2006, ch. 3); far from it the step can
    overshoot, which practical versions guard against with a line search or a trust region.
    There is no learning rate.

    Parameters
    ----------
    f, grad, hessian : callable
        :math:`J`, :math:`\nabla J` and :math:`\nabla^2 J`, functions of ``theta``.
    x0 : array_like of float, shape (n,)
        The start. Never modified.
    steps : int, default 50
        The step budget.
    tol : float, default 1e-8
        Stop when :math:`\lVert\nabla J\rVert \le` ``tol``.

    Returns
    -------
    companion.descent.DescentResult
        Its ``lr`` is NaN: Newton's method has none.

    Raises
    ------
    ValueError
        As :func:`newton_step`, if a Hessian on the way is not positive definite.

    Examples
    --------
    >>> bowl = Quadratic([[100.0, 0.0], [0.0, 1.0]], center=[1.0, -1.0])   # kappa = 100
    >>> run = newton(bowl.f, bowl.grad, lambda t: bowl.hessian, [5.0, 5.0])
    >>> run.steps, run.status, run.x
    (1, 'converged', array([ 1., -1.]))
    """
    if not callable(hessian):
        raise TypeError(f"hessian must be a function of theta; got {hessian!r}")
    return _iterate(
        f,
        grad,
        x0,
        steps,
        tol,
        lambda theta, g: theta + newton_step(g, hessian(theta)),
        "Newton",
    )


def hessian_vector_product(
    grad: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    v: np.ndarray,
    h: float = 1e-5,
) -> np.ndarray:
    r"""The Hessian times a vector, :math:`H(\theta)\,v`, from two gradients — no Hessian.

    :math:`Hv` is the directional derivative of the gradient along :math:`v`, so Chapter 1's
    central difference gives it:

    .. math::

        H(\theta)\, v \approx
        \frac{\nabla J(\theta + \epsilon v) - \nabla J(\theta - \epsilon v)}{2\epsilon},
        \qquad \epsilon = h / \lVert v \rVert .

    It costs two gradient evaluations and :math:`O(n)` memory, for any :math:`n`. The error
    is :math:`O(\epsilon^2)` plus round-off; on a quadratic the gradient is linear and the
    difference is exact up to round-off. (Automatic differentiation computes :math:`Hv`
    exactly at a similar cost: Pearlmutter's trick, 1994.)

    Parameters
    ----------
    grad : callable
        :math:`\nabla J`.
    theta, v : array_like of float, shape (n,)
    h : float, default 1e-5
        The step length :math:`\epsilon \lVert v\rVert` in parameter space.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Examples
    --------
    >>> A = np.array([[3.0, 1.0], [1.0, 2.0]])
    >>> hv = hessian_vector_product(lambda t: A @ t, np.zeros(2), np.array([1.0, -1.0]))
    >>> np.round(hv, 8)                                      # A @ [1, -1]
    array([ 2., -1.])
    """
    if not callable(grad):
        raise TypeError(f"grad must be a function of theta; got {grad!r}")
    theta = as_float_array(theta, "theta", allow_int=True).astype(np.float64)
    v = as_float_array(v, "v", allow_int=True).astype(np.float64)
    if v.shape != theta.shape:
        raise ValueError(f"v must have the shape of theta {theta.shape}; got {v.shape}")
    h = positive_number(h, "h")
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        return np.zeros_like(theta)
    eps = h / norm
    plus, minus = grad(theta + eps * v), grad(theta - eps * v)
    for value in (plus, minus):
        if not is_finite_float_array(value) or value.shape != theta.shape:
            raise ValueError(
                f"grad must return a finite float array shaped like theta {theta.shape}; got "
                f"{type(value).__name__} {np.shape(value) if value is not None else ''}"
            )
    return (plus.astype(np.float64) - minus) / (2.0 * eps)


def conjugate_gradient(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    hvp: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x0: np.ndarray,
    steps: int | None = None,
    tol: float = 1e-8,
) -> DescentResult:
    r"""The conjugate gradient method (Hestenes & Stiefel, 1952), matrix-free.

    Starting from :math:`d_0 = -g_0` (with :math:`g_k = \nabla J(\theta_k)`), each step goes
    to the minimum of :math:`J` along the current direction and then mixes the new
    gradient with the old direction:

    .. math::

        \alpha_k = -\frac{g_k^\top d_k}{d_k^\top H d_k}, \qquad
        \theta_{k+1} = \theta_k + \alpha_k d_k, \qquad
        \beta_k = \frac{g_{k+1}^\top g_{k+1}}{g_k^\top g_k}, \qquad
        d_{k+1} = -g_{k+1} + \beta_k d_k .

    On a quadratic with Hessian :math:`A` the directions are *conjugate*,
    :math:`d_i^\top A d_j = 0` for :math:`i \ne j`: minimizing along one never undoes the
    progress along the earlier ones, so after :math:`n` steps :math:`J` is minimized over
    all of :math:`\mathbb R^n`: the exact minimum in at most :math:`n` steps, in exact
    arithmetic. (In floating point, rounding slowly erodes the conjugacy, and a badly
    conditioned problem may need a few more.) Before that, the error
    :math:`\lVert\theta_k - \theta^*\rVert_A` falls at least like
    :math:`2\big((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\big)^k` times its initial value, the
    rate of momentum at its best (Nocedal & Wright, 2006, ch. 5). :math:`H` appears only in
    the product :math:`H d_k`, so it is never formed.

    Parameters
    ----------
    f, grad : callable
        :math:`J` and :math:`\nabla J`.
    hvp : callable
        ``hvp(theta, v)`` returns :math:`H(\theta)\, v`: ``lambda theta, v: A @ v`` for a
        quadratic, or ``functools.partial(hessian_vector_product, grad)`` for anything.
    x0 : array_like of float, shape (n,)
        The start. Never modified.
    steps : int, optional
        The step budget; :math:`n` by default.
    tol : float, default 1e-8
        Stop when :math:`\lVert\nabla J\rVert \le` ``tol``.

    Returns
    -------
    companion.descent.DescentResult
        Its ``lr`` is NaN: the step length :math:`\alpha_k` is computed, not chosen.

    Raises
    ------
    ValueError
        If the curvature :math:`d_k^\top H d_k` along a direction is not positive (the
        Hessian is not positive definite there, and the line minimum does not exist).

    Examples
    --------
    >>> bowl = Quadratic(np.diag([1.0, 10.0, 100.0]), center=[1.0, 2.0, 3.0])
    >>> run = conjugate_gradient(bowl.f, bowl.grad, lambda t, v: bowl.hessian @ v, np.zeros(3))
    >>> run.steps, bool(np.allclose(run.x, [1.0, 2.0, 3.0]))     # n = 3 steps
    (3, True)
    """
    if not callable(hvp):
        raise TypeError(f"hvp must be a function hvp(theta, v) -> H v; got {hvp!r}")
    x0 = as_float_array(x0, "x0", allow_int=True).astype(np.float64)
    if x0.size == 0:
        raise ValueError(f"x0 must have at least one coordinate; got shape {x0.shape}")
    if steps is None:
        steps = x0.size
    memory: dict[str, np.ndarray] = {}  # the previous gradient and direction

    def update(theta: np.ndarray, g: np.ndarray) -> np.ndarray:
        if "d" in memory:
            beta = float(g @ g) / float(memory["g"] @ memory["g"])  # Fletcher-Reeves form
            d = -g + beta * memory["d"]
        else:
            d = -g  # the first direction: steepest descent
        curvature = float(d @ np.asarray(hvp(theta, d), dtype=np.float64))
        if not curvature > 0:
            raise ValueError(
                f"the curvature along the search direction is {curvature:.3g}, not positive: "
                "conjugate gradient needs a positive definite Hessian"
            )
        alpha = -float(g @ d) / curvature  # the exact minimum along d, for a quadratic
        memory["g"], memory["d"] = g, d
        return theta + alpha * d

    return _iterate(f, grad, x0, steps, tol, update, "conjugate gradient")


def random_quadratic(
    n: int = 100,
    condition_number: float = 1000.0,
    seed: int | np.random.Generator | None = 0,
) -> Quadratic:
    r"""An :math:`n`-dimensional quadratic bowl with a chosen condition number and random axes.

    The Hessian is :math:`A = Q\,\mathrm{diag}(\lambda_1, \dots, \lambda_n)\,Q^\top`, with
    eigenvalues spaced evenly on a log scale from :math:`\mu = 1/\kappa` to :math:`L = 1`
    and a random rotation :math:`Q`; the minimum :math:`\theta^*` is random with unit-size
    entries, and the default start (``.start``) is the origin.

    Parameters
    ----------
    n : int, default 100
        The dimension, at least 2.
    condition_number : float, default 1000
        :math:`\kappa \ge 1`.
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    companion.surfaces.Quadratic

    Examples
    --------
    >>> bowl = random_quadratic(n=20, condition_number=50.0, seed=1)
    >>> bowl.hessian.shape, round(bowl.condition_number, 6), bowl.start[:3]
    ((20, 20), 50.0, array([0., 0., 0.]))
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise ValueError(f"n must be an integer of at least 2 (two curvatures); got {n!r}")
    kappa = positive_number(condition_number, "condition_number")
    if kappa < 1:
        raise ValueError(f"condition_number must be at least 1; got {kappa!r}")
    rng = as_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    eigenvalues = np.geomspace(1.0 / kappa, 1.0, int(n))
    A = (Q * eigenvalues) @ Q.T
    A = 0.5 * (A + A.T)  # exactly symmetric despite rounding
    center = rng.standard_normal(int(n))
    bowl = Quadratic(A, center=center, name=f"random quadratic, n = {n}", start=np.zeros(n))
    bowl.formula = rf"\tfrac12 (\theta-\theta^*)^\top A\,(\theta-\theta^*),\ \kappa = {kappa:g}"
    return bowl


def _iterate(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    steps: int,
    tol: float,
    update: Callable[[np.ndarray, np.ndarray], np.ndarray],
    method: str,
) -> DescentResult:
    """The loop shared by both methods: :func:`companion.descent.descend` with their update,
    on ``x0`` flattened to a float64 vector, each message naming the method."""
    theta = as_float_array(x0, "x0", allow_int=True).astype(np.float64).reshape(-1)
    result = descend(f, grad, theta, update, steps, tol=tol)
    return dataclasses.replace(result, message=f"{method}: {result.message}")
