"""The network diagram (PNG): map coordinates where the data gives them, else a layered layout;
link width = mean flow, labels placed to avoid nodes and lines, and a second panel enlarging the
area where nodes crowd on a map."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .common import NODE_COLOURS
from .plot_base import DPI, _save


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


def mean_link_flows(solution, basin=None) -> pd.Series:
    """Mean flow of each link over the horizon, m3/s: its volume over the horizon (Mm3) over the
    horizon's seconds (the real days of its periods, from ``basin``'s calendar or, without it, from
    the flows table's own Mm3 and m3/s), not the unweighted mean of the periods' m3/s."""
    f = solution.tables["flows"]
    periods = f["period"].nunique()
    seconds = None
    if basin is not None:
        days = basin.timeline().days
        if len(days) == periods:
            seconds = float(np.sum(days)) * 86_400.0
    if seconds is None:
        moving = f[f["flow_m3s"] > 0]
        per_period = (moving["flow_mm3"] * 1e6 / moving["flow_m3s"]).groupby(moving["period"]).median()
        if len(per_period) == periods:
            seconds = float(per_period.sum())
    if not seconds:
        return f.groupby("link_id", sort=False)["flow_m3s"].mean()
    return f.groupby("link_id", sort=False)["flow_mm3"].sum() * 1e6 / seconds


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
        r = 0.5 * math.sqrt(NODE_SIZES[kind]) * px_per_pt + 4  # clear of the marker and its edge
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
    q = mean_link_flows(solution, basin)
    qmax = float(q.max()) if len(q) and q.max() > 0 else 1.0
    xs = np.array([p[0] for p in pos.values()])
    ys = np.array([p[1] for p in pos.values()])
    span_x, span_y = float(np.ptp(xs)) or 1.0, float(np.ptp(ys)) or 1.0
    pad_x, pad_y = 0.06 * span_x, 0.06 * span_y
    lims = (xs.min() - pad_x, xs.max() + pad_x, ys.min() - pad_y, ys.max() + pad_y)
    box: tuple[float, float, float, float] | None = None
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
        x0, x1, y0, y1 = box if k > 0 and box is not None else lims  # the second panel: the zoom
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
    handles += [Line2D([], [], color=FLOW_COLOUR, lw=0.6 + 7.5, label=f"line width: {qmax:,.1f} m3/s (the largest "
                       "mean flow)"),
                Line2D([], [], color=FLOW_COLOUR, lw=0.6 + 7.5 / 4,
                       label=f"line width: {qmax / 4:,.1f} m3/s (a quarter of it)")]
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
