"""An end-of-horizon storage target above what the reservoir may hold at the end of the last period
(an initial storage above the rule curve's last month, with ``end_storage: initial``) is lowered to
that bound and noted, instead of a violation the plan cannot avoid."""

from __future__ import annotations

import json

import pytest
from basin_factory import node, valid_basin, write_basin
from typer.testing import CliRunner

import balkhash
from balkhash.allocation.data import compile_basin
from balkhash.cli import app
from balkhash.network.io import load_basin

runner = CliRunner()


def _data(tmp_path, initial="100 Mm3"):
    data = valid_basin(tmp_path)
    res = node(data, "RES")
    res["rule_curve"]["max"] = [200] * 8 + [190] + [200] * 3  # by calendar month: 190 Mm3 in September
    res["initial_storage"] = initial
    return data


@pytest.fixture
def basin_dir(tmp_path):
    return write_basin(tmp_path, _data(tmp_path, "195 Mm3"))  # above 190 Mm3 at the end of 2026-09


def _end(data, node_id):
    return next(t for t in data.targets if t.id == f"end_storage:{node_id}")


def test_end_target_above_the_last_rule_curve_max_is_lowered_to_it(basin_dir):
    data = compile_basin(load_basin(basin_dir))
    s = data.storage("RES")
    assert s.upper[-1] == pytest.approx(190.0)
    assert s.end_requested == pytest.approx(195.0)
    assert s.end_min == pytest.approx(190.0)
    assert _end(data, "RES").values == pytest.approx(190.0)


def test_end_target_within_the_bounds_is_kept(tmp_path):
    data = compile_basin(load_basin(write_basin(tmp_path, _data(tmp_path))))
    s = data.storage("RES")
    assert s.end_requested is None
    assert s.end_min == pytest.approx(100.0)


def test_the_plan_meets_the_lowered_target_and_says_so(basin_dir, tmp_path):
    sol = balkhash.solve(load_basin(basin_dir))
    t = sol.tables["targets"]
    end = t[t["target"] == "end_storage:RES"]
    assert float(end["required"].iloc[0]) == pytest.approx(190.0)
    assert float(end["violation"].iloc[0]) == pytest.approx(0.0, abs=1e-6)
    assert not [v for v in sol.summary["violations"] if v["target"] == "end_storage:RES"]
    notes = [n for n in sol.summary["notes"] if n.startswith("end_storage:RES")]
    assert len(notes) == 1
    assert "195.0 Mm3" in notes[0]
    assert "190.0 Mm3" in notes[0]
    assert "2026-09" in notes[0]

    out = tmp_path / "out"
    r = runner.invoke(app, ["plan", "--basin", str(basin_dir), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "note: end_storage:RES: the end target 195.0 Mm3" in " ".join(r.output.split())
    assert json.loads((out / "summary.json").read_text())["notes"] == sol.summary["notes"]


def test_initial_from_the_command_line_above_the_rule_curve(tmp_path):
    path = write_basin(tmp_path, _data(tmp_path))
    out = tmp_path / "out"
    r = runner.invoke(app, ["plan", "--basin", str(path), "--initial", "RES=198 Mm3", "--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text())
    assert not [v for v in summary["violations"] if v["target"] == "end_storage:RES"]
    assert any(n.startswith("end_storage:RES: the end target 198.0 Mm3 (end_storage: initial")
               for n in summary["notes"])


def test_an_initial_storage_set_in_place_lowers_its_end_target_too(tmp_path):
    """Allocation.set('initial_storage') moves the end target 'initial' with it, no higher than the
    last period's bound, as the compile step does: in place equals rebuilt."""
    from balkhash.allocation.solve import Allocation

    low = load_basin(write_basin(tmp_path, _data(tmp_path)))  # 100 Mm3 at the start
    alloc = Allocation(low)
    alloc.set("initial_storage", "RES", 195.0)
    in_place = alloc.solve()
    rebuilt = balkhash.solve(load_basin(write_basin(tmp_path / "b", _data(tmp_path / "b", "195 Mm3"))))
    for sol in (in_place, rebuilt):
        t = sol.tables["targets"]
        end = t[t["target"] == "end_storage:RES"]
        assert float(end["required"].iloc[0]) == pytest.approx(190.0)
    assert in_place.objective == pytest.approx(rebuilt.objective, rel=1e-9, abs=1e-9)
