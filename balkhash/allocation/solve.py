"""Solve a basin: compile, build, solve with HiGHS, extract tables, summarise.

``Allocation`` keeps the recorded LP and the HiGHS instance, so scenario code can change inflows
and re-solve without rebuilding (:meth:`Allocation.set_inflow`); :meth:`Allocation.pyomo_model`
gives the same LP as a Pyomo model (the builders of :mod:`balkhash.allocation.model` run on
either target).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from time import perf_counter

import numpy as np
import pandas as pd

from ..network.errors import BasinError
from ..network.schema import Basin
from .backend import HighsBackend, SolveOutcome
from .data import ModelData, compile_basin
from .gcpause import gc_paused
from .model import build_model
from .results import extract_tables
from .summary import build_summary


class SolveError(Exception):
    """The model has no usable solution; ``message`` says why in the basin's terms."""

    def __init__(self, message: str, status: str, violations: list | None = None):
        super().__init__(message)
        self.status = status
        self.violations = violations or []


@dataclass
class Solution:
    status: str
    objective: float | None
    tables: dict[str, pd.DataFrame]
    summary: dict
    timings: dict[str, float] = field(default_factory=dict)

    def __getattr__(self, name: str):
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)


def _as_basin(basin) -> Basin:
    if isinstance(basin, Basin):
        return basin
    if isinstance(basin, (str, os.PathLike)):
        from ..network.io import load_basin

        return load_basin(basin)
    raise TypeError(f"expected a Basin or a path, got {type(basin).__name__}")


class Allocation:
    """A built allocation LP for one basin, ready to solve and re-solve."""

    def __init__(self, basin, strict: bool = False, fair_sharing: bool | None = None,
                 time_limit: float | None = None, log: bool = False, threads: int | None = None,
                 scenario=None):
        t0 = perf_counter()
        self.base_basin = _as_basin(basin)
        self.scenario = scenario
        self.basin = self.base_basin
        if scenario is not None:
            from ..scenarios.apply import apply_to_basin, scenario_problems

            problems = scenario_problems(self.base_basin, scenario, getattr(scenario, "_file", "scenario"))
            if problems:
                raise BasinError(problems)
            self.basin = apply_to_basin(self.base_basin, scenario)
        self.strict = strict
        self.options = dict(fair_sharing=fair_sharing, time_limit=time_limit, log=log, threads=threads)
        self.data: ModelData = compile_basin(self.basin, strict=strict, fair_sharing=fair_sharing)
        if scenario is not None:
            from ..scenarios.apply import apply_to_data

            apply_to_data(self.data, self.basin, scenario)
        #: the recorded LP that HiGHS solves (column numbers, rows, bounds, costs)
        self.model = build_model(self.data, pyomo=False)
        self._pyomo = None
        t1 = perf_counter()
        self.backend = HighsBackend(self.model.lp, log=log, time_limit=time_limit, threads=threads)
        self.timings = {
            "build": t1 - t0,
            "compile": self.backend.compile_seconds,
            "load": self.backend.load_seconds,
        }

    # -- the Pyomo model ---------------------------------------------------------------------------
    def pyomo_model(self):
        """The same LP as a Pyomo ``ConcreteModel``, built on first call by the same builders from
        the current data (inflow changes included).  Its standard form is the solved matrix."""
        if self._pyomo is None:
            self._pyomo = build_model(self.data, pyomo=True)
        return self._pyomo

    def write_lp(self, path) -> None:
        """Write the LP in CPLEX LP format with readable names (Pyomo's LP writer)."""
        fmt = None if str(path).lower().endswith(".lp") else "lp"  # Pyomo guesses .lp files itself
        self.pyomo_model().write(str(path), format=fmt, io_options={"symbolic_solver_labels": True})
        self._pyomo = None  # rebuilt if asked again: later set_inflow calls change the data

    # -- persistent changes ----------------------------------------------------------------------
    def set_inflow(self, node: str, values_mm3) -> None:
        """Replace the local inflow of ``node`` (Mm3 per period) in place, without a rebuild."""
        values = np.broadcast_to(np.asarray(values_mm3, dtype=float), (self.data.T,)).copy()
        old = self.data.inflow.get(node)
        if old is None:
            raise KeyError(f"node '{node}' has no inflow series")
        delta = values - old
        rows = self.model.lp.rows
        for comp_name in ("balance", "continuity"):
            comp = rows.get(comp_name, {})
            if (node, 0) in comp:
                self.backend.shift_rhs([comp[node, t] for t in range(self.data.T)], delta)
        years = self.data.timeline.full_water_years()
        for (tid, wy), row in rows.get("lake_inflow", {}).items():
            if self.data.target_by_id[tid].ref == node:
                self.backend.shift_rhs([row], [-float(np.sum(delta[years[wy]]))])
        self.data.inflow[node] = values

    def set_lake_inflow_target(self, km3: float) -> None:
        """Change every lake inflow target to ``km3`` per water year, in place."""
        rows = self.model.lp.rows.get("lake_inflow", {})
        for tg in self.data.targets:
            if tg.type != "lake_inflow":
                continue
            delta = km3 * 1000.0 - float(tg.values)
            self.backend.shift_rhs([row for (tid, _), row in rows.items() if tid == tg.id], delta)
            tg.values = km3 * 1000.0

    # -- solving ---------------------------------------------------------------------------------
    def solve(self) -> Solution:
        outcome = self.backend.solve()
        timings = dict(self.timings, solve=outcome.seconds)
        if not outcome.has_solution:
            raise SolveError(self._explain(outcome), outcome.status)
        t0 = perf_counter()
        with gc_paused():
            tables = extract_tables(self.data, self.model, self.backend)
            summary = build_summary(self.data, tables, outcome, self.basin)
        if self.scenario is not None:
            summary["scenario"] = self.scenario.name
        timings["extract"] = perf_counter() - t0
        timings["total"] = sum(timings[k] for k in ("build", "compile", "load", "solve", "extract"))
        summary["timings"] = {k: round(v, 4) for k, v in timings.items()}
        return Solution(outcome.status, outcome.objective, tables, summary, timings)

    def _explain(self, outcome: SolveOutcome) -> str:
        if outcome.status == "infeasible" and self.strict:
            elastic = Allocation(self.base_basin, strict=False, scenario=self.scenario, **self.options).solve()
            viol = elastic.summary["violations"]
            if viol:
                groups: dict[str, list[dict]] = {}
                for v in viol:
                    groups.setdefault(v["target"], []).append(v)
                parts = []
                for tid, vs in groups.items():
                    worst = max(vs, key=lambda v: v["amount"])
                    when = vs[0]["period_or_year"] if len(vs) == 1 else \
                        f"{len(vs)} periods {vs[0]['period_or_year']}..{vs[-1]['period_or_year']}"
                    parts.append(f"{tid} ({worst['type']} on {worst['node_or_link']}, {when}; worst "
                                 f"{worst['period_or_year']}: required {worst['required']:.6g} {worst['unit']}, "
                                 f"reachable {worst['achieved']:.6g})")
                return (f"the hard targets cannot all be met; the elastic solve must violate: {'; '.join(parts)}. "
                        "Run without --strict to see the best compromise.")
            return "the model is infeasible even though every target can be met: check link capacities, " \
                   "minimum flows and storage bounds"
        if outcome.status == "infeasible":
            return ("the model is infeasible: inflows cannot be routed within link capacities, minimum "
                    "flows and storage bounds (targets are elastic, so they are not the cause)")
        if outcome.status == "unbounded":
            return "the model is unbounded: check for negative link costs"
        if outcome.status == "time_limit":
            return "the solver reached the time limit before finding a feasible solution"
        return f"the solver stopped without a solution (HiGHS status {outcome.highs_status})"


def solve(basin, **options) -> Solution:
    """Build and solve the allocation LP for ``basin`` (a Basin or a basin directory path).

    Options: strict (bool), fair_sharing (bool), time_limit (s), log (bool), threads (int).
    Raises SolveError when there is no usable solution and BasinError for invalid input.
    """
    return Allocation(basin, **options).solve()


__all__ = ["Allocation", "Solution", "SolveError", "BasinError", "solve"]
