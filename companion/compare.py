r"""Comparing optimizers fairly: the same model and data, several seeds, mean and spread
(Chapter 8).

One training run says little: change the seed — the initial weights and the order of the
mini-batches — and the curves move. A fair comparison of optimizers therefore

1. tunes each optimizer's learning rate :math:`\eta` on the **validation** set
   (:func:`sweep_lr`), since every method has its own scale of :math:`\eta`;
2. trains every optimizer from the same model factory on the same data, once per seed
   (:func:`compare`), recording the per-epoch losses, the training time and the final test
   loss and accuracy;
3. reports the mean *and the spread* over seeds (:class:`Spread`), and draws the mean curve
   with a band from the lowest to the highest run (:func:`plot_spread`), against epochs and
   against seconds;
4. times a step of each optimizer fairly, interleaved and repeated (:func:`time_steps`): on
   a shared machine a run's own clock also measures whatever else was running.

The data are any object with the six arrays ``X_train, y_train, X_val, y_val, X_test,
y_test`` as attributes, such as :func:`companion.data.digits`'s split.

>>> from functools import partial
>>> from companion.data import digits
>>> from companion.layers import mlp
>>> from companion.optim import SGD, Adam
>>> data = digits(seed=0)
>>> result = compare({"sgd": partial(SGD, lr=0.1), "adam": partial(Adam, lr=3e-3)},
...                  lambda seed: mlp([64, 32, 10], seed=seed), data, seeds=(0, 1), epochs=3)
>>> result["adam"].curve("train_loss").shape          # (seeds, epochs)
(2, 3)
>>> bool(result["adam"].final("test_accuracy").mean > 0.9)
True
"""

from __future__ import annotations

import itertools
import math
import numbers
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import _comparison
from ._comparison import Comparison, LRSweep, Runs, Spread
from ._validate import as_float_array
from .data import _endless
from .losses import softmax_cross_entropy
from .training import evaluate, fit

__all__ = [
    "CURVES",
    "DATA_FIELDS",
    "Comparison",
    "LRSweep",
    "Runs",
    "Spread",
    "compare",
    "plot_spread",
    "sweep_lr",
    "time_steps",
]

#: The arrays a data set must have (as attributes) to be compared on.
DATA_FIELDS = ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")

#: The per-epoch records of :class:`~companion.training.History` that :meth:`Runs.curve` knows.
CURVES = _comparison.CURVES


def compare(
    optimizers: Mapping[str, Callable[[list[np.ndarray]], Any]],
    make_model: Callable[[int], Any],
    data: Any,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    epochs: int = 20,
    batch_size: int = 32,
    **fit_options: Any,
) -> Comparison:
    r"""Train a fresh model with every optimizer, once per seed, and collect the results.

    For every optimizer and every seed :math:`s`, the model is ``make_model(s)`` and
    :func:`~companion.training.fit` trains it on the training set with ``seed=s`` (the order of
    the mini-batches), watching the validation set; then the test loss and accuracy are
    measured. The same seed gives every optimizer the *same* initial weights and the same
    sequence of mini-batches, so the optimizers differ only in their update rule.

    Parameters
    ----------
    optimizers : mapping of str to callable
        Name → a function that builds an optimizer from the parameter list, such as
        ``functools.partial(Adam, lr=3e-3)``. Names are usually the keys of
        :data:`companion.plots.COLORS`, so that figures colour them consistently.
    make_model : callable
        ``make_model(seed)`` returns a fresh model (e.g. ``lambda s: mlp([64, 64, 10],
        seed=s)``).
    data : object
        Has the arrays :data:`DATA_FIELDS` as attributes (e.g. :func:`companion.data.digits`).
    seeds : sequence of int, default (0, 1, 2)
        Distinct seeds, one run per seed.
    epochs : int, default 20
    batch_size : int, default 32
    **fit_options
        Passed on to :func:`~companion.training.fit` (e.g. ``l2=1e-4``); ``progress`` is
        False unless given.

    Returns
    -------
    Comparison

    Raises
    ------
    TypeError, ValueError
        If ``optimizers`` is empty or not a mapping of names to callables, ``make_model`` is
        not callable, ``data`` lacks one of the arrays, or ``seeds`` is empty, repeats a seed
        or holds something other than integers.
    """
    optimizers = _check_optimizers(optimizers)
    if not callable(make_model):
        raise TypeError(f"make_model must be a function of the seed; got {make_model!r}")
    data = _check_data(data)
    seeds = _check_seeds(seeds)
    fit_options.setdefault("progress", False)
    for reserved in ("optimizer", "lr", "validation", "seed", "epochs", "batch_size"):
        if reserved in fit_options:
            raise TypeError(f"compare sets fit's {reserved!r} itself; do not pass it")

    runs = {}
    for name, make_optimizer in optimizers.items():
        histories, test_loss, test_accuracy, lr = [], [], [], math.nan
        for seed in seeds:
            model = make_model(seed)
            optimizer = make_optimizer(model.params)
            groups = getattr(optimizer, "param_groups", None)
            if groups:
                lr = float(groups[0]["lr"])
            history = fit(
                model,
                data["X_train"],
                data["y_train"],
                optimizer=optimizer,
                epochs=epochs,
                batch_size=batch_size,
                validation=(data["X_val"], data["y_val"]),
                seed=seed,
                **fit_options,
            )
            histories.append(history)
            if history.diverged:
                test_loss.append(math.nan)
                test_accuracy.append(math.nan)
            else:
                loss_value, acc = evaluate(model, data["X_test"], data["y_test"])
                test_loss.append(loss_value)
                test_accuracy.append(math.nan if acc is None else acc)
        runs[name] = Runs(
            name=name,
            lr=lr,
            epochs=int(epochs),
            seeds=seeds,
            histories=tuple(histories),
            test_loss=np.array(test_loss),
            test_accuracy=np.array(test_accuracy),
        )
    return Comparison(runs=runs, epochs=int(epochs), batch_size=int(batch_size))


def sweep_lr(
    optimizer: Callable[..., Any],
    lrs: Sequence[float],
    make_model: Callable[[int], Any],
    data: Any,
    *,
    seeds: Sequence[int] = (0,),
    epochs: int = 20,
    batch_size: int = 32,
    **fit_options: Any,
) -> LRSweep:
    r"""Tune the learning rate: train with each :math:`\eta` and keep the one with the lowest
    validation loss.

    A grid on a log scale (e.g. factors of 3 apart) is the usual first search: the good
    :math:`\eta` of different optimizers differ by orders of magnitude, and within one
    optimizer the loss changes with :math:`\log\eta`. The choice is made on the validation
    set, never the test set, which stays unseen for the final comparison.

    Parameters
    ----------
    optimizer : callable
        ``optimizer(params, lr=...)`` builds the optimizer: a class such as ``Adam``, or a
        ``functools.partial`` that fixes the other hyperparameters (``partial(SGD,
        momentum=0.9)``).
    lrs : sequence of float
        The positive learning rates to try (at least one).
    make_model, data, seeds, epochs, batch_size, **fit_options
        As for :func:`compare` (here one seed by default).

    Returns
    -------
    LRSweep

    Examples
    --------
    >>> from companion.data import digits
    >>> from companion.layers import mlp
    >>> from companion.optim import SGD
    >>> sweep = sweep_lr(SGD, [1e-3, 0.1], lambda s: mlp([64, 16, 10], seed=s),
    ...                  digits(seed=0), epochs=3)
    >>> sweep.best_lr
    0.1
    """
    if not callable(optimizer):
        raise TypeError(
            f"optimizer must build an optimizer as optimizer(params, lr=...); got {optimizer!r}"
        )
    grid = as_float_array(lrs, "lrs", allow_int=True).astype(np.float64).reshape(-1)
    if grid.size == 0 or np.any(grid <= 0):
        raise ValueError(f"lrs must be one or more positive learning rates; got {list(lrs)!r}")
    if len(set(grid.tolist())) != grid.size:
        raise ValueError(f"lrs must not repeat a learning rate; got {grid.tolist()}")

    def bind(lr: float) -> Callable[[list[np.ndarray]], Any]:
        return lambda params: optimizer(params, lr=lr)

    comparison = compare(
        {f"{lr:g}": bind(lr) for lr in grid},
        make_model,
        data,
        seeds=seeds,
        epochs=epochs,
        batch_size=batch_size,
        **fit_options,
    )
    val_loss = np.array(
        [
            np.inf if runs.diverged else float(np.mean(runs.curve("val_loss")[:, -1]))
            for runs in comparison.runs.values()
        ]
    )
    return LRSweep(grid, val_loss, float(grid[int(np.argmin(val_loss))]), comparison)


def time_steps(
    optimizers: Mapping[str, Callable[[list[np.ndarray]], Any]],
    make_model: Callable[[int], Any],
    data: Any,
    *,
    batch_size: int = 32,
    steps: int = 50,
    repeats: int = 5,
    seed: int = 0,
) -> dict[str, Spread]:
    r"""Seconds per training step of each optimizer, timed fairly: interleaved and repeated.

    A step is what :func:`~companion.training.fit` does per mini-batch: forward pass,
    softmax cross-entropy, backward pass, optimizer step. Each repeat times ``steps`` steps
    of every optimizer *in turn*, on the same mini-batches, so a slow spell of the machine
    (another program, a clock change) hits all of them alike rather than one. The spread is
    over the repeats; its ``low``, the fastest repeat, is the least disturbed estimate.

    Parameters
    ----------
    optimizers, make_model, data
        As for :func:`compare`; every optimizer gets its own ``make_model(seed)``.
    batch_size : int, default 32
    steps : int, default 50
        Steps per timing.
    repeats : int, default 5
    seed : int, default 0
        For the model and the order of the mini-batches.

    Returns
    -------
    dict of str to Spread
        Seconds per step, by optimizer name.

    Raises
    ------
    TypeError, ValueError
        For arguments as in :func:`compare`, or a count that is not a positive integer; a
        setting that diverges fails at its optimizer's ``step`` (time it with a smaller
        learning rate).

    Examples
    --------
    >>> from functools import partial
    >>> from companion.data import digits
    >>> from companion.layers import mlp
    >>> from companion.optim import SGD
    >>> times = time_steps({"sgd": partial(SGD, lr=0.1)}, lambda s: mlp([64, 16, 10], seed=s),
    ...                    digits(seed=0), steps=5, repeats=2)
    >>> times["sgd"].count, bool(0 < times["sgd"].low < 1)
    (2, True)
    """
    optimizers = _check_optimizers(optimizers)
    if not callable(make_model):
        raise TypeError(f"make_model must be a function of the seed; got {make_model!r}")
    arrays = _check_data(data)
    for value, name in ((steps, "steps"), (repeats, "repeats"), (batch_size, "batch_size")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    # as many epochs of shuffled mini-batches as it takes
    stream = _endless(arrays["X_train"], arrays["y_train"], batch_size, np.random.default_rng(seed))
    batches = list(itertools.islice(stream, steps))
    trainees = {}
    for name, make_optimizer in optimizers.items():
        model = make_model(seed)
        trainees[name] = (model, make_optimizer(model.params))
    seconds: dict[str, list[float]] = {name: [] for name in optimizers}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(repeats):
            for name, (model, optimizer) in trainees.items():
                tick = time.perf_counter()
                for X_batch, y_batch in batches:
                    _, grad_out = softmax_cross_entropy(model.forward(X_batch), y_batch)
                    model.backward(grad_out)
                    optimizer.step(model.grads)
                seconds[name].append((time.perf_counter() - tick) / steps)
    return {name: Spread.of(values) for name, values in seconds.items()}


def plot_spread(
    ax: Any,
    comparison: Comparison,
    field: str = "train_loss",
    x: str = "epoch",
    names: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    log: bool = True,
) -> list[Any]:
    """Draw each optimizer's mean curve over seeds, with a band from its lowest to its highest
    run.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    comparison : Comparison
    field : str, default "train_loss"
        One of :data:`CURVES`.
    x : {"epoch", "seconds"}, default "epoch"
        Against the epoch (1, 2, ...) or against the training time: then each point sits at
        the *mean* over seeds of the time taken to reach the end of that epoch.
    names : sequence of str, optional
        Which optimizers, in which order (all by default). A name of
        :data:`companion.plots.COLORS` gets its colour.
    labels : mapping of str to str, optional
        Legend labels by name (the name itself by default).
    log : bool, default True
        A logarithmic y axis.

    Returns
    -------
    list of matplotlib.lines.Line2D
        The mean curves, in order.
    """
    from .plots import COLORS, PALETTE

    if x not in ("epoch", "seconds"):
        raise ValueError(f"x must be 'epoch' or 'seconds'; got {x!r}")
    names = list(comparison) if names is None else list(names)
    lines = []
    for i, name in enumerate(names):
        runs = comparison[name]
        values = runs.curve(field)
        if x == "epoch":
            where = np.arange(1, values.shape[1] + 1)
        else:
            where = np.nanmean(runs.curve("seconds"), axis=0)
        shade = COLORS.get(name, PALETTE[i % len(PALETTE)])
        label = name if labels is None else labels.get(name, name)
        with warnings.catch_warnings():  # an epoch where every run diverged: all NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(values, axis=0)
            low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        (line,) = ax.plot(where, mean, color=shade, label=label)
        ax.fill_between(where, low, high, color=shade, alpha=0.2, linewidth=0)
        lines.append(line)
    ax.set(xlabel="epoch" if x == "epoch" else "training time (s)", ylabel=field.replace("_", " "))
    if log:
        ax.set_yscale("log")
    return lines


# --- checks ------------------------------------------------------------------------------------


def _check_optimizers(optimizers: object) -> dict[str, Callable]:
    if not isinstance(optimizers, Mapping) or not optimizers:
        raise TypeError(
            "optimizers must be a non-empty mapping of names to optimizer factories, e.g. "
            f"{{'adam': functools.partial(Adam, lr=1e-3)}}; got {optimizers!r}"
        )
    for name, factory in optimizers.items():
        if not isinstance(name, str) or not callable(factory):
            raise TypeError(
                f"optimizers must map names (str) to callables; got {name!r}: {factory!r}"
            )
    return dict(optimizers)


def _check_data(data: object) -> dict[str, np.ndarray]:
    missing = [field for field in DATA_FIELDS if not hasattr(data, field)]
    if missing:
        raise TypeError(
            f"data must have the arrays {', '.join(DATA_FIELDS)} as attributes (e.g. "
            f"companion.data.digits()); {type(data).__name__} lacks {', '.join(missing)}"
        )
    arrays = {field: np.asarray(getattr(data, field)) for field in DATA_FIELDS}
    for part in ("train", "val", "test"):
        X, y = arrays[f"X_{part}"], arrays[f"y_{part}"]
        if len(X) == 0 or len(X) != len(y):
            raise ValueError(
                f"data.X_{part} and data.y_{part} must have the same, non-zero number of rows; "
                f"got {len(X)} and {len(y)}"
            )
    return arrays


def _check_seeds(seeds: object) -> tuple[int, ...]:
    if isinstance(seeds, numbers.Integral) or not isinstance(seeds, Sequence):
        raise TypeError(f"seeds must be a sequence of integers, e.g. (0, 1, 2); got {seeds!r}")
    if not seeds or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in seeds
    ):
        raise ValueError(f"seeds must be one or more integers; got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct (a repeated seed repeats a run); got {seeds!r}")
    return tuple(int(s) for s in seeds)
