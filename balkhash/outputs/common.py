"""Small helpers shared by the output views: sources of water users, lake reference levels,
colours and the rows of the result tables for one node.  The views read only a Solution's tables
and summary and the Basin (names, targets, reference levels)."""

from __future__ import annotations

from dataclasses import dataclass

SECTOR_COLOURS = {
    "agriculture": "#4c9a2a",
    "industry": "#8c564b",
    "utilities": "#1f77b4",
    "fisheries": "#17becf",
    "environment": "#2ca02c",
    "hydropower": "#9467bd",
    "other": "#7f7f7f",
}
#: lake level targets and reference levels, in the PNG plots and the report alike
TARGET_COLOUR = "#d62728"
REFERENCE_COLOUR = "#ff7f0e"
NODE_COLOURS = {
    "inflow": "#1f77b4",
    "junction": "#7f7f7f",
    "reservoir": "#084594",
    "demand": "#e6550d",
    "lake": "#17becf",
    "sink": "#444444",
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: the vegetation (irrigation) season: April to September
SEASON_MONTHS = (4, 5, 6, 7, 8, 9)
SEASON_LABEL = "Apr-Sep"
YEAR_LABEL = "Water year"
SOURCE_TYPES = ("reservoir", "river", "lake", "canal")


def sector_colour(sector: str) -> str:
    return SECTOR_COLOURS.get(sector, "#7f7f7f")


def node_label(basin, node_id: str) -> str:
    try:
        n = basin.node(node_id)
    except KeyError:
        return node_id
    return n.name or n.id


def lake_title(basin, lake_id: str) -> str:
    """'Lake X' for a lake whose name does not say so already ('Lake Balkhash', not 'Lake Lake Balkhash')."""
    name = node_label(basin, lake_id)
    return name if name.lower().startswith("lake ") or name.lower().endswith(" lake") else f"Lake {name}"


@dataclass(frozen=True)
class Source:
    """Where a water user takes its water: the node(s) its incoming links come from."""

    node: str  # node id(s), " + " joined when several
    name: str  # display name(s)
    type: str  # reservoir | river | lake | canal (several types joined by "/")
    via: str  # the link(s) bringing the water


def _looks_like_canal(*texts: str | None) -> bool:
    return any(t and ("canal" in t.lower() or "kanal" in t.lower()) for t in texts)


def classify_source(node, link) -> str:
    """reservoir and lake by node type; otherwise a canal when the link is one (by its id or
    name), else river (inflow and junction nodes are points on rivers)."""
    if node.type == "reservoir":
        return "reservoir"
    if node.type == "lake":
        return "lake"
    if _looks_like_canal(link.id, link.name):
        return "canal"
    return "river"


def demand_sources(basin) -> dict[str, Source]:
    """Each demand's source, from the links arriving at it."""
    incoming: dict[str, list] = {}
    for lk in basin.links:
        incoming.setdefault(lk.to, []).append(lk)
    out = {}
    for d in basin.nodes_of("demand"):
        links = incoming.get(d.id, [])
        if not links:
            out[d.id] = Source("-", "-", "none", "-")
            continue
        nodes = [basin.node(lk.from_) for lk in links]
        types = []
        for n, lk in zip(nodes, links, strict=True):
            t = classify_source(n, lk)
            if t not in types:
                types.append(t)
        out[d.id] = Source(
            node=" + ".join(n.id for n in nodes),
            name=" + ".join(n.name or n.id for n in nodes),
            type="/".join(types),
            via=" + ".join(lk.name or lk.id for lk in links),
        )
    return out


@dataclass(frozen=True)
class LevelMark:
    label: str
    level: float
    kind: str  # "target" (a lake_level target) or "reference" (the lake's reference_levels_m)


def lake_marks(basin, lake_id: str) -> tuple[list[LevelMark], tuple[float, float] | None]:
    """Lines to draw on a lake's level plot (its level targets and reference levels) and the band
    to shade (the lake's ``level_band_m``), when the basin defines them.  A reference level equal
    to a target's level is named in that target's label instead of drawn over it."""
    marks = [LevelMark(f"{t.id} (target {t.min_level_m:g} m)", float(t.min_level_m), "target")
             for t in basin.targets if t.type == "lake_level" and t.lake == lake_id]
    band = None
    try:
        node = basin.node(lake_id)
    except KeyError:
        return marks, band
    for name, lvl in (getattr(node, "reference_levels_m", None) or {}).items():
        same = next((i for i, m in enumerate(marks) if m.kind == "target" and abs(m.level - lvl) < 1e-9), None)
        if same is not None:  # one line, not two drawn over each other
            marks[same] = LevelMark(f"{marks[same].label} = {name}", marks[same].level, "target")
            continue
        marks.append(LevelMark(f"{name} ({lvl:g} m)", float(lvl), "reference"))
    if getattr(node, "level_band_m", None):
        band = (float(node.level_band_m[0]), float(node.level_band_m[1]))
    return marks, band


def lake_inflow_targets(basin, lake_id: str) -> list[tuple[str, float]]:
    """(target id, km3 per water year) of the lake's inflow targets."""
    return [(t.id, float(t.min_annual_km3)) for t in basin.targets if t.type == "lake_inflow" and t.lake == lake_id]


def node_arrivals(solution, node_id: str):
    """The ``arrivals`` table's rows for one node, in period order (Mm3): ``links_mm3`` (after
    losses), ``returns_mm3`` (demand return flows), ``local_mm3`` (local inflow), their sum
    ``arriving_mm3``, ``groundwater_mm3`` (apart, not in arriving) and ``released_mm3``."""
    a = solution.tables["arrivals"]
    return a[a["node"] == node_id].reset_index(drop=True)


def violation_counts(summary: dict) -> tuple[int, int]:
    """(violated targets, violated target-periods) of a run summary: the targets violated in some
    period or water year, and the (target, period or water year) rows of its ``violations``.  The
    console, the workbooks, the report and ``compare`` count "violated targets" the first way."""
    viol = summary.get("violations", [])
    return len({v["target"] for v in viol}), len(viol)


def violation_text(summary: dict, more: str = "") -> str:
    """'4 (15 periods or years)': the violated targets and their target-periods, for display
    (``more`` goes inside the brackets: '4 (15 periods or years, see targets.csv)')."""
    targets, rows = violation_counts(summary)
    return f"{targets} ({rows} period{'' if rows == 1 else 's'} or year{'' if rows == 1 else 's'}{more})"
