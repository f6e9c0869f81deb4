"""What the data layer did to an export, so every run can say it (stderr, the report's Data quality sheet)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date


class Message(str):
    """A note or warning a library run writes: English text that also carries a stable ``key`` and the
    ``params`` it was made from.

    It is a ``str`` (the English sentence, as the API and stderr show it), so callers that treat notes
    and warnings as text keep working; a report translates it by ``key`` and ``params``
    (:func:`crmkit.report.i18n.message`) instead of matching the English prose.

    Examples
    --------
    >>> note = Message("amount computed as qty x price", "amount_from_price", quantity="qty", unit_price="price")
    >>> note == "amount computed as qty x price", note.key, note.params["quantity"]
    (True, 'amount_from_price', 'qty')
    """

    key: str
    params: Mapping[str, object]

    def __new__(cls, text: str, key: str, /, **params: object) -> Message:
        self = super().__new__(cls, text)
        self.key = key
        self.params = params
        return self

    def __reduce__(self):
        # pickle and copy would otherwise call __new__ with the text alone
        return _message, (str(self), self.key, dict(self.params))


def _message(text: str, key: str, params: dict) -> Message:
    return Message(text, key, **params)


def file_read_line(rows_read: int, source: str, used: int, what: str, dropped: dict[str, int]) -> list[str]:
    """The parts of a side file's stderr line (members, campaign, complaints): read, used, dropped and why.

    >>> "; ".join(file_read_line(3, "x.csv", 2, "customers", {"duplicate_customer_id": 1}))
    'read 3 rows from x.csv; 2 customers; dropped 1 (duplicate customer id 1)'
    """
    parts = [f"read {rows_read:,} row{'' if rows_read == 1 else 's'} from {source}", f"{used:,} {what}"]
    if sum(dropped.values()):
        reasons = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in dropped.items() if v)
        parts.append(f"dropped {sum(dropped.values()):,} ({reasons})")
    return parts


@dataclass
class DataQuality:
    """Account of one read of a purchase export.

    ``rows_read`` = ``rows_used`` + sum of ``dropped`` always holds: no row disappears
    without a reason. Returns are *used* rows (they reduce revenue) and are counted
    separately in ``return_rows``.
    """

    source: str
    file_format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int = 1
    columns: dict[str, str] = field(default_factory=dict)
    """Role (customer_id, date, amount, order_id, ...) -> header found in the file."""
    rows_read: int = 0
    rows_used: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    """Reason key (missing_customer_id, missing_date, missing_amount, total_row, invalid_value) -> rows."""
    return_rows: int = 0
    return_amount: float = 0.0
    """Revenue removed by returns and cancellations, as a positive number."""
    first_date: date | None = None
    last_date: date | None = None
    last_purchase: date | None = None
    """The last date of a purchase (not a return): the default as-of date. Not in :meth:`as_rows`."""
    as_of: date | None = None
    after_as_of: int = 0
    """Used rows dated after ``as_of``: kept in the data, left out of the analysis."""
    returns_only: int = 0
    """Customers whose rows up to ``as_of`` are all returns: no purchase to score, so they are in
    no per-customer table; their (negative) revenue is ``returns_only_amount``."""
    returns_only_amount: float = 0.0
    """Net revenue of the ``returns_only`` customers (zero or negative)."""
    customers: int | None = None
    platform: str | None = None
    """The platform whose order export this was (:mod:`crmkit.io.platforms`), None for a plain export."""
    orders: dict[str, int] = field(default_factory=dict)
    """A platform export's orders by what they were: purchase, partly_refunded, refunded, unpaid, closed, cancelled."""
    refund_amount: float = 0.0
    """Refunds a platform export's purchases were reduced by (fully refunded orders not included)."""
    aggregated_in: str | None = None
    """The engine that aggregated the rows where they are (``postgresql``, ``spark``), when one did
    (:mod:`crmkit.pushdown`): then only per-customer rows came to this machine. Not in :meth:`as_rows`."""
    notes: list[str] = field(default_factory=list)
    """Decisions a user may want to know about (date order assumed, amount computed as qty x price):
    :class:`Message` values, which a report translates by key."""
    warnings: list[str] = field(default_factory=list)
    """What may make the numbers wrong and needs the user's eye (statuses no table knows, masked
    customer ids, several currencies): :class:`Message` values, said as warnings."""

    def note(self, key: str, text: str, /, **params: object) -> None:
        """Add a note: ``text`` in English, ``key`` and ``params`` for a report to say it in its language."""
        self.notes.append(Message(text, key, **params))

    def warn(self, key: str, text: str, /, **params: object) -> None:
        """Add a warning, as :meth:`note` adds a note."""
        self.warnings.append(Message(text, key, **params))

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())

    def as_rows(self) -> list[tuple[str, object]]:
        """Key/value pairs in a stable order (keys are i18n keys; values are plain Python)."""
        rows: list[tuple[str, object]] = [
            ("source", self.source),
            ("file_format", self.file_format),
            ("encoding", self.encoding or ""),
            ("delimiter", self.delimiter or ""),
            ("header_row", self.header_row),
        ]
        rows += [("platform", self.platform)] if self.platform else []
        rows += [(f"column:{role}", header) for role, header in self.columns.items()]
        rows += [("rows_read", self.rows_read), ("rows_used", self.rows_used)]
        rows += [(f"dropped:{reason}", n) for reason, n in self.dropped.items()]
        if self.platform:
            rows += [(f"orders:{kind}", n) for kind, n in self.orders.items()]
            rows += [("refund_amount", self.refund_amount)]
        rows += [
            ("return_rows", self.return_rows),
            ("return_amount", self.return_amount),
            ("first_date", self.first_date),
            ("last_date", self.last_date),
            ("as_of", self.as_of),
            ("after_as_of", self.after_as_of),
            ("returns_only", self.returns_only),
            ("returns_only_amount", self.returns_only_amount),
            ("customers", self.customers),
        ]
        rows += [("warning", w) for w in self.warnings] + [("note", n) for n in self.notes]
        return rows

    @classmethod
    def of_source(cls, src, columns) -> DataQuality:
        """The report of a :class:`crmkit.io.readers.Source` whose columns are found, before its rows are counted."""
        return cls(
            source=src.display,
            file_format=src.file_format,
            encoding=src.encoding,
            delimiter=src.delimiter,
            header_row=src.first_data_row - 1,
            columns=dict(columns),
        )

    def one_line(self) -> str:
        """A single stderr line: what was read, used, dropped and why."""
        parts = [f"read {self.rows_read:,} row{'' if self.rows_read == 1 else 's'} from {self.source}"]
        if self.aggregated_in:
            parts[0] += f" (aggregated in {self.aggregated_in})"
        details = [d for d in (self.encoding, repr(self.delimiter) if self.delimiter else None) if d]
        if details:
            parts[0] += f" ({', '.join(details)})"
        parts.append(f"used {self.rows_used:,}")
        if self.rows_dropped:
            reasons = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in self.dropped.items() if v)
            parts.append(f"dropped {self.rows_dropped:,} ({reasons})")
        if self.return_rows:
            parts.append(f"returns {self.return_rows:,} rows / {self.return_amount:,.2f}")
        if self.first_date and self.last_date:
            parts.append(f"dates {self.first_date}..{self.last_date}")
        if self.as_of:
            parts.append(f"as-of {self.as_of}")
        if self.after_as_of:
            parts.append(f"{self.after_as_of:,} rows after as-of left out")
        if self.returns_only:
            parts.append(
                f"{self.returns_only:,} customer{'' if self.returns_only == 1 else 's'} with only returns "
                f"({self.returns_only_amount:,.2f}) left out"
            )
        return "; ".join(parts)
