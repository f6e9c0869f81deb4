"""Treatment-effect estimators: published oracles, scipy, hand formulas and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from crmkit.errors import UsageError
from crmkit.models.effects import (
    Effect,
    cuped_difference,
    mean_difference,
    minimum_detectable_effect,
    nearest_matches,
    paired_difference,
    proportion_difference,
    sample_size,
    standardized_differences,
)


def _binary(k: int, n: int) -> list[int]:
    return [1] * k + [0] * (n - k)


# ------------------------------------------------------------------ Newcombe (1998), Table II

# (k1, n1, k2, n2, method-10 lower, upper) as published in Newcombe (1998), Statistics in
# Medicine 17:873-890, Table II, "10. Score, no CC" (the hybrid score interval).
NEWCOMBE_TABLE_II = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


@pytest.mark.parametrize(("k1", "n1", "k2", "n2", "low", "high"), NEWCOMBE_TABLE_II)
def test_newcombe_table_ii(k1, n1, k2, n2, low, high):
    effect = proportion_difference(_binary(k1, n1), _binary(k2, n2))
    assert effect.method == "newcombe"
    assert effect.estimate == pytest.approx(k1 / n1 - k2 / n2)
    assert effect.ci_low == pytest.approx(low, abs=6e-5)
    assert effect.ci_high == pytest.approx(high, abs=6e-5)
    assert (effect.n_treated, effect.n_control) == (n1, n2)
    assert effect.treated == pytest.approx(k1 / n1)


def test_newcombe_first_example_by_hand():
    # Wilson limits of 56/70 and 48/80 from the closed form, then method 10 by hand
    z = stats.norm.ppf(0.975)

    def wilson(k, n):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return centre - half, centre + half

    (l1, u1), (l2, u2) = wilson(56, 70), wilson(48, 80)
    low = 0.2 - math.sqrt((0.8 - l1) ** 2 + (u2 - 0.6) ** 2)
    high = 0.2 + math.sqrt((u1 - 0.8) ** 2 + (0.6 - l2) ** 2)
    effect = proportion_difference(_binary(56, 70), _binary(48, 80))
    assert effect.ci_low == pytest.approx(low, abs=1e-12)
    assert effect.ci_high == pytest.approx(high, abs=1e-12)


def test_proportion_p_value_z_and_fisher():
    # large counts: the pooled z test
    effect = proportion_difference(_binary(56, 70), _binary(48, 80))
    pooled = 104 / 150
    z = 0.2 / math.sqrt(pooled * (1 - pooled) * (1 / 70 + 1 / 80))
    assert effect.p_value == pytest.approx(2 * stats.norm.sf(z), rel=1e-12)
    # an expected cell below 5: Fisher's exact test
    small = proportion_difference(_binary(9, 10), _binary(3, 10))
    assert small.p_value == pytest.approx(stats.fisher_exact([[9, 1], [3, 7]]).pvalue, rel=1e-12)
    assert proportion_difference(_binary(0, 10), _binary(0, 20)).p_value == 1.0


def test_proportion_bool_input_and_alpha():
    wide = proportion_difference(np.array([True] * 56 + [False] * 14), np.array(_binary(48, 80)), alpha=0.01)
    narrow = proportion_difference(_binary(56, 70), _binary(48, 80))
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high


def test_proportion_rejects_non_binary():
    with pytest.raises(UsageError, match="0/1"):
        proportion_difference([0, 2], [1, 0])
    with pytest.raises(UsageError, match="finite"):
        proportion_difference([0, float("nan")], [1, 0])


def test_proportion_empty_arm_is_nan():
    effect = proportion_difference([], [1, 0])
    assert math.isnan(effect.estimate) and math.isnan(effect.ci_low) and math.isnan(effect.p_value)
    assert effect.control == 0.5 and effect.n_treated == 0


# ------------------------------------------------------------------ Welch and bootstrap


def test_welch_matches_scipy_and_hand_formula():
    t = np.array([12.0, 0.0, 0.0, 35.5, 8.0, 0.0, 19.0])
    c = np.array([0.0, 4.0, 0.0, 0.0, 11.0, 2.5])
    effect = mean_difference(t, c)
    ref = stats.ttest_ind(t, c, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert effect.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert (effect.ci_low, effect.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-12)
    # by hand: Welch-Satterthwaite
    a, b = t.var(ddof=1) / t.size, c.var(ddof=1) / c.size
    se = math.sqrt(a + b)
    df = (a + b) ** 2 / (a * a / (t.size - 1) + b * b / (c.size - 1))
    d = t.mean() - c.mean()
    q = stats.t.ppf(0.975, df)
    assert effect.se == pytest.approx(se, rel=1e-12)
    assert effect.estimate == pytest.approx(d, rel=1e-12)
    assert (effect.ci_low, effect.ci_high) == pytest.approx((d - q * se, d + q * se), rel=1e-10)
    assert effect.method == "welch" and effect.variance_reduction is None


def test_bootstrap_is_seeded_and_close_to_welch():
    rng = np.random.default_rng(3)
    t = rng.exponential(20.0, 400) * (rng.random(400) < 0.3)
    c = rng.exponential(20.0, 400) * (rng.random(400) < 0.2)
    one = mean_difference(t, c, method="bootstrap", resamples=999, seed=7)
    two = mean_difference(t, c, method="bootstrap", resamples=999, seed=7)
    welch = mean_difference(t, c)
    assert one == two
    assert one.method == "bootstrap" and one.p_value == welch.p_value
    assert one.ci_low < one.estimate < one.ci_high
    assert one.ci_low == pytest.approx(welch.ci_low, abs=0.35 * welch.se)
    assert one.ci_high == pytest.approx(welch.ci_high, abs=0.35 * welch.se)


@pytest.mark.parametrize(("n1", "n2"), [(40, 25), (300, 120)])
def test_bootstrap_bca_equals_scipy(n1, n2):
    # the closed-form jackknife gives scipy's BCa interval on the same resamples
    rng = np.random.default_rng(n1)
    t = np.round(rng.lognormal(3.0, 1.0, n1) * (rng.random(n1) < 0.3), 2)
    c = np.round(rng.lognormal(3.0, 1.0, n2) * (rng.random(n2) < 0.25), 2)
    ours = mean_difference(t, c, method="bootstrap", resamples=999, seed=11)
    ref = stats.bootstrap(
        (t, c),
        lambda a, b, axis: a.mean(axis=axis) - b.mean(axis=axis),
        n_resamples=999,
        vectorized=True,
        method="BCa",
        batch=max(1, 2**22 // max(n1, n2)),
        rng=np.random.default_rng(11),
    )
    assert (ours.ci_low, ours.ci_high) == pytest.approx(
        (ref.confidence_interval.low, ref.confidence_interval.high), rel=1e-10
    )


def test_bootstrap_degenerate_bca_falls_back():
    effect = mean_difference([0.0, 0.0, 1.0], [0.0, 0.0, 0.0], method="bootstrap", resamples=200)
    assert math.isfinite(effect.ci_low) and math.isfinite(effect.ci_high)
    assert effect.ci_low <= effect.estimate <= effect.ci_high


@pytest.mark.parametrize("method", ["welch", "bootstrap"])
@pytest.mark.parametrize(
    ("treated", "control"),
    [([], []), ([1.0], [2.0]), ([0.0, 0.0], [0.0, 0.0]), ([3.0, 3.0, 3.0], [1.0, 1.0]), ([], [1.0, 2.0])],
)
def test_mean_difference_degenerate(method, treated, control):
    effect = mean_difference(treated, control, method=method, resamples=50)
    assert isinstance(effect, Effect)
    assert math.isnan(effect.ci_low) and math.isnan(effect.ci_high) and math.isnan(effect.p_value)


def test_mean_difference_rejects_bad_method_and_values():
    with pytest.raises(UsageError, match="method"):
        mean_difference([1.0, 2.0], [1.0, 2.0], method="mannwhitney")
    with pytest.raises(UsageError, match="finite"):
        mean_difference([1.0, float("inf")], [1.0, 2.0])
    with pytest.raises(UsageError, match="alpha"):
        mean_difference([1.0, 2.0], [1.0, 3.0], alpha=1.5)


# ------------------------------------------------------------------ CUPED


def test_cuped_by_hand():
    # pooled theta = cov/var = 1.6/0.8 = 2; Y_adj = [5,5,5] and [3,3,3]
    effect = cuped_difference([3.0, 5.0, 7.0], [1.0, 2.0, 3.0], [1.0, 3.0, 5.0], [1.0, 2.0, 3.0])
    assert effect.estimate == pytest.approx(2.0)
    assert effect.variance_reduction == pytest.approx(1 - 1.2 / 4.4)
    assert (effect.treated, effect.control) == pytest.approx((5.0, 3.0))
    assert effect.method == "cuped-welch"


def test_cuped_constant_covariate_is_plain_welch():
    y_t, y_c = [1.0, 4.0, 2.0], [0.0, 1.0, 3.0, 1.0]
    cuped = cuped_difference(y_t, [5.0] * 3, y_c, [5.0] * 4)
    plain = mean_difference(y_t, y_c)
    assert cuped.estimate == pytest.approx(plain.estimate)
    assert cuped.ci_low == pytest.approx(plain.ci_low) and cuped.variance_reduction == pytest.approx(0.0)


def test_cuped_reduces_variance_by_corr_squared_and_is_unbiased():
    rng = np.random.default_rng(11)
    n, effect, reps = 2000, 0.5, 40
    estimates, plain_se, cuped_se, reductions, corr2 = [], [], [], [], []
    for _ in range(reps):
        x = rng.normal(10.0, 3.0, 2 * n)
        y = 2.0 + 0.8 * x + rng.normal(0.0, 2.0, 2 * n)
        y[:n] += effect
        res = cuped_difference(y[:n], x[:n], y[n:], x[n:])
        estimates.append(res.estimate)
        cuped_se.append(res.se)
        plain_se.append(mean_difference(y[:n], y[n:]).se)
        reductions.append(res.variance_reduction)
        corr2.append(np.corrcoef(x, y)[0, 1] ** 2)
    # corr^2 = 0.8^2 * 9 / (0.8^2 * 9 + 4) = 0.59
    assert np.mean(reductions) == pytest.approx(np.mean(corr2), abs=0.01)
    assert np.mean(np.square(cuped_se)) / np.mean(np.square(plain_se)) == pytest.approx(1 - np.mean(corr2), abs=0.02)
    # unbiased: the mean over repetitions is within 4 standard errors of the truth
    assert abs(np.mean(estimates) - effect) < 4 * np.mean(cuped_se) / math.sqrt(reps)


def test_cuped_bootstrap_and_length_check():
    rng = np.random.default_rng(2)
    x = rng.normal(size=60)
    y = x + rng.normal(size=60)
    res = cuped_difference(y[:30], x[:30], y[30:], x[30:], method="bootstrap", resamples=300)
    assert res.method == "cuped-bootstrap" and res.ci_low < res.estimate < res.ci_high
    with pytest.raises(UsageError, match="pre-period"):
        cuped_difference([1.0, 2.0], [1.0], [1.0], [1.0])


# ------------------------------------------------------------------ paired


def test_paired_matches_ttest_1samp():
    d = np.array([1.0, 2.0, 3.0, 4.0])
    effect = paired_difference(d)
    # by hand: mean 2.5, s = sqrt(5/3), t_{0.975, 3} = 3.182446
    half = stats.t.ppf(0.975, 3) * math.sqrt(5 / 3) / 2
    assert (effect.ci_low, effect.ci_high) == pytest.approx((2.5 - half, 2.5 + half), rel=1e-12)
    assert effect.p_value == pytest.approx(stats.ttest_1samp(d, 0).pvalue)
    assert effect.n_treated == effect.n_control == 4 and math.isnan(effect.treated)
    assert math.isnan(paired_difference([]).estimate)
    assert math.isnan(paired_difference([2.0, 2.0]).ci_low)


# ------------------------------------------------------------------ power


def test_mde_and_sample_size_textbook():
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)  # 2.8016
    assert minimum_detectable_effect(1000, 1000, rate=0.1) == pytest.approx(z * math.sqrt(0.09 * 2 / 1000))
    assert minimum_detectable_effect(400, 100, sd=50.0) == pytest.approx(z * 50 * math.sqrt(1 / 400 + 1 / 100))
    # the classic two-arm rule of thumb n = 16 s^2 / d^2 (alpha 0.05, power 0.8): 15.7 s^2 / d^2
    assert sample_size(0.5, sd=1.0) == math.ceil(z * z * 2 / 0.25)  # 63
    assert sample_size(0.02, rate=0.1) == math.ceil(z * z * 0.09 * 2 / 0.0004)
    assert sample_size(10.0, sd=40.0, ratio=4.0) == math.ceil(z * z * 1600 * 1.25 / 100)
    # consistency: the size found detects the effect, one fewer does not
    n = sample_size(0.03, rate=0.2)
    assert minimum_detectable_effect(n, n, rate=0.2) <= 0.03 < minimum_detectable_effect(n - 1, n - 1, rate=0.2)


def test_power_sentinels_and_errors():
    assert sample_size(0.0, rate=0.1) == 0
    assert sample_size(float("nan"), sd=1.0) == 0
    assert sample_size(1.0, rate=0.0) == 0
    assert minimum_detectable_effect(0, 10, sd=1.0) == math.inf
    with pytest.raises(UsageError, match="exactly one"):
        sample_size(0.1, sd=1.0, rate=0.1)
    with pytest.raises(UsageError, match="exactly one"):
        minimum_detectable_effect(10, 10)
    with pytest.raises(UsageError, match="rate"):
        minimum_detectable_effect(10, 10, rate=1.5)


def test_sample_size_power_by_simulation():
    # at the computed size a true lift of 0.05 on a 0.2 rate is detected ~80% of the time
    rng = np.random.default_rng(5)
    n = sample_size(0.05, rate=0.2)  # ~1005 per arm
    hits = 0
    reps = 300
    for _ in range(reps):
        t = rng.random(n) < 0.25
        c = rng.random(n) < 0.2
        hits += proportion_difference(t, c).p_value < 0.05
    # the formula uses the control variance for both arms; power is about 0.8 (binomial sd 0.023)
    assert 0.72 <= hits / reps <= 0.90


# ------------------------------------------------------------------ matching and balance


def test_nearest_matches_caliper_and_ties():
    treated = [[0.0, 0.0], [1.0, 1.0], [9.0, 9.0]]
    pool = [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [5.0, 5.0]]
    m = nearest_matches(treated, pool, caliper=0.25)
    # ties between pool rows 1 and 2 go to the lowest position; [9, 9] is > 0.25 SD from [5, 5]
    assert m.treated_index.tolist() == [0, 1]
    assert m.pool_index.tolist() == [1, 0]
    assert m.distance.tolist() == pytest.approx([0.0, 0.0], abs=1e-7)
    assert m.unmatched == 1
    every = nearest_matches(treated, pool, caliper=None)
    assert every.pool_index.tolist() == [1, 0, 3] and every.unmatched == 0
    # the distance is in pooled standard deviations
    sd = np.std(np.array([9.0, 0.0, 1.0, 1.0, 0.0, 0.0, 5.0]))
    assert every.distance[2] == pytest.approx(math.sqrt(2) * 4 / sd)


def test_nearest_matches_exact_labels():
    treated = [[0.0], [0.0], [3.0]]
    pool = [[0.0], [0.1], [3.0]]
    m = nearest_matches(treated, pool, caliper=1.0, exact_treated=["a", "b", "c"], exact_pool=["b", "a", "b"])
    # "a" must take pool 1 (the only "a"), "b" takes pool 0, "c" has no pool row
    assert m.treated_index.tolist() == [0, 1] and m.pool_index.tolist() == [1, 0] and m.unmatched == 1
    with pytest.raises(UsageError, match="both"):
        nearest_matches(treated, pool, exact_treated=["a", "b", "c"])


def test_nearest_matches_empty_and_deterministic():
    assert nearest_matches(np.empty((0, 2)), [[1.0, 2.0]]).unmatched == 0
    assert nearest_matches([[1.0, 2.0]], np.empty((0, 2))).unmatched == 1
    rng = np.random.default_rng(0)
    t, p = rng.normal(size=(50, 3)), rng.normal(size=(200, 3))
    a, b = nearest_matches(t, p), nearest_matches(t, p)
    assert np.array_equal(a.pool_index, b.pool_index) and np.array_equal(a.distance, b.distance)


def test_standardized_differences_by_hand():
    # means 2 and 1, variances 2 and 2: d = 1 / sqrt(2)
    d = standardized_differences([[1.0, 5.0], [3.0, 5.0]], [[0.0, 5.0], [2.0, 5.0]])
    assert d.tolist() == pytest.approx([1 / math.sqrt(2), 0.0])
    assert np.isnan(standardized_differences(np.empty((0, 1)), [[1.0]])).all()
    # both constant: 0 by convention, even when the constants differ (never inf)
    assert standardized_differences([[1.0], [1.0]], [[2.0]]).tolist() == [0.0]
    assert standardized_differences([1.0, 2.0, 4.0], [1.0]).shape == (1,)


# ------------------------------------------------------------------ properties

_values = st.lists(st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False), max_size=25)
_binaries = st.lists(st.integers(0, 1), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_binaries, _binaries)
def test_proportion_properties(t, c):
    effect = proportion_difference(t, c)
    swapped = proportion_difference(c, t)
    if t and c:
        assert -1.0 - 1e-12 <= effect.ci_low <= effect.estimate <= effect.ci_high <= 1.0 + 1e-12
        assert swapped.estimate == pytest.approx(-effect.estimate)
        assert swapped.ci_low == pytest.approx(-effect.ci_high) and swapped.ci_high == pytest.approx(-effect.ci_low)
        assert 0.0 <= effect.p_value <= 1.0 and swapped.p_value == pytest.approx(effect.p_value)
    else:
        assert math.isnan(effect.estimate)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values, _values)
def test_welch_properties(t, c):
    effect = mean_difference(t, c)
    swapped = mean_difference(c, t)
    if math.isfinite(effect.ci_low):
        assert effect.ci_low <= effect.estimate <= effect.ci_high
        assert swapped.estimate == pytest.approx(-effect.estimate, abs=1e-9)
        assert swapped.ci_low == pytest.approx(-effect.ci_high, rel=1e-9, abs=1e-9)
        assert 0.0 <= effect.p_value <= 1.0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values, _values)
def test_bootstrap_and_cuped_never_raise(t, c):
    effect = mean_difference(t, c, method="bootstrap", resamples=99)
    if math.isfinite(effect.ci_low):
        assert effect.ci_low <= effect.ci_high
    cuped = cuped_difference(t, t[::-1], c, c)
    assert isinstance(cuped, Effect)
    if math.isfinite(cuped.ci_low):
        assert cuped.ci_low <= cuped.estimate <= cuped.ci_high


@settings(max_examples=40, deadline=None)
@given(_values)
def test_paired_properties(d):
    effect = paired_difference(d)
    if math.isfinite(effect.ci_low):
        assert effect.ci_low <= effect.estimate <= effect.ci_high
        negated = paired_difference([-v for v in d])
        assert negated.estimate == pytest.approx(-effect.estimate, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100)), max_size=12),
    st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100)), max_size=12),
)
def test_matching_properties(t, p):
    t_arr = np.array(t, dtype=float).reshape(-1, 2)
    p_arr = np.array(p, dtype=float).reshape(-1, 2)
    m = nearest_matches(t_arr, p_arr, caliper=0.5)
    assert m.treated_index.size == m.pool_index.size == m.distance.size
    assert m.unmatched + m.treated_index.size == len(t)
    assert (m.distance <= 0.5).all()
    d = standardized_differences(t_arr, p_arr)
    assert d.shape == (2,)
