"""The solver boundary: the reduced LP (:mod:`balkhash.allocation.reduce`) in one persistent
``highspy.Highs`` instance, aggregated first when it is large (:mod:`balkhash.allocation.aggregate`).

A parameter change pushes the recomputed row bounds, column bounds and costs into the live
instance (``changeRowsBounds``, ``changeColsBounds``, ``changeColsCost``), and the next run starts
from the last basis instead of a rebuild.  Duals of the rows turned into bounds are recovered from
the reduced costs (:meth:`ReducedLP.row_duals`).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from time import perf_counter

import highspy
import numpy as np
import scipy.sparse as sp

from ..errors import BalkhashError
from .aggregate import MIN_COLUMNS, Aggregation
from .reduce import ReducedLP

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


def refused_options(options: dict) -> list[str]:
    """The names among ``options`` that HiGHS refuses: unknown, or a value of the wrong type or
    out of range (checked on a scratch instance, before any model is built)."""
    h = _new_highs(quiet=True)
    h.setOptionValue("output_flag", False)
    ok = highspy.HighsStatus.kOk
    return [str(name) for name, value in options.items() if h.setOptionValue(str(name), value) != ok]


#: the thread count HiGHS's process-wide thread pool was last started with by a backend (None: never)
_POOL_THREADS: int | None = None


class HighsOptionError(BalkhashError, ValueError):
    """A HiGHS option that HiGHS does not know or refuses."""


@dataclass
class SolveOutcome:
    status: str  # optimal | infeasible | unbounded | time_limit | iteration_limit | interrupted | error
    has_solution: bool
    objective: float | None
    highs_status: str
    seconds: float
    #: HiGHS's warnings about the model of this run (badly scaled, tiny bounds, ...)
    warnings: list[str] = field(default_factory=list)


class HighsBackend:
    """A reduced LP held in a persistent HiGHS instance."""

    def __init__(self, reduced: ReducedLP, log: bool = False, time_limit: float | None = None,
                 threads: int | None = None, highs_options: dict | None = None, aggregate: bool | None = None):
        t0 = perf_counter()
        self.reduced = reduced
        full = reduced.lp
        #: whether HiGHS gets the aggregated LP (:mod:`balkhash.allocation.aggregate`); by default
        #: from :data:`~balkhash.allocation.aggregate.MIN_COLUMNS` columns on
        self.aggregated = bool(aggregate) if aggregate is not None else full.ncols >= MIN_COLUMNS
        self.agg: Aggregation | None = None
        self.aggregate_seconds = 0.0
        #: substituted columns with a bound row of their own in HiGHS's LP (after its rows)
        self._bound_cols = np.zeros(0, dtype=np.int64)
        if self.aggregated:
            self._lp_arrays = self._aggregate(replay=False)
        else:
            A = reduced.matrix()
            self._lp_arrays = (
                full.ncols, A.shape[0], A.nnz, int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize),
                0.0, np.ascontiguousarray(full.current["cost"]), np.ascontiguousarray(reduced.col_lower),
                np.ascontiguousarray(reduced.col_upper), np.ascontiguousarray(full.current["row_lower"][reduced.kept]),
                np.ascontiguousarray(full.current["row_upper"][reduced.kept]),
                A.indptr[:-1].astype(np.int32, copy=False), A.indices.astype(np.int32, copy=False),
                np.ascontiguousarray(A.data),
                np.zeros(full.ncols, dtype=np.int32),  # every column continuous
            )
            del A
        self.highs = _new_highs(quiet=not log)
        # HiGHS's log reaches the console only with ``log``; its warnings are always kept
        self.highs.setOptionValue("output_flag", True)
        self.highs.setOptionValue("log_to_console", bool(log))
        self.warnings: list[str] = []
        self.highs.cbLogging.subscribe(self._on_log)
        if time_limit is not None:
            self.highs.setOptionValue("time_limit", float(time_limit))
        self.threads = threads
        if threads is not None:
            self.highs.setOptionValue("threads", int(threads))
        for name, value in (highs_options or {}).items():
            if self.highs.setOptionValue(str(name), value) != highspy.HighsStatus.kOk:
                raise HighsOptionError(f"HiGHS refused the option {name} = {value!r} (see the HiGHS options list)")
        status = self.highs.passModel(*self._lp_arrays)
        del self._lp_arrays
        if status != highspy.HighsStatus.kOk:
            raise RuntimeError(f"HiGHS refused the model ({status})")
        #: loading into HiGHS (the aggregation apart: ``aggregate_seconds``)
        self.load_seconds = perf_counter() - t0 - self.aggregate_seconds
        self.col_value: np.ndarray | None = None
        self.row_dual: np.ndarray | None = None
        #: reduced costs of the columns' own bounds (see ReducedLP.duals)
        self.bound_dual: np.ndarray | None = None

    # -- the aggregated LP ---------------------------------------------------------------------
    def _aggregate(self, replay: bool) -> tuple:
        """Aggregate the solver LP (following the last rounds with ``replay``) and return HiGHS's
        loading arguments; sets ``self.agg``, the bound rows and the entries HiGHS holds."""
        t0 = perf_counter()
        A, rows = self.reduced.lp.A, self.reduced.kept
        vectors = self._solver_vectors()
        again = self.agg.replay(A, rows, *vectors) if replay and self.agg else None
        self.replayed = again is not None
        if again is not None:  # the old bound rows stay; pivots no longer implied add theirs
            self.agg, failing = again
            before = self._bound_cols
            self._bound_cols = np.union1d(before, failing)
            self.replayed = self._bound_cols.size == before.size  # the old basis fits
        else:  # a fresh aggregation substitutes only columns whose bounds are implied
            self.agg = Aggregation(A, rows, *vectors)
            self._bound_cols = np.zeros(0, dtype=np.int64)
        agg = self.agg
        rl, ru, c, offset, self._seen = agg.vectors(vectors[0], vectors[1], vectors[2], vectors[4])
        B = agg.A
        agg.A = None  # HiGHS copies the matrix on loading: the arrays below are the last reference
        assert B is not None
        if self._bound_cols.size:
            B = sp.vstack([B, agg.expression(self._bound_cols)], format="csr")
        rl, ru = self._with_bound_rows(rl, ru, vectors[2], vectors[3])
        cl, cu = vectors[2][agg.col_keep], vectors[3][agg.col_keep]
        self._held = {"rl": rl, "ru": ru, "c": c, "offset": offset}
        # the coefficient parameters' entries as aggregated: a later change of one in a row and a
        # column HiGHS holds moves HiGHS's entry by the same amount (the fill there does not
        # depend on it)
        self._coef_values = self.reduced.lp.A.data[self.reduced.lp.held].copy()
        self.aggregate_seconds += perf_counter() - t0
        return (B.shape[1], B.shape[0], B.nnz, int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize),
                offset, c, cl, cu, rl, ru, B.indptr[:-1].astype(np.int32), B.indices.astype(np.int32),
                np.ascontiguousarray(B.data), np.zeros(B.shape[1], dtype=np.int32))

    def _with_bound_rows(self, rl: np.ndarray, ru: np.ndarray, xl: np.ndarray, xu: np.ndarray):
        """Row bounds of the aggregated rows followed by the bound rows': xl_k - h_k .. xu_k - h_k
        with h_k the substituted column's value where HiGHS's columns are 0."""
        k = self._bound_cols
        if not k.size:
            return rl, ru
        assert self.agg is not None
        h = self.agg.primal(np.zeros(self.agg.col_keep.size), xl, self._seen)[k]
        return np.concatenate([rl, xl[k] - h]), np.concatenate([ru, xu[k] - h])

    def _reload(self, replay: bool) -> None:
        """Aggregate anew and load the result; the last basis carries over when the same rows and
        columns left (a replay), otherwise the next run starts from scratch."""
        basis = self.highs.getBasis() if (replay and self.col_value is not None) else None
        arrays = self._aggregate(replay)
        if self.highs.passModel(*arrays) != highspy.HighsStatus.kOk:
            raise RuntimeError("HiGHS refused the aggregated model")
        if basis is not None and self.replayed:
            self.highs.setBasis(basis)
        else:
            self.col_value = None

    def _push_coefs(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> bool:
        """Changed matrix entries (solver rows, columns, new values) taken without replaying the
        rounds, when each is in a fixed column or in a row and a column HiGHS holds.  A fixed
        column's entry goes to the right-hand sides (``A_fixed``, replayed by the caller); in
        HiGHS's aggregated matrix A'_ij = A_ij + F_ij, where the fill F_ij comes from source rows
        and pivots only, so A'_ij moves by the change of A_ij.  False (nothing changed) when an
        entry is in a source row or a substituted column."""
        from .lp import _entry

        agg, lp = self.agg, self.reduced.lp
        assert agg is not None
        fixed_at, is_fixed = _lookup(agg.fixed, cols)
        hr, row_held = _lookup(agg.row_keep, rows)
        hc, col_held = _lookup(agg.col_keep, cols)
        alive = row_held & col_held
        if not (alive | is_fixed).all():
            return False
        if is_fixed.any():  # the entry must be in A_fixed's structure (a held entry always is)
            where = _entry(agg.A_fixed, rows[is_fixed], fixed_at[is_fixed], missing=-1)
            if (where < 0).any():
                return False
            agg.A_fixed.data[where] = values[is_fixed]
        at = np.searchsorted(lp.held, _entry(lp.A, self.reduced.kept[rows], cols))
        delta = values - self._coef_values[at]
        self._coef_values[at] = values
        for i, j, dv in zip(hr[alive].tolist(), hc[alive].tolist(), delta[alive].tolist(), strict=True):
            if dv == 0.0:
                continue
            _, _, index, value = self.highs.getRowsEntries(1, np.array([i], dtype=np.int32))
            hit = np.flatnonzero(index == j)
            self.highs.changeCoeff(i, j, float(value[hit[0]] + dv) if hit.size else dv)
        return True

    def _solver_vectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(rl, ru, xl, xu, c) of the solver LP as the reduced LP holds them now."""
        red, cur = self.reduced, self.reduced.lp.current
        return (cur["row_lower"][red.kept], cur["row_upper"][red.kept], red.col_lower, red.col_upper, cur["cost"])

    def _apply_aggregated(self, changes: dict[str, tuple[np.ndarray, ...]]) -> None:
        """The reduced LP holds the changed entries already: replay them through the rounds; a
        substituted column whose bounds are no longer implied gets its bound row (HiGHS keeps
        its basis); a substitution that no longer holds aggregates anew."""
        assert self.agg is not None
        if "coefs" in changes and not self._push_coefs(*changes["coefs"]):
            self._reload(replay=True)
            return
        rl_s, ru_s, xl, xu, cost = self._solver_vectors()
        agg, held = self.agg, self._held
        new = np.zeros(0, dtype=np.int64)
        if "rows" in changes or "cols" in changes or "coefs" in changes:
            failing = agg.check(rl_s, ru_s, xl, xu)
            if failing is None:
                self._reload(replay=False)
                return
            new = np.setdiff1d(failing, self._bound_cols)
        rl, ru, c, offset, self._seen = agg.vectors(rl_s, ru_s, xl, cost)
        if new.size:  # bound rows for them, appended to HiGHS's rows
            G = agg.expression(new)
            h = agg.primal(np.zeros(agg.col_keep.size), xl, self._seen)[new]
            self.highs.addRows(new.size, xl[new] - h, xu[new] - h, G.nnz, G.indptr[:-1].astype(np.int32),
                               G.indices.astype(np.int32), G.data)
            self._bound_cols = np.concatenate([self._bound_cols, new])
            held["rl"] = np.concatenate([held["rl"], xl[new] - h])
            held["ru"] = np.concatenate([held["ru"], xu[new] - h])
        rl, ru = self._with_bound_rows(rl, ru, xl, xu)
        rows = np.flatnonzero(~_same(rl, held["rl"]) | ~_same(ru, held["ru"]))
        if rows.size:
            self.highs.changeRowsBounds(rows.size, rows.astype(np.int32), rl[rows], ru[rows])  # type: ignore[attr-defined]
        if "cols" in changes:  # a column's bounds pass through unchanged when HiGHS holds it
            at, found = _lookup(agg.col_keep, changes["cols"][0])
            held_cols = at[found]
            if held_cols.size:
                solver_cols = agg.col_keep[held_cols]
                self.highs.changeColsBounds(held_cols.size, held_cols.astype(np.int32), xl[solver_cols],
                                            xu[solver_cols])
        costs = np.flatnonzero(~_same(c, held["c"]))
        if costs.size:
            self.highs.changeColsCost(costs.size, costs.astype(np.int32), c[costs])
        if offset != held["offset"]:
            self.highs.changeObjectiveOffset(offset)
        self._held = {"rl": rl, "ru": ru, "c": c, "offset": offset}

    # -- solving -------------------------------------------------------------------------------
    def _on_log(self, event) -> None:
        if event.data_out.log_type != highspy.HighsLogType.kWarning:
            return
        text = " ".join(str(event.message).replace("WARNING:", "").split())
        # every column is continuous (the integrality vector is only the loading call's format), and
        # HiGHS's advice on its own scaling options is not the user's to act on
        if text and "integrality" not in text and not text.startswith("Consider scaling") \
                and text not in self.warnings:
            self.warnings.append(text)

    def solve(self) -> SolveOutcome:
        """Run HiGHS from the last basis (the first run: from scratch, with presolve).  A re-solve
        that ends without a status (HiGHS's kUnknown, rare after a large change) is run once more
        from scratch."""
        self.warnings = []
        t0 = perf_counter()
        global _POOL_THREADS
        if self.threads is not None and self.threads != _POOL_THREADS:
            # HiGHS keeps one thread pool per process, sized by its first run: start it anew at this size
            highspy.Highs.resetGlobalScheduler(True)
            _POOL_THREADS = self.threads
        warm = self.col_value is not None
        self.highs.run()
        key = str(self.highs.getModelStatus()).split(".")[-1]
        if warm and key in ("kUnknown", "kNotset", "kSolveError"):
            self.highs.clearSolver()
            self.highs.run()
            key = str(self.highs.getModelStatus()).split(".")[-1]
        seconds = perf_counter() - t0
        status, has = _STATUS.get(key, ("error", False))
        if self.agg is not None and key == "kModelEmpty":
            # no column left: HiGHS does not check the rows (bound rows of constant expressions)
            rl, ru = self._held["rl"], self._held["ru"]
            with np.errstate(invalid="ignore"):
                tol = 1e-9 * (1 + np.maximum(np.abs(np.where(np.isfinite(rl), rl, 0.0)),
                                             np.abs(np.where(np.isfinite(ru), ru, 0.0))))
            if ((rl > tol) | (ru < -tol)).any():
                status, has, key = "infeasible", False, "kInfeasible"
        info = self.highs.getInfo()
        if has is None:  # time/iteration limits: usable only with a primal feasible point
            has = info.primal_solution_status == 2
        objective = None
        if has:
            sol = self.highs.getSolution()
            self.col_value = np.asarray(sol.col_value, dtype=float)
            row_dual, col_dual = np.asarray(sol.row_dual, dtype=float), np.asarray(sol.col_dual, dtype=float)
            dual_valid = sol.dual_valid
            if self.agg is not None:  # back to the solver LP: the substituted columns and rows
                xl, xu, cost = self.reduced.col_lower, self.reduced.col_upper, self.reduced.lp.current["cost"]
                self.col_value = self.agg.primal(self.col_value, xl, self._seen)
                np.clip(self.col_value, xl, xu, out=self.col_value)
                if key == "kModelEmpty":  # everything substituted or fixed: no duals of HiGHS's own
                    row_dual, col_dual, dual_valid = np.zeros(self.num_rows), np.zeros(0), True
                if dual_valid:
                    n = self.agg.row_keep.size
                    bounded = (self._bound_cols, row_dual[n:n + self._bound_cols.size])
                    row_dual, col_dual = self.agg.duals(row_dual[:n], col_dual, cost, self._seen, bounded)
            if dual_valid:
                self.row_dual, self.bound_dual = self.reduced.duals(row_dual, col_dual, self.col_value)
            else:
                self.row_dual = self.bound_dual = None
            objective = float(info.objective_function_value)
            if self.agg is not None and key == "kModelEmpty":  # HiGHS reports 0 without its offset
                objective = float(self._held["offset"])
        else:
            self.col_value = None
            self.row_dual = self.bound_dual = None
        return SolveOutcome(status, bool(has), objective, key, seconds, list(self.warnings))

    def mute(self) -> None:
        """No log from the next runs (no warnings collected either): for re-solves of a matrix
        whose warnings were kept already."""
        self.highs.setOptionValue("output_flag", False)

    # -- persistent updates --------------------------------------------------------------------
    def apply(self, changes: dict[str, tuple[np.ndarray, ...]]) -> None:
        """Push recomputed solver entries (:meth:`ReducedLP.update`) into the live instance (an
        aggregated LP: replayed through the substitutions, only the entries that moved)."""
        if self.agg is not None:
            self._apply_aggregated(changes)
            return
        if "rows" in changes:
            r, lo, up = changes["rows"]
            # highspy's stubs lack changeRowsBounds (the binding has it, like changeColsBounds)
            self.highs.changeRowsBounds(len(r), r.astype(np.int32), lo, up)  # type: ignore[attr-defined]
        if "cols" in changes:
            c, lo, up = changes["cols"]
            self.highs.changeColsBounds(len(c), c.astype(np.int32), lo, up)
        if "cost" in changes:
            c, cost = changes["cost"]
            self.highs.changeColsCost(len(c), c.astype(np.int32), cost)
        if "coefs" in changes:
            for r, c, v in zip(*changes["coefs"], strict=True):
                self.highs.changeCoeff(int(r), int(c), float(v))

    @property
    def num_rows(self) -> int:
        """Rows of the LP HiGHS holds."""
        if self.agg is not None:
            return int(self.agg.row_keep.size + self._bound_cols.size)
        return int(self.reduced.kept.size)

    @property
    def num_cols(self) -> int:
        """Columns of the LP HiGHS holds."""
        return int(self.agg.col_keep.size if self.agg is not None else self.reduced.lp.ncols)


def _lookup(sorted_values: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each x is in the sorted array, and whether it is there."""
    at = np.minimum(np.searchsorted(sorted_values, x), max(sorted_values.size - 1, 0))
    found = sorted_values[at] == x if sorted_values.size else np.zeros(np.shape(x), dtype=bool)
    return at, found


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Entry by entry: equal, infinities included."""
    return (a == b) | (np.isnan(a) & np.isnan(b))
