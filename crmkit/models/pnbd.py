"""Pareto/NBD: Poisson purchasing with exponential lifetimes, both rates gamma-distributed.

Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they and what will
they do next?", *Management Science* 33(1), 1-24. While active, a customer buys at a Poisson
rate ``lambda ~ Gamma(r, alpha)``; her unobserved lifetime is exponential with rate
``mu ~ Gamma(s, beta)``.

The likelihood follows Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and
related expressions" (brucehardie.com/notes/009), in the form of their eqs. 22-23, which is a
sum of two positive terms (the form of eqs. 18-20, with ``A_0``, subtracts two 2F1 terms):

    L = G(r+x) alpha^r beta^s / G(r) * [ s I(r+x, s+1; t_x) + (r+x) I(r+x+1, s; T) ],
    I(p, q; t) = integral_t^inf (alpha+tau)^-p (beta+tau)^-q dtau,

and each ``I`` is ``(m + t)^-(r+s+x) J(r+s+x, b, z)`` with ``m = max(alpha, beta)``,
``z = |alpha - beta| / (m + t)`` and ``b = q`` when alpha >= beta, ``b = p`` otherwise (the note's
two branches), ``J(a, b, z) = 2F1(a, b; a+1; z) / a``. ``J`` and its derivatives are summed in
log space (:mod:`crmkit.models._hyp2f1`), so customers with hundreds of purchases stay finite:
lifetimes' issue #25 ("Pareto_NBD overflow") is ``(alpha + t)^(r+s+x)`` overflowing at x > 300.

Input per customer (one time unit): ``x`` repeat purchases, ``t_x`` time of the last, ``T`` time
observed, both from the first purchase.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, expit, exprel, gammaln

from crmkit.errors import UsageError
from crmkit.models._base import RepeatBuyingModel
from crmkit.models._compress import compress
from crmkit.models._hyp2f1 import log_beta_integral
from crmkit.models._validation import as_float_array, check_horizon, check_summary

__all__ = ["ParetoNBDModel", "fit_pnbd", "simulate_pnbd"]

_HINT = (
    "check that t_x and T are in one time unit and measured from each customer's first "
    "purchase; with few repeat purchases the lifetime process is barely identified: "
    "lengthen the calibration period, or try the BG/NBD model"
)


class ParetoNBDModel(RepeatBuyingModel):
    """Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

    Parameters
    ----------
    max_iter : int, default 1000
        L-BFGS-B iterations per attempt.
    init_params : dict, optional
        Starting values ``{"r", "alpha", "s", "beta"}`` for the first attempt.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (gamma heterogeneity of the purchase rate) and ``s``, ``beta`` (of the
        dropout rate); ``alpha`` and ``beta`` in the time unit of the data.
    log_likelihood_, aic_, bic_, se_, n_iter_, converged_, n_customers_
        As for :class:`~crmkit.models.bgnbd.BetaGeoModel`.

    Examples
    --------
    >>> import numpy as np
    >>> x, t_x, T = simulate_pnbd(5000, 52.0, r=0.55, alpha=10.6, s=0.6, beta=11.7,
    ...                           rng=np.random.default_rng(1))
    >>> model = ParetoNBDModel().fit(x, t_x, T)
    >>> bool(np.isfinite(model.log_likelihood([200], [99.0], [100.0]))[0])
    True
    """

    _names = ("r", "alpha", "s", "beta")
    _model = "Pareto/NBD"
    _unidentified = "purchase rate and lifetime"
    _hint = _HINT

    def _guesses(self, mean_rate: float, mean_age: float) -> list:
        return [[1.0, 1.0 / mean_rate, 1.0, mean_age], [0.5, 0.5 / mean_rate, 0.5, mean_age / 2]]

    def log_likelihood(self, x, t_x, T) -> np.ndarray:
        """Each customer's log-likelihood (FH 2005 note, eqs. 22-23, in log space)."""
        r, alpha, s, beta = self._values()
        x, t_x, T = check_summary(x, t_x, T)
        k0, log_a, log_b = _terms(r, alpha, s, beta, x, t_x, T)
        return k0 + np.logaddexp(log_a, log_b)

    def p_alive(self, x, t_x, T) -> np.ndarray:
        """Probability each customer is still active at ``T`` (FH 2005 note, section 5.1).

        The share of the likelihood that belongs to "alive at T":
        ``(alpha+T)^-(r+x) (beta+T)^-s / [s I(r+x, s+1; t_x) + (r+x) I(r+x+1, s; T)]``.
        """
        r, alpha, s, beta = self._values()
        x, t_x, T = check_summary(x, t_x, T)
        return _p_alive(r, alpha, s, beta, x, t_x, T)

    def expected_purchases(self, t, x, t_x, T) -> np.ndarray:
        """Expected purchases in the next ``t`` time units, per customer (FH 2005 note, eq. 41).

        ``(r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive)``,
        with the bracket over ``s - 1`` taken as ``u exprel(-(s-1) u)``,
        ``u = log(1 + t/(beta+T))``: exact at and near s = 1, where the closed form is 0/0.
        """
        r, alpha, s, beta = self._values()
        x, t_x, T = check_summary(x, t_x, T)
        t = check_horizon(t, x.size)
        u = np.log1p(t / (beta + T))
        if_alive = (r + x) / (alpha + T) * (beta + T) * u * exprel(-(s - 1.0) * u)
        return if_alive * _p_alive(r, alpha, s, beta, x, t_x, T)

    def expected_purchases_population(self, t) -> np.ndarray:
        """Expected purchases of a new customer in ``(0, t]`` (FH 2005 note, eq. 27):
        ``r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]``."""
        r, alpha, s, beta = self._values()
        t = as_float_array(t, "t")
        if np.any(~np.isfinite(t) | (t < 0)):
            raise UsageError("t must be finite and >= 0")
        u = np.log1p(t / beta)
        return r / alpha * beta * u * exprel(-(s - 1.0) * u)


def fit_pnbd(x, t_x, T, weights=None, **settings) -> ParetoNBDModel:
    """Fit a :class:`ParetoNBDModel` in one call (``settings`` go to its constructor).

    Examples
    --------
    >>> import numpy as np
    >>> x, t_x, T = simulate_pnbd(2000, 52.0, r=0.55, alpha=10.6, s=0.6, beta=11.7,
    ...                           rng=np.random.default_rng(0))
    >>> fit_pnbd(x, t_x, T).converged_
    True
    """
    return ParetoNBDModel(**settings).fit(x, t_x, T, weights=weights)


# --------------------------------------------------------------------------- likelihood


def _branch(alpha, beta):
    """(m, other, b-parameter comes from r?) for the note's two branches: the larger rate
    parameter sits in the denominators so that 0 <= z < 1."""
    return (alpha, beta, False) if alpha >= beta else (beta, alpha, True)


def _log_i(r, s, x, t, big, small, b, grad=False):
    """log I = -(r+s+x) log(m + t) + log J(r+s+x, b, (m - other)/(m + t)), with 1 - z passed
    as the exact ratio (other + t)/(m + t)."""
    a = r + s + x
    m_t = big + t
    z = (big - small) / m_t
    eps = (small + t) / m_t
    log_mt = np.log(m_t)
    if not grad:
        return -a * log_mt + log_beta_integral(a, b, z, eps, grad=False)
    log_j, j_a, j_b, j_z = log_beta_integral(a, b, z, eps)
    return -a * log_mt + log_j, a, m_t, log_mt, eps, j_a, j_b, j_z


def _terms(r, alpha, s, beta, x, t_x, T):
    """Per customer: log of the constant and of the two bracket terms of eqs. 22-23."""
    big, small, b_from_r = _branch(alpha, beta)
    k0 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    b_a = r + x if b_from_r else s + 1.0 + 0 * x
    b_b = r + x + 1.0 if b_from_r else s + 0 * x
    log_a = np.log(s) + _log_i(r, s, x, t_x, big, small, b_a)
    log_b = np.log(r + x) + _log_i(r, s, x, T, big, small, b_b)
    return k0, log_a, log_b


def _p_alive(r, alpha, s, beta, x, t_x, T):
    _, log_a, log_b = _terms(r, alpha, s, beta, x, t_x, T)
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    return np.minimum(np.exp(log_alive - np.logaddexp(log_a, log_b)), 1.0)


class _NegLogLik:
    """Weighted negative log-likelihood over distinct rows, with its analytic gradient.

    The ``t_x`` term depends on ``(x, t_x)`` only and is evaluated once per distinct pair (all
    customers without repeat purchases share one); the ``T`` term once per row.
    """

    def __init__(self, x, t_x, T, weights):
        self.x, self.T, self.w = x, T, weights
        (self.px, self.pt), _, self.pair = compress(x, t_x)
        self.ux, self.xi = np.unique(x, return_inverse=True)
        self.w_by_x = np.bincount(self.xi, weights=weights, minlength=self.ux.size)
        self.W = float(weights.sum())

    def __call__(self, theta):
        r, alpha, s, beta = np.exp(theta)
        big, small, b_from_r = _branch(alpha, beta)
        w, x, px = self.w, self.x, self.px
        # t_x term, per distinct (x, t_x): log s + log I(r+x, s+1; t_x).
        b_a = r + px if b_from_r else np.full(px.size, s + 1.0)
        la, a_a, mt_a, logmt_a, eps_a, ja_a, jb_a, jz_a = _log_i(r, s, px, self.pt, big, small, b_a, True)
        la += np.log(s)
        # T term, per row: log(r+x) + log I(r+x+1, s; T).
        b_b = r + x + 1.0 if b_from_r else np.full(x.size, s)
        lb, a_b, mt_b, logmt_b, eps_b, ja_b, jb_b, jz_b = _log_i(r, s, x, self.T, big, small, b_b, True)
        lb += np.log(r + x)
        la_row = la[self.pair]
        ux = self.ux
        k0 = gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        value = self.w_by_x @ k0 + w @ np.logaddexp(la_row, lb)
        share_a = expit(la_row - lb)
        wa = w * share_a
        wb = w - wa
        wa_pair = np.bincount(self.pair, weights=wa, minlength=px.size)
        # d/dr, d/ds, d/dm, d/dother of each term (m, other = the larger, smaller of alpha, beta).
        da_r = -logmt_a + ja_a + (jb_a if b_from_r else 0.0)
        da_s = 1.0 / s - logmt_a + ja_a + (0.0 if b_from_r else jb_a)
        da_m = (-a_a + jz_a * eps_a) / mt_a
        da_o = -jz_a / mt_a
        db_r = 1.0 / (r + x) - logmt_b + ja_b + (jb_b if b_from_r else 0.0)
        db_s = -logmt_b + ja_b + (0.0 if b_from_r else jb_b)
        db_m = (-a_b + jz_b * eps_b) / mt_b
        db_o = -jz_b / mt_b
        g_r = self.w_by_x @ (digamma(r + ux) - digamma(r)) + self.W * np.log(alpha) + wa_pair @ da_r + wb @ db_r
        g_s = self.W * np.log(beta) + wa_pair @ da_s + wb @ db_s
        g_m = wa_pair @ da_m + wb @ db_m
        g_o = wa_pair @ da_o + wb @ db_o
        g_alpha, g_beta = (g_m, g_o) if not b_from_r else (g_o, g_m)
        g_alpha += self.W * r / alpha
        g_beta += self.W * s / beta
        grad = np.array([g_r * r, g_alpha * alpha, g_s * s, g_beta * beta])
        return -value, -grad


# --------------------------------------------------------------------------- simulation


def simulate_pnbd(n_customers: int, T, *, r: float, alpha: float, s: float, beta: float, rng: np.random.Generator):
    """Draw ``(x, t_x, T)`` summaries from the Pareto/NBD model.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    T : float or array_like
        Time observed per customer (a scalar applies to all).
    r, alpha, s, beta : float
        Model parameters.
    rng : numpy.random.Generator
        Source of randomness (pass a seeded one for reproducible draws).

    Returns
    -------
    x, t_x, T : numpy.ndarray
    """
    T = np.broadcast_to(np.asarray(T, dtype=np.float64), (n_customers,)).copy()
    lam = rng.gamma(r, 1.0 / alpha, n_customers)
    mu = rng.gamma(s, 1.0 / beta, n_customers)
    active = np.minimum(rng.exponential(1.0 / np.maximum(mu, 1e-300)), T)
    x = rng.poisson(lam * active)
    t_x = np.zeros(n_customers)
    pos = x > 0
    # The last of x uniform arrivals in (0, active]: active * U^(1/x).
    t_x[pos] = active[pos] * rng.random(pos.sum()) ** (1.0 / x[pos])
    return x.astype(np.float64), t_x, T


ParetoNBDModel._neg_log_lik = _NegLogLik
