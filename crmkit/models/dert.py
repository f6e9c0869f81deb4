"""Discounted expected residual transactions (DERT) and expected purchases over a future window.

DERT is the present value, in transactions, of a customer's whole future purchase stream (Fader,
Hardie & Lee 2005, "RFM and CLV: using iso-value curves for customer base analysis", *Journal of
Marketing Research* 42(4), 415-430, eq. 2 and appendix), continuously discounted at ``delta`` per
period:

    DERT = integral_0^inf exp(-delta t) dE[X(t) | x, t_x, T].

Value = margin x expected spend x DERT. The discount ``rate`` passed to the functions here is the
rate per model-clock period compounded once a period, as :func:`crmkit.clv.discounted_purchases`
takes it; the continuous rate is ``delta = log(1 + rate)`` (FHL's CDNOW example: 15% a year on
weekly data, ``delta = log(1.15) / 52 = 0.0027``), so a long finite horizon tends to the DERT.

* Pareto/NBD (FHL 2005, appendix): given alive, ``lambda ~ Gamma(r+x, alpha+T)`` and
  ``mu ~ Gamma(s, beta+T)`` are independent and DERT given ``(lambda, mu)`` is
  ``lambda / (mu + delta)``, so

      DERT = P(alive) (r+x)/(alpha+T) (beta+T)^s delta^(s-1) U(s, s; delta (beta+T)),

  ``U`` the confluent hypergeometric function of the second kind (``scipy.special.hyperu``).
* BG/NBD, MBG/NBD: given alive, ``E[X(t)] = f_x(t / (alpha+T))`` depends on ``T`` only through
  the scale ``alpha + T``, so ``DERT = P(alive) integral_0^inf c exp(-c tau) f_x(tau) dtau`` with
  ``c = delta (alpha+T)`` (by parts), integrated by the double-exponential (exp-sinh) rule on
  fixed nodes: ``f_x`` is evaluated once per distinct ``x`` on the nodes, each distinct
  ``(x, T)`` is then a dot product.
* BG/BB (Fader, Hardie & Shang 2010, Marketing Science 29(6), eq. 14): discrete opportunities,
  the next one discounted by ``1/(1+d)``:
  ``DERT = P(alive) (alpha+x)/(alpha+beta+n) 2F1(1, delta+n+1; gamma+delta+n+1; 1/(1+d)) / (1+d)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import exprel, hyp2f1, hyperu, roots_legendre

from crmkit.errors import UsageError
from crmkit.models._compress import compress
from crmkit.models._forecast import forecast_steps
from crmkit.models._validation import check_summary
from crmkit.models.bgbb import BetaGeoBetaBinomModel, _check_bgbb
from crmkit.models.bgnbd import BetaGeoModel
from crmkit.models.mbgnbd import ModifiedBetaGeoModel
from crmkit.models.pnbd import ParetoNBDModel

__all__ = ["dert", "dert_numeric", "p_alive_distinct", "window_purchases"]

#: exp-sinh rule: tau = exp(pi/2 sinh(u)), u in [-4.6, 3.2] by 1/24 (tau from 1e-43 to 1.3e8).
#: Against the Pareto/NBD closed form it is exact to 1e-9 relative for c = delta (alpha + T) in
#: [1e-5, 100]; beyond tau = 1.3e8 the discount exp(-c tau) has vanished for c > 3e-7.
_U = np.arange(-4.6, 3.2 + 1e-9, 1.0 / 24.0)
_TAU = np.exp(0.5 * np.pi * np.sinh(_U))
_TAU_WEIGHT = (1.0 / 24.0) * _TAU * 0.5 * np.pi * np.cosh(_U)
#: Gauss-Legendre nodes per window, in log(alpha + T + t), where E[X(t)] is smooth: 20 nodes give
#: 1e-14 on years 1-3 of weekly data and 5e-11 from now to 10,000 weeks (against the DERT).
_WINDOW_NODES = 20


def _delta(rate: float, continuous: bool) -> float:
    rate = float(rate)
    if not (math.isfinite(rate) and rate > 0):
        raise UsageError(f"DERT needs a positive discount rate per period, not {rate}")
    return rate if continuous else math.log1p(rate)


def p_alive_distinct(model, x, t_x, T) -> np.ndarray:
    """``model.p_alive`` evaluated once per distinct history (inputs already checked)."""
    (ux, ut, uT), _, inverse = compress(x, t_x, T)
    return np.asarray(model.p_alive(ux, ut, uT), dtype=float)[inverse]


def _pnbd_given_alive(model):
    """E[X(t) | alive, x, T] of the Pareto/NBD (FH 2005 note, eq. 41 without P(alive))."""
    r, alpha, s, beta = model._values()

    def given_alive(t, x, T):
        u = np.log1p(t / (beta + T))
        return (r + x) / (alpha + T) * (beta + T) * u * exprel(-(s - 1.0) * u)

    return given_alive


def _check_model(model) -> None:
    if getattr(model, "per_customer", False):
        raise UsageError("DERT is not available for covariate models yet")
    model._check_fitted()


def dert(model, rate: float, x, t_x, T, *, continuous: bool = False) -> np.ndarray:
    """Discounted expected residual transactions of each customer (see the module text).

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel or BetaGeoBetaBinomModel
        Fitted (or from ``from_params``); any other model with ``expected_purchases`` goes through
        :func:`dert_numeric`.
    rate : float
        Discount rate per model-clock period (> 0), compounded per period; with ``continuous``,
        the continuous rate ``delta`` itself (for the BG/BB always the per-opportunity ``d``).
    x, t_x, T : array_like
        The customers' histories (for the BG/BB: ``x, t_x, n``).

    Returns
    -------
    numpy.ndarray
        DERT per customer, in transactions.

    Examples
    --------
    >>> m = ParetoNBDModel.from_params(r=0.5533, alpha=10.5776, s=0.6061, beta=11.6650)
    >>> d = dert(m, 0.0027, [2], [30.43], [38.86], continuous=True)
    >>> bool(d[0] > 0)
    True
    """
    _check_model(model)
    if isinstance(model, BetaGeoBetaBinomModel):
        return _dert_bgbb(model, _delta(rate, True), *_check_bgbb(x, t_x, T))
    delta = _delta(rate, continuous)
    if isinstance(model, ParetoNBDModel):
        return _dert_pnbd(model, delta, *check_summary(x, t_x, T))
    if isinstance(model, (BetaGeoModel, ModifiedBetaGeoModel)):
        return _dert_bg(model, delta, *check_summary(x, t_x, T))
    return dert_numeric(model, delta, x, t_x, T, continuous=True)


def _dert_pnbd(model, delta, x, t_x, T):
    r, alpha, s, beta = model._values()
    (uT,), _, inverse = compress(T)
    z = delta * (beta + uT)
    # (beta+T)^s delta^(s-1) U(s, s; z) = z^s U(s, s; z) / delta = E[delta / (mu + delta)] / delta
    lifetime = np.exp(s * np.log(z)) * hyperu(s, s, z) / delta
    rate_given_alive = (r + x) / (alpha + T)
    return p_alive_distinct(model, x, t_x, T) * rate_given_alive * lifetime[inverse]


def _dert_bg(model, delta, x, t_x, T):
    alpha = model.params_["alpha"]
    (ux, uT), _, inverse = compress(x, T)
    xs, x_index = np.unique(ux, return_inverse=True)
    k = _TAU.size
    # f_x(tau) = E[X(alpha tau) | alive, x, T = 0]: the forecast of every T on one scale
    f = np.asarray(model._expected_given_alive(np.tile(alpha * _TAU, xs.size), np.repeat(xs, k), np.zeros(xs.size * k)))
    f = f.reshape(xs.size, k)
    c = delta * (alpha + uT)
    kernel = c[:, None] * np.exp(-c[:, None] * _TAU[None, :]) * _TAU_WEIGHT[None, :]
    given_alive = np.einsum("ij,ij->i", kernel, f[x_index])
    return p_alive_distinct(model, x, t_x, T) * given_alive[inverse]


def _dert_bgbb(model, d, x, t_x, n):
    alpha, beta, gamma, delta = model._values()
    (ux, un), _, inverse = compress(x, n)
    # given alive at n + 1: E[p] sum_j E[(1-theta)^j] (1+d)^-(j+1), theta ~ Beta(gamma, delta+n+1)
    series = hyp2f1(1.0, delta + un + 1.0, gamma + delta + un + 1.0, 1.0 / (1.0 + d)) / (1.0 + d)
    given_alive = (alpha + ux) / (alpha + beta + un) * series
    return p_alive_distinct(model, x, t_x, n) * given_alive[inverse]


def dert_numeric(model, rate: float, x, t_x, T, *, continuous: bool = False) -> np.ndarray:
    """DERT of any model with ``expected_purchases(t, x, t_x, T)``, by quadrature.

    ``integral_0^inf exp(-tau) E[X(tau / delta)] dtau`` (by parts) on the exp-sinh nodes,
    per distinct history: the reference the closed forms are checked against, and the route for
    models without one. ``rate`` as for :func:`dert`.
    """
    _check_model(model)
    delta = _delta(rate, continuous)
    (ux, ut, uT), _, inverse = compress(x, t_x, T)
    k = _TAU.size
    t = np.tile(_TAU / delta, ux.size)
    expected = np.asarray(model.expected_purchases(t, np.repeat(ux, k), np.repeat(ut, k), np.repeat(uT, k)))
    values = expected.reshape(ux.size, k) @ (np.exp(-_TAU) * _TAU_WEIGHT)
    return values[inverse]


def window_purchases(model, start: float, end: float, rate: float, x, t_x, T, *, continuous: bool = False):
    """Expected purchases between ``start`` and ``end`` periods from now, undiscounted and discounted.

    ``E[X(end)] - E[X(start)]`` and ``integral_start^end exp(-delta t) dE[X(t)]`` (discounted
    to now, as the DERT: over ``[0, inf)`` the second is the DERT). The integral is taken by parts,
    ``[exp(-delta t) E[X(t)]] + delta integral exp(-delta t) E[X(t)] dt``, with Gauss-Legendre nodes
    in ``log(alpha + T + t)``, on which the conditional expectation is smooth. For the BG/BB,
    whole opportunities ``start + 1 .. end`` (rounded), opportunity ``n + k`` discounted by
    ``(1 + d)^-k`` as in :func:`dert`.

    Parameters
    ----------
    model : fitted transaction model
    start, end : float
        The window in model-clock periods after the as-of date, ``0 <= start < end``.
    rate : float
        As for :func:`dert` (here 0 is allowed: no discounting).
    x, t_x, T : array_like
        The customers' histories.

    Returns
    -------
    undiscounted, discounted : numpy.ndarray
    """
    start, end = float(start), float(end)
    if not (math.isfinite(start) and math.isfinite(end) and 0 <= start < end):
        raise UsageError(f"a window needs 0 <= start < end, not {start:g} to {end:g}")
    rate = float(rate)
    if not (math.isfinite(rate) and rate >= 0):
        raise UsageError(f"the discount rate must be >= 0, not {rate}")
    _check_model(model)
    if isinstance(model, BetaGeoBetaBinomModel):
        return _window_bgbb(model, start, end, rate, x, t_x, T)
    delta = rate if continuous else math.log1p(rate)
    x, t_x, T = check_summary(x, t_x, T)
    scale = model.params_.get("alpha", 1.0) + T
    # the ends and the Gauss-Legendre nodes, one set per customer (their own scale alpha + T)
    y, weight = roots_legendre(_WINDOW_NODES)
    lo, hi = np.log(scale + start), np.log(scale + end)
    nodes = np.exp(0.5 * (hi - lo)[:, None] * (y[None, :] + 1.0) + lo[:, None]) - scale[:, None]
    times = np.concatenate([np.full((x.size, 1), start), np.full((x.size, 1), end), nodes], axis=1)
    expected = _expected_at(model, times, x, t_x, T)
    e_start, e_end, e_nodes = expected[:, 0], expected[:, 1], expected[:, 2:]
    jacobian = nodes + scale[:, None]  # dt / dlog(scale + t)
    inner = (np.exp(-delta * nodes) * e_nodes * jacobian) @ weight * 0.5 * (hi - lo)
    discounted = math.exp(-delta * end) * e_end - math.exp(-delta * start) * e_start + delta * inner
    return e_end - e_start, discounted


def _expected_at(model, times, x, t_x, T) -> np.ndarray:
    """E[X(t)] at per-customer times (rows: customers), each distinct history evaluated once."""
    k = times.shape[1]
    given_alive = getattr(model, "_expected_given_alive", None)
    if isinstance(model, ParetoNBDModel):
        given_alive = _pnbd_given_alive(model)
    if given_alive is not None:
        # forecast per distinct (x, T) (its times depend on T only), times P(alive)
        (ux, uT), _, inverse = compress(x, T)
        first = np.zeros(ux.size, dtype=np.intp)
        first[inverse] = np.arange(x.size)
        t = times[first]
        values = np.asarray(given_alive(t.ravel(), np.repeat(ux, k), np.repeat(uT, k))).reshape(ux.size, k)
        return values[inverse] * p_alive_distinct(model, x, t_x, T)[:, None]
    (ux, ut, uT), _, inverse = compress(x, t_x, T)
    first = np.zeros(ux.size, dtype=np.intp)
    first[inverse] = np.arange(x.size)
    t = times[first]
    values = np.asarray(model.expected_purchases(t.ravel(), np.repeat(ux, k), np.repeat(ut, k), np.repeat(uT, k)))
    return values.reshape(ux.size, k)[inverse]


def _window_bgbb(model, start, end, d, x, t_x, n):
    x, t_x, n = _check_bgbb(x, t_x, n)
    first, last = int(round(start)), int(round(end))
    if last <= first:
        raise UsageError(f"a BG/BB window needs at least one whole opportunity, not {start:g} to {end:g}")
    cumulative, inverse, _ = forecast_steps(model, np.arange(first, last + 1, dtype=float), x, t_x, n)
    steps = np.diff(cumulative, axis=0)
    discount = (1.0 + d) ** -np.arange(first + 1, last + 1, dtype=float)
    return (cumulative[-1] - cumulative[0])[inverse], (discount @ steps)[inverse]
