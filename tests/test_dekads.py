"""The dekad calendar: ten-day periods with their real days, monthly inputs split by days, dekadal
series, analytical dekad basins solved by hand, and the default basin at dekad step."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from analytical_basins import delivered, demand, flow, inflow, link, reservoir, sink, storage

import balkhash
from balkhash.allocation.data import compile_basin
from balkhash.network.errors import BasinError
from balkhash.network.io import load_basin, parse_basin
from balkhash.network.schema import Basin, CalendarSpec
from balkhash.network.timeline import Timeline, parse_period, period_days
from balkhash.network.validate import check_basin

DATA = Path(balkhash.__file__).parent / "data" / "ile_balkhash"


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-9)


def dekad_basin(nodes, links, start="2024-02", periods=3, targets=(), **calendar) -> Basin:
    raw = {"name": "dekads", "calendar": {"start": start, "periods": periods, "step": "dekad", **calendar},
           "nodes": list(nodes), "links": list(links), "targets": list(targets)}
    basin = parse_basin(raw, "test.yaml")
    problems = check_basin(basin, "test.yaml")
    assert not problems, "\n".join(str(p) for p in problems)
    return basin


def problems_of(raw: dict, tmp_path: Path, csv: str | None = None) -> str:
    """The problems load_basin reports for ``raw`` (written to tmp_path with an optional series.csv)."""
    (tmp_path / "basin.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    if csv is not None:
        (tmp_path / "series.csv").write_text(csv, encoding="utf-8")
    with pytest.raises(BasinError) as exc:
        load_basin(tmp_path)
    return str(exc.value)


# -- the calendar ------------------------------------------------------------------------------
def test_february_third_dekad_has_9_days_in_a_leap_year_and_8_in_a_common_one():
    leap = Timeline.from_start("2024-02", 3, step="dekad")
    common = Timeline.from_start("2025-02", 3, step="dekad")
    assert leap.labels == ["2024-02-1", "2024-02-2", "2024-02-3"]
    assert list(leap.days) == [10, 10, 9]
    assert list(common.days) == [10, 10, 8]
    assert period_days("2024-02-3") == 9
    assert period_days("2025-02-3") == 8
    assert period_days("2025-01-3") == 11
    assert period_days("2024-02") == 29


def test_a_dekad_water_year_has_36_periods_with_the_days_of_the_year():
    tl = CalendarSpec(start="2027-10", periods=72, step="dekad").timeline()
    assert tl.per_year == 36
    years = tl.full_water_years()
    assert sorted(years) == [2027, 2028]
    assert tl.days[years[2027]].sum() == 366  # water year 2027-28 holds February 2028
    assert tl.days[years[2028]].sum() == 365
    assert tl.labels[:4] == ["2027-10-1", "2027-10-2", "2027-10-3", "2027-11-1"]
    assert tl.labels[-1] == "2029-09-3"
    assert list(tl.season_index[:3]) == [27, 28, 29]  # October's dekads in the calendar year


def test_a_dekad_calendar_may_start_in_any_dekad_and_a_monthly_one_may_not():
    tl = CalendarSpec(start="2025-10-3", periods=2, step="dekad").timeline()
    assert tl.labels == ["2025-10-3", "2025-11-1"]
    with pytest.raises(ValueError, match="names a dekad"):
        CalendarSpec(start="2025-10-3", periods=2)
    with pytest.raises(ValueError, match="the dekad of a period YYYY-MM-D must be 1, 2 or 3"):
        parse_period("2025-10-4")


def test_m3s_is_converted_with_the_real_days_of_each_dekad():
    """1 m3/s over 10, 10 and 9 days (February 2024): 0.864, 0.864 and 0.7776 Mm3."""
    b = dekad_basin([inflow("A", "1 m3/s"), sink("S")], [link("A", "S")])
    assert flow(balkhash.solve(b), "A-S") == approx([0.864, 0.864, 0.7776])


# -- an analytical dekad basin -----------------------------------------------------------------
def test_a_dekad_basin_solved_by_hand():
    """February 2024 by dekad (10, 10, 9 days).  A river of 10 m3/s (8.64, 8.64, 7.776 Mm3) feeds a
    canal of at most 9 m3/s (7.776, 7.776, 6.9984 Mm3) to a user asking 29 Mm3/month, split by days
    (10, 10, 9 Mm3).  The canal is the limit: the user gets 7.776, 7.776, 6.9984 and is short 2.224,
    2.224, 2.0016 (22.24 % every dekad); the rest of the river goes on to the sink."""
    b = dekad_basin([inflow("A", "10 m3/s"), demand("D", "29 Mm3/month"), sink("S")],
                    [link("A", "D", capacity="9 m3/s"), link("A", "S")])
    sol = balkhash.solve(b)
    d = sol.deliveries
    assert d["period"].tolist() == ["2024-02-1", "2024-02-2", "2024-02-3"]
    assert d["target_mm3"].to_numpy() == approx([10.0, 10.0, 9.0])
    assert delivered(sol, "D") == approx([7.776, 7.776, 6.9984])
    assert d["shortfall_mm3"].to_numpy() == approx([2.224, 2.224, 2.0016])
    assert flow(sol, "A-S") == approx([0.864, 0.864, 0.7776])
    assert sol.summary["periods"] == {"first": "2024-02-1", "last": "2024-02-3", "count": 3, "step": "dekad"}


def test_a_reservoir_carries_water_from_dekad_to_dekad_with_an_interpolated_rule_curve():
    """A reservoir at 50 Mm3 on 31 January with a rule-curve minimum of 50 (end of January) and 79
    (end of February): the bounds at the ends of the February dekads are 50 + 29 x (10, 20, 29)/29 =
    60, 70, 79.  With 10 Mm3 a dekad in and a user asking 5 a dekad, the reservoir must store 10, 10
    and 9 and the user gets 0, 0 and 1 (the storage it cannot keep above its rising minimum)."""
    mins = [50.0, 79.0] + [0.0] * 10
    b = dekad_basin([inflow("A", "10 Mm3/dekad"),
                     reservoir("R", initial=50, max_storage=100, rule_curve={"min": mins, "max": [100.0] * 12}),
                     demand("D", "5 Mm3/dekad"), sink("S")],
                    [link("A", "R"), link("R", "D"), link("R", "S")])
    data = compile_basin(b)
    assert data.storages[0].lower == approx([60.0, 70.0, 79.0])
    sol = balkhash.solve(b)
    assert storage(sol, "R") == approx([60.0, 70.0, 79.0])
    assert delivered(sol, "D") == approx([0.0, 0.0, 1.0])


def test_monthly_profiles_depths_and_energy_split_by_days():
    """An annual volume with a 12-month profile, a monthly depth and a monthly list in Mm3/month
    give each dekad its days' share of the month; an m3/s list keeps its value."""
    tl = Timeline.from_start("2024-02", 6, step="dekad")
    assert tl.per_month([0, 29.0, 62.0] + [0] * 9) == approx([10, 10, 9, 20, 20, 22])
    assert tl.month_share == approx([10 / 29, 10 / 29, 9 / 29, 10 / 31, 10 / 31, 11 / 31])
    b = dekad_basin([inflow("A", {"unit": "Mm3/month", "monthly": [0, 29.0, 62.0] + [0.0] * 9}),
                     inflow("B", {"unit": "Mm3/yr", "annual": 120.0, "profile": [1 / 12] * 12}),
                     inflow("C", {"unit": "m3/s", "monthly": [0, 1.0, 2.0] + [0.0] * 9}), sink("S")],
                    [link("A", "S"), link("B", "S"), link("C", "S")], periods=6)
    data = compile_basin(b)
    assert data.inflow["A"] == approx([10, 10, 9, 20, 20, 22])
    assert data.inflow["B"] == approx(np.array([10, 10, 9, 10, 10, 11]) * 10 / np.array([29] * 3 + [31] * 3))
    assert data.inflow["C"] == approx([0.864, 0.864, 0.7776, 1.728, 1.728, 1.9008])


# -- dekadal and monthly series ---------------------------------------------------------------
def _series_basin(unit: str, step: str, periods: int, start: str = "2024-02") -> dict:
    return {"name": "series", "calendar": {"start": start, "periods": periods, "step": step},
            "nodes": [{"id": "A", "type": "inflow", "inflow": {"unit": unit, "file": "series.csv", "column": "Q"}},
                      {"id": "S", "type": "sink"}],
            "links": [{"id": "A-S", "from": "A", "to": "S"}]}


DEKAD_CSV = "period,Q\n2024-02-1,1.0\n2024-02-2,2.0\n2024-02-3,3.0\n"
MONTH_CSV = "period,Q\n2024-02,29.0\n"


@pytest.mark.parametrize(("unit", "step", "csv", "expected"), [
    ("Mm3/dekad", "dekad", DEKAD_CSV, [1.0, 2.0, 3.0]),
    ("m3/s", "dekad", DEKAD_CSV, [0.864, 1.728, 2.3328]),
    ("Mm3/month", "dekad", MONTH_CSV, [10.0, 10.0, 9.0]),  # the month split by days
    ("m3/s", "dekad", MONTH_CSV, [25.056, 25.056, 22.5504]),  # the month's mean flow in each dekad
    ("Mm3/dekad", "month", DEKAD_CSV, [6.0]),  # the dekads summed
    ("m3/s", "month", DEKAD_CSV, [(10 * 1 + 10 * 2 + 9 * 3) * 0.0864]),  # their day-weighted mean flow
])
def test_csv_series_by_dekad_and_by_month(tmp_path, unit, step, csv, expected):
    (tmp_path / "basin.yaml").write_text(yaml.safe_dump(_series_basin(unit, step, 3 if step == "dekad" else 1)))
    (tmp_path / "series.csv").write_text(csv)
    data = compile_basin(load_basin(tmp_path))
    assert data.inflow["A"] == approx(expected)


@pytest.mark.parametrize(("unit", "step", "csv", "message"), [
    ("Mm3/month", "dekad", DEKAD_CSV, "lacks 3 model period(s), first 2024-02: it has 0 month rows YYYY-MM"),
    ("Mm3/dekad", "dekad", MONTH_CSV, "lacks 3 model period(s), first 2024-02-1: it has 0 dekad rows YYYY-MM-D"),
])
def test_a_csv_of_the_wrong_rows_for_its_unit_is_refused(tmp_path, unit, step, csv, message):
    assert message in problems_of(_series_basin(unit, step, 3), tmp_path, csv)


def test_a_volume_per_dekad_needs_a_dekad_calendar_and_a_dekad_series_a_dekad_unit(tmp_path):
    raw = _series_basin("Mm3/dekad", "month", 1)
    raw["nodes"][0]["inflow"] = "5 Mm3/dekad"
    assert "node 'A': inflow: unit 'Mm3/dekad' is a volume per dekad: it needs calendar step: dekad" in \
        problems_of(raw, tmp_path)
    raw = _series_basin("Mm3/month", "dekad", 3)
    raw["nodes"][0]["inflow"] = {"unit": "Mm3/month", "series": [1.0, 2.0, 3.0]}
    assert "its unit must be a volume per dekad (Mm3/dekad, km3/dekad) or m3/s, not 'Mm3/month'" in \
        problems_of(raw, tmp_path)


def test_negative_cells_of_month_rows_are_reported_at_dekad_step(tmp_path):
    msg = problems_of(_series_basin("Mm3/month", "dekad", 3), tmp_path, "period,Q\n2024-02,-1.0\n")
    assert "line 2 (period 2024-02)" in msg
    assert "negative value -1.0" in msg


# -- the default basin at dekad step ---------------------------------------------------------------
def default_dekad_basin(directory: Path, periods: int = 36) -> Path:
    """The default basin's directory copied with ``calendar.step: dekad``."""
    target = directory / "ile_balkhash_dekad"
    shutil.copytree(DATA, target)
    raw = yaml.safe_load((target / "basin.yaml").read_text(encoding="utf-8"))
    raw["calendar"].update(step="dekad", periods=periods)
    (target / "basin.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def dekad_dir(tmp_path_factory) -> Path:
    return default_dekad_basin(tmp_path_factory.mktemp("dekad"))


@pytest.fixture(scope="module")
def both(dekad_dir):
    return balkhash.solve("ile_balkhash"), balkhash.solve(dekad_dir)


def test_the_dekad_basin_holds_the_monthly_basins_volumes(dekad_dir):
    """Monthly inputs at dekad step: every inflow, target, capacity and depth of a month is the sum
    of its three dekads (to rounding)."""
    m, d = compile_basin(load_basin(DATA)), compile_basin(load_basin(dekad_dir))
    assert d.T == 36
    assert m.T == 12

    def by_month(a):
        return np.asarray(a, dtype=float).reshape(12, 3).sum(axis=1)

    for node, v in m.inflow.items():
        assert by_month(d.inflow[node]) == pytest.approx(v, rel=1e-12, abs=1e-9), node
    for dm, dd in zip(m.demands, d.demands, strict=True):
        assert by_month(dd.target) == pytest.approx(dm.target, rel=1e-12, abs=1e-9), dm.id
    for sm, sd in zip(m.storages, d.storages, strict=True):
        assert by_month(sd.evap_mm) == pytest.approx(sm.evap_mm, rel=1e-12, abs=1e-9), sm.id
        assert sd.upper[2::3] == pytest.approx(sm.upper), sm.id  # month-end bounds kept
    for lm, ld in zip(m.links, d.links, strict=True):
        finite = np.isfinite(lm.upper)
        assert by_month(ld.upper)[finite] == pytest.approx(lm.upper[finite], rel=1e-12), lm.id


def test_the_dekad_plan_of_the_default_basin_serves_the_same_year(both):
    """The mean year by dekad: every user served in full, the same annual volumes, the lake's
    annual inflow within 0.1 % of the monthly plan's (the dekads move water within the month)."""
    m, d = both
    assert d.status == "optimal"
    assert len(d.deliveries["period"].unique()) == 36
    for col in ("target_mm3", "delivered_mm3"):
        assert d.deliveries.groupby("demand")[col].sum().to_dict() == pytest.approx(
            m.deliveries.groupby("demand")[col].sum().to_dict(), rel=1e-9)
    assert d.deliveries["shortfall_mm3"].sum() == pytest.approx(0.0, abs=1e-6)
    lm, ld = (s.summary["lakes"][0] for s in both)
    assert ld["annual_inflow_km3"]["2025-26"] == pytest.approx(lm["annual_inflow_km3"]["2025-26"], rel=1e-3)


def test_monthly_and_dekad_results_label_their_periods(both):
    d = both[1]
    for name in ("flows", "deliveries", "storage", "arrivals", "duals"):
        labels = d.tables[name]["period"].unique().tolist()
        assert labels[:3] == ["2025-10-1", "2025-10-2", "2025-10-3"], name
        assert labels[-1] == "2026-09-3", name
    fl = d.tables["flows"]
    days = fl["period"].map(period_days).to_numpy(float)
    assert fl["flow_m3s"].to_numpy() == pytest.approx(fl["flow_mm3"].to_numpy() * 1e6 / (86400 * days))


def test_a_scenario_of_several_years_at_dekad_step(dekad_dir):
    """dry_2014 over its own years: whole water years of 36 dekads; the series it writes are per dekad."""
    from balkhash.scenarios.apply import apply_scenario
    from balkhash.scenarios.io import load_scenarios

    basin = load_basin(dekad_dir)
    sc = {s.name: s for s in load_scenarios(dekad_dir / "scenarios.yaml")}
    for name, s in sc.items():
        b = apply_scenario(basin, s)
        tl = b.timeline()
        assert tl.n % 36 == 0, name
        assert len(tl.full_water_years()) == tl.n // 36, name
        for n in b.nodes:
            fs = getattr(n, "inflow", None)
            if fs is not None and fs.series is not None:
                assert fs.unit in ("Mm3/dekad", "m3/s"), (name, n.id, fs.unit)


def test_the_hindcast_refuses_a_dekad_basin(dekad_dir):
    from balkhash.history.hindcast import HindcastError, hindcast_basin, load_setup

    basin = load_basin(dekad_dir)
    with pytest.raises(HindcastError, match="needs a basin of calendar step month"):
        hindcast_basin(basin, load_setup(basin))


def test_step_mode_re_plans_every_dekad(dekad_dir, both):
    """Step mode at dekad step: 36 re-plans of one dekad; with the mean year every user is served."""
    from balkhash.simulation.simulator import Simulator

    sol = Simulator(load_basin(dekad_dir), mode="step").solve()
    assert sol.summary["simulation"]["mode"] == "step"
    assert len(sol.deliveries["period"].unique()) == 36
    assert sol.deliveries["target_mm3"].sum() == pytest.approx(both[1].deliveries["target_mm3"].sum(), rel=1e-12)


def test_the_cli_runs_every_command_on_a_dekad_basin(dekad_dir, tmp_path):
    from typer.testing import CliRunner

    from balkhash.cli import app

    runner = CliRunner()
    b = str(dekad_dir)
    for args in (["plan", "--basin", b, "--out", str(tmp_path / "plan"), "--plan-out", str(tmp_path / "plan.xlsx")],
                 ["plan", "--basin", b, "--mode", "rolling", "--window", "36", "--every", "3",
                  "--out", str(tmp_path / "rolling")],
                 ["plan", "--basin", b, "--scenario", str(dekad_dir / "scenarios.yaml"), "--name", "dry_2014",
                  "--out", str(tmp_path / "dry")],
                 ["sweep", "--basin", b, "--from", "8", "--to", "14", "--step", "3", "--out", str(tmp_path / "sw")],
                 ["min-inflow", "--basin", b],
                 ["tradeoff", "--basin", b, "--from", "12", "--to", "13", "--step", "1",
                  "--out", str(tmp_path / "to")],
                 ["compare", "--basin", b, "--scenario", str(dekad_dir / "scenarios.yaml"),
                  "--out", str(tmp_path / "cmp")],
                 ["report", "--basin", b, "--out", str(tmp_path / "report.html")]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, (args, res.output)
    flows = pd.read_csv(tmp_path / "plan" / "flows.csv")
    assert flows["period"].iloc[0] == "2025-10-1"
    assert flows["period"].nunique() == 36
    assert pd.read_csv(tmp_path / "rolling" / "deliveries.csv")["period"].nunique() == 36
    # dry 2014 by dekad under the default policy: irrigation served in part, every irrigation user at
    # the same share of its target in every dekad
    dry = pd.read_csv(tmp_path / "dry" / "deliveries.csv")
    classes = json.loads((tmp_path / "dry" / "summary.json").read_text())["policy"]["classes"]
    irrigation = next(c for c in classes if c["name"] == "irrigation")["demands"]
    irr = dry[dry["demand"].isin(irrigation) & (dry["target_mm3"] > 1e-9)]
    assert irr["delivered_mm3"].sum() > 0.5 * irr["target_mm3"].sum()
    assert irr["shortfall_mm3"].sum() > 1.0
    share = (irr["delivered_mm3"] / irr["target_mm3"]).groupby(irr["period"])
    assert (share.max() - share.min()).max() < 1e-9
    assert "2025-10-1" in (tmp_path / "report.html").read_text(encoding="utf-8")
    res = runner.invoke(app, ["hindcast", "--basin", b])
    assert res.exit_code == 1
    assert "needs a basin of calendar step month" in res.output


def test_a_water_year_that_is_the_calendar_year_is_labelled_by_its_year():
    """water_year_start_month 1: the water year Jan-Dec 2026 is '2026' (not '2026-27') in the
    targets table and the summary; October water years keep '2025-26'."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from analytical_basins import inflow, lake, link, make_basin

    import balkhash
    from balkhash.network.timeline import water_year_label

    assert water_year_label(2025) == "2025-26"
    assert water_year_label(2026, 1) == "2026"
    table = {"level_m": [100.0, 110.0], "area_km2": [100.0, 100.0], "volume": [0.0, 100_000.0]}
    basin = make_basin([inflow("S", 10.0), lake("L", table, 101.0)], [link("S", "L")],
                       targets=[{"id": "L-IN", "type": "lake_inflow", "lake": "L", "min_annual_km3": 0.1}],
                       periods=12, validate=True)
    basin.calendar.start, basin.calendar.water_year_start_month = "2026-01", 1
    sol = balkhash.solve(basin)
    t = sol.targets[sol.targets["target"] == "L-IN"]
    assert list(t["period_or_year"]) == ["2026"]
    assert list(sol.summary["lakes"][0]["annual_inflow_km3"]) == ["2026"]
