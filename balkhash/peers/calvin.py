"""CALVIN links files into basin directories (``balkhash import calvin``; docs/peers.md).

A CALVIN model (UC Davis, ucd-cws/calvin) is a time-expanded network: one row per link
``i,j,k,cost,amplitude,lower_bound,upper_bound`` between nodes ``NODE.YYYY-MM-DD`` (the node in the
month ending that day), ``k`` numbering the piecewise segments of one link.  CALVIN's LP balances
every node but SOURCE and SINK with the flow X of a link counted as it arrives and X / amplitude
leaving its start node; bounds and costs apply to X.

The import folds the time expansion back into nodes x monthly periods:

* ``X.d -> Y.d`` (same month): a link X -> Y; its rows k its segments, each with per-period bounds
  and costs; the amplitude its ``gain``.  Balkhash counts a link's flow as it enters, so the flow is
  X / amplitude: bounds divided by the amplitude, costs multiplied by it (the objective is the same);
* ``X.d -> X.d'`` (the next month) and ``X.d -> FINAL`` (the last month): X is a storage node
  (reservoir); the rows k are its ``storage_segments`` in period d, the amplitude its ``carry_factor``
  (CALVIN's storage links carry what arrives next month: the segments hold the carried storage);
* ``INITIAL -> X.d0`` (lower = upper): the initial storage;
* ``INFLOW.d -> X.d`` (lower = upper, may be negative): X's local inflow in month d;
* ``X.d -> SINK.d``: a link X -> SINK (one sink node);
* ``SOURCE -> INITIAL``, ``SOURCE -> INFLOW.d``, ``SINK.d -> SINK``, ``FINAL -> SINK``: CALVIN's own
  closure of the network, checked (no cost, no lower bound, an upper bound that cannot bind) and
  left out;
* debug links (a node DBUGSRC or DBUGSNK) are left out, as CALVIN leaves them out of a run outside
  its debug mode.

Volumes are thousand acre-feet (TAF) in CALVIN's files; they become Mm3 (1 TAF = 1.2334818 Mm3)
and costs per TAF become costs per Mm3, so the objective is CALVIN's own number.  Anything else
(a link across months between different nodes, a storage without INITIAL or FINAL, an initial
storage or an inflow that is not fixed, an amplitude changing between a link's segments or months)
is listed and refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..network.errors import BasinError, Problem
from ..network.schema import ID_PATTERN

#: Mm3 per thousand acre-feet (1 acre-foot = 1 233.48183754752 m3)
MM3_PER_TAF = 1.23348183754752
#: the undated nodes of CALVIN's closure and debug links
SOURCE, SINK, INITIAL, FINAL, INFLOW = "SOURCE", "SINK", "INITIAL", "FINAL", "INFLOW"
DEBUG = ("DBUGSRC", "DBUGSNK")
#: a converted upper bound above this (Mm3 per period, validate.MAX_MM3) is left unlimited
UNLIMITED = 1e9
#: CALVIN's "no limit": an upper bound of at least this in the file (it writes 1e6, 1e7 or 1e9; its
#: largest real bound in the California network is 341,142 TAF) is left unlimited
NO_LIMIT = 1e6
#: at most this many refused rows are quoted
_QUOTE = 20
_SUFFIX = r"\.\d{4}-\d{2}-\d{2}"
_ID = re.compile(ID_PATTERN)
COLUMNS = ["i", "j", "k", "cost", "amplitude", "lower_bound", "upper_bound"]
#: the volume units of a links file (``--unit``)
UNITS = ("taf", "mm3")


@dataclass
class ImportReport:
    """What an import converted and what it left out."""

    outdir: str
    lines: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return "\n".join(self.lines)


def read_links(path: str | Path) -> pd.DataFrame:
    """A CALVIN links file (CSV, .gz read as gzip) with its seven columns checked."""
    p = Path(path)
    if not p.is_file():
        raise BasinError([Problem(str(p), "", "", "links file not found")])
    try:
        df = pd.read_csv(p, dtype={"i": str, "j": str})
    except Exception as exc:  # pandas raises many types for malformed CSV
        raise BasinError([Problem(str(p), "", "", f"cannot read CSV: {exc}")]) from None
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise BasinError([Problem(str(p), "", "columns", f"missing column(s) {', '.join(missing)}; a CALVIN links "
                                  f"file has {', '.join(COLUMNS)}")])
    for c in COLUMNS[2:]:
        v = pd.to_numeric(df[c], errors="coerce")
        bad = np.flatnonzero(v.isna().to_numpy() | ~np.isfinite(v.to_numpy(dtype=float, na_value=np.nan)))
        if bad.size:
            raise BasinError([Problem(str(p), f"line {bad[0] + 2}", c, f"'{df[c].iloc[bad[0]]}' is not a finite "
                                      f"number ({bad.size} such line(s))")])
        df[c] = v.astype(float)
    return df


def import_calvin(links: str | Path, outdir: str | Path, name: str | None = None,
                  unit: str = "taf") -> ImportReport:
    """Convert the CALVIN links file ``links`` into the basin directory ``outdir`` (basin.yaml, links.csv,
    link_series.csv, node_series.csv); ``unit``: the files' volume unit, ``taf`` (CALVIN's) or ``mm3``.
    Raises BasinError listing what cannot be converted."""
    from ..atomic import write_dir

    src = Path(links)
    df = read_links(src)
    basin, tables, report = convert(df, str(src), name or _stem(src), unit)
    report.outdir = str(outdir)

    def write(tmp: Path) -> None:
        import yaml

        for fname, table in tables.items():
            table.to_csv(tmp / fname, index=False)  # floats as repr: the shortest text that reads back exactly
        with open(tmp / "basin.yaml", "w", encoding="utf-8") as fh:
            yaml.dump(basin, fh, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False,
                      allow_unicode=True, width=120)

    write_dir(Path(outdir), write, last="basin.yaml")
    return report


def _stem(p: Path) -> str:
    n = p.name
    for suffix in (".gz", ".csv"):
        n = n.removesuffix(suffix)
    return n


def _refuse(file: str, df: pd.DataFrame, mask: np.ndarray, why: str, out: list[Problem]) -> None:
    rows = np.flatnonzero(mask)
    for r in rows[:_QUOTE]:
        x = df.iloc[r]
        out.append(Problem(file, f"line {df.index[r] + 2}", f"{x.i} -> {x.j} (k={int(x.k)})", why))
    if rows.size > _QUOTE:
        out.append(Problem(file, "", "", f"... and {rows.size - _QUOTE} more line(s): {why}"))


def convert(df: pd.DataFrame, file: str, name: str, unit: str = "taf") -> tuple[dict, dict[str, pd.DataFrame],
                                                                                 ImportReport]:
    """The basin (as basin.yaml's data) and its CSV tables from a links table; see the module."""
    if unit not in UNITS:
        raise BasinError([Problem("command line", "", "--unit", f"'{unit}' is not a volume unit of a CALVIN file "
                                  f"this import reads; use one of: {', '.join(UNITS)} (taf: thousand acre-feet, "
                                  "CALVIN's own; mm3: the numbers taken as Mm3)")])
    f = MM3_PER_TAF if unit == "taf" else 1.0
    problems: list[Problem] = []
    report = ImportReport("")
    n0 = len(df)
    debug = (df.i.isin(DEBUG) | df.j.isin(DEBUG)).to_numpy()
    df = df[~debug]  # the index keeps the line of each row in the file (line = index + 2)

    ni, di = _split(df.i)
    nj, dj = _split(df.j)
    dates = sorted(set(di[di != ""]) | set(dj[dj != ""]))
    if not dates:
        raise BasinError([Problem(file, "", "", "no dated node (NODE.YYYY-MM-DD): not a CALVIN links file")])
    stamps = pd.to_datetime(pd.Series(dates), format="%Y-%m-%d", errors="coerce")
    bad = [d for d, x in zip(dates, stamps, strict=True) if pd.isna(x) or x.day != x.days_in_month]
    if bad:
        for d in bad[:_QUOTE]:
            rows = (di == d) | (dj == d)
            r = int(np.flatnonzero(rows)[0])
            x = df.iloc[r]
            why = "not a calendar date" if pd.isna(stamps[dates.index(d)]) else "not the last day of its month"
            problems.append(Problem(file, f"line {df.index[r] + 2}", f"{x.i} -> {x.j}", f"the date {d} is {why}: "
                                    f"CALVIN's nodes are NODE.YYYY-MM-DD at month ends ({int(rows.sum())} row(s) with "
                                    "it)"))
        raise BasinError(problems)
    months = pd.PeriodIndex(list(stamps), freq="M")
    if len(set(months)) != len(dates) or not (np.diff(months.asi8) == 1).all():
        raise BasinError([Problem(file, "", "", f"the dates {dates[0]}..{dates[-1]} are not consecutive month ends, "
                                  "one per month")])
    T = len(dates)
    t_of = {d: t for t, d in enumerate(dates)}
    ti = np.array([t_of.get(d, -1) for d in di])
    tj = np.array([t_of.get(d, -1) for d in dj])
    k = df.k.to_numpy().astype(np.int64)
    lo = df.lower_bound.to_numpy() * f
    raw_up = df.upper_bound.to_numpy() * f  # the file's bounds, its "no limit" numbers too
    up = np.where(df.upper_bound.to_numpy() >= NO_LIMIT, np.inf, raw_up)
    cost = df.cost.to_numpy() / f
    amp = df.amplitude.to_numpy()
    undated_i, undated_j = ti < 0, tj < 0
    crossed = df.lower_bound.to_numpy() > df.upper_bound.to_numpy()
    for r in np.flatnonzero(crossed)[:_QUOTE]:
        x = df.iloc[r]
        problems.append(Problem(file, f"line {df.index[r] + 2}", f"{x.i} -> {x.j} (k={int(x.k)})",
                                f"lower_bound {x.lower_bound:g} is above upper_bound {x.upper_bound:g}"))
    if crossed.sum() > _QUOTE:
        problems.append(Problem(file, "", "", f"... and {crossed.sum() - _QUOTE} more line(s) with lower_bound above "
                                "upper_bound"))
    if (amp <= 0).any():
        _refuse(file, df, amp <= 0, "amplitude must be positive", problems)

    # CALVIN's closure: SOURCE -> INITIAL / INFLOW.d, SINK.d -> SINK, FINAL -> SINK
    closure = ((ni == SOURCE) & ((nj == INITIAL) | ((nj == INFLOW) & ~undated_j))) | \
              ((nj == SINK) & undated_j & (((ni == SINK) & ~undated_i) | (ni == FINAL)))
    plain = (cost == 0) & (lo == 0) & (amp == 1)
    _refuse(file, df, closure & ~plain, "a link closing CALVIN's network (SOURCE, SINK, INITIAL, FINAL) must have no "
            "cost, no lower bound and amplitude 1", problems)
    inflow = (ni == INFLOW) & ~undated_i & ~undated_j & (ti == tj) & (nj != SINK)
    initial = (ni == INITIAL) & ~undated_j
    final = (nj == FINAL) & ~undated_i
    to_sink = (nj == SINK) & ~undated_i & ~undated_j & (ti == tj) & (ni != INFLOW)
    within = ~undated_i & ~undated_j & (ti == tj) & ~inflow & ~to_sink & (ni != nj)
    carry = ~undated_i & ~undated_j & (ni == nj) & (tj == ti + 1)
    known = closure | inflow | initial | final | to_sink | within | carry
    _refuse(file, df, ~known, "not a CALVIN link balkhash converts (a link across months between different nodes, "
            "a node linked to itself, a link of SOURCE or SINK other than CALVIN's closure)", problems)
    _refuse(file, df, (inflow | initial) & ((lo != up) | (amp != 1) | (cost != 0)),
            "an INFLOW or INITIAL link must be fixed (lower bound = upper bound), with amplitude 1 and no cost",
            problems)
    _refuse(file, df, initial & (tj != 0), "the initial storage (INITIAL -> NODE.d) must enter the first month",
            problems)
    _refuse(file, df, final & (ti != T - 1), "the end storage (NODE.d -> FINAL) must leave the last month", problems)

    names = set(ni[known & ~undated_i]) | set(nj[known & ~undated_j])
    bad_names = sorted(n for n in names - {SINK, INFLOW} if not _ID.match(n))
    for n in bad_names[:_QUOTE]:
        problems.append(Problem(file, f"node '{n}'", "", "not a balkhash identifier (a letter, then letters, digits, "
                                "_ - .)"))
    pairs = pd.DataFrame({"a": ni[within | to_sink], "b": nj[within | to_sink]}).drop_duplicates()
    if pairs.assign(id=pairs.a + "__" + pairs.b).id.duplicated().any():
        problems.append(Problem(file, "", "", "two links would get one id NODE__NODE (node names holding '__'): "
                                "rename the nodes"))
    storage_names = sorted(set(ni[carry]) | set(nj[initial]) | set(ni[final]))
    has_initial, has_final = set(nj[initial]), set(ni[final])
    for s in storage_names:
        if s not in has_initial or s not in has_final:
            problems.append(Problem(file, f"node '{s}'", "", "a storage node (links from one month to the next) "
                                    f"needs {'an INITIAL' if s not in has_initial else 'a FINAL'} link"))
    # the closure's upper bounds must not bind
    src_need = np.zeros(T)
    np.add.at(src_need, ti[inflow], lo[inflow])
    if (src_need < -1e-9).any():
        t = int(np.flatnonzero(src_need < -1e-9)[0])
        problems.append(Problem(file, f"INFLOW.{dates[t]}", "", f"the fixed inflows of the month add up to "
                                f"{src_need[t] / f:g} < 0: CALVIN's SOURCE -> INFLOW cannot carry a negative flow"))
    for mask, need, what in ((closure & (ni == SOURCE) & (nj == INITIAL), lo[initial].sum(), "the initial storages"),
                             (closure & (ni == FINAL), up[final].sum(), "the end storages")):
        if mask.any() and (up[mask].min() < need - 1e-6 * max(1.0, need) if np.isfinite(need)
                           else np.isfinite(up[mask].min())):
            _refuse(file, df, mask, f"its upper bound is below {what} it must carry ({need / f:g}): balkhash "
                    "cannot leave it out", problems)
    if problems:
        raise BasinError(problems)

    amp_by = pd.DataFrame({"a": ni, "b": nj, "amp": amp})
    gain = amp_by[within].groupby(["a", "b"]).amp.agg(["min", "max"])
    varying = gain[gain["min"] != gain["max"]]
    for (a, b), _ in varying.head(_QUOTE).iterrows():
        problems.append(Problem(file, f"link {a} -> {b}", "amplitude", "changes between segments or months: "
                                "balkhash takes one gain per link"))
    carry_amp = pd.DataFrame({"s": ni, "t": ti, "amp": amp})[carry | final].groupby(["s", "t"]).amp.agg(["min", "max"])
    for (s, t), _ in carry_amp[carry_amp["min"] != carry_amp["max"]].head(_QUOTE).iterrows():
        problems.append(Problem(file, f"node '{s}'", f"{dates[t]}", "the amplitude of its storage links changes "
                                "between segments: balkhash takes one carry factor per month"))
    if problems:
        raise BasinError(problems)

    periods = [m.strftime("%Y-%m") for m in months]
    node_series, link_series = _Series(), _Series()
    nodes = _nodes(ni, nj, ti, lo, up, cost, amp, k, T, inflow, initial, final, carry, within, to_sink,
                   storage_names, node_series, raw_up)
    link_rows = _links(ni, nj, ti, lo, up, cost, amp, k, T, within | to_sink, link_series, raw_up)
    tables = {
        "links.csv": pd.DataFrame(link_rows),
        "link_series.csv": link_series.table(periods),
        "node_series.csv": node_series.table(periods),
    }
    basin = {
        "name": name,
        "description": f"imported from the CALVIN links file {Path(file).name} by balkhash import calvin; volumes in "
                       f"Mm3 ({'from thousand acre-feet, ' if unit == 'taf' else ''}costs per Mm3)",
        "calendar": {"start": periods[0], "periods": T, "water_year_start_month": int(months[0].month)},
        "options": {"fair_sharing": False, "storage_deviation_cost": 0.0, "cycle_cost": 0.0},
        "nodes": nodes,
        "links": {"file": "links.csv", "series": "link_series.csv"},
    }
    n_seg = sum(1 for r in link_rows if r.get("segment", "") != "")
    report.counts = {"rows": n0, "debug": int(debug.sum()), "closure": int(closure.sum()), "periods": T,
                     "nodes": len(nodes), "storages": len(storage_names), "links": len({r["id"] for r in link_rows}),
                     "segments": n_seg}
    c = report.counts
    report.lines = [
        f"{file}: {c['rows']} CALVIN link rows, {T} months {periods[0]}..{periods[-1]}",
        f"  -> {c['nodes']} nodes ({c['storages']} storages), {c['links']} links ({n_seg} segment rows)",
        f"  left out: {c['debug']} debug link rows (DBUGSRC/DBUGSNK), {c['closure']} rows of CALVIN's closure "
        "(SOURCE, SINK, INITIAL, FINAL)",
    ]
    return basin, tables, report


def _split(names: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(node name, date or '') of every CALVIN node (the pattern matched once per distinct name)."""
    codes, uniq = pd.factorize(names)
    u = pd.Series(uniq, dtype=object)
    tail = u.str[-11:]  # ".YYYY-MM-DD": the pattern checked once per distinct ending
    tcodes, tails = pd.factorize(tail)
    ok = pd.Series(tails, dtype=object).str.fullmatch(_SUFFIX).fillna(False).to_numpy(dtype=bool)
    dated = ok[tcodes] & (u.str.len().to_numpy() > 11)
    node = np.where(dated, u.str[:-11].to_numpy(dtype=object), u.to_numpy(dtype=object))
    date = np.where(dated, tail.str[1:].to_numpy(dtype=object), "")
    return node[codes], date[codes]


class _Series:
    """Per-period values of many segments at once: a constant becomes a number, the others columns
    of a series table."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.arrays: list[np.ndarray] = []

    def values(self, arr: np.ndarray, names: list[str], unlimited_above: float | None = None,
               stand_in: np.ndarray | None = None) -> list:
        """One entry per row of ``arr`` (segments x periods): a float, a column name, or None (unlimited
        in every period).  Unlimited in some periods only: the file's own bound there (``stand_in``,
        CALVIN's "no limit" number), at most ``unlimited_above``."""
        if unlimited_above is not None:
            over = arr > unlimited_above
            fill = unlimited_above if stand_in is None else np.minimum(stand_in, unlimited_above)
            arr = np.where(over, fill, arr)
        const = (arr == arr[:, :1]).all(axis=1)
        out: list = arr[:, 0].tolist()
        if unlimited_above is not None:
            for r in np.flatnonzero(over.all(axis=1)):
                out[r] = None
        for r in np.flatnonzero(~const):
            out[r] = names[r]
            self.names.append(names[r])
            self.arrays.append(arr[r])
        return out

    def table(self, periods: list[str]) -> pd.DataFrame:
        data = np.column_stack(self.arrays) if self.arrays else np.zeros((len(periods), 0))
        df = pd.DataFrame(data, columns=self.names)
        df.insert(0, "period", periods)
        return df


def _dense(seg: np.ndarray, t: np.ndarray, values: np.ndarray, S: int, T: int) -> np.ndarray:
    out = np.zeros((S, T))
    out[seg, t] = values
    return out


def _links(ni, nj, ti, lo, up, cost, amp, k, T, mask, series: _Series, raw_up: np.ndarray) -> list[dict]:
    """links.csv rows (one per link, or per segment of a link with several)."""
    idx = np.flatnonzero(mask)
    a, b = ni[idx], nj[idx]
    lid = pd.Series(a, dtype=object) + "__" + pd.Series(b, dtype=object)
    key = pd.MultiIndex.from_arrays([lid.to_numpy(), k[idx]])
    seg, segs = pd.factorize(key, sort=True)
    S = len(segs)
    seg_lid = np.asarray(segs.get_level_values(0), dtype=object)
    seg_k = np.asarray(segs.get_level_values(1), dtype=np.int64)
    first = np.full(S, -1, dtype=np.int64)
    first[seg[::-1]] = idx[::-1]  # a row of each segment (its link's gain, ends)
    g = amp[first]  # one gain per link (checked); CALVIN's X arrives, X / a enters
    t = ti[idx]
    lo_t = _dense(seg, t, lo[idx] / amp[idx], S, T)
    up_t = _dense(seg, t, up[idx] / amp[idx], S, T)
    c_t = _dense(seg, t, cost[idx] * amp[idx], S, T)
    tag = [f"{x}:{kk}" for x, kk in zip(seg_lid, seg_k, strict=True)]
    cap = series.values(up_t, [f"{x}:capacity" for x in tag], UNLIMITED,
                        _dense(seg, t, raw_up[idx] / amp[idx], S, T))
    low = series.values(lo_t, [f"{x}:min_flow" for x in tag])
    cst = series.values(c_t, [f"{x}:cost" for x in tag])
    n_seg = pd.Series(seg_lid).map(pd.Series(seg_lid).value_counts()).to_numpy()
    is_first = np.r_[True, seg_lid[1:] != seg_lid[:-1]]
    return [{"id": seg_lid[s], "from": ni[first[s]], "to": nj[first[s]],
             "segment": int(seg_k[s]) if n_seg[s] > 1 else "",
             "capacity": "" if cap[s] is None else cap[s], "min_flow": low[s], "cost": cst[s],
             "gain": float(g[s]) if is_first[s] and g[s] != 1.0 else ""} for s in range(S)]


def _nodes(ni, nj, ti, lo, up, cost, amp, k, T, inflow, initial, final, carry, within, to_sink,
           storage_names, series: _Series, raw_up: np.ndarray) -> list[dict]:
    """basin.yaml's nodes: junctions, reservoirs (storage nodes), SINK."""
    names = sorted((set(ni[within | to_sink | carry | final]) | set(nj[within | inflow | initial])) - {SINK})
    at = {n: p for p, n in enumerate(names)}
    # local inflows: nodes x periods
    pos = np.array([at[n] for n in nj[inflow]], dtype=np.int64)
    local = np.zeros((len(names), T))
    np.add.at(local, (pos, ti[inflow]), lo[inflow])
    has_inflow = np.zeros(len(names), bool)
    has_inflow[pos] = True
    inflow_col = series.values(local, [f"inflow:{n}" for n in names])
    s0 = dict(zip(nj[initial], lo[initial], strict=True))
    # storage segments: (node, k) x periods
    idx = np.flatnonzero(carry | final)
    seg, segs = pd.factorize(pd.MultiIndex.from_arrays([ni[idx], k[idx]]), sort=True)
    S = len(segs)
    seg_node = np.asarray(segs.get_level_values(0), dtype=object)
    seg_k = np.asarray(segs.get_level_values(1), dtype=np.int64)
    t = ti[idx]
    lo_t, up_t, c_t = (_dense(seg, t, v[idx], S, T) for v in (lo, up, cost))
    tag = [f"{n}:{kk}" for n, kk in zip(seg_node, seg_k, strict=True)]
    own = np.minimum(_dense(seg, t, raw_up[idx], S, T), UNLIMITED)  # the file's bounds, "no limit" numbers too
    cap = series.values(up_t, [f"{x}:capacity" for x in tag], UNLIMITED, own)
    low = series.values(lo_t, [f"{x}:min" for x in tag])
    cst = series.values(c_t, [f"{x}:cost" for x in tag])
    store = sorted(storage_names)
    carry_t = np.ones((len(store), T))
    sp = {n: p for p, n in enumerate(store)}
    carry_t[[sp[n] for n in ni[idx]], t] = amp[idx]  # one per node and month (checked)
    cf = series.values(carry_t, [f"{n}:carry_factor" for n in store])
    top = np.zeros((len(store), T))
    np.add.at(top, [sp[n] for n in seg_node], np.where(up_t > UNLIMITED, own, up_t))  # CALVIN's largest
    by_node: dict[str, list[int]] = {}
    for s in range(S):
        by_node.setdefault(seg_node[s], []).append(s)

    def ref(v):
        return {"file": "node_series.csv", "column": v} if isinstance(v, str) else v

    nodes: list[dict] = []
    for p, n in enumerate(names):
        node: dict = {"id": n, "type": "reservoir" if n in sp else "junction"}
        if has_inflow[p]:
            v = inflow_col[p]
            node["inflow"] = ({"unit": "Mm3/month", "file": "node_series.csv", "column": v} if isinstance(v, str)
                              else f"{v!r} Mm3/month")
        if n in sp:
            q = sp[n]
            init = float(s0[n])
            capacity = float(np.max(top[q] / carry_t[q]))
            node.update({
                "min_storage": "0 Mm3",
                "max_storage": f"{min(UNLIMITED, max(capacity, init)) if np.isfinite(capacity) else UNLIMITED!r} Mm3",
                "initial_storage": f"{init!r} Mm3", "end_storage": "free",
            })
            if cf[q] != 1.0:
                node["carry_factor"] = ref(cf[q])
            node["storage_segments"] = [
                {key: v for key, v in (("capacity", None if cap[s] is None else {"value": cap[s]} if
                                        isinstance(cap[s], float) else ref(cap[s])),
                                       ("min", {"value": low[s]} if isinstance(low[s], float) else ref(low[s])),
                                       ("cost", ref(cst[s]))) if v is not None}
                for s in by_node[n]]
        nodes.append(node)
    nodes.append({"id": SINK, "type": "sink"})
    return nodes
