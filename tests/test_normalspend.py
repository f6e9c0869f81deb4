"""Tests of the hierarchical normal spend model (Morris 1983 normal-normal empirical Bayes)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import FitError, UsageError
from crmkit.models.normalspend import NormalSpendModel, simulate_normalspend


def _data(seed=3, n=4000, mu=-4.0, tau=10.0, sigma=25.0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 15, n).astype(float)
    return x, simulate_normalspend(x, mu=mu, tau=tau, sigma=sigma, rng=rng)


def test_recovers_planted_parameters_with_negative_values():
    x, m = _data()
    assert np.mean(m < 0) > 0.3  # many net values are negative
    model = NormalSpendModel().fit(x, m)
    for name, truth in {"mu": -4.0, "tau": 10.0, "sigma": 25.0}.items():
        assert model.params_[name] == pytest.approx(truth, abs=3 * model.se_[name])
    assert model.cov_.shape == (3, 3)
    assert np.sqrt(np.diag(model.cov_)) == pytest.approx([model.se_[k] for k in ("mu", "tau", "sigma")])


def test_likelihood_matches_scipy_normal():
    from scipy.stats import norm

    model = NormalSpendModel.from_params(mu=-1.0, tau=2.0, sigma=3.0)
    ll = model.log_likelihood([1, 4, 0], [0.5, -2.0, 1.0])
    assert ll[:2] == pytest.approx(norm.logpdf([0.5, -2.0], -1.0, np.sqrt([4 + 9, 4 + 9 / 4])))
    assert np.isnan(ll[2])


def test_fit_is_the_maximum():
    x, m = _data(seed=5, n=1500)
    model = NormalSpendModel().fit(x, m)
    best = np.sum(model.log_likelihood(x, m))
    assert best == pytest.approx(model.log_likelihood_, rel=1e-10)
    for name in ("mu", "tau", "sigma"):
        p = dict(model.params_)
        p[name] += 0.05 * abs(p[name]) + 0.01
        assert np.sum(NormalSpendModel.from_params(**p).log_likelihood(x, m)) < best


def test_shrinkage_limits():
    model = NormalSpendModel.from_params(mu=5.0, tau=2.0, sigma=6.0)
    # hand: x = 9 -> weight 4*9/(4*9+36) = 0.5
    assert model.expected_spend([9], [-1.0])[0] == pytest.approx(0.5 * -1.0 + 0.5 * 5.0)
    assert model.expected_spend([1e9], [-7.0])[0] == pytest.approx(-7.0, abs=1e-6)  # x -> inf: own mean
    assert model.expected_spend([0], [np.nan])[0] == 5.0  # no transactions: the population mean
    tiny = NormalSpendModel.from_params(mu=5.0, tau=1e-9, sigma=6.0)
    assert tiny.expected_spend([50], [-100.0])[0] == pytest.approx(5.0, abs=1e-9)  # tau -> 0: mu
    assert model.posterior_variance([9])[0] == pytest.approx(1 / (1 / 4 + 9 / 36))


def test_within_variance_identifies_equal_counts():
    rng = np.random.default_rng(11)
    n, k = 2000, 5
    cust = rng.normal(2.0, 3.0, n)
    values = rng.normal(cust[:, None], 4.0, (n, k))
    x = np.full(n, float(k))
    with pytest.raises(FitError):
        NormalSpendModel().fit(x, values.mean(axis=1))
    model = NormalSpendModel().fit(x, values.mean(axis=1), within_variance=values.var(axis=1, ddof=1))
    assert model.params_["sigma"] == pytest.approx(4.0, abs=3 * model.se_["sigma"])
    assert model.params_["tau"] == pytest.approx(3.0, abs=3 * model.se_["tau"])


def test_bad_input():
    with pytest.raises(UsageError):
        NormalSpendModel().fit([1, 2], [1.0])
    with pytest.raises(UsageError):
        NormalSpendModel().fit([1, 2], [1.0, np.inf])
    with pytest.raises(FitError):
        NormalSpendModel().fit([0, 0], [1.0, 2.0])
    with pytest.raises(UsageError):
        NormalSpendModel.from_params(mu="a", tau=1.0, sigma=1.0)
    with pytest.raises(UsageError):
        NormalSpendModel.from_params(mu=1.0, tau=-1.0, sigma=1.0)


@settings(max_examples=12, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 20), st.floats(-1e4, 1e4, allow_nan=False)), min_size=3, max_size=60),
)
def test_fit_never_crashes(rows):
    x = np.array([r[0] for r in rows], dtype=float)
    m = np.array([r[1] for r in rows])
    try:
        model = NormalSpendModel().fit(x, m)
    except FitError:
        return
    assert np.all(np.isfinite(model.expected_spend(x, m)))
