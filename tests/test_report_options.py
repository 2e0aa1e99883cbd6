"""``report --policy`` and ``--mode`` solve as ``plan`` does: the report of a plan made with them
holds the same figures."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from balkhash.cli import app

runner = CliRunner()


def _deliveries(book, sheet="Deliveries"):
    d = pd.read_excel(book, sheet_name=sheet)
    return d.sort_values(list(d.columns[:2])).reset_index(drop=True)


@pytest.mark.parametrize("options", [
    ["--scenario", "scenarios.yaml", "--name", "dry_2014", "--policy", "none"],
    ["--mode", "step"],
])
def test_report_solves_like_plan(tmp_path, options):
    pytest.importorskip("openpyxl")
    p = runner.invoke(app, ["plan", *options, "--out", str(tmp_path / "plan"), "--plan-out", str(tmp_path / "p.xlsx"),
                            "-q"])
    assert p.exit_code == 0, p.output
    r = runner.invoke(app, ["report", *options, "--out", str(tmp_path / "r.html"), "--plan-out",
                            str(tmp_path / "r.xlsx")])
    assert r.exit_code == 0, r.output
    for sheet in ("Deliveries", "Reservoirs"):
        pd.testing.assert_frame_equal(_deliveries(tmp_path / "p.xlsx", sheet), _deliveries(tmp_path / "r.xlsx", sheet))
    plain = runner.invoke(app, ["report", *[o for o in options if o not in ("--policy", "none", "--mode", "step")],
                                "--out", str(tmp_path / "plain.html"), "--plan-out", str(tmp_path / "plain.xlsx")])
    assert plain.exit_code == 0, plain.output
    assert not all(_deliveries(tmp_path / "plain.xlsx", sheet).equals(_deliveries(tmp_path / "r.xlsx", sheet))
                   for sheet in ("Deliveries", "Reservoirs"))  # the option matters


def test_report_refuses_an_unknown_policy(tmp_path):
    r = runner.invoke(app, ["report", "--policy", "nope", "--out", str(tmp_path / "r.html")])
    assert r.exit_code == 1
    assert "--policy: unknown policy 'nope'" in r.output
    assert not (tmp_path / "r.html").exists()
