"""The preference sheets: Preferences, Bought together, Shopping times and Preference customers.

What :func:`crmkit.preferences.preferences` found, for a manager: per RFM segment its share of
spend, omnichannel rate, price index and discount use; each segment's channel and category mix as
the marketing index (100 = like every customer, above 120 in green, below 80 in red) with a chart
of the channel mix; the categories bought together (basket and customer basis) with a chart of the
strongest lifts; orders by weekday and hour as a heat map and the price bands with a chart; and one
row per customer under the ``--customers`` policy.

An analysis skipped for lack of a column (:attr:`~crmkit.preferences.Preferences.skipped`) is said
in a line where its table would be: no empty table, no empty chart. Columns are read by name, so
columns a later :class:`~crmkit.preferences.Preferences` appends are shown after the known ones.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from crmkit.report.excel import ReportWorkbook, Span
from crmkit.report.i18n import LABELS, label, message, sentence
from crmkit.report.sheets._layout import _CHART_GAP, CustomerPolicy, customer_policy

if TYPE_CHECKING:
    from crmkit.preferences import Preferences

__all__ = ["CHARTED_PAIRS", "INDEX_FORMAT", "add_preferences_sheets", "note_lines", "note_texts"]

#: Category pairs a lift chart shows at most (every pair stays in its table).
CHARTED_PAIRS = 10
#: The index cells' format: green above 120, red below 80 (a number format's colour follows the
#: value when it is edited, as a conditional format would; Color10 is Excel's dark green, readable
#: on white where [Green] is not).
INDEX_FORMAT = "[Green][>120]0;[Red][<80]0;0"

_SHEET = "sheet:preferences"
_AFFINITY_SHEET = "sheet:preferences_affinity"
_TIMES_SHEET = "sheet:preferences_times"
_CUSTOMERS_SHEET = "sheet:preferences_customers"
_FMT_SHARE = "0.0%"
_FMT_LIFT = "0.00"
_FMT_INDEX = "0"
# a q-value below 0.0001 reads as such, not as a rounded 0.0000 (as on the Profile sheet)
_FMT_Q = '[<0.0001]"<0.0001";0.0000'
_CHART_WIDTH = 15.0

# The segment table's columns in this order, with their headers; further columns follow.
_SEGMENT_COLUMNS = {
    "segment_label": "segment_label",
    "customers": "customers",
    "spend": "preferences:spend",
    "spend_share": "preferences:spend_share",
    "omnichannel_rate": "preferences:omnichannel_rate",
    "mean_channels": "preferences:mean_channels",
    "mean_price_index": "preferences:mean_price_index",
    "discount_line_share": "preferences:discount_line_share",
    "discount_spend_share": "preferences:discount_spend_share",
    "deal_seeker_rate": "preferences:deal_seeker_rate",
}
_SEGMENT_FORMATS = {
    "spend": "#,##0.00",
    "mean_channels": "0.00",
    "mean_price_index": _FMT_INDEX,
    **dict.fromkeys(
        ("spend_share", "omnichannel_rate", "discount_line_share", "discount_spend_share", "deal_seeker_rate"),
        _FMT_SHARE,
    ),
}
_PAIR_COLUMNS = {
    "pair": "preferences:pair",
    "category_a": "preferences:category_a",
    "category_b": "preferences:category_b",
    "count_ab": "preferences:count_ab",
    "support": "preferences:support",
    "confidence_a_b": "preferences:confidence_a_b",
    "confidence_b_a": "preferences:confidence_b_a",
    "lift": "lift",
    "q_value": "preferences:q_value",
}
_BAND_COLUMNS = {
    "band": "preferences:band",
    "price_range": "preferences:price_range",
    "lines": "preferences:lines",
    "line_share": "preferences:band_line_share",
    "spend": "preferences:spend",
    "spend_share": "preferences:spend_share",
    "customers": "customers",
}
# per-customer columns that hold codes shown by their names (families of the catalogue)
_VALUE_FAMILIES = {"preferred_daypart": "daypart", "discount_label": "preferences:label"}


def add_preferences_sheets(
    book: ReportWorkbook, prefs: Preferences, *, customers: str | CustomerPolicy | None = None
) -> None:
    """Add the Preferences, Bought together, Shopping times and Preference customers sheets.

    Parameters
    ----------
    book : ReportWorkbook
        Workbook being assembled; its ``lang`` decides every label (segment and weekday names
        are shown in it too; the data's own values, categories and channels, as they are).
    prefs : crmkit.preferences.Preferences
        Output of :func:`crmkit.preferences.preferences`.
    customers : {"all", "top:N", "none"}, optional
        Rows of the Preference customers sheet (:func:`~crmkit.report.sheets._layout.customer_policy`,
        default ``top:100000``, the largest spenders first with a note saying how many were left out).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.preferences import preferences
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "b"], "amount": [10.0, 30.0, 15.0],
    ...                       "date": ["2024-01-01", "2024-02-01", "2024-01-15"],
    ...                       "channel": ["app", "store", "app"]})
    >>> book = ReportWorkbook("en")
    >>> add_preferences_sheets(book, preferences(sales, "2024-03-01"))
    >>> book.sheet_titles
    ['Preferences', 'Bought together', 'Shopping times', 'Preference customers']
    """
    _add_segments(book, prefs)
    _add_affinity(book, prefs)
    _add_times(book, prefs)
    _add_customers(book, prefs, customers)


# --- helpers ----------------------------------------------------------------------------------
def _filled(frame: pd.DataFrame, columns) -> list[str]:
    """``columns`` of ``frame`` that hold at least one value: a skipped analysis' columns are all NULL."""
    return [c for c in columns if c in frame.columns and frame[c].notna().any()]


def _further(frame: pd.DataFrame, known) -> list[str]:
    """Columns appended after the known ones (by a later Preferences), when they hold values."""
    return [c for c in frame.columns if c not in known and c not in ("segment",) and frame[c].notna().any()]


def _header(book: ReportWorkbook, column: str, known: dict[str, str]) -> str:
    key = known.get(column) or (f"preferences:{column}" if f"preferences:{column}" in LABELS else column)
    return book.label(key)


def _value(book: ReportWorkbook, value) -> str:
    """A data value (category, channel) as shown: the missing-value code in the workbook's language."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    key = f"profile_value:{value}"
    return book.label(key) if key in LABELS else str(value)


def _weekday(book: ReportWorkbook, number) -> str:
    return book.label(f"preferences:weekday_{int(number)}") if pd.notna(number) else ""


def _skipped_lines(book: ReportWorkbook, prefs: Preferences, analyses) -> list[str]:
    """The note of each of ``analyses`` that was skipped (the library's own, else one made here)."""
    lines = []
    for name in analyses:
        if name not in prefs.skipped:
            continue
        note = next(
            (
                n
                for n in prefs.notes
                if getattr(n, "key", None) == "preferences_skipped" and getattr(n, "params", {}).get("analysis") == name
            ),
            None,
        )
        text = (
            _note_text(book, note)
            if note is not None
            else sentence("preferences:skipped", book.lang, analysis=name, needs=name)
        )
        lines.append(f"{book.label('note')}: {text}")
    return lines


def note_lines(book: ReportWorkbook, sheet: str, lines: list[str], row: int) -> int:
    """A reader's lines from ``row`` down, one a row, in plain text; the next free row.

    A line spills right over the empty cells beside it and widens no column (a key/value row would
    widen its value column to 60 characters, and the tables below share the sheet's columns); plain,
    not bold: a bold cell is a header, and every header is a catalogue label.
    """
    from crmkit.report.excel.formats import _clean_text
    from crmkit.report.excel.rows import _PLAIN_STYLE, _Block

    plan = book._sheet(sheet)
    for line in lines:
        cells = [(row, [_clean_text(line)], [_PLAIN_STYLE])]
        book._check_room(plan, row, row, 1, 1)
        plan.blocks.append(_Block(row, row, 1, 1, partial(iter, cells)))
        row += 1
    return row


def note_texts(book: ReportWorkbook, notes) -> list[str]:
    """Notes as the lines of a sheet: "Note: ..." in the workbook's language."""
    return [f"{book.label('note')}: {_note_text(book, note)}" for note in notes]


def _note_text(book: ReportWorkbook, note) -> str:
    # the catalogue's skipped-analysis sentence shows the column's name bare; this one marks it 「」
    params = getattr(note, "params", {})
    if getattr(note, "key", None) == "preferences_skipped" and {"analysis", "needs"} <= set(params):
        return sentence("preferences:skipped", book.lang, analysis=params["analysis"], needs=params["needs"])
    return message(note, book.lang)


_lines = note_lines


def _column(span: Span, columns: list, name: str, rows: int, *, header: bool = True) -> tuple[int, int, int, int]:
    """One column of a table's first ``rows`` data rows (with its header cell, the series' name)."""
    col = span.first_col + columns.index(name)
    return (col, span.first_row if header else span.first_row + 1, col, span.first_row + rows)


def _chart_col(book: ReportWorkbook, sheet: str) -> int:
    """The first column right of every table of ``sheet`` where a chart may go."""
    return max(block.last_col for block in book._sheet(sheet).blocks) + _CHART_GAP


# --- the Preferences sheet ----------------------------------------------------------------------
def _add_segments(book: ReportWorkbook, prefs: Preferences) -> None:
    sheet = _SHEET
    head = book.add_key_values(
        sheet,
        [
            ("preferences:total_customers", len(prefs.customers)),
            ("preferences:basket", book.label(f"basket:{prefs.basket}")),
            ("as_of", prefs.as_of),
            ("scheme", book.label(f"scheme:{prefs.scheme}") if f"scheme:{prefs.scheme}" in LABELS else prefs.scheme),
        ],
        title="title:preferences",
    )
    row = _lines(book, sheet, note_texts(book, prefs.notes), head.last_row + 1)
    segments = prefs.segments
    shown = _filled(segments, _SEGMENT_COLUMNS) + _further(segments, _SEGMENT_COLUMNS)
    span = book.add_table(
        sheet,
        segments[shown],
        title="title:preferences_segments",
        start_row=row + 1,
        labels={c: _header(book, c, _SEGMENT_COLUMNS) for c in shown},
        number_formats=_SEGMENT_FORMATS,
        freeze_header=False,
        autofilter=False,
    )
    row = span.last_row + 3
    shares = prefs.segment_shares
    charts: list[tuple[Span, list[str]]] = []
    for dimension in ("channel", "category"):
        if dimension in prefs.skipped or "dimension" not in shares.columns:
            row = _lines(book, sheet, _skipped_lines(book, prefs, [dimension]), row) + 1
            continue
        part = shares[shares["dimension"] == dimension]
        if part.empty:
            continue
        if dimension == "channel":
            mix, values = _pivot(book, prefs, part, "spend_share")
            mix_span = book.add_table(
                sheet,
                mix,
                title="title:preferences_channel_mix",
                start_row=row,
                labels={"segment_label": "segment_label"},
                number_formats=dict.fromkeys(values, _FMT_SHARE),
                freeze_header=False,
                autofilter=False,
            )
            charts.append((mix_span, values))
            row = mix_span.last_row + 3
        index, values = _pivot(book, prefs, part, "index")
        index_span = book.add_table(
            sheet,
            index,
            title=f"title:preferences_{dimension}_index",
            start_row=row,
            labels={"segment_label": "segment_label"},
            number_formats=dict.fromkeys(values, INDEX_FORMAT),
            freeze_header=False,
            autofilter=False,
        )
        row = index_span.last_row + 3
    book._sheet(sheet).freeze = "B1"
    for mix_span, values in charts:
        n = mix_span.last_row - mix_span.first_row
        columns = ["segment_label", *values]
        book.add_bar_chart(
            sheet,
            data_ref=[_column(mix_span, columns, v, n) for v in values],
            categories_ref=_column(mix_span, columns, "segment_label", n, header=False),
            anchor=f"{_letter(_chart_col(book, sheet))}{span.first_row - 1}",
            title="chart:preferences_channel_mix",
            y_title="axis:share",
            percent=True,
            horizontal=True,
            width=_CHART_WIDTH,
        )


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _pivot(book: ReportWorkbook, prefs: Preferences, part: pd.DataFrame, measure: str) -> tuple[pd.DataFrame, list]:
    """Segment (rows, in the scheme's order) × value (columns, by overall spend) of ``measure``."""
    order = [s for s in prefs.segments["segment"] if s in set(part["segment"])]
    names = dict(zip(prefs.segments["segment"], prefs.segments["segment_label"]))
    spend = part.groupby("value", sort=False)["spend"].sum().sort_values(ascending=False, kind="stable")
    table = part.pivot_table(index="segment", columns="value", values=measure, aggfunc="first", sort=False)
    # a segment that bought nothing in a value has a share (and an index) of 0, not a gap
    table = table.reindex(index=order, columns=list(spend.index)).fillna(0.0)
    shown = [_value(book, v) for v in table.columns]
    frame = pd.DataFrame(table.to_numpy(dtype=float), columns=shown)
    frame.insert(0, "segment_label", [names.get(s, s) for s in order])
    return frame, shown


# --- the Bought together sheet --------------------------------------------------------------------
def _pairs(book: ReportWorkbook, table: pd.DataFrame) -> pd.DataFrame:
    frame = table.copy()
    for column in ("category_a", "category_b"):
        frame[column] = [_value(book, v) for v in frame[column]]
    frame.insert(0, "pair", [f"{a} + {b}" for a, b in zip(frame["category_a"], frame["category_b"])])
    known = [c for c in _PAIR_COLUMNS if c in frame.columns]
    further = [c for c in _further(frame, _PAIR_COLUMNS) if c not in ("basis", "baskets", "count_a", "count_b")]
    further = [c for c in further if c not in ("test", "p_value")]
    return frame[known + further]


def _add_affinity(book: ReportWorkbook, prefs: Preferences) -> None:
    sheet = _AFFINITY_SHEET
    row = book.add_key_values(sheet, [], title="title:preferences_affinity").last_row + 1
    if "category" in prefs.skipped:
        _lines(book, sheet, _skipped_lines(book, prefs, ["category"]), row + 1)
        return
    tables = []
    for basis, table in (("basket", prefs.affinity), ("customer", prefs.affinity_customers)):
        title = f"title:preferences_affinity_{basis}"
        if table is None or table.empty:
            row = _lines(book, sheet, [f"{book.label(title)}: {book.label('preferences:no_pairs')}"], row + 1)
            continue
        frame = _pairs(book, table)
        labels = {c: _header(book, c, _PAIR_COLUMNS) for c in frame.columns}
        labels["count_ab"] = book.label(f"preferences:count_ab_{basis}")
        span = book.add_table(
            sheet,
            frame,
            title=title,
            start_row=row + 1,
            labels=labels,
            number_formats={
                "count_ab": "#,##0",
                "support": _FMT_SHARE,
                "confidence_a_b": _FMT_SHARE,
                "confidence_b_a": _FMT_SHARE,
                "lift": _FMT_LIFT,
                "q_value": _FMT_Q,
            },
            freeze_header=False,
            autofilter=False,
        )
        tables.append((basis, span, frame))
        row = span.last_row + 2
    col = _chart_col(book, sheet)
    next_row = 1
    for basis, span, frame in tables:
        shown = min(len(frame), CHARTED_PAIRS)
        columns = list(frame.columns)
        book.add_bar_chart(
            sheet,
            data_ref=_column(span, columns, "lift", shown),
            categories_ref=_column(span, columns, "pair", shown, header=False),
            anchor=f"{_letter(col)}{max(span.first_row - 1, next_row)}",
            title=f"chart:preferences_lift_{basis}",
            y_title="lift",
            horizontal=True,
            width=_CHART_WIDTH,
            value_format="0.0",
        )
        next_row = book.row_below_charts(sheet, gap=1)


# --- the Shopping times sheet ---------------------------------------------------------------------
def _add_times(book: ReportWorkbook, prefs: Preferences) -> None:
    sheet = _TIMES_SHEET
    row = book.add_key_values(sheet, [], title="title:preferences_times").last_row + 1
    times = prefs.weekday_hour
    has_hour = "hour" not in prefs.skipped and "hour" in times.columns and times["hour"].notna().any()
    weekday = (
        times.groupby("weekday", sort=True)[["orders", "revenue"]].sum().reset_index()
        if len(times)
        else pd.DataFrame({"weekday": [], "orders": [], "revenue": []})
    )
    total_orders, total_revenue = weekday["orders"].sum(), weekday["revenue"].sum()
    weekday["order_share"] = weekday["orders"] / total_orders if total_orders else float("nan")
    weekday["revenue_share"] = weekday["revenue"] / total_revenue if total_revenue else float("nan")
    weekday.insert(0, "weekday_name", [_weekday(book, d) for d in weekday.pop("weekday")])
    day_labels = {
        "weekday_name": "preferences:weekday",
        "orders": "preferences:orders",
        "revenue": "revenue",
        "order_share": "preferences:order_share",
        "revenue_share": "revenue_share",
    }
    charts: list[dict[str, Any]] = []
    if not has_hour:
        row = _lines(book, sheet, _skipped_lines(book, prefs, ["hour"]), row + 1)
    if len(weekday):
        day_span = book.add_table(
            sheet,
            weekday,
            title="title:preferences_weekday",
            start_row=row + 1,
            labels=day_labels,
            number_formats={"orders": "#,##0", "revenue": "#,##0.00"},
            freeze_header=False,
            autofilter=False,
        )
        columns = list(weekday.columns)
        n = len(weekday)
        charts.append(
            {"data_ref": _column(day_span, columns, "order_share", n),
             "categories_ref": _column(day_span, columns, "weekday_name", n, header=False),
             "title": "chart:preferences_weekday", "y_title": "axis:share", "percent": True,
             "row": day_span.first_row - 1}
        )  # fmt: skip
        row = day_span.last_row + 2
    if has_hour:
        # hours down, weekdays across: seven columns as wide as the weekday table's above
        grid = times.pivot_table(index="hour", columns="weekday", values="orders", aggfunc="sum", fill_value=0)
        grid = grid.reindex(index=range(24), columns=range(1, 8), fill_value=0)
        days = [_weekday(book, d) for d in grid.columns]
        frame = pd.DataFrame(grid.to_numpy(dtype="int64"), columns=days)
        frame.insert(0, "hour", [f"{h:02d}:00" for h in grid.index])
        heat = book.add_table(
            sheet,
            frame,
            title="title:preferences_heat_map",
            start_row=row + 1,
            labels={"hour": "preferences:hour"} | {d: d for d in days},
            number_formats=dict.fromkeys(frame.columns[1:], "#,##0"),
            freeze_header=False,
            autofilter=False,
        )
        book.add_heat_map(sheet, (heat.first_row + 1, heat.last_row, heat.first_col + 1, heat.last_col))
        row = heat.last_row + 2
    if "price" in prefs.skipped or prefs.price_bands is None or prefs.price_bands.empty:
        _lines(book, sheet, _skipped_lines(book, prefs, ["price"]), row + 1)
    else:
        bands = prefs.price_bands.copy()
        bands.insert(
            1, "price_range", [f"{lo:,.2f}–{hi:,.2f}" for lo, hi in zip(bands.pop("lower"), bands.pop("upper"))]
        )
        shown = [c for c in _BAND_COLUMNS if c in bands.columns] + _further(bands, _BAND_COLUMNS)
        bands = bands[shown]
        band_span = book.add_table(
            sheet,
            bands,
            title="title:preferences_price_bands",
            start_row=row + 1,
            labels={c: _header(book, c, _BAND_COLUMNS) for c in shown},
            number_formats={"band": "0", "lines": "#,##0", "customers": "#,##0", "spend": "#,##0.00"},
            freeze_header=False,
            autofilter=False,
        )
        columns = list(bands.columns)
        n = len(bands)
        charts.append(
            {"data_ref": [_column(band_span, columns, c, n) for c in ("line_share", "spend_share") if c in columns],
             "categories_ref": _column(band_span, columns, "price_range", n, header=False),
             "title": "chart:preferences_price_bands", "y_title": "axis:share", "percent": True,
             "row": band_span.first_row - 1}
        )  # fmt: skip
    col = _chart_col(book, sheet)
    next_row = 1
    for chart in charts:
        anchor_row = max(chart.pop("row"), next_row)
        book.add_bar_chart(sheet, anchor=f"{_letter(col)}{anchor_row}", width=_CHART_WIDTH, **chart)
        next_row = book.row_below_charts(sheet, gap=1)


# --- the Preference customers sheet ------------------------------------------------------------------
def _add_customers(book: ReportWorkbook, prefs: Preferences, customers: str | CustomerPolicy | None) -> None:
    """One row per purchasing customer, under the ``--customers`` policy (the largest spenders first
    when cut); the columns of skipped analyses (all empty) left out, codes shown by their names."""
    policy = customer_policy(customers)
    frame = prefs.customers
    total = len(frame)
    kept = policy.kept(total)
    if policy.mode == "none":
        return
    shown = frame[[c for c in frame.columns if c != "segment" and (c == "customer_id" or frame[c].notna().any())]]
    shown = shown.copy()
    for column, family in _VALUE_FAMILIES.items():
        if column in shown.columns:
            shown[column] = shown[column].map(
                lambda v, f=family: "" if pd.isna(v) else book.label(f"{f}:{v}") if f"{f}:{v}" in LABELS else str(v)
            )
    for column in ("main_channel", "main_category", "main_product"):
        if column in shown.columns:
            shown[column] = shown[column].map(lambda v: _value(book, v))
    if "omnichannel" in shown.columns:
        shown["omnichannel"] = shown["omnichannel"].map(
            lambda v: "" if pd.isna(v) else book.label("preferences:yes" if bool(v) else "preferences:no")
        )
    if "preferred_weekday" in shown.columns:
        shown["preferred_weekday"] = shown["preferred_weekday"].map(lambda d: _weekday(book, d))
    known = {
        "customer_id": "customer_id",
        "segment_label": "segment_label",
        "channels": "preferences:channel_count",
        "categories": "preferences:category_count",
    }
    labels = {c: _header(book, c, known) for c in shown}
    formats = {
        "spend": "#,##0.00",
        "price_index": _FMT_INDEX,
        "price_band": "0",
        "preferred_hour": "0",
        **{c: _FMT_SHARE for c in shown.columns if str(c).endswith("_share")},
    }
    if kept >= total:
        book.add_long_table(_CUSTOMERS_SHEET, shown, labels=labels, number_formats=formats)
        return
    order = shown.sort_values(["spend", "customer_id"], ascending=[False, True], kind="stable").index[:kept]
    by = label(f"order_by:{_CUSTOMERS_SHEET}", book.lang)
    note = sentence("msg:customers_cut", book.lang, kept=kept, total=total, left=total - kept, by=by)
    book.add_table(_CUSTOMERS_SHEET, shown.loc[order], labels=labels, number_formats=formats, title=note)
