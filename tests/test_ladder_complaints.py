"""Complaints as a ladder signal: an open (or recent) complaint holds a would-be supporter at regular."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from crmkit.errors import ConfigError
from crmkit.feedback import complaint_signals
from crmkit.io.complaints import read_complaints
from crmkit.ladder import compare_ladders, ladder, load_rules
from crmkit.ladder.explain import HELD, sentences

AS_OF = dt.date(2024, 3, 10)
EX = Path(__file__).resolve().parents[1] / "examples"
RECOVERY_EN = load_rules()["complaints"]["next_action_en"]
RECENT_EN = load_rules()["complaints"]["recent_action_en"]


def _purchases(people) -> pd.DataFrame:
    """Three purchases a month apart each: with 9 days since the last and a 30-day gap, everyone is active."""
    days = ["2024-01-10", "2024-02-09", "2024-03-01"]
    return pd.DataFrame(
        {
            "customer_id": [p for p in people for _ in days],
            "date": pd.to_datetime([d for _ in people for d in days]),
            "amount": 10.0,
            "is_return": False,
        }
    )


# a: satisfied, complaint open             -> held at regular
# b: satisfied, complaint resolved          -> supporter, as without complaints
# c: not satisfied, complaint open          -> regular anyway (not held), recovery next action
# d: advocate, complaint opened 20 days before, resolved 10 days before -> held only with recent_days >= 20
# e: satisfied, complaint resolved after as_of -> open at as_of: held
# f: satisfied, complaint opened after as_of   -> ignored: supporter
# g: satisfied, never complained               -> supporter
PEOPLE = ["a", "b", "c", "d", "e", "f", "g"]
SURVEY = pd.DataFrame(
    {
        "customer_id": PEOPLE,
        "satisfaction": [80.0, 80.0, 50.0, 90.0, 80.0, 80.0, 80.0],
        "recommend": [5.0, 5.0, 5.0, 10.0, 5.0, 5.0, 5.0],
    }
)
EXPORT = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d", "e", "f"],
        "date": ["2024-03-01", "2024-01-15 10:00", "2024-02-01", "2024-02-19", "2024-03-05", "2024-03-20"],
        "status": ["pending", "closed", "open", "closed", "closed", "open"],
        "resolved_at": [None, "2024-01-16 09:00", None, "2024-02-29", "2024-03-12", None],
    }
)


def _ladder(rules=None, complaints=EXPORT, lang="en"):
    return ladder(_purchases(PEOPLE), AS_OF, survey=SURVEY, complaints=complaints, rules=rules, lang=lang)


def _by_id(result) -> pd.DataFrame:
    return result.people.set_index("customer_id")


def test_without_complaints_the_ladder_is_as_before():
    people = _by_id(_ladder(complaints=None))
    assert people["rung"].to_dict() == {
        "a": "supporter", "b": "supporter", "c": "regular", "d": "advocate", "e": "supporter", "f": "supporter",
        "g": "supporter",
    }  # fmt: skip
    assert "complaints" not in people.columns and "open_complaints" not in people.columns


def test_an_open_complaint_holds_a_would_be_supporter_at_regular():
    result = _ladder()
    people = _by_id(result)
    assert people["rung"].to_dict() == {
        "a": "regular", "b": "supporter", "c": "regular", "d": "advocate", "e": "regular", "f": "supporter",
        "g": "supporter",
    }  # fmt: skip
    # counted up to as_of; e's complaint is resolved only after it, f's opened after it
    assert people["complaints"].to_dict() == {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 0, "g": 0}
    assert people["open_complaints"].to_dict() == {"a": 1, "b": 0, "c": 1, "d": 0, "e": 1, "f": 0, "g": 0}
    assert people.loc["a", "last_complaint"] == pd.Timestamp("2024-03-01")
    assert pd.isna(people.loc["g", "last_complaint"])
    assert people.loc["a", "reason"].endswith(
        "satisfaction 80 >= 70 (survey); recommend 5 and - referral(s): not a recommender; "
        "held at regular: 1 open complaint(s), an expectation still unmet"
    )
    # c was never above regular: not held, so the reason says nothing of it, but the recovery comes first
    assert "held" not in people.loc["c", "reason"]
    assert people.loc[["a", "c", "e"], "next_action"].tolist() == [RECOVERY_EN] * 3
    assert people.loc["b", "next_action"] == load_rules()["rungs"]["supporter"]["next_action_en"]
    assert "2 people held at regular by a complaint" in " | ".join(result.notes)
    assert "complaints up to 2024-03-10: 5 of the people placed complained, 3 with a complaint still open" in (
        result.notes
    )


def test_recent_days_holds_a_recent_complaint_even_when_resolved():
    held = _by_id(_ladder({"complaints": {"recent_days": 20}}))
    assert held.loc["d", "rung"] == "regular"  # opened 2024-02-19: 20 days before 2024-03-10
    assert held.loc["d", "reason"].endswith("held at regular: a complaint 20 days ago (within 20 days)")
    assert held.loc["d", "next_action"] == RECENT_EN
    assert held.loc["b", "rung"] == "supporter"  # 55 days ago
    not_held = _by_id(_ladder({"complaints": {"recent_days": 19}}))
    assert not_held.loc["d", "rung"] == "advocate"
    result = _ladder({"complaints": {"recent_days": 60}})
    assert _by_id(result)["rung"].value_counts().to_dict() == {"regular": 5, "supporter": 2}
    assert "4 people held at regular by a complaint (2 open, 2 recent)" in " | ".join(result.notes)


def test_cap_open_false_leaves_open_complaints_uncapped():
    result = _ladder({"complaints": {"cap_open": False}})
    people = _by_id(result)
    assert people.loc["a", "rung"] == "supporter" and people.loc["e", "rung"] == "supporter"
    # the open complaint is still the next thing to do
    assert people.loc["a", "next_action"] == RECOVERY_EN
    assert any("both complaint rules are off" in note for note in result.notes)


def test_complaints_as_read_as_a_signals_frame_and_as_a_file_agree(tmp_path):
    expected = _ladder().people
    read = read_complaints(EXPORT)
    for given in (read, complaint_signals(read, AS_OF)):
        pd.testing.assert_frame_equal(_ladder(complaints=given).people, expected)
    path = tmp_path / "complaints.csv"
    EXPORT.to_csv(path, index=False)
    pd.testing.assert_frame_equal(_ladder(complaints=str(path)).people, expected)


def test_chinese_reasons_and_next_action():
    people = _by_id(_ladder({"complaints": {"recent_days": 20}}, lang="zh"))
    assert people.loc["a", "reason"].endswith("保持在常客：1 件投诉未解决，期望尚未满足")
    assert people.loc["d", "reason"].endswith("保持在常客：20 天前有投诉（20 天内）")
    assert people.loc["a", "next_action"] == load_rules()["complaints"]["next_action_zh"]
    assert people.loc["a", "rung_label"] == "常客"


def test_hold_sentences_exist_in_both_languages():
    assert set(HELD["en"]) == set(HELD["zh"]) == {"held_open", "held_recent"}
    for lang in ("en", "zh"):
        (said,) = sentences("held_recent", lang, n=1, days=3.0, recent=30.0)
        assert "3" in said and "30" in said and "{" not in said


def test_a_complainer_the_ladder_does_not_know_is_counted_not_placed():
    export = pd.concat([EXPORT, pd.DataFrame({"customer_id": ["zz"], "date": ["2024-03-02"], "status": ["open"]})])
    result = _ladder(complaints=export)
    assert "zz" not in set(result.people["customer_id"])
    assert any(note.startswith("1 complainer(s) are not in the purchases") for note in result.notes)


def test_compare_ladders_counts_complaints_at_each_date():
    ladders = compare_ladders(
        _purchases(PEOPLE), AS_OF, "2024-03-02", survey=SURVEY, complaints=read_complaints(EXPORT)
    )
    before, after = _by_id(ladders.before), _by_id(ladders.after)
    # on 2024-03-02 a's complaint (opened 03-01) is open, e's (opened 03-05) not yet made
    assert before.loc["a", "rung"] == "regular" and before.loc["e", "rung"] == "supporter"
    assert after.loc["e", "rung"] == "regular"
    assert int(ladders.matrix.loc["supporter", "regular"]) == 1  # e slipped
    # a frame of counts was made at one date: it applies to the later ladder only, and says so
    counted = compare_ladders(
        _purchases(PEOPLE), AS_OF, "2024-03-02", survey=SURVEY, complaints=complaint_signals(EXPORT, AS_OF)
    )
    assert "complaints" not in counted.before.people.columns
    assert any("applied at 2024-03-10 only" in note for note in counted.notes)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"complaints": {"recent_days": -1}}, "complaints.recent_days must be at least 0.0, not -1"),
        ({"complaints": {"cap_open": 1}}, "complaints.cap_open must be true or false, not 1"),
        ({"complaints": {"recent_days": True}}, "complaints.recent_days must be a number, not True"),
        ({"complaints": {"days": 3}}, "unknown key complaints.days"),
        ({"complaints": {"next_action_en": 3}}, "complaints.next_action_en must be a string, not 3"),
    ],
)
def test_complaint_rules_are_checked_key_by_key(rules, message):
    with pytest.raises(ConfigError) as info:
        load_rules(rules)
    assert message in info.value.message


def test_complaint_rules_from_a_file(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("[complaints]\nrecent_days = 45\ncap_open = false\n", encoding="utf-8")
    rules = load_rules(path)
    assert rules["complaints"]["recent_days"] == 45.0 and rules["complaints"]["cap_open"] is False
    assert rules["survey"] == load_rules()["survey"]
    path.write_text("[complaints]\nrecent_days = -2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="complaints.recent_days"):
        load_rules(path)


def test_the_examples_hold_people_at_regular():
    """examples/complaints.csv on examples/sales.csv at the last purchase (2024-12-31)."""
    complaints = read_complaints(EX / "complaints.csv")
    plain = ladder(str(EX / "sales.csv"))
    result = ladder(str(EX / "sales.csv"), complaints=complaints)
    people = result.people
    held = people["reason"].str.contains("held at regular")
    assert int(held.sum()) == 1
    assert int((people["open_complaints"] > 0).sum()) == 150
    assert int((people["complaints"] > 0).sum()) == 299
    before = plain.distribution.set_index("rung")["count"]
    after = result.distribution.set_index("rung")["count"]
    assert int(after["regular"] - before["regular"]) == 1
    assert int(before["supporter"] + before["advocate"] - after["supporter"] - after["advocate"]) == 1
    recent = ladder(str(EX / "sales.csv"), complaints=complaints, rules={"complaints": {"recent_days": 90}})
    assert int(recent.people["reason"].str.contains("held at regular").sum()) == 3
