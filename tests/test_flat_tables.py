"""Nodes and links as CSV tables next to basin.yaml (docs/data-format.md, "Nodes as a table" and
"Links as a table"): the same basin as the YAML lists, field for field and in its solution, and bad
cells named with their file, node or link, line and field."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from analytical_basins import flow

import balkhash
from balkhash.network.errors import BasinError
from balkhash.network.io import basin_to_dict, load_basin
from balkhash.network.schema import Basin
from balkhash.network.validate import check_basin

PLAIN = {"fair_sharing": False, "storage_deviation_cost": 0.0}

NODES_CSV = ("id,type,name,x,y,unit,inflow,target,sector,consumptive_fraction,return_to,shortfall_cost,priority,"
             "group,transboundary,country\n") + """RIV,inflow,River,76.5,43.9,m3/s,10,,,,,,,,true,CN
J,junction,,,,Mm3/month,side,,,,,,,,,
D,demand,Canal users,,,Mm3/month,,12,agriculture,0.75,J2,100,,north,,
E,demand,,,,Mm3/month,,5,utilities,,,,2,,,
J2,junction,,,,,,,,,,,,,,
OUT,sink,,,,,,,,,,,,,,
"""
NODE_SERIES = "period,side\n2025-10,3\n2025-11,-2\n"
LINKS_CSV = "id,from,to,capacity\nRIV-J,RIV,J,\nJ-D,J,D,\nJ-E,J,E,4\nJ-J2,J,J2,\nJ2-OUT,J2,OUT,\n"


def yaml_nodes() -> list[dict]:
    """The nodes of NODES_CSV in the YAML form."""
    return [
        {"id": "RIV", "type": "inflow", "name": "River", "x": 76.5, "y": 43.9, "inflow": "10 m3/s",
         "transboundary": True, "country": "CN"},
        {"id": "J", "type": "junction", "inflow": {"unit": "Mm3/month", "file": "node_series.csv", "column": "side"}},
        {"id": "D", "type": "demand", "name": "Canal users", "target": "12 Mm3/month", "sector": "agriculture",
         "consumptive_fraction": 0.75, "return_to": "J2", "shortfall_cost": 100, "group": "north"},
        {"id": "E", "type": "demand", "target": "5 Mm3/month", "sector": "utilities", "priority": 2},
        {"id": "J2", "type": "junction"},
        {"id": "OUT", "type": "sink"},
    ]


def write(tmp_path: Path, nodes, nodes_csv: str = NODES_CSV, links_csv: str = LINKS_CSV,
          series: str | None = "node_series.csv") -> Path:
    raw = {"name": "t", "calendar": {"start": "2025-10", "periods": 2}, "options": PLAIN, "nodes": nodes,
           "links": {"file": "links.csv"}}
    (tmp_path / "basin.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    (tmp_path / "nodes.csv").write_text(nodes_csv, encoding="utf-8")
    (tmp_path / "node_series.csv").write_text(NODE_SERIES, encoding="utf-8")
    (tmp_path / "links.csv").write_text(links_csv, encoding="utf-8")
    return tmp_path


def table(series: str | None = "node_series.csv", **more) -> dict:
    return {"file": "nodes.csv", **({"series": series} if series else {}), **more}


def problems_of(path: Path) -> list[str]:
    with pytest.raises(BasinError) as err:
        load_basin(path)
    return [str(p) for p in err.value.problems]


def test_a_nodes_table_gives_the_nodes_of_the_yaml_list(tmp_path):
    """Field for field the same basin as the YAML list, and the same plan: 10 m3/s in October (31
    days) is 26.784 Mm3 plus 3 Mm3 of local inflow at J; E gets its 4 (capacity), D its 12, of
    which a quarter (3) returns to J2."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    from_table, from_yaml = load_basin(write(tmp_path / "a", table())), load_basin(write(tmp_path / "b", yaml_nodes()))
    assert basin_to_dict(from_table)["nodes"] == basin_to_dict(from_yaml)["nodes"]
    assert from_table.nodes == from_yaml.nodes  # the same objects, built without the schema's checks
    assert Basin.model_validate(basin_to_dict(from_table)).nodes == from_table.nodes
    sol = balkhash.solve(from_table)
    assert flow(sol, "J-E")[0] == pytest.approx(4.0)
    assert flow(sol, "J-D")[0] == pytest.approx(12.0)
    assert flow(sol, "J2-OUT")[0] == pytest.approx(10 * 86400 * 31 / 1e6 + 3 - 16 + 3)
    other = balkhash.solve(from_yaml)
    assert sol.objective == pytest.approx(other.objective)


def test_storages_come_in_the_tables_list(tmp_path):
    """A reservoir (not a type of the table) in the table's ``list:``, after the table's nodes."""
    res = {"id": "R", "type": "reservoir", "min_storage": "0 Mm3", "max_storage": "50 Mm3",
           "initial_storage": "10 Mm3", "end_storage": "free"}
    links = LINKS_CSV.replace("J2-OUT,J2,OUT,", "J2-R,J2,R,\nR-OUT,R,OUT,")
    basin = load_basin(write(tmp_path, table(list=[res]), links_csv=links))
    assert [n.id for n in basin.nodes] == ["RIV", "J", "D", "E", "J2", "OUT", "R"]
    assert basin.node("R").max_storage.mm3 == 50.0


@pytest.mark.parametrize(("edit", "expected"), [
    # a type the table does not hold
    (("J2,junction,", "J2,reservoir,"), "nodes.csv: node 'J2' (line 6): type: 'reservoir' is not a type of a nodes "
     "table: give the storages (reservoir, lake) in YAML, in the table's list:"),
    # a cell in a column of another type
    (("OUT,sink,,,,,,", "OUT,sink,,,,,7,"), "nodes.csv: node 'OUT' (line 7): inflow: a sink node has no inflow: "
     "leave the cell empty"),
    # an unknown flow unit: the schema's message, with the table's line
    (("J2,junction,,,,,", "J2,junction,,,,m3/day,1"), "nodes.csv: node 'J2' (line 6): inflow: unknown flow unit "
     "'m3/day'"),
    (("E,demand,,,,Mm3/month,,5,utilities,,,,2,", "E,demand,,,,Mm3/month,,5,utilities,,,,11,"),
     "nodes.csv: node 'E' (line 5): priority: "),
    (("0.75,J2", "1.5,J2"), "nodes.csv: node 'D' (line 4): consumptive_fraction: "),
    (("12,agriculture", "12,farming"), "nodes.csv: node 'D' (line 4): sector: "),
    (("76.5,43.9,m3/s,10,", "76.5,43.9,m3/s,,"), "nodes.csv: node 'RIV' (line 2): inflow: "),
    (("J,junction,,,,Mm3/month,side", "J,junction,,,,Mm3/month,nocol"), "node_series.csv"),
    (("J2,junction", "J-2,junction"), "basin.yaml: link 'J-J2': to: unknown node 'J2'"),
    (("J2,junction", "J,junction"), "node 'J': id: duplicate id: 2 nodes use it"),
])
def test_bad_cells_of_a_nodes_table_are_named(tmp_path, edit, expected):
    old, new = edit
    assert old in NODES_CSV
    problems = problems_of(write(tmp_path, table(), nodes_csv=NODES_CSV.replace(old, new, 1)))
    assert any(expected in p for p in problems), problems


def test_a_series_name_without_a_series_table_is_refused(tmp_path):
    problems = problems_of(write(tmp_path, table(series=None)))
    assert any("nodes.csv: node 'J' (line 3): inflow: 'side' names a series column, but the nodes table has no "
               "series: file" in p for p in problems), problems


@pytest.mark.parametrize(("nodes_csv", "spec", "expected"), [
    ("id,type,width\nA,sink,3\n", None, "nodes.csv: columns: unknown column(s) width"),
    ("id,name\nA,a\n", None, "nodes.csv: columns: missing column(s) type"),
    (None, {"file": "nodes.csv", "rows": 3},
     "basin.yaml: nodes: rows: give a list of nodes, or a table {file: nodes.csv}"),
    (None, {}, "basin.yaml: nodes: file: give a list of nodes, or a table {file: nodes.csv} (optional: series: "
               "file.csv, list: ...); got an empty mapping"),
    (None, {"file": "missing.csv"}, "basin.yaml: nodes: file: nodes table 'missing.csv' not found"),
])
def test_a_bad_nodes_table_is_refused_with_its_file(tmp_path, nodes_csv, spec, expected):
    problems = problems_of(write(tmp_path, table() if spec is None else spec, nodes_csv=nodes_csv or NODES_CSV))
    assert any(expected in p for p in problems), problems


def test_a_bad_cell_of_a_links_table_names_the_table_and_line(tmp_path):
    """A links table whose cells need the schema's messages names links.csv and the link's line."""
    links = LINKS_CSV.replace("J-E,J,E,4", "J-E,J,E,4\nJ-X,J,E,2,m3/day").replace("id,from,to,capacity",
                                                                                  "id,from,to,capacity,unit")
    problems = problems_of(write(tmp_path, table(), links_csv=links))
    assert any("links.csv: link 'J-X' (line 5): capacity: unknown flow unit 'm3/day'" in p for p in problems), problems


def test_the_flat_benchmark_basin_loads_and_validates_alike_from_tables_and_yaml(tmp_path):
    """benchmarks/flat_basin.py's basin at 50 junctions: nodes.csv and the YAML list give the same
    basin; every junction drains to the outlet; the built objects equal the schema's."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        import flat_basin
    finally:
        sys.path.pop(0)
    assert flat_basin.write_basin(tmp_path / "csv", 50, yaml_nodes=False) == 151
    flat_basin.write_basin(tmp_path / "yaml", 50, yaml_nodes=True)
    a, b = load_basin(tmp_path / "csv"), load_basin(tmp_path / "yaml")
    assert basin_to_dict(a) == basin_to_dict(b)
    assert len(a.nodes) == 52
    assert len(a.links) == 151
    assert check_basin(a, "basin.yaml") == []
    again = Basin.model_validate(basin_to_dict(a))
    assert again.nodes == a.nodes
    assert again.links == a.links
