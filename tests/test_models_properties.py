"""Invariants of the CLV models over random parameters and customers (hypothesis).

P(alive) stays in [0, 1] and falls as time since the last purchase grows; expected purchases
are >= 0 and grow with the horizon; log-likelihoods stay finite for extreme customers
(x up to 500, T up to 1000), the region where linear-space formulas overflow.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.models import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)

FAST = settings(deadline=None, max_examples=40)

shape = st.floats(0.05, 8.0)
scale = st.floats(0.1, 200.0)


@st.composite
def transaction_model(draw):
    kind = draw(st.sampled_from(["bgnbd", "mbgnbd", "pnbd"]))
    if kind == "pnbd":
        return ParetoNBDModel.from_params(r=draw(shape), alpha=draw(scale), s=draw(shape), beta=draw(scale))
    cls = BetaGeoModel if kind == "bgnbd" else ModifiedBetaGeoModel
    return cls.from_params(r=draw(shape), alpha=draw(scale), a=draw(st.floats(0.1, 8.0)), b=draw(st.floats(0.1, 20.0)))


@st.composite
def customer(draw, max_x=60, max_T=200.0):
    T = draw(st.floats(0.5, max_T))
    x = draw(st.integers(0, max_x))
    t_x = 0.0 if x == 0 else draw(st.floats(0.0, 1.0)) * T
    return float(x), t_x, T


@FAST
@given(transaction_model(), customer(), st.lists(st.floats(0.0, 500.0), min_size=2, max_size=6))
def test_p_alive_in_unit_interval_and_falls_with_time_since_last_purchase(model, row, later):
    x, t_x, T = row
    ages = T + np.sort(np.asarray(later))  # same x and t_x, observed longer
    n = ages.size
    alive = model.p_alive(np.full(n, x), np.full(n, t_x), ages)
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.diff(alive) <= 1e-12)


@FAST
@given(transaction_model(), customer(), st.lists(st.floats(0.0, 300.0), min_size=2, max_size=6))
def test_expected_purchases_non_negative_and_non_decreasing_in_horizon(model, row, horizons):
    x, t_x, T = row
    t = np.sort(np.asarray(horizons))
    n = t.size
    expected = np.array([model.expected_purchases(h, [x], [t_x], [T])[0] for h in t])
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
    assert np.all(np.diff(expected) >= -1e-9 * (1.0 + expected[1:]))
    # A scalar horizon applies to every customer.
    assert model.expected_purchases(float(t[-1]), np.full(n, x), np.full(n, t_x), np.full(n, T)) == pytest.approx(
        np.full(n, expected[-1]), rel=1e-12
    )


@FAST
@given(transaction_model(), st.integers(0, 500), st.floats(0.0, 1.0), st.floats(1.0, 1000.0))
def test_log_likelihood_finite_for_extreme_customers(model, x, share, T):
    t_x = 0.0 if x == 0 else share * T
    ll = model.log_likelihood([float(x)], [t_x], [T])
    assert np.isfinite(ll[0])
    assert np.isfinite(model.p_alive([float(x)], [t_x], [T])[0])
    assert np.isfinite(model.expected_purchases(52.0, [float(x)], [t_x], [T])[0])


def test_heavy_buyer_pareto_nbd_stays_finite():
    # x = 200 purchases in T = 100 weeks: (alpha + t)^(r+s+x) overflows in linear space.
    model = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    for alpha, beta in ((10.578, 11.669), (40.0, 2.0), (2.0, 40.0)):
        model.params_.update(alpha=alpha, beta=beta)
        ll = model.log_likelihood([200.0, 500.0], [99.0, 999.0], [100.0, 1000.0])
        assert np.all(np.isfinite(ll))
        alive = model.p_alive([200.0], [99.0], [100.0])[0]
        assert 0.9 < alive <= 1.0  # bought a week ago, 2 purchases a week
        assert np.isfinite(model.expected_purchases(52.0, [200.0], [99.0], [100.0])[0])


@FAST
@given(
    st.floats(0.1, 10.0),
    st.floats(0.1, 10.0),
    st.floats(0.1, 10.0),
    st.floats(0.1, 10.0),
    st.integers(1, 40),
    st.data(),
)
def test_bgbb_p_alive_in_unit_interval_and_expectations_grow(alpha, beta, gamma, delta, n, data):
    model = BetaGeoBetaBinomModel.from_params(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    x = data.draw(st.integers(0, n))
    t_x = 0 if x == 0 else data.draw(st.integers(x, n))
    alive = model.p_alive([x], [t_x], [n])[0]
    assert 0 <= alive <= 1
    assert np.isfinite(model.log_likelihood([x], [t_x], [n])[0])
    future = model.expected_purchases(np.array([1.0, 5.0, 20.0]), [x] * 3, [t_x] * 3, [n] * 3)
    assert np.all(future >= 0) and np.all(np.diff(future) >= -1e-12)
