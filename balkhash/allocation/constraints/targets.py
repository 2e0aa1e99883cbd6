"""Ecological flows, lake inflow, lake level and end-of-horizon storage targets.

Each target is soft by default, with a violation variable v >= 0 charged ``penalty`` per Mm3 in
the objective, so the model always solves and the results say what was violated and by how much;
a hard target has no v (and, where it is a simple bound, becomes a variable bound instead).

* eco flow on link l:        x_{l,t} + v_t >= Q_{l,t}                       every period t
* lake inflow into lake n:   sum_{t in w} [ I_{n,t} + sum_{l in in(n)} (1 - loss_l) x_{l,t}
                                            + sum_{d: ret(d)=n} (1 - c_d) y_{d,t} ] + v_w >= V_min
                             for every water year w fully inside the horizon (groundwater is not
                             counted: the target is surface inflow)
* lake level of lake n:      S_{n,t} + v_t >= S_n(h_min)                    every period t,
                             where S_n(h) is the exact storage of level h from the table; v_t
                             is charged penalty x days_t / 365: the penalty per Mm3-year of
                             deficit, like the annual lake inflow target (a month's deficit
                             costs 1/12 of it, so a deficit kept for years adds up year by year)
* end storage of reservoir:  S_{n,T-1} + v >= S_end
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..data import ModelData
from ..lp import INF, add_rows, add_var
from .balance import inflow_terms

if TYPE_CHECKING:  # only for annotations: the builders also run without Pyomo
    import pyomo.environ as pyo


def define_targets(data: ModelData, m: pyo.ConcreteModel) -> None:
    T = data.T
    full_years = data.timeline.full_water_years()
    eco = [(tg, t) for tg in data.targets if tg.type == "eco_flow" and not tg.hard for t in range(T)
           if tg.values[t] > 0]
    level = [(tg, t) for tg in data.targets if tg.type == "lake_level" and not tg.hard for t in range(T)]
    inflow = [(tg, wy) for tg in data.targets if tg.type == "lake_inflow" for wy in full_years]
    end = [tg for tg in data.targets if tg.type == "end_storage"]

    viol_index = ([(tg.id, t) for tg, t in eco + level]
                  + [(tg.id, wy) for tg, wy in inflow if not tg.hard]
                  + [(tg.id, T - 1) for tg in end if not tg.hard])
    add_var(m, "viol", viol_index, np.zeros(len(viol_index)), np.full(len(viol_index), np.inf))
    x = m.var_index["flow"]
    storage = m.var_index["storage"]
    v = m.var_index["viol"]

    if eco:
        add_rows(m, "eco_flow", [(tg.id, t) for tg, t in eco],
                 lambda tid, t: ([(1.0, x[_ref(data, tid), t]), (1.0, v[tid, t])], float(_val(data, tid)[t]), INF))
    if level:
        add_rows(m, "lake_level", [(tg.id, t) for tg, t in level],
                 lambda tid, t: ([(1.0, storage[_ref(data, tid), t]), (1.0, v[tid, t])], _smin(data, tid), INF))
    if inflow:
        def inflow_rule(tid, wy):
            tg = _target(data, tid)
            ts = full_years[wy]
            terms = [term for t in ts for term in inflow_terms(data, m, tg.ref, t)]
            if not tg.hard:
                terms.append((1.0, v[tid, wy]))
            local = sum(float(data.inflow[tg.ref][t]) for t in ts) if tg.ref in data.inflow else 0.0
            return terms, float(tg.values) - local, INF

        add_rows(m, "lake_inflow", [(tg.id, wy) for tg, wy in inflow], inflow_rule)
    if end:
        def end_rule(tid):
            tg = _target(data, tid)
            terms = [(1.0, storage[tg.ref, T - 1])]
            if not tg.hard:
                terms.append((1.0, v[tid, T - 1]))
            return terms, float(tg.values), INF

        add_rows(m, "end_storage", [tg.id for tg in end], end_rule)


def _target(data: ModelData, tid: str):
    return data.target_by_id[tid]


def _ref(data: ModelData, tid: str) -> str:
    return data.target_by_id[tid].ref


def _val(data: ModelData, tid: str):
    return data.target_by_id[tid].values


def _smin(data: ModelData, tid: str) -> float:
    return float(data.target_by_id[tid].storage_min)
