"""Scenarios and studies on the bundled small basin (its RIVER is the transboundary inflow)."""

from __future__ import annotations

import numpy as np
import pytest

from balkhash.allocation.solve import Allocation
from balkhash.data import default_basin_path, example_path
from balkhash.network import BasinError, load_basin
from balkhash.network.series import flow_mm3
from balkhash.scenarios import Scenario, apply_scenario, load_scenarios
from balkhash.studies import Study, compare, lake_ok, min_inflow, sweep, tradeoff


@pytest.fixture(scope="module")
def basin():
    return load_basin(example_path("small_basin"))


def solve(basin, sc: Scenario | None = None, **options):
    """Apply ``sc`` (a pure Basin -> Basin transform), then build and solve the result."""
    return Allocation(basin if sc is None else apply_scenario(basin, sc), **options).solve()


def inflow(b, node: str) -> np.ndarray:
    """The local inflow of ``node`` in basin ``b``, Mm3 per period."""
    return flow_mm3(b.node(node).inflow, b, b.timeline())


def targets(b) -> dict[str, np.ndarray]:
    """Demand id -> target, Mm3 per period."""
    return {n.id: flow_mm3(n.target, b, b.timeline()) for n in b.nodes if n.type == "demand"}


def write(tmp_path, text: str):
    p = tmp_path / "scenario.yaml"
    p.write_text(text)
    return p


# -- scenario files ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        ("name: a\ninflow_multiplers: {all: 0.5}\n", "inflow_multiplers", "unknown field"),
        ("name: a\ntransboundary: {annual_km3: 1, multiplier: 2}\n", "transboundary", "exactly one of"),
        ("name: a\ntransboundary: {kazakh_part: true, annual_km3: 1}\n", "transboundary", "kazakh_part needs"),
        ("name: a\nyears: 0\n", "years", "must be >= 1, got 0"),
        ("scenarios:\n  - name: a\n  - name: a\n", "", "duplicate scenario names"),
        ("name: a\ninfrastructure: {link_capacity: {CANAL: '10 m3/h'}}\n", "infrastructure.link_capacity.CANAL",
         "unknown flow unit"),
        ("name: a\ntargets: {lake_inflow_km3: -1}\n", "targets.lake_inflow_km3", "must be >= 0, got -1"),
        ("name: a\nwater_saving: {industry_efficiency: {2022: 0, soon: 0.25}}\n",
         "water_saving.industry_efficiency", "'soon' is not a water year"),
        ("name: a\nwater_saving: {drip_area_kha: {2025: -3}}\n", "water_saving.drip_area_kha",
         "-3 is not a number >= 0"),
        ("name: a\nwater_saving: {sprinkler_area_kha: {}}\n", "water_saving.sprinkler_area_kha", "empty mapping"),
        ("name: a\nwater_saving: {drip_area_kha: lots}\n", "water_saving.drip_area_kha", "give a number >= 0"),
        ("name: a\ninflow_multipliers: {all: -1}\n", "inflow_multipliers", "'all': -1 is not a usable factor"),
        ("name: a\ndemand_multipliers: {agriculture: -2}\n", "demand_multipliers", "-2 is not a usable factor"),
        ("name: a\ninflow_multipliers: {all: .nan}\n", "inflow_multipliers.all", "must be a finite number, got nan"),
        ("name: a\ndemand_growth: {industry: 1e5}\n", "demand_growth", "100000 is not a usable growth rate"),
        ("name: a\ntransboundary: {annual_km3: .inf}\n", "transboundary.annual_km3", "must be a finite number"),
        ("name: a\nyears: true\n", "years", "true/false is not a number here"),
        ("name: a\ntargets: {lake_min_level_m: yes}\n", "targets.lake_min_level_m", "true/false is not a number"),
        ("name: a\ninfrastructure: {link_capacity: {BAK: true}}\n", "infrastructure.link_capacity",
         "true/false is not a number here"),
        ("name: a\ninfrastructure: {reservoir_range: {K: {max_storage: 5}}}\n",
         "infrastructure.reservoir_range.K.max_storage", "a volume needs a unit"),
        ("name: a\ninfrastructure: {reservoir_range: 5}\n", "infrastructure.reservoir_range",
         "expected a mapping (key: value); got 5"),
    ],
)
def test_scenario_file_errors_name_file_and_field(tmp_path, text, field, fragment):
    path = write(tmp_path, text)
    with pytest.raises(BasinError) as exc:
        load_scenarios(path)
    hits = [p for p in exc.value.problems if fragment in p.message and p.field == field]
    assert hits, exc.value.problems
    assert all(p.file == str(path) for p in exc.value.problems)


@pytest.mark.parametrize(
    ("scenario", "field"),
    [
        (Scenario(name="x", inflow_multipliers={"NOPE": 0.5}), "inflow_multipliers.NOPE"),
        (Scenario(name="x", demand_growth={"mining": 0.02}), "demand_growth.mining"),
        (Scenario(name="x", demand_multipliers={"NOPE": 0.5}), "demand_multipliers.NOPE"),
        (Scenario.model_validate({"name": "x", "infrastructure": {"enable": ["J1"]}}), "infrastructure.enable"),
        (Scenario.model_validate({"name": "x", "infrastructure": {"link_capacity": {"NOPE": "1 m3/s"}}}),
         "infrastructure.link_capacity.NOPE"),
        (Scenario.model_validate({"name": "x", "transboundary": {"year": 1999}}), "transboundary"),
    ],
)
def test_scenario_references_checked_against_the_basin(basin, scenario, field):
    with pytest.raises(BasinError) as exc:
        apply_scenario(basin, scenario)
    assert any(p.field == field and "scenario 'x'" in p.where for p in exc.value.problems), exc.value.problems


def test_several_named_scenarios_in_one_file(tmp_path):
    path = write(tmp_path, "scenarios:\n  - name: dry\n    inflow_multipliers: {all: 0.7}\n  - name: wet\n"
                           "    inflow_multipliers: {all: 1.3}\n")
    names = [s.name for s in load_scenarios(path)]
    assert names == ["dry", "wet"]


# -- the scenario is a pure Basin -> Basin transform, checked like a basin ----------------------------

def test_applying_a_scenario_leaves_the_basin_alone_and_writes_explicit_series(basin):
    before = basin.model_dump()
    sc = Scenario.model_validate({"inflow_multipliers": {"all": 0.7}, "demand_multipliers": {"IRR": 1.1},
                                  "transboundary": {"annual_km3": 0.9}})
    b = apply_scenario(basin, sc)
    assert basin.model_dump() == before
    for node, expect in (("RIVER", None), ("TRIB", inflow(basin, "TRIB") * 0.7)):
        fs = b.node(node).inflow
        assert fs.unit == "Mm3/month"
        assert len(fs.series) == 12
        if expect is not None:
            np.testing.assert_allclose(fs.series, expect, rtol=1e-15)
    assert sum(b.node("RIVER").inflow.series) == pytest.approx(900.0)
    np.testing.assert_allclose(b.node("IRR").target.series, targets(basin)["IRR"] * 1.1, rtol=1e-15)
    assert b.node("CITY").target == basin.node("CITY").target  # what the scenario does not touch stays


def test_the_scenario_basin_saved_and_read_back_solves_to_the_same_plan(basin, tmp_path):
    from balkhash.network import save_basin

    sc = Scenario.model_validate({"years": 2, "transboundary": {"sequence": [2014, 2010]},
                                  "demand_growth": {"agriculture": 0.05}})
    b = apply_scenario(basin, sc)
    again = load_basin(save_basin(b, tmp_path / "scenario_basin"))
    a, c = Allocation(b).solve(), Allocation(again).solve()
    assert c.objective == pytest.approx(a.objective, rel=1e-9)
    np.testing.assert_allclose(c.tables["flows"]["flow_mm3"], a.tables["flows"]["flow_mm3"], atol=1e-6)


def test_a_scenario_that_makes_the_basin_invalid_names_file_scenario_and_field(tmp_path):
    b = load_basin(default_basin_path())
    path = tmp_path / "bad.yaml"
    path.write_text("scenarios:\n"
                    "  - name: small_kapshagay\n"
                    "    infrastructure: {reservoir_range: {KAPSHAGAY: {max_storage: 15000 Mm3}}}\n"
                    "  - name: high_lake\n"
                    "    targets: {lake_min_level_m: 400}\n")
    small, high = load_scenarios(path)
    with pytest.raises(BasinError) as exc:
        apply_scenario(b, small)
    assert {(p.file, p.where, p.field) for p in exc.value.problems} == {
        (str(path), "scenario 'small_kapshagay'", "infrastructure.reservoir_range.KAPSHAGAY.max_storage")}
    assert any("node 'KAPSHAGAY': initial_storage: 17000 Mm3 is outside [min_storage, max_storage] = "
               "[12000, 15000] Mm3" in p.message for p in exc.value.problems)
    with pytest.raises(BasinError) as exc:
        apply_scenario(b, high)
    [p] = exc.value.problems
    assert (p.file, p.where, p.field) == (str(path), "scenario 'high_lake'", "targets.lake_min_level_m")
    assert "target 'BALKHASH_LEVEL': min_level_m: 400 m is outside the levels of lake 'BALKHASH'" in p.message


def test_a_horizon_the_csv_series_cannot_cover_is_reported_against_the_horizon(tmp_path):
    """A basin of three months whose CSV series has those three months only: a scenario of a whole
    water year needs months the file has no value for (not even one to repeat)."""
    from basin_factory import RIVER_M3S, valid_basin, write_basin, write_series

    raw = valid_basin(tmp_path)
    raw["calendar"]["periods"] = 3
    write_series(tmp_path, {"RIVER": RIVER_M3S[:3]})
    b = load_basin(write_basin(tmp_path, raw))
    sc = Scenario.model_validate({"name": "one_year", "years": 1})
    with pytest.raises(BasinError) as exc:
        apply_scenario(b, sc)
    [p] = exc.value.problems
    assert (p.where, p.field) == ("scenario 'one_year'", "years")
    assert "node 'RIVER': inflow: file 'series.csv' column 'RIVER' lacks 9 model period(s)" in p.message


def test_negative_factors_are_refused_by_the_scenario_schema():
    with pytest.raises(ValueError, match=r"'TRIB': -0\.5 is not a usable factor: give a number from 0 to 1e"):
        Scenario.model_validate({"name": "neg", "inflow_multipliers": {"TRIB": -0.5}})


def test_a_scenario_whose_numbers_overflow_names_its_field_not_a_traceback(basin):
    """A factor the schema takes (1e6) on an inflow already near the limit gives values no basin may
    hold: the scenario's basin is refused like a basin file would be, naming the scenario field."""
    big = basin.model_copy(deep=True)
    big._tables, big._base_dir = basin._tables, basin._base_dir
    big.node("TRIB").inflow = big.node("TRIB").inflow.model_copy(update={"unit": "km3/month"})
    sc = Scenario.model_validate({"name": "flood", "inflow_multipliers": {"TRIB": 1e6}})
    with pytest.raises(BasinError) as exc:
        apply_scenario(big, sc)
    [p] = exc.value.problems
    assert (p.where, p.field) == ("scenario 'flood'", "inflow_multipliers.TRIB")
    assert "node 'TRIB': inflow: value above 1e+09 Mm3 per period" in p.message


# -- what a scenario changes ------------------------------------------------------------------------

def test_transboundary_annual_volume_keeps_the_border_profile(basin):
    base = inflow(basin, "RIVER")
    new = inflow(apply_scenario(basin, Scenario.model_validate({"transboundary": {"annual_km3": 2.0}})), "RIVER")
    assert new.sum() == pytest.approx(2000.0)
    np.testing.assert_allclose(new / new.sum(), base / base.sum(), rtol=1e-12)


def test_transboundary_historical_year_and_kazakh_part(basin):
    sc = Scenario.model_validate({"transboundary": {"year": 2014, "kazakh_part": True}})
    b = apply_scenario(basin, sc)
    assert inflow(b, "RIVER").sum() == pytest.approx(500.0)  # china_km3 of 2014 in the table
    kz_mean = np.mean([0.40, 0.35, 0.28, 0.30, 0.22])
    np.testing.assert_allclose(inflow(b, "TRIB"), inflow(basin, "TRIB") * 0.22 / kz_mean)


def test_demand_growth_compounds_per_water_year_and_savings_cut_irrigation(basin):
    sc = Scenario.model_validate({"years": 3, "demand_growth": {"agriculture": 0.1}})
    yearly = targets(apply_scenario(basin, sc))["IRR"].reshape(3, 12).sum(axis=1)
    np.testing.assert_allclose(yearly, [250.0, 275.0, 302.5])

    sc = Scenario.model_validate({"water_saving": {"drip_area_kha": 10, "drip_saving_mm3_per_kha": 5}})
    assert targets(apply_scenario(basin, sc))["IRR"].sum() == pytest.approx(250.0 - 50.0)


def test_infrastructure_and_targets_override(basin):
    sc = Scenario.model_validate({
        "infrastructure": {"link_capacity": {"CANAL": "30 m3/s"}, "annual_capacity": {"CANAL": "0.5 km3/yr"}},
        "targets": {"lake_inflow_km3": 0.6, "lake_min_level_m": 302.5, "hard": False},
    })
    sol = solve(basin, sc)
    assert sol.summary["shortfall_mm3_by_sector"]["agriculture"] == pytest.approx(0.0, abs=1e-6)
    t = sol.tables["targets"]
    assert (t[t["type"] == "lake_level"]["required"] == 302.5).all()
    assert (t[t["type"] == "lake_inflow"]["required"] == 600.0).all()


# -- persistent re-solve ----------------------------------------------------------------------------

def test_persistent_resolve_equals_fresh_build(basin):
    study = Study(basin)
    study.set("transboundary", 0.6)
    resolved = study.solve()
    fresh = solve(basin, Scenario.model_validate({"transboundary": {"annual_km3": 0.6}}))
    assert resolved.objective == pytest.approx(fresh.objective, rel=1e-6)
    a = resolved.tables["deliveries"]["delivered_mm3"].sum()
    b = fresh.tables["deliveries"]["delivered_mm3"].sum()
    assert a == pytest.approx(b, rel=1e-6)


# -- studies ----------------------------------------------------------------------------------------

def test_sweep_shortfall_non_increasing_in_inflow(basin):
    res = sweep(Study(basin), "transboundary", np.arange(0.2, 1.41, 0.1))
    short = res.table["total_shortfall_mm3"].to_numpy()
    assert np.all(np.diff(short) <= 1e-6)
    assert short[0] > short[-1]  # the range is wide enough to matter
    assert set(res.levels["value"]) == set(res.table["value"])
    assert {"lake_inflow_km3", "lake_level_end_m", "lake_level_min_m", "lake_inflow_dual",
            "violated_targets", "shortfall_agriculture_mm3"} <= set(res.table.columns)


def test_min_inflow_confirmed_above_and_below(basin):
    study = Study(basin)
    res = min_inflow(study, "shortfalls_allowed", lo=0.0, hi=3.0, tol=0.01)
    assert res.answer_km3 is not None
    assert 0.0 < res.answer_km3 < 3.0
    assert res.above_holds is True
    assert res.below_holds is False
    # and the answer really is the threshold: re-solve independently on either side
    for v, expect in ((res.answer_km3 + 0.02, True), (res.answer_km3 - 0.02, False)):
        sc = Scenario.model_validate({"transboundary": {"annual_km3": v}})
        assert lake_ok(solve(basin, sc)) is expect


def test_min_inflow_all_demands_met_reports_unreachable(basin):
    # the canal's annual limit leaves irrigation short whatever the inflow
    res = min_inflow(Study(basin), "all_demands_met", lo=0.0, hi=3.0, tol=0.01)
    assert res.answer_km3 is None
    assert "demands go short (IRR" in res.message  # the cause, the demand short named, not the lake
    assert "not every demand can be met whatever comes from China" in res.message


def test_tradeoff_frontier_monotone(basin):
    df = tradeoff(basin, None, np.arange(0.5, 0.96, 0.05))
    ok = df[df["status"] == "optimal"]
    assert len(ok) >= 8
    ag = ok["agriculture_delivered_mm3"].to_numpy()
    assert np.all(np.diff(ag) <= 1e-6)  # more water for the lake never gives farms more
    cost = ok["shortfall_cost"].to_numpy()
    assert np.all(np.diff(cost) >= -1e-6)
    assert np.all(ok["lake_inflow_km3"].to_numpy() >= ok["lake_inflow_target_km3"].to_numpy() - 1e-6)
    assert (ok["marginal_cost_per_km3"].diff().dropna() >= -1e-3).all()  # convex frontier


def test_compare_side_by_side(basin):
    df = compare(basin, [Scenario(name="base"), Scenario(name="dry", inflow_multipliers={"all": 0.7})])
    assert list(df.columns) == ["base", "dry"]
    assert df.loc["shortfall total (Mm3)", "dry"] >= df.loc["shortfall total (Mm3)", "base"]


def test_compare_shows_the_horizon_and_per_year_figures(basin):
    df = compare(basin, [Scenario(name="one"), Scenario(name="three", years=3)])
    assert df.loc["horizon", "one"] == "2025-10..2026-09"
    assert df.loc["horizon", "three"] == "2025-10..2028-09"
    assert list(df.loc["years"]) == [1.0, 3.0]
    assert list(df.index[:3]) == ["status", "horizon", "years"]
    for what in ("shortfall", "delivered"):
        total = df.loc[f"{what} total (Mm3)"].astype(float)
        per_year = df.loc[f"{what} per year (Mm3/yr)"].astype(float)
        np.testing.assert_allclose(per_year.to_numpy(), (total / df.loc["years"].astype(float)).to_numpy())


# -- multi-year -------------------------------------------------------------------------------------

def test_multi_year_lake_level_follows_the_water_balance(basin):
    sc = Scenario.model_validate({"years": 4, "transboundary": {"sequence": [2010, 2014, "mean", 2012]}})
    alloc = Allocation(apply_scenario(basin, sc))
    sol = alloc.solve()
    assert sol.summary["periods"]["count"] == 48
    assert len(sol.summary["lakes"][0]["annual_inflow_km3"]) == 4
    st = sol.tables["storage"]
    lake = st[st["node"] == "LAKE"].reset_index(drop=True)
    flows = sol.tables["flows"]
    into = flows[flows["to"] == "LAKE"].groupby("period", sort=False)
    arriving = (into["flow_mm3"].sum() - into["loss_mm3"].sum()).reindex(lake["period"]).to_numpy()
    inflows = sol.tables["inflows"]
    gw = inflows[inflows["node"] == "LAKE"].set_index("period")["groundwater_mm3"].reindex(lake["period"]).to_numpy()
    d = sol.tables["deliveries"]
    returns = d[d["return_to"] == "LAKE"].groupby("period")["returned_mm3"].sum()
    returns = returns.reindex(lake["period"]).fillna(0.0).to_numpy()
    change = lake["storage_mm3"] - lake["storage_start_mm3"]
    balance = arriving + gw + returns - lake["evaporation_mm3"] + lake["precipitation_mm3"] - lake["spill_mm3"]
    np.testing.assert_allclose(change.to_numpy(), balance.to_numpy(), atol=1e-6)
    # the level column is the table's level of that storage (linear between table rows)
    table = alloc.basin.node("LAKE").table
    np.testing.assert_allclose(lake["level_m"], np.interp(lake["storage_mm3"], table.volume_mm3, table.level_m))
    # year-specific inflows: 2010 (1.20 km3) is wetter than 2014 (0.50 km3) at the border
    river = sol.tables["inflows"].query("node == 'RIVER'")["inflow_mm3"].to_numpy().reshape(4, 12).sum(axis=1)
    np.testing.assert_allclose(river[[0, 1, 3]], [1200.0, 500.0, 700.0])


def test_industry_efficiency_applies_to_the_named_demands_only():
    b = load_basin(default_basin_path())
    base = {d: v.sum() for d, v in targets(b).items()}
    sc = Scenario.model_validate({"water_saving": {"industry_efficiency": 0.25}})
    every = {d: v.sum() for d, v in targets(apply_scenario(b, sc)).items()}
    assert every["IND_ALMATY"] == pytest.approx(base["IND_ALMATY"] / 1.25)
    assert every["BALKHASH_INTAKE"] == pytest.approx(base["BALKHASH_INTAKE"] / 1.25)  # sector industry
    assert every["UTIL_ALMATY"] == pytest.approx(base["UTIL_ALMATY"])
    sc = Scenario.model_validate({"water_saving": {"industry_efficiency": 0.25, "industry_demands": ["IND_ALMATY"]},
                                  "demand_multipliers": {"BALKHASH_INTAKE": 0.98}})
    named = {d: v.sum() for d, v in targets(apply_scenario(b, sc)).items()}
    assert named["IND_ALMATY"] == pytest.approx(base["IND_ALMATY"] / 1.25)
    assert named["BALKHASH_INTAKE"] == pytest.approx(base["BALKHASH_INTAKE"] * 0.98)
    assert base["BALKHASH_INTAKE"] == pytest.approx(169.7)  # roadmap indicator 2
    bad = Scenario.model_validate({"water_saving": {"industry_efficiency": 0.1, "industry_demands": ["NOPE"]}})
    from balkhash.scenarios import scenario_problems

    assert [p.field for p in scenario_problems(b, bad, "s.yaml")] == ["water_saving.industry_demands"]


def test_measures_phase_in_along_a_path_of_water_years():
    """industry_efficiency {2025: 0, 2029: 0.2}: 0, 0.05, 0.10, 0.15, 0.20, 0.20 in water years 2025..2030;
    drip {2026: 0, 2028: 10} kha at 5 Mm3/kha: 0, 0, 25, 50, 50, 50 Mm3/yr off the irrigation."""
    b = load_basin(default_basin_path())
    years = 6
    base = targets(apply_scenario(b, Scenario(years=years, start_water_year=2025)))
    sc = Scenario.model_validate({
        "years": years, "start_water_year": 2025,
        "water_saving": {"industry_efficiency": {2025: 0, 2029: 0.2},
                         "drip_area_kha": {2026: 0, 2028: 10}, "drip_saving_mm3_per_kha": 5},
    })
    data = targets(apply_scenario(b, sc))

    def yearly(dd, did):
        return dd[did].reshape(years, 12).sum(axis=1)

    gain = np.array([0.0, 0.05, 0.10, 0.15, 0.20, 0.20])
    np.testing.assert_allclose(yearly(data, "IND_ALMATY"), yearly(base, "IND_ALMATY") / (1 + gain))
    np.testing.assert_allclose(yearly(data, "UTIL_ALMATY"), yearly(base, "UTIL_ALMATY"))
    agri = [n.id for n in b.nodes if n.type == "demand" and n.sector == "agriculture"]
    before = sum(yearly(base, a) for a in agri)
    after = sum(yearly(data, a) for a in agri)
    np.testing.assert_allclose(before - after, [0.0, 0.0, 25.0, 50.0, 50.0, 50.0], atol=1e-9)
    # each irrigation demand gives up the same fraction of its target in a year
    frac = {a: 1 - yearly(data, a)[3] / yearly(base, a)[3] for a in agri}
    np.testing.assert_allclose(list(frac.values()), 50.0 / before[3])


def test_an_area_written_1e3_is_a_number(tmp_path):
    # YAML 1.1 reads 1e3 as text, which the water-saving path refused as "not a number"
    f = tmp_path / "s.yaml"
    f.write_text("name: drip\nwater_saving: {drip_area_kha: 1e3, industry_efficiency: {2025: 0, 2030: 2.5e-1}}\n")
    [sc] = load_scenarios(f)
    assert sc.water_saving.drip_area_kha == 1000.0
    assert sc.water_saving.industry_efficiency == {2025: 0.0, 2030: 0.25}


@pytest.mark.parametrize(
    ("content", "where", "field", "fragment"),
    [
        (None, "", "", "the transboundary runoff table is not a file"),
        (b"", "", "", "the transboundary runoff table is empty"),
        (b"hello world\nfoo\n", "", "china_km3, year", "missing column(s)"),
        (bytes(range(128, 256)) * 3, "", "", "cannot read the transboundary runoff table as CSV"),
        (b"year,china_km3,kazakhstan_km3\n2014,8,5\n2014,9,6\n", "column 'year'", "", "year(s) given twice: 2014"),
        (b"year,china_km3\n2013,9\n2014,abc\n", "column 'china_km3'", "line 3 (year 2014)",
         "'abc' is not a volume >= 0 (km3)"),
        (b"year,china_km3\n2014,-1\n", "column 'china_km3'", "line 2 (year 2014)", "is not a volume >= 0"),
    ],
    ids=["directory", "empty", "text", "binary", "duplicate years", "text value", "negative value"],
)
def test_a_bad_transboundary_table_is_a_problem_naming_it(tmp_path, content, where, field, fragment):
    table = tmp_path / "runoff.csv"
    if content is None:
        table.mkdir()
    else:
        table.write_bytes(content)
    f = tmp_path / "s.yaml"
    f.write_text("name: t\ntransboundary: {year: 2014, table: runoff.csv}\n")
    [sc] = load_scenarios(f)
    with pytest.raises(BasinError) as exc:
        apply_scenario(load_basin(default_basin_path()), sc)
    assert any(p.file == str(table) and p.where == where and p.field == field and fragment in p.message
               for p in exc.value.problems), exc.value.problems


@pytest.mark.parametrize("field", ["node", "kazakh_nodes"])
def test_a_transboundary_node_must_be_an_inflow(field):
    b = load_basin(default_basin_path())
    value = "BAK_IRR" if field == "node" else ["BAK_IRR"]
    sc = Scenario.model_validate({"name": "t", "transboundary": {field: value, "year": 2014, "kazakh_part": True}})
    with pytest.raises(BasinError) as exc:
        apply_scenario(b, sc)
    [p] = exc.value.problems
    assert (p.where, p.field) == ("scenario 't'", f"transboundary.{field}")
    assert p.message == "node 'BAK_IRR' is a demand, not an inflow node"


def test_a_scenario_sets_a_links_loss_and_refuses_a_fraction_of_one_or_more():
    basin = load_basin(default_basin_path())
    b = apply_scenario(basin, Scenario.model_validate({"name": "lined", "infrastructure": {
        "link_loss": {"ILE_DELTA": 0.2}}}))
    assert b.link("ILE_DELTA").loss_fraction == pytest.approx(0.2)
    assert basin.link("ILE_DELTA").loss_fraction != pytest.approx(0.2)  # the basin itself is not changed
    with pytest.raises(ValueError, match=r"link_loss.ILE_DELTA: a loss fraction is at least 0 and below 1 \(got 1\)"):
        Scenario.model_validate({"name": "x", "infrastructure": {"link_loss": {"ILE_DELTA": 1.0}}})
    with pytest.raises(BasinError, match=r"infrastructure.link_loss.NOWHERE.*unknown link"):
        apply_scenario(basin, Scenario.model_validate({"name": "x", "infrastructure": {
            "link_loss": {"NOWHERE": 0.1}}}))


def test_a_scenario_adds_a_target_and_refuses_a_taken_id_or_an_unknown_link():
    basin = load_basin(default_basin_path())
    pulse = {"id": "PULSE", "type": "eco_flow", "link": "ILE_DELTA", "min_flow": "400 m3/s"}
    b = apply_scenario(basin, Scenario.model_validate({"name": "p", "add_targets": [pulse]}))
    assert [t.id for t in b.targets] == [t.id for t in basin.targets] + ["PULSE"]
    assert "PULSE" not in {t.id for t in basin.targets}  # the basin itself is not changed
    sol = Allocation(b).solve()
    t = sol.targets[sol.targets["target"] == "PULSE"]
    assert len(t) == 12
    assert (t["required"] > 0).all()
    for target, message in ((dict(pulse, id="ECO_ILE_DELTA"), r"add_targets.ECO_ILE_DELTA.*target of this id already"),
                            (dict(pulse, link="NOWHERE"), r"add_targets.PULSE.link.*unknown link 'NOWHERE'"),
                            ({"id": "L", "type": "lake_level", "lake": "KAPSHAGAY", "min_level_m": 479.0},
                             r"add_targets.L.lake.*'KAPSHAGAY' is not a lake")):
        with pytest.raises(BasinError, match=message):
            apply_scenario(basin, Scenario.model_validate({"name": "x", "add_targets": [target]}))


def test_compare_counts_the_years_of_a_dekad_horizon():
    """36 dekads are one water year, as 12 months are: the per-year figures divide by it."""
    from balkhash.data import example_path
    from balkhash.network import load_basin

    b = load_basin(example_path("tiny_river"))
    b.calendar.step, b.calendar.periods = "dekad", 36
    df = compare(b, [Scenario(name="dekads")])
    assert float(df.loc["years", "dekads"]) == 1.0
    total = float(df.loc["delivered total (Mm3)", "dekads"])
    assert float(df.loc["delivered per year (Mm3/yr)", "dekads"]) == pytest.approx(total)
