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
substitutions stay valid while every fixed column stays fixed and every source row an equality
(:meth:`Aggregation.check`).  A pivot whose bounds its row no longer implies (a capacity set on a
substituted flow) gets a row of its own in HiGHS's LP, its bounds on its expression in the
columns HiGHS holds,

    xl_k - h_k <= G_k x_H <= xu_k - h_k       (x_k = G_k x_H + h_k, :meth:`Aggregation.expression`)

whose dual is the reduced cost d_k of x_k, so that y_r = (c_k - d_k - a_ik y_i) / a_rk.  Adding
a row keeps HiGHS's basis.  A changed matrix coefficient in a row and a column HiGHS holds (a
lake's evaporation on its storage, a plant's head) moves HiGHS's entry by the same amount: the
fill there comes from source rows and pivots only.  One in a fixed column goes to the right-hand
sides.  Any other (a loss fraction of a substituted reach) replays the same rounds on the new
matrix (:meth:`Aggregation.replay`): the same rows and columns leave, so HiGHS keeps its basis
too.  A change that breaks a substitution (a zero target
raised, which unfixes its shortfall columns) aggregates the LP anew, and HiGHS starts from
scratch.

HiGHS's own presolve does the same substitutions (its aggregator), but at 1000 nodes x 365
months it spends two thirds of its run on them; done here on whole arrays they take a fraction of
that, and HiGHS presolves what is left.  LPs below :data:`MIN_COLUMNS` columns go to HiGHS as
they are (``Allocation(basin, aggregate=True/False)`` overrides).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .distinct import distinct, first_positions

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
    lo_b, up_b = cl[cols], cu[cols]
    neg = data < 0
    lo_b[neg], up_b[neg] = up_b[neg], lo_b[neg]
    return data * lo_b, data * up_b


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


def _count(count: np.ndarray, cols: np.ndarray, sign: int) -> None:
    """``count[j] += sign`` for every occurrence of j in ``cols``, in place: by one ``bincount`` over
    every column when ``cols`` is long, else by a sort of ``cols`` alone (a round's few entries
    against millions of columns)."""
    if cols.size * 16 < count.size:
        j, hits = np.unique(cols, return_counts=True)  # the counting path of np.unique sorts
        count[j] += (sign * hits).astype(count.dtype)
        return
    every = np.bincount(cols, minlength=count.size)
    if sign > 0:
        np.add(count, every, out=count, casting="unsafe")
    else:
        np.subtract(count, every, out=count, casting="unsafe")


def _rows_of(indptr: np.ndarray, lo: int, hi: int, pos: np.ndarray) -> np.ndarray:
    """The row of each entry position ``pos`` (all in [lo, hi)) of a CSR matrix: searched among the
    rows the slice spans only, with the keys in ``indptr``'s own integer type (numpy casts the
    whole array to the keys' type otherwise: 3 ms a search at 3.7 M rows)."""
    kind = indptr.dtype
    r0, r1 = np.searchsorted(indptr, np.array([lo, hi - 1], dtype=kind), side="right")
    span = indptr[r0 - 1:r1 + 1]
    return (r0 - 1) + np.searchsorted(span, pos.astype(kind, copy=False), side="right") - 1


class _PivotGone(Exception):
    """A replayed pivot a_rk is no longer in the matrix, or its column now has more than two
    entries (a coefficient that was 0 is not any more)."""


#: rows tested for pairs at a time (bounds the temporaries of a round)
CHUNK_ENTRIES = 1 << 17


class _Work:
    """The solver LP's matrix while rounds substitute: the rows of the caller's matrix ``B`` as
    they are (never copied, never changed), and an overlay ``O`` holding the rows a round
    changed; dead rows (sources) and dead columns (fixed, substituted) are left out on reading."""

    def __init__(self, B: sp.csr_matrix, rows: np.ndarray, nc: int, dead_cols: np.ndarray) -> None:
        self.B, self.brow = B, rows.astype(np.int64)  # solver row s is row brow[s] of B
        self.nr, self.nc = rows.size, nc
        self.row_dead = np.zeros(self.nr, dtype=bool)
        self.col_dead = dead_cols
        self.ov_pos = np.full(self.nr, -1, dtype=np.int32)
        self.ov_rows = np.zeros(0, dtype=np.int64)
        self.O = sp.csr_matrix((0, nc))
        self._s_of_b: np.ndarray | None = None
        # live entries per column
        mapped = np.zeros(B.shape[0], dtype=bool)
        mapped[self.brow] = True
        live = np.repeat(mapped, np.diff(B.indptr))
        live &= ~dead_cols[B.indices]
        live &= np.abs(B.data) > DROP_TOL
        self.count = np.bincount(B.indices[live], minlength=nc).astype(np.int32)
        del live

    def _clean(self, M: sp.csr_matrix) -> sp.csr_matrix:
        M.data[self.col_dead[M.indices] | (np.abs(M.data) <= DROP_TOL)] = 0.0
        M.eliminate_zeros()
        return M

    def _from_b(self, s: np.ndarray) -> sp.csr_matrix:
        return self._clean(self.B[self.brow[s]])

    def rows(self, s: np.ndarray) -> sp.csr_matrix:
        """The current content of solver rows ``s`` (in that order; live columns only)."""
        s = np.asarray(s, dtype=np.int64)
        pos = self.ov_pos[s]
        isov = pos >= 0
        if not isov.any():
            return self._from_b(s)
        if isov.all():
            return self._clean(self.O[pos])
        M = sp.vstack([self._from_b(s[~isov]), self._clean(self.O[pos[isov]])], format="csr")
        order = np.concatenate([np.flatnonzero(~isov), np.flatnonzero(isov)])
        back = np.empty_like(order)
        back[order] = np.arange(order.size)
        return M[back]

    def replace(self, t: np.ndarray, content: sp.csr_matrix, dead: np.ndarray) -> None:
        """Rows ``t`` now hold ``content``; rows ``dead`` leave."""
        old = np.concatenate([t, dead])
        self.row_dead[dead] = True
        keep = self.ov_rows[~np.isin(self.ov_rows, old)]
        if keep.size:
            parts = [self.O[self.ov_pos[keep]], content]
            self.O = sp.vstack(parts, format="csr")
            del parts
        else:  # every row of the overlay replaced: the content is the overlay
            self.O = content
        self.ov_pos[self.ov_rows] = -1
        self.ov_rows = np.concatenate([keep, t])
        self.ov_pos[self.ov_rows] = np.arange(self.ov_rows.size)

    def rows_holding(self, cols_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(solver row, column, value) of every live entry in a column of ``cols_mask``; B is read
        in slices of :data:`CHUNK_ENTRIES` entries, to bound the temporaries."""
        out_r, out_c, out_v = [], [], []
        B, s_of_b = self.B, self._solver_of_b()
        for lo in range(0, B.nnz, 4 * CHUNK_ENTRIES):
            hi = min(B.nnz, lo + 4 * CHUNK_ENTRIES)
            pos = lo + np.flatnonzero(cols_mask[B.indices[lo:hi]])
            srow = s_of_b[_rows_of(B.indptr, lo, hi, pos)]
            ok = srow >= 0
            ok[ok] = ~self.row_dead[srow[ok]] & (self.ov_pos[srow[ok]] < 0)
            ok &= np.abs(B.data[pos]) > DROP_TOL
            out_r.append(srow[ok].astype(np.int64))
            out_c.append(B.indices[pos[ok]].astype(np.int64))
            out_v.append(B.data[pos[ok]])
        if self.O.nnz:
            ov = self.O
            pos = np.flatnonzero(cols_mask[ov.indices])
            orows = self.ov_rows[np.searchsorted(ov.indptr, pos, side="right") - 1]
            ok = ~self.row_dead[orows] & (np.abs(ov.data[pos]) > DROP_TOL)
            out_r.append(orows[ok])
            out_c.append(ov.indices[pos[ok]].astype(np.int64))
            out_v.append(ov.data[pos[ok]])
        if not out_r:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_v)

    def lengths(self, s: np.ndarray) -> np.ndarray:
        """Stored entries of solver rows ``s`` (dead columns included: an upper bound)."""
        pos = self.ov_pos[s]
        out = np.diff(self.B.indptr)[self.brow[s]]
        isov = pos >= 0
        out[isov] = np.diff(self.O.indptr)[pos[isov]]
        return out

    def rows_with(self, cols_mask: np.ndarray) -> np.ndarray:
        """Whether each solver row holds a live entry in a column of ``cols_mask``."""
        out = np.zeros(self.nr, dtype=bool)
        B, s_of_b = self.B, self._solver_of_b()
        for lo in range(0, B.nnz, 4 * CHUNK_ENTRIES):
            hi = min(B.nnz, lo + 4 * CHUNK_ENTRIES)
            pos = lo + np.flatnonzero(cols_mask[B.indices[lo:hi]] & (np.abs(B.data[lo:hi]) > DROP_TOL))
            srow = s_of_b[_rows_of(B.indptr, lo, hi, pos)]
            srow = srow[srow >= 0]
            out[srow[self.ov_pos[srow] < 0]] = True
        if self.O.nnz:
            pos = np.flatnonzero(cols_mask[self.O.indices])
            out[self.ov_rows[np.searchsorted(self.O.indptr, pos, side="right") - 1]] = True
        out &= ~self.row_dead
        return out

    def _solver_of_b(self) -> np.ndarray:
        if self._s_of_b is None:
            self._s_of_b = np.full(self.B.shape[0], -1, dtype=np.int32)
            self._s_of_b[self.brow] = np.arange(self.nr)
        return self._s_of_b

    def other_rows(self, k: np.ndarray, r: np.ndarray, piv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For columns k with one or two live entries, one of them a_rk in row r: the row of the
        other (-1 when none) and its value a_ik (0)."""
        two = self.count[k] == 2
        want = np.zeros(self.nc, dtype=bool)
        want[k[two]] = True
        rows, cols, vals = self.rows_holding(want)
        row_sum = np.bincount(cols, rows.astype(float), self.nc)
        val_sum = np.bincount(cols, vals, self.nc)
        return np.where(two, row_sum[k].astype(np.int64) - r, -1), np.where(two, val_sum[k] - piv, 0.0)


class Aggregation:
    """The rounds of substitutions on the solver's LP and the LP they leave for HiGHS.

    ``Aggregation(A, rows, rl, ru, cl, cu, c)``: solver row s is row ``rows[s]`` of ``A`` (the full
    LP's matrix, read and never changed).  It chooses the rounds; :meth:`replay` follows the same
    choices on changed coefficients (the same rows and columns leave, so HiGHS's basis still fits)."""

    def __init__(self, A: sp.csr_matrix, rows: np.ndarray, rl: np.ndarray, ru: np.ndarray, cl: np.ndarray,
                 cu: np.ndarray, c: np.ndarray, max_rounds: int = 64,
                 seed: int = 0,
                 _plan: tuple[np.ndarray, list[tuple[np.ndarray, ...]]] | None = None) -> None:
        nr, nc = rows.size, A.shape[1]
        self.shape = (nr, nc)
        rng = np.random.default_rng(seed)
        rl, ru, c = rl.astype(float), ru.astype(float), c.astype(float)
        # fixed columns leave first: their a_j x_j goes to the right-hand sides
        self.fixed = np.flatnonzero(np.isfinite(cl) & (cl == cu)) if _plan is None else _plan[0]
        col_dead = np.zeros(nc, dtype=bool)
        col_dead[self.fixed] = True
        fixed_cols = sp.csr_matrix(A[:, self.fixed])
        self.A_fixed = sp.csr_matrix(fixed_cols[rows])
        self.A_fixed.sort_indices()
        del fixed_cols
        shift = self.A_fixed @ cl[self.fixed]
        rl -= shift
        ru -= shift
        work = _Work(A, rows, nc, col_dead)
        self.rounds: list[Round] = []
        check: np.ndarray | None = None  # rows whose pairs to test (None: all)
        pending = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
        for m in range(max_rounds if _plan is None else len(_plan[1])):
            if _plan is None:
                found = self._round(work, rl, ru, cl, cu, rng, check, pending)
                if found is None:
                    break
                pairs, pending = found
            else:
                pairs = _plan[1][m]
            rnd, rl, ru, c, check = self._apply(work, rl, ru, c, *pairs)
            self.rounds.append(rnd)
            if _plan is None and rnd.rows.size < MIN_SHARE * (~work.row_dead).sum():
                break
        self.row_keep = np.flatnonzero(~work.row_dead)
        self.col_keep = np.flatnonzero(~work.col_dead)
        #: the aggregated matrix (rows row_keep, columns col_keep) until the solver takes it
        self.A: sp.csr_matrix | None = work.rows(self.row_keep)[:, self.col_keep].tocsr()
        self.A.sort_indices()

    def replay(self, A: sp.csr_matrix, rows: np.ndarray, rl: np.ndarray, ru: np.ndarray, cl: np.ndarray,
               cu: np.ndarray, c: np.ndarray) -> tuple[Aggregation, np.ndarray] | None:
        """The same substitutions on a matrix with changed coefficients, and the pivots whose
        bounds are no longer implied (they need bound rows from the caller, :meth:`check`); None
        when the substitutions no longer hold (a fixed column unfixed, a pivot gone to zero)."""
        if not np.array_equal(cl[self.fixed], cu[self.fixed]):
            return None
        try:
            again = Aggregation(A, rows, rl, ru, cl, cu, c,
                                _plan=(self.fixed, [(rd.rows, rd.cols) for rd in self.rounds]))
        except _PivotGone:
            return None
        failing = again.check(rl, ru, cl, cu)
        return None if failing is None else (again, failing)

    # -- building ------------------------------------------------------------------------------
    @staticmethod
    def _pairs(work: _Work, rl, cl, cu, cand_col, U):
        """The pairs (row r, column k, a_rk, the length of row r) of the equality rows U whose
        column k is a candidate and has its bounds implied by row r; U in chunks, to bound the
        temporaries."""
        out_r, out_k, out_p, out_n = [], [], [], []
        ends = np.cumsum(work.lengths(U))
        cuts = np.searchsorted(ends, np.arange(CHUNK_ENTRIES, ends[-1] if ends.size else 0, CHUNK_ENTRIES))
        for part in np.split(U, distinct(cuts)):
            if not part.size:
                continue
            sub = work.rows(part)
            sub_rows = np.repeat(np.arange(part.size, dtype=np.int64), np.diff(sub.indptr))
            e = np.flatnonzero(cand_col[sub.indices])
            if not e.size:
                continue
            local, k, piv = sub_rows[e], sub.indices[e].astype(np.int64), sub.data[e]
            x_lo, x_hi = _implied(sub_rows, sub.data, sub.indices, part.size, cl, cu, e, rl[part[local]])
            ok = _within(x_lo, x_hi, cl[k], cu[k])
            out_r.append(part[local[ok]].astype(np.int32))
            out_k.append(k[ok].astype(np.int32))
            out_p.append(piv[ok])
            out_n.append(np.diff(sub.indptr)[local[ok]].astype(np.int32))
        if not out_r:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)
        return tuple(np.concatenate(v) for v in (out_r, out_k, out_p, out_n))

    @staticmethod
    def _round(work: _Work, rl, ru, cl, cu, rng, check, pending):
        """The pairs (source rows, pivot columns) of the next round, and the pairs found valid but
        not taken (they stay valid while their row does not change)."""
        nr = work.nr
        cand_col = ~work.col_dead & ((work.count == 1) | (work.count == 2))
        eq = ~work.row_dead & (rl == ru) & np.isfinite(rl)
        # the first round tests every equality row holding a candidate column
        check = np.flatnonzero(eq & work.rows_with(cand_col)) if check is None else check[eq[check]]
        # pairs found valid before and not taken stay valid while their row did not change
        keep_old = cand_col[pending[1]] & eq[pending[0]]
        keep_old[keep_old] = ~np.isin(pending[0][keep_old], check)
        found = Aggregation._pairs(work, rl, cl, cu, cand_col, check)
        r, k, piv, length = (np.concatenate([new, old[keep_old]]) for new, old in zip(found, pending, strict=True))
        if not r.size:
            return None
        other, aik = work.other_rows(k, r, piv)
        # priority: the shortest source rows first (least fill), random among equals
        order = np.lexsort((rng.random(r.size), length))
        r, k, piv, other, aik, length = r[order], k[order], piv[order], other[order], aik[order], length[order]
        rank = np.arange(r.size)
        first_k = np.zeros(r.size, dtype=bool)
        first_k[first_positions(k)] = True
        first_r = np.zeros(r.size, dtype=bool)
        first_r[first_positions(r)] = True
        keep = first_k & first_r
        # no row both a source and a target in one round: the higher priority wins
        big = np.iinfo(np.int64).max
        has = keep & (other >= 0)
        best_target = np.full(nr, big, dtype=np.int64)
        best_target[other[has][::-1]] = rank[has][::-1]  # ranks ascend: the last write is the least
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
        return (r[acc], k[acc], other[acc], aik[acc]), (r[rest], k[rest], piv[rest], length[rest])

    @staticmethod
    def _apply(work: _Work, rl, ru, c, r, k, other=None, aik=None):
        """Substitute x_k out through row r for the pairs (r, k) of one round (``other``, ``aik``:
        the other row of k and its entry, when known); the rows the next round tests (the
        targets, and the rows of the columns that lost an entry)."""
        nr = work.nr
        S = work.rows(r)
        S.sort_indices()
        pivot_entry = np.flatnonzero(S.indices == np.repeat(k, np.diff(S.indptr)))
        if pivot_entry.size != r.size:
            raise _PivotGone
        piv = S.data[pivot_entry]
        if other is None or aik is None:  # a replay: a column may have gained an entry since
            if ((work.count[k] < 1) | (work.count[k] > 2)).any():
                raise _PivotGone
            other, aik = work.other_rows(k, r, piv)
        has = other >= 0
        targets = distinct(other[has])
        T = work.rows(targets)
        rnd = Round(r.astype(np.int32), k.astype(np.int32), piv, other.astype(np.int32), aik, S,
                    pivot_entry.astype(np.int32))
        C = sp.csr_matrix((-aik[has] / piv[has], (np.searchsorted(targets, other[has]), np.flatnonzero(has))),
                          shape=(targets.size, r.size))
        work.col_dead[k] = True
        new_T = work._clean((T + C @ S).tocsr())
        # live entries per column: the targets' old content and the sources leave, the new comes
        before = work.count.copy()
        _count(work.count, T.indices, -1)
        del T
        _count(work.count, S.indices, -1)
        _count(work.count, new_T.indices, 1)
        shift = np.zeros(nr)
        shift[targets] = C @ rl[r]
        rl += shift  # (the caller's copies: Aggregation's own)
        ru += shift
        c -= S.T @ (c[k] / piv)
        c[k] = 0.0
        work.replace(targets, new_T, r)
        del new_T
        # next round: the targets, and the rows holding a column that lost an entry
        fell = work.count < before
        del before
        fell &= ~work.col_dead & (work.count <= 2)
        rows_fell = work.rows_holding(fell)[0]
        changed = np.zeros(nr, dtype=bool)
        changed[targets] = True
        changed[rows_fell] = True
        changed[work.row_dead] = False
        return rnd, rl, ru, c, np.flatnonzero(changed)

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

    def check(self, rl: np.ndarray, ru: np.ndarray, cl: np.ndarray, cu: np.ndarray) -> np.ndarray | None:
        """For these bounds: None when a substitution no longer holds (a fixed column unfixed, a
        source row no longer an equality), else the pivot columns whose bounds their rows no longer
        imply (they need a row of their own: :meth:`expression`)."""
        if not np.array_equal(cl[self.fixed], cu[self.fixed]):
            return None
        shift = self.A_fixed @ cl[self.fixed]
        rl, ru = rl - shift, ru - shift
        nr = self.shape[0]
        failing = []
        for rnd in self.rounds:
            br = rl[rnd.rows]
            if not np.array_equal(br, ru[rnd.rows]) or not np.isfinite(br).all():
                return None
            S = rnd.S
            rows_of_entry = np.repeat(np.arange(S.shape[0], dtype=np.int64), np.diff(S.indptr))
            x_lo, x_hi = _implied(rows_of_entry, S.data, S.indices, S.shape[0], cl, cu, rnd.pivot_entry, br)
            failing.append(rnd.cols[~_within(x_lo, x_hi, cl[rnd.cols], cu[rnd.cols])])
            has = rnd.other >= 0
            shift = np.bincount(rnd.other[has], weights=-rnd.aik[has] / rnd.piv[has] * br[has], minlength=nr)
            rl, ru = rl + shift, ru + shift
        return np.concatenate(failing) if failing else np.zeros(0, dtype=np.int64)

    def expression(self, cols: np.ndarray) -> sp.csr_matrix:
        """Substituted columns as linear functions of the columns HiGHS holds: row j of the result
        G (columns ``col_keep``) gives x_{cols[j]} = G_j x_H + h_j, where h (the value at x_H = 0)
        comes from :meth:`primal`.  Forward through the rounds, a column substituted in round m is
        replaced by its source row, x_k = (b_r - sum_{j != k} S_rj x_j) / a_rk."""
        nc = self.shape[1]
        cols = np.asarray(cols, dtype=np.int64)
        G = sp.csr_matrix((np.ones(cols.size), (np.arange(cols.size), cols)), shape=(cols.size, nc))
        for rnd in self.rounds:
            Gm = G[:, rnd.cols]
            if not Gm.nnz:
                continue
            G = (G - (Gm @ sp.diags(1.0 / rnd.piv)) @ rnd.S).tocsr()  # the pivot entries cancel
            G.data[np.abs(G.data) <= DROP_TOL] = 0.0
            G.eliminate_zeros()
        return G[:, self.col_keep].tocsr()

    # -- postsolve -----------------------------------------------------------------------------
    def primal(self, x_kept: np.ndarray, cl: np.ndarray, seen) -> np.ndarray:
        x = np.zeros(self.shape[1])
        x[self.col_keep] = x_kept
        x[self.fixed] = cl[self.fixed]
        for rnd, (br, _ck) in zip(reversed(self.rounds), reversed(seen), strict=True):
            x[rnd.cols] = (br - rnd.S @ x) / rnd.piv
        return x

    def duals(self, y_kept: np.ndarray, d_kept: np.ndarray, c: np.ndarray, seen,
              bounded: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Row duals y and reduced costs d of the solver LP (``c``: its costs).  ``bounded``:
        (substituted columns with a bound row, those rows' duals): the dual of such a row is the
        reduced cost d_k of its column, and then y_r = (c_k - d_k - a_ik y_i) / a_rk."""
        y = np.zeros(self.shape[0])
        y[self.row_keep] = y_kept
        d = np.zeros(self.shape[1])
        d[self.col_keep] = d_kept
        if bounded is not None and bounded[0].size:
            d[bounded[0]] = bounded[1]
        for rnd, (_br, ck) in zip(reversed(self.rounds), reversed(seen), strict=True):
            yi = np.where(rnd.other >= 0, y[np.maximum(rnd.other, 0)], 0.0)
            y[rnd.rows] = (ck - d[rnd.cols] - rnd.aik * yi) / rnd.piv
        if self.fixed.size:  # a fixed column's reduced cost: c_j - a_j' y
            d[self.fixed] = c[self.fixed] - self.A_fixed.T @ y
        return y, d
