"""Calibration: on a synthetic basin whose observations were made with known multipliers, the
bounded least squares recovers them; multipliers set in place agree with a rebuilt basin; bad
--param values are refused in one line."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from balkhash.cli import app
from balkhash.history.calibrate import CalibrationError, calibrate, covariance, parse_param
from balkhash.history.hindcast import Hindcast, HindcastSetup, ParameterSpec
from balkhash.history.multipliers import Moved, scaled_basin
from balkhash.history.observations import Observation
from balkhash.network.io import load_basin, parse_basin
from balkhash.simulation import Simulator

runner = CliRunner()
TRUE = {"lake_evaporation": 1.12, "delta_loss": 0.85, "local_inflow": 0.9}
SPECS = [ParameterSpec("lake_evaporation", "evaporation", "LAKE", 0.7, 1.4),
         ParameterSpec("delta_loss", "loss_fraction", "DELTA", 0.5, 1.5),
         ParameterSpec("local_inflow", "inflow", "LOCAL", 0.5, 1.5)]
RIVER = [20, 18, 25, 60, 120, 160, 150, 110, 60, 35, 25, 22]  # Mm3 per month
EVAP = [5, 5, 10, 45, 120, 170, 196, 186, 136, 85, 30, 10]  # mm per month


def synthetic_basin() -> dict:
    """RIVER (a snow-melt profile) -> DELTA (loses 30 %) -> LAKE <- LOCAL (constant); the lake has
    vertical walls (500 km2) and a summer evaporation profile, so each multiplier leaves its own
    seasonal mark on the level."""
    return {
        "name": "synthetic delta",
        "calendar": {"start": "2001-01", "periods": 24},
        "nodes": [
            {"id": "RIVER", "type": "inflow", "inflow": {"unit": "Mm3/month", "monthly": RIVER}},
            {"id": "LOCAL", "type": "inflow", "inflow": {"unit": "Mm3/month", "value": 15.0}},
            {"id": "MOUTH", "type": "junction"},
            {"id": "LAKE", "type": "lake", "initial_level_m": 5.0, "evaporation_mm": EVAP,
             "table": {"level_m": [0.0, 10.0], "area_km2": [500.0, 500.0], "volume": [0.0, 5000.0],
                       "volume_unit": "Mm3"}},
        ],
        "links": [{"id": "DELTA", "from": "RIVER", "to": "MOUTH", "loss_fraction": 0.3},
                  {"id": "MOUTH-LAKE", "from": "MOUTH", "to": "LAKE"},
                  {"id": "LOCAL-LAKE", "from": "LOCAL", "to": "LAKE"}],
    }


def observations_with(values: dict[str, float]) -> list[Observation]:
    """Monthly mean levels of the 24 months, made by the basin with the multipliers ``values``."""
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    probe = [Observation("level", "LAKE", f"{2001 + t // 12}-{t % 12 + 1:02d}", "month", 2001 + t // 12,
                         t % 12 + 1, None, 0.0, "m", 0.01, "synthetic", t + 2) for t in range(24)]
    truth = Hindcast(basin, HindcastSetup(), probe, specs=SPECS).run([values[s.name] for s in SPECS])
    return [Observation(o.quantity, o.site, o.when, o.kind, o.year, o.month, o.day, float(m), o.unit, o.sigma,
                        o.source, o.line) for o, m in zip(probe, truth.table["model"], strict=True)]


def test_calibration_recovers_the_multipliers_the_observations_were_made_with():
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    h = Hindcast(basin, HindcastSetup(), observations_with(TRUE), specs=SPECS)
    res = calibrate(h)
    for s, v in zip(SPECS, res.values, strict=True):
        assert v == pytest.approx(TRUE[s.name], abs=2e-3), s.name
    assert res.before.level_stats()["rmse_m"] > 0.05
    assert res.after.level_stats()["rmse_m"] < 1e-3
    assert res.on_bound == []
    assert np.all(np.isfinite(res.std))
    assert np.all(res.std < 0.05)
    assert np.allclose(np.diag(res.correlation), 1.0)
    assert np.all(np.abs(res.correlation) <= 1.0 + 1e-9)


def test_a_bound_that_holds_a_multiplier_back_is_reported():
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    specs = [ParameterSpec("lake_evaporation", "evaporation", "LAKE", 0.8, 1.05)]
    h = Hindcast(basin, HindcastSetup(), observations_with({**TRUE, "delta_loss": 1.0, "local_inflow": 1.0}),
                 specs=specs)
    res = calibrate(h)
    assert res.values[0] == pytest.approx(1.05)
    assert res.on_bound == ["lake_evaporation"]
    assert "sits on its upper bound" in res.warnings()[0]


def test_multipliers_set_in_place_give_the_rebuilt_basin():
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    values = [1.1, 0.8, 1.2]
    live = Moved(basin, SPECS, lambda b: Simulator(b, mode="step"))
    rebuilt = Moved(basin, SPECS, lambda b: Simulator(b, mode="step"), in_place=False)
    assert rebuilt.rebuilds == 0
    live.set(values)
    rebuilt.set(values)
    assert rebuilt.rebuilds == 1
    a, b = live.solve().storage, rebuilt.solve().storage
    assert np.allclose(a["storage_mm3"], b["storage_mm3"], atol=1e-6)
    direct = Simulator(scaled_basin(basin, SPECS, values), mode="step").solve().storage
    assert np.allclose(direct["storage_mm3"], b["storage_mm3"], atol=1e-6)


def test_covariance_is_the_residual_variance_over_jtj_and_infinite_for_an_unseen_direction():
    jac = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 0.0], [0.0, 0.0]])
    r = np.array([0.1, -0.2, 0.3, 0.0])
    cov = covariance(jac, r)
    s2 = float(r @ r) / 2
    assert cov[0, 0] == pytest.approx(s2 / 2)
    assert cov[1, 1] == pytest.approx(s2 / 4)
    cov = covariance(np.array([[1.0, 0.0], [1.0, 0.0], [2.0, 0.0]]), np.array([0.1, 0.1, 0.1]))
    assert np.isinf(cov[1, 1])
    assert np.isfinite(cov[0, 0])


@pytest.mark.parametrize(("text", "message"), [
    ("lake_evaporatio", "unknown parameter 'lake_evaporatio'"),
    ("lake_evaporation=1.2:1.1", "LOW must be below HIGH"),
    ("lake_evaporation=1.2:1.2", "LOW must be below HIGH"),
    ("lake_evaporation=a:b", "two numbers"),
    ("lake_evaporation=1.2", "NAME=LOW:HIGH"),
])
def test_a_bad_param_is_refused(text, message):
    known = {s.name: s for s in SPECS}
    with pytest.raises(CalibrationError, match=message):
        parse_param(text, known)


def test_the_command_refuses_a_bad_param_in_one_line(tmp_path):
    for arg, message in (("lake_evap", "unknown parameter 'lake_evap'"),
                         ("delta_loss=1.3:0.8", "LOW must be below HIGH"),
                         ("evaporation:NOWHERE=0.9:1.1", "'NOWHERE' has no evaporation in the basin")):
        r = runner.invoke(app, ["calibrate", "--param", arg, "--out", str(tmp_path / "c")])
        assert r.exit_code == 1, (arg, r.output)
        assert message in r.output
        assert "Traceback" not in r.output
        assert not (tmp_path / "c").exists()


def test_calibrate_command_writes_the_calibrated_basin(tmp_path):
    """The synthetic basin as a directory with its observations and setup: the command fits the
    multipliers, and the basin it writes carries them (evaporation x m, loss fraction x m)."""
    d = tmp_path / "basin"
    (d / "observed").mkdir(parents=True)
    (d / "basin.yaml").write_text(yaml.safe_dump(synthetic_basin()))
    obs = observations_with(TRUE)
    pd.DataFrame([{"quantity": o.quantity, "site": o.site, "when": o.when, "value": o.value, "unit": o.unit,
                   "sigma": o.sigma, "source": o.source} for o in obs]).to_csv(d / "observed" / "obs.csv", index=False)
    (d / "observed" / "hindcast.yaml").write_text(yaml.safe_dump({
        "observations": "obs.csv",
        "parameters": {s.name: {"kind": s.kind, "key": s.key, "low": s.low, "high": s.high} for s in SPECS}}))
    out = tmp_path / "cal"
    r = runner.invoke(app, ["calibrate", "--basin", str(d), "--param", "lake_evaporation", "--param", "delta_loss",
                            "--param", "local_inflow", "--out", str(out)])
    assert r.exit_code == 0, r.output
    fit = pd.read_csv(out / "calibration.csv").set_index("parameter")["value"]
    for name, v in TRUE.items():
        assert fit[name] == pytest.approx(v, abs=2e-3)
    cal = load_basin(out / "basin")
    lake = next(n for n in cal.nodes if n.id == "LAKE")
    assert lake.evaporation_mm.monthly == pytest.approx([e * fit["lake_evaporation"] for e in EVAP])
    assert cal.link("DELTA").loss_fraction == pytest.approx(0.3 * fit["delta_loss"])
    assert (out / "basin" / "observed" / "obs.csv").is_file()
    r = runner.invoke(app, ["hindcast", "--basin", str(out / "basin"), "--out", str(tmp_path / "h")])
    assert r.exit_code == 0, r.output
    after = pd.read_csv(tmp_path / "h" / "hindcast.csv")
    assert float(np.sqrt(np.mean(after["error"] ** 2))) < 1e-3
    shutil.rmtree(out)


def test_two_multipliers_the_observations_cannot_tell_apart_are_reported_as_correlated():
    """The river's inflow m_r and its delta loss m_l reach the lake only as R m_r (1 - 0.3 m_l): the
    levels cannot tell them apart, and the calibration says so (correlation near -+1, a warning)."""
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    specs = [ParameterSpec("river", "inflow", "RIVER", 0.5, 1.5), ParameterSpec("delta_loss", "loss_fraction",
                                                                                 "DELTA", 0.5, 1.5)]
    h = Hindcast(basin, HindcastSetup(), observations_with({**TRUE, "lake_evaporation": 1.0}), specs=specs)
    res = calibrate(h)
    assert abs(res.correlation[0, 1]) > 0.95
    assert any("are correlated" in w for w in res.warnings())
