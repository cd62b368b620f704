r"""Choosing hyperparameters: the learning-rate range test, grid and random search (Chapter 7).

- :func:`lr_range_test` trains for a short run while the learning rate grows exponentially
  from tiny to huge, records the (smoothed) loss, stops when it blows up, and suggests a
  rate (Smith, 2017).
- :func:`grid_search` and :func:`random_search` run an *objective* — any function of a dict
  of hyperparameters that returns a score — on a grid or on random draws from a search
  space of :class:`Range` objects, and return a :class:`SearchResult` (Bergstra & Bengio,
  2012).
- :func:`one_important` is a toy objective of two hyperparameters of which only one
  matters: the situation in which random search beats a grid.

>>> space = {"lr": log_uniform(1e-4, 1.0), "l2": log_uniform(1e-6, 1e-2)}
>>> result = random_search(lambda p: (np.log10(p["lr"]) + 2) ** 2, space, trials=20, seed=0)
>>> len(result.scores), bool(0.002 < result.best["lr"] < 0.05)
(20, True)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._fit_parts import loss_and_gradient as _loss_and_gradient
from ._search import Range, SearchResult, grid_search, log_uniform, random_search, uniform
from ._validate import finite_nonnegative_number, positive_int, positive_number
from .data import _endless
from .losses import softmax_cross_entropy
from .optim import SGD
from .schedules import set_lr

__all__ = [
    "Range",
    "RangeTest",
    "SearchResult",
    "grid_search",
    "log_uniform",
    "lr_range_test",
    "one_important",
    "random_search",
    "uniform",
]

Seed = int | np.random.Generator | None


# --- the learning-rate range test --------------------------------------------------------------


@dataclass(frozen=True)
class RangeTest:
    r"""What :func:`lr_range_test` recorded: one entry per step taken.

    Attributes
    ----------
    lrs : numpy.ndarray
        The learning rate of each step, growing exponentially.
    losses : numpy.ndarray
        The loss of each step's mini-batch, computed just before the step with ``lrs[k]``.
    smoothed : numpy.ndarray
        The bias-corrected exponentially weighted average of ``losses`` (Chapter 5's EWMA with
        Adam's correction): :math:`a_k = \beta a_{k-1} + (1 - \beta)\,\ell_k`,
        :math:`\bar\ell_k = a_k / (1 - \beta^{k+1})`.
    status : {"diverged", "completed"}
        ``"diverged"`` if the smoothed loss rose above ``diverge`` times its minimum (or the
        loss stopped being finite) before ``max_lr`` was reached.
    message : str
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    status: str
    message: str

    @property
    def min_loss_lr(self) -> float:
        """The learning rate at which the smoothed loss was lowest."""
        return float(self.lrs[np.argmin(self.smoothed)])

    @property
    def suggestion(self) -> float:
        r"""The suggested learning rate: a tenth of :attr:`min_loss_lr`.

        At the minimum of the smoothed loss the rate is already at the edge: a few steps
        later the loss turns up. One order of magnitude below it, the rate is still large —
        training is fast — but safely away from that edge. (This is the ``lr_min`` rule of
        the fastai library. Another common rule takes the rate where the smoothed loss falls
        fastest; on a short, noisy test it is less stable.)
        """
        return self.min_loss_lr / 10

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"


def lr_range_test(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    optimizer: Callable[[list[np.ndarray]], Any] = SGD,
    loss: Callable = softmax_cross_entropy,
    min_lr: float = 1e-5,
    max_lr: float = 10.0,
    steps: int = 100,
    batch_size: int = 32,
    l2: float = 0.0,
    smoothing: float = 0.9,
    diverge: float = 4.0,
    seed: Seed = None,
) -> RangeTest:
    r"""The learning-rate range test: train briefly while the rate grows from tiny to huge.

    Step :math:`k = 0, \dots, K-1` uses the rate

    .. math::

        \eta_k = \eta_{\min} \left(\frac{\eta_{\max}}{\eta_{\min}}\right)^{k/(K-1)},

    a straight line on a log axis. At first :math:`\eta_k` is too small to change anything and
    the loss stays flat; then it starts to fall; then the steps become too large and the loss
    shoots up. The test records every mini-batch loss, smooths it with a bias-corrected
    exponentially weighted average (decay ``smoothing``), and stops as soon as the smoothed
    loss exceeds ``diverge`` times its lowest value. The result suggests a rate
    (:attr:`RangeTest.suggestion`: a tenth of the rate at the lowest smoothed loss). Smith
    (2017) introduced the test, with a linear ramp, to find the bounds of a cyclical schedule;
    the exponential ramp and the smoothing are the common form today.

    One run costs ``steps`` mini-batch steps — a fraction of an epoch's budget on large data.
    The model's weights are restored at the end, so the same model can then be trained.

    Parameters
    ----------
    model : Layer
        Has ``forward``, ``backward``, ``params`` and ``grads`` (see :mod:`companion.layers`).
    X, y : array_like
        The training examples.
    optimizer : callable, default SGD
        Builds the optimizer from the parameter list, e.g.
        ``functools.partial(SGD, momentum=0.9)``; it needs ``param_groups`` (its own ``lr`` is
        replaced at every step).
    loss : callable, default softmax_cross_entropy
        ``loss(outputs, targets) -> (value, d value / d outputs)``.
    min_lr, max_lr : float, default 1e-5 and 10
        The first and the last rate, :math:`0 < \eta_{\min} < \eta_{\max}`.
    steps : int, default 100
        :math:`K \ge 2`, the most steps taken.
    batch_size : int, default 32
    l2 : float, default 0
        :math:`\lambda_2`, added to the weights' gradients as in
        :func:`companion.training.fit` (the recorded loss is the data loss alone).
    smoothing : float, default 0.9
        :math:`\beta \in [0, 1)`; 0 records the raw losses. The average remembers about
        :math:`1/(1 - \beta)` steps and lags that far behind the raw losses: keep it a small
        fraction of ``steps``, or the minimum shifts towards larger rates.
    diverge : float, default 4
        Stop when the smoothed loss exceeds this multiple (> 1) of its minimum so far.
    seed : int or numpy.random.Generator, optional
        Decides the order of the examples.

    Returns
    -------
    RangeTest

    Examples
    --------
    >>> from companion.data import blobs
    >>> from companion.layers import mlp
    >>> X, y = blobs(100, centers=3, seed=0)
    >>> model = mlp([2, 16, 3], seed=0)
    >>> before = model.params[0].copy()
    >>> test = lr_range_test(model, X, y, min_lr=1e-4, max_lr=100.0, steps=200, seed=0)
    >>> test.status, bool(np.array_equal(model.params[0], before))   # weights restored
    ('diverged', True)
    >>> bool(test.lrs[0] < test.suggestion < test.min_loss_lr < test.lrs[-1])
    True
    """
    min_lr, max_lr = positive_number(min_lr, "min_lr"), positive_number(max_lr, "max_lr")
    if min_lr >= max_lr:
        raise ValueError(f"min_lr must be below max_lr; got {min_lr!r} and {max_lr!r}")
    steps, batch_size = positive_int(steps, "steps"), positive_int(batch_size, "batch_size")
    if steps < 2:
        raise ValueError(f"steps must be at least 2; got {steps}")
    l2 = finite_nonnegative_number(l2, "l2")
    if not (isinstance(smoothing, numbers.Real) and 0 <= smoothing < 1):
        raise ValueError(f"smoothing must be a number in [0, 1); got {smoothing!r}")
    if not (isinstance(diverge, numbers.Real) and diverge > 1):
        raise ValueError(f"diverge must be a number above 1; got {diverge!r}")
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or len(X) == 0 or len(X) != len(y):
        raise ValueError(f"X and y must have the same, non-zero number of rows; got {X.shape}")
    params, grads = model.params, model.grads
    opt = optimizer(params)
    if getattr(opt, "param_groups", None) is None:
        raise TypeError(f"optimizer must build an optimizer with param_groups; got {opt!r}")

    rng = np.random.default_rng(seed)
    rates = min_lr * (max_lr / min_lr) ** (np.arange(steps) / (steps - 1))
    saved = [p.copy() for p in params]
    lrs, losses, smoothed = [], [], []
    average, best = 0.0, math.inf
    status, message = "completed", f"reached max_lr = {max_lr:g} without diverging"
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for k, (lr, (X_batch, y_batch)) in enumerate(
                zip(rates, _endless(X, y, batch_size, rng), strict=False)
            ):
                result = _loss_and_gradient(model, loss, X_batch, y_batch, l2=l2)
                if result is None:
                    status, message = "diverged", f"the loss stopped being finite at lr = {lr:.3g}"
                    break
                value = result[0]
                average = smoothing * average + (1 - smoothing) * value
                smooth = average / (1 - smoothing ** (k + 1))  # the bias correction
                lrs.append(lr), losses.append(value), smoothed.append(smooth)
                if smooth > diverge * best:
                    status = "diverged"
                    message = f"the smoothed loss passed {diverge:g}x its minimum at lr = {lr:.3g}"
                    break
                best = min(best, smooth)
                set_lr(opt, lr)
                opt.step(grads)
    finally:
        for p, s in zip(params, saved, strict=True):
            p[...] = s
    if not lrs:
        raise ValueError(f"the loss was not finite at the first step (lr = {min_lr:g})")
    return RangeTest(np.array(lrs), np.array(losses), np.array(smoothed), status, message)


# --- a toy objective where one hyperparameter matters -----------------------------------------


def one_important(
    important: float | np.ndarray,
    unimportant: float | np.ndarray,
    peak: float = 0.37,
    width: float = 0.06,
) -> float | np.ndarray:
    r"""A score (higher is better) of two hyperparameters in :math:`[0, 1]`, of which only the
    first matters much:

    .. math::

        f(x, y) = g(x) + 0.1\,h(y), \qquad
        g(x) = \exp\!\Bigl(-\frac{(x - p)^2}{2 w^2}\Bigr), \qquad
        h(y) = 1 - (y - \tfrac12)^2,

    a narrow bump of width :math:`w` at :math:`x = p` in the important direction, and a
    gentle hump in the unimportant one. Bergstra & Bengio (2012, Figure 1) drew this
    situation to explain why random search finds good settings that a grid misses. The
    function is vectorized (it draws its own contour plot).

    Examples
    --------
    >>> round(one_important(0.37, 0.5), 3), round(one_important(0.5, 0.5), 3)
    (1.1, 0.196)
    """
    x, y = np.asarray(important, dtype=np.float64), np.asarray(unimportant, dtype=np.float64)
    value = np.exp(-((x - peak) ** 2) / (2 * width**2)) + 0.1 * (1 - (y - 0.5) ** 2)
    return float(value) if value.ndim == 0 else value
