"""Writing results: per-customer rows as csv / json / parquet / xlsx, atomically, never over an input."""

from __future__ import annotations

import math
from pathlib import Path

from crmkit.errors import UsageError
from crmkit.report.files import Target, output_target

FORMATS = ("table", "csv", "json", "parquet", "xlsx")
BINARY_FORMATS = ("parquet", "xlsx")
_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".json": "json", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx"}


def format_for(path: str | None, fmt: str | None, stdout_is_tty: bool) -> str:
    """Output format: explicit, else from the output file's extension, else table on a terminal, csv in a pipe."""
    if fmt:
        if fmt not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        return fmt
    if path and path != "-":
        return _EXTENSIONS.get(Path(path).suffix.lower(), "csv")
    return "table" if stdout_is_tty else "csv"


def _copy(rows, path: str, fmt: str) -> None:
    """Write rows (a DuckDB-backed Frame or a DataFrame) with DuckDB's parallel COPY writer.

    Text that a spreadsheet would run as a formula is neutralised in csv (a CSV is opened in
    Excel as often as not); json and parquet keep the exact values. Timestamps are written as
    dates: every date crmkit writes is a calendar day.
    """
    from crmkit.io.engine import attach, quote, sql_literal
    from crmkit.report.safety import neutralise_sql

    con, source = attach(rows, "_out")
    select = []
    for name, dtype, *_ in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall():
        col = quote(name)
        if dtype.startswith("TIMESTAMP"):
            select.append(f"CAST({col} AS DATE) AS {col}")
        elif fmt == "csv" and dtype == "VARCHAR":
            select.append(f"{neutralise_sql(col)} AS {col}")
        else:
            select.append(col)
    options = {"csv": "FORMAT csv, HEADER", "json": "FORMAT json, ARRAY true", "parquet": "FORMAT parquet"}[fmt]
    # the path is already a temporary file of an OutputPlan: no second one of DuckDB's own
    options += ", USE_TMP_FILE false"
    con.execute(f"COPY (SELECT {', '.join(select)} FROM {source}) TO {sql_literal(path)} ({options})")


def write_frame(rows, fmt: str, output, *, protect=(), sheet: str = "customers", lang: str = "en") -> None:
    """Write per-row data in ``fmt`` to ``output``: a path, standard output (``None`` or ``-``), or a
    :class:`~crmkit.report.files.Target` of an :class:`~crmkit.report.files.OutputPlan`.

    ``rows`` is a pandas DataFrame or a DuckDB-backed :class:`crmkit.io.engine.Frame` (streamed to
    csv/json/parquet without building a DataFrame). A path is written atomically and never over
    one of ``protect``; a target is put in place when its plan commits.
    """
    with output_target(output, protect) as target:
        if fmt in BINARY_FORMATS and target.to_terminal:
            raise UsageError(f"{fmt} is binary: write it to a file with -o FILE.{fmt}, or pipe it")
        if fmt == "xlsx":
            from crmkit.report.excel import ReportWorkbook

            book = ReportWorkbook(lang=lang)
            book.add_long_table(sheet, rows.df() if hasattr(rows, "df") else rows)
            book.save(target)
        elif fmt in ("csv", "json", "parquet"):
            with target.writing() as sink_path:
                _copy(rows, sink_path, fmt)
        else:  # pragma: no cover - guarded by format_for
            raise UsageError(f"cannot write {fmt}")


def write_json_file(path: str | Target | None, payload: dict, *, protect=()) -> None:
    """A JSON document (parameters, results), written atomically, or to stdout for ``None``/``-``.

    ``path`` may also be a :class:`~crmkit.report.files.Target` of an output plan."""
    import json

    def default(value):
        if value != value:  # NaN
            return None
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if hasattr(value, "item"):
            return value.item()
        raise TypeError(f"cannot write {type(value).__name__} as JSON")

    with output_target(path, protect) as target, target.writing() as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            # strict JSON: an infinite expected lifetime (sBG, alpha <= 1) or a NaN is null, never Infinity
            json.dump(_finite(payload), fh, ensure_ascii=False, indent=2, default=default, allow_nan=False)
            fh.write("\n")


def _finite(value):
    """``value`` with every non-finite float (NaN, ±inf) in its dicts and lists made ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    if hasattr(value, "item") and hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0:  # numpy scalar
        return _finite(value.item())
    return value
