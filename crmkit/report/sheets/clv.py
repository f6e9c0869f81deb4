"""The CLV sheets: CLV model (with the totals' intervals and covariate effects when asked), CLV
deciles, P(alive), Holdout (when validated) and CLV customers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crmkit.report.excel import ReportWorkbook, cell_name, column_ref
from crmkit.report.i18n import LABELS, label, message, sentence, translate_values
from crmkit.report.sheets._layout import (
    _CHART_GAP,
    CustomerPolicy,
    _bar_chart_beside,
    _customer_table,
)
from crmkit.report.sheets.quality import add_data_quality_sheet

if TYPE_CHECKING:
    from crmkit.clv import ClvResult, HoldoutResult
    from crmkit.io.quality import DataQuality

__all__ = ["add_clv_sheets"]


def add_clv_sheets(
    book: ReportWorkbook,
    result: ClvResult,
    quality: DataQuality | None = None,
    *,
    customers: str | CustomerPolicy | None = None,
) -> None:
    """Add the CLV sheets: CLV model, CLV deciles, P(alive), Holdout (when validated), CLV customers.

    Parameters
    ----------
    book : ReportWorkbook
    result : crmkit.clv.ClvResult
    quality : DataQuality, optional
    customers : {"all", "top:N", "none"}, optional
        Rows of the CLV customers sheet (default ``top:100000``, by CLV, with a note).
    """
    _add_clv_model(book, result)
    _add_clv_deciles(book, result)
    _add_p_alive(book, result)
    if result.holdout is not None:
        _add_holdout(book, result.holdout)
    labels = {"clv": _clv_header(book, result)}  # profit when a margin is given
    _customer_table(book, "sheet:clv_customers", _readable_customers(book, result.customers), customers, labels)
    if quality is not None:
        add_data_quality_sheet(book, quality)


# ClvResult.customers says frequency for the repeat occasions (9 for 10 orders) and monetary for
# their mean value: the clv: keys head them as what they are
CUSTOMER_HEADERS = {"frequency": "clv:frequency", "monetary": "clv:monetary"}
_CUSTOMER_VALUES = {"churn_risk": "risk", "value_method": "value_method"}


def _readable_customers(book: ReportWorkbook, frame):
    return translate_values(frame.rename(columns=CUSTOMER_HEADERS), _CUSTOMER_VALUES, book.lang)


def _fit_rows(prefix: str, record: dict, book: ReportWorkbook | None = None) -> list:
    name = record.get("model")
    if book is not None and f"model:{name}" in LABELS:
        name = book.label(f"model:{name}")
    rows = [(f"{prefix}model", name)]
    for name, value in record.get("params", {}).items():
        rows.append((f"param:{name}", value))
        if name in record.get("se", {}):
            rows.append((f"se:{name}", record["se"][name]))
    for key in ("log_likelihood", "aic", "bic", "iterations", "converged", "customers", "frequency_spend_correlation"):
        if key in record:
            value = record[key]
            if isinstance(value, bool):
                # a flag reads as a word: Excel would show True as 1
                value = label("answer:yes" if value else "answer:no", book.lang if book is not None else "en")
            rows.append((key, value))
    return rows


def method_text(text, lang: str) -> str:
    """A totals row's method (``delta method + process simulation (subsample of 20,000)``) in
    ``lang``, phrase by phrase (the ``clv_method:`` keys), longest phrase first."""
    text = str(text)
    phrases = sorted((k.split(":", 1)[1] for k in LABELS if k.startswith("clv_method:")), key=len, reverse=True)
    for phrase in phrases:
        text = text.replace(phrase, label(f"clv_method:{phrase}", lang))
    return text


def _yes_no(book: ReportWorkbook, value) -> str:
    """A flag as a word (Excel would show True as 1); empty where there is none."""
    if value is None or value != value:  # None or NaN: a total without an actual
        return ""
    return label("answer:yes" if bool(value) else "answer:no", book.lang)


def _settings(book: ReportWorkbook, result: ClvResult) -> list:
    """The run's settings as a reader says them: the date as a date, ``52w`` as "52 weeks", the margin
    in words when there was none (CLV is then revenue) or it came from the data."""
    import datetime as dt

    model = result.model
    unit, horizon = _horizon(book, str(model.get("horizon", "")))
    shown = {**model, "horizon": horizon} if "horizon" in model else dict(model)
    if isinstance(model.get("as_of"), str):
        shown["as_of"] = dt.date.fromisoformat(model["as_of"])
    if unit == model.get("unit"):
        # a horizon in the model's own periods: "Horizon (periods)" would only say it again
        shown.pop("horizon_periods", None)
    if str(model.get("horizon", "")).strip().lower() in ("inf", "infinite"):
        # --horizon inf: the value is DERT (Fader, Hardie & Lee 2005), not "inf" and a blank count
        shown["horizon"] = book.label("clv:horizon_inf")
        shown.pop("horizon_periods", None)
    if _without_margin(result):
        shown["margin"] = "none"
    keys = (
        "as_of",
        "unit",
        "horizon",
        "horizon_periods",
        "discount_annual",
        "discount_per_period",
        "margin",
        "occasion",
    )
    rows = [
        (key, book.label(f"{key}:{shown[key]}") if f"{key}:{shown[key]}" in LABELS else shown[key])
        for key in keys
        if key in shown
    ]
    # the interval settings, when asked for (issue 15)
    names = {"interval": "clv:interval_level", "draws": "clv:draws", "seed": "clv:seed", "window": "clv:window"}
    return rows + [(name, model[key]) for key, name in names.items() if model.get(key) is not None]


_HORIZON = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z])[a-z]*\s*$", re.I)
_HORIZON_UNITS = {"d": "day", "w": "week", "m": "month", "q": "quarter", "y": "year"}


def _horizon(book: ReportWorkbook, text: str) -> tuple[str | None, str]:
    """The unit of a horizon such as ``52w`` (``week``) and the horizon in words ("52 weeks")."""
    found = _HORIZON.match(text)
    if not found:
        return None, text
    number, unit = float(found.group(1)), _HORIZON_UNITS[found.group(2).lower()]
    key = f"horizon:{unit}:one" if number == 1 else f"horizon:{unit}"
    return unit, sentence(key, book.lang, n=f"{number:g}")


def _without_margin(result: ClvResult) -> bool:
    """Whether no margin was given nor read from the data: CLV is then revenue, not profit."""
    return any(getattr(w, "key", None) == "clv_no_margin" for w in result.warnings)


def _clv_header(book: ReportWorkbook, result: ClvResult) -> str:
    """The header of the CLV column: profit at the margin when there is one (expected spend beside it
    stays revenue, so CLV is less than purchases x spend), plain CLV (revenue, the model sheet's
    warning says so) when there is none. The one place that says what a CLV column holds."""
    margin = result.model.get("margin")
    if _without_margin(result) or margin is None:
        return book.label("clv")
    if isinstance(margin, (int, float)):
        return sentence("fmt:clv_profit", book.lang, margin=f"{margin * 100:g}%")
    return book.label("clv:profit_from_data")


def _add_clv_model(book: ReportWorkbook, result: ClvResult) -> None:
    sheet = "sheet:clv_model"
    model = result.model
    span = book.add_key_values(
        sheet,
        _settings(book, result) + _fit_rows("transaction_", model, book),
        title="title:clv_model",
        number_formats={
            "discount_annual": "0.0%",
            "discount_per_period": "0.000%",
            "clv:interval_level": "0%",
            "clv:draws": "0",
            "clv:seed": "0",
        },
    )
    if result.spend_model:
        span = book.add_key_values(
            sheet, _fit_rows("spend_", result.spend_model, book), title="title:spend_model", start_row=span.last_row + 2
        )
    totals = getattr(result, "totals", None)
    if totals is not None and len(totals):
        shown = translate_values(totals, {"quantity": "quantity"}, book.lang)
        shown["inside"] = [_yes_no(book, v) for v in totals["inside"]]
        shown["method"] = [method_text(v, book.lang) for v in totals["method"]]
        if totals["actual"].isna().all():
            # no holdout: the actual and its check would be empty columns that look like missing numbers
            shown = shown.drop(columns=["actual", "inside"])
        span = book.add_table(
            sheet,
            shown,
            title="title:clv_totals",
            # "estimate" would read as the PLS/effects column (a ratio); these are totals of counts and money
            labels={
                **{k: f"clv:{k}" for k in ("quantity", "low", "high", "method", "actual", "inside")},
                "estimate": "clv:total_estimate",
            },
            number_formats=dict.fromkeys(("estimate", "low", "high", "actual"), "#,##0.00"),
            start_row=span.last_row + 2,
            freeze_header=False,
            autofilter=False,
        )
    coefficients = getattr(result, "coefficients", None)
    if coefficients is not None and len(coefficients):
        span = book.add_table(
            sheet,
            coefficients,
            title="title:clv_coefficients",
            labels={"process": "clv:process", "z": "clv:z"},
            number_formats=dict.fromkeys(("estimate", "se", "z"), "0.000"),
            start_row=span.last_row + 2,
            freeze_header=False,
            autofilter=False,
        )
    if result.warnings:
        book.add_key_values(
            sheet,
            [("warning", message(w, book.lang)) for w in result.warnings],
            title="title:warnings",
            start_row=span.last_row + 2,
        )


def _add_clv_deciles(book: ReportWorkbook, result: ClvResult) -> None:
    # with referrals the deciles rank and sum customer_value (CLV + referral value), not CLV
    with_referrals = "customer_value" in result.customers.columns
    labels = {name: name.replace("clv_", "value_") for name in ("clv_total", "clv_mean", "clv_share")}
    # the header says which end is the top: decile 1 holds the most valuable tenth
    labels = {"clv_decile": "clv:decile", **(labels if with_referrals else {})}
    span = book.add_table("sheet:clv_deciles", result.deciles, labels=labels)
    _bar_chart_beside(
        book,
        "sheet:clv_deciles",
        span,
        result.deciles,
        "clv_total",
        "clv_decile",
        title="chart:clv_by_decile",
        y_title="axis:clv",
        # deciles are whole numbers whatever the table's cell format says
        categories_format="0",
        value_format="#,##0",
    )


def _add_p_alive(book: ReportWorkbook, result: ClvResult) -> None:
    bins = result.p_alive_bins
    # one range a row, in percent as P(alive) reads elsewhere ("0–10%", not "0.00" and "0.10")
    ranges = [f"{low * 100:g}–{high * 100:g}%" for low, high in zip(bins["p_alive_from"], bins["p_alive_to"])]
    table = bins.drop(columns=["p_alive_from", "p_alive_to"])
    table.insert(0, "p_alive_range", ranges)
    span = book.add_table("sheet:p_alive", table)
    _bar_chart_beside(
        book,
        "sheet:p_alive",
        span,
        table,
        "customers",
        "p_alive_range",
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
        + (
            [
                ("total_low", holdout.total_low),
                ("total_high", holdout.total_high),
                ("holdout_inside", _yes_no(book, holdout.inside)),
            ]
            if getattr(holdout, "total_low", None) is not None
            else []
        )
        + [(f"param:{k}", v) for k, v in holdout.params.items()],
        title="title:holdout",
        number_formats={"holdout_error": "0.0%", "total_low": "#,##0.0", "total_high": "#,##0.0"},
    )
    groups = book.add_table(
        sheet, holdout.by_frequency, start_row=summary.last_row + 2, freeze_header=False, autofilter=False
    )
    tracking = book.add_table(
        sheet,
        translate_values(holdout.tracking, {"phase": "phase"}, book.lang),
        start_row=groups.last_row + 2,
        freeze_header=False,
        autofilter=False,
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
