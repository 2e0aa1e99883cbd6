"""Ensembles: members on one persistent model, their arrays against the result tables, the
reliability and quantiles recomputed from the files written, Dask against the serial run, and bad
input refused with a message."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from balkhash.allocation.solve import Allocation
from balkhash.cli import app
from balkhash.data import default_basin_path
from balkhash.ensemble import summary
from balkhash.ensemble.generator import fit_record
from balkhash.ensemble.members import PERIOD_ARRAYS, YEAR_ARRAYS, MemberModel
from balkhash.ensemble.runner import EnsembleResult, run_ensemble, spec_for
from balkhash.network import load_basin
from balkhash.scenarios import apply_scenario
from balkhash.scenarios.schema import Scenario

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def base():
    return load_basin(default_basin_path())


@pytest.fixture(scope="module")
def two_years(base):
    return apply_scenario(base, Scenario(name="two", years=2, start_water_year=2025))


@pytest.fixture(scope="module")
def gen(base):
    return fit_record(base)


def test_member_inflows_follow_the_annual_volumes(two_years, gen):
    model = MemberModel(spec_for(two_years, gen))
    q = np.array([[9.0, 5.0], [15.0, 7.5]])
    inflow = model.inflows(q)
    cn = inflow["ILE_CN"]
    assert cn[:12].sum() == pytest.approx(9000.0)  # km3 -> Mm3, the border profile sums to one
    assert cn[12:].sum() == pytest.approx(15000.0)
    base_cn = model.base["ILE_CN"]
    assert np.allclose(cn[:12] / cn[:12].sum(), base_cn[:12] / base_cn[:12].sum())  # the shape is kept
    k = gen.record_mean_km3[1]
    for n in model.spec.kazakh_nodes:
        assert np.allclose(inflow[n][:12], model.base[n][:12] * 5.0 / k)
        assert np.allclose(inflow[n][12:], model.base[n][12:] * 7.5 / k)
    assert "ILE_CN" not in model.spec.kazakh_nodes
    assert {"CHARYN", "KARATAL", "LOCAL_RESIDUAL"} <= set(model.spec.kazakh_nodes)


def test_member_arrays_equal_the_result_tables_and_do_not_depend_on_history(two_years, gen):
    """A member's arrays (read from the column values) equal those the result tables of the same
    solution give; after a reset, solving other members first changes nothing; the objective is
    that of a fresh model with the member's inflows (the optimum; the LP has alternative optimal
    flows, so only the value is compared)."""
    from balkhash.allocation.results import extract_tables

    model = MemberModel(spec_for(two_years, gen))
    q = gen.sample(3, 2, seed=11, first_water_year=2025)
    model.reset()
    first = model.run(q[0])
    assert first["status"] == "optimal"
    tables = extract_tables(model.data, model.lp, model.model.backend.col_value, None)
    for key, arr in model.arrays_from_tables(tables).items():
        assert np.allclose(first[key], arr, rtol=0, atol=1e-9), key
    model.run(q[1])
    model.run(q[2])
    model.reset()
    again = model.run(q[0])
    for key in (*PERIOD_ARRAYS, *YEAR_ARRAYS, "objective"):
        assert np.array_equal(first[key], again[key]), key
    fresh = Allocation(two_years)
    for n, v in model.inflows(q[0]).items():
        fresh.set("inflow", n, v)
    sol = fresh.solve()
    assert first["objective"] == pytest.approx(sol.objective, rel=1e-7)
    lake = sol.summary["lakes"][0]
    lake_in = tables["arrivals"].query("node == 'BALKHASH'").arriving_mm3.to_numpy()
    assert first["lake_inflow_km3"][:, 0] == pytest.approx([lake_in[:12].sum() / 1000, lake_in[12:].sum() / 1000])
    assert lake["inflow_target_km3"] == 12.0


def fake_result(levels: np.ndarray, inflow: np.ndarray, shortfall: np.ndarray) -> EnsembleResult:
    """An ensemble of M members over 2 water years of 2 periods each, one lake, one demand."""
    M = levels.shape[0]
    arrays = {"level_m": levels[:, :, None], "lake_inflow_km3": inflow[:, :, None],
              "shortfall_mm3": shortfall[:, :, None], "objective": np.zeros(M), "status": ["optimal"] * M}
    return EnsembleResult(arrays=arrays, annual_km3=np.ones((M, 2, 2)), generator=None, seed=0,  # type: ignore[arg-type]
                          mode="optimise", periods=["2025-10", "2026-04", "2026-10", "2027-04"],
                          water_years=[2025, 2026], lakes=["LAKE"], storages=["LAKE"], demands=["D"],
                          sectors=["agriculture"], links=[], nodes=[], year_index=np.array([0, 0, 1, 1]),
                          lake_inflow_target_km3={"LAKE": 12.0})


def test_reliability_analytical():
    levels = np.array([[341.6, 341.5, 341.2, 341.6],    # year 1 at 341.5 exactly (met), year 2 dips
                       [340.9, 341.7, 341.7, 341.7],    # year 1 below 341
                       [341.6, 341.6, 341.6, 341.6],
                       [341.5 - 1e-9, 341.6, 340.0, 341.6]])  # within the tolerance; year 2 far below
    inflow = np.array([[12.0, 11.0], [13.0, 13.0], [11.99, 12.5], [12.0 - 1e-9, 14.0]])
    short = np.array([[0.0, 0.0, 5.0, 5.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [2.0, 2.0, 0.0, 0.0]])
    res = fake_result(levels, inflow, short)
    rel = summary.reliability(res).set_index("water_year")
    assert rel.loc["2025-26", "P(level >= 341.5 m)"] == 0.75
    assert rel.loc["2026-27", "P(level >= 341.5 m)"] == 0.5
    assert rel.loc["2025-26", "P(level >= 341 m)"] == 0.75
    assert rel.loc["2026-27", "P(level >= 341 m)"] == 0.75
    assert rel.loc["2025-26", "P(inflow >= 12 km3)"] == 0.75
    assert rel.loc["2026-27", "P(inflow >= 12 km3)"] == 0.75
    assert rel.loc["all years", "P(level >= 341.5 m)"] == pytest.approx(5 / 8)
    assert rel.loc["every year", "P(level >= 341.5 m)"] == 0.25
    assert rel.loc["every year", "P(inflow >= 12 km3)"] == 0.5
    sq = summary.shortfall_quantiles(res).set_index("sector")
    annual = np.array([0.0, 10.0, 1.0, 0.0, 0.0, 0.0, 4.0, 0.0])  # member-years
    assert sq.loc["agriculture", "mean_mm3"] == pytest.approx(annual.mean())
    assert sq.loc["agriculture", "q95_mm3"] == pytest.approx(np.quantile(annual, 0.95))
    assert sq.loc["agriculture", "max_mm3"] == 10.0
    assert sq.loc["agriculture", "p_short"] == 3 / 8


def test_cli_ensemble_files_agree(tmp_path):
    import xarray as xr

    out = tmp_path / "ens"
    r = run("ensemble", "--members", 6, "--years", 2, "--workers", 0, "--seed", 5, "--out", out)
    assert r.exit_code == 0, r.output
    assert "P(level >= 341.5 m)" in r.output
    for f in ("reliability.csv", "shortfall_quantiles.csv", "members.csv", "level_quantiles.csv", "cube.nc",
              "fan_chart.png", "ensemble.html", "ensemble.json"):
        assert (out / f).is_file(), f
    members = pd.read_csv(out / "members.csv")
    assert len(members) == 6 * 2
    rel = pd.read_csv(out / "reliability.csv").set_index("water_year")
    for wy, g in members.groupby("water_year"):
        assert rel.loc[wy, "P(level >= 341.5 m)"] == pytest.approx((g.level_min_m >= 341.5 - 1e-6).mean())
        assert rel.loc[wy, "P(inflow >= 12 km3)"] == pytest.approx((g.lake_inflow_km3 >= 12 - 1e-6).mean())
    with xr.open_dataset(out / "cube.nc", engine="h5netcdf") as ds:
        assert ds.level.dims == ("member", "period", "lake")
        assert ds.sizes["member"] == 6
        assert ds.sizes["period"] == 24
        low = ds.level.sel(lake="BALKHASH").isel(period=slice(0, 12)).min("period").values
        assert np.allclose(low, members[members.water_year == "2025-26"].level_min_m.to_numpy())
        assert np.allclose(ds.china_km3.values.ravel(), members.china_km3.to_numpy())
        agri = ds.shortfall.where(ds.sector == "agriculture").sum("demand").isel(period=slice(12, 24)).sum("period")
        assert np.allclose(agri.values, members[members.water_year == "2026-27"].shortfall_agriculture_mm3)
        assert ds.level.attrs["units"] == "m BS"
        from balkhash.ensemble.runner import from_dataset

        again = summary.reliability(from_dataset(ds)).set_index("water_year")  # the cube read back
        assert np.allclose(again.to_numpy(), rel.to_numpy(), rtol=0, atol=1e-12)
    doc = json.loads((out / "ensemble.json").read_text())
    assert doc["members"] == 6
    assert doc["seed"] == 5
    assert doc["solved"] == 6
    assert doc["policy"] == "water_code"  # the default basin's
    html = (out / "ensemble.html").read_text()
    assert '<section id="ensemble">' in html
    assert "data:image/png;base64," in html


@pytest.mark.parametrize(("args", "message"), [
    (["--members", 0], "members must be a whole number >= 1"),
    (["--seed", -1], "seed must be a whole number"),
    (["--scenario", "scenarios.yaml", "--name", "no_such"], "no_such"),
    (["--mode", "bogus"], "unknown mode"),
    (["--glacier", "2025:x"], "--glacier"),
    (["--glacier", "2025:1,2025:2"], "year 2025 is given twice"),
    (["--china-mean", -2], "mean annual volume"),
    (["--policy", "no_such_policy"], "no_such_policy"),
    # a scenario setting the inflows the members generate: they would scale its year once more
    (["--scenario", "scenarios.yaml", "--name", "dry_2014"], "scenario 'dry_2014' sets the inflow from China"),
    (["--scenario", "scenarios.yaml", "--name", "history_2010_2020"], "the ensemble generates the inflows"),
])
def test_bad_input_is_one_message(tmp_path, args, message):
    out = tmp_path / "ens"
    r = run("ensemble", "--members", 2, "--years", 1, "--workers", 0, "--out", out, *args)
    assert r.exit_code == 1, r.output
    assert message in r.output
    assert "Traceback" not in r.output
    assert not out.exists()


def test_a_multiplier_on_the_border_inflow_is_refused_and_others_apply_on_top(tmp_path):
    """inflow_multipliers on the transboundary node (or 'all') would be lost under the members'
    generated volumes: refused.  One on a Kazakh river scales its member series."""
    from balkhash.cli.ensemble import check_scenario_inflows
    from balkhash.cli.errors import CommandError
    basin = load_basin(default_basin_path())
    for key in ("ILE_CN", "all"):
        with pytest.raises(CommandError, match=f"inflow_multipliers.{key}"):
            check_scenario_inflows(basin, Scenario(name="dry", inflow_multipliers={key: 0.8}))
    check_scenario_inflows(basin, Scenario(name="aksu", inflow_multipliers={"AKSU": 0.5}))  # accepted
    f = tmp_path / "sc.yaml"
    f.write_text("scenarios:\n  - name: half_charyn\n    inflow_multipliers: {CHARYN: 0.5}\n")
    cubes = []
    for extra in ([], ["--scenario", str(f)]):
        out = tmp_path / f"e{len(extra)}"
        r = run("ensemble", "--members", 2, "--years", 1, "--workers", 0, "--out", out, *extra)
        assert r.exit_code == 0, r.output
        import xarray as xr

        with xr.open_dataset(out / "cube.nc") as ds:
            cubes.append(ds["inflow"].sel(node="CHARYN").values.copy())
    np.testing.assert_allclose(cubes[1], 0.5 * cubes[0], rtol=1e-12)


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    import balkhash.ensemble.cube as cube

    out = tmp_path / "ens"
    out.mkdir()
    (out / "reliability.csv").write_text("earlier\n")

    def broken(ds, path):
        Path(path).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(cube, "write_netcdf", broken)
    r = run("ensemble", "--members", 2, "--years", 1, "--workers", 0, "--out", out)
    assert r.exit_code == 1, r.output
    assert "disk full" in r.output
    assert (out / "reliability.csv").read_text() == "earlier\n"
    assert not (out / "cube.nc").exists()
    assert not (out / "ensemble.json").exists()


def test_rolling_members(two_years, gen):
    res = run_ensemble(two_years, 2, seed=3, generator=gen, mode="rolling", window=3, every=3, workers=0)
    assert res.arrays["status"] == ["optimal", "optimal"]
    from balkhash.simulation import simulate

    alloc_basin = two_years
    model = MemberModel(spec_for(alloc_basin, gen, mode="rolling", window=3, every=3))
    for n, v in model.inflows(res.annual_km3[1]).items():
        model.model.set("inflow", n, v)
    sol = model.model.solve()
    assert res.arrays["objective"][1] == pytest.approx(sol.objective, rel=1e-7)
    assert sol.summary["simulation"]["replans"] == 8
    assert simulate  # the same Simulator as balkhash.simulation.simulate


# -- Dask: one LocalCluster with 2 workers for the module ------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import Client, LocalCluster

    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(c)
    yield client
    client.close()
    c.close()


def test_dask_equals_serial(cluster, two_years, gen):
    serial = run_ensemble(two_years, 60, seed=21, generator=gen, workers=0)  # 3 batches
    dask = run_ensemble(two_years, 60, seed=21, generator=gen, client=cluster)
    assert dask.timings["workers"] == 2
    assert np.array_equal(serial.annual_km3, dask.annual_km3)
    assert serial.arrays["status"] == dask.arrays["status"]
    # the same batches from the same warm start: the same numbers, bit for bit
    for key in ("objective", *PERIOD_ARRAYS, *YEAR_ARRAYS):
        assert np.array_equal(serial.arrays[key], dask.arrays[key]), key
    assert not summary.reliability(serial).compare(summary.reliability(dask)).size


def test_cli_on_a_running_scheduler(cluster, tmp_path):
    out = tmp_path / "ens"
    r = run("ensemble", "--members", 4, "--years", 1, "--scheduler", cluster.scheduler.address, "--out", out,
            "-q")
    assert r.exit_code == 0, r.output
    assert "dask, 2 workers at tcp://" in r.output
    assert len(pd.read_csv(out / "members.csv")) == 4


def test_unreachable_scheduler(tmp_path, monkeypatch):
    import balkhash.ensemble.distributed as dist

    monkeypatch.setattr(dist, "CONNECT_TIMEOUT", 1)
    out = tmp_path / "ens"
    r = run("ensemble", "--members", 2, "--years", 1, "--scheduler", "tcp://127.0.0.1:9", "--out", out)
    assert r.exit_code == 1, r.output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in r.output
    assert "Traceback" not in r.output
    assert not out.exists()


def test_the_section_goes_into_the_report(base, gen, tmp_path):
    import balkhash
    from balkhash.outputs.ensemble_fan import fan_chart
    from balkhash.outputs.ensemble_report import ensemble_section
    from balkhash.outputs.report import build_report

    res = run_ensemble(base, 3, seed=2, generator=gen, workers=0)
    png = fan_chart(res, base, tmp_path / "fan.png")
    section = ensemble_section(res, summary.reliability(res), summary.shortfall_quantiles(res), png)
    page = build_report(balkhash.solve(base), base, sections=[("ensemble", "Ensemble", section)])
    assert "<a href='#ensemble'>Ensemble</a>" in page
    assert '<section id="ensemble">' in page
    assert "P(level &gt;= 341.5 m)" in page


def test_a_failed_warm_solve_is_solved_again_cold(two_years, gen):
    """HiGHS can end a warm start without a verdict (kUnknown); the member is solved again from
    scratch rather than lost."""
    from balkhash.allocation.backend import SolveOutcome

    model = MemberModel(spec_for(two_years, gen))
    backend = model.model.backend
    real, calls = backend.solve, []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            return SolveOutcome("error", False, None, "kUnknown", 0.0)
        return real()

    backend.solve = flaky
    q = gen.sample(1, 2, seed=4, first_water_year=2025)[0]
    out = model.run(q)
    assert len(calls) == 2
    assert out["status"] == "optimal"
    fresh = Allocation(two_years)
    for n, v in model.inflows(q).items():
        fresh.set("inflow", n, v)
    assert out["objective"] == pytest.approx(fresh.solve().objective, rel=1e-7)


def test_an_ensemble_after_other_solves_in_the_process(base, gen):
    """HiGHS keeps one thread scheduler per process: the members' models must not ask for another
    number of threads than the solves before them (their runs would fail)."""
    import balkhash

    assert balkhash.solve("small_basin").status == "optimal"
    res = run_ensemble(base, 2, seed=8, generator=gen, workers=0)
    assert res.arrays["status"] == ["optimal", "optimal"]


def test_no_member_solved_is_exit_3(tmp_path, monkeypatch):
    from balkhash.allocation.backend import HighsBackend, SolveOutcome

    real = HighsBackend.solve
    calls = []

    def none_after_the_first(self):
        calls.append(1)
        return real(self) if len(calls) == 1 else SolveOutcome("infeasible", False, None, "kInfeasible", 0.0)

    monkeypatch.setattr(HighsBackend, "solve", none_after_the_first)
    out = tmp_path / "ens"
    r = run("ensemble", "--members", 2, "--years", 1, "--workers", 0, "--out", out)
    assert r.exit_code == 3, r.output
    assert "none of the 2 members has a solution (solver status: infeasible)" in r.output
    assert not out.exists()


def test_a_basin_without_a_lake_or_a_border_inflow_is_refused(gen):
    from balkhash.ensemble.members import EnsembleError
    from balkhash.network.io import parse_basin

    def basin(transboundary: bool):
        return parse_basin({
            "name": "no lake", "calendar": {"start": "2025-10", "periods": 12},
            "nodes": [{"id": "RIVER", "type": "inflow", "inflow": "30 m3/s", "transboundary": transboundary},
                      {"id": "FARMS", "type": "demand", "sector": "agriculture", "target": "40 Mm3/month"},
                      {"id": "OUT", "type": "sink"}],
            "links": [{"id": "RIVER-FARMS", "from": "RIVER", "to": "FARMS"},
                      {"id": "RIVER-OUT", "from": "RIVER", "to": "OUT"}],
        }, "no_lake.yaml")

    with pytest.raises(EnsembleError, match="no lake"):
        run_ensemble(basin(True), 1, generator=gen, workers=0)
    with pytest.raises(EnsembleError, match="no transboundary inflow node"):
        run_ensemble(basin(False), 1, generator=gen, workers=0)


def test_the_report_takes_an_ensembles_section(tmp_path):
    """`balkhash report --ensemble DIR` puts the reliability section an ensemble wrote into the
    plan's report, linked from its navigation; a directory without an ensemble, or an ensemble of
    another basin, is refused and nothing is written."""
    out = tmp_path / "ens"
    r = run("ensemble", "--members", 2, "--years", 1, "--workers", 0, "--out", out)
    assert r.exit_code == 0, r.output
    page = tmp_path / "report.html"
    r = run("report", "--ensemble", out, "--out", page)
    assert r.exit_code == 0, r.output
    text = page.read_text(encoding="utf-8")
    assert "<a href='#ensemble'>Ensemble</a>" in text
    assert text.count('<section id="ensemble">') == 1
    assert "Reliability per water year" in text
    for args, message in ((["--ensemble", tmp_path / "none"], "no ensemble.html"),
                          (["-b", "tiny_river", "--ensemble", out], "computed for the basin")):
        bad = tmp_path / "bad.html"
        r = run("report", *args, "--out", bad)
        assert r.exit_code == 1, r.output
        assert message in r.output
        assert not bad.exists()
