"""The campaign generator: determinism, schemas, planted effects, and the issue's done-when tests."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import UsageError
from crmkit.models.effects import cuped_difference, mean_difference, proportion_difference
from crmkit.synth_campaigns import (
    CAMPAIGN_COLUMNS_ZH,
    LOYALTY_COLUMNS_ZH,
    SALES_COLUMNS,
    campaign_world,
    main,
    write_examples,
)

NO_EFFECT = {"sms": 0.0, "coupon": 0.0}


@pytest.fixture(scope="module")
def world():
    return campaign_world(3000, seed=0)


def window_outcomes(world, days: int = 30) -> pd.DataFrame:
    """Per contacted customer, from the frames only: converted, revenue in the window, the same window before."""
    purchases, campaign = world.purchases, world.campaign
    rows = purchases.merge(campaign[["customer_id", "contact_date"]], on="customer_id")
    lag = (pd.to_datetime(rows["order_date"]) - pd.to_datetime(rows["contact_date"])).dt.days.to_numpy()
    after = (lag >= 0) & (lag < days)
    before = (lag < 0) & (lag >= -days)
    completed = (rows["status"] == "completed").to_numpy()
    converted = rows[after & completed].groupby("customer_id").size()
    revenue = rows[after].groupby("customer_id")["amount"].sum()
    revenue_before = rows[before].groupby("customer_id")["amount"].sum()
    out = campaign[["customer_id", "group"]].copy()
    out["converted"] = out["customer_id"].map(converted).notna().astype(int)
    out["revenue"] = out["customer_id"].map(revenue).fillna(0.0).round(2)
    out["revenue_before"] = out["customer_id"].map(revenue_before).fillna(0.0).round(2)
    return out


def _arm(outcomes: pd.DataFrame, group: str) -> pd.DataFrame:
    return outcomes[outcomes["group"] == group]


# ------------------------------------------------------------------ determinism and speed


def test_same_seed_same_frames_and_bytes(tmp_path):
    a, b = campaign_world(500, seed=4), campaign_world(500, seed=4)
    for name in ("purchases", "campaign", "loyalty", "outcomes"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.truth == b.truth
    one, two = write_examples(tmp_path / "one", n_customers=500), write_examples(tmp_path / "two", n_customers=500)
    for key in one:
        assert one[key].read_bytes() == two[key].read_bytes()
    other = campaign_world(500, seed=5)
    assert not a.purchases.equals(other.purchases)


def test_fast():
    started = time.perf_counter()
    campaign_world(3000, seed=1)
    assert time.perf_counter() - started < 2.0


# ------------------------------------------------------------------ schemas


def test_purchases_schema(world):
    p = world.purchases
    assert list(p.columns) == SALES_COLUMNS
    assert set(p["status"]) == {"completed", "returned"}
    assert all(isinstance(d, date) for d in p["order_date"].head(50))
    assert p["order_date"].min() >= date(2024, 1, 1) and p["order_date"].max() <= date(2025, 6, 30)
    cents = p["amount"].to_numpy() * 100
    assert np.allclose(cents, np.round(cents))
    assert (p.loc[p["status"] == "completed", "amount"] > 0).all()
    returns = p[p["status"] == "returned"]
    assert (returns["amount"] < 0).all() and 0.01 < len(returns) / len(p) < 0.06
    # a return repeats the number of a completed order of the same customer, with minus its amount
    orders = p[p["status"] == "completed"].set_index("order_id")
    assert orders.index.is_unique
    assert (orders.loc[returns["order_id"], "customer_id"].to_numpy() == returns["customer_id"].to_numpy()).all()
    assert np.allclose(orders.loc[returns["order_id"], "amount"].to_numpy(), -returns["amount"].to_numpy())
    # sorted by date; order numbers increase with time
    assert p["order_date"].is_monotonic_increasing
    assert orders.sort_index()["order_date"].is_monotonic_increasing


def test_campaign_schema_and_contacted_are_the_active(world):
    c, p = world.campaign, world.purchases
    assert list(c.columns) == ["customer_id", "group", "contact_date", "cost", "channel", "coupon"]
    assert c["customer_id"].is_unique
    contact = date(2025, 3, 3)
    recent = p[(p["status"] == "completed") & (p["order_date"] < contact)]
    recent = recent[recent["order_date"] >= contact - timedelta(days=365)]
    assert set(c["customer_id"]) == set(recent["customer_id"])
    shares = c["group"].value_counts(normalize=True)
    assert shares.to_dict() == pytest.approx({"control": 0.2, "sms": 0.4, "coupon": 0.4}, abs=0.001)
    assert (c["contact_date"] == contact).all()
    assert c.groupby("group")["cost"].first().to_dict() == {"control": 0.0, "coupon": 1.5, "sms": 0.05}
    coupons = c.loc[c["group"] == "coupon", "coupon"]
    assert coupons.str.fullmatch(r"CP[A-Z2-9]{8}").all() and coupons.is_unique
    assert (c.loc[c["group"] != "coupon", "coupon"] == "").all()
    assert set(c.loc[c["group"] == "control", "channel"]) == {""}


def test_contact_spread():
    spread = campaign_world(400, seed=2, contact_spread_days=6).campaign["contact_date"]
    assert spread.min() == date(2025, 3, 3) and spread.max() == date(2025, 3, 9)


def test_loyalty_schema(world):
    lo, p = world.loyalty, world.purchases
    assert list(lo.columns) == ["customer_id", "join_date", "points_earned", "points_redeemed", "points_expired"]
    assert lo["customer_id"].is_unique and len(lo) == world.truth["loyalty"]["members"]
    assert (lo["points_redeemed"] + lo["points_expired"] <= lo["points_earned"]).all()
    assert (lo[["points_earned", "points_redeemed", "points_expired"]] >= 0).all().all()
    first = p.groupby("customer_id")["order_date"].min()
    assert (lo["join_date"].to_numpy() >= first.loc[lo["customer_id"]].to_numpy()).all()


def test_example_files(tmp_path):
    paths = write_examples(tmp_path, n_customers=300)
    assert sorted(p.name for p in paths.values()) == ["campaign.csv", "campaign_sales.csv", "loyalty.csv"]
    sales = paths["sales"].read_bytes()
    assert sales.startswith(b"order_id,customer_id,order_date,channel,amount,status\n")
    campaign = paths["campaign"].read_bytes()
    assert campaign.startswith("\ufeff".encode() + ",".join(CAMPAIGN_COLUMNS_ZH).encode() + b"\n")
    assert paths["loyalty"].read_bytes().startswith("\ufeff".encode() + ",".join(LOYALTY_COLUMNS_ZH).encode())
    frame = pd.read_csv(paths["campaign"], encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert set(frame["分组"]) == {"对照组", "短信", "优惠券"}
    assert set(frame["触达渠道"]) == {"", "短信", "微信"}
    assert frame["客户编号"].str.fullmatch(r"\d{6}").all()
    assert b"\r\n" not in sales + campaign


def test_main_writes_examples(tmp_path):
    assert main(["-o", str(tmp_path), "--customers", "200", "--seed", "3"]) == 0
    assert (tmp_path / "campaign.csv").exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"shares": (0.5, 0.2, 0.2)},
        {"arms": ("control", "sms")},
        {"conversion_lift": {"sms": 0.9, "coupon": 0.9}},
        {"conversion_lift": {"sms": -0.1, "coupon": 0.0}},
        {"window_days": 200},
        {"contact": date(2023, 1, 1)},
    ],
)
def test_bad_settings(kwargs):
    with pytest.raises(UsageError):
        campaign_world(300, seed=0, **kwargs)


# ------------------------------------------------------------------ the truth is what the frames show


def test_frames_agree_with_potential_outcomes(world):
    observed = window_outcomes(world)
    truth = world.outcomes.set_index("customer_id").loc[observed["customer_id"]]
    chosen = [
        truth.at[cid, f"converted_{g}" if g != "control" else "converted_0"]
        for cid, g in zip(observed["customer_id"], observed["group"])
    ]
    assert observed["converted"].tolist() == chosen
    revenue = [
        truth.at[cid, f"revenue_{g}" if g != "control" else "revenue_0"]
        for cid, g in zip(observed["customer_id"], observed["group"])
    ]
    assert np.allclose(observed["revenue"], revenue)
    for arm in ("sms", "coupon"):
        lift = (world.outcomes[f"converted_{arm}"] - world.outcomes["converted_0"]).mean()
        assert world.truth["conversion_lift"][arm]["contacted"] == pytest.approx(lift)
        assert lift == pytest.approx(world.truth["conversion_lift_population"][arm], abs=0.015)
        assert (world.outcomes[f"converted_{arm}"] >= world.outcomes["converted_0"]).all()


def test_no_effect_world_changes_nothing_but_the_extra_orders(world):
    null = campaign_world(3000, seed=0, conversion_lift=NO_EFFECT)
    pd.testing.assert_frame_equal(null.campaign, world.campaign)
    assert len(null.purchases) < len(world.purchases)
    for key in ("conversion_lift", "revenue_lift", "orders_lift"):
        for arm in ("sms", "coupon"):
            assert null.truth[key][arm] == {"treated": 0.0, "contacted": 0.0}
    assert null.truth["incremental_revenue"] == {"sms": 0.0, "coupon": 0.0}


def test_planted_effects_visible(world):
    obs = window_outcomes(world)
    control, coupon = _arm(obs, "control"), _arm(obs, "coupon")
    diff = coupon["converted"].mean() - control["converted"].mean()
    assert 0.03 < diff < 0.13  # planted 0.08
    loyalty = world.truth["loyalty"]
    assert loyalty["spend_lift"] == pytest.approx(0.15, abs=0.001)
    assert loyalty["redemption_rate"] == pytest.approx(0.60, abs=0.03)
    assert loyalty["breakage"] == pytest.approx(0.25, abs=0.03)
    assert 0.15 < loyalty["members"] / 3000 < 0.45
    # selection: members out-spend non-members by far more than the 15% the programme adds
    spend = world.purchases.groupby("customer_id")["amount"].sum()
    is_member = spend.index.isin(world.loyalty["customer_id"])
    assert spend[is_member].mean() > 1.5 * spend[~is_member].mean()
    assert world.truth["cost"] == {
        "control": 0.0,
        "sms": pytest.approx(0.05 * (obs["group"] == "sms").sum()),
        "coupon": pytest.approx(1.5 * (obs["group"] == "coupon").sum()),
    }


# ------------------------------------------------------------------ done when (issue 14)


def test_interval_covers_planted_effect():
    """(a) With a planted effect the Newcombe interval covers the truth, seed after seed."""
    covered = {"population": 0, "contacted": 0}
    excludes_zero = 0
    seeds = range(20)
    for seed in seeds:
        world = campaign_world(3000, seed=seed)
        obs = window_outcomes(world)
        effect = proportion_difference(_arm(obs, "coupon")["converted"], _arm(obs, "control")["converted"])
        covered["population"] += effect.ci_low <= world.truth["conversion_lift_population"]["coupon"] <= effect.ci_high
        covered["contacted"] += effect.ci_low <= world.truth["conversion_lift"]["coupon"]["contacted"] <= effect.ci_high
        excludes_zero += effect.ci_low > 0
    # P(fewer than 17 of 20 | 0.95) = 1.6%
    assert covered["population"] >= 17 and covered["contacted"] >= 17
    assert excludes_zero >= 10  # an 8-point lift on about 500 controls is usually detected


def test_no_effect_interval_covers_zero_about_95_percent():
    """(b) With no effect each interval covers 0 in about 95% of 200 seeded worlds."""
    reps = 200
    hits = {(m, arm): 0 for m in ("newcombe", "welch", "cuped") for arm in ("sms", "coupon")}
    for seed in range(reps):
        world = campaign_world(400, seed=seed, conversion_lift=NO_EFFECT)
        obs = window_outcomes(world)
        control = _arm(obs, "control")
        for arm in ("sms", "coupon"):
            treated = _arm(obs, arm)
            rate = proportion_difference(treated["converted"], control["converted"])
            revenue = mean_difference(treated["revenue"], control["revenue"])
            cuped = cuped_difference(
                treated["revenue"], treated["revenue_before"], control["revenue"], control["revenue_before"]
            )
            hits["newcombe", arm] += rate.ci_low <= 0 <= rate.ci_high
            hits["welch", arm] += revenue.ci_low <= 0 <= revenue.ci_high
            hits["cuped", arm] += cuped.ci_low <= 0 <= cuped.ci_high
    coverage = {key: value / reps for key, value in hits.items()}
    # binomial sd at 0.95 and 200 repetitions is 0.015: 0.91-0.99 is about +-2.6 sd
    assert all(0.91 <= value <= 0.99 for value in coverage.values()), coverage


def test_committed_examples_are_the_generator_output(tmp_path):
    examples = Path(__file__).resolve().parent.parent / "examples"
    if not (examples / "campaign.csv").exists():
        pytest.skip("examples/campaign.csv not generated")
    fresh = write_examples(tmp_path)
    for path in fresh.values():
        assert (examples / path.name).read_bytes() == path.read_bytes(), path.name
