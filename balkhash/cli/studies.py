"""The study commands: ``sweep``, ``min-inflow``, ``tradeoff``, ``compare``."""

from __future__ import annotations

from pathlib import Path

import typer

from . import options as opt
from .console import console, print_text, progress_bar
from .errors import CommandError, writing
from .study_tables import comparison_tables, min_inflow_table, sweep_table, sweep_violations, tradeoff_table

BAND_OPT = typer.Option(None, "--band", help="also the answer under +-X of a named input, NAME=X, e.g. "
                        "lake_evaporation=0.05 (the basin's names: balkhash/data/ile_balkhash/observed/hindcast.yaml; "
                        "or KIND:KEY=X); repeatable")


def _write_csv(df, path: Path, **kwargs) -> None:
    from ..atomic import atomic_write

    with writing(str(path)):
        atomic_write(path, lambda tmp: df.to_csv(tmp, **{"index": False, **kwargs}))


def _write_sweep(res, out: Path, basin, bands=None) -> None:
    """sweep.csv, sweep_levels.csv and sweep.json (the basin it was computed for) as one set
    (sweep.csv last; see :func:`balkhash.atomic.write_dir`)."""
    import json

    from ..atomic import write_dir

    tl = basin.timeline()
    about = {"basin": basin.name, "lakes": [n.id for n in basin.nodes if n.type == "lake"],
             "periods": {"first": tl.labels[0], "last": tl.labels[-1], "count": tl.n}}

    def write(tmp: Path) -> None:
        res.levels.to_csv(tmp / "sweep_levels.csv", index=False)
        (tmp / "sweep.json").write_text(json.dumps(about, indent=2, ensure_ascii=False), encoding="utf-8")
        if bands is not None:
            bands.to_csv(tmp / "sweep_bands.csv", index=False)
        res.table.to_csv(tmp / "sweep.csv", index=False)

    with writing(str(out)):
        write_dir(out, write, last="sweep.csv", stale=() if bands is not None else ("sweep_bands.csv",))


def _study(basin: str | None, scenario, name, years, start_water_year, need_transboundary: bool,
           sim: opt.Simulation | None = None, policy: str | None = None):
    """The study of the command line: the basin, its scenario, and ``--policy`` over both the
    basin's policy and the scenario's."""
    from ..studies.study import Study

    basin_path = opt.resolve_basin_path(basin)
    b = opt.load(basin_path)
    sc = opt.one_scenario(scenario, name, years, start_water_year, basin_path)
    if policy is not None:
        b = opt.with_policy([(None, b)], policy)[0][1]
        if sc.policy is not None:
            sc = sc.model_copy(update={"policy": policy})
    study = Study(b, None if sc.is_plain() else sc,
                  simulation=None if sim is None or sim.optimise else sim.options(None if sc.is_plain() else b))
    if need_transboundary and study.tb_node is None:
        raise CommandError(study.tb_problem or "the basin has no inflow with transboundary: true")
    return study


def _bands(texts: list[str] | None, study, parameter: str = "transboundary") -> list:
    """The --band options, checked before anything is solved (``parameter``: what the study moves)."""
    if not texts:
        return []
    from ..history.bands import check_band_for, parse_band

    bands = [parse_band(t, study.basin) for t in texts]
    for band in bands:
        check_band_for(band, study, parameter)
    return bands


def _restudy(basin, study, sim: opt.Simulation | None):
    """A study like ``study`` on another basin (a band's scaled basin)."""
    from ..studies.study import Study

    s = Study(basin, None, simulation=None if sim is None or sim.optimise else sim.options(None))
    s.scenario = study.scenario
    return s


def sweep(
    basin: str = opt.BASIN_OPT,
    scenario: Path = opt.SCENARIO_OPT,
    name: list[str] = opt.ONE_NAME_OPT,
    years: int = opt.YEARS_OPT,
    start_water_year: int = opt.START_OPT,
    parameter: str = typer.Option("transboundary", "--parameter", "-p",
                                  help="transboundary (km3/yr) | inflow_multiplier | lake_inflow_target (km3/yr)"),
    start: float = typer.Option(6.0, "--from", help="first value"),
    stop: float = typer.Option(16.0, "--to", help="last value"),
    step: float = typer.Option(1.0, "--step", help="step"),
    out: Path = typer.Option(Path("out/sweep"), "--out", "-o", help="directory for sweep.csv and sweep_levels.csv"),
    mode: str = opt.MODE_OPT,
    window: int = opt.WINDOW_OPT,
    every: int = opt.EVERY_OPT,
    forecast: str = opt.FORECAST_OPT,
    band: list[str] = BAND_OPT,
    policy: str = opt.POLICY_OPT,
) -> None:
    """Re-solve one persistent model over a range of a scalar (default: the inflow from China).

    With --band NAME=X, the sweep is run again at 1 - X and 1 + X of that input (sweep_bands.csv)."""
    from ..studies.study import PARAMETERS
    from ..studies.sweep import sweep as run_sweep

    if parameter not in PARAMETERS:
        raise CommandError(f"--parameter must be one of {', '.join(PARAMETERS)}")
    values = opt.values(start, stop, step)
    sim = opt.Simulation(mode, window, every, forecast)
    study = _study(basin, scenario, name, years, start_water_year, parameter == "transboundary", sim, policy)
    parsed = _bands(band, study, parameter)
    with progress_bar(len(values), f"sweep {parameter}") as prog:
        task = prog.add_task("", total=len(values))
        res = run_sweep(study, parameter, values,
                        progress=lambda v: prog.update(task, advance=1, description=f"{v:g}"))
    bands = None
    if band:
        from ..history.bands import sweep_bands

        bands = sweep_bands(study, parsed, lambda s: run_sweep(s, parameter, values).table,
                            lambda b: _restudy(b, study, sim))
    _write_sweep(res, out, study.basin, bands)
    if not sim.optimise:
        print_text(f"mode {sim.describe()}")
    console.print(sweep_table(parameter, res.table))
    for line in sweep_violations(res.table):
        print_text(line)
    if bands is not None:
        from .history import sweep_band_table

        console.print(sweep_band_table(res.table, bands))
    mean = sum(res.solve_seconds) / max(1, len(res.solve_seconds))
    print_text(f"build {res.build_seconds:.2f} s once, then {mean:.2f} s per point (re-solve); "
               f"shortfalls in Mm3 over the horizon; dual in cost per Mm3.\nresults: {out}")


def min_inflow(
    basin: str = opt.BASIN_OPT,
    scenario: Path = opt.SCENARIO_OPT,
    name: list[str] = opt.ONE_NAME_OPT,
    years: int = opt.YEARS_OPT,
    start_water_year: int = opt.START_OPT,
    lo: float = typer.Option(0.0, "--lo", help="lower end of the search, km3/yr"),
    hi: float = typer.Option(30.0, "--hi", help="upper end of the search, km3/yr"),
    tol: float = typer.Option(0.01, "--tol", help="tolerance, km3/yr"),
    condition: str = typer.Option("targets", "--condition",
                                  help="what must hold: 'targets' (the lake inflow and level targets) or "
                                       "'level' (the level target alone; the inflow target is switched off)"),
    band: list[str] = BAND_OPT,
    policy: str = opt.POLICY_OPT,
) -> None:
    """Smallest transboundary inflow (km3/yr) for which the lake targets hold.

    Found (a) with every demand met and (b) with shortfalls allowed at their costs, by bisection,
    and confirmed by re-solves at the answer and one tolerance below."""
    from ..studies.min_inflow import CONDITIONS, MODES
    from ..studies.min_inflow import min_inflow as run_min_inflow

    if condition not in CONDITIONS:
        raise CommandError(f"--condition must be one of {', '.join(CONDITIONS)}")
    if not (0.0 <= lo < hi) or not tol > 0.0:
        raise CommandError(f"need 0 <= --lo < --hi and --tol > 0 (got --lo {lo}, --hi {hi}, --tol {tol})")
    study = _study(basin, scenario, name, years, start_water_year, True, policy=policy)
    parsed = _bands(band, study)
    results = []
    for mode in MODES:
        with progress_bar(2, f"min-inflow {mode}") as prog:
            task = prog.add_task("", total=None)

            def tick(v, prog=prog, task=task):
                prog.update(task, advance=1, description=f"{v:.3f}")

            results.append(run_min_inflow(study, mode, lo, hi, tol, progress=tick, condition=condition))
    what = "the lake targets" if condition == "targets" else "the lake level target"
    console.print(min_inflow_table(f"Minimum inflow at {study.tb_node} for {what}", results))
    for r in results:
        print_text(f"{r.mode}: {r.message}")
    sc = study.scenario
    under = f"scenario {sc.name}'s" if sc.transboundary is not None or sc.inflow_multipliers else "basin"
    print_text(f"({under} mean at {study.tb_node}: {study.tb_base_km3:.2f} km3/yr)")
    if parsed:
        from ..history.bands import min_inflow_bands
        from .history import min_inflow_band_table

        with progress_bar(None, "bands") as prog:
            prog.add_task("", total=None)
            df = min_inflow_bands(study, parsed, MODES,
                                  lambda s, mode: run_min_inflow(s, mode, lo, hi, tol, condition=condition),
                                  lambda b: _restudy(b, study, None),
                                  central={r.mode: r.answer_km3 for r in results})
        console.print(min_inflow_band_table(f"Minimum inflow at {study.tb_node} under the bands, km3/yr", df))


def tradeoff(
    basin: str = opt.BASIN_OPT,
    scenario: Path = opt.SCENARIO_OPT,
    name: list[str] = opt.ONE_NAME_OPT,
    years: int = opt.YEARS_OPT,
    start_water_year: int = opt.START_OPT,
    start: float = typer.Option(8.0, "--from", help="first lake inflow target, km3/yr"),
    stop: float = typer.Option(14.0, "--to", help="last lake inflow target, km3/yr"),
    step: float = typer.Option(0.5, "--step", help="step, km3/yr"),
    out: Path = typer.Option(Path("out/tradeoff.csv"), "--out", "-o",
                             help="CSV file for the frontier, or a directory for tradeoff.csv"),
    policy: list[str] = typer.Option(None, "--policy", help="the frontier under this allocation policy, and the "
                                     "policy's own plan on it (repeatable; 'all': the four presets) [default: the "
                                     "basin's policy, frontier only]"),
) -> None:
    """Frontier between agricultural delivery and lake inflow (epsilon-constraint on the lake target)."""
    from ..network.policy import PolicyError, check_policy_name
    from ..network.schema import POLICY_PRESETS
    from ..studies.tradeoff import tradeoff as run_tradeoff
    from ..studies.tradeoff import tradeoff_by_policy

    values = opt.values(start, stop, step)
    basin_path = opt.resolve_basin_path(basin)
    b = opt.load(basin_path)
    sc = opt.one_scenario(scenario, name, years, start_water_year, basin_path)
    policies = list(dict.fromkeys(p for x in policy or [] for p in (POLICY_PRESETS if x == "all" else [x])))
    for p in policies:  # before any solve
        try:
            check_policy_name(b, p, "policy")
        except PolicyError as exc:
            raise CommandError(f"--{exc}") from None
    with progress_bar(len(values) * max(1, len(policies)), "tradeoff") as prog:
        task = prog.add_task("", total=len(values) * max(1, len(policies)))
        step_done = lambda v: prog.update(task, advance=1, description=f"{v:g}")  # noqa: E731
        if policies:
            try:
                df = tradeoff_by_policy(b, sc, values, policies, progress=step_done)
            except PolicyError as exc:
                raise CommandError(f"--{exc}") from None
        else:
            df = run_tradeoff(b, sc, values, progress=step_done)
    out = opt.out_file(out, "tradeoff.csv")
    _write_csv(df, out)
    if not policies:
        console.print(tradeoff_table(df))
    for p in policies:
        part = df[df["policy"] == p]
        console.rule(f"policy {p}")
        console.print(tradeoff_table(part[part["point"] == "frontier"]))
        own = part[part["point"] == "policy"].to_dict("records")
        if own and own[0]["status"] == "optimal":
            r = own[0]
            print_text(f"policy {p}'s own plan (lake targets soft): lake inflow {r['lake_inflow_km3']:.2f} km3, "
                       f"agriculture {r['agriculture_delivered_mm3']:,.0f} Mm3 delivered, "
                       f"{r['agriculture_shortfall_mm3']:,.0f} Mm3 short")
    n_years = df["horizon_years"].dropna() if "horizon_years" in df else None
    if n_years is not None and len(n_years) and float(n_years.iloc[0]) != 1.0:
        print_text(f"agriculture and the shortfall cost over the {float(n_years.iloc[0]):g}-year horizon; the lake "
                   "inflow, the cost per extra lake km3 and the farm km3 lost per lake km3 per water year")
    print_text(f"results: {out}")


def compare(
    basin: str = opt.BASIN_OPT,
    scenario: Path = typer.Option(..., "--scenario", "-s", help="scenario YAML file with several scenarios"),
    name: list[str] = opt.NAME_OPT,
    years: int = opt.YEARS_OPT,
    start_water_year: int = opt.START_OPT,
    out: Path = typer.Option(Path("out/compare.csv"), "--out", "-o",
                             help="CSV file for the comparison, or a directory for compare.csv"),
    mode: str = opt.MODE_OPT,
    window: int = opt.WINDOW_OPT,
    every: int = opt.EVERY_OPT,
    forecast: str = opt.FORECAST_OPT,
    policy: str = opt.POLICY_OPT,
) -> None:
    """Run several scenarios and show sector shortfalls, lake, storage and energy side by side."""
    from ..studies.compare import compare as run_compare

    basin_path = opt.resolve_basin_path(basin)
    b = opt.load(basin_path)
    scs = opt.scenarios(scenario, name, years, start_water_year, basin_path)
    sim = opt.Simulation(mode, window, every, forecast)
    with progress_bar(len(scs), "compare") as prog:
        task = prog.add_task("", total=len(scs))
        df = run_compare(b, scs, progress=lambda n: prog.update(task, advance=1, description=n),
                         simulation=None if sim.optimise else {k: v for k, v in sim.options().items()
                                                               if k != "climatology"}, policy=policy)
    if not sim.optimise:
        print_text(f"mode {sim.describe()}")
    df.index.name = "figure"
    out = opt.out_file(out, "compare.csv")
    _write_csv(df, out, index=True)
    for t in comparison_tables(df, console.width):
        console.print(t)
    print_text(f"results: {out}")
