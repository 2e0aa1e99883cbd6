"""Turn the unit-carrying quantities of a basin into arrays over the model periods.

Every flow becomes **Mm3 per period**; every depth **mm per period**.
"""

from __future__ import annotations

import numpy as np

from .quantities import FlowSeries, MonthlyDepth
from .timeline import Timeline
from .units import m3s_to_mm3


def profile_values(profile, basin) -> np.ndarray:
    """12 fractions for a profile given inline or by name, normalised to sum 1."""
    if isinstance(profile, str):
        if profile not in basin.profiles:
            raise ValueError(f"unknown profile '{profile}'")
        profile = basin.profiles[profile]
    p = np.asarray(profile, dtype=float)
    if p.shape != (12,):
        raise ValueError(f"a profile needs 12 fractions (Jan..Dec), got {p.size}")
    total = p.sum()
    if total <= 0:
        raise ValueError("profile sums to zero")
    return p / total


def _day_share(timeline: Timeline) -> np.ndarray:
    """Share of its water year that each period's month covers (days / days in that water year),
    so an annual volume adds up over every water year, leap Februaries included."""
    wy = np.asarray(timeline.water_years, dtype=np.int64)
    # the February of water year w falls in calendar year w when the water year starts in Jan/Feb
    feb = wy + (timeline.water_year_start_month > 2)
    leap = (feb % 4 == 0) & ((feb % 100 != 0) | (feb % 400 == 0))
    return np.asarray(timeline.days, dtype=float) / (365.0 + leap)


def flow_mm3(fs: FlowSeries, basin, timeline: Timeline) -> np.ndarray:
    """Resolve a flow series to Mm3 per period (length = number of periods)."""
    mi = timeline.month_index
    if fs.value is not None:
        raw = np.full(timeline.n, float(fs.value))
    elif fs.monthly is not None:
        raw = np.asarray(fs.monthly, dtype=float)[mi]
    elif fs.annual is not None:
        share = _day_share(timeline) if fs.profile is None else profile_values(fs.profile, basin)[mi]
        return fs.annual * fs.factor * share
    elif fs.series is not None:
        raw = series_values(fs, timeline)
    else:
        raw = file_values(fs, basin, timeline)
    if fs.is_rate:
        return m3s_to_mm3(raw, timeline.days)
    return raw * fs.factor


def series_values(fs: FlowSeries, timeline: Timeline) -> np.ndarray:
    """The values of an inline per-period series (in the series' unit), checked against the horizon."""
    series = fs.series
    assert series is not None, "series_values needs a FlowSeries in the 'series' form"
    if len(series) != timeline.n:
        raise ValueError(
            f"'series' has {len(series)} value(s), the model has {timeline.n} period(s) "
            f"({timeline.labels[0]}..{timeline.labels[-1]}): give one value per period"
        )
    return np.asarray(series, dtype=float)


def file_values(fs: FlowSeries, basin, timeline: Timeline) -> np.ndarray:
    """Values of a CSV-backed series for the model periods, in the series' unit."""
    table = basin._tables.get(fs.file)
    if table is None:
        raise ValueError(f"file '{fs.file}' was not loaded")
    if fs.column not in table.columns:
        raise ValueError(f"file '{fs.file}' has no column '{fs.column}'")
    col = table[fs.column]
    missing = [lab for lab in timeline.labels if lab not in col.index]
    if missing and getattr(basin, "_cyclic", False):
        by_month = col.groupby(col.index.str[-2:]).mean()
        if all(lab[-2:] in by_month.index for lab in missing):
            return np.array([col[lab] if lab in col.index else by_month[lab[-2:]] for lab in timeline.labels],
                            dtype=float)
    if missing:
        raise ValueError(
            f"file '{fs.file}' column '{fs.column}' lacks {len(missing)} model period(s), "
            f"first {missing[0]}: it has {len(col)} rows, the model needs {timeline.n} "
            f"({timeline.labels[0]}..{timeline.labels[-1]})"
        )
    return col.loc[timeline.labels].to_numpy(dtype=float)


def depth_mm(d: MonthlyDepth | None, basin, timeline: Timeline) -> np.ndarray:
    """Resolve a monthly depth to mm per period (zeros when absent)."""
    if d is None:
        return np.zeros(timeline.n)
    mi = timeline.month_index
    if d.monthly is not None:
        return np.asarray(d.monthly, dtype=float)[mi]
    if d.profile is None:
        return d.annual * _day_share(timeline)
    return d.annual * profile_values(d.profile, basin)[mi]
