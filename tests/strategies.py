"""Hypothesis strategies for random valid basins, as the plain dicts a ``basin.yaml`` holds.

:func:`basins` draws tree-shaped basins: inner nodes (junctions and reservoirs) form an in-tree
draining to one terminal, either a sink or a lake with a big level-area-volume table (at least
6 m deep, initial level in its upper half).  Inflow nodes feed the tree (every inner node without
an upstream node gets one); demands hang off inflows, junctions or reservoirs and return their
non-consumed water to a node strictly downstream of their supplier, so the graph stays acyclic
and connected.  Flows use random units: ``m3/s`` and ``Mm3/month`` (constant or 12 monthly
values) and ``km3/yr`` / ``Mm3/yr`` with a named, inline or day-share profile.

Every drawn basin passes :func:`balkhash.network.validate.check_basin`.  Values are kept so that a
water balance is plausible and the allocation LP is feasible: links of the tree have no capacity
and no minimum flow (surplus can always go downstream), capacities only limit the links into
demands, reservoirs start well above their minimum with modest evaporation, the lake is large
compared with the flows, and every target is soft.
"""

from __future__ import annotations

from hypothesis import strategies as st

SECTORS = ("agriculture", "industry", "utilities", "fisheries", "environment", "other")


def _num(draw, lo: int, hi: int, scale: float = 1.0) -> float:
    """A 'round' number: an integer in [lo, hi] divided by ``scale`` (exact in YAML)."""
    return draw(st.integers(lo, hi)) / scale


def _fractions(draw) -> list[float]:
    """12 non-negative fractions summing to 1 (at least one month positive)."""
    weights = draw(st.lists(st.integers(0, 20), min_size=12, max_size=12).filter(lambda w: sum(w) > 0))
    total = sum(weights)
    return [w / total for w in weights]


def _flow(draw, mm3_lo: float, mm3_hi: float, profiles: list[str]):
    """A flow series of roughly mm3_lo..mm3_hi Mm3 per month in one of the accepted forms."""
    form = draw(st.sampled_from(["m3s", "mm3_month", "monthly_m3s", "monthly_mm3", "km3_yr", "mm3_yr"]))
    lo, hi = int(mm3_lo * 100), int(mm3_hi * 100)
    if form == "m3s":  # 1 m3/s ~ 2.6 Mm3/month
        return f"{_num(draw, lo, hi, 260.0)!r} m3/s"
    if form == "mm3_month":
        return f"{_num(draw, lo, hi, 100.0)!r} Mm3/month"
    if form == "monthly_m3s":
        return {"unit": "m3/s", "monthly": [_num(draw, lo, hi, 260.0) for _ in range(12)]}
    if form == "monthly_mm3":
        return {"unit": "Mm3/month", "monthly": [_num(draw, lo, hi, 100.0) for _ in range(12)]}
    profile = draw(st.sampled_from([*profiles, "inline", "days"]))
    if form == "km3_yr":
        out: dict = {"unit": "km3/yr", "annual": _num(draw, lo * 12 // 1000, hi * 12 // 1000 + 1, 100.0)}
    else:  # at least 0.1 Mm3/yr when not 0: a month's share (>= 1/240) stays above the resolution, 1e-4 Mm3
        annual = _num(draw, lo * 12, hi * 12, 100.0)
        out = {"unit": "Mm3/yr", "annual": annual if annual == 0 or annual >= 0.1 else 0.1}
    if profile == "inline":
        out["profile"] = _fractions(draw)
    elif profile != "days":
        out["profile"] = profile
    return out


def _depth(draw, lo: int, hi: int, profiles: list[str]):
    """Monthly depths in mm: 12 values, or an annual depth with a profile (or by days)."""
    if draw(st.booleans()):
        return [float(draw(st.integers(lo // 12, hi // 12))) for _ in range(12)]
    out: dict = {"annual": float(draw(st.integers(lo, hi)))}
    profile = draw(st.sampled_from([*profiles, "days"]))
    if profile != "days":
        out["profile"] = profile
    return out


def _table(draw, rows: int, level0: float, step_m: tuple[int, int], area0: tuple[int, int],
           darea: tuple[int, int]) -> dict:
    """A level-area-volume table in Mm3, volume 0 at the lowest level; volume grows by the mean
    area x level step, so the table is consistent."""
    levels, areas, volumes = [level0], [float(draw(st.integers(*area0)))], [0.0]
    for _ in range(rows - 1):
        dh = float(draw(st.integers(*step_m)))
        a = areas[-1] + float(draw(st.integers(*darea)))
        volumes.append(volumes[-1] + (areas[-1] + a) / 2.0 * dh)  # km2 x m = Mm3
        levels.append(levels[-1] + dh)
        areas.append(a)
    return {"level_m": levels, "area_km2": areas, "volume": volumes, "volume_unit": "Mm3"}


@st.composite
def _basin(draw, max_inner: int, max_demands: int) -> dict:
    # calendar and profiles
    year = draw(st.integers(2020, 2030))
    month = draw(st.integers(1, 12))
    calendar = {
        "start": f"{year}-{month:02d}",
        "periods": draw(st.sampled_from([1, 3, 12, 24])),
        "water_year_start_month": draw(st.sampled_from([1, 10])),
    }
    profiles = {f"P{i}": _fractions(draw) for i in range(draw(st.integers(0, 2)))}
    names = list(profiles)

    # the tree: terminal, then inner nodes each draining to an earlier one
    lake = draw(st.booleans())
    terminal = "LAKE" if lake else "OUT"
    parent: dict[str, str] = {}
    kinds: dict[str, str] = {}
    inner: list[str] = []
    for i in range(draw(st.integers(0, max_inner))):
        kind = draw(st.sampled_from(["junction", "reservoir"]))
        ident = f"{'J' if kind == 'junction' else 'R'}{i + 1}"
        parent[ident] = draw(st.sampled_from([terminal, *inner]))
        kinds[ident] = kind
        inner.append(ident)
    fed = set(parent.values())
    inflows: list[str] = []
    receivers = [terminal, *inner]
    wanted = [x for x in inner if x not in fed]  # every inner node without upstream gets an inflow
    extra = draw(st.integers(1 if not wanted else 0, 2))
    for k in range(len(wanted) + extra):
        ident = f"IN{k + 1}"
        parent[ident] = wanted[k] if k < len(wanted) else draw(st.sampled_from(receivers))
        kinds[ident] = "inflow"
        inflows.append(ident)

    def path(x: str) -> list[str]:  # x, its parent, ..., terminal
        out = [x]
        while out[-1] != terminal:
            out.append(parent[out[-1]])
        return out

    nodes: list[dict] = []
    links: list[dict] = []
    for x in inflows:
        node = {"id": x, "type": "inflow", "inflow": _flow(draw, 5, 80, names)}
        if draw(st.booleans()):
            node["transboundary"] = True
            node["country"] = "CN"
        nodes.append(node)
    reservoirs = []
    for x in inner:
        if kinds[x] == "junction":
            node = {"id": x, "type": "junction"}
            if draw(st.booleans()):
                node["inflow"] = _flow(draw, 0, 10, names)
        else:
            table = _table(draw, draw(st.integers(2, 5)), float(draw(st.integers(300, 900))), (2, 10), (1, 20),
                           (0, 10))
            top = int(table["volume"][-1])
            smax = draw(st.integers(max(2, top // 2), max(2, top)))
            smin = draw(st.integers(0, smax // 4))
            init = draw(st.integers((smin + smax) // 2, smax))
            node = {
                "id": x, "type": "reservoir",
                "min_storage": f"{smin} Mm3", "max_storage": f"{smax} Mm3", "initial_storage": f"{init} Mm3",
                "end_storage": draw(st.sampled_from(["free", "initial", f"{smin} Mm3"])),
            }
            if draw(st.booleans()):
                node["table"] = table
            else:
                node["area_km2"] = float(draw(st.integers(1, 20)))
            if draw(st.booleans()):
                node["evaporation_mm"] = _depth(draw, 0, 120, names)
            if draw(st.booleans()):
                node["rule_curve"] = {"min": [float(smin)] * 12,
                                      "max": [float(draw(st.integers(init, smax))) for _ in range(12)],
                                      "unit": "Mm3"}
            if draw(st.booleans()):
                node["inflow"] = _flow(draw, 0, 10, names)
            reservoirs.append(x)
        nodes.append(node)
    for x in [*inflows, *inner]:
        lk = {"id": f"{x}-{parent[x]}", "from": x, "to": parent[x]}
        if draw(st.booleans()):
            lk["loss_fraction"] = _num(draw, 0, 20, 100.0)
        links.append(lk)

    # demands: fed by an inflow, junction or reservoir; return strictly downstream of the supplier
    for k in range(draw(st.integers(0, max_demands))):
        ident = f"D{k + 1}"
        supplier = draw(st.sampled_from([*inflows, *inner]))
        cf = _num(draw, 0, 100, 100.0)
        node = {"id": ident, "type": "demand", "sector": draw(st.sampled_from(SECTORS)),
                "target": _flow(draw, 0, 30, names), "consumptive_fraction": cf}
        if cf < 1.0 or draw(st.booleans()):
            node["return_to"] = draw(st.sampled_from(path(supplier)[1:]))
        if draw(st.booleans()):
            node["priority"] = draw(st.integers(1, 10))
        else:
            node["shortfall_cost"] = float(draw(st.integers(0, 500)))
        nodes.append(node)
        lk = {"id": f"{supplier}-{ident}", "from": supplier, "to": ident}
        if draw(st.booleans()):
            lk["capacity"] = f"{_num(draw, 1, 3000, 100.0)!r} m3/s"
        if draw(st.booleans()):
            lk["annual_capacity"] = f"{_num(draw, 1, 100, 100.0)!r} km3/yr"
        links.append(lk)

    # the terminal
    targets: list[dict] = []
    if lake:
        table = _table(draw, draw(st.integers(4, 6)), float(draw(st.integers(330, 350))), (2, 5), (1000, 3000),
                       (10, 300))
        levels = table["level_m"]
        mid = (levels[0] + levels[-1]) / 2.0
        node = {"id": "LAKE", "type": "lake", "table": table,
                "initial_level_m": float(draw(st.integers(int(mid), int(levels[-1])))),
                "evaporation_mm": _depth(draw, 0, 1000, names)}
        if draw(st.booleans()):
            node["precipitation_mm"] = _depth(draw, 0, 300, names)
        if draw(st.booleans()):
            node["groundwater_inflow"] = _flow(draw, 0, 5, names)
        nodes.append(node)
        if draw(st.booleans()):
            targets.append({"id": "LAKE-IN", "type": "lake_inflow", "lake": "LAKE",
                            "min_annual_km3": _num(draw, 0, 50, 100.0)})
        if draw(st.booleans()):
            targets.append({"id": "LAKE-LEVEL", "type": "lake_level", "lake": "LAKE",
                            "min_level_m": float(draw(st.integers(int(levels[0]) + 1, int(mid))))})
    else:
        nodes.append({"id": "OUT", "type": "sink"})
    if draw(st.booleans()):
        lk = draw(st.sampled_from(links))
        targets.append({"id": "ECO", "type": "eco_flow", "link": lk["id"], "min_flow": _flow(draw, 0, 5, names),
                        "penalty": float(draw(st.integers(0, 10_000)))})

    hydropower = []
    for x in reservoirs:
        if draw(st.booleans()):
            hydropower.append({"id": f"HPP-{x}", "link": f"{x}-{parent[x]}",
                               "head_m": float(draw(st.integers(5, 100))),
                               "capacity_mw": float(draw(st.integers(1, 500)))})

    # shuffle the node list (file order must not matter)
    order = draw(st.permutations(range(len(nodes))))
    basin = {
        "name": "Random basin",
        "calendar": calendar,
        "profiles": profiles,
        "nodes": [nodes[i] for i in order],
        "links": links,
        "targets": targets,
        "hydropower": hydropower,
    }
    if draw(st.booleans()):
        basin["options"] = {"fair_sharing": draw(st.booleans()), "sharing_blocks": [0.5, 1.0],
                            "sharing_multipliers": [1.0, 3.0]}
    return basin


def basins(max_inner: int = 4, max_demands: int = 3) -> st.SearchStrategy[dict]:
    """A strategy of valid tree-shaped basin dicts (see the module docstring)."""
    return _basin(max_inner, max_demands)
