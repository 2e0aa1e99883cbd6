"""The seasonal allocation plan: what a basin inspectorate issues to its water users.

For each water user and month of the water year (at a dekad calendar step: each dekad, and each
month summed from its dekads), plus the vegetation season (April-September) and the whole water
year: the allocated limit in Mm3 and in m3/s (mean flow over the real number of days), the
requested target, the shortfall and its percentage of the target.  Users are grouped by sector and
by source (the node their intake links come from: a reservoir, a river, a lake or a canal; see
:func:`balkhash.outputs.common.classify_source`), and carry their ``group`` (district, canal,
intake) when the basin names one.

``allocation_plan`` gives the long table (one row per user, water year and month/season/year);
``plan_totals`` sums it by sector, source or any other column; ``plan_matrix`` lays it out as the
printed plan (a row per user and measure, a column per month).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..network.schema import SECTORS
from ..network.timeline import parse_period, period_days, water_year_label
from ..network.units import mm3_to_m3s
from .common import MONTHS, SEASON_LABEL, SEASON_MONTHS, YEAR_LABEL, demand_sources

#: (column, measure, unit) of the printed plan, in order
MEASURES = (
    ("limit_mm3", "Allocated limit", "Mm3"),
    ("limit_m3s", "Allocated limit", "m3/s"),
    ("target_mm3", "Requested target", "Mm3"),
    ("shortfall_mm3", "Shortfall", "Mm3"),
    ("shortfall_pct", "Shortfall", "%"),
)
PLAN_COLUMNS = ["sector", "source", "source_name", "source_type", "via", "demand", "name", "water_year",
                "period", "month", "kind", "days", "limit_mm3", "limit_m3s", "target_mm3", "shortfall_mm3",
                "shortfall_pct", "dekad", "group"]
_SUMS = ["days", "limit_mm3", "target_mm3", "shortfall_mm3"]


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    """Recompute the derived columns (m3/s from Mm3 and days; shortfall % of target)."""
    df = df.copy()
    df["limit_m3s"] = mm3_to_m3s(df["limit_mm3"].to_numpy(float), df["days"].to_numpy(float))
    t = df["target_mm3"].to_numpy(float)
    s = df["shortfall_mm3"].to_numpy(float)
    df["shortfall_pct"] = np.where(t > 1e-12, 100.0 * s / np.where(t > 1e-12, t, 1.0), np.nan)
    return df


def month_order(water_year_start_month: int = 10) -> list[str]:
    """Month abbreviations in water-year order (Oct..Sep for an October water year)."""
    return [MONTHS[(water_year_start_month - 1 + i) % 12] for i in range(12)]


def dekad_column(month: str, dekad: int) -> str:
    """The plan's column of dekad 1..3 of a month: ``Apr 1``, ``Apr 2``, ``Apr 3``."""
    return f"{month} {dekad}"


def period_columns(water_year_start_month: int = 10, dekads: bool = False) -> list[str]:
    """The plan's period columns in water-year order: the months, or at a dekad step the months
    outside the vegetation season and the three dekads of each month inside it."""
    out = []
    for name in month_order(water_year_start_month):
        if dekads and MONTHS.index(name) + 1 in SEASON_MONTHS:
            out += [dekad_column(name, d) for d in (1, 2, 3)]
        else:
            out.append(name)
    return out


def allocation_plan(solution, basin) -> pd.DataFrame:
    """The plan as a long table: per user, water year and month, plus an ``Apr-Sep`` (kind
    ``season``) and a ``Water year`` (kind ``year``) row per user and water year.  Volumes in Mm3,
    ``limit_m3s`` the mean flow, ``shortfall_pct`` the shortfall in % of the target (NaN where
    nothing was requested).  Water years only partly inside the horizon sum the months present.
    At a dekad calendar step each dekad has a row (kind ``dekad``, period ``YYYY-MM-D``) and each
    month one more, summed from its dekads (kind ``month``, period ``YYYY-MM``)."""
    dl = solution.tables["deliveries"]
    wy_start = basin.calendar.water_year_start_month
    sources = demand_sources(basin)
    names = {n.id: (n.name or n.id) for n in basin.nodes}
    groups = {n.id: getattr(n, "group", None) for n in basin.nodes if n.type == "demand"}
    if dl.empty:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    ymd = [parse_period(p) for p in dl["period"]]
    by_dekad = any(d for _, _, d in ymd)
    df = pd.DataFrame({
        "sector": dl["sector"].to_numpy(),
        "demand": dl["demand"].to_numpy(),
        "period": dl["period"].to_numpy(),
        "month": [MONTHS[m - 1] for _, m, _ in ymd],
        "month_no": [m for _, m, _ in ymd],
        "dekad": [d for _, _, d in ymd],
        "water_year": [water_year_label(y if m >= wy_start else y - 1, wy_start) for y, m, _ in ymd],
        "kind": "dekad" if by_dekad else "month",
        "days": [float(period_days(p)) for p in dl["period"]],
        "limit_mm3": dl["delivered_mm3"].to_numpy(float),
        "target_mm3": dl["target_mm3"].to_numpy(float),
        "shortfall_mm3": dl["shortfall_mm3"].to_numpy(float),
    })
    keys = ["sector", "demand", "water_year"]
    season = df[df["month_no"].isin(SEASON_MONTHS)].groupby(keys, sort=False)[_SUMS].sum().reset_index()
    season["period"], season["month"], season["kind"] = SEASON_LABEL, SEASON_LABEL, "season"
    year = df.groupby(keys, sort=False)[_SUMS].sum().reset_index()
    year["period"], year["month"], year["kind"] = YEAR_LABEL, YEAR_LABEL, "year"
    parts = [df.drop(columns="month_no"), season, year]
    if by_dekad:  # each month summed from its dekads
        months = df.assign(period=df["period"].str[:7]).groupby([*keys, "period", "month"], sort=False)[
            _SUMS].sum().reset_index()
        months["kind"] = "month"
        parts.insert(0, months)
    out = pd.concat(parts, ignore_index=True)
    out["dekad"] = out["dekad"].fillna(0).astype(int)
    src = out["demand"].map(sources)
    out["source"] = [s.node for s in src]
    out["source_name"] = [s.name for s in src]
    out["source_type"] = [s.type for s in src]
    out["via"] = [s.via for s in src]
    out["name"] = out["demand"].map(names)
    out["group"] = out["demand"].map(groups)
    # order: sector (schema order), source, user (basin order), water year, months, season, year
    sector_rank = {s: i for i, s in enumerate(SECTORS)}
    user_rank = {n.id: i for i, n in enumerate(basin.nodes)}
    kind_rank = {"month": 0, "dekad": 0, "season": 1, "year": 2}
    out["_s"] = out["sector"].map(sector_rank).fillna(len(SECTORS))
    out["_u"] = out["demand"].map(user_rank)
    out["_k"] = out["kind"].map(kind_rank)
    out["_p"] = out["period"].where(out["kind"].isin(["month", "dekad"]), "")
    out = out.sort_values(["_s", "source", "_u", "water_year", "_k", "_p"], kind="stable")
    out = out.drop(columns=["_s", "_u", "_k", "_p"]).reset_index(drop=True)
    return _finish(out)[PLAN_COLUMNS]


def plan_totals(plan: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """Sum the plan over users, keeping ``by`` (e.g. "sector", "source_type", ["sector", "source"]);
    the m3/s and % columns are recomputed from the sums."""
    by = [by] if isinstance(by, str) else list(by)
    keys = [*by, "water_year", "period", "month", "dekad", "kind"]
    g = plan.groupby(keys, sort=False, dropna=False)
    tot = g[["limit_mm3", "target_mm3", "shortfall_mm3"]].sum()
    tot["days"] = g["days"].first()
    return _finish(tot.reset_index())


def _wide(rows: pd.DataFrame, columns: list[str], label: dict) -> list[dict]:
    """Measure rows (one per MEASURES entry) of one group, values keyed by column label."""
    by_col = {}
    for r in rows.itertuples(index=False):
        col = r.month if r.kind == "month" else dekad_column(r.month, r.dekad) if r.kind == "dekad" else r.period
        by_col[col] = r
    out = []
    for col, measure, unit in MEASURES:
        row = dict(label, measure=measure, unit=unit)
        for c in columns:
            r = by_col.get(c)
            row[c] = None if r is None else getattr(r, col)
            if row[c] is not None and isinstance(row[c], float) and np.isnan(row[c]):
                row[c] = None
        out.append(row)
    return out


def plan_matrix(plan: pd.DataFrame, water_year_start_month: int = 10) -> tuple[pd.DataFrame, list[str]]:
    """The printed plan: a row per (group, water year, measure) and a column per month in
    water-year order (at a dekad step: per dekad in the vegetation season, see
    :func:`period_columns`), then ``Apr-Sep`` and ``Water year``.  Groups: each user (sector,
    source), a subtotal per source within a sector that has several, a subtotal per sector, totals
    by source type, and the basin total.  Returns (table, value column labels)."""
    columns = [*period_columns(water_year_start_month, bool((plan["kind"] == "dekad").any())), SEASON_LABEL,
               YEAR_LABEL]
    rows: list[dict] = []

    def label(level, sector="", source="", source_type="", demand="", name="", wy=""):
        return {"level": level, "sector": sector, "source": source, "source_type": source_type,
                "demand": demand, "name": name, "water_year": wy}

    if plan.empty:
        return pd.DataFrame(columns=["level", "sector", "source", "source_type", "demand", "name",
                                     "water_year", "measure", "unit", *columns]), columns
    for sector, sp in plan.groupby("sector", sort=False):
        n_sources = sp["source"].nunique()
        for source, up in sp.groupby("source", sort=False):
            stype = up["source_type"].iloc[0]
            for (demand, wy), g in up.groupby(["demand", "water_year"], sort=False):
                rows += _wide(g, columns, label("user", sector, source, stype, demand, g["name"].iloc[0], wy))
            if n_sources > 1:
                for wy, g in plan_totals(up, ["source"]).groupby("water_year", sort=False):
                    rows += _wide(g, columns, label("source total", sector, source, stype, "", f"{source} total", wy))
        for wy, g in plan_totals(sp, ["sector"]).groupby("water_year", sort=False):
            rows += _wide(g, columns, label("sector total", sector, "", "", "", f"{sector} total", wy))
    for stype, g0 in plan_totals(plan, ["source_type"]).groupby("source_type", sort=False):
        for wy, g in g0.groupby("water_year", sort=False):
            rows += _wide(g, columns, label("source type total", "", "", stype, "", f"from {stype}", wy))
    plan_all = plan.assign(_all="all")
    for wy, g in plan_totals(plan_all, ["_all"]).groupby("water_year", sort=False):
        rows += _wide(g, columns, label("total", "", "", "", "", "All users", wy))
    return pd.DataFrame(rows), columns
