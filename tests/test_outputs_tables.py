"""The output views read only a solution's result tables and summary and the basin: no module of
balkhash.outputs imports balkhash.allocation; reservoir bounds and start storage come from the
storage table, water arriving at a node from the arrivals table; the summary's full-precision
numbers are rounded where the report and the workbook show them."""

from __future__ import annotations

import ast
import dataclasses
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from outputs_support import small_basin

import balkhash.outputs
from balkhash.allocation.solve import solve
from balkhash.network.timeline import water_year_label
from balkhash.outputs.report import build_report
from balkhash.outputs.report_figures import fig_lake, fig_reservoirs
from balkhash.outputs.workbook import lake_table, reservoirs_table, write_plan_workbook

OUTPUTS = Path(balkhash.outputs.__file__).parent
FORBIDDEN = "balkhash.allocation"


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path`` (relative imports resolved; a name
    imported from a package counts as its submodule; importlib/__import__ calls with a literal)."""
    package = "balkhash.outputs"  # every module sits directly in it
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def _forbidden(name: str) -> bool:
    return name == FORBIDDEN or name.startswith(FORBIDDEN + ".") or name == "balkhash.solve"


def test_no_output_module_imports_the_allocation_package():
    modules = sorted(OUTPUTS.glob("*.py"))
    assert len(modules) >= 10
    bad = [f"{p.name}:{line}: {name}" for p in modules for line, name in _imported_modules(p) if _forbidden(name)]
    assert bad == []


def test_the_import_check_catches_every_spelling(tmp_path):
    src = tmp_path / "probe.py"
    for text in ("from ..allocation.data import compile_basin", "from .. import allocation",
                 "import balkhash.allocation",
                 "from balkhash.allocation import solve", "from .. import solve",
                 "importlib.import_module('balkhash.allocation.data')"):
        src.write_text(f"def f():\n    {text}\n")
        assert any(_forbidden(name) for _, name in _imported_modules(src)), text
    src.write_text("from ..network.units import mm3_to_m3s\nfrom .. import __version__\nfrom .common import MONTHS\n")
    assert not any(_forbidden(name) for _, name in _imported_modules(src))


def test_views_work_from_the_tables_alone(tmp_path):
    """The workbook, the PNG plots and the report written in a fresh interpreter from the pickled
    tables and summary (no Solution class, no ModelData) never load balkhash.allocation."""
    sol = solve(small_basin())
    (tmp_path / "sol.pkl").write_bytes(pickle.dumps((sol.status, sol.objective, sol.tables, sol.summary)))
    script = f"""
import pickle, sys
from pathlib import Path
from types import SimpleNamespace
from balkhash.data import example_path
from balkhash.network.io import load_basin
from balkhash.outputs.plots import write_plots
from balkhash.outputs.report import write_report
from balkhash.outputs.workbook import write_plan_workbook
out = Path({str(tmp_path)!r})
status, objective, tables, summary = pickle.loads((out / "sol.pkl").read_bytes())
sol = SimpleNamespace(status=status, objective=objective, tables=tables, summary=summary)
b = load_basin(example_path("small_basin"))
write_plan_workbook(sol, b, out / "plan.xlsx")
names = [p.name for p in write_plots(sol, b, out / "png")]
write_report(sol, b, out / "report.html")
loaded = sorted(m for m in sys.modules if m.startswith("balkhash.allocation"))
print(len(names), loaded)
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["6", "[]"]
    assert (tmp_path / "plan.xlsx").stat().st_size > 5000
    assert (tmp_path / "report.html").stat().st_size > 1e6


@pytest.fixture(scope="module")
def solved():
    b = small_basin()
    return solve(b), b


def _with_tables(sol, **changes):
    return dataclasses.replace(sol, tables={**sol.tables, **changes})


def test_reservoir_bounds_and_start_come_from_the_storage_table(solved):
    sol, b = solved
    st = sol.tables["storage"].copy()
    res = st["node"] == "RES"
    # a rule curve the basin does not have: only the table knows it
    st.loc[res, "max_storage_mm3"] = np.linspace(250.0, 290.0, res.sum())
    st.loc[res, "min_storage_mm3"] = 35.0
    st.loc[st.index[res][0], "storage_start_mm3"] = 123.0
    changed = _with_tables(sol, storage=st)
    t = reservoirs_table(changed)
    assert t["upper_mm3"].tolist() == pytest.approx(np.linspace(250.0, 290.0, res.sum()))
    assert set(t["lower_mm3"]) == {35.0}
    fig = fig_reservoirs(changed, b).to_plotly_json()
    upper = next(tr for tr in fig["data"] if tr["name"] == "upper bound")
    storage = next(tr for tr in fig["data"] if tr["name"] == "storage at month end")  # Mm3: a small reservoir
    assert list(upper["y"]) == pytest.approx(np.linspace(250.0, 290.0, res.sum()))
    assert storage["y"][0] == 123.0
    assert list(storage["y"][1:]) == pytest.approx(st.loc[res, "storage_mm3"].tolist())


def test_water_arriving_comes_from_the_arrivals_table(solved):
    sol, b = solved
    a = sol.tables["arrivals"]
    res = a[a["node"] == "RES"]
    t = reservoirs_table(sol)
    assert t["inflow_mm3"].tolist() == pytest.approx(res["arriving_mm3"].tolist())
    assert t["release_mm3"].tolist() == pytest.approx(res["released_mm3"].tolist())
    assert (t["release_mm3"] > 0).any()
    # the arrivals table is the only source: doubled there, doubled in every view
    lake = a["node"] == "LAKE"
    a2 = a.copy()
    a2.loc[lake, "arriving_mm3"] *= 2.0
    changed = _with_tables(sol, arrivals=a2)
    lt = lake_table(changed, b)
    assert lt["inflow_mm3"].tolist() == pytest.approx((2.0 * a.loc[lake, "arriving_mm3"]).tolist())
    assert lt["groundwater_mm3"].tolist() == pytest.approx(a.loc[lake, "groundwater_mm3"].tolist())
    bars = next(tr for tr in fig_lake(changed, b, "LAKE").to_plotly_json()["data"] if tr["type"] == "bar")
    assert list(bars["y"]) == pytest.approx((2.0 * a.loc[lake, "arriving_mm3"]).tolist())
    # what the lake receives in a water year is the lake-inflow target's achievement
    by_year = a[lake].groupby("water_year")["arriving_mm3"].sum()
    tg = sol.tables["targets"].query("type == 'lake_inflow'")
    assert len(tg) >= 1
    for r in tg.itertuples():
        got = next(v for wy, v in by_year.items() if water_year_label(wy) == r.period_or_year)
        assert got == pytest.approx(r.achieved, rel=1e-9)


def _long_floats(text: str) -> list[str]:
    return re.findall(r"\d\.\d{5,}", text)


def _unrounded(summary):
    """The summary with every float given a long tail, as the full-precision summary has them."""
    if isinstance(summary, dict):
        return {k: _unrounded(v) for k, v in summary.items()}
    if isinstance(summary, list):
        return [_unrounded(v) for v in summary]
    return summary + 1e-7 / 3.0 if isinstance(summary, float) else summary


def test_summary_numbers_are_rounded_for_display(solved, tmp_path):
    sol, b = solved
    raw = dataclasses.replace(sol, summary=_unrounded(sol.summary), objective=sol.objective + 1e-7 / 3.0)
    assert _long_floats(repr(raw.summary["lakes"][0]["level_end_m"]))
    html = build_report(raw, b, {"run_date": "2026-01-02 03:04 UTC"})
    shown = re.sub(r"<script.*?</script>", "", html, flags=re.S)  # what the page shows, not its data blocks
    assert "Reservoirs (Mm3)" in shown
    assert "level start / lowest / end" in shown
    assert _long_floats(shown) == []
    path = write_plan_workbook(raw, b, tmp_path / "plan.xlsx")
    inputs = {r[0]: r[1] for r in openpyxl.load_workbook(path)["Inputs"].iter_rows(min_row=2, values_only=True)}
    assert inputs["Objective (cost)"] == pytest.approx(raw.objective, rel=1e-5)
    assert inputs["Objective (cost)"] != raw.objective
    assert inputs["Shortfall cost"] != raw.summary["shortfall_cost"]
    assert _long_floats(repr(raw.objective))
    assert _long_floats(repr(raw.summary["shortfall_cost"]))
    assert inputs["Shortfall cost"] == pytest.approx(raw.summary["shortfall_cost"], rel=1e-5)
    assert _long_floats(" ".join(str(v) for v in inputs.values())) == []
