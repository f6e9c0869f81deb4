"""The satisfaction sheets: Index, Paths, Reliability, Drivers, Respondents and Groups (with ``--by``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmkit.report.excel import ReportWorkbook, ScatterSeries, column_ref
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
    )
    book.add_table("sheet:paths", result.paths)
    reliability = book.add_table("sheet:reliability", result.reliability)
    htmt = result.htmt.rename_axis("construct").reset_index()
    block = book.add_table(
        "sheet:reliability",
        htmt,
        title="title:htmt",
        start_row=reliability.last_row + 3,
        freeze_header=False,
        autofilter=False,
    )
    fl = result.fornell_larcker.rename_axis("construct").reset_index()
    block = book.add_table(
        "sheet:reliability",
        fl,
        title="title:fornell_larcker",
        start_row=block.last_row + 3,
        freeze_header=False,
        autofilter=False,
    )
    book.add_table(
        "sheet:reliability",
        result.weights,
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
    columns = list(drivers.columns)
    if len(drivers):
        book.add_scatter_chart(
            "sheet:drivers",
            series=[
                ScatterSeries(
                    column_ref(span, columns, "importance", header=False),
                    column_ref(span, columns, "performance", header=False),
                    "series:drivers",
                )
            ],
            anchor=_anchor_right_of(span),
            title="chart:ipma",
            x_title="axis:importance",
            y_title="axis:performance",
        )
    book.add_long_table("sheet:respondents", result.respondents)
    if result.groups is not None:
        book.add_table("sheet:groups", result.groups)
