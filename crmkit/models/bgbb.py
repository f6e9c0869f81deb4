"""BG/BB: beta-geometric / beta-Bernoulli model for discrete transaction opportunities.

Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
setting", *Marketing Science* 29(6), 1086-1108. At each of ``n`` opportunities (yearly
fund-raising drives, annual events) an active customer transacts with probability
``p ~ Beta(alpha, beta)``; before each opportunity she leaves for good with probability
``theta ~ Beta(gamma, delta)``.

Input per customer: ``x`` repeat transactions in the ``n`` opportunities after the first one,
``t_x`` the opportunity of the last (``0`` when ``x = 0``), ``n`` the opportunities observed;
whole numbers with ``0 <= x <= t_x <= n``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, gammaln

from crmkit.errors import FitError, UsageError
from crmkit.models._base import FittedModel
from crmkit.models._compress import compress
from crmkit.models._validation import as_float_array, check_counts, check_weights

__all__ = ["BetaGeoBetaBinomModel", "fit_bgbb", "simulate_bgbb"]

_HINT = (
    "check that x counts repeat transactions, t_x is the opportunity of the last one "
    "(0 without any) and n the opportunities observed after the first transaction"
)


class BetaGeoBetaBinomModel(FittedModel):
    """BG/BB model (Fader, Hardie & Shang 2010).

    Parameters
    ----------
    max_iter : int, default 1000
        L-BFGS-B iterations per attempt.
    init_params : dict, optional
        Starting values ``{"alpha", "beta", "gamma", "delta"}`` for the first attempt.

    Attributes
    ----------
    params_ : dict
        ``alpha``, ``beta`` (beta heterogeneity of the transaction probability) and ``gamma``,
        ``delta`` (of the dropout probability).
    log_likelihood_, aic_, bic_, se_, n_iter_, converged_, n_customers_
        As for :class:`~crmkit.models.bgnbd.BetaGeoModel`.

    Examples
    --------
    >>> import numpy as np
    >>> x, t_x, n = simulate_bgbb(5000, 6, alpha=1.2, beta=0.75, gamma=0.66, delta=2.8,
    ...                           rng=np.random.default_rng(1))
    >>> model = BetaGeoBetaBinomModel().fit(x, t_x, n)
    >>> bool(0 <= model.p_alive([3], [6], [6])[0] <= 1)
    True
    """

    _names = ("alpha", "beta", "gamma", "delta")
    _model = "BG/BB"

    def fit(self, x, t_x, n, weights=None):
        """Fit by maximum likelihood; returns ``self``.

        Parameters
        ----------
        x, t_x, n : array_like
            Repeat transactions, opportunity of the last, opportunities observed.
        weights : array_like, optional
            How many customers each row stands for (default 1 each): a published table of
            ``(x, t_x, n)`` patterns with counts is fitted as it is.
        """
        x, t_x, n = _check_bgbb(x, t_x, n)
        w = check_weights(weights, x.size)
        (ux, ut, un), counts, _ = compress(x, t_x, n, weights=w)
        if not np.any(ux > 0):
            raise FitError(
                "the BG/BB model cannot be fitted: no customer made a repeat "
                "transaction (all x = 0), so transaction and dropout probabilities "
                "are not identified",
                hint=_HINT,
            )
        if np.all(ux == un):
            raise FitError(
                "the BG/BB model cannot be fitted: every customer transacted at every "
                "opportunity (x = n), so nobody shows a sign of dropping out",
                hint=_HINT,
            )
        guesses = [[1.0, 1.0, 1.0, 3.0], [0.5, 0.5, 0.5, 1.0]]
        return self._maximise(_NegLogLik(ux, ut, un, counts), self._starts(guesses), counts, _HINT)

    def log_likelihood(self, x, t_x, n) -> np.ndarray:
        """Each customer's log-likelihood (FHS 2010, the likelihood of section 2, in log space)."""
        alpha, beta, gamma, delta = self._values()
        x, t_x, n = _check_bgbb(x, t_x, n)
        return _logsumexp_rows(_log_terms(alpha, beta, gamma, delta, x, t_x, n))

    def p_alive(self, x, t_x, n) -> np.ndarray:
        """Probability each customer is still active at opportunity ``n + 1`` (FHS 2010, appendix):
        ``B(alpha+x, beta+n-x)/B(alpha,beta) B(gamma, delta+n+1)/B(gamma,delta) / L``."""
        alpha, beta, gamma, delta = self._values()
        x, t_x, n = _check_bgbb(x, t_x, n)
        log_lik = _logsumexp_rows(_log_terms(alpha, beta, gamma, delta, x, t_x, n))
        log_alive = (
            betaln(alpha + x, beta + n - x) - betaln(alpha, beta) + betaln(gamma, delta + n + 1) - betaln(gamma, delta)
        )
        return np.minimum(np.exp(log_alive - log_lik), 1.0)

    def expected_purchases(self, n_star, x, t_x, n) -> np.ndarray:
        """Expected transactions in the next ``n_star`` opportunities (FHS 2010, eq. 13).

        ``1/L B(alpha+x+1, beta+n-x)/B(alpha,beta) delta/(gamma-1) G(gamma+delta)/G(1+delta)
        [G(1+delta+n)/G(gamma+delta+n) - G(1+delta+n+n*)/G(gamma+delta+n+n*)]``, in log space;
        at gamma = 1, where the closed form is 0/0, its limit (a difference of digammas).
        """
        alpha, beta, gamma, delta = self._values()
        x, t_x, n = _check_bgbb(x, t_x, n)
        n_star = as_float_array(n_star, "n_star")
        if n_star.size == 1:
            n_star = np.full(x.size, n_star[0])
        if n_star.size != x.size or np.any(~np.isfinite(n_star) | (n_star < 0)):
            raise UsageError("n_star must be one number >= 0, or one per customer")
        log_lik = _logsumexp_rows(_log_terms(alpha, beta, gamma, delta, x, t_x, n))
        log_front = (
            betaln(alpha + x + 1, beta + n - x)
            - betaln(alpha, beta)
            - log_lik
            + np.log(delta)
            + gammaln(gamma + delta)
            - gammaln(1 + delta)
        )
        g_now = gammaln(1 + delta + n) - gammaln(gamma + delta + n)
        g_later = gammaln(1 + delta + n + n_star) - gammaln(gamma + delta + n + n_star)
        if abs(gamma - 1.0) < 1e-8:
            ratio = digamma(1 + delta + n + n_star) - digamma(1 + delta + n)
        else:
            ratio = -np.expm1(g_later - g_now) / (gamma - 1.0)
        return np.exp(log_front + g_now) * ratio


def fit_bgbb(x, t_x, n, weights=None, **settings) -> BetaGeoBetaBinomModel:
    """Fit a :class:`BetaGeoBetaBinomModel` in one call (``settings`` go to its constructor).

    Examples
    --------
    >>> model = fit_bgbb([0, 1, 2, 3, 6, 2], [0, 1, 5, 6, 6, 3], [6] * 6, weights=[30, 10, 8, 6, 9, 5])
    >>> model.converged_
    True
    """
    return BetaGeoBetaBinomModel(**settings).fit(x, t_x, n, weights=weights)


def _check_bgbb(x, t_x, n):
    x = check_counts(x, "x")
    t_x = check_counts(t_x, "t_x")
    n = check_counts(n, "n")
    if not (x.size == t_x.size == n.size):
        raise UsageError(f"x, t_x and n must have one value per customer (got {x.size}, {t_x.size} and {n.size})")
    if x.size == 0:
        raise UsageError("no customers: x, t_x and n are empty")
    bad = (x > t_x) | (t_x > n) | ((x == 0) != (t_x == 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise UsageError(
            f"BG/BB inputs need 0 <= x <= t_x <= n and t_x = 0 exactly when x = 0; "
            f"customer {i} has x = {x[i]:g}, t_x = {t_x[i]:g}, n = {n[i]:g}"
        )
    return x, t_x, n


def _log_terms(alpha, beta, gamma, delta, x, t_x, n):
    """Log of the likelihood's terms per customer (columns): alive through n, then, for
    i = 0 .. n - t_x - 1, alive through t_x + i and gone before the next opportunity.
    Columns past a customer's own n - t_x terms are -inf."""
    width = int(np.max(n - t_x)) if x.size else 0
    i = np.arange(width)[None, :]
    alive = t_x[:, None] + i  # opportunities survived
    valid = i < (n - t_x)[:, None]
    base = -betaln(alpha, beta) - betaln(gamma, delta)
    first = betaln(alpha + x, beta + n - x) + betaln(gamma, delta + n) + base
    with np.errstate(invalid="ignore"):
        rest = betaln(alpha + x[:, None], beta + alive - x[:, None]) + betaln(gamma + 1, delta + alive) + base
    rest = np.where(valid, rest, -np.inf)
    return np.concatenate([first[:, None], rest], axis=1)


def _logsumexp_rows(log_terms):
    top = np.max(log_terms, axis=1, keepdims=True)
    return np.log(np.exp(log_terms - top).sum(axis=1)) + top[:, 0]


class _NegLogLik:
    """Weighted negative log-likelihood over distinct ``(x, t_x, n)`` patterns, with its
    analytic gradient (digamma differences of each beta-function term)."""

    def __init__(self, x, t_x, n, weights):
        self.x, self.t_x, self.n, self.w = x, t_x, n, weights
        width = int(np.max(n - t_x))
        i = np.arange(width)[None, :]
        self.alive = np.concatenate([n[:, None], t_x[:, None] + i], axis=1)
        self.valid = np.concatenate([np.ones((x.size, 1), bool), i < (n - t_x)[:, None]], axis=1)
        self.is_first = np.zeros_like(self.valid)
        self.is_first[:, 0] = True

    def __call__(self, theta):
        alpha, beta, gamma, delta = np.exp(theta)
        x = self.x[:, None]
        m = np.where(self.valid, self.alive, 0.0)  # opportunities alive
        # Alive through n: gamma-part B(gamma, delta + n); gone after m: B(gamma + 1, delta + m).
        g_shift = np.where(self.is_first, 0.0, 1.0)
        log_terms = (
            betaln(alpha + x, beta + m - x)
            - betaln(alpha, beta)
            + betaln(gamma + g_shift, delta + m)
            - betaln(gamma, delta)
        )
        log_terms = np.where(self.valid, log_terms, -np.inf)
        log_lik = _logsumexp_rows(log_terms)
        share = np.where(self.valid, np.exp(log_terms - log_lik[:, None]), 0.0)
        psi_ab, psi_gd = digamma(alpha + beta), digamma(gamma + delta)
        d_alpha = digamma(alpha + x) - digamma(alpha + beta + m) - digamma(alpha) + psi_ab
        d_beta = digamma(beta + m - x) - digamma(alpha + beta + m) - digamma(beta) + psi_ab
        d_gamma = digamma(gamma + g_shift) - digamma(gamma + delta + g_shift + m) - digamma(gamma) + psi_gd
        d_delta = digamma(delta + m) - digamma(gamma + delta + g_shift + m) - digamma(delta) + psi_gd
        weighted = share * self.w[:, None]
        grad = np.array([np.sum(weighted * np.where(self.valid, d, 0.0)) for d in (d_alpha, d_beta, d_gamma, d_delta)])
        value = self.w @ log_lik
        return -value, -grad * np.array([alpha, beta, gamma, delta])


def simulate_bgbb(
    n_customers: int, n, *, alpha: float, beta: float, gamma: float, delta: float, rng: np.random.Generator
):
    """Draw ``(x, t_x, n)`` from the BG/BB model over ``n`` opportunities (scalar or per customer).

    Parameters
    ----------
    n_customers : int
        Number of customers.
    n : int or array_like
        Opportunities observed after the first transaction.
    alpha, beta, gamma, delta : float
        Model parameters.
    rng : numpy.random.Generator
        Source of randomness (pass a seeded one for reproducible draws).
    """
    n = np.broadcast_to(np.asarray(n, dtype=np.int64), (n_customers,)).copy()
    p = rng.beta(alpha, beta, n_customers)
    theta = rng.beta(gamma, delta, n_customers)
    # Opportunities survived: she is still there at opportunity t with probability (1-theta)^t.
    survived = np.minimum(rng.geometric(np.clip(theta, 1e-300, 1.0)) - 1, n)
    x = np.zeros(n_customers, dtype=np.int64)
    t_x = np.zeros(n_customers, dtype=np.int64)
    for t in range(1, int(n.max()) + 1 if n_customers else 1):
        buys = (t <= survived) & (rng.random(n_customers) < p)
        x += buys
        t_x[buys] = t
    return x.astype(np.float64), t_x.astype(np.float64), n.astype(np.float64)
