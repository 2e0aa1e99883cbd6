"""Reservoir storage reference: a tie-breaker among plans of equal cost (option
``storage_deviation_cost``, off when 0).

An LP over many periods often has many optimal plans: any timing of a reservoir's releases that
delivers the same water at the same cost scores the same, and the solver returns one of them
(e.g. emptying a reservoir in the first month of a dry spell).  With a cost eps per Mm3 and
period of distance from a reference storage, the cheapest of those plans keeps each reservoir as
close to its reference as the other costs allow.  For every reservoir n and period t:

    S_{n,t} - d+_{n,t} + d-_{n,t} = R_{n,t},    d+, d- >= 0,   cost  eps (d+_{n,t} + d-_{n,t})

with R_{n,t} = min(max(S0_n, Smin_{n,t}), Smax_{n,t}): the initial storage, inside the period's
bounds (rule curve).  eps must stay far below every other cost, so that it only breaks ties: with
eps = 0.001 a whole year of 1 km3 away from the reference costs 12, against shortfall costs of
order 100 per Mm3.  Lakes have no reference: their level is what the basin gives them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..data import ModelData
from ..lp import add_rows, add_var

if TYPE_CHECKING:
    import pyomo.environ as pyo


def reference_storage(s) -> np.ndarray:
    """R_{n,t}: the initial storage clipped to each period's storage bounds (Mm3)."""
    return np.minimum(np.maximum(s.s0, s.lower), s.upper)


def define_storage_reference(data: ModelData, m: pyo.ConcreteModel) -> None:
    if data.storage_deviation_cost <= 0:
        return
    res = [s for s in data.storages if s.kind == "reservoir"]
    if not res:
        return
    idx = [(s.id, t) for s in res for t in range(data.T)]
    zeros, inf = np.zeros(len(idx)), np.full(len(idx), np.inf)
    add_var(m, "above_ref", idx, zeros, inf)
    add_var(m, "below_ref", idx, zeros, inf)
    storage, up, dn = m.var_index["storage"], m.var_index["above_ref"], m.var_index["below_ref"]
    ref = {s.id: reference_storage(s) for s in res}

    def rule(n, t):
        r = float(ref[n][t])
        return [(1.0, storage[n, t]), (-1.0, up[n, t]), (1.0, dn[n, t])], r, r

    add_rows(m, "storage_reference", idx, rule)
