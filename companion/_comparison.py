"""What :func:`companion.compare.compare` and :func:`~companion.compare.sweep_lr` return: runs
over seeds, their mean and spread. Re-exported by :mod:`companion.compare`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .training import History

__all__ = ["CURVES", "Comparison", "LRSweep", "Runs", "Spread"]

#: The per-epoch records of :class:`~companion.training.History` that :meth:`Runs.curve` knows.
CURVES = ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "grad_norm", "seconds")


@dataclass(frozen=True)
class Spread:
    r"""Mean and spread of one number over several runs.

    Attributes
    ----------
    mean : float
        The mean :math:`\bar x` over the :math:`k` runs that finished.
    std : float
        The standard deviation :math:`\sqrt{\frac1{k}\sum_i (x_i - \bar x)^2}`.
    low : float
        The smallest value.
    high : float
        The largest value.
    count : int
        :math:`k`, the number of values (NaNs — runs that diverged — are left out).

    Examples
    --------
    >>> s = Spread.of([0.95, 0.97, 0.96, float("nan")])
    >>> round(s.mean, 6), s.low, s.high, s.count
    (0.96, 0.95, 0.97, 3)
    >>> print(s)
    0.96 ± 0.00816 (0.95 to 0.97, 3 runs)
    """

    mean: float
    std: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float] | np.ndarray) -> Spread:
        """The spread of ``values``, leaving out NaNs (all NaN: every field NaN, count 0)."""
        values = np.asarray(values, dtype=np.float64).ravel()
        values = values[~np.isnan(values)]
        if values.size == 0:
            return cls(math.nan, math.nan, math.nan, math.nan, 0)
        return cls(
            float(values.mean()),
            float(values.std()),
            float(values.min()),
            float(values.max()),
            int(values.size),
        )

    @property
    def width(self) -> float:
        """The full range of the runs, ``high - low``."""
        return self.high - self.low

    def __str__(self) -> str:
        return (
            f"{self.mean:.3g} ± {self.std:.3g} ({self.low:.3g} to {self.high:.3g}, "
            f"{self.count} runs)"
        )


@dataclass(frozen=True)
class Runs:
    """One optimizer trained once per seed.

    Attributes
    ----------
    name : str
    lr : float
        The learning rate of the optimizer's first parameter group.
    epochs : int
        The epochs every run was given (a run that diverged completed fewer).
    seeds : tuple of int
    histories : tuple of History
        One per seed, in the order of ``seeds``.
    test_loss : numpy.ndarray, shape (len(seeds),)
        On the test set at the end of each run; NaN for a run that diverged.
    test_accuracy : numpy.ndarray, shape (len(seeds),)
        Likewise.
    """

    name: str
    lr: float
    epochs: int
    seeds: tuple[int, ...]
    histories: tuple[History, ...]
    test_loss: np.ndarray
    test_accuracy: np.ndarray

    @property
    def diverged(self) -> int:
        """How many of the runs diverged."""
        return sum(h.diverged for h in self.histories)

    def curve(self, field: str = "train_loss") -> np.ndarray:
        """A per-epoch record of every run, one row per seed: shape ``(seeds, epochs)``.

        ``field`` is one of :data:`CURVES`. A run that stopped early (it diverged, or early
        stopping ended it) is padded with NaN.
        """
        if field not in CURVES:
            raise ValueError(f"field must be one of {CURVES}; got {field!r}")
        rows = np.full((len(self.histories), self.epochs), np.nan)
        for row, history in zip(rows, self.histories, strict=True):
            values = getattr(history, field)
            row[: len(values)] = values
        return rows

    def final(self, field: str = "train_loss") -> Spread:
        """The :class:`Spread` over seeds of a per-epoch record at each run's last epoch, or of
        ``"test_loss"`` / ``"test_accuracy"``. Diverged runs are left out (see
        :attr:`diverged`)."""
        if field in ("test_loss", "test_accuracy"):
            return Spread.of(getattr(self, field))
        if field not in CURVES:
            raise ValueError(
                f"field must be one of {CURVES} or test_loss, test_accuracy; got {field!r}"
            )
        return Spread.of(
            [
                np.nan if h.diverged or not h.epochs else float(getattr(h, field)[-1])
                for h in self.histories
            ]
        )

    @property
    def seconds_per_step(self) -> Spread:
        """Training time per step (evaluation excluded), over seeds."""
        return Spread.of(
            [h.step_seconds[-1] / h.steps if h.steps else np.nan for h in self.histories]
        )


@dataclass(frozen=True)
class Comparison:
    """Several optimizers, each trained once per seed by :func:`compare`.

    Index it by an optimizer's name to get its :class:`Runs`; iterate over it for the names.
    """

    runs: dict[str, Runs]
    epochs: int
    batch_size: int

    def __getitem__(self, name: str) -> Runs:
        try:
            return self.runs[name]
        except KeyError:
            raise KeyError(
                f"no optimizer named {name!r}; the names are {list(self.runs)}"
            ) from None

    def __iter__(self):
        return iter(self.runs)

    def __len__(self) -> int:
        return len(self.runs)

    def table(self) -> str:
        """A plain-text table: per optimizer, η, the final training and validation losses,
        the test accuracy (mean ± standard deviation, and the range) and the time per step."""
        header = (
            f"{'optimizer':10s} {'lr':>7s}  {'train loss':>17s}  {'val loss':>15s}  "
            f"{'test accuracy':>25s}  {'ms/step':>7s}"
        )
        lines = [header, "-" * len(header)]
        for name, runs in self.runs.items():
            train, val = runs.final("train_loss"), runs.final("val_loss")
            acc = runs.final("test_accuracy")
            ms = 1e3 * runs.seconds_per_step.mean
            line = (
                f"{name:10s} {runs.lr:7.3g}  {train.mean:8.2e} ± {train.std:6.1e}  "
                f"{val.mean:6.3f} ± {val.std:6.3f}  "
                f"{acc.mean:6.2%} ± {acc.std:5.2%} [{acc.low:5.1%}, {acc.high:5.1%}]  {ms:7.3f}"
            )
            if runs.diverged:
                line += f"  ({runs.diverged} diverged)"
            lines.append(line)
        return "\n".join(lines)


@dataclass(frozen=True)
class LRSweep:
    """What :func:`sweep_lr` measured.

    Attributes
    ----------
    lrs : numpy.ndarray
        The learning rates tried, in the order given.
    val_loss : numpy.ndarray
        For each, the validation loss at the last epoch, averaged over the seeds; ``inf`` if
        any run diverged.
    best_lr : float
        The learning rate with the lowest ``val_loss``.
    comparison : Comparison
        Every run, keyed by the learning rate formatted with ``:g``.
    """

    lrs: np.ndarray
    val_loss: np.ndarray
    best_lr: float
    comparison: Comparison

    def near_best(self, factor: float = 1.1) -> np.ndarray:
        """The learning rates whose validation loss is within ``factor`` times the best one:
        how wide the good range of :math:`\\eta` is."""
        return self.lrs[self.val_loss <= factor * self.val_loss.min()]
