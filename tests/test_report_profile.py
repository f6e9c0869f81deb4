"""The Profile sheets (crmkit.report.sheets.profile): the customer structure reopened with openpyxl, cell by cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import range_boundaries

from crmkit.profile import NO_ATTRIBUTES, UNKNOWN, customer_structure
from crmkit.report.excel import ReportWorkbook
from crmkit.report.i18n import label
from crmkit.report.sheets import add_profile_sheets, customer_warnings, write_report
from crmkit.report.sheets.profile import CHARTED_ATTRIBUTES, CHARTED_VALUES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
AS_OF = "2024-03-31"
# the ten purchasing customers of tests/test_profile.py: c10 is not in the file, c08's province and
# c09's gender are blank, c11 (bought after as_of) and c12 bought nothing by then
PURCHASES = [
    ("c01", "2024-03-01", 100), ("c01", "2024-03-20", 50), ("c02", "2024-02-01", 80), ("c03", "2024-03-30", 300),
    ("c04", "2024-01-10", 20), ("c04", "2024-02-10", 20), ("c04", "2024-03-10", 20), ("c05", "2024-03-31", 10),
    ("c06", "2024-01-01", 40), ("c07", "2024-02-15", 25), ("c08", "2024-03-15", 70), ("c08", "2024-03-25", 30),
    ("c09", "2024-03-05", 15), ("c10", "2024-03-28", 5), ("c11", "2024-04-02", 99),
]  # fmt: skip
MEMBERS = [
    ("c01", "女", "浙江"), ("c02", "女", "浙江"), ("c03", "男", "上海"), ("c04", "女", "浙江"),
    ("c05", "男", "上海"), ("c06", "女", "江苏"), ("c07", "男", "江苏"), ("c08", "女", ""),
    ("c09", "", "上海"), ("c11", "男", "浙江"), ("c12", "女", "北京"),
]  # fmt: skip


@pytest.fixture(scope="module")
def tiny():
    sales = pd.DataFrame(PURCHASES, columns=["customer_id", "date", "amount"])
    members = pd.DataFrame(MEMBERS, columns=["会员编号", "性别", "省份"])
    return customer_structure(sales, members, AS_OF, min_group_size=3)


@pytest.fixture(scope="module")
def example():
    return customer_structure(EXAMPLES / "sales.csv", EXAMPLES / "customers.csv")


def _write(tmp_path, structure, lang="en", **options) -> Path:
    return write_report(tmp_path / f"profile_{lang}.xlsx", structure, lang=lang, **options)


def _row_of(ws, text, col: int = 1) -> int:
    """The first row whose cell in ``col`` holds ``text``."""
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, col).value == text)


def _header_of(ws, first: str, second: str) -> int:
    """The header row of a table whose first two headers are ``first`` and ``second``."""
    return next(r for r in range(1, ws.max_row + 1) if (ws.cell(r, 1).value, ws.cell(r, 2).value) == (first, second))


def _headers(ws, row: int) -> list:
    return [ws.cell(row, c).value for c in range(1, ws.max_column + 1) if ws.cell(row, c).value is not None]


def _key_value(ws, key: str, lang: str):
    return ws.cell(_row_of(ws, label(key, lang)), 2).value


# --- sheets and the headline ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "titles"),
    [("en", ["Profile", "Profile mix", "Profile customers"]), ("zh", ["客户结构", "客户结构构成", "客户属性明细"])],
)
def test_sheet_names(tiny, tmp_path, lang, titles):
    assert openpyxl.load_workbook(_write(tmp_path, tiny, lang)).sheetnames == titles


def test_headline_counts_and_dates(tiny, tmp_path):
    ws = openpyxl.load_workbook(_write(tmp_path, tiny))["Profile"]
    assert ws["A1"].value == "Customer structure by attribute"
    assert _key_value(ws, "profile:total_customers", "en") == tiny.total_customers == 10
    assert _key_value(ws, "profile:with_attributes", "en") == 9
    assert _key_value(ws, "profile:without_attributes", "en") == tiny.without_attributes == 1
    assert _key_value(ws, "profile:without_purchases", "en") == tiny.without_purchases == 2
    assert _key_value(ws, "profile:total_revenue", "en") == pytest.approx(785.0)
    assert _key_value(ws, "as_of", "en").date().isoformat() == AS_OF
    revenue = ws.cell(_row_of(ws, "Their net revenue"), 2)
    assert revenue.number_format == "#,##0.00"
    # the attributes file is shown when the caller knows it
    book = ReportWorkbook("en")
    add_profile_sheets(book, tiny, attributes_file="members.xlsx")
    path = book.save(tmp_path / "named.xlsx")
    assert _key_value(openpyxl.load_workbook(path)["Profile"], "profile:attributes_file", "en") == "members.xlsx"


def test_headline_in_words_names_the_best_attribute(example, tmp_path):
    ws = openpyxl.load_workbook(_write(tmp_path, example, customers="none"))["Profile"]
    line = next(ws.cell(r, 1).value for r in range(1, 20) if str(ws.cell(r, 1).value).startswith("In words"))
    best = example.ranking.iloc[0]
    assert "Membership tier" in line and best["top_value"] in line and f"{best['top_lift']:.2f}" in line


# --- the ranking -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["Attribute", "Rank", "Effect size (ε²)", "p-value", "Most valuable value", "Its lift"]),
        ("zh", ["属性", "排名", "效应量(ε²)", "p 值", "价值最高的取值", "其提升度"]),
    ],
)
def test_ranking_headers_values_and_formats(example, tmp_path, lang, expected):
    ws = openpyxl.load_workbook(_write(tmp_path, example, lang, customers="none"))[label("sheet:profile", lang)]
    header = _row_of(ws, label("profile:attribute", lang))
    headers = _headers(ws, header)
    assert headers[:6] == expected
    assert label("profile:tested_customers", lang) in headers
    ranking = example.ranking
    for offset, (_, expect) in enumerate(ranking.iterrows(), start=1):
        row = header + offset
        assert ws.cell(row, 1).value == label(expect["attribute"], lang)
        assert ws.cell(row, 2).value == int(expect["rank"])
        assert ws.cell(row, 3).value == pytest.approx(expect["epsilon_squared"])
        assert ws.cell(row, 4).value == pytest.approx(expect["p_value"])
        assert ws.cell(row, 6).value == pytest.approx(expect["top_lift"])
    first = header + 1
    assert ws.cell(first, 3).number_format == "0.0000"
    assert ws.cell(first, 4).number_format == '[<0.0001]"<0.0001";0.0000'
    assert ws.cell(first, 6).number_format == "0.00"


# --- the attribute blocks ------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_attribute_block_equals_the_structure(tiny, tmp_path, lang):
    ws = openpyxl.load_workbook(_write(tmp_path, tiny, lang))[label("sheet:profile", lang)]
    table = tiny.tables["gender"]
    # the block's header: the attribute's name over its values, then the measures
    header = _header_of(ws, label("gender", lang), label("customers", lang))
    headers = _headers(ws, header)
    assert headers[:4] == [label("gender", lang), label("customers", lang), label("customer_share", lang),
                           label("revenue", lang)]  # fmt: skip
    assert label("lift", lang) in headers and label("profile:revenue_per_customer", lang) in headers
    # mean_monetary is revenue_per_customer: shown once
    assert label("mean_monetary", lang) not in headers
    col = {name: headers.index(label(key, lang)) + 1 for name, key in [
        ("customers", "customers"), ("customer_share", "customer_share"), ("revenue", "revenue"),
        ("revenue_share", "revenue_share"), ("lift", "lift"), ("revenue_per_customer", "profile:revenue_per_customer"),
        ("repeat_rate", "repeat_rate"), ("mean_recency_days", "mean_recency_days"),
        ("mean_frequency", "mean_frequency"),
    ]}  # fmt: skip
    shown = {v: label(f"profile_value:{v}", lang) for v in ("female", "male", UNKNOWN, NO_ATTRIBUTES)}
    formats = {"customers": "#,##0", "customer_share": "0.0%", "revenue": "#,##0.00", "revenue_share": "0.0%",
               "lift": "0.00", "revenue_per_customer": "#,##0.00", "repeat_rate": "0.0%", "mean_recency_days": "#,##0",
               "mean_frequency": "0.00"}  # fmt: skip
    for offset, (_, expect) in enumerate(table.iterrows(), start=1):
        row = header + offset
        assert ws.cell(row, 1).value == shown[expect["value"]]
        for name, c in col.items():
            assert ws.cell(row, c).value == pytest.approx(expect[name]), name
            assert ws.cell(row, c).number_format == formats[name], name
    if lang == "zh":
        assert [ws.cell(header + n, 1).value for n in range(1, 5)] == ["女", "男", "（未知）", "（无属性）"]


def test_blocks_follow_the_ranking_with_titles(example, tmp_path):
    ws = openpyxl.load_workbook(_write(tmp_path, example, customers="none"))["Profile"]
    titles = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    positions = [titles.index(f"{label(a)} (rank {int(r)}, ε² {e:.3f})") for a, r, e in
                 example.ranking[["attribute", "rank", "epsilon_squared"]].itertuples(index=False)]  # fmt: skip
    assert positions == sorted(positions)
    assert ws.freeze_panes == "B1"


def test_untested_attribute_says_so_and_gets_no_chart(tiny, tmp_path):
    # with the default minimum of 5 customers a value, no attribute of ten customers is testable
    structure = customer_structure(
        pd.DataFrame(PURCHASES, columns=["customer_id", "date", "amount"]),
        pd.DataFrame(MEMBERS, columns=["会员编号", "性别", "省份"]),
        AS_OF,
    )
    path = _write(tmp_path, structure)
    ws = openpyxl.load_workbook(path)["Profile"]
    texts = [str(ws.cell(r, 1).value) for r in range(1, ws.max_row + 1)]
    assert "Gender (not ranked: fewer than two values with enough customers to test)" in texts
    assert not any(t.startswith("In words") for t in texts)
    assert ws._charts == []


def test_no_raw_floats_on_the_profile_sheets(example, tmp_path):
    book = openpyxl.load_workbook(_write(tmp_path, example, customers="none"))
    for name in ("Profile", "Profile mix"):
        for row in book[name].iter_rows():
            for cell in row:
                if isinstance(cell.value, float):
                    assert cell.number_format != "General", (name, cell.coordinate)


# --- the charts ------------------------------------------------------------------------------------------
def _cells(ws, ref: str) -> list:
    sheet, _, cells = ref.rpartition("!")
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    return [ws.cell(r, c).value for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def test_charts_of_the_best_attributes_refer_to_their_rows(example, tmp_path):
    ws = openpyxl.load_workbook(_write(tmp_path, example, customers="none"))["Profile"]
    charts = ws._charts
    assert len(charts) == 2 * CHARTED_ATTRIBUTES
    ranked = list(example.ranking["attribute"][:CHARTED_ATTRIBUTES])
    last_table_col = max(c for r in range(1, ws.max_row + 1) for c in range(1, 40) if ws.cell(r, c).value is not None)
    for n, name in enumerate(ranked):
        table = example.tables[name]
        shown = min(len(table), CHARTED_VALUES)
        shares, per_customer = charts[2 * n], charts[2 * n + 1]
        assert [len(s.val.numRef.f and _cells(ws, s.val.numRef.f)) for s in shares.series] == [shown, shown]
        cat = shares.series[0].cat
        categories = _cells(ws, (cat.strRef or cat.numRef).f)
        assert categories == list(table["value"][:shown])
        assert _cells(ws, shares.series[0].val.numRef.f) == pytest.approx(list(table["customer_share"][:shown]))
        assert _cells(ws, shares.series[1].val.numRef.f) == pytest.approx(list(table["revenue_share"][:shown]))
        values = _cells(ws, per_customer.series[0].val.numRef.f)
        assert values == pytest.approx(list(table["revenue_per_customer"][:shown]))
        for chart in (shares, per_customer):
            # right of every table: no chart covers a cell
            assert chart.anchor._from.col + 1 > last_table_col
    # one column of charts, none over another
    tops = [c.anchor._from.row for c in charts]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)


# --- columns a later Structure may carry -----------------------------------------------------------------
def test_further_measures_and_rung_mix_are_shown(tiny, tmp_path):
    import copy

    structure = copy.deepcopy(tiny)
    for name, table in structure.tables.items():
        # whatever the structure brings, exactly these: a mean CLV and a two-rung mix
        table = table.drop(columns=[c for c in table.columns if c.startswith("rung:") or c == "mean_clv"])
        structure.tables[name] = table
        table["mean_clv"] = np.linspace(10.0, 20.0, len(table))
        table["rung:regular"] = 0.25
        table["rung:advocate"] = 0.75
    book = openpyxl.load_workbook(_write(tmp_path, structure, "zh"))
    ws = book["客户结构"]
    header = _header_of(ws, "性别", "客户数")
    headers = _headers(ws, header)
    col = headers.index("平均客户终身价值") + 1
    assert ws.cell(header + 1, col).value == pytest.approx(10.0)
    assert ws.cell(header + 1, col).number_format == "#,##0.00"
    assert not any(str(h).startswith("rung:") or str(h).startswith("segment:") for h in headers)
    mix = book["客户结构构成"]
    rung_header = max(r for r in range(1, mix.max_row + 1) if mix.cell(r, 1).value == "性别")
    assert _headers(mix, rung_header) == ["性别", "客户数", "常客", "拥护者"]
    assert mix.cell(rung_header + 1, 3).value == pytest.approx(0.25)
    assert mix.cell(rung_header + 1, 3).number_format == "0.0%"


def test_segment_mix_sheet(tiny, tmp_path):
    ws = openpyxl.load_workbook(_write(tmp_path, tiny))["Profile mix"]
    assert ws["A1"].value.startswith("Segment mix of each value")
    header = _row_of(ws, "Gender")
    labels = [tiny.segment_labels[k] for k in tiny.segments]
    assert _headers(ws, header) == ["Gender", "Customers", *labels]
    table = tiny.tables["gender"]
    for offset, (_, expect) in enumerate(table.iterrows(), start=1):
        got = [ws.cell(header + offset, 3 + n).value for n in range(len(labels))]
        assert got == pytest.approx([expect[f"segment:{k}"] for k in tiny.segments])
        assert ws.cell(header + offset, 3).number_format == "0.0%"


# --- the customers sheet and write_report ----------------------------------------------------------------
def test_customer_sheet_policy(tiny, tmp_path):
    book = openpyxl.load_workbook(_write(tmp_path, tiny, customers="top:3"))
    ws = book["Profile customers"]
    assert ws["A1"].value.startswith("Top 3 of 10 by net revenue")
    assert _headers(ws, 2)[:2] == ["Customer ID", "Recency (days)"]
    assert [ws.cell(r, 1).value for r in range(3, 6)] == ["c03", "c01", "c08"]
    assert "Segment name" in _headers(ws, 2) and "Segment code" not in _headers(ws, 2)
    (warning,) = customer_warnings(tiny, customers="top:3")
    assert "Profile customers sheet shows the top 3 of 10" in warning
    assert "Profile customers" not in openpyxl.load_workbook(_write(tmp_path, tiny, customers="none")).sheetnames
    everyone = openpyxl.load_workbook(_write(tmp_path, tiny, customers="all"))["Profile customers"]
    assert everyone.max_row == 11


def test_write_report_title_and_language_of_the_structure(tiny, tmp_path):
    path = write_report(tmp_path / "p.xlsx", tiny)  # the structure's lang: en
    ws = openpyxl.load_workbook(path)["Profile"]
    assert "Customer structure by attribute" in ws.oddHeader.center.text


def test_pair_cross_tab_block(tmp_path):
    structure = customer_structure(
        pd.DataFrame(PURCHASES, columns=["customer_id", "date", "amount"]),
        pd.DataFrame(MEMBERS, columns=["会员编号", "性别", "省份"]),
        AS_OF,
        by="gender,province",
        min_group_size=3,
    )
    ws = openpyxl.load_workbook(_write(tmp_path, structure, "zh", customers="none"))["客户结构"]
    title = _row_of(ws, "性别 × 省份")
    assert _headers(ws, title + 1)[:3] == ["性别", "省份", "客户数"]
    pair = structure.pairs["gender,province"]
    assert [ws.cell(title + 2 + n, 3).value for n in range(len(pair))] == list(pair["customers"])
    assert (ws.cell(title + 2, 1).value, ws.cell(title + 2, 2).value) == ("男", "上海")
