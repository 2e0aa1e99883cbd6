"""The Python API checks what it solves: a Basin built or edited in Python is reported like a
file, bundled basins are found by name, options are typed keywords, a Solution lists its tables."""

from __future__ import annotations

import pytest
from analytical_basins import demand, inflow, link, make_basin, reservoir, sink

import balkhash
from balkhash.allocation.solve import Allocation, Solution
from balkhash.network import BasinError, load_basin
from balkhash.network.schema import Basin


def _small() -> Basin:
    return make_basin([inflow("A", 10), reservoir("R", 50.0), demand("D", 4), sink("S")],
                      [link("A", "R"), link("R", "D"), link("R", "S")])


def test_bundled_basins_solve_by_name():
    sol = balkhash.solve("small_basin")
    assert sol.status == "optimal"
    assert balkhash.solve("ile_balkhash").summary["basin"] == "Ile-Balkhash"


def test_an_unknown_name_is_a_basin_error_listing_the_bundled_ones():
    with pytest.raises(BasinError, match=r"no bundled basin of that name .*ile_balkhash.*small_basin"):
        balkhash.solve("no_such_basin")


def test_a_link_to_a_missing_node_set_in_python_is_reported_not_solved():
    b = _small()
    b.links[0].to = "NOWHERE"
    with pytest.raises(BasinError) as err:
        balkhash.solve(b)
    assert any(p.field == "to" and "unknown node 'NOWHERE'" in p.message for p in err.value.problems)


def test_initial_storage_above_maximum_set_in_python_is_reported():
    b = _small()
    b.node("R").initial_storage = b.node("R").max_storage.model_copy(update={"value": 5000.0})
    with pytest.raises(BasinError, match="initial_storage"):
        Allocation(b)


def test_a_quantity_set_as_a_string_is_read_like_the_file_or_reported():
    b = _small()
    b.node("R").max_storage = "0.2 km3"  # what basin.yaml would say: read the same way
    assert Allocation(b).data.storage("R").upper.max() == pytest.approx(200.0)
    b.node("R").max_storage = "18 parsecs"
    with pytest.raises(BasinError, match="unknown volume unit 'parsecs'"):
        balkhash.solve(b)


def test_options_are_keywords_only_and_checked():
    with pytest.raises(TypeError):
        balkhash.solve("small_basin", True)  # a positional option is refused
    with pytest.raises(TypeError, match="unexpected keyword"):
        balkhash.solve("small_basin", stric=True)


def test_a_solution_lists_its_tables():
    sol = balkhash.solve("small_basin")
    assert isinstance(sol, Solution)
    for name in ("flows", "deliveries", "storage", "targets", "arrivals", "duals", "inflows", "hydropower"):
        assert name in dir(sol)
        assert getattr(sol, name) is sol.tables[name]
    text = repr(sol)
    assert text.startswith("<Solution ")
    assert "optimal" in text
    assert "tables: flows" in text
    with pytest.raises(AttributeError, match="tables: flows"):
        _ = sol.flow


def test_a_loaded_basin_is_not_changed_by_solving():
    b = load_basin(balkhash.__path__[0] + "/data/examples/small_basin")
    before = b.model_dump()
    balkhash.solve(b)
    assert b.model_dump() == before


def test_a_full_lake_spill_is_in_the_summary_and_its_notes():
    from balkhash.data import example_path
    from balkhash.network import load_basin
    from balkhash.network.quantities import FlowSeries

    b = load_basin(example_path("tiny_river"))
    calm = balkhash.solve(b).summary
    assert calm["lakes"][0]["spill_km3"] == 0.0
    assert not any("spilled" in n for n in calm["notes"])
    b.node("RIVER").inflow = FlowSeries(unit="m3/s", value=200)  # far more than the lake's table holds
    sol = balkhash.solve(b)
    st = sol.tables["storage"]
    spilled = st.loc[st["node"] == "LAKE", "spill_mm3"].sum() / 1000.0
    assert spilled > 1.0
    assert sol.summary["lakes"][0]["spill_km3"] == pytest.approx(spilled)
    [note] = [n for n in sol.summary["notes"] if "spilled" in n]
    assert note.startswith(f"lake LAKE is full: {spilled:.3g} km3 spilled over the top of its table")


def test_highs_options_reach_the_solver_and_bad_ones_are_refused():
    from balkhash.allocation.backend import HighsOptionError

    alloc = Allocation("tiny_river", highs_options={"dual_feasibility_tolerance": 1e-9})
    assert alloc.backend.highs.getOptionValue("dual_feasibility_tolerance")[1] == 1e-9
    with pytest.raises(HighsOptionError, match="HiGHS refused the option no_such_option"):
        Allocation("tiny_river", highs_options={"no_such_option": 1})


def test_threads_can_be_asked_for_after_other_solves_in_the_process():
    """HiGHS keeps one thread pool per process; an Allocation asking for a thread count after
    others have solved gets it (the pool is started anew), and the others still solve."""
    first = Allocation("tiny_river")
    assert first.solve().status == "optimal"
    for threads in (1, 2):
        assert Allocation("tiny_river", threads=threads).solve().status == "optimal"
    assert first.solve().status == "optimal"


def test_a_warm_re_solve_without_a_status_is_solved_again_from_scratch():
    import highspy

    alloc = Allocation("tiny_river")
    first = alloc.solve()
    highs = alloc.backend.highs
    real_status, calls = highs.getModelStatus, []

    def status_once_unknown():
        calls.append(1)
        return highspy.HighsModelStatus.kUnknown if len(calls) == 1 else real_status()

    highs.getModelStatus = status_once_unknown
    again = alloc.solve()
    assert len(calls) >= 2
    assert again.status == "optimal"
    assert again.objective == pytest.approx(first.objective)
