"""The segmentation workbook: the sheets ``crmkit segment --format xlsx`` writes.

Sheets, in order: Summary, Segments, Pareto, Customers, Clusters (with ``--clusters``) and
Data quality (when the read is known). Every label is an i18n key rendered in the
workbook's language; the numbers come unchanged from :class:`crmkit.segment.SegmentResult`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from crmkit.report.excel import FMT_COUNT, ReportWorkbook, ScatterSeries, Span, cell_name, column_ref
from crmkit.pareto import ParetoResult
from crmkit.io.quality import DataQuality
from crmkit.segment import SegmentResult

__all__ = ["HEADLINE_KEYS", "add_segment_sheets", "write_segment_report"]

HEADLINE_KEYS: tuple[str, ...] = (
    "customers", "revenue", "repeat_customer_rate", "top20_share", "gini", "as_of")
"""Headline numbers in the order the Summary sheet shows them (others follow in dict order)."""

_CHART_GAP = 2  # empty columns between a table and the charts beside it


def add_segment_sheets(book: ReportWorkbook, result: SegmentResult,
                       quality: DataQuality | None = None) -> None:
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

    Examples
    --------
    >>> import datetime, pandas as pd
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
    book.add_long_table("sheet:customers", result.customers)
    if result.clusters is not None:
        _add_clusters(book, result)
    if quality is not None:
        _add_data_quality(book, quality)


def write_segment_report(path, result: SegmentResult, quality: DataQuality | None = None,
                         lang: str | None = None, protect: Iterable = ()) -> Path:
    """Write the segmentation workbook to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.xlsx`` file to write (its folder must exist).
    result : SegmentResult
    quality : DataQuality, optional
    lang : {"en", "zh"}, optional
        Language of the labels; ``result.lang`` when not given.
    protect : iterable of path
        Input files the report must never overwrite.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    crmkit.errors.UsageError
        ``lang`` is not ``"en"`` or ``"zh"``.
    crmkit.errors.OutputError
        The file cannot be written, or ``path`` is one of ``protect``.
    """
    book = ReportWorkbook(lang or result.lang)
    add_segment_sheets(book, result, quality)
    return book.save(path, protect=protect)


# --- sheets -----------------------------------------------------------------------------
def _top_hold_sentence(book: ReportWorkbook, pareto: ParetoResult) -> str:
    return book.label("fmt:top_hold").format(x=f"{pareto.top_fraction:.0%}", y=f"{pareto.top_share:.1%}")


def _add_summary(book: ReportWorkbook, result: SegmentResult) -> None:
    headline = dict(result.headline)
    headline.setdefault("as_of", result.as_of)
    rows = [(key, headline[key]) for key in HEADLINE_KEYS if key in headline]
    rows += [(key, value) for key, value in headline.items() if key not in HEADLINE_KEYS]
    rows += [("scheme", result.scheme), ("bins", result.bins),
             ("pareto_statement", _top_hold_sentence(book, result.pareto))]
    book.add_key_values("sheet:summary", rows, title="title:segment_report")


def _anchor_right_of(span: Span, row: int = 1) -> str:
    return cell_name(row, span.last_col + _CHART_GAP)


def _add_segments(book: ReportWorkbook, result: SegmentResult) -> None:
    segments = result.segments
    span = book.add_table("sheet:segments", segments)
    columns = list(segments.columns)
    category = next((name for name in ("segment_label", "segment") if name in columns), None)
    if len(segments) == 0 or category is None:
        return
    categories = column_ref(span, columns, category, header=False)
    if "customers" in columns:
        book.add_bar_chart("sheet:segments", data_ref=column_ref(span, columns, "customers"),
                           categories_ref=categories, anchor=_anchor_right_of(span),
                           title="chart:customers_per_segment", y_title="axis:customers",
                           horizontal=True)
    shares = [column_ref(span, columns, name) for name in ("customer_share", "revenue_share")
              if name in columns]
    if shares:
        book.add_bar_chart("sheet:segments", data_ref=shares, categories_ref=categories,
                           anchor=_anchor_right_of(span, row=18), title="chart:segment_shares",
                           y_title="axis:share", percent=True, horizontal=True)


def _add_pareto(book: ReportWorkbook, pareto: ParetoResult) -> None:
    sheet = "sheet:pareto"
    summary = book.add_key_values(sheet, [
        ("top_fraction", pareto.top_fraction),
        ("top_share", pareto.top_share),
        ("gini", pareto.gini),
        ("threshold_a", pareto.thresholds[0]),
        ("threshold_b", pareto.thresholds[1]),
        ("pareto_statement", _top_hold_sentence(book, pareto)),
    ], title="title:concentration",
        number_formats={"top_fraction": "0%", "threshold_a": "0%", "threshold_b": "0%"})
    classes = book.add_table(sheet, pareto.classes, title="title:abc_classes",
                             start_row=summary.last_row + 2, freeze_header=False, autofilter=False)
    lorenz_frame = pareto.lorenz
    lorenz = book.add_table(
        sheet, lorenz_frame, title="title:lorenz", start_row=classes.last_row + 2,
        labels={name: f"lorenz:{name}" for name in lorenz_frame.columns},
        freeze_header=False, autofilter=False)
    if len(lorenz_frame) == 0:
        return
    columns = list(lorenz_frame.columns)

    def ref(name):
        return column_ref(lorenz, columns, name, header=False)

    anchor_col = max(summary.last_col, classes.last_col, lorenz.last_col) + _CHART_GAP
    equality = ScatterSeries(ref("customer_share"), ref("customer_share"), "series:equality")
    book.add_scatter_chart(sheet, series=[
        ScatterSeries(ref("customer_share"), ref("revenue_share"), "series:lorenz"), equality],
        anchor=cell_name(1, anchor_col), title="chart:lorenz",
        x_title="axis:customer_share", y_title="axis:revenue_share", percent=True, percent_x=True)
    book.add_scatter_chart(sheet, series=[
        ScatterSeries(ref("top_customer_share"), ref("top_revenue_share"), "series:top_share"), equality],
        anchor=cell_name(22, anchor_col), title="chart:cumulative_share",
        x_title="axis:customer_share", y_title="axis:revenue_share", percent=True, percent_x=True)


def _add_clusters(book: ReportWorkbook, result: SegmentResult) -> None:
    sheet = "sheet:clusters"
    clusters = result.clusters
    summary = book.add_key_values(sheet, [("n_clusters", len(clusters)), ("silhouette", result.silhouette)],
                                  title="title:clusters")
    span = book.add_table(sheet, clusters, start_row=summary.last_row + 2, freeze_header=False)
    columns = list(clusters.columns)
    shares = [column_ref(span, columns, name) for name in ("customer_share", "revenue_share")
              if name in columns]
    if len(clusters) and shares and "cluster" in columns:
        book.add_bar_chart(sheet, data_ref=shares,
                           categories_ref=column_ref(span, columns, "cluster", header=False),
                           anchor=_anchor_right_of(span), title="chart:customers_per_cluster",
                           y_title="axis:share", percent=True)


def _readable_delimiter(value):
    # a tab or other invisible delimiter would show as an empty-looking cell
    if isinstance(value, str) and value and not value.isprintable():
        return value.encode("unicode_escape").decode("ascii")
    return value


def _add_data_quality(book: ReportWorkbook, quality: DataQuality) -> None:
    rows = [(key, _readable_delimiter(value) if key == "delimiter" else value)
            for key, value in quality.as_rows()]
    # "dropped:missing_customer_id" ends like an identifier but counts rows
    formats = {key: FMT_COUNT for key, _ in rows if key.startswith("dropped:")}
    book.add_key_values("sheet:data_quality", rows, title="title:data_quality", number_formats=formats)



# --- the CLV workbook -------------------------------------------------------------------
def add_clv_sheets(book: ReportWorkbook, result, quality: DataQuality | None = None) -> None:
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
        _add_data_quality(book, quality)


def write_clv_report(path, result, quality: DataQuality | None = None, lang: str = "en",
                     protect: Iterable = ()) -> Path:
    """Write the CLV workbook to ``path`` atomically (see :func:`add_clv_sheets`)."""
    book = ReportWorkbook(lang)
    add_clv_sheets(book, result, quality)
    return book.save(path, protect=protect)


def _fit_rows(prefix: str, record: dict) -> list:
    rows = [(f"{prefix}model", record.get("model"))]
    for name, value in record.get("params", {}).items():
        rows.append((f"param:{name}", value))
        if name in record.get("se", {}):
            rows.append((f"se:{name}", record["se"][name]))
    for key in ("log_likelihood", "aic", "bic", "iterations", "converged", "customers",
                "frequency_spend_correlation"):
        if key in record:
            rows.append((key, record[key]))
    return rows


def _add_clv_model(book: ReportWorkbook, result) -> None:
    sheet = "sheet:clv_model"
    model = result.model
    settings = [(key, model[key]) for key in ("as_of", "unit", "horizon", "horizon_periods", "discount_annual",
                                              "discount_per_period", "margin", "occasion") if key in model]
    span = book.add_key_values(sheet, settings + _fit_rows("transaction_", model), title="title:clv_model",
                               number_formats={"discount_annual": "0.0%", "discount_per_period": "0.000%"})
    if result.spend_model:
        span = book.add_key_values(sheet, _fit_rows("spend_", result.spend_model), title="title:spend_model",
                                   start_row=span.last_row + 2)
    if result.warnings:
        book.add_key_values(sheet, [("warning", w) for w in result.warnings], title="title:warnings",
                            start_row=span.last_row + 2)


def _add_clv_deciles(book: ReportWorkbook, result) -> None:
    sheet = "sheet:clv_deciles"
    table = result.deciles
    span = book.add_table(sheet, table)
    columns = list(table.columns)
    if len(table):
        book.add_bar_chart(sheet, data_ref=column_ref(span, columns, "clv_total"),
                           categories_ref=column_ref(span, columns, "clv_decile", header=False),
                           anchor=_anchor_right_of(span), title="chart:clv_by_decile", y_title="axis:clv")


def _add_p_alive(book: ReportWorkbook, result) -> None:
    sheet = "sheet:p_alive"
    table = result.p_alive_bins
    span = book.add_table(sheet, table)
    columns = list(table.columns)
    if len(table):
        book.add_bar_chart(sheet, data_ref=column_ref(span, columns, "customers"),
                           categories_ref=column_ref(span, columns, "p_alive_from", header=False),
                           anchor=_anchor_right_of(span), title="chart:p_alive", y_title="axis:customers")


def _add_holdout(book: ReportWorkbook, holdout) -> None:
    sheet = "sheet:holdout"
    summary = book.add_key_values(sheet, [
        ("calibration_end", holdout.calibration_end), ("holdout_end", holdout.end),
        ("total_actual", holdout.total_actual), ("total_expected", holdout.total_expected),
        ("holdout_error", holdout.error)] + [(f"param:{k}", v) for k, v in holdout.params.items()],
        title="title:holdout", number_formats={"holdout_error": "0.0%"})
    groups = book.add_table(sheet, holdout.by_frequency, start_row=summary.last_row + 2, freeze_header=False,
                            autofilter=False)
    tracking = book.add_table(sheet, holdout.tracking, start_row=groups.last_row + 2, freeze_header=False,
                              autofilter=False)
    g_cols, t_cols = list(holdout.by_frequency.columns), list(holdout.tracking.columns)
    anchor_col = max(summary.last_col, groups.last_col, tracking.last_col) + _CHART_GAP
    if len(holdout.by_frequency):
        book.add_bar_chart(sheet, data_ref=[column_ref(groups, g_cols, "actual_mean"),
                                            column_ref(groups, g_cols, "expected_mean")],
                           categories_ref=column_ref(groups, g_cols, "frequency_group", header=False),
                           anchor=cell_name(1, anchor_col), title="chart:holdout_by_frequency",
                           y_title="axis:purchases")
    if len(holdout.tracking):
        book.add_line_chart(sheet, data_ref=[column_ref(tracking, t_cols, "actual_cumulative"),
                                             column_ref(tracking, t_cols, "expected_cumulative")],
                            categories_ref=column_ref(tracking, t_cols, "week", header=False),
                            anchor=cell_name(22, anchor_col), title="chart:tracking", y_title="axis:purchases")


# --- the satisfaction workbook -------------------------------------------------------------
def add_satisfaction_sheets(book: ReportWorkbook, result) -> None:
    """Add the satisfaction sheets: Index, Paths, Reliability, Drivers (with the importance-
    performance scatter chart), Respondents, and Groups with ``--by``.

    Parameters
    ----------
    book : ReportWorkbook
    result : crmkit.satisfaction.SatisfactionResult
    """
    import pandas as pd

    lang = book.lang
    spec = result.model
    index = pd.DataFrame({"construct": [spec.label(c, lang) for c in result.index],
                          "index": list(result.index.values()),
                          "r_squared": [result.r_squared.get(c) for c in result.index]})
    metrics = [("model", spec.name[lang]), ("scale", f"{result.scale[0]:g}-{result.scale[1]:g}"),
               ("respondents", result.fit["respondents"])]
    for key in ("nps", "csat", "ces"):
        value = getattr(result, key)
        if value:
            metrics.append((key, value[key]))
    top = book.add_key_values("sheet:index", metrics, title="title:satisfaction")
    span = book.add_table("sheet:index", index, start_row=top.last_row + 2, freeze_header=False)
    columns = list(index.columns)
    book.add_bar_chart("sheet:index", data_ref=column_ref(span, columns, "index"),
                       categories_ref=column_ref(span, columns, "construct", header=False),
                       anchor=_anchor_right_of(span), title="chart:index", y_title="axis:index")
    book.add_table("sheet:paths", result.paths)
    reliability = book.add_table("sheet:reliability", result.reliability)
    htmt = result.htmt.rename_axis("construct").reset_index()
    block = book.add_table("sheet:reliability", htmt, title="title:htmt", start_row=reliability.last_row + 3,
                           freeze_header=False, autofilter=False)
    fl = result.fornell_larcker.rename_axis("construct").reset_index()
    block = book.add_table("sheet:reliability", fl, title="title:fornell_larcker", start_row=block.last_row + 3,
                           freeze_header=False, autofilter=False)
    book.add_table("sheet:reliability", result.weights, title="title:weights", start_row=block.last_row + 3,
                   freeze_header=False, autofilter=False)
    drivers = result.drivers.assign(construct=[spec.label(c, lang) for c in result.drivers["construct"]],
                                    quadrant=[book.label(f"quadrant:{q}") for q in result.drivers["quadrant"]])
    span = book.add_table("sheet:drivers", drivers)
    columns = list(drivers.columns)
    if len(drivers):
        book.add_scatter_chart("sheet:drivers", series=[ScatterSeries(
            column_ref(span, columns, "importance", header=False), column_ref(span, columns, "performance", header=False),
            "series:drivers")], anchor=_anchor_right_of(span), title="chart:ipma",
            x_title="axis:importance", y_title="axis:performance")
    book.add_long_table("sheet:respondents", result.respondents)
    if result.groups is not None:
        book.add_table("sheet:groups", result.groups)


def write_satisfaction_report(path, result, lang: str = "en", protect: Iterable = ()) -> Path:
    """Write the satisfaction workbook to ``path`` atomically (see :func:`add_satisfaction_sheets`)."""
    book = ReportWorkbook(lang)
    add_satisfaction_sheets(book, result)
    return book.save(path, protect=protect)


# --- the retention workbook ----------------------------------------------------------------
def add_retention_sheets(book: ReportWorkbook, result) -> None:
    """Add the Retention sheet: the cohort retention matrix as a heat map, then customers, revenue
    retention, repeat rate and churn rate per cohort and period since acquisition.

    Parameters
    ----------
    book : ReportWorkbook
    result : crmkit.retention.RetentionResult
    """
    sheet = "sheet:retention"
    summary = book.add_key_values(sheet, [("period", result.period), ("as_of", result.as_of)]
                                  + [(k, v) for k, v in result.summary.items()], title="title:retention",
                                  number_formats={k: "0.0%" for k in result.summary if k.startswith("retention_")})
    row = summary.last_row + 2
    for name, share in (("retention", True), ("customers", False), ("revenue_retention", True),
                        ("repeat_rate", True), ("churn_rate", True)):
        table = getattr(result, name)
        frame = table.copy()
        frame.columns = [f"k{c}" for c in frame.columns]
        frame.insert(0, "cohort_size", result.cohort_size.reindex(frame.index).to_numpy())
        frame = frame.rename_axis("cohort").reset_index()
        formats = {c: ("0.0%" if share else "#,##0") for c in frame.columns if c.startswith("k")}
        span = book.add_table(sheet, frame, title=f"title:{name}", start_row=row, number_formats=formats,
                              freeze_header=False, autofilter=False)
        if name == "retention" and len(frame) and frame.shape[1] > 2:
            book.add_heat_map(sheet, (span.first_row + 1, span.last_row, span.first_col + 2, span.last_col))
        row = span.last_row + 3


def write_retention_report(path, result, lang: str = "en", protect: Iterable = ()) -> Path:
    """Write the retention workbook to ``path`` atomically (see :func:`add_retention_sheets`)."""
    book = ReportWorkbook(lang)
    add_retention_sheets(book, result)
    return book.save(path, protect=protect)


# --- the loyalty-ladder workbook -------------------------------------------------------------
def add_ladder_sheets(book: ReportWorkbook, before, after, matrix) -> None:
    """Add the Ladder (distribution with a bar chart, lifecycle stages), Migration (matrix and
    movement summary) and Ladder people sheets."""
    from crmkit.ladder import migration_summary

    sheet = "sheet:ladder"
    dist = after.distribution
    span = book.add_table(sheet, dist, title="title:ladder")
    columns = list(dist.columns)
    if len(dist):
        book.add_bar_chart(sheet, data_ref=column_ref(span, columns, "count"),
                           categories_ref=column_ref(span, columns, "rung_label", header=False),
                           anchor=_anchor_right_of(span), title="chart:ladder", y_title="axis:customers",
                           horizontal=True)
    book.add_table(sheet, after.stages, title="title:lifecycle", start_row=span.last_row + 3,
                   freeze_header=False, autofilter=False)
    grid = matrix.rename_axis("from_rung").reset_index()
    grid.columns = [str(c) for c in grid.columns]
    span = book.add_table("sheet:migration", grid, title="title:migration", freeze_header=False, autofilter=False)
    book.add_table("sheet:migration", migration_summary(matrix), start_row=span.last_row + 3,
                   freeze_header=False, autofilter=False)
    book.add_long_table("sheet:ladder_people", after.people)


def write_ladder_report(path, before, after, matrix, lang: str = "en", protect: Iterable = ()) -> Path:
    """Write the loyalty-ladder workbook to ``path`` atomically (see :func:`add_ladder_sheets`)."""
    book = ReportWorkbook(lang)
    add_ladder_sheets(book, before, after, matrix)
    return book.save(path, protect=protect)
