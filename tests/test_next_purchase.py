"""Time to the next purchase (crmkit.models.next_purchase): hand-computed cases, simulation
oracles (the generative process conditioned on an observable history) and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import betaln

from crmkit.errors import UsageError
from crmkit.models import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)
from crmkit.models.next_purchase import next_purchase_time, p_purchase_within

# CDNOW fits: BG/NBD (Fader, Hardie & Lee 2005, Marketing Science 24(2)), Pareto/NBD (Fader,
# Hardie & Lee 2005, JMR 42(4)); BG/BB donors (Fader, Hardie & Shang 2010, table 2).
BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PNBD = {"r": 0.5533, "alpha": 10.5776, "s": 0.6061, "beta": 11.6650}
BGBB = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def test_hand_computed_lomax_quantiles():
    # r + x = 2, alpha + T = 10: w_q = 10 ((1 - q)^(-1/2) - 1)
    model = BetaGeoModel.from_params(r=1.0, alpha=4.0, a=1.0, b=1.0)
    q = np.array([0.0, 0.25, 0.5, 0.75])
    got = next_purchase_time(model, [1], [3.0], [6.0], q=q)[:, 0]
    assert got == pytest.approx(10 * ((1 - q) ** -0.5 - 1), rel=1e-12)
    assert next_purchase_time(model, [1], [3.0], [6.0], q=[1.0])[0, 0] == np.inf


def test_hand_computed_within():
    # x = 0: alive for sure (BG/NBD), P = 1 - (4 / 8)^1
    model = BetaGeoModel.from_params(r=1.0, alpha=2.0, a=1.0, b=1.0)
    assert p_purchase_within(model, 4.0, [0], [0.0], [2.0])[0] == pytest.approx(0.5, rel=1e-12)
    # x > 0: times P(alive) = 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) = 1 / (1 + 1 * 2^2)
    got = p_purchase_within(model, 4.0, [1], [0.0], [2.0])[0]
    assert got == pytest.approx((1 - (4 / 8) ** 2) / 5, rel=1e-12)


def test_hand_computed_bgbb():
    model = BetaGeoBetaBinomModel.from_params(alpha=1.0, beta=1.0, gamma=1.0, delta=1.0)
    # x = n = 1: p ~ Beta(2, 1); P(K > k) = B(2, 1 + k) / B(2, 1) = 2 / ((k + 1)(k + 2))
    survival = 2 / (np.arange(1, 6) + 1) / (np.arange(1, 6) + 2)
    assert np.exp(betaln(2, 1 + np.arange(1, 6)) - betaln(2, 1)) == pytest.approx(survival)
    # median: smallest k with S(k) <= 0.5: S(1) = 1/3
    assert next_purchase_time(model, [1], [1], [1], q=[0.5, 0.9])[:, 0].tolist() == [1.0, 4.0]
    # one opportunity ahead: P(alive at n+1) E[p]
    alive = model.p_alive([1], [1], [1])[0]
    assert p_purchase_within(model, 1, [1], [1], [1])[0] == pytest.approx(alive * 2 / 3, rel=1e-12)


def test_bg_and_mbg_share_the_lomax():
    x, t_x, T = [0, 3, 10], [0.0, 20.0, 30.0], [40.0, 40.0, 40.0]
    bg = next_purchase_time(BetaGeoModel.from_params(**BG), x, t_x, T, q=(0.1, 0.5, 0.9))
    mbg = next_purchase_time(ModifiedBetaGeoModel.from_params(**BG), x, t_x, T, q=(0.1, 0.5, 0.9))
    assert bg == pytest.approx(mbg)
    assert bg.shape == (3, 3)


def test_bgnbd_simulation_oracle_zero_repeaters():
    # The generative process conditioned on x = 0 by T = 30 (an observable event): the next
    # purchase after T against the closed-form quantiles and P(purchase within 10).
    rng = np.random.default_rng(7)
    r, alpha = BG["r"], BG["alpha"]
    lam = rng.gamma(r, 1 / alpha, 400_000)
    kept = lam[rng.poisson(lam * 30.0) == 0]
    wait = rng.exponential(1 / kept)
    model = BetaGeoModel.from_params(**BG)
    q = np.array([0.1, 0.25, 0.5])
    closed = next_purchase_time(model, [0], [0.0], [30.0], q=q)[:, 0]
    assert np.mean(wait[:, None] <= closed[None, :], axis=0) == pytest.approx(q, abs=0.005)
    within = p_purchase_within(model, 10.0, [0], [0.0], [30.0])[0]
    assert np.mean(wait <= 10.0) == pytest.approx(within, abs=0.005)


def test_pnbd_simulation_oracle_zero_repeaters():
    # Pareto/NBD with x = 0 by T = 20 from the generative process: lifetime competes with the
    # next purchase (p_purchase_within), and the Lomax is the purchase clock of those still
    # customers at T + w.
    rng = np.random.default_rng(11)
    n = 400_000
    lam = rng.gamma(PNBD["r"], 1 / PNBD["alpha"], n)
    mu = rng.gamma(PNBD["s"], 1 / PNBD["beta"], n)
    life = rng.exponential(1 / mu)
    T = 20.0
    keep = rng.poisson(lam * np.minimum(life, T)) == 0
    lam, life = lam[keep], life[keep]
    wait = rng.exponential(1 / lam)
    model = ParetoNBDModel.from_params(**PNBD)
    for t in (5.0, 26.0, 104.0):
        within = p_purchase_within(model, t, [0], [0.0], [T])[0]
        simulated = np.mean((life > T) & (wait <= np.minimum(life - T, t)))
        assert simulated == pytest.approx(within, abs=0.004)
    w = next_purchase_time(model, [0], [0.0], [T], q=[0.3])[0, 0]
    still = life > T + w
    assert np.mean(wait[still] <= w) == pytest.approx(0.3, abs=0.01)


def test_pnbd_posterior_simulation_with_repeat_purchases():
    # For x > 0 the posterior given alive: lambda ~ Gamma(r+x, alpha+T), mu ~ Gamma(s, beta+T).
    rng = np.random.default_rng(3)
    model = ParetoNBDModel.from_params(**PNBD)
    x, t_x, T = 4.0, 25.0, 39.0
    n = 400_000
    lam = rng.gamma(PNBD["r"] + x, 1 / (PNBD["alpha"] + T), n)
    mu = rng.gamma(PNBD["s"], 1 / (PNBD["beta"] + T), n)
    wait, life = rng.exponential(1 / lam), rng.exponential(1 / mu)
    alive = model.p_alive([x], [t_x], [T])[0]
    got = p_purchase_within(model, 13.0, [x], [t_x], [T])[0]
    assert alive * np.mean(wait <= np.minimum(life, 13.0)) == pytest.approx(got, abs=0.003)
    median = next_purchase_time(model, [x], [t_x], [T])[0, 0]
    assert np.median(wait) == pytest.approx(median, rel=0.01)


def test_bgbb_simulation_oracle_exact_history():
    # Discrete time: condition the generative process on the pattern (x, t_x, n) = (2, 3, 4)
    # and follow the customers over the next opportunities.
    rng = np.random.default_rng(5)
    n_cust, n_obs, ahead = 300_000, 4, 6
    p = rng.beta(BGBB["alpha"], BGBB["beta"], n_cust)
    theta = rng.beta(BGBB["gamma"], BGBB["delta"], n_cust)
    survived = rng.geometric(theta) - 1
    opportunities = np.arange(1, n_obs + ahead + 1)
    buys = (opportunities[None, :] <= survived[:, None]) & (rng.random((n_cust, opportunities.size)) < p[:, None])
    seen = buys[:, :n_obs]
    x = seen.sum(axis=1)
    t_x = np.where(x > 0, n_obs - np.argmax(seen[:, ::-1], axis=1), 0)
    pick = (x == 2) & (t_x == 3)
    future = buys[pick, n_obs:]
    model = BetaGeoBetaBinomModel.from_params(**BGBB)
    for k in (1, 3, 6):
        got = p_purchase_within(model, k, [2], [3], [n_obs])[0]
        assert future[:, :k].any(axis=1).mean() == pytest.approx(got, abs=0.01)
    # next transaction given still a customer at n + k: the beta-geometric quantile
    alive_ahead = survived[pick] >= n_obs + 3
    first = np.where(future.any(axis=1), np.argmax(future, axis=1) + 1, 99)[alive_ahead]
    k_median = next_purchase_time(model, [2], [3], [n_obs], q=[0.5])[0, 0]
    survival = np.exp(betaln(BGBB["alpha"] + 2, BGBB["beta"] + 2 + 3) - betaln(BGBB["alpha"] + 2, BGBB["beta"] + 2))
    assert np.mean(first > 3) == pytest.approx(survival, abs=0.01)
    assert k_median == 1.0  # P(K = 1) = E[p] = 3.204 / 4.954 > 0.5


def test_errors():
    model = BetaGeoModel.from_params(**BG)
    with pytest.raises(UsageError, match="between 0 and 1"):
        next_purchase_time(model, [1], [1.0], [2.0], q=[1.5])
    with pytest.raises(UsageError, match="horizon"):
        p_purchase_within(model, -1.0, [1], [1.0], [2.0])
    with pytest.raises(UsageError, match="no next-purchase"):
        next_purchase_time(object(), [1], [1.0], [2.0])


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    x=st.integers(0, 300),
    frac=st.floats(0.0, 1.0),
    T=st.floats(0.5, 500.0),
    q=st.lists(st.floats(0.01, 0.99), min_size=2, max_size=5),
)
def test_quantiles_monotone_and_positive(x, frac, T, q):
    t_x = frac * T if x > 0 else 0.0
    q = np.sort(q)
    for model in (BetaGeoModel.from_params(**BG), ParetoNBDModel.from_params(**PNBD)):
        got = next_purchase_time(model, [x], [t_x], [T], q=q)[:, 0]
        assert np.all(np.isfinite(got)) and np.all(got > 0)
        assert np.all(np.diff(got) >= 0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=st.integers(0, 50), t_x=st.integers(0, 20), extra=st.integers(0, 10), t=st.integers(1, 30))
def test_within_is_a_probability_and_grows(x, t_x, extra, t):
    x = min(x, t_x)
    if x == 0:
        t_x = 0
    n = t_x + extra
    if n == 0:
        n = 1
    model = BetaGeoBetaBinomModel.from_params(**BGBB)
    short, long = (p_purchase_within(model, h, [x], [t_x], [n])[0] for h in (t, t + 5))
    assert 0 <= short <= long <= 1
    k = next_purchase_time(model, [x], [t_x], [n], q=[0.2, 0.8])[:, 0]
    assert np.all(k >= 1) and np.all(k == np.round(k)) and k[0] <= k[1]
    for cont in (BetaGeoModel.from_params(**BG), ParetoNBDModel.from_params(**PNBD)):
        a, b = (p_purchase_within(cont, h, [x], [float(t_x)], [float(n)])[0] for h in (t, t + 5))
        assert 0 <= a <= b <= cont.p_alive([x], [float(t_x)], [float(n)])[0] + 1e-12
