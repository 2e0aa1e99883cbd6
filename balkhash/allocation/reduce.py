"""The LP handed to the solver: the full LP with its single-variable rows turned into bounds.

A row with one entry, ``rl <= a x_j <= ru``, is the bound ``rl/a <= x_j <= ru/a`` (ends swapped
when a < 0).  The solver's LP keeps every other row and gives each column the tightest of its own
bounds and the bounds of its single-variable rows:

    xl'_j = max(xl_j, max_{r single on j} lo_r),     xu'_j = min(xu_j, min_{r single on j} up_r)

Rows with no entry at all are dropped.  The dual of a single-variable row is recovered from the
column's reduced cost d_j: when the row gives the bound the column sits at, y_r = d_j / a (the
marginal cost of the row's right-hand side), otherwise 0.  Because the reduced bounds are
recomputed from the full LP's current row and column bounds, every named parameter acts on the
solver's LP through the full LP's maps (:mod:`balkhash.allocation.lp`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .lp import LinearProgram

#: a bound counts as the one a column sits at within this tolerance (relative to its size)
ACTIVE_TOL = 1e-7


class ReducedLP:
    """Solver rows and bounds from a :class:`LinearProgram`, kept current by :meth:`update`."""

    def __init__(self, lp: LinearProgram) -> None:
        self.lp = lp
        nnz = np.diff(lp.A.indptr)
        self.single = np.flatnonzero(nnz == 1)
        self.kept = np.flatnonzero(nnz > 1)
        #: full row -> solver row (-1: a bound or dropped)
        self.solver_row = np.full(lp.nrows, -1, dtype=np.int32)
        self.solver_row[self.kept] = np.arange(self.kept.size)
        self.single_col = lp.A.indices[lp.A.indptr[self.single]]
        self.single_coef = lp.A.data[lp.A.indptr[self.single]]
        # columns -> their single rows (CSR over columns)
        order = np.argsort(self.single_col, kind="stable")
        self._by_col_rows = self.single[order]
        self._by_col_ptr = np.searchsorted(self.single_col[order], np.arange(lp.ncols + 1)).astype(np.int32)
        self._single_pos = np.full(lp.nrows, -1, dtype=np.int32)
        self._single_pos[self.single] = np.arange(self.single.size)
        self.col_lower, self.col_upper = self._column_bounds(np.arange(lp.ncols))

    # -- bounds ------------------------------------------------------------------------------------
    def _implied(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds implied by single-variable rows."""
        pos = self._single_pos[rows]
        a = self.single_coef[pos]
        lo = self.lp.current["row_lower"][rows] / a
        up = self.lp.current["row_upper"][rows] / a
        neg = a < 0
        lo[neg], up[neg] = up[neg], lo[neg].copy()
        return lo, up

    def _column_bounds(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lower = self.lp.current["col_lower"][cols].copy()
        upper = self.lp.current["col_upper"][cols].copy()
        starts, ends = self._by_col_ptr[cols], self._by_col_ptr[cols + 1]
        has = np.flatnonzero(ends > starts)
        if has.size:
            counts = (ends - starts)[has]
            owner = np.repeat(has, counts)
            rows = self._by_col_rows[np.concatenate([np.arange(s, e) for s, e in zip(starts[has], ends[has],
                                                                                     strict=True)])] \
                if counts.max() > 1 else self._by_col_rows[starts[has]]
            lo, up = self._implied(rows)
            np.maximum.at(lower, owner, lo)
            np.minimum.at(upper, owner, up)
        return lower, upper

    def rows_of(self, full_rows) -> np.ndarray:
        return self.solver_row[np.asarray(full_rows, dtype=np.int64)]

    def coef_changes(self, positions) -> tuple[tuple[np.ndarray, ...] | None, np.ndarray]:
        """Matrix entries ``positions`` of ``A.data`` that changed: (solver rows, columns, values)
        of those in solver rows (None when there is none), and the columns of those in
        single-variable rows, whose coefficient is updated here (their bounds follow from it)."""
        k = np.asarray(positions, dtype=np.int64)
        indptr = self.lp.A.indptr
        r = np.searchsorted(indptr, k.astype(indptr.dtype), side="right") - 1  # keys of indptr's type
        c = self.lp.A.indices[k].astype(np.int64)
        v = self.lp.A.data[k]
        kept = self.solver_row[r] >= 0
        single = self._single_pos[r] >= 0
        self.single_coef[self._single_pos[r[single]]] = v[single]
        return ((self.solver_row[r[kept]], c[kept], v[kept]) if kept.any() else None), c[single]

    def update(self, touched: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, ...]]:
        """After a parameter change (``touched``: full-LP positions per target), the solver
        entries to change: {'rows': (solver rows, lower, upper), 'cols': (cols, lower, upper),
        'cost': (cols, cost), 'coefs': (solver rows, cols, values)}.  A single-variable row whose
        coefficient changed gives its column new bounds."""
        out: dict[str, tuple[np.ndarray, ...]] = {}
        rows = np.union1d(touched.get("row_lower", np.zeros(0, np.int64)),
                          touched.get("row_upper", np.zeros(0, np.int64))).astype(np.int64)
        cols = np.union1d(touched.get("col_lower", np.zeros(0, np.int64)),
                          touched.get("col_upper", np.zeros(0, np.int64))).astype(np.int64)
        if "coef" in touched:  # matrix entries: of a kept row to the solver, of a single row a bound
            coefs, single_cols = self.coef_changes(touched["coef"])
            if coefs is not None:
                out["coefs"] = coefs
            if single_cols.size:
                cols = np.union1d(cols, single_cols)
        if rows.size:
            srows = self.solver_row[rows]
            kept = srows >= 0
            if kept.any():
                r = rows[kept]
                out["rows"] = (srows[kept], self.lp.current["row_lower"][r], self.lp.current["row_upper"][r])
            singles = rows[self._single_pos[rows] >= 0]
            if singles.size:
                cols = np.union1d(cols, self.single_col[self._single_pos[singles]])
        if cols.size:
            lo, up = self._column_bounds(cols)
            self.col_lower[cols], self.col_upper[cols] = lo, up
            out["cols"] = (cols, lo, up)
        if "cost" in touched:
            c = touched["cost"]
            out["cost"] = (c, self.lp.current["cost"][c])
        return out

    # -- duals -------------------------------------------------------------------------------------
    def row_duals(self, solver_row_dual: np.ndarray | None, col_dual: np.ndarray | None,
                  col_value: np.ndarray) -> np.ndarray | None:
        """Duals of every full-LP row: the solver's for kept rows; for single-variable rows the
        reduced cost of their column over the coefficient when the row gives the bound the column
        sits at; 0 for dropped rows."""
        return self.duals(solver_row_dual, col_dual, col_value)[0]

    def duals(self, solver_row_dual: np.ndarray | None, col_dual: np.ndarray | None,
              col_value: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(row duals as :meth:`row_duals`, bound duals): the bound dual of a column is its reduced
        cost when no single-variable row took it, i.e. when the column's own bound is the one it
        sits at (the marginal cost of that bound: d < 0 at an upper bound, d > 0 at a lower one)."""
        if solver_row_dual is None or col_dual is None:
            return None, None
        bound = col_dual.copy()
        y = np.zeros(self.lp.nrows)
        y[self.kept] = solver_row_dual
        if self.single.size:
            j = self.single_col
            lo, up = self._implied(self.single)
            x = col_value[j]
            tol = ACTIVE_TOL * np.maximum(1.0, np.abs(x))
            with np.errstate(invalid="ignore"):  # infinite bounds: never active
                at_lo = np.isfinite(lo) & (np.abs(lo - self.col_lower[j]) <= tol) & (np.abs(x - lo) <= tol)
                at_up = np.isfinite(up) & (np.abs(up - self.col_upper[j]) <= tol) & (np.abs(x - up) <= tol)
            d = col_dual[j]
            # a reduced cost belongs to one row: the first single row giving the active bound
            active = (at_lo & (d > 0)) | (at_up & (d < 0))
            owner = np.full(self.lp.ncols, -1, dtype=np.int64)
            cand = np.flatnonzero(active)[::-1]
            owner[j[cand]] = cand
            mine = owner[j] == np.arange(self.single.size)
            y[self.single[mine]] = d[mine] / self.single_coef[mine]
            bound[j[mine]] = 0.0
        return y, bound

    def matrix(self) -> sp.csr_matrix:
        """The solver's rows of the matrix (made when asked: the solver copies it on loading)."""
        return self.lp.A[self.kept] if self.kept.size < self.lp.nrows else self.lp.A
