"""The Overview of ``crmkit report``: the as-of month's own figures, honest labels, the trend, old histories."""

from __future__ import annotations

import csv
import math
import re
import sqlite3
from collections import defaultdict
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from contracts import MONTHLY_INPUTS
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.io.purchases import read_purchases
from crmkit.monthly.history import HISTORY_COLUMNS, read_history
from crmkit.monthly.run import _month_figures
from crmkit.report.i18n import LABELS, label

EX = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()

# the history's layout before the month's own figures were added (crmkit 0.x): written out, not taken from the code
_OLD_COLUMNS = (
    "customers", "revenue", "top20_share", "gini", "repeat_customer_rate", "total_clv", "mean_p_alive",
    "retention_1", "regular_or_above", "net_upgrades", "satisfaction_index", "nps",
)  # fmt: skip


def _by_hand(month: str, last_day: str) -> dict:
    """The month's figures from examples/sales.csv with the csv module: returns are negative amounts."""
    with open(EX / "sales.csv", newline="", encoding="utf-8") as source:
        rows = [r for r in csv.DictReader(source) if r["order_date"] <= last_day]
    first_buy: dict[str, str] = {}
    for r in rows:
        if float(r["amount"]) > 0:
            first_buy[r["customer_id"]] = min(first_buy.get(r["customer_id"], r["order_date"]), r["order_date"])
    net: dict[str, float] = defaultdict(float)
    buyers = set()
    for r in rows:
        if r["order_date"].startswith(month) and r["customer_id"] in first_buy:
            net[r["customer_id"]] += float(r["amount"])
            if float(r["amount"]) > 0:
                buyers.add(r["customer_id"])
    new = sum(day.startswith(month) for day in first_buy.values())
    return {"month_revenue": round(sum(net.values()), 2), "active_customers": len(buyers), "new_customers": new}


def _rows(ws) -> dict:
    """Column A's labels -> their row, first occurrence (the key values come before the trend table)."""
    found: dict = {}
    for row in range(1, ws.max_row + 1):
        found.setdefault(ws.cell(row, 1).value, row)
    return found


def _report(tmp_path, as_of: str, history: Path, *extra: str) -> Path:
    out = tmp_path / f"r-{as_of}{'-'.join(extra)[:6]}.xlsx"
    args = ["report", str(EX / "sales.csv"), *MONTHLY_INPUTS, "--as-of", as_of, "--history", str(history)]
    result = runner.invoke(app, [*args, "-o", str(out), "-q", *extra])
    assert result.exit_code == 0, result.stderr
    return out


def test_the_months_figures_equal_a_hand_computation():
    data = read_purchases(str(EX / "sales.csv"))
    for as_of, month in (
        (date(2024, 12, 31), "2024-12"),
        (date(2024, 12, 15), "2024-12"),
        (date(2023, 1, 31), "2023-01"),
    ):
        data.resolve_as_of(as_of)
        figures = _month_figures(data, as_of)
        hand = _by_hand(month, as_of.isoformat())
        assert figures["month_revenue"] == pytest.approx(hand["month_revenue"], abs=0.005)
        assert (figures["active_customers"], figures["new_customers"]) == (
            hand["active_customers"],
            hand["new_customers"],
        )
    # December's net revenue: 16,295.31 bought less 938.04 returned
    assert _by_hand("2024-12", "2024-12-31")["month_revenue"] == 15357.27
    assert (
        _month_figures(data, date(2023, 1, 31))["new_customers"]
        == _month_figures(data, date(2023, 1, 31))["active_customers"]
    )  # the data's first month: every buyer is new


@pytest.mark.slow
def test_overview_shows_the_month_then_the_state_then_the_ladder_and_trends_two_months(tmp_path):
    history = tmp_path / "h.sqlite"
    _report(tmp_path, "2024-11-30", history)
    ws = openpyxl.load_workbook(_report(tmp_path, "2024-12-31", history))["Overview"]
    rows = _rows(ws)
    assert ws["A1"].value == "This month: 2024-12-01 to 2024-12-31"
    dec = _by_hand("2024-12", "2024-12-31")
    for key in ("month_revenue", "active_customers", "new_customers"):
        cell = ws.cell(rows[label(key)], 2)
        assert cell.value == pytest.approx(dec[key]) and rows[label(key)] < rows[label("title:overview")]
        assert cell.number_format == ("#,##0.00" if key == "month_revenue" else "#,##0")
    # the cumulative figures are there, labelled as such; no bare "Revenue" or "Customers" is left
    assert ws.cell(rows["Customers to date"], 2).value == 5000
    assert ws.cell(rows["Revenue to date (net)"], 2).value == pytest.approx(448007.98)
    assert "Revenue" not in rows and "Customers" not in rows
    # the rung shares under a heading naming their base: everyone on the ladder, not the customers
    ladder = rows["Ladder rungs: shares of everyone on the ladder"]
    assert [ws.cell(ladder + n, c).value for n, c in ((1, 1), (1, 2), (2, 1), (7, 1))] == [
        "People on the ladder (the shares' base)",
        6500,  # customers, and members and referrers who never bought: not the 5,000 customers
        "Advocate",
        "Suspect",
    ]
    assert sum(ws.cell(ladder + n, 2).value for n in range(2, 8)) == pytest.approx(1.0)

    # the trend: both months, the month's revenue in each (not the running total), formatted
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Month")
    assert [ws.cell(header, c).value for c in (2, 3, 4)] == ["2024-11", "2024-12", None]
    trend = {ws.cell(r, 1).value: r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, 1).value}
    revenue = [ws.cell(trend["Revenue in the month (net)"], c) for c in (2, 3)]
    nov = _by_hand("2024-11", "2024-11-30")
    assert [c.value for c in revenue] == pytest.approx([nov["month_revenue"], dec["month_revenue"]])
    assert {c.number_format for c in revenue} == {"#,##0.00"}
    assert [ws.cell(trend["Customers to date"], c).number_format for c in (2, 3)] == ["#,##0"] * 2
    assert "Revenue to date (net)" not in trend  # a running total read month by month looks like sales
    # the revenue chart reads the month's revenue row
    chart = next(c for c in ws._charts if "Monthly revenue" in "".join(t.t for p in c.title.tx.rich.p for t in p.r))
    assert chart.series[0].val.numRef.f.endswith(
        f"$B${trend['Revenue in the month (net)']}:$C${trend['Revenue in the month (net)']}"
    )

    stored = sqlite3.connect(history).execute("SELECT month, month_revenue, new_customers FROM headline").fetchall()
    assert stored == [("2024-11", pytest.approx(nov["month_revenue"]), 85), ("2024-12", pytest.approx(15357.27), 39)]


def _old_history(path: Path) -> None:
    """A history as the previous version wrote it: no month's own figures, columns in the old order."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE headline (month TEXT PRIMARY KEY, as_of TEXT, recorded_at TEXT, "
            + ", ".join(f"{c} REAL" for c in _OLD_COLUMNS)
            + ")"
        )
        values = [4961, 432593.4, 0.636, 0.589, 0.455, 129893.4, 0.773, 0.135, 0.191, 68, 60.8, -9.4]
        db.execute(
            f"INSERT INTO headline VALUES ({', '.join('?' * (3 + len(values)))})",
            ["2024-11", "2024-11-30", "2024-12-01T06:00:00", *values],
        )
    db.close()


def test_an_old_history_reads_with_the_new_measures_empty(tmp_path):
    path = tmp_path / "old.sqlite"
    _old_history(path)
    frame = read_history(str(path))
    assert list(frame.columns) == ["month", *HISTORY_COLUMNS]
    assert frame["month"].tolist() == ["2024-11"] and frame["customers"].tolist() == [4961]
    assert all(math.isnan(frame[c].iloc[0]) for c in ("month_revenue", "active_customers", "new_customers"))


@pytest.mark.slow
def test_an_old_history_file_still_works_and_gains_the_new_columns(tmp_path):
    history = tmp_path / "old.sqlite"
    _old_history(history)
    ws = openpyxl.load_workbook(_report(tmp_path, "2024-12-31", history))["Overview"]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Month")
    assert [ws.cell(header, c).value for c in (2, 3)] == ["2024-11", "2024-12"]
    trend = {ws.cell(r, 1).value: r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, 1).value}
    # the month before has no month's figures: empty, not 0; its stored values are kept
    assert ws.cell(trend["Revenue in the month (net)"], 2).value is None
    assert ws.cell(trend["Revenue in the month (net)"], 3).value == pytest.approx(15357.27)
    assert ws.cell(trend["Customers to date"], 2).value == 4961
    with sqlite3.connect(history) as db:
        rows = db.execute("SELECT month, customers, month_revenue FROM headline ORDER BY month").fetchall()
    db.close()
    assert rows == [("2024-11", 4961, None), ("2024-12", 5000, pytest.approx(15357.27))]


def test_the_overview_labels_have_zh_entries():
    keys = ("month_revenue", "active_customers", "new_customers", "customers_to_date", "revenue_to_date")
    keys += ("title:overview", "title:overview_month", "title:overview_ladder", "ladder_people", "chart:trend_revenue")
    keys += ("net_upgrades",)
    for key in keys:
        entry = LABELS[key]
        text = re.sub(r"\{[^}]*\}", "", entry["zh"])  # the template's placeholders are no English
        assert text and entry["zh"] != entry["en"] and not re.search("[A-Za-z]", text), key


@pytest.mark.slow
def test_zh_overview_titles(tmp_path):
    ws = openpyxl.load_workbook(_report(tmp_path, "2024-12-15", tmp_path / "h.sqlite", "--lang", "zh")).worksheets[0]
    rows = _rows(ws)
    assert ws["A1"].value == "本月：2024-12-01 至 2024-12-15"
    assert ws.cell(rows["当月销售额（净额）"], 2).value == pytest.approx(
        _by_hand("2024-12", "2024-12-15")["month_revenue"]
    )
    assert ws.cell(rows["忠诚阶梯各层级占比（阶梯上全部人员）"] + 1, 1).value == "阶梯总人数（占比的基数）"
    assert "累计客户数" in rows and "截至分析日期：价值、忠诚、留存、满意" in rows
