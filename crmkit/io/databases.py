"""Reading purchases from a database: a PostgreSQL or SQLite URL with a table or a query.

``crmkit segment postgresql://user@host/shop --table orders`` (or ``--query "select …"``) reads the
rows through ADBC, the Arrow project's database connectivity (``adbc-driver-postgresql``,
``adbc-driver-sqlite``: the ``crmkit[db]`` extra): the result arrives as one Arrow table, typed
by the database (dates as dates, numbers as numbers), and is cleaned by exactly the rules of a
file export — the same column detection, returns and cancellations — as any table handed to
:func:`crmkit.io.purchases.read_purchases`.

Credentials come from the URL, libpq's environment (``PGPASSWORD``, ``PGUSER``, ``PGHOST``, …) or a
``~/.pgpass`` file; a password is never printed: messages name the URL without it. An unreachable
server, refused credentials or a missing table is one :class:`~crmkit.errors.InputError` line
(exit 3).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from crmkit.errors import InputError, UsageError

__all__ = ["SCHEMES", "Database", "as_database", "engine_source", "is_database_url", "read_database", "redact"]

#: URL schemes read as databases, and the ADBC driver module of each.
SCHEMES = {
    "postgresql": "adbc_driver_postgresql",
    "postgres": "adbc_driver_postgresql",
    "sqlite": "adbc_driver_sqlite",
}

# a part of schema.table: one in double quotes as it is, any other quoted with its quotes doubled
_IDENTIFIER_PART = re.compile(r'"(?:[^"]|"")+"(?=\.|$)|[^.]+')


def is_database_url(value) -> bool:
    """Whether ``value`` is a URL of a database crmkit reads (``postgresql://``, ``sqlite:///``)."""
    return isinstance(value, str) and value.split("://", 1)[0].lower() in SCHEMES and "://" in value


def redact(url: str) -> str:
    """The URL without its password (for messages).

    Examples
    --------
    >>> redact("postgresql://ann:s3cret@db.example:5433/shop")
    'postgresql://ann@db.example:5433/shop'
    >>> redact("sqlite:///orders.db")
    'sqlite:///orders.db'
    >>> redact("postgresql://ann@db/shop?sslmode=require&password=s3cret")
    'postgresql://ann@db/shop?sslmode=require&password=***'
    """
    parts = urlsplit(url)
    query = re.sub(r"(?i)(^|&)(password|sslpassword)=[^&]*", r"\1\2=***", parts.query)
    if parts.password is None:
        return urlunsplit(parts._replace(query=query)) if query != parts.query else url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


@dataclass(frozen=True)
class Database:
    """Purchases in a database: its URL and the table or query that gives the rows.

    Parameters
    ----------
    url : str
        ``postgresql://[user[:password]@]host[:port]/dbname`` or ``sqlite:///path/to/file.db``.
    table : str, optional
        A table or view, ``name`` or ``schema.name``, named as in SQL: a plain name's case is
        folded by the database (``Orders`` is ``orders`` in PostgreSQL), a part in double quotes
        is taken as it is, and any other part is quoted.
    query : str, optional
        A SELECT whose rows are the purchases. Exactly one of ``table`` and ``query``.

    Examples
    --------
    >>> Database("sqlite:///shop.db", table="sales.orders").sql
    'SELECT * FROM sales.orders'
    >>> Database("sqlite:///shop.db", table="my orders").sql
    'SELECT * FROM "my orders"'
    """

    url: str
    table: str | None = None
    query: str | None = None

    def __repr__(self) -> str:  # a password stays out of logs and tracebacks
        what = f"table={self.table!r}" if self.table is not None else f"query={self.query!r}"
        return f"Database({redact(self.url)!r}, {what})"

    def __post_init__(self) -> None:
        if not is_database_url(self.url):
            raise UsageError(f"not a database URL: {redact(str(self.url))!r} (postgresql://… or sqlite:///…)")
        if (self.table is None) == (self.query is None):
            raise UsageError(
                f'{redact(self.url)}: name the rows to read: --table NAME or --query "SELECT …" (one of them)'
            )

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0].lower()

    @property
    def display(self) -> str:
        """How messages name the source: the URL without its password, and the table."""
        return f"{redact(self.url)} ({self.table})" if self.table else f"{redact(self.url)} (query)"

    @property
    def sql(self) -> str:
        if self.query is not None:
            # typed as in psql, with a closing semicolon: the drivers wrap the query (COPY, a subquery)
            # and a newline, so that a closing "-- comment" does not swallow the wrapping parenthesis
            return self.query.strip().rstrip(";").rstrip() + "\n"
        assert self.table is not None
        parts = _IDENTIFIER_PART.findall(self.table)
        if not parts or ".".join(parts) != self.table:
            raise UsageError(f"--table: not a table name: {self.table!r}")
        return "SELECT * FROM " + ".".join(_identifier(part) for part in parts)


def _identifier(part: str) -> str:
    """One part of a table name as SQL: a plain name as it is (the database folds its case, as in
    ``SELECT * FROM Orders``), a quoted one as it is, anything else quoted (no injection)."""
    if _PLAIN.fullmatch(part) or (len(part) > 1 and part.startswith('"') and part.endswith('"')):
        return part
    return '"' + part.replace('"', '""') + '"'


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def as_database(source, table: str | None, query: str | None):
    """``source`` as a :class:`Database` when it is a database URL (with ``--table``/``--query``).

    A table or query with a source that is not a database URL is a usage error, so that
    ``--table`` on a CSV file is not silently ignored.
    """
    if isinstance(source, Database):
        return source
    if is_database_url(source):
        return Database(source, table=table, query=query)
    if table is not None or query is not None:
        flag = "--table" if table is not None else "--query"
        raise UsageError(f"{flag} is for a database source (postgresql://… or sqlite:///…), not {source!r}")
    return source


def engine_source(source, options):
    """``source`` as the reader opens it under ``options``' ``engine``, ``table`` and ``query``.

    A database URL becomes a :class:`Database`; with ``engine="spark"`` any name or path becomes a
    :class:`crmkit.io.spark.SparkSource`; ``engine="db"`` without a database URL is a usage error.
    """
    if options.engine == "spark":
        from crmkit.io.spark import SparkSource

        if isinstance(source, Database) or is_database_url(source):
            raise UsageError("--engine spark reads a Spark table or Parquet path; a database URL runs in its database")

        return source if isinstance(source, SparkSource) else SparkSource(os.fspath(source), options.spark_master)
    source = as_database(source, options.table, options.query)
    if options.engine == "db" and not isinstance(source, Database):
        raise UsageError(f"--engine db needs a database URL (postgresql://… or sqlite:///…), not {source!r}")
    return source


def _connect(database: Database):
    module = SCHEMES[database.scheme]
    try:
        driver = __import__(f"{module}.dbapi", fromlist=["connect"])
    except ImportError:
        raise InputError(
            f"reading {database.scheme} needs the {module.replace('_', '-')} package",
            file=database.display,
            hint='pip install "crmkit[db]"',
        ) from None
    if database.scheme == "sqlite":
        path = database.url.split("://", 1)[1]
        path = path[1:] if path.startswith("/") else path  # sqlite:///rel.db, sqlite:////abs.db
        path = os.path.expanduser(path)
        if not os.path.isfile(path):
            # the driver would create an empty database instead of saying it is missing
            raise InputError("no such database file", file=database.display)
        return driver.connect(path)
    # libpq understands postgres:// and postgresql:// URIs, PG* variables and ~/.pgpass
    return driver.connect(database.url)


def _reason(exc: Exception) -> str:
    """The driver's message, first line, without the URL's password."""
    if "canceling statement due to user request" in str(exc):
        raise KeyboardInterrupt  # libpq cancels the query on Ctrl-C: it is an interruption, exit 130
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # ADBC prefixes its status and the library: "IO: [libpq] Failed to connect: …"
    text = re.sub(r"^[A-Za-z_]+:\s*(\[[^\]]*\]\s*)?", "", text) or text
    return re.sub(r"(://[^:/@\s]+):[^@\s]*@", r"\1@", text)


def open_connection(database: Database):
    """An ADBC connection to ``database`` (close it after use).

    Raises
    ------
    crmkit.errors.InputError
        The driver is missing, the server cannot be reached or the credentials are refused.
    """
    try:
        return _connect(database)
    except InputError:
        raise
    except Exception as exc:  # the drivers' OperationalError, ProgrammingError, …
        raise InputError(f"cannot connect: {_reason(exc)}", file=database.display) from None


def fetch_arrow(connection, sql: str, database: Database):
    """The rows of ``sql`` on an :func:`open_connection` as a pyarrow Table (InputError when it fails)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetch_arrow_table()
    except Exception as exc:
        raise InputError(f"cannot read: {_reason(exc)}", file=database.display) from None


def close(connection) -> None:
    try:
        connection.close()
    except Exception:  # a broken connection has nothing left to close
        pass


def read_database(database: Database):
    """The rows of ``database``'s table or query as a pyarrow Table.

    Raises
    ------
    crmkit.errors.InputError
        The driver is missing, the server cannot be reached, the credentials are refused, or the
        table or query fails (named, without the password).
    """
    connection = open_connection(database)
    try:
        return _as_read(fetch_arrow(connection, database.sql, database))
    finally:
        close(connection)


def postgres_type(field) -> str | None:
    """The PostgreSQL type ADBC records in a result field's metadata (``money``, ``bpchar``, …)."""
    return (field.metadata or {}).get(b"POSTGRESQL:type", b"").decode() or None


def _as_read(table):
    """PostgreSQL values as the reader takes them: ``money`` arrives as integer cents (as its wire
    format), ``char(n)`` padded with spaces; turned into the amount and the text they show."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        kind = postgres_type(field)
        if kind == "money":  # lc_monetary's two decimals, the usual setting
            table = table.set_column(i, field.name, pc.divide(table.column(i).cast(pa.float64()), 100.0))
        elif kind == "bpchar":
            table = table.set_column(i, field.name, pc.utf8_rtrim(table.column(i), characters=" "))
    return table
