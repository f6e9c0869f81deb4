"""sBG: the shifted-beta-geometric model of contract renewals.

Fader & Hardie (2007), "How to project customer retention", *Journal of Interactive
Marketing* 21(1), 76-90. At the end of each contract period an active customer cancels with
her own probability ``theta``, constant over time; across customers ``theta ~ Beta(alpha,
beta)``. The lifetime ``T`` (the period in which she cancels, ``T = 1, 2, ...``) then has

* ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)``                 (FH 2007, eq. 5)
* ``S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)``                  (eq. 6)
* retention rate ``r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)`` (eq. 8),

rising with ``t`` because the customers who stay are the ones with a low ``theta``.

Data, per customer: ``renewals`` (how many renewal decisions she has passed, ``0, 1, ...``)
and ``churned`` (True when she then cancelled, i.e. ``T = renewals + 1``; False when she is
still active, right-censored: ``T > renewals``). A cohort's active counts ``n_0, n_1, ...,
n_k`` at the start of periods ``0 .. k`` give ``n_j - n_{j+1}`` churners with ``j`` renewals
and ``n_k`` survivors with ``k`` (:meth:`ShiftedBetaGeometricModel.fit_counts`).

Value (Fader & Hardie 2010, "Customer-base valuation in a contractual setting: the perils of
ignoring heterogeneity", *Marketing Science* 29(1), 85-93), with discount rate ``d`` per
period and one unit of value paid at the start of each period survived:

* ``DEL = sum_t S(t) / (1+d)^t = 2F1(1, beta; alpha + beta; 1/(1+d))``   (FH 2010, eq. 3),
  for a customer about to start her first period;
* ``DERL(d | n - 1 renewals) = (beta + n - 1)/(alpha + beta + n - 1) * 2F1(1, beta + n;
  alpha + beta + n; 1/(1+d))`` (FH 2010, eq. 6), for a customer at the end of her ``n``-th
  period, before her next renewal decision (the next payment, if she renews, is not
  discounted). In this module's terms a customer with ``k`` renewals so far has ``n = k + 1``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import betaln, digamma, hyp2f1

from crmkit.errors import FitError, UsageError
from crmkit.models._base import FittedModel
from crmkit.models._validation import as_float_array, check_counts, check_weights

__all__ = ["ShiftedBetaGeometricModel", "fit_sbg"]

_HINT = (
    "renewals counts the renewal decisions a customer has passed (0, 1, ...) and churned says "
    "whether she cancelled at the next one; a cohort table needs non-increasing active counts"
)


class ShiftedBetaGeometricModel(FittedModel):
    """Shifted-beta-geometric model of contract renewals (Fader & Hardie 2007).

    Parameters
    ----------
    max_iter : int, default 1000
        L-BFGS-B iterations per attempt.
    init_params : dict, optional
        Starting values ``{"alpha", "beta"}`` for the first attempt.

    Attributes
    ----------
    params_ : dict
        ``alpha``, ``beta`` of the beta distribution of the cancellation probability.
    log_likelihood_, aic_, bic_, se_, cov_, n_iter_, converged_, n_customers_, n_rows_
        As for the other :class:`~crmkit.models._base.FittedModel` models; ``cov_`` is the
        ``(2, 2)`` covariance of ``(alpha, beta)`` (inverse observed information).

    Examples
    --------
    >>> model = ShiftedBetaGeometricModel().fit_counts([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(model.params_["alpha"], 3), round(model.params_["beta"], 3)
    (0.704, 1.182)
    """

    _names = ("alpha", "beta")
    _model = "sBG"

    def fit(self, renewals, churned, weights=None):
        """Fit by maximum likelihood on per-customer data; returns ``self``.

        Parameters
        ----------
        renewals : array_like
            Renewal decisions each customer has passed (whole numbers >= 0).
        churned : array_like of bool
            True when the customer cancelled at her next decision (``T = renewals + 1``),
            False when she is still active (``T > renewals``).
        weights : array_like, optional
            How many customers each row stands for.
        """
        renewals, churned = _check(renewals, churned)
        w = check_weights(weights, renewals.size)
        w = np.ones(renewals.size) if w is None else w
        # compress: one row per (renewals, churned) pattern
        key = renewals * 2 + churned
        uniq, inverse = np.unique(key, return_inverse=True)
        counts = np.bincount(inverse, weights=w)
        keep = counts > 0
        uniq, counts = uniq[keep], counts[keep]
        ur, uc = np.floor(uniq / 2), (uniq % 2).astype(bool)
        if not np.any(uc):
            raise FitError(
                "the sBG model cannot be fitted: nobody cancelled, so the cancellation probability is not identified",
                hint=_HINT,
            )
        if not np.any(ur > 0):
            raise FitError(
                "the sBG model cannot be fitted: only the first renewal decision is observed, "
                "so the spread of the cancellation probability is not identified",
                hint=_HINT,
            )
        # Start from the first-period churn rate with a moderate spread (alpha + beta = 2).
        churn1 = float(np.clip(np.sum(counts[uc & (ur == 0)]) / counts.sum(), 0.05, 0.95))
        guesses = [[2 * churn1, 2 * (1 - churn1)], [1.0, 1.0]]
        return self._maximise(_NegLogLik(ur, uc, counts), self._starts(guesses), counts, _HINT)

    def fit_counts(self, active):
        """Fit on one cohort's active counts at the start of periods ``0 .. k``; returns ``self``.

        ``active[0]`` is the cohort size; ``active[j] - active[j+1]`` customers cancelled
        after ``j`` renewals and ``active[k]`` are still active after ``k``.
        """
        renewals, churned, weights = counts_to_customers(active)
        return self.fit(renewals, churned, weights=weights)

    # --- predictions -------------------------------------------------------------------------

    def survival(self, t) -> np.ndarray:
        """``S(t) = B(alpha, beta + t) / B(alpha, beta)`` (FH 2007, eq. 6): share still active
        after ``t`` renewal decisions (``S(0) = 1``)."""
        alpha, beta = self._values()
        t = _periods(t, "t")
        return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))

    def churn_probability(self, t) -> np.ndarray:
        """``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)`` (FH 2007, eq. 5), ``t >= 1``."""
        alpha, beta = self._values()
        t = _periods(t, "t", low=1)
        return np.exp(betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta))

    def retention_rate(self, t) -> np.ndarray:
        """``r(t) = (beta + t - 1) / (alpha + beta + t - 1)`` (FH 2007, eq. 8): the share of those
        active in period ``t - 1`` who renew for period ``t`` (``t >= 1``)."""
        alpha, beta = self._values()
        t = _periods(t, "t", low=1)
        return (beta + t - 1) / (alpha + beta + t - 1)

    def expected_lifetime(self) -> float:
        """``E[T] = (alpha + beta - 1) / (alpha - 1)`` periods (``E[1/theta]``); infinite when
        ``alpha <= 1`` (the heavy tail of loyal customers)."""
        alpha, beta = self._values()
        return (alpha + beta - 1) / (alpha - 1) if alpha > 1 else math.inf

    def discounted_expected_lifetime(self, discount: float) -> float:
        """DEL (FH 2010, eq. 3): ``2F1(1, beta; alpha + beta; 1/(1+d))`` periods of value for a
        customer about to start her first period (first payment undiscounted)."""
        alpha, beta = self._values()
        z = _z(discount)
        return float(_hyp(beta, alpha + beta, z))

    def derl(self, discount: float, renewals) -> np.ndarray:
        """DERL (FH 2010, eq. 6) for active customers with ``renewals`` renewals so far.

        ``(beta + n - 1)/(alpha + beta + n - 1) 2F1(1, beta + n; alpha + beta + n; 1/(1+d))``
        with ``n = renewals + 1``: the discounted periods still to be paid for, the next one
        (paid if she renews at her coming decision) undiscounted.
        """
        alpha, beta = self._values()
        z = _z(discount)
        n = _periods(renewals, "renewals") + 1
        return (beta + n - 1) / (alpha + beta + n - 1) * _hyp(beta + n, alpha + beta + n, z)


def fit_sbg(renewals, churned, weights=None, **settings) -> ShiftedBetaGeometricModel:
    """Fit a :class:`ShiftedBetaGeometricModel` on per-customer data in one call."""
    return ShiftedBetaGeometricModel(**settings).fit(renewals, churned, weights=weights)


def counts_to_customers(active) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A cohort's active counts -> ``(renewals, churned, weights)`` rows (churners per period,
    then the survivors)."""
    n = check_counts(active, "active")
    if n.size < 2:
        raise UsageError("a cohort needs its active counts for at least two periods (start and one renewal)")
    if n[0] <= 0:
        raise UsageError("a cohort must start with at least one active customer")
    drops = n[:-1] - n[1:]
    if np.any(drops < 0):
        j = int(np.flatnonzero(drops < 0)[0])
        raise UsageError(
            f"active counts must not increase: period {j + 1} has {n[j + 1]:g} after {n[j]:g} (a cohort "
            "only loses customers)"
        )
    k = n.size - 1
    renewals = np.append(np.arange(k, dtype=np.float64), float(k))
    churned = np.append(np.ones(k, dtype=bool), False)
    return renewals, churned, np.append(drops, n[-1])


def _check(renewals, churned):
    renewals = check_counts(renewals, "renewals")
    churned_raw = np.asarray(churned)
    if churned_raw.ndim == 0:
        churned_raw = churned_raw.reshape(1)
    if churned_raw.dtype != bool:
        values = as_float_array(churned_raw, "churned")
        if np.any((values != 0) & (values != 1)):
            raise UsageError("churned must be True/False (or 1/0) per customer")
        churned_raw = values == 1
    if churned_raw.size != renewals.size:
        raise UsageError(
            f"renewals and churned must have one value per customer (got {renewals.size} and {churned_raw.size})"
        )
    if renewals.size == 0:
        raise UsageError("no customers: renewals and churned are empty")
    return renewals, churned_raw


def _periods(t, name: str, low: int = 0) -> np.ndarray:
    t = as_float_array(t, name)
    if np.any(~np.isfinite(t) | (t < low)):
        raise UsageError(f"{name} must be numbers >= {low}")
    return t


def _z(discount: float) -> float:
    d = float(discount)
    if not (math.isfinite(d) and d > 0):
        raise UsageError(f"discount must be a rate > 0 per period (0.1 = 10%), not {discount!r}")
    return 1.0 / (1.0 + d)


def _hyp(b, c, z):
    """``2F1(1, b; c; z)`` for ``0 < z < 1``; the series sum of ``S(n+k)/S(n) z^k`` when
    scipy's value is not finite (it converges geometrically, as fast as ``z^k``)."""
    b = np.asarray(b, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    value = np.asarray(hyp2f1(1.0, b, c, z), dtype=np.float64)
    bad = ~np.isfinite(value)
    if bad.any():
        bb, cc = np.broadcast_to(b, value.shape)[bad], np.broadcast_to(c, value.shape)[bad]
        term, total = np.ones_like(bb), np.ones_like(bb)
        for k in range(int(math.log(1e-16) / math.log(z)) + 1):
            term = term * (bb + k) / (cc + k) * z
            total = total + term
        value = value.copy()
        value[bad] = total
    return value


class _NegLogLik:
    """Weighted sBG negative log-likelihood over distinct ``(renewals, churned)`` patterns and
    its analytic gradient in the log-parameters (digamma differences of the beta functions)."""

    def __init__(self, renewals, churned, weights):
        self.r, self.c, self.w = renewals, churned.astype(np.float64), weights

    def __call__(self, theta):
        alpha, beta = np.exp(theta)
        # churned: B(alpha + 1, beta + r); censored: B(alpha, beta + r) -- both over B(alpha, beta)
        a = alpha + self.c
        b = beta + self.r
        value = self.w @ (betaln(a, b) - betaln(alpha, beta))
        psi0 = digamma(alpha + beta)
        psi_ab = digamma(a + b)
        d_alpha = self.w @ (digamma(a) - psi_ab - digamma(alpha) + psi0)
        d_beta = self.w @ (digamma(b) - psi_ab - digamma(beta) + psi0)
        return -float(value), -np.array([d_alpha * alpha, d_beta * beta])
