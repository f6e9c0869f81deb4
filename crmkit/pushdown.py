"""The per-customer aggregation run where the rows are: in PostgreSQL, SQLite or Spark.

Everything downstream of the per-customer tables (scores, segments, model fits, the workbook)
needs one row per customer, so with a database or Spark source only those rows come back:
``crmkit segment postgresql://…/shop --table orders`` runs the aggregation in PostgreSQL.

The aggregation is written once, as an `ibis <https://ibis-project.org>`_ expression, and
compiled to each engine's SQL (``postgres``, ``sqlite``, ``pyspark``; ``duckdb`` for the tests
that hold it to the native query). It computes the first stage only, in integers the engines
agree on to the last bit: occasions, first and last purchase dates, and money summed in integer
millionths (:data:`crmkit.io.engine.MONEY`'s unit). The columns from there on (doubles, day
counts, averages) are computed locally by the same SQL as a file's
(:func:`crmkit.summary.summary_from_totals_sql`, :func:`~crmkit.summary.repeat_from_totals_sql`),
so a database gives the same bytes out as the same rows in a CSV file. Tests compare results,
not SQL: transpiled SQL changes meaning between engines (``DATE - DATE`` is days in DuckDB, an
interval in Spark).

Cleaning belongs to the DuckDB reader. A typed source goes straight to its engine only when a
first query finds nothing in it that the reader would clean or refuse: ids with padding, a BOM,
a float rendering or a null word; text dates other than ``YYYY-MM-DD``; dates out of range;
amounts out of range; cancelled-invoice numbers (``C536379``); cancelled orders. Otherwise (and
for the tables that need the rows themselves: retention cohorts, the ladder's inputs, a CLV
holdout, BG/BB periods) the rows are fetched and read as an export is, which gives the same
results, only not computed in place. References: Fader, Hardie & Lee (2005) for the occasion
convention; the ibis project for the compilation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from crmkit.errors import InputError, UsageError
from crmkit.io.columns import detect_columns
from crmkit.io.databases import Database, close, engine_source, fetch_arrow, open_connection, postgres_type
from crmkit.io.engine import MONEY_LIMIT, Frame, connect, quote, unique_name
from crmkit.io.options import DATE_RANGE, ENGINES, as_date, parse_date_range
from crmkit.io.platforms import detect as detect_platform
from crmkit.io.purchases import _RETURN_STATUS, TOTAL_WORDS, read_purchases
from crmkit.io.quality import DataQuality
from crmkit.summary import _check_occasion, repeat_from_totals_sql, summary_from_totals_sql

#: Money crosses engines as integer millionths: exact in every engine's BIGINT.
MICRO = 1_000_000
#: Null spellings the reader turns to NULL (io.columns.NULL_WORDS): ids spelled so are cleaned there.
_NULL_WORDS = ("", "nan", "NaN", "NAN", "null", "NULL", "None", "none", "N/A", "n/a", "NA", "#N/A", "-", "--", "—")
#: The source table's name in the expression, replaced by the engine's table or query when compiled.
_PLACEHOLDER = "crmkit_source_0f3a9c"


def engine_for(source, engine: str | None) -> str:
    """The engine to aggregate ``source`` on: ``engine`` when given, else inferred from the source.

    A database URL or :class:`~crmkit.io.databases.Database` runs in the database (``db``), a
    :class:`~crmkit.io.spark.SparkSource` on Spark, anything else in the embedded DuckDB.
    """
    if engine is not None:
        if engine not in ENGINES:
            raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
        return engine
    from crmkit.io.databases import is_database_url

    if isinstance(source, Database) or is_database_url(source):
        return "db"
    if type(source).__name__ == "SparkSource":
        return "spark"
    return "duckdb"


# --- engines: a compiled query in, an Arrow table out ------------------------------------------


class _DatabaseEngine:
    """PostgreSQL or SQLite through ADBC (:mod:`crmkit.io.databases`)."""

    def __init__(self, database: Database):
        self.database = database
        self.display = database.display
        self.file_format = database.scheme
        self.dialect = "sqlite" if database.scheme == "sqlite" else "postgres"
        self.connection = open_connection(database)

    def source_sql(self) -> str:
        return f"({self.database.sql})"

    def schema(self):
        # SQLite's columns have no types: the driver takes them from the values of the first rows
        rows = 1000 if self.dialect == "sqlite" else 0
        sql = f"SELECT * FROM ({self.database.sql}) AS s LIMIT {rows}"
        return fetch_arrow(self.connection, sql, self.database).schema

    def fetch(self, sql: str):
        return fetch_arrow(self.connection, sql, self.database)

    def close(self) -> None:
        close(self.connection)


class _SparkEngine:
    """A Spark table or Parquet path (:mod:`crmkit.io.spark`), run through ``spark.sql``."""

    dialect = "pyspark"
    file_format = "spark"

    def __init__(self, source):
        from crmkit.io import spark

        self.spark, self.source = spark, source
        self.display = source.display
        self.view = unique_name("crmkit_source")
        self.frame = spark.frame(source)

    def source_sql(self) -> str:
        return self.view

    def schema(self):
        return self.spark.schema(self.source)

    def fetch(self, sql: str):
        return self.spark.run_sql(sql, {self.view: self.frame}, master=self.source.master)

    def close(self) -> None:
        pass


class DuckDBEngine:
    """An Arrow table in the embedded DuckDB: the expression's own engine, for the tests.

    (A typed Parquet dataset is not sent this way: measured, the reader's tuned queries are faster
    on DuckDB than the portable expression and its checks, 7.0 s against 8.4 s on 10M rows.)
    """

    dialect = "duckdb"
    file_format = "table"
    display = "<pyarrow Table>"
    aggregated_in = None  # here, as for a file: the read line says nothing

    def __init__(self, table):
        self.table = table
        self.con = connect()
        self.con.register("crmkit_rows", table)

    def source_sql(self) -> str:
        return "crmkit_rows"

    def schema(self):
        return self.con.sql("SELECT * FROM crmkit_rows LIMIT 0").to_arrow_table().schema

    def fetch(self, sql: str):
        return self.con.sql(sql).to_arrow_table()

    def close(self) -> None:
        self.con.close()


def _compile(expr, engine) -> str:
    import ibis

    if engine.dialect == "pyspark":
        from crmkit.io.spark import quiet_pyspark_warnings

        with quiet_pyspark_warnings():
            _ = ibis.pyspark  # loading the backend registers the options its compiler reads
    sql = ibis.to_sql(expr, dialect=engine.dialect)
    mark = "`" if engine.dialect == "pyspark" else '"'
    return str(sql).replace(f"{mark}{_PLACEHOLDER}{mark}", engine.source_sql())


# --- the typed rows, and whether they need the reader's cleaning --------------------------------


def _kind(dtype) -> str | None:
    if dtype.is_string():
        return "text"
    if dtype.is_integer():
        return "integer"
    if dtype.is_decimal() or (dtype.is_floating() and dtype.nbytes == 8):
        # a float4 is read by the reader through its shortest text (16.22, not 16.219999313…)
        return "number"
    if dtype.is_date():
        return "date"
    if dtype.is_timestamp() and dtype.timezone is None:
        return "timestamp"
    if dtype.is_boolean():
        return "boolean"
    return None


@dataclass
class _Plan:
    """How the typed columns become crmkit's rows, in ibis."""

    table: Any
    roles: dict[str, str]
    kinds: dict[str, str]
    statuses: list[str] = field(default_factory=list)
    padded: set[str] = field(default_factory=set)  # PostgreSQL char(n) columns


def _eligible(roles: dict[str, str], kinds: dict[str, str | None], headers: list[str]) -> bool:
    """Whether the columns' types let the engine read them as they are (else the reader cleans them)."""
    if "is_return" in headers or "amount" not in roles:  # quantity x price: the reader's arithmetic
        return False
    wanted = {
        "customer_id": ("text", "integer"),
        "date": ("date", "timestamp", "text"),
        "amount": ("integer", "number"),
        "order_id": ("text", "integer"),
        "margin": ("integer", "number"),
        "status": ("text",),
    }
    return all(kinds.get(roles[role]) in allowed for role, allowed in wanted.items() if role in roles)


def _rows(plan: _Plan):
    """crmkit's rows from the typed table: id and order id as text, the date, the amount in millionths."""
    import ibis

    t, r, k = plan.table, plan.roles, plan.kinds

    def text(name):  # ids as text; PostgreSQL's char(n) without its padding, as the reader has it
        col = t[name] if k[name] == "text" else t[name].cast("string")
        return col.rstrip() if name in plan.padded else col

    cid = text(r["customer_id"])
    day = t[r["date"]]
    day = day if k[r["date"]] == "date" else day.cast("date")
    amount = t[r["amount"]]
    flagged = t[r["status"]].isin(plan.statuses) if plan.statuses else ibis.literal(False)
    is_return = (amount < 0) | flagged.fill_null(False)
    micro = _millionths(amount, k[r["amount"]])
    columns = {
        "customer_id": cid,
        "date": day,
        "micro": ibis.ifelse(is_return, -micro.abs(), micro),
        "is_return": is_return,
    }
    if "order_id" in r:
        columns["order_id"] = text(r["order_id"])
    if "margin" in r:
        columns["margin"] = _millionths(t[r["margin"]], k[r["margin"]])
    return t.select(**columns)


def _millionths(value, kind: str):
    """An amount in integer millionths, rounded half away from zero in every engine, as DuckDB's
    cast to DECIMAL(18,6) rounds (PostgreSQL's round() of a double rounds half to even)."""
    scaled = value * MICRO
    if value.type().is_decimal() or kind == "integer":
        return scaled.round().cast("int64")  # exact decimal arithmetic: half away from zero already
    return ((scaled.abs() + 0.5).floor() * scaled.sign()).cast("int64")


def _checks(plan: _Plan, date_range: tuple[date, date], first_header: str) -> dict:
    """One aggregate over the table: the counts the data-quality report needs, and the counts of
    every value the reader would clean or refuse (each must be 0 for the engine to go on)."""
    t, r, k = plan.table, plan.roles, plan.kinds
    cid, day, amount = t[r["customer_id"]], t[r["date"]], t[r["amount"]]
    present = cid.notnull() & day.notnull()

    # Cheap tests only: on 10M rows in DuckDB, strip() costs 1 s a column, starts/ends_with 0.2 s.
    def padded(col):  # the reader trims spaces (only spaces, as DuckDB's trim) and drops BOMs
        return col.startswith(" ") | col.endswith(" ") | col.contains("\ufeff")

    def total(col):  # 合计 / Total, as the reader's _total_check (padding, a colon: left to the reader)
        return col.lower().isin(list(TOTAL_WORDS)) | col.contains(":") | col.contains("：")

    def unclean_text(col):
        # "17850.0" (a float rendering the reader turns into 17850): a digit first, a dot, a 0 last
        float_like = col.contains(".") & col.endswith("0") & col.substr(0, 1).isin(list("0123456789"))
        return col.notnull() & (padded(col) | col.isin(list(_NULL_WORDS)) | float_like | total(col))

    checks = {
        "rows": t.count(),
        "no_id": t.count(where=cid.isnull()),
        "no_date": t.count(where=cid.notnull() & day.isnull()),
        "no_amount": t.count(where=present & amount.isnull()),
        "bad_amount": t.count(where=amount.notnull() & ~(amount.abs() < MONEY_LIMIT)),
    }
    if k[r["customer_id"]] == "text":
        checks["bad_id"] = t.count(where=unclean_text(cid))
    if k[r["date"]] == "text":
        text = day.substr(0, 10)
        checks["bad_date_text"] = t.count(
            where=day.notnull() & ((day.length() != 10) | (text.cast("date").cast("string") != text))
        )
    low, high = date_range
    as_day = day if k[r["date"]] == "date" else day.cast("date")
    checks["bad_date_range"] = t.count(where=as_day.notnull() & ((as_day < low) | (as_day > high)))
    if "order_id" in r and k[r["order_id"]] == "text":
        order = t[r["order_id"]]
        checks["bad_order"] = t.count(where=unclean_text(order) | order.lower().startswith("c"))
    if "margin" in r:
        margin = t[r["margin"]]
        checks["bad_margin"] = t.count(where=margin.notnull() & ~(margin.abs() < MONEY_LIMIT))
    if plan.statuses and "order_id" in r:
        # a flagged line with a positive amount may cancel its order: the reader decides that
        checks["cancellable"] = t.count(where=t[r["status"]].isin(plan.statuses) & (amount > 0))
    if first_header not in r.values() and k.get(first_header) == "text":
        first = t[first_header]
        checks["bad_first"] = t.count(where=first.notnull() & (padded(first) | total(first)))
    return checks


# --- the pushed-down purchases -----------------------------------------------------------------


class PushedDown:
    """Purchases left where they are, aggregated there on request.

    Stands in for :class:`~crmkit.io.purchases.PurchaseData` in :func:`crmkit.segment.segment`
    and :func:`crmkit.clv.customer_lifetime_value` (``quality``, :meth:`resolve_as_of`); anything
    else that needs the rows gets them through :meth:`purchase_data`, fetched and read once.
    Made by :func:`push_down`.
    """

    def __init__(self, engine, plan: _Plan, quality: DataQuality, fetch_source, options):
        self.engine, self.plan, self.quality = engine, plan, quality
        self._fetch_source, self._options, self._data = fetch_source, options, None
        self._counted: date | None = None
        self._rows = _rows(plan).filter(lambda t: t.customer_id.notnull() & t.date.notnull() & t.micro.notnull())

    @property
    def columns(self) -> list[str]:
        """The columns of :attr:`crmkit.io.purchases.PurchaseData.transactions` these rows have."""
        return ["amount" if name == "micro" else name for name in self._rows.columns]

    def customers_seen(self, as_of: date):
        """The ids of everyone with a row (a purchase or a return) up to ``as_of``, sorted: a pandas Series."""
        rows = self._rows
        seen = rows.filter(rows.date <= as_of).select("customer_id").distinct().order_by("customer_id")
        return self._fetch(seen).column("customer_id").to_pandas()

    def purchase_data(self):
        """The rows, fetched and read like any export (for the tables that need them)."""
        if self._data is None:
            self._data = read_purchases(self._fetch_source, options=self._options)
            self._data.quality = self.quality
            self.quality.aggregated_in = None  # the read line does not claim what was done here
        return self._data

    def release(self) -> None:
        self.engine.close()
        if self._data is not None:
            self._data.release()

    def _fetch(self, expr):
        return self.engine.fetch(_compile(expr, self.engine))

    def resolve_as_of(self, as_of=None) -> date:
        """As :meth:`crmkit.io.purchases.PurchaseData.resolve_as_of`, counted in the engine."""
        q = self.quality
        as_of = (q.last_purchase or q.last_date) if as_of is None else as_date(as_of, "as_of")
        assert as_of is not None, "pushed-down purchases without a last purchase date"
        q.as_of = as_of
        if self._counted == as_of:  # the CLI resolves it, then the analysis again: one query is enough
            return as_of
        self._counted = as_of
        rows = self._rows
        later = rows.filter(rows.date > as_of)
        # customers with only returns up to as_of: counted with their revenue, as the reader does
        upto = rows.filter(rows.date <= as_of)
        per = upto.group_by("customer_id").aggregate(bought=(~upto.is_return).any(), net=upto.micro.sum())
        only = per.filter(~per.bought)
        both = later.aggregate(after=later.count()).cross_join(only.aggregate(n=only.count(), net=only.net.sum()))
        stats = self._fetch(both).to_pylist()[0]  # one query: on Spark each costs a job
        q.after_as_of = int(stats["after"])
        q.returns_only, q.returns_only_amount = int(stats["n"]), int(stats["net"] or 0) / MICRO
        return as_of

    def fetch_local(self, expr, *, money: tuple[str, ...] = (), counts: tuple[str, ...] = (), con=None):
        """Run an ibis expression over :meth:`occasions` (or the rows) in the engine; its result as a
        table of a local DuckDB connection (``con``, or a new one): ``(con, name)``, typed by :func:`_local`."""
        return _local(self._fetch(expr), money, counts, con=con)

    def occasions(self, as_of: date, occasion: str = "day"):
        """:func:`crmkit.summary.occasions_sql` as an ibis expression over the rows, money in millionths."""
        rows = self._rows
        occ = _check_occasion(occasion, rows.columns)
        rows = rows.filter(rows.date <= as_of)
        purchase = ~rows.is_return
        return (
            rows.group_by(["customer_id", rows[occ].name("occasion")])
            .aggregate(
                bought=purchase.any(),
                first_day=rows.date.min(where=purchase),
                last_day=rows.date.max(where=purchase),
                net=rows.micro.sum(),
                gross=rows.micro.sum(where=purchase),
                returned=-rows.micro.sum(where=rows.is_return),
                **({"margin": rows.margin.sum()} if "margin" in rows.columns else {}),
            )
            .mutate(bought=lambda o: o.bought & o.occasion.notnull())
        )

    def summary_table(self, as_of: date, occasion: str = "day"):
        """A local DuckDB connection and the name of the per-customer summary table in it
        (:func:`crmkit.summary.summary_sql`'s columns), aggregated in the engine."""
        o = self.occasions(as_of, occasion)
        totals = o.group_by("customer_id").aggregate(
            first_purchase=o.first_day.min(),
            last_purchase=o.last_day.max(),
            frequency=o.count(where=o.bought),
            net=o.net.sum(),
            gross=o.gross.sum().fill_null(0),
            returned=o.returned.sum().fill_null(0),
            **({"margin": o.margin.sum()} if "margin" in o.columns else {}),
        )
        totals = totals.filter(totals.frequency > 0)
        money = ("net", "gross", "returned") + (("margin",) if "margin" in totals.columns else ())
        con, name = _local(self._fetch(totals), money, counts=("frequency",))
        summary = unique_name("customer_summary")
        con.execute(
            f"CREATE TEMP TABLE {summary} AS {summary_from_totals_sql(name, as_of, margin='margin' in totals.columns)}"
        )
        return con, summary

    def repeat_summary(self, as_of: date, *, unit: str = "week", occasion: str = "day", discrete: bool = False):
        """:func:`crmkit.summary.repeat_summary` aggregated in the engine (None for BG/BB's periods)."""
        import ibis

        if discrete:
            return None
        o = self.occasions(as_of, occasion)
        rank = ibis.row_number().over(
            group_by=o.customer_id, order_by=[ibis.ifelse(o.bought, 0, 1), o.first_day, o.occasion]
        )
        o = o.mutate(first=rank == 0)
        margin = "margin" in o.columns
        totals = o.group_by("customer_id").aggregate(
            first_purchase=o.first_day.min(where=o.bought),
            last_purchase=o.last_day.max(where=o.bought),
            purchases=o.count(where=o.bought),
            gross=o.gross.sum(where=o.bought),
            first_gross=o.gross.max(where=o.first & o.bought),
            net=o.net.sum(),
            **({"margin": o.margin.sum(where=o.bought)} if margin else {}),
        )
        totals = totals.filter(totals.purchases > 0)
        money = ("gross", "first_gross", "net") + (("margin",) if margin else ())
        con, name = _local(self._fetch(totals), money, counts=("purchases",))
        sql = repeat_from_totals_sql(name, as_of, unit=unit, margin=margin)
        return Frame(con, sql, date_columns=("first_purchase", "last_purchase")).df()


def _local(totals, money: tuple[str, ...], counts: tuple[str, ...], con=None):
    """The engine's totals in a local DuckDB table typed as the native stage's: ids VARCHAR, dates
    DATE, counts BIGINT, integer millionths back to the exact DECIMAL(38,6) sums."""
    con = connect() if con is None else con
    con.register("remote_totals", totals)
    name = unique_name("totals")
    exprs = []
    for col in totals.column_names:
        if col in money:
            # exact: DECIMAL(38,0) x 0.000001 is DECIMAL(38,6), whose ::DOUBLE is the native stage's
            exprs.append(f"CAST({quote(col)} AS DECIMAL(38,0)) * CAST(0.000001 AS DECIMAL(38,6)) AS {quote(col)}")
        elif col in counts:
            exprs.append(f"CAST({quote(col)} AS BIGINT) AS {quote(col)}")
        elif col == "customer_id":
            exprs.append("CAST(customer_id AS VARCHAR) AS customer_id")
        else:
            exprs.append(f"CAST({quote(col)} AS DATE) AS {quote(col)}")
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT {', '.join(exprs)} FROM remote_totals")
    con.unregister("remote_totals")
    return con, name


def push_down(source, *, options=None, engine: str | None = None):
    """``source`` as :class:`PushedDown` when its engine can aggregate it as it is, else None.

    None means: read it with :func:`crmkit.io.purchases.read_purchases` (a file, a table in
    memory, ``--engine duckdb``, or a typed source with values the reader must clean, see the
    module docstring). Raises the reader's errors for an unreachable source or missing columns.
    """
    from crmkit.io.options import ReadOptions

    options = options or ReadOptions()
    if isinstance(source, PushedDown):
        return source
    runner: Any
    if isinstance(source, DuckDBEngine):
        runner, fetch_source = source, source.table
    else:
        name = engine_for(source, engine if engine is not None else options.engine)
        if name == "duckdb":
            return None  # a file or a table in memory: the reader reads it
        try:
            import ibis  # noqa: F401
        except ImportError:
            if (engine or options.engine) in ("db", "spark"):
                raise UsageError('aggregating in the database or Spark needs ibis: pip install "crmkit[db]"') from None
            return None  # an inferred engine: the rows are fetched and aggregated here, as before
        fetch_source = engine_source(source, replace(options, engine=name))
        runner = _DatabaseEngine(fetch_source) if isinstance(fetch_source, Database) else _SparkEngine(fetch_source)
    try:
        result = _plan_pushdown(runner, options, fetch_source)
    except BaseException:
        runner.close()
        raise
    if result is None:
        runner.close()
    return result


def _plan_pushdown(runner, options, fetch_source):
    import ibis

    from crmkit.io.readers import open_table

    arrow_schema = runner.schema()
    headers = list(arrow_schema.names)
    if detect_platform(headers, options.platform, source=runner.display) is not None:
        return None  # a platform's export: its order rules are the reader's (crmkit.io.platforms.orders)
    cmap = detect_columns(headers, options.columns, source=runner.display)
    schema = _ibis_schema(arrow_schema)
    kinds = {col: _kind(dtype) for col, dtype in schema.items()}
    roles = dict(cmap.roles)
    if cmap.amount_from_price or not _eligible(roles, kinds, headers):
        return None
    if runner.dialect == "pyspark" and kinds.get(roles["date"]) == "text":
        return None  # Spark's ANSI cast fails a query on the first 2023/01/01 (and logs it): the reader's
    table = ibis.table(schema, name=_PLACEHOLDER)
    plan = _Plan(table, roles, kinds, padded={f.name for f in arrow_schema if postgres_type(f) == "bpchar"})
    if "status" in roles:
        col = table[roles["status"]]
        values = runner.fetch(_compile(table.select(v=col).filter(col.notnull()).distinct().limit(100_001), runner))
        raw = values.column("v").to_pylist()
        if len(raw) > 100_000 or any(v != v.strip() for v in raw):
            return None
        plan.statuses = sorted(v for v in raw if _RETURN_STATUS.search(v.lower()))
    date_range = DATE_RANGE if options.date_range is None else parse_date_range(options.date_range, "date_range")
    checks = _checks(plan, date_range, headers[0])
    try:
        counts = runner.fetch(_compile(table.aggregate(**checks), runner)).to_pylist()[0]
    except InputError:  # a value the engine cannot even test (a text date it will not cast): the reader's
        return None
    if any(counts.get(name, 0) for name in checks if name.startswith(("bad_", "cancellable"))):
        return None
    src = open_table(arrow_schema.empty_table(), "pyarrow Table")  # reported as the reader reports it
    src.display, src.file_format = runner.display, runner.file_format
    quality = DataQuality.of_source(src, roles)
    quality.aggregated_in = getattr(runner, "aggregated_in", runner.file_format)
    if plan.statuses:
        shown = ", ".join(plan.statuses[:10])
        quality.note("return_statuses", "statuses read as returns/cancellations: " + shown, statuses=shown)
    dropped = {"missing_customer_id": counts["no_id"], "missing_date": counts["no_date"]}
    dropped["missing_amount"] = counts["no_amount"]
    quality.rows_read = int(counts["rows"])
    quality.dropped = {k: int(v) for k, v in dropped.items() if v}
    pushed = PushedDown(runner, plan, quality, fetch_source, options)
    rows = pushed._rows
    purchase = ~rows.is_return
    agg = runner.fetch(
        _compile(
            rows.aggregate(
                used=rows.count(),
                returns=rows.count(where=rows.is_return),
                last_purchase=rows.date.max(where=purchase),
                return_amount=rows.micro.abs().sum(where=rows.is_return),
                first=rows.date.min(),
                last=rows.date.max(),
            ),
            runner,
        )
    ).to_pylist()[0]
    quality.rows_used, quality.return_rows = int(agg["used"]), int(agg["returns"])
    quality.last_purchase = _as_day(agg["last_purchase"])
    quality.return_amount = int(agg["return_amount"] or 0) / MICRO
    quality.first_date, quality.last_date = _as_day(agg["first"]), _as_day(agg["last"])
    if quality.rows_used == 0:
        return None  # the reader says why, as for a file
    return pushed


def _ibis_schema(arrow_schema):
    """The ibis schema of an engine's Arrow schema; PostgreSQL's NUMERIC, which ADBC hands over as
    an opaque extension type, is a decimal (the engine computes on it as one)."""
    import ibis
    import pyarrow as pa

    fields = {}
    for f in arrow_schema:
        kind = f.type
        if postgres_type(f) == "money":  # integer cents on the wire: the reader converts them
            fields[f.name] = ibis.dtype("binary")
            continue
        if isinstance(kind, pa.BaseExtensionType):
            if getattr(kind, "type_name", "") == "numeric":
                fields[f.name] = ibis.dtype("decimal(38, 10)")
                continue
            kind = kind.storage_type
        try:
            fields[f.name] = ibis.Schema.from_pyarrow(pa.schema([pa.field(f.name, kind)]))[f.name]
        except Exception:  # a type ibis does not know (uuid, …): not one crmkit reads in place
            fields[f.name] = ibis.dtype("binary")
    return ibis.schema(fields)


def _as_day(value) -> date | None:
    """A date from an engine: a date, a timestamp (Spark, DuckDB) or ISO text (SQLite)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
