"""Read scenario files (one scenario, or ``scenarios: [...]``), with errors naming file and field."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from ..network.errors import BasinError, Problem
from ..network.io import read_yaml
from ..network.messages import plain_errors
from .schema import Scenario, ScenarioFile


def load_scenarios(path: str | os.PathLike) -> list[Scenario]:
    """All scenarios of a file; BasinError (every problem) when the file is not valid."""
    file = Path(path)
    raw = read_yaml(file)
    if not isinstance(raw, dict):
        raise BasinError([Problem(str(file), "", "", "expected a mapping (a scenario, or 'scenarios:' list)")])
    doc = raw if "scenarios" in raw else {"scenarios": [raw]}
    try:
        parsed = ScenarioFile.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for loc_, msg in plain_errors(exc):
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
        raise BasinError(problems) from None
    for sc in parsed.scenarios:
        sc._file = str(file)
        tb = sc.transboundary
        if tb is not None and tb.table is not None and not Path(tb.table).is_absolute():
            tb.table = str(file.parent / tb.table)
    return parsed.scenarios


def select(scenarios: list[Scenario], names: list[str] | None, file: str) -> list[Scenario]:
    if not names:
        return scenarios
    known = {s.name: s for s in scenarios}
    missing = [n for n in names if n not in known]
    if missing:
        raise BasinError([Problem(file, "", "name", f"no scenario named {', '.join(missing)}; "
                                  f"the file has {', '.join(known)}")])
    return [known[n] for n in names]
