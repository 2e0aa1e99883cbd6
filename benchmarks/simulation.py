"""Simulation-mode benchmark on the Ile-Balkhash default over 15 water years (180 months).

* one warm re-solve of the 12-month model (``Allocation``, a 5 % change of the border inflow,
  then ``solve``): the yardstick of a re-plan;
* rolling horizon, window 12, every 1 (180 re-plans): time per re-plan (the run's wall time over
  its re-plans, window models already built), against that warm re-solve (target <= 3x);
* step mode: periods per second of the whole run (re-plans, carrying the state, the result
  tables and the summary), window models already built (target >= 1,000), and the same without
  the tables (the re-plans alone).

Medians of ``--repeats`` runs, measured in the same process one after the other.

    python benchmarks/simulation.py [--years 15] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def warm_resolve(repeats: int) -> float:
    from balkhash.allocation.solve import Allocation

    alloc = Allocation("ile_balkhash")
    alloc.solve()
    base = np.asarray(alloc.get("inflow", "ILE_CN"), dtype=float)
    times = []
    for i in range(max(repeats * 4, 20)):
        t0 = time.perf_counter()
        alloc.set("inflow", "ILE_CN", base * (1.05 if i % 2 == 0 else 0.95))
        alloc.solve()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def simulation(basin, mode: str, repeats: int, **kw) -> dict:
    from balkhash.simulation import Simulator

    sim = Simulator(basin, mode=mode, **kw)
    first = time.perf_counter()
    sim.solve()  # builds the window models
    first = time.perf_counter() - first
    walls, replans, tables = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sol = sim.solve()
        walls.append(time.perf_counter() - t0)
        replans.append(sol.timings["replan_seconds"])
        tables.append(sol.timings["extract"])
    return {"first": first, "wall": statistics.median(walls), "replan": statistics.median(replans),
            "extract": statistics.median(tables), "replans": sol.timings["replans"], "models": len(sim.models)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--years", type=int, default=15)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--policy", default=None, help="the allocation policy (default: the basin's, water_code)")
    args = ap.parse_args()

    from balkhash.allocation.solve import _as_basin
    from balkhash.scenarios import Scenario, apply_scenario

    basin = apply_scenario(_as_basin("ile_balkhash"), Scenario(name="bench", years=args.years))
    if args.policy is not None:
        basin.options.policy = args.policy
    T = 12 * args.years
    warm = warm_resolve(args.repeats)
    roll = simulation(basin, "rolling", args.repeats, window=12, every=1, forecast="climatology")
    step = simulation(basin, "step", args.repeats)
    print(f"Ile-Balkhash default, {args.years} water years ({T} months), policy {basin.options.policy}; "
          f"medians of {args.repeats} runs")
    print(f"  warm re-solve of the 12-month model            {warm * 1e3:8.2f} ms")
    print(f"  rolling (window 12, every 1): {roll['replans']} re-plans, {roll['models']} window models "
          f"(built in the first run, {roll['first']:.2f} s)")
    print(f"    per re-plan                                  {roll['replan'] * 1e3:8.2f} ms  "
          f"= {roll['replan'] / warm:.2f} x the warm re-solve (target <= 3)")
    print(f"    whole run incl. tables                       {roll['wall']:8.3f} s")
    print(f"  step: {step['replans']} steps, {step['models']} window models")
    print(f"    whole run incl. tables and summary           {step['wall']:8.3f} s  = "
          f"{T / step['wall']:7.0f} periods/s (target >= 1000)")
    print(f"    the steps alone (without the tables)         {step['wall'] - step['extract']:8.3f} s  = "
          f"{T / (step['wall'] - step['extract']):7.0f} periods/s")


if __name__ == "__main__":
    main()
