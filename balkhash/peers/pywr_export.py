"""Basins as Pywr models: ``balkhash export pywr BASIN MODEL.json``, so that the same basin runs in Pywr.

The basin is compiled first (:func:`balkhash.allocation.data.compile_basin`: Mm3 per period, the
allocation policy's costs on the demands), then written as Pywr nodes on a monthly timestepper
(``timestep: M``, Pywr's days of each month); flows are Pywr's volume per day (Mm3 per period /
days), volumes Mm3; every series that varies over the periods is a column of ``MODEL.csv`` beside
the model (a ``dataframe`` parameter).  Pywr minimises sum(cost x flow) per timestep: balkhash's
costs per Mm3 divided by the days, the same optimum in every step.  docs/peers.md, Pywr, has the
table; in short:

* inflow node -> Catchment; junction -> Link (its local inflow a Catchment ``ID.inflow``); sink ->
  Output;
* link -> Link (bounds, cost), LossLink (``loss_factor_type: gross``) when it loses water; a soft
  eco-flow target on it -> a PiecewiseLink ``ID.eco`` before it: up to the target at -penalty,
  the rest at 0 (a shortfall cost, exactly); a hard one a min_flow;
* demand -> Link ``ID`` (its arrivals), PiecewiseLink ``ID.deliver`` (the sharing blocks: block k
  up to w_k x target at -cost x m_k), then an Output ``ID.use``; with a return flow a RiverSplit
  ``ID.split`` (factors consumptive : 1 - consumptive) sends the rest to the return node;
* reservoir, lake -> Storage (bounds per period, initial volume), a one-segment carry-over value
  as the Storage's cost (-value), or the cost of the water its storage segments hold as the
  Storage's cost (+cost: the store drains whenever it can); net evaporation a fixed abstraction
  at the area of the initial storage; a lake's groundwater and inflow Catchments, its spill an Output at the spill cost.

What Pywr does not express is listed in :attr:`PywrExport.approximations`, with the reason, and
written into the model's metadata: per-water-year targets and licences (lake inflow, annual
capacity: Pywr sees one timestep), lake level and end-storage targets (penalties on a storage
level), equal shares and lake shares of a policy, the storage tie-breaker, evaporation on the
period's mean storage, energy targets, a storage's carry factor, storage segments and the storage
they fix.  Split and aggregate constraints, link segments, link gains and per-period link costs
beyond those are refused (:class:`PywrExportError`).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..allocation.data import SPILL_COST, ModelData, compile_basin
from ..allocation.solve import _as_basin
from ..errors import BalkhashError


class PywrExportError(BalkhashError):
    """A basin with something Pywr cannot run, each reason naming the node, link or target."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("cannot export the basin to Pywr:\n" + "\n".join(f"  - {r}" for r in reasons))


@dataclass
class PywrExport:
    """The Pywr model (JSON as a dict), its series (one column per time-varying value) and where each
    balkhash result is in Pywr's."""

    model: dict
    series: pd.DataFrame
    #: balkhash link id -> (Pywr node, factor): the link's flow entering = factor x the node's flow
    links: dict[str, tuple[str, float]] = field(default_factory=dict)
    #: demand id -> Pywr node whose flow is its delivery
    demands: dict[str, str] = field(default_factory=dict)
    #: reservoir or lake id -> Pywr Storage
    storages: dict[str, str] = field(default_factory=dict)
    approximations: list[str] = field(default_factory=list)

    def write(self, path: str | Path) -> Path:
        """Write the model to ``path`` and its series to ``path`` with ``.csv``, each file replaced
        whole (a failure leaves neither half-written)."""
        from ..atomic import atomic_write

        p = Path(path)
        csv = p.with_suffix(".csv")
        if csv == p:
            raise PywrExportError([f"{p}: the model needs a name of its own beside its series {csv.name} "
                                   "(e.g. MODEL.json)"])
        model = json.loads(json.dumps(self.model).replace('"@SERIES@"', json.dumps(csv.name)))
        text = json.dumps(model, indent=1)
        existed = csv.exists()
        atomic_write(csv, lambda tmp: self.series.to_csv(tmp, index_label="date"))
        try:
            atomic_write(p, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        except BaseException:
            if not existed:
                csv.unlink(missing_ok=True)
            raise
        return p


class _Writer:
    def __init__(self, data: ModelData) -> None:
        self.data = data
        tl = data.timeline
        if getattr(tl, "step", "month") != "month":
            raise PywrExportError([f"calendar step '{tl.step}': Pywr's monthly timestepper needs monthly periods"])
        self.days = np.asarray(tl.days, dtype=float)
        self.step_days = getattr(tl, "period_days", None)  # periods of D days (an imported model's timestep)
        if self.step_days is not None and float(self.step_days) != int(self.step_days):
            raise PywrExportError([f"calendar.period_days {self.step_days:g}: Pywr's timestep is a whole number "
                                   "of days"])
        if self.step_days is None:
            self.dates = pd.DatetimeIndex([pd.Timestamp(year=y, month=m, day=1) for y, m in tl.months])
        else:
            self.dates = pd.date_range(pd.Timestamp(year=tl.year, month=tl.month, day=1), periods=tl.n,
                                       freq=f"{int(self.step_days)}D")
        self.nodes: list[dict] = []
        self.edges: list[list] = []
        self.series: dict[str, np.ndarray] = {}
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.out = PywrExport({}, pd.DataFrame())

    def rate(self, name: str, volume) -> float | dict | None:
        """A volume per period (number or per-period array) as Pywr's flow per day: a constant, or a
        column of the series file; None when unlimited."""
        v = np.broadcast_to(np.asarray(volume, dtype=float), self.days.shape) / self.days
        if np.all(np.isinf(v)):
            return None
        if np.any(np.isinf(v)):
            v = np.where(np.isinf(v), 1e12, v)
        if np.all(v == v[0]):
            return float(v[0])
        self.series[name] = v
        return {"type": "dataframe", "url": "@SERIES@", "column": name, "index_col": 0, "parse_dates": True}

    def volume(self, name: str, values) -> float | dict:
        v = np.asarray(values, dtype=float)
        if np.all(v == v[0]):
            return float(v[0])
        self.series[name] = v
        return {"type": "dataframe", "url": "@SERIES@", "column": name, "index_col": 0, "parse_dates": True}

    def add(self, name: str, kind: str, **kw) -> str:
        self.nodes.append({"name": name, "type": kind, **{k: v for k, v in kw.items() if v is not None}})
        return name

    # ---------------------------------------------------------------------------------------------
    def convert(self, basin) -> PywrExport:
        d = self.data
        self._refuse(basin)
        names = set(d.nodes)
        self.link_name = {lk.id: (lk.id if lk.id not in names else f"link.{lk.id}") for lk in d.links}
        self.entry: dict[str, str] = {}
        self.exit: dict[str, str] = {}
        for n in d.nodes:
            getattr(self, f"_{d.node_type[n]}")(n)
        for dm in d.demands:
            self._deliver(dm)
        for lk in d.links:
            self._link(lk)
        for a in (d.groups.aggregates if d.groups is not None and not self.problems else []):
            self._aggregate(a)
        self._notes(basin)
        if self.problems:
            raise PywrExportError(self.problems)
        first = self.dates[0]
        timestep: str | int
        if self.step_days is None:
            last, timestep = self.dates[-1] + pd.offsets.MonthEnd(0), "M"
        else:
            last, timestep = self.dates[-1], int(self.step_days)
        self.out.model = {
            "metadata": {"title": d.name, "description": "Exported by balkhash export pywr (docs/peers.md). "
                         + " ".join(f"Approximation: {a}" for a in self.notes), "minimum_version": "1.0"},
            "timestepper": {"start": str(first.date()), "end": str(last.date()), "timestep": timestep},
            "nodes": self.nodes, "edges": self.edges,
        }
        self.out.series = pd.DataFrame(self.series, index=self.dates)
        self.out.approximations = self.notes
        return self.out

    def _refuse(self, basin) -> None:
        for lk in self.data.links:
            if lk.loss < 0:
                self.problems.append(f"link '{lk.id}': gains water (gain > 1); Pywr's LossLink only loses")
            if getattr(lk, "segments", None):
                self.problems.append(f"link '{lk.id}': segments (piecewise costs) are not exported")
            if np.ndim(lk.cost) > 0 and np.any(np.asarray(lk.cost) != np.asarray(lk.cost).reshape(-1)[0]):
                self.problems.append(f"link '{lk.id}': a cost per period is not exported")
        for a in (self.data.groups.aggregates if self.data.groups is not None else []):
            simple = not a.terms.demands and not a.terms.inflows and a.per == "period"
            if a.of is not None:
                simple = simple and len(a.terms.links) == 1 and len(a.of.links) == 1 and not a.of.demands \
                    and not a.of.inflows and a.ratio_min == a.ratio_max and a.terms.links[0][1] == 1.0 \
                    and a.of.links[0][1] == 1.0
            if not simple:
                self.problems.append(f"aggregate '{a.id}': only per-period bounds on links' flows and an equal ratio "
                                     "of one link's flow to another's are exported (a Pywr AggregatedNode)")
        self.split_at: dict[str, dict[str, float]] = {}
        groups = self.data.groups
        for sp in groups.splits if groups is not None else []:
            out = self.data.links_out.get(sp.node, [])
            if self.data.node_type[sp.node] != "junction" or sorted(sp.links) != sorted(out) \
                    or sp.node in self.split_at:
                self.problems.append(f"split '{sp.id}': only a split of all of a junction's out-links is exported "
                                     "(a Pywr RiverSplit)")
                continue
            self.split_at[sp.node] = {self.data.links[i].id: float(f) for i, f in zip(sp.links, sp.fractions,
                                                                                      strict=True)}
        for dm in self.data.demands:
            if dm.id in self.data.inflow:
                self.problems.append(f"demand '{dm.id}': a local inflow at a demand is not exported")
            if getattr(dm, "curve", None) is not None:
                self.problems.append(f"demand '{dm.id}': its own shortfall curve is not exported")
        for n, v in self.data.inflow.items():
            if np.any(np.asarray(v) < 0):
                self.problems.append(f"node '{n}': a negative local inflow is not exported")

    def _notes(self, basin) -> None:
        d = self.data
        for t in d.targets:
            if t.type == "lake_inflow":
                self.notes.append(f"target '{t.id}' (lake inflow per water year) is not in the Pywr model: a "
                                  "timestep does not see the water year")
            elif t.type == "lake_level":
                self.notes.append(f"target '{t.id}' (lake level) is not in the Pywr model: Pywr has no penalty "
                                  "on a storage below a volume")
            elif t.type == "end_storage":
                self.notes.append(f"target '{t.id}' (end of horizon storage) is not in the Pywr model")
        for lk in d.links:
            if lk.annual_cap is not None:
                self.notes.append(f"link '{lk.id}': annual_capacity (per water year) is not in the Pywr model")
        if d.classes and any(c.proportional for c in d.classes):
            self.notes.append(f"policy '{d.policy}': its costs are the demands' costs; its equal shares within a "
                              "class and the lake's share are not in the Pywr model")
        if d.storage_deviation_cost > 0 and any(s.kind == "reservoir" for s in d.storages):
            self.notes.append("options.storage_deviation_cost (a tie-breaker on the reservoirs' distance from "
                              "their reference storage) is not in the Pywr model")
        if any(p.target is not None for p in d.plants):
            self.notes.append("hydropower energy targets are not in the Pywr model")

    # -- nodes ----------------------------------------------------------------------------------
    def _inflow(self, n: str) -> None:
        self.add(n, "Catchment", flow=self.rate(f"{n}.inflow", self.data.inflow.get(n, 0.0)))
        self.exit[n] = n

    def _junction(self, n: str) -> None:
        split = self.split_at.get(n)
        if split is None:
            self.add(n, "Link")
        else:  # the slots in the order their edges are written (the links'): Pywr pairs them so
            order = [self.data.links[i].id for i in self.data.links_out[n]]
            if split[order[0]] <= 0:
                self.problems.append(f"split at '{n}': the first out-link's fraction must be > 0 (a Pywr factor)")
            self.add(n, "RiverSplit", factors=[split[i] for i in order], slot_names=order)
        if n in self.data.inflow:
            self.add(f"{n}.inflow", "Catchment", flow=self.rate(f"{n}.inflow", self.data.inflow[n]))
            self.edges.append([f"{n}.inflow", n])
        self.entry[n] = self.exit[n] = n

    def _sink(self, n: str) -> None:
        self.add(n, "Output")
        self.entry[n] = n

    def _demand(self, n: str) -> None:
        self.add(n, "Link")
        self.entry[n] = self.exit[n] = n

    def _deliver(self, dm) -> None:
        d, n = self.data, dm.id
        widths = np.diff(np.concatenate([[0.0], np.asarray(d.blocks, dtype=float)]))
        mult = np.asarray(d.multipliers, dtype=float)
        keep = widths > 0
        self.add(f"{n}.deliver", "PiecewiseLink", nsteps=int(keep.sum()),
                 max_flows=[self.rate(f"{n}.block{k}", w * dm.target) for k, w in enumerate(widths) if w > 0],
                 costs=[-dm.cost * m for m, k in zip(mult, keep, strict=True) if k])
        self.edges.append([n, f"{n}.deliver"])
        self.out.demands[n] = f"{n}.deliver"
        ret = dm.return_to if dm.return_to is not None and dm.consumptive < 1.0 else None
        if ret is None:
            self.add(f"{n}.use", "Output")
            self.edges.append([f"{n}.deliver", f"{n}.use"])
        elif dm.consumptive == 0.0:
            self.edges.append([f"{n}.deliver", self.entry[ret]])
        else:
            self.add(f"{n}.split", "RiverSplit", factors=[dm.consumptive, 1.0 - dm.consumptive],
                     slot_names=["use", "return"])
            self.add(f"{n}.use", "Output")
            self.edges += [[f"{n}.deliver", f"{n}.split"], [f"{n}.split", f"{n}.use", "use", None],
                           [f"{n}.split", self.entry[ret], "return", None]]

    def _storage(self, n: str) -> None:
        s = self.data.storage(n)
        vmax, vmin = self.volume(f"{n}.max_volume", s.upper), self.volume(f"{n}.min_volume", s.lower)
        kw: dict = {"max_volume": vmax, "min_volume": vmin, "initial_volume": float(s.s0)}
        if isinstance(vmax, dict) or isinstance(vmin, dict):
            kw["initial_volume_pc"] = float(s.s0 / s.upper[0]) if s.upper[0] > 0 else 0.0
        if s.carryover is not None:
            points, values = s.carryover
            kw["cost"] = -float(values[0])
            if len(values) > 1 or points[0] > float(np.min(s.lower)) or points[-1] < float(np.max(s.upper)):
                self.notes.append(f"node '{n}': its carry-over value curve is one value in Pywr ({values[0]:g} per "
                                  "Mm3 over the whole storage range)")
        else:
            hold = max((float(np.max(g.cost)) for g in s.segments if np.any(g.upper > 0)), default=0.0)
            if hold > 0:  # water held at a cost: in Pywr water entering the store pays it, leaving earns it
                kw["cost"] = hold
                self.notes.append(f"node '{n}': the cost of the water it holds ({hold:g} per Mm3 and period) is the "
                                  "Storage's cost in Pywr, on its net inflow: it drains whenever it can")
        self._carried(n, s, hold=float(kw.get("cost", 0.0)) if s.carryover is None else 0.0)
        self.add(n, "Storage", **kw)
        self.out.storages[n] = n
        self.entry[n] = self.exit[n] = n
        area = s.area0 + s.area1 * s.s0
        evap = np.asarray(s.net_evap_mm, dtype=float) / 1000.0 * area  # Mm3 per period
        if np.any(evap != 0):
            self.notes.append(f"node '{n}': net evaporation at the area of the initial storage ({area:.6g} km2), "
                              "not of each period's mean storage")
            out = np.maximum(evap, 0.0)
            gain = np.maximum(-evap, 0.0)
            if np.any(out > 0):
                rate = self.rate(f"{n}.evaporation", out)
                self.add(f"{n}.evaporation", "Output", max_flow=rate, min_flow=rate)
                self.edges.append([n, f"{n}.evaporation"])
            if np.any(gain > 0):
                self.add(f"{n}.precipitation", "Catchment", flow=self.rate(f"{n}.precipitation", gain))
                self.edges.append([f"{n}.precipitation", n])
        for key, extra in (("inflow", self.data.inflow.get(n)), ("groundwater", self.data.groundwater.get(n))):
            if extra is not None and np.any(np.asarray(extra) != 0):
                self.add(f"{n}.{key}", "Catchment", flow=self.rate(f"{n}.{key}", extra))
                self.edges.append([f"{n}.{key}", n])
        if s.kind == "lake":
            self.add(f"{n}.spill", "Output", cost=SPILL_COST)
            self.edges.append([n, f"{n}.spill"])

    _reservoir = _lake = _storage

    def _carried(self, n: str, s, hold: float) -> None:
        """What a storage carries from one period into the next beyond its bounds (a carry factor,
        storage segments, an end storage they fix), each listed: a Pywr Storage keeps all of its
        volume, between one min_volume and one max_volume, at one cost."""
        if s.carry is not None and np.any(np.asarray(s.carry, dtype=float) != 1.0):
            cf = np.asarray(s.carry, dtype=float)
            cf = cf[cf != 1.0]
            span = f"{cf.min():g}" if cf.min() == cf.max() else f"{cf.min():g}..{cf.max():g}"
            span += f" in {cf.size} period(s)" if cf.size < self.days.size else ""
            self.notes.append(f"node '{n}': carry_factor {span} (the share of its storage kept into the next period) "
                              "is not in the Pywr model: a Pywr Storage keeps all of its volume")
        if not s.segments:
            return
        costs = np.concatenate([np.atleast_1d(np.asarray(g.cost, dtype=float)) for g in s.segments])
        held = f"costs {costs.min():g}..{costs.max():g}" if costs.min() != costs.max() else f"cost {costs.min():g}"
        kept = f"the Storage's cost {hold:g}" if hold > 0 else "no cost on the Storage"
        self.notes.append(f"node '{n}': its {len(s.segments)} storage segment(s) ({held} per Mm3 held, bounds per "
                          f"period) are not in the Pywr model ({kept}, its bounds min_storage..max_storage)")
        shape = self.days.shape
        lo = np.sum([np.broadcast_to(np.asarray(g.lower, dtype=float), shape) for g in s.segments], axis=0)
        up = np.sum([np.broadcast_to(np.asarray(g.upper, dtype=float), shape) for g in s.segments], axis=0)
        fixed = np.flatnonzero(np.isfinite(up) & (lo >= up - 1e-9) & (up > 0))
        if fixed.size:
            t = int(fixed[-1])
            more = "" if fixed.size == 1 else f" and {fixed.size - 1} other period(s)"
            self.notes.append(f"node '{n}': the storage its segments fix ({up[t]:g} Mm3 at the end of "
                              f"{self.data.timeline.labels[t]}{more}) is not in the Pywr model")

    # -- links ----------------------------------------------------------------------------------
    def _link(self, lk) -> None:
        name = self.link_name[lk.id]
        eco = [t for t in self.data.targets if t.type == "eco_flow" and t.ref == lk.id]
        lower = np.asarray(lk.lower, dtype=float)
        upper = np.asarray(lk.upper, dtype=float)
        for t in eco:
            if t.hard:
                lower = np.maximum(lower, np.asarray(t.values, dtype=float))
        cost = float(np.asarray(lk.cost).reshape(-1)[0]) if np.ndim(lk.cost) else float(lk.cost)
        keep = 1.0 - lk.loss
        kw: dict = {"cost": cost / keep if cost else None}
        if lk.loss > 0:  # Pywr's bounds and cost of a LossLink act on its net flow
            kw.update(type="LossLink", loss_factor=float(lk.loss), loss_factor_type="gross")
        kw["max_flow"] = self.rate(f"{lk.id}.max_flow", upper * keep)
        kw["min_flow"] = self.rate(f"{lk.id}.min_flow", lower * keep) if np.any(lower > 0) else None
        kind = kw.pop("type", "Link")
        self.add(name, kind, **kw)
        self.out.links[lk.id] = (name, 1.0 / keep)
        head = name
        soft = [t for t in eco if not t.hard]
        if soft:
            if len(soft) > 1:
                self.notes.append(f"link '{lk.id}': eco-flow targets after the first are not in the Pywr model")
            t = soft[0]
            self.add(f"{name}.eco", "PiecewiseLink", nsteps=2,
                     max_flows=[self.rate(f"{t.id}.eco", t.values), None], costs=[-float(t.penalty), 0.0])
            self.edges.append([f"{name}.eco", name])
            head = f"{name}.eco"
        src = [self.exit[lk.src], head] if lk.src not in self.split_at else [lk.src, head, lk.id, None]
        self.edges += [src, [name, self.entry[lk.dst]]]


    def _aggregate(self, a) -> None:
        """An AggregatedNode over the links' Pywr nodes (a LossLink's flow is its net flow)."""
        node = {lk.id: self.out.links[lk.id] for lk in self.data.links}
        ids = [self.data.links[i].id for i, _ in a.terms.links]
        if a.of is not None:
            other = self.data.links[a.of.links[0][0]].id
            (n0, f0), (n1, f1) = node[other], node[ids[0]]
            self.add(f"{a.id}.aggregate", "AggregatedNode", nodes=[n0, n1], factors=[1.0 / f0, a.ratio_min / f1])
            return
        weights = [w * node[i][1] for i, (_, w) in zip(ids, a.terms.links, strict=True)]
        self.add(f"{a.id}.aggregate", "AggregatedNode", nodes=[node[i][0] for i in ids],
                 flow_weights=weights if any(w != 1.0 for w in weights) else None,
                 max_flow=None if a.upper is None else self.rate(f"{a.id}.max_flow", a.upper),
                 min_flow=None if a.lower is None else self.rate(f"{a.id}.min_flow", a.lower))


def export_pywr(basin, path: str | Path | None = None, fair_sharing: bool | None = None) -> PywrExport:
    """The Pywr model of ``basin`` (a Basin, a path or a bundled name); written to ``path`` (and
    ``path`` with ``.csv``) when given."""
    b = _as_basin(basin)
    out = _Writer(compile_basin(b, fair_sharing=fair_sharing)).convert(b)
    if path is not None:
        out.write(path)
    return out


#: the Pywr release the cross-checks and the benchmark run (its wheels want pandas < 3: its own venv)
PYWR_REQUIREMENT = "pywr==1.31.1"


def pywr_python(venv: str | Path = ".venv-pywr", create: bool = True) -> Path:
    """The interpreter of a virtual environment with Pywr (``venv``, created with
    :data:`PYWR_REQUIREMENT` from the package index when missing and ``create``)."""
    import sys

    venv = Path(venv)
    python = venv / "bin" / "python"
    if python.is_file() and subprocess.run([str(python), "-c", "import pywr"], capture_output=True).returncode == 0:
        return python
    if not create:
        raise BalkhashError(f"no Pywr interpreter in {venv}: make pywr (or pip install {PYWR_REQUIREMENT} there)")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    proc = subprocess.run([str(python), "-m", "pip", "install", "--quiet", PYWR_REQUIREMENT], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise BalkhashError(f"pip install {PYWR_REQUIREMENT} into {venv} failed:\n{proc.stderr[-2000:]}")
    return python


#: the Pywr runner: loads a model, runs it, writes every node's flow and every storage's volume
RUNNER = Path(__file__).with_name("pywr_runner.py")


def run_pywr(model: str | Path, python: str | Path, out: str | Path | None = None) -> dict:
    """Run a Pywr model with the interpreter ``python`` (one that has Pywr installed); the
    timesteps' flows (per day) and volumes per node, and the run's seconds."""
    model = Path(model)
    out = Path(out) if out is not None else model.with_suffix(".results.json")
    proc = subprocess.run([str(python), str(RUNNER), str(model), str(out)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise BalkhashError(f"Pywr could not run {model}:\n{proc.stderr[-4000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def compare(export: PywrExport, solution, pywr: dict) -> dict[str, pd.DataFrame]:
    """balkhash's step-mode tables against Pywr's run of the exported model, per link, demand and
    storage and period: columns balkhash, pywr (Mm3 per period; storage Mm3) and difference."""
    days = None
    flows = solution.tables["flows"].pivot(index="link_id", columns="period", values="flow_mm3")
    periods = list(flows.columns)
    days = np.asarray(pywr["days"], dtype=float)

    def frame(rows: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
        recs = [(k, p, float(a[i]), float(b[i])) for k, (a, b) in rows.items() for i, p in enumerate(periods)]
        df = pd.DataFrame(recs, columns=["id", "period", "balkhash", "pywr"])
        df["difference"] = df["pywr"] - df["balkhash"]
        return df

    links = {i: (flows.loc[i].to_numpy(), np.asarray(pywr["flow"][n]) * f * days)
             for i, (n, f) in export.links.items()}
    deliv = solution.tables["deliveries"].pivot(index="demand", columns="period", values="delivered_mm3")
    demands = {i: (deliv.loc[i].to_numpy(), np.asarray(pywr["flow"][n]) * days) for i, n in export.demands.items()}
    out = {"links": frame(links), "demands": frame(demands)}
    if export.storages:
        st = solution.tables["storage"].pivot(index="node", columns="period", values="storage_mm3")
        out["storage"] = frame({i: (st.loc[i].to_numpy(), np.asarray(pywr["volume"][n]))
                                for i, n in export.storages.items()})
    return out
