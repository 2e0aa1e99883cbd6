"""Hand-computable basins: every number asserted here is worked out in the test's docstring.

Conventions: Mm3/month flows (one period = one month, so "10 Mm3/month" is 10 Mm3 every period
whatever its days), the default options (fair-sharing blocks 10/25/50/100 % of the target at
multipliers 1/1.2/1.5/2, default shortfall cost 100, target penalty 10 000, end-storage penalty
5 000).  A shortfall of s on a target D fills the cheapest blocks first; ``block_cost`` does that
by hand.  Scenarios that could have several optimal solutions are either built so that the asserted
quantity is unique (shortfall fractions on block boundaries, no free outlets) or assert only the
unique parts (totals, objective, duals).
"""

from __future__ import annotations

import numpy as np
import pytest
from analytical_basins import (
    balance_residuals,
    block_cost,
    column,
    delivered,
    demand,
    eco_flow,
    flow,
    inflow,
    junction,
    lake,
    link,
    make_basin,
    marginal_block_multiplier,
    marginal_value,
    monthly,
    months12,
    one,
    reservoir,
    sink,
    storage,
)

import balkhash
from balkhash.allocation.solve import Allocation, SolveError
from balkhash.network.errors import BasinError
from balkhash.network.io import parse_basin
from balkhash.network.units import gwh_per_mm3

ABS = 1e-6
#: the default tie-breaker (options.storage_deviation_cost): per Mm3 and month of a reservoir's
#: storage away from its initial storage
TIE = 0.001


def approx(x):
    return pytest.approx(x, abs=ABS)


# -- one demand, too little water -------------------------------------------------------------------
def test_single_demand_short_of_water():
    """6 Mm3 for a target of 10: delivery 6, shortfall 4 = 40 % of the target.

    Blocks of 10: 1 @ 100, 1.5 @ 120, 2.5 @ 150, 5 @ 200.  A shortfall of 4 fills the first two and
    1.5 of the third: 100 + 180 + 225 = 505.  The last Mm3 short is in the 1.5 block, so water is worth
    150 per Mm3 both at the demand and at the inflow node.
    """
    b = make_basin([inflow("A", 6), demand("D", 10), sink("S")], [link("A", "D"), link("A", "S")])
    sol = balkhash.solve(b)
    assert sol.status == "optimal"
    assert delivered(sol, "D") == approx([6.0])
    assert column(sol.deliveries, "shortfall_mm3", demand="D") == approx([4.0])
    assert flow(sol, "A-S") == approx([0.0])
    assert sol.objective == approx(505.0)
    assert block_cost(4, 10) == approx(505.0)
    assert marginal_value(sol, "D") == approx([150.0])
    assert marginal_value(sol, "A") == approx([150.0])
    assert sol.summary["shortfall_mm3_by_sector"] == {"agriculture": approx(4.0)}


def test_single_demand_without_fair_sharing_costs_the_plain_rate():
    """Without fair sharing there is one block at multiplier 1: 4 Mm3 short x 100 = 400."""
    b = make_basin([inflow("A", 6), demand("D", 10), sink("S")], [link("A", "D"), link("A", "S")])
    sol = balkhash.solve(b, fair_sharing=False)
    assert delivered(sol, "D") == approx([6.0])
    assert sol.objective == approx(400.0)
    assert marginal_value(sol, "D") == approx([100.0])


@pytest.mark.parametrize(
    ("supply", "multiplier"),
    [(9.5, 1.0), (8.0, 1.2), (6.0, 1.5), (2.0, 2.0)],
)
def test_marginal_value_is_cost_times_marginal_block_multiplier(supply, multiplier):
    """Target 10 at cost 40: the duals table gives 40 x the multiplier of the block the shortfall
    ends in (5 %, 20 %, 40 % and 80 % short: blocks 1..4)."""
    b = make_basin([inflow("A", supply), demand("D", 10, shortfall_cost=40), sink("S")],
                   [link("A", "D"), link("A", "S")])
    sol = balkhash.solve(b)
    short = 10 - supply
    assert marginal_block_multiplier(short, 10) == multiplier
    assert marginal_value(sol, "D") == approx([40 * multiplier])
    assert marginal_value(sol, "A") == approx([40 * multiplier])
    assert sol.objective == approx(block_cost(short, 10, cost=40))


def test_marginal_value_is_zero_with_water_to_spare():
    """12 Mm3 for a target of 10: 2 go to the sink, an extra Mm3 is worth nothing."""
    b = make_basin([inflow("A", 12), demand("D", 10), sink("S")], [link("A", "D"), link("A", "S")])
    sol = balkhash.solve(b)
    assert delivered(sol, "D") == approx([10.0])
    assert flow(sol, "A-S") == approx([2.0])
    assert sol.objective == approx(0.0)
    assert marginal_value(sol, "A") == approx([0.0])


# -- two demands ------------------------------------------------------------------------------------
def test_cheaper_demand_takes_the_shortfall_without_fair_sharing():
    """10 Mm3 for two targets of 8 costing 300 and 100: the cheap one is short 6 (600)."""
    b = make_basin(
        [inflow("A", 10), demand("HI", 8, shortfall_cost=300), demand("LO", 8, shortfall_cost=100), sink("S")],
        [link("A", "HI"), link("A", "LO"), link("A", "S")],
    )
    sol = balkhash.solve(b, fair_sharing=False)
    assert delivered(sol, "HI") == approx([8.0])
    assert delivered(sol, "LO") == approx([2.0])
    assert sol.objective == approx(600.0)
    assert marginal_value(sol, "A") == approx([100.0])


def test_priorities_map_to_costs_and_the_cheaper_takes_the_shortfall_with_fair_sharing():
    """Priority 2 -> cost 500, priority 10 -> cost 100.  Even the dearest block of the low-priority
    user (2 x 100 = 200) is cheaper than the first block of the other (500), so it takes all 6 Mm3
    of shortfall: 0.8 @ 100 + 1.2 @ 120 + 2 @ 150 + 2 @ 200 = 924; the last Mm3 is worth 200."""
    b = make_basin(
        [inflow("A", 10), demand("HI", 8, priority=2), demand("LO", 8, priority=10), sink("S")],
        [link("A", "HI"), link("A", "LO"), link("A", "S")],
    )
    sol = balkhash.solve(b)
    assert delivered(sol, "HI") == approx([8.0])
    assert delivered(sol, "LO") == approx([2.0])
    assert sol.objective == approx(924.0)
    assert block_cost(6, 8) == approx(924.0)
    assert marginal_value(sol, "A") == approx([200.0])


def test_close_costs_share_the_shortfall_block_by_block():
    """Costs 100 (LO) and 130 (HI), targets 8, supply 10.6: shortfall 5.4.

    Blocks in order of cost: LO 0.8 @ 100, LO 1.2 @ 120, HI 0.8 @ 130, LO 2 @ 150, HI 1.2 @ 156, ...
    5.4 = 0.8 + 1.2 + 0.8 + 2 + 0.6: LO is short 4 (524), HI 1.4 (104 + 93.6); objective 721.6 and the
    marginal value is HI's second block, 1.2 x 130 = 156.
    """
    b = make_basin(
        [inflow("A", 10.6), demand("HI", 8, shortfall_cost=130), demand("LO", 8, shortfall_cost=100), sink("S")],
        [link("A", "HI"), link("A", "LO"), link("A", "S")],
    )
    sol = balkhash.solve(b)
    assert delivered(sol, "LO") == approx([4.0])
    assert delivered(sol, "HI") == approx([6.6])
    assert sol.objective == approx(721.6)
    assert block_cost(4, 8) + block_cost(1.4, 8, cost=130) == approx(721.6)
    assert marginal_value(sol, "A") == approx([156.0])


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5])
def test_equal_costs_with_fair_sharing_give_equal_shortfall_fractions(fraction):
    """Targets 10 and 5 at equal cost, supply (1 - f) x 15 with f on a block boundary: both are short
    the same fraction f (the split is unique only on block boundaries; inside a block any split of the
    block's shortfall is optimal)."""
    supply = (1 - fraction) * 15
    b = make_basin(
        [inflow("A", supply), demand("BIG", 10), demand("SMALL", 5), sink("S")],
        [link("A", "BIG"), link("A", "SMALL"), link("A", "S")],
    )
    sol = balkhash.solve(b)
    assert column(sol.deliveries, "shortfall_mm3", demand="BIG") == approx([10 * fraction])
    assert column(sol.deliveries, "shortfall_mm3", demand="SMALL") == approx([5 * fraction])
    assert sol.objective == approx(block_cost(10 * fraction, 10) + block_cost(5 * fraction, 5))


def test_fair_sharing_total_at_25_percent():
    """The 25 % case by hand: BIG short 2.5 (1 @ 100 + 1.5 @ 120 = 280), SMALL 1.25 (50 + 90): 420."""
    b = make_basin(
        [inflow("A", 11.25), demand("BIG", 10), demand("SMALL", 5), sink("S")],
        [link("A", "BIG"), link("A", "SMALL"), link("A", "S")],
    )
    assert balkhash.solve(b).objective == approx(420.0)


def test_equal_costs_without_fair_sharing_only_fix_the_total():
    """Without fair sharing any split of the 3.75 Mm3 shortfall is optimal: only the total is known."""
    b = make_basin(
        [inflow("A", 11.25), demand("BIG", 10), demand("SMALL", 5), sink("S")],
        [link("A", "BIG"), link("A", "SMALL"), link("A", "S")],
    )
    sol = balkhash.solve(b, fair_sharing=False)
    total = delivered(sol, "BIG") + delivered(sol, "SMALL")
    assert total == approx([11.25])
    assert sol.objective == approx(375.0)
    assert flow(sol, "A-S") == approx([0.0])


# -- return flows and losses ---------------------------------------------------------------------------
def test_return_flow_reaches_a_downstream_user():
    """A (10) serves UP (target 6, consumptive 0.5, returns to J) and J; J serves DOWN (target 8).

    Each Mm3 given to UP costs J only 0.5, so UP is served in full: J gets 4 from A plus 3 returned,
    DOWN receives 7 and is short 1 (0.8 @ 100 + 0.2 @ 120 = 104).
    """
    b = make_basin(
        [inflow("A", 10), demand("UP", 6, sector="industry", consumptive_fraction=0.5, return_to="J"),
         junction("J"), demand("DOWN", 8), sink("S")],
        [link("A", "UP"), link("A", "J"), link("J", "DOWN"), link("J", "S")],
    )
    sol = balkhash.solve(b)
    assert delivered(sol, "UP") == approx([6.0])
    assert column(sol.deliveries, "returned_mm3", demand="UP") == approx([3.0])
    assert column(sol.deliveries, "consumed_mm3", demand="UP") == approx([3.0])
    assert flow(sol, "A-J") == approx([4.0])
    assert delivered(sol, "DOWN") == approx([7.0])
    assert flow(sol, "J-S") == approx([0.0])
    assert sol.objective == approx(104.0)
    # water at J is worth DOWN's block-2 cost (1.2 x 100); UP is full, so at A it goes on to J: 120
    assert marginal_value(sol, "J") == approx([120.0])
    assert marginal_value(sol, "A") == approx([120.0])


def test_link_loss_reduces_the_delivery():
    """A (10) -> D (12) on a link losing 20 %: flow 10, loss 2, delivery 8, shortfall 4 (1/3).

    The shortfall ends in block 3 (150 at D); at A a Mm3 is worth 0.8 x 150 = 120.
    """
    b = make_basin([inflow("A", 10), demand("D", 12), sink("S")],
                   [link("A", "D", loss_fraction=0.2), link("A", "S")])
    sol = balkhash.solve(b)
    assert flow(sol, "A-D") == approx([10.0])
    assert column(sol.flows, "loss_mm3", link_id="A-D") == approx([2.0])
    assert delivered(sol, "D") == approx([8.0])
    assert sol.objective == approx(block_cost(4, 12))
    assert sol.objective == approx(1.2 * 100 + 1.8 * 120 + 1.0 * 150)
    assert marginal_value(sol, "D") == approx([150.0])
    assert marginal_value(sol, "A") == approx([120.0])


def test_link_loss_with_water_to_spare_sends_target_over_one_minus_loss():
    """A (20), D (8) on a 20 % loss link: the link carries 8 / 0.8 = 10, the sink the other 10."""
    b = make_basin([inflow("A", 20), demand("D", 8), sink("S")],
                   [link("A", "D", loss_fraction=0.2), link("A", "S")])
    sol = balkhash.solve(b)
    assert flow(sol, "A-D") == approx([10.0])
    assert flow(sol, "A-S") == approx([10.0])
    assert delivered(sol, "D") == approx([8.0])
    assert sol.objective == approx(0.0)


# -- reservoirs ------------------------------------------------------------------------------------------
def test_reservoir_carries_water_from_a_wet_to_a_dry_month():
    """Inflow 20, 0, 10 (Oct..Dec) into an empty reservoir serving 10 a month: storage 10, 0, 0.

    The reservoir has no other outlet, so the trajectory is unique: Oct stores the surplus 10,
    Nov releases it, Dec passes its inflow.
    """
    b = make_basin(
        [inflow("A", monthly(oct=20, nov=0, dec=10)), reservoir("R", initial=0, max_storage=100),
         demand("D", 10)],
        [link("A", "R"), link("R", "D")],
        periods=3,
    )
    sol = balkhash.solve(b)
    assert storage(sol, "R") == approx([10.0, 0.0, 0.0])
    assert column(sol.storage, "storage_start_mm3", node="R") == approx([0.0, 10.0, 0.0])
    assert delivered(sol, "D") == approx([10.0, 10.0, 10.0])
    assert column(sol.storage, "evaporation_mm3", node="R") == approx([0.0, 0.0, 0.0])
    assert sol.objective == approx(TIE * 10.0)  # 10 Mm3 above the initial 0 for one month


def test_reservoir_hedges_a_dry_month_with_fair_sharing():
    """Inflow 20, 0, 7 for 10 a month: 27 for 30.  Fair sharing spreads the 3 Mm3 short evenly
    (10 % a month, exactly block 1), so deliveries are 9, 9, 9 and storage 11, 2, 0; cost 3 x 100
    and the tie-breaker's 11 + 2 Mm3-months above the initial 0."""
    b = make_basin(
        [inflow("A", monthly(oct=20, nov=0, dec=7)), reservoir("R", initial=0, max_storage=100),
         demand("D", 10)],
        [link("A", "R"), link("R", "D")],
        periods=3,
    )
    sol = balkhash.solve(b)
    assert delivered(sol, "D") == approx([9.0, 9.0, 9.0])
    assert storage(sol, "R") == approx([11.0, 2.0, 0.0])
    assert sol.objective == approx(300.0 + TIE * (11.0 + 2.0))


def test_reservoir_evaporation_with_constant_area():
    """10 km2 and 100 mm a month evaporate 10 x 100 / 1000 = 1 Mm3 a month.

    Start 50, release 2 a month to D (its only outlet): storage 47, 44, 41.
    """
    b = make_basin(
        [inflow("A", 0), reservoir("R", initial=50, area_km2=10, evaporation_mm=[100.0] * 12), demand("D", 2)],
        [link("A", "R"), link("R", "D")],
        periods=3,
    )
    sol = balkhash.solve(b)
    assert storage(sol, "R") == approx([47.0, 44.0, 41.0])
    assert column(sol.storage, "evaporation_mm3", node="R") == approx([1.0, 1.0, 1.0])
    assert column(sol.storage, "area_km2", node="R") == approx([10.0, 10.0, 10.0])
    assert delivered(sol, "D") == approx([2.0, 2.0, 2.0])
    assert sol.summary["reservoirs"][0]["evaporation_mm3"] == approx(3.0)


def test_disabled_reservoir_passes_water_through():
    """A disabled reservoir is a junction: A (5) plus its own inflow (2) reach D (10) at once."""
    b = make_basin(
        [inflow("A", 5), reservoir("R", initial=100, end_storage="initial", inflow=2, enabled=False,
                                   area_km2=10, evaporation_mm=[100.0] * 12),
         demand("D", 10)],
        [link("A", "R"), link("R", "D")],
        periods=2,
    )
    sol = balkhash.solve(b)
    assert delivered(sol, "D") == approx([7.0, 7.0])
    assert flow(sol, "R-D") == approx([7.0, 7.0])
    assert len(sol.storage) == 0
    assert len(sol.targets) == 0  # no end-storage condition for a reservoir that is not there
    assert sol.objective == approx(2 * block_cost(3, 10))
    assert marginal_value(sol, "R") == approx([150.0, 150.0])


def test_rule_curve_minimum_holds_water_back():
    """Rule curve minimum 55 (Oct) and 60 (Nov) on a reservoir starting at 50 with 10 Mm3/month in:
    it must store 5 each month, so D (10) gets 5 in Oct and Nov (50 % short: 655 each) and is served
    in Dec.  Objective 1310."""
    b = make_basin(
        [inflow("A", 10), reservoir("R", initial=50, max_storage=100,
                                    rule_curve={"min": months12(oct=55, nov=60), "max": [100.0] * 12}),
         demand("D", 10), sink("S")],
        [link("A", "R"), link("R", "D"), link("R", "S")],
        periods=3,
    )
    sol = balkhash.solve(b)
    assert storage(sol, "R")[:2] == approx([55.0, 60.0])
    assert delivered(sol, "D") == approx([5.0, 5.0, 10.0])
    assert sol.objective == approx(2 * block_cost(5, 10))
    assert sol.objective == approx(1310.0)


def test_end_storage_initial_is_penalised_when_it_cannot_be_met():
    """Start 50, no inflow, 1 Mm3/month evaporation: storage 49, 48, the end condition 'initial' is
    missed by 2 Mm3 at 5 000 each: objective 10 000, dual 5 000 (a Mm3 more required costs 5 000).
    Releasing to the sink would only add to the penalty, so R-S carries nothing."""
    b = make_basin(
        [inflow("A", 0), reservoir("R", initial=50, end_storage="initial", area_km2=10,
                                   evaporation_mm=[100.0] * 12), sink("S")],
        [link("A", "R"), link("R", "S")],
        periods=2,
    )
    sol = balkhash.solve(b)
    assert storage(sol, "R") == approx([49.0, 48.0])
    assert flow(sol, "R-S") == approx([0.0, 0.0])
    row = sol.targets[sol.targets["target"] == "end_storage:R"]
    assert row["violation"].to_numpy() == approx([2.0])
    assert row["required"].to_numpy() == approx([50.0])
    assert row["achieved"].to_numpy() == approx([48.0])
    assert row["dual"].to_numpy() == approx([5000.0])
    assert sol.objective == approx(10_000.0 + TIE * (1.0 + 2.0))  # 1 and 2 Mm3 below the initial 50
    assert [v["target"] for v in sol.summary["violations"]] == ["end_storage:R"]


def test_end_storage_volume_limits_the_release():
    """Start 50, inflow 5/month, end >= 45, D wants 10/month: 15 can be released in 2 months.
    The 5 short split evenly (25 %, a block boundary): deliveries 7.5, 7.5, storage 47.5, 45;
    cost 2 x (100 + 180) = 560."""
    b = make_basin(
        [reservoir("R", initial=50, end_storage=45, inflow=5), demand("D", 10)],
        [link("R", "D")],
        periods=2,
    )
    sol = balkhash.solve(b)
    assert delivered(sol, "D") == approx([7.5, 7.5])
    assert storage(sol, "R") == approx([47.5, 45.0])
    assert sol.objective == approx(560.0 + TIE * (2.5 + 5.0))  # 2.5 and 5 Mm3 below the initial 50
    assert one(sol.targets, "violation", target="end_storage:R") == approx(0.0)


def test_strict_end_storage_that_cannot_be_met_is_infeasible():
    b = make_basin(
        [inflow("A", 0), reservoir("R", initial=50, end_storage="initial", area_km2=10,
                                   evaporation_mm=[100.0] * 12), sink("S")],
        [link("A", "R"), link("R", "S")],
        periods=2,
    )
    with pytest.raises(SolveError) as err:
        balkhash.solve(b, strict=True)
    assert err.value.status == "infeasible"
    assert "end_storage:R" in str(err.value)


# -- lakes ------------------------------------------------------------------------------------------------
# A lake of constant area 100 km2: 100 Mm3 per metre, level 100 m at volume 0.
FLAT_LAKE = {"level_m": [100.0, 110.0], "area_km2": [100.0, 100.0], "volume": [0.0, 1000.0]}
# Area linear in level and volume linear in level, so area is exactly linear in volume:
# A(S) = 100 + S / 15 km2 (S in Mm3), level = S / 150 m.
SLOPED_LAKE = {"level_m": [0.0, 10.0], "area_km2": [100.0, 200.0], "volume": [0.0, 1500.0]}


def test_lake_evaporation_with_linear_area():
    """Continuity with E = h (a0 + a1 (S_prev + S) / 2), h = (100 - 20) / 1000 m net.

    S_t (1 + h a1 / 2) = S_{t-1} (1 - h a1 / 2) - h a0 with a0 = 100, a1 = 1/15, S0 = 750 (5 m):
    the table is linear in volume, so the area fit is exact and evaporation = 0.1 x area,
    precipitation = 0.02 x area with area = 100 + (S_prev + S) / 30.
    """
    h, a0, a1 = 0.08, 100.0, 1.0 / 15.0
    b = make_basin(
        [inflow("A", 0), lake("L", SLOPED_LAKE, 5.0, evaporation_mm=[100.0] * 12, precipitation_mm=[20.0] * 12)],
        [link("A", "L")],
        periods=2,
    )
    sol = balkhash.solve(b)
    s = [750.0]
    for _ in range(2):
        s.append((s[-1] * (1 - h * a1 / 2) - h * a0) / (1 + h * a1 / 2))
    area = [a0 + a1 * (s[t] + s[t + 1]) / 2 for t in range(2)]
    assert storage(sol, "L") == approx(s[1:])
    assert column(sol.storage, "area_km2", node="L") == approx(area)
    assert column(sol.storage, "evaporation_mm3", node="L") == approx([0.1 * a for a in area])
    assert column(sol.storage, "precipitation_mm3", node="L") == approx([0.02 * a for a in area])
    assert column(sol.storage, "level_m", node="L") == approx([x / 150.0 for x in s[1:]])
    assert sol.summary["lakes"][0]["area_fit_max_error"] == approx(0.0)
    # the first month: 750 -> about 735.05 (0.08 m x ~149.5 km2 = ~11.96 Mm3 net)
    assert s[1] == pytest.approx(750 - 0.08 * (100 + (750 + s[1]) / 30), abs=1e-12)


def test_lake_level_target_binding():
    """A river of 4 Mm3/month feeds a demand (10) and a lake losing 10 Mm3/month (100 km2 x 100 mm).

    The level target 105 m (the start, 500 Mm3) costs 10 000 per Mm3-year of deficit (October 31
    days, November 30: 10 000 x 31/365 and x 30/365 per Mm3), so 1 Mm3 kept from the lake in October
    costs 10 000 x 61/365 = 1 671, more than any shortfall (at most 200): all 4 go to the lake,
    storage 494 then 488, levels 104.94 and 104.88, violations 0.06 and 0.12 m (6 and 12 Mm3).
    Objective 10 000 x (6 x 31 + 12 x 30) / 365 + 2 x 1655 (the demand fully short) = 18 268.90;
    the duals of the level rows are the weighted penalties 10 000 x 31/365 and 10 000 x 30/365.
    """
    b = make_basin(
        [inflow("A", 4), demand("D", 10), lake("L", FLAT_LAKE, 105.0, evaporation_mm=[100.0] * 12)],
        [link("A", "D"), link("A", "L")],
        targets=[{"id": "LEVEL", "type": "lake_level", "lake": "L", "min_level_m": 105.0}],
        periods=2,
    )
    sol = balkhash.solve(b)
    assert flow(sol, "A-L") == approx([4.0, 4.0])
    assert delivered(sol, "D") == approx([0.0, 0.0])
    assert storage(sol, "L") == approx([494.0, 488.0])
    lv = sol.targets[sol.targets["target"] == "LEVEL"]
    assert lv["unit"].tolist() == ["m", "m"]
    assert lv["achieved"].to_numpy() == approx([104.94, 104.88])
    assert lv["violation"].to_numpy() == approx([0.06, 0.12])
    assert lv["dual"].to_numpy() == approx([10_000.0 * 31 / 365, 10_000.0 * 30 / 365])
    assert block_cost(10, 10) == approx(1655.0)
    assert sol.objective == approx(10_000.0 * (6 * 31 + 12 * 30) / 365 + 2 * 1655.0)
    assert sol.summary["lakes"][0]["level_end_m"] == approx(104.88)


def test_strict_lake_level_that_cannot_be_met_names_the_target():
    b = make_basin(
        [inflow("A", 4), demand("D", 10), lake("L", FLAT_LAKE, 105.0, evaporation_mm=[100.0] * 12)],
        [link("A", "D"), link("A", "L")],
        targets=[{"id": "LEVEL-105", "type": "lake_level", "lake": "L", "min_level_m": 105.0}],
        periods=2,
    )
    with pytest.raises(SolveError) as err:
        balkhash.solve(b, strict=True)
    assert err.value.status == "infeasible"
    assert "LEVEL-105" in str(err.value)


def test_strict_lake_level_that_can_be_met_is_a_storage_bound():
    """With 12 Mm3/month the lake can hold its level (10 evaporate) and the demand gets 2 a month
    on average; strict makes the level a bound on storage, so its row (and dual) does not exist.
    (Both months' deliveries fall in the same sharing block, so 2 + 2 and 0 + 4 cost the same: only
    the total and the bound are determined.)"""
    b = make_basin(
        [inflow("A", 12), demand("D", 10), lake("L", FLAT_LAKE, 105.0, evaporation_mm=[100.0] * 12)],
        [link("A", "D"), link("A", "L")],
        targets=[{"id": "LEVEL", "type": "lake_level", "lake": "L", "min_level_m": 105.0}],
        periods=2,
    )
    sol = balkhash.solve(b, strict=True)
    assert (storage(sol, "L") >= 500.0 - 1e-6).all()
    assert storage(sol, "L")[-1] == approx(500.0)
    assert delivered(sol, "D").sum() == approx(4.0)
    lv = sol.targets[sol.targets["target"] == "LEVEL"]
    assert lv["violation"].to_numpy() == approx([0.0, 0.0])
    # the level rows reach the solver as bounds on storage; their duals come from the reduced
    # costs: raising the level by the height of 0.1 Mm3 costs sum_t dual_t x 0.1
    alloc = Allocation(b, strict=True)
    base = alloc.solve().objective
    s_min = alloc.lp.params["lake_level_storage"].values[0]
    alloc.set("lake_level_target", "LEVEL", float(alloc.data.storage("L").curve.level_at(s_min + 0.1)))
    assert alloc.solve().objective - base == approx(lv["dual"].sum() * 0.1)


def test_lake_spill_above_the_table_top():
    """A lake full to its table top (110 m, 1000 Mm3) receiving 5 Mm3: the 5 spill at the spill cost
    0.001 per Mm3, and one more Mm3 at the lake is worth -0.001."""
    b = make_basin([inflow("A", 5), lake("L", FLAT_LAKE, 110.0)], [link("A", "L")])
    sol = balkhash.solve(b)
    assert storage(sol, "L") == approx([1000.0])
    assert column(sol.storage, "spill_mm3", node="L") == approx([5.0])
    assert sol.objective == approx(0.005)
    assert marginal_value(sol, "L") == approx([-0.001])


def test_a_full_lake_spills_rather_than_short_a_user():
    """A demand upstream returns half of what it takes to a full lake: serving it sends water to the
    lake, which spills; the user is served in full (a spill costs far less than a shortfall)."""
    b = make_basin([inflow("A", 10), demand("D", 6, consumptive_fraction=0.5, return_to="L"),
                    lake("L", FLAT_LAKE, 110.0)], [link("A", "D"), link("A", "L")])
    sol = balkhash.solve(b)
    assert delivered(sol, "D") == approx([6.0])
    assert column(sol.storage, "spill_mm3", node="L") == approx([7.0])


def test_lake_inflow_target_binding_and_its_dual():
    """A full water year (Oct 2025..Sep 2026), 10 Mm3/month for a demand of 10/month or the lake.

    The lake needs 0.024 km3 = 24 Mm3 a year; the penalty (10 000) beats any shortfall, so the demand
    gives up 24 Mm3.  Cheapest: 1 Mm3 a month in block 1 (12 @ 100), then 12 more in block 2 (@ 120,
    at most 1.5 a month).  Objective 1200 + 1440 = 2640.  One more Mm3 of required inflow costs one
    more Mm3 of block-2 shortfall: the dual of the lake inflow row is 1.2 x 100 = 120, which is also
    the marginal value of water at A in every month.
    """
    b = make_basin(
        [inflow("A", 10), demand("D", 10), lake("L", FLAT_LAKE, 105.0)],
        [link("A", "D"), link("A", "L")],
        targets=[{"id": "LAKE-IN", "type": "lake_inflow", "lake": "L", "min_annual_km3": 0.024}],
        periods=12,
    )
    sol = balkhash.solve(b)
    row = sol.targets[sol.targets["target"] == "LAKE-IN"]
    assert row["period_or_year"].tolist() == ["2025-26"]
    assert row["required"].to_numpy() == approx([24.0])
    assert row["achieved"].to_numpy() == approx([24.0])
    assert row["violation"].to_numpy() == approx([0.0])
    assert row["dual"].to_numpy() == approx([120.0])
    assert flow(sol, "A-L").sum() == approx(24.0)
    assert delivered(sol, "D").sum() == approx(96.0)
    short = 10 - delivered(sol, "D")
    assert short.min() >= 1.0 - ABS
    assert short.max() <= 2.5 + ABS
    assert sol.objective == approx(2640.0)
    assert marginal_value(sol, "A") == approx([120.0] * 12)
    assert sol.summary["lakes"][0]["annual_inflow_km3"] == {"2025-26": approx(0.024)}


# -- ecological flows and strict mode -------------------------------------------------------------------
def test_elastic_eco_flow_violated_by_a_known_amount():
    """5 Mm3 for an eco flow of 8 (penalty 10 000) and a demand of 4: the eco flow gets all 5, is
    3 short (30 000), and the demand is fully short (0.4 @ 100 + 0.6 @ 120 + 1 @ 150 + 2 @ 200 = 662)."""
    b = make_basin(
        [inflow("A", 5), demand("D", 4), sink("S")],
        [link("A", "D"), link("A", "S")],
        targets=[eco_flow("ECO-1", "A-S", 8)],
    )
    sol = balkhash.solve(b)
    assert flow(sol, "A-S") == approx([5.0])
    assert delivered(sol, "D") == approx([0.0])
    row = sol.targets[sol.targets["target"] == "ECO-1"]
    assert row["required"].to_numpy() == approx([8.0])
    assert row["achieved"].to_numpy() == approx([5.0])
    assert row["violation"].to_numpy() == approx([3.0])
    assert row["dual"].to_numpy() == approx([10_000.0])
    assert sol.objective == approx(30_662.0)
    assert sol.summary["violations"][0]["target"] == "ECO-1"
    assert sol.summary["violations"][0]["amount"] == approx(3.0)


def test_cheap_eco_flow_penalty_gives_way_to_the_demand():
    """With a penalty of 50 per Mm3 (below any shortfall cost) the demand keeps its 4: eco violation 7."""
    b = make_basin(
        [inflow("A", 5), demand("D", 4), sink("S")],
        [link("A", "D"), link("A", "S")],
        targets=[eco_flow("ECO-1", "A-S", 8, penalty=50)],
    )
    sol = balkhash.solve(b)
    assert delivered(sol, "D") == approx([4.0])
    assert one(sol.targets, "violation", target="ECO-1") == approx(7.0)
    assert sol.objective == approx(350.0)
    assert marginal_value(sol, "A") == approx([50.0])


def test_strict_eco_flow_that_cannot_be_met_raises_naming_the_target():
    b = make_basin(
        [inflow("A", 5), demand("D", 4), sink("S")],
        [link("A", "D"), link("A", "S")],
        targets=[eco_flow("ECO-1", "A-S", 8)],
    )
    with pytest.raises(SolveError) as err:
        balkhash.solve(b, strict=True)
    assert err.value.status == "infeasible"
    assert "ECO-1" in str(err.value)


def test_strict_eco_flow_that_can_be_met_is_a_hard_bound():
    """Strict with enough water: the eco flow (8 of 12) is met first, the demand (6) gets 4."""
    b = make_basin(
        [inflow("A", 12), demand("D", 6), sink("S")],
        [link("A", "D"), link("A", "S")],
        targets=[eco_flow("ECO-1", "A-S", 8)],
    )
    sol = balkhash.solve(b, strict=True)
    assert flow(sol, "A-S") == approx([8.0])
    assert delivered(sol, "D") == approx([4.0])
    assert sol.objective == approx(block_cost(2, 6))


# -- link limits ------------------------------------------------------------------------------------------
def test_annual_link_capacity_binding_pro_rata():
    """A canal licensed for 36.5 Mm3 per water year; the horizon Oct..Dec 2025 holds 92 of the
    365 days of water year 2025-26, so it may carry 36.5 x 92 / 365 = 9.2 Mm3 in all.

    D wants 10 a month (30): short 20.8.  Cheapest: blocks 1-3 in every month (3 x 5 = 15 short,
    3 x 655) and 5.8 more in block 4 (@ 200): 1965 + 1160 = 3125; water at D is worth 200.
    """
    b = make_basin(
        [inflow("A", 10), demand("D", 10), sink("S")],
        [link("A", "D", "CANAL", annual_capacity="36.5 Mm3/yr"), link("A", "S")],
        periods=3,
    )
    sol = balkhash.solve(b)
    assert flow(sol, "CANAL").sum() == approx(9.2)
    assert delivered(sol, "D").sum() == approx(9.2)
    assert delivered(sol, "D").max() <= 5.0 + ABS
    assert sol.objective == approx(3125.0)
    assert marginal_value(sol, "D") == approx([200.0] * 3)


def test_annual_capacity_by_water_year_starting_in_january():
    """Water years = calendar years: Dec 2025 is the last month of water year 2025 (31 of 365 days:
    36.5 x 31/365 = 3.1), Jan-Feb 2026 the first two of 2026 (59 days: 5.9)."""
    b = make_basin(
        [inflow("A", 10), demand("D", 10), sink("S")],
        [link("A", "D", "CANAL", annual_capacity="36.5 Mm3/yr"), link("A", "S")],
        start="2025-12", periods=3, water_year_start_month=1,
    )
    sol = balkhash.solve(b)
    canal = flow(sol, "CANAL")
    assert canal[0] == approx(3.1)
    assert canal[1:].sum() == approx(5.9)


def test_per_period_capacity():
    """A canal of 3 Mm3/month to a demand of 10: delivery 3, shortfall 7 (100 + 180 + 375 + 400)."""
    b = make_basin([inflow("A", 10), demand("D", 10), sink("S")],
                   [link("A", "D", capacity=3), link("A", "S")])
    sol = balkhash.solve(b)
    assert delivered(sol, "D") == approx([3.0])
    assert sol.objective == approx(1055.0)
    assert marginal_value(sol, "A") == approx([0.0])  # water at A is not scarce, the canal is
    assert marginal_value(sol, "D") == approx([200.0])


def test_hard_min_flow_takes_water_first():
    """A (10) must send at least 4 down A-S: D (10) gets 6, short 4 (505)."""
    b = make_basin([inflow("A", 10), demand("D", 10), sink("S")],
                   [link("A", "D"), link("A", "S", min_flow=4)])
    sol = balkhash.solve(b)
    assert flow(sol, "A-S") == approx([4.0])
    assert delivered(sol, "D") == approx([6.0])
    assert sol.objective == approx(505.0)


def test_hard_min_flow_above_the_inflow_is_infeasible():
    b = make_basin([inflow("A", 3), demand("D", 10), sink("S")],
                   [link("A", "D"), link("A", "S", min_flow=4)])
    with pytest.raises(SolveError) as err:
        balkhash.solve(b)
    assert err.value.status == "infeasible"


# -- hydropower --------------------------------------------------------------------------------------------
K_100M = 9.81 * 100 * 0.9 / 3600  # GWh per Mm3 at 100 m head and 90 % efficiency = 0.24525


def plant(**kw) -> dict:
    return {"id": "P", "link": "A-S", "head_m": 100.0, "efficiency": 0.9, "capacity_mw": 100.0, **kw}


def test_energy_coefficient():
    assert gwh_per_mm3(100.0, 0.9) == pytest.approx(K_100M, rel=1e-12)
    assert K_100M == pytest.approx(0.24525, rel=1e-12)  # noqa: SIM300 - the constant is what is checked


def test_hydropower_energy_target_short_when_the_flow_is_too_small():
    """A (10) serves D (4) first (a Mm3 short costs >= 100, a Mm3 not turbined 100 x 0.24525 = 24.5),
    the plant turbines 6: 6 x 0.24525 = 1.4715 GWh of a 5 GWh target, 3.5285 short x 100 = 352.85."""
    b = make_basin(
        [inflow("A", 10), demand("D", 4), sink("S")],
        [link("A", "D"), link("A", "S")],
        hydropower=[plant(energy_target_gwh=months12(oct=5.0), energy_shortfall_cost=100.0)],
    )
    sol = balkhash.solve(b)
    hp = sol.hydropower
    assert delivered(sol, "D") == approx([4.0])
    assert hp["turbine_mm3"].to_numpy() == approx([6.0])
    assert hp["energy_gwh"].to_numpy() == approx([6 * K_100M])
    assert hp["target_gwh"].to_numpy() == approx([5.0])
    assert sol.objective == approx(100.0 * (5.0 - 6 * K_100M))
    assert sol.objective == approx(352.85)
    assert sol.summary["energy_gwh"] == {"P": approx(6 * K_100M)}


def test_valuable_energy_takes_water_from_the_demand():
    """At 1 000 per GWh a turbined Mm3 is worth 245.25, above the dearest block (200): all 10 Mm3
    go through the turbines (2.4525 GWh, 2.5475 short = 2547.5) and D is fully short (662)."""
    b = make_basin(
        [inflow("A", 10), demand("D", 4), sink("S")],
        [link("A", "D"), link("A", "S")],
        hydropower=[plant(energy_target_gwh=months12(oct=5.0), energy_shortfall_cost=1000.0)],
    )
    sol = balkhash.solve(b)
    assert delivered(sol, "D") == approx([0.0])
    assert sol.hydropower["energy_gwh"].to_numpy() == approx([10 * K_100M])
    assert sol.objective == approx(1000.0 * (5 - 10 * K_100M) + 662.0)
    assert marginal_value(sol, "A") == approx([1000.0 * K_100M])


def test_turbine_discharge_limit():
    """1 m3/s over October's 31 days is 2.6784 Mm3: energy 2.6784 x 0.24525, the rest spills."""
    b = make_basin(
        [inflow("A", 10), sink("S")],
        [link("A", "S")],
        hydropower=[plant(max_turbine_flow_m3s=1.0, energy_target_gwh=months12(oct=5.0),
                          energy_shortfall_cost=100.0)],
    )
    sol = balkhash.solve(b)
    hp = sol.hydropower
    assert hp["turbine_mm3"].to_numpy() == approx([2.6784])
    assert hp["spill_mm3"].to_numpy() == approx([10 - 2.6784])
    assert hp["energy_gwh"].to_numpy() == approx([2.6784 * K_100M])
    assert sol.objective == approx(100.0 * (5 - 2.6784 * K_100M))


def test_installed_capacity_limits_energy_without_a_target():
    """1 MW for the 744 h of October is 0.744 GWh at most: turbine 0.744 / k, energy 0.744."""
    b = make_basin([inflow("A", 10), sink("S")], [link("A", "S")], hydropower=[plant(capacity_mw=1.0)])
    sol = balkhash.solve(b)
    hp = sol.hydropower
    assert hp["energy_gwh"].to_numpy() == approx([0.744])
    assert hp["turbine_mm3"].to_numpy() == approx([0.744 / K_100M])
    assert np.isnan(hp["target_gwh"].to_numpy()).all()


def test_energy_reported_is_what_the_flow_produces_when_the_target_is_met():
    """A plant turbines what its link carries, up to its limit, whether or not it has a target.

    A reservoir with a free-ish release feeds the plant; the 0.1 GWh target is met many times over
    by any release.  The energy reported must be k x min(flow, qmax) (as for a plant without a
    target), not just the 0.1 GWh the target needs with the rest shown as spill.
    """
    b = make_basin(
        [inflow("A", 10), reservoir("R", initial=20, end_storage="initial"), sink("S")],
        [link("A", "R"), link("R", "S", "A-S")],
        hydropower=[plant(energy_target_gwh=[0.1] * 12, energy_shortfall_cost=100.0)],
        periods=3,
    )
    sol = balkhash.solve(b)
    q = flow(sol, "A-S")
    qmax = 100.0 * np.array([744.0, 720.0, 744.0]) / 1000.0 / K_100M
    hp = sol.hydropower
    assert hp["turbine_mm3"].to_numpy() == approx(np.minimum(q, qmax))
    assert hp["energy_gwh"].to_numpy() == approx(K_100M * np.minimum(q, qmax))
    assert hp["spill_mm3"].to_numpy() == approx(q - np.minimum(q, qmax))


# -- units ----------------------------------------------------------------------------------------------------
def test_m3s_flows_convert_with_the_days_of_each_month():
    """2 m3/s in and 1 m3/s wanted over Jan, Feb, Mar, Apr 2026 (31, 28, 31, 30 days):
    1 m3/s is 2.6784, 2.4192, 2.6784, 2.592 Mm3; the flows table gives back 1 m3/s on both links."""
    b = make_basin(
        [inflow("A", "2 m3/s"), demand("D", "1 m3/s", sector="utilities"), sink("S")],
        [link("A", "D"), link("A", "S")],
        start="2026-01", periods=4,
    )
    sol = balkhash.solve(b)
    one_m3s = [2.6784, 2.4192, 2.6784, 2.592]
    assert column(sol.deliveries, "target_mm3", demand="D") == approx(one_m3s)
    assert delivered(sol, "D") == approx(one_m3s)
    assert flow(sol, "A-S") == approx(one_m3s)
    assert column(sol.flows, "flow_m3s", link_id="A-D") == approx([1.0] * 4)
    assert column(sol.flows, "flow_m3s", link_id="A-S") == approx([1.0] * 4)
    assert column(sol.inflows, "inflow_mm3", node="A") == approx([2 * v for v in one_m3s])


def test_per_month_volumes_are_the_same_every_period_and_leap_february():
    """10 Mm3/month is 10 in every period; its mean rate depends on the days (29 in Feb 2028)."""
    b = make_basin(
        [inflow("A", 10), sink("S")],
        [link("A", "S")],
        start="2027-12", periods=4,
    )
    sol = balkhash.solve(b)
    days = np.array([31, 31, 29, 31])
    assert flow(sol, "A-S") == approx([10.0] * 4)
    assert column(sol.flows, "flow_m3s", link_id="A-S") == approx(10e6 / (86400 * days))
    assert sol.flows["period"].tolist() == ["2027-12", "2028-01", "2028-02", "2028-03"]


def test_annual_volume_spread_by_days_sums_to_the_annual_volume_over_a_water_year():
    """'366 Mm3/yr' spread by days over water year 2027-28 (Oct 2027..Sep 2028, 366 days with
    29 Feb 2028): 1 Mm3 a day, so every month gets its number of days and the year sums to 366.

    The model counts years as water years (lake inflow targets, annual link capacities), so a
    yearly volume must add up over the water year, also when it straddles a leap February.
    """
    b = make_basin([inflow("A", "366 Mm3/yr"), sink("S")], [link("A", "S")], start="2027-10", periods=12)
    sol = balkhash.solve(b)
    days = [31, 30, 31, 31, 29, 31, 30, 31, 30, 31, 31, 30]
    assert column(sol.inflows, "inflow_mm3", node="A").sum() == approx(366.0)
    assert column(sol.inflows, "inflow_mm3", node="A") == approx([float(d) for d in days])


def test_annual_volume_spread_by_days_in_a_common_water_year():
    """'36.5 km3/yr' over water year 2025-26 (365 days): 0.1 km3 = 100 Mm3 a day."""
    b = make_basin([inflow("A", "36.5 km3/yr"), sink("S")], [link("A", "S")], start="2025-10", periods=12)
    sol = balkhash.solve(b)
    days = np.array([31, 30, 31, 31, 28, 31, 30, 31, 30, 31, 31, 30])
    assert column(sol.inflows, "inflow_mm3", node="A") == approx(100.0 * days)
    assert flow(sol, "A-S").sum() == approx(36_500.0)


def test_series_from_a_csv_file(tmp_path):
    """A per-period series read from CSV in m3/s: 1, 2, 3 m3/s over Oct, Nov, Dec 2025 (31, 30, 31 d)."""
    (tmp_path / "series.csv").write_text("period,Q\n2025-09,9\n2025-10,1\n2025-11,2\n2025-12,3\n")
    raw = {
        "name": "csv", "calendar": {"start": "2025-10", "periods": 3},
        "nodes": [inflow("A", {"unit": "m3/s", "file": "series.csv", "column": "Q"}), sink("S")],
        "links": [link("A", "S")],
    }
    b = parse_basin(raw, str(tmp_path / "basin.yaml"), tmp_path)
    sol = balkhash.solve(b)
    assert flow(sol, "A-S") == approx([1 * 2.6784, 2 * 2.592, 3 * 2.6784])
    assert column(sol.flows, "flow_m3s", link_id="A-S") == approx([1.0, 2.0, 3.0])


# -- storage reference (tie-breaker) --------------------------------------------------------------

def _tiebreak_basin(eps: float):
    """10 Mm3/month into a reservoir holding 100; a user needs 30 in October only; the rest drains to
    a sink.  Every refill schedule costs the same; the tie-breaker picks the one that returns to 100
    soonest: storage 80, 90, 100, 100 and releases 30, 0, 0, 10."""
    return make_basin(
        [inflow("A", 10), reservoir("R", 100.0), junction("J"), demand("D", monthly(oct=30.0)), sink()],
        [link("A", "R"), link("R", "J"), link("J", "D"), link("J", "OUT")],
        periods=4, options={"storage_deviation_cost": eps},
    )


def test_storage_reference_breaks_ties_between_equal_cost_plans():
    sol = balkhash.solve(_tiebreak_basin(0.001))
    assert storage(sol, "R") == approx([80.0, 90.0, 100.0, 100.0])
    assert flow(sol, "R-J") == approx([30.0, 0.0, 0.0, 10.0])
    assert delivered(sol, "D") == approx([30.0, 0.0, 0.0, 0.0])
    assert sol.objective == approx(0.001 * (20.0 + 10.0))


def test_storage_reference_off_at_zero_costs_nothing():
    sol = balkhash.solve(_tiebreak_basin(0.0))
    assert abs(sol.objective) < 1e-9
    assert delivered(sol, "D")[0] == approx(30.0)
    assert storage(sol, "R")[0] <= 80.0 + 1e-6  # any schedule that serves D is optimal


def _idle_reservoir_basin(shortfall_cost: float, **options):
    """A reservoir holding 50 (5..100) on a river of 8 Mm3/month; a user below it takes 8 a month
    (12 in July) and returns half past its own intake; the reservoir can also release to a sink."""
    return make_basin(
        [inflow("A", 8.0), reservoir("R", initial=50.0, min_storage=5.0, max_storage=100.0),
         junction("J"), junction("K"),
         demand("D", monthly(default=8.0, jul=12.0), shortfall_cost=shortfall_cost, consumptive_fraction=0.5,
                return_to="K"), sink()],
        [link("A", "R"), link("R", "J"), link("J", "D"), link("J", "K"), link("K", "OUT")],
        periods=12, options=options or None,
    )


@pytest.mark.parametrize("shortfall_cost", [100.0, 1.0])
def test_default_tie_breaker_keeps_an_idle_reservoir_full_and_still_serves_the_user(shortfall_cost):
    """With the basin's options left out the reservoir keeps its 50 Mm3 while the river covers the
    user, releases the 4 Mm3 the user lacks in July and holds 46 to the end (nothing to refill from):
    the objective is 0.001 x 4 Mm3 x 3 months, nothing short even at a shortfall cost of 1 per Mm3.
    (At storage_deviation_cost 0 every plan that serves the user costs 0 and HiGHS 1.x drew the
    reservoir down to 9 Mm3 in October.)"""
    sol = balkhash.solve(_idle_reservoir_basin(shortfall_cost))
    assert storage(sol, "R") == approx([50.0] * 9 + [46.0] * 3)
    assert delivered(sol, "D") == approx([8.0] * 9 + [12.0, 8.0, 8.0])
    assert sol.objective == approx(TIE * 4.0 * 3)



def test_a_hard_target_that_cannot_be_met_is_named_not_blamed_on_the_network():
    """A river of 10 Mm3 cannot carry a hard eco flow of 15: the message names the target and what
    the best compromise reaches (not 'targets are elastic'); a network that cannot route its water says
    where."""
    b = make_basin([inflow("A", 10), sink("S")], [link("A", "S")],
                   targets=[eco_flow("E", "A-S", 15, hard=True)])
    with pytest.raises(SolveError) as err:
        balkhash.solve(b)
    msg = str(err.value)
    assert "the hard targets cannot all be met" in msg
    assert "E (eco_flow on A-S" in msg
    assert "required 15 Mm3, 10 in the best compromise" in msg
    assert "elastic, so they are not the cause" not in msg
    b = make_basin([inflow("A", 10), sink("S")], [link("A", "S", capacity=5)],
                   targets=[eco_flow("E", "A-S", 8, hard=True)])
    with pytest.raises(SolveError, match="infeasible even with every target elastic") as err:
        balkhash.solve(b)
    # the river's 10 Mm3 cannot leave A through a link of 5: 5 Mm3 of surplus at A
    assert "node 'A', 2025-10: 5 Mm3 of surplus it cannot pass on" in str(err.value)


def test_a_network_that_cannot_route_its_water_names_the_node_and_period():
    """A river of 3 Mm3 whose only link must carry at least 5: a deficit of 2 at the river node in
    each period."""
    b = make_basin([inflow("A", 3), sink("S")], [link("A", "S", min_flow=5)], periods=2)
    with pytest.raises(SolveError) as err:
        balkhash.solve(b)
    msg = str(err.value)
    assert "targets are elastic, so they are not the cause" in msg
    assert "node 'A', 2025-10: 2 Mm3 of deficit" in msg
    assert "node 'A', 2025-11: 2 Mm3 of deficit" in msg


def test_highs_warnings_about_the_model_reach_the_summary_notes():
    """Values at the resolution (1e-4 Mm3) beside costs of 100: HiGHS warns of tiny bounds; the
    warnings reach summary['notes'] (without HiGHS's advice on its own options)."""
    b = make_basin([inflow("A", 2e-4), demand("D", 1e-4), sink("S")], [link("A", "D"), link("A", "S")])
    notes = balkhash.solve(b).summary["notes"]
    assert any(n.startswith("HiGHS: ") and "excessively small bounds" in n for n in notes)
    assert not any("Consider scaling" in n or "integrality" in n for n in notes)
    calm = make_basin([inflow("A", 10), demand("D", 4), sink("S")], [link("A", "D"), link("A", "S")])
    assert not any(n.startswith("HiGHS: ") for n in balkhash.solve(calm).summary["notes"])


# -- resolution: the smallest volume balkhash resolves ----------------------------------------------

def _scaled_basin(scale: float):
    """A river of 7 Mm3/month (3 in January, 2 in February) through a reservoir (20 in 5..100) to a
    user of 8 a month that returns half below a reach losing 10 %, every volume times ``scale``:
    short in the dry months, so the solution draws on the reservoir and shares a shortfall."""
    s = scale
    return make_basin(
        [inflow("A", monthly(default=7 * s, jan=3 * s, feb=2 * s)),
         reservoir("R", initial=20 * s, min_storage=5 * s, max_storage=100 * s),
         demand("D", 8 * s, consumptive_fraction=0.5, return_to="K"), junction("J"), junction("K"), sink()],
        [link("A", "R"), link("R", "J"), link("J", "D"), link("J", "K", loss_fraction=0.1), link("K", "OUT")],
        periods=12,
    )


def test_at_the_resolution_the_balance_holds_to_a_thousandth_of_the_smallest_volume():
    """Every volume of the basin divided by 20 000 (the smallest, February's 2 Mm3, becomes 1e-4
    Mm3, the resolution): the water balance recomputed from the result tables holds at every node to
    0.1 % of that smallest volume, and deliveries, shortfalls and storage are the unscaled solution's
    divided by 20 000 to 0.1 %."""
    scale = 1e-4 / 2
    base, small = balkhash.solve(_scaled_basin(1.0)), balkhash.solve(_scaled_basin(scale))
    assert small.summary["status"] == "optimal"
    residuals = balance_residuals(_scaled_basin(scale), small)["residual"].abs()
    assert residuals.max() <= 1e-3 * 1e-4
    assert sum(column(base.deliveries, "shortfall_mm3")) > 1.0  # the base case is short of water
    for name, col in (("deliveries", "delivered_mm3"), ("deliveries", "shortfall_mm3"), ("storage", "storage_mm3")):
        want = column(getattr(base, name), col) * scale
        got = column(getattr(small, name), col)
        assert np.abs(got - want).max() <= 1e-3 * 1e-4, (name, col)


def test_volumes_below_the_resolution_are_refused_before_solving():
    """The same basin times 1e-7 (volumes of 0.2..10 m3): HiGHS would call it optimal while its
    balance misses by up to 10 % (its feasibility tolerance is 1e-7 Mm3); it is refused instead, each
    value named with its node, field and the resolution."""
    with pytest.raises(BasinError) as err:
        balkhash.solve(_scaled_basin(1e-7))
    msg = str(err.value)
    assert ("node 'A': inflow: non-zero value below 0.0001 Mm3 (100 m3), the smallest volume balkhash "
            "resolves (give 0 or at least that; see docs/data-format.md, 'Resolution') in 12 period(s): "
            "2025-10 (7e-07 Mm3), 2025-11 (7e-07 Mm3), 2025-12 (7e-07 Mm3) ...") in msg
    assert "node 'D': target: non-zero value below 0.0001 Mm3" in msg
    assert "node 'R': initial_storage: 2e-06 Mm3: non-zero value below 0.0001 Mm3 (100 m3)" in msg
    assert "node 'R': min_storage: 5e-07 Mm3" in msg


# -- bound duals: the marginal value of a binding capacity, minimum flow, storage bound --------------

def test_bound_duals_of_a_canal_a_minimum_flow_and_a_reservoir():
    """A river of 10 Mm3 a month: a canal limited to 6 serves a user of 9 (cost 50 per Mm3 short, no
    blocks): one more Mm3 of canal capacity saves 50.  A minimum flow of 3 on the river's other
    arm does not bind at a cost (10 = canal 6 + 4 to the sink).  A reservoir holding 5 (1..5)
    serves a second user of 8 (cost 20): each Mm3 more at the start is worth 20, and each Mm3 of
    dead storage costs 20.  Then a minimum flow of 7 to the sink leaves the user 3: it costs 50 per
    Mm3, and the canal no longer binds."""
    b = make_basin(
        [inflow("A", 10), demand("D", 9, shortfall_cost=50), sink("S"),
         reservoir("R", initial=5.0, min_storage=1.0, max_storage=5.0), demand("E", 8, shortfall_cost=20)],
        [link("A", "D", capacity=6), link("A", "S", min_flow=3), link("R", "E"), link("R", "S")],
        options={"fair_sharing": False, "storage_deviation_cost": 0.0})
    sol = balkhash.solve(b)
    bd = sol.tables["bound_duals"].set_index(["id", "bound"])
    assert bd.loc[("A-D", "capacity"), "marginal_value"] == pytest.approx(50.0)
    assert bd.loc[("A-D", "capacity"), "value_mm3"] == pytest.approx(6.0)
    assert ("A-S", "min_flow") not in bd.index  # 4 Mm3 go to the sink: the minimum does not bind
    assert bd.loc[("R", "initial_storage"), "marginal_value"] == pytest.approx(20.0)
    assert bd.loc[("R", "storage_min"), "marginal_value"] == pytest.approx(-20.0)
    assert bd.loc[("R", "storage_min"), "value_mm3"] == pytest.approx(1.0)
    # a minimum flow that takes the user's water: 10 in, minimum 7 to the sink, canal 6, user 9
    b2 = make_basin([inflow("A", 10), demand("D", 9, shortfall_cost=50), sink("S")],
                    [link("A", "D", capacity=6), link("A", "S", min_flow=7)],
                    options={"fair_sharing": False, "storage_deviation_cost": 0.0})
    bd2 = balkhash.solve(b2).tables["bound_duals"].set_index(["id", "bound"])
    assert bd2.loc[("A-S", "min_flow"), "marginal_value"] == pytest.approx(-50.0)
    assert ("A-D", "capacity") not in bd2.index  # the canal carries 3 of its 6
