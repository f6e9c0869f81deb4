"""Maximum-likelihood machinery shared by the customer-lifetime-value models.

Every model here is fitted the same way:

* the data are **compressed** first (:func:`compress`): customers with identical inputs
  (same ``x, t_x, T``) contribute identical log-likelihood terms, so each distinct row is
  evaluated once and weighted by how many customers share it (CDNOW's 2,357 customers are
  1,500 distinct rows; a discrete-time BG/BB data set of 11,104 donors is 22 rows);
* the negative log-likelihood is minimised over the **logarithms** of the parameters, which
  are all positive, with L-BFGS-B and the model's **analytic gradient** (no finite
  differences drive the optimiser);
* the fit starts from a moment-based guess and is **retried once** from a second start when
  the first attempt fails, or when it lands worse than the second start already is;
* a fit that fails, or whose optimum lies on the edge of the search box (a parameter running
  to zero or infinity), raises :class:`~crmkit.errors.FitError` saying what to try;
  a fit never hands back NaN parameters;
* standard errors come from the Hessian of the log-likelihood at the optimum on the natural
  parameter scale (central differences of the analytic gradient); AIC and BIC use the number
  of customers.

The library never prints: a problem is an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from crmkit.errors import UsageError
from crmkit.errors import FitError

# Search box for the log-parameters: e^-25 ~ 1e-11 .. e^25 ~ 7e10. Real fits sit well inside
# (CDNOW in weeks: 0.24 .. 11.7); an optimum on the edge means the likelihood keeps rising as a
# parameter runs to 0 or infinity, i.e. the model degenerates on these data.
LOG_BOUND = 25.0
_EDGE = 1e-6


# --------------------------------------------------------------------------- inputs


def as_float_array(values, name: str) -> np.ndarray:
    """``values`` as a 1-D float64 array, or :class:`UsageError` naming the input."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{name} must be numbers ({exc})") from None
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise UsageError(f"{name} must be one value per customer (a 1-D array), not shape {array.shape}")
    return array


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def check_counts(x, name: str = "x") -> np.ndarray:
    """Repeat-purchase counts: finite, non-negative whole numbers."""
    x = as_float_array(x, name)
    bad = ~np.isfinite(x) | (x < 0) | (x != np.round(x))
    if bad.any():
        i = _first_bad(bad)
        raise UsageError(f"{name} must be non-negative whole numbers (repeat purchases); "
                         f"customer {i} has {x[i]!r}")
    return x


def check_summary(x, t_x, T, *, age_name: str = "T") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a recency-frequency summary ``(x, t_x, T)`` in one time unit.

    ``x`` counts repeat purchases, ``t_x`` is the time of the last purchase and ``T`` the time
    observed, both measured from the customer's first purchase: ``0 <= t_x <= T``, and
    ``t_x = 0`` when ``x = 0`` (a customer with no repeat purchase has no later purchase).
    """
    x = check_counts(x)
    t_x = as_float_array(t_x, "t_x")
    T = as_float_array(T, age_name)
    if not (x.size == t_x.size == T.size):
        raise UsageError(f"x, t_x and {age_name} must have one value per customer "
                         f"(got {x.size}, {t_x.size} and {T.size})")
    if x.size == 0:
        raise UsageError("no customers: x, t_x and T are empty")
    for values, name in ((t_x, "t_x"), (T, age_name)):
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = _first_bad(bad)
            raise UsageError(f"{name} must be finite and >= 0; customer {i} has {values[i]!r}")
    # Summaries built from dates carry rounding in the last digits; allow it, not more.
    bad = t_x > T * (1 + 1e-9) + 1e-12
    if bad.any():
        i = _first_bad(bad)
        raise UsageError(f"t_x (time of the last purchase) cannot exceed {age_name} (time observed); "
                         f"customer {i} has t_x = {t_x[i]!r} > {age_name} = {T[i]!r}",
                         hint="both are measured from the customer's first purchase, in one unit")
    bad = (x == 0) & (t_x != 0)
    if bad.any():
        i = _first_bad(bad)
        raise UsageError(f"a customer with x = 0 repeat purchases must have t_x = 0; "
                         f"customer {i} has t_x = {t_x[i]!r}",
                         hint="t_x is the time of the last repeat purchase after the first one")
    return x, np.minimum(t_x, T), T


def check_weights(weights, n: int) -> np.ndarray | None:
    """Optional per-customer weights (counts of identical customers): finite and >= 0."""
    if weights is None:
        return None
    w = as_float_array(weights, "weights")
    if w.size != n:
        raise UsageError(f"weights must have one value per customer ({n}), not {w.size}")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = _first_bad(bad)
        raise UsageError(f"weights must be finite and >= 0; customer {i} has {w[i]!r}")
    if not w.sum() > 0:
        raise UsageError("weights are all zero: nothing to fit")
    return w


# --------------------------------------------------------------------------- compression

# Odd 64-bit multipliers (splitmix64 constants) for hashing rows of float64 bit patterns.
_HASH_KEYS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9),
              np.uint64(0x94D049BB133111EB), np.uint64(0xD6E8FEB86659FD93))


def compress(*columns, weights=None):
    """Distinct rows of equally long columns, with how many customers share each.

    Parameters
    ----------
    *columns : array_like of float
        One value per customer each, e.g. ``x, t_x, T`` (and ``mean_value`` for spend).
    weights : array_like, optional
        A weight per customer (default 1 each); the count of a distinct row is the sum.

    Returns
    -------
    unique : tuple of numpy.ndarray
        The distinct rows, column by column (in hash order, not input order).
    counts : numpy.ndarray
        Sum of the weights of the customers in each distinct row (rows of weight 0 dropped).
    inverse : numpy.ndarray
        ``unique[j][inverse]`` rebuilds ``columns[j]``.

    Examples
    --------
    >>> (x, t), counts, inverse = compress([0, 1, 0], [0.0, 2.5, 0.0])
    >>> sorted(zip(x.tolist(), t.tolist(), counts.tolist()))
    [(0.0, 0.0, 2.0), (1.0, 2.5, 1.0)]
    """
    cols = [np.ascontiguousarray(c, dtype=np.float64) + 0.0 for c in columns]  # -0.0 -> 0.0
    n = cols[0].size
    # One 64-bit hash per row and a sort of the hashes: 5x faster than a lexicographic sort of
    # three float columns on 1M rows. Collisions are checked for below, never assumed away.
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j, col in enumerate(cols):
            bits = col.view(np.uint64)
            h ^= bits * _HASH_KEYS[j % 4]
            h = (h << np.uint64(29)) | (h >> np.uint64(35))
    # argsort + run boundaries: np.unique(..., return_inverse=True) is 3x slower on 1M rows.
    order = np.argsort(h)
    sorted_h = h[order]
    change = np.empty(n, dtype=bool)
    change[:1] = True
    np.not_equal(sorted_h[1:], sorted_h[:-1], out=change[1:])
    sorted_cols = [col[order] for col in cols]
    same = ~change[1:]
    # A hash collision shows as a run of equal hashes whose rows differ.
    if any(np.any(sc[1:][same] != sc[:-1][same]) for sc in sorted_cols):
        order, change = _sort_rows(cols)
        sorted_cols = [col[order] for col in cols]
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(change) - 1
    if weights is None:
        counts = np.diff(np.append(np.flatnonzero(change), n)).astype(np.float64)
    else:
        counts = np.bincount(inverse, weights=np.asarray(weights, dtype=np.float64),
                             minlength=int(change.sum()))
    unique = [sc[change] for sc in sorted_cols]
    keep = counts > 0
    if not keep.all():
        remap = np.cumsum(keep) - 1
        inverse = np.where(keep[inverse], remap[inverse], -1)
        unique = [u[keep] for u in unique]
        counts = counts[keep]
    return tuple(unique), counts, inverse


def _sort_rows(cols):
    """Exact lexicographic order and run starts (the fallback when two rows' hashes collide)."""
    order = np.lexsort(cols[::-1])
    change = np.zeros(order.size, dtype=bool)
    change[0] = True
    for col in cols:
        sorted_col = col[order]
        change[1:] |= sorted_col[1:] != sorted_col[:-1]
    return order, change


# --------------------------------------------------------------------------- fitting


@dataclass
class FitResult:
    """What one maximum-likelihood fit learned (the models copy it to their ``*_`` attributes)."""

    params: dict
    log_likelihood: float
    aic: float
    bic: float
    se: dict
    n_iter: int
    converged: bool
    n_customers: float
    n_rows: int
    attempts: list = field(default_factory=list)


def maximise(neg_log_lik, starts, names, *, n_customers: float, n_rows: int, model: str,
             hint: str, max_iter: int = 1000) -> FitResult:
    """Minimise a negative log-likelihood over log-parameters; see the module docstring.

    Parameters
    ----------
    neg_log_lik : callable
        ``neg_log_lik(theta) -> (value, gradient)`` with ``theta`` the log-parameters; the
        gradient is analytic, with respect to ``theta``. Summed over customers (weighted).
    starts : sequence of array_like
        Starting log-parameters: the first is tried; the second serves as the retry.
    names : sequence of str
        Parameter names in ``theta`` order.
    n_customers : float
        Total weight (customers) behind the likelihood, for scaling, AIC and BIC.
    n_rows : int
        Distinct rows actually evaluated (reported only).
    model : str
        Model name for messages (``"BG/NBD"``).
    hint : str
        What a user can try when the fit fails (data-specific advice).
    max_iter : int
        Iterations per attempt.
    """
    from scipy.optimize import minimize

    scale = 1.0 / n_customers
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)

    def objective(theta):
        # Mean instead of total log-likelihood: L-BFGS-B's tolerances then mean the same thing
        # for 2,000 customers and for 2,000,000.
        with np.errstate(all="ignore"):
            value, grad = neg_log_lik(theta)
        value = float(value) * scale
        grad = np.asarray(grad, dtype=np.float64) * scale
        if not (math.isfinite(value) and np.all(np.isfinite(grad))):
            # Outside the region where the likelihood can be evaluated: steer the line search back.
            return 1e300, np.zeros_like(theta)
        return value, grad

    def attempt(start):
        hess = getattr(start, "hess", None)
        start = np.clip(np.asarray(start, dtype=np.float64), -LOG_BOUND + 1, LOG_BOUND - 1)
        newton_steps = 0
        if hess is not None:
            start, newton_steps = _newton(objective, start, hess)
        result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": max_iter, "maxfun": 3 * max_iter,
                                   "ftol": 1e-14, "gtol": 1e-9, "maxcor": 20})
        usable = bool(np.all(np.isfinite(result.x)) and math.isfinite(result.fun)
                      and result.fun < 1e299)
        result.nit = int(result.nit) + newton_steps
        return result, usable

    attempts = []
    first, usable = attempt(starts[0])
    attempts.append(first)
    best = first if usable else None
    retry = len(starts) > 1 and (not usable or not first.success)
    if not retry and len(starts) > 1:
        # "Lands worse": the alternative start is already better than where we stopped.
        retry = objective(np.clip(np.asarray(starts[1], float), -LOG_BOUND + 1, LOG_BOUND - 1))[0] \
            < first.fun - 1e-10
    if retry:
        second, usable2 = attempt(starts[1])
        attempts.append(second)
        if usable2 and (best is None or second.fun < best.fun - 1e-12 or not best.success):
            best = second
    if best is None:
        raise FitError(f"the {model} fit failed: the log-likelihood could not be evaluated "
                       f"({attempts[-1].message})", hint=hint)
    theta = np.asarray(best.x, dtype=np.float64)
    edge = np.abs(theta) > LOG_BOUND - _EDGE * LOG_BOUND
    if edge.any():
        name = names[int(np.flatnonzero(edge)[0])]
        direction = "infinity" if theta[edge][0] > 0 else "zero"
        raise FitError(f"the {model} fit did not find a finite optimum: parameter {name} runs to "
                       f"{direction} (the likelihood keeps rising towards the edge)", hint=hint)
    converged = bool(best.success)
    if not converged:
        # L-BFGS-B sometimes stops on a line-search failure at the optimum, where rounding noise
        # in the mean log-likelihood exceeds its step: accept when the gradient is negligible.
        grad = objective(theta)[1]
        converged = bool(np.max(np.abs(grad)) < 1e-6)
    if not converged:
        where = ", ".join(f"{k}={v:.3g}" for k, v in zip(names, np.exp(theta)))
        raise FitError(f"the {model} fit did not converge after {best.nit} iterations: the "
                       f"optimiser stopped at {where} with the gradient not yet zero "
                       f"({str(best.message).strip() or 'line search failed'})", hint=hint)
    params = dict(zip(names, np.exp(theta).tolist()))
    log_lik = -float(best.fun) / scale
    k = len(names)
    se = standard_errors(neg_log_lik, theta, names, grad=np.asarray(best.jac) / scale)
    flat = [name for name, value in se.items() if not math.isfinite(value)]
    if flat:
        raise FitError(f"the {model} fit has no well-defined optimum: the likelihood is flat "
                       f"along {', '.join(flat)} (the information matrix is not positive "
                       f"definite), so the parameters are not identified by these data "
                       f"(stopped at {', '.join(f'{k}={v:.3g}' for k, v in params.items())})",
                       hint=hint)
    return FitResult(params=params, log_likelihood=log_lik,
                     aic=2 * k - 2 * log_lik, bic=k * math.log(n_customers) - 2 * log_lik,
                     se=se, n_iter=int(sum(a.nit for a in attempts)), converged=converged,
                     n_customers=float(n_customers), n_rows=int(n_rows), attempts=attempts)


def presolve(make_neg_log_lik, columns, counts, starts, *, max_rows: int = 20_000) -> list:
    """Starts for a large fit: the optimum on a fixed random subset of the distinct rows first.

    On 1M customers, L-BFGS-B from a generic guess takes ~20 evaluations of the full
    likelihood; from the optimum of a 20,000-row subset it needs a handful. The subset is drawn
    with a fixed seed, so a fit is reproducible. Returns ``[subset optimum, starts[0]]`` (the
    generic guess becomes the retry), or ``starts`` unchanged for small data or when the subset
    fit fails.
    """
    if counts.size <= 2 * max_rows:
        return starts
    from scipy.optimize import minimize

    pick = np.sort(np.random.default_rng(20261124).choice(counts.size, max_rows, replace=False))
    try:
        neg_log_lik = make_neg_log_lik(*(c[pick] for c in columns), counts[pick])
        scale = 1.0 / float(counts[pick].sum())

        def objective(theta):
            with np.errstate(all="ignore"):
                value, grad = neg_log_lik(theta)
            if not (math.isfinite(value) and np.all(np.isfinite(grad))):
                return 1e300, np.zeros_like(theta)
            return float(value) * scale, np.asarray(grad, dtype=np.float64) * scale

        start = np.clip(np.asarray(starts[0], dtype=np.float64), -LOG_BOUND + 1, LOG_BOUND - 1)
        result = minimize(objective, start, jac=True, method="L-BFGS-B",
                          bounds=[(-LOG_BOUND, LOG_BOUND)] * start.size,
                          options={"maxiter": 500, "ftol": 1e-10, "gtol": 1e-6})
    except (FloatingPointError, ValueError, ZeroDivisionError):
        return starts
    if not (np.all(np.isfinite(result.x)) and result.fun < 1e299
            and np.all(np.abs(result.x) < LOG_BOUND - 1)):
        return starts
    # Curvature of the mean log-likelihood at the subset optimum (forward differences of the
    # analytic gradient): per customer it is nearly the same on the full data, so it serves as
    # a fixed Newton metric there (see maximise).
    theta = np.asarray(result.x, dtype=np.float64)
    grad0 = objective(theta)[1]
    hess = np.empty((theta.size, theta.size))
    for i in range(theta.size):
        up = theta.copy()
        up[i] += 1e-6
        hess[:, i] = (objective(up)[1] - grad0) / 1e-6
    hess = 0.5 * (hess + hess.T)
    if not (np.all(np.isfinite(hess)) and np.all(np.linalg.eigvalsh(hess) > 0)):
        return [theta, starts[0]]
    return [_Start(theta, hess), starts[0]]


class _Start(np.ndarray):
    """A start that carries a Newton metric (the Hessian of the mean negative log-likelihood)."""

    def __new__(cls, theta, hess):
        obj = np.asarray(theta, dtype=np.float64).view(cls)
        obj.hess = hess
        return obj

    def __array_finalize__(self, obj):
        self.hess = getattr(obj, "hess", None)


def _newton(objective, theta, hess, max_steps: int = 12):
    """Newton steps with a fixed metric from a presolved start, each kept only if it lowers the
    objective; L-BFGS-B then confirms (or continues from) the point reached. With the subset's
    curvature the error shrinks ~100-fold per step, so 3-4 full-data gradients replace ~20."""
    value, grad = objective(theta)
    steps = 0
    for _ in range(max_steps):
        if np.max(np.abs(grad)) < 1e-10:
            break
        step = -np.linalg.solve(hess, grad)
        trial = np.clip(theta + step, -LOG_BOUND + 1, LOG_BOUND - 1)
        trial_value, trial_grad = objective(trial)
        if not trial_value <= value:
            break
        theta, value, grad = trial, trial_value, trial_grad
        steps += 1
    return theta, steps


def standard_errors(neg_log_lik, theta, names, grad=None) -> dict:
    """Standard errors on the natural scale from the observed information at the optimum.

    The Hessian of the log-likelihood in the log-parameters ``theta`` is taken by forward
    differences of the analytic gradient (one gradient per parameter; its O(step) error of
    ~1e-5 relative is immaterial for a standard error), then moved to the natural parameters
    ``p = exp(theta)``: ``d2 LL / dp_i dp_j = (H_ij - delta_ij g_i) / (p_i p_j)`` (``g`` the
    gradient, ~0 at the optimum). When the information matrix is not positive definite, the
    parameters that load on its flat directions get NaN (the caller turns that into a
    :class:`FitError`).
    """
    theta = np.asarray(theta, dtype=np.float64)
    k = theta.size
    hess = np.empty((k, k))
    with np.errstate(all="ignore"):
        neg_grad0 = (np.asarray(neg_log_lik(theta)[1], dtype=np.float64) if grad is None
                     else np.asarray(grad, dtype=np.float64))
        grad0 = -neg_grad0
        for i in range(k):
            step = 1e-6 * max(1.0, abs(theta[i]))
            up = theta.copy()
            up[i] += step
            hess[:, i] = (neg_grad0 - np.asarray(neg_log_lik(up)[1])) / step
    hess = 0.5 * (hess + hess.T)
    p = np.exp(theta)
    hess_natural = (hess - np.diag(grad0)) / np.outer(p, p)
    information = -hess_natural
    if not np.all(np.isfinite(information)):
        return dict.fromkeys(names, float("nan"))
    eigenvalues, eigenvectors = np.linalg.eigh(information)
    flat = eigenvalues <= 1e-12 * max(float(np.max(np.abs(eigenvalues))), 1e-300)
    if flat.any():
        # Not a proper maximum: name the parameters that move along the flat directions.
        loading = np.max(np.abs(eigenvectors[:, flat]), axis=1)
        cov_ok = dict.fromkeys(names, float("nan"))
        return {name: (float("nan") if loading[i] > 0.3 else cov_ok[name])
                for i, name in enumerate(names)}
    var = np.diag(np.linalg.inv(information))
    return {name: float(math.sqrt(v)) if v > 0 else float("nan") for name, v in zip(names, var)}


# --------------------------------------------------------------------------- model base


class FittedModel:
    """Common scikit-learn-style surface of the models: settings in ``__init__``, ``fit``
    returns ``self``, learned attributes end in ``_``.

    Parameters
    ----------
    max_iter : int, default 1000
        L-BFGS-B iterations per attempt.
    init_params : dict, optional
        Starting values (natural scale) for the first attempt; the model's own guess is then
        the retry start.

    Besides each model's documented attributes, ``n_rows_`` is the number of distinct rows the
    likelihood was evaluated on (see :func:`compress`).
    """

    _names: tuple = ()
    _model: str = ""

    def __init__(self, *, max_iter: int = 1000, init_params: dict | None = None):
        self.max_iter = max_iter
        self.init_params = init_params

    @classmethod
    def from_params(cls, **params):
        """A model with known parameters (a published fit), ready to predict without fitting.

        Fit statistics (``log_likelihood_``, ``se_``, ...) stay ``None``.
        """
        missing = [name for name in cls._names if name not in params]
        extra = [name for name in params if name not in cls._names]
        if missing or extra:
            raise UsageError(f"{cls._model} parameters are {', '.join(cls._names)}"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; unknown {', '.join(extra)}" if extra else ""))
        values = {}
        for name in cls._names:
            value = float(params[name])
            if not (math.isfinite(value) and value > 0):
                raise UsageError(f"{cls._model} parameter {name} must be a positive number, not {params[name]!r}")
            values[name] = value
        model = cls()
        model.params_ = values
        for attr in ("log_likelihood_", "aic_", "bic_", "se_", "n_iter_", "converged_", "n_customers_",
                     "n_rows_"):
            setattr(model, attr, None)
        return model

    def _starts(self, guesses) -> list:
        """Log-space starts: the model's two guesses, or ``init_params`` then the first guess."""
        starts = [np.log(np.asarray(g, dtype=np.float64)) for g in guesses]
        if self.init_params is None:
            return starts
        init = type(self).from_params(**self.init_params).params_
        return [np.log([init[name] for name in self._names]), starts[0]]

    def _store(self, result: FitResult):
        self.params_ = result.params
        self.log_likelihood_ = result.log_likelihood
        self.aic_ = result.aic
        self.bic_ = result.bic
        self.se_ = result.se
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.n_customers_ = result.n_customers
        self.n_rows_ = result.n_rows
        return self

    def _values(self) -> tuple:
        params = getattr(self, "params_", None)
        if params is None:
            raise UsageError(f"this {type(self).__name__} has no parameters yet",
                             hint="call fit(...) first, or build it with from_params(...)")
        return tuple(params[name] for name in self._names)

    def __repr__(self) -> str:
        params = getattr(self, "params_", None)
        if params is None:
            return f"{type(self).__name__}(not fitted)"
        text = ", ".join(f"{k}={v:.4g}" for k, v in params.items())
        if getattr(self, "log_likelihood_", None) is not None:
            text += f"; log-likelihood {self.log_likelihood_:.2f} on {self.n_customers_:g} customers"
        return f"{type(self).__name__}({text})"


class RepeatBuyingModel(FittedModel):
    """Base of the continuous-time models fitted on (x, t_x, T): BG/NBD, MBG/NBD, Pareto/NBD.

    A subclass names its parameters (``_names``), its negative log-likelihood class
    (``_neg_log_lik``, built from the compressed rows and their counts), what a fit without
    repeat buyers cannot identify (``_unidentified``), a hint for failed fits (``_hint``), and
    its two starting guesses (:meth:`_guesses`).
    """

    _neg_log_lik = None
    _unidentified = "purchase rate and dropout"
    _hint = ""

    def _guesses(self, mean_rate: float, mean_age: float) -> list:
        raise NotImplementedError

    def fit(self, x, t_x, T, weights=None):
        """Fit by maximum likelihood; returns ``self``.

        Parameters
        ----------
        x, t_x, T : array_like
            Repeat purchases, time of the last purchase, time observed (one per customer).
        weights : array_like, optional
            How many customers each row stands for (default 1 each).
        """
        x, t_x, T = check_summary(x, t_x, T)
        w = check_weights(weights, x.size)
        (ux, ut, uT), counts, _ = compress(x, t_x, T, weights=w)
        if not np.any(ux > 0):
            raise FitError(f"the {self._model} model cannot be fitted: no customer made a repeat purchase "
                           f"(all x = 0), so {self._unidentified} are not identified",
                           hint="lengthen the calibration period or check how x was counted")
        mean_rate = max(float(np.sum(counts * ux) / max(np.sum(counts * uT), 1e-12)), 1e-9)
        mean_age = max(float(np.sum(counts * uT) / counts.sum()), 1e-6)
        neg_log_lik = type(self)._neg_log_lik
        starts = presolve(neg_log_lik, (ux, ut, uT), counts, self._starts(self._guesses(mean_rate, mean_age)))
        result = maximise(neg_log_lik(ux, ut, uT, counts), starts, self._names,
                          n_customers=float(counts.sum()), n_rows=ux.size, model=self._model,
                          hint=self._hint, max_iter=self.max_iter)
        return self._store(result)
