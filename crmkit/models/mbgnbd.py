"""MBG/NBD: the BG/NBD with a possible dropout right after the first purchase too.

Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models for
customer base analysis", *International Journal of Research in Marketing* 24(3), 201-209.
As the BG/NBD (:mod:`crmkit.models.bgnbd`) — Poisson purchasing at ``lambda ~ Gamma(r, alpha)``,
dropout with probability ``p ~ Beta(a, b)`` after a purchase — except that the coin is also
tossed at the first purchase (time 0), so a customer with no repeat purchase may have left.

Input per customer (one time unit): ``x`` repeat purchases, ``t_x`` time of the last, ``T``
time observed, both from the first purchase.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln

from crmkit.models._base import RepeatBuyingModel
from crmkit.models._validation import check_horizon, check_summary
from crmkit.models.bgnbd import _expected_if_alive, _simulate_bg

__all__ = ["ModifiedBetaGeoModel", "fit_mbgnbd", "simulate_mbgnbd"]

_HINT = (
    "check that t_x and T are in one time unit and measured from each customer's first "
    "purchase; with few repeat purchases dropout is barely identified: lengthen the "
    "calibration period, or try the BG/NBD or Pareto/NBD model"
)


class ModifiedBetaGeoModel(RepeatBuyingModel):
    """MBG/NBD model (Batislam, Denizel & Filiztekin 2007).

    Parameters
    ----------
    max_iter : int, default 1000
        L-BFGS-B iterations per attempt.
    init_params : dict, optional
        Starting values ``{"r", "alpha", "a", "b"}`` for the first attempt.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (gamma purchase-rate heterogeneity) and ``a``, ``b`` (beta dropout).
    log_likelihood_, aic_, bic_, se_, n_iter_, converged_, n_customers_
        As for :class:`~crmkit.models.bgnbd.BetaGeoModel`.

    Examples
    --------
    >>> import numpy as np
    >>> x, t_x, T = simulate_mbgnbd(5000, 52.0, r=0.5, alpha=6.0, a=0.9, b=4.0,
    ...                             rng=np.random.default_rng(1))
    >>> model = ModifiedBetaGeoModel().fit(x, t_x, T)
    >>> bool(model.p_alive([0], [0.0], [52.0])[0] < 1)
    True
    """

    _names = ("r", "alpha", "a", "b")
    _model = "MBG/NBD"
    _unidentified = "purchase rate and dropout"
    _hint = _HINT

    def _guesses(self, mean_rate: float, mean_age: float) -> list:
        return [[1.0, 1.0 / mean_rate, 1.0, 3.0], [0.3, 0.3 / mean_rate, 0.7, 2.5]]

    def log_likelihood(self, x, t_x, T) -> np.ndarray:
        """Each customer's log-likelihood (Batislam et al. 2007, in log space)."""
        r, alpha, a, b = self._values()
        x, t_x, T = check_summary(x, t_x, T)
        common, term1, term2 = _terms(r, alpha, a, b, x, t_x, T)
        return common + np.logaddexp(term1, term2)

    def p_alive(self, x, t_x, T) -> np.ndarray:
        """Probability each customer is still active at ``T`` (Batislam et al. 2007, appendix A):
        ``1 / (1 + a / (b + x) ((alpha + T) / (alpha + t_x))^(r + x))``, for x = 0 as well."""
        r, alpha, a, b = self._values()
        x, t_x, T = check_summary(x, t_x, T)
        return _p_alive(r, alpha, a, b, x, t_x, T)

    def expected_purchases(self, t, x, t_x, T) -> np.ndarray:
        """Expected purchases in the next ``t`` time units (Batislam et al. 2007):
        ``(a + b + x) / (a - 1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x;
        t/(alpha+T+t))] P(alive)`` (the BG/NBD's eq. 10 with ``b + 1`` for ``b``)."""
        r, alpha, a, b = self._values()
        x, t_x, T = check_summary(x, t_x, T)
        t = check_horizon(t, x.size)
        return _expected_if_alive(t, r, alpha, a, b + x + 1.0, x, T) * _p_alive(r, alpha, a, b, x, t_x, T)

    def _expected_given_alive(self, t, x, T) -> np.ndarray:
        """The first factor of :meth:`expected_purchases` (see the BG/NBD's)."""
        r, alpha, a, b = self._values()
        return _expected_if_alive(t, r, alpha, a, b + x + 1.0, x, T)


def fit_mbgnbd(x, t_x, T, weights=None, **settings) -> ModifiedBetaGeoModel:
    """Fit a :class:`ModifiedBetaGeoModel` in one call (``settings`` go to its constructor).

    Examples
    --------
    >>> import numpy as np
    >>> x, t_x, T = simulate_mbgnbd(2000, 52.0, r=0.5, alpha=6.0, a=0.9, b=2.0,
    ...                             rng=np.random.default_rng(0))
    >>> fit_mbgnbd(x, t_x, T).converged_
    True
    """
    return ModifiedBetaGeoModel(**settings).fit(x, t_x, T, weights=weights)


def _terms(r, alpha, a, b, x, t_x, T):
    """log of G(r+x) alpha^r / G(r), and of the two terms: alive at T (survived x + 1 coin
    tosses, B(a, b+x+1)/B(a,b)), or gone right after the last purchase (B(a+1, b+x)/B(a,b))."""
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    beta_ab = betaln(a, b)
    term1 = betaln(a, b + x + 1) - beta_ab - (r + x) * np.log(alpha + T)
    term2 = betaln(a + 1, b + x) - beta_ab - (r + x) * np.log(alpha + t_x)
    return common, term1, term2


def _p_alive(r, alpha, a, b, x, t_x, T):
    log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return expit(-log_odds)


class _NegLogLik:
    """Weighted negative log-likelihood and its analytic gradient in the log-parameters."""

    def __init__(self, x, t_x, T, weights):
        self.x, self.t_x, self.T, self.w = x, t_x, T, weights
        self.ux, self.xi = np.unique(x, return_inverse=True)
        self.w_by_x = np.bincount(self.xi, weights=weights, minlength=self.ux.size)

    def __call__(self, theta):
        r, alpha, a, b = np.exp(theta)
        ux, xi, w = self.ux, self.xi, self.w
        beta_ab = betaln(a, b)
        common = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
        beta1 = betaln(a, b + ux + 1) - beta_ab
        beta2 = betaln(a + 1, b + ux) - beta_ab
        log_t = np.log(alpha + self.T)
        log_tx = np.log(alpha + self.t_x)
        rx = r + self.x
        term1 = beta1[xi] - rx * log_t
        term2 = beta2[xi] - rx * log_tx
        value = self.w_by_x @ common + w @ np.logaddexp(term1, term2)
        share1 = expit(term1 - term2)
        ws1 = w * share1
        w1_by_x = np.bincount(xi, weights=ws1, minlength=ux.size)
        w2_by_x = self.w_by_x - w1_by_x
        psi_ab, psi_abx = digamma(a + b), digamma(a + b + ux + 1)
        d1_a = psi_ab - psi_abx
        d1_b = digamma(b + ux + 1) - psi_abx - digamma(b) + psi_ab
        d2_a = digamma(a + 1) - psi_abx - digamma(a) + psi_ab
        d2_b = digamma(b + ux) - psi_abx - digamma(b) + psi_ab
        g_r = self.w_by_x @ (digamma(r + ux) - digamma(r) + np.log(alpha)) - w @ log_tx - ws1 @ (log_t - log_tx)
        inv_t = 1.0 / (alpha + self.T)
        inv_tx = 1.0 / (alpha + self.t_x)
        g_alpha = (r / alpha) * self.w_by_x.sum() - (w * rx) @ (inv_tx + share1 * (inv_t - inv_tx))
        g_a = w1_by_x @ d1_a + w2_by_x @ d2_a
        g_b = w1_by_x @ d1_b + w2_by_x @ d2_b
        grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
        return -value, -grad


def simulate_mbgnbd(n_customers: int, T, *, r: float, alpha: float, a: float, b: float, rng: np.random.Generator):
    """Draw ``(x, t_x, T)`` summaries from the MBG/NBD model (see
    :func:`~crmkit.models.bgnbd.simulate_bgnbd` for the arguments)."""
    # As the BG/NBD's, with the coin also tossed at the first purchase.
    return _simulate_bg(n_customers, T, r, alpha, a, b, rng, toss_at_first=True)


ModifiedBetaGeoModel._neg_log_lik = _NegLogLik
