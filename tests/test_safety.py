"""Formula neutralisation: real formula starts get an apostrophe, plain numbers stay as they are.

Hand-written cases, checked against the Python rule (``neutralise_text``), the vectorised pandas
rule (``neutralise_series``) and the DuckDB rule (``neutralise_sql``, used by the csv writer):
the three must agree on every value.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.io.engine import scratch
from crmkit.report.safety import neutralise_series, neutralise_sql, neutralise_text

# a spreadsheet reads these as numbers: they are not formulas and come out unchanged
PLAIN_NUMBERS = [
    "-12.5",
    "+8613800138000",  # a phone number used as a member id
    "-5",
    "+1",
    "-0",
    "-.5",
    "+5.",
    "-1e5",
    "-1E+05",
    "+2.5e-3",
    "-00123",
]
# formula starts, and signed text that is not a plain number: neutralised
FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://x")',
    "=5",
    "@SUM(A1)",
    "@x",
    "+x",
    "-x",
    "-",
    "+",
    "-.",
    "-e5",
    "-1e",
    "-2+3+cmd|' /C calc'!A0",
    "-1+1",
    "+1 (555) 0100",
    "+86 138 0013 8000x",
    "+86-",
    "-12.5 ",
    "- 12.5",
    "-1,234.50",
    "-12.5%",
    "-$5",
    "-inf",
    "-NaN",
    "-0x1F",
    "-１２",  # full-width digits: not ASCII, so not the number a spreadsheet reads
    "+1\n=2",
    "\t-5",
    "\r5",
    "\tx",
    "\rx",
]
UNTOUCHED = ["Alice", "", "a=b", " =1", "'=1", "12.5", "8613800138000", "1e5", "C-5", "5-"]
# phone numbers as platforms export them: customer ids (Shopify, WooCommerce), and no formula
PHONES = ["+86 138 0013 8000", "+1 555-123-4567", "+44 20 7946 0958", "+8613800138000"]


def sql_rule(values: list) -> list:
    con = scratch()
    try:
        con.register("vals", pd.DataFrame({"v": pd.Series(values, dtype=object), "i": range(len(values))}))
        return [row[0] for row in con.sql(f"SELECT {neutralise_sql('v')} FROM vals ORDER BY i").fetchall()]
    finally:
        con.close()


@pytest.mark.parametrize("text", PLAIN_NUMBERS + UNTOUCHED + PHONES)
def test_plain_numbers_and_plain_text_are_left_as_they_are(text):
    assert neutralise_text(text) is text


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_starts_get_an_apostrophe(text):
    assert neutralise_text(text) == "'" + text
    assert neutralise_text(neutralise_text(text)) == "'" + text  # idempotent


def test_python_pandas_and_sql_rules_agree_on_every_case():
    values = PLAIN_NUMBERS + FORMULAS + UNTOUCHED + PHONES + [None]
    expected = [neutralise_text(v) for v in values]
    assert sql_rule(values) == expected
    for dtype in (object, "str", "string[pyarrow]"):
        got = neutralise_series(pd.Series(values, dtype=dtype)).tolist()
        assert [None if pd.isna(v) else v for v in got] == expected, dtype


def test_series_with_repeated_index_labels():
    series = pd.Series(["-1", "=x", "-y", "+8613800138000"], index=[0, 0, 1, 1], dtype=object)
    assert neutralise_series(series).tolist() == ["-1", "'=x", "'-y", "+8613800138000"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="=+-@\t\r .eE1209xa,", max_size=6), max_size=20))
def test_sql_matches_python_on_generated_text(values):
    assert sql_rule(values) == [neutralise_text(v) for v in values]


def test_csv_keeps_number_like_ids_and_neutralises_formulas(tmp_path):
    from typer.testing import CliRunner

    from crmkit.cli import app

    sales = tmp_path / "sales.csv"
    sales.write_text(
        "member_id,date,amount\n+8613800138000,2024-01-01,10\n-12.5,2024-01-02,5\n=1+1,2024-01-03,7\n-x,2024-01-03,1\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["segment", str(sales), "-f", "csv", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.stderr
    ids = pd.read_csv(out, dtype={"customer_id": str})["customer_id"].tolist()
    assert sorted(ids) == sorted(["+8613800138000", "-12.5", "'=1+1", "'-x"])
