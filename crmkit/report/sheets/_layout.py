"""Where blocks and charts go on a sheet, shared by every analysis' sheets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit.report.excel import ReportWorkbook, Span, cell_name, column_ref

if TYPE_CHECKING:
    import pandas as pd

_CHART_GAP = 2  # empty columns between a table and the charts beside it


def _anchor_right_of(span: Span, row: int = 1) -> str:
    return cell_name(row, span.last_col + _CHART_GAP)


def _bar_chart_beside(
    book: ReportWorkbook, sheet: str, span: Span, table: pd.DataFrame, value: str, category: str, **chart_options
) -> None:
    """A bar chart of ``table[value]`` by ``table[category]`` right of the table at ``span``.

    An empty table gets no chart: its category range would end a row above where it starts.
    """
    if len(table):
        columns = list(table.columns)
        book.add_bar_chart(
            sheet,
            data_ref=column_ref(span, columns, value),
            categories_ref=column_ref(span, columns, category, header=False),
            anchor=_anchor_right_of(span),
            **chart_options,
        )
