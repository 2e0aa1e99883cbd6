"""The LP core: the vectorised builder, the reduced LP the solver gets, and the Pyomo model.

* ``LPBuilder`` sums repeated entries, drops zeros, skips entries marked "no row" (-1) and
  evaluates parameter maps with +-inf values passing through;
* the Pyomo model built from the matrix (``Allocation.to_pyomo``) has, by Pyomo's own
  standard-form compiler, exactly the full LP's matrix, row and column bounds and costs, with
  rows and columns matched by their readable names, on random basins and the bundled ones;
* the reduced LP (single-variable rows as bounds) has the optimum of the full LP, and the duals
  recovered for the rows turned into bounds are the full LP's own duals;
* solved through Pyomo (HiGHS's appsi interface, GLPK), the optimum is the direct solve's.
"""

from __future__ import annotations

import shutil

import highspy
import numpy as np
import pytest
from analytical_basins import random_basins
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from balkhash.allocation.lp import INF, LPBuilder
from balkhash.allocation.solve import Allocation
from balkhash.data import default_basin_path, example_path
from balkhash.network.io import load_basin, parse_basin

try:
    from strategies import basins as _shared_basins
except ImportError:  # pragma: no cover
    _shared_basins = None

BASINS = random_basins() if _shared_basins is None else st.one_of(random_basins(), _shared_basins())
BUNDLED = [example_path("tiny_river"), example_path("small_basin"), default_basin_path()]


def test_builder_sums_repeats_drops_zeros_and_skips_missing_rows():
    b = LPBuilder()
    x = b.add_vars("x", (["a", "b"],))
    r = b.add_rows("r", ([0, 1],), lower=[1.0, -INF], upper=[1.0, 4.0])
    b.add_terms([r.rows[0], r.rows[0], r.rows[0]], [x.cols[0], x.cols[0], x.cols[1]], [1.0, 2.0, 0.0])
    b.add_terms([r.rows[1], r.rows[1], -1], [x.cols[1], x.cols[1], x.cols[0]], [1.0, -1.0, 5.0])
    b.add_terms(r.rows[1], x.cols[0], 3.0)
    lp = b.finish()
    A = lp.A.toarray()
    assert A.tolist() == [[3.0, 0.0], [3.0, 0.0]]
    assert lp.A.nnz == 2


def test_parameter_maps_recompute_only_what_they_touch_and_pass_infinity():
    b = LPBuilder()
    x = b.add_vars("x", (["a", "b", "c"],), upper=0.0)
    r = b.add_rows("r", ([0],), lower=0.0)
    b.add_terms(r.rows[0], x.cols, 1.0)
    b.parameter("cap", ["a", "b", "c"], [1.0, INF, 3.0], "Mm3")
    b.add_effect("cap", "col_upper", x.cols, [0, 1, 2])
    b.parameter("need", ["r"], [2.0], "Mm3")
    b.add_effect("need", "row_lower", r.rows[0], 0, 0.5)
    lp = b.finish()
    assert lp.current["col_upper"].tolist() == [1.0, INF, 3.0]
    assert lp.current["row_lower"].tolist() == [1.0]
    touched = lp.set_parameter("cap", np.array([1]), np.array([7.0]))
    assert touched["col_upper"].tolist() == [1]
    assert lp.current["col_upper"].tolist() == [1.0, 7.0, 3.0]
    lp.set_parameter("cap", np.array([0]), np.array([INF]))
    assert lp.current["col_upper"].tolist() == [INF, 7.0, 3.0]
    # a small LP assigns its parameters and recomputes the targets whole: every entry, the same values
    lp.params["cap"].values[2] = 5.0
    touched = lp.refresh(["col_upper"])
    assert touched["col_upper"].tolist() == [0, 1, 2]
    assert lp.current["col_upper"].tolist() == [INF, 7.0, 5.0]
    assert lp.uses("need") == ["row_lower"]


def _pyomo_standard_form(model, lp):
    """Pyomo's compile of the model, mapped onto the full LP's positions by the readable names."""
    repn = LinearStandardFormCompiler().write(model, mixed_form=True)

    def key(component_data):
        idx = component_data.index()
        return component_data.parent_component().local_name, idx if isinstance(idx, tuple) else (idx,)

    col_of = {lab: j for j, lab in enumerate(lp.col_labels())}
    row_of = {lab: i for i, lab in enumerate(lp.row_labels())}
    cols = np.array([col_of[key(v)] for v in repn.columns], dtype=int)
    rows = [row_of[key(con)] for con, _ in repn.rows]
    A = repn.A.tocoo()
    entries = {(rows[i], cols[j]): v for i, j, v in zip(A.row, A.col, A.data, strict=True)}
    bounds = {}
    for r, (_, sense), b in zip(rows, repn.rows, np.asarray(repn.rhs, dtype=float), strict=True):
        lo, up = bounds.get(r, (-INF, INF))
        bounds[r] = (b if sense in (-1, 0) else lo, b if sense in (0, 1) else up)
    c = np.zeros(lp.ncols)
    if repn.c.shape[0]:
        c[cols] = repn.c.toarray()[0]
    col_bounds = {cols[j]: (-INF if v.lb is None else v.lb, INF if v.ub is None else v.ub)
                  for j, v in enumerate(repn.columns)}
    return entries, bounds, c, col_bounds


def assert_pyomo_model_is_the_lp(basin) -> None:
    alloc = Allocation(basin)
    lp = alloc.lp
    entries, bounds, c, col_bounds = _pyomo_standard_form(alloc.to_pyomo(), lp)
    A = lp.A.tocoo()
    # entries a coefficient parameter holds in the structure while their value is 0 are no terms
    mine = {(int(i), int(j)): v for i, j, v in zip(A.row, A.col, A.data, strict=True) if v != 0.0}
    assert set(mine) == set(entries)
    for k, v in entries.items():
        assert mine[k] == pytest.approx(v, rel=1e-12, abs=1e-12), k
    nonempty = set(np.flatnonzero(np.diff(lp.A.indptr)))
    assert set(bounds) == nonempty
    for r, (lo, up) in bounds.items():
        assert (lp.current["row_lower"][r], lp.current["row_upper"][r]) == pytest.approx((lo, up)), r
    used = np.zeros(lp.ncols, bool)
    used[list(col_bounds)] = True
    assert c[used] == pytest.approx(lp.current["cost"][used])
    assert (lp.current["cost"][~used] == 0).all()  # Pyomo leaves out columns in no row and no cost
    for j, (lo, up) in col_bounds.items():
        assert (lp.current["col_lower"][j], lp.current["col_upper"][j]) == (lo, up), j


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BASINS)
def test_pyomo_model_is_the_full_lp_on_random_basins(doc):
    assert_pyomo_model_is_the_lp(parse_basin(doc, "random.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=["tiny_river", "small_basin", "ile_balkhash"])
def test_pyomo_model_is_the_full_lp_on_bundled_basins(path):
    assert_pyomo_model_is_the_lp(load_basin(path))


def _solve_full_lp(lp):
    """The full LP (single-variable rows kept as rows) solved by highspy: objective, row duals."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    A = lp.A
    h.passModel(_highs_lp(lp.ncols, A, lp.current))
    h.run()
    sol = h.getSolution()
    return h.getInfo().objective_function_value, np.asarray(sol.row_dual)


def _highs_lp(ncols, A, cur):
    m = highspy.HighsLp()
    m.num_col_, m.num_row_ = ncols, A.shape[0]
    m.col_cost_, m.col_lower_, m.col_upper_ = cur["cost"], cur["col_lower"], cur["col_upper"]
    m.row_lower_, m.row_upper_ = cur["row_lower"], cur["row_upper"]
    m.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    m.a_matrix_.num_col_, m.a_matrix_.num_row_ = ncols, A.shape[0]
    m.a_matrix_.start_, m.a_matrix_.index_, m.a_matrix_.value_ = A.indptr, A.indices, A.data
    return m


@pytest.mark.parametrize("strict", [False, True], ids=["soft", "strict"])
@pytest.mark.parametrize("path", BUNDLED[1:], ids=["small_basin", "ile_balkhash"])
def test_reduced_lp_has_the_full_lps_optimum_and_duals(path, strict):
    alloc = Allocation(load_basin(path), strict=strict)
    assert alloc.reduced.single.size > 0  # the bundled basins have single-variable rows
    assert alloc.backend.num_rows == alloc.lp.nrows - alloc.reduced.single.size - (
        np.diff(alloc.lp.A.indptr) == 0).sum()
    sol = alloc.solve()
    objective, full_duals = _solve_full_lp(alloc.lp)
    assert sol.objective == pytest.approx(objective, rel=1e-9, abs=1e-9)
    # the marginal value of water at every node is that of the full LP (an optimal dual of it)
    balance = alloc.lp.row_blocks["balance"].rows.reshape(-1)
    recovered = alloc.backend.row_dual
    single = np.isin(balance, alloc.reduced.single)
    assert single.any()
    assert recovered[balance] == pytest.approx(full_duals[balance], rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("path", [example_path("small_basin"), default_basin_path()], ids=["small", "ile_balkhash"])
def test_pyomo_model_solved_through_pyomos_highs_interface_gives_the_same_optimum(path):
    """The Pyomo model of record, solved by Pyomo's own (appsi) HiGHS interface, reaches the
    objective of the direct solve; so does the Solution of ``solve(solver='appsi_highs')``."""
    import pyomo.environ as pyo

    alloc = Allocation(load_basin(path))
    direct = alloc.solve()
    model = alloc.to_pyomo()
    result = pyo.SolverFactory("appsi_highs").solve(model)
    assert str(result.solver.termination_condition) == "optimal"
    assert pyo.value(model.objective) == pytest.approx(direct.objective, rel=1e-7, abs=1e-6)
    via = alloc.solve(solver="appsi_highs")
    assert via.objective == pytest.approx(direct.objective, rel=1e-7, abs=1e-6)
    assert via.summary["solver"] == "appsi_highs"


@pytest.mark.skipif(shutil.which("glpsol") is None, reason="GLPK (Debian package glpk-utils) is not installed")
@pytest.mark.parametrize("path", [example_path("small_basin"), default_basin_path()], ids=["small", "ile_balkhash"])
def test_glpk_through_pyomo_reaches_the_direct_optimum(path):
    alloc = Allocation(load_basin(path))
    direct = alloc.solve()
    glpk = alloc.solve(solver="glpk")
    assert glpk.objective == pytest.approx(direct.objective, rel=1e-6)
    a = direct.deliveries["delivered_mm3"].sum()
    assert glpk.deliveries["delivered_mm3"].sum() == pytest.approx(a, rel=1e-6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BASINS)
def test_folded_demand_inlets_give_the_unfolded_optimum(doc):
    """A demand's only, unconstrained inlet is not a column (x = y / (1 - loss)); the LP without
    that fold has the same optimum, and the folded flows in the tables carry the deliveries."""
    basin = parse_basin(doc, "random.yaml")
    folded = Allocation(basin, fold_inlets=True)
    plain = Allocation(basin)
    assert plain.lp.nrows - folded.lp.nrows == len(folded.data.folded) * folded.data.T
    a, b = folded.solve(), plain.solve()
    assert a.objective == pytest.approx(b.objective, rel=1e-8, abs=1e-8)
    for i, j in folded.data.folded.items():
        lk, d = folded.data.links[i], folded.data.demands[j]
        x = a.flows.loc[a.flows["link_id"] == lk.id, "flow_mm3"].to_numpy()
        y = a.deliveries.loc[a.deliveries["demand"] == d.id, "delivered_mm3"].to_numpy()
        assert x * (1.0 - lk.loss) == pytest.approx(y, abs=1e-7)


def test_a_folded_demand_has_the_marginal_value_of_its_source_over_the_inlet_gain():
    from analytical_basins import demand, inflow, link, make_basin, sink

    # A (3) serves D (target 10, cost 100, loss 0.2): every unit arriving at D saves 100 x ...
    b = make_basin([inflow("A", 3), demand("D", 10, shortfall_cost=100), sink("S")],
                   [link("A", "D", loss_fraction=0.2), link("A", "S")])
    a = Allocation(b, fold_inlets=True)
    assert a.data.folded
    sol, ref = a.solve(), Allocation(b).solve()
    mine = sol.duals.set_index("node")["marginal_value"]
    theirs = ref.duals.set_index("node")["marginal_value"]
    assert mine["D"] == pytest.approx(theirs["D"])
    assert mine["A"] == pytest.approx(theirs["A"])
    assert mine["D"] == pytest.approx(mine["A"] / 0.8)
