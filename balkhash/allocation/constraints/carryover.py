"""The carry-over value of storage: water kept at the end of the model's horizon has a value.

For a storage node n with the curve of breakpoints b_{n,0} < b_{n,1} < ... < b_{n,K} (Mm3) and
values v_{n,0} >= v_{n,1} >= ... >= v_{n,K-1} >= 0 per Mm3, variables ``carryover[n,k]`` =
c_{n,k}, the storage held in segment k at the end of the last period T-1:

    0 <= c_{n,k} <= b_{n,k+1} - b_{n,k}

    sum_k c_{n,k} - S_{n,T-1} <= -b_{n,0}                  (row ``carryover[n]``)

    objective  -=  sum_k v_{n,k} c_{n,k}

The values fall with the storage (a concave value), so the LP fills the segments in order and
sum_k v_k c_k is the value V(S_{n,T-1}) of the piecewise curve: zero below b_0, flat above b_K.
The horizon is the model's own: the whole run in optimise mode, each step in step mode, each
re-plan's window in rolling mode (the value there stands for the periods the window cannot see).
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .context import Build


def define_carryover(b: Build) -> None:
    st = [(i, s.id, s.carryover) for i, s in enumerate(b.data.storages) if s.carryover is not None]
    if not st:
        return
    ids = [f"{sid}:{k}" for _, sid, (_, v) in st for k in range(len(v))]
    width = np.concatenate([np.diff(points) for _, _, (points, _) in st])
    value = np.concatenate([v for _, _, (_, v) in st])
    c = b.lp.add_vars("carryover", (ids,), lower=0.0, upper=width, cost=-value)
    rows = b.lp.add_rows("carryover", ([sid for _, sid, _ in st],), upper=-np.array([p[0] for _, _, (p, _) in st]))
    owner = np.repeat(np.arange(len(st)), [len(v) for _, _, (_, v) in st])
    b.lp.add_terms(rows.rows[owner], c.cols, 1.0)
    storage = b.var("storage")
    b.lp.add_terms(rows.rows, storage.cols[[i for i, _, _ in st], b.T - 1], -1.0)


def carryover_values(data: ModelData, end_storage: dict[str, float]) -> np.ndarray:
    """The segment fill c_{n,k} of the curves for the given end storages (Mm3), in the order of the
    ``carryover`` columns: what the LP chooses when the segments are filled in order."""
    out = []
    for s in data.storages:
        if s.carryover is None:
            continue
        points = s.carryover[0]
        out.append(np.clip(end_storage[s.id] - points[:-1], 0.0, np.diff(points)))
    return np.concatenate(out) if out else np.zeros(0)
