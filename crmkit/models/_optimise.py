"""Maximum-likelihood fitting shared by the customer-lifetime-value models.

Every model here is fitted the same way:

* the data are **compressed** first (:func:`crmkit.models._compress.compress`): each distinct
  row is evaluated once, weighted by how many customers share it;
* the negative log-likelihood is minimised over the **logarithms** of the parameters, which
  are all positive, with L-BFGS-B and the model's **analytic gradient** (no finite
  differences drive the optimiser);
* the fit starts from a moment-based guess and is **retried once** from a second start when
  the first attempt fails, or when it lands worse than the second start already is; a large
  fit first solves a fixed random subset of the rows (:func:`presolve`);
* a fit that fails, or whose optimum lies on the edge of the search box (a parameter running
  to zero or infinity), raises :class:`~crmkit.errors.FitError` saying what to try;
  a fit never hands back NaN parameters;
* standard errors come from the Hessian of the log-likelihood at the optimum on the natural
  parameter scale (forward differences of the analytic gradient), and so does the parameter
  covariance (the inverse observed information, for intervals:
  :mod:`crmkit.models.uncertainty`); AIC and BIC use the number of customers.

The library never prints: a problem is an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from crmkit.errors import FitError
from crmkit.models._sums import single_threaded

__all__ = ["LOG_BOUND", "FitResult", "covariance", "maximise", "presolve", "standard_errors"]

# Search box for the log-parameters: e^-25 ~ 1e-11 .. e^25 ~ 7e10. Real fits sit well inside
# (CDNOW in weeks: 0.24 .. 11.7); an optimum on the edge means the likelihood keeps rising as a
# parameter runs to 0 or infinity, i.e. the model degenerates on these data.
LOG_BOUND = 25.0
_EDGE = 1e-6


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
    #: Covariance of the natural-scale parameters in ``names`` order (inverse observed information).
    cov: np.ndarray | None = None


@single_threaded
def maximise(
    neg_log_lik, starts, names, *, n_customers: float, n_rows: int, model: str, hint: str, max_iter: int = 1000
) -> FitResult:
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
        result = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter, "maxfun": 3 * max_iter, "ftol": 1e-14, "gtol": 1e-9, "maxcor": 20},
        )
        usable = bool(np.all(np.isfinite(result.x)) and math.isfinite(result.fun) and result.fun < 1e299)
        result.nit = int(result.nit) + newton_steps
        return result, usable

    attempts = []
    first, usable = attempt(starts[0])
    attempts.append(first)
    best = first if usable else None
    retry = len(starts) > 1 and (not usable or not first.success)
    if not retry and len(starts) > 1:
        # "Lands worse": the alternative start is already better than where we stopped.
        retry = objective(np.clip(np.asarray(starts[1], float), -LOG_BOUND + 1, LOG_BOUND - 1))[0] < first.fun - 1e-10
    if retry:
        second, usable2 = attempt(starts[1])
        attempts.append(second)
        if usable2 and (best is None or second.fun < best.fun - 1e-12 or not best.success):
            best = second
    if best is None:
        raise FitError(
            f"the {model} fit failed: the log-likelihood could not be evaluated ({attempts[-1].message})", hint=hint
        )
    theta = np.asarray(best.x, dtype=np.float64)
    edge = np.abs(theta) > LOG_BOUND - _EDGE * LOG_BOUND
    if edge.any():
        name = names[int(np.flatnonzero(edge)[0])]
        direction = "infinity" if theta[edge][0] > 0 else "zero"
        raise FitError(
            f"the {model} fit did not find a finite optimum: parameter {name} runs to "
            f"{direction} (the likelihood keeps rising towards the edge)",
            hint=hint,
        )
    converged = bool(best.success)
    if not converged:
        # L-BFGS-B sometimes stops on a line-search failure at the optimum, where rounding noise
        # in the mean log-likelihood exceeds its step: accept when the gradient is negligible.
        grad = objective(theta)[1]
        converged = bool(np.max(np.abs(grad)) < 1e-6)
    if not converged:
        where = ", ".join(f"{k}={v:.3g}" for k, v in zip(names, np.exp(theta)))
        raise FitError(
            f"the {model} fit did not converge after {best.nit} iterations: the "
            f"optimiser stopped at {where} with the gradient not yet zero "
            f"({str(best.message).strip() or 'line search failed'})",
            hint=hint,
        )
    params = dict(zip(names, np.exp(theta).tolist()))
    log_lik = -float(best.fun) / scale
    k = len(names)
    se, cov = covariance(neg_log_lik, theta, names, grad=np.asarray(best.jac) / scale)
    flat = [name for name, value in se.items() if not math.isfinite(value)]
    if flat:
        raise FitError(
            f"the {model} fit has no well-defined optimum: the likelihood is flat "
            f"along {', '.join(flat)} (the information matrix is not positive "
            f"definite), so the parameters are not identified by these data "
            f"(stopped at {', '.join(f'{k}={v:.3g}' for k, v in params.items())})",
            hint=hint,
        )
    return FitResult(
        params=params,
        log_likelihood=log_lik,
        aic=2 * k - 2 * log_lik,
        bic=k * math.log(n_customers) - 2 * log_lik,
        se=se,
        n_iter=int(sum(a.nit for a in attempts)),
        converged=converged,
        n_customers=float(n_customers),
        n_rows=int(n_rows),
        attempts=attempts,
        cov=cov,
    )


@single_threaded
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
        result = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * start.size,
            options={"maxiter": 500, "ftol": 1e-10, "gtol": 1e-6},
        )
    except (FloatingPointError, ValueError, ZeroDivisionError):
        return starts
    if not (np.all(np.isfinite(result.x)) and result.fun < 1e299 and np.all(np.abs(result.x) < LOG_BOUND - 1)):
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

    The square roots of the diagonal of :func:`covariance` (see there).
    """
    return covariance(neg_log_lik, theta, names, grad=grad)[0]


def covariance(neg_log_lik, theta, names, grad=None) -> tuple[dict, np.ndarray | None]:
    """Standard errors and covariance of the natural-scale parameters at the optimum.

    The Hessian of the log-likelihood in the log-parameters ``theta`` is taken by forward
    differences of the analytic gradient (one gradient per parameter; its O(step) error of
    ~1e-5 relative is immaterial for a standard error), then moved to the natural parameters
    ``p = exp(theta)``: ``d2 LL / dp_i dp_j = (H_ij - delta_ij g_i) / (p_i p_j)`` (``g`` the
    gradient, ~0 at the optimum). The covariance is the inverse of the observed information
    (the usual asymptotic covariance of a maximum-likelihood estimator, e.g. Pawitan 2001, *In
    All Likelihood*, section 9.2), symmetrised; the standard errors are the square roots of its
    diagonal. When the information matrix is not positive definite, the parameters that load on
    its flat directions get NaN (the caller turns that into a :class:`FitError`) and the
    covariance is None.

    Returns
    -------
    se : dict
        Standard error per name.
    cov : numpy.ndarray or None
        ``(k, k)`` covariance in ``names`` order.
    """
    theta = np.asarray(theta, dtype=np.float64)
    k = theta.size
    hess = np.empty((k, k))
    with np.errstate(all="ignore"):
        neg_grad0 = (
            np.asarray(neg_log_lik(theta)[1], dtype=np.float64) if grad is None else np.asarray(grad, dtype=np.float64)
        )
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
        return dict.fromkeys(names, float("nan")), None
    eigenvalues, eigenvectors = np.linalg.eigh(information)
    flat = eigenvalues <= 1e-12 * max(float(np.max(np.abs(eigenvalues))), 1e-300)
    if flat.any():
        # Not a proper maximum: name the parameters that move along the flat directions.
        loading = np.max(np.abs(eigenvectors[:, flat]), axis=1)
        cov_ok = dict.fromkeys(names, float("nan"))
        return {name: (float("nan") if loading[i] > 0.3 else cov_ok[name]) for i, name in enumerate(names)}, None
    cov = np.linalg.inv(information)
    var = np.diag(cov)
    se = {name: float(math.sqrt(v)) if v > 0 else float("nan") for name, v in zip(names, var)}
    return se, 0.5 * (cov + cov.T)
