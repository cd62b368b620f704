r"""Gradient descent: the loop every chapter builds on (Chapter 2).

The whole algorithm is one line repeated,

.. math::

    \theta_{k+1} = \theta_k - \eta\, \nabla J(\theta_k),

plus the decisions around it: when to stop, and what to do when the loss blows up.
:func:`gradient_descent` makes those decisions explicit and records everything a figure or
a test needs: the path, the losses, the gradient norms, and why the run ended. The loop itself
is :func:`descend`, which every other method (momentum, Adam, … in :mod:`companion.optim`)
reuses with its own update.

The Python loop over steps is deliberate: it *is* the algorithm.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validate import as_float_array, nonnegative_number, positive_number

__all__ = ["STATUSES", "DescentResult", "descend", "gradient_descent", "linear_rate"]

#: How a run can end: the gradient (or the loss change) became small, the step budget ran
#: out, or the loss became non-finite or exploded.
STATUSES = ("converged", "max_steps", "diverged")


@dataclass(frozen=True)
class DescentResult:
    r"""What a gradient-descent run did.

    Attributes
    ----------
    x : numpy.ndarray
        The final point :math:`\theta` (the last finite one if the run diverged).
    path : numpy.ndarray, shape ``(steps + 1, *x.shape)``
        Every point visited, the start included. Always finite.
    losses : numpy.ndarray, shape (steps + 1,)
        :math:`J` at every point of ``path``. Always finite.
    grad_norms : numpy.ndarray, shape (steps + 1,)
        :math:`\|\nabla J\|` at every point of ``path``.
    status : {"converged", "max_steps", "diverged"}
        Why the run stopped.
    message : str
        The same, in words, with the numbers that decided it.
    lr : float
        The learning rate :math:`\eta` used.
    """

    x: np.ndarray
    path: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    status: str
    message: str
    lr: float

    @property
    def steps(self) -> int:
        """The number of updates recorded (``len(path) - 1``)."""
        return len(self.path) - 1

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"

    def __str__(self) -> str:
        return (
            f"{self.status} after {self.steps} steps: J = {self.losses[-1]:.6g}, "
            f"|grad J| = {self.grad_norms[-1]:.3g} ({self.message})"
        )


def _check_callable(value: object, name: str) -> Callable:
    if not callable(value):
        raise TypeError(
            f"{name} must be callable (a function of theta); got {type(value).__name__}"
        )
    return value


def gradient_descent(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    lr: float,
    steps: int,
    tol: float = 1e-6,
    loss_tol: float | None = None,
    blowup: float = 1e6,
) -> DescentResult:
    r"""Minimise :math:`J` by gradient descent with a fixed learning rate.

    Repeats :math:`\theta \leftarrow \theta - \eta\,\nabla J(\theta)` from ``x0`` and stops at
    the first of:

    - **converged**: :math:`\|\nabla J(\theta)\| \le` ``tol`` (a stationary point: a minimum,
      but possibly a saddle or a plateau), or the loss changed by at most ``loss_tol`` in
      one step;
    - **diverged**: the loss, the point or the gradient is not finite, or the loss exceeds
      :math:`J(\theta_0) + \text{blowup}\,(1 + |J(\theta_0)|)`. The run stops *without*
      raising, and the non-finite point is not recorded: a plot never shows a NaN;
    - **max_steps**: ``steps`` updates were made.

    Parameters
    ----------
    f : callable
        The loss :math:`J`: maps ``theta`` (shaped like ``x0``) to a real number.
    grad : callable
        Its gradient :math:`\nabla J`: maps ``theta`` to an array shaped like ``theta``.
    x0 : array_like of float
        The start :math:`\theta_0`, of any shape. Never modified.
    lr : float
        The learning rate :math:`\eta > 0`.
    steps : int
        The step budget (a non-negative integer).
    tol : float, default 1e-6
        Stop when the gradient norm is at most this; 0 never stops on the gradient.
    loss_tol : float, optional
        Also stop when one step changes the loss by at most this.
    blowup : float, default 1e6
        How far the loss may rise above its start, in units of :math:`1 + |J(\theta_0)|`,
        before the run counts as diverged.

    Returns
    -------
    DescentResult

    Raises
    ------
    TypeError
        If ``f`` or ``grad`` is not callable, or ``x0`` is not floating point.
    ValueError
        If ``x0`` is not finite, ``lr`` or ``blowup`` is not positive, ``steps`` is not a
        non-negative integer, ``tol`` or ``loss_tol`` is negative, ``grad(x0)`` has the wrong
        shape, or the loss at ``x0`` is not finite (a bad start is an error, not a divergence).

    Examples
    --------
    >>> import numpy as np
    >>> J = lambda t: float(np.sum(t**2))          # J = ||theta||^2, minimum at 0
    >>> dJ = lambda t: 2 * t
    >>> run = gradient_descent(J, dJ, np.array([1.0, -2.0]), lr=0.25, steps=100)
    >>> run.status, run.steps, bool(np.abs(run.x).max() < 1e-6)
    ('converged', 23, True)
    >>> gradient_descent(J, dJ, np.array([1.0, -2.0]), lr=1.5, steps=100).status
    'diverged'
    """
    x0 = as_float_array(x0, "x0")
    lr = positive_number(lr, "lr")

    def update(theta: np.ndarray, g: np.ndarray) -> np.ndarray:
        return theta - lr * g  # the update: one step against the gradient

    return descend(f, grad, x0, update, steps, tol=tol, loss_tol=loss_tol, blowup=blowup, lr=lr)


def descend(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    update: Callable[[np.ndarray, np.ndarray], np.ndarray],
    steps: int,
    *,
    tol: float = 1e-6,
    loss_tol: float | None = None,
    blowup: float = 1e6,
    lr: float = float("nan"),
) -> DescentResult:
    r"""The loop of every descent method: repeat ``theta = update(theta, grad(theta))``.

    :func:`gradient_descent` passes the update :math:`\theta - \eta \nabla J(\theta)`;
    :func:`companion.optim.minimize` passes one step of any optimizer. The loop around it —
    when to stop, how to report a divergence, what to record — is the same for all of them
    and is described in :func:`gradient_descent`.

    Parameters
    ----------
    f, grad, x0, steps, tol, loss_tol, blowup
        As for :func:`gradient_descent` (``x0`` may be given as integers here).
    update : callable
        ``update(theta, g)`` returns the next point as a *new* array (it is recorded in the
        path); ``g`` is :math:`\nabla J(\theta)`.
    lr : float, optional
        The learning rate to record in the result.

    Returns
    -------
    DescentResult

    Examples
    --------
    >>> halve = lambda theta, g: theta / 2          # not a gradient step: any update will do
    >>> run = descend(lambda t: float(t @ t), lambda t: 2 * t, [1.0, 1.0], halve, steps=100)
    >>> run.status, run.steps                       # |grad| = 2.83 / 2**k <= 1e-6 at k = 22
    ('converged', 22)
    """
    f = _check_callable(f, "f")
    grad = _check_callable(grad, "grad")
    update = _check_callable(update, "update")
    x0 = as_float_array(x0, "x0", allow_int=True)
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer; got {steps!r}")
    tol = nonnegative_number(tol, "tol")
    loss_tol = None if loss_tol is None else nonnegative_number(loss_tol, "loss_tol")
    blowup = positive_number(blowup, "blowup")

    theta = x0.copy()
    loss, g = _loss_at(f, theta), _gradient_at(grad, theta)
    if not (np.isfinite(loss) and np.all(np.isfinite(g))):
        raise ValueError(f"the loss or its gradient is not finite at x0 (J(x0) = {loss})")
    limit = loss + blowup * (1.0 + abs(loss))

    path, losses, norms = [theta], [loss], [float(np.linalg.norm(g))]
    status, message = "max_steps", f"the budget of {steps} steps ran out"
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported, not warned
        for k in range(1, steps + 1):
            if norms[-1] <= tol:
                break
            theta = _next_point(update, theta, g)
            loss, g = _loss_at(f, theta), _gradient_at(grad, theta)
            if not (np.isfinite(loss) and np.all(np.isfinite(theta)) and np.all(np.isfinite(g))):
                status = "diverged"
                message = f"the loss became non-finite at step {k}"
                break
            path.append(theta)
            losses.append(loss)
            norms.append(float(np.linalg.norm(g)))
            if loss > limit:
                status = "diverged"
                message = f"the loss rose from {losses[0]:.3g} to {loss:.3g} by step {k}"
                break
            if loss_tol is not None and abs(losses[-2] - loss) <= loss_tol:
                status = "converged"
                message = f"the loss changed by at most loss_tol = {loss_tol:g} at step {k}"
                break
    if status == "max_steps" and norms[-1] <= tol:
        status = "converged"
        message = f"the gradient norm {norms[-1]:.3g} is at most tol = {tol:g}"

    return DescentResult(
        x=path[-1],
        path=np.array(path),
        losses=np.array(losses),
        grad_norms=np.array(norms),
        status=status,
        message=message,
        lr=lr,
    )


def _loss_at(f: Callable, theta: np.ndarray) -> float:
    """``f(theta)`` as a float, or a TypeError saying what ``f`` returned instead."""
    value = f(theta)
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        raise TypeError(f"f must return a real number; got {type(value).__name__} {value!r:.60}")
    return float(value)


def _gradient_at(grad: Callable, theta: np.ndarray) -> np.ndarray:
    """``grad(theta)`` as an array shaped like ``theta``, or a named error."""
    value = grad(theta)
    try:
        g = np.asarray(value, dtype=theta.dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"grad must return an array of numbers; got {type(value).__name__} {value!r:.60}"
        ) from error
    if g.shape != theta.shape:
        raise ValueError(f"grad must return an array shaped like x0 {theta.shape}; got {g.shape}")
    return g


def _next_point(update: Callable, theta: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``update(theta, g)``, which must be a new point: an array shaped like ``theta``."""
    new = update(theta, g)
    if not isinstance(new, np.ndarray) or new.shape != theta.shape:
        shape = getattr(new, "shape", None)
        raise TypeError(
            f"update must return the next point, an array shaped like x0 {theta.shape}; got "
            f"{type(new).__name__}" + (f" of shape {shape}" if shape is not None else "")
        )
    return new


def linear_rate(errors: np.ndarray, tail: float = 0.5) -> float:
    r"""The per-step factor :math:`\rho` of a sequence that shrinks (or grows) like :math:`C\rho^k`.

    It is :math:`e^s`, with :math:`s` the least-squares slope of :math:`\log e_k` against
    :math:`k` over the last ``tail`` fraction of the positive, finite entries — where the
    slowest mode dominates. A straight line on a log-scale loss plot is exactly this.

    Parameters
    ----------
    errors : array_like of float
        E.g. :math:`\|\theta_k - \theta^*\|` or the loss gap :math:`J(\theta_k) - J^*` (whose
        factor is :math:`\rho^2` when the error's is :math:`\rho`).
    tail : float, default 0.5
        The fraction of the sequence to fit, in (0, 1].

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If fewer than two entries are positive and finite.

    Examples
    --------
    >>> round(linear_rate(3.0 * 0.9 ** np.arange(50)), 12)
    0.9
    """
    errors = np.asarray(errors, dtype=np.float64)
    if errors.ndim != 1:
        raise ValueError(f"errors must be a 1-D sequence; got shape {errors.shape}")
    if not 0 < tail <= 1:
        raise ValueError(f"tail must be in (0, 1]; got {tail!r}")
    k = np.arange(errors.size)
    usable = np.isfinite(errors) & (errors > 0)
    k, errors = k[usable], errors[usable]
    if errors.size < 2:
        raise ValueError("linear_rate needs at least two positive, finite errors")
    first = min(int(errors.size * (1 - tail)), errors.size - 2)
    slope = np.polyfit(k[first:], np.log(errors[first:]), 1)[0]
    return float(np.exp(slope))
