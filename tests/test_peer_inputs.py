"""Inputs the peer commands (``import calvin``, ``import pywr``, ``export pywr``) must refuse with a
message naming the file, line, node or field, or report as an approximation, and round trips
through Pywr that come back (docs/peers.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from balkhash.cli import app
from balkhash.data import default_basin_path
from balkhash.network.errors import BasinError
from balkhash.network.io import load_basin, parse_basin
from balkhash.peers.calvin import MM3_PER_TAF, import_calvin
from balkhash.peers.pywr_export import export_pywr
from balkhash.peers.pywr_import import PywrImportError, convert_pywr, import_pywr, pywr_results
from balkhash.simulation.simulator import simulate

HERE = Path(__file__).resolve().parent / "peers"
EXAMPLE1 = HERE / "calvin" / "links_example1.csv"
MODELS = HERE / "pywr"


def invoke(*args: str):
    return CliRunner().invoke(app, [*args])


def assert_message(res, *fragments: str) -> None:
    """Exit 1 with a message, no traceback."""
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, SystemExit), res.exception
    for f in fragments:
        assert f in res.output, res.output


def pywr_model(name: str) -> dict:
    return json.loads((MODELS / f"{name}.json").read_text(encoding="utf-8"))


def write_json(doc: dict, path: Path) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# -- export pywr: what Pywr does not express is listed ----------------------------------------------

def carry_basin():
    raw = {"name": "carry test", "calendar": {"start": "2025-10", "periods": 3},
           "options": {"storage_deviation_cost": 0, "fair_sharing": False},
           "nodes": [{"id": "RIV", "type": "inflow", "inflow": "10 Mm3/month"},
                     {"id": "RES", "type": "reservoir", "min_storage": "0 Mm3", "max_storage": "100 Mm3",
                      "initial_storage": "50 Mm3", "carry_factor": 0.5, "end_storage": "free"},
                     {"id": "CITY", "type": "demand", "sector": "utilities", "target": "30 Mm3/month",
                      "shortfall_cost": 100}],
           "links": [{"id": "RIV-RES", "from": "RIV", "to": "RES"}, {"id": "RES-CITY", "from": "RES", "to": "CITY"}]}
    return parse_basin(raw, "test.yaml")


def test_export_lists_a_carry_factor():
    ex = export_pywr(carry_basin())
    notes = [a for a in ex.approximations if "carry_factor 0.5" in a]
    assert len(notes) == 1
    assert "node 'RES'" in notes[0]
    assert "carry_factor 0.5" in ex.model["metadata"]["description"]


def test_export_lists_storage_segments_and_the_end_storage_they_fix(tmp_path):
    import_calvin(EXAMPLE1, tmp_path / "ex1")
    ex = export_pywr(load_basin(tmp_path / "ex1"))
    text = "\n".join(ex.approximations)
    assert "node 'SR_SHA': carry_factor 0.99716" in text
    assert "node 'SR_SHA': its 3 storage segment(s)" in text
    assert "the storage its segments fix (3605.8" in text
    assert "Mm3 at the end of 1983-11" in text


def test_cli_export_prints_the_approximation_lines(tmp_path):
    import yaml

    from balkhash.network.io import basin_to_dict

    (tmp_path / "cf").mkdir()
    (tmp_path / "cf" / "basin.yaml").write_text(yaml.safe_dump(basin_to_dict(carry_basin())), encoding="utf-8")
    res = invoke("export", "pywr", str(tmp_path / "cf"), str(tmp_path / "out" / "m.json"))
    assert res.exit_code == 0, res.output
    assert "approximation: node 'RES': carry_factor 0.5" in " ".join(res.output.split())


# -- unwritable outputs: a message, exit 1 ----------------------------------------------------------

@pytest.mark.parametrize("command", ["export", "calvin", "pywr"])
def test_an_unwritable_output_is_a_message(tmp_path, command):
    (tmp_path / "flows.csv").write_text("x\n", encoding="utf-8")
    target = str(tmp_path / "flows.csv" / "x")
    args = {"export": ("export", "pywr", "ile_balkhash", target + ".json"),
            "calvin": ("import", "calvin", str(EXAMPLE1), target),
            "pywr": ("import", "pywr", str(MODELS / "simple1.json"), target)}[command]
    assert_message(invoke(*args), "error: cannot write", "flows.csv")
    assert (tmp_path / "flows.csv").read_text(encoding="utf-8") == "x\n"


def test_export_writes_both_files_or_neither(tmp_path):
    (tmp_path / "m.json").mkdir()  # the model's path is taken by a directory: the series must not stay
    res = invoke("export", "pywr", "ile_balkhash", str(tmp_path / "m.json"))
    assert_message(res, "cannot write the Pywr model")
    assert not (tmp_path / "m.csv").exists()


# -- import calvin ------------------------------------------------------------------------------------

def edited(tmp_path: Path, old: str, new: str) -> Path:
    p = tmp_path / "links.csv"
    p.write_text(EXAMPLE1.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return p


@pytest.mark.parametrize(("date", "why"), [("1983-11-31", "not a calendar date"), ("1983-13-31", "not a calendar date"),
                                           ("1983-11-15", "not the last day of its month")])
def test_calvin_dates_that_are_not_month_ends(tmp_path, date, why):
    bad = edited(tmp_path, "1983-11-30", date)
    with pytest.raises(BasinError, match=f"line 4: .*the date {date} is {why}"):
        import_calvin(bad, tmp_path / "out")
    res = invoke("import", "calvin", str(bad), str(tmp_path / "out"))
    assert_message(res, f"the date {date} is {why}")
    assert not (tmp_path / "out").exists()


def test_calvin_lower_bound_above_upper_bound(tmp_path):
    bad = edited(tmp_path, "-7.00344,0.99716,0,630.403", "-7.00344,0.99716,700,630.403")
    with pytest.raises(BasinError, match=r"line 4: SR_SHA.1983-10-31 -> SR_SHA.1983-11-30 \(k=0\): lower_bound 700 is "
                       "above upper_bound 630.403"):
        import_calvin(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_calvin_no_limit_keeps_calvins_own_bounds(tmp_path):
    """CALVIN's "no limit" (1e6 TAF) in only some months of a bound, and a storage without a limit,
    keep the file's own number (1e6 TAF), not a stand-in of 1e9 Mm3."""
    import_calvin(HERE / "calvin" / "linksWY1922.csv.gz", tmp_path / "wy")
    for name in ("basin.yaml", "links.csv", "link_series.csv", "node_series.csv"):
        assert "1000000000.0" not in (tmp_path / "wy" / name).read_text(encoding="utf-8"), name
    basin = load_basin(tmp_path / "wy")
    tops = [r.max_storage.mm3 for r in basin.nodes_of("reservoir")]
    assert 1e6 * MM3_PER_TAF <= max(tops) < 1.1e6 * MM3_PER_TAF  # 1e6 TAF carried over the carry factor


def test_calvin_unknown_unit(tmp_path):
    res = invoke("import", "calvin", str(EXAMPLE1), str(tmp_path / "out"), "--unit", "cfs")
    assert_message(res, "--unit: 'cfs' is not a volume unit", "taf, mm3")
    assert not (tmp_path / "out").exists()
    assert "one of: taf" in " ".join(invoke("import", "calvin", "--help").output.split())


# -- import pywr --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("edit", "message"), [
    (lambda m: m["timestepper"].update(end="2014-01-01"), "timestepper: end 2014-01-01 is before start 2015-01-01"),
    (lambda m: m["timestepper"].update(start="2015-13-01"), "timestepper.start '2015-13-01': not a date"),
    (lambda m: m["timestepper"].pop("end"), "timestepper: needs an end date"),
    (lambda m: m["nodes"][0].update(initial_volume=50),
     r"node 'supply1' \(Storage\): initial_volume 50 is outside \[min_volume, max_volume\] = \[0, 35\]"),
    (lambda m: m["nodes"][0].update(min_volume=40), "node 'supply1' .*: min_volume 40 and max_volume 35"),
    (lambda m: m["nodes"].append(dict(m["nodes"][-1])), r"node '\w+': duplicate name \(nodes\[6\]\)"),
])
def test_pywr_inputs_refused_with_the_node(tmp_path, edit, message):
    doc = pywr_model("reservoir2")
    edit(doc)
    src = write_json(doc, tmp_path / "m.json")
    with pytest.raises(PywrImportError, match=message):
        import_pywr(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert_message(invoke("import", "pywr", str(src), str(tmp_path / "out")), "cannot convert the Pywr model")
    assert not (tmp_path / "out").exists()


def test_pywr_negative_max_flow_and_short_monthly_profile(tmp_path):
    doc = pywr_model("simple1")
    out = next(n for n in doc["nodes"] if n["type"].lower() == "output")
    out["max_flow"] = -5
    with pytest.raises(PywrImportError, match=r"node 'demand1' \(Output\) max_flow: -5 on .* is negative"):
        convert_pywr(write_json(doc, tmp_path / "neg.json"))
    out["max_flow"] = "profile"
    doc["parameters"] = {"profile": {"type": "monthlyprofile", "values": [1, 2, 3]}}
    with pytest.raises(PywrImportError, match=r"parameter 'profile': a monthlyprofile needs 12 numbers "
                       r"\(January..December\), got 3 value"):
        convert_pywr(write_json(doc, tmp_path / "mp.json"))


def test_a_failed_import_leaves_the_previous_basin(tmp_path):
    assert import_pywr(MODELS / "simple1.json", tmp_path / "out")
    before = (tmp_path / "out" / "basin.yaml").read_text(encoding="utf-8")
    doc = pywr_model("reservoir2")
    doc["nodes"][0]["initial_volume"] = 50
    with pytest.raises(PywrImportError):
        import_pywr(write_json(doc, tmp_path / "bad.json"), tmp_path / "out")
    assert (tmp_path / "out" / "basin.yaml").read_text(encoding="utf-8") == before


def test_pywr_names_that_extend_another_name(tmp_path):
    """Nodes 'link1' and 'link1.out' (as an exported basin holds), and one named like the sink of what
    Inputs do not supply: their ids do not collide."""
    doc = pywr_model("simple1")
    doc["nodes"] += [{"name": "link1.out", "type": "Link"}, {"name": "pywr.unused", "type": "Output"}]
    doc["edges"] = [["supply1", "link1"], ["link1", "link1.out"], ["link1.out", "demand1"], ["supply1", "pywr.unused"]]
    doc["timestepper"]["end"] = "2015-01-05"
    conv = import_pywr(write_json(doc, tmp_path / "m.json"), tmp_path / "b")
    ids = [n["id"] for n in conv.basin["nodes"]]
    assert len(ids) == len(set(ids))
    flows, _ = pywr_results(simulate(load_basin(tmp_path / "b"), mode="step"), json.loads(
        (tmp_path / "b" / "pywr.json").read_text(encoding="utf-8")))
    assert flows.loc["demand1"].to_numpy() == pytest.approx(np.full(5, 10.0), abs=1e-7)
    assert flows.loc["link1.out"].to_numpy() == pytest.approx(np.full(5, 10.0), abs=1e-7)


def test_pywr_varying_storage_bounds_become_a_storage_segment(tmp_path):
    doc = pywr_model("reservoir1")
    doc["timestepper"]["end"] = "2015-01-05"
    doc["parameters"] = {"cap": {"type": "monthlyprofile", "values": [20.0] * 12}}
    store = next(n for n in doc["nodes"] if n["type"].lower() == "storage")
    store["max_volume"] = {"type": "dataframe", "url": "cap.csv", "column": "cap", "index_col": 0,
                           "parse_dates": True}
    (tmp_path / "cap.csv").write_text("date,cap\n" + "".join(f"2015-01-0{d},{35 if d < 3 else 20}\n"
                                                             for d in range(1, 6)), encoding="utf-8")
    conv = import_pywr(write_json(doc, tmp_path / "m.json"), tmp_path / "b")
    node = next(n for n in conv.basin["nodes"] if n["id"] == store["name"])
    assert node["max_storage"] == "35.0 Mm3"
    assert node["storage_segments"][0]["capacity"]["series"] == [35.0, 35.0, 20.0, 20.0, 20.0]
    _, v = pywr_results(simulate(load_basin(tmp_path / "b"), mode="step"), json.loads(
        (tmp_path / "b" / "pywr.json").read_text(encoding="utf-8")))
    assert (v.loc[store["name"]].to_numpy() <= np.array([35, 35, 20, 20, 20]) + 1e-7).all()


# -- round trips ------------------------------------------------------------------------------------

def test_default_basin_round_trip_with_its_rule_curves(tmp_path):
    """The default basin (rule curves: varying max_volume in Pywr) exported and imported again: in
    step mode every user's delivery in every month is balkhash's own."""
    basin = load_basin(default_basin_path())
    ex = export_pywr(basin, tmp_path / "ib.json")
    assert any(isinstance(n.get("max_volume"), dict) for n in ex.model["nodes"] if n["type"] == "Storage")
    conv = import_pywr(tmp_path / "ib.json", tmp_path / "back")
    first = simulate(basin, mode="step")
    back = simulate(load_basin(tmp_path / "back"), mode="step")
    flows, _ = pywr_results(back, {"days": conv.days, "nodes": conv.nodes})
    days = np.asarray(conv.days)
    d = first.tables["deliveries"]
    for demand_id, node in ex.demands.items():
        assert flows.loc[node].to_numpy() * days == pytest.approx(
            d[d["demand"] == demand_id]["delivered_mm3"].to_numpy(), abs=1e-6)


@pytest.mark.parametrize("name", ["simple1", "reservoir1", "reservoir2", "river2", "river_mrf1", "loss_link",
                                  "cost1", "aggregated1", "river_split_with_gauge1"])
def test_pywr_balkhash_pywr_balkhash(tmp_path, name):
    """A Pywr test model imported, exported and imported again: the second basin's step mode gives
    every original Pywr node's flow and volume of the first."""
    doc = pywr_model(name)
    start = doc["timestepper"]["start"]
    doc["timestepper"]["end"] = str(np.datetime64(start) + np.timedelta64(11, "D"))  # 12 timesteps
    a = import_pywr(write_json(doc, tmp_path / "m.json"), tmp_path / "a")
    ex = export_pywr(load_basin(tmp_path / "a"), tmp_path / "rt.json")
    b = import_pywr(tmp_path / "rt.json", tmp_path / "b")
    fa, va = pywr_results(simulate(load_basin(tmp_path / "a"), mode="step"), {"days": a.days, "nodes": a.nodes})
    fb, vb = pywr_results(simulate(load_basin(tmp_path / "b"), mode="step"), {"days": b.days, "nodes": b.nodes})
    # the second import's Pywr nodes are the first basin's links and storages (ex.links, ex.storages)
    da, db = np.asarray(a.days), np.asarray(b.days)
    for node, where in a.nodes.items():
        if "flow" in where:
            vol_a = fa.loc[node].to_numpy() * da
            vol_b = sum(f * ex.links[lk][1] * fb.loc[ex.links[lk][0]].to_numpy() * db for lk, f in where["flow"])
            assert vol_b == pytest.approx(vol_a, abs=1e-6), node
        else:
            assert vb.loc[ex.storages[where["volume"]]].to_numpy() == pytest.approx(va.loc[node].to_numpy(),
                                                                                   abs=1e-6), node


def test_a_pywr_model_of_daily_timesteps_gives_its_own_m3s(tmp_path):
    """A 1-day timestep: the basin's periods last 1 day (calendar.period_days), so a flow of
    15 Mm3 in a period is 15e6 / 86 400 = 173.6 m3/s, not 15e6 over a month's seconds."""
    import balkhash
    from balkhash.network.io import load_basin
    from balkhash.peers.pywr_import import import_pywr

    model = {
        "metadata": {"title": "daily", "minimum_version": "0.1"},
        "timestepper": {"start": "2015-01-01", "end": "2015-01-10", "timestep": 1},
        "nodes": [
            {"name": "src", "type": "input", "max_flow": 20.0, "cost": -1.0},
            {"name": "dem", "type": "output", "max_flow": 15.0, "cost": -10.0},
        ],
        "edges": [["src", "dem"]],
    }
    f = tmp_path / "daily.json"
    f.write_text(json.dumps(model), encoding="utf-8")
    out = tmp_path / "basin"
    import_pywr(f, out)
    basin = load_basin(out)
    assert basin.calendar.period_days == 1.0
    assert basin.timeline().days.tolist() == [1.0] * 10
    flows = balkhash.solve(basin).tables["flows"]
    served = flows[flows["flow_mm3"] > 0]
    assert len(served)
    assert (served["flow_m3s"] - served["flow_mm3"] * 1e6 / 86400.0).abs().max() < 1e-6
