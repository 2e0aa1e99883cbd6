"""Several scenario runs side by side: one column of key figures per scenario."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from ..allocation.solve import Allocation, SolveError
from ..network.schema import Basin
from ..scenarios.apply import apply_scenario, copy_basin
from ..scenarios.schema import Scenario
from . import figures
from .study import is_plain


def scenario_figures(sol) -> dict:
    """The key figures of one solution, full precision, in the order of the comparison table: the
    horizon (first..last period, water years) first, so that totals over different horizons are
    never read side by side as if alike, and the totals also per year."""
    periods = sol.summary["periods"]
    years = figures.horizon_years(sol)  # 12 months or 36 dekads a year
    c = {"status": sol.status, "horizon": f"{periods['first']}..{periods['last']}", "years": years,
         "objective": float(sol.objective)}
    short = figures.sector_totals(sol, "shortfall_mm3")
    for sec, v in short.items():
        c[f"shortfall {sec} (Mm3)"] = v
    c["shortfall total (Mm3)"] = float(sum(short.values()))
    c["shortfall per year (Mm3/yr)"] = c["shortfall total (Mm3)"] / years
    c["delivered total (Mm3)"] = float(sum(figures.sector_totals(sol, "delivered_mm3").values()))
    c["delivered per year (Mm3/yr)"] = c["delivered total (Mm3)"] / years
    for lake in figures.lake_nodes(sol):
        annual = figures.lake_annual_inflow_km3(sol, lake)
        c[f"{lake} inflow mean (km3/yr)"] = figures.lake_mean_inflow_km3(sol, lake) if annual else float("nan")
        c[f"{lake} level end (m)"], c[f"{lake} level min (m)"] = figures.lake_levels(sol, lake)
    for r, v in figures.storage_end_mm3(sol).items():
        c[f"{r} storage end (Mm3)"] = v
    for p, e in figures.energy_gwh(sol).items():
        c[f"{p} energy (GWh)"] = e
    c["violated targets"] = len(figures.violated_targets(sol))
    return c


def with_policy(basin: Basin, policy: str) -> Basin:
    """A copy of ``basin`` under allocation policy ``policy``, checked (PolicyError for a name that
    is neither a preset nor a policy of the basin, BasinError for a policy the basin cannot hold)."""
    from ..network.errors import BasinError
    from ..network.policy import check_policy, check_policy_name

    check_policy_name(basin, policy, "--policy")
    b = copy_basin(basin)
    b.options.policy = policy
    problems = check_policy(b, "--policy")
    if problems:
        raise BasinError(problems)
    return b


def compare(basin: Basin, scenarios: list[Scenario], progress: Callable[[str], None] | None = None,
            simulation: dict | None = None, policy: str | None = None, **options) -> pd.DataFrame:
    """Key figures of several scenario runs side by side (one column per scenario).  Every scenario
    is applied and checked before any is solved, so an invalid one stops the comparison at once.
    ``simulation``: the keywords of :func:`balkhash.simulation.simulate` (mode, window, every,
    forecast; the climatology of a rolling run is the basin without the scenario); ``policy``: the
    allocation policy of every run (over the basin's and the scenarios')."""
    applied = [(sc, basin if is_plain(sc) else apply_scenario(basin, sc)) for sc in scenarios]
    if policy is not None:
        applied = [(sc, with_policy(b, policy)) for sc, b in applied]
    cols = {}
    for sc, b in applied:
        try:
            if simulation and simulation.get("mode", "optimise") != "optimise":
                from ..simulation import simulate

                sol = simulate(b, **{"climatology": None if is_plain(sc) else basin, **simulation}, **options)
            else:
                sol = Allocation(b, **options).solve()
        except SolveError as exc:
            cols[sc.name] = {"status": exc.status}
            continue
        sol.summary["scenario"] = sc.name
        cols[sc.name] = scenario_figures(sol)
        if progress:
            progress(sc.name)
    return pd.DataFrame(cols)
