"""The smallest transboundary inflow (km3 per water year) for which the lake targets hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..allocation.solve import SolveError
from .study import Study, StudyError

LAKE_TARGETS = ("lake_inflow", "lake_level")
#: what min-inflow asks to hold: the basin's lake targets (inflow and level), or the level alone
CONDITIONS = {"targets": LAKE_TARGETS, "level": ("lake_level",)}
MODES = ("all_demands_met", "shortfalls_allowed")


def lake_ok(sol, tol: float = 1e-6, lake_targets: tuple[str, ...] = LAKE_TARGETS) -> bool:
    """The lake targets of the given types hold, and no reservoir ends the horizon below its
    end-storage target (so that a lake target is not met by emptying the reservoirs into the next
    year)."""
    t = sol.tables["targets"]
    return not bool((t[t["type"].isin((*lake_targets, "end_storage"))]["violation"] > tol).any())


@dataclass
class MinInflowResult:
    """The answer of one mode: the least inflow ``answer_km3`` found by bisection (the condition
    holds there and fails at ``answer_km3 - tolerance_km3``, so the least inflow lies in that
    bracket), or None: it fails even at ``hi`` (``message`` says why) or already holds at ``lo``
    (``at_most_km3`` = ``lo``: the least inflow is at most that)."""

    mode: str  # "all_demands_met" | "shortfalls_allowed"
    answer_km3: float | None
    tolerance_km3: float
    above_holds: bool | None
    below_holds: bool | None
    solves: int
    message: str
    at_most_km3: float | None = None


def _shortest(sol, n: int = 2) -> str:
    """'IRR_ZAILIY 16.2 Mm3, ...': the demands with the largest shortfall over the horizon."""
    d = sol.tables["deliveries"].groupby("demand")["shortfall_mm3"].sum().sort_values(ascending=False)
    d = d[d > 1e-6]
    more = f" and {len(d) - n} more" if len(d) > n else ""
    return ", ".join(f"{k} {v:,.1f} Mm3" for k, v in d.head(n).items()) + more


def min_inflow(study: Study, mode: str, lo: float = 0.0, hi: float = 30.0, tol: float = 0.01,
               progress: Callable[[float], None] | None = None, condition: str = "targets") -> MinInflowResult:
    """Smallest transboundary inflow (km3 per water year) for which the lake targets hold:
    ``all_demands_met`` also requires zero shortfall; ``shortfalls_allowed`` lets users go short at
    their costs.  ``condition``: ``targets`` (the basin's lake inflow and level targets) or
    ``level`` (the level targets alone: the lake inflow target is switched off in the model, so
    that no user is cut for it).  Bisection on the persistent model, then a re-solve just above
    and below."""
    if condition not in CONDITIONS:
        raise StudyError(f"unknown condition '{condition}': use one of {', '.join(CONDITIONS)}")
    if mode not in MODES:
        raise StudyError(f"unknown mode '{mode}': use one of {', '.join(MODES)}")
    lake_targets = CONDITIONS[condition]
    if condition == "level":
        study.set("lake_inflow_target", 0.0)
    count = 0
    why: list[str] = []  # why the last point failed

    def holds(v: float) -> bool:
        nonlocal count
        count += 1
        study.set("transboundary", v)
        why.clear()
        try:
            sol = study.solve()
        except SolveError as exc:
            why.append(f"no solution ({exc.status})")
            return False
        finally:
            if progress:
                progress(v)
        ok = lake_ok(sol, lake_targets=lake_targets)
        if not ok:
            why.append("the lake targets do not hold" if condition == "targets" else
                       "the lake level target does not hold")
        if mode == "all_demands_met" and float(sol.tables["deliveries"]["shortfall_mm3"].sum()) > 1e-6:
            why.append(f"demands go short ({_shortest(sol)})")
            ok = False
        return ok

    if not holds(hi):
        cause = " and ".join(why)
        if why and why[-1].startswith("demands go short") and len(why) == 1:
            cause += ": not every demand can be met whatever comes from China"
        return MinInflowResult(mode, None, tol, None, None, count, f"even at {hi:g} km3/yr {cause}")
    if holds(lo):
        return MinInflowResult(mode, None, tol, True, None, count,
                               f"already holds at --lo {lo:g} km3/yr: the least inflow is at most {lo:g} "
                               "(search from a lower --lo)", at_most_km3=lo)
    a, b = lo, hi
    while b - a > tol:
        mid = 0.5 * (a + b)
        if holds(mid):
            b = mid
        else:
            a = mid
    answer = b
    above = holds(answer)
    below = holds(max(lo, answer - tol))
    msg = (f"{answer:.3f} km3/yr (-{tol:g}): holds at {answer:.3f}, "
           f"{'fails' if not below else 'HOLDS'} at {max(lo, answer - tol):.3f}")
    return MinInflowResult(mode, answer, tol, above, below, count, msg)
