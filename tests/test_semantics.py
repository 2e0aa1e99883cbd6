"""General network semantics, each on a basin solvable by hand (docs/data-format.md):
cycles, link gains, per-period link costs, piecewise-linear link costs (segments), signed fixed
flows, the carry factor of storage, storage segments valued per period, an exact end storage, a
lake's end storage, a demand's own shortfall cost curve.

Flows in Mm3/month, one period = one month.  Fair sharing is off unless a test is about shortfall
curves, so a shortfall costs the user's shortfall cost per Mm3.
"""

from __future__ import annotations

import numpy as np
import pytest
from analytical_basins import (
    balance_residuals,
    column,
    delivered,
    demand,
    flow,
    inflow,
    junction,
    lake,
    link,
    make_basin,
    monthly,
    one,
    reservoir,
    sink,
    storage,
)

import balkhash
from balkhash.allocation.data import compile_basin
from balkhash.allocation.solve import Allocation, SolveError
from balkhash.allocation.summary import shortfall_cost
from balkhash.network.errors import BasinError

PLAIN = {"fair_sharing": False, "storage_deviation_cost": 0.0}


def solve(*args, **kw):
    kw.setdefault("options", PLAIN)
    return balkhash.solve(make_basin(*args, **kw))


def balanced(basin, sol) -> None:
    res = balance_residuals(basin, sol)
    assert np.abs(res["residual"]).max() < 1e-7, res[np.abs(res["residual"]) > 1e-7]


# -- cycles ---------------------------------------------------------------------------------------
def _aquifer_basin(**opts):
    """River 10 -> J -> irrigation IRR (target 12, half consumed, the rest returns to aquifer AQ);
    AQ is pumped back to J at cost 1 per Mm3 or drains to OUT: IRR gets 10 + p with p <= 0.5 y,
    so y = 12, return 6, pumping p = 2 (cost 2), 4 drain."""
    nodes = [inflow("RIV", 10), junction("J"), demand("IRR", 12, consumptive_fraction=0.5, return_to="AQ",
                                                        shortfall_cost=100), junction("AQ"), sink("OUT")]
    links = [link("RIV", "J"), link("J", "IRR"), link("AQ", "J", "PUMP", cost=1.0), link("AQ", "OUT")]
    return make_basin(nodes, links, options={**PLAIN, **opts}, validate=True)


def test_a_cycle_through_a_return_flow_and_pumping():
    basin = _aquifer_basin()
    sol = balkhash.solve(basin)
    assert delivered(sol, "IRR") == pytest.approx([12.0])
    assert flow(sol, "PUMP") == pytest.approx([2.0])
    assert flow(sol, "AQ-OUT") == pytest.approx([4.0])
    assert sol.objective == pytest.approx(2.0 + 12 * 1e-5)  # pumping, and the cycle tie-breaker on J-IRR
    balanced(basin, sol)


def test_a_cost_free_cycle_carries_nothing_and_gives_the_same_tables():
    """J <-> K: two links without a cost and without a limit form a loop that could carry any
    amount at the same cost; the cycle tie-breaker (options.cycle_cost, 1e-5 per Mm3 on links of a
    cycle without a cost) makes it carry none, every time."""
    nodes = [inflow("RIV", 10), junction("J"), junction("K"), sink("OUT")]
    links = [link("RIV", "J"), link("J", "K"), link("K", "J"), link("K", "OUT")]
    basin = make_basin(nodes, links, options=PLAIN, validate=True)
    first, again = balkhash.solve(basin), balkhash.solve(basin)
    assert flow(first, "J-K") == pytest.approx([10.0])
    assert flow(first, "K-J") == pytest.approx([0.0], abs=1e-9)
    assert first.objective == pytest.approx(10 * 1e-5)  # J-K is on the cycle and carries the 10
    assert first.flows.equals(again.flows)


# -- gains ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("gain", "delivered_mm3"), [(1.2, 12.0), (0.5, 5.0), (1.0, 10.0)])
def test_a_link_gain_multiplies_what_arrives(gain, delivered_mm3):
    """10 enter a link of gain g towards a user wanting 15: g x 10 arrive (a gain above 1 adds
    water, e.g. a reach fed by springs); the flow table shows the gain as a negative loss."""
    nodes = [inflow("RIV", 10), demand("D", 15, shortfall_cost=100)]
    basin = make_basin(nodes, [link("RIV", "D", gain=gain)], options=PLAIN, validate=True)
    sol = balkhash.solve(basin)
    assert delivered(sol, "D") == pytest.approx([delivered_mm3])
    assert one(sol.flows, "loss_mm3", link_id="RIV-D") == pytest.approx(10.0 - delivered_mm3)
    balanced(basin, sol)


def test_gain_and_loss_fraction_together_are_refused():
    with pytest.raises(BasinError, match="either gain or loss_fraction"):
        make_basin([inflow("RIV", 10), sink()], [link("RIV", "OUT", gain=0.9, loss_fraction=0.1)])


# -- per-period link costs ------------------------------------------------------------------------
def test_a_monthly_link_cost_moves_the_flow_between_routes():
    """Two parallel canals to a user wanting 10: A costs 1 in October and 3 in November, B 2 in
    both: October goes by A (cost 10), November by B (cost 20)."""
    nodes = [inflow("RIV", 10), demand("D", 10, shortfall_cost=100)]
    links = [link("RIV", "D", "A", cost={"monthly": monthly(oct=1, nov=3)["monthly"]}),
             link("RIV", "D", "B", cost=2.0)]
    basin = make_basin(nodes, links, periods=2, options=PLAIN, validate=True)
    sol = balkhash.solve(basin)
    assert flow(sol, "A") == pytest.approx([10.0, 0.0])
    assert flow(sol, "B") == pytest.approx([0.0, 10.0])
    assert sol.objective == pytest.approx(30.0)
    alloc = Allocation(basin)  # the named parameter link_cost is per period
    assert alloc.get("link_cost", "A") == pytest.approx([1.0, 3.0])
    alloc.set("link_cost", "A", [3.0, 1.0])
    moved = alloc.solve()
    assert flow(moved, "A") == pytest.approx([0.0, 10.0])
    assert moved.objective == pytest.approx(30.0)


def test_a_cost_series_needs_one_value_per_period():
    nodes = [inflow("RIV", 10), sink()]
    with pytest.raises(BasinError, match="'series' has 3 value"):
        balkhash.solve(make_basin(nodes, [link("RIV", "OUT", cost={"series": [1, 2, 3]})], periods=2))


# -- piecewise-linear link costs ------------------------------------------------------------------
@pytest.mark.parametrize(("shortfall_cost", "delivered_mm3", "objective"),
                         [(2.0, 4.0, 4 * 1 + 4 * 2.0), (5.0, 8.0, 4 * 1 + 4 * 3)])
def test_link_segments_are_a_piecewise_linear_cost(shortfall_cost, delivered_mm3, objective):
    """A canal whose first 4 Mm3 cost 1 and the next 6 cost 3 serves a user wanting 8: at a
    shortfall cost of 2 only the cheap segment is worth using (4 delivered, 4 short); at 5 both
    are (8 delivered: 4 x 1 + 4 x 3)."""
    nodes = [inflow("RIV", 20), demand("D", 8, shortfall_cost=shortfall_cost), sink()]
    links = [link("RIV", "D", "C", segments=[{"capacity": "4 Mm3/month", "cost": 1.0},
                                             {"capacity": "6 Mm3/month", "cost": 3.0}]),
             link("RIV", "OUT")]
    basin = make_basin(nodes, links, options=PLAIN, validate=True)
    sol = balkhash.solve(basin)
    assert delivered(sol, "D") == pytest.approx([delivered_mm3])
    assert sol.objective == pytest.approx(objective)
    if delivered_mm3 == 8.0:  # the second segment is not full: the first one's capacity is worth 3 - 1
        b = sol.bound_duals
        row = b[(b["kind"] == "link_segment") & (b["id"] == "C:0")]
        assert row["bound"].tolist() == ["capacity"]
        assert row["marginal_value"].to_numpy() == pytest.approx([2.0])


def test_a_segment_minimum_is_met_whatever_its_cost():
    """A segment with a minimum flow of 3 at cost 4: 3 Mm3 go through it although nobody needs them."""
    nodes = [inflow("RIV", 10), sink()]
    links = [link("RIV", "OUT", "C", segments=[{"min_flow": "3 Mm3/month", "cost": 4.0}, {"cost": 0.0}])]
    sol = solve(nodes, links)
    assert flow(sol, "C") == pytest.approx([10.0])
    assert sol.objective == pytest.approx(12.0)


# -- signed fixed flows ---------------------------------------------------------------------------
def test_a_negative_local_inflow_is_a_fixed_withdrawal():
    """River 10 -> J, where 3 are withdrawn (inflow -3) -> a user wanting 10 gets 7."""
    nodes = [inflow("RIV", 10), junction("J", -3.0), demand("D", 10, shortfall_cost=100)]
    basin = make_basin(nodes, [link("RIV", "J"), link("J", "D")], options=PLAIN, validate=True)
    sol = balkhash.solve(basin)
    assert delivered(sol, "D") == pytest.approx([7.0])
    assert one(sol.inflows, "inflow_mm3", node="J") == pytest.approx(-3.0)
    balanced(basin, sol)


def test_a_withdrawal_larger_than_the_water_has_no_solution():
    nodes = [inflow("RIV", 2), junction("J", -3.0), sink()]
    with pytest.raises(SolveError):
        solve(nodes, [link("RIV", "J"), link("J", "OUT")])


def test_an_inflow_node_still_refuses_a_negative_inflow():
    with pytest.raises(BasinError, match="negative value"):
        solve([inflow("RIV", -2), sink()], [link("RIV", "OUT")])


# -- storage --------------------------------------------------------------------------------------
def test_the_carry_factor_loses_a_share_of_the_storage_each_month():
    """100 Mm3 stored, a user wanting 50 a month, 10 % of the storage lost from one month to the
    next: October 50 delivered (50 left), November starts with 45 and delivers them (5 short)."""
    nodes = [reservoir("R", 100, carry_factor=0.9), demand("D", 50, shortfall_cost=100)]
    basin = make_basin(nodes, [link("R", "D")], periods=2, options=PLAIN, validate=True)
    sol = balkhash.solve(basin)
    assert delivered(sol, "D") == pytest.approx([50.0, 45.0])
    assert column(sol.storage, "storage_start_mm3", node="R") == pytest.approx([100.0, 45.0])
    balanced(basin, sol)


def test_storage_segments_value_the_water_kept_each_month():
    """An empty reservoir gets 10 in October, nothing in November; each month the first 3 Mm3
    kept are worth 2 (cost -2), more costs 1 (a flood reserve): 3 kept both months, 7 spilled in
    October; objective -2 x 3 x 2 = -12."""
    seg = [{"capacity": {"value": 3.0}, "cost": -2.0}, {"cost": 1.0}]
    nodes = [reservoir("R", 0, inflow=monthly(oct=10), storage_segments=seg), sink()]
    basin = make_basin(nodes, [link("R", "OUT")], periods=2, options=PLAIN, validate=True)
    sol = balkhash.solve(basin)
    assert storage(sol, "R") == pytest.approx([3.0, 3.0])
    assert flow(sol, "R-OUT") == pytest.approx([7.0, 0.0])
    assert sol.objective == pytest.approx(-12.0)
    balanced(basin, sol)


def test_a_full_storage_segment_has_the_marginal_value_of_its_capacity():
    """One month, 10 in, the first 3 Mm3 kept worth 2, more costing 1: one Mm3 more of the first
    segment's capacity keeps one more instead of spilling it (2 gained), one less spills it (2
    lost): its capacity is worth 2 (bound_duals.csv)."""
    seg = [{"capacity": {"value": 3.0}, "cost": -2.0}, {"cost": 1.0}]
    sol = solve([reservoir("R", 0, inflow=10, storage_segments=seg), sink()], [link("R", "OUT")])
    b = sol.bound_duals
    seg0 = b[(b["kind"] == "storage_segment") & (b["id"] == "R:0")]
    assert seg0["bound"].tolist() == ["capacity"]
    assert seg0["marginal_value"].to_numpy() == pytest.approx([2.0])


def test_storage_segments_per_period_and_the_carry_factor():
    """The segments hold the storage carried into the next month (after the carry factor 0.5):
    100 stored, released to a sink for free, a segment of 20 valued 1 per Mm3 in October only:
    the carried storage 0.5 S is 20 at the end of October (S = 40), objective -20."""
    seg = [{"capacity": {"series": [20.0, 0.0]}, "cost": {"series": [-1.0, 0.0]}}]
    nodes = [reservoir("R", 100, carry_factor=0.5, storage_segments=seg), sink()]
    sol = solve(nodes, [link("R", "OUT")], periods=2)
    assert storage(sol, "R") == pytest.approx([40.0, 0.0])
    assert sol.objective == pytest.approx(-20.0)


@pytest.mark.parametrize("end", [30.0, 0.0, 100.0])
def test_an_exact_end_storage(end):
    """end_storage {equal: V}: the storage at the end of the last month is V, whatever it costs
    (100 stored, a user wanting 200 over two months)."""
    nodes = [{**reservoir("R", 100), "end_storage": {"equal": f"{end} Mm3"}}, demand("D", 100, shortfall_cost=100)]
    sol = solve(nodes, [link("R", "D")], periods=2)
    assert storage(sol, "R")[-1] == pytest.approx(end)
    assert delivered(sol, "D").sum() == pytest.approx(100.0 - end)


def test_an_exact_end_storage_out_of_reach_has_no_solution():
    nodes = [{**reservoir("R", 100), "end_storage": {"equal": "150 Mm3"}}, sink()]
    with pytest.raises(SolveError):
        solve(nodes, [link("R", "OUT")], periods=2)


def test_an_exact_end_storage_below_the_minimum_is_refused():
    nodes = [{**reservoir("R", 100, min_storage=20), "end_storage": {"equal": "10 Mm3"}}, sink()]
    with pytest.raises(BasinError, match="below min_storage"):
        solve(nodes, [link("R", "OUT")], periods=2)


TABLE = {"level_m": [0.0, 10.0], "area_km2": [1.0, 1.0], "volume": [0.0, 1000.0]}


@pytest.mark.parametrize(("end_storage", "to_lake"), [("550 Mm3", 50.0), ({"equal": "520 Mm3"}, 20.0)])
def test_a_lake_end_storage(end_storage, to_lake):
    """A river of 100 shared by a user wanting 100 (cost 100) and a lake holding 500 Mm3 (no
    evaporation): a minimum end storage of 550 (soft, 5 000 per Mm3 below it) takes 50 into the
    lake; an exact 520 takes 20."""
    nodes = [inflow("RIV", 100), junction("J"), demand("D", 100, shortfall_cost=100),
             lake("L", TABLE, 5.0, end_storage=end_storage)]
    basin = make_basin(nodes, [link("RIV", "J"), link("J", "D"), link("J", "L")], options=PLAIN, validate=True)
    sol = balkhash.solve(basin)
    assert flow(sol, "J-L") == pytest.approx([to_lake])
    assert delivered(sol, "D") == pytest.approx([100.0 - to_lake])
    assert storage(sol, "L") == pytest.approx([500.0 + to_lake])


# -- a demand's own shortfall curve ---------------------------------------------------------------
def test_a_demands_own_shortfall_curve():
    """Two users of cost 100 wanting 10 each share 10: A's own curve makes its first 50 % short
    cost 1 x and the rest 3 x; B has the basin's blocks (10/25/50/100 % at 1/1.2/1.5/2).  The 10
    short fill the cheapest blocks: A 5 at 100, B 1 at 100, 1.5 at 120, 2.5 at 150 (B's next block,
    200, is dearer than nothing left to share): A 5 short, B 5 short, cost 1 155."""
    nodes = [inflow("RIV", 10), junction("J"),
             demand("A", 10, shortfall_cost=100, shortfall_curve={"blocks": [0.5, 1.0], "multipliers": [1.0, 3.0]}),
             demand("B", 10, shortfall_cost=100)]
    basin = make_basin(nodes, [link("RIV", "J"), link("J", "A"), link("J", "B")], validate=True)
    sol = balkhash.solve(basin)
    assert delivered(sol, "A") == pytest.approx([5.0])
    assert delivered(sol, "B") == pytest.approx([5.0])
    assert sol.objective == pytest.approx(1155.0)
    assert sum(shortfall_cost(compile_basin(basin), sol.deliveries).values()) == pytest.approx(1155.0)


def test_a_shortfall_curve_must_be_convex():
    nodes = [inflow("RIV", 10), demand("A", 10, shortfall_curve={"blocks": [0.5, 1.0], "multipliers": [3.0, 1.0]})]
    with pytest.raises(BasinError, match="non-decreasing"):
        make_basin(nodes, [link("RIV", "A")])


# -- the same semantics one period at a time -------------------------------------------------------
def test_step_mode_carries_the_carry_factor_and_the_segments_of_each_month():
    """Step mode (one month per LP): the carry factor applies between the steps as within one LP, and
    each step has its own month's storage segments.  100 stored, a user wanting 50 a month, 10 %
    lost from one month to the next, the first 20 Mm3 carried out of October worth 1000 per Mm3:
    October delivers 50 and keeps 50 (45 carried, 20 of them valued); November starts with 45 (not
    50: the step starting in November applies October's carry factor to what October left) and,
    its own segment worth nothing, delivers the 45."""
    from balkhash.simulation import Simulator

    seg = [{"capacity": {"series": [20.0, 0.0]}, "cost": {"series": [-1000.0, 0.0]}}, {"cost": 0.0}]
    nodes = [reservoir("R", 100, carry_factor=0.9, storage_segments=seg), demand("D", 50, shortfall_cost=100)]
    basin = make_basin(nodes, [link("R", "D")], periods=2, options=PLAIN, validate=True)
    whole, step = balkhash.solve(basin), Simulator(basin, mode="step").solve()
    for sol in (whole, step):
        assert delivered(sol, "D") == pytest.approx([50.0, 45.0])
        assert column(sol.storage, "storage_start_mm3", node="R") == pytest.approx([100.0, 45.0])


# -- links as a table -----------------------------------------------------------------------------
LINKS_CSV = """id,from,to,segment,unit,capacity,min_flow,cost,gain
RIV-J,RIV,J,,,,,,
J-D,J,D,0,Mm3/month,4,,1,1.25
J-D,J,D,1,Mm3/month,seg1_cap,,seg1_cost,
J-OUT,J,OUT,,m3/s,,,0.5,
"""
LINK_SERIES = "period,seg1_cap,seg1_cost\n2025-10,6,3\n2025-11,2,4\n"


def _table_basin(tmp_path, links_csv: str = LINKS_CSV, series: str | None = "link_series.csv"):
    import yaml

    nodes = [inflow("RIV", 20), junction("J"), demand("D", 10, shortfall_cost=100), sink()]
    raw = {"name": "t", "calendar": {"start": "2025-10", "periods": 2}, "options": PLAIN, "nodes": nodes,
           "links": {"file": "links.csv", **({"series": series} if series else {})}}
    (tmp_path / "basin.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    (tmp_path / "links.csv").write_text(links_csv, encoding="utf-8")
    (tmp_path / "link_series.csv").write_text(LINK_SERIES, encoding="utf-8")
    return tmp_path


def test_links_as_a_table_are_the_links_of_the_yaml_form(tmp_path):
    """links.csv rows (a link per row, or a segment per row) and names of link_series.csv columns give
    the same links as the YAML list: J-D has a gain of 1.25 and two segments, the second's capacity
    and cost from the series table; 20 Mm3 come in, the user wants 10: October takes 4 through the
    cheap segment (cost 1) and 4 through the second (cost 3), 8 x 1.25 = 10 arrive; November's second
    segment holds 2 (cost 4): 6 enter, 7.5 arrive, 2.5 short.  J-OUT costs 0.5 for the rest."""
    from balkhash.network.io import load_basin

    basin = load_basin(_table_basin(tmp_path))
    jd = basin.link("J-D")
    assert jd.gain == 1.25
    assert [s.capacity.column if s.capacity.file else s.capacity.value for s in jd.segments] == [4.0, "seg1_cap"]
    sol = balkhash.solve(basin)
    assert flow(sol, "J-D") == pytest.approx([8.0, 6.0])
    assert delivered(sol, "D") == pytest.approx([10.0, 7.5])
    assert sol.objective == pytest.approx((4 * 1 + 4 * 3 + 12 * 0.5) + (4 * 1 + 2 * 4 + 14 * 0.5 + 2.5 * 100))
    balanced(basin, sol)


@pytest.mark.parametrize(("links_csv", "series", "message"), [
    ("id,from,to,width\nRIV-J,RIV,J,3\n", None, "unknown column"),
    ("id,from\nRIV-J,RIV\n", None, "missing column"),
    ("id,from,to,capacity\nRIV-J,RIV,J,cap\n", None, "names a series column, but the links table has no series"),
    ("id,from,to,capacity\nRIV-J,RIV,J,nocol\n", "link_series.csv", "has no column 'nocol'"),
])
def test_a_bad_links_table_is_refused_with_its_file(tmp_path, links_csv, series, message):
    from balkhash.network.io import load_basin

    with pytest.raises(BasinError, match=message):
        load_basin(_table_basin(tmp_path, links_csv, series))


# -- bad input: a message naming the node or link and the field ---------------------------------------
@pytest.mark.parametrize(("node_kw", "link_kw", "where", "message"), [
    ({"storage_segments": [{"capacity": {"series": [1.0]}}]}, {}, "node 'R': storage_segments[0].capacity",
     "'series' has 1 value(s), the model has 2 period(s)"),
    ({"carry_factor": -1.0}, {}, "node 'R': carry_factor", "must be a share in (0, 10], got -1"),
    ({"carry_factor": {"series": [0.5, 0.0]}}, {}, "node 'R': carry_factor", "got 2025-11 (0)"),
    ({"storage_segments": [{"capacity": {"value": 1.0}, "min": {"value": 2.0}}]}, {},
     "node 'R': storage_segments[0].min", "above the segment's capacity in 2025-10 (2 > 1 Mm3)"),
    ({}, {"cost": {"monthly": [1, 2]}}, "link 'R-OUT': cost", "'monthly' needs 12 values (Jan..Dec), got 2"),
    ({}, {"segments": []}, "link 'R-OUT': segments", "give at least one segment"),
    ({}, {"segments": [{"capacity": "1 Mm3/month", "min_flow": "2 Mm3/month"}]}, "link 'R-OUT': segments[0].capacity",
     "below the segment's min_flow in 2025-10 (1 < 2 Mm3)"),
    ({}, {"cost": {"series": [1e12, 1]}}, "link 'R-OUT': cost", "must be a finite cost within +-1e+09 per Mm3"),
])
def test_bad_semantics_input_is_named(tmp_path, node_kw, link_kw, where, message):
    from balkhash.network.io import parse_basin
    from balkhash.network.validate import check_basin

    raw = {"name": "t", "calendar": {"start": "2025-10", "periods": 2},
           "nodes": [reservoir("R", 10, **node_kw), sink()], "links": [link("R", "OUT", **link_kw)]}
    try:
        problems = check_basin(parse_basin(raw, "basin.yaml", tmp_path), "basin.yaml")
    except BasinError as exc:
        problems = exc.problems
    text = [str(p) for p in problems]
    assert any(f"basin.yaml: {where}: " in t and message in t for t in text), text


def test_a_plain_links_table_gives_the_links_the_yaml_list_gives(tmp_path):
    """A table without segments is built column by column (no per-link validation): the links are
    those of the same links written as a YAML list, field for field."""
    import yaml

    from balkhash.network.io import basin_to_dict, load_basin

    table = ("id,from,to,name,unit,capacity,min_flow,cost,gain,loss_fraction\n"
             "RIV-J,RIV,J,,,,,,,\n"
             "J-D,J,D,canal,m3/s,4,0.5,seg1_cost,1.25,\n"
             "J-OUT,J,OUT,,,30,,0.5,,0.1\n")
    listed = [{"id": "RIV-J", "from": "RIV", "to": "J"},
              {"id": "J-D", "from": "J", "to": "D", "name": "canal", "capacity": "4 m3/s", "min_flow": "0.5 m3/s",
               "cost": {"file": "link_series.csv", "column": "seg1_cost"}, "gain": 1.25},
              {"id": "J-OUT", "from": "J", "to": "OUT", "capacity": "30 Mm3/month", "cost": 0.5, "loss_fraction": 0.1}]
    (tmp_path / "table").mkdir()
    (tmp_path / "list").mkdir()
    from_table = load_basin(_table_basin(tmp_path / "table", table))
    other = _table_basin(tmp_path / "list")
    raw = yaml.safe_load((other / "basin.yaml").read_text(encoding="utf-8"))
    raw["links"] = listed
    (other / "basin.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    from_list = load_basin(other)
    assert basin_to_dict(from_table)["links"] == basin_to_dict(from_list)["links"]
    assert balkhash.solve(from_table).objective == pytest.approx(balkhash.solve(from_list).objective)


def test_a_reservoir_that_costs_to_hold_drains_instead_of_keeping_its_initial_storage():
    """The storage tie-breaker keeps an ordinary reservoir at its initial 50 Mm3 when nobody needs
    its water; a reservoir whose storage segments price the water held (0.0005 per Mm3 and month,
    a passive wetland) has no such reference and drains: 50 + 2 x 5 Mm3 inflow reach the sink."""
    options = {"fair_sharing": False}  # the default tie-breaker, 0.001 per Mm3 and period
    kept = balkhash.solve(make_basin([reservoir("R", 50, inflow=5), sink()], [link("R", "OUT")], periods=2,
                                     options=options, validate=True))
    assert storage(kept, "R") == pytest.approx([50.0, 50.0])
    seg = [{"capacity": {"value": 0.0}}, {"cost": 0.0005}]
    basin = make_basin([reservoir("W", 50, inflow=5, storage_segments=seg), sink()], [link("W", "OUT")],
                       periods=2, options=options, validate=True)
    drained = balkhash.solve(basin)
    assert storage(drained, "W") == pytest.approx([0.0, 0.0])
    assert flow(drained, "W-OUT") == pytest.approx([55.0, 5.0])
    balanced(basin, drained)
