"""The Economics sheet: new vs repeat customers, retention vs acquisition, and the cost to serve per segment.

What :func:`crmkit.economics.economics` found, for a manager: the periods compared and where the
margin came from, the notes, then the economics table — each metric's value formatted by its unit
(counts, money, %, ratios as ``1.71×``) with its formula beside it — a chart of the new and repeat
customers' shares of customers, revenue and margin, and the per-segment table of orders, revenue,
margin and (when costs were given) the cost to serve and the margin left after it, with a chart of
the segments' margin against their cost to serve. A segment losing money after serving is marked.
Both sheets print landscape, one page wide; the segments are on their own sheet (Segment economics),
so that its ten columns do not share the widths of the table's label and formula columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from crmkit.report.excel import ReportWorkbook, cell_name, column_ref
from crmkit.report.sheets._layout import _CHART_GAP, CustomerPolicy
from crmkit.report.sheets.preferences import note_lines, note_texts
from crmkit.report.terminal_economics import shown_rows

if TYPE_CHECKING:
    from crmkit.economics import Economics

__all__ = ["UNIT_FORMATS", "add_economics_sheets"]

_SHEET = "sheet:economics"
_SEGMENT_SHEET = "sheet:economics_segments"
#: The value cell's format by the metric's unit.
UNIT_FORMATS = {"count": "#,##0", "money": "#,##0.00", "share": "0.0%", "ratio": '0.00"×"'}
_MONEY, _SHARE = UNIT_FORMATS["money"], UNIT_FORMATS["share"]
# The segment table's columns in this order, with their headers and formats.
_SEGMENT_COLUMNS = {
    "segment_label": "economics:segment_label",
    "customers": "economics:customers_segment",
    "orders": "economics:orders",
    "revenue": "economics:segment_revenue",
    "margin": "economics:segment_margin",
    "cost_to_serve": "economics:cost_to_serve",
    "margin_after_serving": "economics:margin_after_serving",
    "margin_after_serving_per_customer": "economics:margin_after_serving_per_customer",
    "margin_share": "economics:margin_share",
    "unprofitable": "economics:unprofitable",
}
_COST_COLUMNS = ("cost_to_serve", "margin_after_serving", "margin_after_serving_per_customer", "unprofitable")
_SEGMENT_FORMATS = {
    "customers": "#,##0",
    "orders": "#,##0",
    "margin_share": _SHARE,
    **dict.fromkeys(
        ("revenue", "margin", "cost_to_serve", "margin_after_serving", "margin_after_serving_per_customer"), _MONEY
    ),
}
_CHART_WIDTH = 15.0


def add_economics_sheets(
    book: ReportWorkbook, result: Economics, *, customers: str | CustomerPolicy | None = None
) -> None:
    """Add the Economics and Segment economics sheets of an economics table.

    Parameters
    ----------
    book : ReportWorkbook
        Workbook being assembled; its ``lang`` decides every label (segment names are those of
        ``result.lang``).
    result : crmkit.economics.Economics
        Output of :func:`crmkit.economics.economics`.
    customers : optional
        Accepted for the report's common signature; the sheets have no customer-level rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.economics import economics
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "b"], "amount": [10.0, 30.0, 15.0],
    ...                       "date": ["2023-06-01", "2024-02-01", "2024-01-15"]})
    >>> book = ReportWorkbook("en")
    >>> add_economics_sheets(book, economics(sales, "2024-03-01", period="6m"))
    >>> len(book.sheet_titles)  # Economics, Segment economics
    2
    """
    sheet = _SHEET
    h = result.headline
    source = result.settings.get("margin")
    shown_source = (
        f"{source:.1%}" if isinstance(source, (int, float)) else book.label(f"economics:margin_source:{source}")
    )
    headline = [
        ("economics:period", f"{h['period_start']} – {h['period_end']}"),
        ("economics:previous_period", f"{h['previous_start']} – {h['previous_end']}"),
        ("economics:period_days", int(h["period_days"])),
        ("economics:margin_source", shown_source),
        ("as_of", result.as_of),
    ]
    head = book.add_key_values(sheet, headline, title="title:economics", number_formats={"economics:period_days": "0"})
    row = note_lines(book, sheet, [book.label("economics:clv_model")], head.last_row + 1)
    row = note_lines(book, sheet, note_texts(book, [*result.warnings, *result.notes]), row)
    table = _table(book, result, row + 1)
    # the new vs repeat shares beside the economics table, their chart below them
    chart_col = table.last_col + _CHART_GAP
    shares = _shares(book, result, table.first_row - 1, chart_col)
    frame = _share_frame(book, result)
    book.add_bar_chart(
        sheet,
        data_ref=[column_ref(shares, list(frame.columns), c) for c in list(frame.columns)[1:]],
        categories_ref=column_ref(shares, list(frame.columns), "group", header=False),
        anchor=cell_name(shares.last_row + 2, chart_col),
        title="chart:economics_shares",
        y_title="economics:share_axis",
        percent=True,
        width=_CHART_WIDTH,
        height=7.5,
        value_range=(0, 1),
    )
    book.set_print(sheet, landscape=True)
    _segments(book, result)


def _segments(book: ReportWorkbook, result: Economics) -> None:
    """The Cost to serve sheet: the segment table, and a chart of margin against cost to serve."""
    sheet, s = _SEGMENT_SHEET, result.segments
    costs = bool(s["cost_to_serve"].notna().any())
    title = "title:economics_segments" if costs else "title:economics_margin_segments"
    if not len(s):
        note_lines(book, sheet, [f"{book.label(title)}: {book.label('economics:none')}"], 1)
        return
    columns = [c for c in _SEGMENT_COLUMNS if costs or c not in _COST_COLUMNS]
    frame = s[columns].copy()
    if not s["unprofitable"].any():
        frame = frame.drop(columns="unprofitable", errors="ignore")
        columns = list(frame.columns)
    else:
        frame["unprofitable"] = [book.label("economics:yes") if v else "" for v in frame["unprofitable"]]
    span = book.add_table(
        sheet,
        frame,
        title=title,
        labels={c: _SEGMENT_COLUMNS[c] for c in columns},
        number_formats=_SEGMENT_FORMATS,
    )
    series = [c for c in ("margin", "cost_to_serve", "margin_after_serving") if c in columns]
    book.add_bar_chart(
        sheet,
        data_ref=[column_ref(span, columns, c) for c in series],
        categories_ref=column_ref(span, columns, "segment_label", header=False),
        # beside a narrow table (no costs), below a wide one
        anchor=cell_name(1, span.last_col + _CHART_GAP) if not costs else cell_name(span.last_row + 2, 1),
        title="chart:economics_serving" if costs else "chart:economics_margin",
        y_title="economics:money_axis",
        horizontal=True,
        width=_CHART_WIDTH + 3,
        value_range=(None, None),
        value_format="#,##0",
    )
    book.set_print(sheet, landscape=True, pages_tall=1)


def _table(book: ReportWorkbook, result: Economics, row: int):
    rows = shown_rows(result)
    frame = pd.DataFrame(
        {
            "label": [book.label(f"economics:{m}") for m in rows["metric"]],
            "value": rows["value"].astype(float).to_numpy(),
            "formula": rows["formula"].astype(str).to_numpy(),
        }
    )
    return book.add_table(
        _SHEET,
        frame,
        title="title:economics_table",
        start_row=row,
        labels={"label": "economics:label", "value": "economics:value", "formula": "economics:formula"},
        row_formats=[UNIT_FORMATS.get(u, _MONEY) for u in rows["unit"]],
        freeze_header=False,
        autofilter=False,
    )


def _share_frame(book: ReportWorkbook, result: Economics) -> pd.DataFrame:
    """New and repeat customers' shares of customers, revenue and margin (the chart's data)."""
    new = result.value("new_customer_share")
    return pd.DataFrame(
        {
            "group": [book.label("economics:group:new"), book.label("economics:group:repeat")],
            "share_customers": [new, 1 - new],
            "share_revenue": [result.value("revenue_share_new"), result.value("revenue_share_repeat")],
            "share_margin": [result.value("margin_share_new"), result.value("margin_share_repeat")],
        }
    )


def _shares(book: ReportWorkbook, result: Economics, row: int, col: int):
    frame = _share_frame(book, result)
    return book.add_table(
        _SHEET,
        frame,
        title="title:economics_shares",
        start_row=row,
        start_col=col,
        labels={c: f"economics:{c}" for c in frame.columns},
        number_formats=dict.fromkeys(frame.columns[1:], _SHARE),
        freeze_header=False,
        autofilter=False,
    )
