"""Hindcast: a historical period simulated from a stated initial state, compared with observations.

A basin that ships a ``observed/hindcast.yaml`` (the default Ile-Balkhash basin does) says how:

.. code-block:: yaml

    from: 2010                      # calendar years: the run is 2010-01 .. 2020-12
    to: 2020
    observations: observations.csv  # relative to this file (columns: balkhash.history.observations)
    initial: {BALKHASH: 342.5 m, KAPSHAGAY: 17 km3}
    runoff_table: ../transboundary_years.csv   # year, china_km3, kazakhstan_km3
    kazakh_nodes: [CHARYN, CHILIK, ...]        # scaled by the year's Kazakh runoff / the table mean
    monthly_inflows: null           # or a CSV period,node,inflow_mm3 that overrides any month given
    parameters:                     # the multipliers `balkhash calibrate` knows by name
      lake_evaporation: {kind: evaporation, key: BALKHASH, low: 0.95, high: 1.33, source: ...}

**Historical inflows.**  The runoff table is by calendar year, so a month of calendar year ``Y``
takes ``V_Y`` (km3) x 1000 x ``s_m`` Mm3 at the transboundary node, ``s_m`` the node's own
January..December shares in the basin (the border profile); every node of ``kazakh_nodes`` takes
its own monthly inflow of the basin x ``K_Y / mean(K)`` (``K``: the table's Kazakh column).  A
water year (October..September) therefore gets three months of one table year and nine of the
next, as the calendar says, rather than one table year per water year (the approximation of the
``history_2010_2020`` scenario).  A month given in ``monthly_inflows`` replaces what the table
gives for its node.  The other inflows stay those of the basin's mean year.

**Operation.**  Every target is priced at 0 (``penalty: 0``) and the basin's allocation policy is
set aside (``policy: none``: a policy would cut users to share the lake's deficit): users are
served at their own shortfall costs and the lake gets what is left, as the basin was operated; the
reservoirs follow their rule curves.  The run is a ``step`` simulation by default (``rolling`` on request,
docs/simulation.md): no foresight of the inflows.

**Errors.**  For observation ``i`` with value ``o_i`` and uncertainty ``sigma_i`` and the model's
value ``m_i`` (:func:`balkhash.history.observations.model_value`), the error is ``e_i = m_i - o_i``
and the weighted residual ``r_i = e_i / sigma_i``.  Per quantity and site: ``bias = mean(e_i)``
and ``RMSE = sqrt(mean(e_i^2))``, in the observation's unit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..errors import BalkhashError
from ..network.schema import Basin
from ..network.series import flow_mm3
from .multipliers import ABSOLUTE
from .observations import Observation, check_sites, model_value, read_observations

CONFIG = Path("observed") / "hindcast.yaml"
#: the fields of a node an initial state sets (a problem with one given by --initial is the command line's)
INITIAL_FIELDS = {"initial_storage", "initial_level_m"}
CONFIG_FIELDS = {"from", "to", "observations", "initial", "runoff_table", "transboundary_node", "kazakh_nodes",
                 "monthly_inflows", "parameters", "description"}


class HindcastError(BalkhashError, ValueError):
    """A hindcast that cannot be set up: a bad configuration, period or inflow table."""


@dataclass
class ParameterSpec:
    """A named multiplier: ``kind`` and ``key`` of a named parameter (``inflow``, ``groundwater``,
    ``evaporation``, ``loss_fraction``), the bounds of its factor and where they come from; or an
    initial state (``initial_level`` in m BS, ``initial_storage`` in Mm3) and the bounds of its value
    (:mod:`balkhash.history.multipliers`)."""

    name: str
    kind: str
    key: str
    low: float = 0.5
    high: float = 1.5
    source: str = ""


@dataclass
class HindcastSetup:
    """What a hindcast runs: period, initial states, the historical inflows, the observations."""

    first_year: int | None = None
    last_year: int | None = None
    observations: Path | None = None
    initial: dict[str, str] = field(default_factory=dict)
    runoff_table: Path | None = None
    transboundary_node: str | None = None
    kazakh_nodes: list[str] = field(default_factory=list)
    monthly_inflows: Path | None = None
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)
    file: str = "<defaults>"
    #: initial states given on the command line (``--initial``), applied after the file's ``initial``
    command_line: dict[str, str] = field(default_factory=dict)


def load_setup(basin: Basin, path: Path | None = None) -> HindcastSetup:
    """The hindcast setup of ``basin``: ``path`` or the basin's ``observed/hindcast.yaml`` (an
    empty setup when the basin has none: its own horizon and inflows)."""
    if path is None:
        if basin.base_dir is None or not (Path(basin.base_dir) / CONFIG).is_file():
            return HindcastSetup()
        path = Path(basin.base_dir) / CONFIG
    from ..network.errors import BasinError
    from ..network.io import read_yaml

    path = Path(path)
    try:  # as a basin file: a syntax error by line and column, a key given twice refused
        raw = read_yaml(path)
    except BasinError as exc:
        p = exc.problems[0]
        where = f"{p.where}: " if p.where else ""
        raise HindcastError(f"{path}: {where}cannot read the hindcast setup: {p.message}") from None
    if not isinstance(raw, dict):
        raise HindcastError(f"{path}: the hindcast setup must be a mapping")
    unknown = sorted(set(raw) - CONFIG_FIELDS)
    if unknown:
        raise HindcastError(f"{path}: unknown field(s) {', '.join(unknown)} "
                            f"(known: {', '.join(sorted(CONFIG_FIELDS))})")
    base = path.parent

    def rel(key: str) -> Path | None:
        v = raw.get(key)
        return None if v in (None, "") else (base / str(v))

    for key, kind in (("initial", dict), ("kazakh_nodes", list), ("parameters", dict)):
        if raw.get(key) is not None and not isinstance(raw[key], kind):
            raise HindcastError(f"{path}: {key}: expected a {'mapping' if kind is dict else 'list'}")
    params = {}
    for name, spec in (raw.get("parameters") or {}).items():
        if not isinstance(spec, dict) or not {"kind", "key"} <= set(spec):
            raise HindcastError(f"{path}: parameters.{name}: needs kind and key")
        extra = set(spec) - {"kind", "key", "low", "high", "source"}
        if extra:
            raise HindcastError(f"{path}: parameters.{name}: unknown field(s) {', '.join(sorted(extra))}")
        if spec["kind"] in ABSOLUTE and not {"low", "high"} <= set(spec):
            raise HindcastError(f"{path}: parameters.{name}: an initial state needs its range, low and high "
                                f"({ABSOLUTE[spec['kind']]})")
        try:
            low, high = float(spec.get("low", 0.5)), float(spec.get("high", 1.5))
        except (TypeError, ValueError):
            raise HindcastError(f"{path}: parameters.{name}: low and high must be numbers") from None
        if not low < high:
            raise HindcastError(f"{path}: parameters.{name}: low ({low:g}) must be below high ({high:g})")
        params[name] = ParameterSpec(name, str(spec["kind"]), str(spec["key"]), low, high, str(spec.get("source", "")))
    years = []
    for key in ("from", "to"):
        v = raw.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise HindcastError(f"{path}: {key}: a calendar year, e.g. 2010 (got {v!r})")
        years.append(v)
    return HindcastSetup(years[0], years[1], rel("observations"), {str(k): str(v) for k, v in
                                                                  (raw.get("initial") or {}).items()},
                         rel("runoff_table"), raw.get("transboundary_node"), list(raw.get("kazakh_nodes") or []),
                         rel("monthly_inflows"), params, str(path))


def write_setup(setup: HindcastSetup, initial: dict[str, str], path: Path, description: str,
                src: Path | None = None, dst: Path | None = None) -> None:
    """Write ``setup`` as a hindcast setup file at ``path``, its initial states updated by
    ``initial`` (node -> '342.2 m').  A file of the setup inside the basin directory ``src`` is
    named as its copy in ``dst`` (relative to ``path``), any other by its absolute path."""
    path = Path(path)

    def where(f: Path | None) -> str | None:
        if f is None:
            return None
        f = Path(f).resolve()
        if src is not None and dst is not None and f.is_relative_to(Path(src).resolve()):
            f = Path(dst).resolve() / f.relative_to(Path(src).resolve())
        return os.path.relpath(f, path.parent.resolve()) if f.is_relative_to(path.parent.resolve().parent) \
            else str(f)

    raw: dict[str, Any] = {"description": description}
    if setup.first_year is not None:
        raw["from"], raw["to"] = setup.first_year, setup.last_year
    raw["observations"] = where(setup.observations)
    raw["initial"] = {**setup.initial, **setup.command_line, **initial}
    raw["runoff_table"] = where(setup.runoff_table)
    if setup.transboundary_node is not None:
        raw["transboundary_node"] = setup.transboundary_node
    raw["kazakh_nodes"] = list(setup.kazakh_nodes)
    raw["monthly_inflows"] = where(setup.monthly_inflows)
    raw["parameters"] = {n: {"kind": ps.kind, "key": ps.key, "low": ps.low, "high": ps.high, "source": ps.source}
                         for n, ps in setup.parameters.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")


def _year_ranges(years: list[int]) -> str:
    """Sorted years as runs: [1990, 1991, 1992, 2005] -> '1990-1992, 2005'."""
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _runoff(setup: HindcastSetup) -> pd.DataFrame:
    from ..network.errors import BasinError
    from ..scenarios.transboundary import transboundary_table

    try:
        return transboundary_table(Basin(name="runoff"), str(setup.runoff_table))
    except BasinError as exc:
        raise HindcastError("; ".join(f"{p.file}: {p.where} {p.field}: {p.message}".replace("  ", " ")
                                      for p in exc.problems)) from None


def hindcast_basin(basin: Basin, setup: HindcastSetup) -> Basin:
    """``basin`` over the hindcast period with the historical inflows, the initial states and every
    target priced at 0 (the module's rules); checked like a basin file."""
    from ..network.errors import BasinError
    from ..network.validate import check_basin
    from ..scenarios.apply import _materialise_csv_series, _series, copy_basin
    from ..scenarios.initial import apply_initial
    from ..scenarios.transboundary import monthly_shares, sole_transboundary_node

    if basin.calendar.step != "month":
        raise HindcastError(f"the hindcast runs month by month against monthly observations: it needs a basin of "
                            f"calendar step month, '{basin.name}' has step {basin.calendar.step}")
    b = copy_basin(basin)
    if (setup.first_year is None) != (setup.last_year is None):
        raise HindcastError("give both the first and the last year of the hindcast (--from and --to)")
    if setup.first_year is not None and setup.last_year is not None:
        if setup.last_year < setup.first_year:
            raise HindcastError(f"--to {setup.last_year} is before --from {setup.first_year}")
        b.calendar.start = f"{setup.first_year}-01"
        b.calendar.periods = 12 * (setup.last_year - setup.first_year + 1)
        b._cyclic = True
        _materialise_csv_series(b)
    tl = b.timeline()
    years = np.array([y for y, _ in tl.months])
    if setup.runoff_table is not None:
        table = _runoff(setup)
        node = setup.transboundary_node or sole_transboundary_node(b, "the hindcast (name its node in the "
                                                                    "setup: transboundary_node)")
        missing = sorted({int(y) for y in years} - set(table.index))
        if missing:
            have = f"{min(table.index)}-{max(table.index)}" if len(table.index) else "none"
            raise HindcastError(f"{os.path.normpath(setup.runoff_table)}: no runoff for year(s) "
                                f"{_year_ranges(missing)} of the "
                                f"hindcast {tl.labels[0]}..{tl.labels[-1]} (the table gives {have}; choose "
                                "--from/--to within it)")
        nodes: dict[str, Any] = {n.id: n for n in b.nodes}
        for nid in [node, *setup.kazakh_nodes]:
            if nid is None or getattr(nodes.get(nid), "inflow", None) is None:
                raise HindcastError(f"{setup.file}: '{nid}' is not an inflow node of the basin")
        assert node is not None, "checked above"
        base = flow_mm3(nodes[node].inflow, b, tl)
        shares = monthly_shares(base, tl.month_index)
        nodes[node].inflow = _series(table.loc[years, "china_km3"].to_numpy(float) * 1000.0 * shares[tl.month_index])
        if setup.kazakh_nodes:
            if "kazakhstan_km3" not in table.columns:
                raise HindcastError(f"{setup.runoff_table}: no column kazakhstan_km3 for the kazakh_nodes")
            k = table["kazakhstan_km3"].to_numpy(float)
            factor = table.loc[years, "kazakhstan_km3"].to_numpy(float) / k.mean()
            for nid in setup.kazakh_nodes:
                nodes[nid].inflow = _series(flow_mm3(nodes[nid].inflow, b, tl) * factor)
    if setup.monthly_inflows is not None:
        _monthly_inflows(b, setup.monthly_inflows)
    for t in b.targets:
        t.penalty = 0.0
    b.options.policy = "none"  # the users' own costs: an allocation policy would cut them for the lake
    from_file = {k: v for k, v in setup.initial.items() if k not in setup.command_line}
    problems = apply_initial(b, from_file, setup.file, "hindcast") if from_file else []
    if setup.command_line:  # named as plan names them: the command line's, not the setup file's
        problems += apply_initial(b, setup.command_line, "command line", "--initial")
    if problems:
        raise BasinError(problems)
    given = {f"node '{nid}'" for nid in setup.command_line}
    problems = [replace(p, file="command line") if p.where in given and p.field in INITIAL_FIELDS else p
                for p in check_basin(b, setup.file)]
    if problems:
        raise BasinError(problems)
    return b


def _monthly_inflows(b: Basin, path: Path) -> None:
    """Months of ``period,node,inflow_mm3`` replace the inflow of their node in that month."""
    from ..scenarios.apply import _series

    try:
        df = pd.read_csv(path, dtype={"period": str, "node": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise HindcastError(f"{path}: cannot read the monthly inflows: {str(exc).splitlines()[0]}") from None
    missing = {"period", "node", "inflow_mm3"} - set(df.columns)
    if missing:
        raise HindcastError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    tl = b.timeline()
    pos = {lab: t for t, lab in enumerate(tl.labels)}
    nodes: dict[str, Any] = {n.id: n for n in b.nodes}
    values: dict[str, np.ndarray] = {}
    for i, row in df.iterrows():
        line = int(str(i)) + 2
        node = nodes.get(row["node"])
        if node is None or getattr(node, "inflow", None) is None:
            raise HindcastError(f"{path}: line {line}: node: '{row['node']}' is not an inflow node")
        v = pd.to_numeric(pd.Series([row["inflow_mm3"]]), errors="coerce").iloc[0]
        if not (np.isfinite(v) and v >= 0):
            raise HindcastError(f"{path}: line {line}: inflow_mm3: '{row['inflow_mm3']}' is not a volume >= 0 (Mm3)")
        if row["period"] not in pos:
            continue  # outside the hindcast
        arr = values.setdefault(node.id, flow_mm3(node.inflow, b, tl))
        arr[pos[row["period"]]] = float(v)
    for nid, arr in values.items():
        nodes[nid].inflow = _series(arr)


# -- comparison ---------------------------------------------------------------------------------
@dataclass
class HindcastResult:
    #: one row per observation compared: quantity, site, when, unit, observed, sigma, model, error, z, source
    table: pd.DataFrame
    #: per quantity, site and unit: n, bias, rmse
    stats: pd.DataFrame
    #: the model's monthly series of every observed site: period, quantity, site, unit, value
    series: pd.DataFrame
    skipped: list[Observation]
    solution: object

    @property
    def residuals(self) -> np.ndarray:
        """The weighted residuals r_i = (m_i - o_i) / sigma_i."""
        return self.table["z"].to_numpy(float)

    def level_stats(self) -> dict:
        """bias, RMSE and n of every level observation together (m)."""
        t = self.table[self.table["quantity"] == "level"]
        e = t["error"].to_numpy(float)
        return {"n": int(e.size), "bias_m": float(e.mean()) if e.size else float("nan"),
                "rmse_m": float(np.sqrt(np.mean(e ** 2))) if e.size else float("nan")}


def model_states(sol, observations: list[Observation], curves: dict) -> tuple[dict, dict, np.ndarray, list[str]]:
    """The arrays :func:`model_value` reads, from a solution's storage and flow tables: states at the
    start and the end of every month (a level at the start through the node's table ``curves``),
    monthly flow volumes (Mm3), the days of every month and the month labels."""
    from ..network.units import days_in_month

    st = sol.tables["storage"]
    fl = sol.tables["flows"]
    periods = st["period"] if len(st) else fl["period"]
    labels = [str(p)[:7] for p in dict.fromkeys(periods.astype(str))]
    days = np.array([days_in_month(int(lab[:4]), int(lab[5:7])) for lab in labels], float)
    states: dict[str, np.ndarray] = {}
    flows: dict[str, np.ndarray] = {}
    for ob in observations:
        if ob.quantity == "flow":
            for lk in ob.links:
                if lk not in flows:
                    flows[lk] = fl.loc[fl["link_id"] == lk, "flow_mm3"].to_numpy(float)
            continue
        key = f"{ob.quantity}:{ob.site}"
        if key in states:
            continue
        s = st[st["node"] == ob.site]
        s0 = float(s["storage_start_mm3"].iloc[0])
        if ob.quantity == "level":
            end = s["level_m"].to_numpy(float)
            start = float(curves[ob.site].level_at(s0))
        else:
            end, start = s["storage_mm3"].to_numpy(float), s0
        states[key] = np.concatenate([[start], end])
    return states, flows, days, labels


def compare(sol, observations: list[Observation], curves: dict) -> HindcastResult:
    """The errors of ``sol`` at every observation inside its months (the module's definitions);
    ``curves``: node -> its level-area-volume curve (levels at the start of the run)."""
    states, flows, days, labels = model_states(sol, observations, curves)
    rows, skipped = [], []
    for ob in observations:
        m = model_value(ob, states, flows, days, labels)
        if m is None:
            skipped.append(ob)
            continue
        rows.append({"quantity": ob.quantity, "site": ob.site, "when": ob.when, "unit": ob.unit,
                     "observed": ob.value, "sigma": ob.sigma, "model": m, "error": m - ob.value,
                     "z": (m - ob.value) / ob.sigma, "source": ob.source})
    cols = ["quantity", "site", "when", "unit", "observed", "sigma", "model", "error", "z", "source"]
    table = pd.DataFrame(rows, columns=cols)
    stats = (table.groupby(["quantity", "site", "unit"], sort=False)["error"]
             .agg(n="size", bias="mean", rmse=lambda e: float(np.sqrt(np.mean(np.square(e)))))
             .reset_index()) if len(table) else pd.DataFrame(columns=["quantity", "site", "unit", "n", "bias", "rmse"])
    series = _series_table(states, flows, days, labels, observations)
    return HindcastResult(table, stats, series, skipped, sol)


def _series_table(states, flows, days, labels, observations) -> pd.DataFrame:
    rows = []
    seen = set()
    for ob in observations:
        key = (ob.quantity, ob.site, ob.unit)
        if key in seen:
            continue
        seen.add(key)
        from .observations import UNITS

        factor = UNITS[ob.quantity][ob.unit]
        if ob.quantity == "flow":
            q = sum(flows[lk] for lk in ob.links)
            vals = q * 1e6 / (86400.0 * days) if factor is None else q * factor
        else:
            vals = states[f"{ob.quantity}:{ob.site}"][1:] * (factor or 1.0)
        rows += [{"period": lab, "quantity": ob.quantity, "site": ob.site, "unit": ob.unit, "value": float(v)}
                 for lab, v in zip(labels, vals, strict=True)]
    return pd.DataFrame(rows, columns=["period", "quantity", "site", "unit", "value"])


class Hindcast:
    """A hindcast run, kept built: :meth:`run` simulates and compares.  ``specs``: the multipliers
    (:class:`ParameterSpec`) that :meth:`run` can be given; the model is a
    :class:`~balkhash.simulation.Simulator` moved by them (:class:`~.multipliers.Moved`)."""

    def __init__(self, basin: Basin, setup: HindcastSetup, observations: list[Observation] | None = None,
                 mode: str = "step", window: int | None = None, every: int | None = None,
                 forecast: str = "climatology", specs: list[ParameterSpec] | None = None) -> None:
        from ..simulation import Simulator
        from .multipliers import Moved

        self.source_basin = basin
        self.setup = setup
        self.basin = hindcast_basin(basin, setup)
        if observations is None:
            if setup.observations is None:
                raise HindcastError("no observations: give --observed FILE (the basin ships none)")
            observations = read_observations(setup.observations)
        check_sites(observations, self.basin, str(setup.observations or "observations"))
        self.observations = observations
        self.sim_options: dict[str, Any] = {"mode": mode, "window": window, "every": every, "forecast": forecast}
        self.specs = list(specs or [])
        self.moved = Moved(self.basin, self.specs, lambda b: Simulator(b, **self.sim_options))
        self.curves = {s.id: s.curve for s in self.moved.model.full.storages if s.curve is not None}

    def run(self, multipliers=None) -> HindcastResult:
        """Simulate (with ``multipliers``, one value per spec; default the basin as it is: every
        factor 1, every initial state the setup's) and compare."""
        if self.specs:
            self.moved.set(self.moved.start() if multipliers is None else multipliers)
        return compare(self.moved.solve(), self.observations, self.curves)
