"""The report in a real browser: headless Chromium (Debian's `chromium`, installed by `make browser`)
loads it with no JavaScript error and no network request, draws every chart (pixel check on a
screenshot) and the sweep slider answers a click."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from chromium import Chromium, chromium_path
from matplotlib import image as mpimg
from outputs_support import make_sweep, small_basin

from balkhash.allocation.solve import solve
from balkhash.outputs.report import write_report
from balkhash.outputs.sweep import load_sweep


def _require_chromium() -> None:
    """Skip (with the reason, shown in pytest's summary) when Chromium is missing; CI
    (BALKHASH_REQUIRE_CHROMIUM=1, set by .ci/run after `make browser`) fails instead."""
    if chromium_path() is not None:
        return
    reason = ("Chromium is missing at /usr/bin/chromium (BALKHASH_CHROMIUM names another binary): the report's "
              "browser test is skipped; `make browser` installs Debian's chromium (as root)")
    if os.environ.get("BALKHASH_REQUIRE_CHROMIUM"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    _require_chromium()
    d = tmp_path_factory.mktemp("browser")
    b = small_basin()
    path = write_report(solve(b), b, d / "report.html", {"basin_path": "small_basin"},
                        sweep=load_sweep(make_sweep(d / "sweep", factors=(0.4, 0.8, 1.2))))
    with Chromium(width=1400, height=1000) as browser:
        pg = browser.open(path)
        pg.wait_for("document.body.getAttribute('data-charts-ready') === 'true'")
        yield pg


def _crop_png(png: bytes, rect) -> np.ndarray:
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    x, y, w, h = (round(v) for v in rect)
    y0, x0 = max(0, y), max(0, x)
    return img[y0:y + h, x0:x + w]


def _rect(page, element_id: str):
    return page.evaluate(
        f"(function(){{var e=document.getElementById('{element_id}'); e.scrollIntoView(); window.scrollBy(0,-60);"
        " var r=e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height];})()")


def test_every_chart_drawn_without_errors_or_network(page):
    n_figures = page.evaluate("document.querySelectorAll('script[data-plotly-figure]').length")
    assert n_figures >= 8
    drawn = page.wait_for(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n_figures} && "
        "document.querySelectorAll('.js-plotly-plot').length")
    assert drawn == n_figures
    assert page.evaluate("typeof Plotly") == "object"
    page.browser.pump(0.5)
    assert page.errors == []
    external = [u for u in page.requests if not u.startswith(("file:", "data:", "blob:", "about:"))]
    assert external == []


def test_lake_chart_is_not_blank(page):
    rect = _rect(page, "chart-lake-LAKE")
    assert rect[2] > 600
    assert rect[3] > 400
    page.browser.pump(0.3)
    crop = _crop_png(page.screenshot(), rect)
    assert crop.shape[0] > 300
    assert crop.shape[1] > 600
    assert crop.std() > 0.05
    non_white = (crop.min(axis=2) < 0.9).mean()
    assert non_white > 0.02, f"only {non_white:.1%} of the chart area is drawn"
    r, b = crop[..., 0], crop[..., 2]
    blue = ((b - r) > 0.3) & (b > 0.45)  # the level line (#08519c) and the inflow bars
    assert blue.mean() > 0.003


def test_sweep_slider_answers_a_click(page):
    state = ("(function(){var gd=document.getElementById('chart-sweep-slider');"
             "return {active: gd.layout.sliders[0].active, n: gd.layout.sliders[0].steps.length,"
             " title: gd.layout.title.text, vis: gd.data.map(function(t){return t.visible !== false;})};})()")
    before = page.evaluate(state)
    assert before["n"] == 3
    assert before["active"] == 1
    _rect(page, "chart-sweep-slider")
    page.browser.pump(0.3)
    rail = page.evaluate("(function(){var r=document.querySelector('#chart-sweep-slider .slider-rail-rect')"
                         ".getBoundingClientRect(); return [r.x, r.y, r.width, r.height];})()")
    page.mouse_click(rail[0] + rail[2] - 2, rail[1] + rail[3] / 2)
    after = page.wait_for(f"(function(){{var s={state}; return s.active === 2 ? s : null;}})()", timeout=10)
    assert after["title"] != before["title"]
    assert after["vis"] == [True, False, False, False, False, True, True]
    crop = _crop_png(page.screenshot(), _rect(page, "chart-sweep-slider"))
    assert crop.std() > 0.05
    assert page.errors == []


# -- the Ile-Balkhash report in a dry year: labels, heatmap and plan at a laptop's width ----------------
# every text of the network chart: the node labels (annotations) and any text drawn on the traces
_NETWORK_TEXTS = """(function(){var g=document.getElementById('chart-network'); var out=[];
g.querySelectorAll('g.annotation').forEach(function(a){var t=a.querySelector('text');
  var r=a.querySelector('rect.bg'); if(t && r && t.textContent){var b=r.getBoundingClientRect();
  out.push([t.textContent,b.left,b.top,b.right,b.bottom]);}});
g.querySelectorAll('.textpoint text').forEach(function(t){if(!t.textContent) return; var b=t.getBoundingClientRect();
  out.push([t.textContent,b.left,b.top,b.right,b.bottom]);});
return out;})()"""


@pytest.fixture(scope="module")
def dry_page(tmp_path_factory):
    _require_chromium()
    from balkhash.data import default_basin_path
    from balkhash.network import load_basin
    from balkhash.scenarios import apply_scenario, load_scenarios

    d = tmp_path_factory.mktemp("browser_ile")
    scen = {s.name: s for s in load_scenarios(default_basin_path() / "scenarios.yaml")}["dry_2014"]
    b = apply_scenario(load_basin(default_basin_path()), scen)
    path = write_report(solve(b), b, d / "report.html", {"scenario": "dry_2014"})
    with Chromium(width=1400, height=1000) as browser:
        pg = browser.open(path)
        pg.wait_for("document.body.getAttribute('data-charts-ready') === 'true'")
        browser.pump(0.5)
        yield pg


def _overlap(a, b) -> float:
    return max(0.0, min(a[3], b[3]) - max(a[1], b[1])) * max(0.0, min(a[4], b[4]) - max(a[2], b[2]))


def test_network_labels_do_not_overlap(dry_page):
    """Around Kapshagay some 30 nodes lie within 2 degrees: no two labels of the chart may overlap
    by more than 4 px2 (the corner of a white label box), and every node but the junctions has one."""
    texts = dry_page.evaluate(_NETWORK_TEXTS)
    labels = [t[0] for t in texts]
    assert {"KAPSHAGAY", "KURTY_RES", "UTIL_KAPSHAGAY", "TALGAR", "BALKHASH"} <= set(labels)
    assert len(labels) >= 30
    clashes = [(a[0], b[0], round(_overlap(a, b))) for i, a in enumerate(texts) for b in texts[i + 1:]
               if _overlap(a, b) > 4.0]
    assert clashes == []


def test_heatmap_labels_fit_inside_the_chart(dry_page):
    """Every water user's label is inside the heatmap's area, not cut at its left edge."""
    r = dry_page.evaluate(
        "(function(){var g=document.getElementById('chart-heatmap'); var c=g.getBoundingClientRect();"
        " return {left: c.left, right: c.right, ticks: [].map.call(g.querySelectorAll('.ytick text'), function(t){"
        " var b=t.getBoundingClientRect(); return [t.textContent, b.left, b.right];})};})()")
    assert len(r["ticks"]) == 12
    assert "IRR_AKSU_LEPSY (agriculture)" in [t[0] for t in r["ticks"]]
    assert all(t[1] >= r["left"] and t[2] <= r["right"] for t in r["ticks"]), r


def test_heatmap_grey_means_nothing_requested(dry_page):
    """The cells of October-March of an irrigation user (nothing requested) are grey, as in the
    PNG; the industry users' cells (nothing short) are near-white; the title says so."""
    from balkhash.outputs.plots import NOT_REQUESTED_COLOUR, SHORTFALL_REDS

    gd = dry_page.evaluate("(function(){var g=document.getElementById('chart-heatmap');"
                           " return {title: g.layout.title.text, grey: g.data[1].colorscale[0][1],"
                           " white: g.data[0].colorscale[0][1]};})()")
    assert "grey: nothing requested" in gd["title"]
    assert gd["grey"] == NOT_REQUESTED_COLOUR
    assert gd["white"] == SHORTFALL_REDS[0]
    rect = _rect(dry_page, "chart-heatmap")
    dry_page.browser.pump(0.3)
    crop = _crop_png(dry_page.screenshot(), rect)
    grey = np.array([int(NOT_REQUESTED_COLOUR[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    assert (np.abs(crop - grey).max(axis=2) < 0.02).mean() > 0.05  # the 7 x 6 cells requesting nothing


def test_plan_table_fits_or_scrolls_inside_the_page(dry_page):
    """At 1400 px the whole plan (to the water-year total) fits its section; at 1000 px it scrolls
    sideways inside its own box and the page itself does not."""
    js = ("(function(){var t=document.querySelector('table.plan'); var c=t.parentElement;"
          " return {scroll: c.scrollWidth, box: c.clientWidth, overflow: getComputedStyle(c).overflowX,"
          " page: document.documentElement.scrollWidth, win: window.innerWidth,"
          " last: t.querySelector('thead th:last-child').getBoundingClientRect().right,"
          " right: c.getBoundingClientRect().right};})()")
    wide = dry_page.evaluate(js)
    assert wide["scroll"] <= wide["box"], wide
    assert wide["last"] <= wide["right"] + 0.5, wide
    dry_page.browser.send("Emulation.setDeviceMetricsOverride", {"width": 1000, "height": 1000, "deviceScaleFactor": 1,
                                                                 "mobile": False}, session=dry_page.session)
    dry_page.browser.pump(0.5)
    try:
        narrow = dry_page.evaluate(js)
        assert narrow["overflow"] in ("auto", "scroll")
        assert narrow["scroll"] > narrow["box"]
        assert narrow["page"] <= narrow["win"], narrow
    finally:
        dry_page.browser.send("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": 1000,
                                                                     "deviceScaleFactor": 1, "mobile": False},
                              session=dry_page.session)
        dry_page.browser.pump(0.5)
