"""The objective: minimise shortfall costs, target penalties, energy shortfall and link costs.

    min  sum_{d,t,k} c_d m_k (w_k D_{d,t} - u_{d,k,t})        shortfall cost (fair-sharing blocks)
       + sum_{targets} P_g v_g                                violation penalties
       + sum_{lakes,t} P_spill z_{n,t}                         water above a lake table's top
       + sum_{p,t} c_p r_{p,t}                                 energy shortfall
       + sum_{l,t} cost_l x_{l,t}                              link costs

Fair sharing: the shortfall of demand d is cut into blocks k of widths w_k (shares of the target,
e.g. 10 %, 15 %, 25 %, 50 %) costing m_k (non-decreasing) times c_d.  The LP leaves the cheap
first blocks short first, so two users of equal cost c end up short in the same block instead of
one taking the whole deficit: their shortfall fractions differ by at most one block width (equal
when the common fraction falls on a block boundary).  More, narrower blocks share more finely.
u_{d,k,t} is the part of block k that is delivered, so the delivery is y_{d,t} = sum_k u_{d,k,t}
and the shortfall D - y.
"""

from __future__ import annotations

import pyomo.environ as pyo

from .data import ModelData
from .expr import linear
from .variables import block_widths


def define_objective(data: ModelData, m: pyo.ConcreteModel) -> None:
    widths = block_widths(data)
    terms = []
    const = 0.0
    for d in data.demands:
        for k, w in enumerate(widths):
            coef = d.cost * data.multipliers[k]
            if coef == 0:
                continue
            for t in range(data.T):
                if d.target[t] > 0:
                    const += coef * w * float(d.target[t])
                    terms.append((-coef, m.deliv[d.id, k, t]))
    tg = data.target_by_id
    terms += [(tg[tid].penalty, m.viol[tid, key]) for tid, key in m.viol]
    spill_penalty = max([t.penalty for t in data.targets] + [1e4]) * 10
    terms += [(spill_penalty, m.spill[key]) for key in m.spill]
    if hasattr(m, "energy_short"):
        cost = {p.id: p.cost for p in data.plants}
        terms += [(cost[p], m.energy_short[p, t]) for p, t in m.energy_short]
    terms += [(lk.cost, m.flow[lk.id, t]) for lk in data.links if lk.cost for t in range(data.T)]
    m.objective = pyo.Objective(expr=linear(terms) + const, sense=pyo.minimize)
