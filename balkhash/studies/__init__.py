"""Studies on the allocation model: inflow sweeps, the minimum transboundary inflow, the
agriculture-lake trade-off frontier, and side-by-side scenario comparison.

Each study takes a Basin (and a scenario, applied first by :func:`balkhash.scenarios.apply_scenario`),
solves it with :mod:`balkhash.allocation` and computes its figures at full precision from the
result tables (:mod:`balkhash.studies.figures`).
"""

from .compare import compare
from .min_inflow import CONDITIONS, LAKE_TARGETS, MinInflowResult, lake_ok, min_inflow
from .study import PARAMETERS, Study, StudyError
from .sweep import SweepResult, point_row, sweep
from .tradeoff import tradeoff, with_hard_lake_inflow

__all__ = [
    "CONDITIONS", "LAKE_TARGETS", "PARAMETERS", "MinInflowResult", "Study", "StudyError", "SweepResult",
    "compare", "lake_ok", "min_inflow", "point_row", "sweep", "tradeoff", "with_hard_lake_inflow",
]
