"""crmkit.preferences: per-customer and per-segment preferences, category affinity."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import UsageError
from crmkit.preferences import (
    AFFINITY_COLUMNS,
    BAND_COLUMNS,
    CHANNEL_COLUMNS,
    CUSTOMER_COLUMNS,
    NOTE_TEXTS,
    SEGMENT_COLUMNS,
    SHARE_COLUMNS,
    WEEKDAY_HOUR_COLUMNS,
    preferences,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# Five lines, no order_id (baskets are customer-days). 2024-01-01 is a Monday.
#   a: Mon 10h store X p1 30 (q1, price 30) | Tue 10h online Y p2 10 (q2, price 5, discount 2)
#   b: Wed 09h store X p1 5 (price 5)
#   c: Wed 09h online Y p2 20 (price 20) + Wed 11h store X p1 20 (q2, price 10): one basket {X, Y}
TINY = [
    ("a", "2024-01-01 10:15", "store", "X", "p1", 30.0, 1, 0.0),
    ("a", "2024-01-02 10:40", "online", "Y", "p2", 10.0, 2, 2.0),
    ("b", "2024-01-03 09:05", "store", "X", "p1", 5.0, 1, 0.0),
    ("c", "2024-01-03 09:30", "online", "Y", "p2", 20.0, 1, 0.0),
    ("c", "2024-01-03 11:00", "store", "X", "p1", 20.0, 2, 0.0),
]


def tiny_frame() -> pd.DataFrame:
    return pd.DataFrame(
        TINY, columns=["customer_id", "date", "channel", "category", "product", "amount", "quantity", "discount"]
    )


@pytest.fixture(scope="module")
def tiny():
    return preferences(tiny_frame(), "2024-01-31")


def by_id(found) -> pd.DataFrame:
    return found.customers.set_index("customer_id")


def test_columns_are_stable(tiny):
    assert tuple(tiny.customers.columns) == CUSTOMER_COLUMNS
    assert tuple(tiny.customer_channels.columns) == CHANNEL_COLUMNS
    assert tuple(tiny.segments.columns) == SEGMENT_COLUMNS
    assert tuple(tiny.segment_shares.columns) == SHARE_COLUMNS
    assert tuple(tiny.affinity.columns) == AFFINITY_COLUMNS
    assert tuple(tiny.affinity_customers.columns) == AFFINITY_COLUMNS
    assert tuple(tiny.weekday_hour.columns) == WEEKDAY_HOUR_COLUMNS
    assert tuple(tiny.price_bands.columns) == BAND_COLUMNS
    assert tiny.skipped == ()
    assert tiny.basket == "customer_day"
    assert tiny.rows() is tiny.customers


def test_channel_and_category_shares_by_hand(tiny):
    rows = by_id(tiny)
    assert rows.loc["a", "main_channel"] == "store" and rows.loc["a", "main_channel_share"] == pytest.approx(0.75)
    assert rows.loc["a", "channels"] == 2 and bool(rows.loc["a", "omnichannel"])
    assert rows.loc["b", "main_channel_share"] == 1.0 and not bool(rows.loc["b", "omnichannel"])
    # c spends 20 and 20: ties go to the first by name
    assert rows.loc["c", "main_channel"] == "online" and rows.loc["c", "main_channel_share"] == pytest.approx(0.5)
    assert rows.loc["c", "main_category"] == "X" and rows.loc["c", "categories"] == 2
    assert rows.loc["a", "main_product"] == "p1" and rows.loc["a", "main_product_share"] == pytest.approx(0.75)
    assert rows["spend"].tolist() == [40.0, 5.0, 40.0]
    assert rows["lines"].tolist() == [2, 1, 2] and rows["occasions"].tolist() == [2, 1, 1]
    channels = tiny.customer_channels
    assert channels[channels["customer_id"] == "a"][["channel", "spend_share"]].values.tolist() == [
        ["store", 0.75],
        ["online", 0.25],
    ]


def test_weekday_and_hour_modes_need_a_unique_mode(tiny):
    rows = by_id(tiny)
    assert rows["preferred_weekday"].isna().tolist() == [True, False, False]  # a: Mon and Tue once each: a tie
    assert rows["preferred_weekday"].tolist()[1:] == [3, 3]
    assert rows["preferred_hour"].tolist() == [10, 9, 9]  # c's one occasion starts at 9
    assert rows["preferred_daypart"].tolist() == ["morning"] * 3
    table = tiny.weekday_hour
    assert table[["weekday", "hour", "orders", "revenue"]].values.tolist() == [
        [1, 10, 1, 30.0],
        [2, 10, 1, 10.0],
        [3, 9, 2, 45.0],
    ]
    assert table["weekday_name"].tolist() == ["Mon", "Tue", "Wed"]
    assert table["order_share"].sum() == pytest.approx(1.0)


def test_hour_ties_give_no_mode_and_dayparts_by_hand():
    # z: 3 orders at 9h, 19h and 20h -> no preferred hour, but evening twice; y: 9h, 9h, 20h -> 9h, morning;
    # x: 5h, 6h (night, morning): no mode at all; w: Mon, Mon, Tue -> Monday
    times = {"z": ["09:00", "19:10", "20:30"], "y": ["09:00", "09:50", "20:00"], "x": ["05:59", "06:00"]}
    rows = [(c, f"2024-01-0{d + 1} {t}", 10.0) for c, ts in times.items() for d, t in enumerate(ts)]
    rows += [("w", day, 5.0) for day in ("2024-01-01 12:00", "2024-01-08 12:00", "2024-01-09 12:00")]
    found = preferences(pd.DataFrame(rows, columns=["customer_id", "date", "amount"]), "2024-01-31")
    got = by_id(found)[["preferred_weekday", "preferred_hour", "preferred_daypart"]].astype(object)
    got = got.where(got.notna(), None)
    assert got.loc["z"].tolist() == [None, None, "evening"]
    assert got.loc["y"].tolist() == [None, 9, "morning"]
    assert got.loc["x"].tolist() == [None, None, None]
    assert got.loc["w"].tolist() == [1, 12, "midday"]


def test_dayparts_cover_the_day():
    from crmkit.preferences import DAYPARTS

    hours = [h for _, first, last in DAYPARTS for h in range(first, last + 1)]
    assert hours == list(range(24))


def test_price_bands_by_hand(tiny):
    # prices 30, 5, 5, 20, 10: quartiles 5, 10, 20 -> bands (.., 5], (5, 10], (10, 20], (20, ..]
    bands = tiny.price_bands
    assert bands[["band", "lower", "upper", "lines"]].values.tolist() == [
        [1, 5, 5, 2],
        [2, 5, 10, 1],
        [3, 10, 20, 1],
        [4, 20, 30, 1],
    ]
    rows = by_id(tiny)
    assert rows["price_band"].tolist() == [1, 1, 2]  # a: one line in band 4, one in 1 -> the lower
    # category mean prices X (30, 5, 10) = 15, Y (5, 20) = 12.5
    assert rows["price_index"].tolist() == pytest.approx([100 * (2 + 0.4) / 2, 100 / 3, 100 * (1.6 + 10 / 15) / 2])
    assert bands["customers"].tolist() == [2, 1, 0, 0]


def test_user_price_cut_points():
    found = preferences(tiny_frame(), "2024-01-31", price_bands=[10])
    assert found.price_bands[["band", "lower", "upper", "lines"]].values.tolist() == [[1, 5, 10, 3], [2, 10, 30, 2]]
    assert by_id(found)["price_band"].tolist() == [1, 1, 1]


def test_discount_shares_by_hand(tiny):
    rows = by_id(tiny)
    assert rows.loc["a", "discounted_lines"] == 1
    assert rows.loc["a", "discount_line_share"] == pytest.approx(0.5)
    assert rows.loc["a", "discount_spend_share"] == pytest.approx(0.25)
    assert rows.loc["b", "discount_line_share"] == 0.0
    assert set(rows["discount_label"]) == {"neutral"}  # two lines cannot be significant


def test_min_discount_is_a_share_of_list_value():
    # a's second line: 2 off a list value of 10 + 2 = 12, i.e. 16.7% off
    assert by_id(preferences(tiny_frame(), "2024-01-31", min_discount=0.16)).loc["a", "discounted_lines"] == 1
    rows = by_id(preferences(tiny_frame(), "2024-01-31", min_discount=0.17))
    assert rows.loc["a", "discounted_lines"] == 0 and rows.loc["a", "discount_line_share"] == 0.0
    # min_discount=0 counts every line with money off, none without
    assert by_id(preferences(tiny_frame(), "2024-01-31", min_discount=0))["discounted_lines"].tolist() == [1, 0, 0]


def test_affinity_by_hand(tiny):
    # baskets a-01 {X}, a-02 {Y}, b-03 {X}, c-03 {X, Y}
    pair = tiny.affinity.iloc[0]
    assert (pair["category_a"], pair["category_b"], pair["baskets"], pair["count_ab"]) == ("X", "Y", 4, 1)
    assert (pair["count_a"], pair["count_b"]) == (3, 2)
    assert pair["support"] == pytest.approx(0.25)
    assert pair["confidence_a_b"] == pytest.approx(1 / 3) and pair["confidence_b_a"] == pytest.approx(0.5)
    assert pair["lift"] == pytest.approx(4 / 6)
    assert pair["test"] == "fisher" and 0 < pair["p_value"] <= 1
    # customers a {X, Y}, b {X}, c {X, Y}
    ever = tiny.affinity_customers.iloc[0]
    assert (ever["baskets"], ever["count_ab"], ever["lift"]) == (3, 2, pytest.approx(1.0))
    assert ever["confidence_b_a"] == pytest.approx(1.0)


def test_segment_index_is_share_over_base_share(tiny):
    shares = tiny.segment_shares
    categories = shares[shares["dimension"] == "category"]
    base = {"X": 55 / 85, "Y": 30 / 85}
    assert categories["base_share"].tolist() == pytest.approx([base[v] for v in categories["value"]])
    assert categories["index"].tolist() == pytest.approx(
        list(100 * categories["spend_share"] / categories["base_share"])
    )
    assert np.allclose(shares.groupby(["segment", "dimension"])["spend_share"].sum(), 1.0)
    segments = tiny.segments
    assert segments["customers"].sum() == 3 and segments["spend"].sum() == pytest.approx(85.0)


def test_returns_and_rows_after_as_of_are_left_out():
    frame = tiny_frame()
    extra = pd.DataFrame(
        [("a", "2024-01-05", "store", "Z", "p9", -30.0, 1, 0.0), ("b", "2024-03-01", "app", "Z", "p9", 99.0, 1, 0.0)],
        columns=frame.columns,
    )
    found = preferences(pd.concat([frame, extra]), "2024-01-31")
    assert by_id(found)["spend"].tolist() == [40.0, 5.0, 40.0]
    assert "Z" not in set(found.segment_shares["value"])
    assert any(n.key == "preferences_returns" for n in found.notes)


def test_order_id_baskets():
    frame = tiny_frame().assign(order_id=["o1", "o1", "o2", "o3", "o4"])
    found = preferences(frame, "2024-01-31")
    assert found.basket == "order_id"
    pair = found.affinity.iloc[0]  # o1 {X, Y}, o2 {X}, o3 {Y}, o4 {X}
    assert (pair["baskets"], pair["count_ab"], pair["lift"]) == (4, 1, pytest.approx(4 / 6))
    assert by_id(found)["occasions"].tolist() == [1, 1, 2]


def test_min_support_and_top():
    found = preferences(tiny_frame(), "2024-01-31", min_support=0.3, top=1)
    assert found.affinity.empty and len(found.affinity_customers) == 1


def test_example_sales_runs():
    found = preferences(EXAMPLES / "sales.csv")
    assert set(found.skipped) == {"product", "hour", "discount"}
    skipped = [n for n in found.notes if n.key == "preferences_skipped"]
    assert {n.params["analysis"] for n in skipped} == {"product", "hour", "discount"}
    assert found.basket == "order_id"
    sums = found.customer_channels.groupby("customer_id")["spend_share"].sum()
    assert np.allclose(sums, 1.0) and len(sums) == len(found.customers)
    assert found.customers["preferred_hour"].isna().all() and found.weekday_hour["hour"].isna().all()
    assert len(found.weekday_hour) == 7
    assert found.price_bands["line_share"].tolist() == pytest.approx([0.25] * 4, abs=0.01)
    assert found.customers["discount_label"].isna().all()
    assert found.customers["omnichannel"].mean() == pytest.approx(found.customers["channels"].ge(2).mean())
    text = json.dumps(found.to_dict(), allow_nan=False)
    assert '"skipped": ["product", "hour", "discount"]' in text


def test_hour_all_null_is_skipped():
    frame = tiny_frame().assign(date=lambda f: f["date"].str[:10])  # dates without a time
    found = preferences(frame, "2024-01-31")
    assert "hour" in found.skipped and found.customers["preferred_hour"].isna().all()
    assert any(n.key == "preferences_skipped" and n.params["analysis"] == "hour" for n in found.notes)


def test_bare_export_skips_all_but_weekday():
    frame = pd.DataFrame({"customer_id": ["a", "b"], "date": ["2024-01-01", "2024-01-02"], "amount": [1.0, 2.0]})
    found = preferences(frame)
    assert found.skipped == ("channel", "category", "product", "hour", "price", "discount")
    assert found.affinity.empty and found.price_bands.empty and found.segment_shares.empty
    assert by_id(found)["preferred_weekday"].tolist() == [1, 2]
    json.dumps(found.to_dict(), allow_nan=False)


def _fields(template: str) -> set:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_notes_are_catalogued_in_both_languages():
    from crmkit.report.i18n import LABELS, message

    for key, text in NOTE_TEXTS.items():
        entry = LABELS[f"msg:{key}"]
        assert entry["en"] == text and _fields(entry["zh"]) == _fields(text), key
    frame = tiny_frame().drop(columns=["product", "discount"]).assign(is_return=[False] * 4 + [True])
    found = preferences(frame, "2024-01-31")  # skipped, baskets (customer x day), returns and price notes
    bare = preferences(pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01 10:00"], "amount": [1.0]}))
    hourless = preferences(tiny_frame().assign(date=["2024-01-01 10:00"] + ["2024-01-03"] * 4, order_id=list("abcde")))
    notes = [*found.notes, *bare.notes, *hourless.notes]
    assert {n.key for n in notes} == set(NOTE_TEXTS)
    for note in notes:
        assert message(note, "en") == str(note)  # the catalogue's English is the library's
        chinese = message(note, "zh")
        assert chinese != str(note) and "{" not in chinese
    skipped = next(n for n in found.notes if n.key == "preferences_skipped")
    assert message(skipped, "zh") == "未分析商品偏好：数据中没有 product 列（或该列为空）"
    days = next(n for n in found.notes if n.key == "preferences_baskets")
    assert str(days) == "purchase occasions (baskets) are customer × day: 4 of them"
    assert message(days, "zh") == "购买场景（购物篮）按客户×日计：共 4 个"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"price_bands": ["x"]},
        {"price_bands": []},
        {"top": 0},
        {"min_support": 2},
        {"alpha": 0},
        {"min_discount": 1},
        {"min_discount": -0.1},
    ],
)
def test_bad_options_raise(kwargs):
    with pytest.raises(UsageError):
        preferences(tiny_frame(), "2024-01-31", **kwargs)


def planted(seed: int = 7) -> tuple[pd.DataFrame, set, set]:
    """1,200 customers, 1–15 orders each: bread+butter planted together, luxury bought by frequent buyers,
    a tenth of the customers buying 80% of their lines on discount (the rest 10%)."""
    rng = np.random.default_rng(seed)
    rows = []
    deal = {f"c{i:04d}" for i in range(0, 1200, 10)}
    others = ["fruit", "dairy", "snacks", "drinks", "home"]
    for i in range(1200):
        cid = f"c{i:04d}"
        orders = 1 + i % 15
        last = 400 - int(rng.integers(0, 360 if orders < 8 else 30))
        days = np.sort(rng.integers(0, last + 1, orders))
        for k, day in enumerate(days):
            if rng.random() < 0.2:
                basket = ["bread", "butter"]
            else:
                basket = list(rng.choice(others, size=int(rng.integers(1, 3)), replace=False))
            if orders >= 10 and rng.random() < 0.3:
                basket.append("luxury")
            for category in basket:
                on_deal = rng.random() < (0.8 if cid in deal else 0.1)
                amount = float(rng.gamma(2.0, 15.0))
                rows.append((cid, f"o{i}-{k}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(day)), category,
                             round(amount, 2), round(0.3 * amount, 2) if on_deal else 0.0))  # fmt: skip
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "date", "category", "amount", "discount"])
    heavy = {f"c{i:04d}" for i in range(1200) if 1 + i % 15 >= 8}
    return frame, deal, heavy


@pytest.fixture(scope="module")
def recovered():
    frame, deal, heavy = planted()
    return preferences(frame, "2025-02-05"), deal, heavy


def test_planted_pair_has_the_top_lift(recovered):
    found, _, _ = recovered
    top = found.affinity.iloc[0]
    assert (top["category_a"], top["category_b"]) == ("bread", "butter")
    assert top["lift"] > 3 and top["q_value"] < 1e-6
    assert found.affinity["lift"].is_monotonic_decreasing
    assert (found.affinity["q_value"] >= found.affinity["p_value"] - 1e-15).all()


def test_planted_segment_over_indexes(recovered):
    found, _, _ = recovered
    shares = found.segment_shares
    luxury = shares[(shares["dimension"] == "category") & (shares["value"] == "luxury")].set_index("segment")
    # frequent buyers (champions, loyal) hold most of the spend, so even a sole buyer's index is ~1 / 0.7
    assert luxury.loc["champions", "index"] > 130 and luxury.loc["loyal", "index"] > 130
    rare = luxury.drop(index=["champions", "loyal", "cant_lose_them"], errors="ignore")
    assert (rare["index"] < 50).all()


def test_planted_deal_seekers_recovered(recovered):
    found, deal, _ = recovered
    rows = by_id(found)
    enough = rows["lines"] >= 10
    labelled = rows["discount_label"] == "deal_seeker"
    planted_mask = rows.index.isin(sorted(deal))
    assert labelled[planted_mask & enough].mean() > 0.9
    assert labelled[~planted_mask].mean() < 0.03
    segments = found.segments
    assert segments["discount_line_share"].dropna().between(0, 1).all()


@settings(max_examples=12, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d"]),
            st.integers(0, 20),
            st.sampled_from(["store", "online", "app"]),
            st.sampled_from(["k", "m", "n", "p"]),
            st.floats(0.01, 500, allow_nan=False),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_shares_sum_to_one_and_lift_is_symmetric(lines):
    frame = pd.DataFrame(lines, columns=["customer_id", "day", "channel", "category", "amount"])
    frame["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["day"], unit="D")
    found = preferences(frame.drop(columns="day"), "2024-02-01", min_support=0.0, top=None)
    sums = found.customer_channels.groupby("customer_id")["spend_share"].sum()
    assert np.allclose(sums, 1.0)
    assert found.customers["main_channel_share"].between(0, 1 + 1e-12).all()
    for table in (found.affinity, found.affinity_customers):
        # P(A∧B) / (P(A) P(B)) from either side: confidence(A→B) / P(B) = confidence(B→A) / P(A)
        left = table["confidence_a_b"] * table["baskets"] / table["count_b"]
        right = table["confidence_b_a"] * table["baskets"] / table["count_a"]
        assert np.allclose(left, table["lift"]) and np.allclose(right, table["lift"])
    # renaming the categories so that their order flips leaves every pair's lift unchanged
    flipped = frame.assign(category=frame["category"].map({"k": "z4", "m": "z3", "n": "z2", "p": "z1"}))
    again = preferences(flipped.drop(columns="day"), "2024-02-01", min_support=0.0, top=None)
    rename = {"z4": "k", "z3": "m", "z2": "n", "z1": "p"}
    lifts = {frozenset((r.category_a, r.category_b)): r.lift for r in found.affinity.itertuples()}
    for r in again.affinity.itertuples():
        assert math.isclose(lifts[frozenset((rename[r.category_a], rename[r.category_b]))], r.lift)


def _seeker_recovery(found, seekers, min_lines: int = 10) -> tuple[float, float]:
    """Recall and precision of ``deal_seeker`` against the planted seekers, among customers of ``min_lines``+ lines."""
    rows = by_id(found)
    enough = rows["lines"] >= min_lines
    planted_mask = rows.index.isin(list(seekers))
    labelled = rows["discount_label"] == "deal_seeker"
    hits = (labelled & planted_mask & enough).sum()
    return hits / (planted_mask & enough).sum(), hits / max((labelled & enough).sum(), 1)


def test_synthetic_basket_seekers_recovered_past_the_remainder_discounts():
    # crmkit.synth_baskets pays one line per order a little under list (median 7% off), so most customers
    # have "a discount"; the 20% planted seekers get 10-50% off on 75% of their lines
    from crmkit.synth_baskets import basket_truth, generate_baskets

    baskets = generate_baskets(1500, busy=True)
    seekers = basket_truth(1500).discount_seekers
    recall, precision = _seeker_recovery(preferences(baskets), seekers)
    assert recall > 0.9 and precision > 0.95
    every_cent, _ = _seeker_recovery(preferences(baskets, min_discount=0), seekers)
    assert every_cent < recall - 0.1


@pytest.mark.skipif(not (EXAMPLES / "baskets.csv").exists(), reason="examples/baskets.csv absent")
def test_example_baskets_seekers_recovered():
    from crmkit.synth_baskets import basket_truth

    found = preferences(EXAMPLES / "baskets.csv")
    recall, precision = _seeker_recovery(found, basket_truth().discount_seekers)
    assert recall > 0.85 and precision > 0.95
    assert by_id(found).loc["000001", "preferred_hour"] is pd.NA  # its orders are all at different hours
