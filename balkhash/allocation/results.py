"""Pull the solution into pandas tables: one array per variable family, read by column number.

Every table is computed from the solution vector and the **current** named parameters (a
changed inflow or target shows in the tables of the next solve).  Per-period tables carry a
``water_year`` column; the ``arrivals`` table is the one place where the water reaching each node
is summed (links after losses, demand returns, local inflow), and ``storage`` carries the bounds
the LP applied, so views of the results never need the compiled model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..network.timeline import water_year_label
from ..network.units import mm3_to_m3s
from .data import ModelData
from .heads import plant_heads
from .lp import LinearProgram

NAN = float("nan")


def _ids(values, codes) -> pd.Index:
    """The string column values[codes], taken from a small index (no per-row string conversion)."""
    return pd.Index(list(values), dtype="str").take(np.asarray(codes, dtype=np.int64))


def _rep(values, T: int) -> pd.Index:
    """Each of ``values`` repeated for the T periods."""
    return _ids(values, np.repeat(np.arange(len(values)), T))


def _tile(labels, k: int) -> pd.Index:
    """The period labels, k times over."""
    return _ids(labels, np.tile(np.arange(len(labels)), k))


class _Reader:
    def __init__(self, lp: LinearProgram, values: np.ndarray, duals: np.ndarray | None) -> None:
        self.lp, self.x, self.y = lp, values, duals

    def var(self, name: str) -> np.ndarray:
        b = self.lp.var_blocks.get(name)
        return np.zeros(0) if b is None else self.x[b.cols]

    def dual(self, name: str) -> np.ndarray | None:
        b = self.lp.row_blocks.get(name)
        if b is None:
            return None
        return np.full(b.rows.shape, NAN) if self.y is None else self.y[b.rows]

    def param(self, name: str) -> np.ndarray:
        return self.lp.params[name].values


def link_gains(data: ModelData, lp: LinearProgram) -> np.ndarray:
    """1 - loss of every link, with the current ``loss_fraction`` parameter where there is one."""
    gain = data.net.link_gain.copy()
    p = lp.params.get("loss_fraction")
    if p is not None and p.keys:
        pos = {lk.id: i for i, lk in enumerate(data.links)}
        gain[[pos[k] for k in p.keys]] = 1.0 - p.values
    return gain


def evaporation_depths(data: ModelData, lp: LinearProgram) -> np.ndarray:
    """storages x T: the current evaporation depth (mm per period)."""
    p = lp.params.get("evaporation")
    if p is None:
        return np.array([s.evap_mm for s in data.storages]).reshape(len(data.storages), data.T)
    return p.values


def extract_tables(data: ModelData, lp: LinearProgram, values: np.ndarray, duals: np.ndarray | None,
                   bound_duals: np.ndarray | None = None) -> dict[str, pd.DataFrame]:
    r = _Reader(lp, values, duals)
    tl = data.timeline
    T, L, D = data.T, len(data.links), len(data.demands)
    labels = np.array(tl.labels)
    days = tl.days
    out: dict[str, pd.DataFrame] = {}

    x = r.var("flow").reshape(L, T).copy()
    target = r.param("demand").reshape(D, T)
    short = r.var("short").reshape(D, -1, T).sum(axis=1) if D else np.zeros((0, T))
    folded = np.flatnonzero(data.net.link_folded >= 0)
    if folded.size:  # a folded inlet carries the delivery: x = y / (1 - loss)
        d = data.net.link_folded[folded]
        x[folded] = np.maximum(target[d] - short[d], 0.0) / data.net.link_gain[folded][:, None]
    gain = link_gains(data, lp)
    loss = (1.0 - gain).reshape(L, 1)
    out["flows"] = pd.DataFrame({
        "link_id": _rep([lk.id for lk in data.links], T),
        "from": _ids(data.nodes, np.repeat(data.net.link_src, T)),
        "to": _ids(data.nodes, np.repeat(data.net.link_dst, T)),
        "period": _tile(labels, L), "flow_mm3": x.ravel(), "flow_m3s": mm3_to_m3s(x, days).ravel(),
        "loss_mm3": (x * loss).ravel(),
    })

    y = np.clip(target - short, 0.0, target)
    cons = np.array([d.consumptive for d in data.demands]).reshape(D, 1)
    out["deliveries"] = pd.DataFrame({
        "demand": _rep([d.id for d in data.demands], T),
        "sector": _rep([d.sector for d in data.demands], T),
        "period": _tile(labels, D), "target_mm3": target.ravel(), "delivered_mm3": y.ravel(),
        "shortfall_mm3": (target - y).ravel(), "consumed_mm3": (cons * y).ravel(),
        "returned_mm3": ((1.0 - cons) * y).ravel(),
        "return_to": _rep([d.return_to or "" for d in data.demands], T),
    })

    out["storage"], storage = _storage_table(data, r, labels)
    inflow = r.param("inflow")
    ground = {s.id: g for s, g in zip(data.storages, r.param("groundwater"), strict=True)}
    pos = data.net.node_pos
    has = [n for n in data.nodes if data.node_type[n] != "sink"
           and (n in data.inflow or n in ground or inflow[pos[n]].any())]
    out["inflows"] = pd.DataFrame({
        "node": _rep(has, T), "period": _tile(labels, len(has)),
        "inflow_mm3": np.concatenate([inflow[pos[n]] for n in has]) if has else np.zeros(0),
        "groundwater_mm3": np.concatenate([ground.get(n, np.zeros(T)) for n in has]) if has else np.zeros(0),
    })
    out["arrivals"], arriving = _arrivals_table(data, gain, x, y, inflow, ground, labels)

    parts = []
    node_dual: dict[str, np.ndarray] = {}
    for name in ("balance", "continuity"):
        dual = r.dual(name)
        if dual is not None:
            nodes = lp.row_blocks[name].axes[0]
            node_dual.update(zip(nodes, dual, strict=True))
            parts.append(pd.DataFrame({"node": _rep(nodes, T), "period": _tile(labels, len(nodes)),
                                       "marginal_value": -dual.ravel()}))
    fold = [(data.links[i], data.demands[j]) for i, j in data.folded.items() if data.links[i].src in node_dual]
    if fold:  # the folded demand's water is worth its source's, per unit arriving: dual / (1 - loss)
        parts.append(pd.DataFrame({
            "node": _rep([d.id for _, d in fold], T), "period": _tile(labels, len(fold)),
            "marginal_value": np.concatenate([-node_dual[lk.src] / (1.0 - lk.loss) for lk, _ in fold])}))
    out["duals"] = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["node", "period", "marginal_value"])

    out["targets"] = _target_table(data, r, x, storage, arriving, inflow)
    s0 = r.param("initial_storage")
    out["hydropower"] = _hydropower_table(data, x, plant_heads(
        data, storage, {st.id: float(s0[i]) for i, st in enumerate(data.storages)}))
    out["bound_duals"] = _bound_dual_table(data, lp, values, bound_duals, labels)
    periods = pd.Index(tl.labels)
    wy = tl.water_years.astype("int64")
    for name in ("flows", "deliveries", "storage", "inflows", "duals", "hydropower", "arrivals", "bound_duals"):
        df = out[name]
        df["water_year"] = wy[periods.get_indexer(df["period"])] if len(df) else pd.Series(dtype="int64")
    return out


#: a reduced cost below this (per Mm3) is no marginal value
BOUND_DUAL_TOL = 1e-9
BOUND_COLUMNS = ["kind", "id", "bound", "period", "value_mm3", "marginal_value"]


def _bound_dual_table(data: ModelData, lp: LinearProgram, x: np.ndarray, d: np.ndarray | None,
                      labels) -> pd.DataFrame:
    """Binding bounds and their marginal values: link capacities and minimum flows, storage bounds
    per period, the initial storage.  ``marginal_value`` = -d, the objective's decrease per Mm3
    the bound is raised (d the column's reduced cost where its own bound, not a single-variable
    row, is the one it sits at): positive for a capacity worth enlarging, negative for a minimum
    flow that costs.  Rows with |d| > 1e-9 only; empty without duals."""
    if d is None:
        return pd.DataFrame(columns=BOUND_COLUMNS)
    lo, up = lp.current["col_lower"], lp.current["col_upper"]
    parts = []

    def add(kind: str, ids, cols: np.ndarray, names: tuple[str, str], period_labels, lower_ok=None) -> None:
        cols = np.asarray(cols).reshape(len(ids), -1)
        dv = d[cols]
        tol = 1e-7 * np.maximum(1.0, np.abs(x[cols]))
        with np.errstate(invalid="ignore"):
            at_up = np.isfinite(up[cols]) & (np.abs(x[cols] - up[cols]) <= tol) & (dv < -BOUND_DUAL_TOL)
            at_lo = np.isfinite(lo[cols]) & (np.abs(x[cols] - lo[cols]) <= tol) & (dv > BOUND_DUAL_TOL)
        if lower_ok is not None:
            at_lo &= lower_ok
        for mask, name, bound in ((at_up, names[1], up), (at_lo, names[0], lo)):
            k, t = np.nonzero(mask)
            if k.size:
                parts.append(pd.DataFrame({
                    "kind": kind, "id": _ids(ids, k), "bound": name, "period": _ids(period_labels, t),
                    "value_mm3": bound[cols[k, t]], "marginal_value": -dv[k, t]}))

    if data.links:
        flow = lp.var_blocks["flow"]
        add("link", [lk.id for lk in data.links], flow.cols, ("min_flow", "capacity"), labels,
            lower_ok=lo[flow.cols] > 0.0)  # a zero lower bound is no minimum flow
    for kind, block in (("link_segment", "segment"), ("storage_segment", "storage_segment")):
        if block in lp.var_blocks:
            seg = lp.var_blocks[block]
            add(kind, list(seg.axes[0]), seg.cols, ("min", "capacity"), labels, lower_ok=lo[seg.cols] > 0.0)
    if data.storages:
        ids = [s.id for s in data.storages]
        add("storage", ids, lp.var_blocks["storage"].cols, ("storage_min", "storage_max"), labels)
        if "storage_initial" in lp.var_blocks:  # fixed: its reduced cost is the value of water at the start
            init = lp.var_blocks["storage_initial"].cols
            keep = np.abs(d[init]) > BOUND_DUAL_TOL
            if keep.any():
                parts.append(pd.DataFrame({
                    "kind": "storage", "id": _ids(ids, np.flatnonzero(keep)), "bound": "initial_storage",
                    "period": _ids(labels[:1], np.zeros(int(keep.sum()), dtype=np.int64)),
                    "value_mm3": x[init][keep], "marginal_value": -d[init][keep]}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=BOUND_COLUMNS)


def _storage_table(data: ModelData, r: _Reader, labels) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    T = data.T
    S = r.var("storage").reshape(len(data.storages), T)
    s0 = r.param("initial_storage")
    smin, smax = r.param("storage_min"), r.param("storage_max")
    spill_ids = list(r.lp.var_blocks["spill"].axes[0])
    spill = r.var("spill").reshape(len(spill_ids), T)
    rows, storage = [], {}
    evap = evaporation_depths(data, r.lp)
    for i, s in enumerate(data.storages):
        st = S[i]
        storage[s.id] = st
        prev = np.concatenate([[s0[i] * s.carry_in], st[:-1] * (s.carry[:-1] if s.carry is not None else 1.0)])
        area = s.area0 + s.area1 * (prev + st) / 2.0
        rows.append(pd.DataFrame({
            "node": s.id, "kind": s.kind, "period": labels, "storage_start_mm3": prev, "storage_mm3": st,
            "level_m": s.curve.level_at(st) if s.curve is not None else np.full(T, NAN), "area_km2": area,
            "evaporation_mm3": evap[i] / 1000.0 * area, "precipitation_mm3": s.precip_mm / 1000.0 * area,
            "spill_mm3": spill[spill_ids.index(s.id)] if s.id in spill_ids else np.zeros(T),
            "min_storage_mm3": smin[i], "max_storage_mm3": smax[i], "end_min_mm3": _end_min(data, r, s.id),
        }))
    cols = ["node", "kind", "period", "storage_start_mm3", "storage_mm3", "level_m", "area_km2", "evaporation_mm3",
            "precipitation_mm3", "spill_mm3", "min_storage_mm3", "max_storage_mm3", "end_min_mm3"]
    return (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)), storage


def _end_min(data: ModelData, r: _Reader, node: str) -> float:
    for k, tg in enumerate(t for t in data.targets if t.type == "end_storage"):
        if tg.ref == node:
            return float(r.param("end_storage")[k])
    return NAN


def _arrivals_table(data: ModelData, gain, x, y, inflow, ground, labels) -> tuple[pd.DataFrame, np.ndarray]:
    """Water reaching and leaving every node per period (Mm3), summed by the network's sparse
    incidences; also returns the arrivals (links + returns) as a nodes x periods array."""
    net, N, T = data.net, len(data.nodes), data.T
    L, D = len(net.link_dst), len(net.demand_return)
    # node x link (demand) incidences with the gains (return shares): one sparse product each
    links = sp.csr_matrix((gain, (net.link_dst, np.arange(L))), shape=(N, L)) @ x.reshape(L, T)
    has = net.demand_return >= 0
    returns = sp.csr_matrix((net.return_share[has], (net.demand_return[has], np.flatnonzero(has))),
                            shape=(N, D)) @ y.reshape(D, T)
    released = sp.csr_matrix((np.ones(L), (net.link_src, np.arange(L))), shape=(N, L)) @ x.reshape(L, T)
    gw = np.array([ground.get(n, np.zeros(T)) for n in data.nodes]).reshape(N, T)
    local = inflow.reshape(N, T)
    df = pd.DataFrame({
        "node": _rep(data.nodes, T), "node_type": _rep([data.node_type[n] for n in data.nodes], T),
        "period": _tile(labels, N), "links_mm3": links.ravel(), "returns_mm3": returns.ravel(),
        "local_mm3": local.ravel(), "groundwater_mm3": gw.ravel(), "arriving_mm3": (links + returns + local).ravel(),
        "released_mm3": released.ravel(),
    })
    return df, links + returns


def _target_table(data: ModelData, r: _Reader, x, storage, arriving, inflow) -> pd.DataFrame:
    """Every target's required and achieved value and violation, per period or water year, in the
    basin's order of targets (one table built from whole columns)."""
    labels = data.timeline.labels
    T = data.T
    cols = ["target", "type", "node_or_link", "period_or_year", "unit", "required", "achieved", "violation", "dual"]
    pos = data.net.node_pos
    full_years = data.timeline.full_water_years()
    year_labels = [water_year_label(w, data.timeline.water_year_start_month) for w in full_years]
    kinds = ("eco_flow", "lake_inflow", "lake_level", "end_storage")
    duals = {kind: r.dual(kind) for kind in kinds}
    viols = {}
    for kind in kinds:
        vb = r.lp.var_blocks.get(f"viol_{kind}")
        if vb is not None and len(vb.axes[0]):
            ids = list(vb.axes[0])
            viols[kind] = ({tid: i for i, tid in enumerate(ids)}, r.var(f"viol_{kind}").reshape(len(ids), -1))
    seen = dict.fromkeys(kinds, 0)
    names, types, refs, whens, units, reqs, achs, vs, ds, counts = [], [], [], [], [], [], [], [], [], []
    for t in data.targets:
        kind = t.type
        if kind not in seen:
            continue
        k = seen[kind]
        seen[kind] += 1
        if kind == "eco_flow":
            req, ach, unit, when = r.param("eco_flow")[k], x[data.link_index(t.ref)], "Mm3", labels
        elif kind == "lake_inflow":
            req = np.full(len(full_years), r.param("lake_inflow_target")[k])
            total = arriving[pos[t.ref]] + inflow[pos[t.ref]]
            ach = np.array([total[ts].sum() for ts in full_years.values()])
            unit, when = "Mm3", year_labels
        elif kind == "lake_level":
            req = np.full(T, float(r.param("lake_level_target")[k]))
            curve = data.storage(t.ref).curve
            assert curve is not None, "a lake carries its level-area-volume table"
            ach = curve.level_at(storage[t.ref])
            unit, when = "m", labels
        else:
            req, ach, unit, when = np.array([r.param("end_storage")[k]]), storage[t.ref][-1:], "Mm3", labels[-1:]
        req, ach = np.asarray(req, float), np.asarray(ach, float)
        if kind == "lake_level":  # in metres, from the level reached
            v = np.maximum(0.0, req - ach)
            v[v < 1e-9] = 0.0
        elif kind == "lake_inflow":  # from the inflow reached: a lake sharing a class's deficit (a policy's
            # lake_share) may carry a violation variable above its deficit (:func:`lake_share_notes`)
            v = np.maximum(0.0, req - ach)
            v[v < LAKE_INFLOW_TOL_MM3] = 0.0
        elif kind in viols and t.id in viols[kind][0]:
            v = viols[kind][1][viols[kind][0][t.id]].copy()
        else:
            v = np.maximum(0.0, req - ach)
        n = len(when)
        dual = duals[kind]
        names.append(t.id)
        types.append(kind)
        refs.append(t.ref)
        units.append(unit)
        counts.append(n)
        whens.extend(when)
        reqs.append(np.broadcast_to(req, n))
        achs.append(np.broadcast_to(ach, n))
        vs.append(np.broadcast_to(v, n))
        ds.append(np.broadcast_to(np.asarray(dual[k], float) if dual is not None else NAN, n))
    if not names:
        return pd.DataFrame(columns=cols)
    counts_arr = np.array(counts)
    owner = np.repeat(np.arange(len(names)), counts_arr)
    violation = np.concatenate(vs).astype(float)
    violation[np.abs(violation) < 1e-7] = 0.0
    return pd.DataFrame({
        "target": _ids(names, owner), "type": _ids(types, owner), "node_or_link": _ids(refs, owner),
        "period_or_year": pd.Index(whens, dtype="str"), "unit": _ids(units, owner),
        "required": np.concatenate(reqs).astype(float), "achieved": np.concatenate(achs).astype(float),
        "violation": violation, "dual": np.concatenate(ds).astype(float),
    })


#: a lake inflow below its target by less than this (Mm3 over a water year) meets it
LAKE_INFLOW_TOL_MM3 = 1e-6


def lake_share_notes(data: ModelData, lp: LinearProgram, values: np.ndarray, targets: pd.DataFrame) -> list[str]:
    """Notes for the water years where a lake that shares a class's deficit carries more deficit in
    the LP than it has.  The share row (``lake_share``: v_w / V = S_w / D_w) charges the lake its
    share of the class's cut whatever the cut comes from; when the class is short for another
    reason (a canal's capacity) while the lake gets its target, v_w exceeds the lake's deficit
    max(0, V - inflow) that ``targets.csv`` reports, and the objective holds v_w's penalty."""
    if not data.shares:
        return []
    vb = lp.var_blocks.get("viol_lake_inflow")
    if vb is None or not len(vb.axes[0]):
        return []
    model = values[vb.cols].reshape(len(vb.axes[0]), -1)
    pos = {tid: i for i, tid in enumerate(vb.axes[0])}
    lake = targets[targets["type"] == "lake_inflow"]
    notes = []
    for s in data.shares:
        if s.target not in pos:
            continue
        mine = lake[lake["target"] == s.target]
        v = model[pos[s.target]][: len(mine)]
        extra = v - mine["violation"].to_numpy(float)
        years = [(y, e, a) for y, e, a in zip(mine["period_or_year"], extra, mine["achieved"], strict=True)
                 if e > max(LAKE_INFLOW_TOL_MM3, 1e-9 * abs(a))]
        if years:
            cls = data.classes[s.cls].name
            listed = ", ".join(f"{y} ({e:,.1f} Mm3, inflow {a / 1000.0:.2f} km3)" for y, e, a in years)
            notes.append(f"{s.target}: the policy's share row charges the lake its share of the {cls} cut "
                         f"beyond its own deficit in {listed}: {cls} is short where "
                         "the lake's water would not serve it (a capacity, a local source); targets.csv reports "
                         "the lake's own deficit, the objective holds the share's penalty")
    return notes


def _hydropower_table(data: ModelData, x, heads: dict[str, np.ndarray]) -> pd.DataFrame:
    labels = data.timeline.labels
    rows = []
    for p in data.plants:
        # the plant turbines what its link carries up to its limit; with an energy target the LP's
        # turbine variable only proves the target reachable, so energy is reported the same way
        flow = x[data.link_index(p.link)]
        q = np.minimum(flow, p.qmax)
        target = p.target if p.target is not None else np.full(data.T, NAN)
        rows.append(pd.DataFrame({
            "plant": p.id, "link": p.link, "period": labels, "head_m": heads[p.id], "turbine_mm3": q,
            "spill_mm3": flow - q, "energy_gwh": p.k1 * heads[p.id] * q, "target_gwh": target,
        }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["plant", "link", "period", "head_m", "turbine_mm3", "spill_mm3", "energy_gwh", "target_gwh"])
