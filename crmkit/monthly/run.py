"""The monthly CRM report: every analysis in one workbook, with a history of headline numbers.

``crmkit report`` runs segment, clv, ladder, retention and (when a survey is configured)
satisfaction on the same purchases, writes one workbook whose first sheet is an Overview of the
numbers CRM theory asks for — value, loyalty, retention, satisfaction — and keeps each run's
headline numbers in a SQLite history next to the report, so the Overview can show the trend.
"""

from __future__ import annotations

import calendar
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from crmkit.io.toml import read_toml
from crmkit.errors import ConfigError, OutputError, UsageError

_SECTIONS = {"segment", "clv", "retention", "satisfaction", "ladder", "columns"}
_TOP = {"sales", "survey", "members", "referrals", "output", "history", "as_of", "lang"}
HISTORY_COLUMNS = ("customers", "revenue", "top20_share", "gini", "repeat_customer_rate", "total_clv",
                   "mean_p_alive", "retention_1", "regular_or_above", "net_upgrades", "satisfaction_index", "nps")


@dataclass
class ReportConfig:
    """What the monthly report reads and how each analysis is set (``crmkit.toml``)."""

    sales: str
    output: str
    survey: str | None = None
    members: str | None = None
    referrals: str | None = None
    history: str | None = None
    as_of: str | None = None
    lang: str = "en"
    segment: dict = field(default_factory=dict)
    clv: dict = field(default_factory=dict)
    retention: dict = field(default_factory=dict)
    satisfaction: dict = field(default_factory=dict)
    ladder: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)


def load_config(path: str) -> ReportConfig:
    """Read ``crmkit.toml``; relative paths are taken from the config file's folder.

    Example::

        sales = "sales.csv"
        survey = "survey.csv"                      # optional, also members / referrals
        output = "reports/crm-{yyyy}-{mm}.xlsx"
        as_of = "last-month-end"                   # or a date, today, yesterday, month-end
        lang = "zh"
        [segment]
        scheme = "standard"
        [clv]
        horizon = "12m"
        margin = 0.3
        [retention]
        period = "month"
    """
    data, _ = read_toml(path, flag="--config", what="config file")
    file = Path(path)
    unknown = set(data) - _TOP - _SECTIONS
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))}", file=path,
                          hint="allowed: " + ", ".join(sorted(_TOP | _SECTIONS)))
    for key in ("sales", "output"):
        if not data.get(key):
            raise ConfigError(f"'{key}' is required", file=path)
    for key in _SECTIONS:
        if not isinstance(data.get(key, {}), dict):
            raise ConfigError(f"[{key}] must be a table", file=path)
    base = file.resolve().parent

    def resolve(value):
        return None if value is None else str(value if Path(value).is_absolute() else base / value)

    return ReportConfig(
        sales=resolve(data["sales"]), output=resolve(data["output"]), survey=resolve(data.get("survey")),
        members=resolve(data.get("members")), referrals=resolve(data.get("referrals")),
        history=resolve(data.get("history")), as_of=data.get("as_of"), lang=data.get("lang", "en"),
        **{key: dict(data.get(key, {})) for key in _SECTIONS})


def resolve_date(text: str | None, today: date, last_purchase: date) -> date:
    """An as-of date from words cron jobs use: ``last-month-end``, ``month-end``, ``today``,
    ``yesterday``, a date ``YYYY-MM-DD``; ``None`` or ``last-purchase`` is the last purchase date."""
    if text is None or text == "last-purchase":
        return last_purchase
    word = str(text).strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    if word == "last-month-end":
        return today.replace(day=1) - timedelta(days=1)
    if word == "month-end":
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(f"as-of must be a date YYYY-MM-DD, last-month-end, month-end, today, yesterday or "
                         f"last-purchase, not {text!r}") from None


def render_path(template: str, as_of: date) -> str:
    """``{yyyy}``, ``{mm}``, ``{dd}`` and ``{date}`` in an output path, from the as-of date."""
    values = {"yyyy": f"{as_of.year:04d}", "mm": f"{as_of.month:02d}", "dd": f"{as_of.day:02d}",
              "date": as_of.isoformat()}
    unknown = set(re.findall(r"\{(\w+)\}", template)) - set(values)
    if unknown:
        raise UsageError(f"unknown placeholder(s) {', '.join(sorted(unknown))} in {template}",
                         hint="use {yyyy}, {mm}, {dd} or {date}")
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)


def history_path(config: ReportConfig, output: str) -> str:
    return config.history or str(Path(output).with_name("crmkit-history.sqlite"))


def record_history(path: str, as_of: date, headline: dict) -> None:
    """Store a run's headline numbers; running the same month again replaces that month's row."""
    try:
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE IF NOT EXISTS headline (month TEXT PRIMARY KEY, as_of TEXT, recorded_at TEXT, "
                       + ", ".join(f"{c} REAL" for c in HISTORY_COLUMNS) + ")")
            db.execute(f"INSERT OR REPLACE INTO headline VALUES ({', '.join('?' * (3 + len(HISTORY_COLUMNS)))})",
                       [as_of.strftime("%Y-%m"), as_of.isoformat(), datetime.now().isoformat(timespec="seconds")]
                       + [headline.get(c) for c in HISTORY_COLUMNS])
    except sqlite3.Error as exc:
        raise OutputError(f"cannot write the history database: {exc}", file=path) from None


def read_history(path: str, months: int = 12):
    """The last ``months`` rows of the history (oldest first), as a DataFrame (empty when none)."""
    import pandas as pd

    if not Path(path).is_file():
        return pd.DataFrame(columns=["month", *HISTORY_COLUMNS])
    try:
        with sqlite3.connect(path) as db:
            frame = pd.read_sql_query(f"SELECT month, {', '.join(HISTORY_COLUMNS)} FROM headline "
                                      f"ORDER BY month DESC LIMIT {int(months)}", db)
    except (sqlite3.Error, pd.errors.DatabaseError) as exc:
        raise OutputError(f"cannot read the history database: {exc}", file=path) from None
    return frame.iloc[::-1].reset_index(drop=True)


@dataclass
class MonthlyReport:
    """The analyses of one run, its headline numbers and where it goes."""

    as_of: date
    output: str
    history: str
    headline: dict
    segment: object
    clv: object
    ladder: tuple
    retention: object
    satisfaction: object = None
    quality: object = None


def run_monthly(config: ReportConfig, *, today: date, read_options: dict | None = None) -> MonthlyReport:
    """Read every configured input and run every analysis (nothing is written here)."""
    from crmkit.clv import customer_lifetime_value
    from crmkit.io.purchases import read_purchases
    from crmkit.io.inputs import read_members, read_referrals, read_survey
    from crmkit.ladder import ladder_at_two_dates, load_rules, migration_summary, month_before
    from crmkit.retention import cohort_retention
    from crmkit.segment import segment

    columns = {"customer_id": config.columns.get("customer"), "date": config.columns.get("date"),
               "amount": config.columns.get("amount"), "order_id": config.columns.get("order_id")}
    data = read_purchases(config.sales, columns=columns, **(read_options or {}))
    as_of = resolve_date(config.as_of, today, data.quality.last_date)
    data.resolve_as_of(as_of)
    output = render_path(config.output, as_of)
    seg = segment(data, as_of, bins=int(config.segment.get("bins", 5)),
                  scheme=config.segment.get("scheme", "standard"), lang=config.lang)
    referrals = read_referrals(config.referrals) if config.referrals else None
    clv = customer_lifetime_value(data, as_of, model=config.clv.get("model", "bgnbd"),
                                  unit=config.clv.get("unit", "week"), horizon=config.clv.get("horizon", "52w"),
                                  discount=float(config.clv.get("discount", 0.10)), margin=config.clv.get("margin"),
                                  referrals=referrals)
    sat = signals = None
    if config.survey:
        from crmkit.satisfaction import analyse_survey, survey_signals

        frame, first_row = read_survey(config.survey)
        model = config.satisfaction.get("model", "ecsi")
        sat = analyse_survey(frame, model, scale=config.satisfaction.get("scale"), first_row=first_row,
                             source=config.survey)
        signals = survey_signals(frame, model, source=config.survey, result=sat)
    members = read_members(config.members) if config.members else None
    rules = load_rules(config.ladder["rules"]) if config.ladder.get("rules") else None
    before, after, matrix = ladder_at_two_dates(data.transactions, as_of, month_before(as_of), members=members,
                                                survey=signals, referrals=referrals, rules=rules, lang=config.lang)
    ret = cohort_retention(data, as_of, period=config.retention.get("period", "month"))
    moves = migration_summary(matrix).set_index("movement")["people"]
    dist = after.distribution.set_index("rung")["share"]
    headline = {
        **{k: v for k, v in seg.headline.items() if k != "as_of"},
        "total_clv": float(clv.customers["clv"].sum()),
        "mean_p_alive": float(clv.customers["p_alive"].mean()),
        "retention_1": ret.summary.get("retention_1"),
        "regular_or_above": float(dist[["regular", "supporter", "advocate"]].sum()),
        "net_upgrades": int(moves.get("moved_up", 0) - moves.get("slipped_down", 0)),
        "satisfaction_index": sat.index.get(sat.model.target) if sat else None,
        "nps": sat.nps["nps"] if sat and sat.nps else None,
    }
    return MonthlyReport(as_of=as_of, output=output, history=history_path(config, output), headline=headline,
                         segment=seg, clv=clv, ladder=(before, after, matrix), retention=ret, satisfaction=sat,
                         quality=data.quality)


def write_monthly_report(report: MonthlyReport, *, lang: str = "en", protect=()) -> str:
    """Write the workbook (Overview first, then every analysis' sheets), then record the month.

    The history is written only after the workbook is safely in place, so a failed run changes
    neither last month's report nor the history.
    """
    import pandas as pd

    from crmkit.report.excel import ReportWorkbook
    from crmkit.report.sheets import (add_clv_sheets, add_ladder_sheets, add_retention_sheets, add_satisfaction_sheets,
                               add_segment_sheets, column_ref)

    folder = Path(report.output).parent
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
    book = ReportWorkbook(lang)
    rows = [("as_of", report.as_of)] + [(k, v) for k, v in report.headline.items() if v is not None]
    # the ladder distribution, top rung first, as the loyalty part of the overview
    after = report.ladder[1]
    rows += [(row.rung_label, row.share) for row in after.distribution.iloc[::-1].itertuples()]
    overview = book.add_key_values("sheet:overview", rows, title="title:overview",
                                   number_formats={"top20_share": "0.0%", "repeat_customer_rate": "0.0%",
                                                   "retention_1": "0.0%", "regular_or_above": "0.0%",
                                                   "mean_p_alive": "0.0%", "gini": "0.000", "nps": "0.0",
                                                   "satisfaction_index": "0.0", "net_upgrades": "#,##0",
                                                   **{row.rung_label: "0.0%" for row in
                                                      after.distribution.itertuples()}})
    history = read_history(report.history, 12)
    current = pd.DataFrame([{"month": report.as_of.strftime("%Y-%m"),
                             **{c: report.headline.get(c) for c in HISTORY_COLUMNS}}])
    trend = pd.concat([history[history["month"] != current["month"].iloc[0]], current], ignore_index=True)
    trend = trend.tail(12).reset_index(drop=True)
    span = book.add_table("sheet:overview", trend, title="title:trend", start_row=overview.last_row + 3,
                          freeze_header=False, autofilter=False)
    columns = list(trend.columns)
    anchor_col = max(overview.last_col, span.last_col) + 2
    for n, (series, title) in enumerate((("revenue", "chart:trend_revenue"), ("total_clv", "chart:trend_clv"),
                                         ("repeat_customer_rate", "chart:trend_loyalty"),
                                         ("satisfaction_index", "chart:trend_satisfaction"))):
        if trend[series].notna().any():
            book.add_line_chart("sheet:overview", data_ref=column_ref(span, columns, series),
                                categories_ref=column_ref(span, columns, "month", header=False),
                                anchor=f"{_column(anchor_col)}{1 + 18 * n}", title=title)
    add_segment_sheets(book, report.segment, report.quality)
    add_clv_sheets(book, report.clv)
    add_ladder_sheets(book, *report.ladder)
    add_retention_sheets(book, report.retention)
    if report.satisfaction is not None:
        add_satisfaction_sheets(book, report.satisfaction)
    book.save(report.output, protect=protect)
    record_history(report.history, report.as_of, report.headline)
    return report.output


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
