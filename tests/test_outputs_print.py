"""What a person sees on paper and in the pictures: the report printed (headless Chromium's
print to PDF), the workbook's page setup, unit labels, the flow-target chart, the plots' month
axes and legends."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess

import numpy as np
import pytest
from outputs_support import make_sweep, small_basin

from balkhash.allocation.solve import solve
from balkhash.data import default_basin_path
from balkhash.network import load_basin
from balkhash.scenarios import apply_scenario, load_scenarios


@pytest.fixture(scope="module")
def dry():
    """The bundled basin in the dry year 2014: release schedules violated, a plan of 12 users."""
    basin = load_basin(default_basin_path())
    scen = {s.name: s for s in load_scenarios(default_basin_path() / "scenarios.yaml")}["dry_2014"]
    b = apply_scenario(basin, scen)
    return solve(b), b


# -- the report on paper ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def printed(tmp_path_factory, dry):
    """The dry year's report with a sweep, printed to PDF by Chromium (A4 landscape from the page's
    own @page rule), and its text."""
    from chromium import Chromium, chromium_path

    from balkhash.outputs.report import write_report
    from balkhash.outputs.sweep import load_sweep

    if chromium_path() is None or shutil.which("pdftotext") is None:
        pytest.skip("Chromium or pdftotext missing: the printed report is not checked")
    sol, b = dry
    d = tmp_path_factory.mktemp("print")
    sweep = load_sweep(make_sweep(d / "sweep", factors=(0.4, 0.8, 1.2)))
    path = write_report(sol, b, d / "report.html", {"basin_path": "ile_balkhash"}, sweep=sweep)
    with Chromium(width=1400, height=1000) as browser:
        pg = browser.open(path)
        pg.wait_for("document.body.getAttribute('data-charts-ready') === 'true'")
        pdf = base64.b64decode(browser.send("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True},
                                            session=pg.session, timeout=120)["data"])
    (d / "report.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(d / "report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    return path.read_text(), text, pdf, sweep


def test_the_printed_report_holds_the_whole_plan(printed):
    """Every row and every column of the plan is on paper: not its 640-pixel scroll box."""
    html, text, *_ = printed
    rows = html.count("<td>Allocated limit</td>")
    assert rows > 40
    assert text.count("Allocated limit") == rows
    assert "Water-year total" in text
    assert "Apr-Sep" in text
    for month in ("Apr", "May", "Jun", "Jul", "Aug", "Sep"):  # the summer months hold the irrigation limits
        assert re.search(rf"\b{month}\b", text), month


def test_the_printed_sweep_table_keeps_its_violated_targets(printed):
    _, text, _, sweep = printed
    assert "Violated targets" in text
    ids = {t.strip() for v in sweep.table["violated_targets"].dropna() for t in str(v).split(";") if t.strip()}
    assert ids  # the driest value breaks a target
    for tid in ids:  # the last column, on paper
        assert tid in text, tid


def test_the_report_prints_on_a4_landscape(printed):
    pdf = printed[2]
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes
    for w, h in boxes:  # 297 x 210 mm = 841.9 x 595.3 pt
        assert float(w) == pytest.approx(841.9, abs=2)
        assert float(h) == pytest.approx(595.3, abs=2)


def test_print_rules_unbox_the_tables():
    from balkhash.outputs.report import CSS

    css = CSS.replace("\n", "")
    block = css[css.index("@media print{"):]
    assert "max-height:none!important" in block
    assert "overflow:visible!important" in block
    assert "thead{display:table-header-group}" in block  # the header row on every page
    assert "tr,dl.info{break-inside:avoid}" in block
    assert ".figure{break-inside:avoid" in block  # a chart's heading stays with it


# -- the flow-target chart ------------------------------------------------------------------------------
def test_the_flow_target_chart_has_a_panel_per_target_and_marks_violations(dry):
    from balkhash.outputs.report_figures import fig_eco

    sol, b = dry
    fig = fig_eco(sol, b).to_plotly_json()
    t = sol.targets[sol.targets["type"] == "eco_flow"]
    ids = list(dict.fromkeys(t["target"]))
    flows = [tr for tr in fig["data"] if tr["name"] == "flow (m3/s)"]
    assert len(flows) == len(ids) == 4
    assert len({tr["yaxis"] for tr in flows}) == len(ids)  # an axis of its own each
    viol = [tr for tr in fig["data"] if tr["name"] == "violated"]
    for tid, tr in zip(ids, viol, strict=True):
        g = t[t["target"] == tid]
        assert len(tr["x"]) == int((g["violation"] > 1e-6).sum()), tid
    moinak = viol[ids.index("MOINAK_RELEASE")]
    assert len(moinak["x"]) >= 4
    assert min(moinak["y"]) == pytest.approx(0.0, abs=1e-6)
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert any("KAPSHAGAY_RELEASE" in x and "release schedule" in x and "violated" in x for x in titles)
    assert any("ECO_ILE_DELTA" in x and "ecological flow" in x for x in titles)
    assert "release schedules" in fig["layout"]["title"]["text"]


# -- units in the report's tables -------------------------------------------------------------------------
def test_sweep_headings_have_units_and_no_raw_names():
    from balkhash.outputs.report import sweep_heading

    assert sweep_heading("shortfall_agriculture_mm3") == "Shortfall, agriculture (Mm3 over the horizon)"
    assert sweep_heading("lake_inflow_dual") == "Lake inflow dual (cost per Mm3)"
    assert sweep_heading("lake_level_end_m") == "Lake level at the end (m BS)"
    assert "mm3" not in sweep_heading("total_shortfall_mm3")


def test_the_report_heads_no_column_in_mm3(tmp_path):
    from balkhash.outputs.report import build_report
    from balkhash.outputs.sweep import load_sweep

    b = small_basin()
    page = build_report(solve(b), b, sweep=load_sweep(make_sweep(tmp_path / "sweep", factors=(0.5, 1.0))))
    heads = re.findall(r"<th>([^<]*)</th>", page)
    assert heads
    assert not [h for h in heads if "mm3" in h or "_" in h]


def test_ensemble_quantile_headings():
    from balkhash.outputs.ensemble_report import quantile_heading

    assert quantile_heading("mean_mm3") == "Mean (Mm3)"
    assert quantile_heading("q90_mm3") == "q90 (Mm3)"
    assert quantile_heading("max_mm3") == "Max (Mm3)"


def test_the_slider_total_agrees_with_its_bars(tmp_path):
    """The caption's total and the bars use one decimal: 32.3 + 0.2 is not shown as 33."""
    from balkhash.outputs.report_figures import fig_sweep_slider
    from balkhash.outputs.sweep import load_sweep

    b = small_basin()
    sweep = load_sweep(make_sweep(tmp_path / "sweep", factors=(0.4, 0.8)))
    fig = fig_sweep_slider(sweep, b)
    for k, st in enumerate(fig.layout.sliders[0].steps):
        row = sweep.solved.reset_index(drop=True).iloc[k]
        assert f"total shortfall {row['total_shortfall_mm3']:,.1f} Mm3" in st.args[1]["title.text"]
        bars = fig.data[1 + 2 * k + 1]
        assert list(bars.text) == [f"{row[f'shortfall_{s}_mm3']:,.1f}" for s in sweep.sectors]


# -- the workbook on paper -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def workbook(tmp_path_factory, dry):
    import openpyxl

    from balkhash.outputs.workbook import write_plan_workbook

    sol, b = dry
    path = write_plan_workbook(sol, b, tmp_path_factory.mktemp("wb") / "plan.xlsx", {"scenario": "dry_2014"})
    return openpyxl.load_workbook(path)


def test_every_sheet_has_a_paper_size(workbook):
    A3, A4 = 8, 9
    for ws in workbook.worksheets:
        want = A3 if ws.title.startswith("Issued") or ws.title == "Plan" else A4
        assert int(ws.page_setup.paperSize) == want, ws.title
        assert ws.page_setup.fitToWidth == 1, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title


def test_the_issued_plan_wraps_names_and_intakes(workbook):
    from balkhash.outputs.issued_plan import LINE_PT, text_lines

    ws = next(w for w in workbook.worksheets if w.title.startswith("Issued"))
    top = next(r for r in range(1, 30) if ws.cell(r, 1).value == "No.")
    assert ws.cell(top, 3).value == "Name"
    assert ws.cell(top, 5).value == "Intake (source)"
    long = 0
    for r in range(top + 2, ws.max_row + 1):
        for j in (3, 5):
            v = ws.cell(r, j).value
            if not isinstance(v, str) or ws.cell(r, 1).value is None:
                continue
            assert ws.cell(r, j).alignment.wrap_text, (r, v)
            width = ws.column_dimensions[ws.cell(r, j).column_letter].width
            lines = text_lines(v, width)
            if len(v) > width:
                long += 1
                assert lines > 1
                assert ws.row_dimensions[r].height >= LINE_PT * lines, (r, v)
    assert long >= 3  # "Fisheries (ponds and hatcheries on the lower Ile)", "Ile below Kapshagay (...)", ...


def test_a_reservoir_without_an_area_table_shows_no_area(workbook):
    ws = workbook["Reservoirs"]
    heads = [c.value for c in ws[1]]
    node, level, area = (heads.index(h) for h in ("Reservoir", heads[6], heads[7]))
    assert heads[7].startswith("Area (km2")
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    blank = {r[node] for r in rows if r[level] is None}
    assert blank  # BARTOGAI, KURTY_RES: no level-area-volume table
    assert all(r[area] is None for r in rows if r[node] in blank)
    assert all(r[area] > 0 for r in rows if r[node] not in blank)


# -- the PNG plots ------------------------------------------------------------------------------------------
def test_month_axes_name_the_months_of_the_horizon_only():
    """A 12-month horizon: the labels name Oct .. Sep in the middle of each month, no 13th 'Oct'."""
    import pandas as pd
    from matplotlib.figure import Figure

    from balkhash.outputs.plot_base import _date_axis

    fig = Figure()
    ax = fig.subplots()
    x = pd.date_range("2025-10-01", "2026-10-01", freq="MS")
    ax.plot(x, np.arange(len(x)))
    _date_axis(ax)
    fig.canvas.draw()
    labels = [t.get_text().split("\n")[0] for t in ax.get_xticklabels(minor=True) if t.get_text()]
    assert labels == ["Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep"]
    assert not any(t.get_text() for t in ax.get_xticklabels())  # the month lines carry no label


def test_zero_shortfall_is_white():
    from balkhash.outputs.plots import SHORTFALL_REDS

    assert SHORTFALL_REDS[0] == "#ffffff"


def test_the_deliveries_legend_names_each_sectors_colour(dry, tmp_path):
    from balkhash.outputs.report_figures import fig_deliveries

    sol, b = dry
    fig = fig_deliveries(sol, b).to_plotly_json()
    delivered = [tr for tr in fig["data"] if str(tr["name"]).startswith("delivered")]
    assert len({tr["marker"]["color"] for tr in delivered}) == len(delivered) == 4
    assert all(tr.get("showlegend", True) for tr in delivered)


def test_hindcast_site_labels():
    from balkhash.outputs.hindcast_plot import site_label

    b = load_basin(default_basin_path())
    assert site_label("KAPSHAGAY_DAM+KAPSHAGAY_SPILL", b).startswith("release from ")
    assert site_label("UPPER-KAPSHAGAY+LOCAL-KAPSHAGAY+ZAILIY-KAPSHAGAY", b).startswith("inflow to ")
    assert site_label("KAPSHAGAY_DAM+KAPSHAGAY_SPILL") == "KAPSHAGAY_DAM + KAPSHAGAY_SPILL"  # no basin: the ids
