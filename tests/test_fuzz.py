"""Fuzz: generated bad inputs (tests/fuzz_inputs.py) are refused with exit 1, a message naming the
file and the id or field, and never a traceback.

``BALKHASH_FUZZ_CASES`` sets the number of cases (default 500); ``BALKHASH_FUZZ_SEED`` the seed.
"""

from __future__ import annotations

import os
import re

import pytest
from fuzz_inputs import make_case
from typer.testing import CliRunner

from balkhash.cli import app

N_CASES = int(os.environ.get("BALKHASH_FUZZ_CASES", "500"))
SEED = int(os.environ.get("BALKHASH_FUZZ_SEED", "2026"))
runner = CliRunner()

#: a problem line: "  - FILE: WHERE: FIELD: message" (where or field may be empty, not both)
PROBLEM = re.compile(r"^  - (?P<file>[^:]+): (?P<rest>.+)$")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def _problem_lines(output: str) -> list[str]:
    out: list[str] = []
    for line in output.splitlines():
        if line.startswith("  - "):
            out.append(line)
        elif out and line.startswith("    "):  # a wrapped line continues the problem
            out[-1] += " " + line.strip()
    return out


@pytest.mark.parametrize("k", range(N_CASES))
def test_a_generated_bad_input_is_refused_clearly(k, root):
    case = make_case(k, root, SEED)
    if case.kind == "basin":
        r = runner.invoke(app, ["validate", str(case.path)], env={"COLUMNS": "400"})
    else:
        r = runner.invoke(app, ["plan", "--scenario", str(case.path), "--out", str(root / f"out{k}"), "-q"],
                          env={"COLUMNS": "400"})
    what = f"{case.id}: {case.what}\n{r.output}"
    assert r.exception is None or isinstance(r.exception, SystemExit), what
    assert "Traceback" not in r.output, what
    assert r.exit_code == 1, what
    lines = _problem_lines(r.output)
    if not lines:  # a single message: "error: ..." naming the file
        assert case.mutated in r.output, what
        return
    for line in lines:
        m = PROBLEM.match(line)
        assert m, what
        assert m.group("file").endswith(case.mutated) or case.mutated == "series.csv", what
        # after the file: the item and/or the field, then what is wrong
        assert ": " in m.group("rest"), what
    assert any(m.group("file").endswith(case.mutated) for m in map(PROBLEM.match, lines) if m), what
    assert not (root / f"out{k}").exists(), what
