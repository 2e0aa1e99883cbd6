"""The solver boundary: a Pyomo model compiled to sparse matrices and solved by HiGHS (highspy).

Pyomo's ``LinearStandardFormCompiler`` turns the model into ``A x (<=,=,>=) b`` with the variable
bounds kept on the columns; the matrices go to one ``highspy.Highs`` instance that stays alive, so
a scenario re-solve changes row bounds (right-hand sides) in place and warm-starts from the last
basis instead of rebuilding the model.
"""

from __future__ import annotations

import math
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from time import perf_counter

import highspy
import numpy as np
from pyomo.common.gc_manager import PauseGC
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

#: HiGHS model status -> (balkhash status, has a usable solution)
_STATUS = {
    "kOptimal": ("optimal", True),
    "kInfeasible": ("infeasible", False),
    "kUnboundedOrInfeasible": ("infeasible", False),
    "kUnbounded": ("unbounded", False),
    "kTimeLimit": ("time_limit", None),
    "kIterationLimit": ("iteration_limit", None),
    "kObjectiveBound": ("error", False),
    "kObjectiveTarget": ("error", False),
    "kSolutionLimit": ("error", None),
    "kInterrupt": ("interrupted", None),
    "kMemoryLimit": ("error", False),
    "kNotset": ("error", False),
    "kLoadError": ("error", False),
    "kModelError": ("error", False),
    "kPresolveError": ("error", False),
    "kSolveError": ("error", False),
    "kPostsolveError": ("error", False),
    "kModelEmpty": ("optimal", True),
    "kUnknown": ("error", None),
}


@contextmanager
def _stdout_silenced():
    """Silence file descriptor 1 (HiGHS prints its banner from C++ when an instance is created)."""
    try:
        sys.stdout.flush()
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # captured streams without a real descriptor
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _new_highs(quiet: bool) -> highspy.Highs:
    if not quiet:
        return highspy.Highs()
    with _stdout_silenced():
        return highspy.Highs()


def _light_scipy_for_pyomo() -> None:
    """Pyomo resolves its deferred scipy import with scipy.stats, scipy.integrate and scipy.spatial
    (over a second on this kind of machine); the standard-form compiler needs only scipy.sparse."""
    from pyomo.common import dependencies as deps

    flag = deps.scipy_available
    if getattr(flag, "_module", None) is None and getattr(flag, "_callback", None) is not None:
        def _sparse_only(module, available):
            if available:
                import scipy.sparse  # noqa: F401

        flag._callback = _sparse_only


_light_scipy_for_pyomo()


@dataclass
class SolveOutcome:
    status: str  # optimal | infeasible | unbounded | time_limit | iteration_limit | interrupted | error
    has_solution: bool
    objective: float | None
    highs_status: str
    seconds: float


class HighsBackend:
    """A compiled LP held in a persistent HiGHS instance."""

    def __init__(self, model, log: bool = False, time_limit: float | None = None, threads: int | None = None):
        t0 = perf_counter()
        with PauseGC():
            repn = LinearStandardFormCompiler().write(model, mixed_form=True)
        self.compile_seconds = perf_counter() - t0
        t0 = perf_counter()
        self.columns = repn.columns
        self.col_pos = {id(v): j for j, v in enumerate(self.columns)}
        self.row_pos: dict[int, int] = {}
        self.row_sense = np.empty(len(repn.rows), dtype=int)
        for i, (con, bound_type) in enumerate(repn.rows):
            self.row_pos.setdefault(id(con), i)
            self.row_sense[i] = bound_type
        rhs = np.asarray(repn.rhs, dtype=float)
        # mixed form: bound_type -1 is 'row >= rhs', 0 is 'row == rhs', 1 is 'row <= rhs'
        self.row_lower = np.where(self.row_sense == -1, rhs, np.where(self.row_sense == 0, rhs, -np.inf))
        self.row_upper = np.where(self.row_sense == 1, rhs, np.where(self.row_sense == 0, rhs, np.inf))
        col_lower = np.array([-np.inf if v.lb is None else v.lb for v in self.columns], dtype=float)
        col_upper = np.array([np.inf if v.ub is None else v.ub for v in self.columns], dtype=float)
        c = repn.c.toarray()[0] if repn.c.shape[0] else np.zeros(len(self.columns))
        self.offset = float(repn.c_offset[0]) if len(repn.c_offset) else 0.0
        A = repn.A.tocsc()

        lp = highspy.HighsLp()
        lp.num_col_ = len(self.columns)
        lp.num_row_ = A.shape[0]
        lp.col_cost_ = c
        lp.col_lower_ = col_lower
        lp.col_upper_ = col_upper
        lp.row_lower_ = self.row_lower
        lp.row_upper_ = self.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = A.indptr
        lp.a_matrix_.index_ = A.indices
        lp.a_matrix_.value_ = A.data
        lp.offset_ = self.offset
        self.highs = _new_highs(quiet=not log)
        self.highs.setOptionValue("output_flag", bool(log))
        if time_limit is not None:
            self.highs.setOptionValue("time_limit", float(time_limit))
        if threads is not None:
            self.highs.setOptionValue("threads", int(threads))
        self.highs.passModel(lp)
        self.load_seconds = perf_counter() - t0
        self.col_value: np.ndarray | None = None
        self.row_dual: np.ndarray | None = None

    # -- solving -------------------------------------------------------------------------------
    def solve(self) -> SolveOutcome:
        t0 = perf_counter()
        self.highs.run()
        seconds = perf_counter() - t0
        key = str(self.highs.getModelStatus()).split(".")[-1]
        status, has = _STATUS.get(key, ("error", False))
        info = self.highs.getInfo()
        if has is None:  # time/iteration limits: usable only with a primal feasible point
            has = info.primal_solution_status == 2
        objective = None
        if has:
            sol = self.highs.getSolution()
            self.col_value = np.asarray(sol.col_value, dtype=float)
            self.row_dual = np.asarray(sol.row_dual, dtype=float) if sol.dual_valid else None
            objective = float(info.objective_function_value)
        else:
            self.col_value = None
            self.row_dual = None
        return SolveOutcome(status, bool(has), objective, key, seconds)

    # -- values ----------------------------------------------------------------------------------
    def values(self, var_datas) -> np.ndarray:
        """Primal values of Pyomo VarData objects (a variable in no row takes its bound or 0)."""
        out = np.empty(len(var_datas))
        for i, v in enumerate(var_datas):
            j = self.col_pos.get(id(v))
            if j is not None:
                out[i] = self.col_value[j]
            else:  # in no row and no objective term: any value in its bounds; take the one nearest 0
                lb = -math.inf if v.lb is None else v.lb
                ub = math.inf if v.ub is None else v.ub
                out[i] = min(max(0.0, lb), ub)
        return out

    def duals(self, con_datas) -> np.ndarray:
        """d(objective)/d(right-hand side) of each constraint (NaN when not available)."""
        out = np.full(len(con_datas), np.nan)
        if self.row_dual is None:
            return out
        for i, c in enumerate(con_datas):
            r = self.row_pos.get(id(c))
            if r is not None:
                out[i] = self.row_dual[r]
        return out

    # -- persistent updates --------------------------------------------------------------------
    def shift_rhs(self, con_datas, delta) -> None:
        """Add ``delta`` to the right-hand side of each constraint (keeps the row sense)."""
        rows, lo, up = [], [], []
        for c, dv in zip(con_datas, np.broadcast_to(np.asarray(delta, dtype=float), (len(con_datas),)),
                         strict=True):
            r = self.row_pos.get(id(c))
            if r is None or dv == 0.0:
                continue
            if np.isfinite(self.row_lower[r]):
                self.row_lower[r] += dv
            if np.isfinite(self.row_upper[r]):
                self.row_upper[r] += dv
            rows.append(r)
            lo.append(self.row_lower[r])
            up.append(self.row_upper[r])
        if rows:
            self.highs.changeRowsBounds(len(rows), np.array(rows, dtype=np.int32), np.array(lo), np.array(up))

    @property
    def num_rows(self) -> int:
        return len(self.row_sense)

    @property
    def num_cols(self) -> int:
        return len(self.columns)
