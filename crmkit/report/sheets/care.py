"""The Care calendar sheet: the birthdays and anniversaries coming up, with who each customer is.

What :func:`crmkit.care.care_calendar` found, for the team sending the greetings: the window and
how many occasions of each kind fall in it, a chart of the occasions per week by kind, and the
occasions in the calendar's order (date, customer, kind) with each customer's rung, segment,
revenue, last purchase and the suggested action. The sheet prints landscape, one page wide, the
action wrapped in its column.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pandas as pd

from crmkit.report.excel import ReportWorkbook, cell_name
from crmkit.report.i18n import LABELS, label, sentence
from crmkit.report.sheets._layout import _CHART_GAP, CustomerPolicy, customer_policy
from crmkit.report.sheets.preferences import note_lines, note_texts

if TYPE_CHECKING:
    from crmkit.care import CareCalendar

__all__ = ["add_care_sheets"]

_SHEET = "sheet:care"
# The occasions table's columns in this order, with their headers.
_COLUMNS = {
    "date": "care:date",
    "customer_id": "customer_id",
    "kind_label": "care:kind",
    "years": "care:years",
    "rung_label": "rung_label",
    "segment_label": "segment_label",
    "revenue": "revenue",
    "last_purchase": "last_purchase",
    "action_label": "care:action",
}
_FORMATS = {"date": "yyyy-mm-dd", "last_purchase": "yyyy-mm-dd", "years": "0", "revenue": "#,##0.00"}
_CHART_WIDTH = 14.0


def add_care_sheets(book: ReportWorkbook, care: CareCalendar, *, customers: str | CustomerPolicy | None = None) -> None:
    """Add the Care calendar sheet of a care calendar.

    Parameters
    ----------
    book : ReportWorkbook
        Workbook being assembled; its ``lang`` decides every label (occasion kinds and actions are
        shown in it; rung and segment names are those of ``care.lang``).
    care : crmkit.care.CareCalendar
        Output of :func:`crmkit.care.care_calendar`.
    customers : {"all", "top:N", "none"}, optional
        Rows of the occasions table (:func:`~crmkit.report.sheets._layout.customer_policy`): all of
        them, the first N (the soonest) with a note saying how many were left out, or none (the
        headline and the weekly counts stay). Default ``top:100000``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.care import care_calendar
    >>> sales = pd.DataFrame({"customer_id": ["a", "b"], "amount": [10.0, 20.0],
    ...                       "date": ["2023-03-05", "2024-02-20"]})
    >>> members = pd.DataFrame({"customer_id": ["a", "b"], "birth_date": ["1990-03-10", "1985-07-01"]})
    >>> book = ReportWorkbook("en")
    >>> add_care_sheets(book, care_calendar(sales, members, "2024-03-01", within="30d"))
    >>> book.sheet_titles
    ['Care calendar']
    """
    sheet = _SHEET
    last_day = care.end - timedelta(days=1)
    headline = [
        ("care:window", f"{care.start:%Y-%m-%d} – {last_day:%Y-%m-%d}"),
        ("care:within_days", int(care.within_days)),
        *((f"care:kind:{kind}", int(count)) for kind, count in care.counts.items()),
        ("care:total", int(sum(care.counts.values()))),
        ("care:members", int(care.members)),
        ("care:buyers", int(care.buyers)),
        ("as_of", care.as_of),
    ]
    head = book.add_key_values(sheet, headline, title="title:care", number_formats={"care:within_days": "#,##0"})
    row = head.last_row + 1
    row = note_lines(book, sheet, note_texts(book, care.notes), row)
    weeks = _weeks(book, care)
    if len(weeks):
        week_span = book.add_table(
            sheet,
            weeks,
            title="title:care_weeks",
            start_row=row + 1,
            labels={"week": "care:week"} | {c: f"care:kind:{c}" for c in weeks.columns[1:]},
            number_formats=dict.fromkeys(weeks.columns[1:], "#,##0"),
            freeze_header=False,
            autofilter=False,
        )
        row = week_span.last_row + 2
        n = len(weeks)
        col_of = {c: week_span.first_col + k for k, c in enumerate(weeks.columns)}
        kinds = list(weeks.columns[1:])
        chart_col = max(block.last_col for block in book._sheet(sheet).blocks) + _CHART_GAP
        book.add_bar_chart(
            sheet,
            data_ref=[(col_of[k], week_span.first_row, col_of[k], week_span.first_row + n) for k in kinds],
            categories_ref=(col_of["week"], week_span.first_row + 1, col_of["week"], week_span.first_row + n),
            anchor=cell_name(1, chart_col),
            title="chart:care_weeks",
            y_title="care:occasions_axis",
            width=_CHART_WIDTH,
            height=7.0,
        )
        row = max(row, book.row_below_charts(sheet, gap=1) - 1)
    _add_occasions(book, care, customers, row + 1)
    book.set_print(sheet, landscape=True)


def _weeks(book: ReportWorkbook, care: CareCalendar) -> pd.DataFrame:
    """Occasions per week of the window (weeks from its first day) by kind: one column per kind listed."""
    frame = care.occasions
    kinds = [k for k in care.kinds if k in care.counts] or list(care.counts)
    if not len(frame) or not kinds:
        return pd.DataFrame()
    start = pd.Timestamp(care.start)
    week = ((pd.to_datetime(frame["date"]) - start).dt.days // 7).astype("int64")
    counts = pd.crosstab(week, frame["kind"]).reindex(columns=kinds, fill_value=0)
    last = int((pd.Timestamp(care.end) - start).days - 1) // 7
    counts = counts.reindex(range(last + 1), fill_value=0)
    # a week's name is its first day: text, so that the chart's axis shows each week once
    names = [f"{(start + pd.Timedelta(days=7 * w)):%m-%d}" for w in counts.index]
    shown = pd.DataFrame({"week": names})
    for kind in kinds:
        shown[kind] = counts[kind].to_numpy(dtype="int64")
    return shown


def _add_occasions(book: ReportWorkbook, care: CareCalendar, customers, row: int) -> None:
    policy = customer_policy(customers)
    if policy.mode == "none":
        return
    frame = care.occasions
    shown = frame[[c for c in _COLUMNS if c in frame.columns]].copy()
    if "kind" in frame.columns and "kind_label" in shown.columns:
        shown["kind_label"] = [
            book.label(f"care:kind:{k}") if f"care:kind:{k}" in LABELS else v
            for k, v in zip(frame["kind"], frame["kind_label"])
        ]
    if "action" in frame.columns and "action_label" in shown.columns:
        shown["action_label"] = [
            book.label(f"care:action:{a}") if f"care:action:{a}" in LABELS else v
            for a, v in zip(frame["action"], frame["action_label"])
        ]
    total = len(shown)
    kept = policy.kept(total)
    title = "care:occasions"
    if kept < total:
        by = label(f"order_by:{_SHEET}", book.lang)
        title = sentence("msg:customers_cut", book.lang, kept=kept, total=total, left=total - kept, by=by)
        shown = shown.iloc[:kept]
    if not total:
        note_lines(book, _SHEET, [f"{book.label('care:occasions')}: {book.label('care:none')}"], row)
        return
    book.add_table(
        _SHEET,
        shown,
        title=title,
        start_row=row,
        labels={c: _COLUMNS[c] for c in shown.columns},
        number_formats=_FORMATS,
        freeze_header=False,
    )
