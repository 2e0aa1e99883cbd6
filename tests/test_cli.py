"""The command line, run in-process with typer's runner (and once as a real process)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from balkhash.cli import app

runner = CliRunner()

TABLES = ["flows", "deliveries", "storage", "targets", "duals", "inflows", "hydropower"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_plan_writes_every_table_and_summary(tmp_path):
    out = tmp_path / "res"
    r = run("plan", "--basin", "small_basin", "--out", out)
    assert r.exit_code == 0, r.output
    for name in TABLES:
        assert (out / f"{name}.csv").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert {"objective", "timings", "lakes", "shortfall_mm3_by_sector", "violations"} <= set(summary)
    assert {"build", "solve", "extract"} <= set(summary["timings"])
    lake = summary["lakes"][0]
    assert {"node", "annual_inflow_km3", "level_start_m", "level_end_m", "level_min_m"} <= set(lake)
    flows = pd.read_csv(out / "flows.csv")
    assert list(flows.columns[:6]) == ["link_id", "from", "to", "period", "flow_mm3", "flow_m3s"]
    d = pd.read_csv(out / "deliveries.csv")
    assert list(d.columns[:6]) == ["demand", "sector", "period", "target_mm3", "delivered_mm3", "shortfall_mm3"]
    # the console summary speaks of sectors and the lake
    assert "agriculture" in r.output
    assert "level" in r.output


def test_plan_is_atomic_on_failure(tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    (out / "keep.txt").write_text("old results")
    r = run("plan", "--basin", "small_basin", "--out", out, "--format", "nope")
    assert r.exit_code != 0
    assert (out / "keep.txt").read_text() == "old results"
    assert [p.name for p in tmp_path.iterdir()] == ["res"]  # no temporary directory left behind


def test_plan_replaces_previous_results_and_nothing_else(tmp_path):
    out = tmp_path / "res"
    (out / "other_run").mkdir(parents=True)
    (out / "other_run" / "flows.csv").write_text("another run")
    (out / "notes.txt").write_text("mine")
    (out / "flows.csv").write_text("old")
    (out / "flows.parquet").write_text("old, other format")
    assert run("plan", "-b", "tiny_river", "-o", out, "-q").exit_code == 0
    assert pd.read_csv(out / "flows.csv").columns[0] == "link_id"  # replaced
    assert not (out / "flows.parquet").exists()  # a stale result of another format goes
    assert (out / "notes.txt").read_text() == "mine"  # anything else stays
    assert (out / "other_run" / "flows.csv").read_text() == "another run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no temporary directory left


def test_plan_xlsx_format(tmp_path):
    pytest.importorskip("openpyxl")
    r = run("plan", "-b", "tiny_river", "-o", tmp_path / "x", "-f", "xlsx", "-q")
    assert r.exit_code == 0, r.output
    sheets = pd.read_excel(tmp_path / "x" / "results.xlsx", sheet_name=None)
    assert set(TABLES) <= set(sheets)


def test_errors_map_to_exit_codes_through_their_class():
    from balkhash.allocation.pyomo_model import SolverUnavailable
    from balkhash.allocation.solve import SolveError
    from balkhash.allocation.writer import OutputError
    from balkhash.cli.errors import CommandError, exit_code, is_no_solution, writing
    from balkhash.outputs.sweep import SweepError

    assert exit_code(SolveError("no water", "infeasible")) == 3  # no solution (2: usage errors)
    assert is_no_solution(SolveError("no water", "infeasible"))
    for exc in (OutputError("x"), SweepError("x"), SolverUnavailable("x"), CommandError("x")):
        assert exit_code(exc) == 1, exc
        assert not is_no_solution(exc)
    assert exit_code(ValueError("a bug")) is None
    with pytest.raises(CommandError, match="cannot write the plots: disk full"), writing("the plots"):
        raise OutputError("disk full")
    with pytest.raises(SweepError), writing("the report"):
        raise SweepError("no sweep table")


def test_validate_exit_codes(tmp_path):
    assert run("validate", "tiny_river").exit_code == 0
    bad = tmp_path / "basin.yaml"
    bad.write_text("name: bad\nnodes:\n  - {id: A, type: inflow, inflow: 5 m3/s}\n"
                   "links:\n  - {id: L, from: A, to: NOWHERE}\n")
    r = run("validate", bad)
    assert r.exit_code == 1
    assert "NOWHERE" in r.output
    assert "Traceback" not in r.output
    assert run("validate", tmp_path / "missing").exit_code == 1


def test_strict_infeasible_names_the_target(tmp_path):
    scen = tmp_path / "s.yaml"
    scen.write_text("name: impossible\ntargets: {lake_inflow_km3: 5.0}\n")
    r = run("plan", "-b", "small_basin", "-o", tmp_path / "o", "--strict", "--scenario", scen)
    assert r.exit_code == 3  # no solution; 2 is a usage error
    assert "LAKE-INFLOW" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_plan_with_scenarios_writes_one_directory_each(tmp_path):
    scen = tmp_path / "s.yaml"
    scen.write_text("scenarios:\n  - name: dry\n    inflow_multipliers: {all: 0.7}\n  - name: wet\n"
                    "    inflow_multipliers: {all: 1.2}\n")
    r = run("plan", "-b", "small_basin", "-o", tmp_path / "o", "-s", scen, "-q")
    assert r.exit_code == 0, r.output
    dry = json.loads((tmp_path / "o" / "dry" / "summary.json").read_text())
    wet = json.loads((tmp_path / "o" / "wet" / "summary.json").read_text())
    assert dry["scenario"] == "dry"
    assert sum(dry["shortfall_mm3_by_sector"].values()) >= sum(wet["shortfall_mm3_by_sector"].values())
    r = run("plan", "-b", "small_basin", "-o", tmp_path / "o2", "-s", scen, "-n", "nope")
    assert r.exit_code == 1
    assert "no scenario named nope" in r.output


def test_plan_years_option(tmp_path):
    r = run("plan", "-b", "small_basin", "-o", tmp_path / "o", "--years", "2", "-q")
    assert r.exit_code == 0, r.output
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["periods"]["count"] == 24
    assert len(s["lakes"][0]["annual_inflow_km3"]) == 2


def test_study_commands(tmp_path):
    r = run("sweep", "-b", "small_basin", "--from", "0.4", "--to", "1.0", "--step", "0.3", "-o", tmp_path / "sw")
    assert r.exit_code == 0, r.output
    table = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert list(table["value"]) == [0.4, 0.7, 1.0]
    assert (tmp_path / "sw" / "sweep_levels.csv").exists()
    r = run("min-inflow", "-b", "small_basin", "--hi", "3", "--tol", "0.02")
    assert r.exit_code == 0, r.output
    # 0.48: below it the lake holds only by emptying the reservoir under its end-storage target
    assert "shortfalls_allowed: 0.48" in r.output
    assert "holds at" in r.output
    r = run("tradeoff", "-b", "small_basin", "--from", "0.5", "--to", "0.9", "--step", "0.2",
            "-o", tmp_path / "t.csv")
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(tmp_path / "t.csv")) == 3
    scen = tmp_path / "s.yaml"
    scen.write_text("scenarios:\n  - name: base\n  - name: dry\n    inflow_multipliers: {all: 0.7}\n")
    r = run("compare", "-b", "small_basin", "-s", scen, "-o", tmp_path / "c.csv")
    assert r.exit_code == 0, r.output
    assert list(pd.read_csv(tmp_path / "c.csv", index_col=0).columns) == ["base", "dry"]


def test_bad_sweep_range_is_a_clear_error():
    r = run("sweep", "-b", "small_basin", "--from", "5", "--to", "1")
    assert r.exit_code == 1
    assert "--from <= --to" in r.output


@pytest.mark.parametrize("args", [["--lo", "5", "--hi", "4"], ["--tol", "0"], ["--lo", "-1"]])
def test_bad_min_inflow_search_range_is_a_clear_error(args):
    r = run("min-inflow", "-b", "small_basin", *args)
    assert r.exit_code == 1
    assert "need 0 <= --lo < --hi and --tol > 0" in r.output


def test_non_positive_time_limit_is_refused(tmp_path):
    r = run("plan", "-b", "tiny_river", "--time-limit", "-1", "-o", tmp_path / "o")
    assert r.exit_code == 2
    assert "--time-limit" in r.output
    assert not (tmp_path / "o").exists()


def test_highs_options_reach_highs(tmp_path):
    # an iteration limit of 0 stops HiGHS before a solution: the option reached the solve
    r = run("plan", "-b", "small_basin", "--highs-option", "simplex_iteration_limit=0", "-o", tmp_path / "cut")
    assert r.exit_code == 3, r.output
    assert "iteration" in r.output.lower()
    assert not (tmp_path / "cut").exists()
    # a setting that does not change the optimum: the same objective as HiGHS's defaults, in step mode too
    for extra in ([], ["--highs-option", "simplex_dual_edge_weight_strategy=0", "--highs-option", "presolve=off"]):
        for mode in ("optimise", "step"):
            out = tmp_path / f"{mode}{len(extra)}"
            r = run("plan", "-b", "small_basin", "--mode", mode, *extra, "-o", out, "-q")
            assert r.exit_code == 0, r.output
    for mode in ("optimise", "step"):
        plain = json.loads((tmp_path / f"{mode}0" / "summary.json").read_text())
        tuned = json.loads((tmp_path / f"{mode}4" / "summary.json").read_text())
        assert tuned["objective"] == pytest.approx(plain["objective"], rel=1e-9)


@pytest.mark.parametrize(("given", "message"), [
    ("no_such_option=1", "HiGHS refused it"),
    ("presolve=sometimes", "HiGHS refused it"),
    ("time_limit=soon", "HiGHS refused it"),
    ("presolve", "expected NAME=VALUE"),
])
def test_bad_highs_option_is_refused_before_solving(tmp_path, given, message):
    r = run("plan", "-b", "tiny_river", "--highs-option", given, "-o", tmp_path / "o")
    assert r.exit_code == 1, r.output
    assert message in r.output
    assert given.split("=")[0] in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_report_takes_highs_options(tmp_path):
    r = run("report", "-b", "tiny_river", "--highs-option", "no_such_option=1", "-o", tmp_path / "r.html")
    assert r.exit_code == 1, r.output
    assert "no_such_option" in r.output
    assert not (tmp_path / "r.html").exists()
    r = run("report", "-b", "tiny_river", "--highs-option", "simplex_iteration_limit=0", "-o", tmp_path / "r.html")
    assert r.exit_code == 3, r.output
    r = run("report", "-b", "tiny_river", "--highs-option", "presolve=off", "-o", tmp_path / "r.html")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "r.html").exists()


def test_highs_option_with_another_solver_is_refused(tmp_path):
    r = run("plan", "-b", "tiny_river", "--solver", "glpk", "--highs-option", "presolve=off", "-o", tmp_path / "o")
    assert r.exit_code == 1, r.output
    assert "--highs-option" in r.output
    assert "glpk" in r.output
    assert not (tmp_path / "o").exists()


def test_console_script_runs_as_a_process(tmp_path):
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "balkhash.cli", "plan", "-b", "tiny_river", "-o", str(tmp_path / "o")],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "results:" in r.stdout
    assert "Running HiGHS" not in r.stdout  # the solver banner stays quiet


@pytest.mark.skipif(shutil.which("glpsol") is None, reason="GLPK (glpsol, Debian's glpk-utils) is not installed")
def test_plan_with_glpk_reaches_the_objective_of_highs(tmp_path):
    r = run("plan", "--out", tmp_path / "highs", "--quiet")
    assert r.exit_code == 0, r.output
    r = run("plan", "--solver", "glpk", "--out", tmp_path / "glpk", "--quiet")
    assert r.exit_code == 0, r.output
    highs = json.loads((tmp_path / "highs" / "summary.json").read_text())
    glpk = json.loads((tmp_path / "glpk" / "summary.json").read_text())
    assert highs["solver"] == "highs"
    assert glpk["solver"] == "glpk"
    assert glpk["status"] == "optimal"
    assert glpk["objective"] == pytest.approx(highs["objective"], rel=1e-6)


def test_plan_with_an_unknown_solver_exits_1_naming_it(tmp_path):
    r = run("plan", "--basin", "tiny_river", "--solver", "no_such_solver", "--out", tmp_path / "o")
    assert r.exit_code == 1, r.output
    assert "solver 'no_such_solver' is not available" in r.output
    assert "--solver" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_plan_writes_the_lp_file_from_the_pyomo_model(tmp_path):
    lp = tmp_path / "lp" / "model.lp"
    r = run("plan", "--basin", "tiny_river", "--out", tmp_path / "o", "--write-lp", lp)
    assert r.exit_code == 0, r.output
    text = lp.read_text()
    assert text.startswith("\\* Source Pyomo model name=")
    assert "\nmin \nobjective:" in text
    assert "c_e_balance(" in text
    assert "flow(" in text
    # one equality row per balance node (inflow, junction, demand) and period
    from balkhash.data import example_path
    from balkhash.network import load_basin

    b = load_basin(example_path("tiny_river"))
    balance_nodes = [n for n in b.nodes if n.type in ("inflow", "junction", "demand")]
    assert len(balance_nodes) == 2
    assert b.calendar.periods == 12
    assert text.count("c_e_balance(") == len(balance_nodes) * b.calendar.periods


def test_bundled_scenarios_found_by_name_in_the_basin_directory(tmp_path):
    r = run("plan", "--scenario", "scenarios.yaml", "--name", "dry_2014", "--out", tmp_path / "o", "--quiet")
    assert r.exit_code == 0, r.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["scenario"] == "dry_2014"
    r = run("plan", "--scenario", "no_such_file.yaml", "--out", tmp_path / "o2")
    assert r.exit_code == 1
    assert "no_such_file.yaml" in r.output


def test_scenario_reference_errors_name_the_scenario_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ninflow_multipliers: {NOPE: 2}\n")
    r = run("plan", "--scenario", bad, "--out", tmp_path / "o")
    assert r.exit_code == 1
    assert f"{bad}: scenario 'bad': inflow_multipliers.NOPE: unknown node" in " ".join(r.output.split())
    assert not (tmp_path / "o").exists()


def test_a_scenario_making_the_basin_invalid_is_refused_before_any_solve(tmp_path):
    """Both scenarios are checked before either is solved; the problems are printed literally
    (the bracketed range is not taken for markup)."""
    scen = tmp_path / "s.yaml"
    scen.write_text("scenarios:\n  - name: fine\n    inflow_multipliers: {all: 0.9}\n"
                    "  - name: small_res\n    infrastructure: {reservoir_range: {RES: {max_storage: 120 Mm3}}}\n")
    r = run("plan", "-b", "small_basin", "-o", tmp_path / "o", "-s", scen)
    assert r.exit_code == 1, r.output
    text = " ".join(r.output.split())
    assert (f"{scen}: scenario 'small_res': infrastructure.reservoir_range.RES.max_storage: the basin with this "
            "scenario is not valid: node 'RES': initial_storage: 150 Mm3 is outside [min_storage, max_storage] = "
            "[20, 120] Mm3") in text
    assert "Traceback" not in r.output
    assert "optimal" not in r.output
    assert not (tmp_path / "o").exists()  # not even the valid scenario was solved and written
    for cmd in (["sweep", "--from", "0.5", "--to", "0.6", "--step", "0.1", "-o", tmp_path / "sw"],
                ["compare", "-o", tmp_path / "c.csv"], ["min-inflow"], ["tradeoff", "-o", tmp_path / "t.csv"]):
        names = [] if cmd[0] == "compare" else ["-n", "small_res"]
        r = run(*cmd, "-b", "small_basin", "-s", scen, *names)
        assert r.exit_code == 1, (cmd, r.output)
        assert "[20, 120] Mm3" in r.output, (cmd, r.output)
    assert not (tmp_path / "sw").exists()
    assert not (tmp_path / "c.csv").exists()


def test_usage_errors_are_messages_with_exit_code_1():
    r = run("sweep", "-b", "small_basin", "--parameter", "rain")
    assert r.exit_code == 1
    assert "error: --parameter must be one of transboundary" in r.output
    r = run("plan", "-b", "no_such_basin")
    assert r.exit_code == 1
    assert "'no_such_basin' is neither a basin directory" in " ".join(r.output.split())
    r = run("plan", "-b", "small_basin", "-n", "dry")
    assert r.exit_code == 1
    assert "--name needs --scenario FILE" in r.output
    assert "Traceback" not in r.output


def test_study_tables_round_for_display_only(tmp_path):
    """sweep.csv keeps full precision; the console shows the figures rounded."""
    r = run("sweep", "-b", "small_basin", "--from", "0.45", "--to", "0.45", "--step", "0.1", "-o", tmp_path / "sw")
    assert r.exit_code == 0, r.output
    row = pd.read_csv(tmp_path / "sw" / "sweep.csv").iloc[0]
    assert row["lake_level_end_m"] != round(row["lake_level_end_m"], 4)  # not the summary's rounding
    assert f"{row['lake_level_end_m']:.2f}" in r.output
    assert f"{row['lake_level_end_m']:.4f}" not in r.output


def test_comparison_splits_into_tables_that_fit_the_console():
    from rich.console import Console

    from balkhash.cli.study_tables import comparison_tables as _comparison_tables

    df = pd.DataFrame({f"scenario_{k}": [1234567.891 * k, float("nan"), "optimal"] for k in range(1, 7)},
                      index=["objective", "HPP_KERBULAK energy (GWh)", "status"])
    tables = _comparison_tables(df, 60)
    assert len(tables) > 1
    console = Console(width=60, record=True)
    for t in tables:
        console.print(t)
    text = console.export_text()
    assert "…" not in text
    assert all(len(line) <= 60 for line in text.splitlines())
    for k in range(1, 7):
        assert f"scenario_{k}" in text
        assert f"{1234567.891 * k:,.2f}" in text
    assert text.count("HPP_KERBULAK energy (GWh)") == len(tables)  # figure names in every part
    assert _comparison_tables(df, 400)[0].title == "Scenario comparison"  # one table when it fits


def test_out_that_is_a_file_is_a_clear_error(tmp_path):
    f = tmp_path / "results"
    f.write_text("not a directory")
    r = run("plan", "-b", "tiny_river", "-o", f, "-q")
    assert r.exit_code == 1, r.output
    text = " ".join(r.output.split())  # the console wraps long paths
    assert "cannot write results" in text
    assert "exists and is not a directory" in text
    assert "Traceback" not in r.output
    assert f.read_text() == "not a directory"


# -- arguments that do not fit are refused before anything is solved -----------------------------------
@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["plan", "--years", "1000"], 2, "--years"),
        (["plan", "--start-water-year", "-5"], 2, "--start-water-year"),
        (["sweep", "--from", "nan"], 1, "--from, --to and --step must be finite numbers (got nan, 16, 1)"),
        (["sweep", "--from", "-5"], 1, "--from must be >= 0"),
        (["sweep", "--to", "inf"], 1, "must be finite numbers"),
        (["tradeoff", "--from", "-1"], 1, "--from must be >= 0"),
        (["sweep", "--from", "0", "--to", "10", "--step", "1e-9"], 1, "gives more than 10000 points"),
        (["plan", "--basin", "tiny_river", "--plan-out", "{tmp}"], 1, "is a directory: give the workbook file"),
        (["plan", "--basin", "tiny_river", "--plan-out", "{tmp}/plan.csv"], 1, "the allocation plan is an .xlsx"),
    ],
)
def test_arguments_out_of_range_are_refused(tmp_path, args, code, fragment):
    r = run(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert r.exit_code == code, r.output
    assert fragment in " ".join(r.output.split()), r.output
    assert "Traceback" not in r.output
    assert not list(tmp_path.iterdir())  # nothing written (no DIR.xlsx next to DIR)


@pytest.mark.parametrize("bad", ["../escape", "", ".", "a/b", "..", "/abs"])
def test_a_scenario_name_is_never_a_path(tmp_path, bad):
    f = tmp_path / "s.yaml"
    f.write_text(f"scenarios:\n  - name: ok\n  - name: {json.dumps(bad)}\n")
    out = tmp_path / "o" / "res"
    r = run("plan", "--basin", "tiny_river", "--scenario", f, "--out", out)
    assert r.exit_code == 1, r.output
    assert "scenarios[1]" in r.output or "scenario '" in r.output
    assert "name: " in r.output
    assert "is not a valid name: letters, digits, _ - . and starting with a letter or digit" \
        in " ".join(r.output.split())
    assert not (tmp_path / "o").exists()
    assert not (tmp_path / "escape").exists()


def test_version_alone_prints_the_version():
    from balkhash import __version__

    r = run("--version")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == f"balkhash {__version__}"


def test_usage_errors_and_no_solution_have_distinct_exit_codes(tmp_path):
    from balkhash.errors import EXIT_INVALID, EXIT_NO_SOLUTION, EXIT_USAGE

    assert len({0, EXIT_INVALID, EXIT_USAGE, EXIT_NO_SOLUTION}) == 4
    assert run("plan", "--no-such-option").exit_code == EXIT_USAGE
    scen = tmp_path / "s.yaml"
    scen.write_text("name: impossible\ntargets: {lake_inflow_km3: 5.0}\n")
    r = run("plan", "-b", "small_basin", "-o", tmp_path / "o", "--strict", "--scenario", scen)
    assert r.exit_code == EXIT_NO_SOLUTION, r.output


def test_no_solution_without_a_scenario_names_no_scenario(tmp_path):
    r = run("plan", "--highs-option", "simplex_iteration_limit=1", "-o", tmp_path / "o")
    assert r.exit_code == 3, r.output
    assert r.output.lstrip().startswith("no solution (iteration_limit)"), r.output  # not 'base: no solution'


def test_report_refuses_a_sweep_of_another_basin(tmp_path):
    sweep_dir = tmp_path / "sweep"
    r = run("sweep", "-b", "small_basin", "--from", "0.8", "--to", "1.0", "--step", "0.2",
            "--parameter", "inflow_multiplier", "--out", sweep_dir)
    assert r.exit_code == 0, r.output
    about = json.loads((sweep_dir / "sweep.json").read_text())
    assert about["basin"] == "Small basin"
    assert about["lakes"] == ["LAKE"]
    r = run("report", "-b", "tiny_river", "--sweep", sweep_dir, "--out", tmp_path / "r.html")
    assert r.exit_code == 1, r.output
    assert "was computed for basin 'Small basin', not 'Tiny river'" in " ".join(r.output.split())
    assert not (tmp_path / "r.html").exists()
    (sweep_dir / "sweep.json").unlink()  # an older sweep: its lake and sectors still tell
    r = run("report", "-b", "tiny_river", "--sweep", sweep_dir, "--out", tmp_path / "r.html")
    assert r.exit_code == 1, r.output
    assert "computed for another basin" in " ".join(r.output.split())


def test_the_readme_tradeoff_example_has_a_frontier(tmp_path):
    """The README's tradeoff line binds: irrigation gives up water as the lake target rises (a range
    below what the lake receives anyway gives an all-zero frontier)."""
    import shlex

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    [line] = [ln for ln in readme.splitlines() if ln.startswith("balkhash tradeoff ")]
    args = shlex.split(line.split("#")[0])[1:]
    args[args.index("--step") + 1] = "1"  # fewer points, the same range
    r = run(*args, "--out", tmp_path / "t.csv")
    assert r.exit_code == 0, r.output
    df = pd.read_csv(tmp_path / "t.csv")
    assert df["agriculture_shortfall_mm3"].iloc[-1] > df["agriculture_shortfall_mm3"].iloc[0] + 1.0
    assert (df["marginal_cost_per_km3"] > 0).sum() >= 2


def test_out_may_be_a_directory_for_every_command(tmp_path):
    """--out DIR works for every command: plan and sweep write their files into DIR, report,
    tradeoff and compare their one file (a path with a suffix still names the file)."""
    scen = tmp_path / "s.yaml"
    scen.write_text("scenarios:\n  - name: a\n  - name: b\n    inflow_multipliers: {all: 0.9}\n")
    out = tmp_path / "results"
    assert run("compare", "-b", "tiny_river", "--scenario", scen, "--out", out).exit_code == 0
    assert (out / "compare.csv").is_file()
    r = run("tradeoff", "-b", "small_basin", "--from", "0", "--to", "1", "--out", out)
    assert r.exit_code == 0, r.output
    assert (out / "tradeoff.csv").is_file()
    r = run("report", "-b", "tiny_river", "--out", tmp_path / "site")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "site" / "report.html").is_file()
    r = run("report", "-b", "tiny_river", "--out", tmp_path / "named.html")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "named.html").is_file()


def test_the_console_gives_the_objective_its_unit(tmp_path):
    r = run("plan", "-b", "tiny_river", "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    assert "(cost units: shortfall costs and penalties)" in " ".join(r.output.split())


def test_sweep_and_min_inflow_take_a_policy(tmp_path):
    """At 6 km3/yr from China, the users' own costs (--policy none) keep the lake as close to 12 km3
    as they can by cutting irrigation deeper than the default water_code policy, which cuts the
    lake and irrigation together; an unknown policy is named before anything is solved."""
    short, lake = {}, {}
    for policy in ("none", None):
        out = tmp_path / f"sweep-{policy}"
        r = run("sweep", "--from", "6", "--to", "6", "-o", out, *(["--policy", policy] if policy else []))
        assert r.exit_code == 0, r.output
        row = pd.read_csv(out / "sweep.csv").iloc[0]
        short[policy], lake[policy] = row["shortfall_agriculture_mm3"], row["lake_inflow_km3"]
    assert short["none"] > short[None] + 1000.0
    assert lake["none"] > lake[None] + 1.0
    r = run("min-inflow", "--policy", "kazakh")
    assert r.exit_code == 1
    assert "--policy: unknown policy 'kazakh'" in r.output
    r = run("sweep", "--policy", "kazakh", "-o", tmp_path / "x")
    assert r.exit_code == 1
    assert "--policy: unknown policy 'kazakh'" in r.output
    assert not (tmp_path / "x").exists()
