"""The satisfaction sheets: Index, Paths, Reliability, Drivers, Respondents and Groups (with ``--by``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit.report.excel import ReportWorkbook, ScatterSeries, column_ref
from crmkit.report.i18n import translate_values
from crmkit.report.sheets._layout import _anchor_right_of

if TYPE_CHECKING:
    from crmkit.satisfaction import SatisfactionResult

__all__ = ["add_satisfaction_sheets"]


def add_satisfaction_sheets(book: ReportWorkbook, result: SatisfactionResult) -> None:
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
    index = pd.DataFrame(
        {
            "construct": [spec.label(c, lang) for c in result.index],
            "index": list(result.index.values()),
            "r_squared": [result.r_squared.get(c) for c in result.index],
        }
    )
    metrics = [
        ("model", spec.name[lang]),
        ("scale", f"{result.scale[0]:g}-{result.scale[1]:g}"),
        ("respondents", result.fit["respondents"]),
    ]
    for key in ("nps", "csat", "ces"):
        value = getattr(result, key)
        if value:
            metrics.append((key, value[key]))
    top = book.add_key_values("sheet:index", metrics, title="title:satisfaction")
    span = book.add_table("sheet:index", index, start_row=top.last_row + 2, freeze_header=False)
    columns = list(index.columns)
    book.add_bar_chart(
        "sheet:index",
        data_ref=column_ref(span, columns, "index"),
        categories_ref=column_ref(span, columns, "construct", header=False),
        anchor=_anchor_right_of(span),
        title="chart:index",
        y_title="axis:index",
        # the index's own scale: a narrower axis makes a one-point spread look three times as big
        value_range=(0, 100),
        value_format="0",
    )
    constructs = {c: spec.label(c, lang) for c in spec.constructs}

    def named(frame, columns):
        # construct keys in cells become the model's construct names in the workbook's language
        return frame.assign(**{c: frame[c].map(lambda key: constructs.get(key, key)) for c in columns if c in frame})

    # construct columns hold 0-100 scores (index) or criteria between constructs (ratio)
    scores = dict.fromkeys(spec.constructs, "0.0")
    criteria = dict.fromkeys(spec.constructs, "0.000")
    book.add_table("sheet:paths", named(result.paths, ("from", "to")))
    reliability = book.add_table("sheet:reliability", named(result.reliability, ("construct",)))
    htmt = named(result.htmt.rename_axis("construct").reset_index(), ("construct",))
    block = book.add_table(
        "sheet:reliability",
        htmt,
        labels=constructs,
        number_formats=criteria,
        title="title:htmt",
        start_row=reliability.last_row + 3,
        freeze_header=False,
        autofilter=False,
    )
    fl = named(result.fornell_larcker.rename_axis("construct").reset_index(), ("construct",))
    block = book.add_table(
        "sheet:reliability",
        fl,
        labels=constructs,
        number_formats=criteria,
        title="title:fornell_larcker",
        start_row=block.last_row + 3,
        freeze_header=False,
        autofilter=False,
    )
    book.add_table(
        "sheet:reliability",
        named(result.weights, ("construct",)),
        title="title:weights",
        start_row=block.last_row + 3,
        freeze_header=False,
        autofilter=False,
    )
    drivers = result.drivers.assign(
        construct=[spec.label(c, lang) for c in result.drivers["construct"]],
        quadrant=[book.label(f"quadrant:{q}") for q in result.drivers["quadrant"]],
    )
    span = book.add_table("sheet:drivers", drivers)
    if len(drivers):
        _add_ipma_chart(book, span, drivers)
    respondents = translate_values(result.respondents, {"gap_class": "gap"}, lang)
    book.add_long_table("sheet:respondents", respondents, labels=constructs, number_formats=scores)
    if result.groups is not None:
        book.add_table("sheet:groups", result.groups, labels=constructs, number_formats=scores)


def _add_ipma_chart(book: ReportWorkbook, span, drivers) -> None:
    """The importance-performance map beside the Drivers table: one labelled point per construct,
    dashed lines at the mean importance and the mean performance, each quadrant named in its corner.

    The lines and the names' positions are a small table below the Drivers table: a chart's
    series must take its values from cells to be drawn by LibreOffice.
    """
    import math

    import pandas as pd

    x = drivers["importance"].astype(float).dropna()
    y = drivers["performance"].astype(float).dropna()
    if x.empty or y.empty:
        return
    # importance from 0 (a total effect of 0 means no influence); performance zoomed to the points
    # but never to less than 10 index points, so that a 1-point spread does not fill the chart
    x_low = min(0.0, math.floor(x.min() * 10) / 10)
    x_high = max(math.ceil(x.max() * 1.15 * 10) / 10, x_low + 0.1)
    y_mid = (y.min() + y.max()) / 2
    half = max(5.0, (y.max() - y.min()) / 2 + 3)
    y_low = max(0.0, math.floor((y_mid - half) / 5) * 5)
    y_high = min(100.0, math.ceil((y_mid + half) / 5) * 5)
    x_mean, y_mean = float(x.mean()), float(y.mean())
    inset_x, inset_y = (x_high - x_low) * 0.15, (y_high - y_low) * 0.05
    quadrants = ("keep_up", "concentrate_here", "low_priority", "possible_overkill")
    corners = [
        (x_high - inset_x, y_high - inset_y),
        (x_high - inset_x, y_low + inset_y),
        (x_low + inset_x, y_low + inset_y),
        (x_low + inset_x, y_high - inset_y),
    ]
    # rows 1-4 name the quadrants at their corners; rows 5-6 and 7-8 are the two mean lines (labelled,
    # so a reader of the sheet knows what these cells are)
    guide = pd.DataFrame(
        {
            "quadrant": [book.label(f"quadrant:{q}") for q in quadrants]
            + [book.label("ipma:mean_importance")] * 2
            + [book.label("ipma:mean_performance")] * 2,
            "importance": [cx for cx, _ in corners] + [x_mean, x_mean, x_low, x_high],
            "performance": [cy for _, cy in corners] + [y_low, y_high, y_mean, y_mean],
        }
    )
    lines = book.add_table(
        "sheet:drivers",
        guide,
        title="chart:ipma",
        start_row=span.last_row + 3,
        freeze_header=False,
        autofilter=False,
    )

    def cells(block, frame, first: int, last: int) -> tuple[tuple, tuple]:
        x_col = block.first_col + list(frame.columns).index("importance")
        y_col = block.first_col + list(frame.columns).index("performance")
        top = block.first_row + 1
        return (x_col, top + first, x_col, top + last), (y_col, top + first, y_col, top + last)

    # one series per construct: its name is the point's label in Excel and LibreOffice alike
    series = [
        ScatterSeries(*cells(span, drivers, n, n), str(name), "points") for n, name in enumerate(drivers["construct"])
    ]
    series += [ScatterSeries(*cells(lines, guide, 4, 5), "axis:importance", "guide")]
    series += [ScatterSeries(*cells(lines, guide, 6, 7), "axis:performance", "guide")]
    series += [ScatterSeries(*cells(lines, guide, n, n), f"quadrant:{q}", "note") for n, q in enumerate(quadrants)]
    book.add_scatter_chart(
        "sheet:drivers",
        series=series,
        anchor=_anchor_right_of(span),
        title="chart:ipma",
        x_title="importance",
        y_title="performance",
        x_range=(x_low, x_high),
        y_range=(y_low, y_high),
        legend=False,
        axis_formats=("0.00", "0"),
        width=18.0,
        height=12.0,
    )
