"""Demands: shortfalls in fair-sharing blocks and their cost.

Variables ``short[d,k,t]`` = s_{d,k,t}, the part of demand d's target D_{d,t} (parameter ``demand``,
Mm3 per period) left short in sharing block k of width w_k (a share of the target; sum 1):

    0 <= s_{d,k,t} <= w_k D_{d,t}             cost: c_d m_k s_{d,k,t}

with c_d the shortfall cost per Mm3 (parameter ``shortfall_cost``) and m_k the block multipliers
(non-decreasing).  A demand with a ``shortfall_curve`` of its own has its own widths w_{d,k} and
multipliers m_{d,k} (a piecewise-linear convex shortfall cost per user); the others take the basin's
sharing blocks.  The delivery is y_{d,t} = D_{d,t} - sum_k s_{d,k,t}; the balance rows take it
from :mod:`balkhash.allocation.constraints.network`.  The cheap first blocks fill first, so two
users of equal cost end up short in the same block instead of one taking the whole deficit: their
shortfall fractions differ by at most one block width.
"""

from __future__ import annotations

import numpy as np

from .context import Build


def block_widths(blocks: list[float]) -> np.ndarray:
    """w_k: the share of the target in each sharing block (sums to 1)."""
    return np.diff(np.concatenate([[0.0], np.asarray(blocks, dtype=float)]))


def define_demands(b: Build) -> None:
    data, T = b.data, b.T
    ids = [d.id for d in data.demands]
    target = np.array([d.target for d in data.demands]).reshape(len(ids), T)
    b.lp.parameter("demand", ids, target, "Mm3 per period")
    b.lp.parameter("shortfall_cost", ids, [d.cost for d in data.demands], "per Mm3")
    widths, mult = demand_blocks(data)
    short = b.lp.add_vars("short", (ids, range(widths.shape[1]), b.periods), lower=0.0, upper=0.0)
    d = np.arange(len(ids))[:, None, None]
    b.lp.add_effect("demand", "col_upper", short.cols, d * T + np.arange(T)[None, None, :], widths[:, :, None])
    b.lp.add_effect("shortfall_cost", "cost", short.cols, d, mult[:, :, None])


def demand_blocks(data) -> tuple[np.ndarray, np.ndarray]:
    """(w_{d,k}, m_{d,k}), demands x blocks: the basin's sharing blocks, or a demand's own curve;
    curves with fewer blocks than the widest padded with blocks of width 0."""
    curves = [d.curve if d.curve is not None and data.fair_sharing else (data.blocks, data.multipliers)
              for d in data.demands]
    K = max([len(data.blocks), *(len(c[0]) for c in curves)])
    widths, mult = np.zeros((len(curves), K)), np.ones((len(curves), K))
    for j, (blocks, m) in enumerate(curves):
        widths[j, :len(blocks)] = block_widths(blocks)
        mult[j, :len(m)] = m
        mult[j, len(m):] = m[-1]
    return widths, mult
