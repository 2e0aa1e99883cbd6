"""Build the allocation LP: one model over all periods (perfect foresight).

The families run in a fixed order, each adding its variables, rows, coefficients, costs and the
parameter maps of its inputs (:mod:`balkhash.allocation.lp`): links -> demands -> storage ->
carry-over value -> segments of flows and storage -> mass balance -> storage reference (a
tie-breaker, when on) -> targets -> policy (equal shares within a class, the lake's share) ->
hydropower.  The local inflow parameter is declared first since several families read it.  See docs/formulation.md.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .constraints.aggregates import define_aggregates
from .constraints.balance import define_mass_balance
from .constraints.carryover import define_carryover
from .constraints.context import Build
from .constraints.demands import define_demands
from .constraints.hydropower import define_hydropower
from .constraints.links import define_links
from .constraints.policy import define_policy
from .constraints.segments import define_segments
from .constraints.splits import define_splits
from .constraints.storage import define_storage
from .constraints.storage_reference import define_storage_reference
from .constraints.targets import define_targets
from .data import ModelData
from .lp import LinearProgram

FAMILIES = (
    define_links,
    define_demands,
    define_storage,
    define_carryover,
    define_segments,
    define_mass_balance,
    define_storage_reference,
    define_targets,
    define_policy,
    define_hydropower,
    define_splits,
    define_aggregates,
)


def build_lp(data: ModelData, extra: tuple[Callable[[Build], None], ...] = ()) -> LinearProgram:
    """The full LP of ``data`` with its named parameters; ``extra`` families run after the
    engine's own (e.g. the carried rows of a simulation window)."""
    b = Build(data)
    zeros = np.zeros(data.T)
    b.lp.parameter("inflow", data.nodes, np.array([data.inflow.get(n, zeros) for n in data.nodes])
                   .reshape(len(data.nodes), data.T), "Mm3 per period")
    for family in (*FAMILIES, *extra):
        family(b)
    return b.lp.finish()
