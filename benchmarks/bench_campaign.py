"""Wall time of ``crmkit campaign`` on 100k and 1M purchase rows, against DuckDB + scipy and polars + scipy.

Run by hand from the repository root (pytest never collects this file)::

    python benchmarks/bench_campaign.py                          # 100k (best of 3) and 1M rows (1 run)
    python benchmarks/bench_campaign.py --rows 100000 --repeats 3 --cases library,duckdb,polars

The input is :func:`crmkit.synth_campaigns.campaign_world` (seed 20261202) with ``n_customers`` scaled to
the row count (about 7.2 rows per customer), written once to ``--scratch`` as ``campaign-sales-N.csv``
(English headers) and ``campaign-N.csv`` (customer_id, group, contact_date, cost, channel, coupon; arms
control / sms / coupon, one contact date, 2025-03-03).

Cases, each a fresh subprocess (wall from spawn to exit, best of ``--repeats``; peak RSS of that child;
CPU seconds user + sys of the child and its threads):

* ``crmkit campaign (cli)``: ``python -m crmkit campaign SALES --campaign CAMPAIGN --window 30d,60d
  -f csv -o OUT --quiet`` (Welch intervals);
* ``crmkit campaign --ci bootstrap (cli)``: the same with BCa bootstrap intervals for the means;
* ``library campaign``: ``read_purchases(SALES)`` then ``crmkit.campaign.campaign(data, CAMPAIGN,
  windows=("30d", "60d"))``; it also times, on the 30d coupon-vs-control revenue arrays, plain Welch,
  CUPED-Welch, bootstrap and CUPED-bootstrap alone (and the CUPED interval's width against the plain one);
* ``duckdb + scipy``: the per-customer pre/post window aggregation in one DuckDB query, then per window
  and arm ``scipy.stats.ttest_ind(equal_var=False)`` and its ``confidence_interval`` (revenue, orders,
  AOV), Newcombe's hybrid score interval from ``binomtest(...).proportion_ci(method="wilson")``
  (conversion, retention) and CUPED (theta over both arms pooled, Welch on the adjusted values);
* ``polars + scipy``: the same aggregation in polars (a left join and a filtered group-by per window),
  the same statistics.

The peers do what an analyst would write for the headline table; crmkit also cleans and checks the
export, computes RFM segments at contact and at each window's end (for upgrades and the per-segment
table), economics, power and balance. **Oracle**: every difference and interval end of conversion,
revenue, orders, AOV and retention (plain) and of conversion, revenue and orders (CUPED), both windows,
both arms, must agree between crmkit's library result and each peer to 1e-9 (relative or absolute), and
the CLI's CSV with the library's; the script exits 1 and prints the rows when they do not.
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

DEFAULT_SCRATCH = Path(os.environ.get("CRMKIT_BENCH_DIR", "/tmp/crmkit-bench")) / "campaign"
SEED = 20261202
ROWS_PER_CUSTOMER = 7.2  # campaign_world's defaults: about 7.2 purchase rows per customer
WINDOWS = (30, 60)
ALPHA = 0.05
TOLERANCE = 1e-9
CASES = ("cli", "bootstrap", "library", "duckdb", "polars")
#: (metric, adjustment) pairs the oracle compares
COMPARED = [(m, "none") for m in ("conversion", "revenue", "orders", "aov", "retention")] + [
    (m, "cuped") for m in ("conversion", "revenue", "orders")
]

# --- the workers (``bench_campaign.py --worker NAME ARGS... RESULT``) --------------------------------


def worker_make(sales: str, camp: str, customers: str) -> dict:
    from crmkit.synth_campaigns import campaign_world

    world = campaign_world(int(customers), seed=SEED)
    world.purchases.to_csv(sales, index=False, float_format="%.2f", lineterminator="\n")
    world.campaign.to_csv(camp, index=False, float_format="%.2f", lineterminator="\n")
    return {"rows": len(world.purchases), "contacted": len(world.campaign), "customers": int(customers),
            "truth_conversion": world.truth["conversion_lift_population"]}  # fmt: skip


def _effect_rows(table) -> list[dict]:
    keep = table[table["adjustment"].isin(["none", "cuped"])]
    return [
        {"window": int(r.window_days), "arm": str(r.arm), "metric": str(r.metric), "adjustment": str(r.adjustment),
         "difference": float(r.difference), "ci_low": float(r.ci_low), "ci_high": float(r.ci_high)}
        for r in keep.itertuples(index=False)
    ]  # fmt: skip


def worker_library(sales: str, camp: str) -> dict:
    phases = {}
    start = time.perf_counter()
    import numpy as np

    from crmkit.campaign import campaign
    from crmkit.io.purchases import read_purchases
    from crmkit.models import effects

    phases["imports"] = time.perf_counter() - start
    tick = time.perf_counter()
    data = read_purchases(sales)
    phases["read_purchases"] = time.perf_counter() - tick
    tick = time.perf_counter()
    found = campaign(data, camp, windows=[f"{d}d" for d in WINDOWS])
    phases["campaign"] = time.perf_counter() - tick
    # the interval methods alone, on the 30d coupon-vs-control revenue arrays
    rows = found.customers[found.customers["window"] == f"{WINDOWS[0]}d"]
    t, c = rows[rows["group"] == "coupon"], rows[rows["role"] == "control"]
    ty, tx = t["revenue"].to_numpy(dtype=float), t["pre_revenue"].to_numpy(dtype=float)
    cy, cx = c["revenue"].to_numpy(dtype=float), c["pre_revenue"].to_numpy(dtype=float)
    methods = {}
    for name, call in (
        ("welch", lambda: effects.mean_difference(ty, cy)),
        ("cuped-welch", lambda: effects.cuped_difference(ty, tx, cy, cx)),
        ("bootstrap", lambda: effects.mean_difference(ty, cy, method="bootstrap")),
        ("cuped-bootstrap", lambda: effects.cuped_difference(ty, tx, cy, cx, method="bootstrap")),
    ):
        tick = time.perf_counter()
        e = call()
        methods[name] = {"seconds": time.perf_counter() - tick, "width": e.ci_high - e.ci_low,
                         "difference": e.estimate, "variance_reduction": e.variance_reduction}  # fmt: skip
    return {"phases": phases, "effects": _effect_rows(found.effects), "methods": methods,
            "n_treated": int(len(t)), "n_control": int(len(c)), "mean_revenue": float(np.mean(ty))}  # fmt: skip


def statistics(per_customer: dict) -> list[dict]:
    """The analyst's statistics on per-customer arrays: {window: {arm: {column: ndarray}}}."""
    import numpy as np
    from scipy import stats

    def wilson(k, n):
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=1 - ALPHA, method="wilson")
        return ci.low, ci.high

    def newcombe(t, c):  # Newcombe (1998) method 10
        k1, n1, k2, n2 = int(t.sum()), t.size, int(c.sum()), c.size
        p1, p2 = k1 / n1, k2 / n2
        (l1, u1), (l2, u2) = wilson(k1, n1), wilson(k2, n2)
        d = p1 - p2
        return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)

    def welch(t, c):
        ci = stats.ttest_ind(t, c, equal_var=False).confidence_interval(1 - ALPHA)
        return t.mean() - c.mean(), ci.low, ci.high

    def cuped(ty, tx, cy, cx):  # Deng et al. (2013): theta over both arms pooled
        y, x = np.concatenate([ty, cy]), np.concatenate([tx, cx])
        theta = np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1)
        return welch(ty - theta * (tx - x.mean()), cy - theta * (cx - x.mean()))

    out = []
    for days, arms in per_customer.items():
        c = arms["control"]
        for arm in ("sms", "coupon"):
            t = arms[arm]
            conv_t, conv_c = (t["orders"] > 0).astype(float), (c["orders"] > 0).astype(float)
            pre_t, pre_c = (t["pre_orders"] > 0).astype(float), (c["pre_orders"] > 0).astype(float)
            bought_t, bought_c = t["orders"] > 0, c["orders"] > 0
            found = {
                ("conversion", "none"): newcombe(conv_t, conv_c),
                ("revenue", "none"): welch(t["revenue"], c["revenue"]),
                ("orders", "none"): welch(t["orders"].astype(float), c["orders"].astype(float)),
                ("aov", "none"): welch(t["revenue"][bought_t] / t["orders"][bought_t],
                                       c["revenue"][bought_c] / c["orders"][bought_c]),
                ("retention", "none"): newcombe(conv_t[pre_t == 1], conv_c[pre_c == 1]),
                ("conversion", "cuped"): cuped(conv_t, pre_t, conv_c, pre_c),
                ("revenue", "cuped"): cuped(t["revenue"], t["pre_revenue"], c["revenue"], c["pre_revenue"]),
                ("orders", "cuped"): cuped(t["orders"].astype(float), t["pre_orders"].astype(float),
                                           c["orders"].astype(float), c["pre_orders"].astype(float)),
            }  # fmt: skip
            for (metric, adjustment), (d, low, high) in found.items():
                out.append({"window": int(days), "arm": arm, "metric": metric, "adjustment": adjustment,
                            "difference": float(d), "ci_low": float(low), "ci_high": float(high)})  # fmt: skip
    return out


DUCKDB_WINDOWS = """
WITH s AS (
  SELECT order_id, customer_id, order_date::DATE AS d, amount::DECIMAL(18, 2) AS amount,
         status = 'returned' OR amount < 0 AS ret
  FROM read_csv('{sales}', types = {{'order_id': 'VARCHAR', 'customer_id': 'VARCHAR'}})),
c AS (SELECT customer_id, "group" AS arm, contact_date::DATE AS c
      FROM read_csv('{camp}', types = {{'customer_id': 'VARCHAR', 'group': 'VARCHAR'}})),
w AS (SELECT unnest({windows}) AS days)
SELECT w.days, c.arm, c.customer_id,
  count(DISTINCT CASE WHEN NOT s.ret AND s.d >= c.c AND s.d < c.c + w.days THEN s.order_id END) AS orders,
  coalesce(sum(CASE WHEN s.d >= c.c THEN s.amount END), 0)::DOUBLE AS revenue,
  count(DISTINCT CASE WHEN NOT s.ret AND s.d < c.c THEN s.order_id END) AS pre_orders,
  coalesce(sum(CASE WHEN s.d < c.c THEN s.amount END), 0)::DOUBLE AS pre_revenue
FROM c CROSS JOIN w LEFT JOIN s ON s.customer_id = c.customer_id AND s.d >= c.c - w.days AND s.d < c.c + w.days
GROUP BY ALL ORDER BY w.days, c.arm, c.customer_id
"""


def _split(days, arm, columns: dict) -> dict:
    import numpy as np

    out: dict = {}
    for w in sorted(set(days.tolist())):
        out[int(w)] = {}
        for a in sorted(set(arm.tolist())):
            mask = (days == w) & (arm == a)
            out[int(w)][str(a)] = {k: np.asarray(v[mask]) for k, v in columns.items()}
    return out


def worker_duckdb(sales: str, camp: str) -> dict:
    phases = {}
    start = time.perf_counter()
    import duckdb
    import numpy as np

    phases["imports"] = time.perf_counter() - start
    tick = time.perf_counter()
    sql = DUCKDB_WINDOWS.format(sales=sales.replace("'", "''"), camp=camp.replace("'", "''"), windows=list(WINDOWS))
    got = duckdb.connect().execute(sql).fetchnumpy()
    phases["aggregate"] = time.perf_counter() - tick
    tick = time.perf_counter()
    columns = {k: np.asarray(got[k], dtype=float) for k in ("orders", "revenue", "pre_orders", "pre_revenue")}
    per = _split(np.asarray(got["days"]), np.asarray(got["arm"], dtype=object), columns)
    found = statistics(per)
    phases["statistics"] = time.perf_counter() - tick
    return {"phases": phases, "effects": found}


def worker_polars(sales: str, camp: str) -> dict:
    phases = {}
    start = time.perf_counter()
    import polars as pl

    phases["imports"] = time.perf_counter() - start
    tick = time.perf_counter()
    s = pl.read_csv(sales, schema_overrides={"order_id": pl.Utf8, "customer_id": pl.Utf8}, try_parse_dates=True)
    s = s.with_columns(ret=(pl.col("status") == "returned") | (pl.col("amount") < 0))
    c = pl.read_csv(camp, schema_overrides={"customer_id": pl.Utf8, "group": pl.Utf8}, try_parse_dates=True)
    c = c.select("customer_id", pl.col("group").alias("arm"), pl.col("contact_date").cast(pl.Date).alias("c"))
    joined = c.join(s.select("customer_id", "order_id", pl.col("order_date").alias("d"), "amount", "ret"),
                    on="customer_id", how="left")  # fmt: skip
    phases["read_join"] = time.perf_counter() - tick
    tick = time.perf_counter()
    frames = []
    for days in WINDOWS:
        width = pl.duration(days=days)
        post = (pl.col("d") >= pl.col("c")) & (pl.col("d") < pl.col("c") + width)
        pre = (pl.col("d") >= pl.col("c") - width) & (pl.col("d") < pl.col("c"))
        frames.append(
            joined.group_by("arm", "customer_id").agg(
                orders=pl.col("order_id").filter(post & ~pl.col("ret")).n_unique(),
                revenue=pl.col("amount").filter(post).sum(),
                pre_orders=pl.col("order_id").filter(pre & ~pl.col("ret")).n_unique(),
                pre_revenue=pl.col("amount").filter(pre).sum(),
            ).with_columns(days=pl.lit(days)).sort("arm", "customer_id")
        )  # fmt: skip
    per_customer = pl.concat(frames)
    phases["aggregate"] = time.perf_counter() - tick
    tick = time.perf_counter()
    columns = {
        k: per_customer[k].cast(pl.Float64).to_numpy() for k in ("orders", "revenue", "pre_orders", "pre_revenue")
    }
    per = _split(per_customer["days"].to_numpy(), per_customer["arm"].to_numpy().astype(object), columns)
    found = statistics(per)
    phases["statistics"] = time.perf_counter() - tick
    return {"phases": phases, "effects": found}


def worker_cli_effects(csv: str) -> dict:
    """The effects rows of the CLI's CSV output (for the CLI-vs-library check)."""
    import pandas as pd

    return {"effects": _effect_rows(pd.read_csv(csv))}


WORKERS = {"make": worker_make, "library": worker_library, "duckdb": worker_duckdb, "polars": worker_polars,
           "cli_effects": worker_cli_effects}  # fmt: skip


def worker_argv(name: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", name, *args]


# --- the runner ---------------------------------------------------------------------------------------


def ensure_world(scratch: Path, rows: int, env: dict) -> tuple[Path, Path, dict]:
    sales, camp, meta = (scratch / f"campaign-sales-{rows}.csv", scratch / f"campaign-{rows}.csv",
                         scratch / f"campaign-{rows}.json")  # fmt: skip
    if not meta.exists():
        scratch.mkdir(parents=True, exist_ok=True)
        customers = max(100, round(rows / ROWS_PER_CUSTOMER))
        print(f"  writing {sales} ({customers:,} customers) ...", file=sys.stderr, flush=True)
        subprocess.run(worker_argv("make", str(sales), str(camp), str(customers), str(meta)), check=True, env=env,
                       cwd=REPO)  # fmt: skip
    return sales, camp, json.loads(meta.read_text())


def key(row: dict) -> tuple:
    return (row["window"], row["arm"], row["metric"], row["adjustment"])


def disagreements(reference: list[dict], other: list[dict]) -> list[str]:
    ours = {key(r): r for r in reference}
    theirs = {key(r): r for r in other}
    bad = []
    for metric, adjustment in COMPARED:
        for days in WINDOWS:
            for arm in ("sms", "coupon"):
                k = (days, arm, metric, adjustment)
                if k not in ours or k not in theirs:
                    bad.append(f"{k}: missing ({'crmkit' if k not in ours else 'peer'})")
                    continue
                for field in ("difference", "ci_low", "ci_high"):
                    a, b = ours[k][field], theirs[k][field]
                    if not math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
                        bad.append(f"{k} {field}: crmkit {a!r} peer {b!r} (diff {a - b:.3g})")
    return bad


def run(args: argparse.Namespace) -> dict:
    env = crmkit_env()
    cases = set(args.cases.split(","))
    sizes = []
    for index, rows in enumerate(args.rows):
        repeats = args.repeats[min(index, len(args.repeats) - 1)]
        sales, camp, meta = ensure_world(args.scratch, rows, env)
        warm_page_cache(sales)
        print(f"{rows:,} rows target: {meta['rows']:,} rows, {meta['contacted']:,} contacted, {repeats} run(s)",
              file=sys.stderr, flush=True)  # fmt: skip
        records = []
        cli = [sys.executable, "-m", "crmkit", "campaign", str(sales), "--campaign", str(camp), "--window",
               ",".join(f"{d}d" for d in WINDOWS), "-f", "csv", "--quiet"]  # fmt: skip
        out = args.scratch / f"campaign-cli-{rows}.csv"
        if "cli" in cases:
            records.append(best_of("crmkit campaign (cli)", [*cli, "-o", str(out)], repeats, args.timeout, env))
        if "bootstrap" in cases:
            argv = [*cli, "--ci", "bootstrap", "-o", str(args.scratch / f"campaign-cli-boot-{rows}.csv")]
            records.append(best_of("crmkit campaign --ci bootstrap (cli)", argv, repeats, args.timeout, env))
        for case, name in (("library campaign", "library"), ("duckdb + scipy", "duckdb"), ("polars + scipy", "polars")):
            if name in cases:
                result = args.scratch / f"result-campaign-{name}-{rows}.json"
                argv = worker_argv(name, str(sales), str(camp), str(result))
                records.append(best_of(case, argv, repeats, args.timeout, env, result))
        by = {r["case"]: r for r in records if r["worker"]}
        agreement: dict = {}
        lib = by.get("library campaign")
        if lib:
            for case in ("duckdb + scipy", "polars + scipy"):
                if case in by:
                    agreement[case] = disagreements(lib["worker"]["effects"], by[case]["worker"]["effects"])
            if out.exists() and "cli" in cases:
                result = args.scratch / f"result-campaign-cli-{rows}.json"
                subprocess.run(worker_argv("cli_effects", str(out), str(result)), check=True, env=env, cwd=REPO)
                agreement["cli csv"] = disagreements(
                    lib["worker"]["effects"], json.loads(result.read_text())["effects"]
                )
        for case, bad in agreement.items():
            print(f"  agreement with {case}: {'ok' if not bad else bad}", file=sys.stderr, flush=True)
        sizes.append({"rows": rows, "meta": meta, "repeats": repeats, "records": records, "agreement": agreement})
    return {"sizes": sizes}


def markdown(report: dict) -> str:
    lines = [
        "| rows | case | seconds (best) | runs | CPU s | peak RSS MB | ÷ duckdb + scipy | phases (s, best run) |",
        "| ---: | --- | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    notes = []
    for size in report["sizes"]:
        by = {r["case"]: r for r in size["records"] if r["seconds"] is not None}
        peer = by.get("duckdb + scipy")
        for r in size["records"]:
            if r["seconds"] is None:
                lines.append(f"| {size['meta']['rows']:,} | {r['case']} | {r['error']} | | | | | |")
                continue
            phases = ", ".join(f"{k} {v:.2f}" for k, v in (r["worker"] or {}).get("phases", {}).items())
            runs = " / ".join(f"{t:.2f}" for t in r["all_seconds"])
            ratio = f"{r['seconds'] / peer['seconds']:.2f}x" if peer else ""
            lines.append(f"| {size['meta']['rows']:,} | {r['case']} | {r['seconds']:.2f} | {runs} | "
                         f"{r['cpu_seconds']:.1f} | {r['peak_mb']:.0f} | {ratio} | {phases} |")  # fmt: skip
        lib = by.get("library campaign")
        if lib:
            m = lib["worker"]["methods"]
            plain, cuped = m["welch"], m["cuped-welch"]
            notes.append(
                f"- {size['meta']['rows']:,} rows, 30d revenue coupon vs control ({lib['worker']['n_treated']:,} vs "
                f"{lib['worker']['n_control']:,}): " + ", ".join(f"{k} {v['seconds'] * 1000:.1f} ms (width "
                f"{v['width']:.4f})" for k, v in m.items()) + f"; CUPED narrows the Welch interval by "
                f"{1 - cuped['width'] / plain['width']:.1%} (variance reduction {cuped['variance_reduction']:.1%})"
            )  # fmt: skip
        for case, bad in size["agreement"].items():
            compared = len(COMPARED) * len(WINDOWS) * 2
            state = f"all {compared} rows agree to {TOLERANCE:g}" if not bad else f"**{len(bad)} DISAGREE**: {bad}"
            notes.append(f"- {size['meta']['rows']:,} rows, crmkit library vs {case}: {state}")
    return "\n".join(lines + [""] + notes)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000], help="purchase rows (about)")
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
