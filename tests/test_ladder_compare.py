"""compare_ladders (the call behind `crmkit ladder` and the monthly report) and the reason sentences."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from crmkit.errors import UsageError
from crmkit.io.inputs import read_members, read_referrals, read_survey
from crmkit.io.purchases import read_purchases
from crmkit.ladder import RUNGS, LadderComparison, compare_ladders, ladder, migration_summary, month_before
from crmkit.ladder.explain import REASONS, Fact, reason
from crmkit.satisfaction import analyse_survey, survey_signals

EX = Path(__file__).resolve().parents[1] / "examples"
INPUTS = {name: EX / f"{name}.csv" for name in ("survey", "members", "referrals")}


@pytest.fixture(scope="module")
def purchases():
    data = read_purchases(str(EX / "sales.csv"))
    return data.transactions, data.resolve_as_of(None)


@pytest.fixture(scope="module")
def from_paths(purchases):
    transactions, as_of = purchases
    return compare_ladders(transactions, as_of, **{name: str(path) for name, path in INPUTS.items()})


def test_paths_and_frames_read_already_give_the_same_ladders(purchases, from_paths):
    transactions, as_of = purchases
    frame, first_row = read_survey(str(INPUTS["survey"]))
    signals = survey_signals(frame, "ecsi", first_row=first_row, source=str(INPUTS["survey"]))
    from_frames = compare_ladders(
        transactions,
        as_of,
        survey=signals,
        members=read_members(str(INPUTS["members"])),
        referrals=read_referrals(str(INPUTS["referrals"])),
    )
    # the monthly report hands over its survey analysis instead of having it redone
    result = analyse_survey(frame, "ecsi", first_row=first_row, source=str(INPUTS["survey"]))
    reused = compare_ladders(
        transactions,
        as_of,
        survey=INPUTS["survey"],
        members=INPUTS["members"],
        referrals=INPUTS["referrals"],
        survey_result=result,
    )
    for other in (from_frames, reused):
        pd.testing.assert_frame_equal(other.after.people, from_paths.after.people)
        pd.testing.assert_frame_equal(other.before.people, from_paths.before.people)
        pd.testing.assert_frame_equal(other.matrix, from_paths.matrix)
        assert other.notes == from_paths.notes


def test_default_date_is_a_month_before_and_order_does_not_matter(purchases, from_paths):
    transactions, as_of = purchases
    assert isinstance(from_paths, LadderComparison)
    assert from_paths.as_of == as_of == from_paths.after.as_of
    assert from_paths.compare_to == month_before(as_of) == from_paths.before.as_of
    assert from_paths.notes == from_paths.after.notes
    earlier = dt.date(2024, 6, 30)
    forward = compare_ladders(transactions, as_of, earlier)
    swapped = compare_ladders(transactions, earlier, as_of.isoformat())
    assert forward.compare_to == swapped.compare_to == earlier
    pd.testing.assert_frame_equal(forward.matrix, swapped.matrix)


def test_migration_sums_to_both_ladders(from_paths):
    before, after, matrix = from_paths.before, from_paths.after, from_paths.matrix
    ids_before, ids_after = set(before.people["customer_id"]), set(after.people["customer_id"])
    rows, cols = matrix.sum(axis=1), matrix.sum(axis=0)
    assert rows[list(RUNGS)].tolist() == before.distribution["count"].tolist()
    assert cols[list(RUNGS)].tolist() == after.distribution["count"].tolist()
    assert rows["new"] == len(ids_after - ids_before) and cols["left"] == len(ids_before - ids_after)
    assert matrix.to_numpy().sum() == len(ids_before | ids_after)
    summary = from_paths.summary
    pd.testing.assert_frame_equal(summary, migration_summary(matrix))
    assert summary["people"].sum() == len(ids_before | ids_after)
    assert summary["share"].sum() == pytest.approx(1.0)


def test_to_dict_is_json_ready(from_paths):
    doc = from_paths.to_dict()
    assert list(doc) == ["as_of", "compare_to", "distribution", "stages", "migration", "movements", "notes", "people"]
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc
    assert doc["as_of"] == from_paths.as_of.isoformat() and doc["compare_to"] == from_paths.compare_to.isoformat()
    assert [row["rung"] for row in doc["distribution"]] == list(RUNGS)
    assert list(doc["migration"]) == [*RUNGS, "new"] and list(doc["migration"]["new"]) == [*RUNGS, "left"]
    assert doc["migration"]["customer"]["regular"] == int(from_paths.matrix.loc["customer", "regular"])
    assert [row["movement"] for row in doc["movements"]] == ["moved_up", "stayed", "slipped_down", "new", "left"]
    people = doc["people"]
    assert len(people) == len(from_paths.after.people)
    assert people[0]["customer_id"] == from_paths.after.people["customer_id"].iloc[0]
    suspects = [p for p in people if p["rung"] == "suspect"]
    assert suspects and all(p["p_alive"] is None and p["occasions"] is None for p in suspects)
    assert all(isinstance(p["referrals"], int) for p in people)


def test_bad_dates_name_the_parameter():
    tx = pd.DataFrame(
        {"customer_id": ["a"], "date": pd.to_datetime(["2024-01-01"]), "amount": [1.0], "is_return": [False]}
    )
    with pytest.raises(UsageError, match="compare_to"):
        compare_ladders(tx, "2024-02-01", "last spring")
    with pytest.raises(UsageError, match="as_of"):
        compare_ladders(tx, "not a date")
    # no as_of: the last purchase date, compared with a month before
    assert compare_ladders(tx).as_of.isoformat() == "2024-01-01"


# --- the reason sentences -------------------------------------------------------------------------

CHECKS = (
    Fact("p_alive", True, {"value": 0.8, "min": 0.5}),
    Fact("cycle", False, {"recency": 40.0, "k": 1.5, "gap": 20.0}),
)
# one fact per reason key, with values of the kind the placement records
FACTS = {
    "suspect": Fact("suspect", None, {"source": "member"}),
    "prospect": Fact("prospect", None, {"signs": ("registered", "enquired", "survey", "referrer")}),
    "one": Fact("one", None, {"recency": 29.0}),
    "active_yes": Fact("active", True, {"occasions": 6, "checks": CHECKS}),
    "active_no": Fact("active", False, {"occasions": 3, "checks": CHECKS[1:]}),
    "p_alive": CHECKS[0],
    "cycle": CHECKS[1],
    "sat_yes": Fact("sat", True, {"value": 80.0, "min": 70.0}),
    "sat_no": Fact("sat", False, {"value": 50.0, "min": 70.0}),
    "sup_proxy_yes": Fact("sup_proxy", True, {"occasions": 9, "tenure": 400.0}),
    "sup_proxy_no": Fact("sup_proxy", False, {"occasions": 2, "tenure": 30.0}),
    "no_proxy": Fact("no_proxy"),
    "rec_yes": Fact("rec", True, {"value": 10.0, "min": 9.0}),
    "ref_yes": Fact("ref", True, {"value": 2}),
    "rec_no": Fact("rec", False, {"recommend": None, "referrals": 0}),
    "adv_proxy_yes": Fact("adv_proxy", True, {"occasions": 40, "cycles": 1.0}),
    "adv_proxy_no": Fact("adv_proxy", False, {"occasions": 4, "cycles": 1.0}),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_explain_renders_every_reason_key(lang):
    templates = {
        key for key, text in REASONS[lang].items() if isinstance(text, str) and key not in ("and", "or", "sep", "list")
    }
    assert templates == set(FACTS)
    assert set(REASONS["en"]) == set(REASONS["zh"])
    for key, fact in FACTS.items():
        assert fact.key == key
        sentence = reason([fact], lang)
        assert sentence and "{" not in sentence and "}" not in sentence, (key, sentence)
    for source in REASONS[lang]["sources"]:
        assert REASONS[lang]["sources"][source] in reason([Fact("suspect", None, {"source": source})], lang)


def test_reason_sentences_word_for_word():
    facts = [FACTS["active_yes"], FACTS["sat_yes"], FACTS["rec_no"]]
    assert reason(facts) == (
        "6 purchase occasions and active: P(alive) 0.80 >= 0.50 or 40 days since last purchase "
        "> 1.5 x mean gap 20 days; satisfaction 80 >= 70 (survey); recommend - and 0 "
        "referral(s): not a recommender"
    )
    assert reason(facts, "zh") == (
        "购买 6 次且仍活跃：活跃概率 0.80 >= 0.50或距上次购买 40 天 > 1.5 × 平均间隔 20 天；"
        "满意度 80 ≥ 70（调查）；推荐意愿 -，推荐 0 人：未达推荐标准"
    )
    assert reason([FACTS["active_no"]]) == (
        "3 purchase occasions but not active: 40 days since last purchase > 1.5 x mean gap 20 days"
    )
    assert reason([FACTS["prospect"]], "zh") == "尚未购买；有兴趣表示：已注册、已咨询、参与调查、推荐过他人"
    with pytest.raises(UsageError):
        reason([FACTS["one"]], "fr")


def test_deciding_does_not_depend_on_the_language(purchases):
    transactions, as_of = purchases
    en, zh = (ladder(transactions, as_of, lang=lang).people for lang in ("en", "zh"))
    columns = ["customer_id", "rung", "basis", "lifecycle_stage"]
    pd.testing.assert_frame_equal(en[columns], zh[columns])
    assert (en["reason"] != zh["reason"]).all()
