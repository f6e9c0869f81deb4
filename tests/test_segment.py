"""RFM scores, schemes, clusters and the customer summary: hand-computed cases and invariants."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from contracts import SEGMENT_CUSTOMER_COLUMNS
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError, UsageError
from crmkit.segment import five_point_sql, load_scheme, segment, segment_customers
from crmkit.summary import customer_summary, quantile_scores


def tx(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["is_return"] = frame["amount"] < 0
    return frame


def test_summary_hand_computed():
    t = tx(
        [
            ("a", "2024-01-01", 10.0),
            ("a", "2024-01-01", 5.0),
            ("a", "2024-01-10", 20.0),
            ("a", "2024-01-12", -5.0),
            ("b", "2024-01-05", 7.0),
            ("c", "2024-01-06", -3.0),  # returns only: not a customer
            ("d", "2024-02-01", 9.0),  # after as-of: left out
        ]
    )
    s = customer_summary(t, date(2024, 1, 31)).set_index("customer_id")
    assert list(s.index) == ["a", "b"]
    a = s.loc["a"]
    assert a.frequency == 2  # two purchase days; the return day is not one
    assert a.monetary == 30.0 and a.gross_revenue == 35.0 and a.returns == 5.0
    assert a.avg_order_value == 17.5
    assert a.recency_days == 21 and a.tenure_days == 30
    assert s.loc["b"].recency_days == 26


def test_summary_by_order():
    t = tx([("a", "2024-01-01", 10.0), ("a", "2024-01-01", 5.0)])
    t["order_id"] = ["o1", "o2"]
    assert customer_summary(t, date(2024, 1, 1), occasion="order")["frequency"].tolist() == [2]
    with pytest.raises(UsageError, match="order id"):
        customer_summary(t.drop(columns="order_id"), date(2024, 1, 1), occasion="order")


def test_quantile_scores_hand_cases():
    assert quantile_scores([1, 2, 3, 4, 5]).tolist() == [1, 2, 3, 4, 5]
    assert quantile_scores(list(range(10))).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # 60% one-time buyers: F=1 scores 1, F=2 (next 20%) starts in band 4
    assert quantile_scores([1] * 6 + [2, 2, 3, 7]).tolist() == [1] * 6 + [4, 4, 5, 5]
    # recency: smaller is better
    assert quantile_scores([5, 5, 10, 400], 4, higher_is_better=False).tolist() == [3, 3, 2, 1]
    assert quantile_scores([3, 3, 3], 5).tolist() == [1, 1, 1]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=200),
    st.sampled_from([3, 4, 5]),
    st.booleans(),
)
def test_quantile_scores_invariants(values, bins, higher):
    scores = quantile_scores(values, bins, higher_is_better=higher)
    v = np.asarray(values)
    assert scores.min() >= 1 and scores.max() <= bins
    # ties never split, and scores are monotone in the value
    for x in np.unique(v):
        assert len(set(scores[v == x])) == 1
    order = np.argsort(v if higher else -v, kind="stable")
    assert np.all(np.diff(scores[order]) >= 0)
    # the worst value always scores 1
    worst = v.min() if higher else v.max()
    assert set(scores[v == worst]) == {1}


def test_rejects_bins():
    with pytest.raises(UsageError, match="--bins must be 3, 4 or 5"):
        segment(_sample_transactions(20), date(2024, 12, 31), bins=6)


@pytest.mark.parametrize("bins, expected", [(3, [1, 3, 5]), (4, [1, 2, 4, 5]), (5, [1, 2, 3, 4, 5])])
def test_five_point_mapping(bins, expected):
    import duckdb

    got = duckdb.sql(f"SELECT {five_point_sql('x', bins)} FROM range(1, {bins + 1}) t(x) ORDER BY x").fetchall()
    assert [g[0] for g in got] == expected


@pytest.mark.parametrize("name, n", [("standard", 11), ("cn8", 8)])
def test_builtin_schemes_are_partitions(name, n):
    scheme = load_scheme(name)
    assert len(scheme.rules) == n
    scheme.check(name)  # raises on a gap or an overlap


def test_standard_scheme_cells():
    scheme = load_scheme("standard")
    r = np.array([5, 5, 5, 4, 3, 3, 1, 1, 2, 1])
    f = np.array([5, 1, 3, 1, 3, 1, 4, 5, 1, 1])
    m = np.array([4, 1, 2, 1, 3, 2, 3, 5, 2, 1])
    assert scheme.assign(r, f, m).tolist() == [
        "champions",
        "new_customers",
        "potential_loyalist",
        "promising",
        "need_attention",
        "about_to_sleep",
        "at_risk",
        "cant_lose_them",
        "hibernating",
        "lost",
    ]


def test_cn8_against_means():
    # means: recency 40, frequency 2.5, monetary 250
    s = pd.DataFrame(
        {
            "customer_id": ["hi_hi_hi", "hi_lo_hi", "lo_hi_lo", "lo_lo_lo"],
            "recency_days": [10, 20, 60, 70],
            "frequency": [4, 1, 4, 1],
            "monetary": [400.0, 500.0, 50.0, 50.0],
            "first_purchase": pd.to_datetime(["2024-01-01"] * 4),
            "last_purchase": pd.to_datetime(["2024-01-01"] * 4),
            "tenure_days": [1] * 4,
            "avg_order_value": [1.0] * 4,
            "gross_revenue": [1.0] * 4,
            "returns": [0.0] * 4,
        }
    )
    result = segment_customers(s, date(2024, 3, 1), scheme="cn8", lang="zh")
    assert result.customers["segment"].tolist() == [
        "important_value",
        "important_develop",
        "general_retain",
        "general_winback",
    ]
    assert result.customers["segment_label"].tolist()[0] == "重要价值客户"


def test_user_scheme_gap_and_overlap(tmp_path):
    gap = tmp_path / "gap.toml"
    gap.write_text('[[segment]]\nkey = "recent"\nr = [4, 5]\n[[segment]]\nkey = "old"\nr = [1, 2]\n')
    with pytest.raises(
        ConfigError, match=r"gap.toml: rules leave 25 score combination\(s\) without a segment, e\.g\. r=3"
    ):
        load_scheme(str(gap))
    over = tmp_path / "over.toml"
    over.write_text('[[segment]]\nkey = "recent"\nr = [3, 5]\n[[segment]]\nkey = "old"\nr = [1, 3]\n')
    with pytest.raises(ConfigError, match="recent and old both match r=3"):
        load_scheme(str(over))
    bad = tmp_path / "bad.toml"
    bad.write_text('[[segment]]\nkey = "x"\nrecency = [1, 5]\n')
    with pytest.raises(ConfigError, match="unknown key"):
        load_scheme(str(bad))
    good = tmp_path / "good.toml"
    good.write_text(
        '[[segment]]\nkey = "recent"\nlabel_zh = "近期"\nr = [3, 5]\n[[segment]]\nkey = "old"\nr = [1, 2]\n'
    )
    assert [r.key for r in load_scheme(str(good)).rules] == ["recent", "old"]
    with pytest.raises(UsageError, match="neither"):
        load_scheme(str(tmp_path / "missing.toml"))
    broken = tmp_path / "broken.toml"
    broken.write_text("[[segment]\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scheme(str(broken))


def _sample_transactions(n=300, seed=1):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        k = rng.geometric(0.4)
        days = rng.integers(0, 365, size=k)
        for d in days:
            rows.append((f"{i:05d}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d)), float(rng.gamma(2, 30))))
    return tx(rows)


def test_segment_end_to_end_tables_add_up():
    t = _sample_transactions()
    result = segment(t, date(2024, 12, 31), clusters=3, seed=7)
    c = result.customers
    assert list(c.columns[:9]) == SEGMENT_CUSTOMER_COLUMNS[:9]
    assert c["customer_id"].str.len().eq(5).all()
    seg = result.segments
    assert seg["customers"].sum() == len(c) == result.headline["customers"]
    assert seg["revenue"].sum() == pytest.approx(c["monetary"].sum())
    assert seg["customer_share"].sum() == pytest.approx(1.0)
    assert set(c["segment"]) <= set(seg["segment"])
    assert result.clusters["customers"].sum() == len(c)
    assert sorted(c["cluster"].unique()) == [1, 2, 3]
    assert -1 <= result.silhouette <= 1
    # clusters are numbered by mean value, and the same seed gives the same labels
    means = result.clusters.set_index("cluster")["mean_monetary"]
    assert means.is_monotonic_decreasing
    again = segment(t, date(2024, 12, 31), clusters=3, seed=7)
    assert (again.customers["cluster"] == c["cluster"]).all()
    assert result.headline["repeat_customer_rate"] == pytest.approx((c["frequency"] >= 2).mean())


@pytest.mark.parametrize("bins", [3, 4, 5])
def test_segment_bins(bins):
    result = segment(_sample_transactions(100, 3), date(2024, 12, 31), bins=bins)
    for col in ("r_score", "f_score", "m_score"):
        assert result.customers[col].between(1, bins).all()
    assert result.customers["segment"].notna().all()


def test_segment_rejects_bad_options():
    t = _sample_transactions(20)
    with pytest.raises(UsageError):
        segment(t, date(2024, 12, 31), lang="fr")
    with pytest.raises(UsageError, match="clusters"):
        segment(t, date(2024, 12, 31), clusters=1)
    with pytest.raises(UsageError, match="no customers"):
        segment(t, date(2000, 1, 1))


def test_cdnow_summary_matches_published_totals(shared_dataset):
    from crmkit.io.purchases import read_purchases

    data = read_purchases(str(shared_dataset("cdnow_sample.csv")))
    s = customer_summary(data.table, date(1997, 9, 30))
    assert len(s) == 2357
    assert s["customer_id"].iloc[0] == "0001"
    x = s["frequency"] - 1
    t_x = (s["last_purchase"] - s["first_purchase"]).dt.days / 7
    big_t = s["tenure_days"] / 7
    assert x.sum() == 2457
    assert t_x.sum() == pytest.approx(16135.57, abs=0.01)
    assert big_t.sum() == pytest.approx(77111.29, abs=0.01)


def test_two_runs_on_one_read_keep_their_own_results(write):
    from crmkit.io.purchases import read_purchases

    data = read_purchases(write("s.csv", "customer_id,date,amount\na,2024-01-01,10\na,2024-03-01,5\nb,2024-02-01,7\n"))
    early = segment(data, date(2024, 1, 31))
    late = segment(data, date(2024, 3, 31))
    assert early.customers["customer_id"].tolist() == ["a"]
    assert late.customers["customer_id"].tolist() == ["a", "b"]
    assert early.segments["customers"].sum() == 1 and late.segments["customers"].sum() == 2
