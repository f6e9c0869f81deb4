"""DERT and window forecasts (crmkit.models.dert, crmkit.clv_forecast): closed forms against
quadrature and simulation, the window against the DERT and the finite-horizon CLV, the columns."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.special import hyperu

from crmkit.clv import discounted_purchases
from crmkit.clv_forecast import dert_value_for, forecast_columns, parse_window
from crmkit.errors import UsageError
from crmkit.models import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    simulate_bgnbd,
)
from crmkit.models.dert import dert, dert_numeric, window_purchases

# Fader, Hardie & Lee (2005), "RFM and CLV", JMR 42(4): CDNOW Pareto/NBD fit, 15% a year on
# weekly data as delta = log(1.15) / 52 = 0.0027. BTYD's pnbd.DERT example uses its own CDNOW
# estimate and the customer (x, t_x, T) = (7, 35, 77.86).
PNBD = {"r": 0.5533, "alpha": 10.5776, "s": 0.6061, "beta": 11.6650}
BTYD = {"r": 0.5629966, "alpha": 12.5590370, "s": 0.4081095, "beta": 10.5148048}
BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
DELTA = math.log(1.15) / 52
HISTORIES = (
    np.array([0, 1, 2, 7, 7, 20, 150.0]),
    np.array([0, 5, 30.43, 35, 35, 38, 38.9]),
    np.array([38.86, 39, 38.86, 77.86, 77.86, 39, 39]),
)


@pytest.mark.parametrize("params", [PNBD, BTYD])
@pytest.mark.parametrize("delta", [DELTA, 1e-4, 0.05, 1.0])
def test_pnbd_closed_form_matches_quadrature(params, delta):
    model = ParetoNBDModel.from_params(**params)
    closed = dert(model, delta, *HISTORIES, continuous=True)
    numeric = dert_numeric(model, delta, *HISTORIES, continuous=True)
    assert closed == pytest.approx(numeric, rel=1e-9)


def test_pnbd_hand_computed_from_the_appendix_form():
    # FHL 2005 appendix: alpha^r beta^s delta^(s-1) G(r+x+1) U(s, s; delta(beta+T))
    # / (G(r) (alpha+T)^(r+x+1) L), with L from the model's likelihood.
    from scipy.special import gammaln

    model = ParetoNBDModel.from_params(**BTYD)
    r, alpha, s, beta = (BTYD[k] for k in ("r", "alpha", "s", "beta"))
    x, t_x, T, d = 7.0, 35.0, 77.86, 0.0027
    log_lik = model.log_likelihood([x], [t_x], [T])[0]
    log_value = (
        r * np.log(alpha)
        + s * np.log(beta)
        + (s - 1) * np.log(d)
        + gammaln(r + x + 1)
        + np.log(hyperu(s, s, d * (beta + T)))
        - gammaln(r)
        - (r + x + 1) * np.log(alpha + T)
        - log_lik
    )
    assert dert(model, d, [x], [t_x], [T], continuous=True)[0] == pytest.approx(np.exp(log_value), rel=1e-10)


def test_pnbd_posterior_simulation():
    rng = np.random.default_rng(1)
    model = ParetoNBDModel.from_params(**PNBD)
    x, t_x, T = 3.0, 30.0, 39.0
    lam = rng.gamma(PNBD["r"] + x, 1 / (PNBD["alpha"] + T), 400_000)
    mu = rng.gamma(PNBD["s"], 1 / (PNBD["beta"] + T), 400_000)
    draws = lam / (mu + DELTA) * model.p_alive([x], [t_x], [T])[0]
    got = dert(model, DELTA, [x], [t_x], [T], continuous=True)[0]
    assert np.mean(draws) == pytest.approx(got, abs=4 * np.std(draws) / np.sqrt(draws.size))


@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel])
@pytest.mark.parametrize("delta", [DELTA, 1e-4, 0.05, 1.0])
def test_bg_quadrature_matches_generic_quadrature(cls, delta):
    model = cls.from_params(**BG)
    fast = dert(model, delta, *HISTORIES, continuous=True)
    generic = dert_numeric(model, delta, *HISTORIES, continuous=True)
    assert fast == pytest.approx(generic, rel=1e-8)


@pytest.mark.parametrize("x, t_x, T", [(0, 0.0, 30.0), (2, 30.43, 38.86), (12, 35.0, 39.0)])
def test_bgnbd_against_the_rate_over_dropout_integral(x, t_x, T):
    # Given (lambda, p) and alive, DERT = lambda / (delta + p lambda) (a geometric number of
    # Poisson purchases); over lambda ~ Gamma(k, A) it is (1/p)(1 - c^k U(k, k; c)), c =
    # delta A / p; the mean over p ~ Beta(a, b + x) by adaptive quadrature.
    from scipy.stats import beta as beta_dist

    r, alpha, a, b = (BG[k] for k in ("r", "alpha", "a", "b"))
    model = BetaGeoModel.from_params(**BG)
    k, A = r + x, alpha + T

    def given_p(p):
        c = DELTA * A / p
        return (1.0 - np.exp(k * np.log(c)) * hyperu(k, k, c)) / p

    posterior = beta_dist(a, b + x)
    value = integrate.quad(lambda p: given_p(p) * posterior.pdf(p), 0, 1, limit=200, epsrel=1e-10)[0]
    expected = value * model.p_alive([x], [t_x], [T])[0]
    assert dert(model, DELTA, [x], [t_x], [T], continuous=True)[0] == pytest.approx(expected, rel=1e-6)


def test_bgbb_closed_form_matches_the_discounted_sum():
    model = BetaGeoBetaBinomModel.from_params(**BGBB)
    x, t_x, n = np.array([0, 1, 3, 6, 6]), np.array([0, 1, 5, 6, 6]), np.array([6, 6, 6, 6, 10])
    d = 0.1
    steps = np.arange(0, 801)
    cumulative = np.array([model.expected_purchases(k, x, t_x, n) for k in steps])
    direct = (np.diff(cumulative, axis=0) * (1 + d) ** -steps[1:, None]).sum(axis=0)
    assert dert(model, d, x, t_x, n) == pytest.approx(direct, rel=1e-9)
    # the window over whole opportunities uses the same convention
    _, window = window_purchases(model, 0, 800, d, x, t_x, n)
    assert window == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize(
    "model",
    [BetaGeoModel.from_params(**BG), ParetoNBDModel.from_params(**PNBD), ModifiedBetaGeoModel.from_params(**BG)],
)
def test_window_is_consistent(model):
    x, t_x, T = HISTORIES
    undiscounted, discounted = window_purchases(model, 52.0, 156.0, 0.0027, x, t_x, T, continuous=True)
    expected = model.expected_purchases(156.0, x, t_x, T) - model.expected_purchases(52.0, x, t_x, T)
    assert undiscounted == pytest.approx(expected, rel=1e-12)
    assert np.all(discounted < undiscounted) and np.all(discounted > undiscounted * math.exp(-0.0027 * 156))
    # the whole future is the DERT (after 10,000 weeks the discount is exp(-27))
    _, everything = window_purchases(model, 0.0, 1e4, 0.0027, x, t_x, T, continuous=True)
    assert everything == pytest.approx(dert(model, 0.0027, x, t_x, T, continuous=True), rel=1e-8)
    # years 1-3 against the integral of the derivative, one customer, adaptive quadrature
    i = 3

    def rate_at(t):
        h = 1e-5
        ahead = model.expected_purchases(t + h, x[i : i + 1], t_x[i : i + 1], T[i : i + 1])[0]
        back = model.expected_purchases(t - h, x[i : i + 1], t_x[i : i + 1], T[i : i + 1])[0]
        return math.exp(-0.0027 * t) * (ahead - back) / (2 * h)

    assert discounted[i] == pytest.approx(integrate.quad(rate_at, 52, 156, epsrel=1e-10)[0], rel=1e-6)


def test_window_from_now_matches_the_finite_horizon_clv():
    # [0, H] with per-period rate: the CLV's 13 midpoint steps against the exact integral
    model = BetaGeoModel.from_params(**BG)
    x, t_x, T = HISTORIES
    rate = 1.15 ** (7 / 365.25) - 1
    undiscounted, discounted = window_purchases(model, 0.0, 52.0, rate, x, t_x, T)
    clv_expected, clv_discounted = discounted_purchases(model, 52.0, rate, x, t_x, T)
    assert undiscounted == pytest.approx(clv_expected, rel=1e-12)
    assert discounted == pytest.approx(clv_discounted, rel=1e-4)


def test_rate_conversion_and_errors():
    model = ParetoNBDModel.from_params(**PNBD)
    x, t_x, T = HISTORIES
    per_period = math.expm1(DELTA)
    assert dert(model, per_period, x, t_x, T) == pytest.approx(dert(model, DELTA, x, t_x, T, continuous=True))
    with pytest.raises(UsageError, match="positive discount"):
        dert(model, 0.0, x, t_x, T)
    with pytest.raises(UsageError, match="start < end"):
        window_purchases(model, 3.0, 1.0, 0.01, x, t_x, T)


def test_cdnow_dert_is_a_present_value(shared_dataset):
    # On CDNOW's own histories (FHL 2005's data): DERT lies between the discounted 10-year
    # forecast and the undiscounted lifetime.
    from crmkit.io import read_purchases
    from crmkit.summary import repeat_summary

    data = read_purchases(str(shared_dataset("cdnow_sample.csv")))
    summary = repeat_summary(data, date(1997, 9, 30), unit="week")
    x, t_x, T = (summary[c].to_numpy(float) for c in ("x", "t_x", "T"))
    model = ParetoNBDModel.from_params(**PNBD)
    value = dert(model, DELTA, x, t_x, T, continuous=True)
    _, ten_years = window_purchases(model, 0.0, 520.0, DELTA, x, t_x, T, continuous=True)
    assert np.all(value >= ten_years) and np.all(value > 0)
    assert np.all(np.isfinite(value))


def test_parse_window():
    assert parse_window("1y-3y") == (365.25, 1095.75)
    assert parse_window(" 0 - 6m ") == (0.0, 365.25 / 2)
    for bad in ("3y", "3y-1y", "1y-", "x-2y", "1y-2y-3y"):
        with pytest.raises(UsageError):
            parse_window(bad)


def _summary(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    return simulate_bgnbd(n, rng.uniform(1, 78, n), rng=rng, **BG)


def test_forecast_columns_names_and_values():
    x, t_x, T = _summary()
    model = BetaGeoModel.from_params(**BG)
    spend, margin = np.full(x.size, 40.0), np.full(x.size, 0.25)
    rate = 1.15 ** (7 / 365.25) - 1
    columns = forecast_columns(
        model, (x, t_x, T), unit="week", as_of=date(2024, 1, 1), rate_per_period=rate, spend=spend, margin=margin
    )
    assert list(columns) == ["next_purchase_median", "next_purchase_date", "dert", "dert_value"]
    assert columns["next_purchase_date"].dtype == np.dtype("datetime64[D]")
    first = columns["next_purchase_median"][0]
    if first * 7 < 2_000_000:
        assert columns["next_purchase_date"][0] == np.datetime64("2024-01-01") + np.timedelta64(round(first * 7), "D")
    assert columns["dert_value"] == pytest.approx(10.0 * columns["dert"])
    assert dert_value_for(model, (x, t_x, T), rate, spend, margin) == pytest.approx(columns["dert_value"])
    full = forecast_columns(
        model,
        (x, t_x, T),
        unit="week",
        as_of=date(2024, 1, 1),
        rate_per_period=rate,
        spend=spend,
        margin=margin,
        window="1y-3y",
        interval=0.9,
    )
    assert list(full) == [
        "next_purchase_median",
        "next_purchase_date",
        "next_purchase_low",
        "next_purchase_high",
        "dert",
        "dert_value",
        "window_purchases",
        "window_value",
    ]
    assert np.all(full["next_purchase_low"] <= full["next_purchase_median"])
    assert np.all(full["next_purchase_median"] <= full["next_purchase_high"])
    assert np.all(full["window_value"] <= 10.0 * full["window_purchases"])
    # heavy tails: quantiles past year 9999 have no date
    assert (
        np.isnat(
            forecast_columns(
                model,
                ([0], [0.0], [1.0]),
                unit="year",
                as_of=date(2024, 1, 1),
                rate_per_period=0.1,
                spend=[1.0],
                margin=[1.0],
                interval=0.99,
            )["next_purchase_date"]
        ).sum()
        <= 1
    )


def test_forecast_columns_zero_rate_and_bgbb():
    model = BetaGeoBetaBinomModel.from_params(**BGBB)
    x, t_x, n = np.array([0, 3, 6]), np.array([0, 5, 6]), np.array([6, 6, 6])
    columns = forecast_columns(
        model,
        (x, t_x, n),
        unit="year",
        as_of=date(2024, 1, 1),
        rate_per_period=0.0,
        spend=np.ones(3),
        margin=np.ones(3),
        window="0-3y",
    )
    assert np.isnan(columns["dert"]).all()
    assert columns["window_purchases"] == pytest.approx(model.expected_purchases(3, x, t_x, n))
    assert columns["window_value"] == pytest.approx(columns["window_purchases"])
    assert set(columns["next_purchase_median"]) <= {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0}


def test_forecast_columns_speed_160k():
    import time

    x, t_x, T = _summary(160_000, seed=2)
    T, t_x = np.round(T * 7) / 7, np.round(t_x * 7) / 7
    model = BetaGeoModel.from_params(**BG)
    forecast_columns(
        model,
        (x[:100], t_x[:100], T[:100]),
        unit="week",
        as_of=date(2024, 1, 1),
        rate_per_period=0.0027,
        spend=np.ones(100),
        margin=np.ones(100),
    )
    start = time.perf_counter()
    forecast_columns(
        model,
        (x, t_x, T),
        unit="week",
        as_of=date(2024, 1, 1),
        rate_per_period=0.0027,
        spend=np.ones(x.size),
        margin=np.ones(x.size),
        interval=0.9,
    )
    assert time.perf_counter() - start < 2.0  # ~0.15 s alone; slack for a shared machine


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    x=st.integers(0, 200),
    frac=st.floats(0.0, 1.0),
    T=st.floats(1.0, 400.0),
    rate=st.floats(1e-4, 0.2),
)
def test_dert_positive_and_decreasing_in_the_rate(x, frac, T, rate):
    t_x = frac * T if x > 0 else 0.0
    for model in (BetaGeoModel.from_params(**BG), ParetoNBDModel.from_params(**PNBD)):
        low, high = (dert(model, d, [x], [t_x], [T])[0] for d in (rate, rate * 1.5))
        assert np.isfinite(low) and 0 <= high <= low
        # (a heavy buyer silent for long has P(alive) = 0 in floating point, and DERT 0)
        if model.p_alive([x], [t_x], [T])[0] > 1e-200:
            assert 0 < high < low
