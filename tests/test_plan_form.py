"""The plan in the form a basin inspection issues: header fields, limits per water user grouped by
district/canal/intake with group subtotals and a basin total in Mm3 and m3/s, by month or by dekad in
the vegetation season; groups summed in the workbook, the console summary and the report."""

from __future__ import annotations

import io

import openpyxl
import pytest
from analytical_basins import demand, inflow, junction, link, make_basin, monthly, sink
from rich.console import Console

import balkhash
from balkhash.cli.console import print_summary
from balkhash.network.io import parse_basin
from balkhash.network.timeline import period_days
from balkhash.network.validate import check_basin
from balkhash.outputs.issued_plan import NO_GROUP, issued_table
from balkhash.outputs.plan import allocation_plan, period_columns
from balkhash.outputs.report import build_report
from balkhash.outputs.workbook import write_plan_workbook

ABS = 1e-9
DAYS = {"Oct": 31, "Nov": 30, "Dec": 31}


def grouped_basin(periods: int = 3):
    """60 Mm3/month at S for A (40, 10, 70 in Oct, Nov, Dec), B (20) on canal K1, C (15) on canal K2
    and the town U (10, no group) under water_code: U is served first, A, B and C share the rest in
    proportion to their targets: Oct 50/75 = 2/3 each, Nov in full, Dec 50/105."""
    return make_basin(
        [inflow("S", 60), junction("J"), demand("A", monthly(oct=40, nov=10, dec=70), group="K1"),
         demand("B", 20, sector="fisheries", group="K1"), demand("C", 15, group="K2"),
         demand("U", 10, sector="utilities"), sink()],
        [link("S", "J"), link("J", "A"), link("J", "B"), link("J", "C"), link("J", "U"), link("J", "OUT")],
        options={"policy": "water_code"}, periods=periods, validate=True)


@pytest.fixture(scope="module")
def solved():
    b = grouped_basin()
    return b, balkhash.solve(b)


def _row(table, level, name, unit):
    rows = table[(table["level"] == level) & (table["name"] == name) & (table["unit"] == unit)] if level != "user" \
        else table[(table["demand"] == name) & (table["unit"] == unit)]
    assert len(rows) == 1, (level, name, unit)
    return rows.iloc[0]


def test_issued_limits_by_hand(solved):
    b, sol = solved
    table, cols = issued_table(allocation_plan(sol, b), "2025-26", 10, {n.id: i for i, n in enumerate(b.nodes)})
    assert cols == [*period_columns(10), "Apr-Sep", "Water year"]
    # the users in the basin's order under their groups, the users without a group last
    users = table[(table["level"] == "user") & (table["unit"] == "Mm3")]
    assert users["demand"].tolist() == ["A", "B", "C", "U"]
    assert users["group"].tolist() == ["K1", "K1", "K2", NO_GROUP]
    assert users["no"].tolist() == [1, 2, 3, 4]
    share_dec = 50 / 105
    a, bb = _row(table, "user", "A", "Mm3"), _row(table, "user", "B", "Mm3")
    assert [a["Oct"], a["Nov"], a["Dec"]] == pytest.approx([40 * 2 / 3, 10, 70 * share_dec], abs=ABS)
    assert [bb["Oct"], bb["Nov"], bb["Dec"]] == pytest.approx([20 * 2 / 3, 20, 20 * share_dec], abs=ABS)
    k1 = _row(table, "group total", "K1: total", "Mm3")
    assert [k1["Oct"], k1["Nov"], k1["Dec"]] == pytest.approx([40.0, 30.0, 90 * share_dec], abs=ABS)
    assert k1["Water year"] == pytest.approx(40 + 30 + 90 * share_dec, abs=ABS)  # the months present
    assert k1["requested_mm3"] == pytest.approx(180.0)
    assert k1["limit_pct"] == pytest.approx(100 * (70 + 90 * share_dec) / 180)
    k1s = _row(table, "group total", "K1: total", "m3/s")
    for m in ("Oct", "Nov", "Dec"):
        assert k1s[m] == pytest.approx(k1[m] * 1e6 / (86400 * DAYS[m]), rel=1e-12)
    assert k1s["Water year"] == pytest.approx(k1["Water year"] * 1e6 / (86400 * 92), rel=1e-12)
    assert k1s["requested_mm3"] is None or k1s["requested_mm3"] != k1s["requested_mm3"]
    total = _row(table, "total", "Basin total", "Mm3")
    assert [total["Oct"], total["Nov"], total["Dec"]] == pytest.approx([60.0, 55.0, 60.0], abs=ABS)
    assert total["Apr"] is None or total["Apr"] != total["Apr"]  # no period of the horizon


def test_groups_sum_their_members_in_every_column(solved):
    b, sol = solved
    table, _ = issued_table(allocation_plan(sol, b), "2025-26")
    for unit in ("Mm3", "m3/s"):
        users = table[(table["level"] == "user") & (table["unit"] == unit)]
        for group, members in users.groupby("group"):
            tot = _row(table, "group total", f"{group}: total", unit)
            for c in ("Oct", "Nov", "Dec", "Water year"):
                assert tot[c] == pytest.approx(members[c].sum(), abs=ABS), (group, c)
        basin = _row(table, "total", "Basin total", unit)
        for c in ("Oct", "Nov", "Dec", "Water year"):
            assert basin[c] == pytest.approx(users[c].sum(), abs=ABS)
    d = sol.tables["deliveries"]
    assert _row(table, "total", "Basin total", "Mm3")["Water year"] == pytest.approx(d["delivered_mm3"].sum())


def _sheet_rows(ws):
    return list(ws.iter_rows(values_only=True))


def test_the_issued_sheet_header_and_limits(solved, tmp_path):
    b, sol = solved
    info = {"scenario": "dry", "run_date": "2026-03-01 10:00 UTC",
            "exceedance": {"probability_pct": 75.0, "method": "generator", "china_km3": 10.25, "kazakh_km3": 4.5}}
    write_plan_workbook(sol, b, tmp_path / "plan.xlsx", info)
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert wb.sheetnames[0] == "Issued plan 2025-26"
    rows = _sheet_rows(wb["Issued plan 2025-26"])
    assert rows[0][0] == "Water use plan: limits of water use, water year 2025-26"
    header = {r[0]: r[3] for r in rows[1:9]}
    assert header["Basin"] == "test"
    assert header["Water year"] == "2025-26 (2025-10-01 .. 2026-09-30)"
    assert header["Probability of exceedance"].startswith("75 % (the water year planned: inflow from China 10.25 km3")
    assert header["Allocation policy"] == "water_code"
    assert header["Scenario"] == "dry"
    assert header["Date of issue"] == "2026-03-01"
    top = next(i for i, r in enumerate(rows) if r[0] == "No.")
    head = rows[top]
    assert head[:6] == ("No.", "Water user", "Name", "Sector", "Intake (source)", "Unit")
    assert head[6:9] == ("Oct", "Nov", "Dec")
    assert head[-4:] == ("Vegetation season Apr-Sep", "Water-year total", "Requested, water year (Mm3)",
                         "Limit, % of request")
    body = rows[top + 2:]
    col = {h: j for j, h in enumerate(head)}
    assert body[0][1] == "K1"  # the group's title row
    a = next(r for r in body if r[1] == "A" and r[5] == "Mm3")
    a_s = next(r for r in body if r[1] == "A" and r[5] == "m3/s")
    assert a[0] == 1
    assert a[2] == "A"
    assert a[3] == "agriculture"
    assert a[col["Oct"]] == pytest.approx(40 * 2 / 3, abs=ABS)
    assert a_s[col["Oct"]] == pytest.approx(40 * 2 / 3 * 1e6 / (86400 * 31), rel=1e-12)
    assert a[col["Requested, water year (Mm3)"]] == pytest.approx(120.0)
    k2 = next(r for r in body if r[2] == "K2: total" and r[5] == "Mm3")
    c = next(r for r in body if r[1] == "C" and r[5] == "Mm3")
    assert [k2[col[m]] for m in ("Oct", "Nov", "Dec")] == pytest.approx([c[col[m]] for m in ("Oct", "Nov", "Dec")])
    total = next(r for r in body if r[2] == "Basin total" and r[5] == "Mm3")
    users = [r for r in body if r[1] in ("A", "B", "C", "U") and r[5] == "Mm3"]
    assert total[col["Water-year total"]] == pytest.approx(sum(r[col["Water-year total"]] for r in users), abs=ABS)
    assert total[col["Water-year total"]] == pytest.approx(sol.tables["deliveries"]["delivered_mm3"].sum())


def test_a_sheet_per_water_year(tmp_path):
    b = grouped_basin(periods=24)
    b._cyclic = True
    sol = balkhash.solve(b)
    write_plan_workbook(sol, b, tmp_path / "plan.xlsx", {"run_date": "2026-03-01"})
    names = openpyxl.load_workbook(tmp_path / "plan.xlsx").sheetnames
    assert names[:3] == ["Issued plan 2025-26", "Issued plan 2026-27", "Plan"]


def dekad_basin():
    """March-May 2026 by dekad: a river of 10 m3/s for an irrigation user asking 20, 60 and 62
    Mm3/month (split by days) on canal K1 and a town of 1 m3/s (served first): 9 m3/s is 24.1 Mm3 in
    March, 23.3 in April and 24.1 in May, so the user is served in March and short in April and May."""
    raw = {"name": "dekads", "calendar": {"start": "2026-03", "periods": 9, "step": "dekad"},
           "options": {"policy": "water_code"},
           "nodes": [{"id": "S", "type": "inflow", "inflow": "10 m3/s"},
                     {"id": "IRR", "type": "demand", "sector": "agriculture", "group": "K1",
                      "target": {"unit": "Mm3/month", "monthly": [0, 0, 20.0, 60.0, 62.0] + [0.0] * 7}},
                     {"id": "TOWN", "type": "demand", "sector": "utilities", "target": "1 m3/s", "group": "K1"},
                     {"id": "OUT", "type": "sink"}],
           "links": [{"id": "S-IRR", "from": "S", "to": "IRR"}, {"id": "S-TOWN", "from": "S", "to": "TOWN"},
                     {"id": "S-OUT", "from": "S", "to": "OUT"}]}
    b = parse_basin(raw, "test.yaml")
    assert not check_basin(b, "test.yaml")
    return b


def test_the_issued_plan_by_dekad_in_the_vegetation_season(tmp_path):
    b = dekad_basin()
    sol = balkhash.solve(b)
    table, cols = issued_table(allocation_plan(sol, b), "2025-26")
    assert cols[:9] == ["Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr 1", "Apr 2", "Apr 3"]
    assert cols[-4:] == ["Sep 2", "Sep 3", "Apr-Sep", "Water year"]
    d = sol.tables["deliveries"].set_index(["demand", "period"])["delivered_mm3"]
    irr = _row(table, "user", "IRR", "Mm3")
    irr_s = _row(table, "user", "IRR", "m3/s")
    assert irr["Mar"] == pytest.approx(sum(d["IRR", f"2026-03-{k}"] for k in (1, 2, 3)), abs=ABS)
    assert irr["Mar"] == pytest.approx(20.0, abs=ABS)
    for m, label in (("Apr", "2026-04"), ("May", "2026-05")):
        for k in (1, 2, 3):
            assert irr[f"{m} {k}"] == pytest.approx(d["IRR", f"{label}-{k}"], abs=ABS)
            days = period_days(f"{label}-{k}")
            assert irr_s[f"{m} {k}"] == pytest.approx(d["IRR", f"{label}-{k}"] * 1e6 / (86400 * days), rel=1e-12)
    # the river (10 m3/s) less the town (1 m3/s) is what the user gets in the short dekads
    assert irr_s["Apr 1"] == pytest.approx(9.0, rel=1e-9)
    assert irr_s["May 3"] == pytest.approx(9.0, rel=1e-9)
    assert irr["Apr-Sep"] == pytest.approx(sum(irr[f"{m} {k}"] for m in ("Apr", "May") for k in (1, 2, 3)), abs=ABS)
    town = _row(table, "user", "TOWN", "m3/s")
    assert town["Mar"] == pytest.approx(1.0, rel=1e-12)
    assert town["May 3"] == pytest.approx(1.0, rel=1e-12)
    k1 = _row(table, "group total", "K1: total", "Mm3")
    assert k1["Apr 2"] == pytest.approx(irr["Apr 2"] + _row(table, "user", "TOWN", "Mm3")["Apr 2"], abs=ABS)
    write_plan_workbook(sol, b, tmp_path / "plan.xlsx", {"run_date": "2026-03-01"})
    rows = _sheet_rows(openpyxl.load_workbook(tmp_path / "plan.xlsx")["Issued plan 2025-26"])
    top = next(i for i, r in enumerate(rows) if r[0] == "No.")
    head, days = rows[top], rows[top + 1]
    j = head.index("Apr")
    assert days[j:j + 6] == ("1-10", "11-20", "21-30", "1-10", "11-20", "21-31")
    assert head[j + 1] is None
    assert head[j + 2] is None
    assert head[j + 3] == "May"  # merged over its dekads
    assert "dekads in April-September, months otherwise" in [r[3] for r in rows[1:9]]


def test_groups_in_the_console_summary_and_the_report(solved):
    b, sol = solved
    buf = io.StringIO()
    print_summary(Console(file=buf, width=120), sol.summary, b)
    text = buf.getvalue()
    g = sol.summary["groups"]["K1"]
    rate = g["delivered_mm3"] * 1e6 / (86400 * 92)
    line = next(ln for ln in text.splitlines() if "K1" in ln)
    assert f"{g['delivered_mm3']:,.1f}" in line
    assert f"{rate:,.2f}" in line
    assert "Groups of users" in text
    html = build_report(sol, b, {"run_date": "2026-03-01"})
    assert "Limits per group (district, canal, intake)" in html
    assert "K1: total" in html
    assert "Basin total" in html
    assert f"{g['delivered_mm3']:,.2f}" in html


def test_the_plan_table_sums_each_group_per_period(solved):
    """``plan_totals(plan, "group")``: the limit of each intake per month, season and year in Mm3 and
    m3/s, equal to its members' sums from the deliveries table."""
    from balkhash.outputs.plan import plan_totals

    b, sol = solved
    plan = allocation_plan(sol, b)
    assert plan.loc[plan["demand"] == "A", "group"].unique().tolist() == ["K1"]
    assert plan.loc[plan["demand"] == "U", "group"].isna().all()
    tot = plan_totals(plan.dropna(subset=["group"]), "group")
    d = sol.tables["deliveries"]
    for (group, period), r in tot[tot["kind"] == "month"].set_index(["group", "period"]).iterrows():
        members = {"K1": ["A", "B"], "K2": ["C"]}[group]
        m = d[d["demand"].isin(members) & (d["period"] == period)]
        assert r["limit_mm3"] == pytest.approx(m["delivered_mm3"].sum(), abs=ABS)
        assert r["limit_m3s"] == pytest.approx(m["delivered_mm3"].sum() * 1e6 / (86400 * DAYS[r["month"]]),
                                               rel=1e-12)
