"""``balkhash plan``: solve the allocation LP and write the result tables (one directory per scenario)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import EXIT_NO_SOLUTION
from . import options as opt
from .console import console, print_summary, print_text, working
from .errors import CommandError, report, writing
from .views import write_views


def plan(
    basin: str = opt.BASIN_OPT,
    out: Path = typer.Option(Path("out"), "--out", "-o", help="directory for the result tables"),
    fmt: opt.Format = typer.Option(opt.Format.csv, "--format", "-f", help="table format"),
    scenario: Path = opt.SCENARIO_OPT,
    name: list[str] = opt.NAME_OPT,
    years: int = opt.YEARS_OPT,
    start_water_year: int = opt.START_OPT,
    strict: bool = opt.STRICT_OPT,
    fair_sharing: bool = opt.FAIR_OPT,
    policy: str = opt.POLICY_OPT,
    time_limit: float = opt.TIME_LIMIT_OPT,
    solver: str = typer.Option("highs", "--solver", help="'highs': HiGHS directly (highspy); any other name: "
                               "the Pyomo model solved with that Pyomo solver, e.g. glpk, cbc, appsi_highs"),
    solver_log: bool = typer.Option(False, "--solver-log", help="show the HiGHS log (with --solver highs)"),
    highs_option: list[str] = opt.HIGHS_OPTION_OPT,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print only where the results went"),
    plan_out: Path = opt.PLAN_OUT_OPT,
    plots: Path = typer.Option(None, "--plots", help="also write PNG plots into this directory"),
    write_lp: Path = typer.Option(None, "--write-lp", help="also write the LP (CPLEX LP format, from the Pyomo "
                                  "model) to this file"),
    mode: str = opt.MODE_OPT,
    window: int = opt.WINDOW_OPT,
    every: int = opt.EVERY_OPT,
    forecast: str = opt.FORECAST_OPT,
    initial: list[str] = opt.INITIAL_OPT,
    initial_from: Path = opt.INITIAL_FROM_OPT,
    probability: list[float] = opt.PROBABILITY_OPT,
    probability_method: str = opt.PROBABILITY_METHOD_OPT,
) -> None:
    """Solve the allocation LP and write the result tables (one directory per scenario)."""
    from time import perf_counter

    t0 = perf_counter()
    plan_out = opt.plan_workbook(plan_out)
    opt.check_writable(out, "results into", directory=True)
    opt.check_writable(None if plan_out is None else plan_out.with_suffix(plan_out.suffix or ".xlsx"),
                       "the allocation plan")
    opt.check_writable(plots, "the plots into", directory=True)
    opt.check_writable(write_lp, "the LP file")
    basin_path = opt.resolve_basin_path(basin)
    b = opt.load(basin_path)
    sim = opt.Simulation(mode, window, every, forecast)
    if not sim.optimise and (solver != "highs" or write_lp is not None):
        raise CommandError(f"--mode {mode} solves its windows with HiGHS: --solver and --write-lp need --mode optimise")
    if highs_option and solver != "highs":
        raise CommandError(f"--highs-option sets options of HiGHS through highspy, not of --solver {solver}")
    if solver_log and solver != "highs":
        raise CommandError(f"--solver-log shows the log of HiGHS through highspy, not of --solver {solver}; "
                           "leave it out (or use --write-lp FILE and run the solver on the file)")
    hopts = opt.highs_options(highs_option)
    runs = opt.with_policy(opt.applied(b, opt.scenarios(scenario, name, years, start_water_year, basin_path, b)),
                           policy)
    runs = [(sc, opt.initial_states(sb, initial, initial_from)) for sc, sb in runs]
    prob = opt.probability_runs(b, runs, probability, probability_method)
    designs = {sc.name: year for sc, _, year in prob}
    runs = [(sc, sb) for sc, sb, _ in prob]
    side: list = []
    from ..allocation.solve import Allocation, SolveError
    from ..allocation.writer import write_solution
    from ..simulation import simulate

    failed = 0
    several = len(runs) > 1
    own_dirs = several or bool(probability)  # each plan of a probability into DIR/pP/, even one
    for i, (sc, sb) in enumerate(runs):
        dest_dir = out / sc.name if own_dirs else out
        step = f"[{i + 1}/{len(runs)}] " if several else ""
        with working(f"{step}{sc.name}: building and solving", quiet or solver_log):
            try:
                if sim.optimise:
                    alloc = Allocation(sb, strict=strict, fair_sharing=fair_sharing, time_limit=time_limit,
                                       log=solver_log, highs_options=hopts)
                    sol = alloc.solve(solver=None if solver == "highs" else solver)
                    sol.summary["simulation"] = {"mode": "optimise", "window": sol.summary["periods"]["count"],
                                                 "every": sol.summary["periods"]["count"], "forecast": "perfect"}
                else:
                    sol = simulate(sb, **sim.options(None if sc.is_plain() else b), strict=strict,
                                   fair_sharing=fair_sharing, time_limit=time_limit, log=solver_log,
                                   highs_options=hopts)
            except SolveError as exc:
                failed = report(exc, context=sc.name if scenario else None)  # no "base:" without a scenario
                continue
        sol.summary["scenario"] = sc.name
        info = {"basin_path": str(basin_path), "scenario": sc.name,
                "scenario_file": str(scenario) if scenario else None}
        if designs[sc.name] is not None:
            year = designs[sc.name]
            info["exceedance"] = {"probability_pct": year.probability, "method": year.method,
                                  "china_km3": year.china_km3, "kazakh_km3": year.kazakh_km3,
                                  "kazakh_mean_km3": year.kazakh_mean_km3, "kazakh_factor": year.kazakh_factor}
            side.append((sc.name, sol, sb, year))
        suffix = f"-{sc.name}" if several else ""
        if plan_out is not None or plots is not None:  # before the result set: a failure leaves no run behind
            write_views(sol, sb, {**info, "run_date": opt.run_date()},
                        plan_out=None if plan_out is None else plan_out.with_name(
                            f"{plan_out.stem}{suffix}{plan_out.suffix or '.xlsx'}"),
                        plots=None if plots is None else (plots / sc.name if own_dirs else plots))
        with writing("results"):
            dest = write_solution(sol, dest_dir, fmt.value, extra=info)
        if write_lp is not None:
            lp_path = write_lp.with_name(f"{write_lp.stem}{suffix}{write_lp.suffix or '.lp'}")
            with writing(f"the LP file {lp_path}"):
                lp_path.parent.mkdir(parents=True, exist_ok=True)
                alloc.write_lp(lp_path)
            if not quiet:
                print_text(f"LP written: {lp_path}")
        if not quiet:
            if several or scenario is not None:
                console.rule(f"scenario {sc.name}")
            if designs[sc.name] is not None:
                print_text(design_text(designs[sc.name]))
            print_summary(console, sol.summary, sb)
        print_text(f"results: {dest}  ({perf_counter() - t0:.2f} s)")
    if plan_out is not None and len(side) > 1:
        from ..outputs.ensemble_plans import write_probability_workbook

        with writing(str(plan_out)):
            write_probability_workbook(side, plan_out.with_suffix(plan_out.suffix or ".xlsx"),
                                       {"run_date": opt.run_date()})
        print_text(f"plans side by side: {plan_out.with_suffix(plan_out.suffix or '.xlsx')}")
    if failed:
        raise typer.Exit(EXIT_NO_SOLUTION)


def design_text(year) -> str:
    """The design year of a plan of given exceedance probability, for the console: the runoff
    table's parts, and how the Kazakh part reaches the basin's inflow nodes (a factor on each)."""
    text = (f"design year: exceedance probability {year.probability:g} % ({year.method}): inflow from China "
            f"{year.china_km3:.2f} km3/yr + Kazakh part {year.kazakh_km3:.2f} km3/yr = {year.total_km3:.2f} km3/yr "
            "(the runoff table's Ile inflow, its China and Kazakh parts): the transboundary node gets the China "
            "part, every other inflow node (not only the Ile's) its own inflows x K_p / K-bar")
    factor = getattr(year, "kazakh_factor", None)
    if factor is None:
        return text + " (the Kazakh part over its record mean)"
    return text + f" = {year.kazakh_km3:.2f} / {year.kazakh_mean_km3:.2f} = {factor:.3f} (inflows.csv)"
