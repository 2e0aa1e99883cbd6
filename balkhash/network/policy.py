"""Allocation policies: the presets, their checks, and a policy compiled into costs, classes and lake
shares (input: it knows the basin, not the LP; the `policy` constraint family builds the rows).

A policy orders **classes**: classes of water users (by sector or by demand id), the ecological
targets (the lake's inflow and level, the ecological flows) and the reservoirs' end-of-horizon
storage.  Class i of n (0 = first served) costs

    C_i = base_cost x cost_ratio^(n - 1 - i)        per Mm3 short (per unit of violation)

so each class's cost dominates the next one's by ``cost_ratio`` (which must exceed the largest
sharing-block multiplier: a user of a class in its dearest block still costs less than one of the
class above in its cheapest).  Users of a class take C_i as their shortfall cost, the targets of a
target class C_i as their penalty, the end-storage targets C_i as theirs.  Within a proportional
user class every user gets the same share of its target in every period (the ``policy`` family).

Instead of a place among the classes, the lake may share a class's deficit (``lake_share``): in
every water year its inflow deficit v_w and the class's shortfall S_w satisfy

    v_w = X (v_w + S_w)                              a negotiated share X in [0, 1]
    v_w / V = S_w / D_w                              'proportional': V the lake inflow target, D_w
                                                     the class's target over the year

and the ecological targets take the class's cost.

Presets (their user classes: drinking water = utilities; industry = industry, hydropower, other;
irrigation = agriculture, fisheries, environment):

* ``lake_first``: drinking water > industry > end storage > lake > irrigation (today's order);
* ``users_first``: drinking water > industry > end storage > irrigation > lake;
* ``proportional``: drinking water > end storage > every other user, the lake's inflow deficit in
  the same proportion as their cut;
* ``water_code``: drinking water > industry > end storage > irrigation, the lake's inflow deficit in
  the same proportion as the irrigation cut (docs/basin.md, the Water Code).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from ..errors import BalkhashError
from .errors import BasinError, Problem
from .quantities import Volume
from .schema import POLICY_PRESETS, Basin, LakeShare, Policy, PolicyClass

#: 'none': no policy (the users' own shortfall costs, the targets' own penalties)
NO_POLICY = "none"

_DRINKING = PolicyClass(name="drinking_water", sectors=["utilities"])
_INDUSTRY = PolicyClass(name="industry", sectors=["industry", "hydropower", "other"])
_IRRIGATION = PolicyClass(name="irrigation", sectors=["agriculture", "fisheries", "environment"])
_USERS = PolicyClass(name="users", sectors=["industry", "hydropower", "other", "agriculture", "fisheries",
                                            "environment"])
_END = PolicyClass(name="end_storage", end_storage=True)
_LAKE = PolicyClass(name="lake", targets="ecological")


def preset(name: str) -> Policy:
    """The preset policy ``name`` (one of :data:`POLICY_PRESETS`)."""
    if name == "lake_first":
        return Policy(classes=[_DRINKING, _INDUSTRY, _END, _LAKE, _IRRIGATION])
    if name == "users_first":
        return Policy(classes=[_DRINKING, _INDUSTRY, _END, _IRRIGATION, _LAKE])
    if name == "proportional":
        return Policy(classes=[_DRINKING, _END, _USERS],
                      lake_share=LakeShare(share_with="users", share="proportional"))
    if name == "water_code":
        return Policy(classes=[_DRINKING, _INDUSTRY, _END, _IRRIGATION],
                      lake_share=LakeShare(share_with="irrigation", share="proportional"))
    raise KeyError(name)


class PolicyError(BalkhashError, ValueError):
    """A policy name that names no preset and no policy of the basin."""


def policy_names(basin: Basin) -> list[str]:
    """Every name a run may give: the presets, the basin's own policies and 'none'."""
    return [*POLICY_PRESETS, *basin.options.policies, NO_POLICY]


def check_policy_name(basin: Basin, name: str, where: str) -> None:
    """Raise PolicyError (one line, naming ``where``) when ``name`` is not a policy of ``basin``."""
    if name not in policy_names(basin):
        raise PolicyError(f"{where}: unknown policy '{name}'; one of {', '.join(policy_names(basin))}")


def basin_file(basin: Basin) -> str:
    if basin._file:
        return basin._file
    return f"{basin.base_dir}/basin.yaml" if basin.base_dir else f"basin '{basin.name}'"


def resolve(basin: Basin) -> tuple[str | None, Policy | None, bool]:
    """(name, policy, is a preset) of the basin's ``options.policy``; (None, None, False) for none."""
    p = basin.options.policy
    if p is None or p == NO_POLICY:
        return None, None, False
    if p in basin.options.policies:
        return p, basin.options.policies[p], False
    if p in POLICY_PRESETS:
        return p, preset(p), True
    raise BasinError([Problem(basin_file(basin), "options", "policy",
                              f"unknown policy '{p}'; one of {', '.join(policy_names(basin))}")])


@dataclass
class ClassData:
    """A class of users as the LP sees it: its demands (positions), its cost, equal shares or not."""

    name: str
    demands: list[int]
    cost: float
    proportional: bool


@dataclass
class ShareData:
    """A soft lake inflow target (its id) sharing a class's deficit."""

    target: str
    cls: int  # position in ModelData.classes
    share: float | None  # None: proportional


@dataclass
class CompiledPolicy:
    name: str
    classes: list[ClassData]
    shares: list[ShareData]
    demand_cost: dict[int, float]
    target_penalty: dict[int, float]


def _ecological(targets) -> list[int]:
    """The lake's inflow and level targets and the ecological flows, except those with a penalty of
    their own in the basin (a penalty set there is kept)."""
    return [i for i, t in enumerate(targets) if t.type in ("lake_inflow", "lake_level", "eco_flow")
            and not t.own_penalty]


def end_storage_targets(basin: Basin) -> list[str]:
    """The storages whose end-of-horizon storage is a target (as compiled): enabled reservoirs with
    ``end_storage`` 'initial' or a volume, lakes with a volume (an exact end storage is a bound,
    'free' nothing)."""
    def held(n) -> bool:
        if n.type == "reservoir":
            return bool(n.enabled) and (n.end_storage == "initial" or isinstance(n.end_storage, Volume))
        return n.type == "lake" and isinstance(n.end_storage, Volume)

    return [n.id for n in basin.nodes if held(n)]


def check_policy(basin: Basin, file: str | None = None) -> list[Problem]:
    """Every problem of the basin's policy (unknown name, a class naming no user, ...), without
    compiling the basin."""
    demands = [SimpleNamespace(id=n.id, sector=n.sector) for n in basin.nodes if n.type == "demand"]
    targets = [SimpleNamespace(id=t.id, type=t.type, hard=t.hard, own_penalty=t.penalty is not None)
               for t in basin.targets]
    targets += [SimpleNamespace(id=f"end_storage:{nid}", type="end_storage", hard=False, own_penalty=False)
                for nid in end_storage_targets(basin)]
    mult = list(basin.options.sharing_multipliers) if basin.options.fair_sharing else [1.0]
    try:
        compile_policy(basin, demands, targets, mult, file)
    except BasinError as exc:
        return exc.problems
    return []


def check_policies(basin: Basin, file: str | None = None) -> list[Problem]:
    """Every problem of the basin's selected policy (``options.policy``) and of each policy of
    ``options.policies``, each checked as a run selecting it (``--policy NAME``, a scenario's
    ``policy``) would check it: what ``balkhash validate`` reports."""
    problems = check_policy(basin, file)
    seen = {str(p) for p in problems}
    for name in basin.options.policies:
        if name == basin.options.policy:
            continue
        b = basin.model_copy(update={"options": basin.options.model_copy(update={"policy": name})})
        for p in check_policy(b, file):
            if str(p) not in seen:
                seen.add(str(p))
                problems.append(p)
    return problems


def compile_policy(basin: Basin, demands, targets, multipliers: list[float],
                   file: str | None = None) -> CompiledPolicy | None:
    """The basin's policy over the compiled demands and targets (BasinError naming the file and the
    field when it does not fit the basin)."""
    file = basin_file(basin) if file is None else file
    try:
        name, pol, is_preset = resolve(basin)
    except BasinError as exc:
        raise BasinError([Problem(file, p.where, p.field, p.message) for p in exc.problems]) from None
    if pol is None:
        return None
    assert name is not None
    field = f"policies.{name}" if name in basin.options.policies else "policy"
    problems: list[Problem] = []

    def bad(where: str, msg: str) -> None:
        problems.append(Problem(file, "options", f"{field}.{where}" if where else field, msg))

    dpos = {d.id: j for j, d in enumerate(demands)}
    tpos = {t.id: i for i, t in enumerate(targets)}
    eco = _ecological(targets)
    entries = []  # (class, demand positions, target positions, end storage)
    taken: dict[int, str] = {}
    names = [c.name for c in pol.classes]
    for k, c in enumerate(pol.classes):
        where = f"classes[{k}]"
        if names.count(c.name) > 1:
            bad(where, f"class '{c.name}' is named twice")
        kinds = sum([bool(c.sectors or c.demands), c.targets is not None, c.end_storage])
        if kinds != 1:
            bad(where, f"class '{c.name}' must hold exactly one of: users (sectors, demands), targets, end_storage")
            continue
        users: list[int] = []
        unknown = [did for did in c.demands if did not in dpos]
        for did in unknown:
            bad(f"{where}.demands", f"'{did}' is not a demand of the basin")
        users += [dpos[did] for did in c.demands if did in dpos]
        users += [j for j, d in enumerate(demands) if d.sector in c.sectors and j not in users]
        for j in users:
            if j in taken:
                bad(where, f"demand '{demands[j].id}' is in class '{taken[j]}' and in class '{c.name}'")
            taken.setdefault(j, c.name)
        tg: list[int] = []
        if c.targets == "ecological":
            tg = eco
        elif c.targets is not None:
            for tid in c.targets:
                if tid not in tpos or targets[tpos[tid]].type == "end_storage":
                    bad(f"{where}.targets", f"'{tid}' is not a target of the basin")
                else:
                    tg.append(tpos[tid])
        ends = [i for i, t in enumerate(targets) if t.type == "end_storage"] if c.end_storage else []
        if ((c.sectors or c.demands) and not users) or (c.targets is not None and not tg) \
                or (c.end_storage and not ends):
            if is_preset or unknown or (c.targets not in (None, "ecological") and len(tg) < len(c.targets)):
                continue  # a preset's class this basin has nothing of
            what = "user" if c.sectors or c.demands else ("target" if c.targets is not None else "reservoir or lake "
                                                          "with an end-storage target")
            bad(where, f"class '{c.name}' names no {what} of the basin")
            continue
        entries.append((c, users, tg, ends))
    untaken = [d.id for j, d in enumerate(demands) if j not in taken]
    if untaken and not problems:
        bad("classes", f"no class holds the demand(s) {', '.join(untaken)}: every user needs a class")
    top = max(multipliers) if multipliers else 1.0
    if pol.cost_ratio <= top:
        bad("cost_ratio", f"{pol.cost_ratio:g} must exceed the largest sharing multiplier ({top:g}), or a class "
                          "could go short before the one below it")
    share = pol.lake_share
    share_cls = None
    if share is not None:
        users_entries = [e for e in entries if e[1]]
        share_cls = next((k for k, e in enumerate(users_entries) if e[0].name == share.share_with), None)
        if share_cls is None:
            bad("lake_share.share_with", f"'{share.share_with}' is not a class of users of the policy")
        if any(e[2] for e in entries):
            bad("lake_share", "the lake shares a class's deficit or has a class of its own, not both")
    if problems:
        raise BasinError(problems)

    n = len(entries)
    cost = [pol.base_cost * pol.cost_ratio ** (n - 1 - k) for k in range(n)]
    classes: list[ClassData] = []
    demand_cost: dict[int, float] = {}
    target_penalty: dict[int, float] = {}
    for (c, users, tg, ends), ck in zip(entries, cost, strict=True):
        if users:
            classes.append(ClassData(c.name, users, ck, c.proportional))
            demand_cost.update({j: ck for j in users})
        for i in (*tg, *ends):
            target_penalty[i] = ck
    shares: list[ShareData] = []
    if share is not None and share_cls is not None:
        sharing = eco if share.targets == "ecological" else [tpos[t] for t in share.targets if t in tpos]
        missing = [t for t in ([] if share.targets == "ecological" else share.targets) if t not in tpos]
        if missing:
            raise BasinError([Problem(file, "options", f"{field}.lake_share.targets",
                                      f"'{missing[0]}' is not a target of the basin")])
        ck = classes[share_cls].cost
        for i in sharing:
            target_penalty[i] = ck
            t = targets[i]
            if t.type == "lake_inflow" and not t.hard:
                shares.append(ShareData(t.id, share_cls, None if share.share == "proportional" else float(share.share)))
    return CompiledPolicy(name, classes, shares, demand_cost, target_penalty)
