"""Link flows: bounds, costs and annual volume limits.

Variables ``flow[l,t]`` = x_{l,t}, the flow entering link l in period t (Mm3), with

    xmin_{l,t} <= x_{l,t} <= xmax_{l,t}            (parameters ``min_flow`` and ``capacity``)
    cost: cost_{l,t} x_{l,t}                      (parameter ``link_cost``, per link and period: a number,
                                                   a 12-month profile or a series in the basin)

and for every link l with an annual capacity V_l (parameter ``annual_capacity``, Mm3 per water
year) and every water year w of the horizon:

    sum_{t in w} x_{l,t} <= V_l * days(w in horizon) / days(w)

A water year only partly inside the horizon gets the limit pro rata by days.
"""

from __future__ import annotations

import numpy as np

from ...network.units import days_in_month
from .context import Build


def define_links(b: Build) -> None:
    data, T = b.data, b.T
    ids = [lk.id for lk in data.links]
    lower = np.array([lk.lower for lk in data.links]).reshape(len(ids), T)
    upper = np.array([lk.upper for lk in data.links]).reshape(len(ids), T)
    b.lp.parameter("min_flow", ids, lower, "Mm3 per period")
    b.lp.parameter("capacity", ids, upper, "Mm3 per period")
    cost = np.array([np.broadcast_to(np.asarray(lk.cost, dtype=float), (T,)) for lk in data.links]).reshape(len(ids), T)
    b.lp.parameter("link_cost", ids, cost, "per Mm3")
    flow = b.lp.add_vars("flow", (ids, b.periods), lower=0.0, upper=0.0)
    every = b.per_period("capacity", np.arange(len(ids)))
    b.lp.add_effect("min_flow", "col_lower", flow.cols, every)
    b.lp.add_effect("capacity", "col_upper", flow.cols, every)
    b.lp.add_effect("link_cost", "cost", flow.cols, every)
    _annual_capacity(b)


def water_year_days(start_month: int, wy: int) -> float:
    """Days in water year ``wy`` (starting in ``start_month`` of calendar year wy)."""
    return float(sum(days_in_month(wy if m >= start_month else wy + 1, m) for m in
                     [(start_month - 1 + k) % 12 + 1 for k in range(12)]))


def _annual_capacity(b: Build) -> None:
    data = b.data
    capped = [i for i, lk in enumerate(data.links) if lk.annual_cap is not None]
    if not capped:
        return
    tl = data.timeline
    years = sorted({int(w) for w in tl.water_years})
    b.lp.parameter("annual_capacity", [data.links[i].id for i in capped],
                   [data.links[i].annual_cap for i in capped], "Mm3 per water year")
    rows = b.lp.add_rows("annual_capacity", ([data.links[i].id for i in capped], years), upper=0.0)
    wy_pos = np.searchsorted(years, tl.water_years.astype(int))
    flow = b.var("flow")
    b.lp.add_terms(rows.rows[:, wy_pos], flow.cols[capped], 1.0)
    share = np.array([tl.days[wy_pos == k].sum() / water_year_days(tl.water_year_start_month, w)
                      for k, w in enumerate(years)])
    b.lp.add_effect("annual_capacity", "row_upper", rows.rows, np.arange(len(capped))[:, None], share[None, :])
