"""The Data quality sheet: what the data layer did to the input (rows read, dropped, fixed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit.report.excel import FMT_COUNT, ReportWorkbook
from crmkit.report.i18n import message

if TYPE_CHECKING:
    from crmkit.io.quality import DataQuality

__all__ = ["add_data_quality_sheet"]


def add_data_quality_sheet(book: ReportWorkbook, quality: DataQuality) -> None:
    """Add the Data quality sheet: one row per fact :meth:`DataQuality.as_rows` reports.

    Parameters
    ----------
    book : ReportWorkbook
    quality : crmkit.io.quality.DataQuality
        What the read did (encoding, delimiter, rows dropped per reason, date range).
    """
    rows = [(key, _shown(key, value, book.lang)) for key, value in quality.as_rows()]
    # "dropped:missing_customer_id" ends like an identifier but counts rows
    formats = {key: FMT_COUNT for key, _ in rows if key.startswith("dropped:")}
    book.add_key_values("sheet:data_quality", rows, title="title:data_quality", number_formats=formats)


def _shown(key: str, value, lang: str):
    if key in ("note", "warning"):  # the reader's notes and warnings, in the workbook's language
        return message(value, lang)
    if key == "platform":  # the platform's name as its export is called, in the workbook's language
        from crmkit.errors import CrmkitError
        from crmkit.io.platforms import load

        try:
            platform = load(value)
        except CrmkitError:  # a user's platform file moved since the read: its name says enough
            return value
        return f"{platform.title_zh if lang == 'zh' else platform.title} ({value})"
    return _readable_delimiter(value) if key == "delimiter" else value


def _readable_delimiter(value):
    # a tab or other invisible delimiter would show as an empty-looking cell
    if isinstance(value, str) and value and not value.isprintable():
        return value.encode("unicode_escape").decode("ascii")
    return value
