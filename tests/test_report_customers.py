"""The --customers policy of the customer-level sheets and --customers-out (issue 10)."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.errors import OutputError, UsageError
from crmkit.report.files import OutputPlan, Target
from crmkit.report.sheets import customer_policy

runner = CliRunner()
EX = Path(__file__).resolve().parents[1] / "examples"
SALES = str(EX / "sales.csv")


def _data_rows(sheet) -> list[tuple]:
    """The rows under the header (row 2 when a note stands in row 1)."""
    rows = list(sheet.iter_rows(values_only=True))
    start = 2 if rows[0][1] is None else 1
    return rows[start:]


def test_policy_values():
    assert str(customer_policy(None)) == "top:100000"
    assert customer_policy("all").kept(5) == 5 and customer_policy("none").kept(5) == 0
    assert customer_policy(" TOP:3 ").kept(5) == 3 and customer_policy("top:30").kept(5) == 5
    for bad in ("top:0", "top:x", "some", "top:", "top:-1"):
        with pytest.raises(UsageError, match="--customers must be all, none or top:N"):
            customer_policy(bad)


def test_segment_report_top_10_keeps_the_highest_value_with_a_note(tmp_path):
    rows, book = tmp_path / "all.csv", tmp_path / "seg.xlsx"
    args = ["segment", SALES, "-o", str(rows), "--report", str(book), "--customers", "top:10"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert (
        "crmkit: warning: the Customers sheet shows the top 10 of 5,000 customers by net revenue; 4,990 left out "
        "(--customers all shows them all; -o FILE.parquet writes every customer)"
    ) in result.stderr.splitlines()
    sheet = openpyxl.load_workbook(book)["Customers"]
    assert sheet["A1"].value.startswith("Top 10 of 5,000 by net revenue; 4,990 left out: --customers all")
    assert sheet["A2"].value == "Customer ID" and sheet.max_row == 12
    full = pd.read_csv(rows, dtype={"customer_id": str})
    top = full.sort_values(["monetary", "customer_id"], ascending=[False, True]).head(10)
    kept = _data_rows(sheet)
    assert [r[0] for r in kept] == top["customer_id"].tolist()
    assert [r[3] for r in kept] == pytest.approx(top["monetary"].tolist())


def test_none_writes_no_customer_sheet_and_all_writes_all(tmp_path):
    none = runner.invoke(
        app,
        [
            "segment",
            SALES,
            "-f",
            "csv",
            "-o",
            str(tmp_path / "a.csv"),
            "--report",
            str(tmp_path / "n.xlsx"),
            "--customers",
            "none",
        ],
    )
    assert none.exit_code == 0, none.stderr
    assert "warning" not in none.stderr
    names = openpyxl.load_workbook(tmp_path / "n.xlsx").sheetnames
    assert "Customers" not in names and "Summary" in names
    every = runner.invoke(
        app,
        [
            "clv",
            SALES,
            "-f",
            "csv",
            "-o",
            str(tmp_path / "b.csv"),
            "--report",
            str(tmp_path / "a.xlsx"),
            "--customers",
            "all",
        ],
    )
    assert every.exit_code == 0, every.stderr
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx", read_only=True)["CLV customers"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Customer ID" and len(rows) == 5001


@pytest.mark.parametrize("value", ["top:0", "top:x", "some"])
def test_bad_values_are_usage_errors_naming_the_option(tmp_path, value):
    for command in (
        ["segment", SALES, "--report", str(tmp_path / "s.xlsx"), "-f", "csv", "-o", str(tmp_path / "s.csv")],
        ["report", SALES, "-o", str(tmp_path / "r.xlsx")],
    ):
        result = runner.invoke(app, [*command, "--customers", value])
        assert result.exit_code == 2, result.stderr
        assert "--customers must be all, none or top:N" in result.stderr and repr(value) in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_monthly_top_10_on_three_sheets_and_customers_out_holds_everyone(tmp_path):
    out, table = tmp_path / "m.xlsx", tmp_path / "customers.parquet"
    result = runner.invoke(
        app,
        [
            "report",
            SALES,
            "--members",
            str(EX / "members.csv"),
            "-o",
            str(out),
            "--customers",
            "top:10",
            "--customers-out",
            str(table),
        ],
    )
    assert result.exit_code == 0, result.stderr
    cut = [line for line in result.stderr.splitlines() if "left out" in line]
    assert len(cut) == 3 and all("--customers-out FILE.parquet writes every customer" in line for line in cut)
    assert f"report written to {out}, {table}" in result.stderr
    full = pd.read_parquet(table)
    assert full["customer_id"].is_unique and len(full) == 6500  # 5,000 buyers and the members who never bought
    assert full["clv"].notna().sum() == 5000 and {"clv_frequency", "ladder_p_alive", "rung"} <= set(full.columns)
    book = openpyxl.load_workbook(out)
    ranked = full.sort_values(["monetary", "customer_id"], ascending=[False, True])
    assert [r[0] for r in _data_rows(book["Customers"])] == ranked["customer_id"].head(10).tolist()
    clv_rows = _data_rows(book["CLV customers"])
    assert [r[0] for r in clv_rows] == full.sort_values(["clv", "customer_id"], ascending=[False, True])[
        "customer_id"
    ].head(10).tolist()
    people = _data_rows(book["Ladder people"])
    # ranked by the rung's code, which the sheet does not show: column B is the rung's name
    assert len(people) == 10 and {r[1] for r in people} == {"Advocate"}
    advocates = full[full["rung"] == "advocate"].sort_values(["occasions", "customer_id"], ascending=[False, True])
    assert [r[0] for r in people] == advocates["customer_id"].head(10).tolist()


def test_customers_out_is_protected_like_any_output(tmp_path, monkeypatch):
    import crmkit.io.purchases

    sales = tmp_path / "sales.csv"
    sales.write_bytes((EX / "sales.csv").read_bytes())
    before = sales.read_bytes()

    def never(*args, **kwargs):
        raise AssertionError("the export was read before the outputs were checked")

    monkeypatch.setattr(crmkit.io.purchases, "read_purchases", never)
    result = runner.invoke(app, ["report", str(sales), "-o", str(tmp_path / "r.xlsx"), "--customers-out", str(sales)])
    assert result.exit_code == 7, result.stderr
    assert "refusing to overwrite an input file" in result.stderr
    assert sales.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["sales.csv"]
    link = tmp_path / "customers.parquet"
    link.symlink_to(sales)  # a link to the input is the input
    linked = runner.invoke(app, ["report", str(sales), "-o", str(tmp_path / "r.xlsx"), "--customers-out", str(link)])
    assert linked.exit_code == 7 and "refusing to overwrite an input file" in linked.stderr
    assert sales.read_bytes() == before
    wrong = runner.invoke(
        app, ["report", str(sales), "-o", str(tmp_path / "r.xlsx"), "--customers-out", str(tmp_path / "c.xlsx")]
    )
    assert wrong.exit_code == 2 and "--customers-out writes csv, json, parquet, not xlsx" in wrong.stderr


@pytest.mark.slow
def test_customers_out_csv_and_check_writes_nothing(tmp_path):
    table = tmp_path / "customers.csv"
    check = runner.invoke(
        app, ["report", SALES, "-o", str(tmp_path / "r.xlsx"), "--customers-out", str(table), "--check"]
    )
    assert check.exit_code == 0, check.stderr
    assert f"would write {tmp_path / 'r.xlsx'}, {table}" in check.stderr and list(tmp_path.iterdir()) == []
    result = runner.invoke(app, ["report", SALES, "-o", str(tmp_path / "r.xlsx"), "--customers-out", str(table), "-q"])
    assert result.exit_code == 0, result.stderr
    assert len(pd.read_csv(table, dtype={"customer_id": str})) == 5000
    # the default policy keeps all 5,000 (up to 100,000): no note, no warning
    assert openpyxl.load_workbook(tmp_path / "r.xlsx")["Customers"]["A1"].value == "Customer ID"


@pytest.fixture
def no_reading(monkeypatch):
    """Fail the test if the export is read: the output options must be checked first."""
    import crmkit.io.purchases

    def never(*args, **kwargs):
        raise AssertionError("the export was read before the outputs were checked")

    monkeypatch.setattr(crmkit.io.purchases, "read_purchases", never)


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--customers-format", "xlsx"], 2, "--customers-format must be one of csv, json, parquet, not 'xlsx'"),
        (["--customers-format", "table"], 2, "--customers-format must be one of csv, json, parquet, not 'table'"),
        (["--customers-out", "{d}/c.xlsx"], 2, "--customers-out writes csv, json, parquet, not xlsx"),
        (["--customers-format", "csv"], 2, "--customers-format needs --customers-out FILE"),
        (["--customers-out", "{d}/r.xlsx", "--customers-format", "csv"], 7, "two outputs name one file (-o and"),
        (["--customers-out", "{d}/missing/c.csv"], 7, "does not exist"),
    ],
)
def test_bad_customers_outputs_fail_before_reading(tmp_path, no_reading, args, code, message):
    given = [a.replace("{d}", str(tmp_path)) for a in args]
    result = runner.invoke(app, ["report", SALES, "-o", str(tmp_path / "r.xlsx"), *given])
    assert result.exit_code == code, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_workbook_and_customers_cannot_both_go_to_stdout(tmp_path, no_reading, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the history of `-o -` lands in the working folder
    result = runner.invoke(app, ["report", SALES, "-o", "-", "--customers-out", "-"])
    assert result.exit_code == 7, result.stderr
    assert "<stdout>: two outputs write to standard output (-o and --customers-out)" in result.stderr
    assert result.stdout_bytes == b""
    assert list(tmp_path.iterdir()) == []


def test_two_outputs_into_one_descriptor_are_refused():
    read_end, write_end = os.pipe()
    try:
        for first, second in (("-", "-"), ("-", "/dev/fd/1"), (f"/dev/fd/{write_end}", f"/proc/self/fd/{write_end}")):
            plan = OutputPlan()
            plan.add(first)
            with pytest.raises(OutputError, match="two outputs write to (standard output|file descriptor)"):
                plan.add(second)
            plan.abort()
        plan = OutputPlan()  # other descriptors are other outputs
        assert plan.add("-").to_stdout and plan.add(f"/dev/fd/{write_end}").kind == "fd"
        plan.abort()
    finally:
        os.close(read_end)
        os.close(write_end)


def test_parquet_to_a_terminal_is_refused_before_reading(tmp_path, no_reading, monkeypatch):
    # CliRunner's stdout is no terminal: stand one in for it
    monkeypatch.setattr(Target, "to_terminal", property(lambda self: self.to_stdout))
    result = runner.invoke(
        app, ["report", SALES, "-o", str(tmp_path / "r.xlsx"), "--customers-out", "-", "--customers-format", "parquet"]
    )
    assert result.exit_code == 2, result.stderr
    assert "--customers-out: parquet is binary: write it to a file (--customers-out FILE.parquet)" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_customers_to_stdout_and_the_workbook_to_its_file(tmp_path):
    book = tmp_path / "m.xlsx"
    result = runner.invoke(app, ["report", SALES, "-o", str(book), "--customers-out", "-"])
    assert result.exit_code == 0, result.stderr
    assert f"report written to {book}, <stdout>; history" in result.stderr
    table = pd.read_csv(__import__("io").BytesIO(result.stdout_bytes), dtype={"customer_id": str})
    assert len(table) == 5000 and table["customer_id"].is_unique
    assert {"segment", "clv", "rung"} <= set(table.columns)
    sheet = openpyxl.load_workbook(book, read_only=True)["Customers"]
    kept = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(kept) == sorted(table["customer_id"])  # the default policy keeps all 5,000


@pytest.mark.slow
def test_customers_into_a_fifo_as_json(tmp_path):
    fifo = tmp_path / "customers"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    args = ["report", SALES, "-o", str(tmp_path / "m.xlsx"), "--customers-out", str(fifo)]
    result = runner.invoke(app, [*args, "--customers-format", "json", "-q"])
    reader.join(timeout=60)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "" and stat.S_ISFIFO(os.lstat(fifo).st_mode)  # streamed, still a FIFO
    rows = json.loads(received[0])
    assert len(rows) == 5000 and len({r["customer_id"] for r in rows}) == 5000
    first = next(r for r in rows if r["customer_id"] == "000001")
    assert first["frequency"] == 10 and first["clv_frequency"] == 9 and first["rung"] == "advocate"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crmkit-history.sqlite", "customers", "m.xlsx"]
