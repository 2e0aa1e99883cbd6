"""The LP as a Pyomo model (the model of record for export and for other solvers).

:func:`to_pyomo` builds a ``ConcreteModel`` from the full LP's matrix, current bounds and costs:
one ``Var`` per variable family indexed by its labels (``flow[link, t]``, ``storage[node, t]``,
``short[demand, k, t]``, ...) and one ``Constraint`` per row family (``balance[node, t]``,
``continuity[node, t]``, ...), each row ``rl <= sum_j A_rj x_j <= ru`` written as a linear
expression.  Single-variable rows stay rows here (the solver LP turns them into bounds), so the
file reads like the formulation.  :func:`solve_with` solves it with any Pyomo solver and maps the
primal values and row duals back onto the LP's columns and rows.
"""

from __future__ import annotations

import logging
from time import perf_counter

import numpy as np

from ..errors import BalkhashError
from .backend import SolveOutcome
from .lp import INF, LinearProgram


def to_pyomo(lp: LinearProgram, name: str = "balkhash"):
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

    m = pyo.ConcreteModel(name=name)
    lower, upper, cost = lp.current["col_lower"], lp.current["col_upper"], lp.current["cost"]
    var_of: list = [None] * lp.ncols
    for b in lp.var_blocks.values():
        if not b.cols.size:
            continue
        index = [tuple(b.axes[k][i] for k, i in enumerate(pos)) for pos in np.ndindex(b.cols.shape)]
        index = [k[0] if len(k) == 1 else k for k in index]
        var = pyo.Var(index, dense=True)
        setattr(m, b.name, var)
        for key, col in zip(index, b.cols.reshape(-1).tolist(), strict=True):
            v = var[key]
            lo, up = lower[col], upper[col]
            v.setlb(None if lo == -INF else float(lo))
            v.setub(None if up == INF else float(up))
            var_of[col] = v
    A = lp.A
    rl, ru = lp.current["row_lower"], lp.current["row_upper"]
    m._rows = {}
    for rb in lp.row_blocks.values():
        if not rb.rows.size:
            continue
        index, rows = [], []
        for pos in np.ndindex(rb.rows.shape):
            r = int(rb.rows[pos])
            if A.indptr[r + 1] == A.indptr[r]:
                continue  # a row without entries constrains nothing
            key = tuple(rb.axes[k][i] for k, i in enumerate(pos))
            index.append(key[0] if len(key) == 1 else key)
            rows.append(r)
        if not rows:
            continue
        by_key = dict(zip(index, rows, strict=True))

        def rule(_m, *key, by_key=by_key):
            r = by_key[key[0] if len(key) == 1 else key]
            s, e = A.indptr[r], A.indptr[r + 1]
            body = LinearExpression([MonomialTermExpression((float(c), var_of[j]))
                                     for c, j in zip(A.data[s:e], A.indices[s:e], strict=True)])
            lo, up = rl[r], ru[r]
            if lo == up:
                return body == float(lo)
            if lo == -INF:
                return body <= float(up)
            if up == INF:
                return body >= float(lo)
            return (float(lo), body, float(up))

        setattr(m, rb.name, pyo.Constraint(index, rule=rule))
        m._rows[rb.name] = by_key
    nz = np.flatnonzero(cost)
    m.objective = pyo.Objective(expr=LinearExpression([MonomialTermExpression((float(cost[j]), var_of[j]))
                                                       for j in nz]), sense=pyo.minimize)
    m._var_of = var_of
    return m


def solve_with(lp: LinearProgram, solver: str, name: str = "balkhash", time_limit: float | None = None):
    """Solve the Pyomo model with ``solver``; (outcome, column values, row duals or None)."""
    import pyomo.environ as pyo
    from pyomo.opt import SolverStatus, TerminationCondition

    m = to_pyomo(lp, name)
    pyomo_log = logging.getLogger("pyomo.opt")
    level = pyomo_log.level
    pyomo_log.setLevel(logging.ERROR)  # an unknown name: SolverUnavailable says it, without Pyomo's traceback
    try:
        opt = pyo.SolverFactory(solver)
    finally:
        pyomo_log.setLevel(level)
    if opt is None or not opt.available(exception_flag=False):
        raise SolverUnavailable(solver)
    m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    t0 = perf_counter()
    kwargs: dict = {}
    if solver == "glpk":
        # --xcheck: the final basis is checked in exact arithmetic, so GLPK's floating-point
        # tolerances do not stop it short of the optimum on badly scaled costs (tie-breakers of
        # 0.001 beside shortfall costs of 1e6 per Mm3)
        kwargs["options"] = {"xcheck": ""}
        if time_limit is not None:
            kwargs["options"]["tmlim"] = int(max(1, time_limit))
    res = opt.solve(m, load_solutions=False, **kwargs)
    seconds = perf_counter() - t0
    tc = res.solver.termination_condition
    ok = tc == TerminationCondition.optimal and res.solver.status in (SolverStatus.ok, SolverStatus.warning)
    if not ok:
        status = {TerminationCondition.infeasible: "infeasible", TerminationCondition.unbounded: "unbounded",
                  TerminationCondition.infeasibleOrUnbounded: "infeasible",
                  TerminationCondition.maxTimeLimit: "time_limit"}.get(tc, "error")
        return SolveOutcome(status, False, None, str(tc), seconds), None, None
    m.solutions.load_from(res)
    values = np.array([0.0 if v is None or v.value is None else float(v.value) for v in m._var_of])
    duals = None
    if len(m.dual):
        duals = np.zeros(lp.nrows)
        for bname, by_key in m._rows.items():
            con = getattr(m, bname)
            for key, r in by_key.items():
                duals[r] = float(m.dual.get(con[key], 0.0))
    objective = float(pyo.value(m.objective))
    return SolveOutcome("optimal", True, objective, str(tc), seconds), values, duals


class SolverUnavailable(BalkhashError):
    """The named Pyomo solver is not installed."""

    def __init__(self, solver: str) -> None:
        super().__init__(f"solver '{solver}' is not available through Pyomo: install it (e.g. glpk-utils for "
                         "'glpk') or choose another with --solver")
        self.solver = solver
