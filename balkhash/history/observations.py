"""Dated observations of a basin and the model's value at each of them.

An observation file is a CSV with the columns ``quantity,site,when,value,unit,sigma,source``
(an optional ``note``):

==========  =============================================================================
column      meaning
==========  =============================================================================
quantity    ``level`` (m BS, a lake or a reservoir with a level-area-volume table),
            ``storage`` (``Mm3`` or ``km3``, a reservoir or a lake) or ``flow`` (``m3/s``:
            the mean rate; ``Mm3`` or ``km3``: the volume over the window)
site        the node (level, storage) or the link (flow); links joined by ``+`` are summed
when        ``YYYY-MM-DD`` a date, ``YYYY-MM`` a monthly mean, ``YYYY`` an annual
            (calendar-year) mean
value       the observed value, in ``unit``
sigma       its uncertainty (one standard deviation, same unit), > 0
source      where the number comes from (free text; documented in docs/basin.md)
==========  =============================================================================

The model's value at an observation (:func:`model_value`), from the monthly result tables of a
run over the months ``t = 0..T-1`` (``n_t`` days each):

* a **state** (level ``h`` or storage ``S``) is known at the end of every month, ``x_t``, and at
  the start of the run, ``x_{-1}``; between two month ends it is taken as linear in time.  So

  - at a date, day ``D`` of month ``t``: ``x = x_{t-1} + (x_t - x_{t-1}) D / n_t``;
  - the mean of month ``t``: ``(x_{t-1} + x_t) / 2``;
  - the mean of calendar year ``Y``: ``sum_t n_t (x_{t-1} + x_t) / 2 / sum_t n_t`` over its 12 months;

  a level is the level of the end-of-month storage through the node's table (the ``level_m``
  column of ``storage.csv``);
* a **flow** is the monthly volume ``q_t`` (Mm3) of the link(s): at a date or for a month, the
  month's mean rate ``q_t 10^6 / (86 400 n_t)`` m3/s (a daily reading compared with a monthly
  mean: its ``sigma`` should say so) or its volume; for a year, ``sum_t q_t 10^6 / (86 400
  sum_t n_t)`` m3/s, or ``sum_t q_t`` Mm3 (/1000 in km3).

Observations outside the run's months are not compared (reported as skipped).
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import BalkhashError

COLUMNS = ("quantity", "site", "when", "value", "unit", "sigma", "source")
#: quantity -> unit -> factor from the model's unit (m, Mm3, Mm3 per month) to the unit
UNITS: dict[str, dict[str, float | None]] = {
    "level": {"m": 1.0},
    "storage": {"Mm3": 1.0, "km3": 1e-3},
    "flow": {"m3/s": None, "Mm3": 1.0, "km3": 1e-3},
}


class ObservationError(BalkhashError, ValueError):
    """An observation file that cannot be used: the file, the line and the field are named."""


@dataclass(frozen=True)
class Observation:
    quantity: str
    site: str
    when: str
    kind: str  # "date" | "month" | "year"
    year: int
    month: int | None
    day: int | None
    value: float
    unit: str
    sigma: float
    source: str
    line: int  # line of the file (header = 1)

    @property
    def links(self) -> list[str]:
        return [s.strip() for s in self.site.split("+")]

    @property
    def label(self) -> str:
        return f"{self.quantity} {self.site} {self.when}"


def parse_when(text: str) -> tuple[str, int, int | None, int | None]:
    """(kind, year, month, day) of 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'; ValueError says what is wrong."""
    s = str(text).strip()
    parts = s.split("-")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"'{s}' is not a date YYYY-MM-DD, a month YYYY-MM or a year YYYY") from None
    if len(nums) not in (1, 2, 3) or len(parts[0]) != 4 or any(len(p) != 2 for p in parts[1:]):
        raise ValueError(f"'{s}' is not a date YYYY-MM-DD, a month YYYY-MM or a year YYYY")
    year = nums[0]
    if len(nums) == 1:
        return "year", year, None, None
    month = nums[1]
    if not 1 <= month <= 12:
        raise ValueError(f"'{s}': month must be 01..12")
    if len(nums) == 2:
        return "month", year, month, None
    day = nums[2]
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise ValueError(f"'{s}': {year}-{month:02d} has no day {day}")
    return "date", year, month, day


def read_observations(path) -> list[Observation]:
    """The observations of a CSV file (columns: see the module); ObservationError names the file,
    the line and the field of the first problem."""
    file = Path(path)
    if not file.is_file():
        raise ObservationError(f"{file}: observation file not found")
    try:
        df = pd.read_csv(file, dtype=str, keep_default_na=False, comment=None)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise ObservationError(f"{file}: cannot read as CSV: {str(exc).splitlines()[0]}") from None
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ObservationError(f"{file}: missing column(s) {', '.join(missing)} (needs {', '.join(COLUMNS)})")
    out = []
    for i, row in df.iterrows():
        line = int(str(i)) + 2

        def bad(field: str, msg: str, line=line) -> ObservationError:
            return ObservationError(f"{file}: line {line}: {field}: {msg}")

        q = row["quantity"].strip()
        if q not in UNITS:
            raise bad("quantity", f"'{q}' is not one of {', '.join(UNITS)}")
        unit = row["unit"].strip()
        if unit not in UNITS[q]:
            raise bad("unit", f"'{unit}' is not a unit of a {q} ({', '.join(UNITS[q])})")
        site = row["site"].strip()
        if not site:
            raise bad("site", "empty: a node (level, storage) or link(s) (flow)")
        try:
            kind, year, month, day = parse_when(row["when"])
        except ValueError as exc:
            raise bad("when", str(exc)) from None
        if q == "flow" and kind == "date" and unit != "m3/s":
            raise bad("unit", f"a flow on a date is a rate (m3/s), not a volume ({unit})")
        values = {}
        for field in ("value", "sigma"):
            try:
                values[field] = float(row[field])
            except ValueError:
                raise bad(field, f"'{row[field]}' is not a number") from None
            if not math.isfinite(values[field]):
                raise bad(field, f"'{row[field]}' is not a finite number")
        if values["sigma"] <= 0:
            raise bad("sigma", f"the uncertainty must be > 0 (got {row['sigma']})")
        if q != "level" and values["value"] < 0:
            raise bad("value", f"a {q} cannot be negative (got {row['value']})")
        out.append(Observation(q, site, row["when"].strip(), kind, year, month, day, values["value"], unit,
                               values["sigma"], row["source"].strip(), line))
    if not out:
        raise ObservationError(f"{file}: no observation (only a header)")
    return out


def check_sites(observations: list[Observation], basin, file: str) -> None:
    """Every site names a node (level, storage) or links (flow) of ``basin``; a level needs a table."""
    nodes = {n.id: n for n in basin.nodes}
    links = {lk.id for lk in basin.links}
    for ob in observations:
        where = f"{file}: line {ob.line}: site"
        if ob.quantity == "flow":
            unknown = [x for x in ob.links if x not in links]
            if unknown:
                raise ObservationError(f"{where}: unknown link(s) {', '.join(unknown)}")
            continue
        node = nodes.get(ob.site)
        if node is None or node.type not in ("reservoir", "lake"):
            what = "unknown node" if node is None else f"a {node.type} has no storage"
            raise ObservationError(f"{where}: '{ob.site}': {what} (a {ob.quantity} is of a reservoir or a lake)")
        if ob.quantity == "level" and getattr(node, "table", None) is None:
            raise ObservationError(f"{where}: '{ob.site}' has no level-area-volume table: no levels")


def _months(ob: Observation, labels: list[str]) -> list[int]:
    """Periods (indices) an observation covers; [] when outside the run."""
    pos = {lab: t for t, lab in enumerate(labels)}
    if ob.kind == "year":
        ts = [pos.get(f"{ob.year:04d}-{m:02d}") for m in range(1, 13)]
        return [] if any(t is None for t in ts) else [int(t) for t in ts if t is not None]
    t = pos.get(f"{ob.year:04d}-{ob.month:02d}")
    return [] if t is None else [t]


def model_value(ob: Observation, states: dict[str, np.ndarray], flows: dict[str, np.ndarray],
                days: np.ndarray, labels: list[str]) -> float | None:
    """The model's value of ``ob`` in ``ob.unit`` (the module's aggregation), None outside the run.

    ``states``: ``'level:NODE'`` / ``'storage:NODE'`` -> T+1 values (start, then the end of each
    month; m BS, Mm3); ``flows``: link -> T monthly volumes (Mm3)."""
    ts = _months(ob, labels)
    if not ts:
        return None
    n = days[ts]
    if ob.quantity in ("level", "storage"):
        x = states[f"{ob.quantity}:{ob.site}"]
        start, end = x[np.array(ts)], x[np.array(ts) + 1]
        if ob.kind == "date":
            assert ob.day is not None, "a date has a day"
            v = float(start[0] + (end[0] - start[0]) * ob.day / n[0])
        else:
            v = float(np.sum(n * (start + end) / 2.0) / n.sum())
        factor = UNITS[ob.quantity][ob.unit]
        return v * (factor if factor is not None else 1.0)
    q = sum(flows[lk][ts] for lk in ob.links)
    factor = UNITS["flow"][ob.unit]
    if factor is None:  # the mean rate, m3/s, with the real days
        return float(np.sum(q) * 1e6 / (86400.0 * n.sum()))
    return float(np.sum(q) * factor)
