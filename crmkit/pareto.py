"""The 80/20 rule measured: top-share, ABC classes, Gini coefficient and Lorenz curve.

All functions take one value per customer (net revenue). Negative net revenue (a customer
who returned more than they bought in the window) counts as zero here: a Lorenz curve and a
Gini coefficient are defined for non-negative quantities only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class ParetoResult:
    """Concentration of revenue across customers.

    Attributes
    ----------
    top_share : float
        Revenue share of the top ``top_fraction`` of customers (0-1).
    top_fraction : float
        The fraction used for ``top_share`` (0.2 for the 80/20 rule).
    gini : float
        Gini coefficient of revenue across customers (0 = equal, 1 = one customer has all).
    thresholds : tuple of float
        Cumulative-share limits of classes A and B (default 0.80, 0.95).
    classes : pandas.DataFrame
        One row per class: ``pareto_class, customers, customer_share, revenue, revenue_share``.
    lorenz : pandas.DataFrame
        ``customer_share, revenue_share`` at 0%, 1%, ..., 100% of customers ranked from the
        smallest to the largest (the Lorenz curve), plus ``top_customer_share, top_revenue_share``:
        the same curve read from the largest customer down (the cumulative-share chart).
    """

    top_share: float
    top_fraction: float
    gini: float
    thresholds: tuple[float, float]
    classes: pd.DataFrame
    lorenz: pd.DataFrame


def _non_negative(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return np.where(np.isfinite(v) & (v > 0), v, 0.0)


def gini(values) -> float:
    """Gini coefficient of non-negative values.

    G = (2 Σᵢ i·x₍ᵢ₎) / (n Σ x) − (n + 1) / n with x sorted ascending and i = 1..n
    (the sample Gini, equal to one minus twice the area under the Lorenz curve).
    Returns 0.0 for an empty input or a zero total.
    """
    x = np.sort(_non_negative(values))
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    i = np.arange(1, n + 1)
    # clamp: equal values give -2e-16 through rounding, and G is 0 there by definition
    return float(min(1.0, max(0.0, (2.0 * np.dot(i, x)) / (n * total) - (n + 1.0) / n)))


def top_share(values, fraction: float = 0.2) -> float:
    """Revenue share of the top ``ceil(fraction * n)`` customers."""
    x = np.sort(_non_negative(values))[::-1]
    total = x.sum()
    if x.size == 0 or total <= 0:
        return 0.0
    k = int(np.ceil(fraction * x.size - 1e-9))
    return float(x[:k].sum() / total)


def abc_classes(values, thresholds: tuple[float, float] = (0.80, 0.95)) -> np.ndarray:
    """ABC class per customer by cumulative revenue share, largest customers first.

    A customer is in class A when the customers ranked *strictly above* it (by value) hold
    less than ``thresholds[0]`` of revenue; B when they hold less than ``thresholds[1]``;
    C otherwise. Measuring the share before the customer makes the top customer always A
    (even when it alone holds more than 80%), and using "strictly above" gives customers
    with equal revenue the same class, however the sort orders them. Customers with zero
    revenue are C.
    """
    a, b = thresholds
    if not (0 < a < b <= 1):
        raise ValueError(f"ABC thresholds must satisfy 0 < A < B <= 1, got {thresholds}")
    x = _non_negative(values)
    total = x.sum()
    out = np.full(x.size, "C", dtype=object)
    if x.size == 0 or total <= 0:
        return out
    order = np.argsort(-x, kind="stable")
    sorted_x = x[order]
    # revenue strictly above each sorted position's value: cumsum before the first tie member
    cum_before = np.concatenate(([0.0], np.cumsum(sorted_x)[:-1]))
    first_of_tie = np.searchsorted(-sorted_x, -sorted_x, side="left")
    share_above = cum_before[first_of_tie] / total
    cls = np.where(share_above < a, "A", np.where(share_above < b, "B", "C"))
    cls = np.where(sorted_x > 0, cls, "C")
    out[order] = cls
    return out


def lorenz_points(values, points: int = 101) -> pd.DataFrame:
    """Lorenz curve sampled at ``points`` evenly spaced customer shares (0 and 1 included)."""
    x = np.sort(_non_negative(values))
    n = x.size
    grid = np.linspace(0.0, 1.0, points)
    if n == 0 or x.sum() <= 0:
        curve = grid.copy()
    else:
        cum = np.concatenate(([0.0], np.cumsum(x))) / x.sum()
        curve = np.interp(grid * n, np.arange(n + 1), cum)
    return pd.DataFrame({
        "customer_share": grid,
        "revenue_share": curve,
        "top_customer_share": grid,
        # share held by the top g customers = 1 - Lorenz(1 - g)
        "top_revenue_share": 1.0 - curve[::-1],
    })


def pareto_analysis(values, *, thresholds: tuple[float, float] = (0.80, 0.95),
                    top_fraction: float = 0.2) -> tuple[ParetoResult, np.ndarray]:
    """Concentration summary and per-customer ABC class for one value per customer.

    Parameters
    ----------
    values : array-like of float, shape (n_customers,)
        Net revenue per customer.
    thresholds : (float, float)
        Cumulative-share limits for classes A and B.
    top_fraction : float
        Fraction of customers whose revenue share is reported (0.2: the 80/20 rule).

    Returns
    -------
    result : ParetoResult
    classes : numpy.ndarray of str, shape (n_customers,)
        "A", "B" or "C" per customer, aligned with ``values``.

    Examples
    --------
    >>> result, cls = pareto_analysis([100, 50, 30, 10, 10])
    >>> round(result.top_share, 3), list(cls)
    (0.5, ['A', 'A', 'A', 'B', 'B'])
    """
    x = _non_negative(values)
    cls = abc_classes(x, thresholds)
    total = x.sum()
    n = x.size
    rows = []
    for name in ("A", "B", "C"):
        mask = cls == name
        revenue = float(x[mask].sum())
        rows.append({
            "pareto_class": name,
            "customers": int(mask.sum()),
            "customer_share": float(mask.sum() / n) if n else 0.0,
            "revenue": revenue,
            "revenue_share": revenue / total if total > 0 else 0.0,
        })
    result = ParetoResult(
        top_share=top_share(x, top_fraction),
        top_fraction=top_fraction,
        gini=gini(x),
        thresholds=tuple(thresholds),
        classes=pd.DataFrame(rows),
        lorenz=lorenz_points(x),
    )
    return result, cls
