"""Named parameters as a user sees them: kind, key, values in the basin's units.

``Allocation.set(kind, key, values)`` checks the values, converts them to the LP's own parameter
(e.g. a lake level target in m BS to the storage of that level, Mm3), and keeps derived
parameters consistent (the storage reference follows the initial storage and the storage
bounds; an end-storage target "initial" follows the initial storage).

=======================  =====================  ===================================  ============
kind                     key                    values                               shape
=======================  =====================  ===================================  ============
``inflow``               node id                local inflow, Mm3 per period         T
``groundwater``          lake id                groundwater inflow, Mm3 per period   T
``demand``               demand id              target, Mm3 per period               T
``shortfall_cost``       demand id              cost per Mm3 short (before blocks)   1
``capacity``             link id                maximum flow, Mm3 per period         T
``min_flow``             link id                minimum flow, Mm3 per period         T
``link_cost``            link id                cost per Mm3, per period             T
``annual_capacity``      link id (capped)       Mm3 per water year                   1
``initial_storage``      reservoir / lake id    Mm3 at the start                     1
``initial_level``        lake id                m BS at the start (-> Mm3)           1
``storage_min``          reservoir / lake id    Mm3, end of each period              T
``storage_max``          reservoir / lake id    Mm3, end of each period              T
``eco_flow``             target id              Mm3 per period                       T
``lake_inflow_target``   target id              Mm3 per water year                   1
``lake_level_target``    target id              m BS (-> Mm3 of that level)          1
``end_storage``          target id              Mm3 at the end of the horizon        1
``penalty``              target id              cost per unit of violation           1
``energy_target``        plant id               GWh per period                       T
``evaporation``          reservoir / lake id    evaporation depth, mm per period     T
``loss_fraction``        link id (with a loss)  share of the flow lost, in [0, 1)    1
``head``                 plant id (head_from)   net head, m per period               T
=======================  =====================  ===================================  ============

Values are finite and non-negative, except a ``link_cost`` and the ``inflow`` of a junction,
reservoir or lake (a fixed withdrawal); an inflow node's inflow stays non-negative.

``evaporation``, ``loss_fraction`` and ``head`` are coefficients of the matrix (the continuity of
a storage, the arrivals of a link's end node, a plant's energy row); the others act on bounds and
costs.
"""

from __future__ import annotations

import numpy as np

from ..errors import BalkhashError
from .constraints.storage_reference import reference_storage
from .data import ModelData
from .lav import LavCurve
from .lp import LinearProgram

#: user kind -> (LP parameter, values may be +inf)
KINDS: dict[str, tuple[str, bool]] = {
    "inflow": ("inflow", False), "groundwater": ("groundwater", False), "demand": ("demand", False),
    "shortfall_cost": ("shortfall_cost", False), "capacity": ("capacity", True), "min_flow": ("min_flow", False),
    "link_cost": ("link_cost", False), "annual_capacity": ("annual_capacity", True),
    "initial_storage": ("initial_storage", False), "initial_level": ("initial_storage", False),
    "storage_min": ("storage_min", False), "storage_max": ("storage_max", True), "eco_flow": ("eco_flow", False),
    "lake_inflow_target": ("lake_inflow_target", False), "lake_level_target": ("lake_level_target", False),
    "end_storage": ("end_storage", False), "penalty": ("penalty", False), "energy_target": ("energy_target", False),
    "evaporation": ("evaporation", False), "loss_fraction": ("loss_fraction", False), "head": ("head", False),
}
#: kinds whose values may be negative (a link cost may pay for a flow; a junction's, reservoir's or
#: lake's local inflow may be a fixed withdrawal, an inflow node's may not)
SIGNED = {"link_cost", "inflow"}


class ParameterError(BalkhashError, ValueError):
    """A parameter change that cannot be made: unknown kind or key, wrong shape, bad values."""


class Parameters:
    """Reads and changes the named parameters of one LP; reports what each change touched."""

    def __init__(self, data: ModelData, lp: LinearProgram) -> None:
        self.data = data
        self.lp = lp
        self._end_initial = {t.ref: t.id for t in data.targets if t.type == "end_storage" and t.follows_initial}

    def kinds(self) -> list[str]:
        return [k for k, (p, _) in KINDS.items() if p in self.lp.params]

    def keys(self, kind: str) -> list[str]:
        param = self._param(kind)
        if kind in ("initial_level", "groundwater"):  # a reservoir's groundwater is its local inflow
            return [k for k in param.keys if self.data.storage(k).kind == "lake"]
        if kind == "inflow":  # what reaches a sink leaves the basin: it has no balance
            folded = {self.data.demands[j].id for j in self.data.folded.values()}
            return [k for k in param.keys if self.data.node_type[k] != "sink" and k not in folded]
        if kind in ("capacity", "min_flow", "link_cost"):  # a folded inlet carries exactly the delivery
            folded = {self.data.links[i].id for i in self.data.folded}
            return [k for k in param.keys if k not in folded]
        return list(param.keys)

    def _param(self, kind: str):
        if kind not in KINDS:
            raise ParameterError(f"unknown parameter kind '{kind}'; one of {', '.join(KINDS)}")
        name = KINDS[kind][0]
        if name not in self.lp.params:
            raise ParameterError(f"the basin has nothing of kind '{kind}' in its LP")
        return self.lp.params[name]

    def _key(self, kind: str, key: str) -> int:
        param = self._param(kind)
        if key not in param.position or (kind in ("initial_level", "groundwater", "inflow", "capacity", "min_flow",
                                                  "link_cost") and key not in self.keys(kind)):
            if kind == "groundwater" and key in param.position:
                raise ParameterError(f"reservoir '{key}' has no groundwater inflow of its own (the basin file gives "
                                     "groundwater_inflow to lakes only, apart from their surface inflow): change its "
                                     "local inflow with kind 'inflow'")
            if kind == "inflow" and key in param.position and self.data.node_type[key] == "demand":
                raise ParameterError(f"demand '{key}' has no local inflow in the basin and its only inlet carries "
                                     "exactly its delivery (folded when the LP was built): give it an inflow in "
                                     "the basin to change it in place")
            if kind in ("capacity", "min_flow", "link_cost") and key in param.position:
                raise ParameterError(f"link '{key}' is the only, unconstrained way into a demand (folded into it "
                                     f"when the LP was built): give it a {kind} in the basin to change it in place")
            if kind == "loss_fraction" and key in {lk.id for lk in self.data.links}:
                raise ParameterError(f"link '{key}' has no loss in the basin: give it a loss_fraction there to "
                                     "change it in place")
            shown = ", ".join(self.keys(kind)[:8]) + (", ..." if len(self.keys(kind)) > 8 else "")
            raise ParameterError(f"'{key}' has no parameter '{kind}' (keys: {shown or 'none'})")
        return param.position[key]

    def get(self, kind: str, key: str) -> np.ndarray | float:
        """Current values of ``kind`` for ``key``, in the units of the table above."""
        param = self._param(kind)
        row = param.values[self._key(kind, key)]
        if kind == "initial_level":
            return float(self._curve(key).level_at(float(row)))
        return row.copy() if np.ndim(row) else float(row)

    def set(self, kind: str, key: str, values) -> dict[str, dict[str, np.ndarray]]:
        """Change ``kind`` of ``key``; returns the LP entries recomputed, per LP parameter."""
        param = self._param(kind)
        k = self._key(kind, key)
        shape = param.values.shape[1:]
        try:
            arr = np.array(np.broadcast_to(np.asarray(values, dtype=float), shape), dtype=float)
        except (ValueError, TypeError) as exc:
            raise ParameterError(f"{kind} of '{key}': expected {'one number' if not shape else f'{shape[0]} values'}"
                                 f" ({param.unit}), got {np.shape(values) if np.ndim(values) else values!r}") from exc
        allow_inf = KINDS[kind][1]
        bad = np.isnan(arr) | (np.isinf(arr) & ~(allow_inf & (arr > 0)))
        if bad.any():
            raise ParameterError(f"{kind} of '{key}': values must be finite numbers (got {arr[bad][0]})")
        if kind not in SIGNED and (arr < 0).any():
            raise ParameterError(f"{kind} of '{key}': values must be >= 0 (got {arr[arr < 0][0]:g})")
        if kind == "inflow" and self.data.node_type.get(key) == "inflow" and (arr < 0).any():
            raise ParameterError(f"inflow of '{key}': an inflow node's inflow must be >= 0 (got "
                                 f"{arr[arr < 0][0]:g} Mm3; only a junction, reservoir or lake may have a negative "
                                 "local inflow, a fixed withdrawal)")
        if kind == "initial_level":
            arr = np.asarray(self._curve(key).volume_at(arr), dtype=float)
        if kind == "loss_fraction" and (arr >= 1.0).any():
            raise ParameterError(f"loss_fraction of '{key}': must be below 1 (got {float(arr):g})")
        if kind == "evaporation":
            self._check_evaporation(key, arr)
        touched = {param.name: self._assign(param, k, arr)}
        if kind == "lake_level_target":  # the rows hold the storage of that level
            curve = self._curve(self.data.target_by_id[key].ref)
            storage = self.lp.params["lake_level_storage"]
            touched["lake_level_storage"] = self._assign(storage, storage.position[key],
                                                         np.asarray(curve.volume_at(float(arr)), dtype=float))
        if param.name in ("initial_storage", "storage_min", "storage_max"):
            touched.update(self._follow_storage(param.keys[k], initial=param.name == "initial_storage"))
        return touched

    def _check_evaporation(self, key: str, e: np.ndarray) -> None:
        """The continuity coefficients 1 +- h a1 / 2 stay positive (h = (e - p) / 1000 m): a period's
        evaporation at the mean storage never exceeds the storage itself."""
        s = self.data.storage(key)
        half = (e - s.precip_mm) / 1000.0 * s.area1 / 2.0
        bad = np.flatnonzero(np.abs(half) >= 1.0)
        if bad.size:
            t = int(bad[0])
            raise ParameterError(f"evaporation of '{key}': {e[t]:g} mm in period {t} would evaporate more than the "
                                 f"storage itself from its area (the linear area fit gives h x a1 / 2 = {half[t]:g} "
                                 "with h in m, a1 in km2 per Mm3; it must stay within (-1, 1))")

    def _curve(self, node: str) -> LavCurve:
        curve = self.data.storage(node).curve
        if curve is None:  # lakes always have a table; levels are asked of lakes only
            raise ParameterError(f"'{node}' has no level-area-volume table: no levels")
        return curve

    def _assign(self, param, k: int, arr: np.ndarray) -> dict[str, np.ndarray]:
        size = int(np.prod(param.values.shape[1:], dtype=np.int64))
        flat = np.arange(k * size, (k + 1) * size)
        return self.lp.set_parameter(param.name, flat, arr.reshape(-1))

    def _follow_storage(self, node: str, initial: bool) -> dict[str, dict[str, np.ndarray]]:
        """Derived parameters of a storage node: its reference storage and, when the initial
        storage changed, an end target "initial"."""
        out = {}
        p = self.lp.params
        i = p["initial_storage"].position[node]
        s0 = float(p["initial_storage"].values[i])
        ref = p.get("storage_reference")
        if ref is not None and node in ref.position:
            r = reference_storage(s0, p["storage_min"].values[i], p["storage_max"].values[i])
            out["storage_reference"] = self._assign(ref, ref.position[node], r)
        tid = self._end_initial.get(node)
        if tid is not None and initial:
            # as compiled (data.clip_end_target): no higher than the storage may hold at the end
            top = float(np.asarray(p["storage_max"].values[i]).reshape(-1)[-1])
            end = np.asarray(min(s0, top))
            out["end_storage"] = self._assign(p["end_storage"], p["end_storage"].position[tid], end)
        return out

    # -- the current values as the tables need them ------------------------------------------------
    def values(self, name: str) -> np.ndarray:
        """The LP parameter ``name`` (all keys), current."""
        return self.lp.params[name].values


class NamedParameters:
    """``set``/``get`` and the study shortcuts of a model whose inputs are :class:`Parameters`
    (``self.params``): an Allocation, a simulation run.  ``set`` here only records the change;
    a model holding a live solver overrides it to push the change there too."""

    params: Parameters

    def set(self, kind: str, key: str, values) -> None:
        """Change parameter ``kind`` of ``key`` (node, link, demand, target or plant id) in place."""
        self.params.set(kind, key, values)

    def get(self, kind: str, key: str):
        """The current value(s) of parameter ``kind`` of ``key``."""
        return self.params.get(kind, key)

    def set_inflow(self, node: str, values_mm3) -> None:
        """Replace the local inflow of ``node`` (Mm3 per period)."""
        self.set("inflow", node, values_mm3)

    def set_lake_inflow_target(self, km3: float) -> None:
        """Change every lake inflow target to ``km3`` per water year."""
        for tg in self.params.data.targets:
            if tg.type == "lake_inflow":
                self.set("lake_inflow_target", tg.id, km3 * 1000.0)
