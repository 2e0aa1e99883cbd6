"""Getting started with balkhash in Python: build a basin, solve it, change a demand, re-solve and
compare.  Run it with ``python docs/examples/getting_started.py`` (the tests run it too).

The basin: a river of 30 m3/s into a reservoir that serves irrigation through a canal of 20 m3/s;
the rest flows on to a terminal lake.
"""

from __future__ import annotations

import balkhash
from balkhash.network.errors import BasinError
from balkhash.network.io import parse_basin
from balkhash.network.schema import Basin


def build() -> Basin:
    """The basin as plain data, exactly as a basin.yaml would hold it (quantities carry units)."""
    return parse_basin({
        "name": "Getting started",
        "calendar": {"start": "2025-10", "periods": 12},
        "nodes": [
            {"id": "RIVER", "type": "inflow", "inflow": "30 m3/s"},
            {"id": "RES", "type": "reservoir", "min_storage": "10 Mm3", "max_storage": "300 Mm3",
             "initial_storage": "150 Mm3"},
            {"id": "FARMS", "type": "demand", "sector": "agriculture", "target": "40 Mm3/month",
             "consumptive_fraction": 0.8, "return_to": "LAKE", "shortfall_cost": 100},
            {"id": "LAKE", "type": "lake", "initial_level_m": 101,
             "table": {"level_m": [100, 104, 108], "area_km2": [500, 550, 600], "volume": [0, 2100, 4400]},
             "evaporation_mm": {"annual": 800}},
        ],
        "links": [{"id": "RIVER-RES", "from": "RIVER", "to": "RES"},
                  {"id": "RES-FARMS", "from": "RES", "to": "FARMS", "capacity": "20 m3/s"},
                  {"id": "RES-LAKE", "from": "RES", "to": "LAKE"}],
    }, "getting_started.yaml")


def main() -> dict[str, float]:
    basin = build()
    base = balkhash.solve(basin)
    print(base)

    # more irrigation: the demand's target is read like the file
    bigger = build()
    bigger.node("FARMS").target = "70 Mm3/month"
    more = balkhash.solve(bigger)

    short = {name: float(sol.deliveries["shortfall_mm3"].sum()) for name, sol in (("base", base), ("more", more))}
    for name, value in short.items():
        print(f"{name}: shortfall {value:.1f} Mm3 over the year")

    # a mistake is a clear error, not a traceback
    wrong = build()
    wrong.links[0].to = "NOWHERE"
    try:
        balkhash.solve(wrong)
    except BasinError as exc:
        print(f"refused: {exc.problems[0]}")
    return short


if __name__ == "__main__":
    main()
