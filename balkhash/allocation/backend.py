"""The solver boundary: the LP recorded by the builders, solved by HiGHS (highspy).

The builders record ``rl <= A x <= ru, xl <= x <= xu`` and the costs (:mod:`balkhash.allocation.lp`;
the same rows as the Pyomo model of record, without creating it); the matrices go to one
``highspy.Highs`` instance that stays alive, so a scenario re-solve changes row bounds (right-hand
sides) in place and warm-starts from the last basis instead of rebuilding the model.  Columns and
rows are addressed by their position, looked up by (component name, index) in the recorded program.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from time import perf_counter

import highspy
import numpy as np

from .gcpause import gc_paused
from .lp import LinearProgram

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


@dataclass
class SolveOutcome:
    status: str  # optimal | infeasible | unbounded | time_limit | iteration_limit | interrupted | error
    has_solution: bool
    objective: float | None
    highs_status: str
    seconds: float


class HighsBackend:
    """A compiled LP held in a persistent HiGHS instance."""

    def __init__(self, program: LinearProgram, log: bool = False, time_limit: float | None = None,
                 threads: int | None = None):
        t0 = perf_counter()
        with gc_paused():
            starts, index, value = program.matrix_rowwise()
            col_lower, col_upper = program.column_bounds()
            self.row_lower, self.row_upper = program.row_bounds()
            c = program.cost()
        self.offset = program.offset
        self.program = program
        self.compile_seconds = perf_counter() - t0
        t0 = perf_counter()
        lp = highspy.HighsLp()
        lp.num_col_ = program.ncols
        lp.num_row_ = program.nrows
        lp.col_cost_ = c
        lp.col_lower_ = col_lower
        lp.col_upper_ = col_upper
        lp.row_lower_ = self.row_lower
        lp.row_upper_ = self.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = program.ncols
        lp.a_matrix_.num_row_ = program.nrows
        lp.a_matrix_.start_ = starts.astype(np.int32)
        lp.a_matrix_.index_ = index.astype(np.int32)
        lp.a_matrix_.value_ = value
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
    def values(self, cols) -> np.ndarray:
        """Primal values of columns (positions)."""
        return self.col_value[np.asarray(cols, dtype=np.int64)]

    def duals(self, rows) -> np.ndarray:
        """d(objective)/d(right-hand side) of rows (positions; -1 or no dual available: NaN)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), np.nan)
        if self.row_dual is not None:
            ok = rows >= 0
            out[ok] = self.row_dual[rows[ok]]
        return out

    # -- persistent updates --------------------------------------------------------------------
    def shift_rhs(self, rows, delta) -> None:
        """Add ``delta`` to the right-hand side of each row (keeps the row sense)."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        delta = np.broadcast_to(np.asarray(delta, dtype=float), rows.shape)
        keep = delta != 0.0
        rows, delta = rows[keep], delta[keep]
        if not len(rows):
            return
        finite_lo = np.isfinite(self.row_lower[rows])
        finite_up = np.isfinite(self.row_upper[rows])
        np.add.at(self.row_lower, rows[finite_lo], delta[finite_lo])
        np.add.at(self.row_upper, rows[finite_up], delta[finite_up])
        self.highs.changeRowsBounds(len(rows), rows.astype(np.int32), self.row_lower[rows], self.row_upper[rows])

    @property
    def num_rows(self) -> int:
        return self.program.nrows

    @property
    def num_cols(self) -> int:
        return self.program.ncols
