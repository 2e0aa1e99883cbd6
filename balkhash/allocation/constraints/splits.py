"""Flow splits: fixed fractions of a node's outflow (Pywr's RiverSplit ``factors``).

For every split s of node n, every link l it names with fraction f_{s,l}, and every period t:

    x_{l,t} = f_{s,l} * sum_{k in out(n)} x_{k,t}

with x the link flows (Mm3 per period) and out(n) every link leaving n.  When the named links are
all of n's out-links the fractions sum to 1 and the node's outflow is divided exactly; otherwise
the links not named carry the rest, 1 - sum_l f_{s,l}.  The fractions are fixed coefficients.
"""

from __future__ import annotations

import numpy as np

from .context import Build


def define_splits(b: Build) -> None:
    groups = b.data.groups
    if groups is None or not groups.splits:
        return
    links_out = b.data.links_out
    labels: list[str] = []
    rr: list[int] = []
    ll: list[int] = []
    vv: list[float] = []
    for s in groups.splits:
        out = links_out.get(s.node, [])
        for i, f in zip(s.links, s.fractions, strict=True):
            r = len(labels)
            labels.append(f"{s.id}:{b.data.links[i].id}")
            rr += [r, *[r] * len(out)]
            ll += [i, *out]
            vv += [1.0, *[-float(f)] * len(out)]
    rows = b.lp.add_rows("split", (labels, b.periods), lower=0.0, upper=0.0)
    flow = b.var("flow")
    b.lp.add_terms(rows.rows[np.array(rr)], flow.cols[np.array(ll)], np.array(vv)[:, None])
