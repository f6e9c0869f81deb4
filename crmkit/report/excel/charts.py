"""Native Excel charts: what a chart shows (:class:`_ChartSpec`) and building it with openpyxl."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = ["ScatterSeries"]


class ScatterSeries(NamedTuple):
    """One line of a scatter chart: x and y cell references and its legend text (i18n key or text)."""

    x_ref: tuple[int, int, int, int]
    y_ref: tuple[int, int, int, int]
    title: str


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


def _ref(ref) -> tuple[int, int, int, int]:
    """One reference ``(min_col, min_row, max_col, max_row)`` as plain ints."""
    min_col, min_row, max_col, max_row = ref
    return int(min_col), int(min_row), int(max_col), int(max_row)


def _refs(data_ref) -> tuple[tuple[int, int, int, int], ...]:
    """One reference or a sequence of them, as a tuple of references."""
    if len(data_ref) == 4 and all(isinstance(n, (int, np.integer)) for n in data_ref):
        return (_ref(data_ref),)
    return tuple(_ref(ref) for ref in data_ref)


def _build_chart(spec: _ChartSpec, worksheet, translate: Callable[[str], str]):
    from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series

    def reference(ref):
        min_col, min_row, max_col, max_row = ref
        return Reference(worksheet, min_col=min_col, min_row=min_row, max_col=max_col, max_row=max_row)

    if spec.kind == "scatter":
        chart = ScatterChart()
        chart.style = 13
        for item in spec.series:
            line = Series(reference(item.y_ref), reference(item.x_ref), title=translate(item.title))
            line.marker.symbol = "none"
            line.smooth = False
            chart.series.append(line)
        for axis, wanted in ((chart.x_axis, spec.percent_x), (chart.y_axis, spec.percent)):
            if wanted:
                axis.number_format = "0%"
                axis.scaling.min = 0
                axis.scaling.max = 1
    else:
        chart = BarChart() if spec.kind == "bar" else LineChart()
        if spec.kind == "bar":
            chart.type = "bar" if spec.horizontal else "col"
        for ref in spec.data_refs:
            chart.add_data(reference(ref), titles_from_data=spec.titles_from_data)
        chart.set_categories(reference(spec.categories_ref))
        if spec.percent:
            chart.y_axis.number_format = "0%"
    if spec.title:
        chart.title = translate(spec.title)
    if spec.x_title:
        chart.x_axis.title = translate(spec.x_title)
    if spec.y_title:
        chart.y_axis.title = translate(spec.y_title)
    # openpyxl 3.1 marks axes deleted by default; recent Excel then draws no axis at all
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.width, chart.height = spec.width, spec.height
    return chart
