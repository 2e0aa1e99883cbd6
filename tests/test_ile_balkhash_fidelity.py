"""Fidelity checks of the Ile-Balkhash default basin against published figures: Moinak's energy
from the Charyn flow that reaches Bestyube, and the lake's seasonal cycle under the fitted
evaporation timing (the brief's profile: scenario ``brief_evaporation``), the Ile delta as a wetland whose loss
depends on the water reaching it (scenario ``delta_wetland``), with the tools that derive them."""

from __future__ import annotations

import calendar
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from balkhash.allocation.solve import solve
from balkhash.data import default_basin_path
from balkhash.network import load_basin
from balkhash.network.errors import BasinError
from balkhash.scenarios.apply import apply_scenario
from balkhash.scenarios.io import load_scenarios
from balkhash.scenarios.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def basin():
    return load_basin(default_basin_path())


@pytest.fixture(scope="module")
def mean_year():
    return solve("ile_balkhash")


def lake_levels(sol) -> np.ndarray:
    st = sol.storage
    return st[st.node == "BALKHASH"]["level_m"].to_numpy()


def test_the_charyn_is_split_at_bestyube_and_keeps_its_gauged_total(basin):
    above, below = basin.node("CHARYN").inflow.annual, basin.node("CHARYN_LOWER").inflow.annual
    assert above + below == pytest.approx(1116.4)  # 35.4 m3/s at the gauge below the dam
    assert above / (above + below) == pytest.approx(0.63, abs=0.005)


def test_moinak_energy_within_15_percent_of_its_record(mean_year):
    # 5.9 TWh from December 2011 to mid-2018: ~0.9 TWh a year (zonakz_2018); 1 394 GWh before the split
    hp = mean_year.hydropower
    energy = hp[hp.plant == "HPP_MOINAK"]["energy_gwh"].sum()
    assert abs(energy / 900.0 - 1.0) <= 0.15


def test_the_generated_data_are_in_step_with_their_tools():
    root = str(default_basin_path())
    assert _tool("ile_balkhash_tables").verify(root) == []
    assert _tool("ile_balkhash_seasonal").verify(root) == []


def test_the_fitted_evaporation_timing_puts_the_lake_peak_in_early_summer(basin, mean_year):
    scen = {s.name: s for s in load_scenarios(default_basin_path() / "scenarios.yaml")}["brief_evaporation"]
    brief = lake_levels(solve(apply_scenario(basin, scen)))
    fitted = lake_levels(mean_year)
    months = ["Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep"]
    assert months[int(np.argmax(brief))] == "Apr"  # the brief's profile: the early peak it had
    assert months[int(np.argmax(fitted))] in ("May", "Jun")
    autumn = fitted[[11, 0, 1, 2]]
    # the climatology: June 0.315 m above a flat September-December (341.99 against 341.65-341.70 m)
    assert 0.2 <= fitted[8] - autumn.mean() <= 0.4
    assert fitted[8] - autumn.mean() > brief[8] - brief[[11, 0, 1, 2]].mean() + 0.05
    assert np.ptp(autumn) <= 0.1


def test_a_scenario_profile_must_name_a_profile_and_hold_12_fractions(basin):
    with pytest.raises(BasinError, match=r"profiles\.nope.*no profile of that name"):
        apply_scenario(basin, Scenario(name="bad", profiles={"nope": [1 / 12] * 12}))
    with pytest.raises(BasinError, match=r"profiles\.balkhash_evap"):
        apply_scenario(basin, Scenario(name="bad", profiles={"balkhash_evap": [0.5] * 12}))


# ---------------------------------------------------------------- the Ile delta as a wetland
@pytest.fixture(scope="module")
def scenarios():
    return {s.name: s for s in load_scenarios(default_basin_path() / "scenarios.yaml")}


@pytest.fixture(scope="module")
def wetland(basin, scenarios):
    return apply_scenario(basin, scenarios["delta_wetland"])


def _delta(sol):
    """(water reaching the delta apex, the delta's loss: the arms' loss plus the wetland's
    evaporation, the wetland's largest storage), Mm3 over the run."""
    f, st = sol.flows, sol.storage
    arms = f[f.link_id == "ILE_DELTA"]
    wet = st[st.node == "DELTA_WETLAND"]
    return (float(arms.flow_mm3.sum()), float(arms.loss_mm3.sum() + wet.evaporation_mm3.sum()),
            float(wet.storage_mm3.max()) if len(wet) else 0.0)


def test_the_default_delta_loses_its_fixed_24_percent_with_the_wetland_off(basin, mean_year):
    assert basin.node("DELTA_WETLAND").enabled is False
    arms = mean_year.flows[mean_year.flows.link_id == "ILE_DELTA"]
    np.testing.assert_allclose(arms.loss_mm3.to_numpy(), 0.24 * arms.flow_mm3.to_numpy(), rtol=1e-12)
    assert "DELTA_WETLAND" not in set(mean_year.storage.node)
    # the channels and the overflow pass the water on: nothing floods over the delta at cost 1 000
    over = mean_year.flows[mean_year.flows.link_id == "DELTA_OVERFLOW"]
    assert float(over.flow_mm3.abs().max()) < 1e-6


def test_the_wetland_table_is_the_roadmaps_areas(wetland):
    t = wetland.node("DELTA_WETLAND").table
    assert t.area_km2[0] == pytest.approx(3046 * 5 / 16, abs=0.5)  # five of the 16 lake systems remain
    assert t.area_km2[2] == 1876
    assert t.area_km2[-1] == 3046
    # trapezoid volumes: 0.5 m x (952 + 1 414) / 2 km2 = 591.5 Mm3 in the first half metre
    assert t.volume[1] == pytest.approx(0.5915)
    full = 0.5 * (952 + 1414 + 1414 + 1876 + 1876 + 2461 + 2461 + 3046) / 2 / 1000  # km3 at 2 m
    assert t.volume[-1] == pytest.approx(full, abs=1e-4)


def test_the_wetland_evaporates_813_mm_over_an_area_growing_with_its_water(wetland, scenarios):
    sol = solve(apply_scenario(wetland, scenarios["wet_2016"]))
    st = sol.storage[sol.storage.node == "DELTA_WETLAND"]
    prof = np.asarray(wetland.profiles["lake_evap"])  # Jan..Dec, normalised to 1 (they sum to 1.0001)
    prof = prof / prof.sum()
    months = [int(str(p)[5:7]) for p in st.period]
    depth_mm = 813.0 * prof[np.asarray(months) - 1]
    np.testing.assert_allclose(st.evaporation_mm3.to_numpy(), depth_mm / 1000.0 * st.area_km2.to_numpy(), rtol=1e-9)
    # the area follows the period's mean storage: the flooded months have the larger area
    order = np.argsort((st.storage_start_mm3.to_numpy() + st.storage_mm3.to_numpy()) / 2.0)
    assert np.all(np.diff(st.area_km2.to_numpy()[order]) >= -1e-9)
    assert st.storage_mm3.max() > 1500.0
    assert st.area_km2.max() > st.area_km2.min() + 500.0


def test_the_wetland_loss_depends_on_the_water_reaching_the_delta(wetland, scenarios):
    """Dry 2014, the mean year and wet 2016 with the wetland: the delta loses more the more water
    reaches it.  Up to the mean year the channels carry the water (the wetland is its permanent
    lakes, a fixed evaporation), so each further km3 loses the arms' 24 %; above it the floods
    spread over the wetland and each further km3 loses more than 24 %: the fixed fraction
    overstates what the lake gains from a wet year."""
    runs = [_delta(solve(apply_scenario(wetland, scenarios[n]))) for n in ("dry_2014", "mean_year", "wet_2016")]
    (q0, l0, s0), (q1, l1, s1), (q2, l2, s2) = runs
    assert q0 < q1 < q2
    assert l0 < l1 < l2
    assert (l1 - l0) / (q1 - q0) == pytest.approx(0.24, abs=0.005)
    assert (l2 - l1) / (q2 - q1) > 0.27
    assert s0 == pytest.approx(0.0, abs=1e-6)
    assert s1 < 100.0  # the mean year floods it only in September
    assert s2 > 2000.0  # the wet year floods the wetland


def test_the_wetland_scenario_serves_every_user_and_keeps_the_lake_targets(wetland):
    sol = solve(wetland)
    assert float(sol.deliveries.shortfall_mm3.sum()) == pytest.approx(0.0, abs=1e-6)
    assert sol.summary["lakes"][0]["annual_inflow_km3"]["2025-26"] >= 12.0 - 1e-6
    assert lake_levels(sol)[-1] >= 341.5 - 1e-6
    # the delta's loss in the mean year: the 24 % and the wetland, ~4.2 km3 (wiki_balkhash_2000: 4.22)
    _, loss, _ = _delta(sol)
    assert 4000.0 <= loss <= 4500.0
    # a passive store: it drains its initial 30 Mm3 in October, when the channels have room
    st = sol.storage[sol.storage.node == "DELTA_WETLAND"]
    assert float(st.storage_mm3.iloc[0]) == pytest.approx(0.0, abs=1e-6)
    # the wetland keeps the lake's early-summer peak (docs/basin.md, known limits)
    months = ["Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep"]
    assert months[int(np.argmax(lake_levels(sol)))] in ("May", "Jun")


def test_the_wetland_scenario_meets_the_hindcast_goal_once_calibrated(basin, wetland):
    """The wetland's extra loss brings the uncalibrated lake down (nearer the observations than the
    basin as shipped); calibrated like the default (the lake's start and its evaporation), it meets
    the goal with both values inside their ranges."""
    from balkhash.history.calibrate import calibrate, parse_param
    from balkhash.history.hindcast import Hindcast, load_setup

    res = {}
    for name, b in (("default", basin), ("wetland", wetland)):
        setup = load_setup(b)
        specs = [parse_param(n, setup.parameters) for n in ("lake_initial_level", "lake_evaporation")]
        res[name] = calibrate(Hindcast(b, setup, specs=specs))
    default_before, before = res["default"].before.level_stats(), res["wetland"].before.level_stats()
    assert default_before["bias_m"] > 0.05  # the basin as shipped misses the goal (docs/basin.md)
    assert 0.0 < before["bias_m"] < default_before["bias_m"] - 0.1
    for r in res.values():
        after = r.after.level_stats()
        assert after["rmse_m"] <= 0.15
        assert abs(after["bias_m"]) <= 0.05
        for spec, v in zip(r.specs, r.values, strict=True):
            assert spec.low <= v <= spec.high


# ---------------------------------------------------------------- the spring flood pulse
def _m3s(sol, link: str) -> np.ndarray:
    f = sol.flows[sol.flows.link_id == link]
    days = np.array([calendar.monthrange(int(str(p)[:4]), int(str(p)[5:7]))[1] for p in f.period])
    return f.flow_mm3.to_numpy() * 1e6 / (86400.0 * days)


def test_the_spring_flood_pulse_is_met_by_kapshagay_at_no_cost_to_the_users(basin, scenarios, mean_year):
    """Mean year and dry 2014 with the scenario's 468 m3/s through the delta in May and June
    (periods 7 and 8 of the water year): Kapshagay releases more in May (the mean year from
    September, dry 2014 from October-November), the users get what they got without it."""
    pulse = apply_scenario(basin, scenarios["spring_flood_pulse"])
    for name, base in (("mean_year", mean_year), ("dry_2014", solve(apply_scenario(basin, scenarios["dry_2014"])))):
        sol = solve(apply_scenario(pulse, scenarios[name]))
        t = sol.targets[sol.targets["target"] == "DELTA_FLOOD_PULSE"]
        assert float(t["violation"].sum()) == pytest.approx(0.0, abs=1e-6), name
        assert (_m3s(sol, "ILE_DELTA")[[7, 8]] >= 468.0 - 1e-3).all(), name
        dam, dam0 = _m3s(sol, "KAPSHAGAY_DAM"), _m3s(base, "KAPSHAGAY_DAM")
        assert dam[7] > dam0[7] + 100.0, name  # May
        # the same water over the year: Kapshagay ends where it would have
        kap = sol.storage[sol.storage.node == "KAPSHAGAY"].storage_mm3.iloc[-1]
        assert kap == pytest.approx(base.storage[base.storage.node == "KAPSHAGAY"].storage_mm3.iloc[-1], abs=1.0)
        short, short0 = float(sol.deliveries.shortfall_mm3.sum()), float(base.deliveries.shortfall_mm3.sum())
        assert short == pytest.approx(short0, abs=5.0), name
