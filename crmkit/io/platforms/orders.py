"""A platform's order export as the reader's generic rows: one row per input row, net amounts, non-purchases marked.

:func:`platform_rows` runs one DuckDB query over the export's text columns and leaves a table
the generic cleaning (:mod:`crmkit.io.purchases`) reads like any export, so every later rule
(dates, total rows, bad values named by row and column) holds for platform exports too. What it
does, by the platform's rules (:class:`~crmkit.io.platforms.Platform`):

* values mangled on purpose lose their disguise: ``="1234567890123456"`` (kept from spreadsheet
  rounding), a trailing tab, a byte-order mark;
* order fields come from the order's first row that has them (Shopify writes Email, Total and
  Financial Status only on an order's first line item), so no line item is dropped or counted twice;
* the amount is what the buyer paid net of refunds and of any balance still outstanding, once per
  order; an order of several line items is split over them by line total or price x quantity, in
  cents by the largest remainder (no line below zero; the lines add up to the order exactly);
* the date is the payment time where there is one, else the creation time, as the shop's calendar
  day (a time of day or a time-zone offset does not move it); that time as written is kept too
  (``_clock``), for the reader's hour of day;
* unpaid, closed, cancelled and fully refunded orders are marked with a drop reason, which the
  reader counts: they are not purchases.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from crmkit.io.columns import NULL_WORDS, resolve_override
from crmkit.io.engine import money, quote, sql_literal
from crmkit.io.platforms import Platform, status_key
from crmkit.io.regions import PROVINCES

#: Roles that describe a line item; every other role describes the order.
LINE_ROLES = (
    "product", "sku", "category", "quantity", "line_price", "line_quantity", "line_total", "margin", "line_refund",
)  # fmt: skip
#: The drop reason of an order's rows, by its status class.
DROP_REASONS = {
    "unpaid": "unpaid_order",
    "closed": "closed_order",
    "cancelled": "cancelled_order",
    "refunded": "refunded_order",
}
#: The generic role each user column override (``--customer``, ``--amount`` …) replaces.
OVERRIDE_ROLES = {
    "customer_id": "customer_id",
    "date": "date",
    "amount": "paid",
    "order_id": "order_id",
    "quantity": "quantity",
    "unit_price": "line_price",
    "product": "product",
    "channel": "channel",
    "status": "status",
    "margin": "margin",
}
#: The generic columns a platform export gives the reader, by role.


@dataclass
class PlatformRead:
    """What reading an export as its platform's did, for the data-quality account.

    Attributes
    ----------
    platform : Platform
    columns : dict
        Generic role -> the column of the normalised table (named after the export's headers:
        ``买家实际支付金额 - 退款金额``), as the reader reports columns.
    orders : dict
        Orders by what they turned out to be: ``purchase``, ``partly_refunded`` (purchases with
        a refund), ``refunded``, ``unpaid``, ``closed``, ``cancelled``.
    refund_amount : float
        Refunds subtracted from purchases (fully refunded orders not included).
    unknown_statuses : list of (str, int, float)
        Status values not in the platform's table, read as purchases: value, orders, net amount.
    masked_rows : int
        Purchase rows whose customer id is masked (``t**1``, ``138****0000``).
    """

    platform: Platform
    columns: dict[str, str] = field(default_factory=dict)
    orders: dict[str, int] = field(default_factory=dict)
    refund_amount: float = 0.0
    unknown_statuses: list[tuple[str, int, float]] = field(default_factory=list)
    masked_rows: int = 0
    masked_example: str | None = None
    purchase_rows: int = 0
    merged_emails: int = 0
    """Email spellings that differ from another only in case, read as that one's customer."""
    rounded_ids: int = 0
    """Rows whose order number a spreadsheet wrote in scientific notation (``3.73926E+11``)."""
    rounded_example: str | None = None
    unmasked: str | None = None
    """The customer column read instead of the first candidate, which was masked."""
    currencies: list[tuple[str, int]] = field(default_factory=list)
    """Currencies of the purchase orders, most orders first (a currency column's values)."""
    has: set[str] = field(default_factory=set)
    """The roles the export has a column for."""
    duplicate_columns: list[str] = field(default_factory=list)
    """Headers the export has twice (the second renamed ``…_1`` by the reader): the first is used."""
    split_by: str = ""
    """How an order's amount is split over its line items (``Lineitem price x Lineitem quantity``)."""
    source: Any = None
    """The export as its generic rows: a copy of the :class:`~crmkit.io.readers.Source` read."""

    def record(self, quality) -> None:
        """Say in ``quality`` (a :class:`~crmkit.io.quality.DataQuality`) what the platform's rules did."""
        _record(self, quality)


def _text(header: str) -> str:
    """A cell as text without its disguises: ``="123"``, ``'138…``, tabs, BOMs, spaces; NULL when empty."""
    raw = f"CAST({quote(header)} AS VARCHAR)"
    cell = f"trim(replace({raw}, '\ufeff', ''), ' \t\r\n\u00a0')"
    cell = f"regexp_replace(regexp_replace({cell}, '^=\"(.*)\"$', '\\1'), '^''([0-9+])', '\\1')"
    # Most cells are empty (a Shopify order's later lines) or wear no disguise: they skip the
    # regular expressions, which cost three times the scan of the file.
    plain = (
        f"ascii({raw}) NOT IN (61, 39, 32, 9, 10, 13, 160, 65279) AND NOT (ends_with({raw}, ' ') "
        f"OR ends_with({raw}, '\t') OR ends_with({raw}, '\r') OR ends_with({raw}, '\n') "
        f"OR ends_with({raw}, '\u00a0') OR contains({raw}, '\ufeff'))"
    )
    word = f"length({raw}) <= 4 AND list_contains({NULL_WORDS}, {raw})"
    return (
        f"(CASE WHEN {raw} IS NULL OR {raw} = '' THEN NULL "
        f"WHEN {plain} THEN (CASE WHEN {word} THEN NULL ELSE {raw} END) "
        f"WHEN list_contains({NULL_WORDS}, {cell}) THEN NULL ELSE {cell} END)"
    )


def _classes(con, platform: Platform, roles: list[str]) -> str:
    """``VALUES`` rows (status as exported, its class) for the statuses the export has that the table knows."""
    known = {status_key(v): c for v, c in platform.statuses.items()}
    values: set[str] = set()
    for role in roles:
        values |= {
            v for (v,) in con.sql(f"SELECT DISTINCT r_{role} FROM platform_raw WHERE r_{role} IS NOT NULL").fetchall()
        }
    found = sorted((v, known[status_key(v)]) for v in values if status_key(v) in known)
    return ", ".join(f"({sql_literal(v)}, {sql_literal(c)})" for v, c in found)


def _day(col: str) -> str:
    """A timestamp's calendar day as written: ``2024-01-05 23:10:00 -0500`` is 5 January."""
    shape = "'^[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}[ T][0-9]'"
    return f"(CASE WHEN regexp_matches({col}, {shape}) THEN regexp_extract({col}, '^([^ T]+)', 1) ELSE {col} END)"


def _region(col: str, rule: str) -> str:
    """The region of a row: the column as it is, or (``cn_province``) the province an address starts with.

    ``浙江省 杭州市 西湖区 …``, ``浙江杭州市…`` and ``浙江省`` are all ``浙江``: the short name, so one
    province reads alike across platforms; an address that starts with no province keeps its first word.
    """
    if rule != "cn_province":
        return col
    names = "|".join(PROVINCES)
    prefix = f"regexp_extract(ltrim({col}), '^({names})', 1)"
    return f"coalesce(nullif({prefix}, ''), regexp_extract(ltrim({col}), '^(\\S+)', 1))"


def _amount(col: str) -> str:
    from crmkit.io.purchases import amount_expr

    return amount_expr(col, False)


def resolve(
    platform: Platform, headers: list[str], overrides: dict[str, str] | None, source: str = "input"
) -> dict[str, list[str]]:
    """Role -> the export's headers for it: the platform's candidates, a user's override first."""
    found = platform.present(headers)
    for generic, wanted in (overrides or {}).items():
        role = OVERRIDE_ROLES.get(generic)
        if role and wanted:
            found[role] = [resolve_override(generic, wanted, headers, source)]
    return found


def platform_rows(con, src, platform: Platform, overrides: dict[str, str] | None = None) -> PlatformRead:
    """The generic rows of ``src`` (attached to ``con``), read by its platform's rules.

    The result's ``source`` is ``src`` naming a table with one row per input row, in file order:
    customer id, date, net amount, order id and the line item's product, category, quantity, and
    the order's region and channel, plus ``_exclude``, the drop reason of a row whose order is no
    purchase (:data:`DROP_REASONS`).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    src : crmkit.io.readers.Source
        The export, attached (left as it is).
    platform : Platform
    overrides : dict, optional
        The user's column overrides (generic role -> header): they replace the platform's candidates.

    Returns
    -------
    PlatformRead
    """
    cols = resolve(platform, src.headers, overrides, src.display)
    unmasked = None if "customer_id" in (overrides or {}) else _unmasked(con, src.sql, cols["customer_id"])
    if unmasked is not None:  # the first customer column masked (t**1), a later one not: that one is the buyer
        cols["customer_id"] = [unmasked] + [h for h in cols["customer_id"] if h != unmasked]
    # The customer is the first of its columns filled in on the row (买家手机号, else 买家昵称): an order
    # without the first is still a customer's, not a row lost. Every other role reads one column.
    raw = [
        f"{_first_filled(hs) if role == 'customer_id' else _text(hs[0])} AS r_{role}"
        for role, hs in cols.items()
        if role != "date"
    ]
    raw += [f"{_text(h)} AS {quote(f'r_date_{i}')}" for i, h in enumerate(cols["date"])]
    # the header again inside the file (two exports pasted together) is no order
    marker = cols["order_id"][0] if "order_id" in cols else cols["customer_id"][0]
    raw.append(f"coalesce({_text(marker)} = {sql_literal(marker.strip())}, false) AS _header_row")
    con.execute(f"CREATE OR REPLACE TEMP TABLE platform_raw AS SELECT {', '.join(raw)} FROM {src.sql}")

    has = set(cols)
    rounded = _rounded_order_ids(con) if "order_id" in has else (0, None)
    dates = [f"r_date_{i}" for i in range(len(cols["date"]))]
    order_cols = [f"r_{r}" for r in cols if r not in LINE_ROLES and r != "date"] + dates
    paid = _amount("r_paid")
    line_refund = "NULL AS _line_refund, false AS _line_refund_bad, NULL AS _line_refund_bad_text"
    if "line_refund" in has:
        lr = _amount("r_line_refund")
        unread = f"r_line_refund IS NOT NULL AND {lr} IS NULL"
        lr = f"abs({lr})"  # a refund is money back, whichever sign the export gives it
        line_refund = (
            f"{money(lr)} AS _line_refund, {unread} AS _line_refund_bad, "
            f"CASE WHEN {unread} THEN r_line_refund END AS _line_refund_bad_text"
            if platform.rows == "order"
            else f"sum({money(lr)}) AS _line_refund, bool_or({unread}) AS _line_refund_bad, "
            f"arg_min(r_line_refund, rowid) FILTER (WHERE {unread}) AS _line_refund_bad_text"
        )
    if platform.rows == "order":
        key = "rowid"
        filled = ", ".join(f"{c} AS o_{c[2:]}" for c in order_cols)
        # one row an order: the same order number again (the export downloaded twice) is a duplicate
        # (not when a spreadsheet rounded the numbers: two orders may share one, and each row is its own)
        dup = "r_order_id IS NOT NULL AND rowid > min(rowid) OVER (PARTITION BY r_order_id)"
        dup = dup if "order_id" in cols and not rounded[0] else "false"
        lines = "".join(f", r_{r}" for r in cols if r in (*LINE_ROLES, "paid", "order_id"))  # the row is its line too
        orders = (
            f"SELECT rowid AS _key, rowid AS first_row, rowid AS last_row, {filled}, _header_row, {dup} AS _dup, "
            f"1 AS _paid_values, NULL AS _paid_sum, false AS _paid_bad, NULL AS _paid_bad_text, {line_refund}{lines} "
            "FROM platform_raw"
        )
    else:  # the order's fields from its first row that has them; a row without an order number is its own order
        # (\x01 starts no order number: "#1" is a Shopify order's name, not row 1)
        key = "coalesce(r_order_id, '\x01' || rowid::VARCHAR)"
        if rounded[0]:  # a spreadsheet rounded the numbers: orders of different buyers may share one
            key = "coalesce(r_order_id || '\x01' || coalesce(r_customer_id, ''), '\x01' || rowid::VARCHAR)"
        filled = ", ".join(f"arg_min({c}, rowid) FILTER (WHERE {c} IS NOT NULL) AS o_{c[2:]}" for c in order_cols)
        # An amount said on every line item with one value is the order's, counted once; with several
        # values it is each line's own (some exports write the line's payment there), summed.
        orders = (
            f"SELECT {key} AS _key, min(rowid) AS first_row, max(rowid) AS last_row, {filled}, "
            "bool_or(_header_row) AS _header_row, false AS _dup, "
            f"count(DISTINCT {money(paid)}) AS _paid_values, sum({money(paid)}) AS _paid_sum, "
            f"bool_or(r_paid IS NOT NULL AND {paid} IS NULL) AS _paid_bad, "
            f"arg_min(r_paid, rowid) FILTER (WHERE r_paid IS NOT NULL AND {paid} IS NULL) AS _paid_bad_text, "
            f"{line_refund} FROM platform_raw GROUP BY 1"
        )
    # Statuses are few distinct values: each is classed once here (NFKC, so （删除） is (删除)), and
    # the orders join the classes of the values they have.
    vocabulary = _classes(con, platform, [r for r in ("status", "after_sale") if r in has])
    joins, status_class, after_class = "", "NULL", "NULL"
    if "status" in has and vocabulary:
        joins = f"LEFT JOIN (VALUES {vocabulary}) AS vocab(v, cls) ON vocab.v = o.o_status"
        status_class = "vocab.cls"
    if "after_sale" in has and vocabulary:  # an after-sale status that ended the order (退款成功) overrides
        joins += f" LEFT JOIN (VALUES {vocabulary}) AS after(v, cls) ON after.v = o.o_after_sale"
        after_class = "CASE WHEN after.cls <> 'purchase' THEN after.cls END"
    cancelled = "o.o_cancelled_at IS NOT NULL" if "cancelled_at" in has else "false"

    def value(role: str) -> str:
        if role == "paid":
            return f"(CASE WHEN o._paid_values > 1 THEN o._paid_sum ELSE {_amount('o.o_paid')} END)"
        if role == "outstanding":  # a negative balance (money owed back) adds nothing to what was paid
            return f"greatest({_amount('o.o_outstanding')}, 0)" if role in has else "NULL"
        # a refund is subtracted whichever sign the export gives it
        return f"abs({_amount(f'o.o_{role}')})" if role in has else "NULL"

    checked = [r for r in ("paid", "refund", "outstanding") if r in has]
    unreadable = [f"(o.o_{r} IS NOT NULL AND {_amount(f'o.o_{r}')} IS NULL)" for r in checked]
    # one unreadable text for the whole order, so every line of it is dropped (--skip-bad-rows) or none
    bad_text = f"CASE {' '.join(f'WHEN {test} THEN o.o_{r}' for test, r in zip(unreadable, checked))} END"
    bad_text = f"coalesce({bad_text}, o._paid_bad_text, o._line_refund_bad_text)"
    unreadable += ["o._paid_bad", "o._line_refund_bad"]
    refund = f"(coalesce({money(value('refund'))}, 0) + coalesce(o._line_refund, 0))"
    net = f"({money(value('paid'))} - {refund} - coalesce({money(value('outstanding'))}, 0))"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE platform_orders AS
        SELECT o.*, ({" OR ".join(unreadable)}) AS _bad, {bad_text} AS _bad_text, {net} AS _net, {refund} AS _refund,
               CASE WHEN {cancelled} THEN 'cancelled' ELSE coalesce({after_class}, {status_class}, 'purchase') END
                   AS _class,
               {"o.o_status" if "status" in has else "NULL"} AS _status,
               {status_class} IS NULL AND {"o.o_status IS NOT NULL" if "status" in has else "false"} AS _unknown,
               coalesce({money(value("paid"))} < 0, false) AS _negative,
               coalesce({money(value("outstanding"))} > 0, false) AS _owing
        FROM ({orders}) AS o {joins}
    """)

    # a purchase whose refunds took all it paid is a refunded order, whatever its status says
    exclude = (
        "CASE WHEN o._header_row THEN 'header_row' WHEN o._dup THEN 'duplicate_order' "
        "WHEN o._class <> 'purchase' THEN " + _class_reason("o._class") + " "
        "WHEN NOT o._bad AND o._negative THEN 'negative_paid' "
        "WHEN NOT o._bad AND o._net <= 0 AND o._refund > 0 THEN 'refunded_order' "
        # nothing paid yet, all of it still owed (Shopify's partially_paid with its whole total outstanding)
        "WHEN NOT o._bad AND o._net <= 0 AND o._owing THEN 'unpaid_order' END"
    )
    split_by, weight = "", "NULL"
    if platform.rows != "order" and "line_total" in has:  # the line's own total, discounts taken
        weight = f"greatest(coalesce({_amount('r.r_line_total')}, 0), 0)"
        split_by = cols["line_total"][0]
    elif platform.rows != "order" and "line_price" in has:
        qty = "line_quantity" if "line_quantity" in has else "quantity" if "quantity" in has else None
        q = f"coalesce({_amount(f'r.r_{qty}')}, 1)" if qty else "1"
        weight = f"greatest(coalesce({_amount('r.r_line_price')} * {q}, 0), 0)"
        split_by = cols["line_price"][0] + (f" x {cols[qty][0]}" if qty else "")
    if platform.rows != "order":  # lines that say their own payment are split by it
        weight = (
            f"(CASE WHEN o._paid_values > 1 THEN greatest(coalesce({_amount('r.r_paid')}, 0), 0) ELSE {weight} END)"
        )
    # An order's net over its lines by weight, in cents by the largest remainder (Hamilton's method):
    # each line its share rounded down, then the cents left one each to the lines that lost most;
    # the first of them takes what is left besides (a part of a cent). No line is negative, and the
    # lines add up to the order exactly.
    exact = "(_net * _weight / _total_weight * 100 - 1e-6)"  # cents; the nudge keeps 29.999… from 30
    base = f"CAST(floor({exact}) / 100 AS DECIMAL(18,6))"
    # the outer query sees the joined columns by their own (unique) names
    date_text = f"coalesce({', '.join(f'o_{d[2:]}' for d in dates)})"
    merged = _merge_emails(con)
    out = {
        "customer_id": "o_customer_id",
        "date": _day(date_text),
        "order_id": "r_order_id" if "order_id" in has else None,
        "product": "coalesce(r_product, r_sku)" if {"product", "sku"} <= has else _col(has, "product", "sku"),
        "category": _col(has, "category"),
        "quantity": _col(has, "quantity", "line_quantity"),
        "region": _region("o_region", platform.region_rule) if "region" in has else None,
        "channel": "o_channel" if "channel" in has else None,
        "margin": _col(has, "margin"),
    }
    names = _names(cols, platform)
    select = [f"{expr} AS {quote(names[role])}" for role, expr in out.items() if expr and role != "date"]
    select.insert(1, f"{out['date']} AS {quote(names['date'])}")
    shown = "coalesce(_bad_text, r_paid" + (", r_line_refund)" if "line_refund" in has else ")")
    amount = (
        f"CASE WHEN _bad THEN {shown} WHEN _exclude = 'negative_paid' "
        "THEN (CASE WHEN _paid_values > 1 THEN CAST(_paid_sum::DOUBLE AS VARCHAR) ELSE o_paid END) "
        "ELSE CAST(_amount AS VARCHAR) END"
    )
    select.insert(2, f"{amount} AS {quote(names['amount'])}")
    select.append(f"{date_text} AS _clock")  # the order's time as written: the reader's hour of day
    if platform.rows == "order":  # nothing to split or join back: the orders are the rows
        rows = f"SELECT *, _key AS _row, _net AS _amount, {exclude} AS _exclude FROM platform_orders AS o"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE platform_rows AS "
            f"SELECT {', '.join(select)}, _exclude FROM ({rows}) ORDER BY _row"
        )
    else:
        con.execute(f"""
        CREATE OR REPLACE TEMP TABLE platform_rows AS
        SELECT {", ".join(select)}, _exclude FROM (
            SELECT *, CASE WHEN NOT _total_weight > 0 THEN (CASE WHEN _row = first_row THEN _net ELSE 0 END)
                           WHEN _rank = 1 THEN _net - (sum(_pre) OVER (PARTITION BY _key) - _pre)
                           ELSE _pre END AS _amount
            FROM (
                SELECT *, _base + CASE WHEN _rank <= floor(_left * 100) THEN 0.01 ELSE 0 END AS _pre FROM (
                    SELECT *, _net - sum(_base) OVER (PARTITION BY _key) AS _left,
                           row_number() OVER (PARTITION BY _key ORDER BY {exact} - floor({exact}) DESC, _row) AS _rank
                    FROM (SELECT *, CASE WHEN _total_weight > 0 THEN {base} END AS _base FROM (
                        SELECT r.*, o.*, r.rowid AS _row, {weight} AS _weight,
                               sum({weight}) OVER (PARTITION BY o._key) AS _total_weight, {exclude} AS _exclude
                        FROM platform_raw r JOIN platform_orders o ON o._key = {key.replace("rowid", "r.rowid")}
                    ))
                )
            )
        ) AS r
        ORDER BY _row
    """)
    shown_roles = [
        "customer_id",
        "date",
        "amount",
        *(role for role in out if out[role] and role not in ("customer_id", "date")),
    ]
    read = PlatformRead(platform, columns={role: names[role] for role in shown_roles}, split_by=split_by, has=has)
    read.duplicate_columns = [hs[0] for hs in cols.values() if f"{hs[0]}_1" in src.headers]
    read.rounded_ids, read.rounded_example = rounded
    read.merged_emails = merged
    read.unmasked = unmasked
    _account(con, read)
    headers = [names[role] for role, expr in out.items() if expr and role != "date"]
    headers[1:1] = [names["date"], names["amount"]]
    read.source = dataclasses.replace(src, sql="platform_rows", headers=[*headers, "_clock", "_exclude"])
    return read


def _merge_emails(con) -> int:
    """Make an email one customer however it is capitalised; return how many spellings were merged.

    ``Alice@Example.com`` and ``alice@example.com`` are one buyer to every shop: the orders take the
    spelling of the first order that has one, so the id is still text as exported. Done on the
    orders, not the rows, and only when two spellings exist.
    """
    merged = con.sql(
        "SELECT count(DISTINCT o_customer_id) - count(DISTINCT lower(o_customer_id)) FROM platform_orders "
        "WHERE contains(o_customer_id, '@')"
    ).fetchall()[0][0]
    if merged:
        con.execute("""
            UPDATE platform_orders SET o_customer_id = spelling.first FROM (
                SELECT lower(o_customer_id) AS folded, arg_min(o_customer_id, first_row) AS first
                FROM platform_orders WHERE contains(o_customer_id, '@') GROUP BY 1
            ) AS spelling
            WHERE contains(o_customer_id, '@') AND lower(o_customer_id) = spelling.folded
              AND o_customer_id <> spelling.first
        """)
    return int(merged)


def _unmasked(con, sql: str, candidates: list[str]) -> str | None:
    """A later customer column to read instead of the first, when the first is masked and it is not.

    Since the privacy rules Taobao may export 买家会员名 as ``t**1`` while 买家支付宝账号 is whole: two
    buyers masked alike would be one customer. Decided on the first 100,000 rows.
    """
    if len(candidates) < 2:
        return None
    counts = ", ".join(f"count({_text(h)}), count(*) FILTER (WHERE contains({_text(h)}, '**'))" for h in candidates)
    row = con.sql(f"SELECT count(*), {counts} FROM (SELECT * FROM {sql} LIMIT 100000)").fetchall()[0]
    total, pairs = row[0], [(row[1 + 2 * i], row[2 + 2 * i]) for i in range(len(candidates))]
    filled, masked = pairs[0]
    if not filled or masked < filled / 2:
        return None
    for header, (n, m) in zip(candidates[1:], pairs[1:]):
        if n >= 0.9 * total and m <= 0.01 * n:
            return header
    return None


def _rounded_order_ids(con) -> tuple[int, str | None]:
    """Order numbers a spreadsheet re-saved in scientific notation (``3.73926E+11``), and one of them."""
    shape = "regexp_matches(r_order_id, '^[0-9](\\.[0-9]+)?[eE]\\+[0-9]+$')"
    n, example = con.sql(
        f"SELECT count(*) FILTER (WHERE {shape}), min(r_order_id) FILTER (WHERE {shape}) FROM platform_raw"
    ).fetchall()[0]
    return int(n), example


def _first_filled(headers: list[str]) -> str:
    return "coalesce(" + ", ".join(map(_text, headers)) + ")"


def _col(has: set[str], *roles: str) -> str | None:
    for role in roles:
        if role in has:
            return f"r_{role}"
    return None


def _class_reason(col: str) -> str:
    cases = " ".join(
        f"WHEN {col} = {sql_literal(cls)} THEN {sql_literal(reason)}" for cls, reason in DROP_REASONS.items()
    )
    return f"(CASE {cases} END)"


def _names(cols: dict[str, list[str]], platform: Platform) -> dict[str, str]:
    """The normalised table's column names: the export's headers, so messages and reports name them."""
    # as the headers are meant: real Taobao headers end in a space ("订单付款时间 ")
    one = {role: hs[0].strip() for role, hs in cols.items()}
    amount = one["paid"] + "".join(f" - {one[r]}" for r in ("refund", "line_refund", "outstanding") if r in one)
    names = {
        "customer_id": " | ".join(h.strip() for h in cols["customer_id"]),
        "date": " | ".join(h.strip() for h in cols["date"]),
        "amount": amount,
        "order_id": one.get("order_id", "order_id"),
        "product": one.get("product", one.get("sku", "product")),
        "category": one.get("category", "category"),
        "quantity": one.get("quantity", one.get("line_quantity", "quantity")),
        "region": one.get("region", "region"),
        "channel": one.get("channel", "channel"),
        "margin": one.get("margin", "margin"),
    }
    seen: set[str] = set()
    for role, name in names.items():  # one header in two roles (rare) still gives two columns
        while name in seen:
            name += f" ({role})"
        names[role] = name
        seen.add(name)
    return names


def _account(con, read: PlatformRead) -> None:
    """Orders by class, refunds, unknown statuses, masked ids and merged emails, counted once over the orders."""
    kind = (  # as the rows' drop reasons decide (platform_rows)
        "CASE WHEN _class <> 'purchase' OR _bad THEN _class WHEN _negative THEN 'invalid' "
        "WHEN _net <= 0 AND _refund > 0 THEN 'refunded' WHEN _net <= 0 AND _owing THEN 'unpaid' ELSE _class END"
    )
    partly = "_class = 'purchase' AND NOT _negative AND _refund > 0 AND (_bad OR _net > 0)"
    rows = con.sql(f"""
        SELECT {kind}, count(*), count(*) FILTER (WHERE {partly}),
               coalesce(sum(_refund) FILTER (WHERE {partly}), 0)::DOUBLE
        FROM platform_orders WHERE NOT _header_row AND NOT _dup GROUP BY 1
    """).fetchall()
    counted = {cls: n for cls, n, _, _ in rows}
    counted["partly_refunded"] = sum(p for _, _, p, _ in rows)
    read.orders = {kind: counted[kind] for kind in ORDER_KINDS if counted.get(kind)}
    read.refund_amount = float(sum(amount for *_, amount in rows))
    read.unknown_statuses = [
        (v, n, float(net))
        for v, n, net in con.sql(
            "SELECT _status, count(*), coalesce(sum(_net), 0)::DOUBLE FROM platform_orders "
            "WHERE _unknown AND NOT _dup AND NOT _header_row GROUP BY 1 ORDER BY 1 LIMIT 50"
        ).fetchall()
    ]
    customer = quote(read.columns["customer_id"])
    read.purchase_rows, read.masked_rows, read.masked_example = con.sql(
        f"SELECT count(*), count(*) FILTER (WHERE contains({customer}, '**')), "
        f"min({customer}) FILTER (WHERE contains({customer}, '**')) FROM platform_rows WHERE _exclude IS NULL"
    ).fetchall()[0]
    if "currency" in read.has:
        read.currencies = con.sql(
            "SELECT o_currency, count(*) FROM platform_orders WHERE _class = 'purchase' AND o_currency IS NOT NULL "
            "AND NOT _dup AND NOT _header_row GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()


#: What an order can turn out to be, in the order they are reported.
ORDER_KINDS = ("purchase", "partly_refunded", "refunded", "unpaid", "closed", "cancelled")
#: The drop reasons a platform export adds, in the order they are reported: a header repeated inside
#: the file, an order number repeated in a one-row-an-order export, then the orders no purchase.
PLATFORM_DROPS = ("header_row", "duplicate_order", *DROP_REASONS.values())
#: How each row layout is said in the platform note.
_LAYOUTS = {
    "order": "one row per order",
    "lines": "one row per line item, the order's amount counted once",
    "lines_first": "one row per line item, the order's fields from its first row",
}


def _record(read: PlatformRead, quality) -> None:
    """Put what the platform rules did in ``quality`` (a :class:`~crmkit.io.quality.DataQuality`)."""
    p, cols = read.platform, read.columns
    quality.platform, quality.orders, quality.refund_amount = p.name, dict(read.orders), read.refund_amount
    quality.note(
        "platform",
        f"read as {p.title} (--platform {p.flag}; --platform none reads it as a plain export): customer "
        f"{cols['customer_id']}, date {cols['date']} (the first filled in), amount {cols['amount']}; "
        f"{_LAYOUTS[p.rows]}",
        platform=p.flag,
        export=p.name if p.path is None else p.title,  # a built-in's title is catalogued in both languages
        customer=cols["customer_id"],
        date=cols["date"],
        amount=cols["amount"],
        layout=p.rows,
    )
    if read.split_by:
        quality.note(
            "platform_split", f"an order's amount is split over its line items by {read.split_by}", by=read.split_by
        )
    counts = {kind: read.orders.get(kind, 0) for kind in ORDER_KINDS}
    parts = [f"{counts['purchase']:,} purchases"]
    if counts["partly_refunded"]:
        parts[0] += f" ({counts['partly_refunded']:,} partly refunded, {read.refund_amount:,.2f} refunded)"
    parts += [f"{counts[k]:,} {k}" for k in ORDER_KINDS[2:] if counts[k]]
    text = "orders in the file: " + ", ".join(parts) + " (only purchases count)"
    quality.note("platform_orders", text, purchases=counts.pop("purchase"), refunds=read.refund_amount, **counts)
    if read.unknown_statuses:
        shown = ", ".join(f"{v} ({n:,} orders, {net:,.2f})" for v, n, net in read.unknown_statuses[:10])
        quality.warn(
            "platform_statuses",
            f"statuses not in the {p.name} table, read as purchases (check them; a platform file can name them): "
            f"{shown}",
            platform=p.name,
            statuses=shown,
        )
    for header in read.duplicate_columns:
        quality.note(
            "platform_duplicate_column", f"the export has two {header} columns: the first is used", column=header
        )
    if read.rounded_ids:
        quality.warn(
            "platform_rounded_ids",
            f"{read.rounded_ids:,} order numbers are in scientific notation (such as {read.rounded_example}): a "
            "spreadsheet re-saved the file and rounded them, so orders may be merged; export it again from the "
            "platform",
            rows=read.rounded_ids,
            example=read.rounded_example,
        )
    if read.unmasked:
        quality.note(
            "platform_unmasked",
            f"the first customer column is masked (such as t**1): the customer is read from {read.unmasked}",
            column=read.unmasked,
        )
    if len(read.currencies) > 1:
        shown = ", ".join(f"{code} {n:,}" for code, n in read.currencies[:5])
        quality.warn(
            "platform_currencies",
            f"purchase orders in {len(read.currencies)} currencies ({shown} orders): amounts are summed as exported, "
            "not converted",
            currencies=shown,
        )
    if read.merged_emails:
        quality.note(
            "platform_emails",
            f"{read.merged_emails:,} customer email(s) differ from another only in case: read as one customer, "
            "by the first spelling",
            emails=read.merged_emails,
        )
    if read.masked_rows:
        share = read.masked_rows / max(read.purchase_rows, 1)
        quality.warn(
            "platform_masked",
            f"{share:.0%} of purchase rows have a masked customer id (such as {read.masked_example}): buyers "
            "masked alike are counted as one customer",
            share=f"{share:.0%}",
            example=read.masked_example,
        )
