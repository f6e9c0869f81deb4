"""Reading a complaints / feedback / service-ticket export: one row per complaint.

The file is read like a members file (:func:`crmkit.io.inputs.read_text_rows`: CSV, TSV, XLSX,
Parquet or ``-``; GBK/GB18030, UTF-8 with or without BOM; every column as text; closing 合计 /
Total rows cut and counted). Columns are found by Chinese or English headers
(:data:`COLUMN_ALIASES`, compared after :func:`crmkit.io.columns.normalise_header`):
``customer_id`` and ``date`` (when the complaint was opened) are required; ``ticket_id``,
``category``, ``channel``, ``status``, ``resolved_at``, ``text``, ``order_id`` and ``product`` are
used when present.

Values:

* ``opened_at`` / ``resolved_at``: the day by :func:`crmkit.io.textdates.parse_dates` (the
  purchase dates' formats), with the time of day kept when the cell gives one (``14:30``,
  ``14:30:05``), so a resolution time has fractions of a day. A resolution before its complaint
  was opened is counted and set missing.
* ``state``: ``resolved`` or ``open`` from the status vocabulary (:data:`STATUS_CLASSES`: 已解决,
  已关闭, closed … / 处理中, 未解决, pending …). A status no table knows is counted by value and, like
  a blank status, read from whether a resolution time is given; with no status column at all a
  complaint is resolved iff it has a resolution time.

Nothing is lost without a count: rows without a customer id, without an opening date or with an
unreadable one are dropped, counted, and the first such file row named.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from crmkit.errors import ColumnError
from crmkit.io.columns import ALIASES, find_roles, source_name
from crmkit.io.inputs import read_text_rows
from crmkit.io.quality import Message, file_read_line
from crmkit.io.textdates import parse_dates

#: Role -> header aliases (normalised), most specific first; roles are matched in this order,
#: each header to one role (so 处理时间 is the resolution, 创建时间 the opening).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": (
        *ALIASES["customer_id"], "用户id", "会员id", "买家会员名", "买家昵称", "用户名", "会员名", "客户名称",
        "手机号", "手机号码", "mobile", "phone",
    ),
    "ticket_id": (
        "工单号", "工单编号", "投诉编号", "投诉单号", "投诉id", "反馈编号", "反馈id", "服务单号", "ticketid",
        "ticketno", "ticketnumber", "ticket", "caseid", "caseno", "case", "complaintid", "complaintno", "feedbackid",
    ),
    "date": (
        "投诉时间", "投诉日期", "反馈时间", "反馈日期", "创建时间", "创建日期", "提交时间", "提交日期", "受理时间",
        "登记时间", "发起时间", "createdat", "created", "opened", "openedat", "opendate", "submittedat", "datetime",
        "date", "日期", "时间",
    ),
    "resolved_at": (
        "处理时间", "处理日期", "解决时间", "解决日期", "完成时间", "完成日期", "关闭时间", "关闭日期", "结案时间",
        "resolvedat", "resolved", "resolveddate", "resolutiondate", "closedat", "closed", "closeddate", "solvedat",
    ),
    "status": ("处理状态", "投诉状态", "工单状态", "状态", "处理结果", "status", "state", "resolutionstatus"),
    "category": (
        "投诉类型", "问题类型", "反馈类型", "问题分类", "投诉分类", "投诉原因", "类型", "分类", "category", "type",
        "reason", "issuetype", "complainttype", "topic",
    ),
    "channel": ("投诉渠道", "反馈渠道", "受理渠道", "渠道", "来源", "channel", "source", "medium"),
    "text": (
        "投诉内容", "反馈内容", "内容", "问题描述", "描述", "详情", "备注", "text", "description", "comment",
        "comments", "message", "body", "content", "feedback", "complaint",
    ),
    "order_id": ALIASES["order_id"],
    "product": ALIASES["product"],
}  # fmt: skip
REQUIRED = ("customer_id", "date")
#: The frame's columns, in this order (those of roles the file lacks are all missing).
FRAME_COLUMNS = (
    "row", "ticket_id", "customer_id", "opened_at", "category", "channel", "status", "state", "resolved_at",
    "text", "order_id", "product",
)  # fmt: skip

_RESOLVED_WORDS = (
    "已解决|已处理|处理完成|已完成|已关闭|关闭|完成|已结案|结案|解决|已回复|已办结|办结|已修复|"
    "resolved|closed|solved|done|completed|complete|fixed|finished"
)
_OPEN_WORDS = (
    "处理中|待处理|未处理|未解决|新建|待回复|跟进中|已升级|升级|挂起|待跟进|重新打开|已受理|受理中|"
    "open|opened|pending|new|in progress|escalated|on hold|waiting|reopened|unresolved|assigned|active"
)
#: Status spellings (NFKC, lower case, inner spaces, ``_`` and ``-`` as one space) -> class.
STATUS_CLASSES: dict[str, str] = {
    **dict.fromkeys(_RESOLVED_WORDS.split("|"), "resolved"),
    **dict.fromkeys(_OPEN_WORDS.split("|"), "open"),
}
STATES = ("resolved", "open")
_DROPS = ("missing_customer_id", "missing_date", "unreadable_date", "total_row")
_TIME = re.compile(r"[\sT]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?(?:\.\d+)?\s*(?:[zZ]|[+-]\d{2}:?\d{2})?$")
_FLOAT_ID = re.compile(r"^([0-9]+)\.0+$")


@dataclass
class ComplaintsQuality:
    """Account of one read of a complaints export; ``rows_read`` = ``rows_used`` + sum of ``dropped``.

    Attributes
    ----------
    source : str
    rows_read, rows_used : int
    dropped : dict
        ``missing_customer_id``, ``missing_date``, ``unreadable_date``, ``total_row`` -> rows.
    first_row : dict
        Reason -> the first file row dropped for it.
    unknown_status : dict
        Status as exported -> complaints (read from whether a resolution time is given).
    resolved_before_opened : int
        Resolution times before the opening, set missing.
    unreadable_resolved : int
        Resolution times that cannot be read, missing.
    """

    source: str
    rows_read: int = 0
    rows_used: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_DROPS, 0))
    first_row: dict[str, int] = field(default_factory=dict)
    unknown_status: dict[str, int] = field(default_factory=dict)
    resolved_before_opened: int = 0
    unreadable_resolved: int = 0

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())

    def one_line(self) -> str:
        """A single stderr line: rows read, complaints used, rows dropped and why."""
        return "; ".join(file_read_line(self.rows_read, self.source, self.rows_used, "complaints", self.dropped))


@dataclass
class Complaints:
    """A complaints export read (:func:`read_complaints`).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per complaint in file order, :data:`FRAME_COLUMNS`: ``row`` (the file row),
        text columns (None when blank or absent), ``opened_at`` and ``resolved_at`` as
        ``datetime64[s]`` (NaT when unknown), ``state`` ``resolved`` / ``open``.
    columns : dict
        Role -> the file's header read for it.
    quality : ComplaintsQuality
    notes : list of Message
    """

    frame: Any
    columns: dict[str, str]
    quality: ComplaintsQuality
    notes: list[Message] = field(default_factory=list)


def _texts(column) -> list[str | None]:
    return [(v.strip() or None) if isinstance(v, str) else None for v in column.tolist()]


def parse_times(texts: list[str | None]):
    """Date-time texts -> ``datetime64[s]`` array (NaT when blank or unreadable) and an unreadable mask.

    The day is read by :func:`~crmkit.io.textdates.parse_dates` from the text with any trailing
    time of day (``14:30``, ``14:30:05``, ``T14:30:05Z``) cut off; the time, when given and valid,
    is added back (an impossible one, 25:00, makes the cell unreadable). A time zone suffix is
    dropped: exports give local times.

    Examples
    --------
    >>> times, bad = parse_times(["2024/3/5 14:30", "2024年3月6日", "soon", None])
    >>> [str(t) for t in times], bad.tolist()
    (['2024-03-05T14:30:00', '2024-03-06T00:00:00', 'NaT', 'NaT'], [False, False, True, False])
    """
    import numpy as np

    distinct = sorted({t for t in texts if t is not None})
    day_part: dict[str, str] = {}
    seconds: dict[str, int] = {}
    for text in distinct:
        match = _TIME.search(text)
        h, m, s = (int(g or 0) for g in match.groups()) if match else (0, 0, 0)
        if match is None:
            day_part[text], seconds[text] = text, 0
        elif h < 24 and m < 60 and s < 60:
            day_part[text], seconds[text] = text[: match.start()].strip(), h * 3600 + m * 60 + s
        else:  # 25:00 is no time of day: the cell is unreadable, not midnight
            day_part[text], seconds[text] = "", 0
    days, _, _, _ = parse_dates(list[str | None](sorted(set(day_part.values()))))
    value: dict[str, np.datetime64] = {}
    for text in distinct:
        day = days.get(day_part[text])
        value[text] = (
            np.datetime64("NaT", "s")
            if day is None
            else np.datetime64(day, "D").astype("datetime64[s]") + np.timedelta64(seconds[text], "s")
        )
    out = np.array([value[t] if t is not None else np.datetime64("NaT", "s") for t in texts], dtype="datetime64[s]")
    bad = np.array([t is not None and np.isnat(value[t]) for t in texts], dtype=bool)
    return out, bad


def status_class(value: str | None) -> str | None:
    """``resolved`` / ``open`` for a known status spelling, None otherwise.

    Examples
    --------
    >>> status_class("已解决"), status_class(" In-Progress "), status_class("maybe")
    ('resolved', 'open', None)
    """
    if value is None:
        return None
    key = re.sub(r"[\s_\-]+", " ", unicodedata.normalize("NFKC", value).strip().lower())
    return STATUS_CLASSES.get(key)


def read_complaints(
    source,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    columns: dict[str, str] | None = None,
) -> Complaints:
    """Read a complaints export into one row per complaint (see the module's description).

    Parameters
    ----------
    source : str, path, ``-`` or a DataFrame / Arrow table
    encoding, sheet, delimiter : str, optional
        As for purchase exports (detected when not given).
    columns : dict, optional
        Role (of :data:`COLUMN_ALIASES`) -> header, for headers no alias knows.

    Returns
    -------
    Complaints

    Raises
    ------
    crmkit.errors.InputError
        A file that cannot be read or has no data rows.
    crmkit.errors.ColumnError
        No customer id or opening date column (naming the file and the headers found).

    Examples
    --------
    >>> import pandas as pd
    >>> export = pd.DataFrame({"客户编号": ["A1", "A2", None],
    ...                        "投诉时间": ["2024-03-01 09:00", "2024-03-02", "2024-03-03"],
    ...                        "处理状态": ["已解决", "处理中", "已解决"],
    ...                        "处理时间": ["2024-03-01 21:00", None, None]})
    >>> found = read_complaints(export)
    >>> found.frame[["customer_id", "state"]].values.tolist(), found.quality.dropped["missing_customer_id"]
    ([['A1', 'resolved'], ['A2', 'open']], 1)
    """
    import numpy as np
    import pandas as pd

    name = source_name(source)
    raw, first_row, totals = read_text_rows(
        source,
        encoding=encoding,
        sheet=sheet,
        delimiter=delimiter,
        empty="the complaints file has a header but no rows",
    )
    headers = [str(h) for h in raw.columns]
    found = find_roles(headers, COLUMN_ALIASES, columns, source=name, what="complaints file")
    for role, example in (("customer_id", "客户编号 or customer_id"), ("date", "投诉时间 or date")):
        if role not in found:
            raise ColumnError(
                f"cannot find the {'customer id' if role == 'customer_id' else 'complaint date'} column of the "
                "complaints file",
                file=name,
                hint="columns found: " + ", ".join(headers) + f"; expected e.g. {example}",
            )
    n = len(raw)
    rows = first_row + np.arange(n)
    cells = {role: _texts(raw[header]) for role, header in found.items()}
    ids = [_FLOAT_ID.sub(r"\1", v) if v is not None and "." in v else v for v in cells["customer_id"]]
    opened, unreadable = parse_times(cells["date"])
    missing_id = np.array([v is None for v in ids], dtype=bool)
    missing_date = np.array([v is None for v in cells["date"]], dtype=bool) & ~missing_id
    unreadable &= ~missing_id
    keep = ~(missing_id | missing_date | unreadable)
    quality = ComplaintsQuality(name, rows_read=n + totals, rows_used=int(keep.sum()))
    notes: list[Message] = []
    for reason, mask in (("missing_customer_id", missing_id), ("missing_date", missing_date),
                         ("unreadable_date", unreadable)):  # fmt: skip
        count = int(mask.sum())
        quality.dropped[reason] = count
        if count:
            row = int(rows[np.flatnonzero(mask)[0]])
            quality.first_row[reason] = row
            column = found["customer_id" if reason == "missing_customer_id" else "date"]
            what = {"missing_customer_id": "no customer id", "missing_date": "no complaint date"}.get(
                reason, "a complaint date that cannot be read"
            )
            notes.append(
                Message(
                    f"{count:,} complaint row(s) dropped: {what} ({column}; the first at row {row})",
                    f"feedback_{reason}",
                    count=count,
                    column=column,
                    row=row,
                )
            )
    quality.dropped["total_row"] = totals
    if totals:
        notes.append(Message(f"{totals:,} total row(s) dropped (合计 / Total)", "feedback_total_row", count=totals))

    resolved = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    if "resolved_at" in found:
        resolved, bad_resolved = parse_times(cells["resolved_at"])
        quality.unreadable_resolved = int((bad_resolved & keep).sum())
        if quality.unreadable_resolved:
            row = int(rows[np.flatnonzero(bad_resolved & keep)[0]])
            notes.append(
                Message(
                    f"{quality.unreadable_resolved:,} resolution time(s) cannot be read ({found['resolved_at']}; the "
                    f"first at row {row}): no resolution time for them",
                    "feedback_unreadable_resolved",
                    count=quality.unreadable_resolved,
                    column=found["resolved_at"],
                    row=row,
                )
            )
        early = keep & ~np.isnat(resolved) & ~np.isnat(opened) & (resolved < opened)
        quality.resolved_before_opened = int(early.sum())
        if early.any():
            row = int(rows[np.flatnonzero(early)[0]])
            notes.append(
                Message(
                    f"{int(early.sum()):,} resolution time(s) are before the complaint was opened (the first at row "
                    f"{row}): set missing",
                    "feedback_resolved_before_opened",
                    count=int(early.sum()),
                    row=row,
                )
            )
            resolved = resolved.copy()
            resolved[early] = np.datetime64("NaT")
    has_resolution = ~np.isnat(resolved)
    statuses = cells.get("status", [None] * n)
    classes = [status_class(s) for s in statuses]
    unknown: dict[str, int] = {}
    for s, c, k in zip(statuses, classes, keep):
        if k and s is not None and c is None:
            unknown[s] = unknown.get(s, 0) + 1
    quality.unknown_status = dict(sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0])))
    if unknown:
        total = sum(unknown.values())
        shown = ", ".join(f"{v!r} ({c:,})" for v, c in list(quality.unknown_status.items())[:5])
        notes.append(
            Message(
                f"status ({found['status']}): {total:,} value(s) not recognised, read as resolved when a resolution "
                f"time is given: {shown}",
                "feedback_unknown_status",
                column=found["status"],
                count=total,
                values=shown,
            )
        )
    if "status" not in found:
        notes.append(
            Message(
                "no status column: a complaint with a resolution time is read as resolved, one without as open",
                "feedback_no_status",
            )
        )
    state = np.array(
        [c if c is not None else ("resolved" if r else "open") for c, r in zip(classes, has_resolution)], dtype=object
    )
    out: dict[str, Any] = {
        "row": rows.astype("int64"),
        "customer_id": np.array(ids, dtype=object),
        "opened_at": opened,
        "state": state,
        "resolved_at": resolved,
    }
    for role in ("ticket_id", "category", "channel", "status", "text", "order_id", "product"):
        out[role] = np.array(cells.get(role, [None] * n), dtype=object)
    frame = pd.DataFrame({c: out[c] for c in FRAME_COLUMNS})[keep].reset_index(drop=True)
    for column in ("opened_at", "resolved_at"):
        frame[column] = frame[column].astype("datetime64[s]")
    return Complaints(frame=frame, columns=found, quality=quality, notes=notes)
