"""A basin that flags several inflows transboundary: the studies that drive the inflow from China
name them instead of taking the first quietly."""

from __future__ import annotations

import pytest
from analytical_basins import inflow, lake, link, make_basin

from balkhash.ensemble.probability import DesignYear, design_scenario
from balkhash.ensemble.runner import spec_for
from balkhash.scenarios.transboundary import TransboundaryError, sole_transboundary_node
from balkhash.studies.study import Study, StudyError

TABLE = {"level_m": [100.0, 110.0], "area_km2": [100.0, 100.0], "volume": [0.0, 100_000.0]}


def two_borders(second: bool = True):
    return make_basin(
        [inflow("A", 10.0, transboundary=True), inflow("B", 5.0, transboundary=second), lake("L", TABLE, 101.0)],
        [link("A", "L"), link("B", "L")],
        targets=[{"id": "L-IN", "type": "lake_inflow", "lake": "L", "min_annual_km3": 0.1}],
        periods=12, validate=True)


def test_one_flag_is_the_node_several_are_refused_with_their_ids():
    assert sole_transboundary_node(two_borders(second=False), "x") == "A"
    with pytest.raises(TransboundaryError, match=r"the ensemble drives the inflow from China.*\(A, B\)"):
        sole_transboundary_node(two_borders(), "the ensemble")


def test_a_study_moving_the_inflow_from_china_names_the_flagged_inflows():
    study = Study(two_borders())
    assert study.tb_node is None
    with pytest.raises(StudyError, match=r"several inflows transboundary: true \(A, B\)"):
        study.set("transboundary", 1.0)
    study.set("inflow_multiplier", 1.1)  # a study that does not need it still runs
    assert study.solve().status == "optimal"


def test_the_ensemble_and_a_probability_plan_refuse_it():
    basin = two_borders()
    with pytest.raises(TransboundaryError, match=r"\(A, B\)"):
        spec_for(basin, None)  # refused before the generator is used
    with pytest.raises(TransboundaryError, match="exceedance probability"):
        design_scenario(basin, DesignYear(50.0, 1.0, 1.0, "record"), "p50")
