"""Reading a campaign file (who was contacted, in which arm, when) and a loyalty-programme export.

Both are read like a members file (:func:`crmkit.io.inputs.read_text_rows`: CSV, TSV, XLSX,
Parquet or ``-``; GBK/GB18030, UTF-8 with or without BOM; closing 合计 / Total rows cut), their
columns found by Chinese or English headers (:data:`CAMPAIGN_ALIASES`, :data:`LOYALTY_ALIASES`,
compared after :func:`~crmkit.io.columns.normalise_header`), or named by ``columns``.

A campaign file:

* ``customer_id`` (required) and ``group`` (the arm: 实验组 / 对照组, treatment / control, A / B…).
  Without a group column everyone in the file was contacted: there is no control arm, and the
  analysis compares them with matched customers who were not (weaker, observational evidence);
* ``contact_date``, one per customer, or the ``contact_date`` argument for a file without one
  (it also fills blank cells);
* optional ``cost`` (per contact, ``¥1,200.50`` reads as 1200.5), ``channel`` and ``coupon``.

The control arm is found by its name (:data:`CONTROL_NAMES`: control, holdout, 对照组, 空白组,
不触达…) or given. Nothing is lost without a count: rows without a customer id, repeated ids
(the first row is kept) and rows without a date are dropped and counted in the quality account.
A date that cannot be read is an error naming the file, row and column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crmkit.errors import ColumnError, DataError, InputError, UsageError
from crmkit.io.columns import ALIASES, find_roles, source_name
from crmkit.io.inputs import read_text_rows
from crmkit.io.options import DATE_RANGE, as_date
from crmkit.io.quality import Message, file_read_line
from crmkit.io.textdates import parse_dates

_IDS = (
    *ALIASES["customer_id"],
    "会员卡",
    "vipcardno",
    "vipno",
    "vipid",
    "手机号",
    "手机号码",
    "手机",
    "mobile",
    "phone",
)
#: Campaign role -> header aliases, most specific first (normalised as headers are).
CAMPAIGN_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": _IDS,
    "group": ("分组", "组别", "实验组别", "实验分组", "实验组", "测试组", "组", "arm", "group", "groupname",
              "testgroup", "variant", "treatment", "cell", "bucket"),
    "contact_date": ("触达日期", "触达时间", "发送日期", "发送时间", "营销日期", "活动日期", "推送日期", "推送时间",
                     "contactdate", "contacted", "contactedat", "contacttime", "sent", "sentat", "senddate",
                     "sentdate", "sendtime", "campaigndate", "date", "日期"),
    "cost": ("触达成本", "单位成本", "成本", "费用", "营销费用", "cost", "costpercontact", "contactcost", "unitcost"),
    "channel": ("触达渠道", "营销渠道", "发送渠道", "渠道", "channel", "medium"),
    "coupon": ("优惠券", "优惠券码", "券码", "券", "coupon", "couponcode", "code", "voucher", "promocode"),
}  # fmt: skip
#: Loyalty-programme role -> header aliases.
LOYALTY_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": _IDS,
    "join_date": ("入会日期", "入会时间", "注册日期", "注册时间", "开卡日期", "开卡时间", "加入日期", "joindate",
                  "joined", "membersince", "signupdate", "registrationdate", "enrolled", "enrolmentdate",
                  "enrollmentdate", "date"),
    "points_earned": ("累计积分", "获得积分", "累计获得积分", "赚取积分", "积分", "pointsearned", "earnedpoints",
                      "earned", "points", "totalpoints"),
    "points_redeemed": ("已兑换积分", "已使用积分", "兑换积分", "使用积分", "已用积分", "pointsredeemed",
                        "redeemedpoints", "redeemed", "pointsused", "usedpoints"),
    "points_expired": ("已过期积分", "过期积分", "失效积分", "pointsexpired", "expiredpoints", "expired"),
}  # fmt: skip
#: Group names (NFKC, lower case, spaces and punctuation dropped) read as the control arm.
CONTROL_NAMES = frozenset(
    {"control", "controlgroup", "holdout", "holdoutgroup", "ctrl", "baseline", "notcontacted", "nocontact",
     "对照", "对照组", "空白组", "空白对照", "控制组", "不触达", "未触达", "不发送", "留出组", "保留组"}
)  # fmt: skip

_FLOAT_ID = re.compile(r"^([0-9]+)\.0+$")
_NUMBER = re.compile(
    r"^[(（]?\s*[-+−]?\s*(¥|￥|\$|rmb|cny)?\s*[-+−]?\s*[0-9][0-9,]*(\.[0-9]+)?\s*(元|分|点|pts?)?[)）]?$"
)
_DROPS = ("missing_customer_id", "duplicate_customer_id", "missing_date", "total_row")


@dataclass
class FileQuality:
    """Account of one read: ``rows_read`` = ``rows_used`` + the sum of ``dropped``.

    Attributes
    ----------
    source : str
    rows_read, rows_used : int
    dropped : dict
        ``missing_customer_id``, ``duplicate_customer_id``, ``missing_date`` (a blank date and no
        date given), ``total_row`` -> rows.
    first_rows : dict
        Drop reason -> the file row of its first dropped row.
    """

    source: str
    rows_read: int = 0
    rows_used: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_DROPS, 0))
    first_rows: dict[str, int] = field(default_factory=dict)

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())

    def one_line(self) -> str:
        """A single stderr line: rows read, customers used, rows dropped and why."""
        return "; ".join(file_read_line(self.rows_read, self.source, self.rows_used, "customers", self.dropped))


@dataclass
class CampaignFile:
    """A campaign file read (:func:`read_campaign`).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per customer: ``customer_id`` (text), ``group`` (text; ``"contacted"`` without a
        group column), ``is_control`` (bool), ``contact_date`` (``datetime64[s]``), ``cost`` (float,
        NaN when not given), ``channel``, ``coupon`` (text or None).
    columns : dict
        Role -> the file's header read for it.
    groups : tuple of str
        The arms in the order they first appear.
    control : str or None
        The control arm's name; None when there is none (everyone was contacted).
    quality : FileQuality
    notes : list of Message
    """

    frame: Any
    columns: dict[str, str]
    groups: tuple[str, ...]
    control: str | None
    quality: FileQuality
    notes: list[Message] = field(default_factory=list)

    @property
    def has_cost(self) -> bool:
        return bool(self.frame["cost"].notna().any())


@dataclass
class LoyaltyFile:
    """A loyalty-programme export read (:func:`read_loyalty`).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per member: ``customer_id``, ``join_date`` (``datetime64[s]``), ``points_earned``,
        ``points_redeemed``, ``points_expired`` (float, NaN when the file has no such column).
    columns : dict
    quality : FileQuality
    notes : list of Message
    """

    frame: Any
    columns: dict[str, str]
    quality: FileQuality
    notes: list[Message] = field(default_factory=list)


def control_name(name: str) -> bool:
    """Whether a group's name says it is the control arm (:data:`CONTROL_NAMES`).

    Examples
    --------
    >>> control_name("对照组"), control_name("Hold-out"), control_name("treatment")
    (True, True, False)
    """
    key = re.sub(r"[\s\-_.()（）]+", "", unicodedata.normalize("NFKC", str(name)).strip().lower())
    return key in CONTROL_NAMES


def parse_number(text: str | None) -> float | None:
    """A cost or a points count as exported: ``¥1,200.50``, ``1200元``, ``(30)`` (negative); None if unreadable.

    Examples
    --------
    >>> parse_number("¥1,200.50"), parse_number("35元"), parse_number("n/a")
    (1200.5, 35.0, None)
    """
    if text is None:
        return None
    value = unicodedata.normalize("NFKC", text).strip().lower()
    if not _NUMBER.match(value):
        return None
    negative = value.startswith(("(", "（", "-", "−")) or "(-" in value.replace(" ", "")
    digits = re.sub(r"[^0-9.]", "", value)
    try:
        number = float(digits)
    except ValueError:
        return None
    return -number if negative else number


def _text(values) -> list[str | None]:
    return [(v.strip() or None) if isinstance(v, str) else None for v in values]


def _dates(texts: list[str | None], rows, column: str, name: str) -> list[date | None]:
    """The days of a required date column; the first unreadable (or out-of-range) value is an error."""
    days, _, far, _ = parse_dates(texts)
    low, high = DATE_RANGE
    out: list[date | None] = []
    for text, row in zip(texts, rows):
        day = None if text is None else days.get(text)
        if text is not None and (day is None or text in far or not low <= day <= high):
            raise InputError(f"cannot read the date {text!r}", file=name, row=int(row), column=column)
        out.append(day)
    return out


def _numbers(texts: list[str | None], rows, column: str, name: str) -> list[float]:
    out = []
    for text, row in zip(texts, rows):
        number = parse_number(text)
        if text is not None and number is None:
            raise DataError(f"cannot read the number {text!r}", file=name, row=int(row), column=column)
        out.append(float("nan") if number is None else number)
    return out


def _read(source, aliases, columns, encoding, sheet, delimiter, what: str):
    """Rows, first row, totals, headers, roles; the customer ids and which rows are kept."""
    import numpy as np
    import pandas as pd

    name = source_name(source)
    raw, first_row, totals = read_text_rows(
        source, encoding=encoding, sheet=sheet, delimiter=delimiter, empty=f"the {what} has a header but no rows"
    )
    headers = [str(h) for h in raw.columns]
    found = find_roles(headers, aliases, columns, source=name)
    if "customer_id" not in found:
        raise ColumnError(
            f"cannot find the customer id column of the {what}",
            file=name,
            hint="columns found: " + ", ".join(headers) + "; expected e.g. customer_id, 客户编号 or 会员编号",
        )
    ids = [_FLOAT_ID.sub(r"\1", t) if t and "." in t else t for t in _text(raw[found["customer_id"]].tolist())]
    rows = first_row + np.arange(len(ids))
    missing = np.array([i is None for i in ids], dtype=bool)
    duplicate = pd.Series(ids, dtype=object).duplicated(keep="first").to_numpy() & ~missing
    return name, raw, rows, totals, found, ids, missing, duplicate


def _account(name, rows, totals, drops: dict[str, Any], used) -> tuple[FileQuality, list[Message]]:
    import numpy as np

    quality = FileQuality(name, rows_read=len(rows) + totals, rows_used=int(used.sum()))
    notes: list[Message] = []
    quality.dropped["total_row"] = int(totals)
    for reason, mask in drops.items():
        count = int(mask.sum())
        quality.dropped[reason] = count
        if count:
            row = int(rows[np.flatnonzero(mask)[0]])
            quality.first_rows[reason] = row
            notes.append(
                Message(
                    f"{name}: {count:,} row(s) dropped ({reason.replace('_', ' ')}), the first at row {row}",
                    f"campaign_dropped_{reason}",
                    source=name,
                    count=count,
                    reason=reason,
                    row=row,
                )
            )
    if totals:
        notes.append(Message(f"{totals:,} total row(s) dropped (合计 / Total)", "campaign_total_row", count=totals))
    return quality, notes


def read_campaign(
    source,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    columns: dict[str, str] | None = None,
    contact_date=None,
    control: str | None = None,
) -> CampaignFile:
    """Read a campaign file: one row per customer contacted or held out.

    Parameters
    ----------
    source : str, path, ``-`` or a DataFrame / Arrow table
    encoding, sheet, delimiter : str, optional
        As for purchase exports (detected when not given).
    columns : dict, optional
        Role (of :data:`CAMPAIGN_ALIASES`) -> header, for headers no alias knows.
    contact_date : date or ISO text, optional
        The contact date of a file without a date column, and of rows with a blank one.
    control : str, optional
        The control arm's name, when it is not one of :data:`CONTROL_NAMES`.

    Returns
    -------
    CampaignFile

    Raises
    ------
    crmkit.errors.ColumnError
        No customer id column, or a ``columns`` header the file lacks.
    crmkit.errors.UsageError
        No contact date column and no ``contact_date``; a ``control`` that is no group; several
        groups and none of them a control arm.
    crmkit.errors.InputError
        An unreadable file, or a date that cannot be read (file, row and column named).

    Examples
    --------
    >>> import pandas as pd
    >>> sent = pd.DataFrame({"客户编号": ["a", "b", "c"], "分组": ["实验组", "对照组", "实验组"],
    ...                      "触达日期": ["2024-03-01", "2024/3/1", "2024-03-02"]})
    >>> found = read_campaign(sent)
    >>> found.control, found.frame[["customer_id", "is_control"]].values.tolist()
    ('对照组', [['a', False], ['b', True], ['c', False]])
    """
    import numpy as np
    import pandas as pd

    default_day = as_date(contact_date, "contact_date") if contact_date is not None else None
    name, raw, rows, totals, found, ids, missing, duplicate = _read(
        source, CAMPAIGN_ALIASES, columns, encoding, sheet, delimiter, "campaign file"
    )
    if "contact_date" not in found and default_day is None:
        raise UsageError(
            f"{name}: the campaign file has no contact date column: give --contact-date YYYY-MM-DD",
            hint="columns found: " + ", ".join(str(h) for h in raw.columns),
        )
    n = len(ids)
    if "contact_date" in found:
        texts = _text(raw[found["contact_date"]].tolist())
        days = _dates(
            [None if m or d else t for t, m, d in zip(texts, missing, duplicate)], rows, found["contact_date"], name
        )
        days = [d if d is not None else default_day for d in days]
    else:
        days = [default_day] * n
    no_date = np.array([d is None for d in days], dtype=bool) & ~missing & ~duplicate
    used = ~missing & ~duplicate & ~no_date
    quality, notes = _account(
        name,
        rows,
        totals,
        {"missing_customer_id": missing, "duplicate_customer_id": duplicate, "missing_date": no_date},
        used,
    )
    keep = np.flatnonzero(used)
    if "group" in found:
        groups_all = _text(raw[found["group"]].tolist())
        groups = [groups_all[k] or "(blank)" for k in keep]
    else:
        groups = ["contacted"] * len(keep)
    order: tuple[str, ...] = tuple(dict.fromkeys(str(g) for g in groups))
    if control is not None:
        if control not in order:
            raise UsageError(f"--control {control!r} is not a group of {name}: groups are {', '.join(order)}")
        control_arm: str | None = control
    else:
        named = [g for g in order if control_name(g)]
        control_arm = named[0] if named else None
        if control_arm is None and len(order) > 1:
            raise UsageError(
                f"{name}: no control arm among the groups {', '.join(order)}: give --control NAME",
                hint="control arms are recognised by names such as control, holdout, 对照组, 空白组",
            )
    out: dict[str, Any] = {
        "customer_id": pd.Series([ids[k] for k in keep], dtype=object),
        "group": pd.Series(groups, dtype=object),
        "is_control": np.array([g == control_arm for g in groups], dtype=bool),
        "contact_date": pd.Series(
            pd.to_datetime(pd.Series([days[k] for k in keep], dtype=object)).astype("datetime64[s]")
        ),
    }
    if "cost" in found:
        texts = _text(raw[found["cost"]].tolist())
        out["cost"] = np.asarray(_numbers([texts[k] for k in keep], rows[keep], found["cost"], name), dtype=float)
    else:
        out["cost"] = np.full(len(keep), np.nan)
    for role in ("channel", "coupon"):
        texts = _text(raw[found[role]].tolist()) if role in found else [None] * n
        out[role] = pd.Series([texts[k] for k in keep], dtype=object)
    if "group" not in found:
        notes.append(
            Message(
                f"{name} has no group column: every customer in it was contacted, so there is no control arm",
                "campaign_no_group",
                source=name,
            )
        )
    if "contact_date" not in found:
        notes.append(Message(f"contact date {default_day} for every customer", "campaign_one_date", day=default_day))
    return CampaignFile(pd.DataFrame(out), found, order, control_arm, quality, notes)


def read_loyalty(
    source,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    columns: dict[str, str] | None = None,
) -> LoyaltyFile:
    """Read a loyalty-programme export: one row per member, their join date and points.

    Parameters
    ----------
    source : str, path, ``-`` or a DataFrame / Arrow table
    encoding, sheet, delimiter : str, optional
    columns : dict, optional
        Role (of :data:`LOYALTY_ALIASES`) -> header.

    Returns
    -------
    LoyaltyFile

    Raises
    ------
    crmkit.errors.ColumnError
        No customer id or join date column.
    crmkit.errors.InputError
        A join date that cannot be read (file, row and column named).
    crmkit.errors.DataError
        A points value that is no number.

    Examples
    --------
    >>> import pandas as pd
    >>> members = pd.DataFrame({"会员编号": ["a", "b"], "入会日期": ["2024-01-05", "2024-02-01"],
    ...                         "累计积分": ["1,200", "300"], "已兑换积分": ["600", "0"]})
    >>> read_loyalty(members).frame[["customer_id", "points_earned", "points_redeemed"]].values.tolist()
    [['a', 1200.0, 600.0], ['b', 300.0, 0.0]]
    """
    import numpy as np
    import pandas as pd

    name, raw, rows, totals, found, ids, missing, duplicate = _read(
        source, LOYALTY_ALIASES, columns, encoding, sheet, delimiter, "loyalty file"
    )
    if "join_date" not in found:
        raise ColumnError(
            "cannot find the join date column of the loyalty file",
            file=name,
            hint="columns found: " + ", ".join(str(h) for h in raw.columns) + "; expected e.g. join_date or 入会日期",
        )
    texts = _text(raw[found["join_date"]].tolist())
    days = _dates([None if m or d else t for t, m, d in zip(texts, missing, duplicate)], rows, found["join_date"], name)
    no_date = np.array([d is None for d in days], dtype=bool) & ~missing & ~duplicate
    used = ~missing & ~duplicate & ~no_date
    quality, notes = _account(
        name,
        rows,
        totals,
        {"missing_customer_id": missing, "duplicate_customer_id": duplicate, "missing_date": no_date},
        used,
    )
    keep = np.flatnonzero(used)
    out: dict[str, Any] = {
        "customer_id": pd.Series([ids[k] for k in keep], dtype=object),
        "join_date": pd.Series(
            pd.to_datetime(pd.Series([days[k] for k in keep], dtype=object)).astype("datetime64[s]")
        ),
    }
    for role in ("points_earned", "points_redeemed", "points_expired"):
        if role in found:
            cells = _text(raw[found[role]].tolist())
            out[role] = np.asarray(_numbers([cells[k] for k in keep], rows[keep], found[role], name), dtype=float)
        else:
            out[role] = np.full(len(keep), np.nan)
    missing_points = [r for r in ("points_earned", "points_redeemed") if r not in found]
    if missing_points:
        notes.append(
            Message(
                f"{name} has no {' or '.join(r.replace('_', ' ') for r in missing_points)} column: "
                "no redemption rate or breakage",
                "loyalty_no_points",
                source=name,
            )
        )
    return LoyaltyFile(pd.DataFrame(out), found, quality, notes)
