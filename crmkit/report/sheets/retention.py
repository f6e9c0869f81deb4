"""The Retention sheet: the cohort retention matrix as a heat map and the tables below it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit.report.excel import ReportWorkbook

if TYPE_CHECKING:
    from crmkit.retention import RetentionResult

__all__ = ["add_retention_sheets"]


def add_retention_sheets(book: ReportWorkbook, result: RetentionResult) -> None:
    """Add the Retention sheet: the cohort retention matrix as a heat map, then customers, revenue
    retention, repeat rate and churn rate per cohort and period since acquisition.

    Parameters
    ----------
    book : ReportWorkbook
    result : crmkit.retention.RetentionResult
    """
    sheet = "sheet:retention"
    summary = book.add_key_values(
        sheet,
        [("period", book.label(f"period:{result.period}")), ("as_of", result.as_of)]
        + [(k, v) for k, v in result.summary.items()],
        title="title:retention_summary",
        number_formats={k: "0.0%" for k in result.summary if k.startswith("retention_")},
    )
    row = summary.last_row + 2
    for name, share in (
        ("retention", True),
        ("customers", False),
        ("revenue_retention", True),
        ("repeat_rate", True),
        ("churn_rate", True),
    ):
        frame = result.wide(name)
        formats = {c: ("0.0%" if share else "#,##0") for c in frame.columns if c.startswith("k")}
        span = book.add_table(
            sheet,
            frame,
            title=f"title:{name}",
            start_row=row,
            number_formats=formats,
            # k0, k1, ...: periods since acquisition, "k3" in en (as the CSV) and "第3期" in zh
            labels={c: f"since:{c[1:]}" for c in frame.columns if c.startswith("k") and c[1:].isdigit()},
            freeze_header=False,
            autofilter=False,
        )
        if name == "retention" and len(frame) and "k1" in frame.columns:
            # from k1 on: k0 is 100 % by definition and would squash the scale of the rest
            first = span.first_col + list(frame.columns).index("k1")
            book.add_heat_map(sheet, (span.first_row + 1, span.last_row, first, span.last_col))
        row = span.last_row + 3
