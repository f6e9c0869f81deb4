"""The 80/20 rule measured: top-share, ABC classes, Gini coefficient and Lorenz curve.

All functions take one value per customer (net revenue). Negative net revenue (a customer
who returned more than they bought in the window) counts as zero here: a Lorenz curve and a
Gini coefficient are defined for non-negative quantities only. Only numpy is imported here;
tables become pandas DataFrames when they are first read.
"""

from __future__ import annotations

import numpy as np

CLASSES = ("A", "B", "C")


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

    def __init__(self, values, classes, *, thresholds=(0.80, 0.95), top_fraction: float = 0.2):
        x = _non_negative(values)
        cls = np.asarray(classes, dtype=object)
        self.top_fraction = top_fraction
        self.thresholds = tuple(thresholds)
        self.top_share = top_share(x, top_fraction)
        self.gini = gini(x)
        total, n = x.sum(), x.size
        self._class_rows = []
        for name in CLASSES:
            mask = cls == name
            revenue = float(x[mask].sum())
            self._class_rows.append(
                {
                    "pareto_class": name,
                    "customers": int(mask.sum()),
                    "customer_share": float(mask.sum() / n) if n else 0.0,
                    "revenue": revenue,
                    "revenue_share": revenue / total if total > 0 else 0.0,
                }
            )
        self._lorenz = lorenz_points(x)

    @property
    def classes(self):
        import pandas as pd

        return pd.DataFrame(self._class_rows)

    @property
    def lorenz(self):
        import pandas as pd

        return pd.DataFrame(self._lorenz)


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


def abc_table_sql(source: str, value: str, thresholds: tuple[float, float] = (0.80, 0.95)) -> str:
    """``(v, pareto_class)`` for every distinct ``value`` of ``source``; join it back on the value.

    A customer is in class A when the customers ranked *strictly above* it (by value) hold
    less than ``thresholds[0]`` of revenue; B when they hold less than ``thresholds[1]``;
    C otherwise. Measuring the share before the customer makes the top customer always A
    (even when it alone holds more than 80%), and "strictly above" gives customers with equal
    revenue the same class, however the rows are ordered. Zero or negative revenue is C.
    """
    a, b = thresholds
    if not (0 < a < b <= 1):
        raise ValueError(f"ABC thresholds must satisfy 0 < A < B <= 1, got {thresholds}")
    from crmkit.io.engine import money

    # running revenue down to v (the default RANGE frame takes in the values equal to x), minus
    # those equal values: the revenue strictly above v. Exact decimals (crmkit.io.engine.money):
    # a DOUBLE running sum's last digits depend on threads, and a class limit can fall right there.
    x = money("greatest(coalesce(v, 0), 0)", total=True)
    return f"""(SELECT v, CASE WHEN x <= 0 THEN 'C' WHEN above::DOUBLE < {a!r} * total::DOUBLE THEN 'A'
                             WHEN above::DOUBLE < {b!r} * total::DOUBLE THEN 'B' ELSE 'C' END AS pareto_class
               FROM (SELECT v, x, sum(x * c) OVER (ORDER BY x DESC) - sum(x * c) OVER (PARTITION BY x) AS above,
                            sum(x * c) OVER () AS total
                     FROM (SELECT v, {x} AS x, count(*) AS c
                           FROM (SELECT {value} AS v FROM {source}) GROUP BY v)))"""


def abc_classes(values, thresholds: tuple[float, float] = (0.80, 0.95)) -> np.ndarray:
    """ABC class per value ("A", "B" or "C"), aligned with ``values``; see :func:`abc_table_sql`."""
    from crmkit.io.engine import scratch

    x = _non_negative(values)
    if x.size == 0:
        return np.empty(0, dtype=object)
    table = abc_table_sql("rows", "v", thresholds)
    con = scratch()
    try:
        con.register("rows", {"v": x, "i": np.arange(x.size)})
        out = con.sql(f"SELECT t.pareto_class FROM rows JOIN {table} t USING (v) ORDER BY i").fetchnumpy()
    finally:
        con.close()
    return np.asarray(out["pareto_class"], dtype=object)


def lorenz_points(values, points: int = 101) -> dict:
    """Lorenz curve sampled at ``points`` evenly spaced customer shares (0 and 1 included).

    Returns a dict of equal-length arrays ``customer_share, revenue_share, top_customer_share,
    top_revenue_share`` (``pandas.DataFrame(result)`` makes it a table).
    """
    x = np.sort(_non_negative(values))
    n = x.size
    grid = np.linspace(0.0, 1.0, points)
    if n == 0 or x.sum() <= 0:
        curve = grid.copy()
    else:
        cum = np.concatenate(([0.0], np.cumsum(x))) / x.sum()
        curve = np.interp(grid * n, np.arange(n + 1), cum)
    return {
        "customer_share": grid,
        "revenue_share": curve,
        "top_customer_share": grid,
        # share held by the top g customers = 1 - Lorenz(1 - g)
        "top_revenue_share": 1.0 - curve[::-1],
    }


def pareto_analysis(
    values, *, thresholds: tuple[float, float] = (0.80, 0.95), top_fraction: float = 0.2
) -> tuple[ParetoResult, np.ndarray]:
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
    cls = abc_classes(values, thresholds)
    return ParetoResult(values, cls, thresholds=thresholds, top_fraction=top_fraction), cls
