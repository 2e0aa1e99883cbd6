"""Mass balance at nodes without storage (inflow, junction, demand, disabled reservoir).

For every such node n and period t (all terms Mm3 in period t):

    departures(n,t) - arrivals(n,t) = I_{n,t}

with I the local inflow (parameter ``inflow``) and arrivals / departures as in
:mod:`balkhash.allocation.constraints.network` (links after losses, demand returns, the node's own
delivery when it is a demand).  Its dual is d(cost)/d(inflow) at n: minus the marginal value of
water.  A row with a single variable (an inflow node with one outgoing link: x = I) is handed to
the solver as the bounds of that variable (:mod:`balkhash.allocation.reduce`).  A demand whose
only inlet is folded into it has no row (:mod:`balkhash.allocation.constraints.network`).
"""

from __future__ import annotations

from .context import Build
from .network import add_arrivals, add_departures, add_local_inflow, node_rows


def define_mass_balance(b: Build) -> None:
    folded = {b.data.demands[j].id for j in b.data.folded.values()}
    nodes = [n for n in b.data.balance_nodes if n not in folded]
    if not nodes:
        return
    rows = b.lp.add_rows("balance", (nodes, b.periods), lower=0.0, upper=0.0)
    R = node_rows(b, nodes, rows.rows)
    add_departures(b, R, 1.0)
    add_arrivals(b, R, -1.0)
    add_local_inflow(b, R, 1.0)
