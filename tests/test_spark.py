"""Purchases read by Spark give the same results as the CSV they hold (issue 11).

Spark runs in local mode (``spark_session`` in conftest.py: skipped without pyspark or Java, a
failure under ``CRMKIT_REQUIRE_SPARK=1`` as in ``.ci/run``). The examples' sales go into a Spark
temporary view (typed as a warehouse holds them, and as the export's text) and into a
Hive-partitioned Parquet folder; every analysis must give what it gives from the CSV file, with the
rows crossing from Spark as Arrow, never pandas.
"""

from __future__ import annotations

import builtins
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from contracts import typed_sales, write_lake

import crmkit
from crmkit.errors import InputError, UsageError
from crmkit.io.spark import SparkSource, from_arrow, run_sql, schema, session, to_arrow

pa = pytest.importorskip("pyarrow")
ROOT = Path(__file__).resolve().parents[1]
SALES = ROOT / "examples" / "sales.csv"
ANALYSES = ("segment", "clv", "retention", "ladder")


def _text_sales():
    """The export as it is: every column text, so crmkit's cleaning of dates and amounts runs."""
    from pyarrow import csv

    names = csv.read_csv(SALES).column_names
    return csv.read_csv(SALES, convert_options=csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())))


def _outputs(source) -> dict[str, str]:
    """Each analysis's per-customer rows as CSV text and its whole result, from one reading."""
    data = crmkit.read_purchases(source)
    outputs = {}
    for name in ANALYSES:
        result = getattr(crmkit, name)(data)
        outputs[name] = result.customers.to_csv(index=False) if name != "ladder" else result.people.to_csv(index=False)
        outputs[name + " (all)"] = repr(result.to_dict())
    return outputs


@pytest.fixture(scope="module")
def csv_outputs():
    return _outputs(str(SALES))


@pytest.fixture(scope="module")
def views(spark_session):
    from_arrow(typed_sales()).createOrReplaceTempView("sales")
    from_arrow(_text_sales()).createOrReplaceTempView("sales_text")
    spark_session.sql("CREATE DATABASE IF NOT EXISTS shop")
    return spark_session


@pytest.fixture(scope="module")
def parquet_folder(tmp_path_factory):
    return write_lake(tmp_path_factory.mktemp("lake") / "orders")


# --- the same results from every Spark source --------------------------------------------------------
@pytest.mark.parametrize("name", ["sales", "sales_text"])
def test_a_spark_view_gives_what_the_csv_gives(views, csv_outputs, name):
    outputs = _outputs(SparkSource(name))
    for analysis in csv_outputs:
        assert outputs[analysis] == csv_outputs[analysis], (name, analysis)


def test_a_parquet_dataset_read_by_spark_gives_what_the_csv_gives(spark_session, parquet_folder, csv_outputs):
    for path in (str(parquet_folder), str(parquet_folder / "year=*" / "*.parquet")):
        outputs = _outputs(SparkSource(path))
        for analysis in csv_outputs:
            assert outputs[analysis] == csv_outputs[analysis], (path, analysis)


def test_the_analyses_take_a_spark_source_directly(views, csv_outputs):
    assert crmkit.segment(SparkSource("sales")).customers.to_csv(index=False) == csv_outputs["segment"]
    data = crmkit.read_purchases(SparkSource("sales"))
    assert data.quality.file_format == "spark"
    assert data.quality.rows_used == crmkit.read_purchases(str(SALES)).quality.rows_used
    assert SparkSource("sales").display == "spark table sales"


def test_the_partition_columns_and_types_survive(spark_session, parquet_folder):
    for path in (str(parquet_folder), str(parquet_folder / "year=*" / "*.parquet")):
        columns = schema(SparkSource(path))
        assert columns.field("year").type == pa.int32(), path  # the partition folder, kept for a glob too
        assert columns.field("order_date").type == pa.date32()
        assert columns.field("amount").type == pa.decimal128(12, 2)
    table = to_arrow(spark_session.read.parquet(str(parquet_folder)))
    assert table.num_rows == typed_sales().num_rows
    assert sorted(set(table["year"].to_pylist())) == [2023, 2024]


def test_rows_cross_as_arrow_never_pandas(views, monkeypatch):
    import pyspark.sql
    import pyspark.sql.classic.dataframe

    def no_pandas(*args, **kwargs):
        raise AssertionError("toPandas called")

    monkeypatch.setattr(pyspark.sql.DataFrame, "toPandas", no_pandas)
    monkeypatch.setattr(pyspark.sql.classic.dataframe.DataFrame, "toPandas", no_pandas)
    table = to_arrow(views.table("sales"))
    assert isinstance(table, pa.Table) and table.num_rows == typed_sales().num_rows
    assert table.schema.field("amount").type == pa.decimal128(12, 2)
    assert crmkit.read_purchases(SparkSource("sales")).quality.rows_used > 0


def test_run_sql_registers_views_and_returns_arrow(views):
    import duckdb

    sales = typed_sales()
    query = "SELECT customer_id, count(*) AS n, sum(amount) AS total FROM {} GROUP BY customer_id ORDER BY customer_id"
    on_spark = run_sql(query.format("orders_view"), {"orders_view": views.table("sales")})
    in_duckdb = duckdb.sql(query.format("sales")).to_arrow_table()
    assert on_spark["customer_id"].to_pylist() == in_duckdb["customer_id"].to_pylist()
    assert on_spark["n"].to_pylist() == in_duckdb["n"].to_pylist()
    assert [str(v) for v in on_spark["total"].to_pylist()] == [str(v) for v in in_duckdb["total"].to_pylist()]
    from_table = run_sql("SELECT count(DISTINCT customer_id) AS c FROM t", {"t": sales})
    assert from_table["c"].to_pylist() == [5000]


def test_the_session_is_one_and_set_for_local_work(spark_session):
    assert session() is spark_session
    conf = spark_session.conf
    assert conf.get("spark.sql.session.timeZone") == "UTC"
    assert conf.get("spark.ui.enabled") == "false"
    assert int(conf.get("spark.sql.shuffle.partitions")) == 4 * (os.cpu_count() or 1)
    assert spark_session.sparkContext.master == f"local[{os.cpu_count() or 1}]"


@pytest.mark.slow
def test_a_run_prints_nothing_but_its_own_lines(tmp_path, parquet_folder):
    script = (
        "import crmkit; from crmkit.io.spark import SparkSource, run_sql, schema; "
        "print(run_sql('SELECT 41 + 1 AS x')['x'].to_pylist()); "
        f"print(len(schema(SparkSource({str(parquet_folder)!r})))); "
        f"print(crmkit.read_purchases(SparkSource({str(parquet_folder)!r})).quality.rows_used)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SPARK_REMOTE", None)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    rows = crmkit.read_purchases(str(SALES)).quality.rows_used
    assert (done.stdout, done.stderr) == (f"[42]\n10\n{rows}\n", "")  # no log4j, JVM or pyspark warning lines


# --- what goes wrong, said in one line ---------------------------------------------------------------
def _one_line(error) -> str:
    text = str(error.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_missing_table_or_path(spark_session, tmp_path):
    with pytest.raises(InputError) as error:
        crmkit.read_purchases(SparkSource("no_such_table"))
    assert _one_line(error) == "spark table no_such_table: no such Spark table or view"
    with pytest.raises(InputError) as error:
        crmkit.segment(SparkSource("shop.no_such_table"))
    assert "shop.no_such_table" in _one_line(error) and error.value.exit_code == 3
    missing = str(tmp_path / "lake" / "orders")
    with pytest.raises(InputError) as error:
        crmkit.read_purchases(SparkSource(missing))
    assert _one_line(error) == f"{missing}: no such path"
    with pytest.raises(InputError) as error:
        crmkit.read_purchases(SparkSource(str(tmp_path / "lake" / "year=*" / "*.parquet")))
    assert _one_line(error).endswith("no such path")


def test_an_export_is_for_duckdb(tmp_path):
    for path in (str(SALES), "s3a://bucket/exports/sales.csv.gz"):
        with pytest.raises(UsageError) as error:
            crmkit.read_purchases(SparkSource(path))
        assert "drop --engine spark" in _one_line(error) and error.value.exit_code == 2


def test_an_unreachable_master_fails_fast(spark_session):
    for master in (f"spark://127.0.0.1:{_free_port()}", f"sc://127.0.0.1:{_free_port()}/;token=s3cret"):
        started = time.monotonic()
        with pytest.raises(InputError) as error:
            crmkit.read_purchases(SparkSource("sales", master=master))
        line = _one_line(error)
        assert "cannot reach the Spark master" in line and "s3cret" not in line, line
        assert time.monotonic() - started < 10
    assert session() is spark_session  # the working session was not stopped for them


def test_without_pyspark_the_engine_says_what_to_install(monkeypatch):
    real = builtins.__import__

    def without_pyspark(name, *args, **kwargs):
        if name == "pyspark" or name.startswith("pyspark."):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_pyspark)
    for call in (lambda: crmkit.read_purchases(SparkSource("sales")), lambda: run_sql("SELECT 1")):
        with pytest.raises(UsageError) as error:
            call()
        assert _one_line(error) == "the Spark engine needs pyspark: pip install 'crmkit[spark]'"


def test_without_java_spark_says_what_to_install(monkeypatch):
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    from crmkit.io import spark

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark.shutil, "which", lambda name: None)
    monkeypatch.setattr(spark, "_STATE", {})  # no session yet in this simulated process
    with pytest.raises(InputError) as error:
        spark.session()
    assert "openjdk-17-jre-headless" in _one_line(error) and error.value.exit_code == 3


def test_table_names_and_paths():
    assert SparkSource("lake.orders").is_table and SparkSource("_x1").is_table
    for path in ("orders/", "s3a://lake/orders", "hdfs:///lake/orders/*.parquet", "1orders", "lake..orders"):
        assert not SparkSource(path).is_table, path
    assert not SparkSource(str(SALES.parent)).is_table
    assert SparkSource("sc://h:15002/;token=abc").display == "sc://h:15002/;token=***"


# --- the aggregation pushed down to Spark (crmkit.pushdown) -----------------------------------------
@pytest.mark.slow
def test_the_aggregation_runs_in_spark_and_gives_the_csv_bytes(spark_session, views, parquet_folder):
    """segment and clv with --engine spark: only per-customer rows come back, the bytes are the CSV's."""
    from typer.testing import CliRunner

    from crmkit.cli import app

    runner = CliRunner()
    for command in ("segment", "clv", "retention", "ladder"):
        expected = runner.invoke(app, [command, str(SALES), "-f", "csv", "-q"])
        assert expected.exit_code == 0, expected.stderr
        for source in (str(parquet_folder), "sales"):
            result = runner.invoke(app, [command, source, "--engine", "spark", "-f", "csv"])
            assert result.exit_code == 0, result.stderr
            assert "(aggregated in spark)" in result.stderr
            assert result.stdout == expected.stdout, (command, source)


def test_a_spark_source_is_pushed_down_by_the_api(views):
    from crmkit.pushdown import PushedDown, push_down

    pushed = push_down(SparkSource("sales"))
    assert isinstance(pushed, PushedDown) and pushed.quality.aggregated_in == "spark"
    assert push_down(SparkSource("sales_text")) is None  # text dates and amounts: the reader cleans them
