"""The inflow generator: its fit to the 2010-2020 record and the statistics of what it samples.

Sampled statistics are compared with the fit within 4 standard errors.  Members are independent,
so the standard error of a pooled statistic is the spread of its per-member means over sqrt(M);
every year of a member is stationary (the first is drawn from the stationary distribution), so the
moments are unbiased."""

from __future__ import annotations

import numpy as np
import pytest

from balkhash.data import default_basin_path
from balkhash.ensemble.generator import GeneratorError, fit, fit_record, lag1
from balkhash.network import load_basin

CHINA = [18.87, 14.73, 10.92, 10.16, 8.132, 12.546, 19.026, 14.819, 11.95, 13.37, 9.807]
KAZAKH = [8.64, 7.40, 5.95, 6.46, 4.94, 6.468, 6.806, 6.811, 6.204, 5.37, 4.890]
M, Y = 3000, 20


@pytest.fixture(scope="module")
def model():
    return fit_record(load_basin(default_basin_path()))


@pytest.fixture(scope="module")
def sample(model):
    return model.sample(M, Y, seed=7)


def within(per_member: np.ndarray, expected: float, k: float = 4.0) -> None:
    """The mean of the per-member values within k standard errors of ``expected``."""
    se = per_member.std(ddof=1) / np.sqrt(per_member.size)
    assert abs(per_member.mean() - expected) <= k * se, (per_member.mean(), expected, se)


def test_fit_is_the_record_statistics(model):
    yc, yk = np.log(CHINA), np.log(KAZAKH)
    assert model.years == tuple(range(2010, 2021))
    assert model.mu == pytest.approx((yc.mean(), yk.mean()), rel=1e-12)
    assert model.sigma == pytest.approx((yc.std(ddof=1), yk.std(ddof=1)), rel=1e-12)
    assert model.r == pytest.approx(np.corrcoef(yc, yk)[0, 1], rel=1e-12)
    d = yc - yc.mean()
    assert model.phi[0] == pytest.approx((d[1:] @ d[:-1]) / (d @ d), rel=1e-12)
    assert model.record_mean_km3 == pytest.approx((np.mean(CHINA), np.mean(KAZAKH)))


def test_marginal_mean_and_variability(model, sample):
    logs = np.log(sample)
    for i in range(2):
        within(logs[:, :, i].mean(axis=1), model.mu[i])
        z = (logs[:, :, i] - model.mu[i]) / model.sigma[i]
        within((z ** 2).mean(axis=1), 1.0)
        within(sample[:, :, i].mean(axis=1), model.mean_km3[i])


def test_cross_and_lag1_correlation(model, sample):
    z = (np.log(sample) - np.asarray(model.mu)) / np.asarray(model.sigma)
    within((z[:, :, 0] * z[:, :, 1]).mean(axis=1), model.r)
    for i in range(2):
        within((z[:, 1:, i] * z[:, :-1, i]).mean(axis=1), model.phi[i])


def test_seeded_and_member_stable(model):
    a = model.sample(5, 4, seed=3)
    assert np.array_equal(a, model.sample(5, 4, seed=3))
    assert np.array_equal(a[:2], model.sample(2, 4, seed=3))  # a member does not depend on M
    assert not np.array_equal(a, model.sample(5, 4, seed=4))


def test_trends_and_mean_override(model):
    base = model.sample(50, 15, seed=1, first_water_year=2025)
    trended = model.with_trends(-0.1, {2025: 1.0, 2035: 1.1, 2040: 0.9}).sample(50, 15, seed=1,
                                                                                first_water_year=2025)
    w = np.arange(2025, 2040)
    g = np.interp(w, [2025, 2035, 2040], [1.0, 1.1, 0.9])
    expected_c = np.maximum(0.0, base[:, :, 0] - 0.1 * (w - 2025)) * g
    assert np.allclose(trended[:, :, 0], expected_c)
    assert np.allclose(trended[:, :, 1], base[:, :, 1] * g)
    eleven = model.with_means(china_km3=11.0)
    assert eleven.mean_km3[0] == pytest.approx(11.0)
    assert eleven.cv == pytest.approx(model.cv)


@pytest.mark.parametrize(("members", "seed"), [(0, 1), (-3, 1), (2.5, 1), (2, -1), (2, 1.5), (2, True)])
def test_bad_members_or_seed(model, members, seed):
    with pytest.raises(GeneratorError):
        model.sample(members, 3, seed)


def test_bad_record():
    with pytest.raises(GeneratorError, match="at least 3 years"):
        fit([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(GeneratorError, match="> 0"):
        fit([1.0, 0.0, 2.0], [1.0, 2.0, 3.0])
    assert lag1(np.array([1.0, 2.0, 1.0, 2.0])) < 0
