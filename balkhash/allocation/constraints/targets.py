"""Ecological flows, lake inflow, lake level and end-of-horizon storage targets.

Each target is soft by default, with a violation variable v >= 0 charged P per unit in the
objective (parameter ``penalty``, per target), so the model always solves and the results say what
was violated and by how much; a hard target has no v (a single-variable row, which the solver gets
as a bound: :mod:`balkhash.allocation.reduce`).  The required values are parameters too.

* eco flow on link l (``eco_flow``, Mm3 per period):
      x_{l,t} + v_t >= Q_{l,t}                                           every period t
* lake inflow into lake n (``lake_inflow_target``, Mm3 per water year):
      sum_{t in w} [ I_{n,t} + arrivals(n,t) ] + v_w >= V_min            every water year w fully
                                                                          inside the horizon
  (groundwater is not counted: the target is surface inflow)
* lake level of lake n (``lake_level_target``, m BS; the row holds its storage S_n(h_min) from the
  table, Mm3):
      S_{n,t} + v_t >= S_n(h_min)                                        every period t
  with v_t charged P days_t / 365: the penalty per Mm3-year of deficit, like the annual lake
  inflow target (a month's deficit costs 1/12 of it, a deficit kept for years adds up)
* end storage of reservoir n (``end_storage``, Mm3):
      S_{n,T-1} + v >= S_end
"""

from __future__ import annotations

from typing import cast

import numpy as np

from .context import Build
from .network import add_arrivals, add_local_inflow

#: a lake level deficit is charged per Mm3-year: penalty x days of the period / 365
DAYS_PER_YEAR = 365.0


def define_targets(b: Build) -> None:
    data = b.data
    b.lp.parameter("penalty", [t.id for t in data.targets], [t.penalty for t in data.targets], "per unit")
    for kind, builder in (("eco_flow", _eco_flow), ("lake_inflow", _lake_inflow), ("lake_level", _lake_level),
                          ("end_storage", _end_storage)):
        idx = [i for i, t in enumerate(data.targets) if t.type == kind]
        if idx:
            builder(b, idx)


def _violations(b: Build, name: str, tpos: list[int], axes: tuple, rows: np.ndarray, weight=1.0) -> None:
    """v >= 0 on the soft ones of ``tpos`` (rows shaped like axes), cost penalty x weight."""
    soft = [k for k, i in enumerate(tpos) if not b.data.targets[i].hard]
    v = b.lp.add_vars(f"viol_{name}", ([b.data.targets[tpos[k]].id for k in soft], *axes[1:]))
    if soft:
        b.lp.add_terms(rows[soft], v.cols, 1.0)
        pen = np.array(tpos)[soft].reshape((-1,) + (1,) * (v.cols.ndim - 1))
        b.lp.add_effect("penalty", "cost", v.cols, pen, weight)


def _eco_flow(b: Build, tpos: list[int]) -> None:
    data = b.data
    tg = [data.targets[i] for i in tpos]
    ids = [t.id for t in tg]
    b.lp.parameter("eco_flow", ids, np.array([t.values for t in tg]).reshape(len(tg), b.T), "Mm3 per period")
    rows = b.lp.add_rows("eco_flow", (ids, b.periods), lower=0.0)
    link = [data.link_index(t.ref) for t in tg]
    b.lp.add_terms(rows.rows, b.var("flow").cols[link], 1.0)
    b.lp.add_effect("eco_flow", "row_lower", rows.rows, b.per_period("eco_flow", np.arange(len(tg))))
    _violations(b, "eco_flow", tpos, (ids, b.periods), rows.rows)


def _lake_inflow(b: Build, tpos: list[int]) -> None:
    data = b.data
    tg = [data.targets[i] for i in tpos]
    ids = [t.id for t in tg]
    years = sorted(data.timeline.full_water_years())
    b.lp.parameter("lake_inflow_target", ids, [float(t.values) for t in tg], "Mm3 per water year")
    rows = b.lp.add_rows("lake_inflow", (ids, years), lower=0.0)
    if not years:
        return
    wy = data.timeline.water_years.astype(int)
    row_at = {w: k for k, w in enumerate(years)}
    pos = data.net.node_pos
    for k, t in enumerate(tg):
        R = np.full((len(data.nodes), b.T), -1, dtype=np.int64)
        R[pos[t.ref]] = [rows.rows[k, row_at[w]] if w in row_at else -1 for w in wy]
        add_arrivals(b, R, 1.0, bound="row_lower")
        add_local_inflow(b, R, -1.0, bound="row_lower")
    b.lp.add_effect("lake_inflow_target", "row_lower", rows.rows, np.arange(len(tg))[:, None])
    _violations(b, "lake_inflow", tpos, (ids, years), rows.rows)


def _lake_level(b: Build, tpos: list[int]) -> None:
    data = b.data
    tg = [data.targets[i] for i in tpos]
    ids = [t.id for t in tg]
    b.lp.parameter("lake_level_target", ids, [float(t.values) for t in tg], "m BS")  # a record: no map
    # every lake-level target carries the storage of its level (ModelData sets it)
    b.lp.parameter("lake_level_storage", ids, [float(cast(float, t.storage_min)) for t in tg], "Mm3")
    rows = b.lp.add_rows("lake_level", (ids, b.periods), lower=0.0)
    lake = [[s.id for s in data.storages].index(t.ref) for t in tg]
    b.lp.add_terms(rows.rows, b.var("storage").cols[lake], 1.0)
    b.lp.add_effect("lake_level_storage", "row_lower", rows.rows, np.arange(len(tg))[:, None])
    _violations(b, "lake_level", tpos, (ids, b.periods), rows.rows, (data.timeline.days / DAYS_PER_YEAR)[None, :])


def _end_storage(b: Build, tpos: list[int]) -> None:
    data = b.data
    tg = [data.targets[i] for i in tpos]
    ids = [t.id for t in tg]
    b.lp.parameter("end_storage", ids, [float(t.values) for t in tg], "Mm3")
    rows = b.lp.add_rows("end_storage", (ids,), lower=0.0)
    node = [[s.id for s in data.storages].index(t.ref) for t in tg]
    b.lp.add_terms(rows.rows, b.var("storage").cols[node, b.T - 1], 1.0)
    b.lp.add_effect("end_storage", "row_lower", rows.rows, np.arange(len(tg)))
    _violations(b, "end_storage", tpos, (ids,), rows.rows)
