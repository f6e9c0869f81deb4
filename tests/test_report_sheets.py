"""The ladder workbook as a reader sees it: names, not codes; a ladder drawn standing up; a migration
that says which two dates it compares; headers whose rows are tall enough for their lines.

The workbooks are those ``crmkit ladder --report`` writes from the bundled examples, reopened
with openpyxl and, for the chart, read as the XML a spreadsheet application reads.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.report.excel.formats import _WORD_WRAP_LIMIT, _word_wrapped_lines, _wrap_lines
from crmkit.report.i18n import label

EX = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()
INPUTS = ["--members", str(EX / "members.csv"), "--survey", str(EX / "survey.csv")]
INPUTS += ["--referrals", str(EX / "referrals.csv")]
CHART_NS = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}


@pytest.fixture(scope="module")
def ladder_books(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ladder")
    books = {}
    for lang in ("en", "zh"):
        path = folder / f"lad_{lang}.xlsx"
        args = ["ladder", str(EX / "sales.csv"), *INPUTS, "--as-of", "2024-12-31", "--compare-to", "2024-09-30"]
        args += ["--report", str(path), "-o", str(folder / f"lad_{lang}.csv"), "--lang", lang, "-q"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        books[lang] = path
    return books


def _sheet(path: Path, key: str, lang: str):
    return openpyxl.load_workbook(path)[label(key, lang)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ladder_sheets_show_names_not_codes(ladder_books, lang):
    path = ladder_books[lang]
    codes = {label(key, lang) for key in ("rung", "lifecycle_stage", "segment")}
    for key in ("sheet:ladder", "sheet:migration", "sheet:ladder_people"):
        ws = _sheet(path, key, lang)
        cells = {c.value for row in ws.iter_rows(max_row=40) for c in row}
        assert not codes & cells, key
        assert not {"suspect", "advocate", "exploration", "none"} & cells, key
    people = _sheet(path, "sheet:ladder_people", lang)
    header = [c.value for c in people[1]]
    assert header[:3] == [label(k, lang) for k in ("customer_id", "rung_label", "stage_label")]
    # the sentences last, so a long reason runs on into the empty cells to its right
    assert header[-2:] == [label(k, lang) for k in ("next_action", "reason")]
    # the csv keeps the codes, to join on
    csv = pd.read_csv(ladder_books[lang].with_suffix(".csv"), dtype=str)
    assert {"rung", "rung_label", "lifecycle_stage", "stage_label"} <= set(csv.columns)
    assert people["B2"].value == csv.loc[0, "rung_label"] and csv.loc[0, "rung"] == "advocate"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ladder_table_and_chart_stand_top_rung_first(ladder_books, lang):
    ws = _sheet(ladder_books[lang], "sheet:ladder", lang)
    assert [ws.cell(2, c).value for c in (1, 2, 3)] == [label(k, lang) for k in ("rung_label", "count", "share")]
    csv = pd.read_csv(ladder_books[lang].with_suffix(".csv"), dtype=str)
    names = dict(zip(csv["rung"], csv["rung_label"]))
    top_first = ["advocate", "supporter", "regular", "customer", "prospect", "suspect"]
    assert [ws.cell(r, 1).value for r in range(3, 9)] == [names[rung] for rung in top_first]
    assert sum(ws.cell(r, 2).value for r in range(3, 9)) == 6500  # everyone on the ladder, not only customers
    with zipfile.ZipFile(ladder_books[lang]) as archive:
        names = [n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        assert len(names) == 1  # the ladder chart
        root = ElementTree.fromstring(archive.read(names[0]))
    assert root.find(".//c:barChart/c:barDir", CHART_NS).get("val") == "bar"
    # horizontal bars run from the top in the table's order: Advocate, the first row, on top
    assert root.find(".//c:catAx/c:scaling/c:orientation", CHART_NS).get("val") == "maxMin"
    assert root.find(".//c:cat//c:f", CHART_NS).text.endswith("$A$3:$A$8")
    axis_title = "".join(t.text for t in root.findall(".//c:valAx/c:title//{*}t", CHART_NS))
    assert axis_title == label("axis:people", lang) == {"en": "People", "zh": "人数"}[lang]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_migration_says_which_dates_it_compares(ladder_books, lang):
    ws = _sheet(ladder_books[lang], "sheet:migration", lang)
    wanted = {
        "en": "Migration from 2024-09-30 to 2024-12-31 (rows: rung on 2024-09-30; columns: rung on 2024-12-31)",
        "zh": "从 2024-09-30 到 2024-12-31 的迁移（行：2024-09-30 所在阶梯；列：2024-12-31 所在阶梯）",
    }
    assert ws["A1"].value == wanted[lang]
    assert ws["A1"].font.bold


def test_three_line_header_gets_three_lines(ladder_books):
    ws = _sheet(ladder_books["en"], "sheet:ladder_people", "en")
    header = {c.value: c for c in ws[1]}
    cell = header["Mean days between purchases"]
    width = ws.column_dimensions[cell.column_letter].width
    assert width < len("Mean days between") + 3  # "Mean days / between / purchases"
    assert ws.row_dimensions[1].height == 45  # 15 pt a line


def test_wrap_lines_counts_words_not_characters():
    # 27 characters in a 17-wide header hold 14 a line: the words make three lines, not two
    headers = pd.Series(["Mean days between purchases", "Purchase occasions", "Referrals", "平均购买间隔(天)", None])
    assert _wrap_lines(headers, [17, 17, 12, 17, 17]).tolist() == [3, 2, 1, 2, 1]
    assert _word_wrapped_lines("ab abcdefghij", 4) == 4  # "ab", then a word too long breaks over three
    assert _word_wrapped_lines("两个日期之间的迁移", 6) == 3  # CJK breaks anywhere: 18 columns
    assert _word_wrapped_lines("one\ntwo", 20) == 2
    # plain cell text (not bold, no filter button) holds more than a header of the same width
    action = pd.Series(["Revive interest with a reach-out campaign, otherwise stop spending on them."])
    assert _wrap_lines(action, 42).tolist() == [3] and _wrap_lines(action, 42, plain=True).tolist() == [2]
    # beyond the limit of distinct texts a length estimate stands in, never fewer lines than it
    many = pd.Series([f"note {i} " + "word " * 20 for i in range(_WORD_WRAP_LIMIT + 1)])
    lines = _wrap_lines(many, 30)
    assert len(lines) == len(many) and lines.min() >= np.ceil(many.str.len().min() / 27)
