"""``balkhash ensemble``: many inflow members of one basin, solved warm on one model per worker;
the reliability of the lake targets, shortfall quantiles, a fan chart, the netCDF cube."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from . import options as opt
from .console import console, print_text
from .errors import CommandError, writing

#: every file an ensemble directory may hold (ensemble.json last: the marker of a complete set)
ENSEMBLE_FILES = ("reliability.csv", "shortfall_quantiles.csv", "members.csv", "level_quantiles.csv", "cube.nc",
                  "fan_chart.png", "ensemble.html", "ensemble.json")


def check_scenario_inflows(basin, sc) -> None:
    """Refuse a scenario that sets the inflows the ensemble generates: a ``transboundary`` inflow
    (and its Kazakh part), or a multiplier on the transboundary node (its own or ``all``).  The
    members would otherwise scale the scenario's series once more, and ``members.csv`` would
    report volumes that were not solved.  Multipliers on other nodes apply on top of the members'
    series (documented in docs/ensemble.md)."""
    from ..scenarios.transboundary import sole_transboundary_node

    if sc.transboundary is not None:
        raise CommandError(f"scenario '{sc.name}' sets the inflow from China (transboundary): the ensemble "
                           "generates the inflows from China and of the Kazakh rivers itself, so use a scenario "
                           "without it (--china-mean and --china-trend move the generated inflow from China)")
    china = sole_transboundary_node(basin, "the ensemble")
    keys = [k for k in (china, "all") if k is not None and k in sc.inflow_multipliers]
    if keys:
        raise CommandError(f"scenario '{sc.name}' multiplies the inflow from China (inflow_multipliers."
                           f"{keys[0]}): the ensemble generates that inflow, so use --china-mean or --china-trend "
                           f"instead (multipliers on other nodes than {china} apply on top of the members' series)")


def glacier_path(text: str | None) -> float | dict[int, float]:
    """``--glacier``: a factor ('0.95') or a path 'YEAR:FACTOR,YEAR:FACTOR,...'."""
    if text is None or not text.strip():
        return 1.0
    try:
        if ":" not in text:
            return float(text)
        out: dict[int, float] = {}
        for part in text.split(","):
            y, _, f = part.partition(":")
            if int(y) in out:
                raise CommandError(f"--glacier '{text}': year {int(y)} is given twice (one factor per year)")
            out[int(y)] = float(f)
        return dict(sorted(out.items()))
    except ValueError:
        raise CommandError(f"--glacier '{text}': give a factor (0.95) or a path YEAR:FACTOR,... "
                           "(2025:1,2035:1.05,2040:0.9)") from None


def ensemble(
    basin: str = opt.BASIN_OPT,
    members: int = typer.Option(100, "--members", "-m", help="number of members (>= 1)"),
    years: int = opt.YEARS_OPT,
    start_water_year: int = opt.START_OPT,
    scenario: Path = opt.SCENARIO_OPT,
    name: list[str] = opt.ONE_NAME_OPT,
    policy: str = opt.POLICY_OPT,
    mode: str = opt.MODE_OPT,
    window: int = opt.WINDOW_OPT,
    every: int = opt.EVERY_OPT,
    forecast: str = opt.FORECAST_OPT,
    seed: int = typer.Option(0, "--seed", help="seed of the inflow generator (0 <= seed < 2**63)"),
    scheduler: str = typer.Option(None, "--scheduler", help="address of a running Dask scheduler, e.g. "
                                  "tcp://HOST:8786 [default: a local cluster, one process per core]"),
    workers: int = typer.Option(None, "--workers", help="processes of the local cluster; 0: solve in this "
                                "process without Dask [default: one per core]"),
    china_mean: float = typer.Option(None, "--china-mean", help="mean inflow from China, km3/yr "
                                     "[default: the 2010-2020 record's fit]"),
    china_trend: float = typer.Option(0.0, "--china-trend", help="change of the inflow from China each "
                                      "year, km3/yr per year (e.g. -0.1: China's withdrawals growing)"),
    glacier: str = typer.Option(None, "--glacier", help="glacier multiplier on both parts: a factor or a path "
                                "YEAR:FACTOR,... (linear between, held outside)"),
    out: Path = typer.Option(Path("out/ensemble"), "--out", "-o", help="directory for the ensemble's files"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print only where the results went"),
) -> None:
    """Solve an ensemble of generated inflows: reliability of the lake targets, shortfall quantiles,
    a fan chart of the lake level, the member x period cube (netCDF)."""
    from time import perf_counter

    t0 = perf_counter()
    sim = opt.Simulation(mode, window, every, forecast)
    basin_path = opt.resolve_basin_path(basin)
    b = opt.load(basin_path)
    sc = opt.one_scenario(scenario, name, years, start_water_year, basin_path)
    check_scenario_inflows(b, sc)
    (sc, sb), = opt.with_policy(opt.applied(b, [sc]), policy)
    if scheduler is not None and workers is not None:
        raise CommandError("--workers sets the local cluster: it cannot be used with --scheduler")

    from ..ensemble.generator import check_members, check_seed, fit_record
    from ..ensemble.runner import run_ensemble

    check_members(members)
    check_seed(seed)
    gen = fit_record(b).with_means(china_km3=china_mean).with_trends(china_trend, glacier_path(glacier))
    from .console import progress_bar

    with progress_bar(members, "members", transient=True) as bar:
        task = bar.add_task("", total=members)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done)

        result = run_ensemble(sb, members, seed, generator=gen, mode=sim.mode, window=sim.window, every=sim.every,
                              forecast=forecast, workers=workers, scheduler=scheduler, progress=progress)
    info = {"basin_path": str(basin_path), "scenario": sc.name if scenario else None,
            "scenario_file": str(scenario) if scenario else None, "run_date": opt.run_date(),
            "policy": getattr(sb.options, "policy", None) or "none"}
    dest = write_ensemble(result, sb, out, info)
    if not quiet:
        print_ensemble(result)
    tm = result.timings
    start = f", cluster start {tm['cluster_start']:.1f} s" if "cluster_start" in tm else ""
    secs = f"{tm['members']:.1f}" if tm["members"] >= 1.0 else f"{tm['members']:.2g}"
    print_text(f"ensemble: {dest}  ({result.members} members in {secs} s, "
               f"{tm['members_per_second']:.1f} members/s, {tm['where']}{start}; total {perf_counter() - t0:.1f} s)")


def write_ensemble(result, basin, out: Path, info: dict) -> Path:
    """Every file of the ensemble into ``out``, all written before any replaces an earlier one."""
    from ..allocation.writer import CSV_FLOAT
    from ..atomic import write_dir
    from ..ensemble import summary
    from ..ensemble.cube import write_netcdf
    from ..outputs.ensemble_fan import default_title, fan_chart
    from ..outputs.ensemble_report import ensemble_page, ensemble_section

    rel = summary.reliability(result)
    sq = summary.shortfall_quantiles(result)

    def write(tmp: Path) -> None:
        rel.to_csv(tmp / "reliability.csv", index=False, float_format=CSV_FLOAT)
        sq.to_csv(tmp / "shortfall_quantiles.csv", index=False, float_format=CSV_FLOAT)
        summary.member_table(result).to_csv(tmp / "members.csv", index=False, float_format=CSV_FLOAT)
        summary.level_quantiles(result).to_csv(tmp / "level_quantiles.csv", index_label="period",
                                               float_format=CSV_FLOAT)
        write_netcdf(result.cube(), tmp / "cube.nc")
        title = default_title(result, 0, info.get("scenario"), info.get("policy"))
        png = fan_chart(result, basin, tmp / "fan_chart.png", title=title)
        (tmp / "ensemble.html").write_text(ensemble_page(ensemble_section(result, rel, sq, png, info)),
                                           encoding="utf-8")
        g = result.generator
        doc = dict(info, members=result.members, seed=result.seed, mode=result.mode,
                   periods={"first": result.periods[0], "last": result.periods[-1], "count": len(result.periods)},
                   generator={"mu": list(g.mu), "sigma": list(g.sigma), "phi": list(g.phi), "r": g.r,
                              "mean_km3": list(g.mean_km3), "cv": list(g.cv),
                              "china_trend_km3_per_year": g.china_trend_km3_per_year, "glacier": str(g.glacier)},
                   solved=int(sum(s == "optimal" for s in result.arrays["status"])),
                   reliability=rel.to_dict(orient="records"), shortfall=sq.to_dict(orient="records"),
                   timings={k: v for k, v in result.timings.items()})
        with open(tmp / "ensemble.json", "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2, ensure_ascii=False)

    with writing(f"the ensemble into {out}"):
        try:
            return write_dir(out, write, stale=ENSEMBLE_FILES, last="ensemble.json")
        except NotADirectoryError as exc:
            raise CommandError(f"cannot write the ensemble: {exc}") from None


def print_ensemble(result) -> None:
    from ..ensemble import summary
    from .console import compact_table

    rel = summary.reliability(result)
    t = compact_table(f"Reliability, lake {result.lakes[0]} ({rel.attrs['members']} members with a solution)")
    for c in rel.columns:
        t.add_column(c, justify="left" if c == "water_year" else "right")
    for _, r in rel.iterrows():
        t.add_row(*[str(r[c]) if c == "water_year" else f"{100 * r[c]:.1f} %" for c in rel.columns])
    console.print(t)
    sq = summary.shortfall_quantiles(result)
    t = compact_table("Shortfall per sector and water year (Mm3, over every member-year)")
    for c in sq.columns:
        t.add_column(c.removesuffix("_mm3").replace("p_short", "P(short)"),
                     justify="left" if c == "sector" else "right")
    for _, r in sq.iterrows():
        t.add_row(*[str(r[c]) if c == "sector" else (f"{100 * r[c]:.1f} %" if c == "p_short" else f"{r[c]:,.1f}")
                    for c in sq.columns])
    console.print(t)
