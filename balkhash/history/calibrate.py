"""Calibration: bounded least squares of a few multipliers on the hindcast residuals.

With multipliers ``p = (p_1..p_k)`` (:mod:`balkhash.history.multipliers`) the hindcast gives the
weighted residuals ``r_i(p) = (m_i(p) - o_i) / sigma_i`` at the ``n`` observations compared
(:mod:`balkhash.history.hindcast`).  Calibration solves

    min_p  1/2 sum_i r_i(p)^2   subject to  low_j <= p_j <= high_j

with ``scipy.optimize.least_squares`` (trust-region reflective, bounds), starting from
the basin as it is (``p = 1``, an initial state at the setup's value ``p0``; clipped into the
bounds).  "Before" is always the basin as it is, even when the bounds exclude it.  An initial
state (``initial_level`` in m BS, ``initial_storage`` in Mm3) is fitted as
``u = 1 + (p - p0) / (high - low)``, so that the relative steps below are a share of its range
rather than of its value (1 % of 342 m would be 3.4 m); its standard error is reported in its
unit.  Every evaluation is one hindcast: the
simulation's window models are kept and moved by ``set(kind, key, base x p_j)``, re-solved warm.
The model is a linear program, so ``m_i(p)`` is piecewise linear in ``p``; the Jacobian is taken
by forward differences with a relative step ``diff_step`` (default 1e-2) large enough to see
across the kinks of a basis change.

**Uncertainty.**  With ``J`` the Jacobian of ``r`` at the solution, the covariance of the fitted
multipliers is ``C = s^2 (J^T J)^-1`` with ``s^2 = sum_i r_i^2 / (n - k)`` (the residual variance:
the observation uncertainties scaled by how well the model actually fits; ``s^2 = 1`` when
``n <= k``), the standard error of ``p_j`` is ``sqrt(C_jj)`` and the correlation of two
multipliers ``C_jk / sqrt(C_jj C_kk)`` (near -1: the observations see only their combined effect).  A direction that the
observations do not see (a singular ``J^T J``) has an infinite standard error.  A fitted value
within 0.1 % of the bound's width from a bound is reported as on that bound: the data would take
it further, the bound (a literature range) holds it.  A value whose standard error is at least
half its range gets a warning too: the observations barely determine it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter

import numpy as np
import pandas as pd

from ..errors import BalkhashError
from .hindcast import Hindcast, HindcastResult, ParameterSpec
from .multipliers import ABSOLUTE, unit_of, unit_suffix


class CalibrationError(BalkhashError, ValueError):
    """A calibration that cannot be run as asked: unknown parameter, bad bounds."""


class _Limit(Exception):
    """The limit of hindcasts is reached: the fit stops where it is."""


def parse_param(text: str, known: dict[str, ParameterSpec]) -> ParameterSpec:
    """``NAME``, ``NAME=LOW:HIGH``, ``KIND:KEY=LOW:HIGH`` into a spec; CalibrationError when unusable."""
    name, sep, rng = text.partition("=")
    name = name.strip()
    if name in known:
        base = known[name]
        spec = ParameterSpec(base.name, base.kind, base.key, base.low, base.high, base.source)
    elif ":" in name:
        kind, _, key = name.partition(":")
        spec = ParameterSpec(name, kind.strip(), key.strip())
    else:
        shown = ", ".join(known) or "none"
        raise CalibrationError(f"--param '{text}': unknown parameter '{name}' (the basin names: {shown}; "
                               "or write KIND:KEY, e.g. inflow:LOCAL_RESIDUAL)")
    if sep:
        lo, colon, hi = rng.partition(":")
        try:
            low, high = float(lo), float(hi)
        except ValueError:
            raise CalibrationError(f"--param '{text}': write NAME=LOW:HIGH with two numbers, "
                                   "e.g. lake_evaporation=0.9:1.3") from None
        if not colon:
            raise CalibrationError(f"--param '{text}': write NAME=LOW:HIGH, e.g. lake_evaporation=0.9:1.3")
        spec.low, spec.high = low, high
    elif spec.kind in ABSOLUTE and name not in known:
        raise CalibrationError(f"--param '{text}': an initial state needs its range in {ABSOLUTE[spec.kind]}, "
                               f"e.g. {name}=342.1:342.6")
    negative_ok = spec.kind == "initial_level"  # a level may lie below its datum (m BS)
    if not (np.isfinite(spec.low) and np.isfinite(spec.high)) or (spec.low < 0 and not negative_ok):
        raise CalibrationError(f"--param '{text}': bounds must be finite and >= 0 (got {spec.low:g}:{spec.high:g})")
    if spec.low >= spec.high:
        raise CalibrationError(f"--param '{text}': LOW must be below HIGH (got {spec.low:g}:{spec.high:g})")
    return spec


@dataclass
class CalibrationResult:
    specs: list[ParameterSpec]
    values: np.ndarray
    std: np.ndarray
    before: HindcastResult
    after: HindcastResult
    evaluations: int
    seconds: float
    rebuilds: int
    message: str
    on_bound: list[str] = field(default_factory=list)
    #: the correlation of the fitted multipliers, C_jk / sqrt(C_jj C_kk) (NaN where a variance is infinite)
    correlation: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    #: False when the fit stopped at its limit of hindcasts (``limit``) rather than on a tolerance
    converged: bool = True
    limit: int | None = None

    def table(self) -> pd.DataFrame:
        """One row per multiplier: name, kind, key, bounds, fitted value, standard error, bound hit."""
        return pd.DataFrame([{"parameter": s.name, "kind": s.kind, "key": s.key, "unit": unit_of(s.kind),
                              "low": s.low, "high": s.high, "value": float(v), "std": float(e),
                              "on_bound": s.name in self.on_bound, "source": s.source}
                             for s, v, e in zip(self.specs, self.values, self.std, strict=True)])

    def warnings(self) -> list[str]:
        out = []
        if not self.converged:
            out.append(f"the fit stopped at its limit of {self.limit} hindcasts before converging: the values are "
                       "where it stopped, not a fit (raise --max-evaluations)")
        for s, v in zip(self.specs, self.values, strict=True):
            if s.name in self.on_bound:
                which = "lower" if abs(v - s.low) <= abs(v - s.high) else "upper"
                out.append(f"{s.name} = {v:.4g} sits on its {which} bound ({s.low:g}:{s.high:g}): the observations "
                           "would take it further; the fit is limited by the bound")
        for s, v, e in zip(self.specs, self.values, self.std, strict=True):
            width = s.high - s.low
            if s.name not in self.on_bound and not e < 0.5 * width:
                unit = unit_suffix(s.kind)
                shown = f"{v:.4g}" if not unit else f"{v:.3f}"
                out.append(f"{s.name} = {shown}{unit} has a standard error of {e:.3g}{unit}, at least half its "
                           f"range ({s.low:g}:{s.high:g}): the observations barely determine it")
        k = len(self.specs)
        for i in range(k):
            for j in range(i + 1, k):
                c = self.correlation[i, j] if self.correlation.shape == (k, k) else np.nan
                if np.isfinite(c) and abs(c) > 0.95:
                    out.append(f"{self.specs[i].name} and {self.specs[j].name} are correlated {c:+.3f}: the "
                               "observations determine only their combined effect")
        return out

    def summary(self) -> dict:
        b, a = self.before.level_stats(), self.after.level_stats()
        return {"parameters": self.table().to_dict("records"), "evaluations": self.evaluations,
                "max_evaluations": self.limit, "converged": self.converged,
                "seconds": self.seconds, "rebuilds": self.rebuilds, "message": self.message,
                "level_before": b, "level_after": a,
                "chi2_before": float(np.sum(self.before.residuals ** 2)),
                "chi2_after": float(np.sum(self.after.residuals ** 2)),
                "observations": len(self.after.table), "warnings": self.warnings(),
                "correlation": [[float(x) for x in row] for row in self.correlation]}


def covariance(jac: np.ndarray, residuals: np.ndarray) -> np.ndarray:
    """``s^2 (J^T J)^-1`` (the module's definition); inf on the diagonal of unseen directions."""
    n, k = jac.shape
    s2 = float(residuals @ residuals) / (n - k) if n > k else 1.0
    jtj = jac.T @ jac
    try:
        cov = np.linalg.inv(jtj) * s2
    except np.linalg.LinAlgError:
        cov = np.full((k, k), np.inf)
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0):
        cov = np.linalg.pinv(jtj) * s2
        unseen = np.abs(np.diag(jtj)) <= 1e-12 * max(1.0, float(np.abs(jtj).max()))
        for j in np.flatnonzero(unseen):
            cov[j, j] = np.inf
    return cov


def _forward_jacobian(f: Callable[[np.ndarray], np.ndarray], u: np.ndarray, r0: np.ndarray, rel: float,
                      lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Forward differences of ``f`` at ``u`` (``r0 = f(u)``), relative step ``rel``: a step that would
    leave the bounds is flipped, or cut to the wider side (scipy's ``2-point`` scheme)."""
    sign = np.where(u >= 0, 1.0, -1.0)
    h = rel * sign * np.abs(u)
    h = np.where((u + h) - u == 0, np.finfo(float).eps ** 0.5 * sign * np.maximum(1.0, np.abs(u)), h)
    below, above = u - lb, ub - u
    fitting = np.abs(h) <= np.maximum(below, above)
    h = np.where(((u + h < lb) | (u + h > ub)) & fitting, -h, h)
    h = np.where(~fitting, np.where(above >= below, above, -below), h)
    jac = np.empty((r0.size, u.size))
    for j in range(u.size):
        x = u.copy()
        x[j] = u[j] + h[j]
        jac[:, j] = (f(x) - r0) / ((u[j] + h[j]) - u[j])
    return jac


def check_limit(k: int, max_nfev: int | None) -> int:
    """The limit of hindcasts of a fit of ``k`` multipliers (default 30 x (k + 1)); CalibrationError
    below ``k + 3`` (the basin as it is, the first point and its Jacobian of ``k``, the fitted basin)."""
    limit = 30 * (k + 1) if max_nfev is None else int(max_nfev)
    if limit < k + 3:
        raise CalibrationError(f"--max-evaluations {limit}: {k} parameter(s) need at least {k + 3} hindcasts "
                               f"(the basin as it is, the first point and its Jacobian of {k}, the fitted basin)")
    return limit


def calibrate(hindcast: Hindcast, x0: np.ndarray | None = None, diff_step: float = 1e-2,
              max_nfev: int | None = None, progress: Callable[[int, float], None] | None = None) -> CalibrationResult:
    """Fit the multipliers of ``hindcast.specs`` to its observations (the module's problem);
    ``max_nfev``: the hindcasts at most, all counted (default 30 x (k + 1), at least k + 3)."""
    from scipy.optimize import least_squares

    specs = hindcast.specs
    if not specs:
        raise CalibrationError("nothing to calibrate: give at least one --param")
    k = len(specs)
    limit = check_limit(k, max_nfev)
    t0 = perf_counter()
    lo = np.array([s.low for s in specs])
    hi = np.array([s.high for s in specs])
    p0 = hindcast.moved.start()
    # p = offset + scale u: u = p for a factor, u = 1 + (p - p0) / (high - low) for an initial state
    absolute = np.array([s.kind in ABSOLUTE for s in specs])
    scale = np.where(absolute, hi - lo, 1.0)
    offset = np.where(absolute, p0 - scale, 0.0)
    start = np.clip(p0 if x0 is None else np.asarray(x0, float), lo, hi)
    before = hindcast.run(p0)  # the basin as it is, whatever the bounds
    if len(before.table) == 0:
        raise CalibrationError("no observation falls inside the hindcast period: nothing to fit")
    budget = limit - 2  # the fit's own hindcasts: the limit less "before" and "after"
    count = 0
    last: dict = {}  # the last evaluation (u bytes -> residuals) and the last point with its Jacobian
    ulo, uhi = (lo - offset) / scale, (hi - offset) / scale

    def fun(u: np.ndarray) -> np.ndarray:
        nonlocal count
        if count >= budget:
            raise _Limit
        count += 1
        r = hindcast.run(offset + scale * u).residuals
        last["u"], last["r"] = np.array(u, float), r
        if progress:
            progress(count, float(r @ r))
        return r

    def jac(u: np.ndarray) -> np.ndarray:
        u = np.array(u, float)
        r0 = last["r"] if "u" in last and np.array_equal(last["u"], u) else fun(u)
        if budget - count < k:  # no room for this Jacobian: stop at the last point that has one
            raise _Limit
        j = _forward_jacobian(fun, u, r0, diff_step, ulo, uhi)
        last["at"] = (u, r0, j)
        return j

    try:
        res = least_squares(fun, (start - offset) / scale, jac=jac, bounds=(ulo, uhi), method="trf",
                            x_scale="jac", max_nfev=budget + 1)
        u_fit, jac_fit, message, converged = res.x, res.jac, str(res.message), res.status > 0
    except _Limit:
        u_fit, _r, jac_fit = last["at"]
        message = f"stopped at the limit of {limit} hindcasts before converging"
        converged = False
    x = np.clip(offset + scale * u_fit, lo, hi)
    after = hindcast.run(x)
    cov = covariance(jac_fit, after.residuals) * np.outer(scale, scale)
    std = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.inf))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(std, std)
    corr[~np.isfinite(corr)] = np.nan
    width = hi - lo
    on = [s.name for s, v, a, b, w in zip(specs, x, lo, hi, width, strict=True)
          if v - a <= 1e-3 * w or b - v <= 1e-3 * w]
    return CalibrationResult(specs, x, std, before, after, count + 2, perf_counter() - t0,
                             hindcast.moved.rebuilds, message, on, corr, converged, limit)
