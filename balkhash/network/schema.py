"""The basin data model: nodes, links, targets, hydropower plants and model options.

Each field states its unit in its description; `docs/data-format.md` documents the same fields.
A basin is a directed graph: water moves along links from node to node; demands send their
non-consumed water to a ``return_to`` node; lakes and sinks are terminal.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from .periods import EndStorage, LinkSegment, PeriodValues, ShortfallCurve, StorageSegment
from .quantities import FlowSeries, LevelAreaVolume, MonthlyDepth, RuleCurve, Strict, Volume
from .timeline import STEPS, Timeline, parse_period

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-\.]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, description="unique identifier (letters, digits, _ - .)")]

SECTORS = ("agriculture", "industry", "utilities", "fisheries", "environment", "hydropower", "other")
Sector = Literal["agriculture", "industry", "utilities", "fisheries", "environment", "hydropower", "other"]


class NodeBase(Strict):
    id: Id
    name: str | None = Field(None, description="display name")
    description: str | None = Field(None, description="free text: what the node is, its source")
    x: float | None = Field(None, description="map x coordinate (e.g. longitude) for plots")
    y: float | None = Field(None, description="map y coordinate (e.g. latitude) for plots")
    source: str | None = Field(None, description="where the numbers come from (URL or citation)")


class InflowNode(NodeBase):
    """A boundary or headwater inflow: water entering the basin."""

    type: Literal["inflow"] = "inflow"
    inflow: FlowSeries = Field(description="inflow series (flow units)")
    transboundary: bool = Field(False, description="true for inflow from another country")
    country: str | None = Field(None, description="ISO code of the upstream country, e.g. CN")


class JunctionNode(NodeBase):
    """A confluence or split point; no storage."""

    type: Literal["junction"] = "junction"
    inflow: FlowSeries | None = Field(None, description="optional local inflow (flow units)")


class SinkNode(NodeBase):
    """A terminal outflow: water leaving the basin (outlet, evaporation sink)."""

    type: Literal["sink"] = "sink"


class CarryoverValue(Strict):
    """The value of water kept in storage at the end of a model's horizon: the end of each step in
    step mode, of each re-plan's window in rolling mode, of the horizon in optimise mode.
    Piecewise linear and concave: ``value[k]`` per Mm3 for the storage between ``storage[k]`` and
    ``storage[k+1]`` (or between the volumes of ``level_m[k]`` and ``level_m[k+1]``, lakes and
    reservoirs with a table), non-increasing."""

    storage: list[float] | None = Field(None, description="breakpoints, ascending, in `unit`")
    level_m: list[float] | None = Field(None, description="breakpoints as levels, m BS, ascending (needs a table)")
    unit: Literal["Mm3", "km3"] = Field("Mm3", description="unit of `storage`")
    value: list[float] = Field(description="value per Mm3 of each segment, >= 0, non-increasing")

    @field_validator("value")
    @classmethod
    def _values(cls, v: list[float]) -> list[float]:
        if not v or any(not (x >= 0 and x < float("inf")) for x in v):
            raise ValueError("needs one finite value >= 0 per segment")
        if any(b > a for a, b in pairwise(v)):
            raise ValueError("must not increase from one segment to the next (a concave value: water "
                             "kept is worth less the more there is)")
        return v

    def model_post_init(self, _context) -> None:
        points = self.storage if self.storage is not None else self.level_m
        if (self.storage is None) == (self.level_m is None):
            raise ValueError("give the breakpoints as either storage or level_m")
        assert points is not None
        if any(not (x > -float("inf") and x < float("inf")) for x in points) or \
                any(b <= a for a, b in pairwise(points)):
            raise ValueError("breakpoints must be finite and strictly ascending")
        if len(points) != len(self.value) + 1:
            raise ValueError(f"{len(points)} breakpoints need {len(points) - 1} values (one per segment), "
                             f"got {len(self.value)}")


class CarriedStorage(Strict):
    """What a reservoir and a lake carry from one period into the next (docs/data-format.md)."""

    carry_factor: float | PeriodValues | None = Field(
        None, description="share of the storage at the end of a period that is still there at the start of the "
        "next (1: no loss; CALVIN's amplitude of storage links), a number or per period")
    storage_segments: list[StorageSegment] | None = Field(
        None, description="the storage carried into each next period as segments with their own bounds and costs "
        "(a piecewise carry-over value per period)")


class ReservoirNode(NodeBase, CarriedStorage):
    """A regulated storage."""

    type: Literal["reservoir"] = "reservoir"
    min_storage: Volume = Field(description="dead storage / minimum operating volume (Mm3 or km3)")
    max_storage: Volume = Field(description="normal maximum operating volume (Mm3 or km3)")
    initial_storage: Volume = Field(description="storage at the start of the first period")
    table: LevelAreaVolume | None = Field(None, description="level-area-volume table")
    area_km2: float | None = Field(
        None, description="constant surface area (km2) used for evaporation when no table is given"
    )
    evaporation_mm: MonthlyDepth | None = Field(None, description="net evaporation depth per month (mm)")
    rule_curve: RuleCurve | None = Field(None, description="monthly storage bounds")
    inflow: FlowSeries | None = Field(None, description="optional local inflow into the reservoir")
    end_storage: Literal["initial", "free"] | Volume | EndStorage = Field(
        "initial",
        description="end-of-horizon condition: 'initial' (final >= initial), 'free', a minimum volume, or "
        "{equal: V} (final = V, hard)",
    )
    carryover_value: CarryoverValue | None = Field(
        None, description="value per Mm3 of the water kept at the end of a model's horizon (concave, piecewise)")
    enabled: bool = Field(True, description="false removes the reservoir (its links pass water through)")


class DemandNode(NodeBase):
    """A water user.  Delivery is what its incoming links bring; shortfall = target - delivery."""

    type: Literal["demand"] = "demand"
    sector: Sector = Field(description="one of " + ", ".join(SECTORS))
    target: FlowSeries = Field(description="requested volume per period (flow units)")
    consumptive_fraction: float = Field(
        1.0, ge=0.0, le=1.0, description="share of the delivery consumed (0..1); the rest returns"
    )
    return_to: str | None = Field(None, description="node receiving the non-consumed part")
    shortfall_cost: float | None = Field(None, ge=0.0, description="cost per Mm3 of shortfall")
    priority: int | None = Field(
        None, ge=1, le=10, description="1 (first served) .. 10; mapped to cost 1000/priority per Mm3"
    )
    shortfall_curve: ShortfallCurve | None = Field(
        None, description="this demand's own piecewise shortfall cost: blocks and multipliers of its shortfall "
        "cost (default: the basin's sharing blocks)")
    area_kha: float | None = Field(None, ge=0.0, description="irrigated area, thousand ha (information)")
    group: str | None = Field(None, min_length=1, max_length=100, description="group of users the summary and "
                              "the plan workbook sum over: a district, a canal, an intake")


class LakeNode(NodeBase, CarriedStorage):
    """A terminal lake with its own water balance."""

    type: Literal["lake"] = "lake"
    table: LevelAreaVolume = Field(description="level-area-volume table")
    initial_level_m: float = Field(description="level at the start of the first period, m BS")
    evaporation_mm: MonthlyDepth = Field(description="evaporation depth per month (mm)")
    precipitation_mm: MonthlyDepth | None = Field(None, description="precipitation on the lake, mm")
    groundwater_inflow: FlowSeries | None = Field(None, description="groundwater inflow (flow units)")
    inflow: FlowSeries | None = Field(None, description="other direct inflow counted as lake inflow")
    carryover_value: CarryoverValue | None = Field(
        None, description="value per Mm3 of the water kept at the end of a model's horizon (concave, piecewise)")
    end_storage: Volume | EndStorage | None = Field(
        None, description="end-of-horizon condition: none, a minimum volume (soft, like a reservoir's), or "
        "{equal: V} (final = V, hard)")
    reference_levels_m: dict[str, float] = Field(
        default_factory=dict, description="named reference levels, m BS, drawn as lines on plots (information)"
    )
    level_band_m: list[float] | None = Field(
        None, description="[low, high] level range, m BS, shaded on plots, e.g. the safe range (information)"
    )

    @field_validator("level_band_m")
    @classmethod
    def _band(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and (len(v) != 2 or not v[0] < v[1]):
            raise ValueError("level_band_m needs two levels [low, high] with low < high")
        return v


Node = Annotated[
    InflowNode | JunctionNode | SinkNode | ReservoirNode | DemandNode | LakeNode,
    Field(discriminator="type"),
]
NODE_TYPES = ("inflow", "junction", "sink", "reservoir", "demand", "lake")
TERMINAL_TYPES = ("lake", "sink")
#: the flow series fields of each node type, in the order :func:`iter_flow_series` yields them
NODE_FLOW_FIELDS = {"inflow": ("inflow",), "junction": ("inflow",), "sink": (), "reservoir": ("inflow",),
                    "demand": ("target",), "lake": ("inflow", "groundwater_inflow")}


class Link(Strict):
    """A river reach, canal or pipe from one node to another."""

    id: Id
    from_: str = Field(alias="from", description="upstream node id")
    to: str = Field(description="downstream node id")
    name: str | None = Field(None, description="display name")
    capacity: FlowSeries | None = Field(None, description="maximum flow (flow units); none = unlimited")
    annual_capacity: FlowSeries | None = Field(
        None, description="maximum volume per water year (Mm3/yr or km3/yr, 'annual' form)"
    )
    min_flow: FlowSeries | None = Field(None, description="hard minimum flow (flow units)")
    loss_fraction: float = Field(0.0, ge=0.0, lt=1.0, description="share of the flow lost on the way")
    gain: float | None = Field(None, gt=0.0, le=100.0, description="share of the flow entering that arrives "
                               "(amplitude; above 1 for a gain): arrival = gain x flow; instead of loss_fraction")
    cost: float | PeriodValues = Field(0.0, description="cost per Mm3 carried: a number, 12 monthly numbers "
                                       "({monthly: [...]}) or one per period ({series: [...]}, {file, column})")
    segments: list[LinkSegment] | None = Field(
        None, description="the flow as parallel segments, each between its own bounds at its own cost "
        "(piecewise-linear cost; CALVIN's k-indexed links)")
    source: str | None = Field(None, description="where the numbers come from")

    def model_post_init(self, _context) -> None:
        if self.gain is not None and self.loss_fraction != 0.0:
            raise ValueError("give either gain or loss_fraction (gain = 1 - loss_fraction)")
        if self.segments is not None and not self.segments:
            raise ValueError("segments: give at least one segment, or leave the field out")

    @property
    def arrival_share(self) -> float:
        """Share of the flow entering that arrives at the downstream node."""
        return float(self.gain) if self.gain is not None else 1.0 - self.loss_fraction

    @field_validator("annual_capacity")
    @classmethod
    def _annual(cls, v: FlowSeries | None) -> FlowSeries | None:
        if v is not None and v.annual is None:
            raise ValueError("annual_capacity must be an annual volume, e.g. '0.4 km3/yr'")
        if v is not None and v.profile is not None:
            raise ValueError("a bound per water year has no profile (for a limit per "
                             "month give the link a capacity with monthly values)")
        return v


class TargetBase(Strict):
    id: Id
    hard: bool = Field(False, description="true: must hold (infeasible otherwise); false: penalised")
    penalty: float | None = Field(None, ge=0.0, description="cost per Mm3 of violation (soft targets)")
    source: str | None = Field(None, description="where the number comes from")


class EcoFlowTarget(TargetBase):
    """Ecological minimum flow on a link, per period."""

    type: Literal["eco_flow"] = "eco_flow"
    link: str = Field(description="link id")
    min_flow: FlowSeries = Field(description="minimum flow (flow units)")


class LakeInflowTarget(TargetBase):
    """Minimum total inflow into a lake per water year."""

    type: Literal["lake_inflow"] = "lake_inflow"
    lake: str = Field(description="lake node id")
    min_annual_km3: float = Field(ge=0.0, description="minimum inflow per water year, km3")


class LakeLevelTarget(TargetBase):
    """Minimum lake level at the end of every period (an exact storage bound from the table)."""

    type: Literal["lake_level"] = "lake_level"
    lake: str = Field(description="lake node id")
    min_level_m: float = Field(description="minimum level, m BS")


Target = Annotated[EcoFlowTarget | LakeInflowTarget | LakeLevelTarget, Field(discriminator="type")]


class HydropowerPlant(Strict):
    """A hydropower plant turbining the flow of one link at a fixed head.

    energy [GWh] = k x turbine flow [Mm3], k = rho g H eta / 3.6e12 x 1e6.
    """

    id: Id
    link: str = Field(description="link whose flow passes the turbines")
    head_m: float = Field(gt=0.0, description="net head, m: the head of every period, or with `head_from` the "
                          "design head that the discharge at installed capacity is derived from")
    head_from: str | None = Field(
        None, description="reservoir whose level sets the head: head = level of the period's mean storage - "
        "`tailwater_m` (needs the reservoir's level-area-volume table)")
    tailwater_m: float | None = Field(None, description="tailwater level, m, with `head_from`")
    efficiency: float = Field(0.9, gt=0.0, le=1.0, description="turbine-generator efficiency")
    capacity_mw: float = Field(gt=0.0, description="installed capacity, MW")
    max_turbine_flow_m3s: float | None = Field(None, gt=0.0, description="turbine discharge limit, m3/s")
    energy_target_gwh: list[float] | None = Field(
        None, description="energy wanted per calendar month Jan..Dec, GWh (optional)"
    )
    energy_shortfall_cost: float = Field(0.0, ge=0.0, description="cost per GWh of energy shortfall")
    enabled: bool = Field(True, description="false ignores the plant")
    source: str | None = Field(None, description="where the numbers come from")

    @field_validator("energy_target_gwh")
    @classmethod
    def _twelve(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and len(v) != 12:
            raise ValueError(f"energy_target_gwh needs 12 values (Jan..Dec), got {len(v)}")
        return v

    def model_post_init(self, _context) -> None:
        if (self.head_from is None) != (self.tailwater_m is None):
            raise ValueError("head_from and tailwater_m go together: the head is the reservoir's level minus the "
                             "tailwater level")


class CalendarSpec(Strict):
    start: str = Field("2025-10", description="first period: a month YYYY-MM (at dekad step its first dekad), or "
                       "YYYY-MM-D (dekad D = 1, 2, 3) at dekad step")
    periods: int = Field(12, ge=1, le=3600, description="number of periods of the step (12 months or 36 dekads "
                         "a water year)")
    water_year_start_month: int = Field(10, ge=1, le=12, description="first month of the water year")
    step: Literal["month", "dekad"] = Field("month", description="the period: a calendar month, or a dekad "
                                            "(days 1-10, 11-20, 21-end of each month)")
    period_days: float | None = Field(None, gt=0, le=366, description="every period lasts this many days instead "
                                      "of its month's (a model of another tool with a timestep of D days, one "
                                      "period each, as `balkhash import pywr` writes it): flows in m3/s use it; "
                                      "the labels stay months")

    @field_validator("start")
    @classmethod
    def _month(cls, v: str) -> str:
        parse_period(v)
        return v

    @model_validator(mode="after")
    def _start_of_step(self) -> CalendarSpec:
        if parse_period(self.start)[2] and self.step != "dekad":
            raise ValueError(f"start '{self.start}' names a dekad: give step: dekad, or start at a month YYYY-MM")
        if self.periods > 100 * STEPS[self.step]:
            raise ValueError(f"periods: at most {100 * STEPS[self.step]} {self.step}s (100 years), got {self.periods}")
        return self

    def timeline(self) -> Timeline:
        return Timeline.from_start(self.start, self.periods, self.water_year_start_month, self.step, self.period_days)


POLICY_PRESETS = ("lake_first", "users_first", "proportional", "water_code")


class PolicyClass(Strict):
    """One class of a policy's order (first served first): water users (``sectors`` and/or
    ``demands``), the ecological targets (``targets``) or the reservoirs' end storage
    (``end_storage``)."""

    name: Id
    sectors: list[Sector] = Field(default_factory=list, description="the users of these sectors")
    demands: list[str] = Field(default_factory=list, description="these demand ids")
    targets: list[str] | Literal["ecological"] | None = Field(
        None, description="target ids, or 'ecological': every lake_inflow, lake_level and eco_flow target "
        "without a penalty of its own")
    end_storage: bool = Field(False, description="the reservoirs' end-of-horizon storage")
    proportional: bool = Field(True, description="users of the class get the same share of their target "
                               "in every period")


class LakeShare(Strict):
    """The lake's part of a shortage: the lake inflow deficit of a water year against the shortfall
    of the users of one class in that year."""

    share_with: str = Field(description="the user class whose shortage the lake shares")
    share: float | Literal["proportional"] = Field(
        description="the lake's share of the deficit (lake deficit / (lake deficit + class shortfall)), in "
        "[0, 1]; or 'proportional': the lake's inflow deficit and the class's cut in the same proportion")
    targets: list[str] | Literal["ecological"] = Field(
        "ecological", description="the targets sharing: the lake inflow targets among them share the deficit, "
        "the others take the class's cost")

    @field_validator("share", mode="before")
    @classmethod
    def _share(cls, v):
        if v == "proportional":
            return v
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0:
            raise ValueError(f"must be a share in [0, 1] or 'proportional', got {v!r}")
        return float(v)


class Policy(Strict):
    """An allocation policy: classes in order of priority, equal shares within a class, the lake's
    place or share (docs/data-format.md, Policies)."""

    classes: list[PolicyClass] = Field(description="first served first")
    lake_share: LakeShare | None = Field(None, description="the lake shares a class's deficit (instead of a "
                                         "place of its own among the classes)")
    base_cost: float = Field(100.0, gt=0.0, le=1e6, description="cost per Mm3 short of the last class")
    cost_ratio: float = Field(10.0, gt=1.0, le=100.0, description="cost of a class / cost of the next one")


class Options(Strict):
    """Model options that a basin may set (and a run may override)."""

    fair_sharing: bool = Field(True, description="split shortfalls into blocks with rising cost")
    sharing_blocks: list[float] = Field(
        [0.1, 0.25, 0.5, 1.0], description="upper bounds of the shortfall blocks, as fractions of target"
    )
    sharing_multipliers: list[float] = Field(
        [1.0, 1.2, 1.5, 2.0], description="cost multiplier of each block (non-decreasing)"
    )
    default_shortfall_cost: float = Field(100.0, ge=0.0, description="cost per Mm3 when none is given")
    target_penalty: float = Field(
        10_000.0, ge=0.0, description="default penalty per Mm3 of a violated soft target"
    )
    end_storage_penalty: float = Field(
        5_000.0, ge=0.0, description="penalty per Mm3 below the end-of-horizon storage"
    )
    cycle_cost: float = Field(
        1e-5, ge=0.0, le=1.0,
        description="tie-breaker, cost per Mm3 on every link without a cost of its own that lies on a cycle of the "
        "network (return flows to an aquifer pumped back): water does not circulate for nothing, so the same basin "
        "gives the same tables; 0 = off",
    )
    storage_deviation_cost: float = Field(
        0.001, ge=0.0,
        description="tie-breaker, cost per Mm3 and period of a reservoir's storage away from its reference "
        "(the initial storage, kept inside the rule curve): among plans of equal cost, reservoirs move only "
        "as far and as long as the water is needed; keep it far below every other cost (the default 0.001: "
        "1 Mm3 held away for 100 years of months costs 1.2, against 100 per Mm3 of shortfall); 0 = off",
    )

    policy: str | None = Field(
        None, description="allocation policy: a preset (" + ", ".join(POLICY_PRESETS) + "), the name of one in "
        "`policies`, or 'none' (the default: the users' own shortfall costs and the targets' own penalties)")
    policies: dict[str, Policy] = Field(default_factory=dict, description="named policies of the basin")

    @field_validator("sharing_multipliers")
    @classmethod
    def _nondecreasing(cls, v: list[float]) -> list[float]:
        if any(b < a for a, b in pairwise(v)):
            raise ValueError("sharing_multipliers must be non-decreasing")
        return v


#: the basin file format this balkhash reads (a basin's ``format_version``)
FORMAT_VERSION = 1


class Basin(Strict):
    """A whole basin: metadata, calendar, profiles, nodes, links, targets, plants, options."""

    name: str = Field(description="basin name")
    description: str | None = None
    format_version: int = Field(1, description=f"file format version (this balkhash reads {FORMAT_VERSION})")
    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    profiles: dict[str, list[float]] = Field(
        default_factory=dict, description="named 12-month profiles (fractions Jan..Dec)"
    )
    nodes: list[Node] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    hydropower: list[HydropowerPlant] = Field(default_factory=list)
    options: Options = Field(default_factory=Options)
    sources: dict[str, str] = Field(default_factory=dict, description="citations referenced by key")
    splits: list[FlowSplit] = Field(default_factory=list, description="fixed fractions of a node's outflow")
    aggregates: list[Aggregate] = Field(default_factory=list, description="limits on sums of flows over groups")

    _base_dir: str | None = PrivateAttr(None)
    _tables: dict = PrivateAttr(default_factory=dict)
    #: CSV series shorter than the horizon repeat by calendar month (set by multi-year scenarios)
    _cyclic: bool = PrivateAttr(False)
    #: the nodes and links read from a CSV table: "node 'ID'" -> (the table's path, the item's line)
    _rows: dict[str, tuple[str, int]] = PrivateAttr(default_factory=dict)
    #: the file the basin was read from (None: built in Python)
    _file: str | None = PrivateAttr(None)

    @field_validator("format_version")
    @classmethod
    def _format_version(cls, v: int) -> int:
        if v != FORMAT_VERSION:
            raise ValueError(f"this balkhash reads format version {FORMAT_VERSION}, got {v}")
        return v

    @property
    def base_dir(self) -> str | None:
        return self._base_dir

    def timeline(self) -> Timeline:
        return self.calendar.timeline()

    def node(self, node_id: str):
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(f"no node '{node_id}' in basin '{self.name}' (nodes: {_some(n.id for n in self.nodes)})")

    def nodes_of(self, kind: str) -> list:
        return [n for n in self.nodes if n.type == kind]

    def link(self, link_id: str) -> Link:
        for lk in self.links:
            if lk.id == link_id:
                return lk
        raise KeyError(f"no link '{link_id}' in basin '{self.name}' (links: {_some(lk.id for lk in self.links)})")


def _some(ids, n: int = 8) -> str:
    """'A, B, C, ... (12 in all)': the first ``n`` ids."""
    ids = list(ids)
    return ", ".join(ids[:n]) + (f", ... ({len(ids)} in all)" if len(ids) > n else "")


def iter_flow_series(basin: Basin):
    """Yield (label, field, FlowSeries) for every flow series in the basin."""
    every = ("inflow", "target", "groundwater_inflow")
    for n in basin.nodes:
        for field in NODE_FLOW_FIELDS.get(getattr(n, "type", ""), every):
            fs = getattr(n, field, None)
            if isinstance(fs, FlowSeries):
                yield f"node '{n.id}'", field, fs
    for lk in basin.links:
        where = f"link '{lk.id}'"
        if lk.capacity is not None:
            yield where, "capacity", lk.capacity
        if lk.min_flow is not None:
            yield where, "min_flow", lk.min_flow
        if lk.annual_capacity is not None:
            yield where, "annual_capacity", lk.annual_capacity
        for k, seg in enumerate(lk.segments or ()):
            for field in ("capacity", "min_flow"):
                fs = getattr(seg, field)
                if fs is not None:
                    yield f"link '{lk.id}'", f"segments[{k}].{field}", fs
    for t in basin.targets:
        fs = getattr(t, "min_flow", None)
        if fs is not None:
            yield f"target '{t.id}'", "min_flow", fs
    for a in basin.aggregates:
        for field in ("min", "max", "equal"):
            fs = getattr(a, field)
            if fs is not None:
                yield f"aggregate '{a.id}'", field, fs


class FlowSplit(Strict):
    """Fixed fractions of a node's outflow over some of its out-links (Pywr's RiverSplit ``factors``):
    in every period the flow of ``links[i]`` is ``fractions[i]`` times the sum of the flows of every
    link leaving ``node``."""

    id: Id
    node: str = Field(description="the node whose outflow is split (an inflow, junction or reservoir)")
    links: list[str] = Field(min_length=1, description="links leaving `node`")
    fractions: list[float] = Field(min_length=1, description="share of the node's outflow on each link, in "
                                   "[0, 1]; sum <= 1, and 1 when `links` are all the node's out-links")
    source: str | None = Field(None, description="where the numbers come from")


class FlowGroup(Strict):
    """A weighted sum of flows per period: link flows, demands' deliveries and nodes' local inflows."""

    links: list[str] = Field(default_factory=list, description="link ids: their flows")
    demands: list[str] = Field(default_factory=list, description="demand ids: their deliveries")
    inflows: list[str] = Field(default_factory=list, description="node ids: their local inflows (fixed)")
    weights: dict[str, float] = Field(default_factory=dict, description="weight of a member in the sum, by id "
                                      "(default 1)")


class GroupRatio(Strict):
    """The group's sum against ``ratio`` times the sum of another group ``of``."""

    of: FlowGroup = Field(description="the other group")
    min: float | None = Field(None, ge=0.0, description="the group's sum >= min x the other's")
    max: float | None = Field(None, ge=0.0, description="the group's sum <= max x the other's")
    equal: float | None = Field(None, ge=0.0, description="the group's sum = equal x the other's")


class Aggregate(FlowGroup):
    """A constraint on the sum of a group's flows, per period or per water year: bounds ``min``,
    ``max`` or ``equal`` (flow units per period; annual units with ``per: water_year``), or a
    ``ratio`` to another group's sum (hard: the LP is infeasible when it cannot hold)."""

    id: Id
    min: FlowSeries | None = Field(None, description="lower bound of the sum (flow units)")
    max: FlowSeries | None = Field(None, description="upper bound of the sum (flow units)")
    equal: FlowSeries | None = Field(None, description="the sum's value (flow units)")
    ratio: GroupRatio | None = Field(None, description="bounds relative to another group's sum")
    per: Literal["period", "water_year"] = Field("period", description="the sums are per period or per water year")
    source: str | None = Field(None, description="where the numbers come from")


Basin.model_rebuild()
