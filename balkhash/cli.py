"""The ``balkhash`` command line: thin wrappers that parse options, call the library and report.

Heavy libraries (pyomo, pandas, highspy) are imported inside the commands that need them.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Water allocation LP for the Ile-Balkhash basin (Pyomo + HiGHS).",
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
console = Console()
err_console = Console(stderr=True)

EXIT_INVALID = 1
EXIT_NO_SOLUTION = 2


class Format(str, Enum):
    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"


def resolve_basin_path(basin: str | None) -> Path:
    """A basin argument: a directory, a basin.yaml, or the name of a bundled dataset/example."""
    from .data import data_dir, default_basin_path, example_names, example_path

    if basin is None:
        return default_basin_path()
    p = Path(basin)
    if p.exists():
        return p
    if basin in example_names():
        return example_path(basin)
    if (data_dir() / basin / "basin.yaml").exists():
        return data_dir() / basin
    names = ", ".join(["ile_balkhash", *example_names()])
    err_console.print(f"[bold red]error[/bold red]: '{basin}' is neither a basin directory, a basin.yaml, "
                      f"nor a bundled basin ({names})", soft_wrap=True)
    raise typer.Exit(EXIT_INVALID)


def print_problems(problems) -> None:
    err_console.print(f"[bold red]{len(problems)} problem(s) found:[/bold red]")
    for p in problems:
        err_console.print(f"  [red]-[/red] {p}", highlight=False, soft_wrap=True)


def load_or_exit(path: Path):
    from .network.errors import BasinError
    from .network.io import load_basin

    try:
        return load_basin(path)
    except BasinError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None


@app.command()
def validate(path: str = typer.Argument(..., help="basin directory, basin.yaml, or bundled basin name")) -> None:
    """Check a basin: schema, files, graph and values. Exit 0 when valid, 1 when not."""
    basin_path = resolve_basin_path(path)
    basin = load_or_exit(basin_path)
    console.print(
        f"[green]valid[/green]: {basin.name} — {len(basin.nodes)} nodes, {len(basin.links)} links, "
        f"{len(basin.targets)} targets, {basin.calendar.periods} periods from {basin.calendar.start}"
        f" ({basin_path})"
    )


def scenarios_or_exit(file: Path | None, names: list[str] | None, years: int | None, start: int | None,
                      basin_path: Path | None = None):
    """The scenarios to run: from a file (all, or those named), else one base scenario; the
    command-line --years / --start-water-year override each scenario's horizon.  A scenario file
    that is not found as given is looked up in the basin's directory (the bundled basins ship
    their scenarios: ``--scenario scenarios.yaml``)."""
    if file is not None and not Path(file).exists() and basin_path is not None:
        base = basin_path if basin_path.is_dir() else basin_path.parent
        if (base / Path(file).name).is_file():
            file = base / Path(file).name
    from .network.errors import BasinError
    from .scenarios.io import load_scenarios, select
    from .scenarios.schema import Scenario

    if file is None:
        if names:
            err_console.print("[bold red]error[/bold red]: --name needs --scenario FILE")
            raise typer.Exit(EXIT_INVALID)
        scs = [Scenario(name="base")]
    else:
        try:
            scs = select(load_scenarios(file), names, str(file))
        except BasinError as exc:
            print_problems(exc.problems)
            raise typer.Exit(EXIT_INVALID) from None
    for sc in scs:
        if years is not None:
            sc.years = years
        if start is not None:
            sc.start_water_year = start
    return scs


def build_or_exit(b, sc, **options):
    """An Allocation for basin ``b`` under scenario ``sc``; exits 1 on an invalid scenario."""
    from .allocation.solve import Allocation
    from .network.errors import BasinError

    plain = sc is None or sc.model_dump(exclude_defaults=True, exclude={"name"}) == {}
    try:
        return Allocation(b, scenario=None if plain else sc, **options)
    except BasinError as exc:
        print_problems(exc.problems)
        raise typer.Exit(EXIT_INVALID) from None


SCENARIO_OPT = typer.Option(None, "--scenario", "-s", help="scenario YAML file (one or several scenarios); "
                            "a file not found as given is looked up in the basin's directory, so "
                            "'scenarios.yaml' names the bundled basin's own")
NAME_OPT = typer.Option(None, "--name", "-n", help="scenario name to run (repeatable) [default: all in the file]")
YEARS_OPT = typer.Option(None, "--years", min=1, help="number of water years in the horizon")
START_OPT = typer.Option(None, "--start-water-year", help="first water year, e.g. 2025 for 2025-10..2026-09")


@app.command()
def plan(
    basin: str = typer.Option(None, "--basin", "-b", help="basin dir/file or bundled name [default: ile_balkhash]"),
    out: Path = typer.Option(Path("out"), "--out", "-o", help="directory for the result tables"),
    fmt: Format = typer.Option(Format.csv, "--format", "-f", help="table format"),
    scenario: Path = SCENARIO_OPT,
    name: list[str] = NAME_OPT,
    years: int = YEARS_OPT,
    start_water_year: int = START_OPT,
    strict: bool = typer.Option(False, "--strict", help="make every target hard (infeasible if not met)"),
    fair_sharing: bool = typer.Option(None, "--fair-sharing/--no-fair-sharing", help="override the basin option"),
    time_limit: float = typer.Option(None, "--time-limit", min=0.001, help="solver time limit, seconds"),
    solver_log: bool = typer.Option(False, "--solver-log", help="show the HiGHS log"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print only where the results went"),
    plan_out: Path = typer.Option(None, "--plan-out", help="also write the seasonal allocation plan workbook (.xlsx)"),
    plots: Path = typer.Option(None, "--plots", help="also write PNG plots into this directory"),
    write_lp: Path = typer.Option(None, "--write-lp", help="also write the LP (CPLEX LP format, from the Pyomo "
                                  "model) to this file"),
) -> None:
    """Solve the allocation LP and write the result tables (one directory per scenario)."""
    from time import perf_counter

    t0 = perf_counter()
    basin_path = resolve_basin_path(basin)
    b = load_or_exit(basin_path)
    scs = scenarios_or_exit(scenario, name, years, start_water_year, basin_path)
    from .allocation.solve import SolveError
    from .allocation.writer import OutputError, write_solution

    failed = False
    for i, sc in enumerate(scs):
        dest_dir = out if len(scs) == 1 else out / sc.name
        step = f"[{i + 1}/{len(scs)}] " if len(scs) > 1 else ""
        with _working(f"{step}{sc.name}: building and solving", quiet or solver_log):
            alloc = build_or_exit(b, sc, strict=strict, fair_sharing=fair_sharing, time_limit=time_limit,
                                  log=solver_log)
            try:
                sol = alloc.solve()
            except SolveError as exc:
                sol = None
                error = exc
        if sol is None:
            err_console.print(f"[bold red]{sc.name}: no solution ({error.status})[/bold red]: {error}", soft_wrap=True)
            failed = True
            continue
        info = {"basin_path": str(basin_path), "scenario": sc.name,
                "scenario_file": str(scenario) if scenario else None}
        try:
            dest = write_solution(sol, dest_dir, fmt.value, extra=info)
        except (OutputError, OSError) as exc:
            err_console.print(f"[bold red]cannot write results[/bold red]: {exc}")
            raise typer.Exit(EXIT_INVALID) from None
        suffix = f"-{sc.name}" if len(scs) > 1 else ""
        if write_lp is not None:
            lp_path = write_lp.with_name(f"{write_lp.stem}{suffix}{write_lp.suffix or '.lp'}")
            try:
                lp_path.parent.mkdir(parents=True, exist_ok=True)
                alloc.write_lp(lp_path)
            except OSError as exc:
                err_console.print(f"[bold red]cannot write the LP file[/bold red] {lp_path}: {exc}")
                raise typer.Exit(EXIT_INVALID) from None
            if not quiet:
                console.print(f"LP written: {lp_path}")
        if plan_out is not None or plots is not None:
            info["run_date"] = _run_date()
            write_views(sol, alloc, info,
                        plan_out=None if plan_out is None else plan_out.with_name(
                            f"{plan_out.stem}{suffix}{plan_out.suffix or '.xlsx'}"),
                        plots=None if plots is None else (plots / sc.name if len(scs) > 1 else plots))
        if not quiet:
            from .report_console import print_summary

            if len(scs) > 1 or scenario is not None:
                console.rule(f"scenario {sc.name}")
            print_summary(console, sol.summary, alloc.basin)
        console.print(f"results: {dest}  ({perf_counter() - t0:.2f} s)")
    if failed:
        raise typer.Exit(EXIT_NO_SOLUTION)


def _working(text: str, off: bool):
    """A transient spinner on stderr while a long step runs (nothing when off or not a terminal)."""
    from contextlib import nullcontext

    return nullcontext() if off else err_console.status(text)


def _run_date() -> str:
    from datetime import datetime

    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


def progress_bar(total: int, label: str):
    """A rich progress bar on stderr (hidden for a single step)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                    TimeElapsedColumn(), console=err_console, transient=True, disable=total <= 1)


def write_views(sol, alloc, info: dict, plan_out: Path | None = None, plots: Path | None = None,
                sweep=None) -> None:
    """Write the plan workbook and/or the PNG plots of a solution (heavy imports only here)."""
    try:
        if plan_out is not None:
            from .outputs.workbook import write_plan_workbook

            with err_console.status(f"writing {plan_out}"):
                write_plan_workbook(sol, alloc.basin, plan_out, info, data=alloc.data)
            console.print(f"allocation plan: {plan_out}")
        if plots is not None:
            from .outputs.plots import plot_jobs
            from .outputs.sweep_plots import sweep_plot_jobs

            jobs = plot_jobs(sol, alloc.basin, plots, alloc.data)
            if sweep is not None:
                jobs += sweep_plot_jobs(sweep, alloc.basin, plots)
            written = []
            with progress_bar(len(jobs), "plots") as prog:
                task = prog.add_task("", total=len(jobs))
                for fname, job in jobs:
                    prog.update(task, description=fname)
                    if job() is not None:
                        written.append(fname)
                    prog.update(task, advance=1)
            console.print(f"plots: {plots}  ({', '.join(written)})", soft_wrap=True)
    except OSError as exc:
        err_console.print(f"[bold red]cannot write[/bold red]: {exc}")
        raise typer.Exit(EXIT_INVALID) from None


@app.command()
def report(
    basin: str = typer.Option(None, "--basin", "-b", help="basin dir/file or bundled name [default: ile_balkhash]"),
    out: Path = typer.Option(Path("out/report.html"), "--out", "-o", help="the HTML file to write"),
    sweep: Path = typer.Option(None, "--sweep", help="directory with sweep.csv (from `balkhash sweep`) to add "
                               "the inflow sweep views"),
    scenario: Path = SCENARIO_OPT,
    name: list[str] = NAME_OPT,
    years: int = YEARS_OPT,
    start_water_year: int = START_OPT,
    strict: bool = typer.Option(False, "--strict", help="make every target hard (infeasible if not met)"),
    fair_sharing: bool = typer.Option(None, "--fair-sharing/--no-fair-sharing", help="override the basin option"),
    time_limit: float = typer.Option(None, "--time-limit", min=0.001, help="solver time limit, seconds"),
    plan_out: Path = typer.Option(None, "--plan-out", help="also write the seasonal allocation plan workbook (.xlsx)"),
    plots: Path = typer.Option(None, "--plots", help="also write PNG plots (and the sweep curves) into this directory"),
) -> None:
    """Solve like `plan` and write one self-contained HTML report that opens offline.

    The report holds the summary, the allocation plan, the charts and, with --sweep, a slider over
    the swept transboundary inflow."""
    from time import perf_counter

    t0 = perf_counter()
    basin_path = resolve_basin_path(basin)
    b = load_or_exit(basin_path)
    scs = scenarios_or_exit(scenario, name, years, start_water_year, basin_path)
    if len(scs) > 1:
        err_console.print(f"[bold red]error[/bold red]: {scenario} holds {len(scs)} scenarios; choose one with --name")
        raise typer.Exit(EXIT_INVALID)
    sw = None
    if sweep is not None:
        from .outputs.sweep import SweepError, load_sweep

        try:
            sw = load_sweep(sweep)
        except SweepError as exc:
            err_console.print(f"[bold red]error[/bold red]: {exc}", soft_wrap=True)
            raise typer.Exit(EXIT_INVALID) from None
    from .allocation.solve import SolveError

    sc = scs[0]
    alloc = build_or_exit(b, sc, strict=strict, fair_sharing=fair_sharing, time_limit=time_limit)
    try:
        sol = alloc.solve()
    except SolveError as exc:
        err_console.print(f"[bold red]{sc.name}: no solution ({exc.status})[/bold red]: {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_NO_SOLUTION) from None
    info = {"basin_path": str(basin_path), "scenario": sc.name, "scenario_file": str(scenario) if scenario else None,
            "run_date": _run_date()}
    if sw is not None:
        info["sweep"] = str(sw.source)
    from .outputs.report import write_report

    try:
        with err_console.status("building the report") as status:
            dest = write_report(sol, alloc.basin, out, info, data=alloc.data, sweep=sw,
                                progress=lambda step: status.update(f"building the report: {step}"))
    except OSError as exc:
        err_console.print(f"[bold red]cannot write the report[/bold red]: {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    write_views(sol, alloc, info, plan_out=plan_out, plots=plots, sweep=sw)
    console.print(f"report: {dest}  ({dest.stat().st_size / 1e6:.1f} MB, {perf_counter() - t0:.2f} s)")


@app.command()
def examples() -> None:
    """List the bundled basins (usable as --basin NAME)."""
    from .data import data_dir, example_names

    if (data_dir() / "ile_balkhash" / "basin.yaml").exists():
        console.print(f"ile_balkhash  {data_dir() / 'ile_balkhash'}  (default)")
    for name in example_names():
        console.print(f"{name}  {data_dir() / 'examples' / name}")


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="print the version and exit", is_eager=True),
) -> None:
    if version:
        from . import __version__

        console.print(f"balkhash {__version__}")
        raise typer.Exit()


from . import cli_studies  # noqa: E402,F401  (registers sweep, min-inflow, tradeoff, compare)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
