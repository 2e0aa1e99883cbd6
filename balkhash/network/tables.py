"""Nodes as a CSV table next to ``basin.yaml`` (docs/data-format.md, "Nodes as a table"), and the
fast construction of many checked objects.

A table whose every cell has the form the schema wants is checked column by column and its nodes
built without validating each again; any other table is turned into the YAML form's list of
mappings, and the schema's own messages name the row's node (and the table's file and line).
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import BasinError, Problem

#: the columns of a nodes table
NODE_COLUMNS = ("id", "type", "name", "description", "x", "y", "source", "unit", "inflow", "target", "sector",
                "consumptive_fraction", "return_to", "shortfall_cost", "priority", "group", "area_kha",
                "transboundary", "country")
#: the node types a table holds (storages, with their tables and curves, stay in YAML)
TABLE_TYPES = ("inflow", "junction", "sink", "demand")
_COMMON = ("id", "type", "name", "description", "x", "y", "source")
#: the columns each type may fill (the others stay empty on its rows)
TYPE_COLUMNS = {
    "inflow": (*_COMMON, "unit", "inflow", "transboundary", "country"),
    "junction": (*_COMMON, "unit", "inflow"),
    "sink": _COMMON,
    "demand": (*_COMMON, "unit", "target", "sector", "consumptive_fraction", "return_to", "shortfall_cost",
               "priority", "group", "area_kha"),
}
_NUMBERS = ("x", "y", "consumptive_fraction", "shortfall_cost", "area_kha")
_TEXT = ("name", "description", "source", "return_to", "group", "country", "sector")

_DEFAULTS: dict[Any, tuple[dict, tuple]] = {}
#: blanks at the start or end of a cell, in a column's cells joined by newlines
_PADDED = re.compile(r"(?:^|\n)[ \t\r\f\v]|[ \t\r\f\v](?:\n|$)")


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """No garbage collection meanwhile: reading or checking a big basin makes millions of objects
    that all live on (a collection would walk them again and again), and no garbage cycles."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def construct(cls: Any, fields: dict[str, Any]) -> Any:
    """An instance of the pydantic model ``cls`` holding ``fields`` (already checked: nothing is
    validated), the other fields at their defaults; what ``cls.model_construct`` gives, in a
    fraction of its time."""
    spec = _DEFAULTS.get(cls)
    if spec is None:
        spec = _DEFAULTS[cls] = ({name: f.get_default(call_default_factory=False)
                                  for name, f in cls.model_fields.items() if f.default_factory is None},
                                 tuple(name for name, f in cls.model_fields.items() if f.default_factory is not None))
    defaults, factories = spec
    obj = object.__new__(cls)
    d = dict(defaults)
    for name in factories:
        if name not in fields:
            d[name] = cls.model_fields[name].default_factory()
    d.update(fields)
    object.__setattr__(obj, "__dict__", d)
    object.__setattr__(obj, "__pydantic_fields_set__", set(fields))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def numeric(cells: pd.Series) -> np.ndarray:
    """The cells of a text column as numbers: NaN where empty or not a number."""
    try:
        return np.array(cells.tolist(), dtype=float)  # every cell a number: at once
    except ValueError:
        return pd.to_numeric(cells.where(cells != ""), errors="coerce").to_numpy(dtype=float)


def _dict_builder(cls: Any, keys: tuple[str, ...], defaults: dict) -> Any:
    """A function of the values of ``keys`` returning the object's ``__dict__``: every field in
    ``cls``'s order, the others at their defaults (one dict display, the fastest way to make a
    dict; the defaults are immutable or given)."""
    pos = {k: i for i, k in enumerate(keys)}
    if set(keys) - set(defaults) or any(k not in pos and not isinstance(v, (type(None), bool, int, float, str))
                                        for k, v in defaults.items()):
        raise ValueError(f"cannot build {cls.__name__} from the fields {keys}")
    env = {f"d{j}": v for j, v in enumerate(defaults.values())}
    items = ", ".join(f"{name!r}: v{pos[name]}" if name in pos else f"{name!r}: d{j}"
                      for j, name in enumerate(defaults))
    code = f"def build({', '.join(f'v{i}' for i in range(len(keys)))}):\n    return {{{items}}}\n"
    exec(code, env)
    return env["build"]


def construct_rows(cls: Any, keys: tuple[str, ...], rows: Iterator[tuple]) -> list:
    """:func:`construct` of one object per row of values of the fields ``keys`` (the same fields
    given on every row).  The objects share one set of the fields given (pydantic's
    ``model_fields_set``, which balkhash never reads): 200 bytes less per object."""
    construct(cls, {})  # the defaults, once
    defaults, factories = _DEFAULTS[cls]
    if factories:
        return [construct(cls, dict(zip(keys, row, strict=True))) for row in rows]
    given = set(keys)
    build = _dict_builder(cls, keys, defaults)
    new, put = object.__new__, object.__setattr__
    out = []
    for row in rows:
        obj = new(cls)
        put(obj, "__dict__", build(*row))
        put(obj, "__pydantic_fields_set__", given)
        put(obj, "__pydantic_extra__", None)
        put(obj, "__pydantic_private__", None)
        out.append(obj)
    return out


def read_csv_table(spec: Any, key: str, columns: tuple[str, ...], required: tuple[str, ...], file: str,
                   base_dir: str | os.PathLike | None, extra_keys: tuple[str, ...] = ()) -> tuple[Path, pd.DataFrame]:
    """The table ``{file: X.csv, series: ...}`` of ``key``, every cell as text ('' when empty)."""
    extra = sorted(set(spec) - {"file", "series", *extra_keys})
    if extra or not isinstance(spec.get("file"), str):
        optional = ", ".join(["series: file.csv", *(f"{k}: ..." for k in extra_keys)])
        got = "an empty mapping" if not spec else f"the keys {', '.join(sorted(map(str, spec)))}"
        raise BasinError([Problem(file, key, ", ".join(extra) or "file",
                                  f"give a list of {key}, or a table {{file: {key}.csv}} (optional: {optional}); "
                                  f"got {got}")])
    if spec.get("series") is not None and not isinstance(spec["series"], str):
        raise BasinError([Problem(file, key, "series", "the name of a CSV file with a 'period' column")])
    base = Path(base_dir) if base_dir is not None else Path(".")
    csv = base / spec["file"]
    if not csv.is_file():
        raise BasinError([Problem(file, key, "file", f"{key} table '{spec['file']}' not found in {base}")])
    try:
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises many types for malformed CSV
        raise BasinError([Problem(str(csv), "", "", f"cannot read CSV: {exc}")]) from None
    df.columns = [str(c).strip() for c in df.columns]
    unknown = [c for c in df.columns if c not in columns]
    missing = [c for c in required if c not in df.columns]
    if unknown or missing:
        what = "; ".join([*([f"unknown column(s) {', '.join(unknown)}"] if unknown else []),
                          *([f"missing column(s) {', '.join(missing)}"] if missing else [])])
        raise BasinError([Problem(str(csv), "", "columns", f"{what}; the columns are {', '.join(columns)}")])
    for c in df.columns:
        cells = df[c].tolist()
        if _PADDED.search("\n".join(cells)):  # a cell starts or ends with blanks
            df[c] = [x.strip() for x in cells]
    return csv, df


def read_node_table(spec: dict, file: str, base_dir: str | os.PathLike | None) -> tuple[list, Path, int]:
    """The ``nodes: {file: nodes.csv, series: node_series.csv, list: [...]}`` form: one row per
    node of the types inflow, junction, sink and demand (``list``: nodes in the YAML form after
    them, e.g. reservoirs and lakes).  ``inflow`` and ``target`` are flows in ``unit`` (default
    Mm3/month): a number is a constant, a name a column of the ``series`` table.  Returns the nodes
    (built, or as the YAML form's mappings when a row needs the schema's messages) and the table's
    path and number of rows."""
    csv, df = read_csv_table(spec, "nodes", NODE_COLUMNS, ("id", "type"), file, base_dir, ("list",))
    more = spec.get("list") or []
    if not isinstance(more, list):
        raise BasinError([Problem(file, "nodes", "list", "a list of nodes in the YAML form")])
    series = spec.get("series")
    n = len(df)
    col = {c: (df[c] if c in df.columns else pd.Series([""] * n, index=df.index, dtype=object)) for c in NODE_COLUMNS}
    problems = _type_problems(csv, col, set(df.columns))
    if problems:
        raise BasinError(problems)
    nodes = _constructed_nodes(col, series, set(df.columns))
    if nodes is None:
        nodes = _node_dicts(csv, col, series)
    return [*nodes, *more], csv, n


def _type_problems(csv: Path, col: dict[str, pd.Series], present: set[str]) -> list[Problem]:
    """Rows of an unknown type, and cells filled in a column their type does not have."""
    out = []
    types = col["type"]
    bad = np.flatnonzero(~types.isin(TABLE_TYPES).to_numpy())
    for i in bad[:5]:
        t = types.iloc[i]
        why = ("give the storages (reservoir, lake) in YAML, in the table's list:" if t in ("reservoir", "lake")
               else f"the types of a nodes table are {', '.join(TABLE_TYPES)}")
        out.append(Problem(str(csv), f"node '{col['id'].iloc[i]}' (line {i + 2})", "type",
                           f"'{t}' is not a type of a nodes table: {why}"))
    if len(bad) > 5:
        out.append(Problem(str(csv), "column 'type'", "", f"... and {len(bad) - 5} more row(s)"))
    for c in NODE_COLUMNS:
        if c not in present:
            continue
        filled = (col[c] != "").to_numpy()
        if not filled.any():
            continue
        allowed = types.isin([t for t, cols in TYPE_COLUMNS.items() if c in cols]).to_numpy()
        wrong = np.flatnonzero(filled & ~allowed & types.isin(TABLE_TYPES).to_numpy())
        for i in wrong[:5]:
            out.append(Problem(str(csv), f"node '{col['id'].iloc[i]}' (line {i + 2})", c,
                               f"a {types.iloc[i]} node has no {c}: leave the cell empty"))
        if len(wrong) > 5:
            out.append(Problem(str(csv), f"column '{c}'", "", f"... and {len(wrong) - 5} more row(s)"))
    return out


def _flow_cell(text: str, unit: str, series: str | None) -> Any:
    """A flow cell in the YAML form: a number in ``unit``, or a column of the series table."""
    try:
        return {"unit": unit, "value": float(text)}
    except ValueError:
        if series is None:
            return text  # the schema says what is wrong with it
        return {"unit": unit, "file": series, "column": text}


def _node_dicts(csv: Path, col: dict[str, pd.Series], series: str | None) -> list[dict]:
    """The rows in the YAML form, for the schema to check one by one (names in a flow cell need
    the series table)."""
    rows = {c: col[c].tolist() for c in NODE_COLUMNS}
    out = []
    for i in range(len(rows["id"])):
        d: dict[str, Any] = {}
        t = rows["type"][i]
        unit = rows["unit"][i] or "Mm3/month"
        for c in TYPE_COLUMNS[t]:
            text = rows[c][i]
            if text == "" or c == "unit":
                continue
            if c in ("inflow", "target"):
                try:
                    float(text)
                except ValueError:
                    if series is None:
                        raise BasinError([Problem(str(csv), f"node '{rows['id'][i]}' (line {i + 2})", c,
                                                  f"'{text}' names a series column, but the nodes table has no "
                                                  "series: file")]) from None
                d[c] = _flow_cell(text, unit, series)
            elif c in _NUMBERS or c == "priority":
                try:
                    d[c] = float(text) if c != "priority" or not text.isdigit() else int(text)
                except ValueError:
                    d[c] = text
            elif c == "transboundary":
                d[c] = {"true": True, "false": False}.get(text.lower(), text)
            else:
                d[c] = text
        out.append(d)
    return out


def _constructed_nodes(col: dict[str, pd.Series], series: str | None, present: set[str]) -> list | None:
    """The nodes of a table whose every cell has the schema's form, checked column by column and
    built without validating each node again (a constant flow of one unit is one shared object);
    None when a row needs the schema's own messages."""
    from .quantities import FlowSeries
    from .schema import ID_PATTERN, SECTORS, DemandNode, InflowNode, JunctionNode, SinkNode
    from .units import ANNUAL_UNITS, FLOW_UNITS

    types = col["type"]
    if not all(map(re.compile(ID_PATTERN).fullmatch, col["id"].tolist())):
        return None
    inflow, demand = (types == "inflow").to_numpy(), (types == "demand").to_numpy()
    if ((col["inflow"] == "").to_numpy() & inflow).any() or ((col["target"] == "").to_numpy() & demand).any():
        return None
    if not col["sector"][demand].isin(SECTORS).all():
        return None
    unit = col["unit"].where(col["unit"] != "", "Mm3/month")
    if not unit.isin([u for u in FLOW_UNITS if u not in ANNUAL_UNITS]).all():
        return None
    num: dict[str, np.ndarray] = {}
    for c in (*_NUMBERS, "priority", "inflow", "target"):
        if c not in present:
            num[c] = np.full(len(types), np.nan)
            continue
        v = numeric(col[c])
        named = (col[c] != "").to_numpy() & np.isnan(v)
        if named.any() and (series is None or c not in ("inflow", "target")):
            return None
        if not np.isfinite(v[~np.isnan(v)]).all():
            return None
        num[c] = v
    cf, sc, ak, pr = num["consumptive_fraction"], num["shortfall_cost"], num["area_kha"], num["priority"]

    def given(v: np.ndarray) -> np.ndarray:
        return ~np.isnan(v)

    if (given(cf) & ~((cf >= 0) & (cf <= 1))).any() or (given(sc) & ~(sc >= 0)).any() or \
            (given(ak) & ~(ak >= 0)).any() or (given(pr) & ~((pr >= 1) & (pr <= 10) & (pr == np.round(pr)))).any():
        return None
    tb = col["transboundary"].str.lower()
    if not tb.isin(["", "true", "false"]).all():
        return None
    if not (col["group"].str.len() <= 100).all():
        return None
    classes = {"inflow": InflowNode, "junction": JunctionNode, "sink": SinkNode, "demand": DemandNode}
    rows = {c: col[c].tolist() for c in (*_TEXT, "id", "type", "inflow", "target")}
    values = {c: num[c].tolist() for c in num}
    units, tbs = unit.tolist(), tb.tolist()
    shared: dict[tuple, FlowSeries] = {}

    def flow(c: str, i: int) -> FlowSeries | None:
        text, v, u = rows[c][i], values[c][i], units[i]
        if text == "":
            return None
        if v != v:  # a name: a column of the series table
            return construct(FlowSeries, {"unit": u, "file": series, "column": text})
        fs = shared.get((u, v))
        if fs is None:
            fs = shared[(u, v)] = construct(FlowSeries, {"unit": u, "value": v})
        return fs

    # the rows of a junction or sink with nothing but an id: built column-wise
    bare = types.isin(["junction", "sink"]).to_numpy() & np.isnan(num["x"]) & np.isnan(num["y"])
    for c in ("name", "description", "source", "inflow"):
        if c in present:
            bare &= (col[c] == "").to_numpy()
    out: list = [None] * len(rows["id"])
    for t in ("junction", "sink"):
        at = np.flatnonzero(bare & (types == t).to_numpy())
        ids = [rows["id"][i] for i in at]
        for i, node in zip(at.tolist(), construct_rows(classes[t], ("id", "type"), ((i, t) for i in ids)),
                           strict=True):
            out[i] = node
    with no_collection():  # hundreds of thousands of new objects, none of them garbage
        for i in np.flatnonzero(~bare).tolist():
            t = rows["type"][i]
            fields: dict[str, Any] = {"id": rows["id"][i], "type": t}
            for c in ("name", "description", "source"):
                if rows[c][i]:
                    fields[c] = rows[c][i]
            for c in ("x", "y"):
                if values[c][i] == values[c][i]:
                    fields[c] = values[c][i]
            if t in ("inflow", "junction"):
                if rows["inflow"][i]:
                    fields["inflow"] = flow("inflow", i)
                if t == "inflow":
                    if tbs[i]:
                        fields["transboundary"] = tbs[i] == "true"
                    if rows["country"][i]:
                        fields["country"] = rows["country"][i]
            elif t == "demand":
                fields["sector"], fields["target"] = rows["sector"][i], flow("target", i)
                for c in ("consumptive_fraction", "shortfall_cost", "area_kha"):
                    if values[c][i] == values[c][i]:
                        fields[c] = values[c][i]
                if values["priority"][i] == values["priority"][i]:
                    fields["priority"] = int(values["priority"][i])
                for c in ("return_to", "group"):
                    if rows[c][i]:
                        fields[c] = rows[c][i]
            out[i] = construct(classes[t], fields)
    return out
