"""The plan in the form a basin inspection issues it: one sheet per water year.

The header names the basin, the water year (its first and last day), the probability of exceedance
of the water year planned (when the plan is one of ``plan --probability``), the allocation policy,
the scenario and the date of issue.  Then the limits: per water user, grouped by district, canal or
intake (``group`` on the demands; users without one last), one row in Mm3 and one in m3/s (the mean
flow over the real days of the period) per month of the water year, or per dekad in the vegetation
season April-September at a dekad calendar step, then the season and the water-year total, the
water-year request and the limit as a percentage of it; a subtotal per group (the limit of the
group's intake) and the basin total, in Mm3 and m3/s.

The layout follows the published forms found (docs/outputs.md, "The issued plan"): the
annual volume with its distribution by months (dekads) of the irrigation season for a year of a
stated probability, limits per water user and in total.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..network.timeline import dekad_days
from .common import MONTHS, SEASON_LABEL, YEAR_LABEL
from .plan import allocation_plan, period_columns, plan_totals

#: the label of the users that name no group
NO_GROUP = "Users without a group"
#: rows of a user, a group and the basin: (plan column, unit)
MEASURES = (("limit_mm3", "Mm3"), ("limit_m3s", "m3/s"))
LABELS = ("No.", "Water user", "Name", "Sector", "Intake (source)", "Unit")


def _value_columns(plan: pd.DataFrame, wy_start: int) -> list[str]:
    return [*period_columns(wy_start, bool((plan["kind"] == "dekad").any())), SEASON_LABEL, YEAR_LABEL]


def _by_column(rows: pd.DataFrame) -> dict[str, object]:
    """Rows of one user (or group) and water year keyed by their plan column."""
    out = {}
    for r in rows.itertuples(index=False):
        if r.kind == "dekad":
            out[f"{r.month} {r.dekad}"] = r
        elif r.kind == "month":
            out[r.month] = r
        else:
            out[r.period] = r
    return out


def issued_table(plan: pd.DataFrame, water_year: str, wy_start: int = 10,
                 rank: dict[str, int] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The limits of one water year as the issued form lays them out: rows ``level`` (user, group
    total, basin total), group, number, user, name, sector, intake, unit and a column per period
    (:func:`balkhash.outputs.plan.period_columns`), the season and the water year; the Mm3 rows add
    the water-year request and the limit in % of it; ``rank``: user id -> position (default: the
    plan's order).  Returns (table, value columns)."""
    columns = _value_columns(plan, wy_start)
    p = plan[plan["water_year"] == water_year].copy()
    p["group"] = p["group"].fillna(NO_GROUP)
    if rank is not None:  # users in the basin's order, groups in the order of their first user
        p = p.assign(_u=p["demand"].map(rank)).sort_values("_u", kind="stable").drop(columns="_u")
    order = list(dict.fromkeys(g for g in p["group"] if g != NO_GROUP))
    if (p["group"] == NO_GROUP).any():
        order.append(NO_GROUP)
    records: list[dict] = []

    def add(level, group, no, demand, name, sector, source, rows):
        cells = _by_column(rows)
        year = cells.get(YEAR_LABEL)
        for col, unit in MEASURES:
            first = col == "limit_mm3"  # the m3/s row under it names only the user
            rec = {"level": level, "group": group, "no": no if first else None, "demand": demand,
                   "name": name if first or level != "user" else None, "sector": sector if first else None,
                   "source": source if first else None, "unit": unit}
            for c in columns:
                r = cells.get(c)
                rec[c] = None if r is None else float(getattr(r, col))
            requested = None if year is None or col != "limit_mm3" else float(year.target_mm3)
            rec["requested_mm3"] = requested
            rec["limit_pct"] = (100.0 * float(year.limit_mm3) / requested
                                if requested is not None and requested > 1e-12 else None)
            records.append(rec)

    no = 0
    for group in order:
        members = p[p["group"] == group]
        for demand, rows in members.groupby("demand", sort=False):
            no += 1
            r0 = rows.iloc[0]
            add("user", group, no, demand, r0["name"], r0["sector"], r0["source_name"], rows)
        add("group total", group, None, "", f"{group}: total", "", "", plan_totals(members, ["group"]))
    add("total", "", None, "", "Basin total", "", "", plan_totals(p.assign(_all="all"), ["_all"]))
    return pd.DataFrame(records), columns


def _days_label(month: str, dekad: int, water_year: str, wy_start: int) -> str:
    """'1-10', '11-20' or '21-<last day>' of a dekad of ``month`` in ``water_year``."""
    m = MONTHS.index(month) + 1
    y = int(water_year[:4]) + (m < wy_start)
    first = 1 + 10 * (dekad - 1)
    return f"{first}-{first - 1 + dekad_days(y, m, dekad)}"


def header_fields(solution, basin, water_year: str, run_info: dict) -> list[tuple[str, str]]:
    """The header of an issued plan: (field, value) rows."""
    s = solution.summary
    tl = basin.timeline()
    wy_start = basin.calendar.water_year_start_month
    y0 = int(water_year[:4])
    last = date(y0 + 1, wy_start, 1) if wy_start > 1 else date(y0 + 1, 1, 1)
    first = date(y0, wy_start, 1)
    ex = run_info.get("exceedance")
    if ex:
        factor = ex.get("kazakh_factor")
        scaled = f" (every other inflow node x {factor:.3f})" if factor is not None else ""
        prob = (f"{ex['probability_pct']:g} % (the water year planned: inflow from China {ex['china_km3']:.2f} km3, "
                f"Kazakh part {ex['kazakh_km3']:.2f} km3{scaled}; method {ex['method']})")
    else:
        prob = "not given (the basin's inflows as modelled)"
    policy = (s.get("policy") or {}).get("name") or "none (the users' own shortfall costs)"
    issued = str(run_info.get("run_date") or date.today().isoformat())[:10]
    step = "dekads in April-September, months otherwise" if tl.is_dekad else "months"
    return [
        ("Basin", basin.name),
        ("Water year", f"{water_year} ({first.isoformat()} .. {date.fromordinal(last.toordinal() - 1).isoformat()})"),
        ("Probability of exceedance", prob),
        ("Allocation policy", policy),
        ("Scenario", str(run_info.get("scenario") or s.get("scenario") or "base")),
        ("Date of issue", issued),
        ("Periods", step),
        ("Units", "limits in Mm3 over the period and as the mean flow over its real days in m3/s"),
    ]


def write_issued_sheet(ws, solution, basin, water_year: str, run_info: dict, st, plan=None) -> None:
    """One water year's issued plan on worksheet ``ws`` (module docstring)."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from .sheet_style import M3S, MM3, PCT, _cell_value

    plan = allocation_plan(solution, basin) if plan is None else plan
    wy_start = basin.calendar.water_year_start_month
    table, columns = issued_table(plan, water_year, wy_start, {n.id: i for i, n in enumerate(basin.nodes)})
    ncol = len(LABELS) + len(columns) + 2
    ws.append([f"Water use plan: limits of water use, water year {water_year}"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    for field, value in header_fields(solution, basin, water_year, run_info):
        ws.append([field, None, None, value])
        r = ws.max_row
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
        ws.merge_cells(start_row=r, start_column=4, end_row=r, end_column=ncol)
        ws.cell(r, 1).font = st["bold"]
    ws.append([None])
    head1 = list(LABELS) + [c.split(" ")[0] if " " in c else c for c in columns] + [
        "Requested, water year (Mm3)", "Limit, % of request"]
    head1[len(LABELS) + len(columns) - 2] = "Vegetation season Apr-Sep"
    head1[len(LABELS) + len(columns) - 1] = "Water-year total"
    head2: list[str | None] = [None] * ncol
    for j, c in enumerate(columns):
        if c not in (SEASON_LABEL, YEAR_LABEL) and " " in c:
            month, dekad = c.split(" ")
            head2[len(LABELS) + j] = _days_label(month, int(dekad), water_year, wy_start)
    ws.append(head1)
    top = ws.max_row
    ws.append(head2)
    for j in range(1, ncol + 1):
        for r in (top, top + 1):
            cell = ws.cell(r, j)
            cell.font, cell.fill, cell.alignment = st["head_font"], st["head_fill"], st["head_align"]
    # merge a month's name over its three dekads, and the other headers over both rows
    j = 0
    while j < ncol:
        if head2[j] is not None:
            k = j
            while k + 1 < ncol and head2[k + 1] is not None and head1[k + 1] == head1[j]:
                k += 1
            if k > j:
                ws.merge_cells(start_row=top, start_column=j + 1, end_row=top, end_column=k + 1)
            j = k + 1
        else:
            ws.merge_cells(start_row=top, start_column=j + 1, end_row=top + 1, end_column=j + 1)
            j += 1
    ws.row_dimensions[top].height = 30
    last_group = None
    fmt = {"Mm3": MM3, "m3/s": M3S}
    for rec in table.to_dict("records"):
        if rec["level"] == "user" and rec["group"] != last_group:
            last_group = rec["group"]
            ws.append([None, rec["group"]])
            ws.merge_cells(start_row=ws.max_row, start_column=2, end_row=ws.max_row, end_column=ncol)
            ws.cell(ws.max_row, 2).font = st["bold"]
            for j in range(1, ncol + 1):
                ws.cell(ws.max_row, j).fill = st["sub_fill"]
        vals = [rec["no"], rec["demand"], rec["name"], rec["sector"], rec["source"], rec["unit"]]
        vals += [_cell_value(rec[c]) for c in columns] + [_cell_value(rec["requested_mm3"]),
                                                          _cell_value(rec["limit_pct"])]
        ws.append(vals)
        r = ws.max_row
        for j in range(len(LABELS) + 1, len(LABELS) + len(columns) + 2):
            ws.cell(r, j).number_format = fmt[rec["unit"]]
        ws.cell(r, ncol).number_format = PCT
        if rec["level"] != "user":
            for j in range(1, ncol + 1):
                ws.cell(r, j).font = st["bold"]
                ws.cell(r, j).fill = st["total_fill"] if rec["level"] == "total" else st["sub_fill"]
        if rec["unit"] == "m3/s":
            for j in range(1, ncol + 1):
                ws.cell(r, j).border = st["thin"]
    ws.append([None])
    ws.append([None, "Issued by the basin inspection: ______________________  (signature, seal)"])
    widths = [5, 17, 34, 12, 30, 6] + [9] * (len(columns) - 2) + [12, 12, 13, 10]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    _wrap_text_columns(ws, top + 2, widths)
    ws.freeze_panes = f"{get_column_letter(len(LABELS) + 1)}{top + 2}"
    ws.print_title_rows = f"{top}:{top + 1}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3  # landscape on one page width (set by the workbook)
    ws.oddHeader.center.text = f"Water use plan {water_year}: {basin.name}"
    ws.oddFooter.center.text = "Page &P of &N"


#: the columns whose text wraps in its cell (Name, Intake), 1-based, and a line's height in points
WRAPPED = (3, 5)
LINE_PT = 15.0


def text_lines(text: str, width: float) -> int:
    """The lines ``text`` takes in a wrapped cell ``width`` characters wide (words kept whole)."""
    import textwrap

    return max(1, len(textwrap.wrap(str(text), max(1, int(width * 1.05) - 1), break_long_words=True)))


def _wrap_text_columns(ws, first_row: int, widths: list[int]) -> None:
    """Wrap the Name and Intake cells of the limit rows and make each row tall enough for them
    (a spreadsheet does not grow a row for wrapped text it did not lay out itself)."""
    from openpyxl.styles import Alignment

    for r in range(first_row, ws.max_row + 1):
        lines = 1
        for j in WRAPPED:
            cell = ws.cell(r, j)
            if isinstance(cell.value, str) and type(cell).__name__ != "MergedCell":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                lines = max(lines, text_lines(cell.value, widths[j - 1]))
        if lines > 1:
            ws.row_dimensions[r].height = LINE_PT * lines
            for j in range(1, ws.max_column + 1):  # the row's other cells at its top, beside the text
                c = ws.cell(r, j)
                if j not in WRAPPED and type(c).__name__ != "MergedCell":
                    c.alignment = Alignment(vertical="top", horizontal=c.alignment.horizontal)


def issued_water_years(plan: pd.DataFrame) -> list[str]:
    """The water years of a plan (labels ``2025-26``), in order."""
    return sorted(set(plan["water_year"]))


def sheet_title(water_year: str, probability: float | None = None) -> str:
    """``Issued plan 2025-26`` (``Issued 2025-26 p75`` for a plan of exceedance probability 75 %)."""
    if probability is not None:
        return f"Issued {water_year} p{probability:g}"[:31]
    return f"Issued plan {water_year}"[:31]
