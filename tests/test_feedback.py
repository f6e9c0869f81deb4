"""crmkit.feedback: complaints counted by hand, connected to the purchases that follow."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, ttest_1samp

from crmkit.errors import UsageError
from crmkit.feedback import VIEWS, complaint_signals, feedback, tokens, top_terms
from crmkit.io.complaints import read_complaints

# (ticket, customer, opened, category, channel, status, resolved, text); days to resolve in the comment
COMPLAINTS = [
    ("1", "a", "2024-01-10 09:00", "物流", "电话", "已解决", "2024-01-10 21:00", "物流太慢了"),  # 0.5
    ("2", "b", "2024-01-15 10:00", "物流", "微信", "已解决", "2024-01-17 10:00", "物流信息一直不更新"),  # 2.0
    ("3", "a", "2024-02-01 08:00", "质量", "电话", "处理中", None, "质量很差"),
    ("4", "c", "2024-02-03 12:00", "质量", "电话", "已解决", "2024-02-04 00:00", "质量差，退货"),  # 0.5
    ("5", "d", "2024-02-10", "物流", "微信", "未解决", None, "快递太慢"),
    ("6", "e", "2024-02-20 06:00", "价格", "电话", "已关闭", "2024-02-24 06:00", None),  # 4.0
    ("7", "b", "2024-03-01 10:00", "物流", "电话", "已解决", "2024-03-02 16:00", None),  # 1.25
    ("8", "f", "2024-03-05", "质量", "微信", "待处理", None, "The box was DAMAGED, damaged again! 2 days"),
]
PURCHASES = [
    ("a", "2023-12-01", 40.0), ("a", "2024-01-20", 30.0),  # resolved, retained, spend 30
    ("b", "2024-01-05", 20.0),  # resolved, lost; spend before 20
    ("c", "2023-10-01", 50.0), ("c", "2024-02-10", 25.0), ("c", "2024-02-10", -5.0),  # resolved, retained, net 20
    ("d", "2024-01-25", 60.0),  # unresolved, lost; spend before 60
    ("e", "2024-02-01", 10.0), ("e", "2024-04-01", 15.0),  # resolved; 04-01 is after the 30 days: lost, before 10
    ("f", "2022-01-01", 10.0),  # no purchase in the year before: not compared
    # never complained; reference days drawn by default_rng(0): g 03-05, h 02-10, i 02-10, j 01-15
    ("g", "2024-01-01", 10.0), ("g", "2024-03-01", 10.0), ("g", "2024-03-20", 12.0),  # retained, 12
    ("h", "2023-06-01", 10.0),  # lost
    ("i", "2023-11-11", 8.0), ("i", "2024-02-15", 10.0),  # retained, 10
    ("j", "2023-01-01", 5.0),  # not active in the year before 2024-01-15
]  # fmt: skip
AS_OF = "2024-06-30"


def complaints_frame() -> pd.DataFrame:
    return pd.DataFrame(COMPLAINTS, columns=["投诉编号", "客户编号", "投诉时间", "投诉类型", "投诉渠道", "处理状态",
                                             "处理时间", "投诉内容"])  # fmt: skip


def purchases_frame() -> pd.DataFrame:
    return pd.DataFrame(PURCHASES, columns=["customer_id", "date", "amount"])


@pytest.fixture(scope="module")
def alone():
    return feedback(complaints_frame(), top_terms=3)


@pytest.fixture(scope="module")
def full():
    return feedback(complaints_frame(), purchases_frame(), as_of=AS_OF, window="30d")


def rows(table, columns):
    return [tuple(None if isinstance(v, float) and math.isnan(v) else v for v in r) for r in table[columns].values]


def test_volume_by_category_by_hand(alone):
    got = alone.by_category
    assert rows(got, ["category", "complaints", "complainers", "resolved", "open"]) == [
        ("物流", 4, 3, 3, 1), ("质量", 3, 3, 1, 2), ("价格", 1, 1, 1, 0)]  # fmt: skip
    assert got["share"].tolist() == [0.5, 0.375, 0.125]
    assert got["resolved_share"].tolist() == pytest.approx([0.75, 1 / 3, 1.0])
    # 物流 days 0.5, 1.25, 2.0: median 1.25; p90 at position 1.8: 1.25 + 0.8 x 0.75
    assert got["median_days"].tolist() == pytest.approx([1.25, 0.5, 4.0])
    assert got["p90_days"].tolist() == pytest.approx([1.85, 0.5, 4.0])


def test_volume_by_channel_and_month_by_hand(alone):
    ch = alone.by_channel
    assert rows(ch, ["channel", "complaints", "complainers", "resolved"]) == [("电话", 5, 4, 4), ("微信", 3, 3, 1)]
    # 电话 days 0.5, 0.5, 1.25, 4.0: median 0.875, p90 at position 2.7: 1.25 + 0.7 x 2.75
    assert ch["median_days"].tolist() == pytest.approx([0.875, 2.0])
    assert ch["p90_days"].tolist() == pytest.approx([3.175, 2.0])
    month = alone.by_month
    assert rows(month, ["month", "complaints", "complainers", "resolved"]) == [
        ("2024-01", 2, 2, 2), ("2024-02", 4, 4, 2), ("2024-03", 2, 2, 1)]  # fmt: skip
    assert month["median_days"].tolist() == pytest.approx([1.25, 2.25, 1.25])
    assert month["p90_days"].tolist() == pytest.approx([1.85, 3.65, 1.25])


def test_headline_repeat_and_customers_by_hand(alone):
    h = alone.headline
    assert (h["complaints"], h["complainers"], h["repeat_complainers"]) == (8, 6, 2)
    assert h["resolved_share"] == 5 / 8 and h["repeat_share"] == pytest.approx(1 / 3)
    assert h["median_days"] == 1.25 and h["p90_days"] == pytest.approx(3.2)  # 0.5 .5 1.25 2 4: 2 + 0.6 x 2
    assert rows(alone.repeat, ["complaints", "customers"]) == [("1", 4), ("2", 2)]
    a = alone.customers.set_index("customer_id").loc["a"]
    assert (a["complaints"], a["open_complaints"], a["categories"]) == (2, 1, "物流, 质量")
    assert a["first_complaint"] == pd.Timestamp("2024-01-10 09:00")
    assert a["last_complaint"] == pd.Timestamp("2024-02-01 08:00")
    json.dumps(alone.to_dict(), allow_nan=False)  # JSON-safe (missing tables are null)


def test_without_purchases_only_the_counts(alone):
    assert alone.rates is None and alone.outcomes is None and alone.lost_revenue is None
    assert any(n.key == "feedback_no_purchases" for n in alone.notes)
    with pytest.raises(UsageError, match="purchase"):
        alone.view("outcomes")
    with pytest.raises(UsageError, match="--view"):
        alone.view("nope")


def test_terms_by_hand(alone):
    got = alone.terms
    logistics = got[got["category"] == "物流"]
    assert rows(logistics, ["term", "complaints", "count"]) == [("太慢", 2, 2), ("物流", 2, 2), ("信息", 1, 1)]
    assert logistics["share"].tolist() == pytest.approx([2 / 3, 2 / 3, 1 / 3])
    quality = got[got["category"] == "质量"]
    assert rows(quality, ["term", "complaints", "count"]) == [("质量", 2, 2), ("damaged", 1, 2), ("box", 1, 1)]
    assert "价格" not in set(got["category"])  # no text


def test_tokens_drop_stop_words_digits_punctuation():
    import jieba

    assert tokens("我的快递太慢了！！123 3天 a") == ["快递", "太慢"]
    assert tokens("") == []
    assert jieba.dt.tmp_dir is not None  # its cache is in the temp folder, not the working directory
    frame = pd.DataFrame({"category": ["x", "x"], "text": ["退款 退款", None]})
    assert top_terms(frame)[["term", "complaints", "share", "count"]].values.tolist() == [["退款", 1, 1.0, 2]]


def test_rates_by_hand(full):
    # customers who bought between 2024-01-10 and 2024-03-05: a c d e g i; b and f complained but did not
    overall = full.rates.iloc[0]
    assert (overall["customers"], overall["complaints"], overall["complainers"]) == (6, 5, 4)
    assert overall["complaints_per_1000"] == pytest.approx(5000 / 6)
    assert overall["complainers_per_1000"] == pytest.approx(4000 / 6)
    segments = full.rates.iloc[1:]
    assert segments["customers"].sum() == 6 and segments["complaints"].sum() == 5
    assert any(n.key == "feedback_outside_rates" and n.params["count"] == 3 for n in full.notes)


def test_outcomes_by_hand(full):
    out = full.outcomes.set_index("group")
    assert out["customers"].to_dict() == {"resolved": 4, "unresolved": 1, "never": 3}
    assert out["retained"].to_dict() == {"resolved": 2, "unresolved": 0, "never": 2}
    assert out.at["resolved", "spend_per_customer"] == pytest.approx(12.5)  # (30 + 0 + 20 + 0) / 4
    assert out.at["never", "spend_per_customer"] == pytest.approx(22 / 3)
    ci = binomtest(2, 4).proportion_ci(confidence_level=0.95, method="wilson")
    assert (out.at["resolved", "retention_low"], out.at["resolved", "retention_high"]) == pytest.approx(
        (ci.low, ci.high)
    )
    t = ttest_1samp([30.0, 0.0, 20.0, 0.0], 0.0).confidence_interval(0.95)
    assert (out.at["resolved", "spend_low"], out.at["resolved", "spend_high"]) == pytest.approx((t.low, t.high))
    assert out.at["resolved", "retention_diff"] == pytest.approx(0.5 - 2 / 3)
    assert out.at["resolved", "retention_diff_low"] < 0.5 - 2 / 3 < out.at["resolved", "retention_diff_high"]
    assert out.at["resolved", "spend_diff"] == pytest.approx(12.5 - 22 / 3)
    assert np.isnan(out.at["never", "retention_diff"])
    assert any(n.key == "feedback_inactive" and n.params["count"] == 2 for n in full.notes)  # f and j
    assert full.headline["retention_never"] == pytest.approx(2 / 3)
    assert any(w.key == "feedback_small_groups" for w in full.warnings)


def test_lost_revenue_by_hand(full):
    # 物流: a b d, b and d lost with 20 + 60 before; never churn 1/3 -> excess (2/3 - 1/3) / (2/3) x 80 = 40
    got = rows(full.lost_revenue, ["category", "complainers", "lost", "lost_revenue", "excess_lost_revenue"])
    assert got == [("物流", 3, 2, 80.0, 40.0), ("价格", 1, 1, 10.0, 6.67), ("质量", 1, 0, 0.0, 0.0)]
    assert full.lost_revenue["never_churn_rate"].tolist() == pytest.approx([1 / 3] * 3)


def test_window_censors_late_complainers():
    found = feedback(complaints_frame(), purchases_frame(), as_of="2024-03-20", window="30d")
    # refs after 2024-02-19 have no complete 30-day window: e (02-20) and f (03-05)
    assert any(n.key == "feedback_censored" and n.params["count"] == 2 for n in found.notes)
    assert not any(n.key == "feedback_after_as_of" for n in found.notes)


def test_complaint_signals_for_the_ladder(full):
    got = complaint_signals(read_complaints(complaints_frame()), "2024-02-03")
    assert rows(got, ["customer_id", "complaints", "open_complaints"]) == [("a", 2, 1), ("b", 1, 0), ("c", 1, 1)]
    later = complaint_signals(full, "2024-02-05").set_index("customer_id")
    assert later.at["c", "open_complaints"] == 0  # resolved 2024-02-04
    assert list(complaint_signals(full).columns) == ["customer_id", "complaints", "open_complaints", "last_complaint"]


def test_determinism_and_views(full):
    again = feedback(complaints_frame(), purchases_frame(), as_of=AS_OF, window="30d")
    assert json.dumps(again.to_dict(), sort_keys=True, default=str) == json.dumps(
        full.to_dict(), sort_keys=True, default=str
    )
    for name in VIEWS:
        assert list(full.view(name).columns) == list(getattr(full, name).columns)
        assert all(c == c.lower() and " " not in c for c in full.view(name).columns)


def test_bad_options():
    with pytest.raises(UsageError):
        feedback(complaints_frame(), alpha=1.5)
    with pytest.raises(UsageError):
        feedback(complaints_frame(), window="soon")


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d"]),
            st.integers(0, 200),  # hours after 2024-01-01
            st.sampled_from(["物流", "质量", None]),
            st.sampled_from(["已解决", "处理中", "奇怪", None]),
            st.one_of(st.none(), st.integers(-10, 300)),  # hours to resolve (negative: before opening)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_counts_add_up(items):
    start = pd.Timestamp("2024-01-01")
    export = pd.DataFrame(
        {
            "customer_id": [c for c, *_ in items],
            "date": [(start + pd.Timedelta(hours=h)).strftime("%Y-%m-%d %H:%M") for _, h, *_ in items],
            "category": [k for _, _, k, _, _ in items],
            "status": [s for *_, s, _ in items],
            "resolved_at": [
                None if r is None else (start + pd.Timedelta(hours=h + r)).strftime("%Y-%m-%d %H:%M")
                for _, h, _, _, r in items
            ],
        }
    )
    found = feedback(export, top_terms=0)
    n = len(items)
    for table in (found.by_category, found.by_channel, found.by_month):
        assert table["complaints"].sum() == n
        assert ((table["resolved"] + table["open"]) == table["complaints"]).all()
        assert table["share"].sum() == pytest.approx(1.0)
        both = table.dropna(subset=["median_days"])
        assert (both["median_days"] <= both["p90_days"] + 1e-12).all() and (both["median_days"] >= 0).all()
    assert found.customers["complaints"].sum() == n
    assert found.repeat["customers"].sum() == found.headline["complainers"]
