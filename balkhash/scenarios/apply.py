"""Apply a scenario to a basin: ``apply_scenario(basin, scenario) -> Basin``, a pure input transform.

The result is a new, validated Basin; the basin given is not changed.  In order:

1. the references are checked (:func:`balkhash.scenarios.references.scenario_problems`);
2. the structure changes: horizon (years, start; CSV series are then written out over the new
   horizon, repeated by calendar month where the file ends), named profiles replaced, reservoirs
   and plants switched on/off, link capacities, reservoir ranges, lake targets;
3. the numbers change, over the new horizon, in Mm3 per period: inflow multipliers, the
   transboundary inflow (and its Kazakh part), the demand factors (growth, multipliers, industrial
   efficiency, irrigation savings).  Each changed inflow or demand target is written into the new
   Basin as an explicit per-period series ``{unit: Mm3/month, series: [...]}``;
4. the new Basin is checked like a basin file (:func:`balkhash.network.validate.check_basin`).
   Every problem names the scenario file, the scenario and the scenario field that changed the
   item concerned (``infrastructure.reservoir_range.KAPSHAGAY.max_storage``,
   ``targets.lake_min_level_m``, ...), then the basin item and what is wrong.

So the model only ever sees a Basin: the compile step and the LP know nothing of scenarios.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from ..network.errors import BasinError, Problem
from ..network.policy import check_policy
from ..network.quantities import FlowSeries
from ..network.schema import Basin, DemandNode, LakeInflowTarget, LakeLevelTarget, SinkNode
from ..network.series import file_values, flow_mm3
from ..network.units import STEP_VOLUME_UNIT
from ..network.validate import check_basin
from .demands import demand_factors
from .initial import apply_initial
from .references import scenario_problems
from .schema import Scenario
from .transboundary import transboundary_mm3, transboundary_node

#: the unit of the per-period series a scenario writes into the basin (Mm3/dekad at dekad step)
SERIES_UNIT = STEP_VOLUME_UNIT["month"]


class _Changes:
    """Which scenario fields changed which basin item ("node 'X'", "link 'Y'", ...)."""

    def __init__(self) -> None:
        self.by_item: dict[str, list[str]] = {}
        self.horizon: list[str] = []

    def add(self, item: str, field: str) -> None:
        fields = self.by_item.setdefault(item, [])
        if field not in fields:
            fields.append(field)

    def fields_for(self, item: str) -> list[str]:
        return self.by_item.get(item) or self.horizon


def copy_basin(basin: Basin) -> Basin:
    """A deep copy of ``basin`` that keeps its directory and its loaded CSV tables."""
    new = basin.model_copy(deep=True)
    new._base_dir = basin._base_dir
    new._tables = basin._tables
    new._cyclic = basin._cyclic
    return new


def apply_scenario(basin: Basin, sc: Scenario) -> Basin:
    """The basin under scenario ``sc``: a new Basin, validated; BasinError lists every problem."""
    problems = scenario_problems(basin, sc)
    if problems:
        raise BasinError(problems)
    changes = _Changes()
    b = copy_basin(basin)
    _apply_structure(b, sc, changes)
    _apply_numbers(b, sc, changes)
    problems = check_basin(b, sc._file)
    if problems:
        raise BasinError([_scenario_problem(sc, p, changes) for p in problems])
    return b


def _scenario_problem(sc: Scenario, p: Problem, changes: _Changes) -> Problem:
    item = ": ".join(x for x in (p.where, p.field) if x)
    return Problem(sc._file, f"scenario '{sc.name}'", ", ".join(changes.fields_for(p.where)),
                   f"the basin with this scenario is not valid: {item}: {p.message}")


# -- structure -------------------------------------------------------------------------------------
def _apply_structure(b: Basin, sc: Scenario, changes: _Changes) -> None:
    if sc.years is not None or sc.start_water_year is not None:
        wy0 = b.calendar.water_year_start_month
        start_year = sc.start_water_year
        if start_year is None:
            tl = b.timeline()
            start_year = tl.water_year_of(tl.year, tl.month)
        b.calendar.start = f"{start_year}-{wy0:02d}"
        per_year = b.timeline().per_year
        b.calendar.periods = per_year * (sc.years or max(1, b.calendar.periods // per_year))
        b._cyclic = True  # CSV series shorter than the horizon repeat by calendar month
        changes.horizon = [f for f in ("years", "start_water_year") if getattr(sc, f) is not None]
        _materialise_csv_series(b)
    for name, values in sc.profiles.items():  # checked as the basin's own profiles are (12 fractions, sum 1)
        b.profiles[name] = [float(v) for v in values]
        changes.add(f"profile '{name}'", f"profiles.{name}")
    inf = sc.infrastructure
    if inf is not None:
        for flag, field, ids in ((True, "enable", inf.enable), (False, "disable", inf.disable)):
            for x in ids:
                for n in b.nodes:
                    if n.id == x and n.type == "reservoir":
                        n.enabled = flag
                        changes.add(f"node '{x}'", f"infrastructure.{field}")
                for p in b.hydropower:
                    if p.id == x:
                        p.enabled = flag
                        changes.add(f"plant '{x}'", f"infrastructure.{field}")
        for field in ("link_capacity", "annual_capacity"):
            for lid, cap in getattr(inf, field).items():
                setattr(b.link(lid), field.removeprefix("link_"), cap.model_copy(deep=True))
                changes.add(f"link '{lid}'", f"infrastructure.{field}.{lid}")
        for lid, f in inf.link_loss.items():
            b.link(lid).loss_fraction = float(f)
            changes.add(f"link '{lid}'", f"infrastructure.link_loss.{lid}")
        for rid, rng in inf.reservoir_range.items():
            r = b.node(rid)
            for field in ("min_storage", "max_storage"):
                v = getattr(rng, field)
                if v is not None:
                    setattr(r, field, v.model_copy())
                    changes.add(f"node '{rid}'", f"infrastructure.reservoir_range.{rid}.{field}")
    for t in sc.add_targets:
        b.targets.append(t.model_copy(deep=True))
        changes.add(f"target '{t.id}'", f"add_targets.{t.id}")
    if sc.targets is not None:
        _apply_lake_targets(b, sc, changes)
    if sc.policy is not None:
        b.options.policy = sc.policy
        problems = [Problem(sc._file, f"scenario '{sc.name}'", p.field if p.field.startswith("policy")
                            else f"policy (options.{p.field})", p.message)
                    for p in check_policy(b, sc._file)]
        if problems:
            raise BasinError(problems)
    if sc.initial:
        problems = apply_initial(b, sc.initial, sc._file, f"scenario '{sc.name}'")
        if problems:
            raise BasinError(problems)
        for nid in sc.initial:
            changes.add(f"node '{nid}'", f"initial.{nid}")


def _materialise_csv_series(b: Basin) -> None:
    """Write every CSV-backed series out as an explicit per-period series (in its own unit) over the
    new horizon, the months the file lacks repeated by calendar month, so the scenario's basin says
    what it models without a hidden rule (and reads back the same when saved).  A series the file
    cannot cover stays as it is: the basin check reports it."""
    tl = b.timeline()
    for item in (*b.nodes, *b.links, *b.targets):
        for field, fs in item:
            if isinstance(fs, FlowSeries) and fs.file is not None:
                try:
                    values, unit = file_values(fs, b, tl), fs.unit
                    if tl.is_dekad and not fs.is_rate:  # the Mm3 of each dekad (a month's split by days)
                        values, unit = flow_mm3(fs, b, tl), STEP_VOLUME_UNIT["dekad"]
                    elif fs.per_dekad:  # the Mm3 of each month, its dekads summed
                        values, unit = flow_mm3(fs, b, tl), SERIES_UNIT
                except ValueError:
                    continue
                setattr(item, field, FlowSeries(unit=unit, series=[float(v) for v in values]))


def _apply_lake_targets(b: Basin, sc: Scenario, changes: _Changes) -> None:
    tg = sc.targets
    assert tg is not None, "_apply_lake_targets needs a scenario with lake targets"
    lake = tg.lake or next(n.id for n in b.nodes if n.type == "lake")
    for value, kind, field, cls, attr in (
        (tg.lake_inflow_km3, "lake_inflow", "lake_inflow_km3", LakeInflowTarget, "min_annual_km3"),
        (tg.lake_min_level_m, "lake_level", "lake_min_level_m", LakeLevelTarget, "min_level_m"),
    ):
        if value is None:
            continue
        found = [t for t in b.targets if isinstance(t, cls) and t.lake == lake]
        if not found:
            suffix = "INFLOW" if kind == "lake_inflow" else "LEVEL"
            fields: dict[str, Any] = {attr: value}
            found = [cls(id=f"{lake}-{suffix}", lake=lake, **fields)]
            b.targets.append(found[0])
        for t in found:
            setattr(t, attr, value)
            changes.add(f"target '{t.id}'", f"targets.{field}")
    for target in b.targets:
        if isinstance(target, LakeInflowTarget | LakeLevelTarget) and target.lake == lake:
            for field in ("hard", "penalty"):
                if getattr(tg, field) is not None:
                    setattr(target, field, getattr(tg, field))
                    changes.add(f"target '{target.id}'", f"targets.{field}")


# -- numbers ---------------------------------------------------------------------------------------
def _series(values: np.ndarray, step: str = "month") -> FlowSeries:
    """A per-period series of the scenario's numbers (Mm3 per period of the calendar ``step``).  Built
    without the schema's checks so that a value the scenario made unusable (a factor that overflows)
    reaches the basin check, which names the scenario field, instead of failing here."""
    return FlowSeries.model_construct(unit=STEP_VOLUME_UNIT[step], series=[float(v) for v in values])


def _resolved(b: Basin, field: str, nodes: list, tl) -> dict[str, np.ndarray]:
    """node id -> its ``field`` series in Mm3 per period; a series that does not resolve over the
    horizon is left out (the basin check reports it)."""
    out = {}
    for n in nodes:
        fs = getattr(n, field, None)
        if fs is None:
            continue
        with contextlib.suppress(ValueError):
            out[n.id] = flow_mm3(fs, b, tl)
    return out


def scenario_inflows(b: Basin, sc: Scenario, changes: _Changes | None = None) -> dict[str, np.ndarray]:
    """The local inflows (Mm3 per period) that ``sc`` changes in basin ``b`` (already restructured):
    inflow multipliers, then the transboundary inflow and its Kazakh part."""
    changes = changes or _Changes()
    tl = b.timeline()
    base = _resolved(b, "inflow", b.nodes, tl)
    new: dict[str, np.ndarray] = {}
    for nid, arr in base.items():
        k = 1.0
        for key in (nid, "all"):
            if key in sc.inflow_multipliers:
                k *= sc.inflow_multipliers[key]
                changes.add(f"node '{nid}'", f"inflow_multipliers.{key}")
        if k != 1.0:
            new[nid] = arr * k
    node = transboundary_node(b, sc) if sc.transboundary is not None else None
    if node is not None and node in base:
        for nid, arr in transboundary_mm3(b, sc, node, base[node], {**base, **new}, tl).items():
            new[nid] = arr
            changes.add(f"node '{nid}'", "transboundary")
    return new


def scenario_targets(b: Basin, sc: Scenario, changes: _Changes | None = None) -> dict[str, np.ndarray]:
    """The demand targets (Mm3 per period) that ``sc`` changes in basin ``b`` (already restructured)."""
    changes = changes or _Changes()
    tl = b.timeline()
    demands = [n for n in b.nodes if n.type == "demand"]
    targets = _resolved(b, "target", demands, tl)
    demands = [d for d in demands if d.id in targets]
    factors = demand_factors(demands, targets, sc, tl)
    out = {}
    for d in demands:
        f = factors[d.id]
        if np.any(f != 1.0):
            out[d.id] = targets[d.id] * f
            for field, hit in (("demand_growth", sc.demand_growth.get(d.sector)),
                               ("demand_multipliers", {d.id, d.sector} & set(sc.demand_multipliers)),
                               ("water_saving", sc.water_saving is not None)):
                if hit:
                    changes.add(f"node '{d.id}'", field)
    return out


def _apply_numbers(b: Basin, sc: Scenario, changes: _Changes) -> None:
    inflows = scenario_inflows(b, sc, changes)
    targets = scenario_targets(b, sc, changes)
    for n in b.nodes:  # inflows: nodes with an inflow series; targets: demands
        if n.id in inflows and not isinstance(n, SinkNode | DemandNode):
            n.inflow = _series(inflows[n.id], b.calendar.step)
        if n.id in targets and isinstance(n, DemandNode):
            n.target = _series(targets[n.id], b.calendar.step)
