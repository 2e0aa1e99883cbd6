"""The allocation plan as an Excel workbook (openpyxl): the issued plan of each water year
(:mod:`balkhash.outputs.issued_plan`, sheets ``Issued plan 2025-26``, ...), then sheets Plan,
Deliveries, (Groups, when demands name a group), Reservoirs, Lake, Targets, Marginal values and
Inputs, each with a frozen, formatted header row stating the units.

    write_plan_workbook(solution, basin, "plan.xlsx", {"basin_path": ..., "scenario": ...})
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..atomic import atomic_write
from .common import violation_counts
from .plan import allocation_plan, plan_matrix
from .sheet_style import DUAL, LEVEL, M3S, MM3, PCT, _cell_value, _styles

SHEETS = ("Plan", "Deliveries", "Reservoirs", "Lake", "Targets", "Marginal values", "Inputs")

#: per sheet: (column of the source table, header with unit, number format)
DELIVERIES = [
    ("demand", "Water user", None), ("name", "Name", None), ("sector", "Sector", None),
    ("period", "Period", None), ("target_mm3", "Target (Mm3)", MM3), ("delivered_mm3", "Delivered (Mm3)", MM3),
    ("delivered_m3s", "Delivered (m3/s)", M3S), ("shortfall_mm3", "Shortfall (Mm3)", MM3),
    ("shortfall_pct", "Shortfall (%)", PCT), ("consumed_mm3", "Consumed (Mm3)", MM3),
    ("returned_mm3", "Returned (Mm3)", MM3), ("return_to", "Returns to", None),
]
GROUPS = [
    ("group", "Group", None), ("period", "Period", None), ("members", "Water users", None),
    ("target_mm3", "Target (Mm3)", MM3), ("delivered_mm3", "Allocated limit (Mm3)", MM3),
    ("delivered_m3s", "Allocated limit (m3/s)", M3S), ("shortfall_mm3", "Shortfall (Mm3)", MM3),
]
RESERVOIRS = [
    ("node", "Reservoir", None), ("period", "Period", None), ("storage_start_mm3", "Storage at start (Mm3)", MM3),
    ("storage_mm3", "Storage at end (Mm3)", MM3), ("lower_mm3", "Lower bound (Mm3)", MM3),
    ("upper_mm3", "Upper bound (Mm3)", MM3), ("level_m", "Level (m BS; blank: no level-area table)", LEVEL),
    ("area_km2", "Area (km2; blank: no level-area table)", MM3),
    ("inflow_mm3", "Inflow (Mm3)", MM3), ("release_mm3", "Release (Mm3)", MM3),
    ("release_m3s", "Release (m3/s)", M3S), ("evaporation_mm3", "Evaporation (Mm3)", MM3),
]
LAKE = [
    ("node", "Lake", None), ("period", "Period", None), ("level_m", "Level at end (m BS)", LEVEL),
    ("level_target_m", "Level target (m BS)", LEVEL), ("storage_mm3", "Storage at end (Mm3)", MM3),
    ("area_km2", "Area (km2)", MM3), ("inflow_mm3", "Surface inflow (Mm3)", MM3),
    ("groundwater_mm3", "Groundwater inflow (Mm3)", MM3), ("evaporation_mm3", "Evaporation (Mm3)", MM3),
    ("precipitation_mm3", "Precipitation (Mm3)", MM3), ("spill_mm3", "Spill above the table (Mm3)", MM3),
]
TARGETS = [
    ("target", "Target", None), ("type", "Type", None), ("node_or_link", "Node or link", None),
    ("period_or_year", "Period or water year", None), ("unit", "Unit", None),
    ("required", "Required (in Unit)", "#,##0.000"), ("achieved", "Achieved (in Unit)", "#,##0.000"),
    ("violation", "Violation (in Unit)", "#,##0.000"), ("dual", "Dual (cost per Unit)", DUAL),
]
DUALS = [
    ("node", "Node", None), ("node_type", "Node type", None), ("period", "Period", None),
    ("marginal_value", "Marginal value of water (cost per Mm3)", DUAL),
]


def _text_width(v, fmt) -> int:
    if v is None:
        return 0
    if isinstance(v, float):
        decimals = len(fmt.split(".")[1]) if fmt and "." in fmt else 2
        return len(f"{v:,.{decimals}f}")
    return len(str(v))


def _header(ws, headers: list[str], st) -> None:
    ws.append(headers)
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = st["head_font"], st["head_fill"], st["head_align"]
    ws.row_dimensions[1].height = 32


def _widths(ws, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(6, min(60, w + 2))


def write_table(ws, df: pd.DataFrame, spec: list[tuple], st, freeze: str = "A2") -> None:
    """Write ``df``'s columns named in ``spec`` under a formatted header row."""
    headers = [h for _, h, _ in spec]
    _header(ws, headers, st)
    widths = [min(len(h), 18) for h in headers]
    cols = [c for c, _, _ in spec]
    fmts = [f for _, _, f in spec]
    for row in df[cols].itertuples(index=False, name=None):
        vals = [_cell_value(v) for v in row]
        ws.append(vals)
        for j, v in enumerate(vals):
            widths[j] = max(widths[j], _text_width(v, fmts[j]))
    for j, fmt in enumerate(fmts):
        if fmt is None:
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=j + 1, max_col=j + 1):
            cell.number_format = fmt
    _widths(ws, widths)
    ws.freeze_panes = freeze
    if len(df):
        ws.auto_filter.ref = ws.dimensions


# -- the sheets' tables ---------------------------------------------------------------------------
def deliveries_table(solution, basin) -> pd.DataFrame:
    from ..network.timeline import period_days
    from ..network.units import mm3_to_m3s

    d = solution.tables["deliveries"].copy()
    names = {n.id: (n.name or n.id) for n in basin.nodes}
    d["name"] = d["demand"].map(names)
    days = [period_days(p) for p in d["period"]]
    d["delivered_m3s"] = mm3_to_m3s(d["delivered_mm3"].to_numpy(float), days) if len(d) else []
    t = d["target_mm3"].to_numpy(float)
    d["shortfall_pct"] = [100.0 * s / x if x > 1e-12 else float("nan") for s, x in zip(d["shortfall_mm3"], t,
                                                                                          strict=True)]
    return d


def groups_table(solution, basin) -> pd.DataFrame:
    """Per group of users (``group`` on the demands) and period: the members' targets, deliveries
    (the group's allocated limit, Mm3 and m3/s) and shortfalls summed; empty without groups."""
    group = {n.id: n.group for n in basin.nodes if n.type == "demand" and n.group is not None}
    d = deliveries_table(solution, basin)
    d = d[d["demand"].isin(list(group))]
    cols = ["target_mm3", "delivered_mm3", "delivered_m3s", "shortfall_mm3"]
    if not len(d):
        return pd.DataFrame(columns=["group", "period", "members", *cols])
    d = d.assign(group=d["demand"].map(group))
    out = d.groupby(["group", "period"], sort=False)[cols].sum().reset_index()
    members = {g: ", ".join(k for k, v in group.items() if v == g) for g in set(group.values())}
    out.insert(2, "members", out["group"].map(members))
    return out.sort_values(["group", "period"], kind="stable").reset_index(drop=True)


def _with_arrivals(solution, st: pd.DataFrame) -> pd.DataFrame:
    """``st`` (rows of the storage table) with the node's arrivals: ``inflow_mm3`` (water arriving:
    links after losses, demand returns, local inflow), ``groundwater_mm3`` and ``release_mm3``."""
    a = solution.tables["arrivals"][["node", "period", "arriving_mm3", "groundwater_mm3", "released_mm3"]]
    a = a.rename(columns={"arriving_mm3": "inflow_mm3", "released_mm3": "release_mm3"})
    return st.merge(a, on=["node", "period"], how="left")


def reservoirs_table(solution) -> pd.DataFrame:
    """The storage table's reservoir rows with their bounds (``lower_mm3``/``upper_mm3``: the LP's
    bounds on the storage at the end of the period), inflow and release (Mm3 and m3/s)."""
    from ..network.timeline import period_days
    from ..network.units import mm3_to_m3s

    st = solution.tables["storage"]
    st = st[st["kind"] == "reservoir"].reset_index(drop=True)
    g = _with_arrivals(solution, st.rename(columns={"min_storage_mm3": "lower_mm3", "max_storage_mm3": "upper_mm3"}))
    days = [period_days(p) for p in g["period"]]
    g["release_m3s"] = mm3_to_m3s(g["release_mm3"].to_numpy(float), days) if len(g) else []
    if len(g):  # no level-area-volume table (no level): no area either, rather than 0 km2
        g["area_km2"] = g["area_km2"].where(g["level_m"].notna())
    return g


def lake_table(solution, basin) -> pd.DataFrame:
    """The storage table's lake rows with the water arriving (``inflow_mm3``), the groundwater
    inflow and the lake's highest level target (``level_target_m``, NaN without one)."""
    st = solution.tables["storage"]
    g = _with_arrivals(solution, st[st["kind"] == "lake"].reset_index(drop=True))
    targets: dict[str, float] = {}
    for t in basin.targets:
        if t.type == "lake_level":
            targets[t.lake] = max(targets.get(t.lake, -math.inf), float(t.min_level_m))
    g["level_target_m"] = g["node"].map(targets).astype(float)
    return g


def duals_table(solution, basin) -> pd.DataFrame:
    d = solution.tables["duals"].copy()
    types = {n.id: n.type for n in basin.nodes}
    d["node_type"] = d["node"].map(types)
    return d


def _shown(v):
    """A number as shown on the Inputs sheet: 6 significant digits, at least 2 and at most 6
    decimals, so that no float noise shows (None when missing)."""
    v = _cell_value(v)
    if not isinstance(v, (int, float)) or v == 0:
        return v
    return round(float(v), min(6, max(2, 5 - math.floor(math.log10(abs(v))))))


def inputs_rows(solution, basin, run_info: dict) -> list[tuple[str, object]]:
    from .. import __version__

    s = solution.summary
    p = s["periods"]
    info = dict(run_info or {})
    rows = [
        ("Basin", basin.name),
        ("Basin path", info.get("basin_path") or basin.base_dir or ""),
        ("Scenario", info.get("scenario") or s.get("scenario") or "base"),
        ("Scenario file", info.get("scenario_file") or ""),
        ("Run date", info.get("run_date") or datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("Solver status", solution.status),
        ("Objective (cost)", _shown(solution.objective)),
        ("Periods", f"{p['first']} .. {p['last']} ({p['count']} {p.get('step', 'month')}s)"),
        ("Water year starts in month", basin.calendar.water_year_start_month),
        ("Nodes / links / targets", f"{len(basin.nodes)} / {len(basin.links)} / {len(basin.targets)}"),
        ("Shortfall cost", _shown(s.get("shortfall_cost"))),
        ("Violated targets", violation_counts(s)[0]),
        ("Violated target-periods (target, period or water year)", violation_counts(s)[1]),
        ("balkhash version", __version__),
    ]
    for k, v in info.items():
        if k not in ("basin_path", "scenario", "scenario_file", "run_date") and v is not None:
            rows.append((k.replace("_", " ").capitalize(), str(v)))
    return rows


# -- the workbook ---------------------------------------------------------------------------------
def _plan_sheet(ws, solution, basin, st, plan=None) -> None:
    from openpyxl.utils import get_column_letter

    plan = allocation_plan(solution, basin) if plan is None else plan
    wy_start = basin.calendar.water_year_start_month
    matrix, months = plan_matrix(plan, wy_start)
    label_spec = [("sector", "Sector"), ("source", "Source"), ("source_type", "Source type"),
                  ("demand", "Water user"), ("name", "Name"), ("water_year", "Water year"),
                  ("measure", "Measure"), ("unit", "Unit")]
    headers = [h for _, h in label_spec] + months[:-2] + ["Vegetation season Apr-Sep", "Water-year total"]
    _header(ws, headers, st)
    widths = [min(len(h), 12) for h in headers]  # the header row wraps
    fmt = {"Mm3": MM3, "m3/s": M3S, "%": PCT}
    first_val = len(label_spec) + 1
    for rec in matrix.to_dict("records"):
        vals = [rec[c] for c, _ in label_spec] + [_cell_value(rec[m]) for m in months]
        ws.append(vals)
        r = ws.max_row
        for j in range(first_val, len(vals) + 1):
            ws.cell(r, j).number_format = fmt[rec["unit"]]
        for j, v in enumerate(vals):
            widths[j] = max(widths[j], _text_width(v, fmt[rec["unit"]] if j >= first_val - 1 else None))
        if rec["level"] != "user":
            fill = st["total_fill"] if rec["level"] == "total" else st["sub_fill"]
            for j in range(1, len(vals) + 1):
                ws.cell(r, j).font = st["bold"]
                ws.cell(r, j).fill = fill
        if rec["unit"] == "%":
            for j in range(1, len(vals) + 1):
                ws.cell(r, j).border = st["thin"]
    _widths(ws, widths)
    ws.freeze_panes = ws.cell(2, first_val)  # header row and the label columns
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, ws.max_row)}"
    ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = f"Seasonal water allocation plan: {basin.name}"
    ws.oddFooter.center.text = "Page &P of &N"


def write_plan_workbook(solution, basin, path, run_info: dict | None = None) -> Path:
    """Write the workbook to ``path`` atomically (a temporary file renamed into place).

    ``run_info``: basin_path, scenario, scenario_file, run_date (default: now) and any other
    key/value to list on the Inputs sheet.  Everything comes from the solution's tables and
    summary and the basin (names, targets)."""
    from openpyxl import Workbook

    from .issued_plan import issued_water_years, sheet_title, write_issued_sheet

    path = Path(path)
    st = _styles()
    wb = Workbook()
    plan = allocation_plan(solution, basin)
    ws = wb.active
    for i, wy in enumerate(issued_water_years(plan)):
        sheet = ws if i == 0 else wb.create_sheet()
        sheet.title = sheet_title(wy)
        write_issued_sheet(sheet, solution, basin, wy, run_info or {}, st, plan)
    if not len(plan):  # no water users: no issued plan
        ws.title = "Plan"
    _plan_sheet(wb.create_sheet("Plan") if len(plan) else ws, solution, basin, st, plan)
    write_table(wb.create_sheet("Deliveries"), deliveries_table(solution, basin), DELIVERIES, st)
    groups = groups_table(solution, basin)
    if len(groups):  # a basin whose demands name their district, canal or intake
        write_table(wb.create_sheet("Groups"), groups, GROUPS, st)
    write_table(wb.create_sheet("Reservoirs"), reservoirs_table(solution), RESERVOIRS, st)
    write_table(wb.create_sheet("Lake"), lake_table(solution, basin), LAKE, st)
    write_table(wb.create_sheet("Targets"), solution.tables["targets"], TARGETS, st)
    write_table(wb.create_sheet("Marginal values"), duals_table(solution, basin), DUALS, st)
    inputs = pd.DataFrame(inputs_rows(solution, basin, run_info or {}), columns=["item", "value"])
    write_table(wb.create_sheet("Inputs"), inputs, [("item", "Item", None), ("value", "Value", None)], st)
    wb["Inputs"].auto_filter.ref = None
    for sheet in wb.worksheets:
        _print_setup(sheet)
    return atomic_write(path, wb.save)


#: sheets printed on A3 (their columns do not fit an A4 width in readable type); the others on A4
A3_SHEETS = ("Plan",)
#: a sheet of this many columns or fewer prints portrait
PORTRAIT_UP_TO = 6


def _print_setup(ws) -> None:
    """Print on A4 (A3: the issued plans and the Plan sheet), landscape (portrait for a narrow
    sheet), one page wide and as many pages tall as needed, the header row on every page."""
    if ws.page_setup.paperSize is None:
        ws.page_setup.paperSize = ws.PAPERSIZE_A3 if ws.title in A3_SHEETS else ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait" if ws.max_column <= PORTRAIT_UP_TO else "landscape"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.8  # clear of the page header and footer (at 0.3)
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if ws.max_row > 1 and not ws.print_title_rows:
        ws.print_title_rows = "1:1"
