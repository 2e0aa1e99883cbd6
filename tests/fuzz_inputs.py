"""A generator of bad inputs: mutations of the bundled basins, their CSV series and scenario files.

Every mutation makes the input invalid for certain (a value of the wrong kind, a required field
removed, an unknown field, a duplicate id, a reference to nothing, a bad CSV cell, a bad scenario
value), so the command line must refuse it: exit 1, a message naming the file and the id or field,
never a traceback.  Cases are generated from a seed; :func:`cases` yields ``n`` of them.
"""

from __future__ import annotations

import copy
import math
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from balkhash.data import default_basin_path, example_path

#: values no field accepts where a number is wanted
BAD_NUMBERS = [math.nan, math.inf, -math.inf, True, False, "abc", "1,5", [1, 2], {"a": 1}]
#: values no field accepts where text (an id, a unit, a name, a flow written as text) is wanted
BAD_TEXT = [{"a": 1}, [{}], 12.5, True]
#: values no field accepts where true/false is wanted
BAD_BOOLS = ["maybe", 7, [True], {"a": 1}]
#: fields each kind of item cannot do without
REQUIRED = {
    "inflow": ["id", "type", "inflow"], "junction": ["id", "type"], "sink": ["id", "type"],
    "reservoir": ["id", "type", "min_storage", "max_storage", "initial_storage"],
    "demand": ["id", "type", "sector", "target"], "lake": ["id", "type", "table", "initial_level_m", "evaporation_mm"],
    "link": ["id", "from", "to"], "eco_flow": ["id", "type", "link", "min_flow"],
    "lake_inflow": ["id", "type", "lake", "min_annual_km3"], "lake_level": ["id", "type", "lake", "min_level_m"],
}
#: free-text fields: any text is valid there, so only a non-text value is bad
TEXT_FIELDS = {"name", "description", "source", "country", "sector"}


@dataclass
class Case:
    id: str
    kind: str  # "basin" (validate) or "scenario" (plan --scenario)
    path: Path  # the basin directory or the scenario file
    mutated: str  # the file name the messages must name (basin.yaml, series.csv, the scenario file)
    what: str  # what was changed, for the test's message


BASINS = {"tiny_river": lambda: example_path("tiny_river"), "small_basin": lambda: example_path("small_basin"),
          "ile_balkhash": default_basin_path}


def _leaves(obj, path=()) -> Iterator[tuple[tuple, object]]:
    """(path, value) of every scalar in a parsed YAML document."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*path, i))
    else:
        yield path, obj


def _set(doc, path: tuple, value) -> None:
    for k in path[:-1]:
        doc = doc[k]
    doc[path[-1]] = value


def _bad_for(path: tuple, value, rng: random.Random):
    """A value that the field at ``path`` (holding ``value``) cannot accept, or None."""
    last = path[-1] if path else None
    if isinstance(value, bool):
        return rng.choice(BAD_BOOLS)
    if isinstance(value, int | float):
        if last in ("x", "y"):
            return rng.choice([math.nan, True, "abc"])
        return rng.choice(BAD_NUMBERS)
    if isinstance(value, str):
        if last in TEXT_FIELDS or (len(path) >= 2 and path[-2] in ("sources", "reference_levels_m")):
            return rng.choice([{"a": 1}, [1], True])
        if last in ("type",):
            return rng.choice(["glacier", 5, True])
        if last in ("from", "to", "return_to", "link", "lake"):
            return rng.choice(["NO_SUCH_NODE", 5, [1]])
        if last == "profile":
            return rng.choice(["no_such_profile", {"a": 1}, True])
        return rng.choice(BAD_TEXT)
    return None


def _item_lists(doc: dict) -> list[tuple[str, int, dict]]:
    out = []
    for key in ("nodes", "links", "targets"):
        for i, it in enumerate(doc.get(key) or []):
            if isinstance(it, dict):
                out.append((key, i, it))
    return out


def _mutate_basin(doc: dict, rng: random.Random) -> str:
    """Change ``doc`` (a parsed basin.yaml) so that it is invalid; return what was done."""
    op = rng.choices(["value", "delete", "unknown", "duplicate", "reference"], weights=[6, 2, 1, 1, 1])[0]
    items = _item_lists(doc)
    if op == "value":
        skip = ("profiles", "format_version")  # profile fractions: a bad one is reported, but may be unused
        leaves = [(p, v) for p, v in _leaves(doc) if p and p[0] not in skip and _bad_for(p, v, rng) is not None]
        path, value = rng.choice(leaves)
        bad = _bad_for(path, value, rng)
        _set(doc, path, bad)
        return f"{'.'.join(map(str, path))}: {value!r} -> {bad!r}"
    key, i, it = rng.choice(items)
    if op == "delete":
        kind = "link" if key == "links" else it.get("type")
        required = [f for f in REQUIRED.get(kind, ["id"]) if f in it]
        field = rng.choice(required)
        del it[field]
        return f"{key}[{i}] without {field}"
    if op == "unknown":
        it["bogus_field"] = 1
        return f"{key}[{i}] with an unknown field"
    if op == "duplicate":
        doc[key].append(copy.deepcopy(it))
        return f"{key}[{i}] twice"
    links = doc.get("links") or []
    lk = rng.choice(links)
    lk[rng.choice(["from", "to"])] = "NOWHERE"
    return f"link {lk.get('id')} to an unknown node"


def _mutate_csv(csv: Path, rng: random.Random, periods: int) -> str:
    lines = csv.read_text().splitlines()
    header = lines[0].split(",")
    row = rng.randrange(1, min(len(lines), periods + 1))
    cells = lines[row].split(",")
    col = rng.randrange(0, len(header))
    if col == 0:
        cells[0] = rng.choice(["", " "])
        lines[row] = ",".join(cells)
        other = 1 + (row % (len(lines) - 1))
        cells2 = lines[other].split(",")
        cells2[0] = ""
        lines[other] = ",".join(cells2)
        what = f"period cells of lines {row + 1}, {other + 1} empty"
    else:
        bad = rng.choice(["", "abc", "-5", "inf", "nan", "1e400"])
        cells[col] = bad
        lines[row] = ",".join(cells)
        what = f"{header[col]} line {row + 1}: {bad!r}"
    csv.write_text("\n".join(lines) + "\n")
    return what


SCENARIO_BAD = [
    ("years", [math.nan, True, "abc", 0, 1000, -3]),
    ("start_water_year", [True, "abc", -5, 1e9, math.nan]),
    ("name", ["../escape", "", ".", "a/b", {"a": 1}, 5]),
    ("inflow_multipliers", [{"all": -1}, {"all": math.nan}, {"all": True}, {"all": "abc"}, {"NOPE": 0.5}, [1]]),
    ("demand_multipliers", [{"agriculture": -2}, {"agriculture": math.inf}, {"NOPE": 2}, 5]),
    ("demand_growth", [{"industry": math.nan}, {"industry": 1e5}, {"mining": 0.01}, {"industry": True}]),
    ("transboundary", [{"annual_km3": -1}, {"annual_km3": math.inf}, {"year": 1999}, {"year": "abc"},
                       {"multiplier": True}, {"node": "NOPE", "multiplier": 0.5}, {"node": "BAK_IRR", "multiplier": 1},
                       {"sequence": []}, {"year": 2014, "multiplier": 1}, {}]),
    ("targets", [{"lake_min_level_m": 400}, {"lake_min_level_m": math.nan}, {"lake_inflow_km3": -1},
                 {"hard": "maybe"}, {"penalty": -5}, {"lake": "NOPE", "lake_inflow_km3": 5}]),
    ("infrastructure", [{"reservoir_range": {"KAPSHAGAY": {"max_storage": "1 km3"}}},
                        {"reservoir_range": {"KAPSHAGAY": {"min_storage": "-5 km3"}}},
                        {"link_capacity": {"BAK": "-5 m3/s"}}, {"link_capacity": {"NOPE": "5 m3/s"}},
                        {"enable": ["NOPE"]}, {"annual_capacity": {"BAK": "5 m3/s"}},
                        {"link_capacity": {"BAK": True}}]),
    ("water_saving", [{"drip_area_kha": -5}, {"drip_area_kha": "lots"}, {"industry_efficiency": {2025: math.nan}},
                      {"demands": ["NOPE"]}, {"drip_saving_mm3_per_kha": True}]),
    ("bogus_field", [1]),
]


def _scenario_case(tmp: Path, rng: random.Random) -> tuple[Path, str]:
    raw = yaml.safe_load((default_basin_path() / "scenarios.yaml").read_text())
    sc = copy.deepcopy(rng.choice(raw["scenarios"]))
    field, values = rng.choice(SCENARIO_BAD)
    bad = rng.choice(values)
    sc[field] = bad
    f = tmp / "scenario.yaml"
    f.write_text(yaml.safe_dump(sc, sort_keys=False))
    return f, f"scenario {sc.get('name')!r}: {field} -> {bad!r}"


def make_case(k: int, root: Path, seed: int = 2026) -> Case:
    """The ``k``-th case: its files are written under ``root``."""
    rng = random.Random(f"{seed}-{k}")
    tmp = root / f"case{k}"
    tmp.mkdir(parents=True)
    pick = rng.choices(["tiny_river", "small_basin", "small_csv", "ile_balkhash", "scenario"],
                       weights=[35, 30, 15, 10, 10])[0]
    if pick == "scenario":
        f, what = _scenario_case(tmp, rng)
        return Case(f"{k}-scenario", "scenario", f, f.name, what)
    name = "small_basin" if pick == "small_csv" else pick
    dest = tmp / name
    shutil.copytree(BASINS[name](), dest)
    if pick == "small_csv":
        doc = yaml.safe_load((dest / "basin.yaml").read_text())
        what = _mutate_csv(dest / "series.csv", rng, doc["calendar"]["periods"])
        return Case(f"{k}-{pick}", "basin", dest, "series.csv", what)
    doc = yaml.safe_load((dest / "basin.yaml").read_text())
    what = _mutate_basin(doc, rng)
    (dest / "basin.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return Case(f"{k}-{pick}", "basin", dest, "basin.yaml", what)
