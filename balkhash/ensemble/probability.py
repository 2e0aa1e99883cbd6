"""The water year of a given exceedance probability (обеспеченность): the annual inflow that is
reached or exceeded in p % of years, split into its China and Kazakh parts.

The annual inflow of the basin is :math:`Q = C + K`, the Ile runoff formed in China and in
Kazakhstan (km3 per year, the roadmap's 2010-2020 table).  Two methods:

* ``generator`` (default): the stationary distribution of the fitted bivariate log-normal model
  (:mod:`.generator`): :math:`(\\ln C, \\ln K)` Gaussian with means :math:`\\mu`, deviations
  :math:`\\sigma` and correlation :math:`r`.  :data:`SAMPLES` years are drawn with a fixed seed
  (so the answer is reproducible); :math:`Q_p` is the :math:`(1 - p)` quantile of the drawn
  totals, and the parts are the mean :math:`C` and :math:`K` of the drawn years whose total lies
  within :math:`\\pm` :data:`BAND` of probability around :math:`Q_p` (the expected split of such a
  year: a dry year is drier in its China part, the more variable one), scaled so that
  :math:`C_p + K_p = Q_p`.  Any p in (0, 100) can be asked.
* ``record``: the Weibull plotting positions of the record, :math:`P_m = m / (n + 1)` for the
  total of rank :math:`m` in decreasing order; :math:`Q_p`, :math:`C_p` and :math:`K_p` are
  linear in :math:`P` between the two years that bracket p.  With n = 11 years only
  :math:`1/12 \\le p \\le 11/12` (8.3 .. 91.7 %) can be read from the record; 95 % needs the
  generator.

The plan of probability p (``balkhash plan --probability p``) gives the transboundary node
:math:`C_p` km3 in each water year, spread by its border profile, and scales every other inflow
node by :math:`K_p / \\bar K` (:math:`\\bar K` the record mean), as a ``transboundary`` and
``inflow_multipliers`` scenario applied after the scenario of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .generator import GeneratorError, InflowModel, fit_record

METHODS = ("generator", "record")
#: years drawn from the fitted distribution, and the seed of the draw
SAMPLES = 400_000
SEED = 20_240_000
#: half-width, in probability, of the band of drawn years whose mean split gives the parts
BAND = 0.005


class ProbabilityError(GeneratorError):
    """An exceedance probability that cannot be planned: outside (0, 100) or out of the record's reach."""


@dataclass(frozen=True)
class DesignYear:
    """The annual inflow of exceedance probability ``probability`` (%), km3."""

    probability: float
    china_km3: float
    kazakh_km3: float
    method: str
    #: the record mean of the Kazakh part, K-bar (km3/yr): every inflow node but the transboundary
    #: one is scaled by kazakh_km3 / K-bar in the plan (None: not known)
    kazakh_mean_km3: float | None = None

    @property
    def total_km3(self) -> float:
        return self.china_km3 + self.kazakh_km3

    @property
    def kazakh_factor(self) -> float | None:
        """K_p / K-bar, the factor on every inflow node but the transboundary one (None: not known)."""
        return None if not self.kazakh_mean_km3 else self.kazakh_km3 / self.kazakh_mean_km3

    @property
    def name(self) -> str:
        return f"p{self.probability:g}".replace(".", "_")


def check_probability(p) -> float:
    if isinstance(p, bool) or not isinstance(p, int | float | np.floating | np.integer) or not (0 < p < 100):
        raise ProbabilityError(f"--probability must be a percentage strictly between 0 and 100 (got {p!r})")
    return float(p)


def from_generator(model: InflowModel, probability: float) -> DesignYear:
    p = check_probability(probability) / 100.0
    rng = np.random.default_rng(SEED)
    g = np.array([[1.0, model.r], [model.r, 1.0]])
    z = rng.standard_normal((SAMPLES, 2)) @ np.linalg.cholesky(g).T
    parts = np.exp(np.asarray(model.mu) + np.asarray(model.sigma) * z)
    total = parts.sum(axis=1)
    order = np.argsort(total)
    q = 1.0 - p  # the non-exceedance quantile
    lo = int(np.floor(max(0.0, q - BAND) * SAMPLES))
    hi = int(np.ceil(min(1.0, q + BAND) * SAMPLES))
    band = order[lo:max(hi, lo + 1)]
    qp = float(np.quantile(total, q))
    c, k = parts[band].mean(axis=0)
    scale = qp / (c + k)
    return DesignYear(probability * 1.0, float(c * scale), float(k * scale), "generator")


def from_record(china_km3, kazakh_km3, probability: float) -> DesignYear:
    p = check_probability(probability) / 100.0
    c, k = np.asarray(china_km3, dtype=float), np.asarray(kazakh_km3, dtype=float)
    n = c.size
    order = np.argsort(-(c + k), kind="stable")  # decreasing totals: rank m = 1 .. n
    pos = np.arange(1, n + 1) / (n + 1)
    if not (pos[0] - 1e-12 <= p <= pos[-1] + 1e-12):
        lo, hi = 100 * pos[0], 100 * pos[-1]  # shown so that the range shown is inside the one allowed
        raise ProbabilityError(f"the {n}-year record reaches exceedance probabilities {np.ceil(lo * 100) / 100:.2f} "
                               f".. {np.floor(hi * 100) / 100:.2f} % only (Weibull positions m/(n+1) = 1/{n + 1} .. "
                               f"{n}/{n + 1}); {100 * p:g} % needs --probability-method generator")
    return DesignYear(100.0 * p, float(np.interp(p, pos, c[order])), float(np.interp(p, pos, k[order])), "record")


def design_year(basin, probability: float, method: str = "generator", model: InflowModel | None = None) -> DesignYear:
    """The design year of ``basin``'s runoff table for ``probability`` % by ``method``."""
    if method not in METHODS:
        raise ProbabilityError(f"unknown --probability-method '{method}': use {' or '.join(METHODS)}")
    check_probability(probability)
    model = model or fit_record(basin)
    kbar = float(model.record_mean_km3[1])
    if method == "generator":
        return replace(from_generator(model, probability), kazakh_mean_km3=kbar)
    from ..scenarios.transboundary import transboundary_table

    df = transboundary_table(basin).sort_index()
    if "kazakhstan_km3" not in df.columns:
        raise ProbabilityError("the runoff table has no kazakhstan_km3 column")
    return replace(from_record(df["china_km3"].to_numpy(), df["kazakhstan_km3"].to_numpy(), probability),
                   kazakh_mean_km3=kbar)


def design_scenario(basin, year: DesignYear, name: str | None = None, kazakh_mean_km3: float | None = None):
    """A Scenario giving ``basin`` the design year's inflows in every water year (apply it after the
    run's own scenario)."""
    from ..scenarios.schema import Scenario
    from ..scenarios.transboundary import sole_transboundary_node

    china = sole_transboundary_node(basin, "a plan of given exceedance probability")
    if china is None:
        raise ProbabilityError("the basin has no transboundary inflow node (transboundary: true) to plan a "
                               "year of given exceedance probability")
    kbar = kazakh_mean_km3 if kazakh_mean_km3 is not None else fit_record(basin).record_mean_km3[1]
    factor = year.kazakh_km3 / kbar
    kz = {n.id: factor for n in basin.nodes if n.type == "inflow" and n.id != china}
    desc = (f"water year of {year.probability:g} % exceedance probability ({year.method}): "
            f"China {year.china_km3:.3f} km3, Kazakh part {year.kazakh_km3:.3f} km3 "
            f"(x {factor:.3f} of the record mean)")
    return Scenario.model_validate({"name": name or year.name, "description": desc,
                                    "transboundary": {"annual_km3": year.china_km3, "node": china},
                                    "inflow_multipliers": kz})
