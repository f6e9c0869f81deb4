"""The economics table on the terminal and in the workbook (Economics and Segment economics sheets)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from rich.cells import cell_len
from rich.console import Console

from crmkit.economics import economics
from crmkit.report import i18n
from crmkit.report.catalogue_economics import ECONOMICS_LABELS
from crmkit.report.excel import ReportWorkbook
from crmkit.report.sheets.economics import UNIT_FORMATS, add_economics_sheets
from crmkit.report.terminal_economics import format_value, render_economics, shown_rows

SALES = Path(__file__).resolve().parents[1] / "examples" / "sales.csv"
AS_OF = "2024-12-31"
ROWS = [
    ("A", "2023-02-01", 100.0),
    ("A", "2024-03-01", 200.0),
    ("B", "2023-05-01", 50.0),
    ("C", "2024-02-01", 40.0),
    ("D", "2023-11-01", 70.0),
    ("D", "2024-09-01", 30.0),
]


@pytest.fixture(autouse=True)
def labels(monkeypatch):
    """The catalogue merged into the labels (as the lead merges it into crmkit.report.i18n.LABELS)."""
    monkeypatch.setattr(i18n, "LABELS", {**i18n.LABELS, **ECONOMICS_LABELS})


def tiny(**options):
    frame = pd.DataFrame(ROWS, columns=["customer_id", "date", "amount"])
    return economics(frame, AS_OF, margin=0.5, **options)


@pytest.fixture(scope="module")
def sales():
    return economics(str(SALES), acquisition_cost=30, retention_cost=6, serve_cost_per_order=2.5, margin=0.3)


def _screen(result, lang: str, width: int = 80) -> str:
    out = io.StringIO()
    render_economics(result, lang, console=Console(file=out, width=width, color_system=None), quiet=True)
    return out.getvalue()


def test_catalogue_is_namespaced_and_bilingual():
    for key, entry in ECONOMICS_LABELS.items():
        assert key.split(":")[0] in {"economics", "msg", "title", "sheet", "chart", "order_by"}, key
        assert key.startswith(("economics:", "msg:economics_", "title:economics", "sheet:economics", "chart:economics"))
        assert set(entry) >= {"en", "zh"} and entry["en"] is not None, key


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_terminal_fits_80_columns(sales, lang):
    text = _screen(sales, lang)
    assert max(cell_len(line) for line in text.splitlines()) <= 80
    assert "33.2%" in text and "5.00×" in text and "r = K / N0" in text
    assert ("Retention rate" if lang == "en" else "客户保留率") in text


def test_terminal_leaves_out_cost_rows_not_given():
    result = tiny()
    metrics = list(shown_rows(result)["metric"])
    assert "acquisition_spend" not in metrics and "cost_ratio" not in metrics and "clv" in metrics
    text = _screen(result, "en")
    assert "Acquisition spend" not in text and "Customer lifetime value" in text
    assert "Revenue and margin per segment" in text  # no costs: the segment table without them


def test_format_value():
    assert format_value(2847.0, "count") == "2,847"
    assert format_value(float("inf"), "money") == "∞"
    assert format_value(None, "share") == "n/a"


def _find(ws, text):
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell
    raise AssertionError(f"{text!r} not on sheet {ws.title}")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sheets_reopened(sales, tmp_path, lang):
    book = ReportWorkbook(lang, title="title:economics", as_of=sales.as_of)
    add_economics_sheets(book, sales)
    path = book.save(tmp_path / f"economics_{lang}.xlsx")
    wb = openpyxl.load_workbook(path)
    names = {"en": ["Economics", "Segment economics"], "zh": ["经济效益", "分群经济效益"]}[lang]
    assert wb.sheetnames == names
    ws = wb[names[0]]
    label = i18n.label("economics:retention_rate", lang)
    cell = _find(ws, label)
    value = ws.cell(cell.row, cell.column + 1)
    formula = ws.cell(cell.row, cell.column + 2)
    assert value.value == pytest.approx(sales.value("retention_rate"))
    assert value.number_format == UNIT_FORMATS["share"]
    assert formula.value == "r = K / N0"
    clv = _find(ws, i18n.label("economics:clv", lang))
    assert ws.cell(clv.row, clv.column + 1).number_format == UNIT_FORMATS["money"]
    ratio = _find(ws, i18n.label("economics:cost_ratio", lang))
    assert ws.cell(ratio.row, ratio.column + 1).value == pytest.approx(5)
    assert ws.cell(ratio.row, ratio.column + 1).number_format == UNIT_FORMATS["ratio"]
    assert len(ws._charts) == 1  # new vs repeat shares
    # the shares beside the table: new + repeat = 100% in each column
    new = _find(ws, i18n.label("economics:group:new", lang))
    repeat = ws.cell(new.row + 1, new.column)
    for offset in (1, 2, 3):
        assert ws.cell(new.row, new.column + offset).value + ws.cell(repeat.row, repeat.column + offset).value == (
            pytest.approx(1)
        )
        assert ws.cell(new.row, new.column + offset).number_format == "0.0%"
    seg = wb[names[1]]
    assert len(seg._charts) == 1
    header = _find(seg, i18n.label("economics:cost_to_serve", lang))
    costs = [seg.cell(header.row + 1 + k, header.column).value for k in range(len(sales.segments))]
    assert costs == pytest.approx(list(sales.segments["cost_to_serve"]))
    assert seg.cell(header.row + 1, header.column).number_format == "#,##0.00"
    assert ws.page_setup.orientation == "landscape"


def test_sheet_notes_and_losing_segment(tmp_path):
    result = tiny(serve_costs=pd.Series({"C": 100.0}))
    book = ReportWorkbook("en")
    add_economics_sheets(book, result)
    wb = openpyxl.load_workbook(book.save(tmp_path / "tiny.xlsx"))
    texts = [c.value for row in wb["Economics"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("CLV = m r / (1 + d - r)") for t in texts)
    seg = wb["Segment economics"]
    flag = _find(seg, "Loss after serving")
    assert "yes" in [seg.cell(flag.row + k, flag.column).value for k in range(1, len(result.segments) + 1)]
    warned = [t for t in texts if "negative in" in t]
    assert warned, texts


def test_sheet_without_costs(tmp_path):
    book = ReportWorkbook("en")
    add_economics_sheets(book, tiny())
    wb = openpyxl.load_workbook(book.save(tmp_path / "plain.xlsx"))
    headers = [c.value for row in wb["Segment economics"].iter_rows() for c in row if isinstance(c.value, str)]
    assert "Cost to serve" not in headers and "Gross margin" in headers
    texts = [c.value for row in wb["Economics"].iter_rows() for c in row]
    assert "Acquisition spend" not in texts and "none: margin = revenue" not in texts  # margin 0.5 given
    assert "50.0%" in texts
