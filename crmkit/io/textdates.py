"""Dates typed into text exports (members, campaign, complaints files): one reading for them all.

A column's dates are read by the purchase dates' DuckDB expression
(:func:`crmkit.io.purchases.date_expr`: ISO with or without a time, ``Y/M/D``, ``Y.M.D``,
``2024年3月5日``, ``YYYYMMDD``, ``D/M/Y`` or ``M/D/Y`` decided from the column, month names, Excel
serial numbers); a year and month alone (``1990-05``, ``1990年5月``) is the 1st of that month.
"""

from __future__ import annotations

import re
from datetime import date

from crmkit.errors import InputError
from crmkit.io.engine import connect
from crmkit.io.purchases import date_expr

_MONTH_ONLY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_SLASH = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.]\d{2,4}")


def parse_dates(texts: list[str | None]) -> tuple[dict[str, date | None], set[str], set[str], bool]:
    """Each distinct date text -> its day (None when unreadable), the texts read as year and month
    only, the texts read as a day Python's calendar does not hold (before 1000 or after 8999), and whether
    D/M/Y-looking dates were read month first with no value to tell."""
    import duckdb
    import pandas as pd

    distinct = sorted({t for t in texts if t is not None})
    days: dict[str, date | None] = {}
    month_only: set[str] = set()
    far: set[str] = set()
    rest = []
    for text in distinct:
        match = _MONTH_ONLY.match(text)
        if match and 1 <= int(match.group(2)) <= 12:
            days[text] = date(int(match.group(1)), int(match.group(2)), 1)
            month_only.add(text)
        else:
            rest.append(text)
    # A single 13/01/1990 settles the day order of the whole column, as for purchase dates.
    pairs = [(int(m.group(1)), int(m.group(2))) for m in map(_SLASH.match, rest) if m]
    p1, p2 = max((p for p, _ in pairs), default=0), max((q for _, q in pairs), default=0)
    dayfirst = p1 > 12 >= p2
    ambiguous = bool(pairs) and p1 <= 12 and p2 <= 12
    if rest:
        con = connect()
        try:
            con.register("text_dates", pd.DataFrame({"t": pd.Series(rest, dtype=object)}))
            # years beyond Python's (or DuckDB's odd 275000-01-01) are no one's date: NULL before conversion
            parsed = con.sql(
                f"SELECT t, CASE WHEN d BETWEEN DATE '1000-01-01' AND DATE '8999-12-31' THEN d END, d IS NOT NULL "
                f"FROM (SELECT t, {date_expr('t', dayfirst)} AS d FROM text_dates)"
            ).fetchall()
        except duckdb.Error as exc:  # pragma: no cover - the expression is total over text
            raise InputError(f"cannot parse dates: {exc}") from None
        finally:
            con.close()
        for text, day, read in parsed:
            days[text] = day
            if read and day is None:
                far.add(text)
    return days, month_only, far, ambiguous
