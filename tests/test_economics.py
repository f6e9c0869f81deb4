"""crmkit.economics: new vs repeat, retention vs acquisition, CLV under constant retention, cost to serve."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.economics import (
    METRIC_LABELS,
    NOTE_TEXTS,
    ROWS,
    SEGMENT_COLUMNS,
    TABLE_COLUMNS,
    economics,
    lifetime_value,
    months_before,
    period_bounds,
    period_years,
)
from crmkit.errors import InputError, UsageError

SALES = Path(__file__).resolve().parents[1] / "examples" / "sales.csv"
AS_OF = "2024-12-31"  # 12 months: P = 2024-01-01 .. 2024-12-31, P0 = 2023-01-01 .. 2023-12-31

# Six customers, every number of the table by hand (margin 0.5 of revenue):
#   A: 2023-02-01 100 (P0), 2024-03-01 200 (P)    -> repeat, retained; P revenue 200, margin 100
#   B: 2023-05-01 50, 2023-08-01 50 (P0 only)     -> churned; nothing in P
#   C: 2022-06-01 80 (before P0), 2024-06 120, 2024-07 60 -> repeat but NOT in P0 (not retained); P 180
#   D: 2024-02-01 40                               -> new; P 40
#   E: 2024-04-01 90, return 2024-05-01 -30        -> new; P 60 (net); one order
#   F: 2023-11-01 70 (P0), 2024-09-01 30 (P)       -> repeat, retained; P 30, margin 15
# N = 5 (A C D E F), N_new = 2 (D E), N_rep = 3; R = 510, R_new = 100, R_rep = 410
# M = 255, M_new = 50, M_rep = 205; N0 = 3 (A B F), K = 2 (A F), r = 2/3; m = (100 + 15) / 2 = 57.5
# d = 0.10 (12 months = 1 year); CLV = 57.5 (2/3) / (1.1 - 2/3) = 88.4615...
HISTORY = [
    ("A", "2023-02-01", 100.0, "o1"),
    ("A", "2024-03-01", 200.0, "o2"),
    ("B", "2023-05-01", 50.0, "o3"),
    ("B", "2023-08-01", 50.0, "o4"),
    ("C", "2022-06-01", 80.0, "o5"),
    ("C", "2024-06-01", 120.0, "o6"),
    ("C", "2024-07-01", 60.0, "o7"),
    ("D", "2024-02-01", 40.0, "o8"),
    ("E", "2024-04-01", 90.0, "o9"),
    ("E", "2024-05-01", -30.0, "o9"),
    ("F", "2023-11-01", 70.0, "o10"),
    ("F", "2024-09-01", 30.0, "o11"),
]


def history(rows=HISTORY) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount", "order_id"])


@pytest.fixture(scope="module")
def hand():
    return economics(
        history(),
        AS_OF,
        period="12m",
        margin=0.5,
        acquisition_cost=20,
        retention_cost=5,
        serve_cost_per_order=10,
    )


def test_the_table_by_hand(hand):
    r = 2 / 3
    clv = 57.5 * r / (1.1 - r)
    up = r + 0.01
    clv_up = 57.5 * up / (1.1 - up)
    net = 52.5  # m - c
    expected = {
        "customers": 5,
        "new_customers": 2,
        "repeat_customers": 3,
        "new_customer_share": 2 / 5,
        "revenue": 510,
        "revenue_new": 100,
        "revenue_repeat": 410,
        "revenue_share_new": 100 / 510,
        "revenue_share_repeat": 410 / 510,
        "margin": 255,
        "margin_new": 50,
        "margin_repeat": 205,
        "margin_share_new": 50 / 255,
        "margin_share_repeat": 205 / 255,
        "revenue_per_new": 50,
        "revenue_per_repeat": 410 / 3,
        "repeat_revenue_ratio": (410 / 3) / 50,
        "margin_per_new": 25,
        "margin_per_repeat": 205 / 3,
        "repeat_margin_ratio": (205 / 3) / 25,
        "previous_customers": 3,
        "retained_customers": 2,
        "retention_rate": r,
        "churn_rate": 1 / 3,
        "acquisition_cost": 20,
        "acquisition_spend": 40,  # 2 new x 20
        "margin_new_after_acquisition": 10,  # 50 - 40
        "retention_cost": 5,
        "retention_spend": 10,  # 2 retained x 5
        "cost_ratio": 4,
        "margin_per_retained": 57.5,
        "discount_rate": 0.10,
        "clv": clv,
        "clv_plus_point": clv_up,
        "clv_gain": clv_up - clv,
        "retention_point_value": (clv_up - clv) * 5,
        "retention_point_value_net": (net * up / (1.1 - up) - net * r / (1.1 - r)) * 5,
    }
    assert list(hand.table["metric"]) == [row[0] for row in ROWS]
    assert set(expected) == set(hand.table["metric"])
    for metric, value in expected.items():
        assert hand.value(metric) == pytest.approx(value, rel=1e-12), metric
    assert hand.value("clv") == pytest.approx(88.46153846153847)
    assert list(hand.table.columns) == list(TABLE_COLUMNS)
    assert (hand.start, hand.end, hand.previous_start) == (date(2023, 12, 31), date(2024, 12, 31), date(2022, 12, 31))
    assert hand.headline["period_start"] == "2024-01-01" and hand.headline["previous_end"] == "2023-12-31"


def test_units_labels_and_formulas(hand):
    units = dict(zip(hand.table["metric"], hand.table["unit"]))
    assert units["retention_rate"] == "share" and units["customers"] == "count" and units["clv"] == "money"
    assert set(units.values()) == {"count", "money", "share", "ratio"}
    assert all(hand.table["formula"].str.len() > 0)
    assert hand.table.loc[hand.table["metric"] == "clv", "formula"].item() == "CLV(r) = m r / (1 + d - r)"
    zh = economics(history(), AS_OF, margin=0.5, lang="zh")
    assert zh.table.loc[zh.table["metric"] == "retention_rate", "label"].item() == "客户保留率"
    assert set(METRIC_LABELS) == {row[0] for row in ROWS}


def test_cost_to_serve_per_segment(hand):
    s = hand.segments
    assert list(s.columns) == list(SEGMENT_COLUMNS)
    # every RFM customer (A..F) is in one segment; orders in P: A 1, C 2, D 1, E 1 (the return is no order), F 1
    assert s["customers"].sum() == 6 and s["orders"].sum() == 6
    assert s["cost_to_serve"].sum() == pytest.approx(60)
    assert s["revenue"].sum() == pytest.approx(510) and s["margin"].sum() == pytest.approx(255)
    assert (s["margin_after_serving"] == s["margin"] - s["cost_to_serve"]).all()
    assert s["margin_share"].sum() == pytest.approx(1)
    assert not s["unprofitable"].any()


def test_serve_costs_per_customer_flag_a_losing_segment():
    costs = pd.Series({"D": 500.0, "A": 1.0, "Z": 3.0})  # Z bought nothing: left out with a note
    found = economics(history(), AS_OF, margin=0.5, serve_costs=costs)
    s = found.segments
    assert s["cost_to_serve"].sum() == pytest.approx(501)
    losing = s[s["unprofitable"]]
    assert len(losing) == 1 and losing["margin_after_serving"].item() < 0
    assert any(w.key == "economics_unprofitable_segments" for w in found.warnings)
    assert any(n.key == "economics_serve_costs_unknown" and n.params["count"] == 1 for n in found.notes)
    assert found.headline["unprofitable_segments"] == losing["segment"].tolist()
    frame = pd.DataFrame({"customer_id": ["D"], "cost": [500.0]})
    both = economics(history(), AS_OF, margin=0.5, serve_costs=frame, serve_cost_per_order=1)
    assert both.segments["cost_to_serve"].sum() == pytest.approx(506)  # 500 + 6 orders x 1


def test_without_costs_the_cost_rows_are_nan_and_margin_is_revenue():
    found = economics(history(), AS_OF)
    assert math.isnan(found.value("acquisition_spend")) and math.isnan(found.value("cost_ratio"))
    assert math.isnan(found.value("retention_point_value_net"))
    assert found.value("margin") == found.value("revenue") == 510
    assert found.segments["cost_to_serve"].isna().all() and not found.segments["unprofitable"].any()
    assert any(n.key == "economics_margin_is_revenue" for n in found.notes)
    assert found.headline["acquisition_spend"] is None
    assert found.settings["margin"] == "none"


def test_margin_column_with_a_missing_row():
    rows = history().assign(margin=[40.0, 80, 20, 20, 30, 60, None, 10, 45, -15, 35, 15])
    found = economics(rows, AS_OF)
    # P: A 80, C 60 + 60 x rate, D 10, E 45 - 15, F 15; rate = (80+60+10+45-15+15) / (200+120+40+90-30+30) = 195/450
    rate = 195 / 450
    assert found.value("margin") == pytest.approx(80 + 60 + 60 * rate + 10 + 30 + 15)
    assert found.value("margin_per_retained") == pytest.approx((80 + 15) / 2)
    assert any(n.key == "economics_margin_missing" and n.params["count"] == 1 for n in found.notes)
    assert found.settings["margin"] == "margin column"


def test_lifetime_value_against_the_geometric_series():
    assert lifetime_value(100, 0.8, 0.1) == pytest.approx(100 * 0.8 / 0.3)
    direct = sum(100 * 0.8**t / 1.1**t for t in range(1, 2000))
    assert lifetime_value(100, 0.8, 0.1) == pytest.approx(direct, rel=1e-12)
    assert lifetime_value(100, 0.0, 0.1) == 0
    assert math.isnan(lifetime_value(100, math.nan, 0.1)) and math.isnan(lifetime_value(100, 1.2, 0.1))
    assert lifetime_value(100, 1.0, 0.0) == math.inf


@settings(deadline=None, max_examples=60)
@given(
    st.floats(-1000, 1000, allow_nan=False),
    st.floats(0, 0.95),
    st.floats(0.0, 0.5),
)
def test_lifetime_value_is_the_discounted_sum(m, r, d):
    direct = sum(m * (r / (1 + d)) ** t for t in range(1, 800))
    assert lifetime_value(m, r, d) == pytest.approx(direct, rel=1e-9, abs=1e-9)
    if m > 0 and r + 0.01 <= 1:  # more retention, more value
        assert lifetime_value(m, r + 0.01, d) > lifetime_value(m, r, d)


def test_periods():
    assert period_bounds(date(2024, 12, 31), "12m") == (date(2023, 12, 31), date(2022, 12, 31))
    assert period_bounds(date(2024, 3, 31), "1m") == (date(2024, 2, 29), date(2024, 1, 31))
    assert period_bounds(date(2024, 12, 31), "1q") == period_bounds(date(2024, 12, 31), "3个月")
    assert period_bounds(date(2024, 12, 31), "1y") == period_bounds(date(2024, 12, 31), "1年")
    assert period_bounds(date(2024, 12, 31), "2w") == (date(2024, 12, 17), date(2024, 12, 3))
    assert period_years("6m") == 0.5 and period_years(365) == pytest.approx(365 / 365.25)
    assert months_before(date(2024, 5, 31), 3) == date(2024, 2, 29)
    for bad in ("abc", "0m", "11y", 0, "5000d"):
        with pytest.raises(UsageError):
            period_bounds(date(2024, 12, 31), bad)


def test_a_half_year_period_discounts_half_a_year():
    found = economics(history(), AS_OF, period="6m", margin=0.5, discount=0.21)
    assert found.value("discount_rate") == pytest.approx(0.1)  # 1.21^0.5 - 1
    assert found.start == date(2024, 6, 30) and found.previous_start == date(2023, 12, 31)
    # P = 2024-07..12: C (2024-07-01), F; P0 = 2024-01..06: A, C, D, E -> K = C, r = 1/4
    assert found.value("customers") == 2 and found.value("previous_customers") == 4
    assert found.value("retention_rate") == pytest.approx(0.25)


def test_no_previous_period_customers():
    rows = [("a", "2024-03-01", 10.0, "1"), ("b", "2024-05-01", 20.0, "2")]
    found = economics(history(rows), AS_OF, margin=0.5)
    assert found.value("previous_customers") == 0
    assert math.isnan(found.value("retention_rate")) and math.isnan(found.value("clv"))
    assert math.isnan(found.value("retention_point_value")) and math.isnan(found.value("repeat_revenue_ratio"))
    keys = {n.key for n in found.notes}
    assert {"economics_no_previous", "economics_period_before_data"} <= keys
    assert found.value("new_customer_share") == 1


def test_nobody_retained_and_no_new_customers():
    rows = [("a", "2023-03-01", 10.0, "1"), ("b", "2022-05-01", 20.0, "2"), ("b", "2024-05-01", 20.0, "3")]
    found = economics(history(rows), AS_OF, margin=0.5)
    # a bought in P0 only, b before P0 and in P: no new, K = 0
    assert found.value("new_customers") == 0 and found.value("retention_rate") == 0
    assert found.value("clv") == 0 and math.isnan(found.value("margin_per_new"))
    assert {"economics_no_new", "economics_none_retained"} <= {n.key for n in found.notes}


def test_full_retention_and_divergence():
    rows = [("a", "2023-03-01", 10.0, "1"), ("a", "2024-03-01", 10.0, "2")]
    full = economics(history(rows), AS_OF, margin=0.5)
    assert full.value("retention_rate") == 1
    assert full.value("clv") == pytest.approx(5 * 1 / 0.1)  # finite with d > 0
    assert math.isnan(full.value("clv_plus_point"))
    assert any(n.key == "economics_no_point_up" for n in full.notes)
    diverging = economics(history(), AS_OF, margin=0.5, discount=-0.5)  # r = 2/3 >= 1 + d = 0.5
    assert math.isnan(diverging.value("clv"))
    assert any(w.key == "economics_clv_diverges" for w in diverging.warnings)


def test_negative_margin():
    found = economics(history(), AS_OF, margin=-0.2)
    assert found.value("clv") < 0 and found.value("retention_point_value") < 0
    keys = {w.key for w in found.warnings}
    assert {"economics_negative_margin", "economics_margin_not_positive"} <= keys


def test_a_period_longer_than_the_data():
    found = economics(history(), AS_OF, period="3y", margin=0.5)
    assert any(n.key == "economics_period_before_data" for n in found.notes)
    assert found.value("repeat_customers") == 0  # the data hold nothing before 2021-12-31


def test_bad_arguments():
    with pytest.raises(UsageError, match="--margin"):
        economics(history(), AS_OF, margin=2)
    with pytest.raises(UsageError, match="--acquisition-cost"):
        economics(history(), AS_OF, acquisition_cost=-1)
    with pytest.raises(UsageError, match="--discount"):
        economics(history(), AS_OF, discount=-1)
    with pytest.raises(UsageError, match="--period"):
        economics(history(), AS_OF, period="soon")
    with pytest.raises(InputError, match="customer_id and cost"):
        economics(history(), AS_OF, serve_costs=pd.DataFrame({"id": ["A"], "x": [1]}))
    with pytest.raises(InputError, match="'A'"):
        economics(history(), AS_OF, serve_costs=pd.Series({"A": -1.0}))
    with pytest.raises(InputError, match="twice"):
        economics(history(), AS_OF, serve_costs=pd.DataFrame({"customer_id": ["A", "A"], "cost": [1, 2]}))
    with pytest.raises(UsageError):
        economics(history(), AS_OF).view("nope")


def test_notes_catalogued_in_english():
    for key, text in NOTE_TEXTS.items():
        assert key.startswith("economics_") and text


def test_determinism_and_json(hand):
    again = economics(
        history(), AS_OF, period="12m", margin=0.5, acquisition_cost=20, retention_cost=5, serve_cost_per_order=10
    )
    assert json.dumps(again.to_dict(), sort_keys=True) == json.dumps(hand.to_dict(), sort_keys=True)
    json.dumps(hand.headline, allow_nan=False)
    assert isinstance(hand.headline["customers"], int) and hand.headline["customers"] == 5
    assert hand.view("segments").equals(hand.segments) and hand.rows().equals(hand.table)


@pytest.fixture(scope="module")
def sales():
    return economics(str(SALES), acquisition_cost=30, retention_cost=6, serve_cost_per_order=2.5, margin=0.3)


def test_examples_sales(sales):
    v = sales.value
    assert sales.as_of == date(2024, 12, 31)
    assert v("revenue_share_new") + v("revenue_share_repeat") == pytest.approx(1)
    assert v("margin_share_new") + v("margin_share_repeat") == pytest.approx(1)
    assert v("new_customers") + v("repeat_customers") == v("customers")
    assert 0 < v("retention_rate") < 1 and v("churn_rate") == pytest.approx(1 - v("retention_rate"))
    assert v("cost_ratio") == pytest.approx(5)
    assert v("clv_plus_point") > v("clv") > 0 and v("retention_point_value") > v("retention_point_value_net")
    s = sales.segments
    assert s["margin"].sum() == pytest.approx(v("margin")) and s["margin_share"].sum() == pytest.approx(1)
    assert s["customers"].sum() == 5000
    # every customer of P0 bought in the data's first year: the repeat customers are the retained ones
    assert v("repeat_customers") == v("retained_customers")
    json.dumps(sales.headline, allow_nan=False)
