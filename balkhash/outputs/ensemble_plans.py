"""Plans of several exceedance probabilities in one workbook, side by side.

Sheet ``Probabilities``: the design year of each probability (China and Kazakh parts, km3) and,
per water user, the water-year target, delivery and shortfall (Mm3) of every plan in adjacent
columns, then the lake inflow (km3), the lake level at the end of the horizon (m BS) and the
storage of every reservoir at the end (Mm3).  Then, for each probability, its issued plan of each
water year (:mod:`balkhash.outputs.issued_plan`, sheets ``Issued 2025-26 p95``) and its ``Plan``
sheet (:func:`balkhash.outputs.workbook._plan_sheet`, the same layouts as the one-plan workbook).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..atomic import atomic_write
from .common import violation_counts
from .sheet_style import MM3, _styles
from .workbook import _plan_sheet, _print_setup, write_table


def side_by_side(plans: list[tuple[str, Any, Any, Any]]) -> pd.DataFrame:
    """One row per figure, one column per plan: plans = [(name, solution, basin, design year)]."""
    rows: dict[str, dict[str, object]] = {}

    def put(item: str, unit: str, name: str, value) -> None:
        rows.setdefault(item, {"item": item, "unit": unit})[name] = value

    for name, sol, _basin, year in plans:
        put("exceedance probability", "%", name, year.probability)
        put("method", "", name, year.method)
        put("inflow from China", "km3/yr", name, year.china_km3)
        put("Kazakh part of the runoff", "km3/yr", name, year.kazakh_km3)
        put("Ile runoff table: China + Kazakh parts", "km3/yr", name, year.total_km3)
        if getattr(year, "kazakh_factor", None) is not None:
            put("factor on the other inflow nodes (K_p / K-bar)", "", name, year.kazakh_factor)
        dl = sol.tables["deliveries"]
        years = max(1, dl["water_year"].nunique())
        for (sector, demand), g in dl.groupby(["sector", "demand"], sort=False):
            put(f"{sector} / {demand}: target", "Mm3/yr", name, g.target_mm3.sum() / years)
            put(f"{sector} / {demand}: delivered", "Mm3/yr", name, g.delivered_mm3.sum() / years)
            put(f"{sector} / {demand}: shortfall", "Mm3/yr", name, g.shortfall_mm3.sum() / years)
        for sector, g in dl.groupby("sector", sort=False):
            put(f"{sector}: shortfall", "Mm3/yr", name, g.shortfall_mm3.sum() / years)
        for lake in sol.summary.get("lakes", []):
            inflow = list(lake["annual_inflow_km3"].values())
            put(f"{lake['node']}: inflow (mean of the water years)", "km3/yr", name,
                sum(inflow) / len(inflow) if inflow else None)
            put(f"{lake['node']}: level at the end", "m BS", name, lake["level_end_m"])
            put(f"{lake['node']}: lowest level", "m BS", name, lake["level_min_m"])
        st = sol.tables["storage"]
        for node, g in st[st["kind"] == "reservoir"].groupby("node", sort=False):
            put(f"{node}: storage at the end", "Mm3", name, float(g.storage_mm3.iloc[-1]))
        targets, periods = violation_counts(sol.summary)
        put("violated targets", "", name, targets)
        put("violated target-periods (target, period or water year)", "", name, periods)
    return pd.DataFrame(list(rows.values()))


def write_probability_workbook(plans: list[tuple[str, Any, Any, Any]], path, run_info: dict | None = None) -> Path:
    """The side-by-side workbook of several plans, written atomically (``run_info``: the date of
    issue ``run_date`` and the ``scenario`` for the issued plans' headers)."""
    from openpyxl import Workbook

    from .issued_plan import issued_water_years, sheet_title, write_issued_sheet
    from .plan import allocation_plan

    st = _styles()
    wb = Workbook()
    ws = wb.active
    ws.title = "Probabilities"
    table = side_by_side(plans)
    spec: list[tuple[str, str, str | None]] = [("item", "Figure", None), ("unit", "Unit", None)] + [
        (name, f"{name} ({year.probability:g} %)", MM3) for name, _s, _b, year in plans]
    write_table(ws, table, spec, st, freeze="C2")
    for name, sol, basin, year in plans:
        plan = allocation_plan(sol, basin)
        info = {**(run_info or {}), "scenario": name,
                "exceedance": {"probability_pct": year.probability, "method": year.method,
                               "china_km3": year.china_km3, "kazakh_km3": year.kazakh_km3}}
        for wy in issued_water_years(plan):
            write_issued_sheet(wb.create_sheet(sheet_title(wy, year.probability)), sol, basin, wy, info, st, plan)
        _plan_sheet(wb.create_sheet(f"Plan {name}"[:31]), sol, basin, st, plan)
    for sheet in wb.worksheets:
        _print_setup(sheet)
    return atomic_write(Path(path), wb.save)
