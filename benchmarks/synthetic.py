"""A synthetic river basin of about N nodes for benchmarks: a main stem of junctions with tributary
inflows, reservoirs every few reaches, demands returning water downstream, and a terminal lake."""

from __future__ import annotations

import numpy as np


def synthetic_basin(n_nodes: int = 300, periods: int = 365, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    nodes: list[dict] = []
    links: list[dict] = []
    targets: list[dict] = []
    seasonal = [0.04, 0.04, 0.05, 0.08, 0.12, 0.15, 0.15, 0.12, 0.08, 0.06, 0.06, 0.05]
    irrigation = [0, 0, 0, 0.08, 0.16, 0.22, 0.24, 0.19, 0.11, 0, 0, 0]
    n_stem = max(2, n_nodes // 4)
    stem = [f"J{i}" for i in range(n_stem)]
    count = 0
    for i, j in enumerate(stem):
        if i % 10 == 5:
            nodes.append({"id": j, "type": "reservoir", "min_storage": "20 Mm3", "max_storage": "400 Mm3",
                          "initial_storage": "200 Mm3", "area_km2": 20.0,
                          "evaporation_mm": {"annual": 900}})
        else:
            nodes.append({"id": j, "type": "junction"})
        count += 1
    prev = None
    for j in stem:
        if prev is not None:
            links.append({"id": f"{prev}-{j}", "from": prev, "to": j})
        prev = j
    k = 0
    while count < n_nodes - 1:
        at = stem[k % n_stem]
        if k % 3 == 0:
            nid = f"IN{k}"
            nodes.append({"id": nid, "type": "inflow",
                          "inflow": {"unit": "Mm3/yr", "annual": float(rng.uniform(50, 400)), "profile": "seasonal"}})
            links.append({"id": f"{nid}-{at}", "from": nid, "to": at})
        else:
            nid = f"D{k}"
            ret = stem[k % n_stem + 1] if k % n_stem + 1 < n_stem else "LAKE"
            nodes.append({"id": nid, "type": "demand", "sector": "agriculture" if k % 2 else "utilities",
                          "target": {"unit": "Mm3/yr", "annual": float(rng.uniform(20, 200)),
                                     "profile": "irrigation" if k % 2 else None},
                          "consumptive_fraction": 0.7, "return_to": ret,
                          "shortfall_cost": float(rng.choice([50, 100, 200]))})
            if nodes[-1]["target"]["profile"] is None:
                del nodes[-1]["target"]["profile"]
            links.append({"id": f"{at}-{nid}", "from": at, "to": nid, "loss_fraction": 0.05})
        count += 1
        k += 1
    nodes.append({"id": "LAKE", "type": "lake",
                  "table": {"level_m": [0, 10, 20], "area_km2": [1000, 1200, 1400],
                            "volume": [0, 11000, 24000]},
                  "initial_level_m": 10, "evaporation_mm": {"annual": 1000}, "precipitation_mm": {"annual": 150}})
    links.append({"id": f"{stem[-1]}-LAKE", "from": stem[-1], "to": "LAKE"})
    targets.append({"id": "LAKE-LEVEL", "type": "lake_level", "lake": "LAKE", "min_level_m": 9.0})
    targets.append({"id": "ECO", "type": "eco_flow", "link": f"{stem[-1]}-LAKE", "min_flow": "5 m3/s"})
    return {
        "name": f"synthetic {n_nodes} nodes x {periods} periods",
        "calendar": {"start": "2000-10", "periods": periods},
        "profiles": {"seasonal": seasonal, "irrigation": irrigation},
        "nodes": nodes, "links": links, "targets": targets,
    }
