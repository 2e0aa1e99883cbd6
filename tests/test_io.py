"""Reading and writing basins, quantities with units, unit conversions and the calendar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from basin_factory import SERIES_FILE, valid_basin, write_basin
from pydantic import ValidationError

from balkhash.data import example_names, example_path
from balkhash.network.io import basin_to_dict, iter_flow_series, load_basin, parse_basin, save_basin
from balkhash.network.quantities import FlowSeries, MonthlyDepth, Volume
from balkhash.network.series import depth_mm, flow_mm3
from balkhash.network.timeline import Timeline, water_year_label
from balkhash.network.units import km3_to_mm3, m3s_to_mm3, mm3_to_km3, mm3_to_m3s


def resolved(basin) -> dict:
    """Every flow series (Mm3 per period) and depth (mm per period) of a basin, by place."""
    tl = basin.timeline()
    out = {(w, f): flow_mm3(fs, basin, tl) for w, f, fs in iter_flow_series(basin)}
    for n in basin.nodes:
        for f in ("evaporation_mm", "precipitation_mm"):
            if getattr(n, f, None) is not None:
                out[(n.id, f)] = depth_mm(getattr(n, f), basin, tl)
    return out


def assert_round_trip(path, tmp_path):
    first = load_basin(path)
    out = save_basin(first, tmp_path / "copy")
    assert (out / "basin.yaml").exists()
    second = load_basin(out)
    assert basin_to_dict(second) == basin_to_dict(first)
    a, b = resolved(first), resolved(second)
    assert a.keys() == b.keys()
    assert a
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=str(k))
    return first, second, out


# -- round trip ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", example_names())
def test_examples_round_trip(name, tmp_path):
    first, _second, out = assert_round_trip(example_path(name), tmp_path)
    for f in first._tables:
        assert (out / f).exists()


def test_csv_backed_example_round_trip_keeps_the_csv(tmp_path):
    first, second, out = assert_round_trip(example_path("small_basin"), tmp_path)
    assert first._tables, "small_basin reads its inflows from a CSV"
    for f, df in first._tables.items():
        pd.testing.assert_frame_equal(second._tables[f], df)
        assert list(pd.read_csv(out / f, dtype={"period": str})["period"]) == list(df.index)


def test_factory_basin_round_trip(tmp_path):
    src = write_basin(tmp_path / "src", valid_basin(tmp_path / "src"))
    first, second, out = assert_round_trip(src, tmp_path)
    assert SERIES_FILE in first._tables
    assert (out / SERIES_FILE).exists()
    river = second.node("RIVER").inflow
    assert river.file == SERIES_FILE
    assert river.column == "RIVER"


def test_save_over_an_existing_basin_keeps_the_other_files(tmp_path):
    basin = load_basin(example_path("tiny_river"))
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "basin.yaml").write_text("name: old\n", encoding="utf-8")
    (dest / "scenarios.yaml").write_text("name: mine\n", encoding="utf-8")
    save_basin(basin, dest)
    assert (dest / "scenarios.yaml").read_text(encoding="utf-8") == "name: mine\n"
    assert basin_to_dict(load_basin(dest)) == basin_to_dict(basin)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# -- quantities ----------------------------------------------------------------------------------
def test_parse_rate():
    fs = FlowSeries.model_validate("395 m3/s")
    assert (fs.unit, fs.value, fs.annual, fs.is_rate) == ("m3/s", 395.0, None, True)


def test_parse_annual_volume():
    fs = FlowSeries.model_validate("12.5 km3/yr")
    assert (fs.unit, fs.annual, fs.value, fs.factor) == ("km3/yr", 12.5, None, 1000.0)


def test_parse_period_volume():
    fs = FlowSeries.model_validate("1.5e2 Mm3/month")
    assert (fs.unit, fs.value, fs.factor) == ("Mm3/month", 150.0, 1.0)


@pytest.mark.parametrize(("text", "mm3"), [("18.5 km3", 18500.0), ("250 Mm3", 250.0), ("0.02 km3", 20.0)])
def test_parse_volume(text, mm3):
    assert Volume.model_validate(text).mm3 == pytest.approx(mm3)


def test_volume_as_mapping():
    assert Volume.model_validate({"value": 18500, "unit": "Mm3"}).mm3 == 18500.0


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("395 m3/h", "unknown flow unit 'm3/h'"),
        (395, "a flow needs a unit"),
        ("m3/s", "is not a number followed by a unit"),
        ({"unit": "m3/s"}, "give exactly one of value, monthly, annual, series, file"),
        ({"unit": "m3/s", "value": 1, "series": [1, 2]}, "give exactly one of value, monthly, annual, series, file"),
        ({"unit": "Mm3/month", "series": []}, "'series' needs one value per model period"),
        ({"unit": "km3/yr", "series": [1] * 12}, "is an annual volume"),
        ({"unit": "m3/s", "annual": 3}, "'annual' needs unit"),
        ({"unit": "km3/yr", "value": 3}, "is an annual volume"),
        ({"unit": "m3/s", "monthly": [1] * 11}, "needs 12 values"),
        ({"unit": "m3/s", "value": 1, "profile": "x"}, "'profile' only goes with 'annual'"),
        ({"unit": "m3/s", "file": "a.csv"}, "'file' needs 'column'"),
    ],
)
def test_bad_flows(raw, fragment):
    with pytest.raises(ValidationError, match=fragment.replace("(", r"\(")):
        FlowSeries.model_validate(raw)


@pytest.mark.parametrize(("raw", "fragment"), [("18.5 km", "unknown volume unit"), (18.5, "a volume needs a unit")])
def test_bad_volumes(raw, fragment):
    with pytest.raises(ValidationError, match=fragment):
        Volume.model_validate(raw)


# -- unit conversion -----------------------------------------------------------------------------
@pytest.mark.parametrize(("days", "mm3"), [(31, 2.6784), (30, 2.592), (28, 2.4192), (29, 2.5056)])
def test_one_m3s_over_a_month(days, mm3):
    assert m3s_to_mm3(1.0, days) == pytest.approx(mm3, rel=1e-12)
    assert mm3_to_m3s(mm3, days) == pytest.approx(1.0, rel=1e-12)


def test_km3_mm3():
    assert km3_to_mm3(18.5) == pytest.approx(18500.0)
    assert mm3_to_km3(18500.0) == pytest.approx(18.5)


def _basin(profiles=None):
    return parse_basin({"name": "units", "profiles": profiles or {}}, "basin.yaml")


def test_rate_series_uses_the_days_of_each_month():
    tl = Timeline.from_start("2024-01", 14)  # 2024 is a leap year
    v = flow_mm3(FlowSeries.model_validate("1 m3/s"), _basin(), tl)
    assert v[:3] == pytest.approx([2.6784, 2.5056, 2.6784])
    assert v[3] == pytest.approx(2.592)
    assert v[13] == pytest.approx(2.4192)  # February 2025
    assert v.sum() == pytest.approx(86400 * (366 + 31 + 28) / 1e6)


def test_monthly_rate_series_picks_calendar_months():
    tl = Timeline.from_start("2025-10", 3)
    fs = FlowSeries.model_validate({"unit": "m3/s", "monthly": list(range(1, 13))})
    assert flow_mm3(fs, _basin(), tl) == pytest.approx([10 * 2.6784, 11 * 2.592, 12 * 2.6784])


def test_period_volume_units():
    tl = Timeline.from_start("2025-10", 2)
    assert flow_mm3(FlowSeries.model_validate("2 km3/month"), _basin(), tl) == pytest.approx([2000, 2000])
    assert flow_mm3(FlowSeries.model_validate("7 Mm3/month"), _basin(), tl) == pytest.approx([7, 7])


def test_per_period_series_one_value_per_period_in_its_unit():
    tl = Timeline.from_start("2025-12", 3)  # December, January, a 28-day February
    mm3 = FlowSeries.model_validate({"unit": "Mm3/month", "series": [410.25, 395.0, 12.5]})
    assert list(flow_mm3(mm3, _basin(), tl)) == [410.25, 395.0, 12.5]  # exactly, not approximately
    km3 = FlowSeries.model_validate({"unit": "km3/month", "series": [0.5, 1.0, 2.0]})
    assert flow_mm3(km3, _basin(), tl) == pytest.approx([500.0, 1000.0, 2000.0])
    rate = FlowSeries.model_validate({"unit": "m3/s", "series": [1.0, 1.0, 2.0]})
    assert flow_mm3(rate, _basin(), tl) == pytest.approx([2.6784, 2.6784, 2 * 2.4192])


def test_per_period_series_of_the_wrong_length_says_how_many_are_needed():
    tl = Timeline.from_start("2025-10", 12)
    fs = FlowSeries.model_validate({"unit": "Mm3/month", "series": [1.0] * 11})
    with pytest.raises(ValueError, match=r"'series' has 11 value\(s\), the model has 12 period\(s\) "
                                         r"\(2025-10..2026-09\)"):
        flow_mm3(fs, _basin(), tl)


PROFILE = [0.02, 0.02, 0.04, 0.08, 0.12, 0.16, 0.18, 0.14, 0.1, 0.06, 0.05, 0.03]


def test_annual_with_named_profile():
    tl = Timeline.from_start("2025-10", 24)
    basin = _basin({"p": PROFILE})
    v = flow_mm3(FlowSeries.model_validate({"unit": "km3/yr", "annual": 12.5, "profile": "p"}), basin, tl)
    wy = tl.water_years
    assert v[wy == 2025].sum() == pytest.approx(12.5 * 1000)
    assert v[wy == 2026].sum() == pytest.approx(12.5 * 1000)
    assert v[tl.labels.index("2026-07")] == pytest.approx(12500 * 0.18)
    assert v[0] == pytest.approx(12500 * 0.06)  # October


def test_annual_with_inline_profile_is_normalised():
    tl = Timeline.from_start("2025-01", 12)
    fs = FlowSeries.model_validate({"unit": "Mm3/yr", "annual": 120, "profile": [2] * 12})
    assert flow_mm3(fs, _basin(), tl) == pytest.approx([10.0] * 12)


@pytest.mark.parametrize(("start", "feb_days", "days"), [("2024-10", 28, 365), ("2023-10", 29, 366)])
def test_annual_default_day_share_sums_over_each_water_year(start, feb_days, days):
    """Without a profile an annual volume is spread by the days of each month of its water year
    (October..September here), leap Februaries included."""
    tl = Timeline.from_start(start, 12)
    v = flow_mm3(FlowSeries.model_validate("3.65 km3/yr"), _basin(), tl)
    assert v.sum() == pytest.approx(3650.0)
    assert v[0] == pytest.approx(3650.0 * 31 / days)  # October
    assert v[4] == pytest.approx(3650.0 * feb_days / days)  # February


@pytest.mark.parametrize(("year", "days"), [(2025, 365), (2024, 366)])
def test_annual_default_day_share_sums_over_a_calendar_year(year, days):
    """With water years starting in January, the water year is the calendar year."""
    tl = Timeline.from_start(f"{year}-01", 24, water_year_start_month=1)
    v = flow_mm3(FlowSeries.model_validate("3.65 km3/yr"), _basin(), tl)
    assert v[:12].sum() == pytest.approx(3650.0)
    assert v[12:].sum() == pytest.approx(3650.0)
    assert v[1] == pytest.approx(3650.0 * (29 if days == 366 else 28) / days)


def test_annual_default_day_share_over_several_water_years():
    tl = Timeline.from_start("2022-10", 48)  # water year 2023 holds 29 February 2024
    v = flow_mm3(FlowSeries.model_validate({"unit": "Mm3/yr", "annual": 100}), _basin(), tl)
    for wy in (2022, 2023, 2024, 2025):
        assert v[tl.water_years == wy].sum() == pytest.approx(100.0)


def test_depths():
    tl = Timeline.from_start("2025-10", 12)
    basin = _basin({"p": PROFILE})
    assert depth_mm(MonthlyDepth.model_validate([1.0] * 12), basin, tl) == pytest.approx([1.0] * 12)
    with_profile = depth_mm(MonthlyDepth.model_validate({"annual": 1000, "profile": "p"}), basin, tl)
    assert with_profile.sum() == pytest.approx(1000)
    assert with_profile[0] == pytest.approx(1000 * 0.06)
    by_days = depth_mm(MonthlyDepth.model_validate(365), basin, tl)
    assert by_days.sum() == pytest.approx(365)
    assert by_days[0] == pytest.approx(31)
    assert depth_mm(None, basin, tl) == pytest.approx([0.0] * 12)


# -- calendar ------------------------------------------------------------------------------------
def test_water_years_from_october():
    tl = Timeline.from_start("2025-10", 24)
    assert list(tl.water_years) == [2025] * 12 + [2026] * 12
    assert sorted(tl.full_water_years()) == [2025, 2026]
    assert tl.full_water_years()[2025] == list(range(12))
    assert tl.labels[0] == "2025-10"
    assert tl.labels[12] == "2026-10"
    assert tl.labels[-1] == "2027-09"
    assert water_year_label(2025) == "2025-26"
    assert water_year_label(2099) == "2099-00"


def test_partial_water_years_are_not_full():
    tl = Timeline.from_start("2025-01", 24)  # water years 2024 (9 months), 2025 (12), 2026 (3)
    assert list(tl.water_years) == [2024] * 9 + [2025] * 12 + [2026] * 3
    assert list(tl.full_water_years()) == [2025]


def test_water_year_start_month_january():
    tl = Timeline.from_start("2025-01", 24, water_year_start_month=1)
    assert list(tl.water_years) == [2025] * 12 + [2026] * 12
    assert tl.month_index[:3].tolist() == [0, 1, 2]


@pytest.mark.parametrize("text", ["2025-13", "2025/10", "October"])
def test_bad_months(text):
    with pytest.raises(ValueError, match="month"):
        Timeline.from_start(text, 12)


# -- the format documentation stays in step with the schema --------------------------------------
DOC = Path(__file__).resolve().parents[1] / "docs" / "data-format.md"


def _models():
    from balkhash.network import periods, quantities, schema

    return [
        schema.Basin, schema.CalendarSpec, schema.Options, schema.InflowNode, schema.JunctionNode,
        schema.SinkNode, schema.ReservoirNode, schema.DemandNode, schema.LakeNode, schema.Link,
        schema.EcoFlowTarget, schema.LakeInflowTarget, schema.LakeLevelTarget, schema.HydropowerPlant,
        quantities.FlowSeries, quantities.Volume, quantities.MonthlyDepth, quantities.LevelAreaVolume,
        quantities.RuleCurve, periods.PeriodValues, periods.VolumeSeries, periods.StorageSegment,
        periods.EndStorage, periods.ShortfallCurve, periods.LinkSegment,
    ]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_data_format_doc_names_every_field(model):
    doc = DOC.read_text(encoding="utf-8")
    missing = [f.alias or name for name, f in model.model_fields.items() if f"`{f.alias or name}`" not in doc]
    assert not missing, f"{model.__name__}: fields not documented in {DOC.name}: {missing}"


def test_data_format_doc_lists_every_type_sector_and_unit():
    from balkhash.network.schema import NODE_TYPES, SECTORS
    from balkhash.network.units import FLOW_UNITS, VOLUME_UNITS

    doc = DOC.read_text(encoding="utf-8")
    for word in (*NODE_TYPES, *SECTORS, *FLOW_UNITS, *VOLUME_UNITS, "eco_flow", "lake_inflow", "lake_level"):
        assert f"`{word}`" in doc, word


def test_data_format_doc_example_is_the_bundled_example():
    doc = DOC.read_text(encoding="utf-8")
    src = example_path("small_basin")
    yaml_block = doc.split("`basin.yaml`:\n\n```yaml\n", 1)[1].split("```", 1)[0]
    assert yaml_block == (src / "basin.yaml").read_text(encoding="utf-8")
    csv_block = doc.split("as the `unit` of the series reading them says):\n\n```csv\n", 1)[1].split("```", 1)[0]
    assert csv_block == (src / "series.csv").read_text(encoding="utf-8")


# -- YAML as a basin file means it ------------------------------------------------------------------
def _tiny_text() -> str:
    return (example_path("tiny_river") / "basin.yaml").read_text()


def _problems_of(directory: Path) -> list[str]:
    from balkhash.network.errors import BasinError

    with pytest.raises(BasinError) as info:
        load_basin(directory)
    return [str(p) for p in info.value.problems]


def test_exponent_without_a_dot_is_a_number(tmp_path):
    # YAML 1.1 (PyYAML) reads 1e3 as text; a basin file means the number
    from balkhash.network.io import read_yaml

    (tmp_path / "x.yaml").write_text("a: 1e9\nb: -2E-3\nc: [1e5, +3e0]\nd: 1e\n")
    assert read_yaml(tmp_path / "x.yaml") == {"a": 1e9, "b": -2e-3, "c": [1e5, 3.0], "d": "1e"}
    text = _tiny_text().replace("shortfall_cost: 100", "shortfall_cost: 1e2").replace("initial_level_m: 104",
                                                                                     "initial_level_m: 1.04E+2")
    (tmp_path / "basin.yaml").write_text(text)
    basin = load_basin(tmp_path)
    assert basin.node("FARM").shortfall_cost == 100.0
    assert basin.node("LAKE").initial_level_m == 104.0


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path):
    text = _tiny_text().replace("    shortfall_cost: 100\n", "    shortfall_cost: 100\n    shortfall_cost: 5\n")
    (tmp_path / "basin.yaml").write_text(text)
    [msg] = _problems_of(tmp_path)
    line = text.splitlines().index("    shortfall_cost: 5") + 1
    assert f"line {line}, column 5" in msg
    assert f"duplicate key 'shortfall_cost' (first given on line {line - 1})" in msg


def test_a_key_given_twice_in_a_flow_mapping_is_refused(tmp_path):
    text = _tiny_text().replace("{id: RIVER-FARM, from: RIVER, to: FARM}", "{id: RIVER-FARM, from: RIVER, to: FARM, "
                                "to: LAKE}")
    (tmp_path / "basin.yaml").write_text(text)
    [msg] = _problems_of(tmp_path)
    assert "duplicate key 'to'" in msg


def test_deep_nesting_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "basin.yaml").write_text("name: " + "[" * 20000 + "]" * 20000 + "\n")
    [msg] = _problems_of(tmp_path)
    assert msg.endswith("basin.yaml: nested too deeply to read (brackets or indentation hundreds of levels deep)")


def test_a_directory_named_basin_yaml_is_a_problem(tmp_path):
    (tmp_path / "b.yaml").mkdir()
    from balkhash.network.errors import BasinError
    from balkhash.network.io import read_yaml

    with pytest.raises(BasinError, match=r"b\.yaml: not a file"):
        read_yaml(tmp_path / "b.yaml")
