"""Key figures of one solution, at full precision, from its result tables.

The studies compare solutions number by number, so they read the result tables (Mm3 per period,
levels in m BS) and never the figures rounded for display.  Only the lake's start level, which no
table holds, comes from the summary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..network.timeline import STEPS


def sector_totals(sol, column: str) -> dict[str, float]:
    """Sector -> sum over the horizon of a deliveries column (``target_mm3``, ``delivered_mm3``,
    ``shortfall_mm3``), Mm3, sectors in sorted order."""
    d = sol.tables["deliveries"]
    return {str(k): float(v) for k, v in d.groupby("sector")[column].sum().items()}


def lake_nodes(sol) -> list[str]:
    st = sol.tables["storage"]
    return list(dict.fromkeys(st[st["kind"] == "lake"]["node"]))


def lake_annual_inflow_km3(sol, lake: str) -> dict[int, float]:
    """Water year -> inflow reaching ``lake`` (links after losses, returns, local inflow; not the
    groundwater), km3, for the water years entirely inside the horizon."""
    a = sol.tables["arrivals"]
    a = a[a["node"] == lake]
    g = a.groupby("water_year")["arriving_mm3"]
    full = g.size() == STEPS[sol.summary.get("periods", {}).get("step", "month")]
    return {int(w): float(v) / 1000.0 for w, v in g.sum()[full].items()}


def horizon_years(sol) -> float:
    """The horizon's length in water years (periods / periods per year; 1.5 for 18 months)."""
    p = sol.summary.get("periods", {})
    return float(p.get("count", STEPS[p.get("step", "month")])) / STEPS[p.get("step", "month")]


def lake_mean_inflow_km3(sol, lake: str) -> float:
    """Mean inflow per full water year, km3 (the horizon's total when no water year is full)."""
    annual = lake_annual_inflow_km3(sol, lake)
    if annual:
        return float(np.mean(list(annual.values())))
    a = sol.tables["arrivals"]
    return float(a[a["node"] == lake]["arriving_mm3"].sum()) / 1000.0


def lake_levels(sol, lake: str) -> tuple[float, float]:
    """(end level, minimum level over the horizon including the start), m BS."""
    st = sol.tables["storage"]
    levels = st[st["node"] == lake]["level_m"]
    start = next((x.get("level_start_m") for x in sol.summary.get("lakes", []) if x["node"] == lake), None)
    low = float(levels.min())
    if start is not None and start == start:
        low = min(low, float(start))
    return float(levels.iloc[-1]), low


def storage_end_mm3(sol) -> dict[str, float]:
    """Reservoir -> storage at the end of the horizon, Mm3."""
    st = sol.tables["storage"]
    st = st[st["kind"] == "reservoir"]
    return {str(n): float(g["storage_mm3"].iloc[-1]) for n, g in st.groupby("node", sort=False)}


def energy_gwh(sol) -> dict[str, float]:
    """Plant -> energy over the horizon, GWh."""
    hp = sol.tables["hydropower"]
    return {str(p): float(g["energy_gwh"].sum()) for p, g in hp.groupby("plant", sort=False)}


def violated_targets(sol, tol: float = 1e-6) -> list[str]:
    """Ids of the targets violated in some period or year, sorted."""
    t = sol.tables["targets"]
    return sorted(set(t[t["violation"] > tol]["target"]))


def mean_dual(sol, target_type: str) -> float:
    """Mean dual of the target rows of a type (cost per Mm3), NaN when there are none."""
    t = sol.tables["targets"]
    duals = t[t["type"] == target_type]["dual"]
    return float(duals.mean()) if len(duals) else np.nan


def lake_level_rows(value: float, sol) -> pd.DataFrame:
    """The lake level trajectory of one study point: value, node, period, level_m."""
    st = sol.tables["storage"]
    st = st[st["kind"] == "lake"]
    return pd.DataFrame({"value": value, "node": st["node"], "period": st["period"], "level_m": st["level_m"]})
