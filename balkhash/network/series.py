"""Turn the unit-carrying quantities of a basin into arrays over the model periods.

Every flow becomes **Mm3 per period**; every depth **mm per period**.  At a dekad calendar step a
volume or depth given per calendar month (``monthly``, ``Mm3/month``, a 12-month profile, a CSV row
``YYYY-MM``) is split over the month's dekads by their days; a rate in m3/s keeps its value and is
converted with the dekad's days; dekad rows ``YYYY-MM-D`` of a CSV are taken as they are.  At month
step, a CSV holding the three dekads of a month (and not the month) gives the month their sum
(a volume per dekad) or their mean weighted by days (m3/s).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .quantities import FlowSeries, MonthlyDepth
from .timeline import Timeline, period_days
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
    """Share of its water year that each period covers (days / days in that water year), so an
    annual volume adds up over every water year, leap Februaries included."""
    wy = np.asarray(timeline.water_years, dtype=np.int64)
    # the February of water year w falls in calendar year w when the water year starts in Jan/Feb
    feb = wy + (timeline.water_year_start_month > 2)
    leap = (feb % 4 == 0) & ((feb % 100 != 0) | (feb % 400 == 0))
    return np.asarray(timeline.days, dtype=float) / (365.0 + leap)


def _check_step(fs: FlowSeries, timeline: Timeline) -> None:
    """A volume per dekad needs a dekad calendar (but for a CSV of dekad rows, summed by month);
    a per-period series at dekad step needs a volume per dekad or a rate."""
    if fs.per_dekad and not timeline.is_dekad and fs.file is None:
        raise ValueError(f"unit '{fs.unit}' is a volume per dekad: it needs calendar step: dekad (or a CSV of "
                         "dekad rows YYYY-MM-D, summed by month)")
    if fs.per_month and timeline.is_dekad and fs.series is not None:
        raise ValueError(f"'series' gives one value per period, a dekad at this calendar's step: its unit must be "
                         f"a volume per dekad (Mm3/dekad, km3/dekad) or m3/s, not '{fs.unit}'")


def flow_mm3(fs: FlowSeries, basin, timeline: Timeline) -> np.ndarray:
    """Resolve a flow series to Mm3 per period (length = number of periods)."""
    _check_step(fs, timeline)
    mi = timeline.month_index
    if fs.value is not None:
        raw = np.full(timeline.n, float(fs.value))
    elif fs.monthly is not None:
        raw = np.asarray(fs.monthly, dtype=float)[mi]
    elif fs.annual is not None:
        share = _day_share(timeline) if fs.profile is None else timeline.per_month(profile_values(fs.profile, basin))
        return fs.annual * fs.factor * share
    elif fs.series is not None:
        raw = series_values(fs, timeline)
    else:
        raw = file_values(fs, basin, timeline)
    if fs.is_rate:
        return m3s_to_mm3(raw, timeline.days)
    if fs.per_month:
        return raw * fs.factor * timeline.month_share
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


def _season(labels) -> pd.Index:
    """The period of the year of each label: ``MM`` of a month, ``MM-D`` of a dekad."""
    return pd.Index([str(lab)[5:] for lab in labels])


def _from_dekads(col: pd.Series, month: str, fs: FlowSeries) -> float | None:
    """A month's value from the dekad rows ``month-1..3`` of a CSV column (None when one lacks):
    their sum for a volume per dekad, their mean weighted by days for a rate."""
    labels = [f"{month}-{d}" for d in (1, 2, 3)]
    if not all(lab in col.index for lab in labels):
        return None
    v = np.array([col[lab] for lab in labels], dtype=float)
    if fs.is_rate:
        days = np.array([period_days(lab) for lab in labels], dtype=float)
        return float((v * days).sum() / days.sum())
    return float(v.sum())


def file_values(fs, basin, timeline: Timeline) -> np.ndarray:
    """Values of a CSV-backed series (a FlowSeries, or any with ``file`` and ``column``) for the model
    periods, in the series' unit (a per-month volume at dekad step: the value of the dekad's month,
    split afterwards by :func:`flow_mm3`)."""
    table = basin._tables.get(fs.file)
    if table is None:
        raise ValueError(f"file '{fs.file}' was not loaded")
    if fs.column not in table.columns:
        raise ValueError(f"file '{fs.file}' has no column '{fs.column}'")
    col = table[fs.column]
    dekad_rows = np.asarray(col.index.str.count("-") == 2, dtype=bool)
    # plain numbers per period (not a flow) are read like a rate: a dekad's row, else its month's
    per_month, per_dekad = getattr(fs, "per_month", False), getattr(fs, "per_dekad", False)
    rows = "rows"
    if timeline.is_dekad and per_month:  # a month's volume, split by days afterwards
        col, wanted, rows = col[~dekad_rows], list(timeline.month_labels), "month rows YYYY-MM"
    elif timeline.is_dekad and per_dekad:
        col, wanted, rows = col[dekad_rows], list(timeline.labels), "dekad rows YYYY-MM-D"
    elif timeline.is_dekad:  # a rate: the dekad's row, else its month's
        wanted = [lab if lab in col.index else month
                  for lab, month in zip(timeline.labels, timeline.month_labels, strict=True)]
    else:
        wanted = list(timeline.labels)
        if dekad_rows.any() and isinstance(fs, FlowSeries) and not per_month:
            sums = {lab: _from_dekads(col, lab, fs) for lab in wanted if lab not in col.index}
            col = pd.concat([col[~dekad_rows] if not per_dekad else col.iloc[:0],
                             pd.Series({k: v for k, v in sums.items() if v is not None}, dtype=float)])
        elif per_dekad:
            col, rows = col.iloc[:0], "dekad rows"
    missing = [lab for lab in wanted if lab not in col.index]
    if missing and getattr(basin, "_cyclic", False):
        by_season = col.groupby(_season(col.index)).mean()
        if all(lab[5:] in by_season.index for lab in missing):
            return np.array([col[lab] if lab in col.index else by_season[lab[5:]] for lab in wanted], dtype=float)
    if missing:
        raise ValueError(
            f"file '{fs.file}' column '{fs.column}' lacks {len(missing)} model period(s), "
            f"first {missing[0]}: it has {len(col)} {rows}, the model needs {timeline.n} "
            f"({timeline.labels[0]}..{timeline.labels[-1]})"
        )
    return col.loc[wanted].to_numpy(dtype=float)


def depth_mm(d: MonthlyDepth | None, basin, timeline: Timeline) -> np.ndarray:
    """Resolve a monthly depth to mm per period (zeros when absent): a month's depth split over its
    dekads by days at dekad step."""
    if d is None:
        return np.zeros(timeline.n)
    if d.monthly is not None:
        return timeline.per_month(d.monthly)
    if d.profile is None:
        return d.annual * _day_share(timeline)
    return d.annual * timeline.per_month(profile_values(d.profile, basin))
