"""PNG plots of an inflow sweep: shortfall by sector and the lake against the swept value, and the
lake level trajectories of every point."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .common import lake_inflow_targets, lake_marks, sector_colour
from .plot_base import (
    BAND_COLOUR,
    TARGET_COLOUR,
    _date_axis,
    _figure,
    _level_marks,
    _month_ends,
    _save,
    _ylim_with,
    run_jobs,
    step_word,
)


# -- sweeps ---------------------------------------------------------------------------------------
def _sweep_lake_id(basin) -> str | None:
    lakes = basin.nodes_of("lake") if basin is not None else []
    return lakes[0].id if lakes else None


def plot_sweep_shortfall(sweep, path) -> Path:
    df = sweep.solved
    fig, axes = _figure(9, 4.8)
    ax = axes[0, 0]
    x = df["value"].to_numpy(float)
    for sec in sweep.sectors:
        ax.plot(x, df[f"shortfall_{sec}_mm3"], marker="o", ms=4, lw=2, color=sector_colour(sec), label=sec)
    if "total_shortfall_mm3" in df:
        ax.plot(x, df["total_shortfall_mm3"], color="black", lw=1.5, ls="--", label="total")
    bad = sweep.table[sweep.table["status"].astype(str) == "no_solution"]
    for v in bad["value"]:
        ax.axvline(v, color="#bdbdbd", lw=6, alpha=0.5)
    viol = [sweep.violated(r) for r in df.to_dict("records")]
    first_ok = None  # the smallest value from which every point meets every target
    for xv, vl in reversed(list(zip(x, viol, strict=True))):
        if vl:
            break
        first_ok = xv
    if first_ok is not None and any(viol):
        ax.axvline(first_ok, color=BAND_COLOUR, ls=":", lw=1.4, label=f"targets all met from {first_ok:g}")
    ax.set_xlabel(sweep.label)
    ax.set_ylabel("shortfall over the horizon, Mm3")
    ax.set_title("Shortfall by sector against the swept value", loc="left", fontsize=11)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return _save(fig, Path(path))


def plot_sweep_lake(sweep, basin, path) -> Path | None:
    df = sweep.solved
    if "lake_level_end_m" not in df and "lake_inflow_km3" not in df:
        return None
    lake = _sweep_lake_id(basin)
    fig, axes = _figure(9, 6.4, 2, 1, sharex=True)
    ax, ax2 = axes[0, 0], axes[1, 0]
    x = df["value"].to_numpy(float)
    if lake is not None:
        _level_marks(ax, basin, lake)
    levels = []
    for col, lab, style in (("lake_level_end_m", "level at the end", "-"), ("lake_level_min_m", "lowest level", "--")):
        if col in df:
            ax.plot(x, df[col], marker="o", ms=4, lw=2, ls=style, color="#08519c", label=lab)
            levels += df[col].tolist()
    if lake is not None:
        marks, band = lake_marks(basin, lake)
        _ylim_with(ax, [*levels, *(m.level for m in marks), *(band or ())])
    ax.set_ylabel("lake level, m BS")
    ax.set_title("Lake against the swept value", loc="left", fontsize=11)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    if "lake_inflow_km3" in df:
        ax2.plot(x, df["lake_inflow_km3"], marker="o", ms=4, lw=2, color="#6baed6", label="lake inflow")
        if lake is not None:
            for tid, km3 in lake_inflow_targets(basin, lake):
                ax2.axhline(km3, color=TARGET_COLOUR, ls="--", lw=1.4, label=f"{tid} ({km3:g} km3/yr)")
        ax2.set_ylabel("inflow, km3 per water year")
        ax2.legend(fontsize=8, loc="best")
    ax2.set_xlabel(sweep.label)
    ax2.grid(True, alpha=0.3)
    return _save(fig, Path(path))


def plot_sweep_levels(sweep, basin, path) -> Path | None:
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    lv = sweep.levels
    if lv is None or lv.empty:
        return None
    fig, axes = _figure(9, 4.8)
    ax = axes[0, 0]
    vals = sorted(lv["value"].unique())
    norm = Normalize(min(vals), max(vals) if max(vals) > min(vals) else min(vals) + 1)
    cmap = colormaps["viridis"]
    lake = _sweep_lake_id(basin)
    if lake is not None:
        _level_marks(ax, basin, lake)
    for v in vals:
        g = lv[lv["value"] == v]
        ax.plot(_month_ends(g["period"]), g["level_m"], color=cmap(norm(v)), lw=1.6)
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=sweep.label)
    ax.set_ylabel(f"lake level at {step_word(basin)} end, m BS")
    ax.set_title("Lake level trajectory at each swept value", loc="left", fontsize=11)
    if lake is not None and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best")
    _date_axis(ax)
    return _save(fig, Path(path))


def sweep_plot_jobs(sweep, basin, out_dir) -> list[tuple[str, Callable[[], Path | None]]]:
    out = Path(out_dir)
    return [
        ("sweep_shortfall.png", lambda: plot_sweep_shortfall(sweep, out / "sweep_shortfall.png")),
        ("sweep_lake.png", lambda: plot_sweep_lake(sweep, basin, out / "sweep_lake.png")),
        ("sweep_levels.png", lambda: plot_sweep_levels(sweep, basin, out / "sweep_levels.png")),
    ]


def write_sweep_plots(sweep, basin, out_dir, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write the sweep curves into ``out_dir``; ``basin`` (may be None) gives the lake's targets."""
    return run_jobs(sweep_plot_jobs(sweep, basin, out_dir), progress)
