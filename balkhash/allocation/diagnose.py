"""Where a model without a solution fails: the nodes and periods whose water cannot balance.

When the LP is infeasible with every target elastic, water cannot be routed: some node has more
water than its links may carry (capacities, a full reservoir) or less than they must carry
(minimum flows, an empty reservoir).  This solves the full LP once more with an elastic balance,

    balance or continuity row r:   a_r x + e+_r - e-_r = b_r,    e+, e- >= 0,   min sum (e+ + e-)

(every other cost dropped), and reports the rows that need e > 0.  The rows read departures -
arrivals = local inflow, so e+ > 0 is water the node cannot pass on (a surplus: capacities, a
full reservoir) and e- > 0 water it must give but does not have (a deficit: minimum flows, a
reservoir at its minimum).
"""

from __future__ import annotations

import highspy
import numpy as np
import scipy.sparse as sp

from .lp import LinearProgram

TOL = 1e-6


def unbalanced_nodes(lp: LinearProgram, labels: list[str], limit: int = 5) -> list[str]:
    """Up to ``limit`` descriptions 'node N, period P: X Mm3 of surplus|deficit', largest first;
    empty when even the elastic balance has no solution (a conflict among bounds alone)."""
    rows = np.concatenate([lp.row_blocks[n].rows.reshape(-1) for n in ("balance", "continuity")
                           if n in lp.row_blocks])
    keys = [(str(node), t) for n in ("balance", "continuity") if n in lp.row_blocks
            for node in lp.row_blocks[n].axes[0] for t in lp.row_blocks[n].axes[1]]
    k = rows.size
    E = sp.csr_matrix((np.concatenate([np.ones(k), -np.ones(k)]),
                       (np.concatenate([rows, rows]), np.arange(2 * k))), shape=(lp.nrows, 2 * k))
    A = sp.hstack([lp.A, E], format="csr")
    cost = np.concatenate([np.zeros(lp.ncols), np.ones(2 * k)])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    n = A.shape[1]
    h.passModel(n, A.shape[0], A.nnz, int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize), 0.0,
                cost, np.concatenate([lp.current["col_lower"], np.zeros(2 * k)]),
                np.concatenate([lp.current["col_upper"], np.full(2 * k, np.inf)]),
                lp.current["row_lower"], lp.current["row_upper"], A.indptr[:-1].astype(np.int32),
                A.indices.astype(np.int32), A.data, np.zeros(n, dtype=np.int32))
    h.run()
    if str(h.getModelStatus()).split(".")[-1] != "kOptimal":
        return []
    x = np.asarray(h.getSolution().col_value)[lp.ncols:]
    plus, minus = x[:k], x[k:]
    found = []
    for i in np.argsort(-(plus + minus))[:limit]:
        if plus[i] + minus[i] <= TOL:
            break
        node, t = keys[i]
        what = "surplus it cannot pass on" if plus[i] > minus[i] else "deficit: water it must give but lacks"
        found.append(f"node '{node}', {labels[t]}: {max(plus[i], minus[i]):.6g} Mm3 of {what}")
    return found
