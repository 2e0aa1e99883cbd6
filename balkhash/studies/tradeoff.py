"""The agriculture-lake frontier: the least-cost allocation for each (hard) lake inflow target."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from ..allocation.solve import SolveError
from ..network.schema import Basin, LakeInflowTarget
from ..scenarios.apply import apply_scenario, copy_basin
from ..scenarios.schema import Scenario
from . import figures
from .study import Study, is_plain


def with_hard_lake_inflow(basin: Basin, km3: float) -> Basin:
    """A copy of ``basin`` whose lake inflow target is hard (added for the only lake if missing)."""
    b = copy_basin(basin)
    found = [t for t in b.targets if t.type == "lake_inflow"]
    if not found:
        lake = next(n.id for n in b.nodes if n.type == "lake")
        b.targets.append(LakeInflowTarget(id=f"{lake}-INFLOW", lake=lake, min_annual_km3=km3, hard=True))
    for t in found:
        t.hard = True
        t.min_annual_km3 = km3
    return b


def with_policy(basin: Basin, policy: str) -> Basin:
    """A copy of ``basin`` under the allocation policy ``policy`` (a preset, one of the basin's
    policies, or 'none'; PolicyError otherwise)."""
    from ..network.policy import check_policy_name

    check_policy_name(basin, policy, "policy")
    b = copy_basin(basin)
    b.options.policy = policy
    return b


def tradeoff_by_policy(basin: Basin, scenario: Scenario | None, values: Iterable[float], policies: list[str],
                       progress: Callable[[float], None] | None = None, **options) -> pd.DataFrame:
    """The frontier of :func:`tradeoff` under each of ``policies`` (column ``policy``; rows with
    ``point`` 'frontier'), and each policy's own plan with the lake targets soft, as the policy
    shares the deficit (``point`` 'policy', ``lake_inflow_target_km3`` the basin's target): where
    the policy stands on its frontier."""
    values = [float(v) for v in values]
    parts = []
    for name in policies:
        b = with_policy(basin, name)
        df = tradeoff(b, scenario, values, progress, **options)
        df.insert(0, "point", "frontier")
        own = _policy_point(b, scenario, **options)
        df = pd.concat([df, pd.DataFrame([own])], ignore_index=True) if own else df
        df.insert(0, "policy", name)
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


def _policy_point(basin: Basin, scenario: Scenario | None, **options) -> dict | None:
    scenario = None if is_plain(scenario) else scenario
    study = Study(basin, scenario, **options)
    try:
        sol = study.solve()
    except SolveError:
        return {"point": "policy", "status": "infeasible"}
    d = sol.tables["deliveries"]
    ag = d[d["sector"] == "agriculture"]
    lake = figures.lake_nodes(sol)[0]
    target = sol.targets.loc[sol.targets["type"] == "lake_inflow", "required"]
    return {
        "point": "policy", "lake_inflow_target_km3": float(target.mean()) / 1000.0 if len(target) else np.nan,
        "status": sol.status, "lake_inflow_km3": figures.lake_mean_inflow_km3(sol, lake),
        "agriculture_delivered_mm3": float(ag["delivered_mm3"].sum()),
        "agriculture_shortfall_mm3": float(ag["shortfall_mm3"].sum()),
        "total_shortfall_mm3": float(d["shortfall_mm3"].sum()),
        "shortfall_cost": float(sol.summary["shortfall_cost"]),
        "lake_level_end_m": figures.lake_levels(sol, lake)[0],
    }


def tradeoff(basin: Basin, scenario: Scenario | None, values: Iterable[float],
             progress: Callable[[float], None] | None = None, **options) -> pd.DataFrame:
    """Epsilon-constraint frontier: for each lake inflow target (km3 per water year, hard), the least
    shortfall cost, agricultural delivery, and the marginal cost of one more km3 for the lake.

    Deliveries, shortfalls and the cost are totals over the horizon (Mm3); the lake's inflow is a
    mean per water year, and so are both ratios: the marginal cost is the mean dual of the annual
    targets (per km3 in one water year), and the farm water lost per lake km3 is the loss per
    water year (the horizon's loss / ``horizon_years``) over the gain per water year."""
    values = [float(v) for v in values]
    scenario = None if is_plain(scenario) else scenario
    applied = basin if scenario is None else apply_scenario(basin, scenario)
    study = Study(with_hard_lake_inflow(applied, values[0]), None, **options)
    if scenario is not None:
        study.scenario = scenario
    rows = []
    for v in values:
        study.set("lake_inflow_target", v)
        try:
            sol = study.solve()
        except SolveError:
            rows.append({"lake_inflow_target_km3": v, "status": "infeasible"})
            if progress:
                progress(v)
            continue
        d = sol.tables["deliveries"]
        ag = d[d["sector"] == "agriculture"]
        lake = figures.lake_nodes(sol)[0]
        rows.append({
            "lake_inflow_target_km3": v,
            "status": sol.status,
            "horizon_years": figures.horizon_years(sol),
            "lake_inflow_km3": figures.lake_mean_inflow_km3(sol, lake),
            "agriculture_delivered_mm3": float(ag["delivered_mm3"].sum()),
            "agriculture_shortfall_mm3": float(ag["shortfall_mm3"].sum()),
            "total_shortfall_mm3": float(d["shortfall_mm3"].sum()),
            "shortfall_cost": float(sol.summary["shortfall_cost"]),
            "marginal_cost_per_km3": figures.mean_dual(sol, "lake_inflow") * 1000.0,
            "lake_level_end_m": figures.lake_levels(sol, lake)[0],
        })
        if progress:
            progress(v)
    df = pd.DataFrame(rows)
    if "agriculture_delivered_mm3" in df:
        d_lake = df["lake_inflow_km3"].diff()
        d_farm = df["agriculture_delivered_mm3"].diff() / 1000.0 / df["horizon_years"]  # km3 per water year
        with np.errstate(divide="ignore", invalid="ignore"):
            lost = -(d_farm / d_lake)
        df["farm_km3_lost_per_lake_km3"] = lost.where(lost.abs() > 1e-9, 0.0).where(lost.notna())
    return df
