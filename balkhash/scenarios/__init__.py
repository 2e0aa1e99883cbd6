"""Scenarios: the scenario file schema, loading, and the pure transform Basin -> Basin.

A scenario never touches the model: :func:`apply_scenario` returns a new, validated Basin that
the allocation compiles like any other.  Studies that re-solve a model are in
:mod:`balkhash.studies`.
"""

from .apply import apply_scenario
from .io import load_scenarios
from .references import scenario_problems
from .schema import Scenario

__all__ = ["Scenario", "apply_scenario", "load_scenarios", "scenario_problems"]
