"""Writing results: per-customer rows as csv / json / parquet / xlsx, atomically, never over an input."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from crmkit.errors import UsageError
from crmkit.files import atomic_path

FORMATS = ("table", "csv", "json", "parquet", "xlsx")
BINARY_FORMATS = ("parquet", "xlsx")
_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet",
               ".xlsx": "xlsx"}


def format_for(path: str | None, fmt: str | None, stdout_is_tty: bool) -> str:
    """Output format: explicit, else from the output file's extension, else table on a terminal, csv in a pipe."""
    if fmt:
        if fmt not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        return fmt
    if path and path != "-":
        return _EXTENSIONS.get(Path(path).suffix.lower(), "csv")
    return "table" if stdout_is_tty else "csv"


def _dates_only(frame: pd.DataFrame) -> list[str]:
    """Datetime columns whose values are all midnight: written as plain dates."""
    return [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]


def write_csv(frame: pd.DataFrame, path: str) -> None:
    """CSV through DuckDB's parallel writer (several times faster than pandas on large frames).

    Formula-like text is neutralised (a CSV is opened in Excel as often as not); dates are ISO dates.
    """
    import duckdb

    from crmkit.excel import neutralise_frame

    safe = neutralise_frame(frame)
    casts = ", ".join(f'CAST("{c}" AS DATE) AS "{c}"' for c in _dates_only(safe))
    select = f"SELECT * REPLACE ({casts}) FROM out" if casts else "SELECT * FROM out"
    con = duckdb.connect()
    try:
        con.register("out", safe)
        con.execute(f"COPY ({select}) TO '{path.replace(chr(39), chr(39) * 2)}' (FORMAT csv, HEADER)")
    finally:
        con.close()


def write_json(frame: pd.DataFrame, sink) -> None:
    from crmkit.excel import neutralise_frame

    out = neutralise_frame(frame)
    for col in _dates_only(out):
        out[col] = out[col].dt.strftime("%Y-%m-%d")
    sink.write(out.to_json(orient="records", force_ascii=False, double_precision=10).encode("utf-8") + b"\n")


def write_frame(frame: pd.DataFrame, fmt: str, output: str | None, *, protect=(), sheet: str = "customers",
                lang: str = "en") -> None:
    """Write per-row data in ``fmt`` to ``output`` (a path) or standard output (``None`` or ``-``)."""
    to_stdout = output in (None, "-")
    if to_stdout and fmt in BINARY_FORMATS and sys.stdout.isatty():
        raise UsageError(f"{fmt} is binary: write it to a file with -o FILE.{fmt}, or pipe it")

    def emit(sink_path):
        if fmt == "csv":
            write_csv(frame, sink_path)
        elif fmt == "json":
            with open(sink_path, "wb") as fh:
                write_json(frame, fh)
        elif fmt == "parquet":
            frame.to_parquet(sink_path, index=False)
        elif fmt == "xlsx":
            from crmkit.excel import ReportWorkbook

            book = ReportWorkbook(lang=lang)
            book.add_table(sheet, frame)
            book.save(sink_path)
        else:  # pragma: no cover - guarded by format_for
            raise UsageError(f"cannot write {fmt}")

    if to_stdout:
        with tempfile.TemporaryDirectory(prefix="crmkit-out-") as tmpdir:
            path = os.path.join(tmpdir, f"out.{fmt}")
            emit(path)
            with open(path, "rb") as fh:
                out = sys.stdout.buffer
                while chunk := fh.read(1 << 20):
                    out.write(chunk)
                out.flush()
        return
    with atomic_path(output, protect) as tmp:
        emit(tmp)
