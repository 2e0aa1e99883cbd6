"""Sensitivity bands of min-inflow and sweep: the answer at 1 -+ X of a named input."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from balkhash.cli import app
from balkhash.history.bands import BandError, min_inflow_bands, parse_band, sweep_bands
from balkhash.history.multipliers import scaled_basin
from balkhash.network.io import parse_basin
from balkhash.studies.min_inflow import min_inflow
from balkhash.studies.study import Study
from balkhash.studies.sweep import sweep

runner = CliRunner()


def lake_basin() -> dict:
    """A border inflow (V km3/yr, spread by days) into a lake with vertical walls (1 000 km2) that
    evaporates 100 mm every month (1 200 Mm3/yr at m = 1), started at 5 m, target 4.5 m.  The
    lake falls every month, so the level target binds at the end of the year:
    V* = 1.2 m - 0.5 km3/yr."""
    return {
        "name": "evaporating lake",
        "calendar": {"start": "2001-01", "periods": 12, "water_year_start_month": 1},
        "nodes": [
            {"id": "BORDER", "type": "inflow", "inflow": {"unit": "km3/yr", "annual": 0.3}, "transboundary": True},
            {"id": "LAKE", "type": "lake", "initial_level_m": 5.0, "evaporation_mm": [100.0] * 12,
             "table": {"level_m": [0.0, 10.0], "area_km2": [1000.0, 1000.0], "volume": [0.0, 10000.0],
                       "volume_unit": "Mm3"}},
        ],
        "links": [{"id": "BORDER-LAKE", "from": "BORDER", "to": "LAKE"}],
        "targets": [{"id": "LEVEL", "type": "lake_level", "lake": "LAKE", "min_level_m": 4.5}],
    }


def _run(study, mode):
    return min_inflow(study, mode, 0.0, 3.0, 1e-4, condition="level")


def test_min_inflow_band_is_the_analytical_answer_at_both_ends():
    basin = parse_basin(lake_basin(), "lake.yaml")
    study = Study(basin)
    band = parse_band("evaporation:LAKE=0.05", basin)
    df = min_inflow_bands(study, [band], ["shortfalls_allowed"], _run, Study)
    row = df.iloc[0]
    assert row["at_low_km3"] == pytest.approx(1.2 * 0.95 - 0.5, abs=2e-4)
    assert row["central_km3"] == pytest.approx(0.7, abs=2e-4)
    assert row["at_high_km3"] == pytest.approx(1.2 * 1.05 - 0.5, abs=2e-4)
    assert row["band_min_km3"] == row["at_low_km3"]
    assert row["band_max_km3"] == row["at_high_km3"]
    # the multiplier was set back: the study answers as before
    assert _run(study, "shortfalls_allowed").answer_km3 == pytest.approx(0.7, abs=2e-4)
    # and a study rebuilt on the scaled basin gives the same answer as the one set in place
    rebuilt = Study(scaled_basin(basin, [band.spec], [1.05]))
    assert _run(rebuilt, "shortfalls_allowed").answer_km3 == pytest.approx(row["at_high_km3"], abs=2e-4)


def test_sweep_band_rows_are_the_sweep_of_the_scaled_basin():
    basin = parse_basin(lake_basin(), "lake.yaml")
    band = parse_band("evaporation:LAKE=0.1", basin)
    values = [0.5, 0.7, 0.9]
    df = sweep_bands(Study(basin), [band], lambda s: sweep(s, "transboundary", values).table, Study)
    assert list(df["factor"].unique()) == [0.9, 1.1]
    high = df[df["factor"] == 1.1].set_index("value")
    direct = sweep(Study(scaled_basin(basin, [band.spec], [1.1])), "transboundary", values).table.set_index("value")
    pd.testing.assert_series_equal(high["lake_level_min_m"], direct["lake_level_min_m"], check_names=False)
    # the level ends lower by the extra evaporation: from x0.9 to x1.1, 20 % of 1 200 mm = 0.24 m
    low = df[df["factor"] == 0.9].set_index("value")
    assert (low["lake_level_end_m"] - high["lake_level_end_m"]).to_numpy() == pytest.approx([0.24] * 3, abs=1e-6)


@pytest.mark.parametrize(("text", "message"), [
    ("lake_evaporation", "write NAME=FRACTION"),
    ("lake_evaporation=1.5", "between 0 and 1"),
    ("lake_evaporation=-0.1", "between 0 and 1"),
    ("lake_evaporation=five", "is not a number"),
    ("lake_evap=0.05", "unknown parameter 'lake_evap'"),
    ("evaporation:NOWHERE=0.05", "'NOWHERE' has no evaporation"),
    # the input min-inflow moves itself: every point overwrites it
    ("border_inflow=0.1", "the study moves the inflow at ILE_CN itself"),
    # a reservoir switched off in the basin (the delta wetland of the scenario delta_wetland)
    ("delta_evaporation=0.2", "reservoir 'DELTA_WETLAND' is switched off"),
])
def test_a_bad_band_is_refused_before_anything_is_solved(text, message):
    r = runner.invoke(app, ["min-inflow", "--band", text])
    assert r.exit_code == 1, r.output
    assert message in r.output
    assert "Traceback" not in r.output


def test_parse_band_knows_the_default_basin_names():
    from balkhash.data import default_basin_path
    from balkhash.network import load_basin

    band = parse_band("lake_evaporation=0.05", load_basin(default_basin_path()))
    assert (band.spec.kind, band.spec.key, band.factors) == ("evaporation", "BALKHASH", (0.95, 1.05))
    with pytest.raises(BandError):
        parse_band("delta_loss=0", load_basin(default_basin_path()))


def test_sweep_command_writes_sweep_bands_csv(tmp_path):
    out = tmp_path / "sw"
    r = runner.invoke(app, ["sweep", "--from", "10", "--to", "12", "--step", "2", "--band", "lake_evaporation=0.05",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    bands = pd.read_csv(out / "sweep_bands.csv")
    assert set(bands["factor"]) == {0.95, 1.05}
    assert set(bands["value"]) == {10.0, 12.0}
    hi = bands[bands["factor"] == 1.05].set_index("value")["lake_level_end_m"]
    lo = bands[bands["factor"] == 0.95].set_index("value")["lake_level_end_m"]
    assert (lo > hi).all()  # more evaporation, a lower lake
    r = runner.invoke(app, ["sweep", "--from", "10", "--to", "12", "--step", "2", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert not (out / "sweep_bands.csv").exists()  # a sweep without bands leaves no stale bands


def two_inflow_lake() -> dict:
    """The lake basin with a second, local inflow of 0.2 km3/yr: the lake ends at
    5 + (300 v + 200 m v - 1 200) / 1 000 m for a multiplier v on every inflow and m on LOCAL's."""
    b = lake_basin()
    b["nodes"].insert(1, {"id": "LOCAL", "type": "inflow", "inflow": {"unit": "km3/yr", "annual": 0.2}})
    b["links"].append({"id": "LOCAL-LAKE", "from": "LOCAL", "to": "LAKE"})
    return b


def test_a_band_on_an_inflow_composes_with_a_sweep_over_every_inflow():
    """sweep -p inflow_multiplier rebuilds every inflow from the study's base series at each
    point; the band's factor on LOCAL stays in them (it was dropped)."""
    basin = parse_basin(two_inflow_lake(), "lake.yaml")
    band = parse_band("inflow:LOCAL=0.5", basin)
    values = [1.0, 2.0]
    study = Study(basin)
    df = sweep_bands(study, [band], lambda s: sweep(s, "inflow_multiplier", values).table, Study)
    for m in (0.5, 1.5):
        end = df[df["factor"] == m].set_index("value")["lake_level_end_m"]
        assert end.to_numpy() == pytest.approx([5 + (300 * v + 200 * m * v - 1200) / 1000 for v in values], abs=1e-6)
    # set back: the study's own series and the model's
    central = sweep(study, "inflow_multiplier", values).table.set_index("value")["lake_level_end_m"]
    assert central.to_numpy() == pytest.approx([5 + (500 * v - 1200) / 1000 for v in values], abs=1e-6)


def test_a_band_on_the_inflow_the_study_moves_is_refused():
    from balkhash.history.bands import check_band_for

    basin = parse_basin(two_inflow_lake(), "lake.yaml")
    study = Study(basin)
    with pytest.raises(BandError, match="moves the inflow at BORDER itself"):
        check_band_for(parse_band("inflow:BORDER=0.1", basin), study, "transboundary")
    check_band_for(parse_band("inflow:BORDER=0.1", basin), study, "inflow_multiplier")  # composes
    check_band_for(parse_band("inflow:LOCAL=0.1", basin), study, "transboundary")


def test_min_inflow_already_holding_at_lo_is_an_upper_bound_only():
    """V* = 0.7 km3/yr: searched from --lo 1.0 the answer is 'at most 1.0', not 1.0."""
    study = Study(parse_basin(lake_basin(), "lake.yaml"))
    res = min_inflow(study, "shortfalls_allowed", 1.0, 3.0, 1e-3, condition="level")
    assert res.answer_km3 is None
    assert res.at_most_km3 == 1.0
    assert "at most 1" in res.message
    from rich.console import Console

    from balkhash.cli.study_tables import min_inflow_table

    console = Console(width=120, record=True)
    console.print(min_inflow_table("t", [res]))
    assert "<= 1" in console.export_text()
