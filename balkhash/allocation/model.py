"""Build the allocation LP: one model over all periods (perfect foresight).

The builders run in a fixed order; each returns at once when its component table is empty:
variables -> mass balance -> storage continuity -> storage reference (a tie-breaker, when
on) -> annual link capacity -> targets -> hydropower -> objective.  They run on a Pyomo
``ConcreteModel`` or on a matrix-only :class:`~balkhash.allocation.lp.RecordedModel` (what a
solve uses), giving the same LP either way (see :mod:`balkhash.allocation.lp`).
See docs/formulation.md for the full math.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .constraints.balance import define_mass_balance
from .constraints.hydropower import define_hydropower
from .constraints.links import define_annual_capacity
from .constraints.storage import define_storage_continuity
from .constraints.storage_reference import define_storage_reference
from .constraints.targets import define_targets
from .data import ModelData
from .gcpause import gc_paused
from .lp import RecordedModel
from .objective import define_objective
from .variables import define_variables

if TYPE_CHECKING:
    import pyomo.environ as pyo

BUILDERS = (
    define_variables,
    define_mass_balance,
    define_storage_continuity,
    define_storage_reference,
    define_annual_capacity,
    define_targets,
    define_hydropower,
    define_objective,
)


def build_model(data: ModelData, pyomo: bool = True) -> pyo.ConcreteModel | RecordedModel:
    """Run the builders on a Pyomo ``ConcreteModel`` (``pyomo=True``: the Pyomo model with its
    recorded matrix in ``m.lp``) or on a :class:`RecordedModel` (only the matrix, for solving).
    The garbage collector is paused meanwhile: the model is hundreds of thousands of small
    objects, none of them garbage, and generational collections triggered by their allocation
    would otherwise take more than half of the build time."""
    with gc_paused():
        if pyomo:
            import pyomo.environ as pyo

            m = pyo.ConcreteModel(name=data.name)
        else:
            m = RecordedModel(data.name)
        for builder in BUILDERS:
            builder(data, m)
    return m
