"""``balkhash report``: one self-contained HTML file with the run summary, the seasonal allocation
plan and interactive charts (plotly.js embedded inline: the file opens on an offline laptop).

With a sweep (the tables ``balkhash sweep`` writes), the report adds the negotiators' view: a
slider over the swept transboundary inflow showing the lake level trajectory and the sector
shortfalls at that assumption, and the curves of shortfall and lake level against the inflow.

Every chart (built by :mod:`.report_figures`) is stored as a JSON block
``<script type="application/json" data-plotly-figure>`` and drawn by a few lines of script; the
run's data (summary, plan, sweep) are in the JSON block
``<script type="application/json" id="balkhash-data">`` for anyone who wants the numbers.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_write
from .common import lake_title, violation_text
from .plan import allocation_plan, plan_matrix
from .report_figures import (
    _clean,
    fig_deliveries,
    fig_eco,
    fig_heatmap,
    fig_lake,
    fig_network,
    fig_reservoirs,
    fig_sweep_curves,
    fig_sweep_slider,
)


# -- JSON -----------------------------------------------------------------------------------------
def _json(obj) -> str:
    """JSON text safe inside a <script> element."""
    text = json.dumps(_clean(obj), allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


# -- HTML -----------------------------------------------------------------------------------------
def _fmt(v, nd=1) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if isinstance(v, (int, float, np.floating, np.integer)):
        return f"{v:,.{nd}f}"
    return html.escape(str(v))


def _table(headers: list[str], rows: list[list], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    thead = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    body = []
    for r in rows:
        css = ""
        if r and isinstance(r[0], tuple):  # (css class, first cell)
            css, r = r[0][0], [r[0][1], *r[1:]]
        body.append(f"<tr class='{css}'>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>")
    return f"<table class='{cls}'>{thead}<tbody>{''.join(body)}</tbody></table>"


def _summary_html(solution, basin, run_info: dict) -> str:
    s = solution.summary
    p = s["periods"]
    status_cls = "ok" if s["status"] == "optimal" else "warn"
    info = [
        ("Basin", html.escape(basin.name)),
        ("Scenario", html.escape(str(run_info.get("scenario") or s.get("scenario") or "base"))),
        ("Horizon", f"{p['first']} .. {p['last']} ({p['count']} {p.get('step', 'month')}s)"),
        ("Solver status", f"<span class='{status_cls}'>{html.escape(s['status'])}</span>"),
        ("Objective (cost)", _fmt(s.get("objective"), 1)),
        ("Run date", html.escape(str(run_info.get("run_date")))),
        ("Basin path", f"<code>{html.escape(str(run_info.get('basin_path') or basin.base_dir or ''))}</code>"),
    ]
    out = ["<dl class='info'>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in info) + "</dl>"]
    rows: list[list] = []
    tot = [0.0, 0.0, 0.0]
    for sec, t in s["target_mm3_by_sector"].items():
        d, sh = s["delivered_mm3_by_sector"][sec], s["shortfall_mm3_by_sector"][sec]
        tot = [tot[0] + t, tot[1] + d, tot[2] + sh]
        rows.append([html.escape(sec), _fmt(t), _fmt(d), _fmt(sh), _fmt(100 * sh / t if t else None)])
    rows.append([("total", "<b>total</b>"), _fmt(tot[0]), _fmt(tot[1]), _fmt(tot[2]),
                 _fmt(100 * tot[2] / tot[0] if tot[0] else None)])
    out.append("<h3>Water users by sector (Mm3 over the horizon)</h3>")
    out.append(_table(["sector", "target", "delivered", "shortfall", "shortfall %"], rows, "num"))
    if s.get("groups"):
        days = float(basin.timeline().days.sum())
        rows = [[html.escape(g), html.escape(", ".join(v["demands"])), _fmt(v["target_mm3"]), _fmt(v["delivered_mm3"]),
                 _fmt(v["delivered_mm3"] * 1e6 / (86_400.0 * days)), _fmt(v["shortfall_mm3"]),
                 _fmt(100 * v["shortfall_mm3"] / v["target_mm3"] if v["target_mm3"] else None)]
                for g, v in s["groups"].items()]
        out.append("<h3>Groups of users: districts, canals, intakes (Mm3 over the horizon, m3/s the mean flow)</h3>")
        out.append(_table(["group", "water users", "target", "limit", "limit m3/s", "shortfall", "shortfall %"],
                          rows, "num"))
    for lake in s.get("lakes", []):
        rows = []
        tgt = lake.get("inflow_target_km3")
        for wy, v in lake["annual_inflow_km3"].items():
            ok = "" if tgt is None else (" <span class='ok'>&ge; target</span>" if v >= tgt - 1e-6 else
                                         " <span class='bad'>&lt; target</span>")
            rows.append([f"inflow, water year {wy}", f"{v:.2f} km3" + (f" (target {tgt:g})" if tgt else "") + ok])
        if not lake["annual_inflow_km3"]:
            rows.append(["inflow over the horizon", f"{lake['horizon_inflow_km3']:.2f} km3"])
        rows.append(["level start / lowest / end",
                     f"{lake['level_start_m']:.2f} / {lake['level_min_m']:.2f} / {lake['level_end_m']:.2f} m BS"])
        if lake.get("level_target_m") is not None:
            held = lake["level_min_m"] >= lake["level_target_m"] - 1e-6
            rows.append(["level target", f"{lake['level_target_m']:.2f} m BS " +
                         ("<span class='ok'>held</span>" if held else "<span class='bad'>violated</span>")])
        rows.append(["evaporation / precipitation",
                     f"{lake['evaporation_km3']:.2f} / {lake['precipitation_km3']:.2f} km3"])
        out.append(f"<h3>Lake: {html.escape(basin.node(lake['node']).name or lake['node'])}</h3>")
        out.append(_table(["", ""], rows, "kv"))
    if s.get("reservoirs"):
        st = solution.tables["storage"]
        rows = []
        for r in s["reservoirs"]:
            bounds = f"{_fmt(r['bounds_mm3'][0], 0)} .. {_fmt(r['bounds_mm3'][1], 0)}"
            g = st[st["node"] == r["node"]]
            if len(g):  # a rule curve: the bounds on the storage at each period's end move over the year
                lo, hi = g["min_storage_mm3"].to_numpy(float), g["max_storage_mm3"].to_numpy(float)
                moving = [f"{name} {_fmt(np.nanmin(v), 0)}-{_fmt(np.nanmax(v), 0)}" for name, v in
                          (("lower", lo), ("upper", hi)) if np.nanmax(v) > np.nanmin(v) + 1e-6]
                if moving:
                    bounds += f" <small>(over the year: {', '.join(moving)})</small>"
            rows.append([html.escape(r["node"]), _fmt(r["storage_start_mm3"], 0), _fmt(r["storage_min_mm3"], 0),
                         _fmt(r["storage_end_mm3"], 0), bounds, _fmt(r["evaporation_mm3"])])
        out.append("<h3>Reservoirs (Mm3)</h3>")
        out.append(_table(["reservoir", "start", "lowest (month end)", "end", "storage bounds", "evaporation"], rows,
                          "num"))
    viol = s.get("violations", [])
    if viol:
        rows = [[html.escape(v["target"]), html.escape(v["node_or_link"]), html.escape(str(v["period_or_year"])),
                 f"{_fmt(v['required'], 3)} {html.escape(v['unit'])}", _fmt(v["achieved"], 3),
                 f"{_fmt(v['amount'], 3)} {html.escape(v['unit'])}"] for v in viol[:40]]
        out.append(f"<h3 class='bad'>Violated targets: {html.escape(violation_text(s))}</h3>")
        out.append(_table(["target", "where", "when", "required", "achieved", "violation"], rows, "num"))
        if len(viol) > 40:
            out.append(f"<p>... and {len(viol) - 40} more (see targets.csv).</p>")
    else:
        out.append("<p class='ok'>All targets met.</p>")
    return "\n".join(out)


def _plan_html(plan: pd.DataFrame, wy_start: int) -> str:
    matrix, cols = plan_matrix(plan, wy_start)
    if matrix.empty:
        return "<p>No water users.</p>"
    heads = ["Sector", "Source", "Water user", "Water year", "Measure", "Unit", *cols[:-2], "Apr-Sep",
             "Water-year total"]
    body = []
    nd = {"Mm3": 2, "m3/s": 2, "%": 1}
    prev = None
    for rec in matrix.to_dict("records"):
        key = (rec["level"], rec["sector"], rec["source"], rec["demand"], rec["name"], rec["water_year"])
        first = key != prev
        prev = key
        cls = rec["level"].replace(" ", "-")
        if first:
            if rec["level"] == "user":
                src = f"{html.escape(rec['source'])} <small>({html.escape(rec['source_type'])})</small>"
                who = f"<b>{html.escape(rec['demand'])}</b> {html.escape(str(rec['name'] or ''))}"
            else:
                src = html.escape(rec["source_type"] if rec["level"] == "source type total" else rec["source"])
                who = f"<b>{html.escape(rec['name'])}</b>"
            label = [html.escape(rec["sector"]), src, who, html.escape(rec["water_year"])]
        else:
            label = ["", "", "", ""]
        cells = [*label, html.escape(rec["measure"]), html.escape(rec["unit"])]
        cells += [_fmt(rec[c], nd[rec["unit"]]) for c in cols]
        body.append(f"<tr class='{cls}{' first' if first else ''}'>" + "".join(
            f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in heads)
    return (f"<div class='scroll wide'><table class='plan'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _groups_html(plan: pd.DataFrame, wy_start: int) -> str:
    """The limit of each group of users (district, canal, intake) and of the basin per period of each
    water year, Mm3 and m3/s (the group totals of the issued plan); empty without groups."""
    from .issued_plan import issued_table, issued_water_years

    if plan.empty or plan["group"].isna().all():
        return ""
    body: list[str] = []
    cols: list[str] = []
    for wy in issued_water_years(plan):
        table, cols = issued_table(plan, wy, wy_start)
        for rec in table[table["level"] != "user"].to_dict("records"):
            cells = [html.escape(rec["name"]), html.escape(wy), html.escape(rec["unit"])]
            cells += [_fmt(rec[c], 2) for c in cols]
            body.append(f"<tr class='{rec['level'].replace(' ', '-')}'>" + "".join(f"<td>{c}</td>" for c in cells)
                        + "</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["Group", "Water year", "Unit", *cols])
    return ("<h3>Limits per group (district, canal, intake)</h3>"
            f"<div class='scroll wide'><table class='plan'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


#: the sweep table's columns (sweep.csv) as the report heads them, with their units
SWEEP_HEADINGS = {
    "status": "Solver status", "total_shortfall_mm3": "Total shortfall (Mm3 over the horizon)",
    "lake_inflow_km3": "Lake inflow (km3, mean per water year)", "lake_level_end_m": "Lake level at the end (m BS)",
    "lake_level_min_m": "Lowest lake level (m BS)", "lake_inflow_dual": "Lake inflow dual (cost per Mm3)",
    "violated_targets": "Violated targets",
}


def sweep_heading(column: str) -> str:
    """The heading of a sweep.csv column: 'shortfall_agriculture_mm3' -> 'Shortfall, agriculture
    (Mm3 over the horizon)'."""
    if column in SWEEP_HEADINGS:
        return SWEEP_HEADINGS[column]
    if column.startswith("shortfall_") and column.endswith("_mm3"):
        return f"Shortfall, {column[len('shortfall_'):-len('_mm3')]} (Mm3 over the horizon)"
    return column.replace("_", " ")


def _sweep_table_html(sweep) -> str:
    df = sweep.table
    cols = ["value", "status", *[f"shortfall_{s}_mm3" for s in sweep.sectors], "total_shortfall_mm3",
            "lake_inflow_km3", "lake_level_end_m", "lake_level_min_m", "lake_inflow_dual", "violated_targets"]
    cols = [c for c in cols if c in df.columns]
    heads = [sweep.label if c == "value" else sweep_heading(c) for c in cols]
    rows = []
    for rec in df[cols].to_dict("records"):
        row = []
        for c in cols:
            v = rec[c]
            if c in ("status", "violated_targets"):
                text = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                # the ids separated so that the column wraps (on screen and on paper)
                row.append(html.escape("; ".join(t.strip() for t in text.split(";")) if text else ""))
            elif c == "value":
                row.append(f"{v:g}")
            else:
                row.append(_fmt(v, 2 if c.endswith(("_m", "_km3")) else 1))
        rows.append(row)
    return "<div class='scroll'>" + _table(heads, rows, "num sweep") + "</div>"


CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f4e79;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:24px}
header p{margin:0;opacity:.85}nav{background:#e8eef5;padding:8px 28px;position:sticky;top:0;z-index:10}
nav a{margin-right:16px;color:#1f4e79;text-decoration:none;font-weight:600}
main{padding:10px 28px 40px;max-width:1500px}section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;
padding:14px 20px;margin:18px 0}h2{color:#1f4e79;margin-top:4px}h3{margin:18px 0 6px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}th{background:#1f4e79;color:#fff;padding:5px 8px;
position:sticky;top:0}td{padding:3px 8px;border-bottom:1px solid #eee}table.num td:not(:first-child){text-align:right}
table.kv td:first-child{color:#555}.scroll{overflow:auto;max-height:640px;border:1px solid #ddd}
.scroll.wide{max-width:100%;overflow-x:auto}table.plan{font-size:12px}table.plan th{padding:4px 5px;
white-space:normal}table.plan td{padding:2px 5px;white-space:nowrap}
table.plan td:nth-child(n+7){text-align:right;font-variant-numeric:tabular-nums}
table.plan td:nth-child(2){white-space:normal;min-width:6em;max-width:9em}
table.plan td:nth-child(3){white-space:normal;min-width:9em;max-width:13em}
table.plan tr.first td{border-top:1px solid #bbb}
table.plan tr.sector-total td,table.plan tr.source-total td,table.plan tr.source-type-total td{background:#ddebf7}
table.plan tr.total td{background:#bdd7ee;font-weight:600}tr.total td{font-weight:600}
.ok{color:#2e7d32}.bad{color:#c62828}.warn{color:#ef6c00}dl.info{display:grid;grid-template-columns:max-content auto;
gap:4px 18px;margin:6px 0}dl.info dt{color:#555}dl.info dd{margin:0}.chart{min-height:260px}
.note{color:#555;font-size:13px}section,h3,.chart{scroll-margin-top:48px}
footer{color:#777;font-size:12px;padding:0 28px 30px}
table.sweep td:last-child{min-width:14em;text-align:left}table.sweep td:nth-child(2){text-align:left}.figure{margin:0}
@media print{
@page{size:A4 landscape;margin:10mm}
body{background:#fff;-webkit-print-color-adjust:exact;print-color-adjust:exact}
header{padding:0 0 6px;background:#fff;color:#1f4e79}header p{opacity:1;color:#222}nav{display:none}
main{padding:0;max-width:none}section{border:none;border-radius:0;padding:0;margin:0 0 12px}
.scroll,.scroll.wide{overflow:visible!important;max-height:none!important;max-width:none!important;border:none}
th{position:static}thead{display:table-header-group}tr,dl.info{break-inside:avoid}
h2,h3{break-after:avoid}.figure{break-inside:avoid;page-break-inside:avoid}.modebar{display:none!important}
table.plan{font-size:8px}table.plan th{padding:2px 2px}table.plan td{padding:1px 2px}
table.plan td:nth-child(-n+3){white-space:normal}table.sweep{font-size:10px}
table.sweep{width:100%}table.sweep td:last-child{white-space:normal;min-width:11em}
img{max-width:100%;break-inside:avoid}
}
"""

#: the charts' width on paper, CSS pixels: A4 landscape less 10 mm margins (277 mm at 96 px per inch)
PRINT_WIDTH = 1040

BOOT_JS = """
(function(){
  var cfg = {responsive: true, displaylogo: false};
  document.querySelectorAll('script[data-plotly-figure]').forEach(function(s){
    var fig = JSON.parse(s.textContent);
    Plotly.newPlot(s.getAttribute('data-target'), fig.data, fig.layout, cfg);
  });
  // on paper the charts take the page's width (A4 landscape), then the window's again
  var charts = function(){ return document.querySelectorAll('.chart .js-plotly-plot'); };
  var paper = false;
  var toPaper = function(){
    if (paper) return; paper = true;
    charts().forEach(function(d){ Plotly.relayout(d, {width: PRINT_WIDTH}); });
  };
  var toScreen = function(){
    if (!paper) return; paper = false;
    charts().forEach(function(d){ Plotly.relayout(d, {width: null, autosize: true}); Plotly.Plots.resize(d); });
  };
  window.addEventListener('beforeprint', toPaper);
  window.addEventListener('afterprint', toScreen);
  if (window.matchMedia) {
    var mq = window.matchMedia('print');
    var on = function(e){ if (e.matches) toPaper(); else toScreen(); };
    if (mq.addEventListener) mq.addEventListener('change', on); else if (mq.addListener) mq.addListener(on);
  }
  document.body.setAttribute('data-charts-ready', 'true');
})();
"""


def _figure_html(name: str, fig) -> str:
    if fig is None:
        return ""
    obj = fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else fig
    obj = {"data": obj.get("data", []), "layout": obj.get("layout", {})}
    return (f"<div id='chart-{name}' class='chart'></div>\n"
            f"<script type='application/json' data-plotly-figure data-target='chart-{name}' id='fig-{name}'>"
            f"{_json(obj)}</script>")


def build_report(solution, basin, run_info: dict | None = None, *, sweep=None,
                 progress: Callable[[str], None] | None = None, sections=()) -> str:
    """The report as HTML text (see :func:`write_report`).  ``sections``: further (id, title, html)
    sections appended with their links in the navigation, e.g. the hindcast
    (:func:`balkhash.outputs.hindcast_report.hindcast_section`)."""
    from plotly.offline import get_plotlyjs

    from .. import __version__

    run_info = dict(run_info or {})
    run_info.setdefault("run_date", datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))

    def step(name):
        if progress:
            progress(name)

    plan = allocation_plan(solution, basin)
    figs: list[tuple[str, str, object]] = []
    lakes = list(dict.fromkeys(solution.tables["storage"].query("kind == 'lake'")["node"]))
    for lake in lakes:
        figs.append((f"lake-{lake}", lake_title(basin, lake), fig_lake(solution, basin, lake)))
    step("lake")
    figs.append(("reservoirs", "Reservoirs", fig_reservoirs(solution, basin)))
    figs.append(("deliveries", "Deliveries by sector", fig_deliveries(solution, basin)))
    figs.append(("heatmap", "Shortfall heatmap", fig_heatmap(solution, basin)))
    figs.append(("network", "Network", fig_network(solution, basin)))
    figs.append(("eco", "Flow targets: ecological flows and release schedules", fig_eco(solution, basin)))
    step("charts")
    sweep_parts = []
    if sweep is not None:
        sweep_parts.append(("sweep-slider", fig_sweep_slider(sweep, basin)))
        sweep_parts.append(("sweep-curves", fig_sweep_curves(sweep, basin)))
        step("sweep")

    title = f"{basin.name}: water allocation report"
    scen = run_info.get("scenario") or solution.summary.get("scenario")
    sub = f"scenario {html.escape(str(scen))} \u00b7 " if scen and scen != "base" else ""
    p = solution.summary["periods"]
    sub += (f"{p['first']} .. {p['last']} \u00b7 {html.escape(solution.status)} \u00b7 "
            f"run {html.escape(run_info['run_date'])}")
    nav = ["<a href='#summary'>Summary</a>", "<a href='#plan'>Allocation plan</a>", "<a href='#charts'>Charts</a>"]
    if sweep is not None:
        nav.append("<a href='#sweep'>Inflow sweep</a>")
    nav += [f"<a href='#{html.escape(sid)}'>{html.escape(label)}</a>" for sid, label, _ in sections]
    parts = [f"<header><h1>{html.escape(title)}</h1><p>{sub}</p></header>", f"<nav>{''.join(nav)}</nav>", "<main>"]
    parts.append(f"<section id='summary'><h2>Summary</h2>{_summary_html(solution, basin, run_info)}</section>")
    parts.append("<section id='plan'><h2>Seasonal allocation plan</h2>"
                 "<p class='note'>Per water user and month of the water year, the vegetation season (April-September) "
                 "and the whole water year: the allocated limit (Mm3, and m3/s as the mean flow over the days of the "
                 "period), the requested target, the shortfall and its share of the target. Users are grouped by "
                 "sector and by source (the node their intake comes from: reservoir, river, lake or canal).</p>"
                 f"{_plan_html(plan, basin.calendar.water_year_start_month)}"
                 f"{_groups_html(plan, basin.calendar.water_year_start_month)}</section>")
    parts.append("<section id='charts'><h2>Charts</h2>")
    for name, heading, fig in figs:
        if fig is not None:  # heading and chart kept together on paper
            parts.append(f"<div class='figure'><h3>{html.escape(heading)}</h3>{_figure_html(name, fig)}</div>")
    parts.append("</section>")
    if sweep is not None:
        parts.append("<section id='sweep'><h2>Sweep over the " + html.escape(sweep.label.split(" (")[0].lower()) +
                     "</h2><p class='note'>Move the slider to choose an assumption: the left panel shows the lake "
                     "level, the right panel the shortfall of each sector at that value. Source: <code>" +
                     html.escape(str(sweep.source)) + "</code></p>")
        for name, fig in sweep_parts:
            parts.append(f"<div class='figure'>{_figure_html(name, fig)}</div>")
        parts.append("<h3>Sweep table</h3>" + _sweep_table_html(sweep) + "</section>")
    parts += [body for _, _, body in sections]
    parts.append("</main>")
    parts.append(f"<footer>balkhash {html.escape(__version__)} \u00b7 generated {html.escape(run_info['run_date'])}"
                 " \u00b7 self-contained: no network access needed</footer>")
    payload = {
        "basin": basin.name,
        "run_info": run_info,
        "summary": solution.summary,
        "plan": plan.to_dict("records"),
        "sweep": None if sweep is None else {
            "parameter": sweep.parameter, "label": sweep.label, "table": sweep.table.to_dict("records"),
            "levels": None if sweep.levels is None else sweep.levels.to_dict("records")},
    }
    step("html")
    return "\n".join([
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style>",
        f"<script type='text/javascript'>{get_plotlyjs()}</script>",
        "</head><body>",
        *parts,
        f"<script type='application/json' id='balkhash-data'>{_json(payload)}</script>",
        f"<script type='text/javascript'>{BOOT_JS.replace('PRINT_WIDTH', str(PRINT_WIDTH))}</script>",
        "</body></html>",
    ])


def write_report(solution, basin, path, run_info: dict | None = None, *, sweep=None,
                 progress: Callable[[str], None] | None = None, sections=()) -> Path:
    """Write the self-contained HTML report to ``path`` (atomically).  ``run_info``: basin_path,
    scenario, run_date...; ``sweep``: a :class:`~.sweep.Sweep` for the sweep views;
    ``progress(step)`` is called as the report is built."""
    text = build_report(solution, basin, run_info, sweep=sweep, progress=progress, sections=sections)
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
