"""Inflow forecasts for rolling re-plans: climatology, persistence, perfect, or a forecast file.

A re-plan at period t0 over a window of n periods applies its first k periods; those k periods see
the **actual** inflows (they are observed as they are operated), the later n - k periods the
forecast:

* ``perfect`` — the actual inflows (perfect foresight over the window);
* ``climatology`` — for each node, the mean inflow of the calendar month, or of the dekad of the
  year at dekad step (Mm3 per period), from
  a reference: the run's own inflows over its horizon, or those of another basin (the command
  line uses the basin without the scenario: its mean year);
* ``persistence`` — the anomaly of the last observed period persists: climatology times the
  ratio of the last observed inflow to its climatology (1 where the climatology is 0);
* a **forecast file** (CSV, :func:`read_forecast_file`): ``issued,period,node,inflow_mm3`` — the
  inflow (Mm3 in that period) forecast for ``node`` in ``period`` by the re-plan of month
  ``issued`` (both ``YYYY-MM`` at month step, dekads ``YYYY-MM-D`` at dekad step).  A node or
  period the file does not give falls back to climatology.  :func:`check_against_run` checks the
  file against the run's timeline: labels of the other calendar step, or a file none of whose
  entries any re-plan of the run uses, are refused; entries no re-plan uses are reported.

Only the local inflows are forecast; demands, groundwater, capacities and targets are known.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import BalkhashError
from ..network.timeline import Timeline, parse_period, period_label

NAMES = ("climatology", "persistence", "perfect")


class ForecastError(BalkhashError, ValueError):
    """A forecast that cannot be used: unknown name, unreadable or invalid forecast file."""


def climatology(inflow: np.ndarray, month_index: np.ndarray, n: int = 12) -> np.ndarray:
    """nodes x n: the mean inflow of each period of the year (``n`` = 12 calendar months, Jan = 0,
    or 36 dekads with a timeline's ``season_index``) over the periods given (0 for one the periods
    do not hold)."""
    out = np.zeros((inflow.shape[0], n))
    for m in range(n):
        sel = month_index == m
        if sel.any():
            out[:, m] = inflow[:, sel].mean(axis=1)
    return out


@dataclass
class ForecastFile:
    """A validated forecast file: (issued label, period label) -> {node: Mm3}."""

    path: str
    entries: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    #: (issued, period) -> the first line of the file giving it
    lines: dict[tuple[str, str], int] = field(default_factory=dict)


def read_forecast_file(path, nodes: list[str] | None = None) -> ForecastFile:
    """Read and check a forecast CSV (module docstring); every problem is reported at once
    (ForecastError naming file, line and column)."""
    p = Path(path)
    where = str(path)
    if not p.is_file():
        raise ForecastError(f"{where}: no such forecast file (give climatology, persistence, perfect or a CSV file)")
    problems: list[str] = []
    out = ForecastFile(where)
    try:
        with open(p, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            need = ["issued", "period", "node", "inflow_mm3"]
            missing = [c for c in need if c not in (reader.fieldnames or [])]
            if missing:
                raise ForecastError(f"{where}: missing column(s) {', '.join(missing)}; the header must be "
                                    f"{','.join(need)}")
            for line, row in enumerate(reader, start=2):
                issued, period, node = (str(row.get(k) or "").strip() for k in ("issued", "period", "node"))
                bad = []
                when: list[tuple[int, int, int] | None] = []
                for col, text in (("issued", issued), ("period", period)):
                    try:
                        when.append(parse_period(text))
                    except ValueError as exc:
                        bad.append(f"{col}: {exc}")
                        when.append(None)
                i_at, p_at = when
                if i_at is not None and p_at is not None and p_at < i_at:
                    bad.append(f"period: {period} is before the issue month {issued}")
                if not node:
                    bad.append("node: empty")
                elif nodes is not None and node not in nodes:
                    bad.append(f"node: '{node}' has no local inflow in the basin")
                try:
                    value = float(str(row.get("inflow_mm3")).strip())
                    if not math.isfinite(value) or value < 0:
                        bad.append(f"inflow_mm3: {row.get('inflow_mm3')!r} is not a finite number >= 0")
                except ValueError:
                    bad.append(f"inflow_mm3: {row.get('inflow_mm3')!r} is not a number")
                    value = float("nan")
                if bad:
                    problems += [f"{where}, line {line}: {b}" for b in bad]
                    continue
                assert i_at is not None, "a row with a bad month was skipped"
                assert p_at is not None, "a row with a bad month was skipped"
                key = (period_label(*i_at), period_label(*p_at))
                cell = out.entries.setdefault(key, {})
                out.lines.setdefault(key, line)
                if node in cell:
                    problems.append(f"{where}, line {line}: {node} in {key[1]} issued {key[0]} is given twice")
                cell[node] = value
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ForecastError(f"{where}: cannot read the forecast file: {exc}") from None
    if problems:
        raise ForecastError("invalid forecast file:\n  " + "\n  ".join(problems[:50]) +
                            (f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""))
    return out


def _examples(items: list[str], n: int = 3) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def check_against_run(file: ForecastFile, timeline: Timeline, window: int, every: int) -> list[str]:
    """Check a forecast file against the run it forecasts for (re-plans every ``every`` periods
    over ``window``); ForecastError naming the file when its labels are of the other calendar step
    (``YYYY-MM`` at dekad step, ``YYYY-MM-D`` at month step) or when no re-plan of the run uses any
    of its entries.  Returns the notes for the entries no re-plan uses (issued outside the
    horizon or between re-plans, or for a period outside the forecast part of the re-plan's window:
    beyond the window or the horizon, or one of the applied periods, which see the actual inflows)."""
    where = file.path
    dekad = timeline.step == "dekad"
    first: dict[str, int] = {}  # each label of the other step, at the first line giving it
    for key, line in sorted(file.lines.items(), key=lambda kv: kv[1]):
        for lab in key:
            if (parse_period(lab)[2] == 0) == dekad:
                first.setdefault(lab, line)
    if first:
        shown = [f"'{lab}' (line {line})" for lab, line in first.items()]
        if dekad:
            raise ForecastError(f"{where}: the run's calendar step is dekad, so the issue and the periods of a "
                                f"forecast are dekads YYYY-MM-D (e.g. {timeline.labels[0]}); the file gives months "
                                f"{_examples(shown)}")
        raise ForecastError(f"{where}: the run's calendar step is month, so the issue and the periods of a "
                            f"forecast are months YYYY-MM (e.g. {timeline.labels[0]}); the file gives dekads "
                            f"{_examples(shown)}")
    labels = timeline.labels
    T = len(labels)
    pos = {lab: t for t, lab in enumerate(labels)}
    replans = set(range(0, T, every))
    unused_issue: list[str] = []
    unused_period: list[str] = []
    used = 0
    for (issued, period), cell in sorted(file.entries.items(), key=lambda kv: file.lines[kv[0]]):
        t0 = pos.get(issued)
        if t0 is None or t0 not in replans:
            unused_issue += [issued] * len(cell)
            continue
        t = pos.get(period)
        n, k = min(window, T - t0), min(every, T - t0)
        if t is None or not (t0 + k <= t < t0 + n):
            unused_period += [f"{period} issued {issued}"] * len(cell)
            continue
        used += len(cell)
    step = "dekad" if dekad else "month"
    plan_at = (f"re-plans every {every} {step}(s) from {labels[0]} to {labels[max(replans)]}, each forecasting "
               f"the {step}s after the {every} it applies, up to {window} {step}(s) from its issue")
    if not used:
        if not unused_period:
            issues = sorted(set(unused_issue), key=lambda lab: parse_period(lab))
            raise ForecastError(f"{where}: none of its issues ({_examples(issues)}) falls on a re-plan of the run "
                                f"({plan_at}): the forecast would never be used")
        raise ForecastError(f"{where}: no re-plan of the run uses any of its entries ({plan_at}): "
                            f"{_examples(sorted(set(unused_issue + unused_period)))}")
    notes = []
    if unused_issue:
        issues = sorted(set(unused_issue), key=lambda lab: parse_period(lab))
        notes.append(f"forecast file {where}: {len(unused_issue)} of its entries are ignored: issued in "
                     f"{_examples(issues)}, not a re-plan of the run ({plan_at})")
    if unused_period:
        notes.append(f"forecast file {where}: {len(unused_period)} of its entries are ignored: a period outside "
                     f"the forecast part of its re-plan's window ({_examples(sorted(set(unused_period)))}; the "
                     f"applied {step}s see the actual inflows, and a window ends {window} {step}(s) from its issue "
                     "or at the end of the horizon)")
    return notes


class Forecaster:
    """The inflows a re-plan sees (nodes x window), from the run's actual inflows."""

    def __init__(self, kind: str, actual: np.ndarray, timeline: Timeline, nodes: list[str],
                 reference: np.ndarray | None = None, file: ForecastFile | None = None) -> None:
        self.kind = kind
        self.actual = actual  # nodes x T, Mm3 per period
        self.timeline = timeline
        self.nodes = nodes
        self.clim = (reference if reference is not None
                     else climatology(actual, timeline.season_index, timeline.per_year))
        self.file = file
        self._pos = {n: i for i, n in enumerate(nodes)}

    @property
    def name(self) -> str:
        return self.file.path if self.file is not None else self.kind

    def __call__(self, t0: int, n: int, known: int) -> np.ndarray:
        """The inflows of periods t0 .. t0+n-1 as the re-plan at t0 sees them; the first
        ``known`` are actual."""
        act = self.actual[:, t0:t0 + n]
        if self.kind == "perfect" or known >= n:
            return act
        months = self.timeline.season_index[t0:t0 + n]
        out = self.clim[:, months].copy()
        if self.kind == "persistence" and known > 0:
            last = t0 + known - 1
            base = self.clim[:, self.timeline.season_index[last]]
            ratio = np.divide(self.actual[:, last], base, out=np.ones_like(base), where=base > 0)
            out *= ratio[:, None]
        if self.file is not None:
            labels = self.timeline.labels
            issued = labels[t0]
            for j in range(known, n):
                cell = self.file.entries.get((issued, labels[t0 + j]))
                if cell:
                    for node, v in cell.items():
                        out[self._pos[node], j] = v
        out[:, :known] = act[:, :known]
        return out
