"""A fuzz campaign: ``python -m tests.fuzz --cases 5000 --seed 1 --out /tmp/fuzz``.

Options: ``--cases N`` (runs, one input through one command; inputs are made until N runs are
done), ``--seed S``, ``--out DIR`` (the summary and the failing cases; created), ``--workers W``
(parallel inputs, default 1), ``--timeout 60``, ``--memory-gib 4``, ``--only I [I ...]`` (rerun
inputs by number), ``--mutation NAME`` (only that mutation), ``--kind KIND`` (only seeds of that
kind, e.g. ``renewals``; input *i* is then not input *i* of the mixed campaign), ``--start I`` (the first input's
number), ``--work-dir DIR`` (the runs' scratch folders). The exit status is 0 when every case
passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .mutations import KIND_SHARES, MUTATIONS, make_input
from .runner import COMMANDS, MEMORY_GIB, TIMEOUT_S, Case, keep_failure, run_input

#: runs reserved per input while it is in flight, settled to its real count when it is done: a
#: sales input is seven runs, a survey three, a members file two (68/17/15 % of inputs, about 5.6
#: on average). Reserving a little under the average lets a campaign end just past ``cases``.
RESERVED_RUNS = 5


def campaign(
    cases: int,
    seed: int,
    out: Path,
    *,
    workers: int = 1,
    timeout: float = TIMEOUT_S,
    memory_gib: float = MEMORY_GIB,
    only: list[int] | None = None,
    mutation: str | None = None,
    kind: str | None = None,
    start: int = 0,
    progress=None,
    work_dir: Path | None = None,
) -> dict:
    """Run a campaign and write ``out/summary.json``, ``out/summary.txt`` and ``out/failures/``.

    Returns the summary. The inputs are numbered from ``start``; input *i* is the same file for a
    given seed whatever the worker count, so a failure is rerun with ``only=[i]``.
    """
    out.mkdir(parents=True, exist_ok=True)
    failures = out / "failures"
    failures.mkdir(exist_ok=True)
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
    work_root = Path(tempfile.mkdtemp(prefix="crmkit-fuzz-", dir=work_dir))
    results: list[Case] = []
    lock = threading.Lock()
    started = time.monotonic()
    budget = {"runs": 0}

    def one(index: int) -> list[Case]:
        fuzz_input = make_input(seed, index, mutation, kind)
        work = work_root / f"{index:06d}"
        ran = run_input(fuzz_input, index, work, timeout=timeout, memory_gib=memory_gib)
        for case in ran:
            if not case.passed:
                keep_failure(case, fuzz_input, work / case.case_id, failures)
        shutil.rmtree(work, ignore_errors=True)
        return ran

    last_written = [time.monotonic()]

    def write_summary() -> dict:
        with lock:
            summary = summarise(list(results), seed, time.monotonic() - started, timeout, memory_gib)
        (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
        (out / "summary.txt").write_text(render_summary(summary))
        last_written[0] = time.monotonic()
        return summary

    def collect(ran: list[Case]) -> None:
        _collect(ran, results, budget, lock, progress)
        if time.monotonic() - last_written[0] > 60:  # a long campaign can be read while it runs
            write_summary()

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        pending: set = set()

        def settle_one() -> None:
            done = next(as_completed(pending))
            pending.remove(done)
            collect(done.result())

        queue = list(only or [])
        index = start
        while True:
            with lock:
                # only=[...] runs exactly those inputs; otherwise stop when the runs done and
                # reserved reach ``cases``, and when reservations were too many, settle and go on
                enough = not queue if only else budget["runs"] >= cases
                if not enough:
                    budget["runs"] += RESERVED_RUNS
            if enough:
                if not pending:
                    break
                settle_one()
                continue
            pending.add(pool.submit(one, queue.pop(0) if only else index))
            index += 1
            if len(pending) >= 2 * max(1, workers):
                settle_one()
    finally:
        # Ctrl-C stops a long campaign: the summary of what ran is still written
        pool.shutdown(wait=False, cancel_futures=True)
        summary = write_summary()
        shutil.rmtree(work_root, ignore_errors=True)
    return summary


def _collect(ran: list[Case], results: list[Case], budget: dict, lock, progress) -> None:
    with lock:
        budget["runs"] += len(ran) - RESERVED_RUNS
        results.extend(ran)
    if progress:
        for case in ran:
            progress(case)


def summarise(results: list[Case], seed: int, seconds: float, timeout: float, memory_gib: float) -> dict:
    results = sorted(results, key=lambda c: c.case_id)
    failing = [c for c in results if not c.passed]
    classes: dict[str, dict] = {}
    for case in failing:
        entry = classes.setdefault(case.signature, {"count": 0, "cases": [], "mutations": Counter()})
        entry["count"] += 1
        entry["cases"].append(case.case_id)
        entry["mutations"][case.mutation] += 1
    return {
        "seed": seed,
        "cases": len(results),
        "inputs": len({c.index for c in results}),
        "seconds": round(seconds, 1),
        "timeout_s": timeout,
        "memory_gib": memory_gib,
        "outcomes": dict(Counter(c.outcome for c in results).most_common()),
        "exit_codes": dict(Counter(str(c.exit_code) for c in results).most_common()),
        "by_mutation": {name: dict(Counter(c.outcome for c in results if c.mutation == name)) for name in MUTATIONS},
        "by_command": {
            name: dict(Counter(c.outcome for c in results if c.command == name))
            for name in dict.fromkeys(c for kind in COMMANDS.values() for c in kind)
        },
        "slowest": [[c.case_id, round(c.seconds, 1)] for c in sorted(results, key=lambda c: -c.seconds)[:5]],
        "most_cpu": [[c.case_id, round(c.cpu_seconds, 1)] for c in sorted(results, key=lambda c: -c.cpu_seconds)[:5]],
        "max_rss_mib": round(max((c.max_rss_mib for c in results), default=0.0)),
        "failure_classes": {
            key: {"count": v["count"], "mutations": dict(v["mutations"]), "cases": v["cases"][:20]}
            for key, v in sorted(classes.items(), key=lambda kv: -kv[1]["count"])
        },
        "failures": [c.record() for c in failing],
    }


def render_summary(summary: dict) -> str:
    lines = [
        f"crmkit fuzz: seed {summary['seed']}, {summary['cases']} cases ({summary['inputs']} inputs) "
        f"in {summary['seconds']} s; timeout {summary['timeout_s']} s, address space {summary['memory_gib']} GiB",
        "outcomes: " + ", ".join(f"{k} {v}" for k, v in summary["outcomes"].items()),
        "exit codes: " + ", ".join(f"{k}: {v}" for k, v in summary["exit_codes"].items()),
        f"peak RSS {summary['max_rss_mib']} MiB; slowest: "
        + ", ".join(f"{case} {s} s" for case, s in summary["slowest"])
        + "; most CPU: "
        + ", ".join(f"{case} {s} s" for case, s in summary["most_cpu"]),
        "",
        "failure classes (count, mutations, first cases; each case's folder is in failures/):",
    ]
    for key, entry in summary["failure_classes"].items():
        lines.append(f"  {entry['count']:5d}  {key}")
        lines.append(f"         mutations {entry['mutations']}; cases {', '.join(entry['cases'][:5])}")
    if not summary["failure_classes"]:
        lines.append("  none")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500, help="runs (one input through one command)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="folder for summary.json/.txt and failures/")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds per run")
    parser.add_argument("--memory-gib", type=float, default=MEMORY_GIB, help="RLIMIT_AS per run")
    parser.add_argument("--only", type=int, nargs="+", help="rerun these input numbers")
    parser.add_argument("--mutation", choices=list(MUTATIONS), help="only this mutation")
    parser.add_argument("--kind", choices=list(KIND_SHARES), help="only seeds of this kind")
    parser.add_argument("--start", type=int, default=0, help="number of the first input")
    parser.add_argument("--quiet", action="store_true", help="no line per failing case")
    parser.add_argument("--work-dir", type=Path, help="where the runs' scratch folders go (default: the temp dir)")
    args = parser.parse_args(argv)

    def progress(case: Case) -> None:
        if not case.passed and not args.quiet:
            print(f"{case.case_id} {case.mutation}: {case.outcome} {case.signature[:140]}", file=sys.stderr, flush=True)

    summary = campaign(
        args.cases,
        args.seed,
        args.out,
        workers=args.workers,
        timeout=args.timeout,
        memory_gib=args.memory_gib,
        only=args.only,
        mutation=args.mutation,
        kind=args.kind,
        start=args.start,
        progress=progress,
        work_dir=args.work_dir,
    )
    print(render_summary(summary), end="")
    return 0 if not summary["failure_classes"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
