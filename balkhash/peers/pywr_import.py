"""Pywr models (JSON) into basin directories: ``balkhash import pywr MODEL.json OUTDIR``.

Pywr solves one timestep at a time; the basin it becomes is meant to run in step mode
(``balkhash plan --mode step``).  The conventions, exact for the node types converted
(docs/peers.md, Pywr):

* **time**: each Pywr timestep is one period of the basin (N timesteps of D days -> N periods); the
  basin's flows are volumes per period, a Pywr flow F (volume per day) becomes F x D per period
  (``Mm3/month`` series: per period whatever the calendar says), volumes are kept as they are.
  Parameters are evaluated on the Pywr timesteps' dates (a monthly profile by the month each
  timestep starts in) and written as one value per period.
* **costs**: Pywr minimises sum(cost x flow) in every timestep; balkhash sum(cost x volume): the same
  optimum (every cost scaled by D).  A negative cost on an Output (a benefit per unit delivered)
  becomes a demand of target max_flow whose shortfall costs -cost; a Storage's cost c (applied by
  Pywr to what enters the storage, -c to what leaves) becomes a carry-over value -c per unit kept
  at the end of the step.
* **max_flow / min_flow on nodes** become bounds of a link carrying the node's flow: every Pywr
  node X is a junction ``X`` (where its edges arrive) and a link ``X`` (its flow) to ``X.out`` (where
  its edges leave); an Input X is a source ``X.src`` of max_flow per period with a link ``X``
  (min_flow, max_flow, cost) and what it does not supply left in a sink.

What cannot be converted is listed and the model refused (:class:`PywrImportError`), never dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..errors import BalkhashError

#: a volume per period standing for "unlimited" where balkhash needs a number (an Input or Output
#: without max_flow): far above any flow of a model it is used in (checked after a run:
#: :func:`check_unbounded`)
UNLIMITED = 1e6
#: the sink receiving what Inputs do not supply
UNUSED = "pywr.unused"
#: attributes every node may carry that do not act on the model
INFORMATION = {"name", "type", "comment", "position", "comments"}
#: the attributes converted, per node type (lower case, as Pywr reads them)
ATTRIBUTES = {
    "input": {"max_flow", "min_flow", "cost"},
    "catchment": {"flow", "cost"},
    "output": {"max_flow", "min_flow", "cost"},
    "link": {"max_flow", "min_flow", "cost"},
    "river": {"max_flow", "min_flow", "cost"},
    "storage": {"max_volume", "min_volume", "initial_volume", "initial_volume_pc", "cost", "inputs", "outputs"},
    "reservoir": {"max_volume", "min_volume", "initial_volume", "initial_volume_pc", "cost", "inputs", "outputs"},
    "rivergauge": {"mrf", "mrf_cost", "cost"},
    "riversplit": {"factors", "slot_names"},
    "riversplitwithgauge": {"factors", "slot_names", "mrf", "mrf_cost", "cost"},
    "piecewiselink": {"nsteps", "max_flows", "costs"},
    "losslink": {"max_flow", "min_flow", "cost", "loss_factor", "loss_factor_type"},
    "aggregatednode": {"nodes", "factors", "flow_weights", "max_flow", "min_flow"},
}
#: top-level sections of a Pywr model and whether they are converted
SECTIONS = {"metadata", "timestepper", "nodes", "edges", "parameters", "recorders"}
_ID = re.compile(r"[^A-Za-z0-9_\-\.]")


class PywrImportError(BalkhashError):
    """A Pywr model that cannot be converted: every reason, each naming the node or parameter."""

    def __init__(self, file: str, reasons: list[str]):
        self.reasons = reasons
        super().__init__(f"{file}: cannot convert the Pywr model:\n" + "\n".join(f"  - {r}" for r in reasons))


@dataclass
class PywrImport:
    """The converted basin (plain data, as basin.yaml holds it) and where each Pywr node's results are."""

    basin: dict
    #: Pywr node -> {"flow": [[link id, factor], ...]} (its flow per day = sum factor x flow / days)
    #: or {"volume": reservoir id}
    nodes: dict[str, dict]
    days: list[float]  # of each timestep
    steps: int
    dates: list[str]
    notes: list[str] = field(default_factory=list)

    def summary(self, outdir: str | None = None) -> str:
        b = self.basin
        head = (f"Pywr model -> {len(b['nodes'])} nodes, {len(b['links'])} links, {len(b.get('splits', []))} splits, "
                f"{len(b.get('aggregates', []))} aggregates; {self.steps} timesteps as periods")
        return "\n".join([head, *self.notes, *([f"written to {outdir}"] if outdir else [])])


def _sid(name: str) -> str:
    s = _ID.sub("_", str(name))
    return s if s[:1].isalpha() else f"n{s}"


class _Converter:
    def __init__(self, doc: dict, base_dir: Path, file: str) -> None:
        self.doc, self.base, self.file = doc, base_dir, file
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.nodes: list[dict] = []
        self.links: list[dict] = []
        self.splits: list[dict] = []
        self.aggregates: list[dict] = []
        self.map: dict[str, dict] = {}
        self.entry: dict[str, str] = {}
        self.exits: dict[str, dict[str | None, str]] = {}
        self.ids: set[str] = set()
        self.stems: dict = {}
        self.unused = UNUSED
        self._timesteps()

    # -- time and parameters ------------------------------------------------------------------
    def _timesteps(self) -> None:
        ts = self.doc.get("timestepper") or {}
        step = ts.get("timestep", 1)
        monthly = isinstance(step, str) and step.strip() in ("M", "ME", "MS", "1M")
        if isinstance(step, str) and re.fullmatch(r"\d+D", step.strip()):
            step = int(step.strip()[:-1])
        if not monthly and (not isinstance(step, int) or isinstance(step, bool) or step < 1):
            self.problems.append(f"timestepper.timestep {step!r}: a whole number of days or 'M' (months) is converted")
            step = 1
        given = {}
        for key in ("start", "end"):
            if ts.get(key) is None:
                self.problems.append(f"timestepper: needs {'a start' if key == 'start' else 'an end'} date")
                continue
            try:
                given[key] = pd.Timestamp(ts[key])
            except (ValueError, TypeError, OverflowError):
                self.problems.append(f"timestepper.{key} {ts[key]!r}: not a date (YYYY-MM-DD)")
                continue
            if pd.isna(given[key]):
                del given[key]
                self.problems.append(f"timestepper.{key} {ts[key]!r}: not a date (YYYY-MM-DD)")
        start, end = given.get("start"), given.get("end")
        if start is not None and end is not None and end < start:
            self.problems.append(f"timestepper: end {end.date()} is before start {start.date()}")
            start = end = None
        if start is None or end is None:
            start = end = pd.Timestamp("2000-01-01")
        self.monthly = monthly
        if monthly:  # Pywr's monthly periods: from the start's month to the end's, each its days
            months = pd.period_range(start, end, freq="M")
            self.dates = months.to_timestamp()
            self.days = np.asarray(months.days_in_month, dtype=float)
            self.step_text = "one month"
        else:
            self.dates = pd.date_range(start, end, freq=f"{step}D")
            self.days = np.full(len(self.dates), float(step))
            self.step_text = f"{step} day(s)"
        if len(self.dates) > 1200:
            self.problems.append(f"timestepper: {len(self.dates)} timesteps, more than the 1200 periods of a basin")

    def param(self, value, where: str, per_day: bool = True) -> np.ndarray | None:
        """A Pywr value (number, parameter, reference) over the timesteps; per_day: times the days."""
        scale = self.days if per_day else np.ones(len(self.dates))
        if value is None:
            return None
        if isinstance(value, bool):
            self.problems.append(f"{where}: {value!r} is not a number")
            return None
        if isinstance(value, int | float):
            return float(value) * scale
        if isinstance(value, str):
            params = self.doc.get("parameters") or {}
            if value not in params:
                self.problems.append(f"{where}: unknown parameter '{value}'")
                return None
            return self.param(params[value], f"parameter '{value}'", per_day)
        if not isinstance(value, dict):
            self.problems.append(f"{where}: {value!r} is not a number or a parameter")
            return None
        kind = str(value.get("type", "")).lower()
        kind = kind[:-len("parameter")] if kind.endswith("parameter") else kind
        if kind == "constant" and set(value) <= {"type", "value", "comment", "name"}:
            return self.param(float(value.get("value", 0.0)), where, per_day)
        if kind == "monthlyprofile":
            extra = sorted(set(value) - {"type", "values", "comment", "name"})
            values = value.get("values")
            if extra:
                self.problems.append(f"{where}: monthlyprofile attribute(s) {', '.join(extra)} not converted")
                return None
            if not isinstance(values, list) or len(values) != 12 or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                got = f"{len(values)} value(s)" if isinstance(values, list) else repr(values)
                self.problems.append(f"{where}: a monthlyprofile needs 12 numbers (January..December), got {got}")
                return None
            months = np.asarray(values, dtype=float)
            return months[self.dates.month.to_numpy() - 1] * scale
        if kind == "dataframe":
            return self._dataframe(value, where, scale)
        self.problems.append(f"{where}: parameter type '{value.get('type')}' is not converted (constant, "
                             "monthlyprofile and dataframe parameters are)")
        return None

    def _dataframe(self, value: dict, where: str, scale: np.ndarray) -> np.ndarray | None:
        extra = set(value) - {"type", "url", "column", "index_col", "parse_dates", "comment", "name"}
        if extra or "url" not in value or not str(value["url"]).lower().endswith(".csv"):
            self.problems.append(f"{where}: only a dataframe parameter from a CSV url with column, index_col and "
                                 f"parse_dates is converted (got {sorted(value)})")
            return None
        path = self.base / value["url"]
        try:
            df = pd.read_csv(path, index_col=value.get("index_col", 0), parse_dates=bool(value.get("parse_dates")))
        except (OSError, ValueError) as exc:
            self.problems.append(f"{where}: cannot read {path}: {exc}")
            return None
        col = value.get("column")
        series = df[col] if col is not None and col in df.columns else (df.iloc[:, 0] if col is None else None)
        if series is None:
            self.problems.append(f"{where}: {path} has no column '{col}'")
            return None
        missing = [d for d in self.dates if d not in series.index]
        if missing:
            self.problems.append(f"{where}: {path} lacks {len(missing)} timestep date(s), first "
                                 f"{missing[0].date()}: a value per timestep is needed (no resampling)")
            return None
        return series.loc[self.dates].to_numpy(dtype=float) * scale

    # -- building blocks ------------------------------------------------------------------------
    def _new_id(self, ident: str, where: str) -> str:
        if ident in self.ids:
            kind, _, bare = ident.partition(":")
            self.problems.append(f"{where}: the {kind} id '{bare}' it converts to is taken by another of the model's "
                                 "nodes or edges (a duplicate edge, or names differing only in characters outside "
                                 "letters, digits, _ - .)")
        self.ids.add(ident)
        return ident

    def sid(self, name) -> str:
        """The stem of a Pywr node's ids in the basin (unique, none another's stem + '.' + more)."""
        return self.stems.get(name) or _sid(name)

    def node(self, ident: str, kind: str, where: str, **kw) -> str:
        self.nodes.append({"id": self._new_id(f"node:{ident}", where)[5:], "type": kind, **kw})
        return ident

    def link(self, ident: str, src: str, dst: str, where: str, lower=None, upper=None, cost: float = 0.0,
             **kw) -> str:
        lk: dict = {"id": self._new_id(f"link:{ident}", where)[5:], "from": src, "to": dst}
        if upper is not None:
            lk["capacity"] = _series(upper)
        if lower is not None and np.any(lower != 0):
            lk["min_flow"] = _series(lower)
        if cost:
            lk["cost"] = float(cost)
        lk.update(kw)
        self.links.append(lk)
        return ident

    def flow(self, value, where: str) -> np.ndarray | None:
        """A flow bound (max_flow, min_flow, flow) per period: >= 0 in every timestep."""
        v = self.param(value, where)
        if v is not None and np.any(v < 0):
            t = int(np.flatnonzero(v < 0)[0])
            self.problems.append(f"{where}: {v[t] / self.days[t]:g} on {self.dates[t].date()} is negative; a flow "
                                 "bound is >= 0")
            return None
        return v

    def bounds(self, n: dict, where: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(min_flow, max_flow) of a node per period, checked: 0 <= min_flow <= max_flow."""
        lower = self.flow(n.get("min_flow"), f"{where} min_flow")
        upper = self.flow(n.get("max_flow"), f"{where} max_flow")
        if lower is not None and upper is not None and np.any(lower > upper * (1 + 1e-12) + 1e-12):
            t = int(np.flatnonzero(lower > upper * (1 + 1e-12) + 1e-12)[0])
            self.problems.append(f"{where}: min_flow {lower[t] / self.days[t]:g} is above max_flow "
                                 f"{upper[t] / self.days[t]:g} on {self.dates[t].date()}")
        return lower, upper

    def scalar(self, value, where: str, default: float = 0.0) -> float:
        """A cost or factor: constant over the timesteps (a time-varying cost is not converted)."""
        if value is None:
            return default
        v = self.param(value, where, per_day=False)
        if v is None:
            return default
        if v.size and np.any(v != v[0]):
            self.problems.append(f"{where}: varies over the timesteps; only a constant is converted here")
        return float(v[0]) if v.size else default

    # -- nodes ------------------------------------------------------------------------------------
    def convert(self) -> PywrImport:
        for key in self.doc:
            if key not in SECTIONS:
                self.problems.append(f"section '{key}': not converted")
        if self.doc.get("recorders"):
            self.notes.append(f"recorders ({', '.join(map(str, self.doc['recorders']))}): Pywr's outputs, not part "
                              "of the model; balkhash writes its own result tables")
        raw_nodes = self.doc.get("nodes") or []
        by_name: dict = {}
        seen: set = set()
        for pos, n in enumerate(raw_nodes):
            if not isinstance(n, dict):
                self.problems.append(f"nodes[{pos}]: {n!r} is not a node (an object with name and type)")
                continue
            name = n.get("name")
            if not isinstance(name, str) or not name:
                self.problems.append(f"nodes[{pos}] ({n.get('type')}): needs a name")
                continue
            if name in seen:
                self.problems.append(f"node '{name}': duplicate name (nodes[{pos}]); every Pywr node needs its own")
                continue
            seen.add(name)
            kind = str(n.get("type", "")).lower()
            where = f"node '{name}' ({n.get('type')})"
            if kind not in ATTRIBUTES:
                self.problems.append(f"{where}: node type not converted (converted: {', '.join(sorted(ATTRIBUTES))})")
                continue
            extra = sorted(set(n) - INFORMATION - ATTRIBUTES[kind])
            if extra:
                self.problems.append(f"{where}: attribute(s) {', '.join(extra)} not converted")
            by_name[name] = (kind, n)
        self.by_name = by_name
        self.stems, self.unused = _stems(list(by_name))
        renamed = [f"'{name}' -> {stem}" for name, stem in self.stems.items() if stem != _sid(name)]
        if renamed:
            self.notes.append(f"{len(renamed)} node(s) whose name extends another's (NAME.more) or repeats it in other "
                              f"characters have ids of their own: {', '.join(renamed[:5])}"
                              + (", ..." if len(renamed) > 5 else "") + " (pywr.json maps every name)")
        if self.unused != UNUSED:
            self.notes.append(f"the sink of what Inputs do not supply is '{self.unused}' ('{UNUSED}' is a node's name)")
        for name, (kind, n) in by_name.items():
            if kind != "aggregatednode":
                getattr(self, f"_{_METHOD.get(kind, kind)}")(name, n, f"node '{name}' ({n.get('type')})")
        self._edges()
        for name, (kind, n) in by_name.items():
            if kind == "aggregatednode":
                self._aggregated(name, n, f"node '{name}' ({n.get('type')})")
        if any(lk["to"] == self.unused for lk in self.links):
            self.nodes.append({"id": self.unused, "type": "sink", "description": "what Pywr's Inputs do not supply"})
        if self.problems:
            raise PywrImportError(self.file, self.problems)
        meta = self.doc.get("metadata") or {}
        basin = {
            "name": str(meta.get("title") or Path(self.file).stem),
            "description": f"Imported from the Pywr model {Path(self.file).name}: {len(self.dates)} timesteps of "
                           f"{self.step_text} from {self.dates[0].date()}, one period each (docs/peers.md)",
            "calendar": {"start": f"{self.dates[0].year:04d}-{self.dates[0].month:02d}", "periods": len(self.dates),
                         # a timestep of D days: every period lasts D days (m3/s by it), not its month's
                         **({} if self.monthly else {"period_days": float(self.days[0])})},
            "options": {"fair_sharing": False, "storage_deviation_cost": 0.0},
            "nodes": self.nodes, "links": self.links,
        }
        if self.splits:
            basin["splits"] = self.splits
        if self.aggregates:
            basin["aggregates"] = self.aggregates
        return PywrImport(basin, self.map, [float(d) for d in self.days], len(self.dates),
                          [str(d.date()) for d in self.dates], self.notes)

    def _through(self, name: str, where: str, lower=None, upper=None, cost: float = 0.0, **kw) -> None:
        """Junction X, link X (the node's flow, its bounds and cost), junction X.out."""
        x = self.sid(name)
        self.node(x, "junction", where)
        self.node(f"{x}.out", "junction", where)
        self.link(x, x, f"{x}.out", where, lower, upper, cost, **kw)
        self.entry[name], self.exits[name] = x, {None: f"{x}.out"}
        self.map[name] = {"flow": [[x, 1.0]]}

    def _input(self, name: str, n: dict, where: str) -> None:
        x = self.sid(name)
        lower, upper = self.bounds(n, where)
        supply = upper if upper is not None else np.full(len(self.dates), UNLIMITED)
        self.node(f"{x}.src", "inflow", where, inflow=_series(supply))
        self.node(x, "junction", where)
        self.link(x, f"{x}.src", x, where, lower, upper, self.scalar(n.get("cost"), f"{where} cost"))
        self.link(f"{x}.unused", f"{x}.src", self.unused, where)
        self.exits[name] = {None: x}
        self.map[name] = {"flow": [[x, 1.0]]}

    def _catchment(self, name: str, n: dict, where: str) -> None:
        x = self.sid(name)
        flow = self.flow(n.get("flow", 0.0), f"{where} flow")
        self.node(f"{x}.src", "inflow", where, inflow=_series(flow if flow is not None else np.zeros(len(self.dates))))
        self.node(x, "junction", where)
        self.link(x, f"{x}.src", x, where, cost=self.scalar(n.get("cost"), f"{where} cost"))
        self.exits[name] = {None: x}
        self.map[name] = {"flow": [[x, 1.0]]}

    def _output(self, name: str, n: dict, where: str) -> None:
        x = self.sid(name)
        lower, upper = self.bounds(n, where)
        cost = self.scalar(n.get("cost"), f"{where} cost")
        self.node(x, "junction", where)
        if cost < 0:  # a benefit per unit delivered: a demand whose shortfall costs as much
            target = upper if upper is not None else np.full(len(self.dates), UNLIMITED)
            self.node(f"{x}.d", "demand", where, sector="other", target=_series(target), shortfall_cost=-cost)
            self.link(x, x, f"{x}.d", where, lower)
        else:
            self.node(f"{x}.d", "sink", where)
            self.link(x, x, f"{x}.d", where, lower, upper, cost)
        self.entry[name] = x
        self.map[name] = {"flow": [[x, 1.0]]}

    def _link(self, name: str, n: dict, where: str) -> None:
        lower, upper = self.bounds(n, where)
        self._through(name, where, lower, upper, self.scalar(n.get("cost"), f"{where} cost"))

    def _losslink(self, name: str, n: dict, where: str) -> None:
        lf = self.scalar(n.get("loss_factor"), f"{where} loss_factor")
        kind = str(n.get("loss_factor_type", "net")).lower()
        if kind not in ("net", "gross"):
            self.problems.append(f"{where}: loss_factor_type '{kind}' (net or gross)")
            return
        if lf < 0 or (kind == "gross" and lf >= 1.0):
            self.problems.append(f"{where}: loss_factor {lf:g} ({kind}): a share lost in [0, 1) is converted")
            return
        # Pywr's max_flow, min_flow and cost act on the net flow; balkhash's on the flow entering
        loss = lf / (1.0 + lf) if kind == "net" else lf
        keep = 1.0 - loss
        lower, upper = self.bounds(n, where)
        self._through(name, where, None if lower is None else lower / keep, None if upper is None else upper / keep,
                      self.scalar(n.get("cost"), f"{where} cost") * keep, loss_fraction=loss)
        self.map[name] = {"flow": [[self.sid(name), keep]]}

    def _piecewise(self, name: str, where: str, max_flows: list, costs: list) -> list[str]:
        """Parallel links X.k (each its max_flow and cost) from junction X to X.out."""
        x = self.sid(name)
        self.node(x, "junction", where)
        self.node(f"{x}.out", "junction", where)
        out = []
        for k, (m, c) in enumerate(zip(max_flows, costs, strict=True)):
            out.append(self.link(f"{x}.{k}", x, f"{x}.out", where, None,
                                 self.flow(m, f"{where} max_flows[{k}]"), self.scalar(c, f"{where} costs[{k}]")))
        self.entry[name], self.exits[name] = x, {None: f"{x}.out"}
        self.map[name] = {"flow": [[i, 1.0] for i in out]}
        return out

    def _piecewiselink(self, name: str, n: dict, where: str) -> None:
        max_flows, costs = list(n.get("max_flows") or []), list(n.get("costs") or [])
        steps = n.get("nsteps", len(max_flows))
        if not max_flows or len(max_flows) != len(costs) or steps != len(max_flows):
            self.problems.append(f"{where}: needs nsteps max_flows and as many costs")
            return
        self._piecewise(name, where, max_flows, costs)

    def _rivergauge(self, name: str, n: dict, where: str) -> None:
        self._piecewise(name, where, [n.get("mrf", 0.0), None], [n.get("mrf_cost", 0.0), n.get("cost", 0.0)])

    def _split(self, name: str, n: dict, where: str, max_flows: list, costs: list) -> None:
        """A MultiSplitLink: piecewise sublinks to slot 0, one sublink per extra slot; the factors fix
        the ratio of each extra sublink to the last piecewise one (Pywr's MultiSplitLink)."""
        x = self.sid(name)
        factors = n.get("factors") or []
        slots = list(n.get("slot_names", range(len(factors))))
        if len(factors) < 2 or len(slots) != len(factors) or any(f is None for f in factors):
            self.problems.append(f"{where}: needs two or more factors (none left out) and a slot name for each")
            return
        f = [self.scalar(v, f"{where} factors[{k}]") for k, v in enumerate(factors)]
        if any(v < 0 for v in f) or f[0] <= 0:
            self.problems.append(f"{where}: factors must be >= 0, the first > 0")
            return
        self.node(x, "junction", where)
        exits = {s: f"{x}.{_sid(s)}" for s in slots}
        for s in slots:
            self.node(exits[s], "junction", where)
        main = []
        for k, (m, c) in enumerate(zip(max_flows, costs, strict=True)):
            main.append(self.link(f"{x}.{k}", x, exits[slots[0]], where, None,
                                  self.flow(m, f"{where} max_flow of route {k}"), self.scalar(c, f"{where} cost")))
        extra = [self.link(f"{x}.x{k}", x, exits[s], where) for k, s in enumerate(slots[1:], start=1)]
        total = sum(f)
        if len(main) == 1:  # the node's outflow divided: a split of junction X
            self.splits.append({"id": x, "node": x, "links": [main[0], *extra],
                                "fractions": [v / total for v in f]})
        else:
            for k, e in enumerate(extra, start=1):
                self.aggregates.append({"id": f"{x}.factor{k}", "links": [e],
                                        "ratio": {"of": {"links": [main[-1]]}, "equal": f[k] / f[0]}})
        self.entry[name], self.exits[name] = x, {**exits, None: exits[slots[0]]}
        self.map[name] = {"flow": [[i, 1.0] for i in (*main, *extra)]}

    def _riversplit(self, name: str, n: dict, where: str) -> None:
        self._split(name, n, where, [None], [0.0])

    def _riversplitwithgauge(self, name: str, n: dict, where: str) -> None:
        self._split(name, n, where, [n.get("mrf", 0.0), None], [n.get("mrf_cost", 0.0), n.get("cost", 0.0)])

    def _storage(self, name: str, n: dict, where: str) -> None:
        x = self.sid(name)
        T = len(self.dates)
        vmax_t = self.param(n.get("max_volume", 0.0), f"{where} max_volume", per_day=False)
        vmin_t = self.param(n.get("min_volume", 0.0), f"{where} min_volume", per_day=False)
        vmax_t = np.zeros(T) if vmax_t is None else vmax_t
        vmin_t = np.zeros(T) if vmin_t is None else vmin_t
        vmax, vmin = float(vmax_t[0]) if T else 0.0, float(vmin_t[0]) if T else 0.0
        if "initial_volume" in n:
            v0 = self.scalar(n["initial_volume"], f"{where} initial_volume")
        elif "initial_volume_pc" in n:  # Pywr: a share of the first timestep's max_volume
            v0 = self.scalar(n["initial_volume_pc"], f"{where} initial_volume_pc") * vmax
        else:
            self.problems.append(f"{where}: needs initial_volume or initial_volume_pc")
            v0 = vmin
        if T and (np.any(vmin_t < 0) or np.any(vmin_t > vmax_t + 1e-9)):
            t = int(np.flatnonzero((vmin_t < 0) | (vmin_t > vmax_t + 1e-9))[0])
            self.problems.append(f"{where}: min_volume {vmin_t[t]:g} and max_volume {vmax_t[t]:g} on "
                                 f"{self.dates[t].date()}: needs 0 <= min_volume <= max_volume")
        elif T and not (vmin - 1e-9 <= v0 <= vmax + 1e-9):
            self.problems.append(f"{where}: initial_volume {v0:g} is outside [min_volume, max_volume] = "
                                 f"[{vmin:g}, {vmax:g}]")
        varying = T > 0 and (np.any(vmax_t != vmax) or np.any(vmin_t != vmin))
        lo, hi = (float(vmin_t.min()), float(vmax_t.max())) if varying else (vmin, vmax)
        cost = self.scalar(n.get("cost"), f"{where} cost")
        res: dict = {"min_storage": f"{lo!r} Mm3", "max_storage": f"{max(hi, lo)!r} Mm3",
                     "initial_storage": f"{v0!r} Mm3", "end_storage": "free"}
        if varying:  # bounds per timestep: one storage segment holding the storage between them
            res["storage_segments"] = [{"capacity": {"unit": "Mm3", "series": [float(v) for v in vmax_t]},
                                        "min": {"unit": "Mm3", "series": [float(v) for v in vmin_t]}, "cost": 0.0}]
        if cost > 0:
            self.problems.append(f"{where}: cost {cost:g} > 0 (a cost of keeping water) is not converted: a storage "
                                 "cost becomes a carry-over value -cost >= 0")
        elif cost < 0 and hi > lo:
            res["carryover_value"] = {"storage": [0.0, max(hi, 1e-9)], "value": [-cost]}
        self.node(x, "reservoir", where, **res)
        self.entry[name], self.exits[name] = x, {None: x}
        self.map[name] = {"volume": x}

    def _aggregated(self, name: str, n: dict, where: str) -> None:
        members = list(n.get("nodes") or [])
        if not members:
            self.problems.append(f"{where}: needs nodes")
            return
        flows = []
        for m in members:
            got = self.map.get(m)
            if got is None or "flow" not in got:
                self.problems.append(f"{where}: member '{m}' is not a converted node with a flow")
                return
            flows.append(got["flow"])
        x = self.sid(name)
        weights = n.get("flow_weights") or [1.0] * len(members)
        lower, upper = self.bounds(n, where)
        if lower is not None or upper is not None:
            links, w = [], {}
            for fl, wm in zip(flows, weights, strict=True):
                for lk, fac in fl:
                    links.append(lk)
                    w[lk] = float(wm) * fac
            agg: dict = {"id": self._new_id(f"agg:{x}", where)[4:], "links": links}
            if any(v != 1.0 for v in w.values()):
                agg["weights"] = w
            if lower is not None:
                agg["min"] = _series(lower)
            if upper is not None:
                agg["max"] = _series(upper)
            self.aggregates.append(agg)
        factors = n.get("factors")
        if factors is not None:
            f = [self.scalar(v, f"{where} factors[{k}]") for k, v in enumerate(factors)]
            if len(f) != len(members) or f[0] <= 0 or any(v < 0 for v in f):
                self.problems.append(f"{where}: one factor per node, >= 0, the first > 0")
                return
            first = flows[0]
            for k in range(1, len(members)):
                agg = {"id": self._new_id(f"agg:{x}.factor{k}", where)[4:], "links": [lk for lk, _ in flows[k]],
                       "ratio": {"of": {"links": [lk for lk, _ in first]}, "equal": f[k] / f[0]}}
                wk = {lk: fac for lk, fac in flows[k] if fac != 1.0}
                w0 = {lk: fac for lk, fac in first if fac != 1.0}
                if wk:
                    agg["weights"] = wk
                if w0:
                    agg["ratio"]["of"]["weights"] = w0
                self.aggregates.append(agg)

    def _edges(self) -> None:
        for e in self.doc.get("edges") or []:
            if not isinstance(e, list) or len(e) not in (2, 4):
                self.problems.append(f"edge {e!r}: [from, to] or [from, to, from_slot, to_slot]")
                continue
            a, b = e[0], e[1]
            slot = e[2] if len(e) == 4 else None
            to_slot = e[3] if len(e) == 4 else None
            where = f"edge {a} -> {b}"
            if a not in self.exits:
                self.problems.append(f"{where}: '{a}' has no outflow (unknown, or an Output)" if a in self.by_name
                                     or a in self.entry else f"{where}: unknown node '{a}'")
                continue
            if b not in self.entry:
                self.problems.append(f"{where}: '{b}' takes no inflow (unknown, or an Input)")
                continue
            if to_slot is not None:
                self.problems.append(f"{where}: to_slot {to_slot!r} is not converted")
            if slot not in self.exits[a]:
                self.problems.append(f"{where}: node '{a}' has no slot {slot!r}")
                continue
            self.link(f"{self.sid(a)}.to.{self.sid(b)}", self.exits[a][slot], self.entry[b], where)


_METHOD = {"river": "link", "reservoir": "storage"}


def _stems(names: list) -> tuple[dict, str]:
    """(Pywr node name -> the stem of its ids, the id of the sink of what Inputs do not supply).

    A node's ids are its stem and the stem + '.' + a suffix (``X.out``, ``X.src``, ``X.0``, ...), so
    no stem may be another's stem + '.' + more: a model holding nodes ``link1`` and ``link1.out`` (as
    an exported basin does) gets ``link1`` and ``link1_out``.  The shortest names keep theirs."""
    taken: set[str] = set()
    stems: dict = {}

    def clash(c: str) -> bool:
        return c in taken or any(c[:i] in taken for i, ch in enumerate(c) if ch == ".")

    for name in sorted(names, key=lambda n: (len(_sid(n)), str(n))):
        base = _sid(name)
        cand, k = base, 1
        while clash(cand):
            k += 1
            flat = base.replace(".", "_")
            cand = flat if k == 2 else f"{flat}_{k - 1}"
        taken.add(cand)
        stems[name] = cand
    unused, k = UNUSED, 1
    while clash(unused) or any(t.startswith(unused + ".") for t in taken):
        k += 1
        unused = "pywr_unused" if k == 2 else f"pywr_unused_{k - 1}"
    return stems, unused


def _series(values: np.ndarray) -> dict | str:
    v = np.asarray(values, dtype=float)
    if v.size and np.all(v == v[0]):
        return f"{float(v[0])!r} Mm3/month"
    return {"unit": "Mm3/month", "series": [float(x) for x in v]}


def convert_pywr(path: str | Path) -> PywrImport:
    """Read a Pywr JSON model and convert it (raises :class:`PywrImportError` naming what cannot be)."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PywrImportError(str(p), [f"cannot read the model: {exc}"]) from exc
    if not isinstance(doc, dict):
        raise PywrImportError(str(p), ["expected a JSON object with nodes and edges"])
    return _Converter(doc, p.parent, str(p)).convert()


def import_pywr(path: str | Path, outdir: str | Path, name: str | None = None) -> PywrImport:
    """Convert a Pywr model and write ``OUTDIR/basin.yaml`` and ``OUTDIR/pywr.json`` (where each Pywr
    node's flow or volume is in the basin's results, the timesteps' dates and days).  The basin is
    validated before anything is written: a model whose conversion does not validate is refused
    (:class:`PywrImportError`) and OUTDIR left as it was."""
    from ..atomic import write_dir
    from ..network.errors import BasinError
    from ..network.io import parse_basin
    from ..network.validate import check_basin

    conv = convert_pywr(path)
    if name:
        conv.basin["name"] = name
    label = "the converted basin"
    try:
        problems = check_basin(parse_basin(conv.basin, label), label)
    except BasinError as exc:
        problems = exc.problems
    if problems:
        raise PywrImportError(str(path), [": ".join(x for x in (p.where, p.field, p.message) if x)
                                          + " (in the converted basin)" for p in problems])

    def write(tmp: Path) -> None:
        (tmp / "pywr.json").write_text(json.dumps({"days": conv.days, "dates": conv.dates, "nodes": conv.nodes},
                                                  indent=1), encoding="utf-8")
        (tmp / "basin.yaml").write_text(yaml.safe_dump(conv.basin, sort_keys=False, allow_unicode=True),
                                        encoding="utf-8")

    write_dir(Path(outdir), write, last="basin.yaml")
    return conv


def pywr_results(solution, mapping: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(flows, volumes): Pywr nodes x timesteps, flows per day as Pywr reports them, from a solution of
    an imported basin and its ``pywr.json`` mapping."""
    flows = solution.tables["flows"].pivot(index="link_id", columns="period", values="flow_mm3")
    storage = solution.tables["storage"].pivot(index="node", columns="period", values="storage_mm3")
    days = np.asarray(mapping["days"], dtype=float)
    f_rows, v_rows = {}, {}
    for node, where in mapping["nodes"].items():
        if "flow" in where:
            f_rows[node] = sum(fac * flows.loc[lk].to_numpy() for lk, fac in where["flow"]) / days
        else:
            v_rows[node] = storage.loc[where["volume"]].to_numpy()
    cols = list(flows.columns)
    return pd.DataFrame(f_rows, index=cols).T, pd.DataFrame(v_rows, index=cols).T


def check_unbounded(solution, conv: PywrImport) -> None:
    """Raise when a flow reached :data:`UNLIMITED` (the number standing for no max_flow was binding)."""
    flows = solution.tables["flows"]
    if (flows["flow_mm3"] >= UNLIMITED * (1 - 1e-9)).any():
        raise BalkhashError(f"a flow reached {UNLIMITED:g} per period, the number standing for an unlimited "
                            "max_flow: the imported model is not exact")
