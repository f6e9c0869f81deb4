"""Wall time of ``crmkit preferences`` on 1.2M basket lines, against the same shares and lifts in pandas and DuckDB.

Run by hand from the repository root (pytest never collects this file)::

    python benchmarks/bench_preferences.py                    # every case, best of 3
    python benchmarks/bench_preferences.py --repeats 1 --json preferences.json

The input is ``bench_recommend.py``'s ``baskets-1m.csv`` (``python -m crmkit.synth_baskets --customers 100000
--products 5000 --busy``), made once in ``--scratch``.

Cases, each a fresh subprocess (wall time from spawn to exit, best of ``--repeats``; peak RSS of that child);
the library and peer cases also time their own phases:

* ``crmkit preferences (cli)``: ``python -m crmkit preferences FILE -f csv -o OUT --quiet`` (every analysis:
  channel, category, product, weekday and hour, price bands, discounts, RFM segments and their index
  tables, category affinity over baskets and over customers);
* ``library preferences``: ``read_purchases(FILE, keep=...)`` as ``preferences`` reads a path, then
  ``crmkit.preferences.preferences(data)``;
* ``pandas by hand``: a part of the same job: per customer the spend share of each channel and category
  and the main one (most spend, ties by name), and the basket (order) category-pair support and lift
  (pairs in 1 %+ of baskets), per-customer CSV out;
* ``duckdb floor``: that part in DuckDB SQL alone (one ``COPY`` for the customers, one query for the pairs).

The peers do less than crmkit (no segments, product, hour, price or discount analyses), so the ratios
are an upper bound on what crmkit's extra work costs. Agreement: the top basket pair by lift (names and
lift to 1e-9) and every customer's main channel and main category, crmkit's CLI output against both peers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_recommend import DEFAULT_SCRATCH, best_of, ensure_input
from bench_segment import REPO, crmkit_env, machine, warm_page_cache

MIN_SUPPORT = 0.01  # crmkit.preferences.MIN_SUPPORT
CASES = ("cli", "library", "pandas", "duckdb")


def worker_library(path: str, out: str) -> dict:
    phases = {}
    start = time.perf_counter()
    from crmkit.io.purchases import ON_REQUEST, OPTIONAL_ROLES, read_purchases
    from crmkit.preferences import preferences

    phases["imports"] = time.perf_counter() - start
    tick = time.perf_counter()
    data = read_purchases(path, keep=(*OPTIONAL_ROLES, *ON_REQUEST))
    phases["read_purchases"] = time.perf_counter() - tick
    tick = time.perf_counter()
    found = preferences(data)
    phases["preferences"] = time.perf_counter() - tick
    top = found.affinity.iloc[0]
    return {"phases": phases, "customers": len(found.customers), "pairs": len(found.affinity),
            "top_pair": [str(top["category_a"]), str(top["category_b"]), float(top["lift"])]}  # fmt: skip


def worker_pandas(path: str, out: str) -> dict:
    phases = {}
    start = time.perf_counter()
    import numpy as np
    import pandas as pd

    phases["imports"] = time.perf_counter() - start
    tick = time.perf_counter()
    df = pd.read_csv(path, usecols=["order_id", "customer_id", "channel", "category", "amount", "status"],
                     dtype={"order_id": str, "customer_id": str, "channel": str, "category": str})  # fmt: skip
    phases["read_csv"] = time.perf_counter() - tick
    tick = time.perf_counter()
    df = df[(df["status"] != "returned") & (df["amount"] >= 0)]
    parts = []
    for key in ("channel", "category"):
        spend = df.groupby(["customer_id", key], sort=False)["amount"].sum().reset_index()
        total = spend.groupby("customer_id")["amount"].transform("sum")
        spend["share"] = spend["amount"] / total
        main = spend.sort_values(["customer_id", "amount", key], ascending=[True, False, True])
        main = main.drop_duplicates("customer_id").set_index("customer_id")
        part = main[[key, "share"]].rename(columns={key: f"main_{key}", "share": f"main_{key}_share"})
        parts.append(part)
    out_frame = parts[0].join(parts[1], how="outer")
    phases["shares"] = time.perf_counter() - tick
    tick = time.perf_counter()
    basket = df[["order_id", "category"]].drop_duplicates()
    n = basket["order_id"].nunique()
    single = basket["category"].value_counts()
    pairs = basket.merge(basket, on="order_id")
    pairs = pairs[pairs["category_x"] < pairs["category_y"]]
    ab = pairs.groupby(["category_x", "category_y"]).size().rename("ab").reset_index()
    ab = ab[ab["ab"] / n >= MIN_SUPPORT]
    ab["lift"] = ab["ab"] * n / (single[ab["category_x"]].to_numpy() * single[ab["category_y"]].to_numpy())
    ab = ab.sort_values(["lift", "ab", "category_x", "category_y"], ascending=[False, False, True, True])
    phases["pairs"] = time.perf_counter() - tick
    tick = time.perf_counter()
    out_frame.sort_index().to_csv(out, index_label="customer_id")
    phases["to_csv"] = time.perf_counter() - tick
    top = ab.iloc[0]
    return {"phases": phases, "customers": len(out_frame), "pairs": len(ab), "baskets": int(n),
            "top_pair": [str(top["category_x"]), str(top["category_y"]), float(top["lift"])],
            "mean_lines": float(np.mean(df.groupby("order_id").size()))}  # fmt: skip


DUCKDB_CUSTOMERS = """
COPY (
  WITH l AS (SELECT * FROM read_csv('{path}') WHERE status <> 'returned' AND amount >= 0),
  ch AS (SELECT customer_id, channel, sum(amount) AS s FROM l GROUP BY ALL),
  ca AS (SELECT customer_id, category, sum(amount) AS s FROM l GROUP BY ALL),
  mch AS (SELECT customer_id, arg_min(channel, (-s, channel)) AS main_channel, max(s) / sum(s) AS main_channel_share
          FROM ch GROUP BY 1),
  mca AS (SELECT customer_id, arg_min(category, (-s, category)) AS main_category,
                 max(s) / sum(s) AS main_category_share FROM ca GROUP BY 1)
  SELECT * FROM mch FULL JOIN mca USING (customer_id) ORDER BY customer_id
) TO '{out}' (HEADER)
"""
DUCKDB_PAIRS = """
WITH b AS (SELECT DISTINCT order_id, category FROM read_csv('{path}') WHERE status <> 'returned' AND amount >= 0),
n AS (SELECT count(DISTINCT order_id) AS n FROM b),
one AS (SELECT category, count(*) AS c FROM b GROUP BY 1),
two AS (SELECT x.category AS a, y.category AS c2, count(*) AS ab FROM b x JOIN b y
        ON x.order_id = y.order_id AND x.category < y.category GROUP BY 1, 2)
SELECT a, c2, ab * n / (oa.c * ob.c) AS lift, ab, n FROM two, n JOIN one oa ON oa.category = a
  JOIN one ob ON ob.category = c2 WHERE ab / n >= {min_support} ORDER BY lift DESC, ab DESC, a, c2
"""


def worker_duckdb(path: str, out: str) -> dict:
    phases = {}
    start = time.perf_counter()
    import duckdb

    phases["imports"] = time.perf_counter() - start
    quoted = path.replace("'", "''")
    tick = time.perf_counter()
    duckdb.connect().execute(DUCKDB_CUSTOMERS.format(path=quoted, out=out.replace("'", "''")))
    phases["shares"] = time.perf_counter() - tick
    tick = time.perf_counter()
    con = duckdb.connect()
    rows = con.execute(DUCKDB_PAIRS.format(path=quoted, min_support=MIN_SUPPORT)).fetchall()
    phases["pairs"] = time.perf_counter() - tick
    a, b, lift, _ab, n = rows[0]
    return {"phases": phases, "pairs": len(rows), "baskets": int(n), "top_pair": [a, b, float(lift)]}


def worker_compare(crmkit_csv: str, pandas_csv: str, duckdb_csv: str) -> dict:
    """Main channel and category per customer: crmkit's CLI output against each peer's."""
    import pandas as pd

    cols = ["customer_id", "main_channel", "main_category"]
    ours = pd.read_csv(crmkit_csv, usecols=cols, dtype=str).dropna().set_index("customer_id")
    found: dict = {"crmkit_customers": len(ours)}
    for name, path in (("pandas", pandas_csv), ("duckdb", duckdb_csv)):
        if not Path(path).exists():
            continue
        theirs = pd.read_csv(path, usecols=cols, dtype=str).dropna().set_index("customer_id")
        both = ours.merge(theirs, left_index=True, right_index=True, suffixes=("", "_peer"))
        found[name] = {
            "customers": len(theirs),
            "in_both": len(both),
            "main_channel_differ": int((both["main_channel"] != both["main_channel_peer"]).sum()),
            "main_category_differ": int((both["main_category"] != both["main_category_peer"]).sum()),
        }
    return found


def worker_argv(name: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", name, *args]


WORKERS: dict[str, Callable[..., dict]] = {
    "library": worker_library,
    "pandas": worker_pandas,
    "duckdb": worker_duckdb,
    "compare": worker_compare,
}


def run(args: argparse.Namespace) -> dict:
    env = crmkit_env()
    path = ensure_input(args.scratch)
    warm_page_cache(path)
    scratch, cases = args.scratch, set(args.cases.split(","))
    outs = {name: scratch / f"preferences-{name}.csv" for name in ("cli", "library", "pandas", "duckdb")}
    records = []
    if "cli" in cases:
        argv = [sys.executable, "-m", "crmkit", "preferences", str(path), "-f", "csv", "-o", str(outs["cli"])]
        argv.append("--quiet")
        records.append(best_of("crmkit preferences (cli)", argv, args.repeats, args.timeout, env))
    for case, name in (("library preferences", "library"), ("pandas by hand", "pandas"), ("duckdb floor", "duckdb")):
        if name in cases:
            result = scratch / f"result-preferences-{name}.json"
            argv = worker_argv(name, str(path), str(outs[name]), str(result))
            records.append(best_of(case, argv, args.repeats, args.timeout, env, result))
    agreement = None
    if outs["cli"].exists():
        result = scratch / "result-preferences-compare.json"
        argv = worker_argv("compare", str(outs["cli"]), str(outs["pandas"]), str(outs["duckdb"]), str(result))
        subprocess.run(argv, check=True, env=env, cwd=REPO)
        agreement = json.loads(result.read_text())
        agreement["top_pair"] = {r["case"]: r["worker"]["top_pair"] for r in records if r["worker"]}
        print(f"  agreement: {agreement}", file=sys.stderr, flush=True)
    return {"records": records, "agreement": agreement, "input": str(path)}


def markdown(report: dict) -> str:
    records = report["records"]
    by = {r["case"]: r for r in records if r["seconds"] is not None}
    mine = by.get("crmkit preferences (cli)")
    lines = [
        "| case | seconds (best) | runs | CPU s (least) | peak RSS MB | crmkit cli / case | phases (s, best run) |",
        "| --- | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for r in records:
        if r["seconds"] is None:
            lines.append(f"| {r['case']} | {r['error']} | | | | | |")
            continue
        phases = ", ".join(f"{k} {v:.2f}" for k, v in (r["worker"] or {}).get("phases", {}).items())
        runs = " / ".join(f"{t:.2f}" for t in r["all_seconds"])
        ratio = f"{mine['seconds'] / r['seconds']:.2f}x" if mine else ""
        cpu = f"{r['cpu_seconds']:.1f}" if r.get("cpu_seconds") is not None else ""
        lines.append(f"| {r['case']} | {r['seconds']:.2f} | {runs} | {cpu} | {r['peak_mb']:.0f} | {ratio} | {phases} |")
    a = report["agreement"]
    if a:
        lines.append("")
        pairs = a["top_pair"]
        for case, (x, y, lift) in pairs.items():
            lines.append(f"- top basket pair by lift, {case}: {x} + {y}, lift {lift:.6f}")
        ref = next(iter(pairs.values()), None)
        if ref:
            same = all(p[:2] == ref[:2] and abs(p[2] - ref[2]) <= 1e-9 * abs(ref[2]) for p in pairs.values())
            lines.append(f"- top pair and lift agree across all: **{'yes' if same else 'NO'}**")
        for name in ("pandas", "duckdb"):
            if name in a:
                p = a[name]
                lines.append(f"- main channel / main category vs {name}: {p['in_both']:,} customers in both "
                             f"(crmkit {a['crmkit_customers']:,}, {name} {p['customers']:,}); differ "
                             f"{p['main_channel_differ']} / {p['main_category_differ']}")  # fmt: skip
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per case (best reported)")
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
        Path(result).write_text(json.dumps(WORKERS[args.worker](*inputs)))
        return 0
    load = os.getloadavg()[0]
    print(f"load average (1 min) at start: {load:.2f}", file=sys.stderr)
    report = run(args)
    report["machine"] = machine(load)
    print(f"load average (1 min) at end: {report['machine']['load_1min_at_end']:.2f}", file=sys.stderr)
    print(markdown(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
