"""Checks of hydropower plants whose head follows a reservoir's level (``head_from``).

The head of period t is ``level(mean storage of t) - tailwater_m``; the reservoir must exist, be
enabled and have a level-area-volume table, and the head must stay positive over the reservoir's
whole operating range (its level at minimum storage above the tailwater).
"""

from __future__ import annotations

import numpy as np

from .errors import Problem
from .messages import a_kind


def check_plant_heads(basin, file: str, nodes: dict) -> list[Problem]:
    out: list[Problem] = []
    for p in basin.hydropower:
        if p.head_from is None or not p.enabled:
            continue
        where = f"plant '{p.id}'"
        n = nodes.get(p.head_from)
        if n is None:
            out.append(Problem(file, where, "head_from", f"unknown node '{p.head_from}'"))
            continue
        if n.type != "reservoir":
            out.append(Problem(file, where, "head_from", f"node '{n.id}' is {a_kind(n.type)}, not a reservoir"))
            continue
        if not n.enabled:
            out.append(Problem(file, where, "head_from", f"reservoir '{n.id}' is disabled (enabled: false)"))
            continue
        if n.table is None:
            out.append(Problem(file, where, "head_from", f"reservoir '{n.id}' has no level-area-volume table to "
                               "read its level from"))
            continue
        try:
            low = float(np.interp(n.min_storage.mm3, n.table.volume_mm3, n.table.level_m))
        except (TypeError, ValueError):
            continue  # a bad table or volume is reported by the table and reservoir checks
        if p.tailwater_m is not None and low <= p.tailwater_m:
            out.append(Problem(file, where, "tailwater_m", f"{p.tailwater_m:g} m is not below the level of "
                               f"'{n.id}' at its minimum storage ({low:.2f} m): the head must stay positive"))
    return out

