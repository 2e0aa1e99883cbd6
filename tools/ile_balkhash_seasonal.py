#!/usr/bin/env python
"""Fit the timing of Lake Balkhash's evaporation to its seasonal level cycle.

The brief's monthly evaporation profile (``lake_evap``, an assumption shaped to qualitative
sources) peaks in July and is 12 % in May; with it the mean-year lake peaks in April, while the
multi-year monthly climatology (chinaxiv_2022) rises from late February to a June peak of
341.99 m and lies at 341.65-341.70 m from September to December: a June peak 0.315 m above a
flat autumn.  A shallow lake's evaporation lags the radiation by its heat storage, so the lake
has its own profile ``balkhash_evap`` (basin.yaml): ``lake_evap`` shifted later by s months
(linear between months, circular), s fitted here to the climatology's shape (the scenario
``brief_evaporation`` in scenarios.yaml sets it back to ``lake_evap``):

    J(s) = (a_Jun(s) - 0.315)^2 + sum_{m in Sep..Dec} (a_m(s) - mean_{Sep..Dec} a(s))^2

where a_m is the mean-year level of month m minus its September-December mean, from the default
basin solved without its lake targets (the level the water gives, as in a hindcast).  The
reservoirs keep ``lake_evap``.

Run:  .venv/bin/python tools/ile_balkhash_seasonal.py            (scan s, print the fit and the profile)
      .venv/bin/python tools/ile_balkhash_seasonal.py --verify   (exit 1 if the data differ)
"""

from __future__ import annotations

import sys

import numpy as np

BASIN_DIR = "balkhash/data/ile_balkhash"
#: the shift of the basin's balkhash_evap (months), from the scan below
SHIFT_MONTHS = 1.0
JUNE_ABOVE_AUTUMN_M = 0.315  # 341.99 m in June against 341.65-341.70 m in September-December
#: periods of the mean year (October first): June, September, October, November, December
JUN, AUTUMN = 8, [11, 0, 1, 2]


def shifted(profile, s: float) -> np.ndarray:
    """``profile`` (12 fractions Jan..Dec) moved s months later, linear between months, summing to 1."""
    p = np.asarray(profile, dtype=float)
    k, f = int(np.floor(s)), s - np.floor(s)
    out = (1.0 - f) * np.roll(p, k) + f * np.roll(p, k + 1)
    return out / out.sum()


def rounded(profile: np.ndarray) -> list[float]:
    """4 decimals, the largest month absorbing the rounding so the 12 sum to 1 exactly."""
    r = np.round(profile, 4)
    r[int(np.argmax(r))] += round(1.0 - float(r.sum()), 4)
    return [float(x) for x in np.round(r, 4)]


def anomalies(s: float, basin_dir: str = BASIN_DIR) -> np.ndarray:
    """The mean-year lake level by period (Oct..Sep) minus its September-December mean, m."""
    from balkhash.allocation.solve import solve
    from balkhash.network import load_basin

    b = load_basin(basin_dir)
    bb = b.model_copy(deep=True)
    bb._base_dir = b._base_dir
    bb.targets = [t for t in bb.targets if t.type not in ("lake_level", "lake_inflow")]
    bb.profiles["balkhash_evap"] = list(shifted(b.profiles["lake_evap"], s))
    lake = bb.node("BALKHASH")
    lake.evaporation_mm = lake.evaporation_mm.model_copy(update={"profile": "balkhash_evap"})
    st = solve(bb).storage
    level = st[st.node == "BALKHASH"]["level_m"].to_numpy()
    return level - level[AUTUMN].mean()


def misfit(a: np.ndarray) -> float:
    autumn = a[AUTUMN]
    return float((a[JUN] - JUNE_ABOVE_AUTUMN_M) ** 2 + ((autumn - autumn.mean()) ** 2).sum())


def verify(basin_dir: str = BASIN_DIR) -> list[str]:
    import yaml

    from balkhash.network import load_basin

    b = load_basin(basin_dir)
    out = []
    want = rounded(shifted(b.profiles["lake_evap"], SHIFT_MONTHS))
    if b.profiles.get("balkhash_evap") != want:
        out.append(f"balkhash_evap: basin has {b.profiles.get('balkhash_evap')}, generated {want}")
    if b.node("BALKHASH").evaporation_mm.profile != "balkhash_evap":
        out.append("BALKHASH evaporation_mm.profile is not 'balkhash_evap'")
    with open(f"{basin_dir}/scenarios.yaml", encoding="utf-8") as fh:
        scenarios = {s["name"]: s for s in yaml.safe_load(fh)["scenarios"]}
    got = scenarios.get("brief_evaporation", {}).get("profiles", {}).get("balkhash_evap")
    if got != b.profiles["lake_evap"]:
        out.append(f"scenario brief_evaporation: balkhash_evap is {got}, the brief's lake_evap is "
                   f"{b.profiles['lake_evap']}")
    return out


def main(argv: list[str]) -> int:
    if "--verify" in argv:
        diffs = verify()
        for d in diffs:
            print(d)
        print("basin.yaml and scenarios.yaml are in step with the fit" if not diffs
              else f"{len(diffs)} difference(s)")
        return 1 if diffs else 0
    months = ["Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep"]
    best = None
    for s in np.round(np.arange(0.0, 2.0001, 0.05), 2):
        a = anomalies(float(s))
        j = misfit(a)
        best = (j, s) if best is None or j < best[0] else best
        print(f"shift {s:4.2f} months: J = {j:.4f}  peak {months[int(np.argmax(a))]}  June {a[JUN]:+.3f} m  "
              f"Sep-Dec spread {np.ptp(a[AUTUMN]):.3f} m")
    assert best is not None
    from balkhash.network import load_basin

    print(f"\nbest shift {best[1]:.2f} months (basin.yaml: {SHIFT_MONTHS})")
    print(f"balkhash_evap (basin.yaml): "
          f"{rounded(shifted(load_basin(BASIN_DIR).profiles['lake_evap'], SHIFT_MONTHS))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
