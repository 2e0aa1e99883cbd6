"""The LP in matrix form, recorded by the builders.

Every builder adds its variables and rows through :func:`add_var`, :func:`add_rows` and
:func:`set_objective`, which append the coefficients to one :class:`LinearProgram`:

    min  c' x + c0    s.t.   rl <= A x <= ru,   xl <= x <= xu

with one column per variable (in creation order) and one row per constraint, addressed by
(component name, index).  The builders run on one of two targets:

* a Pyomo ``ConcreteModel``: the components are created as Pyomo ``Var``/``Constraint``/
  ``Objective`` (the model of record: LP export, inspection) and recorded at the same time, the
  variables being Pyomo ``VarData`` objects;
* a :class:`RecordedModel`: only the matrix is recorded, the "variables" the builders see being
  plain column numbers.  This is what a solve uses: the same rows, without creating hundreds of
  thousands of Pyomo objects and walking them again to compile them.

A test checks that Pyomo's own standard-form compiler, run on the Pyomo model, gives the same
matrix, bounds and costs as the recorded program.  Zero coefficients are dropped and repeated
(row, column) entries summed, as Pyomo's compiler does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

INF = float("inf")


class LinearProgram:
    """Columns, rows and objective of the LP, with lookups by (component name, index)."""

    def __init__(self, positional: bool = False) -> None:
        #: variables are column numbers (RecordedModel) rather than Pyomo VarData objects
        self.positional = positional
        self.ncols = 0
        self.col_of: dict[int, int] = {}  # id(VarData) -> column
        self.cols: dict[str, dict] = {}  # variable name -> {index: column}
        self._lower: list[np.ndarray] = []
        self._upper: list[np.ndarray] = []
        self.rows: dict[str, dict] = {}  # constraint name -> {index: row}
        self._indices: list[int] = []
        self._values: list[float] = []
        self._starts: list[int] = [0]
        self._row_lower: list[float] = []
        self._row_upper: list[float] = []
        self.cost_terms: list[tuple[float, object]] = []
        self.offset = 0.0

    @property
    def nrows(self) -> int:
        return len(self._row_lower)

    # -- recording ---------------------------------------------------------------------------
    def add_columns(self, name: str, index: Sequence, var_datas: Sequence, lower, upper) -> None:
        start = self.ncols
        self.cols[name] = {key: start + j for j, key in enumerate(index)}
        if not self.positional:
            self.col_of.update((id(v), start + j) for j, v in enumerate(var_datas))
        self._lower.append(np.asarray(lower, dtype=float).reshape(-1))
        self._upper.append(np.asarray(upper, dtype=float).reshape(-1))
        self.ncols += len(index)

    def add_row(self, name: str, key, terms: Sequence, lower: float, upper: float) -> None:
        self.rows[name][key] = len(self._row_lower)
        if terms:
            coefs, variables = zip(*terms, strict=True)
            self._indices.extend(variables if self.positional else map(self.col_of.__getitem__, map(id, variables)))
            self._values.extend(coefs)
        self._starts.append(len(self._indices))
        self._row_lower.append(lower)
        self._row_upper.append(upper)

    # -- the matrices ----------------------------------------------------------------------------
    def column_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._lower:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(self._lower), np.concatenate(self._upper)

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self._row_lower, dtype=float), np.asarray(self._row_upper, dtype=float)

    def cost(self) -> np.ndarray:
        c = np.zeros(self.ncols)
        if self.cost_terms:
            handles = (v for _, v in self.cost_terms)
            if not self.positional:
                handles = (self.col_of[id(v)] for v in handles)
            idx = np.fromiter(handles, dtype=np.int64, count=len(self.cost_terms))
            val = np.fromiter((coef for coef, _ in self.cost_terms), dtype=float, count=len(self.cost_terms))
            np.add.at(c, idx, val)
        return c

    def matrix_rowwise(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays (starts, column indices, values): zeros dropped, duplicates summed."""
        starts = np.asarray(self._starts, dtype=np.int64)
        idx = np.asarray(self._indices, dtype=np.int64)
        val = np.asarray(self._values, dtype=float)
        row = np.repeat(np.arange(self.nrows, dtype=np.int64), np.diff(starts))
        order = np.lexsort((idx, row))
        row, idx, val = row[order], idx[order], val[order]
        if len(idx) > 1:
            same = (row[1:] == row[:-1]) & (idx[1:] == idx[:-1])
            if same.any():
                first = np.concatenate([[True], ~same])
                group = np.cumsum(first) - 1
                summed = np.zeros(int(first.sum()))
                np.add.at(summed, group, val)
                row, idx, val = row[first], idx[first], summed
        keep = val != 0.0
        row, idx, val = row[keep], idx[keep], val[keep]
        counts = np.bincount(row, minlength=self.nrows)
        starts = np.concatenate([[0], np.cumsum(counts)])
        return starts, idx, val


class RecordedModel:
    """The target of the builders when only the matrices are wanted: ``var_index`` maps each
    variable's (name, index) to its column number, ``lp`` holds the recorded program."""

    def __init__(self, name: str = "balkhash") -> None:
        self.name = name
        self.var_index: dict[str, dict] = {}
        self.lp = LinearProgram(positional=True)


def program(m) -> LinearProgram:
    lp = getattr(m, "lp", None)
    if lp is None:
        lp = LinearProgram()
        m.lp = lp
    return lp


def add_var(m, name: str, index: list, lower, upper) -> None:
    """Add variables ``name`` over ``index`` with bounds from flat arrays (+-inf = unbounded) and
    register their columns; ``m.var_index[name]`` maps index -> variable (VarData or column)."""
    if isinstance(m, RecordedModel):
        m.lp.add_columns(name, index, (), lower, upper)
        m.var_index[name] = m.lp.cols[name]
        return
    import pyomo.environ as pyo

    var = pyo.Var(index, dense=True)
    setattr(m, name, var)
    lookup = dict(var.items())
    lower = np.asarray(lower, dtype=float).reshape(-1)
    upper = np.asarray(upper, dtype=float).reshape(-1)
    datas = [lookup[key] for key in index]
    for v, lo, up in zip(datas, lower.tolist(), upper.tolist(), strict=True):
        # what VarData.setlb/setub store for plain floats, without their per-call checks
        v._lb = None if lo == -INF else lo
        v._ub = None if up == INF else up
    if not hasattr(m, "var_index"):
        m.var_index = {}
    m.var_index[name] = lookup
    program(m).add_columns(name, index, datas, lower, upper)


Rule = Callable[..., "tuple[list, float, float] | None"]


def add_rows(m, name: str, index: Iterable, rule: Rule) -> None:
    """Add Constraint ``name`` over ``index``.  ``rule(*key)`` returns ``(terms, lower, upper)``
    with terms (coefficient, VarData) pairs and bounds (``lower == upper``: equality; -inf/inf:
    one-sided), or None to skip the index."""
    lp = program(m)
    lp.rows[name] = {}
    if isinstance(m, RecordedModel):
        for key in index:
            got = rule(*key) if isinstance(key, tuple) else rule(key)
            if got is not None:
                lp.add_row(name, key, *got)
        return
    import pyomo.environ as pyo

    from .expr import linear

    def pyomo_rule(_m, *key):
        got = rule(*key)
        if got is None:
            return pyo.Constraint.Skip
        terms, lo, up = got
        lp.add_row(name, key[0] if len(key) == 1 else key, terms, lo, up)
        body = linear(terms)
        if lo == up:
            return body == lo
        if lo == -INF:
            return body <= up
        if up == INF:
            return body >= lo
        return (lo, body, up)

    setattr(m, name, pyo.Constraint(list(index), rule=pyomo_rule))


def set_objective(m, terms: list, constant: float = 0.0) -> None:
    """min sum of (coefficient, VarData) terms + constant."""
    lp = program(m)
    lp.cost_terms = terms
    lp.offset = float(constant)
    if isinstance(m, RecordedModel):
        return
    import pyomo.environ as pyo

    from .expr import linear

    m.objective = pyo.Objective(expr=linear(terms) + constant, sense=pyo.minimize)
