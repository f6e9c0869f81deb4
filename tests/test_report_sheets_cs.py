"""The CLV and satisfaction workbooks read as a report: settings in words, CLV headed by what it is,
P(alive) bins in percent, deciles that say which end is the top, no empty or helper-only tables, and
a page header with the report's title. Each workbook is written by the CLI from the examples and
reopened with openpyxl."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.report.excel.charts import _overlap, label_box, place_point_labels, plot_box

EX = Path(__file__).resolve().parents[1] / "examples"


def _report(tmp_path: Path, *args: str) -> openpyxl.Workbook:
    path = tmp_path / "report.xlsx"
    result = CliRunner().invoke(app, [*args, "--report", str(path), "-o", str(tmp_path / "out.csv"), "-q"])
    assert result.exit_code == 0, result.stderr
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def clv_books(tmp_path_factory) -> dict[str, openpyxl.Workbook]:
    books = {}
    for name, extra in {"en": [], "zh": ["--lang", "zh"], "margin": ["--margin", "0.3"]}.items():
        books[name] = _report(tmp_path_factory.mktemp(name), "clv", str(EX / "sales.csv"), *extra)
    return books


def _key_values(ws) -> dict:
    return {row[0]: row[1] for row in ws.iter_rows(max_col=2, values_only=True) if row[0] is not None}


def test_clv_settings_read_in_words(clv_books):
    en, zh = _key_values(clv_books["en"]["CLV model"]), _key_values(clv_books["zh"]["CLV模型"])
    assert en["Horizon"] == "52 weeks" and zh["预测期"] == "52 周"
    # a 52-week horizon on a weekly clock: "Horizon (periods)" would say 52 again
    assert "Horizon (periods)" not in en
    assert en["Converged"] == "Yes" and zh["是否收敛"] == "是"
    assert en["Analysis date (as of)"] == dt.datetime(2024, 12, 31)  # a date, not text
    assert en["Margin"] == "None: CLV is revenue" and zh["毛利率"] == "未设定：按销售额计算"
    assert _key_values(clv_books["margin"]["CLV model"])["Margin"] == pytest.approx(0.3)
    # nothing raw is left in the block: no 0/1 flags, no key codes
    for value in en.values():
        assert not isinstance(value, bool) and value not in ("52w", "week", "day", "margin column")


def test_horizon_in_another_unit_keeps_its_periods(tmp_path):
    values = _key_values(_report(tmp_path, "clv", str(EX / "sales.csv"), "--horizon", "1y")["CLV model"])
    assert values["Horizon"] == "1 year"
    assert values["Horizon (periods)"] == pytest.approx(365.25 / 7)


def test_clv_header_says_profit_with_a_margin(clv_books):
    header = [c.value for c in clv_books["margin"]["CLV customers"][1]]
    assert "CLV (profit, margin 30%)" in header and "Expected spend" in header
    ws = clv_books["margin"]["CLV customers"]
    column = header.index("CLV (profit, margin 30%)") + 1
    assert ws.cell(2, column).number_format == "#,##0.00"  # still money
    # without a margin CLV is revenue, the plain label (the model sheet's warning says so)
    assert "CLV" in [c.value for c in clv_books["en"]["CLV customers"][1]]
    assert "客户终身价值" in [c.value for c in clv_books["zh"]["客户价值明细"][1]]


def test_p_alive_bins_are_percent_ranges(clv_books):
    ws = clv_books["en"]["P(alive)"]
    assert [c.value for c in ws[1]][:2] == ["P(alive) range", "Customers"]
    ranges = [ws.cell(row, 1).value for row in range(2, 12)]
    assert ranges[0] == "0–10%" and ranges[-1] == "90–100%" and len(set(ranges)) == 10
    assert sum(ws.cell(row, 2).value for row in range(2, 12)) == 5000
    assert clv_books["zh"]["存活概率"].cell(1, 1).value == "存活概率区间"


def test_deciles_say_decile_1_is_the_top(clv_books):
    assert clv_books["en"]["CLV deciles"].cell(1, 1).value == "CLV decile (1 = top 10%)"
    assert clv_books["zh"]["CLV十分位"].cell(1, 1).value == "十分位（1 = 前10%）"
    ws = clv_books["en"]["CLV deciles"]
    totals = [ws.cell(row, 3).value for row in range(2, 12)]
    assert totals == sorted(totals, reverse=True)  # decile 1 the most valuable
    from crmkit.report.i18n import label

    assert label("chart:clv_by_decile") == "CLV by decile (1 = most valuable)"  # the chart beside it


def test_referral_labels_in_zh_are_short():
    from crmkit.report.i18n import label

    for key in ("value_total", "value_mean", "value_share"):
        text = label(key, "zh")
        assert text.endswith("（含推荐）") and " / " not in text and len(text) <= 9


def test_command_workbooks_carry_the_report_title(clv_books, tmp_path):
    ws = clv_books["en"]["CLV model"]
    assert ws.oddHeader.center.text == "Customer lifetime value (CLV) · Analysis date (as of): 2024-12-31"
    assert clv_books["zh"]["CLV模型"].oddHeader.center.text.startswith("客户终身价值（CLV） · 分析日期")
    sat = _report(tmp_path, "satisfaction", str(EX / "survey.csv"), "--by", "channel")
    # a survey has no date: the title alone
    assert {ws.oddHeader.center.text for ws in sat.worksheets} == {"Customer satisfaction"}


@pytest.fixture(scope="module")
def satisfaction(tmp_path_factory) -> openpyxl.Workbook:
    return _report(tmp_path_factory.mktemp("sat"), "satisfaction", str(EX / "survey.csv"))


def test_paths_leave_out_empty_confidence_limits(satisfaction, tmp_path):
    assert [c.value for c in satisfaction["Paths"][1]] == ["From", "To", "Estimate"]
    booted = _report(tmp_path, "satisfaction", str(EX / "survey.csv"), "--bootstrap", "50")
    header = [c.value for c in booted["Paths"][1]]
    assert header == ["From", "To", "Estimate", "CI low", "CI high"]
    assert all(isinstance(booted["Paths"].cell(row, 4).value, float) for row in range(2, 5))


def test_ipma_helper_cells_are_titled_as_chart_data(satisfaction):
    ws = satisfaction["Drivers"]
    column = [ws.cell(row, 1).value for row in range(1, ws.max_row + 1)]
    title = column.index("Chart data: where the map draws the mean lines and the quadrant names") + 1
    assert "Quadrant" not in column  # no table headed as if it were the drivers' quadrants
    assert ws.cell(title + 1, 1).value == "Chart element"
    rows = [ws.cell(row, 1).value for row in range(title + 2, title + 10)]
    assert rows[0] == "Keep up the good work"
    assert rows[4:] == [
        "Importance line, bottom",
        "Importance line, top",
        "Performance line, left",
        "Performance line, right",
    ]
    importance = [ws.cell(row, 2).value for row in range(2, 6)]
    assert ws.cell(title + 6, 2).value == pytest.approx(sum(importance) / 4)


def test_labels_keep_off_the_mean_lines_when_another_side_is_free():
    # the zh ECSI map of the examples: all four points near the mean performance line
    points = [(0.5708, 60.989), (0.3733, 60.972), (0.3534, 61.386), (0.1080, 61.143)]
    texts = ["感知质量", "顾客预期", "企业形象", "感知价值"]
    ranges, size = ((0.0, 0.7), (55.0, 70.0)), (18.0, 12.0)
    lines = [("x", 0.35137), ("y", 61.1226)]
    plain, clear = place_point_labels(points, texts, ranges, size)
    assert clear and plain[0] == "r"  # without lines: right of the marker, across the dashed line
    sides, clear = place_point_labels(points, texts, ranges, size, lines=lines)
    assert clear
    left, top, right, bottom = plot_box(*size)
    y_line = (ranges[1][1] - 61.1226) / (ranges[1][1] - ranges[1][0]) * (bottom - top)
    band = (0.0, y_line - 0.03, right - left, y_line + 0.03)
    boxes = [label_box(*p, t, s, ranges, size) for p, t, s in zip(points, texts, sides)]
    # no label struck through by the horizontal line, and none on another label
    assert all(_overlap(box, band) == 0 for box in boxes)
    assert all(_overlap(a, b) == 0 for n, a in enumerate(boxes) for b in boxes[n + 1 :])
