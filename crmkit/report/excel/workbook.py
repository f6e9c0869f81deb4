"""The workbook being assembled: :class:`ReportWorkbook`, its sheet plan and cell addressing.

The ``add_*`` methods only *plan* blocks and charts; :meth:`ReportWorkbook.save` renders the
plan into an openpyxl write-only workbook (rows from :mod:`.rows`, charts from :mod:`.charts`)
and moves it into place atomically.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crmkit.errors import OutputError
from crmkit.report.excel.archive import save_workbook
from crmkit.report.excel.charts import (
    Range,
    ScatterSeries,
    _bar_height,
    _build_chart,
    _chart_cells,
    _ChartSpec,
    _column_after,
    _heat_map_rule,
    _print_setup,
    _refs,
)
from crmkit.report.excel.formats import (
    KEY_VALUE_WRAP,
    TEXT_WRAP_WIDTH,
    _clean_text,
    _column_width,
    _display_width,
    _excel_scalar,
    _kind_of_value,
    _prepare_column,
    _value_width,
    _wrap_lines,
    number_format_for,
    print_pages_wide,
)
from crmkit.report.excel.rows import (
    _HEADER_STYLE,
    _NUMBER_HEADER_STYLE,
    _PLAIN_STYLE,
    _TABLE_HEADER_STYLE,
    _TEXT_HEADER_STYLE,
    Span,
    TableRows,
    _Block,
    _CellRowWriter,
    _column_letter,
    _merged_rows,
    _RawRowWriter,
    _Styles,
    _use_raw_rows,
    cell_name,
    column_ref,
)
from crmkit.report.files import output_target
from crmkit.report.i18n import check_lang, label

__all__ = ["EXCEL_MAX_COLS", "EXCEL_MAX_ROWS", "ReportWorkbook", "Span", "cell_name", "column_ref"]

# Excel specifications and limits (Microsoft 365)
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
SHEET_TITLE_MAX = 31
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


# --- the plan ----------------------------------------------------------------------------
@dataclass
class _SheetPlan:
    key: str
    title: str
    blocks: list[_Block] = field(default_factory=list)
    charts: list[_ChartSpec] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    freeze: str | None = None
    autofilter: str | None = None
    heat_maps: list[str] = field(default_factory=list)
    heights: dict[int, int] = field(default_factory=dict)
    """Heights in points of rows holding wrapped text (LibreOffice does not fit them itself)."""
    # printing: None for landscape means "when wider than a portrait page"; fit_height 0 lets the
    # sheet run over as many pages as it needs while always being one page wide
    landscape: bool | None = None
    fit_height: int = 0
    title_rows: str | None = None


class ReportWorkbook:
    """An Excel report being assembled sheet by sheet, written by :meth:`save`.

    Sheets appear in the order they are first used. Every label (sheet name, header, key,
    chart title) passes through :func:`crmkit.report.i18n.label` in the workbook's language, so
    callers pass keys (``"sheet:summary"``, ``"recency_days"``) and literal text passes
    through unchanged.

    Parameters
    ----------
    lang : {"en", "zh"}
        Language of every label.
    title : str, optional
        i18n key or text of the report's title, printed in the page header of every sheet
        (the sheet's name when not given).
    as_of : datetime.date, optional
        The analysis date, printed in the page header beside the title.

    Attributes
    ----------
    lang : str
    title : str or None
    as_of : datetime.date or None
    sheet_titles : list of str
        Worksheet names in order.

    Examples
    --------
    >>> book = ReportWorkbook("en")
    >>> book.add_key_values("sheet:summary", [("customers", 1200), ("revenue", 98500.5)])
    Span(first_row=1, last_row=2, first_col=1, last_col=2)
    >>> book.sheet_titles
    ['Summary']
    """

    def __init__(self, lang: str = "en", *, title: str | None = None, as_of: dt.date | None = None):
        self.lang = check_lang(lang)
        self.title = title
        self.as_of = as_of
        self._sheets: dict[str, _SheetPlan] = {}

    # -- sheets -----------------------------------------------------------------------------
    @property
    def sheet_titles(self) -> list[str]:
        return [plan.title for plan in self._sheets.values()]

    def label(self, key) -> str:
        """``key`` in the workbook's language (see :func:`crmkit.report.i18n.label`)."""
        return label(key, self.lang)

    def _sheet(self, sheet_key: str) -> _SheetPlan:
        plan = self._sheets.get(sheet_key)
        if plan is None:
            plan = _SheetPlan(sheet_key, self._unique_title(self.label(sheet_key)))
            self._sheets[sheet_key] = plan
        return plan

    def _unique_title(self, text: str) -> str:
        title = _SHEET_TITLE_FORBIDDEN.sub("_", str(text)).strip().strip("'")[:SHEET_TITLE_MAX] or "Sheet"
        taken = {plan.title.lower() for plan in self._sheets.values()}
        candidate, n = title, 2
        while candidate.lower() in taken:
            suffix = f" ({n})"
            candidate = title[: SHEET_TITLE_MAX - len(suffix)] + suffix
            n += 1
        return candidate

    @staticmethod
    def _check_room(plan: _SheetPlan, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
        """Refuse a block that Excel cannot hold or that would overwrite another block."""
        if first_row < 1 or first_col < 1:
            raise ValueError(f"rows and columns count from 1, got row {first_row}, column {first_col}")
        if last_row > EXCEL_MAX_ROWS or last_col > EXCEL_MAX_COLS:
            raise OutputError(
                f"{last_row - first_row:,} rows x {last_col - first_col + 1:,} columns do not fit on "
                f"the Excel sheet '{plan.title}' (limit {EXCEL_MAX_ROWS:,} rows, {EXCEL_MAX_COLS:,} columns)",
                hint="write CSV output instead",
            )
        for other in plan.blocks:
            if (
                first_row <= other.last_row
                and other.first_row <= last_row
                and first_col <= other.last_col
                and other.first_col <= last_col
            ):
                raise ValueError(
                    f"block at {cell_name(first_row, first_col)} overlaps the block at "
                    f"{cell_name(other.first_row, other.first_col)} on sheet {plan.key!r}"
                )

    @staticmethod
    def _widen(plan: _SheetPlan, widths: Mapping[int, float]) -> None:
        for col, width in widths.items():
            plan.widths[col] = min(max(plan.widths.get(col, 0.0), width), 60.0)

    # -- blocks -----------------------------------------------------------------------------
    def add_key_values(
        self,
        sheet_key: str,
        rows,
        title: str | None = None,
        *,
        number_formats: Mapping[str, str] | None = None,
        start_row: int = 1,
        start_col: int = 1,
    ) -> Span:
        """Add a two-column block: a label (the key translated) and a formatted value per row.

        Values are formatted by :func:`number_format_for` from the key and the value's type
        (dates as dates, shares as %, money with thousands separators, counts as ``#,##0``).

        Parameters
        ----------
        sheet_key : str
            i18n key of the sheet (``"sheet:summary"``); the sheet is created on first use.
        rows : iterable of (key, value) or mapping
            Keys are i18n keys (unknown keys are shown as they are).
        title : str, optional
            i18n key or text of a bold title written in the row above the pairs.
        number_formats : mapping, optional
            ``key -> Excel format code``, overriding the defaults.
        start_row, start_col : int
            Top-left cell of the block (of its title when there is one).

        Returns
        -------
        Span
            The cells of the pairs (the title, if any, is in the row above ``first_row``).
        """
        plan = self._sheet(sheet_key)
        pairs = list(rows.items() if isinstance(rows, Mapping) else rows)
        formats = dict(number_formats or {})
        first_row = start_row + (1 if title else 0)
        last_row = max(first_row + len(pairs) - 1, first_row)
        self._check_room(plan, start_row, last_row, start_col, start_col + 1)
        prepared: list[tuple[int, list, list]] = []
        # a long title may spill over the value column; only its first 30 characters count
        label_width = min(_display_width(self.label(title)), 30) if title else 0
        value_width: float = 0
        if title:
            prepared.append((start_row, [_clean_text(self.label(title))], [_HEADER_STYLE]))
        for offset, (key, value) in enumerate(pairs):
            text = _clean_text(self.label(key))
            fmt = formats.get(key) or number_format_for(key, _kind_of_value(value))
            cell_value = _excel_scalar(value)
            wrap = isinstance(cell_value, str) and _display_width(cell_value) > KEY_VALUE_WRAP  # a reader's note
            prepared.append((first_row + offset, [text, cell_value], [_PLAIN_STYLE, (fmt, False, wrap)]))
            label_width = max(label_width, _display_width(text) + 2)
            value_width = max(value_width, KEY_VALUE_WRAP + 2 if wrap else _value_width(cell_value, fmt) + 2)
            if wrap:
                lines = _wrap_lines(pd.Series([cell_value], dtype=object), KEY_VALUE_WRAP + 2, plain=True)[0]
                plan.heights[first_row + offset] = 15 * int(lines)
        plan.blocks.append(_Block(start_row, last_row, start_col, start_col + 1, lambda: iter(prepared)))
        self._widen(plan, {start_col: label_width, start_col + 1: value_width})
        return Span(first_row, last_row, start_col, start_col + 1)

    def add_table(
        self,
        sheet_key: str,
        df: pd.DataFrame,
        *,
        number_formats: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        row_formats: Sequence[str] | None = None,
        title: str | None = None,
        freeze_header: bool = True,
        autofilter: bool = True,
        start_row: int = 1,
        start_col: int = 1,
    ) -> Span:
        """Add a table: a bold header of translated column names and one row per frame row.

        Formats per column come from :func:`number_format_for` (dates ``yyyy-mm-dd``, shares
        and rates ``0.0%``, money ``#,##0.00``, integer counts ``#,##0``); widths are fitted to
        the longest value and the header, which wraps beyond 14 characters; text longer than 40
        characters wraps at 40. Text is neutralised against formula injection. The frame's index
        is not written.

        Parameters
        ----------
        sheet_key : str
            i18n key of the sheet; created on first use.
        df : pandas.DataFrame
            The rows, shape (n_rows, n_columns); n_rows + header must fit in Excel's
            1,048,576 rows.
        number_formats : mapping, optional
            ``column -> Excel format code``, overriding the defaults.
        labels : mapping, optional
            ``column -> i18n key or text`` for the header, overriding ``label(column)``.
        row_formats : sequence of str, optional
            One format per row for the numeric columns, overriding the column formats: a
            transposed table whose rows are measures (the Overview's trend).
        title : str, optional
            i18n key or text of a bold title in the row above the header.
        freeze_header : bool
            Freeze the rows down to the header (one table per sheet may ask for it).
        autofilter : bool
            Put an autofilter on the table (Excel allows one per sheet).
        start_row, start_col : int
            Top-left cell of the block (of its title when there is one).

        Returns
        -------
        Span
            ``(first_row, last_row, first_col, last_col)`` from the header row to the last
            data row; feed it to :func:`column_ref` for chart references.

        Raises
        ------
        crmkit.errors.OutputError
            The table does not fit on an Excel sheet.
        """
        plan = self._sheet(sheet_key)
        formats = dict(number_formats or {})
        header_labels = dict(labels or {})
        header_row = start_row + (1 if title else 0)
        n_rows, n_cols = df.shape
        last_row = header_row + n_rows
        last_col = start_col + max(n_cols, 1) - 1
        self._check_room(plan, start_row, last_row, start_col, last_col)
        if freeze_header and plan.freeze is not None:
            raise ValueError(f"sheet {sheet_key!r} already has a frozen header")
        if autofilter and plan.autofilter is not None:
            raise ValueError(f"sheet {sheet_key!r} already has an autofilter (Excel allows one)")

        headers, columns, styles, widths, header_styles = [], [], [], {}, []
        for position, name in enumerate(df.columns):
            header = _clean_text(self.label(header_labels.get(name, name)))
            column, kind = _prepare_column(name, df.iloc[:, position])
            fmt = formats.get(name) or number_format_for(name, kind)
            headers.append(header)
            columns.append(column)
            # numbers and dates align right, their headers too; text after another column is set in
            # a character, its header with it
            numeric, inset = kind in ("int", "float", "date"), position > 0 and kind == "text"
            header_styles.append(
                _NUMBER_HEADER_STYLE if numeric else _TEXT_HEADER_STYLE if inset else _TABLE_HEADER_STYLE
            )
            width = _column_width(header, column, kind, fmt)
            if row_formats is not None and kind in ("int", "float"):
                fmt = ""  # each row's own
                rows = zip(column.astype(float), row_formats)
                width = max([width] + [_column_width(header, pd.Series([v]), kind, f) for v, f in rows])
            # long prose wraps at a readable width instead of stretching the page; not in a
            # customer-level table, where a second line on every row would double its pages
            wrap = kind == "text" and width > TEXT_WRAP_WIDTH + 2 and n_rows <= 1_000
            styles.append((fmt, False, wrap, "indent") if inset else (fmt, False, wrap))
            widths[start_col + position] = min(width, TEXT_WRAP_WIDTH + 2) if wrap else width
        self._fit_heights(plan, header_row, headers, columns, styles, [widths[start_col + n] for n in range(n_cols)])
        row_styles = [tuple(styles)] * n_rows
        if row_formats is not None:
            row_styles = [tuple((s[0] or f, *s[1:]) for s in styles) for f in row_formats]
        title_text = _clean_text(self.label(title)) if title else None

        heading: list[tuple[int, Sequence, Sequence]] = [(header_row, headers, tuple(header_styles))]
        if title_text is not None:
            heading.insert(0, (start_row, (title_text,), (_HEADER_STYLE,)))
        table = TableRows(heading, header_row + 1, start_col, columns, row_styles)
        plan.blocks.append(_Block(start_row, last_row, start_col, last_col, table.values, table.xml))
        self._widen(plan, widths)
        if freeze_header:
            plan.freeze = f"A{header_row + 1}"
            # the frozen header is the sheet's main table: printed on every page too
            plan.title_rows = f"{header_row}:{header_row}"
        if autofilter:
            plan.autofilter = f"{cell_name(header_row, start_col)}:{cell_name(last_row, last_col)}"
        return Span(header_row, last_row, start_col, last_col)

    @staticmethod
    def _fit_heights(plan: _SheetPlan, header_row: int, headers, columns, styles, widths) -> None:
        """Row heights for a wrapped header and wrapped text (15 pt a line)."""
        lines = _wrap_lines(pd.Series(headers, dtype=object), widths)
        if len(lines) and lines.max() > 1:
            plan.heights[header_row] = 15 * int(lines.max())
        rows = np.ones(len(columns[0]) if columns else 0, dtype=int)
        for column, style, width in zip(columns, styles, widths):
            if style[2]:
                rows = np.maximum(rows, _wrap_lines(column, width, plain=True))
        for offset in np.flatnonzero(rows > 1):
            plan.heights[header_row + 1 + int(offset)] = 15 * int(rows[offset])

    # -- charts -----------------------------------------------------------------------------
    def add_long_table(self, sheet_key: str, df, **options) -> list:
        """A table of any length: split over as many sheets as Excel's row limit needs.

        The sheets are titled "Customers", "Customers (2)", ... (in the workbook's language);
        each has its own header row. Options are those of :meth:`add_table`.
        """
        per_sheet = EXCEL_MAX_ROWS - 1 - (options.get("start_row", 1) - 1)
        if len(df) <= per_sheet:
            return [self.add_table(sheet_key, df, **options)]
        spans = []
        for part, start in enumerate(range(0, len(df), per_sheet), 1):
            key = sheet_key if part == 1 else f"{sheet_key}#{part}"
            if part > 1 and key not in self._sheets:
                self._sheets[key] = _SheetPlan(key, self._unique_title(f"{self.label(sheet_key)} ({part})"))
            spans.append(self.add_table(key, df.iloc[start : start + per_sheet], **options))
        return spans

    def add_heat_map(self, sheet_key: str, ref: tuple[int, int, int, int]) -> None:
        """Colour the cells of ``ref`` (first_row, last_row, first_col, last_col) on a red-yellow-green
        scale: a native conditional format, so the colours follow the values when they are edited."""
        first_row, last_row, first_col, last_col = ref
        self._sheet(sheet_key).heat_maps.append(f"{cell_name(first_row, first_col)}:{cell_name(last_row, last_col)}")

    def add_bar_chart(
        self,
        sheet_key: str,
        *,
        data_ref,
        categories_ref: tuple[int, int, int, int],
        anchor: str,
        title: str | None = None,
        y_title: str | None = None,
        x_title: str | None = None,
        percent: bool = False,
        horizontal: bool = False,
        titles_from_data: bool = True,
        width: float = 16.0,
        height: float | None = None,
        value_range: Range = (0, None),
        categories_format: str | None = None,
        value_format: str | None = None,
    ) -> None:
        """Add a native clustered bar chart over cells of the sheet.

        The value axis starts at 0 (a bar's length is its value) and every category is labelled;
        horizontal bars run top to bottom in the table's order.

        Parameters
        ----------
        sheet_key : str
        data_ref : (min_col, min_row, max_col, max_row) or a sequence of them
            One series per column; with ``titles_from_data`` the first row holds the names.
            Pass several references for columns that are not next to each other.
        categories_ref : (min_col, min_row, max_col, max_row)
            Category labels, without the header.
        anchor : str
            Top-left cell of the chart (``"H2"``).
        title, y_title, x_title : str, optional
            i18n keys or text.
        percent : bool
            Show the value axis as %.
        horizontal : bool
            Bars instead of columns.
        width, height : float
            Size in centimetres; by default 8 cm high, taller for horizontal bars of many
            categories so that each keeps a readable label.
        value_range : (float or None, float or None)
            Bounds of the value axis; ``None`` leaves one to the application. From 0 by default;
            pass ``(None, None)`` for values that may be negative.
        categories_format : str, optional
            Number format of numeric category labels (``"0"`` shows deciles as 1-10).
        value_format : str, optional
            Number format of the value axis labels; by default that of the cells.
        """
        refs = _refs(data_ref)
        if height is None:
            height = _bar_height(categories_ref[3] - categories_ref[1] + 1, len(refs), horizontal)
        self._sheet(sheet_key).charts.append(
            _ChartSpec(
                "bar",
                anchor,
                title,
                x_title,
                y_title,
                data_refs=refs,
                categories_ref=categories_ref,
                percent=percent,
                horizontal=horizontal,
                titles_from_data=titles_from_data,
                width=width,
                height=height,
                value_range=value_range,
                categories_format=categories_format,
                axis_formats=(None, value_format),
            )
        )

    def add_line_chart(
        self,
        sheet_key: str,
        *,
        data_ref,
        categories_ref: tuple[int, int, int, int],
        anchor: str,
        title: str | None = None,
        y_title: str | None = None,
        x_title: str | None = None,
        percent: bool = False,
        titles_from_data: bool = True,
        width: float = 16.0,
        height: float = 8.0,
        value_range: Range = (None, None),
        from_rows: bool = False,
    ) -> None:
        """Add a native line chart with categories on the x axis (months, cohorts).

        Every point has a marker, so one month reads as well as twelve. Parameters are those of
        :meth:`add_bar_chart`; the value axis is left to the application unless ``value_range``.
        With ``from_rows`` a series is a row (its name in the first cell) rather than a column.
        """
        self._sheet(sheet_key).charts.append(
            _ChartSpec(
                "line",
                anchor,
                title,
                x_title,
                y_title,
                data_refs=_refs(data_ref),
                categories_ref=categories_ref,
                percent=percent,
                titles_from_data=titles_from_data,
                width=width,
                height=height,
                value_range=value_range,
                from_rows=from_rows,
            )
        )

    def add_scatter_chart(
        self,
        sheet_key: str,
        *,
        series: Sequence[ScatterSeries],
        anchor: str,
        title: str | None = None,
        x_title: str | None = None,
        y_title: str | None = None,
        percent: bool = False,
        percent_x: bool = False,
        width: float = 16.0,
        height: float = 10.0,
        x_range: Range = (None, None),
        y_range: Range = (None, None),
        legend: bool = True,
        axis_formats: tuple[str | None, str | None] = (None, None),
    ) -> None:
        """Add a native scatter chart: curves, labelled points, reference lines and captions.

        Parameters
        ----------
        sheet_key : str
        series : sequence of ScatterSeries
            x and y references (without headers) and the legend text of each series, drawn
            as its ``style`` says (:data:`crmkit.report.excel.charts.SCATTER_STYLES`).
        anchor : str
            Top-left cell of the chart.
        title, x_title, y_title : str, optional
            i18n keys or text.
        percent, percent_x : bool
            Show the y (resp. x) axis as % from 0 to 100%.
        width, height : float
            Size in centimetres.
        x_range, y_range : (float or None, float or None)
            Axis bounds; ``None`` leaves one to the application.
        legend : bool
            Show a legend (not needed when every point carries its name).
        axis_formats : (str or None, str or None)
            Number formats of the x and y axis labels; by default those of the cells.
        """
        self._sheet(sheet_key).charts.append(
            _ChartSpec(
                "scatter",
                anchor,
                title,
                x_title,
                y_title,
                series=tuple(series),
                percent=percent,
                percent_x=percent_x,
                width=width,
                height=height,
                x_range=x_range,
                value_range=y_range,
                legend=legend,
                axis_formats=axis_formats,
            )
        )

    # -- printing ---------------------------------------------------------------------------
    def set_print(
        self,
        sheet_key: str,
        *,
        landscape: bool | None = None,
        pages_tall: int | None = None,
    ) -> None:
        """How a sheet prints; every sheet prints with its page header, one page wide (a list too
        wide to read so prints over as few pages wide as :func:`print_pages_wide` finds readable).

        Parameters
        ----------
        sheet_key : str
        landscape : bool, optional
            The orientation; by default landscape when the sheet is wider than a portrait page.
        pages_tall : int, optional
            Shrink the sheet to at most this many pages tall (by default as many as it needs).
        """
        plan = self._sheet(sheet_key)
        if landscape is not None:
            plan.landscape = landscape
        if pages_tall is not None:
            plan.fit_height = int(pages_tall)

    def chart_columns(self, sheet_key: str, first_col: int, widths_cm: Sequence[float], gap_cm: float = 0.5) -> list:
        """The columns where charts of ``widths_cm``, side by side from ``first_col``, start.

        Uses the column widths planned so far, so call it after the tables are added.

        Examples
        --------
        >>> ReportWorkbook("en").chart_columns("sheet:overview", 4, [10.0, 10.0])  # default columns: 1.69 cm
        [4, 11]
        """
        plan = self._sheet(sheet_key)
        starts, col = [], first_col
        for width in widths_cm:
            starts.append(col)
            col = _column_after(plan, col, width + gap_cm)
        return starts

    def row_below_charts(self, sheet_key: str, gap: int = 2) -> int:
        """The first row at least ``gap`` rows below every chart planned on the sheet so far."""
        plan = self._sheet(sheet_key)
        return max((_chart_cells(plan, spec)[1] for spec in plan.charts), default=0) + gap + 1

    # -- writing ----------------------------------------------------------------------------
    def save(self, path, *, protect: Iterable = ()) -> Path:
        """Write the workbook atomically.

        The workbook is written to a temporary file in the target's folder and moved onto
        ``path`` with :func:`os.replace` only once complete, so a failure (full disk, a bug,
        Ctrl-C) never leaves a half-written file and never destroys the previous report. A
        device or FIFO is written straight through (:mod:`crmkit.report.files`).

        Parameters
        ----------
        path : str or os.PathLike or crmkit.report.files.Target
            The ``.xlsx`` file to write; its folder must exist. A target of an
            :class:`~crmkit.report.files.OutputPlan` is put in place when the plan commits.
        protect : iterable of path
            Files that must never be overwritten (the inputs of the run).

        Returns
        -------
        pathlib.Path
            ``path``.

        Raises
        ------
        crmkit.errors.OutputError
            ``path`` is protected, a folder, in a missing folder, or cannot be written.
        """
        if not self._sheets:
            # openpyxl would write it, but Excel refuses to open a workbook without sheets
            raise ValueError("the workbook has no sheets to write")
        with output_target(path, protect) as target, target.writing() as temp_path:
            # openpyxl leaves its zip open when writing fails; writing() closes it
            save_workbook(self._render(), temp_path, self.as_of)
        return Path(target.name)

    def _render(self):
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        for plan in self._sheets.values():
            worksheet = workbook.create_sheet(plan.title)
            # a write-only sheet writes its properties with the first row: print settings first
            self._print_settings(plan, worksheet)
            for col, width in plan.widths.items():
                worksheet.column_dimensions[_column_letter(col)].width = round(width, 1)
            if plan.freeze:
                worksheet.freeze_panes = plan.freeze
            if plan.autofilter:
                worksheet.auto_filter.ref = plan.autofilter
            writer_class = _RawRowWriter if _use_raw_rows(worksheet) else _CellRowWriter
            writer = writer_class(worksheet, _Styles(worksheet))
            for row, segments in _merged_rows(plan.blocks, getattr(writer, "style_attr", None)):
                writer.write(row, segments, plan.heights.get(row))
            for spec in plan.charts:
                worksheet.add_chart(_build_chart(spec, worksheet, self.label), spec.anchor)
            for ref in plan.heat_maps:
                worksheet.conditional_formatting.add(ref, _heat_map_rule())
        return workbook

    def _print_settings(self, plan: _SheetPlan, worksheet) -> None:
        """One page wide, landscape when wide, header rows on every page, print area, page header."""
        # the report title (or the sheet's name) and the as-of date; '&' starts a header code
        parts = [self.label(self.title) if self.title else plan.title]
        if self.as_of is not None:
            parts.append(f"{self.label('as_of')}: {self.as_of:%Y-%m-%d}")
        _print_setup(plan, worksheet, " · ".join(parts).replace("&", "&&"))
        # a list (one table with a header, no chart; a summary keeps to one page wide) too wide for
        # one readable page prints N wide, its key column(s) on each, across then down: pages 1..N
        # carry the same rows
        if len(plan.blocks) == 1 and not plan.charts and plan.title_rows:
            first, last = plan.blocks[0].first_col, plan.blocks[0].last_col
            pages, _ = print_pages_wide([plan.widths.get(c, 8.43) for c in range(1, last + 1)], repeat=first)
            if pages > 1:
                setup = worksheet.page_setup
                setup.orientation, setup.fitToWidth, setup.pageOrder = "landscape", pages, "overThenDown"
                worksheet.print_title_cols = f"A:{_column_letter(first)}"
