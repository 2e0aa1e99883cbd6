"""``plan --solver-log`` shows the HiGHS log: with another ``--solver`` it is refused, not ignored."""

from __future__ import annotations

from typer.testing import CliRunner

from balkhash.cli import app

runner = CliRunner()


def _flat(text):
    return " ".join(text.split())


def test_solver_log_with_another_solver_is_refused(tmp_path):
    out = tmp_path / "res"
    r = runner.invoke(app, ["plan", "-b", "small_basin", "--solver", "glpk", "--solver-log", "--out", str(out)])
    assert r.exit_code == 1
    assert "--solver-log shows the log of HiGHS through highspy, not of --solver glpk" in _flat(r.output)
    assert not out.exists()
