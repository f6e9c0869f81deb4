"""Reading the other inputs: survey answers, member / contact lists and referrals.

Formats and encodings are detected as for purchase exports (:mod:`crmkit.io.readers`); every
column is read as text and ids stay text.
"""

from __future__ import annotations

import re
import tempfile

from crmkit.errors import InputError
from crmkit.io.columns import NULL_WORDS
from crmkit.io.engine import connect, quote
from crmkit.io.purchases import _clean_text, id_expr, is_total
from crmkit.io.readers import needs_serial_scan, open_source, scan_error

_REFERRER = (
    "referrerid",
    "referrer",
    "referredby",
    "referrercustomerid",
    "inviter",
    "inviterid",
    "推荐人",
    "推荐人编号",
    "推荐人id",
    "推荐客户",
    "邀请人",
    "邀请人编号",
)
_REFERRED = (
    "referredid",
    "referred",
    "referredcustomerid",
    "newcustomerid",
    "customerid",
    "invitee",
    "inviteeid",
    "被推荐人",
    "被推荐人编号",
    "被推荐客户",
    "新客户编号",
    "被邀请人",
    "客户编号",
)


def _attach(con, src) -> None:
    """Attach ``src`` and scan it once, switching to DuckDB's serial reader when the file has line
    breaks in quoted fields (see :meth:`~crmkit.io.readers.Source.read_serially`)."""
    import duckdb

    src.attach(con)
    try:
        con.sql(f"SELECT count(*) FROM {src.sql}").fetchall()
    except duckdb.Error as exc:
        if not (needs_serial_scan(exc) and src.read_serially()):
            raise


def read_referrals(source: str, *, encoding: str | None = None, sheet: str | None = None):
    """Read a referrals export: who referred whom (``referrer_id``, ``referred_id``, optional ``date``).

    Headers are matched like purchase exports (English or Chinese: referrer_id, 推荐人, referred_id,
    被推荐人 ...). IDs stay text. Rows missing either id are dropped; a customer referred twice
    is credited to the first referrer only, so referral value is never counted twice.

    Returns
    -------
    pandas.DataFrame
        ``referrer_id, referred_id``.
    """
    import duckdb

    from crmkit.errors import ColumnError
    from crmkit.io.columns import normalise_header

    with tempfile.TemporaryDirectory(prefix="crmkit-") as workdir:
        src = open_source(source, workdir, sheet=sheet, encoding=encoding)
        con = connect()
        try:
            _attach(con, src)
            norm = {normalise_header(h): h for h in reversed(src.headers)}
            found: dict[str, str] = {}
            for role, aliases in (("referrer_id", _REFERRER), ("referred_id", _REFERRED)):
                header = next((norm[a] for a in aliases if a in norm and norm[a] not in found.values()), None)
                if header is None:
                    raise ColumnError(
                        f"cannot find the {role.replace('_', ' ')} column",
                        file=src.display,
                        hint="columns found: "
                        + ", ".join(src.headers)
                        + "; expected e.g. referrer_id and referred_id (推荐人, 被推荐人)",
                    )
                found[role] = header
            r, d = (
                id_expr(_clean_text(f"CAST({quote(found[k])} AS VARCHAR)", anywhere=True))
                for k in ("referrer_id", "referred_id")
            )
            frame = con.sql(f"""
                SELECT arg_min(referrer_id, i) AS referrer_id, referred_id FROM (
                    SELECT {r} AS referrer_id, {d} AS referred_id, row_number() OVER () AS i FROM {src.sql})
                WHERE referrer_id IS NOT NULL AND referred_id IS NOT NULL AND referrer_id <> referred_id
                GROUP BY referred_id ORDER BY min(i)""").df()
        except duckdb.Error as exc:
            raise scan_error(exc, src) from None
        finally:
            con.close()
            src.cleanup()
    return frame


#: Above this many columns a survey is cleaned in pandas: DuckDB plans each column's cleaning
#: expression separately, about 5 ms a column, so 3,000 columns took a minute for 40 answers.
WIDE_SURVEY = 200
_NULL_WORDS = frozenset(re.findall(r"'([^']*)'", NULL_WORDS))


def _clean_frame(frame):
    """:func:`~crmkit.io.purchases._clean_text` in plain Python: values trimmed of spaces and of any
    BOM, the spellings of nothing missing. Per cell, not per
    column: pandas costs milliseconds a column, which is what a wide survey has many of."""
    import pandas as pd

    missing = float("nan")  # what DuckDB's .df() gives for NULL text, so both paths match

    def clean(value):
        text = value.replace("\ufeff", "").strip(" ") if "\ufeff" in value else value.strip(" ")
        return missing if text in _NULL_WORDS else text

    columns = list(frame.columns)
    data = {
        i: [clean(v) if isinstance(v, str) else missing for v in frame[name].tolist()] for i, name in enumerate(columns)
    }
    out = pd.DataFrame(data, dtype=object)
    out.columns = columns
    kinds = set(frame.dtypes)
    return out.astype(kinds.pop()) if len(kinds) == 1 else out  # the text dtype DuckDB hands pandas


def read_survey(source: str, *, encoding: str | None = None, sheet: str | None = None, delimiter: str | None = None):
    """Read a survey export as text columns (one row per respondent), formats as for purchases.

    Returns
    -------
    frame : pandas.DataFrame
        Every column as text (``None`` for blanks), in file order.
    first_data_row : int
        File row of the first respondent, for messages that name a row.
    """
    frame, first_data_row, _ = read_text_rows(
        source, encoding=encoding, sheet=sheet, delimiter=delimiter, empty="the survey has a header but no answers"
    )
    return frame, first_data_row


def read_text_rows(
    source, *, encoding: str | None = None, sheet: str | None = None, delimiter: str | None = None, empty: str
):
    """An export (survey, members file) as text columns, its first data row, and the closing total rows cut.

    A total row (合计 / Total) closing the export is no respondent or member. Only trailing ones are
    cut, so every other row keeps the file row number that messages name; their count is returned
    for a reader that reports it. No row left is an :class:`InputError` saying ``empty``.
    """
    import duckdb

    with tempfile.TemporaryDirectory(prefix="crmkit-") as workdir:
        src = open_source(source, workdir, sheet=sheet, encoding=encoding, delimiter=delimiter)
        con = connect()
        try:
            _attach(con, src)
            if len(src.headers) > WIDE_SURVEY:
                frame = _clean_frame(con.sql(f"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM {src.sql}").df())
            else:
                select = ", ".join(
                    f"{_clean_text(f'CAST({quote(h)} AS VARCHAR)', anywhere=True)} AS {quote(h)}" for h in src.headers
                )
                frame = con.sql(f"SELECT {select} FROM {src.sql}").df()
        except duckdb.Error as exc:
            raise scan_error(exc, src) from None
        finally:
            con.close()
            src.cleanup()
    end = len(frame)
    while end and is_total(frame.iat[end - 1, 0]):
        end -= 1
    if not end:
        raise InputError(empty, file=src.display)
    return frame.iloc[:end], src.first_data_row, len(frame) - end


_TRUE = {"1", "true", "yes", "y", "t", "是", "已注册", "注册", "有", "√", "x"}


def read_members(source: str, *, encoding: str | None = None, sheet: str | None = None):
    """A member / contact list: ``customer_id`` and, when present, ``registered`` and ``enquired`` flags.

    Flag columns are found by name (registered, 注册; enquired, inquiry, 咨询) and read as true for
    1 / true / yes / 是 and the like.
    """
    import pandas as pd

    from crmkit.errors import ColumnError
    from crmkit.io.columns import ALIASES, normalise_header

    frame, _ = read_survey(source, encoding=encoding, sheet=sheet)
    headers = [str(c) for c in frame.columns]
    by_norm = {normalise_header(h): h for h in headers}
    id_column = next((by_norm[a] for a in ALIASES["customer_id"] if a in by_norm), None)
    if id_column is None:
        raise ColumnError(
            "cannot find the customer id column of the member list",
            file=source,
            hint="columns found: " + ", ".join(headers),
        )
    out = pd.DataFrame({"customer_id": frame[id_column].to_numpy()})
    for flag, aliases in (
        ("registered", ("registered", "isregistered", "member", "注册", "是否注册", "已注册")),
        ("enquired", ("enquired", "inquired", "enquiry", "inquiry", "咨询", "是否咨询")),
    ):
        column = next((by_norm[a] for a in aliases if a in by_norm and by_norm[a] != id_column), None)
        if column is not None:
            out[flag] = frame[column].fillna("").astype(str).str.strip().str.lower().isin(_TRUE).to_numpy()
    return out.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
