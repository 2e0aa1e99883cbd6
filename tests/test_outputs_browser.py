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
