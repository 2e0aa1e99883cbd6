"""Policies in scenarios, simulations and the trade-off study (the analytical basins of test_policy)."""

from __future__ import annotations

import numpy as np
import pytest
from test_policy import ABS, EXACT, lake_basin, monthly, shares, two_irrigators

from balkhash.network.errors import BasinError
from balkhash.network.policy import PolicyError
from balkhash.scenarios import Scenario, apply_scenario
from balkhash.simulation.simulator import simulate
from balkhash.studies.tradeoff import tradeoff_by_policy


def test_a_scenario_sets_the_policy():
    b = apply_scenario(two_irrigators("water_code"), Scenario(name="farms", policy="users_first"))
    assert b.options.policy == "users_first"


def test_a_scenario_with_an_unknown_policy_is_named_by_scenario_and_field():
    sc = Scenario(name="law", policy="kazakh_law")
    with pytest.raises(BasinError) as exc:
        apply_scenario(two_irrigators(), sc)
    msg = str(exc.value)
    assert len(msg.splitlines()) == 1
    assert "scenario 'law': policy: unknown policy 'kazakh_law'" in msg


@pytest.mark.parametrize("mode", ["step", "rolling"])
def test_equal_shares_hold_in_every_window_of_a_simulation(mode):
    """Step and rolling windows build the policy's rows too: the months' shares as in optimise
    mode (1/6, 0, 40/90), the town served."""
    b = two_irrigators("water_code", a_target=monthly(oct=40, nov=10, dec=70))
    sol = simulate(b, mode=mode, window=2 if mode == "rolling" else None, every=1 if mode == "rolling" else None,
                   forecast="perfect")
    sh = shares(sol)
    assert sh["A"].to_numpy() == pytest.approx([1 / 6, 0.0, 40 / 90], abs=EXACT)
    assert np.abs(sh["A"] - sh["B"]).max() < EXACT


def test_tradeoff_frontier_per_policy_and_each_policy_on_it():
    """The lake basin of test_policy (1 200 Mm3 a year for an irrigator of 600 and a lake target of
    960).  With the lake target hard at 0.96 km3 every policy leaves the irrigator 240; at 0.6 km3
    the irrigator gets its 600.  Each policy's own plan: lake_first 0.96 km3 to the lake,
    users_first 0.6, proportional 1.2 - 1.2/2.6 = 0.7385."""
    df = tradeoff_by_policy(lake_basin("water_code"), None, [0.6, 0.96],
                            ["lake_first", "users_first", "proportional"])
    assert set(df["policy"]) == {"lake_first", "users_first", "proportional"}
    front = df[df["point"] == "frontier"]
    for _, g in front.groupby("policy"):
        assert g["agriculture_delivered_mm3"].to_numpy() == pytest.approx([600.0, 240.0], abs=ABS)
    own = df[df["point"] == "policy"].set_index("policy")["lake_inflow_km3"]
    assert own["lake_first"] == pytest.approx(0.96, abs=ABS)
    assert own["users_first"] == pytest.approx(0.6, abs=ABS)
    assert own["proportional"] == pytest.approx(1.2 - 1.2 / 2.6, abs=ABS)


def test_tradeoff_with_an_unknown_policy():
    with pytest.raises(PolicyError, match="unknown policy 'kazakh_law'"):
        tradeoff_by_policy(lake_basin("water_code"), None, [0.6], ["kazakh_law"])


def test_compare_under_a_policy_from_the_command_line(tmp_path):
    """compare --policy runs every scenario under that policy: on the lake basin the irrigator is
    served in full under users_first and short under lake_first; an unknown name is an error."""
    from typer.testing import CliRunner

    from balkhash.cli import app
    from balkhash.studies.compare import compare

    basin = lake_basin("lake_first")
    runs = [Scenario(name="base")]
    first, users = compare(basin, runs), compare(basin, runs, policy="users_first")
    short = next(i for i in first.index if "agriculture" in str(i) and "shortfall" in str(i))
    assert float(first.loc[short, "base"]) == pytest.approx(360.0, abs=ABS)
    assert float(users.loc[short, "base"]) == pytest.approx(0.0, abs=ABS)
    assert basin.options.policy == "lake_first"  # the basin itself is not changed
    with pytest.raises(PolicyError, match="--policy"):
        compare(basin, runs, policy="kazakh_law")
    res = CliRunner().invoke(app, ["compare", "--scenario", "scenarios.yaml", "--name", "dry_2014", "--policy",
                                   "nope", "--out", str(tmp_path / "c.csv")])
    assert res.exit_code == 1
    assert "nope" in res.output


@pytest.mark.parametrize("years", [1, 3])
def test_tradeoff_ratio_is_per_water_year_over_any_horizon(years):
    """The lake basin: each Mm3 more for the lake is one Mm3 less for the irrigator, so one more
    lake km3 per water year costs the farms 1 km3 per water year, whatever the horizon's length;
    deliveries stay horizon totals (240 and 600 Mm3 a year)."""
    from balkhash.scenarios import Scenario
    from balkhash.studies.tradeoff import tradeoff

    df = tradeoff(lake_basin("none"), Scenario(name="h", years=years), [0.6, 0.96])
    assert list(df["horizon_years"]) == [years, years]
    assert df["agriculture_delivered_mm3"].to_numpy() == pytest.approx([600.0 * years, 240.0 * years], abs=ABS)
    assert df["lake_inflow_km3"].to_numpy() == pytest.approx([0.6, 0.96], abs=ABS)
    assert df["farm_km3_lost_per_lake_km3"].iloc[1] == pytest.approx(1.0, abs=1e-6)


def test_tradeoff_command_runs_each_policy_once_and_checks_names_first(tmp_path):
    import pandas as pd
    from typer.testing import CliRunner

    from balkhash.cli import app

    out = tmp_path / "t.csv"
    res = CliRunner().invoke(app, ["tradeoff", "--policy", "none", "--policy", "none", "--from", "12", "--to", "12.5",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert list(df["policy"]) == ["none"] * 3  # two frontier points and the policy's own plan, once
    assert res.output.count("policy none") == 2  # the rule above its table and its own plan's line
    res = CliRunner().invoke(app, ["tradeoff", "--policy", "none", "--policy", "kazakh_law", "--out",
                                   str(tmp_path / "u.csv")])
    assert res.exit_code == 1
    assert "unknown policy 'kazakh_law'" in res.output
    assert "tradeoff" not in res.output.replace("balkhash tradeoff", "")  # refused before the progress bar
    assert not (tmp_path / "u.csv").exists()
