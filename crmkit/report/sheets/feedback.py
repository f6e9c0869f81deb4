"""The Feedback sheet: complaints by category, channel and month, resolution times, what happened next.

What :func:`crmkit.feedback.feedback` found, for the service manager: the headline (complaints,
complainers, share resolved, median and 90th percentile days to resolve, the retention of each
outcome group), the notes, then the tables top to bottom — by category and by channel (each with a
bar chart beside it), by month (a line chart), the rates per 1,000 customers by segment, repeat
complainers, the outcomes with their intervals (a bar chart of retention by group), the lost
revenue by category with its formula, the top terms per category, and the complainers under the
``--customers`` policy. The sheet prints landscape, one page wide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from crmkit.report.excel import ReportWorkbook, Span, cell_name
from crmkit.report.i18n import label, sentence
from crmkit.report.sheets._layout import _CHART_GAP, CustomerPolicy, customer_policy
from crmkit.report.sheets.preferences import note_lines, note_texts

if TYPE_CHECKING:
    from crmkit.feedback import FeedbackResult

__all__ = ["add_feedback_sheets"]

_SHEET = "sheet:feedback"
_SHARE, _DAYS, _MONEY, _COUNT, _RATE = "0.0%", "0.0", "#,##0.00", "#,##0", "0.0"
_P = '[<0.001]"<0.001";0.000'  # as the campaign sheets show p-values
_CHART_WIDTH = 13.0
_VOLUME = {
    "complaints": "feedback:complaints",
    "complainers": "feedback:complainers",
    "share": "feedback:share",
    "resolved": "feedback:resolved",
    "open": "feedback:open",
    "resolved_share": "feedback:resolved_share",
    "median_days": "feedback:median_days",
    "p90_days": "feedback:p90_days",
}
_VOLUME_FORMATS = {
    "complaints": _COUNT, "complainers": _COUNT, "share": _SHARE, "resolved": _COUNT, "open": _COUNT,
    "resolved_share": _SHARE, "median_days": _DAYS, "p90_days": _DAYS,
}  # fmt: skip
_RATES = {
    "segment_label": "feedback:segment",
    "customers": "feedback:customers",
    "complainers": "feedback:complainers",
    "complaints": "feedback:complaints",
    "complaints_per_1000": "feedback:complaints_per_1000",
    "complainers_per_1000": "feedback:complainers_per_1000",
}
# the outcomes in two tables, retention then spend: one of 17 columns would shrink the page to unreadable
_OUTCOMES = {c: f"feedback:{c}" for c in (
    "group", "customers", "retained", "retention", "retention_low", "retention_high", "retention_diff",
    "retention_diff_low", "retention_diff_high", "retention_p",
)}  # fmt: skip
_SPEND = {c: f"feedback:{c}" for c in (
    "group", "customers", "spend_per_customer", "spend_low", "spend_high", "spend_diff", "spend_diff_low",
    "spend_diff_high", "spend_p",
)}  # fmt: skip
_OUTCOME_FORMATS = {
    "customers": _COUNT, "retained": _COUNT,
    **dict.fromkeys(("retention", "retention_low", "retention_high", "retention_diff", "retention_diff_low",
                     "retention_diff_high"), _SHARE),
    **dict.fromkeys(("spend_per_customer", "spend_low", "spend_high", "spend_diff", "spend_diff_low",
                     "spend_diff_high"), _MONEY),
    "retention_p": _P, "spend_p": _P,
}  # fmt: skip
_LOST = {c: f"feedback:{c}" for c in (
    "category", "complainers", "lost", "churn_rate", "never_churn_rate", "lost_revenue", "excess_lost_revenue",
)}  # fmt: skip
_LOST_FORMATS = {
    "complainers": _COUNT, "lost": _COUNT, "churn_rate": _SHARE, "never_churn_rate": _SHARE,
    "lost_revenue": _MONEY, "excess_lost_revenue": _MONEY,
}  # fmt: skip
_TERMS = {"category": "feedback:category", "term": "feedback:term", "complaints": "feedback:term_complaints",
          "share": "feedback:term_share", "count": "feedback:count"}  # fmt: skip
_CUSTOMERS = {"customer_id": "customer_id", "complaints": "feedback:complaints",
              "open_complaints": "feedback:open_complaints", "first_complaint": "feedback:first_complaint",
              "last_complaint": "feedback:last_complaint", "categories": "feedback:categories"}  # fmt: skip


def add_feedback_sheets(
    book: ReportWorkbook, result: FeedbackResult, *, customers: str | CustomerPolicy | None = None
) -> None:
    """Add the Feedback sheet of a feedback analysis.

    Parameters
    ----------
    book : ReportWorkbook
        Workbook being assembled; its ``lang`` decides every label.
    result : crmkit.feedback.FeedbackResult
        Output of :func:`crmkit.feedback.feedback`; without purchases the sheet has the volume,
        resolution, repeat and terms tables only.
    customers : {"all", "top:N", "none"}, optional
        Rows of the complainers table (:func:`~crmkit.report.sheets._layout.customer_policy`):
        most complaints first. Default ``top:100000``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.feedback import feedback
    >>> export = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-01", "2024-01-03"],
    ...                        "category": ["late", "broken"], "status": ["closed", "open"]})
    >>> book = ReportWorkbook("en")
    >>> add_feedback_sheets(book, feedback(export))
    >>> book.sheet_titles
    ['Feedback']
    """
    h = result.headline
    rows: list[tuple[str, object]] = [
        ("feedback:complaints", int(h["complaints"])),
        ("feedback:complainers", int(h["complainers"])),
        ("feedback:period", f"{h['first_complaint'] or ''} – {h['last_complaint'] or ''}"),
        ("feedback:resolved_share", h["resolved_share"]),
        ("feedback:median_days", h["median_days"]),
        ("feedback:p90_days", h["p90_days"]),
        ("feedback:repeat_complainers", int(h["repeat_complainers"])),
        ("feedback:repeat_share", h["repeat_share"]),
    ]
    if "complaints_per_1000" in h:
        rows += [
            ("feedback:complaints_per_1000", h["complaints_per_1000"]),
            ("feedback:complainers_per_1000", h["complainers_per_1000"]),
            *((f"feedback:retention_{g}", h[f"retention_{g}"]) for g in ("resolved", "unresolved", "never")),
            ("feedback:lost_revenue", h["lost_revenue"]),
            ("feedback:excess_lost_revenue", h["excess_lost_revenue"]),
        ]
    rows += [("feedback:window_days", int(h["window_days"])), ("as_of", result.as_of)]
    formats = {
        "feedback:resolved_share": _SHARE, "feedback:repeat_share": _SHARE, "feedback:median_days": _DAYS,
        "feedback:p90_days": _DAYS, "feedback:complaints_per_1000": _RATE, "feedback:complainers_per_1000": _RATE,
        "feedback:lost_revenue": _MONEY, "feedback:excess_lost_revenue": _MONEY, "feedback:window_days": _COUNT,
        **{f"feedback:retention_{g}": _SHARE for g in ("resolved", "unresolved", "never")},
    }  # fmt: skip
    head = book.add_key_values(_SHEET, [(k, None if v is None else v) for k, v in rows], title="title:feedback",
                               number_formats=formats)  # fmt: skip
    note_lines(book, _SHEET, note_texts(book, [*result.warnings, *result.notes]), head.last_row + 2)
    chart_col = head.last_col + 1 + _CHART_GAP
    for key, table, kind in (("category", result.by_category, "bar"), ("channel", result.by_channel, "bar"),
                             ("month", result.by_month, "line")):  # fmt: skip
        span = _table(book, table, f"title:feedback_by_{key}", {key: f"feedback:{key}", **_VOLUME}, _VOLUME_FORMATS)
        if span is None:
            continue
        chart_col = max(chart_col, span.last_col + 1 + _CHART_GAP)
        n = len(table)
        data_ref = (span.first_col + 1, span.first_row, span.first_col + 1, span.first_row + n)
        categories_ref = (span.first_col, span.first_row + 1, span.first_col, span.first_row + n)
        anchor, title = cell_name(span.first_row - 1, chart_col), f"chart:feedback_by_{key}"
        if kind == "bar":
            book.add_bar_chart(_SHEET, data_ref=data_ref, categories_ref=categories_ref, anchor=anchor, title=title,
                               y_title="feedback:complaints_axis", width=_CHART_WIDTH)  # fmt: skip
        else:
            book.add_line_chart(_SHEET, data_ref=data_ref, categories_ref=categories_ref, anchor=anchor, title=title,
                                y_title="feedback:complaints_axis", width=18.0, value_range=(0, None))  # fmt: skip
    if result.rates is not None:
        _table(book, result.rates, "title:feedback_rates", _RATES,
               {"customers": _COUNT, "complainers": _COUNT, "complaints": _COUNT, "complaints_per_1000": _RATE,
                "complainers_per_1000": _RATE})  # fmt: skip
    _table(book, result.repeat, "title:feedback_repeat",
           {"complaints": "feedback:complaints_per_customer", "customers": "feedback:customers",
            "share": "feedback:customer_share"}, {"customers": _COUNT, "share": _SHARE})  # fmt: skip
    if result.outcomes is not None:
        shown = result.outcomes.copy()
        shown["group"] = [book.label(f"feedback:group:{g}") for g in shown["group"]]
        span = _table(book, shown, "title:feedback_outcomes", _OUTCOMES, _OUTCOME_FORMATS)
        if span is not None:
            col = span.first_col + list(_OUTCOMES).index("retention")
            book.add_bar_chart(
                _SHEET,
                data_ref=(col, span.first_row, col, span.first_row + len(shown)),
                categories_ref=(span.first_col, span.first_row + 1, span.first_col, span.first_row + len(shown)),
                anchor=cell_name(span.first_row - 1, max(chart_col, span.last_col + 1 + _CHART_GAP)),
                title="chart:feedback_retention",
                y_title="feedback:retention_axis",
                percent=True,
                width=_CHART_WIDTH,
            )
            _table(book, shown, "title:feedback_outcomes_spend", _SPEND, _OUTCOME_FORMATS, below_charts=False)
    if result.lost_revenue is not None:
        if _table(book, result.lost_revenue, "title:feedback_lost_revenue", _LOST, _LOST_FORMATS) is not None:
            note_lines(book, _SHEET, [f"{book.label('note')}: {book.label('feedback:formula_lost')}"],
                       _below(book, charts=False))  # fmt: skip
    _table(book, result.terms, "title:feedback_terms", _TERMS, {"complaints": _COUNT, "share": _SHARE, "count": _COUNT})
    _complainers(book, result, customers, _below(book) + 1)
    book.set_print(_SHEET, landscape=True)


def _below(book: ReportWorkbook, *, charts: bool = True) -> int:
    """The first free row under every block (and every chart, with ``charts``) planned on the sheet."""
    plan = book._sheet(_SHEET)
    bottom = max((block.last_row for block in plan.blocks), default=0) + 1
    return max(bottom, book.row_below_charts(_SHEET, gap=0)) if charts else bottom


def _table(book: ReportWorkbook, frame, title: str, columns: dict, formats: dict, *, below_charts: bool = True):
    """``frame``'s ``columns`` as a table titled ``title`` a row below what the sheet has; None (and a
    line saying so) when it has no rows. ``below_charts``: below the charts too (not beside one)."""
    row = _below(book, charts=below_charts) + 1
    if frame is None or not len(frame):
        note_lines(book, _SHEET, [f"{book.label(title)}: {book.label('feedback:none')}"], row)
        return None
    shown = frame[[c for c in columns if c in frame.columns]]
    span: Span = book.add_table(
        _SHEET,
        shown,
        title=title,
        start_row=row,
        labels={c: columns[c] for c in shown.columns},
        number_formats=formats,
        freeze_header=False,
        autofilter=False,
    )
    return span


def _complainers(book: ReportWorkbook, result: FeedbackResult, customers, row: int) -> None:
    policy = customer_policy(customers)
    if policy.mode == "none" or not len(result.customers):
        return
    frame = result.customers.sort_values(["complaints", "customer_id"], ascending=[False, True], kind="mergesort")
    total = len(frame)
    kept = policy.kept(total)
    title = "title:feedback_customers"
    if kept < total:
        by = label("feedback:complaints", book.lang)
        title = sentence("msg:customers_cut", book.lang, kept=kept, total=total, left=total - kept, by=by)
        frame = frame.iloc[:kept]
    shown = frame[list(_CUSTOMERS)].copy()
    for column in ("first_complaint", "last_complaint"):
        shown[column] = pd.to_datetime(shown[column])
    book.add_table(
        _SHEET,
        shown,
        title=title,
        start_row=row + 1,
        labels=_CUSTOMERS,
        number_formats={
            "complaints": _COUNT,
            "open_complaints": _COUNT,
            "first_complaint": "yyyy-mm-dd hh:mm",
            "last_complaint": "yyyy-mm-dd hh:mm",
        },  # fmt: skip
        freeze_header=False,
    )
