"""Every validation rule, one broken basin at a time: load_basin must raise BasinError naming the
file, the item, the field and what is wrong; several errors are reported together."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from basin_factory import (
    RIVER_M3S,
    SERIES_FILE,
    link,
    node,
    target,
    valid_basin,
    write_basin,
    write_series,
)

from balkhash.data import example_names, example_path
from balkhash.network.errors import BasinError, Problem
from balkhash.network.io import load_basin, parse_basin
from balkhash.network.validate import check_basin


def load_problems(directory: Path) -> list[Problem]:
    with pytest.raises(BasinError) as info:
        load_basin(directory)
    assert info.value.problems, "BasinError without problems"
    return info.value.problems


def has(problems: list[Problem], where: str, field: str, fragment: str, file: str = "basin.yaml") -> bool:
    return any(
        p.where == where and p.field == field and fragment in p.message and Path(p.file).name == file
        for p in problems
    )


def show(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


# -- the baseline --------------------------------------------------------------------------------
def test_factory_basin_is_valid(tmp_path):
    basin = load_basin(write_basin(tmp_path, valid_basin(tmp_path)))
    assert check_basin(basin, "basin.yaml") == []
    assert len(basin.nodes) == 8
    assert len(basin.links) == 7
    assert len(basin.targets) == 3


@pytest.mark.parametrize("name", example_names())
def test_examples_are_valid(name):
    basin = load_basin(example_path(name))
    assert check_basin(basin, "basin.yaml") == []
    assert basin.nodes
    assert basin.links


# -- one case per rule ---------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    mutate: Callable[[dict, Path], None]
    where: str
    field: str
    fragment: str
    file: str = "basin.yaml"


def _set(path: str, value):
    """Mutation setting ``section:id.key[.key...]`` (or a top-level dotted path) to ``value``."""
    def mutate(d: dict, _dir: Path) -> None:
        if ":" in path:
            section, rest = path.split(":", 1)
            ident, *keys = rest.split(".")
            obj = next(it for it in d[section] if it["id"] == ident)
        else:
            obj, keys = d, path.split(".")
        for k in keys[:-1]:
            obj = obj[k]
        obj[keys[-1]] = value
    return mutate


def _delete(path: str):
    def mutate(d: dict, _dir: Path) -> None:
        section, rest = path.split(":", 1)
        ident, key = rest.split(".")
        del next(it for it in d[section] if it["id"] == ident)[key]
    return mutate


def _append(section: str, entry: dict):
    def mutate(d: dict, _dir: Path) -> None:
        d[section].append(copy.deepcopy(entry))
    return mutate


def _duplicate(section: str, ident: str):
    def mutate(d: dict, _dir: Path) -> None:
        d[section].append(copy.deepcopy(next(it for it in d[section] if it["id"] == ident)))
    return mutate


def _many(*mutations):
    def mutate(d: dict, directory: Path) -> None:
        for m in mutations:
            m(d, directory)
    return mutate


def _csv(rows: dict[str, list]):
    def mutate(_d: dict, directory: Path) -> None:
        write_series(directory, rows)
    return mutate


def _csv_text(edit: Callable[[str], str]):
    """Mutation editing the text of the series CSV."""
    def mutate(_d: dict, directory: Path) -> None:
        f = directory / SERIES_FILE
        f.write_text(edit(f.read_text()))
    return mutate


def _river_with(index: int, value):
    values = list(RIVER_M3S)
    values[index] = value
    return _csv({"RIVER": values})


SCALED_IRR = [0, 0, 0, 0.16, 0.32, 0.44, 0.48, 0.38, 0.22, 0, 0, 0]  # sums to 2

CASES = [
    # ids
    Case("duplicate node", _duplicate("nodes", "J1"), "node 'J1'", "id", "duplicate id: 2 nodes"),
    Case("duplicate link", _duplicate("links", "TRIB-J2"), "link 'TRIB-J2'", "id", "duplicate id: 2 links"),
    Case("duplicate target", _duplicate("targets", "ECO"), "target 'ECO'", "id", "duplicate id: 2 targets"),
    Case("duplicate plant", _duplicate("hydropower", "HPP"), "plant 'HPP'", "id", "duplicate id: 2 plants"),
    # references
    Case("link from unknown node", _set("links:RIVER-RES.from", "NOWHERE"), "link 'RIVER-RES'", "from",
         "unknown node 'NOWHERE'"),
    Case("link to unknown node", _set("links:J2-LAKE.to", "NOWHERE"), "link 'J2-LAKE'", "to", "unknown node 'NOWHERE'"),
    Case("link to itself", _set("links:J1-J2.to", "J1"), "link 'J1-J2'", "to", "link from node 'J1' to itself"),
    Case("return_to unknown", _set("nodes:CITY.return_to", "NOWHERE"), "node 'CITY'", "return_to",
         "unknown node 'NOWHERE'"),
    Case("return_to itself", _set("nodes:CITY.return_to", "CITY"), "node 'CITY'", "return_to", "to itself"),
    Case("return_to an inflow", _set("nodes:CITY.return_to", "TRIB"), "node 'CITY'", "return_to",
         "returns to inflow node 'TRIB'"),
    Case("eco target on unknown link", _set("targets:ECO.link", "NOLINK"), "target 'ECO'", "link",
         "unknown link 'NOLINK'"),
    Case("lake target on unknown node", _set("targets:LAKE-IN.lake", "NOLAKE"), "target 'LAKE-IN'", "lake",
         "unknown node 'NOLAKE'"),
    Case("lake target on a reservoir", _set("targets:LAKE-LEVEL.lake", "RES"), "target 'LAKE-LEVEL'", "lake",
         "node 'RES' is a reservoir, not a lake"),
    Case("plant on unknown link", _set("hydropower:HPP.link", "NOLINK"), "plant 'HPP'", "link",
         "unknown link 'NOLINK'"),
    # graph
    Case("basin without nodes", _many(_set("nodes", []), _set("links", []), _set("targets", []),
                                      _set("hydropower", [])), "", "nodes", "the basin has no nodes"),
    Case("node cannot reach a terminal",
         _many(_append("nodes", {"id": "DEAD", "type": "junction"}),
               _append("links", {"id": "RIVER-DEAD", "from": "RIVER", "to": "DEAD"})),
         "node 'DEAD'", "", "cannot reach a lake or sink"),
    Case("disconnected part",
         _many(_append("nodes", {"id": "X2", "type": "inflow", "inflow": "1 m3/s"}),
               _append("nodes", {"id": "S2", "type": "sink"}),
               _append("links", {"id": "X2-S2", "from": "X2", "to": "S2"})),
         "node 'X2'", "",
         "not connected to the rest of the network (2 separate parts); this part holds node(s) X2, S2"),
    Case("demand with outgoing link", _append("links", {"id": "CITY-J2", "from": "CITY", "to": "J2"}),
         "link 'CITY-J2'", "from", "starts at demand 'CITY'"),
    Case("inflow with incoming link", _append("links", {"id": "J1-TRIB", "from": "J1", "to": "TRIB"}),
         "link 'J1-TRIB'", "to", "ends at inflow node 'TRIB'"),
    Case("lake with outgoing link",
         _many(_append("nodes", {"id": "OUT", "type": "sink"}),
               _append("links", {"id": "LAKE-OUT", "from": "LAKE", "to": "OUT"})),
         "link 'LAKE-OUT'", "from", "starts at lake 'LAKE'"),
    Case("sink with outgoing link",
         _many(_append("nodes", {"id": "OUT", "type": "sink"}),
               _append("links", {"id": "J2-OUT", "from": "J2", "to": "OUT"}),
               _append("links", {"id": "OUT-LAKE", "from": "OUT", "to": "LAKE"})),
         "link 'OUT-LAKE'", "from", "starts at sink 'OUT'"),
    Case("partly consumptive demand without return_to", _delete("nodes:CITY.return_to"), "node 'CITY'",
         "return_to", "required when consumptive_fraction < 1 (0.4)"),
    # series values
    Case("negative constant flow", _set("nodes:CITY.target", "-1 m3/s"), "node 'CITY'", "target",
         "negative value in 12 period(s): 2025-10 (-2.6784 Mm3)"),
    Case("NaN in monthly flow", _set("nodes:TRIB.inflow", {"unit": "Mm3/month", "monthly": [5.0] * 11 + [math.nan]}),
         "node 'TRIB'", "inflow.monthly.11", "must be a finite number, got nan"),
    Case("infinite constant flow", _set("nodes:TRIB.inflow", {"unit": "m3/s", "value": math.inf}),
         "node 'TRIB'", "inflow.value", "must be a finite number, got inf"),
    Case("flow overflowing in Mm3", _set("nodes:TRIB.inflow", "1e308 m3/s"), "node 'TRIB'", "inflow",
         "value above 1e+09 Mm3 per period (the largest balkhash accepts) in 12 period(s)"),
    Case("flow above the largest volume", _set("nodes:CITY.target", "2e9 Mm3/month"), "node 'CITY'", "target",
         "value above 1e+09 Mm3 per period"),
    # resolution: no non-zero volume below 1e-4 Mm3 (100 m3)
    Case("flow below the resolution", _set("nodes:CITY.target", "1e-6 Mm3/month"), "node 'CITY'", "target",
         "non-zero value below 0.0001 Mm3 (100 m3), the smallest volume balkhash resolves (give 0 or at least "
         "that; see docs/data-format.md, 'Resolution') in 12 period(s): 2025-10 (1e-06 Mm3)"),
    Case("flow in m3/s below the resolution", _set("nodes:TRIB.inflow", "1e-5 m3/s"), "node 'TRIB'", "inflow",
         "non-zero value below 0.0001 Mm3 (100 m3), the smallest volume balkhash resolves (give 0 or at least "
         "that; see docs/data-format.md, 'Resolution') in 12 period(s): 2025-10 (2.6784e-05 Mm3)"),
    Case("one month below the resolution", _set("nodes:TRIB.inflow", {"unit": "Mm3/month",
                                                                      "monthly": [5.0] * 11 + [5e-5]}),
         "node 'TRIB'", "inflow", "below 0.0001 Mm3 (100 m3), the smallest volume balkhash resolves (give 0 or at "
         "least that; see docs/data-format.md, 'Resolution') in 1 period(s): 2025-12 (5e-05 Mm3)"),
    Case("storage below the resolution", _set("nodes:RES.min_storage", "1e-6 Mm3"), "node 'RES'", "min_storage",
         "1e-06 Mm3: non-zero value below 0.0001 Mm3 (100 m3), the smallest volume balkhash resolves"),
    Case("end storage below the resolution", _set("nodes:RES.end_storage", "5e-5 Mm3"), "node 'RES'", "end_storage",
         "5e-05 Mm3: non-zero value below 0.0001 Mm3 (100 m3)"),
    Case("infinite demand target", _set("nodes:CITY.target", {"unit": "Mm3/month", "series": [math.inf] * 12}),
         "node 'CITY'", "target.series.0", "must be a finite number, got inf"),
    Case("per-period series shorter than the horizon",
         _set("nodes:TRIB.inflow", {"unit": "Mm3/month", "series": [5.0] * 11}), "node 'TRIB'", "inflow",
         "'series' has 11 value(s), the model has 12 period(s) (2025-10..2026-09): give one value per period"),
    Case("negative value in a per-period series",
         _set("nodes:TRIB.inflow", {"unit": "m3/s", "series": [2.0] * 4 + [-1.0] + [2.0] * 7}), "node 'TRIB'",
         "inflow", "negative value in 1 period(s): 2026-02 (-2.4192 Mm3)"),
    Case("negative annual flow", _set("nodes:IRR.target.annual", -0.1), "node 'IRR'", "target", "negative value"),
    Case("negative lake groundwater", _set("nodes:LAKE.groundwater_inflow", "-1 Mm3/month"), "node 'LAKE'",
         "groundwater_inflow", "negative value"),
    Case("negative value in CSV", _river_with(5, -3.0), "column 'RIVER'", "line 7 (period 2026-03)",
         "negative value -3", "series.csv"),
    Case("empty cell in CSV", _river_with(2, None), "column 'RIVER'", "line 4 (period 2025-12)",
         "empty cell: give a number", "series.csv"),
    Case("text in CSV", _river_with(3, "abc"), "column 'RIVER'", "line 5 (period 2026-01)",
         "'abc' is not a number", "series.csv"),
    Case("infinity in CSV", _river_with(3, "inf"), "column 'RIVER'", "line 5 (period 2026-01)",
         "must be a finite number, got inf", "series.csv"),
    Case("two empty periods in CSV", _csv_text(lambda t: t.replace("2025-11,", ",").replace("2025-12,", ",")),
         "column 'period'", "", "empty period on 2 line(s): 3, 4; give YYYY-MM on every line", "series.csv"),
    Case("CSV column missing", _set("nodes:RIVER.inflow.column", "NOPE"), "node 'RIVER'", "inflow",
         "has no column 'NOPE'"),
    Case("CSV with missing periods", _csv({"RIVER": RIVER_M3S[:10]}), "node 'RIVER'", "inflow",
         "lacks 2 model period(s), first 2026-08: it has 10 rows, the model needs 12"),
    Case("unknown profile name", _set("nodes:IRR.target.profile", "nope"), "node 'IRR'", "target",
         "unknown profile 'nope'"),
    # profiles and depths
    Case("profile does not sum to 1", _set("profiles.irr", SCALED_IRR), "profile 'irr'", "profiles.irr",
         "they sum to 2"),
    Case("profile with a negative fraction", _set("profiles.irr", [0.5, -0.5] + [1 / 10] * 10), "profile 'irr'",
         "profiles.irr", "non-negative"),
    Case("profile with 11 values", _set("profiles.evap", [1 / 11] * 11), "profile 'evap'", "profiles.evap",
         "needs 12 fractions"),
    Case("inline profile does not sum to 1", _set("nodes:IRR.target.profile", [0.1] * 12), "node 'IRR'",
         "target.profile", "they sum to 1.2"),
    Case("inline depth profile negative", _set("nodes:LAKE.evaporation_mm.profile", [-0.1, 0.2] + [0.09] * 10),
         "node 'LAKE'", "evaporation_mm.profile", "non-negative"),
    Case("unknown depth profile", _set("nodes:LAKE.evaporation_mm.profile", "nope"), "node 'LAKE'",
         "evaporation_mm.profile", "unknown profile 'nope'"),
    Case("negative monthly depth", _set("nodes:LAKE.precipitation_mm", [-5] + [10] * 11), "node 'LAKE'",
         "precipitation_mm.monthly", "non-negative"),
    Case("negative annual depth", _set("nodes:RES.evaporation_mm.annual", -800), "node 'RES'",
         "evaporation_mm.annual", "non-negative"),
    Case("negative energy target", _set("hydropower:HPP.energy_target_gwh", [-1] + [1] * 11), "plant 'HPP'",
         "energy_target_gwh", "non-negative"),
    # level-area-volume tables
    Case("table level not increasing", _set("nodes:RES.table.level_m", [400, 405, 405, 415]), "node 'RES'",
         "table.level_m", "strictly increasing row by row (405 then 405)"),
    Case("table volume not increasing", _set("nodes:LAKE.table.volume", [0, 1.1, 1.05, 3.3]), "node 'LAKE'",
         "table.volume", "strictly increasing row by row (1.1 then 1.05)"),
    Case("table area decreasing", _set("nodes:LAKE.table.area_km2", [1000, 1050, 1040, 1150]), "node 'LAKE'",
         "table.area_km2", "non-decreasing row by row (1050 then 1040)"),
    Case("table negative volume", _set("nodes:RES.table.volume", [-5, 50, 120, 210]), "node 'RES'",
         "table.volume", "non-negative"),
    # reservoirs
    Case("min storage above max", _set("nodes:RES.min_storage", "250 Mm3"), "node 'RES'", "min_storage",
         "min_storage (250 Mm3) is above max_storage (200 Mm3)"),
    Case("initial storage outside bounds", _set("nodes:RES.initial_storage", "0.25 km3"), "node 'RES'",
         "initial_storage", "250 Mm3 is outside [min_storage, max_storage] = [10, 200] Mm3"),
    Case("negative storage", _many(_set("nodes:RES.min_storage", "-5 Mm3"), _set("nodes:RES.table.volume",
                                                                                  [-10, 50, 120, 210])),
         "node 'RES'", "min_storage", "non-negative volume"),
    Case("end storage above max", _set("nodes:RES.end_storage", "300 Mm3"), "node 'RES'", "end_storage",
         "above max_storage"),
    Case("rule curve min above max", _set("nodes:RES.rule_curve.min", [20] * 11 + [195]), "node 'RES'",
         "rule_curve", "min is above max in month(s) 12"),
    Case("rule curve above max storage",  # 0.25 km3 = 250 Mm3 in July
         _set("nodes:RES.rule_curve", {"min": [0.02] * 12, "max": [0.2] * 6 + [0.25] + [0.2] * 5, "unit": "km3"}),
         "node 'RES'", "rule_curve.max", "outside [min_storage, max_storage] = [10, 200] Mm3 in month(s) 7"),
    Case("rule curve below min storage", _set("nodes:RES.rule_curve.min", [5] + [20] * 11), "node 'RES'",
         "rule_curve.min", "outside [min_storage, max_storage] = [10, 200] Mm3 in month(s) 1"),
    Case("table does not cover the storage range", _set("nodes:RES.max_storage", "0.3 km3"), "node 'RES'",
         "table.volume", "the table covers 0..210 Mm3; it must cover [min_storage, max_storage] = [10, 300] Mm3"),
    # lakes
    Case("lake initial level outside table", _set("nodes:LAKE.initial_level_m", 344), "node 'LAKE'",
         "initial_level_m", "344 m is outside the table's levels 340..343 m"),
    Case("lake level target outside table", _set("targets:LAKE-LEVEL.min_level_m", 339.5), "target 'LAKE-LEVEL'",
         "min_level_m", "339.5 m is outside the levels of lake 'LAKE' table 340..343 m"),
    # links
    Case("capacity below min flow", _set("links:RES-J1.capacity", "0.5 m3/s"), "link 'RES-J1'", "capacity",
         "below min_flow in 12 period(s)"),
    Case("negative annual capacity", _set("links:CANAL.annual_capacity", "-0.1 km3/yr"), "link 'CANAL'",
         "annual_capacity", "negative value"),
    # options
    Case("sharing blocks not increasing", _set("options.sharing_blocks", [0.5, 0.25, 0.75, 1.0]), "options",
         "sharing_blocks", "strictly increasing"),
    Case("sharing blocks not ending at 1", _set("options.sharing_blocks", [0.1, 0.25, 0.5, 0.9]), "options",
         "sharing_blocks", "must end at 1.0"),
    Case("sharing block outside (0, 1]", _set("options.sharing_blocks", [0.0, 0.25, 0.5, 1.0]), "options",
         "sharing_blocks", "in (0, 1]"),
    Case("multipliers do not match blocks", _set("options.sharing_multipliers", [1.0, 1.5, 2.0]), "options",
         "sharing_multipliers", "4 block(s), 3 multiplier(s)"),
    Case("negative sharing multipliers", _set("options.sharing_multipliers", [-1, -1, -1, -1]), "options",
         "sharing_multipliers", "every multiplier must be a positive number"),
    Case("infinite shortfall cost", _set("nodes:CITY.shortfall_cost", math.inf), "node 'CITY'", "shortfall_cost",
         "must be a finite number, got inf"),
    Case("infinite storage deviation cost", _set("options.storage_deviation_cost", math.inf), "",
         "options.storage_deviation_cost", "must be a finite number, got inf"),
    Case("shortfall cost too large", _set("nodes:CITY.shortfall_cost", 1e300), "node 'CITY'", "shortfall_cost",
         "1e+300 per Mm3 is above 1e+09 per Mm3, the largest balkhash accepts"),
    Case("NaN link cost", _set("links:TRIB-J2.cost", math.nan), "link 'TRIB-J2'", "cost",
         "must be a finite number, got nan"),
    Case("negative end storage", _set("nodes:RES.end_storage", "-5 Mm3"), "node 'RES'", "end_storage",
         "must be a non-negative volume, 'initial' or 'free', got -5 Mm3"),
    Case("true as a number of periods", _set("calendar.periods", True), "", "calendar.periods",
         "true/false is not a number here"),
    Case("a date as the calendar start", _set("calendar.start", __import__("datetime").date(2025, 10, 1)), "",
         "calendar.start", "2025-10-01 is a date; a period is a month YYYY-MM (e.g. 2025-10)"),
    Case("false as a consumptive fraction", _set("nodes:CITY.consumptive_fraction", False), "node 'CITY'",
         "consumptive_fraction", "true/false is not a number here"),
    Case("true in a monthly flow", _set("nodes:TRIB.inflow", {"unit": "Mm3/month", "monthly": [5.0] * 11 + [True]}),
         "node 'TRIB'", "inflow.monthly", "true/false is not a number here"),
    Case("true as a flow", _set("nodes:CITY.target", True), "node 'CITY'", "target",
         "true/false is not a number here"),
    Case("a mapping where a flow is wanted", _set("nodes:CITY.target", [1, 2]), "node 'CITY'", "target",
         "expected a flow with its unit"),
    # schema (pydantic) and files
    Case("unknown field", _set("nodes:RES.max_storge", "200 Mm3"), "node 'RES'", "max_storge", "unknown field"),
    Case("missing required field", _delete("nodes:LAKE.initial_level_m"), "node 'LAKE'", "initial_level_m",
         "required field is missing"),
    Case("bad unit", _set("nodes:TRIB.inflow", "395 m3/h"), "node 'TRIB'", "inflow", "unknown flow unit 'm3/h'"),
    Case("flow without unit", _set("nodes:CITY.target", 1.5), "node 'CITY'", "target", "a flow needs a unit"),
    Case("unknown node type", _set("nodes:J1.type", "glacier"), "node 'J1'", "", "unknown type"),
    Case("missing CSV file", _set("nodes:RIVER.inflow.file", "nope.csv"), "node 'RIVER'", "inflow",
         "series file 'nope.csv' not found"),
]

@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_rule(case: Case, tmp_path):
    data = valid_basin(tmp_path)
    case.mutate(data, tmp_path)
    problems = load_problems(write_basin(tmp_path, data))
    assert has(problems, case.where, case.field, case.fragment, case.file), show(problems)


def test_case_ids_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert all(c.fragment for c in CASES)


def test_yaml_syntax_error_names_line(tmp_path):
    write_basin(tmp_path, valid_basin(tmp_path))
    lines = (tmp_path / "basin.yaml").read_text(encoding="utf-8").splitlines()
    i = next(k for k, line in enumerate(lines) if line.strip().startswith("initial_level_m:"))
    lines[i] = lines[i] + ": oops"
    (tmp_path / "basin.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = load_problems(tmp_path)
    assert len(problems) == 1
    p = problems[0]
    assert p.where.startswith(f"line {i + 1}, column "), str(p)
    assert "YAML syntax error" in p.message
    assert Path(p.file).name == "basin.yaml"


def test_missing_basin_file(tmp_path):
    problems = load_problems(tmp_path / "nothing")
    assert [p.message for p in problems] == ["file not found"]


def test_csv_without_period_column(tmp_path):
    data = valid_basin(tmp_path)
    (tmp_path / SERIES_FILE).write_text("month,RIVER\n2025-10,1\n", encoding="utf-8")
    problems = load_problems(write_basin(tmp_path, data))
    assert has(problems, "node 'RIVER'", "inflow", "needs a 'period' column", file=SERIES_FILE), show(problems)


# -- all at once ---------------------------------------------------------------------------------
def test_independent_errors_reported_together(tmp_path):
    data = valid_basin(tmp_path)
    wanted = [
        ("link 'TRIB-J2'", "id", "duplicate id"),
        ("node 'CITY'", "target", "negative value"),
        ("node 'LAKE'", "initial_level_m", "outside the table's levels"),
        ("options", "sharing_blocks", "must end at 1.0"),
        ("target 'ECO'", "link", "unknown link 'NOLINK'"),
        ("node 'RES'", "rule_curve", "min is above max"),
    ]
    data["links"].append(copy.deepcopy(link(data, "TRIB-J2")))
    node(data, "CITY")["target"] = "-2 m3/s"
    node(data, "LAKE")["initial_level_m"] = 350
    data["options"]["sharing_blocks"] = [0.2, 0.4, 0.6, 0.8]
    target(data, "ECO")["link"] = "NOLINK"
    node(data, "RES")["rule_curve"]["min"] = [195] * 12
    data["links"].append({"id": "J2-J1", "from": "J2", "to": "J1"})  # a cycle: allowed, no problem
    problems = load_problems(write_basin(tmp_path, data))
    for where, field, fragment in wanted:
        assert has(problems, where, field, fragment), f"{where} {field} {fragment}\n{show(problems)}"
    assert len(problems) == len(wanted), show(problems)


def test_schema_errors_reported_together(tmp_path):
    data = valid_basin(tmp_path)
    node(data, "TRIB")["inflow"] = "395 m3/h"
    node(data, "CITY")["target"] = 1.5
    node(data, "RES")["colour"] = "blue"
    del node(data, "LAKE")["table"]
    problems = load_problems(write_basin(tmp_path, data))
    assert has(problems, "node 'TRIB'", "inflow", "unknown flow unit 'm3/h'")
    assert has(problems, "node 'CITY'", "target", "a flow needs a unit")
    assert has(problems, "node 'RES'", "colour", "unknown field")
    assert has(problems, "node 'LAKE'", "table", "required field is missing")
    assert len(problems) == 4, show(problems)


def test_one_mistake_is_one_problem(tmp_path):
    """A bad return_to is not also reported as 'cannot reach a lake' for the demand and upstream."""
    data = valid_basin(tmp_path)
    node(data, "CITY")["return_to"] = "NOWHERE"
    problems = load_problems(write_basin(tmp_path, data))
    assert [(p.where, p.field) for p in problems] == [("node 'CITY'", "return_to")], show(problems)


def test_check_basin_never_raises_on_a_broken_graph(tmp_path):
    """A basin with many broken references is checked without exceptions."""
    data = valid_basin(tmp_path)
    for lk in data["links"]:
        lk["to"] = "GHOST"
    data["targets"] = [{"id": "T", "type": "lake_level", "lake": "GHOST", "min_level_m": 1}]
    node(data, "CITY")["return_to"] = "GHOST"
    basin = parse_basin(data, "basin.yaml", tmp_path)
    problems = check_basin(basin, "basin.yaml")
    assert sum(p.message == "unknown node 'GHOST'" for p in problems) == len(data["links"]) + 2
    assert all(p.file == "basin.yaml" for p in problems)


def test_schema_errors_and_broken_references_reported_together(tmp_path):
    """A unit the schema rejects does not hide a link to nowhere, a duplicate id or a target on a
    missing link: the references are checked on the raw document as well."""
    data = valid_basin(tmp_path)
    node(data, "TRIB")["inflow"] = "395 m3/h"
    link(data, "TRIB-J2")["from"] = "NOWHERE"
    data["links"].append(copy.deepcopy(link(data, "TRIB-J2")))
    target(data, "ECO")["link"] = "NOLINK"
    problems = load_problems(write_basin(tmp_path, data))
    assert has(problems, "node 'TRIB'", "inflow", "unknown flow unit 'm3/h'")
    assert has(problems, "link 'TRIB-J2'", "from", "unknown node 'NOWHERE'")
    assert has(problems, "link 'TRIB-J2'", "id", "duplicate id")
    assert has(problems, "target 'ECO'", "link", "unknown link 'NOLINK'")
    assert len(problems) == 5, show(problems)  # the duplicate's 'from' is reported for each copy
