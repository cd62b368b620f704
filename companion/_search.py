r"""Grid and random search over a space of :class:`Range` objects (Bergstra & Bengio, 2012).
Re-exported by :mod:`companion.tuning`, where readers import them.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ._validate import positive_int

__all__ = ["Range", "SearchResult", "grid_search", "log_uniform", "random_search", "uniform"]

Seed = int | np.random.Generator | None


# --- search spaces --------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    r"""The interval a hyperparameter is searched in, on a linear or a logarithmic scale.

    On a log scale (``log=True``) equal *ratios* count as equal distances: from
    :math:`10^{-4}` to :math:`10^{-3}` is as far as from :math:`0.1` to :math:`1`. That is
    the right scale for a learning rate or a penalty, whose useful values span orders of
    magnitude. Build one with :func:`uniform` or :func:`log_uniform`.

    Attributes
    ----------
    low, high : float
    log : bool
    """

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        for name in ("low", "high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a number; got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite; got {value!r}")
        if not self.low < self.high:
            raise ValueError(f"low must be below high; got {self.low!r} and {self.high!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log scale needs low > 0; got {self.low!r}")

    def _to_unit(self, u: np.ndarray) -> np.ndarray:
        """Map u in [0, 1] to the range, linearly or on a log scale."""
        if self.log:
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)

    def grid(self, points: int) -> np.ndarray:
        r"""``points`` values at the centres of equal slices of the range.

        The :math:`i`-th of :math:`k` points sits at the fraction :math:`(i + \frac12)/k` of
        the (log) range, so every point stands for an equal share of it, as a random draw
        does on average. (``np.linspace`` and ``np.logspace`` put points on the ends
        instead, which spends two of them on the extremes.)

        Examples
        --------
        >>> log_uniform(1e-4, 1.0).grid(2)
        array([0.001, 0.1  ])
        >>> uniform(0.0, 1.0).grid(4)
        array([0.125, 0.375, 0.625, 0.875])
        """
        points = positive_int(points, "points")
        return self._to_unit((np.arange(points) + 0.5) / points)

    def sample(self, rng: np.random.Generator, size: int | None = None) -> float | np.ndarray:
        """Draws, uniform on the range's scale (log-uniform for ``log=True``).

        Examples
        --------
        >>> draws = log_uniform(1e-3, 1.0).sample(np.random.default_rng(0), 10_000)
        >>> round(float(np.mean(draws < 0.01)), 2)       # a third of the log range
        0.33
        """
        u = rng.random(size)
        return self._to_unit(u) if size is not None else float(self._to_unit(np.asarray(u)))


def uniform(low: float, high: float) -> Range:
    """A hyperparameter drawn uniformly from ``[low, high]``.

    Examples
    --------
    >>> uniform(0.0, 0.99)
    Range(low=0.0, high=0.99, log=False)
    """
    return Range(low, high, log=False)


def log_uniform(low: float, high: float) -> Range:
    r"""A hyperparameter whose logarithm is drawn uniformly: as likely to fall in
    :math:`[10^{-4}, 10^{-3}]` as in :math:`[10^{-2}, 10^{-1}]`.

    Examples
    --------
    >>> log_uniform(1e-4, 1e-1).grid(3)
    array([0.00031623, 0.00316228, 0.03162278])
    """
    return Range(low, high, log=True)


# --- grid and random search --------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    """The trials of :func:`grid_search` or :func:`random_search`, in the order they ran.

    Attributes
    ----------
    trials : tuple of dict
        The hyperparameters of each trial.
    scores : numpy.ndarray
        The objective's value for each trial (NaN where it was not finite).
    maximize : bool
        Whether a higher score is better.
    """

    trials: tuple[dict[str, float], ...]
    scores: np.ndarray
    maximize: bool

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.trials[0])

    def values(self, name: str) -> np.ndarray:
        """The values hyperparameter ``name`` took, one per trial."""
        return np.array([trial[name] for trial in self.trials])

    @property
    def _ranked(self) -> np.ndarray:
        """Trial indices from best to worst; non-finite scores last."""
        key = -self.scores if self.maximize else self.scores
        return np.argsort(np.where(np.isnan(key), np.inf, key), kind="stable")

    @property
    def best_index(self) -> int:
        return int(self._ranked[0])

    @property
    def best(self) -> dict[str, float]:
        """The hyperparameters of the best trial."""
        return dict(self.trials[self.best_index])

    @property
    def best_score(self) -> float:
        return float(self.scores[self.best_index])

    @property
    def best_so_far(self) -> np.ndarray:
        """The best score among the first 1, 2, … trials (NaN until a score is finite)."""
        worst = -np.inf if self.maximize else np.inf
        scores = np.where(np.isnan(self.scores), worst, self.scores)
        running = (np.maximum if self.maximize else np.minimum).accumulate(scores)
        return np.where(np.isinf(running), np.nan, running)

    def table(self, top: int | None = None) -> str:
        """The trials as a text table, best first (``top`` rows at most).

        Examples
        --------
        >>> space = {"x": uniform(0.0, 1.0)}
        >>> print(grid_search(lambda p: (p["x"] - 0.3) ** 2, space, points=3).table(top=2))
        rank        x     score
           1   0.1667   0.01778
           2      0.5      0.04
        """
        rows = [["rank", *self.names, "score"]]
        for rank, i in enumerate(self._ranked[:top], start=1):
            rows.append([str(rank), *(f"{v:.4g}" for v in self.trials[i].values())])
            rows[-1].append(f"{self.scores[i]:.4g}")
        widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
        return "\n".join(
            "   ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
        )


def grid_search(
    objective: Callable[[dict[str, float]], float],
    space: Mapping[str, Range],
    points: int | Mapping[str, int],
    maximize: bool = False,
) -> SearchResult:
    r"""Try every combination of ``points`` values per hyperparameter.

    With :math:`k` points on each of :math:`d` axes the budget is :math:`k^d` trials — but
    every hyperparameter takes only :math:`k` distinct values. If only one of them matters,
    :math:`k^d` trials test just :math:`k` values of it (Bergstra & Bengio, 2012): see
    :func:`random_search`. The points of each axis are :meth:`Range.grid`'s.

    Parameters
    ----------
    objective : callable
        ``objective(params) -> float`` for a dict ``{name: value}`` of hyperparameters, e.g.
        a validation loss. A non-finite value (a diverged run) is recorded as NaN and never
        wins.
    space : mapping of str to Range
    points : int or mapping of str to int
        Points per axis: one number for all, or one per name.
    maximize : bool, default False
        Higher scores are better (e.g. an accuracy) instead of lower.

    Returns
    -------
    SearchResult

    Examples
    --------
    >>> space = {"lr": log_uniform(1e-3, 1.0), "momentum": uniform(0.0, 0.9)}
    >>> result = grid_search(lambda p: p["lr"] * (1 - p["momentum"]), space, points=3)
    >>> len(result.trials), len(set(result.values("lr")))           # 9 trials, 3 rates
    (9, 3)
    """
    space = _check_space(space)
    if isinstance(points, Mapping):
        if set(points) != set(space):
            raise ValueError(
                f"points must name every hyperparameter {sorted(space)}; got {sorted(points)}"
            )
        axes = [space[name].grid(points[name]) for name in space]
    else:
        axes = [r.grid(points) for r in space.values()]
    trials = [
        dict(zip(space, map(float, combo), strict=True)) for combo in itertools.product(*axes)
    ]
    return _run(objective, trials, maximize)


def random_search(
    objective: Callable[[dict[str, float]], float],
    space: Mapping[str, Range],
    trials: int,
    seed: Seed = None,
    maximize: bool = False,
) -> SearchResult:
    r"""Try ``trials`` independent random draws from the search space.

    Every trial draws every hyperparameter afresh (log-uniformly on a log :class:`Range`),
    so :math:`n` trials test :math:`n` distinct values of *each* hyperparameter. When only a
    few hyperparameters matter — the usual case, and which ones differs from problem to
    problem — that covers the important ones far better than a grid of the same budget
    (Bergstra & Bengio, 2012). It also needs no budget of the form :math:`k^d`, can be
    stopped or extended at any time, and its trials are independent (run them in parallel).

    Parameters
    ----------
    objective : callable
        ``objective(params) -> float``, as for :func:`grid_search`.
    space : mapping of str to Range
    trials : int
    seed : int or numpy.random.Generator, optional
    maximize : bool, default False

    Returns
    -------
    SearchResult

    Examples
    --------
    >>> space = {"lr": log_uniform(1e-3, 1.0), "momentum": uniform(0.0, 0.9)}
    >>> result = random_search(lambda p: p["lr"], space, trials=9, seed=0)
    >>> len(set(result.values("lr"))), bool(result.best["lr"] == result.values("lr").min())
    (9, True)
    """
    space = _check_space(space)
    trials = positive_int(trials, "trials")
    rng = np.random.default_rng(seed)
    draws = [{name: r.sample(rng) for name, r in space.items()} for _ in range(trials)]
    return _run(objective, draws, maximize)


def _run(objective: Callable, trials: list[dict[str, float]], maximize: bool) -> SearchResult:
    if not callable(objective):
        raise TypeError(
            f"objective must be a function of a dict of hyperparameters; got {objective!r}"
        )
    scores = []
    for params in trials:
        score = float(objective(dict(params)))
        scores.append(score if math.isfinite(score) else math.nan)
    return SearchResult(tuple(trials), np.array(scores), bool(maximize))


def _check_space(space: object) -> dict[str, Range]:
    if not isinstance(space, Mapping) or not space:
        raise TypeError(f"space must be a non-empty dict of name -> Range; got {space!r}")
    for name, r in space.items():
        if not isinstance(r, Range):
            raise TypeError(
                f"space[{name!r}] must be a Range (uniform(...) or log_uniform(...)); got {r!r}"
            )
    return dict(space)
