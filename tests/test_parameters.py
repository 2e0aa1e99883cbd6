"""Named parameters: a change made in place and re-solved warm equals a fresh build and solve.

For random basins and random changes of every parameter kind, the warm path (``Allocation.set``
on a solved model, then ``solve``) is compared with a fresh build from compiled data edited the
same way (the families then read the new numbers as their base values, not through the maps):

* the LP the solver holds is the fresh LP, entry by entry (row bounds, column bounds, costs);
* the optimum is the same, and the warm solution is feasible and optimal for the fresh LP;
* every table column that comes from inputs (targets, inflows, bounds, required values) matches.

``BALKHASH_PARAMETER_EXAMPLES`` sets the number of random basins (default 200).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
from analytical_basins import random_basins
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balkhash.allocation.data import compile_basin
from balkhash.allocation.parameters import ParameterError
from balkhash.allocation.solve import Allocation, SolveError
from balkhash.data import default_basin_path
from balkhash.network.io import load_basin, parse_basin

try:
    from strategies import basins as _shared_basins
except ImportError:  # pragma: no cover
    _shared_basins = None

BASINS = random_basins() if _shared_basins is None else st.one_of(random_basins(), _shared_basins())
EXAMPLES = int(os.environ.get("BALKHASH_PARAMETER_EXAMPLES", "200"))


def edit_data(data, kind: str, key: str, values) -> None:
    """The same change made to compiled data, for a fresh build."""
    v = np.asarray(values, dtype=float)
    by_id = {d.id: d for d in data.demands}
    links = {lk.id: lk for lk in data.links}
    st_ = {s.id: s for s in data.storages}
    tg = data.target_by_id
    if kind == "inflow":
        if key in data.inflow or v.any():
            data.inflow[key] = v
    elif kind == "groundwater":
        data.groundwater[key] = v
    elif kind == "demand":
        by_id[key].target = v
    elif kind == "shortfall_cost":
        by_id[key].cost = float(v)
    elif kind == "capacity":
        links[key].upper = v
    elif kind == "min_flow":
        links[key].lower = v
    elif kind == "link_cost":
        links[key].cost = float(v)
    elif kind == "annual_capacity":
        links[key].annual_cap = float(v)
    elif kind in ("initial_storage", "initial_level"):
        s = st_[key]
        s.s0 = float(s.curve.volume_at(float(v))) if kind == "initial_level" else float(v)
        for t in data.targets:
            if t.type == "end_storage" and t.ref == key and t.follows_initial:
                t.values = s.s0
    elif kind == "storage_min":
        st_[key].lower = v
    elif kind == "storage_max":
        st_[key].upper = v
    elif kind in ("eco_flow", "lake_inflow_target", "end_storage"):
        tg[key].values = v if kind == "eco_flow" else float(v)
    elif kind == "lake_level_target":
        tg[key].values = float(v)
        tg[key].storage_min = float(data.storage(tg[key].ref).curve.volume_at(float(v)))
    elif kind == "penalty":
        tg[key].penalty = float(v)
    elif kind == "energy_target":
        next(p for p in data.plants if p.id == key).target = v
    elif kind == "evaporation":
        s = st_[key]
        s.evap_mm, s.net_evap_mm = v, v - s.precip_mm
    elif kind == "loss_fraction":
        links[key].loss = float(v)
        gain = data.net.link_gain.copy()
        gain[[lk.id for lk in data.links].index(key)] = 1.0 - float(v)
        gain.setflags(write=False)
        object.__setattr__(data, "net", dataclasses.replace(data.net, link_gain=gain))
    else:  # pragma: no cover
        raise AssertionError(kind)


def random_change(alloc: Allocation, rng: np.random.Generator, kind: str):
    """(key, values) of a plausible change of ``kind``, or None when the basin has none."""
    try:
        keys = alloc.params.keys(kind)
    except ParameterError:
        return None
    if not keys:
        return None
    key = keys[rng.integers(len(keys))]
    cur = np.asarray(alloc.get(kind, key), dtype=float)
    T = alloc.data.T
    f = rng.uniform(0.0, 2.0, size=cur.shape)
    if kind == "capacity":
        base = np.where(np.isfinite(cur), cur, rng.uniform(0, 200, size=cur.shape))
        return key, np.where(rng.random(cur.shape) < 0.2, np.inf, base * f)
    if kind in ("min_flow", "eco_flow", "energy_target"):
        return key, rng.uniform(0, 5, size=cur.shape) * (rng.random(cur.shape) < 0.5)
    if kind == "storage_min":
        top = np.asarray(alloc.get("storage_max", key), dtype=float)
        return key, np.minimum(cur * f, top)
    if kind == "storage_max":
        low = np.asarray(alloc.get("storage_min", key), dtype=float)
        return key, np.maximum(cur * f, low)
    if kind in ("initial_storage", "end_storage"):
        node = key if kind == "initial_storage" else alloc.data.target_by_id[key].ref
        lo = np.asarray(alloc.get("storage_min", node), dtype=float)
        hi = np.asarray(alloc.get("storage_max", node), dtype=float)
        return key, float(rng.uniform(lo.min(), hi.max()))
    if kind in ("initial_level", "lake_level_target"):
        lake = key if kind == "initial_level" else alloc.data.target_by_id[key].ref
        levels = alloc.data.storage(lake).curve.levels
        return key, float(rng.uniform(levels[0], levels[-1]))
    if kind == "link_cost":
        return key, float(rng.uniform(0, 3))
    if kind == "loss_fraction":
        return key, float(rng.uniform(0, 0.9)) if rng.random() < 0.8 else 0.0
    if kind == "evaporation":
        values = cur * f + rng.uniform(0, 80, size=T) * (rng.random(T) < 0.7)
        try:
            alloc.params._check_evaporation(key, values)
        except ParameterError:
            return None
        return key, values
    if np.ndim(cur) == 0:
        return key, float(cur * f) if cur > 0 else float(rng.uniform(0, 100))
    return key, cur * f + (rng.uniform(0, 5, size=T) if kind in ("inflow", "demand") else 0.0)


KINDS = ["inflow", "groundwater", "demand", "shortfall_cost", "capacity", "min_flow", "link_cost", "annual_capacity",
         "initial_storage", "initial_level", "storage_min", "storage_max", "eco_flow", "lake_inflow_target",
         "lake_level_target", "end_storage", "penalty", "energy_target", "evaporation", "loss_fraction"]


#: optimality to 1e-10: a full lake's spill costs 0.001 per Mm3 and evaporation moves with the
#: storage through the area fit, so the reduced costs of where water sits can lie below HiGHS's
#: default tolerances (1e-7) and two vertices both pass as optimal with objectives ~1e-6 apart
TIGHT = {"dual_feasibility_tolerance": 1e-10, "primal_feasibility_tolerance": 1e-10}


def _solve(alloc):
    try:
        return alloc.solve()
    except SolveError as exc:
        return exc.status


def assert_warm_equals_fresh(basin, seed: int, n_changes: int = 3, aggregate: bool | None = None) -> None:
    """``aggregate``: the warm model's LP aggregated (True) or not (False) for HiGHS; the fresh
    one is never aggregated."""
    rng = np.random.default_rng(seed)
    warm = Allocation(basin, highs_options=TIGHT, aggregate=aggregate)
    _solve(warm)
    data = compile_basin(basin)
    done = []
    for kind in rng.permutation(KINDS)[:n_changes * 3]:
        change = random_change(warm, rng, str(kind))
        if change is None:
            continue
        warm.set(str(kind), *change)
        edit_data(data, str(kind), *change)
        done.append(kind)
        if len(done) == n_changes:
            break
    fresh = Allocation.from_data(basin, data, highs_options=TIGHT, aggregate=False)
    for target in ("row_lower", "row_upper", "col_lower", "col_upper", "cost"):
        np.testing.assert_allclose(warm.lp.current[target], fresh.lp.current[target], rtol=1e-12, atol=1e-12,
                                   err_msg=f"{target} after {done}")
    gap = abs(warm.lp.A - fresh.lp.A)
    assert (gap.max() if gap.nnz else 0.0) <= 1e-12, f"matrix after {done}"
    np.testing.assert_allclose(warm.reduced.single_coef, fresh.reduced.single_coef, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(warm.reduced.col_lower, fresh.reduced.col_lower, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(warm.reduced.col_upper, fresh.reduced.col_upper, rtol=1e-12, atol=1e-12)
    a, b = _solve(warm), _solve(fresh)
    if isinstance(b, str):
        assert a == b, (done, a, b)
        return
    assert not isinstance(a, str), (done, a)
    assert a.objective == pytest.approx(b.objective, rel=1e-7, abs=1e-6), done
    x = warm.backend.col_value
    lp = fresh.lp
    ax = lp.A @ x
    tol = 1e-6 * (1 + np.abs(ax))
    assert (ax >= lp.current["row_lower"] - tol).all(), done
    assert (ax <= lp.current["row_upper"] + tol).all(), done
    assert float(lp.current["cost"] @ x) == pytest.approx(b.objective, rel=1e-7, abs=1e-6), done
    for table, cols in (("deliveries", ["target_mm3"]), ("inflows", ["inflow_mm3", "groundwater_mm3"]),
                        ("storage", ["min_storage_mm3", "max_storage_mm3", "end_min_mm3"]),
                        ("targets", ["required"]), ("arrivals", ["local_mm3"])):
        for c in cols:
            np.testing.assert_allclose(a.tables[table][c].to_numpy(float), b.tables[table][c].to_numpy(float),
                                       rtol=1e-12, atol=1e-12, err_msg=f"{table}.{c} after {done}")
    assert a.summary["shortfall_cost"] == pytest.approx(b.summary["shortfall_cost"], rel=1e-6, abs=1e-6)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BASINS, st.integers(0, 2**31 - 1))
def test_warm_resolve_after_parameter_changes_equals_a_fresh_build(doc, seed):
    assert_warm_equals_fresh(parse_basin(doc, "random.yaml"), seed)


@pytest.mark.parametrize("kind", KINDS)
def test_every_parameter_kind_on_the_default_basin(kind):
    """Each kind that the Ile-Balkhash basin has, changed alone, gives the fresh build's LP."""
    basin = load_basin(default_basin_path())
    alloc = Allocation(basin)
    if random_change(alloc, np.random.default_rng(0), kind) is None:
        pytest.skip(f"the default basin has no parameter '{kind}'")
    for seed in range(2):
        rng = np.random.default_rng(seed)
        warm = Allocation(basin)
        change = random_change(warm, rng, kind)
        warm.solve()
        warm.set(kind, *change)
        data = compile_basin(basin)
        edit_data(data, kind, *change)
        fresh = Allocation.from_data(basin, data)
        for target in ("row_lower", "row_upper", "col_lower", "col_upper", "cost"):
            np.testing.assert_allclose(warm.lp.current[target], fresh.lp.current[target], rtol=1e-12, atol=1e-12)
        gap = abs(warm.lp.A - fresh.lp.A)
        assert (gap.max() if gap.nnz else 0.0) <= 1e-12
        a, b = _solve(warm), _solve(fresh)
        assert type(a) is type(b)
        if not isinstance(a, str):
            assert a.objective == pytest.approx(b.objective, rel=1e-7, abs=1e-6)


def test_bad_changes_are_refused_with_a_clear_message():
    alloc = Allocation(load_basin(default_basin_path()))
    with pytest.raises(ParameterError, match="unknown parameter kind 'inflows'"):
        alloc.set("inflows", "ILE_CN", 1.0)
    with pytest.raises(ParameterError, match="'NOPE' has no parameter 'inflow'"):
        alloc.set("inflow", "NOPE", 1.0)
    with pytest.raises(ParameterError, match=r"expected \d+ values"):
        alloc.set("inflow", "ILE_CN", [1.0, 2.0])
    with pytest.raises(ParameterError, match="finite"):
        alloc.set("demand", alloc.params.keys("demand")[0], np.nan)
    with pytest.raises(ParameterError, match=">= 0"):
        alloc.set("capacity", alloc.params.keys("capacity")[0], -1.0)
    with pytest.raises(ParameterError, match="must be below 1"):
        alloc.set("loss_fraction", "ILE_DELTA", 1.0)
    with pytest.raises(ParameterError, match="has no loss in the basin"):
        alloc.set("loss_fraction", alloc.params.keys("capacity")[0], 0.1)
    with pytest.raises(ParameterError, match="would evaporate more than the storage"):
        alloc.set("evaporation", "BALKHASH", 1e9)


def test_evaporation_and_loss_change_the_matrix_and_the_tables():
    """A coefficient parameter moves the matrix in the live solver: 10 % more lake evaporation
    evaporates 10 % more at the same area, and the delta's loss shows in the flows table."""
    alloc = Allocation(load_basin(default_basin_path()))
    e = np.asarray(alloc.get("evaporation", "BALKHASH"))
    alloc.set("evaporation", "BALKHASH", e * 1.1)
    alloc.set("loss_fraction", "ILE_DELTA", 0.3)
    sol = alloc.solve()
    st_ = sol.tables["storage"]
    lake = st_[st_["node"] == "BALKHASH"]
    expected = 1.1 * e / 1000.0 * lake["area_km2"].to_numpy()  # mm -> m, times km2 = Mm3
    np.testing.assert_allclose(lake["evaporation_mm3"].to_numpy(), expected, rtol=1e-12)
    # the continuity holds with the new evaporation: recomputed from the tables
    arr = sol.tables["arrivals"]
    a = arr[arr["node"] == "BALKHASH"]
    net = lake["evaporation_mm3"].to_numpy() - lake["precipitation_mm3"].to_numpy()
    released = a["released_mm3"].to_numpy()
    lhs = lake["storage_mm3"].to_numpy() - lake["storage_start_mm3"].to_numpy()
    rhs = (a["arriving_mm3"].to_numpy() + a["groundwater_mm3"].to_numpy() - released - net
           - lake["spill_mm3"].to_numpy())
    np.testing.assert_allclose(lhs, rhs, atol=1e-6)
    fl = sol.tables["flows"]
    delta = fl[fl["link_id"] == "ILE_DELTA"]
    np.testing.assert_allclose(delta["loss_mm3"].to_numpy(), 0.3 * delta["flow_mm3"].to_numpy(), rtol=1e-12)
    fresh_basin = load_basin(default_basin_path())
    data = compile_basin(fresh_basin)
    edit_data(data, "evaporation", "BALKHASH", e * 1.1)
    edit_data(data, "loss_fraction", "ILE_DELTA", 0.3)
    assert Allocation.from_data(fresh_basin, data).solve().objective == pytest.approx(sol.objective, rel=1e-9)


def test_a_folded_inlet_refuses_a_change_with_a_reason():
    from analytical_basins import demand, inflow, link, make_basin, sink

    b = make_basin([inflow("A", 3), demand("D", 10), sink("S")], [link("A", "D"), link("A", "S")])
    alloc = Allocation(b, fold_inlets=True)
    with pytest.raises(ParameterError, match="link 'A-D' is the only, unconstrained way into a demand"):
        alloc.set("capacity", "A-D", 1.0)
    with pytest.raises(ParameterError, match="demand 'D' has no local inflow"):
        alloc.set("inflow", "D", 1.0)
    alloc.set("capacity", "A-S", 1.0)  # the other links keep their parameters
