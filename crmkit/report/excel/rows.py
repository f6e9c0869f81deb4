"""Writing the rows of a sheet: cell styles, the merged row stream and the two row writers.

A sheet's blocks (tables, key/value pairs) each yield their rows in order; :func:`_merged_rows`
interleaves them into one stream of rows. :class:`_RawRowWriter` writes that stream as
SpreadsheetML text straight into openpyxl's sheet XML (about eight times faster than openpyxl's
pure-Python cell objects); :class:`_CellRowWriter` goes through openpyxl's public ``append``
and serves when lxml is installed or openpyxl's internals are not what
:func:`_raw_rows_supported` expects. The tests compare both cell by cell.
"""

from __future__ import annotations

import copy
import functools
import heapq
import io
import itertools
import math
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple
from xml.sax.saxutils import escape as _xml_escape

import numpy as np
import pandas as pd

from crmkit.report.excel.formats import FMT_GENERAL, _excel_scalar, _python_values

# --- the row stream ----------------------------------------------------------------------
# a style is (number_format, bold, wrap): titles do not wrap (a long one spills right over empty
# cells), table headers and long text do, so a long header or note does not widen its column
_HEADER_STYLE = (FMT_GENERAL, True, False)
_TABLE_HEADER_STYLE = (FMT_GENERAL, True, True)
# over a column of numbers or dates (which Excel aligns right) the header is aligned right too
_NUMBER_HEADER_STYLE = (FMT_GENERAL, True, True, "right")
_TEXT_HEADER_STYLE = (FMT_GENERAL, True, True, "indent")
_PLAIN_STYLE = (FMT_GENERAL, False, False)
_WRAP_STYLE = (FMT_GENERAL, False, True)

RowStream = Iterator[tuple[int, Sequence | str, Sequence | None]]
"""``(row, values, styles)``; from :meth:`TableRows.xml` also ``(row, cells_text, None)``."""


@dataclass
class _Block:
    first_row: int
    last_row: int
    first_col: int
    last_col: int
    rows: Callable[[], RowStream]
    """Yields ``(row, values, styles)`` in row order; values start at ``first_col``."""
    xml: Callable[[Callable[[tuple], str]], RowStream] | None = None
    """The same rows for :class:`_RawRowWriter`, given its style attributes: data rows may come
    as ready ``<c>`` text with styles None (:class:`TableRows`); None: use :attr:`rows`."""


def _column_letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


# --- cell addressing ---------------------------------------------------------------------
class Span(NamedTuple):
    """Cells a block occupies, 1-based and inclusive (a table's span starts at its header)."""

    first_row: int
    last_row: int
    first_col: int
    last_col: int


def cell_name(row: int, col: int) -> str:
    """A1-style name of a cell: ``cell_name(2, 3) == 'C2'``."""
    return f"{_column_letter(col)}{row}"


def column_ref(span: Span, columns: Sequence, name, *, header: bool = True) -> tuple[int, int, int, int]:
    """The ``(min_col, min_row, max_col, max_row)`` reference of one column of a table.

    Parameters
    ----------
    span : Span
        What :meth:`ReportWorkbook.add_table` returned.
    columns : sequence
        The table's columns (``df.columns``).
    name : object
        The column wanted.
    header : bool
        Include the header cell (charts take the series name from it).

    Examples
    --------
    >>> column_ref(Span(1, 4, 1, 3), ["a", "b", "c"], "b")
    (2, 1, 2, 4)
    """
    col = span.first_col + list(columns).index(name)
    return (col, span.first_row if header else span.first_row + 1, col, span.last_row)


def _merged_rows(
    blocks: Sequence[_Block], style_attr: Callable[[tuple], str] | None = None
) -> Iterator[tuple[int, list]]:
    """Rows of all blocks of a sheet in row order: ``(row, [(first_col, values, styles), ...])``.

    With ``style_attr`` (the raw writer's), blocks that can render their rows as XML do."""
    if not blocks:
        return

    def located(block: _Block):
        stream = block.xml(style_attr) if style_attr is not None and block.xml is not None else block.rows()
        for row, values, styles in stream:
            yield row, block.first_col, values, styles

    streams = [located(block) for block in sorted(blocks, key=lambda b: (b.first_row, b.first_col))]
    merged = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=lambda item: item[0])
    for row, items in itertools.groupby(merged, key=lambda item: item[0]):
        segments = [(first_col, values, styles) for _, first_col, values, styles in items]
        yield row, sorted(segments, key=lambda s: s[0]) if len(segments) > 1 else segments


# --- cell writers ------------------------------------------------------------------------
class _Styles:
    """Cell styles by ``(number_format, bold[, wrap[, horizontal]])``: openpyxl's style array and id.

    Both row writers take their styles from here, so they write the same ``xf`` records.
    """

    def __init__(self, worksheet) -> None:
        self._worksheet = worksheet
        self._cache: dict[tuple, tuple[int, object]] = {}

    def get(self, key: tuple) -> tuple[int, object]:
        found = self._cache.get(key)
        if found is None:
            from openpyxl.cell import WriteOnlyCell
            from openpyxl.styles import Alignment, Font

            template = WriteOnlyCell(self._worksheet)
            number_format, bold = key[:2]
            wrap, horizontal = len(key) > 2 and key[2], key[3] if len(key) > 3 else None
            if number_format != FMT_GENERAL:
                template.number_format = number_format
            if bold:
                template.font = Font(bold=True)
            if wrap or horizontal:
                # "indent": text a character in from the left edge, so that it does not touch the
                # right-aligned number of the column before it ("238.93Reward them")
                indent = 1 if horizontal == "indent" else 0
                side = "left" if indent else horizontal
                template.alignment = Alignment(wrap_text=wrap or None, horizontal=side, indent=indent)
            found = (template.style_id, template._style)
            self._cache[key] = found
        return found


class _CellRowWriter:
    """Rows through openpyxl's public write-only API (``ws.append`` of ``WriteOnlyCell``)."""

    def __init__(self, worksheet, styles: _Styles):
        self._worksheet = worksheet
        self._styles = styles
        self._next_row = 1

    def write(self, row: int, segments, height: int | None = None) -> None:
        from openpyxl.cell import WriteOnlyCell

        while self._next_row < row:
            self._worksheet.append([])
            self._next_row += 1
        if height:
            self._worksheet.row_dimensions[row].height = height
        width = max(first_col + len(values) - 1 for first_col, values, _ in segments)
        cells: list = [None] * width
        for first_col, values, styles in segments:
            for offset, (value, style) in enumerate(zip(values, styles)):
                if type(value) not in (str, int, float):
                    value = _excel_scalar(value)
                if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
                    continue
                if style == _PLAIN_STYLE:
                    cells[first_col - 1 + offset] = value
                    continue
                cell = WriteOnlyCell(self._worksheet, value)
                cell._style = copy.copy(self._styles.get(style)[1])
                cells[first_col - 1 + offset] = cell
        self._worksheet.append(cells)
        self._next_row += 1


@functools.cache
def _raw_rows_supported() -> bool:
    """Whether openpyxl's sheet XML stream accepts raw text (its pure-Python et_xmlfile writer)."""
    try:
        from openpyxl import LXML
        from openpyxl.worksheet._write_only import WriteOnlyWorksheet
        from openpyxl.xml.functions import xmlfile

        if LXML or not all(hasattr(WriteOnlyWorksheet, name) for name in ("_get_writer", "_rows", "close")):
            return False
        buffer = io.BytesIO()
        with xmlfile(buffer) as xf:
            with xf.element("probe"):
                write = getattr(xf, "_file", None)
                if not callable(write):
                    return False
                write("<raw/>")
        return b"<probe><raw/></probe>" in buffer.getvalue()
    except Exception:  # any surprise in openpyxl's internals: use its public API instead
        return False


_FAST_ROWS = True
"""Tests switch this off to check the public-API path writes the same cells."""


def _use_raw_rows(worksheet) -> bool:
    return _FAST_ROWS and _raw_rows_supported() and getattr(worksheet, "_rows", "x") is None


def _sheet_data(worksheet) -> Generator[None, str, None]:
    """Stand-in for ``WriteOnlyWorksheet._write_rows`` taking ready ``<row>`` XML strings.

    It mirrors openpyxl's own generator: open ``<sheetData>`` in the sheet's XML stream,
    write what is sent, close on ``close()`` (which ``WriteOnlyWorksheet.close`` calls at save).
    """
    worksheet._get_writer()
    stream = worksheet._writer.xf
    xf = stream.send(True)
    write = xf._file
    with xf.element("sheetData"):
        try:
            while True:
                write((yield))
        except GeneratorExit:
            pass
    stream.send(None)


class _RawRowWriter:
    """Rows as SpreadsheetML text (ECMA-376 Part 1, 18.3.1.73 ``row``, 18.3.1.4 ``c``).

    Strings are inline (``t="inlineStr"``) exactly as openpyxl writes them, numbers plain
    ``<v>``, booleans ``t="b"``; dates arrive as serial numbers with a date style.
    """

    def __init__(self, worksheet, styles: _Styles):
        self._styles = styles
        self._templates: dict[int, tuple[object, int, list[tuple[str, str]]]] = {}
        generator = _sheet_data(worksheet)
        next(generator)
        worksheet._rows = generator
        self._send = generator.send

    def _columns(self, first_col: int, styles) -> list[tuple[str, str]]:
        cached = self._templates.get(id(styles))
        if cached is not None and cached[0] is styles and cached[1] == first_col:
            return cached[2]
        columns = []
        for offset, style in enumerate(styles):
            style_id = self._styles.get(style)[0]
            columns.append((_column_letter(first_col + offset), f' s="{style_id}"' if style_id else ""))
        self._templates[id(styles)] = (styles, first_col, columns)
        return columns

    def style_attr(self, style: tuple) -> str:
        """The ``s`` attribute of a cell of ``style`` (empty for the default style)."""
        style_id = self._styles.get(style)[0]
        return f' s="{style_id}"' if style_id else ""

    def write(self, row: int, segments, height: int | None = None) -> None:
        r = str(row)
        # a height as openpyxl writes a row dimension's
        parts = [f'<row r="{r}" ht="{height}" customHeight="1">' if height else f'<row r="{r}">']
        append = parts.append
        for first_col, values, styles in segments:
            if styles is None:  # cells already written out (TableRows.xml)
                append(values)
                continue
            for (letter, style), value in zip(self._columns(first_col, styles), values):
                cell = _cell(letter, r, style, value)
                if cell:
                    append(cell)
        append("</row>")
        self._send("".join(parts))


def _cell(letter: str, r: str, style: str, value) -> str | None:
    """One ``<c>`` element of a Python value as the prepared columns hold them; None for no cell."""
    kind = type(value)
    if kind is str:
        return _text_cell(letter, r, style, value) if value else None
    if kind is float:
        return f'<c r="{letter}{r}"{style} t="n"><v>{value!r}</v></c>' if math.isfinite(value) else None
    if kind is int:
        return f'<c r="{letter}{r}"{style} t="n"><v>{value}</v></c>'
    return None if value is None else _cell_xml(letter, r, style, _excel_scalar(value))


def _text_cell(letter: str, r: str, style: str, value: str) -> str:
    space = ' xml:space="preserve"' if value.strip() != value else ""
    return f'<c r="{letter}{r}"{style} t="inlineStr"><is><t{space}>{_xml_escape(value)}</t></is></c>'


def _cell_xml(letter: str, r: str, style: str, value) -> str | None:
    """One ``<c>`` element for a value already passed through :func:`_excel_scalar`."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return f'<c r="{letter}{r}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, str):
        return _text_cell(letter, r, style, value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return f'<c r="{letter}{r}"{style} t="n"><v>{value!r}</v></c>'


# --- a table's rows -------------------------------------------------------------------------
class TableRows:
    """The rows of a table block: its title and header, then one row per row of its columns.

    :meth:`values` yields Python values for either writer. :meth:`xml` yields the data rows as
    ready ``<c>`` text for :class:`_RawRowWriter`, a column at a time: each distinct value of
    a column chunk (a segment name, a price, a day count) is written out once and the cells are
    joined with numpy's element-wise string concatenation, which is several times faster than a
    Python call per cell on a customer table of 100,000 rows x 20 columns. The two give the same
    cells (tests compare the writers, and the workbooks byte for byte).
    """

    CHUNK = 20_000
    """Rows converted at a time: 300k rows x 19 columns as Python objects would hold ~200 MB."""

    def __init__(self, heading: Sequence[tuple[int, Sequence, Sequence]], first_row: int, first_col: int,
                 columns: Sequence, row_styles: Sequence[tuple]):  # fmt: skip
        self.heading, self.first_row, self.first_col = heading, first_row, first_col
        self.columns, self.row_styles = columns, row_styles

    def values(self) -> RowStream:
        yield from self.heading
        row = self.first_row
        for begin in range(0, len(self.row_styles), self.CHUNK):
            chunk = [_python_values(column.iloc[begin : begin + self.CHUNK]) for column in self.columns]
            for values in zip(*chunk):
                yield row, values, self.row_styles[row - self.first_row]
                row += 1

    def xml(self, style_attr: Callable[[tuple], str]) -> RowStream:
        n_rows = len(self.row_styles)
        if len(set(self.row_styles)) > 1:  # a format per row (a transposed table): small, cell by cell
            yield from self.values()
            return
        yield from self.heading
        if not n_rows:
            return
        # the data styles get their ids after the header's, as with the other writer (the ids then
        # match): the first row goes as values, so the row stream has looked past the header row,
        # and written it, by the time the attributes below are taken
        yield self.first_row, [_python_values(column.iloc[:1])[0] for column in self.columns], self.row_styles[0]
        attrs = [style_attr(style) for style in self.row_styles[0]]
        letters = [_column_letter(self.first_col + offset) for offset in range(len(self.columns))]
        for begin in range(1, n_rows, self.CHUNK):
            first = self.first_row + begin
            count = min(self.CHUNK, n_rows - begin)
            rows = np.arange(first, first + count).astype(str).astype(object)
            text = np.full(count, "", dtype=object)
            for column, letter, attr in zip(self.columns, letters, attrs):
                text = text + _column_cells(column.iloc[begin : begin + count], letter, attr, rows)
            for offset, cells in enumerate(text.tolist()):
                yield first + offset, cells, None


def _column_cells(series, letter: str, style: str, rows: np.ndarray) -> np.ndarray:
    """The ``<c>`` text of a column chunk, one per row ("" for an empty cell), as :func:`_cell` writes it."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        keys = series.to_numpy()
    elif isinstance(dtype, np.dtype) and dtype.kind == "f":
        # by bit pattern: -0.0 and 0.0 print differently, and every NaN is one (empty) cell
        keys = series.to_numpy(dtype=float).view(np.int64)
    else:
        values = _python_values(series)
        kinds = set(map(type, values)) - {type(None)}
        if not (kinds <= {str} or kinds <= {int}):
            # mixed Python types: 1, 1.0 and True hash alike but are written differently (text
            # alone, or whole numbers alone such as a nullable integer column, are safe)
            return np.array([_cell(letter, r, style, v) or "" for r, v in zip(rows.tolist(), values)], dtype=object)
        keys = np.array(values, dtype=object)
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    distinct, first = np.unique(codes, return_index=True)
    # the tail of each distinct value's cell, after '<c r="A'; the last, for code -1 (missing), is no cell
    tails = [""] * (len(uniques) + 1)
    for code, value in zip(distinct.tolist(), _python_values(series.iloc[first])):
        cell = _cell("", "", style, value) if code >= 0 else None
        tails[code] = cell[len('<c r="') :] if cell else ""
    tail = np.array(tails, dtype=object)[codes]
    return np.where(tail != "", '<c r="' + letter + rows + tail, "")
