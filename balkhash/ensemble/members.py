"""Ensemble members on one persistent model: set the member's inflows, re-solve warm, keep the arrays.

A :class:`MemberSpec` is everything a worker needs (picklable: the basin under its scenario, the
simulation mode, the nodes the generator drives); :func:`model_for` keeps one
:class:`MemberModel` per spec in each process, so a worker builds its LP once and every member
after the first only changes the inflow parameters (:meth:`Allocation.set`) and re-solves from
the last basis.

**Inflows of a member** with annual volumes :math:`C_w, K_w` (km3, :mod:`.generator`):
the transboundary node gets :math:`1000\\, C_w\\, s_{m(t)}` Mm3 in period :math:`t` of water year
:math:`w`, with :math:`s` the 12 monthly shares of the node's basin series (the border profile);
every Kazakh inflow node :math:`n` gets its basin series :math:`q_{n,t} K_w / \\bar K`, with
:math:`\\bar K` the record mean of the Kazakh part.

**Arrays kept** (from the solver's column values in optimise mode, without building the result
tables; from the result tables in step and rolling mode), per period :math:`t`: the storage of
every reservoir and lake (Mm3) and the level of every lake (m BS, its level-area-volume table),
the delivery and shortfall of every demand (Mm3), the flow of every link (Mm3), the local inflow
of every driven node (Mm3); per water year: the surface inflow of every lake (km3: links after
losses, returns and local inflow, as the ``arrivals`` table sums it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import numpy as np

from ..errors import EXIT_NO_SOLUTION, BalkhashError


class EnsembleError(BalkhashError):
    """An ensemble that cannot be run as asked (no transboundary node, a bad horizon, no cluster)."""


class NoMemberSolved(EnsembleError):
    """Not one member of the ensemble has a solution."""

    exit_code = EXIT_NO_SOLUTION


#: the arrays of one member, per period (T, ...) or per water year (Y, ...)
PERIOD_ARRAYS = ("level_m", "storage_mm3", "delivered_mm3", "shortfall_mm3", "flow_mm3", "inflow_mm3")
YEAR_ARRAYS = ("lake_inflow_km3",)


@dataclass
class MemberSpec:
    """What a worker needs to solve members (sent once per worker)."""

    basin: object  # the Basin under the scenario, horizon set
    mode: str = "optimise"
    window: int | None = None
    every: int | None = None
    forecast: str = "climatology"
    china_node: str = ""
    kazakh_nodes: tuple[str, ...] = ()
    kazakh_mean_km3: float = 1.0
    key: str = field(default_factory=lambda: uuid.uuid4().hex)


class MemberModel:
    """One persistent LP (optimise) or simulator (step, rolling) solving member after member."""

    def __init__(self, spec: MemberSpec) -> None:
        from ..scenarios.transboundary import monthly_shares

        t0 = perf_counter()
        self.spec = spec
        self.model: Any
        if spec.mode == "optimise":
            from ..allocation.solve import Allocation

            # no ``threads``: HiGHS keeps one thread scheduler per process, and asking a later
            # instance for another number of threads makes its runs fail (kNotset); unaggregated, so
            # that every member starts from the one basis of the basin as given, whatever the
            # members before it changed (a change can make an aggregated LP aggregate anew)
            self.model = Allocation(spec.basin, aggregate=False)
            self.data = self.model.data
        else:
            from ..simulation.simulator import Simulator

            self.model = Simulator(spec.basin, mode=spec.mode, window=spec.window, every=spec.every,
                                   forecast=spec.forecast, climatology_basin=spec.basin)
            self.data = self.model.full
        self.lp = self.model.lp
        d = self.data
        tl = d.timeline
        years = tl.full_water_years()
        if len(years) != len(set(tl.water_years.tolist())):
            raise EnsembleError("the ensemble's horizon must be whole water years (start in the first month of "
                                "a water year)")
        self.water_years = sorted(years)
        self.year_index = np.searchsorted(self.water_years, tl.water_years.astype(int))
        self.nodes = (spec.china_node, *spec.kazakh_nodes)
        self.base = {n: np.asarray(self.model.get("inflow", n), dtype=float) for n in self.nodes}
        self.shares = monthly_shares(self.base[spec.china_node], tl.season_index, tl.per_year)[tl.season_index]
        self.lakes = [s for s in d.storages if s.kind == "lake"]
        self.basis = None
        if spec.mode == "optimise":  # the basis every batch starts from: that of the basin as given
            # Devex pricing: ~8 % fewer dual simplex iterations and ~20 % less time per member on the
            # default 15-year basin than HiGHS's default dual steepest edge (benchmarks/ensemble.py)
            self.model.backend.highs.setOptionValue("simplex_dual_edge_weight_strategy", 1)
            self.model.backend.solve()
            self.basis = self.model.backend.highs.getBasis()
        self.build_seconds = perf_counter() - t0

    def reset(self) -> None:
        """Forget the warm-start history: the solver starts again from the basis of the basin as
        given (optimise) or cold (every window model of a simulation), so the members of a batch
        give the same numbers whatever was solved before them."""
        if self.spec.mode == "optimise":
            highs = self.model.backend.highs
            highs.clearSolver()
            highs.setBasis(self.basis)
        else:
            for window in self.model.models.values():
                window.alloc.backend.highs.clearSolver()

    @property
    def shape(self) -> dict[str, tuple[int, ...]]:
        d = self.data
        return {"level_m": (d.T, len(self.lakes)), "storage_mm3": (d.T, len(d.storages)),
                "delivered_mm3": (d.T, len(d.demands)), "shortfall_mm3": (d.T, len(d.demands)),
                "flow_mm3": (d.T, len(d.links)), "inflow_mm3": (d.T, len(self.nodes)),
                "lake_inflow_km3": (len(self.water_years), len(self.lakes))}

    def inflows(self, q: np.ndarray) -> dict[str, np.ndarray]:
        """Mm3 per period of every driven node for annual volumes q (years, 2) km3."""
        c = q[self.year_index, 0]
        k = q[self.year_index, 1] / self.spec.kazakh_mean_km3
        out: dict[str, np.ndarray] = {self.spec.china_node: 1000.0 * c * self.shares}
        for n in self.spec.kazakh_nodes:
            out[n] = self.base[n] * k
        return out

    def run(self, q: np.ndarray) -> dict:
        """Solve one member with annual volumes ``q`` (years, 2) km3; its arrays, status, objective."""
        q = np.asarray(q, dtype=float)
        if q.shape != (len(self.water_years), 2):
            raise EnsembleError(f"a member needs {len(self.water_years)} water years x (China, Kazakh) volumes, "
                                f"got {q.shape}")
        inflow = self.inflows(q)
        for n, v in inflow.items():
            self.model.set("inflow", n, v)
        t0 = perf_counter()
        if self.spec.mode == "optimise":
            outcome = self.model.backend.solve()
            if outcome.status != "optimal":
                # a warm start can end in HiGHS's kUnknown (numerical trouble on the way from another
                # member's basis; 1 member in 1,000 on the default basin): solve that member again cold
                self.model.backend.highs.clearSolver()
                outcome = self.model.backend.solve()
            x = self.model.backend.col_value
            if not outcome.has_solution or x is None:
                return self._failed(outcome.status, perf_counter() - t0, inflow)
            out: dict[str, Any] = dict(self.arrays_from_solution(x))
            objective = float(outcome.objective) if outcome.objective is not None else float("nan")
            status = outcome.status
        else:
            from ..allocation.solve import SolveError

            try:
                sol = self.model.solve()
            except SolveError as exc:
                return self._failed(exc.status, perf_counter() - t0, inflow)
            out = dict(self.arrays_from_tables(sol.tables))
            objective, status = float(sol.objective or 0.0), sol.status
        out["inflow_mm3"] = np.stack([inflow[n] for n in self.nodes], axis=1)
        out.update(status=status, objective=objective, seconds=perf_counter() - t0)
        return out

    def _failed(self, status: str, seconds: float, inflow: dict) -> dict:
        out: dict = {k: np.full(s, np.nan) for k, s in self.shape.items()}
        out["inflow_mm3"] = np.stack([inflow[n] for n in self.nodes], axis=1)
        out.update(status=status, objective=float("nan"), seconds=seconds)
        return out

    # -- the arrays of a solution ----------------------------------------------------------------
    def arrays_from_solution(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """The member's arrays from the LP's column values (no result tables)."""
        d, lp = self.data, self.lp
        T, L, D = d.T, len(d.links), len(d.demands)
        p = lp.params
        storage = x[lp.var_blocks["storage"].cols].reshape(len(d.storages), T) if d.storages else np.zeros((0, T))
        flow = x[lp.var_blocks["flow"].cols].reshape(L, T).copy() if L else np.zeros((0, T))
        target = p["demand"].values.reshape(D, T) if D else np.zeros((0, T))
        short = x[lp.var_blocks["short"].cols].reshape(D, -1, T).sum(axis=1) if D else np.zeros((0, T))
        delivered = np.clip(target - short, 0.0, target)
        net = d.net
        folded = np.flatnonzero(net.link_folded >= 0)
        if folded.size:  # a folded inlet carries the delivery: x = y / (1 - loss)
            flow[folded] = delivered[net.link_folded[folded]] / net.link_gain[folded][:, None]
        arriving = np.zeros((len(d.nodes), T))
        np.add.at(arriving, net.link_dst, net.link_gain[:, None] * flow)
        has = net.demand_return >= 0
        np.add.at(arriving, net.demand_return[has], net.return_share[has][:, None] * delivered[has])
        arriving += p["inflow"].values.reshape(len(d.nodes), T)
        pos = {s.id: i for i, s in enumerate(d.storages)}
        level = np.stack([s.curve.level_at(storage[pos[s.id]]) for s in self.lakes if s.curve is not None], axis=1) \
            if self.lakes else np.zeros((T, 0))
        lake_in = np.zeros((len(self.water_years), len(self.lakes)))
        for j, s in enumerate(self.lakes):
            np.add.at(lake_in[:, j], self.year_index, arriving[net.node_pos[s.id]] / 1000.0)
        return {"level_m": level, "storage_mm3": storage.T.copy(), "delivered_mm3": delivered.T.copy(),
                "shortfall_mm3": (target - delivered).T.copy(), "flow_mm3": flow.T.copy(),
                "lake_inflow_km3": lake_in}

    def arrays_from_tables(self, tables: dict) -> dict[str, np.ndarray]:
        """The member's arrays from the result tables of a solution."""
        d = self.data
        T = d.T
        st = tables["storage"]
        dl = tables["deliveries"]
        fl = tables["flows"]
        ar = tables["arrivals"]

        def grid(df, key, ids, col):
            v = df[col].to_numpy().reshape(len(ids), T)  # tables are blocks of T periods in model order
            assert list(df[key].to_numpy()[::T]) == list(ids), "result tables are in model order"
            return v.T.copy()

        storage = grid(st, "node", [s.id for s in d.storages], "storage_mm3")
        level = grid(st, "node", [s.id for s in d.storages], "level_m")
        idx = [i for i, s in enumerate(d.storages) if s.kind == "lake"]
        lake_in = np.zeros((len(self.water_years), len(self.lakes)))
        for j, s in enumerate(self.lakes):
            v = ar.loc[ar["node"] == s.id, "arriving_mm3"].to_numpy()
            np.add.at(lake_in[:, j], self.year_index, v / 1000.0)
        return {"level_m": level[:, idx], "storage_mm3": storage,
                "delivered_mm3": grid(dl, "demand", [x.id for x in d.demands], "delivered_mm3"),
                "shortfall_mm3": grid(dl, "demand", [x.id for x in d.demands], "shortfall_mm3"),
                "flow_mm3": grid(fl, "link_id", [x.id for x in d.links], "flow_mm3"),
                "lake_inflow_km3": lake_in}


#: one model per spec in this process (a Dask worker keeps its model between tasks)
_MODELS: dict[str, MemberModel] = {}


def model_for(spec: MemberSpec) -> MemberModel:
    model = _MODELS.get(spec.key)
    if model is None:
        _MODELS.clear()  # one ensemble at a time per process
        model = _MODELS[spec.key] = MemberModel(spec)
    return model


def solve_order(q: np.ndarray) -> np.ndarray:
    """The order in which to solve members (members, years, 2): each next member the nearest, in
    log volumes, to the one before (greedy, from the driest), so that every warm start begins from
    the basis of a similar member (about 20 % fewer simplex iterations on the default basin than
    the drawing order); by mean volume above 4 000 members."""
    x = np.log(np.maximum(q, 1e-9)).reshape(len(q), -1)
    mean = x.mean(axis=1)
    if len(q) > 4000:
        return np.argsort(mean, kind="stable")
    order = [int(np.argmin(mean))]
    left = np.ones(len(q), dtype=bool)
    left[order[0]] = False
    for _ in range(len(q) - 1):
        idx = np.flatnonzero(left)
        j = int(idx[np.argmin(((x[idx] - x[order[-1]]) ** 2).sum(axis=1))])
        order.append(j)
        left[j] = False
    return np.asarray(order, dtype=np.int64)


def run_batch(spec: MemberSpec, q: np.ndarray, ids) -> dict:
    """Members ``ids`` with annual volumes q (len(ids), years, 2), in that order, on this process's
    model (reset first: a batch's numbers depend only on its members); their arrays stacked along
    a leading member axis."""
    model = model_for(spec)
    model.reset()
    results = [model.run(qm) for qm in q]
    out: dict = {k: np.stack([r[k] for r in results]) for k in (*PERIOD_ARRAYS, *YEAR_ARRAYS)}
    out["status"] = [r["status"] for r in results]
    out["objective"] = np.array([r["objective"] for r in results])
    out["seconds"] = np.array([r["seconds"] for r in results])
    out["ids"] = np.asarray(ids, dtype=np.int64)
    return out


def merge(batches: list[dict]) -> dict:
    """Batches (any order) into one set of arrays in member order."""
    ids = np.concatenate([b["ids"] for b in batches])
    back = np.argsort(ids, kind="stable")
    out: dict = {k: np.concatenate([b[k] for b in batches])[back]
                 for k in (*PERIOD_ARRAYS, *YEAR_ARRAYS, "objective", "seconds")}
    status = [s for b in batches for s in b["status"]]
    out["status"] = [status[i] for i in back]
    return out


#: members per batch: the unit of work sent to a worker, and of the warm-start chain
BATCH = 25


def batches(q: np.ndarray, size: int = BATCH) -> list[np.ndarray]:
    """The member ids in :func:`solve_order`, cut into runs of ``size``: the same batches however
    many workers solve them, so that Dask and the serial run solve every member from the same
    warm start and give the same numbers."""
    order = solve_order(q)
    return [order[i:i + size] for i in range(0, len(order), size)]


def run_serial(spec: MemberSpec, q: np.ndarray, progress=None) -> dict:
    """Every member in this process, batch after batch (``progress(done, total)`` after each)."""
    out, done = [], 0
    for ids in batches(q):
        out.append(run_batch(spec, q[ids], ids))
        done += len(ids)
        if progress:
            progress(done, len(q))
    return merge(out)
