"""When will a customer buy next? The conditional distribution of the time to the next purchase.

For the continuous-time models (BG/NBD, MBG/NBD, Pareto/NBD) a customer alive at ``T`` with
history ``(x, t_x, T)`` has purchase rate ``lambda ~ Gamma(r + x, alpha + T)`` (Fader, Hardie &
Lee 2005, "Counting your customers the easy way", Marketing Science 24(2), eq. 10's derivation;
Fader & Hardie 2005, "A note on deriving the Pareto/NBD model", section 5), independent of the
dropout parameters. Her next purchase on her own purchase clock comes an ``Exp(lambda)`` time
later, so the waiting time ``W`` is Lomax (Pareto type II):

    P(W > w | alive) = ((alpha + T) / (alpha + T + w))^(r + x),
    w_q = (alpha + T) ((1 - q)^(-1 / (r + x)) - 1).

What is conditioned on, precisely:

* BG/NBD and MBG/NBD: dropout happens only right after a purchase, so an alive customer's next
  purchase is certain: the Lomax is the exact distribution of ``W`` given alive at ``T``.
* Pareto/NBD: the lifetime can end before the next purchase. The Lomax is the distribution of
  the purchase clock given alive at ``T``; because the posterior lifetime is independent of
  ``lambda`` given alive, it is also ``P(bought by T + w | still a customer at T + w)``: "when will
  she next buy, if she is still a customer then" -- the question a planner asks. The chance
  that she buys at all, lifetime competing, is :func:`p_purchase_within`.
* BG/BB (discrete opportunities; Fader, Hardie & Shang 2010, Marketing Science 29(6)): alive
  at opportunity ``n + 1``, ``p ~ Beta(alpha + x, beta + n - x)`` and her next transaction is at
  opportunity ``n + K`` with ``K`` beta-geometric, ``P(K > k) = B(alpha', beta' + k) / B(alpha',
  beta')`` (given still a customer at ``n + k``; the dropout ``theta`` is independent of ``p``
  given alive). Quantiles are whole opportunities (1 = the next one).

Times are in model-clock periods (the unit of ``T``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, roots_legendre

from crmkit.errors import UsageError
from crmkit.models._compress import compress
from crmkit.models._validation import as_float_array, check_summary
from crmkit.models.bgbb import BetaGeoBetaBinomModel, _check_bgbb
from crmkit.models.bgnbd import BetaGeoModel
from crmkit.models.dert import p_alive_distinct
from crmkit.models.mbgnbd import ModifiedBetaGeoModel
from crmkit.models.pnbd import ParetoNBDModel

__all__ = ["next_purchase_time", "p_purchase_within"]

#: Gauss-Legendre nodes for the Pareto/NBD's competing-lifetime integral (in log(1 + w/A),
#: where the integrand is a smooth sum of exponentials: 48 nodes give ~1e-12 against quad).
_PNBD_NODES = 48


def _kind(model) -> str:
    if getattr(model, "per_customer", False):
        raise UsageError("the next-purchase distribution is not available for covariate models yet")
    for cls, kind in (
        (BetaGeoModel, "bg"),
        (ModifiedBetaGeoModel, "bg"),
        (ParetoNBDModel, "pnbd"),
        (BetaGeoBetaBinomModel, "bgbb"),
    ):
        if isinstance(model, cls):
            model._check_fitted()
            return kind
    raise UsageError(f"no next-purchase distribution for {type(model).__name__}")


def _levels(q) -> np.ndarray:
    q = as_float_array(q, "q")
    if np.any(~np.isfinite(q) | (q < 0) | (q > 1)):
        raise UsageError("quantile levels q must be between 0 and 1")
    return q


def next_purchase_time(model, x, t_x, T, q=(0.5,)) -> np.ndarray:
    """Quantiles of the time to each customer's next purchase, given alive (see the module text).

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel or BetaGeoBetaBinomModel
        A fitted model (or one from ``from_params``).
    x, t_x, T : array_like
        The customers' histories (for the BG/BB: ``x, t_x, n``).
    q : sequence of float, default (0.5,)
        Quantile levels in [0, 1] (0 gives 0, 1 gives inf).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(q), n_customers)``: model-clock periods after ``T`` (for the BG/BB whole
        opportunities after ``n``, at least 1).

    Examples
    --------
    >>> m = BetaGeoModel.from_params(r=1.0, alpha=2.0, a=1.0, b=1.0)
    >>> next_purchase_time(m, [0], [0.0], [2.0], q=[0.5]).round(6).tolist()
    [[4.0]]
    """
    kind = _kind(model)
    levels = _levels(q)
    if kind == "bgbb":
        return _bgbb_quantiles(model, levels, *_check_bgbb(x, t_x, T))
    x, t_x, T = check_summary(x, t_x, T)
    r, alpha = model.params_["r"], model.params_["alpha"]
    k = r + x
    with np.errstate(divide="ignore"):
        # (1 - q)^(-1/k) - 1 as expm1, exact for small q and heavy buyers
        growth = np.expm1(-np.log1p(-levels)[:, None] / k[None, :])
    return (alpha + T)[None, :] * growth


def _bgbb_quantiles(model, levels, x, t_x, n) -> np.ndarray:
    alpha, beta = model.params_["alpha"], model.params_["beta"]
    (ux, un), _, inverse = compress(x, n)
    a_post, b_post = alpha + ux, beta + un - ux
    out = np.empty((levels.size, ux.size))
    for i, level in enumerate(levels):
        out[i] = _beta_geometric_quantile(a_post, b_post, float(level))
    return out[:, inverse]


def _beta_geometric_quantile(a, b, level: float) -> np.ndarray:
    """Smallest whole k >= 1 with P(K <= k) = 1 - B(a, b + k) / B(a, b) >= level."""
    if level <= 0:
        return np.ones(a.size)
    if level >= 1:
        return np.full(a.size, np.inf)
    target = np.log1p(-level)

    def log_survival(k):
        return betaln(a, b + k) - betaln(a, b)

    # bracket the continuous root of log S(k) = log(1 - level), then bisect (S decreases in k)
    lo, hi = np.zeros(a.size), np.ones(a.size)
    for _ in range(1100):
        high = log_survival(hi) > target
        if not high.any():
            break
        lo = np.where(high, hi, lo)
        hi = np.where(high, hi * 2.0, hi)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        above = log_survival(mid) > target
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    k = np.maximum(np.ceil(hi - 1e-9 * np.maximum(hi, 1.0)), 1.0)
    # the rounding guard above may land one below: step up where S(k) is still above target
    k = np.where(log_survival(k) > target, k + 1.0, k)
    return np.where(np.isfinite(hi), k, np.inf)


def p_purchase_within(model, t, x, t_x, T) -> np.ndarray:
    """Probability of at least one purchase in ``(T, T + t]``, unconditionally (drop-out included).

    * BG/NBD, MBG/NBD: ``P(alive) [1 - ((alpha+T)/(alpha+T+t))^(r+x)]`` (an alive customer's next
      purchase is not pre-empted by dropout, which only follows a purchase).
    * Pareto/NBD: ``P(alive) E[lambda/(lambda+mu) (1 - exp(-(lambda+mu) t))]`` over the posterior
      ``lambda ~ Gamma(r+x, alpha+T)``, ``mu ~ Gamma(s, beta+T)``, i.e.
      ``P(alive) integral_0^t f_W(w) ((beta+T)/(beta+T+w))^s dw`` (the next purchase comes before
      the lifetime ends), by Gauss-Legendre quadrature in ``log(1 + w/(alpha+T))``.
    * BG/BB: ``P(alive at n+1) sum_{k=1}^{t} E[p (1-p)^(k-1)] E[(1-theta)^(k-1)]`` over the
      posterior ``p ~ Beta(alpha+x, beta+n-x)``, ``theta ~ Beta(gamma, delta+n+1)`` (``t`` in whole
      opportunities, rounded down).

    Parameters
    ----------
    model : fitted model (as for :func:`next_purchase_time`)
    t : float
        Horizon in model-clock periods (>= 0).
    x, t_x, T : array_like
        The customers' histories (for the BG/BB: ``x, t_x, n``).

    Examples
    --------
    >>> m = BetaGeoModel.from_params(r=1.0, alpha=2.0, a=1.0, b=1.0)
    >>> float(p_purchase_within(m, 4.0, [0], [0.0], [2.0])[0])
    0.5
    """
    kind = _kind(model)
    t = float(t)
    if not (np.isfinite(t) and t >= 0):
        raise UsageError(f"the horizon t must be finite and >= 0, not {t}")
    if kind == "bgbb":
        return _bgbb_within(model, t, *_check_bgbb(x, t_x, T))
    x, t_x, T = check_summary(x, t_x, T)
    p_alive = p_alive_distinct(model, x, t_x, T)
    r, alpha = model.params_["r"], model.params_["alpha"]
    if kind == "bg":
        return p_alive * -np.expm1(-(r + x) * np.log1p(t / (alpha + T)))
    s, beta = model.params_["s"], model.params_["beta"]
    (ux, uT), _, inverse = compress(x, T)
    k, A, B = r + ux, alpha + uT, beta + uT
    # v = log(1 + w/A): the Lomax density is k exp(-k v) dv; the lifetime survives w with
    # probability (1 + w/B)^-s, smooth in v as well
    top = np.log1p(t / A)
    y, weight = roots_legendre(_PNBD_NODES)
    v = 0.5 * top[:, None] * (y[None, :] + 1.0)
    w = A[:, None] * np.expm1(v)
    integrand = k[:, None] * np.exp(-k[:, None] * v - s * np.log1p(w / B[:, None]))
    within = 0.5 * top * (integrand @ weight)
    return p_alive * np.minimum(within[inverse], 1.0)


def _bgbb_within(model, t, x, t_x, n) -> np.ndarray:
    alpha, beta, gamma, delta = (model.params_[name] for name in ("alpha", "beta", "gamma", "delta"))
    p_alive = p_alive_distinct(model, x, t_x, n)
    (ux, un), _, inverse = compress(x, n)
    a_post, b_post, d_post = alpha + ux, beta + un - ux, delta + un + 1.0
    total = np.zeros(ux.size)
    for k in range(1, int(np.floor(t + 1e-9)) + 1):
        # first transaction at opportunity n + k: bought then, not at the k - 1 before, still there
        total += np.exp(
            betaln(a_post + 1.0, b_post + k - 1.0)
            - betaln(a_post, b_post)
            + betaln(gamma, d_post + k - 1.0)
            - betaln(gamma, d_post)
        )
    return p_alive * np.minimum(total[inverse], 1.0)
