"""The Campaign and Loyalty programme sheets: did it work, by how much, and how sure.

What :func:`crmkit.campaign.campaign` found, for a manager: the headline with the kind of
evidence said in words (randomised, or a matched comparison that is weaker and not causal), the
notes, per window the effects of each arm on rates (as percentages) and on money (revenue per
customer, AOV) with their intervals and p-values, the plain estimate beside the CUPED one, a
native bar chart of the conversion rate per arm, the economics (incremental revenue and profit,
cost, ROI), the effect per RFM segment, the power table and the balance check. The loyalty
sheet shows :func:`crmkit.loyalty.loyalty`'s points, members against matched non-members and
the programme's cost against its incremental margin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from crmkit.report.excel import ReportWorkbook
from crmkit.report.sheets._layout import _CHART_GAP, CustomerPolicy, customer_policy
from crmkit.report.sheets.preferences import note_lines, note_texts

if TYPE_CHECKING:
    from crmkit.campaign import CampaignResult
    from crmkit.loyalty import LoyaltyResult

__all__ = ["add_campaign_sheets", "add_loyalty_sheets"]

_SHEET = "sheet:campaign"
_LOYALTY = "sheet:loyalty"
PCT, MONEY, COUNT, RATIO = "0.0%", "#,##0.00", "#,##0", "0.00"
# a p-value below 0.001 reads as such, not as a rounded 0.000
P_FORMAT = '[<0.001]"<0.001";0.000'
_EFFECT_COLUMNS = ("metric", "adjustment", "method", "n_treated", "n_control", "treated", "control", "difference",
                   "ci_low", "ci_high", "p_value", "relative_lift")  # fmt: skip
_RATE_METRICS = ("conversion", "retention", "upgrade")
_MONEY_METRICS = ("revenue", "aov", "orders")
_CHART_WIDTH = 12.0


def _labels(columns) -> dict[str, str]:
    return {c: f"campaign:{c}" for c in columns}


def _word(book: ReportWorkbook, family: str, value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    key = f"campaign:{family}:{value}"
    from crmkit.report.i18n import LABELS

    return book.label(key) if key in LABELS else str(value)


def _arm(book: ReportWorkbook, value) -> str:
    """An arm's name as the file gives it; the names crmkit gives (contacted, matched) in the book's language."""
    return _word(book, "group", value)


def _arms(book: ReportWorkbook, frame, column: str = "arm"):
    if column in frame:
        frame[column] = [_arm(book, v) for v in frame[column]]
    return frame


def _interval(value, low, high, fmt: str) -> str:
    """``+3.2% (-1.0% to +7.4%)``: an estimate with its interval, as text for the headline."""
    if value is None:
        return ""
    spec = ".1%" if fmt == "pct" else ",.2f"

    def shown(number) -> str:  # a true minus: a cell starting with "-" or "+" would read as a formula
        return format(number, spec).replace("-", "\u2212")

    text = shown(value)
    if low is not None and high is not None:
        text += f" ({shown(low)} … {shown(high)})"
    return text


def _table(book, sheet, frame, row, title, formats, labels=None) -> int:
    span = book.add_table(
        sheet,
        frame,
        title=title,
        start_row=row,
        labels=labels or _labels(frame.columns),
        number_formats=formats,
        freeze_header=False,
        autofilter=False,
    )
    return span.last_row + 2


def add_campaign_sheets(
    book: ReportWorkbook, result: CampaignResult, *, customers: str | CustomerPolicy | None = None
) -> None:
    """Add the Campaign sheet (and, unless ``customers`` is ``"none"``, the Campaign customers sheet).

    Parameters
    ----------
    book : ReportWorkbook
    result : crmkit.campaign.CampaignResult
    customers : {"all", "top:N", "none"}, optional
        Rows of the customers sheet (:func:`~crmkit.report.sheets._layout.customer_policy`).
    """
    sheet = _SHEET
    head = result.headline
    rows = [
        ("campaign:evidence", _word(book, "evidence", result.evidence)),
        ("campaign:window", head.get("window", "")),
        ("campaign:arm", _arm(book, head.get("arm", ""))),
        ("campaign:versus", result.control or _word(book, "role", "matched")),
        ("campaign:customers", head.get("customers", 0)),
        ("campaign:first_contact", head.get("first_contact") or ""),
        ("campaign:last_contact", head.get("last_contact") or ""),
        ("campaign:data_last_day", head.get("data_last_day") or ""),
        (
            "campaign:conversion",
            _interval(
                head.get("conversion_difference"), head.get("conversion_ci_low"), head.get("conversion_ci_high"), "pct"
            ),
        ),
        (
            "campaign:revenue_effect",
            _interval(head.get("revenue_difference"), head.get("revenue_ci_low"), head.get("revenue_ci_high"), "money"),
        ),
        ("campaign:incremental_revenue", head.get("incremental_revenue")),
        ("campaign:roi", head.get("roi")),
    ]
    rows = [(k, "" if v is None else v) for k, v in rows]
    span = book.add_key_values(
        sheet,
        rows,
        title="title:campaign",
        number_formats={"campaign:customers": COUNT, "campaign:incremental_revenue": MONEY, "campaign:roi": PCT},
    )
    # the conversion chart stands beside the headline; the notes and tables start below it
    chart_row = span.first_row - 1
    row = max(span.last_row + 2, chart_row + 16)
    row = note_lines(book, sheet, note_texts(book, [*result.warnings, *result.notes]), row) + 1
    chart_at = None
    for window in result.windows:
        effects = result.effects[result.effects["window"] == window]
        arms = result.arms[result.arms["window"] == window].reset_index(drop=True)
        arm_frame = arms[
            [
                "arm",
                "role",
                "customers",
                "conversion_rate",
                "revenue_per_customer",
                "orders_per_customer",
                "aov",
                "retention_rate",
                "upgrade_rate",
                "pre_conversion_rate",
                "pre_revenue_per_customer",
            ]
        ].copy()
        arm_frame = arm_frame.loc[:, arm_frame.notna().any() | arm_frame.columns.isin(["arm", "role"])]
        arm_frame["role"] = [_word(book, "role", v) for v in arm_frame["role"]]
        _arms(book, arm_frame)
        title = f"{book.label('title:campaign_arms')} — {window}"
        first = row + 1
        row = _table(
            book,
            sheet,
            arm_frame,
            row,
            title,
            {
                "customers": COUNT,
                **dict.fromkeys(["conversion_rate", "retention_rate", "upgrade_rate", "pre_conversion_rate"], PCT),
                **dict.fromkeys(
                    ["revenue_per_customer", "aov", "pre_revenue_per_customer", "orders_per_customer"], MONEY
                ),
            },
        )
        if chart_at is None:
            chart_at = (first, len(arm_frame), list(arm_frame.columns))
        for metrics, fmt in ((_RATE_METRICS, PCT), (_MONEY_METRICS, MONEY)):
            part = effects[effects["metric"].isin(metrics)]
            if not len(part):
                continue
            shown = part[list(_EFFECT_COLUMNS)].copy()
            if "arm" in part and part["arm"].nunique() > 1:
                shown.insert(0, "arm", part["arm"].to_numpy())
            shown["metric"] = [_word(book, "metric", v) for v in shown["metric"]]
            shown["adjustment"] = [_word(book, "adjustment", v) for v in shown["adjustment"]]
            shown["method"] = [_word(book, "method", v) for v in shown["method"]]
            _arms(book, shown)
            title = f"{book.label('title:campaign_effects')} — {window}"
            formats = {**dict.fromkeys(["treated", "control", "difference", "ci_low", "ci_high"], fmt),
                       "n_treated": COUNT, "n_control": COUNT, "p_value": P_FORMAT, "relative_lift": PCT}  # fmt: skip
            row = _table(book, sheet, shown, row, title, formats)
    econ = result.economics
    if len(econ):
        shown = econ.drop(columns=["evidence", "incremental_profit_ci_low", "incremental_profit_ci_high"]).copy()
        shown = shown.loc[:, shown.notna().any()]
        shown["cost_source"] = [_word(book, "cost_source", v) for v in shown["cost_source"]]
        _arms(book, shown)
        shown["complete"] = [book.label("campaign:yes" if v else "campaign:no") for v in shown["complete"]]
        formats = {c: MONEY for c in shown.columns if c.startswith(("incremental", "revenue", "cost", "net"))}
        formats |= {"customers": COUNT, "margin": PCT, "roi": PCT, "roi_ci_low": PCT, "roi_ci_high": PCT}
        formats.pop("cost_source", None)
        row = _table(book, sheet, shown, row, "title:campaign_economics", formats)
    seg = result.segments
    if len(seg):
        shown = seg.drop(
            columns=[
                "segment",
                "evidence",
                "conversion_treated",
                "conversion_control",
                "revenue_treated",
                "revenue_control",
            ]
        ).copy()
        shown["largest"] = [book.label("campaign:yes") if v else "" for v in shown["largest"]]
        _arms(book, shown)
        formats = {c: PCT for c in shown.columns if c.startswith("conversion_") and not c.endswith("p_value")}
        formats |= {c: MONEY for c in shown.columns if c.startswith("revenue_") and not c.endswith("p_value")}
        formats |= {"n_treated": COUNT, "n_control": COUNT, "conversion_p_value": P_FORMAT, "revenue_p_value": P_FORMAT}
        row = _table(book, sheet, shown, row, "title:campaign_segments", formats)
    power = result.power
    if len(power):
        shown = power.drop(columns=["evidence"]).copy()
        shown["metric"] = [_word(book, "metric", v) for v in shown["metric"]]
        _arms(book, shown)
        rate = power["metric"].isin(_RATE_METRICS).to_numpy()
        formats = {
            "n_treated": COUNT,
            "n_control": COUNT,
            "n_per_arm_observed": COUNT,
            "n_per_arm_target": COUNT,
            "mde_relative": PCT,
            "target_lift": PCT,
            "alpha": RATIO,
            "power": PCT,
        }
        # rates as percentages, money with cents: one table each, as the effects are shown
        for part, fmt in ((rate, PCT), (~rate, MONEY)):
            if part.any():
                values = dict.fromkeys(["baseline", "sd", "mde", "observed_difference", "target_difference"], fmt)
                row = _table(book, sheet, shown[part], row, "title:campaign_power", {**formats, **values})
    balance = result.balance
    if len(balance):
        shown = balance.copy()
        shown["sample"] = [_word(book, "sample", v) for v in shown["sample"]]
        shown["covariate"] = [_word(book, "covariate", v) for v in shown["covariate"]]
        _arms(book, shown)
        shown["imbalanced"] = [book.label("campaign:yes") if v else "" for v in shown["imbalanced"]]
        row = _table(
            book,
            sheet,
            shown,
            row,
            "title:campaign_balance",
            {"treated_mean": RATIO, "control_mean": RATIO, "std_difference": "0.000"},
        )
    if chart_at is not None:
        first, n, columns = chart_at
        col = columns.index("conversion_rate") + 1
        arm_col = columns.index("arm") + 1
        from crmkit.report.excel import cell_name

        book.add_bar_chart(
            sheet,
            data_ref=(col, first, col, first + n),
            categories_ref=(arm_col, first + 1, arm_col, first + n),
            anchor=cell_name(chart_row, span.last_col + _CHART_GAP),
            title="chart:campaign_conversion",
            y_title="axis:campaign_conversion",
            percent=True,
            width=_CHART_WIDTH,
            height=7.0,
        )
    book.set_print(sheet, landscape=True)
    _add_customers(book, "sheet:campaign_customers", result.customers, customers)


def _add_customers(book: ReportWorkbook, sheet: str, frame, customers) -> None:
    from crmkit.report.i18n import label, sentence

    policy = customer_policy(customers)
    if policy.mode == "none" or frame is None or not len(frame):
        return
    shown = frame.copy()
    if "role" in shown:
        shown["role"] = [_word(book, "role", v) for v in shown["role"]]
    shown = shown.drop(columns=["segment"], errors="ignore")  # its name is shown, never its code
    _arms(book, shown, "group")
    if "complete" in shown:
        shown["complete"] = [book.label("campaign:yes" if v else "campaign:no") for v in shown["complete"]]
    formats = {
        "pre_revenue": MONEY,
        "revenue": MONEY,
        "aov": MONEY,
        "pre_orders": COUNT,
        "orders": COUNT,
        "converted": "0",
        "pre_converted": "0",
        "retained": "0",
        "upgraded": "0",
        "contact_date": "yyyy-mm-dd",
        "join_date": "yyyy-mm-dd",
    }
    total, kept = len(shown), policy.kept(len(shown))
    if kept >= total:
        book.add_long_table(sheet, shown, labels=_labels(shown.columns), number_formats=formats)
        return
    note = sentence(
        "msg:customers_cut",
        book.lang,
        kept=kept,
        total=total,
        left=total - kept,
        by=label("campaign:customer_id", book.lang),
    )
    book.add_table(sheet, shown.iloc[:kept], labels=_labels(shown.columns), number_formats=formats, title=note)


def add_loyalty_sheets(
    book: ReportWorkbook, result: LoyaltyResult, *, customers: str | CustomerPolicy | None = None
) -> None:
    """Add the Loyalty programme sheet (and the members sheet under the ``customers`` policy)."""
    sheet = _LOYALTY
    s = result.summary.iloc[0]
    rows = [("campaign:evidence", _word(book, "evidence", "matched"))]
    formats = {}
    for key in (
        "members",
        "matched",
        "window",
        "redemption_rate",
        "breakage",
        "expired_share",
        "spend_did",
        "spend_did_ci_low",
        "spend_did_ci_high",
        "margin",
        "incremental_margin",
        "cost",
        "net",
        "roi",
    ):
        value = s[key]
        rows.append(
            (f"campaign:{key}", "" if value is None or (isinstance(value, float) and pd.isna(value)) else value)
        )
        formats[f"campaign:{key}"] = (
            COUNT
            if key in ("members", "matched")
            else PCT
            if key in ("redemption_rate", "breakage", "expired_share", "margin", "roi")
            else MONEY
        )
    formats.pop("campaign:window")
    span = book.add_key_values(sheet, rows, title="title:loyalty", number_formats=formats)
    row = note_lines(book, sheet, note_texts(book, [*result.warnings, *result.notes]), span.last_row + 2) + 1
    points = result.points.copy()
    points["measure"] = [book.label(f"campaign:{m}") for m in points["measure"]]
    row = _table(
        book,
        sheet,
        points,
        row,
        "title:loyalty_points",
        {"total": "#,##0", "per_member": "#,##0.0", "share_of_earned": PCT},
    )
    effects = result.effects.drop(columns=["evidence"]).copy()
    money_rows = effects["metric"] == "revenue"
    effects["metric"] = [_word(book, "metric", v) for v in effects["metric"]]
    effects["adjustment"] = [_word(book, "adjustment", v) for v in effects["adjustment"]]
    effects["method"] = [_word(book, "method", v) for v in effects["method"]]
    effects["complete"] = [book.label("campaign:yes" if v else "campaign:no") for v in effects["complete"]]
    values = ["members_before", "members_after", "matches_before", "matches_after", "difference", "ci_low", "ci_high"]
    for part, fmt in ((money_rows.to_numpy(), MONEY), (~money_rows.to_numpy(), PCT)):  # spend, then rates
        if part.any():
            formats = {**dict.fromkeys(values, fmt), "n_pairs": COUNT, "window_days": COUNT, "p_value": P_FORMAT}
            row = _table(book, sheet, effects[part], row, "title:loyalty_effects", formats)
    balance = result.balance.copy()
    if len(balance):
        balance["sample"] = [_word(book, "sample", v) for v in balance["sample"]]
        balance["covariate"] = [_word(book, "covariate", v) for v in balance["covariate"]]
        _arms(book, balance)
        balance["imbalanced"] = [book.label("campaign:yes") if v else "" for v in balance["imbalanced"]]
        _table(
            book,
            sheet,
            balance,
            row,
            "title:loyalty_balance",
            {"treated_mean": RATIO, "control_mean": RATIO, "std_difference": "0.000"},
        )
    book.set_print(sheet, landscape=True)
    _add_customers(book, "sheet:loyalty_members", result.members, customers)
