"""The monthly CRM report: every analysis in one workbook, with a history of headline numbers.

``crmkit report`` runs segment, clv, ladder, retention, (when a survey is configured)
satisfaction and the customer side (:mod:`crmkit.monthly.customers`: preferences, and with an
attributes file the profile and the care calendar) on the same purchases, writes one workbook
whose first sheet is an Overview of the numbers CRM theory asks for — value, loyalty, retention,
satisfaction — and keeps each run's headline numbers in a SQLite history next to the report, so
the Overview can show the trend.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from crmkit.monthly.config import ReportConfig, history_path, load_config, render_path, resolve_date
from crmkit.monthly.history import HISTORY_COLUMNS, read_history, record_history
from crmkit.report.files import OutputPlan, Target

__all__ = [
    "HISTORY_COLUMNS",
    "STALE_DAYS",
    "MonthlyReport",
    "ReportConfig",
    "customer_table",
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
    from crmkit.care import CareCalendar
    from crmkit.clv import ClvResult
    from crmkit.io.quality import DataQuality
    from crmkit.ladder import LadderComparison
    from crmkit.monthly.effects import EffectSide
    from crmkit.preferences import Preferences
    from crmkit.profile import Structure
    from crmkit.retention import RetentionResult
    from crmkit.satisfaction import SatisfactionResult
    from crmkit.segment import SegmentResult

#: Days past the last purchase after which the as-of date is stale (``[report] stale_days``).
STALE_DAYS = 45

# The catalogue's template (crmkit.report.i18n) of the note of each kind of stale or empty period: the
# Overview shows it in the workbook's language, stderr in English.
_PERIOD_NOTES = {"stale": "msg:stale_period", "empty": "msg:empty_months"}


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
    profile, preferences, care
        The customer structure, preferences and care calendar (:mod:`crmkit.monthly.customers`):
        ``profile`` and ``care`` are None without an attributes file, ``preferences`` without a
        channel, category or product column.
    attributes : str, optional
        The attributes file they were read from.
    effects : crmkit.monthly.effects.EffectSide, optional
        The economics, and the campaign, loyalty-programme and complaints analyses configured.
    quality : DataQuality
        What the reader did with the purchase export.
    periods : list of (str, dict)
        Stale or empty periods found (``"stale"``, ``"empty"``) and their facts: see :attr:`warnings`.
    customers : str
        The ``--customers`` policy of the customer-level sheets (``all``, ``top:N``, ``none``).
    customers_out : str, optional
        Where the full per-customer table (:func:`customer_table`) is written, if anywhere (``-``:
        standard output).
    customers_format : {"csv", "json", "parquet"}, optional
        Its format (default: by the extension of ``customers_out``, else csv).
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
    profile: Structure | None = None
    preferences: Preferences | None = None
    care: CareCalendar | None = None
    attributes: str | None = None
    effects: EffectSide | None = None
    periods: list[tuple[str, dict]] = field(default_factory=list)
    customers: str | None = None
    customers_out: str | None = None
    customers_format: str | None = None

    def notes(self, lang: str = "en") -> list[str]:
        """The stale or empty periods, one sentence each, in ``lang`` (the Overview's notes)."""
        from crmkit.report.i18n import sentence

        return [sentence(_PERIOD_NOTES[kind], lang, **facts) for kind, facts in self.periods]

    @property
    def warnings(self) -> list[str]:
        """What ``crmkit report`` warns about on stderr: stale or empty periods, customer sheets cut short."""
        from crmkit.report.sheets import customer_warnings

        cut = customer_warnings(
            self.segment, self.clv, self.ladder, customers=self.customers, full="--customers-out FILE.parquet"
        )
        return self.notes("en") + cut


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
    from crmkit.io.complaints import read_complaints
    from crmkit.io.databases import as_database
    from crmkit.io.inputs import read_referrals
    from crmkit.io.purchases import ON_REQUEST, OPTIONAL_ROLES, read_purchases
    from crmkit.monthly.customers import customer_analyses
    from crmkit.monthly.effects import effect_analyses
    from crmkit.retention import cohort_retention
    from crmkit.segment import segment

    columns = {
        "customer_id": config.columns.get("customer"),
        "date": config.columns.get("date"),
        "amount": config.columns.get("amount"),
        "order_id": config.columns.get("order_id"),
    }
    source = as_database(config.sales, config.table, config.query)
    # every optional column, hour and discount too: the preferences read them
    read_options = {"keep": (*OPTIONAL_ROLES, *ON_REQUEST), **(read_options or {})}
    data = read_purchases(source, columns=columns, platform=config.platform, **read_options)
    # the last purchase, not a later return, is the default analysis date
    last_purchase = data.quality.last_purchase or data.quality.last_date
    assert last_purchase is not None, "read_purchases raises DataError when no row is usable"
    as_of = resolve_date(config.as_of, today, last_purchase)
    data.resolve_as_of(as_of)
    periods = _stale_or_empty(data, as_of, int(config.report.get("stale_days", STALE_DAYS)))
    output = render_path(config.output, as_of)
    if check_outputs is not None:
        check_outputs(output, history_path(config, output))
    referrals = read_referrals(config.referrals) if config.referrals else None
    # One after the other, not in a thread beside the ladder (tried: 0.8x the time): a signal must
    # be able to stop the run at any moment, and a thread inside a native fit cannot be stopped.
    seg = segment(
        data,
        as_of,
        bins=int(config.segment.get("bins", 5)),
        scheme=config.segment.get("scheme", "standard"),
        lang=config.lang,
    )
    data.quality.customers = seg.headline["customers"]  # the Data quality sheet's count, as segment's
    ret = cohort_retention(data, as_of, period=config.retention.get("period", "month"))
    clv = customer_lifetime_value(
        data,
        as_of,
        model=config.clv.get("model", "bgnbd"),
        unit=config.clv.get("unit", "week"),
        horizon=config.clv.get("horizon", "52w"),
        discount=float(config.clv.get("discount", 0.10)),
        margin=config.clv.get("margin"),
        referrals=referrals,
        **{key: config.clv[key] for key in ("interval", "window", "spend_model") if key in config.clv},
    )
    complaints = read_complaints(config.complaints) if config.complaints else None  # read once: ladder, feedback
    sat, _, ladders = _survey_and_ladder(config, data.transactions, as_of, referrals, complaints)
    side = customer_analyses(config, data, as_of, clv)
    data.quality.notes.extend(side.notes)  # said with the read, and on the Data quality sheet
    result = _monthly_result(config, as_of, output, data, periods, seg, clv, ladders, ret, sat)
    result.profile, result.preferences, result.care = side.profile, side.preferences, side.care
    result.attributes = config.attributes
    result.effects = effect_analyses(config, data, as_of, complaints)
    return result


def _survey_and_ladder(config: ReportConfig, transactions, as_of: date, referrals, complaints=None):
    """The survey's analysis (None without one) and signals, and the ladder at two dates (with the
    complaints, an open one holds a person at regular)."""
    from crmkit.io.inputs import read_survey
    from crmkit.ladder import compare_ladders

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
        transactions,
        as_of,
        survey=signals,
        members=config.members or None,
        referrals=referrals,
        rules=config.ladder.get("rules") or None,
        lang=config.lang,
        complaints=complaints,
    )
    return sat, signals, ladders


def _monthly_result(config, as_of, output, data, periods, seg, clv, ladders, ret, sat) -> MonthlyReport:
    """The headline numbers of the analyses, and the report they make."""
    after = ladders.after
    moves = ladders.summary.set_index("movement")["people"]
    dist = after.distribution.set_index("rung")["share"]
    headline = {
        **_month_figures(data, as_of),
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
        periods=periods,
        customers=config.report.get("customers"),
    )


def _month_figures(data, as_of: date) -> dict:
    """The as-of month's own figures, from its first day to the as-of date: ``month_revenue`` (the
    net revenue of its rows, returns taken off), ``active_customers`` (who bought in it) and
    ``new_customers`` (whose first purchase is in it).

    Only customers with a purchase up to the as-of date count, as in the segment's revenue: a
    return whose purchase is outside the data is in the Data quality sheet, not in revenue.
    """
    from crmkit.io.engine import money

    row = data.con.execute(
        f"""WITH c AS (
                SELECT min(date::DATE) FILTER (WHERE NOT is_return) AS first_buy,
                       sum({money("amount")}) FILTER (WHERE date::DATE >= ?) AS net,
                       bool_or(NOT is_return AND date::DATE >= ?) AS bought
                FROM tx WHERE date::DATE <= ? GROUP BY customer_id)
            SELECT coalesce(sum(net), 0)::DOUBLE, count(*) FILTER (WHERE bought), count(*) FILTER (WHERE first_buy >= ?)
            FROM c WHERE first_buy IS NOT NULL""",
        [as_of.replace(day=1)] * 2 + [as_of, as_of.replace(day=1)],
    ).fetchall()[0]  # fetchall: a result left open blocks the connection's next query
    return {"month_revenue": float(row[0]), "active_customers": int(row[1]), "new_customers": int(row[2])}


def _stale_or_empty(data, as_of: date, stale_days: int) -> list[tuple[str, dict]]:
    """A stale as-of date (more than ``stale_days`` after the last purchase up to it) and the months
    without purchases among the 12 up to the as-of month (from the first purchase's month on)."""
    rows = data.con.execute(
        "SELECT strftime(date, '%Y-%m') AS month, max(date) FROM tx WHERE NOT is_return AND date <= ? GROUP BY month",
        [as_of],
    ).fetchall()
    found: list[tuple[str, dict]] = []
    last = max((day for _, day in rows), default=None)
    if last is not None and (as_of - last).days > stale_days:
        found.append(("stale", {"as_of": as_of.isoformat(), "days": (as_of - last).days, "last": last.isoformat()}))
    with_purchases = {month for month, _ in rows}
    first = data.quality.first_date or as_of
    months, day = [], as_of.replace(day=1)
    for _ in range(12):
        if day < first.replace(day=1):
            break
        months.append(day.strftime("%Y-%m"))
        day = (day - timedelta(days=1)).replace(day=1)
    empty = [month for month in reversed(months) if month not in with_purchases]
    if empty:
        found.append(("empty", {"months": ", ".join(empty), "count": len(empty)}))
    return found


def customer_table(report: MonthlyReport):
    """Every customer of the run in one table: the segment's columns, then the CLV's and the ladder's.

    One row per customer id of any of the three (the ladder also knows members who never bought);
    a column two tables share is kept from the first and prefixed ``clv_`` or ``ladder_`` from the
    others, so nothing is silently taken for the same measure (the CLV ``frequency`` counts repeat
    purchases, the segment's every purchase).
    """
    table = report.segment.customers
    for prefix, frame in (("clv_", report.clv.customers), ("ladder_", report.ladder.after.people)):
        taken = set(table.columns) - {"customer_id"}
        frame = frame.rename(columns={c: prefix + c for c in frame.columns if c in taken})
        table = table.merge(frame, on="customer_id", how="outer", sort=False)
    return table


def write_monthly_report(report: MonthlyReport, *, lang: str = "en", protect=(), plan: OutputPlan | None = None) -> str:
    """Write the workbook (Overview first, then every analysis' sheets) and record the month.

    Both are one :class:`~crmkit.report.files.OutputPlan`: the workbook is renamed into place
    and then the history's transaction commits, so a failed or interrupted run changes neither
    last month's report nor the history, and the history never records a workbook that was
    not written. With ``plan``, both are put in place when that plan commits (the outputs
    added to it before, by :func:`report`, are reused). ``report.customers_out``, when set, is
    written in the same plan: the full :func:`customer_table` as CSV, JSON or Parquet.
    """
    import pandas as pd

    from crmkit.monthly.customers import CustomerSide, add_customer_sheets
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
    book = ReportWorkbook(lang, title="title:monthly_report", as_of=report.as_of)
    history = read_history(report.history, 12)
    current = pd.DataFrame(
        [{"month": report.as_of.strftime("%Y-%m"), **{c: report.headline.get(c) for c in HISTORY_COLUMNS}}]
    )
    trend = pd.concat([history[history["month"] != current["month"].iloc[0]], current], ignore_index=True)
    trend = trend.tail(12).reset_index(drop=True)
    policy = report.customers
    add_overview_sheet(
        book, report.as_of, report.headline, report.ladder.after.distribution, trend, notes=report.notes(lang)
    )
    add_segment_sheets(book, report.segment, report.quality, customers=policy)
    add_clv_sheets(book, report.clv, customers=policy)
    add_ladder_sheets(book, report.ladder.before, report.ladder.after, report.ladder.matrix, customers=policy)
    add_retention_sheets(book, report.retention)
    if report.satisfaction is not None:
        add_satisfaction_sheets(book, report.satisfaction)
    side = CustomerSide(profile=report.profile, preferences=report.preferences, care=report.care)
    add_customer_sheets(book, side, customers=policy, attributes_file=report.attributes)
    if report.effects is not None:
        from crmkit.monthly.effects import add_effect_sheets

        add_effect_sheets(book, report.effects, customers=policy)
    book.save(workbook)
    if report.customers_out:
        from crmkit.report.tables import write_frame

        fmt = _customers_format(report.customers_out, report.customers_format)
        target = _customers_target(plan, report.customers_out, fmt, workbook)
        write_frame(customer_table(report), fmt, target)
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
    customers: str | None = None,
    customers_out: str | None = None,
    stale_days: int | None = None,
    customers_format: str | None = None,
    table: str | None = None,
    query: str | None = None,
    platform: str | None = None,
    attributes: str | None = None,
    campaign: str | None = None,
    loyalty: str | None = None,
    complaints: str | None = None,
) -> MonthlyReport:
    """Run the monthly job and write its workbook, then its history: ``crmkit.report(...)``.

    Parameters
    ----------
    sales : str, optional
        The purchase export (instead of ``config``), or a database URL with ``table`` or ``query``.
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
    customers : {"all", "top:N", "none"}, optional
        Rows of the Customers, CLV customers and Ladder people sheets (default the config's
        ``[report] customers``, else ``top:100000``: the most valuable, with a note on the sheet).
    customers_out : str, optional
        Also write every customer (:func:`customer_table`) here (``-``: standard output), checked
        before anything is read and put in place with the workbook.
    customers_format : {"csv", "json", "parquet"}, optional
        The format of ``customers_out`` (default: by its extension, else csv).
    stale_days : int, optional
        Warn when the as-of date is more than this many days after the last purchase (default
        the config's ``[report] stale_days``, else 45); :attr:`MonthlyReport.warnings`.
    table, query : str, optional
        With a database URL as ``sales``: the table, or the SELECT, that gives the purchases
        (:mod:`crmkit.io.databases`; the config's ``table`` / ``query``).
    platform : str, optional
        The platform whose order export ``sales`` is (``--platform``; the config's ``platform``):
        a name, a platform file, ``"none"``; default: from the header (:mod:`crmkit.io.platforms`).
    attributes : str, optional
        The customer attributes file (``--attributes``; the config's ``attributes``): adds the
        Profile and Care calendar sheets (:mod:`crmkit.monthly.customers`).
    campaign, loyalty, complaints : str, optional
        A campaign's contacts, a points programme's members, a complaints export (``--campaign``,
        ``--loyalty``, ``--complaints``; the config's ``[campaign] file``, ``[loyalty] file``,
        ``complaints``): add the Campaign, Loyalty and Feedback sheets (:mod:`crmkit.monthly.effects`).

    Returns
    -------
    MonthlyReport
        The analyses, headline numbers and the paths written (or that would be written).

    Raises
    ------
    crmkit.errors.UsageError
        Neither ``config`` nor ``sales`` and ``output``; a relative ``as_of`` without ``today``; a
        bad ``customers`` or ``customers_format``; ``customers_format`` without ``customers_out``;
        ``customers_out`` as xlsx, or as parquet to a terminal.
    crmkit.errors.OutputError
        ``customers_out`` is an input, the workbook's file, or standard output when the workbook
        goes there too.
    """
    from crmkit.errors import UsageError
    from crmkit.io.options import check_lang
    from crmkit.report.sheets import customer_policy

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
        ("table", table),
        ("query", query),
        ("platform", platform),
        ("attributes", attributes),
        ("complaints", complaints),
    ):
        if value is not None:
            setattr(settings, key, value.isoformat() if isinstance(value, date) else value)
    for section, file in (("campaign", campaign), ("loyalty", loyalty)):
        if file is not None:
            setattr(settings, section, {**getattr(settings, section), "file": file})
    check_lang(settings.lang)
    settings.report = dict(settings.report)
    if customers is not None:
        settings.report["customers"] = str(customer_policy(customers))
    if stale_days is not None:
        settings.report["stale_days"] = int(stale_days)
    if customers_out is not None or customers_format is not None:
        customers_format = _customers_format(customers_out, customers_format)
    if plan is None:
        with OutputPlan() as own:
            return _report_with_plan(settings, today, check, own, customers_out, customers_format)
    return _report_with_plan(settings, today, check, plan, customers_out, customers_format)


#: What ``--customers-out`` writes: the table in full, so no xlsx (the workbook's sheets are what it completes).
_CUSTOMERS_FORMATS = ("csv", "json", "parquet")


def _customers_format(path: str | None, fmt: str | None = None) -> str:
    """csv, json or parquet: ``--customers-format``, else by the extension of ``--customers-out``, else csv.

    The same rule as ``--format`` and ``-o`` (:func:`crmkit.report.tables.format_for`); ``-`` and
    ``/dev/stdout`` have no extension, so they get csv.
    """
    from crmkit.errors import UsageError
    from crmkit.report.tables import format_for

    if fmt is not None and fmt not in _CUSTOMERS_FORMATS:
        raise UsageError(f"--customers-format must be one of {', '.join(_CUSTOMERS_FORMATS)}, not {fmt!r}")
    if path is None:
        raise UsageError("--customers-format needs --customers-out FILE")
    chosen = fmt or format_for(str(path), None, False)
    if chosen not in _CUSTOMERS_FORMATS:
        raise UsageError(
            f"--customers-out writes {', '.join(_CUSTOMERS_FORMATS)}, not {chosen} ({str(path)!r})",
            hint="the workbook is -o; choose the table's format with --customers-format",
        )
    return chosen


def _customers_target(plan: OutputPlan, path: str, fmt: str, *taken: Target | None) -> Target:
    """``--customers-out``'s target in ``plan``: never one of ``taken`` (the workbook's), never binary to a terminal."""
    from crmkit.errors import UsageError
    from crmkit.report.tables import BINARY_FORMATS

    target = plan.find(path)
    if target is None or any(target is other for other in taken):
        target = plan.add(path)  # refuses a file, or standard output, that another output writes
    if fmt in BINARY_FORMATS and target.to_terminal:
        raise UsageError(
            f"--customers-out: {fmt} is binary: write it to a file (--customers-out FILE.{fmt}), or pipe it",
            hint="--customers-format csv prints it",
        )
    return target


def _report_with_plan(
    settings: ReportConfig,
    today: date | None,
    check: bool,
    plan: OutputPlan,
    customers_out: str | None = None,
    customers_format: str | None = None,
) -> MonthlyReport:
    """:func:`report` once the settings are known: outputs checked first, written into ``plan``."""
    from crmkit.errors import OutputError

    # a table handed in as `sales` is no file to protect
    plan.protect(settings.sales, settings.survey, settings.members, settings.referrals, settings.attributes)
    plan.protect(settings.complaints, settings.campaign.get("file"), settings.loyalty.get("file"))
    customers_to = None
    if customers_out is not None:  # checked before anything is read
        customers_to = _customers_target(plan, customers_out, customers_format or "csv")

    def check_outputs(output: str, history: str) -> None:
        targets = _monthly_targets(plan, output, history)
        # plan.find() hands the workbook the customers' target when both name one path
        if customers_to is not None and customers_to in targets:
            what = "write to standard output" if customers_to.to_stdout else "name one file"
            raise OutputError(f"two outputs {what} (-o and --customers-out)", file=customers_to.name)

    early = _output_before_reading(settings, today)
    if early is not None:  # the workbook's path does not depend on the data: check it before reading
        check_outputs(early, history_path(settings, early))
    result = run_monthly(settings, today=today, check_outputs=check_outputs)
    result.customers_out, result.customers_format = customers_out, customers_format
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
