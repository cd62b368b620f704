r"""Training with mini-batches: stochastic gradient descent on real models (Chapter 4).

Gradient descent computes :math:`\nabla J` on *all* :math:`n` examples before every step.
Stochastic gradient descent estimates it from a mini-batch :math:`\mathcal B` of
:math:`B` examples,

.. math::

    \theta \leftarrow \theta - \eta\, \hat g, \qquad
    \hat g = \frac{1}{B} \sum_{i \in \mathcal B} \nabla J_i(\theta),

where :math:`J_i` is the loss on example :math:`i`. The estimate is unbiased and its
variance falls like :math:`1/B`; a step costs :math:`B` examples' work instead of :math:`n`.

- :func:`minibatch_sgd` is the loop on one parameter vector, recording the whole path (for
  pictures of the noisy path and for timing);
- :func:`gradient_noise` measures the variance of :math:`\hat g` against :math:`B`;
- :func:`fit` trains a model of :mod:`companion.layers` with any optimizer of
  :mod:`companion.optim` (or anything with a ``step(grads)`` method): epochs of shuffled
  mini-batches, an optional learning-rate schedule (:mod:`companion.schedules`), L2 and L1
  penalties, validation, early stopping that restores the best weights, divergence
  detection and a progress bar; it returns a :class:`History`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import as_float_array, nonnegative_number, positive_int, positive_number
from .data import batch_indices, minibatches, num_batches
from .losses import softmax_cross_entropy
from .optim import SGD
from .schedules import set_lr

__all__ = [
    "STATUSES",
    "GradientNoise",
    "History",
    "SGDRun",
    "accuracy",
    "evaluate",
    "fit",
    "gradient_noise",
    "minibatch_sgd",
    "model_gradient",
    "regularization",
]

#: How :func:`fit` can end: every epoch ran, early stopping stopped it, or the loss blew up.
STATUSES = ("completed", "early_stopped", "diverged")

Loss = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]


# --- SGD on one parameter vector ---------------------------------------------------------------


@dataclass(frozen=True)
class SGDRun:
    r"""What :func:`minibatch_sgd` did.

    Attributes
    ----------
    path : numpy.ndarray, shape (steps + 1, d)
        :math:`\theta` before the first step and after every step. Always finite.
    seconds : numpy.ndarray, shape (steps + 1,)
        Wall-clock time spent in the loop up to each point of ``path`` (0 at the start).
    steps_per_epoch : int
        :math:`\lceil n/B \rceil`.
    status : {"completed", "diverged"}
    message : str
    lr : float
    batch_size : int
    """

    path: np.ndarray
    seconds: np.ndarray
    steps_per_epoch: int
    status: str
    message: str
    lr: float
    batch_size: int

    @property
    def steps(self) -> int:
        return len(self.path) - 1

    @property
    def epochs(self) -> np.ndarray:
        """The epoch count at every point of ``path`` (fractional inside an epoch)."""
        return np.arange(len(self.path)) / self.steps_per_epoch

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"


def minibatch_sgd(
    grad: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    theta0: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    lr: float,
    batch_size: int,
    epochs: int,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    blowup: float = 1e6,
) -> SGDRun:
    r"""Mini-batch stochastic gradient descent on one parameter vector, recording the path.

    Every epoch shuffles the examples and cuts them into :math:`\lceil n/B \rceil` batches
    (:func:`companion.data.minibatches`); every batch gives one step

    .. math::

        \theta \leftarrow \theta - \eta\, \hat g(\theta; \mathcal B).

    ``batch_size=1`` is single-example (online) SGD; ``batch_size=n`` is full-batch gradient
    descent. The run stops early, without raising, if :math:`\theta` stops being finite or
    moves more than ``blowup`` times :math:`1 + \lVert\theta_0\rVert` from its start.

    Parameters
    ----------
    grad : callable
        ``grad(theta, X_batch, y_batch)``: the mean gradient over a batch, shaped like
        ``theta``.
    theta0 : array_like of float, shape (d,)
        The start. Never modified.
    X, y : array_like
        The examples, one row each.
    lr : float
        :math:`\eta > 0`.
    batch_size : int
        :math:`B`.
    epochs : int
        Passes over the data.
    shuffle : bool, default True
    seed : int or numpy.random.Generator, optional
        One generator gives every epoch a new order, reproducibly.
    blowup : float, default 1e6

    Returns
    -------
    SGDRun

    Examples
    --------
    >>> from companion.data import linear_regression
    >>> data = linear_regression(n=200, seed=0)
    >>> run = minibatch_sgd(data.gradient, [0.0, 0.0], data.X, data.y, lr=0.3,
    ...                     batch_size=20, epochs=5, seed=0)
    >>> run.steps, run.steps_per_epoch
    (50, 10)
    >>> bool(data.loss(run.path[-1]) - data.min_loss < 1e-2)
    True
    """
    theta = as_float_array(theta0, "theta0", allow_int=True).astype(np.float64).copy()
    X, y = np.asarray(X), np.asarray(y)
    lr = positive_number(lr, "lr")
    epochs = positive_int(epochs, "epochs")
    blowup = positive_number(blowup, "blowup")
    steps_per_epoch = num_batches(len(X), batch_size)  # also checks batch_size
    rng = np.random.default_rng(seed)
    limit = blowup * (1.0 + float(np.linalg.norm(theta)))

    path, seconds = [theta.copy()], [0.0]
    status, message = "completed", f"{epochs} epochs of {steps_per_epoch} steps"
    elapsed, start = 0.0, time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            for X_batch, y_batch in minibatches(X, y, batch_size, shuffle, seed=rng):
                theta = theta - lr * grad(theta, X_batch, y_batch)  # the step
                elapsed = time.perf_counter() - start
                if not (np.all(np.isfinite(theta)) and np.linalg.norm(theta - path[0]) < limit):
                    status = "diverged"
                    message = f"θ blew up at step {len(path)} (epoch {epoch + 1}); η = {lr:g}"
                    break
                path.append(theta)
                seconds.append(elapsed)
            if status == "diverged":
                break
    return SGDRun(
        path=np.array(path),
        seconds=np.array(seconds),
        steps_per_epoch=steps_per_epoch,
        status=status,
        message=message,
        lr=lr,
        batch_size=int(batch_size),
    )


# --- gradient noise ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GradientNoise:
    r"""The variance of the mini-batch gradient, measured for several batch sizes.

    Attributes
    ----------
    batch_sizes : numpy.ndarray of int
    variance : numpy.ndarray
        Measured :math:`\mathbb E\,\lVert \hat g_B - \nabla J \rVert^2` for each batch size.
    per_example_variance : float
        :math:`\sigma^2 = \frac1n \sum_i \lVert \nabla J_i - \nabla J \rVert^2`.
    n : int
        The number of examples.
    draws : int
        Batches drawn per batch size.
    """

    batch_sizes: np.ndarray
    variance: np.ndarray
    per_example_variance: float
    n: int
    draws: int

    @property
    def predicted(self) -> np.ndarray:
        r"""The exact expectation for batches drawn without replacement, as an epoch draws them:
        :math:`\frac{\sigma^2}{B} \cdot \frac{n - B}{n - 1}` (the second factor is close to 1
        when :math:`B \ll n`)."""
        B = self.batch_sizes
        return self.per_example_variance / B * (self.n - B) / (self.n - 1)

    @property
    def inverse_b(self) -> np.ndarray:
        r"""The plain :math:`1/B` law, :math:`\sigma^2 / B`."""
        return self.per_example_variance / self.batch_sizes

    @property
    def slope(self) -> float:
        """The least-squares slope of log(variance) against log(B): -1 for a 1/B law."""
        return float(np.polyfit(np.log(self.batch_sizes), np.log(self.variance), 1)[0])


def gradient_noise(
    batch_gradient: Callable[[np.ndarray], np.ndarray],
    n: int,
    batch_sizes: Sequence[int],
    draws: int = 1000,
    seed: int | np.random.Generator | None = None,
) -> GradientNoise:
    r"""Measure how noisy the mini-batch gradient is, for each batch size.

    With the full gradient :math:`\nabla J = \frac1n \sum_i \nabla J_i` and the mean
    :math:`\hat g_B` over a batch of :math:`B` examples, this estimates

    .. math::

        \mathbb E\,\lVert \hat g_B - \nabla J \rVert^2
        = \frac{\sigma^2}{B}\cdot\frac{n - B}{n - 1},
        \qquad \sigma^2 = \frac1n \sum_{i=1}^{n} \lVert \nabla J_i - \nabla J \rVert^2,

    by drawing ``draws`` batches of each size as training draws them (full batches of
    shuffled epochs, :func:`companion.data.batch_indices`). It also computes :math:`\sigma^2`
    from every example's own gradient (``n`` calls of ``batch_gradient``).

    Parameters
    ----------
    batch_gradient : callable
        ``batch_gradient(indices)``: the mean gradient over those examples, at a fixed point
        :math:`\theta` (any shape; it is flattened).
    n : int
        The number of examples.
    batch_sizes : sequence of int
        Each between 1 and ``n - 1``.
    draws : int, default 1000
        Batches per batch size.
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    GradientNoise

    Examples
    --------
    >>> from companion.data import linear_regression
    >>> data = linear_regression(n=400, seed=0)
    >>> theta = np.zeros(2)
    >>> noise = gradient_noise(lambda i: data.gradient(theta, data.X[i], data.y[i]),
    ...                        data.X.shape[0], [1, 4, 16], draws=2000, seed=0)
    >>> np.round(noise.variance / noise.predicted, 1)      # measured / predicted
    array([1., 1., 1.])
    """
    n = positive_int(n, "n")
    sizes = np.array([positive_int(b, "batch_sizes[i]") for b in batch_sizes], dtype=np.int64)
    if sizes.size == 0 or sizes.max() >= n:
        raise ValueError(f"batch_sizes must be between 1 and n - 1 = {n - 1}; got {sizes.tolist()}")
    draws = positive_int(draws, "draws")
    rng = np.random.default_rng(seed)

    def flat(indices: np.ndarray) -> np.ndarray:
        return np.asarray(batch_gradient(indices), dtype=np.float64).ravel()

    full = flat(np.arange(n))
    per_example = np.array([flat(np.array([i])) for i in range(n)])
    sigma2 = float(np.mean(np.sum((per_example - full) ** 2, axis=1)))
    variance = []
    for B in sizes:
        squared = []
        while len(squared) < draws:
            for idx in batch_indices(n, int(B), seed=rng):
                if len(idx) == B and len(squared) < draws:  # full batches only
                    squared.append(float(np.sum((flat(idx) - full) ** 2)))
        variance.append(np.mean(squared))
    return GradientNoise(sizes, np.array(variance), sigma2, n, draws)


# --- penalties, accuracy, evaluation ------------------------------------------------------------


def regularization(
    params: Sequence[np.ndarray], l2: float = 0.0, l1: float = 0.0
) -> tuple[float, list[np.ndarray]]:
    r"""The L2 and L1 penalties on the weights, and their gradients.

    .. math::

        R(\theta) = \frac{\lambda_2}{2} \sum_{W} \lVert W \rVert^2
                  + \lambda_1 \sum_{W} \sum_{ij} |W_{ij}|, \qquad
        \frac{\partial R}{\partial W} = \lambda_2 W + \lambda_1 \operatorname{sign}(W).

    Only **weights** — arrays with two or more dimensions — are penalized, not biases (a bias
    shifts a unit's output; shrinking it does not make the model simpler). At
    :math:`W_{ij} = 0`, where :math:`|W_{ij}|` has a kink, the subgradient 0 is used
    (:math:`\operatorname{sign}(0) = 0`).

    With plain SGD, the L2 term's gradient :math:`\lambda_2 W` shrinks every weight by the
    factor :math:`1 - \eta\lambda_2` each step: *weight decay*. The L1 term pulls every weight
    towards 0 by the same amount :math:`\eta\lambda_1`, whatever its size, which drives small
    weights to (nearly) 0: *sparsity*.

    Parameters
    ----------
    params : sequence of numpy.ndarray
        E.g. ``model.params``.
    l2, l1 : float, default 0
        :math:`\lambda_2, \lambda_1 \ge 0`.

    Returns
    -------
    penalty : float
    grads : list of numpy.ndarray
        One per parameter (zeros for biases).

    Examples
    --------
    >>> W, b = np.array([[1.0, -2.0], [0.0, 3.0]]), np.array([5.0, 5.0])
    >>> value, (dW, db) = regularization([W, b], l2=0.1, l1=0.01)
    >>> round(value, 6)                # 0.05 * 14 + 0.01 * 6
    0.76
    >>> dW, db
    (array([[ 0.11, -0.21],
           [ 0.  ,  0.31]]), array([0., 0.]))
    """
    l2, l1 = nonnegative_number(l2, "l2"), nonnegative_number(l1, "l1")
    value, grads = 0.0, []
    for p in params:
        if p.ndim < 2:
            grads.append(np.zeros_like(p))
            continue
        value += 0.5 * l2 * float(np.sum(p * p)) + l1 * float(np.sum(np.abs(p)))
        grads.append(l2 * p + l1 * np.sign(p))
    return value, grads


def accuracy(outputs: np.ndarray, labels: np.ndarray) -> float | None:
    r"""The fraction of examples classified correctly, or None if these are not class labels.

    - Integer labels ``0 .. C-1`` and outputs with :math:`C \ge 2` columns (logits or
      probabilities): the predicted class is the column with the largest output.
    - Labels in :math:`\{-1, +1\}` and one output per example (a score, as a linear SVM
      gives): the predicted class is the score's sign (+1 for a score of 0).

    Anything else (e.g. real-valued regression targets) gives None.

    Examples
    --------
    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), np.array([0, 1, 1]))
    0.666...
    >>> accuracy(np.array([0.5, -2.0, 0.1]), np.array([1, -1, -1]))
    0.666...
    >>> accuracy(np.array([[0.5], [1.5]]), np.array([[0.4], [1.2]])) is None
    True
    """
    outputs, labels = np.asarray(outputs), np.asarray(labels)
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        return None
    if outputs.ndim == 2 and outputs.shape[1] >= 2 and labels.shape == (len(outputs),):
        return float(np.mean(outputs.argmax(axis=1) == labels))
    if outputs.size == labels.size == len(outputs) and np.isin(labels, (-1, 1)).all():
        return float(np.mean(np.where(outputs.reshape(-1) >= 0, 1, -1) == labels.reshape(-1)))
    return None


def evaluate(
    model: Any, X: np.ndarray, y: np.ndarray, loss: Loss = softmax_cross_entropy
) -> tuple[float, float | None]:
    """A model's loss and :func:`accuracy` on a data set, in one forward pass.

    Parameters
    ----------
    model : Layer
        Anything with ``forward``.
    X, y : array_like
    loss : callable, default softmax_cross_entropy
        ``loss(outputs, y) -> (value, grad)``.

    Returns
    -------
    loss : float
    accuracy : float or None

    Examples
    --------
    >>> from companion.layers import Linear
    >>> model = Linear(2, 3, init="zeros")
    >>> value, acc = evaluate(model, np.ones((4, 2)), np.array([0, 1, 2, 0]))
    >>> round(value, 4), acc                   # ln 3: a uniform guess; argmax picks class 0
    (1.0986, 0.5)
    """
    outputs = model.forward(X)
    value, _ = loss(outputs, y)
    return float(value), accuracy(outputs, y)


def model_gradient(
    model: Any, X: np.ndarray, y: np.ndarray, loss: Loss = softmax_cross_entropy
) -> np.ndarray:
    """The gradient of the loss on ``(X, y)`` with respect to all of a model's parameters,
    flattened into one vector (one forward and one backward pass).

    Examples
    --------
    >>> from companion.layers import mlp
    >>> model = mlp([2, 3, 2], seed=0)
    >>> model_gradient(model, np.ones((5, 2)), np.array([0, 1, 1, 0, 1])).shape   # 9 + 8
    (17,)
    """
    _, grad_out = loss(model.forward(X), y)
    model.backward(grad_out)
    return np.concatenate([g.ravel() for g in model.grads])


# --- fit ---------------------------------------------------------------------------------------

#: What fit records at the end of every epoch (the per-epoch fields of History).
_EPOCH_RECORDS = (
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "grad_norm",
    "seconds",
)


@dataclass(frozen=True)
class History:
    r"""What :func:`fit` recorded.

    Per step (one mini-batch):

    Attributes
    ----------
    step_loss : numpy.ndarray
        The data loss on each mini-batch, before its step (without the penalty).
    step_grad_norm : numpy.ndarray
        :math:`\lVert \hat g \rVert` of each step: the norm of the mini-batch gradient of the
        loss plus the penalty, over all parameters.
    step_seconds : numpy.ndarray
        Training time up to the end of each step (evaluation time excluded).
    step_lr : numpy.ndarray
        The learning rate of each step (of the optimizer's first parameter group; what the
        ``schedule`` set, if any). Empty for an optimizer without ``param_groups``.

    Per epoch, measured at its end on whole data sets:

    Attributes
    ----------
    train_loss, val_loss : numpy.ndarray
        The data loss on the whole training and validation sets (``val_loss`` is empty
        without validation data).
    train_accuracy, val_accuracy : numpy.ndarray
        Empty if the targets are not class labels (see :func:`accuracy`).
    grad_norm : numpy.ndarray
        :math:`\lVert \nabla J \rVert` of the *full* training loss plus the penalty: unlike
        ``step_grad_norm``, it goes to 0 at a minimum.
    seconds : numpy.ndarray
        Training time up to the end of each epoch.
    epoch_steps : numpy.ndarray
        The number of steps taken by the end of each epoch.

    And about the run:

    Attributes
    ----------
    status : {"completed", "early_stopped", "diverged"}
    message : str
        Why it ended, in words.
    best_epoch : int or None
        The epoch (counting from 1) with the lowest validation loss; with early stopping,
        the model holds this epoch's weights at the end. None without validation data.
    """

    step_loss: np.ndarray
    step_grad_norm: np.ndarray
    step_seconds: np.ndarray
    step_lr: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    grad_norm: np.ndarray
    seconds: np.ndarray
    epoch_steps: np.ndarray
    status: str
    message: str
    best_epoch: int | None

    @property
    def epochs(self) -> int:
        """The number of epochs completed."""
        return len(self.train_loss)

    @property
    def steps(self) -> int:
        return len(self.step_loss)

    @property
    def best_val_loss(self) -> float | None:
        return None if self.best_epoch is None else float(self.val_loss[self.best_epoch - 1])

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"

    def __str__(self) -> str:
        text = f"{self.status} after {self.epochs} epochs ({self.steps} steps): {self.message}"
        if self.epochs:
            text += f"; train loss {self.train_loss[-1]:.4g}"
        if self.best_epoch is not None:
            text += f", best val loss {self.best_val_loss:.4g} at epoch {self.best_epoch}"
        return text


def _loss_and_gradient(
    model, loss: Loss, X: np.ndarray, y: np.ndarray, l2: float = 0.0, l1: float = 0.0
) -> tuple[float, float, np.ndarray] | None:
    """One step's forward, loss, backward and penalty gradient (for :func:`fit` and
    :func:`companion.tuning.lr_range_test`): leaves the gradient in ``model.grads`` and returns
    (data loss, gradient norm, outputs), or None if anything is not finite."""
    outputs = model.forward(X)
    if not np.all(np.isfinite(outputs)):
        return None
    value, grad_out = loss(outputs, y)
    if not (math.isfinite(value) and np.all(np.isfinite(grad_out))):
        return None
    model.backward(grad_out)
    if l2 > 0 or l1 > 0:
        for p, g in zip(model.params, model.grads, strict=True):
            if p.ndim >= 2:  # weights only (see regularization)
                g += l2 * p + l1 * np.sign(p)
    norm = math.sqrt(sum(float(np.sum(g * g)) for g in model.grads))
    return (float(value), norm, outputs) if math.isfinite(norm) else None


def fit(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    loss: Loss = softmax_cross_entropy,
    optimizer: Any = None,
    lr: float | None = None,
    schedule: Callable[[int], float] | None = None,
    epochs: int = 10,
    batch_size: int = 32,
    shuffle: bool = True,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    l2: float = 0.0,
    l1: float = 0.0,
    patience: int | None = None,
    min_delta: float = 0.0,
    restore_best: bool = True,
    blowup: float = 1e6,
    seed: int | np.random.Generator | None = None,
    progress: bool | None = None,
) -> History:
    r"""Train a model with mini-batch SGD (or any optimizer) and return its :class:`History`.

    Every epoch visits the training examples once, in a new random order, in mini-batches of
    ``batch_size`` (the last one partial if needed). For each batch: forward pass, loss,
    backward pass, penalty gradients added, one optimizer step. At the end of each epoch the
    model is evaluated on the whole training set (loss, accuracy, full gradient norm) and on
    the validation set.

    The objective is the mean data loss plus the penalty of :func:`regularization`,

    .. math::

        J(\theta) = \frac1n \sum_{i=1}^n J_i(\theta)
            + \frac{\lambda_2}{2} \sum_W \lVert W \rVert^2 + \lambda_1 \sum_W \lVert W \rVert_1 .

    **Early stopping.** With ``patience`` :math:`p`, training stops once the validation loss
    has gone :math:`p` epochs in a row without beating its best so far by more than
    ``min_delta``; with ``restore_best`` (the default) the model then gets back the weights of
    its best epoch — also when all epochs ran.

    **Divergence.** If the loss or the gradient is not finite, or the loss exceeds
    :math:`J_0 + \text{blowup}\,(1 + |J_0|)` (:math:`J_0`: the first batch's loss), training
    stops with status ``"diverged"`` instead of raising. Nothing non-finite is recorded, and
    the model gets back the weights it had at the start of that epoch.

    Parameters
    ----------
    model : Layer
        Has ``forward``, ``backward``, ``params`` and ``grads`` (see :mod:`companion.layers`).
    X, y : array_like
        The training examples: inputs and targets, one row each.
    loss : callable, default softmax_cross_entropy
        ``loss(outputs, targets) -> (value, d value / d outputs)``, a mean over the batch:
        e.g. :func:`~companion.losses.mse` or :func:`~companion.losses.hinge_loss`.
    optimizer : optimizer or callable, optional
        Either an optimizer already built on ``model.params`` (anything with a
        ``step(grads)`` method that updates them in place), or a function that builds one from
        the parameter list, such as ``functools.partial(SGD, lr=0.1, momentum=0.9)``. By
        default, plain :class:`~companion.optim.SGD` with learning rate ``lr``.
    lr : float, optional
        :math:`\eta` of the default plain SGD. Give it here *or* to the optimizer, not both.
    schedule : callable, optional
        A learning-rate schedule (see :mod:`companion.schedules`): before step
        :math:`k = 0, 1, 2, \dots` — counted over the whole run, not per epoch — every
        parameter group's ``lr`` is set to ``schedule(k)``, as
        :func:`companion.optim.minimize` does. It overrides the optimizer's own ``lr``. Needs
        an optimizer with ``param_groups``.
    epochs : int, default 10
    batch_size : int, default 32
    shuffle : bool, default True
    validation : (X_val, y_val), optional
    l2, l1 : float, default 0
        :math:`\lambda_2` and :math:`\lambda_1` of the penalty on the weights.
    patience : int, optional
        Turns early stopping on (needs ``validation``).
    min_delta : float, default 0
        How much the validation loss must fall to count as an improvement.
    restore_best : bool, default True
        With early stopping, end with the best epoch's weights.
    blowup : float, default 1e6
    seed : int or numpy.random.Generator, optional
        Makes the order of the examples reproducible.
    progress : bool, optional
        A progress bar (tqdm). By default it appears only if training takes more than two
        seconds; True shows it at once, False never.

    Returns
    -------
    History

    Raises
    ------
    TypeError, ValueError
        For inconsistent arguments: no learning rate, both ``lr`` and an optimizer, an
        optimizer built on other arrays than ``model.params``, ``patience`` without
        validation data, data of different lengths.

    Examples
    --------
    >>> from companion.data import blobs
    >>> from companion.layers import mlp
    >>> X, y = blobs(50, centers=3, seed=0)
    >>> model = mlp([2, 16, 3], seed=0)
    >>> history = fit(model, X, y, lr=0.1, epochs=5, batch_size=16, seed=0)
    >>> history.status, history.epochs, history.steps       # 150 examples: 10 steps per epoch
    ('completed', 5, 50)
    >>> bool(history.train_accuracy[-1] > 0.9)
    True

    With a schedule, the rate changes at every step (here a cosine decay over the 50 steps):

    >>> from companion.schedules import cosine
    >>> history = fit(mlp([2, 16, 3], seed=0), X, y, lr=0.1, schedule=cosine(0.1, 50),
    ...               epochs=5, batch_size=16, seed=0)
    >>> history.step_lr[[0, 25, 49]].round(4)
    array([0.1   , 0.05  , 0.0001])
    """
    X = as_float_array(X, "X", allow_int=True)
    y = np.asarray(y)
    if X.ndim == 0 or len(X) == 0 or len(X) != len(y):
        raise ValueError(
            f"X and y must have the same, non-zero number of rows; got {len(X)} and {len(y)}"
        )
    if validation is not None:
        X_val, y_val = validation
        X_val, y_val = as_float_array(X_val, "validation X", allow_int=True), np.asarray(y_val)
        if len(X_val) == 0 or len(X_val) != len(y_val):
            raise ValueError("validation must be (X_val, y_val), with the same number of rows")
    if patience is not None:
        patience = positive_int(patience, "patience")
        if validation is None:
            raise ValueError("early stopping (patience) needs validation=(X_val, y_val)")
    epochs = positive_int(epochs, "epochs")
    l2, l1 = nonnegative_number(l2, "l2"), nonnegative_number(l1, "l1")
    min_delta = nonnegative_number(min_delta, "min_delta")
    blowup = positive_number(blowup, "blowup")
    if not callable(loss):
        raise TypeError(
            f"loss must be a function (outputs, targets) -> (value, grad); got {loss!r}"
        )
    num_batches(len(X), batch_size)  # checks batch_size
    params, grads = model.params, model.grads
    opt = _make_optimizer(optimizer, lr, params)
    groups = getattr(opt, "param_groups", None)
    if schedule is not None:
        if not callable(schedule):
            raise TypeError(
                f"schedule must be a function of the step number, e.g. "
                f"companion.schedules.cosine(0.1, 1000); got {schedule!r}"
            )
        if groups is None:
            raise TypeError(
                f"a schedule sets the lr of the optimizer's param_groups, and {opt!r} has none"
            )
    rng = np.random.default_rng(seed)

    steps: dict[str, list[float]] = {"loss": [], "grad_norm": [], "seconds": [], "lr": []}
    ends: dict[str, list[float]] = {name: [] for name in _EPOCH_RECORDS}
    epoch_steps: list[int] = []
    status, message = "completed", f"all {epochs} epochs ran"
    best_epoch, best_val, best_params, waited = None, math.inf, None, 0
    limit, elapsed = math.inf, 0.0

    bar = _progress_bar(epochs, progress)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in range(1, epochs + 1):
                start_weights = [p.copy() for p in params]  # to fall back on if it blows up
                tick = time.perf_counter()
                for X_batch, y_batch in minibatches(X, y, batch_size, shuffle, seed=rng):
                    result = _loss_and_gradient(model, loss, X_batch, y_batch, l2, l1)
                    if result is None or result[0] > limit:
                        status = "diverged"
                        break
                    if not steps["loss"]:  # the first batch sets the blow-up threshold
                        limit = result[0] + blowup * (1 + abs(result[0]))
                    if schedule is not None:  # the rate of step k = 0, 1, 2, ...
                        set_lr(opt, schedule(len(steps["loss"])))
                    opt.step(grads)  # the update, in place
                    now = time.perf_counter()
                    elapsed, tick = elapsed + (now - tick), now
                    steps["loss"].append(result[0])
                    steps["grad_norm"].append(result[1])
                    steps["seconds"].append(elapsed)
                    if groups is not None:
                        steps["lr"].append(float(groups[0]["lr"]))

                # The end of the epoch: the whole training set, then the validation set.
                train = (
                    None if status == "diverged" else _loss_and_gradient(model, loss, X, y, l2, l1)
                )
                val = None
                if train is not None and validation is not None:
                    val = _loss_and_accuracy(model, X_val, y_val, loss)
                if train is None or (validation is not None and val is None):
                    for p, saved in zip(params, start_weights, strict=True):
                        p[...] = saved
                    status = "diverged"
                    message = (
                        f"the loss blew up in epoch {epoch} (at step {len(steps['loss']) + 1}); "
                        f"the model has the weights of the start of epoch {epoch}. Try a "
                        "smaller learning rate"
                    )
                    break
                train_accuracy = accuracy(train[2], y)
                _append(
                    ends,
                    train_loss=train[0],
                    train_accuracy=train_accuracy,
                    grad_norm=train[1],
                    seconds=elapsed,
                )
                epoch_steps.append(len(steps["loss"]))
                postfix = {"loss": f"{train[0]:.4g}"}

                if val is not None:
                    _append(ends, val_loss=val[0], val_accuracy=val[1])
                    postfix["val_loss"] = f"{val[0]:.4g}"
                    if val[0] < best_val - min_delta:  # an improvement: remember it
                        best_epoch, best_val, waited = epoch, val[0], 0
                        if patience is not None:
                            best_params = [p.copy() for p in params]
                    else:
                        waited += 1
                        if patience is not None and waited >= patience:
                            status = "early_stopped"
                            message = (
                                f"the validation loss did not improve for {patience} epochs "
                                f"after epoch {best_epoch}"
                            )
                bar.set_postfix(postfix, refresh=False)
                bar.update()
                if status == "early_stopped":
                    break
    finally:
        bar.close()

    if patience is not None and restore_best and best_params is not None and status != "diverged":
        for p, saved in zip(params, best_params, strict=True):
            p[...] = saved
        if best_epoch == len(ends["train_loss"]):
            message += "; the last epoch was the best"
        else:
            message += f"; restored the weights of epoch {best_epoch}"
    return History(
        step_loss=np.array(steps["loss"]),
        step_grad_norm=np.array(steps["grad_norm"]),
        step_seconds=np.array(steps["seconds"]),
        step_lr=np.array(steps["lr"], dtype=np.float64),
        **{name: np.array(values, dtype=np.float64) for name, values in ends.items()},
        epoch_steps=np.array(epoch_steps, dtype=np.int64),
        status=status,
        message=message,
        best_epoch=best_epoch,
    )


# --- fit's helpers --------------------------------------------------------------------------


def _append(lists: dict[str, list[float]], **values: float | None) -> None:
    for name, value in values.items():
        if value is not None:
            lists[name].append(value)


def _loss_and_accuracy(model, X, y, loss) -> tuple[float, float | None] | None:
    """Loss and accuracy on a whole set, or None if the outputs or the loss are not finite."""
    outputs = model.forward(X)
    if not np.all(np.isfinite(outputs)):
        return None
    value, _ = loss(outputs, y)
    return (float(value), accuracy(outputs, y)) if math.isfinite(value) else None


def _make_optimizer(optimizer: Any, lr: float | None, params: list[np.ndarray]) -> Any:
    """Plain SGD from ``lr``, an optimizer instance, or an optimizer built by a factory."""
    if optimizer is None:
        if lr is None:
            raise TypeError("fit needs a learning rate, lr=..., or an optimizer, optimizer=...")
        return SGD(params, lr=positive_number(lr, "lr"))
    if lr is not None:
        raise TypeError(
            "give the learning rate to the optimizer, not to fit: e.g. "
            "optimizer=functools.partial(SGD, lr=0.1), without lr=..."
        )
    if isinstance(optimizer, type) or not callable(getattr(optimizer, "step", None)):
        if not callable(optimizer):
            raise TypeError(
                f"optimizer must have a step(grads) method, or build such an object from the "
                f"parameter list; got {optimizer!r}"
            )
        optimizer = optimizer(params)  # a factory, e.g. functools.partial(SGD, lr=0.1)
        if not callable(getattr(optimizer, "step", None)):
            raise TypeError(f"the optimizer factory returned {optimizer!r}, which has no step()")
    groups = getattr(optimizer, "param_groups", None)
    if groups is not None:  # an optimizer of companion.optim (or like it): check its arrays
        held = {id(p) for group in groups for p in group["params"]}
        if not all(id(p) in held for p in params):
            raise ValueError(
                "the optimizer was built on other arrays than model.params: build it with "
                "SGD(model.params, ...), or pass a factory such as functools.partial(SGD, lr=0.1)"
            )
    return optimizer


class _NoBar:
    def set_postfix(self, *args: Any, **kwargs: Any) -> None: ...

    def update(self, *args: Any) -> None: ...

    def close(self) -> None: ...


def _progress_bar(epochs: int, progress: bool | None) -> Any:
    if progress is False:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=epochs, unit="epoch", desc="fit", delay=0.0 if progress else 2.0, leave=True)
