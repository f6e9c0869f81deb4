"""The same input gives the same output: byte for byte, whatever the row order and the thread count.

Two levels. The CLI runs every command on a small generated export (csv, json and the report's
cell values) several times, with ``CRMKIT_THREADS`` 1 and 2, and on the same rows shuffled. A few
thousand rows are one DuckDB row group, so the thread count alone would change nothing there:
the shuffle is what catches an order-dependent float sum. The SQL level then runs the per-customer
aggregations on a table of several row groups, where DuckDB really splits the work between
threads, and on hand-made amounts whose binary float sum depends on the order (0.1 + 0.2 + 0.3).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmkit import synth
from crmkit.cli import app
from crmkit.errors import UsageError
from crmkit.io import engine
from crmkit.io.purchases import read_purchases
from crmkit.retention import retention_sql
from crmkit.summary import customer_summary, repeat_summary, repeat_summary_sql, summary_sql

runner = CliRunner()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The exports (sales, survey, members, referrals), and the same files with their rows shuffled."""
    folder = tmp_path_factory.mktemp("determinism")
    sales = synth.generate_sales(n_customers=400, seed=11)
    frames = {
        "sales": sales,
        "survey": synth.generate_survey(sales, n_respondents=300, seed=11),
        "members": synth.generate_members(sales, n_contacts=800, seed=11),
        "referrals": synth.generate_referrals(sales, seed=11),
    }
    paths = {}
    for name, frame in frames.items():
        for variant, rows in (("", frame), ("shuffled_", frame.sample(frac=1.0, random_state=5))):
            # the same file name: the report's data-quality sheet names the file
            path = folder / (variant or "original") / f"{name}.csv"
            path.parent.mkdir(exist_ok=True)
            rows.to_csv(path, index=False)
            paths[variant + name] = path
    return paths


# Each command writes its rows (csv or json) and, where it has one, the Excel report.
COMMANDS = {
    "segment csv + report": [
        "segment", "{sales}", "--clusters", "3", "--seed", "1", "-o", "{out}.csv", "--report", "{out}.xlsx",
    ],
    "segment json": ["segment", "{sales}", "--scheme", "cn8", "-o", "{out}.json"],
    "clv csv + report": [
        "clv", "{sales}", "--referrals", "{referrals}", "--margin", "0.3", "-o", "{out}.csv",
        "--report", "{out}.xlsx", "--params-out", "{out}.params.json",
    ],
    "clv json": [
        "clv", "{sales}", "--model", "bgbb", "--unit", "month", "--occasion", "order", "--holdout", "26w",
        "-o", "{out}.json",
    ],
    "retention csv + report": [
        "retention", "{sales}", "--period", "quarter", "-o", "{out}.csv", "--report", "{out}.xlsx",
    ],
    "retention json": ["retention", "{sales}", "-o", "{out}.json"],
    "ladder csv + report": [
        "ladder", "{sales}", "--survey", "{survey}", "--members", "{members}", "--referrals", "{referrals}",
        "-o", "{out}.csv", "--report", "{out}.xlsx",
    ],
    "ladder json": ["ladder", "{sales}", "-o", "{out}.json"],
    "satisfaction json + report": [
        "satisfaction", "{survey}", "--bootstrap", "40", "--seed", "1", "-o", "{out}.json", "--report", "{out}.xlsx",
    ],
}  # fmt: skip
# The satisfaction model is fitted in the survey's row order (see README, "Same input, same output").
ORDER_FREE = [name for name in COMMANDS if not name.startswith("satisfaction")]


def workbook_cells(path, input_folder: str) -> list:
    """Every sheet's cell values and number formats. The data-quality sheet names the input file:
    its folder is left out."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    return [
        (ws.title, cell.coordinate, _strip(cell.value, input_folder), cell.number_format)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def _strip(value, folder: str):
    return value.replace(folder, "…") if isinstance(value, str) else value


def run(command: str, inputs: dict, folder, *, shuffled: bool = False, threads: str | None = None) -> dict:
    """The outputs of one command run: file name -> bytes (the workbook -> its cells)."""
    folder.mkdir(parents=True, exist_ok=True)
    # The survey keeps its row order: the satisfaction model behind the ladder's satisfaction
    # column is fitted in it (see ORDER_FREE).
    names = {name: str(inputs[("shuffled_" if shuffled else "") + name]) for name in ("sales", "members", "referrals")}
    names["survey"] = str(inputs["survey"])
    args = [a.format(out=folder / "out", **names) for a in COMMANDS[command]]
    result = runner.invoke(app, [*args, "-q"], env={"CRMKIT_THREADS": threads})
    assert result.exit_code == 0, result.stderr
    input_folder = str(Path(names["sales"]).parent)
    outputs = {
        path.name: workbook_cells(path, input_folder) if path.suffix == ".xlsx" else path.read_bytes()
        for path in sorted(folder.iterdir())
    }
    if not shuffled:
        # the package is dated by the as-of date, not the save time: the same bytes too (a
        # shuffled input has another file name, which the data-quality sheet shows)
        outputs.update({f"{p.name} bytes": p.read_bytes() for p in folder.iterdir() if p.suffix == ".xlsx"})
    return outputs


_first: dict = {}


def first_run(command: str, inputs: dict, tmp_path_factory) -> dict:
    """The reference outputs of a command, computed once for the three tests below."""
    if command not in _first:
        _first[command] = run(command, inputs, tmp_path_factory.mktemp("first"))
    return _first[command]


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_the_same_command_twice_gives_the_same_bytes(command, inputs, tmp_path_factory, tmp_path):
    first = first_run(command, inputs, tmp_path_factory)
    assert first and run(command, inputs, tmp_path) == first


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_the_thread_count_does_not_change_the_output(command, inputs, tmp_path_factory, tmp_path):
    # the first run has DuckDB's default, a thread per core (two or more on any CI machine)
    first = first_run(command, inputs, tmp_path_factory)
    assert run(command, inputs, tmp_path, threads="1") == first


@pytest.mark.slow
@pytest.mark.parametrize("command", ORDER_FREE)
def test_shuffled_input_rows_give_the_same_output(command, inputs, tmp_path_factory, tmp_path):
    first = first_run(command, inputs, tmp_path_factory)
    assert run(command, inputs, tmp_path, shuffled=True) == {k: v for k, v in first.items() if not k.endswith(" bytes")}


# --- the SQL aggregations ------------------------------------------------------------------------


def test_money_sums_are_exact_whatever_the_order():
    # as binary floats, (0.1 + 0.2) + 0.3 = 0.6000000000000001 but 0.1 + (0.2 + 0.3) = 0.6
    rows = [("a", "2024-01-01", 0.1), ("a", "2024-01-02", 0.2), ("a", "2024-01-03", 0.3), ("b", "2024-01-02", 0.7)]
    as_of = dt.date(2024, 1, 31)
    results = []
    for order in ([0, 1, 2, 3], [2, 1, 0, 3], [1, 3, 2, 0]):
        frame = pd.DataFrame([rows[i] for i in order], columns=["customer_id", "date", "amount"])
        summary = customer_summary(frame, as_of)
        repeat = repeat_summary(read_purchases(frame), as_of)
        results.append((summary, repeat))
    for summary, repeat in results[1:]:
        pd.testing.assert_frame_equal(summary, results[0][0], check_exact=True)
        pd.testing.assert_frame_equal(repeat, results[0][1], check_exact=True)
    summary, repeat = results[0]
    assert summary["monetary"].tolist() == [0.6, 0.7] and summary["avg_order_value"].tolist() == [0.2, 0.7]
    assert repeat["monetary"].iloc[0] == 0.25  # (0.2 + 0.3) / 2 repeat occasions, exactly
    assert repeat["revenue"].tolist() == [0.6, 0.7]


def test_two_orders_on_the_first_day_are_told_apart_by_order_id():
    """Gamma-Gamma's repeat spend leaves out the first occasion; two orders on the first day tie on
    the date, and the smaller order id is the first, whatever the row order."""
    rows = [
        ("a", "2024-01-01", 10.0, "o2"),
        ("a", "2024-01-01", 30.0, "o1"),
        ("a", "2024-01-05", 20.0, "o3"),
    ]
    as_of = dt.date(2024, 1, 31)
    spends = set()
    for order in ([0, 1, 2], [1, 0, 2], [2, 0, 1]):
        frame = pd.DataFrame([rows[i] for i in order], columns=["customer_id", "date", "amount", "order_id"])
        spends.add(repeat_summary(read_purchases(frame), as_of, occasion="order")["monetary"].iloc[0])
    assert spends == {15.0}  # o1 (30) is the first order; the repeats are o2 and o3: (10 + 20) / 2


@pytest.fixture(scope="module")
def many_rows():
    """300,000 transactions (three DuckDB row groups, so threads share the work), amounts in cents."""
    con = engine.connect()
    con.execute("""
        CREATE TABLE tx AS
        SELECT 'c' || lpad((i * 7919 % 20000)::VARCHAR, 5, '0') AS customer_id,
               DATE '2023-01-01' + (i * 104729 % 700)::INTEGER AS date,
               ((i * 15485863 % 100000) - 3000) / 100.0 AS amount,
               (i * 15485863 % 100000) < 3000 AS is_return,
               'o' || (i // 2)::VARCHAR AS order_id,
               ((i * 15485863 % 100000) - 3000) / 400.0 AS margin
        FROM range(300000) t(i)
    """)
    con.execute("CREATE TABLE shuffled AS SELECT * FROM tx ORDER BY hash(customer_id, date, amount, order_id)")
    yield con
    con.close()


@pytest.mark.parametrize(
    "query",
    [
        lambda source, columns: summary_sql(source, dt.date(2024, 11, 30), columns=columns),
        lambda source, columns: summary_sql(source, dt.date(2024, 11, 30), occasion="order", columns=columns),
        lambda source, columns: repeat_summary_sql(source, dt.date(2024, 11, 30), columns=columns, discrete=True),
        lambda source, columns: retention_sql(source, dt.date(2024, 11, 30), occasion="order", columns=columns),
    ],
    ids=["summary", "summary by order", "repeat summary", "retention"],
)
def test_aggregations_do_not_depend_on_threads_or_row_order(many_rows, query):
    con = many_rows
    columns = engine.columns_of(con, "tx")
    outcomes = []
    for threads, source in ((1, "tx"), (2, "tx"), (2, "shuffled")):
        con.execute(f"SET threads = {threads}")
        outcomes.append(con.sql(f"SELECT * FROM ({query(source, columns)}) ORDER BY ALL").fetchall())
    assert len(outcomes[0]) > 40
    assert all(outcome == outcomes[0] for outcome in outcomes[1:])


def test_threads_from_the_environment(monkeypatch):
    monkeypatch.setenv("CRMKIT_THREADS", "1")
    con = engine.connect()
    assert con.sql("SELECT current_setting('threads')").fetchall()[0][0] == 1
    con.close()
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("CRMKIT_THREADS", bad)
        with pytest.raises(UsageError, match="CRMKIT_THREADS"):
            engine.connect()
    monkeypatch.setenv("CRMKIT_THREADS", "")
    engine.connect().close()


def test_an_amount_beyond_exact_money_is_a_bad_value(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("customer_id,date,amount\nA,2024-01-01,1e12\nB,2024-01-02,5\n", encoding="utf-8")
    result = runner.invoke(app, ["segment", str(path), "-f", "csv"])
    assert result.exit_code == 5, result.stderr
    assert "row 2, column 'amount': cannot read amount '1e12'" in result.stderr
    ok = runner.invoke(app, ["segment", str(path), "-f", "csv", "--skip-bad-rows", "-q"])
    assert ok.exit_code == 0, ok.stderr
    assert pd.read_csv(io.StringIO(ok.stdout))["customer_id"].tolist() == ["B"]
