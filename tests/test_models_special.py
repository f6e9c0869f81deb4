"""The numerical building blocks of the CLV models: the log-space 2F1 integral and its
derivatives against mpmath, every model's analytic gradient against finite differences (here,
in a test, differences are the independent check), closed-form expectations against direct
integration, and the row compression."""

from __future__ import annotations

import numpy as np
import pytest

from crmkit.models import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    _compress,
    bgbb,
    bgnbd,
    compress,
    gammagamma,
    mbgnbd,
    pnbd,
    simulate_bgbb,
    simulate_bgnbd,
    simulate_pnbd,
)
from crmkit.models._hyp2f1 import log_beta_integral, log_hyp2f1

mp = pytest.importorskip("mpmath")

# (a, b, 1 - z): small and large a and b, z from 0 to 1 - 1e-12 (series, long series, quadrature).
J_CASES = [
    (1.16, 1.6, 0.97),
    (1.16, 0.6, 0.5),
    (0.3, 1.2, 1e-3),
    (0.05, 0.9, 1e-9),
    (3.0, 1.5, 0.2),
    (201.2, 1.6, 0.9),
    (501.2, 1.6, 1e-6),
    (501.2, 501.0, 0.8),
    (60.0, 30.0, 1e-8),
    (148.9, 9.0, 1.6e-6),
    (2.5, 3.4, 1e-12),
    (0.6, 0.2, 0.05),
    (12.0, 0.5, 1.0),
]


def _mp_log_j(a, b, e):
    a, b = mp.mpf(a), mp.mpf(b)
    return mp.log(mp.hyp2f1(a, b, a + 1, 1 - mp.mpf(e)) / a)


@pytest.mark.parametrize("a, b, e", J_CASES)
def test_log_beta_integral_and_derivatives_match_mpmath(a, b, e):
    mp.mp.dps = 40
    log_j, d_a, d_b, d_z = (v[0] for v in log_beta_integral([a], [b], [1 - e], [e]))
    assert log_j == pytest.approx(float(_mp_log_j(a, b, e)), rel=1e-13, abs=1e-13)
    h = mp.mpf("1e-12")
    ref_a = (_mp_log_j(a + h, b, e) - _mp_log_j(a - h, b, e)) / (2 * h)
    ref_b = (_mp_log_j(a, b + h, e) - _mp_log_j(a, b - h, e)) / (2 * h)
    ref_z = -(_mp_log_j(a, b, e + h * e) - _mp_log_j(a, b, e - h * e)) / (2 * h * e)
    for got, ref in ((d_a, ref_a), (d_b, ref_b), (d_z, ref_z)):
        assert got == pytest.approx(float(ref), rel=1e-11, abs=1e-11)


def test_log_hyp2f1_matches_mpmath_where_scipy_overflows():
    mp.mp.dps = 30
    A, B, C, z = 500.3, 506.2, 507.8, 0.9992
    from scipy.special import hyp2f1

    assert not np.isfinite(hyp2f1(A, B, C, z))
    got = log_hyp2f1([A], [B], [C], [z])[0]
    assert got == pytest.approx(float(mp.log(mp.hyp2f1(A, B, C, z))), rel=1e-12)


def _check_gradient(neg_log_lik, theta):
    value, grad = neg_log_lik(theta)
    assert np.isfinite(value)
    step = 1e-6
    numeric = np.array(
        [(neg_log_lik(theta + step * e)[0] - neg_log_lik(theta - step * e)[0]) / (2 * step) for e in np.eye(theta.size)]
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6 * (1 + abs(value)) ** 0.5)


@pytest.mark.parametrize(
    "params",
    [
        (0.25, 4.4, 0.8, 2.4),
        (2.0, 30.0, 0.4, 9.0),
        (0.5, 10.0, 0.6, 11.7),
        (0.5, 40.0, 0.7, 2.0),
        (0.5, 2.0, 0.7, 40.0),
        (0.7, 6.0, 0.7, 6.0),
    ],
)
def test_analytic_gradients_match_finite_differences(params):
    rng = np.random.default_rng(5)
    theta = np.log(np.asarray(params))
    x, t_x, T = simulate_bgnbd(400, rng.uniform(1, 78, 400), r=0.4, alpha=3.0, a=0.8, b=2.0, rng=rng)
    x[:3], t_x[:3], T[:3] = (200.0, 500.0, 40.0), (95.0, 990.0, 39.0), (100.0, 1000.0, 40.0)
    (ux, ut, uT), counts, _ = compress(x, t_x, T)
    for module in (bgnbd, mbgnbd, pnbd):
        _check_gradient(module._NegLogLik(ux, ut, uT, counts), theta)
    xb, tb, nb = simulate_bgbb(500, 8, alpha=1.2, beta=0.8, gamma=0.7, delta=2.8, rng=rng)
    (ux, ut, un), counts, _ = compress(xb, tb, nb)
    _check_gradient(bgbb._NegLogLik(ux, ut, un, counts), theta)
    spend = rng.gamma(5.0, 4.0, 300)
    freq = rng.integers(1, 9, 300).astype(float)
    _check_gradient(gammagamma._NegLogLik(freq, spend, np.ones(300)), theta[:3])


def _pnbd_log_lik_mpmath(r, alpha, s, beta, x, t_x, T):
    """Schmittlein et al. directly: alive at T, or died at tau in (t_x, T] (integral split at
    points so that mpmath resolves heavy buyers' sharply peaked integrand)."""
    r, alpha, s, beta, x, t_x, T = (mp.mpf(v) for v in (r, alpha, s, beta, x, t_x, T))

    def density(tau):
        return (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1)

    cuts = sorted({t_x, T, *[t_x + mp.mpf(2) ** k / 64 for k in range(25) if t_x + mp.mpf(2) ** k / 64 < T]})
    bracket = (alpha + T) ** -(r + x) * (beta + T) ** -s + s * mp.quad(density, cuts)
    return mp.log(mp.gamma(r + x) * alpha**r * beta**s / mp.gamma(r) * bracket)


@pytest.mark.parametrize("params", [(0.553, 10.578, 0.606, 11.669), (0.553, 50.0, 0.606, 0.7), (2.0, 1.0, 3.0, 80.0)])
def test_pnbd_log_likelihood_matches_direct_integration(params):
    mp.mp.dps = 30
    model = ParetoNBDModel.from_params(**dict(zip(("r", "alpha", "s", "beta"), params)))
    rows = [
        (0, 0.0, 38.86),
        (2, 30.43, 38.86),
        (20, 35.0, 38.0),
        (200, 99.0, 100.0),
        (500, 999.0, 1000.0),
        (500, 5.0, 1000.0),
        (3, 1.0, 1.0),
    ]
    x, t_x, T = (np.array(col, dtype=float) for col in zip(*rows))
    got = model.log_likelihood(x, t_x, T)
    want = [float(_pnbd_log_lik_mpmath(*params, *row)) for row in rows]
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-10)


@pytest.mark.parametrize("cls, shift", [(BetaGeoModel, 0.0), (ModifiedBetaGeoModel, 1.0)])
@pytest.mark.parametrize(
    "params", [(0.243, 4.414, 0.793, 2.426), (1.5, 2.0, 3.0, 0.7), (0.5, 8.0, 1.0 + 1e-9, 1.0), (0.8, 1.0, 0.5, 0.5)]
)
def test_conditional_expectation_matches_direct_integration(cls, shift, params):
    from scipy import integrate, special

    r, alpha, a, b = params
    model = cls.from_params(r=r, alpha=alpha, a=a, b=b)
    for x, t_x, T, t in ((0, 0.0, 20.0, 39.0), (2, 30.43, 38.86, 39.0), (40, 50.0, 52.0, 10.0)):
        k, tau, b_post = r + x, t / (alpha + T), b + x + shift

        def integrand(p, k=k, tau=tau, b_post=b_post):
            g = -np.expm1(-k * np.log1p(p * tau)) / p
            return g * np.exp((a - 1) * np.log(p) + (b_post - 1) * np.log1p(-p) - special.betaln(a, b_post))

        given_alive = integrate.quad(integrand, 0, 1, limit=200, epsabs=1e-13, epsrel=1e-11)[0]
        want = given_alive * model.p_alive([x], [t_x], [T])[0]
        assert model.expected_purchases(t, [x], [t_x], [T])[0] == pytest.approx(want, rel=1e-7)


def test_compress_groups_identical_rows_with_weights_and_inverse():
    x = np.array([0, 1, 0, 2, 1, 0], dtype=float)
    t_x = np.array([0, 2.5, 0, 3, 2.5, -0.0])
    (ux, ut), counts, inverse = compress(x, t_x)
    assert sorted(zip(ux.tolist(), ut.tolist(), counts.tolist())) == [(0.0, 0.0, 3.0), (1.0, 2.5, 2.0), (2.0, 3.0, 1.0)]
    np.testing.assert_array_equal(ux[inverse], x)
    np.testing.assert_array_equal(ut[inverse], t_x)
    (_, _), weighted, _ = compress(x, t_x, weights=[1, 0, 2, 1, 0.5, 1])
    assert sorted(weighted.tolist()) == [0.5, 1.0, 4.0]


def test_compress_survives_hash_collisions(monkeypatch):
    # With every hash key zero all rows collide; the exact lexicographic fallback must take over.
    monkeypatch.setattr(_compress, "_HASH_KEYS", (np.uint64(0),) * 4)
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, 1000).astype(float)
    t = rng.integers(0, 4, 1000).astype(float)
    (ux, ut), counts, inverse = compress(x, t)
    assert ux.size == len(set(zip(x.tolist(), t.tolist())))
    assert counts.sum() == 1000
    np.testing.assert_array_equal(ux[inverse], x)
    np.testing.assert_array_equal(ut[inverse], t)


def test_pnbd_fit_is_unchanged_by_row_order_and_duplication():
    rng = np.random.default_rng(9)
    x, t_x, T = simulate_pnbd(3000, np.round(rng.uniform(1, 52, 3000)), r=0.55, alpha=10.6, s=0.6, beta=11.7, rng=rng)
    once = pnbd.fit_pnbd(x, t_x, T)
    order = rng.permutation(x.size)
    shuffled = pnbd.fit_pnbd(x[order], t_x[order], T[order])
    doubled = pnbd.fit_pnbd(np.tile(x, 2), np.tile(t_x, 2), np.tile(T, 2))
    assert shuffled.params_ == pytest.approx(once.params_, rel=1e-6)
    assert doubled.params_ == pytest.approx(once.params_, rel=1e-5)
    assert doubled.log_likelihood_ == pytest.approx(2 * once.log_likelihood_, rel=1e-9)
