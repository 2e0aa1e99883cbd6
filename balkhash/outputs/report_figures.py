"""The report's interactive charts as plotly figure dicts (data + layout, no plotly import):
lake level, reservoirs, deliveries, shortfall heatmap, network, ecological flows, and for a sweep
the curves against the swept inflow and the slider view."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from ..network.timeline import period_end, period_start
from .common import (
    NODE_COLOURS,
    REFERENCE_COLOUR,
    TARGET_COLOUR,
    lake_inflow_targets,
    lake_marks,
    node_arrivals,
    sector_colour,
)
from .plot_base import step_word

BAND_COLOUR = "rgba(44,160,44,0.13)"
#: a reservoir's bounds, apart in colour and dash (the PNG uses the same)
LOWER_COLOUR, UPPER_COLOUR = "#e6550d", "#3b3b3b"
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
    """The day after each period (a month YYYY-MM or a dekad YYYY-MM-D), YYYY-MM-DD."""
    return [period_end(p).isoformat() for p in periods]


def _month_mids(periods) -> list[str]:
    """The middle of each period (day 15 of a month, day 5 of a dekad), YYYY-MM-DD."""
    return [(period_start(p) + timedelta(days=14 if p.count("-") == 1 else 4)).isoformat() for p in periods]


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
    x = [period_start(periods[0]).isoformat(), *_month_ends(periods)]
    y = [lake.get("level_start_m", float(st["level_m"].iloc[0])), *st["level_m"].to_numpy(float)]
    inf = node_arrivals(solution, lake_id).set_index("period")["arriving_mm3"].reindex(periods, fill_value=0.0)
    title = f"{basin.node(lake_id).name or lake_id}: level and surface inflow"
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.07)
    fig.add_trace(dict(type="scatter", x=x, y=_l(y), mode="lines+markers",
                       name=f"level at {step_word(basin)} end (m BS)", line=dict(color="#08519c", width=3)),
                  row=1, col=1)
    fig.add_trace(dict(type="bar", x=_month_mids(periods), y=_l(inf), name="surface inflow (Mm3)",
                       marker_color="#6baed6"), row=2, col=1)
    _level_shapes(fig, basin, lake_id, row=1, col=1)
    rng = _level_range(basin, lake_id, y)
    fig.update_yaxes(title_text="level, m BS", range=rng, row=1, col=1)
    fig.update_yaxes(title_text=f"Mm3/{step_word(basin)}", row=2, col=1)
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
                        vertical_spacing=0.18 if rows > 1 else 0.1)
    for k, node in enumerate(nodes):
        r, c = k // cols + 1, k % cols + 1
        g = st[st["node"] == node]
        periods = g["period"].tolist()
        x = [period_start(periods[0]).isoformat(), *_month_ends(periods)]
        # as the PNG: a large reservoir in km3 (1 km3 = 1000 Mm3)
        f, unit = (1e-3, "km3") if float(np.nanmax(g["max_storage_mm3"].to_numpy(float))) >= 5000.0 else (1.0, "Mm3")
        lower, upper = g["min_storage_mm3"] * f, g["max_storage_mm3"] * f  # on the storage at each period's end
        storage = [g["storage_start_mm3"].iloc[0] * f, *(g["storage_mm3"] * f)]
        first = k == 0
        fig.add_trace(dict(type="scatter", x=x[1:], y=_l(lower), mode="lines", line=dict(color=LOWER_COLOUR,
                      dash="dashdot", width=1.5), name="lower bound", legendgroup="lo", showlegend=first), row=r, col=c)
        fig.add_trace(dict(type="scatter", x=x[1:], y=_l(upper), mode="lines", line=dict(color=UPPER_COLOUR,
                      dash="dash", width=1.5), fill="tonexty", fillcolor="rgba(158,202,225,0.25)", name="upper bound",
                      legendgroup="up", showlegend=first), row=r, col=c)
        fig.add_trace(dict(type="scatter", x=x, y=_l(storage), mode="lines+markers",
                      line=dict(color="#08519c", width=2.5), name=f"storage at {step_word(basin)} end",
                      legendgroup="st", showlegend=first), row=r, col=c)
        fig.update_yaxes(title_text=f"storage, {unit}", row=r, col=c)
    fig.update_annotations(font_size=13)
    fig.update_layout(title="Reservoir storage between its bounds", height=max(340, 320 * rows), template=TEMPLATE)
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
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, vertical_spacing=0.16 if rows > 1 else 0.1)
    for k, sec in enumerate(sectors):
        r, c = k // cols + 1, k % cols + 1
        g = groups[sec]
        x = _month_mids(g.index)
        first = k == 0
        fig.add_trace(dict(type="bar", x=x, y=_l(g["delivered_mm3"]), name=f"delivered: {sec}",
                           marker_color=sector_colour(sec), legendgroup=f"d-{sec}", legendrank=k + 1), row=r, col=c)
        fig.add_trace(dict(type="bar", x=x, y=_l(g["shortfall_mm3"]), name="shortfall",
                           marker=dict(color="rgba(214,39,40,0.25)", line=dict(color=TARGET_COLOUR, width=1)),
                           legendgroup="s", showlegend=first, legendrank=100), row=r, col=c)
        fig.add_trace(dict(type="scatter", x=x, y=_l(g["target_mm3"]), mode="lines+markers", name="requested target",
                           line=dict(color="black", width=1.5, shape="hvh"), legendgroup="t", showlegend=first,
                           legendrank=101),
                      row=r, col=c)
        fig.update_yaxes(title_text=f"Mm3/{step_word(basin)}", row=r, col=c)
    fig.update_annotations(font_size=12)  # the subplot titles: clear of each other at a page's width
    fig.update_layout(title="Deliveries against targets by sector", barmode="stack", height=max(340, 300 * rows),
                      template=TEMPLATE)
    return fig


def fig_heatmap(solution, basin):
    """Shortfall in % of target, water user x month, in the PNG heatmap's colours: white (nothing
    short) to dark red (100 % short), grey where nothing was requested (a grey trace under the
    cells without a percentage); the user labels get the margin they need."""
    from .plots import HEATMAP_KEY, NOT_REQUESTED_COLOUR, SHORTFALL_REDS, shortfall_matrix

    d = solution.tables["deliveries"]
    if d.empty:
        return None
    pct, mm3 = shortfall_matrix(solution, basin)
    sectors = d.drop_duplicates("demand").set_index("demand")["sector"]
    ylab = [f"{u} ({sectors[u]})" for u in pct.index]
    z, short = pct.to_numpy(float), mm3.fillna(0.0).to_numpy(float)
    text = [[(f"{p:.0f}" if np.isfinite(p) and s > 1e-6 else "") for p, s in zip(zr, sr, strict=True)]
            for zr, sr in zip(z, short, strict=True)]
    scale = [[k / (len(SHORTFALL_REDS) - 1), c] for k, c in enumerate(SHORTFALL_REDS)]
    x = list(pct.columns)
    none = "; nothing short in this run" if not (short > 1e-6).any() else ""
    cells = dict(type="heatmap", name="shortfall", z=_l(z), x=x, y=ylab, zmin=0, zmax=100, colorscale=scale,
                 colorbar=dict(title=dict(text="% of target")), text=text, texttemplate="%{text}",
                 customdata=_l(mm3.to_numpy(float)), xgap=1, ygap=1, hoverongaps=False,
                 hovertemplate="%{y}<br>%{x}: shortfall %{z:.1f} % (%{customdata:.2f} Mm3)<extra></extra>")
    grey = dict(type="heatmap", name="nothing requested", z=[[1.0 if not np.isfinite(v) else None for v in row]
                                                              for row in z],
                x=x, y=ylab, zmin=0, zmax=1, colorscale=[[0, NOT_REQUESTED_COLOUR], [1, NOT_REQUESTED_COLOUR]],
                showscale=False, xgap=1, ygap=1, hoverongaps=False,
                hovertemplate="%{y}<br>%{x}: nothing requested<extra></extra>")
    title = f"Shortfall in % of target, water user x {step_word(basin)}<br><sup>{HEATMAP_KEY}{none}</sup>"
    # the gaps between the cells in light grey: the white cells (nothing short) keep their outline
    layout = dict(title=dict(text=title), height=max(280, 30 * len(ylab) + 170), template=TEMPLATE,
                  plot_bgcolor="#e6e6e6",
                  margin=dict(l=20, r=20, t=80, b=50),
                  yaxis=dict(autorange="reversed", automargin=True, type="category"),
                  xaxis=dict(type="category", automargin=True))
    return dict(data=[cells, grey], layout=layout)


#: the network chart's nominal size in pixels (the report's chart width at a 1400-pixel window):
#: labels are placed for it, in pixels from their node, so they stay clear at any zoom
NET_W, NET_H = 1300, 660
NET_MARGIN = dict(l=55, r=15, t=70, b=110)
NET_FONT = 10
_NET_SYMBOLS = {"inflow": "triangle-down", "junction": "circle", "reservoir": "square", "demand": "circle",
                "lake": "hexagon", "sink": "x"}
_NET_SIZES = {"inflow": 11, "junction": 6, "reservoir": 13, "demand": 10, "lake": 20, "sink": 9}
# label directions around a node (screen pixels, y down), nearest first
_DIRS = [(0.0, -1.0), (1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.71, -0.71), (-0.71, -0.71), (0.71, 0.71), (-0.71, 0.71)]


def label_size(text: str, font: float = NET_FONT) -> tuple[float, float]:
    """A label's box in pixels (ids are mostly capitals and underscores: 0.68 em a character)."""
    return 0.68 * font * len(text) + 6.0, font + 6.0


def _overlap(a, b) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def place_labels(points: dict, sizes: dict, radii: dict, segments, frame, font: float = NET_FONT) -> dict:
    """Label positions in pixels: ``points`` id -> (x, y) (y down), ``sizes`` id -> label text,
    ``radii`` id -> marker radius; ``segments`` the drawn links [((x0, y0), (x1, y1))]; ``frame``
    (x0, y0, x1, y1) the panel.  Each label tries eight places around its node, then further out
    (drawn with a leader line), and takes the one overlapping the fewest labels, markers and links,
    the most crowded nodes first.  Returns id -> (dx, dy, ring, box)."""
    pts = np.array([p for p in points.values()], dtype=float).reshape(-1, 2)
    markers = [(x - radii[n], y - radii[n], x + radii[n], y + radii[n]) for n, (x, y) in points.items()]
    samples = []
    for (x0, y0), (x1, y1) in segments:
        n = max(2, int(math.hypot(x1 - x0, y1 - y0) / 6))
        for t in np.linspace(0.08, 0.92, n):
            samples.append((x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
    smp = np.array(samples, dtype=float).reshape(-1, 2)
    crowd = {n: int((np.hypot(*(pts - np.array(p)).T) < 70).sum()) for n, p in points.items()}
    placed: list[tuple] = []
    out = {}
    for n in sorted(points, key=lambda k: -crowd[k]):
        x, y = points[n]
        w, h = label_size(sizes[n], font)
        best: tuple | None = None
        for ring in range(6):
            for k, (ux, uy) in enumerate(_DIRS):
                d = radii[n] + 2 + ring * 1.25 * h
                cx = x + ux * (d + (w / 2 if ux else 0)) if ux else x
                cy = y + uy * (d + (h / 2 if uy else 0)) if uy else y
                box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                cost = 10 * sum(_overlap(box, o) for o in placed) + 10 * sum(_overlap(box, m) for m in markers)
                if box[0] < frame[0] or box[2] > frame[2] or box[1] < frame[1] or box[3] > frame[3]:
                    cost += 1e6
                if len(smp):
                    inside = ((smp[:, 0] >= box[0]) & (smp[:, 0] <= box[2])
                              & (smp[:, 1] >= box[1]) & (smp[:, 1] <= box[3]))
                    cost += 25 * int(inside.sum())
                cost += ring * 60 + k
                if best is None or cost < best[0]:
                    best = (cost, cx - x, cy - y, ring, box)
        assert best is not None
        _, dx, dy, ring, box = best
        placed.append(box)
        out[n] = (dx, dy, ring, box)
    return out


def _panel_scale(xr, yr, w, h, aspect):
    """Widen the range of x or y so that a y unit is ``aspect`` x units long on screen; the scale
    in pixels per x unit."""
    sx = w / (xr[1] - xr[0])
    sy = h / ((yr[1] - yr[0]) * aspect)
    scale = min(sx, sy)
    cx, cy = (xr[0] + xr[1]) / 2, (yr[0] + yr[1]) / 2
    hw, hh = w / scale / 2, h / (scale * aspect) / 2
    return [cx - hw, cx + hw], [cy - hh, cy + hh], scale


def fig_network(solution, basin):
    """The network: line width = mean flow, nodes labelled beside themselves or, where it is
    crowded, further out with a leader line; on a map where nodes crowd (the PNG's
    :func:`crowded_area`), a second panel enlarges that area and the overview leaves its labels
    to the enlargement.  Junctions are named on hover, as is each link's flow."""
    from .network_plot import crowded_area, mean_link_flows, network_positions

    pos, geo = network_positions(basin)
    q = mean_link_flows(solution, basin)
    qmax = float(q.max()) if len(q) and q.max() > 0 else 1.0
    xs, ys = np.array([p[0] for p in pos.values()]), np.array([p[1] for p in pos.values()])
    aspect = (1.0 / math.cos(math.radians(float(np.mean(ys)))) if geo and np.all(np.abs(ys) <= 90) else 1.0)
    box = crowded_area(pos, aspect) if geo else None
    pad_x, pad_y = 0.06 * (float(np.ptp(xs)) or 1.0), 0.08 * (float(np.ptp(ys)) or 1.0)
    full = ([xs.min() - pad_x, xs.max() + pad_x], [ys.min() - pad_y, ys.max() + pad_y])
    pw, ph = NET_W - NET_MARGIN["l"] - NET_MARGIN["r"], NET_H - NET_MARGIN["t"] - NET_MARGIN["b"]
    gap = 0.05
    if box is not None:
        ratio = (full[0][1] - full[0][0]) / ((full[1][1] - full[1][0]) * aspect)
        zoom = (box[1] - box[0]) / ((box[3] - box[2]) * aspect)
        split = min(0.7, max(0.4, ratio / (ratio + zoom)))
        domains = [[0.0, split - gap / 2], [split + gap / 2, 1.0]]
        views = [full, ([box[0], box[1]], [box[2], box[3]])]
    else:
        domains, views = [[0.0, 1.0]], [full]
    disabled = {n.id for n in basin.nodes if getattr(n, "enabled", True) is False}
    data: list[dict] = []
    annotations: list[dict] = []
    layout: dict = dict(height=NET_H, template=TEMPLATE, hovermode="closest", margin=NET_MARGIN,
                        legend=dict(orientation="h", yanchor="top", y=-0.13, x=0.0), annotations=annotations, shapes=[])
    for k, (dom, (xr, yr)) in enumerate(zip(domains, views, strict=True)):
        ax = "" if k == 0 else str(k + 1)
        w = pw * (dom[1] - dom[0])
        if geo:
            xr, yr, scale = _panel_scale(xr, yr, w, ph, aspect)
        else:
            scale = None
        x0px = NET_MARGIN["l"] + pw * dom[0]

        def px(p, xr=xr, yr=yr, x0px=x0px, w=w):
            return (x0px + (p[0] - xr[0]) / (xr[1] - xr[0]) * w,
                    NET_MARGIN["t"] + (yr[1] - p[1]) / (yr[1] - yr[0]) * ph)

        axis = dict(range=xr, domain=dom, showgrid=geo, zeroline=False, showticklabels=geo,
                    title=dict(text=("x (longitude)" if geo else "")))
        yaxis = dict(range=yr, showgrid=geo, zeroline=False, showticklabels=geo,
                     title=dict(text="y (latitude)" if geo and k == 0 else ""))
        if k:
            axis["anchor"], yaxis["anchor"] = f"y{ax}", f"x{ax}"
        if scale is not None:
            yaxis["scaleanchor"], yaxis["scaleratio"] = f"x{ax}", aspect
        layout[f"xaxis{ax}"], layout[f"yaxis{ax}"] = axis, yaxis
        mids: dict = dict(x=[], y=[], text=[])
        segments = []
        for lk in basin.links:
            (xa, ya), (xb, yb) = pos[lk.from_], pos[lk.to]
            v = float(q.get(lk.id, 0.0))
            data.append(dict(type="scatter", x=[xa, xb], y=[ya, yb], mode="lines", hoverinfo="skip",
                             showlegend=False, name=lk.id, meta=dict(mean_flow_m3s=v), xaxis=f"x{ax}", yaxis=f"y{ax}",
                             line=dict(width=0.8 + 9 * v / qmax,
                                       color="rgba(33,113,181,0.7)" if v > 1e-9 else "#cccccc")))
            mids["x"].append((xa + xb) / 2)
            mids["y"].append((ya + yb) / 2)
            mids["text"].append(f"{lk.id} ({lk.from_} \u2192 {lk.to})<br>mean flow {v:,.2f} m3/s")
            segments.append((px(pos[lk.from_]), px(pos[lk.to])))
        data.append(dict(type="scatter", x=mids["x"], y=mids["y"], mode="markers", xaxis=f"x{ax}", yaxis=f"y{ax}",
                         marker=dict(size=7, color="#08306b", symbol="triangle-right"), text=mids["text"],
                         hoverinfo="text", name="link (hover for flow)", showlegend=k == 0))
        for kind in ("lake", "reservoir", "inflow", "junction", "demand", "sink"):
            ns = [n for n in basin.nodes if n.type == kind]
            if not ns:
                continue
            hollow = [n.id in disabled for n in ns]
            data.append(dict(type="scatter", x=[pos[n.id][0] for n in ns], y=[pos[n.id][1] for n in ns],
                             mode="markers", text=[n.id for n in ns], name=kind, xaxis=f"x{ax}", yaxis=f"y{ax}",
                             legendgroup=kind, showlegend=k == 0,
                             hovertext=[f"{n.id}: {n.name or ''} ({kind}{', disabled' if n.id in disabled else ''})"
                                        for n in ns], hoverinfo="text",
                             marker=dict(symbol=_NET_SYMBOLS[kind], size=_NET_SIZES[kind],
                                         color=["white" if h else NODE_COLOURS[kind] for h in hollow],
                                         line=dict(color=[NODE_COLOURS[kind] if h else "white" for h in hollow],
                                                   width=[2 if h else 1 for h in hollow]))))
        # labels: every node but junctions; in the overview, the enlarged area's nodes are left to
        # the enlargement
        def shown(n, xr=xr, yr=yr, k=k):
            p = pos[n.id]
            inside = xr[0] <= p[0] <= xr[1] and yr[0] <= p[1] <= yr[1]
            in_box = box is not None and box[0] <= p[0] <= box[1] and box[2] <= p[1] <= box[3]
            return n.type != "junction" and inside and (k > 0 or not in_box)

        labelled = [n for n in basin.nodes if shown(n)]
        points = {n.id: px(pos[n.id]) for n in labelled}
        texts = {n.id: n.id + (" (disabled)" if n.id in disabled else "") for n in labelled}
        radii = {n.id: _NET_SIZES[n.type] / 2 + 1 for n in labelled}
        frame = (x0px, NET_MARGIN["t"], x0px + w, NET_MARGIN["t"] + ph)
        for nid, (dx, dy, ring, _) in place_labels(points, texts, radii, segments, frame).items():
            a = dict(x=pos[nid][0], y=pos[nid][1], xref=f"x{ax}", yref=f"y{ax}", text=texts[nid],
                     font=dict(size=NET_FONT), bgcolor="rgba(255,255,255,0.75)", borderpad=1,
                     xanchor="center", yanchor="middle", name=f"label {nid}")
            if ring:
                a.update(showarrow=True, arrowhead=0, arrowwidth=0.7, arrowcolor="#555555", ax=dx, ay=dy,
                         axref="pixel", ayref="pixel", standoff=radii[nid])
            else:
                a.update(showarrow=False, xshift=dx, yshift=-dy)
            annotations.append(a)
    if box is not None:
        layout["shapes"].append(dict(type="rect", xref="x", yref="y", x0=box[0], x1=box[1], y0=box[2], y1=box[3],
                                     line=dict(color="#555555", dash="dash", width=1)))
    sub = "; the dashed box is enlarged on the right" if box is not None else ""
    layout["title"] = dict(text=f"Network: line width = mean flow over the horizon (largest {qmax:,.1f} m3/s)"
                           f"<br><sup>junctions and link flows on hover{sub}</sup>")
    return dict(data=data, layout=layout)


def flow_target_kind(target) -> str:
    """'release schedule' for a flow target with a penalty of its own (a soft schedule of a dam's
    releases), 'ecological flow' for one without (priced by the policy as an ecological target)."""
    return "release schedule" if getattr(target, "penalty", None) is not None else "ecological flow"


def fig_eco(solution, basin):
    """The flow targets (``eco_flow``): one panel per target with its own axis, the flow and its
    minimum in m3/s over the real days of each period, the violated periods marked in red."""
    from plotly.subplots import make_subplots

    from ..network.timeline import period_days
    from ..network.units import mm3_to_m3s

    t = solution.tables["targets"]
    eco = t[t["type"] == "eco_flow"]
    if eco.empty:
        return None
    defs = {x.id: x for x in basin.targets}
    ids = list(dict.fromkeys(eco["target"]))
    cols = 1 if len(ids) == 1 else 2
    rows = math.ceil(len(ids) / cols)
    titles = []
    for tid in ids:
        g = eco[eco["target"] == tid]
        nv = int((g["violation"].to_numpy(float) > 1e-6).sum())
        kind = flow_target_kind(defs.get(tid))
        titles.append(f"<b>{tid}</b> on {g['node_or_link'].iloc[0]}<br>{kind}: " +
                      (f"violated in {nv} of {len(g)} {step_word(basin)}s" if nv else "met"))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, vertical_spacing=0.36 / rows if rows > 1 else 0.1,
                        horizontal_spacing=0.08)
    legend_viol = False
    for k, tid in enumerate(ids):
        r, c = k // cols + 1, k % cols + 1
        g = eco[eco["target"] == tid]
        days = [period_days(p) for p in g["period_or_year"]]
        x = _month_mids(g["period_or_year"])
        ach = mm3_to_m3s(g["achieved"].to_numpy(float), days)
        req = mm3_to_m3s(g["required"].to_numpy(float), days)
        viol = g["violation"].to_numpy(float) > 1e-6
        first = k == 0
        fig.add_trace(dict(type="scatter", x=x, y=_l(ach), mode="lines+markers", name="flow (m3/s)",
                           line=dict(color="#2171b5", width=2, shape="hvh"), legendgroup="flow",
                           showlegend=first,
                           hovertemplate=f"{tid}<br>%{{x|%b %Y}}: flow %{{y:,.1f}} m3/s<extra></extra>"),
                      row=r, col=c)
        fig.add_trace(dict(type="scatter", x=x, y=_l(req), mode="lines", name="minimum (target, m3/s)",
                           line=dict(color=TARGET_COLOUR, width=1.5, dash="dash", shape="hvh"), legendgroup="min",
                           showlegend=first,
                           hovertemplate=f"{tid}<br>%{{x|%b %Y}}: minimum %{{y:,.1f}} m3/s<extra></extra>"),
                      row=r, col=c)
        fig.add_trace(dict(type="scatter", x=[v for v, b in zip(x, viol, strict=True) if b],
                           y=_l(ach[viol]), mode="markers", name="violated",
                           marker=dict(color=TARGET_COLOUR, size=9, symbol="circle"), legendgroup="viol",
                           showlegend=bool(viol.any()) and not legend_viol,
                           hovertemplate=f"{tid}<br>%{{x|%b %Y}}: violated, flow %{{y:,.1f}} m3/s<extra></extra>"),
                      row=r, col=c)
        legend_viol = legend_viol or bool(viol.any())
        top = float(np.nanmax(np.concatenate([ach, req]))) if len(g) else 1.0
        fig.update_yaxes(title_text="m3/s", range=[0, 1.12 * top if top > 0 else 1.0], row=r, col=c)
    fig.update_annotations(font_size=12)
    fig.update_layout(title=dict(text="Flow targets against their minimum (m3/s): ecological flows and release "
                                      "schedules<br><sup>a release schedule is a soft target with a penalty of its "
                                      "own; the red dots mark the violated periods</sup>"),
                      height=max(380, 300 * rows + 140), template=TEMPLATE, margin=dict(t=130),
                      legend=dict(orientation="h", yanchor="top", y=-0.06))
    return fig


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
                           text=[f"{x:,.1f}" for x in vals], textposition="outside"), row=1, col=2)
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
            # one decimal, as the bars and the sweep table: 32.3 + 0.2 reads 32.5, not 33
            parts.append(f"total shortfall {row['total_shortfall_mm3']:,.1f} Mm3")
        viol = sweep.violated(row)
        # the targets on a line of their own: a list of ids would run past the figure's edge
        return " | ".join(parts) + "<br>" + ("violated: " + ", ".join(viol) if viol else "all targets met")

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
