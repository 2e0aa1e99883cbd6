"""Level-area-volume curves and the linear area approximation used for evaporation.

Between table rows level, area and volume are interpolated linearly (volume in Mm3, area in km2,
level in m BS).  The LP needs evaporation linear in storage, so the area is approximated as

    A(S) ~= a0 + a1 * S          (km2, S in Mm3)

fitted by least squares on 200 storages evenly spread over the operating range [S_lo, S_hi]
(reservoirs: min..max storage; lakes: initial level +- 2 m, clipped to the table).
:meth:`LavCurve.fit_error` reports the largest relative error of the fit over that range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LavCurve:
    levels: np.ndarray  # m BS
    areas: np.ndarray  # km2
    volumes: np.ndarray  # Mm3

    @classmethod
    def from_table(cls, table) -> LavCurve:
        return cls(
            np.asarray(table.level_m, dtype=float),
            np.asarray(table.area_km2, dtype=float),
            np.asarray(table.volume_mm3, dtype=float),
        )

    def volume_at(self, level):
        """Storage (Mm3) at ``level`` (m BS), linear between rows, extrapolated at the ends."""
        return _interp(level, self.levels, self.volumes)

    def level_at(self, volume):
        """Level (m BS) at storage ``volume`` (Mm3)."""
        return _interp(volume, self.volumes, self.levels)

    def area_at(self, volume):
        """Area (km2) at storage ``volume`` (Mm3)."""
        return _interp(volume, self.volumes, self.areas)

    def fit_area(self, lo: float, hi: float) -> tuple[float, float]:
        """Least-squares (a0, a1) of A(S) = a0 + a1 S over S in [lo, hi] (Mm3)."""
        if hi <= lo:
            return float(self.area_at(lo)), 0.0
        s = np.linspace(lo, hi, 200)
        a1, a0 = np.polyfit(s, self.area_at(s), 1)
        return float(a0), float(a1)

    def fit_error(self, lo: float, hi: float) -> float:
        """Largest relative error of the linear area fit over [lo, hi]."""
        a0, a1 = self.fit_area(lo, hi)
        s = np.linspace(lo, hi, 200)
        exact = self.area_at(s)
        return float(np.max(np.abs(a0 + a1 * s - exact) / np.maximum(exact, 1e-9)))


def _interp(x, xp, fp):
    """Linear interpolation with linear extrapolation beyond the first/last row."""
    x_arr = np.asarray(x, dtype=float)
    y = np.interp(x_arr, xp, fp)
    lo_slope = (fp[1] - fp[0]) / (xp[1] - xp[0])
    hi_slope = (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    y = np.where(x_arr < xp[0], fp[0] + (x_arr - xp[0]) * lo_slope, y)
    y = np.where(x_arr > xp[-1], fp[-1] + (x_arr - xp[-1]) * hi_slope, y)
    return float(y) if np.ndim(y) == 0 else y
