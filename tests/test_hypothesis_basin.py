"""Random valid basins (tests/strategies.py) load, validate clean and round-trip exactly; breaking
one in a way the validator must catch is always reported."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from basin_factory import write_basin
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import basins

from balkhash.network.errors import BasinError
from balkhash.network.io import basin_to_dict, iter_flow_series, load_basin, parse_basin, save_basin
from balkhash.network.series import depth_mm, flow_mm3
from balkhash.network.validate import build_graph, check_basin

SETTINGS = settings(max_examples=40, deadline=None)


def resolved(basin) -> dict:
    tl = basin.timeline()
    out = {(w, f): flow_mm3(fs, basin, tl) for w, f, fs in iter_flow_series(basin)}
    for n in basin.nodes:
        for f in ("evaporation_mm", "precipitation_mm"):
            if getattr(n, f, None) is not None:
                out[(n.id, f)] = depth_mm(getattr(n, f), basin, tl)
    return out


@SETTINGS
@given(data=basins())
def test_random_basins_load_validate_and_round_trip(data):
    with tempfile.TemporaryDirectory() as tmp:
        src = write_basin(Path(tmp) / "src", data)
        first = load_basin(src)  # raises BasinError on any problem
        assert check_basin(first, "basin.yaml") == []

        g = build_graph(first)
        assert nx.is_directed_acyclic_graph(g)
        assert nx.number_weakly_connected_components(g) == 1
        terminals = [n.id for n in first.nodes if n.type in ("lake", "sink")]
        assert len(terminals) == 1

        second = load_basin(save_basin(first, Path(tmp) / "copy"))
        assert basin_to_dict(second) == basin_to_dict(first)
        a, b = resolved(first), resolved(second)
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=str(k))
            assert len(a[k]) == first.calendar.periods
            assert np.all(a[k] >= 0)
        # the plain dict itself is a fixed point of parse -> dump
        again = parse_basin(basin_to_dict(first), "basin.yaml")
        assert basin_to_dict(again) == basin_to_dict(first)


def _problems(data: dict) -> list:
    with tempfile.TemporaryDirectory() as tmp:
        with pytest.raises(BasinError) as info:
            load_basin(write_basin(Path(tmp), data))
        return info.value.problems


@SETTINGS
@given(data=basins(), pick=st.randoms(use_true_random=False))
def test_a_link_back_upstream_is_accepted(data, pick):
    """Adding a link from a node to one of its ancestors makes a cycle, which a basin may hold
    (return flows to an aquifer pumped back): the basin stays valid."""
    g = build_graph(parse_basin(data, "basin.yaml"))
    candidates = [(u, v) for u in g for v in nx.ancestors(g, u)
                  if _type(data, u) not in ("demand", "lake", "sink") and _type(data, v) != "inflow"]
    assume(candidates)
    u, v = pick.choice(sorted(candidates))
    broken = copy.deepcopy(data)
    broken["links"].append({"id": "BACK", "from": u, "to": v})
    with tempfile.TemporaryDirectory() as tmp:
        basin = load_basin(write_basin(Path(tmp), broken))
    assert nx.has_path(build_graph(basin), v, u)
    assert basin.link("BACK").to == v


@SETTINGS
@given(data=basins(), pick=st.randoms(use_true_random=False))
def test_a_removed_return_is_reported(data, pick):
    demands = [n for n in data["nodes"] if n["type"] == "demand" and n["consumptive_fraction"] < 1]
    assume(demands)
    broken = copy.deepcopy(data)
    d = pick.choice(sorted(n["id"] for n in demands))
    del next(n for n in broken["nodes"] if n["id"] == d)["return_to"]
    problems = _problems(broken)
    assert [(p.where, p.field) for p in problems] == [(f"node '{d}'", "return_to")]


def _type(data: dict, ident: str) -> str:
    return next(n["type"] for n in data["nodes"] if n["id"] == ident)
