"""The machinery around :func:`companion.training.fit`, kept out of the loop a reader studies.

:class:`History` (re-exported by :mod:`companion.training`) is what ``fit`` returns; the rest is
private: argument checks, the optimizer a ``fit`` call builds, one step's forward, loss and
backward, the records and their clock, early stopping, the blow-up test and the progress bar.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import as_float_array, positive_int, positive_number
from .optim import SGD

Loss = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]

#: What fit records at the end of every epoch (the per-epoch fields of History).
EPOCH_RECORDS = (
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


# --- one step, and one evaluation -------------------------------------------------------------


def loss_and_gradient(
    model: Any, loss: Loss, X: np.ndarray, y: np.ndarray, l2: float = 0.0, l1: float = 0.0
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


def loss_and_accuracy(
    model: Any, X: np.ndarray, y: np.ndarray, loss: Loss, accuracy: Callable
) -> tuple[float, float | None] | None:
    """Loss and accuracy on a whole set, or None if the outputs or the loss are not finite."""
    outputs = model.forward(X)
    if not np.all(np.isfinite(outputs)):
        return None
    value, _ = loss(outputs, y)
    return (float(value), accuracy(outputs, y)) if math.isfinite(value) else None


def restore(params: Sequence[np.ndarray], saved: Sequence[np.ndarray]) -> None:
    """Write saved weights back into the model's own arrays (in place)."""
    for p, s in zip(params, saved, strict=True):
        p[...] = s


# --- argument checks --------------------------------------------------------------------------


def check_data(
    X: object, y: object, validation: object
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """The training and validation sets as arrays of matching lengths."""
    X = as_float_array(X, "X", allow_int=True)
    y = np.asarray(y)
    if X.ndim == 0 or len(X) == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(
            f"X and y must have the same, non-zero number of rows; got {len(X) if X.ndim else X}"
            f" and {len(y) if y.ndim else y!r}"
        )
    if validation is None:
        return X, y, None
    if not isinstance(validation, (tuple, list)) or len(validation) != 2:
        raise TypeError(f"validation must be a pair (X_val, y_val); got {validation!r:.80}")
    X_val = as_float_array(validation[0], "validation X", allow_int=True)
    y_val = np.asarray(validation[1])
    if X_val.ndim == 0 or y_val.ndim == 0 or len(X_val) == 0 or len(X_val) != len(y_val):
        raise ValueError("validation must be (X_val, y_val), with the same number of rows")
    return X, y, (X_val, y_val)


def check_patience(patience: object, validation: object) -> int | None:
    if patience is None:
        return None
    patience = positive_int(patience, "patience")
    if validation is None:
        raise ValueError("early stopping (patience) needs validation=(X_val, y_val)")
    return patience


def check_loss(loss: object) -> Loss:
    if not callable(loss):
        raise TypeError(
            f"loss must be a function (outputs, targets) -> (value, grad); got {loss!r}"
        )
    return loss


def check_schedule(schedule: object, opt: Any) -> None:
    if schedule is None:
        return
    if not callable(schedule):
        raise TypeError(
            f"schedule must be a function of the step number, e.g. "
            f"companion.schedules.cosine(0.1, 1000); got {schedule!r}"
        )
    if getattr(opt, "param_groups", None) is None:
        raise TypeError(
            f"a schedule sets the lr of the optimizer's param_groups, and {opt!r} has none"
        )


def make_optimizer(optimizer: Any, lr: float | None, params: list[np.ndarray]) -> Any:
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


# --- what fit keeps track of ------------------------------------------------------------------


class Recorder:
    """The per-step and per-epoch records of a run, and its clock: training time only (the
    clock restarts at every epoch's start, so evaluation at the epoch's end is left out)."""

    def __init__(self, opt: Any) -> None:
        self.steps: dict[str, list[float]] = {"loss": [], "grad_norm": [], "seconds": [], "lr": []}
        self.ends: dict[str, list[float]] = {name: [] for name in EPOCH_RECORDS}
        self.epoch_steps: list[int] = []
        self.elapsed = 0.0
        self._groups = getattr(opt, "param_groups", None)
        self._tick = time.perf_counter()

    @property
    def steps_taken(self) -> int:
        return len(self.steps["loss"])

    def start_epoch(self) -> None:
        self._tick = time.perf_counter()

    def step(self, result: tuple[float, float, np.ndarray]) -> None:
        now = time.perf_counter()
        self.elapsed, self._tick = self.elapsed + (now - self._tick), now
        self.steps["loss"].append(result[0])
        self.steps["grad_norm"].append(result[1])
        self.steps["seconds"].append(self.elapsed)
        if self._groups is not None:
            self.steps["lr"].append(float(self._groups[0]["lr"]))

    def epoch(
        self,
        train: tuple[float, float, np.ndarray],
        train_accuracy: float | None,
        val: tuple[float, float | None] | None,
    ) -> None:
        values = {"train_loss": train[0], "train_accuracy": train_accuracy, "grad_norm": train[1]}
        values["seconds"] = self.elapsed
        if val is not None:
            values["val_loss"], values["val_accuracy"] = val
        for name, value in values.items():
            if value is not None:
                self.ends[name].append(value)
        self.epoch_steps.append(self.steps_taken)

    def history(self, status: str, message: str, best_epoch: int | None) -> History:
        return History(
            step_loss=np.array(self.steps["loss"]),
            step_grad_norm=np.array(self.steps["grad_norm"]),
            step_seconds=np.array(self.steps["seconds"]),
            step_lr=np.array(self.steps["lr"], dtype=np.float64),
            **{name: np.array(values, dtype=np.float64) for name, values in self.ends.items()},
            epoch_steps=np.array(self.epoch_steps, dtype=np.int64),
            status=status,
            message=message,
            best_epoch=best_epoch,
        )


class BlowUp:
    r"""Whether a step's loss or gradient blew up: not finite, or the loss above
    :math:`J_0 + \text{blowup}\,(1 + |J_0|)`, where the first step's loss :math:`J_0` sets the
    bar."""

    def __init__(self, blowup: float) -> None:
        self.blowup, self.limit, self.tripped = blowup, math.inf, False
        self._first = True

    def __call__(self, result: tuple[float, float, np.ndarray] | None) -> bool:
        if result is None or result[0] > self.limit:
            self.tripped = True
        elif self._first:
            self.limit, self._first = result[0] + self.blowup * (1 + abs(result[0])), False
        return self.tripped


class EarlyStopping:
    """Tracks the best validation loss; with ``patience``, keeps the best weights and says when
    ``patience`` epochs in a row have not beaten it by more than ``min_delta``."""

    def __init__(self, patience: int | None, min_delta: float) -> None:
        self.patience, self.min_delta = patience, min_delta
        self.best_epoch: int | None = None
        self.best_val, self.waited = math.inf, 0
        self.best_params: list[np.ndarray] | None = None

    def should_stop(self, epoch: int, val_loss: float, params: Sequence[np.ndarray]) -> bool:
        if val_loss < self.best_val - self.min_delta:  # an improvement: remember it
            self.best_epoch, self.best_val, self.waited = epoch, val_loss, 0
            if self.patience is not None:
                self.best_params = [p.copy() for p in params]
            return False
        self.waited += 1
        return self.patience is not None and self.waited >= self.patience

    @property
    def message(self) -> str:
        return (
            f"the validation loss did not improve for {self.patience} epochs after epoch "
            f"{self.best_epoch}"
        )

    def restore_best(self, params: Sequence[np.ndarray], epochs_run: int) -> str:
        """Give the model its best epoch's weights back; say so (or nothing, if none kept)."""
        if self.best_params is None:
            return ""
        restore(params, self.best_params)
        if self.best_epoch == epochs_run:
            return "; the last epoch was the best"
        return f"; restored the weights of epoch {self.best_epoch}"


def diverged_message(epoch: int, step: int) -> str:
    return (
        f"the loss blew up in epoch {epoch} (at step {step}); the model has the weights of the "
        f"start of epoch {epoch}. Try a smaller learning rate"
    )


class ProgressBar:
    """A tqdm bar of epochs with the latest losses; by default it appears only if training
    takes more than two seconds (True: at once, False: never)."""

    def __init__(self, epochs: int, progress: bool | None) -> None:
        self._bar = None
        if progress is not False:
            from tqdm.auto import tqdm

            delay = 0.0 if progress else 2.0
            self._bar = tqdm(total=epochs, unit="epoch", desc="fit", delay=delay, leave=True)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def show(self, train_loss: float, val_loss: float | None) -> None:
        if self._bar is None:
            return
        postfix = {"loss": f"{train_loss:.4g}"}
        if val_loss is not None:
            postfix["val_loss"] = f"{val_loss:.4g}"
        self._bar.set_postfix(postfix, refresh=False)
        self._bar.update()
