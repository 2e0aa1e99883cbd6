"""The console tables of the study commands: figures arrive at full precision and are rounded here."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from .console import compact_table, num

SECTOR_ABBREVIATIONS = {"agriculture": "agri", "industry": "ind", "utilities": "util", "fisheries": "fish",
                        "environment": "env", "hydropower": "hydro"}


def _violated_count(names) -> str:
    if not isinstance(names, str) or not names:
        return "-"
    return str(len([n for n in names.split(";") if n.strip()]))


def sweep_table(parameter: str, table) -> Table:
    """One row per sweep point: shortfall by sector (Mm3), lake inflow (km3), levels (m), dual."""
    t = compact_table(f"Sweep over {parameter}: shortfall by sector (Mm3), lake")
    sector_cols = [c for c in table.columns if c.startswith("shortfall_")]
    for col in ["value", *[SECTOR_ABBREVIATIONS.get(c.removeprefix("shortfall_").removesuffix("_mm3"),
                                                    c.removeprefix("shortfall_").removesuffix("_mm3"))
                           for c in sector_cols],
                "inflow km3", "end m", "min m", "dual"]:
        t.add_column(col, justify="right", no_wrap=True)
    t.add_column("violated", justify="right", no_wrap=True)
    for r in table.to_dict("records"):
        if r["status"] == "no_solution":
            t.add_row(f"{r['value']:g}", *["-"] * (len(sector_cols) + 4), "no solution")
            continue
        t.add_row(f"{r['value']:g}", *[num(r[c], ",.0f") for c in sector_cols], num(r.get("lake_inflow_km3"), ".2f"),
                  num(r.get("lake_level_end_m"), ".2f"), num(r.get("lake_level_min_m"), ".2f"),
                  num(r.get("lake_inflow_dual"), ",.0f"), _violated_count(r.get("violated_targets")))
    return t


def sweep_violations(table) -> list[str]:
    """'violated at 6, 7: A, B' lines: the points grouped by the targets they violate."""
    groups: dict[str, list[str]] = {}
    for r in table.to_dict("records"):
        if r["status"] != "no_solution" and isinstance(r.get("violated_targets"), str) and r["violated_targets"]:
            groups.setdefault(r["violated_targets"], []).append(f"{r['value']:g}")
    return [f"violated at {', '.join(at)}: {names.replace(';', ', ')}" for names, at in groups.items()]


def min_inflow_table(title: str, results) -> Table:
    t = compact_table(title)
    # the bisection's answer holds, one tolerance below fails: the least inflow lies in that bracket
    for col in ("condition", "minimum km3/yr", "holds at it", "holds at it - tol", "solves"):
        t.add_column(col, no_wrap=True)
    for r in results:
        answer = f"<= {r.at_most_km3:g}" if getattr(r, "at_most_km3", None) is not None else \
            "-" if r.answer_km3 is None else f"{r.answer_km3:.3f} (-{r.tolerance_km3:g})"
        t.add_row(r.mode.replace("_", " "), answer, str(r.above_holds), str(r.below_holds), str(r.solves))
    return t


def tradeoff_table(df) -> Table:
    t = compact_table("Agriculture vs lake inflow frontier")
    for col in ("lake target\nkm3", "lake inflow\nkm3", "agri delivered\nMm3", "agri short\nMm3",
                "shortfall\ncost", "cost per extra\nlake km3", "farm km3 lost\nper lake km3"):
        t.add_column(col, justify="right")
    for r in df.to_dict("records"):
        if r["status"] != "optimal":
            t.add_row(f"{r['lake_inflow_target_km3']:g}", Text(str(r["status"])), "", "", "", "", "")
            continue
        t.add_row(f"{r['lake_inflow_target_km3']:g}", num(r["lake_inflow_km3"], ".2f"),
                  num(r["agriculture_delivered_mm3"], ",.0f"), num(r["agriculture_shortfall_mm3"], ",.0f"),
                  num(r["shortfall_cost"], ",.0f"),
                  num(r["marginal_cost_per_km3"], ",.0f"), num(r["farm_km3_lost_per_lake_km3"], ".2f"))
    return t


def _cell(v) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return num(v, ",.2f")
    if isinstance(v, int):
        return f"{v:,d}"
    return "-" if v is None else str(v)


def comparison_tables(df, width: int) -> list[Table]:
    """The comparison as one table per group of scenario columns that fits the console width, the
    figure names repeated in each, so no cell is cut on a narrow terminal."""
    cells = {c: [_cell(v) for v in df[c]] for c in df.columns}
    label_w = max([len("figure")] + [len(str(i)) for i in df.index])
    col_w = {c: max([len(str(c))] + [len(s) for s in cells[c]]) for c in df.columns}
    groups: list[list] = []
    cur: list = []
    used = label_w
    for c in df.columns:
        if cur and used + 2 + col_w[c] > width:
            groups.append(cur)
            cur, used = [], label_w
        cur.append(c)
        used += 2 + col_w[c]
    groups.append(cur)
    tables = []
    for k, cols in enumerate(groups, 1):
        title = "Scenario comparison" + (f" ({k}/{len(groups)})" if len(groups) > 1 else "")
        t = compact_table(title)
        t.add_column("figure", no_wrap=True)
        for c in cols:
            t.add_column(str(c), justify="right", no_wrap=True)
        for i, idx in enumerate(df.index):
            t.add_row(Text(str(idx)), *[Text(cells[c][i]) for c in cols])
        tables.append(t)
    return tables
