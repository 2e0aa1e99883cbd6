"""CALVIN cross-checks: ``balkhash import calvin`` against CALVIN's own numbers and against the
links file solved directly (tests/peers/calvin/LICENSE-NOTE.md).

* example 1 (Shasta, two months): objective -9587.6894813 and the reduced costs of the three
  carry-over segment bounds -7.00344, -2.97378, -1.46632, both imported and written by hand as a
  native reservoir basin;
* California WY1922 (61,709 links): the imported basin's optimum equals that of the links file solved
  by the independent formulation below (CALVIN's: one column per row, its bounds and cost, every
  node but SOURCE and SINK balanced with X arriving and X / amplitude leaving) to 1e-9 relative.
"""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

import balkhash
from balkhash.cli import app
from balkhash.network.errors import BasinError
from balkhash.network.io import load_basin
from balkhash.peers.calvin import MM3_PER_TAF, import_calvin

HERE = Path(__file__).resolve().parent / "peers" / "calvin"
EXAMPLE1 = HERE / "links_example1.csv"
WY1922 = HERE / "linksWY1922.csv.gz"
OBJECTIVE1 = -9587.6894813
DUALS1 = [-7.00344, -2.97378, -1.46632]


def solve_links_directly(path: Path, drop_debug: bool = True) -> float:
    """CALVIN's LP of a links file by HiGHS alone: min sum c X, l <= X <= u, and for every node but
    SOURCE and SINK sum of X arriving = sum of X / amplitude leaving."""
    df = pd.read_csv(path)
    if drop_debug:
        df = df[~(df.i.str.contains("DBUG") | df.j.str.contains("DBUG"))]
    nodes = pd.Index(pd.unique(df[["i", "j"]].to_numpy().ravel()))
    i, j, n = nodes.get_indexer(df.i), nodes.get_indexer(df.j), len(df)
    cols = np.arange(n)
    A = sp.coo_matrix((np.r_[np.ones(n), -1.0 / df.amplitude.to_numpy()], (np.r_[j, i], np.r_[cols, cols])),
                      shape=(len(nodes), n)).tocsr()
    A = A[np.flatnonzero(~nodes.isin(["SOURCE", "SINK"]))].tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, A.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = (df[c].to_numpy(float) for c in ("cost", "lower_bound",
                                                                                  "upper_bound"))
    lp.row_lower_ = lp.row_upper_ = np.zeros(A.shape[0])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value


def segment_duals(sol, node: str, period: str) -> np.ndarray:
    """The reduced costs of the storage segments' capacity bounds of ``node`` in ``period`` (d = -marginal
    value), in the order of the segments."""
    b = sol.bound_duals
    b = b[(b["kind"] == "storage_segment") & b["id"].str.startswith(f"{node}:") & (b["period"] == period)]
    return -b.sort_values("id")["marginal_value"].to_numpy()


# -- example 1 -------------------------------------------------------------------------------------
def test_the_direct_formulation_gives_calvins_example1():
    assert solve_links_directly(EXAMPLE1) == pytest.approx(OBJECTIVE1, rel=1e-12)


def test_example1_imported(tmp_path):
    """Imported (thousand acre-feet into Mm3, costs per Mm3): CALVIN's objective; the duals per Mm3
    are CALVIN's per TAF over 1.2334818 Mm3 per TAF."""
    report = import_calvin(EXAMPLE1, tmp_path / "ex1")
    assert report.counts["storages"] == 1
    basin = load_basin(tmp_path / "ex1")
    res = basin.node("SR_SHA")
    assert res.type == "reservoir"
    assert res.initial_storage.mm3 == pytest.approx(3686.84 * MM3_PER_TAF)
    sol = balkhash.solve(basin)
    assert sol.objective == pytest.approx(OBJECTIVE1, rel=1e-9)
    assert segment_duals(sol, "SR_SHA", "1983-10") * MM3_PER_TAF == pytest.approx(DUALS1, rel=1e-9)


def test_example1_imported_in_calvins_own_unit(tmp_path):
    """--unit mm3 takes the file's numbers as they are: the duals are CALVIN's own."""
    import_calvin(EXAMPLE1, tmp_path / "ex1", unit="mm3")
    sol = balkhash.solve(tmp_path / "ex1")
    assert sol.objective == pytest.approx(OBJECTIVE1, rel=1e-9)
    assert segment_duals(sol, "SR_SHA", "1983-10") == pytest.approx(DUALS1, rel=1e-9)
    st = sol.storage[sol.storage["node"] == "SR_SHA"]
    # the three segments full: 3 400 TAF carried, 3 409.68 stored at the end of October; November ends at FINAL's
    assert st["storage_mm3"].to_numpy() == pytest.approx([3400.0 / 0.99716, 2923.297])


def test_example1_written_by_hand_as_a_native_reservoir():
    """tests/peers/calvin/example1/basin.yaml: the same model with a reservoir, its carry factor, its
    storage segments and an exact end storage, no import."""
    sol = balkhash.solve(HERE / "example1")
    assert sol.objective == pytest.approx(OBJECTIVE1, rel=1e-9)
    assert segment_duals(sol, "SR_SHA", "1983-10") == pytest.approx(DUALS1, rel=1e-9)
    assert sol.storage["storage_mm3"].to_numpy() == pytest.approx([3400.0 / 0.99716, 2923.297])


# -- California WY1922 -------------------------------------------------------------------------------
def test_california_wy1922_imported_equals_the_links_file_solved_directly(tmp_path):
    """61,709 links (25,850 of them CALVIN's debug links, which a run outside its debug mode leaves out,
    as the import does: with them the optimum is the same, their flows are 0)."""
    report = import_calvin(WY1922, tmp_path / "wy")
    assert report.counts["periods"] == 12
    assert report.counts["debug"] == 25850
    sol = balkhash.solve(tmp_path / "wy")
    direct = solve_links_directly(WY1922)
    assert sol.objective == pytest.approx(direct, rel=1e-9)
    assert solve_links_directly(WY1922, drop_debug=False) == pytest.approx(direct, rel=1e-9)
    # rolling re-plans over the rest of the year from the state reached: the same optimum (windows
    # carry the carry factors, the storage segments and the link segments of their own months)
    from balkhash.simulation import Simulator

    rolling = Simulator(tmp_path / "wy", mode="rolling", window=12).solve()
    assert rolling.objective == pytest.approx(direct, rel=1e-9)


def test_calvin_through_the_aggregated_lp(tmp_path):
    """The same models with their LP aggregated before HiGHS (balkhash.allocation.aggregate): example 1
    keeps CALVIN's objective and its published duals, recovered for rows that left the LP; WY1922's
    optimum equals the links file's, and its solution with its duals is optimal for the full LP."""
    from test_aggregation import assert_optimal_for_the_full_lp

    from balkhash.allocation.solve import Allocation

    sol = balkhash.solve(HERE / "example1", aggregate=True)
    assert sol.objective == pytest.approx(OBJECTIVE1, rel=1e-9)
    assert segment_duals(sol, "SR_SHA", "1983-10") == pytest.approx(DUALS1, rel=1e-9)
    import_calvin(WY1922, tmp_path / "wy")
    plain = Allocation(tmp_path / "wy", aggregate=False)
    agg = Allocation(tmp_path / "wy", aggregate=True)
    assert agg.backend.num_rows < plain.backend.num_rows
    assert agg.solve().objective == pytest.approx(solve_links_directly(WY1922), rel=1e-9)
    assert_optimal_for_the_full_lp(agg)


# -- what cannot be converted ---------------------------------------------------------------------------
def _links_file(tmp_path: Path, extra: str) -> Path:
    p = tmp_path / "links.csv"
    p.write_text(EXAMPLE1.read_text(encoding="utf-8").rstrip("\n") + "\n" + extra, encoding="utf-8")
    return p


@pytest.mark.parametrize(("extra", "message"), [
    ("SR_SHA.1983-10-31,SINK.1983-11-30,0,0,1,0,10\n", "a link across months between different nodes"),
    ("INFLOW.1983-11-30,SR_SHA.1983-11-30,1,0,1,0,10\n", "must be fixed"),
    ("SR_XX.1983-10-31,SR_XX.1983-11-30,0,0,1,0,10\nSR_XX.1983-11-30,SINK.1983-11-30,0,0,1,0,10\n"
     "SR_XX.1983-10-31,SINK.1983-10-31,0,0,1,0,10\n", "needs an INITIAL link"),
    ("SR_SHA.1983-10-31,SR_SHA.1983-11-30,3,-1,0.9,0,10\n", "amplitude of its storage links changes"),
    ("SR_SHA.1983-10-31,9LIVES.1983-10-31,0,0,1,0,10\n9LIVES.1983-10-31,SINK.1983-10-31,0,0,1,0,10\n",
     "node '9LIVES': not a balkhash identifier"),
])
def test_what_cannot_be_converted_is_listed_and_refused(tmp_path, extra, message):
    with pytest.raises(BasinError, match=message):
        import_calvin(_links_file(tmp_path, extra), tmp_path / "out")
    assert not (tmp_path / "out" / "basin.yaml").exists()


def test_the_command_line(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["import", "calvin", str(EXAMPLE1), str(tmp_path / "ex1")])
    assert res.exit_code == 0, res.output
    assert "1 storages" in res.output
    res = runner.invoke(app, ["validate", str(tmp_path / "ex1")])
    assert res.exit_code == 0, res.output
    bad = _links_file(tmp_path, "SR_SHA.1983-10-31,SINK.1983-11-30,0,0,1,0,10\n")
    res = runner.invoke(app, ["import", "calvin", str(bad), str(tmp_path / "bad")])
    assert res.exit_code == 1
    assert "line 17" in res.output  # the 15 rows of example 1 are lines 2-16
