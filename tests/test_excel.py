"""The generic workbook writer: formats, neutralising, layout, limits and the atomic save."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.chart import BarChart, LineChart, ScatterChart

import crmkit.report.excel.rows as excel_rows
import crmkit.report.excel.workbook as excel_workbook
from crmkit.errors import OutputError
from crmkit.report.excel import (
    ReportWorkbook,
    ScatterSeries,
    Span,
    column_ref,
    neutralise_frame,
    neutralise_text,
    number_format_for,
)


# --- formula injection ------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["=1+1", "+x", "-1+1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_dangerous_text_gets_an_apostrophe(text):
    assert neutralise_text(text) == "'" + text
    assert neutralise_text(neutralise_text(text)) == "'" + text  # idempotent


@pytest.mark.parametrize("value", ["Alice", "", "a=b", " =1", "'=1", "-1", "+1", 5, -5, 2.5, None, dt.date(2024, 1, 1)])
def test_safe_values_unchanged(value):
    assert neutralise_text(value) is value


def test_neutralise_frame_only_touches_text():
    frame = pd.DataFrame(
        {
            "object": pd.Series(["=1+1", "ok", None], dtype=object),
            "str": pd.Series(["@x", "ok", None], dtype="str"),
            "pyarrow": pd.Series(["+1x", None, "ok"], dtype="string[pyarrow]"),
            "mixed": pd.Series(["-2x", 3, None], dtype=object),
            "category": pd.Series(["=a", "b", "=a"], dtype="category"),
            "number": [-1.0, 2.0, 3.0],
            "dates": pd.to_datetime(["2024-01-01", None, "2024-01-03"]),
        }
    )
    before = frame.copy()
    safe = neutralise_frame(frame)
    pd.testing.assert_frame_equal(frame, before)  # the input is not modified
    assert safe["object"].tolist()[:2] == ["'=1+1", "ok"] and safe["object"].iloc[2] is None
    assert safe["str"].tolist()[:2] == ["'@x", "ok"]
    assert safe["pyarrow"].tolist()[0] == "'+1x"
    assert safe["mixed"].tolist()[:2] == ["'-2x", 3]
    assert safe["category"].tolist() == ["'=a", "b", "'=a"]
    assert safe["number"].tolist() == [-1.0, 2.0, 3.0]
    pd.testing.assert_series_equal(safe["dates"], frame["dates"])
    assert safe["str"].dtype == frame["str"].dtype and safe["category"].dtype.name == "category"


def test_neutralise_frame_category_collision():
    frame = pd.DataFrame({"c": pd.Series(["=a", "'=a"], dtype="category")})
    assert neutralise_frame(frame)["c"].tolist() == ["'=a", "'=a"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="=+-@\t\r 'ab1", max_size=5)), max_size=30))
def test_frame_matches_scalar(values):
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    assert neutralise_frame(frame)["v"].tolist() == [neutralise_text(v) for v in values]


def test_neutralise_frame_is_vectorised_on_a_million_rows():
    frame = pd.DataFrame({"id": pd.Series([f"C{i}" for i in range(1_000_000)], dtype="str")})
    frame.loc[::1000, "id"] = "=1+1"
    safe = neutralise_frame(frame)
    assert (safe["id"] == "'=1+1").sum() == 1000


# --- number formats ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("revenue_share", "float", "0.0%"),
        ("repeat_customer_rate", "float", "0.0%"),
        ("monetary", "float", "#,##0.00"),
        ("avg_order_value", "float", "#,##0.00"),
        ("returns", "float", "#,##0.00"),
        ("return_amount", "float", "#,##0.00"),
        ("customers", "int", "#,##0"),
        ("frequency", "int", "#,##0"),
        ("return_rows", "int", "#,##0"),
        ("r_score", "int", "General"),
        ("customer_id", "int", "General"),
        ("cluster", "int", "General"),
        ("gini", "float", "0.000"),
        ("mean_frequency", "float", "#,##0.00"),
        ("first_purchase", "date", "yyyy-mm-dd"),
        ("segment", "text", "General"),
    ],
)
def test_number_format_rules(name, kind, expected):
    assert number_format_for(name, kind) == expected


def test_number_format_from_values():
    assert number_format_for("x", pd.Series(pd.to_datetime(["2024-01-01"]))) == "yyyy-mm-dd"
    assert number_format_for("x", pd.Series([1, 2])) == "#,##0"
    assert number_format_for("as_of", dt.date(2024, 1, 1)) == "yyyy-mm-dd"
    assert number_format_for("x", True) == "General"


# --- tables and key/values --------------------------------------------------------------------
def sample_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["A", "=B", " padded ", "x & <y>"],
            "monetary": [1234.5, np.nan, 3.0, np.inf],
            "frequency": pd.Series([1, None, 3, 4], dtype="Int64"),
            "revenue_share": [0.1, 0.2, 0.3, 0.4],
            "first_purchase": pd.to_datetime(["2024-01-01", "2024-02-01", None, "2024-03-01"]),
            "last_purchase": pd.Series([dt.date(2024, 5, 1), None, dt.date(2024, 5, 3), dt.date(2024, 5, 4)]),
            "active": [True, False, True, False],
            "note": pd.Series([1, "text", dt.date(2024, 1, 2), None], dtype=object),
            "ctrl": ["bell\x07", "ok", "tab\tinside", "x" * 40_000],
        }
    )


def cell_rows(ws):
    return [[(c.value, c.number_format) for c in row] for row in ws.iter_rows()]


def save_and_open(book, path):
    book.save(path)
    return openpyxl.load_workbook(path)


def test_table_values_and_formats(tmp_path):
    book = ReportWorkbook("en")
    span = book.add_table("sheet:customers", sample_frame())
    assert span == Span(1, 5, 1, 9)
    ws = save_and_open(book, tmp_path / "t.xlsx")["Customers"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Customer ID", "Monetary (net revenue)", "Frequency (orders)", "Share of revenue"]
    assert header[6] == "active"  # no label: the column name itself
    a, b, c, d = (list(ws.iter_rows(min_row=r, max_row=r))[0] for r in range(2, 6))
    assert a[1].value == 1234.5 and a[1].number_format == "#,##0.00"
    assert b[1].value is None and d[1].value is None  # NaN and inf become empty cells
    assert a[2].value == 1 and b[2].value is None and a[2].number_format == "#,##0"
    assert a[3].number_format == "0.0%"
    assert a[4].value == dt.datetime(2024, 1, 1) and a[4].number_format == "yyyy-mm-dd"
    assert c[4].value is None
    assert a[5].value == dt.datetime(2024, 5, 1) and a[5].number_format == "yyyy-mm-dd"  # date objects
    assert a[6].value is True and b[6].value is False
    assert [a[7].value, b[7].value, c[7].value] == [1, "text", "2024-01-02"]  # mixed column: ISO text
    assert b[0].value == "'=B" and c[0].value == " padded " and d[0].value == "x & <y>"
    assert a[8].value == "bell" and c[8].value == "tab\tinside" and len(d[8].value) == 32_767
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:I5"
    widths = {letter: dim.width for letter, dim in ws.column_dimensions.items()}
    # a long header wraps (capped at 14 characters + the filter button), long text wraps at 40
    assert 14 <= widths["B"] <= 17 and widths["I"] <= 42
    assert all(cell.alignment.wrap_text for cell in ws[1])
    assert a[8].alignment.wrap_text and not a[1].alignment.wrap_text


def test_header_and_long_text_wrap_and_titles_do_not(tmp_path):
    book = ReportWorkbook("en")
    frame = pd.DataFrame(
        {
            "revenue_share_of_the_best_customers": [0.5, 0.25],
            "action": ["Win them back with a personal offer before the next season starts", "Keep"],
            "name": ["short", "names"],
        }
    )
    book.add_table("t", frame, title="A title that is much longer than any column of the table")
    ws = openpyxl.load_workbook(book.save(tmp_path / "wrap.xlsx"))["t"]
    assert not ws["A1"].alignment.wrap_text  # a title spills right over the empty cells
    assert all(ws.cell(2, col).alignment.wrap_text and ws.cell(2, col).font.b for col in (1, 2, 3))
    assert [bool(ws.cell(3, col).alignment.wrap_text) for col in (1, 2, 3)] == [False, True, False]
    widths = {col: ws.column_dimensions[col].width for col in "ABC"}
    assert widths["A"] == 17 and widths["B"] == 42 and widths["C"] == 7  # "name" + 3
    assert ws["A3"].value == 0.5


def test_row_formats_format_a_transposed_table(tmp_path):
    book = ReportWorkbook("en")
    frame = pd.DataFrame({"month": ["Customers", "Revenue", "Gini"], "2024-11": [10.0, 1234.5, 0.5]})
    frame["2024-12"] = [12.0, None, 0.25]
    book.add_table("t", frame, row_formats=["#,##0", "#,##0.00", "0.000"])
    ws = openpyxl.load_workbook(book.save(tmp_path / "rows.xlsx"))["t"]
    assert [ws.cell(1, col).value for col in (1, 2, 3)] == ["Month", "2024-11", "2024-12"]
    assert [[ws.cell(row, col).number_format for col in (1, 2, 3)] for row in (2, 3, 4)] == [
        ["General", "#,##0", "#,##0"],
        ["General", "#,##0.00", "General"],  # an empty cell is not written
        ["General", "0.000", "0.000"],
    ]
    assert ws["B3"].value == 1234.5 and ws["C3"].value is None and ws["C2"].value == 12


def test_huge_integer_ids_are_text(tmp_path):
    book = ReportWorkbook("en")
    book.add_table("t", pd.DataFrame({"customer_id": [6222020000000001234, 17], "n": [1, 2]}))
    ws = save_and_open(book, tmp_path / "t.xlsx")["t"]
    assert ws["A2"].value == "6222020000000001234" and ws["A3"].value == "17"


def test_key_values_title_and_formats(tmp_path):
    book = ReportWorkbook("zh")
    span = book.add_key_values(
        "sheet:summary",
        {
            "customers": 1200,
            "revenue": 98500.5,
            "as_of": dt.date(2024, 6, 30),
            "top20_share": 0.71,
            "scheme": "=rfm",
            "missing": None,
        },
        title="title:segment_report",
        start_row=3,
        start_col=2,
    )
    assert span == Span(4, 9, 2, 3)
    ws = save_and_open(book, tmp_path / "k.xlsx")["摘要"]
    assert ws["B3"].value == "客户分群(RFM)" and ws["B3"].font.bold
    assert (ws["B4"].value, ws["C4"].value, ws["C4"].number_format) == ("客户数", 1200, "#,##0")
    assert (ws["C5"].value, ws["C5"].number_format) == (98500.5, "#,##0.00")
    assert (ws["C6"].value, ws["C6"].number_format) == (dt.datetime(2024, 6, 30), "yyyy-mm-dd")
    assert ws["C7"].number_format == "0.0%"
    assert ws["C8"].value == "'=rfm" and ws["C8"].data_type == "s"
    assert ws["B9"].value == "missing" and ws["C9"].value is None


def test_blocks_share_a_sheet(tmp_path):
    book = ReportWorkbook("en")
    first = book.add_table("s", pd.DataFrame({"a": [1, 2]}), title="First")
    second = book.add_table(
        "s", pd.DataFrame({"b": [3]}), start_row=first.last_row + 2, freeze_header=False, autofilter=False
    )
    side = book.add_key_values("s", [("k", "v")], start_col=4)
    assert first == Span(2, 4, 1, 1) and second == Span(6, 7, 1, 1) and side == Span(1, 1, 4, 5)
    ws = save_and_open(book, tmp_path / "b.xlsx")["s"]
    assert [ws.cell(r, 1).value for r in range(1, 8)] == ["First", "a", 1, 2, None, "b", 3]
    assert ws["D1"].value == "k" and ws["E1"].value == "v"
    assert ws.freeze_panes == "A3"
    with pytest.raises(ValueError, match="overlaps"):
        book.add_table("s", pd.DataFrame({"c": [1]}), start_row=3, freeze_header=False, autofilter=False)
    with pytest.raises(ValueError, match="autofilter"):
        book.add_table("s", pd.DataFrame({"c": [1]}), start_row=20, freeze_header=False)


def test_empty_table_and_empty_sheet(tmp_path):
    book = ReportWorkbook("en")
    assert book.add_table("e", pd.DataFrame({"a": pd.Series([], dtype=float)})) == Span(1, 1, 1, 1)
    book.add_key_values("kv", [])
    wb = save_and_open(book, tmp_path / "e.xlsx")
    assert wb.sheetnames == ["e", "kv"] and wb["e"]["A1"].value == "a"


def test_sheet_titles_are_valid_and_unique():
    book = ReportWorkbook("en")
    book.add_key_values("a very long sheet name that Excel would refuse: [x]", [])
    book.add_key_values("A very long sheet name that Excel would refuse: [y]", [])
    titles = book.sheet_titles
    assert all(len(title) <= 31 for title in titles)
    assert not any(ch in title for title in titles for ch in "[]:*?/\\")
    assert titles[0].lower() != titles[1].lower()


def test_too_many_rows_for_excel():
    book = ReportWorkbook("en")
    with pytest.raises(OutputError, match="1,048,576") as caught:
        book.add_table("big", pd.DataFrame({"n": np.zeros(1_048_576, dtype=np.int8)}))
    assert "CSV" in str(caught.value)


# --- charts -------------------------------------------------------------------------------------
def test_native_charts(tmp_path):
    book = ReportWorkbook("en")
    frame = pd.DataFrame(
        {
            "month": ["2024-01", "2024-02", "2024-03"],
            "customers": [10, 12, 9],
            "customer_share": [0.3, 0.4, 0.3],
            "revenue_share": [0.2, 0.5, 0.3],
        }
    )
    span = book.add_table("charts", frame)
    cats = column_ref(span, frame.columns, "month", header=False)
    assert cats == (1, 2, 1, 4)
    book.add_bar_chart(
        "charts",
        data_ref=column_ref(span, frame.columns, "customers"),
        categories_ref=cats,
        anchor="G2",
        title="chart:customers_per_segment",
        y_title="axis:customers",
    )
    book.add_bar_chart(
        "charts",
        data_ref=[column_ref(span, frame.columns, "customer_share"), column_ref(span, frame.columns, "revenue_share")],
        categories_ref=cats,
        anchor="G20",
        percent=True,
        horizontal=True,
    )
    book.add_line_chart(
        "charts",
        data_ref=column_ref(span, frame.columns, "customers"),
        categories_ref=cats,
        anchor="P2",
        title="Customers by month",
    )
    share = column_ref(span, frame.columns, "customer_share", header=False)
    book.add_scatter_chart(
        "charts", series=[ScatterSeries(share, share, "series:equality")], anchor="P20", percent=True, percent_x=True
    )
    ws = save_and_open(book, tmp_path / "c.xlsx")["charts"]
    kinds = [type(chart) for chart in ws._charts]
    assert kinds == [BarChart, BarChart, LineChart, ScatterChart]
    with zipfile.ZipFile(tmp_path / "c.xlsx") as archive:
        chart_xml = archive.read("xl/charts/chart1.xml").decode()
    assert "Customers per segment" in chart_xml and "'charts'!$B$2:$B$4" in chart_xml


# --- the fast row writer against openpyxl's own ---------------------------------------------------
def _sheet_xml(tmp_path, name, fast, monkeypatch):
    monkeypatch.setattr(excel_rows, "_FAST_ROWS", fast)
    book = ReportWorkbook("zh")
    book.add_key_values(
        "sheet:summary",
        {"customers": 3, "as_of": dt.date(2024, 6, 30), "gini": 0.5, "flag": True, "scheme": "=x"},
        title="title:segment_report",
    )
    book.add_table("sheet:customers", sample_frame(), start_row=9, freeze_header=True)
    path = tmp_path / name
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n).decode() for n in archive.namelist()}


def test_fast_rows_write_what_openpyxl_writes(tmp_path, monkeypatch):
    if not excel_rows._raw_rows_supported():
        pytest.skip("openpyxl uses lxml here: the fast path is off")
    fast = _sheet_xml(tmp_path, "fast.xlsx", True, monkeypatch)
    slow = _sheet_xml(tmp_path, "slow.xlsx", False, monkeypatch)
    assert sorted(fast) == sorted(slow)
    for name in fast:
        if name == "docProps/core.xml":
            continue  # holds the time of the save
        a, b = fast[name], slow[name]
        if name.startswith("xl/worksheets/sheet"):
            # openpyxl prints floats with %.16g (the fast path keeps all 17 digits) and writes
            # empty <row/> elements for skipped rows
            a = re.sub(r"<v>([-0-9.e+]+)</v>", lambda m: f"<v>{float(m.group(1)):.16g}</v>", a)
            b = re.sub(r"<v>([-0-9.e+]+)</v>", lambda m: f"<v>{float(m.group(1)):.16g}</v>", b)
            b = re.sub(r'<row r="\d+"\s*(/>|></row>)', "", b)
        assert a == b, name


def _every_kind(n: int) -> pd.DataFrame:
    """A table with every kind of cell the column-at-a-time writer meets, repeated and not."""
    rng = np.random.default_rng(7)
    floats = rng.choice([0.0, -0.0, 1.5, np.nan, np.inf, 1e-300, 2.0 / 3.0], n)
    return pd.DataFrame(
        {
            "customer_id": [f"{i:06d}" for i in range(n)],
            "frequency": rng.integers(0, 5, n),
            "monetary": floats,
            "segment": rng.choice(["a & b", " lead", "trail ", "<x>", "", "=cmd"], n),
            "occasions": pd.array(rng.choice([1, 2, None], n), dtype="Int64"),
            "flag": rng.choice([True, False], n),
            "first_purchase": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
            "mixed": pd.Series(rng.choice([1, 1.0, True, "1", None], n), dtype=object),
        }
    )


def test_whole_columns_write_the_bytes_cells_write(tmp_path, monkeypatch):
    # the customer sheets' rows are written a column at a time (TableRows.xml); row by row the
    # same table must give the same package, byte for byte
    if not excel_rows._raw_rows_supported():
        pytest.skip("openpyxl uses lxml here: the fast path is off")
    frame = _every_kind(45_000)  # more than one chunk of TableRows.CHUNK rows

    def saved(name: str) -> bytes:
        book = ReportWorkbook("en", as_of=dt.date(2024, 6, 30))
        book.add_key_values("sheet:summary", {"customers": len(frame)}, title="title:segment_report")
        book.add_table("sheet:summary", frame, start_row=5)
        return book.save(tmp_path / name).read_bytes()

    by_column = saved("columns.xlsx")
    monkeypatch.setattr(excel_rows.TableRows, "xml", lambda self, style_attr: self.values())
    assert by_column == saved("cells.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "columns.xlsx")["Summary"]
    assert ws["A6"].value == "000000" and ws.max_row == 5 + len(frame)
    column = [c.value for c in ws["C"][5:]]
    assert sum(v is None for v in column) == int((~np.isfinite(frame["monetary"])).sum())


# --- saving -----------------------------------------------------------------------------------
def small_book() -> ReportWorkbook:
    book = ReportWorkbook("en")
    book.add_table("t", pd.DataFrame({"a": [1, 2]}))
    return book


def test_save_twice_and_permissions(tmp_path):
    path = tmp_path / "r.xlsx"
    book = small_book()
    assert book.save(path) == path
    os.chmod(path, 0o640)
    book.save(path)  # a plan can be written again
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640  # the old report's permissions are kept
    fresh = tmp_path / "fresh.xlsx"
    book.save(fresh)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o666 & ~umask  # not NamedTemporaryFile's 0600
    assert openpyxl.load_workbook(path)["t"]["A3"].value == 2


def test_a_workbook_without_sheets_is_not_written(tmp_path):
    with pytest.raises(ValueError, match="no sheets"):
        ReportWorkbook("en").save(tmp_path / "empty.xlsx")
    assert os.listdir(tmp_path) == []


def test_interrupted_save_cleans_up_and_reraises(tmp_path, monkeypatch):
    def interrupted(book, filename, when=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(excel_workbook, "save_workbook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        small_book().save(tmp_path / "r.xlsx")
    assert os.listdir(tmp_path) == []


def test_save_onto_a_folder_or_a_protected_file(tmp_path):
    with pytest.raises(OutputError, match="folder"):
        small_book().save(tmp_path)
    source = tmp_path / "in.csv"
    source.write_text("id,amount\n")
    with pytest.raises(OutputError, match="input file"):
        small_book().save(source, protect=[None, tmp_path / "other.csv", source])
    assert source.read_text() == "id,amount\n"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions as non-root")
def test_unwritable_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="cannot create"):
            small_book().save(locked / "r.xlsx")
    finally:
        locked.chmod(0o700)


def test_folder_refusing_new_files(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    import crmkit.report.files

    monkeypatch.setattr(crmkit.report.files.tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match="Permission denied") as caught:
        small_book().save(tmp_path / "r.xlsx")
    assert str(tmp_path / "r.xlsx") in str(caught.value)


def test_long_table_splits_over_sheets(tmp_path, monkeypatch):
    monkeypatch.setattr(excel_workbook, "EXCEL_MAX_ROWS", 5)  # 4 data rows per sheet
    book = ReportWorkbook("en")
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(10)], "monetary": range(10)})
    spans = book.add_long_table("sheet:customers", frame)
    assert len(spans) == 3
    path = book.save(tmp_path / "long.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Customers", "Customers (2)", "Customers (3)"]
    ids = [c.value for ws in wb.worksheets for c in ws["A"][1:]]
    assert ids == [f"c{i}" for i in range(10)]
    headers = {(ws["A1"].value, ws["B1"].value) for ws in wb.worksheets}
    assert len(headers) == 1 and None not in headers.pop()  # every part has the header


def test_headers_stand_over_their_values(tmp_path):
    # numbers and dates sit right in their cells, so their headers do; text headers stay left
    book = ReportWorkbook("en")
    frame = pd.DataFrame(
        {"customer_id": ["a"], "monetary": [1.5], "frequency": [2], "first_purchase": [dt.date(2024, 1, 2)]}
    )
    book.add_table("sheet:customers", frame)
    ws = openpyxl.load_workbook(book.save(tmp_path / "h.xlsx"))["Customers"]
    assert [c.alignment.horizontal for c in ws[1]] == [None, "right", "right", "right"]
    assert all(c.font.b and c.alignment.wrap_text for c in ws[1])
