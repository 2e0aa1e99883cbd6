"""Hindcast: observation files, the model's value at an observation, the historical inflows of the
default basin, the command and its files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from balkhash.cli import app
from balkhash.data import default_basin_path
from balkhash.history.hindcast import Hindcast, HindcastSetup, load_setup
from balkhash.history.observations import ObservationError, read_observations
from balkhash.network import load_basin
from balkhash.network.io import parse_basin

runner = CliRunner()
HEADER = "quantity,site,when,value,unit,sigma,source\n"
#: the lake of the synthetic basin: area 1000 km2 at every level, so 1 Mm3 = 1 mm of level
LAKE_TABLE = {"level_m": [0.0, 10.0], "area_km2": [1000.0, 1000.0], "volume": [0.0, 10000.0], "volume_unit": "Mm3"}


def lake_basin(months: int = 24, inflow_mm3: float = 31.0) -> dict:
    """RIVER (constant Mm3 per month) -> LAKE with a vertical-walled table (1 000 km2), no
    evaporation: the lake rises by exactly the inflow, 1 Mm3 = 1 mm."""
    return {
        "name": "rising lake",
        "calendar": {"start": "2001-01", "periods": months},
        "nodes": [
            {"id": "RIVER", "type": "inflow", "inflow": {"unit": "Mm3/month", "value": inflow_mm3}},
            {"id": "LAKE", "type": "lake", "table": LAKE_TABLE, "initial_level_m": 5.0,
             "evaporation_mm": [0.0] * 12},
        ],
        "links": [{"id": "RIVER-LAKE", "from": "RIVER", "to": "LAKE"}],
    }


def write_obs(tmp_path: Path, rows: list[str], name: str = "obs.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return p


def test_model_value_at_a_date_a_month_and_a_year_is_the_linear_state_between_month_ends(tmp_path):
    """31 Mm3 a month into a lake of 1 000 km2: the level rises 0.031 m a month, from 5 m on
    1 January 2001.  At 15 February the level is 5 + 0.031 + 0.031 x 15/28; the mean of March is
    the mean of its start and end; the annual mean of 2001 weighs each month by its days."""
    obs = read_observations(write_obs(tmp_path, [
        "level,LAKE,2001-02-15,5.0,m,0.1,x", "level,LAKE,2001-03,5.0,m,0.1,x", "level,LAKE,2001,5.0,m,0.1,x",
        "storage,LAKE,2002-12,5.0,km3,0.1,x", "flow,RIVER-LAKE,2001-02,1.0,m3/s,1,x",
        "flow,RIVER-LAKE,2002,1.0,km3,1,x", "level,LAKE,2003-01,5.0,m,0.1,x"]))
    res = Hindcast(parse_basin(lake_basin(), "rising.yaml"), HindcastSetup(), obs).run()
    model = dict(zip(res.table["when"] + res.table["quantity"], res.table["model"], strict=True))
    rise = 0.031
    assert model["2001-02-15level"] == pytest.approx(5 + rise + rise * 15 / 28)
    assert model["2001-03level"] == pytest.approx(5 + 2.5 * rise)
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], float)
    ends = 5 + rise * np.arange(1, 13)
    assert model["2001level"] == pytest.approx(float(np.sum(days * (ends - rise / 2)) / days.sum()))
    assert model["2002-12storage"] == pytest.approx((5000 + 31 * 23.5) / 1000)  # km3
    assert model["2001-02flow"] == pytest.approx(31e6 / (28 * 86400))  # m3/s with February's 28 days
    assert model["2002flow"] == pytest.approx(12 * 31 / 1000)  # km3
    assert len(res.skipped) == 1
    assert res.skipped[0].when == "2003-01"
    # the errors and the statistics are recomputed from the table
    assert np.allclose(res.table["error"], res.table["model"] - res.table["observed"])
    lv = res.table[res.table["quantity"] == "level"]["error"]
    st = res.stats.set_index(["quantity", "site"]).loc[("level", "LAKE")]
    assert st["bias"] == pytest.approx(lv.mean())
    assert st["rmse"] == pytest.approx(float(np.sqrt(np.mean(lv ** 2))))


@pytest.mark.parametrize(("row", "field"), [
    ("level,LAKE,2001-13,5,m,0.1,x", "when"),
    ("level,LAKE,2001-02-30,5,m,0.1,x", "when"),
    ("level,LAKE,01/2001,5,m,0.1,x", "when"),
    ("level,LAKE,2001-02,abc,m,0.1,x", "value"),
    ("level,LAKE,2001-02,5,m,0,x", "sigma"),
    ("level,LAKE,2001-02,5,km3,0.1,x", "unit"),
    ("depth,LAKE,2001-02,5,m,0.1,x", "quantity"),
    ("flow,RIVER-LAKE,2001-02-03,5,Mm3,1,x", "unit"),
])
def test_a_bad_observation_is_named_by_file_line_and_field(tmp_path, row, field):
    path = write_obs(tmp_path, ["level,LAKE,2001-01,5,m,0.1,x", row])
    with pytest.raises(ObservationError) as exc:
        read_observations(path)
    assert f"{path}: line 3: {field}:" in str(exc.value)


def test_a_missing_column_or_an_unknown_site_is_an_error_naming_it(tmp_path):
    p = tmp_path / "obs.csv"
    p.write_text("quantity,site,when,value,unit,source\nlevel,LAKE,2001,5,m,x\n", encoding="utf-8")
    with pytest.raises(ObservationError, match=r"missing column.*sigma"):
        read_observations(p)
    obs = read_observations(write_obs(tmp_path, ["level,POND,2001,5,m,0.1,x"]))
    with pytest.raises(ObservationError, match="line 2: site: 'POND': unknown node"):
        Hindcast(parse_basin(lake_basin(), "rising.yaml"), HindcastSetup(), obs)


def test_the_command_reports_a_bad_file_in_one_line_with_exit_code_1(tmp_path):
    path = write_obs(tmp_path, ["level,BALKHASH,2011-02-31,342.6,m,0.1,x"])
    r = runner.invoke(app, ["hindcast", "--observed", str(path), "--out", str(tmp_path / "out")])
    assert r.exit_code == 1
    assert "line 2: when: '2011-02-31': 2011-02 has no day 31" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def default_hindcast():
    basin = load_basin(default_basin_path())
    return Hindcast(basin, load_setup(basin))


def test_the_default_hindcast_uses_the_runoff_table_by_calendar_month(default_hindcast):
    """Each calendar year of 2010-2020 carries its runoff table's China volume at ILE_CN (km3 ->
    Mm3) and its Kazakh part as a factor on the Ile tributaries; every target is priced at 0."""
    h = default_hindcast
    tl = h.basin.timeline()
    assert (tl.labels[0], tl.labels[-1], tl.n) == ("2010-01", "2020-12", 132)
    table = pd.read_csv(Path(default_basin_path()) / "transboundary_years.csv")
    table = table[table["year"] != "mean"].astype({"year": int}).set_index("year")
    inflow = h.moved.model.get("inflow", "ILE_CN")
    years = np.array([y for y, _ in tl.months])
    for y in (2010, 2014, 2020):
        assert inflow[years == y].sum() == pytest.approx(1000 * table.loc[y, "china_km3"])
    mean = load_basin(default_basin_path())
    base = next(n for n in mean.nodes if n.id == "CHARYN").inflow.annual
    charyn = h.moved.model.get("inflow", "CHARYN")
    factor = table.loc[2014, "kazakhstan_km3"] / table["kazakhstan_km3"].mean()
    assert charyn[years == 2014].sum() == pytest.approx(base * factor)
    assert all(t.penalty == 0.0 for t in h.basin.targets)
    assert next(n for n in h.basin.nodes if n.id == "BALKHASH").initial_level_m == 342.5


def test_the_default_hindcast_compares_the_shipped_observations_of_2010_2020(default_hindcast):
    res = default_hindcast.run()
    compared = set(zip(res.table["quantity"], res.table["when"], strict=True))
    assert {("level", "2011"), ("level", "2016-06"), ("storage", "2017-12-13")} <= compared
    assert all(o.year < 2010 or o.year > 2020 for o in res.skipped)
    lv = res.level_stats()
    assert lv["n"] == 3
    e = res.table[res.table["quantity"] == "level"]["error"].to_numpy()
    assert lv["rmse_m"] == pytest.approx(float(np.sqrt(np.mean(e ** 2))))
    # the model's end-of-month series holds the value compared at a month: June 2016 is the mean of May and June ends
    s = res.series[(res.series["quantity"] == "level")].set_index("period")["value"]
    june = res.table[(res.table["quantity"] == "level") & (res.table["when"] == "2016-06")]["model"].iloc[0]
    assert june == pytest.approx((s["2016-05"] + s["2016-06"]) / 2)


def test_hindcast_command_writes_its_files(tmp_path):
    out = tmp_path / "h"
    r = runner.invoke(app, ["hindcast", "--out", str(out), "--initial", "BALKHASH=342.4 m"])
    assert r.exit_code == 0, r.output
    for f in ("hindcast.csv", "hindcast_stats.csv", "hindcast_series.csv", "hindcast.png", "hindcast.html",
              "hindcast.json"):
        assert (out / f).is_file(), f
    t = pd.read_csv(out / "hindcast.csv")
    assert np.allclose(t["error"], t["model"] - t["observed"])
    assert (out / "hindcast.png").read_bytes()[:4] == b"\x89PNG"
    html = (out / "hindcast.html").read_text(encoding="utf-8")
    assert "<section id='hindcast'>" in html
    assert "data:image/png;base64," in html
    series = pd.read_csv(out / "hindcast_series.csv")
    first = series[(series["quantity"] == "level")]["value"].iloc[0]
    assert 342.2 < first < 342.7  # started at 342.4 m (--initial after the setup's 342.5 m)


def test_a_setup_with_an_unknown_field_or_a_year_outside_the_table_is_refused(tmp_path):
    basin = load_basin(default_basin_path())
    setup = yaml.safe_load((Path(default_basin_path()) / "observed" / "hindcast.yaml").read_text())
    setup["observations"] = str(Path(default_basin_path()) / "observed" / "observations.csv")
    setup["runoff_table"] = str(Path(default_basin_path()) / "transboundary_years.csv")
    bad = dict(setup, color="red")
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(bad))
    r = runner.invoke(app, ["hindcast", "--setup", str(tmp_path / "a.yaml"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1
    assert "unknown field(s) color" in r.output
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(setup))
    r = runner.invoke(app, ["hindcast", "--setup", str(tmp_path / "b.yaml"), "--from", "2008", "--to", "2012",
                            "--out", str(tmp_path / "o")])
    assert r.exit_code == 1
    assert "no runoff for year(s) 2008-2009" in r.output
    assert "the table gives 2010-2020" in r.output
    assert load_setup(basin, tmp_path / "b.yaml").first_year == 2010


def test_the_html_report_takes_the_hindcast_section(tmp_path):
    from balkhash.allocation.solve import solve
    from balkhash.outputs.hindcast_report import hindcast_section
    from balkhash.outputs.report import build_report

    basin = parse_basin(lake_basin(months=12), "rising.yaml")
    obs = read_observations(write_obs(tmp_path, ["level,LAKE,2001-06,5.2,m,0.05,x"]))
    res = Hindcast(basin, HindcastSetup(), obs).run()
    section = hindcast_section(res, "Hindcast of the rising lake")
    text = build_report(solve(basin), basin, sections=[("hindcast", "Hindcast", section)])
    assert "<a href='#hindcast'>Hindcast</a>" in text
    assert text.count("<section id='hindcast'>") == 1
    assert f"{res.table['error'].iloc[0]:,.3f}" in section  # the error of the observation, in the table


def test_monthly_inflows_replace_the_months_they_give(tmp_path):
    """A month of monthly_inflows (period,node,inflow_mm3) replaces that month's inflow of its node;
    the other months stay; a bad value names the file and the line."""
    from balkhash.history.hindcast import HindcastError, hindcast_basin

    basin = parse_basin(lake_basin(months=12), "rising.yaml")
    csv = tmp_path / "monthly.csv"
    csv.write_text("period,node,inflow_mm3\n2001-03,RIVER,100\n2005-01,RIVER,7\n", encoding="utf-8")
    b = hindcast_basin(basin, HindcastSetup(monthly_inflows=csv))
    obs = read_observations(write_obs(tmp_path, ["level,LAKE,2001-04-30,5,m,0.1,x"]))
    res = Hindcast(b, HindcastSetup(), obs).run()
    assert res.table["model"].iloc[0] == pytest.approx(5 + (3 * 31 + 100) / 1000)  # 1 Mm3 = 1 mm
    csv.write_text("period,node,inflow_mm3\n2001-03,RIVER,-4\n", encoding="utf-8")
    with pytest.raises(HindcastError, match=r"monthly.csv: line 2: inflow_mm3: '-4' is not a volume >= 0"):
        hindcast_basin(basin, HindcastSetup(monthly_inflows=csv))


@pytest.mark.parametrize(("setup", "message"), [
    ({"from": "2010"}, "from: a calendar year"),
    ({"initial": ["BALKHASH"]}, "initial: expected a mapping"),
    ({"parameters": {"x": {"kind": "inflow"}}}, "parameters.x: needs kind and key"),
    ({"parameters": {"x": {"kind": "inflow", "key": "ILE_CN", "low": "a"}}}, "low and high must be numbers"),
    ({"parameters": {"x": {"kind": "inflow", "key": "ILE_CN", "low": 2, "high": 1}}}, "low (2) must be below"),
])
def test_a_bad_setup_is_named_by_its_file_and_field(tmp_path, setup, message):
    from balkhash.history.hindcast import HindcastError

    p = tmp_path / "hindcast.yaml"
    p.write_text(yaml.safe_dump(setup), encoding="utf-8")
    with pytest.raises(HindcastError) as exc:
        load_setup(load_basin(default_basin_path()), p)
    assert str(exc.value).startswith(f"{p}: ")
    assert message in str(exc.value)


def test_the_hindcast_sets_the_allocation_policy_aside():
    """As operated: the users' own costs, every target at 0, no policy cutting users for the lake
    (the default basin's water_code would share the lake's deficit with the irrigators)."""
    from balkhash.data import default_basin_path
    from balkhash.history.hindcast import hindcast_basin
    from balkhash.network.io import load_basin

    basin = load_basin(default_basin_path())
    assert basin.options.policy == "water_code"
    b = hindcast_basin(basin, HindcastSetup())
    assert b.options.policy == "none"
    assert all(t.penalty == 0.0 for t in b.targets)
    assert basin.options.policy == "water_code"  # the basin itself is not changed


def test_the_report_command_adds_the_basins_hindcast(tmp_path):
    """`balkhash report --hindcast`: the default basin's hindcast (its setup, its shipped
    observations) is a section of the report, linked from the navigation; a basin without
    observations, or --observed without --hindcast, is refused and writes nothing."""
    from typer.testing import CliRunner

    from balkhash.cli import app

    runner = CliRunner()
    out = tmp_path / "report.html"
    r = runner.invoke(app, ["report", "--hindcast", "--out", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "<a href='#hindcast'>Hindcast</a>" in text
    assert text.count("<section id='hindcast'>") == 1
    assert "RMSE" in text
    for args, message in ((["-b", "tiny_river", "--hindcast"], "no observations"),
                          (["--observed", str(tmp_path / "o.csv")], "--observed goes with --hindcast")):
        bad = tmp_path / "bad.html"
        r = runner.invoke(app, ["report", *args, "--out", str(bad)])
        assert r.exit_code == 1, r.output
        assert message in r.output
        assert not bad.exists()
