"""The CLV's fast paths equal the plain computations they replace (issue 11, §4: clv speed)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from crmkit.clv import _deciles
from crmkit.models import BetaGeo, GammaGamma, ModifiedBetaGeo
from crmkit.models._forecast import forecast_steps
from crmkit.summary import quantile_scores


def _histories(seed: int = 3, n: int = 2_000):
    rng = np.random.default_rng(seed)
    T = rng.integers(1, 80, n).astype(float)
    x = rng.poisson(2.0, n).clip(max=30).astype(float)
    t_x = np.where(x > 0, np.round(rng.uniform(0, 1, n) * T, 1), 0.0)
    return x, t_x, T


@pytest.mark.parametrize(
    "model",
    [
        BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
        ModifiedBetaGeo.from_params(r=0.5, alpha=6, a=1, b=3),
    ],
)
def test_the_factored_forecast_equals_expected_purchases(model):
    """E[X(t)|x,t_x,T] = E[X(t)|alive,x,T] P(alive) evaluated per distinct (x, T) (FHL 2005, eq. 10)."""
    x, t_x, T = _histories()
    times = np.array([4.0, 13.0, 52.0])
    cumulative, inverse, scale = forecast_steps(model, times, x, t_x, T)
    for j, t in enumerate(times):
        np.testing.assert_allclose(cumulative[j, inverse] * scale, model.expected_purchases(t, x, t_x, T), rtol=1e-12)


def test_gamma_gamma_per_distinct_frequency_keeps_the_likelihood():
    """Published CDNOW fit (Fader & Hardie 2013): refitting on draws from it recovers p, q, v."""
    rng = np.random.default_rng(7)
    n = 4_000
    x = rng.integers(1, 12, n).astype(float)
    nu = rng.gamma(3.74, 1 / 15.44, n)  # q, gamma
    m = rng.gamma(6.25 * x, 1 / (nu * x))  # the mean of x spends ~ Gamma(p x, nu x)
    fitted = GammaGamma().fit(x, m)
    assert fitted.converged_
    for name, true in (("p", 6.25), ("q", 3.74), ("gamma", 15.44)):
        assert abs(fitted.params_[name] - true) / true < 0.2, (name, fitted.params_)


def test_deciles_are_the_tie_safe_quantile_scores():
    values = np.array([3.0, 3.0, -0.0, 0.0, 1e9, -np.inf, np.inf, 2.5, 2.5, 7.0, 1.0])
    assert _deciles(values).tolist() == (11 - quantile_scores(values, 10)).tolist()
    rng = np.random.default_rng(0)
    many = np.round(rng.gamma(1.0, 50.0, 5_000), 0)  # many ties
    assert (_deciles(many) == 11 - quantile_scores(many, 10)).all()


def test_the_models_load_without_scikit_learn():
    code = "import sys, crmkit.models; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
