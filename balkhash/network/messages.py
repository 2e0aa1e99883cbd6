"""Schema errors in the words of the basin file, not of the validation library.

pydantic reports a bad value as ``Input should be a valid dictionary or instance of FlowSeries``
at a location such as ``('nodes', 3, 'demand', 'target', 'function-after[...]')``.  :func:`plain_errors`
turns each error into (field path, message): the path without the library's own steps (union
branches, validator names, type tags) and a message that says what the file must hold, quoting
the value found.  Errors of the branches of one field (``end_storage: 'initial' | 'free' | a
volume``) are merged into one message.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .quantities import BOOL_AS_NUMBER

#: what a field of these models holds, for "expected ..." messages
_MODEL_HINTS = {
    "FlowSeries": "a flow with its unit, e.g. '395 m3/s', '12.5 km3/yr' or {unit: Mm3/month, monthly: [12 values]}",
    "Volume": "a volume with its unit, e.g. '18.5 km3' or {value: 18500, unit: Mm3}",
    "MonthlyDepth": "12 monthly depths in mm [Jan..Dec], or {annual: mm per year, profile: name}",
    "LevelAreaVolume": "a table {level_m: [...], area_km2: [...], volume: [...]}",
    "RuleCurve": "a rule curve {min: [12 values], max: [12 values], unit: Mm3}",
}
#: location steps pydantic inserts that are not fields of the file
_TYPE_STEP = re.compile(r"^(function-|literal\[|list\[|dict\[|tagged-union\[|union\[|float$|int$|str$|bool$|"
                        r"(Volume|FlowSeries|MonthlyDepth|LevelAreaVolume|RuleCurve)$)")
_TAGS = {"inflow", "junction", "sink", "reservoir", "demand", "lake", "eco_flow", "lake_inflow", "lake_level"}


def shown(value: Any, limit: int = 60) -> str:
    """A value as the user wrote it, shortened."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def plain_message(err: ErrorDetails) -> str:
    """The message of one pydantic error in the words of the file."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind == BOOL_AS_NUMBER:
        return "true/false is not a number here: give a number"
    if kind == "finite_number":
        return f"must be a finite number, got {shown(value)}"
    if kind == "extra_forbidden":
        return "unknown field (check spelling; see docs/data-format.md)"
    if kind == "missing":
        return "required field is missing"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        m = re.search(r"instance of (\w+)", msg)
        hint = _MODEL_HINTS.get(m.group(1) if m else "", "a mapping (key: value)")
        return f"expected {hint}; got {shown(value)}"
    if kind in ("float_parsing", "float_type"):
        return f"{shown(value)} is not a number"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{shown(value)} is not a whole number"
    if kind == "string_type":
        import datetime as dt

        if isinstance(value, dt.date):  # YAML reads 2025-10-01 as a date
            return (f"{value.isoformat()} is a date; a period is a month YYYY-MM (e.g. {value:%Y-%m}), "
                    "or YYYY-MM-D for dekad D at step dekad")
        return f"expected text, got {shown(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list [..], got {shown(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{shown(value)} is not true or false"
    for key, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if kind.startswith(("greater_than", "less_than")) and key in ctx:
            bound = ctx[key]
            return f"must be {word} {bound:g}, got {shown(value)}" if isinstance(bound, int | float) else \
                f"must be {word} {bound}, got {shown(value)}"
    if kind == "string_pattern_mismatch":
        first = "a letter or digit" if ctx.get("pattern", "").startswith("^[A-Za-z0-9]") else "a letter"
        return f"{shown(value)} is not a valid name: letters, digits, _ - . and starting with {first}"
    if kind == "union_tag_invalid":
        return f"unknown type {shown(ctx.get('tag'))}; use one of {ctx.get('expected_tags', '')}"
    if kind == "union_tag_not_found":
        return "needs a 'type' field"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length', 1)} value(s)"
    if kind == "literal_error":
        return msg.replace("Input should be", "must be")
    return msg.replace("Input should be", "must be")


def plain_errors(exc: ValidationError) -> list[tuple[tuple, str]]:
    """(location, message) of every error of ``exc``, the location without the library's steps,
    the messages of one location merged."""
    merged: dict[tuple, list[str]] = {}
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and _TYPE_STEP.match(p)))
        if err["type"] == BOOL_AS_NUMBER and err.get("ctx"):
            loc = (*loc, err["ctx"]["field"])
        msg = plain_message(err)
        msgs = merged.setdefault(loc, [])
        if msg not in msgs:
            msgs.append(msg)
    return [(loc, "; or: ".join(msgs)) for loc, msgs in merged.items()]


def strip_tag(loc: tuple) -> tuple:
    """A location inside a node or target without the type tag pydantic adds for tagged unions."""
    if len(loc) > 1 and isinstance(loc[0], str) and loc[0] in _TAGS:
        return loc[1:]
    return loc


def a_kind(kind: str) -> str:
    """A node type with its article: 'a reservoir', 'an inflow'."""
    return ("an " if kind[:1] in "aeiou" else "a ") + kind
