"""Numbers per model period and the pieces of piecewise semantics: link segments, storage
segments, exact end storage, a demand's own shortfall curve (docs/data-format.md)."""

from __future__ import annotations

import weakref
from itertools import pairwise
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from .quantities import FlowSeries, Strict, Volume


class PeriodValues(Strict):
    """Plain numbers per model period (costs, factors): exactly one of ``value``, ``monthly`` (12,
    Jan..Dec, repeated every year), ``series`` (one per period) or ``file`` + ``column`` (a CSV with a
    ``period`` column).  A bare number is a constant."""

    value: float | None = Field(None, description="the same number in every period")
    monthly: list[float] | None = Field(None, description="12 numbers, January..December, repeated every year")
    series: list[float] | None = Field(None, description="one number per model period, in calendar order")
    file: str | None = Field(None, description="CSV file (relative to basin.yaml) with a `period` column")
    column: str | None = Field(None, description="column of `file`")

    @model_validator(mode="before")
    @classmethod
    def _number(cls, data):
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"value": data}
        return data

    @model_validator(mode="after")
    def _one_form(self):
        given = [k for k in ("value", "monthly", "series", "file") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of value, monthly, series, file (got {given or 'none'})")
        if self.monthly is not None and len(self.monthly) != 12:
            raise ValueError(f"'monthly' needs 12 values (Jan..Dec), got {len(self.monthly)}")
        if self.series is not None and not self.series:
            raise ValueError("'series' needs one value per model period, got none")
        if self.file is not None and not self.column:
            raise ValueError("'file' needs 'column'")
        return self

class VolumeSeries(PeriodValues):
    """Volumes per model period (the end of each period), in ``unit``."""

    unit: Literal["Mm3", "km3"] = Field("Mm3", description="Mm3 or km3")

class StorageSegment(Strict):
    """One segment of the storage at the end of every period: the storage is the sum of its
    segments, each between its own bounds, each with its own cost per Mm3 and period (negative: a
    value of the water kept; CALVIN's k-indexed storage links)."""

    capacity: VolumeSeries | None = Field(None, description="largest volume of the segment, per period "
                                          "(none: unlimited)")
    min: VolumeSeries | None = Field(None, description="smallest volume of the segment, per period (default 0)")
    cost: float | PeriodValues = Field(0.0, description="cost per Mm3 held in the segment at the end of a period "
                                       "(negative: a value), a number or per period")

class EndStorage(Strict):
    """An exact end-of-horizon storage: the storage at the end of the last period equals ``equal``
    (a hard condition, like a storage bound)."""

    equal: Volume = Field(description="the storage at the end of the last period (Mm3 or km3)")

class ShortfallCurve(Strict):
    """A demand's own piecewise-linear shortfall cost: the shortfall in blocks (upper bounds as
    fractions of the target, the last 1.0), block k costing the demand's shortfall cost times
    ``multipliers[k]`` per Mm3 (non-decreasing: a convex cost)."""

    blocks: list[float] = Field(description="upper bounds of the blocks, fractions of the target, ascending, "
                                "the last 1.0")
    multipliers: list[float] = Field(description="cost multiplier of each block, > 0, non-decreasing")

    def model_post_init(self, _context) -> None:
        b, m = self.blocks, self.multipliers
        if not b or any(not (0.0 < x <= 1.0) for x in b) or any(y <= x for x, y in pairwise(b)) or b[-1] != 1.0:
            raise ValueError("blocks: fractions of the target in (0, 1], strictly ascending, the last 1.0")
        if len(m) != len(b):
            raise ValueError(f"needs one multiplier per block: {len(b)} block(s), {len(m)} multiplier(s)")
        if any(not (x > 0) for x in m) or any(y < x for x, y in pairwise(m)):
            raise ValueError("multipliers must be positive and non-decreasing (a convex shortfall cost)")

class LinkSegment(Strict):
    """One segment of a link's flow: the flow is the sum of its segments."""

    capacity: FlowSeries | None = Field(None, description="maximum flow of the segment (flow units); none = "
                                        "unlimited")
    min_flow: FlowSeries | None = Field(None, description="minimum flow of the segment (flow units)")
    cost: float | PeriodValues = Field(0.0, description="cost per Mm3 of the segment, a number or per period")


#: id(table) -> (a weak reference to it, the period labels, column -> position, values periods x columns)
_ALIGNED: dict[int, tuple] = {}


def aligned_column(basin, file: str | None, column: str | None, timeline) -> np.ndarray | None:
    """The values of a CSV column at the model's periods, read from one array built once per table
    and calendar: the fast path for basins of many series.  None when the general path of
    :func:`balkhash.network.series.file_values` is needed (a dekad calendar or dekad rows, missing
    periods, text in the table, an unknown column)."""
    table = basin._tables.get(file) if file is not None else None
    if table is None or timeline.is_dekad:
        return None
    labels = tuple(timeline.labels)
    entry = _ALIGNED.get(id(table))
    if entry is None or entry[0]() is not table or entry[1] != labels:
        index = table.index
        if any(str(lab).count("-") != 1 for lab in index):
            return None
        rows = index.get_indexer(labels) if index.is_unique else np.array([-1])
        if (rows < 0).any():
            return None
        try:
            values = table.iloc[rows].to_numpy(dtype=float)
        except (TypeError, ValueError):
            return None
        entry = (weakref.ref(table), labels, {c: i for i, c in enumerate(table.columns)}, values)
        _ALIGNED[id(table)] = entry
    pos = entry[2].get(column)
    return None if pos is None else entry[3][:, pos]


def flow_values(fs: FlowSeries, basin, timeline) -> np.ndarray:
    """:func:`balkhash.network.series.flow_mm3`, with a CSV column read through :func:`aligned_column`."""
    from .series import flow_mm3

    if fs.file is not None:
        raw = aligned_column(basin, fs.file, fs.column, timeline)
        if raw is not None:
            fs = fs.model_copy(update={"file": None, "column": None, "series": raw.tolist()})
    return flow_mm3(fs, basin, timeline)


def period_values(pv: float | PeriodValues | None, basin, timeline, default: float = 0.0) -> np.ndarray:
    """The numbers of ``pv`` over the model periods (``default`` everywhere when None); a
    :class:`VolumeSeries` in Mm3."""
    from .series import file_values

    n = timeline.n
    if pv is None:
        return np.full(n, float(default))
    if isinstance(pv, (int, float)):
        return np.full(n, float(pv))
    if pv.value is not None:
        raw = np.full(n, float(pv.value))
    elif pv.monthly is not None:
        raw = np.asarray(pv.monthly, dtype=float)[timeline.month_index]
    elif pv.series is not None:
        if len(pv.series) != n:
            raise ValueError(f"'series' has {len(pv.series)} value(s), the model has {n} period(s) "
                             f"({timeline.labels[0]}..{timeline.labels[-1]}): give one value per period")
        raw = np.asarray(pv.series, dtype=float)
    else:
        fast = aligned_column(basin, pv.file, pv.column, timeline)
        raw = np.asarray(file_values(pv, basin, timeline) if fast is None else fast, dtype=float)
    if isinstance(pv, VolumeSeries) and pv.unit == "km3":
        raw = raw * 1000.0
    return raw


def iter_period_values(basin):
    """Yield (label, field, PeriodValues) for every per-period number of the basin outside the flow
    series: link and segment costs, carry factors, storage segments."""
    for lk in basin.links:
        if isinstance(lk.cost, PeriodValues):
            yield f"link '{lk.id}'", "cost", lk.cost
        for k, seg in enumerate(lk.segments or []):
            if isinstance(seg.cost, PeriodValues):
                yield f"link '{lk.id}'", f"segments[{k}].cost", seg.cost
    for n in basin.nodes:
        cf = getattr(n, "carry_factor", None)
        if isinstance(cf, PeriodValues):
            yield f"node '{n.id}'", "carry_factor", cf
        for k, seg in enumerate(getattr(n, "storage_segments", None) or []):
            for field in ("capacity", "min", "cost"):
                v = getattr(seg, field)
                if isinstance(v, PeriodValues):
                    yield f"node '{n.id}'", f"storage_segments[{k}].{field}", v
