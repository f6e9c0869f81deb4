"""One row per customer as of an analysis date: the table every model consumes."""

from __future__ import annotations

from datetime import date

from crmkit.io.engine import attach
from crmkit.errors import UsageError

SUMMARY_COLUMNS = [
    "customer_id", "first_purchase", "last_purchase", "frequency", "monetary", "gross_revenue",
    "returns", "avg_order_value", "recency_days", "tenure_days",
]


def _check_occasion(occasion: str, columns) -> str:
    if occasion not in ("day", "order"):
        raise UsageError(f"occasion must be 'day' or 'order', not {occasion!r}")
    if occasion == "order" and "order_id" not in columns:
        raise UsageError("--occasion order needs an order id column (name it with --order-id)")
    return "order_id" if occasion == "order" else "date"


def occasions_sql(source: str, as_of: date, *, occasion: str = "day", columns=()) -> str:
    """One row per customer and purchase occasion (day or order) up to ``as_of``.

    Columns ``customer_id, occasion, bought`` (a purchase, not only returns, happened),
    ``first_day, last_day`` (of its purchases), ``net, gross, returned`` and ``margin`` when present.
    The shared first stage of every per-customer table.
    """
    occ = _check_occasion(occasion, columns)
    margin = ", sum(margin) AS margin" if "margin" in columns else ""
    return f"""
        SELECT customer_id, {occ} AS occasion, bool_or(NOT is_return) AND {occ} IS NOT NULL AS bought,
               min(date) FILTER (WHERE NOT is_return)::DATE AS first_day,
               max(date) FILTER (WHERE NOT is_return)::DATE AS last_day,
               sum(amount) AS net, sum(amount) FILTER (WHERE NOT is_return) AS gross,
               -sum(amount) FILTER (WHERE is_return) AS returned {margin}
        FROM {source}
        WHERE date::DATE <= DATE '{as_of.isoformat()}'
        GROUP BY customer_id, {occ}
    """


def summary_sql(source: str, as_of: date, *, occasion: str = "day", columns=()) -> str:
    """The per-customer aggregation as a DuckDB SELECT over a transactions table expression (unordered).

    ``columns`` are the transaction columns present (``order_id`` and ``margin`` matter).
    See :func:`customer_summary` for the definitions.
    """
    day = f"DATE '{as_of.isoformat()}'"
    margin = ", round(sum(margin), 6) AS margin" if "margin" in columns else ""
    # Two stages (occasions, then customers) instead of count(DISTINCT ...): 30% faster on
    # large files. Sums of binary floats carry noise in the 15th digit (26.624000000000002);
    # six decimals remove it without losing anything a currency amount holds.
    return f"""
        WITH occasions AS ({occasions_sql(source, as_of, occasion=occasion, columns=columns)})
        SELECT customer_id,
               min(first_day) AS first_purchase,
               max(last_day) AS last_purchase,
               count(*) FILTER (WHERE bought) AS frequency,
               round(sum(net), 6) AS monetary,
               round(coalesce(sum(gross), 0), 6) AS gross_revenue,
               round(coalesce(sum(returned), 0), 6) AS returns,
               round(coalesce(sum(gross), 0) / count(*) FILTER (WHERE bought), 6) AS avg_order_value,
               {day} - max(last_day) AS recency_days,
               {day} - min(first_day) AS tenure_days
               {margin}
        FROM occasions
        GROUP BY customer_id
        HAVING count(*) FILTER (WHERE bought) > 0
    """


def customer_summary(transactions, as_of: date, *, occasion: str = "day", engine: str = "duckdb"):
    """Aggregate transactions to one row per customer as of ``as_of``.

    Parameters
    ----------
    transactions : PurchaseData, pandas.DataFrame or pyarrow.Table
        As produced by :func:`crmkit.io.purchases.read_purchases` (or its ``.transactions``):
        ``customer_id``, ``date``, ``amount`` (negative for returns), ``is_return`` and
        optionally ``order_id``, ``margin``.
    as_of : datetime.date
        Analysis date (inclusive). Rows dated later are ignored, so a calibration/holdout split
        is just an earlier ``as_of``.
    occasion : {"day", "order"}
        What counts as one purchase: a distinct purchase day (default; the convention of
        Fader, Hardie & Lee 2005 for CDNOW) or a distinct order id.
    engine : {"duckdb"}
        Aggregation engine; the one place another engine (polars, pandas) would plug in.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id, first_purchase, last_purchase, frequency`` (purchase occasions,
        returns excluded), ``monetary`` (net revenue: purchases minus returns), ``gross_revenue``,
        ``returns`` (positive), ``avg_order_value`` (gross revenue / occasions), ``recency_days``
        (as_of - last purchase), ``tenure_days`` (as_of - first purchase), and ``margin`` when
        the transactions have one. Customers with returns but no purchase up to ``as_of`` are
        not customers yet and are left out. Sorted by ``customer_id``.

    Examples
    --------
    >>> import pandas as pd, datetime
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"], "date": pd.to_datetime(["2024-01-01", "2024-01-05",
    ...                    "2024-01-03"]), "amount": [10.0, 5.0, 7.0], "is_return": [False, False, False]})
    >>> customer_summary(tx, datetime.date(2024, 1, 10))[["customer_id", "frequency", "monetary", "recency_days"]]
      customer_id  frequency  monetary  recency_days
    0           a          2      15.0             5
    1           b          1       7.0             7
    """
    from crmkit.io.engine import Frame

    if engine != "duckdb":
        raise UsageError(f"unknown aggregation engine {engine!r}")
    con, source = attach(transactions)
    columns = [c[0] for c in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    sql = f"SELECT * FROM ({summary_sql(source, as_of, occasion=occasion, columns=columns)}) ORDER BY customer_id"
    return Frame(con, sql, date_columns=("first_purchase", "last_purchase")).df()
