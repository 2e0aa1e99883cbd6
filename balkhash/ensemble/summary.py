"""What an ensemble says: reliability of the lake targets per water year, shortfall quantiles per
sector, and the tidy table of member summaries.

**Reliability** of a lake level :math:`h` in water year :math:`w`, over the :math:`M'` members
with a solution:

.. math::  R_w(h) = \\frac{1}{M'} \\sum_m \\mathbb{1}\\left[\\min_{t \\in w} L_{m,t} \\ge h - \\epsilon\\right]

(the level at the end of every month of the water year at or above :math:`h`; :math:`\\epsilon`
= 1e-6 m so that a level the optimiser holds exactly at a target counts as met); of the lake
inflow :math:`V`: :math:`\\frac{1}{M'} \\sum_m \\mathbb{1}[I_{m,w} \\ge V - 10^{-6}]` with
:math:`I_{m,w}` the lake's surface inflow in the water year, km3.  The row ``all years`` is the
mean over the water years (the fraction of member-years), the row ``every year`` the fraction of
members that meet it in every water year of the horizon.

**Shortfall quantiles**: the shortfall of a sector in a water year, :math:`S_{m,w} = \\sum_{t \\in w}
\\sum_{d \\in \\text{sector}} (\\text{target} - \\text{delivery})_{d,t}` Mm3, pooled over every member
and water year: mean, the 50/75/90/95/99 % quantiles (linear interpolation, numpy's default) and
the maximum, and the probability of a shortfall above 1e-6 Mm3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..network.timeline import water_year_label

#: the lake levels (m BS) whose reliability is reported: the roadmap's 341.0 (kept by 12 km3/yr)
#: and its indicator 341.5
LEVELS = (341.0, 341.5)
EPS = 1e-6
QUANTILES = (0.5, 0.75, 0.9, 0.95, 0.99)


def _solved(result) -> np.ndarray:
    return np.array([s in ("optimal",) for s in result.arrays["status"]])


def year_min_level(result, lake: int = 0) -> np.ndarray:
    """(members, years): the lowest end-of-month level of each water year, m BS."""
    lv = result.arrays["level_m"][:, :, lake]
    idx = result.year_index
    out = np.full((lv.shape[0], len(result.water_years)), np.inf)
    for j in range(len(result.water_years)):
        out[:, j] = lv[:, idx == j].min(axis=1)
    return out


def year_end_level(result, lake: int = 0) -> np.ndarray:
    """(members, years): the level at the end of the last month of each water year, m BS."""
    lv = result.arrays["level_m"][:, :, lake]
    idx = result.year_index
    last = [np.flatnonzero(idx == j)[-1] for j in range(len(result.water_years))]
    return lv[:, last]


def sector_year_shortfall(result) -> dict[str, np.ndarray]:
    """sector -> (members, years): shortfall in each water year, Mm3."""
    sh = result.arrays["shortfall_mm3"]
    idx = result.year_index
    out = {}
    for sec in sorted(set(result.sectors)):
        cols = [i for i, s in enumerate(result.sectors) if s == sec]
        per = sh[:, :, cols].sum(axis=2)
        out[sec] = np.stack([per[:, idx == j].sum(axis=1) for j in range(len(result.water_years))], axis=1)
    return out


def reliability(result, levels=LEVELS, lake: int = 0, inflow_km3: float | None = None) -> pd.DataFrame:
    """One row per water year (and ``all years``, ``every year``): P(level >= h) for each h and
    P(lake inflow >= target), over the members with a solution."""
    ok = _solved(result)
    lake_id = result.lakes[lake]
    target = inflow_km3 if inflow_km3 is not None else result.lake_inflow_target_km3.get(lake_id, 12.0)
    low = year_min_level(result, lake)[ok]
    inflow = result.arrays["lake_inflow_km3"][ok, :, lake]
    met = {f"P(level >= {h:g} m)": low >= h - EPS for h in levels}
    met[f"P(inflow >= {target:g} km3)"] = inflow >= target - EPS
    rows = []
    for j, w in enumerate(result.water_years):
        rows.append({"water_year": water_year_label(w), **{k: float(v[:, j].mean()) for k, v in met.items()}})
    rows.append({"water_year": "all years", **{k: float(v.mean()) for k, v in met.items()}})
    rows.append({"water_year": "every year", **{k: float(v.all(axis=1).mean()) for k, v in met.items()}})
    df = pd.DataFrame(rows)
    df.attrs.update(members=int(ok.sum()), lake=lake_id)
    return df


def shortfall_quantiles(result) -> pd.DataFrame:
    """One row per sector: the annual shortfall (Mm3 per water year) over every member-year."""
    ok = _solved(result)
    rows = []
    for sec, s in sector_year_shortfall(result).items():
        v = s[ok].ravel()
        row = {"sector": sec, "mean_mm3": float(v.mean())}
        row.update({f"q{round(q * 100)}_mm3": float(np.quantile(v, q)) for q in QUANTILES})
        row.update(max_mm3=float(v.max()), p_short=float((v > EPS).mean()))
        rows.append(row)
    return pd.DataFrame(rows)


def member_table(result, lake: int = 0) -> pd.DataFrame:
    """Tidy: one row per member and water year."""
    M, Y = result.members, len(result.water_years)
    low, end = year_min_level(result, lake), year_end_level(result, lake)
    df = pd.DataFrame({
        "member": np.repeat(np.arange(M), Y),
        "water_year": np.tile([water_year_label(w) for w in result.water_years], M),
        "china_km3": result.annual_km3[:, :, 0].ravel(), "kazakh_km3": result.annual_km3[:, :, 1].ravel(),
        "lake_inflow_km3": result.arrays["lake_inflow_km3"][:, :, lake].ravel(),
        "level_min_m": low.ravel(), "level_end_m": end.ravel(),
    })
    for sec, s in sector_year_shortfall(result).items():
        df[f"shortfall_{sec}_mm3"] = s.ravel()
    df["objective"] = np.repeat(result.arrays["objective"], Y)
    df["status"] = np.repeat(np.array(result.arrays["status"], dtype=object), Y)
    return df


def level_quantiles(result, lake: int = 0, qs=(0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
    """Per period: the quantiles of the end-of-month lake level over the members, m BS."""
    lv = result.arrays["level_m"][_solved(result), :, lake]
    return pd.DataFrame({f"q{round(q * 100)}": np.quantile(lv, q, axis=0) for q in qs}, index=result.periods)
