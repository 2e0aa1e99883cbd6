"""Hydropower heads that follow a reservoir's level, and the successive linear programming that
makes the energy targets consistent with them.

A plant p with ``head_from`` = reservoir s has in period t the head

    H_{p,t} = level_s((S_{s,t-1} + S_{s,t}) / 2) - tailwater_p          (m)

and produces k1_p H_{p,t} q_{p,t} GWh from q Mm3 through its turbines (k1 = rho g eta / 3.6e12 x
1e6, GWh per Mm3 and m).  Energy is bilinear in head and flow; the LP holds the head as a
coefficient parameter (``head``), so the energy rows are linear for given heads.  Successive
linear programming: solve with the heads of the last iterate (first: the level of the initial
storage), recompute the heads from the solved storage path, set them and re-solve warm, until no
head moves by more than ``tolerance`` m (or ``max_iterations``).  Without an energy target the
heads do not enter the LP: the energy reported follows the solved storage path, no iteration.
"""

from __future__ import annotations

import numpy as np

from .data import ModelData

#: heads converge when no period's head moves by more than this, m
HEAD_TOLERANCE_M = 0.01
MAX_HEAD_ITERATIONS = 20


def plant_heads(data: ModelData, storage: dict[str, np.ndarray], initial: dict[str, float]) -> dict[str, np.ndarray]:
    """Head per period (m) of every plant: fixed, or from the storage path of its ``head_from``
    reservoir (``storage``: id -> end-of-period storage, Mm3; ``initial``: id -> Mm3 at the start)."""
    out: dict[str, np.ndarray] = {}
    for p in data.plants:
        if p.head_from is None:
            assert p.head is not None
            out[p.id] = p.head
            continue
        s = data.storage(p.head_from)
        assert s.curve is not None
        end = np.asarray(storage[p.head_from], dtype=float)
        start = np.concatenate([[initial[p.head_from]], end[:-1]])
        out[p.id] = np.asarray(s.curve.level_at((start + end) / 2.0), dtype=float) - p.tailwater
    return out


def iterated_plants(data: ModelData) -> list[str]:
    """Plants whose head follows a level and that have an energy target: their heads are LP
    coefficients and need the successive linear programming."""
    return [p.id for p in data.plants if p.head_from is not None and p.target is not None]


def heads_of_solution(data: ModelData, lp, values: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`plant_heads` from an LP solution vector (the storage columns and the current
    initial storages)."""
    block = lp.var_blocks["storage"]
    S = np.asarray(values)[block.cols].reshape(len(data.storages), data.T)
    s0 = lp.params["initial_storage"].values
    return plant_heads(data, {s.id: S[i] for i, s in enumerate(data.storages)},
                       {s.id: float(s0[i]) for i, s in enumerate(data.storages)})


def head_change(data: ModelData, lp, values: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """The largest move (m) from the heads in the LP to those of its solution, and the latter, for
    the plants of :func:`iterated_plants`."""
    ids = iterated_plants(data)
    if not ids:
        return 0.0, {}
    new = heads_of_solution(data, lp, values)
    param = lp.params["head"]
    moved = max(float(np.max(np.abs(new[i] - param.values[param.position[i]]))) for i in ids)
    return moved, {i: new[i] for i in ids}
