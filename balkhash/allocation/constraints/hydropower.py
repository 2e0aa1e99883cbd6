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

import pyomo.environ as pyo

from ..data import ModelData


def define_hydropower(data: ModelData, m: pyo.ConcreteModel) -> None:
    plants = [p for p in data.plants if p.target is not None]
    if not plants:
        return
    T = range(data.T)
    by_id = {p.id: p for p in plants}
    idx = [(p.id, t) for p in plants for t in T]
    m.turbine = pyo.Var(idx, bounds=lambda _m, p, t: (0.0, float(by_id[p].qmax[t])))
    m.energy_short = pyo.Var(idx, bounds=(0, None))
    m.turbine_limit = pyo.Constraint(idx, rule=lambda _m, p, t: _m.turbine[p, t] <= _m.flow[by_id[p].link, t])
    m.energy_target = pyo.Constraint(
        idx,
        rule=lambda _m, p, t: by_id[p].k * _m.turbine[p, t] + _m.energy_short[p, t] >= float(by_id[p].target[t]),
    )
