"""Checks of the flow splits and aggregated constraints of a basin (docs/data-format.md, Splits and
Aggregates).  Like every family of :mod:`balkhash.network.validate`, it returns the problems it
finds, each naming the file, the split or aggregate, the field and what is wrong."""

from __future__ import annotations

import math
from collections import Counter

from .errors import Problem
from .messages import a_kind
from .schema import Aggregate, FlowGroup

#: how far the fractions of a split over all of a node's out-links may be from summing to 1
FRACTION_TOLERANCE = 1e-9
#: node types a split may divide the outflow of (those whose outflow is only their out-links)
SPLIT_NODES = ("inflow", "junction", "reservoir")
#: node types with a local inflow an aggregate may count
INFLOW_NODES = ("inflow", "junction", "reservoir", "lake")


def check_groups(basin, file: str, nodes: dict, links: dict) -> list[Problem]:
    """Every problem of ``basin.splits`` and ``basin.aggregates``."""
    out: list[Problem] = []
    counts = Counter([s.id for s in basin.splits] + [a.id for a in basin.aggregates])
    for ident, k in counts.items():
        if k > 1:
            out.append(Problem(file, f"'{ident}'", "id", f"duplicate id: {k} splits or aggregates use it"))
    out += _splits(basin, file, nodes, links)
    for a in basin.aggregates:
        out += _aggregate(a, file, nodes, links)
    return out


def _splits(basin, file: str, nodes: dict, links: dict) -> list[Problem]:
    out: list[Problem] = []
    if not basin.splits:
        return out
    leaving: dict[str, list[str]] = {}
    for lk in basin.links:
        leaving.setdefault(lk.from_, []).append(lk.id)
    for s in basin.splits:
        where = f"split '{s.id}'"
        n = nodes.get(s.node)
        if n is None:
            out.append(Problem(file, where, "node", f"unknown node '{s.node}'"))
            continue
        if n.type not in SPLIT_NODES:
            out.append(Problem(file, where, "node", f"node '{s.node}' is {a_kind(n.type)}: a split divides the outflow "
                               "of an inflow, junction or reservoir node"))
            continue
        if len(s.fractions) != len(s.links):
            out.append(Problem(file, where, "fractions", f"{len(s.links)} link(s) need {len(s.links)} fraction(s), "
                               f"got {len(s.fractions)}"))
            continue
        dup = sorted(i for i, k in Counter(s.links).items() if k > 1)
        if dup:
            out.append(Problem(file, where, "links", f"link '{dup[0]}' is listed more than once"))
        for i in s.links:
            if i not in links:
                out.append(Problem(file, where, "links", f"unknown link '{i}'"))
            elif links[i].from_ != s.node:
                out.append(Problem(file, where, "links", f"link '{i}' leaves node '{links[i].from_}', not "
                                   f"'{s.node}'"))
        bad = [f for f in s.fractions if not 0.0 <= f <= 1.0]
        total = math.fsum(s.fractions)
        if bad:
            out.append(Problem(file, where, "fractions", f"every fraction must be in [0, 1], got {bad[0]:.6g}"))
        elif set(s.links) == set(leaving.get(s.node, [])) and abs(total - 1.0) > FRACTION_TOLERANCE:
            out.append(Problem(file, where, "fractions", f"the links are all of node '{s.node}''s out-links: their "
                               f"fractions must sum to 1, got {total:.12g}"))
        elif total > 1.0 + FRACTION_TOLERANCE:
            out.append(Problem(file, where, "fractions", f"fractions sum to {total:.12g}, more than the node's "
                               "whole outflow (at most 1)"))
    return out


def _members(group: FlowGroup, where: str, prefix: str, file: str, nodes: dict, links: dict) -> list[Problem]:
    out = []
    for i in group.links:
        if i not in links:
            out.append(Problem(file, where, f"{prefix}links", f"unknown link '{i}'"))
    for i in group.demands:
        if i not in nodes:
            out.append(Problem(file, where, f"{prefix}demands", f"unknown node '{i}'"))
        elif nodes[i].type != "demand":
            out.append(Problem(file, where, f"{prefix}demands", f"node '{i}' is {a_kind(nodes[i].type)}, not a demand"))
    for i in group.inflows:
        if i not in nodes:
            out.append(Problem(file, where, f"{prefix}inflows", f"unknown node '{i}'"))
        elif nodes[i].type not in INFLOW_NODES or getattr(nodes[i], "inflow", None) is None:
            out.append(Problem(file, where, f"{prefix}inflows", f"node '{i}' has no local inflow"))
    members = [*group.links, *group.demands, *group.inflows]
    if not members:
        out.append(Problem(file, where, f"{prefix}links", "the group needs at least one link, demand or inflow"))
    dup = sorted(i for i, k in Counter(members).items() if k > 1)
    if dup:
        out.append(Problem(file, where, f"{prefix}links", f"'{dup[0]}' is listed more than once"))
    for key in group.weights:
        if key not in members:
            out.append(Problem(file, where, f"{prefix}weights", f"'{key}' is not a member of the group"))
    return out


def _aggregate(a: Aggregate, file: str, nodes: dict, links: dict) -> list[Problem]:
    where = f"aggregate '{a.id}'"
    out = _members(a, where, "", file, nodes, links)
    bounds = [k for k in ("min", "max", "equal") if getattr(a, k) is not None]
    if a.equal is not None and len(bounds) > 1:
        out.append(Problem(file, where, "equal", "'equal' goes without 'min' and 'max'"))
    if bool(bounds) == (a.ratio is not None):
        out.append(Problem(file, where, "ratio", "give bounds (min, max or equal) or a ratio, one of the two"))
    for k in bounds:
        fs = getattr(a, k)
        if a.per == "water_year" and fs.annual is None:
            out.append(Problem(file, where, k, "per: water_year needs an annual volume, e.g. '400 Mm3/yr'"))
        if a.per == "water_year" and fs.profile is not None:
            out.append(Problem(file, where, k, "a bound per water year has no profile"))
    if a.per == "water_year" and a.min is not None and a.max is not None and a.min.annual is not None \
            and a.max.annual is not None and a.min.annual * a.min.factor > a.max.annual * a.max.factor:
        out.append(Problem(file, where, "min", "min is above max"))
    r = a.ratio
    if r is not None:
        out += _members(r.of, where, "ratio.of.", file, nodes, links)
        given = [k for k in ("min", "max", "equal") if getattr(r, k) is not None]
        if not given:
            out.append(Problem(file, where, "ratio", "give min, max or equal"))
        elif r.equal is not None and len(given) > 1:
            out.append(Problem(file, where, "ratio.equal", "'equal' goes without 'min' and 'max'"))
        elif r.min is not None and r.max is not None and r.min > r.max:
            out.append(Problem(file, where, "ratio.min", f"min {r.min:.6g} is above max {r.max:.6g}"))
    return out
