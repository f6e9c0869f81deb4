"""Seeded mutated exports: valid seeds from ``crmkit.synth``, then one named mutation each.

An input is a :class:`FuzzInput` (its kind, the mutation's name, a file name and the bytes).
:func:`make_input` builds input number ``index`` of a campaign from ``random.Random(f"{seed}:{index}")``
alone, so a failing case is rebuilt exactly from its seed and number (``python -m tests.fuzz
--seed S --only N``). Every mutation is a function ``(rng, seed) -> FuzzInput`` registered in
:data:`MUTATIONS` with its weight; a seed is a :class:`Table` of text cells, so cell-level
mutations (extreme values, huge fields, many columns, headers) can be rendered into any format,
and byte-level ones (flips, truncation, encodings, line ends, quotes) work on rendered CSV.

Sizes stay small in absolute terms (tens to hundreds of rows; the "bomb" is a few kilobytes that
expand to a few megabytes), so a case costs about a second.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from .contracts import DATE_COLUMNS, NUMBER_COLUMNS

SALES_HEADERS_EN = [
    "order_id",
    "customer_id",
    "order_date",
    "channel",
    "category",
    "quantity",
    "unit_price",
    "amount",
    "status",
]
SALES_HEADERS_ZH = ["订单号", "客户编号", "订单日期", "渠道", "品类", "数量", "单价", "金额", "状态"]

EXTREME_NUMBERS = [
    "1e309",
    "-1e309",
    "inf",
    "-inf",
    "Infinity",
    "NaN",
    "nan",
    "1e308",
    "-1e308",
    "9223372036854775808",
    "-9223372036854775809",
    "1" * 400,
    "0." + "0" * 300 + "1",
    "1e-400",
    "-0",
    "0x10",
    "1_000",
    "1,2,3",
    "١٢٣",
    "１２３",
    "12.5.6",
    "--5",
    "(-5)",
    "5e",
    "¥",
    "$-",
    "1.7976931348623157e308",
    "4.9e-324",
]
EXTREME_DATES = [
    "9999-12-31",
    "0001-01-01",
    "0000-01-01",
    "10000-01-01",
    "-0001-01-01",
    "0",
    "2958466",
    "2958465",
    "-1",
    "-693594",
    "60",
    "inf",
    "nan",
    "epoch",
    "1900-02-29",
    "2024-02-30",
    "2024-13-01",
    "1970-01-01",
    "1969-12-31 23:59:59",
    "2262-04-12",
    "1677-09-21",
    "99999999",
    "20241301",
    "2024年13月1日",
    "31/12/9999",
    "1/1/1",
    "2024-01-01T25:00:00",
    "2024-01-01 00:00:00+99:00",
    "1e10",
    "today",
]
MIXED_VALUES = ["twelve", "", " ", "NULL", "None", "N/A", "-", "TRUE", "2024-01-01", "1e3", "12%", "=1+1", "\t7"]
#: off every scale crmkit's surveys use (items 1-10, recommend 0-10, CSAT 1-5, effort 1-7)
OFF_EVERY_SCALE = {"11", "99", "1e9", "-1", "inf", "1e309"}
SURVEY_OFF_SCALE = ["11", "0", "-1", "99", "1e9", "5.5", "ten", "-0", "10.0001", "inf", "NaN", "1e309", "３"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gb18030", "cp1252"]
#: free-text columns, where RFC 4180 quoting (line breaks, doubled quotes) keeps an export valid
FREE_TEXT = ("channel", "category", "渠道", "品类", "city", "城市", "source_channel", "来源渠道")


@dataclass
class Table:
    """Text cells of one export: a header row and data rows."""

    kind: str  # "sales", "survey", "attributes", "campaign", "complaints" or "renewals"
    header: list[str]
    rows: list[list[str]]
    ascii_only: bool = True
    companion: bytes = b""  # for a survey or attributes: a valid sales export of the same customers
    options: list[str] = field(default_factory=list)  # command-line options drawn with the seed (renewals)

    def copy(self) -> Table:
        rows = [list(r) for r in self.rows]
        return Table(self.kind, list(self.header), rows, self.ascii_only, self.companion, list(self.options))

    def column(self, names: tuple[str, ...]) -> int:
        for i, name in enumerate(self.header):
            if name in names:
                return i
        return 0


@dataclass
class FuzzInput:
    """One mutated file: what it is for, how it was made, its name and content."""

    kind: str
    mutation: str
    filename: str
    data: bytes
    notes: list[str] = field(default_factory=list)
    companion: bytes = b""  # for a survey or attributes: a valid sales export of the same customers
    valid: bool = False  # still a valid export (RFC 4180, README "Reading"): a clean error is wrong too
    off_scale: bool = False  # holds a survey answer outside every item's scale: satisfaction must refuse it
    recommend_item: str = "category"  # what recommend recommends: the seed's categories, else its products
    options: list[str] = field(default_factory=list)  # extra options: renewals' sbg run, sales' clv (--interval)


# --- seeds ---------------------------------------------------------------------------------


def sales_table(rng: random.Random) -> Table:
    """A small valid purchase export from ``crmkit.synth.generate_sales``."""
    from crmkit.synth import generate_sales

    sales = generate_sales(
        n_customers=rng.randint(8, 120), seed=rng.randrange(2**31), return_rate=rng.choice([0.0, 0.03, 0.15])
    )
    zh = rng.random() < 0.25
    header = SALES_HEADERS_ZH if zh else SALES_HEADERS_EN
    rows = [[_cell(v) for v in row] for row in sales[SALES_HEADERS_EN].itertuples(index=False)]
    return Table("sales", list(header), rows, ascii_only=not zh)


def survey_table(rng: random.Random) -> Table:
    """A small valid survey from ``crmkit.synth.generate_survey`` on a small sales seed."""
    from crmkit.synth import generate_sales, generate_survey

    sales = generate_sales(n_customers=rng.randint(40, 150), seed=rng.randrange(2**31))
    n = rng.randint(25, min(120, sales["customer_id"].nunique()))
    survey = generate_survey(sales, n_respondents=n, seed=rng.randrange(2**31))
    rows = [[_cell(v) for v in row] for row in survey.itertuples(index=False)]
    # the purchases the respondents made: ladder --survey and report --survey read both
    return Table("survey", [str(c) for c in survey.columns], rows, companion=sales.to_csv(index=False).encode())


def _cell(value) -> str:
    import pandas as pd

    if pd.isna(value):  # NaN / NA: an empty cell, as an export writes it
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def platform_table(rng: random.Random) -> Table:
    """A small valid platform order export (Taobao, Shopify …) from ``crmkit.synth_platforms``, as text cells.

    The cells are the export's own text (``="1234…"`` order numbers, tabs, ``'`` phones), so every
    mutation meets the platform rules (:mod:`crmkit.io.platforms.orders`) as well as the reader's.
    """
    from crmkit.synth_platforms import generate_orders
    from crmkit.synth_platforms.layouts import ENCODINGS, export_bytes

    platform = rng.choice(sorted(ENCODINGS))  # the CSV platforms; WeChat Shop's xlsx is rendered by to_xlsx
    book = generate_orders(platform, orders=rng.randint(25, 70), seed=rng.randrange(2**31))
    text = export_bytes(book).decode(ENCODINGS[platform]).lstrip("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text)))
    return Table("sales", header, rows, ascii_only=platform in ("shopify", "woocommerce"))


def attributes_table(rng: random.Random) -> Table:
    """A small valid members export from ``crmkit.synth_customers.generate_customers``, with its sales.

    The headers and values are Chinese or English; a third of the files also carry an age column
    (``35``, ``35岁``), which the reader uses where a birth date is unusable. The companion is the
    sales export the members belong to (``profile`` and ``care`` read both).
    """
    from crmkit.synth import generate_sales
    from crmkit.synth_customers import generate_customers

    sales = generate_sales(n_customers=rng.randint(8, 80), seed=rng.randrange(2**31))[SALES_HEADERS_EN]
    lang = "en" if rng.random() < 0.3 else "zh"
    members = generate_customers(sales, seed=rng.randrange(2**31), lang=lang)
    header = [str(c) for c in members.columns]
    rows = [[_cell(v) for v in row] for row in members.itertuples(index=False)]
    if rng.random() < 1 / 3:
        header.append("age" if lang == "en" else "年龄")
        for row in rows:
            row.append(str(rng.randint(16, 80)) + ("岁" if lang == "zh" and rng.random() < 0.3 else ""))
    return Table("attributes", header, rows, ascii_only=False, companion=sales.to_csv(index=False).encode())


def campaign_table(rng: random.Random) -> Table:
    """A small valid campaign file for a small sales seed: most of its customers in a control or a treated group.

    Chinese or English headers (客户编号, 分组, 触达日期, 触达成本 / customer_id, group,
    contact_date, cost); one contact date inside the sales' dates. The companion is the sales
    export (``campaign sales.csv --campaign FILE`` reads both).
    """
    from crmkit.synth import generate_sales

    sales = generate_sales(n_customers=rng.randint(8, 80), seed=rng.randrange(2**31))[SALES_HEADERS_EN]
    zh = rng.random() < 0.5
    header = ["客户编号", "分组", "触达日期", "触达成本"] if zh else ["customer_id", "group", "contact_date", "cost"]
    control, treated = ("对照组", "短信") if zh else ("control", "email")
    days = sorted(sales["order_date"].astype(str))
    contact = days[len(days) // 2][:10]
    ids = sorted(set(sales["customer_id"].astype(str)))
    chosen = [cid for cid in ids if rng.random() < 0.8] or ids
    rows = [[cid, control if i % 4 == 0 else treated, contact, rng.choice(["0.10", "0.50", "2"])] for i, cid in
            enumerate(chosen)]  # fmt: skip
    return Table("campaign", header, rows, ascii_only=not zh, companion=sales.to_csv(index=False).encode())


def complaints_table(rng: random.Random) -> Table:
    """A small valid complaints export (``crmkit.synth_feedback.complaints_for``) for a small sales seed."""
    from crmkit.synth import generate_sales
    from crmkit.synth_feedback import complaints_for

    sales = generate_sales(n_customers=rng.randint(8, 80), seed=rng.randrange(2**31))[SALES_HEADERS_EN]
    complaints, _ = complaints_for(sales.astype(str), seed=rng.randrange(2**31), rate=rng.choice([0.1, 0.3, 0.6]))
    header = [str(c) for c in complaints.columns]
    rows = [[_cell(v) for v in row] for row in complaints.itertuples(index=False)]
    return Table("complaints", header, rows, ascii_only=False, companion=sales.to_csv(index=False).encode())


#: how often an input is of each kind (a survey-only mutation always makes a survey)
KIND_SHARES = {
    "attributes": 0.12,
    "campaign": 0.07,
    "complaints": 0.07,
    "survey": 0.15,
    "sales": 0.59,
    "renewals": 0.05,  # a renewal file through ``clv --model sbg`` (tests.fuzz.contracts)
}
#: how often a sales input's clv run asks for intervals (``--interval 0.9``)
SALES_INTERVAL_SHARE = 0.3
#: the kinds read beside a valid sales export (its companion, ``sales.csv`` in the run folder)
WITH_SALES = ("attributes", "campaign", "complaints")


def seed_table(rng: random.Random, kind: str | None = None) -> Table:
    kind = kind or rng.choices(list(KIND_SHARES), weights=list(KIND_SHARES.values()))[0]
    if kind == "survey":
        return survey_table(rng)
    if kind == "attributes":
        return attributes_table(rng)
    if kind == "campaign":
        return campaign_table(rng)
    if kind == "complaints":
        return complaints_table(rng)
    if kind == "renewals":
        from .contracts import renewals_table

        return renewals_table(rng, Table)
    return platform_table(rng) if rng.random() < 0.25 else sales_table(rng)


# --- rendering -----------------------------------------------------------------------------


def to_csv_text(table: Table, delimiter: str = ",", newline: str = "\n", quoting: int = csv.QUOTE_MINIMAL) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    writer.writerow(table.header)
    writer.writerows(table.rows)
    return out.getvalue()


def to_xlsx(table: Table, title_rows: int = 0) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    for i in range(title_rows):
        sheet.append([f"Sales export {i}"])
    sheet.append(table.header)
    for row in table.rows:
        sheet.append([_typed(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    parts = _unzip(out.getvalue())
    # openpyxl stamps the time of saving; a fixed one keeps input i of seed s the same bytes
    core = parts.get("docProps/core.xml", b"")
    parts["docProps/core.xml"] = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", core)
    return _zip(parts)


def _typed(value: str):
    """Numbers as numbers in a workbook, like a real export; everything else as text."""
    try:
        number = float(value)
    except ValueError:
        return value
    if number != number or number in (float("inf"), float("-inf")) or len(value) > 30:
        return value
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def to_parquet(table: Table) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = _unique(table.header)
    columns = {name: [r[i] if i < len(r) else None for r in table.rows] for i, name in enumerate(names)}
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)
    return out.getvalue()


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for name in names:
        key = name or "column"
        seen[key] = seen.get(key, 0) + 1
        result.append(key if seen[key] == 1 else f"{key}_{seen[key]}")
    return result


def encodable(table: Table, encoding: str) -> str:
    """An encoding that can write the table (cp1252 cannot write Chinese headers)."""
    if encoding == "cp1252" and not table.ascii_only:
        return "gb18030"
    return encoding


def render(rng: random.Random, table: Table, mutation: str, notes: list[str] | None = None) -> FuzzInput:
    """The table as a CSV (random encoding, delimiter, line end), XLSX, Parquet or gzip file."""
    notes = notes if notes is not None else []
    form = rng.choices(["csv", "xlsx", "parquet", "gzip"], weights=[6, 2, 1, 1])[0]
    if form == "xlsx":
        titles = rng.choice([0, 0, 2])
        notes.append(f"xlsx, {titles} title rows")
        return FuzzInput(table.kind, mutation, "input.xlsx", to_xlsx(table, titles), notes)
    if form == "parquet":
        notes.append("parquet, text columns")
        return FuzzInput(table.kind, mutation, "input.parquet", to_parquet(table), notes)
    encoding = encodable(table, rng.choice(ENCODINGS))
    delimiter = rng.choice([",", ",", ";", "\t", "|"])
    newline = rng.choice(["\n", "\r\n"])
    notes.append(f"csv {encoding} delimiter={delimiter!r} newline={newline!r}")
    data = to_csv_text(table, delimiter, newline).encode(encoding, errors="replace")
    if form == "gzip":
        notes.append("gzip")
        return FuzzInput(table.kind, mutation, "input.csv.gz", gzip.compress(data, mtime=0), notes)
    return FuzzInput(table.kind, mutation, rng.choice(["input.csv", "input.txt", "input.tsv", "input"]), data, notes)


def csv_bytes(rng: random.Random, table: Table, notes: list[str]) -> tuple[bytes, str]:
    """The table as CSV bytes in a random encoding (byte-level mutations start from these)."""
    encoding = encodable(table, rng.choice(["utf-8", "utf-8", "utf-8-sig", "gb18030", "utf-16", "cp1252"]))
    newline = rng.choice(["\n", "\r\n"])
    notes.append(f"csv {encoding} newline={newline!r}")
    return to_csv_text(table, ",", newline).encode(encoding, errors="replace"), encoding


# --- mutations -----------------------------------------------------------------------------

Mutation = Callable[[random.Random, Table], FuzzInput]


def m_valid(rng, t):
    """No mutation: the seed as it is, in a random format (every command must read it).

    UTF-16 without a BOM is not promised (README: UTF-16 as Excel's "Unicode text" writes it, with
    a BOM), so there a clean error passes.
    """
    made = render(rng, t, "valid")
    return _valid(made, not any("utf-16-le" in note for note in made.notes))


def _valid(made: FuzzInput, valid: bool = True) -> FuzzInput:
    made.valid = valid
    return made


def m_byte_flips(rng, t):
    """1-30 random bytes replaced by random bytes."""
    notes: list[str] = []
    data, _ = csv_bytes(rng, t, notes)
    buf = bytearray(data)
    for _ in range(rng.randint(1, 30)):
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    return FuzzInput(t.kind, "byte_flips", "input.csv", bytes(buf), notes)


def m_truncate(rng, t):
    """Cut the file at a random byte: mid-row, mid-field, and for multi-byte text mid-character."""
    notes: list[str] = []
    data, encoding = csv_bytes(rng, t, notes)
    cut = rng.randrange(1, len(data))
    if rng.random() < 0.5 and encoding not in ("utf-16",):
        multibyte = [i for i, b in enumerate(data) if b >= 0x80]
        if multibyte:
            cut = rng.choice(multibyte) + 1  # after a lead or continuation byte: mid-character
            notes.append("cut mid-character")
    notes.append(f"cut at byte {cut} of {len(data)}")
    return FuzzInput(t.kind, "truncate", "input.csv", data[:cut], notes)


def m_mixed_encodings(rng, t):
    """Rows in UTF-8 and GB18030 (and cp1252) mixed in one file, with Chinese text in cells."""
    t = t.copy()
    col = t.column(("channel", "渠道", "source_channel", "来源渠道"))
    for row in t.rows:
        if col < len(row) and rng.random() < 0.4:
            row[col] = rng.choice(["微信", "天猫旗舰店", "门店", "Café", "Größe"])
    text = to_csv_text(t).splitlines(keepends=True)
    out = bytearray()
    for line in text:
        enc = rng.choice(["utf-8", "gb18030", "cp1252"])
        out += line.encode(enc, errors="replace")
    return FuzzInput(t.kind, "mixed_encodings", "input.csv", bytes(out), ["utf-8/gb18030/cp1252 per row"])


def m_bom_middle(rng, t):
    """A byte-order mark at the start of data rows, in the middle of a field, or a second one at the top."""
    text = to_csv_text(t).splitlines(keepends=True)
    where = rng.choice(["row_start", "field", "double"])
    if where == "double":
        text[0] = "\ufeff\ufeff" + text[0]
    else:
        for i in rng.sample(range(1, len(text)), k=min(len(text) - 1, rng.randint(1, 5))):
            pos = 0 if where == "row_start" else rng.randrange(len(text[i]))
            text[i] = text[i][:pos] + "\ufeff" + text[i][pos:]
    enc = rng.choice(["utf-8", "utf-8-sig"])
    made = FuzzInput(t.kind, "bom_middle", "input.csv", "".join(text).encode(enc), [where, enc])
    return _valid(made, where == "row_start")  # a BOM before a row is noise to skip, not part of an id


def m_line_ends(rng, t):
    """Line ends CR, CRLF, CR CR LF, or mixed per line (no quotes in the file)."""
    style = rng.choice(["\r", "\r\n", "\r\r\n", "mixed", "\n\n"])
    lines = to_csv_text(t, quoting=csv.QUOTE_MINIMAL).splitlines()
    if style == "mixed":
        text = "".join(line + rng.choice(["\n", "\r\n", "\r", "\r\r\n"]) for line in lines)
    else:
        text = style.join(lines) + style
    made = FuzzInput(t.kind, "line_ends", "input.csv", text.encode("utf-8"), [f"newline={style!r}"])
    return _valid(made, style in ("\r", "\r\n", "\r\r\n"))


def m_quotes(rng, t):
    """Unbalanced quotes: a stray quote in a field, an unterminated quoted field, quoted line breaks."""
    t = t.copy()
    how = rng.choice(["stray", "unterminated", "embedded_newline", "doubled"])
    # valid quoting goes into free-text columns (an address, a product name); an amount with a
    # line break in it is a bad amount, however it is quoted
    text_columns = [i for i, h in enumerate(t.header) if h in FREE_TEXT]
    for _ in range(rng.randint(1, 4)):
        row = rng.choice(t.rows)
        col = rng.randrange(len(row))
        if how in ("embedded_newline", "doubled") and text_columns:
            col = rng.choice(text_columns)
        if how == "stray":
            row[col] = row[col][:1] + '"' + row[col][1:]
        elif how == "embedded_newline":
            row[col] = row[col] + "\nsecond line, with a comma"
        elif how == "doubled":
            row[col] = '""' + row[col] + '""'
    text = to_csv_text(t)
    if how == "unterminated":
        lines = text.splitlines(keepends=True)
        i = rng.randrange(1, len(lines))
        lines[i] = '"' + lines[i]
        text = "".join(lines)
    quoted = how in ("embedded_newline", "doubled") and bool(text_columns)
    made = FuzzInput(t.kind, "quotes", "input.csv", text.encode("utf-8"), [how, "csv-quoted" if quoted else "raw"])
    return _valid(made, quoted)  # RFC 4180: quoted line breaks and doubled quotes are valid


def m_huge_field(rng, t):
    """One or a few fields of 100k-400k characters (past DuckDB's 131,072-byte field limit)."""
    t = t.copy()
    size = rng.choice([70_000, 140_000, 400_000])
    col = rng.randrange(len(t.header)) if rng.random() < 0.5 else t.column(("channel", "渠道"))
    for row in rng.sample(t.rows, k=min(len(t.rows), rng.randint(1, 3))):
        if col < len(row):
            row[col] = rng.choice(["x", "9", "客", '"']) * size
    return render(rng, t, "huge_field", [f"{size} chars in column {t.header[col]!r}"])


def m_many_columns(rng, t):
    """Thousands of extra columns (2,000-5,000), before or after the real ones."""
    t = t.copy()
    extra = rng.randint(2000, 5000)
    names = [f"x{i}" for i in range(extra)]
    before = rng.random() < 0.5
    t.header = names + t.header if before else t.header + names
    for row in t.rows:
        filler = [str(rng.randrange(10)) for _ in range(extra)]
        row[:] = filler + row if before else row + filler
    t.rows = t.rows[: rng.randint(5, 40)]
    return render(rng, t, "many_columns", [f"{extra} extra columns {'before' if before else 'after'}"])


def m_headers(rng, t):
    """Duplicate, case-duplicate, empty, whitespace or missing headers."""
    t = t.copy()
    how = rng.choice(["duplicate", "case", "empty", "blank_all", "whitespace", "short", "long", "no_header"])
    if how == "duplicate":
        i = rng.randrange(len(t.header))
        j = rng.randrange(len(t.header))
        t.header[j] = t.header[i]
    elif how == "case":
        i = t.column(("amount", "customer_id", "order_date", "金额", "recommend"))
        t.header.append(t.header[i].upper() if t.header[i].upper() != t.header[i] else t.header[i] + "Ａ")
        for row in t.rows:
            row.append(str(rng.randrange(100)))
    elif how == "empty":
        t.header[rng.randrange(len(t.header))] = ""
    elif how == "blank_all":
        t.header = [""] * len(t.header)
    elif how == "whitespace":
        t.header = [f" {h}\t" for h in t.header]
    elif how == "short":
        t.header = t.header[: rng.randint(1, len(t.header) - 1)]
    elif how == "long":
        t.header = t.header + [f"extra{i}" for i in range(rng.randint(1, 5))]
    else:
        t.header = t.rows[0]
        t.rows = t.rows[1:]
    return render(rng, t, "headers", [how])


def m_extreme_numbers(rng, t):
    """Amounts (or survey answers) like 1e309, inf, NaN, 400-digit integers, full-width digits."""
    t = t.copy()
    if t.kind == "survey":
        col = rng.randrange(2, len(t.header))
    else:  # a members file: its age, else its birth date
        col = t.column(("amount", "金额", "quantity", "数量", "age", "年龄", "birth_date", "出生日期", *NUMBER_COLUMNS))
    values = rng.sample(EXTREME_NUMBERS, k=rng.randint(1, 4))
    for row in rng.sample(t.rows, k=min(len(t.rows), rng.randint(1, 6))):
        row[col] = rng.choice(values)
    return render(rng, t, "extreme_numbers", [f"column {t.header[col]!r}: {values}"])


def m_extreme_dates(rng, t):
    """Dates at the edges: 9999-12-31, 0001-01-01, Excel serials 0 / 2958466 / negative, inf, epoch."""
    t = t.copy()
    if t.kind == "survey":
        return m_survey_off_scale(rng, t)
    col = t.column(("order_date", "订单日期", *rng.choice([("birth_date", "出生日期"), ("join_date", "注册日期")])))
    if t.kind == "renewals":
        col = rng.choice([i for i, h in enumerate(t.header) if h in DATE_COLUMNS] or [0])
    values = rng.sample(EXTREME_DATES, k=rng.randint(1, 3))
    for row in rng.sample(t.rows, k=min(len(t.rows), rng.randint(1, 4))):
        row[col] = rng.choice(values)
    return render(rng, t, "extreme_dates", [f"dates {values}"])


def m_mixed_types(rng, t):
    """Text, dates, booleans and formulas among the numbers of a column (or numbers among dates)."""
    t = t.copy()
    col = rng.randrange(len(t.header))
    values = rng.sample(MIXED_VALUES, k=rng.randint(1, 4))
    for row in rng.sample(t.rows, k=min(len(t.rows), rng.randint(1, len(t.rows) // 2 + 1))):
        row[col] = rng.choice(values)
    return render(rng, t, "mixed_types", [f"column {t.header[col]!r}: {values}"])


def m_ids(rng, t):
    """Customer ids that must come out exactly as read: leading zeros, float spellings, spaces, unicode."""
    t = t.copy()
    col = t.column(("customer_id", "客户编号"))
    pool = ["00123", "17850.0", " C001 ", "c001", "C001", "客户甲", "Ω-7", "+8613800138000", "-12.5", "=A1", "1e3"]
    for row in t.rows:
        if rng.random() < 0.5:
            row[col] = rng.choice(pool)
    t.ascii_only = False
    # a renewal file has one row per subscriber: repeated ids (also " C001 " and "C001") are an error there
    # (and a cohort table has no ids: its first column, the periods, got them)
    ids = [row[col].strip() for row in t.rows]
    unique = len(set(ids)) == len(ids) and t.header[col] in ("customer_id", "客户编号")
    return _valid(render(rng, t, "ids", ["ids from a hostile pool"]), t.kind != "renewals" or unique)


def m_duplicate_ids(rng, t):
    """Repeated customer ids: whole rows repeated, or other rows given an earlier row's id.

    A members file keeps the first row of a repeated id and counts the rest (README, customer
    attributes), so there it is still a valid export.
    """
    t = t.copy()
    col = t.column(("customer_id", "客户编号", "respondent_id"))
    how = rng.choice(["repeat_rows", "reuse_ids", "all_one_id"])
    picked = rng.sample(range(len(t.rows)), k=min(len(t.rows), rng.randint(1, 8)))
    if how == "repeat_rows":
        for i in picked:
            t.rows.insert(rng.randrange(len(t.rows) + 1), list(t.rows[i]))
    elif how == "reuse_ids":
        for i in picked:
            t.rows[i][col] = t.rows[rng.randrange(len(t.rows))][col]
    else:
        for row in t.rows:
            row[col] = t.rows[0][col]
    return _valid(render(rng, t, "duplicate_ids", [how]), t.kind == "attributes")


def m_renamed(rng, t):
    """A CSV (or a Parquet, or random bytes) named .xlsx / .parquet / .gz."""
    notes: list[str] = []
    data, _ = csv_bytes(rng, t, notes)
    content = rng.choice(["csv", "parquet", "noise", "empty"])
    if content == "parquet":
        data = to_parquet(t)
    elif content == "noise":
        data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4096)))
    elif content == "empty":
        data = b""
    name = rng.choice(["input.xlsx", "input.parquet", "input.csv.gz", "input.xls"])
    return FuzzInput(t.kind, "renamed", name, data, notes + [f"{content} named {name}"])


def m_corrupt_xlsx(rng, t):
    """An XLSX with flipped bytes, cut short, a missing part, or garbage in the sheet XML."""
    data = to_xlsx(t)
    how = rng.choice(["flip", "truncate", "drop_part", "garbage_sheet", "no_sheets"])
    if how == "flip":
        buf = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        data = bytes(buf)
    elif how == "truncate":
        data = data[: rng.randrange(1, len(data))]
    else:
        parts = _unzip(data)
        sheet = next(n for n in parts if n.startswith("xl/worksheets/"))
        if how == "drop_part":
            del parts[rng.choice([sheet, "xl/workbook.xml", "[Content_Types].xml"])]
        elif how == "garbage_sheet":
            xml = parts[sheet]
            cut = rng.randrange(len(xml))
            parts[sheet] = xml[:cut] + rng.choice([b"<<>>&&", b"\x00\xff", b"</row></row>", b""]) + xml[cut + 10 :]
        else:
            parts = {n: v for n, v in parts.items() if not n.startswith("xl/worksheets/")}
        data = _zip(parts)
    return FuzzInput(t.kind, "corrupt_xlsx", "input.xlsx", data, [how])


def m_hostile_xml(rng, t):
    """Entity expansion ("billion laughs"), an external entity (XXE) or a 1,000-deep nesting in an XLSX part."""
    parts = _unzip(to_xlsx(t))
    sheet = next(n for n in parts if n.startswith("xl/worksheets/"))
    how = rng.choice(["laughs_sheet", "laughs_workbook", "xxe", "deep", "far_cell", "huge_dimension"])
    if how in ("laughs_sheet", "laughs_workbook"):
        name = sheet if how == "laughs_sheet" else "xl/workbook.xml"
        dtd = b'<!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
        for i in range(1, 10):
            prev = b"&lol;" if i == 1 else b"&lol%d;" % (i - 1)
            dtd += b'<!ENTITY lol%d "%s">' % (i, prev * 10)
        dtd += b"]>"
        xml = parts[name]
        xml = _after_decl(xml, dtd)
        if name == sheet:
            xml = xml.replace(
                b"<sheetData>",
                b'<sheetData><row r="1000"><c r="A1000" t="inlineStr"><is><t>&lol9;</t></is></c></row>',
                1,
            )
        parts[name] = xml
    elif how == "xxe":
        xml = _after_decl(parts[sheet], b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
        parts[sheet] = xml.replace(
            b"<sheetData>", b'<sheetData><row r="1000"><c r="A1000" t="inlineStr"><is><t>&xxe;</t></is></c></row>', 1
        )
    elif how == "deep":
        parts[sheet] = parts[sheet].replace(b"<sheetData>", b"<sheetData>" + b"<x>" * 1000 + b"</x>" * 1000, 1)
    else:
        ref = rng.choice(["XFD1048576", "ZZ100000", "A1048576", "XFD1"])
        xml = parts[sheet]
        cell = b'<row r="%s"><c r="%s"><v>1</v></c></row>' % (
            ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ").encode(),
            ref.encode(),
        )
        if how == "far_cell":
            xml = xml.replace(b"</sheetData>", cell + b"</sheetData>", 1)
        xml = _set_dimension(xml, f"A1:{ref}".encode())
        parts[sheet] = xml
        how = f"{how} {ref}"
    return FuzzInput(t.kind, "hostile_xml", "input.xlsx", _zip(parts), [how])


def m_gzip_bomb(rng, t):
    """A gzip of a few kilobytes that expands about 1000x: padding, a giant field, or repeated rows."""
    t = Table(t.kind, t.header, t.rows[:20], t.ascii_only)  # a short real part: the ratio comes from the rest
    text = to_csv_text(t)
    how = rng.choice(["blank_lines", "giant_field", "repeated_rows", "spaces_after"])
    size = 4_000_000
    if how == "blank_lines":
        payload = text + "\n" * size
    elif how == "giant_field":
        payload = text + t.rows[0][0] + "," + "A" * size + "\n"
    elif how == "repeated_rows":
        line = to_csv_text(Table(t.kind, t.header, t.rows[:1])).splitlines(keepends=True)[1]
        payload = text + line * (size // max(1, len(line)))
    else:
        payload = text.replace("\n", " " * 200_000 + "\n")
    data = gzip.compress(payload.encode("utf-8"), compresslevel=9, mtime=0)
    ratio = len(payload) / len(data)
    return FuzzInput(
        t.kind, "gzip_bomb", "input.csv.gz", data, [how, f"{len(data)} bytes -> {len(payload)} ({ratio:.0f}x)"]
    )


def m_parquet_types(rng, t):
    """Parquet with wrong-typed columns: ids as floats, dates as int64 / strings / timestamps, amounts as text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = _unique(t.header)
    columns: dict[str, pa.Array] = {}
    how = rng.choice(
        [
            "float_ids",
            "int_dates",
            "ts_dates",
            "bool_amounts",
            "list_column",
            "null_column",
            "decimal",
            "huge_date",
            "dict",
        ]
    )
    for i, name in enumerate(names):
        values = [r[i] if i < len(r) else None for r in t.rows]
        columns[name] = pa.array(values, pa.string())
    cid = names[t.column(("customer_id", "客户编号"))]
    date = names[t.column(("order_date", "订单日期"))]
    amount = names[t.column(("amount", "金额"))]
    n = len(t.rows)
    if how == "float_ids":
        columns[cid] = pa.array([float(i) + rng.choice([0.0, 0.5]) for i in range(n)])
    elif how == "int_dates":
        columns[date] = pa.array([rng.choice([0, 20240101, 45000, -1, 2**40]) for _ in range(n)], pa.int64())
    elif how == "ts_dates":
        columns[date] = pa.array(
            [rng.randrange(-(2**62), 2**62) for _ in range(n)], pa.timestamp("ns", tz="Asia/Shanghai")
        )
    elif how == "bool_amounts":
        columns[amount] = pa.array([rng.random() < 0.5 for _ in range(n)])
    elif how == "list_column":
        columns[amount] = pa.array([[1.0, 2.0]] * n)
    elif how == "null_column":
        columns[rng.choice([cid, date, amount])] = pa.nulls(n)
    elif how == "decimal":
        import decimal

        columns[amount] = pa.array([decimal.Decimal("12345678901234567890.12")] * n, pa.decimal128(38, 2))
    elif how == "huge_date":
        columns[date] = pa.array([rng.choice([2_000_000_000, -2_000_000_000, 0, 19_000])] * n, pa.date32())
    else:
        columns[cid] = pa.array(
            pa.array([r[t.column(("customer_id", "客户编号"))] for r in t.rows]).dictionary_encode()
        )
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)
    return FuzzInput(t.kind, "parquet_types", "input.parquet", out.getvalue(), [how])


def m_survey_off_scale(rng, t):
    """Survey answers off the scale: 11 on a 0-10 item, 0 or 6 on a 1-5 CSAT, 1e9, 5.5, text."""
    if t.kind != "survey":
        t = survey_table(rng)
    t = t.copy()
    items = [i for i, h in enumerate(t.header) if h not in ("customer_id", "channel")]
    cols = rng.sample(items, k=rng.randint(1, 3))
    values = rng.sample(SURVEY_OFF_SCALE, k=rng.randint(1, 3))
    placed = set()
    for row in rng.sample(t.rows, k=min(len(t.rows), rng.randint(1, 5))):
        value = rng.choice(values)
        row[rng.choice(cols)] = value
        placed.add(value)
    made = render(rng, t, "survey_off_scale", [f"columns {[t.header[c] for c in cols]}: {sorted(placed)}"])
    made.off_scale = bool(placed & OFF_EVERY_SCALE)
    return made


def m_title_rows(rng, t):
    """Report titles, blank lines and notes above the header, and a total row at the end."""
    t = t.copy()
    pre = rng.choice(
        ["Sales report 2024\n\n", "销售报表,,,\n导出时间: 2024-12-31\n", '"a title, with a comma"\n' * 5, "\n" * 50]
    )
    commas = "," * max(len(t.header) - 2, 0)  # a total row as wide as the table (9 columns for sales)
    text = pre + to_csv_text(t) + rng.choice(["", f"合计{commas}999999,\n", f"Total{commas}1,\n"])
    enc = "gb18030" if rng.random() < 0.3 else "utf-8"
    return _valid(FuzzInput(t.kind, "title_rows", "input.csv", text.encode(enc), [enc]))


def m_empty(rng, t):
    """Nothing, a header only, one row, or only blank lines / only a BOM."""
    how = rng.choice(["empty", "header_only", "one_row", "blank", "bom_only", "nul"])
    text = {
        "empty": "",
        "header_only": ",".join(t.header) + "\n",
        "one_row": to_csv_text(Table(t.kind, t.header, t.rows[:1])),
        "blank": "\n \n\t\n",
        "bom_only": "\ufeff",
        "nul": "\x00" * 100,
    }[how]
    return FuzzInput(t.kind, "empty", "input.csv", text.encode("utf-8"), [how])


MUTATIONS: dict[str, tuple[Mutation, int]] = {
    "valid": (m_valid, 3),
    "byte_flips": (m_byte_flips, 4),
    "truncate": (m_truncate, 3),
    "mixed_encodings": (m_mixed_encodings, 2),
    "bom_middle": (m_bom_middle, 2),
    "line_ends": (m_line_ends, 2),
    "quotes": (m_quotes, 3),
    "huge_field": (m_huge_field, 2),
    "many_columns": (m_many_columns, 1),
    "headers": (m_headers, 3),
    "extreme_numbers": (m_extreme_numbers, 3),
    "extreme_dates": (m_extreme_dates, 3),
    "mixed_types": (m_mixed_types, 3),
    "ids": (m_ids, 2),
    "duplicate_ids": (m_duplicate_ids, 2),
    "renamed": (m_renamed, 1),
    "corrupt_xlsx": (m_corrupt_xlsx, 2),
    "hostile_xml": (m_hostile_xml, 2),
    "gzip_bomb": (m_gzip_bomb, 1),
    "parquet_types": (m_parquet_types, 2),
    "survey_off_scale": (m_survey_off_scale, 2),
    "title_rows": (m_title_rows, 1),
    "empty": (m_empty, 1),
}


def make_input(seed: int, index: int, mutation: str | None = None, kind: str | None = None) -> FuzzInput:
    """Input number ``index`` of campaign ``seed``: the same bytes on every machine and run.

    ``kind`` ("sales", "survey", "attributes", "campaign", "complaints") forces the seed's kind (the
    same input only when the campaign drew that kind too); ``survey_off_scale`` always makes a survey.
    """
    rng = random.Random(f"crmkit-fuzz:{seed}:{index}")
    names = list(MUTATIONS)
    name = mutation or rng.choices(names, weights=[MUTATIONS[n][1] for n in names])[0]
    func = MUTATIONS[name][0]
    table = seed_table(rng, "survey" if name == "survey_off_scale" else kind)
    result = func(rng, table)
    result.mutation = name
    if result.kind == "survey" and not result.companion:
        result.companion = table.companion or survey_table(rng).companion
    if result.kind in WITH_SALES and not result.companion:
        result.companion = table.companion
    # the platform exports (Taobao …) name products but no category
    result.recommend_item = "category" if {"category", "品类"} & set(table.header) else "product"
    result.options = list(table.options)
    if result.kind == "sales" and rng.random() < SALES_INTERVAL_SHARE:
        result.options = ["--interval", "0.9"]
    return result


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))  # fixed: same bytes every run
            archive.writestr(info, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _after_decl(xml: bytes, insert: bytes) -> bytes:
    if xml.startswith(b"<?xml"):
        end = xml.index(b"?>") + 2
        return xml[:end] + insert + xml[end:]
    return insert + xml


def _set_dimension(xml: bytes, ref: bytes) -> bytes:
    start = xml.find(b"<dimension ")
    if start >= 0:
        end = xml.index(b"/>", start) + 2
        return xml[:start] + b'<dimension ref="' + ref + b'"/>' + xml[end:]
    return xml.replace(b"<sheetData", b'<dimension ref="' + ref + b'"/><sheetData', 1)
