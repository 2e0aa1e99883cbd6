"""The model calendar: periods of one step (a month or a dekad) from a start, grouped in water years.

A water year starts in ``water_year_start_month`` (October by default) and is named by the
calendar year it starts in: water year 2025 runs 2025-10 .. 2026-09 and is labelled "2025-26".

At ``step: month`` a period is a calendar month, labelled ``YYYY-MM``.  At ``step: dekad`` a period
is a ten-day period (декада) of a month: days 1-10, 11-20 and 21 to the month's end, labelled
``YYYY-MM-1``, ``YYYY-MM-2``, ``YYYY-MM-3``, each with its real number of days (the third dekad
has 8 to 11: 8 in a common February, 9 in a leap one).  A water year has 12 or 36 periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np

from .units import days_in_month

#: the calendar steps and their periods per year
STEPS = {"month": 12, "dekad": 36}


def parse_month(text: str) -> tuple[int, int]:
    """Parse ``YYYY-MM`` into (year, month); raises ValueError with a readable message."""
    try:
        y, m = str(text).strip().split("-")
        year, month = int(y), int(m)
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a month of the form YYYY-MM") from exc
    if not 1 <= month <= 12:
        raise ValueError(f"'{text}': month must be 01..12")
    return year, month


def parse_period(text: str) -> tuple[int, int, int]:
    """Parse a period label, ``YYYY-MM`` (a month: dekad 0) or ``YYYY-MM-D`` (dekad D of 1..3),
    into (year, month, dekad); raises ValueError with a readable message."""
    parts = str(text).strip().split("-")
    if len(parts) == 3:
        year, month = parse_month("-".join(parts[:2]))
        if parts[2] not in ("1", "2", "3"):
            raise ValueError(f"'{text}': the dekad of a period YYYY-MM-D must be 1, 2 or 3")
        return year, month, int(parts[2])
    try:
        year, month = parse_month(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a period of the form YYYY-MM (a month) or YYYY-MM-D "
                         "(dekad D = 1, 2, 3 of the month)") from None
    return year, month, 0


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def period_label(year: int, month: int, dekad: int = 0) -> str:
    """``YYYY-MM`` for a month (dekad 0), ``YYYY-MM-D`` for dekad D of the month."""
    return month_label(year, month) + (f"-{dekad}" if dekad else "")


def dekad_days(year: int, month: int, dekad: int) -> int:
    """Days of dekad 1..3 of a month: 10, 10 and the rest of the month (8..11)."""
    return 10 if dekad < 3 else days_in_month(year, month) - 20


def period_days(text: str) -> int:
    """The real number of days of the period labelled ``text`` (a month or a dekad)."""
    y, m, d = parse_period(text)
    return dekad_days(y, m, d) if d else days_in_month(y, m)


def period_start(text: str) -> date:
    """The first day of the period labelled ``text`` (a month or a dekad)."""
    y, m, d = parse_period(text)
    return date(y, m, 1 + 10 * (d - 1) if d else 1)


def period_end(text: str) -> date:
    """The day after the last day of the period labelled ``text`` (the start of the next period)."""
    return period_start(text) + timedelta(days=period_days(text))


def water_year_label(start_year: int, start_month: int = 10) -> str:
    """'2025-26' for the water year from 2025-10 (any start month but January); '2026' for a
    water year that is the calendar year (``start_month`` 1)."""
    if start_month == 1:
        return f"{start_year}"
    return f"{start_year}-{(start_year + 1) % 100:02d}"


@dataclass(frozen=True)
class Timeline:
    """``n`` consecutive periods of ``step`` starting at (``year``, ``month``) and, at dekad step,
    dekad ``dekad`` of that month."""

    year: int
    month: int
    n: int
    water_year_start_month: int = 10
    step: str = "month"
    dekad: int = 1
    #: every period's length in days when it is not its month's (a model of another tool whose
    #: timestep is D days, one period each: m3/s use D); None: the real days of each month or dekad
    period_days: float | None = None

    def __post_init__(self) -> None:
        if self.step not in STEPS:
            raise ValueError(f"unknown calendar step '{self.step}': use one of {', '.join(STEPS)}")

    @classmethod
    def from_start(cls, start: str, n: int, water_year_start_month: int = 10, step: str = "month",
                   period_days: float | None = None) -> Timeline:
        y, m, d = parse_period(start)
        if d and step != "dekad":
            raise ValueError(f"start '{start}' names a dekad: a calendar of step '{step}' starts at a month YYYY-MM")
        return cls(y, m, n, water_year_start_month, step, d or 1, period_days)

    @property
    def per_year(self) -> int:
        """Periods in a water year: 12 months or 36 dekads."""
        return STEPS[self.step]

    @property
    def is_dekad(self) -> bool:
        return self.step == "dekad"

    @cached_property
    def periods(self) -> list[tuple[int, int, int]]:
        """(year, month, dekad) of each period; dekad 0 at month step."""
        out = []
        y, m = self.year, self.month
        d = self.dekad if self.is_dekad else 0
        for _ in range(self.n):
            out.append((y, m, d))
            if d and d < 3:
                d += 1
                continue
            d = 1 if d else 0
            m += 1
            if m == 13:
                y, m = y + 1, 1
        return out

    @cached_property
    def months(self) -> list[tuple[int, int]]:
        """(year, month) of each period (the month a dekad lies in)."""
        return [(y, m) for y, m, _ in self.periods]

    @cached_property
    def labels(self) -> list[str]:
        return [period_label(y, m, d) for y, m, d in self.periods]

    @cached_property
    def month_labels(self) -> list[str]:
        """``YYYY-MM`` of the month of each period."""
        return [month_label(y, m) for y, m in self.months]

    @cached_property
    def days(self) -> np.ndarray:
        if self.period_days is not None:
            return np.full(self.n, float(self.period_days))
        return np.array([dekad_days(y, m, d) if d else days_in_month(y, m) for y, m, d in self.periods], dtype=float)

    @cached_property
    def month_index(self) -> np.ndarray:
        """Calendar month 0..11 (Jan = 0) of each period."""
        return np.array([m - 1 for _, m in self.months], dtype=int)

    @cached_property
    def season_index(self) -> np.ndarray:
        """Position of each period in the calendar year, 0..per_year-1 (Jan = 0, or Jan dekad 1 = 0):
        the key of a climatology by period of the year."""
        if not self.is_dekad:
            return self.month_index
        return np.array([3 * (m - 1) + d - 1 for _, m, d in self.periods], dtype=int)

    @cached_property
    def month_share(self) -> np.ndarray:
        """Share of its month that each period covers (its days / the month's days): 1 at month step.
        A volume given per month is split over the month's dekads by it."""
        if not self.is_dekad:
            return np.ones(self.n)
        return self.days / np.array([days_in_month(y, m) for y, m in self.months], dtype=float)

    def per_month(self, values) -> np.ndarray:
        """A volume (or depth) per calendar month, 12 values Jan..Dec, over the periods: the month's
        value split by days at dekad step."""
        return np.asarray(values, dtype=float)[self.month_index] * self.month_share

    def end_of_month_state(self, values) -> np.ndarray:
        """A state given at the end of each calendar month (12 values Jan..Dec: a rule curve's storage
        bound) at the end of each period: at dekad step interpolated linearly in days from the end of
        the previous month, so the third dekad carries the month's own value."""
        v = np.asarray(values, dtype=float)
        mi = self.month_index
        if not self.is_dekad:
            return v[mi]
        done = np.array([10.0 * d if d < 3 else float(days_in_month(y, m)) for y, m, d in self.periods])
        frac = done / np.array([days_in_month(y, m) for y, m in self.months], dtype=float)
        return v[(mi - 1) % 12] + (v[mi] - v[(mi - 1) % 12]) * frac

    def sub(self, t0: int, n: int) -> Timeline:
        """The ``n`` periods from period ``t0`` of this calendar."""
        y, m, d = self.periods[t0]
        return Timeline(y, m, n, self.water_year_start_month, self.step, d or 1, self.period_days)

    def water_year_of(self, year: int, month: int) -> int:
        return year if month >= self.water_year_start_month else year - 1

    @cached_property
    def water_years(self) -> np.ndarray:
        """Water year (start calendar year) of each period."""
        return np.array([self.water_year_of(y, m) for y, m in self.months], dtype=int)

    def full_water_years(self) -> dict[int, list[int]]:
        """Water years entirely inside the horizon -> their period indices (a new dict each call)."""
        return {wy: list(ts) for wy, ts in self._full_water_years.items()}

    @cached_property
    def _full_water_years(self) -> dict[int, tuple[int, ...]]:
        groups: dict[int, list[int]] = {}
        for t, wy in enumerate(self.water_years):
            groups.setdefault(int(wy), []).append(t)
        return {wy: tuple(ts) for wy, ts in groups.items() if len(ts) == self.per_year}
