"""Simulation modes: optimise (perfect foresight), step (one period at a time), rolling horizon.

``simulate(basin, mode=..., window=..., every=..., forecast=...)`` returns a
:class:`~balkhash.allocation.solve.Solution` with the same tables as an optimise run:

* ``optimise`` — one LP over the whole horizon (:class:`~balkhash.allocation.solve.Allocation`);
* ``rolling`` — every ``every`` periods re-plan over the next ``window`` periods (cut at the end of
  the horizon) with the forecast inflows (:mod:`balkhash.simulation.forecast`), apply the first
  ``every`` periods, carry the storage of every reservoir and lake to the next re-plan;
* ``step`` — rolling with window 1 and every 1: each period's LP sees only its own inflows.

Each distinct window is one persistent model (:mod:`balkhash.simulation.windows`), built once and
moved through the run by its named parameters.  The applied periods are put together into one
solution vector of the full-horizon LP, from which the engine computes the tables; the targets
table and the objective are therefore those of the whole run over the full horizon: a lake inflow
target per water year from the inflow the lake actually received, the end-storage target at the
last period, the cost of every shortfall and violation at the engine's prices.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from types import SimpleNamespace

import numpy as np

from ..allocation.constraints.carryover import carryover_values
from ..allocation.constraints.links import water_year_days
from ..allocation.data import compile_basin
from ..allocation.model import build_lp
from ..allocation.parameters import NamedParameters, Parameters
from ..allocation.results import extract_tables, lake_share_notes, link_gains
from ..allocation.solve import Allocation, Solution, SolveError, _as_basin
from ..allocation.summary import build_summary
from ..errors import BalkhashError
from .carried_aggregates import OWN as AGGREGATES_OWN
from .carried_aggregates import AggregateHistory
from .forecast import NAMES, Forecaster, ForecastFile, check_against_run, climatology, read_forecast_file
from .windows import (
    CARRIED_CAPACITY,
    CARRIED_LAKE,
    CARRIED_PENALTY,
    CARRIED_SHARE_RHS,
    CARRIED_SHARE_S,
    CARRIED_SHARE_V,
    Carried,
    WindowModel,
    window_key,
)

MODES = ("optimise", "step", "rolling")
#: window parameters the simulation sets itself (not copied from the run's)
OWN = (CARRIED_LAKE, CARRIED_CAPACITY, CARRIED_PENALTY, CARRIED_SHARE_V, CARRIED_SHARE_S, CARRIED_SHARE_RHS,
       *AGGREGATES_OWN, "initial_storage", "end_storage", "inflow")


class SimulationError(BalkhashError, ValueError):
    """A simulation that cannot be run as asked: unknown mode, bad window or re-plan interval."""


def check_options(mode: str, window: int | None, every: int | None) -> tuple[int | None, int | None]:
    """(window, every) of ``mode``, checked; step is window 1, every 1."""
    if mode not in MODES:
        raise SimulationError(f"unknown mode '{mode}': use one of {', '.join(MODES)}")
    if mode == "step":
        if (window not in (None, 1)) or (every not in (None, 1)):
            raise SimulationError("--mode step solves one period at a time: --window and --every are 1 "
                                  "(use --mode rolling for longer windows)")
        return 1, 1
    if mode == "optimise":
        if window is not None or every is not None:
            raise SimulationError("--window and --every need --mode rolling (optimise plans the whole horizon at once)")
        return None, None
    window = 12 if window is None else window
    every = 1 if every is None else every
    for name, v in (("--window", window), ("--every", every)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise SimulationError(f"{name} must be a whole number of periods >= 1 (got {v!r})")
    if every > window:
        raise SimulationError(f"--every {every} is longer than --window {window}: a re-plan can only apply "
                              "periods it has planned")
    return int(window), int(every)


def describe(mode: str, window: int | None, every: int | None, forecast: str | None, T: int) -> dict:
    """The ``simulation`` block of summary.json."""
    if mode == "optimise":
        return {"mode": "optimise", "window": T, "every": T, "forecast": "perfect"}
    return {"mode": mode, "window": window, "every": every,
            "forecast": "actual (one period)" if mode == "step" else forecast}


class Simulator(NamedParameters):
    """A step or rolling simulation of one basin, with its window models kept between runs.

    ``set(kind, key, values)`` changes an input of the whole run (the kinds of
    :mod:`balkhash.allocation.parameters`, over the run's T periods); the next :meth:`solve`
    simulates again, re-using every window model already built."""

    def __init__(self, basin, mode: str = "rolling", window: int | None = None, every: int | None = None,
                 forecast: str | Path | None = "climatology", climatology_basin=None, strict: bool = False,
                 fair_sharing: bool | None = None, time_limit: float | None = None, log: bool = False,
                 threads: int | None = None, highs_options: dict | None = None) -> None:
        t0 = perf_counter()
        if mode == "optimise":
            raise SimulationError("Simulator runs step or rolling simulations; optimise is balkhash.solve")
        self.mode = mode
        self.window, self.every = check_options(mode, window, every)
        self.basin = _as_basin(basin)
        self.strict = strict
        self.options = {"fair_sharing": fair_sharing, "time_limit": time_limit, "log": log, "threads": threads,
                        "highs_options": highs_options}
        self.full = compile_basin(self.basin, strict=strict, fair_sharing=fair_sharing)
        self.lp = build_lp(self.full)
        self.lp.stack_parameters()  # the windows gather their parameters from one vector
        self.params = Parameters(self.full, self.lp)
        self.carried = Carried.of(self.full)
        self.models: dict[tuple, WindowModel] = {}
        self._keys: dict[tuple[int, int], tuple] = {}
        self._slot_cache: dict[tuple[int, int], list[tuple[int, int, float | None, float]]] = {}
        self._lake_ids = [t.id for t in self.carried.lake_targets]
        pen = self.lp.params.get("penalty")
        self._lake_penalty = np.array([pen.position[i] for i in self._lake_ids], dtype=np.int64) \
            if pen is not None and self._lake_ids else np.zeros(0, dtype=np.int64)
        #: notes on the forecast file's entries no re-plan uses
        self.forecast_notes: list[str] = []
        self.forecast_kind, self.forecast_file = self._forecast(forecast)
        self.reference = None if climatology_basin is None else self._reference(climatology_basin)
        self.build_seconds = perf_counter() - t0

    # -- inputs ---------------------------------------------------------------------------------
    def _forecast(self, forecast) -> tuple[str, ForecastFile | None]:
        """(kind, file) of ``forecast`` (None: climatology); a file is read and checked against the
        run's timeline (:func:`~balkhash.simulation.forecast.check_against_run`)."""
        if self.mode == "step":
            return "perfect", None
        if forecast is None:
            return "climatology", None
        if isinstance(forecast, str) and forecast in NAMES:
            return forecast, None
        nodes = [n for n in self.full.nodes if self.full.node_type[n] != "sink"]
        file = read_forecast_file(forecast, nodes)
        window, every = self.window, self.every
        assert window is not None, "rolling has a window"
        assert every is not None, "rolling has a re-plan interval"
        self.forecast_notes = check_against_run(file, self.full.timeline, window, every)
        return "file", file

    def _reference(self, basin) -> np.ndarray:
        """nodes x 12 (36 at dekad step): the mean inflows of ``basin`` by period of the year (nodes it
        lacks: the run's own)."""
        ref = compile_basin(_as_basin(basin))
        tl = self.full.timeline
        if ref.timeline.step != tl.step:
            raise SimulationError(f"the climatology basin's calendar step is {ref.timeline.step}, the run's is "
                                  f"{tl.step}: give a climatology basin of the same step")
        own = climatology(self.lp.params["inflow"].values, tl.season_index, tl.per_year)
        clim = climatology(np.array([ref.inflow.get(n, np.zeros(ref.T)) for n in ref.nodes]).reshape(-1, ref.T),
                           ref.timeline.season_index, tl.per_year)
        pos = {n: i for i, n in enumerate(ref.nodes)}
        for i, n in enumerate(self.full.nodes):
            if n in pos and n in ref.inflow:
                own[i] = clim[pos[n]]
        return own

    @property
    def timeline(self):
        return self.full.timeline

    @property
    def forecast_name(self) -> str:
        return self.forecast_file.path if self.forecast_file is not None else self.forecast_kind


    # -- the run ----------------------------------------------------------------------------------
    def _model(self, t0: int, n: int, k: int) -> WindowModel:
        key = self._keys.get((t0, n))
        if key is None:
            key = self._keys[(t0, n)] = window_key(self.full, t0, n)
        model = self.models.get(key)
        if model is None:
            model = WindowModel(self.basin, self.full, t0, n, self.carried, strict=self.strict, **self.options)
            model.var_pairs = _period_pairs(self.lp.var_blocks, model.lp.var_blocks, "cols")
            model.row_pairs = _period_pairs(self.lp.row_blocks, model.lp.row_blocks, "rows")
            # the run's columns and rows of the k applied periods from t0: those from period 0,
            # shifted by t0 (a block numbers its periods consecutively, the last axis)
            assert all(bool(np.all(np.diff(f, axis=-1) == 1)) for f, _ in (*model.var_pairs, *model.row_pairs))
            if model.small:
                model.gather = self._gather_plan(model)
            cols, rows = ((_cat([f[..., :k].reshape(-1) for f, _ in pairs]),
                           _cat([w[..., :k].reshape(-1) for _, w in pairs]))
                          for pairs in (model.var_pairs, model.row_pairs))
            model.applied = {k: (cols, rows)}
            self.models[key] = model
        return model

    def solve(self, progress: Callable[[int, int], None] | None = None) -> Solution:
        """Simulate the run; ``progress(t, T)`` after every re-plan."""
        t_start = perf_counter()
        full, lp = self.full, self.lp
        T = full.T
        p = lp.params
        actual = p["inflow"].values
        forecaster = Forecaster(self.forecast_kind, actual, full.timeline, full.nodes, self.reference,
                                self.forecast_file)
        x = np.zeros(lp.ncols)
        y = np.zeros(lp.nrows)
        z = np.zeros(lp.ncols)  # the bound duals of the applied periods, each from its own re-plan
        self._lake_terms: list | None = None  # the parameters are fixed during a run
        #: each policy class's shortfall per applied period (the lake shares' history)
        self._class_short = np.zeros((len(full.classes), T))
        self._class_cols: list[np.ndarray] | None = None
        state = p["initial_storage"].values.copy()
        lake_in = np.zeros((len(self.carried.lake_targets), T))
        cap_used = np.zeros((len(self.carried.capped), T))
        self._aggregates = AggregateHistory(full, lp)
        first_in_year: set[int] = set()
        solve_s, statuses, replans, built = [], [], 0, len(self.models)
        window, every = self.window or 1, self.every or 1
        t0 = 0
        while t0 < T:
            n = min(window, T - t0)
            k = min(every, n)
            model = self._model(t0, n, k)
            if model.gather is not None and model.lp.stack is not None and lp.stack is not None:
                src, dst, timed = model.gather  # the run's parameters in one copy, then the window's own
                model.lp.stack[dst] = lp.stack[src + t0 * timed]
                model.load(self._carried_values(model, t0, n, state, forecaster(t0, n, k), lake_in, cap_used))
            else:
                model.load(self._values(model, t0, n, k, state, forecaster(t0, n, k), lake_in, cap_used))
            ts = perf_counter()
            outcome, xv, yv, zv = model.solve()
            solve_s.append(perf_counter() - ts)
            replans += 1
            if not outcome.has_solution or xv is None:
                raise SolveError(self._failure(t0, n, outcome), outcome.status)
            statuses.append(outcome.status)
            (fcols, wcols), (frows, wrows) = model.applied[k]
            x[fcols + t0] = xv[wcols]
            if zv is not None:
                z[fcols + t0] = zv[wcols]
            if yv is not None:
                y[frows + t0] = yv[wrows]
                self._year_duals(model, t0, yv, y, first_in_year)
            state = x[lp.var_blocks["storage"].cols[:, t0 + k - 1]] if full.storages else state
            self._account(x, range(t0, t0 + k), lake_in, cap_used)
            t0 += k
            if progress:
                progress(t0, T)
        self._whole_run_violations(x, lake_in)
        if "storage_initial" in lp.var_blocks:  # the run's start: fixed by its bounds
            x[lp.var_blocks["storage_initial"].cols] = p["initial_storage"].values
        if "carryover" in lp.var_blocks:  # the value of what the run leaves in storage at its end
            kept = {s.id: float(v) for s, v in zip(full.storages, x[lp.var_blocks["storage"].cols[:, -1]], strict=True)}
            x[lp.var_blocks["carryover"].cols] = carryover_values(full, kept)
        if yv is not None and "end_storage" in lp.row_blocks and "end_storage" in model.lp.row_blocks:
            y[lp.row_blocks["end_storage"].rows] = yv[model.lp.row_blocks["end_storage"].rows]
        t_ex = perf_counter()
        tables = extract_tables(full, lp, x, y, z)
        objective = float(lp.current["cost"] @ x)
        status = next((s for s in statuses if s != "optimal"), "optimal")
        costs = p["shortfall_cost"]
        summary = build_summary(full, tables, SimpleNamespace(status=status, objective=objective),
                                dict(zip(costs.keys, costs.values.tolist(), strict=True)))
        summary["solver"] = "highs"
        summary["simulation"] = dict(describe(self.mode, self.window, self.every, self.forecast_name, T),
                                     replans=replans, window_models=len(self.models),
                                     window_models_built=len(self.models) - built)
        end = perf_counter()
        timings = {"build": self.build_seconds, "solve": float(sum(solve_s)), "extract": end - t_ex,
                   "total": end - t_start, "replans": replans,
                   "solve_per_replan": float(np.mean(solve_s)) if solve_s else 0.0,
                   "replan_seconds": (t_ex - t_start) / max(1, replans)}
        summary["timings"] = dict(timings)
        summary["notes"] = [*summary.get("notes", []), *lake_share_notes(full, lp, x, tables["targets"]),
                            *self.forecast_notes, *end_concentration_notes(full, lp, x),
                            _mode_note(self.mode, self.window, self.every, self.forecast_name)]
        return Solution(status, objective, tables, summary, timings)

    def _failure(self, t0: int, n: int, outcome) -> str:
        labels = self.full.timeline.labels
        what = f"{self.mode} re-plan at {labels[t0]} over {n} period(s) ({labels[t0]}..{labels[t0 + n - 1]})"
        if outcome.status == "infeasible":
            hint = ("hard targets cannot be met with the water this window has (run without --strict)" if self.strict
                    else "inflows cannot be routed within link capacities, minimum flows and storage bounds "
                         "from the storage carried into this window")
            return f"{what} is infeasible: {hint}"
        return f"{what}: the solver stopped without a solution (status {outcome.status})"

    def _feeds(self, model: WindowModel):
        """(name, key positions in the run's parameter, sliced by period) of every window parameter
        copied from the run's (the inflow, the initial storage, the end storage and the carried
        rows are the simulation's own)."""
        p, T = self.lp.params, self.full.T
        for name, wp in model.lp.params.items():
            fp = p.get(name)
            if fp is None or name in OWN:
                continue
            keys = np.arange(len(fp.keys)) if fp.keys == wp.keys else \
                np.array([fp.position[key] for key in wp.keys], dtype=np.int64)
            yield name, keys, fp.values.ndim == 2 and wp.values.ndim == 2 and fp.values.shape[1] == T

    def _gather_plan(self, model: WindowModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions of the window's copied parameters in the run's parameter vector (at t0 = 0;
        period-sliced ones move with t0) and in the window's."""
        wlp, T = model.lp, self.full.T
        wlp.stack_parameters()
        src, dst, timed = [], [], []
        for name, keys, is_timed in self._feeds(model):
            fp, wp = self.lp.params[name], wlp.params[name]
            inner = T if is_timed else int(np.prod(fp.values.shape[1:], dtype=np.int64))
            width = wp.values.shape[1] if is_timed else inner
            if not is_timed and fp.values[keys].shape != wp.values.shape:
                raise AssertionError(f"window parameter {name} is not the run's")  # pragma: no cover
            s = (keys[:, None] * inner + np.arange(width)[None, :]).reshape(-1)
            src.append(s + self.lp.stack_offsets[name])
            dst.append(np.arange(wp.values.size) + wlp.stack_offsets[name])
            timed.append(np.full(s.size, int(is_timed)))
        return _cat(src), _cat(dst), _cat(timed)

    def _values(self, model: WindowModel, t0: int, n: int, k: int, state, inflow, lake_in, cap_used) -> dict:
        """Every parameter of the window model for the re-plan at t0."""
        p = self.lp.params
        out: dict[str, np.ndarray] = {}
        for name, keys, timed in self._feeds(model):
            v = p[name].values[keys]
            out[name] = v[:, t0:t0 + n] if timed else v
        out.update(self._carried_values(model, t0, n, state, inflow, lake_in, cap_used))
        return out

    def _share_values(self, model: WindowModel, t0: int, n: int, years, req, vmin, ids) -> dict:
        """Coefficients and right-hand sides of the window's lake share rows
        (:func:`balkhash.simulation.windows.define_carried_shares`)."""
        full = self.full
        demand = self.lp.params["demand"].values
        keys = model.lp.params[CARRIED_SHARE_V].keys
        a, c, h = (np.zeros((len(keys), len(years))) for _ in range(3))
        shares = [s for s in full.shares if f"{s.target}:{full.classes[s.cls].name}" in keys]
        for k, s in enumerate(shares):
            g = ids.index(s.target)
            users = full.classes[s.cls].demands
            for j, (start, end, share_days, _) in enumerate(years):
                if share_days is None:  # not a full water year of the run: no share (as in the full LP)
                    continue
                applied = float(self._class_short[s.cls, start:t0].sum())
                if t0 + n >= end:  # the window holds the rest of the year: the year's own row
                    if s.share is not None:
                        a[k, j], c[k, j], h[k, j] = 1.0 - s.share, s.share, s.share * applied
                    else:
                        a[k, j], c[k, j] = float(demand[users, start:end].sum()), float(vmin[g])
                        h[k, j] = c[k, j] * applied
                elif s.share is not None:
                    a[k, j], c[k, j] = 1.0 - s.share, s.share
                else:
                    a[k, j] = float(demand[users, max(start, t0):min(end, t0 + n)].sum())
                    c[k, j] = float(req[g, j])
        return {CARRIED_SHARE_V: a, CARRIED_SHARE_S: c, CARRIED_SHARE_RHS: h}

    def _slots(self, t0: int, n: int) -> list[tuple[int, int, float | None, float]]:
        """The water years a window from t0 over n periods touches, each as (its first period in
        the run, its end, the share of its remaining days inside the window or None when the
        year is not fully inside the run, the share of a full year's days the run holds of it)."""
        key = (t0, n)
        out = self._slot_cache.get(key)
        if out is None:
            tl = self.full.timeline
            wy = tl.water_years.astype(int)
            full_years = tl.full_water_years()
            out = []
            for w in sorted({int(w) for w in wy[t0:t0 + n]}):
                ts = np.flatnonzero(wy == w)
                start, end = int(ts[0]), int(ts[-1]) + 1
                share = None
                if w in full_years:
                    rest = ts[ts >= t0]
                    share = float(tl.days[rest[rest < t0 + n]].sum() / tl.days[rest].sum())
                pro_rata = float(tl.days[ts].sum() / water_year_days(tl.water_year_start_month, w))
                out.append((start, end, share, pro_rata))
            self._slot_cache[key] = out
        return out

    def _carried_values(self, model: WindowModel, t0: int, n: int, state, inflow, lake_in, cap_used) -> dict:
        """The window's own parameters at t0: the inflow as forecast, the storage carried in, the
        end storage (in the window reaching the end of the run) and the carried rows' values."""
        full, p = self.full, self.lp.params
        T = full.T
        out: dict[str, np.ndarray] = {}
        out["inflow"] = inflow
        out["initial_storage"] = state
        if "head" in model.lp.params:  # a level-dependent head: the level of the storage carried in
            out["head"] = self._window_heads(model, n, state)
        if "end_storage" in model.lp.params:
            end = p["end_storage"].values
            out["end_storage"] = end if t0 + n == T else np.zeros_like(end)
        years = self._slots(t0, n)
        if self.carried.lake_targets:
            vmin = p["lake_inflow_target"].values
            req = np.zeros((len(vmin), len(years)))
            for j, (start, _, share, _) in enumerate(years):
                if share is not None:  # a full water year: what it still needs, spread by days
                    req[:, j] = np.maximum(0.0, vmin - lake_in[:, start:t0].sum(axis=1)) * share
            out[CARRIED_LAKE] = req
            ids = self._lake_ids
            out[CARRIED_PENALTY] = p["penalty"].values[self._lake_penalty]
            if CARRIED_SHARE_V in model.lp.params:
                out.update(self._share_values(model, t0, n, years, req, vmin, ids))
        if self.carried.capped:
            cap = p["annual_capacity"].values
            left = np.zeros((len(cap), len(years)))
            for j, (start, _, _, pro_rata) in enumerate(years):
                left[:, j] = np.maximum(0.0, cap * pro_rata - cap_used[:, start:t0].sum(axis=1))
            out[CARRIED_CAPACITY] = left
        if self._aggregates:
            out.update(self._aggregates.values(model.lp.params, t0, n, years))
        return out

    def _window_heads(self, model: WindowModel, n: int, state: np.ndarray) -> np.ndarray:
        """Heads (m) of the window's plants whose head follows a level (the only keys of ``head``):
        the level of the storage carried into the window minus the tailwater, held over the window."""
        full = self.full
        plants = {p.id: p for p in full.plants}
        storage = {s.id: float(state[i]) for i, s in enumerate(full.storages)}
        rows = []
        for pid in model.lp.params["head"].keys:
            p = plants[pid]
            assert p.head_from is not None
            curve = full.storage(p.head_from).curve
            assert curve is not None
            rows.append(np.full(n, float(curve.level_at(storage[p.head_from])) - p.tailwater))
        return np.array(rows)

    def _account(self, x: np.ndarray, periods: range, lake_in: np.ndarray, cap_used: np.ndarray) -> None:
        """The lake inflow and the flow of capped links in the periods just applied."""
        full, lp = self.full, self.lp
        ts = np.arange(periods.start, periods.stop)
        flow = x[lp.var_blocks["flow"].cols[:, ts]] if full.links else np.zeros((0, ts.size))
        if full.shares:
            if self._class_cols is None:  # per class: its users' shortfall columns, (users x blocks) x T
                short = lp.var_blocks["short"].cols
                self._class_cols = [short[cls.demands].reshape(-1, full.T) for cls in full.classes]
            for c, cols in enumerate(self._class_cols):
                self._class_short[c, ts] = x[cols[:, ts]].sum(axis=0)
        if self.carried.capped:
            cap_used[:, ts] = flow[list(self.carried.capped)]
        if self._aggregates:
            self._aggregates.account(x, ts)
        if not self.carried.lake_targets:
            return
        net = full.net
        if self._lake_terms is None:  # per lake target: the links and demand returns reaching it
            gain = link_gains(full, lp)
            self._lake_terms = []
            for t in self.carried.lake_targets:
                node = net.node_pos[t.ref]
                links = np.flatnonzero(net.link_dst == node)
                rets = np.flatnonzero(net.demand_return == node)
                self._lake_terms.append((node, links, gain[links], rets, net.return_share[rets],
                                         lp.var_blocks["short"].cols[rets] if rets.size else None))
        inflow, demand = lp.params["inflow"].values, lp.params["demand"].values
        for g, (node, links, gain, rets, share, ret_cols) in enumerate(self._lake_terms):
            total = gain @ flow[links] + inflow[node, ts]
            if ret_cols is not None:
                target = demand[rets][:, ts]
                short = x[ret_cols[..., ts]].sum(axis=1)
                total = total + share @ np.clip(target - short, 0.0, target)
            lake_in[g, ts] = total

    def _year_duals(self, model: WindowModel, t0: int, yv: np.ndarray, y: np.ndarray, done: builtins.set[int]) -> None:
        """The duals of the lake inflow targets and annual capacities of the water year starting
        inside this re-plan's first period: those of its carried rows at the first re-plan of the year."""
        w0 = int(self.full.timeline.water_years[t0])
        if w0 in done:
            return
        done.add(w0)
        for full_name, win_name in (("lake_inflow", CARRIED_LAKE), ("annual_capacity", CARRIED_CAPACITY),
                                    ("aggregate_annual", "carried_aggregate"),
                                    ("aggregate_ratio_annual", "carried_aggregate_ratio")):
            fb, wb = self.lp.row_blocks.get(full_name), model.lp.row_blocks.get(win_name)
            if fb is None or wb is None or w0 not in list(fb.axes[1]):
                continue
            y[fb.rows[:, list(fb.axes[1]).index(w0)]] = yv[wb.rows[:, 0]]

    def _lake_shares(self, x: np.ndarray) -> dict[tuple[str, int], float]:
        """(lake inflow target, water year) -> the deficit v_w the full LP's ``lake_share`` row
        (:mod:`balkhash.allocation.constraints.policy`) gives the lake for the run's shortfalls:
        the row a_v v_w + a_S . x = 0 solved for v_w, with the matrix's current coefficients (a
        row whose a_v is 0, a share of 1 or a year nothing is asked in, gives none)."""
        lp = self.lp
        rb, vb = lp.row_blocks.get("lake_share"), lp.var_blocks.get("viol_lake_inflow")
        if rb is None or vb is None or not len(rb.axes[0]):
            return {}
        A = lp.A.tocsr()
        vpos = {tid: k for k, tid in enumerate(vb.axes[0])}
        ypos = {w: c for c, w in enumerate(vb.axes[1])}
        out: dict[tuple[str, int], float] = {}
        for k, tid in enumerate(rb.axes[0]):
            for y, w in enumerate(rb.axes[1]):
                row, v = A.getrow(int(rb.rows[k, y])), int(vb.cols[vpos[tid], ypos[w]])
                a_v = float(row[0, v])
                if a_v != 0.0:
                    out[(tid, int(w))] = -(float(row.dot(x)[0]) - a_v * x[v]) / a_v
        return out

    def _whole_run_violations(self, x: np.ndarray, lake_in: np.ndarray) -> None:
        """Set the violations of the whole-run targets that are not per period (lake inflow per water
        year, end storage) from what the run achieved, so x is a solution of the full LP."""
        lp, p = self.lp, self.lp.params
        vb = lp.var_blocks.get("viol_lake_inflow")
        if vb is not None and len(vb):
            ids = [t.id for t in self.carried.lake_targets]
            full_years = self.full.timeline.full_water_years()
            shares = self._lake_shares(x)
            for r, tid in enumerate(vb.axes[0]):
                g = ids.index(tid)
                for c, w in enumerate(vb.axes[1]):
                    got = lake_in[g, full_years[w]].sum()
                    own = max(0.0, float(p["lake_inflow_target"].values[g]) - got)
                    # the policy's share of its class's deficit, as the full LP's lake_share row makes
                    # it: the larger of the two (equal to the optimum's when the share binds)
                    x[vb.cols[r, c]] = max(own, shares.get((tid, w), 0.0))
        vb = lp.var_blocks.get("viol_end_storage")
        if vb is not None and len(vb):
            st = [s.id for s in self.full.storages]
            end = p["end_storage"]
            for r, tid in enumerate(vb.axes[0]):
                node = self.full.target_by_id[tid].ref
                s_end = x[lp.var_blocks["storage"].cols[st.index(node), -1]]
                x[vb.cols[r]] = max(0.0, float(end.values[end.position[tid]]) - s_end)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def _period_pairs(full_blocks: dict, win_blocks: dict, attr: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(full block, window block) index arrays of every block whose last axis is the periods."""
    pairs = []
    for name, fb in full_blocks.items():
        wb = win_blocks.get(name)
        if wb is None or not fb.axes or not isinstance(fb.axes[-1], range) or not isinstance(wb.axes[-1], range):
            continue
        if [list(a) for a in fb.axes[:-1]] != [list(a) for a in wb.axes[:-1]]:
            continue
        pairs.append((getattr(fb, attr), getattr(wb, attr)))
    return pairs


#: the last period holding more than this share of the run's shortfall and eco-flow violations gets a note
END_SHARE_NOTE = 0.5
#: ... when it holds at least this much, Mm3
END_NOTE_MM3 = 1.0


def end_concentration_notes(full, lp, x: np.ndarray) -> list[str]:
    """A note when the last period of a step or rolling run holds most of its users' shortfall and
    eco-flow violations (Mm3) while an end-storage target is set: only the windows reaching the
    end of the horizon see that target, so the reservoirs are refilled at the end
    (docs/simulation.md, 'What is not modelled')."""
    T = full.T
    end = lp.params.get("end_storage")
    if T < 2 or end is None or not np.any(np.asarray(end.values) > 0):
        return []
    per = np.zeros(T)
    for name, blk in lp.var_blocks.items():
        if name not in ("short", "viol_eco_flow") or not isinstance(blk.axes[-1], range) or len(blk.axes[-1]) != T:
            continue
        cols = np.asarray(blk.cols).reshape(-1, T)
        per += np.clip(x[cols], 0.0, None).sum(axis=0)
    total = float(per.sum())
    last = float(per[-1])
    if last < END_NOTE_MM3 or last <= END_SHARE_NOTE * total:
        return []
    label = full.timeline.labels[-1]
    return [f"the last period {label} holds {100 * last / total:.0f} % of the run's shortfall and eco-flow "
            f"violations ({last:,.1f} of {total:,.1f} Mm3): in step and rolling mode the end-storage target "
            "applies only in the windows that reach the end of the horizon, so the reservoirs are refilled "
            "there (docs/simulation.md, 'What is not modelled'; a carry-over value on the reservoirs, or "
            "a longer --window, spreads it)"]


def _mode_note(mode: str, window, every, forecast: str) -> str:
    if mode == "step":
        return "simulated one period at a time (step): each period's LP sees only its own inflows"
    return (f"simulated with a rolling horizon: re-planned every {every} period(s) over the next {window} "
            f"with the {forecast} forecast (the applied periods see the actual inflows)")


def simulate(basin, *, mode: str = "optimise", window: int | None = None, every: int | None = None,
             forecast: str | Path | None = "climatology", climatology=None, strict: bool = False,
             fair_sharing: bool | None = None, time_limit: float | None = None, log: bool = False,
             threads: int | None = None, highs_options: dict | None = None) -> Solution:
    """Solve ``basin`` in simulation ``mode``: 'optimise' (the whole horizon at once, perfect
    foresight), 'step' (one period at a time) or 'rolling' (re-plan every ``every`` periods over
    the next ``window`` with ``forecast``: 'climatology', 'persistence', 'perfect' or a forecast CSV
    file).  ``climatology``: a basin whose calendar-month mean inflows are the climatology (default:
    the run's own).  ``highs_options``: HiGHS options by name for every model solved.  The
    solution has the tables of an optimise run; ``summary['simulation']`` says the mode, window
    and forecast."""
    window, every = check_options(mode, window, every)
    if mode == "optimise":
        sol = Allocation(basin, strict=strict, fair_sharing=fair_sharing, time_limit=time_limit, log=log,
                         threads=threads, highs_options=highs_options).solve()
        sol.summary["simulation"] = describe("optimise", None, None, None, int(sol.summary["periods"]["count"]))
        return sol
    sim = Simulator(basin, mode=mode, window=window, every=every, forecast=forecast, climatology_basin=climatology,
                    strict=strict, fair_sharing=fair_sharing, time_limit=time_limit, log=log, threads=threads,
                    highs_options=highs_options)
    return sim.solve()
