"""Units and conversions.

All volumes inside balkhash are **Mm3** (million cubic metres); 1 km3 = 1000 Mm3.
Flows are volumes per period (Mm3 per month, or per dekad at a dekad calendar step); a flow in
m3/s converts with the real number of days of the period:

    V [Mm3] = Q [m3/s] x 86 400 [s/day] x days / 1e6

so 1 m3/s is 2.6784 Mm3 in a 31-day month, 2.592 Mm3 in a 30-day month and 2.4192 Mm3 in a
28-day February (a February's third dekad has 8 days, 9 in a leap year).  Depths (evaporation,
precipitation) are in mm; over an area in km2 a depth of e mm is e x A / 1000 Mm3.  Levels are
metres in the Baltic system (m BS).
"""

from __future__ import annotations

import calendar as _cal

import numpy as np

SECONDS_PER_DAY = 86_400.0
MM3_PER_KM3 = 1000.0
M3_PER_MM3 = 1e6

#: units accepted for a volume (storage)
VOLUME_UNITS = {"Mm3": 1.0, "km3": MM3_PER_KM3}
#: units accepted for a volume per calendar month (at dekad step split over the month's dekads by days)
MONTH_FLOW_UNITS = {"Mm3/month": 1.0, "km3/month": MM3_PER_KM3}
#: units accepted for a volume per dekad (a calendar of dekad step only)
DEKAD_FLOW_UNITS = {"Mm3/dekad": 1.0, "km3/dekad": MM3_PER_KM3}
#: units accepted for a flow given per period
PERIOD_FLOW_UNITS = {**MONTH_FLOW_UNITS, **DEKAD_FLOW_UNITS}
#: the unit of a volume per period of each calendar step (the unit of series written per period)
STEP_VOLUME_UNIT = {"month": "Mm3/month", "dekad": "Mm3/dekad"}
#: units accepted for an annual volume (spread over months by a profile)
ANNUAL_UNITS = {"Mm3/yr": 1.0, "km3/yr": MM3_PER_KM3}
#: the rate unit, converted with the days of each month
RATE_UNIT = "m3/s"
FLOW_UNITS = (RATE_UNIT, *PERIOD_FLOW_UNITS, *ANNUAL_UNITS)


def days_in_month(year: int, month: int) -> int:
    """Number of days of ``month`` (1-12) of ``year`` (leap years included)."""
    return _cal.monthrange(year, month)[1]


def m3s_to_mm3(q_m3s, days):
    """Volume in Mm3 carried by a mean flow ``q_m3s`` (m3/s) over ``days`` days."""
    return np.asarray(q_m3s, dtype=float) * SECONDS_PER_DAY * np.asarray(days, dtype=float) / M3_PER_MM3


def mm3_to_m3s(v_mm3, days):
    """Mean flow in m3/s of a volume ``v_mm3`` (Mm3) passing in ``days`` days."""
    return np.asarray(v_mm3, dtype=float) * M3_PER_MM3 / (SECONDS_PER_DAY * np.asarray(days, dtype=float))


def km3_to_mm3(v_km3):
    return np.asarray(v_km3, dtype=float) * MM3_PER_KM3


def mm3_to_km3(v_mm3):
    return np.asarray(v_mm3, dtype=float) / MM3_PER_KM3


def depth_to_mm3(depth_mm, area_km2):
    """Volume (Mm3) of a water layer of ``depth_mm`` (mm) over ``area_km2`` (km2)."""
    return np.asarray(depth_mm, dtype=float) * np.asarray(area_km2, dtype=float) / 1000.0


def gwh_per_mm3(head_m: float, efficiency: float) -> float:
    """Energy (GWh) from turbining 1 Mm3 at a fixed head: rho g H eta x 1e6 m3 / 3.6e12 J/GWh."""
    return 1000.0 * 9.81 * head_m * efficiency * M3_PER_MM3 / 3.6e12
