"""Hydropower, with an optional monthly energy target.

For a plant p on link l with k1_p = rho g eta / 3.6e12 * 1e6 (GWh per Mm3 and m of head) and
head H_{p,t} (m; parameter ``head``, a coefficient of the matrix):

    0 <= q_{p,t} <= qmax_{p,t}               turbine flow, limited by the discharge limit and by
                                             the volume that produces the installed capacity in
                                             the period at the design head
    q_{p,t} - x_{l,t} <= 0                   the turbines take part of the link flow, the rest spills
    k1_p H_{p,t} q_{p,t} + r_{p,t} >= E_{p,t}  energy target (GWh, parameter ``energy_target``),
                                             shortfall r >= 0 costs c_p per GWh

H is the plant's fixed head (the coefficient k_p = k1_p H is then a constant), or with
``head_from`` the level of the reservoir's mean storage
in the period minus the tailwater, made consistent with the storage path by successive linear
programming (:mod:`balkhash.allocation.heads`).  Only plants with an energy target enter the LP.
For every plant the energy reported is k1_p H_{p,t} min(x_{l,t}, qmax_{p,t}): the turbines take
what the link carries, up to their limit.
"""

from __future__ import annotations

import numpy as np

from .context import Build


def define_hydropower(b: Build) -> None:
    data = b.data
    plants = [p for p in data.plants if p.target is not None]
    if not plants:
        return
    ids = [p.id for p in plants]
    b.lp.parameter("energy_target", ids, np.array([p.target for p in plants]), "GWh per period")
    q = b.lp.add_vars("turbine", (ids, b.periods), upper=np.array([p.qmax for p in plants]))
    r = b.lp.add_vars("energy_short", (ids, b.periods), cost=np.array([p.cost for p in plants])[:, None])
    link = [data.link_index(p.link) for p in plants]
    lim = b.lp.add_rows("turbine_limit", (ids, b.periods), upper=0.0)
    b.lp.add_terms(lim.rows, q.cols, 1.0)
    b.lp.add_terms(lim.rows, b.var("flow").cols[link], -1.0)
    en = b.lp.add_rows("energy_target", (ids, b.periods), lower=0.0)
    fixed = [i for i, p in enumerate(plants) if p.head_from is None]
    moving = [i for i, p in enumerate(plants) if p.head_from is not None]
    b.lp.add_terms(en.rows[fixed], q.cols[fixed], np.array([plants[i].k for i in fixed])[:, None])
    if moving:  # the head of the energy rows is a coefficient parameter, set by the successive LP
        b.lp.parameter("head", [ids[i] for i in moving], np.array([plants[i].head for i in moving]), "m")
        b.lp.add_coef_effect("head", en.rows[moving], q.cols[moving], b.per_period("head", np.arange(len(moving))),
                             np.array([plants[i].k1 for i in moving])[:, None])
    b.lp.add_terms(en.rows, r.cols, 1.0)
    b.lp.add_effect("energy_target", "row_lower", en.rows, b.per_period("energy_target", np.arange(len(ids))))
