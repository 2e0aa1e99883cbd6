"""A scenario file's problems listed at once: the schema's, duplicate names and the basin
references of its other scenarios together; every initial state's problem of a scenario together."""

from __future__ import annotations

import pytest

from balkhash.data import default_basin_path
from balkhash.network.errors import BasinError
from balkhash.network.io import load_basin
from balkhash.scenarios.apply import apply_scenario
from balkhash.scenarios.io import load_scenarios


@pytest.fixture(scope="module")
def basin():
    return load_basin(default_basin_path())


def _problems(call):
    with pytest.raises(BasinError) as exc:
        call()
    return [(p.where, p.field, p.message) for p in exc.value.problems]


def test_schema_duplicates_and_references_at_once(tmp_path, basin):
    f = tmp_path / "s.yaml"
    f.write_text("scenarios:\n"
                 "  - name: a\n    transboundary: {year: 2030}\n"
                 "  - name: d\n    demand_multipliers: {agricultur: 0.5}\n"
                 "  - name: a\n    years: 0\n"
                 "  - name: g\n    unknown_field: 3\n")
    got = _problems(lambda: load_scenarios(f, basin))
    fields = {(w, fl) for w, fl, _ in got}
    assert ("", "") in fields  # duplicate names
    assert ("scenario 'a'", "years") in fields  # schema
    assert ("scenario 'g'", "unknown_field") in fields
    assert ("scenario 'a'", "transboundary") in fields  # references of the scenarios valid on their own
    assert ("scenario 'd'", "demand_multipliers.agricultur") in fields
    assert any(m == "duplicate scenario names: a" for _, _, m in got)
    # without the basin: the file's own problems, as before
    assert {fl for _, fl, _ in _problems(lambda: load_scenarios(f))} == {"", "years", "unknown_field"}


def test_duplicate_names_alone(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("scenarios:\n  - name: a\n  - name: a\n")
    assert _problems(lambda: load_scenarios(f)) == [("", "", "duplicate scenario names: a")]


def test_every_initial_state_problem_at_once(tmp_path, basin):
    f = tmp_path / "s.yaml"
    f.write_text("name: h\ninitial: {KAPSHAGAY: 25 km3, BALKHASH: 330 m, ILE_CN: 5 Mm3}\n")
    [sc] = load_scenarios(f)
    got = {fl: m for _, fl, m in _problems(lambda: apply_scenario(basin, sc))}
    assert set(got) == {"initial.KAPSHAGAY", "initial.BALKHASH", "initial.ILE_CN"}
    assert "25000 Mm3 is outside KAPSHAGAY's storage range [min_storage, max_storage] = [12000, 18500] Mm3" \
        in got["initial.KAPSHAGAY"]
    assert "level 330 m is outside BALKHASH's table" in got["initial.BALKHASH"]
    assert got["initial.ILE_CN"].startswith("'ILE_CN' is an inflow node, it has no storage")


@pytest.mark.parametrize(("text", "expected"), [
    ("16500Mm3", (16500.0, "Mm3")), ("16.5 km3", (16.5, "km3")), ("342.3m", (342.3, "m")),
    (" 1e3 Mm3 ", (1000.0, "Mm3")),
])
def test_an_initial_state_reads_like_a_basin_volume_with_or_without_the_space(text, expected):
    from balkhash.scenarios.initial import parse_state

    assert parse_state(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("16 5 km3", "is not a number and a unit"), ("1.2.3 km3", "'1.2.3' is not a number"),
    ("16 l", "unknown unit 'l'"), ("-5 Mm3", "a volume cannot be negative"),
])
def test_a_bad_initial_state_says_what_is_wrong(text, message):
    from balkhash.scenarios.initial import parse_state

    with pytest.raises(ValueError, match=message):
        parse_state(text)
