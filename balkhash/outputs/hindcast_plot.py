"""The hindcast figure: the model's monthly series against the dated observations.

One panel per observed quantity and site (the lake level first).  The model is the end-of-month
state (level, storage) or the month's mean flow; an observation is drawn at its date, at the middle
of its month, or as a bar over its calendar year, with its uncertainty (+-sigma) as an error bar.
With a second result (``before``: the basin before calibration) its series is drawn dashed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .plot_base import _date_axis, _figure, _month_ends, _save

MODEL_COLOUR = "#1f77b4"
BEFORE_COLOUR = "#7f7f7f"
OBS_COLOUR = "#d62728"
TITLES = {"level": "level (m BS)", "storage": "storage", "flow": "flow"}


def _when(when: str) -> tuple[pd.Timestamp, pd.Timedelta | None]:
    """(x position, half width) of an observation: a date, the middle of a month, a calendar year."""
    parts = when.split("-")
    if len(parts) == 3:
        return pd.Timestamp(when), None
    if len(parts) == 2:
        start = pd.Timestamp(f"{when}-01")
        end = start + pd.offsets.MonthBegin(1)
        return start + (end - start) / 2, None
    start, end = pd.Timestamp(f"{when}-01-01"), pd.Timestamp(f"{int(when) + 1}-01-01")
    return start + (end - start) / 2, (end - start) / 2


def _panels(result) -> list[tuple[str, str, str]]:
    keys = list(dict.fromkeys(zip(result.series["quantity"], result.series["site"], result.series["unit"],
                                  strict=True)))
    order = {"level": 0, "storage": 1, "flow": 2}
    return sorted(keys, key=lambda k: order.get(k[0], 3))


def site_label(site: str, basin=None) -> str:
    """What a site is, for a panel title: the node's name, the link's name, for links summed
    (``A+B``) the release from their common node or the inflow to it, the ids in brackets; without
    the basin the ids, spaced so that the title can wrap."""
    ids = [s.strip() for s in site.split("+")]
    spaced = " + ".join(ids)
    if basin is None:
        return spaced
    nodes = {n.id: n for n in basin.nodes}
    links = {lk.id: lk for lk in basin.links}
    if site in nodes:
        return f"{nodes[site].name or site} ({site})"
    if not all(i in links for i in ids):
        return spaced

    def name(nid: str) -> str:
        return (nodes[nid].name or nid) if nid in nodes else nid

    if len(ids) == 1:
        return f"{links[site].name or site} ({site})"
    froms, tos = {links[i].from_ for i in ids}, {links[i].to for i in ids}
    if len(froms) == 1:
        return f"release from {name(froms.pop())} ({spaced})"
    if len(tos) == 1:
        return f"inflow to {name(tos.pop())} ({spaced})"
    return spaced


def hindcast_figure(result, title: str, before=None, basin=None):
    """A matplotlib Figure of ``result`` (a HindcastResult), ``before`` drawn dashed; ``basin``
    (optional) names the sites in the panel titles."""
    import textwrap

    panels = _panels(result)
    fig, axes = _figure(10.0, 2.6 * len(panels) + 0.6, len(panels), 1, sharex=True)
    compared = result.table
    for ax, (q, site, unit) in zip(axes[:, 0], panels, strict=True):
        s = result.series[(result.series["quantity"] == q) & (result.series["site"] == site)
                          & (result.series["unit"] == unit)]
        x = _month_ends(s["period"])
        if before is not None:
            b = before.series[(before.series["quantity"] == q) & (before.series["site"] == site)
                              & (before.series["unit"] == unit)]
            ax.plot(_month_ends(b["period"]), b["value"], color=BEFORE_COLOUR, ls="--", lw=1.2,
                    label="model before calibration")
        ax.plot(x, s["value"], color=MODEL_COLOUR, lw=1.6, label="model" if before is None else "model, calibrated")
        obs = compared[(compared["quantity"] == q) & (compared["site"] == site) & (compared["unit"] == unit)]
        for i, (_, ob) in enumerate(obs.iterrows()):
            xpos, half = _when(str(ob["when"]))
            ax.errorbar([xpos], [ob["observed"]], yerr=[ob["sigma"]], xerr=None if half is None else [half],
                        fmt="o", color=OBS_COLOUR, ms=5, capsize=3, lw=1.2,
                        label="observed +- sigma" if i == 0 else None)
        text = f"{site_label(site, basin)}: {TITLES.get(q, q)}" + ("" if q == "level" else f" ({unit})")
        ax.set_title("\n".join(textwrap.wrap(text, 110, break_on_hyphens=False)), fontsize=10, loc="left")
        ax.set_ylabel("m BS" if q == "level" and unit == "m" else unit)
        _date_axis(ax)
        ax.legend(fontsize=8, loc="best")
        vals = np.concatenate([s["value"].to_numpy(float), (obs["observed"] + obs["sigma"]).to_numpy(float),
                               (obs["observed"] - obs["sigma"]).to_numpy(float)])
        if vals.size:
            lo, hi = float(np.nanmin(vals)), float(np.nanmax(vals))
            pad = 0.08 * (hi - lo or 1.0)
            ax.set_ylim(lo - pad, hi + pad)
    fig.suptitle(title, fontsize=11)
    return fig


def write_hindcast_png(result, path, title: str, before=None, basin=None) -> Path:
    """Write the figure as a PNG to ``path``."""
    return _save(hindcast_figure(result, title, before, basin), Path(path))
