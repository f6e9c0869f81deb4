"""The aggregation pushed down to an engine gives what the reader and DuckDB give (issue 11, §1).

The ibis expression of :mod:`crmkit.pushdown` is held to the native DuckDB queries by results,
not SQL: on random typed tables, run in the embedded DuckDB and in SQLite, the per-customer
summary, the repeat-purchase summary and the data-quality counts must be identical. The real
PostgreSQL server's runs are in ``tests/test_databases.py``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.errors import UsageError
from crmkit.io.options import ReadOptions
from crmkit.io.purchases import read_purchases
from crmkit.pushdown import DuckDBEngine, PushedDown, engine_for, push_down
from crmkit.retention import cohort_retention
from crmkit.summary import customer_summary, repeat_summary

pa = pytest.importorskip("pyarrow")
pytest.importorskip("ibis", reason="ibis-framework is not installed (crmkit[db])")
sqlite = pytest.importorskip("adbc_driver_sqlite.dbapi", reason="adbc-driver-sqlite is not installed")

runner = CliRunner()
START = dt.date(2023, 1, 1)


@st.composite
def typed_sales(draw):
    """A typed purchase table as a database holds one: returns negative, 'returned' statuses on them."""
    n = draw(st.integers(1, 60))
    customers = draw(st.integers(1, 12))
    int_ids = draw(st.booleans())
    rows = {"customer_id": [], "order_date": [], "amount": [], "order_id": [], "status": [], "margin": []}
    for _ in range(n):
        c = draw(st.integers(0, customers - 1))
        rows["customer_id"].append(c + 1 if int_ids else f"K{c:03d}")
        rows["order_date"].append(START + dt.timedelta(days=draw(st.integers(0, 400))))
        cents = draw(st.integers(-5_000, 50_000))
        rows["amount"].append(cents / 100 if draw(st.integers(0, 9)) else None)
        rows["order_id"].append(f"SO{draw(st.integers(0, n)):04d}" if draw(st.integers(0, 9)) else None)
        rows["status"].append("returned" if cents < 0 and draw(st.booleans()) else "completed")
        rows["margin"].append(round(cents * 0.003, 2))
    if draw(st.integers(0, 4)) == 0:
        rows["customer_id"][0] = None
    table = pa.table(
        {
            "customer_id": pa.array(rows["customer_id"], pa.int64() if int_ids else pa.string()),
            "order_date": pa.array(rows["order_date"], pa.date32()),
            "amount": pa.array(rows["amount"], pa.float64()),
            "order_id": pa.array(rows["order_id"], pa.string()),
            "status": pa.array(rows["status"], pa.string()),
        }
    )
    if draw(st.booleans()):
        table = table.append_column("margin", pa.array(rows["margin"], pa.float64()))
    return table


def _sqlite_source(table, folder) -> str:
    path = folder / "shop.db"
    if path.exists():
        path.unlink()
    with sqlite.connect(str(path)) as connection, connection.cursor() as cursor:
        date_text = table["order_date"].cast(pa.string())  # SQLite keeps dates as ISO text
        table = table.set_column(table.schema.get_field_index("order_date"), "order_date", date_text)
        cursor.adbc_ingest("sales", table, mode="create")
        connection.commit()
    return f"sqlite:///{path}"


def _pushed_summary(pushed: PushedDown, as_of, occasion):
    con, name = pushed.summary_table(as_of, occasion)
    frame = con.sql(f"SELECT * FROM {name} ORDER BY customer_id").df()
    for col in ("first_purchase", "last_purchase"):
        frame[col] = frame[col].astype("datetime64[s]")
    return frame


def _same_as_the_reader(pushed: PushedDown, table) -> None:
    data = read_purchases(table)
    as_of = data.resolve_as_of()
    assert pushed.resolve_as_of() == as_of
    for field in ("rows_read", "rows_used", "dropped", "return_rows", "return_amount", "first_date", "last_date"):
        assert getattr(pushed.quality, field) == getattr(data.quality, field), field
    assert pushed.quality.after_as_of == data.quality.after_as_of
    assert pushed.quality.returns_only == data.quality.returns_only
    assert pushed.quality.returns_only_amount == data.quality.returns_only_amount
    for occasion in ("day", "order"):
        pd.testing.assert_frame_equal(
            _pushed_summary(pushed, as_of, occasion), customer_summary(data, as_of, occasion=occasion)
        )
        for unit in ("week", "month"):
            native = repeat_summary(data, as_of, unit=unit, occasion=occasion)
            pd.testing.assert_frame_equal(pushed.repeat_summary(as_of, unit=unit, occasion=occasion), native)
        for period in ("week", "month", "quarter"):
            native = cohort_retention(data, as_of, period=period, occasion=occasion).to_dict()
            assert cohort_retention(pushed, as_of, period=period, occasion=occasion).to_dict() == native


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=typed_sales())
def test_the_expression_on_duckdb_and_sqlite_equals_the_native_queries(table, tmp_path):
    if not pa.compute.any(pa.compute.is_valid(table["amount"])).as_py():
        return
    pushed = push_down(DuckDBEngine(table))
    assert pushed is not None
    _same_as_the_reader(pushed, table)
    pushed_sqlite = push_down(_sqlite_source(table, tmp_path), options=ReadOptions(table="sales"))
    assert pushed_sqlite is not None and pushed_sqlite.quality.aggregated_in == "sqlite"
    _same_as_the_reader(pushed_sqlite, table)
    pushed_sqlite.release()


def test_a_hand_computed_case():
    """Two customers: a buys twice on one day (one occasion) and returns 5; b only returns."""
    table = pa.table(
        {
            "customer_id": ["a", "a", "a", "b"],
            "date": pa.array([dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 1, 8), dt.date(2024, 1, 2)]),
            "amount": [10.0, 2.5, -5.0, -3.0],
        }
    )
    pushed = push_down(DuckDBEngine(table))
    assert pushed.resolve_as_of() == dt.date(2024, 1, 1)  # the last purchase, not the later return
    assert (pushed.quality.rows_used, pushed.quality.return_rows, pushed.quality.after_as_of) == (4, 2, 2)
    summary = _pushed_summary(pushed, dt.date(2024, 1, 10), "day")
    assert summary[["customer_id", "frequency", "monetary", "gross_revenue", "returns"]].values.tolist() == [
        ["a", 1, 7.5, 12.5, 5.0]
    ]
    assert summary["recency_days"].tolist() == [9]


# --- what is not pushed down goes through the reader, with the same results -------------------------


@pytest.mark.parametrize(
    "column, values",
    [
        ("customer_id", [" K1", "K2", "K1", "K3"]),  # padding: the reader trims
        ("customer_id", ["17850.0", "K2", "K1", "K3"]),  # a float rendering: the reader drops ".0"
        ("customer_id", ["K1", "K2", "合计", "K3"]),  # a total row
        ("order_id", ["C536379", "SO2", "SO3", "SO4"]),  # a cancelled-invoice number
        ("order_date", ["2024-01-01", "2024/01/02", "2024-01-03", "2024-01-04"]),  # a text date to parse
    ],
)
def test_values_to_clean_are_left_to_the_reader(column, values):
    data = {
        "customer_id": ["K1", "K2", "K1", "K3"],
        "order_date": pa.array([dt.date(2024, 1, d) for d in (1, 2, 3, 4)]),
        "amount": [10.0, 20.0, 30.0, 40.0],
        "order_id": ["SO1", "SO2", "SO3", "SO4"],
    }
    data[column] = values
    assert push_down(DuckDBEngine(pa.table(data))) is None


def test_ids_the_reader_keeps_as_they_are_stay_in_the_engine():
    table = pa.table(
        {
            "customer_id": ["ann.lee@example.com", "K2", "ann.lee@example.com", "17850.5"],
            "order_date": pa.array([dt.date(2024, 1, d) for d in (1, 2, 3, 4)]),
            "amount": [10.0, 20.0, 30.0, 40.0],
            "order_id": ["1", "2", "3", "4"],
        }
    )
    pushed = push_down(DuckDBEngine(table))
    assert pushed is not None
    _same_as_the_reader(pushed, table)


def test_a_status_that_may_cancel_an_order_is_left_to_the_reader():
    table = pa.table(
        {
            "customer_id": ["K1", "K1"],
            "order_date": pa.array([dt.date(2024, 1, 1)] * 2),
            "amount": [10.0, 10.0],
            "order_id": ["SO1", "SO2"],
            "status": ["completed", "cancelled"],
        }
    )
    assert push_down(DuckDBEngine(table)) is None


def test_the_engine_is_inferred_from_the_source_or_given():
    assert engine_for("sales.csv", None) == "duckdb"
    assert engine_for("postgresql://u@h/db", None) == "db"
    assert engine_for("sqlite:///x.db", "duckdb") == "duckdb"
    with pytest.raises(UsageError, match="--engine must be one of"):
        engine_for("sales.csv", "polars")
    assert ReadOptions(spark_master="local[2]").engine == "spark"
    with pytest.raises(UsageError, match="--spark-master is for --engine spark"):
        ReadOptions(engine="db", spark_master="local[2]")


def test_cli_engine_choices(tmp_path):
    sales = tmp_path / "s.csv"
    sales.write_text("customer_id,date,amount\na,2024-01-01,10\n", encoding="utf-8")
    result = runner.invoke(app, ["segment", str(sales), "--engine", "db", "-f", "csv"])
    assert result.exit_code == 2
    assert "--engine db needs a database URL" in result.stderr
    result = runner.invoke(app, ["segment", str(sales), "--engine", "polars", "-f", "csv"])
    assert result.exit_code == 2 and "--engine must be one of duckdb, db, spark" in result.stderr
    assert runner.invoke(app, ["segment", str(sales), "--engine", "duckdb", "-f", "csv"]).exit_code == 0


def test_sqlite_pushdown_and_fetch_give_the_same_bytes(tmp_path):
    """The CLI: the database aggregates (the read line says so), --engine duckdb fetches the rows."""
    table = pa.table(
        {
            "customer_id": [f"K{i % 7}" for i in range(50)],
            "order_date": pa.array([dt.date(2024, 1, 1) + dt.timedelta(days=3 * i) for i in range(50)]),
            "amount": [float(5 + i % 11) if i % 9 else -4.0 for i in range(50)],
        }
    )
    url = _sqlite_source(table, tmp_path)
    outputs = {}
    for engine in ("db", "duckdb"):
        for command in ("segment", "clv", "retention", "ladder"):
            result = runner.invoke(app, [command, url, "--table", "sales", "--engine", engine, "-f", "csv"])
            assert result.exit_code == 0, result.stderr
            assert ("(aggregated in sqlite)" in result.stderr) == (engine == "db")
            outputs[engine, command] = result.stdout
    assert outputs["db", "segment"] == outputs["duckdb", "segment"]
    assert outputs["db", "clv"] == outputs["duckdb", "clv"]
    assert outputs["db", "retention"] == outputs["duckdb", "retention"]
    assert outputs["db", "ladder"] == outputs["duckdb", "ladder"]


def test_a_query_closed_by_a_semicolon_runs_both_ways(tmp_path):
    table = pa.table(
        {
            "customer_id": ["a", "b", "a"],
            "order_date": pa.array([dt.date(2024, 1, d) for d in (1, 2, 9)]),
            "amount": [1.0, 2.0, 3.0],
        }
    )
    url = _sqlite_source(table, tmp_path)
    outputs = []
    for engine in ("db", "duckdb"):
        result = runner.invoke(
            app, ["segment", url, "--query", "SELECT * FROM sales ;\n", "--engine", engine, "-f", "csv"]
        )
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") == 3


def test_the_as_of_counts_are_asked_once_per_date(monkeypatch):
    table = pa.table(
        {
            "customer_id": ["a", "b"],
            "order_date": pa.array([dt.date(2024, 1, 1), dt.date(2024, 1, 5)]),
            "amount": [1.0, -2.0],
        }
    )
    pushed = push_down(DuckDBEngine(table))
    queries = []
    fetch = pushed.engine.fetch
    monkeypatch.setattr(pushed.engine, "fetch", lambda sql: queries.append(sql) or fetch(sql))
    first = pushed.resolve_as_of()
    counts = (pushed.quality.after_as_of, pushed.quality.returns_only, pushed.quality.returns_only_amount)
    assert pushed.resolve_as_of() == first and len(queries) == 1
    assert (pushed.quality.after_as_of, pushed.quality.returns_only, pushed.quality.returns_only_amount) == counts
    assert counts == (1, 0, 0.0)  # b's return on 5 January is after the last purchase
    pushed.resolve_as_of(dt.date(2024, 1, 9))
    assert len(queries) == 2 and (pushed.quality.after_as_of, pushed.quality.returns_only) == (0, 1)


def test_every_analysis_takes_an_engine(tmp_path):
    """engine= in the API: the database aggregates, or with "duckdb" the rows are fetched; the same results."""
    import crmkit

    table = pa.table(
        {
            "customer_id": [f"K{i % 9}" for i in range(80)],
            "order_date": pa.array([dt.date(2024, 1, 1) + dt.timedelta(days=5 * i) for i in range(80)]),
            "amount": [float(3 + i % 13) if i % 7 else -2.0 for i in range(80)],
        }
    )
    source = crmkit.Database(_sqlite_source(table, tmp_path), table="sales")
    for name in ("segment", "clv", "retention", "compare_ladders"):
        pushed, fetched = (getattr(crmkit, name)(source, engine=engine) for engine in (None, "duckdb"))
        assert repr(pushed.to_dict()) == repr(fetched.to_dict()), name
