"""Checks at the boundary of the public API, with errors that say what was received.

Every public function of companion validates its arguments with these helpers, so a learner
who passes the wrong thing is told which argument, what was expected and what arrived.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def is_finite_float_array(value: object) -> bool:
    """Whether ``value`` already is what :func:`as_float_array` returns: a finite float32 or
    float64 ndarray. A cheap test for hot paths, which build an error message only if not."""
    if type(value) is not np.ndarray or value.dtype not in FLOAT_DTYPES:
        return False
    return bool(np.isfinite(value).all())


def as_float_array(value: object, name: str, *, allow_int: bool = False) -> np.ndarray:
    """Return ``value`` as a finite floating-point array, or raise naming ``name``.

    Integer input is refused unless ``allow_int`` (then it is converted to float64): a
    finite-difference step added to an integer array would be silently truncated.
    """
    if is_finite_float_array(value):  # the usual case: nothing to convert
        return value
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and the like
        raise TypeError(
            f"{name} must be an array of numbers; got {type(value).__name__}"
        ) from error
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must be an array of floats; got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real; got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.integer):
        if not allow_int:
            raise TypeError(
                f"{name} must have a floating-point dtype (float32 or float64); got {array.dtype}."
                f" Convert it with {name}.astype(float)"
            )
        array = array.astype(np.float64)
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite values; got nan or inf")
    return array


def positive_number(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a positive finite real number, or raise naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number; got {type(value).__name__} {value!r}")
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return value


def positive_int(value: object, name: str) -> int:
    """Return ``value`` as an int if it is an integer of at least 1, or raise naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer; got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def real_number(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number, or raise naming it.

    A non-number (a string, None, a bool, an array) is a ``TypeError``; nan or inf a
    ``ValueError``. Every number check below starts here.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number; got {value!r}")
    return value


def nonnegative_number(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number of at least 0, or raise
    naming it (a non-number is a ``TypeError``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a non-negative number; got {type(value).__name__} {value!r}"
        )
    if not value >= 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be a non-negative number; got {value!r}")
    return float(value)


def in_unit_interval(value: object, name: str, *, include_one: bool = False) -> float:
    """Return ``value`` as a float if it lies in [0, 1) (or [0, 1] with ``include_one``), or
    raise naming it: a decay rate, a momentum, a dampening."""
    value = real_number(value, name)
    if not (0 <= value <= 1 if include_one else 0 <= value < 1):
        interval = "[0, 1]" if include_one else "[0, 1)"
        raise ValueError(f"{name} must be in {interval}; got {value!r}")
    return value


def pair_in_unit_interval(value: object, name: str) -> tuple[float, float]:
    """Return ``value`` as a pair of floats, each in [0, 1), or raise naming it: Adam's
    ``betas``. Not a sequence is a ``TypeError``; another length a ``ValueError``."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a pair of numbers; got {type(value).__name__} {value!r}")
    if len(value) != 2:
        raise ValueError(f"{name} must be a pair of numbers; got {len(value)}: {value!r}")
    return (in_unit_interval(value[0], f"{name}[0]"), in_unit_interval(value[1], f"{name}[1]"))


def flag(value: object, name: str) -> bool:
    """Return ``value`` as a bool if it is True or False (NumPy's too), or raise naming it."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}")
    return bool(value)


def finite_nonnegative_number(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number of at least 0, or raise naming
    it (unlike :func:`nonnegative_number`, infinity is refused: e.g. a noise level)."""
    value = nonnegative_number(value, name)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite non-negative number; got {value!r}")
    return value


def finite_real(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number (not a bool), or raise naming
    it."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r:.60}")
    if isinstance(value, np.complexfloating) or not np.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite real number; got {value!r}")
    return float(value)


def float_dtype(dtype: object, name: str = "dtype") -> type:
    """Return ``dtype`` as numpy.float32 or numpy.float64, or raise a TypeError naming it."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if dtype is None or resolved not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be numpy.float64 or numpy.float32; got {dtype!r}")
    return resolved.type


def safe_mean(values: np.ndarray) -> float:
    """The mean of finite values without overflow in the sum: ``mean`` first, and where that
    overflows, the sum of ``values / n`` (never above the largest value). Infinite only if
    ``values`` itself is."""
    with np.errstate(over="ignore"):
        mean = float(np.mean(values))
    if np.isfinite(mean) or values.size == 0:
        return mean
    return float(np.sum(values / values.size))
