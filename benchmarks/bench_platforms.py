"""Wall time and peak memory of reading platform exports: ``crmkit segment`` on a Shopify and a Taobao export.

Run by hand from the repository root (pytest never collects this file)::

    python benchmarks/bench_platforms.py                    # both exports, 1M rows each, 3 runs
    python benchmarks/bench_platforms.py --rows 200000 --repeats 1 --json platforms.json

Inputs are made once with :mod:`crmkit.synth_platforms` and cached in ``--scratch``. A drawn order
book has about 40 customers whatever its size, so a large export is many books (seeds ``seed``,
``seed + 1`` …) written one after another, each book's emails, nicknames and order numbers prefixed
with the book's number so that customers and orders stay distinct: about 100k customers per 1M rows.

Cases per export, each a fresh subprocess (wall time from spawn to exit, best of ``--repeats``; peak
RSS of that child from GNU ``/usr/bin/time``, else ``os.wait4``):

* ``crmkit segment (platform)``: ``python -m crmkit segment EXPORT -f csv -o OUT --quiet``, the
  platform detected from the header;
* ``crmkit segment (generic)``: the same purchases as a generic export (customer_id, date, amount,
  order_id, from ``read_purchases(EXPORT).transactions``, written once): the ratio of the two is what
  the platform rules cost;
* ``pandas by hand``: what an analyst writes with the same rules (read with the right encoding,
  Shopify's order fields forward-filled within Name / Taobao's repeated order numbers dropped, the
  status vocabulary, net = paid - refunds - outstanding, a purchase refunded in full dropped, then
  recency / frequency / monetary per customer);
* ``duckdb floor``: one DuckDB SQL over the raw CSV doing the same aggregation (Taobao's GB18030 is
  transcoded in Python first inside the timed run: DuckDB reads only UTF-8/16 and Latin-1 without
  its ``encodings`` extension).

The script checks, and says, that the platform and generic runs give the same monetary total for
every customer and that pandas and DuckDB find the same customers and revenue as crmkit.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_segment import REPO, crmkit_env, run_once, warm_page_cache

DEFAULT_SCRATCH = Path(os.environ.get("CRMKIT_BENCH_DIR", "/tmp/crmkit-bench")) / "platforms"
BOOK_ORDERS = 250  # orders per drawn book (about 40 customers each)
PLATFORMS = ("shopify", "taobao")

# --- the peers -----------------------------------------------------------------------
# Each prints "customers revenue" last, so the run can be checked against crmkit's.

PANDAS_SHOPIFY = """\
import pandas as pd
cols = ["Name", "Email", "Financial Status", "Paid at", "Created at", "Total", "Refunded Amount",
        "Outstanding Balance", "Cancelled at"]
df = pd.read_csv({path!r}, encoding="utf-8-sig", usecols=cols, dtype=str)
order = cols[1:]
df[order] = df.groupby("Name")[order].ffill()  # order fields are on the first line item only
df = df.drop_duplicates("Name")  # one row an order for the money
df = df[df["Financial Status"].str.strip().str.lower().isin(["paid", "partially_refunded", "partially_paid"])
        & df["Cancelled at"].isna()]
money = lambda c: pd.to_numeric(df[c], errors="coerce").fillna(0).abs()
df["net"] = pd.to_numeric(df["Total"]) - money("Refunded Amount") - money("Outstanding Balance")
df = df[df["net"] > 0]
df["day"] = pd.to_datetime(df["Paid at"].fillna(df["Created at"]).str[:10])
df["customer"] = df["Email"].str.strip().str.lower()
rfm = df.groupby("customer").agg(last=("day", "max"), frequency=("day", "nunique"), monetary=("net", "sum"))
rfm["recency"] = (df["day"].max() - rfm["last"]).dt.days
print(len(rfm), round(rfm["monetary"].sum(), 2))
"""

PANDAS_TAOBAO = """\
import pandas as pd
cols = ["订单编号", "买家会员名", "买家实际支付金额", "订单状态", "订单创建时间", "订单付款时间", "退款金额"]
df = pd.read_csv({path!r}, encoding="gb18030", dtype=str)
df.columns = df.columns.str.strip()  # six headers end with a space
df = df[cols]
df["订单编号"] = df["订单编号"].str.strip('="')
df = df.drop_duplicates("订单编号")  # an order downloaded twice
ok = ["交易成功", "买家已付款，等待卖家发货", "卖家已发货，等待买家确认", "卖家部分发货", "买家已签收"]
df = df[df["订单状态"].str.strip().isin(ok)]
df["net"] = pd.to_numeric(df["买家实际支付金额"]) - pd.to_numeric(df["退款金额"], errors="coerce").fillna(0)
df = df[df["net"] > 0]
df["day"] = pd.to_datetime(df["订单付款时间"].fillna(df["订单创建时间"]).str[:10])
rfm = df.groupby("买家会员名").agg(last=("day", "max"), frequency=("day", "nunique"), monetary=("net", "sum"))
rfm["recency"] = (df["day"].max() - rfm["last"]).dt.days
print(len(rfm), round(rfm["monetary"].sum(), 2))
"""

DUCKDB_SHOPIFY = """\
import duckdb
rel = duckdb.read_csv({path!r}, all_varchar=True)
print(*duckdb.sql('''
with o as (
  select Name, max(Email) e, max("Financial Status") s, coalesce(max("Paid at"), max("Created at")) d,
         max(Total)::decimal(18,2) - coalesce(abs(max("Refunded Amount")::decimal(18,2)), 0)
           - coalesce(abs(max("Outstanding Balance")::decimal(18,2)), 0) net,
         max("Cancelled at") c
  from rel group by Name),
p as (select lower(e) cust, d[1:10]::date AS day, net from o
      where s in ('paid', 'partially_refunded', 'partially_paid') and c is null and net > 0),
r as (select cust, max(day) AS last, count(distinct day) f, sum(net) m from p group by cust)
select count(*), sum(m) from r''').fetchall()[0])
"""

DUCKDB_TAOBAO = """\
import duckdb
utf8 = {path!r} + ".utf8"  # rewritten every run: the transcoding is part of the floor
with open({path!r}, encoding="gb18030", newline="") as src, open(utf8, "w", encoding="utf-8", newline="") as out:
    while chunk := src.read(1 << 24):
        out.write(chunk)
rel = duckdb.read_csv(utf8, all_varchar=True)
print(*duckdb.sql('''
with o as (
  select trim("订单编号", '="') id, "买家会员名" cust, "订单状态" s,
         coalesce("订单付款时间", "订单创建时间") d,
         "买家实际支付金额"::decimal(18,2) - coalesce(abs("退款金额"::decimal(18,2)), 0) net
  from rel qualify row_number() over (partition by id) = 1),
p as (select cust, d[1:10]::date AS day, net from o
      where s in ('交易成功', '买家已付款，等待卖家发货', '卖家已发货，等待买家确认', '卖家部分发货', '买家已签收')
        and net > 0),
r as (select cust, max(day) AS last, count(distinct day) f, sum(net) m from p group by cust)
select count(*), sum(m) from r''').fetchall()[0])
"""

PEERS = {("pandas", "shopify"): PANDAS_SHOPIFY, ("pandas", "taobao"): PANDAS_TAOBAO,
         ("duckdb", "shopify"): DUCKDB_SHOPIFY, ("duckdb", "taobao"): DUCKDB_TAOBAO}  # fmt: skip


# --- inputs (made in a subprocess: importing crmkit and pandas here would inflate every later peak) ---


def make_export(platform_name: str, rows: int, seed: int, path: Path) -> None:
    """Write books of :data:`BOOK_ORDERS` orders until the export has ``rows`` data rows; print its truth."""
    from crmkit.synth_platforms import export_bytes, generate_orders

    written, customers, revenue, books = 0, 0, Decimal(0), 0
    with open(path, "wb") as out:
        while written < rows:
            book = generate_orders(platform_name, orders=BOOK_ORDERS, seed=seed + books)
            seen = set()
            for order in book.orders:
                # distinct customers and orders per book; the number keeps the platform's form
                order.number = (
                    f"#{books}-{order.number[1:]}" if platform_name == "shopify" else f"{books}{order.number}"
                )
                if id(order.customer) not in seen:
                    seen.add(id(order.customer))
                    order.customer.email = f"b{books}.{order.customer.email}"
                    order.customer.nick = f"b{books}_{order.customer.nick}"
            data = export_bytes(book)
            if books:  # one header (and one BOM) for the whole file
                data = data.split(b"\r\n", 1)[1]
            out.write(data)
            truth = book.truth
            written, customers, revenue, books = (
                written + truth.rows,
                customers + truth.customers,
                revenue + truth.revenue,
                books + 1,
            )
    print(json.dumps({"rows": written, "customers": customers, "revenue": str(revenue), "books": books}))


def make_generic(export: Path, path: Path) -> None:
    """The export's purchases as crmkit reads them, written as a generic customer_id,date,amount,order_id CSV."""
    from crmkit.io.purchases import read_purchases

    tx = read_purchases(str(export)).transactions
    frame = tx[["customer_id", "date", "amount", "order_id"]].copy()
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    frame.to_csv(path, index=False)
    print(json.dumps({"rows": len(frame), "customers": int(frame["customer_id"].nunique())}))


def ensure(kind: str, args: list[str], path: Path) -> dict:
    """Run ``--make kind …`` once into ``path`` (a ``.json`` beside it keeps what it printed)."""
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return json.loads(meta.read_text())
    partial = path.with_suffix(".part")
    print(f"  writing {path} ...", file=sys.stderr, flush=True)
    done = subprocess.run(
        [sys.executable, __file__, "--make", kind, *args, str(partial)],
        cwd=REPO, check=True, capture_output=True, text=True, env=crmkit_env_plain(),
    )  # fmt: skip
    partial.rename(path)  # only when complete: a cut-off run leaves no short file
    meta.write_text(done.stdout.strip().splitlines()[-1] + "\n")
    return json.loads(meta.read_text())


def crmkit_env_plain() -> dict:
    return dict(os.environ, PYTHONPATH=str(REPO))


# --- measuring -------------------------------------------------------------------------


def best_of(case: str, platform_name: str, argv: list[str], repeats: int, timeout: float, env: dict) -> dict:
    """Best wall time (and largest peak RSS) of ``repeats`` fresh runs; the peer's last stdout line kept."""
    times, peaks, error = [], [], None
    for _ in range(repeats):
        once = run_once(argv, timeout, env)
        if once["error"]:
            error = once["error"]
            break
        times.append(once["seconds"])
        peaks.append(once["peak_mb"])
    record = {"case": case, "platform": platform_name, "all_seconds": times, "error": error,
              "seconds": min(times) if times and not error else None,
              "peak_mb": max(peaks) if peaks and not error else None}  # fmt: skip
    text = (
        error or f"{record['seconds']:.3f} s (runs {', '.join(f'{t:.2f}' for t in times)}), {record['peak_mb']:.0f} MB"
    )
    print(f"  {case:<28} {text}", file=sys.stderr, flush=True)
    return record


def peer_answer(script: str, env: dict) -> tuple[int, Decimal]:
    """The customers and revenue a peer script prints (one extra, untimed run)."""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env, cwd=REPO)
    n, revenue = out.stdout.split()[-2:]
    return int(n), Decimal(revenue).quantize(Decimal("0.01"))


def monetary(path: Path) -> dict[str, Decimal]:
    """customer_id -> monetary of a ``crmkit segment -f csv`` output."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return {row["customer_id"]: Decimal(row["monetary"]) for row in csv.DictReader(handle)}


def run_platform(name: str, args: argparse.Namespace, env: dict) -> tuple[list[dict], dict]:
    rows = args.rows
    export = args.scratch / f"{name}-{rows}-seed{args.seed}.csv"
    facts = ensure("export", [name, str(rows), str(args.seed)], export)
    generic = args.scratch / f"{name}-{rows}-seed{args.seed}-generic.csv"
    facts["generic"] = ensure("generic", [str(export)], generic)
    facts["mb"] = round(export.stat().st_size / 1e6)
    print(f"{name}: {facts}", file=sys.stderr, flush=True)
    warm_page_cache(export)
    warm_page_cache(generic)
    outs = {kind: args.scratch / f"segments-{name}-{kind}.csv" for kind in ("platform", "generic")}
    segment = [sys.executable, "-m", "crmkit", "segment"]
    records = [
        best_of("crmkit segment (platform)", name, [*segment, str(export), "-f", "csv", "-o", str(outs["platform"]),
                "--quiet"], args.repeats, args.timeout, env),
        best_of("crmkit segment (generic)", name, [*segment, str(generic), "-f", "csv", "-o", str(outs["generic"]),
                "--quiet"], args.repeats, args.timeout, env),
    ]  # fmt: skip
    for peer, case in (("pandas", "pandas by hand"), ("duckdb", "duckdb floor")):
        script = PEERS[peer, name].format(path=str(export))
        records.append(best_of(case, name, [sys.executable, "-c", script], args.repeats, args.timeout, env))
        facts[peer] = peer_answer(script, env)
    # the checks: same money per customer both ways; the peers' customers and revenue against crmkit's
    plat, gen = monetary(outs["platform"]), monetary(outs["generic"])
    differ = [c for c in plat.keys() | gen.keys() if plat.get(c) != gen.get(c)]
    facts["crmkit"] = (len(plat), sum(plat.values(), Decimal(0)).quantize(Decimal("0.01")))
    facts["platform_vs_generic_differ"] = len(differ)
    facts["disagreements"] = [
        f"{peer}: {facts[peer][0]:,} customers, {facts[peer][1]} revenue against crmkit's "
        f"{facts['crmkit'][0]:,} and {facts['crmkit'][1]}"
        for peer in ("pandas", "duckdb")
        if tuple(facts[peer]) != facts["crmkit"]
    ]
    if differ:
        facts["disagreements"].insert(0, f"platform and generic monetary differ for {len(differ):,} customers")
    for line in facts["disagreements"]:
        print(f"  DISAGREE {line}", file=sys.stderr)
    assert not differ, f"{name}: platform and generic runs differ for {len(differ)} customers, e.g. {differ[:3]}"
    return records, facts


def table(results: dict) -> str:
    lines = [
        "| export | case | seconds (best) | runs | peak RSS MB | ratio |",
        "| --- | --- | ---: | --- | ---: | --- |",
    ]
    for name, (records, _facts) in results.items():
        by = {r["case"]: r["seconds"] for r in records}
        for r in records:
            if r["seconds"] is None:
                lines.append(f"| {name} | {r['case']} | {r['error']} | | | |")
                continue
            mine = by["crmkit segment (platform)"]
            ratio = {
                "crmkit segment (platform)": "",
                "crmkit segment (generic)": f"platform / generic {mine / r['seconds']:.2f}x",
                "pandas by hand": f"crmkit / pandas {mine / r['seconds']:.2f}x",
                "duckdb floor": f"crmkit / floor {mine / r['seconds']:.2f}x",
            }[r["case"]]
            runs = " / ".join(f"{t:.2f}" for t in r["all_seconds"])
            lines.append(f"| {name} | {r['case']} | {r['seconds']:.2f} | {runs} | {r['peak_mb']:.0f} | {ratio} |")
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="data rows per export (default 1000000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case, best reported (default 3)")
    parser.add_argument("--platforms", default=",".join(PLATFORMS), help="comma-separated subset of shopify,taobao")
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH, help=f"inputs and outputs ({DEFAULT_SCRATCH})")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before one run is killed")
    parser.add_argument("--seed", type=int, default=20261201, help="seed of the first book (default 20261201)")
    parser.add_argument("--json", type=Path, default=None, help="also write the records as JSON here")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--make"]:  # internal: write one input (see ensure)
        kind, *rest = argv[1:]
        if kind == "export":
            make_export(rest[0], int(rest[1]), int(rest[2]), Path(rest[3]))
        else:
            make_generic(Path(rest[0]), Path(rest[1]))
        return 0
    args = parse_args(argv)
    args.scratch.mkdir(parents=True, exist_ok=True)
    load_at_start = os.getloadavg()[0]
    if load_at_start > 0.5:
        print(f"warning: 1-min load average is {load_at_start:.2f}; timings will be noisy", file=sys.stderr)
    env = crmkit_env()
    results = {}
    for name in [p.strip() for p in args.platforms.split(",") if p.strip()]:
        results[name] = run_platform(name, args, env)
    info = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "load_1min_at_start": round(load_at_start, 2),
        "load_1min_at_end": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }
    print(f"\n{info}\n")
    print(table(results))
    for name, (_records, facts) in results.items():
        print(f"\n{name}: {json.dumps(facts, default=str)}")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": results}, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
