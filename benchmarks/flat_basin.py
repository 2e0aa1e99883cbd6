"""A flat 600,001-link basin: load and validate against the 5 s goal (docs/performance.md).

200,000 junctions in a row, each with three links to the next three (the last ones to the outlet),
an inflow at the head, a constant capacity on every link, 12 months; the nodes in ``nodes.csv`` and
the links in ``links.csv`` next to ``basin.yaml`` (``--yaml-nodes``: the nodes as a YAML list
instead).  The basin is written to a temporary directory; load (``load_basin(validate=False)``) and
validate (``check_basin``) are timed separately, each repetition in a fresh process, and the median
of ``--repeat`` runs is printed beside the goal (with the process's CPU time: on a shared machine
the wall time also holds the waits for a core).

    python benchmarks/flat_basin.py [--junctions 200000] [--repeat 3] [--yaml-nodes]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 5.0


def write_basin(out: Path, junctions: int, yaml_nodes: bool) -> int:
    """Write the flat basin into ``out``; returns its number of links."""
    out.mkdir(parents=True, exist_ok=True)
    ids = [f"J{i}" for i in range(junctions)]
    head = "calendar: {start: 2025-10, periods: 12}\n"
    with open(out / "links.csv", "w", encoding="utf-8") as fh:
        fh.write("id,from,to,capacity\n")
        fh.write("L-IN,IN,J0,100\n")
        n = 1
        for i in range(junctions):
            for k in (1, 2, 3):
                to = ids[i + k] if i + k < junctions else "OUT"
                fh.write(f"L{i}-{k},{ids[i]},{to},100\n")
                n += 1
    if yaml_nodes:
        lines = ["name: flat", head.rstrip("\n"), "nodes:",
                 "  - {id: IN, type: inflow, inflow: 50 Mm3/month}",
                 *(f"  - {{id: {j}, type: junction}}" for j in ids),
                 "  - {id: OUT, type: sink}", "links: {file: links.csv}", ""]
        (out / "basin.yaml").write_text("\n".join(lines), encoding="utf-8")
    else:
        with open(out / "nodes.csv", "w", encoding="utf-8") as fh:
            fh.write("id,type,unit,inflow\nIN,inflow,Mm3/month,50\n")
            fh.writelines(f"{j},junction,,\n" for j in ids)
            fh.write("OUT,sink,,\n")
        (out / "basin.yaml").write_text(f"name: flat\n{head}nodes: {{file: nodes.csv}}\n"
                                        "links: {file: links.csv}\n", encoding="utf-8")
    return n


def run_once(directory: str) -> dict:
    """Load and validate the basin in ``directory`` in this process: seconds of each."""
    t0 = time.perf_counter()
    from balkhash.network.io import load_basin
    from balkhash.network.validate import check_basin

    t1, c1 = time.perf_counter(), time.process_time()
    basin = load_basin(directory, validate=False)
    t2, c2 = time.perf_counter(), time.process_time()
    problems = check_basin(basin, str(Path(directory) / "basin.yaml"))
    t3, c3 = time.perf_counter(), time.process_time()
    assert not problems, [str(p) for p in problems[:3]]
    return {"imports": t1 - t0, "load": t2 - t1, "validate": t3 - t2, "load_cpu": c2 - c1, "validate_cpu": c3 - c2,
            "nodes": len(basin.nodes), "links": len(basin.links)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--junctions", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--yaml-nodes", action="store_true", help="the nodes as a YAML list, not nodes.csv")
    ap.add_argument("--run", help=argparse.SUPPRESS)  # one measurement in this process
    args = ap.parse_args()
    if args.run:
        print(json.dumps(run_once(args.run)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        n = write_basin(Path(tmp) / "flat", args.junctions, args.yaml_nodes)
        print(f"flat basin: {args.junctions + 2:,} nodes ({'YAML list' if args.yaml_nodes else 'nodes.csv'}), "
              f"{n:,} links (links.csv), 12 months; written in {time.perf_counter() - t:.1f} s")
        runs = []
        for _ in range(args.repeat):
            res = subprocess.run([sys.executable, __file__, "--run", str(Path(tmp) / "flat")],
                                 capture_output=True, text=True, check=True)
            runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
            r = runs[-1]
            print(f"  run: load {r['load']:.2f} s, validate {r['validate']:.2f} s (CPU {r['load_cpu']:.2f} s + "
                  f"{r['validate_cpu']:.2f} s)")
    load = statistics.median(r["load"] for r in runs)
    val = statistics.median(r["validate"] for r in runs)
    total = statistics.median(r["load"] + r["validate"] for r in runs)
    cpu = statistics.median(r["load_cpu"] + r["validate_cpu"] for r in runs)
    verdict = "met" if total <= GOAL_S else "NOT met"
    print(f"median of {len(runs)}: load {load:.2f} s + validate {val:.2f} s = {total:.2f} s "
          f"(goal {GOAL_S:.0f} s: {verdict}; CPU time {cpu:.2f} s)")


if __name__ == "__main__":
    main()
