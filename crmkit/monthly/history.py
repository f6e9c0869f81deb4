"""The monthly job's history: each run's headline numbers in SQLite, one row per month."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

from crmkit.errors import OutputError
from crmkit.report import files
from crmkit.report.files import Target

HISTORY_COLUMNS = (
    "month_revenue",
    "active_customers",
    "new_customers",
    "customers",
    "revenue",
    "top20_share",
    "gini",
    "repeat_customer_rate",
    "total_clv",
    "mean_p_alive",
    "retention_1",
    "regular_or_above",
    "net_upgrades",
    "satisfaction_index",
    "nps",
)
"""The stored headline numbers, in the Overview's order. ``customers`` and ``revenue`` are the
segment's, to date (every purchase up to the as-of date); ``month_revenue``, ``active_customers``
and ``new_customers`` are the as-of month's (added later: older histories lack them, see
:func:`_add_missing_columns`)."""


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Create the table, or add the columns a history written by an older version lacks.

    Their values in the months before stay NULL: shown empty, not as zero.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS headline (month TEXT PRIMARY KEY, as_of TEXT, recorded_at TEXT, "
        + ", ".join(f"{c} REAL" for c in HISTORY_COLUMNS)
        + ")"
    )
    present = {row[1] for row in db.execute("PRAGMA table_info(headline)")}
    for column in HISTORY_COLUMNS:
        if column not in present:
            db.execute(f"ALTER TABLE headline ADD COLUMN {column} REAL")


def record_history(path: str | Target, as_of: date, headline: dict) -> None:
    """Store a run's headline numbers; running the same month again replaces that month's row.

    ``path`` is the database, or its :class:`~crmkit.report.files.Target` (``database=True``)
    in an :class:`~crmkit.report.files.OutputPlan`: then the row is written in the plan's
    commit, in one transaction that commits only after the workbook is in place.
    """
    row: list[object] = [as_of.strftime("%Y-%m"), as_of.isoformat(), datetime.now().isoformat(timespec="seconds")]
    row += [headline.get(c) for c in HISTORY_COLUMNS]

    def insert(db: sqlite3.Connection) -> None:
        _add_missing_columns(db)
        # by name: an older history's columns are in another order
        names = ", ".join(("month", "as_of", "recorded_at", *HISTORY_COLUMNS))
        db.execute(f"INSERT OR REPLACE INTO headline ({names}) VALUES ({', '.join('?' * len(row))})", row)

    if isinstance(path, Target):
        path.stage(insert)
        return
    try:
        with sqlite3.connect(path, timeout=files.LOCK_TIMEOUT) as db:
            insert(db)
    except sqlite3.Error as exc:
        raise OutputError(f"cannot write the history database: {exc}", file=path) from None


def read_history(path: str, months: int = 12):
    """The last ``months`` rows of the history (oldest first), as a DataFrame (empty when none).

    Every column of :data:`HISTORY_COLUMNS` is there: one an older history lacks is empty (NaN).
    """
    import pandas as pd

    if not Path(path).is_file():
        return pd.DataFrame(columns=["month", *HISTORY_COLUMNS])
    try:
        with sqlite3.connect(path, timeout=files.LOCK_TIMEOUT) as db:
            # read only: the file is changed when the month is recorded, in the output plan's transaction
            present = {row[1] for row in db.execute("PRAGMA table_info(headline)")}
            stored = [c for c in HISTORY_COLUMNS if c in present]
            frame = pd.read_sql_query(
                f"SELECT {', '.join(['month', *stored])} FROM headline ORDER BY month DESC LIMIT {int(months)}", db
            )
    except (sqlite3.Error, pd.errors.DatabaseError) as exc:
        raise OutputError(f"cannot read the history database: {exc}", file=path) from None
    frame = frame.reindex(columns=["month", *HISTORY_COLUMNS]).astype(dict.fromkeys(HISTORY_COLUMNS, float))
    return frame.iloc[::-1].reset_index(drop=True)
