"""Read and write basins: a directory with ``basin.yaml`` plus the CSV series it references."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import ValidationError

from .errors import BasinError, Problem
from .messages import plain_errors, strip_tag
from .schema import Basin, iter_flow_series
from .validate import check_basin, raw_reference_problems

BASIN_FILE = "basin.yaml"
#: at most this many bad cells of one CSV column are listed
_QUOTE_CELLS = 5


def _basin_file(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p / BASIN_FILE if p.is_dir() else p


def basin_path(path: str | os.PathLike) -> Path:
    """A basin directory or file, or a bundled basin's name ('ile_balkhash', 'small_basin', ...) as
    its directory; BasinError for a name that is neither."""
    p = Path(path)
    if isinstance(path, str) and not p.exists() and os.sep not in path and "/" not in path:
        from ..data import DEFAULT_BASIN, default_basin_path, example_names, example_path

        if path == DEFAULT_BASIN:
            return default_basin_path()
        if path in example_names():
            return example_path(path)
        raise BasinError([Problem(path, "", "", "no such basin directory or file, and no bundled basin of "
                                  f"that name ({', '.join([DEFAULT_BASIN, *example_names()])})")])
    return p


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML as a basin file means it: ``1e9`` is a number (YAML 1.2; PyYAML's YAML 1.1 needs
    ``1.0e9``), and a key given twice in one mapping is an error, not a silent overwrite."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                    seen.setdefault(key, key_node.start_mark.line + 1)
                except TypeError:  # an unhashable key: the base class says so
                    continue
                if first is not None:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key '{key}' (first given on line {first}): give each key once",
                        key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def read_yaml(file: Path) -> object:
    """Parse a YAML file; problems (missing file, not a file, syntax, duplicate keys, nesting too
    deep) become a BasinError."""
    if not file.exists():
        raise BasinError([Problem(str(file), "", "", "file not found")])
    if not file.is_file():
        raise BasinError([Problem(str(file), "", "", "not a file")])
    try:
        with open(file, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_Loader)  # a SafeLoader subclass
    except RecursionError:
        raise BasinError([Problem(str(file), "", "", "nested too deeply to read (brackets or indentation "
                                  "hundreds of levels deep)")]) from None
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in str(exc):  # the C parser's word for it
            raise BasinError([Problem(str(file), "", "", "nested too deeply to read (brackets or indentation "
                                      "hundreds of levels deep)")]) from None
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        msg = getattr(exc, "problem", None) or str(exc)
        raise BasinError([Problem(str(file), where, "", f"YAML syntax error: {msg}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BasinError([Problem(str(file), "", "", f"cannot read: {exc}")]) from None


def _indexed(loc: tuple) -> tuple:
    """A path with its list positions as indices of the step before: classes.0.sectors.1 ->
    classes[0].sectors[1] (the form of the value checks' messages)."""
    out: list[str] = []
    for p in loc:
        if isinstance(p, int) and out:
            out[-1] = f"{out[-1]}[{p}]"
        else:
            out.append(str(p))
    return tuple(out)


def _item_name(raw: object, loc: tuple) -> tuple[str, tuple]:
    """Name the node/link/target/plant/split/aggregate a pydantic error location points into, and
    the rest of the path (a policy's: ``options.policies.NAME.classes[0]...``)."""
    if len(loc) >= 3 and loc[:2] == ("options", "policies"):
        return "", _indexed(loc)
    if len(loc) >= 2 and loc[0] in ("nodes", "links", "targets", "hydropower", "splits", "aggregates") \
            and isinstance(loc[1], int):
        kind = loc[0].rstrip("s") if loc[0] != "hydropower" else "plant"
        ident = None
        with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
            ident = raw[loc[0]][loc[1]].get("id")  # type: ignore[index]
        label = f"{kind} '{ident}'" if isinstance(ident, str) and ident else f"{loc[0]}[{loc[1]}]"
        rest = strip_tag(loc[2:])
        return label, _indexed(rest) if loc[0] in ("splits", "aggregates") else rest
    return "", loc


def validation_problems(file: str, raw: object, exc: ValidationError,
                        origins: dict[str, tuple[str, list[int]]] | None = None) -> list[Problem]:
    """Translate pydantic errors into Problems naming file, item and field, in the file's words;
    ``origins``: key ("nodes", "links") -> the CSV table its first items come from and the line of
    each of them there (items after those are the YAML file's)."""
    out = []
    for loc, msg in plain_errors(exc):
        where, rest = _item_name(raw, loc)
        at = file
        if origins and len(loc) >= 2 and loc[0] in origins and isinstance(loc[1], int):
            csv, lines = origins[loc[0]]
            if loc[1] < len(lines):
                at, where = csv, f"{where} (line {lines[loc[1]]})"
        out.append(Problem(at, where, ".".join(str(p) for p in rest), msg))
    return out


def _cell_problems(csv: Path, df: pd.DataFrame, column: str, periods: set[str], signed: bool = False) -> list[Problem]:
    """Every cell of ``column`` that is not a usable number: text anywhere, and empty, NaN,
    infinite or (unless ``signed``) negative values in the model's periods.  Each names the file,
    the column, the line of the file and its period."""
    out: list[Problem] = []
    raw_col = df[column]
    if raw_col.dtype.kind == "f":  # read as numbers: checked whole
        v = raw_col.to_numpy()
        if np.isfinite(v).all() and (signed or (v >= 0).all()):
            return out
    values = pd.to_numeric(raw_col, errors="coerce")
    if values.notna().all() and np.isfinite(values).all() and (signed or (values >= 0).all()):
        return out  # the common case, checked whole
    for i, (period, raw, v) in enumerate(zip(df["period"], df[column], values, strict=True)):
        line = f"line {i + 2} (period {period})"
        text = None if pd.isna(raw) else str(raw).strip()
        if text is not None and pd.isna(v):
            out.append(Problem(str(csv), f"column '{column}'", line, f"'{text}' is not a number"))
        elif period not in periods:
            continue
        elif text is None:
            out.append(Problem(str(csv), f"column '{column}'", line, "empty cell: give a number"))
        elif not np.isfinite(v):
            out.append(Problem(str(csv), f"column '{column}'", line, f"must be a finite number, got {text}"))
        elif v < 0 and not signed:
            out.append(Problem(str(csv), f"column '{column}'", line, f"negative value {text}"))
    return out[:_QUOTE_CELLS] + ([Problem(str(csv), f"column '{column}'", "", f"... and {len(out) - _QUOTE_CELLS} "
                                          "more cell(s)")] if len(out) > _QUOTE_CELLS else [])


def _series_refs(basin: Basin) -> list[tuple[str, str, Any, bool]]:
    """(where, field, series, signed) of every flow series and per-period number of the basin read
    from a CSV file; signed: its values may be negative (a junction's or storage's local inflow, a
    cost)."""
    from types import SimpleNamespace

    from .periods import PeriodValues, iter_period_values
    from .schema import NODE_FLOW_FIELDS
    from .validate import SIGNED_INFLOW_TYPES

    out: list[tuple[str, str, Any, bool]] = []
    for n in basin.nodes:
        for field in NODE_FLOW_FIELDS[n.type]:
            fs = getattr(n, field)
            if fs is not None and fs.file is not None:
                out.append((f"node '{n.id}'", field, fs, field == "inflow" and n.type in SIGNED_INFLOW_TYPES))
    # the links with a series file, segments, an annual capacity or a cost per period (one pass)
    odd = [lk for lk in basin.links if lk.segments is not None or lk.annual_capacity is not None
           or (lk.capacity is not None and lk.capacity.file is not None)
           or (lk.min_flow is not None and lk.min_flow.file is not None)
           or (type(lk.cost) is not float and isinstance(lk.cost, PeriodValues))]
    rest = SimpleNamespace(nodes=(), links=odd, targets=basin.targets, aggregates=basin.aggregates)
    out += [(w, f, fs, False) for w, f, fs in iter_flow_series(rest) if fs.file is not None]  # type: ignore[arg-type]
    storages = SimpleNamespace(links=odd, nodes=[n for n in basin.nodes if n.type in ("reservoir", "lake")])
    out += [(w, f, pv, True) for w, f, pv in iter_period_values(storages) if pv.file is not None]
    return out


def _load_tables(basin: Basin, base: Path, file: str) -> list[Problem]:
    problems = []
    tl = basin.timeline()
    periods = set(tl.labels) | set(tl.month_labels)  # a dekad calendar reads month rows too
    refs = _series_refs(basin)
    for where, field, fs, _ in refs:
        if fs.file is None or fs.file in basin._tables:
            continue
        csv = base / fs.file
        if not csv.is_file():
            what = "not found" if not csv.exists() else "is not a file"
            problems.append(Problem(file, where, field, f"series file '{fs.file}' {what} in {base}"))
            basin._tables[fs.file] = None
            continue
        try:
            df = pd.read_csv(csv, dtype={"period": str})
        except Exception as exc:  # pandas raises many types for malformed CSV
            problems.append(Problem(str(csv), where, field, f"cannot read CSV: {exc}"))
            basin._tables[fs.file] = None
            continue
        if "period" not in df.columns:
            problems.append(Problem(str(csv), where, field,
                                    "CSV needs a 'period' column (YYYY-MM, or YYYY-MM-D for dekads)"))
            basin._tables[fs.file] = None
            continue
        df["period"] = df["period"].str.strip()
        empty = [i + 2 for i, p in enumerate(df["period"]) if pd.isna(p) or not p]
        if empty:
            quoted = ", ".join(str(n) for n in empty[:_QUOTE_CELLS]) + (" ..." if len(empty) > _QUOTE_CELLS else "")
            problems.append(Problem(str(csv), "column 'period'", "",
                                    f"empty period on {len(empty)} line(s): {quoted}; give YYYY-MM on every line"))
            df = df[df["period"].notna() & (df["period"] != "")]
        dup = df["period"][df["period"].duplicated()].tolist()
        if dup:
            problems.append(Problem(str(csv), where, "period", f"duplicate periods: {', '.join(dup[:5])}"))
            df = df.drop_duplicates("period")
        used: dict[str, bool] = {}
        for _, _, g, sg in refs:
            if g.file == fs.file and g.column in df.columns and g.column != "period":
                used[g.column] = used.get(g.column, True) and sg
        for col in sorted(used):
            problems += _cell_problems(csv, df, col, periods, signed=used[col])
        basin._tables[fs.file] = df.set_index("period")
    basin._tables = {k: v for k, v in basin._tables.items() if v is not None}
    return problems


def parse_basin(raw: object, file: str, base_dir: str | os.PathLike | None = None) -> Basin:
    """Build a Basin from parsed YAML; schema problems become a BasinError (all at once)."""
    if not isinstance(raw, dict):
        raise BasinError([Problem(file, "", "", "expected a mapping at the top level (name:, nodes:, links:)")])
    origins: dict[str, tuple[str, list[int]]] = {}  # "nodes"/"links" -> the CSV table, lines of its items
    if isinstance(raw.get("nodes"), dict):
        from .tables import read_node_table

        nodes, csv, rows = read_node_table(raw["nodes"], file, base_dir)
        raw = {**raw, "nodes": nodes}
        origins["nodes"] = (str(csv), list(range(2, rows + 2)))
    if isinstance(raw.get("links"), dict):
        links = read_link_table(raw["links"], file, base_dir)
        csv = Path(base_dir if base_dir is not None else ".") / str(raw["links"].get("file"))
        # built links (a table without segments): one row each, from line 2
        origins["links"] = (str(csv), [lk.pop("_line") for lk in links] if links and isinstance(links[0], dict)
                            else list(range(2, len(links) + 2)))
        raw = {**raw, "links": links}
    # tables built into nodes and links (all checked already) join the basin after its schema
    from pydantic import BaseModel

    # (a table's items are all built or all mappings; the YAML nodes of its list: come last)
    built = {k: raw[k] for k in origins if raw[k] and isinstance(raw[k][0], BaseModel) and
             isinstance(raw[k][-1], BaseModel)}
    try:
        basin = Basin.model_validate({**raw, **{k: [] for k in built}} if built else raw)
        for k, items in built.items():
            basin.__dict__[k] = items
    except ValidationError as exc:
        problems = validation_problems(file, raw, exc, origins)
        seen = {(p.where, p.field) for p in problems}
        problems += [p for p in raw_reference_problems(raw, file) if (p.where, p.field) not in seen]
        raise BasinError(problems) from None
    basin._base_dir = str(base_dir) if base_dir is not None else None
    basin._file = file
    for key, (csv_path, lines) in origins.items():
        kind, items = ("node", basin.nodes) if key == "nodes" else ("link", basin.links)
        basin._rows.update({f"{kind} '{it.id}'": (csv_path, line) for it, line in zip(items, lines, strict=False)})
    if base_dir is not None:
        problems = in_rows(_load_tables(basin, Path(base_dir), file), basin, file)
        if problems:
            raise BasinError(problems)
    return basin


#: the fields of a table's row that place it in the network (their problems name the basin file)
_GRAPH_FIELDS = {"id", "from", "to", "return_to"}


def in_rows(problems: list[Problem], basin: Basin, file: str) -> list[Problem]:
    """``problems`` with a value of a node or link read from a CSV table (a series column it names,
    a number out of range) named by that table and the item's line there (``nodes.csv: node 'J1'
    (line 4): inflow: ...``), as the reading names them; the others (the graph: ids, ends,
    return_to) as they are."""
    rows = basin._rows
    if not rows:
        return problems
    out = []
    for p in problems:
        value = p.field and p.field.split(".")[0] not in _GRAPH_FIELDS
        at = rows.get(p.where) if p.file == file and value else None
        out.append(Problem(at[0], f"{p.where} (line {at[1]})", p.field, p.message) if at else p)
    return out


#: the columns of a links table (docs/data-format.md, "Links as a table")
LINK_COLUMNS = ("id", "from", "to", "segment", "name", "unit", "capacity", "min_flow", "cost", "gain", "loss_fraction")


def read_link_table(spec: dict, file: str, base_dir: str | os.PathLike | None) -> list[dict]:
    """The ``links: {file: links.csv, series: link_series.csv}`` form: one row per link, or one per
    segment of a link (rows of one id with a ``segment`` number).  A number in ``capacity``,
    ``min_flow`` or ``cost`` is a constant; a name is a column of the ``series`` table (one row per
    period); an empty cell is not given.  Returns the links as the YAML form would give them."""
    extra = sorted(set(spec) - {"file", "series"})
    if extra or not isinstance(spec.get("file"), str):
        raise BasinError([Problem(file, "links", ", ".join(extra) or "file",
                                  "a links table is {file: links.csv} with an optional series: file.csv")])
    base = Path(base_dir) if base_dir is not None else Path(".")
    csv = base / spec["file"]
    if not csv.is_file():
        raise BasinError([Problem(file, "links", "file", f"links table '{spec['file']}' not found in {base}")])
    try:
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises many types for malformed CSV
        raise BasinError([Problem(str(csv), "", "", f"cannot read CSV: {exc}")]) from None
    unknown = [c for c in df.columns if c not in LINK_COLUMNS]
    missing = [c for c in ("id", "from", "to") if c not in df.columns]
    if unknown or missing:
        what = "; ".join([*([f"unknown column(s) {', '.join(unknown)}"] if unknown else []),
                          *([f"missing column(s) {', '.join(missing)}"] if missing else [])])
        raise BasinError([Problem(str(csv), "", "columns", f"{what}; the columns are {', '.join(LINK_COLUMNS)}")])
    series = spec.get("series")
    fast = _constructed_links(df, series)
    if fast is not None:
        return fast

    def value(text: str, unit: str, flow: bool, line: int):
        if text == "":
            return None
        try:
            number = float(text)
        except ValueError:
            if series is None:
                raise BasinError([Problem(str(csv), f"line {line}", "", f"'{text}' names a series column, but "
                                          "the links table has no series: file")]) from None
            return {"unit": unit, "file": series, "column": text} if flow else {"file": series, "column": text}
        return {"unit": unit, "value": number} if flow else number

    out: list[dict] = []
    by_id: dict[str, dict] = {}
    for line, r in enumerate(df.to_dict("records"), start=2):
        unit = r.get("unit") or "Mm3/month"
        bounds = {k: v for k in ("capacity", "min_flow", "cost")
                  if (v := value(r.get(k, ""), unit, k != "cost", line)) is not None}
        segment = r.get("segment", "") != ""
        lk = by_id.get(r["id"]) if segment else None  # rows of one id are one link's segments
        if lk is None:
            lk = {"id": r["id"], "from": r["from"], "to": r["to"], "_line": line}
            for k in ("name", "gain", "loss_fraction"):
                if r.get(k, "") != "":
                    lk[k] = r[k] if k == "name" else value(r[k], unit, False, line)
            by_id[r["id"]] = lk
            out.append(lk)
        if segment:
            lk.setdefault("segments", []).append(bounds)
        else:
            lk.update(bounds)
    return out


def _constructed_links(df: pd.DataFrame, series: str | None) -> list | None:
    """The links of a table without segments whose every cell is of the form the schema wants
    (identifiers, known flow units, finite numbers or series names, gains in (0, 100], losses in
    [0, 1), not both), checked column by column and built without validating each link again (a
    constant flow of one unit is one shared object).  None when a row needs the schema's own
    messages: the table then goes through the YAML form's validation."""
    from .periods import PeriodValues
    from .quantities import FlowSeries
    from .schema import ID_PATTERN, Link
    from .tables import construct, construct_rows, no_collection, numeric
    from .units import ANNUAL_UNITS, FLOW_UNITS

    n = len(df)
    empty = pd.Series([""] * n, index=df.index, dtype=object)
    col = {c: (df[c] if c in df.columns else empty) for c in LINK_COLUMNS}
    if "segment" in df.columns and (col["segment"] != "").any():
        return None
    if not all(map(re.compile(ID_PATTERN).fullmatch, col["id"].tolist())):
        return None
    if ((col["from"] == "") | (col["to"] == "")).any():
        return None
    if "unit" in df.columns:
        unit = col["unit"].where(col["unit"] != "", "Mm3/month")
        if not unit.isin([u for u in FLOW_UNITS if u not in ANNUAL_UNITS]).all():
            return None
        units = unit.tolist()
    else:
        units = ["Mm3/month"] * n
    numbers = {}
    for c in ("capacity", "min_flow", "cost", "gain", "loss_fraction"):
        if c not in df.columns or not (col[c] != "").any():  # nothing given
            numbers[c] = (np.full(n, np.nan), np.zeros(n, dtype=bool))
            continue
        got = numeric(col[c])
        named = (col[c] != "").to_numpy() & np.isnan(got)
        if named.any() and (series is None or c in ("gain", "loss_fraction")):
            return None
        if not np.isfinite(got[~np.isnan(got)]).all():
            return None
        numbers[c] = (got, named)
    g, lf = numbers["gain"][0], numbers["loss_fraction"][0]
    if (~np.isnan(g) & ~((g > 0) & (g <= 100))).any() or (~np.isnan(lf) & ~((lf >= 0) & (lf < 1))).any() or \
            (~np.isnan(g) & ~np.isnan(lf) & (lf != 0)).any():
        return None
    shared: dict[tuple, FlowSeries] = {}
    texts = {c: col[c].tolist() for c in ("capacity", "min_flow", "cost")}
    values = {c: numbers[c][0].tolist() for c in numbers}  # NaN where not given (or a name)
    named = {c: numbers[c][1].tolist() for c in ("capacity", "min_flow", "cost")}

    def flows(c: str) -> list | None:
        """The column's flow objects, None where not given; None for a column with none given."""
        vals, nm, tx = values[c], named[c], texts[c]
        given = ~np.isnan(numbers[c][0])
        if not any(nm) and not given.any():
            return None
        if not any(nm) and len(set(units)) == 1:  # numbers in one unit: one object per number
            u = units[0]
            for v in np.unique(numbers[c][0][given]).tolist():
                if (u, v) not in shared:
                    shared[(u, v)] = construct(FlowSeries, {"unit": u, "value": v})
            return [shared.get((u, v)) for v in vals]  # NaN (not given): None
        got = []
        for u, v, is_name, text in zip(units, vals, nm, tx, strict=True):
            if is_name:
                got.append(construct(FlowSeries, {"unit": u, "file": series, "column": text}))
            elif v != v:  # NaN: not given
                got.append(None)
            else:
                fs = shared.get((u, v))
                if fs is None:
                    fs = shared[(u, v)] = construct(FlowSeries, {"unit": u, "value": v})
                got.append(fs)
        return got

    ids, src, dst, names = (col[k].tolist() for k in ("id", "from", "to", "name"))
    optional = {"name": names if any(names) else None}
    for c in ("gain", "loss_fraction"):
        optional[c] = values[c] if not np.isnan(numbers[c][0]).all() else None
    cost_texts, cost_named = texts["cost"], named["cost"]
    costs = [construct(PeriodValues, {"file": series, "column": t}) if is_name else 0.0 if v != v else v
             for v, is_name, t in zip(values["cost"], cost_named, cost_texts, strict=True)]
    out = []
    with no_collection():  # hundreds of thousands of new objects, none of them garbage
        columns = {"capacity": flows("capacity"), "min_flow": flows("min_flow"), **optional}
        full = {c: v for c, v in columns.items() if v is not None}
        complete = {"name": lambda v: all(v), "gain": lambda v: not np.isnan(numbers["gain"][0]).any(),
                    "loss_fraction": lambda v: not np.isnan(numbers["loss_fraction"][0]).any()}
        if all(complete[c](v) if c in complete else not any(x is None for x in v)
               for c, v in full.items()):  # every row gives the same fields: built column-wise
            keys = ("id", "from_", "to", "cost", *full)
            return construct_rows(Link, keys, zip(ids, src, dst, costs, *full.values(), strict=True))
        flow_cols = [(c, v) for c, v in columns.items() if v is not None and c in ("capacity", "min_flow")]
        other = [(c, v) for c, v in columns.items() if v is not None and c not in ("capacity", "min_flow")]
        for i in range(n):
            fields = {"id": ids[i], "from_": src[i], "to": dst[i], "cost": costs[i]}
            for c, v in flow_cols:
                if v[i] is not None:
                    fields[c] = v[i]
            for c, v in other:
                x = v[i]
                if x == x and x != "":  # given (not NaN, not empty)
                    fields[c] = x
            out.append(construct(Link, fields))
    return out


def load_basin(path: str | os.PathLike, validate: bool = True) -> Basin:
    """Load a basin directory (or its basin.yaml), or a bundled basin by its name ('ile_balkhash').

    Raises BasinError listing every problem found: schema, files and, with ``validate``, the graph
    and value checks of :func:`balkhash.network.validate.check_basin`.
    """
    from .tables import no_collection

    file = _basin_file(basin_path(path))
    raw = read_yaml(file)
    with no_collection():  # a big basin: hundreds of thousands of objects, none of them garbage
        basin = parse_basin(raw, str(file), file.parent)
    if validate:
        problems = in_rows(check_basin(basin, str(file)), basin, str(file))
        if problems:
            raise BasinError(problems)
    return basin


def revalidated(basin: Basin, where: str) -> Basin:
    """``basin`` read again from its plain data, as a file is read: a field set in Python to the
    string a ``basin.yaml`` holds (``node.initial_storage = "16 km3"``) becomes its quantity; its
    loaded tables and private state are kept.  BasinError names every field that cannot be read."""
    import warnings

    with warnings.catch_warnings():  # a field holding a string: read by the validation below
        warnings.simplefilter("ignore")
        raw = basin.model_dump(mode="python", by_alias=True, exclude_none=True, warnings=False)
    try:
        fresh = Basin.model_validate(raw)
    except ValidationError as exc:
        raise BasinError(validation_problems(where, raw, exc)) from None
    for name, value in (basin.__pydantic_private__ or {}).items():
        setattr(fresh, name, value)
    return fresh


def basin_to_dict(basin: Basin) -> dict:
    """Plain-data form of a basin, as written to basin.yaml (a field set in Python to a string such
    as ``"16 km3"`` is written as the quantity it reads as: :func:`revalidated`)."""
    from pydantic_core import PydanticSerializationError

    try:
        return basin.model_dump(mode="json", by_alias=True, exclude_none=True, warnings="error")
    except PydanticSerializationError:
        return revalidated(basin, f"<Basin '{basin.name}'>").model_dump(mode="json", by_alias=True,
                                                                        exclude_none=True)


def save_basin(basin: Basin, path: str | os.PathLike, validate: bool = True) -> Path:
    """Write ``basin`` as a directory (basin.yaml + its CSV series).  All or nothing: every file is
    written before any replaces its namesake; other files of the directory (scenario files, the
    runoff table) stay.  The basin is read again from its plain data first (a field set in Python
    to ``"16 km3"`` is written as 16 km3) and, with ``validate``, checked as :func:`load_basin`
    checks a file, so that what is written loads: BasinError lists every problem, nothing is
    written.  The directory keeps ``.balkhash.lock``, the empty file through which writers of
    the directory take turns (:mod:`balkhash.atomic`)."""
    from ..atomic import write_dir

    where = f"<Basin '{basin.name}' saved to {os.fspath(path)}>"
    fresh = revalidated(basin, where)
    if validate:
        problems = check_basin(fresh, where)
        if problems:
            raise BasinError(problems)
    data = basin_to_dict(fresh)

    def write(tmp: Path) -> None:
        with open(tmp / BASIN_FILE, "w", encoding="utf-8") as fh:
            yaml.safe_dump(data, fh, sort_keys=False, allow_unicode=True)
        for name, df in fresh._tables.items():
            out = tmp / name
            out.parent.mkdir(parents=True, exist_ok=True)
            df.reset_index().to_csv(out, index=False)

    return write_dir(Path(path), write, last=BASIN_FILE)
