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
import re
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field

from crmkit.errors import InputError
from crmkit.io.decoding import (
    check_quotes_balanced,
    codec_name,
    detect_encoding,
    mixed_line_ends,
    scan_utf8,
    transcode_to_utf8,
    utf16_without_bom,
)
from crmkit.io.options import check_encoding

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", "\t", ";", "|")

#: Largest sheet (rows x columns of its used range) read from an XLSX workbook. The reader holds the
#: whole grid in memory, some 40-100 bytes a cell, empty or not: one cell at XFD1048576 would mean
#: 17 billion cells (512 GiB). 25 million is a full Excel sheet (1,048,576 rows) of 24 columns.
#: ``CRMKIT_MAX_XLSX_CELLS`` overrides.
MAX_XLSX_CELLS = 25_000_000

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


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
    scan_path: str | None = None
    scan_gz: bool = False

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
        if self.file_format == "parquet":
            self._decode_binary(con)

    def _decode_binary(self, con) -> None:
        """Read Parquet BINARY columns as the UTF-8 text they hold (DuckDB would show ``\\xE4\\xB8``).

        A value that is not UTF-8 cannot come out as it was written, so it is an input error
        naming its row and column, never a value with escapes or replacement characters.
        """
        from crmkit.io.engine import quote

        kinds = con.sql(f"DESCRIBE SELECT * FROM {self.sql}").fetchall()
        binary = [row[0] for row in kinds if row[1] == "BLOB"]
        if not binary:
            return
        for name in binary:
            bad = con.sql(
                f"SELECT _row FROM (SELECT {quote(name)} AS _v, row_number() OVER () AS _row FROM {self.sql}) "
                "WHERE _v IS NOT NULL AND try(decode(_v)) IS NULL LIMIT 1"
            ).fetchall()
            if bad:
                raise InputError("binary value that is not UTF-8 text", file=self.display, row=bad[0][0], column=name)
        replaced = ", ".join(f"decode({quote(name)}) AS {quote(name)}" for name in binary)
        self.sql = f"(SELECT * REPLACE ({replaced}) FROM {self.sql})"

    def read_serially(self) -> bool:
        """Switch a CSV scan to DuckDB's single-threaded reader; False when there is nothing to switch.

        DuckDB's parallel scanner cannot combine short rows (``null_padding``) with line breaks inside
        quoted fields, which RFC 4180 allows and real exports have (addresses, comments). The serial
        reader can, but it silently ends an unterminated quoted field at the end of the file, so the
        quotes are counted first: an odd count is an unterminated field, reported with its line.
        """
        if self.file_format not in ("csv", "csv.gz") or "parallel=false" in self.sql or self.scan_path is None:
            return False
        check_quotes_balanced(self.scan_path, self.display, gz=self.scan_gz)
        self.sql = self.sql[:-1] + ", parallel=false)"
        return True

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


def sniff_layout(text: str, delimiter: str | None = None) -> tuple[str, int, list[str]]:
    """Delimiter, header line index (0-based) and header fields from the first lines of a text file.

    The delimiter is the candidate whose field count is most consistent (and > 1) across the
    sample; the header is the first line with that many fields, at least half of them filled,
    so that report titles and blank lines above the header are skipped.
    """
    # Only CR and LF end a line, as for DuckDB: str.splitlines() would also split at form feeds,
    # U+2028 and the like, and miscount the title lines above the header.
    lines = _LINE_BREAK.split(text)[:200]
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise InputError("file is empty")
    best = None
    for cand in [delimiter] if delimiter else DELIMITERS:
        # Each line on its own: a stray quote must not swallow the sample (DuckDB reports it later,
        # with its line number).
        rows = [_fields(line, cand) for line in lines]
        counts = [len(r) for r in rows if any(c.strip() for c in r)]
        if not counts:
            continue
        # the most frequent field count; on a tie, not 1 (a title line is one field), then the smallest
        mode = max(sorted(set(counts)), key=lambda n: (counts.count(n), n > 1))
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


def _fields(line: str, delimiter: str) -> list[str]:
    """One line's fields; a line the csv module refuses (a field over its 131,072-character limit)
    counts as one field, and DuckDB reports it later with its line number."""
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return [line]


def _dedupe(headers: list[str]) -> list[str]:
    """Unique column names: blanks become ``columnN``, repeats get ``_1``, ``_2`` ...

    Compared without case, because SQL identifiers are case-insensitive: ``amount`` and ``Amount``
    are one name to DuckDB, so the second becomes ``Amount_1``.
    """
    taken = {h.lower() for h in headers if h}
    used: set[str] = set()
    out = []
    for i, h in enumerate(headers):
        name = h or f"column{i + 1}"
        if name.lower() in used:
            n = 1
            while f"{name}_{n}".lower() in used or f"{name}_{n}".lower() in taken:
                n += 1
            name = f"{name}_{n}"
        used.add(name.lower())
        out.append(name)
    return out


#: Codecs whose files DuckDB reads as they are; any other is transcoded to UTF-8 first.
DUCKDB_READS = ("utf-8", "utf-8-sig", "ascii")


def _scan_file(
    path: str, display: str, workdir: str, *, gz: bool, encoding: str, forced: bool, complete: bool, newlines: bool
) -> tuple[str, str, bool, list[str]]:
    """The file DuckDB is to scan: ``(path, encoding, gzip?, temporary files)``.

    The sample decided the encoding and line ends, but a file can change past it. A UTF-8 file
    larger than the sample is checked to its end first (:func:`scan_utf8`). When it stops
    decoding and everything before is ASCII, the sample could not tell UTF-8 from GB18030, so the
    file is read as GB18030 (which decodes whatever GBK does), unless the encoding was forced;
    after UTF-8 text it is a mix of encodings, an error naming the line. A file whose line ends
    change is rewritten with ``\\n`` everywhere.
    """
    enc = encoding
    tried = None
    if not complete and codec_name(enc) in DUCKDB_READS:
        bad, mixed = scan_utf8(path, display, gz=gz)
        newlines = newlines or mixed
        if bad is not None:
            if forced or not bad.ascii_before:
                raise InputError(
                    f"cannot decode as {enc} at byte {bad.offset:,} ({bad.reason})",
                    file=display,
                    row=bad.row,
                    hint="a file in two encodings? save it again as UTF-8, or force one with --encoding",
                )
            enc, tried = "gb18030", "utf-8"
    if not newlines and codec_name(enc) in DUCKDB_READS:
        return path, enc, gz, []
    scan_path, mixed = transcode_to_utf8(path, enc, workdir, gz=gz, display=display, newlines=newlines, tried=tried)
    if mixed and not newlines:  # the mix starts past the sample
        os.unlink(scan_path)
        scan_path, _ = transcode_to_utf8(path, enc, workdir, gz=gz, display=display, newlines=True, tried=tried)
    return scan_path, enc, False, [scan_path]


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
    if encoding:
        enc = check_encoding(encoding, display)
        if codec_name(enc) == "utf-16" and not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            # Python would take a BOM-less file as little-endian: the NULs tell the order
            enc = utf16_without_bom(sample) or enc
    else:
        enc = detect_encoding(sample, complete)
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
    scan_path, enc, gz, temp_files = _scan_file(
        path,
        display,
        workdir,
        gz=gz,
        encoding=enc,
        forced=bool(encoding),
        complete=complete,
        newlines=mixed_line_ends(text),
    )
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
        scan_path=scan_path,
        scan_gz=gz,
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


_ROW_REF = re.compile(rb'<row r="(\d{1,12})"')
_WIDE_REF = re.compile(rb' r="([A-Z]{2,3})\d')  # cells past column Z
_DEEP_REF = re.compile(rb' r="[A-Z]{1,3}(\d{7,12})"')  # cells past row 999,999, whatever their row element says
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")


def _attribute(tag: bytes, name: bytes) -> str | None:
    import html

    m = re.search(rb"(?:^|\s)" + name + rb'="([^"]*)"', tag)
    return html.unescape(m.group(1).decode("utf-8", "replace")) if m else None


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def sheet_parts(archive: zipfile.ZipFile) -> list[str]:
    """The worksheet parts of a workbook in sheet order (as its workbook.xml lists them), by regex:
    these small parts are not given to an XML parser that would expand a hostile DTD's entities."""
    names = set(archive.namelist())
    try:
        sheets = _SHEET_TAG.findall(archive.read("xl/workbook.xml"))
        rels = {
            _attribute(tag, b"Id"): _attribute(tag, b"Target")
            for tag in _REL_TAG.findall(archive.read("xl/_rels/workbook.xml.rels"))
        }
        parts = []
        for tag in sheets:
            target = rels.get(_attribute(tag, rb"r:id") or _attribute(tag, rb"\w+:id"))
            if target:
                parts.append(target.lstrip("/") if target.startswith("/") else "xl/" + target)
        if parts and all(part in names for part in parts):
            return parts
    except (KeyError, OSError, zipfile.BadZipFile, RuntimeError):
        pass
    return sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))


def used_range(stream) -> tuple[int, int]:
    """Rows and columns of a worksheet part's used range, from its row and cell references.

    Read in blocks with literal-prefix patterns (the sheet of a 100,000-row export scans in well
    under a second): the last row number, and the widest column. Cells past column Z and past
    row 999,999 are found one by one; within A..Z the widest letter present is enough.
    """
    rows = columns = 0
    tail = b""
    while True:
        block = stream.read(1 << 22)
        buffer = tail + block
        if not buffer:
            break
        cut = buffer.rfind(b"<") if block else len(buffer)
        if cut <= 0:
            cut = len(buffer)
        part, tail = buffer[:cut], buffer[cut:]
        for found in (_ROW_REF.findall(part), _DEEP_REF.findall(part)):
            if found:
                rows = max(rows, max(map(int, found)))
        wide = set(_WIDE_REF.findall(part))
        if wide:
            columns = max(columns, max(map(_column_number, wide)))
        for number in range(26, columns, -1):
            if b' r="' + bytes([64 + number]) in part:
                columns = number
                break
        if not block:
            break
    return rows, columns


def check_sheet_size(path: str, display: str, sheet_index: int | None) -> None:
    """Refuse a worksheet whose used range is too large to hold, before the reader allocates it.

    The reader builds the whole rectangle from A1 to the last used cell, so a single value at
    XFD1048576 asks for 17 billion cells (512 GiB) and the process dies. The declared
    ``<dimension>`` is not trusted: the cells' own references decide.
    """
    limit = int(os.environ.get("CRMKIT_MAX_XLSX_CELLS") or MAX_XLSX_CELLS)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = sheet_parts(archive)
            chosen = parts if sheet_index is None or sheet_index >= len(parts) else [parts[sheet_index]]
            for part in chosen:
                with archive.open(part) as stream:
                    rows, columns = used_range(stream)
                if rows * columns > limit:
                    raise InputError(
                        f"the sheet's used range is {rows:,} rows x {columns:,} columns "
                        f"({rows * columns:,} cells), more than the {limit:,} crmkit reads",
                        file=display,
                        hint="delete the stray cells far below or right of the table (Ctrl+End shows the last one), "
                        "save the sheet as CSV, or raise the limit with CRMKIT_MAX_XLSX_CELLS",
                    )
    except InputError:
        raise
    except (OSError, zipfile.BadZipFile, RuntimeError, EOFError, ValueError) as exc:
        raise InputError(f"cannot open workbook: {exc}", file=display) from None


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
        check_sheet_size(path, display, names.index(name) if len(set(names)) == len(names) else None)
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


def parquet_dataset(path: str) -> str | None:
    """The DuckDB scan of a Parquet dataset: a folder of ``*.parquet`` files (any depth, Hive
    partition folders ``key=value`` read as columns) or a glob such as ``lake/orders/*.parquet``;
    None when ``path`` is neither.
    """
    import glob

    if os.path.isdir(path):
        pattern = os.path.join(path, "**", "*.parquet")
    elif glob.has_magic(path) and not os.path.exists(path):
        pattern = path
    else:
        return None
    if not glob.glob(pattern, recursive=True):
        if os.path.isdir(path):
            return None
        raise InputError("no file matches", file=path)
    # union_by_name: files written at different times may add or reorder columns
    return f"read_parquet({_sql_str(pattern)}, hive_partitioning=true, union_by_name=true)"


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
    from crmkit.io.databases import Database, is_database_url, read_database

    if is_database_url(source):
        source = Database(source)  # without a table or query: says which to give
    if isinstance(source, Database):
        src = open_table(read_database(source), "pyarrow Table")
        src.display, src.file_format = source.display, source.scheme
        return src
    from crmkit.io.spark import SparkSource, frame, to_arrow

    if isinstance(source, SparkSource):  # its rows come back as Arrow and are cleaned here
        src = open_table(to_arrow(frame(source)), "pyarrow Table")
        src.display, src.file_format = source.display, "spark"
        return src
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
        dataset = parquet_dataset(path)
        if dataset is not None:
            return Source(display=display, file_format="parquet", sql=dataset, headers=[], first_data_row=1)
        if not os.path.exists(path):
            raise InputError("no such file", file=display)
        if os.path.isdir(path):
            raise InputError("is a directory, not a file (nor a folder of Parquet files)", file=display)
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


_LINE_RE = re.compile(r"Line:\s*(\d+)")


def needs_serial_scan(exc: Exception) -> bool:
    """True for DuckDB's refusal to read line breaks in quoted fields with its parallel scanner."""
    return "parallel=false" in str(exc)


def scan_error(exc: Exception, src: Source) -> InputError:
    """A DuckDB scan or query error as one line naming the file and row; DuckDB's text never leaks."""
    import duckdb

    from crmkit.io.engine import memory_limit

    text = str(exc)
    m = _LINE_RE.search(text)
    row = int(m.group(1)) if m else None
    if isinstance(exc, duckdb.OutOfMemoryException) or "out of memory" in text.lower():
        return InputError(
            f"not enough memory to read the file within crmkit's budget ({memory_limit()})",
            file=src.display,
            hint="raise it with CRMKIT_MEMORY_LIMIT (e.g. 8GB), free memory, or split the file",
        )
    detail = re.sub(r"^[A-Za-z ]*Error:\s*", "", text.splitlines()[0])
    cols = re.search(r"Expected Number of Columns:\s*(\d+)\s*Found:\s*(\d+)", text)
    size = re.search(r"Maximum line size of (\d+) bytes exceeded", text)
    if size:
        detail = f"a row is longer than {int(size.group(1)):,} bytes (a stray quote joining many lines?)"
    elif "invalid state" in text:
        detail = "a row breaks the CSV rules (a quote inside an unquoted field, or mixed line ends?)"
    elif cols:
        detail = f"expected {cols.group(1)} fields, found {cols.group(2)} (a stray delimiter or quote?)"
    elif "unicode" in text.lower():
        detail = "invalid characters for the detected encoding"
        return InputError(detail, file=src.display, row=row, hint="force one with --encoding gb18030")
    elif "quote" in text.lower():
        detail = "unterminated quoted field"
    return InputError(f"malformed table: {detail}", file=src.display, row=row)
