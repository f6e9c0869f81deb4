"""The monthly CRM report: every analysis in one workbook, with a history of headline numbers.

``crmkit report`` runs segment, clv, ladder, retention and (when a survey is configured)
satisfaction on the same purchases, writes one workbook whose first sheet is an Overview of the
numbers CRM theory asks for — value, loyalty, retention, satisfaction — and keeps each run's
headline numbers in a SQLite history next to the report, so the Overview can show the trend.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from crmkit.monthly.config import ReportConfig, history_path, load_config, render_path, resolve_date
from crmkit.monthly.history import HISTORY_COLUMNS, read_history, record_history
from crmkit.report.files import OutputPlan, Target

__all__ = [
    "HISTORY_COLUMNS",
    "MonthlyReport",
    "ReportConfig",
    "load_config",
    "read_history",
    "record_history",
    "render_path",
    "report",
    "resolve_date",
    "run_monthly",
    "write_monthly_report",
]

if TYPE_CHECKING:
    from crmkit.clv import ClvResult
    from crmkit.io.quality import DataQuality
    from crmkit.ladder import LadderComparison
    from crmkit.retention import RetentionResult
    from crmkit.satisfaction import SatisfactionResult
    from crmkit.segment import SegmentResult


@dataclass
class MonthlyReport:
    """The analyses of one run, its headline numbers and where it goes.

    Attributes
    ----------
    as_of : datetime.date
    output, history : str
        The workbook and the history database (written by :func:`write_monthly_report`).
    headline : dict
        The numbers the Overview shows and the history keeps (:data:`HISTORY_COLUMNS`).
    segment, clv, ladder, retention, satisfaction
        Each analysis' result (``satisfaction`` is None without a survey).
    quality : DataQuality
        What the reader did with the purchase export.
    """

    as_of: date
    output: str
    history: str
    headline: dict
    segment: SegmentResult
    clv: ClvResult
    ladder: LadderComparison
    retention: RetentionResult
    quality: DataQuality
    satisfaction: SatisfactionResult | None = None


def run_monthly(
    config: ReportConfig,
    *,
    today: date | None = None,
    read_options: dict | None = None,
    check_outputs: Callable[[str, str], object] | None = None,
) -> MonthlyReport:
    """Read every configured input and run every analysis (nothing is written here).

    ``check_outputs(workbook, history)`` is called with the two output paths as soon as they
    are known (the workbook's may depend on the as-of date, hence on the data), before any
    analysis runs: a bad output path fails before the work, not after it.
    """
    from crmkit.clv import customer_lifetime_value
    from crmkit.io.inputs import read_referrals, read_survey
    from crmkit.io.purchases import read_purchases
    from crmkit.ladder import compare_ladders
    from crmkit.retention import cohort_retention
    from crmkit.segment import segment

    columns = {
        "customer_id": config.columns.get("customer"),
        "date": config.columns.get("date"),
        "amount": config.columns.get("amount"),
        "order_id": config.columns.get("order_id"),
    }
    data = read_purchases(config.sales, columns=columns, **(read_options or {}))
    # the last purchase, not a later return, is the default analysis date
    last_purchase = data.quality.last_purchase or data.quality.last_date
    assert last_purchase is not None, "read_purchases raises DataError when no row is usable"
    as_of = resolve_date(config.as_of, today, last_purchase)
    data.resolve_as_of(as_of)
    output = render_path(config.output, as_of)
    if check_outputs is not None:
        check_outputs(output, history_path(config, output))
    seg = segment(
        data,
        as_of,
        bins=int(config.segment.get("bins", 5)),
        scheme=config.segment.get("scheme", "standard"),
        lang=config.lang,
    )
    referrals = read_referrals(config.referrals) if config.referrals else None
    clv = customer_lifetime_value(
        data,
        as_of,
        model=config.clv.get("model", "bgnbd"),
        unit=config.clv.get("unit", "week"),
        horizon=config.clv.get("horizon", "52w"),
        discount=float(config.clv.get("discount", 0.10)),
        margin=config.clv.get("margin"),
        referrals=referrals,
    )
    sat = signals = None
    survey_model = config.satisfaction.get("model", "ecsi")
    if config.survey:
        from crmkit.satisfaction import analyse_survey, survey_signals

        # read and estimate once: the ladder takes its satisfaction and recommend from this result
        frame, first_row = read_survey(config.survey)
        csat_scale = config.satisfaction.get("csat_scale")
        sat = analyse_survey(
            frame,
            survey_model,
            scale=config.satisfaction.get("scale"),
            csat_scale=csat_scale,
            ces_scale=config.satisfaction.get("ces_scale"),
            first_row=first_row,
            source=config.survey,
        )
        signals = survey_signals(frame, survey_model, source=config.survey, result=sat, csat_scale=csat_scale)
    ladders = compare_ladders(
        data.transactions,
        as_of,
        survey=signals,
        members=config.members or None,
        referrals=referrals,
        rules=config.ladder.get("rules") or None,
        lang=config.lang,
    )
    after = ladders.after
    ret = cohort_retention(data, as_of, period=config.retention.get("period", "month"))
    moves = ladders.summary.set_index("movement")["people"]
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
    return MonthlyReport(
        as_of=as_of,
        output=output,
        history=history_path(config, output),
        headline=headline,
        segment=seg,
        clv=clv,
        ladder=ladders,
        retention=ret,
        satisfaction=sat,
        quality=data.quality,
    )


def write_monthly_report(report: MonthlyReport, *, lang: str = "en", protect=(), plan: OutputPlan | None = None) -> str:
    """Write the workbook (Overview first, then every analysis' sheets) and record the month.

    Both are one :class:`~crmkit.report.files.OutputPlan`: the workbook is renamed into place
    and then the history's transaction commits, so a failed or interrupted run changes neither
    last month's report nor the history, and the history never records a workbook that was
    not written. With ``plan``, both are put in place when that plan commits (the outputs
    added to it before, by :func:`report`, are reused).
    """
    import pandas as pd

    from crmkit.report.excel import ReportWorkbook
    from crmkit.report.sheets import (
        add_clv_sheets,
        add_ladder_sheets,
        add_overview_sheet,
        add_retention_sheets,
        add_satisfaction_sheets,
        add_segment_sheets,
    )

    if plan is None:
        with OutputPlan(protect) as own:
            return write_monthly_report(report, lang=lang, plan=own)
    workbook, history_to = _monthly_targets(plan, report.output, report.history)
    book = ReportWorkbook(lang)
    history = read_history(report.history, 12)
    current = pd.DataFrame(
        [{"month": report.as_of.strftime("%Y-%m"), **{c: report.headline.get(c) for c in HISTORY_COLUMNS}}]
    )
    trend = pd.concat([history[history["month"] != current["month"].iloc[0]], current], ignore_index=True)
    trend = trend.tail(12).reset_index(drop=True)
    add_overview_sheet(book, report.as_of, report.headline, report.ladder.after.distribution, trend)
    add_segment_sheets(book, report.segment, report.quality)
    add_clv_sheets(book, report.clv)
    add_ladder_sheets(book, report.ladder.before, report.ladder.after, report.ladder.matrix)
    add_retention_sheets(book, report.retention)
    if report.satisfaction is not None:
        add_satisfaction_sheets(book, report.satisfaction)
    book.save(workbook)
    record_history(history_to, report.as_of, report.headline)
    return report.output


def _monthly_targets(plan: OutputPlan, output: str, history: str) -> tuple[Target, Target]:
    """The workbook's and the history's targets in ``plan`` (added now unless added before)."""
    # the report's {yyyy}/{mm} folders are created when missing
    workbook = plan.find(output) or plan.add(output, create_folder=True)
    return workbook, plan.find(history, database=True) or plan.add(history, database=True, create_folder=True)


def report(
    sales=None,
    output: str | None = None,
    *,
    config: str | None = None,
    survey: str | None = None,
    members: str | None = None,
    referrals: str | None = None,
    as_of=None,
    history: str | None = None,
    lang: str | None = None,
    today: date | None = None,
    check: bool = False,
    plan: OutputPlan | None = None,
) -> MonthlyReport:
    """Run the monthly job and write its workbook, then its history: ``crmkit.report(...)``.

    Parameters
    ----------
    sales : str, optional
        The purchase export (instead of ``config``).
    output : str, optional
        The workbook path; ``{yyyy}``, ``{mm}``, ``{dd}``, ``{date}`` come from the as-of date.
    config : str, optional
        A ``crmkit.toml`` (:func:`crmkit.monthly.config.load_config`); the other arguments, when
        given, override its values.
    survey, members, referrals, history : str, optional
        The other inputs and the history database (default ``crmkit-history.sqlite`` beside the
        workbook).
    as_of : date or str, optional
        A date, or ``last-month-end``, ``month-end``, ``today``, ``yesterday`` (which need
        ``today``: the library never reads the clock itself), ``last-purchase`` (the default).
    lang : {"en", "zh"}, optional
        Default: the config's, else ``"en"``.
    today : datetime.date, optional
        The day relative dates count from (the CLI passes the real date).
    check : bool
        Read every input and run every analysis, check the outputs, write nothing.
    plan : crmkit.report.files.OutputPlan, optional
        Put the workbook and the history in place when this plan commits (the command line's
        plan of the run) instead of before returning.

    Returns
    -------
    MonthlyReport
        The analyses, headline numbers and the paths written (or that would be written).

    Raises
    ------
    crmkit.errors.UsageError
        Neither ``config`` nor ``sales`` and ``output``; a relative ``as_of`` without ``today``.
    """
    from crmkit.errors import UsageError
    from crmkit.io.options import check_lang

    if config:
        settings = load_config(config)
    elif sales is not None and output:
        settings = ReportConfig(sales=sales, output=output)
    else:
        raise UsageError("give --config crmkit.toml, or a purchase export and -o FILE.xlsx")
    for key, value in (
        ("survey", survey),
        ("members", members),
        ("referrals", referrals),
        ("output", output),
        ("as_of", as_of),
        ("history", history),
        ("lang", lang),
    ):
        if value is not None:
            setattr(settings, key, value.isoformat() if isinstance(value, date) else value)
    check_lang(settings.lang)
    if plan is None:
        with OutputPlan() as own:
            return _report_with_plan(settings, today, check, own)
    return _report_with_plan(settings, today, check, plan)


def _report_with_plan(settings: ReportConfig, today: date | None, check: bool, plan: OutputPlan) -> MonthlyReport:
    """:func:`report` once the settings are known: outputs checked first, written into ``plan``."""
    # a table handed in as `sales` is no file to protect
    plan.protect(settings.sales, settings.survey, settings.members, settings.referrals)
    early = _output_before_reading(settings, today)
    if early is not None:  # the workbook's path does not depend on the data: check it before reading
        _monthly_targets(plan, early, history_path(settings, early))
    result = run_monthly(settings, today=today, check_outputs=lambda *paths: _monthly_targets(plan, *paths))
    if not check:
        write_monthly_report(result, lang=settings.lang, plan=plan)
    return result


def _output_before_reading(settings: ReportConfig, today: date | None) -> str | None:
    """The workbook path when it can be known without the data (no as-of placeholder, or a given as-of)."""
    if not re.search(r"\{\w+\}", settings.output):
        return settings.output
    if settings.as_of in (None, "last-purchase") or (today is None and not _is_date(settings.as_of)):
        return None
    return render_path(settings.output, resolve_date(settings.as_of, today, date.min))


def _is_date(text) -> bool:
    try:
        date.fromisoformat(str(text).strip())
    except ValueError:
        return False
    return True
