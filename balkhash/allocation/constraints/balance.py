"""Mass balance at nodes without storage (inflow, junction, demand, disabled reservoir).

For every such node n and period t (all terms Mm3 in period t):

    I_{n,t} + sum_{l in in(n)} (1 - loss_l) x_{l,t} + sum_{d: ret(d) = n} (1 - c_d) y_{d,t}
        = sum_{l in out(n)} x_{l,t} + y_{n,t} [n is a demand]

with I the local inflow, loss_l the loss fraction of link l, c_d the consumptive fraction of
demand d and y_{d,t} = sum_k u_{d,k,t} its delivery.  Written with the unknowns on the left and
I_{n,t} on the right, so its dual is d(cost)/d(inflow) at n: minus the marginal value of water.
A demand has no outgoing links: what it does not consume leaves through its return node.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..data import ModelData


def inflow_terms(data: ModelData, m, n: str, t: int) -> list:
    """Water arriving at n in t from links (after losses) and from demand returns."""
    terms = [(1.0 - data.links[i].loss) * m.flow[data.links[i].id, t] for i in data.links_in.get(n, ())]
    for j in data.returns_in.get(n, ()):
        d = data.demands[j]
        terms.append((1.0 - d.consumptive) * m.deliv_total[d.id, t])
    return terms


def define_mass_balance(data: ModelData, m: pyo.ConcreteModel) -> None:
    if not data.balance_nodes:
        return
    is_demand = {d.id for d in data.demands}
    zeros = [0.0] * data.T

    def rule(_m, n, t):
        out = [m.flow[data.links[i].id, t] for i in data.links_out.get(n, ())]
        if n in is_demand:
            out.append(m.deliv_total[n, t])
        arriving = inflow_terms(data, m, n, t)
        if not out and not arriving:
            return pyo.Constraint.Skip
        body = pyo.quicksum(out) - pyo.quicksum(arriving)
        return body == float(data.inflow.get(n, zeros)[t])

    m.balance = pyo.Constraint([(n, t) for n in data.balance_nodes for t in range(data.T)], rule=rule)
