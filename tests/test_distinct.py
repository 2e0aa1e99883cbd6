"""The sort-based distinct values equal numpy's np.unique on any integer array."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from balkhash.allocation.distinct import distinct, first_positions

INTS = st.sampled_from([np.int32, np.int64]).flatmap(
    lambda dt: arrays(dt, st.integers(0, 300), elements=st.integers(-50, 50)))


@settings(max_examples=200, deadline=None)
@given(INTS)
def test_distinct_values_and_first_positions_are_numpys(a):
    values, first = np.unique(a, return_index=True)
    assert np.array_equal(distinct(a), values)
    assert distinct(a).dtype == a.dtype
    assert np.array_equal(first_positions(a), first)


def test_empty_and_two_dimensional():
    assert distinct(np.zeros(0, dtype=np.int32)).size == 0
    assert first_positions(np.zeros(0, dtype=np.int64)).size == 0
    a = np.array([[3, 1], [3, 2]])
    assert distinct(a).tolist() == [1, 2, 3]
    assert first_positions(a).tolist() == [1, 3, 0]
