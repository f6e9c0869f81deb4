"""The basket generator: exact amounts, the orders of crmkit.synth, and its planted structure."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from crmkit.segment import segment
from crmkit.synth import generate_sales
from crmkit.synth_baskets import COLUMNS, basket_truth, generate_baskets, main, write_baskets

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "baskets.csv"


@pytest.fixture(scope="module")
def example():
    """The default draw (that of examples/baskets.csv), its sales and its truth."""
    sales = generate_sales()
    return generate_baskets(sales=sales), sales, basket_truth(sales=sales)


def _cents(values) -> np.ndarray:
    return np.round(np.asarray(values, float) * 100).astype(np.int64)


def test_same_seed_same_bytes(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_baskets(generate_baskets(300, 60, seed=5), first)
    write_baskets(generate_baskets(300, 60, seed=5), second)
    assert first.read_bytes() == second.read_bytes()
    write_baskets(generate_baskets(300, 60, seed=6), second)
    assert first.read_bytes() != second.read_bytes()


def test_writer_matches_pandas(tmp_path):
    baskets = generate_baskets(300, 60, seed=5)
    write_baskets(baskets, tmp_path / "duck.csv")
    baskets.to_csv(tmp_path / "pandas.csv", index=False, float_format="%.2f", lineterminator="\n")
    raw = (tmp_path / "duck.csv").read_bytes()
    assert raw == (tmp_path / "pandas.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw


def test_example_file_is_the_default_draw(example, tmp_path):
    baskets, _, _ = example
    write_baskets(baskets, tmp_path / "fresh.csv")
    assert EXAMPLE.read_bytes() == (tmp_path / "fresh.csv").read_bytes()
    assert EXAMPLE.stat().st_size < 3_000_000


def test_columns_and_ids(example):
    baskets, sales, _ = example
    assert list(baskets.columns) == COLUMNS
    assert baskets["customer_id"].str.len().eq(6).all()
    assert baskets["order_time"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert baskets["product_id"].str.fullmatch(r"P\d{4}").all()
    # the orders, customers, dates, channels and statuses of the sales file, nothing else
    keys = ["order_id", "customer_id", "channel", "status"]
    lines = baskets.assign(order_date=baskets["order_time"].str[:10])[keys + ["order_date"]].drop_duplicates()
    assert len(lines) == len(sales)
    merged = lines.merge(sales[keys + ["order_date"]], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()


def test_amounts_add_up_to_the_cent(example):
    baskets, sales, _ = example
    quantity = baskets["quantity"].to_numpy()
    unit, listed = _cents(baskets["unit_price"]), _cents(baskets["list_price"])
    amount, discount = _cents(baskets["amount"]), _cents(baskets["discount"])
    assert (amount == quantity * unit).all()
    assert (discount == (listed - unit) * quantity).all()
    assert (unit > 0).all() and (unit <= listed).all()
    assert ((quantity < 0) == (baskets["status"] == "returned")).all()
    got = pd.Series(amount).groupby([baskets["order_id"], baskets["status"]]).sum()
    want = pd.Series(_cents(sales["amount"])).groupby([sales["order_id"], sales["status"]]).sum()
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)


def test_rfm_agrees_with_the_sales_file(example):
    baskets, sales, _ = example

    def transactions(frame, day):
        return pd.DataFrame(
            {
                "customer_id": frame["customer_id"],
                "date": pd.to_datetime(frame[day].str[:10]),
                "amount": frame["amount"],
                "is_return": frame["status"] == "returned",
            }
        )

    as_of = date(2024, 12, 31)
    by_lines = segment(transactions(baskets, "order_time"), as_of).customers.set_index("customer_id")
    by_orders = segment(transactions(sales, "order_date"), as_of).customers.set_index("customer_id")
    pd.testing.assert_frame_equal(by_lines.sort_index(), by_orders.sort_index(), check_exact=False, rtol=1e-9)


def test_pair_lift(example):
    baskets, _, truth = example
    orders = baskets[baskets["status"] == "completed"]
    present = pd.crosstab(orders["order_id"], orders["category"]) > 0
    share = present.mean()
    a, b = truth.pair

    def lift(x, y):
        return (present[x] & present[y]).mean() / (share[x] * share[y])

    assert lift(a, b) > 2
    others = [lift(x, y) for i, x in enumerate(present.columns) for y in present.columns[i + 1 :] if {x, y} != {a, b}]
    assert max(others) < 1.5


def test_discount_seekers_stand_out(example):
    baskets, _, truth = example
    orders = baskets[baskets["status"] == "completed"]
    value = orders["list_price"] * orders["quantity"]
    per = pd.DataFrame({"discount": orders["discount"], "value": value}).groupby(orders["customer_id"]).sum()
    share = per["discount"] / per["value"]
    seeker = share.index.isin(truth.discount_seekers)
    assert abs(seeker.mean() - truth.seeker_share) < 0.03
    assert share[seeker].mean() > 2.5 * share[~seeker].mean()


def test_hours_by_channel(example):
    baskets, _, _ = example
    hour = baskets["order_time"].str[11:13].astype(int)
    store = hour[baskets["channel"] == "store"]
    assert store.between(10, 21).all()
    peak = hour.groupby(baskets["channel"]).agg(lambda h: h.value_counts().idxmax())
    assert peak["online"] in (20, 21, 22) and peak["app"] in (20, 21, 22)
    assert peak["wechat"] in (11, 12, 13)


def test_staples_are_rebought(example):
    baskets, _, truth = example
    orders = baskets[baskets["status"] == "completed"]
    bought = orders.groupby(["customer_id", "product_id", "category"])["order_id"].nunique().reset_index()
    repeat = (bought["order_id"] > 1).groupby(bought["category"] == "grocery").mean()
    assert repeat[True] > 1.3 * repeat[False]
    staples = truth.staples.merge(bought, on=["customer_id", "product_id"])
    assert (staples["category"] == "grocery").all()


def _hit_rates(baskets: pd.DataFrame, k: int = 10) -> tuple[float, float]:
    """Hit rate at k on each repeat customer's last order: item-item co-occurrence vs popularity."""
    orders = baskets.loc[baskets["status"] == "completed", ["customer_id", "order_id", "product_id"]]
    last = orders.groupby("customer_id")["order_id"].transform("max")
    repeat = orders.groupby("customer_id")["order_id"].transform("nunique") > 1
    held_out = repeat & (orders["order_id"] == last)
    train, test = orders[~held_out], orders[held_out]
    items = pd.Index(np.sort(orders["product_id"].unique()))
    people = pd.Index(np.sort(train["customer_id"].unique()))
    bought = sp.csr_matrix(
        (np.ones(len(train)), (people.get_indexer(train["customer_id"]), items.get_indexer(train["product_id"]))),
        shape=(len(people), len(items)),
    )
    bought.data[:] = 1.0  # a product bought twice counts once
    together = (bought.T @ bought).toarray()
    np.fill_diagonal(together, 0.0)
    popularity = np.asarray(bought.sum(axis=0)).ravel()
    top_popular = set(np.argsort(-popularity, kind="stable")[:k])
    cf_hits = popular_hits = 0
    groups = test.groupby("customer_id")["product_id"]
    for customer, products in groups:
        wanted = set(items.get_indexer(products))
        history = bought[people.get_loc(customer)].indices
        # popularity breaks ties so a short history still fills k slots
        score = together[history].sum(axis=0) + 1e-6 * popularity
        cf_hits += bool(wanted & set(np.argsort(-score, kind="stable")[:k]))
        popular_hits += bool(wanted & top_popular)
    return cf_hits / len(groups), popular_hits / len(groups)


def test_taste_makes_collaborative_filtering_beat_popularity(example):
    baskets, _, _ = example
    cf, popular = _hit_rates(baskets)
    assert cf > popular + 0.08
    assert cf > 1.3 * popular


def test_taste_groups_are_recoverable(example):
    baskets, _, truth = example
    orders = baskets[baskets["status"] == "completed"]
    group = truth.taste_group.reindex(orders["customer_id"]).to_numpy()
    home = truth.products.set_index("product_id")["taste_group"].reindex(orders["product_id"]).to_numpy()
    # lines of the customer's own group: 0.9 taste draws plus the 1/8 of the rest by chance
    assert (group == home).mean() > 0.6


def test_main_writes_the_file(tmp_path):
    out = tmp_path / "b.csv"
    assert main(["-o", str(out), "--customers", "200", "--products", "50", "--seed", "3"]) == 0
    frame = pd.read_csv(out, dtype={"customer_id": str})
    assert list(frame.columns) == COLUMNS and len(frame) > 200


def test_too_few_products_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit):
        main(["-o", str(tmp_path / "x.csv"), "--products", "3"])


@pytest.mark.slow
def test_benchmark_size(tmp_path):
    baskets = generate_baskets(100_000, 5_000, busy=True)
    assert len(baskets) > 1_000_000
    assert baskets["product_id"].nunique() > 4_000
    sales = generate_sales(100_000, seed=20261123, r=0.8, alpha=3.0)
    assert _cents(baskets["amount"]).sum() == _cents(sales["amount"]).sum()
    write_baskets(baskets, tmp_path / "big.csv")
    assert (tmp_path / "big.csv").stat().st_size > 50_000_000
