"""The report's interactive charts as plotly figure dicts (data + layout, no plotly import):
lake level, reservoirs, deliveries, shortfall heatmap, network, ecological flows, and for a sweep
the curves against the swept inflow and the slider view."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd

from .common import (
    NODE_COLOURS,
    REFERENCE_COLOUR,
    TARGET_COLOUR,
    lake_inflow_targets,
    lake_marks,
    node_arrivals,
    sector_colour,
)

BAND_COLOUR = "rgba(44,160,44,0.13)"
TEMPLATE = "plotly_white"


def _clean(obj):
    """JSON-safe: NaN/inf -> null, numpy -> Python, Timestamps -> ISO text."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_clean(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (pd.Timestamp, datetime)):
        return obj.isoformat()
    return obj


def _l(values) -> list:
    return _clean(list(np.asarray(values).tolist()))


# -- figures --------------------------------------------------------------------------------------
def _month_ends(periods) -> list[str]:
    return [(pd.Timestamp(f"{p}-01") + pd.offsets.MonthBegin(1)).strftime("%Y-%m-%d") for p in periods]


def _month_mids(periods) -> list[str]:
    return [(pd.Timestamp(f"{p}-01") + pd.Timedelta(days=14)).strftime("%Y-%m-%d") for p in periods]


def _level_shapes(fig, basin, lake_id: str, row=None, col=None) -> None:
    marks, band = lake_marks(basin, lake_id)
    kw = {} if row is None else {"row": row, "col": col}
    if band is not None:
        fig.add_hrect(y0=band[0], y1=band[1], fillcolor=BAND_COLOUR, line_width=0, layer="below",
                      annotation_text=f"band {band[0]:g}-{band[1]:g} m", annotation_position="top left",
                      annotation_font_size=10, **kw)
    for mk in marks:
        colour = TARGET_COLOUR if mk.kind == "target" else REFERENCE_COLOUR
        fig.add_hline(y=mk.level, line_color=colour, line_dash="dash" if mk.kind == "target" else "dot",
                      line_width=1.5, annotation_text=mk.label, annotation_position="bottom right",
                      annotation_font_size=10, annotation_font_color=colour, **kw)


def _level_range(basin, lake_id: str | None, values) -> list[float] | None:
    vals = [v for v in values if v is not None and np.isfinite(v)]
    if lake_id is not None:
        marks, band = lake_marks(basin, lake_id)
        vals += [m.level for m in marks] + list(band or ())
    if not vals:
        return None
    lo, hi = min(vals), max(vals)
    pad = 0.08 * (hi - lo or 1.0)
    return [lo - pad, hi + pad]


def fig_lake(solution, basin, lake_id: str):
    from plotly.subplots import make_subplots

    st = solution.tables["storage"]
    st = st[st["node"] == lake_id]
    lake: dict = next((lk for lk in solution.summary.get("lakes", []) if lk["node"] == lake_id), {})
    periods = st["period"].tolist()
    x = [f"{periods[0]}-01", *_month_ends(periods)]
    y = [lake.get("level_start_m", float(st["level_m"].iloc[0])), *st["level_m"].to_numpy(float)]
    inf = node_arrivals(solution, lake_id).set_index("period")["arriving_mm3"].reindex(periods, fill_value=0.0)
    title = f"{basin.node(lake_id).name or lake_id}: level and surface inflow"
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.07)
    fig.add_trace(dict(type="scatter", x=x, y=_l(y), mode="lines+markers", name="level at month end (m BS)",
                       line=dict(color="#08519c", width=3)), row=1, col=1)
    fig.add_trace(dict(type="bar", x=_month_mids(periods), y=_l(inf), name="surface inflow (Mm3)",
                       marker_color="#6baed6"), row=2, col=1)
    _level_shapes(fig, basin, lake_id, row=1, col=1)
    rng = _level_range(basin, lake_id, y)
    fig.update_yaxes(title_text="level, m BS", range=rng, row=1, col=1)
    fig.update_yaxes(title_text="Mm3/month", row=2, col=1)
    sub = []
    targets = lake_inflow_targets(basin, lake_id)
    for wy, v in lake.get("annual_inflow_km3", {}).items():
        sub.append(f"{wy}: {v:.2f} km3" + (f" (target {max(k for _, k in targets):g})" if targets else ""))
    fig.update_layout(title=dict(text=title + ("<br><sup>inflow " + "; ".join(sub[:4]) + "</sup>" if sub else "")),
                      height=560, template=TEMPLATE, legend=dict(orientation="h", y=-0.12))
    return fig


def fig_reservoirs(solution, basin):
    """Storage of each reservoir between the LP's bounds (from the storage table)."""
    from plotly.subplots import make_subplots

    st = solution.tables["storage"]
    st = st[st["kind"] == "reservoir"]
    nodes = list(dict.fromkeys(st["node"]))
    if not nodes:
        return None
    cols = 1 if len(nodes) == 1 else 2
    rows = math.ceil(len(nodes) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[basin.node(n).name or n for n in nodes],
                        vertical_spacing=0.12 if rows > 1 else 0.1)
    for k, node in enumerate(nodes):
        r, c = k // cols + 1, k % cols + 1
        g = st[st["node"] == node]
        periods = g["period"].tolist()
        x = [f"{periods[0]}-01", *_month_ends(periods)]
        lower, upper = g["min_storage_mm3"], g["max_storage_mm3"]  # on the storage at the end of each period
        storage = [g["storage_start_mm3"].iloc[0], *g["storage_mm3"]]
        first = k == 0
        fig.add_trace(dict(type="scatter", x=x[1:], y=_l(lower), mode="lines", line=dict(color="#6b6b6b",
                      dash="dash", width=1), name="lower bound", legendgroup="lo", showlegend=first), row=r, col=c)
        fig.add_trace(dict(type="scatter", x=x[1:], y=_l(upper), mode="lines", line=dict(color="#3b3b3b",
                      dash="dash", width=1), fill="tonexty", fillcolor="rgba(158,202,225,0.25)", name="upper bound",
                      legendgroup="up", showlegend=first), row=r, col=c)
        fig.add_trace(dict(type="scatter", x=x, y=_l(storage), mode="lines+markers",
                      line=dict(color="#08519c", width=2.5), name="storage (Mm3)", legendgroup="st",
                      showlegend=first), row=r, col=c)
        fig.update_yaxes(title_text="Mm3", row=r, col=c)
    fig.update_layout(title="Reservoir storage between its bounds", height=max(340, 300 * rows), template=TEMPLATE)
    return fig


def fig_deliveries(solution, basin):
    from plotly.subplots import make_subplots

    from ..network.schema import SECTORS

    d = solution.tables["deliveries"]
    if d.empty:
        return None
    sectors = sorted(dict.fromkeys(d["sector"]), key=lambda s: SECTORS.index(s) if s in SECTORS else 99)
    cols = 1 if len(sectors) == 1 else 2
    rows = math.ceil(len(sectors) / cols)
    titles = []
    groups = {}
    for sec in sectors:
        g = d[d["sector"] == sec].groupby("period", sort=True)[["target_mm3", "delivered_mm3", "shortfall_mm3"]].sum()
        groups[sec] = g
        t, s = g["target_mm3"].sum(), g["shortfall_mm3"].sum()
        titles.append(f"{sec}: shortfall {s:,.1f} of {t:,.1f} Mm3" + (f" ({100 * s / t:.1f} %)" if t > 0 else ""))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, vertical_spacing=0.14 if rows > 1 else 0.1)
    for k, sec in enumerate(sectors):
        r, c = k // cols + 1, k % cols + 1
        g = groups[sec]
        x = _month_mids(g.index)
        first = k == 0
        fig.add_trace(dict(type="bar", x=x, y=_l(g["delivered_mm3"]), name="delivered", marker_color=sector_colour(sec),
                           legendgroup="d", showlegend=first), row=r, col=c)
        fig.add_trace(dict(type="bar", x=x, y=_l(g["shortfall_mm3"]), name="shortfall",
                           marker=dict(color="rgba(214,39,40,0.25)", line=dict(color=TARGET_COLOUR, width=1)),
                           legendgroup="s", showlegend=first), row=r, col=c)
        fig.add_trace(dict(type="scatter", x=x, y=_l(g["target_mm3"]), mode="lines+markers", name="requested target",
                           line=dict(color="black", width=1.5, shape="hvh"), legendgroup="t", showlegend=first),
                      row=r, col=c)
        fig.update_yaxes(title_text="Mm3/month", row=r, col=c)
    fig.update_layout(title="Deliveries against targets by sector", barmode="stack", height=max(340, 300 * rows),
                      template=TEMPLATE)
    return fig


def fig_heatmap(solution, basin):
    from .plots import shortfall_matrix

    d = solution.tables["deliveries"]
    if d.empty:
        return None
    pct, mm3 = shortfall_matrix(solution, basin)
    sectors = d.drop_duplicates("demand").set_index("demand")["sector"]
    ylab = [f"{u} ({sectors[u]})" for u in pct.index]
    text = [[("" if not np.isfinite(p) else f"{p:.0f}") for p in row] for row in pct.to_numpy(float)]
    custom = mm3.to_numpy(float)
    fig = dict(data=[dict(type="heatmap", z=_l(pct.to_numpy(float)), x=list(pct.columns), y=ylab, zmin=0, zmax=100,
                          colorscale="Reds", colorbar=dict(title=dict(text="% of target")), text=text,
                          texttemplate="%{text}", customdata=_l(custom), xgap=1, ygap=1,
                          hovertemplate="%{y}<br>%{x}: shortfall %{z:.1f} % (%{customdata:.2f} Mm3)<extra></extra>")],
               layout=dict(title=dict(text="Shortfall in % of target, water user x month (blank: nothing requested)"),
                           height=max(260, 34 * len(ylab) + 160), template=TEMPLATE,
                           yaxis=dict(autorange="reversed"), xaxis=dict(type="category")))
    return fig


def fig_network(solution, basin):
    from .network_plot import mean_link_flows, network_positions

    pos, geo = network_positions(basin)
    q = mean_link_flows(solution)
    qmax = float(q.max()) if len(q) and q.max() > 0 else 1.0
    data = []
    mids = dict(x=[], y=[], text=[])
    for lk in basin.links:
        (x0, y0), (x1, y1) = pos[lk.from_], pos[lk.to]
        v = float(q.get(lk.id, 0.0))
        data.append(dict(type="scatter", x=[x0, x1], y=[y0, y1], mode="lines", hoverinfo="skip", showlegend=False,
                         name=lk.id, meta=dict(mean_flow_m3s=v),
                         line=dict(width=0.8 + 9 * v / qmax, color="rgba(33,113,181,0.7)" if v > 1e-9 else "#cccccc")))
        mids["x"].append((x0 + x1) / 2)
        mids["y"].append((y0 + y1) / 2)
        mids["text"].append(f"{lk.id} ({lk.from_} \u2192 {lk.to})<br>mean flow {v:,.2f} m3/s")
    data.append(dict(type="scatter", x=mids["x"], y=mids["y"], mode="markers", marker=dict(size=7, color="#08306b",
                     symbol="triangle-right"), text=mids["text"], hoverinfo="text", name="link (hover for flow)"))
    symbols = {"inflow": "triangle-down", "junction": "circle", "reservoir": "square", "demand": "circle",
               "lake": "hexagon", "sink": "x"}
    sizes = {"inflow": 13, "junction": 7, "reservoir": 15, "demand": 12, "lake": 22, "sink": 10}
    for kind in ("lake", "reservoir", "inflow", "junction", "demand", "sink"):
        ns = [n for n in basin.nodes if n.type == kind]
        if not ns:
            continue
        # junctions are named on hover only: their labels crowd the confluences
        data.append(dict(type="scatter", x=[pos[n.id][0] for n in ns], y=[pos[n.id][1] for n in ns],
                         mode="markers" if kind == "junction" else "markers+text",
                         text=[n.id for n in ns], textposition="top center",
                         textfont=dict(size=10), name=kind,
                         hovertext=[f"{n.id}: {n.name or ''} ({kind})" for n in ns], hoverinfo="text",
                         marker=dict(symbol=symbols[kind], size=sizes[kind], color=NODE_COLOURS[kind],
                                     line=dict(color="white", width=1))))
    layout = dict(title=dict(text=f"Network: line width = mean flow over the horizon (largest {qmax:,.1f} m3/s)"),
                  height=620 if geo else 480, template=TEMPLATE, hovermode="closest",
                  xaxis=dict(showgrid=geo, zeroline=False, showticklabels=geo, title=dict(text="x" if geo else "")),
                  yaxis=dict(showgrid=geo, zeroline=False, showticklabels=geo, title=dict(text="y" if geo else "")))
    if geo:
        ys = [p[1] for p in pos.values()]
        layout["yaxis"]["scaleanchor"] = "x"
        layout["yaxis"]["scaleratio"] = 1.0 / math.cos(math.radians(float(np.mean(ys)))) if all(
            abs(y) <= 90 for y in ys) else 1.0
    return dict(data=data, layout=layout)


def fig_eco(solution, basin):
    from ..network.timeline import parse_month
    from ..network.units import days_in_month, mm3_to_m3s

    t = solution.tables["targets"]
    eco = t[t["type"] == "eco_flow"]
    if eco.empty:
        return None
    data = []
    palette = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
    for k, (tid, g) in enumerate(eco.groupby("target", sort=False)):
        days = [days_in_month(*parse_month(p)) for p in g["period_or_year"]]
        x = _month_mids(g["period_or_year"])
        colour = palette[k % len(palette)]
        data.append(dict(type="scatter", x=x, y=_l(mm3_to_m3s(g["achieved"].to_numpy(float), days)),
                         mode="lines+markers", name=f"{tid}: flow on {g['node_or_link'].iloc[0]}",
                         line=dict(color=colour, width=2, shape="hvh"), legendgroup=tid))
        data.append(dict(type="scatter", x=x, y=_l(mm3_to_m3s(g["required"].to_numpy(float), days)), mode="lines",
                         name=f"{tid}: minimum", line=dict(color=colour, width=1.5, dash="dash", shape="hvh"),
                         legendgroup=tid))
    return dict(data=data, layout=dict(title=dict(text="Ecological flows against their minimum (m3/s)"),
                                       height=420, template=TEMPLATE, yaxis=dict(title=dict(text="m3/s"),
                                                                                 rangemode="tozero")))


# -- sweep figures --------------------------------------------------------------------------------
def _lake_id(basin) -> str | None:
    lakes = basin.nodes_of("lake") if basin is not None else []
    return lakes[0].id if lakes else None


def fig_sweep_curves(sweep, basin):
    from plotly.subplots import make_subplots

    df = sweep.solved
    x = _l(df["value"])
    fig = make_subplots(rows=1, cols=2, subplot_titles=["Shortfall by sector (Mm3 over the horizon)",
                                                        "Lake level (m BS)"], horizontal_spacing=0.09)
    for sec in sweep.sectors:
        fig.add_trace(dict(type="scatter", x=x, y=_l(df[f"shortfall_{sec}_mm3"]), mode="lines+markers", name=sec,
                           line=dict(color=sector_colour(sec), width=2.5)), row=1, col=1)
    if "total_shortfall_mm3" in df:
        fig.add_trace(dict(type="scatter", x=x, y=_l(df["total_shortfall_mm3"]), mode="lines", name="total shortfall",
                           line=dict(color="black", dash="dash")), row=1, col=1)
    lake = _lake_id(basin)
    levels = []
    for col, name, dash in (("lake_level_end_m", "level at the end", "solid"),
                            ("lake_level_min_m", "lowest level", "dash")):
        if col in df:
            fig.add_trace(dict(type="scatter", x=x, y=_l(df[col]), mode="lines+markers", name=name,
                               line=dict(color="#08519c", dash=dash, width=2.5)), row=1, col=2)
            levels += df[col].tolist()
    if lake is not None:
        _level_shapes(fig, basin, lake, row=1, col=2)
        fig.update_yaxes(range=_level_range(basin, lake, levels), row=1, col=2)
    fig.update_xaxes(title_text=sweep.label)
    fig.update_layout(title="Sweep: shortfall and lake level against the swept value", height=460,
                      template=TEMPLATE, legend=dict(orientation="h", y=-0.2))
    return fig


def fig_sweep_slider(sweep, basin):
    """The negotiators' view: a slider over the swept value; at each value the lake level
    trajectory (or the level against the value when no trajectories were written) and the
    shortfall of each sector."""
    from plotly.subplots import make_subplots

    df = sweep.solved.reset_index(drop=True)
    if df.empty:
        return None
    sectors = sweep.sectors
    lake = _lake_id(basin)
    lv = sweep.levels
    have_traj = lv is not None and not lv.empty
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.1,
                        subplot_titles=["Lake level at month end (m BS)" if have_traj else "Lake level (m BS)",
                                        "Shortfall by sector (Mm3 over the horizon)"])
    n = len(df)
    all_levels: list[float] = []
    smax = 0.0
    ctx = 0  # traces always shown: every trajectory, faint, for context
    if have_traj:
        xs, ys = [], []
        for v in df["value"]:
            g = lv[np.isclose(lv["value"].to_numpy(float), float(v))]
            xs += [*_month_ends(g["period"]), None]
            ys += [*_l(g["level_m"]), None]
        fig.add_trace(dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color="rgba(120,120,120,0.35)",
                           width=1), name="other values", hoverinfo="skip", showlegend=False), row=1, col=1)
        ctx = 1
    for _, row in df.iterrows():
        v = row["value"]
        if have_traj:
            g = lv[np.isclose(lv["value"].to_numpy(float), float(v))]
            fig.add_trace(dict(type="scatter", x=_month_ends(g["period"]), y=_l(g["level_m"]), mode="lines+markers",
                               name=f"level at {v:g}", line=dict(color="#08519c", width=3), visible=False,
                               showlegend=False), row=1, col=1)
            all_levels += g["level_m"].tolist()
        else:
            ys = [row.get("lake_level_end_m"), row.get("lake_level_min_m")]
            fig.add_trace(dict(type="bar", x=["level at the end", "lowest level"], y=_l(ys), visible=False,
                               marker_color="#08519c", showlegend=False, name=f"level at {v:g}"), row=1, col=1)
            all_levels += [y for y in ys if y is not None]
        vals = [float(row.get(f"shortfall_{s}_mm3", 0.0) or 0.0) for s in sectors]
        smax = max([smax, *vals])
        fig.add_trace(dict(type="bar", x=sectors, y=_l(vals), marker_color=[sector_colour(s) for s in sectors],
                           visible=False, showlegend=False, name=f"shortfall at {v:g}",
                           text=[f"{x:,.0f}" for x in vals], textposition="outside"), row=1, col=2)
    if lake is not None:
        _level_shapes(fig, basin, lake, row=1, col=1)
    rng = _level_range(basin, lake, all_levels)
    fig.update_yaxes(range=rng, row=1, col=1)
    fig.update_yaxes(range=[0, smax * 1.18 or 1.0], row=1, col=2)

    def caption(row) -> str:
        parts = [f"<b>{sweep.label}: {row['value']:g}</b>"]
        if pd.notna(row.get("lake_inflow_km3")):
            parts.append(f"lake inflow {row['lake_inflow_km3']:.2f} km3/yr")
        if pd.notna(row.get("lake_level_min_m")):
            parts.append(f"lowest level {row['lake_level_min_m']:.2f} m")
        if pd.notna(row.get("total_shortfall_mm3")):
            parts.append(f"total shortfall {row['total_shortfall_mm3']:,.0f} Mm3")
        viol = sweep.violated(row)
        parts.append("violated: " + ", ".join(viol) if viol else "all targets met")
        return " | ".join(parts)

    base = float(np.median(df["value"]))
    active = int(np.argmin(np.abs(df["value"].to_numpy(float) - base)))
    steps = []
    for k, row in df.iterrows():
        vis = [True] * ctx + [False] * (2 * n)
        vis[ctx + 2 * k] = vis[ctx + 2 * k + 1] = True
        steps.append(dict(method="update", label=f"{row['value']:g}",
                          args=[{"visible": vis}, {"title.text": caption(row)}]))
    for i in (ctx + 2 * active, ctx + 2 * active + 1):
        fig.data[i].visible = True
    fig.update_layout(
        title=dict(text=caption(df.iloc[active]), font=dict(size=14)), height=560, template=TEMPLATE,
        sliders=[dict(active=active, steps=steps, pad=dict(t=60), currentvalue=dict(prefix=f"{sweep.label}: "))],
        margin=dict(t=110),
    )
    return fig
