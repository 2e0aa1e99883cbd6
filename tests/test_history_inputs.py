"""The hindcast's inputs named where they come from: an initial state of ``--initial`` is the
command line's (as ``plan`` says), not the setup file's; a setup file that is not valid YAML is
named with its line and column."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from balkhash.cli import app
from balkhash.data import default_basin_path
from balkhash.history.hindcast import HindcastError, hindcast_basin, load_setup, write_setup
from balkhash.network.errors import BasinError
from balkhash.network.io import load_basin

runner = CliRunner()


@pytest.fixture(scope="module")
def basin():
    return load_basin(default_basin_path())


@pytest.mark.parametrize(("value", "expected"), [
    ("NOPE=3 Mm3", "initial.NOPE: unknown node"),
    ("KAPSHAGAY=lots Mm3", "initial.KAPSHAGAY: 'lots Mm3' is not a number and a unit"),
    ("KAPSHAGAY=99 km3", "99000 Mm3 is outside"),
    ("BALKHASH=350 m", "350 m is outside"),
])
def test_a_bad_initial_state_of_the_command_line_is_named_as_the_command_lines(tmp_path, value, expected):
    out = tmp_path / "hc"
    r = runner.invoke(app, ["hindcast", "--initial", value, "--out", str(out)], env={"COLUMNS": "300"})
    assert r.exit_code == 1, r.output
    problems = [line.strip() for line in r.output.splitlines() if line.strip().startswith("- ")]
    assert len(problems) == 1, r.output
    assert problems[0].startswith("- command line: ")  # as plan names it
    assert expected in problems[0]
    assert "hindcast.yaml" not in r.output
    assert "Traceback" not in r.output
    assert not out.exists()


def test_the_setup_files_own_initial_state_is_still_named_by_the_file(basin, tmp_path):
    setup = load_setup(basin)
    setup.initial = {"KAPSHAGAY": "99 km3"}
    with pytest.raises(BasinError) as err:
        hindcast_basin(basin, setup)
    assert str(err.value.problems[0]).startswith(f"{setup.file}: ")
    assert "99000 Mm3 is outside" in str(err.value.problems[0])
    # the command line's value replaces the file's for that node: the file's bad value is not used
    setup.command_line = {"KAPSHAGAY": "16.5 km3"}
    b = hindcast_basin(basin, setup)
    assert next(n for n in b.nodes if n.id == "KAPSHAGAY").initial_storage.mm3 == pytest.approx(16500.0)


def test_a_command_line_initial_state_goes_into_a_written_setup(basin, tmp_path):
    setup = load_setup(basin)
    setup.command_line = {"KAPSHAGAY": "16.5 km3"}
    write_setup(setup, {"BALKHASH": "342.3000 m"}, tmp_path / "hindcast.yaml", "test")
    raw = yaml.safe_load((tmp_path / "hindcast.yaml").read_text(encoding="utf-8"))
    assert raw["initial"]["KAPSHAGAY"] == "16.5 km3"
    assert raw["initial"]["BALKHASH"] == "342.3000 m"


@pytest.mark.parametrize(("text", "expected"), [
    ("from: 2010\nto: 2012\ninitial: {BALKHASH: [342.5 m}\n", "line 3, column 29: cannot read the hindcast setup: "
                                                              "YAML syntax error:"),
    ("from: 2010\nfrom: 2012\n", "line 2, column 1: cannot read the hindcast setup: YAML syntax error: duplicate "
                                 "key 'from'"),
])
def test_a_setup_that_is_not_valid_yaml_is_named_by_line_and_column(basin, tmp_path, text, expected):
    f = tmp_path / "setup.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(HindcastError, match="^" + str(f) + ": " + expected.replace("(", r"\(")):
        load_setup(basin, f)
    r = runner.invoke(app, ["hindcast", "--setup", str(f), "--out", str(tmp_path / "hc")], env={"COLUMNS": "300"})
    assert r.exit_code == 1
    assert expected in r.output
    assert "Traceback" not in r.output


def test_a_missing_setup_is_one_line(basin, tmp_path):
    with pytest.raises(HindcastError, match="cannot read the hindcast setup: file not found"):
        load_setup(basin, tmp_path / "nope.yaml")



# -- save_basin: a basin edited in Python is written as it reads, and only when it loads -------------
def _small():
    from balkhash.network.io import parse_basin

    return parse_basin({
        "name": "two reaches", "calendar": {"start": "2025-10", "periods": 12},
        "nodes": [{"id": "RIVER", "type": "inflow", "inflow": "30 m3/s"},
                  {"id": "RES", "type": "reservoir", "min_storage": "10 Mm3", "max_storage": "300 Mm3",
                   "initial_storage": "150 Mm3"},
                  {"id": "OUT", "type": "sink"}],
        "links": [{"id": "RIVER-RES", "from": "RIVER", "to": "RES"}, {"id": "RES-OUT", "from": "RES", "to": "OUT"}],
    }, "two.yaml")


def test_save_basin_writes_a_quantity_assigned_as_a_string_without_a_warning(tmp_path):
    import warnings

    import balkhash
    from balkhash.network import save_basin

    b = _small()
    b.node("RES").initial_storage = "0.2 km3"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pydantic's serializer warnings would fail here
        save_basin(b, tmp_path / "b")
    raw = yaml.safe_load((tmp_path / "b" / "basin.yaml").read_text(encoding="utf-8"))
    res = next(n for n in raw["nodes"] if n["id"] == "RES")
    assert res["initial_storage"] == {"value": 0.2, "unit": "km3"}
    again = load_basin(tmp_path / "b")
    assert again.node("RES").initial_storage.mm3 == pytest.approx(200.0)
    assert balkhash.solve(again).objective == pytest.approx(balkhash.solve(b).objective)


def test_save_basin_refuses_a_basin_that_would_not_load_and_writes_nothing(tmp_path):
    from balkhash.network import save_basin

    b = _small()
    b.links[0].to = "NOWHERE"
    with pytest.raises(BasinError, match="link 'RIVER-RES': to: unknown node 'NOWHERE'"):
        save_basin(b, tmp_path / "b")
    assert not (tmp_path / "b").exists()
    b = _small()
    b.node("RES").initial_storage = "16 furlongs"
    with pytest.raises(BasinError, match="node 'RES': initial_storage: unknown volume unit 'furlongs'"):
        save_basin(b, tmp_path / "c", validate=False)  # types and units are always read
    assert not (tmp_path / "c").exists()
    b = _small()
    b.links[0].to = "NOWHERE"
    save_basin(b, tmp_path / "d", validate=False)  # work in progress, written as it is
    with pytest.raises(BasinError, match="unknown node 'NOWHERE'"):
        load_basin(tmp_path / "d")
