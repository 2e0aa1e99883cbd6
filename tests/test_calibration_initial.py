"""Calibration of an initial state (``initial_level`` of a lake, ``initial_storage`` of a
reservoir): the value is the state itself, in its unit; the fit recovers the level the
observations were made from, its standard error is in metres whatever the bounds, in place equals
rebuilt, and the command writes the fitted start into the calibrated hindcast setup, not into the
basin."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml
from test_calibration import EVAP, synthetic_basin
from typer.testing import CliRunner

from balkhash.cli import app
from balkhash.history.bands import BandError, parse_band
from balkhash.history.calibrate import CalibrationError, calibrate, parse_param
from balkhash.history.hindcast import Hindcast, HindcastError, HindcastSetup, ParameterSpec, load_setup
from balkhash.history.multipliers import Moved, MultiplierError, check_spec, scaled_basin
from balkhash.history.observations import Observation
from balkhash.network.io import load_basin, parse_basin
from balkhash.simulation import Simulator

runner = CliRunner()
START = ParameterSpec("start", "initial_level", "LAKE", 4.0, 6.0)
EVAP_SPEC = ParameterSpec("lake_evaporation", "evaporation", "LAKE", 0.7, 1.4)


def _basin_with(level: float, evaporation: float) -> dict:
    """The synthetic basin of tests/test_calibration.py started at ``level`` (m) with its
    evaporation x ``evaporation``, written out (not through the multipliers' own code)."""
    b = copy.deepcopy(synthetic_basin())
    lake = next(n for n in b["nodes"] if n["id"] == "LAKE")
    lake["initial_level_m"] = level
    lake["evaporation_mm"] = [e * evaporation for e in EVAP]
    return b


def _observations(level: float, evaporation: float, wobble: float = 0.0) -> list[Observation]:
    """Monthly mean levels of the 24 months of the basin started at ``level``; ``wobble`` (m) is
    added with alternating sign (residuals that no fit removes)."""
    basin = parse_basin(_basin_with(level, evaporation), "truth.yaml")
    probe = [Observation("level", "LAKE", f"{2001 + t // 12}-{t % 12 + 1:02d}", "month", 2001 + t // 12,
                         t % 12 + 1, None, 0.0, "m", 0.01, "synthetic", t + 2) for t in range(24)]
    truth = Hindcast(basin, HindcastSetup(), probe).run()
    return [Observation(o.quantity, o.site, o.when, o.kind, o.year, o.month, o.day,
                        float(m) + wobble * (-1) ** i, o.unit, o.sigma, o.source, o.line)
            for i, (o, m) in enumerate(zip(probe, truth.table["model"], strict=True))]


def test_the_fit_recovers_the_initial_level_and_the_evaporation_the_observations_were_made_with():
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")  # starts at 5.0 m
    h = Hindcast(basin, HindcastSetup(), _observations(4.6, 1.12), specs=[START, EVAP_SPEC])
    assert list(h.moved.start()) == [5.0, 1.0]
    res = calibrate(h)
    assert res.values[0] == pytest.approx(4.6, abs=1e-3)
    assert res.values[1] == pytest.approx(1.12, abs=2e-3)
    assert res.before.level_stats()["bias_m"] > 0.3  # started 0.4 m too high
    assert res.after.level_stats()["rmse_m"] < 1e-3
    table = res.table().set_index("parameter")
    assert table.loc["start", "unit"] == "m"
    assert table.loc["lake_evaporation", "unit"] == "factor"


def test_the_standard_error_of_a_level_is_in_metres_whatever_its_bounds():
    """The fit runs on a share of the bounds' width; its covariance is scaled back, so widening the
    bounds leaves the fitted level and its standard error (m) as they are."""
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    obs = _observations(4.6, 1.0, wobble=0.01)
    fits = []
    for low, high in ((4.0, 6.0), (2.0, 8.0)):
        h = Hindcast(basin, HindcastSetup(), obs, specs=[ParameterSpec("start", "initial_level", "LAKE", low, high)])
        fits.append(calibrate(h))
    a, b = fits
    assert a.values[0] == pytest.approx(4.6, abs=1e-3)
    assert b.values[0] == pytest.approx(a.values[0], abs=1e-4)
    # 24 residuals of +-1 sigma around a constant offset: s^2 = 24 / 23, J = 1 / sigma per month
    expected = np.sqrt(24 / 23 / (24 / 0.01 ** 2))
    for fit in fits:
        assert fit.std[0] == pytest.approx(expected, rel=0.02)


def test_an_initial_level_set_in_place_gives_the_basin_started_there():
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    live = Moved(basin, [START, EVAP_SPEC], lambda b: Simulator(b, mode="step"))
    rebuilt = Moved(basin, [START, EVAP_SPEC], lambda b: Simulator(b, mode="step"), in_place=False)
    assert live.in_place
    live.set([4.4, 1.1])
    rebuilt.set([4.4, 1.1])
    assert rebuilt.rebuilds == 1
    direct = Simulator(parse_basin(_basin_with(4.4, 1.1), "direct.yaml"), mode="step").solve().storage
    for m in (live, rebuilt):
        st = m.solve().storage
        assert np.allclose(st["storage_mm3"], direct["storage_mm3"], atol=1e-6)
    assert float(direct["storage_start_mm3"].iloc[0]) == pytest.approx(4.4 * 500.0)  # 500 km2 of walls


def test_a_reservoir_start_is_its_storage_in_mm3():
    spec = {"name": "one reservoir", "calendar": {"start": "2001-01", "periods": 6},
            "nodes": [{"id": "RIVER", "type": "inflow", "inflow": {"unit": "Mm3/month", "value": 10.0}},
                      {"id": "RES", "type": "reservoir", "initial_storage": "50 Mm3",
                       "min_storage": "0 Mm3", "max_storage": "200 Mm3"},
                      {"id": "TOWN", "type": "demand", "sector": "utilities",
                       "target": {"unit": "Mm3/month", "value": 30.0}}],
            "links": [{"id": "IN", "from": "RIVER", "to": "RES"}, {"id": "OUT", "from": "RES", "to": "TOWN"}]}
    basin = parse_basin(spec, "res.yaml")
    s = ParameterSpec("res_start", "initial_storage", "RES", 0.0, 200.0)
    with pytest.raises(MultiplierError, match=r"the range 0..250 Mm3 leaves its storage bounds \(0..200 Mm3\)"):
        check_spec(basin, ParameterSpec("res_start", "initial_storage", "RES", 0.0, 250.0))
    live = Moved(basin, [s], lambda b: Simulator(b, mode="step"))
    rebuilt = Moved(basin, [s], lambda b: Simulator(b, mode="step"), in_place=False)
    assert list(live.start()) == [50.0]
    for m in (live, rebuilt):
        m.set([80.0])
        st = m.solve().storage
        assert float(st["storage_start_mm3"].iloc[0]) == pytest.approx(80.0)
        # 10 in, 30 out a month: 80 Mm3 carry the town through four months, not two and a half
        deliveries = m.model.solve().tables["deliveries"]
        got = deliveries.groupby("period", sort=False)["delivered_mm3"].sum().to_numpy()
        assert got[:4] == pytest.approx([30.0] * 4, abs=1e-6)
        assert got[4] == pytest.approx(10.0, abs=1e-6)


def test_the_basin_keeps_its_own_start_when_the_multipliers_are_applied():
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    b = scaled_basin(basin, [START, EVAP_SPEC], [4.2, 1.1])
    lake = b.node("LAKE")
    assert lake.initial_level_m == 5.0
    assert lake.evaporation_mm.monthly == pytest.approx([e * 1.1 for e in EVAP])


def test_an_initial_state_needs_a_storage_of_its_kind_and_a_range():
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    with pytest.raises(MultiplierError, match="'LOCAL' is not a lake"):
        check_spec(basin, ParameterSpec("x", "initial_level", "LOCAL", 0.0, 1.0))
    with pytest.raises(MultiplierError, match="'LAKE' is not a reservoir"):
        check_spec(basin, ParameterSpec("x", "initial_storage", "LAKE", 0.0, 1.0))
    with pytest.raises(MultiplierError, match=r"the range -1..6 m leaves its level-area-volume table \(0..10 m\)"):
        check_spec(basin, ParameterSpec("x", "initial_level", "LAKE", -1.0, 6.0))
    with pytest.raises(CalibrationError, match="needs its range in m"):
        parse_param("initial_level:LAKE", {})
    spec = parse_param("initial_level:LAKE=4.5:5.5", {})
    assert (spec.kind, spec.key, spec.low, spec.high) == ("initial_level", "LAKE", 4.5, 5.5)
    assert parse_param("initial_level:LAKE=-5:-2", {}).low == -5.0  # a level may lie below its datum
    with pytest.raises(CalibrationError, match=">= 0"):
        parse_param("initial_storage:RES=-5:2", {})


def test_an_initial_state_is_not_a_band():
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    with pytest.raises(BandError, match="an initial state, not a factor"):
        parse_band("initial_level:LAKE=0.05", basin)


def test_a_setup_file_must_give_an_initial_states_range(tmp_path):
    f = tmp_path / "hindcast.yaml"
    f.write_text(yaml.safe_dump({"parameters": {"start": {"kind": "initial_level", "key": "LAKE", "low": 4.0}}}))
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    with pytest.raises(HindcastError, match=r"parameters.start: an initial state needs its range, low and high \(m\)"):
        load_setup(basin, f)


def test_the_command_writes_the_fitted_start_into_the_calibrated_setup(tmp_path):
    d = tmp_path / "basin"
    (d / "observed").mkdir(parents=True)
    (d / "basin.yaml").write_text(yaml.safe_dump(synthetic_basin()))
    obs = _observations(4.6, 1.12)
    pd.DataFrame([{"quantity": o.quantity, "site": o.site, "when": o.when, "value": o.value, "unit": o.unit,
                   "sigma": o.sigma, "source": o.source} for o in obs]).to_csv(d / "observed" / "obs.csv", index=False)
    (d / "observed" / "hindcast.yaml").write_text(yaml.safe_dump({
        "observations": "obs.csv", "initial": {"LAKE": "5.0 m"},
        "parameters": {"start": {"kind": "initial_level", "key": "LAKE", "low": 4.0, "high": 6.0},
                       "lake_evaporation": {"kind": "evaporation", "key": "LAKE", "low": 0.7, "high": 1.4}}}))
    out = tmp_path / "cal"
    r = runner.invoke(app, ["calibrate", "--basin", str(d), "--param", "start", "--param", "lake_evaporation",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    cal = load_basin(out / "basin")
    assert cal.node("LAKE").initial_level_m == 5.0  # the basin's own start: its plans begin there
    setup = yaml.safe_load((out / "basin" / "observed" / "hindcast.yaml").read_text())
    level = float(setup["initial"]["LAKE"].split()[0])
    assert level == pytest.approx(4.6, abs=1e-3)
    assert setup["initial"]["LAKE"].endswith(" m")
    assert setup["observations"] == "obs.csv"  # the copy that travels with the basin
    assert set(setup["parameters"]) == {"start", "lake_evaporation"}
    r = runner.invoke(app, ["hindcast", "--basin", str(out / "basin"), "--out", str(tmp_path / "h")])
    assert r.exit_code == 0, r.output
    after = pd.read_csv(tmp_path / "h" / "hindcast.csv")
    assert float(np.sqrt(np.mean(after["error"] ** 2))) < 1e-3


def test_a_value_the_observations_barely_determine_is_warned_about():
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    h = Hindcast(basin, HindcastSetup(), _observations(4.6, 1.0, wobble=0.01), specs=[START])
    res = calibrate(h)
    assert not any("barely" in w for w in res.warnings())  # 0.002 m against a 2 m range
    res.std, res.values = np.array([1.2]), np.array([4.6])  # as if the observations saw little of it
    assert any(w.startswith("start = 4.600 m has a standard error of 1.2 m, at least half its range (4:6)")
               for w in res.warnings())
