"""The Recommendations sheet: how the lists were made, how well the method finds the next purchase, and
the lists.

What :func:`crmkit.recommend.recommend` made and, when given, what :func:`crmkit.recommend.evaluate`
measured: the method and its settings; hit rate and NDCG of the method against the popularity
baseline, their difference with its 95% interval and the customers evaluated, with a chart of the
two; then every customer's list (rank, item, source, reason, score), under the ``--customers``
policy: a cut keeps whole lists, never a customer's first ranks without the rest.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crmkit.report.excel import ReportWorkbook, cell_name
from crmkit.report.i18n import LABELS, label, sentence
from crmkit.report.sheets._layout import _CHART_GAP, CustomerPolicy, customer_policy
from crmkit.report.sheets.preferences import note_lines, note_texts

if TYPE_CHECKING:
    from crmkit.recommend import Evaluation, Recommendations

__all__ = ["add_recommend_sheets"]

_SHEET = "sheet:recommendations"
_COLUMNS = {
    "customer_id": "customer_id",
    "rank": "recommend:rank",
    "item": "recommend:item",
    "source": "recommend:source",
    "reason": "recommend:reason",
    "score": "recommend:score",
}
_FMT_RATE = "0.000"
# a difference reads with its sign: +0.063, −0.007
_FMT_DIFFERENCE = "+0.000;-0.000;0.000"
_CHART_WIDTH = 12.0


def add_recommend_sheets(
    book: ReportWorkbook,
    recs: Recommendations,
    evaluation: Evaluation | None = None,
    *,
    customers: str | CustomerPolicy | None = None,
) -> None:
    """Add the Recommendations sheet: settings, the offline evaluation (when given) and the lists.

    Parameters
    ----------
    book : ReportWorkbook
        Workbook being assembled; its ``lang`` decides every label (the reasons are those of
        ``recs.lang``).
    recs : crmkit.recommend.Recommendations
        Output of :func:`crmkit.recommend.recommend`.
    evaluation : crmkit.recommend.Evaluation, optional
        Output of :func:`crmkit.recommend.evaluate`; without it the sheet has no evaluation table.
    customers : {"all", "top:N", "none"}, optional
        Customers whose lists are listed (:func:`~crmkit.report.sheets._layout.customer_policy`):
        all, the first N by customer id (each with all their rows) with a note saying how many were
        left out, or none. Default ``top:100000``.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.recommend import recommend
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "b", "c"], "amount": [5.0] * 4,
    ...                       "date": ["2024-01-01"] * 4, "product": ["tea", "cup", "tea", "cup"]})
    >>> book = ReportWorkbook("en")
    >>> add_recommend_sheets(book, recommend(sales, n=2, min_support=1))
    >>> book.sheet_titles
    ['Recommendations']
    """
    sheet = _SHEET
    headline = _headline(book, recs)
    # settings show as given (a seed of 0, a count of neighbours), not as money or counts
    formats = {key: "General" for key, value in headline if key.startswith("recommend:param:") or key in recs.params}
    head = book.add_key_values(sheet, headline, title="title:recommendations", number_formats=formats)
    row = head.last_row + 1
    notes = list(recs.notes) + (list(evaluation.notes) if evaluation is not None else [])
    row = note_lines(book, sheet, note_texts(book, notes), row)
    if evaluation is not None:
        row = _add_evaluation(book, evaluation, row + 1)
    _add_lists(book, recs, customers, row + 1)


def _method(book: ReportWorkbook, method: str) -> str:
    key = f"recommend:method:{method}"
    return book.label(key) if key in LABELS else str(method)


def _headline(book: ReportWorkbook, recs: Recommendations) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("recommend:method", _method(book, recs.method)),
        ("recommend:item_column", book.label(f"analysis:{recs.item_column}")),
        ("recommend:customers", int(recs.customers)),
        ("recommend:rows", len(recs.customer_id)),
        ("as_of", recs.as_of),
    ]
    for name, value in recs.params.items():
        key = f"recommend:param:{name}"
        if isinstance(value, bool):
            shown: Any = book.label("recommend:yes" if value else "recommend:no")
        elif value is None:
            shown = "–"
        elif isinstance(value, (list, tuple, set)):
            shown = ", ".join(str(v) for v in value)
        else:
            shown = value
        rows.append((key if key in LABELS else name, shown))
    return rows


def _add_evaluation(book: ReportWorkbook, evaluation: Evaluation, row: int) -> int:
    """The evaluation table (one row per measure) and its chart; the next free row."""
    method = evaluation.method
    table = pd.DataFrame(
        {
            "measure": [
                sentence("recommend:hit_rate_at", book.lang, n=evaluation.n),
                sentence("recommend:ndcg_at", book.lang, n=evaluation.n),
            ],
            "method": [evaluation.hit_rate, evaluation.ndcg],
            "baseline": [evaluation.baseline_hit_rate, evaluation.baseline_ndcg],
            "difference": [evaluation.hit_rate_difference[0], evaluation.ndcg_difference[0]],
            "low": [evaluation.hit_rate_difference[1], evaluation.ndcg_difference[1]],
            "high": [evaluation.hit_rate_difference[2], evaluation.ndcg_difference[2]],
        }
    )
    table = table.astype(dict.fromkeys(table.columns[1:], float))
    span = book.add_table(
        _SHEET,
        table,
        title=sentence("title:recommend_evaluation", book.lang, n=evaluation.n),
        start_row=row,
        labels={
            "measure": "recommend:measure",
            "method": _method(book, method),
            "baseline": _method(book, "popularity"),
            "difference": "recommend:difference",
            "low": "recommend:low",
            "high": "recommend:high",
        },
        number_formats={"method": _FMT_RATE, "baseline": _FMT_RATE}
        | dict.fromkeys(("difference", "low", "high"), _FMT_DIFFERENCE),
        freeze_header=False,
        autofilter=False,
    )
    counts = book.add_key_values(
        _SHEET,
        [("recommend:evaluated", int(evaluation.customers)), ("recommend:repeat_only", int(evaluation.repeat_only))],
        start_row=span.last_row + 1,
    )
    last = note_lines(book, _SHEET, [_in_words(book, evaluation)], counts.last_row + 1) - 1
    values = np.array([evaluation.hit_rate, evaluation.ndcg, evaluation.baseline_hit_rate, evaluation.baseline_ndcg])
    if np.isfinite(values).any():
        col = max(block.last_col for block in book._sheet(_SHEET).blocks) + _CHART_GAP
        book.add_bar_chart(
            _SHEET,
            # two references, so that the chart keeps a legend naming the method and the baseline
            data_ref=[(span.first_col + k, span.first_row, span.first_col + k, span.last_row) for k in (1, 2)],
            categories_ref=(span.first_col, span.first_row + 1, span.first_col, span.last_row),
            anchor=cell_name(max(span.first_row - 1, 1), col),
            title="chart:recommend_evaluation",
            width=_CHART_WIDTH,
            height=7.0,
            value_format="0.00",
        )
        last = max(last, book.row_below_charts(_SHEET, gap=1) - 1)
    return last + 1


def _in_words(book: ReportWorkbook, evaluation: Evaluation) -> str:
    """The hit-rate difference in a sentence: better, worse or not distinguishable from popularity."""
    mean, low, high = evaluation.hit_rate_difference
    if not all(isinstance(v, float) and math.isfinite(v) for v in (mean, low, high)):
        verdict = "recommend:verdict_unknown"
    elif low > 0:
        verdict = "recommend:verdict_better"
    elif high < 0:
        verdict = "recommend:verdict_worse"
    else:
        verdict = "recommend:verdict_same"
    return sentence(verdict, book.lang, method=_method(book, evaluation.method), n=evaluation.n)


def _add_lists(book: ReportWorkbook, recs: Recommendations, customers, row: int) -> None:
    policy = customer_policy(customers)
    if policy.mode == "none":
        return
    frame = recs.rows()
    frame["source"] = [
        book.label(f"recommend:source:{s}") if f"recommend:source:{s}" in LABELS else s for s in frame["source"]
    ]
    shown = frame[[c for c in _COLUMNS if c in frame.columns] + [c for c in frame.columns if c not in _COLUMNS]]
    ids = pd.unique(shown["customer_id"])
    total = len(ids)
    kept = policy.kept(total)
    title = "title:recommend_lists"
    if kept < total:
        # whole lists: the rows of the first ``kept`` customers (the lists come in customer-id order)
        shown = shown[shown["customer_id"].isin(set(ids[:kept]))]
        by = label(f"order_by:{_SHEET}", book.lang)
        title = sentence("msg:customers_cut", book.lang, kept=kept, total=total, left=total - kept, by=by)
    # a long table: 100,000 lists of 20 do not fit on one Excel sheet
    book.add_long_table(
        _SHEET,
        shown,
        title=title,
        start_row=row,
        labels={c: _COLUMNS.get(c, c) for c in shown.columns},
        number_formats={"rank": "0", "score": "0.000"},
        freeze_header=False,
    )
