"""CALVIN's California network through the whole pipeline: ``balkhash import calvin`` (read the links
file, fold the time expansion, write the basin directory), load (basin.yaml, links and series tables),
validate, build (compile, the LP, HiGHS's copy), solve, extract (the result tables and summary),
with the process's peak memory; beside CALVIN's own figures measured on this kind of machine (its
Pyomo build + solve: 8.3 s and 0.63 GB for 1 year, 114 s and 4.9 GB for 10 years).

Each case runs in a fresh process (so that its peak memory is its own).  The links files are read
from ``../shared/peers/calvin/`` (a case whose file is absent is skipped).

    python benchmarks/calvin.py [--cases 1,10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "peers" / "calvin"
CASES = {1: ("linksWY1922.csv.gz", 8.3, 0.63, 1.5), 10: ("links1922-1931.csv.gz", 114.0, 4.9, 15.0)}
GOAL_GB_10 = 1.5


def run_case(links: str) -> dict:
    """The pipeline on one links file, in this process; seconds per stage and peak memory (GB)."""
    import resource

    t = {"start": time.perf_counter()}

    def mark(name: str) -> None:
        t[name] = time.perf_counter()

    from balkhash.allocation.backend import HighsBackend
    from balkhash.allocation.data import compile_basin
    from balkhash.allocation.model import build_lp
    from balkhash.allocation.reduce import ReducedLP
    from balkhash.allocation.results import extract_tables
    from balkhash.network.io import load_basin
    from balkhash.network.validate import check_basin
    from balkhash.peers.calvin import import_calvin

    mark("imports")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "basin"
        report = import_calvin(links, out)
        mark("import")
        basin = load_basin(out, validate=False)
        mark("load")
        problems = check_basin(basin, str(out / "basin.yaml"))
        assert not problems, problems[:3]
        mark("validate")
        data = compile_basin(basin)
        lp = build_lp(data)
        reduced = ReducedLP(lp)
        backend = HighsBackend(reduced)
        mark("build")
        outcome = backend.solve()
        mark("solve")
        tables = extract_tables(data, lp, backend.col_value, backend.row_dual, backend.bound_dual)
        mark("extract")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # kB -> GB
    stages = ["import", "load", "validate", "build", "solve", "extract"]
    prev = "imports"
    sec = {}
    for s in stages:
        sec[s] = t[s] - t[prev]
        prev = s
    return {"seconds": sec, "total": t["extract"] - t["imports"], "peak_gb": peak, "status": outcome.status,
            "objective": outcome.objective,
            "links": report.counts["rows"], "periods": report.counts["periods"], "cols": lp.ncols,
            "rows": lp.nrows, "flows_rows": len(tables["flows"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="1,10", help="water years: 1 (WY1922) and/or 10 (WY1922-1931)")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # a case in this process (the child)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_case(args.one)))
        return
    print("CALVIN California, whole pipeline (import + load + validate + build + solve + extract)")
    print(f"{'case':<10} {'links':>8} {'import':>7} {'load':>6} {'valid.':>6} {'build':>6} {'solve':>6} "
          f"{'extract':>7} {'total':>7} {'peak GB':>8} {'goal':>7} | CALVIN build+solve, peak")
    for years in (int(x) for x in args.cases.split(",")):
        name, calvin_s, calvin_gb, goal = CASES[years]
        path = SHARED / name
        if not path.exists():
            print(f"{years} year(s): {path} not present, skipped")
            continue
        res = subprocess.run([sys.executable, __file__, "--one", str(path)], capture_output=True, text=True,
                             check=True)
        r = json.loads(res.stdout.strip().splitlines()[-1])
        s = r["seconds"]
        gb_goal = f" <= {GOAL_GB_10} GB" if years == 10 else ""
        print(f"{years:>2} year(s) {r['links']:>8,} {s['import']:>7.2f} {s['load']:>6.2f} {s['validate']:>6.2f} "
              f"{s['build']:>6.2f} {s['solve']:>6.2f} {s['extract']:>7.2f} {r['total']:>7.2f} {r['peak_gb']:>8.2f} "
              f"{'<= ' + format(goal, 'g') + ' s':>7}{gb_goal} | {calvin_s:g} s, {calvin_gb:g} GB")
        print(f"{'':10} {r['periods']} months, LP {r['cols']:,} columns x {r['rows']:,} rows, {r['status']}, "
              f"objective {r['objective']:.10g}")


if __name__ == "__main__":
    main()
