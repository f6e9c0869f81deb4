"""Reading a purchase export into a clean transactions frame (the data layer every command uses).

The cleaning runs as one DuckDB query over the text columns found by :mod:`crmkit.io.readers`,
so it is multi-threaded and streams. Rules (each documented in the README):

* identifiers are text: ``"00123"`` stays ``"00123"``; ``"17850.0"`` from a float export becomes
  ``"17850"``;
* dates: ISO (with or without time), ``Y/M/D``, ``Y.M.D``, ``YYYYMMDD``, Chinese ``2024年3月5日``,
  ``D/M/Y`` or ``M/D/Y`` (decided from the whole column; ``--dayfirst`` forces), two-digit years,
  month names (``5 Mar 2024``) and Excel serial numbers;
* the hour (when kept): the time written with the date, not converted; NULL without one or when all are 00:00;
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
from datetime import date

from crmkit.errors import DataError, InputError
from crmkit.io.columns import NULL_WORDS, ColumnMap, detect_columns, hour_exprs
from crmkit.io.databases import SCHEMES, engine_source
from crmkit.io.engine import MONEY_LIMIT, connect, money, quote, sql_literal
from crmkit.io.options import DATE_RANGE, ReadOptions, as_date, check_encoding, parse_date_range
from crmkit.io.platforms import detect as detect_platform
from crmkit.io.platforms.orders import PLATFORM_DROPS, platform_rows
from crmkit.io.quality import DataQuality
from crmkit.io.readers import Source, needs_serial_scan, open_source, scan_error

#: Optional columns a command may ask :func:`read_purchases` to carry along.
OPTIONAL_ROLES = ("order_id", "quantity", "product", "category", "region", "channel", "margin")
#: Kept only when asked, then always a column (NULL without a source): hour SMALLINT, discount DOUBLE.
ON_REQUEST = ("hour", "discount")
#: The roles staged as text, besides the customer id and the date (``clock``: a platform's full order time).
ROLES_STAGED = (
    "amount", "quantity", "unit_price", "order_id", "product", "category", "region", "channel", "margin", "status",
    "discount", "exclude", "clock",
)  # fmt: skip

#: What a total row's first cell says (lower case, a trailing colon dropped).
TOTAL_WORDS = (
    "合计", "总计", "小计", "总额", "合计金额", "总合计", "total", "totals", "grand total",
    "grandtotal", "subtotal", "sub total", "sum", "summe", "gesamt",
)  # fmt: skip
_TOTAL_WORDS = "[" + ", ".join(sql_literal(w) for w in TOTAL_WORDS) + "]"
_RETURN_STATUS = re.compile(
    r"(退货|退款|退单|取消|作废|撤销|交易关闭|cancel|return|refund|void|revers|chargeback|storno)"
)
_AMOUNT_SHAPE = (
    r"^[(（]?\s*[-+−]?\s*(¥|￥|\$|€|£|rmb|cny|usd|eur|us\$|hk\$)?\s*[-+−]?\s*"
    "[0-9][0-9.,'' \u00a0]*"
    r"\s*(元|块|¥|￥|\$|€|£|rmb|cny|usd|eur)?\s*-?\s*[)）]?$"
)


_IDS = ("customer_id", "order_id")


def _clean_text(col: str, *, line_start: bool = False, anywhere: bool = False) -> str:
    """Trimmed text, NULL for the usual spellings of nothing.

    ``line_start`` marks a file's first column, where a byte-order mark can stand at the start
    of any row (two exports concatenated, a tool that writes one per record): it is not part of
    the value, so ``\\ufeffC001`` is ``C001``. ``anywhere`` (identifiers) drops a BOM wherever it
    stands: invisible, ``000\\ufeff059`` would be a customer nobody can tell from ``000059``.
    """
    # Most cells are longer than any null word and carry no padding: they pass untouched, which
    # saves a string copy per cell on large files; a BOM sends a cell down the slow path. Cheapest
    # test first (no space at all), then no space at either end (ascii, the first code point, costs
    # half what starts_with does).
    bom, bare = (f" AND NOT contains({col}, '\ufeff')", f"replace({col}, '\ufeff', '')") if anywhere else ("", col)
    if line_start and not anywhere:
        bom, bare = f" AND ascii({col}) <> 65279", f"ltrim({col}, '\ufeff')"
    fast = f"length({col}) > 4{bom}"  # characters, not bytes: 合计 and an ideographic space is short
    return (
        f"(CASE WHEN {fast} AND NOT contains({col}, ' ') THEN {col} WHEN {fast} AND ascii({col}) <> 32 AND NOT "
        f"ends_with({col}, ' ') THEN {col} WHEN list_contains({NULL_WORDS}, trim({bare})) THEN NULL "
        f"ELSE trim({bare}) END)"
    )


def is_total(cell) -> bool:
    """The Python twin of :func:`_total_check`, for tables read as text (surveys)."""
    text = str(cell).strip() if cell is not None else ""
    return bool(text) and not text[0].isdigit() and text.lower().rstrip(":：") in TOTAL_WORDS


def _total_check(col: str) -> str:
    """True for a cleaned cell that says 合计 / Total; ids starting with a digit skip the test."""
    return (
        f"(CASE WHEN {col} IS NULL OR substr({col}, 1, 1) BETWEEN '0' AND '9' THEN false "
        f"ELSE list_contains({_TOTAL_WORDS}, rtrim(lower({col}), ':：')) END)"
    )


def id_expr(col: str) -> str:
    """Customer or order id as text; a whole float rendering ("17850.0") loses its ".0"."""
    return f"(CASE WHEN contains({col}, '.') THEN regexp_replace({col}, '^([0-9]+)\\.0+$', '\\1') ELSE {col} END)"


def amount_expr(col: str, decimal_comma: bool) -> str:
    """Parse a (trimmed) money string to DOUBLE (NULL when it is not a number).

    Fast path ``TRY_CAST`` for plain numbers; the regex path only runs for the rest because
    DuckDB evaluates COALESCE lazily per row. With a decimal comma, "." and spaces are
    thousands separators and "," the decimal point; otherwise "," is a thousands separator.
    """
    t = f"lower({col})"
    digits = f"regexp_replace({t}, '[^0-9.,]', '', 'g')"
    if decimal_comma:
        number = f"replace(replace({digits}, '.', ''), ',', '.')"
    else:
        number = f"replace({digits}, ',', '')"
    negative = (
        f"(regexp_matches({t}, '^[(（].*[)）]$') OR regexp_matches({t}, '^[(（]?\\s*[-−]') "
        f"OR regexp_matches({t}, '^[^-−]*[0-9][^-−]*-\\s*[)）]?$') "
        f"OR regexp_matches({t}, '^[(（]?\\s*[^0-9]*[-−]\\s*[0-9]'))"
    )
    slow = (
        f"CASE WHEN regexp_matches({t}, '{_AMOUNT_SHAPE}') THEN "
        f"TRY_CAST({number} AS DOUBLE) * (CASE WHEN {negative} THEN -1 ELSE 1 END) END"
    )
    if decimal_comma:
        return slow
    return f"COALESCE(TRY_CAST({col} AS DOUBLE), {slow})"


def date_expr(col: str, dayfirst: bool) -> str:
    """Parse a (trimmed) date string to DATE (NULL when it is not a valid date).

    Impossible dates (2024-02-30) give NULL because every path goes through ``try_strptime``.
    Excel serial numbers are days since 1899-12-30 (the 1900 leap-year bug included). DuckDB's
    cast and ``strptime`` also read the words ``epoch`` (1970-01-01) and ``infinity``: they are
    not purchase dates, so text without a digit is no date, and only text starting with a digit
    tries the numeric forms. The plausible range is applied by the caller (:func:`_staging_sql`).
    """
    t = col
    ymd = (
        f"try_strptime(regexp_replace({t}, '^(\\d{{4}})\\s*[-/.年]\\s*(\\d{{1,2}})\\s*[-/.月]\\s*(\\d{{1,2}}).*$', "
        f"'\\1-\\2-\\3'), '%Y-%m-%d')"
    )
    order = "'\\3-\\2-\\1'" if dayfirst else "'\\3-\\1-\\2'"
    dmy = (
        f"try_strptime(regexp_replace({t}, '^(\\d{{1,2}})[-/.](\\d{{1,2}})[-/.](\\d{{4}})(\\D.*)?$', {order}), "
        f"'%Y-%m-%d')"
    )
    order2 = "'20\\3-\\2-\\1'" if dayfirst else "'20\\3-\\1-\\2'"
    dmy2 = (
        f"try_strptime(regexp_replace({t}, '^(\\d{{1,2}})[-/.](\\d{{1,2}})[-/.](\\d{{2}})(\\s.*)?$', {order2}), "
        f"'%Y-%m-%d')"
    )
    compact = f"try_strptime(regexp_extract({t}, '^(\\d{{8}})(\\D.*)?$', 1), '%Y%m%d')"
    serial = (
        f"(CASE WHEN regexp_matches({t}, '^\\d{{5}}(\\.\\d+)?$') "
        f"THEN DATE '1899-12-30' + CAST(floor(CAST({t} AS DOUBLE)) AS INTEGER) END)"
    )
    named = (
        f"try_strptime({t}, ['%d %b %Y', '%d-%b-%Y', '%d %B %Y', '%b %d, %Y', '%B %d, %Y', "
        f"'%b %d %Y', '%d-%b-%y', '%d %b %Y %H:%M', '%d %b %Y %H:%M:%S'])"
    )
    return (
        f"CAST(CASE WHEN ascii({t}) BETWEEN 48 AND 57 "
        f"THEN COALESCE(TRY_CAST({t} AS TIMESTAMP), {ymd}, {dmy}, {dmy2}, {serial}, {compact}, {named}) "
        f"WHEN regexp_matches({t}, '[0-9]') THEN {named} END AS DATE)"
    )


class PurchaseData:
    """A cleaned export, held in DuckDB.

    Attributes
    ----------
    con : duckdb.DuckDBPyConnection
        The connection holding the rows (table ``tx``); models query it in place.
    sql : str
        ``SELECT * FROM tx``: one row per used input row, in file order: ``customer_id`` (text),
        ``date`` (DATE), ``amount`` (DOUBLE, negative for returns), ``is_return`` (BOOLEAN), when present and
        kept ``order_id``, ``quantity``, ``product``, ``channel``, ``margin``, and when asked ``hour``, ``discount``.
    quality : DataQuality
        What was read, used and dropped, and why.
    """

    def __init__(self, con, quality: DataQuality):
        self.con = con
        self.sql = "SELECT * FROM tx"
        self.quality = quality
        self._frame, self._counted = None, None

    @property
    def transactions(self):
        """The rows as a pandas DataFrame (``date`` as datetime64[s]); built on first use."""
        if self._frame is None:
            frame = self.con.sql(self.sql).df()
            frame["date"] = frame["date"].astype("datetime64[s]")
            self._frame = frame
        return self._frame

    @property
    def table(self):
        """The rows as a pyarrow Table."""
        return self.con.sql(self.sql).to_arrow_table()

    def release(self) -> None:
        """Free the rows (on a 10M-row file, a gigabyte); results already computed stay valid."""
        self.con.execute("DROP VIEW IF EXISTS tx")
        self.con.execute("DROP TABLE IF EXISTS staged")
        self._frame = None

    def resolve_as_of(self, as_of=None) -> date:
        """The analysis date (default: the last purchase date), recorded in ``quality`` with the
        number of rows after it, which the analysis leaves out.

        ``as_of`` is anything :func:`~crmkit.io.options.as_date` takes (a config's text too). The
        default is the last *purchase*: a return dated later is left out, not made the as-of date.
        """
        if as_of is None:
            as_of = self.quality.last_purchase or self.quality.last_date
            # read_purchases raises DataError when no row is usable, so a PurchaseData has a last date
            assert as_of is not None, "PurchaseData without a last purchase date"
        else:
            as_of = as_date(as_of, "as_of")
        self.quality.as_of = as_of
        if self._counted == as_of:  # the CLI resolves it, then the analysis again: the rows did not change
            return as_of
        self._counted, day = as_of, f"DATE '{as_of.isoformat()}'"
        self.quality.after_as_of = self.con.sql(f"SELECT count(*) FROM tx WHERE date > {day}").fetchall()[0][0]
        # A return whose purchase is outside the data (or after as_of) leaves a customer with
        # nothing bought: no recency or frequency to score. Counted, with its revenue, so the
        # per-customer totals plus this amount are the net revenue of the used rows.
        count, amount = self.con.sql(
            f"""SELECT count(*), coalesce(sum(net), 0)::DOUBLE FROM (
                    SELECT sum({money("amount")}) AS net FROM tx WHERE date::DATE <= {day}
                    GROUP BY customer_id HAVING NOT bool_or(NOT is_return))"""
        ).fetchall()[0]
        self.quality.returns_only, self.quality.returns_only_amount = int(count), float(amount)
        return as_of


def as_purchases(data, *, options: ReadOptions | None = None) -> PurchaseData:
    """``data`` as :class:`PurchaseData`: read when it is a path or a table, unchanged when it already is.

    Every analysis takes its purchases through here, so a path, a cleaned export and a plain
    pandas / polars / pyarrow table with at least ``customer_id, date, amount`` are alike to it.

    Raises
    ------
    InputError
        ``data`` is none of those.
    ColumnError, DataError
        As :func:`read_purchases`.

    Examples
    --------
    >>> import pandas as pd
    >>> data = as_purchases(pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-01", "2024-01-02"],
    ...                                   "amount": [10, -5]}))
    >>> data.transactions[["customer_id", "amount", "is_return"]].to_dict("list")
    {'customer_id': ['a', 'b'], 'amount': [10.0, -5.0], 'is_return': [False, True]}
    """
    if isinstance(data, PurchaseData):
        return data
    if hasattr(data, "purchase_data"):  # crmkit.pushdown.PushedDown: its rows, fetched
        return data.purchase_data()
    return read_purchases(data, options=options)


def _returns_as_status(con, src: Source, overrides):
    """Read a table's boolean ``is_return`` column as a return status (merged into any status column)."""
    roles = detect_columns(src.headers, overrides, source=src.display).roles
    status = roles.get("status")
    flag = "coalesce(TRY_CAST(is_return AS BOOLEAN), false)"
    other = f"CAST({quote(status)} AS VARCHAR)" if status else "NULL"
    keep = ", ".join(quote(h) for h in src.headers if h not in ("is_return", status))
    con.execute(
        f"CREATE TEMP VIEW flagged_frame AS SELECT {keep}, "
        f"CASE WHEN {flag} THEN 'return (is_return)' ELSE {other} END AS {quote(status or 'status')} "
        f"FROM {src.sql}"
    )
    src.sql = "flagged_frame"
    src.headers = [h for h in src.headers if h not in ("is_return", status)] + [status or "status"]
    return {**(overrides or {}), "status": status or "status"}


#: Drop reasons of values that are present but cannot be used: an error unless skip_bad_rows.
_BAD_VALUES = "('bad_date', 'bad_date_range', 'bad_amount', 'negative_paid')"


def read_purchases(
    source,
    *,
    options: ReadOptions | None = None,
    columns: dict[str, str | None] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    dayfirst: bool | None = None,
    decimal: str | None = None,
    skip_bad_rows: bool = False,
    keep: tuple[str, ...] = OPTIONAL_ROLES,
    date_range=None,
    platform: str | None = None,
) -> PurchaseData:
    """Read and clean a purchase export (CSV/TSV/;/|, .gz, XLSX, Parquet, ``-`` for stdin, or a table).

    Parameters
    ----------
    source : str, os.PathLike, pandas.DataFrame, polars.DataFrame or pyarrow.Table
        A path, ``"-"`` for standard input, or a table in memory. A table is cleaned by the same
        rules as an export (its columns found by name, text dates and amounts parsed, returns
        recognised); a boolean ``is_return`` column marks returns whatever the amount's sign.
    options : ReadOptions, optional
        The reading options as one object (the CLI's form); the keyword arguments below, when
        given, take precedence.
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
    keep : tuple of str
        Optional roles to carry into the result when the file has them (default: all of
        ``order_id, quantity, product, channel, margin``). A command that needs none of them
        reads faster; the columns are still found and listed in ``quality.columns``. ``hour`` (SMALLINT, from the
        date's text) and ``discount`` (DOUBLE, money off) come only when named (:data:`ON_REQUEST`), NULL unsourced.
    date_range : (date, date) or str, optional
        Purchase dates accepted (``"1990-01-01..2030-12-31"``); default
        :data:`~crmkit.io.options.DATE_RANGE`, 1900-01-01..2100-12-31. Dates outside it are bad
        values, like ``2024-02-30``.
    platform : str, optional
        The platform whose order export this is (:mod:`crmkit.io.platforms`: ``taobao``,
        ``shopify`` …, or a platform TOML file), read by its rules: who the customer is, what was
        paid net of refunds, which orders are purchases. ``None`` or ``"auto"`` decides from the
        header; ``"none"`` reads the export generically.

    Returns
    -------
    PurchaseData

    Raises
    ------
    InputError, ColumnError, DataError
    """
    if options is not None:
        columns = {**options.columns, **(columns or {})}
        sheet, encoding, delimiter = (
            sheet or options.sheet,
            encoding or options.encoding,
            delimiter or options.delimiter,
        )
        dayfirst = options.dayfirst if dayfirst is None else dayfirst
        decimal = decimal or options.decimal
        skip_bad_rows = skip_bad_rows or options.skip_bad_rows
        date_range = options.date_range if date_range is None else date_range
        platform = platform or options.platform
        source = engine_source(source, options)
    date_range = DATE_RANGE if date_range is None else parse_date_range(date_range, "date_range")
    if encoding is not None:
        check_encoding(encoding)
    with tempfile.TemporaryDirectory(prefix="crmkit-") as workdir:
        src = open_source(source, workdir, sheet=sheet, encoding=encoding, delimiter=delimiter)
        try:
            return _read(src, columns, dayfirst, decimal, skip_bad_rows, keep, date_range, platform)
        finally:
            src.cleanup()


def _conventions(con, src_sql: str, c: dict, amount_cols: list[str]) -> tuple[bool, bool]:
    """Decimal comma and C-prefixed cancellations, decided from the first 20,000 rows.

    Both are properties of the exporting system, uniform within a file, so a sample settles them.
    """
    votes = []
    for col in amount_cols:
        a = f"trim(CAST({col} AS VARCHAR))"
        # comma votes: "12,50", "1.234,50"; point votes: "12.50" with no comma, "1,234.50"
        votes.append(
            f"count(CASE WHEN contains({a}, ',') AND (regexp_matches({a}, '^[^.]*[0-9],[0-9]{{1,2}}$') "
            f"OR regexp_matches({a}, '[0-9]\\.[0-9]{{3}},[0-9]+$')) THEN 1 END)"
        )
        votes.append(
            f"count(CASE WHEN contains({a}, '.') AND NOT contains({a}, ',') THEN 1 "
            f"WHEN contains({a}, ',') AND regexp_matches({a}, '[0-9],[0-9]{{3}}(\\.[0-9]+)?$') THEN 1 END)"
        )
    if "order_id" in c:
        o = f"trim(CAST({c['order_id']} AS VARCHAR))"
        votes.append(f"count(TRY_CAST({o} AS BIGINT))")
        votes.append(f"count({o})")
    cols = ", ".join(dict.fromkeys(amount_cols + ([c["order_id"]] if "order_id" in c else [])))
    row = con.sql(f"SELECT {', '.join(votes)} FROM (SELECT {cols} FROM {src_sql} LIMIT 20000)").fetchall()[0]
    comma = sum(row[2 * i] for i in range(len(amount_cols)))
    point = sum(row[2 * i + 1] for i in range(len(amount_cols)))
    c_cancel = False
    if "order_id" in c:
        numeric, present = row[-2], row[-1]
        c_cancel = present > 0 and numeric > present / 2  # "C" is a marker only where ids are otherwise numeric
    return comma > point, c_cancel


def _staging_sql(
    src_sql: str,
    c: dict,
    cmap: ColumnMap,
    first_col: str,
    *,
    dayfirst: bool,
    decimal_comma: bool,
    c_cancel: bool,
    keep: tuple[str, ...],
    date_range: tuple[date, date] = DATE_RANGE,
) -> tuple[str, list[str]]:
    """The single cleaning query: raw text in, typed and classified rows out (file order kept).

    A date outside ``date_range`` (``9999-12-31``, ``0001-01-01``) is a bad value
    (``bad_date_range``), like text that is no date at all.
    """
    # The inner SELECT trims and nulls each text column once; the outer one parses. DuckDB does
    # not share sub-expressions across CASE branches, so this halves the work on large files.
    # order_id is always staged: cancellations are matched on it.
    needed = {"amount", "order_id", "status"} | set(keep)
    if cmap.amount_from_price:
        needed |= {"quantity", "unit_price"}
    text_cols = {"customer_id": c["customer_id"], "date": c["date"]}
    # a platform export's rows of orders that are no purchase, and its order times (crmkit.io.platforms.orders)
    needed |= {"exclude", "clock"}
    for role in ROLES_STAGED:
        if role in c and role in needed:
            text_cols[role] = c[role]
    if quote(first_col) not in text_cols.values():
        text_cols["_first"] = quote(first_col)
    inner = ", ".join(
        f"{_clean_text(f'CAST({col} AS VARCHAR)', line_start=col == quote(first_col), anywhere=role in _IDS)} "
        f"AS {quote('_t_' + role)}"
        for role, col in text_cols.items()
    )
    t = {role: quote("_t_" + role) for role in text_cols}
    if cmap.amount_from_price:
        amount_missing = f"({t['quantity']} IS NULL OR {t['unit_price']} IS NULL)"
        amount_val = f"({amount_expr(t['quantity'], decimal_comma)} * {amount_expr(t['unit_price'], decimal_comma)})"
    else:
        amount_missing = f"({t['amount']} IS NULL)"
        amount_val = amount_expr(t["amount"], decimal_comma)
    total_checks = [_total_check(t["customer_id"])] + ([_total_check(t["_first"])] if "_first" in t else [])
    # Return statuses are flagged after staging (from every distinct status); C-invoices here.
    flagged = "false"
    if c_cancel:
        flagged = (
            f"coalesce(lower(substr({t['order_id']}, 1, 1)) = 'c' "
            f"AND regexp_matches({t['order_id']}, '^[Cc][0-9]+$'), false)"
        )
    status = f", {t['status']} AS _status" if "status" in t else ""
    extra = {}
    for role in ("order_id", "product", "category", "region", "channel"):
        if role in t:
            extra[role] = id_expr(t[role]) if role == "order_id" else t[role]
    for role in ("quantity", "unit_price", "margin", "discount"):
        if role in t and role in keep:
            extra[role] = amount_expr(t[role], decimal_comma)
    if "discount" in extra:  # money off, whichever sign the export gives it
        extra["discount"] = f"abs({extra['discount']})"
    for role in ("margin", "discount"):
        if role in extra:  # summed as money like the amount: out of its range (or inf / NaN) it is unreadable
            extra[role] = f"(CASE WHEN abs({extra[role]}) < {MONEY_LIMIT!r} THEN {extra[role]} END)"
    if "hour" in keep:  # a platform's order time (its date is the day alone), else the date's own text
        extra.update(hour_exprs(t.get("clock", t["date"])))
    extra_sql = "".join(f", {expr} AS {role}" for role, expr in extra.items())
    d = t["date"]
    # '-', '.', '/' are code points 45-47: a comparison, where a list lookup per row cost 20x more
    slash_guard = f"(ascii(substr({d}, 2, 1)) BETWEEN 45 AND 47 OR ascii(substr({d}, 3, 1)) BETWEEN 45 AND 47)"
    slash_re = "'^(\\d{1,2})[-/.](\\d{1,2})[-/.]\\d{2,4}'"
    low, high = (f"DATE '{day.isoformat()}'" for day in date_range)
    sql = f"""
        SELECT * EXCLUDE (_total, _no_id, _no_date, _no_amount, _date{", _exclude" if "exclude" in t else ""}
                          {", _hm, _meridiem, _serial" if "_hm" in extra else ""}),
               CASE WHEN _date BETWEEN {low} AND {high} THEN _date END AS date,
               CASE {"WHEN _exclude IS NOT NULL THEN _exclude" if "exclude" in t else ""}
                    WHEN _total THEN 'total_row'
                    WHEN _no_id THEN 'missing_customer_id'
                    WHEN _no_date THEN 'missing_date'
                    WHEN _no_amount THEN 'missing_amount'
                    WHEN _date IS NULL THEN 'bad_date'
                    WHEN NOT (_date BETWEEN {low} AND {high}) THEN 'bad_date_range'
                    -- beyond what money sums exactly (crmkit.io.engine.MONEY), or inf / NaN
                    WHEN amount IS NULL OR NOT abs(amount) < {MONEY_LIMIT!r} THEN 'bad_amount'
               END AS _drop
        FROM (
            SELECT {id_expr(t["customer_id"])} AS customer_id,
                   {date_expr(d, dayfirst)} AS _date,
                   {amount_val} AS amount,
                   ({" OR ".join(total_checks)}) AS _total,
                   ({t["customer_id"]} IS NULL) AS _no_id,
                   ({d} IS NULL) AS _no_date,
                   {amount_missing} AS _no_amount,
                   {flagged} AS _flagged {status} {f", {t['exclude']} AS _exclude" if "exclude" in t else ""},
                   -- day and month candidates of D/M/Y-looking dates, to settle the order afterwards
                   CASE WHEN {slash_guard} THEN TRY_CAST(regexp_extract({d}, {slash_re}, 1) AS INTEGER) END AS _p1,
                   CASE WHEN {slash_guard} THEN TRY_CAST(regexp_extract({d}, {slash_re}, 2) AS INTEGER) END AS _p2
                   {extra_sql}
            FROM (SELECT {inner} FROM {src_sql})
        )
    """
    return sql, list(extra)


def _read(src: Source, overrides, dayfirst, decimal, skip_bad_rows, keep, date_range, platform) -> PurchaseData:
    import duckdb

    while True:
        con = connect()
        try:
            return _read_with(con, src, overrides, dayfirst, decimal, skip_bad_rows, keep, date_range, platform)
        except duckdb.Error as exc:
            con.close()
            # Line breaks in quoted fields need DuckDB's serial reader: read again with it.
            if not (needs_serial_scan(exc) and src.read_serially()):
                raise scan_error(exc, src) from None
        except BaseException:
            con.close()
            raise


def _read_with(
    con, src: Source, overrides, dayfirst, decimal, skip_bad_rows, keep, date_range, platform
) -> PurchaseData:
    src.attach(con)
    if src.file_format == "table" and "is_return" in src.headers:
        overrides = _returns_as_status(con, src, overrides)
    found = detect_platform(src.headers, platform, source=src.display)
    if found is not None:  # a platform's export: read by its rules, then cleaned as any export
        by_platform = platform_rows(con, src, found, overrides)
        src, overrides = by_platform.source, by_platform.columns
    cmap = detect_columns(src.headers, overrides, source=src.display)
    roles = cmap.roles
    c = {role: quote(h) for role, h in roles.items()}
    quality = DataQuality.of_source(src, roles)
    if found is not None:
        c["exclude"] = quote("_exclude")
        c["clock"] = quote("_clock")  # the order's time as written, for its hour
        by_platform.record(quality)
    if cmap.amount_from_price:
        qty, price = roles["quantity"], roles["unit_price"]
        quality.note("amount_from_price", f"amount computed as {qty} x {price}", quantity=qty, unit_price=price)

    amount_cols = [c["quantity"], c["unit_price"]] if cmap.amount_from_price else [c["amount"]]
    decimal_comma, c_cancel = _conventions(con, src.sql, c, amount_cols)
    if decimal is not None:
        decimal_comma = decimal == ","
    elif decimal_comma:
        quality.note("decimal_comma", "amounts read with a decimal comma (1.234,50 = 1234.50); force with --decimal .")

    def stage(first_day: bool) -> list[str]:
        sql, extra_cols = _staging_sql(
            src.sql,
            c,
            cmap,
            src.headers[0],
            dayfirst=first_day,
            decimal_comma=decimal_comma,
            c_cancel=c_cancel,
            keep=keep,
            date_range=date_range,
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS {sql}")
        return extra_cols

    extra = stage(bool(dayfirst))
    counts = "SELECT count(*), max(_p1), max(_p2), count(_p1) FROM staged"
    rows_read, p1, p2, slash_dates = con.sql(counts).fetchall()[0]
    if rows_read == 0:
        tabular = src.file_format in ("table", "spark") or src.file_format in SCHEMES
        raise InputError("no data rows" if tabular else "file has a header but no data rows", file=src.display)
    if dayfirst is None and slash_dates:
        # A single 13/01/2024 anywhere settles the day order for the whole column.
        if (p1 or 0) > 12 and (p2 or 0) <= 12:
            stage(True)
        elif (p1 or 0) <= 12 and (p2 or 0) <= 12:
            quality.note(
                "month_first",
                "dates like 01/02/2024 read as month/day/year (no value tells); use --dayfirst for day/month/year",
            )

    returned = []
    if "status" in c:
        # Statuses are few distinct values: classify each once in Python, flag the rows in place.
        statuses = [
            r[0]
            for r in con.sql("SELECT DISTINCT _status FROM staged WHERE _status IS NOT NULL LIMIT 100000").fetchall()
        ]
        returned = sorted(v for v in statuses if _RETURN_STATUS.search(v.lower()))
        if returned:
            shown = ", ".join(returned[:10])
            quality.note("return_statuses", "statuses read as returns/cancellations: " + shown, statuses=shown)
            con.execute(
                f"UPDATE staged SET _flagged = true "
                f"WHERE list_contains([{', '.join(sql_literal(v) for v in returned)}], _status)"
            )

    bad = con.sql(
        f"SELECT _drop, count(*), min(rowid) FROM staged WHERE _drop IN {_BAD_VALUES} GROUP BY 1 ORDER BY 3"
    ).fetchall()
    if bad and not skip_bad_rows:
        kind, _, first = bad[0]
        if kind.startswith("bad_date"):
            headers = [roles["date"]]
        elif cmap.amount_from_price:
            headers = [roles["quantity"], roles["unit_price"]]
        else:
            headers = [roles["amount"]]
        # staged keeps file order, so its rowid is the record number: read that record's raw text.
        values = con.sql(f"SELECT {', '.join(map(quote, headers))} FROM {src.sql} LIMIT 1 OFFSET {first}").fetchall()[0]
        total_bad = sum(b[1] for b in bad)
        what = "date" if kind.startswith("bad_date") else "amount"
        more = f"; {total_bad - 1:,} more row(s) with unreadable values" if total_bad > 1 else ""
        shown = " x ".join(map(str, values))
        message, hint = (
            f"cannot read {what} {shown!r}{more}",
            ("fix the file, set the format (--dayfirst, --decimal), or drop such rows with --skip-bad-rows"),
        )
        if kind == "negative_paid":  # a platform's paid amount (crmkit.io.platforms.orders)
            message = f"paid amount {shown!r} is negative in a purchase order{more}"
        if kind == "bad_date_range":
            first_day, last_day = date_range
            message = f"date {shown!r} is outside the accepted purchase dates {first_day}..{last_day}{more}"
            hint = "fix the file, widen the range with --date-range FIRST..LAST, or drop such rows with --skip-bad-rows"
        raise DataError(
            message, file=src.display, row=src.first_data_row + first, column=" x ".join(headers), hint=hint
        )

    drops = dict(con.sql("SELECT _drop, count(*) FROM staged WHERE _drop IS NOT NULL GROUP BY 1").fetchall())
    invalid = sum(drops.pop(kind, 0) for kind in ("bad_date", "bad_date_range", "bad_amount", "negative_paid"))
    order = [*PLATFORM_DROPS, "missing_customer_id", "missing_date", "missing_amount", "total_row"]
    quality.dropped = {k: drops[k] for k in order if drops.get(k)}
    if invalid:
        quality.dropped["invalid_value"] = invalid

    # A flagged row with a positive amount offsets an earlier purchase when that order also has an
    # unflagged row (a return line); otherwise the order itself was cancelled and never was revenue.
    kept = "_drop IS NULL"
    positive_flagged = 0
    if "order_id" in c and (returned or c_cancel):
        positive_flagged = con.sql(
            "SELECT count(*) FROM staged WHERE _drop IS NULL AND _flagged AND amount > 0"
        ).fetchall()[0][0]
    if positive_flagged:
        con.execute("""
            CREATE TEMP TABLE cancelled AS
            SELECT f.rowid AS _row FROM staged f
            WHERE f._drop IS NULL AND f._flagged AND f.amount > 0
              AND NOT EXISTS (SELECT 1 FROM staged p WHERE p._drop IS NULL AND NOT p._flagged
                              AND p.order_id = f.order_id AND p.customer_id = f.customer_id)
        """)
        cancelled = con.sql("SELECT count(*) FROM cancelled").fetchall()[0][0]
        if cancelled:
            quality.dropped["cancelled_order"] = quality.dropped.get("cancelled_order", 0) + cancelled
            # in place: a join or NOT IN would lose the file order of the rows
            con.execute("UPDATE staged SET _drop = 'cancelled_order' WHERE rowid IN (SELECT _row FROM cancelled)")
    is_return = "(_flagged OR amount < 0)"
    agg = con.sql(f"""
        SELECT count(*), count(*) FILTER (WHERE {is_return}), max(date) FILTER (WHERE NOT {is_return}),
               coalesce(sum({money("abs(amount)")}) FILTER (WHERE {is_return}), 0), min(date), max(date)
        FROM staged WHERE {kept}
    """).fetchall()[0]
    quality.rows_read = rows_read
    quality.rows_used, quality.return_rows, quality.last_purchase = agg[0], agg[1], agg[2]
    quality.return_amount = float(agg[3])
    quality.first_date, quality.last_date = agg[4], agg[5]
    if quality.rows_used == 0:
        raise DataError(
            "no usable purchase rows ("
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in quality.dropped.items())
            + ")",
            file=src.display,
        )
    kept_cols = {role: role for role in extra if role in keep}
    if "hour" in kept_cols and not con.sql(f"SELECT bool_or(_timed) FROM staged WHERE {kept}").fetchall()[0][0]:
        kept_cols["hour"] = "NULL"  # midnight everywhere: dates written as datetimes, no time of day
    for role, kind in zip(ON_REQUEST, ("SMALLINT", "DOUBLE")):  # asked for: a column, NULL without a source
        kept_cols.update({role: f"CAST({kept_cols.pop(role, 'NULL')} AS {kind})"} if role in keep else {})
    con.execute(f"""
        CREATE TEMP VIEW tx AS
        SELECT customer_id, date, CASE WHEN {is_return} THEN -abs(amount) ELSE amount END AS amount,
               {is_return} AS is_return {"".join(f", {expr} AS {role}" for role, expr in kept_cols.items())}
        FROM staged WHERE {kept}
    """)
    return PurchaseData(con, quality)
