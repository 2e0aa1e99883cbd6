"""Write a Solution to a directory: the tables and summary.json, written in full before any of them
replaces a file of the destination (:mod:`balkhash.atomic`).

A failed run leaves no partial results: the destination keeps its previous results, if any.
Only the result files are replaced: the old summary.json goes first, the tables follow and the new
summary.json comes last, so a directory with a summary.json always holds one complete run (a run
killed during the swap leaves no summary.json, and the next write or :func:`balkhash.atomic.recover`
completes it).  Result tables of another format left from an earlier run are removed; any other
file in the directory stays.  Writers of one directory take turns (a lock, ``.balkhash.lock``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..atomic import write_dir
from ..errors import BalkhashError

FORMATS = ("csv", "parquet", "xlsx")
TABLES = ("flows", "deliveries", "storage", "targets", "duals", "inflows", "hydropower", "arrivals", "bound_duals")
#: every file a result directory may hold, in any format
RESULT_FILES = (*(f"{n}.{ext}" for n in TABLES for ext in ("csv", "parquet")), "results.xlsx", "summary.json")


#: numbers in the CSV tables: 12 significant digits, so that small values (1e-7 Mm3) keep their
#: digits as well as large ones (a fixed 6 decimals wrote values below 5e-7 as 0)
CSV_FLOAT = "%.12g"


class OutputError(BalkhashError):
    pass


def write_solution(solution, out_dir: str | os.PathLike, fmt: str = "csv", extra: dict | None = None) -> Path:
    """Write every result table plus summary.json into ``out_dir``; returns its path."""
    if fmt not in FORMATS:
        raise OutputError(f"unknown format '{fmt}': use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise OutputError("--format parquet needs pyarrow: pip install 'balkhash[parquet]'") from None
    if fmt == "xlsx":
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise OutputError("--format xlsx needs openpyxl: pip install openpyxl") from None
    dest = Path(out_dir).resolve()

    def write(tmp: Path) -> None:
        if fmt == "xlsx":
            import pandas as pd

            with pd.ExcelWriter(tmp / "results.xlsx") as xw:
                for name in TABLES:
                    solution.tables[name].to_excel(xw, sheet_name=name, index=False)
        else:
            for name in TABLES:
                df = solution.tables[name]
                if fmt == "csv":
                    df.to_csv(tmp / f"{name}.csv", index=False, float_format=CSV_FLOAT)
                else:
                    df.to_parquet(tmp / f"{name}.parquet", index=False)
        summary = dict(solution.summary)
        if extra:
            summary.update(extra)
        with open(tmp / "summary.json", "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2, ensure_ascii=False)

    try:
        write_dir(dest, write, stale=RESULT_FILES, last="summary.json")
    except NotADirectoryError as exc:
        raise OutputError(str(exc)) from None
    return dest
