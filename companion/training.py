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

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._fit_parts import (
    BlowUp,
    EarlyStopping,
    History,
    Loss,
    ProgressBar,
    Recorder,
    check_data,
    check_loss,
    check_patience,
    check_schedule,
    diverged_message,
    loss_and_accuracy,
    loss_and_gradient,
    make_optimizer,
    restore,
)
from ._validate import finite_nonnegative_number, positive_int, positive_number
from ._vector_sgd import GradientNoise, SGDRun, gradient_noise, minibatch_sgd
from .data import minibatches, num_batches
from .losses import softmax_cross_entropy
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
    l2, l1 = finite_nonnegative_number(l2, "l2"), finite_nonnegative_number(l1, "l1")
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
    X, y, validation = check_data(X, y, validation)
    epochs = positive_int(epochs, "epochs")
    patience = check_patience(patience, validation)
    l2, l1 = finite_nonnegative_number(l2, "l2"), finite_nonnegative_number(l1, "l1")
    min_delta = finite_nonnegative_number(min_delta, "min_delta")
    blew_up = BlowUp(positive_number(blowup, "blowup"))
    loss = check_loss(loss)
    num_batches(len(X), batch_size)  # checks batch_size
    opt = make_optimizer(optimizer, lr, model.params)
    check_schedule(schedule, opt)
    rng = np.random.default_rng(seed)
    record, stopper = Recorder(opt), EarlyStopping(patience, min_delta)
    status, message = "completed", f"all {epochs} epochs ran"

    with ProgressBar(epochs, progress) as bar, np.errstate(all="ignore"):
        for epoch in range(1, epochs + 1):
            start_weights = [p.copy() for p in model.params]  # to fall back on if it blows up
            record.start_epoch()
            for X_batch, y_batch in minibatches(X, y, batch_size, shuffle, seed=rng):
                step = loss_and_gradient(model, loss, X_batch, y_batch, l2, l1)
                if blew_up(step):
                    break
                if schedule is not None:  # the rate of step k = 0, 1, 2, ...
                    set_lr(opt, schedule(record.steps_taken))
                opt.step(model.grads)  # the update, in place
                record.step(step)

            # The end of the epoch: the whole training set, then the validation set.
            train = None if blew_up.tripped else loss_and_gradient(model, loss, X, y, l2, l1)
            val = None
            if train is not None and validation is not None:
                val = loss_and_accuracy(model, *validation, loss, accuracy)
            if train is None or (validation is not None and val is None):
                restore(model.params, start_weights)
                status, message = "diverged", diverged_message(epoch, record.steps_taken + 1)
                break
            record.epoch(train, accuracy(train[2], y), val)
            bar.show(train[0], None if val is None else val[0])
            if val is not None and stopper.should_stop(epoch, val[0], model.params):
                status, message = "early_stopped", stopper.message
                break

    if restore_best and status != "diverged":
        message += stopper.restore_best(model.params, len(record.ends["train_loss"]))
    return record.history(status, message, stopper.best_epoch)
