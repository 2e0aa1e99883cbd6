"""One meaning of "violated targets" (the targets violated in some period or water year) in the
console, the workbooks, the report and ``compare``; the target-periods counted under their own
label."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from balkhash.outputs.common import violation_counts, violation_text
from balkhash.outputs.ensemble_plans import side_by_side
from balkhash.outputs.workbook import inputs_rows


def _v(target, when):
    return {"target": target, "type": "eco_flow", "node_or_link": "X", "period_or_year": when, "unit": "Mm3",
            "required": 1.0, "achieved": 0.0, "amount": 1.0}


VIOLATIONS = [_v("A", "2026-07"), _v("A", "2026-08"), _v("A", "2026-09"), _v("B", "2025-26")]


def test_counts_and_text():
    assert violation_counts({"violations": VIOLATIONS}) == (2, 4)
    assert violation_text({"violations": VIOLATIONS}) == "2 (4 periods or years)"
    assert violation_text({"violations": VIOLATIONS[:1]}) == "1 (1 period or year)"
    assert violation_counts({}) == (0, 0)


def _solution():
    import balkhash
    from balkhash.data import example_path

    return balkhash.solve(str(example_path("small_basin")))


def test_workbook_inputs_and_probability_sheet_count_targets(monkeypatch):
    pytest.importorskip("openpyxl")
    sol = _solution()
    sol.summary["violations"] = VIOLATIONS
    from balkhash.data import example_path
    from balkhash.network.io import load_basin

    basin = load_basin(example_path("small_basin"))
    rows = dict(inputs_rows(sol, basin, {}))
    assert rows["Violated targets"] == 2
    assert rows["Violated target-periods (target, period or water year)"] == 4
    year = SimpleNamespace(probability=75.0, method="generator", china_km3=1.0, kazakh_km3=2.0, total_km3=3.0)
    table = side_by_side([("p75", sol, basin, year)]).set_index("item")
    assert table.loc["violated targets", "p75"] == 2
    assert table.loc["violated target-periods (target, period or water year)", "p75"] == 4


def test_console_title_grammar():
    from io import StringIO

    from rich.console import Console

    from balkhash.cli.console import _print_violations

    out = Console(file=StringIO(), width=200)
    _print_violations(out, VIOLATIONS[:1])
    assert "Violated targets: 1 (1 period or year, see targets.csv)" in " ".join(out.file.getvalue().split())
