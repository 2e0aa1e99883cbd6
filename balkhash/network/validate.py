"""Graph and value checks on a parsed basin (all problems at once).

:func:`check_basin` runs after the schema (pydantic) has accepted the file and the CSV series
have been read.  It never raises for bad input: every rule family below is a small function that
returns the problems it finds, and :func:`check_basin` concatenates them.  Each problem names the
file, the node/link/target/plant/profile, the field and what is wrong.

Families (see docs/data-format.md, "Validation"):

* ids         - duplicate ids among nodes, links, targets, hydropower plants
* references  - links, return flows, targets and plants that point at unknown or wrong things
* graph       - terminal reachability, connectivity, link directions, return flows (cycles allowed)
* series      - flow series resolve over the model periods, no negative or missing values
* profiles    - 12 non-negative fractions summing to 1; monthly depths non-negative
* tables      - level-area-volume tables monotone and non-negative
* reservoirs  - storage bounds, initial and end storage, rule curves, table coverage
* lakes       - initial level and level targets inside the table
* links       - capacity >= minimum flow, also per segment
* period values - per-period costs, carry factors and storage segments resolve and lie in range
* options     - fair-sharing blocks and multipliers
* magnitudes  - volumes, flows, depths, areas and costs within the range the LP resolves; no
                non-zero volume below the resolution :data:`MIN_MM3`
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import pairwise
from types import SimpleNamespace

import networkx as nx
import numpy as np

from .errors import Problem
from .messages import a_kind
from .periods import EndStorage, flow_values, iter_period_values, period_values
from .quantities import FlowSeries, LevelAreaVolume, MonthlyDepth
from .schema import NODE_TYPES, TERMINAL_TYPES, iter_flow_series
from .series import depth_mm
from .timeline import Timeline
from .units import VOLUME_UNITS
from .validate_groups import check_groups
from .validate_plants import check_plant_heads

#: tolerance on the sum of a 12-month profile
PROFILE_TOLERANCE = 0.01
#: at most this many periods are quoted in one message
_QUOTE = 3
#: the largest volume a basin may hold or move in one period, Mm3 (1e6 km3: far above any river
#: basin; larger numbers overflow or leave the LP without a usable scale)
MAX_MM3 = 1e9
#: the smallest non-zero volume balkhash resolves, Mm3 (100 m3).  HiGHS meets every balance row to
#: its primal feasibility tolerance, 1e-7 Mm3 in absolute terms: at 1e-4 Mm3 that is 0.1 % of the
#: value, at 1e-6 Mm3 it is 10 % (the solver says "optimal" all the same).  Volumes below it are
#: refused: give 0 or at least this (a basin of very small volumes can state them in Mm3 x 1000).
MIN_MM3 = 1e-4
#: the largest cost or penalty per Mm3 (or per GWh)
MAX_COST = 1e9
#: the largest depth per month (mm) and surface area (km2)
MAX_DEPTH_MM = 1e5
MAX_AREA_KM2 = 1e7


def check_basin(basin, file: str) -> list[Problem]:
    """Return every problem found in ``basin`` (read from ``file``); empty when valid."""
    from .tables import no_collection

    with no_collection():  # a big basin: millions of objects made, none of them garbage cycles
        return _check_basin(basin, file)


def _check_basin(basin, file: str) -> list[Problem]:
    tl = basin.timeline()
    nodes = _first_by_id(basin.nodes)
    links = _first_by_id(basin.links)
    graph = IndexGraph(basin, nodes)
    series = list(iter_flow_series(basin))
    flows = _resolve_flows(basin, tl, series)  # (where, field) -> Mm3 per period, or the error message

    problems: list[Problem] = []
    problems += check_ids(basin, file, {"node": nodes, "link": links})
    problems += check_references(basin, file, nodes, links, graph)
    problems += check_graph(basin, file, nodes, graph)
    problems += check_series(basin, file, tl, flows)
    problems += check_profiles(basin, file, tl, series)
    problems += check_tables(basin, file)
    problems += check_reservoirs(basin, file)
    problems += check_lakes(basin, file, nodes)
    problems += check_carryover(basin, file)
    problems += check_plant_heads(basin, file, nodes)
    problems += check_links(basin, file, tl, flows)
    problems += check_period_values(basin, file, tl)
    problems += check_segment_bounds(basin, file, tl, flows)
    problems += check_options(basin, file)
    problems += check_magnitudes(basin, file)
    problems += check_groups(basin, file, nodes, links)
    return problems


# -- helpers ------------------------------------------------------------------------------------
def _first_by_id(items: Iterable) -> dict:
    """id -> first item with that id (duplicates are reported by :func:`check_ids`), in the order
    of the items."""
    items = list(items)
    ids = [it.id for it in items]
    out = dict(zip(ids, items, strict=True))
    if len(out) == len(ids):
        return out
    first = dict(zip(reversed(ids), reversed(items), strict=True))  # the first of each id wins
    return {i: first[i] for i in out}


#: the node types with a storage (tables, depths, carry factors, storage segments)
STORAGE_TYPES = ("reservoir", "lake")


def _storages(basin) -> list:
    """The reservoirs and lakes of ``basin``, in file order (the only nodes with tables, depths and
    carried storage: the other nodes need not be asked for those fields)."""
    return [n for n in basin.nodes if n.type in STORAGE_TYPES]


def _node(n) -> str:
    return f"node '{n.id}'"


def _link(lk) -> str:
    return f"link '{lk.id}'"


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _bad_periods(values: np.ndarray, labels: list[str]) -> str | None:
    """Describe negative or missing (NaN) values of a per-period array, or None when all fine."""
    values = np.asarray(values, dtype=float)
    nan = np.flatnonzero(np.isnan(values))
    neg = np.flatnonzero(values < 0)
    big = np.flatnonzero(~(np.abs(values) <= MAX_MM3) & ~np.isnan(values))
    small = np.flatnonzero((values > 0) & (values < MIN_MM3))
    parts = []
    if len(small):
        quoted = ", ".join(f"{labels[i]} ({_fmt(values[i])} Mm3)" for i in small[:_QUOTE])
        parts.append(f"{_below_resolution()} in {len(small)} period(s): {quoted}"
                     + (" ..." if len(small) > _QUOTE else ""))
    if len(big):
        quoted = ", ".join(f"{labels[i]} ({_fmt(values[i])} Mm3)" for i in big[:_QUOTE])
        parts.append(f"value above {_fmt(MAX_MM3)} Mm3 per period (the largest balkhash accepts) in "
                     f"{len(big)} period(s): {quoted}" + (" ..." if len(big) > _QUOTE else ""))
    if len(nan):
        quoted = ", ".join(labels[i] for i in nan[:_QUOTE])
        parts.append(f"missing (NaN) value in {len(nan)} period(s): {quoted}" + (" ..." if len(nan) > _QUOTE else ""))
    if len(neg):
        quoted = ", ".join(f"{labels[i]} ({_fmt(values[i])} Mm3)" for i in neg[:_QUOTE])
        parts.append(f"negative value in {len(neg)} period(s): {quoted}" + (" ..." if len(neg) > _QUOTE else ""))
    return "; ".join(parts) if parts else None


def _below_resolution() -> str:
    return (f"non-zero value below {_fmt(MIN_MM3)} Mm3 (100 m3), the smallest volume balkhash resolves "
            "(give 0 or at least that; see docs/data-format.md, 'Resolution')")


def _too_small(values: Iterable[float]) -> float | None:
    """The first value strictly between 0 and :data:`MIN_MM3` (None when there is none)."""
    return next((v for v in values if 0 < v < MIN_MM3), None)


def _not_finite_or_negative(values: Iterable[float]) -> bool:
    return any(not (v >= 0) or math.isinf(v) for v in values)  # NaN fails v >= 0


def _bad_named_profile(profile, basin) -> bool:
    """A named profile of the wrong length (reported by :func:`check_profiles`; cannot be resolved)."""
    return isinstance(profile, str) and profile in basin.profiles and len(basin.profiles[profile]) != 12


def _resolve_flows(basin, tl: Timeline, series: list | None = None) -> dict[tuple[str, str], np.ndarray | str]:
    """(where, field) -> the series in Mm3 per period, or why it cannot be resolved."""
    out: dict[tuple[str, str], np.ndarray | str] = {}
    constant: dict[tuple[str, float], np.ndarray] = {}  # the same constant in the same unit: resolved once
    same: dict[int, np.ndarray] = {}  # one object shared by many links (a links table): resolved once
    for where, field, fs in iter_flow_series(basin) if series is None else series:
        got = same.get(id(fs))
        if got is not None:
            out[(where, field)] = got
            continue
        if _bad_named_profile(fs.profile, basin):
            continue
        if fs.value is not None and (fs.unit, fs.value) in constant:
            out[(where, field)] = constant[(fs.unit, fs.value)]
            continue
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                resolved = np.asarray(flow_values(fs, basin, tl), dtype=float)
            out[(where, field)] = resolved
            same[id(fs)] = resolved
            if fs.value is not None:
                constant[(fs.unit, fs.value)] = resolved
        except ValueError as exc:
            msg = str(exc)
            if fs.file is not None and fs.file not in msg:  # e.g. text in a numeric column
                msg = f"file '{fs.file}' column '{fs.column}': {msg}"
            out[(where, field)] = msg
    return out


def build_graph(basin, nodes: dict | None = None) -> nx.DiGraph:
    """The basin as a directed graph: one vertex per node id, one edge per link between known
    nodes (attribute ``link``) and one per demand return flow (attribute ``return_of``).
    Self-loops are left out (they are reported as reference problems)."""
    nodes = _first_by_id(basin.nodes) if nodes is None else nodes
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    for lk in basin.links:
        if lk.from_ in nodes and lk.to in nodes and lk.from_ != lk.to:
            g.add_edge(lk.from_, lk.to, link=lk.id)
    for n in nodes.values():
        ret = getattr(n, "return_to", None)
        if n.type == "demand" and ret in nodes and ret != n.id and not g.has_edge(n.id, ret):
            g.add_edge(n.id, ret, return_of=n.id)
    return g


class IndexGraph:
    """The basin's graph as arrays, for basins of any size: node ids -> indices in file order (the
    first node of each id), each link's upstream and downstream node index (-1: unknown) and
    whether it is a self-loop; the edges of :func:`build_graph` as a sparse matrix."""

    def __init__(self, basin, nodes: dict):
        from scipy import sparse

        self.ids = list(nodes)
        code = {t: k for k, t in enumerate(NODE_TYPES)}
        #: each node's type as its index in NODE_TYPES; -1 at the end: an unknown node
        self.type_codes = np.array([*(code.get(n.type, -1) for n in nodes.values()), -1], dtype=np.int8)
        get = {i: k for k, i in enumerate(self.ids)}.get
        src = [lk.from_ for lk in basin.links]
        dst = [lk.to for lk in basin.links]
        self.link_from = np.fromiter((get(i, -1) for i in src), dtype=np.intp, count=len(src))
        self.link_to = np.fromiter((get(i, -1) for i in dst), dtype=np.intp, count=len(dst))
        self.self_loop = np.array([a == b for a, b in zip(src, dst, strict=True)], dtype=bool)
        keep = (self.link_from >= 0) & (self.link_to >= 0) & ~self.self_loop
        rows, cols = [self.link_from[keep]], [self.link_to[keep]]
        ret = [(i, n.return_to) for i, n in enumerate(nodes.values())
               if n.type == "demand" and n.return_to in nodes and n.return_to != n.id]
        if ret:
            rows.append(np.array([i for i, _ in ret], dtype=np.intp))
            cols.append(np.array([get(r) for _, r in ret], dtype=np.intp))
        self.src, self.dst = np.concatenate(rows), np.concatenate(cols)
        n = len(self.ids)
        self.matrix = sparse.csr_matrix((np.ones(len(self.src)), (self.src, self.dst)), shape=(n, n))

    def upstream_of(self, ends: np.ndarray) -> np.ndarray:
        """Boolean per node: the node is one of ``ends`` or has a path to one of them."""
        from scipy import sparse
        from scipy.sparse.csgraph import breadth_first_order

        n = len(self.ids)
        out = np.zeros(n, dtype=bool)
        starts = np.flatnonzero(ends)
        if not len(starts):
            return out
        # the reversed graph, and one more vertex with an edge to every end: one walk from it
        rows = np.concatenate([self.dst, np.full(len(starts), n)])
        cols = np.concatenate([self.src, starts])
        rev = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1))
        reached = breadth_first_order(rev, n, directed=True, return_predecessors=False)
        out[reached[reached < n]] = True
        return out

    def weak_components(self) -> tuple[int, np.ndarray]:
        from scipy.sparse.csgraph import connected_components

        return connected_components(self.matrix, directed=True, connection="weak")


# -- ids ----------------------------------------------------------------------------------------
def check_ids(basin, file: str, firsts: dict[str, dict] | None = None) -> list[Problem]:
    """Duplicate ids; ``firsts``: kind -> :func:`_first_by_id` of its items, when known (as many
    as the items: no id twice)."""
    out = []
    for kind, items in (("node", basin.nodes), ("link", basin.links), ("target", basin.targets),
                        ("plant", basin.hydropower)):
        if firsts is not None and kind in firsts and len(firsts[kind]) == len(items):
            continue
        ids = [it.id for it in items]
        if len(set(ids)) == len(ids):  # none twice (the common case, found at once)
            continue
        counts = Counter(ids)
        for ident, k in counts.items():
            if k > 1:
                out.append(Problem(file, f"{kind} '{ident}'", "id", f"duplicate id: {k} {kind}s use it"))
    return out


# -- references ---------------------------------------------------------------------------------
def check_references(basin, file: str, nodes: dict, links: dict, g: IndexGraph | None = None) -> list[Problem]:
    out = []
    g = IndexGraph(basin, nodes) if g is None else g
    odd = (g.link_from < 0) | (g.link_to < 0) | g.self_loop  # the links with anything to say
    for i in np.flatnonzero(odd):
        lk = basin.links[i]
        for field, ref in (("from", lk.from_), ("to", lk.to)):
            if ref not in nodes:
                out.append(Problem(file, _link(lk), field, f"unknown node '{ref}'"))
        if lk.from_ == lk.to:
            out.append(Problem(file, _link(lk), "to", f"link from node '{lk.from_}' to itself"))
    for n in basin.nodes:
        if n.type != "demand" or n.return_to is None:
            continue
        if n.return_to == n.id:
            out.append(Problem(file, _node(n), "return_to", "a demand cannot return water to itself"))
        elif n.return_to not in nodes:
            out.append(Problem(file, _node(n), "return_to", f"unknown node '{n.return_to}'"))
        elif nodes[n.return_to].type == "inflow":
            out.append(Problem(file, _node(n), "return_to",
                               f"returns to inflow node '{n.return_to}'; inflow nodes cannot receive water "
                               "(return to a junction, reservoir, lake or sink)"))
    for t in basin.targets:
        where = f"target '{t.id}'"
        if t.type == "eco_flow":
            if t.link not in links:
                out.append(Problem(file, where, "link", f"unknown link '{t.link}'"))
        elif t.lake not in nodes:
            out.append(Problem(file, where, "lake", f"unknown node '{t.lake}'"))
        elif nodes[t.lake].type != "lake":
            out.append(Problem(file, where, "lake", f"node '{t.lake}' is {a_kind(nodes[t.lake].type)}, not a lake"))
    for p in basin.hydropower:
        if p.link not in links:
            out.append(Problem(file, f"plant '{p.id}'", "link", f"unknown link '{p.link}'"))
    return out


# -- graph --------------------------------------------------------------------------------------
def _drains_by_itself(n, nodes: dict, dangling: set[str]) -> bool:
    """True for a terminal node and a reservoir (water may end the horizon in storage); also for
    nodes whose way out is reported by another rule (a demand without a usable return_to, a node
    with a link to an unknown node), so that one mistake does not also flag every node upstream."""
    if n.type in TERMINAL_TYPES or n.id in dangling:
        return True
    if n.type == "reservoir" and n.enabled:  # water may end in storage, carried beyond the horizon
        return True
    if n.type == "demand":
        return n.consumptive_fraction >= 1.0 or not (n.return_to in nodes and n.return_to != n.id)
    return False


def check_graph(basin, file: str, nodes: dict, g: IndexGraph | None = None) -> list[Problem]:
    out: list[Problem] = []
    if not nodes:
        return [Problem(file, "", "nodes", "the basin has no nodes")]
    g = IndexGraph(basin, nodes) if g is None else g
    # link directions by node type
    src_t, dst_t = g.type_codes[g.link_from], g.type_codes[g.link_to]  # index -1: an unknown node
    odd = np.isin(src_t, [NODE_TYPES.index(t) for t in ("demand", *TERMINAL_TYPES)]) | \
        ((dst_t == NODE_TYPES.index("inflow")) & ~g.self_loop)
    for i in np.flatnonzero(odd):
        lk = basin.links[i]
        src, dst = nodes.get(lk.from_), nodes.get(lk.to)
        if src is not None and src.type == "demand":
            out.append(Problem(file, _link(lk), "from",
                               f"starts at demand '{src.id}': a demand has no outgoing links; its "
                               "non-consumed water leaves only via return_to"))
        if src is not None and src.type in TERMINAL_TYPES:
            out.append(Problem(file, _link(lk), "from",
                               f"starts at {src.type} '{src.id}': lakes and sinks are terminal and "
                               "cannot have outgoing links"))
        if dst is not None and dst.type == "inflow" and lk.from_ != lk.to:
            out.append(Problem(file, _link(lk), "to",
                               f"ends at inflow node '{dst.id}': inflow nodes cannot receive water "
                               "(use a junction with a local inflow)"))
    # return flows
    for n in nodes.values():
        if n.type == "demand" and n.consumptive_fraction < 1.0 and n.return_to is None:
            out.append(Problem(file, _node(n), "return_to",
                               f"required when consumptive_fraction < 1 ({_fmt(n.consumptive_fraction)}): "
                               "the non-consumed water must return somewhere"))
    # every node drains to a terminal
    dangling = {basin.links[i].from_ for i in np.flatnonzero(g.link_to < 0)}
    codes = g.type_codes[:-1]
    ends = np.isin(codes, [NODE_TYPES.index(t) for t in TERMINAL_TYPES])
    if dangling:
        ends |= np.isin(np.array(g.ids, dtype=object), list(dangling))
    for i in np.flatnonzero(np.isin(codes, [NODE_TYPES.index("reservoir"), NODE_TYPES.index("demand")]) & ~ends):
        ends[i] = _drains_by_itself(nodes[g.ids[i]], nodes, dangling)
    drains = g.upstream_of(ends)
    for i in np.flatnonzero(~drains):
        out.append(Problem(file, _node(nodes[g.ids[i]]), "",
                           "water from this node cannot reach a lake or sink (no downstream path to a "
                           "terminal node)"))
    # connectivity
    count, labels = g.weak_components()
    if count > 1:
        members: dict[int, list[str]] = {}
        for i, lab in zip(g.ids, labels.tolist(), strict=True):  # file order
            members.setdefault(lab, []).append(i)
        parts = sorted(members.values(), key=lambda c: (-len(c), min(c)))
        for part in parts[1:]:
            out.append(Problem(file, f"node '{part[0]}'", "",
                               f"not connected to the rest of the network ({len(parts)} separate parts); "
                               f"this part holds node(s) {', '.join(part)}"))
    # cycles are allowed (return flows to an aquifer pumped back): docs/data-format.md, "Cycles"
    return out


# -- series -------------------------------------------------------------------------------------
#: node types whose local inflow may be negative: a fixed withdrawal (docs/data-format.md)
SIGNED_INFLOW_TYPES = ("junction", "reservoir", "lake")


def signed_series(basin) -> set[tuple[str, str]]:
    """(where, field) of the flow series that may be negative: the local inflow of junctions,
    reservoirs and lakes."""
    return {(f"node '{n.id}'", "inflow") for n in basin.nodes if n.type in SIGNED_INFLOW_TYPES}


def check_series(basin, file: str, tl: Timeline, flows: dict) -> list[Problem]:
    out: list[Problem] = []
    unique: dict[int, np.ndarray] = {}  # a series shared by many links: checked once
    messages = False
    for v in flows.values():
        if type(v) is str:
            messages = True
        else:
            unique[id(v)] = v
    distinct = list(unique.values())
    flagged: set[int] = set()
    if distinct:  # the series with anything to say, found at once
        values = np.array(distinct).reshape(len(distinct), tl.n)
        m, neg = np.abs(values), values < 0
        with np.errstate(invalid="ignore"):
            odd = (np.isnan(m) | (m > MAX_MM3) | ((m > 0) & (m < MIN_MM3))).any(axis=1) | neg.any(axis=1)
        flagged = {id(distinct[i]) for i in np.flatnonzero(odd)}
    if not flagged and not messages:
        return out
    signed = signed_series(basin)
    for (where, field), v in flows.items():
        if isinstance(v, str):
            out.append(Problem(file, where, field, v))
            continue
        if id(v) not in flagged:
            continue
        if (where, field) in signed:
            v = np.abs(v)  # a negative inflow is a fixed withdrawal
        bad = _bad_periods(v, tl.labels)
        if bad:
            out.append(Problem(file, where, field, bad))
    return out


# -- profiles and depths ------------------------------------------------------------------------
def _profile_problem(values: list[float]) -> str | None:
    if len(values) != 12:
        return f"needs 12 fractions (Jan..Dec), got {len(values)}"
    if _not_finite_or_negative(values):
        return "fractions must be non-negative numbers"
    total = float(sum(values))
    if abs(total - 1.0) > PROFILE_TOLERANCE:
        return f"fractions must sum to 1 (within {PROFILE_TOLERANCE}), they sum to {_fmt(total)}"
    return None


def _depth_fields(basin) -> Iterator[tuple[str, str, MonthlyDepth]]:
    for n in _storages(basin):
        for field in ("evaporation_mm", "precipitation_mm"):
            d = getattr(n, field, None)
            if isinstance(d, MonthlyDepth):
                yield _node(n), field, d


def check_profiles(basin, file: str, tl: Timeline, series: list | None = None) -> list[Problem]:
    out = []
    for name, values in basin.profiles.items():
        msg = _profile_problem(values)
        if msg:
            out.append(Problem(file, f"profile '{name}'", f"profiles.{name}", msg))
    inline: list[tuple[str, str, list[float]]] = []
    for where, field, fs in iter_flow_series(basin) if series is None else series:
        if fs.profile is not None and isinstance(fs, FlowSeries) and isinstance(fs.profile, list):
            inline.append((where, f"{field}.profile", fs.profile))
    for where, field, d in _depth_fields(basin):
        if isinstance(d.profile, list):
            inline.append((where, f"{field}.profile", d.profile))
        if d.monthly is not None and _not_finite_or_negative(d.monthly):
            out.append(Problem(file, where, f"{field}.monthly", "depths (mm) must be non-negative numbers"))
        if d.annual is not None and _not_finite_or_negative([d.annual]):
            out.append(Problem(file, where, f"{field}.annual", f"depth must be non-negative, got {_fmt(d.annual)} mm"))
        if _bad_named_profile(d.profile, basin):
            continue
        try:
            depth_mm(d, basin, tl)
        except ValueError as exc:  # unknown profile name
            out.append(Problem(file, where, f"{field}.profile", str(exc)))
    for where, field, values in inline:
        msg = _profile_problem(values)
        if msg:
            out.append(Problem(file, where, field, msg))
    for p in basin.hydropower:
        if p.energy_target_gwh is not None and _not_finite_or_negative(p.energy_target_gwh):
            out.append(Problem(file, f"plant '{p.id}'", "energy_target_gwh", "energy targets must be non-negative"))
    return out


# -- level-area-volume tables -------------------------------------------------------------------
def _table_problems(table: LevelAreaVolume) -> list[tuple[str, str]]:
    out = []
    cols = {"level_m": table.level_m, "area_km2": table.area_km2, "volume": table.volume}
    for name in ("area_km2", "volume"):
        if _not_finite_or_negative(cols[name]):
            out.append((name, "values must be non-negative numbers"))
    for name, strict in (("level_m", True), ("volume", True), ("area_km2", False)):
        v = cols[name]
        for a, b in pairwise(v):
            if not (b > a if strict else b >= a):
                word = "strictly increasing" if strict else "non-decreasing"
                out.append((name, f"must be {word} row by row ({_fmt(a)} then {_fmt(b)})"))
                break
    return out


def check_tables(basin, file: str) -> list[Problem]:
    out = []
    for n in _storages(basin):
        table = getattr(n, "table", None)
        if table is None:
            continue
        for col, msg in _table_problems(table):
            out.append(Problem(file, _node(n), f"table.{col}", msg))
    return out


def _table_ok(table: LevelAreaVolume | None) -> bool:
    return table is not None and not _table_problems(table)


# -- reservoirs ---------------------------------------------------------------------------------
def check_reservoirs(basin, file: str) -> list[Problem]:
    out = []
    for n in basin.nodes_of("reservoir"):
        where = _node(n)
        lo, hi, s0 = n.min_storage.mm3, n.max_storage.mm3, n.initial_storage.mm3
        for field, v in (("min_storage", lo), ("max_storage", hi), ("initial_storage", s0)):
            if not (v >= 0) or math.isinf(v):
                out.append(Problem(file, where, field, f"must be a non-negative volume, got {_fmt(v)} Mm3"))
            elif v > MAX_MM3:
                out.append(Problem(file, where, field, f"{_fmt(v)} Mm3 is above {_fmt(MAX_MM3)} Mm3, the largest "
                                   "volume balkhash accepts"))
            elif 0 < v < MIN_MM3:
                out.append(Problem(file, where, field, f"{_fmt(v)} Mm3: {_below_resolution()}"))
        end = _end_volume(n)
        if end is not None and not (end >= 0):
            out.append(Problem(file, where, "end_storage", "must be a non-negative volume, 'initial' or 'free', "
                               f"got {_fmt(end)} Mm3"))
        if n.area_km2 is not None and not (n.area_km2 >= 0):
            out.append(Problem(file, where, "area_km2", f"must be non-negative, got {_fmt(n.area_km2)}"))
        if n.area_km2 is not None and n.table is not None:
            out.append(Problem(file, where, "area_km2", "the reservoir has a level-area-volume table, whose areas "
                               "give its evaporation: give either the table or area_km2, not both"))
        elif n.evaporation_mm is not None and n.area_km2 is None and n.table is None:
            out.append(Problem(file, where, "evaporation_mm", "the reservoir has no surface to evaporate from: give "
                               "it a level-area-volume table or area_km2 (or leave evaporation_mm out)"))
        bounds_ok = lo <= hi
        if not bounds_ok:
            out.append(Problem(file, where, "min_storage",
                               f"min_storage ({_fmt(lo)} Mm3) is above max_storage ({_fmt(hi)} Mm3)"))
        elif not (lo <= s0 <= hi):
            out.append(Problem(file, where, "initial_storage",
                               f"{_fmt(s0)} Mm3 is outside [min_storage, max_storage] = "
                               f"[{_fmt(lo)}, {_fmt(hi)}] Mm3"))
        if end is not None and not (end <= hi):
            out.append(Problem(file, where, "end_storage",
                               f"{_fmt(end)} Mm3 is above max_storage ({_fmt(hi)} Mm3)"))
        if isinstance(n.end_storage, EndStorage) and end is not None and not (lo <= end):
            out.append(Problem(file, where, "end_storage.equal",
                               f"{_fmt(end)} Mm3 is below min_storage ({_fmt(lo)} Mm3)"))
        rc = n.rule_curve
        if rc is not None:
            f = VOLUME_UNITS[rc.unit]
            rmin = [v * f for v in rc.min] if rc.min is not None else None
            rmax = [v * f for v in rc.max] if rc.max is not None else None
            if rmin is not None and rmax is not None:
                bad = [i for i in range(12) if not (rmin[i] <= rmax[i])]
                if bad:
                    out.append(Problem(file, where, "rule_curve",
                                       f"min is above max in month(s) {', '.join(str(i + 1) for i in bad)}"))
            if bounds_ok:
                for name, vals in (("min", rmin), ("max", rmax)):
                    if vals is None:
                        continue
                    bad = [i for i in range(12) if not (lo - 1e-9 <= vals[i] <= hi + 1e-9)]
                    if bad:
                        out.append(Problem(file, where, f"rule_curve.{name}",
                                           f"outside [min_storage, max_storage] = [{_fmt(lo)}, {_fmt(hi)}] Mm3 "
                                           f"in month(s) {', '.join(str(i + 1) for i in bad)}"))
        if _table_ok(n.table) and bounds_ok:
            vols = n.table.volume_mm3
            if not (vols[0] <= lo + 1e-9 and vols[-1] >= hi - 1e-9):
                out.append(Problem(file, where, "table.volume",
                                   f"the table covers {_fmt(vols[0])}..{_fmt(vols[-1])} Mm3; it must cover "
                                   f"[min_storage, max_storage] = [{_fmt(lo)}, {_fmt(hi)}] Mm3"))
    return out


def check_carryover(basin, file: str) -> list[Problem]:
    """A carry-over value curve starts at or below the node's lowest storage (so that its value is
    concave: no storage is worth less per Mm3 than the storage above it); by levels it needs a
    table, and its levels inside it."""
    out = []
    for n in [*basin.nodes_of("reservoir"), *basin.nodes_of("lake")]:
        cv = n.carryover_value
        if cv is None:
            continue
        if cv.storage is not None:
            first = cv.storage[0] * VOLUME_UNITS[cv.unit]
            low = n.min_storage.mm3 if n.type == "reservoir" else (n.table.volume_mm3[0] if _table_ok(n.table)
                                                                    else None)
            if low is not None and first > low + 1e-9:
                out.append(Problem(file, _node(n), "carryover_value.storage",
                                   f"the first breakpoint ({_fmt(first)} Mm3) is above the lowest storage "
                                   f"({_fmt(low)} Mm3): start the curve there (a segment of value 0 below a "
                                   "valued one is not concave)"))
            continue
        if n.table is None:
            out.append(Problem(file, _node(n), "carryover_value.level_m", "breakpoints as levels need the node's "
                               "level-area-volume table: give them as storage instead"))
        elif _table_ok(n.table):
            a, b = n.table.level_m[0], n.table.level_m[-1]
            bad = [v for v in cv.level_m if not (a - 1e-9 <= v <= b + 1e-9)]
            if bad:
                out.append(Problem(file, _node(n), "carryover_value.level_m",
                                   f"{_fmt(bad[0])} m is outside the table's levels {_fmt(a)}..{_fmt(b)} m"))
            elif n.type == "lake" and cv.level_m[0] > a + 1e-9:
                out.append(Problem(file, _node(n), "carryover_value.level_m",
                                   f"the first breakpoint ({_fmt(cv.level_m[0])} m) is above the table's lowest "
                                   f"level ({_fmt(a)} m): start the curve there (a segment of value 0 below a "
                                   "valued one is not concave)"))
    return out


# -- lakes --------------------------------------------------------------------------------------
def check_lakes(basin, file: str, nodes: dict) -> list[Problem]:
    out = []
    for n in basin.nodes_of("lake"):
        if not _table_ok(n.table):
            continue
        a, b = n.table.level_m[0], n.table.level_m[-1]
        if not (a <= n.initial_level_m <= b):
            out.append(Problem(file, _node(n), "initial_level_m",
                               f"{_fmt(n.initial_level_m)} m is outside the table's levels {_fmt(a)}..{_fmt(b)} m"))
        out += _lake_end_problems(n, file)
    for t in basin.targets:
        if t.type != "lake_level":
            continue
        lake = nodes.get(t.lake)
        if lake is None or lake.type != "lake" or not _table_ok(lake.table):
            continue
        a, b = lake.table.level_m[0], lake.table.level_m[-1]
        if not (a <= t.min_level_m <= b):
            out.append(Problem(file, f"target '{t.id}'", "min_level_m",
                               f"{_fmt(t.min_level_m)} m is outside the levels of lake '{lake.id}' "
                               f"table {_fmt(a)}..{_fmt(b)} m"))
    return out


def _lake_end_problems(n, file: str) -> list[Problem]:
    """A lake's end storage lies within its table's volumes, as a reservoir's lies within
    [min_storage, max_storage]: the table's top is the most the lake can hold (a soft target above it
    could never be met), and an exact end storage below the table's bottom cannot be held."""
    end = _end_volume(n)
    if end is None:
        return []
    field = "end_storage.equal" if isinstance(n.end_storage, EndStorage) else "end_storage"
    vols = n.table.volume_mm3
    lo, hi = float(vols[0]), float(vols[-1])
    if not (end >= 0):
        return [Problem(file, _node(n), field, "must be a non-negative volume, 'initial' or 'free', "
                        f"got {_fmt(end)} Mm3")]
    if end > hi + 1e-9:
        return [Problem(file, _node(n), field, f"{_fmt(end)} Mm3 is above the top of the lake's table "
                        f"({_fmt(hi)} Mm3 at {_fmt(n.table.level_m[-1])} m)")]
    if isinstance(n.end_storage, EndStorage) and end < lo - 1e-9:
        return [Problem(file, _node(n), field, f"{_fmt(end)} Mm3 is below the bottom of the lake's table "
                        f"({_fmt(lo)} Mm3 at {_fmt(n.table.level_m[0])} m)")]
    return []


# -- links --------------------------------------------------------------------------------------
def check_links(basin, file: str, tl: Timeline, flows: dict) -> list[Problem]:
    out = []
    for lk in [lk for lk in basin.links if lk.capacity is not None and lk.min_flow is not None]:
        cap = flows.get((_link(lk), "capacity"))
        low = flows.get((_link(lk), "min_flow"))
        if isinstance(cap, np.ndarray) and isinstance(low, np.ndarray):
            bad = np.flatnonzero(cap < low - 1e-9)
            if len(bad):
                quoted = ", ".join(f"{tl.labels[i]} ({_fmt(cap[i])} < {_fmt(low[i])} Mm3)" for i in bad[:_QUOTE])
                out.append(Problem(file, _link(lk), "capacity",
                                   f"below min_flow in {len(bad)} period(s): {quoted}"))
        # annual_capacity: its sign is checked with the other series (check_series)
    return out


def _end_volume(n) -> float | None:
    """The end-of-horizon volume a reservoir or lake names (Mm3), None for 'initial', 'free', none."""
    end = getattr(n, "end_storage", None)
    if isinstance(end, EndStorage):
        return end.equal.mm3
    return end.mm3 if end is not None and not isinstance(end, str) else None


#: the largest carry factor (share of the storage carried into the next period)
MAX_CARRY = 10.0


def check_period_values(basin, file: str, tl: Timeline) -> list[Problem]:
    """Per-period costs, carry factors and storage segments resolve over the model periods and lie
    in range: costs within +-:data:`MAX_COST`, carry factors in (0, :data:`MAX_CARRY`], segment
    volumes non-negative with min <= capacity; link segments with min_flow <= capacity."""
    out = []
    values: dict[tuple[str, str], np.ndarray] = {}
    odd_links = [lk for lk in basin.links if lk.segments is not None or
                 (type(lk.cost) is not float and not isinstance(lk.cost, int | float))]
    storages = _storages(basin)
    for where, field, pv in iter_period_values(SimpleNamespace(links=odd_links, nodes=storages)):
        try:
            v = period_values(pv, basin, tl)
        except ValueError as exc:
            out.append(Problem(file, where, field, str(exc)))
            continue
        values[(where, field)] = v
        bad = np.flatnonzero(~np.isfinite(v))
        if field.endswith("cost"):
            bad = np.flatnonzero(~(np.abs(v) <= MAX_COST))
            what = f"must be a finite cost within +-{_fmt(MAX_COST)} per Mm3"
        elif field == "carry_factor":
            bad = np.flatnonzero(~((v > 0) & (v <= MAX_CARRY)))
            what = f"must be a share in (0, {_fmt(MAX_CARRY)}]"
        else:
            bad = np.flatnonzero(~((v >= 0) & (v <= MAX_MM3)))
            what = f"must be a volume in [0, {_fmt(MAX_MM3)}] Mm3"
        if bad.size:
            quoted = ", ".join(f"{tl.labels[i]} ({_fmt(v[i])})" for i in bad[:_QUOTE])
            out.append(Problem(file, where, field, f"{what}; got {quoted}" + (" ..." if bad.size > _QUOTE else "")))
    for n in storages:
        cf = getattr(n, "carry_factor", None)
        if isinstance(cf, (int, float)) and not (0 < cf <= MAX_CARRY):
            out.append(Problem(file, _node(n), "carry_factor", f"must be a share in (0, {_fmt(MAX_CARRY)}], "
                               f"got {_fmt(cf)}"))
        for k, seg in enumerate(getattr(n, "storage_segments", None) or []):
            lo = values.get((_node(n), f"storage_segments[{k}].min"))
            hi = values.get((_node(n), f"storage_segments[{k}].capacity"))
            if lo is not None and hi is not None and (lo > hi + 1e-9).any():
                t = int(np.flatnonzero(lo > hi + 1e-9)[0])
                out.append(Problem(file, _node(n), f"storage_segments[{k}].min",
                                   f"above the segment's capacity in {tl.labels[t]} "
                                   f"({_fmt(lo[t])} > {_fmt(hi[t])} Mm3)"))
            if isinstance(seg.cost, (int, float)) and not abs(seg.cost) <= MAX_COST:
                out.append(Problem(file, _node(n), f"storage_segments[{k}].cost",
                                   f"{_fmt(seg.cost)} per Mm3 is beyond +-{_fmt(MAX_COST)}"))
    for lk in odd_links:
        for k, seg in enumerate(lk.segments or []):
            if isinstance(seg.cost, (int, float)) and not abs(seg.cost) <= MAX_COST:
                out.append(Problem(file, _link(lk), f"segments[{k}].cost",
                                   f"{_fmt(seg.cost)} per Mm3 is beyond +-{_fmt(MAX_COST)}"))
    return out


def check_segment_bounds(basin, file: str, tl: Timeline, flows: dict) -> list[Problem]:
    """A link segment's capacity is not below its minimum flow."""
    out = []
    for lk in [lk for lk in basin.links if lk.segments]:
        for k, _ in enumerate(lk.segments):
            cap = flows.get((_link(lk), f"segments[{k}].capacity"))
            low = flows.get((_link(lk), f"segments[{k}].min_flow"))
            if isinstance(cap, np.ndarray) and isinstance(low, np.ndarray) and (cap < low - 1e-9).any():
                t = int(np.flatnonzero(cap < low - 1e-9)[0])
                out.append(Problem(file, _link(lk), f"segments[{k}].capacity",
                                   f"below the segment's min_flow in {tl.labels[t]} ({_fmt(cap[t])} < "
                                   f"{_fmt(low[t])} Mm3)"))
    return out


# -- options ------------------------------------------------------------------------------------
def check_options(basin, file: str) -> list[Problem]:
    out = []
    o = basin.options
    blocks, mult = list(o.sharing_blocks), list(o.sharing_multipliers)
    if not blocks:
        out.append(Problem(file, "options", "sharing_blocks", "needs at least one block (ending at 1.0)"))
    else:
        if any(not (0.0 < b <= 1.0) for b in blocks):
            out.append(Problem(file, "options", "sharing_blocks", "every block bound must be in (0, 1]"))
        if any(not (b > a) for a, b in pairwise(blocks)):
            out.append(Problem(file, "options", "sharing_blocks", "block bounds must be strictly increasing"))
        if blocks[-1] != 1.0:
            out.append(Problem(file, "options", "sharing_blocks",
                               f"the last block must end at 1.0 (the whole target), got {_fmt(blocks[-1])}"))
    if len(blocks) != len(mult):
        out.append(Problem(file, "options", "sharing_multipliers",
                           f"needs one multiplier per block: {len(blocks)} block(s), {len(mult)} multiplier(s)"))
    bad = [m for m in mult if not (0.0 < m <= MAX_COST)]
    if bad:
        out.append(Problem(file, "options", "sharing_multipliers",
                           f"every multiplier must be a positive number (a block's cost is the user's shortfall "
                           f"cost times it), got {', '.join(_fmt(m) for m in bad)}"))
    return out


# -- magnitudes -----------------------------------------------------------------------------------
def _too_big(values: Iterable[float], limit: float) -> float | None:
    """The first value whose size is above ``limit`` (None when all fit)."""
    return next((v for v in values if abs(v) > limit), None)


def check_magnitudes(basin, file: str) -> list[Problem]:
    """Costs, depths, areas and table volumes within the range the LP resolves (flows and storage
    bounds are checked by the series and reservoir families)."""
    out = []

    def check(where: str, field: str, values, limit: float, unit: str) -> None:
        values = [x for x in values if x is not None]
        v = _too_big(values, limit)
        if v is not None:
            out.append(Problem(file, where, field, f"{_fmt(v)} {unit} is above {_fmt(limit)} {unit}, the largest "
                               "balkhash accepts"))
        elif unit == "Mm3" and (v := _too_small(values)) is not None:
            out.append(Problem(file, where, field, f"{_fmt(v)} Mm3: {_below_resolution()}"))

    o = basin.options
    for field in ("default_shortfall_cost", "target_penalty", "end_storage_penalty", "storage_deviation_cost"):
        check("options", field, [getattr(o, field)], MAX_COST, "per Mm3")
    for n in basin.nodes:
        if n.type == "demand" and n.shortfall_cost is not None:
            check(_node(n), "shortfall_cost", [n.shortfall_cost], MAX_COST, "per Mm3")
        if n.type not in STORAGE_TYPES:
            continue
        table = getattr(n, "table", None)
        if table is not None:
            check(_node(n), "table.volume", table.volume_mm3, MAX_MM3, "Mm3")
            check(_node(n), "table.area_km2", table.area_km2, MAX_AREA_KM2, "km2")
        if n.type == "reservoir":
            check(_node(n), "area_km2", [n.area_km2], MAX_AREA_KM2, "km2")
            if _end_volume(n) is not None:
                check(_node(n), "end_storage", [_end_volume(n)], MAX_MM3, "Mm3")
            if n.rule_curve is not None:
                f = VOLUME_UNITS[n.rule_curve.unit]
                for name in ("min", "max"):
                    check(_node(n), f"rule_curve.{name}", [v * f for v in getattr(n.rule_curve, name) or []],
                          MAX_MM3, "Mm3")
    for where, field, d in _depth_fields(basin):
        check(where, field, [*(d.monthly or []), *([d.annual / 12.0] if d.annual is not None else [])],
              MAX_DEPTH_MM, "mm per month")
    for lk in [lk for lk in basin.links if not (type(lk.cost) is float and abs(lk.cost) <= MAX_COST)]:
        if isinstance(lk.cost, (int, float)):
            check(_link(lk), "cost", [lk.cost], MAX_COST, "per Mm3")
    for t in basin.targets:
        check(f"target '{t.id}'", "penalty", [t.penalty], MAX_COST, "per Mm3")
    for p in basin.hydropower:
        check(f"plant '{p.id}'", "energy_shortfall_cost", [p.energy_shortfall_cost], MAX_COST, "per GWh")
        check(f"plant '{p.id}'", "energy_target_gwh", p.energy_target_gwh or [], MAX_MM3, "GWh")
    return out


# -- raw document (when the schema rejects it) ----------------------------------------------------
def raw_reference_problems(raw: dict, file: str) -> list[Problem]:
    """Id and reference checks on the parsed YAML itself, run when the schema rejects the basin,
    so that a bad unit in one node and a link to a node that does not exist are reported together.
    Entries the schema cannot read (no string id, missing from/to) are left to the schema's messages."""
    from types import SimpleNamespace

    def entries(key: str) -> list[dict]:
        items = raw.get(key)
        if not isinstance(items, list):
            return []
        return [x for x in items if isinstance(x, dict) and isinstance(x.get("id"), str)]

    def ns(x: dict, **fields) -> SimpleNamespace:
        return SimpleNamespace(id=x["id"], **{k: x.get(v) for k, v in fields.items()})

    nodes = [ns(x, type="type", return_to="return_to") for x in entries("nodes")]
    links = [ns(x, from_="from", to="to") for x in entries("links")]
    targets = [ns(x, type="type", link="link", lake="lake") for x in entries("targets")]
    plants = [ns(x, link="link") for x in entries("hydropower")]
    basin = SimpleNamespace(nodes=nodes, links=links, targets=targets, hydropower=plants)
    out = check_ids(basin, file)
    by_node = _first_by_id(nodes)
    by_link = _first_by_id(links)
    for lk in links:
        for field, ref in (("from", lk.from_), ("to", lk.to)):
            if isinstance(ref, str) and ref not in by_node:
                out.append(Problem(file, _link(lk), field, f"unknown node '{ref}'"))
    for n in nodes:
        if n.type == "demand" and isinstance(n.return_to, str) and n.return_to != n.id \
                and n.return_to not in by_node:
            out.append(Problem(file, _node(n), "return_to", f"unknown node '{n.return_to}'"))
    for t in targets:
        where = f"target '{t.id}'"
        if t.type == "eco_flow" and isinstance(t.link, str) and t.link not in by_link:
            out.append(Problem(file, where, "link", f"unknown link '{t.link}'"))
        elif t.type in ("lake_inflow", "lake_level") and isinstance(t.lake, str) and t.lake not in by_node:
            out.append(Problem(file, where, "lake", f"unknown node '{t.lake}'"))
    for p in plants:
        if isinstance(p.link, str) and p.link not in by_link:
            out.append(Problem(file, f"plant '{p.id}'", "link", f"unknown link '{p.link}'"))
    return out
