"""Studies on one persistent model: inflow sweeps, the minimum transboundary inflow, the
agriculture-lake trade-off frontier, and side-by-side scenario comparison.

Every study builds the LP once and re-solves it after changing right-hand sides in HiGHS
(:meth:`balkhash.allocation.solve.Allocation.set_inflow`), warm-started from the previous basis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..allocation.solve import Allocation, SolveError
from ..network.schema import Basin, LakeInflowTarget
from .apply import annual_to_periods, monthly_shares, transboundary_node
from .schema import Scenario

PARAMETERS = ("transboundary", "inflow_multiplier", "lake_inflow_target")
LAKE_TARGETS = ("lake_inflow", "lake_level")


class Study:
    """A built model plus the ways to move one scalar: the transboundary inflow (km3 per water
    year), a multiplier on every inflow, or the lake inflow target (km3 per water year)."""

    def __init__(self, basin: Basin, scenario: Scenario | None = None, **options):
        self.alloc = Allocation(basin, scenario=scenario, **options)
        self.scenario = scenario or Scenario(name="base")
        data = self.alloc.data
        self.base_inflow = {n: v.copy() for n, v in data.inflow.items()}
        self.tb_node = None
        try:
            self.tb_node = transboundary_node(self.alloc.basin, self.scenario)
        except StopIteration:
            pass
        if self.tb_node is not None:
            self.tb_shares = monthly_shares(self.base_inflow[self.tb_node], data.timeline.month_index)
            years = data.timeline.full_water_years()
            base = self.base_inflow[self.tb_node]
            self.tb_base_km3 = float(np.mean([base[ts].sum() for ts in years.values()]) / 1000.0) if years else \
                float(base.sum() / 1000.0)

    @property
    def data(self):
        return self.alloc.data

    def set(self, parameter: str, value: float) -> None:
        if parameter == "transboundary":
            if self.tb_node is None:
                raise ValueError("the basin has no transboundary inflow node")
            wys = {int(w): value for w in self.data.timeline.water_years}
            self.alloc.set_inflow(self.tb_node, annual_to_periods(wys, self.tb_shares, self.data.timeline))
        elif parameter == "inflow_multiplier":
            for n, base in self.base_inflow.items():
                self.alloc.set_inflow(n, base * value)
        elif parameter == "lake_inflow_target":
            self.alloc.set_lake_inflow_target(value)
        else:
            raise ValueError(f"unknown parameter '{parameter}': use one of {', '.join(PARAMETERS)}")

    def solve(self):
        return self.alloc.solve()


def lake_ok(sol, tol: float = 1e-6, lake_targets: tuple[str, ...] = LAKE_TARGETS) -> bool:
    """The lake targets of the given types hold, and no reservoir ends the horizon below its
    end-storage target (so that a lake target is not met by emptying the reservoirs into the next
    year)."""
    t = sol.tables["targets"]
    return not bool((t[t["type"].isin((*lake_targets, "end_storage"))]["violation"] > tol).any())


def point_row(parameter: str, value: float, sol, sectors: Iterable[str]) -> dict:
    """One row of a sweep table (see docs/studies.md for the columns)."""
    row = {"parameter": parameter, "value": value}
    if sol is None:
        row.update(status="no_solution", objective=np.nan)
        return row
    s = sol.summary
    row.update(status=s["status"], objective=s["objective"])
    for sec in sectors:
        row[f"shortfall_{sec}_mm3"] = s["shortfall_mm3_by_sector"].get(sec, 0.0)
    row["total_shortfall_mm3"] = float(sum(s["shortfall_mm3_by_sector"].values()))
    lake = s["lakes"][0] if s["lakes"] else None
    if lake:
        inflows = list(lake["annual_inflow_km3"].values())
        row["lake_inflow_km3"] = float(np.mean(inflows)) if inflows else lake["horizon_inflow_km3"]
        row["lake_level_end_m"] = lake["level_end_m"]
        row["lake_level_min_m"] = lake["level_min_m"]
    t = sol.tables["targets"]
    duals = t[t["type"] == "lake_inflow"]["dual"]
    row["lake_inflow_dual"] = float(duals.mean()) if len(duals) else np.nan
    row["violated_targets"] = ";".join(sorted({v["target"] for v in s["violations"]}))
    return row


def _levels(value: float, sol) -> pd.DataFrame:
    st = sol.tables["storage"]
    st = st[st["kind"] == "lake"]
    return pd.DataFrame({"value": value, "node": st["node"], "period": st["period"], "level_m": st["level_m"]})


@dataclass
class SweepResult:
    table: pd.DataFrame
    levels: pd.DataFrame
    build_seconds: float
    solve_seconds: list[float]


def sweep(study: Study, parameter: str, values: Iterable[float],
          progress: Callable[[float], None] | None = None) -> SweepResult:
    """Re-solve ``study`` at each value of ``parameter``; a row per point (no rebuild)."""
    from time import perf_counter

    sectors = sorted({d.sector for d in study.data.demands})
    rows, levels, secs = [], [], []
    for v in values:
        t0 = perf_counter()
        study.set(parameter, float(v))
        try:
            sol = study.solve()
        except SolveError:
            sol = None
        secs.append(perf_counter() - t0)
        rows.append(point_row(parameter, float(v), sol, sectors))
        if sol is not None:
            levels.append(_levels(float(v), sol))
        if progress:
            progress(float(v))
    empty = pd.DataFrame(columns=["value", "node", "period", "level_m"])
    lv = pd.concat(levels, ignore_index=True) if levels else empty
    tm = study.alloc.timings
    return SweepResult(pd.DataFrame(rows), lv, tm["build"] + tm["compile"] + tm["load"], secs)


#: what min-inflow asks to hold: the basin's lake targets (inflow and level), or the level alone
CONDITIONS = {"targets": LAKE_TARGETS, "level": ("lake_level",)}


@dataclass
class MinInflowResult:
    mode: str  # "all_demands_met" | "shortfalls_allowed"
    answer_km3: float | None
    tolerance_km3: float
    above_holds: bool | None
    below_holds: bool | None
    solves: int
    message: str


def min_inflow(study: Study, mode: str, lo: float = 0.0, hi: float = 30.0, tol: float = 0.01,
               progress: Callable[[float], None] | None = None, condition: str = "targets") -> MinInflowResult:
    """Smallest transboundary inflow (km3 per water year) for which the lake targets hold:
    ``all_demands_met`` also requires zero shortfall; ``shortfalls_allowed`` lets users go short at
    their costs.  ``condition``: ``targets`` (the basin's lake inflow and level targets) or
    ``level`` (the level targets alone: the lake inflow target is switched off in the model, so
    that no user is cut for it).  Bisection on the persistent model, then a re-solve just above
    and below."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition '{condition}': use one of {', '.join(CONDITIONS)}")
    lake_targets = CONDITIONS[condition]
    if condition == "level":
        study.set("lake_inflow_target", 0.0)
    count = 0

    def holds(v: float) -> bool:
        nonlocal count
        count += 1
        study.set("transboundary", v)
        try:
            sol = study.solve()
        except SolveError:
            return False
        finally:
            if progress:
                progress(v)
        ok = lake_ok(sol, lake_targets=lake_targets)
        if mode == "all_demands_met":
            ok = ok and float(sol.tables["deliveries"]["shortfall_mm3"].sum()) <= 1e-6
        return ok

    if not holds(hi):
        return MinInflowResult(mode, None, tol, None, None, count,
                               f"the lake targets do not hold even at {hi:g} km3/yr")
    if holds(lo):
        return MinInflowResult(mode, lo, tol, True, None, count, f"the lake targets already hold at {lo:g} km3/yr")
    a, b = lo, hi
    while b - a > tol:
        mid = 0.5 * (a + b)
        if holds(mid):
            b = mid
        else:
            a = mid
    answer = b
    above = holds(answer)
    below = holds(max(lo, answer - tol))
    msg = (f"{answer:.3f} km3/yr (+-{tol:g}): holds at {answer:.3f}, "
           f"{'fails' if not below else 'HOLDS'} at {max(lo, answer - tol):.3f}")
    return MinInflowResult(mode, answer, tol, above, below, count, msg)


def with_hard_lake_inflow(basin: Basin, km3: float) -> Basin:
    """A copy of ``basin`` whose lake inflow target is hard (added for the only lake if missing)."""
    from .apply import _copy

    b = _copy(basin)
    found = [t for t in b.targets if t.type == "lake_inflow"]
    if not found:
        lake = next(n.id for n in b.nodes if n.type == "lake")
        b.targets.append(LakeInflowTarget(id=f"{lake}-INFLOW", lake=lake, min_annual_km3=km3, hard=True))
    for t in found:
        t.hard = True
        t.min_annual_km3 = km3
    return b


def tradeoff(basin: Basin, scenario: Scenario | None, values: Iterable[float],
             progress: Callable[[float], None] | None = None, **options) -> pd.DataFrame:
    """Epsilon-constraint frontier: for each lake inflow target (km3 per water year, hard), the least
    shortfall cost, agricultural delivery, and the marginal cost of one more km3 for the lake."""
    values = [float(v) for v in values]
    study = Study(with_hard_lake_inflow(basin, values[0]), scenario, **options)
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
        t = sol.tables["targets"]
        dual = t[t["type"] == "lake_inflow"]["dual"]
        lake = sol.summary["lakes"][0]
        rows.append({
            "lake_inflow_target_km3": v,
            "status": sol.status,
            "lake_inflow_km3": float(np.mean(list(lake["annual_inflow_km3"].values()))),
            "agriculture_delivered_mm3": float(ag["delivered_mm3"].sum()),
            "agriculture_shortfall_mm3": float(ag["shortfall_mm3"].sum()),
            "total_shortfall_mm3": float(d["shortfall_mm3"].sum()),
            "shortfall_cost": sol.summary["shortfall_cost"],
            "marginal_cost_per_km3": float(dual.mean()) * 1000.0 if len(dual) else np.nan,
            "lake_level_end_m": lake["level_end_m"],
        })
        if progress:
            progress(v)
    df = pd.DataFrame(rows)
    if "agriculture_delivered_mm3" in df:
        d_lake = df["lake_inflow_km3"].diff()
        d_farm = df["agriculture_delivered_mm3"].diff() / 1000.0
        df["farm_km3_lost_per_lake_km3"] = -(d_farm / d_lake)
    return df


def compare(basin: Basin, scenarios: list[Scenario], progress: Callable[[str], None] | None = None,
            **options) -> pd.DataFrame:
    """Key figures of several scenario runs side by side (one column per scenario)."""
    cols = {}
    for sc in scenarios:
        try:
            sol = Allocation(basin, scenario=sc, **options).solve()
        except SolveError as exc:
            cols[sc.name] = {"status": exc.status}
            continue
        s = sol.summary
        c = {"status": s["status"], "objective": s["objective"]}
        for sec, v in s["shortfall_mm3_by_sector"].items():
            c[f"shortfall {sec} (Mm3)"] = v
        c["shortfall total (Mm3)"] = float(sum(s["shortfall_mm3_by_sector"].values()))
        c["delivered total (Mm3)"] = float(sum(s["delivered_mm3_by_sector"].values()))
        for lake in s["lakes"]:
            inflows = list(lake["annual_inflow_km3"].values())
            c[f"{lake['node']} inflow mean (km3/yr)"] = float(np.mean(inflows)) if inflows else np.nan
            c[f"{lake['node']} level end (m)"] = lake["level_end_m"]
            c[f"{lake['node']} level min (m)"] = lake["level_min_m"]
        for r in s["reservoirs"]:
            c[f"{r['node']} storage end (Mm3)"] = r["storage_end_mm3"]
        for p, e in s["energy_gwh"].items():
            c[f"{p} energy (GWh)"] = e
        c["violated targets"] = len({v["target"] for v in s["violations"]})
        cols[sc.name] = c
        if progress:
            progress(sc.name)
    return pd.DataFrame(cols)
