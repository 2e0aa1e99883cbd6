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

``write_sweep_plots(sweep, basin, out_dir)`` writes ``sweep_shortfall.png``, ``sweep_lake.png``
and (with level trajectories) ``sweep_levels.png``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .common import (
    NODE_COLOURS,
    lake_inflow_targets,
    lake_marks,
    model_data,
    sector_colour,
)

DPI = 110
TARGET_COLOUR = "#d62728"
REFERENCE_COLOUR = "#ff7f0e"
BAND_COLOUR = "#2ca02c"


def _figure(w: float, h: float, nrows: int = 1, ncols: int = 1, **kw):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, facecolor="white")
    return path


def _month_starts(periods) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Timestamp(f"{p}-01") for p in periods])


def _month_ends(periods) -> pd.DatetimeIndex:
    return _month_starts(periods) + pd.offsets.MonthBegin(1)


def _date_axis(ax) -> None:
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(minticks=4, maxticks=14)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    ax.grid(True, alpha=0.3)


def _level_marks(ax, basin, lake_id: str, horizontal: bool = True) -> None:
    """Draw a lake's level targets and reference levels as lines and its band as a shaded range."""
    marks, band = lake_marks(basin, lake_id)
    if band is not None:
        ax.axhspan(band[0], band[1], color=BAND_COLOUR, alpha=0.12, lw=0,
                   label=f"level band {band[0]:g}-{band[1]:g} m")
    for mk in marks:
        style = dict(color=TARGET_COLOUR, ls="--", lw=1.4) if mk.kind == "target" else \
            dict(color=REFERENCE_COLOUR, ls=":", lw=1.4)
        ax.axhline(mk.level, label=mk.label, **style)


def _ylim_with(ax, values) -> None:
    lo, hi = ax.get_ylim()
    vals = [v for v in values if v is not None and np.isfinite(v)]
    if vals:
        lo, hi = min(lo, min(vals)), max(hi, max(vals))
        pad = 0.05 * (hi - lo or 1.0)
        ax.set_ylim(lo - pad, hi + pad)


# -- lake -----------------------------------------------------------------------------------------
def plot_lake(solution, basin, lake_id: str, path) -> Path:
    from .common import lake_inflow_table

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
    ax.plot(x, y, color="#08519c", lw=2.2, marker="o", ms=3.5, label="level at month end")
    marks, band = lake_marks(basin, lake_id)
    _ylim_with(ax, [*y, *(m.level for m in marks), *(band or ())])
    i_min = int(np.argmin(y))
    lo, hi = ax.get_ylim()
    below = [m.level for m in marks] + list(band or ())
    clash = any(y[i_min] - 0.09 * (hi - lo) <= v <= y[i_min] for v in below)  # a line under the label
    ax.annotate(f"min {y[i_min]:.2f} m", (x[i_min], y[i_min]), textcoords="offset points",
                xytext=(6, 7) if clash else (6, -14), fontsize=8, color="#08519c",
                bbox=dict(facecolor="white", alpha=0.7, lw=0, pad=0.5))
    ax.set_ylabel("level, m BS")
    name = basin.node(lake_id).name or lake_id
    ax.set_title(f"{name}: level trajectory", loc="left", fontsize=11)
    ax.legend(fontsize=8, loc="best", framealpha=0.85)
    _date_axis(ax)

    inf = lake_inflow_table(solution, lake_id)
    width = np.array([(e - s).days for s, e in zip(starts, _month_ends(periods), strict=True)]) * 0.8
    ax2.bar(starts, inf["inflow_mm3"], width=width, align="edge", color="#6baed6", label="surface inflow")
    ax2.set_ylabel("inflow, Mm3/month")
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
def plot_reservoirs(solution, basin, path, data=None) -> Path | None:
    st = solution.tables["storage"]
    st = st[st["kind"] == "reservoir"]
    nodes = list(dict.fromkeys(st["node"]))
    if not nodes:
        return None
    data = model_data(basin, data)
    ncols = 1 if len(nodes) == 1 else 2
    nrows = math.ceil(len(nodes) / ncols)
    fig, axes = _figure(9 if ncols == 1 else 12, 3.6 * nrows, nrows, ncols, sharex=True)
    for k, node in enumerate(nodes):
        ax = axes[k // ncols, k % ncols]
        g = st[st["node"] == node]
        s = data.storage(node)
        periods = g["period"].tolist()
        starts = _month_starts(periods)
        x = [starts[0], *_month_ends(periods)]
        upper = np.asarray(s.upper, dtype=float)
        km3 = float(np.nanmax(upper)) >= 5000.0  # a large reservoir reads better in km3
        f = 1e-3 if km3 else 1.0
        y = [float(s.s0) * f, *g["storage_mm3"].to_numpy(float) * f]
        # bounds hold for the storage at the end of each period
        lower = np.asarray(s.lower, dtype=float) * f
        ax.fill_between(x[1:], lower, upper * f, color="#9ecae1", alpha=0.3, lw=0, label="allowed range")
        ax.plot(x[1:], lower, color="#6b6b6b", lw=1, ls="--", label="lower bound")
        ax.plot(x[1:], upper * f, color="#3b3b3b", lw=1, ls="--", label="upper bound")
        ax.plot(x, y, color="#08519c", lw=2, marker="o", ms=3, label="storage at month end")
        if s.end_min is not None:
            ax.axhline(s.end_min * f, color=TARGET_COLOUR, lw=1, ls=":", label="end-of-horizon minimum")
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
        ax.set_ylabel("Mm3 per month")
        _date_axis(ax)
        if k == 0:
            fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=8)
    for k in range(n, nrows * ncols):
        axes[k // ncols, k % ncols].set_visible(False)
    fig.suptitle("Deliveries against targets by sector", fontsize=11)
    return _save(fig, Path(path))


# -- shortfall heatmap ----------------------------------------------------------------------------
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
        y, m = p.split("-")
        out.append(MONTHS[int(m) - 1] + (f"\n{y}" if i == 0 or m == "01" else ""))
    return out


def plot_shortfall_heatmap(solution, basin, path) -> Path | None:
    from matplotlib import colormaps

    d = solution.tables["deliveries"]
    if d.empty:
        return None
    pct, mm3 = shortfall_matrix(solution, basin)
    sectors = d.drop_duplicates("demand").set_index("demand")["sector"]
    nu, nt = pct.shape
    fig, axes = _figure(min(20.0, max(7.5, 0.55 * nt + 3.5)), min(16.0, max(2.6, 0.42 * nu + 1.6)))
    ax = axes[0, 0]
    cmap = colormaps["Reds"].with_extremes(bad="#eeeeee")
    im = ax.imshow(np.ma.masked_invalid(pct.to_numpy(float)), aspect="auto", cmap=cmap, vmin=0, vmax=100,
                   interpolation="nearest")
    if nt <= 36:
        ax.set_xticks(range(nt), _month_ticks(pct.columns), fontsize=8)
    else:  # long horizons: a tick per year
        jan = [j for j, p in enumerate(pct.columns) if p.endswith("-01")]
        ax.set_xticks(jan, [pct.columns[j][:4] for j in jan], fontsize=8)
    ax.set_yticks(range(nu), [f"{u} ({sectors[u]})" for u in pct.index], fontsize=8)
    if nt * nu <= 600:
        for i in range(nu):
            for j in range(nt):
                v = pct.iat[i, j]
                if np.isfinite(v) and mm3.iat[i, j] > 1e-6:
                    ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7,
                            color="white" if v > 55 else "black")
    none = "; no shortfall in this run" if not (mm3.fillna(0.0).to_numpy(float) > 1e-6).any() else ""
    ax.set_title(f"Shortfall in % of target (grey: nothing requested{none})", loc="left", fontsize=11)
    fig.colorbar(im, ax=ax, label="shortfall, % of target", shrink=0.9)
    return _save(fig, Path(path))


# -- network --------------------------------------------------------------------------------------
def _layered(basin) -> dict[str, tuple[float, float]]:
    """Left-to-right layers by longest path from the sources (links only), with a few barycentre
    sweeps to reduce crossings; spring layout if the links hold a cycle."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in basin.nodes)
    g.add_edges_from((lk.from_, lk.to) for lk in basin.links)
    if not nx.is_directed_acyclic_graph(g):
        return {k: (float(v[0]), float(v[1])) for k, v in nx.spring_layout(g, seed=1).items()}
    layer: dict[str, int] = {}
    for n in nx.topological_sort(g):
        preds = list(g.predecessors(n))
        layer[n] = 1 + max(layer[p] for p in preds) if preds else 0
    # sources as late as possible (a tributary enters next to its confluence)
    for n in reversed(list(nx.topological_sort(g))):
        succ = list(g.successors(n))
        if g.in_degree(n) == 0 and succ:
            layer[n] = max(0, min(layer[s] for s in succ) - 1)
    # terminal nodes (lakes, sinks) in the last layer
    last = max(layer.values(), default=0)
    for n in basin.nodes:
        if n.type in ("lake", "sink") and g.in_degree(n.id) > 0:
            layer[n.id] = last
    layers: dict[int, list[str]] = {}
    for n in basin.nodes:
        layers.setdefault(layer[n.id], []).append(n.id)
    pos_in = {n: float(i) for lay in layers.values() for i, n in enumerate(lay)}
    for sweep in range(6):
        keys = sorted(layers) if sweep % 2 == 0 else sorted(layers, reverse=True)
        for k in keys:
            nbrs = (lambda n: list(g.predecessors(n))) if sweep % 2 == 0 else (lambda n: list(g.successors(n)))
            def bary(n, nbrs=nbrs):
                ns = nbrs(n)
                return sum(pos_in[m] for m in ns) / len(ns) if ns else pos_in[n]
            layers[k].sort(key=bary)
            for i, n in enumerate(layers[k]):
                pos_in[n] = float(i)
    pos = {}
    for k, lay in layers.items():
        off = (len(lay) - 1) / 2.0
        for i, n in enumerate(lay):
            pos[n] = (float(k), -(i - off))
    return pos


def network_positions(basin) -> tuple[dict[str, tuple[float, float]], bool]:
    """Node positions: the data's x/y where every node has them (True: map coordinates); nodes
    without are placed at the mean of their placed neighbours; a layered layout when none has."""
    given = {n.id: (float(n.x), float(n.y)) for n in basin.nodes if n.x is not None and n.y is not None}
    if not given:
        return _layered(basin), False
    pos = dict(given)
    nbrs: dict[str, set] = {n.id: set() for n in basin.nodes}
    for lk in basin.links:
        nbrs[lk.from_].add(lk.to)
        nbrs[lk.to].add(lk.from_)
    for _ in range(len(basin.nodes)):
        missing = [n for n in nbrs if n not in pos]
        if not missing:
            break
        for n in missing:
            placed = [pos[m] for m in nbrs[n] if m in pos]
            if placed:
                pos[n] = (float(np.mean([p[0] for p in placed])) + 0.01, float(np.mean([p[1] for p in placed])) - 0.01)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    for i, n in enumerate([n for n in nbrs if n not in pos]):  # isolated, unplaced: a row below
        pos[n] = (min(xs) + i * 0.1, min(ys) - 0.1)
    return pos, True


def mean_link_flows(solution) -> pd.Series:
    """Mean flow of each link over the horizon, m3/s."""
    f = solution.tables["flows"]
    return f.groupby("link_id", sort=False)["flow_m3s"].mean()


NODE_MARKERS = {"inflow": "v", "junction": "o", "reservoir": "s", "demand": "o", "lake": "h", "sink": "X"}
NODE_SIZES = {"inflow": 90, "junction": 30, "reservoir": 140, "demand": 90, "lake": 320, "sink": 60}
FLOW_COLOUR = "#2171b5"


def crowded_area(pos, aspect: float = 1.0, frac: float = 0.05) -> tuple[float, float, float, float] | None:
    """The part of a map where nodes crowd: the box ``(x0, x1, y0, y1)`` around the groups of three
    or more nodes lying closer than ``frac`` of the map span to each other (with one and a half
    times that distance as margin); None when nothing crowds or the box would be half the map
    (nothing to enlarge).  ``aspect`` is the drawn length of a y unit in x units."""
    import networkx as nx

    ids = list(pos)
    if len(ids) < 8:
        return None
    p = np.array([pos[n] for n in ids], dtype=float)
    q = p * np.array([1.0, aspect])
    span = float(max(np.ptp(q[:, 0]), np.ptp(q[:, 1]))) or 1.0
    near = frac * span
    dist = np.hypot(q[:, None, 0] - q[None, :, 0], q[:, None, 1] - q[None, :, 1])
    g = nx.Graph()
    g.add_nodes_from(range(len(ids)))
    g.add_edges_from((i, j) for i, j in zip(*np.nonzero(np.triu(dist < near, 1)), strict=True))
    crowd = [i for c in nx.connected_components(g) if len(c) >= 3 for i in c]
    if len(crowd) < 4:
        return None
    m = 1.5 * near
    x0, x1 = p[crowd, 0].min() - m, p[crowd, 0].max() + m
    y0, y1 = p[crowd, 1].min() - m / aspect, p[crowd, 1].max() + m / aspect
    if x1 - x0 > 0.5 * np.ptp(p[:, 0]) or y1 - y0 > 0.5 * np.ptp(p[:, 1]):
        return None
    return float(x0), float(x1), float(y0), float(y1)


def _inside(xy, box) -> bool:
    return box is not None and box[0] <= xy[0] <= box[1] and box[2] <= xy[1] <= box[3]


def _overlap(a, b) -> float:
    """Overlap area of two boxes (x0, y0, x1, y1)."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _segment_samples(segments) -> tuple[np.ndarray, np.ndarray]:
    """Points along each segment ((x0, y0), (x1, y1)): arrays (segments x 24) of x and of y."""
    t = np.linspace(0.0, 1.0, 24)
    a = np.array([s[0] for s in segments], dtype=float).reshape(-1, 2)
    b = np.array([s[1] for s in segments], dtype=float).reshape(-1, 2)
    return a[:, :1] + t * (b[:, :1] - a[:, :1]), a[:, 1:] + t * (b[:, 1:] - a[:, 1:])


def _crossings(box, samples) -> int:
    """How many segments (see :func:`_segment_samples`) pass through a box (x0, y0, x1, y1)."""
    xs, ys = samples
    return int(np.any((xs >= box[0]) & (xs <= box[2]) & (ys >= box[1]) & (ys <= box[3]), axis=1).sum())


# label positions around a node: direction (unit vector) and the text alignment that keeps it clear
_AROUND = [((0.0, 1.0), "center", "bottom"), ((1.0, 0.0), "left", "center"), ((-1.0, 0.0), "right", "center"),
           ((0.0, -1.0), "center", "top"), ((0.71, 0.71), "left", "bottom"), ((-0.71, 0.71), "right", "bottom"),
           ((0.71, -0.71), "left", "top"), ((-0.71, -0.71), "right", "top")]


def _label_box(x, y, w, h, ha, va):
    x0 = x - w / 2 if ha == "center" else (x if ha == "left" else x - w)
    y0 = y - h / 2 if va == "center" else (y if va == "bottom" else y - h)
    return (x0, y0, x0 + w, y0 + h)


def _place_labels(ax, renderer, nodes, pos, segments, fontsize, keep_out=(), clip=False):
    """Label ``nodes`` (id, kind, label) without overlaps where possible: each label tries eight
    positions around its node, then the same further out with a leader line, and takes the one
    overlapping the fewest labels, markers and links.  Works in display pixels (layout fixed)."""
    to_px = ax.transData.transform
    frame = ax.get_window_extent(renderer)
    px_per_pt = ax.figure.dpi / 72.0
    ptxy = {n: tuple(to_px(pos[n])) for n, _, _ in nodes}
    markers = []
    for n, kind, _ in nodes:
        r = 0.5 * math.sqrt(NODE_SIZES[kind]) * px_per_pt
        x, y = ptxy[n]
        markers.append((x - r, y - r, x + r, y + r))
    segs = _segment_samples([(tuple(to_px(a)), tuple(to_px(b))) for a, b in segments])
    placed = list(keep_out)
    # the most crowded first: they have the fewest free places
    crowd = {n: sum(math.dist(ptxy[n], ptxy[m]) < 80 for m, _, _ in nodes) for n, _, _ in nodes}
    for n, kind, label in sorted(nodes, key=lambda t: -crowd[t[0]]):
        probe = ax.text(0, 0, label, fontsize=fontsize)
        bb = probe.get_window_extent(renderer)
        probe.remove()
        w, h = bb.width + 2, bb.height + 1
        x, y = ptxy[n]
        r = 0.5 * math.sqrt(NODE_SIZES[kind]) * px_per_pt + 2
        best = None
        for ring in range(4):
            d = r + ring * 1.3 * h
            for k, ((ux, uy), ha, va) in enumerate(_AROUND):
                ax_, ay_ = x + ux * d, y + uy * d
                box = _label_box(ax_, ay_, w, h, ha, va)
                cost = sum(_overlap(box, o) for o in placed) * 10 + sum(_overlap(box, o) for o in markers) * 10
                if box[0] < frame.x0 or box[2] > frame.x1 or box[1] < frame.y0 or box[3] > frame.y1:
                    cost += 1e6
                cost += 40 * _crossings(box, segs) + ring * 60 + k
                if best is None or cost < best[0]:
                    best = (cost, box, ax_ - x, ay_ - y, ha, va, ring)
        _, box, dx, dy, ha, va, ring = best
        placed.append(box)
        arrow = dict(arrowstyle="-", lw=0.6, color="#555555", shrinkA=0, shrinkB=2) if ring else None
        ax.annotate(label, pos[n], xytext=(dx / px_per_pt, dy / px_per_pt), textcoords="offset points",
                    fontsize=fontsize, ha=ha, va=va, zorder=6, arrowprops=arrow, annotation_clip=clip,
                    bbox=dict(facecolor="white", alpha=0.75, lw=0, pad=0.4), clip_on=clip)
    return placed


def _place_flow_labels(ax, renderer, links, pos, placed, fontsize):
    """Each link's mean flow next to its middle where it overlaps no label (else left out)."""
    to_px = ax.transData.transform
    frame = ax.get_window_extent(renderer)
    for text, a, b in links:
        probe = ax.text(0, 0, text, fontsize=fontsize)
        bb = probe.get_window_extent(renderer)
        probe.remove()
        w, h = bb.width + 0.6 * fontsize, bb.height + 0.6 * fontsize  # with the white box around
        (x0, y0), (x1, y1) = to_px(pos[a]), to_px(pos[b])
        if math.hypot(x1 - x0, y1 - y0) < 1.6 * w:
            continue
        for t in (0.5, 0.4, 0.6, 0.3, 0.7):
            cx, cy = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if box[0] < frame.x0 + 4 or box[2] > frame.x1 - 4 or box[1] < frame.y0 + 4 or box[3] > frame.y1 - 4:
                continue
            if any(_overlap(box, o) > 0 for o in placed):
                continue
            placed.append(box)
            ax.text(*ax.transData.inverted().transform((cx, cy)), text, fontsize=fontsize, color="#08306b",
                    ha="center", va="center", zorder=5, bbox=dict(facecolor="white", alpha=0.75, lw=0, pad=0.3))
            break


def _draw_network(ax, basin, pos, q, qmax) -> None:
    """Links (width = mean flow), return flows and node markers (labels come later)."""
    from matplotlib.patches import FancyArrowPatch

    for lk in basin.links:
        v = float(q.get(lk.id, 0.0))
        lw = 0.6 + 7.5 * v / qmax
        ax.add_patch(FancyArrowPatch(pos[lk.from_], pos[lk.to], arrowstyle="-|>", mutation_scale=8 + lw, lw=lw,
                                     color=FLOW_COLOUR if v > 1e-9 else "#bdbdbd", alpha=0.75, shrinkA=7,
                                     shrinkB=9, zorder=1))
    for d in basin.nodes_of("demand"):
        if d.return_to and d.return_to in pos and d.consumptive_fraction < 1.0:
            ax.add_patch(FancyArrowPatch(pos[d.id], pos[d.return_to], arrowstyle="-|>", mutation_scale=8, lw=0.9,
                                         color="#969696", ls="--", alpha=0.8, shrinkA=7, shrinkB=9, zorder=1,
                                         connectionstyle="arc3,rad=0.15"))
    for kind in ("lake", "reservoir", "inflow", "junction", "demand", "sink"):
        for off in (False, True):  # a disabled reservoir: hollow (it passes water through)
            ids = [n.id for n in basin.nodes if n.type == kind and n.id in pos and
                   (getattr(n, "enabled", True) is False) == off]
            if ids:
                ax.scatter([pos[n][0] for n in ids], [pos[n][1] for n in ids], s=NODE_SIZES[kind],
                           marker=NODE_MARKERS[kind], c="white" if off else NODE_COLOURS[kind],
                           edgecolors=NODE_COLOURS[kind] if off else "white", linewidths=1.2 if off else 0.8,
                           zorder=4)


def plot_network(solution, basin, path) -> Path:
    """The network with the mean flow of each link as the line width.  On a map where nodes crowd
    (:func:`crowded_area`), a second panel enlarges that area and the overview labels the rest."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    pos, geo = network_positions(basin)
    q = mean_link_flows(solution)
    qmax = float(q.max()) if len(q) and q.max() > 0 else 1.0
    xs = np.array([p[0] for p in pos.values()])
    ys = np.array([p[1] for p in pos.values()])
    span_x, span_y = float(np.ptp(xs)) or 1.0, float(np.ptp(ys)) or 1.0
    pad_x, pad_y = 0.06 * span_x, 0.06 * span_y
    lims = (xs.min() - pad_x, xs.max() + pad_x, ys.min() - pad_y, ys.max() + pad_y)
    box = None
    if geo:
        aspect = 1.0 / math.cos(math.radians(float(np.mean(ys)))) if np.all(np.abs(ys) <= 90) else 1.0
        box = crowded_area(pos, aspect)
        ratio = (lims[1] - lims[0]) / ((lims[3] - lims[2]) * aspect)  # width / height of the map
        if box is None:
            w = 11.0
            h = max(5.0, min(11.0, w / ratio + 1.0))
            widths = [1.0]
        else:
            zoom_ratio = (box[1] - box[0]) / ((box[3] - box[2]) * aspect)
            h = 8.6
            widths = [ratio, zoom_ratio]
            w = 7.6 * (ratio + zoom_ratio) + 1.4
    else:
        aspect = None
        w = max(8.0, 1.9 * span_x + 3)
        h = max(4.5, 0.9 * span_y + 2.5)
        lims = (xs.min() - 0.5, xs.max() + 0.5, ys.min() - 0.5, ys.max() + 0.6)
        widths = [1.0]
    fig = Figure(figsize=(w, h), dpi=DPI, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(widths), squeeze=False, gridspec_kw={"width_ratios": widths})[0]
    for k, ax in enumerate(axes):
        _draw_network(ax, basin, pos, q, qmax)
        x0, x1, y0, y1 = lims if k == 0 else box
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        if geo:
            ax.set_aspect(aspect)
            ax.set_xlabel("x (longitude)")
            ax.set_ylabel("y (latitude)" if k == 0 else "")
            ax.grid(True, alpha=0.2)
        else:
            ax.set_axis_off()
    if box is not None:
        axes[0].add_patch(Rectangle((box[0], box[2]), box[1] - box[0], box[3] - box[2], fill=False, ec="#444444",
                                    lw=1.0, ls="--", zorder=2))
        axes[0].set_title("the whole basin (dashed box: enlarged on the right)", loc="left", fontsize=10)
        axes[1].set_title("the dashed box enlarged", loc="left", fontsize=10)
    types = {n.id: n.type for n in basin.nodes}
    handles = [Line2D([], [], marker=NODE_MARKERS[k], ls="", color=NODE_COLOURS[k], label=k, ms=8)
               for k in NODE_MARKERS if k in types.values()]
    if any(getattr(n, "enabled", True) is False for n in basin.nodes):
        handles.append(Line2D([], [], marker="s", ls="", mfc="white", mec=NODE_COLOURS["reservoir"], ms=8,
                              label="disabled"))
    handles += [Line2D([], [], color=FLOW_COLOUR, lw=0.6 + 7.5, label=f"{qmax:,.1f} m3/s (largest mean flow)"),
                Line2D([], [], color=FLOW_COLOUR, lw=0.6 + 7.5 / 4, label=f"{qmax / 4:,.1f} m3/s")]
    if any(d.return_to for d in basin.nodes_of("demand")):
        handles.append(Line2D([], [], color="#969696", ls="--", lw=0.9, label="return flow"))
    fig.legend(handles=handles, fontsize=8, loc="outside lower center", ncols=min(len(handles), 6),
               frameon=False)
    fig.suptitle(f"{basin.name}: network, line width = mean flow over the horizon (m3/s)", x=0.01, ha="left",
                 fontsize=11)
    # labels need the final layout: lay out once, then keep it
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    renderer = canvas.get_renderer()
    font = 8.5 if len(basin.nodes) > 25 else 9
    for k, ax in enumerate(axes):
        x0, x1, y0, y1 = ax.get_xlim() + ax.get_ylim()
        view = (x0, x1, y0, y1)
        shown = [n for n in pos if _inside(pos[n], view) and (k > 0 or not _inside(pos[n], box))]
        nodes = [(n, types[n], n if getattr(basin.node(n), "enabled", True) is not False else f"{n} (disabled)")
                 for n in shown]
        segments = [(pos[lk.from_], pos[lk.to]) for lk in basin.links]
        keep_out = []
        if k == 0 and box is not None:
            (bx0, by0), (bx1, by1) = ax.transData.transform([(box[0], box[2]), (box[1], box[3])])
            keep_out.append((bx0, by0, bx1, by1))
        placed = _place_labels(ax, renderer, nodes, pos, segments, font + (1 if k else 0), keep_out, clip=k > 0)
        links = []
        for lk in basin.links:
            mid = tuple((np.array(pos[lk.from_]) + np.array(pos[lk.to])) / 2)
            if _inside(mid, view) and (k > 0 or not _inside(mid, box)):
                links.append((f"{float(q.get(lk.id, 0.0)):,.1f}", lk.from_, lk.to))
        _place_flow_labels(ax, renderer, links, pos, placed, font - 1 + (1 if k else 0))
    return _save(fig, Path(path))


# -- targets --------------------------------------------------------------------------------------
def plot_targets(solution, basin, path) -> Path | None:
    t = solution.tables["targets"]
    eco = [tid for tid in dict.fromkeys(t.loc[t["type"] == "eco_flow", "target"])]
    inflow = [tid for tid in dict.fromkeys(t.loc[t["type"] == "lake_inflow", "target"])]
    panels = [("eco", x) for x in eco] + [("inflow", x) for x in inflow]
    if not panels:
        return None
    from ..network.timeline import parse_month
    from ..network.units import days_in_month, mm3_to_m3s

    ncols = 1 if len(panels) == 1 else 2
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = _figure(9 if ncols == 1 else 12, 3.2 * nrows, nrows, ncols)
    for k, (kind, tid) in enumerate(panels):
        ax = axes[k // ncols, k % ncols]
        g = t[t["target"] == tid]
        if kind == "eco":
            days = [days_in_month(*parse_month(p)) for p in g["period_or_year"]]
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
def plot_jobs(solution, basin, out_dir, data=None) -> list[tuple[str, Callable[[], Path | None]]]:
    """(file name, function writing it) for every plot of a solution."""
    out = Path(out_dir)
    lakes = [s for s in dict.fromkeys(solution.tables["storage"].query("kind == 'lake'")["node"])]
    jobs: list[tuple[str, Callable[[], Path | None]]] = []
    for lake in lakes:
        name = "lake_level.png" if len(lakes) == 1 else f"lake_level_{lake}.png"
        jobs.append((name, lambda lake=lake, name=name: plot_lake(solution, basin, lake, out / name)))
    jobs += [
        ("reservoir_storage.png", lambda: plot_reservoirs(solution, basin, out / "reservoir_storage.png", data)),
        ("deliveries_by_sector.png", lambda: plot_deliveries(solution, basin, out / "deliveries_by_sector.png")),
        ("shortfall_heatmap.png", lambda: plot_shortfall_heatmap(solution, basin, out / "shortfall_heatmap.png")),
        ("network.png", lambda: plot_network(solution, basin, out / "network.png")),
        ("targets.png", lambda: plot_targets(solution, basin, out / "targets.png")),
    ]
    return jobs


def write_plots(solution, basin, out_dir, data=None, sweep=None,
                progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write every plot of ``solution`` (and of ``sweep``, a :class:`~.sweep.Sweep`, when given)
    into ``out_dir``; returns the files written.  ``progress(name)`` is called after each one."""
    jobs = plot_jobs(solution, basin, out_dir, data)
    if sweep is not None:
        jobs += sweep_plot_jobs(sweep, basin, out_dir)
    written = []
    for name, job in jobs:
        p = job()
        if p is not None:
            written.append(p)
        if progress:
            progress(name)
    return written


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
    ax.set_ylabel("lake level at month end, m BS")
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
    written = []
    for name, job in sweep_plot_jobs(sweep, basin, out_dir):
        p = job()
        if p is not None:
            written.append(p)
        if progress:
            progress(name)
    return written
