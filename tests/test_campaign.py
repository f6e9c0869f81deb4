"""crmkit.campaign and crmkit.loyalty: effects per arm, economics, matched comparisons, power."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmkit.campaign import EFFECT_COLUMNS, VIEWS, campaign, parse_window
from crmkit.errors import UsageError
from crmkit.loyalty import loyalty
from crmkit.models import effects

CONTACT = "2024-02-01"  # 30d: after [02-01, 03-02), before [01-02, 02-01)
# a, b, c contacted; d, e, f held out; g in neither, buying in June so the data run past 30 days
SALES = [
    ("a", "2024-01-10", 10.0),
    ("a", "2024-02-05", 30.0),
    ("b", "2024-01-15", 20.0),
    ("c", "2024-01-20", 10.0),
    ("c", "2024-02-10", 20.0),
    ("c", "2024-02-12", -5.0),  # a return: net 15, one order
    ("d", "2024-01-25", 10.0),
    ("e", "2024-02-03", 40.0),  # no purchase before: not among those who could be retained
    ("f", "2024-01-05", 10.0),
    ("g", "2024-06-01", 10.0),
]
ARMS = {"a": "coupon", "b": "coupon", "c": "coupon", "d": "control", "e": "control", "f": "control"}


def sales() -> pd.DataFrame:
    return pd.DataFrame(SALES, columns=["customer_id", "date", "amount"])


def sent(**extra) -> pd.DataFrame:
    frame = pd.DataFrame({"customer_id": list(ARMS), "group": list(ARMS.values()), "contact_date": CONTACT})
    return frame.assign(**extra)


def effect(result, metric, adjustment="none", window="30d"):
    rows = result.effects
    return rows[(rows["metric"] == metric) & (rows["adjustment"] == adjustment) & (rows["window"] == window)].iloc[0]


@pytest.fixture(scope="module")
def result():
    return campaign(sales(), sent(), windows=["30d", "180d"], margin=0.5, cost_per_contact=1.0)


def test_hand_computed_arms(result):
    arms = result.arms[result.arms["window"] == "30d"].set_index("arm")
    coupon, control = arms.loc["coupon"], arms.loc["control"]
    assert coupon["customers"] == 3 and control["customers"] == 3
    assert coupon["conversion_rate"] == pytest.approx(2 / 3) and control["conversion_rate"] == pytest.approx(1 / 3)
    assert coupon["revenue_per_customer"] == pytest.approx(15.0)  # (30 + 0 + 15) / 3
    assert control["revenue_per_customer"] == pytest.approx(40 / 3)
    assert coupon["aov"] == pytest.approx(22.5) and control["aov"] == pytest.approx(40.0)
    assert coupon["retention_rate"] == pytest.approx(2 / 3) and control["retention_rate"] == 0.0  # d, f bought before
    assert coupon["pre_revenue_per_customer"] == pytest.approx(40 / 3)


def test_hand_computed_effects_against_scipy(result):
    conversion = effect(result, "conversion")
    oracle = effects.proportion_difference([1, 0, 1], [0, 1, 0])
    assert conversion["difference"] == pytest.approx(1 / 3)
    assert (conversion["ci_low"], conversion["ci_high"]) == pytest.approx((oracle.ci_low, oracle.ci_high))
    assert conversion["relative_lift"] == pytest.approx(1.0)  # (2/3 - 1/3) / (1/3)
    revenue = effect(result, "revenue")
    welch = stats.ttest_ind([30.0, 0.0, 15.0], [0.0, 40.0, 0.0], equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert revenue["difference"] == pytest.approx(15 - 40 / 3)
    assert (revenue["ci_low"], revenue["ci_high"], revenue["p_value"]) == pytest.approx((ci.low, ci.high, welch.pvalue))
    assert revenue["method"] == "welch" and revenue["evidence"] == "randomised"
    retention = effect(result, "retention")
    assert retention["difference"] == pytest.approx(2 / 3)
    assert (retention["n_treated"], retention["n_control"]) == (3, 2)


def test_cuped_beside_the_plain_estimate(result):
    for metric, pre in (("conversion", "pre_converted"), ("revenue", "pre_revenue"), ("orders", "pre_orders")):
        cuped = effect(result, metric, "cuped")
        people = result.customers[result.customers["window"] == "30d"]
        t, c = people[people["role"] == "treated"], people[people["role"] == "control"]
        column = {"conversion": "converted"}.get(metric, metric)
        oracle = effects.cuped_difference(t[column], t[pre], c[column], c[pre])
        assert cuped["difference"] == pytest.approx(oracle.estimate)
        assert cuped["method"] == "cuped-welch"
    assert list(result.effects.columns) == list(EFFECT_COLUMNS)


def test_economics_and_roi(result):
    row = result.economics[result.economics["window"] == "30d"].iloc[0]
    revenue = effect(result, "revenue")
    assert row["incremental_revenue"] == pytest.approx(5.0)  # (15 - 40/3) x 3
    assert row["incremental_revenue_ci_low"] == pytest.approx(revenue["ci_low"] * 3)
    assert row["incremental_profit"] == pytest.approx(2.5)  # x margin 0.5
    assert row["cost"] == 3.0 and row["cost_source"] == "per_contact"
    assert row["roi"] == pytest.approx((2.5 - 3) / 3)
    assert row["roi_ci_high"] == pytest.approx((revenue["ci_high"] * 3 * 0.5 - 3) / 3)


def test_cost_column_counts_only_the_contacted():
    found = campaign(sales(), sent(cost=["2", "2", "2", "5", "5", "5"]), margin=0.5)
    row = found.economics.iloc[0]
    assert row["cost"] == 6.0 and row["cost_source"] == "file"
    assert "campaign_control_cost" in [n.key for n in found.notes]


def test_no_cost_no_roi_and_no_margin_is_revenue():
    found = campaign(sales(), sent())
    row = found.economics.iloc[0]
    assert math.isnan(row["cost"]) and math.isnan(row["roi"]) and row["cost_source"] == "none"
    assert row["margin"] == 1.0 and row["incremental_profit"] == row["incremental_revenue"]
    keys = [n.key for n in found.notes]
    assert "campaign_no_cost" in keys and "campaign_no_margin" in keys
    assert found.headline["roi"] is None


def test_a_window_past_the_data_is_incomplete(result):
    assert effect(result, "conversion")["complete"]
    assert not effect(result, "conversion", window="180d")["complete"]
    notes = [n for n in result.notes if n.key == "campaign_incomplete"]
    assert [n.params["window"] for n in notes] == ["180d"] and notes[0].params["count"] == 6


def test_views_headline_and_json(result):
    assert result.VIEWS == VIEWS
    for name in VIEWS:
        assert isinstance(result.view(name), pd.DataFrame)
    with pytest.raises(UsageError):
        result.view("nope")
    text = json.dumps(result.headline, allow_nan=False)
    assert json.loads(text)["evidence"] == "randomised"
    assert result.headline["conversion_difference"] == pytest.approx(1 / 3)
    assert not any(isinstance(v, np.generic) for v in result.headline.values())
    json.dumps(result.to_dict(), default=str)


def test_segments_power_and_balance(result):
    segments = result.segments[result.segments["window"] == "30d"]
    assert segments["n_treated"].sum() == 3 and set(segments["arm"]) == {"coupon"}
    assert segments["largest"].sum() <= 1
    power = result.power[(result.power["window"] == "30d") & (result.power["metric"] == "conversion")].iloc[0]
    assert power["mde"] == pytest.approx(effects.minimum_detectable_effect(3, 3, rate=1 / 3))
    assert power["n_per_arm_target"] == effects.sample_size(0.1 / 3, rate=1 / 3)  # +10% of 1/3
    assert set(result.balance["covariate"]) == {"recency_days", "frequency", "log_monetary", "tenure_days"}


def test_deterministic():
    first = campaign(sales(), sent(), windows=["30d"], method="bootstrap", seed=3)
    second = campaign(sales(), sent(), windows=["30d"], method="bootstrap", seed=3)
    for name in VIEWS:
        pd.testing.assert_frame_equal(first.view(name), second.view(name))
    assert json.dumps(first.to_dict(), default=str) == json.dumps(second.to_dict(), default=str)


def test_matched_comparison_is_labelled():
    # t1 and t2 contacted (no group column); p1 and p2 are their twins before contact; z is far off
    rows = [
        ("t1", "2024-01-10", 10.0),
        ("t1", "2024-02-10", 50.0),
        ("p1", "2024-01-10", 10.0),
        ("p1", "2024-02-12", 20.0),
        ("t2", "2023-06-01", 100.0),
        ("t2", "2024-01-20", 100.0),
        ("p2", "2023-06-01", 100.0),
        ("p2", "2024-01-20", 100.0),
        ("p2", "2024-02-20", 30.0),
        ("z", "2022-01-01", 5000.0),
        ("z", "2024-04-01", 1.0),
    ]
    purchases = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    contacted = pd.DataFrame({"customer_id": ["t1", "t2"], "date": [CONTACT] * 2})
    found = campaign(purchases, contacted, windows=["30d"])
    assert found.evidence == "matched" and found.headline["evidence"] == "matched"
    for name in ("effects", "arms", "economics", "power"):
        assert set(found.view(name)["evidence"]) == {"matched"}
    assert found.notes[0].key == "campaign_matched_evidence" and "not proof" in found.notes[0]
    customers = found.customers
    pairs = dict(
        zip(
            customers.loc[customers["role"] == "treated", "customer_id"],
            customers.loc[customers["role"] == "treated", "matched_to"],
        )
    )
    assert pairs == {"t1": "p1", "t2": "p2"}
    revenue = effect(found, "revenue", "did")
    # t1: (50 - 10) - (20 - 10) = 30; t2: (0 - 100) - (30 - 100) = -30
    assert revenue["difference"] == pytest.approx(0.0)
    oracle = stats.ttest_1samp([30.0, -30.0], 0.0).confidence_interval(0.95)
    assert (revenue["ci_low"], revenue["ci_high"]) == pytest.approx((oracle.low, oracle.high))
    assert set(found.effects["adjustment"]) == {"did"}


def test_bad_options():
    with pytest.raises(UsageError, match="--window"):
        campaign(sales(), sent(), windows=["soon"])
    with pytest.raises(UsageError, match="--method"):
        campaign(sales(), sent(), method="magic")
    with pytest.raises(UsageError, match="--margin"):
        campaign(sales(), sent(), margin=30)
    assert parse_window("4w") == ("4w", 28) and parse_window(14) == ("14d", 14)


def test_planted_lift_inside_the_interval():
    synth = pytest.importorskip("crmkit.synth_campaigns")
    world = synth.campaign_world(2000, seed=1)
    found = campaign(world.purchases, world.campaign, windows=["30d"])
    for arm, lift in world.truth["conversion_lift_population"].items():
        row = found.effects[
            (found.effects["arm"] == arm)
            & (found.effects["metric"] == "conversion")
            & (found.effects["adjustment"] == "none")
        ].iloc[0]
        assert row["ci_low"] <= lift <= row["ci_high"], (arm, lift, row["ci_low"], row["ci_high"])


def test_no_effect_covers_zero_about_95_percent():
    synth = pytest.importorskip("crmkit.synth_campaigns")
    covered = total = 0
    for seed in range(20):
        world = synth.campaign_world(
            300, seed=100 + seed, conversion_lift={"sms": 0.0, "coupon": 0.0}, extra_spend={"sms": 0.0, "coupon": 0.0}
        )
        rows = campaign(world.purchases, world.campaign, windows=["30d"]).effects
        rows = rows[(rows["metric"] == "conversion") & (rows["adjustment"] == "none")]
        covered += int(((rows["ci_low"] <= 0) & (rows["ci_high"] >= 0)).sum())
        total += len(rows)
    assert total == 40 and covered >= 34  # 95% of 40 is 38; P(fewer than 34) < 2% at 95% coverage


def test_loyalty_hand_computed():
    # a joins at its 02-01 purchase; b buys on 02-03 (the nearest day within 7) with a's history shifted
    # two days, so it is the match anchored on 02-03; d buys on 02-20, too far from 02-01 to be compared
    purchases = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "b", "b", "b", "d", "d"],
            "amount": [10, 10, 20, 50, 10, 10, 20, 20, 10, 10],
            "date": ["2024-01-01", "2024-01-20", "2024-02-01", "2024-02-10"]
            + ["2024-01-03", "2024-01-22", "2024-02-03", "2024-03-20", "2024-01-20", "2024-02-20"],
        }
    )
    members = pd.DataFrame(
        {
            "customer_id": ["a"],
            "join_date": ["2024-02-01"],
            "points_earned": ["100"],
            "points_redeemed": ["25"],
            "points_expired": ["10"],
        }
    )
    found = loyalty(purchases, members, window="30d", margin=0.5, point_value=0.4)
    s = found.summary.iloc[0]
    assert s["redemption_rate"] == 0.25 and s["breakage"] == 0.75 and s["expired_share"] == 0.1
    # a: after (02-01, 03-02] 50 (the join-day 20 left out), before [01-02, 02-01) 10;
    # b: after (02-03, 03-04] 0, before [01-04, 02-03) 10 -> (50 - 10) - (0 - 10) = 50
    assert s["spend_did"] == 50.0 and s["matched"] == 1
    match = found.members[found.members["role"] == "match"].iloc[0]
    assert match["customer_id"] == "b" and str(match["join_date"])[:10] == "2024-02-03"
    assert (match["revenue"], match["pre_revenue"]) == (0.0, 10.0)
    assert s["incremental_margin"] == 25.0  # 50 x 1 member x 0.5
    assert s["cost"] == 10.0 and s["net"] == 15.0 and s["roi"] == 1.5  # 25 points x 0.4
    assert found.evidence == "matched" and found.notes[0].key == "loyalty_matched_evidence"
    assert set(found.effects["evidence"]) == {"matched"}
    json.dumps(found.headline, allow_nan=False)
    no_cost = loyalty(purchases, members, window="30d")
    assert math.isnan(no_cost.summary["roi"].iloc[0]) and "loyalty_no_cost" in [n.key for n in no_cost.notes]
    # with anchor_days=1, b (2 days after 02-01) is too far: nobody is comparable
    narrow = loyalty(purchases, members, window="30d", anchor_days=1)
    assert narrow.summary["matched"].iloc[0] == 0 and "loyalty_unmatched" in [n.key for n in narrow.notes]
    with pytest.raises(UsageError):
        loyalty(purchases, members, anchor_days=-1)


def test_loyalty_pool_is_the_risk_set():
    # e joins on 03-01; before that it is a comparison customer like any other, after it is not
    purchases = pd.DataFrame(
        {
            "customer_id": ["a", "a", "e", "e", "e"],
            "amount": [10, 20, 10, 20, 30],
            "date": ["2024-01-01", "2024-02-01", "2024-01-01", "2024-02-01", "2024-03-01"],
        }
    )
    members = pd.DataFrame({"customer_id": ["a", "e"], "join_date": ["2024-02-01", "2024-03-01"]})
    found = loyalty(purchases, members, window="30d")
    pairs = found.members[found.members["role"] == "member"][["customer_id", "matched_to"]].values.tolist()
    assert pairs == [["a", "e"]]  # e, a member only from 03-01, matches a on 02-01; nobody matches e


def test_matched_path_recovers_a_randomised_contact():
    # contact was random, so the contacted against matched non-contacted customers should find the lift too
    synth = pytest.importorskip("crmkit.synth_campaigns")
    world = synth.campaign_world(2000, seed=3, arms=("control", "coupon"), shares=(0.5, 0.5))
    contacted = world.campaign[world.campaign["group"] == "coupon"][["customer_id", "contact_date"]]
    found = campaign(world.purchases, contacted, windows=["30d"])
    row = found.effects.set_index("metric").loc["conversion"]
    assert found.evidence == "matched" and row["adjustment"] == "did"
    assert row["ci_low"] <= world.truth["conversion_lift_population"]["coupon"] <= row["ci_high"]
    after = found.balance[found.balance["sample"] == "after_matching"]
    assert (after["std_difference"].abs() < 0.1).all()
