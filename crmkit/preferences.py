"""What customers prefer, from what they bought: channel, category, product, day and hour, price band,
discounts and the categories bought together, per customer and per RFM segment.

Every analysis runs as DuckDB SQL on the purchase rows (``tx``) up to ``as_of``, in the connection
the data lives in, so 1M rows take seconds. Only *purchase* lines count (returns are left out:
a preference is what someone chose to buy, and a share of spend stays in [0, 1]); ``spend`` is
the line amount (a zero-value line counts as a line and an occasion, not as spend).

An analysis runs when its column is in the data and skipped, with a note, when it is not:
``channel``, ``category``, ``product``, ``hour`` (``tx.hour``, missing or all NULL for an export
without times), price (``unit_price``, else ``amount / quantity``) and ``discount`` (money off per
line, NULL when not exported). Weekday preferences always run (from ``date``).

A line is *on discount* when its discount is at least ``min_discount`` (default 10%) of its list
value ``amount + discount``: exports often spread an order-level coupon or a rounding over one
line, and counting every cent off would call most customers discount buyers.

A purchase *occasion* (a basket) is an ``order_id`` when the data has one, else a customer's day
(the convention of :mod:`crmkit.summary`); the notes say which. Category affinity (support,
confidence, lift, a chi-square or Fisher test and BH q-values: :mod:`crmkit.affinity`) is read over
baskets and, as a second table, over customers (bought both, ever).

Preferred weekday, hour and daypart are the *unique* mode over a customer's occasions: the value
with strictly more occasions than any other, NULL on a tie (a customer of three orders at 9h,
14h and 20h has no preferred hour, where "the earliest" would invent one). Dayparts:
:data:`DAYPARTS`.

The segment tables use the marketing *index*: (segment's share of spend in a value / every
customer's share) × 100, so 100 is average and 150 means the segment over-indexes by half.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from crmkit.affinity import AFFINITY_COLUMNS, category_pairs
from crmkit.errors import UsageError
from crmkit.io.engine import columns_of, exact_mean, money, quote, records, sql_literal, unique_name
from crmkit.io.options import as_date, check_lang
from crmkit.io.purchases import ON_REQUEST, OPTIONAL_ROLES, PurchaseData, as_purchases, read_purchases
from crmkit.io.quality import Message
from crmkit.segment import segment

#: The analyses that need a column, in report order (weekday always runs).
ANALYSES = ("channel", "category", "product", "hour", "price", "discount")
#: A missing channel, category or product value.
UNKNOWN = "(unknown)"
#: Default minimum support of a category pair in :attr:`Preferences.affinity`.
MIN_SUPPORT = 0.01
#: Default number of pairs kept per affinity table (by lift); None keeps all.
TOP = 50
#: Significance level of the per-customer binomial test behind ``discount_label``.
DEAL_ALPHA = 0.05
#: Default least discount / list value (amount + discount) of a line counted as on discount.
MIN_DISCOUNT = 0.10
#: Dayparts by the hour an occasion starts: (name, first hour, last hour), covering 0-23.
DAYPARTS = (
    ("night", 0, 5),
    ("morning", 6, 10),
    ("midday", 11, 13),
    ("afternoon", 14, 17),
    ("evening", 18, 21),
    ("late", 22, 23),
)
#: Default price bands: quartiles of the line unit price.
QUANTILES = (0.25, 0.5, 0.75)

#: Columns of :attr:`Preferences.customers`, always in this order (NULL where an analysis was skipped).
CUSTOMER_COLUMNS = (
    "customer_id",
    "segment",
    "segment_label",
    "spend",
    "lines",
    "occasions",
    "main_channel",
    "main_channel_share",
    "channels",
    "omnichannel",
    "main_category",
    "main_category_share",
    "categories",
    "main_product",
    "main_product_share",
    "preferred_weekday",
    "preferred_hour",
    "preferred_daypart",
    "price_band",
    "price_index",
    "discounted_lines",
    "discount_line_share",
    "discount_spend_share",
    "discount_label",
)
#: Columns of :attr:`Preferences.customer_channels` (one row per customer and channel).
CHANNEL_COLUMNS = ("customer_id", "channel", "spend", "spend_share", "lines")
#: Columns of :attr:`Preferences.segments` (one row per segment of the scheme).
SEGMENT_COLUMNS = (
    "segment",
    "segment_label",
    "customers",
    "spend",
    "spend_share",
    "omnichannel_rate",
    "mean_channels",
    "mean_price_index",
    "discount_line_share",
    "discount_spend_share",
    "deal_seeker_rate",
)
#: Columns of :attr:`Preferences.segment_shares` (segment × dimension × value).
SHARE_COLUMNS = (
    "segment",
    "segment_label",
    "dimension",
    "value",
    "customers",
    "spend",
    "spend_share",
    "base_share",
    "index",
)
#: Columns of :attr:`Preferences.weekday_hour`.
WEEKDAY_HOUR_COLUMNS = ("weekday", "weekday_name", "hour", "orders", "revenue", "order_share", "revenue_share")
#: Columns of :attr:`Preferences.price_bands`.
BAND_COLUMNS = ("band", "lower", "upper", "lines", "line_share", "spend", "spend_share", "customers")

_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
}

#: The notes this module writes: key -> English template of the note's params. The report's
#: catalogue holds them in every language as ``msg:<key>`` (:mod:`crmkit.report.catalogue_customers`),
#: with ``analysis:<name>`` and ``basket:<kind>`` labels for the params it translates.
NOTE_TEXTS: dict[str, str] = {
    "preferences_skipped": "{analysis} preferences skipped: the data has no {needs} column (or it is empty)",
    "preferences_baskets": "purchase occasions (baskets) are {basket}: {baskets:,} of them",
    "preferences_returns": "{count:,} return rows left out: preferences are read from purchases only",
    "preferences_price_from_amount": "unit price computed as amount / quantity",
    "preferences_hour_partial": "{count:,} of {occasions:,} occasions have no hour: left out of the hour preferences",
}
#: English of the param values the catalogue translates (the rest show as they are).
_SHOWN = {"basket": {"customer_day": "customer × day"}}


def _note(key: str, **params: object) -> Message:
    shown = {name: _SHOWN.get(name, {}).get(str(value), value) for name, value in params.items()}
    return Message(NOTE_TEXTS[key].format(**shown), key, **params)


@dataclass
class Preferences:
    """Preferences per customer and per segment (:func:`preferences`).

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per purchasing customer, by id: :data:`CUSTOMER_COLUMNS`. ``main_*`` is the value
        with the most spend (ties: the first by name) and ``*_share`` its share of the customer's
        spend; ``preferred_weekday`` (ISO, 1 = Monday), ``preferred_hour`` (0–23) and
        ``preferred_daypart`` (:data:`DAYPARTS`) are the unique modes over occasions (NULL on a
        tie); ``discounted_lines`` counts lines at least ``min_discount`` off list; ``price_band``
        is the modal band of the customer's lines (ties: the lower), ``price_index`` 100 × the
        mean of line price / the mean line price of its category; ``discount_label`` is
        ``deal_seeker``, ``full_price`` or ``neutral`` (see :func:`preferences`, Notes).
    customer_channels : pandas.DataFrame
        :data:`CHANNEL_COLUMNS`: each customer's spend by channel; ``spend_share`` sums to 1 per customer.
    segments : pandas.DataFrame
        :data:`SEGMENT_COLUMNS`, one row per segment of the scheme in scheme order.
    segment_shares : pandas.DataFrame
        :data:`SHARE_COLUMNS`: per segment and ``dimension`` (``channel``, ``category``) each value's
        share of the segment's spend, every customer's share (``base_share``) and
        ``index`` = spend_share / base_share × 100; ``customers`` bought the value.
    affinity, affinity_customers : pandas.DataFrame
        :data:`AFFINITY_COLUMNS`: category pairs over baskets and over customers, by lift.
    weekday_hour : pandas.DataFrame
        :data:`WEEKDAY_HOUR_COLUMNS`: orders (occasions) and revenue per weekday × hour
        (``hour`` missing when the data has no hour).
    price_bands : pandas.DataFrame
        :data:`BAND_COLUMNS`: band ``i`` holds prices in (lower, upper] (the first band from its lower edge on).
    basket : str
        ``"order_id"`` or ``"customer_day"``: what an occasion is.
    skipped : tuple of str
        The :data:`ANALYSES` that did not run for lack of a column.
    notes : list of Message
    as_of : datetime.date
    scheme, lang : str
    """

    customers: Any
    customer_channels: Any
    segments: Any
    segment_shares: Any
    affinity: Any
    affinity_customers: Any
    weekday_hour: Any
    price_bands: Any
    basket: str
    skipped: tuple[str, ...]
    as_of: date
    scheme: str
    lang: str
    notes: list[Message] = field(default_factory=list)

    def rows(self):
        """The per-customer table (``-f csv`` / parquet)."""
        return self.customers

    def to_dict(self) -> dict:
        """Everything as JSON-ready values (tables as lists of records, NaN as None)."""
        return {
            "as_of": self.as_of.isoformat(),
            "scheme": self.scheme,
            "lang": self.lang,
            "basket": self.basket,
            "skipped": list(self.skipped),
            "customers": records(self.customers),
            "customer_channels": records(self.customer_channels),
            "segments": records(self.segments),
            "segment_shares": records(self.segment_shares),
            "affinity": records(self.affinity),
            "affinity_customers": records(self.affinity_customers),
            "weekday_hour": records(self.weekday_hour),
            "price_bands": records(self.price_bands),
            "notes": [str(n) for n in self.notes],
        }


def _cut_points(price_bands) -> list[float] | None:
    if price_bands is None:
        return None
    try:
        cuts = sorted({float(v) for v in price_bands})
    except (TypeError, ValueError) as exc:
        raise UsageError(f"price_bands must be numbers, got {price_bands!r}") from exc
    if not cuts or not all(math.isfinite(c) for c in cuts):
        raise UsageError(f"price_bands must be one finite number or more, got {price_bands!r}")
    return cuts


def _has_values(con, column: str, present: list[str]) -> bool:
    return column in present and con.sql(f"SELECT count({quote(column)}) FROM tx").fetchall()[0][0] > 0


def _main_sql(spend_by: str, key: str) -> str:
    """Per customer the ``key`` value with the most spend (ties: first by name), its share and the count of values."""
    # arg_min over (-spend, value) breaks ties by name in one aggregate: 40% faster than row_number() on 1M rows
    return f"""SELECT customer_id, arg_min({key}, (-spend, {key})) AS value,
        max(spend) / nullif(sum(spend), 0) AS share, count(*) AS n_values
        FROM {spend_by} GROUP BY customer_id"""


def _mode_sql(occasions: str, key: str, unique: bool = False) -> str:
    """Per customer the ``key`` value of most rows (ties: the smallest; NULL with ``unique``) and the rows counted."""
    value = f"arg_min({key}, (-n, {key}))"
    if unique:  # the two largest counts: a tie for the top leaves no mode
        value = f"CASE WHEN len(max(n, 2)) = 1 OR max(n, 2)[1] > max(n, 2)[2] THEN {value} END"
    return f"""SELECT customer_id, {value} AS value, sum(n) AS rows FROM (
        SELECT customer_id, {key}, count(*) AS n FROM {occasions} WHERE {key} IS NOT NULL GROUP BY ALL)
        GROUP BY customer_id"""


def preferences(
    purchases,
    as_of=None,
    *,
    scheme: str = "standard",
    lang: str = "en",
    top: int | None = TOP,
    price_bands: Sequence[float] | None = None,
    min_support: float = MIN_SUPPORT,
    alpha: float = DEAL_ALPHA,
    min_discount: float = MIN_DISCOUNT,
) -> Preferences:
    """Preferences per customer and per RFM segment, from the columns the purchases have.

    Parameters
    ----------
    purchases : path, PurchaseData or table
        The purchase export (anything :func:`crmkit.io.purchases.as_purchases` takes).
    as_of : date or ISO text, optional
        The analysis date; rows after it are left out. Default: the last purchase date.
    scheme, lang : str
        The RFM segment scheme and language (:func:`crmkit.segment.segment`, on the same data).
    top : int or None
        Pairs kept per affinity table, by lift (None: all that pass ``min_support``).
    price_bands : sequence of float, optional
        Cut points of the price bands; default the quartiles of the line unit price over all lines.
    min_support : float
        The share of baskets (customers) a pair must be in to be reported.
    alpha : float
        Significance level of the ``discount_label`` test.
    min_discount : float
        A line is on discount when ``discount > 0`` and ``discount / (amount + discount) >= min_discount``
        (the list value being ``amount + discount``), in [0, 1); 0 counts every line with money off.

    Returns
    -------
    Preferences

    Raises
    ------
    crmkit.errors.UsageError
        ``price_bands``, ``top``, ``min_support``, ``alpha`` or ``min_discount`` out of range; ``lang`` unknown.

    Notes
    -----
    ``discount_label``: with ``p0`` the on-discount share of all lines with a known discount and a
    customer's ``k`` on discount of ``n`` such lines, ``deal_seeker`` when the one-sided binomial
    test of ``k`` against ``n·p0`` rejects at ``alpha`` upward (P(X ≥ k) < alpha), ``full_price``
    when it rejects downward (P(X ≤ k) < alpha), else ``neutral``; missing without discount data.
    A few lines cannot reach significance, so a one-order customer is ``neutral``.

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "b"], "date": ["2024-01-01", "2024-01-02", "2024-01-03"],
    ...                       "amount": [30.0, 10.0, 5.0], "channel": ["store", "online", "store"]})
    >>> found = preferences(sales, "2024-02-01")
    >>> found.customers[["customer_id", "main_channel", "main_channel_share", "omnichannel"]].values.tolist()
    [['a', 'store', 0.75, True], ['b', 'store', 1.0, False]]
    """
    import pandas as pd

    lang = check_lang(lang)
    if top is not None and (isinstance(top, bool) or int(top) != top or top < 1):
        raise UsageError(f"top must be a positive whole number or None, got {top!r}")
    if not 0 <= float(min_support) <= 1:
        raise UsageError(f"min_support must be in [0, 1], got {min_support!r}")
    if not 0 < float(alpha) < 1:
        raise UsageError(f"alpha must be in (0, 1), got {alpha!r}")
    if not 0 <= float(min_discount) < 1:
        raise UsageError(f"min_discount must be in [0, 1), got {min_discount!r}")
    cuts = _cut_points(price_bands)
    if isinstance(purchases, PurchaseData) or hasattr(purchases, "purchase_data"):
        data = as_purchases(purchases)
    else:  # a path or a table: read with the hour and discount, which a plain read leaves out
        data = read_purchases(purchases, keep=(*OPTIONAL_ROLES, *ON_REQUEST))
    day = data.resolve_as_of(None if as_of is None else as_date(as_of, "as_of"))
    seg = segment(data, day, scheme=scheme, lang=lang)
    con = data.con
    present = columns_of(con, "tx")
    have = {name: _has_values(con, name, present) for name in ("channel", "category", "product", "hour", "discount")}
    price_column = "unit_price" if _has_values(con, "unit_price", present) else None
    from_amount = price_column is None and _has_values(con, "quantity", present)
    have["price"] = price_column is not None or from_amount
    skipped = tuple(a for a in ANALYSES if not have[a])
    notes: list[Message] = [
        _note("preferences_skipped", analysis=name, needs="unit_price / quantity" if name == "price" else name)
        for name in skipped
    ]
    basket = "order_id" if _has_values(con, "order_id", present) else "customer_day"
    occasion = "coalesce(order_id, 'day:' || date::VARCHAR)" if basket == "order_id" else "date::VARCHAR"

    def text(name: str) -> str:
        return f"coalesce(CAST({quote(name)} AS VARCHAR), {sql_literal(UNKNOWN)})" if have[name] else "NULL"

    if price_column:
        price = f"CASE WHEN {quote(price_column)} > 0 THEN {quote(price_column)}::DOUBLE END"
    elif from_amount:
        price = "CASE WHEN quantity > 0 AND amount > 0 THEN amount / quantity END"
        notes.append(_note("preferences_price_from_amount"))
    else:
        price = "NULL::DOUBLE"
    rows_used = f"date <= DATE '{day.isoformat()}' AND NOT is_return"
    # list value = amount + discount; NULL where the export has no discount for the line
    on_discount = (
        f"CASE WHEN discount IS NOT NULL THEN discount > 0 AND discount >= {float(min_discount)!r} * "
        "(amount + CAST(discount AS DOUBLE)) END"
        if have["discount"]
        else "NULL::BOOLEAN"
    )
    edges: list[float] = []
    band = "NULL::INTEGER"
    if have["price"]:
        if cuts is None:
            quantiles = ", ".join(f"quantile_cont(price, {q})" for q in QUANTILES)
            row = con.sql(f"SELECT {quantiles} FROM (SELECT {price} AS price FROM tx WHERE {rows_used})").fetchall()[0]
            cuts = sorted({float(v) for v in row if v is not None})
        edges = cuts
        # band i holds (cut[i-1], cut[i]]: 1 + the number of cut points strictly below the price
        band = (
            "CASE WHEN price IS NOT NULL THEN " + " + ".join(["1", *(f"(price > {c!r})::INT" for c in cuts)]) + " END"
        )
    daypart = "CASE " + " ".join(f"WHEN min(hour) <= {last} THEN {sql_literal(name)}" for name, _, last in DAYPARTS)
    daypart += " END"
    names = {k: unique_name(f"pref_{k}") for k in ("seg", "lines", "occ", "cust", "channel", "category", "product")}
    lines, occ = names["lines"], names["occ"]
    segment_frame = seg.customers[["customer_id", "segment", "segment_label"]].astype(str)
    order = {str(k): i for i, k in enumerate(seg.segments["segment"])}
    labels = dict(zip((str(k) for k in seg.segments["segment"]), (str(v) for v in seg.segments["segment_label"])))
    view = unique_name("pref_segments_frame")
    con.register(view, segment_frame)
    try:
        con.execute(f"CREATE TEMP TABLE {names['seg']} AS SELECT * FROM {view}")
        con.execute(
            f"""CREATE TEMP TABLE {lines} AS
            SELECT *, {band} AS band FROM (
                SELECT customer_id, date, {occasion} AS occasion, {money("greatest(amount, 0)")} AS spend,
                   {text("channel")} AS channel, {text("category")} AS category, {text("product")} AS product,
                   {"TRY_CAST(hour AS SMALLINT)" if have["hour"] else "NULL::SMALLINT"} AS hour,
                   {"CAST(discount AS DOUBLE)" if have["discount"] else "NULL::DOUBLE"} AS discount,
                   {on_discount} AS on_discount,
                   {price} AS price
            FROM tx WHERE {rows_used})"""
        )
        for key in (k for k in ("channel", "category", "product") if have[k]):  # grouped once, read by each table
            by = f"customer_id, {key}"
            con.execute(f"CREATE TEMP TABLE {names[key]} AS SELECT {by}, sum(spend) AS spend, count(*) AS lines "
                        f"FROM {lines} GROUP BY {by}")  # fmt: skip
        returns = con.sql(f"SELECT count(*) FILTER (WHERE is_return) FROM tx WHERE date <= DATE '{day}'").fetchall()
        returns = returns[0][0]
        if returns:
            notes.append(_note("preferences_returns", count=int(returns)))
        con.execute(
            f"""CREATE TEMP TABLE {occ} AS SELECT customer_id, occasion, isodow(min(date)) AS weekday,
                min(hour) AS hour, {daypart} AS daypart, sum(spend) AS spend
                FROM {lines} GROUP BY customer_id, occasion"""
        )
        n_occ, no_hour = con.sql(f"SELECT count(*), count(*) - count(hour) FROM {occ}").fetchall()[0]
        notes.append(_note("preferences_baskets", basket=basket, baskets=n_occ))
        if have["hour"] and no_hour:
            notes.append(_note("preferences_hour_partial", count=int(no_hour), occasions=int(n_occ)))
        customers = _customer_table(con, names, have, alpha, pd)
        segments, shares = _segment_tables(con, names, have, customers, order, labels, pd)
        channels = (
            con.sql(
                f"""SELECT customer_id, channel, spend, spend / nullif(sum(spend) OVER (PARTITION BY customer_id), 0)
                AS spend_share, lines FROM {names["channel"]} ORDER BY customer_id, spend DESC, channel"""
            ).df()
            if have["channel"]
            else pd.DataFrame(columns=list(CHANNEL_COLUMNS))
        )
        affinity = affinity_customers = pd.DataFrame(columns=list(AFFINITY_COLUMNS))
        if have["category"]:
            affinity, affinity_customers = (
                category_pairs(con, source, part, basis, min_support, top)
                for source, part, basis in ((lines, "occasion", "basket"), (names["category"], "0", "customer"))
            )
        weekday_hour = con.sql(
            f"""SELECT weekday, hour, count(*) AS orders, sum(spend) AS revenue,
                count(*) / sum(count(*)) OVER () AS order_share,
                sum(spend) / nullif(sum(sum(spend)) OVER (), 0) AS revenue_share
            FROM {occ} GROUP BY weekday, hour ORDER BY weekday, hour NULLS FIRST"""
        ).df()
        weekday_hour["orders"] = weekday_hour["orders"].astype("int64")
        weekday_hour.insert(1, "weekday_name", [_WEEKDAYS[lang][int(w) - 1] for w in weekday_hour["weekday"]])
        bands = _band_table(con, lines, customers, edges, pd) if have["price"] else pd.DataFrame(columns=BAND_COLUMNS)
    finally:
        con.unregister(view)
        for name in names.values():
            con.execute(f"DROP TABLE IF EXISTS {name}")
    return Preferences(
        customers=customers.drop(columns="known_lines"),
        customer_channels=channels[list(CHANNEL_COLUMNS)],
        segments=segments,
        segment_shares=shares,
        affinity=affinity,
        affinity_customers=affinity_customers,
        weekday_hour=weekday_hour[list(WEEKDAY_HOUR_COLUMNS)],
        price_bands=bands,
        basket=basket,
        skipped=skipped,
        as_of=day,
        scheme=scheme,
        lang=lang,
        notes=notes,
    )


def _customer_table(con, names: dict, have: dict, alpha: float, pd):
    """The per-customer rows (:data:`CUSTOMER_COLUMNS`, and ``known_lines`` for the segment tables)."""
    lines, occ = names["lines"], names["occ"]
    joins, picks = [], []

    def main(key: str, count: str | None = None) -> None:
        alias = f"m_{key}"
        if have[key]:
            joins.append(f"LEFT JOIN ({_main_sql(names[key], key)}) {alias} USING (customer_id)")
            picks.append(f"{alias}.value AS main_{key}, {alias}.share AS main_{key}_share")
            if count:
                picks.append(f"{alias}.n_values AS {count}")
        else:
            picks.append(f"NULL::VARCHAR AS main_{key}, NULL::DOUBLE AS main_{key}_share")
            if count:
                picks.append(f"NULL::BIGINT AS {count}")

    main("channel", count="channels")
    picks.append("channels >= 2 AS omnichannel" if have["channel"] else "NULL::BOOLEAN AS omnichannel")
    main("category", count="categories")
    main("product")
    joins.append(f"LEFT JOIN ({_mode_sql(occ, 'weekday', unique=True)}) wd USING (customer_id)")
    picks.append("wd.value AS preferred_weekday")
    if have["hour"]:
        for alias, key in (("hr", "hour"), ("dp", "daypart")):
            joins.append(f"LEFT JOIN ({_mode_sql(occ, key, unique=True)}) {alias} USING (customer_id)")
        picks.append("hr.value AS preferred_hour, dp.value AS preferred_daypart")
    else:
        picks.append("NULL::SMALLINT AS preferred_hour, NULL::VARCHAR AS preferred_daypart")
    # one pass over the lines for every plain per-customer sum: each GROUP BY customer_id costs ~0.5 s on 1M rows
    totals, source = ["sum(spend) AS spend", "count(*) AS lines"], lines
    if have["price"]:
        # the price index compares a line with its category's mean price, so buying electronics is not "premium"
        mean_by = "category" if have["category"] else "0"
        source = (
            f"{lines} LEFT JOIN (SELECT {mean_by} AS _by, {exact_mean('price')} AS mean_price "
            f"FROM {lines} GROUP BY 1) m "
            f"ON m._by = {mean_by}"
        )
        # exact sums, so that the index does not depend on the order threads add lines in
        totals.append("100 * avg(CAST(price / mean_price AS DECIMAL(18,9))) AS price_index")
        joins.append(f"LEFT JOIN ({_mode_sql(lines, 'band')}) pb USING (customer_id)")
        picks.append("pb.value AS price_band, t.price_index")
    else:
        picks.append("NULL::INTEGER AS price_band, NULL::DOUBLE AS price_index")
    if have["discount"]:
        totals += [
            "count(discount) AS known_lines",
            "count(*) FILTER (WHERE on_discount) AS discounted_lines",
            "sum(spend) FILTER (WHERE on_discount) AS discounted_spend",
            "sum(spend) FILTER (WHERE discount IS NOT NULL) AS known_spend",
        ]
        picks.append(
            "t.known_lines, coalesce(t.discounted_lines, 0) AS discounted_lines, "
            "coalesce(t.discounted_lines, 0) / nullif(t.known_lines, 0) AS discount_line_share, "
            "coalesce(t.discounted_spend, 0) / nullif(t.known_spend, 0) AS discount_spend_share"
        )
    else:
        picks.append(
            "NULL::BIGINT AS known_lines, NULL::BIGINT AS discounted_lines, "
            "NULL::DOUBLE AS discount_line_share, NULL::DOUBLE AS discount_spend_share"
        )
    sql = f"""SELECT s.customer_id, s.segment, s.segment_label, t.spend, t.lines, wd.rows AS occasions,
        {", ".join(picks)} FROM {names["seg"]} s
        LEFT JOIN (SELECT customer_id, {", ".join(totals)} FROM {source} GROUP BY customer_id) t USING (customer_id)
        {" ".join(joins)} ORDER BY s.customer_id"""
    con.execute(f"CREATE TEMP TABLE {names['cust']} AS {sql}")
    frame = con.sql(f"SELECT * FROM {names['cust']}").df()
    frame["discount_label"] = _deal_labels(frame, have["discount"], alpha)
    for name in ("lines", "occasions"):
        frame[name] = frame[name].fillna(0).astype("int64")
    for name in ("channels", "categories", "preferred_weekday", "preferred_hour", "price_band", "discounted_lines"):
        frame[name] = frame[name].astype("Int64")
    frame["omnichannel"] = frame["omnichannel"].astype("boolean")
    return frame[list(CUSTOMER_COLUMNS) + ["known_lines"]]


def _deal_labels(frame, have_discount: bool, alpha: float) -> np.ndarray:
    """``deal_seeker`` / ``full_price`` / ``neutral`` by a one-sided binomial test against the overall share."""
    labels = np.full(len(frame), None, dtype=object)
    if not have_discount:
        return labels
    from scipy.stats import binom

    n = frame["known_lines"].fillna(0).to_numpy(dtype=float)
    k = frame["discounted_lines"].fillna(0).to_numpy(dtype=float)
    if n.sum() == 0:
        return labels
    p0 = k.sum() / n.sum()
    upper = binom.sf(k - 1, n, p0)  # P(X >= k)
    lower = binom.cdf(k, n, p0)  # P(X <= k)
    known = n > 0
    labels[known] = "neutral"
    labels[known & (upper < alpha)] = "deal_seeker"
    labels[known & (lower < alpha)] = "full_price"
    return labels


def _segment_tables(con, names: dict, have: dict, customers, order: dict, labels: dict, pd):
    """:data:`SEGMENT_COLUMNS` (one row per scheme segment) and :data:`SHARE_COLUMNS`."""
    lines, seg = names["lines"], names["seg"]
    work = customers.copy()
    work["deal"] = (work["discount_label"] == "deal_seeker").where(work["discount_label"].notna())
    work["omni"] = work["omnichannel"].astype("float")
    grouped = work.groupby("segment", sort=False)
    table = pd.DataFrame(
        {
            "customers": grouped.size(),
            "spend": grouped["spend"].sum(),
            "omnichannel_rate": grouped["omni"].mean(),
            "mean_channels": grouped["channels"].mean().astype(float),
            "mean_price_index": grouped["price_index"].mean(),
            "deal_seeker_rate": grouped["deal"].apply(lambda s: s.astype(float).mean()),
        }
    )
    if have["discount"]:
        disc = f"""SELECT s.segment,
                count(*) FILTER (WHERE on_discount) / nullif(count(discount), 0) AS discount_line_share,
                sum(spend) FILTER (WHERE on_discount) / nullif(sum(spend) FILTER (WHERE discount IS NOT NULL), 0)
                    AS discount_spend_share
            FROM {lines} JOIN {seg} s USING (customer_id) GROUP BY s.segment"""
        table = table.join(con.sql(disc).df().set_index("segment"))
    else:
        table["discount_line_share"] = table["discount_spend_share"] = math.nan
    full = pd.DataFrame({"segment": list(order)}).set_index("segment").join(table).reset_index()
    full["segment_label"] = full["segment"].map(labels)
    full["customers"] = full["customers"].fillna(0).astype("int64")
    full["spend"] = full["spend"].fillna(0.0)
    total = float(full["spend"].sum())
    full["spend_share"] = full["spend"] / total if total > 0 else math.nan
    frames = []
    for dimension in (d for d in ("channel", "category") if have[d]):
        frames.append(
            con.sql(
                f"""WITH cell AS (SELECT s.segment, {dimension} AS value, count(*) AS customers, sum(spend) AS spend
                        FROM {names[dimension]} JOIN {seg} s USING (customer_id) GROUP BY ALL),
                base AS (SELECT value, sum(spend) / nullif(sum(sum(spend)) OVER (), 0) AS base_share
                    FROM cell GROUP BY value)
                SELECT segment, {sql_literal(dimension)} AS dimension, value, customers, spend,
                       spend / nullif(sum(spend) OVER (PARTITION BY segment), 0) AS spend_share, base_share
                FROM cell JOIN base USING (value)"""
            ).df()
        )
    if frames:
        shares = pd.concat(frames, ignore_index=True)
        shares["index"] = 100 * shares["spend_share"] / shares["base_share"]
        shares["segment_label"] = shares["segment"].map(labels)
        shares["_order"] = shares["segment"].map(order)
        shares = shares.sort_values(["_order", "dimension", "index", "value"], ascending=[True, True, False, True])
        shares["customers"] = shares["customers"].astype("int64")
    else:
        shares = pd.DataFrame(columns=list(SHARE_COLUMNS))
    return full[list(SEGMENT_COLUMNS)], shares[list(SHARE_COLUMNS)].reset_index(drop=True)


def _band_table(con, lines: str, customers, edges: list[float], pd):
    """:data:`BAND_COLUMNS`: each band's edges, lines and spend, and the customers whose modal band it is."""
    low, high = con.sql(f"SELECT min(price), max(price) FROM {lines} WHERE price IS NOT NULL").fetchall()[0]
    bounds = [low, *edges, high]
    counts = (
        con.sql(
            f"SELECT band, count(*) AS lines, sum(spend) AS spend FROM {lines} WHERE band IS NOT NULL GROUP BY band"
        )
        .df()
        .set_index("band")
    )
    table = pd.DataFrame({"band": np.arange(1, len(edges) + 2)})
    table["lower"] = bounds[:-1]
    table["upper"] = bounds[1:]
    table = table.join(counts, on="band")
    table["lines"] = table["lines"].fillna(0).astype("int64")
    table["spend"] = table["spend"].fillna(0.0)
    table["line_share"] = table["lines"] / max(int(table["lines"].sum()), 1)
    total = float(table["spend"].sum())
    table["spend_share"] = table["spend"] / total if total > 0 else math.nan
    modal = customers["price_band"].value_counts()
    table["customers"] = table["band"].map(modal).fillna(0).astype("int64")
    return table[list(BAND_COLUMNS)]
