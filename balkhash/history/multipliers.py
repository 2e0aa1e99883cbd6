"""Multipliers on named inputs of a model: what calibration fits and what sensitivity bands move.

A multiplier ``m`` of :class:`~balkhash.history.hindcast.ParameterSpec` ``(kind, key)`` changes

=================  =====================================================================
kind               effect of ``m``
=================  =====================================================================
``inflow``         the local inflow of node ``key``: ``Q_t -> m Q_t`` (Mm3 per period)
``groundwater``    the groundwater inflow of lake/reservoir ``key``: ``G_t -> m G_t``
``demand``         the target of demand ``key``: ``D_t -> m D_t``
``evaporation``    the evaporation depth of ``key``: ``E_t -> m E_t`` (mm per period); the
                   precipitation on a lake is kept, so the net depth is ``m E_t - P_t``
``loss_fraction``  the loss of link ``key``: ``f -> m f`` (must stay below 1)
=================  =====================================================================

Two kinds are not factors but the state itself (:data:`ABSOLUTE`, in the unit given): the value
``v`` replaces the initial state of the run, and the bounds are in that unit.

===================  ===================================================================
``initial_level``    the level of lake ``key`` at the start of the run: ``h_0 -> v`` (m BS)
``initial_storage``  the storage of reservoir ``key`` at the start: ``S_0 -> v`` (Mm3)
===================  ===================================================================

An initial state is what a hindcast assumes about the basin before its first month, not a
property of the basin: :func:`scaled_basin` leaves it alone (the basin's own start is that of its
plans), and ``balkhash calibrate`` writes it into the calibrated hindcast setup instead.

:class:`Moved` applies them to a live model (an ``Allocation`` or a ``Simulator``) through
``set(kind, key, base x m)`` when the model has that kind of named parameter: no rebuild, a warm
re-solve.  A kind the model does not have in place (``evaporation`` and ``loss_fraction`` are
matrix coefficients until the core offers them as named parameters) is applied to a copy of the
basin instead (:func:`scaled_basin`) and the model rebuilt; :attr:`Moved.rebuilds` counts those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..errors import BalkhashError
from ..network.quantities import FlowSeries
from ..network.schema import Basin, LakeNode, ReservoirNode
from ..network.series import flow_mm3
from ..network.units import STEP_VOLUME_UNIT

#: kinds whose value is the initial state itself (unit), not a factor
ABSOLUTE = {"initial_level": "m", "initial_storage": "Mm3"}
KINDS = ("inflow", "groundwater", "demand", "evaporation", "loss_fraction", *ABSOLUTE)


def unit_of(kind: str) -> str:
    """'factor' for a multiplier, the state's unit for an :data:`ABSOLUTE` kind."""
    return ABSOLUTE.get(kind, "factor")


def unit_suffix(kind: str) -> str:
    """'' for a multiplier, ' m' or ' Mm3' (the state's unit, to follow a number) for an
    :data:`ABSOLUTE` kind."""
    return f" {ABSOLUTE[kind]}" if kind in ABSOLUTE else ""


def base_value(basin: Basin, spec) -> float:
    """The value of ``spec`` in ``basin`` as it is: 1 for a factor, the initial state for an
    :data:`ABSOLUTE` kind (m BS or Mm3)."""
    if spec.kind not in ABSOLUTE:
        return 1.0
    node = basin.node(spec.key)
    if spec.kind == "initial_level":
        return float(node.initial_level_m)
    return float(node.initial_storage.mm3)


class MultiplierError(BalkhashError, ValueError):
    """A multiplier that names something the basin does not have, or a value it cannot take."""


def check_spec(basin: Basin, spec) -> None:
    """``spec`` names a kind of :data:`KINDS` and a key of the basin that has it."""
    if spec.kind not in KINDS:
        raise MultiplierError(f"{spec.name}: unknown kind '{spec.kind}' (one of {', '.join(KINDS)})")
    if spec.kind == "loss_fraction":
        if spec.key not in {lk.id for lk in basin.links}:
            raise MultiplierError(f"{spec.name}: '{spec.key}' is not a link of the basin")
        return
    node = next((n for n in basin.nodes if n.id == spec.key), None)
    if spec.kind in ABSOLUTE:
        lake = spec.kind == "initial_level"
        if not isinstance(node, LakeNode if lake else ReservoirNode):
            raise MultiplierError(f"{spec.name}: '{spec.key}' is not a {'lake' if lake else 'reservoir'} of the basin "
                                  f"({spec.kind} is the {'level of a lake' if lake else 'storage of a reservoir'} "
                                  "at the start)")
        if isinstance(node, LakeNode):
            lo, hi = float(min(node.table.level_m)), float(max(node.table.level_m))
            what = "its level-area-volume table"
        else:
            lo, hi = node.min_storage.mm3, node.max_storage.mm3
            what = "its storage bounds"
        unit = ABSOLUTE[spec.kind]
        if spec.low < lo - 1e-9 or spec.high > hi + 1e-9:
            raise MultiplierError(f"{spec.name}: the range {spec.low:g}..{spec.high:g} {unit} leaves {what} "
                                  f"({lo:g}..{hi:g} {unit}) of '{spec.key}'")
        return
    field = {"inflow": "inflow", "groundwater": "groundwater_inflow", "demand": "target",
             "evaporation": "evaporation_mm"}[spec.kind]
    if node is None or getattr(node, field, None) is None:
        raise MultiplierError(f"{spec.name}: '{spec.key}' has no {spec.kind} in the basin")
    if getattr(node, "enabled", True) is False:
        raise MultiplierError(f"{spec.name}: reservoir '{spec.key}' is switched off in this basin (enabled: false), "
                              f"so its {spec.kind} changes nothing; switch it on first (a scenario's "
                              "infrastructure.enable)")


def _scaled_flow(fs: FlowSeries, m: float, basin: Basin) -> FlowSeries:
    if fs.annual is not None:
        return fs.model_copy(update={"annual": fs.annual * m})
    if fs.monthly is not None:
        return fs.model_copy(update={"monthly": [v * m for v in fs.monthly]})
    if fs.value is not None:
        return fs.model_copy(update={"value": fs.value * m})
    if fs.series is not None:
        return fs.model_copy(update={"series": [v * m for v in fs.series]})
    values = flow_mm3(fs, basin, basin.timeline()) * m
    return FlowSeries(unit=STEP_VOLUME_UNIT[basin.calendar.step], series=[float(v) for v in values])


def scaled_basin(basin: Basin, specs: Iterable, values: Iterable[float]) -> Basin:
    """A copy of ``basin`` with every multiplier applied to its data (the table of the module)."""
    from ..scenarios.apply import copy_basin

    b = copy_basin(basin)
    for spec, m in zip(specs, values, strict=True):
        m = float(m)
        if spec.kind in ABSOLUTE:  # the run's initial state: see the module's note
            continue
        if spec.kind == "loss_fraction":
            lk = b.link(spec.key)
            if not lk.loss_fraction * m < 1.0:
                raise MultiplierError(f"{spec.name}: loss fraction {lk.loss_fraction:g} x {m:g} is not below 1")
            lk.loss_fraction = lk.loss_fraction * m
            continue
        node = b.node(spec.key)
        if spec.kind == "evaporation":
            d = node.evaporation_mm
            node.evaporation_mm = d.model_copy(update={"annual": d.annual * m} if d.annual is not None
                                               else {"monthly": [v * m for v in d.monthly]})
        else:
            field = {"inflow": "inflow", "groundwater": "groundwater_inflow", "demand": "target"}[spec.kind]
            setattr(node, field, _scaled_flow(getattr(node, field), m, b))
    return b


def _with_initial(basin: Basin, specs: list, values) -> Basin:
    """``basin`` (a copy of :func:`scaled_basin`) with the initial states of the :data:`ABSOLUTE`
    specs set to ``values`` (the model of a run that starts there), as a scenario's ``initial``."""
    from ..scenarios.initial import apply_initial

    states = {s.key: f"{float(v)!r}{unit_suffix(s.kind)}" for s, v in zip(specs, values, strict=True)
              if s.kind in ABSOLUTE}
    problems = apply_initial(basin, states, "calibration", "initial states")
    if problems:
        raise MultiplierError("; ".join(f"{p.field}: {p.message}" for p in problems))
    return basin


def _live(model, kind: str) -> bool:
    try:
        return kind in model.params.kinds()
    except AttributeError:
        return False


class Moved:
    """A model of ``basin`` whose multipliers can be set between solves.

    ``build(basin)`` makes the model (an Allocation or a Simulator); multipliers of kinds the model
    has as named parameters are set in place, the others rebuild it from :func:`scaled_basin`
    (``in_place=False``: every multiplier by a rebuild, the reference the tests compare with)."""

    def __init__(self, basin: Basin, specs: list, build: Callable[[Basin], Any], in_place: bool = True) -> None:
        for spec in specs:
            check_spec(basin, spec)
        self.basin, self.specs, self.build = basin, list(specs), build
        self.rebuilds = 0
        self.model: Any = build(basin)
        self._offline = [i for i, s in enumerate(self.specs) if not (in_place and _live(self.model, s.kind))]
        self._built_for: tuple = tuple(base_value(basin, self.specs[i]) for i in self._offline)
        self._bases = self._base_values()

    @property
    def in_place(self) -> bool:
        """True when every multiplier is set in place (no rebuild)."""
        return not self._offline

    def _base_values(self) -> dict[int, Any]:
        out: dict[int, Any] = {}
        for i, s in enumerate(self.specs):
            if i not in self._offline:
                v = self.model.get(s.kind, s.key)
                out[i] = v.copy() if isinstance(v, np.ndarray) else float(v)
        return out

    def start(self) -> np.ndarray:
        """The values of the basin as it is: 1 for every factor, the initial state for an
        :data:`ABSOLUTE` kind."""
        return np.array([base_value(self.basin, s) for s in self.specs], dtype=float)

    def set(self, values) -> None:
        """Apply ``values`` (one per spec, in order: a factor, or the state of an :data:`ABSOLUTE`
        kind) for the next solve."""
        values = [float(v) for v in values]
        offline = tuple(values[i] for i in self._offline)
        if offline != self._built_for:
            specs = [self.specs[i] for i in self._offline]
            scaled = _with_initial(scaled_basin(self.basin, specs, offline), specs, offline)
            self.model = self.build(scaled)
            self.rebuilds += 1
            self._built_for = offline
            self._bases = self._base_values()
        for i, s in enumerate(self.specs):
            if i in self._offline:
                continue
            base = self._bases[i]
            new = values[i] if s.kind in ABSOLUTE else base * values[i]
            if s.kind == "loss_fraction" and not float(new) < 1.0:
                raise MultiplierError(f"{s.name}: loss fraction {float(base):g} x {values[i]:g} is not below 1")
            self.model.set(s.kind, s.key, new)

    def solve(self):
        return self.model.solve()
