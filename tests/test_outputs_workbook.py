"""The allocation plan workbook: sheets, frozen headers with units, values against the result
tables, and `balkhash plan --plan-out`."""

from __future__ import annotations

import openpyxl
import pytest
from outputs_support import small_basin
from typer.testing import CliRunner

from balkhash.allocation.solve import solve
from balkhash.cli import app
from balkhash.outputs.workbook import SHEETS, write_plan_workbook

runner = CliRunner()


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    b = small_basin()
    sol = solve(b)
    path = tmp_path_factory.mktemp("wb") / "plan.xlsx"
    write_plan_workbook(sol, b, path, {"basin_path": "/data/small_basin", "scenario": "base",
                                       "run_date": "2026-01-02 03:04 UTC"})
    return openpyxl.load_workbook(path), sol, b


def rows(ws):
    """The sheet as dicts keyed by the header row."""
    it = ws.iter_rows(values_only=True)
    head = next(it)
    return [dict(zip(head, r, strict=True)) for r in it]


def header(ws):
    return [c.value for c in ws[1]]


def test_sheets_frozen_headers_and_widths(book):
    wb, _, _ = book
    assert wb.sheetnames == ["Issued plan 2025-26", *SHEETS]
    for ws in wb:
        if ws.title.startswith("Issued"):
            continue  # its header block and two header rows: tests/test_plan_form.py
        assert ws.freeze_panes == ("I2" if ws.title == "Plan" else "A2"), ws.title
        assert ws[1][0].font.bold, ws.title
        widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]]
        assert all(w and w >= 6 for w in widths), ws.title


def test_headers_state_units(book):
    wb, _, _ = book
    assert header(wb["Deliveries"])[:9] == ["Water user", "Name", "Sector", "Period", "Target (Mm3)", "Delivered (Mm3)",
                                            "Delivered (m3/s)", "Shortfall (Mm3)", "Shortfall (%)"]
    assert "Lower bound (Mm3)" in header(wb["Reservoirs"])
    assert "Release (m3/s)" in header(wb["Reservoirs"])
    assert "Level at end (m BS)" in header(wb["Lake"])
    assert "Surface inflow (Mm3)" in header(wb["Lake"])
    assert "Marginal value of water (cost per Mm3)" in header(wb["Marginal values"])
    plan = header(wb["Plan"])
    assert plan[:8] == ["Sector", "Source", "Source type", "Water user", "Name", "Water year", "Measure", "Unit"]
    assert plan[8:11] == ["Oct", "Nov", "Dec"]
    assert plan[-2:] == ["Vegetation season Apr-Sep", "Water-year total"]


def test_deliveries_sheet_matches_the_table(book):
    wb, sol, _ = book
    got = rows(wb["Deliveries"])
    d = sol.tables["deliveries"]
    assert len(got) == len(d)
    for r, t in zip(got, d.itertuples(), strict=True):
        assert (r["Water user"], r["Period"], r["Sector"]) == (t.demand, t.period, t.sector)
        assert r["Delivered (Mm3)"] == pytest.approx(t.delivered_mm3)
        assert r["Target (Mm3)"] == pytest.approx(t.target_mm3)
        assert r["Shortfall (Mm3)"] == pytest.approx(t.shortfall_mm3, abs=1e-9)
    assert wb["Deliveries"]["F2"].number_format == "#,##0.00"


def test_plan_sheet_values(book):
    wb, sol, _ = book
    got = rows(wb["Plan"])
    d = sol.tables["deliveries"]
    irr = [r for r in got if r["Water user"] == "IRR"]
    assert [r["Measure"] + " " + r["Unit"] for r in irr] == [
        "Allocated limit Mm3", "Allocated limit m3/s", "Requested target Mm3", "Shortfall Mm3", "Shortfall %"]
    limit = irr[0]
    g = d[d["demand"] == "IRR"].set_index("period")
    assert limit["Jul"] == pytest.approx(g.loc["2026-07", "delivered_mm3"])
    assert limit["Water-year total"] == pytest.approx(g["delivered_mm3"].sum())
    assert limit["Water year"] == "2025-26"
    assert irr[2]["Vegetation season Apr-Sep"] == pytest.approx(250.0)
    assert irr[4]["Oct"] is None  # no target in October: no percentage
    total = next(r for r in got if r["Name"] == "All users" and r["Unit"] == "Mm3" and r["Measure"] == "Shortfall")
    assert total["Water-year total"] == pytest.approx(d["shortfall_mm3"].sum())
    # subtotal rows are bold; the % row has its own number format
    ws = wb["Plan"]
    sub = next(i for i, r in enumerate(ws.iter_rows(values_only=True), start=1) if r[4] == "agriculture total")
    assert ws.cell(sub, 1).font.bold
    assert ws.cell(6, 9).number_format == "0.0"


def test_reservoir_lake_targets_duals_and_inputs(book):
    wb, sol, b = book
    res = rows(wb["Reservoirs"])
    st = sol.tables["storage"]
    rs = st[st["node"] == "RES"]
    assert [r["Storage at end (Mm3)"] for r in res] == pytest.approx(rs["storage_mm3"].tolist())
    assert {r["Lower bound (Mm3)"] for r in res} == {20.0}
    assert {r["Upper bound (Mm3)"] for r in res} == {300.0}
    lake = rows(wb["Lake"])
    ls = st[st["node"] == "LAKE"]
    assert [r["Level at end (m BS)"] for r in lake] == pytest.approx(ls["level_m"].tolist())
    assert {r["Level target (m BS)"] for r in lake} == {301.5}
    annual = sol.summary["lakes"][0]["annual_inflow_km3"]["2025-26"]
    assert sum(r["Surface inflow (Mm3)"] for r in lake) / 1000 == pytest.approx(annual, abs=1e-4)
    tg = rows(wb["Targets"])
    assert len(tg) == len(sol.tables["targets"])
    assert [r["Achieved (in Unit)"] for r in tg] == pytest.approx(sol.tables["targets"]["achieved"].tolist())
    du = rows(wb["Marginal values"])
    assert [r["Marginal value of water (cost per Mm3)"] for r in du] == pytest.approx(
        sol.tables["duals"]["marginal_value"].tolist(), abs=1e-9)
    assert {r["Node type"] for r in du} <= {"inflow", "junction", "reservoir", "demand", "lake"}
    inputs = {r["Item"]: r["Value"] for r in rows(wb["Inputs"])}
    assert inputs["Basin"] == b.name == "Small basin"
    assert inputs["Basin path"] == "/data/small_basin"
    assert inputs["Scenario"] == "base"
    assert inputs["Run date"] == "2026-01-02 03:04 UTC"
    assert inputs["Solver status"] == "optimal"
    assert inputs["Objective (cost)"] == pytest.approx(sol.objective)


def test_plan_out_option(tmp_path):
    r = runner.invoke(app, ["plan", "-b", "small_basin", "-o", str(tmp_path / "res"), "-q",
                            "--plan-out", str(tmp_path / "plan.xlsx")])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert wb.sheetnames == ["Issued plan 2025-26", *SHEETS]
    inputs = {row[0]: row[1] for row in wb["Inputs"].iter_rows(min_row=2, values_only=True)}
    assert inputs["Scenario"] == "base"
    assert inputs["Solver status"] == "optimal"
    assert str(inputs["Basin path"]).endswith("small_basin")


def test_plan_out_with_several_scenarios(tmp_path):
    scen = tmp_path / "s.yaml"
    scen.write_text("scenarios:\n  - name: dry\n    inflow_multipliers: {all: 0.7}\n  - name: wet\n"
                    "    inflow_multipliers: {all: 1.2}\n")
    r = runner.invoke(app, ["plan", "-b", "small_basin", "-o", str(tmp_path / "res"), "-q", "-s", str(scen),
                            "--plan-out", str(tmp_path / "plan.xlsx")])
    assert r.exit_code == 0, r.output
    for name in ("dry", "wet"):
        wb = openpyxl.load_workbook(tmp_path / f"plan-{name}.xlsx")
        assert {row[0]: row[1] for row in wb["Inputs"].iter_rows(min_row=2, values_only=True)}["Scenario"] == name


def test_every_sheet_prints_one_page_wide_in_landscape(book):
    """Landscape, but a sheet of a few columns (Marginal values, Inputs) prints portrait."""
    wb, _sol, _b = book
    for ws in wb.worksheets:
        want = "portrait" if ws.max_column <= 6 else "landscape"
        assert ws.page_setup.orientation == want, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth == 1, ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title


def test_small_marginal_values_keep_their_digits(book):
    wb, _sol, _b = book
    ws = wb["Marginal values"]
    col = [c.value for c in ws[1]].index("Marginal value of water (cost per Mm3)") + 1
    cells = [ws.cell(r, col) for r in range(2, ws.max_row + 1)]
    assert cells
    for c in cells:  # a fixed two-decimal format would show 0.004 as 0.00
        assert c.number_format == "General"
