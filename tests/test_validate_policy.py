"""``balkhash validate`` checks the basin's policies as ``plan`` (and ``plan --policy NAME``) does:
the selected one and every policy of ``options.policies``."""

from __future__ import annotations

import pytest
from basin_factory import valid_basin, write_basin
from typer.testing import CliRunner

from balkhash.cli import app
from balkhash.network.io import load_basin
from balkhash.network.policy import check_policies

runner = CliRunner()

GOOD = {"classes": [{"name": "drinking", "sectors": ["utilities"]}, {"name": "rest", "sectors": ["agriculture"]}]}


def _basin(tmp_path, **options):
    data = valid_basin(tmp_path)
    data["options"].update(options)
    return write_basin(tmp_path, data)


def _validate(path):
    r = runner.invoke(app, ["validate", str(path)])
    return r.exit_code, r.output


def test_validate_accepts_good_policies(tmp_path):
    code, out = _validate(_basin(tmp_path, policy="p1", policies={"p1": GOOD, "p2": GOOD}))
    assert code == 0, out
    assert "valid" in out


@pytest.mark.parametrize(("options", "field", "words"), [
    ({"policy": "water_cod"}, "options: policy:", "unknown policy 'water_cod'"),
    ({"policy": "p1", "policies": {"p1": {**GOOD, "cost_ratio": 1.5}}}, "policies.p1.cost_ratio", "must exceed"),
    ({"policy": "p1", "policies": {"p1": {"classes": [{"name": "a", "sectors": ["utilities"]}]}}},
     "policies.p1.classes", "no class holds the demand(s) IRR"),
    ({"policy": "p1", "policies": {"p1": {"classes": [{"name": "a", "sectors": ["utilities", "agriculture"]},
                                                      {"name": "b", "demands": ["IRR"]}]}}},
     "policies.p1.classes[1]", "demand 'IRR' is in class 'a' and in class 'b'"),
    ({"policy": "p1", "policies": {"p1": {**GOOD, "lake_share": {"share_with": "nope", "share": "proportional"}}}},
     "policies.p1.lake_share.share_with", "'nope' is not a class of users"),
])
def test_validate_refuses_the_selected_policy_as_plan_does(tmp_path, options, field, words):
    path = _basin(tmp_path, **options)
    code, out = _validate(path)
    assert code == 1, out
    assert field in out
    assert words in out
    assert "basin.yaml" in out
    r = runner.invoke(app, ["plan", "--basin", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert r.exit_code == 1  # the same refusal
    assert words in r.output


def test_validate_checks_a_policy_that_is_defined_but_not_selected(tmp_path):
    bad = {"classes": [{"name": "a", "sectors": ["utilities"]}]}
    path = _basin(tmp_path, policies={"p1": GOOD, "p2": bad})
    code, out = _validate(path)
    assert code == 1, out
    assert "policies.p2.classes: no class holds the demand(s) IRR" in out
    assert "p1" not in out.replace("policies.p2", "")
    # and it is what plan --policy p2 refuses
    r = runner.invoke(app, ["plan", "--basin", str(path), "--policy", "p2", "--out", str(tmp_path / "o"), "-q"])
    assert r.exit_code == 1
    assert "no class holds the demand(s) IRR" in r.output


def test_check_policies_lists_every_bad_policy_once(tmp_path):
    bad = {"classes": [{"name": "a", "sectors": ["utilities"]}]}
    b = load_basin(_basin(tmp_path, policy="p1", policies={"p1": bad, "p2": {**GOOD, "cost_ratio": 1.5}}))
    fields = [p.field for p in check_policies(b)]
    assert fields == ["policies.p1.classes", "policies.p2.cost_ratio"]
    assert b.options.policy == "p1"  # the basin itself unchanged
