"""Reading a contract-renewal file: a cohort table or one row per subscriber.

The file is read like a complaints export (:func:`crmkit.io.inputs.read_text_rows`: CSV, TSV,
XLSX, Parquet or ``-``; GBK/GB18030, UTF-8 with or without BOM; every column as text; closing
合计 / Total rows cut). Two layouts, told apart by their headers:

* **cohort table** -- a period column (``period``, ``year``, ``month``, 期数, 年份, 年, 月 ...) and
  one column per cohort holding how many of its customers are active at the start of each
  period (period 0 = the cohort's size), e.g. the Fader & Hardie (2007) worked example
  ``year, regular, high_end``;
* **subscribers** -- ``customer_id`` and ``start`` (contract start date) with ``end`` (the
  cancellation / contract end date; blank = still active), optional ``cohort`` (plan, segment:
  each fitted on its own) and ``fee`` (value per period). Dates become renewal counts in whole
  ``period`` units (``week``, ``month`` (default), ``quarter``, ``year``): a cancelled customer
  passed the renewal dates strictly before her end date; an active one every renewal date up to
  ``as_of`` (default: the latest date in the file).

Any value that cannot be used is a :class:`~crmkit.errors.DataError` naming the file, the row
and the column; a missing layout column a :class:`~crmkit.errors.ColumnError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crmkit.errors import ColumnError, DataError, UsageError
from crmkit.io.columns import ALIASES, find_roles, source_name
from crmkit.io.inputs import read_text_rows
from crmkit.io.textdates import parse_dates

__all__ = ["PERIODS", "Renewals", "read_renewals", "renewals_between"]

#: Period name -> months per period (a week is handled in days).
PERIODS: dict[str, float] = {"week": 7 / 30.4375, "month": 1.0, "quarter": 3.0, "year": 12.0}

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": (*ALIASES["customer_id"], "用户id", "会员id", "订阅者", "subscriber", "subscriberid", "accountid"),
    "start": (
        "开始日期", "开始时间", "签约日期", "订阅日期", "生效日期", "起始日期", "开通日期", "start", "startdate",
        "startedat", "started", "signupdate", "subscribedat", "since", "joined",
    ),
    "end": (
        "结束日期", "结束时间", "取消日期", "退订日期", "解约日期", "到期日期", "终止日期", "end", "enddate", "endedat",
        "cancelled", "canceled", "cancelledat", "canceledat", "canceldate", "cancellationdate", "churndate", "churned",
    ),
    "cohort": ("套餐", "群组", "分组", "客群", "等级", "cohort", "segment", "plan", "tier", "group"),
    "fee": (
        "月费", "年费", "费用", "价格", "单价", "每期金额", "fee", "monthlyfee", "annualfee", "price", "value",
        "amount", "revenue", "mrr",
    ),
    "period": ("期数", "期", "年份", "年", "月份", "月", "周期", "period", "year", "month", "quarter", "week", "t"),
}  # fmt: skip


@dataclass
class Renewals:
    """A renewal file read (:func:`read_renewals`).

    Attributes
    ----------
    kind : str
        ``cohorts`` or ``customers``.
    source : str
    cohorts : dict
        Cohort -> active counts at the start of periods 0, 1, ... (``cohorts`` kind).
    frame : pandas.DataFrame or None
        ``customers`` kind: ``row, customer_id, cohort, start, end, renewals, churned, fee``.
    period : str
    as_of : datetime.date or None
    columns : dict
        Role -> the file's header.
    notes : list of str
    """

    kind: str
    source: str
    cohorts: dict[str, list[float]] = field(default_factory=dict)
    frame: Any = None
    period: str = "month"
    as_of: date | None = None
    columns: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _number(text: str | None, source: str, row: int, column: str, what: str) -> float:
    if text is None:
        raise DataError(f"{what} is blank", file=source, row=row, column=column)
    try:
        value = float(text.replace(",", "").replace("，", ""))
    except ValueError:
        raise DataError(f"{what} {text!r} is not a number", file=source, row=row, column=column) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise DataError(f"{what} {text!r} is not a finite number", file=source, row=row, column=column)
    return value


def _texts(column) -> list[str | None]:
    return [(v.strip() or None) if isinstance(v, str) else None for v in column.tolist()]


def renewals_between(start: date, end: date, period: str) -> int:
    """Renewal dates ``start + k periods`` (``k >= 1``) on or before ``end``.

    Examples
    --------
    >>> renewals_between(date(2024, 1, 31), date(2024, 3, 30), "month")
    1
    >>> renewals_between(date(2024, 1, 1), date(2025, 1, 1), "year")
    1
    """
    if period == "week":
        return max((end - start).days // 7, 0)
    months = (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
    step = int(PERIODS[period])
    return max(months // step, 0)


def read_renewals(
    source,
    *,
    period: str = "month",
    as_of: date | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    columns: dict[str, str] | None = None,
) -> Renewals:
    """Read a renewal file (see the module's description).

    Parameters
    ----------
    source : str, path, ``-`` or a DataFrame / Arrow table
    period : {"week", "month", "quarter", "year"}
        Length of one contract period (subscriber rows only).
    as_of : datetime.date, optional
        The day the file was exported (subscriber rows; default the latest date in it).
    encoding, sheet, delimiter : str, optional
    columns : dict, optional
        Role (of :data:`COLUMN_ALIASES`) -> header.

    Examples
    --------
    >>> import pandas as pd
    >>> read_renewals(pd.DataFrame({"year": ["0", "1", "2"], "regular": ["100", "60", "45"]})).cohorts
    {'regular': [100.0, 60.0, 45.0]}
    """
    if period not in PERIODS:
        raise UsageError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    name = source_name(source)
    raw, first_row, _ = read_text_rows(
        source, encoding=encoding, sheet=sheet, delimiter=delimiter, empty="the renewal file has a header but no rows"
    )
    headers = [str(h) for h in raw.columns]
    found = find_roles(headers, COLUMN_ALIASES, columns, source=name, what="renewal file")
    if "customer_id" in found or "start" in found:
        return _customers(raw, first_row, found, headers, name, period, as_of)
    if "period" not in found:
        raise ColumnError(
            "cannot tell the layout of the renewal file: no period column (a cohort table) and no customer id and "
            "start date (one row per subscriber)",
            file=name,
            hint="columns found: " + ", ".join(headers) + "; expected e.g. year,regular,high_end or "
            "customer_id,start,end",
        )
    return _cohorts(raw, first_row, found, headers, name)


def _cohorts(raw, first_row: int, found: dict, headers: list, name: str) -> Renewals:
    period_col = found["period"]
    cohort_cols = [h for h in headers if h != period_col]
    if not cohort_cols:
        raise ColumnError("the cohort table has a period column but no cohort column", file=name)
    periods = _texts(raw[period_col])
    values = [_number(p, name, first_row + i, period_col, "period") for i, p in enumerate(periods)]
    for i, (p, q) in enumerate(zip(values, values[1:])):
        if q != p + 1:
            raise DataError(
                f"periods must run 0, 1, 2, ... one per row; {q:g} follows {p:g}",
                file=name,
                row=first_row + i + 1,
                column=period_col,
            )
    if values[0] != 0:
        raise DataError(
            f"the first period must be 0 (the cohort's size), not {values[0]:g}",
            file=name,
            row=first_row,
            column=period_col,
        )
    if len(values) < 2:
        raise DataError("a cohort table needs at least periods 0 and 1", file=name, row=first_row, column=period_col)
    cohorts: dict[str, list[float]] = {}
    for col in cohort_cols:
        counts: list[float] = []
        for i, text in enumerate(_texts(raw[col])):
            row = first_row + i
            value = _number(text, name, row, col, "active count")
            if value < 0 or value != round(value):
                raise DataError(f"active count {text!r} must be a whole number >= 0", file=name, row=row, column=col)
            if counts and value > counts[-1]:
                raise DataError(
                    f"active count {value:g} is above the period before ({counts[-1]:g}): a cohort only loses "
                    "customers",
                    file=name,
                    row=row,
                    column=col,
                )
            counts.append(value)
        if counts[0] <= 0:
            raise DataError("a cohort must start with at least one customer", file=name, row=first_row, column=col)
        cohorts[col] = counts
    return Renewals(kind="cohorts", source=name, cohorts=cohorts, columns=found)


def _customers(raw, first_row: int, found: dict, headers: list, name: str, period: str, as_of) -> Renewals:
    import numpy as np
    import pandas as pd

    for role, example in (("customer_id", "customer_id or 客户编号"), ("start", "start or 开始日期")):
        if role not in found:
            raise ColumnError(
                f"cannot find the {role.replace('_', ' ')} column of the renewal file",
                file=name,
                hint="columns found: " + ", ".join(headers) + f"; expected e.g. {example}",
            )
    n = len(raw)
    cells = {role: _texts(raw[h]) for role, h in found.items() if role != "period"}
    texts = [t for role in ("start", "end") for t in cells.get(role, [])]
    days, _, _, _ = parse_dates(texts)
    starts, ends = [], []
    for i in range(n):
        row = first_row + i
        cid = cells["customer_id"][i]
        if cid is None:
            raise DataError("customer id is blank", file=name, row=row, column=found["customer_id"])
        s_text = cells["start"][i]
        start = days.get(s_text) if s_text is not None else None
        if start is None:
            raise DataError(
                "start date is blank" if s_text is None else f"start date {s_text!r} cannot be read",
                file=name,
                row=row,
                column=found["start"],
            )
        e_text = cells["end"][i] if "end" in cells else None
        end = days.get(e_text) if e_text is not None else None
        if e_text is not None and end is None:
            raise DataError(f"end date {e_text!r} cannot be read", file=name, row=row, column=found["end"])
        if end is not None and end < start:
            raise DataError(f"end date {end} is before the start {start}", file=name, row=row, column=found["end"])
        starts.append(start)
        ends.append(end)
    latest = max([d for d in starts + ends if d is not None])
    as_of = as_of or latest
    renewals, churned = [], []
    for i, (start, end) in enumerate(zip(starts, ends)):
        if start > as_of:
            raise DataError(f"start date {start} is after the as-of day {as_of}", file=name, row=first_row + i,
                            column=found["start"])  # fmt: skip
        if end is not None and end <= as_of:
            # the renewal dates strictly before her end date were passed; she did not renew at the next
            renewals.append(renewals_between(start, end, period) - (_on_renewal_date(start, end, period)))
            churned.append(True)
        else:
            renewals.append(renewals_between(start, as_of, period))
            churned.append(False)
    fees = np.full(n, np.nan)
    if "fee" in cells:
        for i, text in enumerate(cells["fee"]):
            if text is not None:
                fees[i] = _number(text, name, first_row + i, found["fee"], "fee")
    ids = cells["customer_id"]
    seen: dict[str, int] = {}
    for i, cid in enumerate(ids):
        if cid in seen:
            raise DataError(
                f"customer {cid!r} appears twice (first at row {seen[cid]})",
                file=name,
                row=first_row + i,
                column=found["customer_id"],
            )
        seen[cid] = first_row + i  # type: ignore[index]
    frame = pd.DataFrame(
        {
            "row": (first_row + np.arange(n)).astype("int64"),
            "customer_id": np.array(ids, dtype=object),
            "cohort": np.array(cells.get("cohort", ["all"] * n), dtype=object),
            "start": pd.to_datetime(pd.Series(starts)).astype("datetime64[s]"),
            "end": pd.to_datetime(pd.Series(ends)).astype("datetime64[s]"),
            "renewals": np.array(renewals, dtype=np.int64),
            "churned": np.array(churned, dtype=bool),
            "fee": fees,
        }
    )
    frame["cohort"] = frame["cohort"].fillna("(blank)")
    return Renewals(kind="customers", source=name, frame=frame, period=period, as_of=as_of, columns=found)


def _on_renewal_date(start: date, end: date, period: str) -> int:
    """1 when ``end`` falls exactly on a renewal date (the contract ended there, not renewed)."""
    k = renewals_between(start, end, period)
    return int(k > 0 and renewals_between(start, _prev_day(end), period) < k)


def _prev_day(day: date) -> date:
    from datetime import timedelta

    return day - timedelta(days=1)
