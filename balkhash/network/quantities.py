"""Value types with explicit units: time series of flows, volumes, monthly depths, tables.

Every quantity in a basin file carries its unit.  A flow series is written in one of these forms::

    inflow: "395 m3/s"                       # constant mean flow
    inflow: "12.5 km3/yr"                    # annual volume, spread over months by days
    inflow: {unit: m3/s, monthly: [..12 values, Jan..Dec..]}
    inflow: {unit: km3/yr, annual: 12.5, profile: ili_border}   # named 12-month profile
    inflow: {unit: m3/s, file: inflows.csv, column: IN_ILI}     # one value per period, from CSV
    inflow: {unit: Mm3/month, series: [410.2, 395.0, ...]}      # one value per period, inline
    inflow: {unit: Mm3/dekad, file: dekads.csv, column: IN_ILI} # at a dekad calendar step

A volume per month (``Mm3/month``, ``km3/month``) is a calendar month's volume: at a dekad calendar
step it is split over the month's dekads by their days; ``Mm3/dekad`` is a dekad's volume (dekad
step only); a rate in m3/s is converted with the days of each period.

and a volume as ``"18.5 km3"`` or ``{value: 18500, unit: Mm3}``.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from .units import (
    ANNUAL_UNITS,
    DEKAD_FLOW_UNITS,
    FLOW_UNITS,
    MONTH_FLOW_UNITS,
    PERIOD_FLOW_UNITS,
    RATE_UNIT,
    VOLUME_UNITS,
)

_QTY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z0-9/]+)\s*$")


def _split_quantity(text: str) -> tuple[float, str]:
    m = _QTY.match(text)
    if not m:
        raise ValueError(f"'{text}' is not a number followed by a unit, e.g. '395 m3/s' or '18.5 km3'")
    return float(m.group(1)), m.group(2)


#: the pydantic error type of a true/false given where a number is wanted (its context names the field)
BOOL_AS_NUMBER = "bool_as_number"


def _admits_bool(annotation: Any) -> bool:
    """True when a field of this type may hold true/false (``bool``, ``Literal[True]``, ``Any``)."""
    if annotation is bool or annotation is Any:
        return True
    origin = get_origin(annotation)
    if origin is Literal:
        return any(isinstance(a, bool) for a in get_args(annotation))
    if origin in (Union, types.UnionType, typing.Annotated):
        return any(_admits_bool(a) for a in get_args(annotation))
    return False


def _misplaced_bool(annotation: Any, value: Any) -> bool:
    """True when ``value`` holds true/false where ``annotation`` wants a number or text: YAML reads
    ``yes``/``no``/``true``/``false`` as booleans, and pydantic would take them as 1 and 0."""
    if not isinstance(value, (bool, list, dict)):  # a number or text holds no true/false
        return False
    if isinstance(value, bool):
        return not _admits_bool(annotation)
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (Union, types.UnionType, typing.Annotated):
        kinds = [a for a in args if isinstance(a, type) or get_origin(a) is not None]
        fitting = [a for a in kinds if get_origin(a) in (list, dict) and isinstance(value, get_origin(a))]
        return bool(fitting) and all(_misplaced_bool(a, value) for a in fitting)
    if origin is list and isinstance(value, list) and args:
        return any(_misplaced_bool(args[0], v) for v in value if isinstance(v, (bool, list, dict)))
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return any(_misplaced_bool(args[1], v) for v in value.values())
    return False


class Strict(BaseModel):
    """The base of every input model: unknown fields are refused, numbers must be finite (no NaN or
    infinity) and true/false is never read as a number."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_as_number(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(isinstance(v, (bool, list, dict)) for v in data.values()):
            for name, field in cls.model_fields.items():
                for key in (name, field.alias):
                    if key is not None and key in data and _misplaced_bool(field.annotation, data[key]):
                        raise PydanticCustomError(
                            BOOL_AS_NUMBER, "{field}: true/false is not a number here: give a number",
                            {"field": key})
        return data


class FlowSeries(Strict):
    """A flow given per model period.  Exactly one of ``value``, ``monthly``, ``annual``, ``series`` or
    ``file``."""

    unit: str = Field(description=f"one of {', '.join(FLOW_UNITS)}; a volume per month is split over a month's "
                      "dekads by days at dekad step, a volume per dekad needs dekad step")
    value: float | None = Field(None, description="constant value in `unit`")
    monthly: list[float] | None = Field(
        None, description="12 values for January..December in `unit`, repeated every year"
    )
    annual: float | None = Field(None, description="annual volume in `unit` (Mm3/yr or km3/yr)")
    profile: list[float] | str | None = Field(
        None,
        description="12 fractions (Jan..Dec, sum 1) or the name of a basin profile that spread `annual` "
        "over months; default: in proportion to the days of each month",
    )
    series: list[float] | None = Field(
        None, description="one value per model period in `unit`, in calendar order from the first period "
        "(as many values as the basin's calendar has periods)"
    )
    file: str | None = Field(None, description="CSV file (relative to basin.yaml) with a `period` column")
    column: str | None = Field(None, description="column of `file` holding this series")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            raise ValueError(f"a flow needs a unit: write e.g. '{data} m3/s' or '{data} Mm3/month'")
        if isinstance(data, str):
            value, unit = _split_quantity(data)
            if unit in ANNUAL_UNITS:
                return {"unit": unit, "annual": value}
            return {"unit": unit, "value": value}
        return data

    @model_validator(mode="after")
    def _check(self) -> FlowSeries:
        if self.unit not in FLOW_UNITS:
            raise ValueError(f"unknown flow unit '{self.unit}'; use one of {', '.join(FLOW_UNITS)}")
        given = [k for k in ("value", "monthly", "annual", "series", "file") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of value, monthly, annual, series, file (got {given or 'none'})")
        kind = given[0]
        if kind == "annual" and self.unit not in ANNUAL_UNITS:
            raise ValueError(f"'annual' needs unit {' or '.join(ANNUAL_UNITS)}, not '{self.unit}'")
        if kind != "annual" and self.unit in ANNUAL_UNITS:
            raise ValueError(
                f"unit '{self.unit}' is an annual volume: use 'annual' (with an optional profile)"
            )
        if self.profile is not None and kind != "annual":
            raise ValueError("'profile' only goes with 'annual'")
        if kind == "monthly" and len(self.monthly or []) != 12:
            raise ValueError(f"'monthly' needs 12 values (Jan..Dec), got {len(self.monthly or [])}")
        if isinstance(self.profile, list) and len(self.profile) != 12:
            raise ValueError(f"'profile' needs 12 fractions (Jan..Dec), got {len(self.profile)}")
        if kind == "series" and not self.series:
            raise ValueError("'series' needs one value per model period, got none")
        if kind == "file" and not self.column:
            raise ValueError("'file' needs 'column'")
        return self

    @property
    def is_rate(self) -> bool:
        return self.unit == RATE_UNIT

    @property
    def factor(self) -> float:
        """Multiplier from `unit` to Mm3 (per period or per year); 1 for m3/s (converted by days)."""
        return {**PERIOD_FLOW_UNITS, **ANNUAL_UNITS}.get(self.unit, 1.0)

    @property
    def per_month(self) -> bool:
        """True for a volume per calendar month (Mm3/month, km3/month)."""
        return self.unit in MONTH_FLOW_UNITS

    @property
    def per_dekad(self) -> bool:
        """True for a volume per dekad (Mm3/dekad, km3/dekad)."""
        return self.unit in DEKAD_FLOW_UNITS


class Volume(Strict):
    """A storage volume: ``"18.5 km3"`` or ``{value: 18500, unit: Mm3}``."""

    value: float = Field(description="volume in `unit`")
    unit: str = Field(description="Mm3 or km3")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            raise ValueError(f"a volume needs a unit: write e.g. '{data} Mm3' or '{data} km3'")
        if isinstance(data, str):
            value, unit = _split_quantity(data)
            return {"value": value, "unit": unit}
        return data

    @model_validator(mode="after")
    def _check(self) -> Volume:
        if self.unit not in VOLUME_UNITS:
            raise ValueError(f"unknown volume unit '{self.unit}'; use Mm3 or km3")
        return self

    @property
    def mm3(self) -> float:
        return self.value * VOLUME_UNITS[self.unit]


class MonthlyDepth(Strict):
    """A depth in mm per calendar month (evaporation, precipitation); at a dekad calendar step a
    month's depth is split over its dekads by days.

    ``[..12 values..]`` (mm in each month Jan..Dec) or ``{annual: 1000, profile: lake_evap}`` (mm/yr).
    """

    monthly: list[float] | None = Field(None, description="mm in each month, Jan..Dec")
    annual: float | None = Field(None, description="mm per year, spread by `profile`")
    profile: list[float] | str | None = Field(None, description="12 fractions or a basin profile name")

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"monthly": data}
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"annual": data}
        return data

    @model_validator(mode="after")
    def _check(self) -> MonthlyDepth:
        if (self.monthly is None) == (self.annual is None):
            raise ValueError("give either 12 monthly values (mm) or 'annual' (mm/yr) with a profile")
        if self.monthly is not None and len(self.monthly) != 12:
            raise ValueError(f"needs 12 monthly values (Jan..Dec), got {len(self.monthly)}")
        if isinstance(self.profile, list) and len(self.profile) != 12:
            raise ValueError(f"'profile' needs 12 fractions (Jan..Dec), got {len(self.profile)}")
        return self


class LevelAreaVolume(Strict):
    """Level-area-volume table, rows in increasing level."""

    level_m: list[float] = Field(description="water level, m BS")
    area_km2: list[float] = Field(description="surface area at that level, km2")
    volume: list[float] = Field(description="stored volume at that level, in `volume_unit`")
    volume_unit: str = Field("Mm3", description="Mm3 or km3")

    @model_validator(mode="after")
    def _check(self) -> LevelAreaVolume:
        if self.volume_unit not in VOLUME_UNITS:
            raise ValueError(f"unknown volume unit '{self.volume_unit}'; use Mm3 or km3")
        n = {len(self.level_m), len(self.area_km2), len(self.volume)}
        if len(n) != 1:
            raise ValueError("level_m, area_km2 and volume must have the same number of rows")
        if len(self.level_m) < 2:
            raise ValueError("a level-area-volume table needs at least 2 rows")
        return self

    @property
    def volume_mm3(self) -> list[float]:
        f = VOLUME_UNITS[self.volume_unit]
        return [v * f for v in self.volume]


class RuleCurve(Strict):
    """Monthly storage bounds (end of month), by calendar month Jan..Dec.  At a dekad calendar step
    the bound at the end of a dekad is interpolated in days between the ends of the previous month
    and of its month (the third dekad's is the month's own)."""

    min: list[float] | None = Field(None, description="minimum storage per calendar month, in `unit`")
    max: list[float] | None = Field(None, description="maximum storage per calendar month, in `unit`")
    unit: str = Field("Mm3", description="Mm3 or km3")

    @model_validator(mode="after")
    def _check(self) -> RuleCurve:
        if self.unit not in VOLUME_UNITS:
            raise ValueError(f"unknown volume unit '{self.unit}'; use Mm3 or km3")
        for name in ("min", "max"):
            vals = getattr(self, name)
            if vals is not None and len(vals) != 12:
                raise ValueError(f"rule curve '{name}' needs 12 values (Jan..Dec), got {len(vals)}")
        return self

