"""The LP of a tiny 2-period basin, written by Pyomo with symbolic labels from the model built from
the matrix (``Allocation.to_pyomo``), against a golden file.

Any change to the formulation (a coefficient, a bound, a row, a variable name, the order of the
builders) shows up as a diff of ``tests/golden/tiny.lp``.  When the change is intended, regenerate
the file and review the diff:

    BALKHASH_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden_lp.py

The basin avoids anything fitted numerically (no level-area-volume tables, whose least-squares area
fit could differ in the last digits between platforms), so the file is exact and deterministic.
What it holds: an inflow with two monthly values, a reservoir with constant-area evaporation and
an end-storage condition, a lossy canal with per-period and annual capacities to a demand with a
shortfall cost and a return flow, a junction, a hard minimum flow, an eco-flow target and a
hydropower plant with an energy target.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from balkhash.allocation.solve import Allocation
from balkhash.network.io import parse_basin

GOLDEN = Path(__file__).parent / "golden" / "tiny.lp"
UPDATE = os.environ.get("BALKHASH_UPDATE_GOLDEN") == "1"

TINY = {
    "name": "tiny",
    "calendar": {"start": "2025-10", "periods": 2},
    "nodes": [
        {"id": "A", "type": "inflow",
         "inflow": {"unit": "Mm3/month", "monthly": [0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 4, 0]}},
        {"id": "R", "type": "reservoir", "min_storage": "0 Mm3", "max_storage": "50 Mm3",
         "initial_storage": "20 Mm3", "area_km2": 10.0,
         "evaporation_mm": [0, 0, 0, 0, 0, 0, 0, 0, 0, 50, 20, 0], "end_storage": "initial"},
        {"id": "D", "type": "demand", "sector": "agriculture", "target": "8 Mm3/month",
         "consumptive_fraction": 0.75, "return_to": "J", "shortfall_cost": 120},
        {"id": "J", "type": "junction"},
        {"id": "S", "type": "sink"},
    ],
    "links": [
        {"id": "A-R", "from": "A", "to": "R"},
        {"id": "CANAL", "from": "R", "to": "D", "loss_fraction": 0.1, "capacity": "9 Mm3/month",
         "annual_capacity": "60 Mm3/yr"},
        {"id": "R-J", "from": "R", "to": "J"},
        {"id": "J-S", "from": "J", "to": "S", "min_flow": "0.5 Mm3/month"},
    ],
    "targets": [{"id": "ECO", "type": "eco_flow", "link": "J-S", "min_flow": "2 Mm3/month"}],
    "hydropower": [
        {"id": "P", "link": "R-J", "head_m": 50.0, "efficiency": 0.9, "capacity_mw": 5.0,
         "energy_target_gwh": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 0], "energy_shortfall_cost": 40.0},
    ],
}


def write_lp(path: Path) -> str:
    Allocation(parse_basin(TINY, "tiny.yaml")).write_lp(path)
    return path.read_text(encoding="utf-8")


def test_lp_matches_the_golden_file(tmp_path):
    text = write_lp(tmp_path / "tiny.lp")
    if UPDATE:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
        pytest.skip(f"golden file regenerated: {GOLDEN}")
    assert GOLDEN.exists(), f"no golden file; create it with BALKHASH_UPDATE_GOLDEN=1 ({GOLDEN})"
    expected = GOLDEN.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            "golden/tiny.lp", "written", n=2))
        pytest.fail("the LP differs from tests/golden/tiny.lp (if intended, regenerate with "
                    f"BALKHASH_UPDATE_GOLDEN=1):\n{diff}")


def test_lp_is_deterministic(tmp_path):
    """Two independent builds write byte-identical files."""
    assert write_lp(tmp_path / "one.lp") == write_lp(tmp_path / "two.lp")


def test_golden_lp_has_the_expected_rows():
    """A readable summary of the golden file, so a regeneration cannot silently drop a family."""
    if not GOLDEN.exists():
        pytest.skip("no golden file yet")
    text = GOLDEN.read_text(encoding="utf-8")
    for row in ("balance(A_0)", "balance(D_1)", "balance(J_0)", "continuity(R_0)", "continuity(R_1)",
                "annual_capacity(CANAL_2025)", "eco_flow(ECO_0)", "end_storage(_end_storage_R_)",
                "turbine_limit(P_0)", "energy_target(P_1)"):
        assert row in text, row
    # continuity of R in October: S - S0 + ... = -E = -10 km2 x 50 mm / 1000 = -0.5 (the inflow 12
    # is the flow A-R, a variable; the start S0 is a column fixed at 20 by its bounds)
    row = text.split("c_e_continuity(R_0)_:")[1].split("\n\n")[0]
    assert "-1.0 storage_initial(R)" in row
    assert "= -0.5" in row
    assert "20.0 <= storage_initial(R) <= 20.0" in text
    # annual canal licence pro rata: 60 Mm3 x 61 / 365 days
    row = text.split("annual_capacity(CANAL_2025)")[1].split("\n\n")[0]
    assert float(row.split("<=")[1]) == pytest.approx(60 * 61 / 365, rel=1e-12)
