"""The Overview sheet of the monthly report: this month's key values, a 12-month trend table and
trend line charts.

The monthly job (:mod:`crmkit.monthly`) reads the history and assembles the trend; this module
only lays out what it is given, so the report layer never reads the history itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

from crmkit.report.excel import ReportWorkbook, cell_name, column_ref
from crmkit.report.sheets._layout import _CHART_GAP

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["add_overview_sheet"]

_HEADLINE_FORMATS = {
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
    ("revenue", "chart:trend_revenue"),
    ("total_clv", "chart:trend_clv"),
    ("repeat_customer_rate", "chart:trend_loyalty"),
    ("satisfaction_index", "chart:trend_satisfaction"),
)
"""Trend columns drawn as line charts (stacked below each other), with their chart titles."""

# an 8 cm chart covers about 15 rows of Excel's default height: 18 leaves a gap before the next
_CHART_ROWS = 18


def add_overview_sheet(
    book: ReportWorkbook,
    as_of: dt.date,
    headline: Mapping[str, object],
    distribution: pd.DataFrame,
    trend: pd.DataFrame,
) -> None:
    """Add the Overview sheet: key values, the trend table and a line chart per trend series.

    Parameters
    ----------
    book : ReportWorkbook
        Usually still empty: the Overview is meant to be the first sheet.
    as_of : datetime.date
        The analysis date, shown first.
    headline : mapping
        Headline numbers by key (``customers``, ``revenue``, ``total_clv``, ``nps``, ...), in the
        order they are shown; ``None`` values are left out.
    distribution : pandas.DataFrame
        The ladder distribution (:attr:`crmkit.ladder.LadderResult.distribution`), bottom rung
        first, with at least ``rung_label`` and ``share``; shown top rung first.
    trend : pandas.DataFrame
        One row per month, oldest first: ``month`` (``YYYY-MM``) and the history columns,
        ``revenue``, ``total_clv``, ``repeat_customer_rate`` and ``satisfaction_index`` among them.
        A series with no value in any month gets no chart.

    Examples
    --------
    >>> import datetime, pandas as pd
    >>> book = ReportWorkbook("en")
    >>> trend = pd.DataFrame({"month": ["2024-05", "2024-06"], "revenue": [900.0, 1000.0],
    ...                       "total_clv": [None, None], "repeat_customer_rate": [0.4, 0.5],
    ...                       "satisfaction_index": [None, None]})
    >>> distribution = pd.DataFrame({"rung_label": ["Prospect", "Customer"], "share": [0.3, 0.7]})
    >>> add_overview_sheet(book, datetime.date(2024, 6, 30), {"revenue": 1000.0}, distribution, trend)
    >>> book.sheet_titles
    ['Overview']
    """
    sheet = "sheet:overview"
    rows = [("as_of", as_of)] + [(key, value) for key, value in headline.items() if value is not None]
    # the ladder distribution, top rung first, as the loyalty part of the overview
    top_first = distribution.iloc[::-1]
    rows += list(zip(top_first["rung_label"], top_first["share"]))
    formats = {**_HEADLINE_FORMATS, **dict.fromkeys(distribution["rung_label"], "0.0%")}
    overview = book.add_key_values(sheet, rows, title="title:overview", number_formats=formats)
    span = book.add_table(
        sheet, trend, title="title:trend", start_row=overview.last_row + 3, freeze_header=False, autofilter=False
    )
    columns = list(trend.columns)
    anchor_col = max(overview.last_col, span.last_col) + _CHART_GAP
    for n, (series, title) in enumerate(_TREND_CHARTS):
        if trend[series].notna().any():
            book.add_line_chart(
                sheet,
                data_ref=column_ref(span, columns, series),
                categories_ref=column_ref(span, columns, "month", header=False),
                anchor=cell_name(1 + _CHART_ROWS * n, anchor_col),
                title=title,
            )
