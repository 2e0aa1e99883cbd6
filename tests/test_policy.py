"""Allocation policies on hand-computable basins: equal shares within a class, the order of the
classes, the lake's place or share; bad policies named by file and field.

Flows in Mm3/month (one period = one month).  Shares are checked from the deliveries table: the
shortfall of each user over its target, per period.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from analytical_basins import delivered, demand, inflow, junction, lake, link, make_basin, monthly, sink

import balkhash
from balkhash.allocation.solve import Allocation
from balkhash.network.errors import BasinError
from balkhash.network.policy import check_policy

EXACT = 1e-9
ABS = 1e-6
#: a lake that holds a year of inflow without spilling: 0..100 000 Mm3 over 100..110 m, 100 km2
BIG_LAKE = {"level_m": [100.0, 110.0], "area_km2": [100.0, 100.0], "volume": [0.0, 100_000.0]}


def shares(sol) -> pd.DataFrame:
    """period x demand: shortfall / target (NaN where the target is 0)."""
    d = sol.tables["deliveries"].copy()
    d["share"] = np.where(d["target_mm3"] > 0, d["shortfall_mm3"] / d["target_mm3"].where(d["target_mm3"] > 0),
                          np.nan)
    return d.pivot(index="period", columns="demand", values="share")


def two_irrigators(policy=None, periods=3, a_target=40.0, **opts):
    """60 Mm3/month for A (40, cost 100), B (20, fisheries at cost 150) and the town U (10,
    utilities at cost 1): 10 Mm3/month short."""
    options = dict(opts)
    if isinstance(policy, dict):
        options["policies"] = {"custom": policy}
        policy = "custom"
    if policy is not None:
        options["policy"] = policy
    return make_basin(
        [inflow("S", 60), junction("J"), demand("A", a_target, shortfall_cost=100),
         demand("B", 20, sector="fisheries", shortfall_cost=150),
         demand("U", 10, sector="utilities", shortfall_cost=1), sink()],
        [link("S", "J"), link("J", "A"), link("J", "B"), link("J", "U"), link("J", "OUT")],
        options=options, periods=periods, validate=True)


# -- equal shares within a class -------------------------------------------------------------------
def test_without_a_policy_the_dearer_user_is_served_first_and_the_town_is_cut():
    """No policy: costs as given.  The town (cost 1) is the cheapest to cut: its 10 Mm3/month go
    without, and the irrigators A and B are served in full."""
    sol = balkhash.solve(two_irrigators())
    assert delivered(sol, "U") == pytest.approx([0.0] * 3, abs=ABS)
    assert delivered(sol, "A") == pytest.approx([40.0] * 3, abs=ABS)


def test_water_code_serves_drinking_water_and_cuts_a_class_in_equal_shares():
    """water_code: drinking water (U) first, then A and B (agriculture and fisheries: one class).
    50 Mm3/month for A + B = 60: both short by 10/60 = 1/6 of their target, whatever their own costs
    (100 and 150), in every period, to 1e-9."""
    sol = balkhash.solve(two_irrigators("water_code"))
    assert delivered(sol, "U") == pytest.approx([10.0] * 3, abs=ABS)
    sh = shares(sol)
    assert sh["A"].to_numpy() == pytest.approx([1 / 6] * 3, abs=EXACT)
    assert np.abs(sh["A"] - sh["B"]).max() < EXACT


def test_equal_shares_in_every_period_with_targets_that_change():
    """A's target changes by month (40, 10, 70); B's is 20.  Water for A + B: 50 a month.  Each
    month the share short is (A + B - 50) / (A + B): 1/6, 0 (both full: 30 < 50) and 40/90, the
    same for both users, to 1e-9; not only at block boundaries (40/90 is inside a block)."""
    b = two_irrigators("water_code", a_target=monthly(oct=40, nov=10, dec=70))
    sol = balkhash.solve(b)
    sh = shares(sol)
    assert sh["A"].to_numpy() == pytest.approx([1 / 6, 0.0, 40 / 90], abs=EXACT)
    assert np.abs(sh["A"] - sh["B"]).max() < EXACT
    assert delivered(sol, "U") == pytest.approx([10.0] * 3, abs=ABS)


def test_a_class_without_proportional_shares_keeps_the_cheaper_user_short():
    """The same basin with the irrigators' class not proportional: one cost (the class's) and the
    sharing blocks only; the shares need not be equal, but the total short is the same, 10 a month."""
    policy = {"classes": [{"name": "town", "sectors": ["utilities"]},
                          {"name": "farms", "sectors": ["agriculture", "fisheries"], "proportional": False}]}
    sol = balkhash.solve(two_irrigators(policy))
    d = sol.tables["deliveries"]
    assert d.groupby("period")["shortfall_mm3"].sum().to_numpy() == pytest.approx([10.0] * 3, abs=ABS)
    assert list(Allocation(two_irrigators(policy)).lp.row_blocks["equal_share"].axes[0]) == ["U"]


# -- the order of the classes ----------------------------------------------------------------------
def test_class_order_follows_the_policy_not_the_users_costs():
    """Industry (I, 30, own cost 10) and irrigation (A, 40, own cost 100) share 50 Mm3/month.  With
    no policy the irrigator is served first (I gets 10); under water_code industry comes first: I
    gets its 30, A the 20 left (50 % short)."""
    def basin(policy):
        return make_basin(
            [inflow("S", 50), demand("I", 30, sector="industry", shortfall_cost=10),
             demand("A", 40, shortfall_cost=100)],
            [link("S", "I"), link("S", "A")], options={} if policy is None else {"policy": policy}, periods=2)

    none = balkhash.solve(basin(None))
    assert delivered(none, "I") == pytest.approx([10.0] * 2, abs=ABS)
    sol = balkhash.solve(basin("water_code"))
    assert delivered(sol, "I") == pytest.approx([30.0] * 2, abs=ABS)
    assert delivered(sol, "A") == pytest.approx([20.0] * 2, abs=ABS)
    costs = Allocation(basin("water_code")).get("shortfall_cost", "I"), \
        Allocation(basin("water_code")).get("shortfall_cost", "A")
    assert costs == (1000.0, 100.0)  # industry, irrigation: 100 x 10^(classes below)


# -- the lake ----------------------------------------------------------------------------------
def lake_basin(policy) -> object:
    """100 Mm3/month at S for an irrigator (50/month) and a lake that wants 960 Mm3 a water year
    (80/month); nothing else leaves S.  Over the year: 1 200 for 600 + 960, 360 short.  The lake
    gets 1 200 - y with y the irrigator's delivery, so its deficit is v = y - 240 and the
    irrigator's shortfall S = 600 - y."""
    return make_basin(
        [inflow("S", 100), demand("IRR", 50), lake("L", BIG_LAKE, 101.0)],
        [link("S", "IRR"), link("S", "L")],
        targets=[{"id": "L-IN", "type": "lake_inflow", "lake": "L", "min_annual_km3": 0.96}],
        options={"policy": "custom", "policies": {"custom": policy}} if isinstance(policy, dict)
        else {"policy": policy}, periods=12, validate=True)


def _lake_figures(sol) -> tuple[float, float, float]:
    """(irrigator's shortfall, lake inflow deficit achieved, violation reported), Mm3 over the year."""
    short = float(sol.tables["deliveries"]["shortfall_mm3"].sum())
    row = sol.targets[sol.targets["target"] == "L-IN"].iloc[0]
    return short, float(row["required"] - row["achieved"]), float(row["violation"])


def test_lake_first_serves_the_lake_before_the_irrigator():
    """lake_first: the lake's 960 first, the irrigator gets 240: 360 short."""
    short, deficit, viol = _lake_figures(balkhash.solve(lake_basin("lake_first")))
    assert (short, deficit, viol) == pytest.approx((360.0, 0.0, 0.0), abs=ABS)


def test_users_first_serves_the_irrigator_before_the_lake():
    """users_first: the irrigator's 600 first, the lake gets 600: 360 short of its 960."""
    short, deficit, viol = _lake_figures(balkhash.solve(lake_basin("users_first")))
    assert (short, deficit, viol) == pytest.approx((0.0, 360.0, 360.0), abs=ABS)


def test_proportional_cuts_the_lake_and_the_irrigator_in_the_same_proportion():
    """proportional: v / 960 = S / 600 with v = y - 240, S = 600 - y: y = 1200 / 2.6 = 461.54,
    S = 138.46 (23.08 % of 600), v = 221.54 (23.08 % of 960)."""
    short, deficit, viol = _lake_figures(balkhash.solve(lake_basin("proportional")))
    y = 1200.0 / 2.6
    assert short == pytest.approx(600.0 - y, abs=ABS)
    assert deficit == pytest.approx(y - 240.0, abs=ABS)
    assert viol == pytest.approx(deficit, abs=ABS)
    assert deficit / 960.0 == pytest.approx(short / 600.0, abs=EXACT)


@pytest.mark.parametrize("share", [0.0, 0.25, 0.5, 1.0])
def test_the_lake_takes_the_negotiated_share_of_the_deficit(share):
    """The lake takes X of the deficit: (1 - X) v = X S, v + S = 360: v = 360 X, S = 360 (1 - X)."""
    policy = {"classes": [{"name": "irrigation", "sectors": ["agriculture"]}],
              "lake_share": {"share_with": "irrigation", "share": share}}
    short, deficit, viol = _lake_figures(balkhash.solve(lake_basin(policy)))
    assert deficit == pytest.approx(360.0 * share, abs=ABS)
    assert short == pytest.approx(360.0 * (1.0 - share), abs=ABS)
    assert viol == pytest.approx(deficit, abs=ABS)


def test_a_lake_that_gets_its_inflow_reports_no_deficit_when_the_class_is_short_for_another_reason():
    """110 Mm3/month at S, the irrigator's canal limited to 20/month: it gets 240 of its 600 (60 %
    short), the lake 90/month = 1 080 of its 960.  The share row still charges the lake 60 % of
    960 = 576 in the LP; the targets table reports the lake's own deficit, 0, and a note says why the
    objective holds the share's penalty."""
    basin = make_basin(
        [inflow("S", 110), demand("IRR", 50), lake("L", BIG_LAKE, 101.0)],
        [link("S", "IRR", capacity=20), link("S", "L")],
        targets=[{"id": "L-IN", "type": "lake_inflow", "lake": "L", "min_annual_km3": 0.96}],
        options={"policy": "proportional"}, periods=12, validate=True)
    alloc = Allocation(basin)
    sol = alloc.solve()
    short, deficit, viol = _lake_figures(sol)
    assert short == pytest.approx(360.0, abs=ABS)
    assert deficit == pytest.approx(960.0 - 1080.0, abs=ABS)  # achieved above required
    assert viol == 0.0
    assert sol.summary["violations"] == []
    vb = alloc.lp.var_blocks["viol_lake_inflow"]
    assert float(alloc.backend.col_value[vb.cols].sum()) == pytest.approx(576.0, abs=ABS)  # the share, in the LP
    [note] = [n for n in sol.summary["notes"] if n.startswith("L-IN")]
    assert "576.0 Mm3" in note
    assert "inflow 1.08 km3" in note
    # the objective is the irrigator's cut and the lake's share, priced as the policy prices them
    cost = alloc.get("shortfall_cost", "IRR")
    penalty = alloc.get("penalty", "L-IN")
    assert penalty == pytest.approx(cost)  # an ecological target takes its class's cost
    assert sol.objective > 576.0 * penalty


def test_a_lake_short_of_its_inflow_reports_the_deficit_it_has():
    """The shared case of the proportional test: the reported violation is the lake's own deficit,
    and no note (the share and the deficit agree)."""
    sol = balkhash.solve(lake_basin("proportional"))
    _, deficit, viol = _lake_figures(sol)
    assert viol == pytest.approx(deficit, abs=ABS)
    assert deficit > 100.0
    assert not [n for n in sol.summary["notes"] if n.startswith("L-IN")]


def test_a_hard_lake_target_takes_no_share():
    """--strict makes the lake inflow target hard: it has no deficit to share, the irrigator takes
    the whole 360."""
    sol = Allocation(lake_basin("proportional"), strict=True).solve()
    short, deficit, _ = _lake_figures(sol)
    assert (short, deficit) == pytest.approx((360.0, 0.0), abs=ABS)


# -- warm re-solves ------------------------------------------------------------------------------
def test_warm_re_solve_under_a_policy_equals_a_fresh_build():
    """The targets are coefficients of the equal-share and lake-share rows: a changed demand or
    lake target moves them, and the warm re-solve gives the fresh build's plan."""
    alloc = Allocation(lake_basin("proportional"))
    alloc.solve()
    alloc.set("demand", "IRR", np.full(12, 30.0))
    alloc.set("lake_inflow_target", "L-IN", 1000.0)
    warm = alloc.solve()
    b = lake_basin("proportional")
    b.node("IRR").target = b.node("IRR").target.model_validate(monthly(default=30.0))
    b.targets[0].min_annual_km3 = 1.0
    fresh = balkhash.solve(b)
    assert warm.objective == pytest.approx(fresh.objective, rel=1e-9)
    assert delivered(warm, "IRR").sum() == pytest.approx(delivered(fresh, "IRR").sum(), abs=ABS)
    short, deficit, _ = _lake_figures(warm)
    assert deficit / 1000.0 == pytest.approx(short / 360.0, abs=EXACT)

    town = Allocation(two_irrigators("water_code", a_target=monthly(oct=40, nov=10, dec=70)))
    town.solve()
    town.set("demand", "B", [5.0, 40.0, 20.0])
    sh = shares(town.solve())
    assert np.abs(sh["A"] - sh["B"]).max() < EXACT
    assert sh["A"].to_numpy() == pytest.approx([0.0, 0.0, 40 / 90], abs=EXACT)


# -- bad policies --------------------------------------------------------------------------------
def _problems(basin) -> str:
    with pytest.raises(BasinError) as exc:
        Allocation(basin)
    assert len(str(exc.value).splitlines()) == 1
    return str(exc.value)


def test_unknown_policy_is_named_by_file_and_field():
    msg = _problems(two_irrigators("kazakh_law"))
    assert "options: policy: unknown policy 'kazakh_law'" in msg
    assert "water_code" in msg


def test_a_class_that_names_no_user_is_an_error():
    policy = {"classes": [{"name": "town", "sectors": ["utilities"]}, {"name": "plants", "sectors": ["industry"]},
                          {"name": "farms", "sectors": ["agriculture", "fisheries"]}]}
    msg = _problems(two_irrigators(policy))
    assert "options: policies.custom.classes[1]: class 'plants' names no user of the basin" in msg


def test_a_user_in_no_class_and_an_unknown_demand_are_errors():
    assert "no class holds the demand(s) B" in _problems(two_irrigators(
        {"classes": [{"name": "town", "sectors": ["utilities"]}, {"name": "farms", "demands": ["A"]}]}))
    assert "policies.custom.classes[1].demands: 'Z' is not a demand" in _problems(two_irrigators(
        {"classes": [{"name": "all", "sectors": ["utilities", "agriculture", "fisheries"]},
                     {"name": "z", "demands": ["Z"]}]}))


def test_a_share_outside_0_1_is_refused_by_the_schema():
    with pytest.raises(BasinError) as exc:
        lake_basin({"classes": [{"name": "irrigation", "sectors": ["agriculture"]}],
                    "lake_share": {"share_with": "irrigation", "share": 1.5}})
    assert "options.policies.custom.lake_share.share: must be a share in [0, 1]" in str(exc.value)


def test_a_cost_ratio_below_the_block_multipliers_is_an_error():
    policy = {"classes": [{"name": "all", "sectors": ["utilities", "agriculture", "fisheries"]}], "cost_ratio": 1.5}
    msg = _problems(two_irrigators(policy))
    assert "policies.custom.cost_ratio: 1.5 must exceed the largest sharing multiplier (2)" in msg


def test_a_named_policy_of_the_basin():
    """options.policies names a policy; options.policy picks it."""
    named = {"classes": [{"name": "everyone", "sectors": ["utilities", "agriculture", "fisheries"]}]}
    b = two_irrigators("mine", policies={"mine": named})
    sh = shares(balkhash.solve(b))  # one class: 70 for 60, 1/7 short each
    assert sh.to_numpy() == pytest.approx(np.full((3, 3), 1 / 7), abs=EXACT)
    assert "options: policies.mine.classes[0]" in _problems(two_irrigators("mine", policies={
        "mine": {"classes": [{"name": "everyone", "sectors": ["industry"]}]}}))


@pytest.mark.skipif(shutil.which("glpsol") is None, reason="GLPK (glpsol, Debian's glpk-utils) is not installed")
def test_the_pyomo_model_of_record_holds_the_policy_rows():
    """The Pyomo model (solved by GLPK) carries the equal-share and lake-share rows with their
    coefficients: the same plan as HiGHS on the proportional lake basin (its year's totals: the
    months of one user within a block are not unique) and the shares of the changing targets."""
    basin = lake_basin("proportional")
    highs, glpk = Allocation(basin).solve(), Allocation(basin).solve(solver="glpk")
    assert glpk.objective == pytest.approx(highs.objective, rel=1e-7)
    assert _lake_figures(glpk) == pytest.approx(_lake_figures(highs), abs=ABS)
    basin = two_irrigators("water_code", a_target=monthly(oct=40, nov=10, dec=70))
    highs, glpk = Allocation(basin).solve(), Allocation(basin).solve(solver="glpk")
    assert glpk.objective == pytest.approx(highs.objective, rel=1e-7)
    np.testing.assert_allclose(shares(glpk).to_numpy(), shares(highs).to_numpy(), atol=1e-9)


def test_the_summary_names_the_policy_its_classes_and_the_lake_share():
    sol = balkhash.solve(lake_basin("water_code"))
    pol = sol.summary["policy"]
    assert pol["name"] == "water_code"
    assert pol["classes"] == [{"name": "irrigation", "cost_per_mm3": 100.0, "proportional": True, "demands": ["IRR"]}]
    assert pol["lake_shares"] == [{"target": "L-IN", "class": "irrigation", "share": "proportional"}]
    assert "policy" not in balkhash.solve(two_irrigators()).summary


# -- the end-storage class -----------------------------------------------------------------------
def _end_storage_basin(end_node: dict) -> object:
    """S (100 Mm3/month) serves IRR (50/month) and fills the lake L; a custom policy
    puts the end storage before the irrigator."""
    policy = {"classes": [{"name": "keep", "end_storage": True}, {"name": "farms", "sectors": ["agriculture"]}]}
    return make_basin([inflow("S", 100), demand("IRR", 50), end_node], [link("S", "IRR"), link("S", end_node["id"])],
                      options={"policy": "custom", "policies": {"custom": policy}}, periods=2, validate=True)


def test_the_end_storage_class_holds_a_lakes_end_storage():
    """A lake's end storage (a volume) is an end-storage target like a reservoir's: the class that
    holds it is valid, and ranked above the irrigator it is kept.  L starts at 101 m (10 000 Mm3 on
    BIG_LAKE) and must end with 10 000 + 150 Mm3 (no evaporation), so of the 200 Mm3 in two months
    the lake takes 150 and IRR gets 50 (short 50)."""
    start = 10_000.0
    basin = _end_storage_basin(lake("L", BIG_LAKE, 101.0, end_storage=f"{start + 150.0!r} Mm3"))
    assert check_policy(basin, "test.yaml") == []
    sol = Allocation(basin).solve()
    assert delivered(sol, "IRR").sum() == pytest.approx(50.0, abs=ABS)
    row = sol.targets[sol.targets["target"] == "end_storage:L"].iloc[0]
    assert float(row["violation"]) == pytest.approx(0.0, abs=ABS)


def test_an_exact_end_storage_is_no_target_of_the_end_storage_class():
    """A reservoir whose end storage is exact (``{equal: ...}``) is held by its bounds, not by a
    target: a class of end storage that has only it names nothing, in validation as in the build."""
    res = {"id": "R", "type": "reservoir", "min_storage": "0 Mm3", "max_storage": "1000 Mm3",
           "initial_storage": "100 Mm3", "end_storage": {"equal": "150 Mm3"}}
    basin = _end_storage_basin(res)
    problems = check_policy(basin, "test.yaml")
    assert [p.message for p in problems] == [
        "class 'keep' names no reservoir or lake with an end-storage target of the basin"]
    assert "names no reservoir or lake with an end-storage target" in _problems(basin)
