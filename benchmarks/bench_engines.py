"""Wall time and peak memory of ``crmkit segment`` and ``crmkit clv`` on each engine (issue 11).

Run by hand from the repository root (pytest never collects this file)::

    python benchmarks/bench_engines.py                       # 1M rows x3, 10M rows x1, every case
    python benchmarks/bench_engines.py --rows 1000000 --repeats 3 --json engines.json
    python benchmarks/bench_engines.py --cases csv,postgres  # a subset (csv is always run: the reference)

It needs PostgreSQL's binaries (Debian's ``postgresql`` package), pyspark with Java 17, and ADBC's
PostgreSQL and SQLite drivers. For each size the seeded sales CSV of ``bench_segment.ensure_input``
is loaded once, in a subprocess (so this script imports only the standard library, see
``bench_segment.GNU_TIME``), into:

* a throwaway PostgreSQL server (``scripts/test-postgres.sh start``, stopped at the end), with
  ``cursor.adbc_ingest`` from a typed Arrow table (text ids, DATE dates, DOUBLE money), then ``ANALYZE``;
* an SQLite file (text dates, REAL money), the same way;
* a Parquet dataset folder, Hive-partitioned by ``year``, written by DuckDB.

Then every case is a fresh subprocess, ``-f csv -o FILE -q``, timed by ``bench_segment.run_once``
(wall from spawn to exit, median over repeats; peak RSS of the child from GNU ``/usr/bin/time``):
``crmkit segment`` and ``crmkit clv --margin 0.3`` from the CSV, from the Parquet folder (DuckDB),
from PostgreSQL with ``--engine db`` (aggregated in the server) and ``--engine duckdb`` (all rows
fetched as Arrow and aggregated here), from SQLite both ways, and from the Parquet folder with
``--engine spark`` (local mode); plus the DuckDB floor (read and group by customer) of the CSV and
of the Parquet folder. Every output is compared byte for byte with the CSV case's. While a
PostgreSQL case runs, the server's processes are sampled every 50 ms from ``/proc``: the peak of
their summed private memory (``RssAnon``) plus the largest shared segment any of them maps
(``RssShmem``: shared buffers, counted once), and the seconds it spent executing the case's queries
(summed from its log, ``log_min_duration_statement = 0``); the Spark JVM, which GNU time does not
count (pyspark does not wait for it), is sampled the same way. The 1-minute load average is
recorded before each case.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_segment import DUCKDB_FLOOR, crmkit_env, ensure_input, machine, run_once, warm_page_cache

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCRATCH = Path(os.environ.get("CRMKIT_BENCH_DIR", "/tmp/crmkit-bench"))
DEFAULT_WORK = Path("/tmp/enginebench")
SOURCES = ("csv", "parquet", "postgres", "sqlite", "spark")

PARQUET_FLOOR = """\
import duckdb
duckdb.sql("select customer_id, count(distinct order_date), sum(amount), min(order_date), \
max(order_date) from read_parquet('{path}/**/*.parquet', hive_partitioning=true) group by 1").fetchall()
"""

SPARK_START = """\
from crmkit.io.spark import session, stop
session(None)
stop()
"""

# Run in a subprocess: pyarrow and DuckDB here would inflate every later peak (bench_segment.GNU_TIME).
LOADER = """\
import sys, time, duckdb, pyarrow as pa, pyarrow.compute as pc, pyarrow.csv as pacsv
csv_path, pg_url, table, sqlite_path, parquet_dir, wanted, log_statements = sys.argv[1:8]
wanted = set(wanted.split(","))
start = time.perf_counter()
types = {{"order_id": pa.string(), "customer_id": pa.string(), "order_date": pa.date32(), "channel": pa.string(),
         "category": pa.string(), "quantity": pa.int64(), "unit_price": pa.float64(), "amount": pa.float64(),
         "status": pa.string()}}
sales = pacsv.read_csv(csv_path, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False))
print(f"    read {{sales.num_rows:,}} rows as Arrow in {{time.perf_counter() - start:.1f}} s", flush=True)
if "parquet" in wanted or "spark" in wanted:
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    con.register("sales", sales)
    con.execute(f"copy (select *, year(order_date) as year from sales) to '{{parquet_dir}}' "
                "(format parquet, partition_by (year), overwrite_or_ignore)")
    con.close()
    print(f"    wrote Parquet dataset in {{time.perf_counter() - start:.1f}} s", flush=True)
if "postgres" in wanted:
    import adbc_driver_postgresql.dbapi as pg
    start = time.perf_counter()
    with pg.connect(pg_url) as conn:
        with conn.cursor() as cur:
            cur.execute(f"drop table if exists {{table}}")
            cur.adbc_ingest(table, sales, mode="create")
        conn.commit()
        with conn.cursor() as cur:
            cur.execute(f"analyze {{table}}")
            cur.execute(f"select pg_size_pretty(pg_total_relation_size('{{table}}'))")
            size = cur.fetchone()[0]
        conn.commit()
    print(f"    loaded PostgreSQL table {{table}} ({{size}}) in {{time.perf_counter() - start:.1f}} s", flush=True)
    if log_statements == "1":  # the server time of each query, read back from its log per case
        with pg.connect(pg_url, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("alter system set log_min_duration_statement = 0")
            cur.execute("select pg_reload_conf()")
            cur.fetchall()
if "sqlite" in wanted:
    import adbc_driver_sqlite.dbapi as lite
    start = time.perf_counter()
    text_dates = sales.set_column(sales.schema.get_field_index("order_date"), "order_date",
                                  pc.strftime(sales["order_date"], format="%Y-%m-%d"))
    with lite.connect(sqlite_path) as conn:
        with conn.cursor() as cur:
            cur.execute(f"drop table if exists {{table}}")
            cur.adbc_ingest(table, text_dates, mode="create")
        conn.commit()
    print(f"    loaded SQLite file in {{time.perf_counter() - start:.1f}} s", flush=True)
"""


# --- the PostgreSQL server and its memory ----------------------------------------------------


def start_postgres() -> tuple[str, str]:
    out = subprocess.run(
        ["bash", str(REPO / "scripts" / "test-postgres.sh"), "start"], check=True, capture_output=True, text=True
    ).stdout.split()
    return out[0], out[1]


def stop_postgres(folder: str) -> None:
    subprocess.run(["bash", str(REPO / "scripts" / "test-postgres.sh"), "stop", folder], check=False)


def _status_kb(pid: int, keys: tuple[str, ...]) -> dict[str, int]:
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in keys:
                values[key] = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return values


def _server_pids(postmaster: int) -> list[int]:
    pids = [postmaster]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            ppid = _status_kb(int(entry.name), ("PPid",)).get("PPid")
            if ppid == postmaster:
                pids.append(int(entry.name))
    return pids


def _spark_jvms(before: set[int]) -> list[int]:
    """The Spark JVMs started since ``before`` was listed (pyspark's gateway: ``pyspark-shell``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in before:
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"java" in cmdline and b"pyspark-shell" in cmdline:
                pids.append(int(entry.name))
    return pids


class ProcessMemory:
    """Samples processes other than the timed child while a case runs; ``peak_mb`` after the block.

    The PostgreSQL server (the postmaster and its backends) or the Spark JVM: GNU time counts the
    child and the descendants it waits for, and pyspark's JVM is not waited for.
    """

    def __init__(self, postgres_folder: str | None = None):
        self.postmaster = None
        if postgres_folder:
            self.postmaster = int((Path(postgres_folder) / "data" / "postmaster.pid").read_text().split()[0])
        self.before = {int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()}
        self.peak_kb = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            pids = _server_pids(self.postmaster) if self.postmaster else _spark_jvms(self.before)
            private, shared = 0, 0
            for pid in pids:
                status = _status_kb(pid, ("RssAnon", "RssFile", "RssShmem"))
                private += status.get("RssAnon", 0) + (0 if self.postmaster else status.get("RssFile", 0))
                # Shared buffers are mapped by every backend: counted once.
                shared = max(shared, status.get("RssShmem", 0))
            self.peak_kb = max(self.peak_kb, private + shared)
            self._done.wait(0.05)

    def __enter__(self) -> ProcessMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


# --- cases --------------------------------------------------------------------------------


def cases_for(rows: int, csv: Path, work: Path, pg_url: str | None, wanted: set[str]) -> list[dict]:
    """Each case: name, source, argv after ``crmkit COMMAND`` (the source and its options), or a floor script."""
    table = f"sales_{rows}"
    parquet = work / f"sales-{rows}.parquet.d"
    sqlite = work / f"sales-{rows}.db"
    cases: list[dict] = [{"case": "duckdb floor: CSV", "source": "csv", "script": DUCKDB_FLOOR.format(path=csv)}]
    if "parquet" in wanted:
        cases.append(
            {"case": "duckdb floor: Parquet", "source": "parquet", "script": PARQUET_FLOOR.format(path=parquet)}
        )
    inputs = [("CSV", "csv", [str(csv)])]
    if "parquet" in wanted:
        inputs.append(("Parquet folder (duckdb)", "parquet", [str(parquet)]))
    if "postgres" in wanted and pg_url:
        inputs.append(("PostgreSQL --engine db", "postgres", [pg_url, "--table", table, "--engine", "db"]))
        inputs.append(("PostgreSQL --engine duckdb", "postgres", [pg_url, "--table", table, "--engine", "duckdb"]))
    if "sqlite" in wanted:
        url = f"sqlite:///{sqlite}"
        inputs.append(("SQLite --engine db", "sqlite", [url, "--table", table, "--engine", "db"]))
        inputs.append(("SQLite --engine duckdb", "sqlite", [url, "--table", table, "--engine", "duckdb"]))
    if "spark" in wanted:
        inputs.append(("Spark local, Parquet folder", "spark", [str(parquet), "--engine", "spark"]))
    if "spark" in wanted:
        # The fixed cost of local mode: a JVM and a SparkSession, no data.
        cases.append({"case": "Spark local: session start only", "source": "spark", "script": SPARK_START})
    for command, extra in (("segment", []), ("clv", ["--margin", "0.3"])):
        for label, source, argv in inputs:
            cases.append({"case": f"{command}: {label}", "source": source, "command": command, "args": [*argv, *extra]})
    return cases


def run_case(case: dict, rows: int, repeats: int, timeout: float, env: dict, out_dir: Path, pg_folder) -> dict:
    if "script" in case:
        argv, out = [sys.executable, "-c", case["script"]], None
    else:
        out = out_dir / f"{case['command']}-{rows}-{len(os.listdir(out_dir))}.csv"
        argv = [sys.executable, "-m", "crmkit", case["command"], *case["args"], "-f", "csv", "-o", str(out), "-q"]
    load = os.getloadavg()[0]
    times, peaks, server_peaks, query_seconds, error = [], [], [], [], None
    for _ in range(repeats):
        if (case["source"] == "postgres" and pg_folder) or case["source"] == "spark":
            log = Path(pg_folder or "", "server.log")
            offset = log.stat().st_size if case["source"] == "postgres" else 0
            with ProcessMemory(pg_folder if case["source"] == "postgres" else None) as server:
                once = run_once(argv, timeout, env)
            server_peaks.append(server.peak_mb)
            if case["source"] == "postgres":
                query_seconds.append(_logged_seconds(log, offset))
        else:
            once = run_once(argv, timeout, env)
        if once["error"]:
            error = once["error"]
            break
        times.append(once["seconds"])
        peaks.append(once["peak_mb"])
    record = {
        "case": case["case"],
        "rows": rows,
        "command": case.get("command"),
        "repeats": len(times),
        "seconds": statistics.median(times) if times and not error else None,
        "all_seconds": [round(t, 3) for t in times],
        "peak_mb": max(peaks) if peaks and not error else None,
        "server_peak_mb": max(server_peaks) if server_peaks else None,
        "server_query_seconds": [round(q, 2) for q in query_seconds],
        "load_1min_before": round(load, 2),
        "error": error,
        "output": str(out) if out and not error else None,
    }
    other = "JVM" if case["source"] == "spark" else "server"
    record["other"] = other
    server = f", {other} {record['server_peak_mb']:.0f} MB" if record["server_peak_mb"] else ""
    if query_seconds:
        server += f", server queries {record['server_query_seconds']} s"
    print(
        f"  {case['case']:<42} "
        + (error or f"{record['seconds']:.2f} s {record['all_seconds']}, {record['peak_mb']:.0f} MB{server}")
        + f" (load {load:.2f})",
        file=sys.stderr,
        flush=True,
    )
    return record


def _logged_seconds(log: Path, offset: int) -> float:
    """Seconds the server spent executing statements logged after ``offset`` (log_min_duration_statement)."""
    with open(log, "rb") as handle:
        handle.seek(offset)
        text = handle.read().decode("utf-8", "replace")
    total = 0.0
    for line in text.splitlines():
        if "duration: " in line and " execute " in line:
            total += float(line.split("duration: ", 1)[1].split()[0]) / 1000
    return total


def same_bytes(a: str, b: str) -> bool:
    return subprocess.run(["cmp", "-s", a, b], check=False).returncode == 0


def markdown_table(records: list[dict]) -> str:
    lines = [
        "| case | wall s (median) | runs | vs CSV case | peak RSS MB | identical to CSV? | load before |",
        "| --- | ---: | --- | ---: | ---: | --- | ---: |",
    ]
    for record in records:
        reference = record.get("reference")
        if record["seconds"] is None:
            lines.append(f"| {record['case']} | {record['error']} | | | | | {record['load_1min_before']} |")
            continue
        ratio = f"{record['seconds'] / reference:.2f}x" if reference else ""
        peak = f"{record['peak_mb']:,.0f}"
        if record["server_peak_mb"]:
            peak += f" (+ {record['other']} {record['server_peak_mb']:,.0f})"
        same = {True: "yes", False: "**NO**", None: "reference" if record.get("is_reference") else "—"}[
            record.get("identical")
        ]
        runs = ", ".join(f"{t:.2f}" for t in record["all_seconds"])
        if record.get("server_query_seconds"):
            runs += " (in the server: " + ", ".join(f"{q:.2f}" for q in record["server_query_seconds"]) + ")"
        lines.append(
            f"| {record['case']} | {record['seconds']:.2f} | {runs} | {ratio} | {peak} | {same} | "
            f"{record['load_1min_before']} |"
        )
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000], help="input sizes in rows")
    parser.add_argument(
        "--repeats", type=int, nargs="+", default=[3, 1], help="runs per case per size, in --rows order (default 3 1)"
    )
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH, help="folder of the input CSVs")
    parser.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help=f"folder for the loaded copies and outputs ({DEFAULT_WORK})"
    )
    parser.add_argument("--cases", default=",".join(SOURCES), help=f"comma-separated subset of {','.join(SOURCES)}")
    parser.add_argument(
        "--postgres-url", default=None, help="use this server (a database the script may write) instead of starting one"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before one run is killed")
    parser.add_argument("--seed", type=int, default=20261123, help="seed of the inputs")
    parser.add_argument("--keep-outputs", action="store_true", help="keep every output file (default: only the CSV's)")
    parser.add_argument("--json", type=Path, default=None, help="also write the records as JSON here")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    wanted = {case.strip() for case in args.cases.split(",") if case.strip()} | {"csv"}
    unknown = wanted - set(SOURCES)
    if unknown:
        sys.exit(f"unknown case(s): {', '.join(sorted(unknown))}")
    args.work.mkdir(parents=True, exist_ok=True)
    args.scratch.mkdir(parents=True, exist_ok=True)
    load_at_start = os.getloadavg()[0]
    env = crmkit_env()
    pg_url, pg_folder = args.postgres_url, None
    if "postgres" in wanted and not pg_url:
        pg_url, pg_folder = start_postgres()
        print(f"PostgreSQL server in {pg_folder}", file=sys.stderr, flush=True)
    records: list[dict] = []
    loads: dict[int, str] = {}
    try:
        for index, rows in enumerate(args.rows):
            repeats = args.repeats[min(index, len(args.repeats) - 1)]
            print(f"{rows:,} rows, {repeats} repeat(s)", file=sys.stderr, flush=True)
            csv = ensure_input(args.scratch, rows, args.seed)
            start = time.perf_counter()
            parquet = args.work / f"sales-{rows}.parquet.d"
            loaded = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    LOADER.format(),
                    str(csv),
                    pg_url or "",
                    f"sales_{rows}",
                    str(args.work / f"sales-{rows}.db"),
                    str(parquet),
                    ",".join(sorted(wanted)),
                    "1" if pg_folder else "0",
                ],
                check=False,
                capture_output=True,
                text=True,
                cwd=REPO,
            )
            if loaded.returncode:
                sys.exit(f"loading {csv} failed:\n{loaded.stderr}")
            loaded = loaded.stdout
            print(loaded, end="", file=sys.stderr)
            loads[rows] = loaded.strip() + f"\n    (all loads {time.perf_counter() - start:.0f} s)"
            warm_page_cache(csv)
            out_dir = args.work / f"out-{rows}"
            out_dir.mkdir(exist_ok=True)
            reference: dict[str, dict] = {}
            for case in cases_for(rows, csv, args.work, pg_url, wanted):
                record = run_case(case, rows, repeats, args.timeout, env, out_dir, pg_folder)
                command = case.get("command")
                if case["source"] == "csv":
                    if command:
                        reference[command] = record
                        record["is_reference"] = True
                    else:
                        reference["floor"] = record
                ref = reference.get(command or "floor")
                record["reference"] = (
                    ref["seconds"] if ref and ref is not record and case["source"] != "spark" else None
                )
                if command and ref and ref is not record:
                    record["reference"] = ref["seconds"]
                if command and record["output"] and not record.get("is_reference"):
                    record["identical"] = same_bytes(ref["output"], record["output"]) if ref and ref["output"] else None
                    if not args.keep_outputs:
                        Path(record["output"]).unlink()
                records.append(record)
    finally:
        if pg_folder:
            stop_postgres(pg_folder)

    info = machine(load_at_start)
    print(
        f"\n{info['date']}, {info['cpus']} CPUs ({info['cpu']}), {info['ram_gb']} GB RAM, Python {info['python']}, "
        f"1-min load average {info['load_1min_at_start']} at start, {info['load_1min_at_end']} at end.\n"
        "Floors are compared with the CSV floor; crmkit cases with the same command from the CSV.\n"
    )
    for rows in args.rows:
        print(f"### {rows:,} rows\n\nLoading:\n{loads.get(rows, '')}\n")
        print(markdown_table([r for r in records if r["rows"] == rows]) + "\n")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "loads": loads, "records": records}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
