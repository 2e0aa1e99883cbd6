"""Sensitivity bands: a study's answer under +-X % of a named input.

``--band NAME=X`` (e.g. ``lake_evaporation=0.05``) re-runs the study with the multiplier ``NAME``
(:mod:`balkhash.history.multipliers`; the names of the basin's ``observed/hindcast.yaml``, or
``KIND:KEY``) at ``1 - X`` and at ``1 + X``, the rest of the basin unchanged, and reports the two
answers beside the central one:

* ``min-inflow``: the least inflow from China ``V*(m)`` at ``m = 1 - X, 1, 1 + X``; the band is
  ``[min V*, max V*]`` over the three (the answer need not be monotone in ``m``: the three values
  are reported, not extrapolated);
* ``sweep``: every point of the sweep at ``m = 1 - X`` and ``1 + X``: the lake inflow, the end and
  least lake level and the total shortfall (``sweep_bands.csv``).

The multiplier is set in place on the study's model when it has that kind of named parameter
(and set back afterwards); otherwise the study is rebuilt on the scaled basin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import BalkhashError
from ..network.schema import Basin
from .hindcast import ParameterSpec
from .multipliers import ABSOLUTE, check_spec, scaled_basin

#: sweep columns reported under a band
SWEEP_FIGURES = ("lake_inflow_km3", "lake_level_end_m", "lake_level_min_m", "total_shortfall_mm3")


class BandError(BalkhashError, ValueError):
    """A --band that cannot be used: unknown name, a fraction outside (0, 1)."""


@dataclass
class Band:
    spec: ParameterSpec
    fraction: float

    @property
    def factors(self) -> tuple[float, float]:
        return 1.0 - self.fraction, 1.0 + self.fraction

    @property
    def label(self) -> str:
        return f"{self.spec.name} +-{100 * self.fraction:g} %"


def known_parameters(basin: Basin) -> dict[str, ParameterSpec]:
    """The named multipliers of ``basin`` (its hindcast setup's ``parameters``)."""
    from .hindcast import load_setup

    return load_setup(basin).parameters


def parse_band(text: str, basin: Basin) -> Band:
    """``NAME=X`` or ``KIND:KEY=X`` (0 < X < 1) into a Band; BandError when unusable."""
    name, sep, frac = text.partition("=")
    name = name.strip()
    if not sep:
        raise BandError(f"--band '{text}': write NAME=FRACTION, e.g. lake_evaporation=0.05")
    try:
        x = float(frac)
    except ValueError:
        raise BandError(f"--band '{text}': '{frac}' is not a number (a fraction, e.g. 0.05 for +-5 %)") from None
    if not (np.isfinite(x) and 0.0 < x < 1.0):
        raise BandError(f"--band '{text}': the fraction must be between 0 and 1 (0.05 is +-5 %), got {frac}")
    known = known_parameters(basin)
    if name in known:
        spec = known[name]
    elif ":" in name:
        kind, _, key = name.partition(":")
        spec = ParameterSpec(name, kind.strip(), key.strip())
    else:
        raise BandError(f"--band '{text}': unknown parameter '{name}' (the basin names: "
                        f"{', '.join(known) or 'none'}; or write KIND:KEY, e.g. evaporation:BALKHASH)")
    if spec.kind in ABSOLUTE:
        raise BandError(f"--band '{text}': {spec.kind} is an initial state, not a factor: a band moves a "
                        "multiplier by +-X (e.g. lake_evaporation=0.05)")
    try:
        check_spec(basin, spec)
    except BalkhashError as exc:
        raise BandError(f"--band '{text}': {exc}") from None
    return Band(spec, x)


def check_band_for(band: Band, study, parameter: str = "transboundary") -> None:
    """BandError for a band on the input the study itself moves: the inflow of the transboundary
    node in a study over the inflow from China (min-inflow, ``sweep -p transboundary``), which
    every point overwrites, so the band would change nothing."""
    if parameter == "transboundary" and band.spec.kind == "inflow" and band.spec.key == study.tb_node:
        raise BandError(f"--band '{band.spec.name}={band.fraction:g}': the study moves the inflow at "
                        f"{study.tb_node} itself (the inflow from China), so a band on it changes nothing; "
                        "band another input (e.g. lake_evaporation, local_inflow)")


@contextmanager
def moved(study, spec: ParameterSpec, m: float, rebuild: Callable[[Basin], object]) -> Iterator[object]:
    """``study`` with multiplier ``m`` on ``spec``: set in place (and set back), or a study
    ``rebuild`` makes of the scaled basin."""
    model = study.alloc
    if spec.kind in model.params.kinds():
        base = model.get(spec.kind, spec.key)
        base = base.copy() if isinstance(base, np.ndarray) else float(base)
        model.set(spec.kind, spec.key, base * m)
        # the study's own record of the inflow too, so that a sweep over a multiplier on every
        # inflow moves the band's inflow from its scaled series (base x m x value)
        inflows = getattr(study, "base_inflow", {})
        recorded = inflows.get(spec.key) if spec.kind == "inflow" else None
        if recorded is not None:
            inflows[spec.key] = recorded * m
        try:
            yield study
        finally:
            model.set(spec.kind, spec.key, base)
            if recorded is not None:
                inflows[spec.key] = recorded
    else:
        yield rebuild(scaled_basin(study.basin, [spec], [m]))


def min_inflow_bands(study, bands: list[Band], modes, run: Callable, rebuild: Callable[[Basin], object],
                     central: dict | None = None) -> pd.DataFrame:
    """One row per band and mode: the least inflow at 1 - X, 1 (``central``: mode -> km3, or run
    again) and 1 + X and the band [min, max] (km3/yr; NaN where the targets never hold)."""
    rows = []
    for band in bands:
        for mode in modes:
            vals = {}
            for tag, m in (("low", band.factors[0]), ("high", band.factors[1])):
                with moved(study, band.spec, m, rebuild) as s:
                    vals[tag] = run(s, mode).answer_km3
            mid = central.get(mode) if central is not None else run(study, mode).answer_km3
            found = [v for v in (vals["low"], mid, vals["high"]) if v is not None]
            rows.append({"band": band.spec.name, "fraction": band.fraction, "mode": mode,
                         "factor_low": band.factors[0], "factor_high": band.factors[1],
                         "at_low_km3": np.nan if vals["low"] is None else vals["low"],
                         "central_km3": np.nan if mid is None else mid,
                         "at_high_km3": np.nan if vals["high"] is None else vals["high"],
                         "band_min_km3": min(found) if found else np.nan,
                         "band_max_km3": max(found) if found else np.nan})
    return pd.DataFrame(rows)


def sweep_bands(study, bands: list[Band], run: Callable, rebuild: Callable[[Basin], object]) -> pd.DataFrame:
    """The sweep table's figures (:data:`SWEEP_FIGURES`) at every point, at 1 - X and 1 + X of
    each band: columns band, fraction, factor, value and the figures."""
    frames = []
    for band in bands:
        for m in band.factors:
            with moved(study, band.spec, m, rebuild) as s:
                t = run(s)
            cols = ["value", *[c for c in SWEEP_FIGURES if c in t.columns]]
            f = t[cols].copy()
            f.insert(0, "factor", m)
            f.insert(0, "fraction", band.fraction)
            f.insert(0, "band", band.spec.name)
            frames.append(f)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
