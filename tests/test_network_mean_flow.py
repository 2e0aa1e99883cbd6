"""The network plot's line widths and labels: each link's mean flow over the horizon, m3/s, is its
volume over the horizon divided by the horizon's seconds (real days), not the unweighted mean of
the periods' m3/s."""

from __future__ import annotations

import numpy as np
import pytest

import balkhash
from balkhash.data import default_basin_path
from balkhash.network.io import load_basin
from balkhash.outputs.network_plot import mean_link_flows


@pytest.fixture(scope="module")
def run():
    b = load_basin(default_basin_path())
    return b, balkhash.solve(b)


def test_mean_flow_is_volume_over_the_horizon_seconds(run):
    b, sol = run
    f = sol.tables["flows"]
    seconds = float(np.sum(b.timeline().days)) * 86_400.0
    expected = f.groupby("link_id")["flow_mm3"].sum() * 1e6 / seconds
    q = mean_link_flows(sol, b)
    assert q["ILE_CN-UPPER"] == pytest.approx(12_500.0 * 1e6 / (365 * 86_400.0), rel=1e-6)  # 396.37 m3/s
    assert q["ILE_CN-UPPER"] == pytest.approx(expected["ILE_CN-UPPER"])
    unweighted = f.groupby("link_id")["flow_m3s"].mean()["ILE_CN-UPPER"]
    assert abs(q["ILE_CN-UPPER"] - unweighted) > 0.5  # 395.41: the months' m3/s unweighted
    for link in q.index:
        assert q[link] == pytest.approx(expected[link], abs=1e-9)


def test_without_the_basin_the_days_come_from_the_flows_table(run):
    b, sol = run
    assert mean_link_flows(sol).to_dict() == pytest.approx(mean_link_flows(sol, b).to_dict(), abs=1e-9)
