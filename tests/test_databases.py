"""Purchases from a database or a Parquet dataset give the same outputs as the CSV they hold (issue 11).

PostgreSQL is a real server (Debian's package): ``CRMKIT_TEST_POSTGRES`` names one (``.ci/run``
starts it), else the tests start their own with ``scripts/test-postgres.sh``, else they skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from contracts import typed_sales, write_lake
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.errors import InputError, UsageError
from crmkit.io.databases import Database, as_database, redact

pa = pytest.importorskip("pyarrow")
pg = pytest.importorskip("adbc_driver_postgresql.dbapi", reason="adbc-driver-postgresql is not installed")
sqlite = pytest.importorskip("adbc_driver_sqlite.dbapi", reason="adbc-driver-sqlite is not installed")

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
SALES = ROOT / "examples" / "sales.csv"
#: Each command as the tests run it: the per-customer rows as csv on stdout.
COMMANDS = {
    "segment": ["segment", "{src}", "-f", "csv", "-q"],
    "clv": ["clv", "{src}", "-f", "csv", "-q"],
    "retention": ["retention", "{src}", "-f", "csv", "-q"],
    "ladder": ["ladder", "{src}", "-f", "csv", "-q"],
}


def _run(args: list[str], src: str, *extra: str):
    return runner.invoke(app, [a.format(src=src) for a in args] + list(extra))


@pytest.fixture(scope="module")
def csv_outputs():
    """What every command writes from the CSV file: the reference."""
    outputs = {}
    for name, args in COMMANDS.items():
        result = _run(args, str(SALES))
        assert result.exit_code == 0, result.stderr
        outputs[name] = result.stdout
    return outputs


@pytest.fixture(scope="module")
def postgres_url():
    url = os.environ.get("CRMKIT_TEST_POSTGRES")
    folder = None
    # CI (.ci/run) starts a server and requires these tests to run: there a skip is a failure
    skip = pytest.fail if os.environ.get("CRMKIT_REQUIRE_POSTGRES") else pytest.skip
    if not url:
        if not (shutil.which("pg_ctl") or list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))):
            skip("no PostgreSQL server binaries (Debian: apt-get install postgresql)")
        if os.geteuid() == 0 and not shutil.which("runuser"):
            skip("as root the test server needs runuser to run as the postgres user")
        started = subprocess.run(
            ["bash", str(ROOT / "scripts" / "test-postgres.sh"), "start"], capture_output=True, text=True
        )
        if started.returncode != 0:
            skip(f"could not start a PostgreSQL server: {started.stderr.strip()[-300:]}")
        url, folder = started.stdout.split()
    with pg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA IF NOT EXISTS "shop"')
        cursor.adbc_ingest("sales", typed_sales(), mode="replace")
        cursor.adbc_ingest("orders", typed_sales(), mode="replace", db_schema_name="shop")
        connection.commit()
    yield url
    if folder:
        subprocess.run(["bash", str(ROOT / "scripts" / "test-postgres.sh"), "stop", folder], check=False)


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "shop.db"
    with sqlite.connect(str(path)) as connection, connection.cursor() as cursor:
        # SQLite has no DECIMAL or DATE: money arrives as REAL, dates as ISO text, as in real SQLite shops
        table = typed_sales()
        table = table.set_column(table.schema.get_field_index("amount"), "amount", table["amount"].cast(pa.float64()))
        table = table.set_column(
            table.schema.get_field_index("unit_price"), "unit_price", table["unit_price"].cast(pa.float64())
        )
        table = table.set_column(
            table.schema.get_field_index("order_date"), "order_date", table["order_date"].cast(pa.string())
        )
        cursor.adbc_ingest("sales", table, mode="replace")
        connection.commit()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def parquet_folder(tmp_path_factory):
    return write_lake(tmp_path_factory.mktemp("lake") / "orders")


# --- the same outputs from every source ------------------------------------------------------------
@pytest.mark.parametrize("command", COMMANDS)
def test_postgresql_gives_what_the_csv_gives(postgres_url, csv_outputs, command):
    result = _run(COMMANDS[command], postgres_url, "--table", "sales")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == csv_outputs[command]


@pytest.mark.parametrize("command", COMMANDS)
def test_sqlite_gives_what_the_csv_gives(sqlite_url, csv_outputs, command):
    result = _run(COMMANDS[command], sqlite_url, "--table", "sales")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == csv_outputs[command]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_parquet_dataset_gives_what_the_csv_gives(parquet_folder, csv_outputs, command):
    for source in (str(parquet_folder), str(parquet_folder / "year=*" / "*.parquet")):
        result = _run(COMMANDS[command], source)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == csv_outputs[command], source


def test_a_query_and_a_schema_qualified_table(postgres_url, csv_outputs):
    shop = _run(COMMANDS["segment"], postgres_url, "--table", "Shop.Orders")  # folded, as in SQL
    assert shop.exit_code == 0, shop.stderr
    assert shop.stdout == csv_outputs["segment"]
    query = "SELECT customer_id, order_date, amount, status FROM sales WHERE order_date < DATE '2024-01-01'"
    part = _run(["segment", "{src}", "-f", "csv"], postgres_url, "--query", query)
    assert part.exit_code == 0, part.stderr
    assert "2023-12-31" in part.stderr  # the analysis date is the last purchase the query kept
    assert part.stdout.count("\n") < csv_outputs["segment"].count("\n")


def test_the_read_line_names_the_source_without_the_password(postgres_url):
    result = _run(["segment", "{src}", "-f", "csv"], postgres_url, "--table", "sales")
    assert result.exit_code == 0 and "crmkit-test" not in result.stderr
    assert redact(postgres_url) in result.stderr


def test_the_monthly_report_reads_a_database_from_its_config(postgres_url, tmp_path):
    import openpyxl

    config = tmp_path / "crmkit.toml"
    config.write_text(f'sales = "{postgres_url}"\ntable = "sales"\noutput = "crm-{{mm}}.xlsx"\n')
    result = runner.invoke(app, ["report", "--config", str(config), "-q"])
    assert result.exit_code == 0, result.stderr
    overview = openpyxl.load_workbook(tmp_path / "crm-12.xlsx")["Overview"]
    values = {row[0]: row[1] for row in overview.iter_rows(values_only=True) if row[0]}
    assert values["Customers to date"] == 5000


def test_a_relative_sqlite_path_in_the_config_is_the_configs(sqlite_url, tmp_path):
    shutil.copy(sqlite_url.removeprefix("sqlite:///"), tmp_path / "shop.db")
    (tmp_path / "crmkit.toml").write_text('sales = "sqlite:///shop.db"\ntable = "sales"\noutput = "m.xlsx"\n')
    result = runner.invoke(app, ["report", "--config", str(tmp_path / "crmkit.toml"), "-q"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "m.xlsx").is_file()


# --- what goes wrong, said in one line ---------------------------------------------------------------
def _one_error(result, code: int) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crmkit: error:") and "Traceback" not in result.stderr
    return lines[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_server_is_an_input_error():
    url = f"postgresql://ann:s3cret@127.0.0.1:{_free_port()}/shop"
    line = _one_error(_run(COMMANDS["segment"], url, "--table", "sales"), 3)
    assert "cannot connect" in line and "s3cret" not in line and "postgresql://ann@127.0.0.1" in line


def test_refused_credentials_and_a_missing_table(postgres_url):
    wrong = postgres_url.replace(":crmkit-test@", ":wrong@")
    line = _one_error(_run(COMMANDS["segment"], wrong, "--table", "sales"), 3)
    assert "cannot connect" in line and "wrong" not in line and "crmkit-test" not in line
    line = _one_error(_run(COMMANDS["segment"], postgres_url, "--table", "no_such_table"), 3)
    assert "cannot read" in line and "no_such_table" in line and "crmkit-test" not in line


def test_the_password_may_come_from_the_environment(postgres_url, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "crmkit-test")
    result = _run(COMMANDS["segment"], postgres_url.replace(":crmkit-test@", "@"), "--table", "sales")
    assert result.exit_code == 0, result.stderr


def test_usage_errors_before_anything_is_read(tmp_path, sqlite_url):
    line = _one_error(_run(COMMANDS["segment"], sqlite_url), 2)
    assert "--table NAME or --query" in line
    line = _one_error(_run(COMMANDS["segment"], str(SALES), "--table", "sales"), 2)
    assert "--table is for a database source" in line
    line = _one_error(_run(COMMANDS["segment"], sqlite_url, "--table", "sales", "--query", "select 1"), 2)
    assert "one of them" in line
    line = _one_error(_run(COMMANDS["segment"], f"sqlite:///{tmp_path}/missing.db", "--table", "sales"), 3)
    assert "no such database file" in line
    assert not (tmp_path / "missing.db").exists()  # the driver would have created it
    empty = tmp_path / "empty"
    empty.mkdir()
    line = _one_error(_run(COMMANDS["segment"], str(empty)), 3)
    assert "is a directory" in line
    line = _one_error(_run(COMMANDS["segment"], str(tmp_path / "lake" / "*.parquet")), 3)
    assert "no file matches" in line


def test_a_missing_driver_says_what_to_install(monkeypatch, sqlite_url):
    import builtins

    real = builtins.__import__

    def without_driver(name, *args, **kwargs):
        if name.startswith("adbc_driver_sqlite"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_driver)
    with pytest.raises(InputError, match=r"adbc-driver-sqlite.*crmkit\[db\]"):
        from crmkit.io.databases import read_database

        read_database(Database(sqlite_url, table="sales"))


def test_table_names_are_quoted_and_checked():
    assert Database("sqlite:///x.db", table='odd "name"').sql == 'SELECT * FROM "odd ""name"""'
    assert Database("sqlite:///x.db", table='"Mixed".Case').sql == 'SELECT * FROM "Mixed".Case'
    assert Database("sqlite:///x.db", table="x; DROP TABLE y").sql == 'SELECT * FROM "x; DROP TABLE y"'
    for bad in ("", "a..b", "."):
        with pytest.raises(UsageError):
            _ = Database("sqlite:///x.db", table=bad).sql
    assert as_database("sales.csv", None, None) == "sales.csv"
    with pytest.raises(UsageError, match="--query is for a database source"):
        as_database("sales.csv", None, "select 1")


def test_the_python_api_takes_a_database(sqlite_url):
    import crmkit

    from_database = crmkit.segment(crmkit.Database(sqlite_url, table="sales"))
    from_file = crmkit.segment(str(SALES))
    assert from_database.to_dict() == from_file.to_dict()
    data = crmkit.read_purchases(sqlite_url, options=crmkit.ReadOptions(table="sales"))
    assert data.quality.file_format == "sqlite"
    assert data.quality.rows_used == crmkit.read_purchases(str(SALES)).quality.rows_used


# --- PostgreSQL's own types, and what a first user tried (issue 11, second part) ---------------------
def _sql(url: str, *statements: str) -> None:
    with pg.connect(url) as connection, connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        connection.commit()


PG_TYPES = {
    # money arrives as integer cents, real as a float4, char(n) padded, uuid as 16 bytes
    "money": "order_id, customer_id, order_date, amount::money AS amount, status",
    "real": "order_id, customer_id, order_date, amount::real AS amount, status",
    "bpchar": "order_id::char(12) AS order_id, customer_id::char(8) AS customer_id, order_date, amount, status",
}


@pytest.mark.parametrize("kind", PG_TYPES)
def test_postgresql_types_give_the_csv_numbers(postgres_url, kind):
    _sql(
        postgres_url,
        f"DROP TABLE IF EXISTS sales_{kind}",
        f"CREATE TABLE sales_{kind} AS SELECT {PG_TYPES[kind]} FROM sales",
    )
    csv = runner.invoke(app, ["segment", str(SALES), "-f", "csv", "-q"])
    for engine in ("db", "duckdb"):
        result = _run(
            ["segment", "{src}", "-f", "csv", "-q"], postgres_url, "--table", f"sales_{kind}", "--engine", engine
        )
        assert result.exit_code == 0, result.stderr
        assert result.stdout == csv.stdout, (kind, engine)


def test_half_millionths_and_uuid_ids_agree_across_engines(postgres_url):
    _sql(
        postgres_url,
        "DROP TABLE IF EXISTS odd",
        "CREATE TABLE odd AS SELECT md5(customer_id)::uuid AS customer_id, order_date,"
        " (amount + 0.0000005)::double precision AS amount FROM sales",
    )
    outputs = []
    for engine in ("db", "duckdb"):
        result = _run(["segment", "{src}", "-f", "csv", "-q"], postgres_url, "--table", "odd", "--engine", engine)
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") == 5001


def test_a_query_ending_in_a_comment_and_a_password_in_the_query_string(postgres_url):
    result = _run(["segment", "{src}", "-f", "csv"], postgres_url, "--query", "SELECT * FROM sales -- all of it")
    assert result.exit_code == 0, result.stderr
    user, rest = postgres_url.split("://", 1)[1].split("@", 1)
    name, password = user.split(":")
    url = f"postgresql://{name}@{rest}?password={password}"
    result = _run(["segment", "{src}", "-f", "csv"], url, "--table", "sales")
    assert result.exit_code == 0, result.stderr
    assert password not in result.stderr and "password=***" in result.stderr
    assert password not in repr(Database(postgres_url, table="sales"))
    result = _run(["segment", "{src}", "-f", "csv"], postgres_url, "--table", "sales", "--engine", "spark")
    assert result.exit_code == 2 and "a database URL runs in its database" in result.stderr
