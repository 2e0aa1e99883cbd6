"""Read the tables that ``balkhash sweep`` writes, for the sweep views (plots and the report).

``sweep.csv``: one row per sweep point with columns ``parameter``, ``value``, ``status``,
``objective``, ``shortfall_<sector>_mm3`` (one per sector), ``total_shortfall_mm3``,
``lake_inflow_km3`` (mean per water year), ``lake_level_end_m``, ``lake_level_min_m``,
``lake_inflow_dual`` and ``violated_targets`` (semicolon-separated target ids).

``sweep_levels.csv`` (optional): the lake level trajectory of each point, columns ``value``,
``period`` (YYYY-MM) and ``level_m`` (and ``node`` when the basin has several lakes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import BalkhashError

REQUIRED = ("parameter", "value", "status")
SECTOR_COLUMN = re.compile(r"^shortfall_(.+)_mm3$")
PARAMETER_LABELS = {
    "transboundary": "Transboundary inflow (km3/yr)",
    "inflow_multiplier": "Inflow multiplier (-)",
    "lake_inflow_target": "Lake inflow target (km3/yr)",
}


class SweepError(BalkhashError, ValueError):
    pass


@dataclass
class Sweep:
    table: pd.DataFrame  # sweep.csv, sorted by value
    levels: pd.DataFrame | None  # sweep_levels.csv (one lake), or None
    source: Path
    about: dict | None = None  # sweep.json: the basin, its lakes and periods (None for older sweeps)

    def mismatch(self, basin) -> str | None:
        """Why this sweep cannot be shown with ``basin`` (another basin, sectors or lake it does not
        have), or None when it fits."""
        if self.about and self.about.get("basin") not in (None, basin.name):
            return f"the sweep in {self.source.parent} was computed for basin '{self.about['basin']}', " \
                   f"not '{basin.name}'"
        sectors = {n.sector for n in basin.nodes if n.type == "demand"}
        other = [s for s in self.sectors if s not in sectors]
        if other:
            return f"the sweep in {self.source.parent} has sector(s) {', '.join(other)} that basin " \
                   f"'{basin.name}' does not have: it was computed for another basin"
        lakes = {n.id for n in basin.nodes if n.type == "lake"}
        if self.levels is not None and "node" in self.levels.columns:
            node = str(self.levels["node"].iloc[0]) if len(self.levels) else None
            if node is not None and node not in lakes:
                return f"the sweep in {self.source.parent} follows lake '{node}', which basin '{basin.name}' " \
                       "does not have: it was computed for another basin"
        return None

    @property
    def parameter(self) -> str:
        vals = self.table["parameter"].dropna().unique()
        return str(vals[0]) if len(vals) else "value"

    @property
    def label(self) -> str:
        return PARAMETER_LABELS.get(self.parameter, self.parameter)

    @property
    def sectors(self) -> list[str]:
        out = []
        for c in self.table.columns:
            m = SECTOR_COLUMN.match(c)
            if m and m.group(1) != "total":
                out.append(m.group(1))
        return out

    @property
    def solved(self) -> pd.DataFrame:
        """The points with a solution."""
        return self.table[self.table["status"].astype(str) != "no_solution"]

    def violated(self, row) -> list[str]:
        v = row.get("violated_targets") if hasattr(row, "get") else None
        if v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() == "":
            return []
        return [s for s in str(v).split(";") if s]


def load_sweep(path) -> Sweep:
    """A sweep from a directory holding ``sweep.csv`` (and ``sweep_levels.csv``) or from the
    ``sweep.csv`` file itself.  Raises SweepError when the table is missing or malformed."""
    p = Path(path)
    if p.is_dir():
        from ..atomic import recover

        recover(p)  # a sweep killed while its files were swapped in is completed first
    csv = p / "sweep.csv" if p.is_dir() else p
    if not csv.exists():
        raise SweepError(f"no sweep table at {csv} (run `balkhash sweep --out DIR` first)")
    try:
        table = pd.read_csv(csv, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SweepError(f"{csv}: not a readable CSV table ({exc})") from None
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise SweepError(f"{csv}: missing column(s) {', '.join(missing)} (is this a sweep.csv?)")
    if table.empty:
        raise SweepError(f"{csv}: the sweep table has no rows")
    table["value"] = pd.to_numeric(table["value"], errors="coerce")
    table = table.dropna(subset=["value"]).sort_values("value", kind="stable").reset_index(drop=True)
    levels = None
    lv_path = csv.with_name("sweep_levels.csv")
    if lv_path.exists():
        levels = pd.read_csv(lv_path)
        need = {"value", "period", "level_m"}
        if not need <= set(levels.columns):
            raise SweepError(f"{lv_path}: needs columns value, period, level_m")
        if "node" in levels.columns and levels["node"].nunique() > 1:
            levels = levels[levels["node"] == levels["node"].iloc[0]]
        levels = levels.sort_values(["value", "period"], kind="stable").reset_index(drop=True)
    about = None
    about_path = csv.with_name("sweep.json")
    if about_path.is_file():
        import json

        try:
            about = json.loads(about_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            raise SweepError(f"{about_path}: not readable ({exc})") from None
        if not isinstance(about, dict):
            raise SweepError(f"{about_path}: expected a mapping")
    return Sweep(table, levels, csv, about)
