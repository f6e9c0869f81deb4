"""Hierarchical normal model of net transaction value (which may be negative).

The Gamma-Gamma model (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value",
brucehardie.com/notes/025) needs every transaction value to be positive. Net values -- a
margin after returns, discounts or refunds -- can be zero or negative, and then the
Gamma-Gamma likelihood does not exist. This module fits the normal-normal model of parametric
empirical Bayes (Morris 1983, "Parametric empirical Bayes inference: theory and
applications", *Journal of the American Statistical Association* 78(381), 47-55; applied to
customer value by e.g. Glady, Baesens & Croux 2009, "A modified Pareto/NBD approach for
predicting customer lifetime value", *Expert Systems with Applications* 36(2)):

* customer ``i``'s long-run mean value ``m_i ~ N(mu, tau^2)`` across customers;
* her ``x_i`` observed transactions have mean ``mbar_i | m_i ~ N(m_i, sigma^2 / x_i)``;
* so ``mbar_i ~ N(mu, tau^2 + sigma^2 / x_i)``, fitted by maximum likelihood over
  ``(mu, log tau, log sigma)`` with the analytic gradient; the spread of the means across
  customers with different ``x`` separates ``tau`` from ``sigma``. When each customer's sample
  variance of her transaction values is known, ``(x_i - 1) s_i^2 / sigma^2 ~ chi^2_{x_i - 1}``
  adds the within-customer information (and identifies ``sigma`` when all ``x`` are equal).

The expected value of a customer's next transaction is the posterior mean (Morris 1983,
eq. 1.5): ``(tau^2 mbar_i + (sigma^2/x_i) mu) / (tau^2 + sigma^2/x_i)``: her own mean shrunk
towards ``mu``, the less the more transactions she has; ``mu`` for ``x = 0``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

from crmkit.errors import FitError, UsageError
from crmkit.models._base import FittedModel
from crmkit.models._validation import as_float_array, check_counts, check_weights

__all__ = ["NormalSpendModel", "fit_normalspend", "simulate_normalspend"]

_HINT = (
    "fit on customers with at least one transaction, using the mean net value of those "
    "transactions (not their total), in one currency"
)
_LOG_EDGE = 20.0


class NormalSpendModel(FittedModel):
    """Hierarchical normal spend model (Morris 1983 normal-normal empirical Bayes).

    Parameters
    ----------
    max_iter : int, default 1000
        L-BFGS-B iterations per attempt.
    init_params : dict, optional
        Starting values ``{"mu", "tau", "sigma"}`` for the first attempt.

    Attributes
    ----------
    params_ : dict
        ``mu`` (population mean value per transaction, any sign), ``tau`` (sd of the customer
        means) and ``sigma`` (sd of one transaction's value around its customer's mean).
    log_likelihood_, aic_, bic_, se_, cov_, n_iter_, converged_, n_customers_, n_rows_
        As for the other models; ``cov_`` is the ``(3, 3)`` covariance of ``(mu, tau, sigma)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).integers(1, 10, 4000).astype(float)
    >>> m = simulate_normalspend(x, mu=5.0, tau=8.0, sigma=20.0, rng=np.random.default_rng(2))
    >>> model = NormalSpendModel().fit(x, m)
    >>> abs(model.params_["mu"] - 5.0) < 1.0
    True
    """

    _names = ("mu", "tau", "sigma")
    _model = "normal spend"

    @classmethod
    def from_params(cls, **params):
        """A model with known ``mu`` (any finite number), ``tau`` and ``sigma`` (> 0)."""
        mu = params.get("mu")
        try:
            mu_value = float(mu)
        except (TypeError, ValueError):
            raise UsageError(f"normal spend parameter mu must be a number, not {mu!r}") from None
        if not math.isfinite(mu_value):
            raise UsageError(f"normal spend parameter mu must be finite, not {mu!r}")
        model = super().from_params(**{**params, "mu": 1.0})
        model.params_ = {"mu": mu_value, **{k: v for k, v in model.params_.items() if k != "mu"}}
        return model

    def fit(self, x, mean_value, weights=None, within_variance=None):
        """Fit by maximum likelihood on the customers with ``x > 0``; returns ``self``.

        Parameters
        ----------
        x : array_like
            Transactions behind each customer's mean (customers with 0 are ignored).
        mean_value : array_like
            Mean net value of those transactions (any sign).
        weights : array_like, optional
            How many customers each row stands for.
        within_variance : array_like, optional
            Each customer's sample variance (``ddof=1``) of her transaction values; used where
            ``x >= 2`` and finite.
        """
        x, m = _check_spend(x, mean_value)
        w = check_weights(weights, x.size)
        w = np.ones(x.size) if w is None else w
        keep = (x > 0) & (w > 0)
        if not keep.any():
            raise FitError("the normal spend model cannot be fitted: no customer has a transaction (x > 0)", hint=_HINT)
        bad = keep & ~np.isfinite(m)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise UsageError(f"mean_value must be a finite number where x > 0; customer {i} has {m[i]}", hint=_HINT)
        s2 = None
        if within_variance is not None:
            s2 = as_float_array(within_variance, "within_variance")
            if s2.size != x.size:
                raise UsageError("within_variance must have one value per customer")
            if np.any(np.isfinite(s2) & (s2 < 0)):
                raise UsageError("within_variance must be >= 0")
            s2 = s2[keep]
        x, m, w = x[keep], m[keep], w[keep]
        has_within = s2 is not None and bool(np.any((x >= 2) & np.isfinite(s2)))
        if np.unique(m).size < 2:
            raise FitError("the normal spend model cannot be fitted: all mean values are equal", hint=_HINT)
        if np.unique(x).size < 2 and not has_within:
            raise FitError(
                "the normal spend model cannot be fitted: every customer has the same number of "
                "transactions, so the spread between customers (tau) and within them (sigma) "
                "cannot be told apart from the means alone",
                hint="pass within_variance (each customer's variance of her transaction values)",
            )
        neg = _NegLogLik(x, m, w, s2)
        self.n_customers_ = float(w.sum())
        mean = float(w @ m / w.sum())
        var = max(float(w @ (m - mean) ** 2 / w.sum()), 1e-12)
        typical = float(np.median(x))
        guesses = [[mean, math.sqrt(var / 2), math.sqrt(var * typical / 2)], [mean, math.sqrt(var), math.sqrt(var)]]
        if self.init_params is not None:
            init = type(self).from_params(**self.init_params).params_
            guesses = [[init["mu"], init["tau"], init["sigma"]], guesses[0]]
        return self._optimise(neg, guesses, float(w.sum()), int(x.size))

    def _optimise(self, neg, guesses, n_customers: float, n_rows: int):
        from scipy.optimize import minimize

        scale = 1.0 / n_customers
        best = None
        attempts = []
        for guess in guesses:
            start = np.array([guess[0], math.log(max(guess[1], 1e-8)), math.log(max(guess[2], 1e-8))])

            def objective(theta):
                with np.errstate(all="ignore"):
                    value, grad = neg.log_space(theta)
                if not (math.isfinite(value) and np.all(np.isfinite(grad))):
                    return 1e300, np.zeros(3)
                return value * scale, grad * scale

            result = minimize(
                objective,
                start,
                jac=True,
                method="L-BFGS-B",
                bounds=[(None, None), (-_LOG_EDGE, _LOG_EDGE), (-_LOG_EDGE, _LOG_EDGE)],
                options={"maxiter": self.max_iter, "ftol": 1e-14, "gtol": 1e-9},
            )
            attempts.append(result)
            if best is None or result.fun < best.fun:
                best = result
        assert best is not None
        if not np.all(np.isfinite(best.x)) or best.fun >= 1e299:
            raise FitError("the normal spend fit failed: the likelihood could not be evaluated", hint=_HINT)
        mu, log_tau, log_sigma = best.x
        if log_tau < -_LOG_EDGE + 1e-3 or abs(log_sigma) > _LOG_EDGE - 1e-3:
            raise FitError(
                "the normal spend fit ran to the edge: the customers' means show no spread beyond "
                f"what their own transactions explain (tau -> 0 at mu = {mu:.4g}), or sigma degenerates",
                hint="use the population mean as everyone's expected spend, or pass within_variance",
            )
        params = {"mu": float(mu), "tau": float(math.exp(log_tau)), "sigma": float(math.exp(log_sigma))}
        cov = _covariance(neg, np.array([params["mu"], params["tau"], params["sigma"]]))
        if cov is None:
            raise FitError("the normal spend fit has no well-defined optimum (flat likelihood)", hint=_HINT)
        log_lik = -float(best.fun) / scale
        self.params_ = params
        self.log_likelihood_ = log_lik
        self.aic_ = 6 - 2 * log_lik
        self.bic_ = 3 * math.log(n_customers) - 2 * log_lik
        self.cov_ = cov
        self.se_ = {name: float(math.sqrt(cov[i, i])) for i, name in enumerate(self._names)}
        self.n_iter_ = int(sum(a.nit for a in attempts))
        self.converged_ = bool(best.success) or bool(np.max(np.abs(best.jac)) < 1e-6)
        self.n_customers_ = n_customers
        self.n_rows_ = n_rows
        return self

    def log_likelihood(self, x, mean_value) -> np.ndarray:
        """Each customer's log-likelihood of her mean value (marginal normal); NaN where x = 0."""
        mu, tau, sigma = self._values()
        x, m = _check_spend(x, mean_value)
        with np.errstate(all="ignore"):
            v = tau**2 + sigma**2 / x
            ll = -0.5 * (np.log(2 * np.pi * v) + (m - mu) ** 2 / v)
        return np.where(x > 0, ll, np.nan)

    def expected_spend(self, x, mean_value) -> np.ndarray:
        """Posterior mean of a customer's mean value (Morris 1983, eq. 1.5).

        ``(tau^2 mbar + (sigma^2/x) mu) / (tau^2 + sigma^2/x)``; ``mu`` where ``x = 0``.
        """
        mu, tau, sigma = self._values()
        x, m = _check_spend(x, mean_value)
        weight = self.shrinkage_weight(x)
        m = np.where(x > 0, np.nan_to_num(m), 0.0)
        return weight * m + (1.0 - weight) * mu

    def shrinkage_weight(self, x) -> np.ndarray:
        """Weight on the customer's own mean: ``tau^2 / (tau^2 + sigma^2/x)`` (0 for x = 0)."""
        mu, tau, sigma = self._values()
        x = check_counts(x, "x")
        with np.errstate(divide="ignore"):
            return np.where(x > 0, tau**2 * x / (tau**2 * x + sigma**2), 0.0)

    def posterior_variance(self, x) -> np.ndarray:
        """Posterior variance of a customer's mean value: ``1 / (1/tau^2 + x/sigma^2)``."""
        mu, tau, sigma = self._values()
        x = check_counts(x, "x")
        return 1.0 / (1.0 / tau**2 + x / sigma**2)


def fit_normalspend(x, mean_value, weights=None, **settings) -> NormalSpendModel:
    """Fit a :class:`NormalSpendModel` in one call (``settings`` go to its constructor)."""
    return NormalSpendModel(**settings).fit(x, mean_value, weights=weights)


def simulate_normalspend(x, *, mu: float, tau: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Draw each customer's mean of ``x`` transaction values from the model (NaN where x = 0)."""
    x = check_counts(x, "x")
    m = rng.normal(mu, tau, x.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        mbar = rng.normal(m, sigma / np.sqrt(np.where(x > 0, x, 1.0)))
    return np.where(x > 0, mbar, np.nan)


def _check_spend(x, mean_value):
    x = check_counts(x, "x")
    m = as_float_array(mean_value, "mean_value")
    if m.size != x.size:
        raise UsageError(f"x and mean_value must have one value per customer (got {x.size} and {m.size})")
    if x.size == 0:
        raise UsageError("no customers: x and mean_value are empty")
    return x, m


class _NegLogLik:
    """Negative log-likelihood and its gradient, in natural ``(mu, tau, sigma)`` and in the
    optimiser's ``(mu, log tau, log sigma)``."""

    def __init__(self, x, m, w, s2):
        self.x, self.m, self.w = x, m, w
        if s2 is not None:
            use = (x >= 2) & np.isfinite(s2)
            self.k = np.where(use, x - 1.0, 0.0)
            self.s2 = np.where(use, s2, 0.0)
        else:
            self.k = self.s2 = None

    def natural(self, params):
        mu, tau, sigma = params
        v = tau**2 + sigma**2 / self.x
        r = self.m - mu
        ll = -0.5 * (np.log(2 * np.pi * v) + r**2 / v)
        dv = -0.5 * (1.0 / v - r**2 / v**2)
        g_mu = self.w @ (r / v)
        g_tau = self.w @ (dv * 2 * tau)
        g_sigma = self.w @ (dv * 2 * sigma / self.x)
        value = float(self.w @ ll)
        if self.k is not None:
            k, s2 = self.k, self.s2
            # log density of s^2 with (k s^2 / sigma^2) ~ chi^2_k, the sigma-dependent part plus constants
            with np.errstate(divide="ignore", invalid="ignore"):
                dens = np.where(
                    k > 0,
                    (k / 2) * np.log(k / (2 * sigma**2))
                    - gammaln(np.maximum(k, 1) / 2)
                    + (k / 2 - 1) * np.log(np.where(s2 > 0, s2, 1.0))
                    - k * s2 / (2 * sigma**2),
                    0.0,
                )
            value += float(self.w @ dens)
            g_sigma += self.w @ (-k / sigma + k * s2 / sigma**3)
        return -value, -np.array([g_mu, g_tau, g_sigma])

    def log_space(self, theta):
        mu, lt, ls = theta
        tau, sigma = math.exp(lt), math.exp(ls)
        value, grad = self.natural((mu, tau, sigma))
        return value, grad * np.array([1.0, tau, sigma])


def _covariance(neg: _NegLogLik, params: np.ndarray) -> np.ndarray | None:
    """Inverse observed information at the optimum (central differences of the analytic
    gradient on the natural scale)."""
    k = params.size
    hess = np.empty((k, k))
    for i in range(k):
        step = 1e-5 * max(abs(params[i]), 1e-3)
        up, down = params.copy(), params.copy()
        up[i] += step
        down[i] -= step
        hess[:, i] = (neg.natural(up)[1] - neg.natural(down)[1]) / (2 * step)
    hess = 0.5 * (hess + hess.T)
    if not np.all(np.isfinite(hess)) or np.any(np.linalg.eigvalsh(hess) <= 0):
        return None
    cov = np.linalg.inv(hess)
    return 0.5 * (cov + cov.T)
