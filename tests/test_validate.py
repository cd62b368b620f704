"""The shared input checks in companion._validate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from companion._validate import (
    finite_nonnegative_number,
    finite_real,
    flag,
    in_unit_interval,
    is_finite_float_array,
    nonnegative_number,
    pair_in_unit_interval,
)

float_arrays = st.sampled_from([np.float32, np.float64]).flatmap(
    lambda dtype: hnp.arrays(
        dtype,
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
        elements=hnp.from_dtype(np.dtype(dtype), allow_nan=True, allow_infinity=True),
    )
)


@given(float_arrays)
def test_the_fast_check_agrees_with_numpy_entry_by_entry(array):
    expected = bool(np.isfinite(array).all())
    assert is_finite_float_array(array) is expected
    assert is_finite_float_array(array.T) is expected  # a non-contiguous view


@pytest.mark.parametrize("value", [[1.0, 2.0], np.array([1, 2]), np.array([1.0], np.float16)])
def test_only_float32_and_float64_arrays_pass_the_fast_check(value):
    assert not is_finite_float_array(value)


# --- the number checks: a non-number is a TypeError, a bad number a ValueError ----------------


@pytest.mark.parametrize(
    ("check", "value", "error", "message"),
    [
        (finite_real, None, TypeError, "x must be a real number; got NoneType None"),
        (finite_real, True, TypeError, "got bool True"),
        (finite_real, "1", TypeError, "got str '1'"),
        (finite_real, float("inf"), ValueError, "x must be a finite real number; got inf"),
        (nonnegative_number, "0.1", TypeError, "x must be a non-negative number; got str"),
        (nonnegative_number, -1e-9, ValueError, "x must be a non-negative number; got -1e-09"),
        (nonnegative_number, float("nan"), ValueError, "got nan"),
        (finite_nonnegative_number, float("inf"), ValueError, "x must be a finite non-negative"),
        (in_unit_interval, 1.0, ValueError, r"x must be in \[0, 1\); got 1.0"),
        (in_unit_interval, None, TypeError, "x must be a real number"),
        (pair_in_unit_interval, 0.9, TypeError, "x must be a pair of numbers; got float"),
        (pair_in_unit_interval, "ab", TypeError, "x must be a pair of numbers; got str"),
        (pair_in_unit_interval, (0.9,), ValueError, "x must be a pair of numbers; got 1"),
        (pair_in_unit_interval, (0.9, 1.5), ValueError, r"x\[1\] must be in \[0, 1\)"),
        (flag, 1, TypeError, "x must be True or False; got int 1"),
    ],
)
def test_each_kind_of_mistake_has_one_error_type_and_names_the_argument(
    check, value, error, message
):
    with pytest.raises(error, match=message):
        check(value, "x")


def test_good_values_come_back_normalized():
    assert finite_real(np.float32(0.5), "x") == 0.5 and type(finite_real(1, "x")) is float
    assert nonnegative_number(float("inf"), "x") == float("inf")  # a tolerance may be infinite
    assert in_unit_interval(1, "x", include_one=True) == 1.0
    assert pair_in_unit_interval([0, 0.5], "x") == (0.0, 0.5)
    assert flag(np.bool_(True), "x") is True
