"""BG/NBD: beta-geometric / negative-binomial model of repeat purchasing.

Fader, Hardie & Lee (2005), "'Counting your customers' the easy way: an alternative to the
Pareto/NBD model", *Marketing Science* 24(2), 275-284. While active, a customer buys at a
Poisson rate ``lambda ~ Gamma(r, alpha)``; after each repeat purchase she drops out with
probability ``p ~ Beta(a, b)``.

Input per customer (one time unit throughout, e.g. weeks): ``x`` repeat purchases after the
first, ``t_x`` the time of the last one and ``T`` the time observed, both from the first
purchase (``t_x = 0`` when ``x = 0``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln

from crmkit.errors import UsageError
from crmkit.models._base import RepeatBuyingModel
from crmkit.models._hyp2f1 import log_hyp2f1
from crmkit.models._sums import dot
from crmkit.models._validation import as_float_array, check_horizon, check_summary

__all__ = ["BetaGeoModel", "fit_bgnbd", "simulate_bgnbd"]

_HINT = (
    "check that t_x and T are in one time unit and measured from each customer's first "
    "purchase; a calibration period with few repeat purchases cannot separate buying from "
    "dropping out: lengthen it, or try the Pareto/NBD model"
)


class BetaGeoModel(RepeatBuyingModel):
    """BG/NBD model (Fader, Hardie & Lee 2005).

    Parameters
    ----------
    max_iter : int, default 1000
        L-BFGS-B iterations per attempt.
    init_params : dict, optional
        Starting values ``{"r", "alpha", "a", "b"}`` for the first attempt.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (gamma purchase-rate heterogeneity; ``alpha`` in the time unit of the
        data) and ``a``, ``b`` (beta dropout-probability heterogeneity).
    log_likelihood_, aic_, bic_ : float
        Maximised log-likelihood (eq. 6 summed over customers), AIC and BIC.
    se_ : dict
        Standard errors of the parameters (observed information).
    n_iter_ : int
        L-BFGS-B iterations, all attempts.
    converged_ : bool
        Whether the optimiser met its tolerance.
    n_customers_ : float
        Customers (sum of weights) the fit used.

    Examples
    --------
    >>> import numpy as np
    >>> x, t_x, T = simulate_bgnbd(5000, 52.0, r=0.25, alpha=4.0, a=0.8, b=2.5,
    ...                            rng=np.random.default_rng(1))
    >>> model = BetaGeoModel().fit(x, t_x, T)
    >>> sorted(model.params_)
    ['a', 'alpha', 'b', 'r']
    >>> bool(model.expected_purchases(39.0, 2, 30.43, 38.86) > 0)
    True
    """

    _names = ("r", "alpha", "a", "b")
    _model = "BG/NBD"
    _unidentified = "purchase rate and dropout"
    _hint = _HINT

    def _guesses(self, mean_rate: float, mean_age: float) -> list:
        return [[1.0, 1.0 / mean_rate, 1.0, 2.0], [0.3, 0.3 / mean_rate, 0.7, 2.5]]

    def log_likelihood(self, x, t_x, T) -> np.ndarray:
        """Each customer's log-likelihood (eq. 6, in log space: finite for x in the thousands)."""
        r, alpha, a, b = self._values()
        x, t_x, T = check_summary(x, t_x, T)
        return _log_lik(r, alpha, a, b, x, t_x, T)

    def p_alive(self, x, t_x, T) -> np.ndarray:
        """Probability each customer is still active at ``T`` (Fader, Hardie & Lee,
        "Computing P(alive) using the BG/NBD model", brucehardie.com/notes/021).

        ``1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))``: a customer
        without repeat purchases cannot have dropped out (dropout follows a purchase).
        """
        r, alpha, a, b = self._values()
        x, t_x, T = check_summary(x, t_x, T)
        return _p_alive(r, alpha, a, b, x, t_x, T)

    def expected_purchases(self, t, x, t_x, T) -> np.ndarray:
        """Expected purchases in the next ``t`` time units, per customer (FHL 2005, eq. 10).

        ``(a + b + x - 1) / (a - 1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
        2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] * P(alive)``; the 2F1 is taken after Euler's
        transformation, ``(1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(c-r-x, a-1; c; z)``,
        which stays bounded for heavy buyers where the untransformed factor overflows.

        Parameters
        ----------
        t : float or array_like
            Horizon (same unit as ``T``); a scalar applies to every customer.
        x, t_x, T : array_like
            The customers' summaries.
        """
        r, alpha, a, b = self._values()
        x, t_x, T = check_summary(x, t_x, T)
        t = check_horizon(t, x.size)
        given_alive = _expected_if_alive(t, r, alpha, a, b + x, x, T)
        return given_alive * _p_alive(r, alpha, a, b, x, t_x, T)

    def _expected_given_alive(self, t, x, T) -> np.ndarray:
        """The first factor of :meth:`expected_purchases`, E[purchases in t | alive at T]: it
        does not depend on t_x, so a forecast can evaluate it per distinct (x, T) and multiply by
        :meth:`p_alive` (inputs already checked; ``t`` one value per row)."""
        r, alpha, a, b = self._values()
        return _expected_if_alive(t, r, alpha, a, b + x, x, T)

    def expected_purchases_population(self, t) -> np.ndarray:
        """Expected purchases of a new customer in ``(0, t]`` after the first (FHL 2005, eq. 9).

        ``(a + b - 1) / (a - 1) [1 - (alpha / (alpha + t))^r 2F1(r, b; a + b - 1; t / (alpha + t))]``.
        """
        r, alpha, a, b = self._values()
        t = as_float_array(t, "t")
        if np.any(~np.isfinite(t) | (t < 0)):
            raise UsageError("t must be finite and >= 0")
        zeros = np.zeros_like(t)
        return _expected_if_alive(t, r, alpha, a, b + zeros, zeros, zeros)


def fit_bgnbd(x, t_x, T, weights=None, **settings) -> BetaGeoModel:
    """Fit a :class:`BetaGeoModel` in one call (``settings`` go to its constructor).

    Examples
    --------
    >>> import numpy as np
    >>> x, t_x, T = simulate_bgnbd(2000, 52.0, r=0.25, alpha=4.0, a=0.8, b=2.5,
    ...                            rng=np.random.default_rng(0))
    >>> fit_bgnbd(x, t_x, T).converged_
    True
    """
    return BetaGeoModel(**settings).fit(x, t_x, T, weights=weights)


# --------------------------------------------------------------------------- likelihood


def _log_lik(r, alpha, a, b, x, t_x, T):
    """Eq. 6 in log space: log of B(a,b+x)/B(a,b) G(r+x) a^r / (G(r) (alpha+T)^(r+x))
    + [x > 0] B(a+1,b+x-1)/B(a,b) G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))."""
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    term1 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    pos = x > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        term2 = np.where(
            pos, betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b) - (r + x) * np.log(alpha + t_x), -np.inf
        )
    return common + np.logaddexp(term1, term2)


class _NegLogLik:
    """Weighted negative log-likelihood over distinct rows and its analytic gradient in the
    log-parameters.

    Everything that depends on x alone is computed per distinct x (a few hundred values at
    most); per row remain two reciprocals, two logarithms, a softplus and a logistic, and the
    sums over rows run in one thread (:func:`~crmkit.models._sums.dot`). Row
    arrays are preallocated and written in place: on 1M customers, fresh temporaries made an
    evaluation 1.5-3x slower (page faults on every new 8 MB array).
    """

    def __init__(self, x, t_x, T, weights):
        zero = x == 0
        self.T0 = T[zero]
        self.w0 = weights[zero]
        self.W0 = float(self.w0.sum())
        pos = ~zero
        self.x = x[pos]
        self.t_x = t_x[pos]
        self.T = T[pos]
        self.w = weights[pos]
        self.ux, self.xi = np.unique(self.x, return_inverse=True)
        self.w_by_x = np.bincount(self.xi, weights=self.w, minlength=self.ux.size)
        self.W1 = float(self.w_by_x.sum())
        self.wx = self.w * self.x
        self.wx_by_x = self.w_by_x * self.ux
        n0, n1 = self.T0.size, self.x.size
        self._buf0 = np.empty(n0)
        self._buf = np.empty((6, n1))

    def __call__(self, theta):
        r, alpha, a, b = np.exp(theta)
        log_alpha = np.log(alpha)
        # x = 0: log L = r log(alpha / (alpha + T)) (the beta ratio is 1).
        inv0 = np.add(self.T0, alpha, out=self._buf0)
        np.reciprocal(inv0, out=inv0)
        sum_inv0 = dot(self.w0, inv0)
        nlog0 = np.log(inv0, out=inv0)  # -log(alpha + T)
        g_r = self.W0 * log_alpha + dot(self.w0, nlog0)
        value = r * g_r
        g_alpha = r * (self.W0 / alpha - sum_inv0)
        g_a = g_b = 0.0
        if self.x.size:
            ux, xi, w = self.ux, self.xi, self.w
            inv_t, inv_tx, nlog_t, nlog_tx, diff, tmp = self._buf
            np.add(self.T, alpha, out=inv_t)
            np.reciprocal(inv_t, out=inv_t)
            np.add(self.t_x, alpha, out=inv_tx)
            np.reciprocal(inv_tx, out=inv_tx)
            np.log(inv_t, out=nlog_t)  # -log(alpha + T)
            np.log(inv_tx, out=nlog_tx)  # -log(alpha + t_x)
            beta_ab = betaln(a, b)
            common = gammaln(r + ux) - gammaln(r) + r * log_alpha
            beta1 = betaln(a, b + ux) - beta_ab
            beta2 = betaln(a + 1, b + ux - 1) - beta_ab
            # log L = common + term2 + softplus(term1 - term2), with
            # term2 = beta2 - (r + x) log(alpha + t_x) and
            # term1 - term2 = (beta1 - beta2) - (r + x) (log(alpha + T) - log(alpha + t_x)).
            log_ratio = np.subtract(nlog_tx, nlog_t, out=nlog_t)  # log((alpha+T)/(alpha+t_x))
            np.take(beta1 - beta2, xi, out=diff)
            np.add(self.x, r, out=tmp)
            tmp *= log_ratio
            diff -= tmp
            sum_wx_nlog_tx = dot(self.wx, nlog_tx)
            sum_w_nlog_tx = dot(w, nlog_tx)
            softplus = np.logaddexp(0.0, diff, out=tmp)
            value += self.w_by_x @ (common + beta2) + r * sum_w_nlog_tx + sum_wx_nlog_tx + dot(w, softplus)
            share1 = expit(diff, out=diff)  # weight of the "still alive" term
            ws1 = np.multiply(w, share1, out=tmp)
            w1_by_x = np.bincount(xi, weights=ws1, minlength=ux.size)
            w2_by_x = self.w_by_x - w1_by_x
            sum_ws1_ratio = dot(ws1, log_ratio)
            d_inv = np.subtract(inv_t, inv_tx, out=inv_t)
            sum_ws1_dinv = dot(ws1, d_inv)
            wxs1 = np.multiply(self.wx, share1, out=tmp)
            sum_wxs1_dinv = dot(wxs1, d_inv)
            psi_ab, psi_abx = digamma(a + b), digamma(a + b + ux)
            d1_a = psi_ab - psi_abx
            d1_b = digamma(b + ux) - psi_abx - digamma(b) + psi_ab
            d2_a = digamma(a + 1) - psi_abx - digamma(a) + psi_ab
            d2_b = digamma(b + ux - 1) - psi_abx - digamma(b) + psi_ab
            g_r += self.w_by_x @ (digamma(r + ux) - digamma(r) + log_alpha) + sum_w_nlog_tx - sum_ws1_ratio
            g_alpha += (
                (r / alpha) * self.W1 - r * dot(w, inv_tx) - dot(self.wx, inv_tx) - r * sum_ws1_dinv - sum_wxs1_dinv
            )
            g_a = w1_by_x @ d1_a + w2_by_x @ d2_a
            g_b = w1_by_x @ d1_b + w2_by_x @ d2_b
        grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
        return -value, -grad


# --------------------------------------------------------------------------- predictions


def _p_alive(r, alpha, a, b, x, t_x, T):
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = (
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
    return np.where(x > 0, expit(-log_odds), 1.0)


def _expected_if_alive(t, r, alpha, a, b_post, x, T):
    """E[purchases in (T, T+t] | alive at T] for BG-type dropout after each purchase, with
    lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b_post) (b_post = b + x for the BG/NBD,
    b + x + 1 for the MBG/NBD): ``(a + b_post - 1)/(a - 1) [1 - (1-z)^(r+x) 2F1(r + x, b_post;
    a + b_post - 1; z)]``, z = t / (alpha + T + t)."""
    t, x, T, b_post = np.broadcast_arrays(t, x, T, b_post)
    if abs(a - 1.0) < 1e-7:
        # Removable singularity at a = 1: the closed form is 0/0 there; average both sides.
        return 0.5 * (
            _expected_if_alive(t, r, alpha, 1.0 - 2e-7, b_post, x, T)
            + _expected_if_alive(t, r, alpha, 1.0 + 2e-7, b_post, x, T)
        )
    c = a + b_post - 1.0
    log_1mz = np.log(alpha + T) - np.log(alpha + T + t)  # log(1 - z), exact for small t
    z = t / (alpha + T + t)
    # Euler: (1-z)^(r+x) 2F1(r+x, b_post; c; z) = (1-z)^(a-1) 2F1(c-r-x, a-1; c; z).
    with np.errstate(all="ignore"):
        log_h = (a - 1.0) * log_1mz + log_hyp2f1(c - r - x, a - 1.0, c, z)
    bad = ~np.isfinite(log_h)
    if bad.any():
        log_h = np.array(log_h, copy=True)
        log_h[bad] = (r + x[bad]) * log_1mz[bad] + log_hyp2f1(r + x[bad], b_post[bad], c[bad], z[bad])
    value = (c / (a - 1.0)) * -np.expm1(log_h)
    bad = ~np.isfinite(value) | (c <= 0)
    if bad.any():
        # Where the closed form is undefined (a + b_post - 1 = 0) or 2F1 cannot be evaluated.
        value = np.array(value, copy=True)
        value[bad] = _expected_if_alive_quadrature(t[bad], r, alpha, a, b_post[bad], x[bad], T[bad])
    return np.where(t > 0, np.maximum(value, 0.0), 0.0)


def _expected_if_alive_quadrature(t, r, alpha, a, b_post, x, T, nodes: int = 200):
    """The same expectation as the mean over p ~ Beta(a, b_post) of (1/p)(1 - (1 + p tau)^-(r+x)),
    tau = t / (alpha + T) (FHL 2005, the integral behind eq. 10), by Gauss-Jacobi quadrature."""
    from scipy.special import roots_jacobi

    out = np.empty(t.size)
    tau = t / (alpha + T)
    for b_value in np.unique(b_post):
        rows = b_post == b_value
        y, weight = roots_jacobi(nodes, b_value - 1.0, a - 1.0)  # (1-y)^(b-1) (1+y)^(a-1)
        p = 0.5 * (1.0 + y)
        k = (r + x[rows])[:, None]
        g = -np.expm1(-k * np.log1p(p[None, :] * tau[rows][:, None])) / p[None, :]
        out[rows] = g @ weight / weight.sum()
    return out


# --------------------------------------------------------------------------- simulation


def simulate_bgnbd(n_customers: int, T, *, r: float, alpha: float, a: float, b: float, rng: np.random.Generator):
    """Draw ``(x, t_x, T)`` summaries from the BG/NBD model.

    Parameters
    ----------
    n_customers : int
        Number of customers.
    T : float or array_like
        Time observed per customer (a scalar applies to all).
    r, alpha, a, b : float
        Model parameters.
    rng : numpy.random.Generator
        Source of randomness (pass a seeded one for reproducible draws).

    Returns
    -------
    x, t_x, T : numpy.ndarray
    """
    return _simulate_bg(n_customers, T, r, alpha, a, b, rng, toss_at_first=False)


def _simulate_bg(n_customers, T, r, alpha, a, b, rng, *, toss_at_first: bool):
    """BG-type dropout (a coin with P(leave) = p ~ Beta(a, b) after each repeat purchase, and
    for the MBG/NBD at the first purchase too) over Poisson purchasing at lambda ~ Gamma(r, alpha)."""
    T = np.broadcast_to(np.asarray(T, dtype=np.float64), (n_customers,)).copy()
    lam = rng.gamma(r, 1.0 / alpha, n_customers)
    p = rng.beta(a, b, n_customers)
    # Repeat purchases made before dropping out (the last one triggers the dropout; with the
    # coin tossed at the first purchase as well, zero is possible, P = p)...
    alive_purchases = rng.geometric(np.clip(p, 1e-300, 1.0))
    if toss_at_first:
        alive_purchases = alive_purchases - 1
    # ...of which those before T are seen; given n arrivals in (0, T], the x-th arrival time is
    # T times a Beta(x, n - x + 1) order statistic.
    arrivals = rng.poisson(lam * T)
    x = np.minimum(alive_purchases, arrivals)
    t_x = np.zeros(n_customers)
    pos = x > 0
    t_x[pos] = T[pos] * rng.beta(x[pos], arrivals[pos] - x[pos] + 1)
    return x.astype(np.float64), t_x, T


BetaGeoModel._neg_log_lik = _NegLogLik
