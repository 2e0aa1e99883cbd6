"""Compile a validated Basin into the plain numbers the LP builders use.

This is the boundary between the basin as data and the LP: everything here is in Mm3 per period
(flows), Mm3 (storage), mm (depths) and plain Python/numpy containers, with adjacency built once.
The builders never see units, profiles or files.  Domain node types map onto four LP primitives:

* **balance node** (inflow, junction, demand, disabled reservoir): no storage;
* **storage node** (reservoir, lake): continuity with evaporation;
* **demand**: a balance node whose arrivals are its delivery;
* **sink**: absorbs whatever reaches it (no balance row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..network.periods import EndStorage, flow_values, period_values
from ..network.policy import ClassData, ShareData, compile_policy
from ..network.quantities import Volume
from ..network.schema import Basin
from ..network.series import depth_mm
from ..network.timeline import Timeline
from ..network.units import gwh_per_mm3, m3s_to_mm3
from .lav import LavCurve


@dataclass
class SegmentData:
    """One segment of a link's flow or of a storage: bounds and cost per period."""

    lower: np.ndarray  # Mm3 per period (flows) or Mm3 at the end of each period (storage)
    upper: np.ndarray  # inf = unlimited
    cost: np.ndarray  # per Mm3, per period


@dataclass
class LinkData:
    id: str
    src: str
    dst: str
    loss: float  # 1 - gain: negative for a link that gains water
    cost: float | np.ndarray  # per Mm3: one number, or one per period
    lower: np.ndarray  # Mm3 per period
    upper: np.ndarray  # Mm3 per period (inf = unlimited)
    annual_cap: float | None  # Mm3 per water year
    segments: list[SegmentData] = field(default_factory=list)


@dataclass
class StorageData:
    id: str
    kind: str  # "reservoir" | "lake"
    s0: float  # Mm3 at start
    lower: np.ndarray  # Mm3, end of each period
    upper: np.ndarray
    net_evap_mm: np.ndarray  # evaporation minus precipitation, mm per period
    evap_mm: np.ndarray
    precip_mm: np.ndarray
    curve: LavCurve | None
    area0: float  # km2: area = area0 + area1 * storage (linear fit)
    area1: float  # km2 per Mm3
    fit_range: tuple[float, float]  # Mm3, storage range of the area fit
    end_min: float | None  # Mm3, end-of-horizon minimum (None = free)
    #: the carry-over value curve: breakpoints (Mm3, ascending) and the value per Mm3 of each segment
    carryover: tuple[np.ndarray, np.ndarray] | None = None
    #: share of the storage at the end of period t still there at the start of t + 1 (None: all of it)
    carry: np.ndarray | None = None
    #: the storage at the end of each period as segments with their own bounds and costs
    segments: list[SegmentData] = field(default_factory=list)
    #: Mm3: the storage at the end of the last period, exactly (None: no such condition)
    end_equal: float | None = None
    #: share of the initial storage that reaches the first period (a window's: the carry factor of the
    #: period before it)
    carry_in: float = 1.0
    #: Mm3: the end-of-horizon target as the basin sets it, when it lies above what the storage may
    #: hold at the end of the last period (its rule curve max or max_storage); ``end_min`` is then
    #: that bound, a target that can be met (None: the target as set)
    end_requested: float | None = None


@dataclass
class DemandData:
    id: str
    sector: str
    target: np.ndarray  # Mm3 per period
    cost: float  # per Mm3 of shortfall (before block multipliers)
    consumptive: float
    return_to: str | None
    group: str | None = None  # the district, canal or intake it belongs to (information)
    #: its own shortfall blocks (upper bounds, fractions of the target) and multipliers (None: the basin's)
    curve: tuple[list[float], list[float]] | None = None


@dataclass
class TargetData:
    id: str
    type: str
    ref: str  # link or lake id
    hard: bool
    penalty: float
    values: np.ndarray | float  # eco: Mm3 per period; lake_inflow: Mm3 per water year; level: m
    storage_min: float | None = None  # lake_level: Mm3 equivalent of min level
    follows_initial: bool = False  # end_storage: "initial", so it follows the initial storage
    own_penalty: bool = False  # the basin gives this target a penalty of its own


@dataclass
class PlantData:
    id: str
    link: str
    k: float  # GWh per Mm3
    qmax: np.ndarray  # Mm3 per period that can pass the turbines (capacity and discharge limit)
    target: np.ndarray | None  # GWh per period
    cost: float  # per GWh short
    k1: float = 0.0  # GWh per Mm3 and m of head: energy = k1 * head * turbine flow
    head: np.ndarray | None = None  # m per period: the fixed head, or the first iterate with head_from
    head_from: str | None = None  # reservoir whose level sets the head
    tailwater: float = 0.0  # m, with head_from


@dataclass
class ModelData:
    """Everything the LP needs, as numbers in Mm3, Mm3/period, mm and GWh."""

    name: str
    timeline: Timeline
    inflow: dict[str, np.ndarray]  # node -> local inflow Mm3/period (inflow nodes, junctions, storages)
    balance_nodes: list[str]
    storages: list[StorageData]
    demands: list[DemandData]
    sinks: list[str]
    links: list[LinkData]
    targets: list[TargetData]
    plants: list[PlantData]
    groundwater: dict[str, np.ndarray]  # lake -> Mm3/period (not counted as lake inflow)
    links_in: dict[str, list[int]] = field(default_factory=dict)
    links_out: dict[str, list[int]] = field(default_factory=dict)
    returns_in: dict[str, list[int]] = field(default_factory=dict)  # node -> demand indices
    fair_sharing: bool = True
    blocks: list[float] = field(default_factory=lambda: [1.0])
    multipliers: list[float] = field(default_factory=lambda: [1.0])
    node_type: dict[str, str] = field(default_factory=dict)
    storage_deviation_cost: float = 0.0  # per Mm3 and period away from the reference storage
    spill_penalty: float = 1e-3  # per Mm3 of lake water above the table's top (SPILL_COST)
    #: link index -> demand index: the demand's only inlet, which carries exactly its delivery
    #: (see :func:`folded_inlets`); decided once when compiling
    folded: dict[int, int] = field(default_factory=dict)
    #: the allocation policy (None: the users' own costs): its classes of users and the lake shares
    policy: str | None = None
    classes: list[ClassData] = field(default_factory=list)
    shares: list[ShareData] = field(default_factory=list)
    #: flow splits and aggregated constraints (:func:`compile_groups`)
    groups: GroupsData | None = None

    @cached_property
    def target_by_id(self) -> dict[str, TargetData]:
        return {tg.id: tg for tg in self.targets}

    @property
    def T(self) -> int:
        return self.timeline.n

    @cached_property
    def nodes(self) -> list[str]:
        """Every node id, in basin order (positions index the arrays of :attr:`net`)."""
        return list(self.node_type)

    @cached_property
    def net(self) -> NetworkArrays:
        return NetworkArrays.of(self)

    def storage(self, node_id: str) -> StorageData:
        for s in self.storages:
            if s.id == node_id:
                return s
        raise KeyError(node_id)

    def link_index(self, link_id: str) -> int:
        for i, lk in enumerate(self.links):
            if lk.id == link_id:
                return i
        raise KeyError(link_id)


@dataclass(frozen=True)
class NetworkArrays:
    """The network as frozen position arrays (nodes in :attr:`ModelData.nodes` order)."""

    node_pos: dict[str, int]
    link_src: np.ndarray  # node position of each link's source
    link_dst: np.ndarray
    link_gain: np.ndarray  # 1 - loss fraction
    demand_node: np.ndarray  # node position of each demand
    demand_return: np.ndarray  # node position of its return node, -1 when none
    return_share: np.ndarray  # 1 - consumptive fraction (0 without a return node)
    link_folded: np.ndarray  # per link: the demand it is folded into, -1 when it is a column

    @classmethod
    def of(cls, data: ModelData) -> NetworkArrays:
        pos = {n: i for i, n in enumerate(data.nodes)}

        def arr(values, dtype):
            out = np.array(values, dtype=dtype)
            out.setflags(write=False)
            return out

        ret = [pos[d.return_to] if d.return_to is not None and d.consumptive < 1.0 else -1 for d in data.demands]
        return cls(
            node_pos=pos,
            link_src=arr([pos[lk.src] for lk in data.links], np.int64),
            link_dst=arr([pos[lk.dst] for lk in data.links], np.int64),
            link_gain=arr([1.0 - lk.loss for lk in data.links], float),
            demand_node=arr([pos[d.id] for d in data.demands], np.int64),
            demand_return=arr(ret, np.int64),
            return_share=arr([(1.0 - d.consumptive) if r >= 0 else 0.0 for d, r in zip(data.demands, ret,
                                                                                        strict=True)], float),
            link_folded=arr([data.folded.get(i, -1) for i in range(len(data.links))], np.int64),
        )


#: cost per Mm3 of lake water above the top of its table: far below any shortfall cost or target
#: penalty, so a full lake spills (reported) and never makes a user go short; above zero, so a
#: lake below its top never spills for nothing
SPILL_COST = 1e-3


def _shortfall_cost(d, options) -> float:
    if d.shortfall_cost is not None:
        return float(d.shortfall_cost)
    if d.priority is not None:
        return 1000.0 / d.priority
    return float(options.default_shortfall_cost)


def _carryover(node, curve: LavCurve | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The node's carry-over value curve as (breakpoints in Mm3, value per Mm3 of each segment)."""
    cv = node.carryover_value
    if cv is None:
        return None
    if cv.storage is not None:
        points = np.asarray(cv.storage, dtype=float) * (1000.0 if cv.unit == "km3" else 1.0)
    else:
        assert curve is not None  # validated: level breakpoints need a table
        points = np.asarray(curve.volume_at(np.asarray(cv.level_m, dtype=float)), dtype=float)
    return points, np.asarray(cv.value, dtype=float)


def _storage_extras(node, basin: Basin, tl: Timeline) -> tuple:
    """(carry, segments, end_equal) of a reservoir or lake."""
    carry = None if node.carry_factor is None else period_values(node.carry_factor, basin, tl)
    segments = [SegmentData(period_values(g.min, basin, tl), period_values(g.capacity, basin, tl, np.inf),
                            period_values(g.cost, basin, tl)) for g in node.storage_segments or []]
    end = node.end_storage
    return carry, segments, end.equal.mm3 if isinstance(end, EndStorage) else None


def clip_end_target(s: StorageData) -> None:
    """An end-of-horizon target above the storage's upper bound in the last period (an initial
    storage above the rule curve's last month with ``end_storage: initial``) cannot be met: it
    becomes that bound, the target as set kept in ``end_requested`` (the summary notes it)."""
    if s.end_min is not None and s.end_min > float(s.upper[-1]):
        s.end_requested, s.end_min = s.end_min, float(s.upper[-1])


def cycle_links(basin: Basin, links: list[LinkData]) -> list[int]:
    """Positions of the links that lie on a cycle of the network (both ends in one strongly
    connected component; demand return flows count as edges)."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_edges_from((lk.src, lk.dst) for lk in links)
    g.add_edges_from((n.id, n.return_to) for n in basin.nodes
                     if n.type == "demand" and n.return_to is not None and n.consumptive_fraction < 1.0)
    comp: dict[str, int] = {}
    for k, c in enumerate(nx.strongly_connected_components(g)):
        if len(c) > 1:
            comp.update(dict.fromkeys(c, k))
    return [i for i, lk in enumerate(links) if lk.src in comp and comp[lk.src] == comp.get(lk.dst)]


def _area_fit(curve: LavCurve | None, const_area: float | None, lo: float, hi: float):
    if curve is None:
        return float(const_area or 0.0), 0.0
    return curve.fit_area(lo, hi)


def compile_basin(basin: Basin, strict: bool = False, fair_sharing: bool | None = None,
                  fold_inlets: bool = False) -> ModelData:
    """Turn a validated basin into ModelData.  ``strict`` makes every target hard; ``fold_inlets``
    folds each demand's only, unconstrained inlet into it (:func:`folded_inlets`)."""
    tl = basin.timeline()
    T = tl.n
    opts = basin.options
    inflow: dict[str, np.ndarray] = {}
    groundwater: dict[str, np.ndarray] = {}
    balance_nodes, storages, demands, sinks = [], [], [], []
    node_type: dict[str, str] = {}
    end_initial: set[str] = set()
    for n in basin.nodes:
        node_type[n.id] = n.type
        fs = getattr(n, "inflow", None)
        if fs is not None:
            inflow[n.id] = flow_values(fs, basin, tl)
        if n.type in ("inflow", "junction"):
            balance_nodes.append(n.id)
        elif n.type == "sink":
            sinks.append(n.id)
        elif n.type == "demand":
            balance_nodes.append(n.id)
            demands.append(
                DemandData(
                    n.id, n.sector, flow_values(n.target, basin, tl), _shortfall_cost(n, opts),
                    n.consumptive_fraction, n.return_to, n.group,
                    None if n.shortfall_curve is None else (list(n.shortfall_curve.blocks),
                                                            list(n.shortfall_curve.multipliers)),
                )
            )
        elif n.type == "reservoir" and not n.enabled:
            balance_nodes.append(n.id)
            node_type[n.id] = "junction"
        elif n.type == "reservoir":
            curve = LavCurve.from_table(n.table) if n.table is not None else None
            smin, smax = n.min_storage.mm3, n.max_storage.mm3
            lower, upper = np.full(T, smin), np.full(T, smax)
            if n.rule_curve is not None:
                f = 1000.0 if n.rule_curve.unit == "km3" else 1.0
                if n.rule_curve.min is not None:
                    lower = np.maximum(lower, tl.end_of_month_state(n.rule_curve.min) * f)
                if n.rule_curve.max is not None:
                    upper = np.minimum(upper, tl.end_of_month_state(n.rule_curve.max) * f)
            a0, a1 = _area_fit(curve, n.area_km2, smin, smax)
            ev = depth_mm(n.evaporation_mm, basin, tl)
            if n.end_storage == "free":
                end_min = None
            elif n.end_storage == "initial":
                end_min = n.initial_storage.mm3
                end_initial.add(n.id)
            elif isinstance(n.end_storage, EndStorage):
                end_min = None  # exact: the bounds of the last period
            else:
                end_min = n.end_storage.mm3
            storages.append(
                StorageData(n.id, "reservoir", n.initial_storage.mm3, lower, upper, ev, ev, np.zeros(T),
                            curve, a0, a1, (smin, smax), end_min, _carryover(n, curve),
                            *_storage_extras(n, basin, tl))
            )
        elif n.type == "lake":
            curve = LavCurve.from_table(n.table)
            s0 = curve.volume_at(n.initial_level_m)
            lo_h = max(curve.levels[0], n.initial_level_m - 2.0)
            hi_h = min(curve.levels[-1], n.initial_level_m + 2.0)
            a0, a1 = curve.fit_area(curve.volume_at(lo_h), curve.volume_at(hi_h))
            ev = depth_mm(n.evaporation_mm, basin, tl)
            pr = depth_mm(n.precipitation_mm, basin, tl)
            if n.groundwater_inflow is not None:
                groundwater[n.id] = flow_values(n.groundwater_inflow, basin, tl)
            end_min = n.end_storage.mm3 if isinstance(n.end_storage, Volume) else None
            storages.append(
                StorageData(n.id, "lake", s0, np.full(T, curve.volumes[0]), np.full(T, curve.volumes[-1]),
                            ev - pr, ev, pr, curve, a0, a1,
                            (curve.volume_at(lo_h), curve.volume_at(hi_h)), end_min, _carryover(n, curve),
                            *_storage_extras(n, basin, tl))
            )

    for s in storages:
        if s.end_equal is not None:  # an exact end storage: the bounds of the last period
            s.lower, s.upper = s.lower.copy(), s.upper.copy()
            s.lower[-1] = s.upper[-1] = s.end_equal
        clip_end_target(s)

    links = []
    for lk in basin.links:
        upper = flow_values(lk.capacity, basin, tl) if lk.capacity is not None else np.full(T, np.inf)
        lower = flow_values(lk.min_flow, basin, tl) if lk.min_flow is not None else np.zeros(T)
        cap = lk.annual_capacity  # the schema makes an annual_capacity an annual volume
        annual = cap.annual * cap.factor if cap is not None and cap.annual is not None else None
        cost = float(lk.cost) if isinstance(lk.cost, (int, float)) else period_values(lk.cost, basin, tl)
        segments = [SegmentData(flow_values(g.min_flow, basin, tl) if g.min_flow is not None else np.zeros(T),
                                flow_values(g.capacity, basin, tl) if g.capacity is not None else np.full(T, np.inf),
                                period_values(g.cost, basin, tl)) for g in lk.segments or []]
        links.append(LinkData(lk.id, lk.from_, lk.to, 1.0 - lk.arrival_share, cost, lower, upper, annual,
                              segments))
    if opts.cycle_cost > 0:
        for i in cycle_links(basin, links):
            if not np.any(links[i].cost):
                links[i].cost = float(opts.cycle_cost)

    targets = []
    for t in basin.targets:
        hard = bool(t.hard or strict)
        pen = float(t.penalty if t.penalty is not None else opts.target_penalty)
        if t.type == "eco_flow":
            targets.append(TargetData(t.id, t.type, t.link, hard, pen, flow_values(t.min_flow, basin, tl),
                                      own_penalty=t.penalty is not None))
        elif t.type == "lake_inflow":
            targets.append(TargetData(t.id, t.type, t.lake, hard, pen, t.min_annual_km3 * 1000.0,
                                      own_penalty=t.penalty is not None))
        elif t.type == "lake_level":
            curve = LavCurve.from_table(basin.node(t.lake).table)
            targets.append(
                TargetData(t.id, t.type, t.lake, hard, pen, t.min_level_m, curve.volume_at(t.min_level_m),
                           own_penalty=t.penalty is not None)
            )

    for s in storages:
        if s.end_min is not None:
            targets.append(
                TargetData(f"end_storage:{s.id}", "end_storage", s.id, strict, opts.end_storage_penalty,
                           s.end_min, follows_initial=s.id in end_initial)
            )

    plants = []
    for p in basin.hydropower:
        if not p.enabled:
            continue
        k = gwh_per_mm3(p.head_m, p.efficiency)
        hours = tl.days * 24.0
        qmax = p.capacity_mw * hours / 1000.0 / k  # Mm3 that produce full capacity
        if p.max_turbine_flow_m3s is not None:
            qmax = np.minimum(qmax, m3s_to_mm3(p.max_turbine_flow_m3s, tl.days))
        tgt = tl.per_month(p.energy_target_gwh) if p.energy_target_gwh else None
        head = np.full(tl.n, float(p.head_m))
        if p.head_from is not None:  # first iterate: the head at the reservoir's initial storage
            s0 = next(s for s in storages if s.id == p.head_from)
            assert s0.curve is not None
            assert p.tailwater_m is not None
            head[:] = float(s0.curve.level_at(s0.s0)) - p.tailwater_m
        plants.append(PlantData(p.id, p.link, k, np.asarray(qmax, dtype=float), tgt, p.energy_shortfall_cost,
                                gwh_per_mm3(1.0, p.efficiency), head, p.head_from, p.tailwater_m or 0.0))

    fs = opts.fair_sharing if fair_sharing is None else fair_sharing
    multipliers = list(opts.sharing_multipliers) if fs else [1.0]
    policy = compile_policy(basin, demands, targets, multipliers)
    if policy is not None:
        for j, c in policy.demand_cost.items():
            demands[j].cost = c
        for i, c in policy.target_penalty.items():
            targets[i].penalty = c
    data = ModelData(
        name=basin.name, timeline=tl, inflow=inflow, balance_nodes=balance_nodes, storages=storages,
        demands=demands, sinks=sinks, links=links, targets=targets, plants=plants,
        groundwater=groundwater, fair_sharing=fs,
        blocks=list(opts.sharing_blocks) if fs else [1.0],
        multipliers=multipliers,
        node_type=node_type, storage_deviation_cost=float(opts.storage_deviation_cost),
        spill_penalty=SPILL_COST,
        policy=None if policy is None else policy.name,
        classes=[] if policy is None else policy.classes, shares=[] if policy is None else policy.shares,
    )
    for i, ld in enumerate(links):
        data.links_out.setdefault(ld.src, []).append(i)
        data.links_in.setdefault(ld.dst, []).append(i)
    for j, d in enumerate(demands):
        if d.return_to is not None and d.consumptive < 1.0:
            data.returns_in.setdefault(d.return_to, []).append(j)
    data.groups = compile_groups(basin, tl)
    if fold_inlets:
        data.folded = folded_inlets(data)
    return data


def folded_inlets(data: ModelData) -> dict[int, int]:
    """Demand inlets folded into their demand: a link l that is the only way water reaches demand
    d (no other link, no return flow, no local inflow at d) and that nothing else constrains (no
    capacity, no minimum flow, no cost, no annual licence, no eco-flow target, no plant) carries
    exactly the delivery: (1 - loss_l) x_l = y_d.  Its flow is then not a column of the LP nor the
    demand's balance a row: x_l = y_d / (1 - loss_l) is written where x_l appears (the source's
    balance), and the tables and duals are recovered from it.

    Off by default: the aggregation before HiGHS (:mod:`balkhash.allocation.aggregate`) does the
    same substitution for large LPs, and more, while keeping the inlets' own parameters in
    ``Allocation.set``; folding at compile time serves solvers reached through Pyomo that have
    no presolve of their own."""
    constrained = {t.ref for t in data.targets if t.type == "eco_flow"} | {p.link for p in data.plants}
    constrained |= data.groups.links if data.groups is not None else set()
    out = {}
    for j, d in enumerate(data.demands):
        inlets = data.links_in.get(d.id, [])
        if len(inlets) != 1 or data.returns_in.get(d.id) or d.id in data.inflow:
            continue
        i = inlets[0]
        lk = data.links[i]
        if (lk.loss >= 1.0 or lk.loss < 0.0 or np.any(lk.cost) or lk.annual_cap is not None or lk.segments
                or lk.id in constrained
                or np.any(lk.lower != 0.0) or np.any(np.isfinite(lk.upper))):
            continue
        out[i] = j
    return out


@dataclass
class SplitData:
    id: str
    node: str
    links: list[int]  # link positions
    fractions: np.ndarray


@dataclass
class GroupTerms:
    """A weighted sum of flows: (position, weight) of its links, demands and inflow nodes."""

    links: list[tuple[int, float]]
    demands: list[tuple[int, float]]
    inflows: list[tuple[str, float]]


@dataclass
class AggregateData:
    id: str
    terms: GroupTerms
    per: str  # "period" | "water_year"
    lower: np.ndarray | float | None  # Mm3 per period (T) or per water year; None: no bound
    upper: np.ndarray | float | None
    of: GroupTerms | None = None  # a ratio's other group
    ratio_min: float | None = None
    ratio_max: float | None = None


@dataclass
class GroupsData:
    """The basin's flow splits and aggregated constraints, over the periods ``labels``."""

    labels: list[str]
    splits: list[SplitData]
    aggregates: list[AggregateData]
    #: ids of the links that a split or an aggregate names (never folded into a demand)
    links: set[str] = field(default_factory=set)


def _group_terms(group, link_pos: dict[str, int], demand_pos: dict[str, int]) -> GroupTerms:
    w = group.weights
    return GroupTerms([(link_pos[i], float(w.get(i, 1.0))) for i in group.links],
                      [(demand_pos[i], float(w.get(i, 1.0))) for i in group.demands],
                      [(i, float(w.get(i, 1.0))) for i in group.inflows])


def compile_groups(basin: Basin, tl: Timeline) -> GroupsData | None:
    """The splits and aggregates of a validated basin in Mm3 (None when it has neither)."""
    if not basin.splits and not basin.aggregates:
        return None
    link_pos = {lk.id: i for i, lk in enumerate(basin.links)}
    demand_pos = {n.id: j for j, n in enumerate(basin.nodes_of("demand"))}
    splits = [SplitData(s.id, s.node, [link_pos[i] for i in s.links], np.asarray(s.fractions, dtype=float))
              for s in basin.splits]
    aggs = []
    named: list[str] = [i for s in basin.splits for i in s.links]
    named += [lk.id for s in basin.splits for lk in basin.links if lk.from_ == s.node]

    def bound(fs):
        if fs is None:
            return None
        if fs.annual is not None:
            return float(fs.annual * fs.factor)  # Mm3 per water year
        return flow_values(fs, basin, tl)

    for a in basin.aggregates:
        lo = bound(a.equal if a.equal is not None else a.min)
        hi = bound(a.equal if a.equal is not None else a.max)
        r = a.ratio
        aggs.append(AggregateData(
            a.id, _group_terms(a, link_pos, demand_pos), a.per, lo, hi,
            None if r is None else _group_terms(r.of, link_pos, demand_pos),
            None if r is None else (r.equal if r.equal is not None else r.min),
            None if r is None else (r.equal if r.equal is not None else r.max)))
        named += list(a.links) + (list(r.of.links) if r is not None else [])
    return GroupsData(list(tl.labels), splits, aggs, set(named))
