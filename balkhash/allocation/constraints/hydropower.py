"""Hydropower at a fixed head, with an optional monthly energy target.

For a plant p on link l with energy coefficient k_p = rho g H eta / 3.6e12 * 1e6 (GWh per Mm3):

    0 <= q_{p,t} <= qmax_{p,t}          turbine flow, limited by the discharge limit and by the
                                        volume that produces the installed capacity in the month
    q_{p,t} - x_{l,t} <= 0              the turbines take part of the link flow, the rest spills
    k_p q_{p,t} + r_{p,t} >= E_{p,t}    energy target (GWh, parameter ``energy_target``), shortfall
                                        r >= 0 costs c_p per GWh

Only plants with an energy target enter the LP.  For every plant the energy reported is
k_p min(x_{l,t}, qmax_{p,t}): the turbines take what the link carries, up to their limit.
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
    b.lp.add_terms(en.rows, q.cols, np.array([p.k for p in plants])[:, None])
    b.lp.add_terms(en.rows, r.cols, 1.0)
    b.lp.add_effect("energy_target", "row_lower", en.rows, b.per_period("energy_target", np.arange(len(ids))))
