"""Build the allocation LP: one Pyomo model over all periods (perfect foresight).

The builders run in a fixed order; each returns at once when its component table is empty:
variables -> mass balance -> storage continuity -> annual link capacity -> targets ->
hydropower -> objective.  See docs/formulation.md for the full math.
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from .constraints.balance import define_mass_balance
from .constraints.hydropower import define_hydropower
from .constraints.links import define_annual_capacity
from .constraints.storage import define_storage_continuity
from .constraints.targets import define_targets
from .data import ModelData
from .objective import define_objective
from .variables import define_variables

BUILDERS = (
    define_variables,
    define_mass_balance,
    define_storage_continuity,
    define_annual_capacity,
    define_targets,
    define_hydropower,
    define_objective,
)


def build_model(data: ModelData) -> pyo.ConcreteModel:
    """Run the builders.  The garbage collector is paused meanwhile: the model is hundreds of
    thousands of small objects, none of them garbage, and generational collections triggered by
    their allocation would otherwise take more than half of the build time."""
    with PauseGC():
        m = pyo.ConcreteModel(name=data.name)
        for builder in BUILDERS:
            builder(data, m)
    return m
