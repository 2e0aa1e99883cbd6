"""Engine benchmark: the whole pipeline against HiGHS alone on the same LP, at several sizes.

For each synthetic basin of N nodes x T monthly periods (``benchmarks/synthetic.py``):

* compile, build (families + reduced LP), aggregate (``balkhash.allocation.aggregate``), load into
  HiGHS, HiGHS run, extract tables, total;
* HiGHS alone (written to MPS, read by a fresh highspy instance, run; wall and CPU seconds) on the
  solver LP before aggregation (HiGHS's presolve then does the substitutions) and on the
  aggregated LP the pipeline hands HiGHS: ratio total / HiGHS alone on each, with the HiGHS runs
  (in the pipeline and alone, alternately) repeated ``--repeats`` times and their medians
  compared (sizes above 1.2 M node-periods: once);
* build time per nonzero of the full LP (median of three builds), and the Python-side peak
  memory of compile + build + load per nonzero (tracemalloc, a separate build; HiGHS's own copy
  is not Python's);
* warm re-solve after a change of each of several named parameters, against build + solve;
* with ``--baseline REV``: the LP of the engine at git revision REV (the per-row callback engine
  of 0.1: ``e79681c``) for the same basin, written to MPS by that revision's own code in a
  subprocess, and HiGHS alone on it: HiGHS time on the new LPs against the old one.

    python benchmarks/engine.py [--sizes 1000x365,3000x365,3000x1200] [--baseline e79681c] [--skip-cli]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

KINDS = ("inflow", "demand", "capacity", "penalty")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def highs_alone(mps: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, objective) of a fresh highspy instance on an MPS file."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(mps)
    t0, c0 = time.perf_counter(), _cpu()
    h.run()
    return time.perf_counter() - t0, _cpu() - c0, h.getInfo().objective_function_value


def change(alloc, kind: str, rng) -> None:
    """A 10 % change of one input that the basin gives (a node with a local inflow, a demand with
    a target), a capacity just above today's flow, a penalty up 10 %."""
    keys = alloc.params.keys(kind)
    given = [k for k in keys if np.any(np.asarray(alloc.get(kind, k)) != 0)] or keys
    key = given[len(given) // 2]
    cur = np.asarray(alloc.get(kind, key), dtype=float)
    if kind == "capacity":
        flows = alloc.backend.col_value[alloc.lp.var_blocks["flow"].cols[alloc.data.link_index(key)]]
        alloc.set(kind, key, flows * 1.2)  # a capacity just above today's flow: always feasible
    else:
        alloc.set(kind, key, cur * 1.1 if cur.any() else cur + 1.0)


def engine_figures(n_nodes: int, periods: int, tmp: str, repeats: int = 1) -> dict:
    from synthetic import synthetic_basin

    from balkhash.allocation.backend import HighsBackend
    from balkhash.allocation.data import compile_basin
    from balkhash.allocation.model import build_lp
    from balkhash.allocation.reduce import ReducedLP
    from balkhash.allocation.solve import Allocation
    from balkhash.network.io import parse_basin

    basin = parse_basin(synthetic_basin(n_nodes, periods), "synthetic.yaml")
    t0 = time.perf_counter()
    alloc = Allocation(basin)
    sol = alloc.solve()
    total = time.perf_counter() - t0
    tm = sol.timings
    nnz = alloc.lp.A.nnz
    # the LP HiGHS got (aggregated), and the solver LP before aggregation (HiGHS's presolve then
    # does the substitutions itself): HiGHS alone on each
    mps = os.path.join(tmp, f"new_{n_nodes}_{periods}.mps")
    alloc.backend.highs.writeModel(mps)
    plain_mps = os.path.join(tmp, f"plain_{n_nodes}_{periods}.mps")
    HighsBackend(alloc.reduced, aggregate=False).highs.writeModel(plain_mps)
    ours_runs, alone_runs, plain_runs = [tm["solve"]], [], []
    for i in range(repeats):  # a shared machine: HiGHS in the pipeline and alone, alternately
        if i:
            backend = HighsBackend(alloc.reduced)
            ours_runs.append(backend.solve().seconds)
            del backend
        alone_runs.append(highs_alone(mps))
        plain_runs.append(highs_alone(plain_mps))
    os.remove(mps)
    os.remove(plain_mps)
    highs_median = float(np.median(ours_runs))
    alone = float(np.median([r[0] for r in alone_runs]))
    alone_cpu = float(np.median([r[1] for r in alone_runs]))
    plain = float(np.median([r[0] for r in plain_runs]))
    plain_cpu = float(np.median([r[1] for r in plain_runs]))
    total = total - tm["solve"] + highs_median  # the pipeline's own stages + the median HiGHS run
    rng = np.random.default_rng(1)
    resolve = {}
    for kind in KINDS:
        t1 = time.perf_counter()
        change(alloc, kind, rng)
        alloc.solve()
        resolve[kind] = time.perf_counter() - t1
    rows, cols, full_rows = alloc.backend.num_rows, alloc.backend.num_cols, alloc.lp.nrows
    solver_rows, full_cols = int(alloc.reduced.kept.size), alloc.lp.ncols
    objective = sol.objective
    del alloc, sol
    builds = []
    compiled = compile_basin(basin)
    for _ in range(3):  # the build alone, median of three (the first in a process pays its page faults)
        t1 = time.perf_counter()
        ReducedLP(build_lp(compiled))
        builds.append(time.perf_counter() - t1)
    build_median = sorted(builds)[1]
    tracemalloc.start()
    data = compile_basin(basin)
    HighsBackend(ReducedLP(build_lp(data)))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "rows": rows, "hcols": cols, "solver_rows": solver_rows, "full_rows": full_rows,
        "cols": full_cols, "nnz": nnz, "compile": tm["compile"],
        "build": tm["build"], "aggregate": tm["aggregate"], "load": tm["load"], "highs": highs_median,
        "repeats": repeats, "extract": tm["extract"], "total": total,
        "alone": alone, "alone_cpu": alone_cpu, "plain": plain, "plain_cpu": plain_cpu,
        "ratio": total / plain, "ratio_alone": total / alone, "objective": objective,
        "alone_objective": alone_runs[0][2], "plain_objective": plain_runs[0][2],
        "resolve": resolve, "bytes_per_nnz": peak / nnz, "build_us_per_nnz": build_median / nnz * 1e6,
        "aggregate_us_per_nnz": tm["aggregate"] / nnz * 1e6,
        "build_solve": tm["compile"] + tm["build"] + tm["aggregate"] + tm["load"] + tm["solve"],
    }


BASELINE_SCRIPT = """
import sys
sys.path.insert(0, {bench!r})
from synthetic import synthetic_basin
from balkhash.allocation.solve import Allocation
from balkhash.network.io import parse_basin
alloc = Allocation(parse_basin(synthetic_basin({n}, {t}), "synthetic.yaml"))
alloc.backend.highs.writeModel({mps!r})
"""


def baseline_highs(rev: str, n_nodes: int, periods: int, tmp: str) -> tuple[float, float] | None:
    """HiGHS alone on the LP that revision ``rev`` builds for the same basin."""
    src = os.path.join(tmp, f"baseline-{rev}")
    if not os.path.isdir(src):
        os.makedirs(src)
        archive = os.path.join(tmp, "baseline.tar")
        try:
            subprocess.run(["git", "archive", "-o", archive, rev, "balkhash"], cwd=HERE.parent, check=True,
                           capture_output=True)
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            print(f"  (baseline {rev} not available: {exc})")
            return None
        with tarfile.open(archive) as tar:
            tar.extractall(src, filter="data")
    mps = os.path.join(tmp, f"old_{n_nodes}_{periods}.mps")
    env = dict(os.environ, PYTHONPATH=src)
    subprocess.run([sys.executable, "-c", BASELINE_SCRIPT.format(bench=str(HERE), n=n_nodes, t=periods, mps=mps)],
                   check=True, env=env, cwd=src, stdout=subprocess.DEVNULL)
    out = highs_alone(mps)
    os.remove(mps)
    return out


def cli_seconds(repeats: int = 3) -> list[float]:
    out = []
    exe = Path(sys.executable).with_name("balkhash")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "balkhash.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run([*cmd, "plan", "--out", os.path.join(tmp, "out"), "--quiet"], check=True,
                           stdout=subprocess.DEVNULL)
            out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000x365,3000x365,3000x1200", help="NODESxPERIODS,...")
    ap.add_argument("--baseline", default="e79681c", help="git revision of the engine to compare with ('' = none)")
    ap.add_argument("--skip-cli", action="store_true")
    ap.add_argument("--repeats", type=int, default=3,
                    help="HiGHS runs in the pipeline and alone, alternately, medians compared; sizes above "
                         "1.2 M node-periods run once")
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory() as tmp:
        for n, t in sizes:
            f = engine_figures(n, t, tmp, args.repeats if n * t <= 1_200_000 else 1)
            print(f"synthetic basin {n} nodes x {t} monthly periods: full LP {f['full_rows']:,} rows x "
                  f"{f['cols']:,} columns, {f['nnz']:,} nonzeros; solver LP {f['solver_rows']:,} rows; "
                  f"aggregated for HiGHS {f['rows']:,} rows x {f['hcols']:,} columns")
            for key, label in [("compile", "compile basin to arrays"), ("build", "build LP + reduced LP"),
                               ("aggregate", "aggregate"), ("load", "load into HiGHS"), ("highs", "HiGHS run"),
                               ("extract", "extract tables"), ("total", "total")]:
                print(f"  {label:40s} {f[key]:8.2f} s")
            print(f"  {'HiGHS alone on the solver LP (MPS)':40s} {f['plain']:8.2f} s  ({f['plain_cpu']:.2f} s CPU)")
            print(f"  {'HiGHS alone on the aggregated LP (MPS)':40s} {f['alone']:8.2f} s  ({f['alone_cpu']:.2f} s CPU)")
            if f["repeats"] > 1:
                print(f"  (HiGHS runs: median of {f['repeats']} in the pipeline and {f['repeats']} alone on each LP, "
                      "alternately)")
            print(f"  ratio total / HiGHS alone on the solver LP  {f['ratio']:8.2f}")
            print(f"  ratio total / HiGHS alone on the aggregated LP {f['ratio_alone']:8.2f}")
            print(f"  objective balkhash / alone (aggregated) / alone (solver LP)  {f['objective']:.9g} / "
                  f"{f['alone_objective']:.9g} / {f['plain_objective']:.9g}")
            print(f"  build per nonzero (median of 3 builds)  {f['build_us_per_nnz']:8.3f} us")
            print(f"  aggregation per nonzero                 {f['aggregate_us_per_nnz']:8.3f} us")
            print(f"  Python peak memory (compile+build+aggregate+load) {f['bytes_per_nnz']:8.1f} bytes per nonzero")
            for kind, sec in f["resolve"].items():
                print(f"  re-solve after a change of {kind:13s} {sec:8.2f} s = {sec / f['build_solve']:.2f} x "
                      "(build + solve)")
            if args.baseline:
                old = baseline_highs(args.baseline, n, t, tmp)
                if old is not None:
                    print(f"  HiGHS alone on the {args.baseline} LP            {old[0]:8.2f} s  ({old[1]:.2f} s CPU; "
                          f"objective {old[2]:.9g})")
                    print(f"  HiGHS on the new LP / on the old LP: aggregated {f['alone'] / old[0]:.2f} "
                          f"(CPU {f['alone_cpu'] / old[1]:.2f}), solver LP {f['plain'] / old[0]:.2f} "
                          f"(CPU {f['plain_cpu'] / old[1]:.2f})")
            sys.stdout.flush()
    if not args.skip_cli:
        secs = cli_seconds()
        print(f"bare `balkhash plan` on the default basin, process start to exit: "
              f"{min(secs):.2f} s best, {sum(secs) / len(secs):.2f} s mean of {len(secs)}")


if __name__ == "__main__":
    main()
