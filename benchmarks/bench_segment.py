"""Wall time and peak memory of ``crmkit segment`` against a DuckDB floor and lifetimes.

Run by hand from the repository root (pytest never collects this file)::

    python benchmarks/bench_segment.py                      # 1M and 10M rows, all cases
    python benchmarks/bench_segment.py --rows 1000000 --repeats 5 --json results.json

Every measurement is a fresh subprocess: wall time from spawn to exit (median over
repeats) and the peak resident set size of that child alone, from GNU ``/usr/bin/time``
when present, else from ``os.wait4``'s rusage (not ``RUSAGE_CHILDREN``, whose maximum over
all children would let one large run mask the next). Inputs are written once with
``crmkit.synth.write_large_sales`` (in a subprocess) into a scratch directory and reused.

Cases per file size:

* ``duckdb floor``: DuckDB alone reads the CSV and groups by customer in a fresh Python:
  the least any tool could take to read and aggregate the file on this machine;
* ``crmkit segment``: ``python -m crmkit segment FILE --format csv -o OUT --quiet``;
* ``lifetimes summary``: ``pandas.read_csv`` then lifetimes'
  ``summary_data_from_transaction_data`` in the peer virtualenv (see README.md);

and once: ``python -m crmkit --help`` against ``python -c pass`` (interpreter start-up).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCRATCH = Path(os.environ.get("CRMKIT_BENCH_DIR", "/tmp/crmkit-bench"))
DEFAULT_PEER = Path("/tmp/crmkit-peers/bin/python")
# The synthetic files end on this day (write_large_sales default); lifetimes needs it.
OBSERVATION_END = "2024-12-31"

FLOOR_CASES = ("duckdb floor", "python -c pass")
TARGET_FLOOR_RATIO = 2.0  # crmkit segment, 1M rows: within 2x the DuckDB floor
TARGET_PEAK_MB = 3 * 1024  # crmkit segment, 10M rows: peak RSS under 3 GB
TARGET_HELP_SECONDS = 0.3  # crmkit --help
# Linux charges a child with its parent's resident size at exec (the forked image), so
# rusage alone reports this script's own size as the floor of every peak; GNU time forks
# from a 2 MB process instead. This script also never imports pandas, for the same reason.
GNU_TIME = Path("/usr/bin/time")

DUCKDB_FLOOR = """\
import duckdb
duckdb.sql("select customer_id, count(distinct order_date), sum(amount), min(order_date), \
max(order_date) from read_csv('{path}') group by 1").fetchall()
"""

LIFETIMES_PEER = """\
import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data
sales = pd.read_csv({path!r}, dtype={{"customer_id": str}})
summary_data_from_transaction_data(sales, "customer_id", "order_date",
                                   monetary_value_col="amount",
                                   observation_period_end={end!r})
"""


# --- measuring one subprocess ---------------------------------------------------------


def crmkit_env() -> dict:
    """Environment to run crmkit from this checkout whether or not it is installed, byte-compiled
    first as an installed package is (PYTHONDONTWRITEBYTECODE would otherwise recompile it every run)."""
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "crmkit")], check=True, env=env, stdout=subprocess.DEVNULL
    )
    return env


def run_once(argv: list[str], timeout: float, env: dict | None = None) -> dict:
    """Run ``argv`` once; return seconds, peak RSS in MB and an error text or None."""
    with tempfile.TemporaryFile() as stderr, tempfile.NamedTemporaryFile("r") as rss:
        if GNU_TIME.exists():
            argv = [str(GNU_TIME), "-f", "%M", "-o", rss.name, *argv]
        start = time.perf_counter()
        # A new session, so a timeout can kill the whole process group (DuckDB threads,
        # any helper the command starts) and nothing is left running.
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=stderr, cwd=REPO, env=env, start_new_session=True
        )
        result: dict = {}

        def reap():
            # wait4 gives this child's own rusage; Popen.wait would discard it.
            _, status, usage = os.wait4(proc.pid, 0)
            result["seconds"] = time.perf_counter() - start
            result["status"] = os.waitstatus_to_exitcode(status)
            result["peak_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB

        reaper = threading.Thread(target=reap, daemon=True)
        reaper.start()
        reaper.join(timeout)
        if reaper.is_alive():
            os.killpg(proc.pid, signal.SIGKILL)
            reaper.join()
            proc.returncode = result.get("status", -9)
            return {"seconds": None, "peak_mb": None, "error": f"timed out after {timeout:g} s"}
        proc.returncode = result["status"]
        if GNU_TIME.exists():
            # Last line is %M in KiB; a failing command adds a "Command exited" line first.
            lines = rss.read().strip().splitlines()
            if lines and lines[-1].strip().isdigit():
                result["peak_mb"] = int(lines[-1]) / 1024
        if result["status"] != 0:
            stderr.seek(0)
            lines = stderr.read().decode("utf-8", "replace").strip().splitlines()
            last = lines[-1] if lines else ""
            return {"seconds": None, "peak_mb": None, "error": f"failed (exit {result['status']}): {last[:160]}"}
        return {"seconds": result["seconds"], "peak_mb": result["peak_mb"], "error": None}


def measure(
    case: str, rows: int | None, argv: list[str], repeats: int, timeout: float, env: dict | None = None
) -> dict:
    """Median wall time and the largest peak RSS over ``repeats`` fresh runs."""
    times, peaks = [], []
    error = None
    for _ in range(repeats):
        once = run_once(argv, timeout, env)
        if once["error"]:
            error = once["error"]
            break  # a failure or timeout will not go away on a repeat
        times.append(once["seconds"])
        peaks.append(once["peak_mb"])
    record = {
        "case": case,
        "rows": rows,
        "repeats": len(times),
        "seconds": statistics.median(times) if times and not error else None,
        "all_seconds": times,
        "peak_mb": max(peaks) if peaks and not error else None,
        "error": error,
    }
    print(
        f"  {case:<22} {rows or '':>10}  " + (error or f"{record['seconds']:.3f} s, {record['peak_mb']:.0f} MB"),
        file=sys.stderr,
        flush=True,
    )
    return record


# --- inputs -------------------------------------------------------------------------


def ensure_input(scratch: Path, rows: int, seed: int) -> Path:
    """The cached CSV of ``rows`` rows, written first if absent."""
    path = scratch / f"sales-{rows}-seed{seed}.csv"
    if path.exists():
        return path
    partial = path.with_suffix(".csv.part")
    print(f"  writing {path} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    # In a subprocess: importing pandas here would inflate every later peak (see GNU_TIME).
    subprocess.run(
        [sys.executable, "-m", "crmkit.synth", "--rows", str(rows), "--seed", str(seed), "-o", str(partial)],
        cwd=REPO,
        check=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    # Renamed only when complete, so an interrupted run never leaves a short file
    # that a later run would take for a finished one.
    partial.rename(path)
    print(f"  wrote {rows:,} rows in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return path


def warm_page_cache(path: Path) -> None:
    # The first reader would otherwise pay for the disk and the others would not.
    with open(path, "rb") as handle:
        while handle.read(1 << 24):
            pass


# --- report ----------------------------------------------------------------------


def machine(load_at_start: float) -> dict:
    proc_meminfo = Path("/proc/meminfo")
    meminfo = proc_meminfo.read_text().splitlines() if proc_meminfo.exists() else []
    total_kb = next((int(line.split()[1]) for line in meminfo if line.startswith("MemTotal")), 0)
    cpu = ""
    if Path("/proc/cpuinfo").exists():
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    return {
        "date": dt.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "load_1min_at_start": round(load_at_start, 2),
        "load_1min_at_end": round(os.getloadavg()[0], 2),
        "ram_gb": round(total_kb / 1024**2, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def target_note(record: dict, floor: dict | None) -> str:
    case, rows = record["case"], record["rows"]
    if record["seconds"] is None:
        return ""
    if case == "crmkit segment" and rows and rows <= 2_000_000 and floor and floor["seconds"]:
        ratio = record["seconds"] / floor["seconds"]
        return f"target <= {TARGET_FLOOR_RATIO:g}x floor: " + ("met" if ratio <= TARGET_FLOOR_RATIO else "MISSED")
    if case == "crmkit segment" and rows and rows >= 5_000_000:
        return f"target peak < {TARGET_PEAK_MB / 1024:g} GB: " + (
            "met" if record["peak_mb"] < TARGET_PEAK_MB else "MISSED"
        )
    if case == "crmkit --help":
        return f"target < {TARGET_HELP_SECONDS:g} s: " + (
            "met" if record["seconds"] < TARGET_HELP_SECONDS else "MISSED"
        )
    return ""


def markdown_table(records: list[dict]) -> str:
    lines = [
        "| case | rows | seconds (median) | ratio vs floor | peak RSS MB | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for record in records:
        floor = record.get("floor")
        if record["seconds"] is None:
            seconds, ratio, peak = record["error"] or "skipped", "", ""
        else:
            seconds = f"{record['seconds']:.3f}"
            ratio = (
                f"{record['seconds'] / floor['seconds']:.2f}x"
                if floor and floor.get("seconds")
                else "floor"
                if record["case"] in FLOOR_CASES
                else ""
            )
            peak = f"{record['peak_mb']:.0f}"
        rows = f"{record['rows']:,}" if record["rows"] else "—"
        note = target_note(record, floor)
        lines.append(f"| {record['case']} | {rows} | {seconds} | {ratio} | {peak} | {note} |")
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=[1_000_000, 10_000_000],
        help="input sizes in rows (default: 1000000 10000000)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        nargs="+",
        default=[3, 1],
        help="runs per case for each size, in --rows order; the last value serves the remaining sizes (default: 3 1)",
    )
    parser.add_argument(
        "--startup-repeats", type=int, default=10, help="runs of `crmkit --help` and `python -c pass` (default 10)"
    )
    parser.add_argument(
        "--scratch",
        type=Path,
        default=DEFAULT_SCRATCH,
        help=f"directory for inputs and outputs (default {DEFAULT_SCRATCH}, or $CRMKIT_BENCH_DIR)",
    )
    parser.add_argument(
        "--peer-python",
        type=Path,
        default=DEFAULT_PEER,
        help=f"python of the virtualenv with lifetimes (default {DEFAULT_PEER})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="seconds before one run is killed and reported as timed out (default 1800)",
    )
    parser.add_argument(
        "--cases",
        default="duckdb,crmkit,lifetimes,startup",
        help="comma-separated subset of duckdb,crmkit,lifetimes,startup",
    )
    parser.add_argument("--seed", type=int, default=20261123, help="seed of the inputs")
    parser.add_argument(
        "--json", type=Path, default=None, help="also write the records (with machine details) as JSON here"
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cases = {case.strip() for case in args.cases.split(",") if case.strip()}
    unknown = cases - {"duckdb", "crmkit", "lifetimes", "startup"}
    if unknown:
        sys.exit(f"unknown case(s): {', '.join(sorted(unknown))}")
    args.scratch.mkdir(parents=True, exist_ok=True)
    load_at_start = os.getloadavg()[0]
    if load_at_start > 0.5:
        # Other work on the machine shows up in every number (DuckDB uses every core).
        print(f"warning: 1-min load average is {load_at_start:.2f}; timings will be noisy", file=sys.stderr)
    env = crmkit_env()
    peer_ok = args.peer_python.exists()
    records: list[dict] = []

    for index, rows in enumerate(args.rows):
        repeats = args.repeats[min(index, len(args.repeats) - 1)]
        print(f"{rows:,} rows, {repeats} repeat(s)", file=sys.stderr, flush=True)
        path = ensure_input(args.scratch, rows, args.seed)
        warm_page_cache(path)
        floor = None
        if "duckdb" in cases:
            floor = measure(
                "duckdb floor", rows, [sys.executable, "-c", DUCKDB_FLOOR.format(path=path)], repeats, args.timeout, env
            )
            records.append(floor)
        if "crmkit" in cases:
            out = args.scratch / f"segments-{rows}.csv"
            record = measure(
                "crmkit segment",
                rows,
                [sys.executable, "-m", "crmkit", "segment", str(path), "--format", "csv", "-o", str(out), "--quiet"],
                repeats,
                args.timeout,
                env,
            )
            record["floor"] = floor
            records.append(record)
        if "lifetimes" in cases:
            if peer_ok:
                # The peer venv has its own site-packages; no PYTHONPATH from this checkout.
                peer_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
                record = measure(
                    "lifetimes summary",
                    rows,
                    [str(args.peer_python), "-c", LIFETIMES_PEER.format(path=str(path), end=OBSERVATION_END)],
                    repeats,
                    args.timeout,
                    peer_env,
                )
            else:
                record = {
                    "case": "lifetimes summary",
                    "rows": rows,
                    "seconds": None,
                    "peak_mb": None,
                    "repeats": 0,
                    "all_seconds": [],
                    "error": f"skipped: no peer python at {args.peer_python}",
                }
                print(f"  {record['error']}", file=sys.stderr)
            record["floor"] = floor
            records.append(record)

    if "startup" in cases:
        print(f"start-up, {args.startup_repeats} repeats", file=sys.stderr, flush=True)
        bare = measure("python -c pass", None, [sys.executable, "-c", "pass"], args.startup_repeats, args.timeout, env)
        records.append(bare)
        record = measure(
            "crmkit --help", None, [sys.executable, "-m", "crmkit", "--help"], args.startup_repeats, args.timeout, env
        )
        record["floor"] = bare
        records.append(record)

    info = machine(load_at_start)
    print(
        f"\n{info['date']}, {info['cpus']} CPUs ({info['cpu']}), {info['ram_gb']} GB RAM, "
        f"Python {info['python']}, 1-min load average {info['load_1min_at_start']} at start, "
        f"{info['load_1min_at_end']} at end; floor = DuckDB alone for the data rows, "
        "`python -c pass` for `crmkit --help`.\n"
    )
    print(markdown_table(records))
    if args.json:
        flat = [
            {key: value for key, value in record.items() if key != "floor"}
            | {"floor_seconds": (record.get("floor") or {}).get("seconds")}
            for record in records
        ]
        args.json.write_text(json.dumps({"machine": info, "records": flat}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
