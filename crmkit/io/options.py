"""Values a caller hands the library, checked once: reading options, analysis dates, languages.

Every analysis takes its ``as_of`` through :func:`as_date` and its ``lang`` through
:func:`check_lang`, so a notebook user's ``"2024-03-01"`` or ``pd.Timestamp`` means the same
as the CLI's ``--as-of 2024-03-01``, and a bad value is a :class:`~crmkit.errors.UsageError`
naming the parameter, never an ``AttributeError`` from deep inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from crmkit.errors import UsageError

LANGS: tuple[str, ...] = ("en", "zh")
"""Languages a report can be written in."""


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


def as_date(value: Any, name: str = "as_of") -> date:
    """A calendar day from a ``date``, ``datetime``, pandas ``Timestamp``, numpy ``datetime64`` or ISO string.

    Parameters
    ----------
    value : date, datetime, pandas.Timestamp, numpy.datetime64 or str
        ``"2024-03-01"`` and ``"2024-03-01T12:00"`` are read as 1 March 2024; the time of day is
        dropped (every analysis counts whole days).
    name : str
        The parameter's name, for the message.

    Raises
    ------
    crmkit.errors.UsageError
        Anything else (``None``, ``NaT``, ``"yesterday"``, ``2024``), naming ``name``.

    Examples
    --------
    >>> as_date("2024-03-01")
    datetime.date(2024, 3, 1)
    >>> import pandas as pd
    >>> as_date(pd.Timestamp("2024-03-01 17:30"))
    datetime.date(2024, 3, 1)
    """
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
        return date.fromisoformat(str(value.astype("datetime64[D]")))
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
        f"{name} must be a date such as 2024-12-31 (a date, datetime, Timestamp or ISO string), not {value!r}"
    )


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

    def __post_init__(self) -> None:
        if self.decimal not in (None, ".", ","):
            raise UsageError(f"--decimal must be . or , not {self.decimal!r}")
        if self.delimiter is not None:
            delimiter = {"\\t": "\t", "tab": "\t"}.get(self.delimiter, self.delimiter)
            if len(delimiter) != 1:
                raise UsageError(f"--delimiter must be one character, not {delimiter!r}")
            self.delimiter = delimiter
        self.columns = {role: header for role, header in self.columns.items() if header is not None}
