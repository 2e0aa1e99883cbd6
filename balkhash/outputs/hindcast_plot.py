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


def hindcast_figure(result, title: str, before=None):
    """A matplotlib Figure of ``result`` (a HindcastResult), ``before`` drawn dashed."""
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
        name = site if len(site) <= 40 else site[:37] + "..."
        ax.set_title(f"{name}: {TITLES.get(q, q)}" + ("" if q == "level" else f" ({unit})"), fontsize=10,
                     loc="left")
        ax.set_ylabel(unit)
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


def write_hindcast_png(result, path, title: str, before=None) -> Path:
    """Write the figure as a PNG to ``path``."""
    return _save(hindcast_figure(result, title, before), Path(path))
