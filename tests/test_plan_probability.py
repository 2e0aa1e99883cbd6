"""``plan --probability``: every plan of a probability in ``DIR/pP/`` (one too), its design year on
the console, a probability given twice refused; ``report --name`` takes one scenario."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from balkhash.cli import app

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_one_probability_goes_to_its_own_directory(tmp_path):
    out = tmp_path / "res"
    r = runner.invoke(app, ["plan", "--probability", "90", "--probability-method", "record", "--out", str(out),
                            "--plan-out", str(tmp_path / "plan.xlsx")])
    assert r.exit_code == 0, r.output
    assert not (out / "summary.json").exists()
    summary = json.loads((out / "p90" / "summary.json").read_text())
    assert summary["exceedance"]["probability_pct"] == 90
    text = _flat(r.output)
    assert "design year: exceedance probability 90 % (record): inflow from China 8.47 km3/yr" in text
    assert f"results: {out / 'p90'}" in text
    assert (tmp_path / "plan.xlsx").is_file()  # one plan: the workbook as named


def test_a_probability_given_twice_is_refused(tmp_path):
    out = tmp_path / "res"
    r = runner.invoke(app, ["plan", "--probability", "50", "--probability", "75", "--probability", "50",
                            "--out", str(out)])
    assert r.exit_code == 1
    assert "--probability 50 given more than once" in _flat(r.output)
    assert not out.exists()


def test_report_takes_one_name(tmp_path):
    r = runner.invoke(app, ["report", "--scenario", "scenarios.yaml", "--name", "dry_2014", "--name", "wet_2016",
                            "--out", str(tmp_path / "r.html")])
    assert r.exit_code == 1
    assert "give a single --name (got 2: dry_2014, wet_2016)" in _flat(r.output)
    assert not (tmp_path / "r.html").exists()
    h = runner.invoke(app, ["report", "--help"], env={"COLUMNS": "200"})
    assert "repeatable" not in _flat(h.output).split("--name", 1)[1].split("--", 1)[0]
