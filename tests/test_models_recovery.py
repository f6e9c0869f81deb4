"""Parameter recovery: simulate each model with known parameters, fit, and check the estimates
against the truth in units of their standard errors (fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from crmkit.models import (
    fit_bgbb,
    fit_bgnbd,
    fit_gammagamma,
    fit_mbgnbd,
    fit_pnbd,
    simulate_bgbb,
    simulate_bgnbd,
    simulate_gammagamma,
    simulate_mbgnbd,
    simulate_pnbd,
)

N = 20_000
# Within 4 standard errors: a wrong likelihood or gradient misses by far more, while five
# models x four parameters at 4 SE leave the seeded draws a safe margin.
Z = 4.0


def assert_recovered(model, truth):
    for name, value in truth.items():
        estimate, se = model.params_[name], model.se_[name]
        assert np.isfinite(se) and se > 0, (name, se)
        assert abs(estimate - value) < Z * se, (name, estimate, value, se)
        assert se < 0.35 * value, (name, se)  # 20,000 customers pin every parameter


def ages(rng):
    # Customers acquired over a year and a half, observed to a common end (weeks).
    return rng.uniform(1.0, 78.0, N)


def test_bgnbd_recovers_its_parameters():
    rng = np.random.default_rng(101)
    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    x, t_x, T = simulate_bgnbd(N, ages(rng), rng=rng, **truth)
    assert_recovered(fit_bgnbd(x, t_x, T), truth)


def test_pnbd_recovers_its_parameters():
    rng = np.random.default_rng(102)
    truth = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    x, t_x, T = simulate_pnbd(N, ages(rng), rng=rng, **truth)
    assert_recovered(fit_pnbd(x, t_x, T), truth)


def test_pnbd_recovers_parameters_with_alpha_much_larger_than_beta():
    # The alpha >= beta branch with z = (alpha - beta) / (alpha + t) up to 0.95: the series
    # needs hundreds of terms or quadrature there.
    rng = np.random.default_rng(103)
    truth = {"r": 0.8, "alpha": 40.0, "s": 0.7, "beta": 2.0}
    x, t_x, T = simulate_pnbd(N, ages(rng), rng=rng, **truth)
    assert_recovered(fit_pnbd(x, t_x, T), truth)


def test_mbgnbd_recovers_its_parameters():
    rng = np.random.default_rng(104)
    truth = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
    x, t_x, T = simulate_mbgnbd(N, ages(rng), rng=rng, **truth)
    assert_recovered(fit_mbgnbd(x, t_x, T), truth)


def test_bgbb_recovers_its_parameters():
    rng = np.random.default_rng(105)
    truth = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    x, t_x, n = simulate_bgbb(N, 6, rng=rng, **truth)
    model = fit_bgbb(x, t_x, n)
    assert model.n_rows_ == 22  # 6 opportunities: 22 distinct patterns
    assert_recovered(model, truth)
    # the per-customer log-likelihoods add up to the fitted total (computed on compressed rows)
    assert model.log_likelihood(x, t_x, n).sum() == pytest.approx(model.log_likelihood_, abs=1e-6)


def test_gammagamma_recovers_its_parameters():
    rng = np.random.default_rng(106)
    truth = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    x = rng.geometric(0.35, N).astype(float)  # repeat purchases, all >= 1
    mean_value = simulate_gammagamma(x, rng=rng, **truth)
    assert_recovered(fit_gammagamma(x, mean_value), truth)


def test_large_fit_uses_the_presolve_and_agrees_with_a_plain_fit():
    # Above 40,000 distinct rows the fit starts from the optimum of a fixed 20,000-row subset;
    # the result is the same optimum as from the generic start (and reproducible).
    rng = np.random.default_rng(107)
    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    x, t_x, T = simulate_bgnbd(60_000, rng.uniform(1.0, 78.0, 60_000), rng=rng, **truth)
    fast = fit_bgnbd(x, t_x, T)
    plain = fit_bgnbd(x, t_x, T, init_params={"r": 1.0, "alpha": 10.0, "a": 1.0, "b": 2.0})
    assert fast.params_ == pytest.approx(plain.params_, rel=1e-5)
    assert fast.log_likelihood_ == pytest.approx(plain.log_likelihood_, abs=1e-5)
    assert fit_bgnbd(x, t_x, T).params_ == fast.params_
