"""The ensemble as one xarray Dataset, written as netCDF (the h5netcdf engine).

Variables (units in their ``units`` attribute):

=====================  ===========================  =====
variable               dims                         units
=====================  ===========================  =====
``level``              member, period, lake         m BS
``storage``            member, period, storage_node Mm3
``delivered``          member, period, demand       Mm3
``shortfall``          member, period, demand       Mm3
``flow``               member, period, link         Mm3
``inflow``             member, period, node         Mm3 (the driven inflow nodes)
``lake_inflow``        member, water_year, lake     km3
``china_km3``          member, water_year           km3 (generated)
``kazakh_km3``         member, water_year           km3 (generated)
``objective``          member                       -
``status``             member                       -
=====================  ===========================  =====
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

VARIABLES = {
    "level": ("level_m", "lake", "m BS", "lake level at the end of the period"),
    "storage": ("storage_mm3", "storage_node", "Mm3", "storage at the end of the period"),
    "delivered": ("delivered_mm3", "demand", "Mm3", "delivery in the period"),
    "shortfall": ("shortfall_mm3", "demand", "Mm3", "target minus delivery in the period"),
    "flow": ("flow_mm3", "link", "Mm3", "flow in the period"),
    "inflow": ("inflow_mm3", "node", "Mm3", "local inflow of the driven nodes in the period"),
}


def to_dataset(result):
    import xarray as xr

    a = result.arrays
    member = np.arange(result.members)
    coords = {"member": member, "period": result.periods, "water_year": result.water_years,
              "lake": result.lakes, "storage_node": result.storages, "demand": result.demands,
              "sector": ("demand", result.sectors), "link": result.links, "node": result.nodes}
    data = {}
    for name, (key, dim, unit, what) in VARIABLES.items():
        data[name] = xr.Variable(("member", "period", dim), a[key], {"units": unit, "long_name": what})
    data["lake_inflow"] = xr.Variable(("member", "water_year", "lake"), a["lake_inflow_km3"],
                                      {"units": "km3", "long_name": "surface inflow of the lake in the water year"})
    data["china_km3"] = xr.Variable(("member", "water_year"), result.annual_km3[:, :, 0],
                                    {"units": "km3", "long_name": "generated inflow from China"})
    data["kazakh_km3"] = xr.Variable(("member", "water_year"), result.annual_km3[:, :, 1],
                                     {"units": "km3", "long_name": "generated Kazakh part of the runoff"})
    data["objective"] = xr.Variable(("member",), a["objective"])
    data["status"] = xr.Variable(("member",), np.array(a["status"], dtype=str))
    g = result.generator
    attrs = {"title": "balkhash ensemble", "seed": result.seed, "mode": result.mode,
             "generator": "bivariate log-normal AR(1) (balkhash.ensemble.generator)",
             "mu": list(g.mu), "sigma": list(g.sigma), "phi": list(g.phi), "r": g.r,
             "china_trend_km3_per_year": g.china_trend_km3_per_year, "glacier": str(g.glacier),
             "water_year": "a water year w runs from October of w to September of w + 1",
             "lake_inflow_target_km3": [result.lake_inflow_target_km3.get(k, float("nan")) for k in result.lakes]}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def write_netcdf(ds, path: str | os.PathLike) -> Path:
    """``ds`` as netCDF-4 (h5netcdf), compressed."""
    enc = {v: {"zlib": True, "complevel": 4} for v in ds.data_vars if ds[v].dtype.kind == "f"}
    ds.to_netcdf(path, engine="h5netcdf", encoding=enc)
    return Path(path)

