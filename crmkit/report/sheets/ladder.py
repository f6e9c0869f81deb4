"""The loyalty-ladder sheets: Ladder (distribution and lifecycle stages), Migration and Ladder people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit.report.excel import ReportWorkbook
from crmkit.report.sheets._layout import _bar_chart_beside

if TYPE_CHECKING:
    import pandas as pd

    from crmkit.ladder import LadderResult

__all__ = ["add_ladder_sheets"]


def add_ladder_sheets(book: ReportWorkbook, before: LadderResult, after: LadderResult, matrix: pd.DataFrame) -> None:
    """Add the Ladder (distribution with a bar chart, lifecycle stages), Migration (matrix and
    movement summary) and Ladder people sheets.

    Parameters
    ----------
    book : ReportWorkbook
    before : crmkit.ladder.LadderResult
        The ladder a month earlier; the migration matrix already holds what the sheets need
        from it.
    after : crmkit.ladder.LadderResult
        The ladder at the analysis date: its distribution, stages and people are shown.
    matrix : pandas.DataFrame
        People moving from each rung (index) to each rung (columns) between the two dates.
    """
    from crmkit.ladder import migration_summary

    sheet = "sheet:ladder"
    dist = after.distribution
    span = book.add_table(sheet, dist, title="title:ladder")
    _bar_chart_beside(
        book, sheet, span, dist, "count", "rung_label", title="chart:ladder", y_title="axis:customers", horizontal=True
    )
    book.add_table(
        sheet, after.stages, title="title:lifecycle", start_row=span.last_row + 3, freeze_header=False, autofilter=False
    )
    grid = matrix.rename_axis("from_rung").reset_index()
    grid.columns = [str(c) for c in grid.columns]
    span = book.add_table("sheet:migration", grid, title="title:migration", freeze_header=False, autofilter=False)
    book.add_table(
        "sheet:migration", migration_summary(matrix), start_row=span.last_row + 3, freeze_header=False, autofilter=False
    )
    book.add_long_table("sheet:ladder_people", after.people)
