"""crmkit.recommend: hand-computed lists and reasons, fallbacks, re-buys, offline evaluation, invariants."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ColumnError, UsageError
from crmkit.recommend import COLUMNS, SOURCES, evaluate, recommend


def _sales(rows):
    """(customer, day offset, product[, amount]) -> a purchase table."""
    start = date(2024, 1, 1)
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": [(start + timedelta(days=r[1])).isoformat() for r in rows],
            "amount": [r[3] if len(r) > 3 else 10.0 for r in rows],
            "product": [r[2] for r in rows],
        }
    )


# a: w x   b: w x y   c: w y   d: z   (one day each)
TINY = _sales(
    [("a", 0, "w"), ("a", 0, "x"), ("b", 0, "w"), ("b", 0, "x"), ("b", 0, "y"), ("c", 0, "w"), ("c", 0, "y")]
    + [("d", 0, "z")]
)


def _lists(found):
    rows = found.rows()
    return {c: list(zip(g["item"], g["source"], g["reason"])) for c, g in rows.groupby("customer_id", sort=True)}


def test_tiny_case_by_hand():
    found = recommend(TINY, n=2, min_support=1)
    lists = _lists(found)
    # a bought w, x: y is co-bought with w (b, c) and x (b); w explains it best, 2 of w's 3 buyers bought y
    assert lists["a"][0] == ("y", "cf", "bought with w by 67% of w buyers")
    # z was never bought with w or x: no evidence, so the second place is the best seller left
    assert lists["a"][1] == ("z", "popularity", "top seller: bought by 25% of customers")
    # c bought w, y: x is bought by 2 of w's 3 buyers (a, b) but only 1 of y's 2
    assert lists["c"][0] == ("x", "cf", "bought with w by 67% of w buyers")
    assert lists["b"] == [("z", "popularity", "top seller: bought by 25% of customers")]
    # d's z was bought with nothing: best sellers w (3 of 4 customers), then x and y (2 each) by id
    assert lists["d"] == [
        ("w", "popularity", "top seller: bought by 75% of customers"),
        ("x", "popularity", "top seller: bought by 50% of customers"),
    ]
    rows = found.rows()
    assert tuple(rows.columns) == COLUMNS
    assert rows["customer_id"].tolist() == ["a", "a", "b", "c", "c", "d", "d"]
    assert rows["rank"].tolist() == [1, 2, 1, 1, 2, 1, 2]
    assert found.method == "itemknn" and found.params["n"] == 2


def test_reasons_in_chinese():
    lists = _lists(recommend(TINY, n=2, min_support=1, lang="zh"))
    assert lists["a"][0][2] == "购买w的顾客中67%也买了它"
    assert lists["d"][0][2] == "热销：75%的顾客买过"


def test_new_customer_gets_best_sellers():
    found = recommend(TINY, n=3, min_support=1, customers=["new", "a"])
    lists = _lists(found)
    assert [(i, s) for i, s, _ in lists["new"]] == [("w", "popularity"), ("x", "popularity"), ("y", "popularity")]
    assert set(lists) == {"a", "new"}
    assert any(n.key == "recommend_without_history" for n in found.notes)


def test_returns_are_no_interest():
    sales = pd.concat([TINY, _sales([("d", 1, "w", -10.0)])], ignore_index=True)
    lists = _lists(recommend(sales, n=2, min_support=1))
    assert lists["d"][0][0] == "w"  # d returned a w: still not "bought", so w is still recommended


def test_min_support_keeps_rare_items_out_of_cf():
    lists = _lists(recommend(TINY, n=1, min_support=3))
    # y has 2 buyers < 3: collaborative filtering may not recommend it; it comes back as a best seller
    assert lists["a"] == [("y", "popularity", "top seller: bought by 50% of customers")]


def test_exclude_bought_false_may_repeat():
    found = recommend(TINY, n=4, min_support=1, exclude_bought=False)
    rows = found.rows()
    d = rows[rows["customer_id"] == "d"]
    assert "z" in set(d["item"])  # d's own z
    assert d.loc[d["item"] == "z", "reason"].iloc[0] == "you bought it before"
    bought = TINY.groupby("customer_id")["product"].agg(set)
    excluded = recommend(TINY, n=4, min_support=1).rows()
    assert not any(item in bought[c] for c, item in zip(excluded["customer_id"], excluded["item"]))


def test_popularity_method():
    lists = _lists(recommend(TINY, n=2, method="popularity"))
    assert lists["a"] == [
        ("y", "popularity", "top seller: bought by 50% of customers"),
        ("z", "popularity", "top seller: bought by 25% of customers"),
    ]


SOAP = _sales([("r", 0, "soap"), ("r", 30, "soap"), ("r", 60, "soap"), ("r", 60, "brush"), ("s", 60, "brush")])


def test_rebuy_due():
    found = recommend(SOAP, date(2024, 1, 1) + timedelta(days=95), n=2, min_support=1, rebuy={"soap"})
    rows = found.rows()
    r = rows[rows["customer_id"] == "r"]
    assert r.iloc[0][["item", "source", "reason"]].tolist() == [
        "soap",
        "rebuy",
        "re-buy: usually every 30 days, last bought 35 days ago",
    ]
    assert r.iloc[0]["score"] == pytest.approx(35 / 30)
    assert found.params["rebuy"] == ["soap"]


def test_rebuy_not_yet_due_is_excluded_as_bought():
    rows = recommend(SOAP, date(2024, 1, 1) + timedelta(days=80), n=2, min_support=1, rebuy="soap").rows()
    assert "soap" not in set(rows.loc[rows["customer_id"] == "r", "item"])


def test_rebuy_by_category():
    sales = SOAP.assign(category=np.where(SOAP["product"] == "soap", "household", "tools"))
    rows = recommend(sales, date(2024, 4, 5), n=1, min_support=1, rebuy=["household"]).rows()
    assert rows.loc[rows["customer_id"] == "r", "source"].tolist() == ["rebuy"]


def test_rebuy_in_chinese():
    rows = recommend(SOAP, date(2024, 4, 5), n=1, min_support=1, rebuy={"soap"}, lang="zh").rows()
    assert rows.loc[rows["customer_id"] == "r", "reason"].iloc[0] == "回购：通常每30天购买一次，上次购买在35天前"


def _planted(customers=240, seed=7):
    """Four taste groups of 8 products each, plus two best sellers everybody buys now and then."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        group = c % 4
        for day in sorted(rng.choice(300, size=rng.integers(3, 7), replace=False)):
            picks = rng.choice(8, size=rng.integers(1, 3), replace=False)
            rows += [(f"c{c:03d}", int(day), f"g{group}p{p}") for p in picks]
            if rng.random() < 0.5:
                rows.append((f"c{c:03d}", int(day), f"best{rng.integers(2)}"))
    return _sales(rows)


@pytest.mark.parametrize("method", ["itemknn", "als"])
def test_determinism(method):
    sales = _planted(80)
    first = json.dumps(recommend(sales, n=5, method=method).to_dict(), sort_keys=True)
    second = json.dumps(recommend(sales, n=5, method=method).to_dict(), sort_keys=True)
    assert first == second


def test_evaluation_by_hand():
    # training: a {w,x}, b {w,x}, c {y,z}, e {w}, f {y}, g {w}; held out: e's x, f's w, g's w (bought before)
    sales = _sales(
        [("a", 0, "w"), ("a", 0, "x"), ("b", 0, "w"), ("b", 0, "x"), ("c", 0, "y"), ("c", 0, "z")]
        + [("e", 0, "w"), ("e", 1, "x"), ("f", 0, "y"), ("f", 1, "w"), ("g", 0, "w"), ("g", 1, "w")]
    )
    found = evaluate(sales, n=2, min_support=1)
    assert (found.customers, found.repeat_only) == (2, 1)
    # e: [x (cf), y (popularity)] hits at 1; f: [z (cf), w (popularity)] hits at 2: DCG 1/log2(3)
    assert found.hit_rate == 1.0
    assert found.ndcg == pytest.approx((1 + 1 / math.log2(3)) / 2)
    # popularity: e [x, y], f [w, x]: both at rank 1
    assert (found.baseline_hit_rate, found.baseline_ndcg) == (1.0, 1.0)
    diff = np.array([0.0, 1 / math.log2(3) - 1])
    half = 1.959963984540054 * diff.std(ddof=1) / math.sqrt(2)
    assert found.ndcg_difference == pytest.approx((diff.mean(), diff.mean() - half, diff.mean() + half))
    assert found.per_customer["customer_id"].tolist() == ["e", "f"]
    assert found.rows()["method"].tolist() == ["itemknn", "popularity"]
    assert json.dumps(found.to_dict())


def test_ndcg_ideal_uses_all_held_out_items():
    # h holds out x and y; a list [x, ...] with y outside the top 2 gives DCG 1 over IDCG 1 + 1/log2(3)
    sales = _sales(
        [("a", 0, "w"), ("a", 0, "x"), ("b", 0, "w"), ("b", 0, "x"), ("c", 0, "z"), ("c", 0, "y")]
        + [("d", 0, "z"), ("h", 0, "w"), ("h", 1, "x"), ("h", 1, "y")]
    )
    found = evaluate(sales, n=2, min_support=1, method="popularity")
    # popularity for h (bought w): x (2 buyers), z (2) by id -> x hit at 1, y missed
    assert found.ndcg == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert found.hit_rate == 1.0


@pytest.mark.parametrize("method", ["itemknn", "als"])
def test_cf_beats_popularity_on_planted_tastes(method):
    found = evaluate(_planted(), n=5, method=method)
    assert found.customers > 150
    assert found.hit_rate > found.baseline_hit_rate + 0.1
    assert found.hit_rate_difference[1] > 0
    assert found.ndcg_difference[1] > 0


def test_bad_options():
    with pytest.raises(UsageError):
        recommend(TINY, method="svd")
    with pytest.raises(UsageError):
        recommend(TINY, n=0)
    with pytest.raises(UsageError):
        recommend(TINY, item="brand")
    with pytest.raises(UsageError):
        recommend(TINY, lang="fr")
    with pytest.raises(ColumnError):
        recommend(TINY, item="category")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 4), st.integers(0, 4), st.booleans()), min_size=1, max_size=30
    ),
    st.integers(1, 4),
    st.sampled_from(["itemknn", "als", "popularity"]),
)
def test_lists_are_well_formed(purchases, n, method):
    sales = _sales([(f"c{c}", d, f"i{i}", -5.0 if ret else 10.0) for c, d, i, ret in purchases])
    rows = recommend(sales, n=n, method=method, min_support=1).rows()
    bought = sales[sales["amount"] > 0].groupby("customer_id")["product"].agg(set)
    for customer, group in rows.groupby("customer_id", sort=False):
        assert group["rank"].tolist() == list(range(1, len(group) + 1))
        assert len(group) <= n
        assert not set(group["item"]) & bought.get(customer, set())
        order = [SOURCES.index(s) for s in group["source"]]
        assert order == sorted(order)
        for _, block in group.groupby("source"):
            scores = block["score"].to_numpy()
            assert np.all(np.diff(scores) <= 1e-12)
    assert rows["customer_id"].tolist() == sorted(rows["customer_id"].tolist())
