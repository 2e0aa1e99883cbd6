"""The aggregated LP (balkhash.allocation.aggregate): the flows that balances define substituted out.

* by hand: a river of junctions loses its pass-through rows and its demand's balance, and the
  duals recovered for the rows that left are the marginal values worked out by hand;
* on random basins: the aggregated solve reaches the unaggregated optimum, and its solution with
  its recovered duals satisfies the optimality conditions of the **full** LP (primal feasibility,
  c - A'y - d = 0, complementary slackness);
* changes in place (every named-parameter kind) on an aggregated model re-solve to the fresh
  build's optimum, through the replayed substitutions or a new aggregation.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from analytical_basins import (
    demand,
    inflow,
    junction,
    lake,
    link,
    make_basin,
    marginal_value,
    random_basins,
    reservoir,
    sink,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_parameters import TIGHT, assert_warm_equals_fresh

from balkhash.allocation.solve import Allocation, SolveError
from balkhash.network.io import parse_basin

try:
    from strategies import basins as _shared_basins
except ImportError:  # pragma: no cover
    _shared_basins = None

BASINS = random_basins() if _shared_basins is None else st.one_of(random_basins(), _shared_basins())
EXAMPLES = int(os.environ.get("BALKHASH_PARAMETER_EXAMPLES", "200"))


def river(periods: int = 3):
    """IN (11 a month) -> J1 -> J2 -> J3 -> D (target 20, cost 100); J3 also feeds the sink OUT."""
    return make_basin(
        [inflow("IN", 11), junction("J1"), junction("J2"), junction("J3"),
         demand("D", 20, shortfall_cost=100.0), sink("OUT")],
        [link("IN", "J1"), link("J1", "J2"), link("J2", "J3"), link("J3", "D"), link("J3", "OUT")],
        periods=periods,
    )


def assert_optimal_for_the_full_lp(alloc: Allocation, tol: float = 1e-6) -> None:
    """x, y, d from the backend satisfy the KKT conditions of the full LP (HiGHS's signs: y > 0
    at a row's lower bound, y < 0 at its upper; the same for d and column bounds)."""
    lp, be = alloc.lp, alloc.backend
    cur = lp.current
    x, y, d = be.col_value, be.row_dual, be.bound_dual
    ax = lp.A @ x
    slack = tol * (1 + np.abs(ax))
    assert (ax >= cur["row_lower"] - slack).all()
    assert (ax <= cur["row_upper"] + slack).all()
    xs = tol * (1 + np.abs(x))
    assert (x >= cur["col_lower"] - xs).all()
    assert (x <= cur["col_upper"] + xs).all()
    scale = 1 + np.abs(cur["cost"]) + abs(lp.A).T @ np.abs(y)
    assert np.abs(cur["cost"] - lp.A.T @ y - d).max() <= 1e-7 * scale.max()
    dtol = tol * (1 + np.abs(y).max())
    assert not ((y > dtol) & (ax > cur["row_lower"] + slack)).any(), "a row dual away from its active bound"
    assert not ((y < -dtol) & (ax < cur["row_upper"] - slack)).any(), "a row dual away from its active bound"
    assert not ((d > dtol) & (x > cur["col_lower"] + xs)).any(), "a reduced cost away from its active bound"
    assert not ((d < -dtol) & (x < cur["col_upper"] - xs)).any(), "a reduced cost away from its active bound"


def test_a_river_loses_its_pass_through_rows_and_keeps_its_marginal_values():
    """11 Mm3 a month reach D (target 20): 9 short a month, in blocks 0.1 / 0.25 / 0.5 of the target
    (2 @ 100, 3 @ 120, 4 of 5 @ 150): one more Mm3 at any junction saves 150, so the marginal value
    of water is 150 at J1, J2, J3 and D in every month, in the aggregated LP as in the plain one."""
    basin = river()
    plain = Allocation(basin, aggregate=False)
    agg = Allocation(basin, aggregate=True)
    a, b = plain.solve(), agg.solve()
    assert b.objective == pytest.approx(a.objective) == pytest.approx(3 * (2 * 100 + 3 * 120 + 4 * 150))
    # J1's, J2's and D's balances leave with the flows they define (IN-J1's bound, x = 10, is its
    # own); J3's stays, one a month: it splits the water between D and OUT, and OUT's flow >= 0
    # is not implied (D could take more than arrives)
    assert plain.backend.num_rows == 4 * 3  # J1, J2, J3, D (IN's row is the bound of IN-J1)
    assert agg.backend.num_rows == 3
    for node in ("J1", "J2", "J3", "D"):
        assert marginal_value(b, node) == pytest.approx([150.0] * 3), node
        assert marginal_value(a, node) == pytest.approx([150.0] * 3), node
    for table in ("flows", "deliveries"):
        num = a.tables[table].select_dtypes("number").columns
        np.testing.assert_allclose(b.tables[table][num].to_numpy(float), a.tables[table][num].to_numpy(float),
                                   atol=1e-9)
    assert_optimal_for_the_full_lp(agg)


def test_a_reservoir_row_stays_and_the_reaches_around_it_go():
    """A reservoir's continuity row bounds its storage column: it stays; the junction rows above it
    and the demand below go.  Same optimum and optimality for the full LP."""
    basin = make_basin(
        [inflow("IN", 8), junction("J1"), reservoir("R", 30.0, max_storage=50.0), junction("J2"),
         demand("D", 12, shortfall_cost=100.0), sink("OUT")],
        [link("IN", "J1"), link("J1", "R"), link("R", "J2"), link("J2", "D"), link("J2", "OUT")],
        periods=6,
    )
    plain, agg = Allocation(basin, aggregate=False), Allocation(basin, aggregate=True)
    a, b = plain.solve(), agg.solve()
    assert b.objective == pytest.approx(a.objective, rel=1e-9)
    assert 0 < agg.backend.num_rows < plain.backend.num_rows
    assert_optimal_for_the_full_lp(agg)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BASINS)
def test_the_aggregated_solve_is_an_optimum_of_the_full_lp(doc):
    basin = parse_basin(doc, "random.yaml")
    plain = Allocation(basin, highs_options=TIGHT, aggregate=False)
    agg = Allocation(basin, highs_options=TIGHT, aggregate=True)
    try:
        a = plain.solve()
    except SolveError as exc:
        status = exc.status
    else:
        status = None
    if status is not None:
        with pytest.raises(SolveError) as again:
            agg.solve()
        assert again.value.status == status
        return
    b = agg.solve()
    assert b.objective == pytest.approx(a.objective, rel=1e-7, abs=1e-6)
    assert agg.backend.num_rows <= plain.backend.num_rows
    assert_optimal_for_the_full_lp(agg)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BASINS, st.integers(0, 2**31 - 1))
def test_warm_resolve_of_an_aggregated_lp_equals_a_fresh_build(doc, seed):
    assert_warm_equals_fresh(parse_basin(doc, "random.yaml"), seed, aggregate=True)


def lossy_river(loss: float):
    return make_basin(
        [inflow("IN", 10), junction("J1"), junction("J2"), junction("J3"),
         demand("D", 20, shortfall_cost=100.0), sink("OUT")],
        [link("IN", "J1"), link("J1", "J2", loss_fraction=loss), link("J2", "J3"), link("J3", "D"),
         link("J3", "OUT")],
        periods=3,
    )


def test_a_coefficient_change_replays_the_substitutions_and_keeps_the_basis():
    """The loss of the reach J1-J2 (a substituted column) goes from 0.2 to 0.5: the same rows and
    columns leave again, the basis carries over, and the optimum is the fresh build's."""
    warm = Allocation(lossy_river(0.2), aggregate=True)
    warm.solve()
    warm.set("loss_fraction", "J1-J2", 0.5)
    assert warm.backend.replayed
    assert warm.backend.col_value is not None  # the basis carried over: the next run is warm
    got, want = warm.solve(), Allocation(lossy_river(0.5), aggregate=False).solve()
    # 5 of 10 arrive: 15 short a month, 2 @ 100 + 3 @ 120 + 5 @ 150 + 5 @ 200
    assert got.objective == pytest.approx(want.objective) == pytest.approx(3 * (200 + 360 + 750 + 1000))
    assert_optimal_for_the_full_lp(warm)


def test_a_capacity_on_a_substituted_flow_becomes_a_row_and_keeps_the_basis():
    """A capacity of 4 on J3-D (D's inlet, substituted through D's balance, which implied its
    bounds, 0 <= x <= 20, until now) is no longer implied: HiGHS gets the row 0 <= x(x_H) <= 4 on
    the inlet's expression in its own columns, and keeps its basis.  4 a month reach D."""
    agg = Allocation(river(), aggregate=True)
    agg.solve()
    rows = agg.backend.num_rows
    agg.set("capacity", "J3-D", np.full(3, 4.0))
    assert agg.backend.col_value is not None  # the basis carries over: the next run is warm
    assert agg.backend.num_rows == rows + 3  # one bound row a month
    got = agg.solve()
    # 16 short a month: 2 @ 100 + 3 @ 120 + 5 @ 150 + 6 @ 200; the rest of the 11 goes to OUT
    assert got.objective == pytest.approx(3 * (200 + 360 + 750 + 1200))
    assert got.summary["shortfall_cost"] == pytest.approx(3 * (200 + 360 + 750 + 1200))
    assert_optimal_for_the_full_lp(agg)
    # the bound's dual is the inlet's reduced cost: one more Mm3 of capacity saves 200 a month
    assert agg.backend.bound_dual[agg.lp.var_blocks["flow"].cols[agg.data.link_index("J3-D")]] == \
        pytest.approx([-200.0] * 3)


def test_a_change_that_breaks_a_substitution_aggregates_anew():
    """D's target of 0 in the first month fixes its shortfall columns (they leave before the
    rounds); raising it unfixes them: the LP is aggregated anew and solved from scratch."""
    basin = make_basin(
        [inflow("IN", 11), junction("J1"), demand("D", {"unit": "Mm3/month", "series": [0, 20, 20]},
                                                   shortfall_cost=100.0), sink("OUT")],
        [link("IN", "J1"), link("J1", "D"), link("J1", "OUT")],
        periods=3,
    )
    agg = Allocation(basin, aggregate=True)
    first = agg.solve()
    assert first.objective == pytest.approx(2 * (200 + 360 + 600))
    agg.set("demand", "D", [20.0, 20.0, 20.0])
    assert agg.backend.col_value is None  # a new aggregation: the next run starts from scratch
    got = agg.solve()
    assert got.objective == pytest.approx(3 * (200 + 360 + 600))
    assert_optimal_for_the_full_lp(agg)


def test_an_evaporation_change_moves_highs_entries_without_aggregating_again(monkeypatch):
    """The lake's evaporation is a coefficient of its storage columns in its continuity rows, which
    HiGHS holds (the fill from the river's substituted reaches does not touch them): the change
    moves HiGHS's entries by the same amounts, without replaying the rounds, and the re-solve
    equals a fresh build's."""
    sloped = {"level_m": [0.0, 10.0], "area_km2": [100.0, 200.0], "volume": [0.0, 1500.0]}

    def basin(evap: float):
        return make_basin(
            [inflow("IN", 30), junction("J1"), junction("J2"), demand("D", 20, shortfall_cost=100.0),
             lake("L", sloped, 5.0, evaporation_mm=[evap] * 12)],
            [link("IN", "J1"), link("J1", "J2"), link("J2", "D"), link("J2", "L")],
            targets=[{"id": "LL", "type": "lake_level", "lake": "L", "min_level_m": 5.0}], periods=6,
        )

    warm = Allocation(basin(100.0), aggregate=True, highs_options=TIGHT)
    warm.solve()

    def no_reload(*_a, **_k):
        raise AssertionError("aggregated again")

    monkeypatch.setattr(warm.backend, "_reload", no_reload)
    warm.set("evaporation", "L", np.full(6, 180.0))
    got, want = warm.solve(), Allocation(basin(180.0), aggregate=False, highs_options=TIGHT).solve()
    assert got.objective == pytest.approx(want.objective, rel=1e-9)
    assert got.objective > 0  # the lake level target costs something at the higher evaporation
    assert_optimal_for_the_full_lp(warm)


def test_small_lps_go_to_highs_unaggregated_by_default():
    assert not Allocation(river()).backend.aggregated


def test_an_empty_aggregated_lp_with_an_unmet_bound_row_is_infeasible():
    """Everything substituted or fixed: HiGHS gets no column, and does not look at the rows.  A
    minimum flow of 3 on N2-OUT, which no water reaches (N3 -> N2 -> OUT without inflow), is a
    bound row 3 <= 0 <= inf of a constant expression: infeasible, as without aggregation."""
    basin = make_basin([junction("N2"), junction("N3"), sink("OUT")],
                       [link("N2", "OUT"), link("N3", "N2")])
    for aggregate in (False, True):
        alloc = Allocation(basin, aggregate=aggregate)
        alloc.solve()
        alloc.set("min_flow", "N2-OUT", 3.0)
        with pytest.raises(SolveError) as exc:
            alloc.solve()
        assert exc.value.status == "infeasible"
