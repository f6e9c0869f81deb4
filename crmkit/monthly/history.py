"""The monthly job's history: each run's headline numbers in SQLite, one row per month."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

from crmkit.errors import OutputError
from crmkit.report import files
from crmkit.report.files import Target

HISTORY_COLUMNS = (
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


def record_history(path: str | Target, as_of: date, headline: dict) -> None:
    """Store a run's headline numbers; running the same month again replaces that month's row.

    ``path`` is the database, or its :class:`~crmkit.report.files.Target` (``database=True``)
    in an :class:`~crmkit.report.files.OutputPlan`: then the row is written in the plan's
    commit, in one transaction that commits only after the workbook is in place.
    """
    row: list[object] = [as_of.strftime("%Y-%m"), as_of.isoformat(), datetime.now().isoformat(timespec="seconds")]
    row += [headline.get(c) for c in HISTORY_COLUMNS]

    def insert(db: sqlite3.Connection) -> None:
        db.execute(
            "CREATE TABLE IF NOT EXISTS headline (month TEXT PRIMARY KEY, as_of TEXT, recorded_at TEXT, "
            + ", ".join(f"{c} REAL" for c in HISTORY_COLUMNS)
            + ")"
        )
        db.execute(f"INSERT OR REPLACE INTO headline VALUES ({', '.join('?' * len(row))})", row)

    if isinstance(path, Target):
        path.stage(insert)
        return
    try:
        with sqlite3.connect(path, timeout=files.LOCK_TIMEOUT) as db:
            insert(db)
    except sqlite3.Error as exc:
        raise OutputError(f"cannot write the history database: {exc}", file=path) from None


def read_history(path: str, months: int = 12):
    """The last ``months`` rows of the history (oldest first), as a DataFrame (empty when none)."""
    import pandas as pd

    if not Path(path).is_file():
        return pd.DataFrame(columns=["month", *HISTORY_COLUMNS])
    try:
        with sqlite3.connect(path, timeout=files.LOCK_TIMEOUT) as db:
            frame = pd.read_sql_query(
                f"SELECT month, {', '.join(HISTORY_COLUMNS)} FROM headline ORDER BY month DESC LIMIT {int(months)}", db
            )
    except (sqlite3.Error, pd.errors.DatabaseError) as exc:
        raise OutputError(f"cannot read the history database: {exc}", file=path) from None
    return frame.iloc[::-1].reset_index(drop=True)
