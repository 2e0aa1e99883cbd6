"""Segments of link flows and of storage: piecewise-linear costs and per-period storage values.

A link l with segments k = 0..K_l-1 carries x_{l,t} = sum_k x_{l,k,t}, each segment a variable
``segment[l:k,t]`` = x_{l,k,t} between its own bounds at its own cost per Mm3 and period:

    xmin_{l,k,t} <= x_{l,k,t} <= xmax_{l,k,t}         cost: c_{l,k,t} x_{l,k,t}

    x_{l,t} - sum_k x_{l,k,t} = 0                      (row ``segment_sum[l,t]``)

The link's own bounds and cost apply to the total x_{l,t} besides.  Segments are parallel arcs:
with costs rising from one segment to the next the cost of x is the convex piecewise-linear curve
through them; with costs falling the LP fills the cheaper segment first (CALVIN's k-indexed links
have both; a segment's lower bound is met whatever its cost).

A storage node n with segments k carries the storage it passes from the end of every period t
into the next, lambda_{n,t} S_{n,t} (lambda the carry factor of :mod:`.storage`, 1 unless given;
at the last period the storage handed beyond the horizon) as segments, variables
``storage_segment[n:k,t]`` = c_{n,k,t}:

    cmin_{n,k,t} <= c_{n,k,t} <= cmax_{n,k,t}         cost: v_{n,k,t} c_{n,k,t}

    lambda_{n,t} S_{n,t} - sum_k c_{n,k,t} = 0         (row ``storage_segment_sum[n,t]``)

a negative v is the value of the water held in the segment at the end of period t: a piecewise
carry-over value per period (not only at the end of the horizon, :mod:`.carryover`).  The row's
dual is the marginal value of storage at the end of period t; a binding segment bound shows its
own in ``bound_duals.csv``.
"""

from __future__ import annotations

import numpy as np

from .context import Build


def define_segments(b: Build) -> None:
    data = b.data
    links = [(i, lk) for i, lk in enumerate(data.links) if lk.segments]
    if links:
        _segments(b, "segment", [lk.id for _, lk in links], [lk.segments for _, lk in links],
                  b.var("flow").cols[[i for i, _ in links]])
    st = [(i, s) for i, s in enumerate(data.storages) if s.segments]
    if st:
        carry = np.array([s.carry if s.carry is not None else np.ones(b.T) for _, s in st]).reshape(len(st), b.T)
        _segments(b, "storage_segment", [s.id for _, s in st], [s.segments for _, s in st],
                  b.var("storage").cols[[i for i, _ in st]], carry)


def _segments(b: Build, name: str, owners: list[str], segments: list, total_cols: np.ndarray,
              total_coef: np.ndarray | float = 1.0) -> None:
    T = b.T
    flat = [g for segs in segments for g in segs]
    ids = [f"{o}:{k}" for o, segs in zip(owners, segments, strict=True) for k in range(len(segs))]
    lower = np.array([g.lower for g in flat]).reshape(len(flat), T)
    upper = np.array([g.upper for g in flat]).reshape(len(flat), T)
    cost = np.array([g.cost for g in flat]).reshape(len(flat), T)
    cols = b.lp.add_vars(name, (ids, b.periods), lower=lower, upper=upper, cost=cost)
    rows = b.lp.add_rows(f"{name}_sum", (owners, b.periods), lower=0.0, upper=0.0)
    b.lp.add_terms(rows.rows, total_cols, total_coef)
    owner = np.repeat(np.arange(len(owners)), [len(s) for s in segments])
    b.lp.add_terms(rows.rows[owner], cols.cols, -1.0)
