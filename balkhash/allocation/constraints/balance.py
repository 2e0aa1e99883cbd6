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

from typing import TYPE_CHECKING

from ..data import ModelData
from ..lp import add_rows
from ..variables import delivery_terms

if TYPE_CHECKING:  # only for annotations: the builders also run without Pyomo
    import pyomo.environ as pyo


def inflow_terms(data: ModelData, m, n: str, t: int, sign: float = 1.0) -> list:
    """(coefficient, variable) pairs of the water arriving at n in t from links (after losses) and
    from demand returns, times ``sign``."""
    x = m.var_index["flow"]
    terms = [(sign * (1.0 - data.links[i].loss), x[data.links[i].id, t]) for i in data.links_in.get(n, ())]
    for j in data.returns_in.get(n, ()):
        d = data.demands[j]
        terms += delivery_terms(data, m, d, t, sign * (1.0 - d.consumptive))
    return terms


def node_terms(data: ModelData, n: str):
    """Static parts of node n's balance: outgoing link ids, incoming (gain, link id) pairs and
    (return share, demand) pairs, computed once per node rather than once per period."""
    out_ids = [data.links[i].id for i in data.links_out.get(n, ())]
    in_links = [(1.0 - data.links[i].loss, data.links[i].id) for i in data.links_in.get(n, ())]
    returns = [(1.0 - data.demands[j].consumptive, data.demands[j]) for j in data.returns_in.get(n, ())]
    return out_ids, in_links, returns


def define_mass_balance(data: ModelData, m: pyo.ConcreteModel) -> None:
    if not data.balance_nodes:
        return
    demand = {d.id: d for d in data.demands}
    x = m.var_index["flow"]
    u = m.var_index["deliv"]
    blocks = range(len(data.blocks))
    static = {n: node_terms(data, n) for n in data.balance_nodes}
    zeros = [0.0] * data.T

    def rule(n, t):
        out_ids, in_links, returns = static[n]
        terms = [(1.0, x[lid, t]) for lid in out_ids]
        terms += [(-g, x[lid, t]) for g, lid in in_links]
        for share, d in returns:
            if d.target[t] > 0:
                terms += [(-share, u[d.id, k, t]) for k in blocks]
        if n in demand and demand[n].target[t] > 0:
            terms += [(1.0, u[n, k, t]) for k in blocks]
        if not terms:
            return None
        rhs = float(data.inflow.get(n, zeros)[t])
        return terms, rhs, rhs

    add_rows(m, "balance", [(n, t) for n in data.balance_nodes for t in range(data.T)], rule)
