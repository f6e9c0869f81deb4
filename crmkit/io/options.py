"""Values a caller hands the library, checked once: reading options, analysis dates, languages.

Every analysis takes its ``as_of`` through :func:`as_date` and its ``lang`` through
:func:`check_lang`, so a notebook user's ``"2024-03-01"`` or ``pd.Timestamp`` means the same
as the CLI's ``--as-of 2024-03-01``, and a bad value is a :class:`~crmkit.errors.UsageError`
naming the parameter, never an ``AttributeError`` from deep inside.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from crmkit.errors import UsageError

LANGS: tuple[str, ...] = ("en", "zh")
"""Languages a report can be written in."""

DATE_RANGE: tuple[date, date] = (date(1900, 1, 1), date(2100, 12, 31))
"""Purchase dates read by default (both ends included), and the as-of dates accepted.

Outside it a date is a bad value (``9999-12-31`` and ``1900-01-00`` are placeholders, Excel
serial 0 is 1899-12-30): a span of centuries would also make a monthly cohort table of
thousands of columns. ``ReadOptions(date_range=...)`` and ``--date-range`` widen or narrow it.
"""

DATE_LIMITS: tuple[date, date] = (date(1000, 1, 1), date(8999, 12, 31))
"""Days crmkit computes with at all: any as-of date, and the widest ``--date-range``.

Far enough from year 1 and 9999 that an analysis can step centuries back or forward (a
calibration window, a forecast horizon) without leaving the calendar Python and DuckDB share.
"""


def check_lang(lang: str) -> str:
    """Return ``lang`` when a report can be written in it.

    Parameters
    ----------
    lang : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str
        The same language code.

    Raises
    ------
    crmkit.errors.UsageError
        For any other value.

    Examples
    --------
    >>> check_lang("zh")
    'zh'
    """
    if lang not in LANGS:
        raise UsageError(f"unknown report language {lang!r}", hint="use " + " or ".join(repr(code) for code in LANGS))
    return lang


def as_date(value: Any, name: str = "as_of", *, within: tuple[date, date] | None = DATE_LIMITS) -> date:
    """A calendar day from a ``date``, ``datetime``, pandas ``Timestamp``, numpy ``datetime64`` or ISO string.

    Parameters
    ----------
    value : date, datetime, pandas.Timestamp, numpy.datetime64 or str
        ``"2024-03-01"`` and ``"2024-03-01T12:00"`` are read as 1 March 2024; the time of day is
        dropped (every analysis counts whole days).
    name : str
        The parameter's name, for the message.
    within : (date, date) or None
        Accepted days, both included (default :data:`DATE_LIMITS`, 1000-01-01..8999-12-31);
        ``None`` accepts any.

    Raises
    ------
    crmkit.errors.UsageError
        Anything else (``None``, ``NaT``, ``"yesterday"``, ``2024``, ``"0000-01-01"``,
        ``"10000-01-01"``) and days outside ``within``, naming ``name``.

    Examples
    --------
    >>> as_date("2024-03-01")
    datetime.date(2024, 3, 1)
    >>> import pandas as pd
    >>> as_date(pd.Timestamp("2024-03-01 17:30"))
    datetime.date(2024, 3, 1)
    """
    day = _as_day(value, name)
    if within is not None and not within[0] <= day <= within[1]:
        raise UsageError(
            f"{name} {day.isoformat()} is outside the dates crmkit works with, {within[0]}..{within[1]}",
        )
    return day


def _as_day(value: Any, name: str) -> date:
    if isinstance(value, datetime):  # before date: a datetime is a date too
        if value != value:  # pandas NaT is a datetime that equals nothing
            raise UsageError(f"{name} must be a date such as 2024-12-31, not NaT")
        return value.date()
    if isinstance(value, date):
        return value
    if type(value).__name__ == "datetime64":
        import numpy as np

        if np.isnat(value):
            raise UsageError(f"{name} must be a date such as 2024-12-31, not NaT")
        value = str(value.astype("datetime64[D]"))  # years past 9999 and before 1 stay text: refused below
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            pass
    raise UsageError(
        f"{name} must be a date such as 2024-12-31 (a date, datetime, Timestamp or ISO string), not {_shown(value)}"
    )


def check_encoding(encoding: str, display: str | None = None) -> str:
    """``encoding`` when it names a text encoding; a :class:`UsageError` otherwise.

    Python also registers byte-to-byte and text-to-text codecs (``base64``, ``hex``, ``zlib``,
    ``rot13``); those do not turn a file's bytes into text.
    """
    import codecs

    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        raise UsageError(
            f"--encoding {encoding!r} is not a known encoding", file=display, hint="e.g. utf-8, gb18030, cp1252"
        ) from None
    if not getattr(info, "_is_text_encoding", True):
        raise UsageError(
            f"--encoding {encoding!r} is not a text encoding", file=display, hint="e.g. utf-8, gb18030, cp1252"
        )
    return encoding


def _shown(value: Any) -> str:
    """A value as the user wrote it: ``11``, not ``np.int64(11)``; text quoted."""
    if isinstance(value, str):
        return repr(value)
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        try:
            return repr(value.item())
        except (TypeError, ValueError):
            pass
    return repr(value)


def parse_date_range(value: Any, name: str = "--date-range") -> tuple[date, date]:
    """``"1990-01-01..2030-12-31"`` (or a pair of dates) as a (first, last) pair of days.

    Examples
    --------
    >>> parse_date_range("2000-01-01..2030-12-31")
    (datetime.date(2000, 1, 1), datetime.date(2030, 12, 31))
    """
    if isinstance(value, str):
        parts = value.split("..")
        if len(parts) != 2:
            raise UsageError(f"{name} must be FIRST..LAST such as 1990-01-01..2030-12-31, not {value!r}")
    else:
        try:
            parts = list(value)
        except TypeError:
            parts = []
        if len(parts) != 2:
            raise UsageError(f"{name} must be two dates (first, last), not {_shown(value)}")
    first, last = (as_date(part, name) for part in parts)
    if first > last:
        raise UsageError(f"{name} starts after it ends: {first}..{last}")
    return first, last


@dataclass
class ReadOptions:
    """How to read a purchase export: column overrides and format settings.

    The fields are the CLI's reading options (``--customer``, ``--date``, ..., ``--skip-bad-rows``);
    :func:`crmkit.io.purchases.read_purchases` takes them one by one or as ``options=``.

    Attributes
    ----------
    columns : dict
        Role -> header overrides: ``customer_id, date, amount, order_id, quantity, unit_price,
        status`` (``None`` values are ignored).
    sheet, encoding, delimiter : str or None
        XLSX sheet (name or 1-based number), forced encoding, forced one-character delimiter
        (``\\t`` and ``tab`` mean a tab).
    dayfirst : bool or None
        Day-first dates; ``None`` decides from the data.
    decimal : {".", ",", None}
        Decimal separator of amounts; ``None`` decides from the data.
    skip_bad_rows : bool
        Drop and count unreadable rows instead of stopping.
    date_range : (date, date), str or None
        Purchase dates accepted, both ends included: a pair of dates or ``"FIRST..LAST"``
        (``--date-range``); ``None`` is :data:`DATE_RANGE`, 1900-01-01..2100-12-31. A date
        outside it is a bad value.
    table, query : str or None
        With a database URL as the source (:mod:`crmkit.io.databases`): the table, or the
        SELECT, that gives the purchases (``--table``, ``--query``).
    engine : {"duckdb", "db", "spark"} or None
        Where the per-customer aggregation runs (``--engine``; :mod:`crmkit.pushdown`): the
        embedded DuckDB, the database of a URL source, or Spark. ``None`` infers it from the
        source: a database URL runs in its database, anything else in DuckDB.
    spark_master : str or None
        With the Spark engine: ``local[4]``, ``spark://host:7077``, ``yarn`` or a Spark Connect
        ``sc://host:15002`` (``--spark-master``; default ``SPARK_REMOTE`` or local mode).
    platform : str or None
        The platform whose order export the source is (``--platform``; :mod:`crmkit.io.platforms`):
        a built-in name, a platform TOML file, ``"none"`` for a generic export, or ``None`` /
        ``"auto"`` to decide from the header.

    Examples
    --------
    >>> ReadOptions(delimiter="tab").delimiter
    '\\t'
    """

    columns: dict[str, str | None] = field(default_factory=dict)
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    dayfirst: bool | None = None
    decimal: str | None = None
    skip_bad_rows: bool = False
    date_range: Any = None
    table: str | None = None
    query: str | None = None
    engine: str | None = None
    spark_master: str | None = None
    platform: str | None = None

    def __post_init__(self) -> None:
        if self.engine is not None and self.engine not in ENGINES:
            raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if self.spark_master is not None:
            if self.engine not in (None, "spark"):
                raise UsageError(f"--spark-master is for --engine spark, not --engine {self.engine}")
            self.engine = "spark"
        if self.encoding is not None:
            check_encoding(self.encoding)
        self.date_range = DATE_RANGE if self.date_range is None else parse_date_range(self.date_range)
        if self.decimal not in (None, ".", ","):
            raise UsageError(f"--decimal must be . or , not {self.decimal!r}")
        if self.delimiter is not None:
            delimiter = {"\\t": "\t", "tab": "\t"}.get(self.delimiter, self.delimiter)
            if len(delimiter) != 1:
                raise UsageError(f"--delimiter must be one character, not {delimiter!r}")
            self.delimiter = delimiter
        self.columns = {role: header for role, header in self.columns.items() if header is not None}


#: Where the per-customer aggregation can run (:mod:`crmkit.pushdown`).
ENGINES = ("duckdb", "db", "spark")

#: Random seeds numpy and scikit-learn accept everywhere.
SEED_RANGE = (0, 2**32 - 1)


def check_seed(seed, name: str = "seed") -> int:
    """A random seed: a whole number in :data:`SEED_RANGE` (0 to 4294967295), as ``int``."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise UsageError(f"{name} must be a whole number from 0 to {SEED_RANGE[1]}, not {seed!r}")
    if not SEED_RANGE[0] <= int(seed) <= SEED_RANGE[1]:
        raise UsageError(f"{name} must be a whole number from 0 to {SEED_RANGE[1]}, not {int(seed)}")
    return int(seed)
