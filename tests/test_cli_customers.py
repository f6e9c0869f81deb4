"""The customer-side commands through the CLI: ``crmkit preferences``, ``recommend`` and ``care``.

The analyses are tested in their own files; here: the formats, stdin, determinism, the errors a
user makes (exit codes, one stderr line, nothing written), and that the outputs equal the library's.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmkit.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BASKETS = str(EXAMPLES / "baskets.csv")
SALES = str(EXAMPLES / "sales.csv")
CUSTOMERS = str(EXAMPLES / "customers.csv")


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def run(runner, *args, **kw):
    return runner.invoke(app, [str(a) for a in args], **kw)


def test_preferences_rows_are_the_library_customers_and_views_select_tables(runner, tmp_path):
    from crmkit.preferences import preferences

    out = tmp_path / "likes.csv"
    done = run(runner, "preferences", BASKETS, "-o", out)
    assert done.exit_code == 0, done.output
    rows = pd.read_csv(out, dtype={"customer_id": str})
    library = preferences(BASKETS)
    assert list(rows.columns) == list(library.customers.columns)
    assert rows["customer_id"].tolist() == library.customers["customer_id"].tolist()
    assert rows["main_channel"].fillna("").tolist() == library.customers["main_channel"].fillna("").tolist()
    pairs = run(runner, "preferences", BASKETS, "--view", "affinity", "-f", "csv")
    top = pd.read_csv(io.StringIO(pairs.stdout)).iloc[0]
    assert {top["category_a"], top["category_b"]} == {"electronics", "toys"} and top["lift"] > 2
    channels = pd.read_csv(io.StringIO(run(runner, "preferences", BASKETS, "--view", "channels", "-f", "csv").stdout))
    assert channels.groupby("customer_id")["spend_share"].sum().round(9).eq(1).all()


def test_preferences_json_and_same_bytes_twice(runner):
    first = run(runner, "preferences", BASKETS, "-f", "json", "-q")
    second = run(runner, "preferences", BASKETS, "-f", "json", "-q")
    assert first.exit_code == 0 and first.stdout == second.stdout
    payload = json.loads(first.stdout)
    assert {"customers", "segments", "affinity", "weekday_hour", "price_bands", "skipped"} <= set(payload)


def test_preferences_reads_stdin_and_says_what_it_skipped(runner):
    done = run(runner, "preferences", "-", "--view", "segments", "-f", "csv", input=Path(SALES).read_bytes())
    assert done.exit_code == 0, done.output
    assert "skipped" in done.stderr and "product" in done.stderr  # sales.csv has no product column
    assert len(pd.read_csv(io.StringIO(done.stdout))) > 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--view", "nope"], "--view"),
        (["--price-bands", "10,5"], "--price-bands"),
        (["--price-bands", "a,b"], "--price-bands"),
    ],
)
def test_preferences_bad_options_are_usage_errors_before_reading(runner, tmp_path, args, needle):
    out = tmp_path / "x.csv"
    done = run(runner, "preferences", tmp_path / "missing.csv", *args, "-o", out)
    assert done.exit_code == 2 and needle in done.stderr and "Traceback" not in done.output
    assert not out.exists()


def test_recommend_rows_evaluation_and_determinism(runner, tmp_path):
    out = tmp_path / "offers.csv"
    done = run(runner, "recommend", BASKETS, "-n", "3", "--evaluate", "-o", out)
    assert done.exit_code == 0, done.output
    assert "hit rate@3" in done.stderr and "popularity" in done.stderr
    rows = pd.read_csv(out, dtype={"customer_id": str})
    assert list(rows.columns) == ["customer_id", "rank", "item", "score", "source", "reason"]
    assert rows.groupby("customer_id")["rank"].max().max() == 3
    again = tmp_path / "again.csv"
    assert run(runner, "recommend", BASKETS, "-n", "3", "-o", again, "-q").exit_code == 0
    assert out.read_bytes() == again.read_bytes()


def test_recommend_json_carries_the_evaluation(runner):
    done = run(runner, "recommend", BASKETS, "-n", "5", "--evaluate", "-f", "json", "-q")
    payload = json.loads(done.stdout)
    evaluation = payload["evaluation"]
    assert evaluation["n"] == 5 and evaluation["hit_rate"] > evaluation["baseline_hit_rate"]
    plain = json.loads(run(runner, "recommend", BASKETS, "-n", "5", "-f", "json", "-q").stdout)
    assert plain["evaluation"] is None


def test_recommend_categories_in_chinese(runner):
    done = run(runner, "recommend", BASKETS, "--item", "category", "-n", "2", "--lang", "zh", "-f", "csv", "-q")
    rows = pd.read_csv(io.StringIO(done.stdout))
    assert set(rows["item"]) <= {"apparel", "beauty", "electronics", "grocery", "home", "toys"}
    assert rows["reason"].str.contains("顾客").any()


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--item", "brand"], "--item"), (["--method", "svd"], "--method"), (["-n", "0"], "--top")],
)
def test_recommend_bad_options_are_usage_errors(runner, tmp_path, args, needle):
    done = run(runner, "recommend", tmp_path / "missing.csv", *args)
    assert done.exit_code == 2 and needle in done.stderr and "Traceback" not in done.output


def test_recommend_without_a_product_column_names_the_flag(runner):
    done = run(runner, "recommend", SALES)
    assert done.exit_code == 4 and "--product" in done.stderr


def test_care_rows_match_the_library_and_the_window(runner, tmp_path):
    from crmkit.care import care_calendar

    out = tmp_path / "care.csv"
    done = run(runner, "care", SALES, "--attributes", CUSTOMERS, "--within", "2w", "-o", out)
    assert done.exit_code == 0, done.output
    rows = pd.read_csv(out, dtype={"customer_id": str})
    library = care_calendar(SALES, CUSTOMERS, within="2w")
    assert len(rows) == len(library.occasions) > 0
    dates = pd.to_datetime(rows["date"])
    assert dates.min() >= pd.Timestamp("2024-12-31") and dates.max() < pd.Timestamp("2025-01-14")
    birthdays = run(runner, "care", SALES, "--attributes", CUSTOMERS, "--kinds", "birthday", "-f", "csv", "-q")
    assert set(pd.read_csv(io.StringIO(birthdays.stdout))["kind"]) == {"birthday"}


def test_care_report_and_bad_window(runner, tmp_path):
    book = tmp_path / "care.xlsx"
    done = run(runner, "care", SALES, "--attributes", CUSTOMERS, "--lang", "zh", "-o", book)
    assert done.exit_code == 0, done.output
    from openpyxl import load_workbook

    assert load_workbook(book).sheetnames
    bad = run(runner, "care", SALES, "--attributes", CUSTOMERS, "--within", "soon")
    assert bad.exit_code == 2 and "within" in bad.stderr and "Traceback" not in bad.output


def test_inputs_are_never_outputs(runner, tmp_path):
    copy = tmp_path / "customers.csv"
    copy.write_bytes(Path(CUSTOMERS).read_bytes())
    done = run(runner, "care", SALES, "--attributes", copy, "-o", copy)
    assert done.exit_code != 0 and copy.read_bytes() == Path(CUSTOMERS).read_bytes()


def test_recommend_rebuy_takes_a_comma_list_and_refuses_unknown_names(runner):
    done = run(runner, "recommend", BASKETS, "--rebuy", "grocery,home", "-n", "3", "-f", "csv", "-q")
    assert done.exit_code == 0, done.output
    rows = pd.read_csv(io.StringIO(done.stdout))
    assert (rows["source"] == "rebuy").any()
    typo = run(runner, "recommend", BASKETS, "--rebuy", "grocery,grocey", "-n", "3", "-f", "csv")
    assert typo.exit_code == 2 and "'grocey'" in typo.stderr and "Traceback" not in typo.output
