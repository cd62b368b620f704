r"""Data for training: seeded synthetic sets, the handwritten digits, and mini-batches (Chapter 4).

Everything here is reproducible from a ``seed`` and runs offline:

- :func:`linear_regression` — a least-squares problem whose optimum :math:`\theta^*` is known
  exactly, with the loss as a :class:`~companion.surfaces.Quadratic` surface to draw;
- :func:`two_moons` and :func:`blobs` — small classification sets in the plane (the spirals
  are in :mod:`companion.toy_data`);
- :func:`digits` — scikit-learn's 8×8 handwritten digits (1,797 images that ship *inside* the
  scikit-learn package: nothing is downloaded), split into training, validation and test sets
  by :func:`train_val_test_split` and standardized with the training set's statistics;
- :func:`batch_indices` and :func:`minibatches` — one epoch of mini-batches, every example
  exactly once.

>>> X, y = two_moons(100, seed=0)
>>> batches = list(minibatches(X, y, batch_size=32, seed=0))
>>> [len(xb) for xb, yb in batches]          # 100 = 32 + 32 + 32 + 4
[32, 32, 32, 4]
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from ._synthetic import RegressionData, blobs, linear_regression, two_moons
from ._validate import as_float_array, positive_int

__all__ = [
    "DigitsSplit",
    "RegressionData",
    "batch_indices",
    "blobs",
    "digits",
    "linear_regression",
    "minibatches",
    "num_batches",
    "standardize",
    "train_val_test_split",
    "two_moons",
]

Seed = int | np.random.Generator | None


# --- mini-batches ----------------------------------------------------------------------------


def num_batches(n: int, batch_size: int) -> int:
    r"""How many mini-batches one epoch of ``n`` examples has: :math:`\lceil n / B \rceil`.

    Examples
    --------
    >>> num_batches(100, 32), num_batches(96, 32), num_batches(5, 100)
    (4, 3, 1)
    """
    n = positive_int(n, "n")
    batch_size = positive_int(batch_size, "batch_size")
    return -(-n // batch_size)  # ceiling division


def batch_indices(
    n: int, batch_size: int, shuffle: bool = True, seed: Seed = None
) -> Iterator[np.ndarray]:
    r"""The indices of one epoch's mini-batches: every index in ``0 .. n-1`` exactly once.

    With ``shuffle``, the order is a random permutation :math:`\pi` of the examples, drawn
    fresh for every call; the epoch then cuts it into consecutive pieces of ``batch_size``:

    .. math::

        \mathcal B_k = \{\pi_{kB}, \pi_{kB+1}, \dots, \pi_{\min((k+1)B,\ n) - 1}\},
        \qquad k = 0, \dots, \lceil n/B \rceil - 1.

    **The last batch.** When :math:`B` does not divide :math:`n`, the last batch is *partial*:
    it holds the remaining :math:`n \bmod B` examples. It is yielded, not dropped, so that
    every example is used once per epoch. A loss that is a *mean* over its batch gives that
    batch's gradient the same scale as the others (only noisier, since it averages fewer
    examples); a loss that is a *sum* would make its step smaller.

    Parameters
    ----------
    n : int
        The number of examples.
    batch_size : int
        :math:`B`, at least 1. A value of ``n`` or more gives one batch: full-batch descent.
    shuffle : bool, default True
        Visit the examples in a random order; if False, in their stored order (``0, 1, ...``).
    seed : int or numpy.random.Generator, optional
        Where the permutation comes from. Pass a ``Generator`` and call this once per epoch to
        get a *new* order every epoch from one reproducible stream; passing the same integer
        every epoch repeats the same order.

    Yields
    ------
    numpy.ndarray of int64
        The indices of one batch.

    Raises
    ------
    TypeError, ValueError
        If ``n`` or ``batch_size`` is not a positive integer.

    Examples
    --------
    >>> [idx.tolist() for idx in batch_indices(7, 3, shuffle=False)]
    [[0, 1, 2], [3, 4, 5], [6]]
    >>> order = np.concatenate(list(batch_indices(7, 3, seed=0)))
    >>> sorted(order.tolist())                     # a permutation: each index once
    [0, 1, 2, 3, 4, 5, 6]
    """
    n = positive_int(n, "n")
    batch_size = positive_int(batch_size, "batch_size")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]  # the last slice stops at n by itself


def minibatches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    shuffle: bool = True,
    seed: Seed = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    r"""One epoch of mini-batches ``(X_batch, y_batch)``: every example exactly once.

    The rows of ``X`` and ``y`` are taken in the order of :func:`batch_indices`, so each
    example's inputs stay with its target. There are :math:`\lceil n / B \rceil` batches;
    all hold ``batch_size`` examples except possibly the last, which holds the remaining
    :math:`n \bmod B` (it is not dropped — see :func:`batch_indices`).

    Parameters
    ----------
    X : array_like, shape (n, ...)
        The inputs, one row per example.
    y : array_like, shape (n, ...)
        The targets (labels or values), one per example.
    batch_size : int
        :math:`B`, at least 1.
    shuffle : bool, default True
        Shuffle the examples (recommended); if False, take them in stored order.
    seed : int or numpy.random.Generator, optional
        Makes the order reproducible; pass one ``Generator`` to every epoch for a new order
        each epoch.

    Yields
    ------
    X_batch, y_batch : numpy.ndarray
        New arrays (copies): changing them leaves ``X`` and ``y`` alone.

    Raises
    ------
    ValueError
        If ``X`` and ``y`` do not have the same number of rows, or are empty.
    TypeError, ValueError
        If ``batch_size`` is not a positive integer.

    Examples
    --------
    >>> X, y = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1])
    >>> for xb, yb in minibatches(X, y, batch_size=2, shuffle=False):
    ...     print(xb[:, 0], yb)
    [0. 2.] [0 1]
    [4. 6.] [0 1]
    [8.] [1]
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"X and y must be arrays with one row per example; got {X.shape}, {y.shape}"
        )
    if len(X) != len(y):
        raise ValueError(
            f"X and y must have one row per example, the same number of rows; got X with "
            f"{len(X)} rows and y with {len(y)}"
        )
    if len(X) == 0:
        raise ValueError("X and y are empty: there is nothing to batch")
    for idx in batch_indices(len(X), batch_size, shuffle=shuffle, seed=seed):
        yield X[idx], y[idx]


def _endless(
    X: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Mini-batches of epoch after epoch, each epoch in a new order drawn from ``rng``."""
    while True:
        yield from minibatches(X, y, batch_size, shuffle=True, seed=rng)


# --- splits, standardization and the digits ---------------------------------------------------


def train_val_test_split(
    X: np.ndarray,
    y: np.ndarray,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed: Seed = 0,
) -> tuple[np.ndarray, ...]:
    r"""Split examples at random into training, validation and test sets.

    One seeded permutation decides: the first :math:`\lfloor n\,\text{test\_fraction}\rceil`
    shuffled examples are the test set, the next :math:`\lfloor n\,\text{val\_fraction}\rceil`
    the validation set, the rest the training set. The three sets are disjoint and together
    hold every example once.

    - The **training** set is what the gradient is computed on.
    - The **validation** set is watched during training, to choose hyperparameters and when
      to stop. Choosing by it makes it slightly optimistic.
    - The **test** set is looked at once, at the very end: it estimates how the final model
      does on new data.

    Parameters
    ----------
    X, y : array_like
        One row per example.
    val_fraction, test_fraction : float, default 0.2
        In :math:`[0, 1)`, with a sum below 1.
    seed : int or numpy.random.Generator, default 0

    Returns
    -------
    X_train, y_train, X_val, y_val, X_test, y_test : numpy.ndarray

    Examples
    --------
    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    >>> parts = train_val_test_split(X, y, 0.2, 0.3, seed=0)
    >>> [len(p) for p in parts]
    [5, 5, 2, 2, 3, 3]
    >>> sorted(np.concatenate(parts[1::2]).tolist()) == list(range(10))
    True
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of rows; got {len(X)} and {len(y)}")
    for value, name in ((val_fraction, "val_fraction"), (test_fraction, "test_fraction")):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
            raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            f"val_fraction + test_fraction must be below 1 (something must be left to train "
            f"on); got {val_fraction} + {test_fraction}"
        )
    n = len(X)
    n_test, n_val = round(n * test_fraction), round(n * val_fraction)
    order = np.random.default_rng(seed).permutation(n)
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    return X[train], y[train], X[val], y[val], X[test], y[test]


def standardize(X_train: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    r"""Standardize features with the **training** set's mean and standard deviation.

    Every feature :math:`j` becomes :math:`(x_j - m_j)/s_j`, where :math:`m_j` and
    :math:`s_j` are computed on ``X_train`` only and then applied to every other set: the
    validation and test sets must be transformed exactly as the training set was, and must
    not leak their statistics into training. A feature that is constant on the training set
    (:math:`s_j = 0`, such as a pixel that is always blank) is only centred.

    Parameters
    ----------
    X_train : array_like, shape (n, d)
    *others : array_like, shape (m, d)
        Further sets to transform the same way.

    Returns
    -------
    tuple of numpy.ndarray
        The standardized ``X_train``, then each of ``others``, then the mean :math:`m` and the
        scale :math:`s` used (shape ``(d,)`` each).

    Examples
    --------
    >>> train, test = np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([[2.0, 6.0]])
    >>> z_train, z_test, mean, scale = standardize(train, test)
    >>> z_train, z_test
    (array([[-1.,  0.],
           [ 1.,  0.]]), array([[0., 1.]]))
    """
    X_train = as_float_array(X_train, "X_train", allow_int=True)
    if X_train.ndim != 2 or len(X_train) == 0:
        raise ValueError(f"X_train must have shape (n, d) with n >= 1; got {X_train.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        mean = X_train.mean(axis=0)
        spread = X_train.std(axis=0)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(spread))):
        mean, spread = _mean_and_std_without_overflow(X_train)
    scale = np.where(spread > 0, spread, 1.0)
    out = [(X_train - mean) / scale]
    for i, other in enumerate(others):
        other = as_float_array(other, f"others[{i}]", allow_int=True)
        if other.ndim != 2 or other.shape[1] != X_train.shape[1]:
            raise ValueError(
                f"others[{i}] must have {X_train.shape[1]} columns like X_train; got shape "
                f"{other.shape}"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            out.append((other - mean) / scale)
        if not np.all(np.isfinite(out[-1])):
            raise ValueError(
                f"others[{i}] is too far from X_train's mean for float64: standardizing it "
                "overflows"
            )
    if not np.all(np.isfinite(out[0])):  # X_train - mean overflowed: use X_train / c first
        c = np.max(np.abs(X_train), axis=0)
        out[0] = (X_train / c - mean / c) / (scale / c)
    return (*out, mean, scale)


def _mean_and_std_without_overflow(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations of ``X`` computed from ``X / c``, with ``c`` each
    column's largest ``|x|``, so that no sum overflows."""
    c = np.max(np.abs(X), axis=0)
    c = np.where(c > 0, c, 1.0)
    scaled = X / c
    return scaled.mean(axis=0) * c, scaled.std(axis=0) * c


class DigitsSplit(NamedTuple):
    """The handwritten digits, split and standardized (see :func:`digits`)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray
    scale: np.ndarray


def digits(
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed: Seed = 0,
    dtype: type = np.float64,
) -> DigitsSplit:
    r"""scikit-learn's handwritten digits, split at random and standardized on the training set.

    1,797 grey-scale images of 8×8 pixels (values 0–16), each a digit 0–9 written by one of
    43 people (UCI's *Optical Recognition of Handwritten Digits*). The data ship inside the
    scikit-learn package and are read from disk: nothing is downloaded. The images are
    flattened to 64 features, split by :func:`train_val_test_split` and standardized by
    :func:`standardize` with the training set's statistics.

    Parameters
    ----------
    val_fraction, test_fraction : float, default 0.2
    seed : int or numpy.random.Generator, default 0
        Decides the split.
    dtype : numpy.float64 or numpy.float32, default numpy.float64
        The dtype of the inputs.

    Returns
    -------
    DigitsSplit
        ``X_*`` of shape ``(m, 64)`` and labels ``y_*`` (int64, 0–9) for each set, and the
        per-pixel ``mean`` and ``scale`` used.

    Examples
    --------
    >>> data = digits(seed=0)
    >>> data.X_train.shape, data.X_val.shape, data.X_test.shape
    ((1079, 64), (359, 64), (359, 64))
    >>> bool(abs(data.X_train.mean()) < 1e-12), sorted(set(data.y_test.tolist())) == list(range(10))
    (True, True)
    """
    from sklearn.datasets import load_digits  # imported here: it takes a second

    if dtype not in (np.float64, np.float32):
        raise TypeError(f"dtype must be numpy.float64 or numpy.float32; got {dtype!r}")
    bunch = load_digits()
    X, y = bunch.data.astype(np.float64), bunch.target.astype(np.int64)
    X_train, y_train, X_val, y_val, X_test, y_test = train_val_test_split(
        X, y, val_fraction, test_fraction, seed
    )
    X_train, X_val, X_test, mean, scale = standardize(X_train, X_val, X_test)
    return DigitsSplit(
        X_train.astype(dtype),
        y_train,
        X_val.astype(dtype),
        y_val,
        X_test.astype(dtype),
        y_test,
        mean,
        scale,
    )
