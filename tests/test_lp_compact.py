"""The LP's compact storage: base vectors held as one value and its exceptions, parameter maps with
consecutive indices held as their first value and weights as codes, and one map shared by both row
bounds of an equality.  Each must give exactly the arrays it stands for."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from balkhash.allocation.lp import CompactVector, LPBuilder, ParamMap


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.0, 0.0, 1.5, -2.0, np.inf, -np.inf]), min_size=0, max_size=60),
       st.data())
def test_compact_vector_gives_the_array_it_holds(values, data):
    v = np.array(values, dtype=float)
    cv = CompactVector(v)
    assert np.array_equal(cv.full(), v)
    if v.size:
        index = np.array(data.draw(st.lists(st.integers(0, v.size - 1), max_size=30)), dtype=np.int64)
        assert np.array_equal(cv.take(index), v[index])
    # mostly one value: only the exceptions are stored
    assert cv.where.size == (v != cv.fill).sum()


def test_compact_vector_of_a_constant_stores_nothing():
    cv = CompactVector(np.zeros(1000))
    assert cv.where.size == 0
    assert cv.values.size == 0
    assert np.array_equal(cv.take(np.array([999, 0, 5])), np.zeros(3))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3000), st.integers(0, 50), st.integers(0, 50), st.booleans(), st.booleans(),
       st.sampled_from(["ones", "few", "many"]), st.integers(0, 2**31 - 1))
def test_param_map_compaction_is_exact(n, i0, j0, i_runs, j_runs, weights, seed):
    rng = np.random.default_rng(seed)
    i = (np.arange(i0, i0 + n) if i_runs else rng.integers(0, i0 + n + 1, n)).astype(np.int32)
    j = (np.arange(j0, j0 + n) if j_runs else rng.integers(0, j0 + n + 1, n)).astype(np.int32)
    w = {"ones": np.ones(n), "few": rng.choice([0.25, 0.5, 1.0, 2.0], n), "many": rng.random(n) + 0.5}[weights]
    size = int(i.max()) + 1
    M = ParamMap(i, j, w, size)
    assert np.array_equal(M.i, i)
    assert np.array_equal(M.j, j)
    assert (M.w is None) if np.all(w == 1.0) else np.array_equal(M.w, w)
    p = rng.random(int(j.max()) + 1)
    expected = np.bincount(i, weights=w * p[j], minlength=size)
    assert np.allclose(M.apply(p), expected, rtol=0, atol=1e-12)
    index = np.unique(rng.integers(0, size, 7))
    assert np.allclose(M.at(index, p), expected[index], rtol=0, atol=1e-12)
    # consecutive indices keep no array; few distinct weights keep one-byte codes
    assert isinstance(M._i, int) == (i_runs or bool(np.all(np.diff(i) == 1)))
    if weights == "few" and n >= 1020 and not np.all(w == 1.0):
        assert isinstance(M._w, tuple)
        assert M._w[0].dtype == np.uint8


def test_both_bounds_of_an_equality_share_one_map_and_follow_a_change():
    b = LPBuilder()
    x = b.add_vars("x", (range(3),), lower=0.0, upper=np.inf)
    rows = b.add_rows("bal", (range(3),), lower=0.0, upper=0.0)
    b.add_terms(rows.rows, x.cols, 1.0)
    b.parameter("inflow", ["a", "b", "c"], [1.0, 2.0, 3.0], "Mm3")
    b.add_effect("inflow", "rhs", rows.rows, np.arange(3))
    b.parameter("floor", ["a"], [0.5], "Mm3")
    b.add_effect("floor", "row_lower", rows.rows[:1], [0])
    lp = b.finish()
    assert lp.maps[("inflow", "row_lower")] is lp.maps[("inflow", "row_upper")]
    assert np.array_equal(lp.current["row_lower"], [1.5, 2.0, 3.0])
    assert np.array_equal(lp.current["row_upper"], [1.0, 2.0, 3.0])
    touched = lp.set_parameter("inflow", np.array([2]), np.array([7.0]))
    assert set(touched) == {"row_lower", "row_upper"}
    assert np.array_equal(lp.current["row_lower"], [1.5, 2.0, 7.0])
    assert np.array_equal(lp.current["row_upper"], [1.0, 2.0, 7.0])
    lp.refresh()
    assert np.array_equal(lp.current["row_lower"], [1.5, 2.0, 7.0])
    assert np.array_equal(lp.current["row_upper"], [1.0, 2.0, 7.0])


def test_block_positions_are_32_bit():
    b = LPBuilder()
    x = b.add_vars("x", (range(4), range(5)), lower=0.0, upper=1.0)
    assert x.cols.dtype == np.int32
    assert x.cols.shape == (4, 5)
    assert np.array_equal(x.cols.reshape(-1), np.arange(20))
