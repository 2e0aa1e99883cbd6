"""The ensemble as an HTML report section (and a self-contained page holding it): the fan chart
(PNG, embedded), the reliability of the lake targets per water year and the shortfall quantiles."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd


def _table(df: pd.DataFrame, pct: bool = False) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for _, r in df.iterrows():
        cells = []
        for c in df.columns:
            v = r[c]
            if isinstance(v, float):
                txt = f"{100 * v:.1f} %" if pct else f"{v:,.2f}"
                cells.append(f'<td class="num">{txt}</td>')
            else:
                cells.append(f"<td>{html.escape(str(v))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def ensemble_section(result, reliability: pd.DataFrame, quantiles: pd.DataFrame, fan_png: Path | None,
                     info: dict | None = None) -> str:
    """The ``<section>`` of an ensemble: what was run, the fan chart, the two tables."""
    info = info or {}
    g = result.generator
    c_mean, k_mean = g.mean_km3
    years = len(result.water_years)
    what = (f"{result.members} members x {years} water year{'s' if years != 1 else ''} "
            f"({result.periods[0]}..{result.periods[-1]}), mode {result.mode}, seed {result.seed}; inflows from "
            f"a bivariate log-normal AR(1) fitted to the 2010-2020 record: China mean {c_mean:.2f} km3/yr "
            f"(CV {g.cv[0]:.2f}), Kazakh part {k_mean:.2f} km3/yr (CV {g.cv[1]:.2f}), correlation {g.r:.2f}, "
            f"lag-1 {g.phi[0]:.2f} / {g.phi[1]:.2f}")
    if g.china_trend_km3_per_year:
        what += f"; China trend {g.china_trend_km3_per_year:+g} km3/yr per year"
    if g.glacier != 1.0:
        what += f"; glacier multiplier path {g.glacier}"
    if info.get("scenario"):
        what += f"; scenario {info['scenario']}"
    if info.get("policy"):
        what += f"; allocation policy {info['policy']}"
    img = ""
    if fan_png is not None and Path(fan_png).is_file():
        b64 = base64.b64encode(Path(fan_png).read_bytes()).decode("ascii")
        img = f'<img alt="lake level fan chart" src="data:image/png;base64,{b64}" style="max-width:100%">'
    sq = quantiles.copy()
    p_short = sq.pop("p_short")
    sq["P(short)"] = [f"{100 * v:.1f} %" for v in p_short]
    sq = sq.rename(columns=quantile_heading)
    rel = reliability.rename(columns={"water_year": "Water year"})
    return (f'<section id="ensemble"><h2>Ensemble: reliability of the lake targets</h2>'
            f"<p>{html.escape(what)}.</p>{img}"
            f"<h3>Reliability per water year (lake {html.escape(result.lakes[0])}, share of members)</h3>"
            f"{_table(rel, pct=True)}<p class='note'>{RELIABILITY_ROWS}</p>"
            f"<h3>Shortfall per sector and water year, Mm3 (over every member-year)</h3>{_table(sq)}"
            f"<p class='note'>{QUANTILE_NOTE}</p></section>")


#: what the reliability table's last two rows mean
RELIABILITY_ROWS = ("P(level &ge; h): the share of members whose lake level stays at or above h at the end of every "
                    "month of the water year; P(inflow &ge; V): the share whose lake inflow over the water year "
                    "reaches V. <i>all years</i>: the share of all member-years; <i>every year</i>: the share of "
                    "members that meet it in every water year of the horizon.")
QUANTILE_NOTE = ("The shortfall of a sector over one water year, pooled over every member and water year: its mean, "
                 "quantiles (q50: the median; q90: exceeded in one member-year in ten), maximum, and P(short), the "
                 "share of member-years with any shortfall.")


def quantile_heading(column: str) -> str:
    """'mean_mm3' -> 'Mean (Mm3)', 'q90_mm3' -> 'q90 (Mm3)', 'sector' -> 'Sector'."""
    if column == "sector":
        return "Sector"
    if column.endswith("_mm3"):
        name = column[: -len("_mm3")]
        return f"{name.capitalize() if not name.startswith('q') else name} (Mm3)"
    return column


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}
table{{border-collapse:collapse;margin:0.5em 0 1.5em}}th,td{{border:1px solid #ccc;padding:2px 8px}}
td.num{{text-align:right;font-variant-numeric:tabular-nums}}th{{background:#f3f3f3}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def ensemble_page(section: str, title: str = "balkhash ensemble") -> str:
    return PAGE.format(title=html.escape(title), body=section)
