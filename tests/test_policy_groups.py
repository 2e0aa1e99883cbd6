"""Groups of users (``group`` on demands: a district, a canal, an intake): the summary and the plan
workbook sum each group over its members; the sums are recomputed here from the deliveries table."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from analytical_basins import demand, inflow, junction, link, make_basin, monthly, sink

import balkhash
from balkhash.network.errors import BasinError
from balkhash.network.units import mm3_to_m3s
from balkhash.outputs.workbook import write_plan_workbook

ABS = 1e-9


def grouped_basin():
    """60 Mm3/month at S for A (40, 10, 70), B (20) on canal K1, C (15) on canal K2 and the town U
    (10), under water_code (A, B, C one class): the canals are short in October and December."""
    return make_basin(
        [inflow("S", 60), junction("J"), demand("A", monthly(oct=40, nov=10, dec=70), group="K1"),
         demand("B", 20, sector="fisheries", group="K1"), demand("C", 15, group="K2"),
         demand("U", 10, sector="utilities"), sink()],
        [link("S", "J"), link("J", "A"), link("J", "B"), link("J", "C"), link("J", "U"), link("J", "OUT")],
        options={"policy": "water_code"}, periods=3, validate=True)


@pytest.fixture(scope="module")
def solved():
    b = grouped_basin()
    return b, balkhash.solve(b)


def test_summary_sums_each_group_over_its_members(solved):
    _, sol = solved
    d = sol.tables["deliveries"]
    groups = sol.summary["groups"]
    assert set(groups) == {"K1", "K2"}  # U names no group
    assert groups["K1"]["demands"] == ["A", "B"]
    for g, members in (("K1", ["A", "B"]), ("K2", ["C"])):
        m = d[d["demand"].isin(members)]
        for col in ("target_mm3", "delivered_mm3", "shortfall_mm3"):
            assert groups[g][col] == pytest.approx(float(m[col].sum()), abs=ABS)
    assert groups["K1"]["shortfall_mm3"] > 1.0  # the canals are short: the sums are not all targets


def test_workbook_groups_sheet_sums_members_in_mm3_and_m3s(solved, tmp_path):
    b, sol = solved
    write_plan_workbook(sol, b, tmp_path / "plan.xlsx", {"basin_path": "test", "scenario": "base"})
    ws = openpyxl.load_workbook(tmp_path / "plan.xlsx")["Groups"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Group", "Period", "Water users", "Target (Mm3)", "Allocated limit (Mm3)",
                       "Allocated limit (m3/s)", "Shortfall (Mm3)")
    sheet = pd.DataFrame(rows[1:], columns=rows[0])
    d = sol.tables["deliveries"]
    days = {"2025-10": 31, "2025-11": 30, "2025-12": 31}
    assert len(sheet) == 6
    for r in sheet.itertuples(index=False):
        members = {"K1": ["A", "B"], "K2": ["C"]}[r[0]]
        assert r[2] == ", ".join(members)
        m = d[d["demand"].isin(members) & (d["period"] == r[1])]
        assert r[3] == pytest.approx(float(m["target_mm3"].sum()), abs=ABS)
        assert r[4] == pytest.approx(float(m["delivered_mm3"].sum()), abs=ABS)
        assert r[5] == pytest.approx(float(mm3_to_m3s(np.array([r[4]]), [days[r[1]]])[0]), rel=1e-12)
        assert r[6] == pytest.approx(float(m["shortfall_mm3"].sum()), abs=ABS)


def test_no_groups_no_sheet_and_no_summary_block(tmp_path):
    b = make_basin([inflow("S", 10), demand("A", 5), sink()], [link("S", "A"), link("S", "OUT")])
    sol = balkhash.solve(b)
    assert "groups" not in sol.summary
    write_plan_workbook(sol, b, tmp_path / "plan.xlsx", {"basin_path": "test", "scenario": "base"})
    assert "Groups" not in openpyxl.load_workbook(tmp_path / "plan.xlsx").sheetnames


def test_an_empty_group_name_is_refused_by_the_schema():
    with pytest.raises(BasinError, match="group"):
        make_basin([inflow("S", 10), demand("A", 5, group=""), sink()], [link("S", "A"), link("S", "OUT")])
