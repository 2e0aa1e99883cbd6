"""Solve a basin: check, compile, build, solve with HiGHS, extract tables, summarise.

``Allocation`` keeps the full LP with its named parameters and the live HiGHS instance, so a study
changes any input in place and re-solves warm (:meth:`Allocation.set`, kinds in
:mod:`balkhash.allocation.parameters`); :meth:`Allocation.to_pyomo` gives the same LP as a Pyomo
model with readable names, and ``solve(solver=...)`` solves it with any Pyomo solver.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import pandas as pd

from ..errors import EXIT_NO_SOLUTION, BalkhashError
from ..network.errors import BasinError
from ..network.schema import Basin
from .backend import HighsBackend, HighsOptionError, SolveOutcome
from .data import ModelData, compile_basin
from .heads import HEAD_TOLERANCE_M, MAX_HEAD_ITERATIONS, head_change, iterated_plants
from .model import build_lp
from .parameters import NamedParameters, Parameters
from .reduce import ReducedLP
from .results import extract_tables, lake_share_notes
from .summary import build_summary


class SolveError(BalkhashError):
    """The model has no usable solution; ``message`` says why in the basin's terms."""

    exit_code = EXIT_NO_SOLUTION

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
        raise AttributeError(f"'Solution' has no attribute or table '{name}' (tables: {', '.join(tables)})")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.__dict__.get("tables", {})))

    def __repr__(self) -> str:
        obj = "-" if self.objective is None else f"{self.objective:.6g}"
        p = self.summary.get("periods", {})
        return (f"<Solution {self.summary.get('basin', '')!r} {self.status}, objective {obj}, "
                f"{p.get('count', '?')} periods {p.get('first', '')}..{p.get('last', '')}; "
                f"tables: {', '.join(self.tables)}>")


def _as_basin(basin) -> Basin:
    """A checked Basin from a Basin object, a basin directory or file, or a bundled basin's name
    ('ile_balkhash', 'small_basin', ...).  A Basin built or edited in Python is checked exactly
    like a file: every problem is reported (BasinError), nothing is solved."""
    from ..network.io import load_basin

    if isinstance(basin, Basin):
        return checked_basin(basin)
    if isinstance(basin, (str, os.PathLike)):
        return load_basin(basin)  # a directory, a file or a bundled basin's name
    raise TypeError(f"expected a Basin, a basin directory or a bundled basin's name, got {type(basin).__name__}")


def _check_time_limit(time_limit) -> None:
    """A solver time limit is a positive number of seconds (or None: no limit)."""
    import math
    import numbers

    if time_limit is None:
        return
    if isinstance(time_limit, bool) or not isinstance(time_limit, numbers.Real) or not math.isfinite(time_limit) \
            or time_limit <= 0:
        raise HighsOptionError(f"time_limit: must be a positive number of seconds (or None: no limit), "
                               f"got {time_limit!r}")


def checked_basin(basin: Basin) -> Basin:
    """``basin`` validated again from its plain data (types, units, references, values), with its
    loaded tables and private state kept; raises BasinError with every problem."""
    from ..network.io import revalidated
    from ..network.validate import check_basin

    where = basin._file or f"<Basin '{basin.name}' built in Python>"  # read from a file, then edited: that file
    fresh = revalidated(basin, where)
    problems = check_basin(fresh, where)
    if problems:
        raise BasinError(problems)
    return fresh


class Allocation(NamedParameters):
    """A built allocation LP for one basin, ready to solve, change in place and re-solve.

    ``set(kind, key, values)`` changes a named parameter (:mod:`balkhash.allocation.parameters`)
    in the live solver; the next :meth:`solve` starts from the last basis."""

    def __init__(self, basin, strict: bool = False, fair_sharing: bool | None = None,
                 time_limit: float | None = None, log: bool = False, threads: int | None = None,
                 fold_inlets: bool = False, highs_options: dict | None = None, aggregate: bool | None = None):
        t0 = perf_counter()
        _check_time_limit(time_limit)
        self.basin = _as_basin(basin)
        self.strict = strict
        self.options: dict[str, Any] = dict(fair_sharing=fair_sharing, time_limit=time_limit, log=log,
                                            threads=threads, highs_options=highs_options, aggregate=aggregate)
        self.data: ModelData = compile_basin(self.basin, strict=strict, fair_sharing=fair_sharing,
                                             fold_inlets=fold_inlets)
        self._build(t0)

    @classmethod
    def from_data(cls, basin, data: ModelData, strict: bool = False, **options) -> Allocation:
        """An Allocation of already compiled (possibly edited) model data."""
        self = cls.__new__(cls)
        self.basin, self.strict, self.data = basin, strict, data
        self.options = {"fair_sharing": None, "time_limit": None, "log": False, "threads": None,
                        "highs_options": None, **options}
        _check_time_limit(self.options["time_limit"])
        self._build(perf_counter())
        return self

    def _build(self, t0: float) -> None:
        log, time_limit, threads = (self.options[k] for k in ("log", "time_limit", "threads"))
        t1 = perf_counter()
        #: the full LP with its parameter maps, and the LP the solver gets
        self.lp = build_lp(self.data)
        self.reduced = ReducedLP(self.lp)
        self.params = Parameters(self.data, self.lp)
        t2 = perf_counter()
        self.backend = HighsBackend(self.reduced, log=log, time_limit=time_limit, threads=threads,
                                    highs_options=self.options.get("highs_options"),
                                    aggregate=self.options.get("aggregate"))
        self.timings = {"compile": t1 - t0, "build": t2 - t1, "aggregate": self.backend.aggregate_seconds,
                        "load": self.backend.load_seconds}

    @property
    def timeline(self):
        return self.data.timeline

    # -- named parameters ----------------------------------------------------------------------
    def set(self, kind: str, key: str, values) -> None:
        """Change parameter ``kind`` of ``key`` (node, link, demand, target or plant id) in place."""
        for touched in self.params.set(kind, key, values).values():
            self.backend.apply(self.reduced.update(touched))

    # -- the Pyomo model ---------------------------------------------------------------------------
    def to_pyomo(self):
        """The LP as a Pyomo ``ConcreteModel`` with readable names (``flow[l,t]``, ``balance[n,t]``),
        built from the current matrix, bounds and costs."""
        from .pyomo_model import to_pyomo

        return to_pyomo(self.lp, self.data.name)

    pyomo_model = to_pyomo

    def write_lp(self, path) -> None:
        """Write the LP in CPLEX LP format with readable names (Pyomo's LP writer)."""
        fmt = None if str(path).lower().endswith(".lp") else "lp"  # Pyomo guesses .lp files itself
        self.to_pyomo().write(str(path), format=fmt, io_options={"symbolic_solver_labels": True})

    # -- solving ---------------------------------------------------------------------------------
    def solve(self, solver: str | None = None) -> Solution:
        """Solve with HiGHS (highspy, the live instance) or, with ``solver``, through Pyomo with
        that solver (e.g. 'glpk', 'cbc', 'appsi_highs')."""
        outcome, values, duals, bounds = self._solve_once(solver)
        seconds, iterations = outcome.seconds, 0
        while outcome.has_solution and values is not None and iterations < MAX_HEAD_ITERATIONS:
            moved, heads = head_change(self.data, self.lp, values)  # successive LP on level-dependent heads
            if moved <= HEAD_TOLERANCE_M:
                break
            for plant, h in heads.items():
                self.set("head", plant, h)
            outcome, values, duals, bounds = self._solve_once(solver)
            seconds += outcome.seconds
            iterations += 1
        timings = dict(self.timings, solve=seconds)
        if not outcome.has_solution or values is None:
            raise SolveError(self._explain(outcome), outcome.status)
        t0 = perf_counter()
        tables = extract_tables(self.data, self.lp, values, duals, bounds)
        cost = self.lp.params["shortfall_cost"]
        summary = build_summary(self.data, tables, outcome, dict(zip(cost.keys, cost.values.tolist(), strict=True)))
        summary["solver"] = solver or "highs"
        if iterated_plants(self.data):
            summary["head_iterations"] = iterations
            if iterations == MAX_HEAD_ITERATIONS:
                summary["notes"] = [*summary.get("notes", []), f"hydropower heads still moving after {iterations} "
                                    "successive LP iterations: the energy targets use the heads of the last one"]
        summary["notes"] = [*summary.get("notes", []), *lake_share_notes(self.data, self.lp, values, tables["targets"]),
                            *(f"HiGHS: {w}" for w in outcome.warnings)]
        timings["extract"] = perf_counter() - t0
        timings["total"] = sum(timings[k] for k in ("compile", "build", "aggregate", "load", "solve", "extract"))
        summary["timings"] = dict(timings)
        return Solution(outcome.status, outcome.objective, tables, summary, timings)

    def _solve_once(self, solver: str | None):
        if solver is None:
            outcome = self.backend.solve()
            return outcome, self.backend.col_value, self.backend.row_dual, self.backend.bound_dual
        from .pyomo_model import solve_with

        outcome, values, duals = solve_with(self.lp, solver, self.data.name, self.options.get("time_limit"))
        return outcome, values, duals, None

    def _explain(self, outcome: SolveOutcome) -> str:
        hard = self.strict or any(t.hard for t in self.data.targets)
        if outcome.status == "infeasible" and hard:
            soft = compile_basin(self.basin, fair_sharing=self.options.get("fair_sharing"),
                                 fold_inlets=bool(self.data.folded))
            for tg in soft.targets:  # every target elastic: which of them the water cannot meet
                tg.hard = False
            relaxed = Allocation.from_data(self.basin, soft, **self.options)
            try:
                elastic = relaxed.solve()
            except SolveError:
                return ("the model is infeasible even with every target elastic: inflows cannot be routed within "
                        f"link capacities, minimum flows and storage bounds{relaxed._where_unbalanced()}")
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
                                 f"{worst['achieved']:.6g} in the best compromise)")
                advice = ("Run without --strict to see the best compromise." if self.strict else
                          "Make those targets soft (hard: false) to see the best compromise.")
                return (f"the hard targets cannot all be met; the elastic solve must violate: {'; '.join(parts)}. "
                        f"{advice}")
            return "the model is infeasible even though every target can be met: check link capacities, " \
                   "minimum flows and storage bounds"
        if outcome.status == "infeasible":
            return ("the model is infeasible: inflows cannot be routed within link capacities, minimum "
                    "flows and storage bounds (targets are elastic, so they are not the cause)"
                    f"{self._where_unbalanced()}")
        if outcome.status == "unbounded":
            return "the model is unbounded: check for negative link costs"
        if outcome.status == "time_limit":
            return "the solver reached the time limit before finding a feasible solution"
        if outcome.highs_status == "kUnknown":
            return ("the solver stopped without a solution and without a verdict (HiGHS status kUnknown): the "
                    "numbers are probably too far apart in size for it (costs, capacities or volumes spanning many "
                    "orders of magnitude); check the largest and smallest values of the basin")
        return f"the solver stopped without a solution (HiGHS status {outcome.highs_status})"

    def _where_unbalanced(self) -> str:
        """'; it fails at: ...' naming the nodes and periods whose water cannot balance, or ''."""
        from .diagnose import unbalanced_nodes

        found = unbalanced_nodes(self.lp, self.data.timeline.labels)
        return f". Where the water cannot balance: {'; '.join(found)}" if found else ""


def solve(basin, *, strict: bool = False, fair_sharing: bool | None = None, time_limit: float | None = None,
          log: bool = False, threads: int | None = None, solver: str | None = None,
          highs_options: dict | None = None, aggregate: bool | None = None) -> Solution:
    """Build and solve the allocation LP for ``basin``: a Basin, a basin directory or basin.yaml,
    or a bundled basin's name ('ile_balkhash', 'small_basin', 'tiny_river').

    ``strict``: every target hard; ``fair_sharing``: override the basin's option; ``time_limit``:
    seconds for the solver; ``log``: the solver's log; ``threads``: HiGHS threads; ``solver``: a
    Pyomo solver name (e.g. 'glpk') instead of HiGHS through highspy; ``highs_options``: HiGHS
    options by name (e.g. ``{"dual_feasibility_tolerance": 1e-9}``); ``aggregate``: hand HiGHS
    the LP with the flows that balances define substituted out (default: from 100,000 columns
    on, :mod:`balkhash.allocation.aggregate`).  Raises BasinError for invalid input and
    SolveError when there is no usable solution.
    """
    alloc = Allocation(basin, strict=strict, fair_sharing=fair_sharing, time_limit=time_limit, log=log,
                       threads=threads, highs_options=highs_options, aggregate=aggregate)
    return alloc.solve(solver=solver)


__all__ = ["Allocation", "BasinError", "Solution", "SolveError", "solve"]
