"""A small valid basin as plain data, for tests that break it one way at a time.

:func:`valid_basin` returns the dict a ``basin.yaml`` holds and writes the CSV series it uses into
the given directory; :func:`write_basin` writes the dict next to it.  The basin has every kind of
thing the validator looks at: two inflows (one CSV-backed), a reservoir with a table and a rule
curve, a junction, two demands returning water, a terminal lake with a table, a canal with
capacities, one target of each type, a hydropower plant, named profiles and explicit options.

    RIVER(csv) -> RES -> J1 -> CANAL -> IRR ~~return~~> J2
                              J1 -> CITY  ~~return~~> J2
                              J1 -> J2 <- TRIB
                                    J2 -> LAKE
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

SERIES_FILE = "series.csv"
PERIODS = [f"2025-{m:02d}" for m in (10, 11, 12)] + [f"2026-{m:02d}" for m in range(1, 10)]
RIVER_M3S = [18.0, 15.0, 13.0, 12.0, 12.0, 14.0, 22.0, 40.0, 55.0, 48.0, 35.0, 24.0]

EVAP = [0.005, 0.005, 0.01, 0.045, 0.12, 0.171, 0.196, 0.186, 0.136, 0.086, 0.03, 0.01]
IRRIGATION = [0, 0, 0, 0.08, 0.16, 0.22, 0.24, 0.19, 0.11, 0, 0, 0]


def _cell(v) -> str:
    """A CSV cell: empty for None, text as is (to test bad cells), numbers exactly."""
    if v is None:
        return ""
    return v if isinstance(v, str) else repr(float(v))


def write_series(directory: Path, rows: dict[str, list] | None = None, name: str = SERIES_FILE) -> Path:
    """Write the CSV series (``period`` + one column per entry of ``rows``, default RIVER); cells
    may be None (left empty) or text (written as is)."""
    rows = {"RIVER": RIVER_M3S} if rows is None else rows
    n = len(next(iter(rows.values())))
    lines = ["period," + ",".join(rows)]
    for i in range(n):
        cells = [_cell(rows[c][i]) for c in rows]
        lines.append(f"{PERIODS[i]}," + ",".join(cells))
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def valid_basin(directory: Path) -> dict:
    """A valid small basin (12 monthly periods from 2025-10); writes its CSV into ``directory``."""
    write_series(directory)
    return copy.deepcopy(
        {
            "name": "Factory basin",
            "description": "A small valid basin for validation tests.",
            "calendar": {"start": "2025-10", "periods": 12, "water_year_start_month": 10},
            "profiles": {"evap": list(EVAP), "irr": list(IRRIGATION)},
            "nodes": [
                {"id": "RIVER", "type": "inflow", "inflow": {"unit": "m3/s", "file": SERIES_FILE, "column": "RIVER"},
                 "transboundary": True, "country": "CN"},
                {"id": "TRIB", "type": "inflow", "inflow": "2 m3/s"},
                {
                    "id": "RES", "type": "reservoir",
                    "min_storage": "10 Mm3", "max_storage": "200 Mm3", "initial_storage": "100 Mm3",
                    "table": {"level_m": [400, 405, 410, 415], "area_km2": [1, 3, 5, 7],
                              "volume": [0, 50, 120, 210], "volume_unit": "Mm3"},
                    "evaporation_mm": {"annual": 800, "profile": "evap"},
                    "rule_curve": {"min": [20] * 12, "max": [200] * 11 + [190], "unit": "Mm3"},
                    "end_storage": "initial",
                },
                {"id": "J1", "type": "junction"},
                {"id": "CITY", "type": "demand", "sector": "utilities", "target": "1 m3/s",
                 "consumptive_fraction": 0.4, "return_to": "J2", "priority": 1},
                {"id": "IRR", "type": "demand", "sector": "agriculture",
                 "target": {"unit": "km3/yr", "annual": 0.1, "profile": "irr"},
                 "consumptive_fraction": 0.7, "return_to": "J2", "shortfall_cost": 100},
                {"id": "J2", "type": "junction"},
                {
                    "id": "LAKE", "type": "lake",
                    "table": {"level_m": [340, 341, 342, 343], "area_km2": [1000, 1050, 1100, 1150],
                              "volume": [0, 1.025, 2.1, 3.225], "volume_unit": "km3"},
                    "initial_level_m": 341.5,
                    "evaporation_mm": {"annual": 1000, "profile": "evap"},
                    "precipitation_mm": [16, 12, 14, 16, 22, 18, 20, 15, 7, 15, 13, 18],
                    "groundwater_inflow": "1 Mm3/month",
                },
            ],
            "links": [
                {"id": "RIVER-RES", "from": "RIVER", "to": "RES"},
                {"id": "RES-J1", "from": "RES", "to": "J1", "capacity": "50 m3/s", "min_flow": "1 m3/s"},
                {"id": "CANAL", "from": "J1", "to": "IRR", "capacity": "10 m3/s",
                 "annual_capacity": "0.15 km3/yr", "loss_fraction": 0.1},
                {"id": "J1-CITY", "from": "J1", "to": "CITY"},
                {"id": "J1-J2", "from": "J1", "to": "J2"},
                {"id": "TRIB-J2", "from": "TRIB", "to": "J2"},
                {"id": "J2-LAKE", "from": "J2", "to": "LAKE", "loss_fraction": 0.05},
            ],
            "targets": [
                {"id": "ECO", "type": "eco_flow", "link": "J2-LAKE", "min_flow": "2 m3/s"},
                {"id": "LAKE-IN", "type": "lake_inflow", "lake": "LAKE", "min_annual_km3": 0.1, "hard": False},
                {"id": "LAKE-LEVEL", "type": "lake_level", "lake": "LAKE", "min_level_m": 341, "penalty": 5000},
            ],
            "hydropower": [
                {"id": "HPP", "link": "RES-J1", "head_m": 40, "capacity_mw": 20, "efficiency": 0.88},
            ],
            "options": {"sharing_blocks": [0.1, 0.25, 0.5, 1.0], "sharing_multipliers": [1.0, 1.2, 1.5, 2.0]},
        }
    )


def write_basin(directory: Path, data: dict) -> Path:
    """Write ``data`` as ``directory/basin.yaml`` (the CSV must already be there); returns the dir."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "basin.yaml", "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, sort_keys=False, allow_unicode=True)
    return directory


def item(data: dict, section: str, ident: str) -> dict:
    """The entry of ``data[section]`` (nodes, links, targets, hydropower) with id ``ident``."""
    for it in data[section]:
        if it["id"] == ident:
            return it
    raise KeyError(f"{section}: no '{ident}'")


def node(data: dict, ident: str) -> dict:
    return item(data, "nodes", ident)


def link(data: dict, ident: str) -> dict:
    return item(data, "links", ident)


def target(data: dict, ident: str) -> dict:
    return item(data, "targets", ident)
