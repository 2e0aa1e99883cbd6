"""Storage of reservoirs and lakes: bounds, continuity with evaporation linear in storage.

Variables ``storage[n,t]`` = S_{n,t}, the storage at the end of period t (Mm3), within
[Smin_{n,t}, Smax_{n,t}] (parameters ``storage_min`` and ``storage_max``; monthly rule curves
for reservoirs, the table's range for lakes), and for lakes ``spill[n,t]`` = z_{n,t} >= 0, the
water a full lake spills above the top of its table (a small cost, far below any shortfall or
target: a full lake spills and never makes a user go short; reported in the tables and summary).

For every storage node n and period t, with S_{n,-1} = S0_n the initial storage (a column of
its own, ``storage_initial[n]``, fixed by its bounds to the parameter ``initial_storage``; its
reduced cost is the marginal value of the initial storage):

    S_{n,t} = lambda_{n,t-1} S_{n,t-1} + I_{n,t} + G_{n,t} + arrivals(n,t) - departures(n,t) - E_{n,t} - z_{n,t}

with lambda_{n,t} the carry factor: the share of the storage at the end of period t still there at
the start of t + 1 (1 unless the basin gives ``carry_factor``; lambda_{n,-1} = 1: the initial storage
is the storage at the start; a simulation window's first period takes the factor of the period
before it);

    E_{n,t} = (e_{n,t} - p_{n,t}) / 1000 * (a0_n + a1_n * (S_{n,t-1} + S_{n,t}) / 2)

E is net evaporation in Mm3 from the depth e (evaporation, parameter ``evaporation``) minus p
(precipitation, lakes only) in mm over the area in km2, the area being the linear fit
A(S) = a0 + a1 S of the level-area-volume table around the operating range
(:mod:`balkhash.allocation.lav`) at the mean storage of the period.  I is the local inflow
(parameter ``inflow``), G groundwater inflow (lakes; parameter ``groundwater``).  With
h_t = (e_t - p_t)/1000, the known terms on the right:

    S_t (1 + h_t a1/2) - S_{t-1} (lambda_{t-1} - h_t a1/2) + departures - arrivals + z_t = I_t + G_t - h_t a0

The coefficients of S_t and S_{t-1} and the right-hand side are affine in e: the evaporation
depth is a coefficient parameter (:meth:`balkhash.allocation.lp.LPBuilder.add_coef_effect`).
"""

from __future__ import annotations

import numpy as np

from .context import Build
from .network import add_arrivals, add_departures, add_local_inflow, node_rows


def define_storage(b: Build) -> None:
    data, T = b.data, b.T
    st = data.storages
    ids = [s.id for s in st]
    b.lp.parameter("initial_storage", ids, [s.s0 for s in st], "Mm3")
    b.lp.parameter("storage_min", ids, np.array([s.lower for s in st]).reshape(len(st), T), "Mm3")
    b.lp.parameter("storage_max", ids, np.array([s.upper for s in st]).reshape(len(st), T), "Mm3")
    b.lp.parameter("groundwater", ids, np.array([data.groundwater.get(s.id, np.zeros(T)) for s in st])
                   .reshape(len(st), T), "Mm3 per period")
    storage = b.lp.add_vars("storage", (ids, b.periods), lower=0.0, upper=0.0)
    every = b.per_period("storage_min", np.arange(len(st)))
    b.lp.add_effect("storage_min", "col_lower", storage.cols, every)
    b.lp.add_effect("storage_max", "col_upper", storage.cols, every)
    lakes = [i for i, s in enumerate(st) if s.kind == "lake"]
    spill = b.lp.add_vars("spill", ([ids[i] for i in lakes], b.periods), cost=data.spill_penalty)
    if not st:
        return

    b.lp.parameter("evaporation", ids, np.array([s.evap_mm for s in st]).reshape(len(st), T), "mm per period")
    ev = b.per_period("evaporation", np.arange(len(st)))
    p = np.array([s.precip_mm for s in st]).reshape(len(st), T) / 1000.0
    a0 = np.array([s.area0 for s in st])[:, None]
    a1 = np.array([s.area1 for s in st])[:, None]
    initial = b.lp.add_vars("storage_initial", (ids,), lower=0.0, upper=0.0)
    b.lp.add_effect("initial_storage", "col_lower", initial.cols, np.arange(len(st)))
    b.lp.add_effect("initial_storage", "col_upper", initial.cols, np.arange(len(st)))
    # the terms without evaporation (h = -p); the evaporation e adds e/1000 * (-a0, a1/2, a1/2)
    rows = b.lp.add_rows("continuity", (ids, b.periods), lower=p * a0, upper=p * a0)
    b.lp.add_effect("evaporation", "rhs", rows.rows, ev, -a0 / 1000.0)
    previous = np.concatenate([initial.cols[:, None], storage.cols[:, :-1]], axis=1)
    b.lp.add_terms(rows.rows, storage.cols, 1.0 - p * a1 / 2.0)
    carry = np.ones((len(st), T))
    carry[:, 0] = [s.carry_in for s in st]
    carry[:, 1:] = np.array([s.carry[:-1] if s.carry is not None else np.ones(T - 1) for s in st]).reshape(
        len(st), T - 1)
    b.lp.add_terms(rows.rows, previous, -(carry + p * a1 / 2.0))
    b.lp.add_coef_effect("evaporation", rows.rows, storage.cols, ev, a1 / 2000.0)
    b.lp.add_coef_effect("evaporation", rows.rows, previous, ev, a1 / 2000.0)
    b.lp.add_effect("groundwater", "rhs", rows.rows, every)
    b.lp.add_terms(rows.rows[lakes], spill.cols, 1.0)
    R = node_rows(b, ids, rows.rows)
    add_departures(b, R, 1.0)
    add_arrivals(b, R, -1.0)
    add_local_inflow(b, R, 1.0)


def evaporation_mm3(s, prev, cur, evap_mm=None):
    """Net evaporation (Mm3) of the formulation for storages ``prev`` -> ``cur`` (arrays, Mm3),
    with the evaporation depth ``evap_mm`` (default: the basin's)."""
    e = s.evap_mm if evap_mm is None else evap_mm
    return (e - s.precip_mm) / 1000.0 * (s.area0 + s.area1 * (prev + cur) / 2.0)
