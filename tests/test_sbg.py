"""Tests of the shifted-beta-geometric model (Fader & Hardie 2007, 2010)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import FitError, UsageError
from crmkit.models.sbg import ShiftedBetaGeometricModel, counts_to_customers

# Fader & Hardie (2007), Table 1: active customers at the start of years 0-7, per 1,000.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.parametrize(
    ("counts", "alpha", "beta", "ll"),
    [(REGULAR, 0.704, 1.182, -1680.27), (HIGH_END, 0.668, 3.806, -1611.16)],
)
def test_published_fit(counts, alpha, beta, ll):
    model = ShiftedBetaGeometricModel().fit_counts(counts)
    assert model.params_["alpha"] == pytest.approx(alpha, abs=5e-4)
    assert model.params_["beta"] == pytest.approx(beta, abs=5e-4)
    assert model.log_likelihood_ == pytest.approx(ll, abs=5e-3)
    assert model.cov_.shape == (2, 2)
    assert math.sqrt(model.cov_[0, 0]) == pytest.approx(model.se_["alpha"])


def test_oracle_file(shared_dataset):
    import pandas as pd

    data = pd.read_csv(shared_dataset("sbg_retention.csv"))
    fits = {c: ShiftedBetaGeometricModel().fit_counts(data[c]) for c in ("regular", "high_end")}
    assert fits["regular"].log_likelihood_ == pytest.approx(-1680.27, abs=5e-3)
    assert fits["high_end"].params_["beta"] == pytest.approx(3.806, abs=5e-4)


def test_per_customer_equals_counts():
    r, c, w = counts_to_customers(REGULAR)
    rows_r = np.repeat(r, w.astype(int))
    rows_c = np.repeat(c, w.astype(int))
    a = ShiftedBetaGeometricModel().fit(rows_r, rows_c)
    b = ShiftedBetaGeometricModel().fit_counts(REGULAR)
    assert a.params_["alpha"] == pytest.approx(b.params_["alpha"], rel=1e-6)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-9)


def test_hand_computed_quantities():
    m = ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0)
    # alpha = beta = 1: theta uniform, S(t) = 1/(t+1), P(T=t) = 1/(t(t+1)), r(t) = t/(t+1)
    assert m.survival([0, 1, 3]) == pytest.approx([1, 0.5, 0.25])
    assert m.churn_probability([1, 2]) == pytest.approx([0.5, 1 / 6])
    assert m.retention_rate([1, 4]) == pytest.approx([0.5, 0.8])
    assert m.expected_lifetime() == math.inf
    m2 = ShiftedBetaGeometricModel.from_params(alpha=3.0, beta=2.0)
    assert m2.expected_lifetime() == pytest.approx(2.0)  # (3 + 2 - 1) / (3 - 1)
    assert np.sum(m2.survival(np.arange(20000))) == pytest.approx(2.0, rel=1e-3)


@pytest.mark.parametrize(("alpha", "beta"), [(0.704, 1.182), (0.668, 3.806), (3.0, 0.5)])
@pytest.mark.parametrize("d", [0.1, 0.25])
def test_del_derl_match_direct_sums(alpha, beta, d):
    m = ShiftedBetaGeometricModel.from_params(alpha=alpha, beta=beta)
    t = np.arange(3000)
    disc = (1 + d) ** -t
    s = m.survival(t)
    assert m.discounted_expected_lifetime(d) == pytest.approx(np.sum(s * disc), rel=1e-8)
    for k in (0, 1, 4):
        # k renewals so far: she pays for period k+1 at her next decision if S(k+1)/S(k), etc.
        direct = np.sum(s[k + 1 :][:2000] / s[k] * disc[:2000])
        assert m.derl(d, k)[0] == pytest.approx(direct, rel=1e-8)


def test_retention_is_survival_ratio():
    m = ShiftedBetaGeometricModel().fit_counts(HIGH_END)
    t = np.arange(1, 13)
    assert m.retention_rate(t) == pytest.approx(m.survival(t) / m.survival(t - 1))
    # projections beyond the data (FH 2007 Figure 3 extends to year 12): survival keeps falling
    assert np.all(np.diff(m.survival(np.arange(13))) < 0)


def test_unidentified_and_bad_input():
    with pytest.raises(FitError):
        ShiftedBetaGeometricModel().fit([0, 0, 0], [True, False, True])
    with pytest.raises(FitError):
        ShiftedBetaGeometricModel().fit([1, 2, 3], [False, False, False])
    with pytest.raises(UsageError):
        ShiftedBetaGeometricModel().fit_counts([100, 120])
    with pytest.raises(UsageError):
        ShiftedBetaGeometricModel().fit([1.5], [True])
    with pytest.raises(UsageError):
        ShiftedBetaGeometricModel().fit([1, 2], [True, 2])
    with pytest.raises(UsageError):
        ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0).derl(0.0, [1])


def test_recovers_simulated_parameters():
    rng = np.random.default_rng(7)
    theta = rng.beta(0.8, 2.5, 20000)
    t = rng.geometric(theta)  # T = 1, 2, ...
    horizon = 8
    renewals = np.minimum(t - 1, horizon)
    churned = t - 1 < horizon
    m = ShiftedBetaGeometricModel().fit(renewals, churned)
    assert m.params_["alpha"] == pytest.approx(0.8, abs=3 * m.se_["alpha"])
    assert m.params_["beta"] == pytest.approx(2.5, abs=3 * m.se_["beta"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 200), min_size=3, max_size=9))
def test_fit_on_any_cohort_never_crashes(drops):
    counts = [sum(drops) + 50]
    for d in drops:
        counts.append(counts[-1] - d)
    try:
        m = ShiftedBetaGeometricModel().fit_counts(counts)
    except FitError:
        return
    assert np.all(np.isfinite(list(m.params_.values())))
    s = m.survival(np.arange(10))
    assert np.all((s > 0) & (s <= 1))


def test_survival_interval_coverage():
    """90% parametric intervals of S(t) (contract._survival_band) cover the truth ~90% of the time
    (800 datasets gave 88-90% over t = 1..12; here 250 for speed)."""
    from crmkit.contract import _survival_band

    rng = np.random.default_rng(1)
    alpha, beta = 0.704, 1.182
    t = np.array([1.0, 4.0, 10.0])
    truth = ShiftedBetaGeometricModel.from_params(alpha=alpha, beta=beta).survival(t)
    hits = np.zeros(t.size)
    n = 250
    for _ in range(n):
        lifetime = rng.geometric(rng.beta(alpha, beta, 1000))
        model = ShiftedBetaGeometricModel().fit(np.minimum(lifetime - 1, 7), lifetime - 1 < 7)
        low, high = _survival_band(model, t, 0.9, 300, rng)
        hits += (low <= truth) & (truth <= high)
    assert np.all((hits / n > 0.83) & (hits / n < 0.96))
