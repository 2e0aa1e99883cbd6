"""Study commands: sweep, min-inflow, tradeoff, compare (registered on the main ``balkhash`` app)."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.table import Table

from .cli import (
    EXIT_INVALID,
    NAME_OPT,
    SCENARIO_OPT,
    START_OPT,
    YEARS_OPT,
    app,
    console,
    err_console,
    load_or_exit,
    print_problems,
    resolve_basin_path,
    scenarios_or_exit,
)

BASIN_OPT = typer.Option(None, "--basin", "-b", help="basin dir/file or bundled name [default: ile_balkhash]")


def _one_scenario(scenario, name, years, start, basin_path=None):
    scs = scenarios_or_exit(scenario, name, years, start, basin_path)
    if len(scs) > 1:
        err_console.print(f"[bold red]error[/bold red]: {scenario} holds {len(scs)} scenarios; choose one with --name")
        raise typer.Exit(EXIT_INVALID)
    sc = scs[0]
    plain = sc.model_dump(exclude_defaults=True, exclude={"name"}) == {}
    return None if plain else sc


def _values(start: float, stop: float, step: float) -> list[float]:
    if step <= 0 or stop < start:
        err_console.print("[bold red]error[/bold red]: need --from <= --to and --step > 0")
        raise typer.Exit(EXIT_INVALID)
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    return [round(start + i * step, 10) for i in range(n)]


def _progress(total: int, label: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                    TimeElapsedColumn(), console=err_console, transient=False, disable=total <= 1)


def _study_or_exit(b, sc, **options):
    from .network.errors import BasinError
    from .scenarios.studies import Study

    try:
        return Study(b, sc, **options)
    except BasinError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None


def _write_csv(df, path: Path) -> None:
    from .atomic import atomic_write

    atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))


@app.command()
def sweep(
    basin: str = BASIN_OPT,
    scenario: Path = SCENARIO_OPT,
    name: list[str] = NAME_OPT,
    years: int = YEARS_OPT,
    start_water_year: int = START_OPT,
    parameter: str = typer.Option("transboundary", "--parameter", "-p",
                                  help="transboundary (km3/yr) | inflow_multiplier | lake_inflow_target (km3/yr)"),
    start: float = typer.Option(6.0, "--from", help="first value"),
    stop: float = typer.Option(16.0, "--to", help="last value"),
    step: float = typer.Option(1.0, "--step", help="step"),
    out: Path = typer.Option(Path("out/sweep"), "--out", "-o", help="directory for sweep.csv and sweep_levels.csv"),
) -> None:
    """Re-solve one persistent model over a range of a scalar (default: the inflow from China)."""
    from .scenarios.studies import PARAMETERS
    from .scenarios.studies import sweep as run_sweep

    if parameter not in PARAMETERS:
        err_console.print(f"[bold red]error[/bold red]: --parameter must be one of {', '.join(PARAMETERS)}")
        raise typer.Exit(EXIT_INVALID)
    values = _values(start, stop, step)
    basin_path = resolve_basin_path(basin)
    b = load_or_exit(basin_path)
    sc = _one_scenario(scenario, name, years, start_water_year, basin_path)
    study = _study_or_exit(b, sc)
    if parameter == "transboundary" and study.tb_node is None:
        err_console.print("[bold red]error[/bold red]: the basin has no inflow with transboundary: true")
        raise typer.Exit(EXIT_INVALID)
    with _progress(len(values), f"sweep {parameter}") as prog:
        task = prog.add_task("", total=len(values))
        res = run_sweep(study, parameter, values,
                        progress=lambda v: prog.update(task, advance=1, description=f"{v:g}"))
    _write_csv(res.table, out / "sweep.csv")
    _write_csv(res.levels, out / "sweep_levels.csv")
    t = _table(f"Sweep over {parameter}: shortfall by sector (Mm3), lake")
    sector_cols = [c for c in res.table.columns if c.startswith("shortfall_")]
    short = {"agriculture": "agri", "industry": "ind", "utilities": "util", "fisheries": "fish",
             "environment": "env", "hydropower": "hydro"}
    for col in ["value", *[short.get(c.removeprefix("shortfall_").removesuffix("_mm3"),
                                     c.removeprefix("shortfall_").removesuffix("_mm3")) for c in sector_cols],
                "inflow km3", "end m", "min m", "dual"]:
        t.add_column(col, justify="right", no_wrap=True)
    t.add_column("violated", justify="right", no_wrap=True)
    for r in res.table.to_dict("records"):
        if r["status"] == "no_solution":
            t.add_row(f"{r['value']:g}", *["-"] * (len(sector_cols) + 4), "no solution")
            continue
        t.add_row(f"{r['value']:g}", *[f"{r[c]:,.0f}" for c in sector_cols], f"{r.get('lake_inflow_km3', 0):.2f}",
                  f"{r.get('lake_level_end_m', float('nan')):.2f}", f"{r.get('lake_level_min_m', float('nan')):.2f}",
                  f"{r.get('lake_inflow_dual', float('nan')):,.0f}", _violated_count(r.get("violated_targets")))
    console.print(t)
    groups: dict[str, list[str]] = {}
    for r in res.table.to_dict("records"):
        if r["status"] != "no_solution" and isinstance(r.get("violated_targets"), str) and r["violated_targets"]:
            groups.setdefault(r["violated_targets"], []).append(f"{r['value']:g}")
    for names, at in groups.items():
        console.print(f"violated at {', '.join(at)}: {names.replace(';', ', ')}", soft_wrap=True)
    mean = sum(res.solve_seconds) / max(1, len(res.solve_seconds))
    console.print(f"build {res.build_seconds:.2f} s once, then {mean:.2f} s per point (re-solve); "
                  f"shortfalls in Mm3 over the horizon; dual in cost per Mm3.\nresults: {out}")


def _table(title: str) -> Table:
    """A compact table (no vertical rules) that keeps numbers whole on an 80-column terminal."""
    from rich import box

    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                 collapse_padding=True, show_edge=False)


def _num(x, fmt: str) -> str:
    """A number for a table cell: '-' when missing, no negative zero."""
    if x is None or x != x:
        return "-"
    text = format(x + 0.0, fmt)
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def _violated_count(names) -> str:
    if not isinstance(names, str) or not names:
        return "-"
    return str(len([n for n in names.split(";") if n.strip()]))


@app.command("min-inflow")
def min_inflow_cmd(
    basin: str = BASIN_OPT,
    scenario: Path = SCENARIO_OPT,
    name: list[str] = NAME_OPT,
    years: int = YEARS_OPT,
    start_water_year: int = START_OPT,
    lo: float = typer.Option(0.0, "--lo", help="lower end of the search, km3/yr"),
    hi: float = typer.Option(30.0, "--hi", help="upper end of the search, km3/yr"),
    tol: float = typer.Option(0.01, "--tol", help="tolerance, km3/yr"),
    condition: str = typer.Option("targets", "--condition",
                                  help="what must hold: 'targets' (the lake inflow and level targets) or "
                                       "'level' (the level target alone; the inflow target is switched off)"),
) -> None:
    """Smallest transboundary inflow (km3/yr) for which the lake targets hold.

    Found (a) with every demand met and (b) with shortfalls allowed at their costs, by bisection,
    and confirmed by re-solves just above and below."""
    from .scenarios.studies import CONDITIONS, min_inflow

    if condition not in CONDITIONS:
        err_console.print(f"[bold red]error[/bold red]: --condition must be one of {', '.join(CONDITIONS)}")
        raise typer.Exit(EXIT_INVALID)
    if not (0.0 <= lo < hi) or not tol > 0.0:
        err_console.print("[bold red]error[/bold red]: need 0 <= --lo < --hi and --tol > 0 "
                          f"(got --lo {lo}, --hi {hi}, --tol {tol})")
        raise typer.Exit(EXIT_INVALID)

    basin_path = resolve_basin_path(basin)
    b = load_or_exit(basin_path)
    sc = _one_scenario(scenario, name, years, start_water_year, basin_path)
    study = _study_or_exit(b, sc)
    if study.tb_node is None:
        err_console.print("[bold red]error[/bold red]: the basin has no inflow with transboundary: true")
        raise typer.Exit(EXIT_INVALID)
    results = []
    for mode in ("all_demands_met", "shortfalls_allowed"):
        with _progress(2, f"min-inflow {mode}") as prog:
            task = prog.add_task("", total=None)
            def tick(v, prog=prog, task=task):
                prog.update(task, advance=1, description=f"{v:.3f}")

            results.append(min_inflow(study, mode, lo, hi, tol, progress=tick, condition=condition))
    what = "the lake targets" if condition == "targets" else "the lake level target"
    t = _table(f"Minimum inflow at {study.tb_node} for {what}")
    for col in ("condition", "minimum km3/yr", "holds just above", "holds just below", "solves"):
        t.add_column(col, no_wrap=True)
    for r in results:
        answer = "-" if r.answer_km3 is None else f"{r.answer_km3:.3f} +- {r.tolerance_km3:g}"
        t.add_row(r.mode.replace("_", " "), answer, str(r.above_holds), str(r.below_holds), str(r.solves))
    console.print(t)
    for r in results:
        console.print(f"{r.mode}: {r.message}")
    console.print(f"(basin mean at {study.tb_node}: {study.tb_base_km3:.2f} km3/yr)")


@app.command()
def tradeoff(
    basin: str = BASIN_OPT,
    scenario: Path = SCENARIO_OPT,
    name: list[str] = NAME_OPT,
    years: int = YEARS_OPT,
    start_water_year: int = START_OPT,
    start: float = typer.Option(8.0, "--from", help="first lake inflow target, km3/yr"),
    stop: float = typer.Option(14.0, "--to", help="last lake inflow target, km3/yr"),
    step: float = typer.Option(0.5, "--step", help="step, km3/yr"),
    out: Path = typer.Option(Path("out/tradeoff.csv"), "--out", "-o", help="CSV file for the frontier"),
) -> None:
    """Frontier between agricultural delivery and lake inflow (epsilon-constraint on the lake target)."""
    from .network.errors import BasinError
    from .scenarios.studies import tradeoff as run_tradeoff

    values = _values(start, stop, step)
    basin_path = resolve_basin_path(basin)
    b = load_or_exit(basin_path)
    sc = _one_scenario(scenario, name, years, start_water_year, basin_path)
    try:
        with _progress(len(values), "tradeoff") as prog:
            task = prog.add_task("", total=len(values))
            df = run_tradeoff(b, sc, values, progress=lambda v: prog.update(task, advance=1, description=f"{v:g}"))
    except BasinError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    _write_csv(df, out)
    t = _table("Agriculture vs lake inflow frontier")
    for col in ("lake target\nkm3", "lake inflow\nkm3", "agri delivered\nMm3", "agri short\nMm3",
                "shortfall\ncost", "cost per extra\nlake km3", "farm km3 lost\nper lake km3"):
        t.add_column(col, justify="right")
    for r in df.to_dict("records"):
        if r["status"] != "optimal":
            t.add_row(f"{r['lake_inflow_target_km3']:g}", r["status"], "", "", "", "", "")
            continue
        t.add_row(f"{r['lake_inflow_target_km3']:g}", f"{r['lake_inflow_km3']:.2f}",
                  f"{r['agriculture_delivered_mm3']:,.0f}", f"{r['agriculture_shortfall_mm3']:,.0f}",
                  f"{r['shortfall_cost']:,.0f}",
                  _num(r["marginal_cost_per_km3"], ",.0f"), _num(r["farm_km3_lost_per_lake_km3"], ".2f"))
    console.print(t)
    console.print(f"results: {out}")


@app.command()
def compare(
    basin: str = BASIN_OPT,
    scenario: Path = typer.Option(..., "--scenario", "-s", help="scenario YAML file with several scenarios"),
    name: list[str] = NAME_OPT,
    years: int = YEARS_OPT,
    start_water_year: int = START_OPT,
    out: Path = typer.Option(Path("out/compare.csv"), "--out", "-o", help="CSV file for the comparison"),
) -> None:
    """Run several scenarios and show sector shortfalls, lake, storage and energy side by side."""
    from .network.errors import BasinError
    from .scenarios.studies import compare as run_compare

    basin_path = resolve_basin_path(basin)
    b = load_or_exit(basin_path)
    scs = scenarios_or_exit(scenario, name, years, start_water_year, basin_path)
    try:
        with _progress(len(scs), "compare") as prog:
            task = prog.add_task("", total=len(scs))
            df = run_compare(b, scs, progress=lambda n: prog.update(task, advance=1, description=n))
    except BasinError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    df.index.name = "figure"
    df.to_csv(out)
    for t in _comparison_tables(df, console.width):
        console.print(t)
    console.print(f"results: {out}")


def _comparison_tables(df, width: int) -> list[Table]:
    """The comparison as one table per group of scenario columns that fits the console width, the
    figure names repeated in each, so no cell is cut on a narrow terminal."""
    cells = {c: [_num(v, ",.2f") if isinstance(v, float) else str(v) for v in df[c]] for c in df.columns}
    label_w = max([len("figure")] + [len(str(i)) for i in df.index])
    col_w = {c: max([len(str(c))] + [len(s) for s in cells[c]]) for c in df.columns}
    groups, cur, used = [], [], label_w
    for c in df.columns:
        if cur and used + 2 + col_w[c] > width:
            groups.append(cur)
            cur, used = [], label_w
        cur.append(c)
        used += 2 + col_w[c]
    groups.append(cur)
    tables = []
    for k, cols in enumerate(groups, 1):
        title = "Scenario comparison" + (f" ({k}/{len(groups)})" if len(groups) > 1 else "")
        t = _table(title)
        t.add_column("figure", no_wrap=True)
        for c in cols:
            t.add_column(str(c), justify="right", no_wrap=True)
        for i, idx in enumerate(df.index):
            t.add_row(str(idx), *[cells[c][i] for c in cols])
        tables.append(t)
    return tables
