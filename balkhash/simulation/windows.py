"""Window models: the allocation LP over N periods of a longer run, built once, moved by parameters.

A window of N periods starting in period t0 of the run is the run's compiled data
(:class:`balkhash.allocation.data.ModelData`) cut to those periods.  Everything that differs
between two windows of the same length and the same calendar months (inflows, demands, storage
bounds and rule curves, eco flows, energy targets, evaporation depths and link losses, the initial
storage) is a named parameter, so one model serves every window whose fixed coefficients are the
same: the same length, the same start month and the same days per period (the days of a leap
February, turbine limits and the weights of the lake level penalty enter the matrix and the
costs, not the parameters).
:func:`window_key` is that identity.

What a window cannot see in full is accounted for by the **carried** rows it adds to the engine's
families (:func:`define_carried`), one per water year the window touches (a *slot*):

* lake inflow target g of lake n, slot w::

      sum_{t in w, in window} [ I_{n,t} + arrivals(n,t) ] + v_{g,w} >= R_{g,w}

  R_{g,w} = max(0, Vmin_g - A_{g,w}) * days(w in window) / days(w from the window start), with
  A_{g,w} the surface inflow the lake already received in the applied periods of w: the part of
  the year's requirement still to be met, spread over the rest of the year by days.  A window
  reaching the end of w carries the whole remaining requirement; a water year not fully inside
  the run gets none (as in the full model).  v costs the target's penalty.
* annual capacity of link l, slot w::

      sum_{t in w, in window} x_{l,t} <= max(0, V_l * days(w in run) / days(w) - used_{l,w})

  the licence left after the applied periods (a maximum, so not spread: any part of it may be
  used in the months the window sees).

The engine's own lake inflow and annual capacity rows are left out of a window (its data holds
no lake inflow target and no annual capacity); every other row is the engine's.  Aggregates per
water year are carried the same way (:mod:`balkhash.simulation.carried_aggregates`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from time import perf_counter

import numpy as np

from ..allocation.backend import HighsBackend
from ..allocation.constraints.context import Build
from ..allocation.constraints.network import add_arrivals, add_local_inflow
from ..allocation.data import ModelData, TargetData
from ..allocation.lp import TARGETS, LinearProgram
from ..allocation.model import build_lp
from ..allocation.parameters import Parameters
from ..allocation.reduce import ReducedLP
from ..allocation.solve import Allocation
from .carried_aggregates import define_carried_aggregates

#: window models of up to this many columns recompute a changed parameter's targets whole
WHOLE_LP = 2_000
#: the carried parameters of a window model (not user kinds: set by the simulation only)
CARRIED_LAKE = "carried_lake_inflow"
CARRIED_CAPACITY = "carried_annual_capacity"
CARRIED_PENALTY = "carried_penalty"
CARRIED_SHARE = "carried_lake_share"
CARRIED_SHARE_V = "carried_share_deficit"
CARRIED_SHARE_S = "carried_share_shortfall"
CARRIED_SHARE_RHS = "carried_share_applied"


@dataclass(frozen=True)
class Carried:
    """What the windows of a run carry from its full-horizon accounting."""

    lake_targets: tuple[TargetData, ...]  # the run's lake inflow targets
    capped: tuple[int, ...]  # positions of the links with an annual capacity

    @classmethod
    def of(cls, full: ModelData) -> Carried:
        return cls(tuple(t for t in full.targets if t.type == "lake_inflow"),
                   tuple(i for i, lk in enumerate(full.links) if lk.annual_cap is not None))


def window_key(full: ModelData, t0: int, n: int) -> tuple:
    """What makes two windows share one model: length, start month, days and turbine limits (the
    inputs that are matrix coefficients or fixed costs, not parameters; the evaporation depth is
    a coefficient parameter, loaded like the others)."""
    sl = slice(t0, t0 + n)
    tl = full.timeline
    parts = [np.asarray(tl.days[sl]).tobytes()]
    parts += [p.qmax[sl].tobytes() for p in full.plants]
    parts += [a[sl].tobytes() for a in _fixed_arrays(full)]  # segments and carry factors: fixed in the LP
    parts += [np.float64(carry_in(s, t0)).tobytes() for s in full.storages if s.carry is not None]
    return (n, int(tl.season_index[t0]), b"".join(parts))


def _fixed_arrays(full: ModelData) -> list[np.ndarray]:
    """The per-period inputs a window's LP holds as fixed bounds, costs and coefficients: the bounds
    and costs of link and storage segments, the carry factors of storages."""
    out = [a for s in full.storages if s.carry is not None for a in (s.carry,)]
    for g in [*(g for lk in full.links for g in lk.segments), *(g for s in full.storages for g in s.segments)]:
        out += [g.lower, g.upper, g.cost]
    return out


def carry_in(s, t0: int) -> float:
    """The share of the storage at the end of period t0 - 1 carried into a window starting at t0."""
    return float(s.carry_in) if t0 == 0 or s.carry is None else float(s.carry[t0 - 1])


def window_data(full: ModelData, t0: int, n: int) -> ModelData:
    """``full`` cut to periods t0 .. t0+n-1, without the lake inflow targets and annual
    capacities (carried by :func:`define_carried` instead)."""
    sl = slice(t0, t0 + n)
    tl = full.timeline.sub(t0, n)

    def cut(a):
        return np.asarray(a)[sl].copy()

    def segments(segs):
        return [replace(g, lower=cut(g.lower), upper=cut(g.upper), cost=cut(g.cost)) for g in segs]

    storages = [replace(s, lower=cut(s.lower), upper=cut(s.upper), net_evap_mm=cut(s.net_evap_mm),
                        evap_mm=cut(s.evap_mm), precip_mm=cut(s.precip_mm),
                        carry=None if s.carry is None else cut(s.carry), carry_in=carry_in(s, t0),
                        segments=segments(s.segments)) for s in full.storages]
    targets = [replace(t, values=cut(t.values) if t.type == "eco_flow" else t.values)
               for t in full.targets if t.type != "lake_inflow"]
    return replace(
        full, timeline=tl, inflow={k: cut(v) for k, v in full.inflow.items()},
        storages=storages, demands=[replace(d, target=cut(d.target)) for d in full.demands],
        links=[replace(lk, lower=cut(lk.lower), upper=cut(lk.upper), annual_cap=None,
                       cost=cut(lk.cost) if np.ndim(lk.cost) else lk.cost, segments=segments(lk.segments))
               for lk in full.links],
        targets=targets,
        plants=[replace(p, qmax=cut(p.qmax), target=None if p.target is None else cut(p.target),
                        head=None if p.head is None else cut(p.head)) for p in full.plants],
        groundwater={k: cut(v) for k, v in full.groundwater.items()},
        balance_nodes=list(full.balance_nodes), sinks=list(full.sinks),
    )


def define_carried(b: Build, carried: Carried, links) -> None:
    """The carried lake inflow and annual capacity rows of a window (module docstring), and those
    of its per-water-year aggregates (:mod:`balkhash.simulation.carried_aggregates`)."""
    define_carried_aggregates(b)
    tl = b.data.timeline
    years = sorted({int(w) for w in tl.water_years})
    slot = np.searchsorted(years, tl.water_years.astype(int))
    nslot = len(years)
    if carried.capped:
        ids = [links[i].id for i in carried.capped]
        b.lp.parameter(CARRIED_CAPACITY, ids, np.full((len(ids), nslot), np.inf), "Mm3 left in the water year")
        rows = b.lp.add_rows(CARRIED_CAPACITY, (ids, years), upper=0.0)
        b.lp.add_terms(rows.rows[:, slot], b.var("flow").cols[list(carried.capped)], 1.0)
        b.lp.add_effect(CARRIED_CAPACITY, "row_upper", rows.rows, np.arange(len(ids) * nslot).reshape(-1, nslot))
    tg = carried.lake_targets
    if not tg:
        return
    ids = [t.id for t in tg]
    b.lp.parameter(CARRIED_LAKE, ids, np.zeros((len(ids), nslot)), "Mm3 of the water year's target")
    b.lp.parameter(CARRIED_PENALTY, ids, [t.penalty for t in tg], "per Mm3")
    rows = b.lp.add_rows(CARRIED_LAKE, (ids, years), lower=0.0)
    pos = b.data.net.node_pos
    for k, t in enumerate(tg):
        R = np.full((len(b.data.nodes), b.T), -1, dtype=np.int64)
        R[pos[t.ref]] = rows.rows[k, slot]
        add_arrivals(b, R, 1.0, bound="row_lower")
        add_local_inflow(b, R, -1.0, bound="row_lower")
    b.lp.add_effect(CARRIED_LAKE, "row_lower", rows.rows, np.arange(len(ids) * nslot).reshape(-1, nslot))
    soft = [k for k, t in enumerate(tg) if not t.hard]
    v = b.lp.add_vars("viol_carried_lake_inflow", ([ids[k] for k in soft], years))
    if soft:
        b.lp.add_terms(rows.rows[soft], v.cols, 1.0)
        b.lp.add_effect(CARRIED_PENALTY, "cost", v.cols, np.array(soft)[:, None])
    define_carried_shares(b, [ids[k] for k in soft], v.cols, years, slot, soft)


#: a window's lake share row may be missed at this many times the lake target's penalty per unit
SHARE_SLACK = 100.0


def define_carried_shares(b: Build, soft: list[str], v_cols: np.ndarray, years: list[int], slot: np.ndarray,
                          soft_pos: list[int]) -> None:
    """The policy's lake share of a class's deficit in a window, one row per share and slot:

        a_{s,w} v_{g,w} - c_{s,w} S_{s,w} + e+ - e- = h_{s,w}

        S_{s,w} = sum_{d in class, t in w, in window, k} s_{d,k,t}      (row ``carried_share_shortfall``)

    with v the carried lake inflow violation; the simulation sets a, c and h (coefficient and
    right-hand side parameters) per window: in a window that reaches the end of water year w,
    the year's own row (a = 1 - X, c = X, h = X S_applied for a negotiated share X; a = D_w,
    c = V, h = V S_applied for 'proportional', D_w the class's demand of the year, V the target,
    S_applied the class's shortfall in the year's applied periods); in a window that ends before,
    the same shares of what the window sees (h = 0; 'proportional' with the window's demand and
    requirement).  A window sees only part of the year's water, and what earlier windows did is
    fixed, so the share may not be reachable: e+ and e- >= 0 let the row be missed at 100 times the
    lake target's penalty per unit (``carried_lake_share_slack``), far above what meeting it costs."""
    data = b.data
    shares = [s for s in data.shares if s.target in soft]
    if not shares:
        return
    ids = [f"{s.target}:{data.classes[s.cls].name}" for s in shares]
    nslot = len(years)
    for name, unit in ((CARRIED_SHARE_V, "coefficient"), (CARRIED_SHARE_S, "coefficient"), (CARRIED_SHARE_RHS, "Mm3")):
        b.lp.parameter(name, ids, np.zeros((len(ids), nslot)), unit)
    # the class's shortfall in each slot as a column of its own, so that a re-plan moves one
    # coefficient per share row, not one per user, block and period
    total = b.lp.add_vars("carried_share_shortfall", (ids, years))
    sums = b.lp.add_rows("carried_share_shortfall", (ids, years), lower=0.0, upper=0.0)
    b.lp.add_terms(sums.rows, total.cols, -1.0)
    rows = b.lp.add_rows(CARRIED_SHARE, (ids, years), lower=0.0, upper=0.0)
    short = b.var("short")
    for k, s in enumerate(shares):
        idx = k * nslot + np.arange(nslot)
        b.lp.add_coef_effect(CARRIED_SHARE_V, rows.rows[k], v_cols[soft.index(s.target)], idx, 1.0)
        users = np.array(data.classes[s.cls].demands, dtype=np.int64)
        b.lp.add_terms(sums.rows[k, slot][None, None, :], short.cols[users], 1.0)  # the slot of each period
        b.lp.add_coef_effect(CARRIED_SHARE_S, rows.rows[k], total.cols[k], idx, -1.0)
        b.lp.add_effect(CARRIED_SHARE_RHS, "rhs", rows.rows[k], idx)
    slack = b.lp.add_vars("carried_lake_share_slack", (ids, years, ["up", "down"]))
    b.lp.add_terms(rows.rows[:, :, None], slack.cols, np.array([1.0, -1.0]))
    penalty = np.array([soft_pos[soft.index(s.target)] for s in shares])
    b.lp.add_effect(CARRIED_PENALTY, "cost", slack.cols, penalty[:, None, None], SHARE_SLACK)


def build_window_lp(data: ModelData, carried: Carried, links) -> LinearProgram:
    """The engine's families over ``data`` (as :func:`balkhash.allocation.model.build_lp`), then the
    carried rows."""
    return build_lp(data, extra=(lambda b: define_carried(b, carried, links),))


class WindowAllocation(Allocation):
    """An :class:`~balkhash.allocation.solve.Allocation` of a window: the engine's LP plus the
    carried rows, in its own live HiGHS instance."""

    def __init__(self, basin, data: ModelData, carried: Carried, links, strict: bool = False, **options):
        t0 = perf_counter()
        self.basin, self.strict, self.data = basin, strict, data
        self.options = {"fair_sharing": None, "time_limit": None, "log": False, "threads": None,
                        "highs_options": None, **options}
        self._carried, self._links = carried, links
        self._build(t0)

    def _build(self, t0: float) -> None:
        t1 = perf_counter()
        self.lp = build_window_lp(self.data, self._carried, self._links)
        self.reduced = ReducedLP(self.lp)
        self.params = Parameters(self.data, self.lp)
        t2 = perf_counter()
        self.backend = HighsBackend(self.reduced, log=self.options["log"], time_limit=self.options["time_limit"],
                                    threads=self.options["threads"], highs_options=self.options["highs_options"],
                                    aggregate=self.options.get("aggregate"))
        self.timings = {"compile": t1 - t0, "build": t2 - t1, "aggregate": self.backend.aggregate_seconds,
                        "load": self.backend.load_seconds}


class WindowModel:
    """One persistent window model: load the inputs of a window into it, solve warm."""

    def __init__(self, basin, full: ModelData, t0: int, n: int, carried: Carried, strict: bool = False,
                 **options) -> None:
        t = perf_counter()
        self.n = n
        self.data = window_data(full, t0, n)
        self.alloc = WindowAllocation(basin, self.data, carried, full.links, strict=strict, **options)
        self.lp = self.alloc.lp
        self.build_seconds = perf_counter() - t
        #: (full-LP block, window block) of the columns and rows indexed by period (set by the simulator)
        self.var_pairs: list[tuple[np.ndarray, np.ndarray]] = []
        self.row_pairs: list[tuple[np.ndarray, np.ndarray]] = []
        #: per number of applied periods k: (run columns, window columns), (run rows, window rows)
        #: of the first k periods (set by the simulator)
        self.applied: dict[int, tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]] = {}
        self._coef_pushed: np.ndarray | None = None
        #: what the live solver holds: row bounds, column bounds, costs (after the last load)
        self._solver_last: tuple[np.ndarray, ...] | None = None
        self._columns = np.arange(self.lp.ncols)
        #: (run stack positions, window stack positions, 1 where the run positions move with t0):
        #: the window's parameters gathered from the run's in one indexed copy (set by the simulator)
        self.gather: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def load(self, values: dict[str, np.ndarray]) -> None:
        """Set LP parameters (name -> all its values, shaped like the parameter); only the entries
        that change are pushed, in one update of the live solver."""
        if self.small:
            self._load_whole(values)
            return
        changes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, new in values.items():
            p = self.lp.params.get(name)
            if p is None:
                continue
            new = np.asarray(new, dtype=float)
            if new.shape == p.values.shape:
                if np.array_equal(new, p.values):
                    continue
                flat_new = new.reshape(-1)
            else:
                flat_new = np.broadcast_to(new, p.values.shape).reshape(-1)
            diff = np.flatnonzero(p.values.reshape(-1) != flat_new)
            if diff.size:
                changes[name] = (diff, flat_new[diff])
        merged = self.lp.set_parameters(changes) if changes else {}
        if merged:
            self.alloc.backend.apply(self.alloc.reduced.update(merged))

    def _load_whole(self, values: dict[str, np.ndarray]) -> None:
        """A small window: the parameters in ``values`` assigned (the others may have been written
        into :attr:`LinearProgram.stack` directly), every bound, cost and held coefficient recomputed,
        and pushed to the live solver where it differs from what the solver holds."""
        lp = self.lp
        for name, new in values.items():
            p = lp.params.get(name)
            if p is not None:
                p.values[...] = new
        touched = lp.refresh([*TARGETS, "coef"])
        red = self.alloc.reduced
        changes: dict[str, tuple[np.ndarray, ...]] = {}
        if "coef" in touched:  # only the matrix entries that moved (a single row's gives its column bounds)
            now = lp.A.data[lp.held]
            moved = np.arange(now.size) if self._coef_pushed is None else np.flatnonzero(self._coef_pushed != now)
            self._coef_pushed = now.copy()
            if moved.size:
                coefs, _ = red.coef_changes(lp.held[moved])  # the column bounds are recomputed whole below
                if coefs is not None:
                    changes["coefs"] = coefs
        # the solver's rows, bounds and costs whole (a small LP), pushed where they moved
        solver = (lp.current["row_lower"][red.kept], lp.current["row_upper"][red.kept],
                  *red._column_bounds(self._columns), lp.current["cost"])
        red.col_lower, red.col_upper = solver[2], solver[3]
        last = self._solver_last
        if last is None:
            moved_rows, moved_cols, moved_cost = (np.arange(len(a)) for a in (solver[0], solver[2], solver[4]))
        else:
            moved_rows = np.flatnonzero((last[0] != solver[0]) | (last[1] != solver[1]))
            moved_cols = np.flatnonzero((last[2] != solver[2]) | (last[3] != solver[3]))
            moved_cost = np.flatnonzero(last[4] != solver[4])
        self._solver_last = tuple(a.copy() for a in solver)
        if moved_rows.size:
            changes["rows"] = (moved_rows, solver[0][moved_rows], solver[1][moved_rows])
        if moved_cols.size:
            changes["cols"] = (moved_cols, solver[2][moved_cols], solver[3][moved_cols])
        if moved_cost.size:
            changes["cost"] = (moved_cost, solver[4][moved_cost])
        if changes:
            self.alloc.backend.apply(changes)

    @property
    def small(self) -> bool:
        """Loaded whole (every parameter, every bound) rather than entry by entry."""
        return self.lp.ncols <= WHOLE_LP

    def solve(self):
        """(outcome, column values, row duals, bound duals) of the window as loaded.  HiGHS's warnings about the
        model are kept from the first solve; later solves of the same matrix run without its log."""
        backend = self.alloc.backend
        outcome = backend.solve()
        if not self.alloc.options.get("log"):
            backend.mute()
        return outcome, backend.col_value, backend.row_dual, backend.bound_dual
