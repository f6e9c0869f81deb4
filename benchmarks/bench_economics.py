"""Wall time of ``crmkit economics`` on 1M and 5M purchase rows (Parquet), against DuckDB SQL and polars.

Run by hand from the repository root (pytest never collects this file)::

    python benchmarks/bench_economics.py                           # 1M (best of 3) and 5M rows (1 run)
    python benchmarks/bench_economics.py --rows 1000000 --repeats 1 --cases library,duckdb,polars

Inputs: ``crmkit.synth.write_large_sales(N rows, seed 20261123)`` (2023-01-01 .. 2024-12-31, about 5 rows
per customer, 3% returns as extra negative rows), turned into ``economics-N.parquet`` by DuckDB
(``customer_id``/``order_id`` text, ``order_date`` DATE, ``amount`` DOUBLE) and cached in ``--scratch``.

Cases, each a fresh subprocess (wall from spawn to exit, best of ``--repeats``; peak RSS; CPU seconds):

* ``crmkit economics (cli)``: ``python -m crmkit economics FILE.parquet -f csv -o OUT --quiet``
  (period 12 months up to the last purchase, discount 10%, no margin column: margin = revenue);
* ``library economics``: ``read_purchases(FILE)`` then ``crmkit.economics.economics(data)``;
* ``duckdb SQL``: one query of the same numbers by hand: as-of = last non-return date, ``P`` = the 12
  months up to it, ``P0`` the 12 before; per customer first purchase, bought in ``P`` / ``P0``, net
  revenue in ``P``; then N, N_new, N_rep, R, R_new, R_rep, N0, K, r, m = R_K / K and
  CLV = m r / (1 + d - r) at r and r + 0.01;
* ``polars``: the same with ``polars.scan_parquet`` (lazy, one ``group_by``).

crmkit also checks the export (types, dates, duplicates, returns-only customers), computes the RFM
segments at as-of and the cost-to-serve table per segment, and writes every formula. **Oracle**: the 16
numbers (counts exactly, money and rates to 1e-9 relative) must agree between crmkit's library result
and each peer, and with the CLI's CSV; the script exits 1 and prints them when they do not.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_recommend import best_of
from bench_segment import REPO, crmkit_env, machine, warm_page_cache

DEFAULT_SCRATCH = Path(os.environ.get("CRMKIT_BENCH_DIR", "/tmp/crmkit-bench")) / "economics"
SEED = 20261123
DISCOUNT = 0.10  # annual; the period is 12 months, so d = 0.10
TOLERANCE = 1e-9
CASES = ("cli", "library", "duckdb", "polars")
METRICS = ("customers", "new_customers", "repeat_customers", "revenue", "revenue_new", "revenue_repeat",
           "revenue_share_new", "previous_customers", "retained_customers", "retention_rate", "margin_per_retained",
           "revenue_per_new", "revenue_per_repeat", "repeat_revenue_ratio", "clv", "clv_plus_point")  # fmt: skip


def worker_make(csv: str, parquet: str, rows: str) -> dict:
    import duckdb

    from crmkit.synth import write_large_sales

    write_large_sales(csv, int(rows), seed=SEED)
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv('{csv}', types = {{'customer_id': 'VARCHAR', 'order_id': 'VARCHAR'}})) "
        f"TO '{parquet}' (FORMAT parquet)"
    )
    os.remove(csv)
    return {"rows": int(rows)}


def finish(v: dict) -> dict:
    """The derived numbers from the counts and sums, as the analyst would write them."""
    v["repeat_customers"] = v["customers"] - v["new_customers"]
    v["revenue_repeat"] = v["revenue"] - v["revenue_new"]
    v["revenue_share_new"] = v["revenue_new"] / v["revenue"]
    v["retention_rate"] = r = v["retained_customers"] / v["previous_customers"]
    v["margin_per_retained"] = m = v.pop("revenue_retained") / v["retained_customers"]
    v["revenue_per_new"] = v["revenue_new"] / v["new_customers"]
    v["revenue_per_repeat"] = v["revenue_repeat"] / v["repeat_customers"]
    v["repeat_revenue_ratio"] = v["revenue_per_repeat"] / v["revenue_per_new"]
    v["clv"] = m * r / (1 + DISCOUNT - r)
    v["clv_plus_point"] = m * (r + 0.01) / (1 + DISCOUNT - (r + 0.01))
    return {k: float(v[k]) for k in METRICS} | {"as_of": str(v["as_of"])}


def worker_library(path: str) -> dict:
    phases = {}
    start = time.perf_counter()
    from crmkit.economics import economics
    from crmkit.io.purchases import read_purchases

    phases["imports"] = time.perf_counter() - start
    tick = time.perf_counter()
    data = read_purchases(path)
    phases["read_purchases"] = time.perf_counter() - tick
    tick = time.perf_counter()
    found = economics(data, discount=DISCOUNT)
    phases["economics"] = time.perf_counter() - tick
    return {"phases": phases, "values": {k: found.value(k) for k in METRICS} | {"as_of": found.as_of.isoformat()}}


DUCKDB_SQL = """
WITH s AS (SELECT customer_id, order_date AS d, amount::DECIMAL(18, 2) AS amount,
                  status = 'returned' OR amount < 0 AS ret FROM read_parquet('{path}')),
b AS (SELECT max(d) FILTER (WHERE NOT ret) AS as_of FROM s),
k AS (SELECT as_of, (as_of - INTERVAL 12 MONTH)::DATE AS p, (as_of - INTERVAL 24 MONTH)::DATE AS p0 FROM b),
c AS (SELECT s.customer_id,
             min(s.d) FILTER (WHERE NOT s.ret) > any_value(k.p) AS first_in_p,
             bool_or(NOT s.ret AND s.d > k.p) AS in_p,
             bool_or(NOT s.ret AND s.d > k.p0 AND s.d <= k.p) AS in_p0,
             coalesce(sum(s.amount) FILTER (WHERE s.d > k.p), 0) AS revenue
      FROM s, k WHERE s.d <= k.as_of GROUP BY s.customer_id)
SELECT (SELECT as_of FROM b) AS as_of,
       count(*) FILTER (WHERE in_p) AS customers,
       count(*) FILTER (WHERE in_p AND first_in_p) AS new_customers,
       sum(revenue) FILTER (WHERE in_p)::DOUBLE AS revenue,
       coalesce(sum(revenue) FILTER (WHERE in_p AND first_in_p), 0)::DOUBLE AS revenue_new,
       count(*) FILTER (WHERE in_p0) AS previous_customers,
       count(*) FILTER (WHERE in_p0 AND in_p) AS retained_customers,
       sum(revenue) FILTER (WHERE in_p0 AND in_p)::DOUBLE AS revenue_retained
FROM c
"""


def worker_duckdb(path: str) -> dict:
    phases = {}
    start = time.perf_counter()
    import duckdb

    phases["imports"] = time.perf_counter() - start
    tick = time.perf_counter()
    cur = duckdb.connect().execute(DUCKDB_SQL.format(path=path.replace("'", "''")))
    names = [d[0] for d in cur.description]
    values = dict(zip(names, cur.fetchone()))
    phases["query"] = time.perf_counter() - tick
    return {"phases": phases, "values": finish(values)}


def worker_polars(path: str) -> dict:
    phases = {}
    start = time.perf_counter()
    from datetime import date

    import polars as pl

    phases["imports"] = time.perf_counter() - start
    tick = time.perf_counter()
    lf = pl.scan_parquet(path).with_columns(ret=(pl.col("status") == "returned") | (pl.col("amount") < 0))
    as_of = lf.filter(~pl.col("ret")).select(pl.col("order_date").max()).collect().item()

    def months_back(day: date, months: int) -> date:  # calendar months, the day kept or the month's last
        import calendar

        year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
        return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))

    p, p0 = months_back(as_of, 12), months_back(as_of, 24)
    d, bought = pl.col("order_date"), ~pl.col("ret")
    c = (
        lf.filter(d <= as_of)
        .group_by("customer_id")
        .agg(
            first_in_p=d.filter(bought).min() > p,
            in_p=(bought & (d > p)).any(),
            in_p0=(bought & (d > p0) & (d <= p)).any(),
            revenue=pl.col("amount").filter(d > p).sum(),
        )
        .collect()
    )
    inp = c.filter(pl.col("in_p"))
    new = inp.filter(pl.col("first_in_p"))
    prev = c.filter(pl.col("in_p0"))
    kept = prev.filter(pl.col("in_p"))
    values = {"as_of": as_of, "customers": inp.height, "new_customers": new.height, "revenue": inp["revenue"].sum(),
              "revenue_new": new["revenue"].sum(), "previous_customers": prev.height,
              "retained_customers": kept.height, "revenue_retained": kept["revenue"].sum()}  # fmt: skip
    phases["query"] = time.perf_counter() - tick
    return {"phases": phases, "values": finish(values)}


def worker_cli_values(csv: str) -> dict:
    import pandas as pd

    table = pd.read_csv(csv).set_index("metric")["value"]
    return {"values": {k: float(table[k]) for k in METRICS}}


WORKERS = {"make": worker_make, "library": worker_library, "duckdb": worker_duckdb, "polars": worker_polars,
           "cli_values": worker_cli_values}  # fmt: skip


def worker_argv(name: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", name, *args]


def ensure_input(scratch: Path, rows: int, env: dict) -> Path:
    parquet = scratch / f"economics-{rows}.parquet"
    if not parquet.exists():
        scratch.mkdir(parents=True, exist_ok=True)
        part = scratch / f"economics-{rows}.part.parquet"
        print(f"  writing {parquet} ...", file=sys.stderr, flush=True)
        subprocess.run(worker_argv("make", str(scratch / f"economics-{rows}.csv"), str(part), str(rows),
                                   str(scratch / f"economics-{rows}.json")), check=True, env=env, cwd=REPO)  # fmt: skip
        part.rename(parquet)
    return parquet


def disagreements(ours: dict, theirs: dict) -> list[str]:
    bad = []
    for k in METRICS:
        a, b = ours[k], theirs[k]
        if not math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=0.0 if a == 0 else TOLERANCE):
            bad.append(f"{k}: crmkit {a!r} peer {b!r}")
    if "as_of" in theirs and ours.get("as_of") != theirs["as_of"]:
        bad.append(f"as_of: crmkit {ours.get('as_of')} peer {theirs['as_of']}")
    return bad


def run(args: argparse.Namespace) -> dict:
    env = crmkit_env()
    cases = set(args.cases.split(","))
    sizes = []
    for index, rows in enumerate(args.rows):
        repeats = args.repeats[min(index, len(args.repeats) - 1)]
        path = ensure_input(args.scratch, rows, env)
        warm_page_cache(path)
        print(f"{rows:,} rows, {repeats} run(s)", file=sys.stderr, flush=True)
        records = []
        out = args.scratch / f"economics-cli-{rows}.csv"
        if "cli" in cases:
            argv = [sys.executable, "-m", "crmkit", "economics", str(path), "-f", "csv", "-o", str(out), "--quiet"]
            records.append(best_of("crmkit economics (cli)", argv, repeats, args.timeout, env))
        for case, name in (("library economics", "library"), ("duckdb SQL", "duckdb"), ("polars", "polars")):
            if name in cases:
                result = args.scratch / f"result-economics-{name}-{rows}.json"
                records.append(best_of(case, worker_argv(name, str(path), str(result)), repeats, args.timeout, env,
                                       result))  # fmt: skip
        by = {r["case"]: r for r in records if r["worker"]}
        agreement: dict = {}
        lib = by.get("library economics")
        if lib:
            for case in ("duckdb SQL", "polars"):
                if case in by:
                    agreement[case] = disagreements(lib["worker"]["values"], by[case]["worker"]["values"])
            if "cli" in cases and out.exists():
                result = args.scratch / f"result-economics-cli-{rows}.json"
                subprocess.run(worker_argv("cli_values", str(out), str(result)), check=True, env=env, cwd=REPO)
                agreement["cli csv"] = disagreements(lib["worker"]["values"], json.loads(result.read_text())["values"])
        for case, bad in agreement.items():
            print(f"  agreement with {case}: {'ok' if not bad else bad}", file=sys.stderr, flush=True)
        sizes.append({"rows": rows, "repeats": repeats, "records": records, "agreement": agreement,
                      "values": lib["worker"]["values"] if lib else None})  # fmt: skip
    return {"sizes": sizes}


def markdown(report: dict) -> str:
    lines = [
        "| rows | case | seconds (best) | runs | CPU s | peak RSS MB | ÷ duckdb SQL | phases (s, best run) |",
        "| ---: | --- | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    notes = []
    for size in report["sizes"]:
        by = {r["case"]: r for r in size["records"] if r["seconds"] is not None}
        peer = by.get("duckdb SQL")
        for r in size["records"]:
            if r["seconds"] is None:
                lines.append(f"| {size['rows']:,} | {r['case']} | {r['error']} | | | | | |")
                continue
            phases = ", ".join(f"{k} {v:.2f}" for k, v in (r["worker"] or {}).get("phases", {}).items())
            runs = " / ".join(f"{t:.2f}" for t in r["all_seconds"])
            ratio = f"{r['seconds'] / peer['seconds']:.2f}x" if peer else ""
            lines.append(f"| {size['rows']:,} | {r['case']} | {r['seconds']:.2f} | {runs} | {r['cpu_seconds']:.1f} | "
                         f"{r['peak_mb']:.0f} | {ratio} | {phases} |")  # fmt: skip
        for case, bad in size["agreement"].items():
            state = f"all {len(METRICS)} numbers agree" if not bad else f"**{len(bad)} DISAGREE**: {bad}"
            notes.append(f"- {size['rows']:,} rows, crmkit library vs {case}: {state}")
        if size["values"]:
            v = size["values"]
            notes.append(f"- {size['rows']:,} rows: as-of {v['as_of']}, N {v['customers']:,.0f} (new "
                         f"{v['new_customers']:,.0f}), R {v['revenue']:,.2f}, r {v['retention_rate']:.4f}, "
                         f"CLV {v['clv']:.2f} -> {v['clv_plus_point']:.2f} at r + 0.01")  # fmt: skip
    return "\n".join(lines + [""] + notes)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000], help="purchase rows")
    parser.add_argument("--repeats", type=int, nargs="+", default=[3, 1], help="runs per size (best reported)")
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH, help="inputs and outputs")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a run is killed")
    parser.add_argument("--cases", default=",".join(CASES), help=f"subset of {','.join(CASES)}")
    parser.add_argument("--json", type=Path, help="write machine details and every record here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("worker_args", nargs="*", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        *inputs, result = args.worker_args
        Path(result).write_text(json.dumps(WORKERS[args.worker](*inputs), default=str))
        return 0
    load = os.getloadavg()[0]
    print(f"load average (1 min) at start: {load:.2f}", file=sys.stderr)
    report = run(args)
    report["machine"] = machine(load)
    print(f"load average (1 min) at end: {report['machine']['load_1min_at_end']:.2f}", file=sys.stderr)
    print(markdown(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 1 if any(bad for size in report["sizes"] for bad in size["agreement"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
