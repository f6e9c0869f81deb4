"""How a value looks in a cell: number formats, value conversion, Excel dates, column widths.

Everything here is pure (no workbook, no openpyxl): it turns pandas columns and Python scalars
into what a cell holds (str, int, float, bool or None, dates as Excel serial numbers), picks
the number format a column gets by default, and measures how wide a column must be.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal
from typing import cast

import numpy as np
import pandas as pd

from crmkit.report.safety import neutralise_series, neutralise_text

__all__ = [
    "EXCEL_MAX_TEXT",
    "FMT_COUNT",
    "FMT_DATE",
    "FMT_DECIMAL",
    "FMT_GENERAL",
    "FMT_MONEY",
    "FMT_RATIO",
    "FMT_SHARE",
    "COLUMN_KINDS",
    "FMT_CODE",
    "FMT_INDEX",
    "FMT_PROBABILITY",
    "HEADER_WRAP_WIDTH",
    "KIND_FORMATS",
    "PRINT_MIN_SCALE",
    "TEXT_WRAP_WIDTH",
    "column_kind",
    "number_format_for",
    "print_pages_wide",
]

# Excel specifications and limits (Microsoft 365)
EXCEL_MAX_TEXT = 32_767
# XML 1.0 forbids these control characters; openpyxl refuses them (IllegalCharacterError)
_ILLEGAL_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# --- number formats ---------------------------------------------------------------------
FMT_DATE = "yyyy-mm-dd"
FMT_SHARE = "0.0%"
FMT_MONEY = "#,##0.00"
FMT_COUNT = "#,##0"
FMT_DECIMAL = "#,##0.00"
FMT_RATIO = "0.000"
FMT_GENERAL = "General"

FMT_INDEX = "0.0"
FMT_PROBABILITY = "0.00"
FMT_CODE = "0"

#: Each kind of number and the Excel format it is shown in.
KIND_FORMATS: dict[str, str] = {
    "count": FMT_COUNT,
    "money": FMT_MONEY,
    "share": FMT_SHARE,
    "index": FMT_INDEX,  # 0-100 scores and points on that scale
    "days": FMT_COUNT,
    "date": FMT_DATE,
    "probability": FMT_PROBABILITY,
    "ratio": FMT_RATIO,  # coefficients, loadings, Gini: three decimals read as a statistic
    "code": FMT_CODE,  # deciles, scores, cluster numbers: whole numbers without separators
    "decimal": FMT_DECIMAL,  # model quantities with no unit of their own
    "text": FMT_GENERAL,
}

#: What each known column or key holds, decided by name rather than dtype: SQLite hands integers
#: back as floats, and a first run's one-row trend has other dtypes than a twelfth's.
COLUMN_KINDS: dict[str, str] = {
    **dict.fromkeys(
        (
            "customers", "cohort_size", "cohorts", "count", "people", "respondents", "rows_read",
            "rows_used", "return_rows", "after_as_of", "returns_only", "iterations", "n_clusters",
            "occasions", "frequency", "referrals", "net_upgrades", "actual_total", "actual_cumulative",
            "total_actual", "orders", "complaints", "open_complaints", "complainers",
        ),
        "count",
    ),
    **dict.fromkeys(
        (
            "revenue", "monetary", "amount", "clv", "total_clv", "clv_total", "clv_mean", "mean_monetary",
            "avg_order_value", "gross_revenue", "returns", "return_amount", "returns_only_amount",
            "referral_value", "customer_value", "expected_spend",
        ),
        "money",
    ),
    **dict.fromkeys(
        (
            "share", "rate", "top20_share", "repeat_customer_rate", "mean_p_alive", "regular_or_above",
            "retention_1", "retention_3", "retention_6", "retention_12", "csat", "holdout_error",
            "discount_annual", "margin", "top_fraction", "threshold_a", "threshold_b",
        ),
        "share",
    ),
    **dict.fromkeys(
        ("index", "performance", "satisfaction_index", "satisfaction", "nps", "expectation_gap", "recommend"),
        "index",
    ),
    **dict.fromkeys(("recency_days", "tenure_days", "mean_gap_days", "mean_recency_days"), "days"),
    **dict.fromkeys(("p_alive", "p_alive_from", "p_alive_to", "p_alive_low", "p_alive_high"), "probability"),
    **dict.fromkeys(
        (
            "gini", "silhouette", "r_squared", "estimate", "ci_low", "ci_high", "alpha", "rho_a", "rho_c",
            "ave", "loading", "weight", "standardized_weight", "total_effect", "importance",
            "frequency_spend_correlation", "p_value", "retention_p", "spend_p",
        ),
        "ratio",
    ),
    **dict.fromkeys(
        ("decile", "clv_decile", "cluster", "bins", "header_row", "year", "week", "r_score", "f_score", "m_score"),
        "code",
    ),
    **dict.fromkeys(
        (
            "expected_purchases", "recency", "T", "log_likelihood", "aic", "bic", "expected_mean", "actual_mean",
            "expected_total", "expected_cumulative", "total_expected", "mean_frequency", "item_sd", "ces",
            "horizon_periods", "param", "se", "complaint_rate", "open_complaint_rate",
            "expected_purchases_low", "expected_purchases_high", "dert", "window_purchases",
            "next_purchase_median", "next_purchase_low", "next_purchase_high",
        ),
        "decimal",
    ),
    **dict.fromkeys(("month", "cohort", "period", "as_of"), "text"),
}  # fmt: skip

#: Key families (``family:name``) whose every member is of one kind.
_FAMILY_KINDS = {"dropped": "count", "param": "decimal", "se": "decimal", "column": "text"}
_SHARE_SUFFIXES = ("_share", "_rate", "_pct")
_CODE_SUFFIXES = ("_id", "_score", "_code", "_decile")
_DAYS_SUFFIXES = ("_days",)
_MONEY_WORDS = frozenset(
    {"revenue", "monetary", "amount", "value", "clv", "margin", "price", "spend", "profit", "cost", "sales", "returns"}
)


def _kind_of_dtype(dtype) -> str:
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_numeric_dtype(dtype):
        return "float"
    return "text"


def _kind_of_value(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (dt.date, np.datetime64)):  # datetime and Timestamp are dates too
        return "date"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating, Decimal)):
        return "float"
    return "text"


def column_kind(name: str) -> str | None:
    """What a column or key holds by its name (a key of :data:`KIND_FORMATS`), or None if the name says nothing.

    Exact names come from :data:`COLUMN_KINDS`; ``family:name`` keys by their family or their
    name; then name endings (``_share``, ``_days``, ``_id``) and money words.

    Examples
    --------
    >>> column_kind("top20_share"), column_kind("dropped:missing_date"), column_kind("clv_decile")
    ('share', 'count', 'code')
    """
    key = str(name)
    family, _, base = key.rpartition(":")
    if family in _FAMILY_KINDS:
        return _FAMILY_KINDS[family]
    for candidate in (key, base, base.lower()):
        if candidate in COLUMN_KINDS:
            return COLUMN_KINDS[candidate]
    base = base.lower()
    if base.endswith(_SHARE_SUFFIXES):
        return "share"
    if base.endswith(_DAYS_SUFFIXES):
        return "days"
    if base.endswith(_CODE_SUFFIXES) or base == "id":
        return "code"
    if _MONEY_WORDS & set(base.split("_")):
        return "money"
    return None


def number_format_for(name: str, kind_or_values) -> str:
    """The Excel number format a column or a key/value row gets by default.

    A number is formatted by what it is, looked up by its name (:func:`column_kind`) in
    :data:`KIND_FORMATS`; the dtype decides only for dates, text, booleans and names the
    table does not know:

    ============  ===============  ========================================================
    kind          format           examples
    ============  ===============  ========================================================
    count         ``#,##0``        customers, frequency, people, net_upgrades
    money         ``#,##0.00``     revenue, clv, monetary, avg_order_value
    share         ``0.0%``         ``*_share``, ``*_rate``, retention_1, regular_or_above
    index         ``0.0``          index, performance, satisfaction_index, nps
    days          ``#,##0``        recency_days, tenure_days, mean_gap_days
    probability   ``0.00``         p_alive, p_alive_from
    ratio         ``0.000``        gini, silhouette, loading, estimate, r_squared
    code          ``0``            clv_decile, cluster, r_score, bins, week (``General``
                                   for integers, which Excel shows as they are)
    decimal       ``#,##0.00``     expected_purchases, param:r, log_likelihood
    date          ``yyyy-mm-dd``   any date value
    text          ``General``      text and booleans; ``*_id`` text
    ============  ===============  ========================================================

    An unknown name falls back on its dtype: integers as counts, other numbers as decimals.
    Pass ``number_formats={column: code}`` to :meth:`ReportWorkbook.add_table` for anything
    these rules get wrong.

    Parameters
    ----------
    name : str
        Column name or row key.
    kind_or_values : pandas.Series, dtype, scalar or str
        The values (their dtype decides), or one of ``"date", "bool", "int", "float", "text"``.

    Returns
    -------
    str
        An Excel number-format code.

    Examples
    --------
    >>> number_format_for("revenue_share", "float"), number_format_for("monetary", "float")
    ('0.0%', '#,##0.00')
    >>> number_format_for("customers", "float"), number_format_for("r_score", "float")
    ('#,##0', '0')
    """
    if isinstance(kind_or_values, str) and kind_or_values in ("date", "bool", "int", "float", "text"):
        kind = kind_or_values
    elif isinstance(kind_or_values, pd.Series):
        kind = _kind_of_dtype(kind_or_values.dtype)
    elif isinstance(kind_or_values, (np.dtype, pd.api.extensions.ExtensionDtype)):
        kind = _kind_of_dtype(kind_or_values)
    else:
        kind = _kind_of_value(kind_or_values)
    if kind == "date":
        return FMT_DATE
    if kind in ("text", "bool"):
        return FMT_GENERAL
    by_name = column_kind(name)
    if by_name == "code" and kind == "int":
        # Excel shows a whole number as it is; "0" serves codes held as floats (5.0 -> 5)
        return FMT_GENERAL
    if by_name is not None and by_name not in ("text", "date"):
        return KIND_FORMATS[by_name]
    return FMT_COUNT if kind == "int" else FMT_DECIMAL


# --- value conversion ---------------------------------------------------------------------
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _excel_serial(days: pd.Series) -> pd.Series:
    # Excel counts 1900-02-29, which never existed: serials before 1900-03-01 are one less
    # (openpyxl.utils.datetime.to_excel applies the same correction)
    return days.where(days >= 61, days - 1)


def _dates_to_serial(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        # Excel has no time zones: show the local wall-clock time that was recorded
        series = series.dt.tz_localize(None)
    return _excel_serial((series - _EXCEL_EPOCH) / pd.Timedelta(days=1))


def _scalar_date_serial(value) -> float | None:
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):  # pd.Timestamp(None or NaN) is NaT, though pandas-stubs type it as Timestamp
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    days = (stamp - _EXCEL_EPOCH) / pd.Timedelta(days=1)
    return days if days >= 61 else days - 1


def _clean_text(text: str) -> str:
    text = _ILLEGAL_XML_CHARS.sub("", text)
    if len(text) > EXCEL_MAX_TEXT:
        text = text[:EXCEL_MAX_TEXT]
    return neutralise_text(text)


def _excel_scalar(value) -> object:
    """One Python value ready for a cell: str, int, float, bool or None (dates as serials)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    kind = _kind_of_value(value)
    if kind == "bool":
        return bool(value)
    if kind == "date":
        return _scalar_date_serial(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return _clean_text(", ".join(str(item) for item in value))
    return _clean_text(str(value))


def _clean_text_series(series: pd.Series) -> pd.Series:
    """Remove XML-illegal characters and cut text at Excel's cell limit, on the rows needing it."""
    try:
        illegal = series.str.contains(_ILLEGAL_XML_CHARS, regex=True, na=False)
        too_long = series.str.len() > EXCEL_MAX_TEXT
    except AttributeError:
        return series
    illegal = illegal.fillna(False).astype(bool)
    too_long = too_long.fillna(False).astype(bool)
    if illegal.any() or too_long.any():
        series = series.copy()
        if illegal.any():
            series[illegal] = series[illegal].str.replace(_ILLEGAL_XML_CHARS, "", regex=True)
        if too_long.any():
            series[too_long] = series[too_long].str.slice(0, EXCEL_MAX_TEXT)
    return series


def _prepare_column(name: str, series: pd.Series) -> tuple[pd.Series, str]:
    """A column in cell-ready form (dates as serial numbers, safe text) and its value kind."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    kind = _kind_of_dtype(series.dtype)
    if kind == "date":
        return _dates_to_serial(series), kind
    if pd.api.types.is_timedelta64_dtype(series.dtype):
        # the dtype check narrows the values, which the stubs cannot follow
        return cast("pd.Series[pd.Timedelta]", series) / pd.Timedelta(days=1), "float"
    if kind == "text":
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred in ("date", "datetime", "datetime64"):
            # a column of datetime.date objects (pandas keeps them as object)
            try:
                return _dates_to_serial(pd.to_datetime(series)), "date"
            except (TypeError, ValueError, OverflowError):
                pass
        elif inferred in ("integer", "floating", "mixed-integer-float") and not str(name).lower().endswith("_id"):
            # numbers held as objects (a one-row trend built from a dict with None in it): as numbers,
            # so that they get their number format
            numbers = pd.to_numeric(series, errors="coerce")
            if numbers.dtype.kind in "iuf":
                return numbers, _kind_of_dtype(numbers.dtype)
        elif inferred not in ("string", "empty", "categorical"):
            # a mixed column: one number format cannot suit dates, numbers and text at once,
            # so dates become ISO text (a rare case, worth a Python loop)
            series = series.map(_date_as_text)
        return neutralise_series(_clean_text_series(series)), kind
    if kind == "int" and str(name).lower().endswith("_id"):
        # Excel keeps 15 significant digits: a 16-digit card or member number would come
        # back altered, so such an id column is written as text
        values = series.dropna()
        if len(values) and values.abs().max() >= 10**15:
            return neutralise_series(series.astype(str).where(series.notna(), None)), "text"
    return series, kind


def _date_as_text(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _python_values(series: pd.Series) -> list:
    """Plain Python values of a prepared column, missing and non-finite values as None."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return series.tolist()
    if dtype.kind == "f":
        values = series.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(values)
        if not bad.any():
            return values.tolist()
        out = values.astype(object)
        out[bad] = None
        return out.tolist()
    objects = series.astype(object)
    return objects.where(series.notna(), None).tolist()


# --- column widths ---------------------------------------------------------------------
def _display_width(text: str) -> float:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


HEADER_WRAP_WIDTH = 14
"""A table header wider than this many characters wraps onto more lines instead of widening its column."""
TEXT_WRAP_WIDTH = 40
"""Text columns with longer values (notes, suggested actions) wrap at this width."""
KEY_VALUE_WRAP = 58
"""A key/value block's text wraps beyond this width (a reader's note): columns are at most 60 wide."""


def _column_width(header: str, series: pd.Series, kind: str, fmt: str) -> float:
    """Characters needed to show a column: the widest of its values and its header (which wraps
    beyond :data:`HEADER_WRAP_WIDTH`; the width of a long text column is capped by the caller)."""
    # +3: room for the autofilter's drop-down button
    width = min(_display_width(header), HEADER_WRAP_WIDTH) + 3
    if len(series) == 0:
        return width
    data: float
    if kind == "date" or fmt == FMT_DATE:
        data = 10
    elif fmt == FMT_SHARE:
        data = 7
    elif kind in ("int", "float"):
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            data = 1
        else:
            biggest = float(np.max(np.abs(finite)))
            negative = bool((finite < 0).any())
            if fmt in (FMT_MONEY, FMT_DECIMAL):
                data = len(f"{biggest:,.2f}")
            elif fmt == FMT_COUNT:
                data = len(f"{biggest:,.0f}")
            elif fmt == FMT_RATIO:
                data = len(f"{biggest:.3f}")
            else:
                data = min(len(f"{biggest:.10g}"), 12)
            data += negative
    else:
        try:
            chars = series.str.len()
            # CJK characters take 3 UTF-8 bytes and two columns: +1 column per extra 2 bytes
            # (pandas-stubs give .str.len() to str values only; it counts bytes as well)
            extra = (series.str.encode("utf-8").str.len() - chars) / 2  # type: ignore[misc]
            data = float((chars + extra).max())
        except (AttributeError, TypeError):
            data = float(series.astype(str).str.len().max())
        if not math.isfinite(data):
            data = 1
    return max(width, data + 2)


def _shown_width(text: str) -> int:
    # CJK characters take 3 UTF-8 bytes and two columns: cheaper than _display_width per character
    return len(text) + (len(text.encode("utf-8")) - len(text)) // 2


def _word_wrapped_lines(text: str, per_line: float) -> int:
    """Lines ``text`` takes when wrapped as a spreadsheet does: at spaces, a word that does not fit
    moves to the next line whole; CJK runs (no spaces) and words longer than a line break anywhere."""
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split():
            width = _shown_width(word)
            gap = 1 if used else 0
            if used + gap + width <= per_line:
                used += gap + width
                continue
            if width > len(word):  # CJK: breaks between any two characters, filling this line first
                total = used + gap + width
                more = math.ceil(total / per_line) - 1
                lines += more
                used = total - more * per_line
            elif width > per_line:  # a word longer than a line starts a new one, then breaks
                more = math.ceil(width / per_line) - 1
                lines += more + (1 if used else 0)
                used = width - more * per_line
            else:
                lines += 1
                used = width
    return lines


def _wrap_lines(texts: pd.Series, widths, *, plain: bool = False) -> np.ndarray:
    """Lines each text takes wrapped in a column ``widths`` characters wide (one width or one per
    text); LibreOffice does not fit row heights itself.

    Texts wider than a line are wrapped word by word (:func:`_word_wrapped_lines`): dividing the
    characters by the width undercounts when words break early ("Mean days between purchases" is
    three lines in a 17-wide column, not two). A line holds the width less 3: room for a header's
    filter button and its bold letters. ``plain`` text (a data cell: regular weight, no button)
    holds 10 % more than the width less 2, as the letters of prose are narrower than the digit
    a column's width is counted in.
    """
    texts = texts.fillna("").astype(str)
    chars = texts.str.len()
    extra = (texts.str.encode("utf-8").str.len() - chars) // 2  # type: ignore[misc]
    shown = (chars + extra).to_numpy(dtype=float)
    width = np.asarray(widths, dtype=float)
    per_line = np.broadcast_to(np.maximum(1.1 * (width - 2) if plain else width - 3, 4), shown.shape)
    lines = np.ones(len(texts), dtype=int)
    # only what is wider than a line can take more than one; each distinct text and width once
    long = np.flatnonzero((shown > per_line) | texts.str.contains("\n", regex=False).to_numpy())
    values = texts.to_numpy(dtype=object)
    keys = {(values[i], float(per_line[i])) for i in long}
    if len(keys) > _WORD_WRAP_LIMIT:
        # a column of 100,000 distinct notes: word by word would take a second; a line loses
        # about half a word (3 characters) to the break on average
        estimate = np.ceil(shown[long] / np.maximum(per_line[long] - 3, 4))
        lines[long] = estimate.astype(int)
    else:
        wrapped = {key: _word_wrapped_lines(*key) for key in keys}
        for i in long:
            lines[i] = wrapped[(values[i], float(per_line[i]))]
    return np.clip(lines, 1, 12)


_WORD_WRAP_LIMIT = 5000
"""Distinct long texts :func:`_wrap_lines` wraps word by word (a header row, a column of suggested
actions); a column with more is estimated from its length."""


def _value_width(value, fmt: str) -> float:
    if value is None:
        return 0
    if fmt == FMT_DATE:
        return 10
    if fmt == FMT_SHARE:
        return 7
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if fmt in (FMT_MONEY, FMT_DECIMAL):
            return len(f"{value:,.2f}")
        if fmt == FMT_COUNT:
            return len(f"{value:,.0f}")
        # the other formats show at most three decimals: the float's 17 digits would overstate
        return len(f"{value:,.3f}") if isinstance(value, float) else len(str(value))
    return min(_display_width(str(value)), 80)


# --- printing ------------------------------------------------------------------------------
PRINT_MIN_SCALE = 0.6
"""The smallest print scale that reads on A4 or Letter (11 pt shrinks to about 6.5 pt): a list too
wide for one page at this scale prints over several pages wide instead."""
# the printable width of a landscape page with 0.75 in side margins, in pixels at 96 dpi: that of
# Letter (11 in), narrower than A4, so that the scale holds on both
PRINT_PAGE_PIXELS = (11 - 2 * 0.75) * 96


def _pages_at(pixels: list[float], repeat: int, scale: float) -> tuple[int, bool]:
    """Pages wide that columns of ``pixels`` take at ``scale``, the first ``repeat`` on every page
    (a column is never split: one that does not fit starts the next page), and whether every page
    holds its columns (a column wider than a page does not fit on any)."""
    room = PRINT_PAGE_PIXELS / scale - sum(pixels[:repeat])
    pages, used, fits = 1, 0.0, room > 0
    for width in pixels[repeat:]:
        if used and used + width > room:
            pages, used = pages + 1, 0.0
        used += width
        fits = fits and used <= room
    return pages, fits


def print_pages_wide(widths, repeat: int = 1, min_scale: float = PRINT_MIN_SCALE) -> tuple[int, float]:
    """How many landscape pages wide columns print on to be readable, and at what scale.

    Parameters
    ----------
    widths : sequence of float
        Column widths in characters of the default font (a column is ``7 w + 5`` pixels).
    repeat : int
        The first ``repeat`` columns print on every page (print title columns).
    min_scale : float
        The smallest scale allowed, as a fraction.

    Returns
    -------
    (int, float)
        The fewest pages wide that print at ``min_scale`` or more, and the largest scale (in whole
        per cent, at most 1, as Excel and LibreOffice choose it) at which the columns fit on them.

    Examples
    --------
    >>> print_pages_wide([14] + [17] * 10)  # 11 columns: one page at 67 %
    (1, 0.67)
    >>> print_pages_wide([14] + [17] * 20)  # 21 columns: two pages, the first column on both
    (2, 0.67)
    """
    pixels = [float(w) * 7 + 5 for w in widths]
    pages = _pages_at(pixels, repeat, min_scale)[0]

    def fits(percent: int) -> bool:
        wide, held = _pages_at(pixels, repeat, percent / 100)
        return wide <= pages and held

    percent = next((p for p in range(100, 9, -1) if fits(p)), 10)
    return pages, percent / 100
