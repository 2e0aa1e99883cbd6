"""Pywr's test models imported with ``balkhash import pywr`` and run in step mode, against the values
Pywr's own tests assert for them (tests/peers/pywr/README.md names the files and the commit).

Each Pywr timestep is one period of the imported basin (docs/peers.md, Pywr): flows per day are
the periods' volumes divided by the timestep's days."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from balkhash.cli import app
from balkhash.network.io import load_basin
from balkhash.peers.pywr_import import PywrImportError, check_unbounded, convert_pywr, import_pywr, pywr_results
from balkhash.simulation.simulator import simulate

MODELS = Path(__file__).parent / "peers" / "pywr"


def model(name: str) -> dict:
    return json.loads((MODELS / f"{name}.json").read_text(encoding="utf-8"))


def run(doc: dict | str, tmp_path: Path, steps: int | None = None):
    """Import a model (a file of MODELS or an edited copy), run it in step mode: (flows, volumes) per
    Pywr node and timestep, flows per day."""
    if isinstance(doc, str):
        doc = model(doc)
    if steps is not None:  # fewer timesteps: the end date moved
        import pandas as pd
        ts = doc["timestepper"]
        ts["end"] = str((pd.Timestamp(ts["start"]) + pd.Timedelta(days=(steps - 1) * int(ts["timestep"]))).date())
    tmp_path.mkdir(parents=True, exist_ok=True)
    src = tmp_path / "model.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    conv = import_pywr(src, tmp_path / "basin")
    sol = simulate(load_basin(tmp_path / "basin"), mode="step")
    check_unbounded(sol, conv)
    mapping = json.loads((tmp_path / "basin" / "pywr.json").read_text(encoding="utf-8"))
    return pywr_results(sol, mapping)


def test_simple1(tmp_path):
    """test_run_simple1: demand1 gets 10 (supply 15, demand max 10)."""
    f, _ = run("simple1", tmp_path, steps=5)
    assert f.loc["demand1"].to_numpy() == pytest.approx(np.full(5, 10.0), abs=1e-7)


@pytest.mark.parametrize("name", ["reservoir1", "reservoir1_pc"])
def test_reservoir1(tmp_path, name):
    """test_run_reservoir1: a reservoir with no refill empties: (demand, stored) per timestep (its
    initial volume given as a volume, or as a share of the maximum)."""
    f, v = run(name, tmp_path, steps=5)
    expected = [(10.0, 25.0), (10.0, 15.0), (10.0, 5.0), (5.0, 0.0), (0.0, 0.0)]
    assert f.loc["demand1"].to_numpy() == pytest.approx([d for d, _ in expected], abs=1e-7)
    assert v.loc["supply1"].to_numpy() == pytest.approx([s for _, s in expected], abs=1e-7)


def test_reservoir2(tmp_path):
    """test_run_reservoir2: the river abstraction refills the reservoir, not quickly enough."""
    f, v = run("reservoir2", tmp_path, steps=5)
    expected = [(15.0, 25.0), (15.0, 15.0), (15.0, 5.0), (10.0, 0.0), (5.0, 0.0)]
    assert f.loc["demand1"].to_numpy() == pytest.approx([d for d, _ in expected], abs=1e-7)
    assert v.loc["supply1"].to_numpy() == pytest.approx([s for _, s in expected], abs=1e-7)
    assert f.loc["catchment1"].to_numpy() == pytest.approx(np.full(5, 5.0), abs=1e-7)


def test_river2_river_split(tmp_path):
    """test_run_river2: two catchments, a confluence and a RiverSplit (factors 1:3)."""
    f, _ = run("river2", tmp_path, steps=3)
    assert f.loc["demand1"].to_numpy() == pytest.approx(np.full(3, 7.25), abs=1e-7)
    assert f.loc["demand2"].to_numpy() == pytest.approx(np.full(3, 2.0), abs=1e-7)


def test_cost1(tmp_path):
    """test_run_cost1: the cheaper supply first; with demand1's max_flow 20, the dearer tops up."""
    f, _ = run("cost1", tmp_path, steps=2)
    assert f.loc["supply1"].to_numpy() == pytest.approx([10.0, 10.0], abs=1e-7)
    assert f.loc["supply2"].to_numpy() == pytest.approx([0.0, 0.0], abs=1e-7)
    assert f.loc["demand1"].to_numpy() == pytest.approx([10.0, 10.0], abs=1e-7)
    doc = model("cost1")
    next(n for n in doc["nodes"] if n["name"] == "demand1")["max_flow"] = 20.0
    f, _ = run(doc, tmp_path / "20", steps=2)
    assert f.loc["supply1"].to_numpy() == pytest.approx([15.0, 15.0], abs=1e-7)
    assert f.loc["supply2"].to_numpy() == pytest.approx([5.0, 5.0], abs=1e-7)
    assert f.loc["demand1"].to_numpy() == pytest.approx([20.0, 20.0], abs=1e-7)


def test_river_mrf1_river_gauge(tmp_path):
    """test_river_gauge: with mrf 40 (mrf_cost -999) the gauge passes 40 and the demand gets 60.
    With the model's own monthly profile (20 Jan-May, 60 Jun-Oct) the MRF follows the month of each
    daily timestep: 20 on 31 May, 60 on 1 June."""
    doc = model("river_mrf1")
    gauge = next(n for n in doc["nodes"] if n["name"] == "mrf")
    gauge["mrf"], gauge["mrf_cost"] = 40.0, -999.0
    f, _ = run(doc, tmp_path / "40", steps=3)
    assert f.loc["mrf"].to_numpy() == pytest.approx(np.full(3, 40.0), abs=1e-7)
    assert f.loc["demand"].to_numpy() == pytest.approx(np.full(3, 60.0), abs=1e-7)
    f, _ = run("river_mrf1", tmp_path / "profile", steps=160)
    mrf = f.loc["mrf"].to_numpy()
    assert mrf[150] == pytest.approx(20.0, abs=1e-7)  # 2015-05-31
    assert mrf[151] == pytest.approx(60.0, abs=1e-7)  # 2015-06-01
    assert f.loc["demand"].to_numpy() == pytest.approx(100.0 - mrf, abs=1e-7)


@pytest.mark.parametrize(("loss_factor", "loss_factor_type", "supply"), [
    (None, None, 12.0),
    (0.2, "gross", 10 / (1 - 0.2)),
    (0.2, "net", 10 * (1 + 0.2)),
    (0.98, "gross", 10 / (1 - 0.98)),
    (0.98, "net", 10 * (1 + 0.98)),
    (1.0, "net", 10 * (1 + 1.0)),
    (0.0, "gross", 10.0),
    (0.0, "net", 10.0),
])
def test_loss_link(tmp_path, loss_factor, loss_factor_type, supply):
    """test_loss_link_node: the supply provides the loss on top of the 10 delivered (the LossLink's
    max_flow acts on its net flow, which Pywr reports as its flow)."""
    doc = model("loss_link")
    node = next(n for n in doc["nodes"] if n["name"] == "link1")
    if loss_factor is not None:
        node["loss_factor"], node["loss_factor_type"] = loss_factor, loss_factor_type
    f, _ = run(doc, tmp_path, steps=2)
    assert f.loc["supply1"].to_numpy() == pytest.approx([supply] * 2, rel=1e-9)
    assert f.loc["link1"].to_numpy() == pytest.approx([10.0] * 2, rel=1e-9)
    assert f.loc["demand1"].to_numpy() == pytest.approx([10.0] * 2, rel=1e-9)


def test_loss_link_all_lost_is_refused(tmp_path):
    """Pywr's (1.0, gross) case loses every unit: balkhash's loss is below 1, so it is refused."""
    doc = model("loss_link")
    node = next(n for n in doc["nodes"] if n["name"] == "link1")
    node["loss_factor"], node["loss_factor_type"] = 1.0, "gross"
    (tmp_path / "m.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(PywrImportError, match=r"node 'link1' \(LossLink\): loss_factor 1 \(gross\)"):
        convert_pywr(tmp_path / "m.json")


@pytest.mark.parametrize(("benefit", "flow"), [(-3.0, 5.0), (-10.0, 15.0)])
def test_piecewise_link(tmp_path, benefit, flow):
    """A PiecewiseLink of two routes: up to 5 at a benefit of 20, the rest at a cost of 5, to an
    Output worth 3 or 10 per unit (max 15): at 3 only the first route pays (5), at 10 both (15)."""
    doc = {"metadata": {"title": "piecewise"},
           "timestepper": {"start": "2015-01-01", "end": "2015-01-03", "timestep": 1},
           "nodes": [{"name": "in", "type": "Input", "max_flow": 20},
                     {"name": "pw", "type": "PiecewiseLink", "nsteps": 2, "max_flows": [5, None], "costs": [-20, 5]},
                     {"name": "out", "type": "Output", "max_flow": 15, "cost": benefit}],
           "edges": [["in", "pw"], ["pw", "out"]]}
    f, _ = run(doc, tmp_path)
    assert f.loc["pw"].to_numpy() == pytest.approx([flow] * 3, abs=1e-7)
    assert f.loc["out"].to_numpy() == pytest.approx([flow] * 3, abs=1e-7)


def test_deficit(tmp_path):
    """deficit.json: its 'deficit' parameter (yesterday's deficit, from the previous timestep's
    solution) is refused by name.  Without the two nodes using it, demand1's deficit over the 12
    timesteps of 31 days from 2015-01-20 is test_deficit_parameter's: 10 - min(max_flow, 10), the
    monthly profile read at the month each timestep starts in."""
    with pytest.raises(PywrImportError, match="parameter 'deficit': parameter type 'deficit' is not converted"):
        convert_pywr(MODELS / "deficit.json")
    doc = model("deficit")
    doc["nodes"] = [n for n in doc["nodes"] if n["name"] in ("supply1", "demand1")]
    doc["edges"] = [["supply1", "demand1"]]
    del doc["parameters"], doc["recorders"]
    f, _ = run(doc, tmp_path)
    max_flow = np.array([5, 6, 7, 8, 9, 10, 11, 12, 11, 10, 9, 8], dtype=float)
    assert f.shape[1] == 12
    assert (10.0 - f.loc["demand1"].to_numpy()) == pytest.approx(10.0 - np.minimum(max_flow, 10.0), abs=1e-7)


def test_aggregated1(tmp_path):
    """aggregated1.json (test_aggregated_constraint_json): A and B in the ratio 2:4 (factors), their sum at
    most 30 and at least 5: Z takes 30, A 10, B 20."""
    f, _ = run("aggregated1", tmp_path)
    assert f.loc["A"].to_numpy() == pytest.approx([10.0, 10.0], abs=1e-7)
    assert f.loc["B"].to_numpy() == pytest.approx([20.0, 20.0], abs=1e-7)
    assert f.loc["Z"].to_numpy() == pytest.approx([30.0, 30.0], abs=1e-7)


def test_river_split_with_gauge1(tmp_path):
    """test_river_split_gauge_json: (100 - MRF 40) x 0.25 abstracted."""
    f, _ = run("river_split_with_gauge1", tmp_path, steps=3)
    assert f.loc["Catchment"].to_numpy() == pytest.approx(np.full(3, 100.0), abs=1e-7)
    assert f.loc["Demand"].to_numpy() == pytest.approx(np.full(3, (100.0 - 40.0) * 0.25), abs=1e-7)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["nodes"].append({"name": "x", "type": "BreakLink"}), "node 'x' (BreakLink): node type not converted"),
    (lambda d: d["nodes"][0].update(conserve=True), "node 'supply1' (Input): attribute(s) conserve not converted"),
    (lambda d: d["nodes"][0].update(max_flow="nope"), "node 'supply1' (Input) max_flow: unknown parameter 'nope'"),
    (lambda d: d["nodes"][0].update(max_flow={"type": "controlcurve"}), "parameter type 'controlcurve'"),
    (lambda d: d.update(scenarios=[{"name": "s", "size": 2}]), "section 'scenarios': not converted"),
    (lambda d: d["edges"].append(["demand1", "supply1"]), "edge demand1 -> supply1: 'demand1' has no outflow"),
])
def test_what_cannot_be_converted_is_named(tmp_path, edit, message):
    doc = model("simple1")
    edit(doc)
    (tmp_path / "m.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(PywrImportError) as err:
        convert_pywr(tmp_path / "m.json")
    assert message in str(err.value)


def test_positive_storage_cost_is_refused(tmp_path):
    doc = model("reservoir1")
    doc["nodes"][0]["cost"] = 2.0
    (tmp_path / "m.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(PywrImportError, match=r"node 'supply1' \(Storage\): cost 2 > 0"):
        convert_pywr(tmp_path / "m.json")


def test_storage_cost_is_a_carryover_value(tmp_path):
    """A Storage of cost -5 (Pywr: a benefit of 5 per unit entering, a cost of 5 per unit leaving)
    against a demand worth 3 per unit: Pywr keeps the water; as a carry-over value of 5 per unit the
    step keeps it too.  At a benefit of 1 the demand takes it."""
    doc = model("reservoir1")
    doc["nodes"][0]["cost"] = -5.0
    doc["nodes"][2]["cost"] = -3.0
    f, v = run(doc, tmp_path / "keep", steps=2)
    assert f.loc["demand1"].to_numpy() == pytest.approx([0.0, 0.0], abs=1e-7)
    assert v.loc["supply1"].to_numpy() == pytest.approx([35.0, 35.0], abs=1e-7)
    doc["nodes"][0]["cost"] = -1.0
    f, v = run(doc, tmp_path / "use", steps=2)
    assert v.loc["supply1"].to_numpy() == pytest.approx([25.0, 15.0], abs=1e-7)


def test_cli_import_pywr(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["import", "pywr", str(MODELS / "river2.json"), str(tmp_path / "river2")])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "river2" / "basin.yaml").is_file()
    assert "1 splits" in ok.output
    bad = runner.invoke(app, ["import", "pywr", str(MODELS / "deficit.json"), str(tmp_path / "deficit")])
    assert bad.exit_code == 1
    assert "parameter 'deficit'" in bad.output
