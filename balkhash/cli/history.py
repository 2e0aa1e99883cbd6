"""The history commands: ``hindcast`` (a historical period against observations) and ``calibrate``
(bounded least squares of named multipliers on the hindcast residuals)."""

from __future__ import annotations

from pathlib import Path

import typer

from . import options as opt
from .console import compact_table, console, print_text, progress_bar, working
from .errors import CommandError, writing

OBSERVED_OPT = typer.Option(None, "--observed", help="observation CSV (quantity,site,when,value,unit,sigma,source) "
                            "[default: the basin's observed/observations.csv]")
SETUP_OPT = typer.Option(None, "--setup", help="hindcast setup YAML [default: the basin's observed/hindcast.yaml]")
FROM_OPT = typer.Option(None, "--from", min=1000, max=9000, help="first calendar year of the hindcast")
TO_OPT = typer.Option(None, "--to", min=1000, max=9000, help="last calendar year of the hindcast")
HMODE_OPT = typer.Option("step", "--mode", help="step (one month at a time) | rolling (re-plan every --every "
                         "months over --window with --forecast)")


def _hindcast(basin, observed, setup_file, first, last, mode, window, every, forecast, initial, specs_text=None):
    from ..history.calibrate import parse_param
    from ..history.hindcast import Hindcast, load_setup
    from ..history.observations import read_observations

    if mode not in ("step", "rolling"):
        raise CommandError(f"--mode {mode}: a hindcast simulates, use step or rolling")
    sim = opt.Simulation(mode, window, every, forecast)
    basin_path = opt.resolve_basin_path(basin)
    b = opt.load(basin_path)
    setup = load_setup(b, setup_file)
    if first is not None:
        setup.first_year = first
    if last is not None:
        setup.last_year = last
    for item in initial or []:
        node, sep, value = item.partition("=")
        if not sep or not node.strip():
            raise CommandError(f"--initial '{item}': write NODE=VALUE, e.g. 'BALKHASH=342.5 m'")
        setup.command_line[node.strip()] = value.strip()
    if observed is not None:
        setup.observations = Path(observed)
    obs = read_observations(setup.observations) if setup.observations is not None else None
    specs = [parse_param(t, setup.parameters) for t in specs_text or []]
    names = [s.name for s in specs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CommandError(f"--param given twice: {', '.join(dup)}")
    h = Hindcast(b, setup, obs, mode=mode, window=sim.window if mode == "rolling" else None,
                 every=sim.every if mode == "rolling" else None, forecast=forecast, specs=specs)
    return b, h, sim


def _title(h, what: str) -> str:
    tl = h.basin.timeline()
    return f"{h.source_basin.name}: {what} {tl.labels[0]}..{tl.labels[-1]} ({h.sim_options['mode']})"


def _print_result(result, heading: str) -> None:
    t = compact_table(heading)
    for c in ("quantity", "site", "when", "observed", "+-", "model", "error"):
        t.add_column(c, justify="right" if c in ("observed", "+-", "model", "error") else "left")
    for _, r in result.table.iterrows():
        nd = 2 if r["quantity"] != "flow" else 0
        site = r["site"] if len(r["site"]) <= 30 else r["site"][:27] + "..."
        t.add_row(r["quantity"], site, r["when"], f"{r['observed']:.{nd}f} {r['unit']}", f"{r['sigma']:.{nd}f}",
                  f"{r['model']:.{nd + 1}f}", f"{r['error']:+.{nd + 1}f}")
    console.print(t)
    for _, s in result.stats.iterrows():
        site = s["site"] if len(s["site"]) <= 40 else s["site"][:37] + "..."
        print_text(f"{s['quantity']} {site}: n {int(s['n'])}, bias {s['bias']:+.3f} {s['unit']}, "
                   f"RMSE {s['rmse']:.3f} {s['unit']}")
    if result.skipped:
        print_text(f"{len(result.skipped)} observation(s) outside the run not compared")


def _write(out: Path, files: dict, last: str) -> None:
    """Write ``files`` (name -> writer(path)) into ``out`` as one set, ``last`` the marker."""
    from ..atomic import write_dir

    def write(tmp: Path) -> None:
        for name, fn in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            fn(tmp / name)

    with writing(str(out)):
        write_dir(out, write, last=last)


def _json_writer(obj):
    import json

    return lambda p: p.write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=float), encoding="utf-8")


def hindcast(
    basin: str = opt.BASIN_OPT,
    observed: Path = OBSERVED_OPT,
    setup: Path = SETUP_OPT,
    first: int = FROM_OPT,
    last: int = TO_OPT,
    mode: str = HMODE_OPT,
    window: int = opt.WINDOW_OPT,
    every: int = opt.EVERY_OPT,
    forecast: str = opt.FORECAST_OPT,
    initial: list[str] = typer.Option(None, "--initial", help="initial state NODE=VALUE, e.g. 'BALKHASH=342.5 m' "
                                      "(repeatable; after the setup's)"),
    out: Path = typer.Option(Path("out/hindcast"), "--out", "-o", help="directory for the hindcast files"),
) -> None:
    """Simulate a historical period and compare it with dated observations.

    The historical inflows come from the basin's runoff table by calendar year (docs/hindcast.md);
    every target is priced at 0. Writes hindcast.csv (the error at each observation),
    hindcast_stats.csv (bias, RMSE), hindcast_series.csv, hindcast.png, hindcast.html and
    hindcast.json."""
    from ..outputs.hindcast_plot import write_hindcast_png
    from ..outputs.hindcast_report import write_hindcast_html

    with working("hindcast"):
        _b, h, _sim = _hindcast(basin, observed, setup, first, last, mode, window, every, forecast, initial)
        res = h.run()
    title = _title(h, "hindcast")
    _print_result(res, title)
    summary = {"basin": h.source_basin.name, "setup": h.setup.file, "simulation": h.sim_options,
               "periods": {"first": h.basin.timeline().labels[0], "last": h.basin.timeline().labels[-1]},
               "level": res.level_stats(), "stats": res.stats.to_dict("records"), "skipped": len(res.skipped)}
    _write(out, {
        "hindcast.csv": lambda p: res.table.to_csv(p, index=False),
        "hindcast_stats.csv": lambda p: res.stats.to_csv(p, index=False),
        "hindcast_series.csv": lambda p: res.series.to_csv(p, index=False),
        "hindcast.png": lambda p: write_hindcast_png(res, p, title, basin=h.basin),
        "hindcast.html": lambda p: write_hindcast_html(res, p, title, basin=h.basin),
        "hindcast.json": _json_writer(summary),
    }, last="hindcast.json")
    print_text(f"results: {out}")


def calibrate(
    param: list[str] = typer.Option(..., "--param", "-p", help="a multiplier NAME[=LOW:HIGH] (the names of the "
                                    "setup's parameters; the default basin's: lake_evaporation, delta_loss, "
                                    "delta_evaporation (the delta wetland's, once it is switched on), local_inflow, "
                                    "kapshagay_evaporation, lake_groundwater, lake_initial_level, border_inflow) "
                                    "or KIND:KEY=LOW:HIGH "
                                    "(an initial state, initial_level:LAKE in m or initial_storage:RES in Mm3, "
                                    "is fitted as the value itself); repeatable"),
    basin: str = opt.BASIN_OPT,
    observed: Path = OBSERVED_OPT,
    setup: Path = SETUP_OPT,
    first: int = FROM_OPT,
    last: int = TO_OPT,
    mode: str = HMODE_OPT,
    window: int = opt.WINDOW_OPT,
    every: int = opt.EVERY_OPT,
    forecast: str = opt.FORECAST_OPT,
    initial: list[str] = typer.Option(None, "--initial", help="initial state NODE=VALUE (repeatable)"),
    max_evaluations: int = typer.Option(None, "--max-evaluations", min=1, help="hindcasts at most, all counted "
                                        "(the basin as it is, the fit's Jacobians, the fitted basin; at least "
                                        "parameters + 3); a fit stopped there is reported as not converged "
                                        "[default: 30 x (parameters + 1)]"),
    out: Path = typer.Option(Path("out/calibrate"), "--out", "-o",
                             help="directory for the calibrated basin and the report"),
) -> None:
    """Fit named multipliers to the observations by bounded least squares on the hindcast residuals.

    Writes calibration.json and calibration.csv (fitted values, standard errors from the Jacobian,
    RMSE before and after), hindcast_before.csv, hindcast_after.csv, hindcast.png, hindcast.html
    and basin/ (the basin with the fitted multipliers, ready for every command; a fitted initial
    state goes into its observed/hindcast.yaml, the hindcast's start, not the basin's)."""
    import yaml

    from ..atomic import LOCK_FILE
    from ..history.calibrate import calibrate as run_calibrate
    from ..history.calibrate import check_limit
    from ..history.hindcast import write_setup
    from ..history.multipliers import ABSOLUTE, scaled_basin, unit_suffix
    from ..network.io import BASIN_FILE, basin_to_dict
    from ..outputs.hindcast_plot import write_hindcast_png
    from ..outputs.hindcast_report import write_hindcast_html

    b, h, _sim = _hindcast(basin, observed, setup, first, last, mode, window, every, forecast, initial, param)
    check_limit(len(h.specs), max_evaluations)
    with progress_bar(None, "calibrate") as prog:
        task = prog.add_task("", total=None)
        res = run_calibrate(h, max_nfev=max_evaluations,
                            progress=lambda n, c: prog.update(task, advance=1, description=f"{n}: chi2 {c:.4g}"))
    title = _title(h, "calibrated hindcast" if res.converged else "hindcast where the fit stopped")
    t = compact_table("Calibrated parameters (factors; an initial state in its unit)" if res.converged else
                      f"NOT CONVERGED: the fit stopped at its limit of {res.limit} hindcasts; the parameters there "
                      "(factors; an initial state in its unit)")
    for c in ("parameter", "kind", "key", "bounds", "value", "+-"):
        t.add_column(c, justify="right" if c in ("value", "+-") else "left")
    for _, r in res.table().iterrows():
        t.add_row(r["parameter"], r["kind"], r["key"], f"{r['low']:g}..{r['high']:g}{unit_suffix(r['kind'])}",
                  f"{r['value']:.4f}",
                  f"{r['std']:.4f}")
    console.print(t)
    _print_result(res.after, title)
    lb, la = res.before.level_stats(), res.after.level_stats()
    if lb["n"]:
        print_text(f"lake level: RMSE {lb['rmse_m']:.3f} -> {la['rmse_m']:.3f} m, bias {lb['bias_m']:+.3f} -> "
                   f"{la['bias_m']:+.3f} m ({la['n']} observations)")
    print_text(f"{res.evaluations} hindcasts in {res.seconds:.1f} s"
               + (f" ({res.rebuilds} model rebuilds)" if res.rebuilds else " (every change in place)")
               + ("" if res.converged else f", the limit (--max-evaluations {res.limit}): not converged"))
    for w in res.warnings():
        print_text(f"warning: {w}")
    calibrated = scaled_basin(b, res.specs, res.values)
    note = "; ".join(f"{s.name} = {v:.4f}{unit_suffix(s.kind)}" if s.kind in ABSOLUTE else f"{s.name} x {v:.4f}"
                     for s, v in zip(res.specs, res.values, strict=True))
    how = "Calibrated by balkhash calibrate" if res.converged else \
        f"Not converged: balkhash calibrate stopped at its limit of {res.limit} hindcasts at"
    calibrated.description = f"{(b.description or '').strip()} {how}: {note}."
    src = Path(b.base_dir) if b.base_dir else None
    fitted_initial = {s.key: f"{v:.4f}{unit_suffix(s.kind)}" for s, v in zip(res.specs, res.values, strict=True)
                      if s.kind in ABSOLUTE}

    def write_basin(p: Path) -> None:
        import shutil

        p.mkdir(parents=True, exist_ok=True)
        with open(p / BASIN_FILE, "w", encoding="utf-8") as fh:
            yaml.safe_dump(basin_to_dict(calibrated), fh, sort_keys=False, allow_unicode=True)
        for name, df in calibrated._tables.items():
            (p / name).parent.mkdir(parents=True, exist_ok=True)
            df.reset_index().to_csv(p / name, index=False)
        if src is not None:  # the files that travel with the basin: runoff table, scenarios, observations
            for f in src.iterdir():
                if f.is_file() and f.name not in (BASIN_FILE, LOCK_FILE) and not (p / f.name).exists():
                    shutil.copy2(f, p / f.name)
            if (src / "observed").is_dir() and not (p / "observed").exists():
                shutil.copytree(src / "observed", p / "observed")
        if fitted_initial:  # the run's start is the hindcast's, not the basin's: into its setup
            write_setup(h.setup, fitted_initial, p / "observed" / "hindcast.yaml",
                        f"The hindcast setup of {b.name}, {how[0].lower() + how[1:]}: {note}.", src, p)

    _write(out, {
        "calibration.csv": lambda p: res.table().to_csv(p, index=False),
        "hindcast_before.csv": lambda p: res.before.table.to_csv(p, index=False),
        "hindcast_after.csv": lambda p: res.after.table.to_csv(p, index=False),
        "hindcast.png": lambda p: write_hindcast_png(res.after, p, title, before=res.before, basin=h.basin),
        "hindcast.html": lambda p: write_hindcast_html(res.after, p, title, before=res.before, calibration=res,
                                                       basin=h.basin),
        "basin": write_basin,
        "calibration.json": _json_writer(dict(res.summary(), basin=b.name, simulation=h.sim_options)),
    }, last="calibration.json")
    print_text(f"results: {out} (calibrated basin: {out / 'basin'})" if res.converged else
               f"results: {out} (the basin where the fit stopped, not converged: {out / 'basin'})")


def min_inflow_band_table(title: str, df):
    """The least inflow at 1 - X, 1 and 1 + X of each band (km3/yr)."""
    t = compact_table(title)
    for c in ("condition", "band", "at 1-X", "central", "at 1+X", "range"):
        t.add_column(c, justify="left" if c in ("condition", "band") else "right", no_wrap=True)

    def f(v) -> str:
        return "-" if v != v else f"{v:.2f}"  # NaN: the targets never hold

    for r in df.to_dict("records"):
        t.add_row(r["mode"].replace("_", " "), f"{r['band']} +-{100 * r['fraction']:g}%", f(r["at_low_km3"]),
                  f(r["central_km3"]), f(r["at_high_km3"]), f"{f(r['band_min_km3'])}..{f(r['band_max_km3'])}")
    return t


def sweep_band_table(table, bands):
    """The least lake level of every sweep point, central and at 1 -+ X of each band (m BS)."""
    t = compact_table("Sweep under the bands: least lake level (m BS)")
    t.add_column("value", justify="right")
    t.add_column("central", justify="right")
    keys = list(dict.fromkeys(zip(bands["band"], bands["factor"], strict=True)))
    for name, m in keys:
        t.add_column(f"{name} x{m:g}", justify="right")
    central = table.set_index("value").get("lake_level_min_m")
    for v in table["value"]:
        row = [f"{v:g}", "-" if central is None else f"{central[v]:.3f}"]
        for name, m in keys:
            sel = bands[(bands["band"] == name) & (bands["factor"] == m) & (bands["value"] == v)]
            x = sel["lake_level_min_m"].iloc[0] if "lake_level_min_m" in sel and len(sel) else float("nan")
            row.append("-" if x != x else f"{x:.3f}")
        t.add_row(*row)
    return t


__all__ = ["CommandError", "calibrate", "hindcast", "min_inflow_band_table", "sweep_band_table"]
