"""Synthetic annual inflows: a bivariate log-normal AR(1) fitted to the basin's 2010-2020 record.

The record is the roadmap's Table 1 shipped with the basin (``transboundary_years.csv``): the Ile
runoff formed in China, :math:`C_y`, and in Kazakhstan, :math:`K_y`, km3 per year, 2010-2020.

**Model.**  For each part :math:`i \\in \\{C, K\\}` the logarithm of the annual volume is a
stationary Gaussian AR(1):

.. math::

    y_{i,w} = \\ln Q_{i,w} = \\mu_i + \\sigma_i z_{i,w}, \\qquad
    z_{i,w} = \\phi_i z_{i,w-1} + \\varepsilon_{i,w}

with :math:`\\operatorname{corr}(z_C, z_K) = r` at the same year.  For the standardised process
:math:`\\Gamma = \\begin{pmatrix} 1 & r \\\\ r & 1 \\end{pmatrix}` is the stationary covariance, so the
innovations are Gaussian with covariance
:math:`\\Sigma_{\\varepsilon,ij} = \\Gamma_{ij} (1 - \\phi_i \\phi_j)` (from
:math:`\\Gamma = \\Phi \\Gamma \\Phi + \\Sigma_\\varepsilon`, :math:`\\Phi = \\operatorname{diag}(\\phi_C, \\phi_K)`).
The first year of a member is drawn from the stationary distribution :math:`z_1 \\sim N(0, \\Gamma)`,
so every year of every member has the fitted marginal distribution, the same-year cross
correlation :math:`r` and the lag-1 autocorrelations :math:`\\phi_i` (in log space).

**Fit** (:func:`fit_record`): :math:`\\mu_i, \\sigma_i` are the mean and standard deviation
(ddof 1) of :math:`\\ln Q_i` over the record, :math:`r` the Pearson correlation of
:math:`\\ln C` and :math:`\\ln K`, :math:`\\phi_i` the lag-1 autocorrelation of :math:`\\ln Q_i`
(:math:`\\sum (y_w - \\bar y)(y_{w-1} - \\bar y) / \\sum (y_w - \\bar y)^2`), clipped to
[-0.95, 0.95].  The mean of a log-normal part is :math:`\\exp(\\mu + \\sigma^2/2)`, its coefficient of
variation :math:`\\sqrt{e^{\\sigma^2} - 1}`.  ``china_mean_km3`` / ``kazakh_mean_km3`` move
:math:`\\mu` so that the part's mean is that volume with the fitted variability (a negotiator's
"11 km3/yr from China on average").

**Trend paths** (applied after sampling, per water year :math:`w` of the horizon, first year
:math:`w_0`): China's withdrawals upstream, :math:`C'_w = \\max(0, C_w + \\tau (w - w_0))` with
:math:`\\tau` km3/yr per year (``china_trend_km3_per_year``, e.g. -0.1); a glacier "peak water"
multiplier path :math:`g(w)` on both parts (``glacier``: a number or ``{water year: factor}``,
linear between the years given and held outside them), :math:`Q'_{i,w} = g(w) Q_{i,w}`.

**Monthly shape** (:mod:`balkhash.ensemble.members`): the China volume of a water year is spread
over its months by the border profile of the basin's transboundary node, and every other inflow
node is its basin series scaled by :math:`K_w / \\bar K` (:math:`\\bar K` the record mean), as the
``transboundary: {year: ..., kazakh_part: true}`` scenarios do.

Sampling is seeded: member :math:`m` of seed :math:`s` draws from
``numpy.random.default_rng(SeedSequence(s).spawn(M)[m])``, so a member is the same whatever the
number of members run after it or the worker that solves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import BalkhashError

#: the largest |lag-1 autocorrelation| the fit keeps (a stationary AR(1) needs |phi| < 1)
PHI_MAX = 0.95


class GeneratorError(BalkhashError, ValueError):
    """A generator that cannot be fitted or sampled as asked (bad record, seed, members, path)."""


@dataclass(frozen=True)
class InflowModel:
    """The fitted bivariate log-normal AR(1) of the annual China and Kazakh parts (km3/yr)."""

    mu: tuple[float, float]        # mean of ln Q (C, K), ln km3
    sigma: tuple[float, float]     # standard deviation of ln Q (C, K)
    phi: tuple[float, float]       # lag-1 autocorrelation of ln Q (C, K)
    r: float                       # same-year correlation of ln C and ln K
    record_mean_km3: tuple[float, float]  # arithmetic means of the record (C, K): the Kazakh scale reference
    years: tuple[int, ...] = field(default=())  # the record's years
    china_trend_km3_per_year: float = 0.0
    glacier: float | dict[int, float] = 1.0

    @property
    def mean_km3(self) -> tuple[float, float]:
        """The log-normal means exp(mu + sigma^2 / 2) of the two parts, km3/yr."""
        return tuple(float(np.exp(m + s * s / 2.0)) for m, s in zip(self.mu, self.sigma, strict=True))  # type: ignore[return-value]

    @property
    def cv(self) -> tuple[float, float]:
        """Coefficients of variation sqrt(exp(sigma^2) - 1) of the two parts."""
        return tuple(float(np.sqrt(np.expm1(s * s))) for s in self.sigma)  # type: ignore[return-value]

    def with_means(self, china_km3: float | None = None, kazakh_km3: float | None = None) -> InflowModel:
        """The same model with the mean of a part set to a volume (its variability kept)."""
        mu = list(self.mu)
        for i, v in enumerate((china_km3, kazakh_km3)):
            if v is None:
                continue
            if not (np.isfinite(v) and v > 0):
                raise GeneratorError(f"mean annual volume must be a number > 0 km3 (got {v!r})")
            mu[i] = float(np.log(v) - self.sigma[i] ** 2 / 2.0)
        return replace(self, mu=(mu[0], mu[1]))

    def with_trends(self, china_trend_km3_per_year: float = 0.0, glacier: float | dict[int, float] = 1.0
                    ) -> InflowModel:
        if not np.isfinite(china_trend_km3_per_year):
            raise GeneratorError("the China trend must be a finite number (km3/yr per year)")
        values = glacier.values() if isinstance(glacier, dict) else [glacier]
        if not values or any(not (np.isfinite(v) and v >= 0) for v in values):
            raise GeneratorError("the glacier multiplier path needs factors >= 0")
        return replace(self, china_trend_km3_per_year=float(china_trend_km3_per_year), glacier=glacier)

    # -- sampling ---------------------------------------------------------------------------------
    def innovation_cov(self) -> np.ndarray:
        """Sigma_eps = Gamma_ij (1 - phi_i phi_j) of the standardised process."""
        g = np.array([[1.0, self.r], [self.r, 1.0]])
        p = np.asarray(self.phi)
        return g * (1.0 - np.outer(p, p))

    def standard_normals(self, members: int, years: int, seed: int) -> np.ndarray:
        """z, shape (members, years, 2): the standardised AR(1) paths of every member."""
        check_members(members)
        seed = check_seed(seed)
        if years < 1:
            raise GeneratorError(f"years must be >= 1 (got {years})")
        gamma = np.array([[1.0, self.r], [self.r, 1.0]])
        l0 = np.linalg.cholesky(gamma)
        le = np.linalg.cholesky(self.innovation_cov())
        phi = np.asarray(self.phi)
        z = np.empty((members, years, 2))
        for m, ss in enumerate(np.random.SeedSequence(seed).spawn(members)):
            rng = np.random.default_rng(ss)
            e = rng.standard_normal((years, 2))
            z[m, 0] = l0 @ e[0]
            for t in range(1, years):
                z[m, t] = phi * z[m, t - 1] + le @ e[t]
        return z

    def sample(self, members: int, years: int, seed: int, first_water_year: int = 0) -> np.ndarray:
        """Annual volumes, km3 per water year, shape (members, years, 2) = (C, K), trends applied."""
        z = self.standard_normals(members, years, seed)
        q = np.exp(np.asarray(self.mu) + np.asarray(self.sigma) * z)
        return self.apply_trends(q, first_water_year)

    def apply_trends(self, q: np.ndarray, first_water_year: int) -> np.ndarray:
        """q (..., years, 2) with the China trend and the glacier path of the water years from
        ``first_water_year``."""
        years = q.shape[-2]
        w = first_water_year + np.arange(years)
        out = q.copy()
        out[..., 0] = np.maximum(0.0, out[..., 0] + self.china_trend_km3_per_year * (w - first_water_year))
        out *= glacier_factors(self.glacier, w)[:, None]
        return out


def glacier_factors(path: float | dict[int, float], water_years: np.ndarray) -> np.ndarray:
    """g(w): a number for every year, or linear between the years of ``{water year: factor}``,
    held before the first and after the last."""
    if not isinstance(path, dict):
        return np.full(len(water_years), float(path))
    ys = sorted(path)
    return np.interp(water_years, ys, [float(path[y]) for y in ys])


def check_members(members) -> int:
    if isinstance(members, bool) or not isinstance(members, int | np.integer) or members < 1:
        raise GeneratorError(f"the number of members must be a whole number >= 1 (got {members!r})")
    return int(members)


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0 or seed >= 2**63:
        raise GeneratorError(f"the seed must be a whole number 0 <= seed < 2**63 (got {seed!r})")
    return int(seed)


def lag1(y: np.ndarray) -> float:
    """sum (y_w - ybar)(y_{w-1} - ybar) / sum (y_w - ybar)^2."""
    d = np.asarray(y, dtype=float) - np.mean(y)
    den = float(d @ d)
    return float(d[1:] @ d[:-1] / den) if den > 0 else 0.0


def fit(china_km3, kazakh_km3, years=()) -> InflowModel:
    """The model of two annual series (km3/yr, consecutive years, both > 0)."""
    c, k = np.asarray(china_km3, dtype=float), np.asarray(kazakh_km3, dtype=float)
    if c.shape != k.shape or c.ndim != 1 or c.size < 3:
        raise GeneratorError("the record needs at least 3 years with both the China and the Kazakh part")
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(k)) and (c > 0).all() and (k > 0).all()):
        raise GeneratorError("the record's annual volumes must be numbers > 0 km3")
    yc, yk = np.log(c), np.log(k)
    sig = (float(np.std(yc, ddof=1)), float(np.std(yk, ddof=1)))
    if min(sig) <= 0:
        raise GeneratorError("the record has no variability to fit (a part is constant)")
    phi = tuple(float(np.clip(lag1(y), -PHI_MAX, PHI_MAX)) for y in (yc, yk))
    r = float(np.clip(np.corrcoef(yc, yk)[0, 1], -0.99, 0.99))
    return InflowModel(mu=(float(yc.mean()), float(yk.mean())), sigma=sig, phi=(phi[0], phi[1]), r=r,
                       record_mean_km3=(float(c.mean()), float(k.mean())), years=tuple(int(y) for y in years))


def fit_record(basin, table: str | None = None) -> InflowModel:
    """The model fitted to the basin's runoff table (``transboundary_years.csv``, numeric years)."""
    from ..scenarios.transboundary import transboundary_table

    df = transboundary_table(basin, table).sort_index()
    if "kazakhstan_km3" not in df.columns:
        raise GeneratorError("the runoff table has no kazakhstan_km3 column: the generator needs both parts")
    years = df.index.to_numpy()
    if len(years) > 1 and not (np.diff(years) == 1).all():
        raise GeneratorError("the runoff table's years must be consecutive for the lag-1 fit")
    return fit(df["china_km3"].to_numpy(), df["kazakhstan_km3"].to_numpy(), years)
