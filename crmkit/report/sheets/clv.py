"""The CLV sheets: CLV model, CLV deciles, P(alive), Holdout (when validated) and CLV customers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit.report.excel import ReportWorkbook, cell_name, column_ref
from crmkit.report.sheets._layout import _CHART_GAP, _bar_chart_beside
from crmkit.report.sheets.quality import add_data_quality_sheet

if TYPE_CHECKING:
    from crmkit.clv import ClvResult, HoldoutResult
    from crmkit.io.quality import DataQuality

__all__ = ["add_clv_sheets"]


def add_clv_sheets(book: ReportWorkbook, result: ClvResult, quality: DataQuality | None = None) -> None:
    """Add the CLV sheets: CLV model, CLV deciles, P(alive), Holdout (when validated), CLV customers.

    Parameters
    ----------
    book : ReportWorkbook
    result : crmkit.clv.ClvResult
    quality : DataQuality, optional
    """
    _add_clv_model(book, result)
    _add_clv_deciles(book, result)
    _add_p_alive(book, result)
    if result.holdout is not None:
        _add_holdout(book, result.holdout)
    book.add_long_table("sheet:clv_customers", result.customers)
    if quality is not None:
        add_data_quality_sheet(book, quality)


def _fit_rows(prefix: str, record: dict) -> list:
    rows = [(f"{prefix}model", record.get("model"))]
    for name, value in record.get("params", {}).items():
        rows.append((f"param:{name}", value))
        if name in record.get("se", {}):
            rows.append((f"se:{name}", record["se"][name]))
    for key in ("log_likelihood", "aic", "bic", "iterations", "converged", "customers", "frequency_spend_correlation"):
        if key in record:
            rows.append((key, record[key]))
    return rows


def _add_clv_model(book: ReportWorkbook, result: ClvResult) -> None:
    sheet = "sheet:clv_model"
    model = result.model
    settings = [
        (key, model[key])
        for key in (
            "as_of",
            "unit",
            "horizon",
            "horizon_periods",
            "discount_annual",
            "discount_per_period",
            "margin",
            "occasion",
        )
        if key in model
    ]
    span = book.add_key_values(
        sheet,
        settings + _fit_rows("transaction_", model),
        title="title:clv_model",
        number_formats={"discount_annual": "0.0%", "discount_per_period": "0.000%"},
    )
    if result.spend_model:
        span = book.add_key_values(
            sheet, _fit_rows("spend_", result.spend_model), title="title:spend_model", start_row=span.last_row + 2
        )
    if result.warnings:
        book.add_key_values(
            sheet, [("warning", w) for w in result.warnings], title="title:warnings", start_row=span.last_row + 2
        )


def _add_clv_deciles(book: ReportWorkbook, result: ClvResult) -> None:
    span = book.add_table("sheet:clv_deciles", result.deciles)
    _bar_chart_beside(
        book,
        "sheet:clv_deciles",
        span,
        result.deciles,
        "clv_total",
        "clv_decile",
        title="chart:clv_by_decile",
        y_title="axis:clv",
    )


def _add_p_alive(book: ReportWorkbook, result: ClvResult) -> None:
    span = book.add_table("sheet:p_alive", result.p_alive_bins)
    _bar_chart_beside(
        book,
        "sheet:p_alive",
        span,
        result.p_alive_bins,
        "customers",
        "p_alive_from",
        title="chart:p_alive",
        y_title="axis:customers",
    )


def _add_holdout(book: ReportWorkbook, holdout: HoldoutResult) -> None:
    sheet = "sheet:holdout"
    summary = book.add_key_values(
        sheet,
        [
            ("calibration_end", holdout.calibration_end),
            ("holdout_end", holdout.end),
            ("total_actual", holdout.total_actual),
            ("total_expected", holdout.total_expected),
            ("holdout_error", holdout.error),
        ]
        + [(f"param:{k}", v) for k, v in holdout.params.items()],
        title="title:holdout",
        number_formats={"holdout_error": "0.0%"},
    )
    groups = book.add_table(
        sheet, holdout.by_frequency, start_row=summary.last_row + 2, freeze_header=False, autofilter=False
    )
    tracking = book.add_table(
        sheet, holdout.tracking, start_row=groups.last_row + 2, freeze_header=False, autofilter=False
    )
    g_cols, t_cols = list(holdout.by_frequency.columns), list(holdout.tracking.columns)
    anchor_col = max(summary.last_col, groups.last_col, tracking.last_col) + _CHART_GAP
    if len(holdout.by_frequency):
        book.add_bar_chart(
            sheet,
            data_ref=[column_ref(groups, g_cols, "actual_mean"), column_ref(groups, g_cols, "expected_mean")],
            categories_ref=column_ref(groups, g_cols, "frequency_group", header=False),
            anchor=cell_name(1, anchor_col),
            title="chart:holdout_by_frequency",
            y_title="axis:purchases",
        )
    if len(holdout.tracking):
        book.add_line_chart(
            sheet,
            data_ref=[
                column_ref(tracking, t_cols, "actual_cumulative"),
                column_ref(tracking, t_cols, "expected_cumulative"),
            ],
            categories_ref=column_ref(tracking, t_cols, "week", header=False),
            anchor=cell_name(22, anchor_col),
            title="chart:tracking",
            y_title="axis:purchases",
        )
