"""Apply a scenario to a basin, in two steps.

1. :func:`apply_to_basin` changes the structure: horizon (years, start), reservoirs and plants
   switched on/off, link capacities, reservoir ranges, lake targets.  It returns a new Basin.
2. :func:`apply_to_data` changes the numbers of the compiled model data (Mm3 per period):
   transboundary inflow, inflow multipliers, demand growth, multipliers and water saving.

Transboundary volumes are per **water year**: V_w km3 is spread over the months of water year w by
the node's own monthly pattern in the basin (its shares over the first 12 periods), so the border
profile is kept.  Historical years from the 2010-2020 table are mapped onto the water years of the
horizon in order (the table is by calendar year; the mapping is an approximation, documented).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..network.errors import BasinError, Problem
from ..network.schema import Basin
from .schema import Scenario, path_value

TABLE_FILE = "transboundary_years.csv"


def _copy(basin: Basin) -> Basin:
    new = basin.model_copy(deep=True)
    new._base_dir = basin._base_dir
    new._tables = basin._tables
    return new


def scenario_problems(basin: Basin, sc: Scenario, file: str) -> list[Problem]:
    """Check a scenario's references against the basin (every problem at once)."""
    where = f"scenario '{sc.name}'"
    out = []
    nodes = {n.id: n for n in basin.nodes}
    links = {lk.id for lk in basin.links}
    plants = {p.id for p in basin.hydropower}
    sectors = {n.sector for n in basin.nodes if n.type == "demand"}
    demands = {n.id for n in basin.nodes if n.type == "demand"}
    for k in sc.inflow_multipliers:
        if k != "all" and k not in nodes:
            out.append(Problem(file, where, f"inflow_multipliers.{k}", "unknown node"))
    for k in sc.demand_multipliers:
        if k not in demands and k not in sectors:
            out.append(Problem(file, where, f"demand_multipliers.{k}", "neither a demand id nor a sector of the basin"))
    for k in sc.demand_growth:
        if k not in sectors:
            out.append(Problem(file, where, f"demand_growth.{k}",
                               f"no demand of this sector in the basin ({', '.join(sorted(sectors))})"))
    tb = sc.transboundary
    if tb is not None:
        if tb.node is not None and tb.node not in nodes:
            out.append(Problem(file, where, "transboundary.node", f"unknown node '{tb.node}'"))
        elif tb.node is None and not [n for n in basin.nodes if getattr(n, "transboundary", False)]:
            out.append(Problem(file, where, "transboundary", "the basin has no inflow with transboundary: true; "
                               "name the node with transboundary.node"))
        for n in tb.kazakh_nodes or []:
            if n not in nodes:
                out.append(Problem(file, where, "transboundary.kazakh_nodes", f"unknown node '{n}'"))
    ws = sc.water_saving
    if ws is not None:
        for field in ("demands", "industry_demands"):
            for d in getattr(ws, field) or []:
                if d not in demands:
                    out.append(Problem(file, where, f"water_saving.{field}", f"unknown demand '{d}'"))
    inf = sc.infrastructure
    if inf is not None:
        for field in ("enable", "disable"):
            for x in getattr(inf, field):
                n = nodes.get(x)
                if x not in plants and (n is None or n.type != "reservoir"):
                    out.append(Problem(file, where, f"infrastructure.{field}", f"'{x}' is not a reservoir or plant"))
        for field in ("link_capacity", "annual_capacity"):
            for x in getattr(inf, field):
                if x not in links:
                    out.append(Problem(file, where, f"infrastructure.{field}.{x}", "unknown link"))
        for x in inf.reservoir_range:
            n = nodes.get(x)
            if n is None or n.type != "reservoir":
                out.append(Problem(file, where, f"infrastructure.reservoir_range.{x}", "not a reservoir"))
        for x, cap in inf.annual_capacity.items():
            if cap.annual is None:
                out.append(Problem(file, where, f"infrastructure.annual_capacity.{x}",
                                   "must be an annual volume, e.g. '0.4 km3/yr'"))
    tg = sc.targets
    if tg is not None:
        lakes = [n.id for n in basin.nodes if n.type == "lake"]
        if tg.lake is not None and tg.lake not in lakes:
            out.append(Problem(file, where, "targets.lake", f"'{tg.lake}' is not a lake"))
        elif tg.lake is None and len(lakes) != 1:
            out.append(Problem(file, where, "targets.lake", f"the basin has {len(lakes)} lakes: name one"))
    if (tb is not None and (tb.year is not None or tb.sequence is not None)):
        try:
            table = transboundary_table(basin, tb.table)
            for y in ([tb.year] if tb.year is not None else tb.sequence):
                if y != "mean" and y not in table.index:
                    out.append(Problem(file, where, "transboundary", f"year {y} is not in the runoff table "
                                       f"({table.index.min()}..{table.index.max()})"))
        except BasinError as exc:
            out.extend(exc.problems)
    return out


def transboundary_table(basin: Basin, path: str | None = None) -> pd.DataFrame:
    """The historical runoff table (index: year; china_km3, kazakhstan_km3), numeric years only."""
    file = Path(path) if path else Path(basin.base_dir or ".") / TABLE_FILE
    if not file.exists():
        raise BasinError([Problem(str(file), "", "", "transboundary runoff table not found")])
    df = pd.read_csv(file)
    missing = {"year", "china_km3"} - set(df.columns)
    if missing:
        raise BasinError([Problem(str(file), "", ", ".join(sorted(missing)), "missing column(s)")])
    df = df[pd.to_numeric(df["year"], errors="coerce").notna()].copy()
    df["year"] = df["year"].astype(int)
    return df.set_index("year")


def apply_to_basin(basin: Basin, sc: Scenario) -> Basin:
    b = _copy(basin)
    if sc.years is not None or sc.start_water_year is not None:
        wy0 = b.calendar.water_year_start_month
        start_year = sc.start_water_year
        if start_year is None:
            tl = b.timeline()
            start_year = tl.water_year_of(tl.year, tl.month)
        b.calendar.start = f"{start_year}-{wy0:02d}"
        b.calendar.periods = 12 * (sc.years or max(1, b.calendar.periods // 12))
        b._cyclic = True
    inf = sc.infrastructure
    if inf is not None:
        for flag, ids in ((True, inf.enable), (False, inf.disable)):
            for x in ids:
                for n in b.nodes:
                    if n.id == x and n.type == "reservoir":
                        n.enabled = flag
                for p in b.hydropower:
                    if p.id == x:
                        p.enabled = flag
        for lid, cap in inf.link_capacity.items():
            b.link(lid).capacity = cap
        for lid, cap in inf.annual_capacity.items():
            b.link(lid).annual_capacity = cap
        for rid, rng in inf.reservoir_range.items():
            r = b.node(rid)
            if rng.min_storage is not None:
                r.min_storage = rng.min_storage
            if rng.max_storage is not None:
                r.max_storage = rng.max_storage
    tg = sc.targets
    if tg is not None:
        from ..network.schema import LakeInflowTarget, LakeLevelTarget

        lake = tg.lake or next(n.id for n in b.nodes if n.type == "lake")
        if tg.lake_inflow_km3 is not None:
            found = [t for t in b.targets if t.type == "lake_inflow" and t.lake == lake]
            for t in found:
                t.min_annual_km3 = tg.lake_inflow_km3
            if not found:
                b.targets.append(LakeInflowTarget(id=f"{lake}-INFLOW", lake=lake, min_annual_km3=tg.lake_inflow_km3))
        if tg.lake_min_level_m is not None:
            found = [t for t in b.targets if t.type == "lake_level" and t.lake == lake]
            for t in found:
                t.min_level_m = tg.lake_min_level_m
            if not found:
                b.targets.append(LakeLevelTarget(id=f"{lake}-LEVEL", lake=lake, min_level_m=tg.lake_min_level_m))
        for t in b.targets:
            if t.type in ("lake_inflow", "lake_level") and t.lake == lake:
                if tg.hard is not None:
                    t.hard = tg.hard
                if tg.penalty is not None:
                    t.penalty = tg.penalty
    return b


def transboundary_node(basin: Basin, sc: Scenario) -> str:
    tb = sc.transboundary
    if tb is not None and tb.node:
        return tb.node
    return next(n.id for n in basin.nodes if getattr(n, "transboundary", False))


def monthly_shares(values: np.ndarray, month_index: np.ndarray) -> np.ndarray:
    """12 shares (Jan..Dec) of a per-period series, from its first occurrence of each month."""
    shares = np.zeros(12)
    seen = set()
    for v, m in zip(values, month_index, strict=False):
        if m not in seen:
            shares[m] = v
            seen.add(m)
    if len(seen) < 12:  # short horizon: months not seen get the mean of those seen
        fill = np.mean([shares[m] for m in seen]) if seen else 1.0
        for m in range(12):
            if m not in seen:
                shares[m] = fill
    total = shares.sum()
    return shares / total if total > 0 else np.full(12, 1 / 12)


def annual_to_periods(annual_km3_by_wy: dict[int, float], shares: np.ndarray, timeline) -> np.ndarray:
    """Mm3 per period from km3 per water year and 12 monthly shares."""
    mi = timeline.month_index
    return np.array([annual_km3_by_wy[int(w)] * 1000.0 * shares[m] for w, m in zip(timeline.water_years, mi,
                                                                                     strict=True)])


def transboundary_mm3(data, basin: Basin, sc: Scenario, node: str, base: np.ndarray) -> dict[str, np.ndarray]:
    """New inflow arrays (Mm3/period) implied by ``sc.transboundary``: {node: values, ...}."""
    tb = sc.transboundary
    tl = data.timeline
    if tb.multiplier is not None:
        return {node: base * tb.multiplier}
    shares = monthly_shares(base, tl.month_index)
    years = sorted(set(int(w) for w in tl.water_years))
    if tb.annual_km3 is not None:
        return {node: annual_to_periods({w: tb.annual_km3 for w in years}, shares, tl)}
    table = transboundary_table(basin, tb.table)
    seq = [tb.year] if tb.year is not None else list(tb.sequence)
    cn_mean, kz_mean = float(table["china_km3"].mean()), None
    if "kazakhstan_km3" in table.columns:
        kz_mean = float(table["kazakhstan_km3"].mean())

    def pick(col, y, mean):
        return mean if y == "mean" else float(table.loc[int(y), col])

    by_wy = {w: seq[i % len(seq)] for i, w in enumerate(years)}
    out = {node: annual_to_periods({w: pick("china_km3", y, cn_mean) for w, y in by_wy.items()}, shares, tl)}
    if tb.kazakh_part and kz_mean:
        factor_wy = {w: pick("kazakhstan_km3", y, kz_mean) / kz_mean for w, y in by_wy.items()}
        factor = np.array([factor_wy[int(w)] for w in tl.water_years])
        kz_nodes = tb.kazakh_nodes or [n for n, t in data.node_type.items() if t == "inflow" and n != node]
        for n in kz_nodes:
            if n in data.inflow:
                out[n] = data.inflow[n] * factor
    return out


def demand_factors(data, basin: Basin, sc: Scenario) -> dict[str, np.ndarray]:
    """Per-period factor on each demand's target from growth, multipliers and water saving."""
    tl = data.timeline
    wy = tl.water_years.astype(float)
    base_year = sc.growth_base_year if sc.growth_base_year is not None else int(tl.water_years[0])
    ws = sc.water_saving
    if ws is not None:  # the industrial efficiency gain per period, from its path of water years
        gain = np.array([path_value(ws.industry_efficiency, int(w)) for w in tl.water_years])
    out = {}
    for d in data.demands:
        f = np.ones(data.T)
        g = sc.demand_growth.get(d.sector)
        if g:
            f *= (1.0 + g) ** (wy - base_year)
        for key in (d.sector, d.id):
            if key in sc.demand_multipliers:
                f *= sc.demand_multipliers[key]
        if ws is not None and (d.id in ws.industry_demands if ws.industry_demands is not None
                               else d.sector == "industry"):
            f /= 1.0 + gain
        out[d.id] = f
    if ws is not None:
        chosen = ws.demands or [d.id for d in data.demands if d.sector == "agriculture"]
        for w in sorted(set(int(x) for x in tl.water_years)):
            saving = (path_value(ws.drip_area_kha, w) * ws.drip_saving_mm3_per_kha
                      + path_value(ws.sprinkler_area_kha, w) * ws.sprinkler_saving_mm3_per_kha)
            if saving <= 0:
                continue
            ts = tl.water_years == w
            months = int(ts.sum())
            annual = sum(float(np.sum(d.target[ts] * out[d.id][ts])) for d in data.demands if d.id in chosen)
            if annual <= 0:
                continue
            cut = min(1.0, saving * months / 12.0 / annual)
            for d in data.demands:
                if d.id in chosen:
                    out[d.id][ts] *= 1.0 - cut
    return out


def apply_to_data(data, basin: Basin, sc: Scenario) -> None:
    """Change inflows and demand targets of compiled ModelData in place."""
    for node, arr in list(data.inflow.items()):
        k = sc.inflow_multipliers.get(node, 1.0) * sc.inflow_multipliers.get("all", 1.0)
        if k != 1.0:
            data.inflow[node] = arr * k
    if sc.transboundary is not None:
        node = transboundary_node(basin, sc)
        k = sc.inflow_multipliers.get(node, 1.0) * sc.inflow_multipliers.get("all", 1.0)
        for n, arr in transboundary_mm3(data, basin, sc, node, data.inflow[node] / k).items():
            data.inflow[n] = arr
    factors = demand_factors(data, basin, sc)
    for d in data.demands:
        d.target = d.target * factors[d.id]
