"""Read scenario files (one scenario, or ``scenarios: [...]``), with errors naming file and field."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from ..network.errors import BasinError, Problem
from ..network.io import read_yaml
from ..network.messages import plain_errors
from .schema import Scenario, ScenarioFile

#: the message of scenarios sharing a name
DUPLICATE = "duplicate scenario names"


def _finish(sc: Scenario, file: Path) -> Scenario:
    """A parsed scenario with its file, and its runoff table's path relative to that file."""
    sc._file = str(file)
    tb = sc.transboundary
    if tb is not None and tb.table is not None and not Path(tb.table).is_absolute():
        tb.table = str(file.parent / tb.table)
    return sc


def _duplicates(items) -> list[str]:
    names: list[str] = [str(it["name"]) for it in items if isinstance(it, dict) and isinstance(it.get("name"), str)] \
        if isinstance(items, list) else []
    return sorted({n for n in names if names.count(n) > 1})


def _reference_problems(items, file: Path, basin) -> list[Problem]:
    """The basin references of every scenario of ``items`` that is valid on its own (so that a file
    with schema problems lists those of its other scenarios at once)."""
    from .references import scenario_problems

    out: list[Problem] = []
    for it in items if isinstance(items, list) else []:
        try:
            sc = _finish(Scenario.model_validate(it), file)
        except (ValidationError, TypeError, ValueError):
            continue
        out += scenario_problems(basin, sc)
    return out


def load_scenarios(path: str | os.PathLike, basin=None) -> list[Scenario]:
    """All scenarios of a file; BasinError (every problem) when the file is not valid.  With
    ``basin``, a file with schema problems also lists the basin references its other scenarios
    cannot resolve (unknown nodes, sectors, years ...), all at once."""
    file = Path(path)
    raw = read_yaml(file)
    if not isinstance(raw, dict):
        raise BasinError([Problem(str(file), "", "", "expected a mapping (a scenario, or 'scenarios:' list)")])
    doc = raw if "scenarios" in raw else {"scenarios": [raw]}
    try:
        parsed = ScenarioFile.model_validate(doc)
    except ValidationError as exc:
        problems = []
        dup = _duplicates(doc.get("scenarios"))
        if dup:  # with the other problems, not after they are fixed
            problems.append(Problem(str(file), "", "", f"{DUPLICATE}: {', '.join(dup)}"))
        for loc_, msg in plain_errors(exc):
            if DUPLICATE in msg:
                continue
            loc = list(loc_)
            where = ""
            if len(loc) >= 2 and loc[0] == "scenarios" and isinstance(loc[1], int):
                items = doc.get("scenarios") or []
                name = items[loc[1]].get("name") if loc[1] < len(items) and isinstance(items[loc[1]], dict) else None
                where = f"scenario '{name}'" if isinstance(name, str) and name else f"scenarios[{loc[1]}]"
                loc = loc[2:]
            if msg.startswith("unknown field"):
                msg = "unknown field (see docs/studies.md for the scenario format)"
            problems.append(Problem(str(file), where, ".".join(str(p) for p in loc), msg))
        if basin is not None:
            problems += _reference_problems(doc.get("scenarios"), file, basin)
        raise BasinError(problems) from None
    return [_finish(sc, file) for sc in parsed.scenarios]


def select(scenarios: list[Scenario], names: list[str] | None, file: str) -> list[Scenario]:
    if not names:
        return scenarios
    known = {s.name: s for s in scenarios}
    missing = [n for n in names if n not in known]
    if missing:
        raise BasinError([Problem(file, "", "name", f"no scenario named {', '.join(missing)}; "
                                  f"the file has {', '.join(known)}")])
    return [known[n] for n in names]
