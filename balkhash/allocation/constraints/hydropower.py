"""Hydropower at a fixed head, with an optional monthly energy target.

For a plant p on link l with energy coefficient k_p = rho g H eta / 3.6e12 * 1e6 (GWh per Mm3):

    0 <= q_{p,t} <= qmax_{p,t}          turbine flow, limited by the discharge limit and by the
                                        volume that produces the installed capacity in the month
    q_{p,t} <= x_{l,t}                  the turbines take part of the link flow, the rest spills
    k_p q_{p,t} + r_{p,t} >= E_{p,t}    energy target (GWh), shortfall r >= 0 costs c_p per GWh

Only plants with an energy target enter the LP.  For every plant the energy reported is
k_p min(x_{l,t}, qmax_{p,t}): the turbines take what the link carries, up to their limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..data import ModelData
from ..lp import INF, add_rows, add_var

if TYPE_CHECKING:  # only for annotations: the builders also run without Pyomo
    import pyomo.environ as pyo


def define_hydropower(data: ModelData, m: pyo.ConcreteModel) -> None:
    plants = [p for p in data.plants if p.target is not None]
    if not plants:
        return
    T = range(data.T)
    by_id = {p.id: p for p in plants}
    idx = [(p.id, t) for p in plants for t in T]
    add_var(m, "turbine", idx, np.zeros(len(idx)), [float(by_id[p].qmax[t]) for p, t in idx])
    add_var(m, "energy_short", idx, np.zeros(len(idx)), np.full(len(idx), np.inf))
    x = m.var_index["flow"]
    q = m.var_index["turbine"]
    r = m.var_index["energy_short"]
    add_rows(m, "turbine_limit", idx, lambda p, t: ([(1.0, q[p, t]), (-1.0, x[by_id[p].link, t])], -INF, 0.0))
    add_rows(m, "energy_target", idx,
             lambda p, t: ([(by_id[p].k, q[p, t]), (1.0, r[p, t])], float(by_id[p].target[t]), INF))
