"""Ensemble benchmark: members per second on the default basin over a 15-year horizon.

* the model: build of the 15-year (180-month) LP, its first (cold) solve;
* one member, split: setting the inflows of the 13 driven nodes, the warm HiGHS re-solve, the
  arrays read from the column values; and, for comparison, building the full result tables of
  the same solution (what ``Allocation.solve()`` does on top of the solve);
* serial: ``--serial`` members in this process (``run_ensemble(workers=0)``);
* Dask: ``--members`` members on a LocalCluster of ``--workers`` single-threaded processes (the
  cluster start is timed apart), the peak resident memory of each worker (``ru_maxrss``);
* rolling and step mode: ``--rolling`` members (one persistent simulator per worker).

Medians over the members.  The machine may be shared: run it when it is idle.

    python benchmarks/ensemble.py [--members 1000] [--serial 200] [--workers 2] [--rolling 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=1000)
    ap.add_argument("--serial", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rolling", type=int, default=10)
    ap.add_argument("--years", type=int, default=15)
    args = ap.parse_args()

    from balkhash.allocation.results import extract_tables
    from balkhash.data import default_basin_path
    from balkhash.ensemble.generator import fit_record
    from balkhash.ensemble.members import MemberModel
    from balkhash.ensemble.runner import run_ensemble, spec_for
    from balkhash.network import load_basin
    from balkhash.scenarios import apply_scenario
    from balkhash.scenarios.schema import Scenario

    base = load_basin(default_basin_path())
    basin = apply_scenario(base, Scenario(name="bench", years=args.years, start_water_year=2025))
    gen = fit_record(base)
    print(f"default basin, {args.years} water years ({12 * args.years} months), generator fitted to 2010-2020")

    t0 = time.perf_counter()
    model = MemberModel(spec_for(basin, gen))
    t1 = time.perf_counter()
    lp = model.lp
    print(f"model: {lp.ncols} columns, {lp.nrows} rows; build + first solve {t1 - t0:.2f} s")

    q = gen.sample(60, args.years, seed=1, first_water_year=2025)
    t_set, t_solve, t_arr, t_tab = [], [], [], []
    model.reset()
    for qm in q:
        a = time.perf_counter()
        for n, v in model.inflows(qm).items():
            model.model.set("inflow", n, v)
        b = time.perf_counter()
        model.model.backend.solve()
        c = time.perf_counter()
        model.arrays_from_solution(model.model.backend.col_value)
        d = time.perf_counter()
        extract_tables(model.data, lp, model.model.backend.col_value, model.model.backend.row_dual)
        e = time.perf_counter()
        t_set.append(b - a)
        t_solve.append(c - b)
        t_arr.append(d - c)
        t_tab.append(e - d)
    med = {k: 1000 * float(np.median(v)) for k, v in
           (("set", t_set), ("solve", t_solve), ("arrays", t_arr), ("tables", t_tab))}
    print(f"one member (median of 60, ms): set inflows {med['set']:.1f}, warm solve {med['solve']:.1f}, "
          f"arrays {med['arrays']:.2f}; the full result tables would add {med['tables']:.1f}")

    res = run_ensemble(basin, args.serial, seed=0, generator=gen, workers=0)
    tm = res.timings
    print(f"serial: {args.serial} members in {tm['members']:.1f} s = {tm['members_per_second']:.2f} members/s "
          f"(solve + arrays per member, median {1000 * tm['solve_median']:.0f} ms)")

    from dask.distributed import Client, LocalCluster

    from balkhash.ensemble.distributed import worker_memory

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    start = time.perf_counter() - t0
    try:
        res = run_ensemble(basin, args.members, seed=0, generator=gen, client=client)
        tm = res.timings
        mem = worker_memory(client)
        print(f"dask, {args.workers} workers: {args.members} members x {args.years} years in {tm['members']:.1f} s "
              f"= {tm['members_per_second']:.2f} members/s (cluster start {start:.1f} s, not included); "
              f"worker peak memory {', '.join(f'{v:.0f}' for v in mem.values())} MB")
        ok = sum(s == "optimal" for s in res.arrays["status"])
        print(f"  {ok} of {args.members} members optimal; goal 1000 x 15 years in <= 100 s: "
              f"{'met' if tm['members'] * 1000 / args.members <= 100 else 'not met'} "
              f"({tm['members'] * 1000 / args.members:.0f} s for 1000)")
        for mode, kw in (("step", {}), ("rolling", {"window": 12, "every": 1})):
            if args.rolling <= 0:
                break
            r = run_ensemble(basin, args.rolling, seed=0, generator=gen, mode=mode, client=client, **kw)
            print(f"dask, {mode} {kw or ''}: {args.rolling} members in {r.timings['members']:.1f} s = "
                  f"{r.timings['members_per_second']:.2f} members/s")
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
