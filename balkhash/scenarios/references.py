"""Check a scenario's references against the basin it is applied to (every problem at once)."""

from __future__ import annotations

from ..network.errors import BasinError, Problem
from ..network.messages import a_kind
from ..network.schema import Basin
from .schema import Scenario
from .transboundary import transboundary_table


def scenario_problems(basin: Basin, sc: Scenario, file: str | None = None) -> list[Problem]:
    """Every reference of ``sc`` the basin cannot resolve: unknown nodes, links, demands, sectors,
    reservoirs, plants, lakes, runoff-table years.  ``file`` (default: the scenario's own file) is
    named in each problem."""
    file = sc._file if file is None else file
    where = f"scenario '{sc.name}'"
    out = []
    nodes = {n.id: n for n in basin.nodes}
    links = {lk.id for lk in basin.links}
    plants = {p.id for p in basin.hydropower}
    sectors = {n.sector for n in basin.nodes if n.type == "demand"}
    demands = {n.id for n in basin.nodes if n.type == "demand"}
    lakes = [n.id for n in basin.nodes if n.type == "lake"]
    for k in sc.inflow_multipliers:
        if k != "all" and k not in nodes:
            out.append(Problem(file, where, f"inflow_multipliers.{k}", "unknown node"))
    for k in sc.profiles:
        if k not in basin.profiles:
            shown = ", ".join(sorted(basin.profiles)) or "none"
            out.append(Problem(file, where, f"profiles.{k}", f"the basin has no profile of that name ({shown})"))
    for k in sc.demand_multipliers:
        if k not in demands and k not in sectors:
            out.append(Problem(file, where, f"demand_multipliers.{k}", "neither a demand id nor a sector of the basin"))
    for k in sc.demand_growth:
        if k not in sectors:
            out.append(Problem(file, where, f"demand_growth.{k}",
                               f"no demand of this sector in the basin ({', '.join(sorted(sectors))})"))
    tb = sc.transboundary
    if tb is not None:
        if tb.node is not None and tb.node not in nodes:
            out.append(Problem(file, where, "transboundary.node", f"unknown node '{tb.node}'"))
        elif tb.node is not None and nodes[tb.node].type != "inflow":
            out.append(Problem(file, where, "transboundary.node",
                               f"node '{tb.node}' is {a_kind(nodes[tb.node].type)}, not an inflow node"))
        elif tb.node is None:
            flagged = [n.id for n in basin.nodes if getattr(n, "transboundary", False)]
            if not flagged:
                out.append(Problem(file, where, "transboundary", "the basin has no inflow with transboundary: true; "
                                   "name the node with transboundary.node"))
            elif len(flagged) > 1:
                out.append(Problem(file, where, "transboundary.node",
                                   f"the basin has {len(flagged)} inflows with transboundary: true "
                                   f"({', '.join(flagged)}): name the one this scenario changes"))
        for nid in tb.kazakh_nodes or []:
            if nid not in nodes:
                out.append(Problem(file, where, "transboundary.kazakh_nodes", f"unknown node '{nid}'"))
            elif nodes[nid].type != "inflow":
                out.append(Problem(file, where, "transboundary.kazakh_nodes",
                                   f"node '{nid}' is {a_kind(nodes[nid].type)}, not an inflow node"))
    ws = sc.water_saving
    if ws is not None:
        for field in ("demands", "industry_demands"):
            for d in getattr(ws, field) or []:
                if d not in demands:
                    out.append(Problem(file, where, f"water_saving.{field}", f"unknown demand '{d}'"))
    inf = sc.infrastructure
    if inf is not None:
        for field in ("enable", "disable"):
            for x in getattr(inf, field):
                n = nodes.get(x)
                if x not in plants and (n is None or n.type != "reservoir"):
                    out.append(Problem(file, where, f"infrastructure.{field}", f"'{x}' is not a reservoir or plant"))
        for field in ("link_capacity", "annual_capacity", "link_loss"):
            for x in getattr(inf, field):
                if x not in links:
                    out.append(Problem(file, where, f"infrastructure.{field}.{x}", "unknown link"))
        for x in inf.reservoir_range:
            n = nodes.get(x)
            if n is None or n.type != "reservoir":
                out.append(Problem(file, where, f"infrastructure.reservoir_range.{x}", "not a reservoir"))
        for x, cap in inf.annual_capacity.items():
            if cap.annual is None:
                out.append(Problem(file, where, f"infrastructure.annual_capacity.{x}",
                                   "must be an annual volume, e.g. '0.4 km3/yr'"))
            elif cap.profile is not None:
                out.append(Problem(file, where, f"infrastructure.annual_capacity.{x}",
                                   "a bound per water year has no profile"))
    have = {t.id for t in basin.targets}
    for t in sc.add_targets:
        if t.id in have:
            out.append(Problem(file, where, f"add_targets.{t.id}", "the basin has a target of this id already"))
        have.add(t.id)
        ref = getattr(t, "link", None)
        if ref is not None and ref not in links:
            out.append(Problem(file, where, f"add_targets.{t.id}.link", f"unknown link '{ref}'"))
        lake = getattr(t, "lake", None)
        if lake is not None and lake not in lakes:
            out.append(Problem(file, where, f"add_targets.{t.id}.lake", f"'{lake}' is not a lake of the basin"))
    tg = sc.targets
    if tg is not None:
        if tg.lake is not None and tg.lake not in lakes:
            out.append(Problem(file, where, "targets.lake", f"'{tg.lake}' is not a lake"))
        elif tg.lake is None and len(lakes) != 1:
            out.append(Problem(file, where, "targets.lake", f"the basin has {len(lakes)} lakes: name one"))
    if (tb is not None and (tb.year is not None or tb.sequence is not None)):
        try:
            table = transboundary_table(basin, tb.table)
            for y in ([tb.year] if tb.year is not None else tb.sequence or []):
                if y != "mean" and y not in table.index:
                    out.append(Problem(file, where, "transboundary", f"year {y} is not in the runoff table "
                                       f"({table.index.min()}..{table.index.max()})"))
        except BasinError as exc:
            out.extend(exc.problems)
    return out
