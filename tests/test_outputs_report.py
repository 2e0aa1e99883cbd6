"""The self-contained HTML report: plotly.js inline and nothing fetched from elsewhere, the
embedded data (run data and every chart as plotly JSON) against the result tables, the sweep
slider, and `balkhash report`."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pytest
from outputs_support import make_sweep, small_basin
from typer.testing import CliRunner

from balkhash.allocation.solve import solve
from balkhash.cli import app
from balkhash.outputs.plan import allocation_plan
from balkhash.outputs.plots import NOT_REQUESTED_COLOUR, SHORTFALL_REDS
from balkhash.outputs.report import write_report
from balkhash.outputs.sweep import load_sweep

runner = CliRunner()


class Scan(HTMLParser):
    """Every tag with its attributes, and the text of every <script>."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._in: dict | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "script":
            self._in, self._buf = a, []

    def handle_data(self, data):
        if self._in is not None:
            self._buf.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in is not None:
            self.scripts.append((self._in, "".join(self._buf)))
            self._in = None


def scan(path) -> Scan:
    s = Scan()
    s.feed(path.read_text(encoding="utf-8"))
    return s


def figures(s: Scan) -> dict[str, dict]:
    return {a["id"].removeprefix("fig-"): json.loads(text) for a, text in s.scripts if "data-plotly-figure" in a}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    b = small_basin()
    sol = solve(b)
    sweep = load_sweep(make_sweep(d / "sweep"))
    path = write_report(sol, b, d / "report.html", {"basin_path": "small_basin", "scenario": "base"}, sweep=sweep)
    return path, sol, b, sweep


def test_self_contained(report):
    path, *_ = report
    s = scan(path)
    for tag, a in s.tags:
        for attr in ("src", "href"):
            v = (a.get(attr) or "").strip().lower()
            assert not v.startswith(("http:", "https:", "//")), (tag, a)
        if tag == "script":
            assert "src" not in a, a  # every script inline
        assert tag != "link" or a.get("rel") != "stylesheet", a
    inline_js = [text for a, text in s.scripts if a.get("type") == "text/javascript"]
    plotly_js = max(inline_js, key=len)
    assert len(plotly_js) > 1_000_000
    assert "plotly.js" in plotly_js[:2000]
    assert "cdn.plot.ly" not in "".join(text for a, text in s.scripts if "data-plotly-figure" in a)


def test_embedded_run_data(report):
    path, sol, b, sweep = report
    s = scan(path)
    payload = json.loads(next(text for a, text in s.scripts if a.get("id") == "balkhash-data"))
    assert payload["basin"] == "Small basin"
    assert payload["summary"]["objective"] == pytest.approx(sol.summary["objective"])
    assert payload["summary"]["shortfall_mm3_by_sector"] == pytest.approx(sol.summary["shortfall_mm3_by_sector"])
    plan = allocation_plan(sol, b)
    assert len(payload["plan"]) == len(plan)
    irr_year = next(r for r in payload["plan"] if r["demand"] == "IRR" and r["kind"] == "year")
    assert irr_year["limit_mm3"] == pytest.approx(sol.deliveries.query("demand == 'IRR'")["delivered_mm3"].sum())
    assert [r["value"] for r in payload["sweep"]["table"]] == pytest.approx(sweep.table["value"].tolist())
    assert payload["run_info"]["basin_path"] == "small_basin"


def test_chart_json_against_the_tables(report):
    path, sol, b, _ = report
    figs = figures(scan(path))
    assert {"lake-LAKE", "reservoirs", "deliveries", "heatmap", "network", "eco", "sweep-slider",
            "sweep-curves"} <= set(figs)
    lake = figs["lake-LAKE"]
    level = next(t for t in lake["data"] if t["name"].startswith("level"))
    st = sol.storage.query("node == 'LAKE'")
    assert level["y"][0] == pytest.approx(302.0)  # the initial level
    assert level["y"][1:] == pytest.approx(st["level_m"].tolist())
    shapes = lake["layout"]["shapes"]
    assert sorted(sh["y0"] for sh in shapes if sh["type"] == "line") == [301.0, 301.5]
    assert [(sh["y0"], sh["y1"]) for sh in shapes if sh["type"] == "rect"] == [(301.0, 302.0)]
    heat = figs["heatmap"]["data"][0]
    assert heat["type"] == "heatmap"
    assert len(heat["y"]) == 2
    assert len(heat["x"]) == 12
    irr = heat["y"].index("IRR (agriculture)")
    d = sol.deliveries.query("demand == 'IRR' and period == '2026-07'").iloc[0]
    assert heat["z"][irr][9] == pytest.approx(100 * d.shortfall_mm3 / d.target_mm3)
    assert heat["z"][irr][0] is None  # nothing requested in October
    grey = figs["heatmap"]["data"][1]  # drawn where nothing was requested, in the PNG's grey
    assert grey["name"] == "nothing requested"
    assert [[v is not None for v in row] for row in grey["z"]] == [[v is None for v in row] for row in heat["z"]]
    assert grey["colorscale"] == [[0, NOT_REQUESTED_COLOUR], [1, NOT_REQUESTED_COLOUR]]
    assert heat["colorscale"][0] == [0.0, SHORTFALL_REDS[0]]
    assert heat["colorscale"][-1] == [1.0, SHORTFALL_REDS[-1]]
    assert "grey: nothing requested" in figs["heatmap"]["layout"]["title"]["text"]
    assert figs["heatmap"]["layout"]["yaxis"]["automargin"] is True  # the user labels get their room
    edges = {t["name"]: t for t in figs["network"]["data"] if t.get("mode") == "lines"}
    assert set(edges) == {lk.id for lk in b.links}
    # a link's mean flow: its volume over the horizon's seconds (real days), not the periods' mean m3/s
    mean = sol.flows.groupby("link_id")["flow_mm3"].sum() * 1e6 / (float(b.timeline().days.sum()) * 86400)
    for lid, t in edges.items():
        assert t["meta"]["mean_flow_m3s"] == pytest.approx(mean[lid])
    assert max(edges, key=lambda k: edges[k]["line"]["width"]) == mean.idxmax()  # width follows the flow
    nodes = {t["name"]: t for t in figs["network"]["data"] if t.get("mode", "").startswith("markers")
             and t["name"] in ("junction", "demand")}
    assert nodes["junction"]["mode"] == nodes["demand"]["mode"] == "markers"  # labels are annotations
    assert set(nodes["junction"]["text"]) == {n.id for n in b.nodes if n.type == "junction"}  # on hover
    labels = {a["text"] for a in figs["network"]["layout"]["annotations"]}
    assert labels == {n.id for n in b.nodes if n.type != "junction"}
    deliveries = figs["deliveries"]
    agri = next(t for t in deliveries["data"] if t["name"] == "delivered: agriculture")
    assert sum(agri["y"]) == pytest.approx(sol.summary["delivered_mm3_by_sector"]["agriculture"], rel=1e-6)


def test_sweep_slider(report):
    path, _, _, sweep = report
    fig = figures(scan(path))["sweep-slider"]
    slider = fig["layout"]["sliders"][0]
    steps = slider["steps"]
    assert [float(st["label"]) for st in steps] == pytest.approx(sweep.table["value"].tolist(), rel=1e-6)
    n = len(fig["data"])
    for k, st in enumerate(steps):
        vis = st["args"][0]["visible"]
        assert len(vis) == n
        assert sum(vis) == 3
        bars = fig["data"][1 + 2 * k + 1]
        assert bars["type"] == "bar"
        assert bars["x"] == sweep.sectors
        row = sweep.table.iloc[k]
        assert bars["y"] == pytest.approx([row[f"shortfall_{s}_mm3"] for s in sweep.sectors])
        assert f"{row['value']:g}" in st["args"][1]["title.text"]
    low = steps[0]["args"][1]["title.text"]
    assert "<br>violated: " in low  # the driest point breaks a target (its own line); the wettest meets all
    assert "all targets met" in steps[-1]["args"][1]["title.text"]
    level = fig["data"][1 + 2 * slider["active"]]
    assert level["visible"] is True
    assert all(np.isfinite(level["y"]))


def test_report_command(tmp_path):
    sweep = make_sweep(tmp_path / "sw", factors=(0.6, 1.0))
    out = tmp_path / "r" / "report.html"
    r = runner.invoke(app, ["report", "-b", "small_basin", "--out", str(out), "--sweep", str(sweep),
                            "--plots", str(tmp_path / "png"), "--plan-out", str(tmp_path / "plan.xlsx")])
    assert r.exit_code == 0, r.output
    assert "report:" in r.output
    assert out.exists()
    figs = figures(scan(out))
    assert len(figs["sweep-slider"]["layout"]["sliders"][0]["steps"]) == 2
    assert (tmp_path / "plan.xlsx").exists()
    assert {"sweep_shortfall.png", "lake_level.png"} <= {p.name for p in (tmp_path / "png").iterdir()}
    # without a sweep: no sweep section
    r = runner.invoke(app, ["report", "-b", "tiny_river", "--out", str(tmp_path / "t.html")])
    assert r.exit_code == 0, r.output
    assert "sweep-slider" not in figures(scan(tmp_path / "t.html"))


def test_report_command_errors(tmp_path):
    r = runner.invoke(app, ["report", "-b", "small_basin", "--out", str(tmp_path / "r.html"),
                            "--sweep", str(tmp_path / "missing")])
    assert r.exit_code == 1
    assert "no sweep table" in r.output
    assert not (tmp_path / "r.html").exists()
    r = runner.invoke(app, ["report", "-b", "nope", "--out", str(tmp_path / "r.html")])
    assert r.exit_code == 1


def test_outputs_doc_pictures_exist():
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs"
    text = (docs / "outputs.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\((img/[^)]+\.png)\)", text)
    assert {"img/network.png", "img/lake_level.png", "img/shortfall_heatmap.png", "img/report_summary.png",
            "img/report_sweep_slider.png", "img/workbook_plan.png"} <= set(pictures)
    for rel in pictures:
        p = docs / rel
        assert p.exists(), rel
        assert 2_000 < p.stat().st_size < 300_000, rel


def test_lake_headings_say_lake_once(report):
    from balkhash.outputs.common import lake_title

    path, _sol, b, _sweep = report
    text = path.read_text()
    lake = b.nodes_of("lake")[0]
    assert f">{lake_title(b, lake.id)}<" in text
    assert "Lake Lake" not in text
    named = b.model_copy(deep=True)
    for name, title in (("Lake Balkhash", "Lake Balkhash"), ("Terminal lake", "Terminal lake"), ("Aral", "Lake Aral")):
        named.node(lake.id).name = name
        assert lake_title(named, lake.id) == title


def test_crowded_labels_are_placed_apart():
    """30 nodes in a 240 x 120 px patch (the Kapshagay area at the report's width): every label is
    placed inside the panel and no two labels overlap; the crowded ones are moved out (with a
    leader line)."""
    from balkhash.outputs.report_figures import label_size, place_labels

    rng = np.random.default_rng(7)
    points = {f"NODE_{k:02d}": (500 + 240 * rng.random(), 300 + 120 * rng.random()) for k in range(30)}
    texts = {n: n for n in points}
    radii = dict.fromkeys(points, 6.0)
    frame = (0.0, 0.0, 1200.0, 600.0)
    placed = place_labels(points, texts, radii, [], frame)
    boxes = [box for _, _, _, box in placed.values()]
    assert len(boxes) == 30
    assert all(frame[0] <= b[0] and b[2] <= frame[2] and frame[1] <= b[1] and b[3] <= frame[3] for b in boxes)
    overlaps = [(i, j) for i, a in enumerate(boxes) for j, b in enumerate(boxes[i + 1:], i + 1)
                if min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])]
    assert overlaps == []
    assert any(ring > 0 for _, _, ring, _ in placed.values())
    w, h = label_size("NODE_00")
    for n, (dx, dy, _, box) in placed.items():  # each box is its node's label: centred at the node + offset
        x, y = points[n]
        assert (box[0] + box[2]) / 2 == pytest.approx(x + dx)
        assert (box[1] + box[3]) / 2 == pytest.approx(y + dy)
        assert (box[2] - box[0], box[3] - box[1]) == pytest.approx((w, h))


def test_the_plan_table_scrolls_inside_its_own_box(report):
    """The plan sits in a container that scrolls sideways (never the page), with no fixed width."""
    from balkhash.outputs.report import CSS

    path, *_ = report
    text = path.read_text()
    assert "<div class='scroll wide'><table class='plan'>" in text
    assert ".scroll.wide{max-width:100%;overflow-x:auto}" in CSS
    plan_rules = [r for r in CSS.replace("\n", "").split("}") if "table.plan" in r]
    assert not any("width:" in r.split("{")[1].replace("min-width", "").replace("max-width", "") for r in plan_rules)
