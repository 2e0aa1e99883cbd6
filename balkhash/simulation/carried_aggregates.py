"""Per-water-year aggregates in the windows of a step or rolling simulation.

A window sees only some periods of a water year w; the periods of w already applied are fixed.
With G_t the group's sum in period t (its link flows, deliveries and local inflows, weighted;
:mod:`balkhash.allocation.constraints.aggregates`), P_w the share of w's days the run holds
(``pro rata``, as in the full model) and U_w = sum_{t in w, applied} G_t what the applied periods
already hold, each aggregate adds one row per water year the window touches:

    sum_{t in w, in window} G_t <= Gmax P_w - U_w                      (row ``carried_aggregate``)
    sum_{t in w, in window} G_t >= (Gmin P_w - U_w) f_w   when Gmin P_w - U_w > 0, else Gmin P_w - U_w

f_w = days(w in window) / days(w in run, from the window's start): what the year still needs, spread over
the rest of the year by days (1 in a window that reaches the end of w, which so carries the whole
remainder).  A maximum is not spread (like an annual licence, any part of what is left may be used
in the months the window sees).  A ratio per water year, G - r H over the year:

    sum_{t in w, in window} (G_t - r H_t) >= -sum_{t in w, applied} (G_t - r H_t)

(<= for a maximum ratio, both for an equal one; row ``carried_aggregate_ratio``): every window
holds the ratio over the year so far and what it sees, so a surplus of the applied periods is
credited and a deficit made up, and the last window of the year makes the year's total.

Every aggregate is hard, as in the full model: a year whose applied periods leave no feasible
remainder fails the re-plan with the simulation's message.
"""

from __future__ import annotations

import numpy as np

from ..allocation.constraints.aggregates import add_group, add_ratio_rows, in_window, ratio_parts
from ..allocation.constraints.context import Build

CARRIED_AGG_MIN = "carried_aggregate_min"
CARRIED_AGG_MAX = "carried_aggregate_max"
CARRIED_RATIO = "carried_aggregate_ratio"
OWN = (CARRIED_AGG_MIN, CARRIED_AGG_MAX, CARRIED_RATIO)


def yearly_sums(groups) -> list:
    """The per-water-year aggregates with a minimum or a maximum of their sum."""
    return [a for a in (groups.aggregates if groups is not None else [])
            if a.per == "water_year" and a.of is None and (a.lower is not None or a.upper is not None)]


def yearly_ratios(groups) -> list[tuple]:
    """The ratio rows (:func:`ratio_parts`) of the per-water-year ratios."""
    return ratio_parts([a for a in (groups.aggregates if groups is not None else [])
                        if a.per == "water_year" and a.of is not None])


def define_carried_aggregates(b: Build) -> None:
    """The carried rows of a window's per-water-year aggregates (module docstring)."""
    groups = b.data.groups
    if not in_window(b):
        return
    tl = b.data.timeline
    years = sorted({int(w) for w in tl.water_years})
    slot = np.searchsorted(years, tl.water_years.astype(int))
    nslot = len(years)
    sums = yearly_sums(groups)
    if sums:
        ids = [a.id for a in sums]
        rows = b.lp.add_rows("carried_aggregate", (ids, years), lower=0.0, upper=0.0)
        for k, a in enumerate(sums):
            add_group(b, rows.rows[k][slot], a.terms, 1.0)
        index = np.arange(len(ids) * nslot).reshape(-1, nslot)
        b.lp.parameter(CARRIED_AGG_MIN, ids, np.full((len(ids), nslot), -np.inf), "Mm3 the water year still needs")
        b.lp.parameter(CARRIED_AGG_MAX, ids, np.full((len(ids), nslot), np.inf), "Mm3 left in the water year")
        b.lp.add_effect(CARRIED_AGG_MIN, "row_lower", rows.rows, index)
        b.lp.add_effect(CARRIED_AGG_MAX, "row_upper", rows.rows, index)
    parts = yearly_ratios(groups)
    if parts:
        rows = add_ratio_rows(b, "carried_aggregate_ratio", parts, years, slot)
        ids = [f"{a.id}:{kind}" for a, kind, *_ in parts]
        b.lp.parameter(CARRIED_RATIO, ids, np.zeros((len(ids), nslot)), "Mm3 the applied periods are off the ratio")
        b.lp.add_effect(CARRIED_RATIO, "rhs", rows.rows, np.arange(len(ids) * nslot).reshape(-1, nslot))


class AggregateHistory:
    """What the applied periods of a run hold of each per-water-year aggregate: G_t of every sum,
    G_t - r H_t of every ratio row, per period of the run (Mm3)."""

    def __init__(self, full, lp) -> None:
        self.full, self.lp = full, lp
        self.sums = yearly_sums(full.groups)
        self.ratios = yearly_ratios(full.groups)
        self.G = np.zeros((len(self.sums), full.T))
        self.R = np.zeros((len(self.ratios), full.T))

    def __bool__(self) -> bool:
        return bool(self.sums or self.ratios)

    def _series(self, x: np.ndarray, terms, ts: np.ndarray) -> np.ndarray:
        lp, full = self.lp, self.full
        out = np.zeros(ts.size)
        for li, w in terms.links:
            out += w * x[lp.var_blocks["flow"].cols[li, ts]]
        if terms.demands:
            demand, short = lp.params["demand"].values, lp.var_blocks["short"].cols
            for d, w in terms.demands:
                out += w * (demand[d, ts] - x[short[d][:, ts]].sum(axis=0))
        if terms.inflows:
            inflow, pos = lp.params["inflow"].values, full.net.node_pos
            for n, w in terms.inflows:
                out += w * inflow[pos[n], ts]
        return out

    def account(self, x: np.ndarray, ts: np.ndarray) -> None:
        """Record the applied periods ``ts`` of the run's solution x."""
        for k, a in enumerate(self.sums):
            self.G[k, ts] = self._series(x, a.terms, ts)
        for k, (a, _kind, r, *_) in enumerate(self.ratios):
            self.R[k, ts] = self._series(x, a.terms, ts) - float(r) * self._series(x, a.of, ts)

    def values(self, params, t0: int, n: int, slots) -> dict[str, np.ndarray]:
        """The carried parameters of a window from t0 over n periods; ``slots`` as the simulator's
        (first period of the year in the run, its end, _, the pro-rata share of its days)."""
        out: dict[str, np.ndarray] = {}
        days = np.asarray(self.full.timeline.days, dtype=float)
        if CARRIED_AGG_MIN in params:
            lo = np.full((len(self.sums), len(slots)), -np.inf)
            hi = np.full_like(lo, np.inf)
            for j, (start, end, _, pro_rata) in enumerate(slots):
                used = self.G[:, start:t0].sum(axis=1)
                s0 = max(start, t0)
                f = days[s0:min(end, t0 + n)].sum() / days[s0:end].sum()
                for k, a in enumerate(self.sums):
                    if a.lower is not None:
                        need = float(a.lower) * pro_rata - used[k]
                        lo[k, j] = need * f if need > 0 else need
                    if a.upper is not None:
                        hi[k, j] = float(a.upper) * pro_rata - used[k]
            out[CARRIED_AGG_MIN], out[CARRIED_AGG_MAX] = lo, hi
        if CARRIED_RATIO in params:
            off = np.zeros((len(self.ratios), len(slots)))
            for j, (start, _, _, _) in enumerate(slots):
                off[:, j] = -self.R[:, start:t0].sum(axis=1)
            out[CARRIED_RATIO] = off
        return out
