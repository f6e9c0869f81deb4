"""compare_ladders (the call behind `crmkit ladder` and the monthly report) and the reason sentences."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import UsageError
from crmkit.io.inputs import read_members, read_referrals, read_survey
from crmkit.io.purchases import read_purchases
from crmkit.ladder import RUNGS, LadderComparison, compare_ladders, ladder, load_rules, migration_summary, month_before
from crmkit.ladder.explain import REASONS, SIGNS, Outcomes, reasons, sentences
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

# one set of values per reason key, of the kind the placement records
VALUES = {
    "suspect": {"source": "member list"},
    "prospect": {"signs": "registered, enquired"},
    "one": {"recency": 29.0},
    "active_yes": {"occasions": 6, "activity": "P(alive) 0.80 >= 0.50"},
    "active_no": {"occasions": 3, "activity": "40 days since last purchase > 1.5 x mean gap 20 days"},
    "p_alive": {"value": 0.8, "op": ">=", "min": 0.5},
    "cycle": {"recency": 40.0, "op": ">", "k": 1.5, "gap": 20.0},
    "sat_yes": {"value": 80.0, "min": 70.0},
    "sat_no": {"value": 50.0, "min": 70.0},
    "sup_proxy_yes": {"occasions": 9, "tenure": 400.0},
    "sup_proxy_no": {"occasions": 2, "tenure": 30.0},
    "no_proxy": {},
    "rec_yes": {"value": 10.0, "min": 9.0},
    "ref_yes": {"value": 2},
    "rec_no": {"value": "-", "refs": 0},
    "adv_proxy_yes": {"occasions": 40, "cycles": 1.0},
    "adv_proxy_no": {"occasions": 4, "cycles": 1.0},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_explain_renders_every_reason_key(lang):
    templates = {
        key for key, text in REASONS[lang].items() if isinstance(text, str) and key not in ("and", "or", "sep", "list")
    }
    assert templates == set(VALUES)
    assert set(REASONS["en"]) == set(REASONS["zh"])
    for key, values in VALUES.items():
        (sentence,) = sentences(key, lang, n=1, **values)
        assert sentence and "{" not in sentence and "}" not in sentence, (key, sentence)


def _people(**columns):
    """A people table as :func:`ladder` assembles it, with defaults for what a case leaves out."""
    n = len(next(iter(columns.values())))
    base = {"source": ["purchases"] * n, "frequency": [5.0] * n, "occasions": [6.0] * n, "recency_days": [40.0] * n,
            "tenure_days": [400.0] * n, "mean_gap_days": [20.0] * n, "p_alive": [0.8] * n,
            "satisfaction": [np.nan] * n, "recommend": [np.nan] * n, "referrals": [0] * n}  # fmt: skip
    base.update({sign: [False] * n for sign in SIGNS})
    return pd.DataFrame({**base, **columns})


def _outcomes(n, **arrays):
    base = {"first": ["active"] * n, "p_alive_ok": [True] * n, "cycle_ok": [False] * n, "active": [True] * n}
    base.update({"supporter": [""] * n, "supporter_ok": [False] * n, "advocate": [""] * n, "advocate_ok": [False] * n})
    base.update(arrays)
    flags = {"fitted": base.pop("fitted", True), "have_referrals": base.pop("have_referrals", True)}
    return Outcomes(**{k: np.array(v, dtype=object if k in ("first", "supporter", "advocate") else bool)
                       for k, v in base.items()}, **flags)  # fmt: skip


def test_reason_sentences_word_for_word():
    rules = load_rules()
    people = _people(
        satisfaction=[80.0, np.nan, np.nan, np.nan, np.nan],
        frequency=[5.0, 2.0, np.nan, np.nan, 0.0],
        occasions=[6.0, 3.0, np.nan, np.nan, 1.0],
        registered=[False, False, True, False, False],
        enquired=[False, False, True, False, False],
        survey=[False, False, True, False, False],
        referrer=[False, False, True, False, False],
        source=["purchases", "purchases", "member", "referred", "purchases"],
        recency_days=[40.0, 40.0, np.nan, np.nan, 29.4],
        p_alive=[0.8, 0.3, np.nan, np.nan, np.nan],
    )
    outcomes = _outcomes(
        5,
        first=["active", "active", "prospect", "suspect", "one"],
        active=[True, False, False, False, False],
        p_alive_ok=[True, False, False, False, False],
        supporter=["sat", "", "", "", ""],
        supporter_ok=[True, False, False, False, False],
        advocate=["rec", "", "", "", ""],
    )
    en, lapsed, keen, known, one = reasons(people, outcomes, rules)
    assert en == (
        "6 purchase occasions and active: P(alive) 0.80 >= 0.50 or 40 days since last purchase "
        "> 1.5 x mean gap 20 days; satisfaction 80 >= 70 (survey); recommend - and 0 "
        "referral(s): not a recommender"
    )
    assert lapsed == (
        "3 purchase occasions but not active: P(alive) 0.30 < 0.50 and 40 days since last purchase "
        "> 1.5 x mean gap 20 days"
    )
    assert keen == "no purchase yet; sign of interest: registered, enquired, answered a survey, referred someone"
    assert known == "known contact (referred by a customer); no purchase and no sign of interest"
    assert one == "one purchase occasion, 29 days ago"
    zh = reasons(people, outcomes, rules, "zh")
    assert zh[0] == (
        "购买 6 次且仍活跃：存活概率 0.80 ≥ 0.50，或距上次购买 40 天 > 1.5 × 平均间隔 20 天；"
        "满意度 80 ≥ 70（调查）；推荐意愿 -，推荐 0 人：未达推荐标准"
    )
    assert zh[2] == "尚未购买；有兴趣表示：已注册、已咨询、参与调查、推荐过他人"
    # without referral data, the referral count is unknown, not zero
    unknown = reasons(people[:1], _outcomes(1, supporter=["sat"], supporter_ok=[True], advocate=["rec"],
                                            have_referrals=False), rules)  # fmt: skip
    assert unknown[0].endswith("recommend - and - referral(s): not a recommender")
    with pytest.raises(UsageError):
        reasons(people, outcomes, rules, "fr")


def test_every_contact_source_is_named():
    rules = load_rules()
    for lang in ("en", "zh"):
        sources = list(REASONS[lang]["sources"])
        people = _people(source=sources, frequency=[np.nan] * len(sources))
        said = reasons(people, _outcomes(len(sources), first=["suspect"] * len(sources)), rules, lang)
        assert all(REASONS[lang]["sources"][s] in r for s, r in zip(sources, said, strict=True))


def test_deciding_does_not_depend_on_the_language(purchases):
    transactions, as_of = purchases
    en, zh = (ladder(transactions, as_of, lang=lang).people for lang in ("en", "zh"))
    columns = ["customer_id", "rung", "basis", "lifecycle_stage"]
    pd.testing.assert_frame_equal(en[columns], zh[columns])
    assert (en["reason"] != zh["reason"]).all()
