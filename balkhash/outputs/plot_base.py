"""Shared pieces of the PNG plots: figure and file handling, date axes, lake level marks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..network.timeline import period_end, period_start
from .common import REFERENCE_COLOUR, TARGET_COLOUR, lake_marks

DPI = 110
BAND_COLOUR = "#2ca02c"


def _figure(w: float, h: float, nrows: int = 1, ncols: int = 1, **kw):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, facecolor="white")
    return path


def step_word(basin) -> str:
    """'month' or 'dekad': the period of the basin's calendar, for axis labels."""
    return "dekad" if basin.calendar.step == "dekad" else "month"


def _month_starts(periods) -> pd.DatetimeIndex:
    """The first day of each period (a month YYYY-MM or a dekad YYYY-MM-D)."""
    return pd.DatetimeIndex([pd.Timestamp(period_start(p)) for p in periods])


def _month_ends(periods) -> pd.DatetimeIndex:
    """The day after each period (the start of the next)."""
    return pd.DatetimeIndex([pd.Timestamp(period_end(p)) for p in periods])


#: the longest span (months) labelled month by month; longer ones get matplotlib's date ticks
MONTH_LABELS_UP_TO = 25


def _date_axis(ax, span=None) -> None:
    """A date x axis.  Up to :data:`MONTH_LABELS_UP_TO` months: a grid line at each month's start
    and the month's name in the middle of it (the year under the first month and each January), so
    a state at a month's end sits on the line closing that month and no month outside the horizon
    is named; ``span``: (first, last) date shown (default: the data, with a small margin)."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter, NullFormatter

    if span is not None:
        ax.set_xlim(*(mdates.date2num(pd.Timestamp(v)) for v in span))
    else:
        ax.set_xmargin(0.005)
        ax.autoscale_view(scaley=False)
    lo, hi = (mdates.num2date(v) for v in ax.get_xlim())
    months = (hi.year - lo.year) * 12 + hi.month - lo.month
    if months > MONTH_LABELS_UP_TO:
        loc = mdates.AutoDateLocator(minticks=4, maxticks=14)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
        ax.grid(True, alpha=0.3)
        return

    def label(x, _pos=None) -> str:
        d = mdates.num2date(x)
        first = x - 31 < ax.get_xlim()[0]
        return d.strftime("%b") + (d.strftime("\n%Y") if first or d.month == 1 else "")

    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(NullFormatter())
    ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonthday=15))
    ax.xaxis.set_minor_formatter(FuncFormatter(label))
    ax.tick_params(axis="x", which="minor", length=0)
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, axis="y", alpha=0.3)


def _level_marks(ax, basin, lake_id: str, horizontal: bool = True) -> None:
    """Draw a lake's level targets and reference levels as lines and its band as a shaded range."""
    marks, band = lake_marks(basin, lake_id)
    if band is not None:
        ax.axhspan(band[0], band[1], color=BAND_COLOUR, alpha=0.12, lw=0,
                   label=f"level band {band[0]:g}-{band[1]:g} m")
    for mk in marks:
        style = dict(color=TARGET_COLOUR, ls="--", lw=1.4) if mk.kind == "target" else \
            dict(color=REFERENCE_COLOUR, ls=":", lw=1.4)
        ax.axhline(mk.level, label=mk.label, **style)


def _ylim_with(ax, values) -> None:
    lo, hi = ax.get_ylim()
    vals = [v for v in values if v is not None and np.isfinite(v)]
    if vals:
        lo, hi = min(lo, min(vals)), max(hi, max(vals))
        pad = 0.05 * (hi - lo or 1.0)
        ax.set_ylim(lo - pad, hi + pad)


def run_jobs(jobs: list[tuple[str, Callable[[], Path | None]]],
             progress: Callable[[str], None] | None = None) -> list[Path]:
    """Run (file name, writer) jobs in order; returns the files written (a writer returns None when
    its plot has nothing to show).  ``progress(name)`` is called after each job."""
    written = []
    for name, job in jobs:
        p = job()
        if p is not None:
            written.append(p)
        if progress:
            progress(name)
    return written
