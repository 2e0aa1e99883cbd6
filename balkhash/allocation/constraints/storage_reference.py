"""Reservoir storage reference: a tie-breaker among plans of equal cost (option
``storage_deviation_cost``, 0.001 by default, off when 0).

An LP over many periods often has many optimal plans: any timing of a reservoir's releases that
delivers the same water at the same cost scores the same, and the solver returns one of them
(e.g. emptying a reservoir in the first month of a dry spell).  With a cost eps per Mm3 and
period of distance from a reference storage, the cheapest of those plans keeps each reservoir as
close to its reference as the other costs allow.  For every reservoir n and period t:

    S_{n,t} - d+_{n,t} + d-_{n,t} = R_{n,t},    d+, d- >= 0,   cost  eps (d+_{n,t} + d-_{n,t})

with R_{n,t} = min(max(S0_n, Smin_{n,t}), Smax_{n,t}) (parameter ``storage_reference``, kept equal
to that expression when the initial storage or the bounds change): the initial storage, inside
the period's bounds.  eps must stay far below every other cost, so that it only breaks ties:
releasing 1 Mm3 in period t to a user short of water keeps the reservoir 1 Mm3 below its
reference for at most the T - t remaining periods, at most eps T, while the shortfall it avoids
costs c per Mm3 (times a block multiplier >= 1), so no user is shorted for the tie-breaker while
eps T < c.  The default eps = 0.001 gives eps T <= 1.2 for the longest horizon (100 water years,
1 200 months), against the default shortfall cost 100 per Mm3, the target penalty 10 000 and the
end-storage penalty 5 000; it is also 10 000 times HiGHS's dual feasibility tolerance (1e-7), so
the solver resolves it.  A basin with shortfall costs below eps T should lower it.  Without it
(eps = 0) a reservoir whose water serves nobody is drawn down or filled arbitrarily: any timing of
its releases costs the same.  Lakes have no reference: their level is what the basin gives them.
Nor has a reservoir whose storage segments price the water it holds (a carry-over value or a
holding cost in some period): those costs already order its plans (a passive wetland that costs
to hold drains when it can, instead of staying at its initial storage).
"""

from __future__ import annotations

import numpy as np

from .context import Build


def reference_storage(s0, lower, upper) -> np.ndarray:
    """R_{n,t}: the initial storage clipped to each period's storage bounds (Mm3)."""
    return np.minimum(np.maximum(s0, lower), upper)


def reservoirs(data) -> list[int]:
    if data.storage_deviation_cost <= 0:
        return []
    return [i for i, s in enumerate(data.storages) if s.kind == "reservoir"
            and not any(np.any(np.asarray(g.cost) != 0) for g in s.segments)]


def define_storage_reference(b: Build) -> None:
    data = b.data
    res = reservoirs(data)
    if not res:
        return
    ids = [data.storages[i].id for i in res]
    ref = np.array([reference_storage(data.storages[i].s0, data.storages[i].lower, data.storages[i].upper)
                    for i in res])
    b.lp.parameter("storage_reference", ids, ref, "Mm3")
    eps = data.storage_deviation_cost
    up = b.lp.add_vars("above_ref", (ids, b.periods), cost=eps)
    dn = b.lp.add_vars("below_ref", (ids, b.periods), cost=eps)
    rows = b.lp.add_rows("storage_reference", (ids, b.periods), lower=0.0, upper=0.0)
    b.lp.add_terms(rows.rows, b.var("storage").cols[res], 1.0)
    b.lp.add_terms(rows.rows, up.cols, -1.0)
    b.lp.add_terms(rows.rows, dn.cols, 1.0)
    b.lp.add_effect("storage_reference", "rhs", rows.rows, b.per_period("storage_reference", np.arange(len(res))))
