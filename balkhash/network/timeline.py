"""The model calendar: monthly periods from a start month, grouped in water years.

A water year starts in ``water_year_start_month`` (October by default) and is named by the
calendar year it starts in: water year 2025 runs 2025-10 .. 2026-09 and is labelled "2025-26".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .units import days_in_month


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


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def water_year_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


@dataclass(frozen=True)
class Timeline:
    """``n`` consecutive months starting at (``year``, ``month``)."""

    year: int
    month: int
    n: int
    water_year_start_month: int = 10

    @classmethod
    def from_start(cls, start: str, n: int, water_year_start_month: int = 10) -> Timeline:
        y, m = parse_month(start)
        return cls(y, m, n, water_year_start_month)

    @cached_property
    def months(self) -> list[tuple[int, int]]:
        out = []
        y, m = self.year, self.month
        for _ in range(self.n):
            out.append((y, m))
            m += 1
            if m == 13:
                y, m = y + 1, 1
        return out

    @cached_property
    def labels(self) -> list[str]:
        return [month_label(y, m) for y, m in self.months]

    @cached_property
    def days(self) -> np.ndarray:
        return np.array([days_in_month(y, m) for y, m in self.months], dtype=float)

    @cached_property
    def month_index(self) -> np.ndarray:
        """Calendar month 0..11 (Jan = 0) of each period."""
        return np.array([m - 1 for _, m in self.months], dtype=int)

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
        return {wy: tuple(ts) for wy, ts in groups.items() if len(ts) == 12}
