"""Aggregated constraints: bounds on weighted sums of flows over groups, and ratios between groups.

A group a sums, in period t (Mm3), the flows x of its links, the deliveries y of its demands and
the local inflows I of its nodes, each with a weight w (default 1):

    G_{a,t} = sum_{l in a} w_l x_{l,t} + sum_{d in a} w_d y_{d,t} + sum_{n in a} w_n I_{n,t}

(y_{d,t} = D_{d,t} - sum_k s_{d,k,t}: the targets and inflows go to the right-hand side through the
``demand`` and ``inflow`` parameters).  Per period (``per: period``), with the bounds the parameters
``aggregate_min`` and ``aggregate_max`` (Mm3 per period; ``equal`` sets both):

    Gmin_{a,t} <= G_{a,t} <= Gmax_{a,t}

per water year w (``per: water_year``; parameters ``aggregate_annual_min``, ``aggregate_annual_max``,
Mm3 per water year, pro rata by days for a water year only partly inside the horizon, as an
annual capacity):

    Gmin_a * days(w in horizon) / days(w) <= sum_{t in w} G_{a,t} <= Gmax_a * days(w in horizon) / days(w)

and a ratio to another group H (``ratio: {of: ..., min: r, max: r'}``), per period or summed over
each water year's periods in the horizon:

    G_{a,t} - r H_{a,t} >= 0        G_{a,t} - r' H_{a,t} <= 0

e.g. "the flow across the border is at least 40 % of the runoff formed upstream": G the border
link, H the local inflows of the upstream nodes, r = 0.4.  Every aggregate is hard.

A window of a step or rolling simulation sees only part of a water year: its per-water-year sums
and ratios are left out here and carried by the simulation instead (what the applied periods of
the year already hold against what the year allows; :mod:`balkhash.simulation.carried_aggregates`).
"""

from __future__ import annotations

import numpy as np

from ..data import GroupTerms
from .context import Build
from .links import water_year_days


def _offset(b: Build, labels: list[str]) -> int:
    """The position of the model's first period among the compiled periods (0 but in a window)."""
    first = b.data.timeline.labels[0]
    return 0 if labels[0] == first else labels.index(first)


def in_window(b: Build) -> bool:
    """The model covers part of the compiled periods only (a window of a simulation)."""
    groups = b.data.groups
    return groups is not None and (_offset(b, groups.labels) > 0 or len(groups.labels) != b.T)


def add_group(b: Build, R: np.ndarray, terms: GroupTerms, scale: float) -> None:
    """Add scale * G_t to the rows R (one per period; repeated rows sum a water year)."""
    if terms.links:
        flow = b.var("flow")
        for li, w in terms.links:
            b.lp.add_terms(R, flow.cols[li], w * scale)
    for d, w in terms.demands:
        b.lp.add_terms(R[None, :], b.var("short").cols[d], -w * scale)
        b.lp.add_effect("demand", "rhs", R, b.per_period("demand", [d])[0], -w * scale)
    pos = b.data.net.node_pos
    for n, w in terms.inflows:
        b.lp.add_effect("inflow", "rhs", R, b.per_period("inflow", [pos[n]])[0], -w * scale)


def define_aggregates(b: Build) -> None:
    groups = b.data.groups
    if groups is None or not groups.aggregates:
        return
    t0, T = _offset(b, groups.labels), b.T
    tl = b.data.timeline
    period = [a for a in groups.aggregates if a.per == "period"]
    yearly = [a for a in groups.aggregates if a.per == "water_year"]
    window = in_window(b)
    if window:  # a window's water years are carried by the simulation
        yearly = []
    sums = [a for a in period if a.lower is not None or a.upper is not None]
    if sums:
        rows = b.lp.add_rows("aggregate", ([a.id for a in sums], b.periods),
                             lower=np.array([-np.inf if a.lower is None else 0.0 for a in sums])[:, None],
                             upper=np.array([np.inf if a.upper is None else 0.0 for a in sums])[:, None])
        for k, a in enumerate(sums):
            add_group(b, rows.rows[k], a.terms, 1.0)
        for name, side, attr in (("aggregate_min", "row_lower", "lower"), ("aggregate_max", "row_upper", "upper")):
            on = [k for k, a in enumerate(sums) if getattr(a, attr) is not None]
            if on:
                values = np.array([np.asarray(getattr(sums[k], attr))[t0:t0 + T] for k in on]).reshape(len(on), T)
                b.lp.parameter(name, [sums[k].id for k in on], values, "Mm3 per period")
                b.lp.add_effect(name, side, rows.rows[on], b.per_period(name, np.arange(len(on))))
    years = sorted({int(w) for w in tl.water_years})
    slot = np.searchsorted(years, tl.water_years.astype(int))
    annual = [a for a in yearly if a.lower is not None or a.upper is not None]
    if annual:
        rows = b.lp.add_rows("aggregate_annual", ([a.id for a in annual], years),
                             lower=np.array([-np.inf if a.lower is None else 0.0 for a in annual])[:, None],
                             upper=np.array([np.inf if a.upper is None else 0.0 for a in annual])[:, None])
        for k, a in enumerate(annual):
            add_group(b, rows.rows[k][slot], a.terms, 1.0)
        share = np.array([tl.days[slot == j].sum() / water_year_days(tl.water_year_start_month, w)
                          for j, w in enumerate(years)])
        for name, side, attr in (("aggregate_annual_min", "row_lower", "lower"),
                                 ("aggregate_annual_max", "row_upper", "upper")):
            on = [k for k, a in enumerate(annual) if getattr(a, attr) is not None]
            if on:
                b.lp.parameter(name, [annual[k].id for k in on], [getattr(annual[k], attr) for k in on],
                               "Mm3 per water year")
                b.lp.add_effect(name, side, rows.rows[on], np.arange(len(on))[:, None], share[None, :])
    _ratios(b, [a for a in groups.aggregates if a.of is not None and not (window and a.per == "water_year")],
            slot, years)


def ratio_parts(ratios: list) -> list[tuple]:
    """(aggregate, kind, r, row lower, row upper) of each ratio row: G - r H >= 0 (min),
    G - r' H <= 0 (max), one row = 0 when both are equal."""
    parts = []
    for a in ratios:
        if a.ratio_min is not None and a.ratio_min == a.ratio_max:
            parts.append((a, "equal", a.ratio_min, 0.0, 0.0))
            continue
        if a.ratio_min is not None:
            parts.append((a, "min", a.ratio_min, 0.0, np.inf))
        if a.ratio_max is not None:
            parts.append((a, "max", a.ratio_max, -np.inf, 0.0))
    return parts


def add_ratio_rows(b: Build, name: str, parts: list[tuple], axis, slot: np.ndarray | None = None):
    """The rows G - r H of :func:`ratio_parts` ``parts``, one per part and entry of ``axis``: per
    period, or (``slot``: each period's position on the axis) summed over each water year."""
    rows = b.lp.add_rows(name, ([f"{a.id}:{kind}" for a, kind, *_ in parts], axis),
                         lower=np.array([lo for *_, lo, _ in parts])[:, None],
                         upper=np.array([hi for *_, hi in parts])[:, None])
    for k, (a, _kind, r, _lo, _hi) in enumerate(parts):
        R = rows.rows[k] if slot is None else rows.rows[k][slot]
        add_group(b, R, a.terms, 1.0)
        add_group(b, R, a.of, -float(r))
    return rows


def _ratios(b: Build, ratios: list, slot: np.ndarray, years: list[int]) -> None:
    """G - r H >= 0 (min) and G - r' H <= 0 (max); one row for both when they are equal."""
    for per, name, axis in (("period", "aggregate_ratio", b.periods), ("water_year", "aggregate_ratio_annual", years)):
        parts = ratio_parts([a for a in ratios if a.per == per])
        if parts:
            add_ratio_rows(b, name, parts, axis, None if per == "period" else slot)
