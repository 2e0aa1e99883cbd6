"""One persistent model and the scalars a study moves.

A :class:`Study` applies its scenario to the basin (:func:`balkhash.scenarios.apply_scenario`),
builds the LP once and re-solves it after changing right-hand sides in HiGHS
(:meth:`balkhash.allocation.solve.Allocation.set_inflow`,
:meth:`~balkhash.allocation.solve.Allocation.set_lake_inflow_target`), warm-started from the
previous basis.  Its base inflows, timeline and sectors come from the Basin, not from the model.
"""

from __future__ import annotations

from time import perf_counter

import numpy as np

from ..allocation.solve import Allocation
from ..errors import BalkhashError
from ..network.schema import Basin
from ..network.series import flow_mm3
from ..scenarios.apply import apply_scenario
from ..scenarios.schema import Scenario
from ..scenarios.transboundary import (
    TransboundaryError,
    annual_to_periods,
    monthly_shares,
    sole_transboundary_node,
    transboundary_node,
)
from ..simulation import Simulator

#: the scalars a study can move
PARAMETERS = ("transboundary", "inflow_multiplier", "lake_inflow_target")


class StudyError(BalkhashError, ValueError):
    """A study asked for something the basin does not have (e.g. no transboundary inflow)."""


def is_plain(sc: Scenario | None) -> bool:
    """True for no scenario or one that changes nothing (a name only)."""
    return sc is None or sc.is_plain()


class Study:
    """A built model plus the ways to move one scalar: the transboundary inflow (km3 per water
    year), a multiplier on every inflow, or the lake inflow target (km3 per water year)."""

    def __init__(self, basin: Basin, scenario: Scenario | None = None, simulation: dict | None = None, **options):
        t0 = perf_counter()
        self.scenario = scenario or Scenario(name="base")
        #: the basin solved: the scenario applied
        self.basin = basin if is_plain(scenario) else apply_scenario(basin, self.scenario)
        self.alloc: Allocation | Simulator
        if simulation and simulation.get("mode", "optimise") != "optimise":
            # a step or rolling simulation, moved like the model: set_inflow, set_lake_inflow_target, solve
            self.alloc = Simulator(self.basin, mode=simulation["mode"], window=simulation.get("window"),
                                   every=simulation.get("every"), forecast=simulation.get("forecast", "climatology"),
                                   climatology_basin=simulation.get("climatology",
                                                                    None if is_plain(scenario) else basin),
                                   **options)
        else:
            self.alloc = Allocation(self.basin, **options)
        #: seconds to apply the scenario and build the model (LP, HiGHS load)
        self.build_seconds = perf_counter() - t0
        self.timeline = tl = self.basin.timeline()
        self.sectors = sorted({n.sector for n in self.basin.nodes if n.type == "demand"})
        #: node -> its local inflow in the basin solved, Mm3 per period
        self.base_inflow = {n.id: flow_mm3(fs, self.basin, tl) for n in self.basin.nodes
                            if (fs := getattr(n, "inflow", None)) is not None}
        self.tb_node = transboundary_node(self.basin, self.scenario)
        #: why the study cannot move the inflow from China (None: it can, or the basin has none)
        self.tb_problem: str | None = None
        tb = self.scenario.transboundary
        if tb is None or not tb.node:  # several flagged and none named: none, not the first
            try:
                sole_transboundary_node(self.basin, "the study")
            except TransboundaryError as exc:
                self.tb_node, self.tb_problem = None, str(exc)
        if self.tb_node is not None and self.tb_node not in self.base_inflow:
            self.tb_node = None
        if self.tb_node is not None:
            base = self.base_inflow[self.tb_node]
            self.tb_shares = monthly_shares(base, tl.season_index, tl.per_year)
            years = tl.full_water_years()
            self.tb_base_km3 = float(np.mean([base[ts].sum() for ts in years.values()]) / 1000.0) if years else \
                float(base.sum() / 1000.0)

    def set(self, parameter: str, value: float) -> None:
        """Move ``parameter`` to ``value`` in the built model (no rebuild)."""
        if parameter == "transboundary":
            if self.tb_node is None:
                raise StudyError(self.tb_problem or "the basin has no inflow with transboundary: true")
            wys = {int(w): value for w in self.timeline.water_years}
            self.alloc.set_inflow(self.tb_node, annual_to_periods(wys, self.tb_shares, self.timeline))
        elif parameter == "inflow_multiplier":
            for n, base in self.base_inflow.items():
                self.alloc.set_inflow(n, base * value)
        elif parameter == "lake_inflow_target":
            self.alloc.set_lake_inflow_target(value)
        else:
            raise StudyError(f"unknown parameter '{parameter}': use one of {', '.join(PARAMETERS)}")

    def solve(self):
        """Solve the model as it stands; the solution's summary names the scenario."""
        sol = self.alloc.solve()
        sol.summary["scenario"] = self.scenario.name
        return sol
