"""The ensemble in step mode against Pywr running the same basin: members per second and their ratio.

The default basin over ``--years`` water years (15: 180 months), ``--members`` members of the
ensemble's inflow generator (seed 0), each simulated one month at a time:

* balkhash: ``run_ensemble(mode="step", workers=0)`` — one persistent simulator, every member's
  180 monthly LPs re-solved warm in this process;
* Pywr 1.31 (in ``.venv-pywr``, ``make pywr``): the basin written by ``balkhash export pywr``, the
  members as a Pywr scenario of that size (the driven Catchments' flows one column per member), run
  by Pywr's ``glpk-edge`` solver: every timestep solves one LP per member.

Both single-threaded, in the same run, on the same machine.  The two LPs are not the same LP: Pywr
lacks what docs/peers.md lists (the lake's per-year and level targets, the policy's equal shares,
the reservoirs' tie-breaker and end targets, evaporation on the period's mean storage), so the
Pywr model is a little smaller.  The first member's total delivery is printed from both runs.

    python benchmarks/pywr_ratio.py [--members 20] [--years 15]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=20)
    ap.add_argument("--years", type=int, default=15)
    ap.add_argument("--policy", default=None, help="allocation policy of both runs (default: the basin's, "
                    "water_code; 'none': the users' own costs, an LP closer to the one Pywr gets)")
    ap.add_argument("--pywr-venv", default=str(ROOT / ".venv-pywr"))
    args = ap.parse_args()

    from balkhash.data import default_basin_path
    from balkhash.ensemble.generator import fit_record
    from balkhash.ensemble.members import MemberModel
    from balkhash.ensemble.runner import run_ensemble, spec_for
    from balkhash.network import load_basin
    from balkhash.peers.pywr_export import export_pywr, pywr_python, run_pywr
    from balkhash.scenarios import apply_scenario
    from balkhash.scenarios.schema import Scenario

    python = pywr_python(args.pywr_venv)
    base = load_basin(default_basin_path())
    basin = apply_scenario(base, Scenario(name="bench", years=args.years, start_water_year=2025,
                                          policy=args.policy))
    gen = fit_record(base)
    n = args.members
    print(f"default basin, {args.years} water years ({12 * args.years} months), {n} members, step mode, "
          f"policy {args.policy or basin.options.policy}")

    t0 = time.perf_counter()
    res = run_ensemble(basin, n, seed=0, generator=gen, mode="step", workers=0)
    b_total = time.perf_counter() - t0
    b_members = res.timings["members"]
    b_rate = n / b_members

    # the same members' inflows for Pywr: the driven nodes, Mm3 per period -> per day, one column each
    local = MemberModel(spec_for(basin, gen, mode="step"))
    q = gen.sample(n, len(local.water_years), 0, first_water_year=local.water_years[0])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ile_balkhash.json"
        t0 = time.perf_counter()
        ex = export_pywr(basin, path)
        export_s = time.perf_counter() - t0
        model = json.loads(path.read_text(encoding="utf-8"))
        days = np.asarray(local.data.timeline.days, dtype=float)
        index = ex.series.index
        inflows = [local.inflows(q[m]) for m in range(n)]
        driven = list(inflows[0])
        for node in model["nodes"]:
            if node["name"] in driven:
                name = node["name"]
                cols = {f"m{m}": inflows[m][name] / days for m in range(n)}
                pd.DataFrame(cols, index=index).to_csv(Path(tmp) / f"{name}.members.csv", index_label="date")
                node["flow"] = {"type": "dataframe", "url": f"{name}.members.csv", "index_col": 0,
                                "parse_dates": True, "scenario": "members"}
        model["scenarios"] = [{"name": "members", "size": n}]
        path.write_text(json.dumps(model), encoding="utf-8")
        t0 = time.perf_counter()
        out = run_pywr(path, python)
        p_wall = time.perf_counter() - t0
    p_members = out["seconds"]
    p_rate = n / p_members

    deliver = [d for d in ex.demands.values()]
    p_first = float(sum(np.sum(np.asarray(out["flow"][d]) * np.asarray(out["days"])) for d in deliver))
    b_first = float(np.sum(res.arrays["delivered_mm3"][0]))
    print(f"balkhash step: {n} members in {b_members:.2f} s = {b_rate:.2f} members/s "
          f"({b_total - b_members:.2f} s setup: compile, build, first solve)")
    print(f"Pywr {out['pywr']} ({out['solver']}): {n} members in {p_members:.2f} s = {p_rate:.2f} members/s "
          f"(model load {out['load_seconds']:.2f} s; export {export_s:.2f} s; process {p_wall:.2f} s)")
    print(f"ratio balkhash / Pywr: {b_rate / p_rate:.2f}")
    print(f"member 0, total delivery over {args.years} years: balkhash {b_first:.1f} Mm3, Pywr {p_first:.1f} Mm3")


if __name__ == "__main__":
    main()
