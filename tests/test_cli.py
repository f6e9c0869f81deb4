"""The command line through typer's CliRunner: help, normal runs, formats and every failure path."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from contracts import SEGMENT_CUSTOMER_COLUMNS
from typer.testing import CliRunner

from crmkit.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "sales.csv"
runner = CliRunner()

SMALL = (
    "客户编号,订单日期,金额\n"
    "0001,2024-01-01,100\n0001,2024-03-01,50\n0002,2024-02-01,20\n0003,2024-03-05,5\n"
    "=cmd|' /C calc'!A0,2024-03-01,1\n"
)


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def test_help_lists_every_command_and_the_readme_documents_them():
    result = run("--help")
    assert result.exit_code == 0 and "segment" in result.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        help_result = run(name, "--help")
        assert help_result.exit_code == 0 and "Example:" in help_result.stdout
        assert f"crmkit {name}" in readme


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("crmkit ")


def test_segment_csv_stable_columns(write):
    path = write("small.csv", SMALL)
    result = run("segment", path, "--format", "csv", "--as-of", "2024-03-31")
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout), dtype={"customer_id": str})
    assert list(frame.columns[:9]) == SEGMENT_CUSTOMER_COLUMNS[:9]
    assert frame["customer_id"].tolist()[:3] == ["0001", "0002", "0003"]
    row = frame.set_index("customer_id").loc["0001"]
    assert row.frequency == 2 and row.monetary == 150 and row.recency_days == 30
    # formula injection neutralised in csv
    assert "'=cmd|' /C calc'!A0" in frame["customer_id"].tolist()
    assert "as-of 2024-03-31" in result.stderr and "read 5 rows" in result.stderr
    assert "warning: only 4 customer(s)" in result.stderr


def test_segment_default_as_of_is_said(write):
    result = run("segment", write("small.csv", SMALL), "-f", "json")
    assert result.exit_code == 0
    assert "as-of 2024-03-05 (last purchase date in the data)" in result.stderr
    records = json.loads(result.stdout)
    assert records[0]["customer_id"] == "0001" and records[0]["first_purchase"] == "2024-01-01"


def test_segment_stdin_and_quiet(write):
    result = run("segment", "-", "-f", "csv", "-q", input=SMALL.encode("gb18030"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "" and result.stdout.startswith("customer_id,")


def test_segment_output_files_parquet_xlsx_and_report(tmp_path, write):
    src = write("small.csv", SMALL)
    out = tmp_path / "c.parquet"
    report = tmp_path / "report.xlsx"
    result = run("segment", src, "-o", out, "--report", report, "--lang", "zh", "--clusters", "2")
    assert result.exit_code == 0, result.stderr
    frame = pd.read_parquet(out)
    assert len(frame) == 4 and "cluster" in frame.columns
    import openpyxl

    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames[0] == "摘要"
    xlsx = tmp_path / "c.xlsx"
    assert run("segment", src, "-o", xlsx, "-q").exit_code == 0
    ws = openpyxl.load_workbook(xlsx).worksheets[0]
    assert ws.cell(2, 1).value == "0001" and ws.freeze_panes == "A2"


def test_segment_table_format(write):
    result = run("segment", write("small.csv", SMALL), "-f", "table", "--scheme", "cn8", "--lang", "zh")
    assert result.exit_code == 0
    assert "重要价值客户" in result.stdout and "基尼系数" in result.stdout


def test_example_data_runs():
    result = run("segment", EXAMPLE, "-f", "csv", "-q", "--bins", "4")
    assert result.exit_code == 0
    frame = pd.read_csv(io.StringIO(result.stdout), dtype={"customer_id": str})
    assert frame["r_score"].between(1, 4).all()
    assert frame["customer_id"].str.len().eq(6).all()


@pytest.mark.parametrize(
    "content, args, code, message",
    [
        (None, [], 3, r"nope\.csv: no such file"),
        ("", [], 3, "file is empty"),
        (
            "who,when,how\na,2024-01-01,1\n",
            [],
            4,
            r"cannot find the customer id column \(columns found: who, when, how",
        ),
        ("customer_id,date,amount\na,2024-02-30,1\n", [], 5, r"row 2, column 'date': cannot read date '2024-02-30'"),
        ("customer_id,date,amount\na,2024-01-01,1,2\n", [], 3, r"row 2: malformed table: expected 3 fields, found 4"),
        ("customer_id,date,amount\na,2024-01-01,1\n", ["--bins", "7"], 2, "--bins must be 3, 4 or 5"),
        ("customer_id,date,amount\na,2024-01-01,1\n", ["--as-of", "yesterday"], 2, "--as-of must be a date"),
        ("customer_id,date,amount\na,2024-01-01,1\n", ["--lang", "fr"], 2, "lang"),
        ("customer_id,date,amount\na,2024-01-01,1\n", ["--abc", "0.9,0.5"], 2, "--abc"),
        ("customer_id,date,amount\na,2024-01-01,1\n", ["--customer", "id"], 4, "--customer names column 'id'"),
        ("customer_id,date,amount\na,2024-01-01,1\n", ["--format", "pdf"], 2, "--format must be one of"),
    ],
)
def test_segment_failures_are_one_clean_line(tmp_path, content, args, code, message):
    path = tmp_path / "nope.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run("segment", path, "-f", "csv", *args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("crmkit: error") == 1


def test_bad_scheme_file_is_a_config_error(write, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[segment]]\nkey = "a"\nr = [1, 3]\n')
    result = run("segment", write("s.csv", SMALL), "-f", "csv", "--scheme", rules)
    assert result.exit_code == 6 and "without a segment" in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = run("segment", tmp_path / "missing.csv", "--debug")
    assert result.exit_code != 0 and result.exception is not None
    assert type(result.exception).__name__ == "InputError"


def test_failed_run_keeps_the_previous_output(tmp_path, write):
    out = tmp_path / "out.csv"
    out.write_text("previous report\n")
    bad = write("bad.csv", "customer_id,date,amount\na,2024-13-45,1\n")
    assert run("segment", bad, "-o", out).exit_code == 5
    assert out.read_text() == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "out.csv"]


def test_never_overwrites_the_input(write):
    src = write("in.csv", SMALL)
    before = Path(src).read_bytes()
    result = run("segment", src, "-o", src, "-f", "csv")
    assert result.exit_code == 7 and "refusing to overwrite an input" in result.stderr
    assert Path(src).read_bytes() == before
    result = run("segment", src, "-f", "csv", "--report", src)
    assert result.exit_code == 7 and Path(src).read_bytes() == before


def test_skip_bad_rows_counts_them(write):
    src = write("bad.csv", "customer_id,date,amount\na,2024-01-01,1\nb,not a date,1\n")
    result = run("segment", src, "-f", "csv", "--skip-bad-rows")
    assert result.exit_code == 0 and "invalid value 1" in result.stderr


def test_occasion_order_counts_orders(write):
    text = (
        "order_id,customer_id,date,amount\n"
        "o1,c1,2024-01-01,10\no2,c1,2024-01-01,5\no3,c1,2024-01-03,5\no4,c2,2024-01-02,7\n"
    )
    path = write("orders.csv", text)
    by_day = pd.read_csv(io.StringIO(run("segment", path, "-f", "csv", "-q").stdout))
    by_order = pd.read_csv(io.StringIO(run("segment", path, "-f", "csv", "-q", "--occasion", "order").stdout))
    assert by_day.set_index("customer_id")["frequency"].to_dict() == {"c1": 2, "c2": 1}
    assert by_order.set_index("customer_id")["frequency"].to_dict() == {"c1": 3, "c2": 1}
    no_orders = write("no_orders.csv", "customer_id,date,amount\nc1,2024-01-01,1\n")
    result = run("segment", no_orders, "-f", "csv", "--occasion", "order")
    assert result.exit_code == 2 and "--occasion order needs an order id column" in result.stderr


def test_json_keeps_exact_values_and_csv_neutralises(write):
    path = write("f.csv", "customer_id,date,amount\n=1+1,2024-01-01,10.25\n@x,2024-01-02,3\n")
    records = json.loads(run("segment", path, "-f", "json", "-q").stdout)
    assert {r["customer_id"] for r in records} == {"=1+1", "@x"}
    assert {r["monetary"] for r in records} == {10.25, 3.0}
    csv_ids = pd.read_csv(io.StringIO(run("segment", path, "-f", "csv", "-q").stdout))["customer_id"]
    assert set(csv_ids) == {"'=1+1", "'@x"}
