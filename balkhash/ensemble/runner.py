"""Run an ensemble: fit the generator, draw every member's annual inflows, solve the members
(serially in this process, or on Dask), and keep the member x period arrays with their labels.

``run_ensemble(basin, members=N, seed=S, ...)`` returns an :class:`EnsembleResult`; its
``cube()`` is the xarray Dataset written as netCDF, :mod:`.summary` turns it into reliabilities,
shortfall quantiles and the tidy member table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter

import numpy as np

from .generator import InflowModel, check_members, check_seed, fit_record
from .members import EnsembleError, MemberModel, MemberSpec, NoMemberSolved, model_for, run_serial


@dataclass
class EnsembleResult:
    """Every member's arrays (leading axis: member) and what they are indexed by."""

    arrays: dict
    annual_km3: np.ndarray            # (members, years, 2): the generated China and Kazakh volumes
    generator: InflowModel
    seed: int
    mode: str
    periods: list[str]
    water_years: list[int]
    lakes: list[str]
    storages: list[str]
    demands: list[str]
    sectors: list[str]                # of each demand
    links: list[str]
    nodes: list[str]                  # the driven inflow nodes (China first)
    year_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # water year of each period
    lake_inflow_target_km3: dict[str, float] = field(default_factory=dict)
    timings: dict = field(default_factory=dict)

    @property
    def members(self) -> int:
        return int(self.annual_km3.shape[0])

    def cube(self):
        """The whole ensemble as an xarray Dataset (member x period x node / demand / link; member x
        water year)."""
        from .cube import to_dataset

        return to_dataset(self)


def spec_for(basin, generator: InflowModel, mode: str = "optimise", window: int | None = None,
             every: int | None = None, forecast: str = "climatology") -> MemberSpec:
    """The member spec of ``basin``: its transboundary node driven by the China part, every other
    inflow node by the Kazakh part."""
    from ..scenarios.transboundary import sole_transboundary_node

    china = sole_transboundary_node(basin, "the ensemble")
    if china is None:
        raise EnsembleError("the basin has no transboundary inflow node (transboundary: true): the ensemble "
                            "drives it with the China part of the generator")
    if not any(n.type == "lake" and getattr(n, "enabled", True) for n in basin.nodes):
        raise EnsembleError("the ensemble reports the reliability of a lake's targets: the basin has no lake")
    kz = tuple(n.id for n in basin.nodes if n.type == "inflow" and n.id != china and getattr(n, "enabled", True))
    return MemberSpec(basin, mode=mode, window=window, every=every, forecast=forecast, china_node=china,
                      kazakh_nodes=kz, kazakh_mean_km3=generator.record_mean_km3[1])


def run_ensemble(basin, members: int, seed: int = 0, *, generator: InflowModel | None = None,
                 mode: str = "optimise", window: int | None = None, every: int | None = None,
                 forecast: str = "climatology", workers: int | None = 0, scheduler: str | None = None,
                 client=None, progress: Callable[[int, int], None] | None = None) -> EnsembleResult:
    """Solve ``members`` members of ``basin`` (a Basin whose horizon is whole water years).

    ``generator``: the inflow model (default: fitted to the basin's runoff table); ``workers``:
    0 solves in this process, None or N on a LocalCluster (None: one process per core);
    ``scheduler``: the address of a running Dask scheduler; ``client``: a Dask client to use."""
    from ..simulation.simulator import check_options

    t0 = perf_counter()
    check_members(members)
    seed = check_seed(seed)
    window, every = check_options(mode, window, every)
    if isinstance(workers, bool) or (workers is not None and (not isinstance(workers, int) or workers < 0)):
        raise EnsembleError(f"workers must be a whole number >= 0 (got {workers!r})")
    gen = generator or fit_record(basin)
    spec = spec_for(basin, gen, mode, window, every, forecast)
    local = model_for(spec) if (workers == 0 and not scheduler and client is None) else MemberModel(spec)
    q = gen.sample(members, len(local.water_years), seed, first_water_year=local.water_years[0])
    t1 = perf_counter()
    timings: dict = {}
    if workers == 0 and not scheduler and client is None:
        arrays = run_serial(spec, q, progress)
        timings.update(members=perf_counter() - t1, workers=1, where="serial")
    else:
        from .distributed import run_dask

        arrays = run_dask(spec, q, scheduler=scheduler, workers=workers, progress=progress, client=client,
                          timings=timings)
        timings["where"] = f"dask, {timings['workers']} workers" + (f" at {scheduler}" if scheduler else "")
    if not any(s == "optimal" for s in arrays["status"]):
        raise NoMemberSolved(f"none of the {members} members has a solution (solver status: "
                             f"{', '.join(sorted(set(arrays['status'])))})")
    d = local.data
    targets = {tg.ref: float(np.max(tg.values)) / 1000.0 for tg in d.targets if tg.type == "lake_inflow"}
    return EnsembleResult(
        arrays=arrays, annual_km3=q, generator=gen, seed=seed, mode=mode, periods=list(d.timeline.labels),
        water_years=local.water_years, lakes=[s.id for s in local.lakes], storages=[s.id for s in d.storages],
        demands=[x.id for x in d.demands], sectors=[x.sector for x in d.demands], links=[x.id for x in d.links],
        nodes=list(local.nodes), year_index=local.year_index, lake_inflow_target_km3=targets,
        timings=dict(timings, setup=t1 - t0, members_per_second=members / max(timings["members"], 1e-9),
                     solve_median=float(np.median(arrays["seconds"]))))


def from_dataset(ds):
    """An :class:`EnsembleResult` from the Dataset of :func:`.cube.to_dataset`
    (a written ``cube.nc`` read back): its summaries, fan chart and report section again, without
    solving."""
    import ast

    from .cube import VARIABLES

    arrays = {key: ds[name].values for name, (key, _dim, _unit, _what) in VARIABLES.items()}
    arrays["lake_inflow_km3"] = ds["lake_inflow"].values
    arrays["objective"] = ds["objective"].values
    arrays["status"] = [str(s) for s in ds["status"].values]
    a = ds.attrs
    glacier = a.get("glacier", "1.0")
    try:
        glacier_path: float | dict[int, float] = float(glacier)
    except ValueError:
        glacier_path = {int(k): float(v) for k, v in ast.literal_eval(glacier).items()}
    mu, sigma, phi = ([float(v) for v in np.atleast_1d(a[k])] for k in ("mu", "sigma", "phi"))
    gen = InflowModel(mu=(mu[0], mu[1]), sigma=(sigma[0], sigma[1]), phi=(phi[0], phi[1]), r=float(a["r"]),
                      record_mean_km3=(float("nan"), float("nan")),
                      china_trend_km3_per_year=float(a.get("china_trend_km3_per_year", 0.0)), glacier=glacier_path)
    periods = [str(p) for p in ds["period"].values]
    water_years = [int(w) for w in ds["water_year"].values]
    first_month = int(periods[0][5:7])
    year_of = [int(p[:4]) - (int(p[5:7]) < first_month) for p in periods]
    annual = np.stack([ds["china_km3"].values, ds["kazakh_km3"].values], axis=2)
    return EnsembleResult(
        arrays=arrays, annual_km3=annual, generator=gen, seed=int(a["seed"]), mode=str(a["mode"]), periods=periods,
        water_years=water_years, lakes=[str(x) for x in ds["lake"].values],
        storages=[str(x) for x in ds["storage_node"].values], demands=[str(x) for x in ds["demand"].values],
        sectors=[str(x) for x in ds["sector"].values], links=[str(x) for x in ds["link"].values],
        nodes=[str(x) for x in ds["node"].values], year_index=np.searchsorted(water_years, year_of),
        lake_inflow_target_km3={k: float(v) for k, v in zip(ds["lake"].values, np.atleast_1d(
            a.get("lake_inflow_target_km3", [12.0] * ds.sizes["lake"])), strict=False)})
