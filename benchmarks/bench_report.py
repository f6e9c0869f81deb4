"""Time the monthly ``crmkit report``: the bundled examples (target < 10 s) and a 1M-row export (< 30 s).

Run by hand: ``python benchmarks/bench_report.py [--repeats 3]``. Reuses the measurement helpers
and the cached 1M-row input of ``bench_segment.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_segment

REPO = Path(__file__).resolve().parents[1]
EX = REPO / "examples"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/crmkit-bench"))
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    env = bench_segment.crmkit_env()
    big = bench_segment.ensure_input(args.scratch, 1_000_000, 20261123)
    with tempfile.TemporaryDirectory() as out:
        cases = [
            (
                "report, examples",
                [
                    sys.executable,
                    "-m",
                    "crmkit",
                    "report",
                    str(EX / "sales.csv"),
                    "--survey",
                    str(EX / "survey.csv"),
                    "--members",
                    str(EX / "members.csv"),
                    "--referrals",
                    str(EX / "referrals.csv"),
                    "-o",
                    f"{out}/ex-{{mm}}.xlsx",
                    "-q",
                ],
                10,
            ),
            (
                "report, 1M rows",
                [sys.executable, "-m", "crmkit", "report", str(big), "-o", f"{out}/big-{{mm}}.xlsx", "-q"],
                30,
            ),
        ]
        print("| case | seconds (median) | peak RSS MB | target |\n| --- | ---: | ---: | --- |")
        for name, argv_, target in cases:
            rec = bench_segment.measure(name, None, argv_, args.repeats, args.timeout, env)
            if rec["error"]:
                print(f"| {name} | {rec['error']} | | < {target} s |")
            else:
                met = "met" if rec["seconds"] < target else "MISSED"
                print(f"| {name} | {rec['seconds']:.2f} | {rec['peak_mb']:.0f} | < {target} s: {met} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
