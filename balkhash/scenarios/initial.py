"""Initial states: the storage of reservoirs and lakes at the start of the horizon.

``initial: {KAPSHAGAY: 16.5 km3, BALKHASH: 342.5 m}`` in a scenario, ``--initial NODE=VALUE`` and
``--initial-from RESULT_DIR`` on the command line.  A value is a volume (``Mm3``, ``km3``) or a
level (``m``, m BS); a reservoir takes a volume (a level needs its level-area-volume table), a
lake a level (a volume is turned into the level of its table).  A result directory gives the
storage at the end of its last period (``storage.csv`` or ``storage.parquet``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from ..network.errors import BasinError, Problem
from ..network.quantities import Volume
from ..network.schema import Basin, LakeNode, ReservoirNode

#: units of an initial state: volumes (to Mm3) and the level in m BS
UNITS = {"Mm3": 1.0, "km3": 1000.0, "m": None}


def parse_state(value) -> tuple[float, str]:
    """(number, unit) of '16.5 km3', '342.5 m' or {value, unit}; ValueError says what is wrong."""
    if isinstance(value, dict) and set(value) == {"value", "unit"}:
        number, unit = value["value"], str(value["unit"])
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z][A-Za-z0-9]*)\s*", value)
        if m is None:  # '16.5 km3' and '16.5km3' (as the basin file reads a volume)
            raise ValueError(f"'{value}' is not a number and a unit, e.g. '16.5 km3', '150 Mm3' or '342.5 m'")
        number, unit = m.groups()
    else:
        raise ValueError(f"{value!r} needs a unit: e.g. '16.5 km3', '150 Mm3' or '342.5 m'")
    try:
        x = float(number)
    except (TypeError, ValueError):
        raise ValueError(f"'{number}' is not a number") from None
    if isinstance(number, bool) or not math.isfinite(x):
        raise ValueError(f"{number!r} is not a finite number")
    if unit not in UNITS:
        raise ValueError(f"unknown unit '{unit}': a volume in Mm3 or km3, or a level in m")
    if unit != "m" and x < 0:
        raise ValueError(f"a volume cannot be negative ({value})")
    return x, unit


def _table(node) -> tuple[np.ndarray, np.ndarray] | None:
    t = node.table
    return None if t is None else (np.asarray(t.level_m, float), np.asarray(t.volume_mm3, float))


def apply_initial(basin: Basin, initial: dict, file: str, where: str, field: str = "initial") -> list[Problem]:
    """Set the initial states of ``initial`` (node -> value) in ``basin`` (changed in place); the
    problems found, each naming ``file``, ``where`` and ``field.NODE``."""
    problems = []
    nodes = {n.id: n for n in basin.nodes}
    for nid, value in initial.items():
        f = f"{field}.{nid}"
        node = nodes.get(nid)
        if not isinstance(node, ReservoirNode | LakeNode):
            what = "unknown node" if node is None else \
                f"'{nid}' is {'an' if node.type[0] in 'aeiou' else 'a'} {node.type} node, it has no storage"
            problems.append(Problem(file, where, f, f"{what}: an initial state is for a reservoir or a lake"))
            continue
        try:
            x, unit = parse_state(value)
        except ValueError as exc:
            problems.append(Problem(file, where, f, str(exc)))
            continue
        table = _table(node)
        if isinstance(node, ReservoirNode):
            if unit == "m":
                if table is None:
                    problems.append(Problem(file, where, f, f"a level needs the reservoir's level-area-volume "
                                                            f"table ({nid} has none): give a volume"))
                    continue
                if not table[0][0] <= x <= table[0][-1]:
                    problems.append(Problem(file, where, f, f"level {x:g} m is outside {nid}'s table "
                                                            f"({table[0][0]:g}..{table[0][-1]:g} m)"))
                    continue
                volume = Volume(value=float(np.interp(x, *table)), unit="Mm3")
            else:
                volume = Volume(value=x, unit=unit)
            lo, hi = node.min_storage.mm3, node.max_storage.mm3
            if not lo <= volume.mm3 <= hi:  # checked here, so that every node's problem is listed at once
                problems.append(Problem(file, where, f, f"{volume.mm3:g} Mm3 is outside {nid}'s storage range "
                                                        f"[min_storage, max_storage] = [{lo:g}, {hi:g}] Mm3"))
                continue
            node.initial_storage = volume
        else:
            assert table is not None, "a lake carries its level-area-volume table"
            if unit == "m":
                if not table[0][0] <= x <= table[0][-1]:
                    problems.append(Problem(file, where, f, f"level {x:g} m is outside {nid}'s table "
                                                            f"({table[0][0]:g}..{table[0][-1]:g} m BS)"))
                    continue
                level = x
            else:
                vol = x * float(UNITS[unit] or 1.0)
                if not table[1][0] <= vol <= table[1][-1]:
                    problems.append(Problem(file, where, f, f"volume {vol:g} Mm3 is outside {nid}'s table "
                                                            f"({table[1][0]:g}..{table[1][-1]:g} Mm3)"))
                    continue
                level = float(np.interp(vol, table[1], table[0]))
            node.initial_level_m = level
    return problems


def initial_from_results(result_dir) -> tuple[dict[str, str], str]:
    """The storage of every reservoir and lake at the end of the run in ``result_dir``
    (node -> 'X Mm3') and the label of that last period; BasinError when it cannot be read."""
    import pandas as pd

    from ..atomic import recover

    d = Path(result_dir)
    where = str(result_dir)
    if d.is_dir():
        recover(d)  # a run killed while swapping its files in is completed first
    for name, reader in (("storage.csv", pd.read_csv), ("storage.parquet", pd.read_parquet)):
        if (d / name).is_file():
            try:
                df = reader(d / name)
            except Exception as exc:  # any unreadable table is reported as such
                raise BasinError([Problem(where, name, "", f"cannot read: {exc}")]) from None
            break
    else:
        raise BasinError([Problem(where, "", "", "not a result directory: no storage.csv or storage.parquet "
                                                 "(written by balkhash plan)")])
    need = {"node", "period", "storage_mm3"}
    if not need <= set(df.columns):
        raise BasinError([Problem(where, name, "", f"missing column(s) {', '.join(sorted(need - set(df.columns)))}")])
    if df.empty:
        raise BasinError([Problem(where, name, "", "no rows: the run had no reservoir or lake")])
    last = str(df["period"].astype(str).max())
    end = df[df["period"].astype(str) == last]
    return {str(r.node): f"{float(r.storage_mm3)!r} Mm3" for r in end.itertuples()}, last


def with_initial(basin: Basin, initial: dict, file: str, where: str, field: str = "initial") -> Basin:
    """A copy of ``basin`` with the initial states set, checked like a basin file."""
    from ..network.validate import check_basin

    b = basin.model_copy(deep=True)  # as scenarios.apply.copy_basin: the directory and loaded tables kept
    b._base_dir, b._tables, b._cyclic = basin._base_dir, basin._tables, basin._cyclic
    problems = apply_initial(b, initial, file, where, field)
    if not problems:
        problems = check_basin(b, file)
    if problems:
        raise BasinError(problems)
    return b
