"""The loyalty-ladder sheets: Ladder (distribution and lifecycle stages), Migration and Ladder people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit.report.excel import ReportWorkbook
from crmkit.report.i18n import sentence, translate_values
from crmkit.report.sheets._layout import CustomerPolicy, _bar_chart_beside, _customer_table, _without_codes

if TYPE_CHECKING:
    import pandas as pd

    from crmkit.ladder import LadderResult

__all__ = ["add_ladder_sheets"]


def add_ladder_sheets(
    book: ReportWorkbook,
    before: LadderResult,
    after: LadderResult,
    matrix: pd.DataFrame,
    *,
    customers: str | CustomerPolicy | None = None,
) -> None:
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
    customers : {"all", "top:N", "none"}, optional
        Rows of the Ladder people sheet (default ``top:100000``: the top rungs first, then the
        most purchase occasions, with a note).
    """
    from crmkit.ladder import migration_summary

    sheet = "sheet:ladder"
    dist = after.distribution
    # top rung first, as a ladder stands: horizontal bars follow the table's order, Advocate on top
    shown = _without_codes(dist.iloc[::-1].reset_index(drop=True))
    span = book.add_table(sheet, shown, title="title:ladder")
    _bar_chart_beside(
        book, sheet, span, shown, "count", "rung_label", title="chart:ladder", y_title="axis:people", horizontal=True
    )
    book.add_table(
        sheet,
        _without_codes(after.stages),
        title="title:lifecycle",
        start_row=span.last_row + 3,
        freeze_header=False,
        autofilter=False,
    )
    grid = matrix.rename_axis("from_rung").reset_index()
    grid.columns = [str(c) for c in grid.columns]
    # rows and columns are rung keys (plus new / left): shown by the rungs' own labels
    names = {key: book.label(f"rung:{key}") for key in ("new", "left")}
    names.update(zip(dist["rung"].astype(str), dist["rung_label"].astype(str)))
    grid["from_rung"] = grid["from_rung"].astype(str).map(lambda key: names.get(key, key))
    dates = {"before": before.as_of.isoformat(), "after": after.as_of.isoformat()}
    span = book.add_table(
        "sheet:migration",
        grid,
        title=sentence("title:migration", book.lang, **dates),
        labels={column: names[column] for column in grid.columns if column in names},
        freeze_header=False,
        autofilter=False,
    )
    summary = translate_values(migration_summary(matrix), {"movement": "movement"}, book.lang)
    book.add_table("sheet:migration", summary, start_row=span.last_row + 3, freeze_header=False, autofilter=False)
    # the people's frequency counts repeat occasions (occasions - 1), as in the CLV sheets
    people = translate_values(
        after.people.rename(columns={"frequency": "clv:frequency"}), {"basis": "basis"}, book.lang
    )
    # the sentences last: a long reason (up to ~230 characters) then runs on into the empty cells to
    # its right on screen instead of being cut at the next column's edge, and the numbers come first
    prose = [column for column in ("next_action", "reason") if column in people.columns]
    people = people[[c for c in people.columns if c not in prose] + prose]
    _customer_table(book, "sheet:ladder_people", people, customers)
