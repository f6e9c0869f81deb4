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

__all__ = [
    "LABEL_POSITIONS",
    "SCATTER_STYLES",
    "ScatterSeries",
    "coinciding",
    "label_box",
    "place_point_labels",
    "plot_box",
]

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
    label_position: str = "r"
    """Where a ``points`` series' label stands by its marker: one of :data:`LABEL_POSITIONS`, or
    ``"none"`` for no label (a point whose marker another point's label already names)."""


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
    # a stated size: the placement of point labels reckons with it
    labels.txPr = _small_text(LABEL_POINTS)
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
        series.marker.size = _MARKER_POINTS
        # an explicit fill: with the series line switched off LibreOffice draws hollow markers
        series.marker.graphicalProperties = GraphicalProperties(
            solidFill="2F5597", ln=LineProperties(solidFill="2F5597")
        )
        series.spPr = no_line
        if item.label_position != "none":
            if item.label_position not in LABEL_POSITIONS:
                raise ValueError(f"unknown label position {item.label_position!r}; expected one of {LABEL_POSITIONS}")
            series.dLbls = _name_label(item.label_position)
    elif item.style == "guide":
        series.marker.symbol = "none"
        series.spPr = GraphicalProperties(ln=LineProperties(solidFill="7F7F7F", w=9525, prstDash="dash"))
    else:
        series.marker.symbol = "none"
        series.spPr = no_line
        series.dLbls = _name_label("ctr")
    return series


# --- point labels that do not overlap -------------------------------------------------------------
# A scatter chart with labelled points has a fixed plot area (a manual layout, read by Excel and
# LibreOffice alike), so where a point and its label land in centimetres is known when the chart is
# written: each label then gets the side of its marker (right, left, above, below) where it
# touches no other label, marker or quadrant name and stays inside the plot area.
LABEL_POSITIONS = ("r", "l", "t", "b")
"""Sides of its marker a point label may stand on, in the order they are tried."""
LABEL_POINTS = 9.0
"""Font size of point labels and quadrant names, in points."""
_MARKER_POINTS = 8
_PT_CM = 2.54 / 72
# margins of the plot area inside the chart, in cm: title above, axis title and tick labels
# below and left, room on the right for the last tick label
_PLOT_MARGINS = {"left": 2.0, "right": 0.7, "top": 1.5, "bottom": 1.6}
# the gap between a marker's edge and its label, and the label's padding (both applications
# keep a little room around the text); estimates on the safe side
_LABEL_GAP = 0.1
_LABEL_PAD = 0.08
# half the width of the band a reference line keeps free of labels (the dashed line is 0.75 pt)
_LINE_CLEARANCE = 0.03

Box = tuple[float, float, float, float]
"""A rectangle in cm from the plot area's top-left corner: left, top, right, bottom."""


def plot_box(width: float, height: float) -> Box:
    """The plot area of a ``width`` x ``height`` cm scatter chart with labelled points, in cm from
    the chart's top-left corner."""
    margins = _PLOT_MARGINS
    return (margins["left"], margins["top"], width - margins["right"], height - margins["bottom"])


def _text_cm(text: str, points: float = LABEL_POINTS) -> tuple[float, float]:
    """Estimated width and height in cm of one line of ``text``: CJK characters a full em, other
    characters 0.6 em (generous for the sans fonts both applications use)."""
    import unicodedata

    ems = sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)
    return ems * points * _PT_CM + 2 * _LABEL_PAD, 1.3 * points * _PT_CM + 2 * _LABEL_PAD


def _to_cm(x: float, y: float, ranges: tuple[Range, Range], size: tuple[float, float]) -> tuple[float, float]:
    """Data coordinates as cm from the plot area's top-left corner."""
    (x_low, x_high), (y_low, y_high) = ranges
    assert x_low is not None and x_high is not None and y_low is not None and y_high is not None
    return (x - x_low) / (x_high - x_low) * size[0], (y_high - y) / (y_high - y_low) * size[1]


def label_box(
    x: float, y: float, text: str, position: str, ranges: tuple[Range, Range], chart_size: tuple[float, float]
) -> Box:
    """The estimated box of the label ``text`` of the point ``(x, y)`` at ``position`` (one of
    :data:`LABEL_POSITIONS` or ``ctr``), in cm from the plot area's top-left corner, for a chart of
    ``chart_size`` cm whose axes span ``ranges`` (``(x_low, x_high), (y_low, y_high)``)."""
    left, top, right, bottom = plot_box(*chart_size)
    px, py = _to_cm(x, y, ranges, (right - left, bottom - top))
    w, h = _text_cm(text)
    off = _MARKER_POINTS / 2 * _PT_CM + _LABEL_GAP
    if position == "r":
        return (px + off, py - h / 2, px + off + w, py + h / 2)
    if position == "l":
        return (px - off - w, py - h / 2, px - off, py + h / 2)
    if position == "t":
        return (px - w / 2, py - off - h, px + w / 2, py - off)
    if position == "b":
        return (px - w / 2, py + off, px + w / 2, py + off + h)
    return (px - w / 2, py - h / 2, px + w / 2, py + h / 2)


def _overlap(a: Box, b: Box) -> float:
    """Area in cm² that two boxes share."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def place_point_labels(
    points: Sequence[tuple[float, float]],
    texts: Sequence[str | None],
    ranges: tuple[Range, Range],
    chart_size: tuple[float, float],
    notes: Sequence[tuple[float, float, str]] = (),
    budget: int = 20000,
    lines: Sequence[tuple[str, float]] = (),
) -> tuple[list[str], bool]:
    """A side of its marker for each point's label such that no two labels, no label and marker,
    and no label and centred note intersect, and every label lies inside the plot area.

    A depth-first search over :data:`LABEL_POSITIONS` in order, the points taken as given, so
    the same points always get the same sides and a lone point's label stands on its right.
    Reference lines are avoided where the labels can be placed clear of them as well: a line
    struck through a label is hard to read, but a label is worth more than a clear line.

    Parameters
    ----------
    points : sequence of (float, float)
        Data coordinates of the markers.
    texts : sequence of str or None
        The label of each point; ``None`` for a point without one (its marker still counts).
    ranges : ((float, float), (float, float))
        The x and y axis bounds.
    chart_size : (float, float)
        Width and height of the chart in cm (:func:`plot_box` gives its plot area).
    notes : sequence of (float, float, str)
        Centred captions (quadrant names) at data coordinates that labels must not cover.
    budget : int
        Most positions tried before giving up on a placement without any overlap (each time:
        with the lines, then without them).
    lines : sequence of (str, float)
        Reference lines across the whole plot area: ``("x", value)`` a vertical line at that
        x, ``("y", value)`` a horizontal one.

    Returns
    -------
    positions : list of str
        One of :data:`LABEL_POSITIONS` per point, ``"none"`` where ``texts`` has ``None``.
    clear : bool
        Whether no box touches another; when ``False`` the positions are the least overlapping
        that a greedy pass found.
    """
    left, top, right, bottom = plot_box(*chart_size)
    width, height = right - left, bottom - top
    radius = _MARKER_POINTS / 2 * _PT_CM
    markers = []
    for x, y in points:
        px, py = _to_cm(x, y, ranges, (width, height))
        markers.append((px - radius, py - radius, px + radius, py + radius))
    fixed = markers + [label_box(x, y, text, "ctr", ranges, chart_size) for x, y, text in notes]
    labelled = [n for n, text in enumerate(texts) if text is not None]
    options = {
        n: [
            (pos, box)
            for pos in LABEL_POSITIONS
            for box in [label_box(*points[n], str(texts[n]), pos, ranges, chart_size)]
            if box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
        ]
        for n in labelled
    }
    chosen: dict[int, str] = {}
    tried = 0

    def search(k: int, placed: list[Box]) -> bool:
        nonlocal tried
        if k == len(labelled):
            return True
        n = labelled[k]
        for pos, box in options[n]:
            tried += 1
            if tried > budget:
                return False
            if all(_overlap(box, other) == 0 for other in placed):
                chosen[n] = pos
                if search(k + 1, [*placed, box]):
                    return True
        return False

    # a thin band along each reference line, weighted by how badly crossing it reads: a horizontal
    # line strikes a label through, a vertical one only cuts it
    strokes: list[tuple[Box, int]] = []
    for axis, value in lines:
        if axis == "x":
            px, _ = _to_cm(value, ranges[1][0] or 0.0, ranges, (width, height))
            strokes.append(((px - _LINE_CLEARANCE, 0.0, px + _LINE_CLEARANCE, height), 1))
        else:
            _, py = _to_cm(ranges[0][0] or 0.0, value, ranges, (width, height))
            strokes.append(((0.0, py - _LINE_CLEARANCE, width, py + _LINE_CLEARANCE), 2))
    clear = False
    if strokes:
        # first every label clear of the lines too; failing that, each label's sides tried from the
        # one crossing the least (the search then keeps off the lines wherever another side is free)
        tried = 0
        clear = search(0, [*fixed, *(box for box, _ in strokes)])
        for n in labelled:
            options[n].sort(key=lambda item: sum(w for box, w in strokes if _overlap(item[1], box) > 0))
    if not clear:
        tried = 0
        chosen.clear()
        clear = search(0, list(fixed))
    if not clear:
        # no clean placement: each label where it covers least of what is already there
        placed = list(fixed)
        for n in labelled:
            candidates = options[n] or [("r", label_box(*points[n], str(texts[n]), "r", ranges, chart_size))]
            pos, box = min(candidates, key=lambda item: sum(_overlap(item[1], other) for other in placed))
            chosen[n] = pos
            placed.append(box)
    return [chosen.get(n, "none") for n in range(len(points))], clear


def coinciding(points: Sequence[tuple[float, float]], ranges: tuple[Range, Range], chart_size) -> list[int]:
    """For each point, the first point whose marker its own marker touches (itself if none
    before it): points drawn on one spot that one label should name together."""
    left, top, right, bottom = plot_box(*chart_size)
    spots = [_to_cm(x, y, ranges, (right - left, bottom - top)) for x, y in points]
    touch = _MARKER_POINTS * _PT_CM
    first: list[int] = []
    for n, (px, py) in enumerate(spots):
        near = [m for m in range(n) if abs(spots[m][0] - px) < touch and abs(spots[m][1] - py) < touch]
        first.append(first[near[0]] if near else n)
    return first


def _plot_layout(width: float, height: float):
    """A manual layout putting the plot area (inside the axes) at :func:`plot_box`."""
    from openpyxl.chart.layout import Layout, ManualLayout

    left, top, right, bottom = plot_box(width, height)
    return Layout(
        manualLayout=ManualLayout(
            layoutTarget="inner",
            xMode="edge",
            yMode="edge",
            x=left / width,
            y=top / height,
            w=(right - left) / width,
            h=(bottom - top) / height,
        )
    )


def _bar_height(categories: int, series: int, horizontal: bool) -> float:
    """Height in cm of a bar chart: horizontal bars get room for every category's label (LibreOffice
    hides labels that would touch, whatever ``tickLblSkip`` says)."""
    if not horizontal:
        return 8.0
    # 0.75 cm a category: CJK labels stand taller than Latin ones, and LibreOffice skips what touches
    return max(8.0, 2.5 + 0.75 * categories * (1 + 0.4 * (series - 1)))


def _small_text(points: float = 8.0, rotate: int = 0):
    """Axis label text of ``points`` size, turned ``rotate`` degrees (negative: rising to the right)."""
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RichTextProperties

    size = CharacterProperties(sz=int(points * 100))
    body = RichTextProperties(rot=rotate * 60_000, vert="horz") if rotate else RichTextProperties()
    return RichText(bodyPr=body, p=[Paragraph(pPr=ParagraphProperties(defRPr=size), endParaRPr=size)])


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
        if any(item.style == "points" for item in spec.series):
            chart.layout = _plot_layout(spec.width, spec.height)
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
        first_col, first_row, last_col, last_row = spec.categories_ref or (0, 0, 0, 0)
        many = max(last_col - first_col, last_row - first_row) + 1 > 6
        # a year of months side by side: upright labels would wrap ("2024-" over "12")
        chart.x_axis.txPr = _small_text(rotate=-45 if spec.kind == "line" and many else 0)
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


def _titles_fit(plan) -> bool:
    """Whether the frozen table's header may repeat on every printed page: only when nothing
    (another table, a chart) comes below that table, or its header would head pages of the
    next table's rows."""
    header = int(plan.title_rows.split(":")[0])
    table = next((b for b in plan.blocks if b.first_row <= header <= b.last_row), None)
    if table is None:
        return False
    below = [b.first_row for b in plan.blocks if b.first_row > table.last_row]
    below += [int(_anchor_row(spec.anchor)) for spec in plan.charts if _anchor_row(spec.anchor) > table.last_row]
    return not below


def _anchor_row(anchor: str) -> int:
    from openpyxl.utils.cell import coordinate_from_string

    return int(coordinate_from_string(anchor)[1])


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
    if plan.title_rows and _titles_fit(plan):
        worksheet.print_title_rows = plan.title_rows
    worksheet.oddHeader.center.text = header
    worksheet.oddFooter.left.text = "&A"
    worksheet.oddFooter.right.text = "&P / &N"
