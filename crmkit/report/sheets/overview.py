"""The Overview sheet of the monthly report: the as-of month's figures, the state at the as-of
date, the ladder's shares, a 12-month trend table and trend line charts.

The monthly job (:mod:`crmkit.monthly`) reads the history and assembles the trend; this module
only lays out what it is given, so the report layer never reads the history itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from crmkit.report.excel import ReportWorkbook, cell_name, number_format_for
from crmkit.report.i18n import sentence
from crmkit.report.sheets._layout import _CHART_GAP

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["add_overview_sheet"]

_MONTH_KEYS = ("month_revenue", "active_customers", "new_customers")
"""Headline keys of the as-of month alone (its first day to the as-of date): the first block."""

_SHOWN_AS = {"customers": "customers_to_date", "revenue": "revenue_to_date"}
"""Headline and history keys shown under another label: the segment's customers and revenue count
every purchase since the data starts, and "Customers" beside the month's figures would read as the month's."""

_NOT_TRENDED = ("revenue",)
"""Left out of the trend table: revenue to date only climbs, and read month by month it looks like sales."""

_HEADLINE_FORMATS = {
    "month_revenue": "#,##0.00",
    "revenue_to_date": "#,##0.00",
    "active_customers": "#,##0",
    "new_customers": "#,##0",
    "customers_to_date": "#,##0",
    "ladder_people": "#,##0",
    "top20_share": "0.0%",
    "repeat_customer_rate": "0.0%",
    "retention_1": "0.0%",
    "regular_or_above": "0.0%",
    "mean_p_alive": "0.0%",
    "gini": "0.000",
    "nps": "0.0",
    "satisfaction_index": "0.0",
    "net_upgrades": "#,##0",
}

_TREND_CHARTS = (
    ("month_revenue", "chart:trend_revenue"),
    ("total_clv", "chart:trend_clv"),
    ("repeat_customer_rate", "chart:trend_loyalty"),
    ("satisfaction_index", "chart:trend_satisfaction"),
)
"""Trend columns drawn as line charts (in a 2 x 2 grid beside the key values), with their chart titles."""

# The sheet prints on one landscape page: the key values with the four trend charts beside them,
# the 12-month table below. A 6 cm chart covers about 11 rows of Excel's default height (0.53 cm):
# 12 leaves a gap before the next.
_CHART_WIDTH, _CHART_HEIGHT = 12.0, 6.0
_CHART_ROWS = 12


def _trended(trend: pd.DataFrame) -> list[str]:
    """The trend table's measures, in the trend's column order."""
    return [column for column in trend.columns if column not in ("month", *_NOT_TRENDED)]


def _transposed(book: ReportWorkbook, trend: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The trend as one row per measure (its label first) and one column per month, oldest first,
    with each row's number format: twelve months of fourteen measures then fit a landscape page
    at a readable scale, where fourteen columns of long headers did not."""
    import pandas as pd

    recent = trend.tail(12)
    measures = _trended(recent)
    table = pd.DataFrame({"month": [book.label(_SHOWN_AS.get(measure, measure)) for measure in measures]})
    formats = []
    for measure in measures:
        shown = _SHOWN_AS.get(measure, measure)
        numbers = pd.to_numeric(recent[measure], errors="coerce")
        formats.append(_HEADLINE_FORMATS.get(shown) or number_format_for(shown, numbers))
    for position, month in enumerate(recent["month"].astype(str)):
        values = [recent[measure].iloc[position] for measure in measures]
        table[month] = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype(float)
    return table, formats


def add_overview_sheet(
    book: ReportWorkbook,
    as_of: dt.date,
    headline: Mapping[str, object],
    distribution: pd.DataFrame,
    trend: pd.DataFrame,
    notes: Sequence[str] = (),
) -> None:
    """Add the Overview sheet: key values, the trend table and a line chart per trend series.

    Parameters
    ----------
    book : ReportWorkbook
        Usually still empty: the Overview is meant to be the first sheet.
    as_of : datetime.date
        The analysis date, shown first.
    headline : mapping
        Headline numbers by key, in the order they are shown; ``None`` values are left out. The
        as-of month's own (``month_revenue``, ``active_customers``, ``new_customers``) come first
        under the month's title; the rest (``customers`` and ``revenue`` to date, ``total_clv``,
        ``nps``, ...) under "Up to the as-of date".
    distribution : pandas.DataFrame
        The ladder distribution (:attr:`crmkit.ladder.LadderResult.distribution`), bottom rung
        first, with ``rung_label``, ``count`` and ``share``; shown top rung first, under a title
        naming its base (everyone on the ladder).
    trend : pandas.DataFrame
        One row per month, oldest first: ``month`` (``YYYY-MM``) and the history columns,
        ``month_revenue``, ``total_clv``, ``repeat_customer_rate`` and ``satisfaction_index`` among
        them (``revenue`` to date is not shown). A series with no value in any month gets no chart;
        a month without a value (an older history's) shows empty.
    notes : sequence of str
        Warnings the reader must see first (a stale as-of date, months without purchases), one
        bold line each at the top of the sheet, in the workbook's language.

    Examples
    --------
    >>> import datetime, pandas as pd
    >>> book = ReportWorkbook("en")
    >>> trend = pd.DataFrame({"month": ["2024-05", "2024-06"], "month_revenue": [900.0, 1000.0],
    ...                       "total_clv": [None, None], "repeat_customer_rate": [0.4, 0.5],
    ...                       "satisfaction_index": [None, None]})
    >>> distribution = pd.DataFrame({"rung_label": ["Prospect", "Customer"], "count": [3, 7], "share": [0.3, 0.7]})
    >>> add_overview_sheet(book, datetime.date(2024, 6, 30), {"month_revenue": 1000.0}, distribution, trend)
    >>> book.sheet_titles
    ['Overview']
    """
    sheet = "sheet:overview"
    shown = [(_SHOWN_AS.get(key, key), value) for key, value in headline.items() if value is not None]
    month_rows = [("as_of", as_of)] + [(key, value) for key, value in shown if key in _MONTH_KEYS]
    state_rows = [(key, value) for key, value in shown if key not in _MONTH_KEYS]
    # the ladder distribution, top rung first, as the loyalty part of the overview
    top_first = distribution.iloc[::-1]
    rung_rows = [("ladder_people", int(distribution["count"].sum()))]
    rung_rows += list(zip(top_first["rung_label"], top_first["share"]))
    formats = {**_HEADLINE_FORMATS, **dict.fromkeys(distribution["rung_label"], "0.0%")}
    top = 1
    for note in notes:  # a title-only block: a long line spills right instead of widening column A
        top = book.add_key_values(sheet, [], title=f"{book.label('warning')}: {note}", start_row=top).last_row + 1
    month_title = sentence(
        "title:overview_month", book.lang, start=as_of.replace(day=1).isoformat(), end=as_of.isoformat()
    )
    span = book.add_key_values(sheet, month_rows, title=month_title, number_formats=formats, start_row=top)
    span = book.add_key_values(
        sheet, state_rows, title="title:overview", number_formats=formats, start_row=span.last_row + 2
    )
    overview = book.add_key_values(
        sheet, rung_rows, title="title:overview_ladder", number_formats=formats, start_row=span.last_row + 2
    )
    charts = [(series, title) for series, title in _TREND_CHARTS if trend[series].notna().any()]
    grid_rows = _CHART_ROWS * ((len(charts) + 1) // 2)
    table, row_formats = _transposed(book, trend)
    span = book.add_table(
        sheet,
        table,
        row_formats=row_formats,
        title="title:trend",
        start_row=max(overview.last_row, top + grid_rows) + 2,
        freeze_header=False,
        autofilter=False,
    )
    measures = _trended(trend)
    # placed once the table's columns have their widths: the charts stand on those columns
    chart_cols = book.chart_columns(sheet, overview.last_col + _CHART_GAP, [_CHART_WIDTH, _CHART_WIDTH])
    for n, (series, title) in enumerate(charts):
        row = span.first_row + 1 + measures.index(series)
        book.add_line_chart(
            sheet,
            # a measure's row, its label the series name; the month headers are the categories
            data_ref=(span.first_col, row, span.last_col, row),
            categories_ref=(span.first_col + 1, span.first_row, span.last_col, span.first_row),
            from_rows=True,
            anchor=cell_name(top + _CHART_ROWS * (n // 2), chart_cols[n % 2]),
            title=title,
            width=_CHART_WIDTH,
            height=_CHART_HEIGHT,
            # from zero, as every other chart of the report: a drift of 2 % must not look like a fall
            value_range=(0, None),
        )
    # one page in the usual case; a long list of key values may take a second
    book.set_print(sheet, landscape=True, pages_tall=2)
