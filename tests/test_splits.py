"""Flow splits: fixed fractions of a node's outflow (docs/data-format.md, Splits).

    IN (inflow) -> J -> A (demand, cost 100)
                     -> B (demand, cost 50)
                     -> OUT (sink)

Every number is worked out by hand in the test's docstring."""

from __future__ import annotations

import numpy as np
import pytest
from analytical_basins import delivered, demand, flow, inflow, junction, link, sink

import balkhash
from balkhash.network.errors import BasinError
from balkhash.network.io import parse_basin
from balkhash.network.validate import check_basin


def split_basin(fractions, links=("J-A", "J-B"), periods: int = 1, inflow_mm3: float = 100.0, node: str = "J"):
    raw = {
        "name": "split", "calendar": {"start": "2025-10", "periods": periods},
        "options": {"fair_sharing": False, "storage_deviation_cost": 0.0},
        "nodes": [inflow("IN", inflow_mm3), junction("J"),
                  demand("A", 100.0, shortfall_cost=100.0), demand("B", 100.0, shortfall_cost=50.0), sink("OUT")],
        "links": [link("IN", "J"), link("J", "A"), link("J", "B"), link("J", "OUT")],
        "splits": [{"id": "S", "node": node, "links": list(links), "fractions": list(fractions)}],
    }
    return parse_basin(raw, "test.yaml")


def test_split_over_all_out_links_divides_the_outflow():
    """Fractions 0.25 / 0.75 on J-A, J-B and 0 on J-OUT: the 100 Mm3 reaching J go 25 to A and 75
    to B although A's shortfall costs twice B's; nothing reaches OUT.  Objective 75 x 100 + 25 x 50."""
    b = split_basin([0.25, 0.75, 0.0], links=("J-A", "J-B", "J-OUT"))
    assert not check_basin(b, "test.yaml")
    sol = balkhash.solve(b)
    assert delivered(sol, "A") == pytest.approx([25.0], abs=1e-9)
    assert delivered(sol, "B") == pytest.approx([75.0], abs=1e-9)
    assert flow(sol, "J-OUT") == pytest.approx([0.0], abs=1e-9)
    assert sol.objective == pytest.approx(75 * 100.0 + 25 * 50.0, rel=1e-12)


def test_split_of_some_out_links_leaves_the_rest_free():
    """0.2 to A and 0.3 to B of whatever leaves J; the rest (J-OUT) is free.  A and B want more,
    so all 100 Mm3 leave J (OUT would get 50, but sending to OUT raises A and B): A 20, B 30,
    OUT 50 in every period, from the outflow recomputed from the flows table."""
    b = split_basin([0.2, 0.3], periods=3, inflow_mm3=100.0)
    assert not check_basin(b, "test.yaml")
    sol = balkhash.solve(b)
    out = flow(sol, "J-A") + flow(sol, "J-B") + flow(sol, "J-OUT")
    assert out == pytest.approx(np.full(3, 100.0), abs=1e-9)
    assert flow(sol, "J-A") == pytest.approx(0.2 * out, abs=1e-9)
    assert flow(sol, "J-B") == pytest.approx(0.3 * out, abs=1e-9)
    assert delivered(sol, "A") == pytest.approx(np.full(3, 20.0), abs=1e-9)


def test_split_holds_in_step_mode():
    """Step mode solves each period alone: the same split, period by period."""
    from balkhash.simulation.simulator import simulate

    b = split_basin([0.2, 0.3], periods=3)
    sol = simulate(b, mode="step")
    assert delivered(sol, "A") == pytest.approx(np.full(3, 20.0), abs=1e-9)
    assert delivered(sol, "B") == pytest.approx(np.full(3, 30.0), abs=1e-9)


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"fractions": [0.25, 0.5, 0.0], "links": ("J-A", "J-B", "J-OUT")}, "fractions", "must sum to 1"),
    ({"fractions": [0.7, 0.5]}, "fractions", "more than the node's whole outflow"),
    ({"fractions": [0.5]}, "fractions", "2 link(s) need 2 fraction(s)"),
    ({"fractions": [1.5, 0.0]}, "fractions", "in [0, 1]"),
    ({"fractions": [0.5, 0.5], "links": ("J-A", "IN-J")}, "links", "leaves node 'IN', not 'J'"),
    ({"fractions": [0.5, 0.5], "links": ("J-A", "NOPE")}, "links", "unknown link 'NOPE'"),
    ({"fractions": [0.5, 0.5], "node": "A"}, "node", "is a demand"),
    ({"fractions": [0.5, 0.5], "node": "NOPE"}, "node", "unknown node 'NOPE'"),
])
def test_bad_splits_are_named(kwargs, field, message):
    b = split_basin(**kwargs)
    problems = [p for p in check_basin(b, "test.yaml") if p.where == "split 'S'"]
    assert problems, "the bad split was not reported"
    assert problems[0].field == field
    assert message in problems[0].message


def test_split_schema_refuses_unknown_fields():
    with pytest.raises(BasinError, match="factors"):
        parse_basin({"name": "x", "splits": [{"id": "S", "node": "J", "links": ["a"], "fractions": [1.0],
                                              "factors": [1]}]}, "test.yaml")


def test_split_links_are_never_folded_into_their_demand():
    """With inlets folded (``fold_inlets``), J-A and J-B would carry exactly A's and B's delivery;
    named by a split (and J-OUT leaving the split node) they stay columns: the same plan."""
    from balkhash.allocation.solve import Allocation

    b = split_basin([0.2, 0.3], periods=2)
    alloc = Allocation(b, fold_inlets=True)
    assert not alloc.data.folded
    sol = alloc.solve()
    assert delivered(sol, "A") == pytest.approx([20.0, 20.0], abs=1e-9)
    assert delivered(sol, "B") == pytest.approx([30.0, 30.0], abs=1e-9)
