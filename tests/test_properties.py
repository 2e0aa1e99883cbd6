"""Properties that hold for every basin, checked on random tree-shaped basins.

The basins come from :func:`analytical_basins.random_basins` and, when ``tests/strategies.py`` is
there, also from its shared ``basins()`` strategy (named profiles, annual series, multi-row tables).

Everything is recomputed from the output tables (not from the model), so these tests check the
formulation and the result extraction together: water is conserved at every node and period,
deliveries stay within targets, storages within bounds, the objective is what the tables cost,
more water never costs more shortfall, and a persistent re-solve matches a fresh build.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from analytical_basins import (
    balance_residuals,
    objective_from_tables,
    random_basins,
    scale_inflows,
    shortfall_cost,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import balkhash
from balkhash.allocation.solve import Allocation
from balkhash.network.io import parse_basin
from balkhash.network.series import flow_mm3
from balkhash.network.validate import check_basin

try:  # the shared strategy of tests/strategies.py, when present, adds other shapes and units
    from strategies import basins as _shared_basins
except ImportError:  # pragma: no cover
    _shared_basins = None

#: this module's own basins (analytical_basins.random_basins) and the shared ones
BASINS = random_basins() if _shared_basins is None else st.one_of(random_basins(), _shared_basins())

#: 30 examples per property; BALKHASH_PROPERTY_EXAMPLES=500 for a longer hunt
EXAMPLES = int(os.environ.get("BALKHASH_PROPERTY_EXAMPLES", "30"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = 1e-6


def _basin(raw):
    return parse_basin(raw, "random.yaml")


@SETTINGS
@given(raw=BASINS)
def test_the_strategy_makes_valid_basins(raw):
    """The random basins pass the graph and value checks (so the properties below are about basins
    a user could load)."""
    problems = check_basin(parse_basin(raw, "random.yaml"), "random.yaml")
    assert not problems, "the strategy made an invalid basin:\n" + "\n".join(map(str, problems))


@SETTINGS
@given(raw=BASINS, fair=st.booleans())
def test_mass_balance_closes_from_the_tables(raw, fair):
    """Storage change = local inflow + groundwater + arriving (flow - loss) + returns - outgoing
    - delivery - evaporation + precipitation - spill, at every node and period, to < 1e-6 Mm3."""
    basin = _basin(raw)
    sol = balkhash.solve(basin, fair_sharing=fair)
    res = balance_residuals(basin, sol)
    err = np.abs(res["residual"].to_numpy())
    assert err.max(initial=0.0) < TOL, f"worst: {res.iloc[int(err.argmax())].to_dict()}"
    # each period starts where the previous one ended
    for _node, g in sol.storage.groupby("node", sort=False):
        assert np.abs(g["storage_start_mm3"].to_numpy()[1:] - g["storage_mm3"].to_numpy()[:-1]).max(
            initial=0.0) < TOL


@SETTINGS
@given(raw=BASINS, fair=st.booleans())
def test_deliveries_and_storages_stay_within_bounds(raw, fair):
    basin = _basin(raw)
    sol = balkhash.solve(basin, fair_sharing=fair)
    dl = {c: sol.deliveries[c].to_numpy(dtype=float)
          for c in ("target_mm3", "delivered_mm3", "shortfall_mm3", "consumed_mm3", "returned_mm3")}
    assert (dl["delivered_mm3"] >= -TOL).all()
    assert (dl["delivered_mm3"] <= dl["target_mm3"] + TOL).all()
    assert (dl["shortfall_mm3"] >= -TOL).all()
    assert np.allclose(dl["consumed_mm3"] + dl["returned_mm3"], dl["delivered_mm3"], atol=TOL)
    for n in basin.nodes:
        rows = sol.storage[sol.storage["node"] == n.id]
        if n.type == "reservoir" and n.enabled:
            assert (rows["storage_mm3"] >= n.min_storage.mm3 - TOL).all()
            assert (rows["storage_mm3"] <= n.max_storage.mm3 + TOL).all()
        elif n.type == "lake":
            vols = n.table.volume_mm3
            assert (rows["storage_mm3"] >= vols[0] - TOL).all()
            assert (rows["storage_mm3"] <= vols[-1] + TOL).all()
        else:
            assert rows.empty
    fl = sol.flows
    assert (fl["flow_mm3"] >= -TOL).all()
    for lk in basin.links:
        x = fl.loc[fl["link_id"] == lk.id, "flow_mm3"].to_numpy(dtype=float)
        if lk.capacity is not None:
            assert (x <= flow_mm3(lk.capacity, basin, basin.timeline()) + TOL).all()
        if lk.min_flow is not None:
            assert (x >= flow_mm3(lk.min_flow, basin, basin.timeline()) - TOL).all()


@SETTINGS
@given(raw=BASINS, fair=st.booleans())
def test_objective_equals_the_cost_of_the_tables(raw, fair):
    basin = _basin(raw)
    sol = balkhash.solve(basin, fair_sharing=fair)
    assert sol.objective == pytest.approx(objective_from_tables(basin, sol, fair), rel=1e-7, abs=1e-5)


@SETTINGS
@given(raw=BASINS, fair=st.booleans())
def test_more_inflow_never_costs_more_shortfall(raw, fair):
    """Scaling every inflow by 1.2 never increases the shortfall cost: the extra water can always
    go down the main river to the outlet, so the old allocation stays feasible."""
    base = _basin(raw)
    wet = _basin(scale_inflows(raw, 1.2))
    sol0 = balkhash.solve(base, fair_sharing=fair)
    sol1 = balkhash.solve(wet, fair_sharing=fair)
    assert shortfall_cost(wet, sol1, fair) <= shortfall_cost(base, sol0, fair) + 1e-5
    assert sol1.summary["violations"] is not None


@SETTINGS
@given(raw=BASINS)
def test_resolve_after_set_inflow_matches_a_fresh_build(raw):
    """Allocation.set_inflow changes right-hand sides in place; the warm re-solve must give the
    objective of a model built from scratch with those inflows."""
    basin = _basin(raw)
    alloc = Allocation(basin)
    alloc.solve()
    for node, values in list(alloc.data.inflow.items()):
        alloc.set_inflow(node, 1.2 * values)
    again = alloc.solve()
    fresh = balkhash.solve(_basin(scale_inflows(raw, 1.2, groundwater=False)))
    assert again.objective == pytest.approx(fresh.objective, rel=1e-7, abs=1e-5)
    res = balance_residuals(_basin(scale_inflows(raw, 1.2, groundwater=False)), again)
    assert np.abs(res["residual"].to_numpy()).max(initial=0.0) < TOL
