"""Helpers for the analytical and property tests: small basins as dicts, table look-ups, balances.

Basins are written as the same plain data a ``basin.yaml`` holds and validated with
:func:`balkhash.network.io.parse_basin`, so the tests go through the real schema and unit handling.
Everything is in Mm3/month unless a test is about units.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable

import numpy as np
import pandas as pd

from balkhash.network.io import parse_basin
from balkhash.network.schema import Basin
from balkhash.network.validate import check_basin

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# Default fair-sharing blocks (upper bounds, fractions of target) and their cost multipliers.
BLOCKS = (0.1, 0.25, 0.5, 1.0)
MULTIPLIERS = (1.0, 1.2, 1.5, 2.0)
TARGET_PENALTY = 10_000.0
END_STORAGE_PENALTY = 5_000.0
DEFAULT_COST = 100.0


# -- building basins ---------------------------------------------------------------------------
def monthly(unit: str = "Mm3/month", default: float = 0.0, **months: float) -> dict:
    """A monthly flow series: ``monthly(oct=20, nov=5)`` -> {unit, monthly: [..Jan..Dec..]}."""
    values = [float(default)] * 12
    for name, v in months.items():
        values[MONTHS.index(name.lower())] = float(v)
    return {"unit": unit, "monthly": values}


def months12(default: float = 0.0, **months: float) -> list[float]:
    """12 plain numbers Jan..Dec (depths in mm, energy targets in GWh)."""
    return monthly(default=default, **months)["monthly"]


def mm3(v: float) -> str:
    return f"{v!r} Mm3/month"


def inflow(node_id: str, flow, **kw) -> dict:
    return {"id": node_id, "type": "inflow", "inflow": _flow(flow), **kw}


def junction(node_id: str, flow=None, **kw) -> dict:
    out = {"id": node_id, "type": "junction", **kw}
    if flow is not None:
        out["inflow"] = _flow(flow)
    return out


def sink(node_id: str = "OUT") -> dict:
    return {"id": node_id, "type": "sink"}


def demand(node_id: str, target, sector: str = "agriculture", **kw) -> dict:
    return {"id": node_id, "type": "demand", "sector": sector, "target": _flow(target), **kw}


def reservoir(node_id: str, initial: float, min_storage: float = 0.0, max_storage: float = 1000.0,
              end_storage="free", **kw) -> dict:
    out = {
        "id": node_id, "type": "reservoir",
        "min_storage": f"{min_storage!r} Mm3", "max_storage": f"{max_storage!r} Mm3",
        "initial_storage": f"{initial!r} Mm3",
        "end_storage": end_storage if isinstance(end_storage, str) and end_storage in ("free", "initial")
        else f"{float(end_storage)!r} Mm3",
        **kw,
    }
    if "inflow" in out:
        out["inflow"] = _flow(out["inflow"])
    return out


def lake(node_id: str, table: dict, initial_level_m: float, evaporation_mm=None, **kw) -> dict:
    out = {
        "id": node_id, "type": "lake", "table": table, "initial_level_m": initial_level_m,
        "evaporation_mm": evaporation_mm if evaporation_mm is not None else [0.0] * 12, **kw,
    }
    for key in ("inflow", "groundwater_inflow"):
        if key in out:
            out[key] = _flow(out[key])
    return out


def link(src: str, dst: str, link_id: str | None = None, **kw) -> dict:
    out = {"id": link_id or f"{src}-{dst}", "from": src, "to": dst, **kw}
    for key in ("capacity", "min_flow"):
        if key in out:
            out[key] = _flow(out[key])
    return out


def eco_flow(target_id: str, link_id: str, min_flow, **kw) -> dict:
    return {"id": target_id, "type": "eco_flow", "link": link_id, "min_flow": _flow(min_flow), **kw}


def make_basin(nodes: Iterable[dict], links: Iterable[dict], targets: Iterable[dict] = (),
               hydropower: Iterable[dict] = (), start: str = "2025-10", periods: int = 1,
               options: dict | None = None, name: str = "test", validate: bool = False,
               water_year_start_month: int = 10) -> Basin:
    """A Basin from plain data, through the schema and (``validate``) the graph and value checks."""
    raw = {
        "name": name,
        "calendar": {"start": start, "periods": periods, "water_year_start_month": water_year_start_month},
        "nodes": list(nodes),
        "links": list(links),
        "targets": list(targets),
        "hydropower": list(hydropower),
    }
    if options:
        raw["options"] = options
    basin = parse_basin(raw, "test.yaml")
    if validate:
        problems = check_basin(basin, "test.yaml")
        assert not problems, "invalid test basin:\n" + "\n".join(str(p) for p in problems)
    return basin


def _flow(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return mm3(float(v))
    return v


# -- fair-sharing cost by hand --------------------------------------------------------------------
def block_cost(shortfall: float, target: float, cost: float = DEFAULT_COST,
               blocks=BLOCKS, multipliers=MULTIPLIERS) -> float:
    """Cost of ``shortfall`` Mm3 of a ``target``: cheapest blocks first (as the LP does)."""
    left, lo, total = shortfall, 0.0, 0.0
    for hi, mult in zip(blocks, multipliers, strict=True):
        take = min(left, (hi - lo) * target)
        total += cost * mult * take
        left -= take
        lo = hi
    return total


def marginal_block_multiplier(shortfall: float, target: float, blocks=BLOCKS, multipliers=MULTIPLIERS) -> float:
    """Multiplier of the block the shortfall ends in (strictly inside it)."""
    frac = shortfall / target
    lo = 0.0
    for hi, mult in zip(blocks, multipliers, strict=True):
        if lo < frac < hi:
            return mult
        lo = hi
    raise ValueError(f"shortfall fraction {frac} is on a block boundary: the marginal cost is not unique")


# -- reading tables ---------------------------------------------------------------------------------
def column(table: pd.DataFrame, col: str, **where) -> np.ndarray:
    """``table[col]`` for the rows matching ``where`` (e.g. link_id='A-D'), in table order."""
    mask = np.ones(len(table), dtype=bool)
    for key, v in where.items():
        mask &= (table[key] == v).to_numpy()
    return table.loc[mask, col].to_numpy(dtype=float)


def one(table: pd.DataFrame, col: str, **where) -> float:
    vals = column(table, col, **where)
    assert len(vals) == 1, f"expected one row for {where}, got {len(vals)}"
    return float(vals[0])


def flow(sol, link_id: str) -> np.ndarray:
    return column(sol.tables["flows"], "flow_mm3", link_id=link_id)


def delivered(sol, demand_id: str) -> np.ndarray:
    return column(sol.tables["deliveries"], "delivered_mm3", demand=demand_id)


def storage(sol, node_id: str) -> np.ndarray:
    return column(sol.tables["storage"], "storage_mm3", node=node_id)


def marginal_value(sol, node_id: str) -> np.ndarray:
    return column(sol.tables["duals"], "marginal_value", node=node_id)


# -- mass balance from the output tables -----------------------------------------------------------
def balance_residuals(basin: Basin, sol) -> pd.DataFrame:
    """Per node and period: storage change minus all terms, from the output tables only.

    dS = local inflow + groundwater + arriving (flow - loss) + returns - outgoing - delivery
         - evaporation + precipitation - spill
    with dS = 0 at nodes without storage.  Sinks are skipped (they absorb anything).
    """
    tables = sol.tables
    flows, deliv, stor, infl = tables["flows"], tables["deliveries"], tables["storage"], tables["inflows"]
    periods = list(basin.timeline().labels)
    T = len(periods)

    def series(df, col, key, value):
        out = np.zeros(T)
        sub = df[df[key] == value]
        if len(sub):
            idx = [periods.index(p) for p in sub["period"]]
            np.add.at(out, idx, sub[col].to_numpy(dtype=float))
        return out

    rows = []
    for n in basin.nodes:
        if n.type == "sink":
            continue
        terms = np.zeros(T)
        terms += series(infl, "inflow_mm3", "node", n.id)
        terms += series(infl, "groundwater_mm3", "node", n.id)
        arriving = flows[flows["to"] == n.id]
        for lid in arriving["link_id"].unique():
            terms += series(flows, "flow_mm3", "link_id", lid) - series(flows, "loss_mm3", "link_id", lid)
        leaving = flows[flows["from"] == n.id]
        for lid in leaving["link_id"].unique():
            terms -= series(flows, "flow_mm3", "link_id", lid)
        returning = deliv[deliv["return_to"] == n.id]
        for did in returning["demand"].unique():
            terms += series(deliv, "returned_mm3", "demand", did)
        terms -= series(deliv, "delivered_mm3", "demand", n.id)
        st = stor[stor["node"] == n.id]
        if len(st):
            ds = series(stor, "storage_mm3", "node", n.id) - series(stor, "storage_start_mm3", "node", n.id)
            terms += (series(stor, "precipitation_mm3", "node", n.id)
                      - series(stor, "evaporation_mm3", "node", n.id)
                      - series(stor, "spill_mm3", "node", n.id))
        else:
            ds = np.zeros(T)
        for t in range(T):
            rows.append((n.id, periods[t], ds[t] - terms[t]))
    return pd.DataFrame(rows, columns=["node", "period", "residual"])


# -- random tree-shaped basins (hypothesis) -----------------------------------------------------------
def _lazy_st():
    from hypothesis import strategies as st

    return st


def random_basins():
    """A hypothesis strategy for raw basin dicts that always have a solution.

    Shape: main nodes N1..Nn form an in-tree draining to one outlet (a sink or a terminal lake);
    childless nodes are inflow nodes (or junctions/reservoirs with local inflow).  Demands hang off
    main nodes and return their non-consumed water to a node downstream of their supplier; optional
    diversion links skip a reach.  Feasibility by construction: main links have no capacity and no
    minimum flow (surplus can always go downstream), reservoirs start well above their minimum with
    little evaporation, the lake is large, and every target is soft.
    """
    st = _lazy_st()

    @st.composite
    def build(draw):
        T = draw(st.sampled_from([1, 2, 3, 12]))
        start = draw(st.sampled_from(["2025-10", "2026-01", "2027-12"]))
        n = draw(st.integers(1, 5))
        use_lake = draw(st.booleans())
        outlet = "LAKE" if use_lake else "OUT"
        parent: dict[str, str] = {}
        names = [f"N{i}" for i in range(1, n + 1)]
        for i, name in enumerate(names):
            parent[name] = draw(st.sampled_from([outlet, *names[:i]]))

        def path(x):  # x, its parent, ..., outlet
            out = [x]
            while out[-1] != outlet:
                out.append(parent[out[-1]])
            return out

        def series(lo=0, hi=30):
            kind = draw(st.sampled_from(["const", "monthly", "m3s"]))
            if kind == "const":
                return f"{draw(st.integers(lo, hi))} Mm3/month"
            if kind == "m3s":
                return f"{draw(st.integers(lo, hi)) / 2.5} m3/s"
            return {"unit": "Mm3/month", "monthly": [float(draw(st.integers(lo, hi))) for _ in range(12)]}

        children = {x: [c for c in names if parent[c] == x] for x in [*names, outlet]}
        nodes, links, targets, plants = [], [], [], []
        demand_costs: dict[str, float] = {}
        for x in names:
            leaf = not children[x]
            kind = draw(st.sampled_from(["inflow", "junction", "reservoir"] if leaf else ["junction", "reservoir"]))
            if kind == "inflow":
                nodes.append({"id": x, "type": "inflow", "inflow": series()})
            elif kind == "junction":
                node = {"id": x, "type": "junction"}
                if draw(st.booleans()):
                    node["inflow"] = series(0, 10)
                nodes.append(node)
            else:
                init = draw(st.integers(20, 200))
                smin = draw(st.integers(0, init - 15))
                node = {
                    "id": x, "type": "reservoir",
                    "min_storage": f"{smin} Mm3", "max_storage": f"{init + draw(st.integers(0, 100))} Mm3",
                    "initial_storage": f"{init} Mm3",
                    "end_storage": draw(st.sampled_from(["free", "initial", f"{max(smin, init - 10)} Mm3"])),
                    "enabled": draw(st.booleans()) or draw(st.booleans()),  # mostly enabled
                }
                area = draw(st.sampled_from(["none", "const", "table"]))
                if area == "const":
                    node["area_km2"] = float(draw(st.integers(0, 5)))
                elif area == "table":
                    node["table"] = {"level_m": [0.0, 10.0, 20.0], "area_km2": [1.0, 4.0, 6.0],
                                     "volume": [0.0, 40.0, 400.0]}
                if area != "none":
                    node["evaporation_mm"] = [float(draw(st.integers(0, 100))) for _ in range(12)]
                if draw(st.booleans()):
                    node["inflow"] = series(0, 10)
                nodes.append(node)
            lk = {"id": f"{x}-{parent[x]}", "from": x, "to": parent[x]}
            if draw(st.integers(0, 3)) == 0:
                lk["loss_fraction"] = draw(st.sampled_from([0.05, 0.2]))
            links.append(lk)
        if use_lake:
            lo_area = float(draw(st.integers(50, 200)))
            hi_area = lo_area + float(draw(st.integers(0, 100)))
            lake_node = {
                "id": "LAKE", "type": "lake",
                "table": {"level_m": [0.0, 10.0], "area_km2": [lo_area, hi_area], "volume": [0.0, 10000.0]},
                "initial_level_m": 5.0,
                "evaporation_mm": [float(draw(st.integers(0, 100))) for _ in range(12)],
            }
            if draw(st.booleans()):
                lake_node["precipitation_mm"] = [float(draw(st.integers(0, 30))) for _ in range(12)]
            if draw(st.booleans()):
                lake_node["groundwater_inflow"] = f"{draw(st.integers(0, 5))} Mm3/month"
            if draw(st.booleans()):
                lake_node["inflow"] = f"{draw(st.integers(0, 5))} Mm3/month"
            nodes.append(lake_node)
            if draw(st.booleans()):
                targets.append({"id": "LEVEL", "type": "lake_level", "lake": "LAKE",
                                "min_level_m": 5.0 + draw(st.integers(-5, 5)) / 100.0})
            if draw(st.booleans()):
                targets.append({"id": "LAKE-IN", "type": "lake_inflow", "lake": "LAKE",
                                "min_annual_km3": draw(st.integers(0, 200)) / 1000.0})
        else:
            nodes.append({"id": "OUT", "type": "sink"})

        for j in range(draw(st.integers(0, 3))):
            d = f"D{j + 1}"
            src = draw(st.sampled_from(names))
            node = {"id": d, "type": "demand", "sector": draw(st.sampled_from(["agriculture", "industry"])),
                    "target": series(0, 20)}
            how = draw(st.sampled_from(["cost", "priority", "default"]))
            if how == "cost":
                node["shortfall_cost"] = float(draw(st.sampled_from([30, 70, 100, 130, 300])))
                demand_costs[d] = node["shortfall_cost"]
            elif how == "priority":
                node["priority"] = draw(st.integers(1, 10))
                demand_costs[d] = 1000.0 / node["priority"]
            else:
                demand_costs[d] = DEFAULT_COST
            consumptive = draw(st.sampled_from([1.0, 0.8, 0.5]))
            node["consumptive_fraction"] = consumptive
            if consumptive < 1.0:
                node["return_to"] = draw(st.sampled_from(path(src)[1:]))
            nodes.append(node)
            lk = {"id": f"{src}-{d}", "from": src, "to": d}
            if draw(st.booleans()):
                lk["capacity"] = f"{draw(st.integers(0, 20))} Mm3/month"
            if draw(st.integers(0, 3)) == 0:
                lk["annual_capacity"] = f"{draw(st.integers(0, 150))} Mm3/yr"
            if draw(st.integers(0, 3)) == 0:
                lk["loss_fraction"] = 0.1
            if draw(st.integers(0, 3)) == 0:
                lk["cost"] = 0.5
            links.append(lk)
        for x in names:  # diversions skipping at least one reach
            far = path(x)[2:]
            if far and draw(st.integers(0, 3)) == 0:
                lk = {"id": f"{x}-{far[-1]}-DIV", "from": x, "to": draw(st.sampled_from(far))}
                if draw(st.booleans()):
                    lk["capacity"] = f"{draw(st.integers(0, 10))} Mm3/month"
                links.append(lk)
        if draw(st.booleans()):
            lk = draw(st.sampled_from(links))
            targets.append({"id": "ECO", "type": "eco_flow", "link": lk["id"],
                            "min_flow": f"{draw(st.integers(1, 15))} Mm3/month",
                            "penalty": float(draw(st.sampled_from([2000, 10000, 50000])))})
        if draw(st.integers(0, 2)) == 0:
            main = [lk for lk in links if lk["from"] in names and lk["to"] in [*names, outlet]]
            lk = draw(st.sampled_from(main))
            plant = {"id": "HPP", "link": lk["id"], "head_m": float(draw(st.integers(10, 200))),
                     "efficiency": 0.9, "capacity_mw": float(draw(st.integers(1, 50)))}
            if draw(st.booleans()):
                plant["energy_target_gwh"] = [draw(st.integers(0, 20)) / 4.0 for _ in range(12)]
                plant["energy_shortfall_cost"] = float(draw(st.sampled_from([0, 50, 700])))
            plants.append(plant)
        return {
            "name": "random",
            "calendar": {"start": start, "periods": T},
            "nodes": nodes, "links": links, "targets": targets, "hydropower": plants,
        }

    return build()


def scale_inflows(raw: dict, factor: float, groundwater: bool = True) -> dict:
    """A copy of a raw basin with every local inflow (and groundwater) multiplied by ``factor``."""
    import copy

    out = copy.deepcopy(raw)
    keys = ("inflow", "groundwater_inflow") if groundwater else ("inflow",)
    for node in out["nodes"]:
        for key in keys:
            if key in node:
                node[key] = _scale_flow(node[key], factor)
    return out


def _scale_flow(fs, factor: float):
    if isinstance(fs, str):
        value, unit = fs.split()
        return f"{float(value) * factor!r} {unit}"
    fs = dict(fs)
    if "monthly" in fs:
        fs["monthly"] = [v * factor for v in fs["monthly"]]
    elif "value" in fs:
        fs["value"] = fs["value"] * factor
    elif "annual" in fs:
        fs["annual"] = fs["annual"] * factor
    else:
        raise ValueError(f"cannot scale {fs}")
    return fs


def shortfall_cost(basin: Basin, sol, fair_sharing: bool) -> float:
    """Shortfall cost recomputed from the deliveries table (cheapest blocks first)."""
    total = 0.0
    opts = basin.options
    for n in basin.nodes:
        if n.type != "demand":
            continue
        if n.shortfall_cost is not None:
            cost = n.shortfall_cost
        elif n.priority is not None:
            cost = 1000.0 / n.priority
        else:
            cost = opts.default_shortfall_cost
        rows = sol.tables["deliveries"][sol.tables["deliveries"]["demand"] == n.id]
        for target, short in zip(rows["target_mm3"], rows["shortfall_mm3"], strict=True):
            if fair_sharing:
                total += block_cost(max(short, 0.0), target, cost, opts.sharing_blocks, opts.sharing_multipliers)
            else:
                total += cost * max(short, 0.0)
    return total


def objective_from_tables(basin: Basin, sol, fair_sharing: bool) -> float:
    """The objective recomputed from the output tables and the basin's own numbers."""
    tables = sol.tables
    opts = basin.options
    total = shortfall_cost(basin, sol, fair_sharing)
    penalties = []
    for tg in basin.targets:
        pen = tg.penalty if tg.penalty is not None else opts.target_penalty
        penalties.append(pen)
        rows = tables["targets"][tables["targets"]["target"] == tg.id]
        if tg.type == "lake_level":  # violation in m in the table; in Mm3 in the objective
            lk = basin.node(tg.lake)
            smin = float(np.interp(tg.min_level_m, lk.table.level_m, lk.table.volume_mm3))
            st_rows = tables["storage"][tables["storage"]["node"] == tg.lake]
            days = np.array([calendar.monthrange(*map(int, p.split("-")))[1] for p in st_rows["period"]])
            share = days / 365.0  # the penalty is per Mm3-year of deficit
            total += pen * float((share * np.maximum(smin - st_rows["storage_mm3"].to_numpy(), 0.0)).sum())
        else:
            total += pen * float(rows["violation"].sum())
    ends = tables["targets"][tables["targets"]["type"] == "end_storage"]
    total += opts.end_storage_penalty * float(ends["violation"].sum())
    # the storage tie-breaker: eps per Mm3 and period of a reservoir away from its initial storage
    # clipped to the period's bounds
    st = tables["storage"][tables["storage"]["kind"] == "reservoir"]
    for _, g in st.groupby("node", sort=False):
        s0 = float(g["storage_start_mm3"].iloc[0])
        ref = np.minimum(np.maximum(s0, g["min_storage_mm3"].to_numpy(float)), g["max_storage_mm3"].to_numpy(float))
        total += opts.storage_deviation_cost * float(np.abs(g["storage_mm3"].to_numpy(float) - ref).sum())
    spill_penalty = 1e-3  # balkhash.allocation.data.SPILL_COST
    total += spill_penalty * float(tables["storage"]["spill_mm3"].sum())
    hp = tables["hydropower"]
    for p in basin.hydropower:
        if p.enabled and p.energy_target_gwh is not None:
            rows = hp[hp["plant"] == p.id]
            total += p.energy_shortfall_cost * float(np.maximum(rows["target_gwh"] - rows["energy_gwh"], 0.0).sum())
    for lk in basin.links:
        if lk.cost:
            total += lk.cost * float(column(tables["flows"], "flow_mm3", link_id=lk.id).sum())
    return total
