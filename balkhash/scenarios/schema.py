"""Scenario files: YAML overrides of a basin, validated like the basin itself.

A file holds one scenario (a mapping) or several (``scenarios: [..]``), each named.  Every field is
optional; what is not given stays as in the basin.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, PrivateAttr, field_validator, model_validator

from ..network.quantities import FlowSeries, Strict, Volume
from ..network.schema import Target
from .initial import parse_state

YearRef = int | Literal["mean"]
#: the largest factor a scenario may put on an inflow or a demand, and the largest growth per year
MAX_FACTOR = 1e6
MAX_GROWTH = 10.0
#: a scenario name names a directory of results: no path separators, no '.' or '..' of its own
SCENARIO_NAME = r"^[A-Za-z0-9][A-Za-z0-9_\-\.]*$"
#: the water years a horizon may start in
FIRST_YEAR, LAST_YEAR = 1000, 9000


class TransboundarySpec(Strict):
    """The inflow from China: an annual volume, a multiplier, a historical year or a year sequence."""

    node: str | None = Field(None, description="inflow node; default: the basin's transboundary inflow node")
    annual_km3: float | None = Field(None, ge=0.0, le=1e6, description="volume per water year, km3, spread by the "
                                     "node's own monthly pattern (the border profile)")
    multiplier: float | None = Field(None, ge=0.0, le=MAX_FACTOR, description="factor on the basin's series")
    year: YearRef | None = Field(None, description="a year of the 2010-2020 runoff table, or 'mean'")
    sequence: list[YearRef] | None = Field(
        None, description="table years for water years 1, 2, ... of the horizon (repeated when shorter)"
    )
    kazakh_part: bool = Field(
        False, description="with year/sequence: also scale the Kazakh inflows by the year's Kazakh runoff "
        "relative to the table mean"
    )
    kazakh_nodes: list[str] | None = Field(
        None, description="inflow nodes scaled by the Kazakh part; default: every other inflow node"
    )
    table: str | None = Field(
        None, description="CSV with columns year, china_km3, kazakhstan_km3 (default: the basin's "
        "transboundary_years.csv)"
    )

    @model_validator(mode="after")
    def _one(self) -> TransboundarySpec:
        given = [k for k in ("annual_km3", "multiplier", "year", "sequence") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of annual_km3, multiplier, year, sequence (got {given or 'none'})")
        if self.kazakh_part and self.year is None and self.sequence is None:
            raise ValueError("kazakh_part needs 'year' or 'sequence'")
        if self.sequence is not None and not self.sequence:
            raise ValueError("'sequence' is empty")
        return self


YearPath = float | dict[int, float]
"""A number for every water year, or a path: water year -> value, linear in between, held before the
first and after the last year given (``{2022: 0, 2030: 0.25}``)."""


def path_value(path: YearPath, water_year: int) -> float:
    """The value of a :data:`YearPath` in a water year (2025 = 2025-10..2026-09)."""
    if not isinstance(path, dict):
        return float(path)
    years = sorted(path)
    return float(np.interp(water_year, years, [path[y] for y in years]))


class WaterSaving(Strict):
    """Water-saving measures, applied to the demand targets.

    The areas and the efficiency gain are a number (the same in every water year) or a path
    ``{water year: value}``, interpolated linearly between the years given and held outside them,
    so a measure can be phased in (``industry_efficiency: {2022: 0, 2030: 0.25}``).
    """

    drip_area_kha: YearPath = Field(0.0, description="additional drip-irrigated area, thousand ha (or a path "
                                    "water year -> area)")
    sprinkler_area_kha: YearPath = Field(0.0, description="additional sprinkler area, thousand ha (or a path "
                                         "water year -> area)")
    drip_saving_mm3_per_kha: float = Field(
        3.5, ge=0.0, description="saving per thousand ha of drip, Mm3/yr (assumption: 35 % of 10,000 m3/ha)"
    )
    sprinkler_saving_mm3_per_kha: float = Field(
        2.0, ge=0.0, description="saving per thousand ha of sprinklers, Mm3/yr (assumption: 20 % of 10,000 m3/ha)"
    )
    demands: list[str] | None = Field(
        None, description="irrigation demands sharing the saving; default: every agriculture demand"
    )
    industry_efficiency: YearPath = Field(
        0.0, description="gain in industrial water-use efficiency (0.25 = +25 %): targets / (1 + gain); "
        "or a path water year -> gain"
    )
    industry_demands: list[str] | None = Field(
        None, description="demands the efficiency gain applies to; default: every industry demand"
    )

    @field_validator("drip_area_kha", "sprinkler_area_kha", "industry_efficiency", mode="before")
    @classmethod
    def _path(cls, v):
        hint = "a number >= 0, or a mapping water year -> number >= 0 (e.g. {2022: 0, 2030: 0.25})"
        if isinstance(v, dict):
            if not v:
                raise ValueError(f"empty mapping: give {hint}")
            out = {}
            for k, x in v.items():
                try:
                    year = int(k)
                    if str(k).strip() != str(year):
                        raise ValueError
                except (TypeError, ValueError):
                    raise ValueError(f"'{k}' is not a water year: give {hint}") from None
                if isinstance(x, bool) or not isinstance(x, int | float) or not x == x or x < 0:
                    raise ValueError(f"{year}: {x!r} is not a number >= 0: give {hint}")
                out[year] = float(x)
            return out
        if isinstance(v, bool) or not isinstance(v, int | float) or not v == v or v < 0:
            raise ValueError(f"{v!r} is not a number >= 0: give {hint}")
        return float(v)


class ReservoirRange(Strict):
    min_storage: Volume | None = None
    max_storage: Volume | None = None


class Infrastructure(Strict):
    enable: list[str] = Field(default_factory=list, description="reservoirs or plants to switch on")
    disable: list[str] = Field(default_factory=list, description="reservoirs or plants to switch off")
    link_capacity: dict[str, FlowSeries] = Field(default_factory=dict, description="link id -> capacity")
    annual_capacity: dict[str, FlowSeries] = Field(
        default_factory=dict, description="link id -> volume per water year ('0.4 km3/yr')"
    )
    reservoir_range: dict[str, ReservoirRange] = Field(default_factory=dict, description="operating range")
    link_loss: dict[str, float] = Field(
        default_factory=dict, description="link id -> loss fraction of what enters it, 0 <= f < 1 (a lined canal, "
        "a delta's loss)"
    )

    @field_validator("link_loss")
    @classmethod
    def _losses(cls, v: dict[str, float]) -> dict[str, float]:
        for lid, f in v.items():
            if not 0.0 <= f < 1.0:
                raise ValueError(f"link_loss.{lid}: a loss fraction is at least 0 and below 1 (got {f:g})")
        return v


class TargetsSpec(Strict):
    lake_inflow_km3: float | None = Field(None, ge=0.0, description="minimum lake inflow per water year, km3")
    lake_min_level_m: float | None = Field(None, description="minimum lake level, m BS")
    hard: bool | None = Field(None, description="make the lake targets hard (true) or soft (false)")
    penalty: float | None = Field(None, ge=0.0, description="penalty per Mm3 of violation")
    lake: str | None = Field(None, description="lake node (default: the only lake)")


class Scenario(Strict):
    name: str = Field("scenario", pattern=SCENARIO_NAME, max_length=100,
                      description="short name, used in tables and file names: letters, digits, _ - . "
                      "(starting with a letter or digit)")
    #: the file the scenario was read from (named in error messages); "scenario" when built in code
    _file: str = PrivateAttr("scenario")
    description: str | None = None
    years: int | None = Field(None, ge=1, le=100, description="number of water years in the horizon")
    start_water_year: int | None = Field(None, ge=FIRST_YEAR, le=LAST_YEAR,
                                         description="first water year (e.g. 2025 = 2025-10..2026-09)")
    transboundary: TransboundarySpec | None = None
    inflow_multipliers: dict[str, float] = Field(
        default_factory=dict, description="node id (or 'all') -> factor on its inflow (climate: dry/wet)"
    )
    demand_growth: dict[str, float] = Field(
        default_factory=dict, description="sector -> growth per year (0.01 = +1 %/yr), compounding"
    )
    growth_base_year: int | None = Field(
        None, description="water year at which growth factors are 1 (default: the first water year)"
    )
    demand_multipliers: dict[str, float] = Field(
        default_factory=dict, description="demand id or sector -> factor on its target"
    )
    water_saving: WaterSaving | None = None
    infrastructure: Infrastructure | None = None
    targets: TargetsSpec | None = None
    add_targets: list[Target] = Field(
        default_factory=list, description="targets added to the basin's, in the basin file's format (an eco_flow "
        "such as a spring flood pulse, a lake target); their ids must be new")
    policy: str | None = Field(
        None, description="allocation policy of the run: a preset (lake_first, users_first, proportional, "
        "water_code), one of the basin's `options.policies`, or 'none' (docs/data-format.md, Policies)")
    initial: dict[str, str | float | dict] = Field(
        default_factory=dict, description="reservoir or lake -> its state at the start of the horizon: a volume "
        "('16.5 km3', '150 Mm3') or a level ('342.5 m')"
    )
    profiles: dict[str, list[float]] = Field(
        default_factory=dict, description="named profile of the basin -> its new 12 fractions Jan..Dec (e.g. an "
        "evaporation timing); every series using the profile follows")

    @field_validator("initial")
    @classmethod
    def _states(cls, v: dict) -> dict:
        for k, x in v.items():
            try:
                parse_state(x)
            except ValueError as exc:
                raise ValueError(f"'{k}': {exc}") from None
        return v

    def is_plain(self) -> bool:
        """True when the scenario changes nothing (a name and a description only)."""
        return self.model_dump(exclude_defaults=True, exclude={"name", "description"}) == {}

    @field_validator("inflow_multipliers", "demand_multipliers")
    @classmethod
    def _factors(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if not 0.0 <= x <= MAX_FACTOR:
                raise ValueError(f"'{k}': {x:g} is not a usable factor: give a number from 0 to {MAX_FACTOR:g}")
        return v

    @field_validator("demand_growth")
    @classmethod
    def _growth(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if not -0.99 <= x <= MAX_GROWTH:
                raise ValueError(f"'{k}': {x:g} is not a usable growth rate per year: give a number from -0.99 "
                                 f"to {MAX_GROWTH:g} (0.01 = +1 %/yr)")
        return v


class ScenarioFile(Strict):
    scenarios: list[Scenario]

    @model_validator(mode="after")
    def _unique(self) -> ScenarioFile:
        names = [s.name for s in self.scenarios]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate scenario names: {', '.join(dup)}")
        return self
