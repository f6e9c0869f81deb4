"""One row per customer as of an analysis date: the table every model consumes."""

from __future__ import annotations

from datetime import date

import pandas as pd

from crmkit.errors import UsageError

SUMMARY_COLUMNS = [
    "customer_id", "first_purchase", "last_purchase", "frequency", "monetary", "gross_revenue",
    "returns", "avg_order_value", "recency_days", "tenure_days",
]


def customer_summary(transactions: pd.DataFrame, as_of: date, *, occasion: str = "day",
                     engine: str = "duckdb") -> pd.DataFrame:
    """Aggregate transactions to one row per customer as of ``as_of``.

    Parameters
    ----------
    transactions : pandas.DataFrame or pyarrow.Table
        As produced by :func:`crmkit.data.read_purchases` (``.transactions`` or ``.table``):
        ``customer_id``, ``date``, ``amount`` (negative for returns), ``is_return`` and optionally
        ``order_id``, ``margin``.
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
    """
    if occasion not in ("day", "order"):
        raise UsageError(f"occasion must be 'day' or 'order', not {occasion!r}")
    names = list(getattr(transactions, "column_names", None) or transactions.columns)
    if occasion == "order" and "order_id" not in names:
        raise UsageError("--occasion order needs an order id column (name it with --order-id)")
    if engine != "duckdb":
        raise UsageError(f"unknown aggregation engine {engine!r}")
    import duckdb

    occ = "order_id" if occasion == "order" else "date"
    margin = (", sum(margin) AS margin" if "margin" in names else "")
    as_of_sql = f"DATE '{pd.Timestamp(as_of).date().isoformat()}'"
    con = duckdb.connect()
    try:
        con.register("tx", transactions)
        frame = con.sql(f"""
            SELECT customer_id,
                   min(date) FILTER (WHERE NOT is_return)::DATE AS first_purchase,
                   max(date) FILTER (WHERE NOT is_return)::DATE AS last_purchase,
                   count(DISTINCT {occ}) FILTER (WHERE NOT is_return) AS frequency,
                   sum(amount) AS monetary,
                   coalesce(sum(amount) FILTER (WHERE NOT is_return), 0) AS gross_revenue,
                   coalesce(-sum(amount) FILTER (WHERE is_return), 0) AS returns
                   {margin}
            FROM tx
            WHERE date::DATE <= {as_of_sql}
            GROUP BY customer_id
            HAVING count(*) FILTER (WHERE NOT is_return) > 0
            ORDER BY customer_id
        """).to_df()
    finally:
        con.close()
    as_of_ts = pd.Timestamp(as_of)
    frame["first_purchase"] = pd.to_datetime(frame["first_purchase"]).astype("datetime64[s]")
    frame["last_purchase"] = pd.to_datetime(frame["last_purchase"]).astype("datetime64[s]")
    frame["frequency"] = frame["frequency"].astype("int64")
    frame["avg_order_value"] = frame["gross_revenue"] / frame["frequency"]
    # Sums of binary floats carry noise in the 15th digit (26.624000000000002); six decimals
    # remove it without losing anything a currency amount holds.
    money = ["monetary", "gross_revenue", "returns", "avg_order_value"] + (["margin"] if margin else [])
    frame[money] = frame[money].round(6)
    frame["recency_days"] = (as_of_ts - frame["last_purchase"]).dt.days.astype("int64")
    frame["tenure_days"] = (as_of_ts - frame["first_purchase"]).dt.days.astype("int64")
    cols = SUMMARY_COLUMNS + (["margin"] if margin else [])
    return frame[cols]
