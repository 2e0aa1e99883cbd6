"""Engine benchmark: build, load, HiGHS run and extract times on a synthetic basin, against the
same LP written to MPS and solved by highspy alone; and a bare `balkhash plan` end to end.

    python benchmarks/engine.py [--nodes 300] [--periods 365] [--skip-cli]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def engine_figures(n_nodes: int, periods: int) -> dict:
    import highspy
    from synthetic import synthetic_basin

    from balkhash.allocation.solve import Allocation
    from balkhash.network.io import parse_basin

    basin = parse_basin(synthetic_basin(n_nodes, periods), "synthetic.yaml")
    t0 = time.perf_counter()
    alloc = Allocation(basin)
    sol = alloc.solve()
    total = time.perf_counter() - t0
    tm = sol.timings
    with tempfile.TemporaryDirectory() as tmp:
        mps = os.path.join(tmp, "model.mps")
        alloc.backend.highs.writeModel(mps)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        t1 = time.perf_counter()
        h.readModel(mps)
        t_read = time.perf_counter() - t1
        t1 = time.perf_counter()
        h.run()
        t_alone = time.perf_counter() - t1
        alone_obj = h.getInfo().objective_function_value
    # the same LP as a Pyomo model (LP export, inspection; not on the solve path) and its compile
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    from balkhash.allocation.gcpause import gc_paused

    t1 = time.perf_counter()
    pyomo_model = alloc.pyomo_model()
    t_pyomo = time.perf_counter() - t1
    t1 = time.perf_counter()
    with gc_paused():
        LinearStandardFormCompiler().write(pyomo_model, mixed_form=True)
    t_pyomo_compile = time.perf_counter() - t1
    del pyomo_model
    alloc._pyomo = None
    # persistent re-solve after a 10 % change of one inflow vs a rebuild
    node = next(iter(alloc.data.inflow))
    t1 = time.perf_counter()
    alloc.set_inflow(node, alloc.data.inflow[node] * 1.1)
    alloc.solve()
    t_resolve = time.perf_counter() - t1
    return {
        "rows": alloc.backend.num_rows, "cols": alloc.backend.num_cols,
        "build": tm["build"], "compile": tm["compile"], "load": tm["load"], "highs": tm["solve"],
        "extract": tm["extract"], "total": total, "alone_read": t_read, "alone_run": t_alone,
        "ratio": total / t_alone, "objective": sol.objective, "alone_objective": alone_obj,
        "resolve": t_resolve, "pyomo_build": t_pyomo, "pyomo_compile": t_pyomo_compile,
    }


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
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nodes", type=int, default=300)
    ap.add_argument("--periods", type=int, default=365)
    ap.add_argument("--skip-cli", action="store_true")
    args = ap.parse_args()
    f = engine_figures(args.nodes, args.periods)
    print(f"synthetic basin: {args.nodes} nodes x {args.periods} monthly periods "
          f"-> LP {f['rows']:,} rows x {f['cols']:,} columns")
    for key, label in [("build", "build (basin data + recorded LP)"), ("compile", "assemble sparse matrices"),
                       ("load", "load into HiGHS"), ("highs", "HiGHS run"), ("extract", "extract tables"),
                       ("total", "total")]:
        print(f"  {label:38s} {f[key]:8.2f} s")
    print(f"  {'HiGHS alone on the MPS (run)':38s} {f['alone_run']:8.2f} s   (read {f['alone_read']:.2f} s)")
    print(f"  ratio total / HiGHS alone             {f['ratio']:8.2f}")
    print(f"  objective balkhash / alone            {f['objective']:.6g} / {f['alone_objective']:.6g}")
    print(f"  for reference, the same LP as a Pyomo model: build {f['pyomo_build']:.2f} s, "
          f"Pyomo standard-form compile {f['pyomo_compile']:.2f} s")
    print(f"  persistent re-solve after an inflow change {f['resolve']:.2f} s "
          f"(vs {f['total']:.2f} s build + solve: {f['total'] / f['resolve']:.1f}x)")
    if not args.skip_cli:
        secs = cli_seconds()
        print(f"bare `balkhash plan` on the default basin, process start to exit: "
              f"{min(secs):.2f} s best, {sum(secs) / len(secs):.2f} s mean of {len(secs)}")


if __name__ == "__main__":
    main()
