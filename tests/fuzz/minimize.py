"""Shrink a failing case to the smallest input that still fails the same way.

``python -m tests.fuzz.minimize /tmp/fuzz/failures/000123-segment`` reruns the case's command on
ever smaller versions of its input (whole lines first, delta debugging, then characters of the
longest remaining line) and keeps a candidate only when the run fails with the same failure
class (:attr:`tests.fuzz.runner.Case.signature`). The result is written beside the case as
``minimal.<ext>`` with ``minimal.sh``, the command to run it. Text inputs (CSV, also inside a
gzip) are shrunk; workbooks and Parquet files are kept as they are (they are small already).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path

from .mutations import FuzzInput
from .runner import ATTRIBUTES_COMMANDS, MEMORY_GIB, TIMEOUT_S, run_input


def same_failure(data: bytes, template: FuzzInput, command: str, signature: str, work: Path, n: list[int]) -> bool:
    n[0] += 1
    candidate = FuzzInput(
        template.kind, template.mutation, template.filename, _pack(data, template), [], template.companion
    )
    candidate.valid, candidate.off_scale = template.valid, template.off_scale
    candidate.recommend_item = template.recommend_item
    candidate.options = list(template.options)
    run_dir = work / f"try{n[0]}"
    try:
        case = run_input(candidate, 0, run_dir, timeout=TIMEOUT_S, memory_gib=MEMORY_GIB, commands=(command,))[0]
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    return _key(case.signature, command) == _key(signature, command)


def _key(signature: str, command: str) -> str:
    # older campaigns wrote the command into refused_valid keys, and "BGPATH" for "BG/NBD"
    key = signature.replace(f"refused_valid: {command}: ", "refused_valid: ").replace("BGPATH", "BG/NBD")
    return key[:120]  # keys are cut at 160 characters, after prefixes of different lengths


def _unpack(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _pack(data: bytes, template: FuzzInput) -> bytes:
    return gzip.compress(data, mtime=0) if template.data[:2] == b"\x1f\x8b" else data


def ddmin(items: list[bytes], test) -> list[bytes]:
    """Zeller's delta debugging: a 1-minimal sublist of ``items`` for which ``test`` holds."""
    chunks = 2
    while len(items) >= 2:
        size = max(1, len(items) // chunks)
        reduced = False
        for start in range(0, len(items), size):
            rest = items[:start] + items[start + size :]
            if rest and test(rest):
                items, chunks, reduced = rest, max(chunks - 1, 2), True
                break
        if not reduced:
            if size == 1:
                break
            chunks = min(len(items), chunks * 2)
    return items


def minimize(case_dir: Path, max_tries: int = 400) -> Path | None:
    record = json.loads((case_dir / "case.json").read_text())
    argv = record["argv"]
    command = record["command"]
    filename = argv[3] if argv[1] == "sales.csv" else argv[1]
    original = (case_dir / filename).read_bytes()
    beside = argv[1] == "sales.csv" or command == "feedback"  # feedback reads sales.csv as --purchases
    companion = (case_dir / "sales.csv").read_bytes() if beside else b""
    # a members file and a survey come after sales.csv (--attributes / --survey); satisfaction reads a survey alone
    if command in ATTRIBUTES_COMMANDS:
        kind = "attributes"
    elif command == "sbg":
        kind = "renewals"
    elif command in ("campaign", "feedback"):
        kind = "campaign" if command == "campaign" else "complaints"
    else:
        kind = "survey" if argv[1] == "sales.csv" or command == "satisfaction" else "sales"
    template = FuzzInput(kind, record["mutation"], filename, original, [], companion)
    template.valid = record["outcome"] == "refused_valid"  # judged as the campaign judged it
    template.off_scale = "off the scale" in record["signature"]
    if "--item" in argv:
        template.recommend_item = argv[argv.index("--item") + 1]
    if command in ("sbg", "clv"):  # the options drawn with the input follow ``-o out.csv``
        template.options = argv[argv.index("out.csv") + 1 :]
    if original[:4] in (b"PK\x03\x04", b"PAR1"):
        return None
    text = _unpack(original)
    work = Path(tempfile.mkdtemp(prefix="crmkit-minimize-"))
    tries = [0]

    def test(lines: list[bytes]) -> bool:
        return tries[0] < max_tries and same_failure(
            b"".join(lines), template, command, record["signature"], work, tries
        )

    try:
        if not test([text]):
            print(f"{case_dir.name}: does not fail the same way now ({record['signature']})", file=sys.stderr)
            return None
        lines = ddmin(text.splitlines(keepends=True), test)
        # then the longest line, a character chunk at a time (huge fields)
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))
        if len(lines[longest]) > 200:
            pieces = [lines[longest][i : i + 1024] for i in range(0, len(lines[longest]), 1024)]
            kept = ddmin(pieces, lambda p: test(lines[:longest] + [b"".join(p)] + lines[longest + 1 :]))
            lines[longest] = b"".join(kept)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = b"".join(lines)
    suffix = filename.split(".", 1)[1] if "." in filename else "txt"
    target = case_dir / f"minimal.{suffix}"
    target.write_bytes(_pack(result, template))
    args = [a if a != filename else target.name for a in argv]
    (case_dir / "minimal.sh").write_text(f'#!/bin/sh\ncd "$(dirname "$0")" && python -m crmkit {" ".join(args)}\n')
    print(f"{case_dir.name}: {len(text)} -> {len(result)} bytes in {tries[0]} runs: {target}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.minimize", description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=Path, nargs="+", help="failure folders written by a campaign")
    parser.add_argument("--max-tries", type=int, default=400)
    args = parser.parse_args(argv)
    for case_dir in args.cases:
        minimize(case_dir, args.max_tries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
