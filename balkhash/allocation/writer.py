"""Write a Solution to a directory, atomically: a temporary directory renamed into place.

A failed run leaves no partial results: either the whole new directory is there or the old one
(if any) is untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

FORMATS = ("csv", "parquet", "xlsx")
TABLES = ("flows", "deliveries", "storage", "targets", "duals", "inflows", "hydropower")


class OutputError(Exception):
    pass


def write_solution(solution, out_dir: str | os.PathLike, fmt: str = "csv", extra: dict | None = None) -> Path:
    """Write every result table plus summary.json into ``out_dir``; returns its path."""
    if fmt not in FORMATS:
        raise OutputError(f"unknown format '{fmt}': use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise OutputError("--format parquet needs pyarrow: pip install pyarrow") from None
    if fmt == "xlsx":
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise OutputError("--format xlsx needs openpyxl: pip install openpyxl") from None
    dest = Path(out_dir).resolve()
    if dest.exists() and not dest.is_dir():
        raise OutputError(f"{dest} exists and is not a directory")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        if fmt == "xlsx":
            import pandas as pd

            with pd.ExcelWriter(tmp / "results.xlsx") as xw:
                for name in TABLES:
                    solution.tables[name].to_excel(xw, sheet_name=name, index=False)
        else:
            for name in TABLES:
                df = solution.tables[name]
                if fmt == "csv":
                    df.to_csv(tmp / f"{name}.csv", index=False, float_format="%.6f")
                else:
                    df.to_parquet(tmp / f"{name}.parquet", index=False)
        summary = dict(solution.summary)
        if extra:
            summary.update(extra)
        with open(tmp / "summary.json", "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=2, ensure_ascii=False)
        old = None
        if dest.exists():
            old = dest.with_name(f".{dest.name}-old-{os.getpid()}")
            os.replace(dest, old)
        os.replace(tmp, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest
