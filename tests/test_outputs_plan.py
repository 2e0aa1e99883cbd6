"""The seasonal allocation plan table: values against the deliveries table, m3/s from the days of
each month, the vegetation season, group totals and the water users' sources."""

from __future__ import annotations

import numpy as np
import pytest
from outputs_support import small_basin

from balkhash.allocation.solve import solve
from balkhash.network.units import days_in_month
from balkhash.outputs.common import classify_source, demand_sources, lake_marks
from balkhash.outputs.plan import MEASURES, allocation_plan, month_order, plan_matrix, plan_totals


@pytest.fixture(scope="module")
def solved():
    b = small_basin()
    return solve(b), b


def test_month_rows_are_the_deliveries(solved):
    sol, b = solved
    plan = allocation_plan(sol, b)
    months = plan[plan["kind"] == "month"].set_index(["demand", "period"])
    d = sol.tables["deliveries"].set_index(["demand", "period"])
    assert len(months) == len(d)
    for key, r in d.iterrows():
        p = months.loc[key]
        assert p["limit_mm3"] == pytest.approx(r["delivered_mm3"])
        assert p["target_mm3"] == pytest.approx(r["target_mm3"])
        assert p["shortfall_mm3"] == pytest.approx(r["shortfall_mm3"])
        y, m = map(int, key[1].split("-"))
        assert p["days"] == days_in_month(y, m)
        assert p["limit_m3s"] == pytest.approx(r["delivered_mm3"] * 1e6 / (86400 * days_in_month(y, m)))
        if r["target_mm3"] > 0:
            assert p["shortfall_pct"] == pytest.approx(100 * r["shortfall_mm3"] / r["target_mm3"])
        else:
            assert np.isnan(p["shortfall_pct"])


def test_city_takes_a_constant_1_5_m3s(solved):
    sol, b = solved
    plan = allocation_plan(sol, b)
    city = plan[plan["demand"] == "CITY"]
    assert np.allclose(city["limit_m3s"], 1.5)  # 1.5 m3/s in every month whatever its length
    feb = city[city["period"] == "2026-02"].iloc[0]
    assert feb["limit_mm3"] == pytest.approx(1.5 * 86400 * 28 / 1e6)


def test_vegetation_season_and_water_year(solved):
    sol, b = solved
    plan = allocation_plan(sol, b)
    d = sol.tables["deliveries"]
    for user in ("IRR", "CITY"):
        g = d[d["demand"] == user]
        season = g[g["period"].str[5:].astype(int).between(4, 9)]
        row = plan[(plan["demand"] == user) & (plan["kind"] == "season")].iloc[0]
        assert row["period"] == "Apr-Sep"
        assert row["water_year"] == "2025-26"
        assert row["days"] == 183
        assert row["limit_mm3"] == pytest.approx(season["delivered_mm3"].sum())
        assert row["target_mm3"] == pytest.approx(season["target_mm3"].sum())
        assert row["limit_m3s"] == pytest.approx(season["delivered_mm3"].sum() * 1e6 / (86400 * 183))
        year = plan[(plan["demand"] == user) & (plan["kind"] == "year")].iloc[0]
        assert year["days"] == 365
        assert year["shortfall_mm3"] == pytest.approx(g["shortfall_mm3"].sum())
    irr = plan[(plan["demand"] == "IRR") & (plan["kind"] == "year")].iloc[0]
    assert irr["target_mm3"] == pytest.approx(250.0)
    assert irr["shortfall_pct"] == pytest.approx(100 * irr["shortfall_mm3"] / 250.0)


def test_sources_and_grouping(solved):
    sol, b = solved
    src = demand_sources(b)
    assert src["IRR"].node == "J1"
    assert src["IRR"].type == "canal"
    assert src["IRR"].via == "Main canal"
    assert src["CITY"].node == "J1"
    assert src["CITY"].type == "river"
    plan = allocation_plan(sol, b)
    assert list(dict.fromkeys(plan["sector"])) == ["agriculture", "utilities"]  # schema order
    by_sector = plan_totals(plan, "sector")
    for sector, g in sol.tables["deliveries"].groupby("sector"):
        year = by_sector[(by_sector["sector"] == sector) & (by_sector["kind"] == "year")].iloc[0]
        assert year["limit_mm3"] == pytest.approx(g["delivered_mm3"].sum())
        assert year["target_mm3"] == pytest.approx(g["target_mm3"].sum())
    by_type = plan_totals(plan, "source_type")
    assert set(by_type["source_type"]) == {"canal", "river"}


def test_classify_source_by_node_type():
    b = small_basin()
    link = b.link("RES-J1")
    assert classify_source(b.node("RES"), link) == "reservoir"
    assert classify_source(b.node("LAKE"), link) == "lake"
    assert classify_source(b.node("J1"), b.link("CANAL")) == "canal"
    assert classify_source(b.node("J1"), b.link("J1-CITY")) == "river"


def test_plan_matrix_layout(solved):
    sol, b = solved
    plan = allocation_plan(sol, b)
    matrix, cols = plan_matrix(plan, 10)
    assert cols == [*month_order(10), "Apr-Sep", "Water year"]
    assert month_order(10)[:3] == ["Oct", "Nov", "Dec"]
    assert month_order(1)[0] == "Jan"
    assert len(matrix) % len(MEASURES) == 0
    levels = list(dict.fromkeys(matrix["level"]))
    assert levels == ["user", "sector total", "source type total", "total"]
    total = matrix[(matrix["level"] == "total") & (matrix["measure"] == "Allocated limit") & (matrix["unit"] == "Mm3")]
    assert total["Water year"].iloc[0] == pytest.approx(sol.tables["deliveries"]["delivered_mm3"].sum())
    irr_pct = matrix[(matrix["demand"] == "IRR") & (matrix["unit"] == "%")].iloc[0]
    assert np.isnan(irr_pct["Oct"])  # nothing requested in October


def test_multi_year_horizon_has_a_block_per_water_year():
    b = small_basin()
    b.calendar.start = "2026-01"
    b.calendar.periods = 18
    b._cyclic = True
    sol = solve(b)
    plan = allocation_plan(sol, b)
    years = plan[plan["kind"] == "year"]
    assert sorted(years["water_year"].unique()) == ["2025-26", "2026-27"]
    first = years[(years["demand"] == "CITY") & (years["water_year"] == "2025-26")].iloc[0]
    assert first["days"] == 273  # Jan..Sep 2026: a partial water year sums the months present
    matrix, _ = plan_matrix(plan, 10)
    assert set(matrix["water_year"]) == {"2025-26", "2026-27"}


def test_lake_marks_from_targets_and_the_lake():
    b = small_basin()
    marks, band = lake_marks(b, "LAKE")
    assert {(m.kind, m.level) for m in marks} == {("target", 301.5), ("reference", 301.0)}
    assert band == (301.0, 302.0)
    # a reference level equal to the target is one line, named in the target's label
    b.node("LAKE").reference_levels_m = {"critical": 301.0, "plan minimum": 301.5}
    marks, _ = lake_marks(b, "LAKE")
    assert sorted((m.kind, m.level) for m in marks) == [("reference", 301.0), ("target", 301.5)]
    assert next(m for m in marks if m.kind == "target").label.endswith("= plan minimum")
