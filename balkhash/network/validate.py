"""Graph and value checks on a parsed basin (all problems at once)."""

from __future__ import annotations

from .errors import Problem


def check_basin(basin, file: str) -> list[Problem]:
    """Return every problem found in ``basin``; empty when valid."""
    problems: list[Problem] = []
    ids = [n.id for n in basin.nodes]
    known = set(ids)
    for lk in basin.links:
        for field in ("from", "to"):
            ref = lk.from_ if field == "from" else lk.to
            if ref not in known:
                problems.append(Problem(file, f"link '{lk.id}'", field, f"unknown node '{ref}'"))
    return problems
