"""Run fuzzed inputs through every command in subprocesses and judge each run.

One *case* is one input through one command: ``python -m crmkit <command> <file> ...`` in a fresh
temporary folder (its outputs go there and nowhere else), with a wall-clock timeout and an
address-space cap set in the child (``resource.setrlimit(RLIMIT_AS)`` before ``exec``). The
child's peak resident memory is taken from ``wait4``.

Outcomes: ``ok`` (exit 0, invariants hold), ``clean_error`` (exit 2-7, exactly one stderr line
``crmkit: error: ...``, no traceback) pass; ``invariant`` (exit 0, an invariant broken),
``internal_error`` (exit 1), ``traceback`` / ``unclean_error`` (a documented exit code but a
traceback or more than one line), ``bad_exit`` (any other code), ``signal``, ``timeout`` and
``memory`` (the cap was hit: MemoryError, a failed allocation, an abort) fail, and so does
``refused_valid``: a clean error on an input that is still a valid export (the seed as it is,
RFC 4180 quoting, CR / CRLF / CR CR LF line ends, a BOM before a row, title rows).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .contracts import NO_CUSTOMERS_VIEW, check_renewals, renewal_argv
from .mutations import FuzzInput

TIMEOUT_S = 60.0
MEMORY_GIB = 4.0
PASS = ("ok", "clean_error")
SALES_COMMANDS = ("segment", "clv", "retention", "ladder", "report", "preferences", "recommend", "economics")
SURVEY_COMMANDS = ("satisfaction", "ladder", "report")
#: a members file, beside its valid sales export (``--attributes``)
ATTRIBUTES_COMMANDS = ("profile", "care")
COMMANDS = {
    "sales": SALES_COMMANDS,
    "survey": SURVEY_COMMANDS,
    "attributes": ATTRIBUTES_COMMANDS,
    "campaign": ("campaign",),  # a campaign file beside its valid sales export (--campaign)
    "complaints": ("feedback",),  # a complaints export, with the valid sales export as --purchases
    "renewals": ("sbg",),  # a renewal file through ``clv FILE --model sbg`` (tests.fuzz.contracts)
}
RECOMMEND_TOP = 3
RECOMMEND_OPTIONS = ("--evaluate", "-f", "csv", "-o", "out.csv")
#: recommend's refusal of an --item the fuzzer chose and the export does not have (not a refused valid export)
NO_ITEM_COLUMN = re.compile(r"have no '\w+' column to recommend by")
CARE_WINDOW_DAYS = 30  # care's default --within 30d: days_until in [0, 30)
RUNGS = {"suspect", "prospect", "customer", "regular", "supporter", "advocate"}
MEMORY_SIGNS = re.compile(
    r"MemoryError|cannot allocate|bad_alloc|memory allocation of|Out of Memory|failed to allocate|"
    r"Cannot allocate memory|OutOfMemory|out of memory",
    re.IGNORECASE,
)
LAST_CPU_SECONDS = threading.local()
# an output may hold a huge field (the huge-field mutation's ids): read it, don't stop the campaign
csv.field_size_limit(sys.maxsize)
RETURNS_ONLY = re.compile(r"([\d,]+) customers? with only returns \((-?[\d,]+\.\d+)\) left out")
LEAK_SIGNS = ("root:x:0:0", "/bin/bash", "lollollol" * 100)


@dataclass
class Case:
    """One run of one command on one input, and its verdict."""

    case_id: str
    index: int
    mutation: str
    command: str
    argv: list[str]
    outcome: str = ""
    exit_code: int | None = None
    seconds: float = 0.0
    max_rss_mib: float = 0.0
    cpu_seconds: float = 0.0
    detail: str = ""
    signature: str = ""
    stderr: str = field(default="", repr=False)
    stdout: str = field(default="", repr=False)

    @property
    def passed(self) -> bool:
        return self.outcome in PASS

    def record(self) -> dict:
        row = asdict(self)
        row.pop("stdout")
        row["stderr"] = self.stderr[-2000:]
        return row


def command_argv(
    command: str, kind: str, filename: str, item: str = "category", options: list[str] | None = None
) -> list[str]:
    """The crmkit arguments for one command on an input of ``kind`` (paths relative to the run folder).

    ``item`` is what ``recommend`` recommends (``--item``): the synthetic sales exports have
    categories but no products, the platform exports products but no category. ``options`` (drawn
    with the input) follow a renewal file's ``clv --model sbg`` and a sales export's ``clv``.
    """
    if kind == "renewals":
        return renewal_argv(filename, options or [])
    if kind == "attributes":
        return {
            "profile": ["profile", "sales.csv", "--attributes", filename, "-f", "csv", "-o", "out.csv"],
            "care": ["care", "sales.csv", "--attributes", filename, "-f", "csv", "-o", "out.csv"],
        }[command]
    if kind == "campaign":
        return ["campaign", "sales.csv", "--campaign", filename, "-f", "csv", "-o", "out.csv"]
    if kind == "complaints":
        return ["feedback", filename, "--purchases", "sales.csv", "-f", "csv", "-o", "out.csv"]
    if kind == "survey":
        return {
            "satisfaction": ["satisfaction", filename, "-f", "json", "-o", "out.json"],
            "ladder": ["ladder", "sales.csv", "--survey", filename, "-f", "csv", "-o", "out.csv"],
            "report": ["report", "sales.csv", "--survey", filename, "-o", "report.xlsx", "--history", "history.sqlite"],
        }[command]
    return {
        "segment": ["segment", filename, "-f", "csv", "-o", "out.csv"],
        "clv": ["clv", filename, "-f", "csv", "-o", "out.csv", *(options or [])],
        "retention": ["retention", filename, "-f", "json", "-o", "out.json"],
        "ladder": ["ladder", filename, "-f", "csv", "-o", "out.csv"],
        "report": ["report", filename, "-o", "report.xlsx", "--history", "history.sqlite"],
        "preferences": ["preferences", filename, "-f", "csv", "-o", "out.csv"],
        "recommend": ["recommend", filename, "-n", str(RECOMMEND_TOP), "--item", item, *RECOMMEND_OPTIONS],
        "economics": ["economics", filename, "-f", "csv", "-o", "out.csv"],
    }[command]


def _limit(memory_bytes: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort must not write a core file

    return apply


def run_process(argv: list[str], cwd: Path, timeout: float, memory_gib: float) -> tuple[int, float, float, str, str]:
    """Run ``argv`` in ``cwd``; return (returncode or -signal, seconds, peak RSS MiB, stdout, stderr).

    The child's CPU seconds (user + system) are in :data:`LAST_CPU_SECONDS` of the calling thread.

    A run past ``timeout`` is killed with its whole process group and reported as returncode ``None``
    -> ``-999``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMKIT_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    out_path, err_path = cwd / ".stdout", cwd / ".stderr"
    start = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            start_new_session=True,
            preexec_fn=_limit(int(memory_gib * 2**30)),
        )
        status, rusage = None, None
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, rusage = os.wait4(proc.pid, 0)
                status = None
                break
            time.sleep(0.02)
    seconds = time.monotonic() - start
    code = -999 if status is None else os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped by wait4 above
    rss = rusage.ru_maxrss / 1024 if rusage else 0.0
    LAST_CPU_SECONDS.value = (rusage.ru_utime + rusage.ru_stime) if rusage else 0.0
    stdout = out_path.read_bytes().decode("utf-8", "replace")
    stderr = err_path.read_bytes().decode("utf-8", "replace")
    out_path.unlink()
    err_path.unlink()
    return code, seconds, rss, stdout, stderr


def classify(case: Case, code: int, stderr: str) -> None:
    """Set ``case.outcome`` from the exit code and stderr (invariants are checked afterwards)."""
    case.exit_code = code
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("crmkit: error:")]
    traceback = "Traceback (most recent call last)" in stderr
    if code == -999:
        case.outcome, case.detail = "timeout", f"killed after {case.seconds:.0f} s ({case.cpu_seconds:.0f} s of CPU)"
    elif code == 0:
        case.outcome = "ok"
        if errors or traceback:
            case.outcome, case.detail = "unclean_error", "exit 0 with an error or traceback on stderr"
    elif 2 <= code <= 7:
        if traceback:
            case.outcome = "traceback"
        elif len(errors) != 1 or not lines or errors[0] != lines[-1] or _after_error(lines):
            case.outcome = "unclean_error"
            case.detail = f"{len(errors)} error line(s) in {len(lines)} stderr line(s)"
        else:
            case.outcome = "clean_error"
    elif code < 0:
        case.outcome, case.detail = "signal", f"killed by {signal.Signals(-code).name}"
    elif code == 1:
        case.outcome = "internal_error"
    else:
        case.outcome = "bad_exit"
    if case.outcome not in PASS and case.outcome != "timeout" and MEMORY_SIGNS.search(stderr):
        case.detail = f"{case.outcome}: {case.detail}".strip(": ")
        case.outcome = "memory"
    if not case.passed:
        case.signature = signature(case.outcome, stderr)


def _after_error(lines: list[str]) -> bool:
    """Anything but the last line being the one error line (warnings before it are fine)."""
    return not lines[-1].startswith("crmkit: error:")


def signature(outcome: str, stderr: str) -> str:
    """A short, path- and number-free key that groups failures of one class."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    key = ""
    for line in reversed(lines):
        if re.match(r"^\w*(Error|Exception|Interrupt)\b", line) or line.startswith("crmkit: error:"):
            key = line
            break
    if not key and lines:
        key = lines[-1]
    key = re.sub(r"(?<!\w)/[^\s:'\",]*", "PATH", key)  # paths, not "BG/NBD"
    key = re.sub(r"'[^']*'", "'…'", key)
    key = re.sub(r"\d+", "N", key)
    return f"{outcome}: {key[:160]}"


# --- invariants ----------------------------------------------------------------------------


def check_invariants(case: Case, run_dir: Path, fuzz_input: FuzzInput, oracle: dict | None) -> str:
    """'' when the outputs of a successful run are right, else what is wrong.

    - no output or message shows text from outside the input (an XML external entity, an expanded
      entity bomb);
    - json outputs are strict JSON (no NaN / Infinity tokens);
    - ``segment``: one row per customer; the sum of ``monetary`` is the net revenue of the rows
      the library reads (``oracle``) up to the as-of date the run printed, customer by customer;
      the customers are exactly those with a used row; every id appears in the input's bytes;
    - ``clv``: ids as read, ``revenue`` = net to date, ``clv`` finite, ``p_alive`` in [0, 1]; with
      ``--interval`` every ``X_low <= X <= X_high`` (p_alive, expected purchases and spend, clv);
    - ``sbg`` (a renewal file): :func:`tests.fuzz.contracts.check_renewals`;
    - ``ladder``: ids as read (or the survey's respondents), every rung a known rung;
    - ``report``: the workbook is a readable zip and the history exists;
    - ``preferences``: one row per customer, ids as read; ``recommend``: at most ``-n`` ranked,
      distinct items per customer with finite scores, ids as read;
    - ``campaign``, ``feedback``, ``economics``: finite numbers, each difference inside its
      interval, p-values in [0, 1];
    - ``profile``: whole customer counts, shares in [0, 1], finite numbers; ``care``: each
      occasion once, ``days_until`` in the 30-day window, every id one of the sales export's;
    - (in :func:`run_input`) ``satisfaction`` refuses a survey with an answer off every scale.
    """
    texts = [case.stdout, case.stderr]
    for name in ("out.csv", "out.json"):
        if (run_dir / name).exists():
            texts.append((run_dir / name).read_text("utf-8", "replace"))
    for text in texts:
        for sign in LEAK_SIGNS:
            if sign in text and sign.encode() not in fuzz_input.data:
                return f"output contains {sign[:20]!r}, which is not in the input"
    if case.command == "sbg":
        return check_renewals(case.argv, run_dir, _input_text_bytes(fuzz_input))
    if case.command in ("retention", "satisfaction"):
        return _check_json(run_dir / "out.json")
    if case.command == "report":
        return _check_report(run_dir)
    if case.command == "profile":
        return _check_profile(run_dir / "out.csv")
    if case.command in ("campaign", "feedback", "economics"):
        return _check_effects(run_dir / "out.csv")
    rows, problem = _read_csv(run_dir / "out.csv")
    if problem:
        return problem
    ids = [_unneutralise(row["customer_id"]) for row in rows]
    if case.command == "recommend":
        problem = _check_recommend(rows, ids)
    elif case.command == "care":
        problem = _check_care(rows, ids, fuzz_input)
    elif len(set(ids)) != len(ids):
        problem = "a customer id appears in more than one output row"
    if problem:
        return problem
    if case.command == "ladder":
        bad = sorted({row["rung"] for row in rows} - RUNGS)
        if bad:
            return f"unknown rung(s) {bad[:3]}"
    if case.command == "clv":
        for row in rows:
            for column in ("clv", "expected_purchases", "revenue"):
                if not _finite(row.get(column, "0")):
                    return f"customer {row['customer_id']!r}: {column} = {row.get(column)!r} is not a finite number"
            p_alive = row.get("p_alive", "")
            if p_alive and not 0.0 <= float(p_alive) <= 1.0:
                return f"customer {row['customer_id']!r}: p_alive = {p_alive} outside [0, 1]"
            problem = _check_interval(row)
            if problem:
                return problem
    if fuzz_input.kind == "sales":
        problem = _check_ids_in_input(ids, fuzz_input)
        if problem:
            return problem
    if oracle is None or fuzz_input.kind != "sales":
        return ""
    net = oracle["net"]
    if case.command in ("segment", "clv", "preferences", "recommend"):
        unknown = [i for i in ids if i not in net]
        if unknown:
            return f"{len(unknown)} output id(s) the reader never produced, e.g. {unknown[0]!r}"
    if case.command == "segment":
        missing = sorted(set(oracle["purchasers"]) - set(ids))
        if missing:
            return f"{len(missing)} customer(s) with used purchases missing from the output, e.g. {missing[0]!r}"
        total = math.fsum(float(row["monetary"]) for row in rows)
        # customers with only returns are in no row; the read line gives their revenue
        left_out = RETURNS_ONLY.search(case.stderr)
        total += _number(left_out.group(2)) if left_out else 0.0
        if not _close(total, math.fsum(net.values()), len(rows) + 1):
            expected = math.fsum(net.values())
            return f"sum of monetary {total!r} (with return-only customers) != net of the used rows {expected!r}"
        for row, cid in zip(rows, ids):
            if not _close(float(row["monetary"]), net[cid], 1):
                return f"customer {cid!r}: monetary {row['monetary']} != net of its rows {net[cid]!r}"
    if case.command == "clv":
        for row, cid in zip(rows, ids):
            if not _close(float(row["revenue"]), net[cid], 1):
                return f"customer {cid!r}: revenue {row['revenue']} != net of its rows {net[cid]!r}"
    return ""


#: clv's columns with an interval (``--interval``): X beside X_low and X_high
INTERVAL_COLUMNS = ("p_alive", "expected_purchases", "expected_spend", "clv")


def _check_interval(row: dict) -> str:
    """Each interval of a clv row, when present, is finite and holds its estimate."""
    for column in INTERVAL_COLUMNS:
        low, high, estimate = row.get(f"{column}_low") or "", row.get(f"{column}_high") or "", row.get(column) or ""
        if not (low and high and estimate):
            continue
        if not (_finite(low) and _finite(high)):
            return f"customer {row['customer_id']!r}: {column} interval [{low}, {high}] is not finite"
        lo, hi, x = float(low), float(high), float(estimate)
        slack = 1e-9 * max(1.0, abs(x))
        if not lo - slack <= x <= hi + slack:
            return f"customer {row['customer_id']!r}: {column} = {estimate} outside its interval [{low}, {high}]"
    return ""


def _check_effects(path: Path) -> str:
    """campaign, feedback, economics: no infinite number; an interval holds its estimate; p-values in [0, 1]."""
    rows, problem = _read_csv(path, ids=False)
    if problem:
        return problem
    for number, row in enumerate(rows, 1):
        for column, value in row.items():
            if value and value.lower() in ("inf", "-inf", "infinity", "-infinity"):
                return f"row {number}: {column} = {value!r} is not a finite number"
        low, high, estimate = row.get("ci_low", ""), row.get("ci_high", ""), row.get("difference", "")
        if low and high and estimate and not float(low) - 1e-9 <= float(estimate) <= float(high) + 1e-9:
            return f"row {number}: difference {estimate} outside its interval [{low}, {high}]"
        p = row.get("p_value", "")
        if p and not 0.0 <= float(p) <= 1.0:
            return f"row {number}: p_value = {p} outside [0, 1]"
    return ""


def _check_profile(path: Path) -> str:
    """Every profile row: whole, non-negative customer counts, shares in [0, 1], finite numbers."""
    if not path.exists():
        return f"exit 0 but no {path.name}"
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig", "strict"), newline="")))
    if rows and not {"attribute", "value", "customers"} <= set(rows[0]):
        return f"{path.name} has no attribute/value/customers columns"
    for row in rows:
        where = f"{row['attribute']}={row['value']!r}"
        if not re.fullmatch(r"\d+", row["customers"]):
            return f"{where}: customers = {row['customers']!r} is not a whole count"
        for column, value in row.items():
            if column in ("attribute", "value", "value_2") or value in ("", None):
                continue
            if not _finite(value):
                return f"{where}: {column} = {value!r} is not a finite number"
            share = column.endswith("_share") or column.startswith(("segment:", "rung:")) or column == "repeat_rate"
            if share and not -1e-9 <= float(value) <= 1 + 1e-9:
                return f"{where}: {column} = {value} outside [0, 1]"
    return ""


def _check_recommend(rows: list[dict], ids: list[str]) -> str:
    """At most ``-n`` items per customer, ranked 1, 2, … without repeats, with finite scores."""
    per_customer: dict[str, list[dict]] = {}
    for row, cid in zip(rows, ids):
        per_customer.setdefault(cid, []).append(row)
        if not _finite(row.get("score", "")):
            return f"customer {cid!r}: score {row.get('score')!r} is not a finite number"
    for cid, picks in per_customer.items():
        if len(picks) > RECOMMEND_TOP:
            return f"customer {cid!r}: {len(picks)} recommendations with -n {RECOMMEND_TOP}"
        if [p["rank"] for p in picks] != [str(k) for k in range(1, len(picks) + 1)]:
            return f"customer {cid!r}: ranks {[p['rank'] for p in picks]} are not 1, 2, …"
        if len({p["item"] for p in picks}) != len(picks):
            return f"customer {cid!r}: an item recommended twice"
    return ""


def _check_care(rows: list[dict], ids: list[str], fuzz_input: FuzzInput) -> str:
    """Occasions in the window, once per customer and kind, for customers of the sales export or the members file."""
    seen = set()
    for row, cid in zip(rows, ids):
        key = (cid, row.get("kind"), row.get("date"))
        if key in seen:
            return f"customer {cid!r}: occasion {row.get('kind')} on {row.get('date')} listed twice"
        seen.add(key)
        days = row.get("days_until", "")
        if not re.fullmatch(r"\d+", days) or int(days) >= CARE_WINDOW_DAYS:
            return f"customer {cid!r}: days_until = {days!r} outside [0, {CARE_WINDOW_DAYS})"
    # a customer in the calendar bought (an id of the sales export) or is a member who never bought
    # (an id of the attributes file, as written there: listed for birthdays and membership)
    companion = FuzzInput("sales", fuzz_input.mutation, "sales.csv", fuzz_input.companion)
    for cid in ids:
        if _check_ids_in_input([cid], companion) and (problem := _check_ids_in_input([cid], fuzz_input)):
            return problem
    return ""


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _close(value: float, expected: float, rows: int) -> bool:
    # outputs may round to cents: allow half a cent per row, and float noise on large sums
    return math.isfinite(value) and abs(value - expected) <= 0.005 * rows + 1e-9 * abs(expected)


def _finite(text: str) -> bool:
    try:
        return math.isfinite(float(text)) if text != "" else True
    except ValueError:
        return False


def _unneutralise(value: str) -> str:
    """An id as it was in the input: the csv writer prefixes formula-like text with ``'``."""
    if value.startswith("'") and value[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return value[1:]
    return value


def _read_csv(path: Path, *, ids: bool = True) -> tuple[list[dict], str]:
    if not path.exists():
        return [], f"exit 0 but no {path.name}"
    text = path.read_bytes().decode("utf-8-sig", "strict")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if ids and rows and "customer_id" not in rows[0]:
        return [], f"{path.name} has no customer_id column"
    return rows, ""


def _check_json(path: Path) -> str:
    if not path.exists():
        return f"exit 0 but no {path.name}"

    def reject(token: str):
        raise ValueError(f"non-standard JSON token {token}")

    try:
        json.loads(path.read_text("utf-8"), parse_constant=reject)
    except ValueError as exc:
        return f"{path.name}: {exc}"
    return ""


def _check_report(run_dir: Path) -> str:
    book = run_dir / "report.xlsx"
    if not book.exists():
        return "exit 0 but no report.xlsx"
    try:
        with zipfile.ZipFile(book) as archive:
            bad = archive.testzip()
    except zipfile.BadZipFile as exc:
        return f"report.xlsx: {exc}"
    if bad:
        return f"report.xlsx: corrupt member {bad}"
    if not (run_dir / "history.sqlite").exists():
        return "exit 0 but no history.sqlite"
    return ""


def _input_text_bytes(fuzz_input: FuzzInput) -> bytes | None:
    data = fuzz_input.data
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError):
            return None
    if data[:4] in (b"PK\x03\x04", b"PAR1"):
        return None
    return data


def _check_ids_in_input(ids: list[str], fuzz_input: FuzzInput) -> str:
    """Every id is in the input as written (in one of the encodings crmkit reads), never a '?' or U+FFFD."""
    raw = _input_text_bytes(fuzz_input)
    for cid in ids:
        if "\ufffd" in cid or "\ufeff" in cid:
            return f"customer id {cid!r} holds a replacement character or a BOM"
        if raw is None:
            continue
        forms = []
        for text in dict.fromkeys([cid, cid.replace('"', '""')]):  # as written, or CSV-quoted
            for encoding in ("utf-8", "gb18030", "cp1252", "utf-16-le", "utf-16-be"):
                try:
                    forms.append(text.encode(encoding))
                except UnicodeEncodeError:
                    pass
        # crmkit drops a BOM inside an id (crmkit.io.purchases.id_expr): look for the id without it too
        if not any(form in raw or form in raw.replace(b"\xef\xbb\xbf", b"") for form in forms):
            stripped = cid.removesuffix(".0")
            if not any(stripped.encode(e, "ignore") in raw for e in ("utf-8", "utf-16-le")):
                return f"customer id {cid!r} does not appear in the input"
    return ""


# --- one input, every command --------------------------------------------------------------


def run_input(
    fuzz_input: FuzzInput,
    index: int,
    work: Path,
    *,
    timeout: float = TIMEOUT_S,
    memory_gib: float = MEMORY_GIB,
    commands: tuple[str, ...] | None = None,
) -> list[Case]:
    """Every command that reads ``fuzz_input``'s kind, each in its own folder under ``work``."""
    commands = commands or COMMANDS[fuzz_input.kind]
    cases = []
    oracle: dict | None = None
    oracle_done = False
    for command in commands:
        run_dir = work / f"{index:06d}-{command}"
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / fuzz_input.filename).write_bytes(fuzz_input.data)
        if fuzz_input.companion:
            (run_dir / "sales.csv").write_bytes(fuzz_input.companion)
        args = command_argv(
            command, fuzz_input.kind, fuzz_input.filename, fuzz_input.recommend_item, fuzz_input.options
        )
        case = Case(f"{index:06d}-{command}", index, fuzz_input.mutation, command, args)
        code, case.seconds, case.max_rss_mib, case.stdout, case.stderr = run_process(
            [sys.executable, "-m", "crmkit", *args], run_dir, timeout, memory_gib
        )
        case.cpu_seconds = LAST_CPU_SECONDS.value
        classify(case, code, case.stderr)
        chosen_refusal = NO_ITEM_COLUMN.search(case.stderr) or NO_CUSTOMERS_VIEW in case.stderr
        if case.outcome == "clean_error" and fuzz_input.valid and not chosen_refusal:
            case.outcome, case.detail = "refused_valid", "a valid export refused"
            case.signature = "refused_valid: " + signature("", case.stderr).removeprefix(": ")
        if case.outcome == "ok" and command == "satisfaction" and fuzz_input.off_scale:
            # README: answers outside the declared scale are an error naming row and column (exit 5)
            case.outcome, case.detail = "invariant", "an answer off the scale was accepted"
            case.signature = "invariant: satisfaction: an answer off the scale was accepted (exit 0)"
        if case.outcome == "ok":
            if not oracle_done and fuzz_input.kind == "sales":
                oracle_done = True
                oracle = _run_oracle(run_dir, fuzz_input.filename, case.stderr, timeout, memory_gib)
            problem = check_invariants(case, run_dir, fuzz_input, oracle)
            if problem:
                case.outcome, case.detail = "invariant", problem
                case.signature = f"invariant: {command}: " + re.sub(r"'[^']*'|-?\d[\d.e+-]*", "…", problem)[:120]
        cases.append(case)
    return cases


def _run_oracle(run_dir: Path, filename: str, stderr: str, timeout: float, memory_gib: float) -> dict | None:
    match = re.search(r"as-of (\d{4}-\d{2}-\d{2})", stderr)
    if not match:
        return None
    code, _, _, stdout, _ = _oracle_process(run_dir, filename, match.group(1), timeout, memory_gib)
    if code != 0:
        return None
    return json.loads(stdout)


def _oracle_process(run_dir: Path, filename: str, as_of: str, timeout: float, memory_gib: float):
    root = Path(__file__).resolve().parents[2]
    script = root / "tests" / "fuzz" / "oracle.py"
    return run_process([sys.executable, str(script), filename, as_of], run_dir, timeout, memory_gib)


def keep_failure(case: Case, fuzz_input: FuzzInput, run_dir: Path, failures: Path) -> Path:
    """Keep a failing case's folder: the input, ``command.sh``, ``stdout.txt``, ``stderr.txt``, ``case.json``."""
    target = failures / case.case_id
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(run_dir, target)
    if fuzz_input.companion:
        (target / "sales.csv").write_bytes(fuzz_input.companion)
    quoted = " ".join(_quote(a) for a in case.argv)
    (target / "command.sh").write_text(f'#!/bin/sh\ncd "$(dirname "$0")" && python -m crmkit {quoted}\n')
    (target / "stdout.txt").write_text(case.stdout)
    (target / "stderr.txt").write_text(case.stderr)
    record = case.record() | {"notes": fuzz_input.notes}
    (target / "case.json").write_text(json.dumps(record, indent=1, ensure_ascii=False))
    return target


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w./=-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"
