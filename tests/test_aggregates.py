"""Aggregated constraints: bounds on sums of flows over groups and ratios between groups
(docs/data-format.md, Aggregates).  Every number is worked out by hand in the test's docstring."""

from __future__ import annotations

import numpy as np
import pytest
from analytical_basins import delivered, demand, flow, inflow, junction, link, sink

import balkhash
from balkhash.network.io import parse_basin
from balkhash.network.validate import check_basin
from balkhash.simulation.simulator import simulate

OPTIONS = {"fair_sharing": False, "storage_deviation_cost": 0.0}


def basin(nodes, links, aggregates, periods: int = 1, start: str = "2025-10"):
    raw = {"name": "aggregates", "calendar": {"start": start, "periods": periods}, "options": OPTIONS,
           "nodes": nodes, "links": links, "aggregates": aggregates}
    b = parse_basin(raw, "test.yaml")
    problems = check_basin(b, "test.yaml")
    assert not problems, "\n".join(map(str, problems))
    return b


def two_sources(aggregate: dict, periods: int = 1):
    """A (50) and B (50) both feed Z (target 100, cost 100); what Z does not take spills."""
    nodes = [inflow("A", 50.0), inflow("B", 50.0), demand("Z", 100.0, shortfall_cost=100.0), sink("OUT")]
    links = [link("A", "Z"), link("B", "Z"), link("A", "OUT"), link("B", "OUT")]
    return basin(nodes, links, [{"id": "agg", **aggregate}], periods)


def test_maximum_of_a_sum_of_link_flows():
    """A-Z + B-Z <= 30 Mm3 per period: Z gets 30 (short 70, cost 7000) in each of 2 periods."""
    sol = balkhash.solve(two_sources({"links": ["A-Z", "B-Z"], "max": "30 Mm3/month"}, periods=2))
    assert delivered(sol, "Z") == pytest.approx([30.0, 30.0], abs=1e-9)
    assert (flow(sol, "A-Z") + flow(sol, "B-Z")) == pytest.approx([30.0, 30.0], abs=1e-9)
    assert sol.objective == pytest.approx(2 * 70 * 100.0, rel=1e-12)


def test_minimum_and_weights():
    """2 (A-Z) + 1 (B-OUT) >= 120 with Z taking all it can: the cheapest plan keeps A-Z at 50
    (100 of the 120) and sends 20 of B to OUT, so Z gets 80."""
    agg = {"links": ["A-Z", "B-OUT"], "weights": {"A-Z": 2.0}, "min": "120 Mm3/month"}
    sol = balkhash.solve(two_sources(agg))
    assert flow(sol, "A-Z") == pytest.approx([50.0], abs=1e-9)
    assert flow(sol, "B-OUT") == pytest.approx([20.0], abs=1e-9)
    assert delivered(sol, "Z") == pytest.approx([80.0], abs=1e-9)


def test_deliveries_of_a_group_of_demands():
    """D1 (cost 100) and D2 (cost 50), targets 50 each, 100 Mm3 available; deliveries summed
    <= 60: D1 gets its 50, D2 10; objective 40 x 50."""
    nodes = [inflow("IN", 100.0), junction("J"), demand("D1", 50.0, shortfall_cost=100.0),
             demand("D2", 50.0, shortfall_cost=50.0), sink("OUT")]
    links = [link("IN", "J"), link("J", "D1"), link("J", "D2"), link("J", "OUT")]
    sol = balkhash.solve(basin(nodes, links, [{"id": "cap", "demands": ["D1", "D2"], "max": "60 Mm3/month"}]))
    assert delivered(sol, "D1") == pytest.approx([50.0], abs=1e-9)
    assert delivered(sol, "D2") == pytest.approx([10.0], abs=1e-9)
    assert sol.objective == pytest.approx(40 * 50.0, rel=1e-12)


def border_basin(aggregate: dict, periods: int = 1, upstream=(30.0, 70.0)):
    """IN1 and IN2 meet at J, which serves D (target 100, cost 100) and crosses the BORDER."""
    nodes = [inflow("IN1", upstream[0]), inflow("IN2", upstream[1]), junction("J"),
             demand("D", 100.0, shortfall_cost=100.0), sink("BORDER")]
    links = [link("IN1", "J"), link("IN2", "J"), link("J", "D"), link("J", "BORDER")]
    return basin(nodes, links, [{"id": "treaty", "links": ["J-BORDER"], **aggregate}], periods)


def test_ratio_of_the_border_flow_to_the_runoff_formed_upstream():
    """The border flow >= 40 % of the runoff of IN1 and IN2 (100): 40 cross, D gets 60."""
    sol = balkhash.solve(border_basin({"ratio": {"of": {"inflows": ["IN1", "IN2"]}, "min": 0.4}}))
    assert flow(sol, "J-BORDER") == pytest.approx([40.0], abs=1e-9)
    assert delivered(sol, "D") == pytest.approx([60.0], abs=1e-9)


def test_equal_ratio_between_two_link_groups():
    """J-BORDER = 0.25 x J-D (Pywr's AggregatedNode factors): 100 = 1.25 J-D, so D gets 80."""
    sol = balkhash.solve(border_basin({"ratio": {"of": {"links": ["J-D"]}, "equal": 0.25}}))
    assert delivered(sol, "D") == pytest.approx([80.0], abs=1e-9)
    assert flow(sol, "J-BORDER") == pytest.approx([20.0], abs=1e-9)


def test_ratio_per_water_year():
    """Per water year (12 periods from 2025-10, inflows 30 + 70 a month): the border gets at least
    40 % of the year's 1200, so 480 in the year (any months), D the other 720."""
    sol = balkhash.solve(border_basin({"ratio": {"of": {"inflows": ["IN1", "IN2"]}, "min": 0.4},
                                      "per": "water_year"}, periods=12))
    assert flow(sol, "J-BORDER").sum() == pytest.approx(480.0, abs=1e-8)
    assert delivered(sol, "D").sum() == pytest.approx(720.0, abs=1e-8)


def test_maximum_per_water_year_pro_rata():
    """A-Z + B-Z <= 365 Mm3 per water year over 6 periods (2025-10 .. 2026-03, 182 days): the limit
    is 365 x 182 / 365 = 182 Mm3 over the six months."""
    sol = balkhash.solve(two_sources({"links": ["A-Z", "B-Z"], "max": "365 Mm3/yr", "per": "water_year"},
                                     periods=6))
    assert delivered(sol, "Z").sum() == pytest.approx(182.0, abs=1e-8)


def test_step_mode_per_period():
    """Step mode holds a per-period aggregate in every period (30 a period)."""
    sol = simulate(two_sources({"links": ["A-Z", "B-Z"], "max": "30 Mm3/month"}, periods=3), mode="step")
    assert delivered(sol, "Z") == pytest.approx(np.full(3, 30.0), abs=1e-9)


def test_step_mode_carries_a_maximum_per_water_year():
    """A-Z + B-Z <= 365 Mm3 per water year over 2025-10 .. 2025-12 (92 days: 92 Mm3 pro rata).
    One period at a time, Z (target 100) takes what is left of the year: 92 in October, then 0.
    The optimum over the three months costs the same (208 short at 100)."""
    yearly = two_sources({"links": ["A-Z", "B-Z"], "max": "365 Mm3/yr", "per": "water_year"}, periods=3)
    sol = simulate(yearly, mode="step")
    assert delivered(sol, "Z") == pytest.approx([92.0, 0.0, 0.0], abs=1e-9)
    assert sol.objective == pytest.approx(balkhash.solve(yearly).objective, rel=1e-12)
    assert sol.objective == pytest.approx(208 * 100.0, rel=1e-12)


def test_step_and_rolling_carry_a_minimum_per_water_year():
    """A-OUT + B-OUT >= 365 Mm3 per water year over 92 days (92 Mm3).  Step mode spreads what the year
    still needs by days: 92 x 31/92 = 31 in October, (92 - 31) x 30/61 = 30 in November, the last 31
    in December.  A rolling window of 2 may place it anywhere; the year's total is 92 in both."""
    yearly = two_sources({"links": ["A-OUT", "B-OUT"], "min": "365 Mm3/yr", "per": "water_year"}, periods=3)
    step = simulate(yearly, mode="step")
    assert (flow(step, "A-OUT") + flow(step, "B-OUT")) == pytest.approx([31.0, 30.0, 31.0], abs=1e-9)
    assert delivered(step, "Z") == pytest.approx([69.0, 70.0, 69.0], abs=1e-9)
    rolling = simulate(yearly, mode="rolling", window=2, every=1)
    spill = flow(rolling, "A-OUT") + flow(rolling, "B-OUT")
    assert spill.sum() == pytest.approx(92.0, abs=1e-8)
    assert (spill >= -1e-9).all()
    assert rolling.objective == pytest.approx(balkhash.solve(yearly).objective, rel=1e-12)


def test_step_mode_carries_a_demand_group_per_water_year_myopically():
    """D1 (cost 100) and D2 (cost 50), 50 Mm3 a month each, 100 available; their deliveries <= 365
    Mm3 per water year over 92 days (92).  Step mode serves October in full order of cost (D1 50,
    D2 42) and has nothing left for November and December; the optimum over the three months gives
    all 92 to D1."""
    nodes = [inflow("IN", 100.0), junction("J"), demand("D1", 50.0, shortfall_cost=100.0),
             demand("D2", 50.0, shortfall_cost=50.0), sink("OUT")]
    links = [link("IN", "J"), link("J", "D1"), link("J", "D2"), link("J", "OUT")]
    b = basin(nodes, links, [{"id": "cap", "demands": ["D1", "D2"], "max": "365 Mm3/yr", "per": "water_year"}],
              periods=3)
    step = simulate(b, mode="step")
    assert delivered(step, "D1") == pytest.approx([50.0, 0.0, 0.0], abs=1e-9)
    assert delivered(step, "D2") == pytest.approx([42.0, 0.0, 0.0], abs=1e-9)
    best = balkhash.solve(b)
    assert delivered(best, "D1").sum() == pytest.approx(92.0, abs=1e-8)
    assert delivered(best, "D2").sum() == pytest.approx(0.0, abs=1e-8)
    # step: D1 short 100, D2 short 108; optimum: D1 short 58, D2 short 150
    assert step.objective == pytest.approx(100 * 100.0 + 108 * 50.0, rel=1e-12)
    assert best.objective == pytest.approx(58 * 100.0 + 150 * 50.0, rel=1e-12)


@pytest.mark.parametrize(("mode", "window", "every"), [("step", None, None), ("rolling", 3, 1), ("rolling", 3, 2)])
def test_simulations_carry_a_ratio_per_water_year(mode, window, every):
    """The border gets at least 40 % of the year's runoff (12 months of 100): 480 in the year and D
    the other 720, whatever the re-plans (the surplus of applied months is credited, a deficit made
    up); one period at a time, 40 every month."""
    b = border_basin({"ratio": {"of": {"inflows": ["IN1", "IN2"]}, "min": 0.4}, "per": "water_year"}, periods=12)
    sol = simulate(b, mode=mode, window=window, every=every)
    assert flow(sol, "J-BORDER").sum() == pytest.approx(480.0, abs=1e-8)
    assert delivered(sol, "D").sum() == pytest.approx(720.0, abs=1e-8)
    if mode == "step":
        assert flow(sol, "J-BORDER") == pytest.approx(np.full(12, 40.0), abs=1e-9)
    assert sol.objective == pytest.approx(balkhash.solve(b).objective, rel=1e-12)


@pytest.mark.parametrize(("aggregate", "field", "message"), [
    ({"links": ["NOPE"], "max": "1 Mm3/month"}, "links", "unknown link 'NOPE'"),
    ({"demands": ["A"], "max": "1 Mm3/month"}, "demands", "is an inflow, not a demand"),
    ({"inflows": ["Z"], "max": "1 Mm3/month"}, "inflows", "has no local inflow"),
    ({"links": ["A-Z"]}, "ratio", "give bounds (min, max or equal) or a ratio"),
    ({"links": ["A-Z"], "max": "1 Mm3/month", "ratio": {"of": {"links": ["B-Z"]}, "min": 1.0}}, "ratio",
     "one of the two"),
    ({"links": ["A-Z"], "max": "1 Mm3/month", "per": "water_year"}, "max", "needs an annual volume"),
    ({"links": ["A-Z"], "ratio": {"of": {"links": ["B-Z"]}, "min": 2.0, "max": 1.0}}, "ratio.min", "above max"),
    ({"links": ["A-Z"], "weights": {"B-Z": 2.0}, "max": "1 Mm3/month"}, "weights", "not a member"),
    ({"links": [], "max": "1 Mm3/month"}, "links", "at least one link, demand or inflow"),
])
def test_bad_aggregates_are_named(aggregate, field, message):
    raw = {"name": "x", "calendar": {"start": "2025-10", "periods": 1},
           "nodes": [inflow("A", 50.0), inflow("B", 50.0), demand("Z", 100.0), sink("OUT")],
           "links": [link("A", "Z"), link("B", "Z"), link("A", "OUT"), link("B", "OUT")],
           "aggregates": [{"id": "agg", **aggregate}]}
    problems = [p for p in check_basin(parse_basin(raw, "test.yaml"), "test.yaml") if p.where == "aggregate 'agg'"]
    assert problems, "the bad aggregate was not reported"
    assert problems[0].field == field
    assert message in problems[0].message


def test_warm_resolve_moves_the_ratio_with_the_inflows():
    """The runoff in the ratio is the inflow parameter: set IN1 to 50 (runoff 120) and re-solve:
    the border gets 48 and D 72, as in a fresh build of the changed basin."""
    from balkhash.allocation.solve import Allocation

    b = border_basin({"ratio": {"of": {"inflows": ["IN1", "IN2"]}, "min": 0.4}})
    alloc = Allocation(b)
    alloc.solve()
    alloc.set("inflow", "IN1", [50.0])
    warm = alloc.solve()
    assert flow(warm, "J-BORDER") == pytest.approx([48.0], abs=1e-9)
    assert delivered(warm, "D") == pytest.approx([72.0], abs=1e-9)
    fresh = balkhash.solve(border_basin({"ratio": {"of": {"inflows": ["IN1", "IN2"]}, "min": 0.4}},
                                        upstream=(50.0, 70.0)))
    assert warm.objective == pytest.approx(fresh.objective, rel=1e-12)
    assert delivered(warm, "D") == pytest.approx(delivered(fresh, "D"), abs=1e-9)
