"""``balkhash report``: solve like ``plan`` and write one self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

import typer

from . import options as opt
from .console import err_console, print_text
from .errors import CommandError, writing
from .errors import report as report_error
from .history import OBSERVED_OPT
from .views import write_views


def report(
    basin: str = opt.BASIN_OPT,
    out: Path = typer.Option(Path("out/report.html"), "--out", "-o",
                             help="the HTML file to write, or a directory for report.html"),
    sweep: Path = typer.Option(None, "--sweep", help="directory with sweep.csv (from `balkhash sweep`) to add "
                               "the inflow sweep views"),
    scenario: Path = opt.SCENARIO_OPT,
    name: list[str] = opt.ONE_NAME_OPT,
    years: int = opt.YEARS_OPT,
    start_water_year: int = opt.START_OPT,
    strict: bool = opt.STRICT_OPT,
    fair_sharing: bool = opt.FAIR_OPT,
    policy: str = opt.POLICY_OPT,
    time_limit: float = opt.TIME_LIMIT_OPT,
    highs_option: list[str] = opt.HIGHS_OPTION_OPT,
    plan_out: Path = opt.PLAN_OUT_OPT,
    plots: Path = typer.Option(None, "--plots", help="also write PNG plots (and the sweep curves) into this directory"),
    hindcast: bool = typer.Option(False, "--hindcast", help="add the basin's hindcast against its observations "
                                  "(as `balkhash hindcast` runs it by default) as a section"),
    observed: Path = OBSERVED_OPT,
    ensemble: Path = typer.Option(None, "--ensemble", help="directory written by `balkhash ensemble` on this "
                                  "basin: its reliability section joins the report"),
    mode: str = opt.MODE_OPT,
    window: int = opt.WINDOW_OPT,
    every: int = opt.EVERY_OPT,
    forecast: str = opt.FORECAST_OPT,
) -> None:
    """Solve like `plan` and write one self-contained HTML report that opens offline.

    The report holds the summary, the allocation plan, the charts, with --sweep a slider over the
    swept transboundary inflow, with --hindcast the basin's hindcast (figure, errors, bias and
    RMSE) and with --ensemble an ensemble's reliability of the lake targets."""
    from time import perf_counter

    t0 = perf_counter()
    if observed is not None and not hindcast:
        raise CommandError("--observed goes with --hindcast")
    plan_out = opt.plan_workbook(plan_out)
    opt.check_writable(opt.out_file(out, "report.html"), "the report")
    opt.check_writable(None if plan_out is None else plan_out.with_suffix(plan_out.suffix or ".xlsx"),
                       "the allocation plan")
    opt.check_writable(plots, "the plots into", directory=True)
    hopts = opt.highs_options(highs_option)
    sim = opt.Simulation(mode, window, every, forecast)
    basin_path = opt.resolve_basin_path(basin)
    ensemble_html = _ensemble_section(ensemble, basin_path) if ensemble is not None else None
    b = opt.load(basin_path)
    sc = opt.one_scenario(scenario, name, years, start_water_year, basin_path, b)
    sw = None
    if sweep is not None:
        from ..outputs.sweep import load_sweep

        sw = load_sweep(sweep)
        why = sw.mismatch(b)
        if why:
            raise CommandError(f"--sweep: {why}; run `balkhash sweep` on this basin")
    [(sc, sb)] = opt.with_policy(opt.applied(b, [sc]), policy)
    from ..allocation.solve import Allocation, SolveError
    from ..simulation import simulate

    try:
        if sim.optimise:
            sol = Allocation(sb, strict=strict, fair_sharing=fair_sharing, time_limit=time_limit,
                             highs_options=hopts).solve()
            sol.summary["simulation"] = {"mode": "optimise", "window": sol.summary["periods"]["count"],
                                         "every": sol.summary["periods"]["count"], "forecast": "perfect"}
        else:  # as plan --mode step | rolling
            sol = simulate(sb, **sim.options(None if sc.is_plain() else b), strict=strict,
                           fair_sharing=fair_sharing, time_limit=time_limit, highs_options=hopts)
    except SolveError as exc:
        raise typer.Exit(report_error(exc, context=sc.name if scenario else None)) from None
    sol.summary["scenario"] = sc.name
    info = {"basin_path": str(basin_path), "scenario": sc.name, "scenario_file": str(scenario) if scenario else None,
            "run_date": opt.run_date()}
    if sw is not None:
        info["sweep"] = str(sw.source)
    sections = []
    if hindcast:  # the basin as given (its setup, its observations), not the scenario's
        from ..outputs.hindcast_report import hindcast_section
        from .history import _hindcast, _title

        with err_console.status("hindcast"):
            _b, h, _sim = _hindcast(basin, observed, None, None, None, "step", None, None, None, None)
            res = h.run()
        sections.append(("hindcast", "Hindcast", hindcast_section(res, _title(h, "hindcast"), basin=h.basin)))
    if ensemble_html is not None:
        sections.append(("ensemble", "Ensemble", ensemble_html))
    from ..outputs.report import write_report

    with writing("the report"), err_console.status("building the report") as status:
        dest = write_report(sol, sb, opt.out_file(out, "report.html"), info, sweep=sw,
                            progress=lambda step: status.update(f"building the report: {step}"), sections=sections)
    write_views(sol, sb, info, plan_out=plan_out, plots=plots, sweep=sw)
    print_text(f"report: {dest}  ({dest.stat().st_size / 1e6:.1f} MB, {perf_counter() - t0:.2f} s)")


def _ensemble_section(directory: Path, basin_path) -> str:
    """The ``<section id="ensemble">`` of the ensemble.html that ``balkhash ensemble`` wrote into
    ``directory``, checked to come from this basin (its ensemble.json names the basin's path)."""
    import json
    import os

    page, doc = Path(directory) / "ensemble.html", Path(directory) / "ensemble.json"
    if not page.is_file() or not doc.is_file():
        raise CommandError(f"--ensemble {directory}: no ensemble.html and ensemble.json there; run "
                           f"`balkhash ensemble --out {directory}` first")
    try:
        info = json.loads(doc.read_text(encoding="utf-8"))
        text = page.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise CommandError(f"--ensemble {directory}: cannot read it ({exc})") from None
    theirs = info.get("basin_path")
    if theirs and os.path.realpath(theirs) != os.path.realpath(str(basin_path)):
        raise CommandError(f"--ensemble {directory}: computed for the basin {theirs}, not {basin_path}")
    start = text.find('<section id="ensemble">')
    end = text.find("</section>", start)
    if start < 0 or end < 0:
        raise CommandError(f"--ensemble {directory}: ensemble.html holds no ensemble section")
    return text[start:end + len("</section>")]
