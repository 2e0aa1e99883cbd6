#!/usr/bin/env python
"""Derive the level-area-volume tables of the Ile-Balkhash default basin and print them as YAML.

The tables in ``balkhash/data/ile_balkhash/basin.yaml`` are not published anywhere as tables;
this script builds them from the few published numbers, so they can be checked and rebuilt:

* **Lake Balkhash** - the fitted storage curve of the data brief (shared/basin/sources.md,
  "Derived / fitted")::

      V(h) = 100 + 16.7 (h - 341.5) + 0.8 (h - 341.5)^2      km3
      A(h) = dV/dh = 16 700 + 1 600 (h - 341.5)              km2

  tabulated at 338 .. 345 m BS every 0.25 m.

* **Kapshagay** - a smooth area-level curve with, from the sources:
  design volume 28.14 km3 and area 1 847 km2 at the design normal level 485 m BS (BSE;
  Slovar geogr. nazvaniy), maximum depth 45 m (bottom 440 m, BSE), and the operating range
  min 12 km3 .. max 18.5 km3 (MinWater "100 % full" = 18.5 km3, qazinform 2025-05-05) spanning
  the ~4 m level swing of the BSE ("level fluctuates within 4 m").  The operating levels are an
  assumption (475.5 .. 479.5 m).  The area at each row is chosen by a small quadratic programme
  (smoothest increasing curve, zero at the bottom, SLSQP) meeting those volumes exactly; volumes are
  the trapezoid integral of the area.

* **Ile delta wetland** (DELTA_WETLAND) - the area grows with the flooding: 952 km2 of
  permanent lakes at 0 m (the five of the 16 lake systems that remain, roadmap: 5/16 of the 1970
  area), the delta's area today 1 876 km2 at 1 m and its 1970 area 3 046 km2 at 2 m (roadmap;
  the depths are an assumption), linear in between; volumes by the trapezoid rule.

* **Kapshagay release schedule** - the LP is indifferent to the release pattern in a mean year
  (nothing binds), so without a rule it releases in bursts.  The basin therefore carries a soft
  minimum release on the dam link (target KAPSHAGAY_RELEASE, tiny penalty) equal to 98 % of a
  reference release: the mean-year net inflow of the reservoir (inflow nodes upstream minus the
  upstream users' consumption, the direct intakes from the reservoir and the evaporation at
  ~1 650 km2) released with the observed release profile ``kapchagay_release_observed`` of the
  brief read as a shape of the release rate (Oct-May ~350 m3/s, Jun-Sep ~715 m3/s).  September
  max storage = initial storage (cyclic mean year).
  Needs the basin itself: rerun after editing the inflows or users and paste the new numbers.

* **Moinak release schedule** - the same for Bestyube: a soft minimum release on the MOINAK link
  (target MOINAK_RELEASE) of 98 % of the Charyn inflow capped at the turbine limit 65 m3/s
  (run-of-river operation), so that the plant does not spill in a mean year for no reason.

Run:  .venv/bin/python tools/ile_balkhash_tables.py            (prints the tables)
      .venv/bin/python tools/ile_balkhash_tables.py --check    (also prints checks)
      .venv/bin/python tools/ile_balkhash_tables.py --verify   (exit 1 if basin.yaml differs)
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.optimize import minimize

# -- Lake Balkhash -----------------------------------------------------------------------------
H_REF = 341.5


def balkhash_volume_km3(h):
    d = np.asarray(h, dtype=float) - H_REF
    return 100.0 + 16.7 * d + 0.8 * d**2


def balkhash_area_km2(h):
    d = np.asarray(h, dtype=float) - H_REF
    return 16700.0 + 1600.0 * d


def balkhash_table():
    levels = np.round(np.arange(338.0, 345.0001, 0.25), 2)
    return levels, balkhash_area_km2(levels), balkhash_volume_km3(levels)


def balkhash_equilibrium_inflow_km3(h, evap_mm=1000.0, precip_mm=187.0, gw_km3=0.9):
    """Surface inflow (km3/yr) that holds the lake at level h: (E - P) A - GW."""
    return (evap_mm - precip_mm) / 1000.0 * balkhash_area_km2(h) / 1000.0 - gw_km3


# -- Kapshagay -----------------------------------------------------------------------------------
KAP_BOTTOM = 440.0  # 485 m design level - 45 m maximum depth (BSE)
KAP_DESIGN_LEVEL = 485.0
KAP_DESIGN_VOLUME = 28.14  # km3
KAP_DESIGN_AREA = 1847.0  # km2
KAP_MIN_LEVEL, KAP_MIN_VOLUME = 475.5, 12.0  # assumption: level; volume: brief
KAP_MAX_LEVEL, KAP_MAX_VOLUME = 479.5, 18.5  # assumption: level; volume: MinWater 2025


def kapshagay_levels():
    lower = [440.0, 445.0, 450.0, 455.0, 460.0, 465.0, 468.0, 470.0, 472.0, 474.0]
    upper = list(np.arange(475.0, 485.0001, 0.5))
    return np.array(sorted(set(lower + [round(x, 1) for x in upper])))


def _volumes(levels, areas):
    """km3 at each level: trapezoid integral of the area (km2 x m / 1000)."""
    seg = np.diff(levels) * (areas[1:] + areas[:-1]) / 2.0 / 1000.0
    return np.concatenate([[0.0], np.cumsum(seg)])


def kapshagay_table():
    lv = kapshagay_levels()
    i_min = int(np.where(np.isclose(lv, KAP_MIN_LEVEL))[0][0])
    i_max = int(np.where(np.isclose(lv, KAP_MAX_LEVEL))[0][0])

    def rough(a):
        # second differences of area over level, per unequal spacing
        slope = np.diff(a) / np.diff(lv)
        return float(np.sum(np.diff(slope) ** 2))

    cons = [
        {"type": "eq", "fun": lambda a: a[0]},
        {"type": "eq", "fun": lambda a: a[-1] - KAP_DESIGN_AREA},
        {"type": "eq", "fun": lambda a: _volumes(lv, a)[-1] - KAP_DESIGN_VOLUME},
        {"type": "eq", "fun": lambda a: _volumes(lv, a)[i_min] - KAP_MIN_VOLUME},
        {"type": "eq", "fun": lambda a: _volumes(lv, a)[i_max] - KAP_MAX_VOLUME},
        {"type": "ineq", "fun": lambda a: np.diff(a) - 1.0},  # increasing (>= 1 km2 per row)
    ]
    a0 = KAP_DESIGN_AREA * ((lv - KAP_BOTTOM) / (KAP_DESIGN_LEVEL - KAP_BOTTOM)) ** 2
    res = minimize(rough, a0, constraints=cons, method="SLSQP", options={"maxiter": 2000, "ftol": 1e-12})
    if not res.success:
        raise RuntimeError(res.message)
    areas = np.maximum(np.round(res.x, 1), 0.0)
    areas[0], areas[-1] = 0.0, KAP_DESIGN_AREA
    vols = np.round(_volumes(lv, areas), 3)
    return lv, areas, vols


# -- Ile delta wetland ------------------------------------------------------------------------
DELTA_AREA_1970_KM2 = 3046.0  # roadmap: the delta's area in 1970
DELTA_AREA_NOW_KM2 = 1876.0   # roadmap: its area now
DELTA_LAKE_SYSTEMS_LEFT = 5 / 16  # roadmap: of 16 lake systems only five remain


def delta_wetland_table():
    """Level (m of flooding, a local datum), area (km2) and volume (km3) of the delta wetland."""
    lv = np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    a0 = DELTA_AREA_1970_KM2 * DELTA_LAKE_SYSTEMS_LEFT
    areas = np.interp(lv, [0.0, 1.0, 2.0], [a0, DELTA_AREA_NOW_KM2, DELTA_AREA_1970_KM2])
    areas = np.round(areas, 0)
    vols = np.round(_volumes(lv, areas), 4)
    return lv, areas, vols


# -- Kapshagay rule curve -----------------------------------------------------------------------
BASIN_DIR = "balkhash/data/ile_balkhash"
RELEASE_SHARE = 0.98
UPSTREAM_INFLOWS = ["ILE_CN", "CHARYN", "CHARYN_LOWER", "CHILIK", "LOCAL_RESIDUAL", "TURGEN", "ISSYK", "TALGAR",
                    "KASKELEN"]


def kapshagay_reference(basin_dir: str = BASIN_DIR, area_km2: float = 1650.0):
    """(calendar months, reference storage km3 at the end of each period, release m3/s)."""
    from balkhash.network import load_basin
    from balkhash.network.series import depth_mm, flow_mm3, profile_values

    b = load_basin(basin_dir)
    tl = b.timeline()

    def series(node, field):
        return flow_mm3(getattr(b.node(node), field), b, tl)

    def consumed(node):  # share not returning upstream of (or into) Kapshagay
        n = b.node(node)
        return 1.0 if n.return_to != "KAPSHAGAY" else n.consumptive_fraction

    net = sum(series(n, "inflow") for n in UPSTREAM_INFLOWS)
    bak = series("BAK_IRR", "target")
    bak = bak * min(1.0, b.link("BAK").annual_capacity.annual * 1000.0 / bak.sum())
    net = net - consumed("BAK_IRR") * bak
    for d in ("IRR_ZAILIY", "UTIL_ALMATY", "IND_ALMATY"):
        net = net - consumed(d) * series(d, "target")
    for d in ("SHENGELDY", "UTIL_KAPSHAGAY"):
        net = net - series(d, "target")
    kap = b.node("KAPSHAGAY")
    net = net - depth_mm(kap.evaporation_mm, b, tl) * area_km2 / 1000.0
    # the profile read as a shape of the release RATE (equal values = equal m3/s), so February
    # does not get a higher rate for the same volume
    weight = profile_values("kapchagay_release_observed", b)[tl.month_index] * tl.days
    release = net.sum() * weight / weight.sum()
    storage = kap.initial_storage.mm3 + np.cumsum(net - release)
    return [m for _, m in tl.months], storage / 1000.0, release * 1e6 / 86400.0 / tl.days


def kapshagay_release_rule(basin_dir: str = BASIN_DIR, share: float = RELEASE_SHARE):
    """Soft minimum release of Kapshagay by calendar month Jan..Dec (m3/s): share x reference."""
    months, _, rel = kapshagay_reference(basin_dir)
    out = [0.0] * 12
    for m, q in zip(months, rel, strict=True):
        out[m - 1] = round(float(share * q))
    return out


def moinak_release_rule(basin_dir: str = BASIN_DIR, share: float = RELEASE_SHARE, turbine_m3s: float = 65.0):
    """Soft minimum release of Bestyube into the Moinak tunnel by calendar month Jan..Dec (m3/s)."""
    from balkhash.network import load_basin
    from balkhash.network.series import profile_values

    b = load_basin(basin_dir)
    fs = b.node("CHARYN").inflow
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    q = fs.annual * fs.factor * profile_values(fs.profile, b) * 1e6 / 86400.0 / days
    return [round(float(share * min(x, turbine_m3s))) for x in q]


# -- output -------------------------------------------------------------------------------------
def _fmt(values, nd):
    return "[" + ", ".join(f"{v:.{nd}f}".rstrip("0").rstrip(".") if nd else f"{v:.0f}" for v in values) + "]"


def verify(basin_dir: str = BASIN_DIR) -> list[str]:
    """Differences between basin.yaml and what this script generates (empty when in step)."""
    from balkhash.network import load_basin

    b = load_basin(basin_dir)
    out = []

    def same(label, got, want, tol):
        got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
        if got.shape != want.shape or np.max(np.abs(got - want)) > tol:
            out.append(f"{label}: basin has {got.tolist()}, generated {want.tolist()}")

    for node, (lv, ar, vo) in (("BALKHASH", balkhash_table()), ("KAPSHAGAY", kapshagay_table()),
                               ("DELTA_WETLAND", delta_wetland_table())):
        t = b.node(node).table
        same(f"{node} level_m", t.level_m, lv, 1e-9)
        same(f"{node} area_km2", t.area_km2, ar, 0.051)
        same(f"{node} volume", t.volume, vo, 0.0006)
    targets = {t.id: t for t in b.targets}
    same("KAPSHAGAY_RELEASE", targets["KAPSHAGAY_RELEASE"].min_flow.monthly, kapshagay_release_rule(basin_dir), 0.5)
    same("MOINAK_RELEASE", targets["MOINAK_RELEASE"].min_flow.monthly, moinak_release_rule(basin_dir), 0.5)
    return out


def main(argv: list[str]) -> int:
    if "--verify" in argv:
        diffs = verify()
        for d in diffs:
            print(d)
        print("basin.yaml is in step with the generated numbers" if not diffs else f"{len(diffs)} difference(s)")
        return 1 if diffs else 0
    lv, ar, vo = balkhash_table()
    print("# Lake Balkhash (volume_unit km3)")
    print(f"level_m: {_fmt(lv, 2)}")
    print(f"area_km2: {_fmt(ar, 0)}")
    print(f"volume: {_fmt(vo, 3)}")
    lv, ar, vo = kapshagay_table()
    print("\n# Kapshagay (volume_unit km3)")
    print(f"level_m: {_fmt(lv, 1)}")
    print(f"area_km2: {_fmt(ar, 1)}")
    print(f"volume: {_fmt(vo, 3)}")
    lv, ar, vo = delta_wetland_table()
    print("\n# Ile delta wetland (volume_unit km3)")
    print(f"level_m: {_fmt(lv, 1)}")
    print(f"area_km2: {_fmt(ar, 0)}")
    print(f"volume: {_fmt(vo, 4)}")
    try:
        rule = kapshagay_release_rule()
        print("\n# Kapshagay soft minimum release (target KAPSHAGAY_RELEASE, m3/s, Jan..Dec)")
        print(f"min_flow: {{unit: m3/s, monthly: {_fmt(rule, 0)}}}")
        rule = moinak_release_rule()
        print("\n# Moinak soft minimum release (target MOINAK_RELEASE, m3/s, Jan..Dec)")
        print(f"min_flow: {{unit: m3/s, monthly: {_fmt(rule, 0)}}}")
    except Exception as exc:  # the basin may not load while it is being edited
        print(f"\n# release schedules not computed: {exc}")
    if "--check" in argv:
        print("\n# checks")
        for h in (340.0, 340.64, 341.0, 341.5, 342.0):
            print(f"Balkhash equilibrium surface inflow at {h} m: {balkhash_equilibrium_inflow_km3(h):.2f} km3/yr")
        d = dict(zip(lv, vo, strict=True))
        print(f"Kapshagay V(475.5)={d[475.5]} V(479.5)={d[479.5]} V(485)={d[485.0]} km3; "
              f"A(485)={ar[-1]} km2; mean depth {28.14e3 / ar[-1]:.1f} m")
        months, ref, rel = kapshagay_reference()
        print("Kapshagay reference storage (km3):", {m: round(float(v), 2) for m, v in zip(months, ref, strict=True)})
        print("Kapshagay reference release (m3/s):", {m: round(float(v)) for m, v in zip(months, rel, strict=True)})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
