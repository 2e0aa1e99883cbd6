"""The recorded LP (what HiGHS solves) is the Pyomo model's own standard form.

The builders run twice: on a Pyomo model, which Pyomo's ``LinearStandardFormCompiler`` compiles,
and on a RecordedModel, which only records the matrix (balkhash.allocation.lp; what a solve
uses).  Both must give the same A, row bounds, column bounds and costs, entry by entry, with
rows and columns matched by (component name, index), on random basins, the bundled examples and
the default basin.  The recording done alongside the Pyomo model must agree too.
"""

from __future__ import annotations

import numpy as np
import pytest
from analytical_basins import random_basins
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from balkhash.allocation.data import compile_basin
from balkhash.allocation.lp import LinearProgram
from balkhash.allocation.model import build_model
from balkhash.data import default_basin_path, example_path
from balkhash.network.io import load_basin, parse_basin

try:
    from strategies import basins as _shared_basins
except ImportError:  # pragma: no cover
    _shared_basins = None

BASINS = random_basins() if _shared_basins is None else st.one_of(random_basins(), _shared_basins())


def _pyomo_standard_form(model, lp: LinearProgram):
    """Pyomo's compile of the model, mapped onto the recorded row and column positions."""
    repn = LinearStandardFormCompiler().write(model, mixed_form=True)
    cols = np.array([lp.cols[v.parent_component().local_name][v.index()] for v in repn.columns], dtype=int)
    rows, lo, up = [], [], []
    for con, _ in repn.rows:
        rows.append(lp.rows[con.parent_component().local_name][con.index()])
    rhs = np.asarray(repn.rhs, dtype=float)
    for (_, bound_type), b in zip(repn.rows, rhs, strict=True):
        lo.append(b if bound_type in (-1, 0) else -np.inf)
        up.append(b if bound_type in (0, 1) else np.inf)
    A = repn.A.tocoo()
    entries = {(rows[i], cols[j]): v for i, j, v in zip(A.row, A.col, A.data, strict=True)}
    c = np.zeros(lp.ncols)
    if repn.c.shape[0]:
        c[cols] = repn.c.toarray()[0]
    offset = float(repn.c_offset[0]) if len(repn.c_offset) else 0.0
    col_lb = {cols[j]: (-np.inf if v.lb is None else v.lb) for j, v in enumerate(repn.columns)}
    col_ub = {cols[j]: (np.inf if v.ub is None else v.ub) for j, v in enumerate(repn.columns)}
    return entries, dict(zip(rows, lo, strict=True)), dict(zip(rows, up, strict=True)), c, offset, col_lb, col_ub


def assert_same_lp(basin) -> None:
    data = compile_basin(basin)
    model = build_model(data, pyomo=True)
    recorded = build_model(data, pyomo=False)
    assert recorded.lp.positional and not model.lp.positional
    for lp in (recorded.lp, model.lp):
        _assert_lp_is_pyomos(model, lp)


def _assert_lp_is_pyomos(model, lp: LinearProgram) -> None:
    entries, lo, up, c, offset, col_lb, col_ub = _pyomo_standard_form(model, lp)

    starts, index, value = lp.matrix_rowwise()
    recorded = {}
    for r in range(lp.nrows):
        for k in range(starts[r], starts[r + 1]):
            recorded[(r, int(index[k]))] = value[k]
    assert set(recorded) == set(entries)
    for key, v in entries.items():
        assert recorded[key] == pytest.approx(v, rel=1e-12, abs=1e-12), key

    row_lo, row_up = lp.row_bounds()
    nonempty = {r for r, _ in recorded}
    assert set(lo) == nonempty  # Pyomo drops rows without variables; the recorder has none of those here
    for r in lo:
        assert row_lo[r] == pytest.approx(lo[r]) and row_up[r] == pytest.approx(up[r]), r

    assert lp.cost() == pytest.approx(c)
    assert lp.offset == pytest.approx(offset)
    cl, cu = lp.column_bounds()
    for j in col_lb:
        assert cl[j] == col_lb[j] and cu[j] == col_ub[j], j


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BASINS)
def test_recorded_matrix_is_pyomos_standard_form_on_random_basins(doc):
    assert_same_lp(parse_basin(doc, "random.yaml"))


@pytest.mark.parametrize("path", [example_path("tiny_river"), example_path("small_basin"), default_basin_path()],
                         ids=["tiny_river", "small_basin", "ile_balkhash"])
def test_recorded_matrix_is_pyomos_standard_form_on_bundled_basins(path):
    assert_same_lp(load_basin(path))


def test_repeated_entries_are_summed_and_zeros_dropped():
    lp = LinearProgram()

    class V:  # any object stands for a variable: the recorder keys columns by identity
        pass

    a, b = V(), V()
    lp.add_columns("x", [0, 1], [a, b], [0.0, 0.0], [np.inf, np.inf])
    lp.rows["r"] = {}
    lp.add_row("r", 0, [(1.0, a), (2.0, a), (0.0, b)], 1.0, 1.0)
    lp.add_row("r", 1, [(1.0, b), (-1.0, b), (3.0, a)], -np.inf, 4.0)
    starts, index, value = lp.matrix_rowwise()
    assert starts.tolist() == [0, 1, 2]
    assert index.tolist() == [0, 0]
    assert value.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("path", [example_path("small_basin"), default_basin_path()], ids=["small", "ile_balkhash"])
def test_pyomo_model_solved_through_pyomos_highs_interface_gives_the_same_optimum(path):
    """The Pyomo model of record, solved by Pyomo's own (persistent, appsi) HiGHS interface, reaches
    the objective of the direct solve of the recorded matrix."""
    import pyomo.environ as pyo

    from balkhash.allocation.solve import Allocation

    alloc = Allocation(load_basin(path))
    direct = alloc.solve()
    model = alloc.pyomo_model()
    result = pyo.SolverFactory("appsi_highs").solve(model)
    assert str(result.solver.termination_condition) == "optimal"
    assert pyo.value(model.objective) == pytest.approx(direct.objective, rel=1e-7, abs=1e-6)
