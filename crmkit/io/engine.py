"""DuckDB, the engine under every table crmkit computes.

Cleaning, per-customer aggregation, scoring and segmentation run as DuckDB queries: multi-
threaded, streaming, and without importing pandas until a caller asks for a DataFrame (pandas
alone takes longer to import than DuckDB takes to segment a 100,000-row file).
"""

from __future__ import annotations

import itertools
import tempfile
import threading

_names = itertools.count(1)


def unique_name(prefix: str) -> str:
    """A fresh table name: results keep reading their own tables when a model runs twice on one connection."""
    return f"{prefix}_{next(_names)}"


def connect():
    """A fresh in-memory DuckDB connection that spills to the temp folder instead of failing."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET temp_directory = {sql_literal(tempfile.gettempdir() + '/crmkit-duckdb')}")
    # Tables keep insertion order, so a staged table's rowid is the input record number...
    con.execute("SET preserve_insertion_order = true")
    # ...which DuckDB's in_clause optimizer breaks: it turns a long IN list (or list_contains on
    # a constant list) into a join that emits rows out of order on multi-threaded scans.
    con.execute("SET disabled_optimizers = 'in_clause'")
    return con


_scratch_database = None
_scratch_lock = threading.Lock()


def scratch():
    """A cheap connection for small in-memory computations (the scores of a few values, a rule grid).

    Opening an in-memory database costs about 10 ms, a cursor on a shared one about 1 ms, and the
    score helpers run thousands of times in a test suite or a loop. Cursors do not see each other's
    registered frames, so callers stay isolated; close the cursor after use.
    """
    global _scratch_database
    with _scratch_lock:
        if _scratch_database is None:
            _scratch_database = connect()
        return _scratch_database.cursor()


def sql_literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def quote(name: str) -> str:
    """A SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


class Frame:
    """A query result held in DuckDB, turned into pandas only on request.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    sql : str
        A SELECT, or the name of a table in ``con``.
    date_columns : tuple of str
        DATE columns to hand to pandas as ``datetime64[s]``.
    """

    def __init__(self, con, sql: str, date_columns=()):
        self.con = con
        self.sql = sql if sql.lstrip().upper().startswith(("SELECT", "WITH", "FROM")) else f"SELECT * FROM {sql}"
        self.date_columns = tuple(date_columns)
        self._df = None

    @property
    def columns(self) -> list[str]:
        return [c[0] for c in self.con.sql(f"DESCRIBE {self.sql}").fetchall()]

    def df(self):
        """The rows as a pandas DataFrame (cached)."""
        if self._df is None:
            frame = self.con.sql(self.sql).df()
            for col in self.date_columns:
                if col in frame.columns:
                    frame[col] = frame[col].astype("datetime64[s]")
            self._df = frame
        return self._df


def attach(data, name: str = "_input"):
    """A connection and a table expression for transactions given in any supported form.

    ``data`` may be a :class:`crmkit.io.purchases.PurchaseData` or a :class:`Frame` (queried in their
    own connection, no copy), or a pandas DataFrame / pyarrow Table (registered in a new one).
    """
    if hasattr(data, "con") and hasattr(data, "sql"):
        return data.con, f"({data.sql})"
    con = connect()
    con.register(name, data)
    return con, name


def columns_of(con, source: str) -> list[str]:
    """The column names of a table expression in ``con``."""
    return [row[0] for row in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()]


def records(table) -> list[dict]:
    """Rows of a DataFrame (or :class:`Frame`) as JSON-ready dicts, the way the CLI writes them as json.

    Missing values become ``None``, timestamps and dates ISO dates (every date crmkit reports is a
    calendar day), numpy scalars plain Python numbers.
    """
    import pandas as pd

    frame = table.df() if isinstance(table, Frame) else table
    frame = frame.copy()
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            frame[name] = column.dt.strftime("%Y-%m-%d")
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(key): _plain(value) for key, value in row.items()} for row in rows]


def _plain(value):
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value
