"""The objective: minimise shortfall costs, target penalties, energy shortfall and link costs.

    min  sum_{d,t,k} c_d m_k (w_k D_{d,t} - u_{d,k,t})        shortfall cost (fair-sharing blocks)
       + sum_{targets} P_g v_g                                violation penalties (lake level:
                                                               P_g days_t / 365 per period: per Mm3-year)
       + sum_{lakes,t} P_spill z_{n,t}                         water above a lake table's top
       + sum_{p,t} c_p r_{p,t}                                 energy shortfall
       + sum_{l,t} cost_l x_{l,t}                              link costs
       + sum_{n,t} eps (d+_{n,t} + d-_{n,t})                   reservoirs away from their reference
                                                               (tie-breaker, option storage_deviation_cost)

Fair sharing: the shortfall of demand d is cut into blocks k of widths w_k (shares of the target,
e.g. 10 %, 15 %, 25 %, 50 %) costing m_k (non-decreasing) times c_d.  The LP leaves the cheap
first blocks short first, so two users of equal cost c end up short in the same block instead of
one taking the whole deficit: their shortfall fractions differ by at most one block width (equal
when the common fraction falls on a block boundary).  More, narrower blocks share more finely.
u_{d,k,t} is the part of block k that is delivered, so the delivery is y_{d,t} = sum_k u_{d,k,t}
and the shortfall D - y.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .data import ModelData
from .lp import set_objective
from .variables import block_widths

if TYPE_CHECKING:  # only for annotations: the builders also run without Pyomo
    import pyomo.environ as pyo

#: a lake level deficit is charged per Mm3-year: penalty x days of the period / 365
DAYS_PER_YEAR = 365.0


def define_objective(data: ModelData, m: pyo.ConcreteModel) -> None:
    widths = block_widths(data)
    u = m.var_index["deliv"]
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
                    terms.append((-coef, u[d.id, k, t]))
    tg = data.target_by_id
    year_share = data.timeline.days / DAYS_PER_YEAR  # a lake level deficit is charged per Mm3-year
    terms += [(tg[tid].penalty * (year_share[key] if tg[tid].type == "lake_level" else 1.0), v)
              for (tid, key), v in m.var_index["viol"].items()]
    spill_penalty = max([t.penalty for t in data.targets] + [1e4]) * 10
    terms += [(spill_penalty, v) for v in m.var_index["spill"].values()]
    if "energy_short" in m.var_index:
        cost = {p.id: p.cost for p in data.plants}
        terms += [(cost[p], v) for (p, _), v in m.var_index["energy_short"].items()]
    x = m.var_index["flow"]
    terms += [(lk.cost, x[lk.id, t]) for lk in data.links if lk.cost for t in range(data.T)]
    eps = data.storage_deviation_cost
    for name in ("above_ref", "below_ref"):
        terms += [(eps, v) for v in m.var_index.get(name, {}).values()]
    set_objective(m, terms, const)
