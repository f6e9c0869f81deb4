"""Reading a customer-attributes file (the members export): who each customer is, one row per customer.

The file is read like a survey or member list (:func:`crmkit.io.inputs.read_survey`: CSV, TSV,
XLSX, Parquet or ``-``; GBK/GB18030, UTF-8 with or without BOM…; every column as text), its
columns found by Chinese or English headers (:data:`COLUMN_ALIASES`), and its values normalised:

* ``gender``: ``female`` / ``male`` / ``other`` / None (:data:`GENDERS`); 未知, 保密, unknown… are
  None and not counted, any other value is None and counted as an unknown value;
* ``birth_date`` and ``join_date``: the purchase dates' formats (ISO with or without a time,
  ``Y/M/D``, ``Y.M.D``, ``2024年3月5日``, ``YYYYMMDD``, ``D/M/Y`` or ``M/D/Y`` decided from the
  column, month names, Excel serial numbers), parsed by the same DuckDB expression
  (:func:`crmkit.io.purchases.date_expr`); a year and month alone (``1990-05``, ``1990年5月``) is
  the 1st of that month, and said in a note;
* ``age``: whole years completed at ``as_of`` (:func:`age_at`), from the birth date where the row
  has a usable one, else from an age column (``35``, ``35岁``; taken as exported);
  ``age_band`` from band edges (:func:`parse_age_bands`);
* ``province``: :func:`crmkit.io.regions.province_of`; ``city``: trimmed, a trailing 市 dropped
  (杭州市 is 杭州); ``tier``, ``source_channel`` and the ``by`` columns: trimmed text.

Nothing is lost without a count: rows without a customer id and repeated ids (the first row is
kept) are dropped and counted; values that cannot be normalised are None in the frame and
counted by value (:attr:`AttributesQuality.unknown`), or, for dates and ages that cannot be read
at all, by column with the first row (:attr:`AttributesQuality.unreadable`).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crmkit.errors import ColumnError, UsageError
from crmkit.io.columns import ALIASES, find_roles, normalise_header, source_name
from crmkit.io.inputs import read_text_rows
from crmkit.io.options import DATE_RANGE, as_date
from crmkit.io.quality import Message, file_read_line
from crmkit.io.regions import province_of
from crmkit.io.textdates import parse_dates

#: Role -> header aliases, most specific first, compared after :func:`~crmkit.io.columns.normalise_header`
#: (so ``Date of Birth``, ``date_of_birth`` and ``DateOfBirth`` are one alias).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    # the purchase exports' ids first, so a members file and a purchase export name a customer alike;
    # a phone number or email last, the id of many Chinese CRMs and of Shopify customer exports
    "customer_id": (
        *ALIASES["customer_id"], "会员卡", "vipcardno", "vipno", "vipid", "cardnumber",
        "手机号", "手机号码", "手机", "mobile", "phone", "email", "邮箱",
    ),
    "gender": ("性别", "gender", "sex", "称呼", "称谓", "salutation"),
    "birth_date": (
        "出生日期", "生日", "出生年月", "出生年月日", "birthday", "birthdate", "dob", "dateofbirth", "birth",
    ),
    "age": ("年龄", "age"),
    "province": ("省份", "省", "所在省份", "所在省", "地区", "区域", "所在地区", "province", "region", "state"),
    "city": ("城市", "市", "所在城市", "所在市", "city"),
    "join_date": (
        "注册日期", "注册时间", "入会日期", "入会时间", "开卡日期", "开卡时间", "加入日期", "加入时间",
        "joindate", "joined", "registeredat", "registrationdate", "signupdate", "membersince", "createdat",
        "创建时间",
    ),
    "tier": ("会员等级", "等级", "会员级别", "会员类型", "级别", "tier", "level", "membershiplevel", "membershiptier",
             "memberlevel", "viplevel"),
    "source_channel": ("来源渠道", "注册渠道", "来源", "渠道", "注册来源", "会员来源", "source", "channel",
                       "acquisitionchannel", "signupchannel"),
}  # fmt: skip

#: The frame's columns, in this order, those the file gives (then the ``by`` columns).
FRAME_COLUMNS = (
    "customer_id", "gender", "birth_date", "age", "age_band", "province", "city", "join_date", "tier", "source_channel",
)  # fmt: skip
#: Default age-band edges: ``<18, 18-24, 25-34, 35-44, 45-54, 55-64, 65+``.
DEFAULT_AGE_BANDS = (18, 25, 35, 45, 55, 65)
#: Ages outside this range are no one's (a typo, a placeholder such as 1900-01-01).
AGE_RANGE = (0, 120)

#: Gender spellings (NFKC, lower case, trimmed) -> the normalised value; ``None`` for the ways of
#: not saying, which are blanks, not errors. Digits are GB/T 2261.1 codes (1 male, 2 female, 0 and
#: 9 not stated), which WeChat's member data uses too.
GENDERS: dict[str, str | None] = {
    **dict.fromkeys(("女", "女性", "女士", "小姐", "女生", "f", "female", "woman", "women", "w", "mrs", "ms", "miss"),
                    "female"),
    **dict.fromkeys(("男", "男性", "先生", "男士", "男生", "m", "male", "man", "men", "mr"), "male"),
    **dict.fromkeys(("其他", "其它", "other", "others", "nonbinary", "non-binary", "non binary", "x"), "other"),
    **dict.fromkeys(("未知", "保密", "不详", "不明", "未填", "未填写", "未设置", "未说明", "unknown", "u",
                     "not specified", "unspecified", "prefer not to say"), None),
    "1": "male", "2": "female", "0": None, "9": None,
}  # fmt: skip
_GENDER_CODES = frozenset("0129")

_AGE = re.compile(r"^([-+]?\d{1,4})(?:\.\d+)?\s*(?:岁|周岁|years?(?:\s*old)?|yrs?|y)?$", re.IGNORECASE)
_FLOAT_ID = re.compile(r"^([0-9]+)\.0+$")
_CITY_SUFFIX = re.compile(r"^([\u3400-\u9fff]{2,})市$")
#: What a members file with only a header (or only total rows) is told.
_NO_ROWS = "the attributes file has a header but no rows"
_DROPS = ("missing_customer_id", "duplicate_customer_id", "total_row")  # AttributesQuality.dropped's reasons


@dataclass
class AttributesQuality:
    """Account of one read of an attributes file.

    ``rows_read`` = ``rows_used`` + the sum of ``dropped``: no row goes without a reason.

    Attributes
    ----------
    source : str
    rows_read, rows_used : int
        Data rows in the file (a closing 合计 / Total row too); customers in the frame (one row each).
    dropped : dict
        ``missing_customer_id``, ``duplicate_customer_id`` and ``total_row`` (closing 合计 / Total rows) -> rows.
    unknown : dict
        Attribute -> {value as exported: rows}: values read but not normalisable (a gender no table
        knows, an age outside 0..120, a birth date after ``as_of``), None in the frame.
    unreadable : dict
        Attribute -> (rows, first file row): dates and ages that cannot be read at all, None in the frame.
    as_of : datetime.date or None
        The day ages are computed at.
    """

    source: str
    rows_read: int = 0
    rows_used: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_DROPS, 0))
    unknown: dict[str, dict[str, int]] = field(default_factory=dict)
    unreadable: dict[str, tuple[int, int]] = field(default_factory=dict)
    as_of: date | None = None

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())

    def one_line(self) -> str:
        """A single stderr line: rows read, customers used, rows dropped and values not read."""
        parts = file_read_line(self.rows_read, self.source, self.rows_used, "customers", self.dropped)
        unknown = sum(sum(v.values()) for v in self.unknown.values())
        unread = sum(n for n, _ in self.unreadable.values())
        if unknown or unread:
            parts.append(f"values read as unknown: {unknown + unread:,}")
        if self.as_of:
            parts.append(f"ages as of {self.as_of}")
        return "; ".join(parts)


@dataclass
class Attributes:
    """A customer-attributes file read and normalised (:func:`read_attributes`).

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per customer: ``customer_id`` (text) and, of :data:`FRAME_COLUMNS`, those the file
        gives: ``gender``, ``province``, ``city``, ``tier``, ``source_channel`` (text or None),
        ``birth_date``, ``join_date`` (``datetime64[s]``, NaT when unknown), ``age`` (``Int64``)
        and ``age_band`` (an ordered categorical of :func:`band_labels`) when ages are known;
        then the ``by`` columns (text), named by their headers.
    columns : dict
        Role -> the file's header read for it.
    present : tuple of str
        The roles found, in :data:`COLUMN_ALIASES` order.
    quality : AttributesQuality
    notes : list of Message
        What a user should know (``attributes_unknown``, ``attributes_unreadable``, …), in English,
        with keys and params for a report to translate.
    by : dict
        Each requested ``by`` name -> the frame column holding it.
    age_bands : tuple of int
        The band edges used.
    """

    frame: Any
    columns: dict[str, str]
    present: tuple[str, ...]
    quality: AttributesQuality
    notes: list[Message] = field(default_factory=list)
    by: dict[str, str] = field(default_factory=dict)
    age_bands: tuple[int, ...] = DEFAULT_AGE_BANDS


def parse_age_bands(edges: Sequence[int] | str | None = None) -> tuple[int, ...]:
    """Age-band edges from a list of ages or a text such as ``"18,25,35,45,55,65"``.

    Raises
    ------
    crmkit.errors.UsageError
        When an edge is not a whole number in 1..120 or the edges are not strictly increasing.

    Examples
    --------
    >>> parse_age_bands("18, 30,50")
    (18, 30, 50)
    """
    if edges is None:
        return DEFAULT_AGE_BANDS
    items = [e.strip() for e in edges.split(",")] if isinstance(edges, str) else list(edges)
    hint = "give increasing ages such as 18,25,35,45,55,65"
    values = []
    for item in items:
        try:
            number = float(item)
        except (TypeError, ValueError):
            number = float("nan")
        if not (number.is_integer() and AGE_RANGE[0] < number <= AGE_RANGE[1]) or isinstance(item, bool):
            raise UsageError(f"age bands: {item!r} is not an age in 1..120", hint=hint)
        values.append(int(number))
    if not values or any(b <= a for a, b in zip(values, values[1:])):
        raise UsageError(f"age bands must be increasing ages, got {edges!r}", hint=hint)
    return tuple(values)


def band_labels(edges: Sequence[int] = DEFAULT_AGE_BANDS) -> list[str]:
    """The labels of the bands the edges cut: ``<18``, ``18-24``, …, ``65+`` (ends included).

    Examples
    --------
    >>> band_labels((18, 25, 65))
    ['<18', '18-24', '25-64', '65+']
    """
    inner = [f"{a}-{b - 1}" if b - 1 > a else str(a) for a, b in zip(edges, edges[1:])]
    return [f"<{edges[0]}", *inner, f"{edges[-1]}+"]


def anniversary(day: date, year: int) -> date:
    """``day``'s anniversary in ``year``: a 29 February falls on 28 February in a common year.

    The 28th keeps the day in its month, as greetings are planned (some laws count 1 March for
    reaching an age instead). One rule for ages and for the care calendar's birthdays and
    membership anniversaries, so a customer is a year older on the day they are greeted.
    """
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return day.replace(year=year)


def age_at(birth: date, as_of: date) -> int:
    """Whole years completed at ``as_of`` by someone born on ``birth`` (birthday counted on the day).

    A 29 February birthday is reached on 28 February in a common year (:func:`anniversary`).

    Examples
    --------
    >>> age_at(date(2000, 2, 29), date(2023, 2, 28)), age_at(date(1990, 6, 2), date(2024, 6, 1))
    (23, 33)
    """
    return as_of.year - birth.year - (as_of < anniversary(birth, as_of.year))


def _ages(births, as_of: date):
    """:func:`age_at` over a ``datetime64[D]`` array (NaT gives a meaningless value, masked by the caller)."""
    import numpy as np

    safe = np.where(np.isnat(births), np.datetime64("2000-01-01"), births)
    years = safe.astype("datetime64[Y]").astype(int) + 1970
    month = safe.astype("datetime64[M]").astype(int) % 12 + 1
    day = (safe - safe.astype("datetime64[M]")).astype(int) + 1
    if not calendar.isleap(as_of.year):  # a 29 February birthday is on the 28th (anniversary)
        day = np.where((month == 2) & (day == 29), 28, day)
    before = (month * 100 + day) > (as_of.month * 100 + as_of.day)
    return as_of.year - years - before.astype(int)


def _gender(value: str) -> tuple[str | None, bool]:
    """The normalised gender of a cell and whether the spelling is known."""
    key = unicodedata.normalize("NFKC", value).strip().lower().rstrip(".")
    if key in GENDERS:
        return GENDERS[key], True
    return None, False


def _city(value: str) -> str:
    match = _CITY_SUFFIX.match(value)
    return match.group(1) if match else value


def _text(column):
    """A read_survey column as an object array of text, None for blanks (NaN or None, whichever pandas gives)."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(column)
    cleaned = [(u.strip() or None) if isinstance(u, str) else None for u in uniques]
    return np.array([*cleaned, None], dtype=object)[codes]  # code -1 (a blank) takes the None at the end


def _per_value(texts, normalise):
    """``normalise`` applied to each distinct text once: the column's codes (-1 for None), the
    distinct texts, their rows and their normalised values. Exports repeat few values (两 genders,
    34 provinces) over many rows, so this is what makes a million members quick."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(texts)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return codes, list(uniques), counts, [normalise(u) for u in uniques]


def _spread(codes, values, fill=None):
    """Per-distinct ``values`` back over the rows (``fill`` where the code is -1)."""
    import numpy as np

    return np.array([*values, fill], dtype=object)[codes]


def _resolve_by(
    by, headers: list[str], roles: dict[str, str], derived: set[str], source: str
) -> dict[str, tuple[str, str]]:
    """Each ``by`` name -> ``("role", frame column)`` when the frame has it (a role's header named,
    or the column's own name), else ``("header", the file's header)`` to be added."""
    names = [b.strip() for b in by.split(",")] if isinstance(by, str) else [str(b).strip() for b in by]
    by_norm = {normalise_header(h): h for h in reversed(headers)}
    role_of = {h: r for r, h in roles.items()}
    out: dict[str, tuple[str, str]] = {}
    for name in filter(None, names):
        header = name if name in headers else None
        if header is None and name in derived:
            out[name] = ("role", name)
            continue
        header = header or by_norm.get(normalise_header(name))
        if header is None:
            raise ColumnError(
                f"by names column '{name}', which is not in the attributes file",
                file=source,
                column=name,
                hint="columns found: " + ", ".join(headers),
            )
        out[name] = ("role", role_of[header]) if header in role_of else ("header", header)
    return out


class _Account:
    """What normalising does to the used rows, gathered into the quality account and the notes."""

    def __init__(self, quality: AttributesQuality, columns: dict[str, str], rows):
        self.quality, self.columns, self.rows = quality, columns, rows
        self.notes: list[Message] = []

    def unknown(self, role: str, found: dict[str, int]) -> None:
        if not found:
            return
        counts = dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
        self.quality.unknown[role] = counts
        shown = ", ".join(f"{v!r} ({n:,})" for v, n in list(counts.items())[:5]) + (", …" if len(counts) > 5 else "")
        total = sum(counts.values())
        self.notes.append(
            Message(
                f"{role} ({self.columns[role]}): {total:,} value(s) not recognised, read as unknown: {shown}",
                "attributes_unknown",
                attribute=role,
                column=self.columns[role],
                count=total,
                values=shown,
            )
        )

    def unreadable(self, role: str, positions) -> None:
        """Count ``positions`` (indexes into the used rows) as unreadable values of ``role``."""
        if not len(positions):
            return
        row = int(self.rows[positions[0]])
        self.quality.unreadable[role] = (len(positions), row)
        self.notes.append(
            Message(
                f"{role} ({self.columns[role]}): {len(positions):,} value(s) cannot be read (the first at row "
                f"{row}), read as unknown",
                "attributes_unreadable",
                attribute=role,
                column=self.columns[role],
                count=len(positions),
                row=row,
            )
        )

    def note(self, key: str, text: str, /, **params: object) -> None:
        self.notes.append(Message(text, key, **params))


def _dates(role: str, texts, account: _Account, as_of: date | None):
    """A date column as ``datetime64[D]`` (NaT when unknown), unknown and unreadable values accounted for.

    Birth dates after ``as_of`` or giving an age over 120 are unknown; without ``as_of``, and for
    join dates, a date outside :data:`~crmkit.io.options.DATE_RANGE` (1900-01-01..2100-12-31, the
    purchase dates') is.
    """
    import numpy as np

    codes, uniques, counts, _ = _per_value(texts, lambda text: None)
    days, month_only, far, ambiguous = parse_dates(uniques)
    low, high = DATE_RANGE
    if role == "birth_date" and as_of is not None:  # the ages decide how far back (1899 is 111 in 2010)
        low, high = date(1000, 1, 1), as_of
    parsed = np.full(len(uniques) + 1, np.datetime64("NaT"), dtype="datetime64[D]")  # the last: blanks
    odd = np.zeros(len(uniques) + 1, dtype=bool)
    for k, text in enumerate(uniques):
        day = days[text]
        if text in far or (day is not None and not low <= day <= high):
            odd[k] = True
        elif day is not None:
            parsed[k] = np.datetime64(day, "D")
    if role == "birth_date" and as_of is not None:  # the earliest day allowed may still be 121 years ago
        too_old = ~np.isnat(parsed) & (_ages(parsed, as_of) > AGE_RANGE[1])
        odd |= too_old
        parsed[too_old] = np.datetime64("NaT")
    unread = np.array([days[t] is None and t not in far for t in uniques] + [False], dtype=bool)
    column = account.columns[role]
    account.unknown(role, {uniques[k]: int(counts[k]) for k in np.flatnonzero(odd[:-1])})
    account.unreadable(role, np.flatnonzero(unread[codes]))
    partial = sum(int(counts[k]) for k, t in enumerate(uniques) if t in month_only and not np.isnat(parsed[k]))
    if partial:
        account.note(
            "attributes_month_only",
            f"{role} ({column}): {partial:,} value(s) give only a year and month, read as the 1st of the month",
            attribute=role,
            column=column,
            count=partial,
        )
    if ambiguous:
        account.note(
            "attributes_month_first",
            f"{role} ({column}): dates like 01/02/1990 read as month/day/year (no value tells)",
            attribute=role,
            column=column,
        )
    return parsed[codes]


def _age_value(text: str) -> int | str | None:
    """An age cell as whole years (``35``, ``35岁``, ``35.5`` is 35); ``"unknown"`` out of 0..120, None unreadable."""
    match = _AGE.match(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        return None
    years = int(match.group(1))
    return years if AGE_RANGE[0] <= years <= AGE_RANGE[1] else "unknown"


def _age_column(texts, account: _Account):
    """An age column as an int64 array, -1 where the age is unknown or unreadable (accounted for)."""
    import numpy as np

    codes, uniques, counts, ages = _per_value(texts, _age_value)
    account.unknown("age", {u: int(n) for u, n, a in zip(uniques, counts, ages) if a == "unknown"})
    unread = np.array([a is None for a in ages] + [False], dtype=bool)
    account.unreadable("age", np.flatnonzero(unread[codes]))
    return np.array([a if isinstance(a, int) else -1 for a in ages] + [-1], dtype=np.int64)[codes]


def read_attributes(
    source,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    by: Sequence[str] | str = (),
    as_of=None,
    age_bands: Sequence[int] | str | None = None,
) -> Attributes:
    """Read a customer-attributes file into one normalised row per customer.

    Parameters
    ----------
    source : str, path, ``-`` or a DataFrame / Arrow table
        The members export, in any format :func:`crmkit.io.inputs.read_survey` reads.
    encoding, sheet, delimiter : str, optional
        As for purchase exports (detected when not given).
    by : sequence of str or str
        Further columns to keep (headers, matched as given then normalised; a name of a column the
        frame has, such as ``tier`` or ``age_band``, is that column). ``"a,b"`` is ``["a", "b"]``.
    as_of : date or ISO text, optional
        The day ages are computed at (:func:`age_at`); without it birth dates give no ages (an age
        column still does) and a note says so: the library never assumes today.
    age_bands : sequence of int or str, optional
        Band edges (:func:`parse_age_bands`), default :data:`DEFAULT_AGE_BANDS`.

    Returns
    -------
    Attributes

    Raises
    ------
    crmkit.errors.UsageError
        Bad ``age_bands`` or ``as_of``.
    crmkit.errors.InputError
        A file that cannot be read, or has no data rows.
    crmkit.errors.ColumnError
        No customer id column, or a ``by`` column the file does not have.

    Examples
    --------
    >>> import pandas as pd
    >>> members = pd.DataFrame({"会员编号": ["A1", "A2"], "性别": ["女", "M"], "出生日期": ["1990-06-02", "2000/2/29"]})
    >>> found = read_attributes(members, as_of="2023-02-28")
    >>> found.frame[["customer_id", "gender", "age", "age_band"]].values.tolist()
    [['A1', 'female', 32, '25-34'], ['A2', 'male', 23, '18-24']]
    """
    import numpy as np
    import pandas as pd

    edges = parse_age_bands(age_bands)
    day = as_date(as_of, "as_of") if as_of is not None else None
    name = source_name(source)
    raw, first_row, totals = read_text_rows(  # totals: the closing 合计 rows cut, counted
        source,
        encoding=encoding,
        sheet=sheet,
        delimiter=delimiter,
        empty="the attributes file has a header but no rows",
    )
    headers = [str(h) for h in raw.columns]
    columns = find_roles(headers, COLUMN_ALIASES)
    if "customer_id" not in columns:
        raise ColumnError(
            "cannot find the customer id column of the attributes file",
            file=name,
            hint="columns found: " + ", ".join(headers) + "; expected e.g. customer_id, 会员编号 or 会员卡号",
        )
    aged = "age" in columns or ("birth_date" in columns and day is not None)
    derived = set(FRAME_COLUMNS) & ({*columns, "age", "age_band"} if aged else set(columns))
    by_columns = _resolve_by(by, headers, columns, derived, name)

    # ids as purchase ids are read (crmkit.io.purchases.id_expr): "17850.0" from a float export is "17850"
    id_codes, id_texts, _, id_values = _per_value(
        _text(raw[columns["customer_id"]]), lambda v: _FLOAT_ID.sub(r"\1", v) if "." in v else v
    )
    ids = _spread(id_codes, id_values)
    missing = id_codes < 0
    duplicate = pd.Series(ids, dtype=object).duplicated(keep="first").to_numpy() & ~missing
    used = np.flatnonzero(~missing & ~duplicate)
    dropped = dict(zip(_DROPS, (int(missing.sum()), int(duplicate.sum()), totals)))
    quality = AttributesQuality(name, rows_read=len(ids) + totals, rows_used=len(used), dropped=dropped, as_of=day)
    account = _Account(quality, columns, rows=first_row + used)
    if totals:
        account.note("attributes_total_row", f"{totals:,} total row(s) dropped (合计 / Total)", count=totals)

    def cells(header: str):
        return _text(raw[header])[used]

    out: dict[str, Any] = {"customer_id": pd.Series(ids[used], dtype=object)}
    if "gender" in columns:
        codes, texts, counts, read = _per_value(cells(columns["gender"]), _gender)
        account.unknown("gender", {t: int(n) for t, n, (_, known) in zip(texts, counts, read) if not known})
        out["gender"] = pd.Series(_spread(codes, [g for g, _ in read]), dtype=object)
        coded = sum(int(n) for t, n in zip(texts, counts) if t in _GENDER_CODES)
        if coded:
            account.note(
                "attributes_gender_codes",
                f"gender ({columns['gender']}): {coded:,} value(s) are GB/T 2261.1 codes, read as 1 male, 2 female, "
                "0 and 9 not stated",
                column=columns["gender"],
                count=coded,
            )
    births = None
    if "birth_date" in columns:
        births = _dates("birth_date", cells(columns["birth_date"]), account, day)
        out["birth_date"] = pd.Series(births.astype("datetime64[s]"))
    if "birth_date" in columns and day is None:
        account.note(
            "attributes_no_as_of",
            f"no as-of date given: ages are not computed from the birth dates ({columns['birth_date']})",
            column=columns["birth_date"],
        )
    ages: np.ndarray | None = None
    if births is not None and day is not None:
        ages = np.where(np.isnat(births), -1, _ages(births, day))
    if "age" in columns:
        stated = _age_column(cells(columns["age"]), account)
        ages = stated if ages is None else np.where(ages >= 0, ages, stated)
    if ages is not None:
        known = ages >= 0
        out["age"] = pd.arrays.IntegerArray(np.where(known, ages, 0).astype("int64"), ~known)
        labels = band_labels(edges)
        band = np.searchsorted(np.asarray(edges), np.where(known, ages, 0), side="right")
        out["age_band"] = pd.Categorical.from_codes(
            np.where(known, band, -1).astype(np.int64), categories=pd.Index(labels), ordered=True
        )
    if "province" in columns:
        codes, _, _, provinces = _per_value(cells(columns["province"]), province_of)
        out["province"] = pd.Series(_spread(codes, provinces), dtype=object)
    if "city" in columns:
        codes, _, _, cities = _per_value(cells(columns["city"]), _city)
        out["city"] = pd.Series(_spread(codes, cities), dtype=object)
    if "join_date" in columns:
        out["join_date"] = pd.Series(
            _dates("join_date", cells(columns["join_date"]), account, day).astype("datetime64[s]")
        )
    for role in ("tier", "source_channel"):
        if role in columns:
            out[role] = pd.Series(cells(columns[role]), dtype=object)
    frame = pd.DataFrame({c: out[c] for c in FRAME_COLUMNS if c in out})
    by_frame: dict[str, str] = {}
    added: dict[str, str] = {}  # header -> its frame column, so a header named twice is one column
    for wanted, (kind, column) in by_columns.items():
        if kind == "header" and column not in added:
            target = column
            while target in frame.columns:  # a header spelled like one of the frame's own columns
                target += " (by)"
            frame[target] = pd.Series(cells(column), dtype=object).to_numpy()
            added[column] = target
        by_frame[wanted] = column if kind == "role" else added[column]
    present = tuple(r for r in COLUMN_ALIASES if r in columns)
    return Attributes(
        frame=frame,
        columns=columns,
        present=present,
        quality=quality,
        notes=account.notes,
        by=by_frame,
        age_bands=edges,
    )
