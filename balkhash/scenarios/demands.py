"""Demand targets under a scenario: growth, multipliers, industrial efficiency, irrigation savings."""

from __future__ import annotations

import numpy as np

from ..network.timeline import Timeline
from .schema import Scenario, path_value


def demand_factors(demands: list, targets: dict[str, np.ndarray], sc: Scenario,
                   timeline: Timeline) -> dict[str, np.ndarray]:
    """Per-period factor on each demand's target (Mm3 per period in ``targets``, by demand id).

    Growth compounds per water year from ``growth_base_year``; demand multipliers (sector and id)
    multiply; the industrial efficiency gain divides; then the drip and sprinkler savings (Mm3 per
    water year) are taken off the chosen irrigation demands in proportion to their targets."""
    tl = timeline
    wy = tl.water_years.astype(float)
    base_year = sc.growth_base_year if sc.growth_base_year is not None else int(tl.water_years[0])
    ws = sc.water_saving
    if ws is not None:  # the industrial efficiency gain per period, from its path of water years
        gain = np.array([path_value(ws.industry_efficiency, int(w)) for w in tl.water_years])
    out = {}
    for d in demands:
        f = np.ones(tl.n)
        g = sc.demand_growth.get(d.sector)
        if g:
            f *= (1.0 + g) ** (wy - base_year)
        for key in (d.sector, d.id):
            if key in sc.demand_multipliers:
                f *= sc.demand_multipliers[key]
        if ws is not None and (d.id in ws.industry_demands if ws.industry_demands is not None
                               else d.sector == "industry"):
            f /= 1.0 + gain
        out[d.id] = f
    if ws is not None:
        chosen = ws.demands or [d.id for d in demands if d.sector == "agriculture"]
        for w in sorted(set(int(x) for x in tl.water_years)):
            saving = (path_value(ws.drip_area_kha, w) * ws.drip_saving_mm3_per_kha
                      + path_value(ws.sprinkler_area_kha, w) * ws.sprinkler_saving_mm3_per_kha)
            if saving <= 0:
                continue
            ts = tl.water_years == w
            months = int(ts.sum())
            annual = sum(float(np.sum(targets[d.id][ts] * out[d.id][ts])) for d in demands if d.id in chosen)
            if annual <= 0:
                continue
            cut = min(1.0, saving * months / 12.0 / annual)
            for d in demands:
                if d.id in chosen:
                    out[d.id][ts] *= 1.0 - cut
    return out
