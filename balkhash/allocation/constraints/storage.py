"""Storage continuity of reservoirs and lakes, with evaporation linear in storage.

For every storage node n (reservoir or lake) and period t, with S_{n,-1} = S0_n the initial storage:

    S_{n,t} = S_{n,t-1} + I_{n,t} + G_{n,t} + sum_{l in in(n)} (1 - loss_l) x_{l,t}
              + sum_{d: ret(d) = n} (1 - c_d) y_{d,t} - sum_{l in out(n)} x_{l,t}
              - E_{n,t} - z_{n,t}

    E_{n,t} = (e_{n,t} - p_{n,t}) / 1000 * (a0_n + a1_n * (S_{n,t-1} + S_{n,t}) / 2)

E is net evaporation in Mm3 from the depth e (evaporation) minus p (precipitation, lakes only) in
mm over the area in km2, the area being the linear fit A(S) = a0 + a1 S of the level-area-volume
table around the operating range (see :mod:`balkhash.allocation.lav`) at the mean storage of the
period.  G is groundwater inflow (lakes) and z >= 0 the water a lake would hold above the top of
its table (penalised; zero in any sensible run).  Bounds Smin <= S <= Smax (with monthly rule
curves for reservoirs) are variable bounds.  Moving the known terms to the right:

    S_t (1 + h_t a1/2) - S_{t-1} (1 - h_t a1/2) - inflows + outflows + z = I + G - h_t a0

with h_t = (e_t - p_t)/1000, and for t = 0 the S_{-1} term moves to the right as a constant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..data import ModelData
from ..lp import add_rows
from .balance import inflow_terms

if TYPE_CHECKING:  # only for annotations: the builders also run without Pyomo
    import pyomo.environ as pyo


def define_storage_continuity(data: ModelData, m: pyo.ConcreteModel) -> None:
    if not data.storages:
        return
    by_id = {s.id: s for s in data.storages}

    x = m.var_index["flow"]
    storage = m.var_index["storage"]
    spill = m.var_index["spill"]

    def rule(n, t):
        s = by_id[n]
        h = s.net_evap_mm[t] / 1000.0
        half = h * s.area1 / 2.0
        rhs = float(data.inflow[n][t]) if n in data.inflow else 0.0
        if n in data.groundwater:
            rhs += float(data.groundwater[n][t])
        rhs -= h * s.area0
        terms = [(1.0 + half, storage[n, t])]
        if t == 0:
            rhs += (1.0 - half) * s.s0
        else:
            terms.append((-(1.0 - half), storage[n, t - 1]))
        terms += [(1.0, x[data.links[i].id, t]) for i in data.links_out.get(n, ())]
        terms += inflow_terms(data, m, n, t, -1.0)
        if s.kind == "lake":
            terms.append((1.0, spill[n, t]))
        return terms, rhs, rhs

    add_rows(m, "continuity", [(s.id, t) for s in data.storages for t in range(data.T)], rule)


def evaporation_mm3(s, prev, cur):
    """Net evaporation (Mm3) of the formulation for storages ``prev`` -> ``cur`` (arrays, Mm3)."""
    return s.net_evap_mm / 1000.0 * (s.area0 + s.area1 * (prev + cur) / 2.0)
