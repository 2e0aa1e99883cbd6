"""The simulation modes' inputs and messages: a forecast file checked against the run's timeline,
``--forecast`` / ``--probability-method`` refused outside their mode, the end-storage note of a
step run, the design year's factor on the Kazakh inflow nodes, the note of an annual capacity
binding pro rata in a partial water year."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from typer.testing import CliRunner

from balkhash.cli import app
from balkhash.data import default_basin_path
from balkhash.network.io import load_basin
from balkhash.simulation import simulate
from balkhash.simulation.forecast import Forecaster, ForecastError
from balkhash.simulation.simulator import Simulator

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


def _basin_copy(tmp_path, start: str, periods: int, step: str | None = None):
    """The bundled basin with its calendar changed (a copy in tmp_path)."""
    src = default_basin_path()
    src = src if src.is_dir() else src.parent
    dst = tmp_path / "basin"
    shutil.copytree(src, dst)
    y = dst / "basin.yaml"
    text = y.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  start: .*$", f"  start: {start}", text, count=1)
    text = re.sub(r"(?m)^  periods: .*$", f"  periods: {periods}" + (f"\n  step: {step}" if step else ""),
                  text, count=1)
    y.write_text(text, encoding="utf-8")
    return dst


def _forecast(tmp_path, rows: list[tuple[str, str]], name: str = "fc.csv"):
    p = tmp_path / name
    p.write_text("issued,period,node,inflow_mm3\n" + "".join(f"{i},{t},ILE_CN,0\n" for i, t in rows),
                 encoding="utf-8")
    return p


# -- finding: a forecast file checked against the run ------------------------------------------------

def test_monthly_labels_in_a_dekad_run_are_refused(tmp_path):
    basin = _basin_copy(tmp_path, "2025-10", 36, "dekad")
    fc = _forecast(tmp_path, [("2025-10", "2025-11"), ("2025-10", "2025-12")])
    with pytest.raises(ForecastError,
                       match=r"fc.csv: the run's calendar step is dekad.*YYYY-MM-D.*'2025-10' \(line 2\)"):
        simulate(load_basin(basin), mode="rolling", forecast=fc)
    r = runner.invoke(app, ["plan", "-b", str(basin), "--mode", "rolling", "--forecast", str(fc),
                            "--out", str(tmp_path / "out")])
    assert r.exit_code == 1, r.output
    assert "calendar step is dekad" in _flat(r.output)
    assert "Traceback" not in r.output
    assert not (tmp_path / "out" / "summary.json").exists()


def test_dekad_labels_in_a_monthly_run_are_refused(tmp_path):
    fc = _forecast(tmp_path, [("2025-10-1", "2025-10-2")])
    with pytest.raises(ForecastError, match=r"calendar step is month.*YYYY-MM \(e.g. 2025-10\).*'2025-10-1'"):
        Simulator("ile_balkhash", mode="rolling", forecast=fc)


def test_a_forecast_no_replan_uses_is_refused(tmp_path):
    fc = _forecast(tmp_path, [("2030-10", "2030-11")])
    r = runner.invoke(app, ["plan", "--mode", "rolling", "--forecast", str(fc), "--out", str(tmp_path / "out")])
    assert r.exit_code == 1, r.output
    assert "none of its issues (2030-10) falls on a re-plan of the run" in _flat(r.output)
    # issued on re-plans, but each only for the period it applies (the actual inflows)
    fc2 = _forecast(tmp_path, [("2025-10", "2025-10"), ("2025-11", "2025-11")], "fc2.csv")
    with pytest.raises(ForecastError, match="no re-plan of the run uses any of its entries"):
        Simulator("ile_balkhash", mode="rolling", forecast=fc2)
    # between re-plans: every 3 months re-plans in 2025-10, 2026-01, ...
    fc3 = _forecast(tmp_path, [("2025-11", "2025-12")], "fc3.csv")
    with pytest.raises(ForecastError, match="none of its issues"):
        Simulator("ile_balkhash", mode="rolling", every=3, forecast=fc3)


def test_dekad_forecast_is_used_and_unused_entries_are_noted(tmp_path):
    basin = load_basin(_basin_copy(tmp_path, "2025-10", 36, "dekad"))
    rows = [(f"2025-10-{d}", p) for d in (1, 2) for p in ("2025-10-3", "2025-11-1", "2025-11-2")]
    fc = _forecast(tmp_path, [*rows, ("2025-10-1", "2025-10-1"), ("2030-10-1", "2030-10-2")])
    sim = Simulator(basin, mode="rolling", window=6, forecast=fc)
    notes = " ".join(sim.forecast_notes)
    assert "1 of its entries are ignored: issued in 2030-10-1, not a re-plan of the run" in notes
    assert "2025-10-1 issued 2025-10-1" in notes  # the applied dekad sees the actual inflow
    f = sim.forecast_file
    assert f is not None
    assert len(f.entries) == 8
    actual = sim.lp.params["inflow"].values
    seen = Forecaster(sim.forecast_kind, actual, sim.timeline, sim.full.nodes, None, f)(0, 6, 1)
    cn = sim.full.nodes.index("ILE_CN")
    assert seen[cn, 0] == actual[cn, 0] > 0  # applied: the actual inflow
    assert seen[cn, 2] == seen[cn, 3] == seen[cn, 4] == 0.0  # the file's 2025-10-3 .. 2025-11-2
    assert seen[cn, 1] > 0
    assert seen[cn, 5] > 0
    sol = sim.solve()
    assert any("2030-10-1" in n for n in sol.summary["notes"])


# -- finding: --forecast and --probability-method outside their mode ----------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (["plan", "--forecast", "foo"], "--forecast needs --mode rolling (optimise plans"),
    (["plan", "--forecast", "climatology"], "--forecast needs --mode rolling (optimise plans"),
    (["plan", "--mode", "step", "--forecast", "/nonexistent.csv"], "--forecast needs --mode rolling (--mode step"),
    (["sweep", "--from", "8", "--to", "10", "--step", "1", "--forecast", "foo"], "--forecast needs --mode rolling"),
    (["compare", "-s", "scenarios.yaml", "--forecast", "perfect"], "--forecast needs --mode rolling"),
    (["ensemble", "-m", "2", "--workers", "0", "--forecast", "perfect"], "--forecast needs --mode rolling"),
    (["plan", "--probability-method", "record"], "--probability-method needs --probability"),
    (["plan", "--window", "12"], "--window and --every need --mode rolling"),
])
def test_options_outside_their_mode_are_refused(tmp_path, args, message):
    out = tmp_path / "out"
    r = runner.invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 1, r.output
    assert message in _flat(r.output)
    assert not (out / "summary.json").exists()


def test_rolling_without_forecast_is_climatology():
    sim = Simulator("ile_balkhash", mode="rolling", window=3, every=3, forecast=None)
    assert sim.forecast_name == "climatology"
    assert sim.solve().summary["simulation"]["forecast"] == "climatology"


def test_help_shows_rolling_values_not_defaults():
    r = runner.invoke(app, ["plan", "--help"], env={"COLUMNS": "200"})
    text = _flat(r.output)
    assert "[rolling: 12]" in text
    assert "[rolling: 1]" in text
    assert "[rolling: climatology]" in text
    assert "[default: 12]" not in text
    assert "[default: climatology]" not in text
    assert "[default: generator]" not in text


# -- finding: the end-storage target concentrates a step run's cuts in its last period -----------------

def test_step_run_notes_cuts_concentrated_in_the_last_period():
    sol = simulate("ile_balkhash", mode="step")
    note = [n for n in sol.summary["notes"] if n.startswith("the last period 2026-09 holds")]
    assert note
    assert "end-storage target" in note[0]
    assert "docs/simulation.md" in note[0]
    rolling = simulate("ile_balkhash", mode="rolling", window=12, forecast="perfect")
    assert not any(n.startswith("the last period") for n in rolling.summary["notes"])


# -- finding: the design year's figures and the inflows table ----------------------------------------

def test_design_year_names_the_factor_on_the_other_inflow_nodes(tmp_path):
    from balkhash.ensemble.generator import fit_record
    from balkhash.ensemble.probability import design_year

    b = load_basin(default_basin_path())
    year = design_year(b, 95)
    kbar = fit_record(b).record_mean_km3[1]
    assert year.kazakh_mean_km3 == pytest.approx(kbar)
    assert year.kazakh_factor == pytest.approx(year.kazakh_km3 / kbar)
    r = runner.invoke(app, ["plan", "--probability", "95", "--out", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    text = _flat(r.output)
    assert "China and Kazakh parts" in text
    assert "every other inflow node" in text
    assert f"K_p / K-bar = {year.kazakh_km3:.2f} / {kbar:.2f} = {year.kazakh_factor:.3f}" in text
    ex = json.loads((tmp_path / "p" / "p95" / "summary.json").read_text())["exceedance"]
    assert ex["kazakh_factor"] == pytest.approx(year.kazakh_factor)


# -- finding: an annual capacity pro rata in a partial water year -------------------------------------

def test_partial_year_annual_capacity_binding_is_noted(tmp_path):
    basin = _basin_copy(tmp_path, "2026-04", 6)
    sol = simulate(load_basin(basin), mode="optimise")
    notes = [n for n in sol.summary["notes"] if n.startswith("link BAK: its annual capacity")]
    assert notes, sol.summary["notes"]
    assert "2025-26" in notes[0]
    assert "183 of its 365 days" in notes[0]
    assert "200.5 Mm3" in notes[0]
    # the licence left (400 Mm3 from April) given through the scenario's annual capacity, as documented
    sc = tmp_path / "sc.yaml"
    sc.write_text("scenarios:\n  - name: left\n    infrastructure:\n      annual_capacity: {BAK: 797.8 Mm3/yr}\n",
                  encoding="utf-8")
    r = runner.invoke(app, ["plan", "-b", str(basin), "-s", str(sc), "--out", str(tmp_path / "o"), "-q"])
    assert r.exit_code == 0, r.output
    flows = (tmp_path / "o" / "flows.csv").read_text().splitlines()
    used = sum(float(line.split(",")[4]) for line in flows[1:] if line.startswith("BAK,"))
    assert used == pytest.approx(400.0, abs=0.1)
    # a full water year: no note
    full = simulate("ile_balkhash", mode="optimise")
    assert not any(n.startswith("link ") for n in full.summary["notes"])
