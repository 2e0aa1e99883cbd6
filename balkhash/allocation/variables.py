"""Decision variables, with bounds as variable bounds (not rows).

=============================  =====================================  ==========================
symbol                         meaning                                bounds
=============================  =====================================  ==========================
``flow[l,t]``   x_{l,t}        flow entering link l in period t, Mm3  [xmin_{l,t}, xmax_{l,t}]
``storage[n,t]`` S_{n,t}       storage of n at the end of t, Mm3      [Smin_{n,t}, Smax_{n,t}]
``deliv[d,k,t]`` u_{d,k,t}     delivery to d in sharing block k, Mm3  [0, w_k D_{d,t}]
``deliv_total[d,t]`` y_{d,t}  delivery to d: sum_k u_{d,k,t}      (expression)
``spill[n,t]``  z_{n,t}        lake water above the table top, Mm3    >= 0
=============================  =====================================  ==========================

A hard ecological flow raises the lower bound of its link; a hard lake level raises the lower
bound of the lake storage to the volume of that level.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from .data import ModelData


def _b(v: float) -> float | None:
    return None if not np.isfinite(v) else float(v)


def block_widths(data: ModelData) -> list[float]:
    """w_k: the share of the target in each sharing block (sums to 1)."""
    b = [0.0, *data.blocks]
    return [b[k + 1] - b[k] for k in range(len(data.blocks))]


def define_variables(data: ModelData, m: pyo.ConcreteModel) -> None:
    T = range(data.T)
    lower = {lk.id: lk.lower.copy() for lk in data.links}
    upper = {lk.id: lk.upper for lk in data.links}
    for tg in data.targets:
        if tg.type == "eco_flow" and tg.hard:
            lower[tg.ref] = np.maximum(lower[tg.ref], tg.values)
    m.flow = pyo.Var(
        [(lk.id, t) for lk in data.links for t in T],
        bounds=lambda _m, lid, t: (_b(lower[lid][t]), _b(upper[lid][t])),
    )
    slo = {s.id: s.lower.copy() for s in data.storages}
    for tg in data.targets:
        if tg.type == "lake_level" and tg.hard:
            slo[tg.ref] = np.maximum(slo[tg.ref], tg.storage_min)
    sup = {s.id: s.upper for s in data.storages}
    m.storage = pyo.Var(
        [(s.id, t) for s in data.storages for t in T],
        bounds=lambda _m, n, t: (float(slo[n][t]), float(sup[n][t])),
    )
    widths = block_widths(data)
    target = {d.id: d.target for d in data.demands}
    m.deliv = pyo.Var(
        [(d.id, k, t) for d in data.demands for k in range(len(widths)) for t in T],
        bounds=lambda _m, d, k, t: (0.0, float(widths[k] * target[d][t])),
    )
    nblocks = len(widths)
    m.deliv_total = pyo.Expression(
        [(d.id, t) for d in data.demands for t in T],
        rule=lambda _m, d, t: sum(_m.deliv[d, k, t] for k in range(nblocks)),
    )
    m.spill = pyo.Var([(s.id, t) for s in data.storages if s.kind == "lake" for t in T], bounds=(0, None))
