"""Opening an export as a table of text: format, compression, encoding, delimiter and header row.

Everything is read as text so that identifiers keep their leading zeros and the cleaning
layer (:mod:`crmkit.io.purchases`) decides what a date or an amount is. CSV-like files are handed to
DuckDB (multi-threaded, streaming); XLSX sheets are read with openpyxl; Parquet natively.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field

from crmkit.errors import InputError

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", "\t", ";", "|")


@dataclass
class Source:
    """A table ready to be scanned by DuckDB.

    ``sql`` is a table expression (``read_csv(...)``, ``read_parquet(...)`` or the name of a
    registered pandas frame) whose columns are all text. ``first_data_row`` is the file row
    (1-based; line for text files, sheet row for XLSX) of the first data record, so that
    record *k* (0-based) is reported as row ``first_data_row + k``.
    """

    display: str
    file_format: str
    sql: str
    headers: list[str]
    first_data_row: int
    encoding: str | None = None
    delimiter: str | None = None
    frame: object | None = None
    temp_files: list[str] = field(default_factory=list)

    def attach(self, con) -> None:
        """Make the table queryable in ``con`` as :attr:`sql` and learn its headers when unknown.

        An XLSX sheet arrives as a frame to register; a Parquet file names its own columns.
        """
        from crmkit.io.engine import columns_of

        if self.frame is not None:
            con.register("raw_frame", self.frame)
            self.sql = "raw_frame"
        if not self.headers:
            self.headers = columns_of(con, self.sql)

    def cleanup(self) -> None:
        for path in self.temp_files:
            try:
                os.unlink(path)
            except OSError:
                pass


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _magic(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(8)


def spool_stdin(workdir: str) -> str:
    """Copy standard input to a temporary file: sniffing needs to look at the data twice."""
    fd, path = tempfile.mkstemp(prefix="crmkit-stdin-", dir=workdir)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
    return path


def detect_encoding(sample: bytes, complete: bool) -> str:
    """Encoding of a byte sample: BOMs first, then UTF-8, then GB18030 (a superset of GBK), then cp1252.

    UTF-8 is tried before GB18030 because valid UTF-8 Chinese text is rarely also valid GB18030
    in a sample of any size, while the reverse is common.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(enc)()
        try:
            decoder.decode(sample, final=complete)
            return enc
        except UnicodeDecodeError:
            continue
    return "cp1252"


def transcode_to_utf8(path: str, encoding: str, workdir: str, *, gz: bool, display: str) -> str:
    """Stream a file in ``encoding`` into a UTF-8 temporary file for DuckDB (line numbers unchanged)."""
    fd, out_path = tempfile.mkstemp(prefix="crmkit-utf8-", suffix=".csv", dir=workdir)
    opener = gzip.open if gz else open
    line = 1
    try:
        with opener(path, "rb") as raw, os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            reader = codecs.getreader(encoding)(raw, "strict")  # errors: raise on undecodable bytes
            while True:
                chunk = reader.read(1 << 22)
                if not chunk:
                    break
                out.write(chunk)
                line += chunk.count("\n")
    except UnicodeDecodeError as exc:
        os.unlink(out_path)
        raise InputError(
            f"cannot decode as {encoding} ({exc.reason})",
            file=display,
            row=line,
            hint="force the encoding with --encoding, e.g. --encoding gb18030",
        ) from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        os.unlink(out_path)
        raise InputError(f"cannot read file: {exc}", file=display) from None
    return out_path


def sniff_layout(text: str, delimiter: str | None = None) -> tuple[str, int, list[str]]:
    """Delimiter, header line index (0-based) and header fields from the first lines of a text file.

    The delimiter is the candidate whose field count is most consistent (and > 1) across the
    sample; the header is the first line with that many fields, at least half of them filled,
    so that report titles and blank lines above the header are skipped.
    """
    lines = text.splitlines()[:200]
    if not lines:
        raise InputError("file is empty")
    best = None
    for cand in [delimiter] if delimiter else DELIMITERS:
        # Each line on its own: a stray quote must not swallow the sample (DuckDB reports it later,
        # with its line number).
        rows = [next(csv.reader([line], delimiter=cand), []) for line in lines]
        counts = [len(r) for r in rows if any(c.strip() for c in r)]
        if not counts:
            continue
        mode = max(sorted(set(counts)), key=counts.count)
        score = (mode > 1, counts.count(mode) / len(counts), mode)
        if best is None or score > best[0]:
            best = (score, cand, rows, mode)
    if best is None:
        raise InputError("file has no data (only blank lines)")
    _, delim, rows, mode = best
    for i, row in enumerate(rows):
        filled = sum(1 for c in row if c.strip())
        if len(row) >= mode and filled >= max(1, mode / 2):
            return delim, i, [c.strip() for c in row]
    return delim, 0, [c.strip() for c in rows[0]]


def _dedupe(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(headers):
        name = h or f"column{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def open_text(
    path: str, display: str, workdir: str, *, gz: bool, encoding: str | None, delimiter: str | None
) -> Source:
    """A delimited text file (optionally gzip-compressed) as a DuckDB ``read_csv`` expression."""
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
            complete = len(fh.read(1)) == 0
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read file: {exc}", file=display) from None
    if not sample.strip():
        raise InputError("file is empty", file=display)
    enc = encoding or detect_encoding(sample, complete)
    try:
        codecs.lookup(enc)
    except LookupError:
        raise InputError(f"unknown encoding '{enc}'", file=display) from None
    try:
        text = codecs.getincrementaldecoder(enc)(errors="strict").decode(sample, final=complete)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"cannot decode as {enc} ({exc.reason})", file=display, hint="force the encoding with --encoding"
        ) from None
    text = text.lstrip("\ufeff")
    if not complete:
        text = text[: text.rfind("\n") + 1] or text
    try:
        delim, header_idx, headers = sniff_layout(text, delimiter)
    except InputError as exc:
        exc.file = display
        raise
    scan_path = path
    temp_files = []
    if enc.replace("_", "-").lower() not in ("utf-8", "utf8", "utf-8-sig", "ascii"):
        scan_path = transcode_to_utf8(path, enc, workdir, gz=gz, display=display)
        temp_files.append(scan_path)
        gz = False
    headers = _dedupe(headers)
    options = [
        f"delim={_sql_str(delim)}",
        "header=false",
        f"skip={header_idx + 1}",
        "all_varchar=true",
        "quote='\"'",
        "escape='\"'",
        "null_padding=true",
        "auto_detect=false",
        "columns={" + ", ".join(f"{_sql_str(h)}: 'VARCHAR'" for h in headers) + "}",
        "compression=" + ("'gzip'" if gz else "'none'"),
        "strict_mode=true",
    ]
    sql = f"read_csv({_sql_str(scan_path)}, {', '.join(options)})"
    return Source(
        display=display,
        file_format="csv.gz" if opener is gzip.open else "csv",
        sql=sql,
        headers=headers,
        first_data_row=header_idx + 2,
        encoding=enc,
        delimiter=delim,
        temp_files=temp_files,
    )


def _cell_text(value) -> str | None:
    """Text of an Excel cell: whole floats lose '.0' (ids), datetimes become ISO strings."""
    import datetime as dt

    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def open_xlsx(path: str, display: str, sheet: str | None) -> Source:
    """First (or named, or numbered) sheet of a workbook; title rows above the header are skipped.

    Read with python-calamine (Rust): about ten times faster than openpyxl on large sheets.
    Row numbers are the sheet's own, so messages point at the row a user sees in Excel.
    """
    import pandas as pd
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(path)
        names = list(wb.sheet_names)
        if not names:
            raise InputError("workbook has no sheets", file=display)
        if sheet is None:
            name = names[0]
        elif sheet in names:
            name = sheet
        elif sheet.isdigit() and 1 <= int(sheet) <= len(names):
            name = names[int(sheet) - 1]
        else:
            raise InputError(f"no sheet named '{sheet}'", file=display, hint="sheets: " + ", ".join(names))
        raw_rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as exc:  # calamine raises its own types for damaged or encrypted files
        raise InputError(f"cannot open workbook: {exc}", file=display) from None
    rows = [[_cell_text(v) for v in row] for row in raw_rows]
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise InputError("sheet is empty", file=display)
    width = max(len(r) for r in rows)
    counts = [sum(1 for c in r if c) for r in rows[:200]]
    mode = max(sorted({c for c in counts if c}), key=counts.count, default=0)
    header_idx = next((i for i, c in enumerate(counts) if c >= max(2, mode) or (mode == 1 and c == 1)), 0)
    headers = _dedupe([(c or "") for c in rows[header_idx]] + [""] * (width - len(rows[header_idx])))
    body = [r + [None] * (width - len(r)) for r in rows[header_idx + 1 :]]
    frame = pd.DataFrame(body, columns=headers, dtype=object)
    return Source(
        display=display, file_format="xlsx", sql="", headers=headers, first_data_row=header_idx + 2, frame=frame
    )


#: Table types a caller may hand the library instead of a file: (module, class) as type(...) reports them.
TABLE_TYPES = {
    ("pandas", "DataFrame"): "pandas DataFrame",
    ("pandas.core.frame", "DataFrame"): "pandas DataFrame",
    ("polars.dataframe.frame", "DataFrame"): "polars DataFrame",
    ("pyarrow.lib", "Table"): "pyarrow Table",
}


def table_kind(value) -> str | None:
    """``"pandas DataFrame"``, ``"polars DataFrame"`` or ``"pyarrow Table"`` for such a table, else None.

    Looked up by type name so that neither polars nor pyarrow has to be imported to ask.
    """
    return TABLE_TYPES.get((type(value).__module__, type(value).__name__))


def open_table(table, kind: str) -> Source:
    """An in-memory table as a :class:`Source`: it is cleaned exactly like an export's text.

    Row numbers in messages count the table's rows from 1.
    """
    headers = [str(name) for name in table.columns] if kind != "pyarrow Table" else list(table.column_names)
    if kind == "pandas DataFrame" and list(table.columns) != headers:
        table = table.rename(columns=str)  # DuckDB needs text column names
    if not headers:
        raise InputError("the table has no columns", file=f"<{kind}>")
    unique = _dedupe(headers)
    if unique != headers:  # pandas and pyarrow allow repeated names; SQL does not
        table = table.set_axis(unique, axis=1) if kind == "pandas DataFrame" else table.rename_columns(unique)
    return Source(display=f"<{kind}>", file_format="table", sql="", headers=unique, first_data_row=1, frame=table)


def open_source(
    source, workdir: str, *, sheet: str | None = None, encoding: str | None = None, delimiter: str | None = None
) -> Source:
    """Open a path (or ``-`` for standard input) as a :class:`Source`, whatever its format.

    The format is decided by the file's first bytes, not its name, because exports are often
    misnamed (an XLSX saved as ``.csv``, a gzip without ``.gz``). A pandas or polars DataFrame or
    a pyarrow Table is taken as it is (:func:`open_table`).
    """
    kind = table_kind(source)
    if kind is not None:
        return open_table(source, kind)
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str):
        raise InputError(
            f"cannot read a {type(source).__name__}: give a file path, '-' for standard input, "
            "or a pandas/polars DataFrame or pyarrow Table"
        )
    display = "<stdin>" if source == "-" else source
    if source == "-":
        path = spool_stdin(workdir)
    else:
        path = source
        if not os.path.exists(path):
            raise InputError("no such file", file=display)
        if os.path.isdir(path):
            raise InputError("is a directory, not a file", file=display)
        if not os.access(path, os.R_OK):
            raise InputError("permission denied", file=display)
    if os.path.getsize(path) == 0:
        raise InputError("file is empty", file=display)
    head = _magic(path)
    if head.startswith(b"PK\x03\x04"):
        src = open_xlsx(path, display, sheet)
    elif head.startswith(b"PAR1"):
        src = Source(
            display=display, file_format="parquet", sql=f"read_parquet({_sql_str(path)})", headers=[], first_data_row=1
        )
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError("old binary .xls workbooks are not supported", file=display, hint="save it as .xlsx or CSV")
    else:
        src = open_text(path, display, workdir, gz=head.startswith(b"\x1f\x8b"), encoding=encoding, delimiter=delimiter)
    if source == "-":
        src.temp_files.append(path)
    return src
