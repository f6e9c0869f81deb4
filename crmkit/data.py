"""Reading a purchase export into a clean transactions frame (the data layer every command uses).

The cleaning runs as one DuckDB query over the text columns found by :mod:`crmkit.readers`,
so it is multi-threaded and streams. Rules (each documented in the README):

* identifiers are text: ``"00123"`` stays ``"00123"``; ``"17850.0"`` from a float export becomes
  ``"17850"``;
* dates: ISO (with or without time), ``Y/M/D``, ``Y.M.D``, ``YYYYMMDD``, Chinese ``2024年3月5日``,
  ``D/M/Y`` or ``M/D/Y`` (decided from the whole column; ``--dayfirst`` forces), two-digit years,
  month names (``5 Mar 2024``) and Excel serial numbers;
* amounts: currency signs and words (¥ ￥ $ € £ 元 RMB CNY USD EUR), thousands separators,
  parentheses or a trailing minus for negatives, decimal comma (decided from the column, or
  ``--decimal ,``); quantity x unit price when there is no amount column;
* returns and cancellations (negative amount, a cancelled-invoice number such as ``C536379``,
  a status saying 退货 / 取消 / cancelled / refund ...) reduce revenue and are not purchases;
* rows without a customer id, date or amount, and total rows (合计 / Total), are dropped and counted;
* a value that is present but cannot be read is an error naming file, row and column, unless
  ``skip_bad_rows`` is set, in which case the row is dropped and counted.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass

import pandas as pd

from crmkit.columns import ColumnMap, detect_columns
from crmkit.errors import DataError, InputError
from crmkit.quality import DataQuality
from crmkit.readers import Source, open_source

#: Values that mean "nothing here" in exports.
_NULLS = "('', 'nan', 'NaN', 'NAN', 'null', 'NULL', 'None', 'none', 'N/A', 'n/a', 'NA', '#N/A', '-', '--', '—')"
_TOTAL_RE = r"^\s*(合计|总计|小计|总额|合计金额|grand\s*total|sub\s*total|subtotal|total|totals|sum)\s*[:：]?\s*$"
_RETURN_STATUS_RE = r"(退货|退款|退单|取消|作废|撤销|交易关闭|cancel|return|refund|void|revers|chargeback|storno)"
_AMOUNT_SHAPE = (r"^[(（]?\s*[-+−]?\s*(¥|￥|\$|€|£|rmb|cny|usd|eur|us\$|hk\$)?\s*[-+−]?\s*"
                 "[0-9][0-9.,'' \u00a0]*" r"\s*(元|块|¥|￥|\$|€|£|rmb|cny|usd|eur)?\s*-?\s*[)）]?$")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _clean_text(col: str) -> str:
    """Trimmed text, NULL for the usual spellings of nothing."""
    return f"(CASE WHEN trim({col}) IN {_NULLS} THEN NULL ELSE trim({col}) END)"


def id_expr(col: str) -> str:
    """Customer or order id as text; a whole float rendering ("17850.0") loses its ".0"."""
    t = _clean_text(col)
    return f"regexp_replace({t}, '^([0-9]+)\\.0+$', '\\1')"


def amount_expr(col: str, decimal_comma: bool) -> str:
    """Parse a money string to DOUBLE (NULL when it is not a number).

    Fast path ``TRY_CAST`` for plain numbers; the regex path only runs for the rest because
    DuckDB evaluates COALESCE lazily per row. With a decimal comma, "." and spaces are
    thousands separators and "," the decimal point; otherwise "," is a thousands separator.
    """
    t = f"lower(trim({col}))"
    digits = f"regexp_replace({t}, '[^0-9.,]', '', 'g')"
    if decimal_comma:
        number = f"replace(replace({digits}, '.', ''), ',', '.')"
    else:
        number = f"replace({digits}, ',', '')"
    negative = (f"(regexp_matches({t}, '^[(（].*[)）]$') OR regexp_matches({t}, '^[(（]?\\s*[-−]') "
                f"OR regexp_matches({t}, '^[^-−]*[0-9][^-−]*-\\s*[)）]?$') "
                f"OR regexp_matches({t}, '^[(（]?\\s*[^0-9]*[-−]\\s*[0-9]'))")
    slow = (f"CASE WHEN regexp_matches({t}, '{_AMOUNT_SHAPE}') THEN "
            f"TRY_CAST({number} AS DOUBLE) * (CASE WHEN {negative} THEN -1 ELSE 1 END) END")
    if decimal_comma:
        return slow
    return f"COALESCE(TRY_CAST(trim({col}) AS DOUBLE), {slow})"


def date_expr(col: str, dayfirst: bool) -> str:
    """Parse a date string to DATE (NULL when it is not a valid date).

    Impossible dates (2024-02-30) give NULL because every path goes through ``try_strptime``.
    Excel serial numbers are days since 1899-12-30 (the 1900 leap-year bug included).
    """
    t = f"trim({col})"
    ymd = (f"try_strptime(regexp_replace({t}, '^(\\d{{4}})\\s*[-/.年]\\s*(\\d{{1,2}})\\s*[-/.月]\\s*(\\d{{1,2}}).*$', "
           f"'\\1-\\2-\\3'), '%Y-%m-%d')")
    order = "'\\3-\\2-\\1'" if dayfirst else "'\\3-\\1-\\2'"
    dmy = (f"try_strptime(regexp_replace({t}, '^(\\d{{1,2}})[-/.](\\d{{1,2}})[-/.](\\d{{4}})(\\D.*)?$', {order}), "
           f"'%Y-%m-%d')")
    order2 = "'20\\3-\\2-\\1'" if dayfirst else "'20\\3-\\1-\\2'"
    dmy2 = (f"try_strptime(regexp_replace({t}, '^(\\d{{1,2}})[-/.](\\d{{1,2}})[-/.](\\d{{2}})(\\s.*)?$', {order2}), "
            f"'%Y-%m-%d')")
    compact = f"try_strptime(regexp_extract({t}, '^(\\d{{8}})(\\D.*)?$', 1), '%Y%m%d')"
    serial = (f"(CASE WHEN regexp_matches({t}, '^\\d{{5}}(\\.\\d+)?$') "
              f"THEN DATE '1899-12-30' + CAST(floor(CAST({t} AS DOUBLE)) AS INTEGER) END)")
    named = (f"try_strptime({t}, ['%d %b %Y', '%d-%b-%Y', '%d %B %Y', '%b %d, %Y', '%B %d, %Y', "
             f"'%b %d %Y', '%d-%b-%y', '%d %b %Y %H:%M', '%d %b %Y %H:%M:%S'])")
    return (f"CAST(COALESCE(TRY_CAST({t} AS TIMESTAMP), {ymd}, {dmy}, {dmy2}, {serial}, {compact}, {named}) AS DATE)")


@dataclass
class PurchaseData:
    """A cleaned export.

    Attributes
    ----------
    transactions : pandas.DataFrame
        One row per used input row: ``customer_id`` (str), ``date`` (datetime64), ``amount``
        (float, negative for returns), ``is_return`` (bool), and when present ``order_id``,
        ``quantity``, ``product``, ``channel``, ``margin``.
    quality : DataQuality
        What was read, used and dropped, and why.
    """

    transactions: pd.DataFrame
    quality: DataQuality


def _connect():
    import duckdb

    con = duckdb.connect()
    # Bounded memory with spilling keeps 10M-row files inside a small machine.
    con.execute(f"SET temp_directory = {_sql_literal(tempfile.gettempdir() + '/crmkit-duckdb')}")
    con.execute("SET preserve_insertion_order = true")
    return con


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_LINE_RE = re.compile(r"Line:\s*(\d+)")


def _scan_error(exc: Exception, src: Source) -> InputError:
    text = str(exc)
    m = _LINE_RE.search(text)
    row = int(m.group(1)) if m else None
    detail = text.splitlines()[0]
    cols = re.search(r"Expected Number of Columns:\s*(\d+)\s*Found:\s*(\d+)", text)
    if cols:
        detail = f"expected {cols.group(1)} fields, found {cols.group(2)} (a stray delimiter or quote?)"
    elif "unicode" in text.lower():
        detail = "invalid characters for the detected encoding"
        return InputError(detail, file=src.display, row=row, hint="force one with --encoding gb18030")
    elif "quote" in text.lower():
        detail = "unterminated quoted field"
    return InputError(f"malformed table: {detail}", file=src.display, row=row)


def read_purchases(source: str, *, columns: dict[str, str | None] | None = None, sheet: str | None = None,
                   encoding: str | None = None, delimiter: str | None = None, dayfirst: bool | None = None,
                   decimal: str | None = None, skip_bad_rows: bool = False) -> PurchaseData:
    """Read and clean a purchase export (CSV/TSV/;/|, .gz, XLSX, Parquet, or ``-`` for stdin).

    Parameters
    ----------
    source : str
        Path, or ``"-"`` for standard input.
    columns : dict, optional
        Role -> header overrides (``customer_id``, ``date``, ``amount``, ``order_id``, ``quantity``,
        ``unit_price``, ``product``, ``channel``, ``margin``, ``status``).
    sheet : str, optional
        XLSX sheet name or 1-based number (default: the first sheet).
    encoding, delimiter : str, optional
        Force instead of detecting.
    dayfirst : bool, optional
        Read ``01/02/2024`` as 1 February. ``None`` decides from the data (month-first when no
        value tells, with a note in ``quality.notes``).
    decimal : {".", ","}, optional
        Decimal separator of amounts. ``None`` decides from the data.
    skip_bad_rows : bool
        Drop and count rows with an unreadable date or amount instead of failing.

    Returns
    -------
    PurchaseData

    Raises
    ------
    InputError, ColumnError, DataError
    """
    with tempfile.TemporaryDirectory(prefix="crmkit-") as workdir:
        src = open_source(source, workdir, sheet=sheet, encoding=encoding, delimiter=delimiter)
        try:
            return _read(src, columns, dayfirst, decimal, skip_bad_rows)
        finally:
            src.cleanup()


def _read(src: Source, overrides, dayfirst, decimal, skip_bad_rows) -> PurchaseData:
    import duckdb

    con = _connect()
    if src.frame is not None:
        con.register("raw_frame", src.frame)
        src.sql = "raw_frame"
    if not src.headers:  # parquet: learn the columns from the file
        src.headers = [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {src.sql}").fetchall()]
    cmap = detect_columns(src.headers, overrides, source=src.display)
    roles = cmap.roles
    wanted = list(dict.fromkeys(roles.values()))
    first_col = src.headers[0]
    if first_col not in wanted:
        wanted.append(first_col)  # total rows often say 合计 in the first column only
    select = ", ".join(f"CAST({_q(h)} AS VARCHAR) AS {_q(h)}" for h in wanted)
    try:
        con.execute(f"CREATE TEMP TABLE raw AS SELECT {select} FROM {src.sql}")
    except duckdb.Error as exc:
        raise _scan_error(exc, src) from None

    quality = DataQuality(source=src.display, file_format=src.file_format, encoding=src.encoding,
                          delimiter=src.delimiter, header_row=src.first_data_row - 1,
                          columns=dict(roles))
    c = {role: _q(h) for role, h in roles.items()}

    # Decide the column-wide conventions (day order, decimal comma, C-prefixed cancellations) in
    # one aggregate pass: a single "13/01/2024" anywhere settles the day order for the whole column.
    amount_cols = [c[r] for r in ("amount", "quantity", "unit_price", "margin") if r in c]
    stats_sql = [
        f"max(TRY_CAST(regexp_extract(trim({c['date']}), '^(\\d{{1,2}})[-/.]\\d{{1,2}}[-/.]\\d{{2,4}}', 1) AS INTEGER))",
        f"max(TRY_CAST(regexp_extract(trim({c['date']}), '^\\d{{1,2}}[-/.](\\d{{1,2}})[-/.]\\d{{2,4}}', 1) AS INTEGER))",
        f"count(*) FILTER (WHERE regexp_matches(trim({c['date']}), '^\\d{{1,2}}[-/.]\\d{{1,2}}[-/.]\\d{{2,4}}'))",
    ]
    for col in amount_cols:
        stats_sql.append(f"count(*) FILTER (WHERE regexp_matches(trim({col}), '^[^.]*[0-9],[0-9]{{1,2}}$') "
                         f"OR regexp_matches(trim({col}), '[0-9]\\.[0-9]{{3}},[0-9]+$'))")
        stats_sql.append(f"count(*) FILTER (WHERE regexp_matches(trim({col}), '[0-9],[0-9]{{3}}(\\.[0-9]+)?$') "
                         f"OR regexp_matches(trim({col}), '^[^,]*[0-9]\\.[0-9]{{1,2}}$'))")
    if "order_id" in c:
        stats_sql.append(f"count(*) FILTER (WHERE regexp_matches(trim({c['order_id']}), '^[0-9]+$'))")
        stats_sql.append(f"count(*) FILTER (WHERE regexp_matches(trim({c['order_id']}), '^[Cc][0-9]+$'))")
    stats_sql.append("count(*)")
    stats = con.sql(f"SELECT {', '.join(stats_sql)} FROM raw").fetchall()[0]
    rows_read = stats[-1]
    if rows_read == 0:
        raise InputError("file has a header but no data rows", file=src.display)
    first_max, second_max, slash_dates = stats[0] or 0, stats[1] or 0, stats[2]
    if dayfirst is None:
        dayfirst = first_max > 12 and second_max <= 12
        if slash_dates and first_max <= 12 and second_max <= 12:
            quality.notes.append("dates like 01/02/2024 read as month/day/year (no value tells); "
                                 "use --dayfirst for day/month/year")
    if decimal is None:
        comma_votes = sum(stats[3 + 2 * i] for i in range(len(amount_cols)))
        point_votes = sum(stats[4 + 2 * i] for i in range(len(amount_cols)))
        decimal_comma = comma_votes > point_votes
        if decimal_comma:
            quality.notes.append("amounts read with a decimal comma (1.234,50 = 1234.50); force with --decimal .")
    else:
        decimal_comma = decimal == ","
    c_cancel = False
    if "order_id" in c:
        digit_ids, c_ids = stats[3 + 2 * len(amount_cols)], stats[4 + 2 * len(amount_cols)]
        c_cancel = c_ids > 0 and digit_ids > c_ids  # "C" is a marker only where ids are otherwise numeric

    # --- the cleaning query -------------------------------------------------------------
    t_id = _clean_text(c["customer_id"])
    if cmap.amount_from_price:
        amount_text = f"COALESCE({_clean_text(c['quantity'])}, {_clean_text(c['unit_price'])})"
        amount_missing = f"({_clean_text(c['quantity'])} IS NULL OR {_clean_text(c['unit_price'])} IS NULL)"
        amount_val = f"({amount_expr(c['quantity'], decimal_comma)} * {amount_expr(c['unit_price'], decimal_comma)})"
        amount_bad = (f"(({amount_expr(c['quantity'], decimal_comma)}) IS NULL OR "
                      f"({amount_expr(c['unit_price'], decimal_comma)}) IS NULL)")
        quality.notes.append(f"amount computed as {roles['quantity']} x {roles['unit_price']}")
    else:
        amount_missing = f"({_clean_text(c['amount'])} IS NULL)"
        amount_val = amount_expr(c["amount"], decimal_comma)
        amount_bad = f"({amount_val}) IS NULL"
        amount_text = c["amount"]
    total_checks = [f"regexp_matches(lower(coalesce({c['customer_id']}, '')), '{_TOTAL_RE}')"]
    if _q(first_col) != c["customer_id"]:
        total_checks.append(f"regexp_matches(lower(coalesce({_q(first_col)}, '')), '{_TOTAL_RE}')")
    flag_parts = []
    if "status" in c:
        flag_parts.append(f"regexp_matches(lower(coalesce({c['status']}, '')), '{_RETURN_STATUS_RE}')")
    if c_cancel:
        flag_parts.append(f"regexp_matches(trim(coalesce({c['order_id']}, '')), '^[Cc][0-9]+$')")
    flagged = " OR ".join(flag_parts) if flag_parts else "false"

    extra = []
    for role in ("order_id", "product", "channel"):
        if role in c:
            extra.append(f"{id_expr(c[role]) if role == 'order_id' else _clean_text(c[role])} AS {role}")
    if "quantity" in c:
        extra.append(f"{amount_expr(c['quantity'], decimal_comma)} AS quantity")
    if "margin" in c:
        extra.append(f"{amount_expr(c['margin'], decimal_comma)} AS margin")

    con.execute(f"""
        CREATE TEMP TABLE staged AS
        SELECT rowid AS _row,
               {id_expr(c['customer_id'])} AS customer_id,
               {date_expr(c['date'], dayfirst)} AS date,
               {amount_val} AS amount,
               CASE
                 WHEN {' OR '.join(total_checks)} THEN 'total_row'
                 WHEN {t_id} IS NULL THEN 'missing_customer_id'
                 WHEN {_clean_text(c['date'])} IS NULL THEN 'missing_date'
                 WHEN {amount_missing} THEN 'missing_amount'
                 WHEN ({date_expr(c['date'], dayfirst)}) IS NULL THEN 'bad_date'
                 WHEN {amount_bad} THEN 'bad_amount'
               END AS _drop,
               ({flagged}) AS _flagged
               {''.join(', ' + e for e in extra)}
        FROM raw
    """)

    bad = con.sql(
        "SELECT _drop, count(*), min(_row) FROM staged WHERE _drop IN ('bad_date', 'bad_amount') GROUP BY 1 ORDER BY 3"
    ).fetchall()
    if bad and not skip_bad_rows:
        kind, n, first = bad[0]
        if kind == "bad_date":
            headers = [roles["date"]]
        elif cmap.amount_from_price:
            headers = [roles["quantity"], roles["unit_price"]]
        else:
            headers = [roles["amount"]]
        values = con.sql(f"SELECT {', '.join(map(_q, headers))} FROM raw WHERE rowid = {first}").fetchall()[0]
        header, value = " x ".join(headers), " x ".join(map(str, values))
        total_bad = sum(b[1] for b in bad)
        what = "date" if kind == "bad_date" else "amount"
        more = f"; {total_bad - 1:,} more row(s) with unreadable values" if total_bad > 1 else ""
        raise DataError(f"cannot read {what} {value!r}{more}", file=src.display,
                        row=src.first_data_row + first, column=header,
                        hint="fix the file, set the format (--dayfirst, --decimal), or drop such rows with --skip-bad-rows")

    drops = dict(con.sql("SELECT _drop, count(*) FROM staged WHERE _drop IS NOT NULL GROUP BY 1").fetchall())
    invalid = drops.pop("bad_date", 0) + drops.pop("bad_amount", 0)
    order = ["missing_customer_id", "missing_date", "missing_amount", "total_row"]
    quality.dropped = {k: drops[k] for k in order if drops.get(k)}
    if invalid:
        quality.dropped["invalid_value"] = invalid

    # A flagged row with a positive amount offsets an earlier purchase when that order also has an
    # unflagged row (a return line); otherwise the order itself was cancelled and never was revenue.
    has_order = "order_id" in c
    cancelled_sql = "false"
    if has_order and flag_parts:
        cancelled_sql = ("(_flagged AND amount > 0 AND NOT EXISTS (SELECT 1 FROM staged s2 WHERE s2._drop IS NULL "
                         "AND NOT s2._flagged AND s2.order_id = staged.order_id AND s2.customer_id = staged.customer_id))")
    con.execute(f"""
        CREATE TEMP TABLE tx AS
        SELECT customer_id, date,
               CASE WHEN _flagged OR amount < 0 THEN -abs(amount) ELSE amount END AS amount,
               (_flagged OR amount < 0) AS is_return,
               {cancelled_sql} AS _cancelled
               {''.join(', ' + e.split(' AS ')[-1] for e in extra)}
        FROM staged WHERE _drop IS NULL
    """)
    cancelled = con.sql("SELECT count(*) FROM tx WHERE _cancelled").fetchall()[0][0]
    if cancelled:
        quality.dropped["cancelled_order"] = cancelled
    agg = con.sql("""
        SELECT count(*), count(*) FILTER (WHERE is_return), coalesce(-sum(amount) FILTER (WHERE is_return), 0),
               min(date), max(date), count(DISTINCT customer_id)
        FROM tx WHERE NOT _cancelled
    """).fetchall()[0]
    quality.rows_read = rows_read
    quality.rows_used, quality.return_rows, quality.return_amount = agg[0], agg[1], float(agg[2])
    quality.first_date, quality.last_date = agg[3], agg[4]
    if quality.rows_used == 0:
        raise DataError("no usable purchase rows (" + ", ".join(f"{k} {v}" for k, v in quality.dropped.items())
                        + ")", file=src.display)
    cols = ["customer_id", "date", "amount", "is_return"] + [e.split(" AS ")[-1] for e in extra]
    table = con.sql(f"SELECT {', '.join(cols)} FROM tx WHERE NOT _cancelled").to_arrow_table()
    con.close()
    frame = table.to_pandas()
    frame["date"] = frame["date"].astype("datetime64[s]")
    return PurchaseData(transactions=frame, quality=quality)
