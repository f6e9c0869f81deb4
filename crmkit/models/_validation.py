"""Input checks shared by the customer-lifetime-value models.

Each check turns what a user passed (lists, pandas columns, NumPy arrays) into 1-D float64
arrays, or raises :class:`~crmkit.errors.UsageError` naming the input and the first customer
(by position) whose value cannot be used. The models call them on every public method, so a
prediction on bad data fails as clearly as a fit.
"""

from __future__ import annotations

import numpy as np

from crmkit.errors import UsageError

__all__ = ["as_float_array", "check_counts", "check_horizon", "check_summary", "check_weights"]


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
        raise UsageError(f"{name} must be non-negative whole numbers (repeat purchases); customer {i} has {x[i]:g}")
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
        raise UsageError(
            f"x, t_x and {age_name} must have one value per customer (got {x.size}, {t_x.size} and {T.size})"
        )
    if x.size == 0:
        raise UsageError("no customers: x, t_x and T are empty")
    for values, name in ((t_x, "t_x"), (T, age_name)):
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = _first_bad(bad)
            raise UsageError(f"{name} must be finite and >= 0; customer {i} has {values[i]:g}")
    # Summaries built from dates carry rounding in the last digits; allow it, not more.
    bad = t_x > T * (1 + 1e-9) + 1e-12
    if bad.any():
        i = _first_bad(bad)
        raise UsageError(
            f"t_x (time of the last purchase) cannot exceed {age_name} (time observed); "
            f"customer {i} has t_x = {t_x[i]!r} > {age_name} = {T[i]!r}",
            hint="both are measured from the customer's first purchase, in one unit",
        )
    bad = (x == 0) & (t_x != 0)
    if bad.any():
        i = _first_bad(bad)
        raise UsageError(
            f"a customer with x = 0 repeat purchases must have t_x = 0; customer {i} has t_x = {t_x[i]!r}",
            hint="t_x is the time of the last repeat purchase after the first one",
        )
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
        raise UsageError(f"weights must be finite and >= 0; customer {i} has {w[i]:g}")
    if not w.sum() > 0:
        raise UsageError("weights are all zero: nothing to fit")
    return w


def check_horizon(t, n: int) -> np.ndarray:
    """A forecast horizon per customer: one value for all ``n`` customers, or one each; >= 0."""
    t = as_float_array(t, "t")
    if t.size == 1:
        t = np.full(n, t[0])
    elif t.size != n:
        raise UsageError(f"t must be one horizon or one per customer ({n}), not {t.size}")
    if np.any(~np.isfinite(t) | (t < 0)):
        raise UsageError("the horizon t must be finite and >= 0")
    return t


#: Seeds NumPy and scikit-learn accept as a random state (``numpy.random.SeedSequence`` takes
#: larger ones, scikit-learn does not): one range for every ``--seed``.
