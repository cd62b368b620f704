"""The shared input checks in companion._validate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from companion._validate import is_finite_float_array

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
