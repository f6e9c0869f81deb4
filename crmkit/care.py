"""The care calendar: whose birthday, membership anniversary or first-purchase anniversary is coming up.

For every customer of the attributes file (:func:`crmkit.io.attributes.read_attributes`) and every
purchasing customer (:func:`crmkit.io.purchases.as_purchases`), the occasions falling in the window
``[start, start + within)`` (``start`` defaults to ``as_of``):

* ``birthday`` — from ``birth_date``; ``years`` is the age turned. A member with an age but no
  birth date has no birthday to greet (counted in the notes);
* ``membership`` — from ``join_date``; ``years`` the years of membership completed;
* ``first_purchase`` — from the first purchase (:attr:`SegmentResult.customers` ``first_purchase``,
  up to ``as_of``); ``years`` the years since.

A 29 February falls on 28 February in a common year (:func:`crmkit.io.attributes.anniversary`, the
rule ages use, so a customer is a year older on the day they are greeted). Only anniversaries
(``years`` >= 1) are occasions: a join date inside the window is no anniversary.

Each occasion carries the customer's loyalty-ladder rung (:func:`crmkit.ladder.ladder`, with the
attributes file as the member list: a member who never bought is a suspect, or a prospect with a
sign of interest), the RFM segment (:func:`crmkit.segment.segment`), net revenue and last purchase
to ``as_of``, and a suggested action chosen by :func:`suggest_action` (the table :data:`ACTIONS`).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from crmkit.errors import UsageError
from crmkit.io.attributes import Attributes, anniversary, read_attributes
from crmkit.io.options import as_date, check_lang
from crmkit.io.purchases import as_purchases
from crmkit.io.quality import Message

#: The occasions, in the order a day's rows are listed.
KINDS = ("birthday", "membership", "first_purchase")
#: Occasion labels in English and Chinese.
KIND_LABELS = {
    "birthday": {"en": "Birthday", "zh": "生日"},
    "membership": {"en": "Membership anniversary", "zh": "入会周年"},
    "first_purchase": {"en": "First-purchase anniversary", "zh": "首购周年"},
}
#: The calendar's columns (:meth:`CareCalendar.rows`), in this order.
COLUMNS = (
    "customer_id",
    "kind",
    "kind_label",
    "date",
    "days_until",
    "years",
    "rung",
    "rung_label",
    "segment",
    "segment_label",
    "revenue",
    "last_purchase",
    "action",
    "action_label",
)
#: The longest window: a year and a day, so an occasion appears at most twice.
MAX_WITHIN_DAYS = 366
#: RFM segments of the bundled schemes whose customers are slipping away or gone: their occasion is
#: a reason to win them back (standard: Fader-style R x FM grid; cn8: the 保持/挽留 classes).
LAPSING = frozenset(
    {
        "about_to_sleep",
        "at_risk",
        "cant_lose_them",
        "hibernating",
        "lost",
        "important_retain",
        "important_winback",
        "general_retain",
        "general_winback",
    }
)
#: The rungs of people who never bought, and the top rungs (:mod:`crmkit.ladder.placement`).
NEVER_BOUGHT = frozenset({"suspect", "prospect"})
TOP_RUNGS = frozenset({"supporter", "advocate"})

#: Action key -> label in English and Chinese; :func:`suggest_action` says which applies.
ACTIONS: dict[str, dict[str, str]] = {
    "first_purchase_invite": {
        "en": "Greeting with a first-purchase coupon",
        "zh": "致以问候并赠送首单优惠券",
    },
    "personal_gift": {
        "en": "Personal birthday greeting and a gift",
        "zh": "专属生日问候并赠送礼品",
    },
    "thank_you_perk": {
        "en": "Thank-you note with an exclusive perk (early access, an invitation)",
        "zh": "致谢并提供专属权益（新品优先体验、活动邀请）",
    },
    "win_back": {
        "en": "Win-back offer tied to the occasion",
        "zh": "借此时机发送挽回优惠",
    },
    "welcome_back": {
        "en": "Welcome-back coupon for the next purchase",
        "zh": "发放回购欢迎券",
    },
    "birthday_coupon": {
        "en": "Birthday greeting with a birthday coupon",
        "zh": "生日祝福并赠送生日券",
    },
    "anniversary_greeting": {
        "en": "Anniversary greeting with bonus points",
        "zh": "周年问候并赠送积分",
    },
}

_WITHIN = re.compile(
    r"^(\d+)\s*(d|days?|天|日|w|wks?|weeks?|周|星期|m|mos?|months?|个月|月|y|yrs?|years?|年)?$", re.IGNORECASE
)
_UNIT = {"天": "d", "日": "d", "周": "w", "星期": "w", "个月": "m", "月": "m", "年": "y"}


def parse_within(within: int | str, start: date | None = None) -> int:
    """A window length in days from ``30``, ``"30d"``, ``"4w"``, ``"2m"``, ``"1y"`` (or 30天, 4周, 2个月).

    Months and years are calendar months from ``start`` (the day of month kept, or the month's last
    day when it is shorter: 31 January + 1m ends on 28/29 February); without ``start`` a month is 30
    days and a year 365.

    Raises
    ------
    crmkit.errors.UsageError
        Text that is no duration, a window of 0 days or longer than :data:`MAX_WITHIN_DAYS`.

    Examples
    --------
    >>> parse_within("30d"), parse_within("4w"), parse_within("2m", date(2025, 1, 1)), parse_within(14)
    (30, 28, 59, 14)
    """
    if isinstance(within, (int, np.integer)) and not isinstance(within, bool):
        count, unit = int(within), "d"
    else:
        match = _WITHIN.match(str(within).strip())
        if match is None:
            raise UsageError(f"--within looks like 30d, 4w, 2m or 30, not {within!r}")
        count, word = int(match.group(1)), (match.group(2) or "d").lower()
        unit = _UNIT.get(word, word[0])
    if unit == "d":
        days = count
    elif unit == "w":
        days = 7 * count
    elif start is None:
        days = count * (30 if unit == "m" else 365)
    else:
        months = count * (1 if unit == "m" else 12)
        year, month = divmod(start.month - 1 + months, 12)
        year += start.year
        month += 1
        if year > 9999:
            raise UsageError(f"--within {within!r} runs past the calendar")
        end = date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
        days = (end - start).days
    if not 1 <= days <= MAX_WITHIN_DAYS:
        raise UsageError(f"--within must be between 1 and {MAX_WITHIN_DAYS} days, not {within!r} ({days} days)")
    return days


def suggest_action(kind: str, rung: str, segment: str | None) -> str:
    """The action key (:data:`ACTIONS`) for an occasion; the first rule that matches wins.

    1. never bought (rung ``suspect`` or ``prospect``): ``first_purchase_invite``;
    2. ``supporter`` or ``advocate``: ``personal_gift`` on a birthday, else ``thank_you_perk``;
    3. a lapsing RFM segment (:data:`LAPSING`): ``win_back``;
    4. rung ``customer`` (one purchase occasion, or a repeat buyer no longer active), not a
       birthday: ``welcome_back``;
    5. otherwise ``birthday_coupon`` on a birthday, ``anniversary_greeting`` on an anniversary.

    The top rungs come before the segment: the ladder judges activity by each customer's own
    purchase rhythm, which for a loyal customer outweighs a recency score ranked across the base.

    Examples
    --------
    >>> suggest_action("first_purchase", "customer", "at_risk"), suggest_action("membership", "customer", "loyal")
    ('win_back', 'welcome_back')
    """
    if rung in NEVER_BOUGHT:
        return "first_purchase_invite"
    if rung in TOP_RUNGS:
        return "personal_gift" if kind == "birthday" else "thank_you_perk"
    if segment in LAPSING:
        return "win_back"
    if rung == "customer" and kind != "birthday":
        return "welcome_back"
    return "birthday_coupon" if kind == "birthday" else "anniversary_greeting"


@dataclass
class CareCalendar:
    """The occasions coming up (:func:`care_calendar`).

    Attributes
    ----------
    occasions : pandas.DataFrame
        One row per occasion, :data:`COLUMNS`, sorted by ``date``, then ``customer_id``, then kind
        in :data:`KINDS` order. ``date`` and ``last_purchase`` are ``datetime64`` (NaT for a member
        who never bought); ``days_until`` = days from ``as_of`` (negative when ``start`` is before
        it); ``years`` the age turned or the years completed; ``revenue`` net revenue to ``as_of``
        (0 for one who never bought); ``segment``/``segment_label`` None for one who never bought;
        ``action`` a key of :data:`ACTIONS`, ``action_label`` its text in ``lang``.
    counts : dict
        Kind -> occasions in the window.
    start, end : datetime.date
        The window ``[start, end)``.
    within_days : int
    as_of : datetime.date
    kinds : tuple of str
    members, buyers : int
        Customers in the attributes file; customers who bought up to ``as_of``.
    notes : list of Message
        The attributes file's notes, then this calendar's (members without a birth date or join
        date, members who never bought, buyers missing from the file, 29 February occasions).
    scheme, lang : str
    """

    occasions: Any
    counts: dict[str, int]
    start: date
    end: date
    within_days: int
    as_of: date
    kinds: tuple[str, ...]
    members: int
    buyers: int
    scheme: str
    lang: str
    notes: list[Message] = field(default_factory=list)

    def rows(self):
        """The occasions (:data:`COLUMNS`), what ``crmkit care -f csv`` writes."""
        return self.occasions.copy()

    def to_dict(self) -> dict:
        """Everything as JSON-ready values."""
        from crmkit.io.engine import records

        return {
            "as_of": self.as_of.isoformat(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "within_days": self.within_days,
            "kinds": list(self.kinds),
            "scheme": self.scheme,
            "lang": self.lang,
            "members": self.members,
            "buyers": self.buyers,
            "counts": dict(self.counts),
            "occasions": records(self.occasions),
            "notes": [str(n) for n in self.notes],
        }


def _kinds(kinds: Sequence[str] | str) -> tuple[str, ...]:
    names = kinds.split(",") if isinstance(kinds, str) else list(kinds)
    out: list[str] = []
    for name in (str(n).strip() for n in names):
        if name not in KINDS:
            raise UsageError(f"--kinds takes {', '.join(KINDS)}, not {name!r}")
        if name not in out:
            out.append(name)
    if not out:
        raise UsageError(f"--kinds needs at least one of {', '.join(KINDS)}")
    return tuple(out)


def occurrences(ids, days, start: date, end: date):
    """Anniversaries of ``days`` (``datetime64``, NaT skipped) in ``[start, end)``, one year or more after.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, date, years, leap_moved`` (``leap_moved``: a 29 February on 28 February).
    """
    import pandas as pd

    base = pd.DataFrame({"customer_id": np.asarray(ids, dtype=object), "base": pd.to_datetime(pd.Series(days))})
    base = base[base["base"].notna()].reset_index(drop=True)
    frames = []
    for year in range(start.year, end.year + 1):
        month_day = (base["base"].dt.month * 100 + base["base"].dt.day).to_numpy()
        # anniversary() once per calendar day (2000 is a leap year, so every day exists in it)
        on = {
            md: pd.Timestamp(anniversary(date(2000, md // 100, md % 100), year)) for md in np.unique(month_day).tolist()
        }
        when = pd.to_datetime(pd.Series(month_day, dtype="int64").map(on))
        moved = (month_day == 229) & (not calendar.isleap(year))
        years = year - base["base"].dt.year.to_numpy()
        inside = (when >= pd.Timestamp(start)) & (when < pd.Timestamp(end)) & (years >= 1)
        inside = inside.to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": base["customer_id"].to_numpy()[inside],
                    "date": when.to_numpy()[inside],
                    "years": years[inside].astype("int64"),
                    "leap_moved": moved[inside],
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["customer_id", "date", "years", "leap_moved"])
    return pd.concat(frames, ignore_index=True)


def care_calendar(
    purchases,
    attributes,
    as_of=None,
    *,
    within: int | str = 30,
    start=None,
    kinds: Sequence[str] | str = KINDS,
    scheme: str = "standard",
    lang: str = "en",
) -> CareCalendar:
    """Birthdays, membership and first-purchase anniversaries coming up, with who the customer is.

    Parameters
    ----------
    purchases : path, PurchaseData or table
        The purchase export (anything :func:`crmkit.io.purchases.as_purchases` takes).
    attributes : Attributes, path or table
        The customer attributes, read (:func:`crmkit.io.attributes.read_attributes`) or to read
        (with ``as_of``).
    as_of : date or ISO text, optional
        The analysis date for rungs, segments and revenue; default the last purchase date
        (:meth:`PurchaseData.resolve_as_of`).
    within : int or str
        The window length (:func:`parse_within`: ``30``, ``"30d"``, ``"4w"``, ``"2m"``); default 30 days.
    start : date or ISO text, optional
        The window's first day (default ``as_of``); the window is ``[start, start + within)``.
    kinds : sequence of str or str
        Occasions to list, of :data:`KINDS` (``"birthday,membership"`` is two).
    scheme, lang : str
        The RFM segment scheme and the language of labels and actions (:func:`crmkit.segment.segment`).

    Returns
    -------
    CareCalendar

    Raises
    ------
    crmkit.errors.UsageError
        A bad ``within``, ``kinds``, ``start`` or ``lang``.
    crmkit.errors.InputError
        ``attributes`` is neither :class:`~crmkit.io.attributes.Attributes` nor readable.

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"customer_id": ["a", "b"], "amount": [10, 15], "date": ["2024-01-05", "2024-12-01"]})
    >>> members = pd.DataFrame({"customer_id": ["a", "z"], "birthday": ["1990-12-25", "2000-01-03"]})
    >>> found = care_calendar(sales, members, "2024-12-20", within="30d")
    >>> found.occasions[["customer_id", "kind", "years", "rung", "action"]].values.tolist()
    [['a', 'birthday', 34, 'customer', 'win_back'], ['z', 'birthday', 25, 'suspect', 'first_purchase_invite'], \
['a', 'first_purchase', 1, 'customer', 'win_back']]
    """
    import pandas as pd

    from crmkit.ladder import ladder
    from crmkit.segment import segment

    lang = check_lang(lang)
    chosen = _kinds(kinds)
    data = as_purchases(purchases)
    day = data.resolve_as_of(None if as_of is None else as_date(as_of, "as_of"))
    first = day if start is None else as_date(start, "start")
    within_days = parse_within(within, first)
    end = first + timedelta(days=within_days)
    if not isinstance(attributes, Attributes):
        attributes = read_attributes(attributes, as_of=day)
    frame = attributes.frame
    member_ids = frame["customer_id"].astype(str).to_numpy(dtype=object)

    rfm = segment(data, day, scheme=scheme, lang=lang).customers
    buyer_ids = rfm["customer_id"].astype(str).to_numpy(dtype=object)
    placed = ladder(data, day, members=pd.DataFrame({"customer_id": member_ids}), lang=lang).people
    rungs = placed.set_index(placed["customer_id"].astype(str))

    found = []
    for kind in chosen:
        if kind == "first_purchase":
            ids, days = buyer_ids, rfm["first_purchase"]
        elif kind == "birthday":
            ids, days = (
                member_ids,
                frame["birth_date"] if "birth_date" in frame else pd.Series(pd.NaT, index=frame.index),
            )
        else:
            ids, days = member_ids, frame["join_date"] if "join_date" in frame else pd.Series(pd.NaT, index=frame.index)
        found.append(occurrences(ids, days.to_numpy(), first, end).assign(kind=kind))
    occasions = pd.concat(found, ignore_index=True)

    by_buyer = rfm.set_index(rfm["customer_id"].astype(str))
    ids = occasions["customer_id"].astype(str)
    occasions["rung"] = ids.map(rungs["rung"]).astype(object)
    occasions["rung_label"] = ids.map(rungs["rung_label"]).astype(object)
    occasions["segment"] = ids.map(by_buyer["segment"].astype(str)).astype(object)
    occasions["segment_label"] = ids.map(by_buyer["segment_label"].astype(str)).astype(object)
    occasions["revenue"] = ids.map(by_buyer["monetary"].astype(float)).fillna(0.0).astype(float)
    occasions["last_purchase"] = pd.to_datetime(ids.map(by_buyer["last_purchase"]))
    occasions["segment"] = occasions["segment"].where(occasions["segment"].notna(), None)
    occasions["segment_label"] = occasions["segment_label"].where(occasions["segment_label"].notna(), None)
    occasions["action"] = [
        suggest_action(k, r, s) for k, r, s in zip(occasions["kind"], occasions["rung"], occasions["segment"])
    ]
    occasions["action_label"] = occasions["action"].map({k: v[lang] for k, v in ACTIONS.items()})
    occasions["kind_label"] = occasions["kind"].map({k: v[lang] for k, v in KIND_LABELS.items()})
    occasions["date"] = pd.to_datetime(occasions["date"])
    occasions["days_until"] = (occasions["date"] - pd.Timestamp(day)).dt.days.astype("int64")
    occasions["_kind"] = occasions["kind"].map({k: i for i, k in enumerate(KINDS)})
    occasions = occasions.sort_values(["date", "customer_id", "_kind"], kind="mergesort").reset_index(drop=True)
    leap_moved = int(occasions["leap_moved"].sum())
    occasions = occasions[list(COLUMNS)]

    notes = list(attributes.notes)
    notes.extend(_notes(frame, chosen, member_ids, buyer_ids, leap_moved))
    return CareCalendar(
        occasions=occasions,
        counts={k: int((occasions["kind"] == k).sum()) for k in chosen},
        start=first,
        end=end,
        within_days=within_days,
        as_of=day,
        kinds=chosen,
        members=len(member_ids),
        buyers=len(buyer_ids),
        scheme=scheme,
        lang=lang,
        notes=notes,
    )


def _notes(frame, kinds: tuple[str, ...], member_ids, buyer_ids, leap_moved: int) -> list[Message]:
    """What a reader should know about who could not be on the calendar, and why."""
    import pandas as pd

    notes: list[Message] = []
    members = len(member_ids)
    for kind, column in (("birthday", "birth_date"), ("membership", "join_date")):
        if kind not in kinds:
            continue
        missing = int(frame[column].isna().sum()) if column in frame else members
        if not missing:
            continue
        text = f"{missing:,} of {members:,} members have no {column.replace('_', ' ')}: no {kind} to list"
        params: dict[str, object] = {"count": missing, "members": members, "kind": kind}
        if kind == "birthday" and "age" in frame and column in frame:
            age_only = int((frame[column].isna() & frame["age"].notna()).sum())
            if age_only:
                text += f" ({age_only:,} of them give an age only)"
            params["age_only"] = age_only
        notes.append(Message(text, f"care_no_{column}", **params))
    never = int((pd.Index(buyer_ids).get_indexer(member_ids) < 0).sum())
    if never and {"birthday", "membership"} & set(kinds):
        notes.append(
            Message(
                f"{never:,} members bought nothing up to the as-of date: listed for birthdays and membership "
                "with their ladder rung (suspect or prospect)",
                "care_never_bought",
                count=never,
            )
        )
    outside = int((pd.Index(member_ids).get_indexer(buyer_ids) < 0).sum())
    if outside:
        notes.append(
            Message(
                f"{outside:,} purchasing customers are not in the attributes file: only their first-purchase "
                "anniversaries can be listed",
                "care_without_attributes",
                count=outside,
            )
        )
    if leap_moved:
        notes.append(
            Message(
                f"{leap_moved:,} occasion(s) of 29 February fall on 28 February in a common year",
                "care_leap_day",
                count=leap_moved,
            )
        )
    return notes
