"""Aggregation: the LP HiGHS solves, with the flows that balance rows define substituted out.

The solver's LP (:mod:`balkhash.allocation.reduce`: ``rl <= A x <= ru``, ``xl <= x <= xu``, cost c)
still holds a row for every node balance.  An equality row r

    a_rk x_k + sum_{j != k} a_rj x_j = b_r

whose column k appears in at most one other row i, and whose bounds the row itself implies for
every x within its bounds,

    xl_k <= (b_r - sum_{j != k} a_rj x_j) / a_rk <= xu_k,

defines x_k (a demand's inlet by the demand's balance, a reach between two junctions by the upper
junction's): substituting it,

    row i:   sum_j (a_ij - (a_ik / a_rk) a_rj) x_j   within   [rl_i, ru_i] - (a_ik / a_rk) b_r
    cost:    c_j - (c_k / a_rk) a_rj,      objective constant  + c_k b_r / a_rk,

and row r and column k leave the LP.  Substitutions go in rounds: in each, a row is the source of at
most one substitution and not the target of another, and the next round looks at the rows as the
last one left them (a reach below a junction becomes free once the demand inlets above it are
gone).  Each round keeps its source rows as they were (``S``), with its pivots, targets and the
values a_ik.

**Postsolve**, rounds in reverse (a source row holds only columns alive after its round):

    x_k = (b_r - sum_{j != k} S_rj x_j) / a_rk,     y_r = (c_k - a_ik y_i) / a_rk,     d_k = 0

with b_r and c_k as that round saw them; every other column keeps HiGHS's reduced cost, so
``c - A' y - d = 0`` holds for the whole solver LP.

Columns fixed by their bounds (an inflow link, the shortfall of a zero target) leave before the
rounds: ``rl, ru -= A_F x_F``, the objective gains ``c_F x_F``; in postsolve ``x_F`` is the bound
and ``d_F = c_F - A_F' y``.

**Changes in place.**  The rounds are linear in (rl, ru, c): a changed bound or cost is replayed
through them (:meth:`Aggregation.vectors`) and only the entries that moved reach HiGHS.  The
substitutions stay valid while every fixed column stays fixed, every source row an equality and
every pivot's bounds implied (:meth:`Aggregation.valid`).  A changed matrix coefficient (an
evaporation depth, a loss fraction, a head) replays the same rounds on the new matrix
(:meth:`Aggregation.replay`): the same rows and columns leave, so HiGHS keeps its basis.  A change
that breaks a substitution (a capacity on a substituted flow, a zero target raised) aggregates
the LP anew, and HiGHS starts from scratch.

HiGHS's own presolve does the same substitutions (its aggregator), but at 1000 nodes x 365
months it spends two thirds of its run on them; done here on whole arrays they take a fraction of
that, and HiGHS presolves what is left.  LPs below :data:`MIN_COLUMNS` columns go to HiGHS as
they are (``Allocation(basin, aggregate=True/False)`` overrides).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

INF = float("inf")
#: LPs with fewer columns go to HiGHS unaggregated: its presolve does the same work there in
#: milliseconds, and the rounds' own cost would dominate a small window's re-solve
MIN_COLUMNS = 100_000
#: relative tolerance of an implied bound
IMPLIED_TOL = 1e-9
#: fill entries this small after cancellation are dropped
DROP_TOL = 1e-12
#: the rounds stop when one substitutes fewer than this share of the rows left
MIN_SHARE = 1e-4


@dataclass(frozen=True)
class Round:
    rows: np.ndarray   # source rows r (solver rows)
    cols: np.ndarray   # pivot columns k
    piv: np.ndarray    # a_rk
    other: np.ndarray  # target row i, -1 when k was in row r only
    aik: np.ndarray    # a_ik (0 without a target)
    S: sp.csr_matrix   # the source rows as this round saw them (one row per pair, every column)
    pivot_entry: np.ndarray  # position of a_rk in S.data


def _activity_parts(data, cols, cl, cu):
    """Per matrix entry (none zero), the least and the largest a_j x_j over the column's bounds."""
    bounds = np.stack([cl, cu])
    neg = (data < 0).astype(np.intp)
    return data * bounds[neg, cols], data * bounds[1 - neg, cols]


def _implied(rows_of_entry, data, cols, nrows, cl, cu, pick, b):
    """Bounds on x_k that its row implies, for the entries ``pick`` (x_k with coefficient a_rk in
    row r): (b_r - max others) / a_rk .. (b_r - min others) / a_rk."""
    lo_c, up_c = _activity_parts(data, cols, cl, cu)
    lo_inf, up_inf = np.isinf(lo_c), np.isinf(up_c)
    lo_sum = np.bincount(rows_of_entry, np.where(lo_inf, 0.0, lo_c), nrows)
    up_sum = np.bincount(rows_of_entry, np.where(up_inf, 0.0, up_c), nrows)
    lo_n = np.bincount(rows_of_entry, lo_inf, nrows)
    up_n = np.bincount(rows_of_entry, up_inf, nrows)
    r, piv = rows_of_entry[pick], data[pick]
    own_lo, own_up, own_lo_inf, own_up_inf = lo_c[pick], up_c[pick], lo_inf[pick], up_inf[pick]
    omin = np.where(lo_n[r] - own_lo_inf > 0, -INF, lo_sum[r] - np.where(own_lo_inf, 0.0, own_lo))
    omax = np.where(up_n[r] - own_up_inf > 0, INF, up_sum[r] - np.where(own_up_inf, 0.0, own_up))
    with np.errstate(invalid="ignore"):
        hi_part, lo_part = (b - omin) / piv, (b - omax) / piv
    pos = piv > 0
    return np.where(pos, lo_part, hi_part), np.where(pos, hi_part, lo_part)


def _within(x_lo, x_hi, cl, cu):
    tol_lo = IMPLIED_TOL * np.maximum(1.0, np.abs(np.where(np.isfinite(cl), cl, 0.0)))
    tol_hi = IMPLIED_TOL * np.maximum(1.0, np.abs(np.where(np.isfinite(cu), cu, 0.0)))
    with np.errstate(invalid="ignore"):
        ok_lo = np.isneginf(cl) | (x_lo >= cl - tol_lo)
        ok_hi = np.isposinf(cu) | (x_hi <= cu + tol_hi)
    return ok_lo & ok_hi


class _PivotGone(Exception):
    """A replayed pivot a_rk is no longer in the matrix."""


def _other_rows(A: sp.csr_matrix, k: np.ndarray, r: np.ndarray, count: np.ndarray) -> np.ndarray:
    """For columns k with one or two entries, one of them in row r: the row of the other (-1)."""
    nc = A.shape[1]
    want = np.zeros(nc, dtype=bool)
    want[k[count[k] == 2]] = True
    pos = np.flatnonzero(want[A.indices])
    rows = np.searchsorted(A.indptr, pos, side="right") - 1
    row_sum = np.bincount(A.indices[pos], rows.astype(float), nc)
    return np.where(count[k] == 2, row_sum[k].astype(np.int64) - r, -1)


def _entries(A: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """A[rows[i], cols[i]] for each i (0 where there is no entry)."""
    sub = A[rows]
    sub.sort_indices()
    hit = sub.indices == np.repeat(cols, np.diff(sub.indptr))
    out = np.zeros(rows.size)
    out[np.repeat(np.arange(rows.size), np.diff(sub.indptr))[hit]] = sub.data[hit]
    return out


class Aggregation:
    """The rounds of substitutions on the solver's LP and the LP they leave for HiGHS.

    ``Aggregation(A, rl, ru, cl, cu, c)`` chooses the rounds; :meth:`replay` follows the same
    choices on changed coefficients (the same rows and columns leave, so HiGHS's basis still fits)."""

    def __init__(self, A: sp.csr_matrix, rl: np.ndarray, ru: np.ndarray, cl: np.ndarray, cu: np.ndarray,
                 c: np.ndarray, frozen_cols: np.ndarray | None = None, max_rounds: int = 64, seed: int = 0,
                 _plan: tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]] | None = None) -> None:
        self.shape = A.shape
        nr, nc = A.shape
        rng = np.random.default_rng(seed)
        A = sp.csr_matrix(A, copy=True)
        A.sum_duplicates()
        rl, ru, c = rl.astype(float), ru.astype(float), c.astype(float)
        allowed = np.ones(nc, dtype=bool)
        if frozen_cols is not None:
            allowed[frozen_cols] = False
        # fixed columns leave first: their a_j x_j goes to the right-hand sides
        self.fixed = np.flatnonzero(np.isfinite(cl) & (cl == cu)) if _plan is None else _plan[0]
        self.A_fixed = A[:, self.fixed].tocsr()
        shift = self.A_fixed @ cl[self.fixed]
        rl, ru = rl - shift, ru - shift
        col_alive = np.ones(nc, dtype=bool)
        col_alive[self.fixed] = False
        if self.fixed.size:
            A.data[~col_alive[A.indices]] = 0.0
            A.eliminate_zeros()
        self.rounds: list[Round] = []
        row_alive = np.ones(nr, dtype=bool)
        check: np.ndarray | None = None  # rows whose pairs to test (None: all)
        pending = (np.zeros(0, np.int64),) * 2 + (np.zeros(0),)  # pairs valid and not yet used
        for m in range(max_rounds if _plan is None else len(_plan[1])):
            if _plan is None:
                found = self._round(A, rl, ru, cl, cu, allowed & col_alive, row_alive, rng, check, pending)
                if found is None:
                    break
                r, k, check, pending = found
            else:
                r, k = _plan[1][m]
            rnd, A, rl, ru, c = self._apply(A, rl, ru, c, r, k)
            if _plan is None:  # the next round tests the rows this one changed
                check = self._changed_rows(A, rnd, check)
            self.rounds.append(rnd)
            row_alive[rnd.rows] = False
            col_alive[rnd.cols] = False
            if _plan is None and rnd.rows.size < MIN_SHARE * row_alive.sum():
                break
        self.row_keep = np.flatnonzero(row_alive)
        self.col_keep = np.flatnonzero(col_alive)
        self.A = A[self.row_keep][:, self.col_keep].tocsr()
        self.A.sort_indices()

    def replay(self, A: sp.csr_matrix, rl: np.ndarray, ru: np.ndarray, cl: np.ndarray, cu: np.ndarray,
               c: np.ndarray) -> Aggregation | None:
        """The same substitutions on a matrix with changed coefficients, or None when they no
        longer hold (a fixed column unfixed, a pivot gone to zero, a bound no longer implied)."""
        if not np.array_equal(cl[self.fixed], cu[self.fixed]):
            return None
        try:
            again = Aggregation(A, rl, ru, cl, cu, c, _plan=(self.fixed, [(rd.rows, rd.cols) for rd in self.rounds]))
        except _PivotGone:
            return None
        return again if again.valid(rl, ru, cl, cu) else None

    # -- building ------------------------------------------------------------------------------
    @staticmethod
    def _pairs(A, rl, cl, cu, cand_col, U):
        """The pairs (row r, column k, a_rk) of the equality rows U whose column k is a candidate
        and has its bounds implied by row r."""
        sub = A[U]
        sub.data[np.abs(sub.data) <= DROP_TOL] = 0.0  # an entry kept only for a coefficient parameter
        sub.eliminate_zeros()
        sub_rows = np.repeat(np.arange(U.size, dtype=np.int64), np.diff(sub.indptr))
        e = np.flatnonzero(cand_col[sub.indices])
        local, k, piv = sub_rows[e], sub.indices[e].astype(np.int64), sub.data[e]
        x_lo, x_hi = _implied(sub_rows, sub.data, sub.indices, U.size, cl, cu, e, rl[U[local]])
        ok = _within(x_lo, x_hi, cl[k], cu[k])
        return U[local[ok]], k[ok], piv[ok]

    @staticmethod
    def _round(A, rl, ru, cl, cu, allowed, row_alive, rng, check, pending):
        """The pairs (source rows, pivot columns) of the next round, and the pairs found valid but
        not taken (they stay valid while their row does not change)."""
        nr, nc = A.shape
        indptr, indices = A.indptr, A.indices
        count = np.bincount(indices, minlength=nc)
        cand_col = allowed & ((count == 1) | (count == 2))
        eq = row_alive & (rl == ru) & np.isfinite(rl)
        if check is None:  # the first round: every equality row holding a candidate column
            rows_of_entry = np.repeat(np.arange(nr, dtype=np.int64), np.diff(indptr))
            check = np.flatnonzero(eq & (np.bincount(rows_of_entry[cand_col[indices]], minlength=nr) > 0))
        else:
            check = check[eq[check]]
        keep_old = cand_col[pending[1]] & eq[pending[0]]
        keep_old[keep_old] = ~np.isin(pending[0][keep_old], check)
        if check.size:
            r, k, piv = Aggregation._pairs(A, rl, cl, cu, cand_col, check)
        else:
            r, k, piv = pending[0][:0], pending[1][:0], pending[2][:0]
        r = np.concatenate([r, pending[0][keep_old]])
        k = np.concatenate([k, pending[1][keep_old]])
        piv = np.concatenate([piv, pending[2][keep_old]])
        if not r.size:
            return None
        # the other row of k: the row of its other entry, when it has two
        other = _other_rows(A, k, r, count)
        # priority: the shortest source rows first (least fill), random among equals
        order = np.lexsort((rng.random(r.size), np.diff(indptr)[r]))
        r, k, piv, other = r[order], k[order], piv[order], other[order]
        rank = np.arange(r.size)
        first_k = np.zeros(r.size, dtype=bool)
        first_k[np.unique(k, return_index=True)[1]] = True
        first_r = np.zeros(r.size, dtype=bool)
        first_r[np.unique(r, return_index=True)[1]] = True
        keep = first_k & first_r
        # no row both a source and a target in one round: the higher priority wins
        big = np.iinfo(np.int64).max
        has = keep & (other >= 0)
        best_target = np.full(nr, big, dtype=np.int64)
        np.minimum.at(best_target, other[has], rank[has])
        best_source = np.full(nr, big, dtype=np.int64)
        best_source[r[keep][::-1]] = rank[keep][::-1]
        acc = keep & (best_target[r] > rank)
        acc[has] &= best_source[other[has]] > rank[has]
        if not acc.any():
            return None
        taken_rows = np.zeros(nr, dtype=bool)
        taken_rows[r[acc]] = True
        taken_rows[other[acc & (other >= 0)]] = True
        rest = ~acc & ~taken_rows[r]
        rest &= ~np.isin(k, k[acc])
        # rows whose columns lost an entry may hold new candidates: the targets' rows are
        # retested, and so are the rows of every column of a source row
        return r[acc], k[acc], np.flatnonzero(taken_rows), (r[rest], k[rest], piv[rest])

    @staticmethod
    def _changed_rows(A, rnd, taken):
        """Rows whose pairs may have changed in a round: its targets, and the rows holding a
        column of a source row (that column has one entry fewer, or the same)."""
        nr, nc = A.shape
        moved = np.zeros(nc, dtype=bool)
        moved[rnd.S.indices] = True
        moved[rnd.cols] = False
        pos = np.flatnonzero(moved[A.indices])
        rows = np.searchsorted(A.indptr, pos, side="right") - 1
        changed = np.zeros(nr, dtype=bool)
        changed[rows] = True
        changed[rnd.other[rnd.other >= 0]] = True
        changed[rnd.rows] = False
        return np.flatnonzero(changed)

    @staticmethod
    def _apply(A, rl, ru, c, r, k):
        """Substitute x_k out through row r for the pairs (r, k) of one round."""
        nr, nc = A.shape
        S = A[r]
        S.data[np.abs(S.data) <= DROP_TOL] = 0.0
        S.eliminate_zeros()
        S.sort_indices()
        pivot_entry = np.flatnonzero(S.indices == np.repeat(k, np.diff(S.indptr)))
        if pivot_entry.size != r.size:
            raise _PivotGone
        piv = S.data[pivot_entry]
        count = np.bincount(A.indices, minlength=nc)
        other = _other_rows(A, k, r, count)
        has = other >= 0
        aik = np.zeros(r.size)
        if has.any():
            aik[has] = _entries(A, other[has], k[has])
        rnd = Round(r, k, piv, other, aik, S, pivot_entry)
        C = sp.csr_matrix((-aik[has] / piv[has], (other[has], np.flatnonzero(has))), shape=(nr, r.size))
        A = (A + C @ S).tocsr()
        shift = C @ rl[r]
        rl, ru = rl + shift, ru + shift
        c = c - S.T @ (c[k] / piv)
        c[k] = 0.0
        # rows r and columns k leave; cancelled fill goes
        dead_row = np.zeros(nr, dtype=bool)
        dead_row[r] = True
        dead_col = np.zeros(nc, dtype=bool)
        dead_col[k] = True
        ent_rows = np.repeat(np.arange(nr, dtype=np.int64), np.diff(A.indptr))
        A.data[dead_row[ent_rows] | dead_col[A.indices] | (np.abs(A.data) <= DROP_TOL)] = 0.0
        A.eliminate_zeros()
        return rnd, A, rl, ru, c

    # -- the LP HiGHS gets ---------------------------------------------------------------------
    def vectors(self, rl: np.ndarray, ru: np.ndarray, cl: np.ndarray, c: np.ndarray):
        """(rl', ru', c', offset, b_r and c_k per round) of the aggregated LP for the solver LP's
        row bounds, column lower bounds (the values of the fixed columns) and costs: the rounds
        replayed on vectors."""
        xf = cl[self.fixed]
        shift = self.A_fixed @ xf
        rl, ru, c = rl - shift, ru - shift, c.astype(float)
        offset = float(c[self.fixed] @ xf)
        seen = []
        nr = self.shape[0]
        for rnd in self.rounds:
            br, ck = rl[rnd.rows].copy(), c[rnd.cols].copy()
            seen.append((br, ck))
            has = rnd.other >= 0
            shift = np.bincount(rnd.other[has], weights=-rnd.aik[has] / rnd.piv[has] * br[has], minlength=nr)
            rl += shift
            ru += shift
            fac = ck / rnd.piv
            c -= rnd.S.T @ fac
            offset += float(fac @ br)
        return (rl[self.row_keep], ru[self.row_keep], c[self.col_keep], offset, seen)

    def valid(self, rl: np.ndarray, ru: np.ndarray, cl: np.ndarray, cu: np.ndarray) -> bool:
        """Whether the substitutions still hold for these bounds: every source row an equality and
        every pivot's bounds implied by it."""
        if not np.array_equal(cl[self.fixed], cu[self.fixed]):
            return False
        shift = self.A_fixed @ cl[self.fixed]
        rl, ru = rl - shift, ru - shift
        nr = self.shape[0]
        for rnd in self.rounds:
            br = rl[rnd.rows]
            if not np.array_equal(br, ru[rnd.rows]) or not np.isfinite(br).all():
                return False
            S = rnd.S
            rows_of_entry = np.repeat(np.arange(S.shape[0], dtype=np.int64), np.diff(S.indptr))
            x_lo, x_hi = _implied(rows_of_entry, S.data, S.indices, S.shape[0], cl, cu, rnd.pivot_entry, br)
            if not _within(x_lo, x_hi, cl[rnd.cols], cu[rnd.cols]).all():
                return False
            has = rnd.other >= 0
            shift = np.bincount(rnd.other[has], weights=-rnd.aik[has] / rnd.piv[has] * br[has], minlength=nr)
            rl, ru = rl + shift, ru + shift
        return True

    def touches(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Which matrix entries (solver rows, columns) the aggregated LP does not take as they are:
        an entry in a source row, in an eliminated column or in a fixed one."""
        dead_row = np.ones(self.shape[0], dtype=bool)
        dead_row[self.row_keep] = False
        dead_col = np.ones(self.shape[1], dtype=bool)
        dead_col[self.col_keep] = False
        return dead_row[rows] | dead_col[cols]

    # -- postsolve -----------------------------------------------------------------------------
    def primal(self, x_kept: np.ndarray, cl: np.ndarray, seen) -> np.ndarray:
        x = np.zeros(self.shape[1])
        x[self.col_keep] = x_kept
        x[self.fixed] = cl[self.fixed]
        for rnd, (br, _ck) in zip(reversed(self.rounds), reversed(seen), strict=True):
            x[rnd.cols] = (br - rnd.S @ x) / rnd.piv
        return x

    def duals(self, y_kept: np.ndarray, d_kept: np.ndarray, c: np.ndarray, seen) -> tuple[np.ndarray, np.ndarray]:
        """Row duals y and reduced costs d of the solver LP (``c``: its costs)."""
        y = np.zeros(self.shape[0])
        y[self.row_keep] = y_kept
        d = np.zeros(self.shape[1])
        d[self.col_keep] = d_kept
        for rnd, (_br, ck) in zip(reversed(self.rounds), reversed(seen), strict=True):
            yi = np.where(rnd.other >= 0, y[np.maximum(rnd.other, 0)], 0.0)
            y[rnd.rows] = (ck - rnd.aik * yi) / rnd.piv
        if self.fixed.size:  # a fixed column's reduced cost: c_j - a_j' y
            d[self.fixed] = c[self.fixed] - self.A_fixed.T @ y
        return y, d
