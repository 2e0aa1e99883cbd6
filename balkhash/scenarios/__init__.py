"""Scenarios and studies: basin overrides, sweeps, minimum inflow, trade-offs, comparisons."""

from .apply import apply_to_basin, apply_to_data, scenario_problems
from .io import load_scenarios
from .schema import Scenario

__all__ = ["Scenario", "apply_to_basin", "apply_to_data", "load_scenarios", "scenario_problems"]
