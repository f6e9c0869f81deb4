"""DuckDB, the engine under every table crmkit computes.

Cleaning, per-customer aggregation, scoring and segmentation run as DuckDB queries: multi-
threaded, streaming, and without importing pandas until a caller asks for a DataFrame (pandas
alone takes longer to import than DuckDB takes to segment a 100,000-row file).

Results do not depend on the thread count or the row order of the input: money is summed in
the exact type :data:`MONEY` (see :func:`money`), and every ORDER BY a result depends on ends
in a unique key. ``CRMKIT_THREADS`` (an integer) sets DuckDB's thread count, for a shared
machine or to check that the results stay the same.
"""

from __future__ import annotations

import itertools
import os
import re
import tempfile
import threading

from crmkit.errors import UsageError

_names = itertools.count(1)


def unique_name(prefix: str) -> str:
    """A fresh table name: results keep reading their own tables when a model runs twice on one connection."""
    return f"{prefix}_{next(_names)}"


#: The SQL type a transaction's amount is summed in: an exact decimal (an integer of millionths),
#: so a sum does not depend on the order DuckDB's threads add rows in, as a DOUBLE sum does (in
#: its last digits, enough to move a fitted model's parameters and make two runs differ). Costs
#: about 3% of ``crmkit segment`` on a 1M-row file, where DECIMAL(38,6) per row would cost 25%.
MONEY = "DECIMAL(18,6)"
#: The type of a total (a customer's revenue, a segment's): sums of :data:`MONEY` are this anyway.
MONEY_TOTAL = "DECIMAL(38,6)"
#: Amounts a :data:`MONEY` value holds: below this in absolute value (a trillion per row).
MONEY_LIMIT = 1e12


def money(expr: str, *, total: bool = False) -> str:
    """``expr`` (a DOUBLE amount) as an exact decimal: rounded to the millionth, exact from there on.

    Sum ``money(...)`` and turn the sum to DOUBLE at the end (``::DOUBLE``): the same rows give
    the same bits whatever their order or the thread count. A transaction amount is
    :data:`MONEY` (it must be below :data:`MONEY_LIMIT`); with ``total``, for values that are
    themselves sums (a customer's monetary value), :data:`MONEY_TOTAL`.
    """
    return f"CAST({expr} AS {MONEY_TOTAL if total else MONEY})"


def exact_mean(expr: str) -> str:
    """The mean of a column of amounts or counts, independent of row order and thread count."""
    return f"avg({money(expr, total=True)})"


def threads_setting() -> int | None:
    """DuckDB's thread count from ``CRMKIT_THREADS`` (None: DuckDB's default, one per core)."""
    text = os.environ.get("CRMKIT_THREADS", "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"CRMKIT_THREADS must be a whole number of threads (1 or more), not {text!r}")
    return int(text)


#: Share of the machine's memory (or of the process's address-space limit, when lower) DuckDB may
#: use: the rest is for Python, pandas and the XLSX reader. Beyond it DuckDB spills to the temp folder.
MEMORY_SHARE = 0.5
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)


def memory_limit() -> str:
    """DuckDB's ``memory_limit``: ``CRMKIT_MEMORY_LIMIT`` (``8GB``, ``500MB``) or :data:`MEMORY_SHARE` of memory.

    Physical memory is what DuckDB would size itself by; under ``ulimit -v`` (a container, a batch
    job) the address-space limit is lower and counts instead, so crmkit fails cleanly rather than
    being killed by an allocation that cannot be served.
    """
    text = os.environ.get("CRMKIT_MEMORY_LIMIT", "").strip()
    if text:
        if not _SIZE.match(text):
            raise UsageError(f"CRMKIT_MEMORY_LIMIT must be a size such as 8GB or 500MB, not {text!r}")
        return text.replace(" ", "")
    budget = None
    try:
        budget = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        pass
    try:
        import resource

        for which in (resource.RLIMIT_AS, getattr(resource, "RLIMIT_DATA", resource.RLIMIT_AS)):
            soft = resource.getrlimit(which)[0]
            if soft != resource.RLIM_INFINITY and soft > 0:
                budget = soft if budget is None else min(budget, soft)
    except (ImportError, OSError, ValueError):
        pass
    if not budget:
        return "80%"  # DuckDB's own default, where the machine cannot be asked
    return f"{max(int(budget * MEMORY_SHARE) >> 20, 256)}MB"


def connect():
    """A fresh in-memory DuckDB connection that spills to the temp folder instead of failing.

    Its memory is bounded by :func:`memory_limit`; a query that needs more than it can spill
    raises ``duckdb.OutOfMemoryException``, which the reading layer reports as an input error.
    """
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = {sql_literal(memory_limit())}")
    threads = threads_setting()
    if threads is not None:
        con.execute(f"SET threads = {threads}")
    con.execute(f"SET temp_directory = {sql_literal(tempfile.gettempdir() + '/crmkit-duckdb')}")
    # Tables keep insertion order, so a staged table's rowid is the input record number...
    con.execute("SET preserve_insertion_order = true")
    # ...which DuckDB's in_clause optimizer breaks: it turns a long IN list (or list_contains on
    # a constant list) into a join that emits rows out of order on multi-threaded scans.
    con.execute("SET disabled_optimizers = 'in_clause'")
    # DuckDB draws its own progress bar on stderr for a query over 2 s, even into a pipe or a log;
    # crmkit's status line (a terminal only) says what is running
    con.execute("SET enable_progress_bar = false")
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
