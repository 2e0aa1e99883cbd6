"""``plan`` and ``report`` with ``--plan-out`` / ``--plots`` / ``--write-lp`` / ``--out`` where they
cannot be written: exit 1 with a message before anything is solved, and no result set left behind."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from balkhash.cli import app

runner = CliRunner()


@pytest.fixture
def a_file(tmp_path):
    f = tmp_path / "flows.csv"
    f.write_text("not a directory\n")
    return f


def _flat(text):
    return " ".join(text.split())


@pytest.mark.parametrize(("option", "name", "what"), [
    ("--plan-out", "p.xlsx", "the allocation plan"),
    ("--plots", "plots", "the plots into"),
    ("--write-lp", "m.lp", "the LP file"),
])
def test_plan_refuses_an_unwritable_extra_output_before_the_run(tmp_path, a_file, option, name, what):
    out = tmp_path / "res"
    r = runner.invoke(app, ["plan", "-b", "small_basin", option, str(a_file / name), "--out", str(out), "-q"])
    assert r.exit_code == 1
    assert f"cannot write {what} {a_file / name}: {a_file} is a file, not a directory" in _flat(r.output)
    assert "Traceback" not in r.output
    assert not out.exists()  # no result set half the command's outputs


def test_plan_refuses_an_out_that_is_a_file(tmp_path, a_file):
    r = runner.invoke(app, ["plan", "-b", "small_basin", "--out", str(a_file), "-q"])
    assert r.exit_code == 1
    assert f"cannot write results into {a_file}: it exists and is not a directory" in _flat(r.output)


def test_a_failing_workbook_leaves_no_result_set(tmp_path, monkeypatch):
    import balkhash.outputs.workbook as wb

    def broken(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wb, "write_plan_workbook", broken)
    out = tmp_path / "res"
    r = runner.invoke(app, ["plan", "-b", "small_basin", "--plan-out", str(tmp_path / "p.xlsx"), "--out", str(out),
                            "-q"])
    assert r.exit_code == 1
    assert "No space left on device" in r.output
    assert not out.exists()


def test_report_refuses_unwritable_plots_before_the_report(tmp_path, a_file):
    html = tmp_path / "r.html"
    r = runner.invoke(app, ["report", "-b", "small_basin", "--plots", str(a_file / "plots"), "--out", str(html)])
    assert r.exit_code == 1
    assert "cannot write the plots into" in _flat(r.output)
    assert not html.exists()

