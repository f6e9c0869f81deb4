"""The segmentation workbook, reopened with openpyxl and checked cell by cell."""

from __future__ import annotations

import datetime as dt
import os

import openpyxl
import pandas as pd
import pytest
from contracts import SEGMENT_CUSTOMER_COLUMNS
from openpyxl.chart import BarChart, ScatterChart

import crmkit.report.excel.workbook as excel_workbook
from crmkit.errors import OutputError, UsageError
from crmkit.io.quality import DataQuality
from crmkit.pareto import pareto_analysis
from crmkit.report import i18n
from crmkit.report.excel import ReportWorkbook
from crmkit.report.sheets import add_segment_sheets, write_report
from crmkit.segment import SegmentResult

AS_OF = dt.date(2024, 6, 30)
# the workbook shows the segment's name, not its code (the csv keeps both)
CUSTOMER_COLUMNS = [c for c in SEGMENT_CUSTOMER_COLUMNS if c != "segment"]
SEGMENT_COLUMNS = [
    "segment_label",
    "customers",
    "customer_share",
    "revenue",
    "revenue_share",
    "mean_recency_days",
    "mean_frequency",
    "mean_monetary",
    "action",
]
CLUSTER_COLUMNS = [
    "cluster",
    "customers",
    "customer_share",
    "revenue",
    "revenue_share",
    "mean_recency_days",
    "mean_frequency",
    "mean_monetary",
]


def make_result(*, clusters: bool = False, lang: str = "en") -> SegmentResult:
    """Five customers in three segments, numbers small enough to check by hand."""
    monetary = [1200.0, 800.0, 450.5, 100.0, 0.0]
    pareto, classes = pareto_analysis(monetary)
    customers = pd.DataFrame(
        {
            "customer_id": ["=1+1", "@SUM(A1)", "C003", "C004", "-5"],
            "recency_days": [5, 20, 40, 200, 400],
            "frequency": [12, 8, 3, 1, 1],
            "monetary": monetary,
            "r_score": [5, 5, 4, 2, 1],
            "f_score": [5, 4, 3, 1, 1],
            "m_score": [5, 5, 4, 2, 1],
            "segment": ["champions", "champions", "loyal", "lost", "lost"],
            "pareto_class": classes,
            "rfm_score": ["555", "545", "434", "212", "111"],
            "segment_label": ["Champions", "Champions", "Loyal", "Lost", "Lost"],
            "action": ["Reward", "Reward", "Upsell", "Win back", "Win back"],
            "first_purchase": pd.to_datetime(["2023-01-05", "2023-03-01", "2023-06-10", "2023-09-01", "2022-12-01"]),
            "last_purchase": pd.to_datetime(["2024-06-25", "2024-06-10", "2024-05-21", "2023-12-13", "2023-05-27"]),
            "tenure_days": [537, 467, 386, 303, 577],
            "avg_order_value": [100.0, 100.0, 150.1667, 100.0, 0.0],
            "gross_revenue": [1250.0, 800.0, 450.5, 100.0, 20.0],
            "returns": [50.0, 0.0, 0.0, 0.0, 20.0],
        }
    )
    segments = pd.DataFrame(
        {
            "segment": ["champions", "loyal", "lost"],
            "segment_label": ["Champions", "Loyal", "Lost"],
            "customers": [2, 1, 2],
            "customer_share": [0.4, 0.2, 0.4],
            "revenue": [2000.0, 450.5, 100.0],
            "revenue_share": [2000.0 / 2550.5, 450.5 / 2550.5, 100.0 / 2550.5],
            "mean_recency_days": [12.5, 40.0, 300.0],
            "mean_frequency": [10.0, 3.0, 1.0],
            "mean_monetary": [1000.0, 450.5, 50.0],
            "action": ["Reward", "Upsell", "Win back"],
        }
    )
    cluster_table = None
    if clusters:
        customers["cluster"] = [0, 0, 1, 1, 1]
        cluster_table = pd.DataFrame(
            {
                "cluster": [0, 1],
                "customers": [2, 3],
                "customer_share": [0.4, 0.6],
                "revenue": [2000.0, 550.5],
                "revenue_share": [2000.0 / 2550.5, 550.5 / 2550.5],
                "mean_recency_days": [12.5, 213.3],
                "mean_frequency": [10.0, 1.67],
                "mean_monetary": [1000.0, 183.5],
            }
        )
    return SegmentResult(
        customers=customers,
        segments=segments,
        pareto=pareto,
        as_of=AS_OF,
        scheme="rfm11",
        bins=5,
        lang=lang,
        clusters=cluster_table,
        silhouette=0.61 if clusters else None,
        headline={
            "customers": 5,
            "revenue": 2550.5,
            "repeat_customer_rate": 0.6,
            "top20_share": pareto.top_share,
            "gini": pareto.gini,
            "as_of": AS_OF,
        },
    )


def make_quality() -> DataQuality:
    return DataQuality(
        source="sales.csv",
        encoding="gb18030",
        delimiter="\t",
        columns={"customer_id": "会员号", "date": "日期", "amount": "金额"},
        rows_read=1520,
        rows_used=1500,
        dropped={"missing_customer_id": 12, "total_row": 8},
        return_rows=3,
        return_amount=1234.5,
        first_date=dt.date(2022, 12, 1),
        last_date=AS_OF,
        as_of=AS_OF,
        customers=5,
        notes=["dates read as day-first"],
    )


def key_values(ws) -> dict:
    """Label -> value cell of a two-column sheet."""
    return {
        row[0].value: row[1]
        for row in ws.iter_rows(max_col=2)
        if row[0].value is not None and len(row) > 1 and row[1].value is not None
    }


@pytest.fixture
def report_en(tmp_path):
    path = tmp_path / "report.xlsx"
    write_report(path, make_result(clusters=True), quality=make_quality(), lang="en")
    return openpyxl.load_workbook(path)


@pytest.fixture
def report_zh(tmp_path):
    path = tmp_path / "report_zh.xlsx"
    write_report(path, make_result(clusters=True, lang="zh"), quality=make_quality(), lang="zh")
    return openpyxl.load_workbook(path)


def test_sheet_names_in_order(report_en, report_zh):
    assert report_en.sheetnames == ["Summary", "Segments", "Pareto", "Customers", "Clusters", "Data quality"]
    assert report_zh.sheetnames == ["摘要", "客户分群", "帕累托分析", "客户明细", "聚类", "数据质量"]


def test_optional_sheets_left_out(tmp_path):
    path = tmp_path / "plain.xlsx"
    write_report(path, make_result(), lang="en")
    assert openpyxl.load_workbook(path).sheetnames == ["Summary", "Segments", "Pareto", "Customers"]


def test_summary_headline_values_and_formats(report_en):
    ws = report_en["Summary"]
    assert ws["A1"].value == "Customer segmentation (RFM)"
    assert ws["A1"].font.bold
    cells = key_values(ws)
    assert cells["Customers"].value == 5
    assert cells["Customers"].number_format == "#,##0"
    assert cells["Revenue"].value == pytest.approx(2550.5)
    assert cells["Revenue"].number_format == "#,##0.00"
    assert cells["Repeat-customer rate"].value == pytest.approx(0.6)
    assert cells["Repeat-customer rate"].number_format == "0.0%"
    assert cells["Revenue share of top 20% customers"].number_format == "0.0%"
    assert cells["Gini coefficient"].value == pytest.approx(make_result().pareto.gini)
    assert cells["Gini coefficient"].number_format == "0.000"
    assert cells["Analysis date (as of)"].value == dt.datetime(2024, 6, 30)
    assert cells["Analysis date (as of)"].number_format == "yyyy-mm-dd"
    assert cells["Analysis date (as of)"].is_date
    assert cells["Segmentation scheme"].value == "rfm11"
    assert cells["Score levels (bins)"].value == 5
    # the headline order is the documented one
    labels = [row[0].value for row in ws.iter_rows(min_row=2, max_col=1)]
    assert labels[:6] == [
        "Customers",
        "Revenue",
        "Repeat-customer rate",
        "Revenue share of top 20% customers",
        "Gini coefficient",
        "Analysis date (as of)",
    ]


def test_segments_table_and_charts(report_en):
    ws = report_en["Segments"]
    assert [c.value for c in ws[1]][: len(SEGMENT_COLUMNS)] == [i18n.label(c, "en") for c in SEGMENT_COLUMNS]
    row = list(ws[2])
    assert [c.value for c in row[:2]] == ["Champions", 2]
    assert row[2].value == pytest.approx(0.4) and row[2].number_format == "0.0%"  # customer_share
    assert row[3].value == pytest.approx(2000.0) and row[3].number_format == "#,##0.00"  # revenue
    assert row[4].number_format == "0.0%"  # revenue_share
    assert row[1].number_format == "#,##0"  # customers
    assert ws.max_row == 4
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:I4"
    assert len(ws._charts) == 2
    assert all(isinstance(chart, BarChart) for chart in ws._charts)


def test_pareto_sheet(report_en):
    ws = report_en["Pareto"]
    pareto = make_result().pareto
    cells = key_values(ws)
    assert cells["Revenue share of top customers"].value == pytest.approx(pareto.top_share)
    assert cells["Revenue share of top customers"].number_format == "0.0%"
    assert cells["Gini coefficient"].value == pytest.approx(pareto.gini)
    assert cells["In words"].value == f"The top 20% of customers hold {pareto.top_share:.1%} of revenue"
    # ABC classes table: find its header row
    header_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "ABC class")
    assert [ws.cell(header_row, c).value for c in range(1, 6)] == [
        "ABC class",
        "Customers",
        "Share of customers",
        "Revenue",
        "Share of revenue",
    ]
    classes = pareto.classes
    for offset, record in enumerate(classes.itertuples(index=False), start=1):
        assert ws.cell(header_row + offset, 1).value == record.pareto_class
        assert ws.cell(header_row + offset, 2).value == record.customers
        assert ws.cell(header_row + offset, 5).value == pytest.approx(record.revenue_share)
        assert ws.cell(header_row + offset, 5).number_format == "0.0%"
    # Lorenz points every 5 % of customers: 21 rows from (0, 0) to (1, 1)
    lorenz_header = next(
        r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Cumulative share of customers (smallest first)"
    )
    assert ws.cell(lorenz_header + 1, 1).value == 0 and ws.cell(lorenz_header + 1, 2).value == 0
    assert ws.cell(lorenz_header + 2, 1).value == pytest.approx(0.05)
    assert ws.cell(lorenz_header + 21, 1).value == 1
    assert ws.cell(lorenz_header + 21, 2).value == pytest.approx(1.0)
    assert ws.cell(lorenz_header + 21, 2).number_format == "0.0%"
    assert ws.max_row == lorenz_header + 21
    charts = ws._charts
    assert len(charts) == 2 and all(isinstance(chart, ScatterChart) for chart in charts)
    assert len(charts[0].series) == 2  # the Lorenz curve and the equality diagonal


def test_customers_sheet(report_en):
    ws = report_en["Customers"]
    result = make_result(clusters=True)
    columns = CUSTOMER_COLUMNS + ["cluster"]
    assert [c.value for c in ws[1]] == [i18n.label(c, "en") for c in columns]
    assert all(c.font.bold for c in ws[1])
    assert ws.max_row == 1 + len(result.customers)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:R6"
    third = dict(zip(columns, ws[4]))
    assert third["customer_id"].value == "C003"
    assert third["recency_days"].value == 40 and third["recency_days"].number_format == "#,##0"
    assert third["monetary"].value == pytest.approx(450.5)
    assert third["monetary"].number_format == "#,##0.00"
    assert third["avg_order_value"].number_format == "#,##0.00"
    assert third["r_score"].value == 4 and third["r_score"].number_format == "General"
    assert third["first_purchase"].value == dt.datetime(2023, 6, 10)
    assert third["first_purchase"].number_format == "yyyy-mm-dd"
    assert third["last_purchase"].is_date
    assert third["segment_label"].value == "Loyal"
    assert third["cluster"].value == 1
    assert third["rfm_score"].value == "434"


def test_formula_injection_neutralised(report_en):
    ws = report_en["Customers"]
    ids = [ws.cell(row, 1) for row in range(2, 7)]
    assert ids[0].value == "'=1+1" and ids[0].data_type == "s"
    assert ids[1].value == "'@SUM(A1)" and ids[1].data_type == "s"
    assert ids[4].value == "-5" and ids[4].data_type == "s"  # a plain number is not a formula: kept as text
    assert ids[2].value == "C003"
    assert not any(cell.data_type == "f" for ws_ in report_en for row in ws_.iter_rows() for cell in row)


def test_clusters_sheet(report_en):
    ws = report_en["Clusters"]
    cells = key_values(ws)
    assert cells["Silhouette score"].value == pytest.approx(0.61)
    assert cells["Silhouette score"].number_format == "0.000"
    assert cells["Number of clusters"].value == 2
    header_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Cluster")
    assert [ws.cell(header_row, c).value for c in range(1, 9)] == [i18n.label(c, "en") for c in CLUSTER_COLUMNS]
    assert ws.cell(header_row + 2, 2).value == 3
    assert ws.cell(header_row + 2, 3).number_format == "0.0%"
    assert len(ws._charts) == 1


def test_data_quality_sheet(report_en, report_zh):
    cells = key_values(report_en["Data quality"])
    assert cells["Source file"].value == "sales.csv"
    assert cells["Delimiter"].value == "\\t"  # a tab shown, not an empty-looking cell
    assert cells["Column used for customer ID"].value == "会员号"
    assert cells["Rows read"].value == 1520 and cells["Rows read"].number_format == "#,##0"
    assert cells["Rows dropped: no customer ID"].value == 12
    assert cells["Rows dropped: no customer ID"].number_format == "#,##0"
    assert cells["Revenue removed by returns"].number_format == "#,##0.00"
    assert cells["First date in data"].value == dt.datetime(2022, 12, 1)
    assert cells["First date in data"].number_format == "yyyy-mm-dd"
    assert cells["Note"].value == "dates read as day-first"
    zh = key_values(report_zh["数据质量"])
    assert zh["读取行数"].value == 1520
    assert zh["剔除行数:合计行"].value == 8


def test_zh_labels(report_zh):
    summary = key_values(report_zh["摘要"])
    for text in ("客户数", "销售额", "复购客户占比", "前20%客户销售额占比", "基尼系数", "分析日期"):
        assert text in summary
    assert summary["复购客户占比"].number_format == "0.0%"
    customers = report_zh["客户明细"]
    assert [c.value for c in customers[1]][:4] == ["客户编号", "最近购买间隔(天)", "购买次数", "消费金额"]
    pareto = report_zh["帕累托分析"]
    texts = {cell.value for row in pareto.iter_rows() for cell in row if isinstance(cell.value, str)}
    assert "ABC分类" in texts and "基尼系数" in texts
    assert key_values(report_zh["聚类"])["轮廓系数"].value == pytest.approx(0.61)


def test_lang_defaults_to_result_and_is_checked(tmp_path):
    path = tmp_path / "r.xlsx"
    write_report(path, make_result(lang="zh"))
    assert openpyxl.load_workbook(path).sheetnames[0] == "摘要"
    with pytest.raises(UsageError):
        write_report(tmp_path / "x.xlsx", make_result(), lang="fr")
    assert not (tmp_path / "x.xlsx").exists()


def test_sheets_join_an_existing_workbook(tmp_path):
    book = ReportWorkbook("en")
    book.add_key_values("other sheet", [("note", "added by another command")])
    add_segment_sheets(book, make_result(), None)
    book.add_key_values("last sheet", [("note", "after")])
    book.save(tmp_path / "r.xlsx")
    assert openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames == [
        "other sheet",
        "Summary",
        "Segments",
        "Pareto",
        "Customers",
        "last sheet",
    ]


def test_atomic_save_keeps_previous_report(tmp_path, monkeypatch):
    path = tmp_path / "report.xlsx"
    write_report(path, make_result(), lang="en")
    before = path.read_bytes()

    def broken_save(book, filename, when=None):
        with open(filename, "wb") as handle:
            handle.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(excel_workbook, "save_workbook", broken_save)
    with pytest.raises(OutputError) as caught:
        write_report(path, make_result(clusters=True), quality=make_quality(), lang="zh")
    assert str(path) in str(caught.value)
    assert "No space left on device" in str(caught.value)
    assert caught.value.exit_code == 7
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["report.xlsx"]


def test_atomic_save_of_a_new_file_leaves_nothing(tmp_path, monkeypatch):
    def broken_save(book, filename, when=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(excel_workbook, "save_workbook", broken_save)
    with pytest.raises(OutputError):
        write_report(tmp_path / "new.xlsx", make_result(), lang="en")
    assert os.listdir(tmp_path) == []


def test_protect_refuses_the_input(tmp_path):
    source = tmp_path / "sales.xlsx"
    source.write_bytes(b"the customer's export")
    with pytest.raises(OutputError, match="input file"):
        write_report(source, make_result(), quality=make_quality(), lang="en", protect=[source])
    # also through another spelling of the same path
    with pytest.raises(OutputError):
        write_report(tmp_path / "." / "sales.xlsx", make_result(), lang="en", protect=[str(source)])
    assert source.read_bytes() == b"the customer's export"
    assert os.listdir(tmp_path) == ["sales.xlsx"]


def test_missing_folder_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        write_report(tmp_path / "no" / "such" / "r.xlsx", make_result(), lang="en")


# --- several results in one workbook ----------------------------------------------------------
def make_retention():
    """Two customers of the January 2024 cohort; one of them buys again in February."""
    from crmkit.retention import cohort_retention

    sales = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "amount": [10.0, 5.0, 7.0],
            "date": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-01-20"]),
        }
    )
    return cohort_retention(sales, dt.date(2024, 3, 31))


def test_write_report_puts_two_results_in_one_workbook(tmp_path):
    path = write_report(tmp_path / "both.xlsx", make_result(), make_retention(), quality=make_quality(), lang="en")
    wb = openpyxl.load_workbook(path)
    # each result's sheets in the order given, Data quality after all of them
    assert wb.sheetnames == ["Summary", "Segments", "Pareto", "Customers", "Retention", "Data quality"]
    assert key_values(wb["Summary"])["Customers"].value == 5
    # the first table of the sheet is retention: cohort size, then k = 0, 1
    first_cohort_row = next(row for row in wb["Retention"].iter_rows() if row[0].value == "2024-01")
    assert [c.value for c in first_cohort_row[1:4]] == [2, 1.0, 0.5]
    assert key_values(wb["Data quality"])["Rows read"].value == 1520


def test_write_report_takes_a_ladder_as_tuple_or_comparison(tmp_path):
    from types import SimpleNamespace

    from crmkit.ladder import ladder_at_two_dates

    sales = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "amount": [10.0, 5.0, 7.0],
            "is_return": [False] * 3,
            "date": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-01-20"]),
        }
    )
    before, after, matrix = ladder_at_two_dates(sales, dt.date(2024, 3, 31), dt.date(2024, 2, 29))
    as_tuple = write_report(tmp_path / "tuple.xlsx", (before, after, matrix))
    as_object = write_report(tmp_path / "object.xlsx", SimpleNamespace(before=before, after=after, matrix=matrix))
    books = [openpyxl.load_workbook(path) for path in (as_tuple, as_object)]
    assert books[0].sheetnames == books[1].sheetnames == ["Ladder", "Migration", "Ladder people"]
    for name in books[0].sheetnames:
        cells = [[[c.value for c in row] for row in book[name].iter_rows()] for book in books]
        assert cells[0] == cells[1]
    people = [c.value for c in books[0]["Ladder people"]["A"][1:]]
    assert sorted(people) == ["a", "b"]


def test_write_report_refuses_what_it_cannot_render(tmp_path):
    with pytest.raises(UsageError, match="cannot write a report of a DataFrame") as caught:
        write_report(tmp_path / "r.xlsx", make_result(), pd.DataFrame({"a": [1]}))
    assert caught.value.exit_code == 2
    with pytest.raises(UsageError, match="at least one"):
        write_report(tmp_path / "r.xlsx")
    assert os.listdir(tmp_path) == []


# --- i18n coverage ----------------------------------------------------------------------------
def test_every_result_column_has_both_languages():
    pareto = make_result().pareto
    keys = set(SEGMENT_CUSTOMER_COLUMNS) | {"cluster"} | set(SEGMENT_COLUMNS) | set(CLUSTER_COLUMNS)
    keys |= set(pareto.classes.columns) | set(pareto.lorenz.columns)
    keys |= {"customers", "revenue", "repeat_customer_rate", "top20_share", "gini", "as_of"}
    keys |= {f"sheet:{name}" for name in ("summary", "segments", "pareto", "customers", "data_quality", "clusters")}
    for key in sorted(keys):
        entry = i18n.LABELS.get(key)
        assert entry and entry.get("en") and entry.get("zh"), key


def test_every_data_quality_key_has_both_languages():
    roles = [
        "customer_id",
        "date",
        "amount",
        "order_id",
        "quantity",
        "unit_price",
        "product",
        "channel",
        "margin",
        "status",
    ]
    reasons = ["missing_customer_id", "missing_date", "missing_amount", "total_row", "invalid_value", "after_as_of"]
    quality = DataQuality(
        source="x", columns={role: role for role in roles}, dropped=dict.fromkeys(reasons, 1), notes=["n"]
    )
    for key, _ in quality.as_rows():
        entry = i18n.LABELS.get(key)
        assert entry and entry.get("en") and entry.get("zh"), key


def test_sheet_names_fit_excel():
    for key, entry in i18n.LABELS.items():
        if key.startswith("sheet:"):
            assert all(len(text) <= 31 for text in entry.values()), key


def test_label_falls_back_and_never_raises():
    assert i18n.label("recency_days", "zh") == "最近购买间隔(天)"
    assert i18n.label("recency_days", "en") == "Recency (days)"
    assert i18n.label("not a key", "zh") == "not a key"
    assert i18n.label("recency_days", "fr") == "Recency (days)"
    assert i18n.label(["unhashable"], "en") == "['unhashable']"
    assert i18n.check_lang("en") == "en"
    with pytest.raises(UsageError, match="'de'"):
        i18n.check_lang("de")
