"""Water years of a given exceedance probability and ``plan --probability``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from balkhash.cli import app
from balkhash.data import default_basin_path
from balkhash.ensemble.generator import fit_record
from balkhash.ensemble.probability import ProbabilityError, design_year, from_generator, from_record
from balkhash.network import load_basin

runner = CliRunner()


@pytest.fixture(scope="module")
def base():
    return load_basin(default_basin_path())


def test_record_weibull_positions():
    china, kazakh = [10.0, 20.0, 14.0], [5.0, 8.0, 6.0]  # totals 15, 28, 20: ranks 2010 -> 3, 2011 -> 1, 2012 -> 2
    mid = from_record(china, kazakh, 50)  # P = 2/4: the middle year exactly
    assert (mid.china_km3, mid.kazakh_km3) == (14.0, 6.0)
    assert from_record(china, kazakh, 25).total_km3 == 28.0
    q = from_record(china, kazakh, 62.5)  # halfway between P = 50 % (20) and 75 % (15)
    assert q.china_km3 == pytest.approx(12.0)
    assert q.kazakh_km3 == pytest.approx(5.5)
    with pytest.raises(ProbabilityError, match=r"25\.00 \.\. 75\.00 %"):
        from_record(china, kazakh, 80)
    # 11 years: 1/12 = 8.333 %; the range shown lies inside the one allowed (8.3 % is refused)
    with pytest.raises(ProbabilityError, match=r"8\.34 \.\. 91\.66 % only .* 8\.3 % needs"):
        from_record(np.arange(11.0), np.ones(11), 8.3)
    assert from_record(np.arange(11.0), np.ones(11), 8.34).probability == 8.34


@pytest.mark.parametrize("p", [0, 100, -5, 150, float("nan")])
def test_probability_outside_0_100(base, p):
    with pytest.raises(ProbabilityError, match="strictly between 0 and 100"):
        design_year(base, p)


def test_generator_quantile_is_exceeded_p_percent_of_years(base):
    """Q_p is exceeded in p % of the years the AR(1) generator draws (another draw, another
    code path), within 4 standard errors over independent members."""
    model = fit_record(base)
    years = model.sample(2000, 20, seed=99)
    total = years.sum(axis=2)
    last = None
    for p in (50, 75, 95):
        d = from_generator(model, p)
        assert d.china_km3 + d.kazakh_km3 == pytest.approx(d.total_km3)
        frac = (total >= d.total_km3).mean(axis=1)
        se = frac.std(ddof=1) / np.sqrt(frac.size)
        assert abs(frac.mean() - p / 100) <= 4 * se, (p, frac.mean(), se)
        assert last is None or d.total_km3 < last
        assert d.china_km3 / d.total_km3 < model.mean_km3[0] / sum(model.mean_km3) + (0.0 if p > 50 else 0.01)
        last = d.total_km3
    assert from_generator(model, 75) == from_generator(model, 75)  # a fixed draw: reproducible


def test_plan_probabilities_side_by_side(tmp_path, base):
    out = tmp_path / "res"
    r = runner.invoke(app, ["plan", "--probability", "50", "--probability", "95", "--out", str(out),
                            "--plan-out", str(tmp_path / "plan.xlsx"), "-q"])
    assert r.exit_code == 0, r.output
    model = fit_record(base)
    plain = runner.invoke(app, ["plan", "--out", str(tmp_path / "plain"), "-q"])
    assert plain.exit_code == 0, plain.output
    mean_year = pd.read_csv(tmp_path / "plain" / "inflows.csv").groupby("node").inflow_mm3.sum()
    for p in (50, 95):
        d = design_year(base, p)
        summary = json.loads((out / f"p{p}" / "summary.json").read_text())
        assert summary["exceedance"]["china_km3"] == pytest.approx(d.china_km3)
        inflows = pd.read_csv(out / f"p{p}" / "inflows.csv").groupby("node").inflow_mm3.sum()
        assert inflows["ILE_CN"] == pytest.approx(1000 * d.china_km3)
        factor = d.kazakh_km3 / model.record_mean_km3[1]
        for node in ("CHARYN", "KARATAL", "LOCAL_RESIDUAL"):
            assert inflows[node] == pytest.approx(mean_year[node] * factor)
    book = pd.read_excel(tmp_path / "plan.xlsx", sheet_name=None)
    assert list(book) == ["Probabilities", "Issued 2025-26 p50", "Plan p50", "Issued 2025-26 p95", "Plan p95"]
    table = book["Probabilities"].set_index("Figure")
    assert table.loc["inflow from China", "p95 (95 %)"] == pytest.approx(design_year(base, 95).china_km3)
    # the factor that reconciles the design year with inflows.csv's other nodes
    k95 = design_year(base, 95).kazakh_km3 / model.record_mean_km3[1]
    assert table.loc["factor on the other inflow nodes (K_p / K-bar)", "p95 (95 %)"] == pytest.approx(k95)
    agri = table.loc["agriculture: shortfall"]
    shortfall = pd.read_csv(out / "p95" / "deliveries.csv").query("sector == 'agriculture'").shortfall_mm3.sum()
    assert agri["p95 (95 %)"] == pytest.approx(shortfall)
    assert agri["p95 (95 %)"] >= agri["p50 (50 %)"]


@pytest.mark.parametrize(("args", "message"), [
    (["--probability", "100"], "strictly between 0 and 100"),
    (["--probability", "95", "--probability-method", "record"], "needs --probability-method generator"),
    (["--probability", "50", "--probability-method", "guess"], "unknown --probability-method"),
    (["--probability", "50", "--scenario", "scenarios.yaml", "--name", "dry_2014"], "sets the inflow from China"),
])
def test_plan_probability_refused(tmp_path, args, message):
    out = tmp_path / "res"
    r = runner.invoke(app, ["plan", "--out", str(out), *args])
    assert r.exit_code == 1, r.output
    assert message in r.output
    assert "Traceback" not in r.output
    assert not out.exists()


def test_plan_probability_imports_no_dask(tmp_path):
    code = ("import sys\nfrom balkhash.cli import app\n"
            "try:\n    app(['plan', '--probability', '75', '--out', sys.argv[1], '-q'])\n"
            "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'xarray'))\n"
            "assert not heavy, heavy\n")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "res")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "res" / "p75" / "summary.json").is_file()  # one probability: DIR/pP/ too
