"""Fixtures for the output tests: a solved small_basin and a sweep table made by really solving
the small example at scaled transboundary inflows (the schema ``balkhash sweep`` writes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from balkhash.allocation.solve import Allocation, SolveError
from balkhash.data import example_path
from balkhash.network.io import load_basin

FACTORS = (0.4, 0.6, 0.8, 1.0, 1.2, 1.5)


def small_basin():
    return load_basin(example_path("small_basin"))


def sweep_row(value: float, sol, sectors) -> dict:
    row = {"parameter": "transboundary", "value": value}
    if sol is None:
        return dict(row, status="no_solution", objective=np.nan)
    s = sol.summary
    row.update(status=s["status"], objective=s["objective"])
    for sec in sectors:
        row[f"shortfall_{sec}_mm3"] = s["shortfall_mm3_by_sector"].get(sec, 0.0)
    row["total_shortfall_mm3"] = float(sum(s["shortfall_mm3_by_sector"].values()))
    lake = s["lakes"][0]
    row["lake_inflow_km3"] = float(np.mean(list(lake["annual_inflow_km3"].values())))
    row["lake_level_end_m"] = lake["level_end_m"]
    row["lake_level_min_m"] = lake["level_min_m"]
    t = sol.tables["targets"]
    row["lake_inflow_dual"] = float(t.loc[t["type"] == "lake_inflow", "dual"].mean())
    row["violated_targets"] = ";".join(sorted({v["target"] for v in s["violations"]}))
    return row


def make_sweep(out_dir: Path, factors=FACTORS) -> Path:
    """Solve small_basin with the transboundary inflow scaled by each factor; write sweep.csv and
    sweep_levels.csv into ``out_dir`` (value = the inflow in km3 per water year)."""
    basin = small_basin()
    alloc = Allocation(basin)
    node = next(n.id for n in basin.nodes if n.type == "inflow" and n.transboundary)
    base = alloc.data.inflow[node].copy()
    years = alloc.data.timeline.full_water_years()
    base_km3 = float(np.mean([base[ts].sum() for ts in years.values()])) / 1000.0
    sectors = sorted({d.sector for d in alloc.data.demands})
    rows, levels = [], []
    for f in factors:
        value = round(base_km3 * f, 4)
        alloc.set_inflow(node, base * f)
        try:
            sol = alloc.solve()
        except SolveError:
            sol = None
        rows.append(sweep_row(value, sol, sectors))
        if sol is not None:
            st = sol.tables["storage"]
            st = st[st["kind"] == "lake"]
            levels.append(pd.DataFrame({"value": value, "node": st["node"], "period": st["period"],
                                        "level_m": st["level_m"]}))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out_dir / "sweep.csv", index=False)
    pd.concat(levels, ignore_index=True).to_csv(out_dir / "sweep_levels.csv", index=False)
    return out_dir
