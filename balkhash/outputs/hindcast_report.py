"""The hindcast (and calibration) as a section of the HTML report, and as a page of its own.

:func:`hindcast_section` is one ``<section id='hindcast'>``: the figure (the PNG of
:mod:`.hindcast_plot`, embedded as data so the file opens offline), the error at every observation,
bias and RMSE per quantity and site and, after a calibration, the fitted multipliers.  The page
(:func:`write_hindcast_html`) uses the report's style; :func:`balkhash.outputs.report.build_report`
takes the same section through its ``sections`` argument.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import datetime
from pathlib import Path

from ..atomic import atomic_write
from .hindcast_plot import hindcast_figure


def _png_data(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, facecolor="white")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _cell(v, nd: int = 3) -> str:
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return html.escape(str(v))


def _rows(df, cols: list[str], nd: dict | None = None) -> str:
    nd = nd or {}
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r[c], nd.get(c, 3))}</td>" for c in cols) + "</tr>"
                   for _, r in df.iterrows())
    return f"<table class='num'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def hindcast_section(result, title: str, before=None, calibration=None, basin=None) -> str:
    """The ``<section id='hindcast'>`` HTML of a HindcastResult (``before``: the uncalibrated run;
    ``calibration``: a CalibrationResult)."""
    img = _png_data(hindcast_figure(result, title, before, basin))
    parts = [f"<section id='hindcast'><h2>{html.escape(title)}</h2>",
             "<p class='note'>Model: end-of-month states and monthly mean flows of the simulation. Observations with "
             "their uncertainty (+- sigma); an annual mean is drawn across its year. Error = model - observed.</p>",
             f"<img alt='hindcast: model against observations' style='max-width:100%' "
             f"src='data:image/png;base64,{img}'>"]
    lv = result.level_stats()
    if lv["n"]:
        parts.append(f"<p>Lake level: bias {lv['bias_m']:+.3f} m, RMSE {lv['rmse_m']:.3f} m over {lv['n']} "
                     "observation(s).</p>")
    parts.append("<h3>Bias and RMSE</h3>" + _rows(result.stats, ["quantity", "site", "unit", "n", "bias", "rmse"]))
    parts.append("<h3>Error at each observation</h3>" +
                 _rows(result.table, ["quantity", "site", "when", "unit", "observed", "sigma", "model", "error", "z",
                                      "source"]))
    if result.skipped:
        parts.append(f"<p class='note'>{len(result.skipped)} observation(s) outside the run were not compared.</p>")
    if calibration is not None:
        t = calibration.table()
        heading = "Calibrated parameters" if getattr(calibration, "converged", True) else \
            "Parameters at the evaluation limit (not converged)"
        parts.append(f"<h3>{heading}</h3>" +
                     _rows(t, ["parameter", "kind", "key", "unit", "low", "high", "value", "std", "on_bound"]))
        for w in calibration.warnings():
            parts.append(f"<p class='warn'>{html.escape(w)}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def write_hindcast_html(result, path, title: str, before=None, calibration=None, basin=None) -> Path:
    """A self-contained HTML page holding :func:`hindcast_section` (written atomically)."""
    from .. import __version__
    from .report import CSS

    when = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    text = "\n".join([
        "<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>", f"<style>{CSS}</style>", "</head><body>",
        f"<header><h1>{html.escape(title)}</h1><p>generated {html.escape(when)}</p></header><main>",
        hindcast_section(result, title, before, calibration, basin), "</main>",
        f"<footer>balkhash {html.escape(__version__)} \u00b7 self-contained: no network access needed</footer>",
        "</body></html>"])
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
