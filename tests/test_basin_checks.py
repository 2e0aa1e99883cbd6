"""Checks on a basin and its scenarios that a modeller writing one from docs/data-format.md meets:
a lake's end storage within its table, fields that would have no effect, several transboundary
inflows, messages naming items by id, and the Python API's parameter checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from balkhash.network.errors import BasinError, Problem
from balkhash.network.io import load_basin
from balkhash.network.validate import check_basin


def write(directory: Path, data: dict, files: dict[str, str] | None = None) -> Path:
    (directory / "basin.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    for name, text in (files or {}).items():
        (directory / name).write_text(text)
    return directory


def problems(directory: Path) -> list[Problem]:
    with pytest.raises(BasinError) as info:
        load_basin(directory)
    return info.value.problems


def messages(directory: Path) -> str:
    return "\n".join(str(p) for p in problems(directory))


def lake_basin(end_storage) -> dict:
    return {
        "name": "lake end",
        "calendar": {"start": "2025-10", "periods": 3},
        "nodes": [
            {"id": "RIVER", "type": "inflow", "inflow": "1 m3/s"},
            {"id": "LAKE", "type": "lake",
             "table": {"level_m": [300, 310], "area_km2": [100, 200], "volume": [100, 1000]},
             "initial_level_m": 301, "evaporation_mm": 1000, "end_storage": end_storage},
        ],
        "links": [{"id": "RIVER-LAKE", "from": "RIVER", "to": "LAKE"}],
    }


# -- a lake's end storage lies within its table ---------------------------------------------------
@pytest.mark.parametrize(("end", "field", "fragment"), [
    ({"equal": "2000 Mm3"}, "end_storage.equal", "2000 Mm3 is above the top of the lake's table (1000 Mm3 at 310 m)"),
    ("2000 Mm3", "end_storage", "2000 Mm3 is above the top of the lake's table"),
    ({"equal": "50 Mm3"}, "end_storage.equal", "50 Mm3 is below the bottom of the lake's table (100 Mm3 at 300 m)"),
])
def test_lake_end_storage_outside_its_table_is_refused(tmp_path, end, field, fragment):
    found = problems(write(tmp_path, lake_basin(end)))
    assert any(p.where == "node 'LAKE'" and p.field == field and fragment in p.message for p in found), found


@pytest.mark.parametrize("end", [{"equal": "500 Mm3"}, {"equal": "100 Mm3"}, "1000 Mm3", "50 Mm3"])
def test_lake_end_storage_within_its_table_is_accepted(tmp_path, end):
    basin = load_basin(write(tmp_path, lake_basin(end)))
    assert check_basin(basin, "basin.yaml") == []


# -- Allocation.set: an inflow node's inflow is never negative ------------------------------------
def test_negative_inflow_at_an_inflow_node_is_a_parameter_error():
    from balkhash.allocation.parameters import ParameterError
    from balkhash.allocation.solve import Allocation

    alloc = Allocation("small_basin")
    with pytest.raises(ParameterError, match=r"inflow of 'RIVER': an inflow node's inflow must be >= 0"):
        alloc.set("inflow", "RIVER", -1.0)
    assert (alloc.get("inflow", "RIVER") >= 0).all()
    alloc.set("inflow", "J1", -1.0)  # a junction's local inflow may be a fixed withdrawal
    assert (alloc.get("inflow", "J1") == -1.0).all()


# -- several transboundary inflows: a scenario names the one it changes ---------------------------
def _two_border_inflows() -> dict:
    return {
        "name": "two borders",
        "calendar": {"start": "2025-10", "periods": 12},
        "nodes": [
            {"id": "RIVER", "type": "inflow", "inflow": "10 m3/s", "transboundary": True},
            {"id": "TRIB", "type": "inflow", "inflow": "2 m3/s", "transboundary": True},
            {"id": "J", "type": "junction"},
            {"id": "OUT", "type": "sink"},
        ],
        "links": [{"id": "RIVER-J", "from": "RIVER", "to": "J"}, {"id": "TRIB-J", "from": "TRIB", "to": "J"},
                  {"id": "J-OUT", "from": "J", "to": "OUT"}],
    }


def test_transboundary_without_node_on_several_flagged_inflows_is_refused(tmp_path):
    from balkhash.scenarios import Scenario, apply_scenario, scenario_problems

    basin = load_basin(write(tmp_path, _two_border_inflows()))
    sc = Scenario.model_validate({"name": "dry", "transboundary": {"annual_km3": 1}})
    found = scenario_problems(basin, sc, "s.yaml")
    assert [(p.where, p.field) for p in found] == [("scenario 'dry'", "transboundary.node")]
    assert "2 inflows with transboundary: true (RIVER, TRIB)" in found[0].message
    with pytest.raises(BasinError):
        apply_scenario(basin, sc)
    named = Scenario.model_validate({"name": "dry", "transboundary": {"annual_km3": 1, "node": "TRIB"}})
    assert scenario_problems(basin, named, "s.yaml") == []


# -- fields that would have no effect are refused ---------------------------------------------------
def reservoir_basin(**fields) -> dict:
    res = {"id": "RES", "type": "reservoir", "min_storage": "0 Mm3", "max_storage": "100 Mm3",
           "initial_storage": "50 Mm3", "end_storage": "free", **fields}
    return {
        "name": "one reservoir",
        "calendar": {"start": "2025-10", "periods": 12},
        "nodes": [{"id": "RIVER", "type": "inflow", "inflow": "1 m3/s"}, res,
                  {"id": "D", "type": "demand", "sector": "agriculture", "target": "0.5 m3/s"}],
        "links": [{"id": "RIVER-RES", "from": "RIVER", "to": "RES"}, {"id": "RES-D", "from": "RES", "to": "D"}],
    }


TABLE = {"level_m": [0, 10], "area_km2": [1, 1], "volume": [0, 100]}


def test_annual_capacity_with_a_profile_is_refused(tmp_path):
    data = reservoir_basin()
    data["links"][1]["annual_capacity"] = {"unit": "Mm3/yr", "annual": 120, "profile": [1] + [0] * 11}
    found = problems(write(tmp_path, data))
    assert [(p.where, p.field) for p in found] == [("link 'RES-D'", "annual_capacity")]
    assert "a bound per water year has no profile" in found[0].message


def test_format_version_other_than_1_is_refused(tmp_path):
    data = {"format_version": 99, **reservoir_basin()}
    found = problems(write(tmp_path, data))
    assert [(p.where, p.field) for p in found] == [("", "format_version")]
    assert "reads format version 1, got 99" in found[0].message
    load_basin(write(tmp_path, {"format_version": 1, **reservoir_basin()}))


@pytest.mark.parametrize(("fields", "field", "fragment"), [
    ({"evaporation_mm": 1000}, "evaporation_mm", "no surface to evaporate from"),
    ({"table": TABLE, "area_km2": 500, "evaporation_mm": 1000}, "area_km2", "not both"),
])
def test_reservoir_evaporation_surface_is_unambiguous(tmp_path, fields, field, fragment):
    found = problems(write(tmp_path, reservoir_basin(**fields)))
    assert any(p.where == "node 'RES'" and p.field == field and fragment in p.message for p in found), found


@pytest.mark.parametrize("fields", [{"table": TABLE, "evaporation_mm": 1000}, {"area_km2": 5, "evaporation_mm": 1000},
                                    {}])
def test_reservoir_with_one_surface_is_accepted(tmp_path, fields):
    basin = load_basin(write(tmp_path, reservoir_basin(**fields)))
    assert check_basin(basin, "basin.yaml") == []


def test_scenario_annual_capacity_with_a_profile_is_refused(tmp_path):
    from balkhash.scenarios import Scenario, scenario_problems

    basin = load_basin(write(tmp_path, reservoir_basin()))
    sc = Scenario.model_validate({"name": "lic", "infrastructure": {"annual_capacity": {
        "RES-D": {"unit": "Mm3/yr", "annual": 100, "profile": [1] + [0] * 11}}}})
    found = scenario_problems(basin, sc, "s.yaml")
    assert [p.field for p in found] == ["infrastructure.annual_capacity.RES-D"]


# -- reading errors name splits, aggregates and policies as the value checks do ---------------------
def test_reading_errors_name_splits_aggregates_and_policies(tmp_path):
    data = reservoir_basin()
    data["splits"] = [{"id": "S1", "node": "RIVER", "links": ["RIVER-RES"], "fraction": [1]}]
    data["aggregates"] = [{"id": "AG", "links": ["RES-D"], "maxx": "5 Mm3/month"}]
    data["options"] = {"policies": {"p": {"classes": [{"name": "c", "sectors": ["agri"]}]}}}
    found = {(p.where, p.field) for p in problems(write(tmp_path, data))}
    assert {("split 'S1'", "fractions"), ("split 'S1'", "fraction"), ("aggregate 'AG'", "maxx"),
            ("", "options.policies.p.classes[0].sectors[0]")} <= found, found


def test_a_split_on_a_lake_says_which_nodes_it_may_divide(tmp_path):
    data = lake_basin("500 Mm3")
    data["nodes"].append({"id": "OUT", "type": "sink"})
    data["links"].append({"id": "LAKE-OUT", "from": "LAKE", "to": "OUT"})
    data["splits"] = [{"id": "S1", "node": "LAKE", "links": ["LAKE-OUT"], "fractions": [1]}]
    text = messages(write(tmp_path, data))
    assert "split 'S1': node: node 'LAKE' is a lake: a split divides the outflow of an inflow, junction or " \
           "reservoir node" in text


def test_wrong_node_type_takes_its_article(tmp_path):
    data = lake_basin("500 Mm3")
    data["targets"] = [{"id": "L", "type": "lake_inflow", "lake": "RIVER", "min_annual_km3": 0.01}]
    assert "node 'RIVER' is an inflow, not a lake" in messages(write(tmp_path, data))


# -- a node or link of a CSV table: its problems name the table and the row ---------------------------
def test_a_missing_series_column_in_a_table_row_is_named_by_the_table_and_line(tmp_path):
    data = {"name": "tab", "calendar": {"start": "2025-10", "periods": 3},
            "nodes": {"file": "nodes.csv", "series": "node_series.csv"},
            "links": {"file": "links.csv", "series": "link_series.csv"}}
    files = {
        "nodes.csv": "id,type,unit,inflow,target,sector,consumptive_fraction,return_to\n"
                     "RIV,inflow,m3/s,395,,,,\nJ1,junction,,side_inflw,,,,\nOUT,sink,,,,,,\n",
        "node_series.csv": "period,side_inflow\n2025-10,1\n2025-11,1\n2025-12,1\n",
        "links.csv": "id,from,to,unit,capacity\nRIV-J1,RIV,J1,,\nJ1-OUT,J1,OUT,m3/s,cap2\n",
        "link_series.csv": "period,cap1\n2025-10,5\n2025-11,5\n2025-12,5\n",
    }
    found = {str(p).replace(str(tmp_path) + "/", "") for p in problems(write(tmp_path, data, files))}
    assert found == {
        "nodes.csv: node 'J1' (line 3): inflow: file 'node_series.csv' has no column 'side_inflw'",
        "links.csv: link 'J1-OUT' (line 3): capacity: file 'link_series.csv' has no column 'cap2'",
    }


# -- the Python API ---------------------------------------------------------------------------------
def test_load_basin_takes_a_bundled_name_as_solve_does():
    from balkhash.data import example_path

    basin = load_basin("small_basin")
    assert basin._file == str(example_path("small_basin") / "basin.yaml")
    with pytest.raises(BasinError, match="no bundled basin of that name"):
        load_basin("no_such_basin")


@pytest.mark.parametrize("limit", [-1, 0, float("nan"), "10"])
def test_a_time_limit_that_is_not_positive_is_refused(limit):
    import balkhash
    from balkhash.allocation.backend import HighsOptionError

    with pytest.raises(HighsOptionError, match="time_limit: must be a positive number of seconds"):
        balkhash.solve("small_basin", time_limit=limit)


def test_an_edited_basin_read_from_a_file_is_named_by_its_file(tmp_path):
    import balkhash

    basin = load_basin(write(tmp_path, reservoir_basin()))
    basin.links[0].to = "NOWHERE"
    with pytest.raises(BasinError) as info:
        balkhash.solve(basin)
    assert str(info.value.problems[0]).startswith(f"{tmp_path / 'basin.yaml'}: link 'RIVER-RES': to: unknown node")


def test_groundwater_is_a_lake_parameter_as_in_the_basin_file():
    from balkhash.allocation.parameters import ParameterError
    from balkhash.allocation.solve import Allocation

    alloc = Allocation("small_basin")
    assert alloc.params.keys("groundwater") == ["LAKE"]
    with pytest.raises(ParameterError, match=r"reservoir 'RES' has no groundwater inflow of its own.*kind 'inflow'"):
        alloc.set("groundwater", "RES", 100.0)
    alloc.set("groundwater", "LAKE", 1.0)
    assert (alloc.get("groundwater", "LAKE") == 1.0).all()
