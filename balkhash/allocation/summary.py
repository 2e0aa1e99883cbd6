"""The run summary (summary.json): status, objective, lake block, sector totals, violations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..network.timeline import water_year_label
from .data import ModelData


def _r(x, nd=None):
    """A finite float (full precision; display code rounds), None for missing or non-finite."""
    return None if x is None or not np.isfinite(float(x)) else float(x)


#: a lake spilling more than this over the horizon (km3) gets a note in the summary
SPILL_NOTE_KM3 = 1e-6


def _spill(st) -> float:
    """Water spilled over the top of a storage's table over the horizon, Mm3 (storage table)."""
    return float(st["spill_mm3"].sum()) if "spill_mm3" in st.columns else 0.0


def shortfall_cost(data: ModelData, deliveries, costs: dict[str, float] | None = None) -> dict[str, float]:
    """Shortfall cost by sector recomputed from the deliveries table: the shortfall fraction f of
    each user and period fills the sharing blocks in order, block k costing c m_k per Mm3."""
    from .constraints.demands import demand_blocks

    widths, mults = demand_blocks(data)
    if not len(deliveries):
        return {}
    pos = {d.id: j for j, d in enumerate(data.demands)}
    codes, ids = pd.factorize(deliveries["demand"])
    j = np.array([pos[i] for i in ids], dtype=np.int64)[codes]  # each row's demand
    edges = np.concatenate([np.zeros((widths.shape[0], 1)), np.cumsum(widths, axis=1)], axis=1)[j]
    target = deliveries["target_mm3"].to_numpy(dtype=float)
    short = deliveries["shortfall_mm3"].to_numpy(dtype=float)
    frac = np.divide(short, target, out=np.zeros_like(short), where=target > 0)
    fill = np.clip(frac[:, None] - edges[:, :-1], 0.0, np.diff(edges, axis=1))
    unit = np.array([d.cost if costs is None else costs[d.id] for d in data.demands])
    row_cost = unit[j] * np.sum(fill * mults[j], axis=1) * target
    sectors = list(dict.fromkeys(d.sector for d in data.demands))
    rank = {sec: k for k, sec in enumerate(sectors)}
    sector_of = np.array([rank[d.sector] for d in data.demands])
    total = np.bincount(sector_of[j], row_cost, len(sectors))
    present = np.zeros(len(sectors), dtype=bool)
    present[sector_of[j]] = True
    return {sec: float(total[k]) for k, sec in enumerate(sectors) if present[k]}


def build_summary(data: ModelData, tables: dict, outcome, costs: dict[str, float] | None = None) -> dict:
    """The run summary from the result tables (full precision; display code rounds)."""
    deliveries = tables["deliveries"]
    storage = tables["storage"]
    arrivals = tables["arrivals"]
    targets = tables["targets"]
    T = data.T
    by_sector = deliveries.groupby("sector")[["target_mm3", "delivered_mm3", "shortfall_mm3"]].sum()

    storage_of = dict(tuple(storage.groupby("node", sort=False)))  # each storage's rows, in period order
    lakes = []
    full_years = data.timeline.full_water_years()
    for s in data.storages:
        if s.kind != "lake":
            continue
        curve = s.curve
        assert curve is not None, "a lake carries its level-area-volume table"
        st = storage_of[s.id]
        inflow = arrivals.loc[arrivals["node"] == s.id, "arriving_mm3"].to_numpy()
        level_start = float(curve.level_at(float(st["storage_start_mm3"].iloc[0])))
        mine = targets[targets["node_or_link"] == s.id]
        level_targets = mine.loc[mine["type"] == "lake_level", "required"]
        inflow_targets = mine.loc[mine["type"] == "lake_inflow", "required"] / 1000.0
        if not len(inflow_targets):  # a horizon without a full water year: the targets as set
            inflow_targets = [tg.values / 1000.0 for tg in data.targets if tg.type == "lake_inflow"
                              and tg.ref == s.id]
        lakes.append({
            "node": s.id,
            "annual_inflow_km3": {water_year_label(wy, data.timeline.water_year_start_month):
                                  _r(np.sum(inflow[ts]) / 1000.0) for wy, ts in full_years.items()},
            "horizon_inflow_km3": _r(np.sum(inflow) / 1000.0),
            "inflow_target_km3": _r(max(inflow_targets)) if len(inflow_targets) else None,
            "level_start_m": _r(level_start),
            "level_end_m": _r(st["level_m"].iloc[-1]),
            "level_min_m": _r(min(level_start, st["level_m"].min())),
            "level_max_m": _r(max(level_start, st["level_m"].max())),
            "level_target_m": _r(max(level_targets)) if len(level_targets) else None,
            "evaporation_km3": _r(st["evaporation_mm3"].sum() / 1000.0),
            "precipitation_km3": _r(st["precipitation_mm3"].sum() / 1000.0),
            "area_fit_max_error": _r(curve.fit_error(*s.fit_range)),
            "spill_km3": _r(_spill(st) / 1000.0),
        })

    reservoirs = []
    for s in data.storages:
        if s.kind != "reservoir":
            continue
        st = storage_of[s.id]
        reservoirs.append({
            "node": s.id,
            "storage_start_mm3": _r(st["storage_start_mm3"].iloc[0]),
            "storage_end_mm3": _r(st["storage_mm3"].iloc[-1]),
            "storage_min_mm3": _r(st["storage_mm3"].min()),
            "storage_max_mm3": _r(st["storage_mm3"].max()),
            "bounds_mm3": [_r(st["min_storage_mm3"].min()), _r(st["max_storage_mm3"].max())],
            "evaporation_mm3": _r(st["evaporation_mm3"].sum()),
            "spill_mm3": _r(_spill(st)),
        })

    targets = tables["targets"]
    viol = targets[targets["violation"] > 1e-6]
    violations = [
        {
            "target": r.target, "type": r.type, "node_or_link": r.node_or_link,
            "period_or_year": r.period_or_year, "unit": r.unit, "required": _r(r.required),
            "achieved": _r(r.achieved), "amount": _r(r.violation),
        }
        for r in viol.itertuples()
    ]
    cost = shortfall_cost(data, deliveries, costs)
    hp = tables["hydropower"]
    energy = {p: _r(g["energy_gwh"].sum()) for p, g in hp.groupby("plant", sort=False)}
    notes = []
    for lake in lakes:
        if (lake["spill_km3"] or 0.0) > SPILL_NOTE_KM3:
            spilled = storage[(storage["node"] == lake["node"]) & (storage["spill_mm3"] > SPILL_NOTE_KM3 * 1000.0)]
            notes.append(f"lake {lake['node']} is full: {lake['spill_km3']:.3g} km3 spilled over the top of its "
                         f"table in {len(spilled)} period(s), first {spilled['period'].iloc[0]} (see storage.csv, "
                         "spill_mm3)")
    notes += end_target_notes(data)
    notes += partial_year_capacity_notes(data, tables.get("flows"))
    if any(tg.type == "lake_inflow" for tg in data.targets) and not full_years:
        notes.append("the horizon holds no full water year: annual lake inflow targets were not applied")

    out = {
        "basin": data.name,
        "status": outcome.status,
        "objective": _r(outcome.objective),
        "periods": {"first": data.timeline.labels[0], "last": data.timeline.labels[-1], "count": T,
                    "step": data.timeline.step},
        "lakes": lakes,
        "reservoirs": reservoirs,
        "target_mm3_by_sector": {k: _r(v) for k, v in by_sector["target_mm3"].items()},
        "delivered_mm3_by_sector": {k: _r(v) for k, v in by_sector["delivered_mm3"].items()},
        "shortfall_mm3_by_sector": {k: _r(v) for k, v in by_sector["shortfall_mm3"].items()},
        "shortfall_cost": _r(float(sum(cost.values()))),
        "shortfall_cost_by_sector": {k: _r(v) for k, v in cost.items()},
        "energy_gwh": energy,
        "violations": violations,
        "notes": notes,
    }
    groups = by_group(data, deliveries)
    if groups:
        out["groups"] = groups
    if data.policy is not None:
        out["policy"] = {
            "name": data.policy,
            "classes": [{"name": c.name, "cost_per_mm3": c.cost, "proportional": c.proportional,
                         "demands": [data.demands[j].id for j in c.demands]} for c in data.classes],
            "lake_shares": [{"target": s.target, "class": data.classes[s.cls].name,
                             "share": "proportional" if s.share is None else s.share} for s in data.shares],
        }
    return out


def end_target_notes(data: ModelData) -> list[str]:
    """A note for each end-of-horizon target lowered to what its storage may hold at the end of the
    last period (:func:`balkhash.allocation.data.clip_end_target`)."""
    initial = {t.ref for t in data.targets if t.type == "end_storage" and t.follows_initial}
    last = data.timeline.labels[-1]
    out = []
    for s in data.storages:
        if s.end_requested is None or s.end_min is None:
            continue
        what = "end_storage: initial, the initial storage" if s.id in initial else "its end_storage"
        out.append(f"end_storage:{s.id}: the end target {s.end_requested:,.1f} Mm3 ({what}) is above the most "
                   f"{s.id} may hold at the end of {last} (its rule curve max or max_storage), {s.end_min:,.1f} "
                   f"Mm3: the target is {s.end_min:,.1f} Mm3")
    return out


#: an annual capacity used to within this share of its limit binds
BINDING_SHARE = 1e-6


def partial_year_capacity_notes(data: ModelData, flows) -> list[str]:
    """A note for each link whose annual capacity binds in a water year the horizon holds only
    part of: that year's limit is the annual capacity pro rata by the days the horizon holds
    (:mod:`balkhash.allocation.constraints.links`), which for a seasonal licence planned from inside
    the year is less than the licence left (docs/simulation.md, 'Planning inside a water year')."""
    from .constraints.links import water_year_days

    capped = [lk for lk in data.links if lk.annual_cap is not None]
    if not capped or flows is None or not len(flows) or "water_year" not in flows.columns:
        return []
    tl = data.timeline
    wy = tl.water_years.astype(int)
    full = set(tl.full_water_years())
    out = []
    for w in sorted({int(v) for v in wy} - full):
        days = float(tl.days[wy == w].sum())
        year_days = water_year_days(tl.water_year_start_month, w)
        mine = flows[flows["water_year"].astype(int) == w]
        used_by = mine.groupby("link_id")["flow_mm3"].sum()
        for lk in capped:
            assert lk.annual_cap is not None, "a capped link"
            cap = float(lk.annual_cap)
            limit = cap * days / year_days
            used = float(used_by.get(lk.id, 0.0))
            if limit <= 0 or used < limit * (1.0 - BINDING_SHARE) - 1e-6:
                continue
            label = water_year_label(w, tl.water_year_start_month)
            out.append(f"link {lk.id}: its annual capacity {cap:,.1f} Mm3 per water year binds in the water year "
                       f"{label}, which the horizon holds only part of ({days:g} of its {year_days:g} days): the "
                       f"limit there is pro rata by days, {limit:,.1f} Mm3, not the licence left; to plan with what "
                       "is left, set infrastructure.annual_capacity in a scenario (docs/simulation.md, 'Planning "
                       "inside a water year')")
    return out


def by_group(data: ModelData, deliveries) -> dict[str, dict]:
    """Per group of users (``group`` on the demands): its members and their target, delivery and
    shortfall summed over the horizon, Mm3 (empty when no demand names a group)."""
    group = {d.id: d.group for d in data.demands if d.group is not None}
    if not group:
        return {}
    d = deliveries[deliveries["demand"].isin(list(group))]
    sums = d.assign(group=d["demand"].map(group)).groupby("group", sort=True)[
        ["target_mm3", "delivered_mm3", "shortfall_mm3"]].sum()
    return {g: {"demands": [k for k, v in group.items() if v == g],
                "target_mm3": _r(r.target_mm3), "delivered_mm3": _r(r.delivered_mm3),
                "shortfall_mm3": _r(r.shortfall_mm3)} for g, r in sums.iterrows()}
