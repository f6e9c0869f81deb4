"""Time the monthly ``crmkit report``: the bundled examples (target < 10 s) and a 1M-row export (<= 15 s).

Run by hand: ``python benchmarks/bench_report.py [--repeats 3] [--baseline DIR]``. Reuses the
measurement helpers and the cached 1M-row input of ``bench_segment.py``. With ``--baseline`` (another
checkout, e.g. ``git archive HEAD | tar -x -C /tmp/base``) each case also runs from that tree,
alternating with this one run by run, so a busy machine slows both alike and the ratio stays
comparable when the absolute seconds are not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_segment

REPO = Path(__file__).resolve().parents[1]
EX = REPO / "examples"


def _cases(out: str, big: Path) -> list[tuple[str, list[str], float]]:
    examples = ["--survey", str(EX / "survey.csv"), "--members", str(EX / "members.csv")]
    examples += ["--referrals", str(EX / "referrals.csv")]
    return [
        ("report, examples", ["report", str(EX / "sales.csv"), *examples, "-o", f"{out}/ex-{{mm}}.xlsx", "-q"], 10),
        ("report, 1M rows", ["report", str(big), "-o", f"{out}/big-{{mm}}.xlsx", "-q"], 15),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/crmkit-bench"))
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--baseline", type=Path, help="another checkout to time alternately with this one")
    args = parser.parse_args(argv)
    env = bench_segment.crmkit_env()
    base_env = None
    if args.baseline:
        args.baseline = args.baseline.resolve()
        base_env = dict(env, PYTHONPATH=str(args.baseline))
        bench_segment.subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(args.baseline / "crmkit")], check=True, env=base_env
        )
    big = bench_segment.ensure_input(args.scratch, 1_000_000, 20261123)
    print("| case | seconds (median) | peak RSS MB | target | baseline s | ratio |")
    print("| --- | ---: | ---: | --- | ---: | ---: |")
    for name, command, target in _cases(tempfile.mkdtemp(prefix="crmkit-bench-"), big):
        argv_ = [sys.executable, "-m", "crmkit", *command]
        # `-m` would import the crmkit of the working folder (this checkout) first, whatever PYTHONPATH says
        start = f"import sys; sys.path.insert(0, {str(args.baseline)!r}); from crmkit.cli import main; main()"
        base_argv = [sys.executable, "-c", start, *command]
        now, then, peaks, error = [], [], [], None
        for _ in range(args.repeats):
            for times, run_env, run_argv in ((then, base_env, base_argv), (now, env, argv_)):
                if run_env is None:
                    continue
                # each run writes a fresh history, so every run is a first run
                for leftover in Path(command[command.index("-o") + 1]).parent.glob("*"):
                    os.remove(leftover)
                once = bench_segment.run_once(run_argv, args.timeout, run_env)
                if once["error"]:
                    error = once["error"]
                    break
                times.append(once["seconds"])
                if run_env is env:
                    peaks.append(once["peak_mb"])
            if error:
                break
        if error:
            print(f"| {name} | {error} | | <= {target} s | | |")
            continue
        seconds = statistics.median(now)
        met = "met" if seconds <= target else "MISSED"
        base = f"{statistics.median(then):.2f}" if then else ""
        ratio = f"{seconds / statistics.median(then):.2f}" if then else ""
        peak = f"{max(peaks):.0f}" if all(p is not None for p in peaks) else ""
        print(f"| {name} | {seconds:.2f} | {peak} | <= {target} s: {met} | {base} | {ratio} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
