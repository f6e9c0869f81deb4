"""The Feedback sheet reopened with openpyxl, the terminal tables at 80 columns, and the catalogue."""

from __future__ import annotations

import re
import string

import openpyxl
import pytest
from rich.console import Console
from test_feedback import AS_OF, complaints_frame, purchases_frame

from crmkit.feedback import feedback
from crmkit.io.quality import Message
from crmkit.report.catalogue_feedback import FEEDBACK_LABELS
from crmkit.report.excel import ReportWorkbook
from crmkit.report.i18n import LABELS, message
from crmkit.report.sheets.feedback import add_feedback_sheets
from crmkit.report.terminal_feedback import render_feedback


@pytest.fixture(autouse=True, scope="module")
def catalogue():
    """FEEDBACK_LABELS in the catalogue (a no-op once i18n merges it)."""
    added = {k: v for k, v in FEEDBACK_LABELS.items() if k not in LABELS}
    LABELS.update(added)
    yield
    for key in added:
        LABELS.pop(key, None)


@pytest.fixture(scope="module")
def full():
    return feedback(complaints_frame(), purchases_frame(), as_of=AS_OF, window="30d")


def _cells(ws) -> dict[str, tuple[int, int]]:
    """Text -> its first cell (row, column), reading down the sheet."""
    found: dict[str, tuple[int, int]] = {}
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str):
                found.setdefault(c.value, (c.row, c.column))
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sheet_reopened_cell_by_cell(tmp_path, full, lang):
    book = ReportWorkbook(lang, as_of=full.as_of)
    add_feedback_sheets(book, full)
    path = book.save(tmp_path / f"feedback_{lang}.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [FEEDBACK_LABELS["sheet:feedback"][lang]]
    ws = wb.active
    where = _cells(ws)
    row, col = where[FEEDBACK_LABELS["feedback:complaints"][lang]]  # the headline's first pair
    assert ws.cell(row, col + 1).value == 8
    row, col = where[FEEDBACK_LABELS["feedback:resolved_share"][lang]]
    assert ws.cell(row, col + 1).value == pytest.approx(5 / 8) and ws.cell(row, col + 1).number_format == "0.0%"
    for key in ("title:feedback_by_category", "title:feedback_by_channel", "title:feedback_by_month",
                "title:feedback_rates", "title:feedback_outcomes", "title:feedback_outcomes_spend",
                "title:feedback_lost_revenue", "title:feedback_terms", "title:feedback_customers"):  # fmt: skip
        assert FEEDBACK_LABELS[key][lang] in where, key
    # the by-category table: header row below its title, 物流 first with 4 complaints and 75% resolved
    title_row, first_col = where[FEEDBACK_LABELS["title:feedback_by_category"][lang]]
    header = [ws.cell(title_row + 1, first_col + k).value for k in range(9)]
    assert header[:2] == [FEEDBACK_LABELS["feedback:category"][lang], FEEDBACK_LABELS["feedback:complaints"][lang]]
    assert [ws.cell(title_row + 2, first_col + k).value for k in (0, 1, 2)] == ["物流", 4, 3]
    resolved_col = header.index(FEEDBACK_LABELS["feedback:resolved_share"][lang])
    assert ws.cell(title_row + 2, first_col + resolved_col).value == pytest.approx(0.75)
    median_col = header.index(FEEDBACK_LABELS["feedback:median_days"][lang])
    assert ws.cell(title_row + 2, first_col + median_col).value == pytest.approx(1.25)
    # outcomes: the resolved group, 4 customers, retention 50% as a percentage
    title_row, first_col = where[FEEDBACK_LABELS["title:feedback_outcomes"][lang]]
    assert ws.cell(title_row + 2, first_col).value == FEEDBACK_LABELS["feedback:group:resolved"][lang]
    assert ws.cell(title_row + 2, first_col + 1).value == 4
    assert ws.cell(title_row + 2, first_col + 3).value == pytest.approx(0.5)
    assert ws.cell(title_row + 2, first_col + 3).number_format == "0.0%"
    # lost revenue: 物流 80.00 lost, 40.00 excess
    title_row, first_col = where[FEEDBACK_LABELS["title:feedback_lost_revenue"][lang]]
    values = [ws.cell(title_row + 2, first_col + k).value for k in range(7)]
    assert values[0] == "物流" and values[5:] == [80.0, 40.0]
    assert len(ws._charts) == 4  # category, channel, month, retention
    assert ws.page_setup.orientation == "landscape"


def test_sheet_without_purchases(tmp_path):
    result = feedback(complaints_frame())
    book = ReportWorkbook("en")
    add_feedback_sheets(book, result, customers="none")
    ws = openpyxl.load_workbook(book.save(tmp_path / "f.xlsx")).active
    where = _cells(ws)
    assert "Complaints by category" in where and "Revenue lost by category" not in where
    titles = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1) if ws.cell(r, 1).font.bold]
    assert "Complaints by month" in titles and "Complainers" not in titles  # customers="none": no list
    assert any(isinstance(v, str) and "need the purchase export" in v for v in where)
    assert len(ws._charts) == 3


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_terminal_fits_80_columns(full, lang):
    console = Console(width=80, record=True, force_terminal=False)
    render_feedback(full, lang, console=console, quiet=True)
    text = console.export_text()
    from rich.cells import cell_len

    assert max(cell_len(line) for line in text.splitlines()) <= 80
    assert FEEDBACK_LABELS["title:feedback_outcomes"][lang][:10] in text
    assert "物流" in text and "50.0%" in text


def test_terminal_without_purchases():
    console = Console(width=80, record=True)
    render_feedback(feedback(complaints_frame()), "en", console=console, quiet=True)
    text = console.export_text()
    assert "Complaints by month" in text and "What happened next" not in text


def test_catalogue_complete_and_namespaced(full):
    import crmkit.feedback as fb
    import crmkit.io.complaints as io_complaints

    for key, entry in FEEDBACK_LABELS.items():
        assert set(entry) == {"en", "zh"}, key
        assert key.split(":")[0] in {"sheet", "title", "chart", "feedback", "msg"}, key
        if key.startswith(("sheet:", "title:", "chart:", "msg:")):
            assert "feedback" in key, key
    # every message key the library writes has a template in both languages, and its fields are filled
    source = open(fb.__file__, encoding="utf-8").read() + open(io_complaints.__file__, encoding="utf-8").read()
    keys = set(re.findall(r'"(feedback_[a-z_]+)"', source))
    assert keys <= {k[4:] for k in FEEDBACK_LABELS if k.startswith("msg:")}, keys
    for note in [*full.notes, *full.warnings]:
        for lang in ("en", "zh"):
            text = message(note, lang)
            assert "{" not in text and text != note.key
    fields = {
        f for k, v in FEEDBACK_LABELS.items() for t in v.values() for _, f, _, _ in string.Formatter().parse(t) if f
    }
    assert fields <= {"count", "column", "row", "values", "as_of", "days", "groups"}
    assert message(Message("x", "feedback_no_text"), "zh") == "没有投诉内容：无高频词"
    # every table column the sheet shows has a label
    for name in ("by_category", "outcomes", "lost_revenue", "terms"):
        for column in full.view(name).columns:
            if column not in ("month",):
                assert f"feedback:{column}" in FEEDBACK_LABELS or column in LABELS, (name, column)
