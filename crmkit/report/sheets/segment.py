"""The segmentation sheets: Summary, Segments, Pareto, Customers and Clusters (with ``--clusters``).

Every label is an i18n key rendered in the workbook's language; the numbers come unchanged
from :class:`crmkit.segment.SegmentResult`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmkit.report.excel import ReportWorkbook, ScatterSeries, cell_name, column_ref
from crmkit.report.i18n import LABELS
from crmkit.report.sheets._layout import (
    _CHART_GAP,
    CustomerPolicy,
    _anchor_right_of,
    _customer_table,
    _without_codes,
)
from crmkit.report.sheets.quality import add_data_quality_sheet

if TYPE_CHECKING:
    from crmkit.io.quality import DataQuality
    from crmkit.pareto import ParetoResult
    from crmkit.segment import SegmentResult

__all__ = ["HEADLINE_KEYS", "add_segment_sheets"]

HEADLINE_KEYS: tuple[str, ...] = ("customers", "revenue", "repeat_customer_rate", "top20_share", "gini", "as_of")
"""Headline numbers in the order the Summary sheet shows them (others follow in dict order)."""


def add_segment_sheets(
    book: ReportWorkbook,
    result: SegmentResult,
    quality: DataQuality | None = None,
    *,
    customers: str | CustomerPolicy | None = None,
) -> None:
    """Add the segmentation sheets to a workbook.

    Parameters
    ----------
    book : ReportWorkbook
        Workbook being assembled; its ``lang`` decides every label. Other commands may have
        added sheets before or may add more after.
    result : SegmentResult
        Output of the segmentation; ``customers`` may hold any number of rows up to Excel's
        limit of 1,048,575.
    quality : DataQuality, optional
        What the data layer did to the input; adds the Data quality sheet.
    customers : {"all", "top:N", "none"}, optional
        Rows of the Customers sheet (:func:`~crmkit.report.sheets._layout.customer_policy`; default
        ``top:100000``, by net revenue, with a note saying how many were left out).

    Examples
    --------
    >>> import datetime, pandas as pd
    >>> from crmkit.segment import SegmentResult
    >>> from crmkit.pareto import pareto_analysis
    >>> pareto, _ = pareto_analysis([10.0, 5.0])
    >>> result = SegmentResult(customers=pd.DataFrame({"customer_id": ["a", "b"]}),
    ...                        segments=pd.DataFrame(), pareto=pareto,
    ...                        as_of=datetime.date(2024, 6, 30), scheme="rfm", bins=5)
    >>> book = ReportWorkbook("en")
    >>> add_segment_sheets(book, result)
    >>> book.sheet_titles
    ['Summary', 'Segments', 'Pareto', 'Customers']
    """
    _add_summary(book, result)
    _add_segments(book, result)
    _add_pareto(book, result.pareto)
    _customer_table(book, "sheet:customers", result.customers, customers)
    if result.clusters is not None:
        _add_clusters(book, result)
    if quality is not None:
        add_data_quality_sheet(book, quality)


def _top_hold_sentence(book: ReportWorkbook, pareto: ParetoResult) -> str:
    return book.label("fmt:top_hold").format(x=f"{pareto.top_fraction:.0%}", y=f"{pareto.top_share:.1%}")


def _add_summary(book: ReportWorkbook, result: SegmentResult) -> None:
    headline = dict(result.headline)
    headline.setdefault("as_of", result.as_of)
    rows = [(key, headline[key]) for key in HEADLINE_KEYS if key in headline]
    rows += [(key, value) for key, value in headline.items() if key not in HEADLINE_KEYS]
    rows += [
        ("scheme", book.label(f"scheme:{result.scheme}") if f"scheme:{result.scheme}" in LABELS else result.scheme),
        ("bins", result.bins),
        ("pareto_statement", _top_hold_sentence(book, result.pareto)),
    ]
    book.add_key_values("sheet:summary", rows, title="title:segment_report")


def _add_segments(book: ReportWorkbook, result: SegmentResult) -> None:
    sheet = "sheet:segments"
    segments = _without_codes(result.segments)
    span = book.add_table(sheet, segments)
    columns = list(segments.columns)
    category = next((name for name in ("segment_label", "segment") if name in columns), None)
    if len(segments) == 0 or category is None:
        return
    categories = column_ref(span, columns, category, header=False)
    charts: list[dict[str, Any]] = []
    if "customers" in columns:
        charts.append(
            {"data_ref": column_ref(span, columns, "customers"), "title": "chart:customers_per_segment",
             "y_title": "axis:customers"}
        )  # fmt: skip
    shares = [column_ref(span, columns, name) for name in ("customer_share", "revenue_share") if name in columns]
    if shares:
        charts.append({"data_ref": shares, "title": "chart:segment_shares", "y_title": "axis:share", "percent": True})
    # below the table, side by side: beside a ten-column table they made the page twice as wide,
    # and the whole sheet printed at half size
    starts = book.chart_columns(sheet, span.first_col, [_SEGMENT_CHART_WIDTH] * len(charts))
    for chart, col in zip(charts, starts):
        book.add_bar_chart(
            sheet,
            categories_ref=categories,
            anchor=cell_name(span.last_row + 3, col),
            width=_SEGMENT_CHART_WIDTH,
            horizontal=True,
            **chart,
        )


#: Width (cm) of each of the two Segments charts, side by side under the table on a landscape page.
_SEGMENT_CHART_WIDTH = 13.0


def _add_pareto(book: ReportWorkbook, pareto: ParetoResult) -> None:
    sheet = "sheet:pareto"
    summary = book.add_key_values(
        sheet,
        [
            ("top_fraction", pareto.top_fraction),
            ("top_share", pareto.top_share),
            ("gini", pareto.gini),
            ("threshold_a", pareto.thresholds[0]),
            ("threshold_b", pareto.thresholds[1]),
            ("pareto_statement", _top_hold_sentence(book, pareto)),
        ],
        title="title:concentration",
        number_formats={"top_fraction": "0%", "threshold_a": "0%", "threshold_b": "0%"},
    )
    classes = book.add_table(
        sheet,
        pareto.classes,
        title="title:abc_classes",
        start_row=summary.last_row + 2,
        freeze_header=False,
        autofilter=False,
    )
    # every 5 % of customers: 21 rows read as a table and still draw a smooth curve; the 101 points
    # of the analysis made a two-page list of near-identical rows
    lorenz_frame = pareto.lorenz.iloc[::5].reset_index(drop=True)
    lorenz = book.add_table(
        sheet,
        lorenz_frame,
        title="title:lorenz",
        start_row=classes.last_row + 2,
        labels={name: f"lorenz:{name}" for name in lorenz_frame.columns},
        freeze_header=False,
        autofilter=False,
    )
    if len(lorenz_frame) == 0:
        return
    columns = list(lorenz_frame.columns)

    def ref(name):
        return column_ref(lorenz, columns, name, header=False)

    anchor_col = max(summary.last_col, classes.last_col, lorenz.last_col) + _CHART_GAP
    equality = ScatterSeries(ref("customer_share"), ref("customer_share"), "series:equality")
    book.add_scatter_chart(
        sheet,
        series=[ScatterSeries(ref("customer_share"), ref("revenue_share"), "series:lorenz"), equality],
        anchor=cell_name(1, anchor_col),
        title="chart:lorenz",
        x_title="axis:customer_share",
        y_title="axis:revenue_share",
        percent=True,
        percent_x=True,
    )
    book.add_scatter_chart(
        sheet,
        series=[ScatterSeries(ref("top_customer_share"), ref("top_revenue_share"), "series:top_share"), equality],
        anchor=cell_name(22, anchor_col),
        title="chart:cumulative_share",
        x_title="axis:customer_share",
        y_title="axis:revenue_share",
        percent=True,
        percent_x=True,
    )


def _add_clusters(book: ReportWorkbook, result: SegmentResult) -> None:
    sheet = "sheet:clusters"
    clusters = result.clusters
    summary = book.add_key_values(
        sheet, [("n_clusters", len(clusters)), ("silhouette", result.silhouette)], title="title:clusters"
    )
    span = book.add_table(sheet, clusters, start_row=summary.last_row + 2, freeze_header=False)
    columns = list(clusters.columns)
    shares = [column_ref(span, columns, name) for name in ("customer_share", "revenue_share") if name in columns]
    if len(clusters) and shares and "cluster" in columns:
        book.add_bar_chart(
            sheet,
            data_ref=shares,
            categories_ref=column_ref(span, columns, "cluster", header=False),
            anchor=_anchor_right_of(span),
            title="chart:customers_per_cluster",
            y_title="axis:share",
            percent=True,
        )
