"""calibrate's limit of hindcasts: every hindcast is counted (the basin as it is, the fit's
Jacobians, the fitted basin), the limit is never exceeded, and a fit stopped there is reported as
not converged (the result, its warnings, calibration.json, the console, the calibrated basin)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from test_calibration import TRUE, observations_with, synthetic_basin
from typer.testing import CliRunner

from balkhash.cli import app
from balkhash.history.calibrate import CalibrationError, calibrate
from balkhash.history.hindcast import Hindcast, HindcastSetup, ParameterSpec
from balkhash.network.io import parse_basin, save_basin

runner = CliRunner()
SPECS = [ParameterSpec("lake_evaporation", "evaporation", "LAKE", 0.7, 1.4),
         ParameterSpec("local_inflow", "inflow", "LOCAL", 0.5, 1.5)]


class Counted(Hindcast):
    """A hindcast that counts its runs."""

    runs = 0

    def run(self, multipliers=None):
        self.runs += 1
        return super().run(multipliers)


def counted(specs=SPECS) -> Counted:
    basin = parse_basin(synthetic_basin(), "synthetic.yaml")
    return Counted(basin, HindcastSetup(), observations_with({**TRUE, "delta_loss": 1.0}), specs=specs)


@pytest.mark.parametrize("limit", [5, 6, 8, 11])
def test_the_limit_counts_every_hindcast_and_a_fit_stopped_there_is_not_converged(limit):
    h = counted()
    res = calibrate(h, max_nfev=limit)
    assert h.runs <= limit
    assert res.evaluations == h.runs
    assert not res.converged
    assert res.limit == limit
    assert res.warnings()[0].startswith(f"the fit stopped at its limit of {limit} hindcasts before converging")
    s = res.summary()
    assert s["converged"] is False
    assert s["max_evaluations"] == limit
    assert "limit" in s["message"]
    assert "converg" in s["message"]
    assert np.all(np.isfinite(res.std))  # the Jacobian of the point it stopped at
    assert res.after.level_stats()["rmse_m"] <= res.before.level_stats()["rmse_m"] + 1e-12


def test_a_fit_inside_its_limit_converges_and_says_nothing_of_it():
    h = counted()
    res = calibrate(h)
    assert res.converged
    assert res.limit == 30 * 3
    assert res.evaluations == h.runs <= 90
    assert not any("limit" in w for w in res.warnings())
    assert res.values == pytest.approx([TRUE["lake_evaporation"], TRUE["local_inflow"]], abs=2e-3)
    # the same fit with just enough room is the same fit
    h2 = counted()
    again = calibrate(h2, max_nfev=res.evaluations)
    assert again.converged
    assert again.values == pytest.approx(res.values, abs=1e-12)
    assert h2.runs == res.evaluations


def test_a_limit_below_one_jacobian_is_refused_before_any_hindcast():
    h = counted()
    with pytest.raises(CalibrationError, match=r"--max-evaluations 4: 2 parameter\(s\) need at least 5 hindcasts"):
        calibrate(h, max_nfev=4)
    assert h.runs == 0


def _basin_dir(tmp_path):
    d = tmp_path / "syn"
    save_basin(parse_basin(synthetic_basin(), "synthetic.yaml"), d)  # leaves the directory's lock file
    assert (d / ".balkhash.lock").exists()
    rows = ["quantity,site,when,value,unit,sigma,source"]
    rows += [f"level,LAKE,{o.when},{o.value!r},m,0.01,synthetic" for o in observations_with(TRUE)]
    (d / "obs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return d


def test_the_command_says_on_the_console_and_in_its_files_that_the_fit_stopped(tmp_path):
    d = _basin_dir(tmp_path)
    out = tmp_path / "cal"
    r = runner.invoke(app, ["calibrate", "--basin", str(d), "--observed", str(d / "obs.csv"), "--param",
                            "evaporation:LAKE=0.7:1.4", "--max-evaluations", "5", "--out", str(out)],
                      env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "NOT CONVERGED: the fit stopped at its limit of 5 hindcasts" in r.output
    assert "Calibrated parameters" not in r.output
    assert "5 hindcasts in" in r.output
    assert "not converged" in r.output
    assert "warning: the fit stopped at its limit of 5 hindcasts before converging" in r.output
    summary = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert summary["converged"] is False
    assert summary["evaluations"] == 5
    assert summary["max_evaluations"] == 5
    assert summary["warnings"][0].startswith("the fit stopped at its limit of 5 hindcasts")
    page = (out / "hindcast.html").read_text(encoding="utf-8")
    assert "the fit stopped at its limit of 5 hindcasts" in page
    assert "<h3>Parameters at the evaluation limit (not converged)</h3>" in page
    assert "Calibrated parameters" not in page
    desc = yaml.safe_load((out / "basin" / "basin.yaml").read_text(encoding="utf-8"))["description"]
    assert "Not converged" in desc
    assert "limit of 5 hindcasts" in desc
    assert not (out / "basin" / ".balkhash.lock").exists()  # the source's lock is not copied


def test_the_command_refuses_a_limit_below_one_jacobian_in_one_line(tmp_path):
    d = _basin_dir(tmp_path)
    out = tmp_path / "cal"
    r = runner.invoke(app, ["calibrate", "--basin", str(d), "--observed", str(d / "obs.csv"), "--param",
                            "evaporation:LAKE=0.7:1.4", "--max-evaluations", "3", "--out", str(out)])
    assert r.exit_code == 1
    assert "--max-evaluations 3: 1 parameter(s) need at least 4 hindcasts" in r.output
    assert "Traceback" not in r.output
    assert not out.exists()
