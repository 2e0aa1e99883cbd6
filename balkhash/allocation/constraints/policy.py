"""Allocation policy: equal shares within a class of users, the lake's share of a class's deficit.

The policy's order of classes is in the costs (:mod:`balkhash.network.policy`: each class's
shortfall cost dominates the next one's).  This family adds what costs cannot say exactly.

* equal shares: one cut variable per proportional class c and period t, 0 <= u_{c,t} <= 1, and for
  every user d of the class

      sum_k s_{d,k,t} - D_{d,t} u_{c,t} = 0                      (row ``equal_share``)

  so every user of the class is short by the same share u_{c,t} of its target D_{d,t} in every
  period, exactly (D_{d,t}, the ``demand`` parameter, is the coefficient of u_{c,t}); the sharing
  blocks still price the cut, rising with u_{c,t};
* the lake's share of class c's deficit, for each soft lake inflow target (deficit v_w, target
  V, the ``lake_inflow_target`` parameter) in every full water year w, with
  S_w = sum_{d in c, t in w, k} s_{d,k,t} and D_w = sum_{d in c, t in w} D_{d,t}:

      (1 - X) v_w - X S_w = 0        a negotiated share X: the lake takes X of the deficit
      D_w v_w - V S_w = 0            'proportional': v_w / V = S_w / D_w       (row ``lake_share``)

  The share counts S_w whatever its cause: a class short where the lake's water would not serve
  it (a canal's capacity) still makes v_w its share while the lake gets its inflow; the targets
  table reports the lake's own deficit max(0, V - inflow) and the summary notes the difference
  (:func:`balkhash.allocation.results.lake_share_notes`).
  A hard lake inflow target takes no share (it has no deficit).  The windows of a step or rolling
  simulation have no lake inflow target of their own (they carry it): there the simulation writes
  the share against the carried target (:mod:`balkhash.simulation.windows`).
"""

from __future__ import annotations

import numpy as np

from .context import Build


def define_policy(b: Build) -> None:
    data = b.data
    if not data.classes:
        return
    prop = [c for c in data.classes if c.proportional]
    short = b.var("short")
    cut = b.lp.add_vars("class_cut", ([c.name for c in prop], b.periods), lower=0.0, upper=1.0)
    members = [(k, j) for k, c in enumerate(prop) for j in c.demands]
    rows = b.lp.add_rows("equal_share", ([data.demands[j].id for _, j in members], b.periods), lower=0.0,
                         upper=0.0)
    if members:
        cls = np.array([k for k, _ in members])
        dem = np.array([j for _, j in members])
        b.lp.add_terms(rows.rows[:, None, :], short.cols[dem], 1.0)
        b.lp.add_coef_effect("demand", rows.rows, cut.cols[cls], b.per_period("demand", dem), -1.0)
    _lake_shares(b)


def _lake_shares(b: Build) -> None:
    data = b.data
    years = sorted(data.timeline.full_water_years())
    # a model without the lake inflow targets (a simulation window carries them) has no share rows
    have = {t.id for t in data.targets if t.type == "lake_inflow"}
    shares = [s for s in data.shares if s.target in have] if years else []
    ids = [s.target for s in shares]
    rows = b.lp.add_rows("lake_share", (ids, years), lower=0.0, upper=0.0)
    if not shares:
        return
    viol = b.var("viol_lake_inflow")
    vpos = {tid: k for k, tid in enumerate(viol.axes[0])}
    inflow_ids = [t.id for t in data.targets if t.type == "lake_inflow"]
    short = b.var("short")
    wy = data.timeline.water_years.astype(int)
    for k, s in enumerate(shares):
        tid = s.target
        users = np.array(data.classes[s.cls].demands)
        for y, w in enumerate(years):
            r = rows.rows[k, y]
            ts = np.flatnonzero(wy == w)
            v = viol.cols[vpos[tid], y]
            s_cols = short.cols[users][:, :, ts]  # users x blocks x periods of the year
            if s.share is not None:
                b.lp.add_terms(r, v, 1.0 - s.share)
                b.lp.add_terms(r, s_cols, -s.share)
            else:
                b.lp.add_coef_effect("demand", r, v, b.per_period("demand", users)[:, ts], 1.0)
                b.lp.add_coef_effect("lake_inflow_target", r, s_cols, inflow_ids.index(tid), -1.0)
