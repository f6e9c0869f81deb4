"""Native Excel charts: what a chart shows (:class:`_ChartSpec`), building it with openpyxl, where it
sits among the cells, and the print settings that keep sheets and their charts on the page.

Every chart is drawn to read the same in Excel and in LibreOffice (the tests and the README's
pictures render with LibreOffice): bar value axes start at 0, every category label is shown,
line and point series carry markers (LibreOffice draws nothing for a one-point line without
one), and point labels come from series names, which both read, rather than from cells. Every
series takes its values from cells: LibreOffice 7 draws nothing for values held in the chart
(``c:numLit``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = ["SCATTER_STYLES", "ScatterSeries"]

SCATTER_STYLES = ("line", "points", "guide", "note")
"""How a :class:`ScatterSeries` is drawn: ``line`` a curve without markers; ``points`` markers only,
each labelled with the series name; ``guide`` a thin dashed reference line; ``note`` the series
name written at a point, with neither marker nor line (quadrant names)."""


class ScatterSeries(NamedTuple):
    """One series of a scatter chart: x and y cell references ``(min_col, min_row, max_col, max_row)``,
    its legend text (i18n key or text) and how it is drawn (one of :data:`SCATTER_STYLES`)."""

    x_ref: tuple[int, int, int, int]
    y_ref: tuple[int, int, int, int]
    title: str
    style: str = "line"


Range = tuple[float | None, float | None]


@dataclass
class _ChartSpec:
    kind: str
    anchor: str
    title: str | None
    x_title: str | None
    y_title: str | None
    data_refs: tuple[tuple[int, int, int, int], ...] = ()
    categories_ref: tuple[int, int, int, int] | None = None
    series: Sequence[ScatterSeries] = ()
    percent: bool = False
    percent_x: bool = False
    horizontal: bool = False
    titles_from_data: bool = True
    width: float = 16.0
    height: float = 8.0
    value_range: Range = (None, None)
    """y axis (bar/line value axis) bounds; ``None`` leaves a bound to the application."""
    x_range: Range = (None, None)
    categories_format: str | None = None
    """Number format of the category labels (``"0"`` for deciles held as numbers)."""
    legend: bool = True
    axis_formats: tuple[str | None, str | None] = (None, None)
    """Number formats of the x and y axis labels; ``None`` follows the cells."""
    from_rows: bool = False
    """Each data reference row is a series (its first cell the name), not each column."""


def _ref(ref) -> tuple[int, int, int, int]:
    """One reference ``(min_col, min_row, max_col, max_row)`` as plain ints."""
    min_col, min_row, max_col, max_row = ref
    return int(min_col), int(min_row), int(max_col), int(max_row)


def _refs(data_ref) -> tuple[tuple[int, int, int, int], ...]:
    """One reference or a sequence of them, as a tuple of references."""
    if len(data_ref) == 4 and all(isinstance(n, (int, np.integer)) for n in data_ref):
        return (_ref(data_ref),)
    return tuple(_ref(ref) for ref in data_ref)


def _name_label(position: str):
    """A data label showing only the series name, at ``position`` of the point."""
    from openpyxl.chart.label import DataLabelList

    labels = DataLabelList()
    labels.showSerName = True
    for flag in ("showVal", "showCatName", "showLegendKey", "showPercent", "showBubbleSize", "showLeaderLines"):
        setattr(labels, flag, False)
    labels.position = position
    return labels


def _scatter_series(item: ScatterSeries, reference, translate: Callable[[str], str]):
    from openpyxl.chart import Series
    from openpyxl.chart.shapes import GraphicalProperties
    from openpyxl.drawing.line import LineProperties

    if item.style not in SCATTER_STYLES:
        raise ValueError(f"unknown scatter style {item.style!r}; expected one of {SCATTER_STYLES}")
    series = Series(reference(item.y_ref), reference(item.x_ref), title=translate(item.title))
    series.smooth = False
    if item.style == "line":
        series.marker.symbol = "none"
        return series
    no_line = GraphicalProperties(ln=LineProperties(noFill=True))
    if item.style == "points":
        series.marker.symbol = "circle"
        series.marker.size = 8
        # an explicit fill: with the series line switched off LibreOffice draws hollow markers
        series.marker.graphicalProperties = GraphicalProperties(
            solidFill="2F5597", ln=LineProperties(solidFill="2F5597")
        )
        series.spPr = no_line
        series.dLbls = _name_label("r")
    elif item.style == "guide":
        series.marker.symbol = "none"
        series.spPr = GraphicalProperties(ln=LineProperties(solidFill="7F7F7F", w=9525, prstDash="dash"))
    else:
        series.marker.symbol = "none"
        series.spPr = no_line
        series.dLbls = _name_label("ctr")
    return series


def _bar_height(categories: int, series: int, horizontal: bool) -> float:
    """Height in cm of a bar chart: horizontal bars get room for every category's label (LibreOffice
    hides labels that would touch, whatever ``tickLblSkip`` says)."""
    if not horizontal:
        return 8.0
    # 0.75 cm a category: CJK labels stand taller than Latin ones, and LibreOffice skips what touches
    return max(8.0, 2.5 + 0.75 * categories * (1 + 0.4 * (series - 1)))


def _small_text(points: float = 8.0):
    """Axis label text of ``points`` size."""
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RichTextProperties

    size = CharacterProperties(sz=int(points * 100))
    return RichText(bodyPr=RichTextProperties(), p=[Paragraph(pPr=ParagraphProperties(defRPr=size), endParaRPr=size)])


def _set_range(axis, bounds: Range) -> None:
    low, high = bounds
    if low is not None:
        axis.scaling.min = float(low)
    if high is not None:
        axis.scaling.max = float(high)
    if low is not None and high is not None and high > low:
        # a round step that ends on the bounds: LibreOffice's own stops short of the maximum
        span = high - low
        steps = [s * 10.0**e for e in range(-3, 7) for s in (1, 2, 5)]
        axis.majorUnit = next((s for s in steps if span / s <= 8 and abs(span / s - round(span / s)) < 1e-9), None)


def _heat_map_rule():
    """A red-yellow-green colour scale from the range's minimum to its maximum."""
    from openpyxl.formatting.rule import ColorScaleRule

    return ColorScaleRule(
        start_type="min",
        start_color="F8696B",
        mid_type="percentile",
        mid_value=50,
        mid_color="FFEB84",
        end_type="max",
        end_color="63BE7B",
    )


def _build_chart(spec: _ChartSpec, worksheet, translate: Callable[[str], str]):
    from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart

    def reference(ref):
        min_col, min_row, max_col, max_row = ref
        return Reference(worksheet, min_col=min_col, min_row=min_row, max_col=max_col, max_row=max_row)

    if spec.kind == "scatter":
        chart = ScatterChart()
        chart.style = 13
        for item in spec.series:
            chart.series.append(_scatter_series(item, reference, translate))
        for axis, wanted in ((chart.x_axis, spec.percent_x), (chart.y_axis, spec.percent)):
            if wanted:
                axis.number_format = "0%"
                axis.scaling.min = 0
                axis.scaling.max = 1
        _set_range(chart.x_axis, spec.x_range)
        _set_range(chart.y_axis, spec.value_range)
    else:
        chart = BarChart() if spec.kind == "bar" else LineChart()
        if spec.kind == "bar":
            chart.type = "bar" if spec.horizontal else "col"
        for ref in spec.data_refs:
            chart.add_data(reference(ref), titles_from_data=spec.titles_from_data, from_rows=spec.from_rows)
        chart.set_categories(reference(spec.categories_ref))
        if spec.kind == "line":
            for series in chart.series:
                # a month on its own is a single point: without a marker nothing is drawn
                series.marker.symbol = "circle"
                series.marker.size = 6
                series.smooth = False
        if spec.percent:
            chart.y_axis.number_format = "0%"
        _set_range(chart.y_axis, spec.value_range)
        # every category labelled: left alone, both applications drop every second label
        chart.x_axis.tickLblSkip = 1
        chart.x_axis.tickMarkSkip = 1
        chart.x_axis.txPr = _small_text()
        if spec.categories_format:
            chart.x_axis.number_format = spec.categories_format
        if spec.kind == "bar" and spec.horizontal:
            # top to bottom in the table's order, the value axis kept at the bottom
            chart.x_axis.scaling.orientation = "maxMin"
            chart.y_axis.crosses = "max"
    if spec.title:
        chart.title = translate(spec.title)
    if spec.x_title:
        chart.x_axis.title = translate(spec.x_title)
    if spec.y_title:
        chart.y_axis.title = translate(spec.y_title)
    for axis, fmt in zip((chart.x_axis, chart.y_axis), spec.axis_formats):
        if fmt:
            axis.number_format = fmt
    if not spec.legend:
        chart.legend = None
    elif spec.kind != "scatter" and len(spec.data_refs) == 1:
        # one series: its name is the chart's title, a legend would only repeat it
        chart.legend = None
    # openpyxl 3.1 marks axes deleted by default; recent Excel then draws no axis at all
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width, chart.height = spec.width, spec.height
    return chart


# --- where charts sit and how sheets print ----------------------------------------------------
# Sizes for placing charts among cells and deciding the page orientation. A column of width w
# (characters of the default font) is about 7w + 5 pixels at 96 dpi; a default row is 15 pt.
_CM_PER_PIXEL = 2.54 / 96
_DEFAULT_COLUMN_WIDTH = 8.43
_ROW_CM = 15 / 72 * 2.54
# an A4 or Letter page in portrait holds about 8 columns or 100 characters at 100 %
_PORTRAIT_MAX_COLUMNS = 8
_PORTRAIT_MAX_WIDTH = 100.0


def _column_cm(plan, col: int) -> float:
    return (plan.widths.get(col, _DEFAULT_COLUMN_WIDTH) * 7 + 5) * _CM_PER_PIXEL


def _column_after(plan, col: int, width_cm: float) -> int:
    """The first column starting at least ``width_cm`` right of where ``col`` starts."""
    covered = 0.0
    while covered < width_cm:
        covered += _column_cm(plan, col)
        col += 1
    return col


def _print_extent(plan) -> tuple[int, int]:
    """The last row and column that hold a block or part of a chart (a chart cut at the print
    area's edge prints cut)."""
    last_row = max((block.last_row for block in plan.blocks), default=1)
    last_col = max((block.last_col for block in plan.blocks), default=1)
    for spec in plan.charts:
        bottom_right = _chart_cells(plan, spec)
        last_col, last_row = max(last_col, bottom_right[0]), max(last_row, bottom_right[1])
    return last_row, last_col


def _print_width(plan, last_col: int) -> float:
    """Width of columns A..``last_col`` in characters of the default font."""
    return sum(plan.widths.get(col, _DEFAULT_COLUMN_WIDTH) for col in range(1, last_col + 1))


def _chart_cells(plan, spec: _ChartSpec) -> tuple[int, int]:
    """The column and row of the cell under a chart's bottom-right corner."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    letters, row = coordinate_from_string(spec.anchor)
    col = column_index_from_string(letters)
    return _column_after(plan, col, spec.width) - 1, row + int(spec.height / _ROW_CM + 0.999) - 1


def _print_setup(plan, worksheet, header: str) -> None:
    """Print settings of a sheet plan (``landscape``, ``fit_height``, ``title_rows``, blocks and
    charts) on a write-only worksheet, before its first row is written."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    last_row, last_col = _print_extent(plan)
    landscape = plan.landscape
    if landscape is None:
        landscape = last_col > _PORTRAIT_MAX_COLUMNS or _print_width(plan, last_col) > _PORTRAIT_MAX_WIDTH
    worksheet.page_setup.orientation = "landscape" if landscape else "portrait"
    # fitToWidth/fitToHeight apply only with the sheet property fitToPage set
    worksheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = plan.fit_height
    worksheet.print_area = f"A1:{get_column_letter(last_col)}{last_row}"
    if plan.title_rows:
        worksheet.print_title_rows = plan.title_rows
    worksheet.oddHeader.center.text = header
    worksheet.oddFooter.left.text = "&A"
    worksheet.oddFooter.right.text = "&P / &N"
