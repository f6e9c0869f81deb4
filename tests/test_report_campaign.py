"""The Campaign and Loyalty programme sheets and the terminal tables of ``crmkit campaign``."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from rich.cells import cell_len
from rich.console import Console

from crmkit.campaign import campaign
from crmkit.loyalty import loyalty
from crmkit.report import i18n
from crmkit.report.catalogue_campaign import CAMPAIGN_LABELS
from crmkit.report.excel import ReportWorkbook
from crmkit.report.sheets.campaign import add_campaign_sheets, add_loyalty_sheets
from crmkit.report.terminal_campaign import render_campaign, render_loyalty

SALES = [
    ("a", "2024-01-10", 10.0),
    ("a", "2024-02-05", 30.0),
    ("b", "2024-01-15", 20.0),
    ("c", "2024-01-20", 10.0),
    ("c", "2024-02-10", 20.0),
    ("d", "2024-01-25", 10.0),
    ("e", "2024-02-03", 40.0),
    ("f", "2024-01-05", 10.0),
    ("g", "2024-06-01", 10.0),
    ("h", "2024-01-11", 10.0),
    ("h", "2024-02-15", 10.0),
]
ARMS = {"a": "优惠券", "b": "优惠券", "c": "优惠券", "d": "对照组", "e": "对照组", "f": "对照组"}


@pytest.fixture(autouse=True)
def catalogue(monkeypatch):
    """The campaign catalogue merged into the labels, as crmkit.report.i18n will merge it."""
    for key, entry in CAMPAIGN_LABELS.items():
        monkeypatch.setitem(i18n.LABELS, key, entry)


def sales() -> pd.DataFrame:
    return pd.DataFrame(SALES, columns=["customer_id", "date", "amount"])


@pytest.fixture(scope="module")
def result():
    sent = pd.DataFrame(
        {"客户编号": list(ARMS), "分组": list(ARMS.values()), "触达日期": "2024-02-01", "触达成本": "¥1.00"}
    )
    return campaign(sales(), sent, windows=["30d"], margin=0.5)


@pytest.fixture(scope="module")
def matched():
    return campaign(sales(), pd.DataFrame({"customer_id": ["a", "c"], "date": ["2024-02-01"] * 2}), windows=["30d"])


@pytest.fixture(scope="module")
def programme():
    members = pd.DataFrame(
        {"customer_id": ["a"], "join_date": ["2024-02-01"], "points_earned": ["100"], "points_redeemed": ["25"]}
    )
    # a customer who bought near a's join day without joining: a's comparison
    twin = pd.DataFrame(
        [("z", "2024-01-12", 10.0), ("z", "2024-02-03", 25.0)], columns=["customer_id", "date", "amount"]
    )
    return loyalty(pd.concat([sales(), twin], ignore_index=True), members, window="30d", point_value=0.1)


def _cells(ws):
    return {(c.row, c.column): c for row in ws.iter_rows() for c in row if c.value is not None}


def _below(ws, header: str, nth: int = 0):
    """The first data cell under the ``nth`` header cell reading ``header``."""
    hits = [c for c in _cells(ws).values() if c.value == header]
    cell = sorted(hits, key=lambda c: (c.row, c.column))[nth]
    return ws.cell(cell.row + 1, cell.column)


def test_campaign_sheet_reopened(result, tmp_path):
    book = ReportWorkbook("en")
    add_campaign_sheets(book, result)
    path = book.save(tmp_path / "campaign.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Campaign", "Campaign customers"]
    ws = wb["Campaign"]
    assert ws["A1"].value == "Did the campaign work?"
    assert (ws["A2"].value, ws["B2"].value) == ("Evidence", "Randomised: arms against a control group (causal)")
    texts = [c.value for c in _cells(ws).values() if isinstance(c.value, str)]
    assert any(t.startswith("Conversion difference") for t in texts)
    assert "33.3% (" in next(
        ws.cell(c.row, 2).value for c in _cells(ws).values() if c.value == "Conversion difference (CI)"
    )
    # the rates table first (percent), then the money table
    rate, money = _below(ws, "Difference", 0), _below(ws, "Difference", 1)
    assert rate.number_format == "0.0%" and rate.value == pytest.approx(1 / 3)
    assert money.number_format == "#,##0.00" and money.value == pytest.approx(50 / 3 - 40 / 3)
    assert _below(ws, "p-value").number_format == '[<0.001]"<0.001";0.000'
    assert _below(ws, "Incremental revenue", -1).value == pytest.approx(10.0)  # 10/3 x 3 customers
    assert _below(ws, "ROI", -1).number_format == "0.0%"
    assert _below(ws, "Minimum detectable effect").value > 0
    assert len(ws._charts) == 1
    assert any(str(t).startswith("Note: ") for t in texts)
    customers = wb["Campaign customers"]
    assert customers["A1"].value == "Window" and customers.max_row == 1 + 6


def test_zh_workbook_and_the_matched_evidence_in_words(matched, tmp_path):
    book = ReportWorkbook("zh")
    add_campaign_sheets(book, matched, customers="none")
    wb = openpyxl.load_workbook(book.save(tmp_path / "zh.xlsx"))
    assert wb.sheetnames == ["营销效果"]
    ws = wb["营销效果"]
    assert ws["B2"].value == "匹配对比：较弱的观察性证据，不能作因果判断"
    notes = [c.value for c in _cells(ws).values() if isinstance(c.value, str) and c.value.startswith("说明")]
    assert any("观察性证据" in n for n in notes)


def test_loyalty_sheet(programme, tmp_path):
    book = ReportWorkbook("en")
    add_loyalty_sheets(book, programme)
    wb = openpyxl.load_workbook(book.save(tmp_path / "loyalty.xlsx"))
    assert wb.sheetnames == ["Loyalty programme", "Programme members"]
    ws = wb["Loyalty programme"]
    values = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(2, 18)}
    assert values["Redemption rate"].value == 0.25 and values["Redemption rate"].number_format == "0.0%"
    assert values["Breakage"].value == 0.75
    assert values["Evidence"].value.startswith("Matched comparison")


def _lines(render, result, lang) -> list[str]:
    out = io.StringIO()
    render(result, lang, console=Console(file=out, width=80, record=False), quiet=True)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_terminal_fits_80_columns(result, matched, programme, lang):
    for render, found in ((render_campaign, result), (render_campaign, matched), (render_loyalty, programme)):
        lines = _lines(render, found, lang)
        assert lines and max(cell_len(line) for line in lines) <= 80
    text = "\n".join(_lines(render_campaign, matched, "en"))
    assert "weaker, observational evidence" in text.replace("\n", " ") or "observational" in text


def test_every_column_and_note_has_a_label(result, matched, programme):
    frames = [result.view(v) for v in result.VIEWS] + [matched.view(v) for v in matched.VIEWS]
    frames += [programme.view(v) for v in programme.VIEWS]
    columns = {c for frame in frames for c in frame.columns}
    missing = sorted(c for c in columns if f"campaign:{c}" not in CAMPAIGN_LABELS)
    assert not missing
    keys = {n.key for found in (result, matched, programme) for n in [*found.notes, *found.warnings]}
    assert not sorted(k for k in keys if f"msg:{k}" not in CAMPAIGN_LABELS)
    for entry in CAMPAIGN_LABELS.values():
        assert entry["en"] and entry["zh"]
    for key in ("campaign:metric:conversion", "campaign:evidence:matched", "sheet:campaign", "title:campaign"):
        assert key in CAMPAIGN_LABELS
