"""End-to-end wall time and peak memory of ``crmkit clv`` against pandas + lifetimes.

Run by hand from the repository root (pytest never collects this file)::

    python benchmarks/bench_clv.py                       # 1M rows, 3 runs per case
    python benchmarks/bench_clv.py --repeats 5 --timeout 600 --json clv.json

Both cases go from the raw 1M-row purchase CSV (cached by ``bench_segment.ensure_input``)
to a per-customer CLV file on disk, each run a fresh subprocess (median wall time, largest
peak RSS; measured by ``bench_segment.run_once``/``measure``):

* ``crmkit clv``: ``python -m crmkit clv FILE --format csv -o OUT --quiet --margin 0.3
  --horizon 52w --unit week --discount 0.10`` (BG/NBD + Gamma-Gamma, from this checkout);
* ``crmkit clv --interval 0.9`` (case ``interval``): the same run with 90% intervals for every
  estimate and the totals (delta method + simulated purchase process), against a 2x target;
* ``lifetimes clv``: in the peer virtualenv (lifetimes 0.11.3, pandas 1.5), ``read_csv``,
  ``summary_data_from_transaction_data(..., freq="W")``, ``BetaGeoFitter`` and
  ``GammaGammaFitter`` fits, ``customer_lifetime_value(time=12 months, discount_rate=0.01
  a month, freq="W")`` times the 0.3 margin, written to CSV.

The lifetimes script times its own phases (imports / read / summary / BG/NBD fit / Gamma-
Gamma fit / CLV / write); their medians are printed to stderr after the table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
# bench_segment imports only the standard library, so this process stays small (see its
# GNU_TIME note: a child is charged with the size of the process that forks it).
from bench_segment import (
    DEFAULT_PEER,
    DEFAULT_SCRATCH,
    OBSERVATION_END,
    crmkit_env,
    ensure_input,
    machine,
    measure,
    warm_page_cache,
)

TARGET_SPEEDUP = 5.0  # crmkit clv at least 5x faster than lifetimes, 1M rows
TARGET_INTERVAL_RATIO = 2.0  # crmkit clv --interval 0.9 in under 2x the time without (issue 15)
MARGIN = 0.3
CASES = ("crmkit", "interval", "lifetimes")

# Runs in the peer virtualenv. argv: input, observation end, output CSV, margin, timings
# file (one JSON line of phase seconds appended per run). Returns are left in, as negative
# amounts, exactly as lifetimes is usually fed; the Gamma-Gamma fit takes only customers
# with frequency > 0 and monetary_value > 0 (lifetimes refuses non-positive values there).
LIFETIMES_CLV = r"""
import json, sys, time
start = time.perf_counter()
phases = {}
def lap(name):
    global start
    now = time.perf_counter()
    phases[name] = now - start
    start = now
import warnings
warnings.simplefilter("ignore")
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
path, end, out, margin, timings = sys.argv[1:6]
lap("imports")
sales = pd.read_csv(path, dtype={"customer_id": str})
lap("read")
summary = summary_data_from_transaction_data(sales, "customer_id", "order_date",
                                             monetary_value_col="amount",
                                             observation_period_end=end, freq="W")
lap("summary")
bgf = BetaGeoFitter(penalizer_coef=0.0)
bgf.fit(summary["frequency"], summary["recency"], summary["T"])
lap("fit BG/NBD")
repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
ggf = GammaGammaFitter(penalizer_coef=0.0)
ggf.fit(repeat["frequency"], repeat["monetary_value"])
lap("fit Gamma-Gamma")
clv = ggf.customer_lifetime_value(bgf, summary["frequency"], summary["recency"], summary["T"],
                                  summary["monetary_value"], time=12, discount_rate=0.01,
                                  freq="W") * float(margin)
lap("CLV")
summary.assign(clv=clv).to_csv(out)
lap("write")
with open(timings, "a") as handle:
    handle.write(json.dumps({"phases": phases, "customers": len(summary),
                             "gamma_gamma_customers": len(repeat),
                             "bgnbd": {k: float(v) for k, v in bgf.params_.items()},
                             "gamma_gamma": {k: float(v) for k, v in ggf.params_.items()}})
                 + "\n")
"""

# Run with this checkout's python (DuckDB) after the timed runs: do the two files agree?
COMPARE = """\
import duckdb, json, sys
ours, peer = sys.argv[1:3]
row = duckdb.sql(f'''
    select count(*), count(l.customer_id), sum(c.clv), sum(l.clv), corr(c.clv, l.clv),
           median(l.clv / nullif(c.clv, 0))
    from read_csv('{ours}', types={{'customer_id': 'VARCHAR'}}) c
    full join read_csv('{peer}', types={{'customer_id': 'VARCHAR'}}) l using (customer_id)
''').fetchall()[0]
print(json.dumps(dict(zip(["customers", "matched", "crmkit_total", "lifetimes_total", "corr",
                           "median_ratio"], row))))
"""


def markdown_table(records: list[dict]) -> str:
    """bench_segment's table, with the ratio taken against crmkit and the 5x target."""
    lines = [
        "| case | rows | seconds (median) | ratio vs crmkit | peak RSS MB | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    ours = next((r for r in records if r["case"] == "crmkit clv"), None)
    for record in records:
        rows = f"{record['rows']:,}" if record["rows"] else "—"
        if record["seconds"] is None:
            lines.append(f"| {record['case']} | {rows} | {record['error'] or 'skipped'} | | | |")
            continue
        note = ""
        if record is ours:
            ratio = "1.00x"
        elif record["case"].startswith("crmkit clv --interval") and ours and ours["seconds"]:
            slower = record["seconds"] / ours["seconds"]
            ratio = f"{slower:.2f}x"
            met = "met" if slower < TARGET_INTERVAL_RATIO else "MISSED"
            note = f"target < {TARGET_INTERVAL_RATIO:g}x crmkit clv: {met}"
        elif ours and ours["seconds"]:
            speedup = record["seconds"] / ours["seconds"]
            ratio = f"{speedup:.2f}x"
            note = f"target crmkit >= {TARGET_SPEEDUP:g}x faster: " + ("met" if speedup >= TARGET_SPEEDUP else "MISSED")
        else:
            ratio = ""
        lines.append(
            f"| {record['case']} | {rows} | {record['seconds']:.3f} | {ratio} | {record['peak_mb']:.0f} | {note} |"
        )
    return "\n".join(lines)


def breakdown(runs: list[dict], total: float | None) -> str:
    """Median seconds per phase of the lifetimes script over its runs."""
    names = list(runs[0]["phases"])
    medians = {name: statistics.median(run["phases"][name] for run in runs) for name in names}
    parts = [f"{name} {seconds:.2f} s" for name, seconds in medians.items()]
    if total is not None:
        parts.append(f"interpreter start/exit {max(total - sum(medians.values()), 0.0):.2f} s")
        parts.append(f"(wall {total:.2f} s)")
    return ", ".join(parts)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="input size in rows (default 1000000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case, median reported (default 3)")
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
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of crmkit,interval,lifetimes")
    parser.add_argument("--seed", type=int, default=20261123, help="seed of the input")
    parser.add_argument(
        "--json", type=Path, default=None, help="also write the records (with machine details) as JSON here"
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cases = {case.strip() for case in args.cases.split(",") if case.strip()}
    if cases - set(CASES):
        sys.exit(f"unknown case(s): {', '.join(sorted(cases - set(CASES)))}")
    args.scratch.mkdir(parents=True, exist_ok=True)
    load_at_start = os.getloadavg()[0]
    if load_at_start > 0.5:
        print(f"warning: 1-min load average is {load_at_start:.2f}; timings will be noisy", file=sys.stderr)
    env = crmkit_env()
    path = ensure_input(args.scratch, args.rows, args.seed)
    print(f"{args.rows:,} rows, {args.repeats} repeat(s)", file=sys.stderr, flush=True)
    warm_page_cache(path)
    records: list[dict] = []
    ours_out = args.scratch / f"clv-crmkit-{args.rows}.csv"
    peer_out = args.scratch / f"clv-lifetimes-{args.rows}.csv"
    peer_runs: list[dict] = []

    command = [sys.executable, "-m", "crmkit", "clv", str(path), "--format", "csv", "-o", str(ours_out)]
    command += ["--quiet", "--margin", str(MARGIN), "--horizon", "52w", "--unit", "week", "--discount", "0.10"]
    if "crmkit" in cases:
        records.append(measure("crmkit clv", args.rows, command, args.repeats, args.timeout, env))
    if "interval" in cases:
        interval_out = args.scratch / f"clv-crmkit-interval-{args.rows}.csv"
        with_interval = [str(interval_out) if part == str(ours_out) else part for part in command]
        records.append(
            measure(
                "crmkit clv --interval 0.9",
                args.rows,
                with_interval + ["--interval", "0.9"],
                args.repeats,
                args.timeout,
                env,
            )
        )
    if "lifetimes" in cases:
        if args.peer_python.exists():
            timings = args.scratch / f"clv-lifetimes-{args.rows}.timings.jsonl"
            timings.unlink(missing_ok=True)
            # The peer venv has its own site-packages; no PYTHONPATH from this checkout.
            peer_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            record = measure(
                "lifetimes clv",
                args.rows,
                [
                    str(args.peer_python),
                    "-c",
                    LIFETIMES_CLV,
                    str(path),
                    OBSERVATION_END,
                    str(peer_out),
                    str(MARGIN),
                    str(timings),
                ],
                args.repeats,
                args.timeout,
                peer_env,
            )
            if timings.exists():
                peer_runs = [json.loads(line) for line in timings.read_text().splitlines() if line.strip()]
            record["runs"] = peer_runs
        else:
            record = {
                "case": "lifetimes clv",
                "rows": args.rows,
                "seconds": None,
                "peak_mb": None,
                "repeats": 0,
                "all_seconds": [],
                "error": f"skipped: no peer python at {args.peer_python}",
            }
            print(f"  {record['error']}", file=sys.stderr)
        records.append(record)

    ours = next((r for r in records if r["case"] == "crmkit clv"), None)
    peer = next((r for r in records if r["case"] == "lifetimes clv"), None)
    comparison = None
    if ours and peer and ours["seconds"] and peer["seconds"]:
        done = subprocess.run(
            [sys.executable, "-c", COMPARE, str(ours_out), str(peer_out)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode == 0:
            comparison = json.loads(done.stdout.strip().splitlines()[-1])
        else:
            print("outputs not compared: " + (done.stderr.strip().splitlines() or [""])[-1][:160], file=sys.stderr)

    info = machine(load_at_start)
    print(
        f"\n{info['date']}, {info['cpus']} CPUs ({info['cpu']}), {info['ram_gb']} GB RAM, "
        f"Python {info['python']}, 1-min load average {info['load_1min_at_start']} at start, "
        f"{info['load_1min_at_end']} at end.\n"
    )
    print(markdown_table(records))
    if ours and peer and ours["seconds"] and peer["seconds"]:
        speedup = peer["seconds"] / ours["seconds"]
        print(
            f"\nlifetimes / crmkit = {speedup:.2f}x (target >= {TARGET_SPEEDUP:g}x: "
            + ("met" if speedup >= TARGET_SPEEDUP else "MISSED")
            + ")"
        )
    for record in records:
        if record["all_seconds"]:
            print(f"{record['case']} runs (s): " + " / ".join(f"{s:.3f}" for s in record["all_seconds"]))
    if peer_runs:
        print(
            f"\nlifetimes clv breakdown (median of {len(peer_runs)} run(s)): "
            + breakdown(peer_runs, peer["seconds"] if peer else None),
            file=sys.stderr,
        )
        last = peer_runs[-1]
        print(
            f"lifetimes: {last['customers']:,} customers, Gamma-Gamma on "
            f"{last['gamma_gamma_customers']:,}; BG/NBD "
            + ", ".join(f"{k} {v:.4g}" for k, v in last["bgnbd"].items())
            + "; Gamma-Gamma "
            + ", ".join(f"{k} {v:.4g}" for k, v in last["gamma_gamma"].items()),
            file=sys.stderr,
        )
    if comparison:
        print(
            f"outputs: {comparison['customers']:,} customers ({comparison['matched']:,} in "
            f"both); total CLV crmkit {comparison['crmkit_total']:,.0f}, lifetimes "
            f"{comparison['lifetimes_total']:,.0f}; correlation {comparison['corr']:.3f}; "
            f"median per-customer lifetimes/crmkit {comparison['median_ratio']:.3f}",
            file=sys.stderr,
        )
    if args.json:
        args.json.write_text(
            json.dumps({"machine": info, "records": records, "comparison": comparison}, indent=2) + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
