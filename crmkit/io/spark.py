"""Spark as a source of purchases and as a place to run SQL (issue 11).

``crmkit segment orders --engine spark`` reads a Spark table or view; ``crmkit segment
s3a://lake/orders --engine spark`` a Parquet dataset (a folder with Hive partitions ``key=value``,
or a glob) that Spark lists and reads. Rows cross from the JVM to Python as Arrow record batches
(:meth:`pyspark.sql.DataFrame.toArrow`), never as a pandas frame: pyspark does not fully support
pandas 3, which crmkit uses, and Arrow keeps dates, decimals and 64-bit integers as they are.

One :class:`~pyspark.sql.SparkSession` serves the process (:func:`session`): a master named by
``--spark-master`` (``spark://host:7077``, ``yarn``, ``local[4]``, or ``sc://host:15002`` for
Spark Connect), else the ``SPARK_REMOTE`` variable (Spark Connect), else local mode on every core.
pyspark is imported on first use only, so ``crmkit --help`` does not pay for it.

Problems are one line each (:mod:`crmkit.errors`): pyspark missing is a
:class:`~crmkit.errors.UsageError` (exit 2); no Java, a master that cannot be reached, a missing
table or path an :class:`~crmkit.errors.InputError` (exit 3). A master URL's password or token is
never printed.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import re
import shutil
import socket
import tempfile
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmkitError, InputError, UsageError
from crmkit.io.databases import redact

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "SparkSource",
    "frame",
    "from_arrow",
    "quiet_pyspark_warnings",
    "run_sql",
    "schema",
    "session",
    "stop",
    "to_arrow",
]

#: A Spark table or view name: ``orders``, ``lake.orders``, ``catalog.lake.orders``.
_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
#: Names of exports (text or workbooks) that crmkit's DuckDB reader cleans, not Spark.
_EXPORT_NAME = re.compile(r"\.(csv|tsv|txt|psv|dat|xlsx|xlsm|xls)(\.(gz|zip|bz2|zst))?$", re.IGNORECASE)
#: Seconds to reach a standalone master or a Spark Connect server before saying it is unreachable:
#: Spark's own client retries registration for a minute and Spark Connect's for several.
CONNECT_TIMEOUT = 5.0
#: Spark Connect's default port.
_CONNECT_PORT = 15002
#: Shuffle partitions per core in local mode: Spark's default of 200 tasks suits a cluster; on one
#: machine each is overhead. Adaptive execution coalesces further.
_PARTITIONS_PER_CORE = 4
_INSTALL_PYSPARK = "the Spark engine needs pyspark: pip install 'crmkit[spark]'"
_INSTALL_JAVA = "install Java 17 or later (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"

#: log4j2 configuration of the driver JVM: errors only, so that a run prints crmkit's lines and no
#: Spark start-up chatter. The ``repl.Main`` logger at the root's level stops Spark's interactive
#: shell notice ("Setting default log level to WARN").
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %p %c{1}: %m%n
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
"""

# the process's session, its master and its scratch folder (log4j config, the JVM's stderr)
_STATE: dict[str, Any] = {}


@dataclass(frozen=True)
class SparkSource:
    """Purchases that Spark reads: a table or view name, or a Parquet path.

    Parameters
    ----------
    name : str
        A table or view (``orders``, ``lake.orders``) or a path: a Parquet file, a folder of them
        (Hive partition folders ``key=value`` become columns), or a glob; local, ``hdfs://…`` or
        ``s3a://…``. A name is a table when it looks like one and is not an existing local path.
    master : str, optional
        The Spark master for this source (see :func:`session`).

    Examples
    --------
    >>> SparkSource("lake.orders").is_table
    True
    >>> SparkSource("s3a://lake/orders/year=*").is_table
    False
    """

    name: str
    master: str | None = None

    @property
    def is_table(self) -> bool:
        return bool(_TABLE_NAME.fullmatch(self.name)) and not os.path.exists(self.name)

    @property
    def display(self) -> str:
        """How messages name the source: ``spark table lake.orders`` or the path."""
        return f"spark table {self.name}" if self.is_table else _redact(self.name)


def _redact(url: str) -> str:
    """A master URL or path without a password or token.

    Examples
    --------
    >>> _redact("sc://spark.example:15002/;token=abc123;user_id=ann")
    'sc://spark.example:15002/;token=***;user_id=ann'
    >>> _redact("spark://ann:s3cret@host:7077")
    'spark://ann@host:7077'
    """
    url = redact(url) if "://" in url else url
    return re.sub(r"(;\s*token\s*=)[^;]*", r"\1***", url, flags=re.IGNORECASE)


def _first_line(exc: BaseException) -> str:
    """The exception's first line without Spark's ``SQLSTATE`` suffix, and without secrets."""
    text = str(exc).strip()
    text = text.splitlines()[0] if text else type(exc).__name__
    text = re.sub(r"\s*SQLSTATE: \w+\.?;?.*$", "", text)
    return _redact(text)[:400]


@contextlib.contextmanager
def quiet_pyspark_warnings():
    """Silence pyspark's warning that it does not fully support pandas 3, within the block.

    pyspark warns whenever a module of its pandas layer is imported (``pyspark.sql.pandas.*``, which
    ``toArrow`` and ibis's PySpark backend import) although no pandas frame crosses: rows come back
    as Arrow. Wrap such imports in this.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*PySpark does not yet fully support pandas")
        yield


def _pyspark():
    try:
        import pyspark  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise UsageError(_INSTALL_PYSPARK) from None
    return pyspark


def _host_ports(master: str) -> list[tuple[str, int]]:
    """The servers a ``spark://`` or ``sc://`` master names (a standalone master may list several)."""
    scheme, rest = master.split("://", 1)
    rest = rest.split("/", 1)[0].split(";", 1)[0].rsplit("@", 1)[-1]
    default = _CONNECT_PORT if scheme == "sc" else 7077
    servers = []
    for part in rest.split(","):
        host, _, port = part.rpartition(":") if ":" in part else (part, "", "")
        servers.append((host.strip("[]"), int(port) if port.isdigit() else default))
    return servers


def _check_reachable(master: str) -> None:
    """Fail fast and in one line when no server of a ``spark://`` or ``sc://`` master answers."""
    reason = "no server named"
    for host, port in _host_ports(master):
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
            return
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
    raise InputError(f"cannot reach the Spark master: {reason}", file=_redact(master))


def _scratch() -> str:
    if "dir" not in _STATE:
        folder = tempfile.mkdtemp(prefix="crmkit-spark-")
        with open(os.path.join(folder, "log4j2.properties"), "w", encoding="utf-8") as fh:
            fh.write(_LOG4J2)
        _STATE["dir"] = folder
    return _STATE["dir"]


def _jvm_reason(log: str) -> str:
    """The last line of the JVM's start-up output that says something (``JAVA_HOME is not set``)."""
    try:
        with open(log, encoding="utf-8", errors="replace") as fh:
            lines = [line.strip() for line in fh if line.strip() and not line.startswith("WARNING: Using incubator")]
    except OSError:
        lines = []
    return lines[-1][:300] if lines else "the Java process exited"


def _classic(master: str | None):
    """A SparkSession whose driver JVM runs here: local mode, or a client of a cluster manager."""
    _pyspark()
    from pyspark import SparkConf, SparkContext  # type: ignore[import-not-found, unused-ignore]
    from pyspark.java_gateway import launch_gateway  # type: ignore[import-not-found, unused-ignore]
    from pyspark.sql import SparkSession  # type: ignore[import-not-found, unused-ignore]

    if not os.environ.get("JAVA_HOME") and not shutil.which("java"):
        raise InputError("the Spark engine needs Java: no java command and no JAVA_HOME", hint=_INSTALL_JAVA)
    cores = os.cpu_count() or 1
    local = master is None or master.startswith("local")
    folder = _scratch()
    conf = SparkConf(loadDefaults=False)
    conf.setMaster(master or f"local[{cores}]").setAppName("crmkit")
    java_options = f"-Dlog4j2.configurationFile=file:{os.path.join(folder, 'log4j2.properties')} -Duser.timezone=UTC"
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.extraJavaOptions": java_options,
    }
    if local:
        # the hostname may resolve to a LAN address or not at all: a local driver needs none
        settings.update(
            {
                "spark.sql.shuffle.partitions": str(_PARTITIONS_PER_CORE * cores),
                "spark.default.parallelism": str(_PARTITIONS_PER_CORE * cores),
                "spark.driver.host": "127.0.0.1",
                "spark.driver.bindAddress": "127.0.0.1",
            }
        )
    conf.setAll(list(settings.items()))
    log = os.path.join(folder, "jvm.log")
    # SPARK_REMOTE would make the launcher start a Connect server instead of this driver
    remote = os.environ.pop("SPARK_REMOTE", None)
    try:
        # the JVM's own stderr (its incubator-module notice, anything before log4j starts) goes to a
        # file, read back when it fails to start: the terminal shows crmkit's lines only
        with open(log, "wb") as stderr:
            gateway = launch_gateway(conf, popen_kwargs={"stderr": stderr, "stdout": stderr})
        context = SparkContext(conf=conf, gateway=gateway)
        context.setLogLevel("ERROR")
        return SparkSession(context)
    except Exception as exc:
        if "JAVA_GATEWAY_EXITED" in str(exc) or "Java gateway" in str(exc):
            raise InputError(f"Spark cannot start: {_jvm_reason(log)}", hint=_INSTALL_JAVA) from None
        if "stopped SparkContext" in str(exc):
            # a server that accepts the connection but never registers the application (not a Spark
            # master, or one without workers): Spark stops the context after its 3 x 20 s of retries
            raise InputError(
                "the Spark master did not register crmkit's application (is it a Spark master?)",
                file=_redact(master or "local"),
            ) from None
        raise InputError(f"Spark cannot start: {_first_line(exc)}", file=_redact(master or "local")) from None
    finally:
        if remote is not None:
            os.environ["SPARK_REMOTE"] = remote


def _connect(url: str):
    """A Spark Connect session (``sc://host:15002``): the work runs on the server, rows come back as Arrow."""
    from pyspark.sql import SparkSession  # type: ignore[import-not-found, unused-ignore]

    try:
        spark = SparkSession.builder.remote(url).getOrCreate()
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    except ImportError as exc:
        raise UsageError(
            f"Spark Connect needs pyspark's connect extra ({exc.name or exc}): pip install 'pyspark[connect]'"
        ) from None
    except Exception as exc:
        raise InputError(f"cannot use the Spark Connect server: {_first_line(exc)}", file=_redact(url)) from None
    return spark


def session(master: str | None = None):
    """The process's SparkSession, started on first use and stopped at exit.

    Parameters
    ----------
    master : str, optional
        ``--spark-master``: ``spark://host:7077``, ``yarn``, ``local[4]``, or ``sc://host:15002``
        (Spark Connect). Without it the ``SPARK_REMOTE`` environment variable (a Spark Connect
        URL), else local mode with one thread per CPU.

    Notes
    -----
    The session keeps dates in UTC (``spark.sql.session.timeZone``, and the driver JVM's
    ``user.timezone``) so that a date is the same day on every engine; the web UI and progress
    bar are off and the driver logs errors only, so a run prints crmkit's lines and nothing else.
    A ``spark://`` or ``sc://`` server that does not answer within :data:`CONNECT_TIMEOUT`
    seconds is an :class:`~crmkit.errors.InputError` (Spark itself would retry for minutes).
    """
    wanted = master or os.environ.get("SPARK_REMOTE") or None
    current = _STATE.get("session")
    if current is not None and _STATE.get("master") == wanted:
        return current
    _pyspark()
    if wanted and wanted.startswith(("spark://", "sc://")):
        _check_reachable(wanted)  # before stopping a session that works
    if current is not None:
        stop()  # one SparkContext per JVM: another master needs a new one
    with quiet_pyspark_warnings():
        spark = _connect(wanted) if wanted and wanted.startswith("sc://") else _classic(wanted)
    if not _STATE.get("atexit"):
        atexit.register(stop)
        _STATE["atexit"] = True
    _STATE["session"], _STATE["master"] = spark, wanted
    return spark


def stop() -> None:
    """Stop the session (at exit, or before one on another master) and remove its scratch folder."""
    spark = _STATE.pop("session", None)
    _STATE.pop("master", None)
    if spark is not None:
        try:
            spark.stop()
        except Exception:  # a JVM that died has nothing left to stop
            pass
    folder = _STATE.pop("dir", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def _analysis_error(exc: Exception, display: str) -> InputError:
    condition = getattr(exc, "getCondition", lambda: None)() or ""
    if "TABLE_OR_VIEW_NOT_FOUND" in condition:
        return InputError("no such Spark table or view", file=display)
    if "PATH_NOT_FOUND" in condition:
        return InputError("no such path", file=display)
    return InputError(f"Spark cannot read it: {_first_line(exc)}", file=display)


def _base_path(path: str) -> str | None:
    """The folder above a glob's first wildcard, so that Spark keeps the partition columns below it."""
    parts = path.split("/")
    for index, part in enumerate(parts):
        if glob.has_magic(part):
            return "/".join(parts[:index]) or "/"
    return None


def _check_not_an_export(path: str, display: str) -> None:
    local = os.path.isfile(path)
    if local:
        with open(path, "rb") as fh:
            parquet = fh.read(4) == b"PAR1"
    else:
        parquet = not _EXPORT_NAME.search(path)
    if not parquet:
        raise UsageError(
            f"{display}: Spark reads tables and Parquet; exports (CSV, XLSX) are read and cleaned by DuckDB "
            "(drop --engine spark)"
        )


def frame(source: SparkSource):
    """The source as a pyspark DataFrame (its rows are not read yet).

    A table is ``spark.table(name)``; a path ``spark.read.parquet(path)``: a folder with Hive
    partition folders keeps their columns, and so does a glob (its ``basePath`` is the folder
    above the first wildcard).

    Raises
    ------
    crmkit.errors.UsageError
        pyspark is not installed, or the path is an export (CSV, XLSX): those are read by DuckDB.
    crmkit.errors.InputError
        Spark cannot start, or the table or path does not exist.
    """
    if not source.is_table:
        _check_not_an_export(source.name, source.display)
    _pyspark()
    spark = session(source.master)
    try:
        if source.is_table:
            df = spark.table(source.name)
        else:
            reader = spark.read
            base = _base_path(source.name)
            if base is not None:
                reader = reader.option("basePath", base)
            df = reader.parquet(source.name)
        _ = df.schema  # Spark Connect analyses lazily: a missing table is found here, not mid-command
    except CrmkitError:
        raise
    except Exception as exc:
        raise _analysis_error(exc, source.display) from None
    return df


def to_arrow(df) -> pa.Table:
    """The DataFrame's rows as a pyarrow Table, through Arrow batches and never through pandas."""
    try:
        with quiet_pyspark_warnings():
            return df.toArrow()
    except Exception as exc:
        raise _analysis_error(exc, "spark") from None


def from_arrow(table: pa.Table, master: str | None = None):
    """A pyarrow Table as a Spark DataFrame (sent to the JVM as Arrow batches)."""
    _pyspark()
    with quiet_pyspark_warnings():
        return session(master).createDataFrame(table)


def run_sql(sql: str, views: dict[str, Any] | None = None, master: str | None = None) -> pa.Table:
    """Run a Spark SQL query and return its rows as a pyarrow Table.

    Parameters
    ----------
    sql : str
        Spark SQL; it may name the ``views``.
    views : dict, optional
        Temporary views to register first: name → pyspark DataFrame (or a pyarrow Table, sent to
        Spark first).
    master : str, optional
        As for :func:`session`.
    """
    _pyspark()
    spark = session(master)
    try:
        for name, view in (views or {}).items():
            df = view if hasattr(view, "createOrReplaceTempView") else from_arrow(view, master)
            df.createOrReplaceTempView(name)
        result = spark.sql(sql)
    except CrmkitError:
        raise
    except Exception as exc:
        raise _analysis_error(exc, "spark sql") from None
    return to_arrow(result)


def schema(source: SparkSource) -> pa.Schema:
    """The source's columns as a pyarrow Schema, from Spark's catalog or Parquet footers (no rows read)."""
    spark_schema = frame(source).schema
    with quiet_pyspark_warnings():
        from pyspark.sql.pandas.types import to_arrow_schema  # type: ignore[import-not-found, unused-ignore]

    return to_arrow_schema(spark_schema, timezone="UTC")
