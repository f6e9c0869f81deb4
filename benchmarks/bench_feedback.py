"""Wall time of ``crmkit feedback`` on 10k and 100k complaints, against a jieba loop + pandas value_counts.

Run by hand from the repository root (pytest never collects this file)::

    python benchmarks/bench_feedback.py                            # 10k (best of 3) and 100k (1 run)
    python benchmarks/bench_feedback.py --complaints 10000 --repeats 1 --cases library,peer

The input: ``crmkit.synth.generate_sales(40,000 customers, seed 20261123)`` (105,361 rows) and
``crmkit.synth_feedback.complaints_for(sales, rate=0.2174)`` (9,973 complaints, UTF-8 with BOM, Chinese
headers), made once in ``--scratch``; a larger size replicates both k times, customer, order and complaint
ids suffixed ``-1`` ... ``-k`` (``complaints_for`` itself takes about 3 ms per complaint: 33 s for 10k).

Cases, each a fresh subprocess (wall from spawn to exit, best of ``--repeats``; peak RSS; CPU seconds):

* ``crmkit feedback (cli)``: ``python -m crmkit feedback COMPLAINTS --purchases SALES -f csv -o OUT --quiet``;
* ``library feedback``: ``crmkit.feedback.feedback(COMPLAINTS, SALES)`` with ``crmkit.feedback.tokens``
  wrapped by a timer, so the jieba segmentation's share of the call is measured (``tokens`` is jieba's
  ``lcut`` plus the stop-word and punctuation filter);
* ``jieba + pandas (peer)``: the least an analyst would do: ``pandas.read_csv``, ``value_counts`` of
  category, channel and month, and per category ``jieba.lcut`` over every text and ``value_counts`` of
  the words of two characters or more.

crmkit also reads and checks the purchases, computes the RFM segments and the complaint rates per 1,000
customers and per segment, resolution times (median, p90), repeat complainers, the service-recovery
outcomes with intervals, lost revenue, and counts a term once per complaint as well as in total.
Agreement: the top term of every category and its total count, crmkit's library result against the peer.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_recommend import best_of
from bench_segment import REPO, crmkit_env, machine, warm_page_cache

DEFAULT_SCRATCH = Path(os.environ.get("CRMKIT_BENCH_DIR", "/tmp/crmkit-bench")) / "feedback"
BASE_CUSTOMERS = 40_000
RATE = 0.2174  # complainers per customer: about 10,000 complaints from 40,000 customers (15% complain twice)
SALES_SEED = 20261123
CASES = ("cli", "library", "peer")


def worker_make(sales: str, complaints: str, copies: str) -> dict:
    import pandas as pd

    from crmkit.synth import generate_sales
    from crmkit.synth_feedback import complaints_for, write_complaints

    base = generate_sales(BASE_CUSTOMERS, seed=SALES_SEED).astype(str)
    found, _ = complaints_for(base, rate=RATE)
    k = int(copies)
    if k > 1:
        sep = [f"-{i}" for i in range(1, k + 1)]
        base = pd.concat([base.assign(customer_id=base["customer_id"] + s, order_id=base["order_id"] + s)
                          for s in sep], ignore_index=True)  # fmt: skip
        found = pd.concat([found.assign(**{c: found[c].where(found[c] == "", found[c] + s)
                                           for c in ("投诉编号", "客户编号", "订单编号")}) for s in sep],
                          ignore_index=True)  # fmt: skip
    base.to_csv(sales, index=False, lineterminator="\n")
    write_complaints(found, complaints)
    return {"sales_rows": len(base), "complaints": len(found), "copies": k}


def worker_library(complaints: str, sales: str) -> dict:
    phases = {}
    start = time.perf_counter()
    import crmkit.feedback as fb

    phases["imports"] = time.perf_counter() - start
    spent = [0.0, 0]
    inner = fb.tokens

    def timed(text):
        tick = time.perf_counter()
        try:
            return inner(text)
        finally:
            spent[0] += time.perf_counter() - tick
            spent[1] += 1

    fb.tokens = timed
    tick = time.perf_counter()
    found = fb.feedback(complaints, sales)
    phases["feedback"] = time.perf_counter() - tick
    phases["of which tokens (jieba)"] = spent[0]
    terms = found.terms
    top = {str(cat): [str(part.iloc[0]["term"]), int(part.iloc[0]["count"])]
           for cat, part in terms.groupby("category", sort=True)}  # fmt: skip
    return {
        "phases": phases,
        "texts": spent[1],
        "top_terms": top,
        "complaints": int(found.by_category["complaints"].sum()),
    }


def worker_peer(complaints: str, sales: str) -> dict:
    phases = {}
    start = time.perf_counter()
    import logging

    import jieba
    import pandas as pd

    jieba.setLogLevel(logging.WARNING)
    phases["imports"] = time.perf_counter() - start
    tick = time.perf_counter()
    df = pd.read_csv(complaints, dtype=str, encoding="utf-8-sig")
    phases["read_csv"] = time.perf_counter() - tick
    tick = time.perf_counter()
    counts = {"category": df["投诉类型"].value_counts(), "channel": df["投诉渠道"].value_counts(),
              "month": df["投诉时间"].str[:7].value_counts().sort_index()}  # fmt: skip
    phases["value_counts"] = time.perf_counter() - tick
    tick = time.perf_counter()
    jieba.initialize()
    phases["jieba dictionary"] = time.perf_counter() - tick
    tick = time.perf_counter()
    top = {}
    for category, part in df.dropna(subset=["投诉内容"]).groupby("投诉类型", sort=True):
        words = pd.Series([w for text in part["投诉内容"] for w in jieba.lcut(text) if len(w) >= 2])
        ranked = words.value_counts()
        top[str(category)] = [str(ranked.index[0]), int(ranked.iloc[0])]
    phases["jieba + value_counts"] = time.perf_counter() - tick
    return {"phases": phases, "top_terms": top, "complaints": int(counts["category"].sum())}


WORKERS = {"make": worker_make, "library": worker_library, "peer": worker_peer}


def worker_argv(name: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", name, *args]


def ensure_input(scratch: Path, complaints: int, env: dict) -> tuple[Path, Path, dict]:
    copies = max(1, round(complaints / 10_000))
    sales, found, meta = (scratch / f"feedback-sales-x{copies}.csv", scratch / f"complaints-x{copies}.csv",
                          scratch / f"complaints-x{copies}.json")  # fmt: skip
    if not meta.exists():
        scratch.mkdir(parents=True, exist_ok=True)
        print(f"  writing {found} (about 40 s) ...", file=sys.stderr, flush=True)
        subprocess.run(worker_argv("make", str(sales), str(found), str(copies), str(meta)), check=True, env=env,
                       cwd=REPO)  # fmt: skip
    return sales, found, json.loads(meta.read_text())


def run(args: argparse.Namespace) -> dict:
    env = crmkit_env()
    cases = set(args.cases.split(","))
    sizes = []
    for index, target in enumerate(args.complaints):
        repeats = args.repeats[min(index, len(args.repeats) - 1)]
        sales, found, meta = ensure_input(args.scratch, target, env)
        warm_page_cache(sales)
        print(f"{meta['complaints']:,} complaints, {meta['sales_rows']:,} purchase rows, {repeats} run(s)",
              file=sys.stderr, flush=True)  # fmt: skip
        records = []
        if "cli" in cases:
            argv = [sys.executable, "-m", "crmkit", "feedback", str(found), "--purchases", str(sales), "-f", "csv",
                    "-o", str(args.scratch / f"feedback-cli-x{meta['copies']}.csv"), "--quiet"]  # fmt: skip
            records.append(best_of("crmkit feedback (cli)", argv, repeats, args.timeout, env))
        for case, name in (("library feedback", "library"), ("jieba + pandas (peer)", "peer")):
            if name in cases:
                result = args.scratch / f"result-feedback-{name}-x{meta['copies']}.json"
                records.append(best_of(case, worker_argv(name, str(found), str(sales), str(result)), repeats,
                                       args.timeout, env, result))  # fmt: skip
        by = {r["case"]: r for r in records if r["worker"]}
        agreement = None
        if "library feedback" in by and "jieba + pandas (peer)" in by:
            ours, theirs = (
                by["library feedback"]["worker"]["top_terms"],
                by["jieba + pandas (peer)"]["worker"]["top_terms"],
            )
            agreement = {c: (ours.get(c), theirs.get(c)) for c in sorted(set(ours) | set(theirs))}
            print(f"  top terms (crmkit, peer): {agreement}", file=sys.stderr, flush=True)
        sizes.append({"meta": meta, "repeats": repeats, "records": records, "agreement": agreement})
    return {"sizes": sizes}


def markdown(report: dict) -> str:
    lines = [
        "| complaints | case | seconds (best) | runs | CPU s | peak RSS MB | ÷ peer | phases (s, best run) |",
        "| ---: | --- | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    notes = []
    for size in report["sizes"]:
        n = f"{size['meta']['complaints']:,}"
        by = {r["case"]: r for r in size["records"] if r["seconds"] is not None}
        peer = by.get("jieba + pandas (peer)")
        for r in size["records"]:
            if r["seconds"] is None:
                lines.append(f"| {n} | {r['case']} | {r['error']} | | | | | |")
                continue
            phases = ", ".join(f"{k} {v:.2f}" for k, v in (r["worker"] or {}).get("phases", {}).items())
            runs = " / ".join(f"{t:.2f}" for t in r["all_seconds"])
            ratio = f"{r['seconds'] / peer['seconds']:.2f}x" if peer else ""
            lines.append(f"| {n} | {r['case']} | {r['seconds']:.2f} | {runs} | {r['cpu_seconds']:.1f} | "
                         f"{r['peak_mb']:.0f} | {ratio} | {phases} |")  # fmt: skip
        lib = by.get("library feedback")
        if lib:
            p = lib["worker"]["phases"]
            notes.append(f"- {n} complaints: jieba segmentation (crmkit's `tokens`, {lib['worker']['texts']:,} texts) "
                         f"{p['of which tokens (jieba)']:.2f} s of `feedback()`'s {p['feedback']:.2f} s "
                         f"(**{p['of which tokens (jieba)'] / p['feedback']:.0%}**)")  # fmt: skip
        if size["agreement"]:
            same = all(a == b for a, b in size["agreement"].values())
            text = "; ".join(f"{c}: {a[0]} ({a[1]:,})" if a == b else f"{c}: crmkit {a} peer {b}"
                             for c, (a, b) in size["agreement"].items())  # fmt: skip
            notes.append(
                f"- {n} complaints, top term per category, crmkit vs peer ({'same' if same else 'DIFFER'}): {text}"
            )
    return "\n".join(lines + [""] + notes)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, nargs="+", default=[10_000, 100_000], help="complaints (about)")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
