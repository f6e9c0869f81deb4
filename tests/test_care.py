"""crmkit.care: the care calendar of birthdays and anniversaries, with rung, segment and action."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.care import ACTIONS, COLUMNS, KINDS, care_calendar, occurrences, parse_within, suggest_action
from crmkit.errors import UsageError
from crmkit.io.attributes import anniversary, read_attributes
from crmkit.segment import segment

AS_OF = "2025-12-20"  # window [2025-12-20, 2026-01-19) with 30 days: the year wraps

# m1 bought once; p1 (not a member) bought twice, first on 2023-01-10; the other members never bought
PURCHASES = [("m1", "2024-06-01", 50.0), ("p1", "2023-01-10", 20.0), ("p1", "2025-12-01", 30.0)]
MEMBERS = [
    # id, birth date, age, join date
    ("m1", "1990-01-05", "", "2020-03-01"),  # birthday 2026-01-05, turning 36
    ("m2", "2000-02-29", "", ""),  # leap day: 28 Feb in a common year
    ("m3", "1985-12-19", "", ""),  # the day before the window: next one is 2026-12-19
    ("m4", "1985-12-20", "", "2024-12-31"),  # on the first day (inclusive); membership year 1 on 2025-12-31
    ("m5", "1985-01-19", "", "2025-12-25"),  # on the end day (exclusive); joined inside the window: year 0
    ("m6", "", "40", ""),  # an age only: no birthday
]


def purchases() -> pd.DataFrame:
    return pd.DataFrame(PURCHASES, columns=["customer_id", "date", "amount"])


def members() -> pd.DataFrame:
    return pd.DataFrame(MEMBERS, columns=["会员编号", "出生日期", "年龄", "入会日期"])


@pytest.fixture(scope="module")
def wrap():
    return care_calendar(purchases(), members(), AS_OF, within="30d")


def test_year_end_wrap_by_hand(wrap):
    got = wrap.occasions[["customer_id", "kind", "date", "days_until", "years"]]
    expected = [
        ("m4", "birthday", pd.Timestamp("2025-12-20"), 0, 40),
        ("m4", "membership", pd.Timestamp("2025-12-31"), 11, 1),
        ("m1", "birthday", pd.Timestamp("2026-01-05"), 16, 36),
        ("p1", "first_purchase", pd.Timestamp("2026-01-10"), 21, 3),
    ]
    assert [tuple(r) for r in got.itertuples(index=False)] == expected
    assert list(wrap.occasions.columns) == list(COLUMNS)
    assert wrap.start == date(2025, 12, 20) and wrap.end == date(2026, 1, 19) and wrap.within_days == 30
    assert wrap.counts == {"birthday": 2, "membership": 1, "first_purchase": 1}
    assert (wrap.members, wrap.buyers) == (6, 2)


def test_rungs_segments_revenue_and_actions(wrap):
    rows = wrap.occasions.set_index(["customer_id", "kind"])
    # m4 never bought: a suspect (the member list gives no sign of interest), no segment, no revenue
    m4 = rows.loc[("m4", "birthday")]
    assert m4["rung"] == "suspect" and m4["segment"] is None and m4["revenue"] == 0.0
    assert pd.isna(m4["last_purchase"]) and m4["action"] == "first_purchase_invite"
    # m1 bought once: rung customer; p1 twice, the last 19 days ago within its own cycle: regular
    assert rows.loc[("m1", "birthday"), "rung"] == "customer"
    assert rows.loc[("p1", "first_purchase"), "rung"] == "regular"
    assert rows.loc[("m1", "birthday"), "revenue"] == 50.0 and rows.loc[("p1", "first_purchase"), "revenue"] == 50.0
    assert rows.loc[("p1", "first_purchase"), "last_purchase"] == pd.Timestamp("2025-12-01")
    rfm = segment(purchases(), AS_OF).customers.set_index("customer_id")["segment"]
    for (customer, kind), row in rows.iterrows():
        assert row["segment"] == rfm.get(customer)
        assert row["action"] == suggest_action(kind, row["rung"], row["segment"])
        assert row["action_label"] == ACTIONS[row["action"]]["en"]


def test_notes_count_who_is_missing(wrap):
    keys = {n.key: n for n in wrap.notes}
    assert keys["care_no_birth_date"].params == {"count": 1, "members": 6, "kind": "birthday", "age_only": 1}
    assert "1 of them give an age only" in keys["care_no_birth_date"]
    assert keys["care_no_join_date"].params["count"] == 3
    assert keys["care_never_bought"].params["count"] == 5
    assert keys["care_without_attributes"].params["count"] == 1  # p1


@pytest.mark.parametrize(
    ("start", "expected", "leap_notes"),
    [("2026-02-20", pd.Timestamp("2026-02-28"), 1), ("2028-02-20", pd.Timestamp("2028-02-29"), 0)],
)
def test_leap_day_birthday(start, expected, leap_notes):
    found = care_calendar(purchases(), members(), AS_OF, within="2w", start=start, kinds="birthday")
    m2 = found.occasions[found.occasions["customer_id"] == "m2"]
    assert m2["date"].tolist() == [expected]
    assert m2["years"].tolist() == [expected.year - 2000]
    assert m2["days_until"].tolist() == [(expected.date() - date(2025, 12, 20)).days]
    assert sum(n.key == "care_leap_day" for n in found.notes) == leap_notes


def test_kinds_start_and_language():
    found = care_calendar(purchases(), members(), AS_OF, within=30, kinds=["membership"], lang="zh")
    assert found.occasions["kind"].tolist() == ["membership"]
    assert found.occasions["kind_label"].tolist() == ["入会周年"]
    assert found.occasions["action_label"].tolist() == [ACTIONS["first_purchase_invite"]["zh"]]
    assert "care_no_birth_date" not in {n.key for n in found.notes}
    with pytest.raises(UsageError, match="--kinds"):
        care_calendar(purchases(), members(), AS_OF, kinds="anniversary")


def test_read_attributes_given_and_to_dict(wrap):
    read = read_attributes(members(), as_of=AS_OF)
    again = care_calendar(purchases(), read, AS_OF, within="30d")
    pd.testing.assert_frame_equal(again.occasions, wrap.occasions)
    payload = json.loads(json.dumps(wrap.to_dict()))
    assert payload["start"] == "2025-12-20" and payload["end"] == "2026-01-19"
    assert [o["customer_id"] for o in payload["occasions"]] == ["m4", "m4", "m1", "p1"]
    assert len(wrap.rows()) == 4


def test_parse_within():
    assert parse_within("30d") == 30 and parse_within("30") == 30 and parse_within(7) == 7
    assert parse_within("4w") == 28 and parse_within("4周") == 28 and parse_within("10天") == 10
    assert parse_within("2m") == 60 and parse_within("1y") == 365
    assert parse_within("1m", date(2024, 1, 31)) == 29  # to 29 February 2024, the month's last day
    assert parse_within("2个月", date(2025, 12, 20)) == (date(2026, 2, 20) - date(2025, 12, 20)).days
    assert parse_within("1y", date(2024, 1, 1)) == 366
    for bad in ("0d", "soon", "13m", "-3d", "400"):
        with pytest.raises(UsageError):
            parse_within(bad)


def test_action_rule_table():
    assert suggest_action("birthday", "advocate", "champions") == "personal_gift"
    assert suggest_action("birthday", "advocate", "at_risk") == "personal_gift"  # the rung comes first
    assert suggest_action("membership", "supporter", "loyal") == "thank_you_perk"
    assert suggest_action("first_purchase", "customer", "at_risk") == "win_back"
    assert suggest_action("birthday", "regular", "important_winback") == "win_back"
    assert suggest_action("membership", "customer", "new_customers") == "welcome_back"
    assert suggest_action("birthday", "customer", "new_customers") == "birthday_coupon"
    assert suggest_action("membership", "regular", "loyal") == "anniversary_greeting"
    assert suggest_action("birthday", "prospect", None) == "first_purchase_invite"
    assert set(KINDS) == {"birthday", "membership", "first_purchase"}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.dates(date(1950, 1, 1), date(2030, 12, 31)), min_size=1, max_size=20),
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    st.integers(1, 366),
)
def test_occurrences_match_a_day_by_day_scan(days, start, within):
    end = start + timedelta(days=within)
    ids = [f"c{i}" for i in range(len(days))]
    got = occurrences(ids, pd.to_datetime(pd.Series(days)).to_numpy(), start, end)
    expected = sorted(
        (cid, anniversary(d, y), y - d.year)
        for cid, d in zip(ids, days)
        for y in range(start.year, end.year + 1)
        if start <= anniversary(d, y) < end and y > d.year
    )
    assert sorted(zip(got["customer_id"], got["date"].dt.date, got["years"])) == expected
