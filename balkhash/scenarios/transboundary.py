"""The inflow from China under a scenario: an annual volume, a multiplier, historical years.

Transboundary volumes are per **water year**: V_w km3 is spread over the months of water year w by
the node's own monthly pattern in the basin (its shares over the first 12 periods), so the border
profile is kept.  Historical years from the 2010-2020 table are mapped onto the water years of the
horizon in order (the table is by calendar year; the mapping is an approximation, documented in
docs/studies.md).  With ``kazakh_part`` the other inflows are scaled by the year's Kazakh runoff
relative to the table mean.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import BalkhashError
from ..network.errors import BasinError, Problem
from ..network.schema import Basin
from ..network.timeline import Timeline
from .schema import Scenario

TABLE_FILE = "transboundary_years.csv"


def transboundary_table(basin: Basin, path: str | None = None) -> pd.DataFrame:
    """The historical runoff table (index: year; china_km3, kazakhstan_km3), numeric years only.
    A table that cannot be used (not a file, empty, not CSV, text where numbers belong, a year
    given twice) is a BasinError naming the file, the column and the line."""
    file = Path(path) if path else Path(basin.base_dir or ".") / TABLE_FILE
    if not file.exists():
        raise BasinError([Problem(str(file), "", "", "transboundary runoff table not found")])
    if not file.is_file():
        raise BasinError([Problem(str(file), "", "", "the transboundary runoff table is not a file")])
    try:
        df = pd.read_csv(file, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise BasinError([Problem(str(file), "", "", "the transboundary runoff table is empty: it needs columns "
                                  "year, china_km3 (and kazakhstan_km3)")]) from None
    except (UnicodeDecodeError, pd.errors.ParserError, OSError, ValueError) as exc:
        raise BasinError([Problem(str(file), "", "", f"cannot read the transboundary runoff table as CSV: "
                                  f"{str(exc).splitlines()[0]}")]) from None
    missing = {"year", "china_km3"} - set(df.columns)
    if missing:
        raise BasinError([Problem(str(file), "", ", ".join(sorted(missing)), "missing column(s)")])
    problems = []
    years = pd.to_numeric(df["year"], errors="coerce")
    df = df[years.notna() & (years == years.round())].copy()
    df["year"] = years[df.index].astype(int)
    for col in ("china_km3", "kazakhstan_km3"):
        if col not in df.columns:
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        for i in df.index:
            v = values[i]
            if not (np.isfinite(v) and v >= 0):
                problems.append(Problem(str(file), f"column '{col}'", f"line {i + 2} (year {df.at[i, 'year']})",
                                        f"{df.at[i, col]!r} is not a volume >= 0 (km3)"))
        df[col] = values
    dup = sorted(set(df["year"][df["year"].duplicated()]))
    if dup:
        problems.append(Problem(str(file), "column 'year'", "", f"year(s) given twice: {', '.join(map(str, dup))}"))
    if df.empty and not problems:
        problems.append(Problem(str(file), "column 'year'", "", "no row with a numeric year"))
    if problems:
        raise BasinError(problems)
    return df.set_index("year")


class TransboundaryError(BalkhashError, ValueError):
    """A study that drives the inflow from China in a basin that flags several inflows
    ``transboundary: true``: which one it drives must be named."""


def flagged_transboundary(basin: Basin) -> list[str]:
    """The inflows flagged ``transboundary: true``, in the basin's order."""
    return [n.id for n in basin.nodes if getattr(n, "transboundary", False)]


def sole_transboundary_node(basin: Basin, what: str) -> str | None:
    """The basin's one transboundary inflow (None when there is none); TransboundaryError naming
    ``what`` (the study) when several are flagged, rather than taking the first quietly."""
    flagged = flagged_transboundary(basin)
    if len(flagged) > 1:
        raise TransboundaryError(f"{what} drives the inflow from China, but the basin flags several inflows "
                                 f"transboundary: true ({', '.join(flagged)}): keep the flag on one of them")
    return flagged[0] if flagged else None


def transboundary_node(basin: Basin, sc: Scenario | None = None) -> str | None:
    """The inflow node the scenario's ``transboundary`` acts on: its ``node``, else the basin's first
    inflow with ``transboundary: true`` (None when there is none).  A scenario without ``node`` on a
    basin with several such inflows is refused before this (``references.scenario_problems``)."""
    tb = sc.transboundary if sc is not None else None
    if tb is not None and tb.node:
        return tb.node
    return next((n.id for n in basin.nodes if getattr(n, "transboundary", False)), None)


def monthly_shares(values: np.ndarray, month_index: np.ndarray, n: int = 12) -> np.ndarray:
    """``n`` shares of a per-period series by period of the year (12 months Jan..Dec, or 36 dekads
    with a timeline's ``season_index``), from its first occurrence of each."""
    shares = np.zeros(n)
    seen = set()
    for v, m in zip(values, month_index, strict=False):
        if m not in seen:
            shares[m] = v
            seen.add(m)
    if len(seen) < n:  # short horizon: months not seen get the mean of those seen
        fill = np.mean([shares[m] for m in seen]) if seen else 1.0
        for m in range(n):
            if m not in seen:
                shares[m] = fill
    total = shares.sum()
    return shares / total if total > 0 else np.full(n, 1 / n)


def annual_to_periods(annual_km3_by_wy: dict[int, float], shares: np.ndarray, timeline: Timeline) -> np.ndarray:
    """Mm3 per period from km3 per water year and the shares of the periods of the year
    (:func:`monthly_shares` over the timeline's ``season_index``)."""
    mi = timeline.season_index
    return np.array([annual_km3_by_wy[int(w)] * 1000.0 * shares[m]
                     for w, m in zip(timeline.water_years, mi, strict=True)])


def transboundary_mm3(basin: Basin, sc: Scenario, node: str, base: np.ndarray, inflow: dict[str, np.ndarray],
                      timeline: Timeline) -> dict[str, np.ndarray]:
    """New inflow arrays (Mm3 per period) implied by ``sc.transboundary``: {node: values, ...}.

    ``base`` is the basin's own series of ``node`` (its shares give the border profile); ``inflow``
    the current series of every inflow node (the Kazakh part scales those)."""
    tb = sc.transboundary
    assert tb is not None, "transboundary_mm3 needs a scenario with a transboundary change"
    tl = timeline
    if tb.multiplier is not None:
        return {node: base * tb.multiplier}
    shares = monthly_shares(base, tl.season_index, tl.per_year)
    years = sorted(set(int(w) for w in tl.water_years))
    if tb.annual_km3 is not None:
        return {node: annual_to_periods({w: tb.annual_km3 for w in years}, shares, tl)}
    table = transboundary_table(basin, tb.table)
    seq = [tb.year] if tb.year is not None else list(tb.sequence or ())  # the schema sets one of them
    cn_mean, kz_mean = float(table["china_km3"].mean()), None
    if "kazakhstan_km3" in table.columns:
        kz_mean = float(table["kazakhstan_km3"].mean())

    def pick(col, y, mean):
        return mean if y == "mean" else float(table.loc[int(y), col])

    by_wy = {w: seq[i % len(seq)] for i, w in enumerate(years)}
    out = {node: annual_to_periods({w: pick("china_km3", y, cn_mean) for w, y in by_wy.items()}, shares, tl)}
    if tb.kazakh_part and kz_mean:
        factor_wy = {w: pick("kazakhstan_km3", y, kz_mean) / kz_mean for w, y in by_wy.items()}
        factor = np.array([factor_wy[int(w)] for w in tl.water_years])
        kz_nodes = tb.kazakh_nodes or [n.id for n in basin.nodes if n.type == "inflow" and n.id != node]
        for n in kz_nodes:
            if n in inflow:
                out[n] = inflow[n] * factor
    return out
