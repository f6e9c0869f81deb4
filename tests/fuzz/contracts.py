"""The renewal files of ``crmkit clv FILE --model sbg``: seeds, command lines and invariants.

A renewals seed (:func:`renewals_table`) is one of the two layouts :mod:`crmkit.io.renewals`
reads, with English or (about a third of the time) Chinese headers:

* **subscriber rows** (about 70 %) -- ``customer_id, plan, start_date, end_date, monthly_fee``
  as :mod:`crmkit.synth_contracts` simulates them (40-200 subscribers started over 2023-2024,
  as of 2025-06-30, blank end = active), sometimes without the plan or the fee
  column, dates as ``2024-06-06``, ``2024/06/06`` or ``2024年6月6日``;
* **a cohort table** -- ``year`` / ``period`` / 年份 / 期数 and one to three cohorts of 100-2,000
  customers, each cohort's active counts simulated from an sBG with its own ``(alpha, beta)``
  (Fader & Hardie 2007) over 4-12 periods.

Each input also draws its options (:func:`renewal_options`): ``--interval 0.9`` (40 %),
``--report r.xlsx`` (25 %), ``--view customers`` (30 % of subscriber files; a cohort table has
no customers table) and ``--unit quarter`` (10 % of subscriber files).

The invariants (:func:`check_renewals`): every number in the output is finite; the projection
has survival in [0, 1], non-increasing in the period within each cohort, starting at 1,
retention and the observed survival in [0, 1], and the interval columns, when present,
``survival_low <= survival <= survival_high`` inside [0, 1]; the customers view has one row per
id, each id in the input and an active subscriber, ``p_renew_next`` in [0, 1], ``derl`` >= 0;
the report, when asked for, is a readable workbook.
"""

from __future__ import annotations

import csv
import io
import math
import random
import zipfile
from datetime import date, timedelta
from pathlib import Path

SUBSCRIBER_HEADERS = {
    "en": ["customer_id", "plan", "start_date", "end_date", "monthly_fee"],
    "zh": ["客户编号", "套餐", "开始日期", "结束日期", "月费"],
}
PERIOD_HEADERS = {"en": ["year", "period", "month"], "zh": ["年份", "期数"]}
COHORT_NAMES = {"en": ["regular", "high_end", "trial"], "zh": ["普通", "高端", "试用"]}
#: the renewal columns the cell-level mutations aim at (dates, fees, counts)
DATE_COLUMNS = ("start_date", "end_date", "开始日期", "结束日期")
NUMBER_COLUMNS = ("monthly_fee", "月费", "regular", "普通")
#: the refusal of --view customers on a cohort table (only drawn for subscriber files, but a
#: mutation can turn one layout into the other's headers)
NO_CUSTOMERS_VIEW = "this result has no customers table"
SLACK = 1e-9


def renewals_table(rng: random.Random, table_cls):
    """A small valid renewal file as a :class:`tests.fuzz.mutations.Table` of text cells."""
    zh = rng.random() < 0.3
    lang = "zh" if zh else "en"
    if rng.random() < 0.7:
        header, rows = _subscribers(rng, lang)
        layout = "subscribers"
    else:
        header, rows = _cohorts(rng, lang)
        layout = "cohorts"
    table = table_cls("renewals", header, rows, ascii_only=not zh)
    table.options = renewal_options(rng, layout)
    return table


#: plan -> (alpha, beta, monthly fee), as crmkit.synth_contracts.PLANS plants them
PLANS = {"basic": (0.9, 3.0, 30.0), "premium": (1.2, 9.0, 80.0)}
AS_OF = date(2025, 6, 30)


def _subscribers(rng: random.Random, lang: str) -> tuple[list[str], list[list[str]]]:
    """Monthly subscribers of two plans, as :mod:`crmkit.synth_contracts` simulates them (sBG lifetimes,
    cancellation inside the last month), seeded from ``rng`` alone and with lifetimes capped at 10 years."""
    style = rng.choice(["iso", "iso", "slash", "zh" if lang == "zh" else "iso"])
    header = list(SUBSCRIBER_HEADERS[lang])
    rows = []
    for i in range(rng.randint(40, 200)):
        plan = "basic" if rng.random() < 0.6 else "premium"
        alpha, beta, fee = PLANS[plan]
        start = date(2023, 1, 1) + timedelta(days=rng.randrange(730))
        start = start.replace(day=min(start.day, 28))
        lifetime = min(_geometric(rng, rng.betavariate(alpha, beta)), 120)
        month = start.month - 1 + lifetime - 1
        end = date(start.year + month // 12, month % 12 + 1, start.day) + timedelta(days=rng.randint(1, 27))
        ended = _date(end, style) if end <= AS_OF else ""
        rows.append([f"S{i + 1:05d}", plan, _date(start, style), ended, f"{fee:.2f}"])
    drop = rng.choice([None, None, None, 1, 4])  # no plan (one cohort) or no fee (value 1 per period)
    if drop is not None:
        del header[drop]
        for row in rows:
            del row[drop]
    return header, rows


def _geometric(rng: random.Random, theta: float) -> int:
    """The period she cancels in, 1, 2, ...: geometric with ``theta``."""
    theta = min(max(theta, 1e-6), 1 - 1e-9)
    return 1 + int(math.log(1 - rng.random()) / math.log(1 - theta))


def _date(day: date, style: str) -> str:
    if style == "slash":
        return f"{day.year}/{day.month:02d}/{day.day:02d}"
    if style == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def _cohorts(rng: random.Random, lang: str) -> tuple[list[str], list[list[str]]]:
    """Active counts at the start of periods 0..K for 1-3 cohorts simulated from an sBG."""
    periods = rng.randint(4, 12)
    names = COHORT_NAMES[lang][: rng.randint(1, 3)]
    columns = []
    for _ in names:
        alpha, beta = rng.uniform(0.3, 3.0), rng.uniform(0.8, 8.0)
        size = rng.randint(100, 2000)
        lifetimes = []
        for _ in range(size):
            lifetimes.append(_geometric(rng, rng.betavariate(alpha, beta)))
        columns.append([sum(life > t for life in lifetimes) for t in range(periods + 1)])
    header = [rng.choice(PERIOD_HEADERS[lang]), *names]
    rows = [[str(t), *(str(c[t]) for c in columns)] for t in range(periods + 1)]
    return header, rows


def renewal_options(rng: random.Random, layout: str) -> list[str]:
    """The options of one renewals input, after ``clv FILE --model sbg -f csv -o out.csv``."""
    options: list[str] = []
    if rng.random() < 0.4:
        options += ["--interval", "0.9"]
    if layout == "subscribers" and rng.random() < 0.3:
        options += ["--view", "customers"]
    if layout == "subscribers" and rng.random() < 0.1:
        options += ["--unit", "quarter"]
    if rng.random() < 0.25:
        options += ["--report", "r.xlsx"]
    return options


def renewal_argv(filename: str, options: list[str]) -> list[str]:
    return ["clv", filename, "--model", "sbg", "-f", "csv", "-o", "out.csv", *options]


def check_renewals(argv: list[str], run_dir: Path, data: bytes | None) -> str:
    """'' when an ``sbg`` run's outputs hold the invariants (see the module's description).

    ``data`` is the input as text bytes (None for a workbook or Parquet: ids are then not looked up).
    """
    path = run_dir / "out.csv"
    if not path.exists():
        return "exit 0 but no out.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig", "strict"), newline="")))
    for number, row in enumerate(rows, 1):
        for column, value in row.items():
            if column in ("customer_id", "cohort", "start", "observed") or value in ("", None):
                continue
            try:
                finite = math.isfinite(float(value))
            except ValueError:
                return f"row {number}: {column} = {value!r} is not a number"
            if not finite:
                return f"row {number}: {column} = {value!r} is not a finite number"
    if "--report" in argv:
        problem = _check_book(run_dir / "r.xlsx")
        if problem:
            return problem
    if "customers" in argv:
        return _check_customers(rows, data)
    return _check_projection(rows)


def _check_projection(rows: list[dict]) -> str:
    if rows and not {"cohort", "period", "survival", "retention"} <= set(rows[0]):
        return f"the projection has columns {sorted(rows[0])[:8]}, not cohort/period/survival/retention"
    previous: dict[str, float] = {}
    for row in rows:
        where = f"cohort {row['cohort']!r} period {row['period']}"
        s = float(row["survival"])
        if not -SLACK <= s <= 1 + SLACK:
            return f"{where}: survival {s} outside [0, 1]"
        if row["period"] == "0" and abs(s - 1) > SLACK:
            return f"{where}: survival {s} at period 0, not 1"
        if s > previous.get(row["cohort"], 1.0) + SLACK:
            return f"{where}: survival {s} above the period before ({previous[row['cohort']]})"
        previous[row["cohort"]] = s
        for column in ("retention", "actual", "survival_low", "survival_high"):
            value = row.get(column) or ""
            if value and not -SLACK <= float(value) <= 1 + SLACK:
                return f"{where}: {column} {value} outside [0, 1]"
        low, high = row.get("survival_low") or "", row.get("survival_high") or ""
        if low and high and not float(low) - 1e-6 <= s <= float(high) + 1e-6:
            return f"{where}: survival {s} outside its interval [{low}, {high}]"
    return ""


def _check_customers(rows: list[dict], data: bytes | None) -> str:
    seen: set[str] = set()
    for row in rows:
        cid = row["customer_id"]
        if cid in seen:
            return f"customer {cid!r} listed twice"
        seen.add(cid)
        bare = cid[1:] if cid.startswith("'") and cid[1:2] in ("=", "+", "-", "@") else cid
        encodings = ("utf-8", "gb18030", "utf-16-le", "utf-16-be")
        forms = {bare, bare.replace('"', '""')}  # as written, or CSV-quoted
        if data is not None and not any(f.encode(e, "ignore") in data for f in forms for e in encodings):
            return f"customer id {cid!r} does not appear in the input"
        p = float(row["p_renew_next"])
        if not -SLACK <= p <= 1 + SLACK:
            return f"customer {cid!r}: p_renew_next {p} outside [0, 1]"
        if float(row["derl"]) < -SLACK:
            return f"customer {cid!r}: derl {row['derl']} below 0"
    return ""


def _check_book(book: Path) -> str:
    if not book.exists():
        return "exit 0 but no r.xlsx"
    try:
        with zipfile.ZipFile(book) as archive:
            bad = archive.testzip()
    except zipfile.BadZipFile as exc:
        return f"r.xlsx: {exc}"
    return f"r.xlsx: corrupt member {bad}" if bad else ""
