"""Charts that answer their question and sheets that print: the monthly workbook from the bundled
examples, reopened with openpyxl and read as chart XML (openpyxl does not read every chart
setting back, so the chart parts of the xlsx are parsed directly)."""

from __future__ import annotations

import datetime as dt
import posixpath
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from contracts import MONTHLY_INPUTS
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.report.excel import ReportWorkbook, column_ref

EX = Path(__file__).resolve().parents[1] / "examples"
NS = {
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@pytest.fixture(scope="module")
def monthly(tmp_path_factory) -> Path:
    """The monthly workbook of the examples (a first run: a one-month trend)."""
    folder = tmp_path_factory.mktemp("monthly")
    path = folder / "monthly.xlsx"
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(EX / "sales.csv"),
            *MONTHLY_INPUTS,
            "--history",
            str(folder / "history.sqlite"),
            "-o",
            str(path),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.stderr
    return path


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id -> target part of ``part``."""
    folder, name = posixpath.split(part)
    rels = ET.fromstring(archive.read(f"{folder}/_rels/{name}.rels"))
    # targets are relative to the part's folder, or absolute from the package root
    return {rel.get("Id"): posixpath.normpath(posixpath.join(folder, rel.get("Target"))).lstrip("/") for rel in rels}


def charts_of(path: Path, sheet: str) -> list[tuple[str, ET.Element]]:
    """``(anchor cell, chart XML root)`` of every chart on ``sheet``, in drawing order."""
    with zipfile.ZipFile(path) as archive:
        book = ET.fromstring(archive.read("xl/workbook.xml"))
        main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
        rid = next(s.get(REL) for s in book.iter(f"{main}sheet") if s.get("name") == sheet)
        sheet_part = _rels(archive, "xl/workbook.xml")[rid]
        drawing = next(iter(ET.fromstring(archive.read(sheet_part)).iter(f"{main}drawing")), None)
        if drawing is None:
            return []
        drawing_part = _rels(archive, sheet_part)[drawing.get(REL)]
        chart_parts = _rels(archive, drawing_part)
        found = []
        for anchor in ET.fromstring(archive.read(drawing_part)):
            frm = anchor.find("xdr:from", NS)
            cell = f"{openpyxl.utils.get_column_letter(int(frm.find('xdr:col', NS).text) + 1)}"
            cell += str(int(frm.find("xdr:row", NS).text) + 1)
            chart = next(anchor.iter(f"{{{NS['c']}}}chart"))
            found.append((cell, ET.fromstring(archive.read(chart_parts[chart.get(REL)]))))
        return found


def val(element: ET.Element | None, path: str):
    found = element.find(path, NS) if element is not None else None
    return None if found is None else found.get("val")


def series_name(ser: ET.Element) -> str:
    return "".join(ser.find("c:tx", NS).itertext())


# --- charts ----------------------------------------------------------------------------------------
def test_ipma_is_a_scatter_of_labelled_points_with_quadrant_lines(monthly):
    wb = openpyxl.load_workbook(monthly)
    ws = wb["Drivers"]
    constructs = [ws.cell(row, 1).value for row in range(2, 2 + 4)]
    assert constructs == ["Quality", "Expectation", "Image", "Value"]
    [(anchor, chart)] = charts_of(monthly, "Drivers")
    scatter = chart.find(".//c:scatterChart", NS)
    assert scatter is not None and chart.find(".//c:lineChart", NS) is None
    series = scatter.findall("c:ser", NS)
    points = series[: len(constructs)]
    # one series per construct, one cell each, a marker and no line, labelled with its name
    assert [series_name(ser) for ser in points] == constructs
    for row, ser in enumerate(points, start=2):
        assert ser.find("c:xVal/c:numRef/c:f", NS).text == f"'Drivers'!$B${row}"
        assert ser.find("c:yVal/c:numRef/c:f", NS).text == f"'Drivers'!$D${row}"
        assert val(ser, "c:marker/c:symbol") == "circle"
        assert ser.find("c:spPr/a:ln/a:noFill", NS) is not None
        assert val(ser, "c:dLbls/c:showSerName") == "1" and val(ser, "c:dLbls/c:showVal") == "0"
    guides = [ser for ser in series if ser.find("c:spPr/a:ln/a:prstDash[@val='dash']", NS) is not None]
    assert len(guides) == 2 and all(val(ser, "c:marker/c:symbol") == "none" for ser in guides)
    # the quadrant lines stand at the mean importance and the mean performance, read from cells
    importance = [ws.cell(row, 2).value for row in range(2, 6)]
    performance = [ws.cell(row, 4).value for row in range(2, 6)]

    def values(ser, axis):
        ref = ser.find(f"c:{axis}/c:numRef/c:f", NS).text.split("!")[1].replace("$", "")
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        return [ws.cell(r, min_col).value for r in range(min_row, max_row + 1)]

    assert values(guides[0], "xVal") == pytest.approx([sum(importance) / 4] * 2)
    assert values(guides[1], "yVal") == pytest.approx([sum(performance) / 4] * 2)
    notes = [series_name(ser) for ser in series if val(ser, "c:dLbls/c:dLblPos") == "ctr"]
    assert sorted(notes) == sorted(["Keep up the good work", "Concentrate here", "Low priority", "Possible overkill"])
    assert chart.find(".//c:legend", NS) is None  # every point carries its name
    # importance from 0; performance zoomed around the points but at least 10 index points tall
    x_axis, y_axis = chart.findall(".//c:valAx", NS)
    assert float(val(x_axis, "c:scaling/c:min")) == 0 and float(val(x_axis, "c:scaling/c:max")) > max(importance)
    low, high = float(val(y_axis, "c:scaling/c:min")), float(val(y_axis, "c:scaling/c:max"))
    assert low < min(performance) < max(performance) < high and 10 <= high - low <= 100
    assert 0 <= low and high <= 100
    assert coordinate_from_string(anchor)[0] == "A"  # below the table (see the print test further down)


def _trend_header(ws) -> int:
    """The header row of the Overview's transposed trend table (``Month``, then one column per month)."""
    return next(row for row in range(1, ws.max_row + 1) if ws.cell(row, 1).value == "Month")


def test_trend_lines_have_markers_with_one_month(monthly):
    ws = openpyxl.load_workbook(monthly)["Overview"]
    header = _trend_header(ws)
    assert [ws.cell(header, col).value for col in range(2, 4)] == ["2024-12", None]  # a first run: one month
    labels = {ws.cell(row, 1).value: row for row in range(header + 1, header + 14)}
    charts = charts_of(monthly, "Overview")
    assert len(charts) == 4
    titles = []
    for _, chart in charts:
        line = chart.find(".//c:lineChart", NS)
        assert line is not None
        for ser in line.findall("c:ser", NS):
            assert val(ser, "c:marker/c:symbol") == "circle"
            assert int(val(ser, "c:marker/c:size")) >= 5
            # each series reads a measure's row: its name the label cell, its months the header cells
            name, values, months = (
                ser.find(path, NS).text.replace("$", "").split("!")[1]
                for path in ("c:tx/c:strRef/c:f", "c:val/c:numRef/c:f", "c:cat//c:f")
            )
            row = coordinate_from_string(name)[1]
            titles.append(ws.cell(row, 1).value)
            assert name == f"A{row}" and values in (f"B{row}", f"B{row}:B{row}")
            assert months in (f"B{header}", f"B{header}:B{header}")
    assert titles == [
        "Revenue in the month (net)",
        "Total CLV (own purchases)",
        "Repeat-customer rate",
        "Satisfaction index",
    ]
    assert all(title in labels for title in titles)


_TREND_FORMATS = {
    "Customers to date": "#,##0",
    "Revenue in the month (net)": "#,##0.00",
    "Customers buying in the month": "#,##0",
    "New customers in the month": "#,##0",
    "Revenue share of top 20% customers": "0.0%",
    "Gini coefficient": "0.000",
    "Repeat-customer rate": "0.0%",
    "Total CLV (own purchases)": "#,##0.00",
    "Mean P(alive)": "0.0%",
    "Net ladder upgrades in the month": "#,##0",
    "Satisfaction index": "0.0",
    "NPS": "0.0",
}


def _trend_rows(ws) -> tuple[int, dict]:
    header = _trend_header(ws)
    return header, {ws.cell(row, 1).value: row for row in range(header + 1, ws.max_row + 1) if ws.cell(row, 1).value}


def test_transposed_trend_formats_each_row_by_its_measure_first_and_second_run(monthly, tmp_path):
    second = tmp_path / "second.xlsx"
    history = tmp_path / "history.sqlite"
    for as_of, out in (("2024-11-30", tmp_path / "first.xlsx"), ("2024-12-31", second)):
        result = CliRunner().invoke(
            app,
            ["report", str(EX / "sales.csv"), "--survey", str(EX / "survey.csv"), "--history", str(history)]
            + ["--as-of", as_of, "-o", str(out), "-q"],
        )
        assert result.exit_code == 0, result.stderr
    for path, months in ((monthly, ["2024-12"]), (second, ["2024-11", "2024-12"])):
        ws = openpyxl.load_workbook(path)["Overview"]
        header, rows = _trend_rows(ws)
        assert [ws.cell(header, 2 + n).value for n in range(len(months) + 1)] == months + [None]
        assert ws.cell(header, 1).font.b and ws.cell(header, 2).alignment.wrap_text
        for measure, fmt in _TREND_FORMATS.items():
            cells = [ws.cell(rows[measure], 2 + n) for n in range(len(months))]
            assert all(isinstance(cell.value, (int, float)) for cell in cells), (path.name, measure)
            assert [cell.number_format for cell in cells] == [fmt] * len(months), (path.name, measure)
    # two months: each trend line reads both cells of its row
    ws = openpyxl.load_workbook(second)["Overview"]
    header, rows = _trend_rows(ws)
    for _, chart in charts_of(second, "Overview"):
        ser = chart.find(".//c:lineChart/c:ser", NS)
        values = ser.find("c:val/c:numRef/c:f", NS).text.replace("$", "").split("!")[1]
        row = coordinate_from_string(values.split(":")[0])[1]
        assert values == f"B{row}:C{row}" and row in rows.values()
        assert ser.find("c:cat//c:f", NS).text.replace("$", "").endswith(f"B{header}:C{header}")


def test_bar_axes_start_at_zero_and_label_every_category(monthly):
    for sheet in ("Segments", "CLV deciles", "Index", "Ladder", "P(alive)"):
        charts = charts_of(monthly, sheet)
        assert charts, sheet
        for _, chart in charts:
            assert chart.find(".//c:barChart", NS) is not None
            assert float(val(chart.find(".//c:valAx", NS), "c:scaling/c:min")) == 0, sheet
            assert val(chart.find(".//c:catAx", NS), "c:tickLblSkip") == "1", sheet
    [(_, index)] = charts_of(monthly, "Index")
    assert float(val(index.find(".//c:valAx", NS), "c:scaling/c:max")) == 100  # the index's own scale
    # 11 segments as horizontal bars, first segment on top, tall enough for 11 labels
    customers, shares = charts_of(monthly, "Segments")
    assert val(customers[1], ".//c:barDir") == "bar"
    assert val(customers[1].find(".//c:catAx", NS), "c:scaling/c:orientation") == "maxMin"
    # side by side under the table (beside it, they made the printed page twice as wide)
    (col_a, row_a), (col_b, row_b) = (coordinate_from_string(anchor) for anchor in (customers[0], shares[0]))
    table_end = openpyxl.load_workbook(monthly)["Segments"].max_row
    assert row_a == row_b > table_end and column_index_from_string(col_b) > column_index_from_string(col_a) + 3


def test_deciles_are_labelled_as_whole_numbers(monthly):
    ws = openpyxl.load_workbook(monthly)["CLV deciles"]
    assert [ws.cell(row, 1).value for row in range(2, 12)] == list(range(1, 11))
    [(_, chart)] = charts_of(monthly, "CLV deciles")
    fmt = chart.find(".//c:catAx/c:numFmt", NS)
    assert fmt.get("formatCode") == "0" and fmt.get("sourceLinked") == "0"


def test_heat_map_scale_starts_at_k1(monthly):
    ws = openpyxl.load_workbook(monthly)["Retention"]
    header = next(row for row in range(1, ws.max_row + 1) if ws.cell(row, 3).value == "k0")
    assert ws.cell(header, 4).value == "k1" and ws.cell(header + 1, 3).value == 1  # k0 is 100 %
    [ranges] = [str(cf.sqref) for cf in ws.conditional_formatting]
    min_col, min_row, max_col, _ = range_boundaries(ranges)
    assert (min_col, min_row) == (4, header + 1)
    assert ws.cell(header, max_col).value == f"k{max_col - 3}"


# --- printing ----------------------------------------------------------------------------------------
def test_wide_and_narrow_sheets_print_one_page_wide(monthly):
    wb = openpyxl.load_workbook(monthly)
    for sheet, orientation, titles in (
        # a header row repeats only over its own table: not when a chart (Drivers, Segments) or
        # another table (Reliability) comes below it
        ("Drivers", "portrait", None),
        ("Segments", "landscape", None),
        ("Reliability", "landscape", None),
        ("Summary", "portrait", None),
        ("Paths", "portrait", "$1:$1"),
        ("CLV deciles", "landscape", "$1:$1"),
    ):
        ws = wb[sheet]
        assert ws.page_setup.orientation == orientation, sheet
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.print_title_rows == titles
        assert ws.oddHeader.center.text == "Monthly customer report · Analysis date (as of): 2024-12-31"
        assert ws.oddFooter.right.text == "&P / &N"
    customers = wb["Customers"]
    assert customers.print_area == f"'Customers'!$A$1:${openpyxl.utils.get_column_letter(customers.max_column)}$5001"
    # the print area of a sheet with charts takes in the charts, so they are not cut off
    segments = wb["Segments"]
    _, _, last_col, last_row = range_boundaries(segments.print_area.split("!")[1].replace("$", ""))
    for anchor, _ in charts_of(monthly, "Segments"):
        letters, row = coordinate_from_string(anchor)
        assert column_index_from_string(letters) < last_col and row < last_row


def test_overview_fits_two_pages_tall_with_charts_beside_the_key_values(monthly):
    ws = openpyxl.load_workbook(monthly)["Overview"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 2)
    table_row = _trend_header(ws)
    anchors = [coordinate_from_string(anchor) for anchor, _ in charts_of(monthly, "Overview")]
    # a 2 x 2 grid above the 12-month table, right of the key values
    assert len({col for col, _ in anchors}) == 2 and len({row for _, row in anchors}) == 2
    assert all(column_index_from_string(col) > 2 and row + 11 < table_row for col, row in anchors)
    _, _, last_col, last_row = range_boundaries(ws.print_area.split("!")[1].replace("$", ""))
    assert last_row >= table_row + 1 and last_col >= max(column_index_from_string(c) for c, _ in anchors) + 1


def test_page_header_with_title_and_as_of(tmp_path):
    book = ReportWorkbook("zh", title="Sales & Service", as_of=dt.date(2024, 12, 31))
    frame = pd.DataFrame({f"c{n}": [n, n + 1] for n in range(12)})
    span = book.add_table("sheet:segments", frame)
    book.add_bar_chart(
        "sheet:segments",
        data_ref=column_ref(span, frame.columns, "c1"),
        categories_ref=column_ref(span, frame.columns, "c0", header=False),
        anchor="N2",
        value_range=(None, None),
    )
    book.add_key_values("sheet:summary", [("customers", 3)])
    book.set_print("sheet:summary", landscape=True, pages_tall=1)
    path = book.save(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["客户分群"]
    assert ws.oddHeader.center.text == "Sales && Service · 分析日期: 2024-12-31"  # '&' escaped for the header
    assert ws.page_setup.orientation == "landscape"  # 12 columns are wider than a portrait page
    summary = wb["摘要"]
    assert summary.page_setup.orientation == "landscape" and summary.page_setup.fitToHeight == 1
    [(_, chart)] = charts_of(path, "客户分群")
    assert chart.find(".//c:valAx/c:scaling/c:min", NS) is None  # a free axis when asked


# --- the importance-performance map's point labels ------------------------------------------------------
def _ipma_labels(path: Path, sheet: str = "Drivers"):
    """``(name, x, y, label text or None, position)`` of each construct point of the IPMA, the axis
    ranges and the chart size in cm, read back from the chart XML and the cells it points at."""
    ws = openpyxl.load_workbook(path)[sheet]
    [(_, chart)] = charts_of(path, sheet)
    x_axis, y_axis = chart.findall(".//c:valAx", NS)
    ranges = tuple((float(val(ax, "c:scaling/c:min")), float(val(ax, "c:scaling/c:max"))) for ax in (x_axis, y_axis))

    def cell(ser, axis):
        ref = ser.find(f"c:{axis}/c:numRef/c:f", NS).text.split("!")[1].replace("$", "")
        return ws[ref.split(":")[0]].value

    points = []
    for ser in chart.findall(".//c:scatterChart/c:ser", NS):
        if val(ser, "c:marker/c:symbol") != "circle":
            continue  # guide lines and quadrant names
        labels = ser.find("c:dLbls", NS)
        position = val(labels, "c:dLblPos") if labels is not None else "none"
        text = series_name(ser) if position != "none" else None
        points.append((series_name(ser), cell(ser, "xVal"), cell(ser, "yVal"), text, position))
    notes = [
        (cell(ser, "xVal"), cell(ser, "yVal"), series_name(ser))
        for ser in chart.findall(".//c:scatterChart/c:ser", NS)
        if val(ser, "c:dLbls/c:dLblPos") == "ctr"
    ]
    ext = chart.find(".//c:plotArea/c:layout/c:manualLayout", NS)
    assert val(ext, "c:layoutTarget") == "inner"  # the plot area the placement reckoned with
    return points, ranges, notes


def _assert_labels_clear(path: Path, lang: str = "en") -> list:
    """Every construct label's estimated box inside the plot area, touching no other label, marker or
    quadrant name; returns the points read back."""
    from crmkit.report.excel.charts import _overlap, label_box, plot_box
    from crmkit.report.i18n import label

    points, ranges, notes = _ipma_labels(path, label("sheet:drivers", lang))
    size = (18.0, 12.0)
    left, top, right, bottom = plot_box(*size)
    boxes = [label_box(x, y, text, pos, ranges, size) for _, x, y, text, pos in points if text is not None]
    assert boxes, "no point is labelled"
    for box in boxes:
        assert box[0] >= 0 and box[1] >= 0 and box[2] <= right - left and box[3] <= bottom - top, box
    others = [label_box(x, y, text, "ctr", ranges, size) for x, y, text in notes]
    radius = 4 * 2.54 / 72
    for _, x, y, _, _ in points:
        spot = label_box(x, y, "", "ctr", ranges, size)
        px, py = (spot[0] + spot[2]) / 2, (spot[1] + spot[3]) / 2
        others.append((px - radius, py - radius, px + radius, py + radius))
    for n, box in enumerate(boxes):
        assert all(_overlap(box, other) == 0 for other in boxes[n + 1 :] + others), (n, box)
    return points


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("model", ["acsi", "ecsi", "scsb", "ccsi"])
def test_ipma_labels_of_the_examples_do_not_overlap(tmp_path, model, lang):
    path = tmp_path / f"{model}.xlsx"
    result = CliRunner().invoke(
        app, ["satisfaction", str(EX / "survey.csv"), "--model", model, "--lang", lang, "--report", str(path), "-q"]
    )
    assert result.exit_code == 0, result.stderr
    points = _assert_labels_clear(path, lang)
    # each construct named by its own point: the examples have no two points on one spot
    ws = openpyxl.load_workbook(path).worksheets[3]
    names = [ws.cell(row, 1).value for row in range(2, 2 + len(points))]
    assert [text for *_, text, _ in points] == names == [name for name, *_ in points]
    if model == "ecsi":
        # Image and Expectation stand 0.02 apart in importance: their labels take opposite sides
        sides = {name: pos for name, _, _, _, pos in points}
        from crmkit.satisfaction import load_model

        image, expectation = (load_model("ecsi").label(c, lang) for c in ("Image", "Expectation"))
        assert sides[image] != sides[expectation]


def _near_result(moves: dict):
    """The ECSI result of a generated survey with the drivers of ``moves`` set to given
    ``(importance, performance)`` (a survey where those constructs score (nearly) alike)."""
    from crmkit import synth
    from crmkit.satisfaction import analyse_survey

    survey = synth.generate_survey(synth.generate_sales(n_customers=400, seed=3), n_respondents=300, seed=3)
    result = analyse_survey(survey, "ecsi")
    drivers = result.drivers.copy()
    for construct, (importance, performance) in moves.items():
        row = drivers.index[drivers["construct"] == construct][0]
        drivers.loc[row, ["importance", "performance"]] = importance, performance
    result.drivers = drivers
    return result


def _drivers_book(tmp_path, result, lang="en") -> Path:
    from crmkit.report.sheets import add_satisfaction_sheets

    book = ReportWorkbook(lang)
    add_satisfaction_sheets(book, result)
    return book.save(tmp_path / "near.xlsx")


def test_ipma_near_points_take_different_sides(tmp_path):
    # Image and Expectation a marker and a half apart: two labels, on different sides
    base = _near_result({})
    image = base.drivers.set_index("construct").loc["Image"]
    result = _near_result({"Expectation": (image["importance"] + 0.02, image["performance"] + 0.1)})
    path = _drivers_book(tmp_path, result)
    points = _assert_labels_clear(path)
    sides = {name: pos for name, _, _, _, pos in points}
    assert sides["Image"] != sides["Expectation"] and {sides["Image"], sides["Expectation"]} <= {"r", "l", "t", "b"}
    # a point on its own keeps the usual side (right) unless the dashed mean line runs through it there
    from crmkit.report.excel.charts import label_box, plot_box

    quality = next(p for p in points if p[0] == "Quality")
    _, ranges, _ = _ipma_labels(path)
    y_mean = result.drivers["performance"].mean()
    left, top, right, bottom = plot_box(18.0, 12.0)
    y_line = (ranges[1][1] - y_mean) / (ranges[1][1] - ranges[1][0]) * (bottom - top)
    right_box = label_box(quality[1], quality[2], "Quality", "r", ranges, (18.0, 12.0))
    on_line = right_box[1] <= y_line <= right_box[3]
    assert sides["Quality"] == "r" or (on_line and sides["Quality"] in ("t", "b")), sides


def test_ipma_points_on_one_spot_share_one_label(tmp_path):
    base = _near_result({})
    image = base.drivers.set_index("construct").loc["Image"]
    result = _near_result({"Expectation": (image["importance"], image["performance"] + 0.01)})
    from crmkit.satisfaction import load_model

    for lang in ("en", "zh"):
        image, expectation = (load_model("ecsi").label(c, lang) for c in ("Image", "Expectation"))
        path = _drivers_book(tmp_path, result, lang)
        points = _assert_labels_clear(path, lang)
        ws = openpyxl.load_workbook(path).worksheets[3]
        order = [ws.cell(row, 1).value for row in range(2, 2 + len(points))]
        assert order[1:3] == [image, expectation]  # the Drivers table's order, by importance
        # the first of the two names both; the second's marker, on the same spot, has no label
        assert [text for *_, text, _ in points] == [order[0], f"{image}, {expectation}", None, order[3]]


def test_ipma_dense_cluster_is_numbered_with_the_table_as_key(tmp_path):
    # four constructs packed within a label's height: no side for every name, so numbers
    moves = {c: (0.30 + 0.015 * n, 61.0 + 0.25 * (n % 2)) for n, c in enumerate(["Image", "Expectation", "Quality"])}
    moves["Value"] = (0.3225, 61.6)
    path = _drivers_book(tmp_path, _near_result(moves))
    points = _assert_labels_clear(path)
    ws = openpyxl.load_workbook(path)["Drivers"]
    names = [ws.cell(row, 1).value for row in range(2, 2 + len(points))]
    assert names == [f"{n}. {c}" for n, c in enumerate(["Quality", "Image", "Expectation", "Value"], start=1)]
    assert [text for *_, text, _ in points if text] == [str(n) for n in range(1, 5)]


def test_ipma_stands_below_the_drivers_table_and_prints_at_full_size(monthly):
    ws = openpyxl.load_workbook(monthly)["Drivers"]
    [(anchor, _)] = charts_of(monthly, "Drivers")
    letters, row = coordinate_from_string(anchor)
    assert letters == "A" and row == 2 + 4 + 1  # header, four constructs, a blank row
    assert ws.page_setup.orientation == "portrait"  # one table wide, not a table and a chart
