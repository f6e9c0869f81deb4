"""Tests for crmkit.ladder: hand-built ladders, proxies, lifecycle stages, rules files, migration."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import ColumnError, ConfigError, DataError, UsageError
from crmkit.ladder import (
    RUNGS,
    STAGES,
    ladder,
    ladder_at_two_dates,
    load_rules,
    migration,
    migration_summary,
)

AS_OF = dt.date(2024, 6, 30)


def transactions(purchases: dict[str, list[str]]) -> pd.DataFrame:
    """A transactions frame from ``{customer_id: [dates]}``, one purchase of 10 per date."""
    rows = [(cid, day) for cid, days in purchases.items() for day in days]
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.to_datetime([r[1] for r in rows]).astype("datetime64[ns]"),
            "amount": 10.0,
            "is_return": False,
        }
    )


def every(start: str, end: str, days: int) -> list[str]:
    return [d.strftime("%Y-%m-%d") for d in pd.date_range(start, end, freq=f"{days}D")]


# Base population, all hand-checked against the default rules (no model: < 20 repeat buyers).
BASE = {
    "one": ["2024-06-01"],  # 1 occasion, 29 days ago
    "old1": ["2023-01-01"],  # 1 occasion, 546 days ago
    "reg": every("2024-01-01", "2024-06-28", 30),  # 6 occasions, gap 30, 12 days ago, tenure 181
    "new2": ["2024-06-01", "2024-06-20"],  # 2 occasions, gap 19, 10 days ago
    "lapsed": ["2024-01-01", "2024-01-31", "2024-03-01"],  # gap 30, 121 days ago > 1.5 x 30
}


def by_id(result) -> pd.DataFrame:
    return result.people.set_index("customer_id")


# --- rungs and stages without survey ----------------------------------------------------------


def test_behavioural_rungs_and_stages():
    members = pd.DataFrame(
        {
            "customer_id": ["m1", "m2", "m3", "one"],
            "registered": [False, True, False, True],
            "enquired": [False, False, True, False],
        }
    )
    result = ladder(transactions(BASE), AS_OF, members=members)
    people = by_id(result)
    assert people.loc["m1", "rung"] == "suspect"
    assert people.loc["m2", "rung"] == "prospect" and "registered" in people.loc["m2", "reason"]
    assert people.loc["m3", "rung"] == "prospect" and "enquired" in people.loc["m3", "reason"]
    # a registered member who bought is a customer: purchases outrank signs of interest
    assert people.loc["one", "rung"] == "customer"
    assert people.loc["old1", "rung"] == "customer"
    assert people.loc["lapsed", "rung"] == "customer" and "not active" in people.loc["lapsed", "reason"]
    # two regulars (occasions 6 and 2): "reg" clears the supporter proxy (6 >= max(floor 3, 0.75
    # quantile 5); tenure 181 >= max(floor 180, quantile 143)) and the advocate bar on occasions
    # (6 >= max(floor 5, 0.9 quantile 5.6)), but its last purchase is 31 days > 1 x its gap of 30
    assert people.loc["reg", "rung"] == "supporter" and "proxy" in people.loc["reg", "reason"]
    assert people.loc["new2", "rung"] == "regular"

    assert people.loc["one", "lifecycle_stage"] == "exploration"
    assert people.loc["old1", "lifecycle_stage"] == "decline"
    assert people.loc["lapsed", "lifecycle_stage"] == "decline"
    assert people.loc["reg", "lifecycle_stage"] == "stability"
    assert people.loc["new2", "lifecycle_stage"] == "formation"
    assert people.loc["m1", "lifecycle_stage"] == "none"

    assert people.loc["reg", "occasions"] == 6 and people.loc["reg", "frequency"] == 5
    assert people.loc["reg", "recency_days"] == 31 and people.loc["reg", "mean_gap_days"] == 30
    assert people.loc["new2", "mean_gap_days"] == 19
    assert people["p_alive"].isna().all()
    assert any("no BG/NBD model" in n for n in result.notes)
    # basis: behaviour below regular; regulars here failed the supporter proxy
    assert (people.loc[["m1", "m2", "one", "lapsed"], "basis"] == "behaviour").all()
    assert people.loc["reg", "basis"] == "proxy" and people.loc["new2", "basis"] == "proxy"
    assert any("no survey given" in n for n in result.notes)


def test_distribution_and_stage_tables_in_order():
    members = pd.DataFrame({"customer_id": ["m1", "m2"], "registered": [False, True]})
    result = ladder(transactions(BASE), AS_OF, members=members)
    dist = result.distribution
    assert dist["rung"].tolist() == list(RUNGS)
    assert dict(zip(dist["rung"], dist["count"])) == {
        "suspect": 1,
        "prospect": 1,
        "customer": 3,
        "regular": 1,
        "supporter": 1,
        "advocate": 0,
    }
    assert dist["share"].sum() == pytest.approx(1.0)
    stages = result.stages
    assert stages["lifecycle_stage"].tolist() == list(STAGES)
    assert dict(zip(stages["lifecycle_stage"], stages["count"])) == {
        "exploration": 1,
        "formation": 1,
        "stability": 1,
        "decline": 2,
        "none": 2,
    }
    # people sorted top rung first
    ranks = result.people["rung"].map({r: i for i, r in enumerate(RUNGS)})
    assert ranks.is_monotonic_decreasing


def test_formation_by_short_tenure_despite_many_occasions():
    tx = transactions({"busy": every("2024-05-01", "2024-06-29", 7)})  # 9 occasions, tenure 60
    people = by_id(ladder(tx, AS_OF))
    assert people.loc["busy", "occasions"] >= 4
    assert people.loc["busy", "lifecycle_stage"] == "formation"


def test_decline_by_gap_beyond_own_rhythm_but_within_activity_window():
    # gap 10, 18 days since the last purchase: > 1.5 x gap (not a regular), < 2 x gap (not declining)
    tx = transactions({"slow": ["2024-05-23", "2024-06-02", "2024-06-12"], "gone": ["2024-05-01", "2024-05-11"]})
    people = by_id(ladder(tx, AS_OF))
    assert people.loc["slow", "rung"] == "customer"
    assert people.loc["slow", "lifecycle_stage"] == "formation"
    assert people.loc["gone", "lifecycle_stage"] == "decline"  # 50 days > 2 x 10


def test_rows_after_as_of_are_ignored():
    tx = transactions({"later": ["2024-07-05"], "one": ["2024-06-01", "2024-07-05"]})
    people = by_id(ladder(tx, AS_OF))
    assert "later" not in people.index
    assert people.loc["one", "occasions"] == 1


def test_return_only_buyer_and_numeric_member_ids():
    tx = transactions({"17": ["2024-06-01"]})
    tx = pd.concat(
        [
            tx,
            pd.DataFrame(
                {"customer_id": ["r"], "date": pd.to_datetime(["2024-06-02"]), "amount": [-5.0], "is_return": [True]}
            ),
        ],
        ignore_index=True,
    )
    people = by_id(ladder(tx, AS_OF, members=pd.DataFrame({"customer_id": [17, 18]})))
    assert people.loc["17", "rung"] == "customer"  # member 17 and customer "17" are one person
    assert people.loc["18", "rung"] == "suspect"
    assert people.loc["r", "rung"] == "suspect"  # a return alone is no purchase occasion
    assert len(people) == 3


# --- survey and referrals -----------------------------------------------------------------------

REGULARS = {
    "s1": every("2024-01-01", "2024-06-28", 30),
    "s2": every("2024-01-02", "2024-06-29", 30),
    "s3": every("2024-01-03", "2024-06-30", 30),
    "s4": every("2024-01-04", "2024-06-30", 30),
}


def test_survey_and_referral_rungs():
    survey = pd.DataFrame(
        {
            "customer_id": ["s1", "s2", "s3", "s4", "r0"],
            "satisfaction": [80.0, 90.0, 50.0, 75.0, 99.0],
            "recommend": [5.0, 10.0, 10.0, np.nan, 10.0],
        }
    )
    referrals = pd.DataFrame({"referrer_id": ["s1", "ref0"], "referred_id": ["x9", "x8"]})
    result = ladder(transactions(REGULARS), AS_OF, survey=survey, referrals=referrals)
    people = by_id(result)
    assert people.loc["s1", "rung"] == "advocate" and "1 referral" in people.loc["s1", "reason"]
    assert people.loc["s2", "rung"] == "advocate" and "recommend 10 >= 9" in people.loc["s2", "reason"]
    assert people.loc["s3", "rung"] == "regular" and "satisfaction 50 < 70" in people.loc["s3", "reason"]
    # satisfied, no recommend answer, referrals known and none made: evidence beats the proxy
    assert people.loc["s4", "rung"] == "supporter"
    assert (people.loc[["s1", "s2", "s3", "s4"], "basis"] == "survey").all()
    assert people.loc["r0", "rung"] == "prospect" and "survey" in people.loc["r0", "reason"]
    assert people.loc["ref0", "rung"] == "prospect" and "referred someone" in people.loc["ref0", "reason"]
    assert people.loc["x9", "rung"] == "suspect" and "referred by" in people.loc["x9", "reason"]
    assert people.loc["s1", "referrals"] == 1 and people.loc["s2", "referrals"] == 0
    assert not any("proxy" in n for n in result.notes)


def test_satisfied_without_recommend_or_referrals_uses_advocate_proxy():
    survey = pd.DataFrame({"customer_id": ["s1"], "satisfaction": [95.0]})
    people = by_id(ladder(transactions(REGULARS), AS_OF, survey=survey))
    assert people.loc["s1", "rung"] in ("supporter", "advocate")
    assert people.loc["s1", "basis"] == "proxy"  # the advocate test fell back to the proxy
    assert "proxy" in people.loc["s1", "reason"]


def test_survey_answers_after_as_of_are_ignored():
    survey = pd.DataFrame({"customer_id": ["p"], "satisfaction": [90.0], "date": pd.to_datetime(["2024-07-02"])})
    people = by_id(ladder(transactions({"x": ["2024-06-01"]}), AS_OF, survey=survey))
    assert "p" not in people.index


def test_survey_out_of_range_is_a_data_error():
    survey = pd.DataFrame({"customer_id": ["s1"], "recommend": [11.0]})
    with pytest.raises(DataError, match="recommend"):
        ladder(transactions(REGULARS), AS_OF, survey=survey)


# --- behavioural proxies ------------------------------------------------------------------------

PROXY_RULES = {
    "proxy": {
        "supporter_quantile": 0.0,
        "advocate_quantile": 0.0,
        "supporter_min_occasions": 10,
        "supporter_min_tenure_days": 300,
        "advocate_min_occasions": 40,
    }
}
PROXY_PEOPLE = {
    "heavy": every("2023-07-03", "2024-06-24", 7),  # 52 occasions, gap 7, 6 days ago
    "heavy_late": every("2023-07-07", "2024-06-21", 7),  # 51 occasions, gap 7, 9 days ago (> 1 x gap)
    "mid": every("2023-07-05", "2024-06-25", 30),  # 12 occasions, tenure 361
    "young": ["2024-05-01", "2024-06-01", "2024-06-25"],  # 3 occasions, tenure 60
}


def test_proxy_rungs_with_floors():
    result = ladder(transactions(PROXY_PEOPLE), AS_OF, rules=PROXY_RULES)
    people = by_id(result)
    assert people.loc["heavy", "rung"] == "advocate"
    assert people.loc["heavy_late", "rung"] == "supporter"
    assert people.loc["mid", "rung"] == "supporter"
    assert people.loc["young", "rung"] == "regular"
    assert (people["basis"] == "proxy").all()
    assert any("placed by proxy" in n for n in result.notes)
    assert any("advocate rung uses the behavioural proxy" in n for n in result.notes)


def test_proxy_quantiles_with_default_rules():
    # occasions among regulars 52, 51, 12, 3: the 0.75 quantile is 51.25, the 0.9 quantile 51.7
    people = by_id(ladder(transactions(PROXY_PEOPLE), AS_OF))
    assert people.loc["heavy", "rung"] == "advocate"
    assert people.loc["heavy_late", "rung"] == "regular"  # 51 occasions < 51.25
    assert people.loc["mid", "rung"] == "regular"


def test_proxies_off_keeps_top_rungs_empty():
    result = ladder(
        transactions(PROXY_PEOPLE),
        AS_OF,
        rules={**PROXY_RULES, "proxy": {**PROXY_RULES["proxy"], "use_proxies": False}},
    )
    people = by_id(result)
    assert set(people["rung"]) == {"regular"}
    assert (people["basis"] == "behaviour").all()
    assert any("proxies are off" in n for n in result.notes)


# --- the BG/NBD path ----------------------------------------------------------------------------


def simulated(n: int = 80, seed: int = 3) -> pd.DataFrame:
    """Buy-till-you-die purchases: exponential gaps, dropout with probability p after each purchase."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(AS_OF)
    purchases = {}
    for i in range(n):
        day = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 180)))
        mean_gap, dropout = rng.gamma(2.0, 15.0), rng.beta(1.0, 4.0)
        days = [day]
        while rng.random() > dropout:
            day += pd.Timedelta(days=1 + int(rng.exponential(mean_gap)))
            if day > end:
                break
            days.append(day)
        purchases[f"c{i:02d}"] = [d.strftime("%Y-%m-%d") for d in days]
    return transactions(purchases)


def test_model_path_p_alive_and_rules_agree():
    result = ladder(simulated(), AS_OF)
    assert result.model is not None and result.model["model"] == "bgnbd"
    assert any("BG/NBD model fitted" in n for n in result.notes)
    people = result.people
    assert people["p_alive"].between(0, 1).all()
    repeat = people[people["frequency"] > 0]
    active = (repeat["p_alive"] >= 0.5) | (repeat["recency_days"] <= 1.5 * repeat["mean_gap_days"])
    assert (repeat.loc[active, "rung"] != "customer").all()
    assert (repeat.loc[~active, "rung"] == "customer").all()
    declining = (repeat["p_alive"] < 0.5) | (repeat["recency_days"] > 2 * repeat["mean_gap_days"])
    assert (repeat.loc[declining, "lifecycle_stage"] == "decline").all()
    assert (repeat.loc[~declining, "lifecycle_stage"] != "decline").all()


def test_lang_zh_labels_and_actions():
    result = ladder(transactions(BASE), AS_OF, members=pd.DataFrame({"customer_id": ["m1"]}), lang="zh")
    people = by_id(result)
    assert people.loc["m1", "rung_label"] == "潜在顾客"
    assert people.loc["one", "stage_label"] == "考察期"
    assert people.loc["new2", "rung_label"] == "常客"
    assert people.loc["m1", "next_action"] == load_rules()["rungs"]["suspect"]["next_action_zh"]
    assert "购买" in people.loc["one", "reason"]
    assert result.distribution["rung_label"].tolist()[-1] == "拥护者"


def test_bad_inputs():
    # is_return is optional: a plain table is cleaned like an export (returns = negative amounts)
    plain = by_id(ladder(transactions(BASE).drop(columns="is_return"), AS_OF))
    assert plain["rung"].to_dict() == by_id(ladder(transactions(BASE), AS_OF))["rung"].to_dict()
    with pytest.raises(ColumnError, match="date"):
        ladder(transactions(BASE).drop(columns=["is_return", "date"]), AS_OF)
    with pytest.raises(ColumnError, match="referred_id"):
        ladder(transactions(BASE), AS_OF, referrals=pd.DataFrame({"referrer_id": ["a"]}))
    with pytest.raises(UsageError):
        ladder(transactions(BASE), AS_OF, lang="fr")


# --- rules --------------------------------------------------------------------------------------


def test_default_rules_complete():
    rules = load_rules()
    assert rules["activity"]["min_repeat_buyers"] == 20
    assert rules["survey"]["recommend_min"] == 9
    assert set(rules["rungs"]) == set(RUNGS)
    assert all(
        set(texts) == {"label_en", "label_zh", "next_action_en", "next_action_zh"} for texts in rules["rungs"].values()
    )


def test_user_rules_file_overrides_only_its_keys(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[survey]\nsatisfaction_min = 80\n[rungs.advocate]\nlabel_en = "Champion"\n', encoding="utf-8")
    rules = load_rules(path)
    assert rules["survey"]["satisfaction_min"] == 80.0
    assert rules["survey"]["recommend_min"] == 9
    assert rules["rungs"]["advocate"]["label_en"] == "Champion"
    assert rules["rungs"]["advocate"]["label_zh"] == "拥护者"
    result = ladder(
        transactions(REGULARS),
        AS_OF,
        rules=str(path),
        survey=pd.DataFrame({"customer_id": ["s1"], "satisfaction": [75.0]}),
    )
    assert by_id(result).loc["s1", "rung"] == "regular"  # 75 < 80


@pytest.mark.parametrize(
    "text, key",
    [
        ("[activity]\np_alive_min = 1.5\n", "activity.p_alive_min"),
        ('[activity]\np_alive_min = "high"\n', "activity.p_alive_min"),
        ("[activity]\nmin_repeat_buyers = 2.5\n", "activity.min_repeat_buyers"),
        ('[activity]\nunit = "fortnight"\n', "activity.unit"),
        ("[survey]\nrecommend_min = true\n", "survey.recommend_min"),
        ("[survey]\nsatisfaction_floor = 70\n", "survey.satisfaction_floor"),
        ("[proxy]\nuse_proxies = 1\n", "proxy.use_proxies"),
        ("[lifecycle]\ndecline_gap_multiple = 0\n", "lifecycle.decline_gap_multiple"),
        ("[lifecycle]\nexploration_days = nan\n", "lifecycle.exploration_days"),
        ("[ladder]\nx = 1\n", "[ladder]"),
        ("survey = 3\n", "survey"),
        ('[rungs.fan]\nlabel_en = "Fan"\n', "rungs.fan"),
        ('[rungs.advocate]\nlabel_fr = "Fan"\n', "rungs.advocate.label_fr"),
        ("[rungs.advocate]\nlabel_en = 3\n", "rungs.advocate.label_en"),
        ("[survey\n", "not valid TOML"),
    ],
)
def test_rules_file_errors_name_the_key(tmp_path, text, key):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    assert key in str(info.value)
    assert info.value.exit_code == 6


def test_rules_missing_file_and_mapping_errors(tmp_path):
    with pytest.raises(UsageError, match="not a file"):
        load_rules(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="proxy.advocate_quantile"):
        load_rules({"proxy": {"advocate_quantile": -0.1}})


# --- migration ----------------------------------------------------------------------------------


def check_margins(before, after, matrix):
    b = before.distribution.set_index("rung")["count"]
    a = after.distribution.set_index("rung")["count"]
    new = len(set(after.people["customer_id"]) - set(before.people["customer_id"]))
    left = len(set(before.people["customer_id"]) - set(after.people["customer_id"]))
    rows = matrix.sum(axis=1)
    cols = matrix.sum(axis=0)
    assert rows[list(RUNGS)].tolist() == b[list(RUNGS)].tolist()
    assert rows["new"] == new
    assert cols[list(RUNGS)].tolist() == a[list(RUNGS)].tolist()
    assert cols["left"] == left
    assert matrix.loc["new", "left"] == 0
    assert matrix.to_numpy().sum() == len(set(before.people["customer_id"]) | set(after.people["customer_id"]))


def test_migration_at_two_dates_adds_up():
    tx = transactions({**BASE, "late": ["2024-06-15"]})
    members = pd.DataFrame({"customer_id": ["m1", "one"], "registered": [False, True]})
    before, after, matrix = ladder_at_two_dates(tx, AS_OF, dt.date(2024, 3, 15), members=members)
    assert before.as_of == dt.date(2024, 3, 15) and after.as_of == AS_OF
    assert list(matrix.index) == [*RUNGS, "new"] and list(matrix.columns) == [*RUNGS, "left"]
    check_margins(before, after, matrix)
    assert matrix.loc["prospect", "customer"] == 1  # "one": registered member, then bought
    assert matrix.loc["new", "customer"] == 1  # "late" first bought after 15 March
    assert matrix.loc["new", "regular"] == 1  # so did "new2"
    assert matrix.loc["regular", "customer"] == 1  # "lapsed" slipped
    summary = migration_summary(matrix).set_index("movement")["people"]
    assert summary.sum() == matrix.to_numpy().sum()
    assert summary["new"] == 2 and summary["left"] == 0
    assert summary["moved_up"] >= 1 and summary["slipped_down"] >= 1


def test_migration_with_people_leaving():
    tx = transactions(BASE)
    before = ladder(tx, AS_OF, members=pd.DataFrame({"customer_id": ["m1", "m2"]}))
    after = ladder(tx, AS_OF, members=pd.DataFrame({"customer_id": ["m2", "m3", "m4"]}))
    matrix = migration(before, after)
    check_margins(before, after, matrix)
    assert matrix.loc["suspect", "left"] == 1 and matrix.loc["new", "suspect"] == 2
    summary = migration_summary(matrix).set_index("movement")["people"]
    assert summary["left"] == 1 and summary["new"] == 2 and summary["moved_up"] == 0
    assert summary["stayed"] == len(before.people) - 1


def test_migration_random_ladders_add_up():
    tx = simulated(n=40, seed=11)
    before, after, matrix = ladder_at_two_dates(
        tx,
        "2024-06-30",
        "2023-09-30",
        referrals=pd.DataFrame({"referrer_id": ["c01", "c02"], "referred_id": ["zz", "c03"]}),
    )
    check_margins(before, after, matrix)
