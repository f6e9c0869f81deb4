"""The Preferences, Care calendar and Recommendations sheets (crmkit.report.sheets.preferences, .care,
.recommend), reopened with openpyxl: names, headers, numbers, formats and what the charts refer to."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import range_boundaries

from crmkit.care import care_calendar
from crmkit.errors import UsageError
from crmkit.preferences import preferences
from crmkit.recommend import evaluate, recommend
from crmkit.report.i18n import label
from crmkit.report.sheets import customer_warnings, write_report
from crmkit.report.sheets.preferences import CHARTED_PAIRS, INDEX_FORMAT

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PREFERENCE_SHEETS = {
    "en": ["Preferences", "Bought together", "Shopping times", "Preference customers"],
    "zh": ["偏好", "品类关联", "购物时段", "客户偏好明细"],
}


@pytest.fixture(scope="module")
def baskets():
    """Hour, discount and product: every analysis runs."""
    return preferences(EXAMPLES / "baskets.csv")


@pytest.fixture(scope="module")
def sales():
    """No hour, discount or product: those analyses are skipped."""
    return preferences(EXAMPLES / "sales.csv")


@pytest.fixture(scope="module")
def care():
    return care_calendar(EXAMPLES / "sales.csv", EXAMPLES / "customers.csv", within="30d")


@pytest.fixture(scope="module")
def recs_and_evaluation():
    return recommend(EXAMPLES / "baskets.csv", n=5), evaluate(EXAMPLES / "baskets.csv", n=5)


def _cells(ws, ref: str) -> list:
    _, _, cells = ref.rpartition("!")
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    return [ws.cell(r, c).value for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def _ref(cat) -> str:
    return (cat.strRef or cat.numRef).f


def _row_of(ws, text, col: int = 1) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, col).value == text)


def _row_values(ws, row: int) -> list:
    return [ws.cell(row, c).value for c in range(1, ws.max_column + 1) if ws.cell(row, c).value is not None]


def _texts(ws) -> list[str]:
    return [str(ws.cell(r, 1).value) for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value is not None]


def _check_charts(ws) -> None:
    """Every series of every chart refers to cells that all hold numbers, and its categories to text."""
    for chart in ws._charts:
        assert chart.series, ws.title
        for series in chart.series:
            values = _cells(ws, series.val.numRef.f)
            assert values and all(isinstance(v, (int, float)) for v in values), (ws.title, series.val.numRef.f)
            categories = _cells(ws, (series.cat.strRef or series.cat.numRef).f)
            assert len(categories) == len(values) and all(c not in (None, "") for c in categories)


def _no_raw_floats(book) -> None:
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, float):
                    assert cell.number_format != "General", (ws.title, cell.coordinate)


# --- preferences ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_preference_sheet_names(baskets, tmp_path, lang):
    path = write_report(tmp_path / f"p_{lang}.xlsx", baskets, lang=lang, customers="top:10")
    assert openpyxl.load_workbook(path).sheetnames == PREFERENCE_SHEETS[lang]


def test_segment_table_equals_the_result(baskets, tmp_path):
    ws = openpyxl.load_workbook(write_report(tmp_path / "p.xlsx", baskets, customers="none"))["Preferences"]
    header = _row_of(ws, label("segment_label"))
    headers = _row_values(ws, header)
    assert headers[:4] == ["Segment name", "Customers", "Spend", "Spend share"]
    assert "Deal seekers" in headers and "Price index" in headers
    col = {h: n + 1 for n, h in enumerate(headers)}
    segments = baskets.segments
    for offset, item in enumerate(segments.itertuples()):
        row = header + 1 + offset
        assert ws.cell(row, 1).value == item.segment_label
        assert ws.cell(row, col["Customers"]).value == item.customers
        assert ws.cell(row, col["Spend share"]).value == pytest.approx(item.spend_share)
        assert ws.cell(row, col["Spend share"]).number_format == "0.0%"
        assert ws.cell(row, col["Deal seekers"]).value == pytest.approx(item.deal_seeker_rate)
        assert ws.cell(row, col["Price index"]).number_format == "0"
    assert headers == [h for h in headers if h != "segment"]  # the code is not shown


def test_index_tables_are_coloured_by_a_number_format(baskets, tmp_path):
    ws = openpyxl.load_workbook(write_report(tmp_path / "p.xlsx", baskets, customers="none"))["Preferences"]
    title = _row_of(ws, label("title:preferences_category_index"))
    header = title + 1
    shares = baskets.segment_shares
    categories = shares[shares["dimension"] == "category"]
    by_spend = categories.groupby("value")["spend"].sum().sort_values(ascending=False).index.tolist()
    assert _row_values(ws, header) == ["Segment name", *by_spend]
    champions = categories[categories["segment"] == "champions"].set_index("value")["index"]
    for n, value in enumerate(by_spend):
        cell = ws.cell(header + 1, 2 + n)
        assert cell.value == pytest.approx(champions[value])
        assert cell.number_format == INDEX_FORMAT
    assert INDEX_FORMAT.startswith("[Green][>120]") and "[Red][<80]" in INDEX_FORMAT


def test_channel_mix_chart_refers_to_the_mix_table(baskets, tmp_path):
    ws = openpyxl.load_workbook(write_report(tmp_path / "p.xlsx", baskets, customers="none"))["Preferences"]
    _check_charts(ws)
    (chart,) = ws._charts
    channels = baskets.segment_shares[baskets.segment_shares["dimension"] == "channel"]
    assert len(chart.series) == channels["value"].nunique()
    first = chart.series[0]
    assert _cells(ws, _ref(first.cat)) == baskets.segments["segment_label"].tolist()
    top = channels.groupby("value")["spend"].sum().idxmax()
    expected = channels[channels["value"] == top].set_index("segment")["spend_share"]
    assert _cells(ws, first.val.numRef.f) == pytest.approx(expected[baskets.segments["segment"]].tolist())


def test_affinity_tables_and_lift_charts(baskets, tmp_path):
    ws = openpyxl.load_workbook(write_report(tmp_path / "p.xlsx", baskets, customers="none"))["Bought together"]
    _check_charts(ws)
    assert len(ws._charts) == 2
    for chart, table in zip(ws._charts, (baskets.affinity, baskets.affinity_customers)):
        (series,) = chart.series
        shown = min(len(table), CHARTED_PAIRS)
        assert _cells(ws, series.val.numRef.f) == pytest.approx(table["lift"][:shown].tolist())
        pairs = [f"{a} + {b}" for a, b in zip(table["category_a"], table["category_b"])][:shown]
        assert _cells(ws, _ref(series.cat)) == pairs
    header = _row_of(ws, "Pair")
    assert _row_values(ws, header)[:4] == ["Pair", "Category A", "Category B", "Baskets with both"]
    assert ws.cell(header + 1, 5).number_format == "0.0%"  # support


def test_heat_map_of_weekday_and_hour(baskets, tmp_path):
    ws = openpyxl.load_workbook(write_report(tmp_path / "p.xlsx", baskets, customers="none"))["Shopping times"]
    _check_charts(ws)
    header = _row_of(ws, "Hour")
    assert _row_values(ws, header) == ["Hour", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    grid = baskets.weekday_hour.set_index(["hour", "weekday"])["orders"]
    assert ws.cell(header + 1 + 20, 1).value == "20:00"
    assert ws.cell(header + 1 + 20, 1 + 3).value == grid[(20, 3)]  # Wednesday 20h
    rules = ws.conditional_formatting
    assert any(rule.colorScale is not None for cf in rules for rule in cf.rules)
    assert len(ws._charts) == 2  # orders by weekday, price bands


def test_price_bands_equal_the_result(baskets, tmp_path):
    ws = openpyxl.load_workbook(write_report(tmp_path / "p.xlsx", baskets, customers="none"))["Shopping times"]
    header = _row_of(ws, "Band")
    assert _row_values(ws, header) == [
        "Band",
        "Unit price",
        "Lines",
        "Share of lines",
        "Spend",
        "Spend share",
        "Customers",
    ]
    bands = baskets.price_bands
    for offset, item in enumerate(bands.itertuples()):
        assert ws.cell(header + 1 + offset, 3).value == item.lines
        assert ws.cell(header + 1 + offset, 2).value == f"{item.lower:,.2f}–{item.upper:,.2f}"


def test_skipped_analyses_are_said_and_not_charted(sales, tmp_path):
    assert {"hour", "product", "discount"} <= set(sales.skipped)
    book = openpyxl.load_workbook(write_report(tmp_path / "s.xlsx", sales, customers="all"))
    times = book["Shopping times"]
    assert any("hour preferences skipped" in t for t in _texts(times))
    assert "Hour" not in _texts(times)  # no weekday × hour table
    assert times.conditional_formatting is not None and not list(times.conditional_formatting)
    assert len(times._charts) == 2  # weekday, price bands: nothing for the hour
    for ws in book.worksheets:
        _check_charts(ws)
    # the basket table is empty for sales.csv (one category an order): a line, no table, no chart
    together = book["Bought together"]
    assert sales.affinity.empty
    assert any("no pair of categories" in t for t in _texts(together))
    assert len(together._charts) == 1
    # the skipped analyses' columns are left out of the customers, not shown empty
    customers = book["Preference customers"]
    headers = _row_values(customers, 1)
    assert "Preferred hour" not in headers and "Discount behaviour" not in headers and "Main product" not in headers
    assert customers.max_row == 1 + len(sales.customers)
    segments = book["Preferences"]
    header = _row_of(segments, label("segment_label"))
    assert "Deal seekers" not in _row_values(segments, header)


def test_preference_customers_under_the_policy(baskets, tmp_path):
    ws = openpyxl.load_workbook(write_report(tmp_path / "p.xlsx", baskets, customers="top:5"))["Preference customers"]
    assert ws.cell(1, 1).value.startswith("Top 5 of 5,000 by spend")
    top = baskets.customers.sort_values(["spend", "customer_id"], ascending=[False, True]).head(5)
    assert [ws.cell(r, 1).value for r in range(3, 8)] == top["customer_id"].tolist()
    headers = _row_values(ws, 2)
    spend = headers.index("Spend") + 1
    assert [ws.cell(r, spend).value for r in range(3, 8)] == pytest.approx(top["spend"].tolist())
    assert ws.cell(3, spend).number_format == "#,##0.00"
    assert "Segment code" not in headers and "Preferred daypart" in headers
    warnings = customer_warnings(baskets, customers="top:5")
    assert len(warnings) == 1 and "Preference customers" in warnings[0]
    assert (
        "Preference customers"
        not in openpyxl.load_workbook(write_report(tmp_path / "n.xlsx", baskets, customers="none")).sheetnames
    )


def test_zh_labels_and_values(baskets, tmp_path):
    book = openpyxl.load_workbook(write_report(tmp_path / "z.xlsx", baskets, lang="zh", customers="top:3"))
    ws = book["购物时段"]
    assert ["小时", "周一", "周二", "周三", "周四", "周五", "周六", "周日"] == _row_values(ws, _row_of(ws, "小时"))
    customers = book["客户偏好明细"]
    headers = _row_values(customers, 2)
    assert "偏好时段" in headers
    daypart = headers.index("偏好时段") + 1
    assert {customers.cell(r, daypart).value for r in range(3, 6)} <= {
        label(f"daypart:{d}", "zh") for d in ("night", "morning", "midday", "afternoon", "evening", "late")
    } | {None}


def test_no_raw_floats_on_the_preference_sheets(baskets, tmp_path):
    _no_raw_floats(openpyxl.load_workbook(write_report(tmp_path / "p.xlsx", baskets, customers="top:50")))


def test_appended_columns_are_tolerated(baskets, tmp_path):
    grown = preferences.__globals__["Preferences"](**baskets.__dict__)
    grown.customers = baskets.customers.assign(favourite_colour="blue")
    grown.segments = baskets.segments.assign(mean_basket=1.5)
    book = openpyxl.load_workbook(write_report(tmp_path / "g.xlsx", grown, customers="top:3"))
    assert "favourite_colour" in _row_values(book["Preference customers"], 2)
    ws = book["Preferences"]
    assert "mean_basket" in _row_values(ws, _row_of(ws, label("segment_label")))


# --- care -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("lang", "title"), [("en", "Care calendar"), ("zh", "关怀日历")])
def test_care_sheet_name(care, tmp_path, lang, title):
    assert openpyxl.load_workbook(write_report(tmp_path / f"c_{lang}.xlsx", care, lang=lang)).sheetnames == [title]


def test_care_headline_and_occasions(care, tmp_path):
    ws = openpyxl.load_workbook(write_report(tmp_path / "c.xlsx", care, customers="all"))["Care calendar"]
    assert ws.cell(_row_of(ws, "Window"), 2).value == "2024-12-31 – 2025-01-29"
    for kind, count in care.counts.items():
        assert ws.cell(_row_of(ws, label(f"care:kind:{kind}")), 2).value == count
    assert ws.cell(_row_of(ws, "Members (attributes file)"), 2).value == care.members
    assert any(t.startswith("Note: 165 of 5,000 members have no birth date") for t in _texts(ws))
    header = _row_of(ws, "Customer ID", col=2)
    assert _row_values(ws, header) == [
        "Date", "Customer ID", "Occasion", "Years", "Rung", "Segment name", "Revenue", "Last purchase",
        "Suggested action",
    ]  # fmt: skip
    occasions = care.occasions
    assert ws.max_row == header + len(occasions)
    first = ws.cell(header + 1, 1)
    assert first.value.date() == occasions["date"].iloc[0].date() and first.number_format == "yyyy-mm-dd"
    assert [ws.cell(header + 1 + k, 2).value for k in range(20)] == occasions["customer_id"][:20].tolist()
    assert ws.cell(header + 1, 7).value == pytest.approx(occasions["revenue"].iloc[0])
    assert ws.cell(header + 1, 7).number_format == "#,##0.00"
    assert ws.cell(header + 1, 9).value == occasions["action_label"].iloc[0]
    assert ws.page_setup.orientation == "landscape"
    # the action wraps in a table of up to 1,000 rows (the workbook's rule: beyond, a second line on
    # every row would double the pages)
    cut = openpyxl.load_workbook(write_report(tmp_path / "c60.xlsx", care, customers="top:60"))["Care calendar"]
    header = _row_of(cut, "Customer ID", col=2)
    long_action = next(r for r in range(header + 1, cut.max_row + 1) if len(str(cut.cell(r, 9).value)) > 40)
    assert cut.cell(long_action, 9).alignment.wrap_text
    assert cut.page_setup.orientation == "landscape"


def test_care_weekly_chart(care, tmp_path):
    ws = openpyxl.load_workbook(write_report(tmp_path / "c.xlsx", care, customers="none"))["Care calendar"]
    _check_charts(ws)
    (chart,) = ws._charts
    assert len(chart.series) == len(care.counts)
    for series, kind in zip(chart.series, care.counts):
        assert sum(_cells(ws, series.val.numRef.f)) == care.counts[kind]
    assert _cells(ws, _ref(chart.series[0].cat)) == ["12-31", "01-07", "01-14", "01-21", "01-28"]
    assert "Customer ID" not in [ws.cell(r, 2).value for r in range(1, ws.max_row + 1)]  # none: no occasion rows


def test_care_cut_keeps_the_soonest(care, tmp_path):
    ws = openpyxl.load_workbook(write_report(tmp_path / "c.xlsx", care, customers="top:7"))["Care calendar"]
    header = _row_of(ws, "Customer ID", col=2)
    assert ws.cell(header - 1, 1).value.startswith("Top 7 of 1,314 by date")
    assert ws.max_row == header + 7
    assert [ws.cell(header + 1 + k, 2).value for k in range(7)] == care.occasions["customer_id"][:7].tolist()
    (warning,) = customer_warnings(care, customers="top:7")
    assert "Care calendar" in warning and "1,314" in warning


def test_care_zh_translates_kinds_and_actions(care, tmp_path):
    ws = openpyxl.load_workbook(write_report(tmp_path / "c.xlsx", care, lang="zh", customers="top:3"))["关怀日历"]
    header = _row_of(ws, "客户编号", col=2)
    kind, action = care.occasions["kind"].iloc[0], care.occasions["action"].iloc[0]
    assert ws.cell(header + 1, 3).value == label(f"care:kind:{kind}", "zh")
    assert ws.cell(header + 1, 9).value == label(f"care:action:{action}", "zh")
    _no_raw_floats(openpyxl.load_workbook(write_report(tmp_path / "c2.xlsx", care)))


# --- recommendations ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("lang", "title"), [("en", "Recommendations"), ("zh", "推荐")])
def test_recommend_sheet_name(recs_and_evaluation, tmp_path, lang, title):
    recs, evaluation = recs_and_evaluation
    path = write_report(tmp_path / f"r_{lang}.xlsx", recs, evaluation, lang=lang, customers="top:3")
    assert openpyxl.load_workbook(path).sheetnames == [title]


def test_evaluation_table_and_chart(recs_and_evaluation, tmp_path):
    recs, evaluation = recs_and_evaluation
    ws = openpyxl.load_workbook(write_report(tmp_path / "r.xlsx", recs, evaluation, customers="none"))[
        "Recommendations"
    ]
    header = _row_of(ws, "Measure")
    assert _row_values(ws, header) == [
        "Measure",
        "Item-based top-N",
        "Popularity",
        "Difference",
        "95% interval from",
        "to",
    ]
    assert _row_values(ws, header + 1)[0] == "Hit rate@5"
    expected = [evaluation.hit_rate, evaluation.baseline_hit_rate, *evaluation.hit_rate_difference]
    assert _row_values(ws, header + 1)[1:] == pytest.approx(expected)
    assert _row_values(ws, header + 2)[1:] == pytest.approx(
        [evaluation.ndcg, evaluation.baseline_ndcg, *evaluation.ndcg_difference]
    )
    assert ws.cell(header + 1, 2).number_format == "0.000"
    assert ws.cell(_row_of(ws, "Customers evaluated"), 2).value == evaluation.customers
    assert ws.cell(_row_of(ws, "Method"), 2).value == "Item-based top-N"
    assert ws.cell(_row_of(ws, "Items per customer"), 2).value == 5
    _check_charts(ws)
    (chart,) = ws._charts
    assert [s.tx.strRef.f.split("!")[1] for s in chart.series] == [f"B{header}", f"C{header}"]
    assert chart.legend is not None


def test_lists_keep_whole_customers(recs_and_evaluation, tmp_path):
    recs, _ = recs_and_evaluation
    ws = openpyxl.load_workbook(write_report(tmp_path / "r.xlsx", recs, customers="top:3"))["Recommendations"]
    header = _row_of(ws, "Customer ID")
    assert ws.cell(header - 1, 1).value.startswith("Top 3 of 5,000 by customer ID")
    assert _row_values(ws, header) == ["Customer ID", "Rank", "Item", "Source", "Reason", "Score"]
    rows = recs.rows()
    first = rows[rows["customer_id"].isin(rows["customer_id"].drop_duplicates()[:3])]
    assert ws.max_row == header + len(first)
    assert [ws.cell(header + 1 + k, 3).value for k in range(len(first))] == first["item"].tolist()
    assert [ws.cell(header + 1 + k, 6).value for k in range(len(first))] == pytest.approx(first["score"].tolist())
    assert ws.cell(header + 1, 6).number_format == "0.000"
    assert ws.cell(header + 1, 4).value == label(f"recommend:source:{first['source'].iloc[0]}")
    assert "Measure" not in _texts(ws)  # no evaluation given: no table
    assert ws._charts == []
    (warning,) = customer_warnings(recs, customers="top:3")
    assert "Recommendations" in warning


def test_an_evaluation_goes_after_its_recommendations(recs_and_evaluation, care, tmp_path):
    recs, evaluation = recs_and_evaluation
    with pytest.raises(UsageError, match="Evaluation"):
        write_report(tmp_path / "x.xlsx", evaluation, recs)
    with pytest.raises(UsageError, match="Evaluation"):
        write_report(tmp_path / "x.xlsx", care, evaluation)
    assert not (tmp_path / "x.xlsx").exists()


def test_three_results_in_one_workbook(baskets, care, recs_and_evaluation, tmp_path):
    recs, evaluation = recs_and_evaluation
    path = write_report(tmp_path / "all.xlsx", baskets, care, recs, evaluation, customers="top:2")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [*PREFERENCE_SHEETS["en"], "Care calendar", "Recommendations"]
    _no_raw_floats(book)
    for ws in book.worksheets:
        _check_charts(ws)


def test_a_tiny_frame_writes(tmp_path):
    sales = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "amount": [10.0, 30.0, 15.0],
            "date": ["2024-01-01", "2024-02-01", "2024-01-15"],
        }
    )
    prefs = preferences(sales, "2024-03-01")
    book = openpyxl.load_workbook(write_report(tmp_path / "t.xlsx", prefs))
    assert book.sheetnames == PREFERENCE_SHEETS["en"]
    for ws in book.worksheets:
        _check_charts(ws)
    assert "Preferences" in book.sheetnames and not book["Bought together"]._charts
