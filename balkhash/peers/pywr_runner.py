"""Run a Pywr model and write its results as JSON: ``python pywr_runner.py MODEL.json OUT.json``.

Run by an interpreter that has Pywr installed (not necessarily balkhash's: Pywr 1.31 wants an older
pandas), from :func:`balkhash.peers.pywr_export.run_pywr`.  It imports nothing of balkhash.  The
output: ``days`` per timestep, ``flow`` (every node's flow per day, per timestep), ``volume``
(every storage's volume at the end of each timestep), ``seconds`` (the run, without loading) and
``pywr`` (the version).  ``--solver`` picks Pywr's solver (default ``glpk-edge``: no route
enumeration at setup, which takes Pywr's route-based ``glpk`` 20 s on the default basin).  With
``--repeat N`` the model is run N times (each after a reset) and ``seconds`` is the total.
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    import pywr  # type: ignore[import-not-found]
    from pywr.core import Storage  # type: ignore[import-not-found]
    from pywr.model import Model  # type: ignore[import-not-found]

    model_path, out_path = argv[0], argv[1]
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 1
    solver = argv[argv.index("--solver") + 1] if "--solver" in argv else "glpk-edge"
    t0 = time.perf_counter()
    model = Model.load(model_path, solver=solver)
    load_s = time.perf_counter() - t0
    nodes = [n for n in model.nodes if not n.name.startswith("_")]
    flow: dict[str, list[float]] = {}
    volume: dict[str, list[float]] = {}
    days: list[float] = []
    steps = len(model.timestepper)
    t0 = time.perf_counter()
    for r in range(repeat):
        model.setup() if r == 0 else model.reset()
        record = r == repeat - 1
        if record:
            flow = {n.name: [] for n in nodes if not isinstance(n, Storage)}
            volume = {n.name: [] for n in nodes if isinstance(n, Storage)}
            days = []
        for _ in range(steps):
            model.step()
            if record:
                days.append(float(model.timestepper.current.days))
                for n in nodes:
                    (volume if isinstance(n, Storage) else flow)[n.name].append(float(n.volume[0] if isinstance(
                        n, Storage) else n.flow[0]))
    seconds = time.perf_counter() - t0
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump({"days": days, "flow": flow, "volume": volume, "seconds": seconds, "load_seconds": load_s,
                   "repeat": repeat, "pywr": pywr.__version__, "solver": model.solver.name}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
