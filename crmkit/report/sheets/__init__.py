"""The analysis workbooks: which sheets each analysis adds to a :class:`ReportWorkbook`.

:func:`write_report` writes the results of one or more analyses into one workbook, which is
what every command's ``--report`` does; the ``add_*`` functions add one analysis' sheets to a
workbook being assembled (the monthly report puts them all behind its Overview). Every label
is an i18n key rendered in the workbook's language; the numbers come unchanged from the results.

Modules
-------
segment
    Summary, Segments, Pareto, Customers, Clusters (:func:`add_segment_sheets`, ``HEADLINE_KEYS``).
clv
    CLV model, CLV deciles, P(alive), Holdout, CLV customers (:func:`add_clv_sheets`).
satisfaction
    Index, Paths, Reliability, Drivers, Respondents, Groups (:func:`add_satisfaction_sheets`).
retention
    Retention: the cohort matrix as a heat map and its companion tables (:func:`add_retention_sheets`).
ladder
    Ladder, Migration, Ladder people (:func:`add_ladder_sheets`).
profile
    Profile, Profile mix, Profile customers: the customer structure by attribute (:func:`add_profile_sheets`).
preferences
    Preferences, Bought together, Shopping times, Preference customers (:func:`add_preferences_sheets`).
care
    Care calendar: the birthdays and anniversaries coming up (:func:`add_care_sheets`).
recommend
    Recommendations: settings, the offline evaluation and the lists (:func:`add_recommend_sheets`).
campaign
    Campaign, Loyalty: a campaign's or a points programme's effect (:func:`add_campaign_sheets`,
    :func:`add_loyalty_sheets`).
feedback
    Feedback: complaints by type, channel and month, resolution, what happened next (:func:`add_feedback_sheets`).
contract
    Contract: sBG survival and retention of subscribers, their residual value (:func:`add_contract_sheets`).
economics
    Economics: new vs repeat, retention against acquisition, cost to serve (:func:`add_economics_sheets`).
quality
    Data quality: what the read did to the input (:func:`add_data_quality_sheet`).
overview
    The monthly Overview: key values, the 12-month trend and its charts (:func:`add_overview_sheet`).
_layout
    Where charts go beside a table (``_anchor_right_of``, ``_CHART_GAP``), and the ``--customers``
    policy of the customer-level sheets (:func:`customer_policy`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmkit.errors import UsageError
from crmkit.report.excel import ReportWorkbook
from crmkit.report.sheets._layout import (
    CUSTOMER_ORDER,
    DEFAULT_CUSTOMERS,
    CustomerPolicy,
    customer_policy,
    cut_message,
    top_customers,
)
from crmkit.report.sheets.campaign import add_campaign_sheets, add_loyalty_sheets
from crmkit.report.sheets.care import add_care_sheets
from crmkit.report.sheets.clv import add_clv_sheets
from crmkit.report.sheets.contract import add_contract_sheets
from crmkit.report.sheets.economics import add_economics_sheets
from crmkit.report.sheets.feedback import add_feedback_sheets
from crmkit.report.sheets.ladder import add_ladder_sheets
from crmkit.report.sheets.overview import add_overview_sheet
from crmkit.report.sheets.preferences import add_preferences_sheets
from crmkit.report.sheets.profile import add_profile_sheets
from crmkit.report.sheets.quality import add_data_quality_sheet
from crmkit.report.sheets.recommend import add_recommend_sheets
from crmkit.report.sheets.retention import add_retention_sheets
from crmkit.report.sheets.satisfaction import add_satisfaction_sheets
from crmkit.report.sheets.segment import HEADLINE_KEYS, add_segment_sheets

if TYPE_CHECKING:
    from crmkit.io.quality import DataQuality
    from crmkit.report.files import Target

__all__ = [
    "CUSTOMER_ORDER",
    "DEFAULT_CUSTOMERS",
    "HEADLINE_KEYS",
    "CustomerPolicy",
    "add_campaign_sheets",
    "add_care_sheets",
    "add_clv_sheets",
    "add_contract_sheets",
    "add_data_quality_sheet",
    "add_economics_sheets",
    "add_feedback_sheets",
    "add_ladder_sheets",
    "add_loyalty_sheets",
    "add_overview_sheet",
    "add_preferences_sheets",
    "add_profile_sheets",
    "add_recommend_sheets",
    "add_retention_sheets",
    "add_satisfaction_sheets",
    "add_segment_sheets",
    "customer_policy",
    "customer_warnings",
    "cut_message",
    "top_customers",
    "write_report",
]

# A result exists only once its class's module is imported, so classes are looked up in
# sys.modules rather than imported: writing a segment report never loads the CLV models.
# Each function takes a result of the class named beside it (checked at run time, hence Any).
# The last item is the report's title, printed in each page's header (the first result's).
_RESULT_SHEETS: tuple[tuple[str, str, Callable[..., None], str], ...] = (
    ("crmkit.segment", "SegmentResult", add_segment_sheets, "title:segment_report"),
    ("crmkit.clv", "ClvResult", add_clv_sheets, "title:clv_report"),
    ("crmkit.satisfaction", "SatisfactionResult", add_satisfaction_sheets, "title:satisfaction"),
    ("crmkit.retention", "RetentionResult", add_retention_sheets, "title:retention_report"),
    ("crmkit.profile", "Structure", add_profile_sheets, "title:profile"),
    ("crmkit.preferences", "Preferences", add_preferences_sheets, "title:preferences"),
    ("crmkit.care", "CareCalendar", add_care_sheets, "title:care"),
    ("crmkit.recommend", "Recommendations", add_recommend_sheets, "title:recommendations"),
    ("crmkit.campaign", "CampaignResult", add_campaign_sheets, "title:campaign"),
    ("crmkit.loyalty", "LoyaltyResult", add_loyalty_sheets, "title:loyalty"),
    ("crmkit.feedback", "FeedbackResult", add_feedback_sheets, "title:feedback"),
    ("crmkit.economics", "Economics", add_economics_sheets, "title:economics"),
    ("crmkit.contract", "ContractValue", add_contract_sheets, "title:contract"),
)
# the results whose sheets take the --customers policy
_WITH_CUSTOMERS = (
    add_segment_sheets,
    add_clv_sheets,
    add_profile_sheets,
    add_preferences_sheets,
    add_care_sheets,
    add_recommend_sheets,
    add_campaign_sheets,
    add_loyalty_sheets,
    add_feedback_sheets,
    add_economics_sheets,
    add_contract_sheets,
)
_LADDER_PARTS = ("before", "after", "matrix")
_LADDER_TITLE = "title:ladder_report"


def write_report(
    path: str | os.PathLike | Target,
    *results: object,
    quality: DataQuality | None = None,
    lang: str | None = None,
    protect: Iterable = (),
    customers: str | CustomerPolicy | None = None,
) -> Path:
    """Write the sheets of one or more analysis results into one workbook, atomically.

    Each result adds its sheets, in the order given, by its type:

    ================================================  ===========================
    :class:`crmkit.segment.SegmentResult`              :func:`add_segment_sheets`
    :class:`crmkit.clv.ClvResult`                      :func:`add_clv_sheets`
    :class:`crmkit.satisfaction.SatisfactionResult`    :func:`add_satisfaction_sheets`
    :class:`crmkit.retention.RetentionResult`          :func:`add_retention_sheets`
    :class:`crmkit.profile.Structure`                  :func:`add_profile_sheets`
    :class:`crmkit.preferences.Preferences`            :func:`add_preferences_sheets`
    :class:`crmkit.care.CareCalendar`                  :func:`add_care_sheets`
    :class:`crmkit.recommend.Recommendations`,         :func:`add_recommend_sheets`
    with the :class:`~crmkit.recommend.Evaluation`
    that follows it, if any
    a ladder comparison: an object with ``before``,    :func:`add_ladder_sheets`
    ``after`` and ``matrix``, or that tuple
    ================================================  ===========================

    Parameters
    ----------
    path : str or os.PathLike or crmkit.report.files.Target
        The ``.xlsx`` file to write (its folder must exist), or a target of an
        :class:`~crmkit.report.files.OutputPlan`, put in place when the plan commits.
    *results : object
        At least one analysis result. An :class:`~crmkit.recommend.Evaluation` goes right after
        the :class:`~crmkit.recommend.Recommendations` it evaluates (``write_report(path, recs,
        evaluation)``) and adds its table to their sheet.
    quality : crmkit.io.quality.DataQuality, optional
        What the data layer did to the input; adds the Data quality sheet after all the others.
    lang : {"en", "zh"}, optional
        Language of the labels; when not given, that of the first result that records one (a
        :class:`~crmkit.segment.SegmentResult` does), else English.
    protect : iterable of path
        Input files the report must never overwrite.
    customers : {"all", "top:N", "none"}, optional
        Rows of the customer-level sheets (Customers, CLV customers, Ladder people, Profile
        customers, Preference customers, the occasions of the Care calendar, the lists of
        Recommendations): all of them,
        the N most valuable (:data:`CUSTOMER_ORDER`) with a note saying how many were left out,
        or no such sheet. Default ``top:100000`` (:data:`DEFAULT_CUSTOMERS`);
        :func:`customer_warnings` gives the matching stderr lines.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    crmkit.errors.UsageError
        No result, a result of an unknown type, an Evaluation not right after Recommendations, a
        bad ``customers``, or ``lang`` is not ``"en"`` or ``"zh"``; nothing is written.
    crmkit.errors.OutputError
        The file cannot be written, or ``path`` is one of ``protect``.

    Examples
    --------
    >>> import datetime, pathlib, tempfile, pandas as pd
    >>> from crmkit.retention import cohort_retention
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "b"], "amount": [10.0, 5.0, 7.0],
    ...                       "date": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-01-20"])})
    >>> retention = cohort_retention(sales, datetime.date(2024, 3, 1))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_report(pathlib.Path(folder) / "retention.xlsx", retention)
    ...     path.name
    'retention.xlsx'
    """
    if not results:
        raise UsageError("write_report needs at least one analysis result")
    policy = customer_policy(customers)
    # the page header's date: the first result that has one (every analysis but satisfaction)
    dates = (getattr(r, "as_of", None) for r in results)
    as_of = next((d for d in dates if d is not None), None)
    if as_of is None and quality is not None:
        as_of = quality.as_of
    # the page header's title: what the first result is a report of (satisfaction has no date)
    book = ReportWorkbook(lang or _language_of(results), title=_title_of(results[0]), as_of=as_of)
    for result, evaluation in _with_evaluations(results):
        _sheets_of(result, evaluation)(book, policy)
    if quality is not None:
        add_data_quality_sheet(book, quality)
    return book.save(path, protect=protect)


def _language_of(results: tuple) -> str:
    return next((result.lang for result in results if isinstance(getattr(result, "lang", None), str)), "en")


def _title_of(result: object) -> str | None:
    """The i18n key of the title of a report on ``result``; None for a result of no known type."""
    for module_name, class_name, _, title in _RESULT_SHEETS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(result, getattr(module, class_name)):
            return title
    return _LADDER_TITLE if _ladder_parts(result) is not None else None


def _is_evaluation(result: object) -> bool:
    module = sys.modules.get("crmkit.recommend")
    return module is not None and isinstance(result, module.Evaluation)


def _with_evaluations(results: tuple) -> list[tuple[object, object | None]]:
    """Each result with the Evaluation right after it (the accuracy of a Recommendations' method)."""
    paired: list[tuple[object, object | None]] = []
    for result in results:
        if not _is_evaluation(result):
            paired.append((result, None))
            continue
        module = sys.modules["crmkit.recommend"]
        if not paired or not isinstance(paired[-1][0], module.Recommendations) or paired[-1][1] is not None:
            raise UsageError(
                "an Evaluation is written with the Recommendations it evaluates",
                hint="pass it right after them: write_report(path, recommendations, evaluation)",
            )
        paired[-1] = (paired[-1][0], result)
    return paired


def _sheets_of(result: object, evaluation: object | None = None) -> Callable[[ReportWorkbook, CustomerPolicy], None]:
    """What adds ``result``'s sheets (with its ``evaluation``, for Recommendations) to a workbook; a
    UsageError for a result of no known type."""
    for module_name, class_name, add_sheets, _ in _RESULT_SHEETS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(result, getattr(module, class_name)):
            if add_sheets is add_recommend_sheets:
                # checked by _with_evaluations: None or the Evaluation of these Recommendations
                scored: Any = evaluation
                return lambda book, policy: add_recommend_sheets(book, result, scored, customers=policy)
            if add_sheets in _WITH_CUSTOMERS:
                return lambda book, policy: add_sheets(book, result, customers=policy)
            return lambda book, policy: add_sheets(book, result)
    parts = _ladder_parts(result)
    if parts is not None:
        return lambda book, policy: add_ladder_sheets(book, *parts, customers=policy)
    raise UsageError(
        f"cannot write a report of a {type(result).__name__}",
        hint="pass a SegmentResult, ClvResult, SatisfactionResult, RetentionResult, Structure, Preferences, "
        "CareCalendar, Recommendations (and their Evaluation), CampaignResult, LoyaltyResult, FeedbackResult, "
        "Economics, ContractValue or a ladder comparison (before, after, matrix)",
    )


def _ladder_parts(result: object) -> tuple | None:
    """``(before, after, matrix)`` of a ladder comparison (or that tuple); None for anything else."""
    if isinstance(result, tuple) and len(result) == len(_LADDER_PARTS):
        return result
    if all(hasattr(result, name) for name in _LADDER_PARTS):
        return tuple(getattr(result, name) for name in _LADDER_PARTS)
    return None


def customer_warnings(
    *results: object, customers: str | CustomerPolicy | None = None, lang: str = "en", full: str = "-o FILE.parquet"
) -> list[str]:
    """One line per customer-level sheet of ``results`` that :func:`write_report` cuts short.

    What the command line prints on stderr (``crmkit: warning: ...``) beside the note on the
    sheet: how many customers were left out and how to get them all (``full``: the option writing
    every customer). Sheet names are in ``lang``, the sentence in English as every message is.
    """
    from crmkit.report.i18n import label

    policy = customer_policy(customers)
    tables = []
    for result in results:
        for module_name, class_name, key in (
            ("crmkit.segment", "SegmentResult", "sheet:customers"),
            ("crmkit.clv", "ClvResult", "sheet:clv_customers"),
            ("crmkit.profile", "Structure", "sheet:profile_customers"),
            ("crmkit.preferences", "Preferences", "sheet:preferences_customers"),
            ("crmkit.care", "CareCalendar", "sheet:care"),
            ("crmkit.recommend", "Recommendations", "sheet:recommendations"),
        ):
            module = sys.modules.get(module_name)
            if module is not None and isinstance(result, getattr(module, class_name)):
                tables.append((key, _rows_of(key, result)))
        parts = _ladder_parts(result)
        if parts is not None:
            tables.append(("sheet:ladder_people", len(parts[1].people)))
    return [
        cut_message(label(key, lang), policy.kept(total), total, key, full)
        for key, total in tables
        if policy.mode == "top" and policy.kept(total) < total
    ]


def _rows_of(sheet_key: str, result) -> int:
    """The rows a customer-level sheet would show uncut: customers (occasions on the Care calendar, whose
    rows are cut one by one)."""
    if sheet_key == "sheet:care":
        return len(result.occasions)
    if sheet_key == "sheet:recommendations":
        return len(set(result.customer_id.tolist()))
    return len(result.customers)
