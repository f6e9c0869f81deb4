"""Tests of the customer attribute generator (crmkit.synth_customers) and examples/customers.csv."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmkit.errors import ColumnError, DataError, UsageError
from crmkit.synth import generate_sales
from crmkit.synth_customers import (
    COLUMNS,
    DEFAULT_SEED,
    MESSY_ROWS,
    PROVINCES,
    customer_spend,
    generate_customers,
    main,
    write_customers,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ZH = dict(zip(COLUMNS["en"], COLUMNS["zh"]))
# Every way a province is written in the file, to its short Chinese name.
CANONICAL = {alias: name for name, (pinyin, full, *_) in PROVINCES.items() for alias in (name, pinyin, full)}


@pytest.fixture(scope="module")
def example_sales() -> pd.DataFrame:
    return pd.read_csv(EXAMPLES / "sales.csv", dtype={"customer_id": str})


@pytest.fixture(scope="module")
def example_customers() -> pd.DataFrame:
    return pd.read_csv(EXAMPLES / "customers.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module", params=["examples", 1, 2])
def drawn(request, example_sales):
    """(which, sales, customers) for the committed example and two other seeds of generate_sales."""
    sales = example_sales if request.param == "examples" else generate_sales(seed=request.param)
    return request.param, sales, generate_customers(sales)


def net_spend(sales: pd.DataFrame) -> pd.Series:
    """Net spend per customer computed here, independently of customer_spend."""
    return sales.groupby("customer_id")["amount"].sum().round(2)


def file_bytes(frame: pd.DataFrame, tmp_path: Path, name: str) -> bytes:
    path = tmp_path / name
    write_customers(frame, path)
    return path.read_bytes()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    sales = generate_sales(n_customers=400, seed=5)
    first = file_bytes(generate_customers(sales, seed=9), tmp_path, "a.csv")
    assert first == file_bytes(generate_customers(sales, seed=9), tmp_path, "b.csv")
    assert first != file_bytes(generate_customers(sales, seed=10), tmp_path, "c.csv")


def test_committed_example_equals_a_fresh_generation(tmp_path, example_sales):
    fresh = file_bytes(generate_customers(example_sales), tmp_path, "customers.csv")
    committed = (EXAMPLES / "customers.csv").read_bytes()
    assert committed.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    assert b"\r\n" not in committed
    assert committed == fresh


def test_every_customer_has_one_row(example_sales, example_customers):
    ids = example_customers["客户编号"]
    assert list(example_customers.columns) == COLUMNS["zh"]
    assert ids.is_unique and ids.is_monotonic_increasing
    assert set(ids) == set(example_sales["customer_id"]) and len(ids) == 5000
    assert ids.str.fullmatch(r"\d{6}").all()  # leading zeros kept


def test_join_date_on_or_before_the_first_purchase(example_sales, example_customers):
    purchases = example_sales[example_sales["status"] == "completed"]
    first = pd.to_datetime(purchases.groupby("customer_id")["order_date"].min())
    joined = pd.to_datetime(example_customers.set_index("客户编号")["注册日期"], format="%Y-%m-%d")
    lag = (first - joined.reindex(first.index)).dt.days
    assert (lag >= 0).all() and lag.max() <= 6 * 365
    assert 0.35 < (lag == 0).mean() < 0.45  # 40% sign up at their first purchase
    assert (lag > 365).mean() > 0.15  # some long before


def test_tier_follows_the_spend_thresholds(example_sales, example_customers):
    spend = net_spend(example_sales).reindex(example_customers["客户编号"]).to_numpy()
    expected = np.select([spend >= 800, spend >= 300, spend >= 100], ["钻石卡", "金卡", "银卡"], "普通会员")
    assert (example_customers["会员等级"].to_numpy() == expected).all()
    assert set(expected) == {"钻石卡", "金卡", "银卡", "普通会员"}


def test_customer_spend_by_hand():
    sales = pd.DataFrame(
        {
            "customer_id": ["b", "a", "a", "a", "b"],
            "order_date": ["2024-01-05", "2024-01-03", "2024-01-02", "2024-01-09", "2024-01-04"],
            "amount": [100.10, 20.00, -5.00, 300.00, -100.10],
        }
    )
    table = customer_spend(sales)
    assert table["customer_id"].tolist() == ["a", "b"]
    # a: the return on 01-02 is not a purchase, so the first purchase is 01-03; 20 - 5 + 300
    # b: the purchase is on 01-05 (the return row before it, on 01-04, is not the first purchase)
    assert table["first_purchase"].tolist() == [date(2024, 1, 3), date(2024, 1, 5)]
    assert table["spend"].tolist() == [315.0, 0.0]
    members = generate_customers(sales, seed=1)
    assert members["会员等级"].tolist() == ["金卡", "普通会员"]
    assert members["注册日期"].tolist()[0] <= "2024-01-03" and members["注册日期"].tolist()[1] <= "2024-01-05"


def test_the_planted_province_spends_twice_as_much(drawn):
    which, sales, customers = drawn
    spend = net_spend(sales).reindex(customers["客户编号"]).to_numpy()
    province = customers["省份"].map(CANONICAL)
    assert province.notna().all()
    zhejiang = (province == "浙江").to_numpy()
    ratio = spend[zhejiang].mean() / spend[~zhejiang].mean()
    assert 1.8 <= ratio <= 2.2
    assert 0.10 <= zhejiang.mean() <= 0.12  # its weight, 11% +- 5%
    # The tilt is on log spend, so 浙江 leads on robust measures whatever the whales do ...
    grouped = pd.Series(spend).groupby(province.to_numpy())
    assert grouped.median().idxmax() == "浙江"
    assert grouped.apply(lambda s: np.log1p(s).mean()).idxmax() == "浙江"
    # ... but one whale can lift a small province's mean: seed 1 puts a 17,167 customer in 天津
    # (114 customers, mean 215 against 浙江's 162), so the mean ranking is checked on the example.
    if which == "examples":
        by_province = grouped.mean()
        assert by_province.idxmax() == "浙江" and by_province.drop("浙江").max() < 0.75 * by_province["浙江"]


def ages(customers: pd.DataFrame, as_of: date) -> pd.Series:
    born = pd.to_datetime(customers["出生日期"], format="%Y-%m-%d", errors="coerce")
    keep = born.notna()
    years = [as_of.year - d.year - ((as_of.month, as_of.day) < (d.month, d.day)) for d in born[keep]]
    return pd.Series(years, index=customers.index[keep])


def test_age_is_unrelated_to_spend(drawn):
    which, sales, customers = drawn
    age = ages(customers, pd.to_datetime(sales["order_date"]).max().date())
    assert age.between(18, 75).all() and age.min() == 18 and age.max() == 75
    assert 30 <= age.median() <= 42  # most buyers are 25-44
    spend = pd.Series(net_spend(sales).reindex(customers["客户编号"]).to_numpy(), index=customers.index)[age.index]
    assert abs(np.corrcoef(age, spend)[0, 1]) < 0.1
    assert abs(age.corr(spend, method="spearman")) < 0.1


def test_messy_values_are_present(example_customers):
    gender = example_customers["性别"].value_counts()
    for messy in ("M", "F", "男性", "女性"):
        assert gender[messy] == MESSY_ROWS
    assert 0.53 < gender["女"] / 5000 < 0.57 and 0.41 < gender["男"] / 5000 < 0.45
    assert 0.01 < (gender[""] + gender["保密"]) / 5000 < 0.03
    birth = example_customers["出生日期"]
    assert birth.str.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日").sum() == MESSY_ROWS
    assert birth.str.fullmatch(r"\d{8}").sum() == MESSY_ROWS
    assert 0.02 < (birth == "").mean() < 0.04
    assert (birth.str.fullmatch(r"\d{4}-\d{2}-\d{2}") | (birth == "")).sum() == 5000 - 2 * MESSY_ROWS
    province = example_customers["省份"]
    full = province.str.endswith(("省", "市"))
    pinyin = province.str.fullmatch(r"[A-Za-z' ]+")
    assert full.sum() == MESSY_ROWS and pinyin.sum() == MESSY_ROWS
    assert (province == "浙江省").sum() == MESSY_ROWS // 2 and (province == "Zhejiang").sum() == MESSY_ROWS // 2


def test_a_written_birth_date_is_the_same_day_in_every_spelling(example_customers, example_sales):
    english = generate_customers(example_sales, lang="en")
    zh, en = example_customers["出生日期"], english["birth_date"]
    written = zh.str.contains("年")
    assert (pd.to_datetime(zh[written], format="%Y年%m月%d日") == pd.to_datetime(en[written], format="%Y/%m/%d")).all()
    compact = zh.str.fullmatch(r"\d{8}")
    assert (zh[compact] == en[compact]).all()


def test_cities_belong_to_their_province(example_customers):
    cities = {name: {c for c, *_ in spec[3]} for name, spec in PROVINCES.items()}
    province = example_customers["省份"].map(CANONICAL)
    city = example_customers["城市"]
    assert all(c == "" or c in cities[p] for p, c in zip(province, city))
    assert 0.005 < (city == "").mean() < 0.02


def test_english_is_the_same_draw_in_other_words(example_sales, example_customers):
    english = generate_customers(example_sales, lang="en")
    assert list(english.columns) == COLUMNS["en"]
    assert (english["customer_id"] == example_customers["客户编号"]).all()
    assert (english["join_date"] == example_customers["注册日期"]).all()
    tiers = {"普通会员": "regular", "银卡": "silver", "金卡": "gold", "钻石卡": "diamond"}
    assert (example_customers["会员等级"].map(tiers) == english["tier"]).all()
    assert set(english["gender"]) == {"female", "male", "undisclosed", "", "F", "M", "Male", "Female"}
    assert (
        english["province"].isin(["Zhejiang", "Zhejiang Province", "浙江"]).sum()
        == (example_customers["省份"].map(CANONICAL) == "浙江").sum()
    )
    assert {"store", "mini program", "Tmall", "Douyin", "referral"} <= set(english["source_channel"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_customers=st.integers(1, 80), sales_seed=st.integers(0, 10**6), seed=st.integers(0, 10**6))
def test_any_sales_give_one_row_per_customer_who_joined_in_time(n_customers, sales_seed, seed):
    sales = generate_sales(n_customers=n_customers, seed=sales_seed)
    members = generate_customers(sales, seed=seed, lang="en")
    first = pd.to_datetime(sales[sales["amount"] > 0].groupby("customer_id")["order_date"].min())
    assert members["customer_id"].tolist() == sorted(first.index)
    joined = pd.to_datetime(members.set_index("customer_id")["join_date"])
    assert (joined.reindex(first.index) <= first).all()


def test_bad_inputs_raise_crmkit_errors():
    with pytest.raises(ColumnError, match="amount"):
        generate_customers(pd.DataFrame({"customer_id": ["1"], "order_date": ["2024-01-01"]}))
    with pytest.raises(UsageError, match="lang"):
        generate_customers(generate_sales(n_customers=5, seed=1), lang="fr")
    bad = pd.DataFrame({"customer_id": ["1", "2"], "order_date": ["2024-01-01", "someday"], "amount": [1.0, 2.0]})
    with pytest.raises(DataError) as error:
        generate_customers(bad)
    assert error.value.row == 2 and error.value.column == "order_date"


def test_cli_help_run_and_failure(tmp_path, capsys, example_sales):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0 and "--sales" in capsys.readouterr().out

    sales = generate_sales(n_customers=200, seed=3)
    sales.to_csv(tmp_path / "sales.csv", index=False)
    out = tmp_path / "members.csv"
    assert main(["--sales", str(tmp_path / "sales.csv"), "--seed", "4", "-o", str(out), "--lang", "en"]) == 0
    assert out.read_bytes() == file_bytes(generate_customers(sales, seed=4, lang="en"), tmp_path, "direct.csv")
    assert DEFAULT_SEED == 20261201

    with pytest.raises(SystemExit) as failed:
        main(["--sales", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "x.csv")])
    assert failed.value.code == 3 and "cannot read the sales" in capsys.readouterr().err
