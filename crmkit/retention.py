"""Acquisition-cohort retention: the cohort-by-period ("C3") tables of issue #5.

Customers are grouped by the calendar period of their first purchase (their acquisition
cohort); each table has one row per cohort and one column per period since acquisition
k = 0, 1, 2, ... This is the customer-cohort chart Fader & Hardie call the "C3" (customer
cohort chart) and the standard cohort-retention definition: retention(k) = customers of the
cohort active in period k / cohort size.

The counting runs as one DuckDB query over :func:`crmkit.summary.occasions_sql`, so a purchase
occasion (day or order), a return and the analysis date mean exactly what they mean in the
customer summary. Only the small cohort x period result reaches pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from crmkit.errors import UsageError
from crmkit.io.engine import attach, columns_of, records
from crmkit.io.options import as_date
from crmkit.io.purchases import as_purchases
from crmkit.pushdown import PushedDown, push_down
from crmkit.summary import occasions_sql

if TYPE_CHECKING:
    import pandas as pd


PERIODS = ("week", "month", "quarter")

#: Periods since acquisition reported in ``RetentionResult.summary``.
SUMMARY_PERIODS = (1, 3, 6, 12)

#: Most periods since acquisition a cohort table holds (38 years of weeks, 166 of months): a span
#: of centuries (a date typed 0001 or 9999) would otherwise allocate tables of billions of cells.
MAX_PERIODS = 2000

# Week numbers count from this Monday so that a week index is (monday - _EPOCH_MONDAY) / 7.
_EPOCH_MONDAY = date(1970, 1, 5)


@dataclass
class RetentionResult:
    """Cohort-by-period tables of an acquisition-cohort analysis.

    Every table is a pandas DataFrame with index ``cohort`` (labels such as ``"2024-01"``,
    ``"2024-Q1"`` or ``"2024-W05"``, oldest first) and integer columns ``k`` (periods since
    acquisition). A cell is NaN when the period cannot be observed yet (see
    :func:`cohort_retention`) and 0.0 when it was observed and nothing happened.

    Attributes
    ----------
    period : str
        ``"week"`` (ISO, Monday start), ``"month"`` or ``"quarter"``.
    occasion : str
        ``"day"`` or ``"order"``: what counts as one purchase.
    as_of : datetime.date
        Analysis date (inclusive).
    include_partial : bool
        Whether the period containing ``as_of`` is reported although it has not ended.
    cohort_size : pandas.Series
        Customers acquired in each cohort (int), indexed like the tables.
    customers : pandas.DataFrame
        Customers of the cohort with at least one purchase occasion in period k.
    retention : pandas.DataFrame
        ``customers / cohort_size``; 1.0 at k = 0 by construction.
    revenue : pandas.DataFrame
        Net revenue (purchases minus returns, by transaction day) of the cohort's customers in
        period k.
    revenue_retention : pandas.DataFrame
        ``revenue / revenue at k = 0``; NaN when the cohort's k = 0 revenue is not positive.
    repeat_rate : pandas.DataFrame
        Share of the cohort that has made at least one purchase occasion after its first one by
        the end of period k (cumulative, so non-decreasing along a row).
    churn_rate : pandas.DataFrame
        Columns k = 1, 2, ...: the share of the customers active in period k - 1 who are not
        active in period k. NaN when nobody was active in period k - 1.
    summary : dict
        ``customers`` and ``cohorts`` (int), and ``retention_1``, ``retention_3``,
        ``retention_6``, ``retention_12``: retention at that k averaged over the cohorts that can
        observe it, weighted by cohort size (None when no cohort can).
    """

    period: str
    occasion: str
    as_of: date
    include_partial: bool
    cohort_size: pd.Series
    customers: pd.DataFrame
    retention: pd.DataFrame
    revenue: pd.DataFrame
    revenue_retention: pd.DataFrame
    repeat_rate: pd.DataFrame
    churn_rate: pd.DataFrame
    summary: dict = field(default_factory=dict)

    #: The cohort x period tables, in the order the CLI and the report show them.
    TABLES = ("customers", "retention", "revenue", "revenue_retention", "repeat_rate", "churn_rate")

    def wide(self, name: str = "retention"):
        """One table as the CLI's csv and the report show it: ``cohort, cohort_size, k0, k1, ...``.

        Examples
        --------
        >>> import pandas as pd
        >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"], "date": ["2024-01-03", "2024-02-10", "2024-01-20"],
        ...                    "amount": [10, 20, 5]})
        >>> cohort_retention(tx, "2024-03-31").wide().to_dict("records")
        [{'cohort': '2024-01', 'cohort_size': 2, 'k0': 1.0, 'k1': 0.5, 'k2': 0.0}]
        """
        if name not in self.TABLES:
            raise UsageError(f"no retention table {name!r}", hint="tables: " + ", ".join(self.TABLES))
        frame = getattr(self, name).copy()
        frame.columns = [f"k{c}" for c in frame.columns]
        frame.insert(0, "cohort_size", self.cohort_size.reindex(frame.index).to_numpy())
        return frame.rename_axis("cohort").reset_index()

    def to_dict(self) -> dict:
        """Every table and the summary as JSON-ready values: what ``crmkit retention -f json`` writes."""

        def rows(frame):
            return records(frame.rename_axis("cohort").reset_index())

        return {
            "period": self.period,
            "as_of": self.as_of.isoformat(),
            "summary": self.summary,
            **{name: rows(getattr(self, name)) for name in self.TABLES},
        }


def _index_sql(day: str, period: str) -> str:
    """A period number for a DATE expression: consecutive periods get consecutive integers."""
    if period == "month":
        return f"(year({day}) * 12 + month({day}) - 1)"
    if period == "quarter":
        return f"(year({day}) * 4 + quarter({day}) - 1)"
    return f"((date_trunc('week', {day})::DATE - DATE '{_EPOCH_MONDAY.isoformat()}') // 7)"


def _index(day: date, period: str) -> int:
    """:func:`_index_sql` in Python."""
    if period == "month":
        return day.year * 12 + day.month - 1
    if period == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    return (day - _EPOCH_MONDAY).days // 7


def _label(index: int, period: str) -> str:
    """The cohort label of a period number: ``2024-01``, ``2024-Q1``, ``2024-W05`` (ISO year and week)."""
    if period == "month":
        return f"{index // 12}-{index % 12 + 1:02d}"
    if period == "quarter":
        return f"{index // 4}-Q{index % 4 + 1}"
    year, week, _ = (_EPOCH_MONDAY + timedelta(weeks=index)).isocalendar()
    return f"{year}-W{week:02d}"


def retention_sql(source: str, as_of: date, *, period: str = "month", occasion: str = "day", columns=()) -> str:
    """The cohort counts as a DuckDB SELECT over a transactions table expression (long form, unordered).

    One row per cohort and k with ``cohort`` (period number of the acquisition period), ``k``,
    ``active`` (customers with a purchase occasion in period k), ``stayed`` (of those, customers
    also active in period k - 1), ``repeaters`` (customers whose second purchase occasion falls
    in period k) and ``revenue`` (net revenue in period k). See :func:`cohort_retention`.
    """
    occ = occasions_sql(source, as_of, occasion=occasion, columns=columns)
    # Revenue is dated by transaction day: with order occasions a return-only order (a
    # cancellation invoice) has no purchase day, so day occasions carry the revenue in both cases.
    if occasion == "day":
        days_cte, days = "", "occ"
    else:
        days_cte = f"days AS MATERIALIZED ({occasions_sql(source, as_of, occasion='day', columns=columns)}),"
        days = "days"
    return f"""
        WITH occ AS MATERIALIZED ({occ}),
        {days_cte}
        acquired AS MATERIALIZED (
            -- the two earliest purchase occasions: the first sets the cohort, the second is the
            -- first repeat (two orders on one day give the same day twice)
            SELECT customer_id, firsts[1] AS first_day, firsts[2] AS repeat_day,
                   {_index_sql("firsts[1]", period)} AS cohort
            FROM (SELECT customer_id, min(first_day, 2) AS firsts FROM occ WHERE bought GROUP BY customer_id)
        ),
        active AS (
            SELECT customer_id, p, lag(p) OVER (PARTITION BY customer_id ORDER BY p) = p - 1 AS stayed
            FROM (SELECT DISTINCT customer_id, {_index_sql("first_day", period)} AS p FROM occ WHERE bought)
        ),
        activity AS (
            SELECT a.cohort, p.p - a.cohort AS k, count(*) AS active, count(*) FILTER (WHERE p.stayed) AS stayed
            FROM active p JOIN acquired a USING (customer_id)
            GROUP BY ALL
        ),
        repeats AS (
            SELECT cohort, {_index_sql("repeat_day", period)} - cohort AS k, count(*) AS repeaters
            FROM acquired WHERE repeat_day IS NOT NULL
            GROUP BY ALL
        ),
        revenue AS (
            -- returns dated before a customer's first purchase (goods bought before the data
            -- starts) fall before k = 0 and are left out; net is an exact decimal, so the sum
            -- does not depend on row order or threads
            SELECT a.cohort, r.p - a.cohort AS k, sum(r.net) AS revenue
            FROM (SELECT customer_id, {_index_sql("occasion::DATE", period)} AS p, sum(net) AS net
                  FROM {days} GROUP BY ALL) r
            JOIN acquired a USING (customer_id)
            WHERE r.p >= a.cohort
            GROUP BY ALL
        )
        {counts_sql("activity", "repeats", "revenue")}
    """


def counts_sql(activity: str, repeats: str, revenue: str) -> str:
    """The long cohort table from its three parts: (cohort, k) with ``active, stayed``, with
    ``repeaters``, and with ``revenue`` (an exact decimal). :mod:`crmkit.pushdown` computes the
    parts where the rows are; this finishes them either way."""
    return f"""
        SELECT cohort, k, coalesce(active, 0) AS active, coalesce(stayed, 0) AS stayed,
               coalesce(repeaters, 0) AS repeaters, coalesce(revenue, 0)::DOUBLE AS revenue
        FROM {activity} FULL JOIN {repeats} USING (cohort, k) FULL JOIN {revenue} USING (cohort, k)
    """


def _index_expr(day, period: str):
    """:func:`_index_sql` as an ibis expression, in integer arithmetic every engine does alike (SQLite
    has no date difference without a user function): weeks count days by the civil calendar
    (Hinnant's ``days_from_civil``) from 1900-01-01, a Monday, 3,653 weeks before the epoch Monday."""
    import ibis

    year, month = day.year().cast("int64"), day.month().cast("int64")
    if period == "month":
        return year * 12 + month - 1
    if period == "quarter":
        return year * 4 + (month - 1) // 3
    march_year = year - ibis.ifelse(month <= 2, 1, 0)
    day_of_year = (153 * ibis.ifelse(month > 2, month - 3, month + 9) + 2) // 5 + day.day().cast("int64") - 1
    days = march_year * 365 + march_year // 4 - march_year // 100 + march_year // 400 + day_of_year
    return (days - _DAYS_TO_1900) // 7 - 3653


_CIVIL_START = date(1900, 1, 1)
#: ``days`` of :func:`_index_expr` on 1900-01-01 (days since 0000-03-01 of the proleptic calendar).
_DAYS_TO_1900 = 693_901


def _pushed_counts(pushed, as_of: date, period: str, occasion: str):
    """:func:`retention_sql`'s three parts computed where the rows are (:class:`crmkit.pushdown.PushedDown`),
    finished here by :func:`counts_sql`: a connection and the query of the long cohort table."""
    import ibis

    occ = pushed.occasions(as_of, occasion)
    bought = occ.filter(occ.bought)
    # the two earliest purchase occasions: the first sets the cohort, the second is the first repeat
    ranked = bought.mutate(rank=ibis.row_number().over(group_by=bought.customer_id, order_by=[bought.first_day]))
    acquired = ranked.group_by("customer_id").aggregate(
        first_day=ranked.first_day.min(), repeat_day=ranked.first_day.max(where=ranked["rank"] == 1)
    )
    acquired = acquired.mutate(cohort=_index_expr(acquired.first_day, period))
    periods = bought.select("customer_id", p=_index_expr(bought.first_day, period)).distinct()
    previous = periods.p.lag().over(group_by=periods.customer_id, order_by=periods.p)
    periods = periods.mutate(stayed=previous == periods.p - 1)
    joined = periods.join(acquired, "customer_id")
    activity = joined.group_by(cohort=joined.cohort, k=joined.p - joined.cohort).aggregate(
        active=joined.count(), stayed=joined.count(where=joined.stayed)
    )
    later = acquired.filter(acquired.repeat_day.notnull())
    repeats = later.group_by(cohort=later.cohort, k=_index_expr(later.repeat_day, period) - later.cohort).aggregate(
        repeaters=later.count()
    )
    # revenue is dated by transaction day, whatever the occasion (see retention_sql)
    days = occ if occasion == "day" else pushed.occasions(as_of, "day")
    per_period = days.group_by(["customer_id", _index_expr(days.occasion, period).name("p")]).aggregate(
        net=days.net.sum()
    )
    dated = per_period.join(acquired, "customer_id")
    dated = dated.filter(dated.p >= dated.cohort)
    revenue = dated.group_by(cohort=dated.cohort, k=dated.p - dated.cohort).aggregate(revenue=dated.net.sum())
    ints = ("cohort", "k", "active", "stayed", "repeaters")
    con, parts = None, []
    for part in (activity, repeats, revenue):
        con, name = pushed.fetch_local(part, money=("revenue",), counts=ints, con=con)
        parts.append(name)
    return con, counts_sql(*parts)


def cohort_retention(
    transactions,
    as_of=None,
    *,
    period: str = "month",
    occasion: str = "day",
    include_partial: bool = False,
    engine: str | None = None,
) -> RetentionResult:
    """Acquisition-cohort retention, revenue, repeat and churn tables as of ``as_of``.

    A customer's cohort is the calendar period (ISO week starting Monday, month or quarter) of
    their first purchase occasion; period k = 0 is that period, k = 1 the next one, and so on.
    A customer is *active* in period k when they make a purchase occasion in it (a return is
    not a purchase, but it does reduce that period's revenue). Retention is the standard
    cohort definition (the "C3" customer-cohort chart of Fader & Hardie): active customers in
    period k / cohort size.

    Parameters
    ----------
    transactions : PurchaseData, pandas.DataFrame or pyarrow.Table
        As produced by :func:`crmkit.io.purchases.read_purchases` (or its ``.transactions``):
        ``customer_id``, ``date``, ``amount`` (negative for returns), ``is_return`` and
        optionally ``order_id``.
    as_of : datetime.date
        Analysis date (inclusive); transactions dated later are ignored. A ``datetime`` or an
        ISO ``"YYYY-MM-DD"`` string is accepted too.
    period : {"month", "week", "quarter"}
        Length of a cohort and of a period since acquisition.
    occasion : {"day", "order"}
        What counts as one purchase, as in :func:`crmkit.summary.customer_summary`.
    include_partial : bool, default False
        Report the period containing ``as_of`` although it has not ended yet. By default a
        period is *observable* only when its last day is on or before ``as_of``: a half-seen
        month would show retention falling where customers simply have not come back *yet*.
    engine : {"duckdb", "db", "spark"}, optional
        Where the purchases are aggregated, as in :func:`crmkit.segment.segment` (default: a
        database source in its database, a Spark source on Spark).

    Returns
    -------
    RetentionResult
        ``cohort_size`` and the tables ``customers``, ``retention``, ``revenue``,
        ``revenue_retention``, ``repeat_rate`` (columns k = 0, 1, ...) and ``churn_rate``
        (columns k = 1, 2, ...), plus ``summary``. Cells of periods that are not observable
        are NaN, observed periods without activity are 0.0 -- so a cohort acquired in the
        still-running period has a row (and a size) but only NaN cells. Columns run up to the
        largest k observable for the oldest cohort.

    Notes
    -----
    ``churn_rate`` at k is the share of the customers active in period k - 1 who are not
    active in period k: 1 - |A(k-1) ∩ A(k)| / |A(k-1)|. It lies in [0, 1] and equals
    1 - retention(k) / retention(k-1) when lapsed customers never come back; in retail they
    do, and that net ratio (``1 - result.retention / result.retention.shift(axis=1)``) then
    turns negative whenever returning customers outnumber lapsing ones.

    Examples
    --------
    >>> import datetime, pandas as pd
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c", "c"],
    ...     "date": pd.to_datetime(["2024-01-03", "2024-02-10", "2024-01-20", "2024-02-05", "2024-03-01"]),
    ...     "amount": [10.0, 20.0, 5.0, 8.0, -8.0], "is_return": [False, False, False, False, True]})
    >>> result = cohort_retention(tx, datetime.date(2024, 3, 31))
    >>> result.retention  # doctest: +NORMALIZE_WHITESPACE
    k          0    1    2
    cohort
    2024-01  1.0  0.5  0.0
    2024-02  1.0  0.0  NaN
    >>> result.revenue  # doctest: +NORMALIZE_WHITESPACE
    k           0     1    2
    cohort
    2024-01  15.0  20.0  0.0
    2024-02   8.0  -8.0  NaN
    """
    import numpy as np
    import pandas as pd

    if period not in PERIODS:
        raise UsageError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    transactions = push_down(transactions, engine=engine) or as_purchases(transactions)
    as_of = transactions.resolve_as_of(None if as_of is None else as_date(as_of, "as_of"))
    if isinstance(transactions, PushedDown) and (transactions.quality.first_date or as_of) < _CIVIL_START:
        transactions = transactions.purchase_data()  # _index_expr counts weeks from 1900 on
    if isinstance(transactions, PushedDown):  # counted where the rows are
        con, sql = _pushed_counts(transactions, as_of, period, occasion)
    else:
        con, source = attach(transactions)
        sql = retention_sql(source, as_of, period=period, occasion=occasion, columns=columns_of(con, source))
    cohort, k, active, stayed, repeaters, revenue_k = (
        np.asarray(v) for v in con.sql(f"SELECT * FROM ({sql}) ORDER BY cohort, k").fetchnumpy().values()
    )

    # The last period number observable: the one containing as_of, or the one before it unless
    # as_of is that period's last day (date.max ends no period that could be seen).
    if include_partial or as_of == date.max:
        last = _index(as_of, period)
    else:
        last = _index(as_of + timedelta(days=1), period) - 1
    cohorts = np.unique(cohort).astype(np.int64)
    if len(cohorts) and last - int(cohorts[0]) + 1 > MAX_PERIODS:
        raise UsageError(
            f"{last - int(cohorts[0]) + 1:,} {period}s from the first cohort ({_label(int(cohorts[0]), period)}) "
            f"to the as-of date {as_of.isoformat()} are more than the {MAX_PERIODS:,} a cohort table holds",
            hint="choose a longer --period, an earlier --as-of, or check the purchase dates",
        )
    labels = pd.Index([_label(int(c), period) for c in cohorts], name="cohort")
    observable_k = last - cohorts  # per cohort, the last observable k (negative: none)
    n_k = max(int(observable_k.max(initial=-1)), 0) + 1
    ks = np.arange(n_k)
    blank = ks[None, :] > observable_k[:, None]

    row = np.searchsorted(cohorts, cohort)
    inside = (k >= 0) & (k < n_k)

    def matrix(values):
        out = np.zeros((len(cohorts), n_k))
        np.add.at(out, (row[inside], k[inside].astype(np.int64)), np.asarray(values, dtype=float)[inside])
        return out

    # Everyone is active in their acquisition period, so the cohort size is active at k = 0.
    at_zero = k == 0
    size = np.zeros(len(cohorts), dtype=np.int64)
    size[row[at_zero]] = active[at_zero]

    def table(values, columns=ks):
        values = np.where(blank[:, columns], np.nan, values)
        return pd.DataFrame(values, index=labels.copy(), columns=pd.Index(columns, name="k"))

    customers = matrix(active)
    revenue = matrix(revenue_k)
    with np.errstate(divide="ignore", invalid="ignore"):
        retention = customers / size[:, None]
        first_revenue = revenue[:, :1]
        revenue_retention = np.where(first_revenue > 0, revenue / np.where(first_revenue > 0, first_revenue, 1), np.nan)
        repeat_rate = np.cumsum(matrix(repeaters), axis=1) / size[:, None]
        previous = customers[:, :-1]
        churn = np.where(previous > 0, 1 - matrix(stayed)[:, 1:] / np.where(previous > 0, previous, 1), np.nan)

    result = RetentionResult(
        period=period,
        occasion=occasion,
        as_of=as_of,
        include_partial=include_partial,
        cohort_size=pd.Series(size, index=labels.copy(), name="cohort_size"),
        customers=table(customers),
        retention=table(retention),
        revenue=table(revenue),
        revenue_retention=table(revenue_retention),
        repeat_rate=table(repeat_rate),
        churn_rate=table(churn, ks[1:]),
    )
    result.summary = {"customers": int(size.sum()), "cohorts": len(cohorts)}
    for j in SUMMARY_PERIODS:
        seen = observable_k >= j
        result.summary[f"retention_{j}"] = (
            float(customers[seen, j].sum() / size[seen].sum()) if j < n_k and seen.any() else None
        )
    return result
