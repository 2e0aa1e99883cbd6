"""Sweep one scalar over a range on one persistent model: a table row and a level trajectory per point."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from time import perf_counter

import numpy as np
import pandas as pd

from ..allocation.solve import SolveError
from . import figures
from .study import Study


def point_row(parameter: str, value: float, sol, sectors: Iterable[str]) -> dict:
    """One row of a sweep table (see docs/studies.md for the columns), at full precision."""
    row = {"parameter": parameter, "value": value}
    if sol is None:
        row.update(status="no_solution", objective=np.nan)
        return row
    row.update(status=sol.status, objective=float(sol.objective))
    short = figures.sector_totals(sol, "shortfall_mm3")
    for sec in sectors:
        row[f"shortfall_{sec}_mm3"] = short.get(sec, 0.0)
    row["total_shortfall_mm3"] = float(sum(short.values()))
    lakes = figures.lake_nodes(sol)
    if lakes:
        row["lake_inflow_km3"] = figures.lake_mean_inflow_km3(sol, lakes[0])
        row["lake_level_end_m"], row["lake_level_min_m"] = figures.lake_levels(sol, lakes[0])
    row["lake_inflow_dual"] = figures.mean_dual(sol, "lake_inflow")
    row["violated_targets"] = ";".join(figures.violated_targets(sol))
    return row


@dataclass
class SweepResult:
    table: pd.DataFrame  # one row per point (sweep.csv)
    levels: pd.DataFrame  # value, node, period, level_m (sweep_levels.csv)
    build_seconds: float
    solve_seconds: list[float]


def sweep(study: Study, parameter: str, values: Iterable[float],
          progress: Callable[[float], None] | None = None) -> SweepResult:
    """Re-solve ``study`` at each value of ``parameter``; a row per point (no rebuild)."""
    rows, levels, secs = [], [], []
    for v in values:
        t0 = perf_counter()
        study.set(parameter, float(v))
        try:
            sol = study.solve()
        except SolveError:
            sol = None
        secs.append(perf_counter() - t0)
        rows.append(point_row(parameter, float(v), sol, study.sectors))
        if sol is not None:
            levels.append(figures.lake_level_rows(float(v), sol))
        if progress:
            progress(float(v))
    empty = pd.DataFrame(columns=["value", "node", "period", "level_m"])
    lv = pd.concat(levels, ignore_index=True) if levels else empty
    return SweepResult(pd.DataFrame(rows), lv, study.build_seconds, secs)
