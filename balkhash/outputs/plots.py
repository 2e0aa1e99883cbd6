"""PNG plots of a solution (matplotlib, Agg canvas; pyplot is never used).

``write_plots(solution, basin, out_dir)`` writes:

* ``lake_level[_<id>].png``     - the lake level trajectory with the lake's level targets, its
  reference levels and level band (when the basin defines them), over the monthly inflow
* ``reservoir_storage.png``     - storage of each reservoir between its bounds
* ``deliveries_by_sector.png``  - delivered vs requested per month, one panel per sector
* ``shortfall_heatmap.png``     - shortfall in % of target, water user x month
* ``network.png``               - the network (map coordinates where given, else a layered
  layout) with the mean flow of each link as the line width; where nodes crowd on a map, a
  second panel enlarges that area
* ``targets.png``               - ecological flows and annual lake inflow against their targets

The network diagram is drawn by :mod:`.network_plot`; ``write_sweep_plots(sweep, basin, out_dir)``
(:mod:`.sweep_plots`) writes ``sweep_shortfall.png``, ``sweep_lake.png`` and (with level
trajectories) ``sweep_levels.png``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .common import lake_inflow_targets, lake_marks, node_arrivals, sector_colour
from .network_plot import plot_network
from .plot_base import (
    TARGET_COLOUR,
    _date_axis,
    _figure,
    _level_marks,
    _month_ends,
    _month_starts,
    _save,
    _ylim_with,
    run_jobs,
    step_word,
)
from .sweep_plots import sweep_plot_jobs

#: a reservoir's bounds, apart in colour and dash (as in the report)
LOWER_COLOUR, UPPER_COLOUR = "#e6550d", "#3b3b3b"


# -- lake -----------------------------------------------------------------------------------------
def plot_lake(solution, basin, lake_id: str, path) -> Path:
    st = solution.tables["storage"]
    st = st[st["node"] == lake_id]
    lake = next((lk for lk in solution.summary.get("lakes", []) if lk["node"] == lake_id), None)
    periods = st["period"].tolist()
    starts = _month_starts(periods)
    x = [starts[0], *_month_ends(periods)]
    start_level = lake["level_start_m"] if lake else float(st["level_m"].iloc[0])
    y = [start_level, *st["level_m"].to_numpy(float)]
    fig, axes = _figure(9, 6.2, 2, 1, sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
    ax, ax2 = axes[0, 0], axes[1, 0]
    _level_marks(ax, basin, lake_id)
    ax.plot(x, y, color="#08519c", lw=2.2, marker="o", ms=3.5, label=f"level at {step_word(basin)} end")
    marks, band = lake_marks(basin, lake_id)
    _ylim_with(ax, [*y, *(m.level for m in marks), *(band or ())])
    i_min = int(np.argmin(y))
    lo, hi = ax.get_ylim()
    below = [m.level for m in marks] + list(band or ())
    clash = any(y[i_min] - 0.09 * (hi - lo) <= v <= y[i_min] for v in below)  # a line under the label
    at = "the start" if i_min == 0 else f"end of {pd.Timestamp(x[i_min] - pd.Timedelta(days=1)).strftime('%b')}"
    ax.annotate(f"min {y[i_min]:.2f} m ({at})", (x[i_min], y[i_min]), textcoords="offset points",
                xytext=(6, 7) if clash else (6, -14), fontsize=8, color="#08519c",
                bbox=dict(facecolor="white", alpha=0.7, lw=0, pad=0.5))
    ax.set_ylabel("level, m BS")
    name = basin.node(lake_id).name or lake_id
    ax.set_title(f"{name}: level trajectory", loc="left", fontsize=11)
    ax.legend(fontsize=8, loc="best", framealpha=0.85)
    _date_axis(ax)

    inf = node_arrivals(solution, lake_id).set_index("period")["arriving_mm3"].reindex(periods, fill_value=0.0)
    width = np.array([(e - s).days for s, e in zip(starts, _month_ends(periods), strict=True)]) * 0.8
    ax2.bar(starts, inf.to_numpy(float), width=width, align="edge", color="#6baed6", label="surface inflow")
    ax2.set_ylabel(f"inflow, Mm3/{step_word(basin)}")
    txt = []
    targets = lake_inflow_targets(basin, lake_id)
    for wy, v in (lake or {}).get("annual_inflow_km3", {}).items():
        t = f" (target {max(k for _, k in targets):g})" if targets else ""
        txt.append(f"water year {wy}: {v:.2f} km3{t}")
    more = f"; {len(txt) - 3} more water years" if len(txt) > 3 else ""
    ax2.set_title("Surface inflow" + (": " + "; ".join(txt[:3]) + more if txt else ""), loc="left", fontsize=9)
    _date_axis(ax2)
    return _save(fig, Path(path))


# -- reservoirs -----------------------------------------------------------------------------------
def plot_reservoirs(solution, basin, path) -> Path | None:
    """Storage of each reservoir (from the storage table) between the LP's bounds on the storage at
    the end of each period, and its end-of-horizon minimum when it has one."""
    st = solution.tables["storage"]
    st = st[st["kind"] == "reservoir"]
    nodes = list(dict.fromkeys(st["node"]))
    if not nodes:
        return None
    ncols = 1 if len(nodes) == 1 else 2
    nrows = math.ceil(len(nodes) / ncols)
    fig, axes = _figure(9 if ncols == 1 else 12, 3.6 * nrows, nrows, ncols, sharex=True)
    for k, node in enumerate(nodes):
        ax = axes[k // ncols, k % ncols]
        g = st[st["node"] == node]
        periods = g["period"].tolist()
        starts = _month_starts(periods)
        x = [starts[0], *_month_ends(periods)]
        upper = g["max_storage_mm3"].to_numpy(float)
        km3 = float(np.nanmax(upper)) >= 5000.0  # a large reservoir reads better in km3
        f = 1e-3 if km3 else 1.0
        y = [float(g["storage_start_mm3"].iloc[0]) * f, *g["storage_mm3"].to_numpy(float) * f]
        # bounds hold for the storage at the end of each period
        lower = g["min_storage_mm3"].to_numpy(float) * f
        ax.fill_between(x[1:], lower, upper * f, color="#9ecae1", alpha=0.3, lw=0, label="allowed range")
        ax.plot(x[1:], lower, color=LOWER_COLOUR, lw=1.3, ls="-.", label="lower bound")
        ax.plot(x[1:], upper * f, color=UPPER_COLOUR, lw=1.2, ls="--", label="upper bound")
        ax.plot(x, y, color="#08519c", lw=2, marker="o", ms=3, label=f"storage at {step_word(basin)} end")
        end_min = float(g["end_min_mm3"].iloc[0])
        if not math.isnan(end_min):
            ax.axhline(end_min * f, color=TARGET_COLOUR, lw=1, ls=":", label="end-of-horizon minimum")
        ax.set_title(f"{basin.node(node).name or node}", loc="left", fontsize=10)
        ax.set_ylabel("storage, km3" if km3 else "storage, Mm3")
        _date_axis(ax)
        if k == 0:
            fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=5, fontsize=8)
    for k in range(len(nodes), nrows * ncols):
        axes[k // ncols, k % ncols].set_visible(False)
    fig.suptitle("Reservoir storage and bounds", fontsize=11)
    return _save(fig, Path(path))


# -- deliveries -----------------------------------------------------------------------------------
def plot_deliveries(solution, basin, path) -> Path | None:
    d = solution.tables["deliveries"]
    if d.empty:
        return None
    from ..network.schema import SECTORS

    sectors = sorted(dict.fromkeys(d["sector"]), key=lambda s: SECTORS.index(s) if s in SECTORS else 99)
    n = len(sectors)
    ncols = 1 if n == 1 else 2
    nrows = math.ceil(n / ncols)
    fig, axes = _figure(9 if ncols == 1 else 12, 3.3 * nrows, nrows, ncols, sharex=True)
    for k, sector in enumerate(sectors):
        ax = axes[k // ncols, k % ncols]
        g = d[d["sector"] == sector].groupby("period", sort=True)[["target_mm3", "delivered_mm3",
                                                                 "shortfall_mm3"]].sum()
        starts = _month_starts(g.index)
        ends = _month_ends(g.index)
        width = np.array([(e - s).days for s, e in zip(starts, ends, strict=True)]) * 0.8
        ax.bar(starts, g["delivered_mm3"], width=width, align="edge", color=sector_colour(sector), label="delivered")
        ax.bar(starts, g["shortfall_mm3"], bottom=g["delivered_mm3"], width=width, align="edge",
               color="none", edgecolor=TARGET_COLOUR, hatch="///", lw=0.8, label="shortfall")
        ax.step([*starts, ends[-1]], [*g["target_mm3"], g["target_mm3"].iloc[-1]], where="post",
                color="black", lw=1.2, label="requested target")
        top = float(max(g["target_mm3"].max(), (g["delivered_mm3"] + g["shortfall_mm3"]).max()))
        ax.set_ylim(0, 1.1 * top if top > 0 else 1.0)  # the bars' sticky edges would clip the target line
        tot_t, tot_s = g["target_mm3"].sum(), g["shortfall_mm3"].sum()
        pct = f"{100 * tot_s / tot_t:.1f} %" if tot_t > 0 else "-"
        ax.set_title(f"{sector}: target {tot_t:,.1f} Mm3, shortfall {tot_s:,.1f} Mm3 ({pct})", loc="left",
                     fontsize=10)
        ax.set_ylabel(f"Mm3 per {step_word(basin)}")
        _date_axis(ax)
    # one "delivered" entry per sector (each in its colour), then shortfall and target
    handles: dict = {}
    for k, sector in enumerate(sectors):
        for h, lab in zip(*axes[k // ncols, k % ncols].get_legend_handles_labels(), strict=True):
            handles.setdefault(f"delivered: {sector}" if lab == "delivered" else lab, h)
    order = sorted(handles, key=lambda lab: (not lab.startswith("delivered"), lab != "shortfall"))
    fig.legend([handles[lab] for lab in order], order, loc="outside lower center", ncols=min(6, len(order)),
               fontsize=8)
    for k in range(n, nrows * ncols):
        axes[k // ncols, k % ncols].set_visible(False)
    fig.suptitle("Deliveries against targets by sector", fontsize=11)
    return _save(fig, Path(path))


# -- shortfall heatmap ----------------------------------------------------------------------------
#: the shortfall heatmap's colours, the same in the PNG and in the HTML report: ColorBrewer's Reds
#: (matplotlib's "Reds") from white, 0 % short, to dark red, 100 % short; grey where the user
#: requested nothing (no percentage: not "no shortfall")
SHORTFALL_REDS = ("#ffffff", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d", "#a50f15", "#67000d")
NOT_REQUESTED_COLOUR = "#bdbdbd"
#: what the colours mean, in the title of both heatmaps
HEATMAP_KEY = "grey: nothing requested; white: nothing short"


def shortfall_matrix(solution, basin) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shortfall % of target, shortfall Mm3): water users (rows, by sector) x periods."""
    d = solution.tables["deliveries"]
    order = {n.id: i for i, n in enumerate(basin.nodes)}
    users = sorted(d["demand"].unique(), key=lambda u: (d.loc[d["demand"] == u, "sector"].iloc[0], order.get(u, 0)))
    mm3 = d.pivot_table(index="demand", columns="period", values="shortfall_mm3", aggfunc="sum").reindex(users)
    tgt = d.pivot_table(index="demand", columns="period", values="target_mm3", aggfunc="sum").reindex(users)
    pct = 100.0 * mm3 / tgt.where(tgt > 1e-12)
    return pct, mm3


def _month_ticks(periods) -> list[str]:
    """'Oct' per period, with the year under the first period and every January."""
    from .common import MONTHS

    out = []
    for i, p in enumerate(periods):
        y, m, *d = p.split("-")
        first = i == 0 or (m == "01" and d in ([], ["1"]))
        out.append(MONTHS[int(m) - 1] + (f" {d[0]}" if d else "") + (f"\n{y}" if first else ""))
    return out


def plot_shortfall_heatmap(solution, basin, path) -> Path | None:
    from matplotlib.colors import LinearSegmentedColormap

    d = solution.tables["deliveries"]
    if d.empty:
        return None
    pct, mm3 = shortfall_matrix(solution, basin)
    sectors = d.drop_duplicates("demand").set_index("demand")["sector"]
    nu, nt = pct.shape
    fig, axes = _figure(min(20.0, max(7.5, 0.55 * nt + 3.5)), min(16.0, max(2.6, 0.42 * nu + 1.6)))
    ax = axes[0, 0]
    cmap = LinearSegmentedColormap.from_list("shortfall", SHORTFALL_REDS).with_extremes(bad=NOT_REQUESTED_COLOUR)
    im = ax.imshow(np.ma.masked_invalid(pct.to_numpy(float)), aspect="auto", cmap=cmap, vmin=0, vmax=100,
                   interpolation="nearest")
    if nt <= 36:
        ax.set_xticks(range(nt), _month_ticks(pct.columns), fontsize=8)
    else:  # long horizons: a tick per year
        jan = [j for j, p in enumerate(pct.columns) if p[5:] in ("01", "01-1")]
        ax.set_xticks(jan, [pct.columns[j][:4] for j in jan], fontsize=8)
    ax.set_yticks(range(nu), [f"{u} ({sectors[u]})" for u in pct.index], fontsize=8)
    # light grey lines between the cells (as the report's gaps): the white cells keep their outline
    ax.set_xticks(np.arange(-0.5, nt, 1.0), minor=True)
    ax.set_yticks(np.arange(-0.5, nu, 1.0), minor=True)
    ax.grid(which="minor", color="#d9d9d9", lw=0.6)
    ax.tick_params(which="minor", length=0)
    if nt * nu <= 600:
        for i in range(nu):
            for j in range(nt):
                v = pct.iat[i, j]
                if np.isfinite(v) and mm3.iat[i, j] > 1e-6:
                    ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7,
                            color="white" if v > 55 else "black")
    none = "; no shortfall in this run" if not (mm3.fillna(0.0).to_numpy(float) > 1e-6).any() else ""
    ax.set_title(f"Shortfall in % of target ({HEATMAP_KEY}{none})", loc="left", fontsize=11)
    fig.colorbar(im, ax=ax, label="shortfall, % of target", shrink=0.9)
    return _save(fig, Path(path))


# -- targets --------------------------------------------------------------------------------------
def plot_targets(solution, basin, path) -> Path | None:
    t = solution.tables["targets"]
    eco = [tid for tid in dict.fromkeys(t.loc[t["type"] == "eco_flow", "target"])]
    inflow = [tid for tid in dict.fromkeys(t.loc[t["type"] == "lake_inflow", "target"])]
    panels = [("eco", x) for x in eco] + [("inflow", x) for x in inflow]
    if not panels:
        return None
    from ..network.timeline import period_days
    from ..network.units import mm3_to_m3s

    ncols = 1 if len(panels) == 1 else 2
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = _figure(9 if ncols == 1 else 12, 3.2 * nrows, nrows, ncols)
    for k, (kind, tid) in enumerate(panels):
        ax = axes[k // ncols, k % ncols]
        g = t[t["target"] == tid]
        if kind == "eco":
            days = [period_days(p) for p in g["period_or_year"]]
            starts = _month_starts(g["period_or_year"])
            ends = _month_ends(g["period_or_year"])
            ach = mm3_to_m3s(g["achieved"].to_numpy(float), days)
            req = mm3_to_m3s(g["required"].to_numpy(float), days)
            ax.step([*starts, ends[-1]], [*ach, ach[-1]], where="post", color="#2171b5", lw=2, label="flow")
            ax.step([*starts, ends[-1]], [*req, req[-1]], where="post", color=TARGET_COLOUR, lw=1.4, ls="--",
                    label="minimum (target)")
            viol = g["violation"].to_numpy(float) > 1e-6
            if viol.any():
                ax.scatter(starts[viol], ach[viol], color=TARGET_COLOUR, zorder=5, s=20, label="violated")
            ax.set_ylabel("m3/s")
            ax.set_ylim(bottom=0)
            ax.set_title(f"{tid}: flow on {g['node_or_link'].iloc[0]}", loc="left", fontsize=10)
            _date_axis(ax)
        else:
            ach = g["achieved"].to_numpy(float) / 1000.0
            req = g["required"].to_numpy(float) / 1000.0
            labels = g["period_or_year"].tolist()
            colours = ["#6baed6" if a >= r - 1e-6 else TARGET_COLOUR for a, r in zip(ach, req, strict=True)]
            pos = np.arange(len(labels))
            ax.bar(pos, ach, width=0.6, color=colours, label="inflow")
            ax.hlines(req, pos - 0.4, pos + 0.4, color=TARGET_COLOUR, lw=2.2, ls="--", label="target")
            for i, a in enumerate(ach):
                ax.text(i, a, f"{a:.2f}", ha="center", va="bottom", fontsize=8)
            ax.set_xticks(pos, labels)
            ax.set_xlim(-0.5 - max(0.0, (3 - len(labels)) / 2), len(labels) - 0.5 + max(0.0, (3 - len(labels)) / 2))
            ax.set_ylim(0, max(max(ach, default=0), max(req, default=0)) * 1.15 or 1.0)
            ax.set_ylabel("km3 per water year")
            ax.set_title(f"{tid}: inflow to {g['node_or_link'].iloc[0]}", loc="left", fontsize=10)
            ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=7, loc="best", framealpha=0.85)
    for k in range(len(panels), nrows * ncols):
        axes[k // ncols, k % ncols].set_visible(False)
    fig.suptitle("Targets", fontsize=11)
    return _save(fig, Path(path))


# -- all of them ----------------------------------------------------------------------------------
def plot_jobs(solution, basin, out_dir) -> list[tuple[str, Callable[[], Path | None]]]:
    """(file name, function writing it) for every plot of a solution."""
    out = Path(out_dir)
    lakes = [s for s in dict.fromkeys(solution.tables["storage"].query("kind == 'lake'")["node"])]
    jobs: list[tuple[str, Callable[[], Path | None]]] = []
    for lake in lakes:
        name = "lake_level.png" if len(lakes) == 1 else f"lake_level_{lake}.png"
        jobs.append((name, partial(plot_lake, solution, basin, lake, out / name)))
    jobs += [
        ("reservoir_storage.png", lambda: plot_reservoirs(solution, basin, out / "reservoir_storage.png")),
        ("deliveries_by_sector.png", lambda: plot_deliveries(solution, basin, out / "deliveries_by_sector.png")),
        ("shortfall_heatmap.png", lambda: plot_shortfall_heatmap(solution, basin, out / "shortfall_heatmap.png")),
        ("network.png", lambda: plot_network(solution, basin, out / "network.png")),
        ("targets.png", lambda: plot_targets(solution, basin, out / "targets.png")),
    ]
    return jobs


def write_plots(solution, basin, out_dir, *, sweep=None,
                progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write every plot of ``solution`` (and of ``sweep``, a :class:`~.sweep.Sweep`, when given)
    into ``out_dir``; returns the files written.  ``progress(name)`` is called after each one."""
    jobs = plot_jobs(solution, basin, out_dir)
    if sweep is not None:
        jobs += sweep_plot_jobs(sweep, basin, out_dir)
    return run_jobs(jobs, progress)
