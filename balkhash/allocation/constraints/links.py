"""Annual volume limits on links (e.g. a canal's licensed volume per water year).

For every link l with an annual capacity V_l and every water year w of the horizon:

    sum_{t in w} x_{l,t} <= V_l * days(w in horizon) / days(w)

A water year only partly inside the horizon gets the limit pro rata by days.  Per-period capacity
and minimum flow are variable bounds (see :mod:`balkhash.allocation.variables`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..data import ModelData
from ..lp import INF, add_rows

if TYPE_CHECKING:  # only for annotations: the builders also run without Pyomo
    import pyomo.environ as pyo


def water_year_groups(data: ModelData) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {}
    for t, wy in enumerate(data.timeline.water_years):
        groups.setdefault(int(wy), []).append(t)
    return groups


def define_annual_capacity(data: ModelData, m: pyo.ConcreteModel) -> None:
    capped = [lk for lk in data.links if lk.annual_cap is not None]
    if not capped:
        return
    groups = water_year_groups(data)
    days = data.timeline.days
    wy_days = {wy: _water_year_days(data, wy) for wy in groups}

    x = m.var_index["flow"]

    def rule(lid, wy):
        lk = next(c for c in capped if c.id == lid)
        share = float(np.sum(days[groups[wy]])) / wy_days[wy]
        return [(1.0, x[lid, t]) for t in groups[wy]], -INF, float(lk.annual_cap * share)

    add_rows(m, "annual_capacity", [(lk.id, wy) for lk in capped for wy in groups], rule)


def _water_year_days(data: ModelData, wy: int) -> float:
    from ...network.units import days_in_month

    start = data.timeline.water_year_start_month
    total = 0
    for k in range(12):
        month = (start - 1 + k) % 12 + 1
        year = wy if month >= start else wy + 1
        total += days_in_month(year, month)
    return float(total)
