"""Decision variables, with bounds as variable bounds (not rows).

=============================  =====================================  ==========================
symbol                         meaning                                bounds
=============================  =====================================  ==========================
``flow[l,t]``   x_{l,t}        flow entering link l in period t, Mm3  [xmin_{l,t}, xmax_{l,t}]
``storage[n,t]`` S_{n,t}       storage of n at the end of t, Mm3      [Smin_{n,t}, Smax_{n,t}]
``deliv[d,k,t]`` u_{d,k,t}     delivery to d in sharing block k, Mm3  [0, w_k D_{d,t}]
y_{d,t} = sum_k u_{d,k,t}      delivery to d (blocks exist only where D_{d,t} > 0)
``spill[n,t]``  z_{n,t}        lake water above the table top, Mm3    >= 0
=============================  =====================================  ==========================

A hard ecological flow raises the lower bound of its link; a hard lake level raises the lower
bound of the lake storage to the volume of that level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .data import ModelData
from .lp import add_var

if TYPE_CHECKING:  # only for annotations: the builders also run without Pyomo
    import pyomo.environ as pyo


def block_widths(data: ModelData) -> list[float]:
    """w_k: the share of the target in each sharing block (sums to 1)."""
    b = [0.0, *data.blocks]
    return [b[k + 1] - b[k] for k in range(len(data.blocks))]


def delivery_terms(data: ModelData, m, d, t: int, coef: float = 1.0) -> list:
    """(coefficient, variable) pairs of coef * y_{d,t}; empty when the target is zero."""
    if d.target[t] <= 0:
        return []
    u = m.var_index["deliv"]
    return [(coef, u[d.id, k, t]) for k in range(len(data.blocks))]


def define_variables(data: ModelData, m: pyo.ConcreteModel) -> None:
    T = data.T
    lower = {lk.id: lk.lower.copy() for lk in data.links}
    for tg in data.targets:
        if tg.type == "eco_flow" and tg.hard:
            lower[tg.ref] = np.maximum(lower[tg.ref], tg.values)
    add_var(m, "flow", [(lk.id, t) for lk in data.links for t in range(T)],
         np.concatenate([lower[lk.id] for lk in data.links]) if data.links else [],
         np.concatenate([lk.upper for lk in data.links]) if data.links else [])
    slo = {s.id: s.lower.copy() for s in data.storages}
    for tg in data.targets:
        if tg.type == "lake_level" and tg.hard:
            slo[tg.ref] = np.maximum(slo[tg.ref], tg.storage_min)
    add_var(m, "storage", [(s.id, t) for s in data.storages for t in range(T)],
         np.concatenate([slo[s.id] for s in data.storages]) if data.storages else [],
         np.concatenate([s.upper for s in data.storages]) if data.storages else [])
    widths = block_widths(data)
    idx, ub = [], []
    for d in data.demands:
        for t in range(T):
            if d.target[t] > 0:
                for k, w in enumerate(widths):
                    idx.append((d.id, k, t))
                    ub.append(w * d.target[t])
    add_var(m, "deliv", idx, np.zeros(len(idx)), ub)
    lakes = [(s.id, t) for s in data.storages if s.kind == "lake" for t in range(T)]
    add_var(m, "spill", lakes, np.zeros(len(lakes)), np.full(len(lakes), np.inf))
