"""The LP in matrix form, built family by family from whole arrays, with named parameters.

    min  c' x      s.t.   rl <= A x <= ru,   xl <= x <= xu

Every constraint family adds its variables as a :class:`VarBlock` (an array of column numbers shaped
like the index, e.g. links x periods), its rows as a :class:`RowBlock` (row numbers shaped like the
index) and its coefficients as whole arrays of (row, column, value) triplets in one call
(:meth:`LPBuilder.add_terms`, numpy broadcasting).  No Python runs per row.

**Named parameters.**  Bounds and costs are written as

    value = base + M_p . p          for every named parameter p (local inflow, demand target, ...)

where ``base`` holds what no parameter changes and ``M_p`` is a sparse map recorded once, by the
family that uses the parameter (:meth:`LPBuilder.add_effect`).  A change of ``p`` recomputes exactly
the entries ``M_p`` touches; a family that reads an input through a parameter cannot be missed by
a re-solve.  Values of ``+-inf`` (an unlimited capacity) pass through the map unchanged.

**Coefficients** can be parameters too (an evaporation depth, a link's loss fraction):

    A[r,c] = base[r,c] + sum_p  M_p . p      (target ``coef``: the entries of ``A.data``)

recorded with :meth:`LPBuilder.add_coef_effect`.  Such an entry stays in the matrix's structure
even while its value is 0, so a change can always reach it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .distinct import distinct

INF = float("inf")
#: what a parameter can act on
TARGETS = ("row_lower", "row_upper", "col_lower", "col_upper", "cost")


@dataclass(frozen=True)
class VarBlock:
    """A family of columns: ``cols`` holds the column numbers, shaped like the index; ``axes``
    gives the labels of each axis (e.g. link ids, period numbers)."""

    name: str
    cols: np.ndarray
    axes: tuple[Sequence, ...]

    def __len__(self) -> int:
        return int(self.cols.size)


@dataclass(frozen=True)
class RowBlock:
    """A family of rows: ``rows`` holds the row numbers, shaped like the index."""

    name: str
    rows: np.ndarray
    axes: tuple[Sequence, ...]

    def __len__(self) -> int:
        return int(self.rows.size)


@dataclass
class Parameter:
    """A named input: ``values[k]`` for key ``keys[k]`` (a row of ``shape[1:]`` per key)."""

    name: str
    keys: list[str]
    values: np.ndarray
    unit: str
    position: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.values = np.array(self.values, dtype=float)
        self.position = {k: i for i, k in enumerate(self.keys)}

    @property
    def flat(self) -> np.ndarray:
        return self.values.reshape(-1)

    def flat_index(self, key_pos, inner=None) -> np.ndarray:
        """Flat positions of (key position, inner position) pairs (arrays broadcast)."""
        inner_size = int(np.prod(self.values.shape[1:], dtype=np.int64))
        key_pos = np.asarray(key_pos, dtype=np.int64)
        if inner is None:
            return key_pos * inner_size
        return key_pos * inner_size + np.asarray(inner, dtype=np.int64)


def _positions(start: int, axes: tuple[Sequence, ...]) -> np.ndarray:
    """Consecutive column or row numbers from ``start``, shaped like the product of ``axes``."""
    shape = tuple(len(a) for a in axes)
    end = start + int(np.prod(shape, dtype=np.int64))
    return np.arange(start, end, dtype=np.int32 if end < 2**31 else np.int64).reshape(shape)


def _flat(value, shape: tuple[int, ...]) -> np.ndarray:
    """A scalar or array broadcast to ``shape``, as a flat float array of its own."""
    return np.broadcast_to(np.asarray(value, dtype=float), shape).reshape(-1).copy()


class LPBuilder:
    """Collects blocks, triplets, base bounds and parameter effects; :meth:`finish` gives the
    :class:`LinearProgram`."""

    def __init__(self) -> None:
        self.ncols = 0
        self.nrows = 0
        self.var_blocks: dict[str, VarBlock] = {}
        self.row_blocks: dict[str, RowBlock] = {}
        self._col_lower: list[np.ndarray] = []
        self._col_upper: list[np.ndarray] = []
        self._cost: list[np.ndarray] = []
        self._row_lower: list[np.ndarray] = []
        self._row_upper: list[np.ndarray] = []
        self._r: list[np.ndarray] = []
        self._c: list[np.ndarray] = []
        self._v: list[np.ndarray] = []
        self.params: dict[str, Parameter] = {}
        self._effects: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        self._coef_effects: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {}

    # -- blocks ------------------------------------------------------------------------------------
    def add_vars(self, name: str, axes: tuple[Sequence, ...], lower=0.0, upper=INF, cost=0.0) -> VarBlock:
        """Columns over the product of ``axes`` with base bounds and costs (scalars or arrays
        broadcast to the block's shape)."""
        cols = _positions(self.ncols, axes)
        self.ncols += cols.size
        self._col_lower.append(_flat(lower, cols.shape))
        self._col_upper.append(_flat(upper, cols.shape))
        self._cost.append(_flat(cost, cols.shape))
        block = VarBlock(name, cols, tuple(axes))
        self.var_blocks[name] = block
        return block

    def add_rows(self, name: str, axes: tuple[Sequence, ...], lower=-INF, upper=INF) -> RowBlock:
        """Rows over the product of ``axes`` with base bounds (``lower == upper``: an equality)."""
        rows = _positions(self.nrows, axes)
        self.nrows += rows.size
        self._row_lower.append(_flat(lower, rows.shape))
        self._row_upper.append(_flat(upper, rows.shape))
        block = RowBlock(name, rows, tuple(axes))
        self.row_blocks[name] = block
        return block

    def add_terms(self, rows, cols, coefs=1.0) -> None:
        """A(rows, cols) += coefs, the three broadcast together (repeated entries are summed;
        entries with a row of -1, "no row here", are skipped)."""
        r, c, v = (a.reshape(-1) for a in np.broadcast_arrays(
            np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), np.asarray(coefs, dtype=float)))
        keep = (r >= 0) & (v != 0.0)
        if keep.any():
            self._r.append(r[keep].astype(np.int32))
            self._c.append(c[keep].astype(np.int32))
            self._v.append(v[keep])

    # -- parameters --------------------------------------------------------------------------------
    def parameter(self, name: str, keys: Sequence[str], values, unit: str) -> Parameter:
        """Declare the named parameter ``name`` (once; later calls return the declared one)."""
        if name not in self.params:
            self.params[name] = Parameter(name, list(keys), np.asarray(values, dtype=float), unit)
        return self.params[name]

    def add_effect(self, param: str, target: str, index, param_index, coefs=1.0) -> None:
        """target[index] += coefs * param.flat[param_index] (arrays broadcast together).
        ``target``: 'row_lower', 'row_upper', 'rhs' (both row bounds: an equality or a
        right-hand side of either sense), 'col_lower', 'col_upper' or 'cost'."""
        if target != "rhs" and target not in TARGETS:
            raise ValueError(f"unknown target {target!r}")
        i, j, v = (a.reshape(-1) for a in np.broadcast_arrays(
            np.asarray(index, dtype=np.int64), np.asarray(param_index, dtype=np.int64), np.asarray(coefs, dtype=float)))
        keep = (i >= 0) & (v != 0.0)
        if keep.any():
            part = (i[keep].astype(np.int32), j[keep].astype(np.int32), v[keep])
            # both row bounds of an equality share one map (the same arrays)
            for t in ("row_lower", "row_upper") if target == "rhs" else (target,):
                self._effects.setdefault((param, t), []).append(part)

    def add_coef_effect(self, param: str, rows, cols, param_index, coefs=1.0) -> None:
        """A[rows, cols] += coefs * param.flat[param_index] (arrays broadcast together; a row of -1
        is skipped).  The base value of the entry is what :meth:`add_terms` put there (or 0)."""
        r, c, j, v = (a.reshape(-1) for a in np.broadcast_arrays(
            np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64),
            np.asarray(param_index, dtype=np.int64), np.asarray(coefs, dtype=float)))
        keep = (r >= 0) & (v != 0.0)
        if keep.any():
            self._coef_effects.setdefault(param, []).append(
                (r[keep].astype(np.int32), c[keep].astype(np.int32), j[keep].astype(np.int32), v[keep]))

    # -- the program -----------------------------------------------------------------------------
    def finish(self) -> LinearProgram:
        def cat(parts, dtype=float):
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        coef = {name: tuple(np.concatenate([p[k] for p in parts]) for k in range(4))
                for name, parts in self._coef_effects.items()}
        self._coef_effects = {}
        # the entries coefficients act on are in the structure, as 0 here (their base is the terms')
        self._r += [e[0] for e in coef.values()]
        self._c += [e[1] for e in coef.values()]
        self._v += [np.zeros(e[0].size) for e in coef.values()]
        r, c, v = cat(self._r, np.int32), cat(self._c, np.int32), cat(self._v)
        self._r, self._c, self._v = [], [], []  # the triplets are the matrix now: free them
        A = sp.csr_matrix((v, (r, c)), shape=(self.nrows, self.ncols))  # duplicates summed
        del r, c, v
        A.sort_indices()
        if coef:  # keep the parameter's entries while dropping repeated entries that cancel
            held = distinct(np.concatenate([_entry(A, e[0], e[1]) for e in coef.values()]))
            base_held = A.data[held].copy()
            A.data[held] = np.nan
            A.eliminate_zeros()
            held = np.flatnonzero(np.isnan(A.data))
            A.data[held] = base_held
        else:
            A.eliminate_zeros()  # repeated entries that cancel
            held = np.zeros(0, dtype=np.int64)
        base = {"row_lower": cat(self._row_lower), "row_upper": cat(self._row_upper),
                "col_lower": cat(self._col_lower), "col_upper": cat(self._col_upper), "cost": cat(self._cost)}
        sizes = {"row_lower": self.nrows, "row_upper": self.nrows, "col_lower": self.ncols,
                 "col_upper": self.ncols, "cost": self.ncols}
        maps: dict[tuple[str, str], ParamMap] = {}
        lower: dict[str, tuple[list, ParamMap]] = {}  # row_lower maps whose row_upper is to come
        for key in list(self._effects):
            parts = self._effects.pop(key)
            if key[1] == "row_upper" and key[0] in lower:  # both bounds of equalities only: one map
                lower_parts, lower_map = lower.pop(key[0])
                if len(lower_parts) == len(parts) and all(a is b for a, b in zip(lower_parts, parts, strict=True)):
                    maps[key] = lower_map
                    continue
            i, j, w = (parts[0][k] if len(parts) == 1 else np.concatenate([p[k] for p in parts]) for k in range(3))
            maps[key] = ParamMap(i, j, w, sizes[key[1]])
            del i, j, w
            if key[1] == "row_lower" and (key[0], "row_upper") in self._effects:
                lower[key[0]] = (parts, maps[key])
            del parts
        del lower
        for name, (r, c, j, w) in coef.items():
            maps[(name, "coef")] = ParamMap(_entry(A, r, c).astype(np.int32), j, w, A.nnz)
        return LinearProgram(A, base, maps, self.params, self.var_blocks, self.row_blocks, held)


def _entry(A: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray, chunk: int = 1 << 16,
           missing: int | None = None) -> np.ndarray:
    """Positions in ``A.data`` of the entries (rows, cols), all present in A's structure (CSR with
    sorted indices: the column is searched within its row's slice), ``chunk`` entries at a time so
    that the work arrays stay small beside the matrix.  With ``missing``, entries that may be absent
    get that value instead."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    ncols = A.shape[1]
    pos = np.empty(rows.size, dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    for start in range(0, order.size, chunk):
        part = order[start:start + chunk]
        r_sorted = rows[part]
        span_rows = distinct(r_sorted)
        lo, hi = A.indptr[span_rows].astype(np.int64), A.indptr[span_rows + 1].astype(np.int64)
        # keys of the entries of the rows concerned: (row rank) * ncols + col, increasing
        counts = hi - lo
        take = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        keys = np.repeat(np.arange(span_rows.size, dtype=np.int64), counts) * ncols + A.indices[take]
        want = np.searchsorted(span_rows, r_sorted) * ncols + cols[part]
        at = np.searchsorted(keys, want)
        if missing is None:
            pos[part] = take[at]
        else:
            found = at < keys.size
            found[found] = keys[at[found]] == want[found]
            pos[part] = np.where(found, take[np.minimum(at, max(keys.size - 1, 0))] if keys.size else missing,
                                 missing)
    return pos


def _compact_index(a: np.ndarray) -> np.ndarray | int:
    """An index array, or its first value when it runs consecutively (a[k] = a[0] + k)."""
    if a.size and int(a[-1]) - int(a[0]) == a.size - 1 and bool(np.all(np.diff(a) == 1)):
        return int(a[0])
    return a


def _expand_index(a: np.ndarray | int, n: int) -> np.ndarray:
    return a if isinstance(a, np.ndarray) else np.arange(a, a + n, dtype=np.int64)


def _index_at(a: np.ndarray | int, positions: np.ndarray) -> np.ndarray:
    """a[positions] of a compact index, without expanding it."""
    return a[positions] if isinstance(a, np.ndarray) else a + np.asarray(positions, dtype=np.int64)


#: weights with at most this many distinct values are held as one-byte codes
_WEIGHT_CODES = 255


def _compact_weights(w: np.ndarray) -> tuple[np.ndarray, np.ndarray] | np.ndarray | None:
    if bool(np.all(w == 1.0)):
        return None
    if w.size < 4 * _WEIGHT_CODES:
        return w
    if np.unique(w[:: max(1, w.size // 4096)]).size > _WEIGHT_CODES:  # a sample has too many already
        return w
    values = np.unique(w)
    if values.size > _WEIGHT_CODES:
        return w
    return np.searchsorted(values, w).astype(np.uint8), values


class CompactVector:
    """A base vector that is one value almost everywhere (a bound of 0, a cost of 0): that value
    and the entries that differ.  ``full()`` gives the array, ``take(index)`` some entries."""

    def __init__(self, v: np.ndarray) -> None:
        self.size = int(v.size)
        if 2 * np.count_nonzero(v) <= v.size:  # mostly 0 (the usual case: no sort needed)
            self.fill = 0.0
        else:
            values, counts = np.unique(v, return_counts=True)
            self.fill = float(values[np.argmax(counts)])
        self.where = np.flatnonzero(v != self.fill) if v.size else np.zeros(0, dtype=np.int64)
        self.values = v[self.where].copy()

    def full(self) -> np.ndarray:
        return self.write(np.empty(self.size))

    def write(self, out: np.ndarray) -> np.ndarray:
        """The vector written into ``out`` (of its size), which is returned."""
        out.fill(self.fill)
        out[self.where] = self.values
        return out

    def take(self, index: np.ndarray) -> np.ndarray:
        index = np.asarray(index, dtype=np.int64)
        out = np.full(index.size, self.fill)
        if self.where.size:
            k = np.minimum(np.searchsorted(self.where, index), self.where.size - 1)
            hit = self.where[k] == index
            out[hit] = self.values[k[hit]]
        return out


class ParamMap:
    """target[i] += w * p[j] for the entries (i, j, w) of one parameter on one target.

    Evaluated whole with one ``bincount``; a change of a few parameter entries recomputes only the
    target entries they reach, through orderings by j and by i built on the first change.  Values of
    +-inf pass through (w != 0 always): an unlimited capacity stays unlimited.

    Held compactly: i or j that run consecutively (a block's columns, a parameter's values in
    order) as their first value alone, and w as codes into its distinct values when there are few
    (a demand's sharing-block widths); ``i``, ``j`` and ``w`` give the arrays."""

    def __init__(self, i: np.ndarray, j: np.ndarray, w: np.ndarray, size: int) -> None:
        self.size, self.n = size, int(i.size)
        self._i, self._j = _compact_index(i), _compact_index(j)
        #: the coefficients (None when every one is 1: most maps, a bound is the parameter itself),
        #: as (codes, values) when they take few distinct values
        self._w: tuple[np.ndarray, np.ndarray] | np.ndarray | None = _compact_weights(w)
        self._by_j: tuple[np.ndarray, np.ndarray] | None = None
        self._by_i: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def i(self) -> np.ndarray:
        return _expand_index(self._i, self.n)

    @property
    def j(self) -> np.ndarray:
        return _expand_index(self._j, self.n)

    @property
    def w(self) -> np.ndarray | None:
        if isinstance(self._w, tuple):
            codes, values = self._w
            return values[codes]
        return self._w

    def __len__(self) -> int:
        return self.n

    def apply(self, p: np.ndarray) -> np.ndarray:
        """The contribution of parameter values ``p`` to every target entry."""
        j, w = self.j, self.w
        values = p[j] if w is None else w * p[j]
        return np.bincount(self.i, weights=values, minlength=self.size)

    def reached(self, positions: np.ndarray) -> np.ndarray:
        """Target entries that parameter entries ``positions`` act on."""
        if self._by_j is None:
            order = np.argsort(self.j, kind="stable")
            self._by_j = order, self.j[order]
        order, js = self._by_j
        positions = np.asarray(positions, dtype=np.int64)
        lo, hi = int(positions.min()), int(positions.max()) + 1
        if hi - lo == positions.size:  # a contiguous range: one key's values
            lo_hi = np.array([lo, hi], dtype=js.dtype)  # keys of js's type: no cast of js itself
            a, b = np.searchsorted(js, lo_hi)
            sel = order[a:b]
        else:
            sel = order[np.isin(js, positions)]
        return distinct(_index_at(self._i, sel))

    def at(self, index: np.ndarray, p: np.ndarray) -> np.ndarray:
        """The contribution of ``p`` to the target entries ``index`` (sorted, unique)."""
        if self._by_i is None:
            order = np.argsort(self.i, kind="stable")
            self._by_i = order, np.searchsorted(self.i[order], np.arange(self.size + 1))
        order, ptr = self._by_i
        starts, ends = ptr[index], ptr[index + 1]
        counts = ends - starts
        if not counts.sum():
            return np.zeros(len(index))
        owner = np.repeat(np.arange(len(index)), counts)
        entries = order[np.repeat(starts - np.cumsum(np.concatenate([[0], counts[:-1]])), counts)
                        + np.arange(counts.sum())]
        w, pj = self.w, p[_index_at(self._j, entries)]
        values = pj if w is None else w[entries] * pj
        return np.bincount(owner, weights=values, minlength=len(index))


class LinearProgram:
    """The full LP: matrix ``A`` (CSR), base bounds and costs, parameter maps and the current
    values of bounds and costs (``current[target]``)."""

    def __init__(self, A: sp.csr_matrix, base: dict[str, np.ndarray | CompactVector],
                 maps: dict[tuple[str, str], ParamMap], params: dict[str, Parameter], var_blocks: dict[str, VarBlock],
                 row_blocks: dict[str, RowBlock], held: np.ndarray | None = None) -> None:
        self.A = A
        #: bounds and costs with every parameter at 0 (held compactly: mostly one value)
        self.base = {t: v if isinstance(v, CompactVector) else CompactVector(np.asarray(v, dtype=float))
                     for t, v in base.items()}
        self.maps = maps
        self.params = params
        self.var_blocks = var_blocks
        self.row_blocks = row_blocks
        self.current = {t: self._evaluate(t) for t in TARGETS}
        #: positions in A.data that coefficient parameters act on, and their base values
        self.held = np.zeros(0, dtype=np.int64) if held is None else held
        self._held_base = A.data[self.held].copy()
        self.current["coef"] = A.data  # the matrix's values are the current coefficients
        self._stacked: tuple[dict[str, int], dict[str, sp.csr_matrix]] | None = None
        #: every parameter's values in one vector (after :meth:`stack_parameters`), and where each starts
        self.stack: np.ndarray | None = None
        self.stack_offsets: dict[str, int] = {}
        self._all: dict[str, np.ndarray] = {}
        if self.held.size:
            A.data[self.held] = self._evaluate("coef", self.held)

    @property
    def nrows(self) -> int:
        return self.A.shape[0]

    @property
    def ncols(self) -> int:
        return self.A.shape[1]

    #: below this many entries a map is evaluated whole (one bincount) rather than gathered
    SMALL_MAP = 20_000

    def _evaluate(self, target: str, index: np.ndarray | None = None) -> np.ndarray:
        if target == "coef":  # only held entries are ever evaluated, gathered by position
            assert index is not None  # (no index over all of A.data: it would cost 8 bytes a nonzero)
            index = np.asarray(index, dtype=np.int64)
            out = self._held_base[np.searchsorted(self.held, index)]
            for (param, tgt), M in self.maps.items():
                if tgt == "coef" and index.size:
                    mi, w = M.i, M.w
                    k = np.minimum(np.searchsorted(index, mi), index.size - 1)
                    hit = index[k] == mi
                    p = self.params[param].flat[M.j[hit]]
                    np.add.at(out, k[hit], p if w is None else w[hit] * p)
            return out
        else:
            out = self.base[target].full() if index is None else self.base[target].take(index)
        for (param, tgt), M in self.maps.items():
            if tgt == target:
                p = self.params[param].flat
                if index is None:
                    out += M.apply(p)
                elif len(M) <= self.SMALL_MAP:
                    out += M.apply(p)[index]
                else:
                    out += M.at(index, p)
        return out

    def set_parameters(self, changes: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
        """Several parameters at once ({name: (flat positions, values)}): every target entry they
        reach is recomputed once.  Returns, per target, the positions recomputed (for 'coef':
        positions in ``A.data``).  A small LP may rather assign its parameters and :meth:`refresh`."""
        touched: dict[str, np.ndarray] = {}
        for name, (positions, values) in changes.items():
            self.params[name].values.reshape(-1)[positions] = values
            for (p, target), M in self.maps.items():
                if p == name:
                    idx = M.reached(positions)
                    if idx.size:
                        prev = touched.get(target)
                        touched[target] = idx if prev is None else np.union1d(prev, idx)
        for target, idx in touched.items():
            self.current[target][idx] = self._evaluate(target, idx)
        return touched

    def refresh(self, targets=None) -> dict[str, np.ndarray]:
        """Recompute ``targets`` (default: every bound and cost, and the coefficients) whole from
        the current parameter values: one sparse product per target,

            target = base + [M_p1 M_p2 ...] . [p1; p2; ...]

        Returns, per target, every position (for 'coef': the held entries of ``A.data``)."""
        if self._stacked is None:
            self._stacked = self._stack_maps()
        offsets, stacked = self._stacked
        if self.stack is not None:
            p = self.stack
        else:
            p = np.concatenate([self.params[name].values.reshape(-1) for name in offsets]) if offsets else np.zeros(0)
        touched: dict[str, np.ndarray] = {}
        for target in (stacked if targets is None else targets):
            M = stacked.get(target)
            if target == "coef":
                if M is not None and self.held.size:
                    self.A.data[self.held] = self._held_base + M @ p
                    touched[target] = self.held
            else:
                self.base[target].write(self.current[target])
                if M is not None:
                    self.current[target] += M @ p
                touched[target] = self._all[target]
        return touched

    def stack_parameters(self) -> np.ndarray:
        """Put every parameter's values into one vector, in the order of ``params``, and make each
        ``Parameter.values`` a view into it: a caller can then write many parameters with one
        indexed assignment (the simulation's window models).  Returns the vector."""
        if self.stack is None:
            self.stack_offsets, n = self._offsets()
            stack = np.zeros(n)
            for name, p in self.params.items():
                view = stack[self.stack_offsets[name]:self.stack_offsets[name] + p.values.size].reshape(p.values.shape)
                view[...] = p.values
                p.values = view
            self.stack = stack
        return self.stack

    def _offsets(self) -> tuple[dict[str, int], int]:
        """Where each parameter starts in the stacked parameter vector (``params`` order), and its
        length."""
        offsets: dict[str, int] = {}
        n = 0
        for name, p in self.params.items():
            offsets[name] = n
            n += p.values.size
        return offsets, n

    def _stack_maps(self) -> tuple[dict[str, int], dict[str, sp.csr_matrix]]:
        """Per target, the maps of every parameter side by side over the stacked parameter vector
        (rows of 'coef': the held entries, in order)."""
        offsets, n = self._offsets()
        parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        for (name, target), M in self.maps.items():
            i = M.i if target != "coef" else np.searchsorted(self.held, M.i)
            w = np.ones(len(M)) if M.w is None else M.w
            parts.setdefault(target, []).append((i, M.j + offsets[name], w))
        sizes = {t: (self.held.size if t == "coef" else self.current[t].size) for t in parts}
        stacked = {t: sp.csr_matrix((np.concatenate([q[2] for q in ps]),
                                     (np.concatenate([q[0] for q in ps]), np.concatenate([q[1] for q in ps]))),
                                    shape=(sizes[t], n)) for t, ps in parts.items()}
        for M in stacked.values():
            M.eliminate_zeros()  # weights that cancel: 0 x inf would be nan
        for t in TARGETS:
            stacked.setdefault(t, sp.csr_matrix((self.current[t].size, n)))
        self._all = {t: np.arange(self.current[t].size) for t in TARGETS}
        return offsets, stacked

    def set_parameter(self, name: str, flat_positions: np.ndarray, values: np.ndarray) -> dict[str, np.ndarray]:
        """Change entries of parameter ``name``; recompute the bounds and costs they act on.
        Returns, per target, the positions whose value was recomputed."""
        return self.set_parameters({name: (np.asarray(flat_positions), np.asarray(values))})

    def uses(self, name: str) -> list[str]:
        """The targets (row bounds, column bounds, costs, 'coef': matrix entries) parameter ``name``
        acts on."""
        return sorted(t for p, t in self.maps if p == name)

    # -- lookups -------------------------------------------------------------------------------------
    def col_labels(self) -> list[tuple[str, tuple]]:
        """(block name, index labels) of every column, in column order."""
        return _labels(self.ncols, ((b.name, b.cols, b.axes) for b in self.var_blocks.values()))

    def row_labels(self) -> list[tuple[str, tuple]]:
        """(block name, index labels) of every row, in row order."""
        return _labels(self.nrows, ((b.name, b.rows, b.axes) for b in self.row_blocks.values()))


def _labels(n: int, blocks) -> list:
    out: list = [None] * n
    for name, positions, axes in blocks:
        for pos in np.ndindex(positions.shape):
            out[int(positions[pos])] = (name, tuple(axes[k][i] for k, i in enumerate(pos)))
    return out
