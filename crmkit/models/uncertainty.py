"""Intervals for CLV forecasts: the parameters' sampling uncertainty and the purchase process.

Two sources of uncertainty are carried into a forecast:

* **parameter uncertainty**: the maximum-likelihood estimates are asymptotically normal with the
  inverse observed information as covariance (``cov_`` of a fitted model; e.g. Pawitan 2001, *In
  All Likelihood*, section 9.2). Per customer it is propagated either by **parametric draws**
  (log-parameters ``theta ~ N(theta_hat, S)``, ``S`` the covariance moved to the log scale, each
  draw evaluated and the draws' quantiles taken: the maximum-likelihood analogue of the posterior
  draws pymc-marketing's intervals come from, and of the bootstrap refits CLVTools offers) or, by
  default and to keep a 1M-row run fast, by
  the **delta method** on a scale where the quantity is unbounded (logit for P(alive), log for
  expected purchases, spend and CLV), with the Jacobian by forward differences of the model's own
  predictions: ``Var g(theta_hat) ~ J S J'`` (Casella & Berger 2002, *Statistical Inference*,
  theorem 5.5.24). Both give intervals of the *conditional expectation*, not of what a customer
  will do;
* **process uncertainty** of totals: even with known parameters, how many purchases the
  customers make is random. Given the parameters, customers are independent, so the variance of
  a total is the sum of each customer's conditional variance of her future count, here estimated
  by simulating her future from the posterior given her history (BG/NBD: Fader, Hardie & Lee
  2005, *Marketing Science* 24(2), and their note 021 on P(alive); Pareto/NBD: Fader & Hardie
  2005, note 009, section 5.1; BG/BB: Fader, Hardie & Shang 2010): alive with P(alive); if
  alive, ``lambda ~ Gamma(r + x, alpha + T)`` and the dropout per the model (BG/NBD
  ``p ~ Beta(a, b + x)``, MBG/NBD ``Beta(a, b + x + 1)``, Pareto/NBD ``mu ~ Gamma(s, beta + T)``,
  BG/BB ``p ~ Beta(alpha + x, beta + n - x)``, ``theta ~ Beta(gamma, delta + n + 1)``). Above
  ``SIMULATION_BUDGET / draws`` customers a fixed random subsample estimates the sum (scaled by
  n / m: unbiased).

A total's interval is normal, ``estimate +- z sqrt(parameter variance + process variance)``
(clipped at 0 for counts). On seeded simulations its 90% interval of aggregate holdout purchases
covers the realised total at close to the nominal rate (``tests/test_clv_intervals.py``,
``tests/test_clv_intervals_pnbd.py``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np
from scipy.special import expit, logit, ndtri

__all__ = [
    "clv_band",
    "clv_totals",
    "customer_bands",
    "delta_interval",
    "draw_interval",
    "has_covariance",
    "log_covariance",
    "parameter_draws",
    "parameter_gradient",
    "process_variance",
    "simulate_future",
    "total_interval",
    "with_params",
]

#: Forward-difference step in the log-parameters for the Jacobians (relative change 1e-5).
STEP = 1e-5
#: Simulated futures (customers x draws) for the process variance; above it, a subsample of the
#: customers (5,000 at 200 draws). On the 1M-row benchmark file 20,000 customers took 1.6 s of
#: random draws for a variance whose subsample error moves the interval's width by well under 1%.
SIMULATION_BUDGET = 1_000_000
_TINY = 1e-12


def _z(level: float) -> float:
    if not 0 < level < 1:
        from crmkit.errors import UsageError

        raise UsageError(f"an interval level is between 0 and 1 (such as 0.9), not {level}")
    return float(ndtri(0.5 + level / 2))


def _values(model) -> np.ndarray:
    return np.array([model.params_[name] for name in model._names], dtype=float)


def _working(model) -> tuple[np.ndarray, np.ndarray]:
    """The working scale of each parameter: its log when positive (the scale the fits maximise
    on), itself otherwise (a mean that can be negative, as the normal spend model's ``mu``).
    Returns ``(theta, positive)``."""
    p = _values(model)
    positive = p > 0
    return np.where(positive, np.log(np.where(positive, p, 1.0)), p), positive


def _natural(theta, positive) -> np.ndarray:
    return np.where(positive, np.exp(theta), theta)


def log_covariance(model) -> np.ndarray:
    """Covariance of the working-scale parameters (the log of each positive one), in ``_names``
    order: ``cov_ / (d d')`` with ``d = p`` for a positive parameter and 1 otherwise.

    Raises :class:`~crmkit.errors.UsageError` for a model without ``cov_`` (built with
    ``from_params``, or without a positive-definite information matrix).
    """
    cov = getattr(model, "cov_", None)
    if cov is None:
        from crmkit.errors import UsageError

        raise UsageError(
            f"{type(model).__name__} has no parameter covariance (cov_): intervals need a model fitted to data"
        )
    cov = np.asarray(cov, dtype=float)
    p = _values(model)
    d = np.where(p > 0, p, 1.0)
    return cov / np.outer(d, d)


def with_params(model, values) -> object:
    """A shallow copy of ``model`` predicting with natural-scale ``values`` (in ``_names`` order)."""
    other = copy.copy(model)
    other.params_ = dict(zip(model._names, (float(v) for v in values)))
    return other


def parameter_draws(model, draws: int, seed: int = 0) -> np.ndarray:
    """``draws`` parameter vectors (natural scale, ``(draws, k)``) from the fitted sampling
    distribution: log-parameters ``~ N(log p_hat, cov_ / (p p'))`` (a parameter that can be
    negative is drawn on its own scale)."""
    theta, positive = _working(model)
    rng = np.random.default_rng(seed)
    return _natural(rng.multivariate_normal(theta, log_covariance(model), size=int(draws), method="cholesky"), positive)


def _transform(kind: str):
    if kind == "logit":
        return (lambda v: logit(np.clip(v, _TINY, 1 - _TINY))), expit
    if kind == "log":
        return (lambda v: np.log(np.maximum(v, _TINY))), np.exp
    return (lambda v: v), (lambda v: v)


def parameter_gradient(model, predict: Callable, base=None) -> tuple[np.ndarray, np.ndarray]:
    """Prediction and its forward-difference Jacobian in the working-scale parameters (the log
    of each positive parameter, see :func:`log_covariance`).

    Parameters
    ----------
    model : fitted model
    predict : callable
        ``predict(model) -> ndarray`` (one value per customer, or any fixed shape).
    base : ndarray, optional
        ``predict(model)`` when already computed.

    Returns
    -------
    value : ndarray
    jacobian : ndarray
        Shape ``(k,) + value.shape``: d value / d log-parameter.
    """
    value = np.asarray(predict(model) if base is None else base, dtype=float)
    theta, positive = _working(model)
    jac = np.empty((theta.size,) + value.shape)
    for i in range(theta.size):
        up = theta.copy()
        # a relative step on the log scale; on a parameter's own scale, relative to its size
        step = STEP if positive[i] else STEP * max(1.0, abs(theta[i]))
        up[i] += step
        jac[i] = (np.asarray(predict(with_params(model, _natural(up, positive))), dtype=float) - value) / step
    return value, jac


def delta_interval(model, predict: Callable, level: float, *, scale: str = "log", base=None):
    """Delta-method interval of ``predict(model)`` on a transformed scale.

    ``g = transform(predict(theta))`` has variance ``J S J'`` (``J`` by forward differences of
    ``g``, ``S`` the covariance of the log-parameters); the interval ``g +- z sd`` is mapped back.

    Parameters
    ----------
    scale : {"log", "logit", "identity"}
        ``logit`` for probabilities, ``log`` for positive quantities.

    Returns
    -------
    estimate, low, high, variance : ndarray
        ``variance`` is that of ``g`` (on the transformed scale).
    """
    forward, back = _transform(scale)
    value = np.asarray(predict(model) if base is None else base, dtype=float)
    g0 = forward(value)
    _, jac = parameter_gradient(model, lambda m: forward(np.asarray(predict(m), dtype=float)), base=g0)
    var = _quadratic(jac, log_covariance(model))
    sd = np.sqrt(var) * _z(level)
    # the clipping of a probability at 1 - 1e-12 must not put the estimate outside its interval,
    # nor narrow a certain one (P(alive) = 1 for a BG/NBD customer without repeats) to 1 - 1e-12
    low = np.where(sd > 0, np.minimum(back(g0 - sd), value), value)
    high = np.where(sd > 0, np.maximum(back(g0 + sd), value), value)
    return value, low, high, var


def _quadratic(jac, cov) -> np.ndarray:
    """``J' S J`` for each element: ``sum_ij J_i S_ij J_j`` with ``jac`` of shape (k, ...)."""
    k = jac.shape[0]
    flat = jac.reshape(k, -1)
    return np.einsum("in,ij,jn->n", flat, cov, flat).reshape(jac.shape[1:]).clip(0.0)


def draw_interval(model, predict: Callable, level: float, *, draws: int = 200, seed: int = 0):
    """Interval of ``predict(model)`` from parametric draws (quantiles over the draws).

    The reference the delta method is checked against: each of ``draws`` parameter vectors from
    :func:`parameter_draws` is evaluated; the interval is the draws' ``(1 - level) / 2`` and
    ``(1 + level) / 2`` quantiles.

    Returns
    -------
    estimate, low, high : ndarray
    """
    _z(level)
    value = np.asarray(predict(model), dtype=float)
    sims = np.array(
        [np.asarray(predict(with_params(model, p)), dtype=float) for p in parameter_draws(model, draws, seed)]
    )
    low, high = np.quantile(sims, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return value, low, high


def simulate_future(model, t: float, x, t_x, T, *, draws: int, rng: np.random.Generator) -> np.ndarray | None:
    """Future purchase counts in ``(T, T + t]`` drawn from each customer's posterior.

    See the module docstring for the posterior of each model. Returns ``(draws, n)``; None for a
    model without a known posterior (the caller falls back to a Poisson variance).
    """
    name = type(model).__name__
    x, t_x, T = (np.asarray(c, dtype=float) for c in (x, t_x, T))
    n = x.size
    shape = (draws, n)
    alive = rng.random(shape) < np.clip(np.asarray(model.p_alive(x, t_x, T), dtype=float), 0.0, 1.0)
    params = model.params_
    if name in ("BetaGeoModel", "ModifiedBetaGeoModel", "ParetoNBDModel"):
        lam = rng.gamma(params["r"] + x, 1.0 / (params["alpha"] + T), shape)
        if name == "ParetoNBDModel":
            mu = rng.gamma(params["s"], 1.0 / (params["beta"] + T), shape)
            life = np.minimum(rng.exponential(1.0, shape) / np.maximum(mu, 1e-300), t)
            count = rng.poisson(lam * life)
        else:
            extra = 1.0 if name == "ModifiedBetaGeoModel" else 0.0
            p = rng.beta(params["a"], params["b"] + x + extra, shape)
            # purchases until the one after which she leaves (that one included): geometric on 1, 2, ...
            left = rng.geometric(np.clip(p, 1e-12, 1.0))
            count = np.minimum(left, rng.poisson(lam * t))
    elif name == "BetaGeoBetaBinomModel":
        p = rng.beta(params["alpha"] + x, params["beta"] + T - x, shape)
        theta = rng.beta(params["gamma"], params["delta"] + T + 1, shape)
        # alive at the next opportunity: she is there for a geometric number of opportunities
        present = np.minimum(rng.geometric(np.clip(theta, 1e-12, 1.0)), int(round(t)))
        count = rng.binomial(present, p)
    else:
        return None
    return np.where(alive, count, 0).astype(float)


def process_variance(
    model, t: float, x, t_x, T, *, draws: int = 200, seed: int = 0, weights=None, max_customers: int | None = None
):
    """Sum over customers of the conditional variance of future purchases in ``(T, T + t]``.

    Each customer's variance is estimated from ``draws`` futures simulated from her posterior
    (:func:`simulate_future`); above ``max_customers`` customers (default
    ``SIMULATION_BUDGET / draws``, at least 2,000) a fixed random subsample is simulated and its
    sum scaled up by n / m. ``weights`` (optional: one per customer, or a
    ``(q, n)`` array of q weightings, e.g. the squared value of a purchase) weight each
    customer's variance: ``sum_i w_i Var_i``.

    Returns
    -------
    variance : float, or ndarray of q values with 2-D ``weights``
    method : str
        ``"simulation"``, ``"simulation (subsample of m)"`` or, for a model without a known
        posterior, ``"poisson approximation"`` (variance = expected purchases).
    """
    x, t_x, T = (np.asarray(c, dtype=float) for c in (x, t_x, T))
    n = x.size
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    rng = np.random.default_rng(seed)
    pick = np.arange(n)
    method = "simulation"
    if max_customers is None:
        max_customers = max(2_000, SIMULATION_BUDGET // max(int(draws), 2))
    if n > max_customers:
        pick = np.sort(rng.choice(n, max_customers, replace=False))
        method = f"simulation (subsample of {max_customers:,})"
    sims = simulate_future(model, t, x[pick], t_x[pick], T[pick], draws=max(int(draws), 2), rng=rng)
    if sims is None:
        expected = np.asarray(model.expected_purchases(t, x, t_x, T), dtype=float)
        total = w @ expected
        return (float(total) if np.ndim(total) == 0 else total), "poisson approximation"
    total = (n / pick.size) * (w[..., pick] @ sims.var(axis=0, ddof=1))
    return (float(total) if np.ndim(total) == 0 else total), method


def total_interval(estimate: float, variance: float, level: float, *, floor: float | None = 0.0) -> tuple[float, float]:
    """Normal interval ``estimate +- z sqrt(variance)`` of a total (cut at ``floor``)."""
    half = _z(level) * math.sqrt(max(variance, 0.0))
    low, high = estimate - half, estimate + half
    if floor is not None:
        low = max(low, floor)
    return float(low), float(high)


def has_covariance(model) -> bool:
    """Whether ``model`` is a fitted maximum-likelihood model with a parameter covariance."""
    return model is not None and getattr(model, "cov_", None) is not None and bool(getattr(model, "_names", ()))


def customer_bands(
    model, forecast: Callable, history, level: float, *, spend_model=None, spend: Callable | None = None
):
    """Per-customer delta-method intervals of P(alive), expected purchases, spend and the
    discounted purchases a CLV multiplies, from the parameters' sampling uncertainty.

    Parameters
    ----------
    model : fitted transaction model (with ``cov_``)
    forecast : callable
        ``forecast(model) -> (expected, discounted)`` per customer (e.g.
        :func:`crmkit.models._forecast.discounted_forecast` at fixed horizon and rate).
    history : tuple of ndarray
        ``(x, t_x, T)`` (BG/BB: ``(x, t_x, n)``).
    level : float
    spend_model : fitted spend model, optional
        With ``cov_``; without one, spend is treated as known.
    spend : callable, optional
        ``spend(spend_model) -> expected spend`` per customer.

    Returns
    -------
    dict
        ``p_alive``, ``expected``, ``discounted``, ``spend``: each ``(estimate, low, high)``;
        ``var_log_discounted``, ``var_log_spend`` (log-scale variances; NaN where not positive);
        ``grad_expected``, ``grad_discounted`` (``(k, n)`` Jacobians in the log-parameters),
        ``grad_spend`` (or None), ``cov`` and ``spend_cov`` (log-parameter covariances).
    """
    z = _z(level)
    cov = log_covariance(model)
    p_alive = delta_interval(model, lambda m: m.p_alive(*history), level, scale="logit")[:3]
    base = np.asarray(forecast(model), dtype=float)
    _, jac = parameter_gradient(model, lambda m: np.asarray(forecast(m), dtype=float), base=base)
    out: dict = {"p_alive": p_alive, "cov": cov, "grad_expected": jac[:, 0], "grad_discounted": jac[:, 1]}
    for key, j in (("expected", 0), ("discounted", 1)):
        value = base[j]
        with np.errstate(divide="ignore", invalid="ignore"):
            var = _quadratic(jac[:, j] / value, cov)
        var = np.where(value > 0, var, np.nan)
        sd = z * np.sqrt(var)
        out[key] = (value, value * np.exp(-sd), value * np.exp(sd))
        out[f"var_log_{key}"] = var
    out["grad_spend"], out["spend_cov"] = None, None
    if spend is not None:
        value = np.asarray(spend(spend_model), dtype=float)
        var_log = np.zeros(value.shape)
        low = high = value
        if has_covariance(spend_model):
            scov = log_covariance(spend_model)
            _, sjac = parameter_gradient(spend_model, lambda m: np.asarray(spend(m), dtype=float), base=value)
            var_nat = _quadratic(sjac, scov)
            with np.errstate(divide="ignore", invalid="ignore"):
                var_log = np.where(value > 0, var_nat / value**2, np.nan)
            positive = value > 0
            sd_log, sd_nat = z * np.sqrt(np.nan_to_num(var_log)), z * np.sqrt(var_nat)
            # log scale for positive spend (Gamma-Gamma), natural scale where a net mean can be <= 0
            low = np.where(positive, value * np.exp(-sd_log), value - sd_nat)
            high = np.where(positive, value * np.exp(sd_log), value + sd_nat)
            out["grad_spend"], out["spend_cov"] = sjac, scov
        out["spend"] = (value, low, high)
        out["var_log_spend"] = var_log
    return out


def clv_band(bands: dict, margin, level: float):
    """Per-customer CLV interval, ``margin x spend x discounted purchases``.

    The spend and transaction fits are separate likelihoods, so their estimates are independent
    and the log-scale variances add: ``Var log CLV = Var log spend + Var log discounted``; where
    spend or the discounted purchases are not positive, the first-order variance of the product
    on the natural scale is used. Returns ``(estimate, low, high)``.
    """
    z = _z(level)
    d, _, _ = bands["discounted"]
    s, s_low, s_high = bands["spend"]
    margin = np.asarray(margin, dtype=float)
    clv = margin * s * d
    var_log = np.nan_to_num(bands["var_log_discounted"]) + np.nan_to_num(bands["var_log_spend"])
    sd = z * np.sqrt(var_log)
    positive = (s > 0) & (d > 0)
    var_s = ((s_high - s_low) / (2 * z)) ** 2
    var_nat = s**2 * np.nan_to_num(bands["var_log_discounted"]) * d**2 + d**2 * var_s
    half = np.abs(margin) * z * np.sqrt(var_nat)
    low = np.where(positive, clv * np.exp(-sd * np.sign(margin)), clv - half)
    high = np.where(positive, clv * np.exp(sd * np.sign(margin)), clv + half)
    return clv, np.minimum(low, high), np.maximum(low, high)


def clv_totals(
    model, bands: dict, margin, history, *, horizon: float, level: float, draws: int = 200, seed: int = 0
) -> list:
    """Totals over customers with intervals: expected purchases over the horizon and CLV.

    Parameter variance by the delta method (the gradient of the total is the sum of the
    customers' gradients); purchase-process variance by :func:`process_variance` (for the CLV,
    each customer's variance weighted by her squared value per purchase, ``(margin x spend x
    discounted / expected)^2``: the spend of each purchase at its expectation). For an infinite
    horizon only the parameter part is given. Returns a list of dicts (``quantity, estimate, low,
    high, method``).
    """
    expected = bands["expected"][0]
    discounted = bands["discounted"][0]
    spend = bands["spend"][0]
    margin = np.asarray(margin, dtype=float) * np.ones_like(spend)
    cov = bands["cov"]
    rows = []
    finite = math.isfinite(horizon)
    process = "not included (infinite horizon)"
    if finite:
        g = bands["grad_expected"].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_purchase = np.where(expected > 0, margin * spend * discounted / expected, 0.0)
        weights = np.vstack([np.ones_like(expected), per_purchase**2])
        (pvar, clv_pvar), process = process_variance(model, horizon, *history, draws=draws, seed=seed, weights=weights)
        estimate = float(expected.sum())
        low, high = total_interval(estimate, float(g @ cov @ g) + pvar, level)
        rows.append(
            {
                "quantity": "expected_purchases",
                "estimate": estimate,
                "low": low,
                "high": high,
                "method": f"delta method + process {process}",
            }
        )
    value = margin * spend
    g = bands["grad_discounted"] @ value
    var = float(g @ cov @ g)
    if bands.get("grad_spend") is not None:
        gs = bands["grad_spend"] @ (margin * discounted)
        var += float(gs @ bands["spend_cov"] @ gs)
    if finite:
        var += clv_pvar
    estimate = float(np.sum(value * discounted))
    low, high = total_interval(estimate, var, level, floor=None)
    method = "delta method" + (f" + process {process}" if finite else " (parameters only)")
    rows.append({"quantity": "clv", "estimate": estimate, "low": low, "high": high, "method": method})
    return rows
