"""Pull the solution out of the solver into pandas tables (bulk, one array per variable family)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..network.units import mm3_to_m3s
from .data import ModelData


def _arr(backend, m, name: str, keys) -> np.ndarray:
    cols = m.lp.cols[name]
    return backend.values([cols[k] for k in keys])


def extract_tables(data: ModelData, m, backend) -> dict[str, pd.DataFrame]:
    tl = data.timeline
    T = data.T
    labels = np.array(tl.labels)
    days = tl.days
    out: dict[str, pd.DataFrame] = {}

    # flows
    keys = [(lk.id, t) for lk in data.links for t in range(T)]
    x = _arr(backend, m, "flow", keys).reshape(len(data.links), T) if data.links else np.zeros((0, T))
    flow = {lk.id: x[i] for i, lk in enumerate(data.links)}
    out["flows"] = pd.DataFrame({
        "link_id": np.repeat([lk.id for lk in data.links], T),
        "from": np.repeat([lk.src for lk in data.links], T),
        "to": np.repeat([lk.dst for lk in data.links], T),
        "period": np.tile(labels, len(data.links)),
        "flow_mm3": x.ravel(),
        "flow_m3s": (mm3_to_m3s(x, days)).ravel(),
        "loss_mm3": (x * np.array([[lk.loss] for lk in data.links]).reshape(-1, 1)).ravel()
        if data.links else np.zeros(0),
    })

    # deliveries
    nb = len(data.blocks)
    rows = []
    delivered = {}
    for d in data.demands:
        live = [t for t in range(T) if d.target[t] > 0]
        y = np.zeros(T)
        if live:
            keys = [(d.id, k, t) for t in live for k in range(nb)]
            y[live] = _arr(backend, m, "deliv", keys).reshape(len(live), nb).sum(axis=1)
        y = np.minimum(np.maximum(y, 0.0), d.target)
        delivered[d.id] = y
        rows.append(pd.DataFrame({
            "demand": d.id, "sector": d.sector, "period": labels,
            "target_mm3": d.target, "delivered_mm3": y, "shortfall_mm3": d.target - y,
            "consumed_mm3": d.consumptive * y, "returned_mm3": (1.0 - d.consumptive) * y,
            "return_to": d.return_to or "",
        }))
    out["deliveries"] = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["demand", "sector", "period", "target_mm3", "delivered_mm3", "shortfall_mm3",
                 "consumed_mm3", "returned_mm3", "return_to"])

    # storage
    rows = []
    storage = {}
    for s in data.storages:
        st = _arr(backend, m, "storage", [(s.id, t) for t in range(T)])
        storage[s.id] = st
        prev = np.concatenate([[s.s0], st[:-1]])
        area = s.area0 + s.area1 * (prev + st) / 2.0
        spill = _arr(backend, m, "spill", [(s.id, t) for t in range(T)]) if s.kind == "lake" else np.zeros(T)
        level = s.curve.level_at(st) if s.curve is not None else np.full(T, np.nan)
        rows.append(pd.DataFrame({
            "node": s.id, "kind": s.kind, "period": labels,
            "storage_start_mm3": prev, "storage_mm3": st, "level_m": level, "area_km2": area,
            "evaporation_mm3": s.evap_mm / 1000.0 * area,
            "precipitation_mm3": s.precip_mm / 1000.0 * area,
            "spill_mm3": spill, "min_storage_mm3": s.lower, "max_storage_mm3": s.upper,
            "end_min_mm3": np.nan if s.end_min is None else float(s.end_min),
        }))
    out["storage"] = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["node", "kind", "period", "storage_start_mm3", "storage_mm3", "level_m", "area_km2",
                 "evaporation_mm3", "precipitation_mm3", "spill_mm3", "min_storage_mm3",
                 "max_storage_mm3", "end_min_mm3"])

    # local inflows (for balances recomputed from the tables)
    rows = []
    for n, v in data.inflow.items():
        rows.append(pd.DataFrame({"node": n, "period": labels, "inflow_mm3": v,
                                  "groundwater_mm3": data.groundwater.get(n, np.zeros(T))}))
    for n, g in data.groundwater.items():
        if n not in data.inflow:
            rows.append(pd.DataFrame({"node": n, "period": labels, "inflow_mm3": 0.0, "groundwater_mm3": g}))
    out["inflows"] = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["node", "period", "inflow_mm3", "groundwater_mm3"])

    # duals of the balance and continuity rows: marginal value of water
    rows = []
    for comp_name in ("balance", "continuity"):
        comp = m.lp.rows.get(comp_name)
        if not comp:
            continue
        keys = list(comp.keys())
        duals = backend.duals([comp[k] for k in keys])
        rows.append(pd.DataFrame({
            "node": [k[0] for k in keys],
            "period": [labels[k[1]] for k in keys],
            "marginal_value": -duals,
        }))
    out["duals"] = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["node", "period", "marginal_value"])

    out["targets"] = _target_table(data, m, backend, flow, delivered, storage)
    out["hydropower"] = _hydropower_table(data, flow)
    out["arrivals"] = _arrivals_table(data, flow, delivered)
    wy = np.asarray(tl.water_years, dtype=int)
    by_label = dict(zip(tl.labels, wy.tolist(), strict=True))
    for name in ("flows", "deliveries", "storage", "inflows", "duals", "hydropower", "arrivals"):
        df = out[name]
        df["water_year"] = df["period"].map(by_label).astype("int64") if len(df) else pd.Series(dtype="int64")
    return out


def _arrivals_table(data: ModelData, flow: dict, delivered: dict) -> pd.DataFrame:
    """Water arriving at and leaving every node per period (Mm3): links after losses, demand
    returns, local inflow, groundwater (apart), and the outgoing link flows."""
    T = data.T
    labels = data.timeline.labels
    zeros = np.zeros(T)
    rows = []
    for n in data.node_type:
        links = sum(((1.0 - data.links[i].loss) * flow[data.links[i].id] for i in data.links_in.get(n, ())),
                    zeros)
        returns = sum(((1.0 - data.demands[j].consumptive) * delivered[data.demands[j].id]
                       for j in data.returns_in.get(n, ())), zeros)
        local = data.inflow.get(n, zeros)
        released = sum((flow[data.links[i].id] for i in data.links_out.get(n, ())), zeros)
        rows.append(pd.DataFrame({
            "node": n, "node_type": data.node_type[n], "period": labels, "links_mm3": links,
            "returns_mm3": returns, "local_mm3": local, "groundwater_mm3": data.groundwater.get(n, zeros),
            "arriving_mm3": links + returns + local, "released_mm3": released,
        }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["node", "node_type", "period", "links_mm3", "returns_mm3", "local_mm3", "groundwater_mm3",
                 "arriving_mm3", "released_mm3"])


def arriving_mm3(data: ModelData, node: str, flow: dict, delivered: dict) -> np.ndarray:
    """Water reaching ``node`` per period from links (after losses) and demand returns."""
    total = np.zeros(data.T)
    for i in data.links_in.get(node, ()):
        total += (1.0 - data.links[i].loss) * flow[data.links[i].id]
    for j in data.returns_in.get(node, ()):
        d = data.demands[j]
        total += (1.0 - d.consumptive) * delivered[d.id]
    return total


def _target_table(data, m, backend, flow, delivered, storage) -> pd.DataFrame:
    labels = data.timeline.labels
    T = data.T
    cols = ["target", "type", "node_or_link", "period_or_year", "unit", "required", "achieved",
            "violation", "dual"]
    rows = []

    viol_cols = m.lp.cols.get("viol", {})

    def viol(tid, key):
        if (tid, key) in viol_cols:
            return float(backend.values([viol_cols[tid, key]])[0])
        return None

    def dual(comp_name, key):
        comp = m.lp.rows.get(comp_name, {})
        if key not in comp:
            return float("nan")
        return float(backend.duals([comp[key]])[0])

    full_years = data.timeline.full_water_years()
    from ..network.timeline import water_year_label

    for tg in data.targets:
        if tg.type == "eco_flow":
            for t in range(T):
                req, ach = float(tg.values[t]), float(flow[tg.ref][t])
                v = viol(tg.id, t)
                v = max(0.0, req - ach) if v is None else v
                rows.append([tg.id, tg.type, tg.ref, labels[t], "Mm3", req, ach, v, dual("eco_flow", (tg.id, t))])
        elif tg.type == "lake_inflow":
            arriving = arriving_mm3(data, tg.ref, flow, delivered)
            local = data.inflow.get(tg.ref, np.zeros(T))
            for wy, ts in full_years.items():
                ach = float(np.sum(arriving[ts] + local[ts]))
                req = float(tg.values)
                v = viol(tg.id, wy)
                v = max(0.0, req - ach) if v is None else v
                rows.append([tg.id, tg.type, tg.ref, water_year_label(wy), "Mm3", req, ach, v,
                             dual("lake_inflow", (tg.id, wy))])
        elif tg.type == "lake_level":
            s = data.storage(tg.ref)
            for t in range(T):
                lvl = float(s.curve.level_at(storage[tg.ref][t]))
                v = max(0.0, float(tg.values) - lvl)
                if v < 1e-9:
                    v = 0.0
                rows.append([tg.id, tg.type, tg.ref, labels[t], "m", float(tg.values), lvl, v,
                             dual("lake_level", (tg.id, t))])
        elif tg.type == "end_storage":
            ach = float(storage[tg.ref][-1])
            v = viol(tg.id, T - 1)
            v = max(0.0, float(tg.values) - ach) if v is None else v
            rows.append([tg.id, tg.type, tg.ref, labels[-1], "Mm3", float(tg.values), ach, v,
                         dual("end_storage", tg.id)])
    df = pd.DataFrame(rows, columns=cols)
    df.loc[df["violation"].abs() < 1e-7, "violation"] = 0.0
    return df


def _hydropower_table(data, flow) -> pd.DataFrame:
    labels = data.timeline.labels
    rows = []
    for p in data.plants:
        # the plant turbines what its link carries up to its limit; with an energy target the LP's
        # turbine variable only proves the target reachable, so energy is reported the same way
        q = np.minimum(flow[p.link], p.qmax)
        target = p.target if p.target is not None else np.full(data.T, np.nan)
        rows.append(pd.DataFrame({
            "plant": p.id, "link": p.link, "period": labels, "turbine_mm3": q,
            "spill_mm3": flow[p.link] - q, "energy_gwh": p.k * q, "target_gwh": target,
        }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["plant", "link", "period", "turbine_mm3", "spill_mm3", "energy_gwh", "target_gwh"])
